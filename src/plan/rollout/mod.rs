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

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::plan::checks::check;
use crate::plan::finding::{Code, Finding, Report, Severity};
use crate::plan::request::{Action, Request, RequestError, scope, will_change};
use crate::snapshot::Snapshot;

pub mod document;
mod policy;
mod runbook;

pub use document::{Document, Step, fingerprint};
pub use policy::{Advance, Order, Policy, Size, SizeError};
pub use runbook::{Hop, runbook};

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

/// Why a selected gateway that a blocker does not name is left out.
pub const ALREADY_THERE: &str = "already where the operation takes it: nothing to do";

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

    /// Whether a blocker keeps gateways out: some are blocked, or nothing changes and a
    /// blocker says why for every gateway (e.g. the controller has no previous version to roll
    /// back to). Nothing to do because everything is already there is not blocked.
    pub fn is_blocked(&self) -> bool {
        let explained = |left: &LeftOut| left.reason != ALREADY_THERE;
        let nothing_can_change =
            self.waves.is_empty() && !self.skipped.is_empty() && self.skipped.iter().all(explained);
        !self.blocked.is_empty() || nothing_can_change
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
    // As the console does: what does not change is left out first, with the planner's reason
    // when it gives one; the rest is checked as the request that would be sent.
    let whole = check(snapshot, catalog, request, now)?;
    let scope = scope(snapshot, catalog, request)?;
    let skipped = left_out(&scope.skipped, &whole, scope.changes == 0)?;
    let blocked = match scope.changes {
        0 => HashMap::new(),
        _ => {
            let sent = check(snapshot, catalog, &scope.request, now)?;
            owned(blocked_by(sent.with_severity(Severity::Blocker))?)
        }
    };
    let candidates: Vec<usize> = will_change(snapshot, catalog, request)?
        .into_iter()
        .filter(|&index| !blocked.contains_key(&*snapshot.gateways()[index].name))
        .collect();
    let disruptive = matches!(
        request.action(),
        Action::SoftwareRollback | Action::ImageUpgrade
    );
    let waves = Waves::new(snapshot, &candidates, policy, disruptive).all();
    let mut blocked: Vec<LeftOut> = blocked
        .into_iter()
        .map(|(name, reason)| LeftOut { name, reason })
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

/// The selected gateways that do not change, each with the reason a blocker of the whole
/// request gives for it, or "already where the operation takes it". When `nothing_changes`,
/// a blocker about the request as a whole refuses the rollout (otherwise the check of the
/// gateways that change decides).
fn left_out(
    unchanged: &[String],
    whole: &Report,
    nothing_changes: bool,
) -> Result<Vec<LeftOut>, RolloutError> {
    let reasons = match blocked_by(whole.with_severity(Severity::Blocker)) {
        Ok(reasons) => reasons,
        Err(error) if nothing_changes => return Err(error),
        Err(_) => HashMap::new(),
    };
    Ok(unchanged
        .iter()
        .map(|name| LeftOut {
            name: name.clone(),
            reason: reasons
                .get(name.as_str())
                .cloned()
                .unwrap_or_else(|| ALREADY_THERE.to_owned()),
        })
        .collect())
}

fn owned(map: HashMap<&str, String>) -> HashMap<String, String> {
    map.into_iter()
        .map(|(name, reason)| (name.to_owned(), reason))
        .collect()
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
                .entry(snapshot.gateways()[index].region.as_ref())
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
            .map(|index| self.snapshot.gateways()[index].name.to_string())
            .collect();
        Wave {
            number,
            canary,
            gateways,
        }
    }

    fn region(&self, index: usize) -> &'a str {
        self.snapshot.gateways()[index].region.as_ref()
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
