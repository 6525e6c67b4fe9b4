//! Configuration of a server, from command-line flags with environment twins.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

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
}
