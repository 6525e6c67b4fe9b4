//! A local emulator of the Webex Meetings admin tracking-codes API.
//!
//! A tour of the modules, from the inside out:
//! - [`domain`]: the model of one world (orgs, sites, people, tokens, tracking codes, user
//!   values) and the rules of each operation, in plain Rust with no HTTP in it.
//! - [`error`]: the one error type; every failed request is one of its variants.
//! - [`store`]: worlds, each one model behind one lock, reached only through short closures.
//! - [`http`]: the Webex API under `/v1`, thin handlers that parse, call the domain and map
//!   the result, and the layer that makes every answer look like Webex's.
//! - [`gateway`]: the journal, fault rules and rate limit in front of `/v1`; [`control`]
//!   shows and changes them, and the worlds, under `/_emulator`.
//! - [`config`]: flags and environment variables; [`logging`]: the log lines.
//!
//! [`app`] builds the application and [`serve`] runs it on a listener the caller binds, so tests
//! and other programs can embed the emulator on port 0; [`run()`] is what the binary does.

pub mod config;
pub mod control;
pub mod domain;
pub mod embed;
pub mod error;
pub mod gateway;
pub mod http;
pub mod logging;
pub mod openapi;
pub mod persist;
pub mod run;
pub mod server;
pub mod store;

use std::future::Future;
use std::sync::{Arc, OnceLock};

use tokio::net::TcpListener;

pub use config::Config;
use domain::model::Model;
use domain::seed;
pub use embed::Emulator;
use gateway::faults::Faults;
use gateway::journal::Journal;
use gateway::rate_limit::{Limit, RateLimiter};
use gateway::Gateway;
use persist::StateFile;
use store::{World, Worlds};

pub use run::{healthcheck, load_seed, run, shutdown_signal, StartError};

/// What every handler shares: one pointer, so that handing it to a request costs one
/// reference count, not one per part.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

/// The parts of the server's state, reached through [`AppState`].
#[derive(Debug)]
pub struct Shared {
    pub worlds: Worlds,
    pub gateway: Gateway,
    /// The states a new world can start from.
    pub seeds: Seeds,
    pub options: Options,
    /// Where the default world is saved, when the server has a state file (set once, at
    /// start).
    state_file: OnceLock<Arc<StateFile>>,
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

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
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
        let initial = Arc::new(initial);
        AppState(Arc::new(Shared {
            seeds: Seeds {
                built_in,
                server: Arc::clone(&initial),
            },
            worlds: Worlds::new(initial),
            gateway: Gateway {
                journal: Journal::new(options.journal_size),
                faults: Faults::default(),
                rate_limit: RateLimiter::new(options.rate_limit),
            },
            options,
            state_file: OnceLock::new(),
        }))
    }

    /// Saves the default world to `file` from now on (the server's start sets it, before
    /// it serves; a second file is ignored).
    pub fn set_state_file(&mut self, file: Arc<StateFile>) {
        let _ = self.0.state_file.set(file);
    }

    /// The state file, when the server has one.
    pub fn state_file(&self) -> Option<&Arc<StateFile>> {
        self.0.state_file.get()
    }

    /// Applies a change to `world` ([`World::transact`]) and makes it durable before it is
    /// acknowledged: what every write of the API does.
    pub async fn change<T>(
        &self,
        world: &World,
        f: impl FnOnce(&mut Model) -> error::Result<T>,
    ) -> error::Result<T> {
        let answer = world.transact(f)?;
        self.durable(world).await?;
        Ok(answer)
    }

    /// Makes a change to `world` durable before it is acknowledged: with a state file, waits
    /// until the default world's state, change included, is on disk. Other worlds live in
    /// memory only.
    pub async fn durable(&self, world: &World) -> error::Result<()> {
        match self.state_file() {
            Some(file) if world.id() == store::DEFAULT_WORLD => file.commit().await,
            _ => Ok(()),
        }
    }
}

/// The whole application as one service.
pub fn app(state: AppState) -> http::App {
    http::App::new(state)
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
