//! Following operations: `platform_upgrade_status` (7.1+), `check_upgrade_status` (6.5–7.0,
//! backend1) and `check_task_status` (`REQUEST_IN_PROGRESS` while running), controller-api.md
//! §1.6 and §3.2.

use serde::Serialize;
use tokio::time::Instant;

use crate::sim::actions::Reply;
use crate::sim::engine::{GatewayOp, PlatformOp, PlatformPhase};
use crate::sim::params::Params;
use crate::sim::state::SimState;
use crate::version::STATUS_API_TRAIN;

/// The reason `check_task_status` gives while the task runs (Confirmed).
pub const REQUEST_IN_PROGRESS: &str = "REQUEST_IN_PROGRESS";

/// Where an operation stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    InProgress(String),
    Complete(String),
    Failed(String),
}

/// The outcome of the operation started with `request_id`, if there is one.
pub fn outcome(state: &SimState, request_id: u64, now: Instant) -> Option<Outcome> {
    if let Some(op) = state
        .platform_ops
        .iter()
        .find(|op| op.request_id == request_id)
    {
        return Some(platform_outcome(state, op, now));
    }
    let op = state
        .gateway_ops
        .iter()
        .find(|op| op.request_id == request_id)?;
    Some(gateway_outcome(state, op))
}

fn platform_outcome(state: &SimState, op: &PlatformOp, now: Instant) -> Outcome {
    if op.finished {
        return Outcome::Complete(format!(
            "Platform upgrade to {} completed.",
            op.to.user_connect()
        ));
    }
    Outcome::InProgress(progress_message(state, op, now))
}

/// The answer to a synchronous platform upgrade at its restart: installed, the controller
/// restarts and every session ends (the wording is the simulator's).
pub fn restarting_message(state: &SimState) -> String {
    let to = state
        .running_platform()
        .map(|position| state.platform_ops[position].to.user_connect())
        .unwrap_or_else(|| "the new version".to_owned());
    format!(
        "{to} is installed: the controller restarts now and every session ends; log in again when it answers."
    )
}

fn progress_message(state: &SimState, op: &PlatformOp, now: Instant) -> String {
    if op.pending(state, now) {
        return format!("Waiting to start the upgrade to {}", op.to.user_connect());
    }
    let (phase, percent) = op.phase_at(op.elapsed(state, now));
    let doing = match phase {
        PlatformPhase::Download => format!("Downloading {}", op.to.user_connect()),
        PlatformPhase::Install => format!("Installing {}", op.to.user_connect()),
        PlatformPhase::Restart => "Restarting the controller".to_owned(),
        PlatformPhase::Done => "Finishing".to_owned(),
    };
    format!("{doing} ... {percent}%")
}

fn gateway_outcome(state: &SimState, op: &GatewayOp) -> Outcome {
    let total = op.jobs.len();
    if !op.finished {
        let done = op.jobs.iter().filter(|job| job.finished).count();
        return Outcome::InProgress(format!(
            "{} of {done}/{total} gateways to {}",
            op.action.title(),
            op.target
        ));
    }
    if op.failed.is_empty() {
        return Outcome::Complete(format!(
            "{} of {total} gateways to {} completed.",
            op.action.title(),
            op.target
        ));
    }
    let names: Vec<&str> = op
        .failed
        .iter()
        .map(|&index| state.snapshot.gateways()[index].name.as_ref())
        .collect();
    Outcome::Failed(format!(
        "upgrade_fail: {} of {total} {} failed: {}",
        names.len(),
        gateways_word(total),
        names.join(", ")
    ))
}

fn gateways_word(count: usize) -> &'static str {
    if count == 1 { "gateway" } else { "gateways" }
}

#[derive(Serialize)]
struct PlatformStatus {
    is_upgrade_in_progress: bool,
    platform_upgrade: PlatformUpgrade,
}

#[derive(Serialize)]
struct PlatformUpgrade {
    progmsg: String,
    reason: String,
    results: PlatformResults,
    // Extensions.
    phase: &'static str,
    percent: u8,
    from_version: String,
    to_version: String,
}

#[derive(Serialize)]
struct PlatformResults {
    status: &'static str,
    msg: String,
    reason: String,
}

/// `platform_upgrade_status`: the last platform upgrade whose task has started. `status` is
/// `in progress` or `complete`, and empty when no platform upgrade has run. An upgrade accepted
/// but not started yet (`late-start`) is not shown: the answer is the one before it.
pub fn platform_upgrade_status(state: &SimState, now: Instant) -> Reply {
    let shown = state
        .platform_ops
        .iter()
        .rev()
        .find(|op| !op.pending(state, now));
    let Some(op) = shown else {
        return Reply::done(&PlatformStatus {
            is_upgrade_in_progress: false,
            platform_upgrade: PlatformUpgrade {
                progmsg: String::new(),
                reason: String::new(),
                results: PlatformResults {
                    status: "",
                    msg: "No platform upgrade has run.".into(),
                    reason: String::new(),
                },
                phase: "",
                percent: 0,
                from_version: String::new(),
                to_version: String::new(),
            },
        });
    };
    let (phase, percent) = if op.finished {
        (PlatformPhase::Done, 100)
    } else {
        op.phase_at(op.elapsed(state, now))
    };
    let (status, msg) = match platform_outcome(state, op, now) {
        Outcome::InProgress(message) => ("in progress", message),
        Outcome::Complete(message) | Outcome::Failed(message) => ("complete", message),
    };
    Reply::done(&PlatformStatus {
        is_upgrade_in_progress: !op.finished,
        platform_upgrade: PlatformUpgrade {
            progmsg: msg.clone(),
            reason: String::new(),
            results: PlatformResults {
                status,
                msg,
                reason: String::new(),
            },
            phase: phase.as_str(),
            percent,
            from_version: op.from.user_connect(),
            to_version: op.to.user_connect(),
        },
    })
}

/// `check_task_status`: `REQUEST_IN_PROGRESS` while running, the result when done, any other
/// reason on failure.
pub fn check_task_status(state: &SimState, params: &Params, now: Instant) -> Result<Reply, String> {
    let request_id = request_id(params.get("request_id").or(params.get("id")))?;
    match outcome(state, request_id, now) {
        None => Err(format!("request_id {request_id} is unknown")),
        Some(Outcome::InProgress(_)) => Err(REQUEST_IN_PROGRESS.into()),
        Some(Outcome::Complete(message)) => Ok(Reply::message(message)),
        Some(Outcome::Failed(reason)) => Err(reason),
    }
}

#[derive(Serialize)]
struct UpgradeStatus {
    pos: u64,
    done: bool,
    status: bool,
    result: String,
}

/// `check_upgrade_status` (backend1): `{pos, done, status, result}`; failures start with `Error`.
/// A 6.5–7.0 controller gives the four fields at the top level, as the provider of its era
/// reads them; a later one nests them in the envelope's `results` ([`legacy_shape`]).
pub fn check_upgrade_status(
    state: &SimState,
    params: &Params,
    now: Instant,
) -> Result<Reply, String> {
    let request_id = request_id(params.get("id").or(params.get("request_id")))?;
    let outcome =
        outcome(state, request_id, now).ok_or_else(|| format!("id {request_id} is unknown"))?;
    let (done, status, result) = match outcome {
        Outcome::InProgress(message) => (false, true, message),
        Outcome::Complete(message) => (true, true, message),
        Outcome::Failed(reason) => (true, false, format!("Error: {reason}")),
    };
    let answer = UpgradeStatus {
        pos: 0,
        done,
        status,
        result,
    };
    if !legacy_shape(state, request_id) {
        return Ok(Reply::done(&answer));
    }
    match serde_json::to_string(&answer) {
        Ok(json) => Ok(Reply::Bare(json)),
        Err(error) => Err(format!("internal error: cannot encode the answer: {error}")),
    }
}

/// Whether `check_upgrade_status` answers for `request_id` at the top level: an operation
/// started on a 6.5–7.0 controller is answered in that era's layout to the end, even once its
/// platform upgrade has moved the controller to 7.1, because its client polls in that layout.
fn legacy_shape(state: &SimState, request_id: u64) -> bool {
    state
        .platform_ops
        .iter()
        .find(|op| op.request_id == request_id)
        .map_or(state.legacy_era(), |op| op.from.train() < STATUS_API_TRAIN)
}

fn request_id(value: Option<&str>) -> Result<u64, String> {
    let text = value
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .ok_or("request_id required.")?;
    text.parse().map_err(|_| {
        format!("invalid request_id \"{text}\": expected the number an async request returned")
    })
}
