//! Operations over time: platform upgrades (download, install, restart, done) and gateway
//! software upgrades, rollbacks and image upgrades (upgrading … complete or upgrade_fail).
//!
//! Nothing runs in the background. Each operation records when it started and a schedule drawn
//! with jitter; `advance` replays the schedule up to "now" (read from the simulator's
//! [`Clock`](crate::sim::clock::Clock), scaled by `--speed`) and applies what has finished.
//! Tests can therefore run on a fast clock, or on a manual one they step by hand.
//! Operations run side by side as on a real controller: gateway operations on different
//! gateways at once (the Terraform provider upgrades a gateway and its `-hagw` peer with two
//! concurrent calls), but no second operation on a gateway an unfinished job holds, no gateway
//! operation during a platform upgrade, and no platform upgrade while anything runs. Whether a
//! request is accepted is decided under the state's lock after `advance`, never by timing.
//! Every request is checked by the planner first: a rule the planner reports as a blocker
//! refuses the request, with the finding's code at the start of the reason. Which selected
//! gateways an operation works on is the planner's answer too
//! ([`will_change`](crate::plan::will_change)). Starting an operation, and refusing one, is
//! `engine/start.rs`.

use std::time::Duration;

use tokio::time::Instant;

use crate::plan::Action;
use crate::sim::state::SimState;
use crate::snapshot::shared_text::SharedText;
use crate::snapshot::{GatewayState, Snapshot, UpdateStatus};
use crate::version::Version;

mod start;

pub use start::{start_gateway_op, start_platform};

/// The reason a controller gives when an upgrade is already running. Confirmed (F3) for a
/// second platform `upgrade`; given here also for a gateway that an unfinished job holds, and
/// for a gateway operation during a platform upgrade (Inferred, docs/controller-api.md).
pub const ACTIVE_UPGRADE: &str = "Active upgrade in progress.";

const DOWNLOAD: Duration = Duration::from_secs(120);
const INSTALL: Duration = Duration::from_secs(330);
const RESTART: Duration = Duration::from_secs(150);
/// The restart window with the `restart` fault.
const LONG_RESTART: Duration = Duration::from_secs(600);
/// Seconds of each gateway stage: upgrading, downloading, downloaded, installing, initializing.
const SOFTWARE_STAGES: [u64; 5] = [10, 70, 10, 90, 60];
/// Replacing a gateway (rollback, image upgrade) takes longer in the last two stages.
const REPLACE_STAGES: [u64; 5] = [10, 70, 10, 150, 120];
const STAGE_STATUS: [UpdateStatus; 5] = [
    UpdateStatus::Upgrading,
    UpdateStatus::Downloading,
    UpdateStatus::Downloaded,
    UpdateStatus::Installing,
    UpdateStatus::Initializing,
];

/// The phases of a platform upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformPhase {
    Download,
    Install,
    Restart,
    Done,
}

impl PlatformPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformPhase::Download => "download",
            PlatformPhase::Install => "install",
            PlatformPhase::Restart => "restart",
            PlatformPhase::Done => "done",
        }
    }
}

/// One platform upgrade, with its schedule in simulated time.
#[derive(Debug, Clone)]
pub struct PlatformOp {
    pub request_id: u64,
    pub from: Version,
    pub to: Version,
    /// Before 6.5 the platform upgrade also upgrades every gateway.
    pub all_gateways: bool,
    started: Instant,
    download: Duration,
    install: Duration,
    restart: Duration,
    stuck: bool,
    /// Simulated time before the controller starts the task (the `late-start` fault).
    late_start: Duration,
    pub finished: bool,
}

impl PlatformOp {
    /// The phase and overall percentage after `elapsed` simulated time.
    pub fn phase_at(&self, elapsed: Duration) -> (PlatformPhase, u8) {
        let total = self.download + self.install + self.restart;
        let percent =
            |done: Duration| (done.as_secs_f64() * 100.0 / total.as_secs_f64()).min(100.0) as u8;
        if self.stuck && elapsed >= self.download + self.install.mul_f64(0.99) {
            return (PlatformPhase::Install, percent(elapsed).min(99));
        }
        if elapsed < self.download {
            (PlatformPhase::Download, percent(elapsed))
        } else if elapsed < self.download + self.install {
            (PlatformPhase::Install, percent(elapsed))
        } else if elapsed < total {
            (PlatformPhase::Restart, percent(elapsed))
        } else {
            (PlatformPhase::Done, 100)
        }
    }

    /// Clock time since the controller started the task (zero while it has not), scaled to
    /// simulated time by `state`.
    pub fn elapsed(&self, state: &SimState, now: Instant) -> Duration {
        self.accepted_for(state, now)
            .saturating_sub(self.late_start)
    }

    /// Whether the upgrade was accepted but its task has not started yet (`late-start`): a
    /// controller shows nothing of it then.
    pub fn pending(&self, state: &SimState, now: Instant) -> bool {
        self.accepted_for(state, now) < self.late_start
    }

    fn accepted_for(&self, state: &SimState, now: Instant) -> Duration {
        state.simulated(now.saturating_duration_since(self.started))
    }

    /// The simulated time from the task's start to the end of the restart window.
    pub fn total(&self) -> Duration {
        self.download + self.install + self.restart
    }
}

/// One gateway's part in a gateway operation.
#[derive(Debug, Clone)]
pub struct GatewayJob {
    pub index: usize,
    delay: Duration,
    stages: [Duration; 5],
    fails: bool,
    /// Ends `complete` without changing the gateway (the `no-op` fault).
    no_op: bool,
    pub finished: bool,
}

impl GatewayJob {
    fn end(&self) -> Duration {
        self.delay + self.stages.iter().sum::<Duration>()
    }

    /// The job's status and progress after `elapsed` simulated time, while not finished.
    fn status_at(&self, elapsed: Duration) -> (UpdateStatus, u8, usize) {
        let mut reached = self.delay;
        for (stage, length) in self.stages.iter().enumerate() {
            reached += *length;
            if elapsed < reached {
                let done = elapsed.saturating_sub(self.delay).as_secs_f64();
                let total = (self.end() - self.delay).as_secs_f64();
                return (
                    STAGE_STATUS[stage].clone(),
                    (done * 100.0 / total) as u8,
                    stage,
                );
            }
        }
        (UpdateStatus::Initializing, 99, 4)
    }
}

/// One gateway software upgrade, rollback or image upgrade.
#[derive(Debug, Clone)]
pub struct GatewayOp {
    pub request_id: u64,
    pub action: Action,
    pub target: Version,
    started: Instant,
    pub jobs: Vec<GatewayJob>,
    pub failed: Vec<usize>,
    pub finished: bool,
}

impl GatewayOp {
    /// The job of the gateway at `index`, if it is part of this operation.
    pub fn job_of(&self, index: usize) -> Option<&GatewayJob> {
        self.jobs.iter().find(|job| job.index == index)
    }
}

/// Catches every unfinished operation up to `now`: moves statuses along and applies what has
/// finished.
pub fn advance(state: &mut SimState, now: Instant) {
    if let Some(position) = state.running_platform() {
        advance_platform(state, position, now);
    }
    for position in state.running_gateway_ops() {
        advance_gateways(state, position, now);
    }
}

/// The platform upgrade in its restart window, if one is: the web tier is down.
pub fn restarting(state: &SimState, now: Instant) -> bool {
    let Some(position) = state.running_platform() else {
        return false;
    };
    let op = &state.platform_ops[position];
    op.phase_at(op.elapsed(state, now)).0 == PlatformPhase::Restart
}

fn advance_platform(state: &mut SimState, position: usize, now: Instant) {
    let op = &state.platform_ops[position];
    if op.phase_at(op.elapsed(state, now)).0 != PlatformPhase::Done {
        return;
    }
    let (from, to, all_gateways) = (op.from, op.to, op.all_gateways);
    let controller = &mut state.snapshot.controller;
    controller.previous_version = Some(from);
    controller.current_version = to;
    if all_gateways {
        for index in 0..state.snapshot.gateways().len() {
            finish_software(&mut state.snapshot, &state.catalog, index, to, false);
        }
    }
    state.sessions.drop_all();
    state.platform_ops[position].finished = true;
}

fn advance_gateways(state: &mut SimState, position: usize, now: Instant) {
    let started = state.gateway_ops[position].started;
    let elapsed = state.simulated(now.saturating_duration_since(started));
    let jobs = state.gateway_ops[position].jobs.len();
    for job_number in 0..jobs {
        let job = state.gateway_ops[position].jobs[job_number].clone();
        if job.finished {
            continue;
        }
        if elapsed >= job.end() {
            finish_job(state, position, &job);
            state.gateway_ops[position].jobs[job_number].finished = true;
        } else {
            show_progress(state, position, &job, elapsed);
        }
    }
    let op = &mut state.gateway_ops[position];
    op.finished = op.jobs.iter().all(|job| job.finished);
}

fn replaces(action: Action) -> bool {
    matches!(action, Action::SoftwareRollback | Action::ImageUpgrade)
}

fn show_progress(state: &mut SimState, position: usize, job: &GatewayJob, elapsed: Duration) {
    let action = state.gateway_ops[position].action;
    let (status, progress, stage) = job.status_at(elapsed);
    state.runtime[job.index].update_status = status;
    state.runtime[job.index].progress = progress;
    if !replaces(action) {
        return;
    }
    let replacing = match stage {
        3 => Some(GatewayState::Down),
        4 => Some(GatewayState::Waiting),
        _ => None,
    };
    if let Some(gateway_state) = replacing {
        state.snapshot.gateways_mut()[job.index].state = gateway_state;
        note_peer(state, position, job.index, true);
    }
}

/// While one member of an HA pair is replaced alone, its peer carries the traffic. A peer in
/// this operation, or in an unfinished job of another one, carries nothing.
fn note_peer(state: &mut SimState, position: usize, index: usize, replacing: bool) {
    let Some(peer) = state.snapshot.peer_of(index) else {
        return;
    };
    if state.gateway_ops[position].job_of(peer).is_some() || state.gateway_busy(peer) {
        return;
    }
    let name = state.snapshot.gateways()[index].name.to_string();
    state.runtime[peer].note =
        replacing.then(|| format!("carrying the traffic of {name} while it is replaced"));
}

fn finish_job(state: &mut SimState, position: usize, job: &GatewayJob) {
    let (action, target) = (
        state.gateway_ops[position].action,
        state.gateway_ops[position].target,
    );
    let replaced = replaces(action);
    if replaced {
        note_peer(state, position, job.index, false);
    }
    let runtime = &mut state.runtime[job.index];
    runtime.progress = 100;
    if job.fails {
        runtime.update_status = UpdateStatus::UpgradeFail;
        runtime.message = Some(failure_reason(action, target));
        state.snapshot.gateways_mut()[job.index].state = GatewayState::Up;
        state.gateway_ops[position].failed.push(job.index);
        return;
    }
    runtime.update_status = UpdateStatus::Complete;
    if job.no_op {
        state.snapshot.gateways_mut()[job.index].state = GatewayState::Up;
        return;
    }
    finish_software(
        &mut state.snapshot,
        &state.catalog,
        job.index,
        target,
        replaced,
    );
    let config_fail = replaced && state.settings.faults.config_fail;
    state.runtime[job.index].message = config_fail.then(|| CONFIG_FAIL_REASON.to_owned());
    state.snapshot.gateways_mut()[job.index].state = if config_fail {
        GatewayState::ConfigFail
    } else {
        GatewayState::Up
    };
}

/// The message of a gateway replaced into `config_fail` (the `config-fail` fault).
const CONFIG_FAIL_REASON: &str = "config_fail: the replaced gateway came up but its configuration \
could not be applied (tunnels and routes were not restored); check the gateway, then retry or \
roll back";

/// The message of a gateway job that failed (the `gw-fail` fault), in the words of the stage
/// that failed on real controllers: the download of the new software.
fn failure_reason(action: Action, target: Version) -> String {
    format!(
        "upgrade_fail: {} to {target} failed: the software package could not be downloaded to \
the gateway (timed out after 300 s); the gateway stays on its version",
        action.title()
    )
}

/// Moves a gateway to `software`; a replaced gateway also gets the image the matrix gives for
/// that software (or keeps its own when the matrix has none).
fn finish_software(
    snapshot: &mut Snapshot,
    catalog: &crate::catalog::Catalog,
    index: usize,
    software: Version,
    replaced: bool,
) {
    let gateway = &mut snapshot.gateways_mut()[index];
    if gateway.software_version != software {
        gateway.previous_software_version = Some(gateway.software_version);
        gateway.software_version = software;
    }
    if !replaced {
        return;
    }
    let Some(entry) = catalog.image_for(gateway.cloud, software.train()) else {
        return;
    };
    if gateway.image_version.as_deref() != Some(entry.image.as_str()) {
        gateway.previous_image_version = gateway.image_version.take();
        gateway.image_version = Some(SharedText::from(entry.image.as_str()));
        gateway.kernel_version = entry
            .kernel
            .as_deref()
            .map(SharedText::from)
            .or(gateway.kernel_version.take());
    }
}
