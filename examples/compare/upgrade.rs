//! The bytes the console writes while gateways upgrade (issue 16: under 4 KiB/s over 60 s,
//! for 100 gateways): `avx-upgrade demo` in a 200×60 pane, every healthy gateway marked and
//! upgraded, and the pane's output counted over the window while the upgrade runs.

use std::path::Path;
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr, bail};

use crate::tmux::{Launch, Pane};

/// A simulated gateway upgrade takes 5 minutes; at this speed, 75 s, longer than the window.
const SPEED: u32 = 4;

/// How long a step of the flow may take to show.
const STEP: Duration = Duration::from_secs(60);

/// What the window saw.
pub struct Written {
    pub gateways: usize,
    pub bytes: u64,
    pub window: Duration,
    /// The upgrade was still running when the window closed.
    pub running_at_end: bool,
}

impl Written {
    pub fn per_second(&self) -> f64 {
        self.bytes as f64 / self.window.as_secs_f64()
    }
}

/// Upgrades `gateways` in the demo and counts what the console writes for `window`.
pub fn measure(
    binary: &Path,
    gateways: usize,
    window: Duration,
    tmux_config: &Path,
    scratch: &Path,
) -> Result<Written> {
    let dir = scratch.join("upgrade");
    std::fs::create_dir_all(&dir)?;
    let env = [
        ("AVX_UPGRADE_STATE_DIR", dir.join("state")),
        ("AVX_UPGRADE_CONFIG_DIR", dir.join("config")),
    ]
    .map(|(name, path)| (name.to_owned(), path.display().to_string()));
    let args = ["demo", "--gateways", &gateways.to_string()]
        .into_iter()
        .chain(["--speed", &SPEED.to_string()])
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let launch = Launch {
        program: binary,
        args: &args,
        env: &env,
        config: tmux_config,
    };
    let pane = Pane::launch(&dir.join("tmux.sock"), &launch)?;
    start_the_upgrade(&pane)?;
    let output = dir.join("output");
    pane.pipe_output_to(&output)?;
    // A rate over a fixed window: the time passing is what is measured.
    std::thread::sleep(window);
    pane.stop_pipe()?;
    let bytes = std::fs::metadata(&output).map_or(0, |meta| meta.len());
    let running_at_end = pane.capture()?.contains("… running");
    Ok(Written {
        gateways,
        bytes,
        window,
        running_at_end,
    })
}

/// The flow an operator follows: the gateway window, the healthy ones shown and marked, `U`,
/// and the confirmation with the count typed.
fn start_the_upgrade(pane: &Pane) -> Result<()> {
    wait(pane, "the first refresh", |screen| screen.contains("✓ OK"))?;
    pane.type_text("2")?;
    wait(pane, "the gateway window", |screen| {
        screen.contains("shown")
    })?;
    pane.type_text("/")?;
    pane.type_text("state:up")?;
    pane.press("Enter")?;
    wait(pane, "the filter", |screen| {
        screen.contains("filter: state:up")
    })?;
    pane.type_text("a")?;
    wait(pane, "the marks", |screen| screen.contains("marked"))?;
    pane.type_text("U")?;
    let dialog = wait(pane, "the confirmation", |screen| {
        screen.contains("BLOCKED") || typed_count(screen).is_some()
    })?;
    let Some(count) = typed_count(&dialog) else {
        bail!("the planner blocked the upgrade:\n{dialog}");
    };
    count_field_ready(pane)?;
    pane.type_text(&count.to_string())?;
    pane.press("Enter")?;
    wait(pane, "the running upgrade", |screen| {
        screen.contains("… running")
    })?;
    Ok(())
}

/// Types a probe digit until the count field shows it (the dialog ignores keys typed ahead
/// for a moment), then erases it.
fn count_field_ready(pane: &Pane) -> Result<()> {
    let start = Instant::now();
    loop {
        pane.type_text("9")?;
        let typed = pane.wait_for(Instant::now(), Duration::from_secs(2), |screen| {
            screen.contains("[9")
        });
        if typed.is_ok() {
            break;
        }
        if start.elapsed() > STEP {
            bail!("the count field never took a digit");
        }
    }
    for _ in 0..8 {
        pane.press("BSpace")?;
    }
    wait(pane, "the empty count field", |screen| {
        !screen.contains("[9")
    })?;
    Ok(())
}

/// Waits for `what` to show and returns the screen that showed it.
fn wait(pane: &Pane, what: &str, shown: impl Fn(&str) -> bool) -> Result<String> {
    pane.wait_for(Instant::now(), STEP, &shown)
        .wrap_err_with(|| format!("waiting for {what}"))?;
    pane.capture()
}

/// `Type N, the number of gateways that will change` in the confirmation dialog.
fn typed_count(screen: &str) -> Option<usize> {
    let flat = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    let at = flat.find(", the number of gateways that will change")?;
    let before = &flat[..at];
    let digits = before.rsplit(|c: char| !c.is_ascii_digit()).next()?;
    before[..before.len() - digits.len()]
        .ends_with("Type ")
        .then(|| digits.parse().ok())?
}
