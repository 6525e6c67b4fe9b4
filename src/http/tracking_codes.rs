//! `/admin/meeting/config/trackingCodes`: List, Get, Create, Update and Delete a Tracking Code.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::extract::{json_body_of_objects, query_error, Authenticated};
use super::webex::WebexJson;
use crate::domain::access::Need;
use crate::domain::lookup::given;
use crate::domain::site_codes::{self, CodeInput, CodeList, CodeView};
use crate::error::{Error, Result};
use crate::openapi::ApiErrors;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/admin/meeting/config/trackingCodes",
            get(list_codes).post(create_code),
        )
        .route(
            "/v1/admin/meeting/config/trackingCodes/{trackingCodeId}",
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

/// List Tracking Codes.
#[utoipa::path(
    get,
    path = "/v1/admin/meeting/config/trackingCodes",
    tag = "Tracking Codes",
    params(("siteUrl" = Option<String>, Query, description = "The site; left out, the caller's preferred site.")),
    responses((status = 200, description = "The site's codes, ordered by id.", body = CodeList), ApiErrors),
    security(("bearer" = []))
)]
async fn list_codes(auth: Authenticated, query: SiteParam) -> Result<WebexJson<CodeList>> {
    auth.caller.require(Need::AdminScheduleRead)?;
    let site = site_url(query)?;
    auth.world
        .read(|m| site_codes::list(m, &auth.caller, site.as_deref()))
        .map(WebexJson)
}

/// Get a Tracking Code.
#[utoipa::path(
    get,
    path = "/v1/admin/meeting/config/trackingCodes/{trackingCodeId}",
    tag = "Tracking Codes",
    params(("trackingCodeId" = String, Path, description = "The code's id on the site."), ("siteUrl" = Option<String>, Query, description = "The site; left out, the caller's preferred site.")),
    responses((status = 200, description = "The code.", body = CodeView), ApiErrors),
    security(("bearer" = []))
)]
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

/// Create a Tracking Code.
#[utoipa::path(
    post,
    path = "/v1/admin/meeting/config/trackingCodes",
    tag = "Tracking Codes",
    request_body = CodeInput,
    responses((status = 200, description = "The new code.", body = CodeView), ApiErrors),
    security(("bearer" = []))
)]
async fn create_code(
    State(state): State<AppState>,
    auth: Authenticated,
    request: Request,
) -> Result<WebexJson<CodeView>> {
    auth.caller.require(Need::AdminScheduleWrite)?;
    let input: CodeInput = json_body_of_objects(request, OBJECT_ARRAYS).await?;
    let code = state
        .change(&auth.world, |m| site_codes::create(m, &auth.caller, &input))
        .await?;
    Ok(WebexJson(code))
}

/// Update a Tracking Code.
#[utoipa::path(
    put,
    path = "/v1/admin/meeting/config/trackingCodes/{trackingCodeId}",
    tag = "Tracking Codes",
    params(("trackingCodeId" = String, Path, description = "The code's id on the site.")),
    request_body = CodeInput,
    responses((status = 200, description = "The code as updated.", body = CodeView), ApiErrors),
    security(("bearer" = []))
)]
async fn update_code(
    State(state): State<AppState>,
    auth: Authenticated,
    path: Result<Path<String>, PathRejection>,
    request: Request,
) -> Result<WebexJson<CodeView>> {
    auth.caller.require(Need::AdminScheduleWrite)?;
    let id = code_id(path)?;
    let input: CodeInput = json_body_of_objects(request, OBJECT_ARRAYS).await?;
    let code = state
        .change(&auth.world, |m| {
            site_codes::update(m, &auth.caller, &id, &input)
        })
        .await?;
    Ok(WebexJson(code))
}

/// Delete a Tracking Code.
#[utoipa::path(
    delete,
    path = "/v1/admin/meeting/config/trackingCodes/{trackingCodeId}",
    tag = "Tracking Codes",
    params(("trackingCodeId" = String, Path, description = "The code's id on the site."), ("siteUrl" = String, Query, description = "The site (required).")),
    responses((status = 204, description = "Deleted, with every user's value for it."), ApiErrors),
    security(("bearer" = []))
)]
async fn delete_code(
    State(state): State<AppState>,
    auth: Authenticated,
    path: Result<Path<String>, PathRejection>,
    query: SiteParam,
) -> Result<StatusCode> {
    auth.caller.require(Need::AdminScheduleWrite)?;
    let (id, site) = (code_id(path)?, site_url(query)?);
    state
        .change(&auth.world, |m| {
            site_codes::delete(m, &auth.caller, &id, site.as_deref())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
