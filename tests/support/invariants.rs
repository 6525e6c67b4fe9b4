//! The invariants every model must keep between any two requests, shared by the property
//! tests (`tests/properties.rs`) and the fuzz tests (`tests/fuzz.rs`).
//!
//! [`problems`] lists every broken invariant, so a failing case says all that is wrong at
//! once; an empty list means the model is whole.

#![allow(dead_code)] // Each test binary uses part of it.

use std::collections::{BTreeSet, HashSet};

use webex_emulator::domain::code_definition::{self, Definition};
use webex_emulator::domain::model::{site_key, Model, Service};
use webex_emulator::domain::seed;
use webex_emulator::domain::text;

/// The key under which two names are the same regardless of case: the one
/// `model::name_key` folds (each character lowercased on its own).
pub fn fold(name: &str) -> String {
    name.chars().flat_map(char::to_lowercase).collect()
}

/// Every broken invariant of `model`, described; empty when it is whole.
pub fn problems(model: &Model) -> Vec<String> {
    let mut out = Vec::new();
    check_indexes(model, &mut out);
    check_codes(model, &mut out);
    check_user_values(model, &mut out);
    check_round_trip(model, &mut out);
    out
}

/// Panics with every problem when the model is not whole (for use outside proptest).
pub fn assert_whole(model: &Model) {
    let found = problems(model);
    assert!(found.is_empty(), "broken invariants: {found:#?}");
}

/// The lookups agree with the data they index.
fn check_indexes(m: &Model, out: &mut Vec<String>) {
    for (key, site) in &m.sites {
        if *key != site_key(&site.url) {
            out.push(format!("site '{}' is stored under '{key}'", site.url));
        }
        if !m.orgs.iter().any(|o| o.id == site.org_id) {
            out.push(format!("site '{key}' has an unknown org"));
        }
    }
    let ordered: BTreeSet<&String> = m.site_order.iter().collect();
    if ordered.len() != m.site_order.len() || !m.sites.keys().eq(ordered.iter().copied()) {
        out.push("site_order does not list each site once".into());
    }
    for (id, &i) in &m.person_index {
        if m.people.get(i).map(|p| &p.id) != Some(id) {
            out.push(format!("person_index['{id}'] points elsewhere"));
        }
    }
    if m.person_index.len() != m.people.len() {
        out.push("person_index does not index every person once".into());
    }
    for (email, &i) in &m.email_index {
        let holds = m
            .people
            .get(i)
            .is_some_and(|p| p.emails.iter().any(|e| e.trim().to_lowercase() == *email));
        if !holds {
            out.push(format!("email_index['{email}'] points elsewhere"));
        }
    }
    for p in &m.people {
        for key in p.sites.iter().chain(&p.preferred_site) {
            match m.sites.get(key) {
                Some(site) if site.org_id == p.org_id => {}
                _ => out.push(format!(
                    "person '{}' may use a site '{key}' that is not theirs",
                    p.id
                )),
            }
        }
        if let Some(preferred) = &p.preferred_site {
            if !p.sites.contains(preferred) {
                out.push(format!("person '{}' prefers a site they may not use", p.id));
            }
        }
    }
    let tokens: HashSet<&String> = m.token_order.iter().collect();
    if tokens.len() != m.token_order.len() || tokens.len() != m.tokens.len() {
        out.push("token_order does not list each token once".into());
    }
    for (t, token) in &m.tokens {
        if !tokens.contains(t) || m.person(&token.person_id).is_none() {
            out.push(format!("token '{t}' is unlisted or held by nobody"));
        }
    }
}

/// Site-level codes: ids, names, options and `scheduleStartCodes` obey the API's rules.
fn check_codes(m: &Model, out: &mut Vec<String>) {
    for (key, codes) in &m.codes {
        let Some(site) = m.sites.get(key) else {
            out.push(format!("codes of an unknown site '{key}'"));
            continue;
        };
        let mut names = HashSet::new();
        for (&id, code) in &codes.by_id {
            let at = format!("code {id} of '{key}'");
            if code.id != id {
                out.push(format!("{at} is stored with id {}", code.id));
            }
            if id == 0 || id >= codes.next_id {
                out.push(format!("{at}: id not in 1..next_id ({})", codes.next_id));
            }
            if text::check(Some(&code.name)).is_err() {
                out.push(format!("{at}: name {:?} is empty or too long", code.name));
            }
            if !names.insert(fold(&code.name)) {
                out.push(format!("{at}: name {:?} is taken (any case)", code.name));
            }
            for spelling in [code.name.clone(), fold(&code.name)] {
                if codes.find_by_name(&spelling).map(|c| c.id) != Some(id) {
                    out.push(format!("{at}: {spelling:?} does not find it by name"));
                }
            }
            let services: Vec<Service> = code
                .schedule_start_codes
                .iter()
                .map(|c| c.service)
                .collect();
            if services != Service::EVERY {
                out.push(format!(
                    "{at}: scheduleStartCodes are not the 5 services in order: {services:?}"
                ));
            }
            if code.input_mode.restricts_values() && code.options.is_empty() {
                out.push(format!("{at}: a select code without options"));
            }
            let def = Definition {
                name: Some(&code.name),
                input_mode: code.input_mode,
                host_profile_code: code.host_profile_code,
                options: &code.options,
                schedule_start_codes: Some(&code.schedule_start_codes),
            };
            match code_definition::check(&def) {
                Ok(checked) if checked.schedule_start_codes != code.schedule_start_codes => {
                    out.push(format!("{at}: scheduleStartCodes are not complete"))
                }
                Ok(_) => {}
                Err(p) => out.push(format!("{at}: the API would refuse it: {p:?}")),
            }
            if let Err(p) = code_definition::check_for_site(site, code.host_profile_code) {
                out.push(format!("{at}: {p}"));
            }
        }
    }
}

/// Every user value names an existing code of its site and, for select codes, one of its
/// options; it is 1 to 120 characters; its person may use the site.
fn check_user_values(m: &Model, out: &mut Vec<String>) {
    for ((key, person_id), values) in &m.user_values {
        let at = format!("values of '{person_id}' on '{key}'");
        if values.is_empty() {
            out.push(format!("{at}: an empty entry"));
        }
        let site = m.sites.get(key);
        match (site, m.person(person_id)) {
            (Some(site), Some(p)) if p.org_id == site.org_id && p.can_use_site(key) => {}
            _ => out.push(format!("{at}: no such site, person or access")),
        }
        let codes = m.site_codes(key);
        for (id, value) in values {
            let chars = value.chars().count();
            if value.trim().is_empty() || !(1..=text::MAX_CHARS).contains(&chars) {
                out.push(format!(
                    "{at}: value {value:?} of code {id} is empty or too long"
                ));
            }
            match codes.and_then(|c| c.by_id.get(id)) {
                None => out.push(format!("{at}: value for a code {id} that does not exist")),
                Some(code)
                    if code.input_mode.restricts_values()
                        && !code.options.iter().any(|o| o.value == *value) =>
                {
                    out.push(format!(
                        "{at}: {value:?} is not an option of the {:?} code '{}'",
                        code.input_mode, code.name
                    ))
                }
                Some(_) => {}
            }
        }
    }
}

/// The export loads back into the same model; only `next_id`, which the export does not
/// keep, may differ (it is then one above the largest id).
fn check_round_trip(m: &Model, out: &mut Vec<String>) {
    let exported = seed::export(m);
    let json = match serde_json::to_vec(&exported) {
        Ok(json) => json,
        Err(e) => return out.push(format!("the export does not serialize: {e}")),
    };
    let again = match seed::load(&json) {
        Ok(again) => again,
        Err(e) => return out.push(format!("the export does not load: {e}")),
    };
    if without_next_ids(&again) != without_next_ids(m) {
        out.push("the export loads into another model".into());
    }
    let re_exported = serde_json::to_vec(&seed::export(&again)).unwrap_or_default();
    if re_exported != json {
        out.push("exporting the reloaded model gives another export".into());
    }
}

/// A copy with every site's `next_id` zeroed, to compare the rest.
pub fn without_next_ids(m: &Model) -> Model {
    let mut m = m.clone();
    for codes in m.codes.values_mut() {
        codes.next_id = 0;
    }
    m
}
