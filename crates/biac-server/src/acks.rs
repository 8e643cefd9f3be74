//! Alert acknowledgements: who acknowledged which alert, per audience. An audience's
//! watch floor shares one picture, so an acknowledgement is the audience's: every
//! analyst of it sees who took the alert and when. Kept in memory (alerts themselves
//! live in the picture and go with it); bounded per audience.

use std::collections::HashMap;
use std::sync::Mutex;

/// One acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ack {
    /// The principal (account or `token:…`) that acknowledged.
    pub by: String,
    /// Milliseconds since the epoch.
    pub time_ms: i64,
}

/// Acknowledgements by audience key, then by alert id (the alert's audit object id).
#[derive(Debug, Default)]
pub struct Acks(Mutex<HashMap<String, HashMap<String, Ack>>>);

impl Acks {
    /// Acknowledgements kept per audience; past it the oldest are forgotten (the
    /// picture keeps far fewer alerts than this).
    pub const MAX_PER_AUDIENCE: usize = 10_000;

    /// Record `by`'s acknowledgement of `alert` unless one is recorded already; the
    /// acknowledgement that stands (the first) either way.
    pub fn acknowledge(&self, audience: &str, alert: &str, by: &str, time_ms: i64) -> Ack {
        let mut all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let acks = all.entry(audience.to_string()).or_default();
        if let Some(a) = acks.get(alert) {
            return a.clone();
        }
        if acks.len() >= Self::MAX_PER_AUDIENCE {
            if let Some(oldest) = acks
                .iter()
                .min_by_key(|(_, a)| a.time_ms)
                .map(|(k, _)| k.clone())
            {
                acks.remove(&oldest);
            }
        }
        let ack = Ack {
            by: by.to_string(),
            time_ms,
        };
        acks.insert(alert.to_string(), ack.clone());
        ack
    }

    /// The acknowledgement of `alert` in `audience`, if any.
    pub fn get(&self, audience: &str, alert: &str) -> Option<Ack> {
        let all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        all.get(audience).and_then(|a| a.get(alert)).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_acknowledgement_stands_and_audiences_are_apart() {
        let acks = Acks::default();
        let a = acks.acknowledge("JPN-SECRET", "zone-entry/z/T000001/5", "alice", 10);
        assert_eq!(a.by, "alice");
        let again = acks.acknowledge("JPN-SECRET", "zone-entry/z/T000001/5", "bob", 20);
        assert_eq!(again, a, "the first acknowledgement stands");
        assert_eq!(acks.get("PHL-SECRET", "zone-entry/z/T000001/5"), None);
        assert_eq!(acks.get("JPN-SECRET", "zone-entry/z/T000001/5"), Some(a));
    }

    #[test]
    fn bounded_per_audience() {
        let acks = Acks::default();
        for i in 0..Acks::MAX_PER_AUDIENCE + 5 {
            acks.acknowledge("A", &format!("a{i}"), "u", i as i64);
        }
        let n = acks.0.lock().unwrap()["A"].len();
        assert_eq!(n, Acks::MAX_PER_AUDIENCE);
        assert_eq!(acks.get("A", "a0"), None, "the oldest went first");
    }
}
