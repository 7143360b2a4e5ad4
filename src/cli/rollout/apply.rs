//! `avx-upgrade rollout apply PLAN.json`: checks that the plan still holds on the controller
//! (the same controller, the same version, every gateway still there, no new blocker), asks for
//! the confirmation (the number of gateways that change, typed on a terminal, or `--yes`),
//! then runs the waves and prints one line per event.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::api::Client;
use crate::api::poll::{PollSettings, Progress};
use crate::cli::connect::connect;
use crate::cli::rollout::ApplyArgs;
use crate::cli::status::{catalog, read_snapshot, runtime};
use crate::cli::{InputError, Outcome};
use crate::load::{self, FileKind};
use crate::ops::in_flight::DOOR;
use crate::ops::rollout::{Channels, Control, RolloutEnd, RolloutEvent, Rollouts};
use crate::plan::rollout::{self, Advance, Document, Step};
use crate::plan::{Request, Selection, counted};
use crate::signals::{Signal, Signals};

pub fn run(args: &ApplyArgs) -> Result<(Outcome, String), InputError> {
    let mut document = read_plan(args)?;
    if args.run.ci {
        document.rollout.policy.advance = Advance::Automatic;
    }
    runtime()?.block_on(async {
        let client = connect(&args.run.connect).await?;
        still_holds(&client, &document).await?;
        let confirmation = confirm(args.run.yes, &document)?;
        let rollouts = rollouts(client, args.run.poll_ms);
        drive(args.run.ci, |channels| {
            rollouts.run(document, confirmation, channels)
        })
        .await
    })
}

fn read_plan(args: &ApplyArgs) -> Result<Document, InputError> {
    let bytes = load::read_file(&args.plan, FileKind::RolloutPlan)?;
    let name = args.plan.display().to_string();
    Ok(Document::parse(&name, &bytes)?)
}

/// Refuses, saying what changed, a plan the controller no longer matches.
async fn still_holds(client: &Client, document: &Document) -> Result<(), InputError> {
    let planned_on = document
        .controller
        .as_deref()
        .map(|url| url.trim_end_matches('/'));
    if let Some(url) = planned_on
        && url != client.base_url().trim_end_matches('/')
    {
        return Err(InputError(format!(
            "the plan was made for {url}, not {}: plan the rollout again against this controller",
            client.base_url()
        )));
    }
    let snapshot = read_snapshot(client).await?;
    let catalog = catalog(client).await?;
    let running = snapshot.controller.current_version;
    if running != document.controller_version {
        return Err(InputError(format!(
            "the controller runs {running}, not {} as when the plan was made: plan the rollout again",
            document.controller_version
        )));
    }
    let mut names: Vec<String> = Vec::new();
    for step in document.steps() {
        if let Step::Wave { wave, .. } = step {
            names.extend(wave.gateways.iter().cloned());
        }
    }
    names.sort_unstable();
    names.dedup();
    if let Some(gone) = names.iter().find(|name| snapshot.index_of(name).is_none()) {
        return Err(InputError(format!(
            "gateway {gone} of the plan is no longer listed by the controller: plan the rollout again"
        )));
    }
    let request =
        Request::gateway_operation(document.rollout.action, Selection::Named(names), None);
    let now = jiff::Timestamp::now();
    let again = rollout::plan(&snapshot, &catalog, &request, &document.rollout.policy, now)
        .map_err(|error| InputError(format!("the plan no longer holds: {error}")))?;
    if let Some(blocked) = again.blocked.first() {
        return Err(InputError(format!(
            "the plan no longer holds: {} is now blocked ({}): plan the rollout again",
            blocked.name, blocked.reason
        )));
    }
    Ok(())
}

/// The confirmation: `--yes`, or typed on a terminal: the number of gateways that change, or,
/// when the rollout includes a platform hop, the final platform version. Without either,
/// nothing is sent.
pub(super) fn confirm(yes: bool, document: &Document) -> Result<String, InputError> {
    let user = crate::journal::local_user();
    if yes {
        return Ok(format!("--yes by {user}"));
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(InputError(
            "refusing to start: there is no terminal to confirm on; give --yes to confirm from a script"
                .into(),
        ));
    }
    let (asked, expected) = question(document);
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{asked} Type {expected} to start: ");
    let _ = stderr.flush();
    let mut typed = String::new();
    stdin.lock().read_line(&mut typed)?;
    match typed.trim() == expected {
        true => Ok(format!("typed {expected} by {user}")),
        false => Err(InputError(format!(
            "not confirmed (typed \"{}\", not {expected}): nothing was sent",
            crate::quote::quoted(typed.trim())
        ))),
    }
}

/// What the confirmation says, and the value to type.
fn question(document: &Document) -> (String, String) {
    let title = document.rollout.action.title();
    let gateways = counted(document.budget_base(), "gateway");
    let steps = counted(document.steps().len(), "step");
    match document.final_platform() {
        Some(last) => (
            format!(
                "{title} of {gateways} and the platform to {last}, through {}, in {steps}.",
                counted(document.hops.len(), "platform hop")
            ),
            last.to_string(),
        ),
        None => (
            format!(
                "{title} of {gateways} in {}.",
                counted(document.rollout.waves.len(), "wave")
            ),
            document.budget_base().to_string(),
        ),
    }
}

/// Where rollouts run: this controller, the state directory, polling every `poll_ms` (the
/// spec's 10 s by default).
pub(super) fn rollouts(client: Arc<Client>, poll_ms: Option<u64>) -> Rollouts {
    let mut poll = PollSettings::default();
    if let Some(ms) = poll_ms {
        poll.interval = std::time::Duration::from_millis(ms.max(10));
    }
    Rollouts {
        client,
        state_dir: crate::paths::state_dir(),
        poll,
    }
}

/// Runs a rollout, printing its events; keys come from the terminal unless `ci`. A signal
/// (SIGINT, SIGTERM, SIGHUP, SIGQUIT) stops it: no request is sent after it, the answers of
/// those in flight are recorded, and the exit status is 128 + the signal's number; the
/// rollout stays open for `rollout resume`.
pub(super) async fn drive<F: Future<Output = RolloutEnd>>(
    ci: bool,
    run: impl FnOnce(Channels) -> F,
) -> Result<(Outcome, String), InputError> {
    let mut signals = Signals::new()?;
    let (events, mut received) = unbounded_channel();
    let (sender, control) = unbounded_channel();
    let printer = tokio::spawn(async move {
        // A poll that finds nothing new repeats its line: it is printed once.
        let mut last = String::new();
        while let Some(event) = received.recv().await {
            for line in lines_of(&event, &sender, ci) {
                if line != last {
                    println!("{line}");
                    last = line;
                }
            }
        }
    });
    let end = tokio::select! {
        end = run(Channels { events, control }) => end,
        signal = signals.next() => return Ok(stopped_by(signal).await),
    };
    let _ = printer.await;
    Ok(ended(&end))
}

/// Closes the door to new requests, waits for the answers in flight to be recorded, and says
/// how to go on.
async fn stopped_by(signal: Signal) -> (Outcome, String) {
    eprintln!(
        "{}: sending nothing more; waiting for the answers in flight to be recorded",
        signal.name()
    );
    DOOR.close().await;
    (
        Outcome::Signalled(signal.exit_code()),
        format!(
            "STOPPED BY {}: every request sent was answered and recorded; what runs at the controller goes on. avx-upgrade rollout resume follows it\n",
            signal.name()
        ),
    )
}

/// The lines an event prints (a key asked for prints its own prompt).
fn lines_of(event: &RolloutEvent, control: &UnboundedSender<Control>, ci: bool) -> Vec<String> {
    let line = match event {
        RolloutEvent::Note(line) => line.clone(),
        RolloutEvent::Starting { what, .. } => format!("starting {what}"),
        RolloutEvent::WaitingForKey { what, .. } => {
            ask_for_key(what, control.clone(), ci);
            return Vec::new();
        }
        RolloutEvent::Progress { step, progress } => match progress {
            Progress::Gateways { done, failed, .. } => {
                format!("step {step}: {done} done, {failed} failed")
            }
            Progress::Platform { message, .. } => format!("step {step}: {message}"),
            Progress::LoggedInAgain => format!("step {step}: logged in again"),
            Progress::Restarting { detail } => {
                format!("step {step}: controller restarting ({detail})")
            }
            Progress::Finished { .. } => return Vec::new(),
        },
        RolloutEvent::WaveEnded { step, verdicts } => {
            let failed = verdicts.iter().filter(|verdict| !verdict.passed());
            return failed
                .map(|verdict| {
                    let reason = verdict.failure.as_deref().unwrap_or("");
                    format!("wave {step}: {} FAILED: {reason}", verdict.name)
                })
                .collect();
        }
        RolloutEvent::Gate { .. } => return Vec::new(),
    };
    vec![line]
}

/// Waits for Enter (the next wave) or `abort` on the terminal, off the async threads.
fn ask_for_key(what: &str, control: UnboundedSender<Control>, ci: bool) {
    if ci || !std::io::stdin().is_terminal() {
        let _ = control.send(Control::Next);
        return;
    }
    eprint!("Press Enter to start {what}, or type abort: ");
    std::thread::spawn(move || {
        let mut typed = String::new();
        let answer = match std::io::stdin().lock().read_line(&mut typed) {
            Ok(_) if typed.trim() == "abort" => Control::Abort,
            Ok(0) | Err(_) => Control::Abort,
            Ok(_) => Control::Next,
        };
        let _ = control.send(answer);
    });
}

fn ended(end: &RolloutEnd) -> (Outcome, String) {
    match end {
        RolloutEnd::Done => (Outcome::Clear, "done: every step passed its gate\n".into()),
        RolloutEnd::Stopped(reason) => (Outcome::Blocked, format!("STOPPED: {reason}\n")),
        RolloutEnd::Aborted => (Outcome::Aborted, "ABORTED: nothing more was sent\n".into()),
        RolloutEnd::CannotGoOn(reason) => {
            (Outcome::CannotGoOn, format!("CANNOT GO ON: {reason}\n"))
        }
    }
}
