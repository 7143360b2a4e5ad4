//! Dry runs and mutating operations: the request of each window, the planner's check, the
//! confirmation dialog (of the request narrowed to the gateways that change), and the start of
//! a confirmed operation.

use crossterm::event::KeyEvent;

use crate::api::actions::DryRun;
use crate::catalog::Catalog;
use crate::ops::{Job, Prepared};
use crate::plan::checks::check;
use crate::plan::path::resolve_target;
use crate::plan::request::{Action, Request, Selection, scope};
use crate::snapshot::Snapshot;
use crate::tui::confirm::{Confirm, Outcome};
use crate::tui::operation::Operation;
use crate::tui::state::{App, DryRunPane, Focus, Overlay};
use crate::tui::update::overlay::cancelled;

pub(super) fn confirm_key(app: &mut App, key: &KeyEvent) -> Vec<Job> {
    let Focus::Overlay(Overlay::Confirm(dialog)) = &mut app.focus else {
        return Vec::new();
    };
    match dialog.handle_key(key, app.now) {
        Outcome::Open => Vec::new(),
        Outcome::Cancelled => cancelled(app),
        Outcome::Confirmed => {
            let dialog = *dialog.clone();
            app.focus = Focus::Window;
            match dialog.rollout.is_some() {
                true => super::rollout::confirmed(app, dialog),
                false => start(app, dialog),
            }
        }
    }
}

fn start(app: &mut App, dialog: Confirm) -> Vec<Job> {
    if app.readonly || app.busy() || dialog.blocked() {
        app.error("refused: read-only, busy or blocked");
        return Vec::new();
    }
    let names = dialog.request.named().to_vec();
    let title = format!("{} to {}", dialog.operation, dialog.target);
    let action = dialog.request.action();
    let confirmation = match dialog.typed_answer() {
        Some(answer) => format!("typed {answer} in the console"),
        None => "pressed y in the console".to_owned(),
    };
    let skipped_reason = format!("already at {}", dialog.target);
    let skipped = dialog
        .skipped
        .iter()
        .map(|name| (name.clone(), skipped_reason.clone()))
        .collect();
    let Some(mut prepared) = prepare(app, dialog.request, Prepared::to_send) else {
        return Vec::new();
    };
    prepared.confirmation = Some(confirmation);
    prepared.skipped = skipped;
    let id = app.next_operation_id();
    app.operation = Some(Operation::new(id, action, title, names, app.now));
    app.show_progress = true;
    vec![Job::Start {
        operation: id,
        prepared,
    }]
}

/// `request` prepared from the fleet on screen; `None`, with an error, before the controller
/// and its catalog were read.
fn prepare(
    app: &mut App,
    request: Request,
    how: fn(&Snapshot, &Catalog, Request) -> Prepared,
) -> Option<Box<Prepared>> {
    let (Some(snapshot), Some(catalog)) = (app.fleet.snapshot(), app.catalog.as_ref()) else {
        app.error("the controller has not been read yet: wait, or Ctrl-R");
        return None;
    };
    Some(Box::new(how(snapshot, catalog, request)))
}

/// The dry run of the window's operation (never of one chosen before, e.g. in a cancelled
/// confirmation).
pub(super) fn dry_run(app: &mut App) -> Vec<Job> {
    if app.fleet.snapshot().is_none() {
        app.warn("the controller has not been read yet: wait, or Ctrl-R");
        return Vec::new();
    }
    let request = match app.request_for(app.window.operation()) {
        Ok(request) => request,
        Err(error) => {
            app.error(error);
            return Vec::new();
        }
    };
    app.focus = Focus::Overlay(Overlay::DryRun(DryRunPane::waiting(describe_request(
        app, &request,
    ))));
    prepare(app, request, Prepared::new)
        .map(Job::DryRun)
        .into_iter()
        .collect()
}

pub(super) fn on_dry_run(app: &mut App, request: &Request, result: Result<DryRun, String>) {
    let title = describe_request(app, request);
    let checklist = local_checklist(app, request);
    match &mut app.focus {
        Focus::Overlay(Overlay::DryRun(pane)) if pane.result.is_none() => {
            pane.title = title;
            pane.checklist = checklist;
            pane.result = Some(result);
        }
        _ => app.info(format!(
            "dry run of {title} finished: press d to see it again"
        )),
    }
}

/// The checklist items our planner checks for `request` on the snapshot we hold (none when
/// the controller or the catalog has not been read).
fn local_checklist(app: &App, request: &Request) -> Vec<crate::plan::ChecklistItem> {
    let (Some(snapshot), Some(catalog)) = (app.fleet.snapshot(), app.catalog.as_ref()) else {
        return Vec::new();
    };
    check(snapshot, catalog, request, app.now)
        .map(|report| report.checklist)
        .unwrap_or_default()
}

/// "Software Upgrade of 3 gateways", "Platform Upgrade to 7.1".
pub fn describe_request(app: &App, request: &Request) -> String {
    let action = request.action().title();
    match request {
        Request::PlatformUpgrade { target } => match target {
            Some(target) => format!("{action} to {target}"),
            None => format!("{action} to the newest build of the running train"),
        },
        _ => {
            let count = match request.selection() {
                Some(Selection::All) => app.fleet.total(),
                _ => request.named().len(),
            };
            let plural = if count == 1 { "" } else { "s" };
            format!("{action} of {count} gateway{plural}")
        }
    }
}

/// Checks `action` with the planner and opens the confirmation dialog.
pub(super) fn ask_to_confirm(app: &mut App, action: Action) {
    if app.readonly {
        app.error("read-only console: upgrades, rollbacks and image upgrades are off (--readonly or :readonly)");
        return;
    }
    if app.busy() {
        app.error("an operation is already running: wait for it to end (p shows its progress)");
        return;
    }
    let (Some(snapshot), Some(catalog)) = (app.fleet.snapshot(), app.catalog.as_ref()) else {
        app.warn("the controller has not been read yet: wait, or Ctrl-R");
        return;
    };
    let request = match app.request_for(action) {
        Ok(request) => request,
        Err(error) => {
            app.error(error);
            return;
        }
    };
    let report = match check(snapshot, catalog, &request, app.now) {
        Ok(report) => report,
        Err(error) => {
            app.error(error.to_string());
            return;
        }
    };
    // Only the gateways that change are sent, counted and followed.
    let scope = match scope(snapshot, catalog, &request) {
        Ok(scope) => scope,
        Err(error) => {
            app.error(error.to_string());
            return;
        }
    };
    if scope.request.selection().is_some() && scope.changes == 0 && !report.has_blocker() {
        app.info(format!(
            "nothing to do: the selected gateways ({}) are already at the target",
            scope.skipped.len()
        ));
        return;
    }
    let target = target_text(snapshot, catalog, &request);
    let backup_age = backup_age(snapshot, app.now);
    // A platform upgrade names no gateway (and the console always names them).
    let named = app.fleet.split_shown(scope.request.named());
    let release_notes = match &request {
        Request::PlatformUpgrade { target } => {
            resolve_target(snapshot.controller.current_version, *target, catalog)
                .ok()
                .and_then(|version| catalog.release(version))
                .map(crate::catalog::Release::summary)
        }
        _ => None,
    };
    let dialog = Confirm::new(scope, target, named, &report)
        .with_backup_age(backup_age)
        .with_release_notes(release_notes);
    app.focus = Focus::Overlay(Overlay::Confirm(Box::new(dialog)));
}

/// How long before `now` the controller's last backup was taken; `None` when none was.
fn backup_age(snapshot: &Snapshot, now: jiff::Timestamp) -> Option<jiff::SignedDuration> {
    let last = snapshot.controller.checklist.backup.last_backup?;
    Some(now.duration_since(last))
}

/// The exact version or image an operation goes to.
fn target_text(
    snapshot: &Snapshot,
    catalog: &crate::catalog::Catalog,
    request: &Request,
) -> String {
    let controller = &snapshot.controller;
    match request {
        Request::PlatformUpgrade { target } => {
            match resolve_target(controller.current_version, *target, catalog) {
                Ok(version) => version.to_string(),
                Err(_) => target.map_or("the newest build of the running train".into(), |t| {
                    t.to_string()
                }),
            }
        }
        Request::SoftwareUpgrade { .. } => controller.current_version.to_string(),
        Request::SoftwareRollback { .. } => controller
            .previous_version
            .map_or("no previous controller version".into(), |v| v.to_string()),
        Request::ImageUpgrade { gateways } => {
            let train = controller.current_version.train();
            let indices =
                crate::plan::request::resolve_selection(snapshot, gateways).unwrap_or_default();
            let mut images: Vec<&str> = indices
                .iter()
                .filter_map(|&i| catalog.image_for(snapshot.gateways()[i].cloud, train))
                .map(|entry| entry.image.as_str())
                .collect();
            images.sort_unstable();
            images.dedup();
            match images.len() {
                0 => "no compatible image".into(),
                1..=3 => format!("image {}", images.join(", ")),
                n => format!(
                    "{n} images from the compatibility matrix ({} …)",
                    images[..2].join(", ")
                ),
            }
        }
    }
}
