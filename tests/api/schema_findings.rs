//! What schemathesis (`.ci/run`) found, kept as tests: statuses the emulator really answers
//! that its OpenAPI document (`/_emulator/openapi.json`) did not list, so a client generated
//! from the document, or a schema checker, met an undocumented status.

use std::sync::Arc;

use reqwest::Method;
use serde_json::Value;
use tokio::net::TcpListener;
use webex_emulator::domain::seed;
use webex_emulator::gateway::faults::DOCUMENTED_STATUSES;
use webex_emulator::persist::StateFile;
use webex_emulator::AppState;

use crate::helpers::*;

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

async fn document(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.url("/_emulator/openapi.json"))
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("a JSON document")
}

/// Every `(method, path, operation)` of the document whose path starts with `prefix`.
fn operations<'a>(doc: &'a Value, prefix: &str) -> Vec<(&'static str, String, &'a Value)> {
    let paths = doc["paths"].as_object().expect("paths");
    let mut found = Vec::new();
    for (path, item) in paths.iter().filter(|(p, _)| p.starts_with(prefix)) {
        for method in METHODS {
            if let Some(operation) = item.get(*method) {
                found.push((*method, path.clone(), operation));
            }
        }
    }
    assert!(!found.is_empty(), "no operation under {prefix}");
    found
}

fn documents(operation: &Value, status: u16) -> bool {
    operation["responses"].get(status.to_string()).is_some()
}

/// A fault (a rule or the `X-Emulator-Fault` header) may answer any status Webex documents
/// (410, 423, 428, 500, 502, 504 too), on any `/v1` operation: the document listed only 429
/// and 503, and schemathesis reported "undocumented status code 502".
#[tokio::test]
async fn every_status_a_fault_can_answer_is_documented_on_every_webex_operation() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let mut missing = Vec::new();
    for &status in DOCUMENTED_STATUSES {
        let response = app
            .request(Method::GET, "/v1/people/me", ADMIN)
            .header("X-Emulator-Fault", format!("status={status}"))
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status().as_u16(), status);
        for (method, path, operation) in operations(&doc, "/v1/") {
            if !documents(operation, status) {
                missing.push(format!("{} {path}: {status}", method.to_uppercase()));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented: {missing:#?}");
}

/// With a state file that cannot be written, a reset of the default world is applied and
/// answered 503; the control plane's document did not list 503.
#[tokio::test]
async fn a_state_file_that_cannot_be_saved_answers_a_documented_503_on_the_control_plane() {
    let dir = std::env::temp_dir().join(format!(
        "webex-emulator-schema-findings-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let model = seed::load(seed::BUILT_IN.as_bytes()).expect("the built-in seed");
    let mut state = AppState::new(model);
    let file = StateFile::start(
        dir.join("state.json"),
        Arc::clone(state.worlds.default_world()),
    )
    .expect("the state file is written at start");
    state.set_state_file(file);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(webex_emulator::serve(
        listener,
        state,
        std::future::pending(),
    ));
    let app = TestApp {
        addr,
        client: reqwest::Client::new(),
    };
    // From now on, saving fails.
    std::fs::remove_dir_all(&dir).expect("the directory is removed");

    let response = app
        .control(Method::POST, "/reset")
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status().as_u16(), 503);
    assert!(response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json")));
    let body: Value = response.json().await.expect("a Webex error body");
    assert!(
        body["errors"][0]["description"]
            .as_str()
            .is_some_and(|d| d.contains("could not be saved to the state file")),
        "{body}"
    );

    let doc = document(&app).await;
    let writers = [
        ("post", "/_emulator/reset"),
        ("post", "/_emulator/worlds/{id}/reset"),
        ("put", "/_emulator/state"),
        ("put", "/_emulator/worlds/{id}/state"),
    ];
    for (method, path) in writers {
        let operation = &doc["paths"][path][method];
        assert!(
            documents(operation, 503),
            "{method} {path} does not document 503"
        );
    }
    // And the Webex writes, which save the same way.
    for (method, path, operation) in operations(&doc, "/v1/") {
        assert!(documents(operation, 503), "{method} {path}: 503");
    }
}
