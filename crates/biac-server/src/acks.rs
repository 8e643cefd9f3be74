//! Alert acknowledgements: who acknowledged which alert, per audience. An audience's
//! watch floor shares one picture, so an acknowledgement is the audience's: every
//! analyst of it sees who took the alert and when. Kept in memory for reading and, when
//! a store is attached, written through to it (`acks` in `biac.sqlite`) before it is
//! answered and loaded again at start, so a restart forgets none; bounded per audience.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use biac_store::{AckRecord, Storage, StoreError};

/// One acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ack {
    /// The principal (account or `token:…`) that acknowledged.
    pub by: String,
    /// Milliseconds since the epoch.
    pub time_ms: i64,
}

/// Acknowledgements by audience key, then by alert id (the alert's audit object id).
#[derive(Default)]
pub struct Acks {
    by_audience: Mutex<HashMap<String, HashMap<String, Ack>>>,
    /// Where they are kept across restarts (`None`: memory only, tests).
    store: Option<Arc<Mutex<dyn Storage + Send>>>,
}

impl std::fmt::Debug for Acks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acks")
            .field("stored", &self.store.is_some())
            .finish_non_exhaustive()
    }
}

impl Acks {
    /// Acknowledgements kept per audience; past it the oldest are forgotten (the
    /// picture keeps far fewer alerts than this).
    pub const MAX_PER_AUDIENCE: usize = 10_000;

    /// The acknowledgements `store` holds, written through to it from now on.
    pub fn load(store: Arc<Mutex<dyn Storage + Send>>) -> Result<Acks, StoreError> {
        let rows = store.lock().unwrap_or_else(|p| p.into_inner()).acks()?;
        let mut all: HashMap<String, HashMap<String, Ack>> = HashMap::new();
        for r in rows {
            all.entry(r.audience).or_default().insert(
                r.alert,
                Ack {
                    by: r.principal,
                    time_ms: r.time_ms,
                },
            );
        }
        Ok(Acks {
            by_audience: Mutex::new(all),
            store: Some(store),
        })
    }

    /// Record `by`'s acknowledgement of `alert` unless one is recorded already; the
    /// acknowledgement that stands (the first) either way. With a store, it is stored
    /// before this returns (blocking: call off the async executor); an error records
    /// nothing.
    pub fn acknowledge(
        &self,
        audience: &str,
        alert: &str,
        by: &str,
        time_ms: i64,
    ) -> Result<Ack, StoreError> {
        let mut all = self.by_audience.lock().unwrap_or_else(|p| p.into_inner());
        let acks = all.entry(audience.to_string()).or_default();
        if let Some(a) = acks.get(alert) {
            return Ok(a.clone());
        }
        let oldest = (acks.len() >= Self::MAX_PER_AUDIENCE)
            .then(|| {
                acks.iter()
                    .min_by_key(|(_, a)| a.time_ms)
                    .map(|(k, _)| k.clone())
            })
            .flatten();
        let mut ack = Ack {
            by: by.to_string(),
            time_ms,
        };
        if let Some(store) = &self.store {
            let st = store.lock().unwrap_or_else(|p| p.into_inner());
            let stored = st.acknowledge(&AckRecord {
                audience: audience.to_string(),
                alert: alert.to_string(),
                principal: by.to_string(),
                time_ms,
            })?;
            if let Some(o) = &oldest {
                st.forget_ack(audience, o)?;
            }
            ack = Ack {
                by: stored.principal,
                time_ms: stored.time_ms,
            };
        }
        if let Some(o) = oldest {
            acks.remove(&o);
        }
        acks.insert(alert.to_string(), ack.clone());
        Ok(ack)
    }

    /// The acknowledgement of `alert` in `audience`, if any.
    pub fn get(&self, audience: &str, alert: &str) -> Option<Ack> {
        let all = self.by_audience.lock().unwrap_or_else(|p| p.into_inner());
        all.get(audience).and_then(|a| a.get(alert)).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_acknowledgement_stands_and_audiences_are_apart() {
        let acks = Acks::default();
        let a = acks
            .acknowledge("JPN-SECRET", "zone-entry/z/T000001/5", "alice", 10)
            .unwrap();
        assert_eq!(a.by, "alice");
        let again = acks
            .acknowledge("JPN-SECRET", "zone-entry/z/T000001/5", "bob", 20)
            .unwrap();
        assert_eq!(again, a, "the first acknowledgement stands");
        assert_eq!(acks.get("PHL-SECRET", "zone-entry/z/T000001/5"), None);
        assert_eq!(acks.get("JPN-SECRET", "zone-entry/z/T000001/5"), Some(a));
    }

    #[test]
    fn bounded_per_audience() {
        let acks = Acks::default();
        for i in 0..Acks::MAX_PER_AUDIENCE + 5 {
            acks.acknowledge("A", &format!("a{i}"), "u", i as i64)
                .unwrap();
        }
        let n = acks.by_audience.lock().unwrap()["A"].len();
        assert_eq!(n, Acks::MAX_PER_AUDIENCE);
        assert_eq!(acks.get("A", "a0"), None, "the oldest went first");
    }

    #[test]
    fn stored_acknowledgements_are_loaded_again() {
        let dir = tempfile::tempdir().unwrap();
        let open = || {
            Arc::new(Mutex::new(
                biac_store::Store::open(dir.path(), biac_store::SyncPolicy::Off).unwrap(),
            ))
        };
        let acks = Acks::load(open()).unwrap();
        acks.acknowledge("JPN-SECRET", "x", "alice", 10).unwrap();
        drop(acks);
        let again = Acks::load(open()).unwrap();
        assert_eq!(
            again.get("JPN-SECRET", "x"),
            Some(Ack {
                by: "alice".into(),
                time_ms: 10
            })
        );
        assert_eq!(again.get("USA-SECRET", "x"), None);
    }
}
