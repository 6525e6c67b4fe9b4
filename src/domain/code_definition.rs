//! Rules for site-level tracking code definitions.
//!
//! Used by Create and Update a Tracking Code and when a seed is loaded, so a seed can hold
//! nothing the API would refuse. The rules that need the site are apart ([`check_for_site`])
//! so that a request's shape is judged before its site is looked up.

use std::collections::HashSet;

use super::model::{
    CodeOption, HostProfileCode, InputMode, Management, ScheduleStartCode, ScheduleType, Service,
    Site,
};
use super::text;

/// Webex accepts at most 500 options per code.
pub const MAX_OPTIONS: usize = 500;
/// One entry per service at most.
pub const MAX_SCHEDULE_START_CODES: usize = 5;

/// A code definition as given by a caller, before the rules complete it.
#[derive(Debug, Clone)]
pub struct Definition<'a> {
    pub name: Option<&'a str>,
    pub input_mode: InputMode,
    pub host_profile_code: HostProfileCode,
    pub options: &'a [CodeOption],
    pub schedule_start_codes: Option<&'a [ScheduleStartCode]>,
}

/// A definition that passed every rule: the name and the completed `scheduleStartCodes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub name: String,
    pub schedule_start_codes: Vec<ScheduleStartCode>,
}

/// Checks a definition on its own; every problem found is returned, each as a description
/// whose field names are relative to the definition (`options[2].value`).
pub fn check(def: &Definition<'_>) -> Result<Checked, Vec<String>> {
    let mut problems = Vec::new();
    let name = match text::check(def.name) {
        Ok(name) => name.to_owned(),
        Err(p) => {
            problems.push(p.describe("name"));
            String::new()
        }
    };
    check_options(def, &mut problems);
    let given = def.schedule_start_codes.unwrap_or_default();
    check_schedule_types(def, given, &mut problems);
    if problems.is_empty() {
        // A host profile select code is used on no scheduler or start page: every given
        // type is `notUsed` (checked above) and so is `All`, which `complete` would
        // otherwise make `notApplicable` when it is left out. The stored list then obeys
        // the rule itself, so a client can send back what it read.
        let schedule_start_codes = if def.input_mode == InputMode::HostProfileSelect {
            complete(&[ScheduleStartCode {
                service: Service::All,
                kind: ScheduleType::NotUsed,
            }])
        } else {
            complete(given)
        };
        Ok(Checked {
            name,
            schedule_start_codes,
        })
    } else {
        Err(problems)
    }
}

/// The rule that depends on the site: `hostProfileCode: required` only on a Site Admin
/// managed site.
pub fn check_for_site(site: &Site, host_profile_code: HostProfileCode) -> Result<(), String> {
    if host_profile_code == HostProfileCode::Required && site.management != Management::SiteAdmin {
        Err(format!(
            "'hostProfileCode' of 'required' is only allowed for a Site Admin managed site, and '{}' is managed in Control Hub.",
            site.url
        ))
    } else {
        Ok(())
    }
}

fn check_options(def: &Definition<'_>, problems: &mut Vec<String>) {
    if def.options.len() > MAX_OPTIONS {
        problems.push(format!(
            "The maximum size of 'options' is {MAX_OPTIONS} ({} given)",
            def.options.len()
        ));
    }
    if def.input_mode.restricts_values() && def.options.is_empty() {
        problems.push(format!(
            "'options' cannot be empty when 'inputMode' is '{}'",
            input_mode_name(def.input_mode)
        ));
    }
    let mut seen = HashSet::new();
    for (i, option) in def.options.iter().enumerate() {
        if let Err(p) = text::check(Some(&option.value)) {
            problems.push(p.describe(&format!("options[{i}].value")));
        } else if !seen.insert(option.value.as_str()) {
            problems.push(format!(
                "'options[{i}].value' repeats the option '{}'",
                option.value
            ));
        }
    }
    let defaults = def.options.iter().filter(|o| o.default_value).count();
    if defaults > 1 {
        problems.push(format!(
            "At most one option can be the default ({defaults} have 'defaultValue' true)"
        ));
    }
}

fn check_schedule_types(
    def: &Definition<'_>,
    given: &[ScheduleStartCode],
    problems: &mut Vec<String>,
) {
    if given.len() > MAX_SCHEDULE_START_CODES {
        problems.push(format!(
            "The maximum size of 'scheduleStartCodes' is {MAX_SCHEDULE_START_CODES} ({} given)",
            given.len()
        ));
    }
    let mut seen = HashSet::new();
    for (i, code) in given.iter().enumerate() {
        if !seen.insert(code.service) {
            problems.push(format!(
                "'scheduleStartCodes[{i}].service' repeats the service '{:?}'",
                code.service
            ));
        }
        let allowed: &[ScheduleType] = if def.host_profile_code == HostProfileCode::AdminSet {
            &[
                ScheduleType::AdminSet,
                ScheduleType::NotUsed,
                ScheduleType::NotApplicable,
            ]
        } else {
            &[
                ScheduleType::Optional,
                ScheduleType::Required,
                ScheduleType::NotUsed,
                ScheduleType::NotApplicable,
            ]
        };
        if !allowed.contains(&code.kind) {
            problems.push(format!(
                "'scheduleStartCodes[{i}].type' of '{}' is not allowed when 'hostProfileCode' is '{}'",
                schedule_type_name(code.kind),
                host_profile_name(def.host_profile_code)
            ));
        }
        if code.kind == ScheduleType::NotApplicable && code.service != Service::All {
            problems.push(format!(
                "'scheduleStartCodes[{i}].type' of 'notApplicable' only applies to the service 'All'"
            ));
        }
        if def.input_mode == InputMode::HostProfileSelect && code.kind != ScheduleType::NotUsed {
            problems.push(format!(
                "'scheduleStartCodes[{i}].type' must be 'notUsed' when 'inputMode' is 'hostProfileSelect'"
            ));
        }
    }
    if let Some(all) = given.iter().find(|c| c.service == Service::All) {
        if all.kind != ScheduleType::NotApplicable {
            for (i, code) in given.iter().enumerate() {
                if code.service != Service::All && code.kind != all.kind {
                    problems.push(format!(
                        "'scheduleStartCodes[{i}].type' must be '{}', the type of the service 'All'",
                        schedule_type_name(all.kind)
                    ));
                }
            }
        }
    }
}

/// The completed list, all five services in order: a missing service takes the type of
/// `All` unless that is `notApplicable` or absent, when it is `notUsed`; a missing `All` is
/// `notApplicable` (the services may differ).
pub fn complete(given: &[ScheduleStartCode]) -> Vec<ScheduleStartCode> {
    let all = given
        .iter()
        .find(|c| c.service == Service::All)
        .map(|c| c.kind)
        .unwrap_or(ScheduleType::NotApplicable);
    let fill = if all == ScheduleType::NotApplicable {
        ScheduleType::NotUsed
    } else {
        all
    };
    Service::EVERY
        .iter()
        .map(|&service| {
            let kind = if service == Service::All {
                all
            } else {
                given
                    .iter()
                    .find(|c| c.service == service)
                    .map_or(fill, |c| c.kind)
            };
            ScheduleStartCode { service, kind }
        })
        .collect()
}

fn input_mode_name(mode: InputMode) -> &'static str {
    match mode {
        InputMode::Text => "text",
        InputMode::Select => "select",
        InputMode::EditableSelect => "editableSelect",
        InputMode::HostProfileSelect => "hostProfileSelect",
    }
}

fn host_profile_name(code: HostProfileCode) -> &'static str {
    match code {
        HostProfileCode::Optional => "optional",
        HostProfileCode::Required => "required",
        HostProfileCode::AdminSet => "adminSet",
        HostProfileCode::NotUsed => "notUsed",
    }
}

fn schedule_type_name(kind: ScheduleType) -> &'static str {
    match kind {
        ScheduleType::Optional => "optional",
        ScheduleType::Required => "required",
        ScheduleType::AdminSet => "adminSet",
        ScheduleType::NotUsed => "notUsed",
        ScheduleType::NotApplicable => "notApplicable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::Mapping;

    fn site(management: Management) -> Site {
        Site {
            url: "example.webex.com".into(),
            org_id: "org".into(),
            management,
            mapping: Mapping::None,
        }
    }

    fn ssc(service: Service, kind: ScheduleType) -> ScheduleStartCode {
        ScheduleStartCode { service, kind }
    }

    fn opt(value: &str, default_value: bool) -> CodeOption {
        CodeOption {
            value: value.into(),
            default_value,
        }
    }

    fn def<'a>(
        mode: InputMode,
        host: HostProfileCode,
        options: &'a [CodeOption],
        codes: Option<&'a [ScheduleStartCode]>,
    ) -> Definition<'a> {
        Definition {
            name: Some("Department"),
            input_mode: mode,
            host_profile_code: host,
            options,
            schedule_start_codes: codes,
        }
    }

    #[test]
    fn all_fills_missing_services() {
        let given = [ssc(Service::All, ScheduleType::Required)];
        let done = complete(&given);
        assert_eq!(done.len(), 5);
        assert!(done.iter().all(|c| c.kind == ScheduleType::Required));
    }

    #[test]
    fn without_all_missing_services_are_not_used() {
        let given = [ssc(Service::EventCenter, ScheduleType::Optional)];
        let done = complete(&given);
        assert_eq!(done[0], ssc(Service::All, ScheduleType::NotApplicable));
        assert_eq!(done[1], ssc(Service::MeetingCenter, ScheduleType::NotUsed));
        assert_eq!(done[2], ssc(Service::EventCenter, ScheduleType::Optional));
    }

    #[test]
    fn a_service_must_agree_with_all() {
        let given = [
            ssc(Service::All, ScheduleType::Optional),
            ssc(Service::EventCenter, ScheduleType::Required),
        ];
        let d = def(
            InputMode::Text,
            HostProfileCode::Optional,
            &[],
            Some(&given),
        );
        let problems = check(&d).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("scheduleStartCodes[1].type"));
    }

    #[test]
    fn required_host_profile_only_on_site_admin_sites() {
        let control_hub = site(Management::ControlHub);
        assert!(check_for_site(&control_hub, HostProfileCode::Required).is_err());
        assert!(check_for_site(&control_hub, HostProfileCode::Optional).is_ok());
        assert!(check_for_site(&site(Management::SiteAdmin), HostProfileCode::Required).is_ok());
        let d = def(InputMode::Text, HostProfileCode::Required, &[], None);
        assert!(check(&d).is_ok(), "the definition alone is fine");
    }

    #[test]
    fn admin_set_allows_only_its_types() {
        let ok = [ssc(Service::All, ScheduleType::AdminSet)];
        let d = def(InputMode::Text, HostProfileCode::AdminSet, &[], Some(&ok));
        assert!(check(&d).is_ok());
        let bad = [ssc(Service::All, ScheduleType::Optional)];
        let d = def(InputMode::Text, HostProfileCode::AdminSet, &[], Some(&bad));
        assert!(check(&d).is_err());
        let d = def(InputMode::Text, HostProfileCode::Optional, &[], Some(&ok));
        assert!(check(&d).is_err());
    }

    #[test]
    fn host_profile_select_needs_not_used_schedule_codes() {
        let opts = [opt("AMER", true)];
        let used = [ssc(Service::MeetingCenter, ScheduleType::Optional)];
        let d = def(
            InputMode::HostProfileSelect,
            HostProfileCode::Optional,
            &opts,
            Some(&used),
        );
        assert!(check(&d).is_err());
        let d = def(
            InputMode::HostProfileSelect,
            HostProfileCode::Optional,
            &opts,
            None,
        );
        let checked = check(&d).unwrap();
        assert!(
            checked
                .schedule_start_codes
                .iter()
                .all(|c| c.kind == ScheduleType::NotUsed),
            "all five, `All` included, are notUsed so the code can be sent back as read"
        );
        let some = [ssc(Service::EventCenter, ScheduleType::NotUsed)];
        let d = def(
            InputMode::HostProfileSelect,
            HostProfileCode::Optional,
            &opts,
            Some(&some),
        );
        let again = check(&d).unwrap();
        assert_eq!(again.schedule_start_codes, checked.schedule_start_codes);
        let d = def(
            InputMode::HostProfileSelect,
            HostProfileCode::Optional,
            &opts,
            Some(&checked.schedule_start_codes),
        );
        assert!(check(&d).is_ok());
    }

    #[test]
    fn options_rules() {
        let two_defaults = [opt("a", true), opt("b", true)];
        let d = def(
            InputMode::Select,
            HostProfileCode::Optional,
            &two_defaults,
            None,
        );
        assert!(check(&d).is_err());
        let too_many: Vec<_> = (0..=MAX_OPTIONS)
            .map(|i| opt(&i.to_string(), false))
            .collect();
        let d = def(
            InputMode::Select,
            HostProfileCode::Optional,
            &too_many,
            None,
        );
        assert!(check(&d).is_err());
        let d = def(InputMode::Select, HostProfileCode::Optional, &[], None);
        assert!(check(&d).is_err());
    }
}
