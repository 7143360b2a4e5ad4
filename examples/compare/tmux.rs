//! One program in its own tmux server and pane: launch, keys, screen captures, the pane's pid
//! and its output piped to a file. Every call runs the `tmux` client on a private socket.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr, bail};

/// The pane size the issue measured in.
pub const WIDTH: u16 = 200;
pub const HEIGHT: u16 = 60;

/// A tmux server with one pane running one program; the server is killed on drop.
pub struct Pane {
    socket: PathBuf,
}

/// What to run in a pane.
pub struct Launch<'a> {
    pub program: &'a Path,
    pub args: &'a [String],
    pub env: &'a [(String, String)],
    /// A tmux config file (the status line off, so the pane is the whole 200×60).
    pub config: &'a Path,
}

impl Pane {
    /// Starts a new tmux server running `launch` directly as the pane's command (no shell),
    /// so the pane's pid is the program's.
    /// The server listens on `socket`, a path (in a scratch directory, so nothing is left
    /// behind in /tmp/tmux-UID).
    pub fn launch(socket: &Path, launch: &Launch) -> Result<Pane> {
        let pane = Pane {
            socket: socket.to_owned(),
        };
        let mut command = pane.tmux();
        command.arg("-f").arg(launch.config);
        command.args(["new-session", "-d", "-s", "measure"]);
        command.args(["-x", &WIDTH.to_string(), "-y", &HEIGHT.to_string()]);
        for (name, value) in launch.env {
            command.arg("-e").arg(format!("{name}={value}"));
        }
        command.arg("--").arg(launch.program).args(launch.args);
        run(&mut command).wrap_err("starting the tmux pane")?;
        Ok(pane)
    }

    /// The visible screen, one line per row, without colours.
    pub fn capture(&self) -> Result<String> {
        let output = self
            .tmux()
            .args(["capture-pane", "-p", "-t", "measure"])
            .stderr(Stdio::null())
            .output()
            .wrap_err("running tmux capture-pane")?;
        if !output.status.success() {
            bail!("the pane is gone (the program exited?)");
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Types `text` as it is (no key names).
    pub fn type_text(&self, text: &str) -> Result<()> {
        run(self
            .tmux()
            .args(["send-keys", "-t", "measure", "-l", "--", text]))
    }

    /// Presses one named key, e.g. `Enter`.
    pub fn press(&self, key: &str) -> Result<()> {
        run(self.tmux().args(["send-keys", "-t", "measure", key]))
    }

    /// The pid of the pane's program.
    pub fn pid(&self) -> Result<u32> {
        let output = self
            .tmux()
            .args(["display-message", "-p", "-t", "measure", "#{pane_pid}"])
            .output()
            .wrap_err("asking tmux for the pane's pid")?;
        let text = String::from_utf8_lossy(&output.stdout);
        text.trim()
            .parse()
            .wrap_err_with(|| format!("tmux gave no pid: {text:?}"))
    }

    /// Appends everything the program writes from now on to `file`.
    pub fn pipe_output_to(&self, file: &Path) -> Result<()> {
        let shell_command = format!("cat >> '{}'", file.display());
        run(self
            .tmux()
            .args(["pipe-pane", "-o", "-t", "measure", &shell_command]))
    }

    /// Stops the pipe started by `pipe_output_to`.
    pub fn stop_pipe(&self) -> Result<()> {
        run(self.tmux().args(["pipe-pane", "-t", "measure"]))
    }

    /// Captures the screen until `shown` holds, every few milliseconds, for at most `limit`.
    /// Returns when it held, measured from `since`.
    pub fn wait_for(
        &self,
        since: Instant,
        limit: Duration,
        shown: impl Fn(&str) -> bool,
    ) -> Result<Duration> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            let screen = self.capture()?;
            if shown(&screen) {
                return Ok(since.elapsed());
            }
            std::thread::sleep(POLL_PAUSE);
        }
        bail!("not on screen within {} s", limit.as_secs())
    }

    fn tmux(&self) -> Command {
        let mut command = Command::new("tmux");
        command.arg("-S").arg(&self.socket);
        command
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self
            .tmux()
            .arg("kill-server")
            .stderr(Stdio::null())
            .status();
    }
}

/// The pause between two captures (a capture itself takes a few milliseconds).
const POLL_PAUSE: Duration = Duration::from_millis(5);

/// Writes the tmux config every pane starts with, into `dir`.
pub fn write_config(dir: &Path) -> Result<PathBuf> {
    let path = dir.join("tmux.conf");
    std::fs::write(&path, "set -g status off\nset -g history-limit 100\n")
        .wrap_err("writing the tmux config")?;
    Ok(path)
}

fn run(command: &mut Command) -> Result<()> {
    let output = command.output().wrap_err("running tmux")?;
    if !output.status.success() {
        bail!(
            "tmux failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}
