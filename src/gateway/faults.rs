//! Fault injection: rules that make matching `/v1` requests fail on purpose (an error
//! status, a delay, a dropped connection), so clients' retry and error paths can be tested.
//!
//! The decision is taken under the lock and acted on after it is released (a delay never
//! holds the lock). Rules fire a counted number of times, or with a probability drawn from a
//! seeded generator, so a test run can be repeated exactly.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::journal::glob_match;

/// The statuses Webex documents; a fault may answer any of them.
pub const DOCUMENTED_STATUSES: &[u16] = &[
    400, 401, 403, 404, 405, 409, 410, 413, 415, 423, 428, 429, 500, 502, 503, 504,
];
/// Statuses for which Webex sends `Retry-After`.
pub const RETRY_AFTER_STATUSES: &[u16] = &[423, 429, 503];
/// Longest delay a fault may add.
pub const MAX_DELAY_MS: u64 = 60_000;

/// A rule as posted to the control plane.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleInput {
    pub method: Option<String>,
    pub path: Option<String>,
    pub world: Option<String>,
    pub status: Option<u16>,
    pub retry_after: Option<u64>,
    pub delay_ms: Option<u64>,
    #[serde(default)]
    pub drop: bool,
    pub times: Option<u64>,
    pub probability: Option<f64>,
    pub seed: Option<u64>,
}

/// What a rule does to a request it fires on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Action {
    pub status: Option<u16>,
    pub retry_after: Option<u64>,
    pub delay: Option<Duration>,
    pub drop: bool,
}

/// A rule as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleView {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub world: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    pub drop: bool,
    /// How many more times it fires; absent when only a probability bounds it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    pub fired: u64,
}

#[derive(Debug)]
struct Rule {
    view: RuleView,
    rng: Option<fastrand::Rng>,
}

impl Rule {
    fn matches(&self, method: &str, path: &str, world: &str) -> bool {
        let v = &self.view;
        v.remaining != Some(0)
            && v.method
                .as_ref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && glob_match(&v.path, path)
            && v.world.as_ref().is_none_or(|w| w == world)
    }

    /// Whether it fires this time; counts and draws only for requests it matches.
    fn fires(&mut self) -> bool {
        let drawn = match (&mut self.rng, self.view.probability) {
            (Some(rng), Some(p)) => rng.f64() < p,
            _ => true,
        };
        if drawn {
            if let Some(n) = self.view.remaining.as_mut() {
                *n = n.saturating_sub(1);
            }
            self.view.fired += 1;
        }
        drawn
    }

    fn action(&self) -> Action {
        let v = &self.view;
        Action {
            status: v.status,
            retry_after: v.retry_after,
            delay: v.delay_ms.map(Duration::from_millis),
            drop: v.drop,
        }
    }
}

/// The fault rules of the server, in the order they were added (the first that fires wins).
#[derive(Debug, Default)]
pub struct Faults {
    next_id: AtomicU64,
    rules: Mutex<Vec<Rule>>,
}

impl Faults {
    /// Checks and adds a rule; every problem is described.
    pub fn add(&self, input: RuleInput) -> Result<RuleView, Vec<String>> {
        let action = check_action(input.status, input.retry_after, input.delay_ms, input.drop)?;
        let mut problems = Vec::new();
        let path = input.path.unwrap_or_else(|| "*".to_owned());
        if !path.starts_with('/') && path != "*" {
            problems.push(format!(
                "'path' must start with '/' (or be '*'), not '{path}'"
            ));
        }
        if input.times == Some(0) {
            problems.push("'times' must be at least 1".to_owned());
        }
        if let Some(p) = input.probability {
            if !(p > 0.0 && p <= 1.0) {
                problems.push(format!(
                    "'probability' must be above 0 and at most 1, not {p}"
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        // A rule bounded by neither fires once: an endless 429 would make clients that
        // retry forever hang.
        let remaining = match (input.times, input.probability) {
            (None, None) => Some(1),
            (times, _) => times,
        };
        let seed = input
            .probability
            .map(|_| input.seed.unwrap_or_else(|| fastrand::u64(..)));
        let id = format!("fault-{}", self.next_id.fetch_add(1, Ordering::Relaxed) + 1);
        let view = RuleView {
            id,
            method: input.method.map(|m| m.to_ascii_uppercase()),
            path,
            world: input.world,
            status: action.status,
            retry_after: action.retry_after,
            delay_ms: input.delay_ms,
            drop: action.drop,
            remaining,
            probability: input.probability,
            seed,
            fired: 0,
        };
        let rng = seed.map(fastrand::Rng::with_seed);
        self.lock().push(Rule {
            view: view.clone(),
            rng,
        });
        Ok(view)
    }

    /// The action of the first rule that matches and fires, if any.
    pub fn decide(&self, method: &str, path: &str, world: &str) -> Option<Action> {
        let mut rules = self.lock();
        rules
            .iter_mut()
            .filter(|r| r.matches(method, path, world))
            .find_map(|r| r.fires().then(|| r.action()))
    }

    pub fn list(&self) -> Vec<RuleView> {
        self.lock().iter().map(|r| r.view.clone()).collect()
    }

    pub fn remove(&self, id: &str) -> bool {
        let mut rules = self.lock();
        let before = rules.len();
        rules.retain(|r| r.view.id != id);
        rules.len() != before
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Rule>> {
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Checks what a fault does: an error status from the documented ones (with `Retry-After`
/// only where Webex sends it), a delay of at most a minute, or a dropped connection.
pub fn check_action(
    status: Option<u16>,
    retry_after: Option<u64>,
    delay_ms: Option<u64>,
    drop: bool,
) -> Result<Action, Vec<String>> {
    let mut problems = Vec::new();
    if status.is_none() && delay_ms.is_none() && !drop {
        problems.push("A fault needs 'status', 'delayMs' or 'drop'".to_owned());
    }
    if let Some(s) = status {
        if !DOCUMENTED_STATUSES.contains(&s) {
            problems.push(format!(
                "'status' must be one of the documented statuses {DOCUMENTED_STATUSES:?}, not {s}"
            ));
        }
        if drop {
            problems.push(
                "'status' and 'drop' cannot be combined: a dropped connection answers nothing"
                    .to_owned(),
            );
        }
    }
    if retry_after.is_some() && !status.is_some_and(|s| RETRY_AFTER_STATUSES.contains(&s)) {
        problems.push(format!(
            "'retryAfter' goes with a status of {RETRY_AFTER_STATUSES:?}"
        ));
    }
    if delay_ms.is_some_and(|d| d > MAX_DELAY_MS) {
        problems.push(format!("'delayMs' must be at most {MAX_DELAY_MS}"));
    }
    if problems.is_empty() {
        Ok(Action {
            status,
            retry_after,
            delay: delay_ms.map(Duration::from_millis),
            drop,
        })
    } else {
        Err(problems)
    }
}

/// The header a browser may send to fault one request: `X-Emulator-Fault: status=503,
/// retry-after=2`, `delay=300`, `drop`, or a combination such as `delay=200, status=500`.
pub const FAULT_HEADER: &str = "x-emulator-fault";

/// Reads the fault header.
pub fn parse_header(value: &str) -> Result<Action, Vec<String>> {
    let (mut status, mut retry_after, mut delay_ms, mut drop) = (None, None, None, false);
    for part in value
        .split([',', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (key, val) = part
            .split_once('=')
            .map_or((part, None), |(k, v)| (k.trim(), Some(v.trim())));
        let number = |v: Option<&str>| v.and_then(|v| v.parse::<u64>().ok());
        match (key.to_ascii_lowercase().as_str(), val) {
            ("drop", None) => drop = true,
            ("status", v) => status = number(v).and_then(|n| u16::try_from(n).ok()).or(Some(0)),
            ("retry-after" | "retryafter", v) => retry_after = number(v).or(Some(u64::MAX)),
            ("delay" | "delayms", v) => delay_ms = number(v).or(Some(u64::MAX)),
            _ => {
                return Err(vec![format!(
                    "'{FAULT_HEADER}' takes 'status=<code>', 'retry-after=<seconds>', 'delay=<ms>' or 'drop', not '{part}'"
                )])
            }
        }
    }
    check_action(status, retry_after, delay_ms, drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(
        path: &str,
        times: Option<u64>,
        probability: Option<f64>,
        seed: Option<u64>,
    ) -> RuleInput {
        RuleInput {
            path: Some(path.into()),
            status: Some(503),
            times,
            probability,
            seed,
            ..RuleInput::default()
        }
    }

    #[test]
    fn a_counted_rule_fires_exactly_n_times() {
        let faults = Faults::default();
        faults
            .add(rule("/v1/people*", Some(3), None, None))
            .unwrap();
        let fired = (0..10)
            .filter(|_| faults.decide("GET", "/v1/people/me", "default").is_some())
            .count();
        assert_eq!(fired, 3);
        assert!(faults.decide("GET", "/v1/other", "default").is_none());
    }

    #[test]
    fn an_unbounded_rule_fires_once() {
        let faults = Faults::default();
        faults.add(rule("*", None, None, None)).unwrap();
        assert!(faults.decide("GET", "/v1/x", "default").is_some());
        assert!(faults.decide("GET", "/v1/x", "default").is_none());
    }

    #[test]
    fn a_seeded_probability_repeats() {
        let draws = |seed| {
            let faults = Faults::default();
            faults.add(rule("*", None, Some(0.5), Some(seed))).unwrap();
            (0..64)
                .map(|_| faults.decide("GET", "/v1/x", "w").is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        let fired = draws(7).iter().filter(|f| **f).count();
        assert!((10..54).contains(&fired), "{fired} of 64");
    }

    #[test]
    fn rules_are_checked() {
        let faults = Faults::default();
        assert!(faults.add(RuleInput::default()).is_err());
        assert!(faults
            .add(RuleInput {
                status: Some(418),
                ..RuleInput::default()
            })
            .is_err());
        assert!(faults
            .add(RuleInput {
                status: Some(500),
                retry_after: Some(1),
                ..RuleInput::default()
            })
            .is_err());
        assert!(faults
            .add(RuleInput {
                status: Some(429),
                retry_after: Some(1),
                ..RuleInput::default()
            })
            .is_ok());
    }

    #[test]
    fn the_header_is_read() {
        assert_eq!(
            parse_header("status=429, retry-after=2").unwrap(),
            Action {
                status: Some(429),
                retry_after: Some(2),
                delay: None,
                drop: false
            }
        );
        assert!(parse_header("drop").unwrap().drop);
        assert_eq!(
            parse_header("delay=250").unwrap().delay,
            Some(Duration::from_millis(250))
        );
        assert!(parse_header("status=abc").is_err());
        assert!(parse_header("explode").is_err());
        assert!(parse_header("").is_err());
    }
}
