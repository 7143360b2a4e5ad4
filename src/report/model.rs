//! The change record of one operation or rollout: what was planned, checked, confirmed, sent
//! and verified, when, by whom, and each gateway's state before and after. It is built from the
//! journal; the renderers (Markdown, HTML, JSON) read only this.

use jiff::Timestamp;
use serde::Serialize;

/// Everything a change board needs about one operation or rollout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeRecord {
    /// The journal's id of the operation or rollout, e.g. `20261201T041500Z-3f9a`.
    pub id: String,
    pub kind: RecordKind,
    /// One line: "Software upgrade of 12 gateways to 7.1.4183", "Rollout of 200 gateways in 5 waves".
    pub title: String,
    /// The controller's URL (never with a `user:password@` part).
    pub controller: String,
    /// The controller account that logged in.
    pub controller_user: String,
    /// The local account (`$USER`) that ran avx-upgrade.
    pub local_user: String,
    pub started: Timestamp,
    /// When the last record was written; `None` while unfinished.
    pub ended: Option<Timestamp>,
    pub outcome: RecordOutcome,
    /// How it ended, in the words the journal recorded.
    pub outcome_message: String,
    /// The steps as planned and confirmed: one for a single operation; the waves and platform
    /// hops of a rollout, in order.
    pub plan: Vec<PlanStep>,
    /// The dry run of each step that had one, with every checklist item.
    pub dry_runs: Vec<DryRunSection>,
    /// Each confirmation: what was confirmed, how, by whom, when.
    pub confirmations: Vec<Confirmation>,
    /// One row per step (wave, platform hop or single operation), in the order they ran.
    pub timeline: Vec<TimelineRow>,
    /// Every gateway the record touched, before and after.
    pub gateways: Vec<GatewayChange>,
    /// Every failure, of a gateway or of a step, with its reason.
    pub failures: Vec<Failure>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordKind {
    Operation,
    Rollout,
}

/// How the whole operation or rollout ended (the journal's word for it: one vocabulary for
/// `history` and the report).
pub use crate::journal::history::Ending as RecordOutcome;

/// One planned step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanStep {
    /// 1.. in the order of the plan.
    pub number: u32,
    /// "wave 1 (canary)", "platform 7.0.2239 → 7.1.4183", "software upgrade".
    pub label: String,
    /// The version the step goes to, when it names one.
    pub target: Option<String>,
    /// The gateways of the step (none for a platform hop).
    pub gateways: Vec<String>,
}

/// The dry run of one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DryRunSection {
    /// The step's label, as in [`PlanStep::label`].
    pub step: String,
    pub passed: bool,
    pub checks: Vec<CheckItem>,
}

/// One checklist item of a dry run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckItem {
    pub item: String,
    pub passed: bool,
    pub detail: String,
}

/// One confirmation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Confirmation {
    /// What was confirmed: a step's label, or "the rollout".
    pub what: String,
    /// How: "typed 22", "y", "--yes".
    pub how: String,
    pub controller_user: String,
    pub local_user: String,
    pub at: Timestamp,
}

/// One row of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineRow {
    /// The step's label, as in [`PlanStep::label`].
    pub label: String,
    pub start: Timestamp,
    /// `None` while it runs, or when avx-upgrade stopped before it ended.
    pub end: Option<Timestamp>,
    pub outcome: RowOutcome,
    /// Gateways in the step (0 for a platform hop).
    pub gateways: usize,
    /// Gateways of the step that failed.
    pub failed: usize,
    pub message: String,
}

/// How one step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowOutcome {
    Passed,
    Failed,
    Unfinished,
}

impl RowOutcome {
    /// The mark and word shown for it, so it reads without colour: "✓ passed".
    pub fn label(self) -> &'static str {
        match self {
            RowOutcome::Passed => "✓ passed",
            RowOutcome::Failed => "✗ failed",
            RowOutcome::Unfinished => "… unfinished",
        }
    }
}

/// One gateway, before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GatewayChange {
    pub name: String,
    /// The label of the step that changed it.
    pub step: String,
    pub before: GatewayState,
    /// As read back after the step; `None` when it was not read (unfinished, or an older
    /// journal that did not record it).
    pub after: Option<GatewayState>,
    pub outcome: GatewayOutcome,
    /// Why it failed, when it did.
    pub failure: Option<String>,
}

impl GatewayChange {
    /// Which of software, image and state changed: the report highlights these.
    pub fn changed(&self) -> Changed {
        let Some(after) = &self.after else {
            return Changed::default();
        };
        Changed {
            software: after.software != self.before.software,
            image: after.image != self.before.image,
            state: after.state != self.before.state,
        }
    }
}

/// Which fields of a gateway changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changed {
    pub software: bool,
    pub image: bool,
    pub state: bool,
}

/// A gateway's software, image and state at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayState {
    pub software: String,
    pub image: Option<String>,
    /// `up`, `down`, `waiting`, `config_fail`.
    pub state: String,
    pub tunnels_up: bool,
}

/// How one gateway ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GatewayOutcome {
    Passed,
    Failed,
    /// Skipped by the operator, or left out because nothing would change.
    Skipped,
    /// No verdict recorded.
    Unfinished,
}

impl GatewayOutcome {
    /// The mark and word shown for it: "✓ passed".
    pub fn label(self) -> &'static str {
        match self {
            GatewayOutcome::Passed => "✓ passed",
            GatewayOutcome::Failed => "✗ failed",
            GatewayOutcome::Skipped => "– skipped",
            GatewayOutcome::Unfinished => "… unfinished",
        }
    }
}

/// One failure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    /// A gateway's name, or a step's label.
    pub what: String,
    pub reason: String,
}
