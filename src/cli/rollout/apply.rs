//! `avx-upgrade rollout apply PLAN.json`: checks that the plan still holds on the controller
//! (the same controller, the same version, every gateway still there, no new blocker), asks for
//! the confirmation (the number of gateways that change, typed on a terminal, or `--yes`),
//! then runs the waves and prints one line per event.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::api::Client;
use crate::api::poll::{PollSettings, Progress};
use crate::cli::connect::connect;
use crate::cli::rollout::ApplyArgs;
use crate::cli::status::{catalog, read_snapshot, runtime};
use crate::cli::{InputError, Outcome};
use crate::load::{self, FileKind};
use crate::ops::rollout::{Control, RolloutEnd, RolloutEvent, Rollouts};
use crate::plan::rollout::{self, Advance, Document};
use crate::plan::{Request, Selection};

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
        let end = drive(args.run.ci, |events, controls| {
            rollouts.run(document, confirmation, events, controls)
        })
        .await;
        Ok(ended(&end))
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
    let names: Vec<String> = document
        .rollout
        .waves
        .iter()
        .flat_map(|wave| wave.gateways.iter().cloned())
        .collect();
    if let Some(gone) = names.iter().find(|name| snapshot.index_of(name).is_none()) {
        return Err(InputError(format!(
            "gateway {gone} of the plan is no longer listed by the controller: plan the rollout again"
        )));
    }
    let request = request(document, names);
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

/// The plan's gateways as one request of its action.
fn request(document: &Document, names: Vec<String>) -> Request {
    let gateways = Selection::Named(names);
    match document.rollout.action {
        crate::plan::Action::SoftwareRollback => Request::SoftwareRollback {
            gateways,
            target: None,
        },
        crate::plan::Action::ImageUpgrade => Request::ImageUpgrade { gateways },
        _ => Request::SoftwareUpgrade {
            gateways,
            target: None,
        },
    }
}

/// The confirmation: `--yes`, or the number of gateways that change typed on a terminal.
/// Without either, nothing is sent.
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
    let count = document.rollout.changing();
    let mut stderr = std::io::stderr();
    let _ = write!(
        stderr,
        "{} of {count} gateways in {} waves. Type {count} to start: ",
        document.rollout.action.title(),
        document.rollout.waves.len()
    );
    let _ = stderr.flush();
    let mut typed = String::new();
    stdin.lock().read_line(&mut typed)?;
    match typed.trim() == count.to_string() {
        true => Ok(format!("typed {count} by {user}")),
        false => Err(InputError(format!(
            "not confirmed (typed \"{}\", not {count}): nothing was sent",
            crate::quote::quoted(typed.trim())
        ))),
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

/// Runs a rollout, printing its events; keys come from the terminal unless `ci`.
pub(super) async fn drive<F: Future<Output = RolloutEnd>>(
    ci: bool,
    run: impl FnOnce(UnboundedSender<RolloutEvent>, UnboundedReceiver<Control>) -> F,
) -> RolloutEnd {
    let (events, mut received) = unbounded_channel();
    let (control, controls) = unbounded_channel();
    let printer = tokio::spawn(async move {
        while let Some(event) = received.recv().await {
            print_event(&event, &control, ci);
        }
    });
    let end = run(events, controls).await;
    let _ = printer.await;
    end
}

fn print_event(event: &RolloutEvent, control: &UnboundedSender<Control>, ci: bool) {
    let line = match event {
        RolloutEvent::Note(line) => line.clone(),
        RolloutEvent::WaitingForKey { wave } => {
            ask_for_key(*wave, control.clone(), ci);
            return;
        }
        RolloutEvent::Progress { wave, progress } => match progress {
            Progress::Gateways { done, failed, .. } => {
                format!("wave {wave}: {done} done, {failed} failed")
            }
            Progress::Restarting { detail } => {
                format!("wave {wave}: controller restarting ({detail})")
            }
            _ => return,
        },
        RolloutEvent::WaveEnded { wave, verdicts } => {
            for verdict in verdicts.iter().filter(|verdict| !verdict.passed()) {
                let reason = verdict.failure.as_deref().unwrap_or("");
                println!("wave {wave}: {} FAILED: {reason}", verdict.name);
            }
            return;
        }
    };
    println!("{line}");
}

/// Waits for Enter (the next wave) or `abort` on the terminal, off the async threads.
fn ask_for_key(wave: usize, control: UnboundedSender<Control>, ci: bool) {
    if ci || !std::io::stdin().is_terminal() {
        let _ = control.send(Control::Next);
        return;
    }
    eprint!("Press Enter to start wave {wave}, or type abort: ");
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

pub(super) fn ended(end: &RolloutEnd) -> (Outcome, String) {
    match end {
        RolloutEnd::Done => (Outcome::Clear, "done: every wave passed its gate\n".into()),
        RolloutEnd::Stopped(reason) => (Outcome::Blocked, format!("STOPPED: {reason}\n")),
        RolloutEnd::Aborted => (Outcome::Aborted, "ABORTED: nothing more was sent\n".into()),
        RolloutEnd::CannotGoOn(reason) => {
            (Outcome::CannotGoOn, format!("CANNOT GO ON: {reason}\n"))
        }
    }
}
