//! The process's zone sets: one build per distinct configuration, shared by every user
//! (the maritime-zones route, the missile warning, the behaviour rules). A build takes
//! about a second (seconds in debug), so it happens on first use, never twice.

use std::sync::{Arc, Mutex, OnceLock};

use crate::{ZoneConfig, ZoneSet};

/// A zone set built on first [`get`](SharedZoneSet::get).
pub struct SharedZoneSet {
    config: ZoneConfig,
    set: OnceLock<Arc<ZoneSet>>,
}

impl SharedZoneSet {
    /// The set, built now on this thread if no one has built it yet (a concurrent
    /// caller waits for the one build).
    pub fn get(&self) -> &Arc<ZoneSet> {
        self.set
            .get_or_init(|| Arc::new(ZoneSet::build(self.config.clone())))
    }

    /// The configuration the set is (or will be) built from.
    pub fn config(&self) -> &ZoneConfig {
        &self.config
    }
}

impl std::fmt::Debug for SharedZoneSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedZoneSet")
            .field("recognition", &self.config.recognition)
            .field("built", &self.set.get().is_some())
            .finish()
    }
}

/// The process's zone set for `config`.
pub fn shared(config: ZoneConfig) -> Arc<SharedZoneSet> {
    // A handful of configurations per process (one per recognition): a list is enough.
    static CACHE: Mutex<Vec<Arc<SharedZoneSet>>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(z) = cache.iter().find(|z| z.config == config) {
        return z.clone();
    }
    let z = Arc::new(SharedZoneSet {
        config,
        set: OnceLock::new(),
    });
    cache.push(z.clone());
    z
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Recognition;

    fn none_again() -> Recognition {
        Recognition::parse("none", &ZoneConfig::default().features).unwrap()
    }

    #[test]
    fn one_set_per_configuration() {
        let a = shared(ZoneConfig::recognising(Recognition::administered()));
        let b = shared(ZoneConfig::recognising(Recognition::administered()));
        assert!(Arc::ptr_eq(&a, &b));
        let none = Recognition::parse("none", &ZoneConfig::default().features).unwrap();
        let c = shared(ZoneConfig::recognising(none));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(
            c.config().recognition,
            ZoneConfig::recognising(none_again()).recognition
        );
    }
}
