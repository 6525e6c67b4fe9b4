//! The embedding API: `Emulator` starts on a free port, answers, and stops (also on drop).

use std::time::Duration;

use webex_emulator::Emulator;

use crate::helpers::*;

async fn me(
    client: &reqwest::Client,
    api_url: &str,
    token: &str,
) -> reqwest::Result<reqwest::Response> {
    client
        .get(format!("{api_url}/people/me"))
        .bearer_auth(token)
        .send()
        .await
}

#[tokio::test]
async fn an_embedded_emulator_answers_and_stops() {
    let emulator = Emulator::start().await.expect("it starts");
    assert!(emulator.api_url().starts_with("http://127.0.0.1:"));
    assert_eq!(emulator.api_url(), format!("{}/v1", emulator.url()));
    assert_eq!(emulator.admin_token().as_deref(), Some(ADMIN));
    assert_eq!(emulator.tokens().first().map(String::as_str), Some(ADMIN));
    let client = reqwest::Client::new();
    let response = me(&client, &emulator.api_url(), ADMIN)
        .await
        .expect("it answers");
    let body = assert_ok(response).await;
    assert_eq!(body["emails"][0], MARIA_EMAIL);

    let api_url = emulator.api_url();
    emulator.stop().await.expect("it stops cleanly");
    let fresh = reqwest::Client::new();
    assert!(
        me(&fresh, &api_url, ADMIN).await.is_err(),
        "nothing listens after stop"
    );
}

#[tokio::test]
async fn a_dropped_emulator_stops_listening() {
    let emulator = Emulator::start().await.expect("it starts");
    let api_url = emulator.api_url();
    drop(emulator);
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if me(&client, &api_url, ADMIN).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the emulator still answers a second after it was dropped");
}

#[tokio::test]
async fn an_embedded_emulator_takes_a_seed_and_refuses_a_bad_one() {
    let mut seed = built_in_seed();
    seed["tokens"][0]["token"] = "my-own-token".into();
    let emulator = Emulator::start_with_seed(seed.to_string().as_bytes())
        .await
        .expect("it starts");
    assert_eq!(emulator.admin_token().as_deref(), Some("my-own-token"));
    let client = reqwest::Client::new();
    let response = me(&client, &emulator.api_url(), "my-own-token")
        .await
        .expect("it answers");
    assert_eq!(response.status().as_u16(), 200);

    seed["people"][0]["siteUrls"][0] = "nowhere.webex.com".into();
    let error = Emulator::start_with_seed(seed.to_string().as_bytes())
        .await
        .expect_err("a bad seed is refused");
    let message = error.to_string();
    assert!(message.contains("$.people[0].siteUrls[0]"), "{message}");
}
