//! A rollout's policy: the canary, the largest wave, the failure budget, the soak time, how a
//! wave starts, and which member of each HA pair goes first. Sizes are a count of gateways or a
//! percentage of those that change (`10`, `25%`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::snapshot::Role;

/// A number of gateways, or a percentage of those that change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Size {
    Count(usize),
    Percent(u8),
}

impl Size {
    /// The count this size means out of `total` gateways; a percentage rounds up.
    pub fn of(self, total: usize) -> usize {
        match self {
            Size::Count(count) => count,
            Size::Percent(percent) => (total * usize::from(percent)).div_ceil(100),
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Size::Count(count) => write!(f, "{count}"),
            Size::Percent(percent) => write!(f, "{percent}%"),
        }
    }
}

/// A size that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid size \"{0}\": expected a number of gateways (e.g. 10) or a percentage from 1% to 100% (e.g. 25%)"
)]
pub struct SizeError(String);

impl FromStr for Size {
    type Err = SizeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || SizeError(crate::quote::quoted(text).to_string());
        let trimmed = text.trim();
        if let Some(percent) = trimmed.strip_suffix('%') {
            let percent: u8 = percent.trim().parse().map_err(|_| error())?;
            return match percent {
                1..=100 => Ok(Size::Percent(percent)),
                _ => Err(error()),
            };
        }
        trimmed.parse().map(Size::Count).map_err(|_| error())
    }
}

/// Which member of each HA pair goes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    #[default]
    PrimariesFirst,
    SecondariesFirst,
}

impl Order {
    /// Whether `role` goes in the first round of its pair.
    pub fn first(self, role: Role) -> bool {
        matches!(
            (self, role),
            (Order::PrimariesFirst, Role::Primary) | (Order::SecondariesFirst, Role::Secondary)
        )
    }
}

/// How a rollout goes from one wave to the next once the gate has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Advance {
    /// Each wave waits for the operator.
    #[default]
    OnKey,
    /// Each wave starts on its own after the soak time.
    Automatic,
}

/// How a rollout is staged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Gateways in the first wave, the canary (0: no canary).
    pub canary: usize,
    /// The largest wave after the canary.
    pub wave_size: Size,
    /// Failed gateways tolerated across the rollout; one more stops it.
    pub max_failures: Size,
    /// Time to wait after a wave's gate before the next wave.
    #[serde(with = "seconds")]
    pub soak: Duration,
    pub advance: Advance,
    pub order: Order,
}

impl Default for Policy {
    /// One canary, waves of a quarter of the gateways, no failure tolerated, no soak, each
    /// wave on a key, primaries first.
    fn default() -> Self {
        Self {
            canary: 1,
            wave_size: Size::Percent(25),
            max_failures: Size::Count(0),
            soak: Duration::ZERO,
            advance: Advance::OnKey,
            order: Order::PrimariesFirst,
        }
    }
}

impl Policy {
    /// The failed gateways tolerated out of `total` that change.
    pub fn failures_allowed(&self, total: usize) -> usize {
        match self.max_failures {
            Size::Count(count) => count,
            // A percentage tolerates the failures it covers, rounding down: 10% of 5 is none.
            Size::Percent(percent) => total * usize::from(percent) / 100,
        }
    }

    /// The largest wave after the canary, for `total` gateways that change: at least one.
    pub fn wave_limit(&self, total: usize) -> usize {
        self.wave_size.of(total).max(1)
    }
}

mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(soak: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(soak.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_counts_or_percentages_and_bad_ones_say_what_to_give() {
        assert_eq!("10".parse(), Ok(Size::Count(10)));
        assert_eq!(" 25% ".parse(), Ok(Size::Percent(25)));
        for bad in ["0%", "101%", "-1", "ten", "%", "1.5"] {
            let error = bad.parse::<Size>().unwrap_err().to_string();
            assert!(error.contains("e.g. 25%"), "{bad}: {error}");
        }
        assert_eq!(Size::Percent(25).to_string(), "25%");
    }

    #[test]
    fn a_percentage_of_waves_rounds_up_and_of_failures_rounds_down() {
        let policy = Policy {
            wave_size: Size::Percent(10),
            max_failures: Size::Percent(10),
            ..Policy::default()
        };
        assert_eq!(policy.wave_limit(5), 1);
        assert_eq!(policy.wave_limit(101), 11);
        assert_eq!(policy.wave_limit(0), 1, "never a wave of none");
        assert_eq!(policy.failures_allowed(5), 0);
        assert_eq!(policy.failures_allowed(100), 10);
    }

    #[test]
    fn a_policy_round_trips_through_json_with_the_soak_in_seconds() {
        let policy = Policy {
            soak: Duration::from_secs(90),
            advance: Advance::Automatic,
            ..Policy::default()
        };
        let json = serde_json::to_string(&policy).unwrap();
        assert!(json.contains(r#""soak":90"#), "{json}");
        assert!(json.contains(r#""wave_size":{"percent":25}"#), "{json}");
        assert_eq!(serde_json::from_str::<Policy>(&json).unwrap(), policy);
    }
}
