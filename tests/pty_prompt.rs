//! The password prompt in a pseudo-terminal (issue 9, item 10): Ctrl-C at `Controller
//! password:` must give the terminal back with echo on and exit 130; Ctrl-\ exits 131. The
//! terminal's flags are read from the pty itself (termios), before and after.
//!
//! Nothing is contacted: the prompt comes before any connection to the (unused) URL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::termios::LocalFlags;
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// Generous: CI is a slow 2-core box.
const TIMEOUT: Duration = Duration::from_secs(30);

struct Prompt {
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    output: Arc<Mutex<Vec<u8>>>,
    _dirs: tempfile::TempDir,
}

impl Prompt {
    /// `avx-upgrade status --controller …` with no password in the environment.
    fn start() -> Prompt {
        let dirs = tempfile::tempdir().expect("a temporary directory");
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols: 80,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_avx-upgrade"));
        command.args(["status", "--controller", "https://127.0.0.1:9"]);
        command.env_remove("AVX_PASSWORD");
        command.env("AVX_UPGRADE_CONFIG_DIR", dirs.path());
        command.env("AVX_UPGRADE_LOG_FILE", dirs.path().join("log"));
        let child = pair.slave.spawn_command(command).expect("starts");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let writer = pair.master.take_writer().expect("writer");
        let output = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&output);
        thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(count @ 1..) = reader.read(&mut buffer) {
                sink.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(&buffer[..count]);
            }
        });
        Prompt {
            child,
            master: pair.master,
            writer,
            output,
            _dirs: dirs,
        }
    }

    fn echo(&self) -> bool {
        let termios = self.master.get_termios().expect("the pty's termios");
        termios.local_flags.contains(LocalFlags::ECHO)
    }

    /// Waits until `condition` holds, failing after [`TIMEOUT`].
    fn wait_for(&mut self, what: &str, condition: impl Fn(&mut Prompt) -> bool) {
        let started = Instant::now();
        while !condition(self) {
            assert!(started.elapsed() < TIMEOUT, "timed out waiting for {what}");
            thread::sleep(Duration::from_millis(10));
        }
    }

    fn shown(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// Presses `keys` once the prompt has turned echo off; returns the exit code once the
    /// process has ended, asserting echo is back on.
    fn press(&mut self, keys: &[u8]) -> u32 {
        self.wait_for("the prompt", |prompt| {
            prompt.shown().contains("Controller password:")
        });
        self.wait_for("echo off at the prompt", |prompt| !prompt.echo());
        self.writer.write_all(keys).expect("keys written");
        self.writer.flush().expect("flushed");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(started.elapsed() < TIMEOUT, "the prompt did not end");
            thread::sleep(Duration::from_millis(10));
        };
        assert!(self.echo(), "echo is still off after the prompt ended");
        status.exit_code()
    }
}

#[test]
fn ctrl_c_at_the_password_prompt_restores_echo_and_exits_130() {
    assert_eq!(Prompt::start().press(b"pass\x03"), 130);
}

#[test]
fn ctrl_backslash_at_the_password_prompt_restores_echo_and_exits_131() {
    assert_eq!(Prompt::start().press(b"\x1c"), 131);
}

#[test]
fn enter_gives_the_password_and_the_run_goes_on() {
    // The run goes on to the (closed) loopback port and fails there: exit 2, echo back on.
    let mut prompt = Prompt::start();
    let code = prompt.press(b"secret-typed\r");
    assert_eq!(code, 2);
    assert!(
        !prompt.shown().contains("secret-typed"),
        "the password was echoed"
    );
}
