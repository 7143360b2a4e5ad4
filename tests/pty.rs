//! End-to-end tests of the real console binary in a pseudo-terminal: `avx-upgrade demo` runs
//! in a 100×30 pty, every byte it writes goes through a `vt100` parser, and the tests press
//! keys, read the parsed screen, send signals, and count the bytes written.
//!
//! What they pin down: the console starts, navigates, filters, shows its help and quits with
//! status 0; it leaves the alternate screen, turns bracketed paste off and shows the cursor
//! again on every way out (`q`, SIGTERM, SIGHUP, SIGINT, SIGQUIT, a panic), with the shell's
//! exit status for a signal; a paste or keys typed ahead never confirm an operation; an idle
//! console writes nothing; and a running upgrade of about a hundred gateways does not flood
//! the terminal.
//!
//! Raw mode cannot be read back from the output bytes (it is a termios setting of the pty, not
//! an escape sequence), so leaving the alternate screen and showing the cursor again, which the
//! same restore path writes right after disabling raw mode, stand in for it.
//!
//! The child only ever talks to its own in-process simulated controller on 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};
use tempfile::TempDir;

const ROWS: u16 = 30;
const COLS: u16 = 100;
/// Generous: CI is a slow 2-core box running debug binaries side by side.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Simulated seconds per real second for the upgrade measurement.
const UPGRADE_SPEED: u32 = 30;

const ENTER_ALT_SCREEN: &[u8] = b"\x1b[?1049h";
const LEAVE_ALT_SCREEN: &[u8] = b"\x1b[?1049l";
const HIDE_CURSOR: &[u8] = b"\x1b[?25l";
const SHOW_CURSOR: &[u8] = b"\x1b[?25h";
const ENABLE_PASTE: &[u8] = b"\x1b[?2004h";
const DISABLE_PASTE: &[u8] = b"\x1b[?2004l";

/// What the console logs in the progress pane the moment it sends an operation.
const SENT: &str = "sent to the controller";

/// Everything the child wrote, as parsed screen, raw bytes and timed chunks.
struct Output {
    parser: vt100::Parser,
    raw: Vec<u8>,
    /// When each chunk arrived and how long it was.
    chunks: Vec<(Instant, usize)>,
}

/// The console running in a pty, and the thread reading what it writes.
struct Console {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    /// Kept open until the end: dropping it hangs the terminal up.
    _master: Box<dyn MasterPty + Send>,
    output: Arc<Mutex<Output>>,
    /// Set by the reader when the pty reports end of file or an error.
    closed: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
    /// The log file, config and working directories; removed on drop.
    dirs: TempDir,
}

impl Console {
    /// `avx-upgrade demo --gateways N --speed X` in a fresh 100×30 pty.
    fn demo(gateways: usize, speed: u32) -> Console {
        let args = [
            "demo".to_owned(),
            "--gateways".to_owned(),
            gateways.to_string(),
            "--speed".to_owned(),
            speed.to_string(),
        ];
        Console::run(Path::new(env!("CARGO_BIN_EXE_avx-upgrade")), &args)
    }

    /// `program args` in a fresh 100×30 pty, with its own config, state and log directories.
    fn run(program: &Path, args: &[String]) -> Console {
        let dirs = tempfile::tempdir().expect("a temporary directory");
        let config = dirs.path().join("config");
        let xdg_config = dirs.path().join("xdg-config");
        let work = dirs.path().join("work");
        for dir in [&config, &xdg_config, &work] {
            std::fs::create_dir(dir).expect("an empty directory");
        }

        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut command = CommandBuilder::new(program);
        command.args(args);
        command.cwd(&work);
        command.env("TERM", "xterm-256color");
        command.env("AVX_UPGRADE_LOG_FILE", dirs.path().join("avx-upgrade.log"));
        command.env("AVX_UPGRADE_CONFIG_DIR", &config);
        command.env("XDG_CONFIG_HOME", &xdg_config);
        command.env("XDG_STATE_HOME", dirs.path().join("state"));
        command.env_remove("NO_COLOR");
        let child = pair
            .slave
            .spawn_command(command)
            .expect("the console starts in the pty");
        // Only the child holds the terminal side now, so the reader sees the end when it exits.
        drop(pair.slave);

        let mut reader = pair.master.try_clone_reader().expect("a reader on the pty");
        let writer = pair.master.take_writer().expect("a writer on the pty");
        let output = Arc::new(Mutex::new(Output {
            parser: vt100::Parser::new(
                ROWS.try_into().expect("rows > 0"),
                COLS.try_into().expect("cols > 0"),
                0,
            ),
            raw: Vec::new(),
            chunks: Vec::new(),
        }));
        let closed = Arc::new(AtomicBool::new(false));
        let thread = {
            let output = Arc::clone(&output);
            let closed = Arc::clone(&closed);
            thread::spawn(move || {
                let mut buffer = [0u8; 16 * 1024];
                loop {
                    match reader.read(&mut buffer) {
                        // EOF, or EIO once the child has gone: both end the output.
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            let mut output = output.lock().unwrap_or_else(|e| e.into_inner());
                            output.parser.process(&buffer[..n]);
                            output.raw.extend_from_slice(&buffer[..n]);
                            output.chunks.push((Instant::now(), n));
                        }
                    }
                }
                closed.store(true, Ordering::SeqCst);
            })
        };
        Console {
            child,
            writer,
            _master: pair.master,
            output,
            closed,
            reader: Some(thread),
            dirs,
        }
    }

    fn output(&self) -> MutexGuard<'_, Output> {
        self.output.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the console logged so far (for failure messages).
    fn log(&self) -> String {
        std::fs::read_to_string(self.dirs.path().join("avx-upgrade.log"))
            .unwrap_or_else(|error| format!("(no log: {error})"))
    }

    /// The parsed screen, as text.
    fn screen(&self) -> String {
        self.output().parser.screen().contents()
    }

    /// Every byte written so far.
    fn total_bytes(&self) -> usize {
        self.output().raw.len()
    }

    /// Bytes that arrived in `[from, to)`, by the reader's timestamps.
    fn bytes_between(&self, from: Instant, to: Instant) -> usize {
        self.output()
            .chunks
            .iter()
            .filter(|(at, _)| *at >= from && *at < to)
            .map(|(_, n)| n)
            .sum()
    }

    /// Waits until the screen shows `text`; panics with the screen on timeout.
    fn wait_for(&self, text: &str, timeout: Duration) -> String {
        self.wait_until(&format!("{text:?} on screen"), timeout, |screen| {
            screen.contains(text)
        })
    }

    /// Checks that `ok` holds on every look at the screen for `window`: only after a positive
    /// wait proved that what it is about is on screen.
    fn holds_for(&self, what: &str, window: Duration, ok: impl Fn(&str) -> bool) {
        let start = Instant::now();
        while start.elapsed() < window {
            let screen = self.screen();
            assert!(
                ok(&screen),
                "{what} stopped holding after {:?}; the screen:\n{}",
                start.elapsed(),
                frame(&screen)
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the first cell of `text` on screen is in reverse video (the focus).
    fn focused(&self, text: &str) -> bool {
        let output = self.output();
        let screen = output.parser.screen();
        let wanted: Vec<char> = text.chars().collect();
        (0..ROWS).any(|row| {
            let cells: Vec<char> = (0..COLS)
                .map(|col| {
                    screen
                        .cell(row, col)
                        .and_then(|cell| cell.contents().chars().next())
                        .unwrap_or(' ')
                })
                .collect();
            cells
                .windows(wanted.len())
                .enumerate()
                .any(|(col, window)| {
                    window == wanted.as_slice()
                        && screen
                            .cell(row, col as u16)
                            .is_some_and(vt100::Cell::inverse)
                })
        })
    }

    /// Presses Tab in the open dialog until the focus is on `[ Confirm ]`: proof that the
    /// dialog takes keys (its guard against keys typed ahead is over).
    fn focus_confirm(&mut self) {
        let start = Instant::now();
        while !self.focused("[ Confirm ]") {
            assert!(
                start.elapsed() < TIMEOUT,
                "Tab never moved the focus to Confirm; the screen:\n{}",
                frame(&self.screen())
            );
            self.send("\t");
            let pressed = Instant::now();
            while !self.focused("[ Confirm ]") && pressed.elapsed() < Duration::from_secs(2) {
                thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Types a probe digit into the open dialog's count field until it shows (the dialog takes
    /// keys: its guard against keys typed ahead is over), then erases the field.
    fn count_field_ready(&mut self) {
        let start = Instant::now();
        while !self.screen().contains("[9") {
            assert!(
                start.elapsed() < TIMEOUT,
                "the count field never took a digit; the screen:\n{}",
                frame(&self.screen())
            );
            self.send("9");
            let typed = Instant::now();
            while !self.screen().contains("[9") && typed.elapsed() < Duration::from_secs(2) {
                thread::sleep(Duration::from_millis(20));
            }
        }
        // Backspace (DEL in raw mode), more than enough for every probe that got in.
        self.send(&"\x7f".repeat(8));
        self.wait_for("[      ]", TIMEOUT);
    }

    /// Confirms the open dialog as a person would once it is on screen: the count typed when
    /// `dialog` asks for it, `y` otherwise.
    fn confirm(&mut self, dialog: &str) {
        match typed_count(dialog) {
            Some(count) => {
                self.count_field_ready();
                self.send(&format!("{count}\r"));
            }
            None => {
                self.focus_confirm();
                self.send("y");
            }
        }
    }

    /// Waits until the screen no longer shows `text`.
    fn wait_gone(&self, text: &str, timeout: Duration) -> String {
        self.wait_until(
            &format!("{text:?} gone from the screen"),
            timeout,
            |screen| !screen.contains(text),
        )
    }

    fn wait_until(&self, what: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!(
                    "timed out after {timeout:?} waiting for {what}; the screen:\n{}\n(output closed: {}) the log:\n{}",
                    frame(&screen),
                    self.closed.load(Ordering::SeqCst),
                    self.log()
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types `keys` as the terminal would send them.
    fn send(&mut self, keys: &str) {
        self.writer
            .write_all(keys.as_bytes())
            .expect("the pty takes input");
        self.writer.flush().expect("the pty takes input");
    }

    /// Esc on its own: a lone ESC byte must not be followed by another key in the same read,
    /// or the terminal library reads the pair as Alt+key, so pause after it.
    fn escape(&mut self) {
        self.send("\x1b");
        thread::sleep(Duration::from_millis(150));
    }

    fn pid(&self) -> u32 {
        self.child.process_id().expect("the child has a process id")
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} failed: {status}");
    }

    /// `q` while an operation runs: the console asks first; `y` (typed until the question
    /// takes it, once its guard against keys typed ahead is over) quits.
    fn quit_while_running(&mut self) -> ExitStatus {
        self.send("q");
        self.wait_for("Quit the console?", TIMEOUT);
        let start = Instant::now();
        while self.child.try_wait().expect("try_wait").is_none() {
            assert!(
                start.elapsed() < TIMEOUT,
                "y never answered the question; the screen:\n{}",
                frame(&self.screen())
            );
            self.send("y");
            let typed = Instant::now();
            while self.child.try_wait().expect("try_wait").is_none()
                && typed.elapsed() < Duration::from_secs(1)
            {
                thread::sleep(Duration::from_millis(20));
            }
        }
        self.wait_exit(TIMEOUT)
    }

    /// Waits for the child to exit, then for the reader to drain what it wrote last.
    fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if start.elapsed() > timeout {
                let _ = self.child.kill();
                panic!(
                    "the console did not exit within {timeout:?}; the screen:\n{}\nthe log:\n{}",
                    frame(&self.screen()),
                    self.log()
                );
            }
            thread::sleep(Duration::from_millis(50));
        };
        let drained = Instant::now();
        while !self.closed.load(Ordering::SeqCst) && drained.elapsed() < Duration::from_secs(10) {
            thread::sleep(Duration::from_millis(20));
        }
        status
    }

    /// The raw output must leave the alternate screen after entering it last, and show the
    /// cursor after hiding it last; the parsed screen must be the main one.
    fn assert_terminal_restored(&self) {
        let output = self.output();
        let raw = &output.raw;
        let entered =
            rfind(raw, ENTER_ALT_SCREEN).expect("the console entered the alternate screen");
        let left = rfind(raw, LEAVE_ALT_SCREEN);
        assert!(
            left.is_some_and(|left| left > entered),
            "the alternate screen was not left after it was entered (last enter at byte {entered}, last leave at {left:?}, {} bytes in all); the tail:\n{:?}",
            raw.len(),
            tail(raw)
        );
        let hidden = rfind(raw, HIDE_CURSOR).expect("the console hid the cursor");
        let shown = rfind(raw, SHOW_CURSOR);
        assert!(
            shown.is_some_and(|shown| shown > hidden),
            "the cursor was not shown again after it was hidden (last hide at byte {hidden}, last show at {shown:?}); the tail:\n{:?}",
            tail(raw)
        );
        assert!(
            !output.parser.screen().alternate_screen(),
            "the terminal is still on the alternate screen"
        );
        let pasting = rfind(raw, ENABLE_PASTE).expect("the console turned bracketed paste on");
        let stopped = rfind(raw, DISABLE_PASTE);
        assert!(
            stopped.is_some_and(|stopped| stopped > pasting),
            "bracketed paste was not turned off after it was turned on (last on at byte {pasting}, last off at {stopped:?}); the tail:\n{:?}",
            tail(raw)
        );
        assert!(
            !output.parser.screen().bracketed_paste(),
            "the terminal is still in bracketed paste mode"
        );
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        // A failed test must not leave a console running behind it.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if let Some(reader) = self.reader.take()
            && self.closed.load(Ordering::SeqCst)
        {
            let _ = reader.join();
        }
    }
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .rposition(|window| window == needle)
}

fn tail(raw: &[u8]) -> String {
    String::from_utf8_lossy(&raw[raw.len().saturating_sub(400)..]).into_owned()
}

/// The screen with a frame, so trailing blanks and empty rows show in a panic message.
fn frame(screen: &str) -> String {
    screen.lines().map(|line| format!("|{line}\n")).collect()
}

/// `Type N, the number of gateways that will change` in the confirmation dialog.
fn typed_count(screen: &str) -> Option<usize> {
    let at = screen.find(", the number of gateways that will change")?;
    let before = &screen[..at];
    let digits = before.rsplit(|c: char| !c.is_ascii_digit()).next()?;
    before[..before.len() - digits.len()]
        .ends_with("Type ")
        .then(|| digits.parse().ok())?
}

fn bytes_per_second(bytes: usize, window: Duration) -> f64 {
    bytes as f64 / window.as_secs_f64()
}

/// Starts the demo and waits until the first refresh has finished.
fn started(gateways: usize, speed: u32) -> Console {
    let console = Console::demo(gateways, speed);
    console.wait_for("Platform Upgrade", TIMEOUT);
    console.wait_for("✓ OK", TIMEOUT);
    console
}

#[test]
fn demo_starts_navigates_and_quits_restoring_the_terminal() {
    let mut console = started(60, 120);
    assert!(console.output().parser.screen().alternate_screen());

    console.send("2");
    // The header's tabs name both windows all the time: the table's title is what tells.
    console.wait_for("Selective Gateway Upgrade 60/60 shown", TIMEOUT);

    console.send("/");
    console.send("cloud:aws");
    console.send("\r");
    console.wait_for("filter: cloud:aws", TIMEOUT);

    console.send("?");
    console.wait_for("show this help", TIMEOUT);
    console.escape();
    console.wait_gone("show this help", TIMEOUT);

    console.send("q");
    let status = console.wait_exit(TIMEOUT);
    assert!(status.success(), "q exits with status 0, not {status}");
    console.assert_terminal_restored();
}

#[test]
fn an_idle_console_writes_nothing() {
    let mut console = started(60, 120);
    thread::sleep(Duration::from_millis(1500));

    let window = Duration::from_secs(3);
    let before = console.total_bytes();
    let from = Instant::now();
    thread::sleep(window);
    let to = Instant::now();
    let written = console.total_bytes() - before;
    eprintln!(
        "idle console: {written} bytes in {window:?} = {:.1} bytes/s (by timestamps: {} bytes)",
        bytes_per_second(written, window),
        console.bytes_between(from, to)
    );
    assert_eq!(
        written,
        0,
        "an idle console wrote {written} bytes in {window:?}; the screen:\n{}",
        frame(&console.screen())
    );

    console.send("q");
    let status = console.wait_exit(TIMEOUT);
    assert!(status.success(), "q exits with status 0, not {status}");
}

#[test]
fn sigterm_restores_the_terminal() {
    let mut console = started(60, 120);
    console.signal("TERM");
    let status = console.wait_exit(TIMEOUT);
    assert_eq!(status.exit_code(), 143, "128 + SIGTERM, not {status}");
    console.assert_terminal_restored();
}

#[test]
fn sighup_restores_the_terminal() {
    let mut console = started(60, 120);
    let before = console.total_bytes();
    console.signal("HUP");
    let status = console.wait_exit(TIMEOUT);
    let after = console.total_bytes() - before;
    eprintln!("after SIGHUP the console exited with {status} and wrote {after} more bytes");
    assert_eq!(status.exit_code(), 129, "128 + SIGHUP, not {status}");
    // The pty is still open here (only the signal says it hung up), so whatever the console
    // wrote on its way out was read; if it wrote anything, it must have restored the terminal.
    if after > 0 {
        console.assert_terminal_restored();
    }
}

#[test]
fn sigint_restores_the_terminal() {
    let mut console = started(60, 120);
    console.signal("INT");
    let status = console.wait_exit(TIMEOUT);
    assert_eq!(status.exit_code(), 130, "128 + SIGINT, not {status}");
    console.assert_terminal_restored();
}

#[test]
fn sigquit_restores_the_terminal() {
    let mut console = started(60, 120);
    console.signal("QUIT");
    let status = console.wait_exit(TIMEOUT);
    assert_eq!(status.exit_code(), 131, "128 + SIGQUIT, not {status}");
    console.assert_terminal_restored();
}

/// The demo in the Selective Gateway Upgrade window.
fn gateway_window() -> Console {
    let mut console = started(60, 120);
    console.send("2");
    console.wait_for("Selective Gateway Upgrade 60/60 shown", TIMEOUT);
    console
}

/// The open Software Upgrade dialog has sent nothing for a while and is still open; then a `y`
/// typed now (the dialog long on screen) does send: the check above could have failed.
fn nothing_sent_until_y_is_typed(console: &mut Console) {
    console.holds_for(
        "the dialog open with nothing sent",
        Duration::from_secs(2),
        |screen| screen.contains("Confirm Software Upgrade") && !screen.contains(SENT),
    );
    console.send("y");
    console.wait_for(SENT, TIMEOUT);
    let status = console.quit_while_running();
    assert!(
        status.success(),
        "q then y exits with status 0, not {status}"
    );
    console.assert_terminal_restored();
}

#[test]
fn keys_typed_ahead_of_the_confirmation_never_confirm_it() {
    let mut console = gateway_window();
    // U and y in one write: the y arrives before the dialog is on screen.
    console.send("Uy");
    let screen = console.wait_for("ignored a key pressed before this dialog", TIMEOUT);
    assert!(
        screen.contains("Confirm Software Upgrade"),
        "{}",
        frame(&screen)
    );
    assert!(
        screen.contains("[ Confirm ]"),
        "y alone would confirm this one"
    );
    nothing_sent_until_y_is_typed(&mut console);
}

#[test]
fn a_paste_never_confirms_an_operation() {
    let mut console = gateway_window();
    assert!(
        console.output().parser.screen().bracketed_paste(),
        "the console asks the terminal to mark pastes"
    );
    console.send("U");
    console.wait_for("Confirm Software Upgrade", TIMEOUT);
    console.focus_confirm();
    // With the focus on Confirm, a pasted y or Enter would confirm if read as keys.
    console.send("\x1b[200~y\x1b[201~");
    console.wait_for("pasted text is ignored here", TIMEOUT);
    console.send("\x1b[200~\r\x1b[201~");
    nothing_sent_until_y_is_typed(&mut console);
}

#[test]
fn bytes_per_second_while_gateways_upgrade() {
    // At the demo's --speed 120 the simulated 5-minute gateway upgrade takes 2.5 s, shorter
    // than the 5-second window; --speed 30 stretches it to about 10 s so that the window falls
    // inside the upgrade. (Gateways already on the controller's version complete at once.)
    let mut console = started(120, UPGRADE_SPEED);
    console.send("2");
    console.wait_for("shown", TIMEOUT);
    // The one gateway that is down would block the upgrade (gateway-unhealthy).
    console.send("/");
    console.send("state:up");
    console.send("\r");
    console.wait_for("filter: state:up", TIMEOUT);
    console.send("a");
    console.wait_for("marked", TIMEOUT);
    console.send("U");
    let dialog = console.wait_until("the confirmation dialog", TIMEOUT, |screen| {
        screen.contains("BLOCKED") || screen.contains("Confirm ")
    });
    if dialog.contains("BLOCKED") {
        // Nothing to measure: say so, and leave cleanly.
        eprintln!(
            "the planner blocked the upgrade; nothing measured:\n{}",
            frame(&dialog)
        );
        console.escape();
        console.send("q");
        let status = console.wait_exit(TIMEOUT);
        assert!(status.success(), "q exits with status 0, not {status}");
        return;
    }
    console.confirm(&dialog);
    let confirmed = Instant::now();
    let bytes_at_confirm = console.total_bytes();
    console.wait_for("… running", TIMEOUT);

    let window = Duration::from_secs(5);
    let before = console.total_bytes();
    thread::sleep(window);
    let written = console.total_bytes() - before;
    let screen = console.screen();
    let still_running = screen.contains("… running");
    let rate = bytes_per_second(written, window);
    eprintln!(
        "during the upgrade: {written} bytes in {window:?} = {rate:.0} bytes/s (still running at the end of the window: {still_running})"
    );

    let done = console.wait_for("✓ done", TIMEOUT);
    let elapsed = confirmed.elapsed();
    let whole = console.total_bytes() - bytes_at_confirm;
    eprintln!(
        "the whole upgrade: {whole} bytes in {elapsed:.1?} = {:.0} bytes/s; at the end:\n{}",
        bytes_per_second(whole, elapsed),
        frame(&done)
    );
    assert!(rate < 200_000.0, "{rate:.0} bytes/s while gateways upgrade");

    console.send("q");
    let status = console.wait_exit(TIMEOUT);
    assert!(status.success(), "q exits with status 0, not {status}");
    console.assert_terminal_restored();
}

/// An example program built next to the test binaries (`cargo test` builds the examples).
fn example(name: &str) -> PathBuf {
    let test_binary = std::env::current_exe().expect("the test binary's path");
    let profile_dir = test_binary
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    profile_dir.join("examples").join(name)
}

#[test]
fn a_panic_in_a_background_task_restores_the_terminal_and_exits() {
    let probe = example("panic_probe");
    // `cargo test` builds the examples; `cargo test --test pty` alone does not, and would run
    // a probe built from an older terminal guard. Up to date, this build does nothing.
    let built = Command::new(env!("CARGO"))
        .args(["build", "--example", "panic_probe"])
        .status()
        .expect("cargo runs");
    assert!(
        built.success(),
        "cargo build --example panic_probe: {built}"
    );
    assert!(probe.exists(), "{} was built", probe.display());
    let mut console = Console::run(&probe, &[]);
    let status = console.wait_exit(TIMEOUT);
    assert_eq!(
        status.exit_code(),
        101,
        "a panic ends the process, not {status}"
    );
    console.assert_terminal_restored();
    let output = console.output();
    let left = rfind(&output.raw, LEAVE_ALT_SCREEN).expect("the alternate screen was left");
    let report = String::from_utf8_lossy(&output.raw[left..]);
    assert!(
        report.contains("probe: a panic in a background task"),
        "the report prints after the terminal is restored: {}",
        tail(&output.raw)
    );
}
