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
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/meetings/trackingCodes", get(meeting_codes))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MeetingCodesQuery {
    service: Option<String>,
    site_url: Option<String>,
    host_email: Option<String>,
}

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
