//! The binary as it is shipped: the state file (SIGKILL after a burst of acknowledged
//! writes, SIGTERM with a request in flight, loading and refusing at start, control-plane
//! changes), the `healthcheck` command, request logs and configuration errors. Each test
//! runs its own child processes, killed when the test ends however it ends, in its own
//! temporary directory, removed at the end.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_webex-emulator");

/// How long a child may take to print its address or to exit.
const TIMEOUT: Duration = Duration::from_secs(10);

const CODES: &str = "/v1/admin/meeting/config/trackingCodes";
const STATE_FILE: &str = "state.json";
/// The temporary file a state-file write goes through.
const STATE_TMP: &str = ".state.json.tmp";
/// A token nobody has, sent to check that tokens are not logged.
const MADE_UP_TOKEN: &str = "top-secret-token-123";

/// A directory of its own under the temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "webex-emulator-shipping-{tag}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&path).expect("create the temp dir");
        TempDir(path)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The names of the files in the directory, sorted.
    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .expect("read the temp dir")
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary with no configuration inherited from the environment of the test run.
fn command() -> Command {
    let mut command = Command::new(BIN);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("WEBEX_EMULATOR_") {
            command.env_remove(key);
        }
    }
    command.env_remove("RUST_LOG").stdin(Stdio::null());
    command
}

/// The binary with these arguments.
fn with_args<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut command = command();
    command.args(args);
    command
}

/// What a child wrote on one of its streams, read on a thread as it comes.
#[derive(Clone, Default)]
struct Output(Arc<Mutex<String>>);

impl Output {
    fn text(&self) -> String {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads `stream` line by line into this output (and into `lines` when given).
    fn collect(
        &self,
        stream: impl Read + Send + 'static,
        lines: Option<mpsc::UnboundedSender<String>>,
    ) -> std::thread::JoinHandle<()> {
        let output = self.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                {
                    let mut text = output.0.lock().unwrap_or_else(|e| e.into_inner());
                    text.push_str(&line);
                    text.push('\n');
                }
                if let Some(lines) = &lines {
                    let _ = lines.send(line);
                }
            }
        })
    }
}

/// A running emulator, its stdout and stderr captured. Killed on drop.
struct Emulator {
    child: Child,
    addr: SocketAddr,
    stdout: Output,
    stderr: Output,
    readers: Vec<std::thread::JoinHandle<()>>,
    /// From the spawn to the first line on stdout (the server listens).
    startup: Duration,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// How a child that ran to its end ended.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Emulator {
    /// Starts the command and waits until it says where it listens and which token is
    /// the admin's.
    async fn start(mut command: Command) -> Emulator {
        let spawned = Instant::now();
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let (stdout, stderr) = (Output::default(), Output::default());
        let (tx, mut lines) = mpsc::unbounded_channel();
        let readers = vec![
            stdout.collect(child.stdout.take().expect("piped stdout"), Some(tx)),
            stderr.collect(child.stderr.take().expect("piped stderr"), None),
        ];
        let mut emulator = Emulator {
            child,
            addr: "127.0.0.1:0".parse().unwrap(),
            stdout,
            stderr,
            readers,
            startup: Duration::ZERO,
        };
        let first = next_line(&mut lines, &mut emulator).await;
        let startup = spawned.elapsed();
        let url = first
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_owned();
        let second = next_line(&mut lines, &mut emulator).await;
        assert_eq!(second, format!("admin token: {ADMIN}"));
        emulator.addr = url.parse().expect("an address");
        assert_ne!(emulator.addr.port(), 0, "the real port");
        emulator.startup = startup;
        emulator
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name}");
    }

    /// SIGKILL, and waits until the process is gone.
    fn kill_9(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("wait");
    }

    async fn wait_exit(&mut self) -> ExitStatus {
        tokio::time::timeout(TIMEOUT, emulator_exit(&mut self.child))
            .await
            .expect("the emulator exits in time")
    }

    /// Waits until the process has exited and everything it wrote is read.
    async fn finish(mut self) -> Finished {
        let status = self.wait_exit().await;
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        Finished {
            status,
            stdout: self.stdout.text(),
            stderr: self.stderr.text(),
        }
    }
}

/// The next line on stdout of a starting emulator; when it ends first, says why.
async fn next_line(lines: &mut mpsc::UnboundedReceiver<String>, emulator: &mut Emulator) -> String {
    match tokio::time::timeout(TIMEOUT, lines.recv()).await {
        Ok(Some(line)) => line,
        Ok(None) => {
            let _ = tokio::time::timeout(TIMEOUT, emulator_exit(&mut emulator.child)).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            panic!(
                "the emulator stopped before it listened; stderr: {}",
                emulator.stderr.text()
            )
        }
        Err(_) => panic!("no line on stdout in time"),
    }
}

async fn emulator_exit(child: &mut Child) -> ExitStatus {
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Runs the command to its end (it must end within the timeout).
async fn run_to_exit(mut command: Command) -> Finished {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let (stdout, stderr) = (Output::default(), Output::default());
    let readers = vec![
        stdout.collect(child.stdout.take().expect("piped stdout"), None),
        stderr.collect(child.stderr.take().expect("piped stderr"), None),
    ];
    let emulator = Emulator {
        child,
        addr: "127.0.0.1:0".parse().unwrap(),
        stdout,
        stderr,
        readers,
        startup: Duration::ZERO,
    };
    emulator.finish().await
}

/// An address on which nothing listens (bound, then released).
fn closed_address() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local addr")
}

// ---- The API, spoken to a child ----

async fn send(request: RequestBuilder) -> Response {
    request.send().await.expect("the emulator answers")
}

/// Update User Tracking Codes: sets the Project code of a person on example.webex.com.
fn put_project(client: &Client, base: &str, person_id: &str, value: &str) -> RequestBuilder {
    client
        .put(format!("{base}{USERCONFIG}"))
        .bearer_auth(ADMIN)
        .json(&json!({
            "siteUrl": SITE,
            "personId": person_id,
            "trackingCodes": [{"name": "Project", "value": value}],
        }))
}

/// Create a Tracking Code: a text code on example.webex.com.
fn create_code(client: &Client, base: &str, name: &str) -> RequestBuilder {
    client
        .post(format!("{base}{CODES}"))
        .bearer_auth(ADMIN)
        .json(&json!({
            "siteUrl": SITE, "name": name, "inputMode": "text", "hostProfileCode": "optional"
        }))
}

/// The value of the code `name` of a person on example.webex.com, read with the API.
async fn value_of(client: &Client, base: &str, person_id: &str, name: &str) -> Option<String> {
    let response = send(
        client
            .get(format!("{base}{USERCONFIG}"))
            .bearer_auth(ADMIN)
            .query(&[("siteUrl", SITE), ("personId", person_id)]),
    )
    .await;
    codes(&assert_ok(response).await)
        .into_iter()
        .find(|(_, n, _)| n == name)
        .map(|(_, _, v)| v)
}

/// The `id -> name` of the codes of example.webex.com, read with the API.
async fn codes_of_site(client: &Client, base: &str) -> BTreeMap<String, String> {
    let response = send(
        client
            .get(format!("{base}{CODES}"))
            .bearer_auth(ADMIN)
            .query(&[("siteUrl", SITE)]),
    )
    .await;
    let body = assert_ok(response).await;
    id_names(body["items"].as_array().expect("items[]").iter())
}

fn id_names<'a>(codes: impl Iterator<Item = &'a Value>) -> BTreeMap<String, String> {
    codes
        .map(|c| {
            (
                c["id"].as_str().expect("an id").to_owned(),
                c["name"].as_str().expect("a name").to_owned(),
            )
        })
        .collect()
}

// ---- The state file, read directly ----

/// The state file, which must be whole JSON that loads like a seed.
fn read_state(path: &Path) -> Value {
    let bytes = std::fs::read(path).expect("the state file exists");
    let json: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "the state file is not whole JSON ({e}); {} bytes: {:?}",
            bytes.len(),
            String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(200)..])
        )
    });
    webex_emulator::domain::seed::load(&bytes).expect("the state file loads like a seed");
    json
}

/// The `id -> name` of the codes of example.webex.com in a state file.
fn codes_in_state(state: &Value) -> BTreeMap<String, String> {
    id_names(
        state["trackingCodes"]
            .as_array()
            .expect("trackingCodes[]")
            .iter()
            .filter(|c| c["siteUrl"] == SITE),
    )
}

/// A person's value of the code `name` on example.webex.com in a state file.
fn value_in_state(state: &Value, person_id: &str, name: &str) -> Option<String> {
    state["userTrackingCodes"]
        .as_array()
        .expect("userTrackingCodes[]")
        .iter()
        .filter(|e| e["siteUrl"] == SITE && e["personId"] == person_id)
        .flat_map(|e| e["trackingCodes"].as_array().cloned().unwrap_or_default())
        .find(|c| c["name"] == name)
        .map(|c| c["value"].as_str().expect("a value").to_owned())
}

/// The ids of the people with a user account on example.webex.com in the built-in seed.
fn people_of_site() -> Vec<String> {
    built_in_seed()["people"]
        .as_array()
        .expect("people[]")
        .iter()
        .filter(|p| {
            p["siteUrls"]
                .as_array()
                .is_some_and(|sites| sites.iter().any(|s| s == SITE))
        })
        .map(|p| p["id"].as_str().expect("an id").to_owned())
        .collect()
}

fn state_args(state: &Path) -> Command {
    let mut command = with_args(["--listen", "127.0.0.1:0", "--state-file"]);
    command.arg(state);
    command
}

// ---- 1. SIGKILL right after a burst ----

/// Site codes created in the burst, and people whose Project value is set in it.
const BURST_CODES: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_right_after_a_burst_of_acknowledged_writes_loses_none_of_them() {
    let dir = TempDir::new("sigkill");
    let state = dir.join(STATE_FILE);
    let mut emulator = Emulator::start(state_args(&state)).await;
    let base = emulator.base();
    let client = Client::new();
    let people = people_of_site();
    assert!(people.len() >= 5, "people of {SITE}: {people:?}");
    let others: Vec<String> = people.into_iter().filter(|p| p != JOHN_ID).collect();

    // A writer that keeps changing John's Project one request at a time, so writes are
    // still under way when the process is killed. Every answer it gets is recorded.
    let stop = Arc::new(AtomicBool::new(false));
    let last_acked = Arc::new(AtomicU64::new(0));
    let background = tokio::spawn({
        let (client, base) = (client.clone(), base.clone());
        let (stop, last_acked) = (Arc::clone(&stop), Arc::clone(&last_acked));
        async move {
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                match put_project(&client, &base, JOHN_ID, &format!("bg-{n}"))
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 200 => last_acked.store(n, Ordering::SeqCst),
                    Ok(r) => panic!("background write {n}: {}", r.status()),
                    // The process is gone.
                    Err(_) => break,
                }
            }
        }
    });

    let started = Instant::now();
    let mut burst = JoinSet::new();
    for i in 0..BURST_CODES {
        let request = create_code(&client, &base, &format!("Burst {i:03}"));
        burst.spawn(async move { (format!("code {i}"), request.send().await) });
    }
    for (i, person) in others.iter().enumerate() {
        let request = put_project(&client, &base, person, &format!("burst-{i}"));
        burst.spawn(async move { (format!("person {i}"), request.send().await) });
    }
    let mut acked_codes = BTreeMap::new();
    let mut acked_values = BTreeMap::new();
    while let Some(joined) = burst.join_next().await {
        let (what, response) = joined.expect("the request task");
        let response = response.unwrap_or_else(|e| panic!("{what}: {e}"));
        let body = assert_ok(response).await;
        if let Some(i) = what.strip_prefix("person ") {
            let i: usize = i.parse().unwrap();
            assert_eq!(body["personId"], others[i].as_str());
            acked_values.insert(others[i].clone(), format!("burst-{i}"));
        } else {
            let (id, name) = (body["id"].as_str().expect("an id"), &body["name"]);
            acked_codes.insert(id.to_owned(), name.as_str().unwrap().to_owned());
        }
    }
    let burst_time = started.elapsed();
    // Right away, while the background writer's change is still in flight.
    emulator.kill_9();
    let killed_after = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    tokio::time::timeout(TIMEOUT, background)
        .await
        .expect("the background writer stops")
        .expect("the background writer");
    let last_acked = last_acked.load(Ordering::SeqCst);
    assert_eq!(
        acked_codes.len(),
        BURST_CODES,
        "every new code has its own id"
    );
    assert_eq!(acked_values.len(), others.len());

    // The file is whole and holds every acknowledged change.
    let saved = read_state(&state);
    let saved_codes = codes_in_state(&saved);
    for (id, name) in &acked_codes {
        assert_eq!(
            saved_codes.get(id),
            Some(name),
            "code {id} in the state file"
        );
    }
    for (person, value) in &acked_values {
        assert_eq!(
            value_in_state(&saved, person, "Project").as_ref(),
            Some(value),
            "{person}'s Project in the state file"
        );
    }
    let john_saved = value_in_state(&saved, JOHN_ID, "Project");
    let john_n: u64 = john_saved
        .as_deref()
        .and_then(|v| v.strip_prefix("bg-"))
        .map_or(0, |n| n.parse().unwrap());
    assert!(
        john_n >= last_acked,
        "John's Project is {john_saved:?}; bg-{last_acked} was acknowledged"
    );

    // A write cut off by a kill leaves its temporary file behind; it must not matter.
    let garbage = b"{\"orgs\": [{\"id\": \"half-wri";
    std::fs::write(dir.join(STATE_TMP), garbage).expect("write a leftover temp file");

    let emulator = Emulator::start(state_args(&state)).await;
    let base = emulator.base();
    let served = codes_of_site(&client, &base).await;
    for (id, name) in &acked_codes {
        assert_eq!(served.get(id), Some(name), "code {id} after the restart");
    }
    assert_eq!(served, saved_codes, "the codes served are the codes saved");
    for (person, value) in &acked_values {
        let served = value_of(&client, &base, person, "Project").await;
        assert_eq!(
            served.as_ref(),
            Some(value),
            "{person}'s Project after restart"
        );
    }
    assert_eq!(
        value_of(&client, &base, JOHN_ID, "Project").await,
        john_saved
    );
    let leftover = std::fs::read(dir.join(STATE_TMP)).ok();
    assert_ne!(
        leftover.as_deref(),
        Some(&garbage[..]),
        "the leftover is replaced"
    );
    read_state(&state);

    eprintln!(
        "sigkill burst: {} acknowledged writes in {burst_time:?} (killed at {killed_after:?}); \
         background writer: {last_acked} acknowledged, {john_saved:?} saved; \
         start to listening: {:?}",
        acked_codes.len() + acked_values.len(),
        emulator.startup
    );
}

// ---- 2. SIGTERM with a request in flight ----

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_lets_the_request_in_flight_finish_refuses_new_ones_saves_and_exits_0() {
    let dir = TempDir::new("sigterm");
    let state = dir.join(STATE_FILE);
    let emulator = Emulator::start(state_args(&state)).await;
    let (base, addr) = (emulator.base(), emulator.addr);
    let client = Client::new();
    assert_ok(send(put_project(&client, &base, JOHN_ID, "before-term")).await).await;

    let in_flight = tokio::spawn({
        let request = put_project(&Client::new(), &base, JOHN_ID, "in-flight")
            .header("X-Emulator-Fault", "delay=800");
        async move {
            let sent = Instant::now();
            let response = request.send().await;
            (response, sent.elapsed())
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!in_flight.is_finished(), "the delayed request is in flight");
    emulator.signal("TERM");
    let signalled = Instant::now();

    // New connections are refused, while the request in flight is still waiting. Until the
    // signal is handled they may still be taken; one caught in the backlog as the listener
    // closes is reset.
    loop {
        match tokio::net::TcpStream::connect(addr).await {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
            Err(e) if e.kind() != std::io::ErrorKind::ConnectionReset => {
                panic!("connecting after SIGTERM: {e}")
            }
            _ => {
                assert!(
                    signalled.elapsed() < Duration::from_secs(5),
                    "still accepting connections 5 s after SIGTERM"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    let refused_after = signalled.elapsed();
    assert!(
        !in_flight.is_finished(),
        "connections are refused while the request is still in flight ({refused_after:?})"
    );

    let (response, took) = in_flight.await.expect("the request task");
    let response = response.expect("the request in flight is answered");
    let body = assert_ok(response).await;
    assert!(took >= Duration::from_millis(800), "delayed: {took:?}");
    assert_eq!(
        codes(&body)
            .into_iter()
            .find(|(_, n, _)| n == "Project")
            .map(|(_, _, v)| v),
        Some("in-flight".to_owned())
    );

    let finished = emulator.finish().await;
    assert_eq!(finished.status.code(), Some(0), "{}", finished.stderr);
    let saved = read_state(&state);
    assert_eq!(
        value_in_state(&saved, JOHN_ID, "Project").as_deref(),
        Some("in-flight")
    );
    assert_eq!(dir.files(), [STATE_FILE], "nothing else is left behind");
    eprintln!("sigterm: refused {refused_after:?} after the signal; in flight {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_also_saves_the_state_and_exits_0() {
    let dir = TempDir::new("sigint");
    let state = dir.join(STATE_FILE);
    let emulator = Emulator::start(state_args(&state)).await;
    let client = Client::new();
    assert_ok(
        send(put_project(
            &client,
            &emulator.base(),
            JOHN_ID,
            "before-int",
        ))
        .await,
    )
    .await;
    emulator.signal("INT");
    let finished = emulator.finish().await;
    assert_eq!(finished.status.code(), Some(0), "{}", finished.stderr);
    assert_eq!(
        value_in_state(&read_state(&state), JOHN_ID, "Project").as_deref(),
        Some("before-int")
    );
}

// ---- 3. The state file at start ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_file_from_an_earlier_run_is_loaded_instead_of_the_seed() {
    let dir = TempDir::new("reload");
    let state = dir.join(STATE_FILE);
    let client = Client::new();

    let emulator = Emulator::start(state_args(&state)).await;
    // Written at start: the seed, since there was no file.
    let at_start = read_state(&state);
    assert_eq!(
        value_in_state(&at_start, JOHN_ID, "Department").as_deref(),
        Some("Engineering")
    );
    let base = emulator.base();
    assert_eq!(value_of(&client, &base, JOHN_ID, "Project").await, None);
    assert_ok(send(put_project(&client, &base, JOHN_ID, "from-run-1")).await).await;
    emulator.signal("TERM");
    assert_eq!(emulator.finish().await.status.code(), Some(0));

    let emulator = Emulator::start(state_args(&state)).await;
    assert_eq!(
        value_of(&client, &emulator.base(), JOHN_ID, "Project")
            .await
            .as_deref(),
        Some("from-run-1")
    );
}

/// The built-in seed with John's Department on example.webex.com set to `value`.
fn seed_with_john_department(value: &str) -> Value {
    let mut seed = built_in_seed();
    let john = seed["userTrackingCodes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["siteUrl"] == SITE && e["personId"] == JOHN_ID)
        .expect("John's values in the built-in seed");
    let department = john["trackingCodes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["name"] == "Department")
        .expect("John's Department");
    department["value"] = value.into();
    seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_state_file_wins_over_the_seed_file() {
    let dir = TempDir::new("handmade");
    let state = dir.join(STATE_FILE);
    let seed = dir.join("seed.json");
    let write = |path: &Path, json: &Value| {
        std::fs::write(path, serde_json::to_vec_pretty(json).unwrap()).unwrap()
    };
    write(&state, &seed_with_john_department("Marketing"));
    write(&seed, &seed_with_john_department("Sales"));
    let client = Client::new();

    let mut command = state_args(&state);
    command.arg("--seed").arg(&seed);
    let emulator = Emulator::start(command).await;
    let department = value_of(&client, &emulator.base(), JOHN_ID, "Department").await;
    assert_eq!(department.as_deref(), Some("Marketing"));
    drop(emulator);

    // Without --seed too.
    let emulator = Emulator::start(state_args(&state)).await;
    let department = value_of(&client, &emulator.base(), JOHN_ID, "Department").await;
    assert_eq!(department.as_deref(), Some("Marketing"));
}

/// Starts the binary on `state` and expects it to refuse before it listens, naming the file
/// and `reason` on stderr; returns stderr.
async fn assert_state_file_refused(state: &Path, reason: &str) -> String {
    let finished = run_to_exit(state_args(state)).await;
    assert!(
        !finished.status.success(),
        "exit status {}",
        finished.status
    );
    assert_eq!(finished.status.code(), Some(1));
    assert!(
        !finished.stdout.contains("listening"),
        "it never listens: {:?}",
        finished.stdout
    );
    let stderr = finished.stderr;
    assert!(
        stderr.contains(&state.display().to_string()),
        "the file is named in {stderr:?}"
    );
    assert!(stderr.contains(reason), "{reason:?} in {stderr:?}");
    stderr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_state_file_stops_the_start_and_is_left_as_it_was() {
    let dir = TempDir::new("invalid");
    let state = dir.join(STATE_FILE);
    std::fs::write(&state, b"{").unwrap();
    assert_state_file_refused(&state, "invalid state file").await;
    assert_eq!(
        std::fs::read(&state).unwrap(),
        b"{",
        "the file is not overwritten"
    );

    // Checked like a seed: a rule broken is named by its JSON path.
    let mut seed = built_in_seed();
    seed["people"][2]["siteUrls"][0] = "nowhere.webex.com".into();
    let broken = serde_json::to_vec(&seed).unwrap();
    std::fs::write(&state, &broken).unwrap();
    assert_state_file_refused(&state, "$.people[2].siteUrls[0]").await;
    assert_eq!(std::fs::read(&state).unwrap(), broken);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_file_in_a_directory_that_does_not_exist_stops_the_start() {
    let dir = TempDir::new("nodir");
    let missing = dir.join("no-such-dir");
    let state = missing.join(STATE_FILE);
    assert_state_file_refused(&state, "No such file or directory").await;
    assert!(!missing.exists(), "the directory is not made");
}

// ---- 4. Control-plane changes of the default world ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_plane_replace_and_reset_of_the_default_world_are_saved() {
    let dir = TempDir::new("control");
    let state = dir.join(STATE_FILE);
    let client = Client::new();

    // Replace the whole state, then kill -9.
    let mut replaced = seed_with_john_department("Sales");
    replaced["trackingCodes"]
        .as_array_mut()
        .unwrap()
        .push(json!({
            "siteUrl": SITE, "id": "42", "name": "Replaced", "inputMode": "text",
            "hostProfileCode": "optional", "options": []
        }));
    let mut emulator = Emulator::start(state_args(&state)).await;
    let response = send(client.put(emulator.url("/_emulator/state")).json(&replaced)).await;
    assert_eq!(response.status(), 204);
    // A world other than the default is not saved.
    let response = send(client.post(emulator.url("/_emulator/worlds"))).await;
    assert_eq!(response.status(), 201);
    emulator.kill_9();

    let mut emulator = Emulator::start(state_args(&state)).await;
    let base = emulator.base();
    let department = value_of(&client, &base, JOHN_ID, "Department").await;
    assert_eq!(department.as_deref(), Some("Sales"));
    assert_eq!(
        codes_of_site(&client, &base)
            .await
            .get("42")
            .map(String::as_str),
        Some("Replaced")
    );
    let worlds: Value = send(client.get(emulator.url("/_emulator/worlds")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(worlds["items"].as_array().unwrap().len(), 1, "{worlds}");

    // Reset: back to the seed, not to the state loaded at start; then kill -9.
    let response = send(client.post(emulator.url("/_emulator/reset"))).await;
    assert_eq!(response.status(), 204);
    let department = value_of(&client, &base, JOHN_ID, "Department").await;
    assert_eq!(
        department.as_deref(),
        Some("Engineering"),
        "reset goes back to the seed"
    );
    emulator.kill_9();

    let mut emulator = Emulator::start(state_args(&state)).await;
    let base = emulator.base();
    let department = value_of(&client, &base, JOHN_ID, "Department").await;
    assert_eq!(department.as_deref(), Some("Engineering"));
    assert_eq!(codes_of_site(&client, &base).await.get("42"), None);

    // The same through the world's own paths.
    let path = "/_emulator/worlds/default/state";
    let response = send(client.put(emulator.url(path)).json(&replaced)).await;
    assert_eq!(response.status(), 204);
    emulator.kill_9();
    let mut emulator = Emulator::start(state_args(&state)).await;
    let department = value_of(&client, &emulator.base(), JOHN_ID, "Department").await;
    assert_eq!(department.as_deref(), Some("Sales"));
    let path = "/_emulator/worlds/default/reset";
    let response = send(client.post(emulator.url(path))).await;
    assert_eq!(response.status(), 204);
    emulator.kill_9();
    let emulator = Emulator::start(state_args(&state)).await;
    let department = value_of(&client, &emulator.base(), JOHN_ID, "Department").await;
    assert_eq!(department.as_deref(), Some("Engineering"));
}

// ---- 5. The healthcheck command ----

fn healthcheck(listen: impl std::fmt::Display) -> Command {
    with_args([
        "healthcheck".to_owned(),
        "--listen".to_owned(),
        listen.to_string(),
    ])
}

async fn assert_healthy(command: Command, what: &str) {
    let finished = run_to_exit(command).await;
    assert_eq!(
        finished.status.code(),
        Some(0),
        "{what}: stderr {}",
        finished.stderr
    );
}

/// Expects the healthcheck to fail, saying so on stderr; returns stderr.
async fn assert_unhealthy(command: Command, what: &str) -> String {
    let finished = run_to_exit(command).await;
    assert!(!finished.status.success(), "{what}: {}", finished.status);
    assert!(
        finished.stderr.contains("unhealthy"),
        "{what}: {:?}",
        finished.stderr
    );
    finished.stderr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_exits_0_only_when_the_server_answers() {
    let emulator = Emulator::start(with_args(["--listen", "127.0.0.1:0"])).await;
    let addr = emulator.addr;
    assert_healthy(healthcheck(addr), "--listen").await;
    let mut command = with_args(["healthcheck"]);
    command.env("WEBEX_EMULATOR_LISTEN", addr.to_string());
    assert_healthy(command, "WEBEX_EMULATOR_LISTEN").await;
    // Listening on every address: the check asks on loopback.
    let emulator_any = Emulator::start(with_args(["--listen", "0.0.0.0:0"])).await;
    assert_healthy(
        healthcheck(format!("0.0.0.0:{}", emulator_any.addr.port())),
        "0.0.0.0",
    )
    .await;

    let closed = closed_address();
    assert_unhealthy(healthcheck(closed), "a closed port").await;
    let mut command = with_args(["healthcheck"]);
    command.env("WEBEX_EMULATOR_LISTEN", closed.to_string());
    assert_unhealthy(command, "a closed port from the environment").await;

    // Something that accepts and never answers: the check gives up on its own.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let started = Instant::now();
    assert_unhealthy(healthcheck(silent_addr), "a server that never answers").await;
    assert!(started.elapsed() < Duration::from_secs(8), "bounded wait");
    drop(silent);
    drop(emulator);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_sends_the_control_token() {
    let emulator = Emulator::start(with_args([
        "--listen",
        "127.0.0.1:0",
        "--control-token",
        "secret",
    ]))
    .await;
    let addr = emulator.addr;
    let mut command = healthcheck(addr);
    command.args(["--control-token", "secret"]);
    assert_healthy(command, "--control-token").await;
    let mut command = healthcheck(addr);
    command.env("WEBEX_EMULATOR_CONTROL_TOKEN", "secret");
    assert_healthy(command, "WEBEX_EMULATOR_CONTROL_TOKEN").await;

    let stderr = assert_unhealthy(healthcheck(addr), "without the control token").await;
    assert!(stderr.contains("401"), "{stderr:?}");
    let mut command = healthcheck(addr);
    command.args(["--control-token", "wrong-control-token-456"]);
    let stderr = assert_unhealthy(command, "with a wrong control token").await;
    assert!(!stderr.contains("wrong-control-token-456"), "{stderr:?}");
}

// ---- 6. Logs ----

/// Makes a few requests of every kind to a running emulator; answers their tracking ids and
/// (method, path, status).
async fn request_mix(emulator: &Emulator) -> Vec<(String, (String, String, u16))> {
    let client = Client::new();
    let by_person = client
        .get(emulator.url(USERCONFIG))
        .bearer_auth(ADMIN)
        .query(&[("siteUrl", SITE), ("personId", JOHN_ID)]);
    let by_email = client
        .get(emulator.url(USERCONFIG))
        .bearer_auth(ADMIN)
        .header("email", JOHN_EMAIL)
        .query(&[("siteUrl", SITE)]);
    let requests = [
        (Method::GET, USERCONFIG, by_person),
        (Method::GET, USERCONFIG, by_email),
        (
            Method::PUT,
            USERCONFIG,
            put_project(&client, &emulator.base(), JOHN_ID, "logged"),
        ),
        (
            Method::GET,
            CODES,
            client
                .get(emulator.url(CODES))
                .bearer_auth(MADE_UP_TOKEN)
                .query(&[("siteUrl", SITE)]),
        ),
        (
            Method::GET,
            "/v1/nowhere",
            client.get(emulator.url("/v1/nowhere")).bearer_auth(ADMIN),
        ),
        (
            Method::GET,
            "/_emulator/health",
            client.get(emulator.url("/_emulator/health")),
        ),
        (
            Method::GET,
            CODES,
            client
                .get(emulator.url(CODES))
                .bearer_auth(ADMIN)
                .header("TrackingID", "my-own-tracking-id")
                .query(&[("siteUrl", SITE)]),
        ),
    ];
    let mut made = Vec::new();
    for (method, path, request) in requests {
        let response = send(request).await;
        let id = tracking_id(&response);
        made.push((
            id,
            (
                method.to_string(),
                path.to_owned(),
                response.status().as_u16(),
            ),
        ));
    }
    let statuses: Vec<u16> = made.iter().map(|(_, (_, _, s))| *s).collect();
    assert_eq!(statuses, [200, 200, 200, 401, 404, 200, 200]);
    assert_eq!(made[6].0, "my-own-tracking-id");
    made
}

/// Stops the emulator with SIGTERM and answers what it wrote.
async fn stop(emulator: Emulator) -> Finished {
    emulator.signal("TERM");
    let finished = emulator.finish().await;
    assert_eq!(finished.status.code(), Some(0), "{}", finished.stderr);
    finished
}

/// No token value anywhere in what the emulator wrote, but for the admin token on the
/// start line of stdout.
fn assert_no_token_value(finished: &Finished) {
    for token in [ADMIN, MADE_UP_TOKEN] {
        assert!(
            !finished.stderr.contains(token),
            "{token} on stderr: {}",
            finished.stderr
        );
    }
    assert!(!finished.stdout.contains(MADE_UP_TOKEN));
    let stdout_lines: Vec<&str> = finished.stdout.lines().collect();
    assert_eq!(
        stdout_lines.len(),
        2,
        "the two start lines: {stdout_lines:?}"
    );
    assert!(stdout_lines[0].starts_with("listening on http://"));
    assert_eq!(stdout_lines[1], format!("admin token: {ADMIN}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_have_one_line_per_request_and_no_token() {
    let emulator = Emulator::start(with_args([
        "--listen",
        "127.0.0.1:0",
        "--log-format",
        "json",
    ]))
    .await;
    let made = request_mix(&emulator).await;
    let finished = stop(emulator).await;

    let lines: Vec<Value> = finished
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: not JSON: {l:?}")))
        .collect();
    let requests: Vec<&Value> = lines.iter().filter(|l| l["message"] == "request").collect();
    assert_eq!(requests.len(), made.len(), "{}", finished.stderr);
    for (id, (method, path, status)) in &made {
        let logged: Vec<&&Value> = requests
            .iter()
            .filter(|l| l["tracking_id"] == id.as_str())
            .collect();
        assert_eq!(logged.len(), 1, "one line for {id}: {}", finished.stderr);
        let line = logged[0];
        assert_eq!(line["method"], method.as_str(), "{line}");
        assert_eq!(line["path"], path.as_str(), "{line}");
        assert_eq!(line["status"], *status, "{line}");
        assert!(
            line["duration_ms"].as_f64().is_some_and(|d| d >= 0.0),
            "{line}"
        );
        assert_eq!(line["level"], "INFO", "{line}");
        assert!(line["timestamp"].is_string(), "{line}");
    }
    // Only the path: no query (a query may hold an email) and no header value.
    assert!(!finished.stderr.contains('?'), "{}", finished.stderr);
    assert!(!finished.stderr.contains(JOHN_EMAIL), "{}", finished.stderr);
    assert!(!finished.stderr.contains("logged\""), "no body is logged");
    assert_no_token_value(&finished);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_is_logged_even_at_trace_level() {
    for format in ["json", "pretty"] {
        let emulator = Emulator::start(with_args([
            "--listen",
            "127.0.0.1:0",
            "--log-level",
            "trace",
            "--log-format",
            format,
        ]))
        .await;
        request_mix(&emulator).await;
        let finished = stop(emulator).await;
        assert!(
            finished.stderr.contains("/_emulator/health"),
            "logged at all"
        );
        assert_no_token_value(&finished);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_warn_level_requests_are_not_logged() {
    let emulator = Emulator::start(with_args([
        "--listen",
        "127.0.0.1:0",
        "--log-level",
        "warn",
    ]))
    .await;
    request_mix(&emulator).await;
    let finished = stop(emulator).await;
    assert!(!finished.stderr.contains("request"), "{}", finished.stderr);
    assert!(!finished.stderr.contains(USERCONFIG), "{}", finished.stderr);

    // RUST_LOG wins over --log-level, and the environment twin works too.
    let mut command = with_args(["--listen", "127.0.0.1:0", "--log-level", "info"]);
    command.env("RUST_LOG", "warn");
    let emulator = Emulator::start(command).await;
    request_mix(&emulator).await;
    let finished = stop(emulator).await;
    assert!(!finished.stderr.contains(USERCONFIG), "{}", finished.stderr);
    let mut command = with_args(["--listen", "127.0.0.1:0"]);
    command.env("WEBEX_EMULATOR_LOG_LEVEL", "warn");
    let emulator = Emulator::start(command).await;
    request_mix(&emulator).await;
    let finished = stop(emulator).await;
    assert!(!finished.stderr.contains(USERCONFIG), "{}", finished.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pretty_logs_have_one_readable_line_per_request() {
    let emulator = Emulator::start(with_args(["--listen", "127.0.0.1:0"])).await;
    let made = request_mix(&emulator).await;
    let finished = stop(emulator).await;
    let stderr = &finished.stderr;
    assert!(!stderr.contains('\u{1b}'), "no colours when not a terminal");
    for (id, (method, path, status)) in &made {
        let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(id.as_str())).collect();
        assert_eq!(lines.len(), 1, "one line for {id}: {stderr}");
        let line = lines[0];
        assert!(line.contains(path.as_str()), "{path} in {line:?}");
        assert!(line.contains(&format!("status={status}")), "{line:?}");
        assert!(line.contains(&format!("method={method}")), "{line:?}");
        assert!(line.contains("duration_ms="), "{line:?}");
    }
    let request_lines = stderr.lines().filter(|l| l.contains(" request ")).count();
    assert_eq!(request_lines, made.len(), "{stderr}");
    assert_no_token_value(&finished);
}

// ---- 7. Configuration ----

/// A start that must be refused: its flags, its environment, what stderr must say.
struct Refused {
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    says: &'static [&'static str],
}

const fn flags(args: &'static [&'static str], says: &'static [&'static str]) -> Refused {
    Refused {
        args,
        env: &[],
        says,
    }
}

const fn env(
    env: &'static [(&'static str, &'static str)],
    says: &'static [&'static str],
) -> Refused {
    Refused {
        args: &[],
        env,
        says,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_values_stop_the_start_with_a_clear_message() {
    let cases = [
        flags(&["--journal-size", "-1"], &["--journal-size", "-1"]),
        flags(&["--journal-size", "many"], &["--journal-size", "many"]),
        env(
            &[("WEBEX_EMULATOR_JOURNAL_SIZE", "-1")],
            &["--journal-size", "-1"],
        ),
        flags(
            &["--rate-limit", "0/1"],
            &["--rate-limit", "0/1", "at least 1"],
        ),
        flags(&["--rate-limit", "1/0"], &["--rate-limit", "1/0"]),
        flags(
            &["--rate-limit", "10/minute"],
            &["--rate-limit", "10/minute"],
        ),
        flags(
            &["--rate-limit", "abc"],
            &["--rate-limit", "abc", "REQUESTS/SECONDS"],
        ),
        env(
            &[("WEBEX_EMULATOR_RATE_LIMIT", "abc")],
            &["--rate-limit", "abc"],
        ),
        flags(
            &["--log-format", "xml"],
            &["--log-format", "xml", "pretty", "json"],
        ),
        env(
            &[("WEBEX_EMULATOR_LOG_FORMAT", "xml")],
            &["--log-format", "xml"],
        ),
        flags(&["--listen", "nowhere"], &["--listen", "nowhere"]),
        flags(&["--state-file", ""], &["--state-file"]),
    ];
    for Refused { args, env, says } in cases {
        let mut command = command();
        command.args(args);
        if !args.contains(&"--listen") {
            command.args(["--listen", "127.0.0.1:0"]);
        }
        for (key, value) in env {
            command.env(key, value);
        }
        let finished = run_to_exit(command).await;
        let case = format!("{args:?} {env:?}");
        assert!(!finished.status.success(), "{case}: {}", finished.status);
        assert!(
            !finished.stdout.contains("listening"),
            "{case}: never listens: {}",
            finished.stdout
        );
        for word in says {
            assert!(
                finished.stderr.contains(word),
                "{case}: {word:?} in {:?}",
                finished.stderr
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_lists_every_flag_with_its_environment_variable() {
    use clap::CommandFactory;

    let finished = run_to_exit(with_args(["--help"])).await;
    assert_eq!(finished.status.code(), Some(0));
    let help = finished.stdout;
    let mut flags = Vec::new();
    for arg in webex_emulator::Config::command().get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if ["help", "version"].contains(&long) {
            continue;
        }
        let env = format!("WEBEX_EMULATOR_{}", long.replace('-', "_").to_uppercase());
        assert_eq!(
            arg.get_env().and_then(|e| e.to_str()),
            Some(env.as_str()),
            "--{long} has the twin {env}"
        );
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("--{long} ")))
            .unwrap_or_else(|| panic!("--{long} in --help: {help}"));
        assert!(line.contains(&format!("[env: {env}=")), "{line:?}");
        flags.push(long.to_owned());
    }
    flags.sort();
    assert_eq!(
        flags,
        [
            "any-token",
            "control-token",
            "cors-origins",
            "journal-size",
            "listen",
            "log-format",
            "log-level",
            "rate-limit",
            "seed",
            "state-file",
        ]
    );
    assert!(help.contains("healthcheck"), "{help}");

    let finished = run_to_exit(with_args(["healthcheck", "--help"])).await;
    assert_eq!(finished.status.code(), Some(0));
    for env in ["WEBEX_EMULATOR_LISTEN", "WEBEX_EMULATOR_CONTROL_TOKEN"] {
        assert!(finished.stdout.contains(env), "{env}: {}", finished.stdout);
    }
}
