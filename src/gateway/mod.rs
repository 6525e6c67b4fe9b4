//! What stands in front of the Webex API for tests: the request journal, fault injection
//! and the rate limit. [`serve`], for every request under `/v1`, applies them in this
//! order: a fault (from the request's `X-Emulator-Fault` header, then the rules), the rate
//! limit, the API; then it writes the answer into the journal. The control plane is never
//! journaled, faulted or limited.

pub mod faults;
pub mod journal;
pub mod rate_limit;

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceExt;

use crate::error::Error;
use crate::http::extract::{bearer_token, collect, declared_over, BODY_LIMIT};
use crate::http::webex::{self, TrackingId};
use crate::server::ConnectionControl;
use crate::AppState;
use faults::{Action, Faults, FAULT_HEADER};
use journal::{Entry, Journal};
use rate_limit::RateLimiter;

/// The journal, the fault rules and the rate limit of a server.
#[derive(Debug)]
pub struct Gateway {
    pub journal: Journal,
    pub faults: Faults,
    pub rate_limit: RateLimiter,
}

/// What the gateway decided before the API runs.
enum Gate {
    Pass,
    Answer(Response, &'static str),
    Drop,
}

/// Serves a request under `/v1`: the gateway's checks, then `api`, then the journal.
pub async fn serve(state: &AppState, request: Request, api: Router) -> Response {
    let started = Instant::now();
    let gateway = &state.gateway;
    let tracking_id = request
        .extensions()
        .get::<TrackingId>()
        .cloned()
        .unwrap_or_else(|| TrackingId(HeaderValue::from_static("ROUTERGW")));
    let token = bearer_token(request.headers()).map(str::to_owned);
    let world = match token.as_deref() {
        Some(t) => state.worlds.for_token(t).0.id().to_owned(),
        None => crate::store::DEFAULT_WORLD.to_owned(),
    };
    let control = request.extensions().get::<ConnectionControl>().cloned();
    let mut entry = Entry {
        seq: 0,
        time: SystemTime::now(),
        method: request.method().as_str().to_owned(),
        path: request.uri().path().to_owned(),
        query: request.uri().query().map(str::to_owned),
        request_headers: if gateway.journal.enabled() {
            journal::Headers::of(request.headers())
        } else {
            journal::Headers::default()
        },
        world,
        request_body: Bytes::new(),
        truncated: false,
        status: 0,
        response_body: Bytes::new(),
        duration_ms: 0.0,
        tracking_id: tracking_id.as_str().to_owned(),
        injected: None,
    };

    let request = if gateway.journal.enabled() {
        let (request, body) = buffer_request(request).await;
        entry.request_body = journal::kept(&body, &mut entry.truncated);
        request
    } else {
        request
    };

    let gate = decide(state, request.headers(), &entry, token.as_deref()).await;
    let mut response = match gate {
        Gate::Pass => {
            let Ok(response) = api.oneshot(request).await;
            response
        }
        Gate::Answer(response, why) => {
            entry.injected = Some(why.to_owned());
            response
        }
        Gate::Drop => {
            entry.injected = Some("fault: dropped connection".to_owned());
            match control {
                Some(control) => {
                    entry.duration_ms = elapsed_ms(started);
                    record(&gateway.journal, entry);
                    control.drop_connection();
                    // The connection is closed under this request; nothing is ever answered.
                    return std::future::pending().await;
                }
                // Served without a connection of ours (e.g. in-process): the nearest thing.
                None => Error::Injected {
                    status: 503,
                    retry_after: None,
                }
                .into_response(),
            }
        }
    };
    webex::finish(&mut response, &tracking_id);
    if !gateway.journal.enabled() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let response_body = collect(body, usize::MAX).await.unwrap_or_default();
    entry.status = parts.status.as_u16();
    entry.response_body = journal::kept(&response_body, &mut entry.truncated);
    entry.duration_ms = elapsed_ms(started);
    record(&gateway.journal, entry);
    Response::from_parts(parts, Body::from(response_body))
}

fn record(journal: &Journal, mut entry: Entry) {
    entry.seq = journal.next_seq();
    journal.record(entry);
}

/// Reads the body (up to the limit) so the journal can keep it and the API still reads it.
/// A body over the limit is left for the API to refuse, after its own earlier checks
/// (a 401 comes before a 413).
async fn buffer_request(request: Request) -> (Request, Bytes) {
    if declared_over(request.headers(), BODY_LIMIT) {
        return (request, Bytes::new());
    }
    let (parts, body) = request.into_parts();
    match collect(body, BODY_LIMIT).await {
        Ok(bytes) => (Request::from_parts(parts, Body::from(bytes.clone())), bytes),
        // Streamed past the limit, or unreadable: what was read is gone, so the API gets a
        // stand-in that fails the same way, and answers 413 or 400 in its turn.
        Err(error) => (
            Request::from_parts(parts, Body::new(Failed(Some(error.into())))),
            Bytes::new(),
        ),
    }
}

/// A body whose first read fails with the error of the body it stands in for.
struct Failed(Option<axum::Error>);

impl hyper::body::Body for Failed {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, axum::Error>>> {
        Poll::Ready(self.0.take().map(Err))
    }
}

/// Faults first (the request's header, then the rules), then the rate limit.
async fn decide(state: &AppState, headers: &HeaderMap, entry: &Entry, token: Option<&str>) -> Gate {
    let from_header = headers
        .get(FAULT_HEADER)
        .map(|v| faults::parse_header(&String::from_utf8_lossy(v.as_bytes())));
    let action = match from_header {
        Some(Err(problems)) => {
            return Gate::Answer(
                Error::BadRequest(problems).into_response(),
                "fault header refused",
            )
        }
        Some(Ok(action)) => Some((action, "fault: header")),
        None => state
            .gateway
            .faults
            .decide(&entry.method, &entry.path, &entry.world)
            .map(|action| (action, "fault: rule")),
    };
    if let Some((action, why)) = action {
        if let Some(gate) = act(action, why).await {
            return gate;
        }
    }
    if let Some(token) = token {
        if let Err(retry_after) = state.gateway.rate_limit.check(token, Instant::now()) {
            return Gate::Answer(
                Error::RateLimited { retry_after }.into_response(),
                "rate limit",
            );
        }
    }
    Gate::Pass
}

/// Carries out a fault: waits (no lock is held), then drops, answers, or lets the request on.
async fn act(action: Action, why: &'static str) -> Option<Gate> {
    if let Some(delay) = action.delay {
        tokio::time::sleep(delay).await;
    }
    if action.drop {
        return Some(Gate::Drop);
    }
    action.status.map(|status| {
        Gate::Answer(
            Error::Injected {
                status,
                retry_after: action.retry_after,
            }
            .into_response(),
            why,
        )
    })
}

fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}
