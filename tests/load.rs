//! Load: 64 connections for `LOAD_SECONDS` (30 by default) against an emulator in this
//! process, mixing reads and writes of shared and distinct people; then a check that the
//! final state is what the acknowledged answers imply: no lost update, no phantom value, no
//! torn read. No request may get a 5xx or a transport error.
//!
//! Ignored by `cargo test`; `.ci/run` runs it:
//!
//! ```text
//! LOAD_SECONDS=30 cargo test --release --test load -- --ignored --nocapture
//! ```
//!
//! Each of the 64 tasks has its own client with one connection and its own person, whose
//! values only it writes; 4 more people are written by every task. Every value written is
//! unique. Every answer to a PUT shows the person's values right after the write, read in
//! the same critical section, so for each person the acknowledged writes and their
//! snapshots tell what the final state must be:
//! - a task's own person: exactly what its last acknowledged write showed, and every read
//!   of it shows what the task last wrote (it is the only writer);
//! - a shared person: the final values are the snapshot of one acknowledged write, the last
//!   one: no acknowledged write of the same person started after it had been answered (in
//!   real time, so in the server's order too); every value ever seen was written by an
//!   acknowledged write, never by a refused one; every read shows a state that some write
//!   left (no half-applied write).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use webex_emulator::domain::seed;
use webex_emulator::Emulator;

const TASKS: usize = 64;
const SHARED: usize = 4;
const SITE: &str = "example.webex.com";
const ADMIN: &str = "webex-emulator-admin";
/// The text codes every write picks from.
const CODES: [&str; 2] = ["Project", "Load Code"];

/// A person's values of [`CODES`], by code name.
type Values = BTreeMap<String, String>;

/// One of the people the load writes: the tasks' own first, then the shared ones.
fn person_id(person: usize) -> String {
    format!("load-person-{person}")
}

fn email(person: usize) -> String {
    format!("load.person{person}@example.com")
}

/// The built-in seed with a person for each task and the shared ones, all of Example Inc.
/// on example.webex.com, and a second text code there.
fn seed_json() -> Vec<u8> {
    let mut seed: Value = serde_json::from_str(seed::BUILT_IN).expect("the built-in seed");
    let org = seed["orgs"][0]["id"].clone();
    let people = seed["people"].as_array_mut().expect("people[]");
    for person in 0..TASKS + SHARED {
        people.push(json!({
            "id": person_id(person),
            "orgId": org,
            "emails": [email(person)],
            "displayName": format!("Load Person {person}"),
            "firstName": "Load",
            "lastName": format!("Person {person}"),
            "roles": [],
            "siteUrls": [SITE],
            "preferredSiteUrl": SITE,
            "created": "2024-01-01T00:00:00.000Z",
            "timezone": "UTC"
        }));
    }
    seed["trackingCodes"]
        .as_array_mut()
        .expect("trackingCodes[]")
        .push(json!({
            "siteUrl": SITE,
            "id": "101",
            "name": CODES[1],
            "inputMode": "text",
            "hostProfileCode": "optional",
            "options": []
        }));
    serde_json::to_vec(&seed).expect("the seed serializes")
}

/// The values of [`CODES`] in a user-codes answer.
fn values_of(body: &Value) -> Values {
    body["trackingCodes"]
        .as_array()
        .expect("trackingCodes[]")
        .iter()
        .filter(|c| CODES.contains(&c["name"].as_str().unwrap_or_default()))
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["value"].as_str().expect("a value").to_owned(),
            )
        })
        .collect()
}

/// An acknowledged (200) write.
#[derive(Debug, Clone)]
struct Write {
    person: usize,
    written: Values,
    started: Instant,
    answered: Instant,
    /// The person's values in the answer: right after the write.
    after: Values,
}

/// What one task did and saw.
#[derive(Debug, Default)]
struct Log {
    writes: Vec<Write>,
    /// Values of writes answered 400: never to be seen.
    refused: Vec<(usize, String)>,
    /// Every read of a person: who and what it showed.
    reads: Vec<(usize, Values)>,
    requests: u64,
    /// Latencies in microseconds, by kind of request.
    by_kind: BTreeMap<&'static str, Vec<u32>>,
    server_errors: Vec<String>,
    transport_errors: Vec<String>,
    unexpected: Vec<String>,
}

/// One request's outcome: the status and JSON body, or why there was none.
async fn send(request: reqwest::RequestBuilder) -> Result<(StatusCode, Value), String> {
    let response = request.send().await.map_err(|e| format!("{e:?}"))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| format!("{e:?}"))?;
    let body = serde_json::from_str(&text).map_err(|e| format!("{status}: {e}: {text}"))?;
    Ok((status, body))
}

struct Task {
    id: usize,
    client: Client,
    api: String,
    rng: fastrand::Rng,
    counter: u64,
    log: Log,
}

impl Task {
    fn fresh_value(&mut self) -> String {
        self.counter += 1;
        format!("t{}-{}", self.id, self.counter)
    }

    /// Some of [`CODES`], at least one, each with a fresh value.
    fn fresh_values(&mut self) -> Values {
        let mut values = Values::new();
        while values.is_empty() {
            for code in CODES {
                if self.rng.bool() {
                    let value = self.fresh_value();
                    values.insert(code.to_owned(), value);
                }
            }
        }
        values
    }

    /// Records a request's outcome; answers its body when the status is the expected one.
    fn outcome(
        &mut self,
        kind: &'static str,
        started: Instant,
        result: Result<(StatusCode, Value), String>,
        expected: StatusCode,
    ) -> Option<Value> {
        let took = started.elapsed();
        self.log.requests += 1;
        self.log
            .by_kind
            .entry(kind)
            .or_default()
            .push(took.as_micros().min(u32::MAX as u128) as u32);
        match result {
            Err(e) => {
                self.log.transport_errors.push(format!("{kind}: {e}"));
                None
            }
            Ok((status, body)) if status.is_server_error() => {
                self.log
                    .server_errors
                    .push(format!("{kind}: {status} {body}"));
                None
            }
            Ok((status, body)) if status != expected => {
                self.log
                    .unexpected
                    .push(format!("{kind}: {status}, not {expected}: {body}"));
                None
            }
            Ok((_, body)) => Some(body),
        }
    }

    async fn put(&mut self, person: usize, values: &Values, refused: bool) {
        let mut items: Vec<Value> = values
            .iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect();
        if refused {
            // Not an option of Department: the whole request must change nothing.
            items.push(json!({"name": "Department", "value": "Astrology"}));
        }
        let body = json!({"siteUrl": SITE, "personId": person_id(person), "trackingCodes": items});
        let started = Instant::now();
        let request = self
            .client
            .put(format!(
                "{}/admin/meeting/userconfig/trackingCodes",
                self.api
            ))
            .bearer_auth(ADMIN)
            .json(&body);
        let result = send(request).await;
        let answered = Instant::now();
        if refused {
            let kind = "PUT refused";
            if self
                .outcome(kind, started, result, StatusCode::BAD_REQUEST)
                .is_some()
            {
                for value in values.values() {
                    self.log.refused.push((person, value.clone()));
                }
            }
            return;
        }
        let kind = if person < TASKS {
            "PUT own person"
        } else {
            "PUT shared person"
        };
        if let Some(answer) = self.outcome(kind, started, result, StatusCode::OK) {
            let after = values_of(&answer);
            for (name, value) in values {
                if after.get(name) != Some(value) {
                    self.log.unexpected.push(format!(
                        "{kind}: wrote {name}={value}, the answer shows {after:?}"
                    ));
                }
            }
            self.log.writes.push(Write {
                person,
                written: values.clone(),
                started,
                answered,
                after,
            });
        }
    }

    async fn get_person(&mut self, person: usize) {
        let kind = if person < TASKS {
            "GET own person"
        } else {
            "GET shared person"
        };
        let started = Instant::now();
        let request = self
            .client
            .get(format!(
                "{}/admin/meeting/userconfig/trackingCodes",
                self.api
            ))
            .query(&[
                ("siteUrl", SITE.to_owned()),
                ("personId", person_id(person)),
            ])
            .bearer_auth(ADMIN);
        let result = send(request).await;
        if let Some(body) = self.outcome(kind, started, result, StatusCode::OK) {
            let seen = values_of(&body);
            if person == self.id {
                // The only writer of its own person reads what it last wrote.
                let last = self
                    .log
                    .writes
                    .iter()
                    .rev()
                    .find(|w| w.person == person)
                    .map(|w| w.after.clone())
                    .unwrap_or_default();
                if seen != last {
                    self.log
                        .unexpected
                        .push(format!("{kind}: read {seen:?} after writing {last:?}"));
                }
            }
            self.log.reads.push((person, seen));
        }
    }

    async fn get(&mut self, kind: &'static str, path: String) {
        let started = Instant::now();
        let request = self
            .client
            .get(format!("{}{path}", self.api))
            .bearer_auth(ADMIN);
        let result = send(request).await;
        self.outcome(kind, started, result, StatusCode::OK);
    }

    async fn run(mut self, until: Instant) -> Log {
        while Instant::now() < until {
            let shared = TASKS + self.rng.usize(..SHARED);
            match self.rng.u32(..100) {
                0..=24 => {
                    let values = self.fresh_values();
                    self.put(self.id, &values, false).await;
                }
                25..=49 => {
                    let values = self.fresh_values();
                    self.put(shared, &values, false).await;
                }
                50..=54 => {
                    let values = self.fresh_values();
                    let person = if self.rng.bool() { self.id } else { shared };
                    self.put(person, &values, true).await;
                }
                55..=69 => self.get_person(self.id).await,
                70..=79 => self.get_person(shared).await,
                80..=89 => {
                    self.get(
                        "List Tracking Codes",
                        format!("/admin/meeting/config/trackingCodes?siteUrl={SITE}"),
                    )
                    .await
                }
                90..=94 => {
                    let email = email(self.id);
                    self.get("List People", format!("/people?email={email}"))
                        .await
                }
                _ => self.get("Get My Own Details", "/people/me".into()).await,
            }
        }
        self.log
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted[at]) / 1000.0
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a 30 s load test; run by .ci/run: cargo test --release --test load -- --ignored --nocapture"]
async fn concurrent_load_loses_no_update_and_never_fails() {
    let seconds: f64 = std::env::var("LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30.0);
    let emulator = Emulator::start_with_seed(&seed_json())
        .await
        .expect("the emulator starts");
    let api = emulator.api_url();

    let started = Instant::now();
    let until = started + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = (0..TASKS)
        .map(|id| {
            let task = Task {
                id,
                client: Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .expect("a client"),
                api: api.clone(),
                rng: fastrand::Rng::with_seed(id as u64),
                counter: 0,
                log: Log::default(),
            };
            tokio::spawn(task.run(until))
        })
        .collect();
    let mut logs = Vec::new();
    for task in tasks {
        logs.push(task.await.expect("the task ran"));
    }
    let elapsed = started.elapsed().as_secs_f64();

    // The final state, read once the load is over.
    let client = Client::new();
    let mut finals = HashMap::new();
    for person in 0..TASKS + SHARED {
        let (status, body) = send(
            client
                .get(format!("{api}/admin/meeting/userconfig/trackingCodes"))
                .query(&[
                    ("siteUrl", SITE.to_owned()),
                    ("personId", person_id(person)),
                ])
                .bearer_auth(ADMIN),
        )
        .await
        .expect("the final read");
        assert_eq!(status, StatusCode::OK, "{body}");
        finals.insert(person, values_of(&body));
    }

    // The numbers.
    let requests: u64 = logs.iter().map(|l| l.requests).sum();
    let mut by_kind: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for log in &logs {
        for (kind, latencies) in &log.by_kind {
            by_kind.entry(kind).or_default().extend(latencies);
        }
    }
    let server_errors: Vec<&String> = logs.iter().flat_map(|l| &l.server_errors).collect();
    let transport_errors: Vec<&String> = logs.iter().flat_map(|l| &l.transport_errors).collect();
    let unexpected: Vec<&String> = logs.iter().flat_map(|l| &l.unexpected).collect();
    println!(
        "load: {TASKS} connections for {elapsed:.1} s: {requests} requests, {:.0} requests/s",
        requests as f64 / elapsed
    );
    println!(
        "  {:<20} {:>9} {:>9} {:>9}",
        "request", "count", "p50 ms", "p99 ms"
    );
    let mut all = Vec::new();
    for (kind, latencies) in &mut by_kind {
        latencies.sort_unstable();
        println!(
            "  {kind:<20} {:>9} {:>9.2} {:>9.2}",
            latencies.len(),
            percentile(latencies, 0.5),
            percentile(latencies, 0.99)
        );
        all.extend_from_slice(latencies);
    }
    all.sort_unstable();
    println!(
        "  {:<20} {:>9} {:>9.2} {:>9.2} (max {:.2})",
        "all",
        all.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        percentile(&all, 1.0)
    );
    println!(
        "  errors: 5xx {}, transport {}, unexpected {}",
        server_errors.len(),
        transport_errors.len(),
        unexpected.len()
    );
    assert!(server_errors.is_empty(), "5xx answers: {server_errors:#?}");
    assert!(
        transport_errors.is_empty(),
        "transport errors: {transport_errors:#?}"
    );
    assert!(unexpected.is_empty(), "unexpected answers: {unexpected:#?}");
    assert!(requests > 0);

    // What the acknowledged answers imply.
    let writes: Vec<&Write> = logs.iter().flat_map(|l| &l.writes).collect();
    let mut written: HashMap<(usize, &str), HashSet<&str>> = HashMap::new();
    for w in &writes {
        for (name, value) in &w.written {
            written
                .entry((w.person, name.as_str()))
                .or_default()
                .insert(value.as_str());
        }
    }
    let refused: HashSet<(usize, &str)> = logs
        .iter()
        .flat_map(|l| l.refused.iter().map(|(p, v)| (*p, v.as_str())))
        .collect();
    // Every value seen anywhere (answers, reads, the final state) was written by an
    // acknowledged write of that person and code: no phantom, nothing of a refused write.
    let seen = writes
        .iter()
        .map(|w| (w.person, &w.after))
        .chain(
            logs.iter()
                .flat_map(|l| l.reads.iter().map(|(p, v)| (*p, v))),
        )
        .chain(finals.iter().map(|(p, v)| (*p, v)));
    for (person, values) in seen {
        for (name, value) in values {
            assert!(
                !refused.contains(&(person, value.as_str())),
                "person {person}: {name}={value} was refused, yet it is there"
            );
            assert!(
                written
                    .get(&(person, name.as_str()))
                    .is_some_and(|v| v.contains(value.as_str())),
                "person {person}: {name}={value} was never acknowledged"
            );
        }
    }

    let mut shared_writes = 0;
    for person in 0..TASKS + SHARED {
        let mine: Vec<&&Write> = writes.iter().filter(|w| w.person == person).collect();
        let last = &finals[&person];
        if person < TASKS {
            // One writer: its last acknowledged write is the final state.
            let expected = mine
                .iter()
                .max_by_key(|w| w.answered)
                .map(|w| w.after.clone())
                .unwrap_or_default();
            assert_eq!(last, &expected, "own person {person}");
            continue;
        }
        shared_writes += mine.len();
        // The final state is the answer of one acknowledged write...
        let candidates: Vec<&&&Write> = mine.iter().filter(|w| &w.after == last).collect();
        assert!(
            !candidates.is_empty() || (mine.is_empty() && last.is_empty()),
            "shared person {person}: the final {last:?} is no acknowledged write's state"
        );
        // ...and that write was the last: nothing written to the person started after it
        // had been answered.
        for candidate in candidates {
            let later: Vec<&Write> = mine
                .iter()
                .filter(|w| w.started > candidate.answered)
                .map(|w| **w)
                .collect();
            assert!(
                later.is_empty(),
                "shared person {person}: lost update: the final state is {last:?}, from a \
                 write answered before these began: {later:#?}"
            );
        }
        // Code by code too: the write of each final value was the last of that code.
        for (name, value) in last {
            let writer = mine
                .iter()
                .find(|w| w.written.get(name) == Some(value))
                .expect("the write of a final value");
            let later = mine
                .iter()
                .filter(|w| w.written.contains_key(name) && w.started > writer.answered)
                .count();
            assert_eq!(
                later, 0,
                "shared person {person}: lost update of {name}: its final value {value} was \
                 answered before {later} other writes of it began"
            );
        }
        // Every read of the person shows the state some write left.
        let states: HashSet<&Values> = mine.iter().map(|w| &w.after).collect();
        for (p, values) in logs.iter().flat_map(|l| &l.reads) {
            if *p == person {
                assert!(
                    values.is_empty() || states.contains(values),
                    "shared person {person}: a read showed {values:?}, which no write left"
                );
            }
        }
    }
    println!(
        "  checked: {} acknowledged writes ({shared_writes} to {SHARED} shared people), {} refused, {} reads",
        writes.len(),
        refused.len(),
        logs.iter().map(|l| l.reads.len()).sum::<usize>()
    );

    emulator.stop().await.expect("the emulator stops");
}
