//! Staged rollouts: a gateway operation split into ordered waves by a [`Policy`] — a canary
//! first, then waves no larger than a limit — so that no wave takes both members of an HA pair,
//! one role goes before the other (primaries first by default), and a disruptive operation
//! (rollback, image upgrade) never takes every selected gateway of a region in one wave when
//! another wave could spread them. Waves are filled up to the limit wherever those rules allow.
//!
//! The planner's check runs over the whole selection first: gateways already at the target and
//! gateways a blocker names are listed apart with the reason; a blocker about the request as a
//! whole refuses the rollout. (`ha-pair-both-selected` is the one blocker waves resolve: no wave
//! holds both members.) Health is not known at plan time: the gates between waves catch a peer
//! that is down when its wave comes. Pure: no I/O, no clock but the `now` it is given.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::plan::checks::check;
use crate::plan::finding::{Code, Finding, Severity};
use crate::plan::request::{Action, Request, RequestError, scope, will_change};
use crate::snapshot::{Role, Snapshot};

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
    fn first(self, role: Role) -> bool {
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

/// One wave: the gateways sent together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wave {
    /// 1 for the first wave.
    pub number: usize,
    pub canary: bool,
    pub gateways: Vec<String>,
}

/// A selected gateway left out of every wave, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftOut {
    pub name: String,
    pub reason: String,
}

/// A rollout: the waves and what was left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollout {
    pub action: Action,
    pub policy: Policy,
    pub waves: Vec<Wave>,
    /// Already where the operation takes them.
    pub skipped: Vec<LeftOut>,
    /// Named by one of the planner's blockers.
    pub blocked: Vec<LeftOut>,
}

impl Rollout {
    /// The gateways that change, in every wave.
    pub fn changing(&self) -> usize {
        self.waves.iter().map(|wave| wave.gateways.len()).sum()
    }
}

/// A rollout that cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RolloutError {
    #[error("a rollout stages gateway operations: upgrade the platform as a single operation")]
    PlatformUpgrade,
    #[error(transparent)]
    Request(#[from] RequestError),
    /// A blocker about the request as a whole.
    #[error("{}", .0.reason())]
    Blocked(Finding),
}

/// Plans `request` (a gateway operation) in waves by `policy`.
pub fn plan(
    snapshot: &Snapshot,
    catalog: &Catalog,
    request: &Request,
    policy: &Policy,
    now: Timestamp,
) -> Result<Rollout, RolloutError> {
    if request.selection().is_none() {
        return Err(RolloutError::PlatformUpgrade);
    }
    let report = check(snapshot, catalog, request, now)?;
    let blocked = blocked_by(report.with_severity(Severity::Blocker))?;
    let skipped = scope(snapshot, catalog, request)?
        .skipped
        .into_iter()
        .map(|name| LeftOut {
            name,
            reason: "already where the operation takes it: nothing to do".to_owned(),
        })
        .collect();
    let changing = will_change(snapshot, catalog, request)?;
    let changing_names: HashSet<&str> = changing
        .iter()
        .map(|&index| snapshot.gateways()[index].name.as_str())
        .collect();
    // A blocker may name a gateway that does not change: it is skipped, not blocked.
    let blocked: HashMap<&str, String> = blocked
        .into_iter()
        .filter(|(name, _)| changing_names.contains(name))
        .collect();
    let candidates: Vec<usize> = changing
        .into_iter()
        .filter(|&index| !blocked.contains_key(snapshot.gateways()[index].name.as_str()))
        .collect();
    let disruptive = matches!(
        request.action(),
        Action::SoftwareRollback | Action::ImageUpgrade
    );
    let waves = Waves::new(snapshot, &candidates, policy, disruptive).all();
    let mut blocked: Vec<LeftOut> = blocked
        .into_iter()
        .map(|(name, reason)| LeftOut {
            name: name.to_owned(),
            reason,
        })
        .collect();
    blocked.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Rollout {
        action: request.action(),
        policy: *policy,
        waves,
        skipped,
        blocked,
    })
}

/// The gateways the blockers name, with the first blocker's reason; a blocker that names no
/// gateway refuses the rollout. Waves never hold both members of a pair, so
/// `ha-pair-both-selected` does not apply.
fn blocked_by<'a>(
    blockers: impl Iterator<Item = &'a Finding>,
) -> Result<HashMap<&'a str, String>, RolloutError> {
    let mut blocked = HashMap::new();
    for blocker in blockers.filter(|finding| finding.code != Code::HaPairBothSelected) {
        if blocker.gateways.is_empty() {
            return Err(RolloutError::Blocked(blocker.clone()));
        }
        for name in &blocker.gateways {
            blocked
                .entry(name.as_str())
                .or_insert_with(|| blocker.reason());
        }
    }
    Ok(blocked)
}

/// The wave builder: the candidates in the policy's order, placed wave by wave. Each wave
/// takes the waiting candidates in order, passing over those a rule keeps out of it (they stay
/// first in line for the next), so building costs about one look at each gateway.
struct Waves<'a> {
    snapshot: &'a Snapshot,
    /// Candidates not placed yet, in order.
    waiting: VecDeque<usize>,
    /// The wave each placed candidate went into.
    wave_of: HashMap<usize, usize>,
    candidates: HashSet<usize>,
    /// Candidates per region, for the spreading rule of disruptive operations.
    region_total: HashMap<&'a str, usize>,
    policy: &'a Policy,
    disruptive: bool,
    limit: usize,
}

impl<'a> Waves<'a> {
    fn new(
        snapshot: &'a Snapshot,
        candidates: &[usize],
        policy: &'a Policy,
        disruptive: bool,
    ) -> Self {
        let mut waiting = candidates.to_vec();
        // The policy's first role first; otherwise the selection's order.
        waiting.sort_by_key(|&index| !policy.order.first(snapshot.gateways()[index].role));
        let mut region_total: HashMap<&str, usize> = HashMap::new();
        for &index in candidates {
            *region_total
                .entry(snapshot.gateways()[index].region.as_str())
                .or_default() += 1;
        }
        Self {
            snapshot,
            wave_of: HashMap::with_capacity(candidates.len()),
            candidates: candidates.iter().copied().collect(),
            waiting: waiting.into(),
            region_total,
            policy,
            disruptive,
            limit: policy.wave_limit(candidates.len()),
        }
    }

    /// Every wave, the canary first. Every wave places at least one gateway (the first
    /// waiting gateway of the first role is always eligible for an empty wave, and one of the
    /// second role once its peer is placed), so this ends.
    fn all(mut self) -> Vec<Wave> {
        let mut waves = Vec::new();
        if self.policy.canary > 0 && !self.waiting.is_empty() {
            let canary = self.next(waves.len() + 1, self.policy.canary, true);
            waves.push(canary);
        }
        while !self.waiting.is_empty() {
            let wave = self.next(waves.len() + 1, self.limit, false);
            if wave.gateways.is_empty() {
                break;
            }
            waves.push(wave);
        }
        waves
    }

    /// Wave `number`, with up to `size` eligible gateways taken in order.
    fn next(&mut self, number: usize, size: usize, canary: bool) -> Wave {
        let mut taken: Vec<usize> = Vec::new();
        let mut passed_over: Vec<usize> = Vec::new();
        let mut regions: HashMap<&str, usize> = HashMap::new();
        while taken.len() < size {
            let Some(index) = self.waiting.pop_front() else {
                break;
            };
            if !self.eligible(index, number, &regions) {
                passed_over.push(index);
                continue;
            }
            self.wave_of.insert(index, number);
            *regions.entry(self.region(index)).or_default() += 1;
            taken.push(index);
        }
        for index in passed_over.into_iter().rev() {
            self.waiting.push_front(index);
        }
        let gateways = taken
            .into_iter()
            .map(|index| self.snapshot.gateways()[index].name.clone())
            .collect();
        Wave {
            number,
            canary,
            gateways,
        }
    }

    fn region(&self, index: usize) -> &'a str {
        self.snapshot.gateways()[index].region.as_str()
    }

    /// Whether `index` may join wave `number`, which already holds `regions`.
    fn eligible(&self, index: usize, number: usize, regions: &HashMap<&str, usize>) -> bool {
        self.pair_allows(index, number) && self.region_allows(index, regions)
    }

    /// Never both members of a pair in one wave; the second role only after the first.
    fn pair_allows(&self, index: usize, number: usize) -> bool {
        let Some(peer) = self
            .snapshot
            .peer_of(index)
            .filter(|peer| self.candidates.contains(peer))
        else {
            return true;
        };
        let goes_first = self
            .policy
            .order
            .first(self.snapshot.gateways()[index].role);
        match self.wave_of.get(&peer) {
            Some(&wave) => wave != number,
            None => goes_first,
        }
    }

    /// For a disruptive operation, never every selected gateway of a region (two or more) in
    /// one wave.
    fn region_allows(&self, index: usize, regions: &HashMap<&str, usize>) -> bool {
        if !self.disruptive {
            return true;
        }
        let region = self.region(index);
        let total = self.region_total.get(region).copied().unwrap_or(0);
        let in_wave = regions.get(region).copied().unwrap_or(0);
        total < 2 || in_wave + 1 < total
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
