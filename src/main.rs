//! The binary: parse the configuration and run.

use std::process::ExitCode;

use clap::Parser;
use webex_emulator::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    match webex_emulator::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("webex-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}
