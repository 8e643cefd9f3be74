//! Offline runs of the fusion core, for benchmarks and the offline commands of the `biac`
//! binary: a detection stream in a CSV file in, the tracker's output per scan out, with the
//! tracker's own CPU time measured apart from parsing and writing.
//!
//! This crate does file I/O and measures time; the fusion core it drives does neither.

pub mod ballistic;
pub mod gmti;
pub mod track_csv;

/// CPU time of the calling thread, seconds: what the tracker itself cost, whatever else the
/// machine is doing.
pub fn thread_cpu_s() -> f64 {
    cpu_time::ThreadTime::now().as_duration().as_secs_f64()
}
