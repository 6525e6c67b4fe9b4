//! `/admin/meeting/config/trackingCodes`: List, Get, Create, Update and Delete a Tracking Code.

use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::extract::{json_body_of_objects, query_error, Authenticated};
use super::webex::WebexJson;
use crate::domain::access::Need;
use crate::domain::lookup::given;
use crate::domain::site_codes::{self, CodeInput, CodeList, CodeView};
use crate::error::{Error, Result};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/meeting/config/trackingCodes",
            get(list_codes).post(create_code),
        )
        .route(
            "/admin/meeting/config/trackingCodes/{trackingCodeId}",
            get(get_code).put(update_code).delete(delete_code),
        )
}

/// Arrays of the body whose items must be objects.
const OBJECT_ARRAYS: &[&str] = &["options", "scheduleStartCodes"];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SiteQuery {
    site_url: Option<String>,
}

type SiteParam = Result<Query<SiteQuery>, QueryRejection>;

fn site_url(query: SiteParam) -> Result<Option<String>> {
    let Query(q) = query.map_err(query_error)?;
    Ok(given(&q.site_url).map(str::to_owned))
}

fn code_id(path: Result<Path<String>, PathRejection>) -> Result<String> {
    path.map(|Path(id)| id)
        .map_err(|_| Error::not_found("Tracking code ID is invalid."))
}

async fn list_codes(auth: Authenticated, query: SiteParam) -> Result<WebexJson<CodeList>> {
    auth.caller.require(Need::AdminScheduleRead)?;
    let site = site_url(query)?;
    auth.world
        .read(|m| site_codes::list(m, &auth.caller, site.as_deref()))
        .map(WebexJson)
}

async fn get_code(
    auth: Authenticated,
    path: Result<Path<String>, PathRejection>,
    query: SiteParam,
) -> Result<WebexJson<CodeView>> {
    auth.caller.require(Need::AdminScheduleRead)?;
    let (id, site) = (code_id(path)?, site_url(query)?);
    auth.world
        .read(|m| site_codes::get(m, &auth.caller, &id, site.as_deref()))
        .map(WebexJson)
}

async fn create_code(
    auth: Authenticated,
    headers: HeaderMap,
    body: Body,
) -> Result<WebexJson<CodeView>> {
    auth.caller.require(Need::AdminScheduleWrite)?;
    let input: CodeInput = json_body_of_objects(&headers, body, OBJECT_ARRAYS).await?;
    auth.world
        .transact(|m| site_codes::create(m, &auth.caller, &input))
        .map(WebexJson)
}

async fn update_code(
    auth: Authenticated,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<WebexJson<CodeView>> {
    auth.caller.require(Need::AdminScheduleWrite)?;
    let id = code_id(path)?;
    let input: CodeInput = json_body_of_objects(&headers, body, OBJECT_ARRAYS).await?;
    auth.world
        .transact(|m| site_codes::update(m, &auth.caller, &id, &input))
        .map(WebexJson)
}

async fn delete_code(
    auth: Authenticated,
    path: Result<Path<String>, PathRejection>,
    query: SiteParam,
) -> Result<StatusCode> {
    auth.caller.require(Need::AdminScheduleWrite)?;
    let (id, site) = (code_id(path)?, site_url(query)?);
    auth.world
        .transact(|m| site_codes::delete(m, &auth.caller, &id, site.as_deref()))
        .map(|()| StatusCode::NO_CONTENT)
}
