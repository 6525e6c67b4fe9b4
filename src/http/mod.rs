//! The Webex API under `/v1`: one module per API area, each a thin shell over the domain.

pub mod extract;
pub mod meetings;
pub mod people;
pub mod sites;
pub mod tracking_codes;
pub mod user_tracking_codes;
pub mod webex;

use axum::middleware;
use axum::Router;

use crate::AppState;

/// The whole HTTP application: the Webex routes, a Webex-shaped 404 for anything else, and
/// the tracking-id layer over all of it.
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .merge(user_tracking_codes::routes())
        .merge(tracking_codes::routes())
        .merge(meetings::routes())
        .merge(sites::routes())
        .merge(people::routes())
        .method_not_allowed_fallback(webex::method_not_allowed);
    Router::new()
        .nest("/v1", v1)
        .fallback(webex::not_found)
        .layer(middleware::from_fn(webex::tracking_id))
        .with_state(state)
}
