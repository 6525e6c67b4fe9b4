//! List Meeting Tracking Codes: `GET /v1/meetings/trackingCodes`, the host's view with the
//! host's own values merged into `options` as the default.

use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::helpers::*;

const PATH: &str = "/v1/meetings/trackingCodes";

/// John Andersen himself, a plain user.
const JOHN: &str = "webex-emulator-john";

async fn codes_of(app: &TestApp, token: &str, query: &[(&str, &str)]) -> Response {
    app.request(Method::GET, PATH, token)
        .query(query)
        .send()
        .await
        .expect("request sent")
}

/// Asserts a 200 and returns its `items`, checking what every item must have.
async fn items_of(response: Response) -> Vec<Value> {
    let body = assert_ok(response).await;
    assert_no_null_anywhere(&body);
    let object = body.as_object().expect("an object");
    assert_eq!(object.keys().collect::<Vec<_>>(), ["items"], "{body}");
    let items = body["items"].as_array().expect("items[]").clone();
    for item in &items {
        assert!(item["id"].is_string(), "a string id in {item}");
        let mut keys: Vec<_> = item.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "id",
                "inputMode",
                "name",
                "options",
                "service",
                "siteUrl",
                "type"
            ],
            "{item}"
        );
        for option in item["options"].as_array().expect("options[]") {
            assert!(option["value"].is_string(), "{item}");
            assert!(option["defaultValue"].is_boolean(), "{item}");
        }
    }
    items
}

/// `[{value, defaultValue}]` from pairs.
fn options(pairs: &[(&str, bool)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(value, default)| json!({"value": value, "defaultValue": default}))
            .collect(),
    )
}

/// One expected item.
fn code(
    id: &str,
    name: &str,
    site: &str,
    input_mode: &str,
    service: &str,
    kind: &str,
    opts: &[(&str, bool)],
) -> Value {
    json!({
        "id": id,
        "name": name,
        "siteUrl": site,
        "options": options(opts),
        "inputMode": input_mode,
        "service": service,
        "type": kind
    })
}

/// The item named `name`.
fn named<'a>(items: &'a [Value], name: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no code {name} in {items:?}"))
}

/// The options of the code named `name`, as pairs.
fn options_of(items: &[Value], name: &str) -> Vec<(String, bool)> {
    named(items, name)["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["value"].as_str().unwrap().to_owned(),
                o["defaultValue"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, bool)]) -> Vec<(String, bool)> {
    list.iter().map(|(v, d)| (v.to_string(), *d)).collect()
}

const DEPARTMENTS: [&str; 6] = [
    "Sales",
    "Engineering",
    "Marketing",
    "Support",
    "Finance",
    "Human Resources",
];

/// Department's options with `default` as the only default.
fn departments_with_default(default: &str) -> Vec<(String, bool)> {
    DEPARTMENTS
        .iter()
        .map(|d| (d.to_string(), *d == default))
        .collect()
}

/// John's view of example.webex.com for MeetingCenter: his Department (Engineering) and
/// Division (Full-time) merged, the site's options elsewhere.
fn john_meeting_center() -> Vec<Value> {
    let s = "MeetingCenter";
    vec![
        code(
            "1",
            "Department",
            SITE,
            "select",
            s,
            "optional",
            &[
                ("Sales", false),
                ("Engineering", true),
                ("Marketing", false),
                ("Support", false),
                ("Finance", false),
                ("Human Resources", false),
            ],
        ),
        code(
            "2",
            "Division",
            SITE,
            "select",
            s,
            "optional",
            &[
                ("Full-time", true),
                ("Part-time", false),
                ("Contractor", false),
                ("Intern", false),
            ],
        ),
        code("3", "Project", SITE, "text", s, "required", &[]),
        code(
            "4",
            "Cost Center",
            SITE,
            "editableSelect",
            s,
            "optional",
            &[("CC-1001", false), ("CC-2040", false), ("CC-3300", false)],
        ),
        code(
            "5",
            "Region",
            SITE,
            "hostProfileSelect",
            s,
            "notUsed",
            &[("AMER", false), ("EMEA", true), ("APAC", false)],
        ),
        code("6", "Billing Code", SITE, "text", s, "adminSet", &[]),
    ]
}

async fn put_john(app: &TestApp, items: Value) {
    let body = json!({"siteUrl": SITE, "personId": JOHN_ID, "trackingCodes": items});
    assert_ok(app.put_user_codes(ADMIN, &body).await).await;
}

// --- service --------------------------------------------------------------------------

#[tokio::test]
async fn a_missing_or_empty_service_is_a_400() {
    let app = spawn_app().await;
    for query in [
        vec![("siteUrl", SITE)],
        vec![("service", ""), ("siteUrl", SITE)],
    ] {
        let response = codes_of(&app, ADMIN, &query).await;
        let errors = assert_error(response, 400, MESSAGE_400).await;
        assert_eq!(errors, ["'service' cannot be empty"], "{query:?}");
    }
}

#[tokio::test]
async fn an_invalid_service_is_a_400() {
    let app = spawn_app().await;
    let response = codes_of(&app, ADMIN, &[("service", "Webinar")]).await;
    let errors = assert_error(response, 400, MESSAGE_400).await;
    assert_eq!(
        errors,
        ["'service' must be one of All, MeetingCenter, EventCenter, TrainingCenter, SupportCenter, not 'Webinar'."]
    );
}

#[tokio::test]
async fn the_service_name_is_read_whatever_its_case() {
    let app = spawn_app().await;
    let items = items_of(codes_of(&app, ADMIN, &[("service", "meetingcenter")]).await).await;
    assert!(items.iter().all(|i| i["service"] == "MeetingCenter"));
}

// --- the listing ----------------------------------------------------------------------

#[tokio::test]
async fn every_code_of_the_site_with_the_admins_own_values_merged() {
    let app = spawn_app().await;
    let response = codes_of(
        &app,
        ADMIN,
        &[("service", "MeetingCenter"), ("siteUrl", SITE)],
    )
    .await;
    let items = items_of(response).await;
    // Maria's own values: Department=Human Resources, Division=Full-time, Region=EMEA,
    // Cost Center=CC-1001.
    let mut expected = john_meeting_center();
    expected[0]["options"] = options(&[
        ("Sales", false),
        ("Engineering", false),
        ("Marketing", false),
        ("Support", false),
        ("Finance", false),
        ("Human Resources", true),
    ]);
    expected[3]["options"] = options(&[("CC-1001", true), ("CC-2040", false), ("CC-3300", false)]);
    assert_eq!(items, expected);
}

#[tokio::test]
async fn the_type_is_the_codes_schedule_type_for_the_service() {
    let app = spawn_app().await;
    // Project is `notApplicable` for All, required for MeetingCenter, optional for
    // EventCenter, notUsed for the rest.
    for (service, project, billing) in [
        ("All", "notApplicable", "adminSet"),
        ("MeetingCenter", "required", "adminSet"),
        ("EventCenter", "optional", "adminSet"),
        ("TrainingCenter", "notUsed", "adminSet"),
        ("SupportCenter", "notUsed", "adminSet"),
    ] {
        let response = codes_of(&app, ADMIN, &[("service", service), ("siteUrl", SITE)]).await;
        let items = items_of(response).await;
        assert_eq!(items.len(), 6, "{service}");
        assert!(items.iter().all(|i| i["service"] == service), "{service}");
        assert_eq!(named(&items, "Project")["type"], project, "{service}");
        assert_eq!(named(&items, "Billing Code")["type"], billing, "{service}");
        assert_eq!(named(&items, "Department")["type"], "optional", "{service}");
        assert_eq!(named(&items, "Region")["type"], "notUsed", "{service}");
    }
}

#[tokio::test]
async fn an_admin_sees_the_hosts_values_with_host_email() {
    let app = spawn_app().await;
    for email in [JOHN_EMAIL, "John.Andersen@EXAMPLE.com"] {
        let response = codes_of(
            &app,
            ADMIN,
            &[
                ("service", "MeetingCenter"),
                ("siteUrl", SITE),
                ("hostEmail", email),
            ],
        )
        .await;
        assert_eq!(items_of(response).await, john_meeting_center(), "{email}");
    }
    // The read-only admin may too.
    let response = codes_of(
        &app,
        READONLY_ADMIN,
        &[("service", "MeetingCenter"), ("hostEmail", JOHN_EMAIL)],
    )
    .await;
    assert_eq!(items_of(response).await, john_meeting_center());
}

#[tokio::test]
async fn a_changed_user_value_becomes_the_only_default() {
    let app = spawn_app().await;
    put_john(&app, json!([{"name": "Department", "value": "Sales"}])).await;
    let query = [
        ("service", "MeetingCenter"),
        ("siteUrl", SITE),
        ("hostEmail", JOHN_EMAIL),
    ];
    let items = items_of(codes_of(&app, ADMIN, &query).await).await;
    assert_eq!(
        options_of(&items, "Department"),
        departments_with_default("Sales")
    );
    // Codes the PUT left alone keep John's value or the site's default.
    assert_eq!(
        options_of(&items, "Division"),
        pairs(&[
            ("Full-time", true),
            ("Part-time", false),
            ("Contractor", false),
            ("Intern", false)
        ])
    );
    assert_eq!(
        options_of(&items, "Region"),
        pairs(&[("AMER", false), ("EMEA", true), ("APAC", false)])
    );
    assert_eq!(options_of(&items, "Project"), []);
}

#[tokio::test]
async fn a_free_text_value_is_added_as_the_default_option() {
    let app = spawn_app().await;
    put_john(
        &app,
        json!([
            {"name": "Project", "value": "Apollo"},
            {"name": "Cost Center", "value": "CC-9999"},
            {"name": "Billing Code", "value": "BILL-1"}
        ]),
    )
    .await;
    let query = [
        ("service", "MeetingCenter"),
        ("siteUrl", SITE),
        ("hostEmail", JOHN_EMAIL),
    ];
    let items = items_of(codes_of(&app, ADMIN, &query).await).await;
    assert_eq!(options_of(&items, "Project"), pairs(&[("Apollo", true)]));
    assert_eq!(
        options_of(&items, "Cost Center"),
        pairs(&[
            ("CC-1001", false),
            ("CC-2040", false),
            ("CC-3300", false),
            ("CC-9999", true)
        ])
    );
    assert_eq!(
        options_of(&items, "Billing Code"),
        pairs(&[("BILL-1", true)])
    );
    // An existing option chosen on an editableSelect code is marked, not added again.
    put_john(&app, json!([{"name": "Cost Center", "value": "CC-2040"}])).await;
    let items = items_of(codes_of(&app, ADMIN, &query).await).await;
    assert_eq!(
        options_of(&items, "Cost Center"),
        pairs(&[("CC-1001", false), ("CC-2040", true), ("CC-3300", false)])
    );
}

#[tokio::test]
async fn a_plain_user_sees_their_own_merged_values() {
    let app = spawn_app().await;
    let response = codes_of(
        &app,
        JOHN,
        &[("service", "MeetingCenter"), ("siteUrl", SITE)],
    )
    .await;
    assert_eq!(items_of(response).await, john_meeting_center());

    // After an admin changes John's values, John sees them.
    put_john(
        &app,
        json!([
            {"name": "Department", "value": "Finance"},
            {"name": "Project", "value": "Apollo"}
        ]),
    )
    .await;
    let response = codes_of(&app, JOHN, &[("service", "MeetingCenter")]).await;
    let items = items_of(response).await;
    assert_eq!(
        options_of(&items, "Department"),
        departments_with_default("Finance")
    );
    assert_eq!(options_of(&items, "Project"), pairs(&[("Apollo", true)]));

    // Priya's seeded values: Department=Engineering, Project=Apollo, Region=APAC.
    let response = codes_of(&app, USER, &[("service", "EventCenter")]).await;
    let items = items_of(response).await;
    assert_eq!(
        options_of(&items, "Department"),
        departments_with_default("Engineering")
    );
    assert_eq!(options_of(&items, "Project"), pairs(&[("Apollo", true)]));
    assert_eq!(named(&items, "Project")["type"], "optional");
    assert_eq!(
        options_of(&items, "Region"),
        pairs(&[("AMER", false), ("EMEA", false), ("APAC", true)])
    );
}

// --- which site -----------------------------------------------------------------------

#[tokio::test]
async fn without_site_url_the_hosts_preferred_site_is_used() {
    let app = spawn_app().await;
    // Maria prefers example.webex.com, Lars example-sa.webex.com: Lars's site is used.
    let response = codes_of(
        &app,
        ADMIN,
        &[("service", "MeetingCenter"), ("hostEmail", LARS_EMAIL)],
    )
    .await;
    let items = items_of(response).await;
    let s = "MeetingCenter";
    assert_eq!(
        items,
        [
            code(
                "1",
                "Department",
                SA_SITE,
                "select",
                s,
                "optional",
                &[
                    ("Sales", false),
                    ("Engineering", false),
                    ("Operations", true),
                    ("Legal", false)
                ]
            ),
            code(
                "2",
                "Employee ID",
                SA_SITE,
                "text",
                s,
                "required",
                &[("E-100482", true)]
            ),
            code(
                "3",
                "Meeting Purpose",
                SA_SITE,
                "editableSelect",
                s,
                "optional",
                &[
                    ("Internal Sync", false),
                    ("Customer Call", false),
                    ("Partner Review", false),
                    ("Training", false)
                ]
            ),
        ]
    );

    // Without hostEmail, the caller's own preferred site.
    let items = items_of(codes_of(&app, ADMIN, &[("service", "MeetingCenter")]).await).await;
    assert!(items.iter().all(|i| i["siteUrl"] == SITE), "{items:?}");
    let items = items_of(codes_of(&app, ORG2_ADMIN, &[("service", "All")]).await).await;
    assert!(items.iter().all(|i| i["siteUrl"] == ORG2_SITE), "{items:?}");
    assert_eq!(
        options_of(&items, "Department"),
        pairs(&[("Research", true), ("Operations", false), ("Legal", false)])
    );
}

#[tokio::test]
async fn site_url_matches_whatever_its_case_and_answers_the_canonical_one() {
    let app = spawn_app().await;
    let response = codes_of(
        &app,
        JOHN,
        &[
            ("service", "MeetingCenter"),
            ("siteUrl", "Example.WEBEX.com"),
        ],
    )
    .await;
    assert_eq!(items_of(response).await, john_meeting_center());
}

#[tokio::test]
async fn a_site_the_host_may_not_use_is_a_404() {
    let app = spawn_app().await;
    // Lars may use example-sa.webex.com only.
    let response = codes_of(
        &app,
        ADMIN,
        &[
            ("service", "MeetingCenter"),
            ("siteUrl", SITE),
            ("hostEmail", LARS_EMAIL),
        ],
    )
    .await;
    let errors = assert_error(response, 404, MESSAGE_404).await;
    assert_eq!(
        errors,
        [format!(
            "Person '{LARS_EMAIL}' has no access to site '{SITE}'."
        )]
    );

    // Priya, for herself.
    let response = codes_of(
        &app,
        USER,
        &[("service", "MeetingCenter"), ("siteUrl", SA_SITE)],
    )
    .await;
    assert_error(response, 404, MESSAGE_404).await;
}

#[tokio::test]
async fn an_unknown_site_or_one_of_another_org_is_a_404() {
    let app = spawn_app().await;
    for site in ["nowhere.webex.com", ORG2_SITE] {
        let response = codes_of(
            &app,
            ADMIN,
            &[("service", "MeetingCenter"), ("siteUrl", site)],
        )
        .await;
        let errors = assert_error(response, 404, MESSAGE_404).await;
        assert_eq!(errors, [format!("Site '{site}' is not found.")]);
    }
}

#[tokio::test]
async fn an_unknown_host_or_one_of_another_org_is_a_404() {
    let app = spawn_app().await;
    for email in ["nobody@example.com", HANK_EMAIL] {
        let response = codes_of(
            &app,
            ADMIN,
            &[("service", "MeetingCenter"), ("hostEmail", email)],
        )
        .await;
        let errors = assert_error(response, 404, MESSAGE_404).await;
        assert_eq!(
            errors,
            [format!("Person with email '{email}' is not found.")]
        );
    }
}

// --- who may ask ----------------------------------------------------------------------

#[tokio::test]
async fn host_email_by_a_plain_user_is_a_403() {
    let app = spawn_app().await;
    // Even their own email: naming a host is an admin's operation.
    for email in [JOHN_EMAIL, LARS_EMAIL] {
        let response = codes_of(
            &app,
            JOHN,
            &[("service", "MeetingCenter"), ("hostEmail", email)],
        )
        .await;
        let errors = assert_error(response, 403, MESSAGE_403).await;
        assert_eq!(errors, [MESSAGE_403], "{email}");
    }
}

#[tokio::test]
async fn a_token_without_meeting_schedules_read_is_a_403() {
    let app = spawn_app().await;
    // Only spark:people_read.
    let response = codes_of(&app, ADMIN_NO_SCOPES, &[("service", "MeetingCenter")]).await;
    let errors = assert_error(response, 403, MESSAGE_403).await;
    assert_eq!(errors, [MESSAGE_403]);
}

#[tokio::test]
async fn an_admin_with_only_meeting_schedules_read_may_not_name_a_host() {
    let mut seed = built_in_seed();
    seed["tokens"].as_array_mut().unwrap().push(json!({
        "token": "schedules-read-only",
        "personId": "Y2lzY29zcGFyazovL3VzL1BFT1BMRS85ZjY4ZjM0ZS0wZjBiLTQ0YWQtOTkyYi1hNDA0NWEyZTE2NWM",
        "scopes": ["meeting:schedules_read"]
    }));
    let app = spawn_app_with_seed(&serde_json::to_vec(&seed).unwrap()).await;
    let items = items_of(codes_of(&app, "schedules-read-only", &[("service", "All")]).await).await;
    assert_eq!(items.len(), 6);
    let response = codes_of(
        &app,
        "schedules-read-only",
        &[("service", "All"), ("hostEmail", JOHN_EMAIL)],
    )
    .await;
    assert_error(response, 403, MESSAGE_403).await;
}

#[tokio::test]
async fn no_or_an_unknown_token_is_a_401() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url(PATH))
        .query(&[("service", "MeetingCenter")])
        .send()
        .await
        .unwrap();
    let errors = assert_error(response, 401, MESSAGE_401).await;
    assert_eq!(errors, [MESSAGE_401]);
    let response = codes_of(&app, "no-such-token", &[("service", "MeetingCenter")]).await;
    assert_error(response, 401, MESSAGE_401).await;
}

#[tokio::test]
async fn only_the_hosts_own_values_on_that_site_are_merged() {
    // John's values on example-sa.webex.com (Department=Engineering, Meeting
    // Purpose=Internal Sync), not Lars's there nor John's on example.webex.com.
    let app = spawn_app().await;
    let response = codes_of(
        &app,
        JOHN,
        &[("service", "MeetingCenter"), ("siteUrl", SA_SITE)],
    )
    .await;
    let items = items_of(response).await;
    assert_eq!(
        options_of(&items, "Department"),
        pairs(&[
            ("Sales", false),
            ("Engineering", true),
            ("Operations", false),
            ("Legal", false)
        ])
    );
    assert_eq!(options_of(&items, "Employee ID"), []);
    assert_eq!(
        options_of(&items, "Meeting Purpose"),
        pairs(&[
            ("Internal Sync", true),
            ("Customer Call", false),
            ("Partner Review", false),
            ("Training", false)
        ])
    );
}
