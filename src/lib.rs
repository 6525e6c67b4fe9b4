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
pub mod domain;
pub mod error;
pub mod http;
pub mod store;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpListener;

pub use config::Config;
use domain::model::Model;
use domain::seed::{self, SeedError};
use store::Worlds;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub worlds: Arc<Worlds>,
}

impl AppState {
    pub fn new(initial: Model) -> Self {
        AppState {
            worlds: Arc::new(Worlds::new(initial)),
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
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
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
    println!("listening on http://{addr}");
    match admin_token {
        Some(token) => println!("admin token: {token}"),
        None => println!("admin token: (none: the seed has no admin token with write scope)"),
    }
    serve(listener, AppState::new(model), shutdown_signal())
        .await
        .map_err(StartError::Serve)
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
