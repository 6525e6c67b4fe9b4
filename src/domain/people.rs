//! People: Get My Own Details, Get Person Details and List People, within the caller's org.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use serde::Serialize;

use super::access::Caller;
use super::lookup;
use super::model::{Model, Person};
use crate::error::{Error, Result};

/// Webex answers at most this many people per page when `max` is left out.
pub const DEFAULT_MAX: usize = 100;
/// The largest `max` accepted.
pub const LARGEST_MAX: usize = 1000;
/// `id` takes at most this many ids, as documented.
pub const MAX_IDS: usize = 85;

/// A person as the People API answers, with the fields the emulator knows; unknown ones are
/// left out rather than sent as `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonView {
    pub id: String,
    pub emails: Vec<String>,
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    pub org_id: String,
    /// Role ids (`ciscospark://us/ROLE/<name>`, base64), shown to admins only, as Webex does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// `<siteUrl>#host` for each site the person may use.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub site_urls: Vec<String>,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// One page of List People.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonPage {
    pub items: Vec<PersonView>,
    /// Present when the request listed ids: those not found in the caller's org.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_found_ids: Option<Vec<String>>,
    /// Where the next page starts, when there is one; the HTTP layer turns it into `Link`.
    #[serde(skip)]
    pub next_offset: Option<usize>,
}

/// Filters of List People.
#[derive(Debug, Clone, Default)]
pub struct PeopleQuery {
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub ids: Option<String>,
    pub max: Option<String>,
    pub offset: usize,
}

pub fn view(model: &Model, caller: &Caller, person: &Person) -> PersonView {
    PersonView {
        id: person.id.clone(),
        emails: person.emails.clone(),
        display_name: person.display_name.clone(),
        first_name: person.first_name.clone(),
        last_name: person.last_name.clone(),
        org_id: person.org_id.clone(),
        roles: caller.is_admin().then(|| {
            person
                .roles
                .iter()
                .map(|r| STANDARD_NO_PAD.encode(format!("ciscospark://us/ROLE/{r}")))
                .collect()
        }),
        created: person.created.clone(),
        last_modified: person.created.clone(),
        timezone: person.timezone.clone(),
        site_urls: person
            .sites
            .iter()
            .filter_map(|key| model.sites.get(key))
            .map(|s| format!("{}#host", s.url))
            .collect(),
        kind: "person",
    }
}

/// Get My Own Details.
pub fn me(model: &Model, caller: &Caller) -> Result<PersonView> {
    let person = lookup::person_by_id(model, caller, &caller.person_id)?;
    Ok(view(model, caller, person))
}

/// Get Person Details.
pub fn get(model: &Model, caller: &Caller, id: &str) -> Result<PersonView> {
    let person = lookup::person_by_id(model, caller, id)?;
    Ok(view(model, caller, person))
}

/// List People: people of the caller's org matching every filter given, in seed order,
/// one page of `max` from `offset`.
pub fn list(model: &Model, caller: &Caller, query: &PeopleQuery) -> Result<PersonPage> {
    let email = lookup::given(&query.email).map(|e| e.trim().to_lowercase());
    let name = lookup::given(&query.display_name).map(str::to_lowercase);
    let ids: Option<Vec<&str>> = lookup::given(&query.ids).map(|ids| {
        ids.split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .collect()
    });
    if email.is_none() && name.is_none() && ids.is_none() && !caller.is_admin() {
        return Err(Error::bad_request(
            "Email, displayName, or id list should be specified.",
        ));
    }
    if ids.as_ref().is_some_and(|ids| ids.len() > MAX_IDS) {
        return Err(Error::bad_request(format!(
            "At most {MAX_IDS} ids can be listed in 'id'."
        )));
    }
    let max = parse_max(query.max.as_deref())?;

    let matching: Vec<&Person> = model
        .people
        .iter()
        .filter(|p| p.org_id == caller.org_id)
        .filter(|p| {
            email
                .as_ref()
                .is_none_or(|e| p.emails.iter().any(|m| m.to_lowercase() == *e))
        })
        .filter(|p| {
            name.as_ref()
                .is_none_or(|n| p.display_name.to_lowercase().starts_with(n.as_str()))
        })
        .filter(|p| ids.as_ref().is_none_or(|ids| ids.contains(&p.id.as_str())))
        .collect();
    let not_found_ids = ids.as_ref().map(|ids| {
        ids.iter()
            .filter(|id| !matching.iter().any(|p| p.id == **id))
            .map(|id| id.to_string())
            .collect()
    });
    // Saturating: the offset comes from a client's cursor and may be anything.
    let end = query.offset.saturating_add(max).min(matching.len());
    let items = matching
        .get(query.offset.min(end)..end)
        .unwrap_or_default()
        .iter()
        .map(|p| view(model, caller, p))
        .collect();
    Ok(PersonPage {
        items,
        not_found_ids,
        next_offset: (end < matching.len()).then_some(end),
    })
}

fn parse_max(max: Option<&str>) -> Result<usize> {
    match max.map(str::trim).filter(|m| !m.is_empty()) {
        None => Ok(DEFAULT_MAX),
        Some(m) => match m.parse::<usize>() {
            Ok(n) if (1..=LARGEST_MAX).contains(&n) => Ok(n),
            _ => Err(Error::bad_request(format!(
                "'max' must be a whole number from 1 to {LARGEST_MAX}, not '{m}'."
            ))),
        },
    }
}
