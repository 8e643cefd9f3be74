//! The batch order: a batch is sorted into scans of equal (time, feed, sensor), and
//! within a scan by content, so that the output never depends on arrival order.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use biac_model::{Affiliation, Domain, Observation, ObservationKind, TimeMs};

use super::polar;

/// Indices into `batch` in batch order ([`obs_order`]), with each one's scan key: one
/// scan is a run of equal keys.
pub(super) fn scan_order(batch: &[Observation]) -> Vec<((TimeMs, u32, u32), u32)> {
    // Sort keys, not the observations: feeds and sensors are ranked once so that most
    // comparisons are of integers, then `obs_tail_order` breaks ties.
    let feed = name_ranks(batch.iter().map(|o| o.feed.as_str()));
    let sensor = name_ranks(batch.iter().map(|o| o.sensor.as_str()));
    let mut order: Vec<SortKey> = batch
        .iter()
        .enumerate()
        .map(|(i, o)| SortKey {
            scan: (o.time_ms, feed[i], sensor[i]),
            kind: kind_rank(o.kind),
            identified: !o.identity.is_empty(),
            lat: total_key(o.position.lat_deg),
            lon: total_key(o.position.lon_deg),
            index: i as u32,
        })
        .collect();
    order.sort_unstable_by(|a, b| a.cmp(b, batch));
    order.into_iter().map(|k| (k.scan, k.index)).collect()
}

/// [`obs_order`] with its leading fields precomputed as integers. An empty identity is
/// the least one (all fields `None`), so for plots the order goes straight from kind to
/// latitude and longitude, compared as integers with `f64::total_cmp`'s mapping.
struct SortKey {
    scan: (TimeMs, u32, u32),
    kind: u8,
    identified: bool,
    lat: i64,
    lon: i64,
    index: u32,
}

impl SortKey {
    fn cmp(&self, other: &SortKey, batch: &[Observation]) -> Ordering {
        let (a, b) = (&batch[self.index as usize], &batch[other.index as usize]);
        (self.scan, self.kind, self.identified)
            .cmp(&(other.scan, other.kind, other.identified))
            .then_with(|| {
                if self.identified {
                    Ordering::Equal
                } else {
                    (self.lat, self.lon).cmp(&(other.lat, other.lon))
                }
            })
            .then_with(|| obs_tail_order(a, b))
    }
}

/// The integer whose order is `f64::total_cmp`'s.
fn total_key(x: f64) -> i64 {
    let b = x.to_bits() as i64;
    b ^ ((((b >> 63) as u64) >> 1) as i64)
}

/// For each name, its rank among the distinct names (string order). Batches carry few
/// distinct feeds and sensors, usually in runs, so the last one is tried first.
fn name_ranks<'a>(names: impl Iterator<Item = &'a str>) -> Vec<u32> {
    let mut distinct: BTreeMap<&str, u32> = BTreeMap::new();
    let mut ids = Vec::new();
    let mut last: Option<(&str, u32)> = None;
    for n in names {
        let id = match last {
            Some((l, id)) if l == n => id,
            _ => {
                let next = distinct.len() as u32;
                *distinct.entry(n).or_insert(next)
            }
        };
        last = Some((n, id));
        ids.push(id);
    }
    // Ids are in order of first appearance; map them to ranks in string order.
    let mut rank = vec![0u32; distinct.len()];
    for (r, &id) in distinct.values().enumerate() {
        rank[id as usize] = r as u32;
    }
    ids.into_iter().map(|id| rank[id as usize]).collect()
}

fn kind_rank(k: ObservationKind) -> u8 {
    match k {
        ObservationKind::Plot => 0,
        ObservationKind::SelfReport => 1,
        ObservationKind::Track => 2,
    }
}

fn domain_rank(d: Domain) -> u8 {
    match d {
        Domain::Unknown => 0,
        Domain::Surface => 1,
        Domain::Air => 2,
        Domain::Ground => 3,
    }
}

fn opt_cmp(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

/// Batch order: (time, feed, sensor), then every other field so that the order — and
/// hence the output — does not depend on the order the batch arrived in. Observations
/// equal in all compared fields are interchangeable.
#[cfg(test)]
fn obs_order(a: &Observation, b: &Observation) -> Ordering {
    a.time_ms
        .cmp(&b.time_ms)
        .then_with(|| a.feed.cmp(&b.feed))
        .then_with(|| a.sensor.cmp(&b.sensor))
        .then_with(|| obs_tail_order(a, b))
}

/// [`obs_order`] after (time, feed, sensor).
fn obs_tail_order(a: &Observation, b: &Observation) -> Ordering {
    kind_rank(a.kind)
        .cmp(&kind_rank(b.kind))
        .then_with(|| a.identity.cmp(&b.identity))
        .then_with(|| a.position.lat_deg.total_cmp(&b.position.lat_deg))
        .then_with(|| a.position.lon_deg.total_cmp(&b.position.lon_deg))
        .then_with(|| opt_cmp(a.position.alt_m, b.position.alt_m))
        .then_with(|| a.pos_sigma_m.total_cmp(&b.pos_sigma_m))
        .then_with(|| {
            opt_cmp(
                a.velocity.map(|v| v.east_mps),
                b.velocity.map(|v| v.east_mps),
            )
        })
        .then_with(|| {
            opt_cmp(
                a.velocity.map(|v| v.north_mps),
                b.velocity.map(|v| v.north_mps),
            )
        })
        .then_with(|| opt_cmp(a.vel_sigma_mps, b.vel_sigma_mps))
        .then_with(|| domain_rank(a.domain).cmp(&domain_rank(b.domain)))
        .then_with(|| {
            a.affiliation
                .map(Affiliation::cot_atom)
                .cmp(&b.affiliation.map(Affiliation::cot_atom))
        })
        .then_with(|| a.label.classification().cmp(&b.label.classification()))
        .then_with(|| a.label.owner().iter().cmp(b.label.owner().iter()))
        .then_with(|| {
            a.label
                .rel_to_list()
                .iter()
                .cmp(b.label.rel_to_list().iter())
        })
        .then_with(|| a.label.noforn().cmp(&b.label.noforn()))
        .then_with(|| polar::polar_cmp(a.polar.as_deref(), b.polar.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::tests::plot;

    /// The production order (integer keys, then the tail) is the full comparison
    /// `obs_order`, and its scans are the runs of equal (time, feed, sensor).
    #[test]
    fn scan_order_is_obs_order() {
        // A mix of feeds, sensors, kinds, identities, signs and equal coordinates.
        let mut batch = Vec::new();
        for k in 0..200u32 {
            let mut o = plot(
                i64::from(k % 3) * 1000,
                f64::from(k % 7) * 0.5 - 1.0,
                -f64::from(k % 5) * 0.25,
            );
            o.feed = ["radar", "ais", "cot"][(k % 3) as usize].into();
            o.sensor = ["", "r1", "r2", "s"][(k % 4) as usize].into();
            o.kind = [ObservationKind::Plot, ObservationKind::SelfReport][(k % 2) as usize];
            if k % 4 == 1 {
                o.identity.mmsi = Some(k % 9);
            }
            if k % 11 == 0 {
                o.position.lat_deg = -0.0;
            }
            o.pos_sigma_m = f64::from(k % 2) + 5.0;
            batch.push(o);
        }
        let mut want: Vec<&Observation> = batch.iter().collect();
        want.sort_by(|a, b| obs_order(a, b));
        for mut b in [batch.clone(), batch.iter().rev().cloned().collect()] {
            b.swap(3, 150);
            let got = scan_order(&b);
            assert_eq!(got.len(), b.len());
            for ((_, i), w) in got.iter().zip(&want) {
                assert_eq!(obs_order(&b[*i as usize], w), Ordering::Equal);
            }
            for w in got.windows(2) {
                let (x, y) = (&b[w[0].1 as usize], &b[w[1].1 as usize]);
                assert_eq!(
                    w[0].0 == w[1].0,
                    (x.time_ms, &x.feed, &x.sensor) == (y.time_ms, &y.feed, &y.sensor)
                );
            }
        }
    }
}
