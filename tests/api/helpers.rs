//! The harness: a server per test on a port-0 listener, bound before it is spawned so no
//! test polls for readiness, and a few constants of the built-in seed.

use std::net::SocketAddr;

use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;
use tokio::net::TcpListener;
use webex_emulator::domain::seed;
use webex_emulator::{AppState, Options};

pub const ADMIN: &str = "webex-emulator-admin";
pub const READONLY_ADMIN: &str = "webex-emulator-readonly-admin";
pub const USER: &str = "webex-emulator-user";
pub const ORG2_ADMIN: &str = "webex-emulator-org2-admin";
pub const ADMIN_NO_SCOPES: &str = "webex-emulator-admin-no-scopes";

pub const SITE: &str = "example.webex.com";
pub const SA_SITE: &str = "example-sa.webex.com";
pub const MAPPED_SITE: &str = "example-mapped.webex.com";
pub const MAPPING_SITE: &str = "example-mapping.webex.com";
pub const ORG2_SITE: &str = "globex.webex.com";

pub const JOHN_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS8xOGJiOWNjMC0zMWM2LTQ3MzYtYmE4OC0wMDk5ZmQzNDNmODE";
pub const JOHN_EMAIL: &str = "john.andersen@example.com";
/// Has access to example-sa.webex.com only.
pub const LARS_EMAIL: &str = "lars.eriksson@example.com";
/// The default admin, with access to every site of the first org.
pub const MARIA_EMAIL: &str = "maria.rossi@example.com";
/// A person of the second org.
pub const HANK_EMAIL: &str = "hank.scorpio@globex.com";

pub const USERCONFIG: &str = "/v1/admin/meeting/userconfig/trackingCodes";

pub const MESSAGE_400: &str = "The request could not be understood by the server due to malformed syntax. See 'errors' for more details.";
pub const MESSAGE_401: &str =
    "The request requires a valid access token set in the Authorization request header.";
pub const MESSAGE_403: &str = "The server understood the request, but refused to fulfill it because the access token is missing required scopes or the user is missing required roles or licenses.";
pub const MESSAGE_404: &str = "The requested resource could not be found.";

/// A running emulator and a client for it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: Client,
}

/// Starts an emulator with the built-in seed.
pub async fn spawn_app() -> TestApp {
    spawn_app_with_seed(seed::BUILT_IN.as_bytes()).await
}

/// Starts an emulator with the given seed JSON.
pub async fn spawn_app_with_seed(json: &[u8]) -> TestApp {
    spawn_app_with(json, Options::default()).await
}

/// Starts an emulator with the built-in seed and the given options.
pub async fn spawn_app_with_options(options: Options) -> TestApp {
    spawn_app_with(seed::BUILT_IN.as_bytes(), options).await
}

/// Starts an emulator with the given seed JSON and options.
pub async fn spawn_app_with(json: &[u8], options: Options) -> TestApp {
    let model = seed::load(json).expect("the test seed is valid");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(webex_emulator::serve(
        listener,
        AppState::with_options(model, options),
        std::future::pending(),
    ));
    TestApp {
        addr,
        client: Client::new(),
    }
}

/// The built-in seed as JSON, for tests that start from it and change something.
pub fn built_in_seed() -> Value {
    serde_json::from_str(seed::BUILT_IN).expect("the built-in seed is JSON")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A request with `Authorization: Bearer <token>`.
    pub fn request(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    /// `PUT` userconfig with a JSON body.
    pub async fn put_user_codes(&self, token: &str, body: &Value) -> Response {
        self.request(Method::PUT, USERCONFIG, token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// `GET` userconfig for a person id on a site.
    pub async fn get_user_codes(&self, token: &str, site: &str, person_id: &str) -> Response {
        self.request(Method::GET, USERCONFIG, token)
            .query(&[("siteUrl", site), ("personId", person_id)])
            .send()
            .await
            .expect("request sent")
    }
}

/// Asserts a Webex error answer: status, JSON content type, the `TrackingID` header equal to
/// the body's `trackingId`, the message; returns the descriptions.
pub async fn assert_error(response: Response, status: u16, message: &str) -> Vec<String> {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/json;charset=UTF-8");
    let tracking = response
        .headers()
        .get("trackingid")
        .expect("a TrackingID header")
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["message"], message, "message of {body}");
    assert_eq!(
        body["trackingId"],
        tracking.as_str(),
        "trackingId of {body}"
    );
    let errors = body["errors"].as_array().expect("errors[]");
    assert!(!errors.is_empty(), "errors[] is empty in {body}");
    errors
        .iter()
        .map(|e| e["description"].as_str().expect("a description").to_owned())
        .collect()
}

/// Asserts a 200 with Webex's JSON content type and a tracking id; returns the body.
pub async fn assert_ok(response: Response) -> Value {
    let status = response.status().as_u16();
    let tracking = response.headers().get("trackingid").cloned();
    let content_type = response.headers().get("content-type").cloned();
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(status, 200, "status, body {body}");
    assert!(tracking.is_some(), "a TrackingID header");
    assert_eq!(content_type.unwrap(), "application/json;charset=UTF-8");
    body
}

/// The `(id, name, value)` triples of a user-codes answer.
pub fn codes(body: &Value) -> Vec<(String, String, String)> {
    body["trackingCodes"]
        .as_array()
        .expect("trackingCodes[]")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().expect("id is a string").to_owned(),
                c["name"].as_str().unwrap().to_owned(),
                c["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Asserts that no value anywhere in `body` is JSON `null`: unset optional fields are left
/// out, never sent as `null`.
pub fn assert_no_null_anywhere(body: &Value) {
    fn walk(value: &Value, path: &str, whole: &Value) {
        match value {
            Value::Null => panic!("null at {path} in {whole}"),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}[{i}]"), whole);
                }
            }
            Value::Object(fields) => {
                for (name, field) in fields {
                    walk(field, &format!("{path}.{name}"), whole);
                }
            }
            _ => {}
        }
    }
    walk(body, "$", body);
}

/// The control plane, `/_emulator`: no Webex token.
impl TestApp {
    /// A request to `/_emulator{path}` without any `Authorization`.
    pub fn control(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(&format!("/_emulator{path}")))
    }

    /// Creates a world from the built-in seed (empty body); asserts the 201, returns its body.
    pub async fn create_world(&self) -> Value {
        let response = self
            .control(Method::POST, "/worlds")
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status().as_u16(), 201, "create a world");
        response.json().await.expect("a JSON world")
    }
}

/// The `TrackingID` header of a response.
pub fn tracking_id(response: &Response) -> String {
    response
        .headers()
        .get("trackingid")
        .expect("a TrackingID header")
        .to_str()
        .expect("an ASCII TrackingID")
        .to_owned()
}
