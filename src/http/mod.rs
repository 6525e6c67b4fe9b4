//! The Webex API under `/v1`: one module per API area, each a thin shell over the domain.

pub mod extract;
pub mod meetings;
pub mod people;
pub mod sites;
pub mod tracking_codes;
pub mod user_tracking_codes;
pub mod webex;

use std::time::Duration;

use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LINK, RETRY_AFTER};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware;
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::gateway::{self, faults::FAULT_HEADER};
use crate::{AppState, Options};

/// The whole HTTP application: the Webex routes behind the gateway (journal, faults, rate
/// limit), the control plane, a Webex-shaped 404 for anything else, CORS so that browsers'
/// preflights are answered, and the tracking-id layer outermost, so that every answer
/// (a preflight's too) carries a `TrackingID`.
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .merge(user_tracking_codes::routes())
        .merge(tracking_codes::routes())
        .merge(meetings::routes())
        .merge(sites::routes())
        .merge(people::routes())
        .method_not_allowed_fallback(webex::method_not_allowed)
        .fallback(webex::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), gateway::v1));
    let control = crate::control::router(state.clone());
    Router::new()
        .nest("/v1", v1)
        .nest("/_emulator", control)
        .fallback(webex::not_found)
        .layer(cors(&state.options))
        .layer(middleware::from_fn(webex::tracking_id))
        .with_state(state)
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
