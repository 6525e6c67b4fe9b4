//! What the binary does: load the seed (or the state file), listen, say where, serve until
//! SIGINT or SIGTERM, save the state; and the `healthcheck` command for containers.

use std::future::Future;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::{Config, LogFormat};
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
            seed::load(&bytes).map_err(|source| StartError::Seed {
                file: file.to_owned(),
                source,
            })
        }
    }
}

/// Runs the emulator as the binary does: loads the state file when there is one (else the
/// seed), listens, prints the base URL and the default admin token, and serves until SIGINT
/// or SIGTERM, then saves the state file.
pub async fn run(config: Config) -> Result<(), StartError> {
    let _logs = init_logging(&config);
    let seed = load_seed(config.seed.as_deref())?;
    let saved = match &config.state_file {
        Some(file) => persist::load(file).map_err(|reason| StartError::StateFile {
            file: file.clone(),
            reason,
        })?,
        None => None,
    };
    let model = saved.unwrap_or_else(|| seed.clone());
    let admin_token = model.default_admin_token().map(str::to_owned);
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    let mut state = AppState::with_options(model, config.options());
    // A restarted server resets and makes worlds from its seed, not from what was saved.
    state.seeds = Arc::new(crate::Seeds {
        built_in: Arc::clone(&state.seeds.built_in),
        server: Arc::new(seed),
    });
    if let Some(file) = &config.state_file {
        let started = StateFile::start(file.clone(), Arc::clone(state.worlds.default_world()))
            .map_err(|e| StartError::StateFile {
                file: file.clone(),
                reason: e.to_string(),
            })?;
        state.state_file = Some(started);
    }
    let state_file = state.state_file.clone();
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
        file.flush().map_err(|e| StartError::StateFile {
            file: file.path().to_owned(),
            reason: e.to_string(),
        })?;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Logs go to standard error, one line per request; `RUST_LOG`, when set, wins over
/// `--log-level`. A background thread writes them, so a request never waits on the
/// terminal; no line is dropped. Lines are flushed when the returned guard is dropped.
fn init_logging(config: &Config) -> tracing_appender::non_blocking::WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stderr());
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    let _ = match config.log_format {
        LogFormat::Pretty => builder.compact().try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    guard
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
