//! The domain: the model of one world and its rules, in plain Rust with no HTTP in it.
//! Handlers parse a request, call one of these functions and map the result.

pub mod access;
pub mod code_definition;
pub mod lookup;
pub mod meeting_codes;
pub mod model;
pub mod people;
pub mod seed;
pub mod site_codes;
pub mod sites;
pub mod text;
pub mod user_codes;
