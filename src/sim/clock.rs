//! Where the simulator reads the time. Every request reads "now" once from the [`Clock`]; the
//! engine scales the time since an operation started by `--speed` into simulated time, and
//! session idleness is counted on the same clock, unscaled.
//!
//! The wall clock is what `avx-upgrade sim` and `demo` run on. A [`ManualClock`] stands still
//! until its owner calls [`ManualClock::advance`]: tests step an operation from stage to stage,
//! or a session past its idle time, without waiting for real time to pass and without depending
//! on how fast the machine is. (`tokio::time::pause` cannot do this: with real loopback I/O it
//! advances by itself into the client's timeouts.)

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// The simulator's source of "now".
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// Real time, as a running controller lives it.
    #[default]
    Wall,
    /// Time that moves only when [`ManualClock::advance`] is called (for tests).
    Manual(ManualClock),
}

impl Clock {
    /// A clock that stands still until advanced by hand.
    pub fn manual() -> Self {
        Clock::Manual(ManualClock::new())
    }

    /// The current time on this clock.
    pub fn now(&self) -> Instant {
        match self {
            Clock::Wall => Instant::now(),
            Clock::Manual(clock) => clock.now(),
        }
    }

    /// The manual clock, if this is one.
    pub fn as_manual(&self) -> Option<&ManualClock> {
        match self {
            Clock::Wall => None,
            Clock::Manual(clock) => Some(clock),
        }
    }
}

/// A clock that moves only when told to. Clones share the same time, so a test keeps one and
/// the simulator reads another.
#[derive(Debug, Clone)]
pub struct ManualClock {
    /// The instant this clock started at; it reads `origin + offset`.
    origin: Instant,
    /// Nanoseconds advanced so far.
    offset: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock that reads the present instant until it is advanced.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
            offset: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The current time: the start plus everything advanced so far.
    pub fn now(&self) -> Instant {
        self.origin + Duration::from_nanos(self.offset.load(Ordering::SeqCst))
    }

    /// How far the clock has been advanced in total.
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.offset.load(Ordering::SeqCst))
    }

    /// Moves the clock `by` forward (saturating, some five centuries after its start).
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .offset
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |offset| {
                Some(offset.saturating_add(by))
            });
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_still_until_advanced_and_clones_share_it() {
        let clock = ManualClock::new();
        let shared = Clock::Manual(clock.clone());
        let start = shared.now();
        assert_eq!(shared.now(), start, "it does not move by itself");
        clock.advance(Duration::from_secs(90));
        assert_eq!(shared.now() - start, Duration::from_secs(90));
        assert_eq!(clock.elapsed(), Duration::from_secs(90));
        clock.advance(Duration::MAX);
        assert_eq!(clock.elapsed(), Duration::from_nanos(u64::MAX), "saturates");
    }

    #[test]
    fn the_wall_clock_moves_and_is_not_manual() {
        let clock = Clock::default();
        assert!(clock.as_manual().is_none());
        let before = Instant::now();
        assert!(clock.now() >= before);
        assert!(Clock::manual().as_manual().is_some());
    }
}
