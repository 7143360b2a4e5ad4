//! `avx-upgrade history`: the operations and rollouts this machine's journals recorded, a line
//! each (id, when, what, how many gateways, outcome), oldest first; `--json` for tools. Each
//! journal is read as a stream, a line at a time within the journal's line limit.

use std::fmt::Write;
use std::path::PathBuf;

use clap::Args;
use jiff::Timestamp;

use crate::cli::connect::{ConnectArgs, resolve};
use crate::cli::{InputError, Outcome};
use crate::journal::history::{self, Summary};
use crate::quote::quoted;

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub journals: JournalArgs,
    /// Only what started at or after this time (RFC 3339, e.g. 2026-12-01T00:00:00Z).
    #[arg(long, value_name = "RFC3339")]
    pub since: Option<String>,
    /// One JSON array, for tools.
    #[arg(long)]
    pub json: bool,
}

/// Which controller's journal to read; every controller's without either.
#[derive(Debug, Clone, Args)]
pub struct JournalArgs {
    /// Only this controller's journal.
    #[arg(long, value_name = "URL", conflicts_with = "profile")]
    pub controller: Option<String>,
    /// Only the journal of this profile's controller (from the config file).
    #[arg(long, value_name = "P")]
    pub profile: Option<String>,
}

pub fn run(args: &HistoryArgs) -> Result<(Outcome, String), InputError> {
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let mut lines: Vec<Summary> = Vec::new();
    for path in journals(&args.journals)? {
        let (found, bad) = history::history(&path, since)?;
        warn_about_bad_lines(&path, bad.bad_line_count);
        lines.extend(found);
    }
    lines.sort_by_key(|line| line.started);
    let output = match args.json {
        true => json(&lines)?,
        false => text(&lines),
    };
    Ok((Outcome::Clear, output))
}

fn parse_since(text: &str) -> Result<Timestamp, InputError> {
    text.trim().parse().map_err(|_| {
        InputError(format!(
            "--since \"{}\" is not a time: expected RFC 3339, such as 2026-12-01T00:00:00Z",
            quoted(text)
        ))
    })
}

/// The journal files `args` names: one controller's, or every file in the journal directory.
pub fn journals(args: &JournalArgs) -> Result<Vec<PathBuf>, InputError> {
    let state_dir = crate::paths::state_dir().ok_or(crate::journal::JournalError::NoStateDir)?;
    if args.controller.is_some() || args.profile.is_some() {
        let connect = ConnectArgs {
            profile: args.profile.clone(),
            controller: args.controller.clone(),
            user: None,
            password_env: None,
            trust: None,
            ca_cert: None,
            insecure: false,
        };
        let url = resolve(&connect)?.url;
        return Ok(vec![crate::journal::file_for(&state_dir, &url)?]);
    }
    let directory = state_dir.join("journal");
    let entries = match std::fs::read_dir(&directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(InputError(format!(
                "cannot list the journals in {}: {error}",
                directory.display()
            )));
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "jsonl")
        })
        .collect();
    paths.sort();
    Ok(paths)
}

/// Says on stderr that a journal has lines it could not read (the rest is still listed).
pub fn warn_about_bad_lines(path: &std::path::Path, count: u64) {
    if count > 0 {
        eprintln!(
            "warning: {} has {count} unreadable line(s), left out; the rest is shown",
            path.display()
        );
    }
}

fn json(lines: &[Summary]) -> Result<String, InputError> {
    let mut text = serde_json::to_string_pretty(lines)
        .map_err(|error| InputError(format!("cannot write the history as JSON: {error}")))?;
    text.push('\n');
    Ok(text)
}

/// One aligned line per operation or rollout, under a header.
fn text(lines: &[Summary]) -> String {
    if lines.is_empty() {
        return "No operation recorded: the journal is empty (nothing was sent from this machine).\n"
            .to_owned();
    }
    let what_width = lines
        .iter()
        .map(|line| line.what.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<21}  {:<20}  {:<what_width$}  {:>8}  {:<10}  CONTROLLER",
        "ID", "STARTED", "WHAT", "GATEWAYS", "OUTCOME"
    );
    for line in lines {
        let _ = writeln!(
            out,
            "{:<21}  {:<20}  {:<what_width$}  {:>8}  {:<10}  {}",
            line.id,
            line.started.strftime("%Y-%m-%d %H:%M:%SZ").to_string(),
            line.what,
            line.gateways,
            line.outcome.word(),
            line.controller
        );
    }
    let _ = writeln!(
        out,
        "{}; `avx-upgrade report ID` writes the change record of one.",
        crate::plan::counted(lines.len(), "entry")
    );
    out
}
