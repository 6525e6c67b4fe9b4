//! The journal, fault rules and rate limit, as the control plane shows and changes them.

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
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

#[derive(Debug, Serialize)]
struct Items<T> {
    items: Vec<T>,
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

async fn list_journal(
    State(state): State<AppState>,
    query: Result<Query<JournalQuery>, QueryRejection>,
) -> Result<WebexJson<Items<Entry>>> {
    let Query(q) = query.map_err(query_error)?;
    let filter = Filter {
        status: number("status", q.status)?,
        after: number("after", q.after)?,
        limit: number("limit", q.limit)?,
        method: q.method.filter(|m| !m.is_empty()),
        path: q.path.filter(|p| !p.is_empty()),
        world: q.world.filter(|w| !w.is_empty()),
    };
    Ok(WebexJson(Items {
        items: state.gateway.journal.list(&filter),
    }))
}

async fn clear_journal(State(state): State<AppState>) -> StatusCode {
    state.gateway.journal.clear();
    StatusCode::NO_CONTENT
}

async fn list_faults(State(state): State<AppState>) -> WebexJson<Items<RuleView>> {
    WebexJson(Items {
        items: state.gateway.faults.list(),
    })
}

async fn add_fault(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let input: RuleInput = json_body(&headers, body).await?;
    if let Some(world) = input.world.as_deref() {
        if state.worlds.get(world).is_none() {
            return Err(Error::not_found(format!("World '{world}' is not found.")));
        }
    }
    let rule = state.gateway.faults.add(input).map_err(Error::BadRequest)?;
    Ok((StatusCode::CREATED, WebexJson(rule)).into_response())
}

async fn remove_fault(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode> {
    if state.gateway.faults.remove(&id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::not_found(format!("Fault rule '{id}' is not found.")))
    }
}

async fn clear_faults(State(state): State<AppState>) -> StatusCode {
    state.gateway.faults.clear();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Serialize)]
struct RateLimitView {
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<Limit>,
}

async fn get_rate_limit(State(state): State<AppState>) -> WebexJson<RateLimitView> {
    WebexJson(RateLimitView {
        limit: state.gateway.rate_limit.limit(),
    })
}

async fn set_rate_limit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<WebexJson<RateLimitView>> {
    let limit: Limit = json_body(&headers, body).await?;
    let limit = limit.check().map_err(Error::bad_request)?;
    state.gateway.rate_limit.set(Some(limit));
    Ok(WebexJson(RateLimitView { limit: Some(limit) }))
}

async fn lift_rate_limit(State(state): State<AppState>) -> StatusCode {
    state.gateway.rate_limit.set(None);
    StatusCode::NO_CONTENT
}
