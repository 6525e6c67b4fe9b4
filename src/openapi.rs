//! The emulator's own OpenAPI document, served at `/_emulator/openapi.json`: the Webex
//! operations it emulates and the control plane, generated from the handlers and types
//! (utoipa) so it cannot drift from the code.

use std::sync::OnceLock;

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

use crate::http::webex::JSON_CONTENT_TYPE;

/// The Webex error body, as every error answers.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebexError {
    pub message: String,
    pub errors: Vec<ErrorDescription>,
    pub tracking_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDescription {
    pub description: String,
}

/// The errors any Webex operation of the emulator can answer.
#[allow(dead_code)] // Only its documentation is used.
#[derive(IntoResponses)]
pub enum ApiErrors {
    /// The request is malformed or breaks a rule; `errors[]` says each problem.
    #[response(status = 400)]
    BadRequest(WebexError),
    /// No token, or one nobody holds.
    #[response(status = 401)]
    Unauthorized(WebexError),
    /// The caller lacks the role or the scope.
    #[response(status = 403)]
    Forbidden(WebexError),
    /// Not found in the caller's org.
    #[response(status = 404)]
    NotFound(WebexError),
    /// Another method than the path takes (with `Allow`).
    #[response(status = 405)]
    MethodNotAllowed(WebexError),
    /// Conflicts with the state (a mapped site, a taken name).
    #[response(status = 409)]
    Conflict(WebexError),
    /// Only when a fault (a rule or the `X-Emulator-Fault` header) asks for it.
    #[response(status = 410)]
    Gone(WebexError),
    /// Body over the limit.
    #[response(status = 413)]
    PayloadTooLarge(WebexError),
    /// A body that is not JSON.
    #[response(status = 415)]
    UnsupportedMediaType(WebexError),
    /// Only when a fault asks for it.
    #[response(status = 423)]
    Locked(WebexError),
    /// Only when a fault asks for it.
    #[response(status = 428)]
    PreconditionRequired(WebexError),
    /// The rate limit or a fault (with `Retry-After`).
    #[response(status = 429)]
    TooManyRequests(WebexError),
    /// Only when a fault asks for it.
    #[response(status = 500)]
    InternalServerError(WebexError),
    /// Only when a fault asks for it.
    #[response(status = 502)]
    BadGateway(WebexError),
    /// A fault asks for it, or a change was applied but could not be saved to the state
    /// file (`--state-file`).
    #[response(status = 503)]
    ServiceUnavailable(WebexError),
    /// Only when a fault asks for it.
    #[response(status = 504)]
    GatewayTimeout(WebexError),
}

/// The errors the control plane can answer.
#[allow(dead_code)] // Only its documentation is used.
#[derive(IntoResponses)]
pub enum ControlErrors {
    /// Malformed or refused (e.g. a fixture that breaks a seed rule).
    #[response(status = 400)]
    BadRequest(WebexError),
    /// The control token is required and was not given.
    #[response(status = 401)]
    Unauthorized(WebexError),
    /// No such world or rule.
    #[response(status = 404)]
    NotFound(WebexError),
    /// Another method than the path takes.
    #[response(status = 405)]
    MethodNotAllowed(WebexError),
    /// E.g. deleting the default world.
    #[response(status = 409)]
    Conflict(WebexError),
    /// Body over the limit.
    #[response(status = 413)]
    PayloadTooLarge(WebexError),
    /// A body that is not JSON.
    #[response(status = 415)]
    UnsupportedMediaType(WebexError),
    /// The default world was reset or replaced but could not be saved to the state file
    /// (`--state-file`).
    #[response(status = 503)]
    ServiceUnavailable(WebexError),
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "webex-emulator",
        description = "A local emulator of the Webex Meetings admin tracking-codes API (under /v1) and its control plane for tests (under /_emulator)."
    ),
    servers((url = "/")),
    paths(
        crate::http::user_tracking_codes::get_user_codes,
        crate::http::user_tracking_codes::update_user_codes,
        crate::http::tracking_codes::list_codes,
        crate::http::tracking_codes::create_code,
        crate::http::tracking_codes::get_code,
        crate::http::tracking_codes::update_code,
        crate::http::tracking_codes::delete_code,
        crate::http::meetings::meeting_codes,
        crate::http::sites::site_list,
        crate::http::people::list_people,
        crate::http::people::me,
        crate::http::people::person,
        crate::control::health,
        crate::control::worlds::list_worlds,
        crate::control::worlds::create_world,
        crate::control::worlds::get_world,
        crate::control::worlds::delete_world,
        crate::control::worlds::reset_world,
        crate::control::worlds::export_state,
        crate::control::worlds::replace_state,
        crate::control::worlds::reset_default,
        crate::control::worlds::export_default,
        crate::control::worlds::replace_default,
        crate::control::gateway::list_journal,
        crate::control::gateway::clear_journal,
        crate::control::gateway::list_faults,
        crate::control::gateway::add_fault,
        crate::control::gateway::clear_faults,
        crate::control::gateway::remove_fault,
        crate::control::gateway::get_rate_limit,
        crate::control::gateway::set_rate_limit,
        crate::control::gateway::lift_rate_limit,
    ),
    components(schemas(WebexError, ErrorDescription)),
    modifiers(&BearerAuth),
    tags(
        (name = "Tracking Codes", description = "The Webex tracking-codes operations."),
        (name = "Meeting Preferences", description = "Get Site List."),
        (name = "People", description = "The people the emulator knows."),
        (name = "Control", description = "The control plane for test suites."),
    )
)]
pub struct ApiDoc;

/// The document as JSON, built once.
pub fn json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| ApiDoc::openapi().to_json().unwrap_or_default())
}

/// `GET /_emulator/openapi.json`.
pub async fn document() -> impl IntoResponse {
    ([(CONTENT_TYPE, JSON_CONTENT_TYPE)], json())
}
