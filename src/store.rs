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
///
/// The model is shared copy-on-write: a new or reset world points at the state it starts
/// from and copies it only at its first change, so making a world costs next to nothing and
/// a world that is only read never costs a copy.
#[derive(Debug)]
pub struct World {
    id: String,
    initial: Arc<Model>,
    model: RwLock<Arc<Model>>,
}

impl World {
    pub fn new(id: impl Into<String>, initial: Arc<Model>) -> Self {
        let model = RwLock::new(Arc::clone(&initial));
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
        f(Arc::make_mut(&mut self.write_guard()))
    }

    /// The state the world started from (and resets to).
    pub fn initial(&self) -> Arc<Model> {
        Arc::clone(&self.initial)
    }

    /// Replaces the whole state at once (the state the world resets to stays).
    pub fn replace(&self, model: Model) {
        self.install(Arc::new(model));
    }

    fn install(&self, model: Arc<Model>) {
        *self.write_guard() = model;
    }

    /// The current state, as it is now; later changes do not touch it.
    pub fn snapshot(&self) -> Arc<Model> {
        Arc::clone(&self.read_guard())
    }

    // A panic inside a closure would poison the lock; the rule functions check before they
    // change, so the model is still whole and the emulator keeps serving.
    fn read_guard(&self) -> RwLockReadGuard<'_, Arc<Model>> {
        self.model.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_guard(&self) -> RwLockWriteGuard<'_, Arc<Model>> {
        self.model.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Every world of the server. A request's token decides its world: a token handed out for
/// a world made by a test (`<seed token>@<world id>`) points there, every other token is
/// looked up in the default world, so real clients need no extra header.
#[derive(Debug)]
pub struct Worlds {
    default: Arc<World>,
    others: DashMap<String, Arc<World>>,
    /// Token handed out -> its world and the token as the world's model knows it.
    by_token: DashMap<String, (Arc<World>, String)>,
}

/// The id of the world that plain seed tokens reach.
pub const DEFAULT_WORLD: &str = "default";

/// A token of a world, as handed out to its creator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub token: String,
    pub seed_token: String,
}

impl Worlds {
    pub fn new(initial: Arc<Model>) -> Self {
        Worlds {
            default: Arc::new(World::new(DEFAULT_WORLD, initial)),
            others: DashMap::new(),
            by_token: DashMap::new(),
        }
    }

    pub fn default_world(&self) -> &Arc<World> {
        &self.default
    }

    /// The world a bearer token belongs to, and the token as that world knows it.
    pub fn for_token<'t>(&self, token: &'t str) -> (Arc<World>, std::borrow::Cow<'t, str>) {
        match self.by_token.get(token) {
            Some(entry) => {
                let (world, inner) = entry.value();
                (Arc::clone(world), std::borrow::Cow::Owned(inner.clone()))
            }
            None => (Arc::clone(&self.default), std::borrow::Cow::Borrowed(token)),
        }
    }

    /// A world by id; `default` is the default world.
    pub fn get(&self, id: &str) -> Option<Arc<World>> {
        if id == DEFAULT_WORLD {
            Some(Arc::clone(&self.default))
        } else {
            self.others.get(id).map(|w| Arc::clone(w.value()))
        }
    }

    /// Ids of every world, the default first, then the others sorted.
    pub fn ids(&self) -> Vec<String> {
        let mut others: Vec<String> = self.others.iter().map(|e| e.key().clone()).collect();
        others.sort();
        std::iter::once(DEFAULT_WORLD.to_owned())
            .chain(others)
            .collect()
    }

    /// Makes a new world from `initial` and hands out a fresh token for each of its tokens.
    pub fn create(&self, initial: Arc<Model>) -> (Arc<World>, Vec<IssuedToken>) {
        let id = format!("world-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let world = Arc::new(World::new(id.clone(), initial));
        let tokens = self.issue_tokens(&world);
        self.others.insert(id, Arc::clone(&world));
        (world, tokens)
    }

    /// The tokens handed out for a world (for the default world, its own tokens).
    pub fn tokens_of(&self, world: &World) -> Vec<IssuedToken> {
        world.read(|m| {
            m.token_order
                .iter()
                .map(|t| IssuedToken {
                    token: outer_token(t, world.id()),
                    seed_token: t.clone(),
                })
                .collect()
        })
    }

    /// Deletes a world and its tokens; the default world cannot be deleted.
    pub fn delete(&self, id: &str) -> bool {
        match self.others.remove(id) {
            Some((_, world)) => {
                self.forget_tokens(&world);
                true
            }
            None => false,
        }
    }

    /// Replaces a world's state; the tokens handed out follow the new state's tokens.
    pub fn replace(&self, world: &Arc<World>, model: Model) {
        self.install(world, Arc::new(model));
    }

    /// Puts a world back to the state it started from (shared again, not copied), with its
    /// tokens.
    pub fn reset(&self, world: &Arc<World>) {
        self.install(world, world.initial());
    }

    fn install(&self, world: &Arc<World>, model: Arc<Model>) {
        world.install(model);
        if world.id() == DEFAULT_WORLD {
            return;
        }
        // Issue the new tokens before dropping the old, so a token both states share never
        // stops reaching the world.
        let current: std::collections::HashSet<String> = self
            .issue_tokens(world)
            .into_iter()
            .map(|t| t.token)
            .collect();
        self.by_token
            .retain(|token, (w, _)| w.id() != world.id() || current.contains(token));
    }

    fn issue_tokens(&self, world: &Arc<World>) -> Vec<IssuedToken> {
        let tokens = self.tokens_of(world);
        for t in &tokens {
            self.by_token
                .insert(t.token.clone(), (Arc::clone(world), t.seed_token.clone()));
        }
        tokens
    }

    fn forget_tokens(&self, world: &World) {
        self.by_token.retain(|_, (w, _)| w.id() != world.id());
    }
}

/// The token handed out for `seed_token` in a world: unique to the world, and still telling
/// which seed token (so which person and scopes) it stands for.
fn outer_token(seed_token: &str, world_id: &str) -> String {
    if world_id == DEFAULT_WORLD {
        seed_token.to_owned()
    } else {
        format!("{seed_token}@{world_id}")
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
        world.install(world.initial());
        assert_eq!(world.snapshot(), before);
    }

    #[test]
    fn unknown_tokens_reach_the_default_world() {
        let worlds = Worlds::new(Arc::new(Model::default()));
        assert_eq!(worlds.for_token("anything").0.id(), DEFAULT_WORLD);
    }

    #[test]
    fn a_worlds_tokens_reach_it_until_it_is_deleted() {
        let seed = Arc::new(seed::load(seed::BUILT_IN.as_bytes()).unwrap());
        let worlds = Worlds::new(Arc::clone(&seed));
        let (world, tokens) = worlds.create(Arc::clone(&seed));
        assert_eq!(tokens.len(), seed.token_order.len());
        let admin = &tokens[0];
        assert_eq!(admin.token, format!("{}@{}", admin.seed_token, world.id()));
        let (found, inner) = worlds.for_token(&admin.token);
        assert_eq!(found.id(), world.id());
        assert_eq!(inner, admin.seed_token);
        assert!(worlds.delete(world.id()));
        assert_eq!(worlds.for_token(&admin.token).0.id(), DEFAULT_WORLD);
        assert!(!worlds.delete(DEFAULT_WORLD));
    }
}
