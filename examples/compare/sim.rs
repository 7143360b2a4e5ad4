//! The simulated controller the console reads from: `avx-upgrade sim --state SNAPSHOT --http`
//! on a free loopback port, stopped when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use color_eyre::eyre::{Result, WrapErr, bail};

/// The variable the simulator reads its password from, and the console too.
pub const PASSWORD_VARIABLE: &str = "AVX_SIM_PASSWORD";

/// A running simulator and the URL its banner printed.
pub struct Sim {
    child: Child,
    pub url: String,
}

impl Sim {
    /// Starts the simulator on `snapshot` and waits for its banner's URL.
    pub fn start(binary: &Path, snapshot: &Path, password: &str) -> Result<Sim> {
        let mut child = Command::new(binary)
            .args(["sim", "--http", "--listen", "127.0.0.1:0"])
            .arg("--state")
            .arg(snapshot)
            .args(["--password-env", PASSWORD_VARIABLE])
            .env(PASSWORD_VARIABLE, password)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .wrap_err_with(|| format!("starting {} sim", binary.display()))?;
        let url = child.stdout.take().and_then(banner_url);
        match url {
            Some(url) => Ok(Sim { child, url }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the simulator printed no URL (see its errors above)")
            }
        }
    }
}

/// The `http://…` URL on the banner's first line; the rest of stdout is drained in the
/// background so the simulator never blocks on a full pipe.
fn banner_url(stdout: std::process::ChildStdout) -> Option<String> {
    let mut lines = BufReader::new(stdout).lines();
    let url = lines.by_ref().map_while(Result::ok).find_map(|line| {
        line.split_whitespace()
            .find(|word| word.starts_with("http://"))
            .map(str::to_owned)
    });
    std::thread::spawn(move || lines.for_each(drop));
    url
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
