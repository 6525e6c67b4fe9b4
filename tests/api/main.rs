//! Integration tests: each test starts its own server on port 0 and speaks HTTP to it.
//! One test binary, so the crate is linked once and the tests run in parallel.

mod concurrency;
mod conformance;
mod control_gateway;
mod control_worlds;
mod embedding;
mod get_user_codes;
mod helpers;
mod hostile;
mod http_errors;
mod meeting_codes;
mod people;
mod schema_findings;
mod shipping;
mod site_codes;
mod sites;
mod startup;
mod update_user_codes;
