//! Get Site List: the Webex sites a user may use, and which is their default.

use serde::Serialize;

use super::access::{Caller, Need};
use super::lookup;
use super::model::{site_key, Model, Person};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SiteList {
    pub sites: Vec<SiteEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SiteEntry {
    pub site_url: String,
    pub default: bool,
}

/// The caller's sites, or with `user_email` another user's (an admin with the admin
/// preferences scope only: 403 otherwise). A `site_url`, when given, must be a site of the
/// caller's org the user may use.
pub fn list(
    model: &Model,
    caller: &Caller,
    user_email: Option<&str>,
    site_url: Option<&str>,
) -> Result<SiteList> {
    let person = match user_email {
        Some(email) => {
            caller.require(Need::AdminPreferencesRead)?;
            lookup::person_by_email(model, caller, email)?
        }
        None => lookup::person_by_id(model, caller, &caller.person_id)?,
    };
    if let Some(url) = site_url {
        let site = lookup::site(model, caller, url)?;
        lookup::check_access(person, site)?;
    }
    Ok(view(model, person))
}

fn view(model: &Model, person: &Person) -> SiteList {
    SiteList {
        sites: person
            .sites
            .iter()
            .filter_map(|key| model.sites.get(key))
            .map(|site| SiteEntry {
                site_url: site.url.clone(),
                default: person.preferred_site.as_deref() == Some(site_key(&site.url).as_str()),
            })
            .collect(),
    }
}
