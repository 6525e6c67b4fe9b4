//! The seed format (the JSON files in `seed-data/`) and its loading into a [`Model`].
//!
//! Loading applies the same rules as the API, so a seed cannot hold a state the API would
//! refuse to produce. Every problem names the JSON path of the offending value.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::code_definition::{self, Definition};
use super::model::{
    site_key, CodeOption, HashMap, HostProfileCode, InputMode, Management, Mapping, Model, Org,
    Person, ScheduleStartCode, Site, SiteCodes, Token, TrackingCode,
};
use super::text;

/// The built-in seed, compiled into the binary.
pub const BUILT_IN: &str = include_str!("../../seed-data/default.json");

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    pub orgs: Vec<SeedOrg>,
    pub sites: Vec<SeedSite>,
    pub people: Vec<SeedPerson>,
    pub tokens: Vec<SeedToken>,
    #[serde(default)]
    pub tracking_codes: Vec<SeedTrackingCode>,
    #[serde(default)]
    pub user_tracking_codes: Vec<SeedUserCodes>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedOrg {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedSite {
    pub site_url: String,
    pub org_id: String,
    pub management: Management,
    #[serde(default = "no_mapping")]
    pub tracking_code_mapping: Mapping,
}

fn no_mapping() -> Mapping {
    Mapping::None
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedPerson {
    pub id: String,
    pub org_id: String,
    pub emails: Vec<String>,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub site_urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_site_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedToken {
    pub token: String,
    pub person_id: String,
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedTrackingCode {
    pub site_url: String,
    pub id: String,
    pub name: String,
    pub input_mode: InputMode,
    pub host_profile_code: HostProfileCode,
    #[serde(default)]
    pub options: Vec<CodeOption>,
    #[serde(default)]
    pub schedule_start_codes: Option<Vec<ScheduleStartCode>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedUserCodes {
    pub site_url: String,
    pub person_id: String,
    pub tracking_codes: Vec<SeedUserCode>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedUserCode {
    pub name: String,
    pub value: String,
}

/// Why a seed was refused: where (a JSON path such as `$.people[3].siteUrls[0]`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedError {
    pub path: String,
    pub reason: String,
}

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

impl std::error::Error for SeedError {}

fn fail<T>(path: impl Into<String>, reason: impl Into<String>) -> Result<T, SeedError> {
    Err(SeedError {
        path: path.into(),
        reason: reason.into(),
    })
}

/// Parses seed JSON; type errors name the path of the value that has the wrong type.
pub fn parse(json: &[u8]) -> Result<Seed, SeedError> {
    // The plain parser is the fast path; only a seed that fails is read again to find the
    // path of the problem.
    if let Ok(seed) = serde_json::from_slice(json) {
        return Ok(seed);
    }
    let mut de = serde_json::Deserializer::from_slice(json);
    let seed: Seed = serde_path_to_error::deserialize(&mut de).map_err(|e| SeedError {
        path: json_path(&e.path().to_string()),
        reason: e.inner().to_string(),
    })?;
    de.end().map_err(|e| SeedError {
        path: "$".into(),
        reason: e.to_string(),
    })?;
    Ok(seed)
}

/// Turns serde_path_to_error's `people[3].id` into `$.people[3].id`.
fn json_path(path: &str) -> String {
    if path == "." {
        "$".into()
    } else {
        format!("$.{path}")
    }
}

/// Parses and validates seed JSON into a model.
pub fn load(json: &[u8]) -> Result<Model, SeedError> {
    build(&parse(json)?)
}

/// Validates a parsed seed and builds the model it describes.
pub fn build(seed: &Seed) -> Result<Model, SeedError> {
    let mut model = Model::default();
    add_orgs(&mut model, seed)?;
    add_sites(&mut model, seed)?;
    add_people(&mut model, seed)?;
    add_tokens(&mut model, seed)?;
    add_tracking_codes(&mut model, seed)?;
    add_user_values(&mut model, seed)?;
    Ok(model)
}

fn add_orgs(model: &mut Model, seed: &Seed) -> Result<(), SeedError> {
    let mut ids = HashSet::new();
    for (i, org) in seed.orgs.iter().enumerate() {
        let at = format!("$.orgs[{i}]");
        if org.id.trim().is_empty() {
            return fail(format!("{at}.id"), "an org id cannot be empty");
        }
        if !ids.insert(org.id.as_str()) {
            return fail(format!("{at}.id"), format!("duplicate org id '{}'", org.id));
        }
        model.orgs.push(Org {
            id: org.id.clone(),
            name: org.name.clone(),
        });
    }
    Ok(())
}

fn add_sites(model: &mut Model, seed: &Seed) -> Result<(), SeedError> {
    for (i, site) in seed.sites.iter().enumerate() {
        let at = format!("$.sites[{i}]");
        let key = site_key(&site.site_url);
        if key.is_empty() || key.contains(char::is_whitespace) || key.contains('/') {
            return fail(
                format!("{at}.siteUrl"),
                "a siteUrl is a host name such as 'example.webex.com'",
            );
        }
        if model.sites.contains_key(&key) {
            return fail(
                format!("{at}.siteUrl"),
                format!("duplicate site '{}'", site.site_url),
            );
        }
        if !model.orgs.iter().any(|o| o.id == site.org_id) {
            return fail(
                format!("{at}.orgId"),
                format!("unknown org '{}'", site.org_id),
            );
        }
        model.site_order.push(key.clone());
        model.codes.insert(key.clone(), SiteCodes::new());
        model.sites.insert(
            key,
            Site {
                url: site.site_url.trim().to_owned(),
                org_id: site.org_id.clone(),
                management: site.management,
                mapping: site.tracking_code_mapping,
            },
        );
    }
    Ok(())
}

fn add_people(model: &mut Model, seed: &Seed) -> Result<(), SeedError> {
    for (i, p) in seed.people.iter().enumerate() {
        let at = format!("$.people[{i}]");
        if p.id.trim().is_empty() {
            return fail(format!("{at}.id"), "a person id cannot be empty");
        }
        if model.person_index.contains_key(&p.id) {
            return fail(
                format!("{at}.id"),
                format!("duplicate person id '{}'", p.id),
            );
        }
        if !model.orgs.iter().any(|o| o.id == p.org_id) {
            return fail(format!("{at}.orgId"), format!("unknown org '{}'", p.org_id));
        }
        if p.emails.is_empty() {
            return fail(format!("{at}.emails"), "a person needs at least one email");
        }
        for (j, email) in p.emails.iter().enumerate() {
            let key = email.trim().to_lowercase();
            if !key.contains('@') {
                return fail(
                    format!("{at}.emails[{j}]"),
                    format!("'{email}' is not an email address"),
                );
            }
            if model.email_index.insert(key, model.people.len()).is_some() {
                return fail(
                    format!("{at}.emails[{j}]"),
                    format!("the email '{email}' belongs to another person"),
                );
            }
        }
        let mut sites = Vec::new();
        for (j, url) in p.site_urls.iter().enumerate() {
            let key = site_key(url);
            match model.sites.get(&key) {
                None => {
                    return fail(
                        format!("{at}.siteUrls[{j}]"),
                        format!("unknown site '{url}'"),
                    )
                }
                Some(site) if site.org_id != p.org_id => {
                    return fail(
                        format!("{at}.siteUrls[{j}]"),
                        format!("the site '{url}' belongs to another org"),
                    )
                }
                Some(_) if sites.contains(&key) => {
                    return fail(
                        format!("{at}.siteUrls[{j}]"),
                        format!("duplicate site '{url}'"),
                    )
                }
                Some(_) => sites.push(key),
            }
        }
        let preferred_site = match &p.preferred_site_url {
            Some(url) => {
                let key = site_key(url);
                if !sites.contains(&key) {
                    return fail(
                        format!("{at}.preferredSiteUrl"),
                        format!("'{url}' is not one of the person's siteUrls"),
                    );
                }
                Some(key)
            }
            None => sites.first().cloned(),
        };
        model.person_index.insert(p.id.clone(), model.people.len());
        model.people.push(Person {
            id: p.id.clone(),
            org_id: p.org_id.clone(),
            emails: p.emails.iter().map(|e| e.trim().to_owned()).collect(),
            display_name: p.display_name.clone(),
            first_name: p.first_name.clone(),
            last_name: p.last_name.clone(),
            roles: p.roles.clone().into(),
            sites,
            preferred_site,
            created: p.created.clone(),
            timezone: p.timezone.clone(),
        });
    }
    Ok(())
}

fn add_tokens(model: &mut Model, seed: &Seed) -> Result<(), SeedError> {
    for (i, t) in seed.tokens.iter().enumerate() {
        let at = format!("$.tokens[{i}]");
        if t.token.is_empty() || !t.token.chars().all(|c| c.is_ascii_graphic()) {
            return fail(
                format!("{at}.token"),
                "a token is a non-empty string of visible ASCII characters without spaces",
            );
        }
        if model.tokens.contains_key(&t.token) {
            return fail(format!("{at}.token"), "duplicate token");
        }
        if model.person(&t.person_id).is_none() {
            return fail(
                format!("{at}.personId"),
                format!("unknown person '{}'", t.person_id),
            );
        }
        model.token_order.push(t.token.clone());
        model.tokens.insert(
            t.token.clone(),
            Token {
                person_id: t.person_id.clone(),
                scopes: Arc::new(t.scopes.iter().cloned().collect::<BTreeSet<_>>()),
                description: t.description.clone(),
            },
        );
    }
    Ok(())
}

fn add_tracking_codes(model: &mut Model, seed: &Seed) -> Result<(), SeedError> {
    for (i, c) in seed.tracking_codes.iter().enumerate() {
        let at = format!("$.trackingCodes[{i}]");
        let key = site_key(&c.site_url);
        let Some(site) = model.sites.get(&key) else {
            return fail(
                format!("{at}.siteUrl"),
                format!("unknown site '{}'", c.site_url),
            );
        };
        let id = match c.id.parse::<u64>() {
            // Below u64::MAX, so that the site's next id is above it.
            Ok(id) if id > 0 && id < u64::MAX && id.to_string() == c.id => id,
            _ => {
                return fail(
                    format!("{at}.id"),
                    format!(
                    "a tracking code id is a whole number from 1 to {} in a string, like \"1\", not '{}'",
                    u64::MAX - 1,
                    c.id
                ),
                )
            }
        };
        let def = Definition {
            name: Some(&c.name),
            input_mode: c.input_mode,
            host_profile_code: c.host_profile_code,
            options: &c.options,
            schedule_start_codes: c.schedule_start_codes.as_deref(),
        };
        let checked = code_definition::check(&def)
            .and_then(|checked| {
                code_definition::check_for_site(site, def.host_profile_code)
                    .map(|()| checked)
                    .map_err(|p| vec![p])
            })
            .map_err(|problems| SeedError {
                path: at.clone(),
                reason: problems.join("; "),
            })?;
        let codes = model.codes.entry(key).or_default();
        if codes.by_id.contains_key(&id) {
            return fail(
                format!("{at}.id"),
                format!(
                    "duplicate tracking code id '{}' on site '{}'",
                    c.id, c.site_url
                ),
            );
        }
        if codes.find_by_name(&checked.name).is_some() {
            return fail(
                format!("{at}.name"),
                format!(
                    "duplicate tracking code name '{}' on site '{}'",
                    c.name, c.site_url
                ),
            );
        }
        codes.next_id = codes.next_id.max(id + 1);
        codes.insert(TrackingCode {
            id,
            name: checked.name,
            input_mode: c.input_mode,
            host_profile_code: c.host_profile_code,
            options: c.options.clone(),
            schedule_start_codes: checked.schedule_start_codes,
        });
    }
    Ok(())
}

fn add_user_values(model: &mut Model, seed: &Seed) -> Result<(), SeedError> {
    let mut values: HashMap<(String, String), BTreeMap<u64, String>> = HashMap::default();
    for (i, entry) in seed.user_tracking_codes.iter().enumerate() {
        let at = format!("$.userTrackingCodes[{i}]");
        let key = site_key(&entry.site_url);
        let Some(site) = model.sites.get(&key) else {
            return fail(
                format!("{at}.siteUrl"),
                format!("unknown site '{}'", entry.site_url),
            );
        };
        let Some(person) = model.person(&entry.person_id) else {
            return fail(
                format!("{at}.personId"),
                format!("unknown person '{}'", entry.person_id),
            );
        };
        if person.org_id != site.org_id || !person.can_use_site(&key) {
            return fail(
                format!("{at}.personId"),
                format!("the person has no access to the site '{}'", entry.site_url),
            );
        }
        let codes = model.codes.get(&key);
        let slot = values.entry((key.clone(), person.id.clone())).or_default();
        for (j, item) in entry.tracking_codes.iter().enumerate() {
            let at = format!("{at}.trackingCodes[{j}]");
            if let Err(p) = text::check(Some(&item.value)) {
                return fail(format!("{at}.value"), p.describe("value"));
            }
            let Some(code) = codes.and_then(|c| c.find_by_name(&item.name)) else {
                return fail(
                    format!("{at}.name"),
                    format!(
                        "Tracking code of '{}' is not found on site '{}'",
                        item.name, entry.site_url
                    ),
                );
            };
            if !code.allows_value(&item.value) {
                return fail(
                    format!("{at}.value"),
                    format!(
                        "'{}' is not an option of the tracking code '{}'",
                        item.value, code.name
                    ),
                );
            }
            if slot.insert(code.id, item.value.clone()).is_some() {
                return fail(
                    format!("{at}.name"),
                    format!(
                        "the tracking code '{}' is given twice for this person and site",
                        code.name
                    ),
                );
            }
        }
    }
    values.retain(|_, v| !v.is_empty());
    model.user_values = values;
    Ok(())
}

/// The whole state of a model in the seed format, in a stable order: loading the export
/// gives the same model back.
pub fn export(model: &Model) -> Seed {
    let sites: Vec<&Site> = model
        .site_order
        .iter()
        .filter_map(|key| model.sites.get(key))
        .collect();
    let mut tracking_codes = Vec::new();
    let mut user_tracking_codes = Vec::new();
    for site in &sites {
        let key = site_key(&site.url);
        let codes = model.site_codes(&key);
        for code in codes.into_iter().flat_map(|c| c.by_id.values()) {
            tracking_codes.push(SeedTrackingCode {
                site_url: site.url.clone(),
                id: code.id.to_string(),
                name: code.name.clone(),
                input_mode: code.input_mode,
                host_profile_code: code.host_profile_code,
                options: code.options.clone(),
                schedule_start_codes: Some(code.schedule_start_codes.clone()),
            });
        }
        for person in &model.people {
            let Some(values) = model.user_values(&key, &person.id) else {
                continue;
            };
            let items: Vec<SeedUserCode> = values
                .iter()
                .filter_map(|(id, value)| {
                    Some(SeedUserCode {
                        name: codes?.by_id.get(id)?.name.clone(),
                        value: value.clone(),
                    })
                })
                .collect();
            if !items.is_empty() {
                user_tracking_codes.push(SeedUserCodes {
                    site_url: site.url.clone(),
                    person_id: person.id.clone(),
                    tracking_codes: items,
                });
            }
        }
    }
    Seed {
        orgs: model
            .orgs
            .iter()
            .map(|o| SeedOrg {
                id: o.id.clone(),
                name: o.name.clone(),
            })
            .collect(),
        sites: sites
            .iter()
            .map(|s| SeedSite {
                site_url: s.url.clone(),
                org_id: s.org_id.clone(),
                management: s.management,
                tracking_code_mapping: s.mapping,
            })
            .collect(),
        people: model
            .people
            .iter()
            .map(|p| SeedPerson {
                id: p.id.clone(),
                org_id: p.org_id.clone(),
                emails: p.emails.clone(),
                display_name: p.display_name.clone(),
                first_name: p.first_name.clone(),
                last_name: p.last_name.clone(),
                roles: p.roles.to_vec(),
                site_urls: p
                    .sites
                    .iter()
                    .filter_map(|k| model.sites.get(k).map(|s| s.url.clone()))
                    .collect(),
                preferred_site_url: p
                    .preferred_site
                    .as_ref()
                    .and_then(|k| model.sites.get(k).map(|s| s.url.clone())),
                created: p.created.clone(),
                timezone: p.timezone.clone(),
            })
            .collect(),
        tokens: model
            .token_order
            .iter()
            .filter_map(|t| {
                let token = model.tokens.get(t)?;
                Some(SeedToken {
                    token: t.clone(),
                    person_id: token.person_id.clone(),
                    scopes: token.scopes.iter().cloned().collect(),
                    description: token.description.clone(),
                })
            })
            .collect(),
        tracking_codes,
        user_tracking_codes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built_in() -> serde_json::Value {
        serde_json::from_str(BUILT_IN).unwrap()
    }

    fn load_value(v: &serde_json::Value) -> Result<Model, SeedError> {
        load(v.to_string().as_bytes())
    }

    #[test]
    fn the_built_in_seed_loads() {
        let model = load(BUILT_IN.as_bytes()).unwrap();
        assert_eq!(model.orgs.len(), 2);
        assert!(model.site("EXAMPLE.webex.com").is_some());
        let john = model.person_by_email("John.Andersen@example.com").unwrap();
        assert_eq!(
            john.id,
            "Y2lzY29zcGFyazovL3VzL1BFT1BMRS8xOGJiOWNjMC0zMWM2LTQ3MzYtYmE4OC0wMDk5ZmQzNDNmODE"
        );
    }

    #[test]
    fn an_export_loads_back_into_the_same_model() {
        let model = load(BUILT_IN.as_bytes()).unwrap();
        let json = serde_json::to_vec(&export(&model)).unwrap();
        let again = load(&json).unwrap();
        assert_eq!(again, model);
    }

    #[test]
    fn unknown_site_names_its_path() {
        let mut v = built_in();
        v["people"][2]["siteUrls"][0] = "nowhere.webex.com".into();
        let err = load_value(&v).unwrap_err();
        assert_eq!(err.path, "$.people[2].siteUrls[0]");
        assert!(err.reason.contains("unknown site"), "{err}");
    }

    #[test]
    fn value_outside_a_select_codes_options_is_refused() {
        let mut v = built_in();
        let entry = v["userTrackingCodes"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|e| e["siteUrl"] == "example.webex.com")
            .unwrap();
        entry["trackingCodes"] = serde_json::json!([{"name": "Department", "value": "Astrology"}]);
        let err = load_value(&v).unwrap_err();
        assert!(err.path.ends_with(".trackingCodes[0].value"), "{err}");
        assert!(err.reason.contains("not an option"), "{err}");
    }

    #[test]
    fn duplicate_code_name_is_refused_whatever_its_case() {
        let mut v = built_in();
        let codes = v["trackingCodes"].as_array_mut().unwrap();
        let mut copy = codes[0].clone();
        copy["id"] = "999".into();
        copy["name"] = copy["name"].as_str().unwrap().to_uppercase().into();
        codes.push(copy);
        let err = load_value(&v).unwrap_err();
        assert!(err.reason.contains("duplicate tracking code name"), "{err}");
        assert!(err.path.ends_with(".name"), "{err}");
    }

    #[test]
    fn wrong_types_name_their_path() {
        let mut v = built_in();
        v["sites"][1]["management"] = "nobody".into();
        let err = load_value(&v).unwrap_err();
        assert_eq!(err.path, "$.sites[1].management");
        let err = load(b"{\"orgs\": 5}").unwrap_err();
        assert_eq!(err.path, "$.orgs");
    }

    #[test]
    fn malformed_json_is_refused() {
        assert!(load(b"{").is_err());
        assert!(load(b"{} trailing").is_err());
    }
}
