//! What every answer shares: Webex-shaped errors for unknown paths, wrong methods and bad
//! bodies, and the `TrackingID` header.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::helpers::*;

const MESSAGE_405: &str =
    "The request was made to a resource using an HTTP request method that is not supported.";
const MESSAGE_413: &str = "The request is larger than the server is willing or able to process.";
const MESSAGE_415: &str = "The request was made to a resource without specifying a media type or used a media type that is not supported.";

/// The limit the emulator documents for request bodies.
const BODY_LIMIT: usize = 1024 * 1024;

/// A valid update of John's Department on example.webex.com.
fn valid_update() -> Value {
    json!({
        "siteUrl": SITE,
        "personId": JOHN_ID,
        "trackingCodes": [{"name": "Department", "value": "Sales"}]
    })
}

fn tracking_id(response: &Response) -> String {
    response
        .headers()
        .get("trackingid")
        .expect("a TrackingID header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// Asserts the id looks like Webex's gateway ids: `ROUTERGW_<uuid>`.
fn assert_generated(id: &str) {
    let uuid = id
        .strip_prefix("ROUTERGW_")
        .unwrap_or_else(|| panic!("'{id}' does not start with ROUTERGW_"));
    assert!(uuid::Uuid::parse_str(uuid).is_ok(), "'{id}' has no uuid");
}

/// Asserts the server still answers a normal read.
async fn assert_still_serving(app: &TestApp) {
    let body = assert_ok(app.get_user_codes(ADMIN, SITE, JOHN_ID).await).await;
    assert_eq!(body["personId"], JOHN_ID);
}

/// A PUT userconfig with raw bytes and an optional content type.
async fn put_raw(app: &TestApp, content_type: Option<&str>, body: Vec<u8>) -> Response {
    let mut request = app.request(Method::PUT, USERCONFIG, ADMIN).body(body);
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    request.send().await.expect("request sent")
}

/// Sends raw bytes over a fresh connection (`Connection: close` in `request`) and returns
/// the status code and the whole answer as text. Blocking, so run off the runtime.
async fn raw_exchange(addr: SocketAddr, request: Vec<u8>) -> (u16, String) {
    tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        // The server may answer and close before it has read everything; a failed write
        // is fine as long as the answer can be read.
        let _ = stream.write_all(&request);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let text = String::from_utf8_lossy(&answer).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {text:?}"));
        (status, text)
    })
    .await
    .expect("the raw exchange finished")
}

#[tokio::test]
async fn an_unknown_path_under_v1_is_a_webex_404() {
    let app = spawn_app().await;
    for path in [
        "/v1/nope",
        "/v1/admin/meeting/userconfig/trackingCodes/extra",
        "/v1/admin/meeting/userconfig",
        "/v1",
    ] {
        let response = app.request(Method::GET, path, ADMIN).send().await.unwrap();
        assert_generated(&tracking_id(&response));
        let errors = assert_error(response, 404, MESSAGE_404).await;
        assert_eq!(errors, [MESSAGE_404], "path {path}");
    }
    // Any method, and outside /v1 too.
    let response = app
        .request(Method::PUT, "/v1/nope", ADMIN)
        .json(&valid_update())
        .send()
        .await
        .unwrap();
    assert_error(response, 404, MESSAGE_404).await;
    let response = app
        .request(Method::GET, "/nope", ADMIN)
        .send()
        .await
        .unwrap();
    assert_error(response, 404, MESSAGE_404).await;
}

#[tokio::test]
async fn other_methods_on_userconfig_are_a_405_with_allow() {
    let app = spawn_app().await;
    for method in [Method::DELETE, Method::POST, Method::PATCH] {
        let response = app
            .request(method.clone(), USERCONFIG, ADMIN)
            .query(&[("siteUrl", SITE), ("personId", JOHN_ID)])
            .send()
            .await
            .unwrap();
        let allow = response
            .headers()
            .get("allow")
            .unwrap_or_else(|| panic!("an Allow header for {method}"))
            .to_str()
            .unwrap()
            .to_owned();
        let allowed: Vec<&str> = allow.split(',').map(str::trim).collect();
        assert!(
            allowed.contains(&"GET") && allowed.contains(&"PUT"),
            "Allow: {allow}"
        );
        assert!(!allowed.contains(&method.as_str()), "Allow: {allow}");
        let errors = assert_error(response, 405, MESSAGE_405).await;
        assert_eq!(
            errors,
            [format!(
                "The method '{method}' is not allowed for this resource."
            )]
        );
    }
    // A body on the wrong method changes nothing.
    let response = app
        .request(Method::POST, USERCONFIG, ADMIN)
        .json(&valid_update())
        .send()
        .await
        .unwrap();
    assert_error(response, 405, MESSAGE_405).await;
    let body = assert_ok(app.get_user_codes(ADMIN, SITE, JOHN_ID).await).await;
    assert_eq!(body["trackingCodes"][0]["value"], "Engineering");
}

#[tokio::test]
async fn a_generated_tracking_id_is_on_every_answer() {
    let app = spawn_app().await;
    let ok = app.get_user_codes(ADMIN, SITE, JOHN_ID).await;
    let ok_id = tracking_id(&ok);
    assert_generated(&ok_id);
    assert_ok(ok).await;

    let put = app.put_user_codes(ADMIN, &valid_update()).await;
    assert_generated(&tracking_id(&put));
    assert_ok(put).await;

    let unauthorized = app.get_user_codes("nope", SITE, JOHN_ID).await;
    let unauthorized_id = tracking_id(&unauthorized);
    assert_generated(&unauthorized_id);
    assert_error(unauthorized, 401, MESSAGE_401).await;

    let bad = app
        .put_user_codes(ADMIN, &json!({"personId": JOHN_ID}))
        .await;
    assert_generated(&tracking_id(&bad));
    assert_error(bad, 400, MESSAGE_400).await;

    let forbidden = app.get_user_codes(USER, SITE, JOHN_ID).await;
    assert_generated(&tracking_id(&forbidden));
    assert_error(forbidden, 403, MESSAGE_403).await;

    assert_ne!(ok_id, unauthorized_id, "each request gets its own id");
}

#[tokio::test]
async fn a_tracking_id_sent_by_the_client_is_echoed() {
    let app = spawn_app().await;
    let id = "MY_CLIENT_5b1e6b52-0a1f-4c1e-9c55-3d1e0e2f6a10_17";

    let response = app
        .request(Method::GET, USERCONFIG, ADMIN)
        .query(&[("siteUrl", SITE), ("personId", JOHN_ID)])
        .header("TrackingID", id)
        .send()
        .await
        .unwrap();
    assert_eq!(tracking_id(&response), id);
    assert_ok(response).await;

    // In an error body too (assert_error checks that the body matches the header).
    let response = app
        .request(Method::GET, USERCONFIG, "nope")
        .header("trackingid", id)
        .send()
        .await
        .unwrap();
    assert_eq!(tracking_id(&response), id);
    assert_error(response, 401, MESSAGE_401).await;

    let response = app
        .request(Method::DELETE, USERCONFIG, ADMIN)
        .header("TRACKINGID", id)
        .send()
        .await
        .unwrap();
    assert_eq!(tracking_id(&response), id);
    assert_error(response, 405, MESSAGE_405).await;

    let response = app
        .request(Method::GET, "/v1/nope", ADMIN)
        .header("TrackingID", id)
        .send()
        .await
        .unwrap();
    assert_eq!(tracking_id(&response), id);
    assert_error(response, 404, MESSAGE_404).await;
}

#[tokio::test]
async fn an_unusable_tracking_id_is_replaced_by_a_generated_one() {
    let app = spawn_app().await;
    for bad in ["has spaces in it".to_owned(), "x".repeat(300)] {
        let response = app
            .request(Method::GET, "/v1/nope", ADMIN)
            .header("TrackingID", bad.as_str())
            .send()
            .await
            .unwrap();
        assert_generated(&tracking_id(&response));
        assert_error(response, 404, MESSAGE_404).await;
    }
}

#[tokio::test]
async fn a_bodiless_get_with_a_json_content_type_is_fine() {
    let app = spawn_app().await;
    let response = app
        .request(Method::GET, USERCONFIG, ADMIN)
        .query(&[("siteUrl", SITE), ("personId", JOHN_ID)])
        .header(CONTENT_TYPE, "application/json")
        .send()
        .await
        .unwrap();
    let body = assert_ok(response).await;
    assert_eq!(body["email"], JOHN_EMAIL);
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let app = spawn_app().await;
    // A JSON object of exactly BODY_LIMIT + 1 bytes.
    let prefix = br#"{"siteUrl": ""#;
    let suffix = br#""}"#;
    let mut body = prefix.to_vec();
    body.resize(BODY_LIMIT + 1 - suffix.len(), b'a');
    body.extend_from_slice(suffix);
    assert_eq!(body.len(), BODY_LIMIT + 1);

    let response = put_raw(&app, Some("application/json"), body.clone()).await;
    let errors = assert_error(response, 413, MESSAGE_413).await;
    assert_eq!(
        errors,
        [format!(
            "The request body is larger than the limit of {BODY_LIMIT} bytes."
        )]
    );

    // Without Content-Length (chunked), the limit holds while reading.
    let mut request = format!(
        "PUT {USERCONFIG} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {ADMIN}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.addr
    )
    .into_bytes();
    for chunk in body.chunks(64 * 1024) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let (status, answer) = raw_exchange(app.addr, request).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains(MESSAGE_413), "{answer}");

    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_body_with_a_content_type_other_than_json_is_a_415() {
    let app = spawn_app().await;
    let json_bytes = serde_json::to_vec(&valid_update()).unwrap();

    let response = put_raw(&app, Some("text/plain"), json_bytes.clone()).await;
    let errors = assert_error(response, 415, MESSAGE_415).await;
    assert!(errors[0].contains("text/plain"), "{errors:?}");

    let response = put_raw(&app, None, json_bytes.clone()).await;
    assert_error(response, 415, MESSAGE_415).await;

    let response = put_raw(
        &app,
        Some("application/x-www-form-urlencoded"),
        json_bytes.clone(),
    )
    .await;
    assert_error(response, 415, MESSAGE_415).await;

    // None of them changed anything.
    let body = assert_ok(app.get_user_codes(ADMIN, SITE, JOHN_ID).await).await;
    assert_eq!(body["trackingCodes"][0]["value"], "Engineering");

    // JSON with parameters, in any case, is JSON.
    for content_type in ["application/json; charset=utf-8", "Application/JSON"] {
        let response = put_raw(&app, Some(content_type), json_bytes.clone()).await;
        let body = assert_ok(response).await;
        assert_eq!(body["trackingCodes"][0]["value"], "Sales", "{content_type}");
    }
}

#[tokio::test]
async fn invalid_utf8_inside_a_json_string_is_a_400() {
    let app = spawn_app().await;
    let mut body = format!(
        r#"{{"siteUrl": "{SITE}", "personId": "{JOHN_ID}", "trackingCodes": [{{"name": "Department", "value": "Sa"#
    )
    .into_bytes();
    body.extend_from_slice(b"\xff\xfeles\"}]}");
    let response = put_raw(&app, Some("application/json"), body).await;
    let errors = assert_error(response, 400, MESSAGE_400).await;
    assert!(
        errors[0].starts_with("The request body is not valid JSON"),
        "{errors:?}"
    );

    // Nothing changed, and the server still answers.
    let body = assert_ok(app.get_user_codes(ADMIN, SITE, JOHN_ID).await).await;
    assert_eq!(body["trackingCodes"][0]["value"], "Engineering");
}

#[tokio::test]
async fn deep_nesting_never_crashes_the_server() {
    let app = spawn_app().await;
    let depth = 10_000;
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));

    // As the value of an unknown field of a valid update.
    let body = format!(
        r#"{{"siteUrl": "{SITE}", "personId": "{JOHN_ID}", "unknown": {nested}, "trackingCodes": []}}"#
    );
    let response = put_raw(&app, Some("application/json"), body.into_bytes()).await;
    let status = response.status().as_u16();
    assert!(status == 400 || status == 200, "status {status}");
    if status == 400 {
        assert_error(response, 400, MESSAGE_400).await;
    } else {
        assert_ok(response).await;
    }

    // Near the size limit, inside an item (where a known client sends an extra `id`).
    let depth = 150_000;
    let nested_objects = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    let body = format!(
        r#"{{"siteUrl": "{SITE}", "personId": "{JOHN_ID}", "trackingCodes": [{{"id": {nested_objects}, "name": "Department", "value": "Sales"}}]}}"#
    );
    assert!(body.len() < BODY_LIMIT);
    let response = put_raw(&app, Some("application/json"), body.into_bytes()).await;
    let status = response.status().as_u16();
    assert!(status == 400 || status == 200, "status {status}");
    if status == 400 {
        assert_error(response, 400, MESSAGE_400).await;
    } else {
        assert_ok(response).await;
    }

    // As the whole body, and unclosed.
    let depth = 10_000;
    for body in [nested.clone(), "[".repeat(depth), "{\"a\":".repeat(depth)] {
        let response = put_raw(&app, Some("application/json"), body.into_bytes()).await;
        assert_error(response, 400, MESSAGE_400).await;
    }

    assert_still_serving(&app).await;
}
