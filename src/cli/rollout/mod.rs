//! `avx-upgrade rollout`: staged rollouts from the shell. `rollout plan` stages a gateway
//! operation in waves against a controller or a snapshot file and prints the waves, or (with
//! `--json`) the document `rollout apply` will take.

use std::fmt::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use jiff::Timestamp;

use crate::catalog::Catalog;
use crate::cli::check::gateway_request;
use crate::cli::connect::{ConnectArgs, connect};
use crate::cli::plan::to_json;
use crate::cli::status::{catalog, read_snapshot, runtime};
use crate::cli::{InputError, Outcome, load_catalog, load_snapshot};
use crate::filter::{FilterIndex, Query, Shown};
use crate::ops::rollout::describe;
use crate::plan::path::resolve_target;
use crate::plan::rollout::{
    self, Advance, Document, LeftOut, Order, Policy, RolloutError, Size, Step,
};
use crate::plan::{Action, Request, Selection, counted};
use crate::snapshot::{Snapshot, UpdateStatus};
use crate::version::Target;

mod apply;
mod resume;

#[derive(Debug, Subcommand)]
pub enum RolloutCommand {
    /// Print the waves of a rollout (--json: the document `rollout apply` takes). Exits 1
    /// when a blocker keeps gateways out of the waves, or the request as a whole.
    Plan(Box<PlanArgs>),
    /// Run a plan from `rollout plan --json`, wave by wave, after checking it still holds.
    /// Exits 0 when every wave passed, 1 when a gate, the failure budget or a blocker stopped
    /// it, 2 on bad input or a refusal before anything was sent, 3 when aborted, 4 when it
    /// could not go on.
    Apply(Box<ApplyArgs>),
    /// Show the rollout of this controller a crash, a lost session or a stop left unfinished.
    Status(Box<FindArgs>),
    /// Go on with the unfinished rollout: waves that passed are not run again, and a wave
    /// already sent is followed, never sent twice. Exit codes as for apply.
    Resume(Box<ResumeArgs>),
    /// Mark the unfinished rollout as ended, so nothing resumes it (exit 3).
    Abort(Box<FindArgs>),
}

#[derive(Debug, Args)]
pub struct FindArgs {
    #[command(flatten)]
    connect: ConnectArgs,
}

/// How a rollout runs, for `apply` and `resume`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// Confirm without a terminal; recorded in the journal as the confirmation, with who ran it.
    #[arg(long)]
    yes: bool,
    /// One line per event for CI logs, and every wave starts on its own after its soak.
    #[arg(long)]
    ci: bool,
    /// How often to poll the controller, in milliseconds (default: every 10 s).
    #[arg(long, hide = true, value_name = "MS")]
    poll_ms: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The plan, as `rollout plan --json` wrote it.
    #[arg(value_name = "PLAN.json")]
    plan: PathBuf,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Plan against this snapshot file instead of a controller.
    #[arg(long, value_name = "SNAPSHOT", conflicts_with_all = ["controller", "profile"])]
    state: Option<PathBuf>,
    #[command(flatten)]
    connect: ConnectArgs,
    /// With --state: a release catalog file (default: the built-in assets/releases.json).
    #[arg(long, value_name = "FILE", requires = "state")]
    catalog: Option<PathBuf>,
    /// software-upgrade, software-rollback or image-upgrade.
    #[arg(long, value_name = "ACTION")]
    action: Action,
    /// The gateways, comma-separated.
    #[arg(long, value_name = "a,b,c", value_delimiter = ',', conflicts_with_all = ["filter", "all"])]
    gateways: Option<Vec<String>>,
    /// The gateways the console's filter language selects, e.g. "cloud:aws role:primary".
    #[arg(long, value_name = "QUERY", conflicts_with = "all")]
    filter: Option<String>,
    /// Every gateway.
    #[arg(long)]
    all: bool,
    /// Software upgrade: the controller's current version, or a platform version or train
    /// beyond it for the whole runbook (gateways, platform hop, gateways, ...); rollback: the
    /// controller's previous version.
    #[arg(long, value_name = "T")]
    target: Option<Target>,
    /// Gateways in the first wave, the canary (0: none).
    #[arg(long, value_name = "N", default_value_t = 1)]
    canary: usize,
    /// The largest wave after the canary: a number of gateways or a percentage.
    #[arg(long, value_name = "N|P%", default_value = "25%")]
    wave_size: Size,
    /// Stop after more than this many failed gateways (a number or a percentage).
    #[arg(long, value_name = "N|P%", default_value = "0")]
    max_failures: Size,
    /// Seconds to wait after a wave's checks pass before the next wave.
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    soak: u64,
    /// Start each wave on its own after the soak, instead of waiting for a key.
    #[arg(long)]
    automatic: bool,
    /// The HA secondaries before their primaries (default: primaries first).
    #[arg(long)]
    secondaries_first: bool,
    /// Print the plan as one JSON document, the input of `rollout apply`.
    #[arg(long)]
    json: bool,
}

pub fn run(command: &RolloutCommand) -> Result<(Outcome, String), InputError> {
    match command {
        RolloutCommand::Plan(args) => run_plan(args),
        RolloutCommand::Apply(args) => apply::run(args),
        RolloutCommand::Status(args) => resume::status(args),
        RolloutCommand::Resume(args) => resume::resume(args),
        RolloutCommand::Abort(args) => resume::abort(args),
    }
}

fn run_plan(args: &PlanArgs) -> Result<(Outcome, String), InputError> {
    let policy = policy(args);
    let (snapshot, catalog, controller) = fleet(args)?;
    let now = Timestamp::now();
    let planned = match runbook_target(args, &snapshot, &catalog) {
        Some(target) => {
            let selection = selection(args, &snapshot)?;
            rollout::runbook(&snapshot, &catalog, selection, target, &policy, now)
                .map(|(rollout, hops)| (rollout, hops, None))
        }
        None => {
            let request = gateway_request(args.action, args.target, selection(args, &snapshot)?)?;
            rollout::plan(&snapshot, &catalog, &request, &policy, now)
                .map(|rollout| (rollout, Vec::new(), target_of(&request, &snapshot)))
        }
    };
    let (rollout, hops, target) = match planned {
        Ok(planned) => planned,
        Err(RolloutError::Blocked(finding)) => {
            return Ok((Outcome::Blocked, format!("BLOCKED: {}\n", finding.reason())));
        }
        Err(error) => return Err(InputError(error.to_string())),
    };
    let document = Document {
        format: rollout::document::FORMAT,
        planned_at: now,
        controller,
        controller_version: snapshot.controller.current_version,
        fleet: rollout::fingerprint(&snapshot),
        target: target.or_else(|| hops.last().map(|hop| hop.to)),
        rollout,
        hops,
    };
    let outcome = match document.rollout.is_blocked() {
        true => Outcome::Blocked,
        false => Outcome::Clear,
    };
    let output = match args.json {
        true => to_json(&document),
        false => text(&document, &catalog),
    };
    Ok((outcome, output))
}

fn policy(args: &PlanArgs) -> Policy {
    Policy {
        canary: args.canary,
        wave_size: args.wave_size,
        max_failures: args.max_failures,
        soak: std::time::Duration::from_secs(args.soak),
        advance: match args.automatic {
            true => Advance::Automatic,
            false => Advance::OnKey,
        },
        order: match args.secondaries_first {
            true => Order::SecondariesFirst,
            false => Order::PrimariesFirst,
        },
    }
}

/// The fleet and catalog to plan against, and the controller's URL when there is one.
fn fleet(args: &PlanArgs) -> Result<(Snapshot, Catalog, Option<String>), InputError> {
    if let Some(path) = &args.state {
        let catalog = load_catalog(args.catalog.as_deref())?;
        return Ok((load_snapshot(path)?, catalog, None));
    }
    if args.connect.controller.is_none() && args.connect.profile.is_none() {
        return Err(InputError(
            "give --state SNAPSHOT, or a controller with --controller URL or --profile NAME".into(),
        ));
    }
    runtime()?.block_on(async {
        let client = connect(&args.connect).await?;
        let snapshot = read_snapshot(&client).await?;
        let catalog = catalog(&client).await?;
        Ok((snapshot, catalog, Some(client.base_url().to_owned())))
    })
}

/// The platform target of a software upgrade beyond the controller's version: the rollout is
/// then the whole runbook, platform hops included.
fn runbook_target(args: &PlanArgs, snapshot: &Snapshot, catalog: &Catalog) -> Option<Target> {
    let target = args.target?;
    let current = snapshot.controller.current_version;
    let beyond = match target {
        Target::Version(version) => version > current,
        // A train resolves to its newest build (the running train's may be newer than what
        // runs); one that does not resolve is refused by the runbook with the reason.
        Target::Train(_) => resolve_target(current, Some(target), catalog)
            .map_or(true, |resolved| resolved > current),
    };
    (args.action == Action::SoftwareUpgrade && beyond).then_some(target)
}

/// The gateways the flags choose.
fn selection(args: &PlanArgs, snapshot: &Snapshot) -> Result<Selection, InputError> {
    Ok(match (&args.gateways, &args.filter, args.all) {
        (Some(names), None, false) => {
            Selection::Named(names.iter().map(|name| name.trim().to_owned()).collect())
        }
        (None, Some(query), false) => Selection::Named(filtered(snapshot, query)?),
        (None, None, true) => Selection::All,
        _ => {
            return Err(InputError(
                "choose the gateways with one of --gateways a,b,c, --filter QUERY or --all".into(),
            ));
        }
    })
}

/// The names `query` selects, in the fleet's order; none is an error.
fn filtered(snapshot: &Snapshot, query: &str) -> Result<Vec<String>, InputError> {
    let query = Query::parse(query).map_err(|error| InputError(error.0))?;
    let gateways = snapshot.gateways();
    let count = u32::try_from(gateways.len()).unwrap_or(u32::MAX);
    let mut shown = Vec::new();
    // The shell has no live statuses: every gateway counts as `complete` for `status:`.
    let complete = Shown {
        update_status: &UpdateStatus::Complete,
        live_state: None,
    };
    FilterIndex::of(gateways).select(&query, gateways, |_| complete, 0..count, &mut shown);
    if shown.is_empty() {
        return Err(InputError(format!(
            "--filter \"{}\" selects no gateway: check it in the console (/) first",
            query.text()
        )));
    }
    Ok(shown
        .into_iter()
        .map(|index| gateways[index as usize].name.to_string())
        .collect())
}

/// Where the gateways go, as far as the controller's versions say.
fn target_of(request: &Request, snapshot: &Snapshot) -> Option<crate::version::Version> {
    let controller = &snapshot.controller;
    match request.action() {
        Action::SoftwareRollback => controller.previous_version,
        Action::SoftwareUpgrade | Action::ImageUpgrade => Some(controller.current_version),
        Action::PlatformUpgrade => None,
    }
}

fn text(document: &Document, catalog: &Catalog) -> String {
    let rollout = &document.rollout;
    let mut out = String::new();
    let against = document
        .controller
        .as_deref()
        .unwrap_or("the snapshot file");
    let through = match document.final_platform() {
        Some(last) => format!(
            " to {last}, through {}, in {}",
            counted(document.hops.len(), "platform hop"),
            counted(document.steps().len(), "step")
        ),
        None => format!(" in {}", counted(rollout.waves.len(), "wave")),
    };
    let _ = writeln!(
        out,
        "Rollout: {} of {}{through} (controller {} at {against})",
        rollout.action.title(),
        counted(document.budget_base(), "gateway"),
        document.controller_version,
    );
    let _ = writeln!(
        out,
        "Policy: {}\n",
        document.rollout.policy.describe(document.budget_base())
    );
    for step in document.steps() {
        let title = capitalized(&describe(&step));
        match step {
            Step::Wave { wave, .. } => {
                let _ = writeln!(out, "{title}: {}", counted(wave.gateways.len(), "gateway"));
                for name in &wave.gateways {
                    let _ = writeln!(out, "  {name}");
                }
            }
            Step::Platform(hop) => {
                let _ = writeln!(out, "Step {}: {}", hop.number, describe(&step));
                if let Some(release) = catalog.release(hop.to) {
                    let _ = writeln!(out, "  release notes: {}", release.summary());
                }
            }
        }
    }
    left_out(&mut out, "Skipped", &rollout.skipped);
    left_out(&mut out, "Blocked", &rollout.blocked);
    out
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn left_out(out: &mut String, title: &str, gateways: &[LeftOut]) {
    if gateways.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title}: {}", counted(gateways.len(), "gateway"));
    for gateway in gateways {
        let _ = writeln!(out, "  {}: {}", gateway.name, gateway.reason);
    }
}
