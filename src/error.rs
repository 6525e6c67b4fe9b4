//! The one error type of the emulator.
//!
//! Every failure a request can meet is one of these variants. The type holds no HTTP
//! machinery so the domain can return it; `http::webex` maps it to a status and renders the
//! Webex error body (`message`, `errors[].description`, `trackingId`) in one place.

/// A failed request, as the Webex API would report it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// 400: each string is one `errors[].description`; several invalid items give several.
    #[error("bad request: {}", .0.join("; "))]
    BadRequest(Vec<String>),
    /// 401: no token, a malformed `Authorization` header, or a token nobody holds.
    #[error("unauthorized")]
    Unauthorized,
    /// 403: the caller lacks the role or the scope the operation needs.
    #[error("forbidden")]
    Forbidden,
    /// 404 with a description naming what was not found.
    #[error("not found: {0}")]
    NotFound(String),
    /// 405: the path exists but not with this method.
    #[error("method {0} not allowed")]
    MethodNotAllowed(String),
    /// 409: the request conflicts with the state (e.g. a site with mapped tracking codes).
    #[error("conflict: {0}")]
    Conflict(String),
    /// 413: the body is over the limit (in bytes).
    #[error("request body over {0} bytes")]
    PayloadTooLarge(usize),
    /// 415: a body was sent with a content type other than JSON.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// 429 from the rate limit, with the whole seconds to wait.
    #[error("rate limited for {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// 503: the emulator cannot do what it must (e.g. save the state file).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Any documented status, asked for by a fault rule or header.
    #[error("injected fault {status}")]
    Injected {
        status: u16,
        retry_after: Option<u64>,
    },
}

impl Error {
    /// A 400 with a single description.
    pub fn bad_request(description: impl Into<String>) -> Self {
        Error::BadRequest(vec![description.into()])
    }

    /// A 404 with its description.
    pub fn not_found(description: impl Into<String>) -> Self {
        Error::NotFound(description.into())
    }
}

/// Result of anything that can fail the way a Webex request fails.
pub type Result<T, E = Error> = std::result::Result<T, E>;
