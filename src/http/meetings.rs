//! `/meetings/trackingCodes`: List Meeting Tracking Codes (the host's view).

use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::extract::{query_error, Authenticated};
use super::webex::WebexJson;
use crate::domain::access::Need;
use crate::domain::lookup::given;
use crate::domain::meeting_codes::{self, MeetingCodeList};
use crate::error::Result;
use crate::openapi::ApiErrors;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/meetings/trackingCodes", get(meeting_codes))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MeetingCodesQuery {
    service: Option<String>,
    site_url: Option<String>,
    host_email: Option<String>,
}

/// List Meeting Tracking Codes.
#[utoipa::path(
    get,
    path = "/v1/meetings/trackingCodes",
    tag = "Tracking Codes",
    params(
        ("service" = String, Query, description = "All, MeetingCenter, EventCenter, TrainingCenter or SupportCenter."),
        ("siteUrl" = Option<String>, Query, description = "The site; left out, the host's preferred site."),
        ("hostEmail" = Option<String>, Query, description = "The host, for an admin; left out, the caller."),
    ),
    responses((status = 200, description = "The site's codes with the host's values as defaults.", body = MeetingCodeList), ApiErrors),
    security(("bearer" = []))
)]
async fn meeting_codes(
    auth: Authenticated,
    query: Result<Query<MeetingCodesQuery>, QueryRejection>,
) -> Result<WebexJson<MeetingCodeList>> {
    auth.caller.require(Need::SchedulesRead)?;
    let Query(q) = query.map_err(query_error)?;
    auth.world
        .read(|m| {
            meeting_codes::list(
                m,
                &auth.caller,
                given(&q.service),
                given(&q.site_url),
                given(&q.host_email),
            )
        })
        .map(WebexJson)
}
