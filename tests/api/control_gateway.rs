//! What stands in front of `/v1` for tests (contract section 4): the request journal, fault
//! rules and the `X-Emulator-Fault` header, the rate limit; and for frontend developers,
//! CORS, `--any-token` and `--control-token`.

use std::time::{Duration, Instant};

use reqwest::{Client, Method, Response};
use serde_json::{json, Value};
use webex_emulator::gateway::rate_limit::Limit;
use webex_emulator::Options;

use crate::helpers::*;

const FAULT_HEADER: &str = "X-Emulator-Fault";
const MESSAGE_429: &str = "Too many requests have been sent in a given amount of time and the request has been rate limited.";
const MESSAGE_503: &str = "Server is overloaded with requests. Try again later.";

/// The message Webex sends with each documented status.
const DOCUMENTED: &[(u16, &str)] = &[
    (400, MESSAGE_400),
    (401, MESSAGE_401),
    (403, MESSAGE_403),
    (404, MESSAGE_404),
    (405, "The request was made to a resource using an HTTP request method that is not supported."),
    (409, "The request could not be processed because it conflicts with some established rule of the system."),
    (410, "The requested resource is no longer available."),
    (413, "The request is larger than the server is willing or able to process."),
    (415, "The request was made to a resource without specifying a media type or used a media type that is not supported."),
    (423, "The requested resource is temporarily unavailable."),
    (428, "File(s) cannot be scanned for malware and need to be force downloaded."),
    (429, MESSAGE_429),
    (500, "Something went wrong on the server."),
    (502, "The server received an invalid response from an upstream server while processing the request. Try again later."),
    (503, MESSAGE_503),
    (504, "An upstream server failed to respond on time."),
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

/// A GET of John's values with `token`.
async fn get_john(app: &TestApp, token: &str) -> Response {
    app.get_user_codes(token, SITE, JOHN_ID).await
}

async fn status_of(response: Response) -> u16 {
    let status = response.status().as_u16();
    // Read the body so the connection goes back to the pool.
    let _ = response.bytes().await;
    status
}

/// `GET /_emulator/journal` with query pairs; returns the items.
async fn journal(app: &TestApp, query: &[(&str, &str)]) -> Vec<Value> {
    let response = app
        .control(Method::GET, "/journal")
        .query(query)
        .send()
        .await
        .unwrap();
    let body = assert_ok(response).await;
    body["items"].as_array().expect("items[]").clone()
}

/// `POST /_emulator/faults`.
async fn add_fault(app: &TestApp, rule: &Value) -> Response {
    app.control(Method::POST, "/faults")
        .json(rule)
        .send()
        .await
        .unwrap()
}

/// Adds a rule, asserting the 201; returns the rule as answered.
async fn fault(app: &TestApp, rule: &Value) -> Value {
    let response = add_fault(app, rule).await;
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").cloned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "status, body {body}");
    assert_eq!(content_type.unwrap(), "application/json;charset=UTF-8");
    body
}

async fn faults(app: &TestApp) -> Vec<Value> {
    let response = app.control(Method::GET, "/faults").send().await.unwrap();
    assert_ok(response).await["items"]
        .as_array()
        .expect("items[]")
        .clone()
}

fn retry_after(response: &Response) -> Option<String> {
    response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned())
}

async fn assert_no_content(response: Response) {
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap();
    assert_eq!(status, 204, "status, body {body:?}");
    assert!(body.is_empty(), "{body:?}");
}

/// A client that gives up rather than hang, should the server never answer.
fn impatient_client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Journal

#[tokio::test]
async fn the_journal_records_v1_requests_in_order() {
    let app = spawn_app().await;
    let put = app.put_user_codes(ADMIN, &docs_example()).await;
    let put_tracking = tracking_id(&put);
    let put_answer = assert_ok(put).await;
    // Control-plane requests in between are never journaled.
    assert_ok(app.control(Method::GET, "/health").send().await.unwrap()).await;
    let not_found = app
        .get_user_codes(ADMIN, "nowhere.webex.com", JOHN_ID)
        .await;
    let not_found_tracking = tracking_id(&not_found);
    assert_error(not_found, 404, MESSAGE_404).await;
    let unauthenticated = app
        .client
        .get(app.url(USERCONFIG))
        .header("trackingid", "my-own-tracking-id")
        .send()
        .await
        .unwrap();
    assert_eq!(tracking_id(&unauthenticated), "my-own-tracking-id");
    assert_error(unauthenticated, 401, MESSAGE_401).await;

    let response = app.control(Method::GET, "/journal").send().await.unwrap();
    let text = response.text().await.unwrap();
    assert!(
        !text.contains(ADMIN),
        "the whole token is never journaled: {text}"
    );
    let items = journal(&app, &[]).await;
    assert_eq!(items.len(), 3, "{items:#?}");
    let (put, not_found, unauthenticated) = (&items[0], &items[1], &items[2]);

    let seqs: Vec<u64> = items.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    for entry in &items {
        let time = entry["time"].as_str().expect("time");
        assert!(
            time.len() == "2024-01-01T00:00:00.000Z".len() && time.ends_with('Z'),
            "{time}"
        );
        assert!(entry["durationMs"].as_f64().expect("durationMs") >= 0.0);
        assert_eq!(entry["world"], "default");
        assert_eq!(entry["path"], USERCONFIG);
        assert!(entry.get("injected").is_none(), "{entry}");
    }

    assert_eq!(put["method"], "PUT");
    assert!(put.get("query").is_none(), "{put}");
    assert_eq!(put["status"], 200);
    assert_eq!(put["trackingId"], put_tracking);
    assert_eq!(put["requestBody"], docs_example());
    assert_eq!(put["responseBody"], put_answer);
    let headers = &put["requestHeaders"];
    assert_eq!(headers["content-type"], "application/json");
    let authorization = headers["authorization"].as_str().expect("authorization");
    assert!(authorization.starts_with("Bearer "), "{authorization}");
    assert!(!authorization.contains(ADMIN), "{authorization}");

    assert_eq!(not_found["method"], "GET");
    assert_eq!(
        not_found["query"],
        format!("siteUrl=nowhere.webex.com&personId={JOHN_ID}")
    );
    assert_eq!(not_found["status"], 404);
    assert_eq!(not_found["trackingId"], not_found_tracking);
    assert!(not_found.get("requestBody").is_none(), "{not_found}");
    assert_eq!(not_found["responseBody"]["message"], MESSAGE_404);
    assert_eq!(
        not_found["responseBody"]["trackingId"],
        not_found_tracking.as_str()
    );

    assert_eq!(unauthenticated["method"], "GET");
    assert_eq!(unauthenticated["status"], 401);
    assert_eq!(unauthenticated["trackingId"], "my-own-tracking-id");
    assert_eq!(
        unauthenticated["requestHeaders"]["trackingid"],
        "my-own-tracking-id"
    );
    assert!(
        unauthenticated["requestHeaders"]
            .get("authorization")
            .is_none(),
        "{unauthenticated}"
    );
    assert_eq!(unauthenticated["responseBody"]["message"], MESSAGE_401);
}

#[tokio::test]
async fn the_journal_is_filtered() {
    let app = spawn_app().await;
    assert_ok(app.put_user_codes(ADMIN, &docs_example()).await).await;
    assert_error(
        app.get_user_codes(ADMIN, "nowhere.webex.com", JOHN_ID)
            .await,
        404,
        MESSAGE_404,
    )
    .await;
    assert_ok(
        app.request(Method::GET, "/v1/people/me", ADMIN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_ok(get_john(&app, ADMIN).await).await;

    let all = journal(&app, &[]).await;
    assert_eq!(all.len(), 4);
    let seq = |e: &Value| e["seq"].as_u64().unwrap();
    let seqs = |items: &[Value]| items.iter().map(seq).collect::<Vec<_>>();
    let all_seqs = seqs(&all);

    assert_eq!(
        seqs(&journal(&app, &[("method", "PUT")]).await),
        [all_seqs[0]]
    );
    assert_eq!(
        seqs(&journal(&app, &[("method", "get")]).await),
        all_seqs[1..],
        "methods match whatever their case"
    );
    assert_eq!(
        seqs(&journal(&app, &[("path", USERCONFIG)]).await),
        [all_seqs[0], all_seqs[1], all_seqs[3]]
    );
    assert_eq!(
        seqs(&journal(&app, &[("path", "/v1/people*")]).await),
        [all_seqs[2]]
    );
    assert_eq!(
        seqs(&journal(&app, &[("path", "/v1/*/trackingCodes")]).await),
        [all_seqs[0], all_seqs[1], all_seqs[3]]
    );
    assert!(journal(&app, &[("path", "/v1/people")]).await.is_empty());
    assert_eq!(
        seqs(&journal(&app, &[("status", "404")]).await),
        [all_seqs[1]]
    );
    assert_eq!(journal(&app, &[("status", "200")]).await.len(), 3);
    assert_eq!(journal(&app, &[("world", "default")]).await.len(), 4);
    assert!(journal(&app, &[("world", "world-nope")]).await.is_empty());
    let after = all_seqs[1].to_string();
    assert_eq!(
        seqs(&journal(&app, &[("after", &after)]).await),
        all_seqs[2..]
    );
    assert_eq!(
        seqs(&journal(&app, &[("limit", "2")]).await),
        all_seqs[2..],
        "the most recent"
    );
    assert_eq!(
        seqs(
            &journal(
                &app,
                &[("method", "GET"), ("status", "200"), ("limit", "1")]
            )
            .await
        ),
        [all_seqs[3]]
    );

    for bad in [("status", "ok"), ("after", "-1"), ("limit", "many")] {
        let response = app
            .control(Method::GET, "/journal")
            .query(&[bad])
            .send()
            .await
            .unwrap();
        let errors = assert_error(response, 400, MESSAGE_400).await;
        assert!(errors[0].contains(bad.0), "{errors:?}");
    }
}

#[tokio::test]
async fn the_journal_is_cleared() {
    let app = spawn_app().await;
    assert_ok(get_john(&app, ADMIN).await).await;
    assert_ok(get_john(&app, ADMIN).await).await;
    let before = journal(&app, &[]).await;
    assert_eq!(before.len(), 2);

    let response = app
        .control(Method::DELETE, "/journal")
        .send()
        .await
        .unwrap();
    assert_no_content(response).await;
    assert!(journal(&app, &[]).await.is_empty());

    // Numbering goes on after a clear, so `after` still works.
    assert_ok(get_john(&app, ADMIN).await).await;
    let after = journal(&app, &[]).await;
    assert_eq!(after.len(), 1);
    assert!(after[0]["seq"].as_u64() > before[1]["seq"].as_u64());
}

#[tokio::test]
async fn the_journal_keeps_only_the_last_requests() {
    let app = spawn_app_with_options(Options {
        journal_size: 3,
        ..Default::default()
    })
    .await;
    for i in 0..5 {
        let response = app
            .request(Method::GET, USERCONFIG, ADMIN)
            .query(&[
                ("siteUrl", SITE),
                ("personId", JOHN_ID),
                ("n", &i.to_string()),
            ])
            .send()
            .await
            .unwrap();
        assert_ok(response).await;
    }
    let items = journal(&app, &[]).await;
    let queries: Vec<&str> = items.iter().map(|e| e["query"].as_str().unwrap()).collect();
    assert_eq!(
        queries,
        [2, 3, 4].map(|i| format!("siteUrl={SITE}&personId={JOHN_ID}&n={i}"))
    );
}

#[tokio::test]
async fn a_journal_of_size_zero_keeps_nothing() {
    let app = spawn_app_with_options(Options {
        journal_size: 0,
        ..Default::default()
    })
    .await;
    let body = assert_ok(app.put_user_codes(ADMIN, &docs_example()).await).await;
    assert_eq!(body["trackingCodes"][0]["value"], "Sales");
    assert_error(get_john(&app, "no-such-token").await, 401, MESSAGE_401).await;
    assert!(journal(&app, &[]).await.is_empty());
}

#[tokio::test]
async fn a_request_in_a_created_world_is_journaled_with_its_id() {
    let app = spawn_app().await;
    let world = app.create_world().await;
    let id = world["id"].as_str().unwrap();
    let admin = world["adminToken"].as_str().unwrap();
    assert_ok(get_john(&app, admin).await).await;
    assert_ok(get_john(&app, ADMIN).await).await;

    let items = journal(&app, &[("world", id)]).await;
    assert_eq!(items.len(), 1, "{items:#?}");
    assert_eq!(items[0]["world"], id);
    let authorization = items[0]["requestHeaders"]["authorization"]
        .as_str()
        .unwrap();
    assert!(!authorization.contains(admin), "{authorization}");
    assert_eq!(journal(&app, &[("world", "default")]).await.len(), 1);
}

// ---------------------------------------------------------------------------------------
// Fault rules

#[tokio::test]
async fn a_counted_fault_fires_exactly_n_times_on_matching_requests() {
    let app = spawn_app().await;
    let rule = fault(
        &app,
        &json!({"method": "PUT", "path": USERCONFIG, "status": 503, "times": 2}),
    )
    .await;
    let id = rule["id"].as_str().expect("an id").to_owned();
    assert_eq!(rule["method"], "PUT");
    assert_eq!(rule["path"], USERCONFIG);
    assert_eq!(rule["status"], 503);
    assert_eq!(rule["remaining"], 2);
    assert_eq!(rule["fired"], 0);

    for _ in 0..2 {
        let response = app.put_user_codes(ADMIN, &docs_example()).await;
        assert!(retry_after(&response).is_none());
        let errors = assert_error(response, 503, MESSAGE_503).await;
        assert_eq!(errors, [MESSAGE_503]);
        // Another method on the same path is not affected.
        assert_ok(get_john(&app, ADMIN).await).await;
    }
    // The faulted requests changed nothing; the third gets through.
    let john = assert_ok(get_john(&app, ADMIN).await).await;
    assert_eq!(john["trackingCodes"][0]["value"], "Engineering");
    let body = assert_ok(app.put_user_codes(ADMIN, &docs_example()).await).await;
    assert_eq!(body["trackingCodes"][0]["value"], "Sales");
    assert_ok(app.put_user_codes(ADMIN, &docs_example()).await).await;

    let listed = faults(&app).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["remaining"], 0);
    assert_eq!(listed[0]["fired"], 2);

    // The journal tells the injected answers apart.
    let injected: Vec<Value> = journal(&app, &[("status", "503")]).await;
    assert_eq!(injected.len(), 2);
    assert!(injected.iter().all(|e| e["injected"] == "fault: rule"));

    let response = app
        .control(Method::DELETE, &format!("/faults/{id}"))
        .send()
        .await
        .unwrap();
    assert_no_content(response).await;
    assert!(faults(&app).await.is_empty());
    let response = app
        .control(Method::DELETE, &format!("/faults/{id}"))
        .send()
        .await
        .unwrap();
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(errors, [format!("Fault rule '{id}' is not found.")]);
}

#[tokio::test]
async fn faults_are_cleared_all_at_once() {
    let app = spawn_app().await;
    fault(&app, &json!({"status": 500, "times": 5})).await;
    fault(
        &app,
        &json!({"path": "/v1/people*", "status": 502, "times": 5}),
    )
    .await;
    assert_eq!(faults(&app).await.len(), 2);
    let response = app.control(Method::DELETE, "/faults").send().await.unwrap();
    assert_no_content(response).await;
    assert!(faults(&app).await.is_empty());
    assert_ok(get_john(&app, ADMIN).await).await;
}

#[tokio::test]
async fn a_429_rule_sends_retry_after() {
    let app = spawn_app().await;
    fault(
        &app,
        &json!({"path": USERCONFIG, "status": 429, "retryAfter": 2, "times": 1}),
    )
    .await;
    let response = get_john(&app, ADMIN).await;
    assert_eq!(retry_after(&response).as_deref(), Some("2"));
    let errors = assert_error(response, 429, MESSAGE_429).await;
    assert_eq!(errors, [MESSAGE_429]);
    assert_ok(get_john(&app, ADMIN).await).await;

    for status in [423, 503] {
        fault(
            &app,
            &json!({"status": status, "retryAfter": 7, "times": 1}),
        )
        .await;
        let response = get_john(&app, ADMIN).await;
        assert_eq!(retry_after(&response).as_deref(), Some("7"), "{status}");
        assert_eq!(status_of(response).await, status);
    }
}

#[tokio::test]
async fn every_documented_status_can_be_injected() {
    let app = spawn_app().await;
    for &(status, message) in DOCUMENTED {
        fault(
            &app,
            &json!({"path": USERCONFIG, "status": status, "times": 1}),
        )
        .await;
        let response = get_john(&app, ADMIN).await;
        let errors = assert_error(response, status, message).await;
        assert_eq!(errors, [message], "{status}");
    }
    assert_ok(get_john(&app, ADMIN).await).await;
}

#[tokio::test]
async fn a_bad_fault_rule_is_a_400() {
    let app = spawn_app().await;
    let bad = [
        (json!({"status": 418}), "418"),
        (json!({"status": 200}), "status"),
        (json!({"status": 500, "retryAfter": 1}), "retryAfter"),
        (json!({"status": 503, "drop": true}), "drop"),
        (json!({"path": USERCONFIG}), "status"),
        (json!({"path": "v1/people", "status": 500}), "path"),
        (json!({"status": 500, "times": 0}), "times"),
        (json!({"status": 500, "probability": 1.5}), "probability"),
        (json!({"status": 500, "probability": 0}), "probability"),
        (json!({"delayMs": 600_000}), "delayMs"),
        (json!({"status": 500, "colour": "red"}), "colour"),
        (json!({"status": "500"}), "status"),
    ];
    for (rule, named) in bad {
        let response = add_fault(&app, &rule).await;
        let errors = assert_error(response, 400, MESSAGE_400).await;
        assert!(
            errors.iter().any(|e| e.contains(named)),
            "{rule}: {errors:?}"
        );
    }
    // A rule for an unknown world.
    let response = add_fault(&app, &json!({"world": "world-nope", "status": 500})).await;
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(errors, ["World 'world-nope' is not found."]);

    assert!(faults(&app).await.is_empty());
    assert_ok(get_john(&app, ADMIN).await).await;
}

#[tokio::test]
async fn a_rule_with_neither_times_nor_probability_fires_once() {
    let app = spawn_app().await;
    let rule = fault(&app, &json!({"status": 500})).await;
    assert_eq!(rule["remaining"], 1);
    assert_eq!(rule["path"], "*");
    assert!(rule.get("method").is_none(), "{rule}");
    assert_eq!(status_of(get_john(&app, ADMIN).await).await, 500);
    assert_eq!(status_of(get_john(&app, ADMIN).await).await, 200);
    assert_eq!(status_of(get_john(&app, ADMIN).await).await, 200);
}

/// The statuses of 20 GETs on a new server with a seeded probability rule.
async fn seeded_pattern(seed: u64) -> (Vec<u16>, Value) {
    let app = spawn_app().await;
    let rule = fault(
        &app,
        &json!({"path": USERCONFIG, "status": 503, "probability": 0.5, "seed": seed}),
    )
    .await;
    assert_eq!(rule["seed"], seed);
    assert_eq!(rule["probability"], 0.5);
    assert!(rule.get("remaining").is_none(), "{rule}");
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(status_of(get_john(&app, ADMIN).await).await);
    }
    (statuses, faults(&app).await.remove(0))
}

#[tokio::test]
async fn a_seeded_probability_rule_repeats_across_servers() {
    let (first, rule) = seeded_pattern(42).await;
    let (second, _) = seeded_pattern(42).await;
    assert_eq!(first, second);
    let fired = first.iter().filter(|s| **s == 503).count();
    assert!(
        fired > 0 && fired < 20,
        "a probability of 0.5 fires sometimes: {first:?}"
    );
    assert!(first.iter().all(|s| *s == 503 || *s == 200), "{first:?}");
    assert_eq!(rule["fired"], fired);

    // An unseeded rule is given a seed, shown so a run can be repeated.
    let app = spawn_app().await;
    let rule = fault(&app, &json!({"status": 503, "probability": 0.5})).await;
    assert!(rule["seed"].is_u64(), "{rule}");
}

#[tokio::test]
async fn a_path_glob_matches_a_family_of_paths() {
    let app = spawn_app().await;
    fault(
        &app,
        &json!({"path": "/v1/people*", "status": 502, "times": 10}),
    )
    .await;
    for path in [
        "/v1/people/me",
        "/v1/people",
        &format!("/v1/people/{JOHN_ID}"),
    ] {
        let response = app.request(Method::GET, path, ADMIN).send().await.unwrap();
        assert_error(
            response,
            502,
            "The server received an invalid response from an upstream server while processing the request. Try again later.",
        )
        .await;
    }
    assert_ok(get_john(&app, ADMIN).await).await;
    assert_ok(
        app.request(Method::GET, "/v1/meetingPreferences/sites", ADMIN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(faults(&app).await[0]["remaining"], 7);
}

#[tokio::test]
async fn a_world_scoped_rule_affects_only_that_world() {
    let app = spawn_app().await;
    let world = app.create_world().await;
    let other = app.create_world().await;
    let id = world["id"].as_str().unwrap();
    let rule = fault(&app, &json!({"world": id, "status": 503, "times": 5})).await;
    assert_eq!(rule["world"], id);

    assert_ok(get_john(&app, ADMIN).await).await;
    assert_ok(get_john(&app, other["adminToken"].as_str().unwrap()).await).await;
    let response = get_john(&app, world["adminToken"].as_str().unwrap()).await;
    assert_error(response, 503, MESSAGE_503).await;
    assert_eq!(faults(&app).await[0]["fired"], 1);
}

#[tokio::test]
async fn a_delay_rule_slows_the_answer() {
    let app = spawn_app().await;
    fault(
        &app,
        &json!({"path": USERCONFIG, "delayMs": 300, "times": 1}),
    )
    .await;
    let started = Instant::now();
    let response = get_john(&app, ADMIN).await;
    let elapsed = started.elapsed();
    assert_ok(response).await;
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");

    // With a status, the delayed answer is the error.
    fault(
        &app,
        &json!({"path": USERCONFIG, "delayMs": 100, "status": 500, "times": 1}),
    )
    .await;
    let started = Instant::now();
    let response = get_john(&app, ADMIN).await;
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(status_of(response).await, 500);
}

#[tokio::test]
async fn a_drop_rule_closes_the_connection_without_an_answer() {
    let app = spawn_app().await;
    fault(&app, &json!({"path": USERCONFIG, "drop": true, "times": 1})).await;
    let client = impatient_client();
    let result = client
        .put(app.url(USERCONFIG))
        .bearer_auth(ADMIN)
        .json(&docs_example())
        .send()
        .await;
    let error = result.expect_err("no response to a dropped connection");
    assert!(!error.is_timeout(), "{error:?}");

    // The server goes on answering, on the same client too.
    let response = client
        .get(app.url(USERCONFIG))
        .bearer_auth(ADMIN)
        .query(&[("siteUrl", SITE), ("personId", JOHN_ID)])
        .send()
        .await
        .unwrap();
    let john = assert_ok(response).await;
    assert_eq!(john["trackingCodes"][0]["value"], "Engineering");

    let dropped = journal(&app, &[("status", "0")]).await;
    assert_eq!(dropped.len(), 1, "{dropped:#?}");
    assert_eq!(dropped[0]["method"], "PUT");
    assert_eq!(dropped[0]["requestBody"], docs_example());
    assert!(dropped[0].get("responseBody").is_none(), "{:?}", dropped[0]);
    assert!(
        dropped[0]["injected"].as_str().unwrap().contains("drop"),
        "{:?}",
        dropped[0]
    );
}

// ---------------------------------------------------------------------------------------
// The X-Emulator-Fault header

#[tokio::test]
async fn the_fault_header_faults_that_one_request() {
    let app = spawn_app().await;
    let response = app
        .request(Method::GET, USERCONFIG, ADMIN)
        .query(&[("siteUrl", SITE), ("personId", JOHN_ID)])
        .header(FAULT_HEADER, "status=503")
        .send()
        .await
        .unwrap();
    assert!(retry_after(&response).is_none());
    assert_error(response, 503, MESSAGE_503).await;
    assert_ok(get_john(&app, ADMIN).await).await;

    let response = app
        .request(Method::GET, USERCONFIG, ADMIN)
        .query(&[("siteUrl", SITE), ("personId", JOHN_ID)])
        .header(FAULT_HEADER, "status=429, retry-after=1")
        .send()
        .await
        .unwrap();
    assert_eq!(retry_after(&response).as_deref(), Some("1"));
    assert_error(response, 429, MESSAGE_429).await;

    let started = Instant::now();
    let response = app
        .request(Method::GET, USERCONFIG, ADMIN)
        .query(&[("siteUrl", SITE), ("personId", JOHN_ID)])
        .header(FAULT_HEADER, "delay=200")
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_ok(response).await;
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");

    let entries = journal(&app, &[]).await;
    assert_eq!(
        entries[0]["requestHeaders"]["x-emulator-fault"],
        "status=503"
    );
    assert_eq!(entries[0]["injected"], "fault: header");

    // The control plane is never faulted.
    let response = app
        .control(Method::GET, "/health")
        .header(FAULT_HEADER, "status=503")
        .send()
        .await
        .unwrap();
    assert_ok(response).await;
}

#[tokio::test]
async fn the_fault_header_can_drop_the_connection() {
    let app = spawn_app().await;
    let client = impatient_client();
    let error = client
        .get(app.url(USERCONFIG))
        .bearer_auth(ADMIN)
        .query(&[("siteUrl", SITE), ("personId", JOHN_ID)])
        .header(FAULT_HEADER, "drop")
        .send()
        .await
        .expect_err("no response to a dropped connection");
    assert!(!error.is_timeout(), "{error:?}");
    assert_ok(get_john(&app, ADMIN).await).await;
    assert_eq!(journal(&app, &[("status", "0")]).await.len(), 1);
}

#[tokio::test]
async fn an_invalid_fault_header_is_a_400() {
    let app = spawn_app().await;
    for value in [
        "explode",
        "status=418",
        "status=abc",
        "status=500, retry-after=3",
        "",
    ] {
        let response = app
            .request(Method::GET, USERCONFIG, ADMIN)
            .query(&[("siteUrl", SITE), ("personId", JOHN_ID)])
            .header(FAULT_HEADER, value)
            .send()
            .await
            .unwrap();
        let errors = assert_error(response, 400, MESSAGE_400).await;
        assert!(!errors.is_empty(), "{value}");
    }
    let response = app
        .request(Method::GET, USERCONFIG, ADMIN)
        .query(&[("siteUrl", SITE), ("personId", JOHN_ID)])
        .header(FAULT_HEADER, "explode")
        .send()
        .await
        .unwrap();
    let errors = assert_error(response, 400, MESSAGE_400).await;
    assert!(errors[0].contains("x-emulator-fault"), "{errors:?}");
}

// ---------------------------------------------------------------------------------------
// Rate limit

#[tokio::test]
async fn the_rate_limit_answers_429_with_a_retry_after_that_is_honoured() {
    let app = spawn_app().await;
    let response = app
        .control(Method::PUT, "/rate-limit")
        .json(&json!({"requests": 2, "perSeconds": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        assert_ok(response).await,
        json!({"limit": {"requests": 2, "perSeconds": 1}})
    );

    assert_ok(get_john(&app, ADMIN).await).await;
    assert_ok(get_john(&app, ADMIN).await).await;
    let response = get_john(&app, ADMIN).await;
    let seconds: u64 = retry_after(&response)
        .expect("a Retry-After header")
        .parse()
        .expect("whole seconds");
    assert!((1..=1).contains(&seconds), "{seconds}");
    let errors = assert_error(response, 429, MESSAGE_429).await;
    assert_eq!(errors.len(), 1);

    // Another token is counted apart, and the control plane is never limited.
    assert_ok(get_john(&app, READONLY_ADMIN).await).await;
    assert_ok(app.control(Method::GET, "/health").send().await.unwrap()).await;
    assert_eq!(
        journal(&app, &[("status", "429")]).await[0]["injected"],
        "rate limit"
    );

    tokio::time::sleep(Duration::from_secs(seconds)).await;
    assert_ok(get_john(&app, ADMIN).await).await;

    let response = app
        .control(Method::GET, "/rate-limit")
        .send()
        .await
        .unwrap();
    assert_eq!(
        assert_ok(response).await,
        json!({"limit": {"requests": 2, "perSeconds": 1}})
    );
}

#[tokio::test]
async fn the_rate_limit_is_lifted() {
    let app = spawn_app().await;
    let response = app
        .control(Method::PUT, "/rate-limit")
        .json(&json!({"requests": 1, "perSeconds": 60}))
        .send()
        .await
        .unwrap();
    assert_ok(response).await;
    assert_ok(get_john(&app, ADMIN).await).await;
    assert_eq!(status_of(get_john(&app, ADMIN).await).await, 429);

    let response = app
        .control(Method::DELETE, "/rate-limit")
        .send()
        .await
        .unwrap();
    assert_no_content(response).await;
    for _ in 0..5 {
        assert_ok(get_john(&app, ADMIN).await).await;
    }
    let response = app
        .control(Method::GET, "/rate-limit")
        .send()
        .await
        .unwrap();
    assert_eq!(assert_ok(response).await, json!({}));
}

#[tokio::test]
async fn a_bad_rate_limit_is_a_400() {
    let app = spawn_app().await;
    for body in [
        json!({"requests": 0, "perSeconds": 1}),
        json!({"requests": 1, "perSeconds": 0}),
        json!({"requests": 1}),
        json!({"requests": -1, "perSeconds": 1}),
        json!({"requests": 1, "perSeconds": 1, "burst": 3}),
    ] {
        let response = app
            .control(Method::PUT, "/rate-limit")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_error(response, 400, MESSAGE_400).await;
    }
    let response = app
        .control(Method::GET, "/rate-limit")
        .send()
        .await
        .unwrap();
    assert_eq!(assert_ok(response).await, json!({}));
}

#[tokio::test]
async fn a_rate_limit_can_be_set_at_start() {
    let app = spawn_app_with_options(Options {
        rate_limit: Some(Limit {
            requests: 1,
            per_seconds: 60,
        }),
        ..Default::default()
    })
    .await;
    let response = app
        .control(Method::GET, "/rate-limit")
        .send()
        .await
        .unwrap();
    assert_eq!(
        assert_ok(response).await,
        json!({"limit": {"requests": 1, "perSeconds": 60}})
    );
    assert_ok(get_john(&app, ADMIN).await).await;
    let response = get_john(&app, ADMIN).await;
    let seconds: u64 = retry_after(&response).unwrap().parse().unwrap();
    assert!((1..=60).contains(&seconds), "{seconds}");
    assert_error(response, 429, MESSAGE_429).await;
}

// ---------------------------------------------------------------------------------------
// CORS

fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

fn lower_list(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .collect()
}

async fn preflight(app: &TestApp, origin: &str) -> Response {
    app.client
        .request(Method::OPTIONS, app.url(USERCONFIG))
        .header("origin", origin)
        .header("access-control-request-method", "PUT")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_cors_preflight_is_answered() {
    let app = spawn_app().await;
    let response = preflight(&app, "http://localhost:5173").await;
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    let allowed = lower_list(header(&response, "access-control-allow-headers"));
    for name in ["authorization", "content-type"] {
        assert!(allowed.iter().any(|h| h == name), "{allowed:?}");
    }
    let methods = lower_list(header(&response, "access-control-allow-methods"));
    assert!(methods.iter().any(|m| m == "put"), "{methods:?}");
}

#[tokio::test]
async fn a_cors_request_may_read_the_tracking_id() {
    let app = spawn_app().await;
    let response = app
        .request(Method::GET, USERCONFIG, ADMIN)
        .query(&[("siteUrl", SITE), ("personId", JOHN_ID)])
        .header("origin", "http://localhost:5173")
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    let exposed = lower_list(header(&response, "access-control-expose-headers"));
    assert!(exposed.iter().any(|h| h == "trackingid"), "{exposed:?}");
    assert!(exposed.iter().any(|h| h == "retry-after"), "{exposed:?}");
    assert_ok(response).await;
}

#[tokio::test]
async fn cors_headers_are_only_for_requests_with_an_origin() {
    let app = spawn_app().await;
    let response = app
        .request(Method::GET, USERCONFIG, ADMIN)
        .query(&[("siteUrl", SITE), ("personId", JOHN_ID)])
        .send()
        .await
        .unwrap();
    for name in [
        "access-control-allow-origin",
        "access-control-expose-headers",
        "vary",
    ] {
        assert_eq!(header(&response, name), None, "{name}");
    }
    assert!(header(&response, "trackingid").is_some());
    assert_ok(response).await;

    // A preflight is answered whether or not it names an origin.
    let response = app
        .client
        .request(Method::OPTIONS, app.url(USERCONFIG))
        .header("access-control-request-method", "PUT")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(header(&response, "access-control-allow-methods").is_some());
    assert!(header(&response, "trackingid").is_some());
}

#[tokio::test]
async fn cors_origins_can_be_restricted() {
    let app = spawn_app_with_options(Options {
        cors_origins: Some(vec!["http://localhost:3000".into()]),
        ..Default::default()
    })
    .await;
    let response = preflight(&app, "http://localhost:3000").await;
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    let response = preflight(&app, "http://evil.example").await;
    assert_eq!(header(&response, "access-control-allow-origin"), None);

    let response = app
        .request(Method::GET, USERCONFIG, ADMIN)
        .query(&[("siteUrl", SITE), ("personId", JOHN_ID)])
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "access-control-allow-origin"), None);
    // The server still answers; the browser is what refuses.
    assert_ok(response).await;
}

// ---------------------------------------------------------------------------------------
// --any-token and --control-token

#[tokio::test]
async fn with_any_token_any_bearer_token_is_the_default_admin() {
    let app = spawn_app_with_options(Options {
        any_token: true,
        ..Default::default()
    })
    .await;
    let body = assert_ok(app.put_user_codes("whatever", &docs_example()).await).await;
    assert_eq!(body["trackingCodes"][0]["value"], "Sales");
    let me = assert_ok(
        app.request(Method::GET, "/v1/people/me", "another-one")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me["emails"][0], MARIA_EMAIL);
    // Known tokens keep their own person and scopes.
    let response = app.put_user_codes(USER, &docs_example()).await;
    assert_error(response, 403, MESSAGE_403).await;

    let response = app
        .client
        .put(app.url(USERCONFIG))
        .json(&docs_example())
        .send()
        .await
        .unwrap();
    assert_error(response, 401, MESSAGE_401).await;
}

#[tokio::test]
async fn without_any_token_an_unknown_token_is_a_401() {
    let app = spawn_app().await;
    let response = app.put_user_codes("whatever", &docs_example()).await;
    assert_error(response, 401, MESSAGE_401).await;
}

#[tokio::test]
async fn with_a_control_token_the_control_plane_needs_it() {
    let app = spawn_app_with_options(Options {
        control_token: Some("secret".into()),
        ..Default::default()
    })
    .await;
    for (method, path) in [
        (Method::GET, "/health"),
        (Method::GET, "/worlds"),
        (Method::POST, "/worlds"),
        (Method::GET, "/journal"),
        (Method::GET, "/state"),
        (Method::POST, "/reset"),
        (Method::GET, "/faults"),
        // An unknown path and a wrong method answer nothing but 401 either.
        (Method::GET, "/nowhere"),
        (Method::PATCH, "/worlds"),
    ] {
        let response = app.control(method.clone(), path).send().await.unwrap();
        assert_error(response, 401, MESSAGE_401).await;
        let response = app
            .control(method.clone(), path)
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap();
        assert_error(response, 401, MESSAGE_401).await;
        let response = app
            .control(method.clone(), path)
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        assert_error(response, 401, MESSAGE_401).await;
    }
    let response = app
        .control(Method::GET, "/health")
        .bearer_auth("secret")
        .send()
        .await
        .unwrap();
    assert_eq!(assert_ok(response).await["status"], "ok");
    let response = app
        .control(Method::POST, "/worlds")
        .bearer_auth("secret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);

    // A browser's preflight carries no credentials and is answered.
    let response = app
        .client
        .request(Method::OPTIONS, app.url("/_emulator/worlds"))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some("http://localhost:5173")
    );

    // /v1 is unaffected: Webex tokens work, the control token is no Webex token.
    assert_ok(get_john(&app, ADMIN).await).await;
    assert_error(get_john(&app, "secret").await, 401, MESSAGE_401).await;
}
