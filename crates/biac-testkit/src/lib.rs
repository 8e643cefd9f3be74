//! What the workspace's tests share and production code does not need: the wall clock
//! as a feed would stamp it, and waiting for a condition with a deadline (a test that
//! waits on a server must fail in bounded time, never hang). Fixtures of model types
//! are not here: their builders live on the types (`Observation::new`,
//! `CotEvent::new`), where production code can use them too.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub mod nats;
pub mod pg;

/// Wall-clock time in Unix milliseconds: the time a live feed stamps its reports with.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

/// How often the waits below test their condition.
const POLL: Duration = Duration::from_millis(100);

/// Whether `f` holds within `secs` seconds, tested every 100 ms (and once more at the
/// deadline).
pub fn eventually(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

/// Waits until `f` holds; panics naming `what` after `secs` seconds.
pub fn wait_for(secs: u64, what: &str, f: impl FnMut() -> bool) {
    assert!(
        eventually(secs, f),
        "timed out after {secs} s waiting for {what}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eventually_sees_a_condition_that_comes_true_and_gives_up_on_one_that_does_not() {
        let start = Instant::now();
        let mut n = 0;
        assert!(eventually(5, || {
            n += 1;
            n == 3
        }));
        assert_eq!(n, 3);
        assert!(!eventually(0, || false));
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[test]
    #[should_panic(expected = "timed out after 0 s waiting for the impossible")]
    fn wait_for_names_what_it_waited_for() {
        wait_for(0, "the impossible", || false);
    }

    #[test]
    fn now_ms_is_the_unix_clock() {
        // 2026-01-01 and 2100-01-01 in Unix ms: a clock in seconds or µs would fail.
        assert!((1_767_225_600_000..4_102_444_800_000).contains(&now_ms()));
    }
}
