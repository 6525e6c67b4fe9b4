//! The journal, fault rules and rate limit, as the control plane shows and changes them.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::Router;

use crate::http::webex::WebexJson;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::gateway::faults::{RuleInput, RuleView};
use crate::gateway::journal::{Entry, Filter};
use crate::gateway::rate_limit::Limit;
use crate::http::extract::{json_body, query_error};
use crate::openapi::ControlErrors;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/journal", get(list_journal).delete(clear_journal))
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/faults/{id}", delete(remove_fault))
        .route(
            "/rate-limit",
            get(get_rate_limit)
                .put(set_rate_limit)
                .delete(lift_rate_limit),
        )
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct JournalList {
    items: Vec<Entry>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct FaultList {
    items: Vec<RuleView>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JournalQuery {
    method: Option<String>,
    path: Option<String>,
    status: Option<String>,
    world: Option<String>,
    after: Option<String>,
    limit: Option<String>,
}

fn number<T: std::str::FromStr>(name: &str, value: Option<String>) -> Result<Option<T>> {
    value
        .filter(|v| !v.trim().is_empty())
        .map(|v| {
            v.trim().parse().map_err(|_| {
                Error::bad_request(format!("'{name}' must be a whole number, not '{v}'."))
            })
        })
        .transpose()
}

/// The recent requests to /v1, oldest first.
#[utoipa::path(
    get,
    path = "/_emulator/journal",
    tag = "Control",
    params(
        ("method" = Option<String>, Query, description = "Only this method."),
        ("path" = Option<String>, Query, description = "Only this path; `*` stands for any run of characters."),
        ("status" = Option<u16>, Query, description = "Only this status (0: dropped by a fault)."),
        ("world" = Option<String>, Query, description = "Only this world."),
        ("after" = Option<u64>, Query, description = "Only entries with a larger `seq`."),
        ("limit" = Option<usize>, Query, description = "Only the last this many."),
    ),
    responses((status = 200, description = "The entries.", body = JournalList), ControlErrors)
)]
async fn list_journal(
    State(state): State<AppState>,
    query: Result<Query<JournalQuery>, QueryRejection>,
) -> Result<WebexJson<JournalList>> {
    let Query(q) = query.map_err(query_error)?;
    let filter = Filter {
        status: number("status", q.status)?,
        after: number("after", q.after)?,
        limit: number("limit", q.limit)?,
        method: q.method.filter(|m| !m.is_empty()),
        path: q.path.filter(|p| !p.is_empty()),
        world: q.world.filter(|w| !w.is_empty()),
    };
    Ok(WebexJson(JournalList {
        items: state.gateway.journal.list(&filter),
    }))
}

/// Empty the journal.
#[utoipa::path(
    delete,
    path = "/_emulator/journal",
    tag = "Control",
    responses((status = 204, description = "Emptied."), ControlErrors)
)]
async fn clear_journal(State(state): State<AppState>) -> StatusCode {
    state.gateway.journal.clear();
    StatusCode::NO_CONTENT
}

/// The fault rules, in the order they are tried.
#[utoipa::path(
    get,
    path = "/_emulator/faults",
    tag = "Control",
    responses((status = 200, description = "The rules.", body = FaultList), ControlErrors)
)]
async fn list_faults(State(state): State<AppState>) -> WebexJson<FaultList> {
    WebexJson(FaultList {
        items: state.gateway.faults.list(),
    })
}

/// Add a fault rule.
#[utoipa::path(
    post,
    path = "/_emulator/faults",
    tag = "Control",
    request_body = RuleInput,
    responses((status = 201, description = "The rule.", body = RuleView), ControlErrors)
)]
async fn add_fault(State(state): State<AppState>, request: Request) -> Result<Response> {
    let input: RuleInput = json_body(request).await?;
    if let Some(world) = input.world.as_deref() {
        if state.worlds.get(world).is_none() {
            return Err(Error::not_found(format!("World '{world}' is not found.")));
        }
    }
    let rule = state.gateway.faults.add(input).map_err(Error::BadRequest)?;
    Ok((StatusCode::CREATED, WebexJson(rule)).into_response())
}

/// Remove a fault rule.
#[utoipa::path(
    delete,
    path = "/_emulator/faults/{id}",
    tag = "Control",
    params(("id" = String, Path, description = "The rule's id.")),
    responses((status = 204, description = "Removed."), ControlErrors)
)]
async fn remove_fault(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode> {
    if state.gateway.faults.remove(&id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::not_found(format!("Fault rule '{id}' is not found.")))
    }
}

/// Remove every fault rule.
#[utoipa::path(
    delete,
    path = "/_emulator/faults",
    tag = "Control",
    responses((status = 204, description = "Removed."), ControlErrors)
)]
async fn clear_faults(State(state): State<AppState>) -> StatusCode {
    state.gateway.faults.clear();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct RateLimitView {
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<Limit>,
}

/// The rate limit per token, if any.
#[utoipa::path(
    get,
    path = "/_emulator/rate-limit",
    tag = "Control",
    responses((status = 200, description = "The limit (absent: none).", body = RateLimitView), ControlErrors)
)]
async fn get_rate_limit(State(state): State<AppState>) -> WebexJson<RateLimitView> {
    WebexJson(RateLimitView {
        limit: state.gateway.rate_limit.limit(),
    })
}

/// Set the rate limit per token; counting starts afresh.
#[utoipa::path(
    put,
    path = "/_emulator/rate-limit",
    tag = "Control",
    request_body = Limit,
    responses((status = 200, description = "The limit.", body = RateLimitView), ControlErrors)
)]
async fn set_rate_limit(
    State(state): State<AppState>,
    request: Request,
) -> Result<WebexJson<RateLimitView>> {
    let limit: Limit = json_body(request).await?;
    let limit = limit.check().map_err(Error::bad_request)?;
    state.gateway.rate_limit.set(Some(limit));
    Ok(WebexJson(RateLimitView { limit: Some(limit) }))
}

/// Lift the rate limit.
#[utoipa::path(
    delete,
    path = "/_emulator/rate-limit",
    tag = "Control",
    responses((status = 204, description = "Lifted."), ControlErrors)
)]
async fn lift_rate_limit(State(state): State<AppState>) -> StatusCode {
    state.gateway.rate_limit.set(None);
    StatusCode::NO_CONTENT
}
