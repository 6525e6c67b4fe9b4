//! The binary: parse the configuration and run.

use std::process::ExitCode;

use clap::Parser;
use mimalloc::MiMalloc;
use webex_emulator::config::Command;
use webex_emulator::Config;

/// A request makes many small allocations; mimalloc serves them several times faster than
/// the system allocator (a third of the instructions per request went to malloc and free).
#[global_allocator]
static ALLOCATOR: MiMalloc = MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    if let Some(Command::Healthcheck) = config.command {
        return match webex_emulator::healthcheck(&config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("webex-emulator: unhealthy: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match webex_emulator::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("webex-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}
