//! The state file: the default world's state on disk, so acknowledged changes survive a
//! restart and a `kill -9`.
//!
//! A change is acknowledged only once a write that includes it is on disk. Writes are atomic
//! (a temporary file is written and synced, renamed over the state file, and the directory
//! is synced), so the file is never half-written. One writer task does them, and every change
//! that arrives while a write is under way is covered by the next one: a burst of concurrent
//! changes costs a few writes, not one per request.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{watch, Notify};

use crate::domain::model::Model;
use crate::domain::seed;
use crate::error::{Error, Result};
use crate::store::World;

/// Where the writes stand: every change numbered up to `written` is on disk; a write that
/// would have covered up to `failed` failed with `error`.
#[derive(Debug, Clone, Default)]
struct Progress {
    written: u64,
    failed: u64,
    error: Option<String>,
}

#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    world: Arc<World>,
    /// Number of the latest change; each change takes the next after it is applied.
    changes: AtomicU64,
    wake: Notify,
    progress: watch::Sender<Progress>,
    /// Held while a write is under way: the writer task and the final flush share the
    /// temporary file, so they must not write at once.
    writing: std::sync::Mutex<()>,
}

impl StateFile {
    /// Starts the writer for `world`, first writing its current state, so a path that cannot
    /// be written stops the start rather than the first change.
    pub fn start(path: PathBuf, world: Arc<World>) -> std::io::Result<Arc<StateFile>> {
        write_atomically(&path, &world.snapshot())?;
        let state_file = Arc::new(StateFile {
            path,
            world,
            changes: AtomicU64::new(0),
            wake: Notify::new(),
            progress: watch::Sender::new(Progress::default()),
            writing: std::sync::Mutex::new(()),
        });
        tokio::spawn(Arc::clone(&state_file).write_loop());
        Ok(state_file)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Waits until the state, with every change applied before this call, is on disk.
    pub async fn commit(&self) -> Result<()> {
        let change = self.changes.fetch_add(1, Ordering::SeqCst) + 1;
        self.wake.notify_one();
        let mut progress = self.progress.subscribe();
        let outcome = progress
            .wait_for(|p| p.written >= change || p.failed >= change)
            .await
            .map(|p| p.clone());
        match outcome {
            Ok(p) if p.written >= change => Ok(()),
            Ok(p) => Err(Error::Unavailable(format!(
                "The change was applied but could not be saved to the state file: {}",
                p.error.unwrap_or_default()
            ))),
            Err(_) => Err(Error::Unavailable(
                "The state file writer has stopped.".to_owned(),
            )),
        }
    }

    /// Writes the current state now (at shutdown).
    pub fn flush(&self) -> std::io::Result<()> {
        self.write(&self.world.snapshot())
    }

    fn write(&self, model: &Model) -> std::io::Result<()> {
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        write_atomically(&self.path, model)
    }

    async fn write_loop(self: Arc<Self>) {
        loop {
            self.wake.notified().await;
            let target = self.changes.load(Ordering::SeqCst);
            if target <= self.progress.borrow().written {
                continue;
            }
            // Taken after `target` was read: it holds every change numbered up to it.
            let model = self.world.snapshot();
            let this = Arc::clone(&self);
            let result = tokio::task::spawn_blocking(move || this.write(&model))
                .await
                .map_err(std::io::Error::other)
                .and_then(|r| r);
            self.progress.send_modify(|p| match result {
                Ok(()) => p.written = p.written.max(target),
                Err(e) => {
                    p.failed = p.failed.max(target);
                    p.error = Some(e.to_string());
                }
            });
        }
    }
}

/// Loads a state file written earlier, checked like a seed.
pub fn load(path: &Path) -> std::result::Result<Option<Model>, String> {
    match std::fs::read(path) {
        Ok(bytes) => seed::load(&bytes).map(Some).map_err(|e| e.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Writes `model` to `path` so that the file is either the old state or the new, whole.
pub fn write_atomically(path: &Path, model: &Model) -> std::io::Result<()> {
    let json = serde_json::to_vec(&seed::export(model)).map_err(std::io::Error::other)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = dir.join(format!(".{name}.tmp"));
    let mut file = File::create(&temporary)?;
    file.write_all(&json)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path)?;
    // The rename is durable only once the directory is.
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_state_loads_back() {
        let model = seed::load(seed::BUILT_IN.as_bytes()).unwrap();
        let dir =
            std::env::temp_dir().join(format!("webex-emulator-persist-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        assert_eq!(load(&path), Ok(None));
        write_atomically(&path, &model).unwrap();
        assert_eq!(load(&path), Ok(Some(model)));
        std::fs::write(&path, b"{").unwrap();
        assert!(load(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
