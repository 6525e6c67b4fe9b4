//! `/people`: Get My Own Details, Get Person Details and List People with `Link` paging.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::header::{HOST, LINK};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

use super::extract::{query_error, Authenticated};
use super::webex::WebexJson;
use crate::domain::access::Need;
use crate::domain::people::{self, PeopleQuery, PersonPage, PersonView};
use crate::error::{Error, Result};
use crate::openapi::ApiErrors;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/people", get(list_people))
        .route("/v1/people/me", get(me))
        .route("/v1/people/{personId}", get(person))
}

/// Get My Own Details.
#[utoipa::path(
    get,
    path = "/v1/people/me",
    tag = "People",
    responses((status = 200, description = "The caller.", body = PersonView), ApiErrors),
    security(("bearer" = []))
)]
async fn me(auth: Authenticated) -> Result<WebexJson<PersonView>> {
    auth.caller.require(Need::PeopleRead)?;
    auth.world
        .read(|m| people::me(m, &auth.caller))
        .map(WebexJson)
}

/// Get Person Details.
#[utoipa::path(
    get,
    path = "/v1/people/{personId}",
    tag = "People",
    params(("personId" = String, Path, description = "The person's id.")),
    responses((status = 200, description = "The person.", body = PersonView), ApiErrors),
    security(("bearer" = []))
)]
async fn person(
    auth: Authenticated,
    path: Result<Path<String>, PathRejection>,
) -> Result<WebexJson<PersonView>> {
    auth.caller.require(Need::PeopleRead)?;
    let Path(id) = path.map_err(|_| Error::not_found("Person is not found."))?;
    auth.world
        .read(|m| people::get(m, &auth.caller, &id))
        .map(WebexJson)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    email: Option<String>,
    display_name: Option<String>,
    id: Option<String>,
    max: Option<String>,
    cursor: Option<String>,
}

/// List People.
#[utoipa::path(
    get,
    path = "/v1/people",
    tag = "People",
    params(
        ("email" = Option<String>, Query, description = "People with this email."),
        ("displayName" = Option<String>, Query, description = "People whose name starts with this."),
        ("id" = Option<String>, Query, description = "Up to 85 person ids, comma-separated."),
        ("max" = Option<String>, Query, description = "Page size, 1 to 1000 (default 100)."),
        ("cursor" = Option<String>, Query, description = "Where the page starts, from a `Link` header."),
    ),
    responses(
        (status = 200, description = "One page; `Link: <...>; rel=\"next\"` when there are more.", body = PersonPage,
            headers(("Link" = String, description = "The next page's absolute URL."))),
        ApiErrors
    ),
    security(("bearer" = []))
)]
async fn list_people(
    auth: Authenticated,
    query: Result<Query<ListQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response> {
    auth.caller.require(Need::PeopleRead)?;
    let Query(q) = query.map_err(query_error)?;
    let offset = match q.cursor.as_deref() {
        None | Some("") => 0,
        Some(cursor) => decode_cursor(cursor)?,
    };
    let filters = PeopleQuery {
        email: q.email,
        display_name: q.display_name,
        ids: q.id,
        max: q.max,
        offset,
    };
    let page = auth
        .world
        .read(|m| people::list(m, &auth.caller, &filters))?;
    let link = page
        .next_offset
        .map(|next| next_link(&headers, &filters, next));
    let mut response = WebexJson(page).into_response();
    if let Some(link) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(LINK, link);
    }
    Ok(response)
}

/// The cursor is opaque to clients; inside, it is where the next page starts.
fn encode_cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

fn decode_cursor(cursor: &str) -> Result<usize> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("offset:")?.parse().ok())
        .ok_or_else(|| Error::bad_request(format!("The cursor '{cursor}' is not valid.")))
}

/// An absolute next-page URL that keeps every filter and `max` (never `max=null`).
fn next_link(headers: &HeaderMap, filters: &PeopleQuery, next: usize) -> String {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let mut params: Vec<(&str, String)> = Vec::new();
    let filled = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    if let Some(v) = filled(&filters.email) {
        params.push(("email", v));
    }
    // Kept as given: the domain matches the prefix untrimmed ("Ann " is not "Ann"), so a
    // trimmed value would change the filter between pages.
    if let Some(v) = filters
        .display_name
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        params.push(("displayName", v.to_owned()));
    }
    if let Some(v) = filled(&filters.ids) {
        params.push(("id", v));
    }
    let max = filled(&filters.max).unwrap_or_else(|| people::DEFAULT_MAX.to_string());
    params.push(("max", max));
    params.push(("cursor", encode_cursor(next)));
    let query = serde_urlencoded::to_string(&params).unwrap_or_default();
    format!("<http://{host}/v1/people?{query}>; rel=\"next\"")
}
