//! Finding sites and people the way every operation does: only in the caller's org, so
//! another org's data is never revealed (it is not found, never forbidden).

use super::access::Caller;
use super::model::{site_key, Mapping, Model, Person, Site};
use crate::error::{Error, Result};

/// An empty string counts as absent: clients often send `""` for a field they do not use.
pub fn given(field: &Option<String>) -> Option<&str> {
    field.as_deref().filter(|s| !s.trim().is_empty())
}

/// A site of the caller's org, by URL (case-insensitive).
pub fn site<'m>(model: &'m Model, caller: &Caller, url: &str) -> Result<&'m Site> {
    model
        .site(url)
        .filter(|s| s.org_id == caller.org_id)
        .ok_or_else(|| Error::not_found(format!("Site '{}' is not found.", url.trim())))
}

/// The site named by a read's `siteUrl`, or the caller's preferred site when it is left
/// out, as the Webex docs say for every read.
pub fn site_or_preferred<'m>(
    model: &'m Model,
    caller: &Caller,
    url: Option<&str>,
) -> Result<&'m Site> {
    match url {
        Some(url) => site(model, caller, url),
        None => caller
            .preferred_site
            .as_deref()
            .and_then(|key| model.sites.get(key))
            .ok_or_else(|| {
                Error::bad_request("'siteUrl' cannot be empty: the caller has no preferred site")
            }),
    }
}

/// A person of the caller's org by id.
pub fn person_by_id<'m>(model: &'m Model, caller: &Caller, id: &str) -> Result<&'m Person> {
    model
        .person(id.trim())
        .filter(|p| p.org_id == caller.org_id)
        .ok_or_else(|| Error::not_found(format!("Person '{}' is not found.", id.trim())))
}

/// A person of the caller's org by email (case-insensitive).
pub fn person_by_email<'m>(model: &'m Model, caller: &Caller, email: &str) -> Result<&'m Person> {
    model
        .person_by_email(email)
        .filter(|p| p.org_id == caller.org_id)
        .ok_or_else(|| {
            Error::not_found(format!(
                "Person with email '{}' is not found.",
                email.trim()
            ))
        })
}

/// 404 unless the person may use the site.
pub fn check_access(person: &Person, site: &Site) -> Result<()> {
    if person.can_use_site(&site_key(&site.url)) {
        Ok(())
    } else {
        Err(Error::not_found(format!(
            "Person '{}' has no access to site '{}'.",
            person.primary_email(),
            site.url
        )))
    }
}

/// 409 on a site whose tracking codes are mapped (or being mapped) in Control Hub: such a
/// site refuses every change to tracking codes. `refused` says what cannot be done.
pub fn refuse_mapped(site: &Site, refused: &str) -> Result<()> {
    let state = match site.mapping {
        Mapping::None => return Ok(()),
        Mapping::InProgress => "in progress",
        Mapping::Completed => "completed",
    };
    Err(Error::Conflict(format!(
        "The tracking codes of site '{}' are mapped to custom or user profile attributes in Control Hub (mapping {state}); {refused}.",
        site.url
    )))
}
