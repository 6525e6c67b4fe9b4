//! Turning a request into what the domain takes: the caller behind the bearer token and a
//! JSON body. Every failure is an [`Error`], so no framework text ever reaches a client.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::domain::access::Caller;
use crate::error::{Error, Result};
use crate::store::World;
use crate::AppState;

/// Largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The caller of a request and the world its token belongs to. Rejects with 401 before
/// anything else about the request is looked at.
pub struct Authenticated {
    pub world: Arc<World>,
    pub caller: Caller,
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let token = bearer_token(&parts.headers).ok_or(Error::Unauthorized)?;
        let (world, token) = state.worlds.for_token(token);
        let caller = world.read(|m| {
            m.authenticate(&token).or_else(|e| {
                // `--any-token`: an unknown token acts as the default admin, so a frontend
                // works with whatever token it was given.
                match m.default_admin_token().filter(|_| state.options.any_token) {
                    Some(admin) => m.authenticate(admin),
                    None => Err(e),
                }
            })
        })?;
        Ok(Authenticated { world, caller })
    }
}

/// The token of `Authorization: Bearer <token>`; the scheme's case does not matter.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// A header's value as text, if it is present, readable and not blank.
pub fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Reads and parses a required JSON body: 413 over the limit (refused by `Content-Length`
/// before reading when the client declares it), 400 when missing, 415 for a content type
/// other than JSON, 400 naming the field for malformed JSON or a wrong type. Takes the
/// whole request, so that its headers are read in place rather than copied.
pub async fn json_body<T: DeserializeOwned>(request: Request) -> Result<T> {
    json_body_of_objects(request, &[]).await
}

/// [`json_body`] for bodies with arrays of objects (named in `object_arrays`): an item that
/// is not an object is a 400 naming it, where serde alone would read an array positionally.
pub async fn json_body_of_objects<T: DeserializeOwned>(
    request: Request,
    object_arrays: &[&str],
) -> Result<T> {
    let (parts, body) = request.into_parts();
    read_json(&parts.headers, body, BODY_LIMIT, object_arrays).await
}

/// [`json_body`] with another size limit (whole states posted to the control plane).
pub async fn read_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    object_arrays: &[&str],
) -> Result<T> {
    let bytes = read_body(headers, body, limit).await?;
    parse_body(headers, &bytes, object_arrays)
}

/// The checks of [`json_body`] on a body already read: 400 when it is missing, 415 for a
/// content type other than JSON, 400 naming what is wrong with the JSON.
pub fn parse_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    bytes: &[u8],
    object_arrays: &[&str],
) -> Result<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::bad_request(
            "The request body is missing; a JSON object is expected.",
        ));
    }
    check_json_content_type(headers)?;
    if !object_arrays.is_empty() {
        check_object_items(bytes, object_arrays)?;
    }
    parse_json(bytes)
}

/// Whether the client declared (`Content-Length`) a body longer than `limit`, so that it
/// can be refused before it is read.
pub fn declared_over(headers: &HeaderMap, limit: usize) -> bool {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > limit as u64)
}

/// Reads a whole body of at most `limit` bytes: 413 over it (refused by `Content-Length`
/// before reading when the client declares it), 400 when it cannot be read (a malformed
/// chunked encoding, a client gone before the end).
pub async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes> {
    if declared_over(headers, limit) {
        return Err(Error::PayloadTooLarge(limit));
    }
    collect(body, limit).await.map_err(|e| match e {
        BodyError::TooLarge => Error::PayloadTooLarge(limit),
        BodyError::Unreadable(e) => {
            // The connection's own errors are hyper's; name them as it does.
            let read = causes(&e).find_map(|c| c.downcast_ref::<hyper::Error>());
            let (error, detail): (&dyn std::fmt::Display, _) = match read {
                Some(read) => (read, std::error::Error::source(read)),
                None => (&e, None),
            };
            let detail = detail.map(|s| format!(": {s}")).unwrap_or_default();
            Error::bad_request(format!(
                "The request body could not be read: {error}{detail}."
            ))
        }
    })
}

/// An error and the errors it stems from, outermost first.
fn causes<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |e| e.source())
}

/// Why a body could not be read whole.
#[derive(Debug)]
pub enum BodyError {
    /// It is longer than the limit.
    TooLarge,
    /// Reading it failed (the connection's error).
    Unreadable(axum::Error),
}

/// What stands for [`BodyError::TooLarge`] where an `axum::Error` is needed.
#[derive(Debug, thiserror::Error)]
#[error("the body is longer than the limit")]
pub struct OverLimit;

impl From<BodyError> for axum::Error {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge => axum::Error::new(OverLimit),
            BodyError::Unreadable(e) => e,
        }
    }
}

/// Reads a whole body of at most `limit` bytes. A body that comes in one piece (a
/// request's short body, every answer the API makes) is handed over as it is, without the
/// length-limit wrapper and buffer list of a general collector. A body that fails with
/// [`OverLimit`] (the gateway's stand-in for one it found too long) is too large.
pub async fn collect(mut body: Body, limit: usize) -> std::result::Result<Bytes, BodyError> {
    let mut whole: Option<Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            if causes(&e).any(|c| c.is::<OverLimit>()) {
                BodyError::TooLarge
            } else {
                BodyError::Unreadable(e)
            }
        })?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        let total = whole.as_ref().map_or(0, Bytes::len) + joined.len() + data.len();
        if total > limit {
            return Err(BodyError::TooLarge);
        }
        match whole.take() {
            None if joined.is_empty() => whole = Some(data),
            earlier => {
                joined.extend_from_slice(earlier.as_deref().unwrap_or_default());
                joined.extend_from_slice(&data);
            }
        }
    }
    Ok(whole.unwrap_or_else(|| Bytes::from(joined)))
}

fn check_object_items(bytes: &[u8], object_arrays: &[&str]) -> Result<()> {
    let Ok(serde_json::Value::Object(body)) = serde_json::from_slice(bytes) else {
        // Not an object (or not JSON): `parse_json` describes it.
        return Ok(());
    };
    for field in object_arrays {
        if let Some(serde_json::Value::Array(items)) = body.get(*field) {
            if let Some(i) = items.iter().position(|item| !item.is_object()) {
                return Err(Error::bad_request(format!(
                    "Invalid value for '{field}[{i}]': an object is expected."
                )));
            }
        }
    }
    Ok(())
}

/// A query string that could not be read (e.g. a parameter given twice) is a 400.
pub fn query_error(rejection: axum::extract::rejection::QueryRejection) -> Error {
    Error::bad_request(rejection.body_text())
}

fn check_json_content_type(headers: &HeaderMap) -> Result<()> {
    let given = headers
        .get(CONTENT_TYPE)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    let essence = given
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    let is_json = |e: &[u8]| {
        e.eq_ignore_ascii_case(b"application/json")
            || (e.len() >= "application/+json".len()
                && e[.."application/".len()].eq_ignore_ascii_case(b"application/")
                && e[e.len() - "+json".len()..].eq_ignore_ascii_case(b"+json"))
    };
    if is_json(essence) {
        Ok(())
    } else if given.is_empty() {
        Err(Error::UnsupportedMediaType("(none)".into()))
    } else {
        Err(Error::UnsupportedMediaType(
            String::from_utf8_lossy(given).into_owned(),
        ))
    }
}

/// Parses JSON into `T`, describing a failure the way a client can act on.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    // JSON is UTF-8 (RFC 8259 8.1); serde checks only the strings it reads, not the ones
    // it skips (unknown fields).
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(Error::BadRequest(vec![format!(
            "The request body is not valid JSON: invalid UTF-8 at byte {}.",
            e.valid_up_to()
        )]));
    }
    // serde reads a struct from an array too (fields by position); Webex bodies are objects.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|&b| b != b'{') {
        let description = match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Ok(_) => "The request body must be a JSON object.".to_owned(),
            Err(e) => format!("The request body is not valid JSON: {e}."),
        };
        return Err(Error::BadRequest(vec![description]));
    }
    // The plain parser is the fast path; only a body that fails is read again to name the
    // field at fault.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        describe_json_error(&path, &e.into_inner())
    })?;
    de.end().map_err(|e| describe_json_error(".", &e))?;
    Ok(value)
}

fn describe_json_error(path: &str, error: &serde_json::Error) -> Error {
    let description = match error.classify() {
        Category::Data if path == "." => format!("Invalid request body: {error}."),
        Category::Data => format!("Invalid value for '{path}': {error}."),
        Category::Syntax | Category::Eof | Category::Io => {
            format!("The request body is not valid JSON: {error}.")
        }
    };
    Error::BadRequest(vec![description])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user_codes::UpdateRequest;

    /// A body that arrives in the given pieces.
    struct Pieces(std::collections::VecDeque<&'static [u8]>);

    impl hyper::body::Body for Pieces {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<std::result::Result<hyper::body::Frame<Bytes>, Self::Error>>>
        {
            let piece = self.0.pop_front();
            std::task::Poll::Ready(piece.map(|p| Ok(hyper::body::Frame::data(Bytes::from(p)))))
        }
    }

    fn read(pieces: &[&'static [u8]], limit: usize) -> std::result::Result<Bytes, BodyError> {
        let body = Body::new(Pieces(pieces.iter().copied().collect()));
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(collect(body, limit))
    }

    #[test]
    fn bodies_are_read_whole_in_any_number_of_pieces_up_to_the_limit() {
        assert_eq!(read(&[], 10).unwrap(), Bytes::new());
        assert_eq!(read(&[b"abc"], 10).unwrap(), Bytes::from_static(b"abc"));
        assert_eq!(
            read(&[b"ab", b"", b"cd", b"ef"], 10).unwrap(),
            Bytes::from_static(b"abcdef")
        );
        assert_eq!(read(&[b"abcd", b"efgh"], 8).unwrap().len(), 8);
        assert!(matches!(
            read(&[b"abcd", b"efghi"], 8),
            Err(BodyError::TooLarge)
        ));
        assert!(matches!(read(&[b"abcdefghi"], 8), Err(BodyError::TooLarge)));
    }

    #[test]
    fn bearer_tokens_are_read_whatever_the_scheme_case() {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, "bearer abc".parse().unwrap());
        assert_eq!(bearer_token(&h), Some("abc"));
        h.insert(AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer_token(&h), None);
        h.insert(AUTHORIZATION, "Bearer ".parse().unwrap());
        assert_eq!(bearer_token(&h), None);
    }

    #[test]
    fn parse_errors_name_the_field() {
        let err = parse_json::<UpdateRequest>(br#"{"trackingCodes": [{"name": 5}]}"#).unwrap_err();
        let Error::BadRequest(d) = err else { panic!() };
        assert!(
            d[0].starts_with("Invalid value for 'trackingCodes[0].name'"),
            "{d:?}"
        );
        let Error::BadRequest(d) = parse_json::<UpdateRequest>(b"[1]").unwrap_err() else {
            panic!()
        };
        assert_eq!(d[0], "The request body must be a JSON object.");
        let Error::BadRequest(d) = parse_json::<UpdateRequest>(b"[[[[").unwrap_err() else {
            panic!()
        };
        assert!(
            d[0].starts_with("The request body is not valid JSON"),
            "{d:?}"
        );
        let Error::BadRequest(d) = parse_json::<UpdateRequest>(b"{").unwrap_err() else {
            panic!()
        };
        assert!(
            d[0].starts_with("The request body is not valid JSON"),
            "{d:?}"
        );
        assert!(parse_json::<UpdateRequest>(b"{} {}").is_err());
        let Error::BadRequest(d) =
            parse_json::<UpdateRequest>(br#"{"trackingCodes": [["Department", "Sales"]]}"#)
                .unwrap_err()
        else {
            panic!()
        };
        assert!(d[0].contains("trackingCodes[0]"), "{d:?}");
        let Error::BadRequest(d) =
            parse_json::<UpdateRequest>(br#"{"trackingCodes": [{"name": "a", "name": "b"}]}"#)
                .unwrap_err()
        else {
            panic!()
        };
        assert!(d[0].contains("duplicate field"), "{d:?}");
        let ok: UpdateRequest =
            parse_json(br#"{"trackingCodes": [{"id": 1, "name": "a", "value": null}]}"#).unwrap();
        let items = ok.tracking_codes.unwrap();
        assert_eq!(items[0].name.as_deref(), Some("a"));
        assert_eq!(items[0].value, None);
    }
}
