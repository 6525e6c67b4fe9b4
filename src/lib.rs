//! A local emulator of the Webex Meetings admin tracking-codes API.
//!
//! A tour of the modules, from the inside out:
//! - [`domain`]: the model of one world (orgs, sites, people, tokens, tracking codes, user
//!   values) and the rules of each operation, in plain Rust with no HTTP in it.
//! - [`error`]: the one error type; every failed request is one of its variants.
//! - [`store`]: worlds, each one model behind one lock, reached only through short closures.
//! - [`http`]: the Webex API under `/v1`, thin handlers that parse, call the domain and map
//!   the result, and the layer that makes every answer look like Webex's.
//! - [`config`]: flags and environment variables.
//!
//! [`app`] builds the router and [`serve`] runs it on a listener the caller binds, so tests
//! and other programs can embed the emulator on port 0; [`run`] is what the binary does.

pub mod config;
pub mod control;
pub mod domain;
pub mod error;
pub mod gateway;
pub mod http;
pub mod openapi;
pub mod server;
pub mod store;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpListener;

pub use config::Config;
use domain::model::Model;
use domain::seed::{self, SeedError};
use gateway::faults::Faults;
use gateway::journal::Journal;
use gateway::rate_limit::{Limit, RateLimiter};
use gateway::Gateway;
use store::Worlds;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub worlds: Arc<Worlds>,
    pub gateway: Arc<Gateway>,
    /// The states a new world can start from.
    pub seeds: Arc<Seeds>,
    pub options: Arc<Options>,
}

/// The built-in seed and the one the server started from (the same unless `--seed`).
#[derive(Debug)]
pub struct Seeds {
    pub built_in: Arc<Model>,
    pub server: Arc<Model>,
}

/// How a server behaves, beyond its seed.
#[derive(Debug, Clone)]
pub struct Options {
    /// How many requests the journal keeps; 0 turns it off.
    pub journal_size: usize,
    pub rate_limit: Option<Limit>,
    /// Any bearer token acts as the default admin (for frontend developers).
    pub any_token: bool,
    /// When set, `/_emulator` needs `Authorization: Bearer <control token>`.
    pub control_token: Option<String>,
    /// Origins allowed by CORS; `None` allows any.
    pub cors_origins: Option<Vec<String>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            journal_size: 1000,
            rate_limit: None,
            any_token: false,
            control_token: None,
            cors_origins: None,
        }
    }
}

impl AppState {
    /// A server state with default options.
    pub fn new(initial: Model) -> Self {
        Self::with_options(initial, Options::default())
    }

    pub fn with_options(initial: Model, options: Options) -> Self {
        let built_in = seed::load(seed::BUILT_IN.as_bytes())
            .map(Arc::new)
            .unwrap_or_default();
        AppState {
            seeds: Arc::new(Seeds {
                built_in,
                server: Arc::new(initial.clone()),
            }),
            worlds: Arc::new(Worlds::new(initial)),
            gateway: Arc::new(Gateway {
                journal: Journal::new(options.journal_size),
                faults: Faults::default(),
                rate_limit: RateLimiter::new(options.rate_limit),
            }),
            options: Arc::new(options),
        }
    }
}

/// The whole application as a router.
pub fn app(state: AppState) -> axum::Router {
    http::router(state)
}

/// Serves the emulator on `listener` until `shutdown` completes, then lets the requests in
/// flight finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server::run(listener, app(state), shutdown).await
}

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
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
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

/// Runs the emulator as the binary does: loads the seed, listens, prints the base URL and
/// the default admin token, and serves until SIGINT or SIGTERM.
pub async fn run(config: Config) -> Result<(), StartError> {
    let model = load_seed(config.seed.as_deref())?;
    let admin_token = model.default_admin_token().map(str::to_owned);
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    let shutdown = shutdown_signal();
    println!("listening on http://{addr}");
    match admin_token {
        Some(token) => println!("admin token: {token}"),
        None => println!("admin token: (none: the seed has no admin token with write scope)"),
    }
    serve(
        listener,
        AppState::with_options(model, config.options()),
        shutdown,
    )
    .await
    .map_err(StartError::Serve)
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
