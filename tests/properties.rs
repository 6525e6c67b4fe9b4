//! Property tests of the domain rules: any sequence of valid and invalid operations on the
//! built-in seed keeps the model's invariants (see `support/invariants.rs`), a failed
//! operation changes nothing, and each successful one does what its rule says.
//!
//! 64 sequences of up to 20 operations by default, a few seconds; `PROPTEST_CASES=N` runs N.

#[path = "support/invariants.rs"]
mod invariants;

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};

use webex_emulator::domain::access::{Caller, Need};
use webex_emulator::domain::model::{
    site_key, HostProfileCode, InputMode, Mapping, Model, ScheduleStartCode, ScheduleType, Service,
};
use webex_emulator::domain::seed;
use webex_emulator::domain::site_codes::{self, CodeInput, OptionInput};
use webex_emulator::domain::text;
use webex_emulator::domain::user_codes::{self, GetRequest, UpdateItem, UpdateRequest};
use webex_emulator::error::Error;

// ---------------------------------------------------------------------------------------
// What the generator picks. Choices that refer to the model (a site, a person, a code, an
// option) are indexes resolved against the model as it is when the operation runs, so a
// sequence keeps naming things that exist after earlier operations changed them.

/// Who calls: the seed's tokens.
#[derive(Debug, Clone, Copy)]
enum Who {
    Admin,
    ReadOnlyAdmin,
    OtherOrgAdmin,
    User,
    AdminWithoutScopes,
}

impl Who {
    fn token(self) -> &'static str {
        match self {
            Who::Admin => "webex-emulator-admin",
            Who::ReadOnlyAdmin => "webex-emulator-readonly-admin",
            Who::OtherOrgAdmin => "webex-emulator-org2-admin",
            Who::User => "webex-emulator-user",
            Who::AdminWithoutScopes => "webex-emulator-admin-no-scopes",
        }
    }
}

/// How a name, URL or email is spelled compared to the stored one.
#[derive(Debug, Clone, Copy)]
enum Spelling {
    Exact,
    Upper,
    Lower,
    /// Each character lowercased on its own (differs from `Lower` for a final sigma).
    CharLower,
    Alternating,
    Padded,
}

fn spell(text: &str, how: Spelling) -> String {
    match how {
        Spelling::Exact => text.to_owned(),
        Spelling::Upper => text.to_uppercase(),
        Spelling::Lower => text.to_lowercase(),
        Spelling::CharLower => text.chars().flat_map(char::to_lowercase).collect(),
        Spelling::Alternating => text
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let s: String = if i % 2 == 0 {
                    c.to_uppercase().collect()
                } else {
                    c.to_lowercase().collect()
                };
                s.chars().collect::<Vec<_>>()
            })
            .collect(),
        Spelling::Padded => format!(" {text} "),
    }
}

#[derive(Debug, Clone)]
enum SiteSel {
    /// One of the seed's sites (any org, mapped or not).
    Known(Index, Spelling),
    /// A site of the caller's org that is not mapped, when there is one.
    Usable(Index, Spelling),
    Unknown,
    Blank,
    Missing,
}

#[derive(Debug, Clone)]
enum PersonSel {
    /// Someone who may use the operation's site, by id or (when `true`) by email.
    WithAccess(Index, bool),
    Id(Index),
    Email(Index, Spelling),
    /// Both given: the id wins.
    IdAndEmail(Index, Index),
    UnknownId,
    UnknownEmail,
    Neither,
    Blank,
}

#[derive(Debug, Clone)]
enum NameSel {
    /// A code of the operation's site (or, when it has none, of any site).
    Code(Index, Spelling),
    /// A name from a small pool, so that names collide across operations.
    Pool(Index),
    Random(String),
    Empty,
    Blank,
    Missing,
    /// That many characters.
    Long(usize),
}

/// Names that collide with each other or with the seed's regardless of case, and names
/// whose case folds differently character by character and as a whole.
const NAME_POOL: &[&str] = &[
    "Department",
    "DEPARTMENT",
    "project",
    "Region",
    "New Code",
    "new code",
    "Straße",
    "STRASSE",
    "ΟΔΟΣ",
    "οδοσ",
    "οδος",
    "İstanbul",
    "\u{212A}elvin",
    "kelvin",
    "ǅungla",
    "日本",
];

#[derive(Debug, Clone)]
enum ValueSel {
    /// An option of the item's code (when it has options).
    OptionOfCode(Index),
    /// An option of any code of the model: right or wrong for this one.
    AnyOption(Index),
    Pool(Index),
    /// A value from the pool that new codes' options are made of.
    OptionPool(Index),
    Random(String),
    Empty,
    Blank,
    Missing,
    Long(usize),
}

/// What new codes' options are made of: so that users' values and options meet.
const OPTION_POOL: &[&str] = &[
    "Sales",
    "Apollo",
    "AMER",
    "EMEA",
    "Gemini",
    "CC-1001",
    "Part-time",
    "日本",
];

const VALUE_POOL: &[&str] = &[
    "Sales",
    "sales",
    "Engineering",
    "AMER",
    "CC-1001",
    "Apollo",
    "Astrology",
    "Full-time",
    "Research",
    " x ",
];

#[derive(Debug, Clone)]
struct ItemSpec {
    name: NameSel,
    value: ValueSel,
}

#[derive(Debug, Clone)]
struct OptSpec {
    value: ValueSel,
    default_value: Option<bool>,
}

#[derive(Debug, Clone)]
struct DefSpec {
    name: NameSel,
    input_mode: Option<InputMode>,
    host_profile_code: Option<HostProfileCode>,
    options: Option<Vec<OptSpec>>,
    schedule_start_codes: Option<Vec<(Service, ScheduleType)>>,
}

#[derive(Debug, Clone)]
enum IdSel {
    /// The id of one of the site's codes.
    Existing(Index),
    Raw(&'static str),
}

const RAW_IDS: &[&str] = &[
    "0",
    "1",
    "01",
    "+1",
    "-1",
    "7",
    "999",
    "abc",
    "",
    " 1",
    "18446744073709551615",
    "18446744073709551616",
];

#[derive(Debug, Clone)]
enum Op {
    UpdateUser {
        who: Who,
        site: SiteSel,
        person: PersonSel,
        items: Option<Vec<ItemSpec>>,
    },
    GetUser {
        who: Who,
        site: SiteSel,
        person: PersonSel,
    },
    Create {
        who: Who,
        site: SiteSel,
        def: DefSpec,
    },
    UpdateCode {
        who: Who,
        site: SiteSel,
        id: IdSel,
        def: DefSpec,
    },
    Delete {
        who: Who,
        site: SiteSel,
        id: IdSel,
    },
    List {
        who: Who,
        site: SiteSel,
    },
}

// ---------------------------------------------------------------------------------------
// Strategies.

fn who() -> BoxedStrategy<Who> {
    prop_oneof![
        30 => Just(Who::Admin),
        2 => Just(Who::ReadOnlyAdmin),
        2 => Just(Who::OtherOrgAdmin),
        1 => Just(Who::User),
        1 => Just(Who::AdminWithoutScopes),
    ]
    .boxed()
}

fn spelling() -> BoxedStrategy<Spelling> {
    prop_oneof![
        16 => Just(Spelling::Exact),
        1 => Just(Spelling::Upper),
        1 => Just(Spelling::Lower),
        1 => Just(Spelling::CharLower),
        1 => Just(Spelling::Alternating),
        1 => Just(Spelling::Padded),
    ]
    .boxed()
}

fn site() -> BoxedStrategy<SiteSel> {
    prop_oneof![
        4 => (any::<Index>(), spelling()).prop_map(|(i, s)| SiteSel::Known(i, s)),
        12 => (any::<Index>(), spelling()).prop_map(|(i, s)| SiteSel::Usable(i, s)),
        1 => Just(SiteSel::Unknown),
        1 => Just(SiteSel::Blank),
        1 => Just(SiteSel::Missing),
    ]
    .boxed()
}

fn person() -> BoxedStrategy<PersonSel> {
    prop_oneof![
        16 => (any::<Index>(), any::<bool>()).prop_map(|(i, e)| PersonSel::WithAccess(i, e)),
        4 => any::<Index>().prop_map(PersonSel::Id),
        2 => (any::<Index>(), spelling()).prop_map(|(i, s)| PersonSel::Email(i, s)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| PersonSel::IdAndEmail(a, b)),
        1 => Just(PersonSel::UnknownId),
        1 => Just(PersonSel::UnknownEmail),
        1 => Just(PersonSel::Neither),
        1 => Just(PersonSel::Blank),
    ]
    .boxed()
}

fn long() -> BoxedStrategy<usize> {
    prop_oneof![Just(119), Just(120), Just(121), Just(500)].boxed()
}

fn name() -> BoxedStrategy<NameSel> {
    prop_oneof![
        30 => (any::<Index>(), spelling()).prop_map(|(i, s)| NameSel::Code(i, s)),
        4 => any::<Index>().prop_map(NameSel::Pool),
        2 => "[A-Za-z0-9 éß-]{1,12}".prop_map(NameSel::Random),
        1 => Just(NameSel::Empty),
        1 => Just(NameSel::Blank),
        1 => Just(NameSel::Missing),
        1 => long().prop_map(NameSel::Long),
    ]
    .boxed()
}

fn value() -> BoxedStrategy<ValueSel> {
    prop_oneof![
        30 => any::<Index>().prop_map(ValueSel::OptionOfCode),
        3 => any::<Index>().prop_map(ValueSel::AnyOption),
        3 => any::<Index>().prop_map(ValueSel::OptionPool),
        3 => any::<Index>().prop_map(ValueSel::Pool),
        2 => "[A-Za-z0-9 é日-]{1,10}".prop_map(ValueSel::Random),
        1 => Just(ValueSel::Empty),
        1 => Just(ValueSel::Blank),
        1 => Just(ValueSel::Missing),
        1 => long().prop_map(ValueSel::Long),
    ]
    .boxed()
}

fn item() -> BoxedStrategy<ItemSpec> {
    (name(), value())
        .prop_map(|(name, value)| ItemSpec { name, value })
        .boxed()
}

fn input_mode() -> BoxedStrategy<InputMode> {
    prop_oneof![
        Just(InputMode::Text),
        Just(InputMode::Select),
        Just(InputMode::EditableSelect),
        Just(InputMode::HostProfileSelect),
    ]
    .boxed()
}

fn host_profile_code() -> BoxedStrategy<HostProfileCode> {
    prop_oneof![
        Just(HostProfileCode::Optional),
        Just(HostProfileCode::Required),
        Just(HostProfileCode::AdminSet),
        Just(HostProfileCode::NotUsed),
    ]
    .boxed()
}

fn service() -> BoxedStrategy<Service> {
    prop::sample::select(Service::EVERY.to_vec()).boxed()
}

fn schedule_type() -> BoxedStrategy<ScheduleType> {
    prop_oneof![
        Just(ScheduleType::Optional),
        Just(ScheduleType::Required),
        Just(ScheduleType::AdminSet),
        Just(ScheduleType::NotUsed),
        Just(ScheduleType::NotApplicable),
    ]
    .boxed()
}

fn option_spec() -> BoxedStrategy<OptSpec> {
    let default_value = prop_oneof![
        6 => Just(None),
        6 => Just(Some(false)),
        1 => Just(Some(true)),
    ];
    let value = prop_oneof![
        12 => any::<Index>().prop_map(ValueSel::OptionPool),
        4 => value(),
    ];
    (value, default_value)
        .prop_map(|(value, default_value)| OptSpec {
            value,
            default_value,
        })
        .boxed()
}

/// A new code's name: mostly fresh, sometimes taken (in some case) or invalid.
fn code_name() -> BoxedStrategy<NameSel> {
    prop_oneof![
        6 => any::<Index>().prop_map(NameSel::Pool),
        6 => "[A-Za-z0-9 éß-]{1,12}".prop_map(NameSel::Random),
        4 => name(),
    ]
    .boxed()
}

fn definition() -> BoxedStrategy<DefSpec> {
    (
        code_name(),
        prop::option::weighted(0.97, input_mode()),
        prop::option::weighted(0.97, host_profile_code()),
        prop::option::weighted(0.9, prop::collection::vec(option_spec(), 0..4)),
        prop::option::weighted(
            0.4,
            prop::collection::vec((service(), schedule_type()), 0..4),
        ),
    )
        .prop_map(
            |(name, input_mode, host_profile_code, options, schedule_start_codes)| DefSpec {
                name,
                input_mode,
                host_profile_code,
                options,
                schedule_start_codes,
            },
        )
        .boxed()
}

fn code_id() -> BoxedStrategy<IdSel> {
    prop_oneof![
        4 => any::<Index>().prop_map(IdSel::Existing),
        1 => prop::sample::select(RAW_IDS).prop_map(IdSel::Raw),
    ]
    .boxed()
}

fn op() -> BoxedStrategy<Op> {
    prop_oneof![
        8 => (who(), site(), person(), prop::option::weighted(0.95, prop::collection::vec(item(), 0..4)))
            .prop_map(|(who, site, person, items)| Op::UpdateUser { who, site, person, items }),
        2 => (who(), site(), person()).prop_map(|(who, site, person)| Op::GetUser { who, site, person }),
        4 => (who(), site(), definition()).prop_map(|(who, site, def)| Op::Create { who, site, def }),
        4 => (who(), site(), code_id(), definition())
            .prop_map(|(who, site, id, def)| Op::UpdateCode { who, site, id, def }),
        2 => (who(), site(), code_id()).prop_map(|(who, site, id)| Op::Delete { who, site, id }),
        1 => (who(), site()).prop_map(|(who, site)| Op::List { who, site }),
    ].boxed()
}

// ---------------------------------------------------------------------------------------
// Resolving choices against the current model.

struct Ctx<'m> {
    model: &'m Model,
    caller: &'m Caller,
}

impl Ctx<'_> {
    fn site(&self, sel: &SiteSel) -> Option<String> {
        match sel {
            SiteSel::Known(i, how) => {
                let key = i.get(&self.model.site_order);
                Some(spell(&self.model.sites[key].url, *how))
            }
            SiteSel::Usable(i, how) => {
                let usable: Vec<&String> = self
                    .model
                    .site_order
                    .iter()
                    .filter(|key| {
                        let site = &self.model.sites[*key];
                        site.org_id == self.caller.org_id && site.mapping == Mapping::None
                    })
                    .collect();
                let key = if usable.is_empty() {
                    &self.model.site_order[0]
                } else {
                    i.get(&usable)
                };
                Some(spell(&self.model.sites[key].url, *how))
            }
            SiteSel::Unknown => Some("nowhere.webex.com".into()),
            SiteSel::Blank => Some("  ".into()),
            SiteSel::Missing => None,
        }
    }

    fn person(&self, sel: &PersonSel, site: Option<&str>) -> (Option<String>, Option<String>) {
        let people = &self.model.people;
        match sel {
            PersonSel::WithAccess(i, by_email) => {
                let key = site_key(site.unwrap_or_default());
                let with_access: Vec<_> = people.iter().filter(|p| p.can_use_site(&key)).collect();
                let p = if with_access.is_empty() {
                    &people[0]
                } else {
                    *i.get(&with_access)
                };
                if *by_email {
                    (None, Some(p.primary_email().to_owned()))
                } else {
                    (Some(p.id.clone()), None)
                }
            }
            PersonSel::Id(i) => (Some(i.get(people).id.clone()), None),
            PersonSel::Email(i, how) => (None, Some(spell(i.get(people).primary_email(), *how))),
            PersonSel::IdAndEmail(a, b) => (
                Some(a.get(people).id.clone()),
                Some(b.get(people).primary_email().to_owned()),
            ),
            PersonSel::UnknownId => (Some("nobody".into()), None),
            PersonSel::UnknownEmail => (None, Some("nobody@example.com".into())),
            PersonSel::Neither => (None, None),
            PersonSel::Blank => (Some(" ".into()), Some(String::new())),
        }
    }

    /// The codes an index picks from: the site's, or every code when it has none.
    fn code_names(&self, site: Option<&str>) -> Vec<(String, Vec<String>)> {
        let of_site = site
            .and_then(|s| self.model.site_codes(&site_key(s)))
            .map(|c| c.by_id.values().collect::<Vec<_>>())
            .unwrap_or_default();
        let codes = if of_site.is_empty() {
            self.model
                .codes
                .values()
                .flat_map(|c| c.by_id.values())
                .collect()
        } else {
            of_site
        };
        let mut out: Vec<(String, Vec<String>)> = codes
            .into_iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.options.iter().map(|o| o.value.clone()).collect(),
                )
            })
            .collect();
        // `codes` is a HashMap: sort so that an index means the same thing on every run.
        out.sort();
        out
    }

    fn all_options(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .model
            .codes
            .values()
            .flat_map(|c| c.by_id.values())
            .flat_map(|c| c.options.iter().map(|o| o.value.clone()))
            .collect();
        all.sort();
        all
    }

    /// The name, and the options of the code it was taken from (if any).
    fn name(&self, sel: &NameSel, site: Option<&str>) -> (Option<String>, Vec<String>) {
        match sel {
            NameSel::Code(i, how) => {
                let codes = self.code_names(site);
                if codes.is_empty() {
                    return (Some("Department".into()), Vec::new());
                }
                let (name, options) = i.get(&codes);
                (Some(spell(name, *how)), options.clone())
            }
            NameSel::Pool(i) => (Some(i.get(NAME_POOL).to_string()), Vec::new()),
            NameSel::Random(s) => (Some(s.clone()), Vec::new()),
            NameSel::Empty => (Some(String::new()), Vec::new()),
            NameSel::Blank => (Some(" \t".into()), Vec::new()),
            NameSel::Missing => (None, Vec::new()),
            NameSel::Long(n) => (Some("n".repeat(*n)), Vec::new()),
        }
    }

    fn value(&self, sel: &ValueSel, options: &[String]) -> Option<String> {
        match sel {
            ValueSel::OptionOfCode(i) if !options.is_empty() => Some(i.get(options).clone()),
            ValueSel::OptionOfCode(_) => Some("Apollo".into()),
            ValueSel::AnyOption(i) => {
                let all = self.all_options();
                Some(if all.is_empty() {
                    "Sales".into()
                } else {
                    i.get(&all).clone()
                })
            }
            ValueSel::Pool(i) => Some(i.get(VALUE_POOL).to_string()),
            ValueSel::OptionPool(i) => Some(i.get(OPTION_POOL).to_string()),
            ValueSel::Random(s) => Some(s.clone()),
            ValueSel::Empty => Some(String::new()),
            ValueSel::Blank => Some("   ".into()),
            ValueSel::Missing => None,
            ValueSel::Long(n) => Some("v".repeat(*n)),
        }
    }

    fn code_input(&self, site: Option<String>, def: &DefSpec) -> CodeInput {
        let (name, options_of_code) = self.name(&def.name, site.as_deref());
        CodeInput {
            name,
            input_mode: def.input_mode,
            host_profile_code: def.host_profile_code,
            options: def.options.as_ref().map(|opts| {
                opts.iter()
                    .map(|o| OptionInput {
                        value: self.value(&o.value, &options_of_code),
                        default_value: o.default_value,
                    })
                    .collect()
            }),
            schedule_start_codes: def.schedule_start_codes.as_ref().map(|codes| {
                codes
                    .iter()
                    .map(|&(service, kind)| ScheduleStartCode { service, kind })
                    .collect()
            }),
            site_url: site,
        }
    }

    fn code_id(&self, sel: &IdSel, site: Option<&str>) -> String {
        match sel {
            IdSel::Existing(i) => {
                let ids: Vec<u64> = site
                    .and_then(|s| self.model.site_codes(&site_key(s)))
                    .map(|c| c.by_id.keys().copied().collect())
                    .unwrap_or_default();
                if ids.is_empty() {
                    "1".into()
                } else {
                    i.get(&ids).to_string()
                }
            }
            IdSel::Raw(raw) => (*raw).to_owned(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Running one operation and checking what it did.

/// What the handler checks before it calls the domain: the caller's role and scope.
fn authorized(caller: &Caller, need: Need) -> Result<(), Error> {
    caller.require(need)
}

/// Runs `op` on `model`; checks the rule-specific outcome and returns whether it failed.
fn apply(model: &mut Model, op: &Op) -> Result<bool, TestCaseError> {
    let before = model.clone();
    let who = match op {
        Op::UpdateUser { who, .. }
        | Op::GetUser { who, .. }
        | Op::Create { who, .. }
        | Op::UpdateCode { who, .. }
        | Op::Delete { who, .. }
        | Op::List { who, .. } => *who,
    };
    let caller = model
        .authenticate(who.token())
        .map_err(|e| TestCaseError::fail(format!("{who:?} does not authenticate: {e}")))?;
    let ctx = Ctx {
        model: &before,
        caller: &caller,
    };
    let failed = match op {
        Op::UpdateUser {
            site,
            person,
            items,
            ..
        } => {
            let site_url = ctx.site(site);
            let (person_id, email) = ctx.person(person, site_url.as_deref());
            let items: Option<Vec<UpdateItem>> = items.as_ref().map(|items| {
                items
                    .iter()
                    .map(|it| {
                        let (name, options) = ctx.name(&it.name, site_url.as_deref());
                        UpdateItem {
                            value: ctx.value(&it.value, &options),
                            name,
                        }
                    })
                    .collect()
            });
            let req = UpdateRequest {
                site_url,
                person_id,
                email,
                tracking_codes: items,
            };
            let result = authorized(&caller, Need::AdminScheduleWrite)
                .and_then(|()| user_codes::update(model, &caller, &req));
            if let Ok(answer) = &result {
                check_user_update(&before, model, &req, answer)?;
            }
            result.is_err()
        }
        Op::GetUser { site, person, .. } => {
            let site_url = ctx.site(site);
            let (person_id, email) = ctx.person(person, site_url.as_deref());
            let req = GetRequest {
                site_url,
                person_id,
                email,
            };
            let result = authorized(&caller, Need::AdminScheduleRead)
                .and_then(|()| user_codes::get(model, &caller, &req));
            if let Ok(answer) = &result {
                let key = site_key(&answer.site_url);
                let values = model.user_values(&key, &answer.person_id);
                for code in &answer.tracking_codes {
                    let id: u64 = code.id.parse().unwrap_or(0);
                    prop_assert_eq!(values.and_then(|v| v.get(&id)), Some(&code.value));
                }
                prop_assert_eq!(answer.tracking_codes.len(), values.map_or(0, BTreeMap::len));
            }
            result.is_err()
        }
        Op::Create { site, def, .. } => {
            let input = ctx.code_input(ctx.site(site), def);
            let result = authorized(&caller, Need::AdminScheduleWrite)
                .and_then(|()| site_codes::create(model, &caller, &input));
            if let Ok(view) = &result {
                let key = site_key(&view.site_url);
                prop_assert_eq!(
                    model.sites[&key].mapping,
                    Mapping::None,
                    "a mapped site changed"
                );
                let was = before.site_codes(&key).cloned().unwrap_or_default();
                let now = &model.codes[&key];
                let id: u64 = view.id.parse().expect("ids are numbers");
                prop_assert_eq!(id, was.next_id.max(1), "a new code takes the next id");
                prop_assert!(!was.by_id.contains_key(&id), "a new id is unused");
                prop_assert_eq!(Some(&view.name), input.name.as_ref());
                prop_assert_eq!(now.by_id.len(), was.by_id.len() + 1);
                for (old_id, old) in &was.by_id {
                    prop_assert_eq!(now.by_id.get(old_id), Some(old), "others are kept");
                }
                prop_assert_eq!(&model.user_values, &before.user_values);
            }
            result.is_err()
        }
        Op::UpdateCode { site, id, def, .. } => {
            let site_url = ctx.site(site);
            let id = ctx.code_id(id, site_url.as_deref());
            let input = ctx.code_input(site_url, def);
            let result = authorized(&caller, Need::AdminScheduleWrite)
                .and_then(|()| site_codes::update(model, &caller, &id, &input));
            if let Ok(view) = &result {
                prop_assert_eq!(&view.id, &id);
                let key = site_key(&view.site_url);
                prop_assert_eq!(
                    model.sites[&key].mapping,
                    Mapping::None,
                    "a mapped site changed"
                );
                let (was, now) = (&before.codes[&key], &model.codes[&key]);
                prop_assert_eq!(was.next_id, now.next_id);
                prop_assert_eq!(
                    was.by_id.keys().collect::<Vec<_>>(),
                    now.by_id.keys().collect::<Vec<_>>()
                );
                let code_id: u64 = id.parse().expect("found ids are numbers");
                for ((site_of, person), values) in &before.user_values {
                    for (cid, value) in values {
                        let kept = model.user_values(site_of, person).and_then(|v| v.get(cid));
                        if *site_of != key || *cid != code_id {
                            prop_assert_eq!(kept, Some(value), "other values are kept");
                        } else if now.by_id[cid].allows_value(value) {
                            prop_assert_eq!(kept, Some(value), "allowed values are kept");
                        }
                    }
                }
            }
            result.is_err()
        }
        Op::Delete { site, id, .. } => {
            let site_url = ctx.site(site);
            let id = ctx.code_id(id, site_url.as_deref());
            let result = authorized(&caller, Need::AdminScheduleWrite)
                .and_then(|()| site_codes::delete(model, &caller, &id, site_url.as_deref()));
            if result.is_ok() {
                let key = site_key(site_url.as_deref().unwrap_or_default());
                let code_id: u64 = id.parse().expect("found ids are numbers");
                prop_assert_eq!(
                    model.sites[&key].mapping,
                    Mapping::None,
                    "a mapped site changed"
                );
                prop_assert!(before.codes[&key].by_id.contains_key(&code_id));
                prop_assert!(!model.codes[&key].by_id.contains_key(&code_id));
                prop_assert_eq!(
                    model.codes[&key].by_id.len() + 1,
                    before.codes[&key].by_id.len()
                );
                for ((site_of, _), values) in &model.user_values {
                    prop_assert!(*site_of != key || !values.contains_key(&code_id));
                }
            }
            result.is_err()
        }
        Op::List { site, .. } => {
            let site_url = ctx.site(site);
            let result = authorized(&caller, Need::AdminScheduleRead)
                .and_then(|()| site_codes::list(model, &caller, site_url.as_deref()));
            if let Ok(list) = &result {
                let ids: Vec<u64> = list
                    .items
                    .iter()
                    .map(|c| c.id.parse().unwrap_or(0))
                    .collect();
                prop_assert!(
                    ids.windows(2).all(|w| w[0] < w[1]),
                    "ordered by id: {:?}",
                    ids
                );
            }
            result.is_err()
        }
    };
    if failed {
        prop_assert!(*model == before, "a failed {:?} changed the model", op);
    }
    // Who may write: the full admins of the site's org, never on a mapped site.
    let writes = matches!(
        op,
        Op::UpdateUser { .. } | Op::Create { .. } | Op::UpdateCode { .. } | Op::Delete { .. }
    );
    if writes && !failed {
        prop_assert!(
            matches!(who, Who::Admin | Who::OtherOrgAdmin),
            "{:?} wrote",
            who
        );
    }
    if !writes {
        prop_assert!(*model == before, "a read changed the model");
    }
    Ok(failed)
}

/// An accepted update stored each item's value under its code, kept every other value, and
/// answered the person's values.
fn check_user_update(
    before: &Model,
    after: &Model,
    req: &UpdateRequest,
    answer: &user_codes::UserCodes,
) -> Result<(), TestCaseError> {
    let key = site_key(&answer.site_url);
    let site = &after.sites[&key];
    prop_assert!(
        site.mapping == Mapping::None,
        "a mapped site accepted an update"
    );
    let codes = &after.codes[&key];
    let items = req.tracking_codes.as_deref().unwrap_or_default();
    let mut named = Vec::new();
    for item in items {
        let name = item.name.as_deref().unwrap_or_default();
        let value = item.value.as_deref().unwrap_or_default();
        let code = codes
            .by_id
            .values()
            .find(|c| invariants::fold(&c.name) == invariants::fold(name));
        let Some(code) = code else {
            return Err(TestCaseError::fail(format!(
                "'{name}' was accepted but names no code"
            )));
        };
        prop_assert!(
            !named.contains(&code.id),
            "two items name the code '{}' and the update was accepted: {:?}",
            code.name,
            items
        );
        named.push(code.id);
        let stored = after
            .user_values(&key, &answer.person_id)
            .and_then(|v| v.get(&code.id));
        prop_assert_eq!(stored.map(String::as_str), Some(value));
    }
    for ((site_of, person), values) in &before.user_values {
        for (id, value) in values {
            if *site_of == key && *person == answer.person_id && named.contains(id) {
                continue;
            }
            prop_assert_eq!(
                after.user_values(site_of, person).and_then(|v| v.get(id)),
                Some(value),
                "an update lost a value it did not name"
            );
        }
    }
    let empty = BTreeMap::new();
    let values = after.user_values(&key, &answer.person_id).unwrap_or(&empty);
    prop_assert_eq!(answer.tracking_codes.len(), values.len());
    Ok(())
}

fn config() -> Config {
    let mut config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 64;
    }
    config
}

fn built_in() -> Model {
    seed::load(seed::BUILT_IN.as_bytes()).expect("the built-in seed loads")
}

/// How many operations of each kind ran and failed, printed after the run, to show that
/// the generator reaches both outcomes of every operation.
static STATS: std::sync::Mutex<BTreeMap<&'static str, (u64, u64)>> =
    std::sync::Mutex::new(BTreeMap::new());

fn kind(op: &Op) -> &'static str {
    match op {
        Op::UpdateUser { .. } => "update user codes",
        Op::GetUser { .. } => "get user codes",
        Op::Create { .. } => "create code",
        Op::UpdateCode { .. } => "update code",
        Op::Delete { .. } => "delete code",
        Op::List { .. } => "list codes",
    }
}

/// Any sequence of operations keeps every invariant after every step.
#[test]
fn any_sequence_keeps_the_invariants() {
    let started = std::time::Instant::now();
    let mut runner = TestRunner::new(config());
    let cases = runner.config().cases;
    let result = runner.run(&prop::collection::vec(op(), 1..=20), |ops| {
        let mut model = built_in();
        invariants::assert_whole(&model);
        for (step, op) in ops.iter().enumerate() {
            let failed = apply(&mut model, op)?;
            let problems = invariants::problems(&model);
            prop_assert!(
                problems.is_empty(),
                "after step {} ({:?}): {:#?}",
                step,
                op,
                problems
            );
            let mut stats = STATS.lock().unwrap_or_else(|e| e.into_inner());
            let entry = stats.entry(kind(op)).or_default();
            if failed {
                entry.1 += 1;
            } else {
                entry.0 += 1;
            }
        }
        Ok(())
    });
    eprintln!(
        "properties: {cases} sequences in {:.1} s; operations (succeeded, failed):",
        started.elapsed().as_secs_f64()
    );
    for (kind, (ok, failed)) in STATS.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        eprintln!("  {kind}: {ok}, {failed}");
    }
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Names whose case folds in unusual ways: Greek sigma (final 'ς'), 'ß', dotted 'İ', the
/// Kelvin sign, titlecase digraphs; and any other characters.
fn unusual_name() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "[ΣσςΟΔοδßẞİıi\u{212A}kKǅǄǆ A-Za-z]{1,8}",
        1 => "\\PC{1,8}",
    ]
    .prop_filter("a valid name", |n| text::check(Some(n)).is_ok())
    .boxed()
}

fn config_focused() -> Config {
    let mut config = config();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 512;
    }
    config
}

proptest! {
    #![proptest_config(config_focused())]

    /// Two spellings of one code's name in one update are the same code given twice: the
    /// update is refused (or, when a spelling names no code, refused as not found), never
    /// accepted with one value silently dropped.
    #[test]
    fn two_spellings_of_one_name_are_one_code(
        name in unusual_name(),
        first in spelling(),
        second in spelling(),
    ) {
        let mut model = built_in();
        let admin = admin(&model);
        prop_assume!(site_codes::create(&mut model, &admin, &code_named(&name)).is_ok());
        let before = model.clone();
        let req = UpdateRequest {
            site_url: Some("example.webex.com".into()),
            email: Some("john.andersen@example.com".into()),
            tracking_codes: Some(vec![
                named(&spell(&name, first), "a"),
                named(&spell(&name, second), "b"),
            ]),
            ..UpdateRequest::default()
        };
        let codes = &before.codes[&site_key("example.webex.com")];
        let find = |n: &str| codes.find_by_name(n).map(|c| c.id);
        let (a, b) = (find(&spell(&name, first)), find(&spell(&name, second)));
        let result = user_codes::update(&mut model, &admin, &req);
        if a.is_some() && a == b {
            prop_assert!(result.is_err(), "accepted: {:?}", req.tracking_codes);
        }
        if result.is_err() {
            prop_assert!(model == before);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Cases found by the properties, kept as plain tests.

fn admin(model: &Model) -> Caller {
    model.authenticate("webex-emulator-admin").unwrap()
}

fn code_named(name: &str) -> CodeInput {
    CodeInput {
        site_url: Some("example.webex.com".into()),
        name: Some(name.into()),
        input_mode: Some(InputMode::Text),
        host_profile_code: Some(HostProfileCode::Optional),
        ..CodeInput::default()
    }
}

fn named(name: &str, value: &str) -> UpdateItem {
    UpdateItem {
        name: Some(name.into()),
        value: Some(value.into()),
    }
}

/// Two spellings of one name that a whole-string lowercase tells apart ("οδος" ends in a
/// final sigma) but the name lookup does not: the update must refuse them as one code
/// given twice, not store one and drop the other.
#[test]
fn one_code_named_twice_in_any_case_is_refused() {
    let mut model = built_in();
    let admin = admin(&model);
    site_codes::create(&mut model, &admin, &code_named("ΟΔΟΣ")).unwrap();
    let before = model.clone();
    let req = UpdateRequest {
        site_url: Some("example.webex.com".into()),
        email: Some("john.andersen@example.com".into()),
        tracking_codes: Some(vec![named("ΟΔΟΣ", "a"), named("οδοσ", "b")]),
        ..UpdateRequest::default()
    };
    let err = user_codes::update(&mut model, &admin, &req).unwrap_err();
    assert!(
        matches!(&err, Error::BadRequest(p) if p.iter().any(|d| d.contains("more than once"))),
        "{err:?}"
    );
    assert_eq!(model, before);
}

/// A seed may hold a code id up to `u64::MAX - 1` (`u64::MAX` is refused: the next id
/// must be above every id); a site whose ids are used up refuses Create and changes
/// nothing, rather than overflowing the next id and handing out an id twice.
#[test]
fn a_site_whose_ids_are_used_up_refuses_create() {
    let mut seed: serde_json::Value = serde_json::from_str(seed::BUILT_IN).unwrap();
    seed["trackingCodes"][0]["id"] = u64::MAX.to_string().into();
    let err = seed::load(seed.to_string().as_bytes()).unwrap_err();
    assert_eq!(err.path, "$.trackingCodes[0].id", "{err}");
    seed["trackingCodes"][0]["id"] = (u64::MAX - 1).to_string().into();
    let mut model = seed::load(seed.to_string().as_bytes()).unwrap();
    invariants::assert_whole(&model);
    let admin = admin(&model);
    let before = model.clone();
    let err = site_codes::create(&mut model, &admin, &code_named("One Too Many")).unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert_eq!(model, before);
}
