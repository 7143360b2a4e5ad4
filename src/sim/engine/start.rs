//! Whether the simulator accepts an operation: the planner's blockers refuse it, and so does
//! anything already running that it would collide with; an accepted one gets its schedule.

use std::time::Duration;

use jiff::Timestamp;
use rand::RngExt;
use tokio::time::Instant;

use super::{
    ACTIVE_UPGRADE, DOWNLOAD, GatewayJob, GatewayOp, INSTALL, LONG_RESTART, PlatformOp,
    REPLACE_STAGES, RESTART, SOFTWARE_STAGES,
};
use crate::plan::{self, Action, Code, Report, Request, Severity};
use crate::sim::state::{GatewayRuntime, SimState};
use crate::snapshot::UpdateStatus;
use crate::version::Target;

/// Starts a platform upgrade to `target` after the planner's check; returns its request id.
/// `with_gateways` upgrades every gateway with the platform (the `upgrade` action), as any
/// platform upgrade from before 6.5 does.
pub fn start_platform(
    state: &mut SimState,
    target: Option<Target>,
    with_gateways: bool,
    now: Instant,
) -> Result<u64, String> {
    refuse_platform_if_busy(state)?;
    let request = Request::PlatformUpgrade { target };
    let report = refuse_if_blocked(state, &request)?;
    if let Some(nothing_to_do) = report.get(Code::AlreadyCurrent) {
        return Err(nothing_to_do.reason());
    }
    let from = state.snapshot.controller.current_version;
    let to = plan::path::resolve_target(from, target, &state.catalog)
        .map_err(|finding| finding.reason())?;
    let jitter =
        |state: &mut SimState, base: Duration| base.mul_f64(state.rng.random_range(0.9..1.1));
    let restart = if state.settings.faults.long_restart {
        LONG_RESTART
    } else {
        RESTART
    };
    let op = PlatformOp {
        request_id: state.next_request_id(),
        from,
        to,
        all_gateways: with_gateways || from.train().before_selective_upgrade(),
        started: now,
        download: jitter(state, DOWNLOAD),
        install: jitter(state, INSTALL),
        restart: jitter(state, restart),
        stuck: state.settings.faults.stuck,
        late_start: state.settings.faults.late_start,
        finished: false,
    };
    let request_id = op.request_id;
    state.platform_ops.push(op);
    Ok(request_id)
}

/// Starts a gateway operation after the planner's check; returns its request id. Gateways that
/// already are where it takes them are skipped.
pub fn start_gateway_op(
    state: &mut SimState,
    request: &Request,
    now: Instant,
) -> Result<u64, String> {
    for name in request.named() {
        *state.calls_per_gateway.entry(name.clone()).or_default() += 1;
    }
    refuse_gateways_if_busy(state, request)?;
    refuse_if_blocked(state, request)?;
    let work = plan::will_change(&state.snapshot, &state.catalog, request)
        .map_err(|error| error.to_string())?;
    let action = request.action();
    let target = match action {
        Action::SoftwareRollback => state
            .snapshot
            .controller
            .previous_version
            .ok_or("no-rollback-target: the controller has no previous version")?,
        _ => state.snapshot.controller.current_version,
    };
    let jobs: Vec<GatewayJob> = work
        .iter()
        .map(|&index| new_job(state, action, index))
        .collect();
    for job in &jobs {
        let name = state.snapshot.gateways()[job.index].name.to_string();
        *state.jobs_per_gateway.entry(name).or_default() += 1;
        state.runtime[job.index] = GatewayRuntime {
            update_status: UpdateStatus::Upgrading,
            progress: 0,
            note: None,
            message: None,
        };
    }
    let op = GatewayOp {
        request_id: state.next_request_id(),
        action,
        target,
        started: now,
        finished: jobs.is_empty(),
        jobs,
        failed: Vec::new(),
    };
    let request_id = op.request_id;
    state.gateway_ops.push(op);
    Ok(request_id)
}

/// A platform upgrade waits until no operation, platform or gateway, runs.
fn refuse_platform_if_busy(state: &SimState) -> Result<(), String> {
    if state.is_busy() {
        return Err(ACTIVE_UPGRADE.to_owned());
    }
    Ok(())
}

/// A gateway operation is refused during a platform upgrade, and when a selected gateway is in
/// an unfinished job of another gateway operation; operations on other gateways do not matter.
fn refuse_gateways_if_busy(state: &SimState, request: &Request) -> Result<(), String> {
    let selection = request.selection().ok_or("not a gateway operation")?;
    if state.running_platform().is_some() {
        return Err(ACTIVE_UPGRADE.to_owned());
    }
    let selected = plan::request::resolve_selection(&state.snapshot, selection)
        .map_err(|error| error.to_string())?;
    if selected.into_iter().any(|index| state.gateway_busy(index)) {
        return Err(ACTIVE_UPGRADE.to_owned());
    }
    Ok(())
}

/// Refuses with `<code>: <message>` of the planner's first blocker; otherwise the report.
fn refuse_if_blocked(state: &SimState, request: &Request) -> Result<Report, String> {
    let report = plan::check(&state.snapshot, &state.catalog, request, Timestamp::now())
        .map_err(|error| error.to_string())?;
    let enforced = report
        .with_severity(Severity::Blocker)
        .find(|finding| !CONSOLE_ONLY.contains(&finding.code));
    match enforced {
        Some(blocker) => Err(blocker.reason()),
        None => Ok(report),
    }
}

/// Blockers of our planner that the simulator does not enforce, because whether a real
/// controller refuses such a request is not public (docs/controller-api.md): replacing an HA
/// member whose peer is out of service. The console, `check` and rollouts are the safeguard.
const CONSOLE_ONLY: [Code; 1] = [Code::HaPeerUnhealthy];

fn new_job(state: &mut SimState, action: Action, index: usize) -> GatewayJob {
    let base = match action {
        Action::SoftwareUpgrade => SOFTWARE_STAGES,
        _ => REPLACE_STAGES,
    };
    let scale = state.rng.random_range(0.85..1.4);
    let stages = base.map(|seconds| Duration::from_secs(seconds).mul_f64(scale));
    let delay = Duration::from_secs(state.rng.random_range(0..20));
    let fails = state.rng.random_bool(state.settings.faults.gateway_failure);
    let no_op = state.rng.random_bool(state.settings.faults.no_op);
    GatewayJob {
        index,
        delay,
        stages,
        fails,
        no_op,
        finished: false,
    }
}
