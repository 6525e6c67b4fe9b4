//! People: `GET /v1/people/me`, `GET /v1/people/{personId}` and `GET /v1/people` with
//! `Link` paging.

use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::helpers::*;

const ORG1_ID: &str =
    "Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi84NDk0MmQ5ZC1hZjE1LTQ1MGEtODkzZi1mMjZmZmVhNGExYWI";
const ORG2_ID: &str =
    "Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi82NzU1ZWY5Mi1hOWMxLTRmYTUtYTkzNS1hOTUwOTVlMDZiNmE";

const MARIA_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS85ZjY4ZjM0ZS0wZjBiLTQ0YWQtOTkyYi1hNDA0NWEyZTE2NWM";
const PRIYA_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS8xZWVjZjZkNy1mMWMzLTQyNTQtODcxMC1jOTcxM2IxMjU5MWI";
const MATEO_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS81M2NmZDQ2MS01YzcyLTQ4MWEtOTFjZS1mZDcxMmM1NTIxNDE";
/// Has no timezone in the seed.
const FATIMA_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS8zMGZiZTlmMC0zNjVhLTRhNzgtOWNkZS0xOWZiM2U2ZGZiOGM";
/// A person of the second org (Globex).
const HANK_ID: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hODExYWNhYS1hYTc2LTQxZjUtYmI1YS0yM2RlNmI5YWY3MTI";

/// The base64 (no padding) of `ciscospark://us/ROLE/id_full_admin`.
const FULL_ADMIN_ROLE: &str = "Y2lzY29zcGFyazovL3VzL1JPTEUvaWRfZnVsbF9hZG1pbg";

/// The display names of the first org, in seed order.
const ORG1_NAMES: [&str; 12] = [
    "John Andersen",
    "Maria Rossi",
    "Wei Chen",
    "Priya Natarajan",
    "Lars Eriksson",
    "Aisha Okafor",
    "Diego Hernandez",
    "Yuki Tanaka",
    "Fatima Haddad",
    "Olivia Brown",
    "Mateo Silva",
    "Sophie Dubois",
];

const MISSING_FILTER: &str = "Email, displayName, or id list should be specified.";

/// A token of John's that has no people scope.
const NO_PEOPLE_SCOPE: &str = "no-people-scope";

/// Maria Rossi (the default admin) as an admin sees her.
fn maria_for_an_admin() -> Value {
    json!({
        "id": MARIA_ID,
        "emails": [MARIA_EMAIL],
        "displayName": "Maria Rossi",
        "firstName": "Maria",
        "lastName": "Rossi",
        "orgId": ORG1_ID,
        "roles": [FULL_ADMIN_ROLE],
        "created": "2021-09-02T14:03:17.000Z",
        "lastModified": "2021-09-02T14:03:17.000Z",
        "timezone": "Europe/Rome",
        "siteUrls": [
            "example.webex.com#host",
            "example-sa.webex.com#host",
            "example-mapped.webex.com#host",
            "example-mapping.webex.com#host"
        ],
        "type": "person"
    })
}

/// John Andersen (no roles) as a plain user sees him: no `roles` key.
fn john_for_a_user() -> Value {
    json!({
        "id": JOHN_ID,
        "emails": [JOHN_EMAIL],
        "displayName": "John Andersen",
        "firstName": "John",
        "lastName": "Andersen",
        "orgId": ORG1_ID,
        "created": "2023-04-11T09:12:44.000Z",
        "lastModified": "2023-04-11T09:12:44.000Z",
        "timezone": "America/Denver",
        "siteUrls": ["example.webex.com#host", "example-sa.webex.com#host"],
        "type": "person"
    })
}

async fn get(app: &TestApp, token: &str, path: &str, query: &[(&str, &str)]) -> Response {
    app.request(Method::GET, path, token)
        .query(query)
        .send()
        .await
        .expect("request sent")
}

async fn list(app: &TestApp, token: &str, query: &[(&str, &str)]) -> Response {
    get(app, token, "/v1/people", query).await
}

/// The `items` of a page as display names.
fn names(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .expect("items[]")
        .iter()
        .map(|p| p["displayName"].as_str().expect("displayName").to_owned())
        .collect()
}

/// The URL of a `Link: <url>; rel="next"` header, if there is one.
fn next_link(response: &Response) -> Option<String> {
    let links: Vec<_> = response.headers().get_all("link").iter().collect();
    assert!(links.len() <= 1, "one Link header at most: {links:?}");
    let link = links.first()?.to_str().expect("Link is text");
    let rest = link.strip_prefix('<').expect("Link starts with <");
    let (url, rel) = rest.split_once('>').expect("Link has a >");
    assert_eq!(rel, "; rel=\"next\"", "Link {link}");
    Some(url.to_owned())
}

/// Follows the `Link` headers from a first response; returns each page's body and the
/// next URLs seen.
async fn every_page(app: &TestApp, token: &str, first: Response) -> (Vec<Value>, Vec<String>) {
    let mut pages = Vec::new();
    let mut links = Vec::new();
    let mut response = first;
    loop {
        let next = next_link(&response);
        let body = assert_ok(response).await;
        assert_no_null_anywhere(&body);
        pages.push(body);
        let Some(url) = next else { break };
        assert!(pages.len() < 20, "too many pages");
        links.push(url.clone());
        response = app
            .client
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent");
    }
    (pages, links)
}

/// Asserts a next URL is absolute, on this server, and never carries `max=null`.
fn assert_absolute_people_url(app: &TestApp, url: &str) {
    let prefix = format!("http://{}/v1/people?", app.addr);
    assert!(url.starts_with(&prefix), "{url} starts with {prefix}");
    assert!(!url.contains("null"), "{url}");
}

/// The built-in seed plus a token of John's with only `meeting:schedules_read`.
fn seed_with_a_token_without_people_scopes() -> Vec<u8> {
    let mut seed = built_in_seed();
    seed["tokens"].as_array_mut().unwrap().push(json!({
        "token": NO_PEOPLE_SCOPE,
        "personId": JOHN_ID,
        "scopes": ["meeting:schedules_read"]
    }));
    serde_json::to_vec(&seed).unwrap()
}

// --- Get My Own Details ---------------------------------------------------------------

#[tokio::test]
async fn me_for_an_admin_has_every_known_field_and_the_roles() {
    let app = spawn_app().await;
    let body = assert_ok(get(&app, ADMIN, "/v1/people/me", &[]).await).await;
    assert_no_null_anywhere(&body);
    assert_eq!(body, maria_for_an_admin());
}

#[tokio::test]
async fn me_for_a_plain_user_has_no_roles() {
    let app = spawn_app().await;
    let body = assert_ok(get(&app, USER, "/v1/people/me", &[]).await).await;
    assert_no_null_anywhere(&body);
    assert_eq!(
        body,
        json!({
            "id": PRIYA_ID,
            "emails": ["priya.natarajan@example.com"],
            "displayName": "Priya Natarajan",
            "firstName": "Priya",
            "lastName": "Natarajan",
            "orgId": ORG1_ID,
            "created": "2023-06-27T16:20:39.000Z",
            "lastModified": "2023-06-27T16:20:39.000Z",
            "timezone": "Asia/Kolkata",
            "siteUrls": ["example.webex.com#host"],
            "type": "person"
        })
    );
}

#[tokio::test]
async fn me_is_the_same_as_get_person_details_with_ones_own_id() {
    let app = spawn_app().await;
    let me = assert_ok(get(&app, ADMIN, "/v1/people/me", &[]).await).await;
    let by_id = assert_ok(get(&app, ADMIN, &format!("/v1/people/{MARIA_ID}"), &[]).await).await;
    assert_eq!(me, by_id);
}

// --- Get Person Details ---------------------------------------------------------------

#[tokio::test]
async fn a_person_by_id() {
    let app = spawn_app().await;
    let path = format!("/v1/people/{JOHN_ID}");

    let body = assert_ok(get(&app, USER, &path, &[]).await).await;
    assert_no_null_anywhere(&body);
    assert_eq!(body, john_for_a_user());

    // An admin sees `roles`, empty for a person without any.
    let body = assert_ok(get(&app, ADMIN, &path, &[]).await).await;
    let mut expected = john_for_a_user();
    expected["roles"] = json!([]);
    assert_eq!(body, expected);
}

#[tokio::test]
async fn a_field_the_seed_leaves_out_is_left_out_not_null() {
    let app = spawn_app().await;
    let body = assert_ok(get(&app, ADMIN, &format!("/v1/people/{FATIMA_ID}"), &[]).await).await;
    assert_no_null_anywhere(&body);
    assert_eq!(body["displayName"], "Fatima Haddad");
    assert!(body.get("timezone").is_none(), "{body}");
}

#[tokio::test]
async fn an_unknown_person_id_is_a_404() {
    let app = spawn_app().await;
    let response = get(&app, ADMIN, "/v1/people/no-such-person", &[]).await;
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(errors, ["Person 'no-such-person' is not found."]);
}

#[tokio::test]
async fn a_person_of_another_org_is_a_404_both_ways() {
    let app = spawn_app().await;
    let response = get(&app, ADMIN, &format!("/v1/people/{HANK_ID}"), &[]).await;
    assert_error(response, 404, MESSAGE_404).await;
    let response = get(&app, ORG2_ADMIN, &format!("/v1/people/{JOHN_ID}"), &[]).await;
    assert_error(response, 404, MESSAGE_404).await;

    // The org-2 admin does see their own org's people.
    let body = assert_ok(get(&app, ORG2_ADMIN, &format!("/v1/people/{HANK_ID}"), &[]).await).await;
    assert_eq!(body["orgId"], ORG2_ID);
    assert_eq!(body["emails"], json!([HANK_EMAIL]));
    assert_eq!(body["siteUrls"], json!(["globex.webex.com#host"]));
}

#[tokio::test]
async fn a_token_without_a_people_scope_is_a_403() {
    let app = spawn_app_with_seed(&seed_with_a_token_without_people_scopes()).await;
    let john = format!("/v1/people/{JOHN_ID}");
    for (path, query) in [
        ("/v1/people/me", vec![]),
        (john.as_str(), vec![]),
        ("/v1/people", vec![("email", JOHN_EMAIL)]),
    ] {
        let response = get(&app, NO_PEOPLE_SCOPE, path, &query).await;
        let errors = assert_error(response, 403, MESSAGE_403).await;
        assert_eq!(errors, [MESSAGE_403], "{path}");
    }
    // The same person with a people scope may read.
    assert_ok(get(&app, "webex-emulator-john", "/v1/people/me", &[]).await).await;
}

#[tokio::test]
async fn no_or_an_unknown_token_is_a_401() {
    let app = spawn_app().await;
    let john = format!("/v1/people/{JOHN_ID}");
    for path in ["/v1/people/me", john.as_str(), "/v1/people"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let errors = assert_error(response, 401, MESSAGE_401).await;
        assert_eq!(errors, [MESSAGE_401], "{path}");
        let response = get(&app, "no-such-token", path, &[]).await;
        assert_error(response, 401, MESSAGE_401).await;
    }
}

// --- List People: filters -------------------------------------------------------------

#[tokio::test]
async fn by_email_whatever_its_case() {
    let app = spawn_app().await;
    let response = list(&app, USER, &[("email", "JOHN.Andersen@Example.COM")]).await;
    assert_eq!(next_link(&response), None);
    let body = assert_ok(response).await;
    assert_no_null_anywhere(&body);
    // No `notFoundIds` without `id`; a plain user sees no roles in the list either.
    assert_eq!(body, json!({"items": [john_for_a_user()]}));
}

#[tokio::test]
async fn by_email_of_another_org_or_nobody_is_an_empty_list() {
    let app = spawn_app().await;
    for email in [HANK_EMAIL, "nobody@example.com"] {
        let body = assert_ok(list(&app, ADMIN, &[("email", email)]).await).await;
        assert_eq!(body, json!({"items": []}), "{email}");
    }
}

#[tokio::test]
async fn by_display_name_prefix_whatever_its_case() {
    let app = spawn_app().await;
    let body = assert_ok(list(&app, USER, &[("displayName", "mA")]).await).await;
    assert_eq!(names(&body), ["Maria Rossi", "Mateo Silva"]);
    assert!(body.get("notFoundIds").is_none(), "{body}");

    // A prefix, not a substring.
    let body = assert_ok(list(&app, USER, &[("displayName", "Rossi")]).await).await;
    assert_eq!(body, json!({"items": []}));
}

#[tokio::test]
async fn by_ids_with_the_unknown_and_other_org_ids_in_not_found_ids() {
    let app = spawn_app().await;
    let ids = format!("{MARIA_ID},no-such-id,{HANK_ID},{JOHN_ID}");
    let response = list(&app, USER, &[("id", &ids)]).await;
    assert_eq!(next_link(&response), None);
    let body = assert_ok(response).await;
    assert_no_null_anywhere(&body);
    // Seed order, not the order of the ids.
    assert_eq!(names(&body), ["John Andersen", "Maria Rossi"]);
    assert_eq!(body["notFoundIds"], json!(["no-such-id", HANK_ID]));

    // Every id found: an empty notFoundIds, still present.
    let body = assert_ok(list(&app, USER, &[("id", JOHN_ID)]).await).await;
    assert_eq!(
        body,
        json!({"items": [john_for_a_user()], "notFoundIds": []})
    );
}

#[tokio::test]
async fn at_most_85_ids() {
    let app = spawn_app().await;
    let ids: Vec<String> = (0..85).map(|i| format!("id-{i}")).collect();
    let body = assert_ok(list(&app, ADMIN, &[("id", &ids.join(","))]).await).await;
    assert_eq!(body["items"], json!([]));
    assert_eq!(body["notFoundIds"], json!(ids));

    let mut ids = ids;
    ids.push(JOHN_ID.to_owned());
    let response = list(&app, ADMIN, &[("id", &ids.join(","))]).await;
    let errors = assert_error(response, 400, MESSAGE_400).await;
    assert_eq!(errors, ["At most 85 ids can be listed in 'id'."]);
}

#[tokio::test]
async fn an_admin_without_filters_lists_their_whole_org_only() {
    let app = spawn_app().await;
    let response = list(&app, ADMIN, &[]).await;
    // 12 people under the default max of 100: one page.
    assert_eq!(next_link(&response), None);
    let body = assert_ok(response).await;
    assert_no_null_anywhere(&body);
    assert_eq!(names(&body), ORG1_NAMES);
    let items = body["items"].as_array().unwrap();
    assert!(items.iter().all(|p| p["orgId"] == ORG1_ID), "{body}");
    assert!(items.iter().all(|p| p["type"] == "person"), "{body}");
    // Every field of Get Person Details, `roles` aside: the docs say the admin-only fields
    // show on Get Person Details, and leave open whether List People has them.
    let mut maria = items[1].clone();
    maria.as_object_mut().unwrap().remove("roles");
    let mut expected = maria_for_an_admin();
    expected.as_object_mut().unwrap().remove("roles");
    assert_eq!(maria, expected);
    assert!(body.get("notFoundIds").is_none(), "{body}");
}

#[tokio::test]
async fn the_org2_admin_sees_only_org2_people() {
    let app = spawn_app().await;
    let body = assert_ok(list(&app, ORG2_ADMIN, &[]).await).await;
    assert_eq!(
        names(&body),
        ["Hank Scorpio", "Frank Grimes", "Lisa Nakamura"]
    );
    assert!(body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["orgId"] == ORG2_ID));

    let body = assert_ok(list(&app, ORG2_ADMIN, &[("email", JOHN_EMAIL)]).await).await;
    assert_eq!(body, json!({"items": []}));
}

#[tokio::test]
async fn a_plain_user_without_filters_is_a_400() {
    let app = spawn_app().await;
    for query in [
        vec![],
        vec![("max", "5")],
        vec![("email", ""), ("displayName", " ")],
    ] {
        let response = list(&app, USER, &query).await;
        let errors = assert_error(response, 400, MESSAGE_400).await;
        assert_eq!(errors, [MISSING_FILTER], "{query:?}");
    }
}

#[tokio::test]
async fn an_invalid_max_is_a_400() {
    let app = spawn_app().await;
    for max in ["0", "-1", "abc", "1001", "2.5"] {
        let response = list(&app, ADMIN, &[("max", max)]).await;
        let errors = assert_error(response, 400, MESSAGE_400).await;
        assert_eq!(
            errors,
            [format!(
                "'max' must be a whole number from 1 to 1000, not '{max}'."
            )]
        );
    }
    for max in ["1", "1000"] {
        assert_ok(list(&app, ADMIN, &[("max", max)]).await).await;
    }
}

// --- List People: paging --------------------------------------------------------------

#[tokio::test]
async fn pages_of_max_5_follow_the_link_headers() {
    let app = spawn_app().await;
    let first = list(&app, ADMIN, &[("max", "5")]).await;
    let (pages, links) = every_page(&app, ADMIN, first).await;

    let sizes: Vec<usize> = pages
        .iter()
        .map(|p| p["items"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [5, 5, 2]);
    assert_eq!(links.len(), 2);
    for link in &links {
        assert_absolute_people_url(&app, link);
        assert!(link.contains("max=5"), "{link}");
        assert!(link.contains("cursor="), "{link}");
    }
    assert_ne!(links[0], links[1]);
    // Every person once, in seed order.
    let all: Vec<String> = pages.iter().flat_map(names).collect();
    assert_eq!(all, ORG1_NAMES);
}

#[tokio::test]
async fn a_display_name_filter_is_kept_across_pages() {
    let app = spawn_app().await;
    let first = list(&app, USER, &[("displayName", "ma"), ("max", "1")]).await;
    let (pages, links) = every_page(&app, USER, first).await;
    let all: Vec<Vec<String>> = pages.iter().map(names).collect();
    assert_eq!(all, [vec!["Maria Rossi"], vec!["Mateo Silva"]]);
    assert_eq!(links.len(), 1);
    assert_absolute_people_url(&app, &links[0]);
    assert!(links[0].contains("displayName=ma"), "{}", links[0]);
    assert!(links[0].contains("max=1"), "{}", links[0]);
}

#[tokio::test]
async fn email_and_id_filters_are_kept_across_pages() {
    let app = spawn_app().await;
    // An email filter that matches one person: one page, no Link.
    let response = list(&app, ADMIN, &[("email", JOHN_EMAIL), ("max", "1")]).await;
    assert_eq!(next_link(&response), None);

    let ids = format!("{MATEO_ID},{JOHN_ID},no-such-id,{PRIYA_ID},{MARIA_ID}");
    let first = list(&app, USER, &[("id", &ids), ("max", "3")]).await;
    let (pages, links) = every_page(&app, USER, first).await;
    let all: Vec<Vec<String>> = pages.iter().map(names).collect();
    assert_eq!(
        all,
        [
            vec!["John Andersen", "Maria Rossi", "Priya Natarajan"],
            vec!["Mateo Silva"]
        ]
    );
    // Each page repeats the ids not found.
    for page in &pages {
        assert_eq!(page["notFoundIds"], json!(["no-such-id"]));
    }
    assert_eq!(links.len(), 1);
    assert_absolute_people_url(&app, &links[0]);
    let encoded_ids = ids.replace(',', "%2C");
    assert!(
        links[0].contains(&format!("id={encoded_ids}")),
        "{}",
        links[0]
    );
    assert!(links[0].contains("max=3"), "{}", links[0]);
}

#[tokio::test]
async fn a_link_without_max_in_the_request_still_carries_a_max() {
    // 12 people fit one default page, so take the org through the cursor of a max=5 link
    // and drop `max` from it: the following link must carry a number, not `null`.
    let app = spawn_app().await;
    let first = list(&app, ADMIN, &[("max", "5")]).await;
    let link = next_link(&first).expect("a next link");
    let without_max = link.replace("max=5&", "");
    assert_ne!(without_max, link);
    let response = app
        .client
        .get(&without_max)
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    // The rest of the org (7 people) fits the default page: no next link.
    assert_eq!(next_link(&response), None);
    let body = assert_ok(response).await;
    assert_eq!(names(&body), ORG1_NAMES[5..]);
}

#[tokio::test]
async fn an_invalid_cursor_is_a_400() {
    let app = spawn_app().await;
    for cursor in ["not a cursor!", "b2Zmc2V0Og", "Zm9vOjE"] {
        let response = list(&app, ADMIN, &[("cursor", cursor)]).await;
        let errors = assert_error(response, 400, MESSAGE_400).await;
        assert_eq!(errors, [format!("The cursor '{cursor}' is not valid.")]);
    }
}

#[tokio::test]
async fn a_cursor_past_the_end_is_an_empty_last_page() {
    let app = spawn_app().await;
    // base64url of `offset:12` and of `offset:18446744073709551615` (usize::MAX on 64 bits).
    for cursor in ["b2Zmc2V0OjEy", "b2Zmc2V0OjE4NDQ2NzQ0MDczNzA5NTUxNjE1"] {
        let response = list(&app, ADMIN, &[("cursor", cursor), ("max", "5")]).await;
        assert_eq!(next_link(&response), None, "cursor {cursor}");
        let body = assert_ok(response).await;
        assert_eq!(body, json!({"items": []}), "cursor {cursor}");
    }
}

#[tokio::test]
async fn a_display_name_with_a_trailing_space_is_kept_as_given_across_pages() {
    // "Ann " matches Ann Lee and Ann Smith, not Annabel Ng: the next page must keep the
    // space, or it would page through a different set.
    let mut seed = built_in_seed();
    let people = seed["people"].as_array_mut().unwrap();
    for (i, name) in ["Ann Lee", "Annabel Ng", "Ann Smith"]
        .into_iter()
        .enumerate()
    {
        let (first, last) = name.split_once(' ').unwrap();
        people.push(json!({
            "id": format!("ann-{i}"),
            "orgId": ORG1_ID,
            "emails": [format!("ann{i}@example.com")],
            "displayName": name,
            "firstName": first,
            "lastName": last,
            "roles": [],
            "siteUrls": [SITE],
            "preferredSiteUrl": SITE
        }));
    }
    let app = spawn_app_with_seed(&serde_json::to_vec(&seed).unwrap()).await;
    let first = list(&app, USER, &[("displayName", "ann "), ("max", "1")]).await;
    let (pages, links) = every_page(&app, USER, first).await;
    let all: Vec<Vec<String>> = pages.iter().map(names).collect();
    assert_eq!(all, [vec!["Ann Lee"], vec!["Ann Smith"]]);
    assert!(links[0].contains("displayName=ann+"), "{}", links[0]);
}
