//! The request journal: the recent requests to `/v1`, for tests to check what their code
//! sent and got. A ring of fixed capacity, so a long run never grows without bound.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use std::time::SystemTime;

use axum::body::Bytes;
use axum::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use axum::http::{HeaderMap, HeaderName};

use super::faults::FAULT_HEADER;
use serde::{Serialize, Serializer};

/// One request and its answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Increases by one per request, so a test can ask for what came after a point.
    pub seq: u64,
    /// RFC 3339, UTC, milliseconds (formatted when listed, not on the request's path).
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String)]
    pub time: SystemTime,
    pub world: String,
    pub method: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The headers worth checking; `Authorization` only as its scheme and the token's start.
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub request_headers: Headers,
    /// The body: JSON as JSON, anything else as text; absent when empty.
    #[serde(
        serialize_with = "body_as_json",
        skip_serializing_if = "Bytes::is_empty"
    )]
    #[schema(value_type = Option<serde_json::Value>)]
    pub request_body: Bytes,
    /// Set when a body was longer than [`BODY_KEPT`] bytes and only its start is kept
    /// (shown as text, since the start of JSON is not JSON).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// The status sent, or 0 when a fault dropped the connection.
    pub status: u16,
    #[serde(
        serialize_with = "body_as_json",
        skip_serializing_if = "Bytes::is_empty"
    )]
    #[schema(value_type = Option<serde_json::Value>)]
    pub response_body: Bytes,
    pub duration_ms: f64,
    pub tracking_id: String,
    /// Set when a fault rule or the rate limit answered instead of the API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub injected: Option<String>,
}

fn rfc3339<S: Serializer>(time: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&humantime::format_rfc3339_millis(*time))
}

/// Headers kept in the journal, in the order they are listed.
const JOURNALED: usize = 7;
static JOURNALED_HEADERS: [HeaderName; JOURNALED] = [
    ACCEPT,
    AUTHORIZATION,
    CONTENT_TYPE,
    HeaderName::from_static("email"),
    HeaderName::from_static("trackingid"),
    USER_AGENT,
    HeaderName::from_static(FAULT_HEADER),
];

/// A request's journaled headers, as text.
///
/// Copied, and into one string: a header value is a slice of its connection's read buffer,
/// which a kept value would hold for as long as the entry lives; and each allocation of an
/// entry is one more to free, cold, a thousand requests later.
#[derive(Debug, Clone, Default)]
pub struct Headers {
    values: String,
    /// Where each of [`JOURNALED_HEADERS`] ends in `values`, if the request had it.
    ends: [Option<usize>; JOURNALED],
}

impl Headers {
    pub fn of(headers: &HeaderMap) -> Self {
        // One pass over the request's few headers rather than a lookup per kept name; the
        // first value of a repeated header, as `HeaderMap::get` gives.
        let mut found: [Option<&[u8]>; JOURNALED] = [None; JOURNALED];
        for (name, value) in headers {
            if let Some(i) = JOURNALED_HEADERS.iter().position(|n| n == name) {
                found[i].get_or_insert(value.as_bytes());
            }
        }
        let length = found.iter().flatten().map(|v| v.len()).sum();
        let mut kept = Headers {
            values: String::with_capacity(length),
            ends: [None; JOURNALED],
        };
        for (i, value) in found.into_iter().enumerate() {
            let Some(value) = value else {
                continue;
            };
            let value = String::from_utf8_lossy(value);
            if JOURNALED_HEADERS[i] == AUTHORIZATION {
                mask_into(&mut kept.values, &value);
            } else {
                kept.values.push_str(&value);
            }
            kept.ends[i] = Some(kept.values.len());
        }
        kept
    }

    fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let mut start = 0;
        JOURNALED_HEADERS
            .iter()
            .zip(self.ends)
            .filter_map(move |(name, end)| {
                let end = end?;
                let value = self.values.get(start..end).unwrap_or_default();
                start = end;
                Some((name.as_str(), value))
            })
    }
}

impl Serialize for Headers {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

/// `Bearer webex-…` : the scheme and the token's first characters, never the whole token.
fn mask_into(out: &mut String, authorization: &str) {
    let (scheme, token) = authorization.split_once(' ').unwrap_or(("", authorization));
    if !scheme.is_empty() {
        out.push_str(scheme);
        out.push(' ');
    }
    let token = token.trim();
    let start = token.char_indices().nth(6).map_or(token.len(), |(i, _)| i);
    out.push_str(&token[..start]);
    out.push('…');
}

/// A JSON body is shown as JSON, anything else as text.
fn body_as_json<S: Serializer>(body: &Bytes, serializer: S) -> Result<S::Ok, S::Error> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => value.serialize(serializer),
        Err(_) => String::from_utf8_lossy(body).serialize(serializer),
    }
}

/// How much of each body the journal keeps: enough for any real request of this API, and
/// a bound on memory (the journal holds a thousand entries by default) whatever clients send.
pub const BODY_KEPT: usize = 16 * 1024;

/// The part of a body the journal keeps, copied; marks `truncated` when it is cut.
///
/// Always a copy of just those bytes: a request's body is a slice of its connection's read
/// buffer, and an answer's body sits in a buffer with room to spare. Keeping either alive
/// for a thousand entries held megabytes, and made the server allocate a new read buffer
/// for every request, since the old one was still in use.
pub fn kept(body: &[u8], truncated: &mut bool) -> Bytes {
    if body.len() > BODY_KEPT {
        *truncated = true;
    }
    Bytes::copy_from_slice(&body[..body.len().min(BODY_KEPT)])
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub method: Option<String>,
    /// Exact, or with `*` standing for any run of characters.
    pub path: Option<String>,
    pub status: Option<u16>,
    pub world: Option<String>,
    /// Only entries with a larger `seq`.
    pub after: Option<u64>,
    /// At most this many, the most recent.
    pub limit: Option<usize>,
}

#[derive(Debug)]
pub struct Journal {
    capacity: usize,
    next_seq: AtomicU64,
    entries: Mutex<VecDeque<Entry>>,
}

impl Journal {
    /// A journal keeping the last `capacity` requests; 0 turns it off.
    pub fn new(capacity: usize) -> Self {
        Journal {
            capacity,
            next_seq: AtomicU64::new(1),
            entries: Mutex::new(VecDeque::with_capacity(capacity.min(4096))),
        }
    }

    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::Relaxed)
    }

    pub fn record(&self, entry: Entry) {
        if !self.enabled() {
            return;
        }
        let mut entries = self.lock();
        let oldest = if entries.len() == self.capacity {
            entries.pop_front()
        } else {
            None
        };
        entries.push_back(entry);
        drop(entries);
        // Freed after the lock is let go, so other requests do not wait for it.
        drop(oldest);
    }

    /// Matching entries, oldest first.
    pub fn list(&self, filter: &Filter) -> Vec<Entry> {
        let entries = self.lock();
        let mut found: Vec<Entry> = entries
            .iter()
            .filter(|e| filter.after.is_none_or(|after| e.seq > after))
            .filter(|e| {
                filter
                    .method
                    .as_ref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(&e.method))
            })
            .filter(|e| filter.path.as_ref().is_none_or(|p| glob_match(p, &e.path)))
            .filter(|e| filter.status.is_none_or(|s| s == e.status))
            .filter(|e| filter.world.as_ref().is_none_or(|w| *w == e.world))
            .cloned()
            .collect();
        if let Some(limit) = filter.limit {
            let skip = found.len().saturating_sub(limit);
            found.drain(..skip);
        }
        found
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Matches `text` against `pattern`, where `*` stands for any run of characters.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return true;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn authorization_is_masked() {
        let mask = |value: &str| {
            let mut out = String::new();
            mask_into(&mut out, value);
            out
        };
        assert_eq!(mask("Bearer webex-emulator-admin"), "Bearer webex-…");
        assert_eq!(mask("abc"), "abc…");
    }

    #[test]
    fn headers_are_kept_as_text_in_list_order() {
        let mut headers = HeaderMap::new();
        headers.insert(USER_AGENT, HeaderValue::from_static("tests"));
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_static("Bearer secret-token"),
        );
        headers.insert("x-other", HeaderValue::from_static("dropped"));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(""));
        let kept = Headers::of(&headers);
        let kept: Vec<_> = kept.iter().collect();
        assert_eq!(
            kept,
            [
                ("authorization", "Bearer secret…"),
                ("content-type", ""),
                ("user-agent", "tests")
            ]
        );
    }

    fn entry(seq: u64, method: &str, path: &str, status: u16) -> Entry {
        Entry {
            seq,
            time: SystemTime::now(),
            world: "default".into(),
            method: method.into(),
            path: path.into(),
            query: None,
            request_headers: Headers::default(),
            request_body: Bytes::new(),
            truncated: false,
            status,
            response_body: Bytes::new(),
            duration_ms: 0.0,
            tracking_id: String::new(),
            injected: None,
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("/v1/people", "/v1/people"));
        assert!(!glob_match("/v1/people", "/v1/people/me"));
        assert!(glob_match("/v1/people*", "/v1/people/me"));
        assert!(glob_match(
            "/v1/*/trackingCodes",
            "/v1/admin/meeting/config/trackingCodes"
        ));
        assert!(!glob_match(
            "/v1/*/trackingCodes",
            "/v1/admin/trackingCodes/7"
        ));
        assert!(glob_match("*", "/anything"));
        assert!(glob_match("/a*b*c", "/aXbYc"));
        assert!(!glob_match("/a*bc", "/abc/x"));
    }

    #[test]
    fn the_journal_keeps_the_most_recent_and_filters() {
        let journal = Journal::new(3);
        for seq in 1..=5 {
            let status = if seq % 2 == 0 { 400 } else { 200 };
            journal.record(entry(seq, "PUT", "/v1/x", status));
        }
        let all = journal.list(&Filter::default());
        assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4, 5]);
        let bad = journal.list(&Filter {
            status: Some(400),
            ..Filter::default()
        });
        assert_eq!(bad.len(), 1);
        let last = journal.list(&Filter {
            limit: Some(1),
            ..Filter::default()
        });
        assert_eq!(last[0].seq, 5);
        journal.clear();
        assert!(journal.list(&Filter::default()).is_empty());
    }

    #[test]
    fn long_bodies_keep_only_their_start() {
        let mut truncated = false;
        let short = kept(b"{}", &mut truncated);
        assert_eq!((short.len(), truncated), (2, false));
        let long = kept(&vec![b'a'; BODY_KEPT + 1], &mut truncated);
        assert_eq!((long.len(), truncated), (BODY_KEPT, true));
    }

    #[test]
    fn a_journal_of_capacity_zero_keeps_nothing() {
        let journal = Journal::new(0);
        journal.record(entry(1, "GET", "/v1/x", 200));
        assert!(journal.list(&Filter::default()).is_empty());
    }
}
