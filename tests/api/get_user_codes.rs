//! Get User Tracking Codes: `GET /v1/admin/meeting/userconfig/trackingCodes`.

use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::helpers::*;

const MESSAGE_400_MISSING_PERSON: &str =
    "At least one parameter of 'personId' or 'email' is required.";

/// Maria Rossi, the default admin: her seeded values on example.webex.com are listed in the
/// seed out of id order (1, 2, 5, 4).
const MARIA_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS85ZjY4ZjM0ZS0wZjBiLTQ0YWQtOTkyYi1hNDA0NWEyZTE2NWM";
const LARS_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9lZTFhODM4OS04MWZkLTRkZjUtOTAzNi1hY2IwYzY5MGI4OTA";
/// Preferred site example-sa.webex.com, but may also use example.webex.com.
const AISHA_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hYWRmYmVmMS0xNTM2LTRjODYtYTBmOS01OGNiODEwMDJkYjI";
/// Has values on the mapped site example-mapped.webex.com.
const DIEGO_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9lYzY4ZTJkZS0wYTEwLTRkNzQtYTUxOS1iNjlkMDg4NDIxODQ";
/// A person of the second org (Globex) with values on globex.webex.com.
const FRANK_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS81YjVhMmQ1Yi0yZGM3LTRlYzctYTNhYi1jYTNlZDllMjc5MzM";

/// John's seeded values on example.webex.com, exactly as the API answers them.
fn john_on_site() -> Value {
    json!({
        "siteUrl": SITE,
        "personId": JOHN_ID,
        "email": JOHN_EMAIL,
        "trackingCodes": [
            {"id": "1", "name": "Department", "value": "Engineering"},
            {"id": "2", "name": "Division", "value": "Full-time"}
        ]
    })
}

/// A GET with the given query pairs and optional `email` header.
async fn get(
    app: &TestApp,
    token: &str,
    query: &[(&str, &str)],
    email_header: Option<&str>,
) -> Response {
    let mut request = app.request(Method::GET, USERCONFIG, token).query(query);
    if let Some(email) = email_header {
        request = request.header("email", email);
    }
    request.send().await.expect("request sent")
}

#[tokio::test]
async fn returns_the_seeded_values_of_a_person_by_id() {
    let app = spawn_app().await;
    let response = app.get_user_codes(ADMIN, SITE, JOHN_ID).await;
    let tracking = response.headers()["trackingid"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(tracking.starts_with("ROUTERGW_"), "{tracking}");
    let body = assert_ok(response).await;
    assert_eq!(body, john_on_site());
    // Typed clients need string ids.
    assert!(body["trackingCodes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"].is_string()));
}

#[tokio::test]
async fn values_are_ordered_by_id_whatever_the_seed_order() {
    let app = spawn_app().await;
    let body = assert_ok(app.get_user_codes(ADMIN, SITE, MARIA_ID).await).await;
    assert_eq!(body["email"], MARIA_EMAIL);
    assert_eq!(
        codes(&body),
        [
            ("1", "Department", "Human Resources"),
            ("2", "Division", "Full-time"),
            ("4", "Cost Center", "CC-1001"),
            ("5", "Region", "EMEA"),
        ]
        .map(|(i, n, v)| (i.to_owned(), n.to_owned(), v.to_owned()))
    );
}

#[tokio::test]
async fn the_email_header_alone_finds_the_person_whatever_its_case() {
    let app = spawn_app().await;
    let response = get(
        &app,
        ADMIN,
        &[("siteUrl", SITE)],
        Some("JOHN.Andersen@EXAMPLE.com"),
    )
    .await;
    assert_eq!(assert_ok(response).await, john_on_site());
}

#[tokio::test]
async fn person_id_wins_over_an_email_header_of_someone_else() {
    let app = spawn_app().await;
    let response = get(
        &app,
        ADMIN,
        &[("siteUrl", SITE), ("personId", JOHN_ID)],
        Some(LARS_EMAIL),
    )
    .await;
    assert_eq!(assert_ok(response).await, john_on_site());
}

#[tokio::test]
async fn neither_person_id_nor_email_is_a_400() {
    let app = spawn_app().await;
    let response = get(&app, ADMIN, &[("siteUrl", SITE)], None).await;
    let errors = assert_error(response, 400, MESSAGE_400).await;
    assert_eq!(errors, [MESSAGE_400_MISSING_PERSON]);

    // Empty values count as absent.
    let response = get(
        &app,
        ADMIN,
        &[("siteUrl", SITE), ("personId", "")],
        Some(" "),
    )
    .await;
    let errors = assert_error(response, 400, MESSAGE_400).await;
    assert_eq!(errors, [MESSAGE_400_MISSING_PERSON]);
}

#[tokio::test]
async fn without_site_url_the_callers_preferred_site_is_used() {
    let app = spawn_app().await;
    // John's own preferred site is the admin's too.
    let response = get(&app, ADMIN, &[("personId", JOHN_ID)], None).await;
    assert_eq!(assert_ok(response).await, john_on_site());

    // Aisha prefers example-sa.webex.com, but the site is the caller's (Maria's) preferred
    // one, as the docs say.
    let response = get(&app, ADMIN, &[("personId", AISHA_ID)], None).await;
    let body = assert_ok(response).await;
    assert_eq!(body["siteUrl"], SITE);
    assert_eq!(body["email"], "aisha.okafor@example.com");
    assert_eq!(
        codes(&body),
        [
            ("1", "Department", "Sales"),
            ("4", "Cost Center", "CC-4410"),
            ("5", "Region", "EMEA"),
        ]
        .map(|(i, n, v)| (i.to_owned(), n.to_owned(), v.to_owned()))
    );

    // An empty siteUrl is treated as absent.
    let response = get(&app, ADMIN, &[("siteUrl", ""), ("personId", JOHN_ID)], None).await;
    assert_eq!(assert_ok(response).await, john_on_site());
}

#[tokio::test]
async fn site_url_matches_whatever_its_case_and_answers_the_canonical_one() {
    let app = spawn_app().await;
    let body = assert_ok(
        app.get_user_codes(ADMIN, "EXAMPLE.Webex.COM", JOHN_ID)
            .await,
    )
    .await;
    assert_eq!(body, john_on_site());
}

#[tokio::test]
async fn a_missing_or_unknown_token_is_a_401() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url(USERCONFIG))
        .query(&[("siteUrl", SITE), ("personId", JOHN_ID)])
        .send()
        .await
        .unwrap();
    let errors = assert_error(response, 401, MESSAGE_401).await;
    assert_eq!(errors, [MESSAGE_401]);

    let response = app.get_user_codes("no-such-token", SITE, JOHN_ID).await;
    let errors = assert_error(response, 401, MESSAGE_401).await;
    assert_eq!(errors, [MESSAGE_401]);

    // A known token under another scheme is not a bearer token.
    let response = app
        .client
        .get(app.url(USERCONFIG))
        .query(&[("siteUrl", SITE), ("personId", JOHN_ID)])
        .header("authorization", format!("Basic {ADMIN}"))
        .send()
        .await
        .unwrap();
    assert_error(response, 401, MESSAGE_401).await;
}

#[tokio::test]
async fn a_plain_user_or_an_admin_without_the_scope_is_a_403() {
    let app = spawn_app().await;
    for token in [USER, ADMIN_NO_SCOPES, "webex-emulator-john"] {
        let response = app.get_user_codes(token, SITE, JOHN_ID).await;
        let errors = assert_error(response, 403, MESSAGE_403).await;
        assert_eq!(errors, [MESSAGE_403], "token {token}");
    }
}

#[tokio::test]
async fn the_read_only_admin_may_read() {
    let app = spawn_app().await;
    let body = assert_ok(app.get_user_codes(READONLY_ADMIN, SITE, JOHN_ID).await).await;
    assert_eq!(body, john_on_site());
}

#[tokio::test]
async fn an_unknown_site_is_a_404() {
    let app = spawn_app().await;
    let response = app
        .get_user_codes(ADMIN, "nowhere.webex.com", JOHN_ID)
        .await;
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(errors, ["Site 'nowhere.webex.com' is not found."]);
}

#[tokio::test]
async fn a_site_of_another_org_is_not_found_like_an_unknown_one() {
    let app = spawn_app().await;
    let response = app.get_user_codes(ADMIN, ORG2_SITE, FRANK_ID).await;
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(errors, ["Site 'globex.webex.com' is not found."]);
}

#[tokio::test]
async fn a_person_of_another_org_is_not_found() {
    let app = spawn_app().await;
    let response = app.get_user_codes(ADMIN, SITE, FRANK_ID).await;
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(errors, [format!("Person '{FRANK_ID}' is not found.")]);

    let response = get(&app, ADMIN, &[("siteUrl", SITE)], Some(HANK_EMAIL)).await;
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(
        errors,
        [format!("Person with email '{HANK_EMAIL}' is not found.")]
    );
}

#[tokio::test]
async fn a_person_without_access_to_the_site_is_a_404() {
    let app = spawn_app().await;
    let response = app.get_user_codes(ADMIN, SITE, LARS_ID).await;
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(
        errors,
        [format!(
            "Person '{LARS_EMAIL}' has no access to site 'example.webex.com'."
        )]
    );

    // Lars's own site answers his values.
    let body = assert_ok(app.get_user_codes(ADMIN, SA_SITE, LARS_ID).await).await;
    assert_eq!(body["siteUrl"], SA_SITE);
    assert_eq!(
        codes(&body),
        [
            ("1", "Department", "Operations"),
            ("2", "Employee ID", "E-100482"),
        ]
        .map(|(i, n, v)| (i.to_owned(), n.to_owned(), v.to_owned()))
    );
}

#[tokio::test]
async fn an_unknown_person_is_a_404() {
    let app = spawn_app().await;
    let response = app.get_user_codes(ADMIN, SITE, "no-such-person").await;
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(errors, ["Person 'no-such-person' is not found."]);

    let response = get(
        &app,
        ADMIN,
        &[("siteUrl", SITE)],
        Some("nobody@example.com"),
    )
    .await;
    assert_error(response, 404, MESSAGE_404).await;
}

#[tokio::test]
async fn a_mapped_site_can_be_read() {
    let app = spawn_app().await;
    let body = assert_ok(app.get_user_codes(ADMIN, MAPPED_SITE, DIEGO_ID).await).await;
    assert_eq!(
        body,
        json!({
            "siteUrl": MAPPED_SITE,
            "personId": DIEGO_ID,
            "email": "diego.hernandez@example.com",
            "trackingCodes": [
                {"id": "1", "name": "Department", "value": "Support"},
                {"id": "2", "name": "Project", "value": "Atlas"}
            ]
        })
    );

    // A site whose mapping is in progress can be read too.
    let body = assert_ok(app.get_user_codes(ADMIN, MAPPING_SITE, MARIA_ID).await).await;
    assert_eq!(body["siteUrl"], MAPPING_SITE);
    assert_eq!(
        codes(&body),
        [("1".to_owned(), "Department".to_owned(), "Sales".to_owned())]
    );
}

#[tokio::test]
async fn a_person_without_values_on_a_site_gets_an_empty_list() {
    let app = spawn_app().await;
    // Maria may use the site-admin site but has no values there.
    let body = assert_ok(app.get_user_codes(ADMIN, SA_SITE, MARIA_ID).await).await;
    assert_eq!(body["siteUrl"], SA_SITE);
    assert_eq!(body["trackingCodes"], json!([]));
}

#[tokio::test]
async fn the_second_orgs_admin_sees_only_its_own_org() {
    let app = spawn_app().await;
    // Org-1 people are not found, on its own site or by email.
    let response = app.get_user_codes(ORG2_ADMIN, ORG2_SITE, JOHN_ID).await;
    assert_error(response, 404, MESSAGE_404).await;
    let response = get(
        &app,
        ORG2_ADMIN,
        &[("siteUrl", ORG2_SITE)],
        Some(JOHN_EMAIL),
    )
    .await;
    assert_error(response, 404, MESSAGE_404).await;
    // Org-1 sites are not found either.
    let response = app.get_user_codes(ORG2_ADMIN, SITE, JOHN_ID).await;
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(errors, ["Site 'example.webex.com' is not found."]);

    // Its own org reads fine, and without siteUrl its admin's preferred site is used.
    let expected = json!({
        "siteUrl": ORG2_SITE,
        "personId": FRANK_ID,
        "email": "frank.grimes@globex.com",
        "trackingCodes": [
            {"id": "1", "name": "Department", "value": "Operations"},
            {"id": "2", "name": "Division", "value": "Nuclear Safety"}
        ]
    });
    let body = assert_ok(app.get_user_codes(ORG2_ADMIN, ORG2_SITE, FRANK_ID).await).await;
    assert_eq!(body, expected);
    let response = get(&app, ORG2_ADMIN, &[("personId", FRANK_ID)], None).await;
    assert_eq!(assert_ok(response).await, expected);
}
