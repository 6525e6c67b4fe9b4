//! Fuzz tests, as proptest over raw bytes and over mutated valid JSON:
//! - request bodies: `parse_json` never panics and fails only with a 400;
//! - seed files: `seed::load` never panics, and a seed it accepts gives a whole model;
//! - the whole HTTP application, called in process (no network): no panic, no hang, no
//!   5xx unless a fault was asked for, every error in the Webex error body, and every
//!   world's model whole after every request.
//!
//! A short run by default (a few seconds in `cargo test`). Longer runs:
//! `PROPTEST_CASES=N` runs N cases per target; `FUZZ_SECONDS=S` runs each target for S
//! seconds (then targets run two at a time on two cores). Each target prints how many cases
//! it ran (`--nocapture` shows it), e.g.
//! `FUZZ_SECONDS=300 cargo test --release --test fuzz -- --nocapture`.

#[path = "support/invariants.rs"]
mod invariants;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use tower::ServiceExt;

use webex_emulator::domain::model::Model;
use webex_emulator::domain::seed::{self, Seed};
use webex_emulator::domain::site_codes::CodeInput;
use webex_emulator::domain::user_codes::UpdateRequest;
use webex_emulator::error::Error;
use webex_emulator::gateway::faults::{self, RuleInput};
use webex_emulator::gateway::rate_limit::Limit;
use webex_emulator::http::extract::parse_json;
use webex_emulator::{AppState, Options};

// ---------------------------------------------------------------------------------------
// Running a target for a number of cases or of seconds.

/// Runs `test` on values of `strategy`: `default_cases` cases, or `PROPTEST_CASES`, or for
/// `FUZZ_SECONDS`; panics with the smallest failing input proptest finds.
fn fuzz<S: Strategy>(
    name: &str,
    default_cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let seconds = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok());
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(default_cases);
    let ran = AtomicU64::new(0);
    let counted = |value: S::Value| {
        ran.fetch_add(1, Ordering::Relaxed);
        test(value)
    };
    let config = |cases| Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let started = Instant::now();
    let outcome = match seconds {
        None => TestRunner::new(config(cases)).run(&strategy, counted),
        Some(seconds) => {
            let deadline = started + Duration::from_secs_f64(seconds);
            let mut outcome = Ok(());
            while outcome.is_ok() && Instant::now() < deadline {
                // Fresh random seeds each round; rounds are short so the deadline holds.
                outcome = TestRunner::new(config(256)).run(&strategy, counted);
            }
            outcome
        }
    };
    eprintln!(
        "fuzz {name}: {} cases in {:.1} s",
        ran.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = outcome {
        panic!("fuzz {name} failed: {e}");
    }
}

// ---------------------------------------------------------------------------------------
// JSON documents that can hold what `serde_json::Value` cannot: duplicate keys, numbers of
// any size, strings of raw (even invalid UTF-8) bytes.

#[derive(Debug, Clone, PartialEq)]
enum J {
    Null,
    Bool(bool),
    /// Written as is.
    Num(String),
    Str(String),
    /// The bytes between the quotes, written as is (escapes, invalid UTF-8).
    RawStr(Vec<u8>),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
    /// Written as is: nesting that no tree should hold, garbage.
    Raw(Vec<u8>),
}

impl J {
    fn from_value(v: &serde_json::Value) -> J {
        match v {
            serde_json::Value::Null => J::Null,
            serde_json::Value::Bool(b) => J::Bool(*b),
            serde_json::Value::Number(n) => J::Num(n.to_string()),
            serde_json::Value::String(s) => J::Str(s.clone()),
            serde_json::Value::Array(a) => J::Arr(a.iter().map(J::from_value).collect()),
            serde_json::Value::Object(o) => J::Obj(
                o.iter()
                    .map(|(k, v)| (k.clone(), J::from_value(v)))
                    .collect(),
            ),
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            J::Null => out.extend_from_slice(b"null"),
            J::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            J::Num(n) => out.extend_from_slice(n.as_bytes()),
            J::Str(s) => out.extend_from_slice(serde_json::to_string(s).unwrap().as_bytes()),
            J::RawStr(b) => {
                out.push(b'"');
                out.extend_from_slice(b);
                out.push(b'"');
            }
            J::Arr(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(out);
                }
                out.push(b']');
            }
            J::Obj(entries) => {
                out.push(b'{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(serde_json::to_string(k).unwrap().as_bytes());
                    out.push(b':');
                    v.write(out);
                }
                out.push(b'}');
            }
            J::Raw(b) => out.extend_from_slice(b),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    /// The paths (child positions) of every node, root first.
    fn paths(&self) -> Vec<Vec<usize>> {
        let mut out = Vec::new();
        self.collect_paths(&mut Vec::new(), &mut out);
        out
    }

    fn collect_paths(&self, at: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        out.push(at.clone());
        let children: Vec<&J> = match self {
            J::Arr(items) => items.iter().collect(),
            J::Obj(entries) => entries.iter().map(|(_, v)| v).collect(),
            _ => return,
        };
        for (i, child) in children.into_iter().enumerate() {
            at.push(i);
            child.collect_paths(at, out);
            at.pop();
        }
    }

    fn at(&self, path: &[usize]) -> &J {
        path.iter().fold(self, |node, &i| match node {
            J::Arr(items) => &items[i],
            J::Obj(entries) => &entries[i].1,
            _ => unreachable!("paths lead through containers"),
        })
    }

    fn at_mut(&mut self, path: &[usize]) -> &mut J {
        path.iter().fold(self, |node, &i| match node {
            J::Arr(items) => &mut items[i],
            J::Obj(entries) => &mut entries[i].1,
            _ => unreachable!("paths lead through containers"),
        })
    }

    fn strings(&self, out: &mut Vec<String>) {
        match self {
            J::Str(s) => out.push(s.clone()),
            J::Arr(items) => items.iter().for_each(|i| i.strings(out)),
            J::Obj(entries) => entries.iter().for_each(|(k, v)| {
                out.push(k.clone());
                v.strings(out);
            }),
            _ => {}
        }
    }
}

fn nested(depth: usize, open: &[u8], close: &[u8]) -> J {
    let mut raw = open.repeat(depth);
    raw.extend(close.repeat(depth));
    J::Raw(raw)
}

/// Values that rules and parsers treat specially.
fn interesting(i: usize) -> J {
    let long = |n: usize| J::Str("x".repeat(n));
    let all = [
        J::Null,
        J::Bool(true),
        J::Bool(false),
        J::Num("0".into()),
        J::Num("-1".into()),
        J::Num("1.5".into()),
        J::Num("1e400".into()),
        J::Num("-1e400".into()),
        J::Num("1e-400".into()),
        J::Num("18446744073709551615".into()),
        J::Num("18446744073709551616".into()),
        J::Num("9".repeat(400)),
        J::Str(String::new()),
        J::Str(" ".into()),
        long(120),
        long(121),
        J::Str("日".repeat(121)),
        J::Str("0".into()),
        J::Str("1".into()),
        J::Str("01".into()),
        J::Str("18446744073709551615".into()),
        J::Str("18446744073709551614".into()),
        J::Str("18446744073709551616".into()),
        J::Str("ΟΔΟΣ".into()),
        J::Str("οδοσ".into()),
        J::Str("\u{0}".into()),
        J::Str("a@b".into()),
        J::Str("example.webex.com".into()),
        J::Str("EXAMPLE.WEBEX.COM ".into()),
        J::Str("globex.webex.com".into()),
        J::Str("example-mapped.webex.com".into()),
        J::Str("example-sa.webex.com".into()),
        J::Str("john.andersen@example.com".into()),
        J::Str("webex-emulator-admin".into()),
        J::Str("select".into()),
        J::Str("hostProfileSelect".into()),
        J::Str("editableSelect".into()),
        J::Str("text".into()),
        J::Str("required".into()),
        J::Str("adminSet".into()),
        J::Str("notUsed".into()),
        J::Str("notApplicable".into()),
        J::Str("All".into()),
        J::Str("MeetingCenter".into()),
        J::Str("siteAdmin".into()),
        J::Str("controlHub".into()),
        J::Str("completed".into()),
        J::Str("inProgress".into()),
        J::Str("id_full_admin".into()),
        J::Str("meeting:admin_schedule_write".into()),
        J::RawStr(b"\\ud800".to_vec()),
        J::RawStr(b"\\udc00\\ud800".to_vec()),
        J::RawStr(b"\xff\xfe".to_vec()),
        J::RawStr(b"\xc3".to_vec()),
        J::RawStr(b"\\u0000".to_vec()),
        J::RawStr(b"\\x".to_vec()),
        J::Arr(Vec::new()),
        J::Obj(Vec::new()),
        J::Arr(vec![J::Obj(Vec::new())]),
        nested(127, b"[", b"]"),
        nested(129, b"[", b"]"),
        nested(5000, b"[", b"]"),
        nested(200, b"{\"a\":", b"}"),
        J::Raw(b"[".to_vec()),
        J::Raw(b"".to_vec()),
        J::Raw(b"nul".to_vec()),
    ];
    let n = all.len();
    all.into_iter().nth(i % n).unwrap()
}

/// Keys a mutation may give an entry: the formats' own, in other cases, and unknown ones.
/// (No key of a fault rule's action: a fuzzed fault rule could add a real delay.)
const KEYS: &[&str] = &[
    "siteUrl",
    "SiteUrl",
    "personId",
    "email",
    "trackingCodes",
    "name",
    "value",
    "id",
    "inputMode",
    "hostProfileCode",
    "options",
    "defaultValue",
    "scheduleStartCodes",
    "service",
    "type",
    "orgs",
    "sites",
    "people",
    "tokens",
    "userTrackingCodes",
    "orgId",
    "emails",
    "roles",
    "siteUrls",
    "preferredSiteUrl",
    "scopes",
    "token",
    "management",
    "trackingCodeMapping",
    "from",
    "fixture",
    "requests",
    "perSeconds",
    "unknown",
    "",
];

#[derive(Debug, Clone)]
enum Mutation {
    /// Removes the node (from its object or array); the root becomes `null`.
    Delete(Index),
    Replace(Index, usize),
    /// Replaces a string or number (not a container) with an interesting value.
    ReplaceLeaf(Index, usize),
    /// Replaces the value of an entry with a given key (say any `id`) with an interesting
    /// value: reaches the fields a seed's rules are about.
    ReplaceKeyed(Index, Index, usize),
    /// Replaces the node with another string of the document (an id, a URL, a name...).
    ReplaceWithDocString(Index, Index),
    /// Replaces the node with a copy of another node.
    CopyNode(Index, Index),
    /// Repeats an entry of an object (a duplicate key) or an item of an array.
    DuplicateEntry(Index, Index),
    RenameKey(Index, Index, Index),
    WrapInArray(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => any::<Index>().prop_map(Mutation::Delete),
        4 => (any::<Index>(), any::<usize>()).prop_map(|(a, i)| Mutation::Replace(a, i)),
        4 => (any::<Index>(), any::<usize>()).prop_map(|(a, i)| Mutation::ReplaceLeaf(a, i)),
        4 => (any::<Index>(), any::<Index>(), any::<usize>())
            .prop_map(|(k, a, i)| Mutation::ReplaceKeyed(k, a, i)),
        4 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::ReplaceWithDocString(a, b)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::CopyNode(a, b)),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::DuplicateEntry(a, b)),
        2 => (any::<Index>(), any::<Index>(), any::<Index>()).prop_map(|(a, b, c)| Mutation::RenameKey(a, b, c)),
        1 => any::<Index>().prop_map(Mutation::WrapInArray),
    ]
}

fn mutate(doc: &mut J, m: &Mutation) {
    let paths = doc.paths();
    let pick = |i: &Index| i.get(&paths).clone();
    match m {
        Mutation::Delete(i) => {
            let path = pick(i);
            match path.split_last() {
                None => *doc = J::Null,
                Some((&last, parent)) => match doc.at_mut(parent) {
                    J::Arr(items) => {
                        items.remove(last);
                    }
                    J::Obj(entries) => {
                        entries.remove(last);
                    }
                    _ => unreachable!(),
                },
            }
        }
        Mutation::Replace(i, which) => *doc.at_mut(&pick(i)) = interesting(*which),
        Mutation::ReplaceLeaf(i, which) => {
            let leaves: Vec<&Vec<usize>> = paths
                .iter()
                .filter(|p| matches!(doc.at(p), J::Str(_) | J::Num(_)))
                .collect();
            if !leaves.is_empty() {
                let path = i.get(&leaves).to_vec();
                *doc.at_mut(&path) = interesting(*which);
            }
        }
        Mutation::ReplaceKeyed(key, i, which) => {
            let key = key.get(KEYS);
            let keyed: Vec<&Vec<usize>> = paths
                .iter()
                .filter(|p| {
                    p.split_last().is_some_and(|(&last, parent)| {
                        matches!(doc.at(parent), J::Obj(entries) if entries[last].0 == *key)
                    })
                })
                .collect();
            if !keyed.is_empty() {
                let path = i.get(&keyed).to_vec();
                *doc.at_mut(&path) = interesting(*which);
            }
        }
        Mutation::ReplaceWithDocString(i, s) => {
            let mut strings = Vec::new();
            doc.strings(&mut strings);
            if !strings.is_empty() {
                let s = s.get(&strings).clone();
                *doc.at_mut(&pick(i)) = J::Str(s);
            }
        }
        Mutation::CopyNode(to, from) => {
            let copy = doc.at(&pick(from)).clone();
            *doc.at_mut(&pick(to)) = copy;
        }
        Mutation::DuplicateEntry(i, which) => match doc.at_mut(&pick(i)) {
            J::Arr(items) if !items.is_empty() => {
                let copy = which.get(items).clone();
                items.push(copy);
            }
            J::Obj(entries) if !entries.is_empty() => {
                let copy = which.get(entries).clone();
                entries.push(copy);
            }
            _ => {}
        },
        Mutation::RenameKey(i, which, key) => {
            if let J::Obj(entries) = doc.at_mut(&pick(i)) {
                if !entries.is_empty() {
                    let n = which.index(entries.len());
                    entries[n].0 = key.get(KEYS).to_string();
                }
            }
        }
        Mutation::WrapInArray(i) => {
            let node = doc.at_mut(&pick(i));
            *node = J::Arr(vec![std::mem::replace(node, J::Null)]);
        }
    }
}

#[derive(Debug, Clone)]
enum ByteMutation {
    Flip(Index, u8),
    Truncate(Index),
    Insert(Index, Vec<u8>),
    Remove(Index, usize),
}

fn byte_mutation() -> impl Strategy<Value = ByteMutation> {
    prop_oneof![
        3 => (any::<Index>(), 1u8..=255).prop_map(|(i, x)| ByteMutation::Flip(i, x)),
        2 => any::<Index>().prop_map(ByteMutation::Truncate),
        2 => (
            any::<Index>(),
            prop_oneof![
                prop::collection::vec(any::<u8>(), 1..4),
                prop::sample::select(vec![
                    b"{".to_vec(), b"}".to_vec(), b"[".to_vec(), b"]".to_vec(), b"\"".to_vec(),
                    b",".to_vec(), b":".to_vec(), b"\\".to_vec(), b"\xff".to_vec(),
                    b"\\ud800".to_vec(), b"null".to_vec(), b"1e999".to_vec(),
                ]),
            ]
        )
            .prop_map(|(i, b)| ByteMutation::Insert(i, b)),
        1 => (any::<Index>(), 1usize..16).prop_map(|(i, n)| ByteMutation::Remove(i, n)),
    ]
}

fn mutate_bytes(bytes: &mut Vec<u8>, m: &ByteMutation) {
    let at = |i: &Index| i.index(bytes.len() + 1);
    match m {
        ByteMutation::Flip(i, x) if !bytes.is_empty() => {
            let n = i.index(bytes.len());
            bytes[n] ^= x;
        }
        ByteMutation::Flip(..) => {}
        ByteMutation::Truncate(i) => bytes.truncate(at(i)),
        ByteMutation::Insert(i, b) => {
            let n = at(i);
            bytes.splice(n..n, b.iter().copied());
        }
        ByteMutation::Remove(i, len) => {
            let n = at(i);
            let end = (n + len).min(bytes.len());
            bytes.drain(n..end);
        }
    }
}

/// A valid document, mutated at the JSON level and then at the byte level.
#[derive(Debug, Clone)]
struct Mutated {
    template: Index,
    mutations: Vec<Mutation>,
    byte_mutations: Vec<ByteMutation>,
}

fn mutated(max_mutations: usize, max_byte_mutations: usize) -> impl Strategy<Value = Mutated> {
    (
        any::<Index>(),
        prop::collection::vec(mutation(), 0..=max_mutations),
        prop::collection::vec(byte_mutation(), 0..=max_byte_mutations),
    )
        .prop_map(|(template, mutations, byte_mutations)| Mutated {
            template,
            mutations,
            byte_mutations,
        })
}

impl Mutated {
    fn build(&self, templates: &[J]) -> Vec<u8> {
        let mut doc = self.template.get(templates).clone();
        for m in &self.mutations {
            mutate(&mut doc, m);
        }
        let mut bytes = doc.bytes();
        for m in &self.byte_mutations {
            mutate_bytes(&mut bytes, m);
        }
        bytes
    }
}

const JOHN: &str =
    "Y2lzY29zcGFyazovL3VzL1BFT1BMRS8xOGJiOWNjMC0zMWM2LTQ3MzYtYmE4OC0wMDk5ZmQzNDNmODE";

fn seed_template() -> J {
    J::from_value(&serde_json::from_str(seed::BUILT_IN).expect("the built-in seed is JSON"))
}

/// Valid bodies of every operation that takes one.
fn body_templates() -> Vec<J> {
    let docs = [
        serde_json::json!({
            "siteUrl": "example.webex.com",
            "personId": JOHN,
            "trackingCodes": [
                {"name": "Department", "value": "Sales"},
                {"name": "Division", "value": "Part-time"},
                {"name": "Region", "value": "EMEA"}
            ]
        }),
        serde_json::json!({
            "siteUrl": "example-sa.webex.com",
            "email": "JOHN.ANDERSEN@example.com",
            "trackingCodes": [{"id": 1, "name": "employee id", "value": "E-1"}]
        }),
        serde_json::json!({
            "siteUrl": "example.webex.com",
            "name": "Fuzzed",
            "inputMode": "select",
            "hostProfileCode": "optional",
            "options": [{"value": "A", "defaultValue": true}, {"value": "B"}],
            "scheduleStartCodes": [{"service": "All", "type": "optional"}]
        }),
        serde_json::json!({
            "siteUrl": "example-sa.webex.com",
            "name": "Region",
            "inputMode": "hostProfileSelect",
            "hostProfileCode": "required",
            "options": [{"value": "AMER", "defaultValue": false}, {"value": "EMEA"}],
            "scheduleStartCodes": [{"service": "EventCenter", "type": "notUsed"}]
        }),
        serde_json::json!({"from": "server"}),
        serde_json::json!({"requests": 1000, "perSeconds": 1}),
    ];
    docs.iter()
        .map(J::from_value)
        .chain([seed_template()])
        .collect()
}

/// Bytes that are not the mutation of a valid document.
fn special_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        "[ -~]{0,64}".prop_map(String::into_bytes),
        (1usize..200_000).prop_map(|n| {
            let mut b = b"[".repeat(n);
            b.extend(b"]".repeat(n));
            b
        }),
        (1usize..20_000).prop_map(|n| {
            let mut b = b"{\"trackingCodes\":".to_vec();
            b.extend(b"[".repeat(n));
            b
        }),
        (1usize..5000).prop_map(|n| format!("{{\"siteUrl\": 1{}}}", "0".repeat(n)).into_bytes()),
        (1usize..300_000)
            .prop_map(|n| format!("{{\"siteUrl\": \"{}\"}}", "a".repeat(n)).into_bytes()),
        Just(br#"{"siteUrl":"a","siteUrl":"b"}"#.to_vec()),
        Just(b"{\"siteUrl\":\"\xff\xfe\"}".to_vec()),
        Just(br#"{"siteUrl":"\ud800"}"#.to_vec()),
        Just(b"\xef\xbb\xbf{}".to_vec()),
        Just(b"{\"siteUrl\":\"a\0b\"}".to_vec()),
        Just(b"{} {}".to_vec()),
        Just(b"   ".to_vec()),
    ]
}

// ---------------------------------------------------------------------------------------
// (a) Request bodies.

fn parses_or_is_a_400<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &str,
) -> Result<(), TestCaseError> {
    match parse_json::<T>(bytes) {
        Ok(_) => Ok(()),
        Err(Error::BadRequest(d)) if !d.is_empty() && d.iter().all(|d| !d.is_empty()) => Ok(()),
        Err(e) => Err(TestCaseError::fail(format!(
            "{what}: not a described 400: {e:?}"
        ))),
    }
}

fn every_body_type(bytes: &[u8]) -> Result<(), TestCaseError> {
    parses_or_is_a_400::<UpdateRequest>(bytes, "UpdateRequest")?;
    parses_or_is_a_400::<CodeInput>(bytes, "CodeInput")?;
    parses_or_is_a_400::<serde_json::Value>(bytes, "Value")?;
    parses_or_is_a_400::<Seed>(bytes, "Seed")?;
    parses_or_is_a_400::<RuleInput>(bytes, "RuleInput")?;
    parses_or_is_a_400::<Limit>(bytes, "Limit")?;
    Ok(())
}

/// Bytes that show as text (lossily) when a failing case is printed.
#[derive(Clone)]
struct Text(Vec<u8>);

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

#[test]
fn request_bodies_never_panic() {
    let templates = body_templates();
    let input = prop_oneof![
        2 => special_body(),
        5 => mutated(4, 2).prop_map(move |m| m.build(&templates)),
    ];
    fuzz("request bodies", 256, input.prop_map(Text), |bytes| {
        every_body_type(&bytes.0)
    });
}

// ---------------------------------------------------------------------------------------
// (b) Seed files.

/// Loading never panics; an accepted seed gives a whole model.
fn load_checked(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(model) = seed::load(bytes) {
        let problems = invariants::problems(&model);
        prop_assert!(
            problems.is_empty(),
            "an accepted seed gives a broken model: {:#?}\nseed: {}",
            problems,
            String::from_utf8_lossy(bytes)
        );
    }
    Ok(())
}

#[test]
fn seed_bytes_never_panic() {
    let built_in = seed::BUILT_IN.as_bytes().to_vec();
    let input = prop_oneof![
        1 => special_body(),
        3 => prop::collection::vec(byte_mutation(), 1..8).prop_map(move |muts| {
            let mut bytes = built_in.clone();
            for m in &muts {
                mutate_bytes(&mut bytes, m);
            }
            bytes
        }),
    ];
    fuzz("seed bytes", 256, input.prop_map(Text), |bytes| {
        load_checked(&bytes.0)
    });
}

#[test]
fn mutated_seeds_load_whole_or_not_at_all() {
    let templates = vec![seed_template()];
    // Mostly JSON-level mutations, so that many mutants are still seeds.
    let input = (
        any::<Index>(),
        prop::collection::vec(mutation(), 1..6),
        prop::collection::vec(byte_mutation(), 0..2),
    )
        .prop_map(move |(template, mutations, byte_mutations)| {
            Mutated {
                template,
                mutations,
                byte_mutations,
            }
            .build(&templates)
        });
    fuzz("mutated seeds", 256, input.prop_map(Text), |bytes| {
        load_checked(&bytes.0)
    });
}

// ---------------------------------------------------------------------------------------
// (c) The whole HTTP application, in process.

const TOKENS: &[&str] = &[
    "webex-emulator-admin",
    "webex-emulator-readonly-admin",
    "webex-emulator-user",
    "webex-emulator-org2-admin",
    "webex-emulator-admin-no-scopes",
    "webex-emulator-john",
];

const PATHS: &[&str] = &[
    "/v1/admin/meeting/userconfig/trackingCodes",
    "/v1/admin/meeting/config/trackingCodes",
    "/v1/admin/meeting/config/trackingCodes/{}",
    "/v1/meetings/trackingCodes",
    "/v1/meetingPreferences/sites",
    "/v1/people",
    "/v1/people/me",
    "/v1/people/{}",
    "/v1/{}",
    "/{}",
    "/_emulator/health",
    "/_emulator/openapi.json",
    "/_emulator/worlds",
    "/_emulator/worlds/{}",
    "/_emulator/worlds/{}/reset",
    "/_emulator/worlds/{}/state",
    "/_emulator/reset",
    "/_emulator/state",
    "/_emulator/journal",
    "/_emulator/faults",
    "/_emulator/faults/{}",
    "/_emulator/rate-limit",
    "/_emulator/{}",
];

/// Path segments, as bytes to be percent-encoded (or as is, when `raw`).
fn segment() -> impl Strategy<Value = (Vec<u8>, bool)> {
    let known: Vec<&[u8]> = vec![
        b"1",
        b"3",
        b"6",
        b"0",
        b"01",
        b"999",
        b"18446744073709551615",
        b"18446744073709551616",
        b"default",
        b"world-000000000000",
        b"fault-1",
        b"me",
        JOHN.as_bytes(),
        b"",
        b"..",
        b"\xff",
        b"\xc3\x28",
        b"\0",
        b"a b",
        b"%",
        b"%G0",
        b"%FF",
        b"a/b",
    ];
    prop_oneof![
        6 => (prop::sample::select(known), any::<bool>()).prop_map(|(s, raw)| (s.to_vec(), raw)),
        2 => (prop::collection::vec(any::<u8>(), 0..12), Just(false)),
        1 => (5000usize..20_000).prop_map(|n| (vec![b'a'; n], false)),
    ]
}

fn percent_encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

const QUERY_KEYS: &[&str] = &[
    "siteUrl",
    "personId",
    "email",
    "max",
    "cursor",
    "id",
    "displayName",
    "userEmail",
    "hostEmail",
    "service",
    "method",
    "path",
    "status",
    "world",
    "after",
    "limit",
    "other",
];

const QUERY_VALUES: &[&[u8]] = &[
    b"example.webex.com",
    b"EXAMPLE.webex.com",
    b"example-sa.webex.com",
    b"globex.webex.com",
    b"example-mapped.webex.com",
    b"nowhere.webex.com",
    JOHN.as_bytes(),
    b"john.andersen@example.com",
    b"",
    b" ",
    b"\xff",
    b"0",
    b"1",
    b"-1",
    b"1001",
    b"18446744073709551616",
    b"b2Zmc2V0OjE",
    b"b2Zmc2V0Ojk5OTk5OTk5OTk5OTk5OTk5OTk5",
    b"MeetingCenter",
    b"*",
    b"/v1/*",
];

#[derive(Debug, Clone)]
enum Auth {
    None,
    Token(Index),
    /// A token of the newest world other than the default, if any.
    WorldToken(Index),
    Raw(Vec<u8>),
}

#[derive(Debug, Clone)]
enum BodyChoice {
    Empty,
    Mutated(Mutated),
    Special(Vec<u8>),
    OverLimit(usize),
}

/// The routes, each with a method it answers, so that most calls reach a handler.
const ROUTES: &[(&str, &str)] = &[
    ("PUT", "/v1/admin/meeting/userconfig/trackingCodes"),
    ("PUT", "/v1/admin/meeting/userconfig/trackingCodes"),
    ("PUT", "/v1/admin/meeting/userconfig/trackingCodes"),
    ("GET", "/v1/admin/meeting/userconfig/trackingCodes"),
    ("GET", "/v1/admin/meeting/config/trackingCodes"),
    ("POST", "/v1/admin/meeting/config/trackingCodes"),
    ("POST", "/v1/admin/meeting/config/trackingCodes"),
    ("GET", "/v1/admin/meeting/config/trackingCodes/{}"),
    ("PUT", "/v1/admin/meeting/config/trackingCodes/{}"),
    ("PUT", "/v1/admin/meeting/config/trackingCodes/{}"),
    ("DELETE", "/v1/admin/meeting/config/trackingCodes/{}"),
    ("GET", "/v1/meetings/trackingCodes"),
    ("GET", "/v1/meetingPreferences/sites"),
    ("GET", "/v1/people"),
    ("GET", "/v1/people/me"),
    ("GET", "/v1/people/{}"),
    ("GET", "/_emulator/health"),
    ("GET", "/_emulator/worlds"),
    ("POST", "/_emulator/worlds"),
    ("GET", "/_emulator/worlds/{}"),
    ("DELETE", "/_emulator/worlds/{}"),
    ("POST", "/_emulator/worlds/{}/reset"),
    ("GET", "/_emulator/worlds/{}/state"),
    ("PUT", "/_emulator/worlds/{}/state"),
    ("POST", "/_emulator/reset"),
    ("GET", "/_emulator/state"),
    ("PUT", "/_emulator/state"),
    ("GET", "/_emulator/journal"),
    ("DELETE", "/_emulator/journal"),
    ("GET", "/_emulator/faults"),
    ("POST", "/_emulator/faults"),
    ("DELETE", "/_emulator/faults"),
    ("DELETE", "/_emulator/faults/{}"),
    ("GET", "/_emulator/rate-limit"),
    ("PUT", "/_emulator/rate-limit"),
    ("DELETE", "/_emulator/rate-limit"),
];

/// Where a call goes: a route with its method, or any method on any path.
#[derive(Debug, Clone)]
enum Target {
    Route(Index),
    Any(Method, Index),
}

#[derive(Debug, Clone)]
struct Call {
    target: Target,
    segment: (Vec<u8>, bool),
    query: Vec<(Index, Index, bool)>,
    auth: Auth,
    content_type: Option<Vec<u8>>,
    content_length: Option<u64>,
    email: Option<Vec<u8>>,
    tracking_id: Option<Vec<u8>>,
    fault: Option<&'static str>,
    origin: bool,
    body: BodyChoice,
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        8 => prop::sample::select(vec![
            Method::GET, Method::PUT, Method::POST, Method::DELETE,
        ]),
        2 => prop::sample::select(vec![
            Method::HEAD, Method::OPTIONS, Method::PATCH, Method::TRACE, Method::CONNECT,
        ]),
        1 => "[A-Za-z!#$%&'*+.^_`|~-]{1,12}"
            .prop_filter_map("a method", |m| Method::from_bytes(m.as_bytes()).ok()),
    ]
}

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        1 => Just(Auth::None),
        8 => any::<Index>().prop_map(Auth::Token),
        2 => any::<Index>().prop_map(Auth::WorldToken),
        1 => prop::sample::select(vec![
            b"Bearer".to_vec(), b"Bearer ".to_vec(), b"Basic abc".to_vec(),
            b"bearer  webex-emulator-admin ".to_vec(), b"Bearer nobody".to_vec(),
            b"Bearer \xff\xfe".to_vec(), b"Bearer webex-emulator-admin@world-0".to_vec(),
        ]).prop_map(Auth::Raw),
    ]
}

fn header_bytes(choices: Vec<&'static [u8]>) -> impl Strategy<Value = Option<Vec<u8>>> {
    prop::option::of(prop_oneof![
        4 => prop::sample::select(choices).prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(32u8..=255, 0..20),
    ])
}

/// Fault headers: refused ones, and ones that answer at once (no delay).
const FAULT_HEADERS: &[&str] = &[
    "status=503",
    "status=500",
    "status=429, retry-after=2",
    "status=404",
    "drop",
    "delay=0",
    "delay=1, status=502",
    "explode",
    "status=abc",
    "status=418",
    "",
    "delay=99999999",
    "retry-after=1",
];

fn call() -> impl Strategy<Value = Call> {
    let body = prop_oneof![
        3 => Just(BodyChoice::Empty),
        8 => mutated(3, 1).prop_map(BodyChoice::Mutated),
        2 => special_body().prop_map(BodyChoice::Special),
        1 => prop_oneof![Just(1024 * 1024 + 1), Just(64 * 1024 * 1024 + 1)].prop_map(BodyChoice::OverLimit),
    ];
    let content_type = prop_oneof![
        6 => Just(Some(b"application/json".to_vec())),
        3 => header_bytes(vec![
            b"application/json; charset=utf-8", b"APPLICATION/JSON", b"application/vnd.api+json",
            b"text/plain", b"", b"\xff", b"application/jsonx", b"multipart/form-data",
        ]),
    ];
    (
        (
            prop_oneof![
                4 => any::<Index>().prop_map(Target::Route),
                1 => (method(), any::<Index>()).prop_map(|(m, p)| Target::Any(m, p)),
            ],
            segment(),
        ),
        prop::collection::vec((any::<Index>(), any::<Index>(), any::<bool>()), 0..4),
        auth(),
        content_type,
        prop::option::weighted(
            0.1,
            prop_oneof![Just(0u64), Just(3), Just(1024 * 1024 + 1), Just(u64::MAX)],
        ),
        header_bytes(vec![
            b"john.andersen@example.com",
            b"JOHN.ANDERSEN@EXAMPLE.COM",
            b"nobody@x",
            b"",
        ]),
        header_bytes(vec![b"abc", b"", b"\xff", b"ROUTERGW_x"]),
        prop::option::weighted(0.1, prop::sample::select(FAULT_HEADERS)),
        any::<bool>(),
        body,
    )
        .prop_map(
            |(
                (target, segment),
                query,
                auth,
                content_type,
                content_length,
                email,
                tracking_id,
                fault,
                origin,
                body,
            )| Call {
                target,
                segment,
                query,
                auth,
                content_type,
                content_length,
                email,
                tracking_id,
                fault,
                origin,
                body,
            },
        )
}

#[derive(Debug, Clone)]
struct Session {
    journal: bool,
    any_token: bool,
    calls: Vec<Call>,
}

fn session() -> impl Strategy<Value = Session> {
    (
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.1),
        prop::collection::vec(call(), 1..6),
    )
        .prop_map(|(journal, any_token, calls)| Session {
            journal,
            any_token,
            calls,
        })
}

impl Call {
    fn method(&self) -> Method {
        match &self.target {
            Target::Route(i) => Method::from_bytes(i.get(ROUTES).0.as_bytes()).unwrap(),
            Target::Any(method, _) => method.clone(),
        }
    }

    fn template(&self) -> &'static str {
        match &self.target {
            Target::Route(i) => ROUTES[i.index(ROUTES.len())].1,
            Target::Any(_, i) => PATHS[i.index(PATHS.len())],
        }
    }

    fn uri(&self) -> String {
        let template = self.template();
        let segment = if self.segment.1 {
            String::from_utf8_lossy(&self.segment.0).into_owned()
        } else {
            percent_encode(&self.segment.0)
        };
        let mut uri = template.replace("{}", &segment);
        if !self.query.is_empty() {
            let pairs: Vec<String> = self
                .query
                .iter()
                .map(|(k, v, raw)| {
                    let value = v.get(QUERY_VALUES);
                    let value = if *raw {
                        String::from_utf8_lossy(value).into_owned()
                    } else {
                        percent_encode(value)
                    };
                    format!("{}={value}", k.get(QUERY_KEYS))
                })
                .collect();
            uri.push('?');
            uri.push_str(&pairs.join("&"));
        }
        uri
    }

    fn request(&self, state: &AppState, templates: &[J]) -> Request<Body> {
        let mut builder = Request::builder().method(self.method());
        builder = match self.uri().parse::<axum::http::Uri>() {
            Ok(uri) => builder.uri(uri),
            // Not a URI at all: no client could send it; send the template instead.
            Err(_) => builder.uri(self.template().replace("{}", "x")),
        };
        let header = |b: &[u8]| HeaderValue::from_bytes(b).ok();
        let authorization = match &self.auth {
            Auth::None => None,
            Auth::Token(i) => header(format!("Bearer {}", i.get(TOKENS)).as_bytes()),
            Auth::WorldToken(i) => {
                let ids = state.worlds.ids();
                let world = ids.last().filter(|id| *id != "default");
                world.and_then(|w| header(format!("Bearer {}@{w}", i.get(TOKENS)).as_bytes()))
            }
            Auth::Raw(b) => header(b),
        };
        let headers = [
            ("authorization", authorization),
            (
                "content-type",
                self.content_type.as_deref().and_then(header),
            ),
            (
                "content-length",
                self.content_length
                    .and_then(|n| header(n.to_string().as_bytes())),
            ),
            ("email", self.email.as_deref().and_then(header)),
            ("trackingid", self.tracking_id.as_deref().and_then(header)),
            (
                "x-emulator-fault",
                self.fault.and_then(|f| header(f.as_bytes())),
            ),
            (
                "origin",
                self.origin
                    .then(|| HeaderValue::from_static("http://localhost:3000")),
            ),
        ];
        for (name, value) in headers {
            if let Some(value) = value {
                builder = builder.header(name, value);
            }
        }
        let body = match &self.body {
            BodyChoice::Empty => Vec::new(),
            BodyChoice::Mutated(m) => m.build(templates),
            BodyChoice::Special(b) => b.clone(),
            BodyChoice::OverLimit(n) => vec![b' '; *n],
        };
        builder
            .body(Body::from(body))
            .expect("a request of valid parts")
    }

    /// Whether the request asks for a 5xx itself.
    fn asks_for_5xx(&self) -> bool {
        self.fault
            .and_then(|f| faults::parse_header(f).ok())
            .is_some_and(|a| a.drop || a.status.is_some_and(|s| s >= 500))
    }
}

/// How many answers of each status the HTTP target got, to show what it reached.
static STATUSES: std::sync::Mutex<std::collections::BTreeMap<u16, u64>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

/// Checks one answer: never a 5xx unless asked for, a `TrackingID`, and for an error the
/// Webex error body.
async fn check_response(
    call: &Call,
    response: axum::response::Response,
    faults_active: bool,
) -> Result<(), TestCaseError> {
    let status = response.status();
    *STATUSES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(status.as_u16())
        .or_default() += 1;
    let asked = call.asks_for_5xx() || faults_active;
    prop_assert!(
        !status.is_server_error() || asked,
        "{} for {} {}",
        status,
        call.method(),
        call.uri()
    );
    let headers = response.headers().clone();
    let tracking_id = headers.get("trackingid").map(|v| v.as_bytes().to_vec());
    prop_assert!(tracking_id.is_some(), "no TrackingID on {}", status);
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .map_err(|e| TestCaseError::fail(format!("the body could not be read: {e}")))?;
    let is_json = headers
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if call.method() == Method::HEAD {
        return Ok(());
    }
    if status.is_client_error() || status.is_server_error() {
        prop_assert!(
            is_json,
            "{} without a JSON body for {} {}: {:?} {:?}",
            status,
            call.method(),
            call.uri(),
            headers.get("content-type"),
            String::from_utf8_lossy(&body)
        );
        let parsed: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
            TestCaseError::fail(format!(
                "{status}: the error body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&body)
            ))
        })?;
        let message = parsed.get("message").and_then(|m| m.as_str());
        prop_assert!(
            message.is_some_and(|m| !m.is_empty()),
            "no message: {}",
            parsed
        );
        let errors = parsed.get("errors").and_then(|e| e.as_array());
        prop_assert!(
            errors.is_some_and(|e| !e.is_empty()
                && e.iter()
                    .all(|d| d.get("description").and_then(|d| d.as_str()).is_some())),
            "no errors[].description: {}",
            parsed
        );
        let id = parsed.get("trackingId").and_then(|t| t.as_str());
        prop_assert_eq!(
            id.map(str::as_bytes),
            tracking_id.as_deref(),
            "trackingId differs from the header"
        );
    } else if is_json && !body.is_empty() {
        prop_assert!(
            serde_json::from_slice::<serde_json::Value>(&body).is_ok(),
            "a {} body that is not JSON",
            status
        );
    }
    Ok(())
}

/// Every world's model is whole.
fn worlds_whole(state: &AppState) -> Result<(), TestCaseError> {
    for id in state.worlds.ids() {
        let Some(world) = state.worlds.get(&id) else {
            continue;
        };
        let model = world.snapshot();
        let problems = invariants::problems(&model);
        prop_assert!(
            problems.is_empty(),
            "world '{}' is broken: {:#?}",
            id,
            problems
        );
    }
    Ok(())
}

fn run_session(
    runtime: &tokio::runtime::Runtime,
    templates: &[J],
    built_in: &Model,
    session: &Session,
) -> Result<(), TestCaseError> {
    let options = Options {
        journal_size: if session.journal { 1000 } else { 0 },
        any_token: session.any_token,
        ..Options::default()
    };
    let state = AppState::with_options(built_in.clone(), options);
    let app = webex_emulator::app(state.clone());
    runtime.block_on(async {
        for call in &session.calls {
            // A fuzzed rule may have been accepted by the control plane: its 5xx are asked
            // for; a delay of its would only slow the run down.
            for rule in state.gateway.faults.list() {
                if rule.delay_ms.is_some() {
                    state.gateway.faults.remove(&rule.id);
                }
            }
            let faults_active = !state.gateway.faults.list().is_empty();
            let request = call.request(&state, templates);
            let response =
                tokio::time::timeout(Duration::from_secs(20), app.clone().oneshot(request))
                    .await
                    .map_err(|_| TestCaseError::fail(format!("no answer in 20 s to {call:?}")))?
                    .unwrap_or_else(|never| match never {});
            check_response(call, response, faults_active).await?;
            worlds_whole(&state)?;
        }
        Ok(())
    })
}

#[test]
fn the_http_application_answers_everything() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let templates = body_templates();
    let built_in = seed::load(seed::BUILT_IN.as_bytes()).unwrap();
    fuzz("http", 64, session(), |session| {
        run_session(&runtime, &templates, &built_in, &session)
    });
    let statuses = STATUSES.lock().unwrap_or_else(|e| e.into_inner());
    eprintln!("fuzz http: answers by status {statuses:?}");
}

// ---------------------------------------------------------------------------------------
// Cases the fuzz targets found, kept as plain tests.

/// Sends one request to a fresh application and returns the status, headers and body.
fn send(request: Request<Body>) -> (axum::http::StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let built_in = seed::load(seed::BUILT_IN.as_bytes()).unwrap();
        let app = webex_emulator::app(AppState::new(built_in));
        let response = app
            .oneshot(request)
            .await
            .unwrap_or_else(|never| match never {});
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        (parts.status, parts.headers, body.to_vec())
    })
}

/// The Webex error body of an answer, checked.
fn webex_error(headers: &axum::http::HeaderMap, body: &[u8]) -> serde_json::Value {
    assert_eq!(
        headers.get("content-type").map(HeaderValue::as_bytes),
        Some(&b"application/json;charset=UTF-8"[..]),
        "{}",
        String::from_utf8_lossy(body)
    );
    let error: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert!(error["message"].is_string(), "{error}");
    assert!(error["errors"][0]["description"].is_string(), "{error}");
    assert_eq!(
        error["trackingId"].as_str().map(str::as_bytes),
        headers.get("trackingid").map(HeaderValue::as_bytes)
    );
    error
}

/// CORS answers every OPTIONS request itself; its answers too carry a `TrackingID`.
#[test]
fn options_requests_carry_a_tracking_id() {
    for preflight in [false, true] {
        let mut request = Request::builder()
            .method(Method::OPTIONS)
            .uri("/v1/admin/meeting/userconfig/trackingCodes");
        if preflight {
            request = request
                .header("origin", "http://localhost:5173")
                .header("access-control-request-method", "PUT");
        }
        let (status, headers, _) = send(request.body(Body::empty()).unwrap());
        assert!(status.is_success(), "{status}");
        assert!(headers.contains_key("trackingid"), "{headers:?}");
    }
}

/// A path parameter that is not UTF-8 once decoded is refused by the extractor, with the
/// Webex error body rather than the framework's text.
#[test]
fn a_path_parameter_that_is_not_utf8_gets_the_webex_error_body() {
    for (method, path) in [
        (Method::GET, "/_emulator/worlds/%80"),
        (Method::DELETE, "/_emulator/worlds/%FF"),
        (Method::POST, "/_emulator/worlds/%80/reset"),
        (Method::GET, "/_emulator/worlds/%C3%28/state"),
        (Method::DELETE, "/_emulator/faults/%80"),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let (status, headers, body) = send(request);
        assert!(status.is_client_error(), "{path}: {status}");
        webex_error(&headers, &body);
    }
}

/// Seed code ids up to the largest `u64`: the seed is refused or gives a whole model
/// whose next id is above every id (no overflow, no id handed out twice).
#[test]
fn seed_code_ids_at_the_top_of_u64() {
    for id in [
        "18446744073709551615",
        "18446744073709551614",
        "9007199254740993",
    ] {
        let mut seed: serde_json::Value = serde_json::from_str(seed::BUILT_IN).unwrap();
        seed["trackingCodes"][0]["id"] = id.into();
        if let Ok(model) = seed::load(seed.to_string().as_bytes()) {
            invariants::assert_whole(&model);
        }
    }
}
