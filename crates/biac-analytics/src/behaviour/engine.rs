//! Every rule over a stream of reports of many vessels.

use super::area::Lattice;
use super::{
    Area, Change, Encounters, Event, FastMap, Fix, Geography, Ms, Thresholds, VesselRules,
};

/// All rules, fed reports in time order (per MMSI; a report older than its MMSI's last
/// is dropped and counted). Memory: one [`VesselRules`] per MMSI seen, plus the
/// encounter rule's pairs of nearby vessels and the reports those pairs still need.
///
/// Each MMSI has a slot (an index into the rules' per-vessel state, made at its first
/// report and free again when forgotten): a report costs one hash lookup, and the live
/// watch, which keeps the slot (`slot`, `push_at`, crate-internal), none.
pub struct Engine<G> {
    th: Thresholds,
    geo: G,
    areas: Vec<Area>,
    /// Where no area's answer can change within a cell (most of the sea).
    lattice: Lattice,
    /// MMSI → slot.
    index: FastMap<u32, u32>,
    /// By slot (a forgotten one empty until reused).
    vessels: Vec<VesselRules>,
    free: Vec<u32>,
    encounters: Encounters,
    end_ms: Option<Ms>,
    out_of_order: u64,
    changes: Vec<Change>,
    /// Whether a vessel first seen inside a zone opens an entry ([`Engine::with_presence`]).
    presence: bool,
}

impl<G: Geography> Engine<G> {
    pub fn new(th: Thresholds, geo: G, areas: Vec<Area>) -> Self {
        let lattice = Lattice::build(&areas);
        Engine::with_parts(th, geo, areas, lattice)
    }

    fn with_parts(th: Thresholds, geo: G, areas: Vec<Area>, lattice: Lattice) -> Engine<G> {
        Engine {
            th,
            geo,
            areas,
            lattice,
            index: FastMap::default(),
            vessels: Vec::new(),
            free: Vec::new(),
            encounters: Encounters::new(),
            end_ms: None,
            out_of_order: 0,
            changes: Vec::new(),
            presence: false,
        }
    }

    /// Zone presence (the live form): a vessel first seen inside a zone opens an entry
    /// there at its first report, with `first_seen_inside` in its figures. Off for
    /// `biac events`, whose contract is that a vessel first seen inside has not entered.
    pub fn with_presence(mut self) -> Self {
        self.presence = true;
        self
    }

    pub fn thresholds(&self) -> &Thresholds {
        &self.th
    }

    /// Reports dropped for being older than their MMSI's last.
    pub fn out_of_order(&self) -> u64 {
        self.out_of_order
    }

    /// MMSIs with a slot (seen, not forgotten).
    pub fn vessels(&self) -> usize {
        self.index.len()
    }

    /// The index of the zone of this name.
    pub fn area_index(&self, name: &str) -> Option<usize> {
        self.areas.iter().position(|a| a.name == name)
    }

    /// Encounter pairs under evaluation.
    pub fn pairs(&self) -> usize {
        self.encounters.pairs()
    }

    /// The slot of this MMSI, made when new (then `true`). It stays the MMSI's until
    /// [`Engine::forget`].
    pub(crate) fn slot(&mut self, mmsi: u32) -> (u32, bool) {
        let (vessels, free, n) = (&mut self.vessels, &mut self.free, self.areas.len());
        let mut new = false;
        let s = *self.index.entry(mmsi).or_insert_with(|| {
            new = true;
            free.pop().unwrap_or_else(|| {
                vessels.push(VesselRules::new(n));
                u32::try_from(vessels.len() - 1).expect("fewer than 2^32 vessels")
            })
        });
        (s, new)
    }

    /// The slot of this MMSI, if it has one.
    pub(crate) fn slot_of(&self, mmsi: u32) -> Option<u32> {
        self.index.get(&mmsi).copied()
    }

    /// Take one report; returns what opened and closed.
    pub fn push(&mut self, f: &Fix) -> &[Change] {
        if !(f.lat.is_finite() && f.lon.is_finite()) {
            self.changes.clear();
            return &self.changes;
        }
        let (s, _) = self.slot(f.mmsi);
        self.push_at(s, f)
    }

    /// [`Engine::push`] for a report of the MMSI in `slot` (from [`Engine::slot`]).
    pub(crate) fn push_at(&mut self, slot: u32, f: &Fix) -> &[Change] {
        self.changes.clear();
        if !(f.lat.is_finite() && f.lon.is_finite()) {
            return &self.changes;
        }
        debug_assert_eq!(self.index.get(&f.mmsi), Some(&slot));
        let v = &mut self.vessels[slot as usize];
        if v.last().is_some_and(|l| f.t_ms < l.t_ms) {
            self.out_of_order += 1;
            return &self.changes;
        }
        self.end_ms = Some(self.end_ms.map_or(f.t_ms, |e| e.max(f.t_ms)));
        let first = v.last().is_none();
        let zones = (self.areas.as_slice(), &self.lattice);
        v.push(f, &self.th, &self.geo, zones, &mut self.changes);
        if first && self.presence {
            v.open_present(f, &self.areas, &mut self.changes);
        }
        self.encounters
            .push(slot, f, &self.th, &self.geo, &mut self.changes);
        &self.changes
    }

    /// A second engine with the same thresholds, geography and zones and no vessels,
    /// without zone presence: the live form replays late reports in it.
    pub(crate) fn blank(&self) -> Engine<G>
    where
        G: Clone,
    {
        Engine::with_parts(
            self.th.clone(),
            self.geo.clone(),
            self.areas.clone(),
            self.lattice.clone(),
        )
    }

    /// The last report taken of this MMSI.
    pub fn last_of(&self, mmsi: u32) -> Option<&Fix> {
        let s = *self.index.get(&mmsi)?;
        self.vessels[s as usize].last()
    }

    /// Forget one MMSI, as [`Engine::finish`] would at its last report: what it has
    /// under way (its encounters included) is reported closed with `open` set. A later
    /// report of it starts afresh, however old.
    pub fn forget(&mut self, mmsi: u32) -> &[Change] {
        self.changes.clear();
        let Some(s) = self.index.remove(&mmsi) else {
            return &self.changes;
        };
        let empty = VesselRules::new(self.areas.len());
        let mut v = std::mem::replace(&mut self.vessels[s as usize], empty);
        let end = v.last().map_or(0, |l| l.t_ms);
        v.finish(end, &self.th, &self.areas, &mut self.changes);
        self.encounters
            .forget(s, &self.th, &self.geo, &mut self.changes);
        self.free.push(s);
        &self.changes
    }

    /// End of input: the events still under way (open, or closed when the rule says
    /// the silence since ended them), in order of start time, type and MMSIs.
    pub fn finish(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        let end = self.end_ms.unwrap_or(0);
        let mut mmsis: Vec<(u32, u32)> = self.index.iter().map(|(&m, &s)| (m, s)).collect();
        mmsis.sort_unstable();
        for (_, s) in mmsis {
            self.vessels[s as usize].finish(end, &self.th, &self.areas, &mut out);
        }
        self.encounters.finish(&self.th, &self.geo, &mut out);
        let mut events: Vec<Event> = out
            .into_iter()
            .filter_map(|c| match c {
                Change::Closed(e) => Some(e),
                Change::Opened(_) => None,
            })
            .collect();
        events.sort_by(|a, b| {
            (a.start_ms, a.kind, &a.mmsi, &a.zone).cmp(&(b.start_ms, b.kind, &b.mmsi, &b.zone))
        });
        events
    }
}
