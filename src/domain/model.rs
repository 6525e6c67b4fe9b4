//! The state of one world: orgs, sites, people, tokens, site-level tracking codes and the
//! users' values for them.
//!
//! Plain data with the indexes the rules need. It is built only from a validated seed
//! (`seed.rs`) and changed only by the rule functions, so its invariants hold between any
//! two requests: every reference resolves, ids and names are unique, every user value names
//! an existing code of its site and, for select codes, one of its options.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The maps of the model hash short keys of their own making (ids, emails, site URLs):
/// the fast hasher the Rust compiler uses fits better than the default, built to resist
/// hostile keys, which costs several percent of every request here.
pub type HashMap<K, V> = rustc_hash::FxHashMap<K, V>;

use serde::{Deserialize, Serialize};

/// A Webex organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub id: String,
    pub name: String,
}

/// Who manages a Webex site; `required` host profile codes exist only on Site Admin sites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Management {
    ControlHub,
    SiteAdmin,
}

/// Where a site stands in the one-way switch to tracking codes mapped in Control Hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Mapping {
    None,
    InProgress,
    Completed,
}

/// A Webex Meetings site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// As written in the seed; lookups compare it case-insensitively.
    pub url: String,
    pub org_id: String,
    pub management: Management,
    pub mapping: Mapping,
}

/// A person of an org.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: String,
    pub org_id: String,
    /// Never empty; the first is the primary email.
    pub emails: Vec<String>,
    pub display_name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Shared with every caller resolved from this person's tokens.
    pub roles: Arc<[String]>,
    /// Keys (see [`site_key`]) of the sites the person may use, in seed order.
    pub sites: Vec<String>,
    /// Key of the preferred site; one of `sites` when set.
    pub preferred_site: Option<String>,
    pub created: Option<String>,
    pub timezone: Option<String>,
}

impl Person {
    pub fn primary_email(&self) -> &str {
        self.emails.first().map(String::as_str).unwrap_or_default()
    }

    pub fn can_use_site(&self, key: &str) -> bool {
        self.sites.iter().any(|s| s == key)
    }
}

/// What a bearer token stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub person_id: String,
    /// Shared with every caller resolved from the token.
    pub scopes: Arc<BTreeSet<String>>,
    pub description: Option<String>,
}

/// How a host provides a code's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum InputMode {
    Text,
    Select,
    EditableSelect,
    HostProfileSelect,
}

impl InputMode {
    /// Modes whose user values must be one of the site-level options.
    pub fn restricts_values(self) -> bool {
        matches!(self, InputMode::Select | InputMode::HostProfileSelect)
    }
}

/// How a code is used on the host profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum HostProfileCode {
    Optional,
    Required,
    AdminSet,
    NotUsed,
}

/// The services of `scheduleStartCodes`, in the order the emulator lists them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum Service {
    All,
    MeetingCenter,
    EventCenter,
    TrainingCenter,
    SupportCenter,
}

impl Service {
    pub const EVERY: [Service; 5] = [
        Service::All,
        Service::MeetingCenter,
        Service::EventCenter,
        Service::TrainingCenter,
        Service::SupportCenter,
    ];
}

/// How a code is used on the scheduler and start pages of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum ScheduleType {
    Optional,
    Required,
    AdminSet,
    NotUsed,
    NotApplicable,
}

/// One site-level option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CodeOption {
    pub value: String,
    pub default_value: bool,
}

/// One entry of `scheduleStartCodes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScheduleStartCode {
    pub service: Service,
    #[serde(rename = "type")]
    pub kind: ScheduleType,
}

/// A site-level tracking code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingCode {
    /// Small integer, unique per site; rendered as a JSON string.
    pub id: u64,
    pub name: String,
    pub input_mode: InputMode,
    pub host_profile_code: HostProfileCode,
    pub options: Vec<CodeOption>,
    /// Always the completed list: all five services, in [`Service::EVERY`] order.
    pub schedule_start_codes: Vec<ScheduleStartCode>,
}

impl TrackingCode {
    pub fn allows_value(&self, value: &str) -> bool {
        !self.input_mode.restricts_values() || self.options.iter().any(|o| o.value == value)
    }
}

/// The tracking codes of one site, with the counter that hands out their ids and an index
/// of their names. Read `by_id` freely; change codes only through [`SiteCodes::insert`] and
/// [`SiteCodes::remove`], which keep the name index right.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteCodes {
    pub next_id: u64,
    pub by_id: BTreeMap<u64, TrackingCode>,
    /// Lowercased name -> id: a request names codes, and a site may have thousands.
    by_name: HashMap<String, u64>,
}

impl SiteCodes {
    /// No codes yet; the first gets id 1.
    pub fn new() -> Self {
        SiteCodes {
            next_id: 1,
            ..SiteCodes::default()
        }
    }

    /// Names are unique per site regardless of case, so lookups ignore case.
    pub fn find_by_name(&self, name: &str) -> Option<&TrackingCode> {
        self.by_name
            .get(&name_key(name))
            .and_then(|id| self.by_id.get(id))
    }

    /// Adds a code, or replaces the one with its id.
    pub fn insert(&mut self, code: TrackingCode) {
        if let Some(old) = self.by_id.get(&code.id) {
            self.by_name.remove(&name_key(&old.name));
        }
        self.by_name.insert(name_key(&code.name), code.id);
        self.by_id.insert(code.id, code);
    }

    pub fn remove(&mut self, id: u64) -> Option<TrackingCode> {
        let code = self.by_id.remove(&id)?;
        self.by_name.remove(&name_key(&code.name));
        Some(code)
    }
}

/// A name as the rules compare it (and the index keeps it): lowercase, character by
/// character.
pub fn name_key(name: &str) -> String {
    // ASCII lowercases the same either way, and most names are ASCII.
    if name.is_ascii() {
        return name.to_ascii_lowercase();
    }
    name.chars().flat_map(char::to_lowercase).collect()
}

/// The key under which a site is stored: its URL, lowercased, since host names ignore case.
pub fn site_key(url: &str) -> String {
    url.trim().to_ascii_lowercase()
}

/// Everything one world holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Model {
    /// Seed order is kept so that exports and listings are stable.
    pub orgs: Vec<Org>,
    pub sites: BTreeMap<String, Site>,
    pub site_order: Vec<String>,
    pub people: Vec<Person>,
    pub person_index: HashMap<String, usize>,
    /// Lowercased email -> index in `people`.
    pub email_index: HashMap<String, usize>,
    pub tokens: HashMap<String, Token>,
    /// Seed order of the tokens, for exports and for choosing the default admin token.
    pub token_order: Vec<String>,
    /// Site key -> that site's codes.
    pub codes: HashMap<String, SiteCodes>,
    /// (site key, person id) -> code id -> value.
    pub user_values: HashMap<(String, String), BTreeMap<u64, String>>,
}

impl Model {
    pub fn site(&self, url: &str) -> Option<&Site> {
        self.sites.get(&site_key(url))
    }

    pub fn person(&self, id: &str) -> Option<&Person> {
        self.person_index.get(id).map(|&i| &self.people[i])
    }

    pub fn person_by_email(&self, email: &str) -> Option<&Person> {
        self.email_index
            .get(&email.trim().to_lowercase())
            .map(|&i| &self.people[i])
    }

    pub fn site_codes(&self, key: &str) -> Option<&SiteCodes> {
        self.codes.get(key)
    }

    pub fn user_values(&self, site_key: &str, person_id: &str) -> Option<&BTreeMap<u64, String>> {
        self.user_values
            .get(&(site_key.to_owned(), person_id.to_owned()))
    }
}
