//! The Rollout window: the rollout's steps as a timeline (number, what, gateways, state in
//! words with its symbol, time taken, last progress), the failure budget used, the elapsed
//! time and an estimate of the rest, the policy, and the latest log lines. Without a rollout,
//! how to stage one and the policy the next one gets. Only the rows on screen are built.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::ops::rollout::RolloutEnd;
use crate::plan::counted;
use crate::tui::rollout::{Phase, RolloutView, StepRow, StepState};
use crate::tui::state::{App, Window};
use crate::tui::theme::{Status, Theme, symbol};
use crate::tui::ui::duration;
use crate::tui::ui::fit::{shorten, wrap_lines};

/// Log lines shown under the timeline.
const LOG_ROWS: usize = 4;
/// Columns of the step number, gateway count, state and time.
const NUMBER: usize = 4;
const GATEWAYS: usize = 8;
const STATE: usize = 9;
const TIME: usize = 7;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let name = format!(" {} ", Window::Rollout.title());
    let block = Block::bordered().title(Span::styled(name, theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match &app.rollout {
        Some(view) => timeline(frame, inner, app, view, theme),
        None => empty(frame, inner, app, theme),
    }
}

fn empty(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let total = app.fleet.staged_count();
    let lines = vec![
        Line::styled("No rollout.", theme.title),
        Line::raw(""),
        Line::raw(
            "Choose the gateways in window 2 (mark them, or filter them), then press U (software upgrade), R (rollback) or I (image upgrade) here: they are staged in waves, a canary first, never both members of an HA pair in one wave, and one confirmation shows every wave.",
        ),
        Line::raw(
            "A Target Release Version beyond the controller's (window 1, t) makes U the whole runbook: the gateways, each platform hop, the gateways again.",
        ),
        Line::raw(""),
        Line::from(vec![
            Span::styled("Policy: ", theme.muted),
            Span::raw(app.rollout_policy.describe(total)),
        ]),
        Line::styled(
            "Edit it with :policy, e.g. :policy canary 2 wave-size 10% max-failures 1 soak 300 automatic",
            theme.muted,
        ),
    ];
    let lines = wrap_lines(&lines, usize::from(area.width), 0);
    frame.render_widget(Paragraph::new(lines), area);
}

fn timeline(frame: &mut Frame, area: Rect, app: &App, view: &RolloutView, theme: &Theme) {
    let width = usize::from(area.width);
    let head = wrap_lines(&head(app, view, theme), width, 0);
    let head_rows = head.len();
    let log_rows = view.log.len().min(LOG_ROWS);
    let what = what_width(view, width);
    let [head_area, table_area, log_area] = Layout::vertical([
        Constraint::Length(u16::try_from(head_rows).unwrap_or(u16::MAX)),
        Constraint::Min(2),
        Constraint::Length(log_rows as u16),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(head), head_area);
    let visible = usize::from(table_area.height).saturating_sub(1);
    app.page_rows
        .set(u16::try_from(visible).unwrap_or(u16::MAX));
    let first = view.cursor.saturating_sub(visible.saturating_sub(1));
    let mut rows = vec![Line::styled(header_row(what), theme.muted)];
    rows.extend(
        view.steps
            .iter()
            .enumerate()
            .skip(first)
            .take(visible)
            .map(|(at, row)| step_line(row, at == view.cursor, app, (what, width), theme)),
    );
    frame.render_widget(Paragraph::new(rows), table_area);
    let log: Vec<Line> = view
        .log
        .iter()
        .skip(view.log.len() - log_rows)
        .map(|line| Line::styled(shorten(line, width), theme.muted))
        .collect();
    frame.render_widget(Paragraph::new(log), log_area);
}

/// What runs, how it stands, the budget and the time, and the policy.
fn head(app: &App, view: &RolloutView, theme: &Theme) -> Vec<Line<'static>> {
    let document = &view.document;
    let gateways = counted(document.budget_base(), "gateway");
    let to = match document.final_platform() {
        Some(last) => format!(
            " and the platform to {last} ({})",
            counted(document.hops.len(), "platform hop")
        ),
        None => String::new(),
    };
    let (status, words) = phase(view);
    let mut time = format!("elapsed {}", duration(view.elapsed(app.now)));
    if let (Some(left), true) = (view.estimate_left(), view.is_running()) {
        time.push_str(&format!(", about {} left", duration(left)));
    }
    let budget_status = if view.failed > view.allowed {
        Status::Error
    } else if view.failed > 0 {
        Status::Warn
    } else {
        Status::Ok
    };
    vec![
        Line::from(vec![
            Span::styled(
                format!("{} of {gateways}{to}  ", document.rollout.action.title()),
                theme.title,
            ),
            Span::styled(format!("{} {words}", symbol(status)), theme.of(status)),
        ]),
        Line::from(vec![
            Span::styled(
                format!(
                    "{} failure budget: {} of {} used",
                    symbol(budget_status),
                    view.failed,
                    view.allowed
                ),
                theme.of(budget_status),
            ),
            Span::raw(format!(
                " · {} of {} done",
                view.done(),
                counted(view.steps.len(), "step")
            )),
        ]),
        Line::raw(time),
        Line::from(vec![
            Span::styled("Policy: ", theme.muted),
            Span::raw(document.rollout.policy.describe(document.budget_base())),
        ]),
    ]
}

/// The rollout's standing in words.
fn phase(view: &RolloutView) -> (Status, String) {
    match &view.phase {
        Phase::Running => (Status::Pending, "running".into()),
        Phase::Waiting { what, paused: true } => (Status::Warn, format!("paused: r starts {what}")),
        Phase::Waiting { what, .. } => (Status::Pending, format!("waiting: r starts {what}")),
        Phase::Unfinished => (
            Status::Warn,
            "unfinished, found in the journal: r resumes it".into(),
        ),
        Phase::Ended(RolloutEnd::Done) => (Status::Ok, "done".into()),
        Phase::Ended(RolloutEnd::Stopped(reason)) => {
            (Status::Error, format!("stopped: {reason}; r resumes"))
        }
        Phase::Ended(RolloutEnd::Aborted) => (Status::Error, "aborted".into()),
        Phase::Ended(RolloutEnd::CannotGoOn(reason)) => {
            (Status::Error, format!("cannot go on: {reason}"))
        }
    }
}

/// The What column: as wide as its longest entry, within two thirds of what the fixed
/// columns leave.
fn what_width(view: &RolloutView, width: usize) -> usize {
    let fixed = NUMBER + GATEWAYS + STATE + TIME + 5;
    let longest = view
        .steps
        .iter()
        .map(|row| row.what.chars().count())
        .max()
        .unwrap_or(0);
    longest.min(width.saturating_sub(fixed) * 2 / 3).max(12)
}

fn header_row(what: usize) -> String {
    format!(
        "{:>NUMBER$} {:<what$} {:>GATEWAYS$} {:<STATE$} {:>TIME$} Progress",
        "Step", "What", "Gateways", "State", "Time"
    )
}

/// One step's row; `columns` are the What column's width and the row's.
fn step_line(
    row: &StepRow,
    cursor: bool,
    app: &App,
    (what, width): (usize, usize),
    theme: &Theme,
) -> Line<'static> {
    let gateways = row
        .gateways
        .map_or("platform".to_owned(), |count| count.to_string());
    let time = match (row.started, row.ended) {
        (Some(started), Some(ended)) => duration(ended.duration_since(started)),
        (Some(started), None) if row.state == StepState::Running => {
            duration(app.now.duration_since(started))
        }
        _ => String::new(),
    };
    let status = state_status(row.state);
    let state = format!("{} {}", symbol(status), row.state.word());
    let fixed = format!(
        "{:>NUMBER$} {:<what$} {:>GATEWAYS$} ",
        row.number,
        shorten(&row.what, what),
        gateways
    );
    let used = NUMBER + what + GATEWAYS + STATE + TIME + 4;
    let detail = shorten(&row.detail, width.saturating_sub(used + 1));
    let style = if cursor { theme.cursor } else { Style::new() };
    Line::from(vec![
        Span::styled(fixed, style),
        Span::styled(format!("{state:<STATE$}"), theme.of(status).patch(style)),
        Span::styled(format!(" {time:>TIME$} {detail}"), style),
    ])
}

fn state_status(state: StepState) -> Status {
    match state {
        StepState::Waiting => Status::Muted,
        StepState::Running | StepState::Gate => Status::Pending,
        StepState::Done => Status::Ok,
        StepState::Failed => Status::Error,
    }
}
