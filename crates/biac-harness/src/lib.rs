//! Offline runs of the fusion core, for benchmarks and the offline commands of the `biac`
//! binary: a detection stream in a CSV file in, the tracker's output per scan out, with the
//! tracker's own CPU time measured apart from parsing and writing.
//!
//! This crate does file I/O and measures time; the fusion core it drives does neither.

use std::fmt;
use std::path::PathBuf;

use biac_formats::Fault;

pub mod ballistic;
pub mod gmti;
pub mod track_csv;

/// Why an offline run stopped. `Display` is the message the commands print.
#[derive(Debug)]
pub enum HarnessError {
    /// Arguments the run cannot work with: what it needs.
    Args(&'static str),
    /// A file that cannot be read or written.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Input that does not parse: where (`FILE` or `FILE:LINE`) and the fault, of the
    /// kinds the format decoders report.
    Input { at: String, fault: Fault },
}

impl HarnessError {
    /// An I/O error on `path`, for `map_err`.
    pub fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> HarnessError + '_ {
        move |source| HarnessError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A fault in the input at `at`.
    pub fn input(at: impl fmt::Display, fault: Fault) -> HarnessError {
        HarnessError::Input {
            at: at.to_string(),
            fault,
        }
    }
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarnessError::Args(need) => f.write_str(need),
            HarnessError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            HarnessError::Input { at, fault } => write!(f, "{at}: {fault}"),
        }
    }
}

impl std::error::Error for HarnessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HarnessError::Io { source, .. } => Some(source),
            HarnessError::Input { fault, .. } => Some(fault),
            HarnessError::Args(_) => None,
        }
    }
}

/// CPU time of the calling thread, seconds: what the tracker itself cost, whatever else the
/// machine is doing.
pub fn thread_cpu_s() -> f64 {
    cpu_time::ThreadTime::now().as_duration().as_secs_f64()
}
