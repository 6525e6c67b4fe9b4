//! The emulator inside a Rust program, called with a plain HTTP client: start it on a free
//! port, send the Webex docs' Update User Tracking Codes example, read it back, stop.
//!
//! `cargo run --example embedded`

use serde_json::json;
use webex_emulator::Emulator;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::start().await?;
    let token = emulator
        .admin_token()
        .ok_or("the seed has an admin token")?;
    let url = format!(
        "{}/admin/meeting/userconfig/trackingCodes",
        emulator.api_url()
    );
    let client = reqwest::Client::new();

    let updated: serde_json::Value = client
        .put(&url)
        .bearer_auth(&token)
        .json(&json!({
            "personId": "Y2lzY29zcGFyazovL3VzL1BFT1BMRS8xOGJiOWNjMC0zMWM2LTQ3MzYtYmE4OC0wMDk5ZmQzNDNmODE",
            "email": "john.andersen@example.com",
            "siteUrl": "example.webex.com",
            "trackingCodes": [
                {"name": "Department", "value": "Sales"},
                {"name": "Division", "value": "Part-time"}
            ]
        }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!("updated: {updated}");

    let read: serde_json::Value = client
        .get(&url)
        .bearer_auth(&token)
        .header("email", "john.andersen@example.com")
        .query(&[("siteUrl", "example.webex.com")])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!("read back: {read}");
    assert_eq!(read["trackingCodes"], updated["trackingCodes"]);

    emulator.stop().await?;
    Ok(())
}
