//! `avx-upgrade status` and `avx-upgrade snapshot`: a controller's versions, fleet and any
//! operation in progress, as text, JSON, or a snapshot file that `check --state` reads back.

use std::collections::BTreeMap;
use std::fmt::Write;

use clap::Args;
use serde::Serialize;

use crate::api::actions::Fleet;
use crate::api::{ApiError, Client};
use crate::catalog::Catalog;
use crate::cli::connect::{ConnectArgs, connect};
use crate::cli::plan::to_json;
use crate::cli::{InputError, Outcome};
use crate::plan::path::release_versions;
use crate::snapshot::Snapshot;
use crate::version::Version;

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    connect: ConnectArgs,
}

#[derive(Serialize)]
struct StatusJson {
    controller: String,
    user: String,
    current_version: Version,
    previous_version: Option<Version>,
    latest_version: Option<Version>,
    release_versions: String,
    gateways: Counts,
    unreadable_gateways: Vec<String>,
    in_progress: Option<String>,
}

#[derive(Serialize)]
struct Counts {
    total: usize,
    by_version: BTreeMap<String, usize>,
    by_cloud: BTreeMap<String, usize>,
    by_state: BTreeMap<String, usize>,
}

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, InputError> {
    tokio::runtime::Runtime::new()
        .map_err(|error| InputError(format!("cannot start the async runtime: {error}")))
}

pub fn run_status(args: &StatusArgs) -> Result<(Outcome, String), InputError> {
    let status = runtime()?.block_on(gather_status(&args.connect))?;
    let output = if args.json {
        to_json(&status)
    } else {
        text(&status)
    };
    Ok((Outcome::Clear, output))
}

pub fn run_snapshot(args: &SnapshotArgs) -> Result<(Outcome, String), InputError> {
    let snapshot = runtime()?.block_on(gather_snapshot(&args.connect))?;
    let mut json = snapshot
        .to_json()
        .map_err(|error| InputError(format!("cannot write the snapshot: {error}")))?;
    json.push('\n');
    Ok((Outcome::Clear, json))
}

async fn gather_status(args: &ConnectArgs) -> Result<StatusJson, InputError> {
    let client = connect(args).await?;
    let versions = client.version_info().await?;
    let fleet = client.gateways().await?;
    let catalog = catalog(&client).await?;
    Ok(StatusJson {
        controller: client.base_url().to_owned(),
        user: client.user().to_owned(),
        current_version: versions.current,
        previous_version: versions.previous,
        latest_version: versions.latest,
        release_versions: release_versions(versions.current, &catalog),
        gateways: counts(&fleet),
        unreadable_gateways: fleet
            .skipped
            .iter()
            .map(|skipped| format!("{}: {}", skipped.name, skipped.reason))
            .collect(),
        in_progress: in_progress(&client).await?,
    })
}

/// The controller's release catalog (an extension), or the built-in one.
pub(super) async fn catalog(client: &Client) -> Result<Catalog, InputError> {
    match client.release_catalog().await {
        Ok(catalog) => Ok(catalog),
        Err(error) => {
            tracing::info!(%error, "the controller offers no release catalog: using the built-in one");
            Ok(Catalog::builtin()?)
        }
    }
}

fn counts(fleet: &Fleet) -> Counts {
    let mut counts = Counts {
        total: fleet.gateways.len(),
        by_version: BTreeMap::new(),
        by_cloud: BTreeMap::new(),
        by_state: BTreeMap::new(),
    };
    for gateway in &fleet.gateways {
        *counts
            .by_version
            .entry(gateway.software_version.to_string())
            .or_default() += 1;
        *counts
            .by_cloud
            .entry(gateway.cloud.to_string())
            .or_default() += 1;
        *counts
            .by_state
            .entry(gateway.state.to_string())
            .or_default() += 1;
    }
    counts
}

/// A platform upgrade or gateway operation running now, in words.
async fn in_progress(client: &Client) -> Result<Option<String>, ApiError> {
    let platform = client.platform_upgrade_status().await?;
    if platform.in_progress {
        return Ok(Some(format!("platform upgrade: {}", platform.message)));
    }
    let statuses = client.gateway_upgrade_status().await?;
    let busy: Vec<&str> = statuses
        .iter()
        .filter(|status| status.in_progress())
        .map(|status| status.name.as_str())
        .collect();
    if busy.is_empty() {
        return Ok(None);
    }
    let shown = busy.iter().take(5).copied().collect::<Vec<_>>().join(", ");
    let more = busy.len().saturating_sub(5);
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Ok(Some(format!(
        "gateway operation on {} gateways ({shown}{tail})",
        busy.len()
    )))
}

fn text(status: &StatusJson) -> String {
    let mut out = String::new();
    let version = |version: Option<Version>| {
        version
            .map(Version::user_connect)
            .unwrap_or_else(|| "none".into())
    };
    let _ = writeln!(
        out,
        "Controller:        {} (user {})",
        status.controller, status.user
    );
    let _ = writeln!(
        out,
        "Current version:   {}",
        status.current_version.user_connect()
    );
    let _ = writeln!(
        out,
        "Previous version:  {}",
        version(status.previous_version)
    );
    let _ = writeln!(out, "Latest version:    {}", version(status.latest_version));
    let _ = writeln!(out, "Release Versions:  {}", status.release_versions);
    let _ = writeln!(out, "Gateways:          {}", status.gateways.total);
    for (label, map) in [
        ("by version", &status.gateways.by_version),
        ("by cloud", &status.gateways.by_cloud),
        ("by state", &status.gateways.by_state),
    ] {
        let parts: Vec<String> = map
            .iter()
            .map(|(key, count)| format!("{key} {count}"))
            .collect();
        let _ = writeln!(out, "  {label:<16} {}", parts.join(", "));
    }
    if !status.unreadable_gateways.is_empty() {
        let _ = writeln!(
            out,
            "Not readable:      {}",
            status.unreadable_gateways.join("; ")
        );
    }
    let _ = writeln!(
        out,
        "In progress:       {}",
        status.in_progress.as_deref().unwrap_or("nothing")
    );
    out
}

/// The controller's state in the snapshot format.
async fn gather_snapshot(args: &ConnectArgs) -> Result<Snapshot, InputError> {
    let client = connect(args).await?;
    read_snapshot(&client).await
}

/// The controller's state as a snapshot (warnings about what could not be read go to stderr).
pub(super) async fn read_snapshot(client: &Client) -> Result<Snapshot, InputError> {
    let (controller, no_checklist) = client.controller().await?;
    if let Some(error) = no_checklist {
        eprintln!(
            "warning: the controller gives no checklist results ({error}); the snapshot assumes DNS, internet and accounts pass"
        );
    }
    let fleet = client.gateways().await?;
    if !fleet.skipped.is_empty() {
        eprintln!(
            "warning: {} gateways could not be read and are not in the snapshot: {}",
            fleet.skipped.len(),
            fleet
                .skipped
                .iter()
                .map(|skipped| format!("{} ({})", skipped.name, skipped.reason))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Snapshot::new(controller, fleet.gateways).map_err(|error| {
        InputError(format!(
            "the controller's gateways do not form a valid snapshot: {error}"
        ))
    })
}
