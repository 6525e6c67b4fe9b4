//! Concurrent updates: every request's check-and-apply is one critical section, so
//! concurrent writers of different codes lose nothing, writers of the same code leave one
//! of their values, and failed requests leave nothing behind even under contention.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use crate::helpers::*;

const WRITERS: usize = 16;
const ROUNDS: usize = 10;

/// The built-in seed plus 16 text codes on example.webex.com: ids "101".."116", names
/// "Code 1".."Code 16".
fn seed_with_text_codes() -> Vec<u8> {
    let mut seed = built_in_seed();
    let codes = seed["trackingCodes"]
        .as_array_mut()
        .expect("trackingCodes[]");
    for i in 1..=WRITERS {
        codes.push(json!({
            "siteUrl": SITE,
            "id": (100 + i).to_string(),
            "name": format!("Code {i}"),
            "inputMode": "text",
            "hostProfileCode": "optional",
            "options": []
        }));
    }
    serde_json::to_vec(&seed).expect("the seed serializes")
}

/// Starts a PUT of John's values on example.webex.com on its own task; the task answers the
/// status and the body.
fn spawn_put(client: &Client, url: &str, items: Value) -> JoinHandle<(StatusCode, Value)> {
    let (client, url) = (client.clone(), url.to_owned());
    tokio::spawn(async move {
        let response = client
            .put(url)
            .bearer_auth(ADMIN)
            .json(&json!({"siteUrl": SITE, "personId": JOHN_ID, "trackingCodes": items}))
            .send()
            .await
            .expect("request sent");
        let status = response.status();
        (status, response.json().await.expect("a JSON body"))
    })
}

/// The value of the code named `name` in a user-codes answer.
fn value_of(body: &Value, name: &str) -> Option<String> {
    codes(body)
        .into_iter()
        .find(|(_, n, _)| n == name)
        .map(|(_, _, v)| v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_writers_of_different_codes_lose_no_update() {
    let app = spawn_app_with_seed(&seed_with_text_codes()).await;
    let url = app.url(USERCONFIG);
    for round in 0..ROUNDS {
        let tasks: Vec<_> = (1..=WRITERS)
            .map(|i| {
                let items =
                    json!([{"name": format!("Code {i}"), "value": format!("r{round}-w{i}")}]);
                spawn_put(&app.client, &url, items)
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            let (status, body) = task.await.expect("the task ran");
            assert_eq!(
                status,
                StatusCode::OK,
                "round {round}, writer {}: {body}",
                i + 1
            );
            // Each answer shows at least its own write, made in the same critical section.
            assert_eq!(
                value_of(&body, &format!("Code {}", i + 1)).as_deref(),
                Some(format!("r{round}-w{}", i + 1).as_str())
            );
        }

        let body = assert_ok(app.get_user_codes(ADMIN, SITE, JOHN_ID).await).await;
        let mut expected = vec![
            (
                "1".to_owned(),
                "Department".to_owned(),
                "Engineering".to_owned(),
            ),
            (
                "2".to_owned(),
                "Division".to_owned(),
                "Full-time".to_owned(),
            ),
        ];
        expected.extend((1..=WRITERS).map(|i| {
            (
                (100 + i).to_string(),
                format!("Code {i}"),
                format!("r{round}-w{i}"),
            )
        }));
        assert_eq!(codes(&body), expected, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_writers_of_the_same_code_leave_one_of_their_values() {
    let app = spawn_app().await;
    let url = app.url(USERCONFIG);
    let writers = 32;
    for round in 0..ROUNDS {
        let written: Vec<String> = (0..writers).map(|i| format!("r{round}-v{i}")).collect();
        let tasks: Vec<_> = written
            .iter()
            .map(|v| spawn_put(&app.client, &url, json!([{"name": "Project", "value": v}])))
            .collect();
        for (task, value) in tasks.into_iter().zip(&written) {
            let (status, body) = task.await.expect("the task ran");
            assert_eq!(status, StatusCode::OK, "{body}");
            // The answer is read in the same critical section as the write: it shows the
            // request's own value, never another writer's.
            assert_eq!(value_of(&body, "Project").as_ref(), Some(value), "{body}");
            assert_eq!(codes(&body).len(), 3, "{body}");
        }
        let body = assert_ok(app.get_user_codes(ADMIN, SITE, JOHN_ID).await).await;
        let last = value_of(&body, "Project").expect("Project has a value");
        assert!(
            written.contains(&last),
            "round {round}: {last} was never written"
        );
        assert_eq!(
            value_of(&body, "Department").as_deref(),
            Some("Engineering")
        );
        assert_eq!(value_of(&body, "Division").as_deref(), Some("Full-time"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn failed_requests_change_nothing_even_among_concurrent_successes() {
    let app = spawn_app_with_seed(&seed_with_text_codes()).await;
    let url = app.url(USERCONFIG);
    // Odd writers pair a valid value with a bad Department and must leave nothing behind;
    // even writers succeed.
    let tasks: Vec<_> = (1..=WRITERS)
        .map(|i| {
            let mut items = vec![json!({"name": format!("Code {i}"), "value": format!("w{i}")})];
            if i % 2 == 1 {
                items.push(json!({"name": "Department", "value": "Astrology"}));
            }
            (i, spawn_put(&app.client, &url, Value::Array(items)))
        })
        .collect();
    for (i, task) in tasks {
        let (status, body) = task.await.expect("the task ran");
        let expected = if i % 2 == 1 {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        assert_eq!(status, expected, "writer {i}: {body}");
    }
    let body = assert_ok(app.get_user_codes(ADMIN, SITE, JOHN_ID).await).await;
    assert_eq!(
        value_of(&body, "Department").as_deref(),
        Some("Engineering")
    );
    for i in 1..=WRITERS {
        let value = value_of(&body, &format!("Code {i}"));
        if i % 2 == 1 {
            assert_eq!(value, None, "writer {i} failed and must leave nothing");
        } else {
            assert_eq!(value.as_deref(), Some(format!("w{i}").as_str()));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_writers_of_different_people_do_not_interfere() {
    let app = spawn_app().await;
    let url = app.url(USERCONFIG);
    // Everyone of Example Inc. who may use example.webex.com, by email.
    let people = [
        JOHN_EMAIL,
        MARIA_EMAIL,
        "wei.chen@example.com",
        "priya.natarajan@example.com",
        "aisha.okafor@example.com",
        "diego.hernandez@example.com",
        "yuki.tanaka@example.com",
        "fatima.haddad@example.com",
        "olivia.brown@example.com",
        "sophie.dubois@example.com",
    ];
    let tasks: Vec<_> = people
        .iter()
        .map(|email| {
            let (client, url, email) = (app.client.clone(), url.clone(), email.to_string());
            tokio::spawn(async move {
                let body = json!({"siteUrl": SITE, "email": email,
                                  "trackingCodes": [{"name": "Project", "value": email}]});
                let response = client
                    .put(url)
                    .bearer_auth(ADMIN)
                    .json(&body)
                    .send()
                    .await
                    .expect("request sent");
                (email, assert_ok(response).await)
            })
        })
        .collect();
    for task in tasks {
        let (email, body) = task.await.expect("the task ran");
        assert_eq!(body["email"], email.as_str());
        assert_eq!(value_of(&body, "Project").as_deref(), Some(email.as_str()));
    }
    for email in people {
        let body = assert_ok(
            app.request(reqwest::Method::GET, USERCONFIG, ADMIN)
                .query(&[("siteUrl", SITE)])
                .header("email", email)
                .send()
                .await
                .expect("request sent"),
        )
        .await;
        assert_eq!(value_of(&body, "Project").as_deref(), Some(email), "{body}");
    }
}
