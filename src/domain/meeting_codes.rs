//! List Meeting Tracking Codes: what a host may use on a service's scheduler page, with the
//! host's own value merged into each code's options as the default.

use serde::Serialize;

use super::access::{Caller, Need};
use super::lookup;
use super::model::{site_key, CodeOption, InputMode, Model, ScheduleType, Service};
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MeetingCodeList {
    pub items: Vec<MeetingCode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeetingCode {
    pub id: String,
    pub name: String,
    pub site_url: String,
    pub options: Vec<CodeOption>,
    pub input_mode: InputMode,
    pub service: Service,
    #[serde(rename = "type")]
    pub kind: ScheduleType,
}

/// The codes of the site for `service`, seen by the host (the caller, or with `host_email`
/// a user an admin names). Without `site_url`, the host's preferred site.
pub fn list(
    model: &Model,
    caller: &Caller,
    service: Option<&str>,
    site_url: Option<&str>,
    host_email: Option<&str>,
) -> Result<MeetingCodeList> {
    let service = parse_service(service)?;
    let host = match host_email {
        Some(email) => {
            caller.require(Need::AdminScheduleRead)?;
            lookup::person_by_email(model, caller, email)?
        }
        None => lookup::person_by_id(model, caller, &caller.person_id)?,
    };
    let site = match site_url {
        Some(url) => lookup::site(model, caller, url)?,
        None => host
            .preferred_site
            .as_deref()
            .and_then(|key| model.sites.get(key))
            .ok_or_else(|| {
                Error::bad_request("'siteUrl' cannot be empty: the host has no preferred site")
            })?,
    };
    lookup::check_access(host, site)?;
    let key = site_key(&site.url);
    let values = model.user_values(&key, &host.id);
    let items = model
        .site_codes(&key)
        .map(|codes| codes.by_id.values())
        .into_iter()
        .flatten()
        .map(|code| {
            let kind = code
                .schedule_start_codes
                .iter()
                .find(|c| c.service == service)
                .map_or(ScheduleType::NotUsed, |c| c.kind);
            MeetingCode {
                id: code.id.to_string(),
                name: code.name.clone(),
                site_url: site.url.clone(),
                options: merge(&code.options, values.and_then(|v| v.get(&code.id))),
                input_mode: code.input_mode,
                service,
                kind,
            }
        })
        .collect();
    Ok(MeetingCodeList { items })
}

/// With no user value, the site's options as they are. With one, it becomes the only
/// default: the matching option is marked, or the value is added as a new default option.
pub fn merge(options: &[CodeOption], user_value: Option<&String>) -> Vec<CodeOption> {
    let Some(value) = user_value else {
        return options.to_vec();
    };
    let mut merged: Vec<CodeOption> = options
        .iter()
        .map(|o| CodeOption {
            value: o.value.clone(),
            default_value: o.value == *value,
        })
        .collect();
    if !merged.iter().any(|o| o.default_value) {
        merged.push(CodeOption {
            value: value.clone(),
            default_value: true,
        });
    }
    merged
}

fn parse_service(service: Option<&str>) -> Result<Service> {
    let Some(name) = service.map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(Error::bad_request("'service' cannot be empty"));
    };
    Service::EVERY
        .into_iter()
        .find(|s| format!("{s:?}").eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            Error::bad_request(format!(
                "'service' must be one of All, MeetingCenter, EventCenter, TrainingCenter, SupportCenter, not '{name}'."
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(value: &str, default_value: bool) -> CodeOption {
        CodeOption {
            value: value.into(),
            default_value,
        }
    }

    #[test]
    fn a_user_value_becomes_the_only_default() {
        let site = [opt("Sales", false), opt("Engineering", true)];
        assert_eq!(merge(&site, None), site.to_vec());
        assert_eq!(
            merge(&site, Some(&"Sales".to_string())),
            vec![opt("Sales", true), opt("Engineering", false)]
        );
        assert_eq!(
            merge(&site, Some(&"Apollo".to_string())),
            vec![
                opt("Sales", false),
                opt("Engineering", false),
                opt("Apollo", true)
            ]
        );
    }
}
