//! Update User Tracking Codes: `PUT /v1/admin/meeting/userconfig/trackingCodes`, rule by
//! rule in the order the contract checks them (section 3), and the precedence between them.

use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};

use crate::helpers::*;

const MESSAGE_409: &str = "The request could not be processed because it conflicts with some established rule of the system.";
const MESSAGE_413: &str = "The request is larger than the server is willing or able to process.";
const MESSAGE_415: &str = "The request was made to a resource without specifying a media type or used a media type that is not supported.";
const MISSING_PERSON: &str = "At least one parameter of 'personId' or 'email' is required.";
const SITE_URL_EMPTY: &str = "'siteUrl' cannot be empty";
const BODY_LIMIT: usize = 1024 * 1024;

const MARIA_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS85ZjY4ZjM0ZS0wZjBiLTQ0YWQtOTkyYi1hNDA0NWEyZTE2NWM";
const HANK_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hODExYWNhYS1hYTc2LTQxZjUtYmI1YS0yM2RlNmI5YWY3MTI";
/// Base64 of `ciscospark://us/PEOPLE/00000000-0000-0000-0000-000000000000`: well formed,
/// nobody's.
const NOBODY_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS8wMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA";

const DEPARTMENT_OPTIONS: &str =
    "'Sales', 'Engineering', 'Marketing', 'Support', 'Finance', 'Human Resources'";

/// John's values on example.webex.com in the built-in seed.
fn john_seeded() -> Vec<(String, String, String)> {
    triples(&[
        ("1", "Department", "Engineering"),
        ("2", "Division", "Full-time"),
    ])
}

fn triples(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    list.iter()
        .map(|(i, n, v)| (i.to_string(), n.to_string(), v.to_string()))
        .collect()
}

/// An update of John on example.webex.com with the given items.
fn john(items: Value) -> Value {
    json!({"siteUrl": SITE, "personId": JOHN_ID, "trackingCodes": items})
}

/// John's values on example.webex.com, read back with GET.
async fn john_now(app: &TestApp) -> Vec<(String, String, String)> {
    codes(&assert_ok(app.get_user_codes(ADMIN, SITE, JOHN_ID).await).await)
}

/// A PUT on userconfig with a raw body and an optional content type.
fn put_raw(
    app: &TestApp,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> RequestBuilder {
    let mut request = match token {
        Some(token) => app.request(Method::PUT, USERCONFIG, token),
        None => app.client.put(app.url(USERCONFIG)),
    };
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    request.body(body)
}

async fn send(request: RequestBuilder) -> Response {
    request.send().await.expect("request sent")
}

/// Asserts a 400 and returns its descriptions.
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

// ---------------------------------------------------------------------------------------
// The docs example

#[tokio::test]
async fn the_webex_docs_example_answers_200_and_is_read_back() {
    let app = spawn_app().await;
    let body = json!({
        "siteUrl": "example.webex.com",
        "personId": JOHN_ID,
        "email": "john.andersen@example.com",
        "trackingCodes": [
            {"name": "Department", "value": "Sales"},
            {"name": "Division", "value": "Part-time"}
        ]
    });
    let response = app.put_user_codes(ADMIN, &body).await;
    let tracking = response.headers()["trackingid"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(tracking.starts_with("ROUTERGW_"), "{tracking}");
    let expected = json!({
        "siteUrl": "example.webex.com",
        "personId": JOHN_ID,
        "email": "john.andersen@example.com",
        "trackingCodes": [
            {"id": "1", "name": "Department", "value": "Sales"},
            {"id": "2", "name": "Division", "value": "Part-time"}
        ]
    });
    assert_eq!(assert_ok(response).await, expected);
    let read = assert_ok(app.get_user_codes(ADMIN, SITE, JOHN_ID).await).await;
    assert_eq!(read, expected);
}

// ---------------------------------------------------------------------------------------
// Rule 1: 401 then 403, before anything about the body

#[tokio::test]
async fn no_unknown_or_non_bearer_credentials_are_a_401() {
    let app = spawn_app().await;
    let body = serde_json::to_vec(&john(json!([{"name": "Project", "value": "X"}]))).unwrap();
    let requests = [
        put_raw(&app, None, Some("application/json"), body.clone()),
        put_raw(
            &app,
            Some("no-such-token"),
            Some("application/json"),
            body.clone(),
        ),
        put_raw(&app, None, Some("application/json"), body.clone())
            .header("authorization", format!("Basic {ADMIN}")),
        put_raw(&app, None, Some("application/json"), body.clone()).header("authorization", ADMIN),
        put_raw(&app, None, Some("application/json"), body.clone())
            .header("authorization", "Bearer "),
    ];
    for request in requests {
        let errors = assert_error(send(request).await, 401, MESSAGE_401).await;
        assert_eq!(errors, [MESSAGE_401]);
    }
    assert_eq!(john_now(&app).await, john_seeded(), "nothing changed");
}

#[tokio::test]
async fn a_user_a_read_only_admin_or_an_admin_without_the_scope_is_a_403() {
    let app = spawn_app().await;
    let body = john(json!([{"name": "Project", "value": "X"}]));
    for token in [USER, READONLY_ADMIN, ADMIN_NO_SCOPES, "webex-emulator-john"] {
        let errors = assert_error(app.put_user_codes(token, &body).await, 403, MESSAGE_403).await;
        assert_eq!(errors, [MESSAGE_403], "token {token}");
    }
    assert_eq!(john_now(&app).await, john_seeded(), "nothing changed");
}

#[tokio::test]
async fn an_unauthenticated_request_with_a_bad_body_is_a_401_not_a_400() {
    let app = spawn_app().await;
    for (content_type, body) in [
        (Some("application/json"), b"{not json".to_vec()),
        (Some("application/json"), b"[1, 2]".to_vec()),
        (Some("application/json"), Vec::new()),
        (Some("text/plain"), b"hello".to_vec()),
        (None, br#"{"siteUrl": 5}"#.to_vec()),
    ] {
        let response = send(put_raw(&app, None, content_type, body.clone())).await;
        assert_error(response, 401, MESSAGE_401).await;
        let response = send(put_raw(&app, Some("nope"), content_type, body)).await;
        assert_error(response, 401, MESSAGE_401).await;
    }
}

#[tokio::test]
async fn a_forbidden_caller_with_a_bad_body_is_a_403_not_a_400() {
    let app = spawn_app().await;
    for token in [USER, READONLY_ADMIN, ADMIN_NO_SCOPES] {
        let response = send(put_raw(
            &app,
            Some(token),
            Some("application/json"),
            b"{".to_vec(),
        ))
        .await;
        assert_error(response, 403, MESSAGE_403).await;
        let response = send(put_raw(
            &app,
            Some(token),
            Some("text/plain"),
            b"x".to_vec(),
        ))
        .await;
        assert_error(response, 403, MESSAGE_403).await;
        // A valid body that would fail later rules is still refused at rule 1.
        let response = app
            .put_user_codes(token, &json!({"siteUrl": "nope.webex.com"}))
            .await;
        assert_error(response, 403, MESSAGE_403).await;
    }
}

#[tokio::test]
async fn an_oversized_body_from_an_unauthenticated_caller_is_a_401() {
    let app = spawn_app().await;
    let response = send(put_raw(
        &app,
        None,
        Some("application/json"),
        vec![b' '; BODY_LIMIT + 1],
    ))
    .await;
    assert_error(response, 401, MESSAGE_401).await;
}

// ---------------------------------------------------------------------------------------
// Rule 2: the body is a JSON object of the right types

#[tokio::test]
async fn malformed_json_is_a_400() {
    let app = spawn_app().await;
    for body in [
        &b"{"[..],
        b"{\"siteUrl\": }",
        b"not json",
        b"{} {}",
        b"{\"siteUrl\": \"a\",}",
    ] {
        let response = send(put_raw(
            &app,
            Some(ADMIN),
            Some("application/json"),
            body.to_vec(),
        ))
        .await;
        assert_400_starting(response, "The request body is not valid JSON").await;
    }
    assert_eq!(john_now(&app).await, john_seeded());
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_a_400() {
    let app = spawn_app().await;
    for body in [
        json!([{"siteUrl": SITE, "personId": JOHN_ID}]),
        json!([]),
        json!("example.webex.com"),
        json!(5),
        json!(true),
        Value::Null,
    ] {
        let errors = assert_400(app.put_user_codes(ADMIN, &body).await).await;
        assert_eq!(
            errors,
            ["The request body must be a JSON object."],
            "body {body}"
        );
    }
}

#[tokio::test]
async fn wrong_types_are_a_400_naming_the_field() {
    let app = spawn_app().await;
    let cases = [
        (json!({"siteUrl": 5, "personId": JOHN_ID}), "'siteUrl'"),
        (json!({"siteUrl": SITE, "personId": 5}), "'personId'"),
        (
            json!({"siteUrl": SITE, "personId": JOHN_ID, "email": ["a"]}),
            "'email'",
        ),
        (john(json!({})), "'trackingCodes'"),
        (john(json!("Department")), "'trackingCodes'"),
        (john(json!(["Department"])), "'trackingCodes[0]'"),
        (john(json!([["Department", "Sales"]])), "'trackingCodes[0]'"),
        (john(json!([null])), "'trackingCodes[0]'"),
        (
            john(json!([{"name": "Department", "value": "Sales"}, {"name": 5, "value": "x"}])),
            "'trackingCodes[1].name'",
        ),
        (
            john(json!([{"name": "Project", "value": 7}])),
            "'trackingCodes[0].value'",
        ),
        (
            john(json!([{"name": "Project", "value": true}])),
            "'trackingCodes[0].value'",
        ),
    ];
    for (body, field) in cases {
        let errors = assert_400(app.put_user_codes(ADMIN, &body).await).await;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with(&format!("Invalid value for {field}")),
            "body {body}: {:?} should name {field}",
            errors[0]
        );
    }
    assert_eq!(john_now(&app).await, john_seeded());
}

#[tokio::test]
async fn an_empty_body_is_a_400() {
    let app = spawn_app().await;
    for (content_type, body) in [
        (Some("application/json"), Vec::new()),
        (Some("application/json"), b"  \n ".to_vec()),
        (None, Vec::new()),
    ] {
        let response = send(put_raw(&app, Some(ADMIN), content_type, body)).await;
        let errors = assert_400(response).await;
        assert_eq!(
            errors,
            ["The request body is missing; a JSON object is expected."]
        );
    }
}

#[tokio::test]
async fn a_body_with_a_non_json_content_type_is_a_415() {
    let app = spawn_app().await;
    let body = serde_json::to_vec(&john(json!([{"name": "Project", "value": "X"}]))).unwrap();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        let response = send(put_raw(&app, Some(ADMIN), Some(content_type), body.clone())).await;
        let errors = assert_error(response, 415, MESSAGE_415).await;
        assert_eq!(
            errors,
            [format!(
                "The content type '{content_type}' is not supported; send 'application/json'."
            )]
        );
    }
    assert_eq!(john_now(&app).await, john_seeded(), "nothing changed");
    // JSON with parameters, in any case, is JSON.
    for content_type in ["application/json; charset=utf-8", "Application/JSON"] {
        let response = send(put_raw(&app, Some(ADMIN), Some(content_type), body.clone())).await;
        assert_ok(response).await;
    }
}

#[tokio::test]
async fn a_body_over_one_mib_is_a_413_and_one_at_the_limit_is_read() {
    let app = spawn_app().await;
    // A valid update padded with an unknown field up to exactly the limit.
    let head = format!(
        r#"{{"siteUrl":"{SITE}","personId":"{JOHN_ID}","trackingCodes":[{{"name":"Project","value":"Big"}}],"padding":""#
    );
    let mut at_limit = head.into_bytes();
    at_limit.resize(BODY_LIMIT - 2, b'x');
    at_limit.extend_from_slice(b"\"}");
    assert_eq!(at_limit.len(), BODY_LIMIT);
    let response = send(put_raw(
        &app,
        Some(ADMIN),
        Some("application/json"),
        at_limit.clone(),
    ))
    .await;
    let body = assert_ok(response).await;
    assert_eq!(
        codes(&body)[2],
        ("3".into(), "Project".into(), "Big".into())
    );

    let mut over = at_limit;
    over.insert(over.len() - 2, b'x');
    // Project would change to "Bigger" if the body were read.
    let over = String::from_utf8(over)
        .unwrap()
        .replace("\"Big\"", "\"Bigger\"")
        .into_bytes();
    assert!(over.len() > BODY_LIMIT);
    let response = send(put_raw(&app, Some(ADMIN), Some("application/json"), over)).await;
    let errors = assert_error(response, 413, MESSAGE_413).await;
    assert_eq!(
        errors,
        [format!(
            "The request body is larger than the limit of {BODY_LIMIT} bytes."
        )]
    );
    assert_eq!(
        john_now(&app).await[2].2,
        "Big",
        "the oversized request changed nothing"
    );
}

// ---------------------------------------------------------------------------------------
// Rule 3: siteUrl

#[tokio::test]
async fn a_missing_empty_or_null_site_url_is_a_400() {
    let app = spawn_app().await;
    let items = json!([{"name": "Project", "value": "X"}]);
    for body in [
        json!({"personId": JOHN_ID, "trackingCodes": items}),
        json!({"siteUrl": "", "personId": JOHN_ID, "trackingCodes": items}),
        json!({"siteUrl": "   ", "personId": JOHN_ID, "trackingCodes": items}),
        json!({"siteUrl": null, "personId": JOHN_ID, "trackingCodes": items}),
    ] {
        let errors = assert_400(app.put_user_codes(ADMIN, &body).await).await;
        assert_eq!(errors, [SITE_URL_EMPTY], "body {body}");
    }
    assert_eq!(john_now(&app).await, john_seeded());
}

#[tokio::test]
async fn site_url_matches_whatever_its_case_and_answers_the_canonical_one() {
    let app = spawn_app().await;
    let body = json!({"siteUrl": "Example.WEBEX.com", "personId": JOHN_ID,
                      "trackingCodes": [{"name": "Project", "value": "X"}]});
    let answer = assert_ok(app.put_user_codes(ADMIN, &body).await).await;
    assert_eq!(answer["siteUrl"], SITE);
    assert_eq!(john_now(&app).await.len(), 3);
}

// ---------------------------------------------------------------------------------------
// Rule 4: the person

#[tokio::test]
async fn neither_person_id_nor_email_is_a_400() {
    let app = spawn_app().await;
    let items = json!([{"name": "Project", "value": "X"}]);
    for body in [
        json!({"siteUrl": SITE, "trackingCodes": items}),
        json!({"siteUrl": SITE, "personId": "", "email": "", "trackingCodes": items}),
        json!({"siteUrl": SITE, "personId": null, "email": null, "trackingCodes": items}),
    ] {
        let errors = assert_400(app.put_user_codes(ADMIN, &body).await).await;
        assert_eq!(errors, [MISSING_PERSON], "body {body}");
    }
}

#[tokio::test]
async fn person_id_wins_over_a_non_matching_email() {
    let app = spawn_app().await;
    for email in [MARIA_EMAIL, "nobody@nowhere.example", HANK_EMAIL] {
        let body = json!({"siteUrl": SITE, "personId": JOHN_ID, "email": email,
                          "trackingCodes": [{"name": "Project", "value": email}]});
        let answer = assert_ok(app.put_user_codes(ADMIN, &body).await).await;
        assert_eq!(answer["personId"], JOHN_ID);
        assert_eq!(answer["email"], JOHN_EMAIL, "the person's real email");
    }
    assert_eq!(
        john_now(&app).await[2].2,
        HANK_EMAIL,
        "John was the one updated"
    );
    // An unknown personId is not rescued by a matching email.
    let body = json!({"siteUrl": SITE, "personId": NOBODY_ID, "email": JOHN_EMAIL,
                      "trackingCodes": [{"name": "Project", "value": "lost"}]});
    let errors = assert_error(app.put_user_codes(ADMIN, &body).await, 404, MESSAGE_404).await;
    assert_eq!(errors, [format!("Person '{NOBODY_ID}' is not found.")]);
    assert_eq!(john_now(&app).await[2].2, HANK_EMAIL);
    // Maria's values did not move.
    let maria = codes(&assert_ok(app.get_user_codes(ADMIN, SITE, MARIA_ID).await).await);
    assert!(
        maria.iter().all(|(_, name, _)| name != "Project"),
        "{maria:?}"
    );
}

#[tokio::test]
async fn email_alone_finds_the_person_whatever_its_case() {
    let app = spawn_app().await;
    for (email, value) in [
        ("JOHN.Andersen@Example.COM", "A"),
        (" john.andersen@example.com ", "B"),
    ] {
        let body = json!({"siteUrl": SITE, "email": email,
                          "trackingCodes": [{"name": "Project", "value": value}]});
        let answer = assert_ok(app.put_user_codes(ADMIN, &body).await).await;
        assert_eq!(answer["personId"], JOHN_ID);
        assert_eq!(answer["email"], JOHN_EMAIL);
    }
    assert_eq!(john_now(&app).await[2].2, "B");
    // An empty personId next to an email counts as absent.
    let body = json!({"siteUrl": SITE, "personId": "", "email": JOHN_EMAIL,
                      "trackingCodes": [{"name": "Project", "value": "C"}]});
    assert_eq!(
        assert_ok(app.put_user_codes(ADMIN, &body).await).await["personId"],
        JOHN_ID
    );
}

// ---------------------------------------------------------------------------------------
// Rule 5: each item

#[tokio::test]
async fn a_missing_or_empty_name_or_value_is_a_400_naming_the_item() {
    let app = spawn_app().await;
    let cases = [
        (
            json!([{"value": "Sales"}]),
            "'trackingCodes[0].name' cannot be empty",
        ),
        (
            json!([{"name": "", "value": "Sales"}]),
            "'trackingCodes[0].name' cannot be empty",
        ),
        (
            json!([{"name": null, "value": "Sales"}]),
            "'trackingCodes[0].name' cannot be empty",
        ),
        (
            json!([{"name": "  ", "value": "Sales"}]),
            "'trackingCodes[0].name' cannot be empty",
        ),
        (
            json!([{"name": "Department", "value": "Sales"}, {"name": "Project"}]),
            "'trackingCodes[1].value' cannot be empty",
        ),
        (
            json!([{"name": "Department", "value": "Sales"}, {"name": "Project", "value": ""}]),
            "'trackingCodes[1].value' cannot be empty",
        ),
        (
            json!([{"name": "Department", "value": "Sales"}, {"name": "Project", "value": null}]),
            "'trackingCodes[1].value' cannot be empty",
        ),
    ];
    for (items, description) in cases {
        let errors = assert_400(app.put_user_codes(ADMIN, &john(items.clone())).await).await;
        assert_eq!(errors, [description], "items {items}");
    }
    let errors = assert_400(app.put_user_codes(ADMIN, &john(json!([{}]))).await).await;
    assert_eq!(
        errors,
        [
            "'trackingCodes[0].name' cannot be empty",
            "'trackingCodes[0].value' cannot be empty"
        ]
    );
    assert_eq!(john_now(&app).await, john_seeded(), "nothing changed");
}

#[tokio::test]
async fn a_value_of_120_characters_is_accepted_and_121_refused_counting_characters() {
    let app = spawn_app().await;
    for ch in ["é", "日", "a", "😀"] {
        let value = ch.repeat(120);
        let answer = assert_ok(
            app.put_user_codes(ADMIN, &john(json!([{"name": "Project", "value": value}])))
                .await,
        )
        .await;
        assert_eq!(codes(&answer)[2].2, value, "120 × {ch}");
        assert_eq!(john_now(&app).await[2].2, value);

        let too_long = ch.repeat(121);
        let errors = assert_400(
            app.put_user_codes(
                ADMIN,
                &john(json!([{"name": "Project", "value": too_long}])),
            )
            .await,
        )
        .await;
        assert_eq!(
            errors,
            ["'trackingCodes[0].value' exceeds the maximum length of 120 characters (121 given)"]
        );
        assert_eq!(
            john_now(&app).await[2].2,
            value,
            "the refused value was not stored"
        );
    }
}

#[tokio::test]
async fn a_name_of_120_characters_passes_rule_5_and_121_does_not() {
    let app = spawn_app().await;
    let name = "日".repeat(120);
    // 120 characters (360 bytes) is within the limit, so the next rule speaks: no such code.
    let errors = assert_400(
        app.put_user_codes(ADMIN, &john(json!([{"name": name, "value": "x"}])))
            .await,
    )
    .await;
    assert_eq!(errors, [format!("Tracking code of '{name}' is not found.")]);
    let name = "é".repeat(121);
    let errors = assert_400(
        app.put_user_codes(ADMIN, &john(json!([{"name": name, "value": "x"}])))
            .await,
    )
    .await;
    assert_eq!(
        errors,
        ["'trackingCodes[0].name' exceeds the maximum length of 120 characters (121 given)"]
    );
}

#[tokio::test]
async fn a_code_named_with_120_multi_byte_characters_can_be_set() {
    let name = "é".repeat(120);
    let mut seed = built_in_seed();
    seed["trackingCodes"].as_array_mut().unwrap().push(json!({
        "siteUrl": SITE, "id": "7", "name": name, "inputMode": "text",
        "hostProfileCode": "optional", "options": []
    }));
    let app = spawn_app_with_seed(&serde_json::to_vec(&seed).unwrap()).await;
    let value = "日".repeat(120);
    let answer = assert_ok(
        app.put_user_codes(ADMIN, &john(json!([{"name": name, "value": value}])))
            .await,
    )
    .await;
    assert_eq!(codes(&answer)[2], ("7".to_owned(), name, value));
}

#[tokio::test]
async fn the_same_name_twice_is_a_400_even_in_another_case() {
    let app = spawn_app().await;
    for second in ["Project", "project", "PROJECT"] {
        let items = json!([{"name": "Project", "value": "A"}, {"name": second, "value": "B"}]);
        let errors = assert_400(app.put_user_codes(ADMIN, &john(items)).await).await;
        assert_eq!(
            errors,
            [format!(
                "Tracking code '{second}' is given more than once (trackingCodes[1])."
            )]
        );
    }
    assert_eq!(john_now(&app).await, john_seeded(), "nothing changed");
}

#[tokio::test]
async fn several_invalid_items_are_all_reported_in_order() {
    let app = spawn_app().await;
    let items = json!([
        {"name": "Department", "value": "Sales"},
        {"name": "", "value": "x"},
        {"name": "Project", "value": "a".repeat(121)},
        {"name": "Division"},
        {"name": "department", "value": "Support"}
    ]);
    let errors = assert_400(app.put_user_codes(ADMIN, &john(items)).await).await;
    assert_eq!(
        errors,
        [
            "'trackingCodes[1].name' cannot be empty",
            "'trackingCodes[2].value' exceeds the maximum length of 120 characters (121 given)",
            "'trackingCodes[3].value' cannot be empty",
            "Tracking code 'department' is given more than once (trackingCodes[4]).",
        ]
    );
    assert_eq!(john_now(&app).await, john_seeded(), "nothing changed");
}

#[tokio::test]
async fn the_problems_of_rules_3_to_5_are_reported_together_in_rule_order() {
    let app = spawn_app().await;
    let body = json!({"siteUrl": "", "trackingCodes": [{"name": "Project", "value": ""}]});
    let errors = assert_400(app.put_user_codes(ADMIN, &body).await).await;
    assert_eq!(
        errors,
        [
            SITE_URL_EMPTY,
            MISSING_PERSON,
            "'trackingCodes[0].value' cannot be empty"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Rule 6: the site

#[tokio::test]
async fn an_unknown_site_is_a_404() {
    let app = spawn_app().await;
    let body = json!({"siteUrl": "nope.webex.com", "personId": JOHN_ID,
                      "trackingCodes": [{"name": "Project", "value": "X"}]});
    let errors = assert_error(app.put_user_codes(ADMIN, &body).await, 404, MESSAGE_404).await;
    assert_eq!(errors, ["Site 'nope.webex.com' is not found."]);
}

#[tokio::test]
async fn a_site_of_another_org_is_a_404_like_an_unknown_one() {
    let app = spawn_app().await;
    let body = json!({"siteUrl": ORG2_SITE, "personId": JOHN_ID,
                      "trackingCodes": [{"name": "Department", "value": "Research"}]});
    let errors = assert_error(app.put_user_codes(ADMIN, &body).await, 404, MESSAGE_404).await;
    assert_eq!(errors, [format!("Site '{ORG2_SITE}' is not found.")]);
    // Even naming a person of that org, the site stays hidden.
    let body = json!({"siteUrl": ORG2_SITE, "personId": HANK_ID,
                      "trackingCodes": [{"name": "Department", "value": "Legal"}]});
    let errors = assert_error(app.put_user_codes(ADMIN, &body).await, 404, MESSAGE_404).await;
    assert_eq!(errors, [format!("Site '{ORG2_SITE}' is not found.")]);
    // And the other org's values are untouched.
    let hank = assert_ok(app.get_user_codes(ORG2_ADMIN, ORG2_SITE, HANK_ID).await).await;
    assert_eq!(codes(&hank), triples(&[("1", "Department", "Research")]));
}

#[tokio::test]
async fn a_bad_item_and_an_unknown_site_is_a_400() {
    let app = spawn_app().await;
    let body = json!({"siteUrl": "nope.webex.com", "personId": NOBODY_ID,
                      "trackingCodes": [{"name": "Project", "value": ""}]});
    let errors = assert_400(app.put_user_codes(ADMIN, &body).await).await;
    assert_eq!(errors, ["'trackingCodes[0].value' cannot be empty"]);
    let body = json!({"siteUrl": ORG2_SITE, "trackingCodes": [{"name": "Project", "value": "x"}]});
    let errors = assert_400(app.put_user_codes(ADMIN, &body).await).await;
    assert_eq!(errors, [MISSING_PERSON]);
}

#[tokio::test]
async fn an_unknown_site_wins_over_an_unknown_person_and_a_mapped_site_check() {
    let app = spawn_app().await;
    let body = json!({"siteUrl": "nope.webex.com", "personId": NOBODY_ID,
                      "trackingCodes": [{"name": "Nope", "value": "x"}]});
    let errors = assert_error(app.put_user_codes(ADMIN, &body).await, 404, MESSAGE_404).await;
    assert_eq!(errors, ["Site 'nope.webex.com' is not found."]);
}

// ---------------------------------------------------------------------------------------
// Rule 7: the person in the caller's org, with access to the site

#[tokio::test]
async fn an_unknown_person_id_or_email_is_a_404() {
    let app = spawn_app().await;
    let body = json!({"siteUrl": SITE, "personId": NOBODY_ID,
                      "trackingCodes": [{"name": "Project", "value": "X"}]});
    let errors = assert_error(app.put_user_codes(ADMIN, &body).await, 404, MESSAGE_404).await;
    assert_eq!(errors, [format!("Person '{NOBODY_ID}' is not found.")]);
    let body = json!({"siteUrl": SITE, "email": "nobody@example.com",
                      "trackingCodes": [{"name": "Project", "value": "X"}]});
    let errors = assert_error(app.put_user_codes(ADMIN, &body).await, 404, MESSAGE_404).await;
    assert_eq!(
        errors,
        ["Person with email 'nobody@example.com' is not found."]
    );
}

#[tokio::test]
async fn a_person_of_another_org_is_a_404() {
    let app = spawn_app().await;
    let body = json!({"siteUrl": SITE, "email": HANK_EMAIL,
                      "trackingCodes": [{"name": "Project", "value": "X"}]});
    let errors = assert_error(app.put_user_codes(ADMIN, &body).await, 404, MESSAGE_404).await;
    assert_eq!(
        errors,
        [format!("Person with email '{HANK_EMAIL}' is not found.")]
    );
    let body = json!({"siteUrl": SITE, "personId": HANK_ID,
                      "trackingCodes": [{"name": "Project", "value": "X"}]});
    let errors = assert_error(app.put_user_codes(ADMIN, &body).await, 404, MESSAGE_404).await;
    assert_eq!(errors, [format!("Person '{HANK_ID}' is not found.")]);
}

#[tokio::test]
async fn a_person_without_access_to_the_site_is_a_404() {
    let app = spawn_app().await;
    let body = json!({"siteUrl": SITE, "email": LARS_EMAIL,
                      "trackingCodes": [{"name": "Project", "value": "X"}]});
    let errors = assert_error(app.put_user_codes(ADMIN, &body).await, 404, MESSAGE_404).await;
    assert_eq!(
        errors,
        [format!(
            "Person '{LARS_EMAIL}' has no access to site '{SITE}'."
        )]
    );
    // On the site Lars has, the same admin may set his values.
    let body = json!({"siteUrl": SA_SITE, "email": LARS_EMAIL,
                      "trackingCodes": [{"name": "Employee ID", "value": "E-1"}]});
    let answer = assert_ok(app.put_user_codes(ADMIN, &body).await).await;
    assert_eq!(answer["email"], LARS_EMAIL);
    assert_eq!(
        codes(&answer),
        triples(&[
            ("1", "Department", "Operations"),
            ("2", "Employee ID", "E-1")
        ])
    );
}

#[tokio::test]
async fn no_access_to_a_mapped_site_is_a_404_before_the_409() {
    let app = spawn_app().await;
    // John may not use the mapped site: rule 7 speaks before rule 8.
    let body = json!({"siteUrl": MAPPED_SITE, "personId": JOHN_ID,
                      "trackingCodes": [{"name": "Project", "value": "X"}]});
    let errors = assert_error(app.put_user_codes(ADMIN, &body).await, 404, MESSAGE_404).await;
    assert_eq!(
        errors,
        [format!(
            "Person '{JOHN_EMAIL}' has no access to site '{MAPPED_SITE}'."
        )]
    );
}

// ---------------------------------------------------------------------------------------
// Rule 8: mapped sites

#[tokio::test]
async fn sites_with_mapped_tracking_codes_refuse_updates_with_a_409() {
    let app = spawn_app().await;
    for (site, state) in [(MAPPED_SITE, "completed"), (MAPPING_SITE, "in progress")] {
        let before = assert_ok(app.get_user_codes(ADMIN, site, MARIA_ID).await).await;
        let body = json!({"siteUrl": site, "personId": MARIA_ID,
                          "trackingCodes": [{"name": "Project", "value": "Zeus"}]});
        let errors = assert_error(app.put_user_codes(ADMIN, &body).await, 409, MESSAGE_409).await;
        assert_eq!(
            errors,
            [format!(
                "The tracking codes of site '{site}' are mapped to custom or user profile attributes in Control Hub (mapping {state}); user tracking codes cannot be updated."
            )]
        );
        // Rule 8 comes before rules 9 and 10: unknown codes and bad values still get the 409.
        let body = json!({"siteUrl": site, "email": MARIA_EMAIL,
                          "trackingCodes": [{"name": "Nope", "value": "x"},
                                            {"name": "Department", "value": "Astrology"}]});
        assert_error(app.put_user_codes(ADMIN, &body).await, 409, MESSAGE_409).await;
        // Even an update with nothing to change.
        let body = json!({"siteUrl": site, "personId": MARIA_ID});
        assert_error(app.put_user_codes(ADMIN, &body).await, 409, MESSAGE_409).await;
        let after = assert_ok(app.get_user_codes(ADMIN, site, MARIA_ID).await).await;
        assert_eq!(after, before, "a refused update changes nothing");
    }
}

// ---------------------------------------------------------------------------------------
// Rule 9: the codes of the site

#[tokio::test]
async fn an_unknown_code_name_is_a_400() {
    let app = spawn_app().await;
    let items = json!([{"name": "Favourite Colour", "value": "Blue"}]);
    let errors = assert_400(app.put_user_codes(ADMIN, &john(items)).await).await;
    assert_eq!(
        errors,
        ["Tracking code of 'Favourite Colour' is not found."]
    );
    // A code of another site of the same org is not a code of this one.
    let items = json!([{"name": "Employee ID", "value": "E-1"}]);
    let errors = assert_400(app.put_user_codes(ADMIN, &john(items)).await).await;
    assert_eq!(errors, ["Tracking code of 'Employee ID' is not found."]);
    // Names are not trimmed into matching.
    let items = json!([{"name": " Project", "value": "x"}]);
    let errors = assert_400(app.put_user_codes(ADMIN, &john(items)).await).await;
    assert_eq!(errors, ["Tracking code of ' Project' is not found."]);
    assert_eq!(john_now(&app).await, john_seeded(), "nothing changed");
}

#[tokio::test]
async fn code_names_match_whatever_their_case_and_answer_the_canonical_name() {
    let app = spawn_app().await;
    let items = json!([
        {"name": "department", "value": "Sales"},
        {"name": "COST CENTER", "value": "CC-3300"},
        {"name": "pRoJeCt", "value": "Apollo"}
    ]);
    let answer = assert_ok(app.put_user_codes(ADMIN, &john(items)).await).await;
    let expected = triples(&[
        ("1", "Department", "Sales"),
        ("2", "Division", "Full-time"),
        ("3", "Project", "Apollo"),
        ("4", "Cost Center", "CC-3300"),
    ]);
    assert_eq!(codes(&answer), expected);
    assert_eq!(john_now(&app).await, expected);
}

// ---------------------------------------------------------------------------------------
// Rule 10: values of select codes

#[tokio::test]
async fn a_select_value_outside_the_options_is_a_400_listing_them() {
    let app = spawn_app().await;
    let items = json!([{"name": "Department", "value": "Astrology"}]);
    let errors = assert_400(app.put_user_codes(ADMIN, &john(items)).await).await;
    assert_eq!(
        errors,
        [format!(
            "Value 'Astrology' is not an option of the tracking code 'Department'; allowed values: {DEPARTMENT_OPTIONS}."
        )]
    );
    // The description uses the code's canonical name.
    let items = json!([{"name": "division", "value": "Retired"}]);
    let errors = assert_400(app.put_user_codes(ADMIN, &john(items)).await).await;
    assert_eq!(
        errors,
        ["Value 'Retired' is not an option of the tracking code 'Division'; allowed values: 'Full-time', 'Part-time', 'Contractor', 'Intern'."]
    );
    assert_eq!(john_now(&app).await, john_seeded(), "nothing changed");
}

#[tokio::test]
async fn a_host_profile_select_value_outside_the_options_is_a_400() {
    let app = spawn_app().await;
    let items = json!([{"name": "Region", "value": "Mars"}]);
    let errors = assert_400(app.put_user_codes(ADMIN, &john(items)).await).await;
    assert_eq!(
        errors,
        ["Value 'Mars' is not an option of the tracking code 'Region'; allowed values: 'AMER', 'EMEA', 'APAC'."]
    );
    let items = json!([{"name": "Region", "value": "APAC"}]);
    let answer = assert_ok(app.put_user_codes(ADMIN, &john(items)).await).await;
    assert_eq!(
        codes(&answer)[2],
        ("5".into(), "Region".into(), "APAC".into())
    );
}

#[tokio::test]
async fn editable_select_and_text_codes_accept_any_value() {
    let app = spawn_app().await;
    let items = json!([
        {"name": "Cost Center", "value": "CC-9999 (not an option)"},
        {"name": "Project", "value": "Anything at all: ünïcödé, 日本, 😀"},
        {"name": "Billing Code", "value": "BILL-1"}
    ]);
    let answer = assert_ok(app.put_user_codes(ADMIN, &john(items)).await).await;
    let expected = triples(&[
        ("1", "Department", "Engineering"),
        ("2", "Division", "Full-time"),
        ("3", "Project", "Anything at all: ünïcödé, 日本, 😀"),
        ("4", "Cost Center", "CC-9999 (not an option)"),
        ("6", "Billing Code", "BILL-1"),
    ]);
    assert_eq!(codes(&answer), expected);
    assert_eq!(john_now(&app).await, expected);
}

#[tokio::test]
async fn unknown_codes_and_bad_values_are_all_reported_in_item_order() {
    let app = spawn_app().await;
    let items = json!([
        {"name": "Project", "value": "Fine"},
        {"name": "Region", "value": "Mars"},
        {"name": "Nope", "value": "x"},
        {"name": "Department", "value": "Astrology"}
    ]);
    let errors = assert_400(app.put_user_codes(ADMIN, &john(items)).await).await;
    assert_eq!(
        errors,
        [
            "Value 'Mars' is not an option of the tracking code 'Region'; allowed values: 'AMER', 'EMEA', 'APAC'.".to_owned(),
            "Tracking code of 'Nope' is not found.".to_owned(),
            format!("Value 'Astrology' is not an option of the tracking code 'Department'; allowed values: {DEPARTMENT_OPTIONS}."),
        ]
    );
    assert_eq!(
        john_now(&app).await,
        john_seeded(),
        "the good item was not applied"
    );
}

// ---------------------------------------------------------------------------------------
// Rule 11: the update

#[tokio::test]
async fn an_update_merges_and_answers_every_value_ordered_by_id() {
    let app = spawn_app().await;
    // Given out of id order; Department is not listed and keeps its value.
    let items = json!([
        {"name": "Region", "value": "AMER"},
        {"name": "Project", "value": "Apollo"},
        {"name": "Division", "value": "Intern"}
    ]);
    let answer = assert_ok(app.put_user_codes(ADMIN, &john(items)).await).await;
    let expected = triples(&[
        ("1", "Department", "Engineering"),
        ("2", "Division", "Intern"),
        ("3", "Project", "Apollo"),
        ("5", "Region", "AMER"),
    ]);
    assert_eq!(codes(&answer), expected);
    assert!(answer["trackingCodes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"].is_string()));
    assert_eq!(john_now(&app).await, expected);
    // A second merge keeps the first one's values.
    let answer = assert_ok(
        app.put_user_codes(
            ADMIN,
            &john(json!([{"name": "Department", "value": "Finance"}])),
        )
        .await,
    )
    .await;
    let expected = triples(&[
        ("1", "Department", "Finance"),
        ("2", "Division", "Intern"),
        ("3", "Project", "Apollo"),
        ("5", "Region", "AMER"),
    ]);
    assert_eq!(codes(&answer), expected);
    assert_eq!(john_now(&app).await, expected);
}

#[tokio::test]
async fn ids_are_ordered_as_numbers_not_as_strings() {
    let mut seed = built_in_seed();
    seed["trackingCodes"].as_array_mut().unwrap().push(json!({
        "siteUrl": SITE, "id": "10", "name": "Tenth", "inputMode": "text",
        "hostProfileCode": "optional", "options": []
    }));
    let app = spawn_app_with_seed(&serde_json::to_vec(&seed).unwrap()).await;
    let items = json!([{"name": "Tenth", "value": "10"}, {"name": "Project", "value": "3"}]);
    let answer = assert_ok(app.put_user_codes(ADMIN, &john(items)).await).await;
    let ids: Vec<String> = codes(&answer).into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(ids, ["1", "2", "3", "10"]);
}

#[tokio::test]
async fn an_update_touches_only_that_person_on_that_site() {
    let app = spawn_app().await;
    let maria_before = assert_ok(app.get_user_codes(ADMIN, SITE, MARIA_ID).await).await;
    let john_sa_before = assert_ok(app.get_user_codes(ADMIN, SA_SITE, JOHN_ID).await).await;
    let items = json!([{"name": "Department", "value": "Marketing"}]);
    assert_ok(app.put_user_codes(ADMIN, &john(items)).await).await;
    assert_eq!(
        assert_ok(app.get_user_codes(ADMIN, SITE, MARIA_ID).await).await,
        maria_before
    );
    assert_eq!(
        assert_ok(app.get_user_codes(ADMIN, SA_SITE, JOHN_ID).await).await,
        john_sa_before
    );
}

#[tokio::test]
async fn one_bad_item_makes_the_whole_request_change_nothing() {
    let app = spawn_app().await;
    // Valid items before and after the bad one; each rule that can fail on an item.
    for bad in [
        json!({"name": "Department", "value": "Astrology"}),
        json!({"name": "Nope", "value": "x"}),
        json!({"name": "Region", "value": ""}),
    ] {
        let items = json!([
            {"name": "Project", "value": "Zeus"},
            bad,
            {"name": "Division", "value": "Intern"}
        ]);
        assert_400(app.put_user_codes(ADMIN, &john(items)).await).await;
        assert_eq!(john_now(&app).await, john_seeded(), "after {bad}");
    }
}

#[tokio::test]
async fn an_id_inside_items_is_ignored() {
    let app = spawn_app().await;
    let items = json!([
        {"id": "99", "name": "Department", "value": "Sales"},
        {"id": 3, "name": "Division", "value": "Contractor"},
        {"name": "Project", "value": "P", "id": null, "extra": {"nested": [1, 2]}}
    ]);
    let answer = assert_ok(app.put_user_codes(ADMIN, &john(items)).await).await;
    let expected = triples(&[
        ("1", "Department", "Sales"),
        ("2", "Division", "Contractor"),
        ("3", "Project", "P"),
    ]);
    assert_eq!(codes(&answer), expected);
    assert_eq!(john_now(&app).await, expected);
}

#[tokio::test]
async fn absent_null_or_empty_tracking_codes_answer_the_current_values() {
    let app = spawn_app().await;
    let expected = json!({
        "siteUrl": SITE,
        "personId": JOHN_ID,
        "email": JOHN_EMAIL,
        "trackingCodes": [
            {"id": "1", "name": "Department", "value": "Engineering"},
            {"id": "2", "name": "Division", "value": "Full-time"}
        ]
    });
    for body in [
        json!({"siteUrl": SITE, "personId": JOHN_ID}),
        json!({"siteUrl": SITE, "personId": JOHN_ID, "trackingCodes": null}),
        json!({"siteUrl": SITE, "personId": JOHN_ID, "trackingCodes": []}),
    ] {
        assert_eq!(
            assert_ok(app.put_user_codes(ADMIN, &body).await).await,
            expected
        );
    }
    assert_eq!(john_now(&app).await, john_seeded());
}

#[tokio::test]
async fn a_person_without_values_gets_them_created() {
    let app = spawn_app().await;
    // Maria may use the Site Admin site but has no values there yet.
    let body = json!({"siteUrl": SA_SITE, "personId": MARIA_ID});
    let answer = assert_ok(app.put_user_codes(ADMIN, &body).await).await;
    assert_eq!(answer["trackingCodes"], json!([]));
    assert_eq!(answer["email"], MARIA_EMAIL);
    let body = json!({"siteUrl": SA_SITE, "personId": MARIA_ID,
                      "trackingCodes": [{"name": "Meeting Purpose", "value": "Training"}]});
    let answer = assert_ok(app.put_user_codes(ADMIN, &body).await).await;
    assert_eq!(
        codes(&answer),
        triples(&[("3", "Meeting Purpose", "Training")])
    );
    let read = assert_ok(app.get_user_codes(ADMIN, SA_SITE, MARIA_ID).await).await;
    assert_eq!(read, answer);
}

#[tokio::test]
async fn unknown_top_level_fields_are_ignored() {
    let app = spawn_app().await;
    let body = json!({
        "siteUrl": SITE, "personId": JOHN_ID,
        "trackingCodes": [{"name": "Project", "value": "X"}],
        "hostEmail": "someone@example.com", "id": 1, "extra": {"a": [true, null]}, "items": []
    });
    let answer = assert_ok(app.put_user_codes(ADMIN, &body).await).await;
    assert_eq!(
        codes(&answer)[2],
        ("3".into(), "Project".into(), "X".into())
    );
}

#[tokio::test]
async fn the_other_orgs_admin_updates_its_own_org_only() {
    let app = spawn_app().await;
    let body = json!({"siteUrl": ORG2_SITE, "email": HANK_EMAIL,
                      "trackingCodes": [{"name": "Division", "value": "Evil"}]});
    let answer = assert_ok(app.put_user_codes(ORG2_ADMIN, &body).await).await;
    assert_eq!(
        codes(&answer),
        triples(&[("1", "Department", "Research"), ("2", "Division", "Evil")])
    );
    // Example Inc.'s site and people are not found for Globex's admin.
    let body = john(json!([{"name": "Project", "value": "X"}]));
    let errors = assert_error(
        app.put_user_codes(ORG2_ADMIN, &body).await,
        404,
        MESSAGE_404,
    )
    .await;
    assert_eq!(errors, [format!("Site '{SITE}' is not found.")]);
    let body = json!({"siteUrl": ORG2_SITE, "personId": JOHN_ID});
    let errors = assert_error(
        app.put_user_codes(ORG2_ADMIN, &body).await,
        404,
        MESSAGE_404,
    )
    .await;
    assert_eq!(errors, [format!("Person '{JOHN_ID}' is not found.")]);
}

// ---------------------------------------------------------------------------------------
// Errors and tracking ids

#[tokio::test]
async fn a_tracking_id_sent_by_the_client_is_echoed_on_errors_and_successes() {
    let app = spawn_app().await;
    let cases: [(&str, Value, u16); 6] = [
        (ADMIN, john(json!([{"name": "Project", "value": "X"}])), 200),
        ("nope", john(json!([])), 401),
        (USER, john(json!([])), 403),
        (ADMIN, john(json!([{"name": "Nope", "value": "x"}])), 400),
        (
            ADMIN,
            json!({"siteUrl": "nope.webex.com", "personId": JOHN_ID}),
            404,
        ),
        (
            ADMIN,
            json!({"siteUrl": MAPPED_SITE, "personId": MARIA_ID}),
            409,
        ),
    ];
    for (i, (token, body, status)) in cases.into_iter().enumerate() {
        let id = format!("my-test_{i}-3f2a");
        let response = app
            .request(Method::PUT, USERCONFIG, token)
            .header("TrackingID", &id)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "case {i}");
        assert_eq!(response.headers()["trackingid"], id.as_str(), "case {i}");
        let answer: Value = response.json().await.unwrap();
        if status != 200 {
            assert_eq!(answer["trackingId"], id.as_str(), "case {i}");
        } else {
            assert!(
                answer.get("trackingId").is_none(),
                "a success body has no trackingId"
            );
        }
    }
}

#[tokio::test]
async fn every_error_has_the_webex_body_and_a_generated_tracking_id() {
    let app = spawn_app().await;
    let cases = [
        (ADMIN, Some("application/json"), b"{".to_vec(), 400),
        ("nope", Some("application/json"), b"{}".to_vec(), 401),
        (USER, Some("application/json"), b"{}".to_vec(), 403),
        (
            ADMIN,
            Some("application/json"),
            br#"{"siteUrl":"x.webex.com","personId":"p"}"#.to_vec(),
            404,
        ),
        (ADMIN, Some("text/plain"), b"{}".to_vec(), 415),
    ];
    let mut seen = Vec::new();
    for (token, content_type, body, status) in cases {
        let response = send(put_raw(&app, Some(token), content_type, body)).await;
        assert_eq!(response.status().as_u16(), status);
        let header = response.headers()["trackingid"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(header.starts_with("ROUTERGW_"), "{header}");
        let body: Value = response.json().await.unwrap();
        let object = body.as_object().unwrap();
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["errors", "message", "trackingId"], "{body}");
        assert!(body["message"].is_string());
        assert_eq!(body["trackingId"], header.as_str());
        for error in body["errors"].as_array().unwrap() {
            assert!(error["description"].is_string(), "{body}");
        }
        seen.push(header);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5, "each request gets its own tracking id");
}
