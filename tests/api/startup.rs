//! The real binary: what it prints, its flags and environment variables, seed files, and
//! shutdown on signals. Each test runs its own child process, killed when the test ends
//! however it ends.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::mpsc;

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_webex-emulator");

/// How long a child may take to print its address or to exit.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A running child whose stdout lines arrive on a channel. Killed on drop.
struct Emulator {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The binary with no configuration inherited from the environment of the test run.
fn command() -> Command {
    let mut command = Command::new(BIN);
    command
        .env_remove("WEBEX_EMULATOR_LISTEN")
        .env_remove("WEBEX_EMULATOR_SEED")
        .stdin(Stdio::null());
    command
}

/// Starts the command with stdout piped into a channel line by line.
fn start(mut command: Command) -> Emulator {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, lines) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Emulator { child, lines }
}

impl Emulator {
    async fn next_line(&mut self) -> String {
        tokio::time::timeout(TIMEOUT, self.lines.recv())
            .await
            .expect("a line on stdout in time")
            .expect("stdout still open")
    }

    /// Reads the two start lines; returns the base URL.
    async fn started(&mut self) -> String {
        let first = self.next_line().await;
        let url = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_owned();
        let port = url
            .strip_prefix("http://127.0.0.1:")
            .unwrap_or_else(|| panic!("unexpected URL {url:?}"));
        assert_ne!(port.parse::<u16>().expect("a port"), 0, "the real port");
        assert_eq!(self.next_line().await, format!("admin token: {ADMIN}"));
        url
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name}");
    }

    async fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the emulator did not exit in time"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Runs the command to completion with a timeout; returns the status and stderr.
async fn run_to_exit(mut command: Command) -> (ExitStatus, String) {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let mut emulator = Emulator {
        child,
        lines: mpsc::unbounded_channel().1,
    };
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = emulator.wait_exit().await;
    drop(emulator);
    (status, reader.join().expect("stderr read"))
}

/// A seed file under the temp dir with a unique name, removed on drop.
struct TempSeed(PathBuf);

impl TempSeed {
    fn new(tag: &str, json: &Value) -> Self {
        let path = std::env::temp_dir().join(format!(
            "webex-emulator-test-{tag}-{}-{}.json",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::write(&path, serde_json::to_vec_pretty(json).unwrap()).expect("write seed");
        TempSeed(path)
    }
}

impl Drop for TempSeed {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Get User Tracking Codes of John on example.webex.com from a running binary.
async fn john_codes(base_url: &str) -> Value {
    let response = reqwest::Client::new()
        .get(format!("{base_url}{USERCONFIG}"))
        .bearer_auth(ADMIN)
        .query(&[("siteUrl", SITE), ("personId", JOHN_ID)])
        .send()
        .await
        .expect("the emulator answers");
    assert_ok(response).await
}

async fn assert_stops_cleanly_on(signal: &str) {
    let mut command = command();
    command.args(["--listen", "127.0.0.1:0"]);
    let mut emulator = start(command);
    let url = emulator.started().await;
    let body = john_codes(&url).await;
    assert_eq!(body["email"], JOHN_EMAIL);

    emulator.signal(signal);
    let status = emulator.wait_exit().await;
    assert!(status.success(), "exit status on {signal}: {status}");
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn prints_its_url_and_token_and_stops_on_sigterm() {
    assert_stops_cleanly_on("TERM").await;
}

#[tokio::test]
async fn stops_on_sigint() {
    assert_stops_cleanly_on("INT").await;
}

#[tokio::test]
async fn the_listen_address_can_come_from_the_environment() {
    let mut command = command();
    command.env("WEBEX_EMULATOR_LISTEN", "127.0.0.1:0");
    let mut emulator = start(command);
    let url = emulator.started().await;
    assert!(!url.ends_with(":8080"), "{url}");
    assert_eq!(john_codes(&url).await["personId"], JOHN_ID);
}

#[tokio::test]
async fn a_custom_seed_file_is_used() {
    let mut seed = built_in_seed();
    let john_values = seed["userTrackingCodes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["siteUrl"] == SITE && e["personId"] == JOHN_ID)
        .expect("John's values in the built-in seed");
    john_values["trackingCodes"][0]["value"] = "Marketing".into();
    let file = TempSeed::new("custom", &seed);

    let mut command = command();
    command
        .args(["--listen", "127.0.0.1:0", "--seed"])
        .arg(&file.0);
    let mut emulator = start(command);
    let url = emulator.started().await;
    let body = john_codes(&url).await;
    assert_eq!(
        codes(&body),
        [
            (
                "1".to_owned(),
                "Department".to_owned(),
                "Marketing".to_owned()
            ),
            (
                "2".to_owned(),
                "Division".to_owned(),
                "Full-time".to_owned()
            ),
        ]
    );
}

/// Starts the binary on `seed` and expects it to refuse, naming the file, `path` and
/// `reason` on stderr.
async fn assert_seed_refused(tag: &str, seed: &Value, path: &str, reason: &str) {
    let file = TempSeed::new(tag, seed);
    let mut command = command();
    command
        .args(["--listen", "127.0.0.1:0", "--seed"])
        .arg(&file.0);
    let (status, stderr) = run_to_exit(command).await;
    assert!(!status.success(), "{tag}: exit status {status}");
    assert!(
        stderr.contains(&file.0.display().to_string()),
        "{tag}: the file is named in {stderr:?}"
    );
    assert!(stderr.contains(path), "{tag}: {path} in {stderr:?}");
    assert!(stderr.contains(reason), "{tag}: {reason:?} in {stderr:?}");
}

#[tokio::test]
async fn a_seed_with_an_unknown_site_for_a_person_is_refused() {
    let mut seed = built_in_seed();
    seed["people"][2]["siteUrls"][0] = "nowhere.webex.com".into();
    assert_seed_refused(
        "unknown-site",
        &seed,
        "$.people[2].siteUrls[0]",
        "unknown site 'nowhere.webex.com'",
    )
    .await;
}

#[tokio::test]
async fn a_seed_with_a_select_value_outside_the_options_is_refused() {
    let mut seed = built_in_seed();
    // John's Department on example.webex.com is a select code.
    let index = seed["userTrackingCodes"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["siteUrl"] == SITE && e["personId"] == JOHN_ID)
        .unwrap();
    seed["userTrackingCodes"][index]["trackingCodes"][0]["value"] = "Astrology".into();
    assert_seed_refused(
        "select-value",
        &seed,
        &format!("$.userTrackingCodes[{index}].trackingCodes[0].value"),
        "'Astrology' is not an option of the tracking code 'Department'",
    )
    .await;
}

#[tokio::test]
async fn a_seed_with_a_duplicate_code_name_is_refused() {
    let mut seed = built_in_seed();
    let codes = seed["trackingCodes"].as_array_mut().unwrap();
    let mut twin = codes
        .iter()
        .find(|c| c["siteUrl"] == SITE && c["name"] == "Project")
        .unwrap()
        .clone();
    twin["id"] = "99".into();
    twin["name"] = "PROJECT".into();
    codes.push(twin);
    let index = codes.len() - 1;
    assert_seed_refused(
        "duplicate-name",
        &seed,
        &format!("$.trackingCodes[{index}].name"),
        "duplicate tracking code name 'PROJECT'",
    )
    .await;
}

#[tokio::test]
async fn a_missing_seed_file_is_refused() {
    let missing = std::env::temp_dir().join(format!(
        "webex-emulator-test-missing-{}.json",
        uuid::Uuid::new_v4()
    ));
    let mut command = command();
    command
        .args(["--listen", "127.0.0.1:0", "--seed"])
        .arg(&missing);
    let (status, stderr) = run_to_exit(command).await;
    assert!(!status.success(), "exit status {status}");
    assert!(
        stderr.contains("cannot read the seed file"),
        "a clear message in {stderr:?}"
    );
    assert!(
        stderr.contains(&missing.display().to_string()),
        "the file in {stderr:?}"
    );
}

#[tokio::test]
async fn an_invalid_listen_address_is_refused() {
    for value in ["not-an-address", "127.0.0.1", "127.0.0.1:99999"] {
        let mut command = command();
        command.args(["--listen", value]);
        let (status, stderr) = run_to_exit(command).await;
        assert!(!status.success(), "{value}: exit status {status}");
        assert!(stderr.contains("--listen"), "{value}: {stderr:?}");
    }
}
