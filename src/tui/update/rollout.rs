//! The Rollout window (`3`): `U`, `R` or `I` there stage the current selection (the marks, or
//! the gateways the filter shows) in waves with the console's policy (`:policy` edits it; a
//! Target Release Version beyond the controller's makes it the whole runbook, platform hops
//! included) and open one confirmation showing every step. `P` pauses, `X` aborts and
//! `:skip NAME` skips a gateway, each after a light confirmation; `r` starts the next step
//! (light) or resumes a stopped rollout, retrying its failed gateways (confirmed as strongly
//! as a start). The rollout's events update the window's timeline.

use crate::journal::RolloutStory;
use crate::ops::Job;
use crate::ops::rollout::{Control, RolloutEnd, RolloutEvent};
use crate::plan::counted;
use crate::plan::path::resolve_target;
use crate::plan::request::{Action, Request, Selection};
use crate::plan::rollout::{self, Document, RolloutError, Step};
use crate::tui::confirm::{Ask, Confirm, RolloutStart};
use crate::tui::rollout::{Phase, RolloutView};
use crate::tui::state::{App, Focus, Overlay, Window};

/// Stages `action` of the current selection (the marks, or every gateway the filter shows)
/// and asks to confirm every step.
pub(super) fn stage(app: &mut App, action: Action) {
    if let Err(refusal) = may_start(app) {
        app.error(refusal);
        return;
    }
    let document = match plan(app, action) {
        Ok(document) => document,
        Err(error) => {
            app.error(error);
            return;
        }
    };
    let names: Vec<String> = gateways(&document);
    let first = first_request(&document);
    let named = hidden_only(app, &names);
    let start = RolloutStart {
        document,
        resume: false,
    };
    let dialog = Confirm::rollout(start, first, named);
    app.focus = Focus::Overlay(Overlay::Confirm(Box::new(dialog)));
}

/// Why nothing may start now, if so.
fn may_start(app: &App) -> Result<(), String> {
    if app.readonly {
        return Err("read-only console: rollouts are off (--readonly or :readonly)".into());
    }
    if app.busy() {
        return Err("an operation or a rollout is running: wait for it to end".into());
    }
    if app.rollout.as_ref().is_some_and(RolloutView::resumable) {
        return Err(
            "an unfinished rollout is in the journal: r resumes it (avx-upgrade rollout abort ends it)"
                .into(),
        );
    }
    Ok(())
}

/// The rollout of `action` over the selection with the console's policy, as a document.
fn plan(app: &App, action: Action) -> Result<Document, String> {
    let (Some(snapshot), Some(catalog)) = (app.fleet.snapshot(), app.catalog.as_ref()) else {
        return Err("the controller has not been read yet: wait, or Ctrl-R".into());
    };
    let names = app.fleet.staged_targets();
    if names.is_empty() {
        return Err("no gateway: the filter shows none; change it in window 2".into());
    }
    let selection = Selection::Named(names);
    let request = Request::gateway_operation(action, selection.clone(), None);
    let policy = app.rollout_policy;
    let current = snapshot.controller.current_version;
    let beyond = app
        .platform_target()
        .ok()
        .flatten()
        .filter(|_| action == Action::SoftwareUpgrade)
        .filter(|&target| {
            resolve_target(current, Some(target), catalog).is_ok_and(|version| version > current)
        });
    let planned = match beyond {
        Some(target) => rollout::runbook(snapshot, catalog, selection, target, &policy, app.now),
        None => rollout::plan(snapshot, catalog, &request, &policy, app.now)
            .map(|planned| (planned, Vec::new())),
    };
    let (planned, hops) = planned.map_err(|error| match error {
        RolloutError::Blocked(finding) => format!("cannot stage it: {}", finding.reason()),
        other => other.to_string(),
    })?;
    if let Some(first) = planned.blocked.first() {
        return Err(format!(
            "{} blocked, e.g. {} ({}): unmark them or fix them first",
            counted(planned.blocked.len(), "gateway"),
            first.name,
            first.reason
        ));
    }
    let target = hops.last().map(|hop| hop.to).or(match action {
        Action::SoftwareRollback => snapshot.controller.previous_version,
        _ => Some(current),
    });
    let document = Document {
        format: rollout::document::FORMAT,
        planned_at: app.now,
        controller: Some(app.url.clone()),
        controller_version: current,
        fleet: rollout::fingerprint(snapshot),
        target,
        rollout: planned,
        hops,
    };
    if document.steps().is_empty() {
        return Err("nothing to stage: every selected gateway is already where it would go".into());
    }
    Ok(document)
}

/// The gateways of `names` the filter hides: the dialog names them apart (its steps list
/// every gateway already).
fn hidden_only(app: &App, names: &[String]) -> crate::tui::fleet::Named {
    let mut named = app.fleet.split_shown(names);
    named.shown.clear();
    named
}

/// Every gateway a wave of `document` names, once.
fn gateways(document: &Document) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for step in document.steps() {
        if let Step::Wave { wave, .. } = step {
            for name in &wave.gateways {
                if seen.insert(name.as_str()) {
                    names.push(name.clone());
                }
            }
        }
    }
    names
}

/// The first stage's request, which the dialog carries.
fn first_request(document: &Document) -> Request {
    let gateways = Selection::Named(gateways(document));
    Request::gateway_operation(document.rollout.action, gateways, None)
}

/// A confirmed rollout dialog: starts the rollout, or resumes it.
pub(super) fn confirmed(app: &mut App, dialog: Confirm) -> Vec<Job> {
    let Some(start) = dialog.rollout.clone() else {
        return Vec::new();
    };
    if app.readonly || app.busy() {
        app.error("refused: read-only or busy");
        return Vec::new();
    }
    app.window = Window::Rollout;
    if start.resume {
        if let Some(view) = app.rollout.as_mut() {
            view.resumed(app.now);
        }
        return vec![Job::ResumeRollout];
    }
    let answer = dialog.typed_answer().unwrap_or_default();
    let confirmation = format!("typed {answer} in the console");
    app.rollout = Some(RolloutView::started(start.document.clone(), app.now));
    vec![Job::StartRollout {
        document: Box::new(start.document),
        confirmation,
    }]
}

/// `P`: pause after the step in flight.
pub(super) fn pause(app: &mut App) {
    let Some(view) = running(app) else {
        return;
    };
    if matches!(view.phase, Phase::Waiting { .. }) {
        app.info("the rollout already waits: r starts the next step");
        return;
    }
    ask(
        app,
        "Pause the rollout? The step in flight runs to its gate; the next one waits for r.",
        Control::Pause,
        "pause asked: the next step will wait for r",
    );
}

/// `X`: abort after the step in flight.
pub(super) fn abort(app: &mut App) {
    if app.rollout.as_ref().is_some_and(RolloutView::resumable) {
        app.info(
            "this rollout does not run here: avx-upgrade rollout abort ends it in the journal",
        );
        return;
    }
    if running(app).is_none() {
        return;
    }
    ask(
        app,
        "Abort the rollout? The step in flight runs to its gate; nothing after it is sent.",
        Control::Abort,
        "abort asked: nothing more is sent after the step in flight",
    );
}

/// `r`: the next step of a waiting rollout, or a stopped one resumed.
pub(super) fn resume(app: &mut App) {
    let Some(view) = app.rollout.as_ref() else {
        app.info("no rollout: stage one with U, R or I in the Rollout window (3)");
        return;
    };
    if let Phase::Waiting { what, .. } = &view.phase {
        let question = format!("Start {what}?");
        let done = format!("starting {what}");
        ask(app, &question, Control::Next, &done);
        return;
    }
    if !view.resumable() {
        app.info("the rollout runs: r works when it waits, or once it stopped");
        return;
    }
    if app.readonly || app.busy() {
        app.error("read-only or busy: the rollout cannot be resumed now");
        return;
    }
    let document = view.document.clone();
    let first = first_request(&document);
    let named = hidden_only(app, &gateways(&document));
    let start = RolloutStart {
        document,
        resume: true,
    };
    let dialog = Confirm::rollout(start, first, named);
    app.focus = Focus::Overlay(Overlay::Confirm(Box::new(dialog)));
}

/// `:skip NAME`: leave a gateway out of the steps not sent yet.
pub(super) fn skip(app: &mut App, name: &str) {
    let Some(view) = running(app) else {
        return;
    };
    if !gateways(&view.document)
        .iter()
        .any(|gateway| gateway == name)
    {
        app.error(format!(
            "{name} is not in this rollout: :skip takes a gateway of its waves"
        ));
        return;
    }
    let question =
        format!("Skip {name}? No step not sent yet will take it; a step in flight goes on.");
    let done = format!("{name} will be skipped");
    ask(app, &question, Control::Skip(name.to_owned()), &done);
}

/// `:policy [SETTINGS]`: shows or edits the policy of the next rollout.
pub(super) fn policy(app: &mut App, edits: &str) {
    match app.rollout_policy.edited(edits) {
        Ok(policy) => {
            app.rollout_policy = policy;
            let total = app.fleet.staged_count();
            app.info(format!("rollout policy: {}", policy.describe(total)));
        }
        Err(error) => app.error(error),
    }
}

/// The rollout that runs here; says why not otherwise.
fn running(app: &mut App) -> Option<&RolloutView> {
    match app.rollout.as_ref() {
        Some(view) if view.is_running() => app.rollout.as_ref(),
        Some(_) => {
            app.info("the rollout does not run: r resumes a stopped one");
            None
        }
        None => {
            app.info("no rollout runs: stage one with U, R or I in the Rollout window (3)");
            None
        }
    }
}

fn ask(app: &mut App, question: &str, control: Control, done: &str) {
    let dialog = Ask::new(
        question.to_owned(),
        Job::ControlRollout(control),
        done.to_owned(),
    );
    app.focus = Focus::Overlay(Overlay::Ask(Box::new(dialog)));
}

/// One of the rollout's events.
pub(super) fn on_event(app: &mut App, event: RolloutEvent) -> Vec<Job> {
    let gate = matches!(event, RolloutEvent::Gate { .. });
    let now = app.now;
    if let Some(view) = app.rollout.as_mut() {
        view.on_event(event, now);
    }
    // A step ended: the table shows the versions it reached.
    match gate {
        true => app.request_refresh().into_iter().collect(),
        false => Vec::new(),
    }
}

/// The rollout ended.
pub(super) fn on_end(app: &mut App, end: RolloutEnd) -> Vec<Job> {
    match &end {
        RolloutEnd::Done => app.info("rollout done: every step passed its gate"),
        RolloutEnd::Stopped(reason) => app.warn(format!("rollout stopped: {reason}; r resumes")),
        RolloutEnd::Aborted => app.warn("rollout aborted: nothing more was sent"),
        RolloutEnd::CannotGoOn(reason) => app.error(format!("rollout cannot go on: {reason}")),
    }
    let now = app.now;
    if let Some(view) = app.rollout.as_mut() {
        view.on_end(end, now);
    }
    app.request_refresh().into_iter().collect()
}

/// What the journal holds of this controller's unfinished rollout.
pub(super) fn on_found(app: &mut App, found: Result<Option<Box<RolloutStory>>, String>) {
    match found {
        Ok(Some(story)) if app.rollout.is_none() => {
            app.warn(format!(
                "an unfinished rollout, started {} by {}, is in the journal: 3 shows it, r resumes it",
                story.started.strftime("%Y-%m-%d %H:%M UTC"),
                story.plan.local_user
            ));
            app.rollout = Some(RolloutView::unfinished(&story));
        }
        Ok(_) => {}
        Err(error) => app.warn(format!("the journal's rollouts cannot be read: {error}")),
    }
}
