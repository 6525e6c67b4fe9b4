//! What makes a response look like Webex: the `TrackingID` header on every response, the
//! error body `{message, errors[{description}], trackingId}` built in one place, and JSON
//! with the content type Webex sends.

use axum::body::Body;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::time::Instant;

use crate::error::Error;

/// The header Webex uses to correlate a request across its services.
pub static TRACKING_ID: HeaderName = HeaderName::from_static("trackingid");

/// The content type of every JSON answer, as Webex writes it.
pub const JSON_CONTENT_TYPE: &str = "application/json;charset=UTF-8";

/// Longest `TrackingID` request header that is echoed; a longer one is replaced.
const MAX_TRACKING_ID: usize = 256;

pub const MESSAGE_400: &str = "The request could not be understood by the server due to malformed syntax. See 'errors' for more details.";
pub const MESSAGE_401: &str =
    "The request requires a valid access token set in the Authorization request header.";
pub const MESSAGE_403: &str = "The server understood the request, but refused to fulfill it because the access token is missing required scopes or the user is missing required roles or licenses.";
pub const MESSAGE_404: &str = "The requested resource could not be found.";
pub const MESSAGE_405: &str =
    "The request was made to a resource using an HTTP request method that is not supported.";
pub const MESSAGE_409: &str = "The request could not be processed because it conflicts with some established rule of the system.";
pub const MESSAGE_413: &str =
    "The request is larger than the server is willing or able to process.";
pub const MESSAGE_415: &str = "The request was made to a resource without specifying a media type or used a media type that is not supported.";

/// The message for any status the emulator answers, from the Webex API's own descriptions.
pub fn message_for(status: u16) -> &'static str {
    match status {
        401 => MESSAGE_401,
        403 => MESSAGE_403,
        404 => MESSAGE_404,
        405 => MESSAGE_405,
        409 => MESSAGE_409,
        410 => "The requested resource is no longer available.",
        413 => MESSAGE_413,
        415 => MESSAGE_415,
        423 => "The requested resource is temporarily unavailable.",
        428 => "File(s) cannot be scanned for malware and need to be force downloaded.",
        429 => "Too many requests have been sent in a given amount of time and the request has been rate limited.",
        500 => "Something went wrong on the server.",
        502 => "The server received an invalid response from an upstream server while processing the request. Try again later.",
        503 => "Server is overloaded with requests. Try again later.",
        504 => "An upstream server failed to respond on time.",
        _ => MESSAGE_400,
    }
}

/// An error waiting for its tracking id. Handlers do not know the id, so an error response
/// carries this in its extensions and [`finish`] writes the body.
#[derive(Debug, Clone)]
struct PendingError {
    message: &'static str,
    descriptions: Vec<String>,
}

impl PendingError {
    /// For responses the framework made itself (e.g. 405): the message is the description.
    fn for_status(status: StatusCode) -> Self {
        let message = message_for(status.as_u16());
        PendingError {
            message,
            descriptions: vec![message.to_owned()],
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    message: &'a str,
    errors: Vec<Description<'a>>,
    tracking_id: &'a str,
}

#[derive(Serialize)]
struct Description<'a> {
    description: &'a str,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, message, descriptions) = match self {
            Error::BadRequest(d) => (StatusCode::BAD_REQUEST, MESSAGE_400, d),
            Error::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                MESSAGE_401,
                vec![MESSAGE_401.into()],
            ),
            Error::Forbidden => (StatusCode::FORBIDDEN, MESSAGE_403, vec![MESSAGE_403.into()]),
            Error::NotFound(d) => (StatusCode::NOT_FOUND, MESSAGE_404, vec![d]),
            Error::MethodNotAllowed(m) => (
                StatusCode::METHOD_NOT_ALLOWED,
                MESSAGE_405,
                vec![format!(
                    "The method '{m}' is not allowed for this resource."
                )],
            ),
            Error::Conflict(d) => (StatusCode::CONFLICT, MESSAGE_409, vec![d]),
            Error::PayloadTooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                MESSAGE_413,
                vec![format!(
                    "The request body is larger than the limit of {limit} bytes."
                )],
            ),
            Error::UnsupportedMediaType(given) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                MESSAGE_415,
                vec![format!(
                    "The content type '{given}' is not supported; send 'application/json'."
                )],
            ),
            Error::Unavailable(d) => (StatusCode::SERVICE_UNAVAILABLE, message_for(503), vec![d]),
            Error::RateLimited { retry_after } => {
                return with_retry_after(
                    StatusCode::TOO_MANY_REQUESTS,
                    Some(retry_after),
                    vec![format!(
                    "The rate limit of this token is reached; retry after {retry_after} seconds."
                )],
                )
            }
            Error::Injected {
                status,
                retry_after,
            } => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                let message = message_for(status.as_u16());
                return with_retry_after(status, retry_after, vec![message.to_owned()]);
            }
        };
        pending_response(status, message, descriptions)
    }
}

/// An error response whose body the tracking-id layer will write.
fn pending_response(
    status: StatusCode,
    message: &'static str,
    descriptions: Vec<String>,
) -> Response {
    let mut response = status.into_response();
    response.extensions_mut().insert(PendingError {
        message,
        descriptions,
    });
    response
}

/// An error response with `Retry-After` in whole seconds, as Webex sends it.
fn with_retry_after(
    status: StatusCode,
    retry_after: Option<u64>,
    descriptions: Vec<String>,
) -> Response {
    let mut response = pending_response(status, message_for(status.as_u16()), descriptions);
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// A JSON answer with Webex's content type.
pub struct WebexJson<T>(pub T);

impl<T: Serialize> IntoResponse for WebexJson<T> {
    fn into_response(self) -> Response {
        // Most answers fit in a kilobyte: one allocation instead of several regrowths.
        let mut bytes = Vec::with_capacity(1024);
        match serde_json::to_writer(&mut bytes, &self.0) {
            Ok(()) => json_response(StatusCode::OK, bytes),
            // Our own types always serialize; should one not, the client still gets a
            // Webex-shaped answer rather than a dropped connection.
            Err(e) => Error::bad_request(format!("The response could not be encoded: {e}"))
                .into_response(),
        }
    }
}

fn json_response(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    response
}

/// The tracking id of a request, in its extensions for the layers inside.
#[derive(Debug, Clone)]
pub struct TrackingId(pub HeaderValue);

impl TrackingId {
    pub fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

impl TrackingId {
    /// The request's own `TrackingID` when it is usable, else a new one made the way
    /// Webex's gateway does.
    pub fn of(headers: &HeaderMap) -> Self {
        let given = headers.get(&TRACKING_ID).filter(|v| {
            let b = v.as_bytes();
            !b.is_empty() && b.len() <= MAX_TRACKING_ID && b.iter().all(u8::is_ascii_graphic)
        });
        TrackingId(given.cloned().unwrap_or_else(new_tracking_id))
    }
}

/// The request's log line.
pub fn log(method: &Method, path: &str, status: StatusCode, started: Instant, id: &TrackingId) {
    // Hundredths of a millisecond are as fine as a person reads.
    let duration_ms = (started.elapsed().as_secs_f64() * 100_000.0).round() / 100.0;
    if !tracing::enabled!(tracing::Level::INFO) {
        return;
    }
    let (status, id) = (status.as_u16(), id.as_str());
    if crate::logging::request_line(method.as_str(), path, status, duration_ms, id) {
        return;
    }
    tracing::info!(
        %method,
        path,
        status,
        duration_ms,
        tracking_id = id,
        "request"
    );
}

/// Writes the Webex error body of a failed response (once) and the `TrackingID` header.
pub fn finish(response: &mut Response, id: &TrackingId) {
    let pending = response.extensions_mut().remove::<PendingError>();
    let status = response.status();
    // The framework's own errors come bodiless or as text (an extractor's rejection, such
    // as a path parameter that is not UTF-8).
    let framework_error = (status.is_client_error() || status.is_server_error())
        && response
            .headers()
            .get(CONTENT_TYPE)
            .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if let Some(error) =
        pending.or_else(|| framework_error.then(|| PendingError::for_status(status)))
    {
        write_error(response, &error, id.as_str());
    }
    response
        .headers_mut()
        .insert(TRACKING_ID.clone(), id.0.clone());
}

fn new_tracking_id() -> HeaderValue {
    const PREFIX: &[u8] = b"ROUTERGW_";
    let mut id = [0u8; PREFIX.len() + uuid::fmt::Hyphenated::LENGTH];
    id[..PREFIX.len()].copy_from_slice(PREFIX);
    uuid::Uuid::new_v4()
        .hyphenated()
        .encode_lower(&mut id[PREFIX.len()..]);
    // A uuid is ASCII, so this cannot fail; the fallback only keeps this free of panics.
    HeaderValue::from_bytes(&id).unwrap_or_else(|_| HeaderValue::from_static("ROUTERGW"))
}

fn write_error(response: &mut Response, error: &PendingError, tracking_id: &str) {
    let body = ErrorBody {
        message: error.message,
        errors: error
            .descriptions
            .iter()
            .map(|d| Description { description: d })
            .collect(),
        tracking_id,
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let headers = response.headers_mut();
    headers.remove(CONTENT_LENGTH);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    *response.body_mut() = Body::from(bytes);
}

/// The answer for a known path called with a method it does not have; the router adds
/// the `Allow` header.
pub async fn method_not_allowed(method: axum::http::Method) -> Error {
    Error::MethodNotAllowed(method.to_string())
}

/// The answer for any path the emulator does not know.
pub async fn not_found() -> Error {
    Error::not_found(MESSAGE_404)
}
