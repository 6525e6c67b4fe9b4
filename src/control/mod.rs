//! The control plane for test suites, under `/_emulator`: health, worlds and their state,
//! the request journal, fault rules and the rate limit. JSON in and out; never journaled,
//! faulted or limited, and it takes no Webex token (only the control token, when the server
//! was started with one).

pub(crate) mod gateway;
pub(crate) mod worlds;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::http::webex::WebexJson;

use crate::error::Error;
use crate::http::extract::bearer_token;
use crate::openapi::ControlErrors;
use crate::AppState;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .merge(worlds::routes())
        .merge(gateway::routes())
        .route("/openapi.json", get(crate::openapi::document))
        // Inside the token check too, so without the token nothing under /_emulator answers
        // but 401.
        .method_not_allowed_fallback(crate::http::webex::method_not_allowed)
        .fallback(crate::http::webex::not_found)
        .layer(middleware::from_fn_with_state(state, control_token))
}

/// Health: ready when it answers, since the state is in memory from the start.
#[utoipa::path(
    get,
    path = "/_emulator/health",
    tag = "Control",
    responses((status = 200, description = "Ready.", body = Health), ControlErrors)
)]
async fn health(State(state): State<AppState>) -> WebexJson<Health> {
    WebexJson(Health {
        status: "ok",
        worlds: state.worlds.ids().len(),
    })
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Health {
    /// Always `ok`: the state is in memory from the start.
    status: &'static str,
    /// How many worlds there are, the default included.
    worlds: usize,
}

/// With `--control-token`, every control request needs `Authorization: Bearer <it>`.
async fn control_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(expected) = &state.options.control_token {
        if bearer_token(request.headers()) != Some(expected.as_str()) {
            return Error::Unauthorized.into_response();
        }
    }
    next.run(request).await
}
