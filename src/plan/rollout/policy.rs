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

    /// The policy in words, for `total` gateways that change.
    pub fn describe(&self, total: usize) -> String {
        let advance = match self.advance {
            Advance::OnKey => "each wave starts on a key",
            Advance::Automatic => "each wave starts on its own",
        };
        let order = match self.order {
            Order::PrimariesFirst => "primaries first",
            Order::SecondariesFirst => "secondaries first",
        };
        format!(
            "canary {}, waves of at most {} ({}), failure budget {} ({} tolerated), soak {}s, {advance}, {order}",
            self.canary,
            self.wave_size,
            self.wave_limit(total),
            self.max_failures,
            self.failures_allowed(total),
            self.soak.as_secs(),
        )
    }

    /// The policy with the settings of `edits` changed: `canary N`, `wave-size N|P%`,
    /// `max-failures N|P%`, `soak SECS`, and the words `automatic`, `on-key`,
    /// `primaries-first`, `secondaries-first` (the console's `:policy`). Nothing changes when
    /// one is wrong; the error says which and what to give.
    pub fn edited(&self, edits: &str) -> Result<Policy, String> {
        let mut policy = *self;
        let mut words = edits.split_whitespace();
        while let Some(word) = words.next() {
            let mut value = || {
                words
                    .next()
                    .ok_or_else(|| format!("{word} needs a value, e.g. {word} {}", example(word)))
            };
            match word {
                "canary" => policy.canary = number(word, value()?)?,
                "wave-size" => {
                    policy.wave_size = value()?.parse().map_err(|e: SizeError| e.to_string())?
                }
                "max-failures" => {
                    policy.max_failures = value()?.parse().map_err(|e: SizeError| e.to_string())?;
                }
                "soak" => policy.soak = Duration::from_secs(number(word, value()?)?),
                "automatic" => policy.advance = Advance::Automatic,
                "on-key" => policy.advance = Advance::OnKey,
                "primaries-first" => policy.order = Order::PrimariesFirst,
                "secondaries-first" => policy.order = Order::SecondariesFirst,
                other => {
                    return Err(format!(
                        "unknown policy setting \"{}\": use canary N, wave-size N|P%, max-failures N|P%, soak SECS, automatic, on-key, primaries-first or secondaries-first",
                        crate::quote::quoted(other)
                    ));
                }
            }
        }
        Ok(policy)
    }
}

fn example(setting: &str) -> &'static str {
    match setting {
        "wave-size" => "25%",
        "max-failures" => "2",
        "soak" => "300",
        _ => "1",
    }
}

fn number<T: FromStr>(setting: &str, text: &str) -> Result<T, String> {
    text.parse().map_err(|_| {
        format!(
            "{setting} takes a whole number, not \"{}\"",
            crate::quote::quoted(text)
        )
    })
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
    fn edits_change_only_what_they_name_and_a_bad_one_changes_nothing() {
        let policy = Policy::default()
            .edited("canary 2 wave-size 10 max-failures 5% soak 60 automatic secondaries-first")
            .unwrap();
        assert_eq!(
            policy,
            Policy {
                canary: 2,
                wave_size: Size::Count(10),
                max_failures: Size::Percent(5),
                soak: Duration::from_secs(60),
                advance: Advance::Automatic,
                order: Order::SecondariesFirst,
            }
        );
        for (bad, said) in [
            ("canary", "canary needs a value"),
            ("canary two", "whole number"),
            ("wave-size 0%", "e.g. 25%"),
            ("speed 9", "unknown policy setting"),
        ] {
            let error = Policy::default().edited(bad).unwrap_err();
            assert!(error.contains(said), "{bad}: {error}");
        }
        assert!(
            policy
                .describe(40)
                .starts_with("canary 2, waves of at most 10 (10), failure budget 5% (2 tolerated)")
        );
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
