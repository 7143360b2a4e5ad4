//! The command line: argument parsing (clap), dispatch, and the exit-code contract
//! (0: no blocker, 1: a blocker was found, 2: invalid input, with a one-line error on stderr).

mod check;
mod config_files;
mod connect;
mod console;
mod doctor;
mod history;
mod plan;
mod prompt;
mod render;
mod report;
mod rollout;
mod shell;
mod sim;
mod status;

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::catalog::Catalog;
use crate::snapshot::Snapshot;

/// Plan, check and run upgrades of an Aviatrix controller and its gateways.
#[derive(Debug, Parser)]
#[command(name = "avx-upgrade", version, about, long_about = None)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// With no command: open the console on this controller.
    #[command(flatten)]
    open: console::OpenArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the upgrade path and every step from a version or a snapshot to a target.
    Plan(plan::PlanArgs),
    /// Dry-run one operation against a snapshot: findings grouped by severity.
    Check(check::CheckArgs),
    /// Run the simulated controller: a real HTTPS server speaking the controller's protocol.
    Sim(sim::SimArgs),
    /// Show a controller's versions, gateway counts and any operation in progress.
    Status(status::StatusArgs),
    /// Write a controller's state as a snapshot file (for check --state or a support ticket).
    Snapshot(status::SnapshotArgs),
    /// Check the files, the terminal and a controller connection; each line says OK or what to fix.
    Doctor(doctor::DoctorArgs),
    /// Open the console on a simulated controller started in-process (no controller needed).
    Demo(console::DemoArgs),
    /// Stage a gateway operation in waves: a canary, then waves, HA pairs apart.
    #[command(subcommand)]
    Rollout(rollout::RolloutCommand),
    /// List past operations and rollouts from this machine's journals.
    History(history::HistoryArgs),
    /// Write the change record of one operation or rollout (Markdown, HTML or JSON).
    Report(report::ReportArgs),
    /// Print the sample config file, or where the config file is read from.
    #[command(subcommand)]
    Config(config_files::ConfigCommand),
    /// Print shell completions (bash, zsh or fish) to source or install.
    Completions(shell::CompletionsArgs),
    /// Print the manual page, in roff (`avx-upgrade man | man -l -`).
    Man,
}

impl Command {
    /// Commands that open connections log to the log file; `plan` and `check` are pure.
    fn talks_to_a_controller(&self) -> bool {
        !matches!(
            self,
            Command::Plan(_)
                | Command::Check(_)
                | Command::History(_)
                | Command::Report(_)
                | Command::Config(_)
                | Command::Completions(_)
                | Command::Man
        )
    }
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing forbids the operation.
    Clear,
    /// At least one blocker.
    Blocked,
    /// Ended by a signal: the shell's convention, 128 + the signal's number.
    Signalled(u8),
    /// A rollout the operator aborted.
    Aborted,
    /// A rollout that could not go on (the controller unreachable, the journal unwritable).
    CannotGoOn,
}

/// Invalid input: a file, version, flag or gateway name that does not exist. One line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(pub String);

impl<E: std::fmt::Display> From<E> for InputError {
    fn from(error: E) -> Self {
        InputError(error.to_string())
    }
}

/// Exit code for a blocker.
pub const EXIT_BLOCKED: u8 = 1;
/// Exit code for invalid input.
pub const EXIT_INVALID: u8 = 2;
/// Exit code for a rollout the operator aborted.
pub const EXIT_ABORTED: u8 = 3;
/// Exit code for a rollout that could not go on.
pub const EXIT_CANNOT_GO_ON: u8 = 4;

/// Runs the command line `args` (program name first) and returns the process exit code.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => return clap_exit(&error),
    };
    if cli
        .command
        .as_ref()
        .is_none_or(Command::talks_to_a_controller)
        && let Err(problem) = crate::logging::init()
    {
        let _ = writeln!(std::io::stderr(), "warning: no log file: {problem}");
    }
    let result = match cli.command {
        Some(Command::Plan(args)) => plan::run(&args),
        Some(Command::Check(args)) => check::run(&args),
        Some(Command::Sim(args)) => sim::run(&args),
        Some(Command::Status(args)) => status::run_status(&args),
        Some(Command::Snapshot(args)) => status::run_snapshot(&args),
        Some(Command::Doctor(args)) => doctor::run(&args),
        Some(Command::Demo(args)) => console::run_demo(&args),
        Some(Command::Rollout(command)) => rollout::run(&command),
        Some(Command::History(args)) => history::run(&args),
        Some(Command::Report(args)) => report::run(&args),
        Some(Command::Config(command)) => config_files::run(&command),
        Some(Command::Completions(args)) => shell::completions(&args, Cli::command()),
        Some(Command::Man) => shell::man(Cli::command()),
        None => console::run_open(&cli.open),
    };
    match result {
        Ok((outcome, output)) => finish(outcome, &output),
        Err(InputError(message)) => fail(&message),
    }
}

/// Help and version go to stdout with status 0; usage errors print their first line only.
fn clap_exit(error: &clap::Error) -> ExitCode {
    if !error.use_stderr() {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    fail(&format!(
        "{} (see avx-upgrade --help)",
        one_line(&error.render().to_string())
    ))
}

/// A clap error on one line: its message lines joined, without the usage and the
/// "for more information" tip.
fn one_line(rendered: &str) -> String {
    let message: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:"))
        .filter(|line| !line.is_empty() && !line.starts_with("tip:"))
        .collect();
    let joined = message.join(" ");
    joined.strip_prefix("error: ").unwrap_or(&joined).to_owned()
}

fn fail(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "error: {message}");
    ExitCode::from(EXIT_INVALID)
}

fn finish(outcome: Outcome, output: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush());
    if let Err(error) = written
        && error.kind() != std::io::ErrorKind::BrokenPipe
    {
        return fail(&format!("cannot write the output: {error}"));
    }
    match outcome {
        Outcome::Clear => ExitCode::SUCCESS,
        Outcome::Blocked => ExitCode::from(EXIT_BLOCKED),
        Outcome::Signalled(code) => ExitCode::from(code),
        Outcome::Aborted => ExitCode::from(EXIT_ABORTED),
        Outcome::CannotGoOn => ExitCode::from(EXIT_CANNOT_GO_ON),
    }
}

/// The catalog from `--catalog`, or the built-in one.
fn load_catalog(path: Option<&Path>) -> Result<Catalog, InputError> {
    match path {
        Some(path) => Ok(Catalog::load(path)?),
        None => Ok(Catalog::builtin()?),
    }
}

fn load_snapshot(path: &Path) -> Result<Snapshot, InputError> {
    Ok(Snapshot::load(path)?)
}
