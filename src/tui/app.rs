//! The loop: terminal events, controller results and signals become messages; `update` runs;
//! effects go to the runner; the screen is drawn only when something changed, at most about
//! 30 times a second, inside a synchronized update. An idle console writes nothing.
//!
//! Terminal events that arrive together (one read: keys typed ahead, a burst) all reach
//! `update` before the next frame is drawn, and every frame is reported back as
//! [`Msg::Drawn`], so a confirmation knows when it was first on screen and ignores the keys
//! typed before.

use std::io;
use std::time::Duration;

use crossterm::event::{Event, EventStream, MouseEventKind};
use crossterm::execute;
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures::StreamExt;
use jiff::Timestamp;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::{Instant, sleep_until};

use crate::ops::{self, Runner};
use crate::signals::Signals;
use crate::tui::message::{Command, Msg};
use crate::tui::state::App;
use crate::tui::terminal::Screen;
use crate::tui::theme::Theme;
use crate::tui::ui;
use crate::tui::update::update;

/// The shortest time between two frames.
const FRAME: Duration = Duration::from_millis(33);

/// Runs the console until the user quits or a signal arrives; returns the final state.
pub async fn run(
    terminal: &mut Screen,
    mut app: App,
    theme: Theme,
    runner: Runner,
    mut events_of_ops: UnboundedReceiver<ops::Event>,
) -> io::Result<App> {
    let mut events = EventStream::new();
    let mut signals = Signals::new()?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    if let Some(job) = app.request_refresh() {
        runner.spawn(job);
    }
    runner.spawn(ops::Job::FindRollout);
    draw(terminal, &mut app, &theme)?;
    let mut last_draw = Instant::now();
    let mut dirty = false;
    while !app.quit {
        let next_frame = last_draw + FRAME;
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => {
                    dirty |= on_terminal(&mut app, &runner, &mut events, event).await?;
                    None
                }
                Some(Err(error)) => return Err(error),
                None => break,
            },
            Some(event) = events_of_ops.recv() => Some(Msg::Ops(event)),
            _ = tick.tick(), if app.busy() => Some(Msg::Tick),
            signal = signals.next() => Some(Msg::Signal(signal)),
            () = sleep_until(next_frame), if dirty => {
                draw(terminal, &mut app, &theme)?;
                last_draw = Instant::now();
                dirty = false;
                continue;
            }
        };
        let mut whole_fleet = false;
        if let Some(msg) = msg {
            whole_fleet |= brings_the_whole_fleet(&msg);
            dirty |= handle(&mut app, &runner, msg);
        }
        while let Ok(event) = events_of_ops.try_recv() {
            let msg = Msg::Ops(event);
            whole_fleet |= brings_the_whole_fleet(&msg);
            dirty |= handle(&mut app, &runner, msg);
        }
        if dirty && (whole_fleet || Instant::now() >= next_frame) && !app.quit {
            draw(terminal, &mut app, &theme)?;
            last_draw = Instant::now();
            dirty = false;
        }
    }
    Ok(app)
}

/// Applies a terminal event and every event already waiting behind it, before any frame is
/// drawn; true when the screen may have changed.
async fn on_terminal(
    app: &mut App,
    runner: &Runner,
    events: &mut EventStream,
    first: Event,
) -> io::Result<bool> {
    let mut dirty = false;
    let mut next = Some(first);
    while let Some(event) = next.take() {
        if let Some(msg) = to_msg(event) {
            dirty |= handle(app, runner, msg);
        }
        // A zero timeout only looks: it never waits, and says false while the stream's own
        // waiting thread holds the reader.
        if app.quit || !crossterm::event::poll(Duration::ZERO)? {
            break;
        }
        next = events.next().await.transpose()?;
    }
    Ok(dirty)
}

/// True for the message that brings every gateway of a refresh: its frame is drawn at once,
/// not after the frame limit (once a refresh: at most one frame more than the limit allows).
fn brings_the_whole_fleet(msg: &Msg) -> bool {
    matches!(
        msg,
        Msg::Ops(ops::Event::Reading(ops::Reading::Statuses { .. }))
    )
}

/// Applies one message; true when the screen may have changed.
fn handle(app: &mut App, runner: &Runner, msg: Msg) -> bool {
    let redraw = !matches!(msg, Msg::Tick) || app.busy();
    let refreshed = matches!(msg, Msg::Ops(ops::Event::Loaded(_)));
    app.now = Timestamp::now();
    for effect in update(app, msg) {
        runner.spawn(effect);
    }
    if refreshed {
        // The previous fleet was just dropped: give its memory back.
        crate::memory::release_freed();
    }
    redraw
}

fn to_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) => Some(Msg::Key(key)),
        Event::Paste(text) => Some(Msg::Paste(text)),
        Event::Resize(_, _) => Some(Msg::Resize),
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::ScrollUp => Some(Msg::Command(Command::Up)),
            MouseEventKind::ScrollDown => Some(Msg::Command(Command::Down)),
            _ => None,
        },
        _ => None,
    }
}

/// One frame, inside a synchronized update so the terminal shows it at once; then `update`
/// learns when it was drawn (which changes nothing on screen).
fn draw(terminal: &mut Screen, app: &mut App, theme: &Theme) -> io::Result<()> {
    execute!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    let drawn = terminal
        .draw(|frame| ui::draw(frame, app, theme))
        .map(|_| ());
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    drawn?;
    update(
        app,
        Msg::Drawn {
            at: Timestamp::now(),
        },
    );
    Ok(())
}
