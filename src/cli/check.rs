//! `avx-upgrade check`: a dry run of one operation against a snapshot, offline.

use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;
use jiff::Timestamp;
use serde::Serialize;

use crate::cli::plan::to_json;
use crate::cli::{InputError, Outcome, load_catalog, load_snapshot, render};
use crate::plan::{Action, ChecklistItem, Code, Finding, Report, Request, Selection, check};
use crate::version::{Target, Version};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The controller snapshot to check against.
    #[arg(long, value_name = "SNAPSHOT")]
    state: PathBuf,
    /// A release catalog file (default: the built-in assets/releases.json).
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// platform-upgrade, software-upgrade, software-rollback or image-upgrade.
    #[arg(long, value_name = "ACTION")]
    action: Action,
    /// Platform: a train (6.6) or its newest build. Software upgrade: the controller's current
    /// version. Rollback: the controller's previous version. Default: what the window picks.
    #[arg(long, value_name = "T")]
    target: Option<Target>,
    /// The gateways of a gateway operation, comma-separated.
    #[arg(
        long,
        value_name = "a,b,c",
        value_delimiter = ',',
        conflicts_with = "all"
    )]
    gateways: Option<Vec<String>>,
    /// Every gateway of the snapshot.
    #[arg(long)]
    all: bool,
    /// Check as of this time instead of now (RFC 3339), e.g. for an older snapshot's backup age.
    #[arg(long, value_name = "TIMESTAMP")]
    at: Option<Timestamp>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct CheckJson<'a> {
    action: &'static str,
    controller: Version,
    blocked: bool,
    findings: &'a [Finding],
    checklist: &'a [ChecklistItem],
}

pub fn run(args: &CheckArgs) -> Result<(Outcome, String), InputError> {
    let request = request(args)?;
    let catalog = load_catalog(args.catalog.as_deref())?;
    let snapshot = load_snapshot(&args.state)?;
    let now = args.at.unwrap_or_else(Timestamp::now);
    let report = check(&snapshot, &catalog, &request, now)?;
    if let Some(unknown) = report.get(Code::UnknownTarget) {
        return Err(InputError(unknown.reason()));
    }
    let outcome = if report.has_blocker() {
        Outcome::Blocked
    } else {
        Outcome::Clear
    };
    let controller = snapshot.controller.current_version;
    let output = if args.json {
        to_json(&CheckJson {
            action: args.action.as_str(),
            controller,
            blocked: report.has_blocker(),
            findings: &report.findings,
            checklist: &report.checklist,
        })
    } else {
        text(args.action, controller, &report)
    };
    Ok((outcome, output))
}

/// The request the flags describe, or why they do not describe one.
fn request(args: &CheckArgs) -> Result<Request, InputError> {
    let action = args.action;
    if action == Action::PlatformUpgrade {
        if args.all || args.gateways.is_some() {
            return Err(InputError(
                "platform-upgrade takes no --gateways or --all: it upgrades the controller".into(),
            ));
        }
        return Ok(Request::PlatformUpgrade {
            target: args.target,
        });
    }
    let gateways = match (&args.gateways, args.all) {
        (Some(names), false) => {
            Selection::Named(names.iter().map(|name| name.trim().to_owned()).collect())
        }
        (None, true) => Selection::All,
        _ => {
            return Err(InputError(format!(
                "{action} needs --gateways a,b,c or --all"
            )));
        }
    };
    gateway_request(action, args.target, gateways)
}

/// The gateway operation `action` of `gateways` to `target`, or why the flags do not make one.
pub(super) fn gateway_request(
    action: Action,
    target: Option<Target>,
    gateways: Selection,
) -> Result<Request, InputError> {
    let target = gateway_target(action, target)?;
    Ok(match action {
        Action::SoftwareUpgrade => Request::SoftwareUpgrade { gateways, target },
        Action::SoftwareRollback => Request::SoftwareRollback { gateways, target },
        Action::ImageUpgrade => Request::ImageUpgrade { gateways },
        Action::PlatformUpgrade => {
            return Err(InputError(
                "platform-upgrade is not a gateway operation: it upgrades the controller".into(),
            ));
        }
    })
}

fn gateway_target(action: Action, target: Option<Target>) -> Result<Option<Version>, InputError> {
    match (action, target) {
        (_, None) => Ok(None),
        (Action::ImageUpgrade, Some(_)) => Err(InputError(
            "image-upgrade takes no --target: the image comes from the compatibility matrix".into(),
        )),
        (_, Some(Target::Version(version))) => Ok(Some(version)),
        (_, Some(Target::Train(train))) => Err(InputError(format!(
            "{action} takes a full version as --target, not the train {train}: gateways go to one exact version, the controller's"
        ))),
    }
}

fn text(action: Action, controller: Version, report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Dry run: {} (controller {controller})\n",
        action.title()
    );
    render::checklist(&mut out, report);
    render::findings(&mut out, report);
    let verdict = if report.has_blocker() {
        "BLOCKED"
    } else {
        "CLEAR"
    };
    if !report.findings.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "Result: {verdict} ({})", render::summary(report));
    out
}
