//! `/meetingPreferences/sites`: Get Site List.

use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::extract::{query_error, Authenticated};
use super::webex::WebexJson;
use crate::domain::access::Need;
use crate::domain::lookup::given;
use crate::domain::sites::{self, SiteList};
use crate::error::Result;
use crate::openapi::ApiErrors;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/meetingPreferences/sites", get(site_list))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SitesQuery {
    user_email: Option<String>,
    site_url: Option<String>,
}

/// Get Site List.
#[utoipa::path(
    get,
    path = "/v1/meetingPreferences/sites",
    tag = "Meeting Preferences",
    params(
        ("userEmail" = Option<String>, Query, description = "Another user, for an admin."),
        ("siteUrl" = Option<String>, Query, description = "A site the user must be able to use."),
    ),
    responses((status = 200, description = "The user's sites and which is the default.", body = SiteList), ApiErrors),
    security(("bearer" = []))
)]
async fn site_list(
    auth: Authenticated,
    query: Result<Query<SitesQuery>, QueryRejection>,
) -> Result<WebexJson<SiteList>> {
    auth.caller.require(Need::PreferencesRead)?;
    let Query(q) = query.map_err(query_error)?;
    auth.world
        .read(|m| sites::list(m, &auth.caller, given(&q.user_email), given(&q.site_url)))
        .map(WebexJson)
}
