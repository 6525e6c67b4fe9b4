//! The emulator inside a Rust test: start it on a free port, get its URL and tokens, stop it
//! (also when it is dropped).
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = webex_emulator::Emulator::start().await?;
//! let url = format!("{}/people/me", emulator.api_url());
//! let token = emulator.admin_token().unwrap_or_default();
//! // ... call `url` with `Authorization: Bearer {token}` from any HTTP client ...
//! emulator.stop().await?;
//! # Ok(())
//! # }
//! ```

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::domain::model::Model;
use crate::domain::seed;
use crate::run::StartError;
use crate::{serve, AppState, Options};

/// A running emulator on `127.0.0.1` and a free port.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Emulator {
    /// Starts an emulator with the built-in seed.
    pub async fn start() -> Result<Emulator, StartError> {
        Self::start_with_seed(seed::BUILT_IN.as_bytes()).await
    }

    /// Starts an emulator with a seed given as JSON (the format of `seed-data/default.json`).
    pub async fn start_with_seed(json: &[u8]) -> Result<Emulator, StartError> {
        let model = seed::load(json).map_err(|source| StartError::Seed {
            file: "(the seed given to Emulator::start_with_seed)".into(),
            source,
        })?;
        Self::start_with(model, Options::default()).await
    }

    /// Starts an emulator with a model and options of the caller's.
    pub async fn start_with(model: Model, options: Options) -> Result<Emulator, StartError> {
        let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Listen { addr, source })?;
        let addr = listener.local_addr().map_err(StartError::Serve)?;
        let state = AppState::with_options(model, options);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        Ok(Emulator {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`: the control plane is under `/_emulator`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/v1`: what a Webex client takes instead of
    /// `https://webexapis.com/v1`.
    pub fn api_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The default admin token (the first of the seed whose holder may update tracking codes).
    pub fn admin_token(&self) -> Option<String> {
        self.state
            .worlds
            .default_world()
            .read(|m| m.default_admin_token().map(str::to_owned))
    }

    /// Every token of the seed, in seed order.
    pub fn tokens(&self) -> Vec<String> {
        self.state
            .worlds
            .default_world()
            .read(|m| m.token_order.clone())
    }

    /// The server's state, for tests that look inside.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting, lets the requests in flight finish, and waits for the server to end.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for Emulator {
    /// Dropped without `stop`: the server is told to stop and ends on its own.
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
