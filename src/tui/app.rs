//! The loop: terminal events, controller results and signals become messages; `update` runs;
//! effects go to the runner; the screen is drawn only when something changed, at most about
//! 30 times a second, inside a synchronized update. An idle console writes nothing.

use std::io;
use std::time::Duration;

use crossterm::event::{Event, EventStream, MouseEventKind};
use crossterm::execute;
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use futures::StreamExt;
use jiff::Timestamp;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::{Instant, sleep_until};

use crate::ops::Runner;
use crate::tui::action::{Command, Effect, Msg};
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
    mut messages: UnboundedReceiver<Msg>,
) -> io::Result<App> {
    let mut events = EventStream::new();
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    app.refreshing = true;
    runner.spawn(Effect::Refresh);
    draw(terminal, &app, &theme)?;
    let mut last_draw = Instant::now();
    let mut dirty = false;
    while !app.quit {
        let next_frame = last_draw + FRAME;
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => match to_msg(event) {
                    Some(msg) => msg,
                    None => continue,
                },
                Some(Err(error)) => return Err(error),
                None => break,
            },
            Some(msg) = messages.recv() => msg,
            _ = tick.tick(), if app.busy() => Msg::Tick,
            _ = terminate.recv() => Msg::Signal("SIGTERM"),
            _ = hangup.recv() => Msg::Signal("SIGHUP"),
            () = sleep_until(next_frame), if dirty => {
                draw(terminal, &app, &theme)?;
                last_draw = Instant::now();
                dirty = false;
                continue;
            }
        };
        dirty |= handle(&mut app, &runner, msg);
        while let Ok(msg) = messages.try_recv() {
            dirty |= handle(&mut app, &runner, msg);
        }
        if dirty && Instant::now() >= next_frame && !app.quit {
            draw(terminal, &app, &theme)?;
            last_draw = Instant::now();
            dirty = false;
        }
    }
    Ok(app)
}

/// Applies one message; true when the screen may have changed.
fn handle(app: &mut App, runner: &Runner, msg: Msg) -> bool {
    let redraw = !matches!(msg, Msg::Tick) || app.busy();
    let refreshed = matches!(msg, Msg::Loaded(_));
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
        Event::Resize(_, _) => Some(Msg::Resize),
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::ScrollUp => Some(Msg::Command(Command::Up)),
            MouseEventKind::ScrollDown => Some(Msg::Command(Command::Down)),
            _ => None,
        },
        _ => None,
    }
}

/// One frame, inside a synchronized update so the terminal shows it at once.
pub fn draw(terminal: &mut Screen, app: &App, theme: &Theme) -> io::Result<()> {
    execute!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    let drawn = terminal
        .draw(|frame| ui::draw(frame, app, theme))
        .map(|_| ());
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    drawn
}
