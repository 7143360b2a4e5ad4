//! What the controller reports: refreshed data, failed refreshes, operations found running,
//! and the progress of the operation being followed (whose end clears the marks of the
//! gateways it completed and verified, and says what to do about the failed ones). A refresh
//! read before the operation ended never replaces it.

use crate::api::poll::Progress;
use crate::ops::{Follow, Job, Live, Loaded, Reading};
use crate::plan::request::Action;
use crate::tui::message::Command;
use crate::tui::operation::Operation;
use crate::tui::state::{App, Connection};
use crate::tui::update::{current, revalidate_target};

/// How far the refresh under way has got. On the first refresh the first rows are shown at
/// once, then every gateway once all are read, their statuses pending; nothing can be marked
/// or sent until the statuses are in too. A later refresh keeps the fleet shown and only
/// counts.
pub(super) fn on_reading(app: &mut App, reading: Reading) {
    let first_load = app.fleet.snapshot().is_none() || app.fleet_is_partial();
    let mut loading = app.loading.unwrap_or_default();
    match reading {
        Reading::Gateways { read, first } => {
            loading.read = read;
            if let Some(snapshot) = first.filter(|_| first_load) {
                app.fleet.replace(*snapshot, Vec::new());
                loading.partial = true;
            }
        }
        Reading::Statuses {
            total,
            fleet,
            taken,
        } => {
            loading.read = total;
            loading.statuses = true;
            if first_load {
                app.fleet.replace(fleet, Vec::new());
                loading.partial = true;
            }
            taken.done();
        }
    }
    app.loading = Some(loading);
}

pub(super) fn on_loaded(app: &mut App, loaded: Loaded) -> Vec<Job> {
    let Loaded {
        snapshot,
        catalog,
        live,
        skipped,
        platform_running,
        gateways_running,
        preflight,
    } = loaded;
    // A refresh read before the operation ended still shows it running: following that would
    // replace the operation's story (its log, elapsed time and verdict) with a new one.
    let predates_end = app.refresh_predates_end();
    let mut jobs: Vec<Job> = app.refresh_answered().into_iter().collect();
    app.loading = None;
    app.connection = Connection::Ok;
    app.last_refresh = Some(app.now);
    app.fleet.replace(snapshot, live);
    app.catalog = Some(catalog);
    if !skipped.is_empty() && skipped != app.skipped {
        app.warn(format!(
            "{} gateways could not be read and are not shown (first: {})",
            skipped.len(),
            skipped[0]
        ));
    }
    app.skipped = skipped;
    revalidate_target(app);
    app.platform.set_preflight(preflight);
    if !app.busy() && !predates_end {
        jobs.extend(follow_running(app, platform_running, gateways_running));
    }
    jobs
}

/// Follows an operation found running at the controller (started elsewhere, or before a restart
/// of this console).
fn follow_running(app: &mut App, platform: Option<String>, gateways: Vec<String>) -> Vec<Job> {
    let (action, title, names, follow) = match (platform, gateways.is_empty()) {
        (Some(message), _) => (
            Action::PlatformUpgrade,
            format!("Platform Upgrade ({message})"),
            Vec::new(),
            Follow::Platform,
        ),
        (None, false) => (
            Action::SoftwareUpgrade,
            format!("Gateway operation on {} gateways", gateways.len()),
            gateways.clone(),
            Follow::Gateways(gateways),
        ),
        (None, true) => return Vec::new(),
    };
    let id = app.next_operation_id();
    app.operation = Some(Operation::found(id, action, title, names, app.now));
    app.show_progress = true;
    app.warn("an operation is running at the controller: following it");
    vec![Job::Follow {
        operation: id,
        follow,
    }]
}

pub(super) fn on_load_failed(app: &mut App, error: String) -> Vec<Job> {
    let again = app.refresh_answered().into_iter().collect();
    app.loading = app.loading.filter(|loading| loading.partial);
    if app.busy() && app.connection == Connection::Reconnecting {
        return again;
    }
    app.error(format!(
        "cannot read the controller: {error} (Ctrl-R retries)"
    ));
    app.connection = Connection::Stale {
        since: app.last_refresh,
        error,
    };
    again
}

/// After a gateway operation with failures, what to do next, in the log.
fn next_step(app: &mut App, id: u64) {
    let key = app.keymap.key_for(Command::MarkFailed);
    let (retry, rollback) = (
        app.keymap.key_for(Command::Upgrade),
        app.keymap.key_for(Command::Rollback),
    );
    let now = app.now;
    let Some(operation) = current(app, id).filter(|operation| operation.failed > 0) else {
        return;
    };
    let count = operation.failed;
    operation.note(
        now,
        format!(
            "next: {key} (or :mark failed) marks the {count} failed gateways; then {retry} retries them or {rollback} rolls them back"
        ),
    );
}

pub(super) fn on_progress(app: &mut App, id: u64, progress: Progress) -> Vec<Job> {
    let now = app.now;
    app.connection = match progress {
        Progress::Restarting { .. } => Connection::Reconnecting,
        _ => Connection::Ok,
    };
    let finished = match &progress {
        Progress::Finished { ok, message } => Some((*ok, message.clone())),
        _ => None,
    };
    let Some(operation) = current(app, id) else {
        return Vec::new();
    };
    let changed = operation.progress(now, progress);
    let title = operation.title.clone();
    let completed: Vec<String> = match finished {
        Some(_) => operation.completed(),
        None => Vec::new(),
    };
    for gateway in changed {
        if let Some(index) = app.fleet.index_of(&gateway.name) {
            app.fleet.set_live(
                index,
                Live::new(gateway.update_status, gateway.progress)
                    .with_state(Some(gateway.state))
                    .with_message(gateway.message),
            );
        }
    }
    let Some((ok, message)) = finished else {
        return Vec::new();
    };
    // Gateways done are no longer part of what the user is working on; failed ones stay marked.
    app.fleet.unmark(&completed);
    next_step(app, id);
    if ok {
        app.info(format!("{title}: done ({message})"));
    } else {
        app.error(format!("{title}: FAILED ({message})"));
    }
    app.request_refresh().into_iter().collect()
}
