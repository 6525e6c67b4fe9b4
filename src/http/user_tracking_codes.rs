//! `/admin/meeting/userconfig/trackingCodes`: Get and Update User Tracking Codes.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::extract::{header_text, json_body, Authenticated};
use super::webex::WebexJson;
use crate::domain::access::Need;
use crate::domain::user_codes::{self, GetRequest, UpdateRequest, UserCodes};
use crate::error::{Error, Result};
use crate::openapi::ApiErrors;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/v1/admin/meeting/userconfig/trackingCodes",
        get(get_user_codes).put(update_user_codes),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetQuery {
    site_url: Option<String>,
    person_id: Option<String>,
}

/// Get User Tracking Codes.
#[utoipa::path(
    get,
    path = "/v1/admin/meeting/userconfig/trackingCodes",
    tag = "Tracking Codes",
    params(
        ("siteUrl" = Option<String>, Query, description = "The site; left out, the caller's preferred site."),
        ("personId" = Option<String>, Query, description = "The person; `personId` or the `email` header is required."),
        ("email" = Option<String>, Header, description = "The person's email, when `personId` is not given."),
    ),
    responses((status = 200, description = "The person's values on the site.", body = UserCodes), ApiErrors),
    security(("bearer" = []))
)]
async fn get_user_codes(
    auth: Authenticated,
    query: Result<Query<GetQuery>, QueryRejection>,
    request: Request,
) -> Result<WebexJson<UserCodes>> {
    auth.caller.require(Need::AdminScheduleRead)?;
    let Query(query) = query.map_err(|e| Error::bad_request(e.body_text()))?;
    let req = GetRequest {
        site_url: query.site_url,
        person_id: query.person_id,
        email: header_text(request.headers(), "email"),
    };
    auth.world
        .read(|m| user_codes::get(m, &auth.caller, &req))
        .map(WebexJson)
}

/// Update User Tracking Codes.
#[utoipa::path(
    put,
    path = "/v1/admin/meeting/userconfig/trackingCodes",
    tag = "Tracking Codes",
    request_body = UpdateRequest,
    responses((status = 200, description = "Every value of the person on the site.", body = UserCodes), ApiErrors),
    security(("bearer" = []))
)]
async fn update_user_codes(
    State(state): State<AppState>,
    auth: Authenticated,
    request: Request,
) -> Result<WebexJson<UserCodes>> {
    auth.caller.require(Need::AdminScheduleWrite)?;
    let req: UpdateRequest = json_body(request).await?;
    state
        .change(&auth.world, |m| user_codes::update(m, &auth.caller, &req))
        .await
        .map(WebexJson)
}
