//! The terminal's modes and their restoration on every way out: a guard whose `Drop` restores
//! them (quit, error, `?`), and a panic hook that restores them before the report prints and
//! then ends the process, so a panic in any task never leaves a raw, alternate screen behind.
//! Signals (SIGHUP, SIGINT, SIGQUIT, SIGTERM) end the loop, which drops the guard.
//!
//! The modes: raw input, the alternate screen, a hidden cursor, bracketed paste (so pasted
//! text arrives as one paste, never as keys) and, when asked, mouse capture.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Whether the console currently owns the terminal (so restoring twice is harmless).
static ACTIVE: AtomicBool = AtomicBool::new(false);
static MOUSE: AtomicBool = AtomicBool::new(false);

pub type Screen = Terminal<CrosstermBackend<Stdout>>;

/// Restores the terminal when dropped.
pub struct Guard {
    _private: (),
}

impl Guard {
    /// Raw mode, the alternate screen, bracketed paste, and mouse capture when `mouse`.
    pub fn enter(mouse: bool) -> io::Result<(Screen, Guard)> {
        install_panic_hook();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        MOUSE.store(mouse, Ordering::SeqCst);
        let guard = Guard { _private: () };
        let mut stdout = io::stdout();
        execute!(
            stdout,
            EnterAlternateScreen,
            EnableBracketedPaste,
            cursor::Hide
        )?;
        if mouse {
            execute!(stdout, EnableMouseCapture)?;
        }
        let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        Ok((terminal, guard))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Undoes every mode the console set, once; errors are ignored (the terminal may be gone,
/// e.g. after SIGHUP).
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut stdout = io::stdout();
    if MOUSE.load(Ordering::SeqCst) {
        let _ = execute!(stdout, DisableMouseCapture);
    }
    let _ = disable_raw_mode();
    let _ = execute!(
        stdout,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = stdout.flush();
}

/// Restores the terminal before the previous hook (color-eyre's) prints the report, logs the
/// panic, and exits: a panic in a background task must not leave the loop drawing.
fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let owned = ACTIVE.load(Ordering::SeqCst);
        restore();
        tracing::error!(panic = %info, "panic");
        previous(info);
        if owned {
            std::process::exit(101);
        }
    }));
}
