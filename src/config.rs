//! Configuration of a server, from command-line flags with environment twins.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::gateway::rate_limit::Limit;
use crate::Options;

/// A local emulator of the Webex Meetings admin tracking-codes API.
#[derive(Debug, Clone, Parser)]
#[command(name = "webex-emulator", version, about)]
pub struct Config {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on; port 0 picks a free port (the chosen one is printed).
    #[arg(
        long,
        env = "WEBEX_EMULATOR_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen: SocketAddr,

    /// Seed file (JSON, the format of seed-data/default.json) used instead of the built-in seed.
    #[arg(long, env = "WEBEX_EMULATOR_SEED")]
    pub seed: Option<PathBuf>,

    /// How many requests the journal keeps (the oldest go first); 0 turns it off.
    // A negative number is read as this flag's (bad) value, not as an unknown flag `-1`.
    #[arg(
        long,
        env = "WEBEX_EMULATOR_JOURNAL_SIZE",
        default_value_t = 1000,
        allow_negative_numbers = true
    )]
    pub journal_size: usize,

    /// Limit of requests per token, as REQUESTS/SECONDS (e.g. 100/60); over it, 429 with
    /// Retry-After. Off unless given.
    #[arg(long, env = "WEBEX_EMULATOR_RATE_LIMIT", value_parser = parse_limit)]
    pub rate_limit: Option<Limit>,

    /// Any bearer token acts as the default admin (for frontend developers).
    #[arg(long, env = "WEBEX_EMULATOR_ANY_TOKEN")]
    pub any_token: bool,

    /// When set, /_emulator needs `Authorization: Bearer <this token>`.
    #[arg(long, env = "WEBEX_EMULATOR_CONTROL_TOKEN", global = true)]
    pub control_token: Option<String>,

    /// Origins allowed by CORS, comma-separated; `*` (the default) allows any.
    #[arg(long, env = "WEBEX_EMULATOR_CORS_ORIGINS", default_value = "*")]
    pub cors_origins: String,

    /// State file: loaded at start when it exists (else the seed is used), and every
    /// acknowledged change to the default world is on disk before it is answered.
    #[arg(long, env = "WEBEX_EMULATOR_STATE_FILE")]
    pub state_file: Option<PathBuf>,

    /// Log format: `pretty` (one readable line per request) or `json`.
    #[arg(long, env = "WEBEX_EMULATOR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,

    /// Log level (error, warn, info, debug, trace) or a filter; RUST_LOG wins when set.
    #[arg(long, env = "WEBEX_EMULATOR_LOG_LEVEL", default_value = "info")]
    pub log_level: String,
}

/// What the binary does besides serving.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Exit 0 when the server at --listen answers /_emulator/health (for container health
    /// checks; needs no curl).
    Healthcheck,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
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
