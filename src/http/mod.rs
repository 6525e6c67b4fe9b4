//! The Webex API under `/v1`: one module per API area, each a thin shell over the domain.

pub mod extract;
pub mod meetings;
pub mod people;
pub mod sites;
pub mod tracking_codes;
pub mod user_tracking_codes;
pub mod webex;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LINK, ORIGIN, RETRY_AFTER};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::response::Response;
use axum::Router;
use tower::{Layer, Service, ServiceExt};
use tower_http::cors::{AllowOrigin, Cors, CorsLayer};

use crate::gateway::{self, faults::FAULT_HEADER};
use crate::{AppState, Options};

/// The whole HTTP application, outermost first: the tracking id (so every answer, a
/// preflight's too, carries a `TrackingID`, and every failure its Webex error body) and
/// the request's log line; CORS, so that browsers' preflights are answered; the gateway
/// (journal, faults, rate limit) for paths under `/v1`; the routes.
///
/// The layers are plain code rather than framework middleware: a middleware function
/// clones the service under it for every request, and those clones were a good part of the
/// time a request took. CORS is applied to the requests it concerns: those with an
/// `Origin` header (browsers send it on every cross-origin call) and every `OPTIONS`
/// (preflights). Other clients (test suites, servers) would only get headers no one
/// reads, at a twentieth of a request's time.
#[derive(Clone)]
pub struct App {
    cors: Arc<CorsLayer>,
    dispatch: Dispatch,
}

/// Sends a request through the gateway when it is for the Webex API, then to its route.
#[derive(Clone)]
struct Dispatch {
    state: AppState,
    routes: Router,
}

type Answer = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl App {
    pub fn new(state: AppState) -> Self {
        let routes = Router::new()
            .merge(user_tracking_codes::routes())
            .merge(tracking_codes::routes())
            .merge(meetings::routes())
            .merge(sites::routes())
            .merge(people::routes())
            .nest("/_emulator", crate::control::router(state.clone()))
            .method_not_allowed_fallback(webex::method_not_allowed)
            .fallback(webex::not_found)
            .with_state(state.clone());
        App {
            cors: Arc::new(cors(&state.options)),
            dispatch: Dispatch { state, routes },
        }
    }
}

impl Service<Request> for App {
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request) -> Answer {
        let started = Instant::now();
        let id = webex::TrackingId::of(request.headers());
        request.extensions_mut().insert(id.clone());
        // Only the method and the path are logged: a query may hold emails, a header tokens.
        let method = request.method().clone();
        let uri = request.uri().clone();
        // Neither CORS nor the dispatch has to be made ready first.
        let answer =
            if request.method() == Method::OPTIONS || request.headers().contains_key(ORIGIN) {
                let mut cors: Cors<Dispatch> = self.cors.layer(self.dispatch.clone());
                Box::pin(cors.call(request))
            } else {
                self.dispatch.call(request)
            };
        Box::pin(async move {
            let Ok(mut response) = answer.await;
            webex::finish(&mut response, &id);
            webex::log(&method, uri.path(), response.status(), started, &id);
            Ok(response)
        })
    }
}

impl Service<Request> for Dispatch {
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Answer {
        let state = self.state.clone();
        let routes = self.routes.clone();
        Box::pin(async move {
            let path = request.uri().path();
            // Anything under /v1, a path the API does not have too, goes through the
            // gateway; the control plane never does.
            if path == "/v1" || path.starts_with("/v1/") {
                Ok(gateway::serve(&state, request, routes).await)
            } else {
                routes.oneshot(request).await
            }
        })
    }
}

/// CORS for frontend developers: any origin unless the server was given a list; the
/// headers Webex clients send are allowed and `TrackingID` is readable by scripts.
fn cors(options: &Options) -> CorsLayer {
    let origins = match &options.cors_origins {
        None => AllowOrigin::mirror_request(),
        Some(list) => AllowOrigin::list(list.iter().filter_map(|o| HeaderValue::from_str(o).ok())),
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([
            Method::GET,
            Method::PUT,
            Method::POST,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            AUTHORIZATION,
            CONTENT_TYPE,
            HeaderName::from_static("trackingid"),
            HeaderName::from_static("email"),
            HeaderName::from_static(FAULT_HEADER),
        ])
        .expose_headers([HeaderName::from_static("trackingid"), RETRY_AFTER, LINK])
        .max_age(Duration::from_secs(3600))
}
