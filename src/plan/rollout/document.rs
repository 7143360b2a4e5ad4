//! A planned rollout as one JSON document: what `rollout plan --json` prints and `rollout
//! apply` reads. It records what it was planned against (the controller, its version, and a
//! fingerprint of the fleet's names, roles, peers, versions, images and states), so that a
//! document planned against another fleet, or against this one before it changed, is noticed.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[cfg(doc)]
use crate::load::FileKind;
use crate::load::{self, LoadError};
use crate::plan::rollout::{Hop, Rollout, Wave};
use crate::snapshot::Snapshot;
use crate::version::Version;

/// The format of this document.
pub const FORMAT: u32 = 1;

/// A rollout plan, with what it was planned against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub format: u32,
    pub planned_at: Timestamp,
    /// The controller's URL, or `None` when planned against a snapshot file.
    pub controller: Option<String>,
    pub controller_version: Version,
    /// [`fingerprint`] of the fleet.
    pub fleet: String,
    /// The version the gateways go to, when the operation names one.
    pub target: Option<Version>,
    pub rollout: Rollout,
    /// The platform hops of a runbook across trains, each followed by its gateways' waves;
    /// none for a rollout within the controller's version.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hops: Vec<Hop>,
}

/// One step of a rollout, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// A wave of gateways; `to` is the hop's version for the waves after a hop, `None` for
    /// the first stage's (which go where the operation takes them on the controller as it is).
    Wave { wave: &'a Wave, to: Option<Version> },
    /// A platform upgrade.
    Platform(&'a Hop),
}

impl Step<'_> {
    /// The step in words, for the log, the key prompt, the console's timeline and the change
    /// record: `wave 2`, `wave 5 (canary, to 7.1.4183)`, `platform 7.0.2239 → 7.1.4183`.
    pub fn describe(&self) -> String {
        match self {
            Step::Wave { wave, to } => {
                let notes: Vec<String> = [
                    wave.canary.then(|| "canary".to_owned()),
                    to.map(|to| format!("to {to}")),
                ]
                .into_iter()
                .flatten()
                .collect();
                match notes.is_empty() {
                    true => format!("wave {}", wave.number),
                    false => format!("wave {} ({})", wave.number, notes.join(", ")),
                }
            }
            Step::Platform(hop) => format!("platform {} → {}", hop.from, hop.to),
        }
    }

    /// The step's place in the sequence.
    pub fn number(&self) -> usize {
        match self {
            Step::Wave { wave, .. } => wave.number,
            Step::Platform(hop) => hop.number,
        }
    }
}

/// `sha256:` and the hex digest of each gateway's name, role, peer, software and image
/// versions and state, in name order: the same fleet gives the same fingerprint, and any
/// change to what a rollout depends on changes it.
pub fn fingerprint(snapshot: &Snapshot) -> String {
    let mut digest = Sha256::new();
    for &index in snapshot.in_name_order() {
        let Some(gateway) = snapshot.gateways().get(index as usize) else {
            continue;
        };
        let line = format!(
            "{}\t{:?}\t{}\t{}\t{}\t{}\n",
            gateway.name,
            gateway.role,
            gateway.peer.as_deref().unwrap_or(""),
            gateway.software_version,
            gateway.image_version.as_deref().unwrap_or(""),
            gateway.state.name(),
        );
        digest.update(line.as_bytes());
    }
    let hex: String = digest
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("sha256:{hex}")
}

impl Document {
    /// Every step in order: the first stage's waves, then each hop and its waves.
    pub fn steps(&self) -> Vec<Step<'_>> {
        let first = self
            .rollout
            .waves
            .iter()
            .map(|wave| Step::Wave { wave, to: None });
        let hops = self.hops.iter().flat_map(|hop| {
            std::iter::once(Step::Platform(hop)).chain(hop.waves.iter().map(|wave| Step::Wave {
                wave,
                to: Some(hop.to),
            }))
        });
        first.chain(hops).collect()
    }

    /// The gateways the failure budget is taken from: the largest stage's.
    pub fn budget_base(&self) -> usize {
        self.hops
            .iter()
            .map(|hop| stage_size(&hop.waves))
            .fold(stage_size(&self.rollout.waves), usize::max)
    }

    /// Every gateway change of every stage: a gateway upgraded before and after a hop counts
    /// twice.
    pub fn gateway_changes(&self) -> usize {
        self.hops
            .iter()
            .map(|hop| stage_size(&hop.waves))
            .sum::<usize>()
            + stage_size(&self.rollout.waves)
    }

    /// The failed gateways the policy tolerates across the whole rollout.
    pub fn failures_allowed(&self) -> usize {
        self.rollout.policy.failures_allowed(self.budget_base())
    }

    /// The platform version the rollout ends on, when it includes a platform hop.
    pub fn final_platform(&self) -> Option<Version> {
        self.hops.last().map(|hop| hop.to)
    }

    /// Reads a document from `bytes` (the file named `file`, in errors, read with
    /// [`FileKind::RolloutPlan`]'s limit); refuses another format with what to do.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Document, LoadError> {
        let document: Document = load::parse_json(file, bytes)?;
        if document.format != FORMAT {
            return Err(LoadError::at(
                file,
                "format",
                format!(
                    "format {} is not one this avx-upgrade reads (it reads {FORMAT}): plan the rollout again with this version",
                    document.format
                ),
            ));
        }
        Ok(document)
    }
}

/// The gateways of a stage's waves.
fn stage_size(waves: &[Wave]) -> usize {
    waves.iter().map(|wave| wave.gateways.len()).sum()
}
