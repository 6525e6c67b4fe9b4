//! Worlds and their state: create (from the built-in seed, the server's seed or a posted
//! fixture), list, delete, reset, export and replace.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::http::webex::WebexJson;
use serde::{Deserialize, Serialize};

use crate::domain::model::Model;
use crate::domain::seed::{self, Seed};
use crate::error::{Error, Result};
use crate::http::extract::{parse_body, read_body, read_json};
use crate::openapi::ControlErrors;
use crate::store::{World, DEFAULT_WORLD};
use crate::AppState;

/// Largest state or fixture accepted: a whole world, well beyond the built-in seed.
pub const STATE_LIMIT: usize = 64 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/worlds", get(list_worlds).post(create_world))
        .route("/worlds/{id}", get(get_world).delete(delete_world))
        .route("/worlds/{id}/reset", post(reset_world))
        .route("/worlds/{id}/state", get(export_state).put(replace_state))
        // The default world, without its id.
        .route("/reset", post(reset_default))
        .route("/state", get(export_default).put(replace_default))
}

/// Body of `POST /worlds`; empty means the built-in seed.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateWorld {
    /// `builtIn` (the default) or `server` (the seed the server started from).
    from: Option<String>,
    /// A whole state in the seed format, checked like a seed file.
    fixture: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct WorldView {
    id: String,
    /// The first token whose holder may update tracking codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    admin_token: Option<String>,
    tokens: Vec<TokenView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct TokenView {
    /// The token to send: unique to this world.
    token: String,
    /// The seed's token it stands for.
    seed_token: String,
    person_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct WorldList {
    items: Vec<WorldView>,
}

fn view(state: &AppState, world: &World) -> WorldView {
    let issued = state.worlds.tokens_of(world);
    world.read(|m| {
        let admin_seed_token = m.default_admin_token();
        let tokens: Vec<TokenView> = issued
            .into_iter()
            .filter_map(|t| {
                let token = m.tokens.get(&t.seed_token)?;
                Some(TokenView {
                    email: m
                        .person(&token.person_id)
                        .map(|p| p.primary_email().to_owned()),
                    person_id: token.person_id.clone(),
                    scopes: token.scopes.iter().cloned().collect(),
                    description: token.description.clone(),
                    seed_token: t.seed_token,
                    token: t.token,
                })
            })
            .collect();
        WorldView {
            id: world.id().to_owned(),
            admin_token: tokens
                .iter()
                .find(|t| Some(t.seed_token.as_str()) == admin_seed_token)
                .map(|t| t.token.clone()),
            tokens,
        }
    })
}

fn find(state: &AppState, id: &str) -> Result<Arc<World>> {
    state
        .worlds
        .get(id)
        .ok_or_else(|| Error::not_found(format!("World '{id}' is not found.")))
}

/// A fixture or posted state, checked by the seed rules; problems name the JSON path.
fn load_state(json: &serde_json::Value, what: &str) -> Result<Model> {
    let bytes = serde_json::to_vec(json).unwrap_or_default();
    seed::load(&bytes).map_err(|e| Error::bad_request(format!("{what}: {e}")))
}

/// List the worlds, the default first.
#[utoipa::path(
    get,
    path = "/_emulator/worlds",
    tag = "Control",
    responses((status = 200, description = "Every world and its tokens.", body = WorldList), ControlErrors)
)]
async fn list_worlds(State(state): State<AppState>) -> WebexJson<WorldList> {
    let items = state
        .worlds
        .ids()
        .iter()
        .filter_map(|id| state.worlds.get(id))
        .map(|w| view(&state, &w))
        .collect();
    WebexJson(WorldList { items })
}

/// Create a world from the built-in seed (empty body), the server's seed (`{"from": "server"}`) or a fixture in the seed format (`{"fixture": {...}}`).
#[utoipa::path(
    post,
    path = "/_emulator/worlds",
    tag = "Control",
    request_body(content = Option<CreateWorld>, content_type = "application/json"),
    responses((status = 201, description = "The world, with a fresh token for each of its seed's tokens.", body = WorldView), ControlErrors)
)]
async fn create_world(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let bytes = read_body(&headers, body, STATE_LIMIT).await?;
    let request: CreateWorld = if bytes.iter().all(u8::is_ascii_whitespace) {
        CreateWorld::default()
    } else {
        parse_body(&headers, &bytes, &[])?
    };
    let initial = match (request.fixture, request.from.as_deref()) {
        (Some(fixture), None) => Arc::new(load_state(&fixture, "fixture")?),
        (Some(_), Some(_)) => {
            return Err(Error::bad_request("Give 'from' or 'fixture', not both."))
        }
        (None, None | Some("builtIn")) => Arc::clone(&state.seeds.built_in),
        (None, Some("server")) => Arc::clone(&state.seeds.server),
        (None, Some(other)) => {
            return Err(Error::bad_request(format!(
                "'from' is 'builtIn' or 'server', not '{other}'."
            )))
        }
    };
    let (world, _) = state.worlds.create(initial);
    Ok((StatusCode::CREATED, WebexJson(view(&state, &world))).into_response())
}

/// A world and its tokens.
#[utoipa::path(
    get,
    path = "/_emulator/worlds/{id}",
    tag = "Control",
    params(("id" = String, Path, description = "The world's id; `default` is the default world.")),
    responses((status = 200, description = "The world.", body = WorldView), ControlErrors)
)]
async fn get_world(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<WebexJson<WorldView>> {
    let world = find(&state, &id)?;
    Ok(WebexJson(view(&state, &world)))
}

/// Delete a world; its tokens stop working.
#[utoipa::path(
    delete,
    path = "/_emulator/worlds/{id}",
    tag = "Control",
    params(("id" = String, Path, description = "The world's id; `default` is the default world.")),
    responses((status = 204, description = "Deleted."), ControlErrors)
)]
async fn delete_world(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode> {
    if id == DEFAULT_WORLD {
        return Err(Error::Conflict(
            "The default world cannot be deleted; reset it instead.".to_owned(),
        ));
    }
    if state.worlds.delete(&id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::not_found(format!("World '{id}' is not found.")))
    }
}

/// Put a world back to the state it started from.
#[utoipa::path(
    post,
    path = "/_emulator/worlds/{id}/reset",
    tag = "Control",
    params(("id" = String, Path, description = "The world's id; `default` is the default world.")),
    responses((status = 204, description = "Reset."), ControlErrors)
)]
async fn reset_world(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode> {
    let world = find(&state, &id)?;
    state.worlds.reset(&world);
    state.durable(&world).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A world's whole state, in the seed format.
#[utoipa::path(
    get,
    path = "/_emulator/worlds/{id}/state",
    tag = "Control",
    params(("id" = String, Path, description = "The world's id; `default` is the default world.")),
    responses((status = 200, description = "The state.", body = Seed), ControlErrors)
)]
async fn export_state(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<WebexJson<Seed>> {
    let world = find(&state, &id)?;
    Ok(WebexJson(world.read(seed::export)))
}

/// Replace a world's whole state, checked like a seed file (all or nothing).
#[utoipa::path(
    put,
    path = "/_emulator/worlds/{id}/state",
    tag = "Control",
    params(("id" = String, Path, description = "The world's id; `default` is the default world.")),
    request_body = Seed,
    responses((status = 204, description = "Replaced."), ControlErrors)
)]
async fn replace_state(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode> {
    let world = find(&state, &id)?;
    let posted: serde_json::Value = read_json(&headers, body, STATE_LIMIT, &[]).await?;
    let model = load_state(&posted, "state")?;
    state.worlds.replace(&world, model);
    state.durable(&world).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reset the default world to the server's seed.
#[utoipa::path(
    post,
    path = "/_emulator/reset",
    tag = "Control",
    responses((status = 204, description = "Reset."), ControlErrors)
)]
async fn reset_default(state: State<AppState>) -> Result<StatusCode> {
    reset_world(state, Path(DEFAULT_WORLD.to_owned())).await
}

/// The default world's whole state, in the seed format.
#[utoipa::path(
    get,
    path = "/_emulator/state",
    tag = "Control",
    responses((status = 200, description = "The state.", body = Seed), ControlErrors)
)]
async fn export_default(state: State<AppState>) -> Result<WebexJson<Seed>> {
    export_state(state, Path(DEFAULT_WORLD.to_owned())).await
}

/// Replace the default world's whole state (all or nothing).
#[utoipa::path(
    put,
    path = "/_emulator/state",
    tag = "Control",
    request_body = Seed,
    responses((status = 204, description = "Replaced."), ControlErrors)
)]
async fn replace_default(
    state: State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode> {
    replace_state(state, Path(DEFAULT_WORLD.to_owned()), headers, body).await
}
