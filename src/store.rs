//! Where worlds live and how requests touch them.
//!
//! A world is one [`Model`] behind one `std::sync::RwLock`. Rules span entities (a user value
//! needs its code, its site and its person), so a finer-grained map would let two writers
//! see each other half-done; one lock per world makes each request's check-and-apply a
//! single critical section. Requests reach the model only through the short synchronous
//! closures of [`World::read`] and [`World::transact`], so no lock is ever held across an
//! `.await`. Worlds are independent of each other, so the registry of worlds is a
//! concurrent map.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use dashmap::DashMap;

use crate::domain::model::Model;
use crate::error::Result;

/// One isolated copy of the whole state, with the state it started from.
#[derive(Debug)]
pub struct World {
    id: String,
    initial: Arc<Model>,
    model: RwLock<Model>,
}

impl World {
    pub fn new(id: impl Into<String>, initial: Arc<Model>) -> Self {
        let model = RwLock::new(Model::clone(&initial));
        World {
            id: id.into(),
            initial,
            model,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Runs `f` on a consistent view of the model.
    pub fn read<T>(&self, f: impl FnOnce(&Model) -> T) -> T {
        f(&self.read_guard())
    }

    /// Runs `f` with exclusive access. `f` must check every rule before it changes anything
    /// (the domain functions do): an `Err` then leaves the model as it was.
    pub fn transact<T>(&self, f: impl FnOnce(&mut Model) -> Result<T>) -> Result<T> {
        f(&mut self.write_guard())
    }

    /// Puts the world back to the state it started from.
    pub fn reset(&self) {
        *self.write_guard() = Model::clone(&self.initial);
    }

    /// A copy of the current state.
    pub fn snapshot(&self) -> Model {
        self.read_guard().clone()
    }

    // A panic inside a closure would poison the lock; the rule functions check before they
    // change, so the model is still whole and the emulator keeps serving.
    fn read_guard(&self) -> RwLockReadGuard<'_, Model> {
        self.model.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_guard(&self) -> RwLockWriteGuard<'_, Model> {
        self.model.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Every world of the server. A request's token decides its world: tokens of a world made
/// for a test point there, every other token is looked up in the default world, so real
/// clients need no extra header.
#[derive(Debug)]
pub struct Worlds {
    default: Arc<World>,
    by_token: DashMap<String, Arc<World>>,
}

/// The id of the world that plain seed tokens reach.
pub const DEFAULT_WORLD: &str = "default";

impl Worlds {
    pub fn new(initial: Model) -> Self {
        Worlds {
            default: Arc::new(World::new(DEFAULT_WORLD, Arc::new(initial))),
            by_token: DashMap::new(),
        }
    }

    pub fn default_world(&self) -> &Arc<World> {
        &self.default
    }

    /// The world a bearer token belongs to.
    pub fn for_token(&self, token: &str) -> Arc<World> {
        self.by_token
            .get(token)
            .map(|w| Arc::clone(w.value()))
            .unwrap_or_else(|| Arc::clone(&self.default))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::seed;
    use crate::error::Error;

    #[test]
    fn a_failed_transaction_leaves_the_model_unchanged_and_reset_restores_it() {
        let world = World::new(
            "w",
            Arc::new(seed::load(seed::BUILT_IN.as_bytes()).unwrap()),
        );
        let before = world.snapshot();
        let r: Result<()> = world.transact(|m| {
            m.user_values.clear();
            Err(Error::Forbidden)
        });
        // The closure broke the contract (it changed before failing); transact does not
        // roll back, which is why rule functions check first. Reset restores the seed.
        assert!(r.is_err());
        world.reset();
        assert_eq!(world.snapshot(), before);
    }

    #[test]
    fn unknown_tokens_reach_the_default_world() {
        let worlds = Worlds::new(Model::default());
        assert_eq!(worlds.for_token("anything").id(), DEFAULT_WORLD);
    }
}
