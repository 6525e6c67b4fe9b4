//! Site-level tracking codes: List, Get, Create, Update and Delete a Tracking Code.
//!
//! Writes check every rule before they change anything, so each runs inside one critical
//! section and a failed request leaves the model as it was. Deleting a code removes the
//! users' values for it; an update that narrows a select code's options removes the values
//! that fall outside them, so no user keeps a value the site no longer allows.

use serde::{Deserialize, Serialize};

use super::access::Caller;
use super::code_definition::{self, Definition};
use super::lookup::{self, given};
use super::model::{
    site_key, CodeOption, HostProfileCode, InputMode, Model, ScheduleStartCode, Site, TrackingCode,
};
use crate::error::{Error, Result};

/// Body of Create and Update a Tracking Code. Fields are optional here so that a missing one
/// gets the rule's own description.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CodeInput {
    pub site_url: Option<String>,
    pub name: Option<String>,
    pub input_mode: Option<InputMode>,
    pub host_profile_code: Option<HostProfileCode>,
    pub options: Option<Vec<OptionInput>>,
    pub schedule_start_codes: Option<Vec<ScheduleStartCode>>,
}

/// One option as sent; a missing `defaultValue` means `false`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OptionInput {
    pub value: Option<String>,
    pub default_value: Option<bool>,
}

/// A site-level code as the API answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CodeView {
    pub id: String,
    pub name: String,
    pub site_url: String,
    pub input_mode: InputMode,
    pub options: Vec<CodeOption>,
    pub host_profile_code: HostProfileCode,
    pub schedule_start_codes: Vec<ScheduleStartCode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CodeList {
    pub items: Vec<CodeView>,
}

pub fn view(site: &Site, code: &TrackingCode) -> CodeView {
    CodeView {
        id: code.id.to_string(),
        name: code.name.clone(),
        site_url: site.url.clone(),
        input_mode: code.input_mode,
        options: code.options.clone(),
        host_profile_code: code.host_profile_code,
        schedule_start_codes: code.schedule_start_codes.clone(),
    }
}

/// List Tracking Codes: every code of the site, ordered by id.
pub fn list(model: &Model, caller: &Caller, site_url: Option<&str>) -> Result<CodeList> {
    let site = lookup::site_or_preferred(model, caller, site_url)?;
    let items = model
        .site_codes(&site_key(&site.url))
        .map(|codes| codes.by_id.values().map(|c| view(site, c)).collect())
        .unwrap_or_default();
    Ok(CodeList { items })
}

/// Get a Tracking Code.
pub fn get(model: &Model, caller: &Caller, id: &str, site_url: Option<&str>) -> Result<CodeView> {
    let site = lookup::site_or_preferred(model, caller, site_url)?;
    let code = find(model, site, id)?;
    Ok(view(site, code))
}

/// Create a Tracking Code; its id is the site's next free small integer.
pub fn create(model: &mut Model, caller: &Caller, input: &CodeInput) -> Result<CodeView> {
    let (site, code) = prepare(model, caller, input, None)?;
    let key = site_key(&site.url);
    let id = model.site_codes(&key).map_or(1, |c| c.next_id.max(1));
    // A seed may hold ids up to u64::MAX - 1; past the last id no code can be added.
    let next_id = id.checked_add(1).ok_or_else(|| {
        Error::Conflict(format!(
            "No tracking code id is left on site '{}'.",
            site.url
        ))
    })?;
    let codes = model.codes.entry(key.clone()).or_default();
    codes.next_id = next_id;
    let code = TrackingCode { id, ..code };
    codes.insert(code.clone());
    Ok(view(&site, &code))
}

/// Update a Tracking Code: the body replaces the definition (the id stays).
pub fn update(model: &mut Model, caller: &Caller, id: &str, input: &CodeInput) -> Result<CodeView> {
    let (site, code) = prepare(model, caller, input, Some(id))?;
    let key = site_key(&site.url);
    if let Some(codes) = model.codes.get_mut(&key) {
        codes.insert(code.clone());
    }
    if code.input_mode.restricts_values() {
        // Values outside the new options would break the rule every read relies on.
        for ((site_of, _), values) in model.user_values.iter_mut() {
            if *site_of == key {
                values.retain(|code_id, value| *code_id != code.id || code.allows_value(value));
            }
        }
        model.user_values.retain(|_, values| !values.is_empty());
    }
    Ok(view(&site, &code))
}

/// Delete a Tracking Code and every user's value for it.
pub fn delete(model: &mut Model, caller: &Caller, id: &str, site_url: Option<&str>) -> Result<()> {
    let Some(site_url) = site_url.filter(|s| !s.trim().is_empty()) else {
        return Err(Error::bad_request("'siteUrl' cannot be empty"));
    };
    let site = lookup::site(model, caller, site_url)?;
    lookup::refuse_mapped(site, "tracking codes cannot be deleted")?;
    let code_id = find(model, site, id)?.id;
    let key = site_key(&site.url);
    if let Some(codes) = model.codes.get_mut(&key) {
        codes.remove(code_id);
    }
    for ((site_of, _), values) in model.user_values.iter_mut() {
        if *site_of == key {
            values.remove(&code_id);
        }
    }
    model.user_values.retain(|_, values| !values.is_empty());
    Ok(())
}

/// The checks Create and Update share, in order: the request's shape (400, all problems
/// together), the site (404), the mapping (409), the id (404, for Update), the rules that
/// need the site (400), and the name's uniqueness on the site (409). Returns the site and
/// the code to store (with id 0 for a new code).
fn prepare(
    model: &Model,
    caller: &Caller,
    input: &CodeInput,
    id: Option<&str>,
) -> Result<(Site, TrackingCode)> {
    let mut problems = Vec::new();
    let site_url = given(&input.site_url);
    if site_url.is_none() {
        problems.push("'siteUrl' cannot be empty".to_owned());
    }
    if input.input_mode.is_none() {
        problems.push("'inputMode' cannot be empty".to_owned());
    }
    if input.host_profile_code.is_none() {
        problems.push("'hostProfileCode' cannot be empty".to_owned());
    }
    let options: Vec<CodeOption> = input
        .options
        .iter()
        .flatten()
        .map(|o| CodeOption {
            value: o.value.clone().unwrap_or_default(),
            default_value: o.default_value.unwrap_or(false),
        })
        .collect();
    let input_mode = input.input_mode.unwrap_or(InputMode::Text);
    let host_profile_code = input.host_profile_code.unwrap_or(HostProfileCode::NotUsed);
    let definition = Definition {
        name: input.name.as_deref(),
        input_mode,
        host_profile_code,
        options: &options,
        schedule_start_codes: input.schedule_start_codes.as_deref(),
    };
    let checked = code_definition::check(&definition).map_err(|p| problems.extend(p));
    let (Some(site_url), Ok(checked), true) = (site_url, checked, problems.is_empty()) else {
        return Err(Error::BadRequest(problems));
    };

    let site = lookup::site(model, caller, site_url)?;
    lookup::refuse_mapped(
        site,
        if id.is_some() {
            "tracking codes cannot be updated"
        } else {
            "tracking codes cannot be created"
        },
    )?;
    let id = match id {
        Some(id) => find(model, site, id)?.id,
        None => 0,
    };
    code_definition::check_for_site(site, host_profile_code).map_err(Error::bad_request)?;
    let taken = model
        .site_codes(&site_key(&site.url))
        .and_then(|codes| codes.find_by_name(&checked.name))
        .is_some_and(|other| other.id != id);
    if taken {
        return Err(Error::Conflict(format!(
            "Tracking code '{}' already exists on site '{}'.",
            checked.name, site.url
        )));
    }
    Ok((
        site.clone(),
        TrackingCode {
            id,
            name: checked.name,
            input_mode,
            host_profile_code,
            options,
            schedule_start_codes: checked.schedule_start_codes,
        },
    ))
}

/// A code of the site by its id; anything else (unknown, not a number) is not found, with
/// the description Webex uses.
fn find<'m>(model: &'m Model, site: &Site, id: &str) -> Result<&'m TrackingCode> {
    id.parse::<u64>()
        .ok()
        .filter(|n| n.to_string() == id)
        .and_then(|n| model.site_codes(&site_key(&site.url))?.by_id.get(&n))
        .ok_or_else(|| Error::not_found(format!("Tracking code ID '{id}' is invalid.")))
}
