//! Site-level tracking codes: List, Get, Create, Update and Delete a Tracking Code under
//! `/v1/admin/meeting/config/trackingCodes`, following the official descriptions and the
//! contract (section 3, "The other operations").

use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};

use crate::helpers::*;

const CODES: &str = "/v1/admin/meeting/config/trackingCodes";
const MESSAGE_409: &str = "The request could not be processed because it conflicts with some established rule of the system.";
const SITE_URL_EMPTY: &str = "'siteUrl' cannot be empty";
const SERVICES: [&str; 5] = [
    "All",
    "MeetingCenter",
    "EventCenter",
    "TrainingCenter",
    "SupportCenter",
];

const MARIA_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS85ZjY4ZjM0ZS0wZjBiLTQ0YWQtOTkyYi1hNDA0NWEyZTE2NWM";
/// The read-only admin, with Department 'Finance' and Cost Center 'CC-2040' on the site.
const WEI_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS8yN2FmMjBmYS01MTE2LTQxMzQtOTAzYi1kZDNhNjRkNGRkNTE";
/// Project 'Apollo' on example.webex.com.
const PRIYA_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS8xZWVjZjZkNy1mMWMzLTQyNTQtODcxMC1jOTcxM2IxMjU5MWI";
/// Project 'Hermes Migration' on example.webex.com.
const YUKI_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS8yNmRkYjRkNS03NTAyLTRkZjQtOGFkZi1lNzlhMDZmNzMxMzg";

// ---------------------------------------------------------------------------------------
// Helpers

fn code_path(id: &str) -> String {
    format!("{CODES}/{id}")
}

async fn send(request: RequestBuilder) -> Response {
    request.send().await.expect("request sent")
}

fn with_site(request: RequestBuilder, site: Option<&str>) -> RequestBuilder {
    match site {
        Some(site) => request.query(&[("siteUrl", site)]),
        None => request,
    }
}

async fn list(app: &TestApp, token: &str, site: Option<&str>) -> Response {
    send(with_site(app.request(Method::GET, CODES, token), site)).await
}

async fn get_code(app: &TestApp, token: &str, id: &str, site: Option<&str>) -> Response {
    send(with_site(
        app.request(Method::GET, &code_path(id), token),
        site,
    ))
    .await
}

async fn create(app: &TestApp, token: &str, body: &Value) -> Response {
    send(app.request(Method::POST, CODES, token).json(body)).await
}

async fn update(app: &TestApp, token: &str, id: &str, body: &Value) -> Response {
    send(app.request(Method::PUT, &code_path(id), token).json(body)).await
}

async fn delete(app: &TestApp, token: &str, id: &str, site: Option<&str>) -> Response {
    send(with_site(
        app.request(Method::DELETE, &code_path(id), token),
        site,
    ))
    .await
}

/// The items of List Tracking Codes for a site, as the admin sees them.
async fn items_of(app: &TestApp, site: &str) -> Vec<Value> {
    let body = assert_ok(list(app, ADMIN, Some(site)).await).await;
    body["items"].as_array().expect("items[]").clone()
}

/// The `(id, name)` pairs of a list of codes.
fn ids_and_names(items: &[Value]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|c| {
            (
                c["id"].as_str().expect("id is a string").to_owned(),
                c["name"].as_str().expect("name").to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(i, n)| (i.to_string(), n.to_string()))
        .collect()
}

fn triples(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    list.iter()
        .map(|(i, n, v)| (i.to_string(), n.to_string(), v.to_string()))
        .collect()
}

/// The seed's codes of a site, exactly as the API answers them (the seed holds the
/// completed `scheduleStartCodes`, in service order).
fn seeded_codes(site: &str) -> Vec<Value> {
    built_in_seed()["trackingCodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["siteUrl"] == site)
        .cloned()
        .collect()
}

fn seeded_code(site: &str, id: &str) -> Value {
    seeded_codes(site)
        .into_iter()
        .find(|c| c["id"] == id)
        .expect("a seeded code")
}

/// The users' values of a person on a site, read back with Get User Tracking Codes.
async fn values_of(app: &TestApp, site: &str, person_id: &str) -> Vec<(String, String, String)> {
    codes(&assert_ok(app.get_user_codes(ADMIN, site, person_id).await).await)
}

/// A completed `scheduleStartCodes`: the five services in order with these types.
fn schedule(types: [&str; 5]) -> Value {
    Value::Array(
        SERVICES
            .iter()
            .zip(types)
            .map(|(service, kind)| json!({"service": service, "type": kind}))
            .collect(),
    )
}

/// The smallest valid definition: a text code, optional on the host profile.
fn text_code(site: &str, name: &str) -> Value {
    json!({"siteUrl": site, "name": name, "inputMode": "text", "hostProfileCode": "optional"})
}

/// A copy of `body` with `field` set to `value`.
fn with(mut body: Value, field: &str, value: Value) -> Value {
    body[field] = value;
    body
}

/// A copy of `body` without `field`.
fn without(mut body: Value, field: &str) -> Value {
    body.as_object_mut().unwrap().remove(field);
    body
}

fn options(values: &[&str]) -> Value {
    Value::Array(
        values
            .iter()
            .map(|v| json!({"value": v, "defaultValue": false}))
            .collect(),
    )
}

/// The request body of Create a Tracking Code in the official docs.
fn docs_create_body() -> Value {
    json!({
        "name": "Department",
        "siteUrl": "example.webex.com",
        "inputMode": "select",
        "options": [
            {"value": "Engineering", "defaultValue": false},
            {"value": "Design", "defaultValue": true},
            {"value": "Sales", "defaultValue": false}
        ],
        "hostProfileCode": "optional",
        "scheduleStartCodes": [
            {"service": "All", "type": "notApplicable"},
            {"service": "MeetingCenter", "type": "required"},
            {"service": "EventCenter", "type": "optional"},
            {"service": "TrainingCenter", "type": "notUsed"},
            {"service": "SupportCenter", "type": "notUsed"}
        ]
    })
}

/// The answer of Create a Tracking Code in the official docs, with the given id.
fn docs_create_answer(id: &str) -> Value {
    json!({
        "id": id,
        "name": "Department",
        "siteUrl": "example.webex.com",
        "inputMode": "select",
        "options": [
            {"value": "Engineering", "defaultValue": false},
            {"value": "Design", "defaultValue": true},
            {"value": "Sales", "defaultValue": false}
        ],
        "hostProfileCode": "optional",
        "scheduleStartCodes": [
            {"service": "All", "type": "notApplicable"},
            {"service": "MeetingCenter", "type": "required"},
            {"service": "EventCenter", "type": "optional"},
            {"service": "TrainingCenter", "type": "notUsed"},
            {"service": "SupportCenter", "type": "notUsed"}
        ]
    })
}

/// The request body of Update a Tracking Code in the official docs.
fn docs_update_body() -> Value {
    json!({
        "name": "Department",
        "siteUrl": "example.webex.com",
        "inputMode": "editableSelect",
        "options": [
            {"value": "Engineering", "defaultValue": true},
            {"value": "Design", "defaultValue": false},
            {"value": "Sales", "defaultValue": false}
        ],
        "hostProfileCode": "optional",
        "scheduleStartCodes": [
            {"service": "All", "type": "notApplicable"},
            {"service": "MeetingCenter", "type": "optional"},
            {"service": "EventCenter", "type": "notUsed"},
            {"service": "TrainingCenter", "type": "required"},
            {"service": "SupportCenter", "type": "notUsed"}
        ]
    })
}

async fn assert_400(response: Response) -> Vec<String> {
    assert_error(response, 400, MESSAGE_400).await
}

/// Asserts a 400 with exactly one description that starts with `prefix`.
async fn assert_400_starting(response: Response, prefix: &str) {
    let errors = assert_400(response).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(prefix),
        "{:?} should start with {prefix:?}",
        errors[0]
    );
}

fn not_found_id(id: &str) -> String {
    format!("Tracking code ID '{id}' is invalid.")
}

fn mapped(site: &str, state: &str, refused: &str) -> String {
    format!(
        "The tracking codes of site '{site}' are mapped to custom or user profile attributes in Control Hub (mapping {state}); tracking codes cannot be {refused}."
    )
}

/// Asserts a 204 with no body and a tracking id.
async fn assert_no_content(response: Response) {
    assert_eq!(response.status().as_u16(), 204, "status");
    assert!(
        response.headers().get("trackingid").is_some(),
        "a TrackingID header"
    );
    let body = response.bytes().await.expect("a body");
    assert!(body.is_empty(), "an empty body, got {body:?}");
}

/// The schedule a created code ends up with, read from the answer.
fn schedule_of(code: &Value) -> Value {
    code["scheduleStartCodes"].clone()
}

// ---------------------------------------------------------------------------------------
// List Tracking Codes

#[tokio::test]
async fn list_answers_the_seed_codes_of_the_site_ordered_by_id() {
    let app = spawn_app().await;
    let response = list(&app, ADMIN, Some(SITE)).await;
    let tracking = response.headers()["trackingid"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(tracking.starts_with("ROUTERGW_"), "{tracking}");
    let body = assert_ok(response).await;
    assert_eq!(body.as_object().unwrap().len(), 1, "only items: {body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(
        ids_and_names(items),
        pairs(&[
            ("1", "Department"),
            ("2", "Division"),
            ("3", "Project"),
            ("4", "Cost Center"),
            ("5", "Region"),
            ("6", "Billing Code"),
        ])
    );
    assert_eq!(*items, seeded_codes(SITE));
    assert_eq!(
        items[2],
        json!({
            "id": "3",
            "name": "Project",
            "siteUrl": SITE,
            "inputMode": "text",
            "options": [],
            "hostProfileCode": "optional",
            "scheduleStartCodes":
                schedule(["notApplicable", "required", "optional", "notUsed", "notUsed"])
        })
    );
}

#[tokio::test]
async fn every_listed_code_has_the_five_services_in_order() {
    let app = spawn_app().await;
    for site in [SITE, SA_SITE, MAPPED_SITE, MAPPING_SITE] {
        for code in items_of(&app, site).await {
            let services: Vec<&str> = code["scheduleStartCodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["service"].as_str().unwrap())
                .collect();
            assert_eq!(services, SERVICES, "{code}");
            assert!(code["id"].is_string(), "{code}");
            assert_eq!(code["siteUrl"], site);
        }
    }
}

#[tokio::test]
async fn list_without_site_url_answers_the_callers_preferred_site() {
    let app = spawn_app().await;
    let expected = assert_ok(list(&app, ADMIN, Some(SITE)).await).await;
    assert_eq!(assert_ok(list(&app, ADMIN, None).await).await, expected);
    // An empty siteUrl counts as left out.
    assert_eq!(assert_ok(list(&app, ADMIN, Some("")).await).await, expected);
    // The other org's admin gets its own preferred site.
    let body = assert_ok(list(&app, ORG2_ADMIN, None).await).await;
    assert_eq!(
        ids_and_names(body["items"].as_array().unwrap()),
        pairs(&[("1", "Department"), ("2", "Division")])
    );
    assert_eq!(body["items"][0]["siteUrl"], ORG2_SITE);
}

#[tokio::test]
async fn list_answers_another_site_and_mapped_sites() {
    let app = spawn_app().await;
    let items = items_of(&app, SA_SITE).await;
    assert_eq!(
        ids_and_names(&items),
        pairs(&[
            ("1", "Department"),
            ("2", "Employee ID"),
            ("3", "Meeting Purpose")
        ])
    );
    assert_eq!(items, seeded_codes(SA_SITE));
    // Sites whose codes are mapped can still be read.
    for site in [MAPPED_SITE, MAPPING_SITE] {
        let items = items_of(&app, site).await;
        assert_eq!(
            ids_and_names(&items),
            pairs(&[("1", "Department"), ("2", "Project")])
        );
        assert_eq!(items, seeded_codes(site));
    }
}

#[tokio::test]
async fn site_url_is_matched_whatever_its_case_and_answered_canonical() {
    let app = spawn_app().await;
    let body = assert_ok(list(&app, ADMIN, Some("Example-SA.WEBEX.com")).await).await;
    assert_eq!(body["items"][0]["siteUrl"], SA_SITE);
    let code = assert_ok(get_code(&app, ADMIN, "2", Some("EXAMPLE-SA.webex.com")).await).await;
    assert_eq!(code, seeded_code(SA_SITE, "2"));
}

#[tokio::test]
async fn a_read_only_admin_may_list_and_get() {
    let app = spawn_app().await;
    let body = assert_ok(list(&app, READONLY_ADMIN, Some(SITE)).await).await;
    assert_eq!(body["items"].as_array().unwrap().len(), 6);
    let code = assert_ok(get_code(&app, READONLY_ADMIN, "1", Some(SITE)).await).await;
    assert_eq!(code, seeded_code(SITE, "1"));
}

#[tokio::test]
async fn a_user_or_an_admin_without_the_scope_may_not_read() {
    let app = spawn_app().await;
    for token in [USER, ADMIN_NO_SCOPES, "webex-emulator-john"] {
        let errors = assert_error(list(&app, token, Some(SITE)).await, 403, MESSAGE_403).await;
        assert_eq!(errors, [MESSAGE_403], "token {token}");
        let errors = assert_error(
            get_code(&app, token, "1", Some(SITE)).await,
            403,
            MESSAGE_403,
        )
        .await;
        assert_eq!(errors, [MESSAGE_403], "token {token}");
    }
}

#[tokio::test]
async fn no_or_an_unknown_token_is_a_401_for_every_operation() {
    let app = spawn_app().await;
    let body = text_code(SITE, "New");
    let requests = [
        app.client.get(app.url(CODES)),
        app.client.get(app.url(&code_path("1"))),
        app.client.post(app.url(CODES)).json(&body),
        app.client.put(app.url(&code_path("1"))).json(&body),
        app.client
            .delete(app.url(&code_path("1")))
            .query(&[("siteUrl", SITE)]),
        app.request(Method::GET, CODES, "no-such-token"),
        app.request(Method::POST, CODES, "no-such-token")
            .json(&body),
    ];
    for request in requests {
        let errors = assert_error(send(request).await, 401, MESSAGE_401).await;
        assert_eq!(errors, [MESSAGE_401]);
    }
    assert_eq!(items_of(&app, SITE).await, seeded_codes(SITE), "unchanged");
}

#[tokio::test]
async fn an_unknown_site_or_a_site_of_another_org_is_a_404() {
    let app = spawn_app().await;
    for (token, site) in [
        (ADMIN, "nowhere.webex.com"),
        (ADMIN, ORG2_SITE),
        (ORG2_ADMIN, SITE),
    ] {
        let errors = assert_error(list(&app, token, Some(site)).await, 404, MESSAGE_404).await;
        assert_eq!(errors, [format!("Site '{site}' is not found.")]);
        let errors = assert_error(
            get_code(&app, token, "1", Some(site)).await,
            404,
            MESSAGE_404,
        )
        .await;
        assert_eq!(errors, [format!("Site '{site}' is not found.")]);
    }
}

// ---------------------------------------------------------------------------------------
// Get a Tracking Code

#[tokio::test]
async fn get_answers_each_code_by_id() {
    let app = spawn_app().await;
    for expected in seeded_codes(SITE) {
        let id = expected["id"].as_str().unwrap();
        let response = get_code(&app, ADMIN, id, Some(SITE)).await;
        assert!(response.headers().get("trackingid").is_some());
        assert_eq!(assert_ok(response).await, expected);
    }
    // Without siteUrl: the caller's preferred site.
    let code = assert_ok(get_code(&app, ADMIN, "5", None).await).await;
    assert_eq!(code, seeded_code(SITE, "5"));
    let code = assert_ok(get_code(&app, ORG2_ADMIN, "1", None).await).await;
    assert_eq!(code, seeded_code(ORG2_SITE, "1"));
}

#[tokio::test]
async fn an_unknown_or_malformed_id_is_a_404() {
    let app = spawn_app().await;
    for id in [
        "999",
        "abc",
        "01",
        "0",
        "+1",
        "1.0",
        "-1",
        "99999999999999999999999",
    ] {
        let errors = assert_error(
            get_code(&app, ADMIN, id, Some(SITE)).await,
            404,
            MESSAGE_404,
        )
        .await;
        assert_eq!(errors, [not_found_id(id)], "id {id}");
    }
}

#[tokio::test]
async fn an_id_of_another_site_is_not_found_on_this_site() {
    let app = spawn_app().await;
    // Billing Code is id 6 on example.webex.com; example-sa.webex.com has ids 1 to 3.
    let errors = assert_error(
        get_code(&app, ADMIN, "6", Some(SA_SITE)).await,
        404,
        MESSAGE_404,
    )
    .await;
    assert_eq!(errors, [not_found_id("6")]);
    // The same id on two sites names two different codes.
    let here = assert_ok(get_code(&app, ADMIN, "2", Some(SITE)).await).await;
    let there = assert_ok(get_code(&app, ADMIN, "2", Some(SA_SITE)).await).await;
    assert_eq!(here["name"], "Division");
    assert_eq!(there["name"], "Employee ID");
}

// ---------------------------------------------------------------------------------------
// Create a Tracking Code: the docs example, ids and access

#[tokio::test]
async fn the_docs_example_collides_with_the_seeded_department_then_gets_id_7() {
    let app = spawn_app().await;
    // The built-in seed already has a 'Department' on example.webex.com (the userconfig
    // docs example needs it), so the create example as is asks for a second one.
    let errors = assert_error(
        create(&app, ADMIN, &docs_create_body()).await,
        409,
        MESSAGE_409,
    )
    .await;
    assert_eq!(
        errors,
        ["Tracking code 'Department' already exists on site 'example.webex.com'."]
    );
    assert_no_content(delete(&app, ADMIN, "1", Some(SITE)).await).await;

    let response = create(&app, ADMIN, &docs_create_body()).await;
    let tracking = response.headers()["trackingid"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(tracking.starts_with("ROUTERGW_"), "{tracking}");
    let answer = assert_ok(response).await;
    assert_eq!(answer, docs_create_answer("7"));
    assert_eq!(
        assert_ok(get_code(&app, ADMIN, "7", Some(SITE)).await).await,
        answer
    );
    assert_eq!(
        ids_and_names(&items_of(&app, SITE).await),
        pairs(&[
            ("2", "Division"),
            ("3", "Project"),
            ("4", "Cost Center"),
            ("5", "Region"),
            ("6", "Billing Code"),
            ("7", "Department"),
        ])
    );
}

#[tokio::test]
async fn a_new_code_gets_the_next_id_of_its_site_and_is_listed_last() {
    let app = spawn_app().await;
    let body = with(docs_create_body(), "name", json!("Team"));
    let answer = assert_ok(create(&app, ADMIN, &body).await).await;
    let mut expected = docs_create_answer("7");
    expected["name"] = json!("Team");
    assert_eq!(answer, expected);
    let items = items_of(&app, SITE).await;
    assert_eq!(items.len(), 7);
    assert_eq!(items[6], expected);

    let second = assert_ok(create(&app, ADMIN, &text_code(SITE, "Team 2")).await).await;
    assert_eq!(second["id"], "8");
    // Another site counts on its own.
    let other = assert_ok(create(&app, ADMIN, &text_code(SA_SITE, "Team")).await).await;
    assert_eq!(other["id"], "4");
    assert_eq!(other["siteUrl"], SA_SITE);
}

#[tokio::test]
async fn create_needs_a_writing_admin_with_the_write_scope() {
    let app = spawn_app().await;
    let body = text_code(SITE, "New");
    for token in [READONLY_ADMIN, USER, ADMIN_NO_SCOPES, "webex-emulator-john"] {
        let errors = assert_error(create(&app, token, &body).await, 403, MESSAGE_403).await;
        assert_eq!(errors, [MESSAGE_403], "token {token}");
    }
    // Refused before the body is read.
    let response = send(
        app.request(Method::POST, CODES, READONLY_ADMIN)
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    assert_error(response, 403, MESSAGE_403).await;
    assert_eq!(items_of(&app, SITE).await, seeded_codes(SITE), "unchanged");
}

#[tokio::test]
async fn the_answer_of_a_minimal_create_fills_every_field() {
    let app = spawn_app().await;
    let answer = assert_ok(create(&app, ADMIN, &text_code(SITE, "Ticket")).await).await;
    assert_eq!(
        answer,
        json!({
            "id": "7",
            "name": "Ticket",
            "siteUrl": SITE,
            "inputMode": "text",
            "options": [],
            "hostProfileCode": "optional",
            "scheduleStartCodes":
                schedule(["notApplicable", "notUsed", "notUsed", "notUsed", "notUsed"])
        })
    );
}

// ---------------------------------------------------------------------------------------
// Create: the shape of the request (400)

#[tokio::test]
async fn a_missing_empty_or_null_site_url_is_a_400() {
    let app = spawn_app().await;
    let body = text_code(SITE, "New");
    for body in [
        without(body.clone(), "siteUrl"),
        with(body.clone(), "siteUrl", json!("")),
        with(body.clone(), "siteUrl", json!("   ")),
        with(body.clone(), "siteUrl", Value::Null),
    ] {
        let errors = assert_400(create(&app, ADMIN, &body).await).await;
        assert_eq!(errors, [SITE_URL_EMPTY], "body {body}");
    }
    assert_eq!(items_of(&app, SITE).await, seeded_codes(SITE), "unchanged");
}

#[tokio::test]
async fn a_missing_empty_or_too_long_name_is_a_400_counting_characters() {
    let app = spawn_app().await;
    let body = text_code(SITE, "x");
    for (body, expected) in [
        (
            without(body.clone(), "name"),
            "'name' cannot be empty".to_owned(),
        ),
        (
            with(body.clone(), "name", json!("")),
            "'name' cannot be empty".to_owned(),
        ),
        (
            with(body.clone(), "name", json!(" \t ")),
            "'name' cannot be empty".to_owned(),
        ),
        (
            with(body.clone(), "name", json!("é".repeat(121))),
            "'name' exceeds the maximum length of 120 characters (121 given)".to_owned(),
        ),
        (
            with(body.clone(), "name", json!("a".repeat(121))),
            "'name' exceeds the maximum length of 120 characters (121 given)".to_owned(),
        ),
    ] {
        let errors = assert_400(create(&app, ADMIN, &body).await).await;
        assert_eq!(errors, [expected], "body {body}");
    }
    assert_eq!(items_of(&app, SITE).await.len(), 6, "nothing created");

    // 120 characters of three bytes each (360 bytes) are fine.
    let name = "日".repeat(120);
    let answer = assert_ok(create(&app, ADMIN, &with(body, "name", json!(name))).await).await;
    assert_eq!(answer["name"], name.as_str());
    assert_eq!(answer["id"], "7");
}

#[tokio::test]
async fn a_missing_input_mode_or_host_profile_code_is_a_400() {
    let app = spawn_app().await;
    let body = text_code(SITE, "New");
    let errors = assert_400(create(&app, ADMIN, &without(body.clone(), "inputMode")).await).await;
    assert_eq!(errors, ["'inputMode' cannot be empty"]);
    let errors = assert_400(
        create(
            &app,
            ADMIN,
            &with(body.clone(), "hostProfileCode", Value::Null),
        )
        .await,
    )
    .await;
    assert_eq!(errors, ["'hostProfileCode' cannot be empty"]);
    let errors = assert_400(
        create(
            &app,
            ADMIN,
            &without(without(body, "inputMode"), "hostProfileCode"),
        )
        .await,
    )
    .await;
    assert_eq!(
        errors,
        [
            "'inputMode' cannot be empty",
            "'hostProfileCode' cannot be empty"
        ]
    );
    assert_eq!(items_of(&app, SITE).await.len(), 6, "nothing created");
}

#[tokio::test]
async fn a_value_outside_an_enum_or_of_a_wrong_type_is_a_400_naming_the_field() {
    let app = spawn_app().await;
    let body = text_code(SITE, "New");
    let cases = [
        (
            with(body.clone(), "inputMode", json!("dropdown")),
            "'inputMode'",
        ),
        (
            with(body.clone(), "inputMode", json!("Select")),
            "'inputMode'",
        ),
        (
            with(body.clone(), "hostProfileCode", json!("sometimes")),
            "'hostProfileCode'",
        ),
        (
            with(
                body.clone(),
                "scheduleStartCodes",
                json!([{"service": "Webinar", "type": "optional"}]),
            ),
            "'scheduleStartCodes[0].service'",
        ),
        (
            with(
                body.clone(),
                "scheduleStartCodes",
                json!([{"service": "All", "type": "optional"},
                       {"service": "EventCenter", "type": "maybe"}]),
            ),
            "'scheduleStartCodes[1].type'",
        ),
        (with(body.clone(), "name", json!(5)), "'name'"),
        (
            with(
                body.clone(),
                "options",
                json!([{"value": "a", "defaultValue": "yes"}]),
            ),
            "'options[0].defaultValue'",
        ),
        (
            with(body.clone(), "options", json!([{"value": 1}])),
            "'options[0].value'",
        ),
        (
            with(body.clone(), "options", json!({"value": "a"})),
            "'options'",
        ),
    ];
    for (body, field) in cases {
        let errors = assert_400(create(&app, ADMIN, &body).await).await;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with(&format!("Invalid value for {field}")),
            "body {body}: {:?} should name {field}",
            errors[0]
        );
    }
    assert_eq!(items_of(&app, SITE).await.len(), 6, "nothing created");
}

#[tokio::test]
async fn an_item_of_options_or_schedule_start_codes_that_is_not_an_object_is_a_400() {
    let app = spawn_app().await;
    let body = with(text_code(SITE, "New"), "inputMode", json!("select"));
    let cases = [
        (
            with(body.clone(), "options", json!(["Sales"])),
            "options[0]",
        ),
        (
            with(
                body.clone(),
                "options",
                json!([{"value": "a"}, ["b", false]]),
            ),
            "options[1]",
        ),
        (with(body.clone(), "options", json!([null])), "options[0]"),
        (
            with(
                with(body.clone(), "options", options(&["a"])),
                "scheduleStartCodes",
                json!([["All", "optional"]]),
            ),
            "scheduleStartCodes[0]",
        ),
    ];
    for (body, item) in cases {
        let errors = assert_400(create(&app, ADMIN, &body).await).await;
        assert_eq!(
            errors,
            [format!(
                "Invalid value for '{item}': an object is expected."
            )],
            "body {body}"
        );
    }
    assert_eq!(items_of(&app, SITE).await.len(), 6, "nothing created");
}

#[tokio::test]
async fn more_than_500_options_is_a_400_and_500_are_accepted() {
    let app = spawn_app().await;
    let values: Vec<String> = (1..=501).map(|i| format!("Option {i}")).collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    let body = with(
        with(text_code(SITE, "Big"), "inputMode", json!("select")),
        "options",
        options(&refs),
    );
    let errors = assert_400(create(&app, ADMIN, &body).await).await;
    assert_eq!(errors, ["The maximum size of 'options' is 500 (501 given)"]);

    let body = with(body, "options", options(&refs[..500]));
    let answer = assert_ok(create(&app, ADMIN, &body).await).await;
    let got = answer["options"].as_array().unwrap();
    assert_eq!(got.len(), 500);
    assert_eq!(
        got[499],
        json!({"value": "Option 500", "defaultValue": false})
    );
}

#[tokio::test]
async fn an_empty_or_too_long_option_value_is_a_400_naming_the_option() {
    let app = spawn_app().await;
    let body = with(text_code(SITE, "New"), "inputMode", json!("editableSelect"));
    let long = "ü".repeat(121);
    let cases = [
        (
            json!([{"value": "a"}, {"value": ""}]),
            "'options[1].value' cannot be empty",
        ),
        (
            json!([{"value": "  "}]),
            "'options[0].value' cannot be empty",
        ),
        (
            json!([{"defaultValue": true}]),
            "'options[0].value' cannot be empty",
        ),
        (
            json!([{"value": null}]),
            "'options[0].value' cannot be empty",
        ),
        (
            json!([{"value": long}]),
            "'options[0].value' exceeds the maximum length of 120 characters (121 given)",
        ),
    ];
    for (opts, expected) in cases {
        let body = with(body.clone(), "options", opts);
        let errors = assert_400(create(&app, ADMIN, &body).await).await;
        assert_eq!(errors, [expected], "body {body}");
    }
    // 120 multi-byte characters are fine, and a missing defaultValue is false.
    let value = "ü".repeat(120);
    let body = with(body, "options", json!([{"value": value}]));
    let answer = assert_ok(create(&app, ADMIN, &body).await).await;
    assert_eq!(
        answer["options"],
        json!([{"value": value, "defaultValue": false}])
    );
}

#[tokio::test]
async fn two_default_options_are_a_400() {
    let app = spawn_app().await;
    let body = with(
        with(text_code(SITE, "New"), "inputMode", json!("select")),
        "options",
        json!([
            {"value": "a", "defaultValue": true},
            {"value": "b", "defaultValue": false},
            {"value": "c", "defaultValue": true}
        ]),
    );
    let errors = assert_400(create(&app, ADMIN, &body).await).await;
    assert_eq!(
        errors,
        ["At most one option can be the default (2 have 'defaultValue' true)"]
    );
    assert_eq!(items_of(&app, SITE).await.len(), 6, "nothing created");
}

#[tokio::test]
async fn a_repeated_option_value_is_a_400() {
    let app = spawn_app().await;
    let body = with(
        with(text_code(SITE, "New"), "inputMode", json!("select")),
        "options",
        options(&["a", "b", "a"]),
    );
    let errors = assert_400(create(&app, ADMIN, &body).await).await;
    assert_eq!(errors, ["'options[2].value' repeats the option 'a'"]);
    // Values are compared exactly, as user values are: another case is another option.
    let body = with(body, "options", options(&["a", "A"]));
    assert_ok(create(&app, ADMIN, &body).await).await;
}

#[tokio::test]
async fn a_select_or_host_profile_select_code_without_options_is_a_400() {
    let app = spawn_app().await;
    for mode in ["select", "hostProfileSelect"] {
        let body = with(text_code(SITE, "New"), "inputMode", json!(mode));
        for body in [
            body.clone(),
            with(body.clone(), "options", json!([])),
            with(body.clone(), "options", Value::Null),
        ] {
            let errors = assert_400(create(&app, ADMIN, &body).await).await;
            assert_eq!(
                errors,
                [format!(
                    "'options' cannot be empty when 'inputMode' is '{mode}'"
                )],
                "body {body}"
            );
        }
    }
    // Text and editable select codes need none.
    assert_ok(create(&app, ADMIN, &text_code(SITE, "Free")).await).await;
    let body = with(
        text_code(SITE, "Open"),
        "inputMode",
        json!("editableSelect"),
    );
    assert_ok(create(&app, ADMIN, &body).await).await;
}

// ---------------------------------------------------------------------------------------
// Create: scheduleStartCodes

#[tokio::test]
async fn more_than_five_schedule_start_codes_is_a_400() {
    let app = spawn_app().await;
    let mut six: Vec<Value> = SERVICES
        .iter()
        .map(|s| json!({"service": s, "type": "optional"}))
        .collect();
    six.push(json!({"service": "MeetingCenter", "type": "optional"}));
    let body = with(text_code(SITE, "New"), "scheduleStartCodes", json!(six));
    let errors = assert_400(create(&app, ADMIN, &body).await).await;
    assert_eq!(
        errors,
        [
            "The maximum size of 'scheduleStartCodes' is 5 (6 given)",
            "'scheduleStartCodes[5].service' repeats the service 'MeetingCenter'"
        ]
    );
    assert_eq!(items_of(&app, SITE).await.len(), 6, "nothing created");
}

#[tokio::test]
async fn a_service_given_twice_is_a_400() {
    let app = spawn_app().await;
    let body = with(
        text_code(SITE, "New"),
        "scheduleStartCodes",
        json!([
            {"service": "EventCenter", "type": "optional"},
            {"service": "MeetingCenter", "type": "required"},
            {"service": "EventCenter", "type": "optional"}
        ]),
    );
    let errors = assert_400(create(&app, ADMIN, &body).await).await;
    assert_eq!(
        errors,
        ["'scheduleStartCodes[2].service' repeats the service 'EventCenter'"]
    );
}

#[tokio::test]
async fn host_profile_select_needs_schedule_start_codes_null_or_all_not_used() {
    let app = spawn_app().await;
    let base = with(
        with(
            text_code(SITE, "Area"),
            "inputMode",
            json!("hostProfileSelect"),
        ),
        "options",
        json!([{"value": "North", "defaultValue": true}, {"value": "South"}]),
    );
    let body = with(
        base.clone(),
        "scheduleStartCodes",
        json!([
            {"service": "MeetingCenter", "type": "notUsed"},
            {"service": "EventCenter", "type": "optional"}
        ]),
    );
    let errors = assert_400(create(&app, ADMIN, &body).await).await;
    assert_eq!(
        errors,
        ["'scheduleStartCodes[1].type' must be 'notUsed' when 'inputMode' is 'hostProfileSelect'"]
    );
    assert_eq!(items_of(&app, SITE).await.len(), 6, "nothing created");

    let all_not_used: Vec<Value> = SERVICES
        .iter()
        .map(|s| json!({"service": s, "type": "notUsed"}))
        .collect();
    let answer = assert_ok(
        create(
            &app,
            ADMIN,
            &with(base.clone(), "scheduleStartCodes", json!(all_not_used)),
        )
        .await,
    )
    .await;
    assert_eq!(schedule_of(&answer), schedule(["notUsed"; 5]));
    assert_eq!(answer["inputMode"], "hostProfileSelect");

    let null = with(
        with(base.clone(), "name", json!("Area 2")),
        "scheduleStartCodes",
        Value::Null,
    );
    let answer = assert_ok(create(&app, ADMIN, &null).await).await;
    assert_eq!(answer["id"], "8");
    // Left out or null, every service is notUsed, `All` included, as the rule says.
    assert_eq!(schedule_of(&answer), schedule(["notUsed"; 5]));
    let answer = assert_ok(create(&app, ADMIN, &with(base, "name", json!("Area 3"))).await).await;
    assert_eq!(answer["id"], "9");
    assert_eq!(schedule_of(&answer), schedule(["notUsed"; 5]));
}

#[tokio::test]
async fn a_host_profile_select_code_can_be_written_back_as_it_is_read() {
    let app = spawn_app().await;
    // Created without scheduleStartCodes, or with some services only: what the API answers
    // must be accepted when a client sends it back (GET, change, PUT).
    let base = with(
        with(
            text_code(SITE, "Area"),
            "inputMode",
            json!("hostProfileSelect"),
        ),
        "options",
        options(&["North", "South"]),
    );
    for (name, ssc) in [
        ("Area", Value::Null),
        (
            "Area 2",
            json!([{"service": "EventCenter", "type": "notUsed"}]),
        ),
    ] {
        let body = with(
            with(base.clone(), "name", json!(name)),
            "scheduleStartCodes",
            ssc,
        );
        let created = assert_ok(create(&app, ADMIN, &body).await).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let read = assert_ok(get_code(&app, ADMIN, &id, Some(SITE)).await).await;
        assert_eq!(schedule_of(&read), schedule(["notUsed"; 5]), "code {name}");
        let updated = assert_ok(update(&app, ADMIN, &id, &read).await).await;
        assert_eq!(updated, read, "code {name}");
    }
}

#[tokio::test]
async fn required_on_the_host_profile_is_only_for_site_admin_sites() {
    let app = spawn_app().await;
    let body = with(
        text_code(SITE, "Badge"),
        "hostProfileCode",
        json!("required"),
    );
    let errors = assert_400(create(&app, ADMIN, &body).await).await;
    assert_eq!(
        errors,
        ["'hostProfileCode' of 'required' is only allowed for a Site Admin managed site, and 'example.webex.com' is managed in Control Hub."]
    );
    assert_eq!(items_of(&app, SITE).await.len(), 6, "nothing created");

    let body = with(body, "siteUrl", json!(SA_SITE));
    let answer = assert_ok(create(&app, ADMIN, &body).await).await;
    assert_eq!(answer["id"], "4");
    assert_eq!(answer["hostProfileCode"], "required");
    assert_eq!(answer["siteUrl"], SA_SITE);
}

#[tokio::test]
async fn an_admin_set_host_profile_allows_only_admin_set_not_used_and_not_applicable() {
    let app = spawn_app().await;
    let base = with(
        text_code(SITE, "Charge"),
        "hostProfileCode",
        json!("adminSet"),
    );
    for kind in ["optional", "required"] {
        let body = with(
            base.clone(),
            "scheduleStartCodes",
            json!([{"service": "All", "type": kind}]),
        );
        let errors = assert_400(create(&app, ADMIN, &body).await).await;
        assert_eq!(
            errors,
            [format!(
                "'scheduleStartCodes[0].type' of '{kind}' is not allowed when 'hostProfileCode' is 'adminSet'"
            )]
        );
    }
    let body = with(
        base.clone(),
        "scheduleStartCodes",
        json!([{"service": "All", "type": "adminSet"}]),
    );
    let answer = assert_ok(create(&app, ADMIN, &body).await).await;
    assert_eq!(schedule_of(&answer), schedule(["adminSet"; 5]));

    let body = with(
        with(base, "name", json!("Charge 2")),
        "scheduleStartCodes",
        json!([
            {"service": "All", "type": "notApplicable"},
            {"service": "MeetingCenter", "type": "adminSet"},
            {"service": "EventCenter", "type": "notUsed"}
        ]),
    );
    let answer = assert_ok(create(&app, ADMIN, &body).await).await;
    assert_eq!(
        schedule_of(&answer),
        schedule(["notApplicable", "adminSet", "notUsed", "notUsed", "notUsed"])
    );
}

#[tokio::test]
async fn a_host_profile_other_than_admin_set_refuses_the_admin_set_type() {
    let app = spawn_app().await;
    for host in ["optional", "notUsed"] {
        let body = with(
            with(text_code(SITE, "New"), "hostProfileCode", json!(host)),
            "scheduleStartCodes",
            json!([{"service": "MeetingCenter", "type": "adminSet"}]),
        );
        let errors = assert_400(create(&app, ADMIN, &body).await).await;
        assert_eq!(
            errors,
            [format!(
                "'scheduleStartCodes[0].type' of 'adminSet' is not allowed when 'hostProfileCode' is '{host}'"
            )]
        );
    }
    assert_eq!(items_of(&app, SITE).await.len(), 6, "nothing created");
}

#[tokio::test]
async fn a_service_must_agree_with_all_unless_all_is_not_applicable() {
    let app = spawn_app().await;
    let body = with(
        text_code(SITE, "New"),
        "scheduleStartCodes",
        json!([
            {"service": "All", "type": "optional"},
            {"service": "MeetingCenter", "type": "required"},
            {"service": "EventCenter", "type": "optional"},
            {"service": "TrainingCenter", "type": "notUsed"}
        ]),
    );
    let errors = assert_400(create(&app, ADMIN, &body).await).await;
    assert_eq!(
        errors,
        [
            "'scheduleStartCodes[1].type' must be 'optional', the type of the service 'All'",
            "'scheduleStartCodes[3].type' must be 'optional', the type of the service 'All'"
        ]
    );
    assert_eq!(items_of(&app, SITE).await.len(), 6, "nothing created");

    let body = with(
        body,
        "scheduleStartCodes",
        json!([
            {"service": "All", "type": "notApplicable"},
            {"service": "MeetingCenter", "type": "required"},
            {"service": "EventCenter", "type": "optional"},
            {"service": "TrainingCenter", "type": "notUsed"}
        ]),
    );
    let answer = assert_ok(create(&app, ADMIN, &body).await).await;
    assert_eq!(
        schedule_of(&answer),
        schedule([
            "notApplicable",
            "required",
            "optional",
            "notUsed",
            "notUsed"
        ])
    );
}

#[tokio::test]
async fn all_alone_gives_its_type_to_every_service() {
    let app = spawn_app().await;
    let body = with(
        text_code(SITE, "New"),
        "scheduleStartCodes",
        json!([{"service": "All", "type": "required"}]),
    );
    let answer = assert_ok(create(&app, ADMIN, &body).await).await;
    assert_eq!(schedule_of(&answer), schedule(["required"; 5]));
    // A listed service that agrees with All is fine, in any order.
    let body = with(
        with(body, "name", json!("New 2")),
        "scheduleStartCodes",
        json!([
            {"service": "SupportCenter", "type": "optional"},
            {"service": "All", "type": "optional"}
        ]),
    );
    let answer = assert_ok(create(&app, ADMIN, &body).await).await;
    assert_eq!(schedule_of(&answer), schedule(["optional"; 5]));
}

#[tokio::test]
async fn without_all_missing_services_are_not_used_and_all_is_not_applicable() {
    let app = spawn_app().await;
    let body = with(
        text_code(SITE, "New"),
        "scheduleStartCodes",
        json!([{"service": "EventCenter", "type": "optional"}]),
    );
    let answer = assert_ok(create(&app, ADMIN, &body).await).await;
    assert_eq!(
        schedule_of(&answer),
        schedule(["notApplicable", "notUsed", "optional", "notUsed", "notUsed"])
    );
    let read = assert_ok(get_code(&app, ADMIN, "7", Some(SITE)).await).await;
    assert_eq!(read, answer);
}

#[tokio::test]
async fn not_applicable_is_only_for_the_all_service() {
    let app = spawn_app().await;
    let body = with(
        text_code(SITE, "New"),
        "scheduleStartCodes",
        json!([
            {"service": "MeetingCenter", "type": "optional"},
            {"service": "TrainingCenter", "type": "notApplicable"}
        ]),
    );
    let errors = assert_400(create(&app, ADMIN, &body).await).await;
    assert_eq!(
        errors,
        ["'scheduleStartCodes[1].type' of 'notApplicable' only applies to the service 'All'"]
    );
    assert_eq!(items_of(&app, SITE).await.len(), 6, "nothing created");
}

// ---------------------------------------------------------------------------------------
// Create: the site, its mapping and the name (404, 409) and what wins

#[tokio::test]
async fn a_name_taken_on_the_site_in_any_case_is_a_409() {
    let app = spawn_app().await;
    for name in ["Region", "REGION", "cost center", "bIlLiNg CoDe"] {
        let errors = assert_error(
            create(&app, ADMIN, &text_code(SITE, name)).await,
            409,
            MESSAGE_409,
        )
        .await;
        assert_eq!(
            errors,
            [format!(
                "Tracking code '{name}' already exists on site 'example.webex.com'."
            )]
        );
    }
    assert_eq!(items_of(&app, SITE).await, seeded_codes(SITE), "unchanged");
    // Names are unique per site only.
    let answer = assert_ok(create(&app, ADMIN, &text_code(SA_SITE, "Region")).await).await;
    assert_eq!(answer["id"], "4");
}

#[tokio::test]
async fn sites_with_mapped_tracking_codes_refuse_create_with_a_409() {
    let app = spawn_app().await;
    for (site, state) in [(MAPPED_SITE, "completed"), (MAPPING_SITE, "in progress")] {
        let errors = assert_error(
            create(&app, ADMIN, &text_code(site, "New")).await,
            409,
            MESSAGE_409,
        )
        .await;
        assert_eq!(errors, [mapped(site, state, "created")]);
        // The mapping is told before a rule that needs the site or a taken name.
        let body = with(
            text_code(site, "Department"),
            "hostProfileCode",
            json!("required"),
        );
        let errors = assert_error(create(&app, ADMIN, &body).await, 409, MESSAGE_409).await;
        assert_eq!(errors, [mapped(site, state, "created")]);
        assert_eq!(items_of(&app, site).await, seeded_codes(site), "unchanged");
    }
}

#[tokio::test]
async fn create_on_an_unknown_site_or_one_of_another_org_is_a_404() {
    let app = spawn_app().await;
    for site in ["nowhere.webex.com", ORG2_SITE] {
        let errors = assert_error(
            create(&app, ADMIN, &text_code(site, "New")).await,
            404,
            MESSAGE_404,
        )
        .await;
        assert_eq!(errors, [format!("Site '{site}' is not found.")]);
    }
    assert_eq!(
        items_of_as(&app, ORG2_ADMIN, ORG2_SITE).await,
        seeded_codes(ORG2_SITE)
    );
}

async fn items_of_as(app: &TestApp, token: &str, site: &str) -> Vec<Value> {
    let body = assert_ok(list(app, token, Some(site)).await).await;
    body["items"].as_array().expect("items[]").clone()
}

#[tokio::test]
async fn several_shape_problems_are_all_reported_in_order() {
    let app = spawn_app().await;
    let body = json!({
        "name": "",
        "inputMode": "select",
        "options": [
            {"value": "a", "defaultValue": true},
            {"value": ""},
            {"value": "a", "defaultValue": true}
        ],
        "scheduleStartCodes": [
            {"service": "All", "type": "optional"},
            {"service": "EventCenter", "type": "notApplicable"}
        ]
    });
    let errors = assert_400(create(&app, ADMIN, &body).await).await;
    assert_eq!(
        errors,
        [
            "'siteUrl' cannot be empty",
            "'hostProfileCode' cannot be empty",
            "'name' cannot be empty",
            "'options[1].value' cannot be empty",
            "'options[2].value' repeats the option 'a'",
            "At most one option can be the default (2 have 'defaultValue' true)",
            "'scheduleStartCodes[1].type' of 'notApplicable' only applies to the service 'All'",
            "'scheduleStartCodes[1].type' must be 'optional', the type of the service 'All'"
        ]
    );
    assert_eq!(items_of(&app, SITE).await.len(), 6, "nothing created");
}

#[tokio::test]
async fn a_shape_problem_wins_over_an_unknown_site_a_mapped_site_and_a_taken_name() {
    let app = spawn_app().await;
    for site in ["nowhere.webex.com", ORG2_SITE, MAPPED_SITE, SITE] {
        let body = with(text_code(site, "Department"), "inputMode", json!("select"));
        let errors = assert_400(create(&app, ADMIN, &body).await).await;
        assert_eq!(
            errors,
            ["'options' cannot be empty when 'inputMode' is 'select'"],
            "site {site}"
        );
    }
}

#[tokio::test]
async fn the_site_rule_is_a_400_before_a_taken_name_is_a_409() {
    let app = spawn_app().await;
    let body = with(
        text_code(SITE, "Region"),
        "hostProfileCode",
        json!("required"),
    );
    let errors = assert_400(create(&app, ADMIN, &body).await).await;
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("'hostProfileCode' of 'required'"),
        "{errors:?}"
    );
}

#[tokio::test]
async fn create_needs_a_json_body() {
    let app = spawn_app().await;
    let response = send(app.request(Method::POST, CODES, ADMIN)).await;
    assert_400_starting(response, "The request body is missing").await;
    let response = send(
        app.request(Method::POST, CODES, ADMIN)
            .header("content-type", "application/json")
            .body("[]"),
    )
    .await;
    assert_400_starting(response, "The request body must be a JSON object.").await;
    let response = send(
        app.request(Method::POST, CODES, ADMIN)
            .header("content-type", "text/plain")
            .body(serde_json::to_vec(&text_code(SITE, "New")).unwrap()),
    )
    .await;
    assert_error(
        response,
        415,
        "The request was made to a resource without specifying a media type or used a media type that is not supported.",
    )
    .await;
    assert_eq!(items_of(&app, SITE).await.len(), 6, "nothing created");
}

// ---------------------------------------------------------------------------------------
// Update a Tracking Code

#[tokio::test]
async fn update_replaces_the_definition_keeps_the_id_and_answers_the_code() {
    let app = spawn_app().await;
    let response = update(&app, ADMIN, "1", &docs_update_body()).await;
    assert!(response.headers().get("trackingid").is_some());
    let answer = assert_ok(response).await;
    // The answer of the docs example, with the id of the seeded Department.
    let expected = json!({
        "id": "1",
        "name": "Department",
        "siteUrl": "example.webex.com",
        "inputMode": "editableSelect",
        "options": [
            {"value": "Engineering", "defaultValue": true},
            {"value": "Design", "defaultValue": false},
            {"value": "Sales", "defaultValue": false}
        ],
        "hostProfileCode": "optional",
        "scheduleStartCodes": [
            {"service": "All", "type": "notApplicable"},
            {"service": "MeetingCenter", "type": "optional"},
            {"service": "EventCenter", "type": "notUsed"},
            {"service": "TrainingCenter", "type": "required"},
            {"service": "SupportCenter", "type": "notUsed"}
        ]
    });
    assert_eq!(answer, expected);
    assert_eq!(
        assert_ok(get_code(&app, ADMIN, "1", Some(SITE)).await).await,
        expected
    );
    let items = items_of(&app, SITE).await;
    assert_eq!(items.len(), 6);
    assert_eq!(items[0], expected);
    assert_eq!(items[1..], seeded_codes(SITE)[1..], "the others unchanged");

    // Fields left out are not kept from before: the body replaces the definition.
    let answer = assert_ok(update(&app, ADMIN, "1", &text_code(SITE, "Dept")).await).await;
    assert_eq!(
        answer,
        json!({
            "id": "1",
            "name": "Dept",
            "siteUrl": SITE,
            "inputMode": "text",
            "options": [],
            "hostProfileCode": "optional",
            "scheduleStartCodes":
                schedule(["notApplicable", "notUsed", "notUsed", "notUsed", "notUsed"])
        })
    );
}

#[tokio::test]
async fn every_code_read_can_be_written_back_unchanged() {
    let app = spawn_app().await;
    for site in [SITE, SA_SITE] {
        for code in seeded_codes(site) {
            let id = code["id"].as_str().unwrap();
            // The answer of a GET, with its id and siteUrl, is a valid body.
            let answer = assert_ok(update(&app, ADMIN, id, &code).await).await;
            assert_eq!(answer, code);
        }
        assert_eq!(items_of(&app, site).await, seeded_codes(site));
    }
}

#[tokio::test]
async fn renaming_to_another_codes_name_is_a_409_and_to_its_own_in_another_case_is_fine() {
    let app = spawn_app().await;
    let mut body = seeded_code(SITE, "3");
    body["name"] = json!("division");
    let errors = assert_error(update(&app, ADMIN, "3", &body).await, 409, MESSAGE_409).await;
    assert_eq!(
        errors,
        ["Tracking code 'division' already exists on site 'example.webex.com'."]
    );
    assert_eq!(items_of(&app, SITE).await, seeded_codes(SITE), "unchanged");

    body["name"] = json!("PROJECT");
    let answer = assert_ok(update(&app, ADMIN, "3", &body).await).await;
    assert_eq!(answer["name"], "PROJECT");
    assert_eq!(answer["id"], "3");
    // Users' values follow the code (by id) through a rename.
    assert_eq!(
        values_of(&app, SITE, PRIYA_ID).await,
        triples(&[
            ("1", "Department", "Engineering"),
            ("3", "PROJECT", "Apollo"),
            ("5", "Region", "APAC"),
        ])
    );
}

#[tokio::test]
async fn update_of_an_unknown_id_or_an_id_of_another_site_is_a_404() {
    let app = spawn_app().await;
    let body = text_code(SITE, "Anything");
    for id in ["999", "abc", "01", "0"] {
        let errors = assert_error(update(&app, ADMIN, id, &body).await, 404, MESSAGE_404).await;
        assert_eq!(errors, [not_found_id(id)]);
    }
    let errors = assert_error(
        update(&app, ADMIN, "5", &text_code(SA_SITE, "Anything")).await,
        404,
        MESSAGE_404,
    )
    .await;
    assert_eq!(errors, [not_found_id("5")]);
    assert_eq!(items_of(&app, SITE).await, seeded_codes(SITE), "unchanged");
    assert_eq!(items_of(&app, SA_SITE).await, seeded_codes(SA_SITE));
}

#[tokio::test]
async fn update_checks_the_site_url_the_site_and_the_caller() {
    let app = spawn_app().await;
    let body = seeded_code(SITE, "3");
    let errors =
        assert_400(update(&app, ADMIN, "3", &without(body.clone(), "siteUrl")).await).await;
    assert_eq!(errors, [SITE_URL_EMPTY]);
    for site in ["nowhere.webex.com", ORG2_SITE] {
        let errors = assert_error(
            update(
                &app,
                ADMIN,
                "1",
                &with(body.clone(), "siteUrl", json!(site)),
            )
            .await,
            404,
            MESSAGE_404,
        )
        .await;
        assert_eq!(errors, [format!("Site '{site}' is not found.")]);
    }
    for token in [READONLY_ADMIN, USER, ADMIN_NO_SCOPES] {
        let errors = assert_error(update(&app, token, "3", &body).await, 403, MESSAGE_403).await;
        assert_eq!(errors, [MESSAGE_403]);
    }
    // A shape problem is told before an unknown id.
    let errors = assert_400(
        update(
            &app,
            ADMIN,
            "999",
            &with(body.clone(), "inputMode", json!("select")),
        )
        .await,
    )
    .await;
    assert_eq!(
        errors,
        ["'options' cannot be empty when 'inputMode' is 'select'"]
    );
    assert_eq!(items_of(&app, SITE).await, seeded_codes(SITE), "unchanged");
}

#[tokio::test]
async fn sites_with_mapped_tracking_codes_refuse_update_with_a_409() {
    let app = spawn_app().await;
    for (site, state) in [(MAPPED_SITE, "completed"), (MAPPING_SITE, "in progress")] {
        let body = with(seeded_code(site, "2"), "name", json!("Renamed"));
        let errors = assert_error(update(&app, ADMIN, "2", &body).await, 409, MESSAGE_409).await;
        assert_eq!(errors, [mapped(site, state, "updated")]);
        // The mapping is told before an unknown id.
        let errors = assert_error(update(&app, ADMIN, "999", &body).await, 409, MESSAGE_409).await;
        assert_eq!(errors, [mapped(site, state, "updated")]);
        assert_eq!(items_of(&app, site).await, seeded_codes(site), "unchanged");
    }
}

#[tokio::test]
async fn a_failed_update_changes_nothing() {
    let app = spawn_app().await;
    let department = seeded_code(SITE, "1");
    let failing = [
        // 400: a shape problem.
        with(
            with(department.clone(), "options", options(&["Sales"])),
            "hostProfileCode",
            json!("bogus"),
        ),
        // 400: two defaults, with options that would remove values.
        with(
            department.clone(),
            "options",
            json!([{"value": "X", "defaultValue": true}, {"value": "Y", "defaultValue": true}]),
        ),
        // 400: required on a Control Hub site, with narrowed options.
        with(
            with(department.clone(), "options", options(&["Sales"])),
            "hostProfileCode",
            json!("required"),
        ),
        // 409: the name of another code, with narrowed options.
        with(
            with(department.clone(), "options", options(&["Sales"])),
            "name",
            json!("Region"),
        ),
    ];
    for body in failing {
        let response = update(&app, ADMIN, "1", &body).await;
        assert!(
            [400, 409].contains(&response.status().as_u16()),
            "{body}: {}",
            response.status()
        );
    }
    assert_eq!(
        assert_ok(get_code(&app, ADMIN, "1", Some(SITE)).await).await,
        department
    );
    assert_eq!(items_of(&app, SITE).await, seeded_codes(SITE));
    assert_eq!(
        values_of(&app, SITE, JOHN_ID).await,
        triples(&[
            ("1", "Department", "Engineering"),
            ("2", "Division", "Full-time")
        ]),
        "users' values unchanged"
    );
}

#[tokio::test]
async fn narrowing_a_select_codes_options_removes_the_values_outside_them() {
    let app = spawn_app().await;
    let body = json!({"siteUrl": SITE, "personId": JOHN_ID,
                      "trackingCodes": [{"name": "Department", "value": "Sales"}]});
    assert_ok(app.put_user_codes(ADMIN, &body).await).await;
    assert_eq!(
        values_of(&app, SITE, JOHN_ID).await,
        triples(&[("1", "Department", "Sales"), ("2", "Division", "Full-time")])
    );

    let narrowed = with(
        seeded_code(SITE, "1"),
        "options",
        json!([
            {"value": "Engineering", "defaultValue": true},
            {"value": "Marketing", "defaultValue": false},
            {"value": "Human Resources", "defaultValue": false}
        ]),
    );
    let answer = assert_ok(update(&app, ADMIN, "1", &narrowed).await).await;
    assert_eq!(answer, narrowed);

    // John's Sales is gone, his Division stays.
    assert_eq!(
        values_of(&app, SITE, JOHN_ID).await,
        triples(&[("2", "Division", "Full-time")])
    );
    // Wei's Finance is gone too, his Cost Center stays.
    assert_eq!(
        values_of(&app, SITE, WEI_ID).await,
        triples(&[("4", "Cost Center", "CC-2040")])
    );
    // Values inside the options are kept.
    assert_eq!(
        values_of(&app, SITE, MARIA_ID).await,
        triples(&[
            ("1", "Department", "Human Resources"),
            ("2", "Division", "Full-time"),
            ("4", "Cost Center", "CC-1001"),
            ("5", "Region", "EMEA"),
        ])
    );
    assert_eq!(values_of(&app, SITE, PRIYA_ID).await[0].2, "Engineering");
}

#[tokio::test]
async fn narrowing_on_one_site_leaves_the_values_of_another_site() {
    let app = spawn_app().await;
    // Department is id 1 on both sites; John has 'Engineering' on both.
    let narrowed = with(seeded_code(SITE, "1"), "options", options(&["Sales"]));
    assert_ok(update(&app, ADMIN, "1", &narrowed).await).await;
    assert_eq!(
        values_of(&app, SITE, JOHN_ID).await,
        triples(&[("2", "Division", "Full-time")])
    );
    assert_eq!(
        values_of(&app, SA_SITE, JOHN_ID).await,
        triples(&[
            ("1", "Department", "Engineering"),
            ("3", "Meeting Purpose", "Internal Sync"),
        ])
    );
}

#[tokio::test]
async fn changing_a_text_code_to_select_removes_the_values_outside_its_options() {
    let app = spawn_app().await;
    // Project is text: Priya has 'Apollo', Yuki 'Hermes Migration'.
    let body = with(
        with(seeded_code(SITE, "3"), "inputMode", json!("select")),
        "options",
        options(&["Apollo", "Zeus"]),
    );
    let answer = assert_ok(update(&app, ADMIN, "3", &body).await).await;
    assert_eq!(answer["inputMode"], "select");
    assert_eq!(
        values_of(&app, SITE, PRIYA_ID).await,
        triples(&[
            ("1", "Department", "Engineering"),
            ("3", "Project", "Apollo"),
            ("5", "Region", "APAC"),
        ])
    );
    assert_eq!(
        values_of(&app, SITE, YUKI_ID).await,
        triples(&[("2", "Division", "Contractor")])
    );
    // An editable select keeps any value: options are suggestions.
    let body = with(
        with(seeded_code(SITE, "2"), "inputMode", json!("editableSelect")),
        "options",
        options(&["Other"]),
    );
    assert_ok(update(&app, ADMIN, "2", &body).await).await;
    assert_eq!(
        values_of(&app, SITE, YUKI_ID).await,
        triples(&[("2", "Division", "Contractor")])
    );
}

// ---------------------------------------------------------------------------------------
// Delete a Tracking Code

#[tokio::test]
async fn delete_answers_204_without_a_body_and_the_code_is_gone() {
    let app = spawn_app().await;
    assert_no_content(delete(&app, ADMIN, "4", Some(SITE)).await).await;
    let errors = assert_error(
        get_code(&app, ADMIN, "4", Some(SITE)).await,
        404,
        MESSAGE_404,
    )
    .await;
    assert_eq!(errors, [not_found_id("4")]);
    assert_eq!(
        ids_and_names(&items_of(&app, SITE).await),
        pairs(&[
            ("1", "Department"),
            ("2", "Division"),
            ("3", "Project"),
            ("5", "Region"),
            ("6", "Billing Code"),
        ])
    );
    // A second delete finds nothing.
    let errors = assert_error(delete(&app, ADMIN, "4", Some(SITE)).await, 404, MESSAGE_404).await;
    assert_eq!(errors, [not_found_id("4")]);
    // The other sites keep their codes.
    assert_eq!(items_of(&app, SA_SITE).await, seeded_codes(SA_SITE));
}

#[tokio::test]
async fn delete_removes_the_users_values_for_the_code() {
    let app = spawn_app().await;
    assert_no_content(delete(&app, ADMIN, "1", Some(SITE)).await).await;
    assert_eq!(
        values_of(&app, SITE, JOHN_ID).await,
        triples(&[("2", "Division", "Full-time")])
    );
    assert_eq!(
        values_of(&app, SITE, WEI_ID).await,
        triples(&[("4", "Cost Center", "CC-2040")])
    );
    // The Department of another site (id 1 there too) keeps its values.
    assert_eq!(
        values_of(&app, SA_SITE, JOHN_ID).await,
        triples(&[
            ("1", "Department", "Engineering"),
            ("3", "Meeting Purpose", "Internal Sync"),
        ])
    );
    // A value for the deleted code can no longer be set.
    let body = json!({"siteUrl": SITE, "personId": JOHN_ID,
                      "trackingCodes": [{"name": "Department", "value": "Sales"}]});
    let errors = assert_400(app.put_user_codes(ADMIN, &body).await).await;
    assert_eq!(errors, ["Tracking code of 'Department' is not found."]);
}

#[tokio::test]
async fn delete_needs_a_site_url() {
    let app = spawn_app().await;
    for site in [None, Some(""), Some("  ")] {
        let errors = assert_400(delete(&app, ADMIN, "1", site).await).await;
        assert_eq!(errors, [SITE_URL_EMPTY], "siteUrl {site:?}");
    }
    assert_eq!(items_of(&app, SITE).await, seeded_codes(SITE), "unchanged");
}

#[tokio::test]
async fn delete_of_an_unknown_id_or_on_an_unknown_site_is_a_404() {
    let app = spawn_app().await;
    for id in ["999", "abc", "01"] {
        let errors =
            assert_error(delete(&app, ADMIN, id, Some(SITE)).await, 404, MESSAGE_404).await;
        assert_eq!(errors, [not_found_id(id)]);
    }
    let errors = assert_error(
        delete(&app, ADMIN, "6", Some(SA_SITE)).await,
        404,
        MESSAGE_404,
    )
    .await;
    assert_eq!(errors, [not_found_id("6")]);
    for site in ["nowhere.webex.com", ORG2_SITE] {
        let errors =
            assert_error(delete(&app, ADMIN, "1", Some(site)).await, 404, MESSAGE_404).await;
        assert_eq!(errors, [format!("Site '{site}' is not found.")]);
    }
    assert_eq!(items_of(&app, SITE).await, seeded_codes(SITE), "unchanged");
    assert_eq!(items_of(&app, SA_SITE).await, seeded_codes(SA_SITE));
}

#[tokio::test]
async fn sites_with_mapped_tracking_codes_refuse_delete_with_a_409() {
    let app = spawn_app().await;
    for (site, state) in [(MAPPED_SITE, "completed"), (MAPPING_SITE, "in progress")] {
        for id in ["1", "999"] {
            let errors =
                assert_error(delete(&app, ADMIN, id, Some(site)).await, 409, MESSAGE_409).await;
            assert_eq!(errors, [mapped(site, state, "deleted")]);
        }
        assert_eq!(items_of(&app, site).await, seeded_codes(site), "unchanged");
    }
}

#[tokio::test]
async fn delete_needs_a_writing_admin_with_the_write_scope() {
    let app = spawn_app().await;
    for token in [READONLY_ADMIN, USER, ADMIN_NO_SCOPES] {
        let errors =
            assert_error(delete(&app, token, "1", Some(SITE)).await, 403, MESSAGE_403).await;
        assert_eq!(errors, [MESSAGE_403], "token {token}");
    }
    assert_eq!(items_of(&app, SITE).await, seeded_codes(SITE), "unchanged");
    assert_eq!(values_of(&app, SITE, JOHN_ID).await.len(), 2);
}

#[tokio::test]
async fn ids_are_not_reused_after_a_delete() {
    let app = spawn_app().await;
    assert_no_content(delete(&app, ADMIN, "6", Some(SITE)).await).await;
    // The freed name can be taken again, under a new id.
    let answer = assert_ok(create(&app, ADMIN, &text_code(SITE, "Billing Code")).await).await;
    assert_eq!(answer["id"], "7");
    assert_no_content(delete(&app, ADMIN, "7", Some(SITE)).await).await;
    let answer = assert_ok(create(&app, ADMIN, &text_code(SITE, "Billing Code")).await).await;
    assert_eq!(answer["id"], "8");
    // The same on a site where the highest seeded id is deleted.
    assert_no_content(delete(&app, ADMIN, "3", Some(SA_SITE)).await).await;
    let answer = assert_ok(create(&app, ADMIN, &text_code(SA_SITE, "New")).await).await;
    assert_eq!(answer["id"], "4");
    assert_eq!(
        ids_and_names(&items_of(&app, SITE).await),
        pairs(&[
            ("1", "Department"),
            ("2", "Division"),
            ("3", "Project"),
            ("4", "Cost Center"),
            ("5", "Region"),
            ("8", "Billing Code"),
        ])
    );
}

#[tokio::test]
async fn a_tracking_id_sent_by_the_client_is_echoed() {
    let app = spawn_app().await;
    let response = send(
        app.request(Method::POST, CODES, ADMIN)
            .header("TrackingID", "CLIENT_create_1")
            .json(&text_code(SITE, "New")),
    )
    .await;
    assert_eq!(response.headers()["trackingid"], "CLIENT_create_1");
    assert_ok(response).await;
    let response = send(
        app.request(Method::DELETE, &code_path("7"), ADMIN)
            .query(&[("siteUrl", SITE)])
            .header("TrackingID", "CLIENT_delete_1"),
    )
    .await;
    assert_eq!(response.headers()["trackingid"], "CLIENT_delete_1");
    assert_no_content(response).await;
    let response = send(
        app.request(Method::PUT, &code_path("7"), ADMIN)
            .header("TrackingID", "CLIENT_update_1")
            .json(&text_code(SITE, "New")),
    )
    .await;
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(errors, [not_found_id("7")]);
}

// ---------------------------------------------------------------------------------------
// Content-Type on bodiless requests

#[tokio::test]
async fn bodiless_get_and_delete_with_a_json_content_type_are_fine() {
    let app = spawn_app().await;
    let json_type = ("content-type", "application/json");
    let response = send(
        app.request(Method::GET, CODES, ADMIN)
            .query(&[("siteUrl", SITE)])
            .header(json_type.0, json_type.1),
    )
    .await;
    assert_eq!(
        assert_ok(response).await["items"].as_array().unwrap().len(),
        6
    );
    let response = send(
        app.request(Method::GET, &code_path("2"), ADMIN)
            .query(&[("siteUrl", SITE)])
            .header(json_type.0, json_type.1),
    )
    .await;
    assert_eq!(assert_ok(response).await, seeded_code(SITE, "2"));
    let response = send(
        app.request(Method::DELETE, &code_path("2"), ADMIN)
            .query(&[("siteUrl", SITE)])
            .header(json_type.0, json_type.1),
    )
    .await;
    assert_no_content(response).await;
    // Any other content type on a bodiless read or delete is ignored as well.
    let response = send(
        app.request(Method::DELETE, &code_path("3"), ADMIN)
            .query(&[("siteUrl", SITE)])
            .header("content-type", "text/plain"),
    )
    .await;
    assert_no_content(response).await;
    assert_eq!(items_of(&app, SITE).await.len(), 4);
}
