//! Configuration of a server, from command-line flags with environment twins.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use crate::gateway::rate_limit::Limit;
use crate::Options;

/// A local emulator of the Webex Meetings admin tracking-codes API.
#[derive(Debug, Clone, Parser)]
#[command(name = "webex-emulator", version, about)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port (the chosen one is printed).
    #[arg(long, env = "WEBEX_EMULATOR_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Seed file (JSON, the format of seed-data/default.json) used instead of the built-in seed.
    #[arg(long, env = "WEBEX_EMULATOR_SEED")]
    pub seed: Option<PathBuf>,

    /// How many requests the journal keeps (the oldest go first); 0 turns it off.
    #[arg(long, env = "WEBEX_EMULATOR_JOURNAL_SIZE", default_value_t = 1000)]
    pub journal_size: usize,

    /// Limit of requests per token, as REQUESTS/SECONDS (e.g. 100/60); over it, 429 with
    /// Retry-After. Off unless given.
    #[arg(long, env = "WEBEX_EMULATOR_RATE_LIMIT", value_parser = parse_limit)]
    pub rate_limit: Option<Limit>,

    /// Any bearer token acts as the default admin (for frontend developers).
    #[arg(long, env = "WEBEX_EMULATOR_ANY_TOKEN")]
    pub any_token: bool,

    /// When set, /_emulator needs `Authorization: Bearer <this token>`.
    #[arg(long, env = "WEBEX_EMULATOR_CONTROL_TOKEN")]
    pub control_token: Option<String>,

    /// Origins allowed by CORS, comma-separated; `*` (the default) allows any.
    #[arg(long, env = "WEBEX_EMULATOR_CORS_ORIGINS", default_value = "*")]
    pub cors_origins: String,
}

fn parse_limit(value: &str) -> Result<Limit, String> {
    value.parse()
}

impl Config {
    /// The server options these flags describe.
    pub fn options(&self) -> Options {
        let origins: Vec<String> = self
            .cors_origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect();
        Options {
            journal_size: self.journal_size,
            rate_limit: self.rate_limit,
            any_token: self.any_token,
            control_token: self.control_token.clone().filter(|t| !t.is_empty()),
            cors_origins: (!origins.iter().any(|o| o == "*")).then_some(origins),
        }
    }
}
