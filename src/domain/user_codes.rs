//! Users' tracking code values: the rules of Get and Update User Tracking Codes.
//!
//! `update` checks the rules in the order the contract gives and changes the model only when
//! every rule passed, so it can run inside one critical section and a failed request leaves
//! nothing behind.

use std::collections::BTreeMap;

use rustc_hash::FxHashSet;

use serde::{Deserialize, Serialize};

use super::access::Caller;
use super::lookup::{self, check_access, given};
use super::model::{name_key, site_key, Model, Person, Site, SiteCodes};
use super::text;
use crate::error::{Error, Result};

/// Body of `PUT /admin/meeting/userconfig/trackingCodes`. Every field is optional here so
/// that a missing one gets the rule's own description rather than a parse error; unknown
/// fields (such as an `id` inside items, which a known client sends) are ignored.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateRequest {
    pub site_url: Option<String>,
    pub person_id: Option<String>,
    pub email: Option<String>,
    pub tracking_codes: Option<Vec<UpdateItem>>,
}

/// One item of `trackingCodes`.
#[derive(Debug, Clone, Default, utoipa::ToSchema)]
pub struct UpdateItem {
    pub name: Option<String>,
    pub value: Option<String>,
}

/// By hand because a derived struct would also accept an array (`["Department", "Sales"]`,
/// fields by position); Webex items are objects.
impl<'de> Deserialize<'de> for UpdateItem {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl<'de> serde::de::Visitor<'de> for ItemVisitor {
            type Value = UpdateItem;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object with 'name' and 'value'")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<UpdateItem, A::Error> {
                let mut item = UpdateItem::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    let slot = match key.as_ref() {
                        "name" => &mut item.name,
                        "value" => &mut item.value,
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    if slot.is_some() {
                        return Err(serde::de::Error::custom(format_args!(
                            "duplicate field `{key}`"
                        )));
                    }
                    *slot = map.next_value()?;
                }
                Ok(item)
            }
        }
        deserializer.deserialize_map(ItemVisitor)
    }
}

/// Parameters of `GET /admin/meeting/userconfig/trackingCodes`.
#[derive(Debug, Clone, Default)]
pub struct GetRequest {
    pub site_url: Option<String>,
    pub person_id: Option<String>,
    /// From the `email` request header, as the Webex docs place it.
    pub email: Option<String>,
}

/// A user's tracking codes on one site, as both operations answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserCodes {
    pub site_url: String,
    pub person_id: String,
    pub email: String,
    pub tracking_codes: Vec<UserCode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UserCode {
    /// A string, as Webex sends it; typed clients fail on a number.
    pub id: String,
    pub name: String,
    pub value: String,
}

/// Update User Tracking Codes: merges the listed values into the person's values on the
/// site, all or nothing.
pub fn update(model: &mut Model, caller: &Caller, req: &UpdateRequest) -> Result<UserCodes> {
    // Rules 3 to 5 are all about the shape of the request; their problems are reported
    // together, in rule order.
    let mut problems = Vec::new();
    let site_url = given(&req.site_url);
    if site_url.is_none() {
        problems.push("'siteUrl' cannot be empty".to_owned());
    }
    let (person_id, email) = (given(&req.person_id), given(&req.email));
    if person_id.is_none() && email.is_none() {
        problems.push(MISSING_PERSON.to_owned());
    }
    let items = req.tracking_codes.as_deref().unwrap_or_default();
    let mut names = FxHashSet::default();
    for (i, item) in items.iter().enumerate() {
        let name = text::check(item.name.as_deref())
            .map_err(|p| problems.push(p.describe(&format!("trackingCodes[{i}].name"))));
        if let Err(p) = text::check(item.value.as_deref()) {
            problems.push(p.describe(&format!("trackingCodes[{i}].value")));
        }
        if let Ok(name) = name {
            // Folded as the name lookup folds (each character on its own): a whole-string
            // lowercase tells 'ΟΔΟΣ' (final sigma) from 'οδοσ', which name the same code.
            if !names.insert(name_key(name)) {
                problems.push(format!(
                    "Tracking code '{name}' is given more than once (trackingCodes[{i}])."
                ));
            }
        }
    }
    let Some(site_url) = site_url.filter(|_| problems.is_empty()) else {
        return Err(Error::BadRequest(problems));
    };

    let site = lookup::site(model, caller, site_url)?;
    let person = find_person(model, caller, person_id, email)?;
    check_access(person, site)?;
    lookup::refuse_mapped(site, "user tracking codes cannot be updated")?;

    let key = site_key(&site.url);
    let codes = model.site_codes(&key);
    let mut changes = Vec::with_capacity(items.len());
    for item in items {
        // Rule 5 passed, so both are present.
        let (name, value) = (
            item.name.as_deref().unwrap_or_default(),
            item.value.as_deref().unwrap_or_default(),
        );
        match codes.and_then(|c| c.find_by_name(name)) {
            None => problems.push(format!("Tracking code of '{name}' is not found.")),
            Some(code) if !code.allows_value(value) => problems.push(format!(
                "Value '{value}' is not an option of the tracking code '{}'; allowed values: {}.",
                code.name,
                code.options
                    .iter()
                    .map(|o| format!("'{}'", o.value))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Some(code) => changes.push((code.id, value.to_owned())),
        }
    }
    if !problems.is_empty() {
        return Err(Error::BadRequest(problems));
    }

    let person_id = person.id.clone();
    if !changes.is_empty() {
        model
            .user_values
            .entry((key.clone(), person_id.clone()))
            .or_default()
            .extend(changes);
    }
    let person = model
        .person(&person_id)
        .ok_or_else(|| Error::not_found("Person is not found."))?;
    let site = model
        .sites
        .get(&key)
        .ok_or_else(|| Error::not_found(format!("Site '{site_url}' is not found.")))?;
    Ok(view(model, site, person))
}

/// Get User Tracking Codes: the person's values on the site (the caller's preferred site
/// when `siteUrl` is left out).
pub fn get(model: &Model, caller: &Caller, req: &GetRequest) -> Result<UserCodes> {
    let (person_id, email) = (given(&req.person_id), given(&req.email));
    if person_id.is_none() && email.is_none() {
        return Err(Error::bad_request(MISSING_PERSON));
    }
    let site = lookup::site_or_preferred(model, caller, given(&req.site_url))?;
    let person = find_person(model, caller, person_id, email)?;
    check_access(person, site)?;
    Ok(view(model, site, person))
}

const MISSING_PERSON: &str = "At least one parameter of 'personId' or 'email' is required.";

/// The person by `personId`, else by `email`; `email` is not compared when `personId` is
/// given, as the docs put `personId` first.
fn find_person<'m>(
    model: &'m Model,
    caller: &Caller,
    person_id: Option<&str>,
    email: Option<&str>,
) -> Result<&'m Person> {
    match (person_id, email) {
        (Some(id), _) => lookup::person_by_id(model, caller, id),
        (None, Some(email)) => lookup::person_by_email(model, caller, email),
        (None, None) => Err(Error::bad_request(MISSING_PERSON)),
    }
}

/// The answer of both operations: every code with a value for the person, ordered by id.
fn view(model: &Model, site: &Site, person: &Person) -> UserCodes {
    let key = site_key(&site.url);
    let empty = BTreeMap::new();
    let values = model.user_values(&key, &person.id).unwrap_or(&empty);
    let codes = model.site_codes(&key);
    UserCodes {
        site_url: site.url.clone(),
        person_id: person.id.clone(),
        email: person.primary_email().to_owned(),
        tracking_codes: values
            .iter()
            .filter_map(|(id, value)| {
                let code = codes.and_then(|c: &SiteCodes| c.by_id.get(id))?;
                Some(UserCode {
                    id: id.to_string(),
                    name: code.name.clone(),
                    value: value.clone(),
                })
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::seed;

    const JOHN: &str =
        "Y2lzY29zcGFyazovL3VzL1BFT1BMRS8xOGJiOWNjMC0zMWM2LTQ3MzYtYmE4OC0wMDk5ZmQzNDNmODE";

    fn world() -> (Model, Caller) {
        let model = seed::load(seed::BUILT_IN.as_bytes()).unwrap();
        let admin = model
            .authenticate(model.default_admin_token().unwrap())
            .unwrap();
        (model, admin)
    }

    fn item(name: &str, value: &str) -> UpdateItem {
        UpdateItem {
            name: Some(name.into()),
            value: Some(value.into()),
        }
    }

    fn request(site: &str, items: Vec<UpdateItem>) -> UpdateRequest {
        UpdateRequest {
            site_url: Some(site.into()),
            person_id: Some(JOHN.into()),
            email: None,
            tracking_codes: Some(items),
        }
    }

    #[test]
    fn the_docs_example_merges_and_answers_every_value() {
        let (mut model, admin) = world();
        let req = request(
            "example.webex.com",
            vec![item("Department", "Sales"), item("Division", "Part-time")],
        );
        let out = update(&mut model, &admin, &req).unwrap();
        assert_eq!(out.email, "john.andersen@example.com");
        let pairs: Vec<_> = out
            .tracking_codes
            .iter()
            .map(|c| (c.id.as_str(), c.value.as_str()))
            .collect();
        assert_eq!(pairs, [("1", "Sales"), ("2", "Part-time")]);
        let out = update(
            &mut model,
            &admin,
            &request("example.webex.com", vec![item("project", "Apollo")]),
        )
        .unwrap();
        assert_eq!(
            out.tracking_codes.len(),
            3,
            "a merge keeps the codes not listed"
        );
        assert_eq!(out.tracking_codes[2].name, "Project");
    }

    #[test]
    fn a_failed_update_changes_nothing() {
        let (mut model, admin) = world();
        let before = model.clone();
        let req = request(
            "example.webex.com",
            vec![item("Project", "Apollo"), item("Department", "Astrology")],
        );
        let err = update(&mut model, &admin, &req).unwrap_err();
        assert!(
            matches!(err, Error::BadRequest(ref p) if p.len() == 1),
            "{err:?}"
        );
        assert_eq!(model, before);
    }

    #[test]
    fn shape_problems_are_all_reported_in_rule_order() {
        let (mut model, admin) = world();
        let req = UpdateRequest {
            site_url: None,
            person_id: None,
            email: Some(String::new()),
            tracking_codes: Some(vec![
                item("", "x"),
                item("A", &"v".repeat(121)),
                item("a", "y"),
            ]),
        };
        let Err(Error::BadRequest(problems)) = update(&mut model, &admin, &req) else {
            panic!("expected a 400");
        };
        assert_eq!(problems[0], "'siteUrl' cannot be empty");
        assert_eq!(problems[1], MISSING_PERSON);
        assert_eq!(problems[2], "'trackingCodes[0].name' cannot be empty");
        assert!(problems[3].starts_with("'trackingCodes[1].value' exceeds"));
        assert!(problems[4].contains("given more than once"));
        assert_eq!(problems.len(), 5);
    }

    #[test]
    fn sites_of_other_orgs_are_not_found() {
        let (mut model, admin) = world();
        let err = update(&mut model, &admin, &request("globex.webex.com", vec![])).unwrap_err();
        assert!(matches!(err, Error::NotFound(_)));
    }

    #[test]
    fn mapped_sites_refuse_updates() {
        let (mut model, admin) = world();
        let mut req = request("example-mapped.webex.com", vec![]);
        req.person_id = Some(admin.person_id.clone());
        assert!(matches!(
            update(&mut model, &admin, &req),
            Err(Error::Conflict(_))
        ));
    }

    #[test]
    fn get_defaults_to_the_callers_preferred_site() {
        let (model, admin) = world();
        let req = GetRequest {
            site_url: None,
            person_id: None,
            email: Some("JOHN.ANDERSEN@example.com".into()),
        };
        let out = get(&model, &admin, &req).unwrap();
        assert_eq!(out.site_url, "example.webex.com");
        assert_eq!(out.person_id, JOHN);
    }
}
