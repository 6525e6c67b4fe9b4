//! What the binary does: load the seed (or the state file), listen, say where, serve until
//! SIGINT or SIGTERM, save the state; and the `healthcheck` command for containers.

use std::future::Future;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::domain::model::Model;
use crate::domain::seed::{self, SeedError};
use crate::persist::{self, StateFile};
use crate::{serve, AppState};

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot read the seed file {file}: {source}")]
    ReadSeed {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid seed file {file}: {source}")]
    Seed { file: PathBuf, source: SeedError },
    #[error("invalid state file {file}: {reason}")]
    StateFile { file: PathBuf, reason: String },
    #[error("cannot write the state file {file}: {reason}")]
    WriteStateFile { file: PathBuf, reason: String },
    #[error("invalid --log-level '{level}': {reason}")]
    LogLevel { level: String, reason: String },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

/// Loads the seed file at `path`, or the built-in seed when there is none.
pub fn load_seed(path: Option<&Path>) -> Result<Model, StartError> {
    match path {
        None => seed::load(seed::BUILT_IN.as_bytes()).map_err(|source| StartError::Seed {
            file: "seed-data/default.json (built in)".into(),
            source,
        }),
        Some(file) => {
            let bytes = std::fs::read(file).map_err(|source| StartError::ReadSeed {
                file: file.to_owned(),
                source,
            })?;
            let invalid = |source| StartError::Seed {
                file: file.to_owned(),
                source,
            };
            let parsed = seed::parse(&bytes).map_err(invalid)?;
            // A large seed's text is not kept while its model is built.
            drop(bytes);
            seed::build(&parsed).map_err(invalid)
        }
    }
}

/// Runs the emulator as the binary does: loads the state file when there is one (else the
/// seed), listens, prints the base URL and the default admin token, and serves until SIGINT
/// or SIGTERM, then saves the state file.
pub async fn run(config: Config) -> Result<(), StartError> {
    let _logs = crate::logging::init(&config)?;
    let seed = load_seed(config.seed.as_deref())?;
    release_freed_memory();
    let saved = match &config.state_file {
        Some(file) => persist::load(file).map_err(|reason| StartError::StateFile {
            file: file.clone(),
            reason,
        })?,
        None => None,
    };
    let admin_token = saved
        .as_ref()
        .unwrap_or(&seed)
        .default_admin_token()
        .map(str::to_owned);
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    // A restarted server resets and makes worlds from its seed, not from what was saved:
    // the default world starts from the seed and is then given the saved state.
    let mut state = AppState::with_options(seed, config.options());
    if let Some(saved) = saved {
        state.worlds.default_world().replace(saved);
    }
    if let Some(file) = &config.state_file {
        let started = StateFile::start(file.clone(), Arc::clone(state.worlds.default_world()))
            .map_err(|e| StartError::WriteStateFile {
                file: file.clone(),
                reason: e.to_string(),
            })?;
        state.set_state_file(started);
    }
    let state_file = state.state_file().cloned();
    let shutdown = shutdown_signal();
    println!("listening on http://{addr}");
    match admin_token {
        Some(token) => println!("admin token: {token}"),
        None => println!("admin token: (none: the seed has no admin token with write scope)"),
    }
    serve(listener, state, shutdown)
        .await
        .map_err(StartError::Serve)?;
    if let Some(file) = state_file {
        file.flush().map_err(|e| StartError::WriteStateFile {
            file: file.path().to_owned(),
            reason: e.to_string(),
        })?;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Gives the memory freed so far back to the system. The binary's allocator (mimalloc)
/// returns freed pages only when later allocations come by; after a large seed's text and
/// parse tree are dropped, an idle server would otherwise keep them (120 MiB for 100 000
/// people). Harmless when another allocator is in use: mimalloc then has nothing to free.
fn release_freed_memory() {
    // SAFETY: mi_collect only walks mimalloc's own heaps; it takes no pointer.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM. The handlers are installed when this
/// is called, not when the future is first polled, so a signal sent as soon as the server
/// has said it listens is not lost.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {},
                () = wait(terminate) => {},
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// `webex-emulator healthcheck`: exit 0 when the server at `--listen` answers
/// `/_emulator/health` with 200. Plain HTTP over a socket, so an image needs no curl.
pub fn healthcheck(config: &Config) -> Result<(), String> {
    let mut addr = config.listen;
    if addr.ip().is_unspecified() {
        // Listening on every address: ask on loopback.
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let timeout = Duration::from_secs(2);
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("{addr}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let authorization = config
        .control_token
        .as_deref()
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET /_emulator/health HTTP/1.1\r\nHost: {addr}\r\n{authorization}Connection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream
        .take(64 * 1024)
        .read_to_string(&mut answer)
        .map_err(|e| e.to_string())?;
    let status = answer.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        Err(format!("{addr} answered '{status}'"))
    }
}
