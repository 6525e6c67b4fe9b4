//! Get Site List: `GET /v1/meetingPreferences/sites`.

use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::helpers::*;

const PATH: &str = "/v1/meetingPreferences/sites";

/// Prefers example-sa.webex.com.
const AISHA_EMAIL: &str = "aisha.okafor@example.com";
/// Has example-sa.webex.com before example.webex.com in the seed, and prefers the latter.
const OLIVIA_EMAIL: &str = "olivia.brown@example.com";

async fn sites(app: &TestApp, token: &str, query: &[(&str, &str)]) -> Response {
    app.request(Method::GET, PATH, token)
        .query(query)
        .send()
        .await
        .expect("request sent")
}

/// A site list body from `(siteUrl, default)` pairs.
fn list(entries: &[(&str, bool)]) -> Value {
    json!({
        "sites": entries
            .iter()
            .map(|(url, default)| json!({"siteUrl": url, "default": default}))
            .collect::<Vec<_>>()
    })
}

fn john_sites() -> Value {
    list(&[(SITE, true), (SA_SITE, false)])
}

/// Asserts a 200 body, that it has no nulls and exactly one default site.
async fn assert_site_list(response: Response, expected: &Value) {
    let body = assert_ok(response).await;
    assert_no_null_anywhere(&body);
    let defaults = body["sites"]
        .as_array()
        .expect("sites[]")
        .iter()
        .filter(|s| s["default"] == true)
        .count();
    assert_eq!(defaults, 1, "exactly one default in {body}");
    assert_eq!(&body, expected);
}

#[tokio::test]
async fn the_admins_own_sites_in_seed_order_with_the_preferred_one_as_default() {
    let app = spawn_app().await;
    assert_site_list(
        sites(&app, ADMIN, &[]).await,
        &list(&[
            (SITE, true),
            (SA_SITE, false),
            (MAPPED_SITE, false),
            (MAPPING_SITE, false),
        ]),
    )
    .await;
}

#[tokio::test]
async fn a_plain_users_own_sites() {
    let app = spawn_app().await;
    assert_site_list(sites(&app, USER, &[]).await, &list(&[(SITE, true)])).await;
    assert_site_list(sites(&app, "webex-emulator-john", &[]).await, &john_sites()).await;
}

#[tokio::test]
async fn an_admin_reads_another_users_sites_by_email() {
    let app = spawn_app().await;
    for email in [JOHN_EMAIL, "JOHN.Andersen@EXAMPLE.com"] {
        assert_site_list(
            sites(&app, ADMIN, &[("userEmail", email)]).await,
            &john_sites(),
        )
        .await;
    }
    // The read-only admin may too.
    assert_site_list(
        sites(&app, READONLY_ADMIN, &[("userEmail", JOHN_EMAIL)]).await,
        &john_sites(),
    )
    .await;
}

#[tokio::test]
async fn the_default_is_the_users_preferred_site_whatever_its_position() {
    let app = spawn_app().await;
    assert_site_list(
        sites(&app, ADMIN, &[("userEmail", AISHA_EMAIL)]).await,
        &list(&[(SITE, false), (SA_SITE, true)]),
    )
    .await;
    assert_site_list(
        sites(&app, ADMIN, &[("userEmail", OLIVIA_EMAIL)]).await,
        &list(&[(SA_SITE, false), (SITE, true)]),
    )
    .await;
    assert_site_list(
        sites(&app, ADMIN, &[("userEmail", LARS_EMAIL)]).await,
        &list(&[(SA_SITE, true)]),
    )
    .await;
}

#[tokio::test]
async fn the_org2_admin_sees_their_own_sites() {
    let app = spawn_app().await;
    assert_site_list(
        sites(&app, ORG2_ADMIN, &[]).await,
        &list(&[(ORG2_SITE, true)]),
    )
    .await;
}

#[tokio::test]
async fn a_site_url_the_user_may_use_answers_the_whole_list() {
    let app = spawn_app().await;
    for (token, query, expected) in [
        (
            ADMIN,
            vec![("userEmail", JOHN_EMAIL), ("siteUrl", SA_SITE)],
            john_sites(),
        ),
        (
            USER,
            vec![("siteUrl", "EXAMPLE.webex.com")],
            list(&[(SITE, true)]),
        ),
    ] {
        assert_site_list(sites(&app, token, &query).await, &expected).await;
    }
}

#[tokio::test]
async fn user_email_by_a_plain_user_is_a_403() {
    let app = spawn_app().await;
    // Even their own email: naming a user is an admin's operation.
    for email in [JOHN_EMAIL, "priya.natarajan@example.com"] {
        let response = sites(&app, USER, &[("userEmail", email)]).await;
        let errors = assert_error(response, 403, MESSAGE_403).await;
        assert_eq!(errors, [MESSAGE_403], "{email}");
    }
}

#[tokio::test]
async fn an_empty_user_email_counts_as_absent() {
    let app = spawn_app().await;
    assert_site_list(
        sites(&app, USER, &[("userEmail", ""), ("siteUrl", " ")]).await,
        &list(&[(SITE, true)]),
    )
    .await;
}

#[tokio::test]
async fn an_unknown_user_or_one_of_another_org_is_a_404() {
    let app = spawn_app().await;
    let response = sites(&app, ADMIN, &[("userEmail", "nobody@example.com")]).await;
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(
        errors,
        ["Person with email 'nobody@example.com' is not found."]
    );

    let response = sites(&app, ADMIN, &[("userEmail", HANK_EMAIL)]).await;
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(
        errors,
        [format!("Person with email '{HANK_EMAIL}' is not found.")]
    );

    let response = sites(&app, ORG2_ADMIN, &[("userEmail", JOHN_EMAIL)]).await;
    assert_error(response, 404, MESSAGE_404).await;
}

#[tokio::test]
async fn a_site_the_user_may_not_use_is_a_404() {
    let app = spawn_app().await;
    // Lars may use example-sa.webex.com only.
    let response = sites(&app, ADMIN, &[("userEmail", LARS_EMAIL), ("siteUrl", SITE)]).await;
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(
        errors,
        [format!(
            "Person '{LARS_EMAIL}' has no access to site '{SITE}'."
        )]
    );

    // Priya, for herself.
    let response = sites(&app, USER, &[("siteUrl", SA_SITE)]).await;
    assert_error(response, 404, MESSAGE_404).await;
}

#[tokio::test]
async fn an_unknown_site_or_one_of_another_org_is_a_404() {
    let app = spawn_app().await;
    let response = sites(&app, ADMIN, &[("siteUrl", "nowhere.webex.com")]).await;
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(errors, ["Site 'nowhere.webex.com' is not found."]);

    let response = sites(&app, ADMIN, &[("siteUrl", ORG2_SITE)]).await;
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(errors, [format!("Site '{ORG2_SITE}' is not found.")]);
}

#[tokio::test]
async fn a_token_without_a_preferences_scope_is_a_403() {
    let app = spawn_app().await;
    // Only spark:people_read.
    for query in [vec![], vec![("userEmail", JOHN_EMAIL)]] {
        let response = sites(&app, ADMIN_NO_SCOPES, &query).await;
        let errors = assert_error(response, 403, MESSAGE_403).await;
        assert_eq!(errors, [MESSAGE_403], "{query:?}");
    }
}

#[tokio::test]
async fn no_or_an_unknown_token_is_a_401() {
    let app = spawn_app().await;
    let response = app.client.get(app.url(PATH)).send().await.unwrap();
    let errors = assert_error(response, 401, MESSAGE_401).await;
    assert_eq!(errors, [MESSAGE_401]);
    let response = sites(&app, "no-such-token", &[]).await;
    assert_error(response, 401, MESSAGE_401).await;
}

#[tokio::test]
async fn an_admin_with_only_the_own_preferences_scope_may_not_name_a_user() {
    let mut seed = built_in_seed();
    seed["tokens"].as_array_mut().unwrap().push(json!({
        "token": "own-preferences-only",
        "personId": "Y2lzY29zcGFyazovL3VzL1BFT1BMRS85ZjY4ZjM0ZS0wZjBiLTQ0YWQtOTkyYi1hNDA0NWEyZTE2NWM",
        "scopes": ["meeting:preferences_read"]
    }));
    let app = spawn_app_with_seed(&serde_json::to_vec(&seed).unwrap()).await;
    let body = assert_ok(sites(&app, "own-preferences-only", &[]).await).await;
    assert_eq!(body["sites"].as_array().unwrap().len(), 4, "{body}");
    let response = sites(&app, "own-preferences-only", &[("userEmail", JOHN_EMAIL)]).await;
    assert_error(response, 403, MESSAGE_403).await;
}
