//! `avx-upgrade plan`: the upgrade path and every step, from a version or a snapshot.

use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::catalog::Release;
use crate::cli::{InputError, Outcome, load_catalog, load_snapshot, render};
use crate::plan::runbook::{self, Runbook, Step};
use crate::plan::{Code, Finding, Report, path};
use crate::version::{Target, Version};

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The controller's running version, e.g. 6.5.750 or UserConnect-6.5.750.
    #[arg(
        long,
        value_name = "VERSION",
        required_unless_present = "state",
        conflicts_with = "state"
    )]
    current: Option<Version>,
    /// Where to go: a train (6.8, its newest build) or that newest build itself.
    /// Default: the newest build of the running train.
    #[arg(long, value_name = "TRAIN|VERSION")]
    target: Option<Target>,
    /// A release catalog file (default: the built-in assets/releases.json).
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// A controller snapshot: plans from its controller version and counts its gateways.
    #[arg(long, value_name = "SNAPSHOT")]
    state: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// The JSON form of a plan: the documented keys and the findings.
#[derive(Serialize)]
struct PlanJson<'a> {
    current: Version,
    latest: Version,
    target: Option<Version>,
    release_versions: String,
    hops: &'a [Version],
    steps: &'a [Step],
    findings: &'a [Finding],
    /// The catalog's release of each hop: what to understand before upgrading.
    release_notes: &'a [Release],
}

pub fn run(args: &PlanArgs) -> Result<(Outcome, String), InputError> {
    let catalog = load_catalog(args.catalog.as_deref())?;
    let snapshot = args.state.as_deref().map(load_snapshot).transpose()?;
    let current = match (&snapshot, args.current) {
        (Some(snapshot), _) => snapshot.controller.current_version,
        (None, Some(current)) => current,
        (None, None) => {
            return Err(InputError(
                "give --current VERSION or --state SNAPSHOT".into(),
            ));
        }
    };
    let planned = match &snapshot {
        Some(snapshot) => runbook::for_fleet(snapshot, args.target, &catalog),
        None => runbook::for_version(current, args.target, &catalog),
    };
    let runbook = match planned {
        Ok(runbook) => runbook,
        Err(finding) if finding.code == Code::UnknownTarget => {
            return Err(InputError(finding.reason()));
        }
        Err(finding) => return Ok(refused(args, current, &catalog, finding)),
    };
    let report = Report::new(runbook.findings.clone());
    let outcome = if report.has_blocker() {
        Outcome::Blocked
    } else {
        Outcome::Clear
    };
    let output = if args.json {
        json(&runbook)
    } else {
        text(&runbook, &report)
    };
    Ok((outcome, output))
}

/// A target the rules forbid: the versions, then the blocker.
fn refused(
    args: &PlanArgs,
    current: Version,
    catalog: &crate::catalog::Catalog,
    blocker: Finding,
) -> (Outcome, String) {
    let release_versions = path::release_versions(current, catalog);
    let output = if args.json {
        to_json(&PlanJson {
            current,
            latest: catalog.latest(),
            target: None,
            release_versions,
            hops: &[],
            steps: &[],
            findings: std::slice::from_ref(&blocker),
            release_notes: &[],
        })
    } else {
        let mut out = String::new();
        header(&mut out, current, catalog.latest(), &release_versions);
        let _ = writeln!(out, "Target:            refused\n");
        render::findings(&mut out, &Report::new(vec![blocker]));
        out
    };
    (Outcome::Blocked, output)
}

fn header(out: &mut String, current: Version, latest: Version, release_versions: &str) {
    let _ = writeln!(out, "Current version:   {current}");
    let _ = writeln!(out, "Newest version:    {latest}");
    let _ = writeln!(out, "Release Versions:  {release_versions}");
}

fn text(runbook: &Runbook, report: &Report) -> String {
    let mut out = String::new();
    header(
        &mut out,
        runbook.path.current,
        runbook.latest,
        &runbook.release_versions,
    );
    let _ = writeln!(out, "Target:            {}", runbook.path.target);
    let hops: Vec<String> = runbook.path.hops.iter().map(Version::to_string).collect();
    let hops = if hops.is_empty() {
        "none".to_owned()
    } else {
        hops.join(" → ")
    };
    let _ = writeln!(out, "Hops:              {hops}");
    if !runbook.steps.is_empty() {
        let _ = writeln!(out, "\nSteps:");
        for step in &runbook.steps {
            let _ = writeln!(out, "  {:>2}. {}", step.step, step.text);
        }
    }
    if !runbook.releases.is_empty() {
        let _ = writeln!(out, "\nRelease notes (read them before upgrading):");
        for release in &runbook.releases {
            let _ = writeln!(out, "  - {}", release.summary());
        }
    }
    if !report.findings.is_empty() {
        out.push('\n');
        render::findings(&mut out, report);
    }
    out
}

fn json(runbook: &Runbook) -> String {
    to_json(&PlanJson {
        current: runbook.path.current,
        latest: runbook.latest,
        target: Some(runbook.path.target),
        release_versions: runbook.release_versions.clone(),
        hops: &runbook.path.hops,
        steps: &runbook.steps,
        findings: &runbook.findings,
        release_notes: &runbook.releases,
    })
}

/// Pretty JSON and a newline. The values are plain data (strings, numbers, arrays), which
/// serde_json always serialises.
pub(super) fn to_json(value: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value)
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
    text.push('\n');
    text
}
