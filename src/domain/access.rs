//! Who is calling and what they may do: tokens, roles and scopes.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::model::Model;
use crate::error::{Error, Result};

/// Role of an org's full administrator: may read and change everything.
pub const ROLE_FULL_ADMIN: &str = "id_full_admin";
/// Role of a read-only administrator: may read admin data, never change it.
pub const ROLE_READONLY_ADMIN: &str = "id_readonly_admin";
/// Role of a meetings (site) administrator: may read and change meeting settings.
pub const ROLE_MEETING_ADMIN: &str = "id_meeting_admin";

pub const SCOPE_ADMIN_SCHEDULE_READ: &str = "meeting:admin_schedule_read";
pub const SCOPE_ADMIN_SCHEDULE_WRITE: &str = "meeting:admin_schedule_write";

/// The caller of a request, resolved from its token. Owned, so it can be used after the
/// lock on the model is released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub person_id: String,
    pub org_id: String,
    pub roles: Arc<[String]>,
    pub scopes: Arc<BTreeSet<String>>,
    /// Key of the caller's preferred site, used when a read leaves `siteUrl` out.
    pub preferred_site: Option<String>,
}

/// What an operation needs of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Admin reads of meeting configuration (tracking codes).
    AdminScheduleRead,
    /// Admin changes of meeting configuration.
    AdminScheduleWrite,
    /// Reading people (any user may, within their org).
    PeopleRead,
    /// Reading one's own meeting preferences (the site list).
    PreferencesRead,
    /// Reading another user's meeting preferences.
    AdminPreferencesRead,
    /// A host reading what they may use to schedule meetings.
    SchedulesRead,
}

pub const SCOPE_PEOPLE_READ: &str = "spark:people_read";
pub const SCOPE_ADMIN_PEOPLE_READ: &str = "spark-admin:people_read";
pub const SCOPE_PREFERENCES_READ: &str = "meeting:preferences_read";
pub const SCOPE_ADMIN_PREFERENCES_READ: &str = "meeting:admin_preferences_read";
pub const SCOPE_SCHEDULES_READ: &str = "meeting:schedules_read";

const READING_ADMINS: &[&str] = &[ROLE_FULL_ADMIN, ROLE_MEETING_ADMIN, ROLE_READONLY_ADMIN];
const WRITING_ADMINS: &[&str] = &[ROLE_FULL_ADMIN, ROLE_MEETING_ADMIN];

impl Need {
    /// The roles of which the caller needs one (`None`: any user), and the scopes of which
    /// the token needs one.
    fn requirements(self) -> (Option<&'static [&'static str]>, &'static [&'static str]) {
        match self {
            Need::AdminScheduleRead => (Some(READING_ADMINS), &[SCOPE_ADMIN_SCHEDULE_READ]),
            Need::AdminScheduleWrite => (Some(WRITING_ADMINS), &[SCOPE_ADMIN_SCHEDULE_WRITE]),
            Need::PeopleRead => (None, &[SCOPE_PEOPLE_READ, SCOPE_ADMIN_PEOPLE_READ]),
            Need::PreferencesRead => (
                None,
                &[SCOPE_PREFERENCES_READ, SCOPE_ADMIN_PREFERENCES_READ],
            ),
            Need::AdminPreferencesRead => (Some(READING_ADMINS), &[SCOPE_ADMIN_PREFERENCES_READ]),
            Need::SchedulesRead => (None, &[SCOPE_SCHEDULES_READ, SCOPE_ADMIN_SCHEDULE_READ]),
        }
    }
}

impl Caller {
    /// 403 unless the caller has a fitting role (where one is needed) and one of the scopes.
    pub fn require(&self, need: Need) -> Result<()> {
        if self.may(need) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    pub fn may(&self, need: Need) -> bool {
        let (roles, scopes) = need.requirements();
        let has_role =
            roles.is_none_or(|roles| self.roles.iter().any(|r| roles.contains(&r.as_str())));
        has_role && scopes.iter().any(|s| self.scopes.contains(*s))
    }

    /// Whether the caller is an administrator of their org (sees admin-only fields).
    pub fn is_admin(&self) -> bool {
        self.roles
            .iter()
            .any(|r| READING_ADMINS.contains(&r.as_str()))
    }
}

impl Model {
    /// 401 for a token nobody holds.
    pub fn authenticate(&self, token: &str) -> Result<Caller> {
        let t = self.tokens.get(token).ok_or(Error::Unauthorized)?;
        let person = self.person(&t.person_id).ok_or(Error::Unauthorized)?;
        Ok(Caller {
            person_id: person.id.clone(),
            org_id: person.org_id.clone(),
            roles: Arc::clone(&person.roles),
            scopes: Arc::clone(&t.scopes),
            preferred_site: person.preferred_site.clone(),
        })
    }

    /// The default admin token: the first token of the seed whose holder may change
    /// tracking codes. Printed at start so a newcomer can call the API at once.
    pub fn default_admin_token(&self) -> Option<&str> {
        self.token_order
            .iter()
            .find(|t| {
                self.authenticate(t)
                    .is_ok_and(|c| c.require(Need::AdminScheduleWrite).is_ok())
            })
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(roles: &[&str], scopes: &[&str]) -> Caller {
        Caller {
            person_id: "p".into(),
            org_id: "o".into(),
            roles: roles.iter().map(|s| s.to_string()).collect(),
            scopes: Arc::new(scopes.iter().map(|s| s.to_string()).collect()),
            preferred_site: None,
        }
    }

    #[test]
    fn writes_need_a_writing_admin_role_and_the_write_scope() {
        let admin = caller(&[ROLE_FULL_ADMIN], &[SCOPE_ADMIN_SCHEDULE_WRITE]);
        assert_eq!(admin.require(Need::AdminScheduleWrite), Ok(()));
        let readonly = caller(&[ROLE_READONLY_ADMIN], &[SCOPE_ADMIN_SCHEDULE_WRITE]);
        assert_eq!(
            readonly.require(Need::AdminScheduleWrite),
            Err(Error::Forbidden)
        );
        let no_scope = caller(&[ROLE_FULL_ADMIN], &[SCOPE_ADMIN_SCHEDULE_READ]);
        assert_eq!(
            no_scope.require(Need::AdminScheduleWrite),
            Err(Error::Forbidden)
        );
        let user = caller(&[], &[SCOPE_ADMIN_SCHEDULE_WRITE]);
        assert_eq!(
            user.require(Need::AdminScheduleWrite),
            Err(Error::Forbidden)
        );
    }

    #[test]
    fn reads_accept_the_read_only_admin() {
        let readonly = caller(&[ROLE_READONLY_ADMIN], &[SCOPE_ADMIN_SCHEDULE_READ]);
        assert_eq!(readonly.require(Need::AdminScheduleRead), Ok(()));
        let write_only = caller(&[ROLE_FULL_ADMIN], &[SCOPE_ADMIN_SCHEDULE_WRITE]);
        assert_eq!(
            write_only.require(Need::AdminScheduleRead),
            Err(Error::Forbidden)
        );
    }
}
