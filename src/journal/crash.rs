//! Deterministic crash points for tests of what a killed process leaves behind: with
//! `AVX_UPGRADE_CRASH=after:N` the process aborts right after the Nth journal record it writes
//! is on disk; with `before:N` it aborts when it is about to write the Nth (so, for a call's
//! answer, after the call was sent and before its answer is recorded). Unset, it costs one
//! check of a cached value per record. Test-only: no user has a reason to set it.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The variable that sets a crash point.
pub const CRASH_VARIABLE: &str = "AVX_UPGRADE_CRASH";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Point {
    Before(u64),
    After(u64),
}

fn point() -> Option<Point> {
    static POINT: OnceLock<Option<Point>> = OnceLock::new();
    *POINT.get_or_init(|| {
        let value = std::env::var(CRASH_VARIABLE).ok()?;
        let (when, count) = value.split_once(':')?;
        let count: u64 = count.trim().parse().ok()?;
        match when.trim() {
            "before" => Some(Point::Before(count)),
            "after" => Some(Point::After(count)),
            _ => None,
        }
    })
}

static WRITTEN: AtomicU64 = AtomicU64::new(0);

/// Called before a record is written.
pub(super) fn before_write() {
    if point() == Some(Point::Before(WRITTEN.load(Ordering::SeqCst) + 1)) {
        std::process::abort();
    }
}

/// Called once a record is on disk.
pub(super) fn after_write() {
    let written = WRITTEN.fetch_add(1, Ordering::SeqCst) + 1;
    if point() == Some(Point::After(written)) {
        std::process::abort();
    }
}
