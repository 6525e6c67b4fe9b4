//! The control plane's health, worlds and state (`/_emulator`, contract section 4): worlds
//! made from the built-in seed, the server's seed or a fixture, isolated from each other
//! (also under parallel writes), deleted; state exported, replaced (all or nothing) and reset.

use std::collections::BTreeSet;

use reqwest::{Method, Response};
use serde_json::{json, Value};
use webex_emulator::Options;

use crate::helpers::*;

const MESSAGE_409: &str = "The request could not be processed because it conflicts with some established rule of the system.";

/// The tokens of the built-in seed, in seed order.
const SEED_TOKENS: [&str; 6] = [
    ADMIN,
    READONLY_ADMIN,
    USER,
    ORG2_ADMIN,
    ADMIN_NO_SCOPES,
    "webex-emulator-john",
];

/// The Webex docs' example of an update: John on example.webex.com.
fn docs_example() -> Value {
    json!({
        "siteUrl": "example.webex.com",
        "personId": JOHN_ID,
        "email": "john.andersen@example.com",
        "trackingCodes": [
            {"name": "Department", "value": "Sales"},
            {"name": "Division", "value": "Part-time"}
        ]
    })
}

fn triples(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    list.iter()
        .map(|(i, n, v)| (i.to_string(), n.to_string(), v.to_string()))
        .collect()
}

/// John's values on example.webex.com in the built-in seed.
fn john_seeded() -> Vec<(String, String, String)> {
    triples(&[
        ("1", "Department", "Engineering"),
        ("2", "Division", "Full-time"),
    ])
}

/// John's values after the docs example.
fn john_after_docs_example() -> Vec<(String, String, String)> {
    triples(&[("1", "Department", "Sales"), ("2", "Division", "Part-time")])
}

/// John's values on example.webex.com, read with `token`.
async fn john_now(app: &TestApp, token: &str) -> Vec<(String, String, String)> {
    codes(&assert_ok(app.get_user_codes(token, SITE, JOHN_ID).await).await)
}

/// John's value of `name` on example.webex.com in a seed-format JSON.
fn john_value_in_state<'a>(state: &'a Value, name: &str) -> Option<&'a str> {
    state["userTrackingCodes"]
        .as_array()
        .expect("userTrackingCodes[]")
        .iter()
        .find(|e| e["siteUrl"] == SITE && e["personId"] == JOHN_ID)?["trackingCodes"]
        .as_array()?
        .iter()
        .find(|c| c["name"] == name)?["value"]
        .as_str()
}

/// Sets John's value of `name` on example.webex.com in a seed-format JSON.
fn set_john_value_in_state(state: &mut Value, name: &str, value: &str) {
    let entry = state["userTrackingCodes"]
        .as_array_mut()
        .expect("userTrackingCodes[]")
        .iter_mut()
        .find(|e| e["siteUrl"] == SITE && e["personId"] == JOHN_ID)
        .expect("John's values on the site");
    let code = entry["trackingCodes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["name"] == name)
        .expect("the code among John's values");
    code["value"] = value.into();
}

/// `POST /_emulator/worlds` with a JSON body.
async fn create_with(app: &TestApp, body: &Value) -> Response {
    app.control(Method::POST, "/worlds")
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Asserts a 201 world answer with Webex's JSON content type; returns the body.
async fn assert_created(response: Response) -> Value {
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").cloned();
    tracking_id(&response);
    let body: Value = response.json().await.expect("a JSON world");
    assert_eq!(status, 201, "status, body {body}");
    assert_eq!(content_type.unwrap(), "application/json;charset=UTF-8");
    body
}

fn scope_set(scopes: &Value) -> BTreeSet<&str> {
    scopes
        .as_array()
        .expect("scopes[]")
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

fn world_id(world: &Value) -> String {
    world["id"].as_str().expect("an id").to_owned()
}

fn admin_token(world: &Value) -> String {
    world["adminToken"]
        .as_str()
        .expect("an adminToken")
        .to_owned()
}

/// The world's token standing for `seed_token`.
fn token_for(world: &Value, seed_token: &str) -> String {
    world["tokens"]
        .as_array()
        .expect("tokens[]")
        .iter()
        .find(|t| t["seedToken"] == seed_token)
        .unwrap_or_else(|| panic!("no token for {seed_token} in {world}"))["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn get_state(app: &TestApp, path: &str) -> Value {
    let response = app.control(Method::GET, path).send().await.unwrap();
    assert_ok(response).await
}

async fn put_state(app: &TestApp, path: &str, state: &Value) -> Response {
    app.control(Method::PUT, path)
        .json(state)
        .send()
        .await
        .unwrap()
}

async fn assert_no_content(response: Response) {
    let status = response.status().as_u16();
    tracking_id(&response);
    let body = response.bytes().await.unwrap();
    assert_eq!(status, 204, "status, body {body:?}");
    assert!(body.is_empty(), "a 204 has no body: {body:?}");
}

// ---------------------------------------------------------------------------------------
// Health

#[tokio::test]
async fn health_answers_ok_without_a_token() {
    let app = spawn_app().await;
    let response = app.control(Method::GET, "/health").send().await.unwrap();
    assert!(tracking_id(&response).starts_with("ROUTERGW_"));
    let body = assert_ok(response).await;
    assert_eq!(body["status"], "ok");
    assert_eq!(body["worlds"], 1);

    app.create_world().await;
    let body = assert_ok(app.control(Method::GET, "/health").send().await.unwrap()).await;
    assert_eq!(body["worlds"], 2);
}

// ---------------------------------------------------------------------------------------
// Creating worlds

#[tokio::test]
async fn a_world_from_an_empty_body_has_fresh_tokens_for_every_seed_token() {
    let app = spawn_app().await;
    let response = app.control(Method::POST, "/worlds").send().await.unwrap();
    let world = assert_created(response).await;
    let id = world_id(&world);
    assert!(id.starts_with("world-"), "{id}");
    assert_eq!(admin_token(&world), format!("{ADMIN}@{id}"));

    let tokens = world["tokens"].as_array().expect("tokens[]");
    let seed_tokens: Vec<&str> = tokens
        .iter()
        .map(|t| t["seedToken"].as_str().unwrap())
        .collect();
    assert_eq!(seed_tokens, SEED_TOKENS);
    let seed = built_in_seed();
    for (t, s) in tokens.iter().zip(seed["tokens"].as_array().unwrap()) {
        let seed_token = t["seedToken"].as_str().unwrap();
        assert_eq!(t["token"], format!("{seed_token}@{id}"), "{t}");
        assert_eq!(t["personId"], s["personId"], "{t}");
        assert!(t["email"].is_string(), "{t}");
        assert_eq!(scope_set(&t["scopes"]), scope_set(&s["scopes"]), "{t}");
    }
    let admin = &tokens[0];
    assert_eq!(admin["email"], MARIA_EMAIL);
    assert!(admin["scopes"]
        .as_array()
        .unwrap()
        .contains(&json!("meeting:admin_schedule_write")));
    assert_eq!(tokens[5]["personId"], JOHN_ID);
    assert_eq!(tokens[5]["email"], JOHN_EMAIL);
    // The admin without the meeting scopes is Maria too.
    assert_eq!(tokens[4]["email"], MARIA_EMAIL);
    assert_eq!(tokens[4]["scopes"], json!(["spark:people_read"]));

    // Two worlds never share a token.
    let other = app.create_world().await;
    assert_ne!(world_id(&other), id);
    assert_ne!(admin_token(&other), admin_token(&world));
}

#[tokio::test]
async fn worlds_start_from_the_built_in_seed_the_servers_seed_or_a_fixture() {
    // The server starts from a seed where John's Department is Marketing.
    let mut server_seed = built_in_seed();
    set_john_value_in_state(&mut server_seed, "Department", "Marketing");
    let app = spawn_app_with(server_seed.to_string().as_bytes(), Options::default()).await;
    let department = |c: &[(String, String, String)]| c[0].2.clone();
    assert_eq!(department(&john_now(&app, ADMIN).await), "Marketing");

    let empty = app.create_world().await;
    assert_eq!(
        john_now(&app, &admin_token(&empty)).await,
        john_seeded(),
        "an empty body is the built-in seed"
    );

    let built_in = assert_created(create_with(&app, &json!({"from": "builtIn"})).await).await;
    assert_eq!(john_now(&app, &admin_token(&built_in)).await, john_seeded());

    let server = assert_created(create_with(&app, &json!({"from": "server"})).await).await;
    assert_eq!(
        department(&john_now(&app, &admin_token(&server)).await),
        "Marketing"
    );

    let mut fixture = built_in_seed();
    set_john_value_in_state(&mut fixture, "Department", "Finance");
    let from_fixture =
        assert_created(create_with(&app, &json!({ "fixture": fixture })).await).await;
    assert_eq!(
        department(&john_now(&app, &admin_token(&from_fixture)).await),
        "Finance"
    );
    // The fixture's own tokens are handed out.
    assert_eq!(
        token_for(&from_fixture, "webex-emulator-john"),
        format!("webex-emulator-john@{}", world_id(&from_fixture))
    );
}

#[tokio::test]
async fn a_fixture_with_fewer_tokens_hands_out_only_those() {
    let app = spawn_app().await;
    let mut fixture = built_in_seed();
    fixture["tokens"]
        .as_array_mut()
        .unwrap()
        .retain(|t| t["token"] == READONLY_ADMIN || t["token"] == ADMIN);
    let world = assert_created(create_with(&app, &json!({ "fixture": fixture })).await).await;
    let seeds: Vec<&str> = world["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["seedToken"].as_str().unwrap())
        .collect();
    assert_eq!(seeds, [ADMIN, READONLY_ADMIN]);
    let id = world_id(&world);
    let response = app
        .get_user_codes(&format!("{USER}@{id}"), SITE, JOHN_ID)
        .await;
    assert_error(response, 401, MESSAGE_401).await;
}

#[tokio::test]
async fn an_invalid_fixture_is_a_400_naming_the_json_path() {
    let app = spawn_app().await;
    let mut fixture = built_in_seed();
    fixture["people"][2]["siteUrls"][0] = "nowhere.webex.com".into();
    let response = create_with(&app, &json!({ "fixture": fixture })).await;
    let errors = assert_error(response, 400, MESSAGE_400).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("$.people[2].siteUrls[0]"), "{errors:?}");

    // A type error names its path too.
    let mut fixture = built_in_seed();
    fixture["sites"][1]["management"] = "nobody".into();
    let response = create_with(&app, &json!({ "fixture": fixture })).await;
    let errors = assert_error(response, 400, MESSAGE_400).await;
    assert!(errors[0].contains("$.sites[1].management"), "{errors:?}");

    // Nothing was created.
    let list = assert_ok(app.control(Method::GET, "/worlds").send().await.unwrap()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
}

#[tokio::test]
async fn a_bad_create_request_is_a_400() {
    let app = spawn_app().await;
    let response = create_with(&app, &json!({"from": "nope"})).await;
    let errors = assert_error(response, 400, MESSAGE_400).await;
    assert!(errors[0].contains("nope"), "{errors:?}");

    let response = create_with(
        &app,
        &json!({"from": "builtIn", "fixture": built_in_seed()}),
    )
    .await;
    let errors = assert_error(response, 400, MESSAGE_400).await;
    assert!(errors[0].contains("not both"), "{errors:?}");

    let response = create_with(&app, &json!({"from": "builtIn", "colour": "blue"})).await;
    let errors = assert_error(response, 400, MESSAGE_400).await;
    assert!(errors[0].contains("colour"), "{errors:?}");

    let response = create_with(&app, &json!({"from": 5})).await;
    assert_error(response, 400, MESSAGE_400).await;

    let response = app
        .control(Method::POST, "/worlds")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(response, 400, MESSAGE_400).await;

    let list = assert_ok(app.control(Method::GET, "/worlds").send().await.unwrap()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
}

// ---------------------------------------------------------------------------------------
// Isolation

#[tokio::test]
async fn a_worlds_changes_are_invisible_to_the_default_world_and_to_other_worlds() {
    let app = spawn_app().await;
    let a = app.create_world().await;
    let b = app.create_world().await;

    let response = app.put_user_codes(&admin_token(&a), &docs_example()).await;
    let body = assert_ok(response).await;
    assert_eq!(codes(&body), john_after_docs_example());
    assert_eq!(
        john_now(&app, &admin_token(&a)).await,
        john_after_docs_example()
    );
    // The world's read-only admin sees its own world too.
    assert_eq!(
        john_now(&app, &token_for(&a, READONLY_ADMIN)).await,
        john_after_docs_example()
    );

    assert_eq!(john_now(&app, ADMIN).await, john_seeded(), "default world");
    assert_eq!(
        john_now(&app, &admin_token(&b)).await,
        john_seeded(),
        "another world"
    );

    // And the default world's changes do not reach the worlds.
    let mut change = docs_example();
    change["trackingCodes"] = json!([{"name": "Department", "value": "Finance"}]);
    assert_ok(app.put_user_codes(ADMIN, &change).await).await;
    assert_eq!(john_now(&app, &admin_token(&b)).await, john_seeded());
    assert_eq!(
        john_now(&app, &admin_token(&a)).await,
        john_after_docs_example()
    );
}

#[tokio::test]
async fn a_worlds_tokens_keep_their_scopes() {
    let app = spawn_app().await;
    let world = app.create_world().await;
    // The plain user of the world is refused as in the default world.
    let response = app
        .get_user_codes(&token_for(&world, USER), SITE, JOHN_ID)
        .await;
    assert_error(response, 403, MESSAGE_403).await;
    let response = app
        .put_user_codes(&token_for(&world, READONLY_ADMIN), &docs_example())
        .await;
    assert_error(response, 403, MESSAGE_403).await;
    assert_eq!(john_now(&app, &admin_token(&world)).await, john_seeded());
}

/// The people of the first org who may use example.webex.com.
fn people_on_site() -> Vec<String> {
    built_in_seed()["people"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["siteUrls"].as_array().unwrap().contains(&json!(SITE)))
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn project_of(app: &TestApp, token: &str, person_id: &str) -> Option<String> {
    let body = assert_ok(app.get_user_codes(token, SITE, person_id).await).await;
    codes(&body)
        .into_iter()
        .find(|(_, name, _)| name == "Project")
        .map(|(_, _, value)| value)
}

#[tokio::test]
async fn two_worlds_changed_in_parallel_do_not_interfere() {
    let app = std::sync::Arc::new(spawn_app().await);
    let worlds = [app.create_world().await, app.create_world().await];
    let people = people_on_site();
    assert!(people.len() >= 8, "{people:?}");

    // Every person of the site gets a Project naming its world, several times over, from
    // many tasks at once in both worlds.
    let mut tasks = Vec::new();
    for round in 0..3 {
        for (w, world) in worlds.iter().enumerate() {
            for (p, person) in people.iter().enumerate() {
                let app = std::sync::Arc::clone(&app);
                let token = admin_token(world);
                let body = json!({
                    "siteUrl": SITE,
                    "personId": person,
                    "trackingCodes": [{"name": "Project", "value": format!("W{w}-P{p}")}]
                });
                tasks.push(tokio::spawn(async move {
                    let response = app.put_user_codes(&token, &body).await;
                    let status = response.status().as_u16();
                    let text = response.text().await.unwrap();
                    assert_eq!(status, 200, "round {round}, world {w}, person {p}: {text}");
                }));
            }
        }
    }
    for task in tasks {
        task.await.expect("the task did not panic");
    }

    for (w, world) in worlds.iter().enumerate() {
        for (p, person) in people.iter().enumerate() {
            assert_eq!(
                project_of(&app, &admin_token(world), person).await,
                Some(format!("W{w}-P{p}")),
                "world {w}, person {p}"
            );
        }
    }
    // The default world has none of it.
    for person in &people {
        let project = project_of(&app, ADMIN, person).await;
        assert!(
            project.as_deref().is_none_or(|v| !v.starts_with('W')),
            "{project:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Listing, reading and deleting worlds

#[tokio::test]
async fn worlds_are_listed_default_first() {
    let app = spawn_app().await;
    let a = app.create_world().await;
    let b = app.create_world().await;
    let response = app.control(Method::GET, "/worlds").send().await.unwrap();
    let list = assert_ok(response).await;
    let items = list["items"].as_array().expect("items[]");
    assert_eq!(items.len(), 3, "{list}");
    assert_eq!(items[0]["id"], "default");
    // The default world's tokens are the seed's own.
    assert_eq!(items[0]["adminToken"], ADMIN);
    assert_eq!(items[0]["tokens"][0]["token"], ADMIN);
    assert_eq!(items[0]["tokens"][0]["seedToken"], ADMIN);
    let created: BTreeSet<&str> = items[1..]
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    let expected: BTreeSet<&str> = [a["id"].as_str().unwrap(), b["id"].as_str().unwrap()].into();
    assert_eq!(created, expected);
    // Each listed world is what its creation answered.
    for world in [&a, &b] {
        assert!(items.contains(world), "{world} in {list}");
    }
}

#[tokio::test]
async fn a_world_is_read_by_id() {
    let app = spawn_app().await;
    let world = app.create_world().await;
    let id = world_id(&world);
    let response = app
        .control(Method::GET, &format!("/worlds/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(assert_ok(response).await, world);

    let response = app
        .control(Method::GET, "/worlds/default")
        .send()
        .await
        .unwrap();
    let default = assert_ok(response).await;
    assert_eq!(default["id"], "default");
    assert_eq!(default["adminToken"], ADMIN);

    let response = app
        .control(Method::GET, "/worlds/world-nope")
        .send()
        .await
        .unwrap();
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(errors, ["World 'world-nope' is not found."]);
}

#[tokio::test]
async fn a_deleted_worlds_tokens_are_refused() {
    let app = spawn_app().await;
    let world = app.create_world().await;
    let other = app.create_world().await;
    let id = world_id(&world);
    assert_eq!(john_now(&app, &admin_token(&world)).await, john_seeded());

    let response = app
        .control(Method::DELETE, &format!("/worlds/{id}"))
        .send()
        .await
        .unwrap();
    assert_no_content(response).await;

    for t in world["tokens"].as_array().unwrap() {
        let response = app
            .get_user_codes(t["token"].as_str().unwrap(), SITE, JOHN_ID)
            .await;
        assert_error(response, 401, MESSAGE_401).await;
    }
    let response = app
        .control(Method::GET, &format!("/worlds/{id}"))
        .send()
        .await
        .unwrap();
    assert_error(response, 404, MESSAGE_404).await;
    let response = app
        .control(Method::DELETE, &format!("/worlds/{id}"))
        .send()
        .await
        .unwrap();
    assert_error(response, 404, MESSAGE_404).await;

    // The other world and the default one are untouched.
    assert_eq!(john_now(&app, &admin_token(&other)).await, john_seeded());
    assert_eq!(john_now(&app, ADMIN).await, john_seeded());
    let list = assert_ok(app.control(Method::GET, "/worlds").send().await.unwrap()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "{list}");
}

#[tokio::test]
async fn the_default_world_cannot_be_deleted_and_unknown_ones_are_not_found() {
    let app = spawn_app().await;
    let response = app
        .control(Method::DELETE, "/worlds/default")
        .send()
        .await
        .unwrap();
    let errors = assert_error(response, 409, MESSAGE_409).await;
    assert!(errors[0].contains("default world"), "{errors:?}");
    assert_eq!(john_now(&app, ADMIN).await, john_seeded());

    let response = app
        .control(Method::DELETE, "/worlds/world-nope")
        .send()
        .await
        .unwrap();
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(errors, ["World 'world-nope' is not found."]);
}

// ---------------------------------------------------------------------------------------
// State of the default world

#[tokio::test]
async fn the_default_state_is_exported_in_the_seed_format() {
    let app = spawn_app().await;
    let state = get_state(&app, "/state").await;
    let keys: BTreeSet<&str> = state
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "orgs",
            "sites",
            "people",
            "tokens",
            "trackingCodes",
            "userTrackingCodes"
        ])
    );
    let seed = built_in_seed();
    for key in keys {
        assert_eq!(
            state[key].as_array().map(Vec::len),
            seed[key].as_array().map(Vec::len),
            "{key}"
        );
    }
    assert_eq!(
        john_value_in_state(&state, "Department"),
        Some("Engineering")
    );

    // A change through /v1 shows in the export.
    assert_ok(app.put_user_codes(ADMIN, &docs_example()).await).await;
    let state = get_state(&app, "/state").await;
    assert_eq!(john_value_in_state(&state, "Department"), Some("Sales"));
    assert_eq!(john_value_in_state(&state, "Division"), Some("Part-time"));

    // The export is a valid seed: a world can start from it.
    let world = assert_created(create_with(&app, &json!({ "fixture": state })).await).await;
    assert_eq!(
        john_now(&app, &admin_token(&world)).await,
        john_after_docs_example()
    );
}

#[tokio::test]
async fn the_default_state_is_replaced_by_a_modified_export() {
    let app = spawn_app().await;
    let mut state = get_state(&app, "/state").await;
    set_john_value_in_state(&mut state, "Division", "Contractor");
    assert_no_content(put_state(&app, "/state", &state).await).await;
    assert_eq!(
        john_now(&app, ADMIN).await,
        triples(&[
            ("1", "Department", "Engineering"),
            ("2", "Division", "Contractor")
        ])
    );
    assert_eq!(get_state(&app, "/state").await, state);
}

#[tokio::test]
async fn an_invalid_state_is_a_400_naming_the_path_and_changes_nothing() {
    let app = spawn_app().await;
    assert_ok(app.put_user_codes(ADMIN, &docs_example()).await).await;
    let before = get_state(&app, "/state").await;

    // A valid change next to an invalid one: all or nothing.
    let mut state = before.clone();
    set_john_value_in_state(&mut state, "Division", "Contractor");
    state["people"][2]["siteUrls"][0] = "nowhere.webex.com".into();
    let errors = assert_error(put_state(&app, "/state", &state).await, 400, MESSAGE_400).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("$.people[2].siteUrls[0]"), "{errors:?}");

    // A value outside a select code's options.
    let mut state = before.clone();
    set_john_value_in_state(&mut state, "Department", "Astrology");
    let errors = assert_error(put_state(&app, "/state", &state).await, 400, MESSAGE_400).await;
    assert!(errors[0].contains(".trackingCodes[0].value"), "{errors:?}");

    // Not a state at all.
    let errors = assert_error(
        put_state(&app, "/state", &json!({"orgs": 5})).await,
        400,
        MESSAGE_400,
    )
    .await;
    assert!(errors[0].contains("$.orgs"), "{errors:?}");
    let response = app.control(Method::PUT, "/state").send().await.unwrap();
    assert_error(response, 400, MESSAGE_400).await;

    assert_eq!(get_state(&app, "/state").await, before);
    assert_eq!(john_now(&app, ADMIN).await, john_after_docs_example());
}

#[tokio::test]
async fn reset_puts_the_default_world_back_to_its_seed() {
    let app = spawn_app().await;
    let seeded = get_state(&app, "/state").await;
    assert_ok(app.put_user_codes(ADMIN, &docs_example()).await).await;
    assert_eq!(john_now(&app, ADMIN).await, john_after_docs_example());

    let response = app.control(Method::POST, "/reset").send().await.unwrap();
    assert_no_content(response).await;
    assert_eq!(john_now(&app, ADMIN).await, john_seeded());
    assert_eq!(get_state(&app, "/state").await, seeded);

    // Reset also undoes a replaced state.
    let mut state = seeded.clone();
    set_john_value_in_state(&mut state, "Division", "Intern");
    assert_no_content(put_state(&app, "/state", &state).await).await;
    assert_no_content(app.control(Method::POST, "/reset").send().await.unwrap()).await;
    assert_eq!(get_state(&app, "/state").await, seeded);
}

// ---------------------------------------------------------------------------------------
// State of a created world

#[tokio::test]
async fn a_worlds_state_is_exported_replaced_and_reset_by_its_id() {
    let app = spawn_app().await;
    let world = app.create_world().await;
    let id = world_id(&world);
    let admin = admin_token(&world);
    let state_path = format!("/worlds/{id}/state");

    assert_ok(app.put_user_codes(&admin, &docs_example()).await).await;
    let state = get_state(&app, &state_path).await;
    assert_eq!(john_value_in_state(&state, "Department"), Some("Sales"));
    // The export names the seed's tokens, not the world's.
    assert_eq!(state["tokens"][0]["token"], ADMIN);
    // The default world's export is untouched.
    let default_state = get_state(&app, "/state").await;
    assert_eq!(
        john_value_in_state(&default_state, "Department"),
        Some("Engineering")
    );

    // Replace: the change is visible, the world's tokens still work, the default world
    // and its state are untouched.
    let mut replaced = state.clone();
    set_john_value_in_state(&mut replaced, "Department", "Support");
    assert_no_content(put_state(&app, &state_path, &replaced).await).await;
    assert_eq!(
        john_now(&app, &admin).await,
        triples(&[
            ("1", "Department", "Support"),
            ("2", "Division", "Part-time")
        ])
    );
    assert_eq!(
        john_now(&app, &token_for(&world, READONLY_ADMIN)).await[0].2,
        "Support"
    );
    assert_eq!(john_now(&app, ADMIN).await, john_seeded());
    assert_eq!(get_state(&app, "/state").await, default_state);
    let response = app
        .control(Method::GET, &format!("/worlds/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(assert_ok(response).await, world, "same tokens");

    // An invalid state changes nothing.
    let mut invalid = replaced.clone();
    invalid["people"][2]["siteUrls"][0] = "nowhere.webex.com".into();
    let errors = assert_error(
        put_state(&app, &state_path, &invalid).await,
        400,
        MESSAGE_400,
    )
    .await;
    assert!(errors[0].contains("$.people[2].siteUrls[0]"), "{errors:?}");
    assert_eq!(get_state(&app, &state_path).await, replaced);

    // Reset: back to the built-in seed.
    let response = app
        .control(Method::POST, &format!("/worlds/{id}/reset"))
        .send()
        .await
        .unwrap();
    assert_no_content(response).await;
    assert_eq!(john_now(&app, &admin).await, john_seeded());
    assert_eq!(
        get_state(&app, &state_path).await,
        get_state(&app, "/state").await
    );
}

#[tokio::test]
async fn a_worlds_tokens_follow_a_replaced_state_and_its_reset() {
    let app = spawn_app().await;
    let world = app.create_world().await;
    let id = world_id(&world);
    let state_path = format!("/worlds/{id}/state");
    let john_token = format!("webex-emulator-john@{id}");

    // A state without John's token and with a new admin token.
    let mut state = get_state(&app, &state_path).await;
    let tokens = state["tokens"].as_array_mut().unwrap();
    tokens.retain(|t| t["token"] != "webex-emulator-john");
    let mut extra = tokens[0].clone();
    extra["token"] = "webex-emulator-extra".into();
    tokens.push(extra);
    assert_no_content(put_state(&app, &state_path, &state).await).await;

    let response = app
        .control(Method::GET, &format!("/worlds/{id}"))
        .send()
        .await
        .unwrap();
    let now = assert_ok(response).await;
    let seeds: Vec<&str> = now["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["seedToken"].as_str().unwrap())
        .collect();
    assert_eq!(
        seeds,
        [
            ADMIN,
            READONLY_ADMIN,
            USER,
            ORG2_ADMIN,
            ADMIN_NO_SCOPES,
            "webex-emulator-extra"
        ]
    );
    let extra_token = format!("webex-emulator-extra@{id}");
    assert_eq!(john_now(&app, &extra_token).await, john_seeded());
    assert_eq!(john_now(&app, &admin_token(&world)).await, john_seeded());
    let response = app.get_user_codes(&john_token, SITE, JOHN_ID).await;
    assert_error(response, 401, MESSAGE_401).await;

    // Reset brings back the tokens the world started with.
    let response = app
        .control(Method::POST, &format!("/worlds/{id}/reset"))
        .send()
        .await
        .unwrap();
    assert_no_content(response).await;
    let response = app
        .control(Method::GET, &format!("/worlds/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(assert_ok(response).await, world);
    let response = app.get_user_codes(&extra_token, SITE, JOHN_ID).await;
    assert_error(response, 401, MESSAGE_401).await;
    // John's own token is back (and a plain user may not read the admin API).
    let response = app.get_user_codes(&john_token, SITE, JOHN_ID).await;
    assert_error(response, 403, MESSAGE_403).await;
}

#[tokio::test]
async fn state_and_reset_of_an_unknown_world_are_404() {
    let app = spawn_app().await;
    let response = app
        .control(Method::GET, "/worlds/world-nope/state")
        .send()
        .await
        .unwrap();
    assert_error(response, 404, MESSAGE_404).await;
    let response = put_state(&app, "/worlds/world-nope/state", &built_in_seed()).await;
    assert_error(response, 404, MESSAGE_404).await;
    let response = app
        .control(Method::POST, "/worlds/world-nope/reset")
        .send()
        .await
        .unwrap();
    assert_error(response, 404, MESSAGE_404).await;
}
