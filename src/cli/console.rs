//! Opening the console: `avx-upgrade demo` (on the simulated controller, started in-process on
//! an ephemeral loopback port) and `avx-upgrade [--profile P | --controller URL …]` (on a real
//! controller).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::api::poll::PollSettings;
use crate::api::{Client, ClientSettings, TrustMode};
use crate::cli::connect::{ConnectArgs, connect};
use crate::cli::sim::random_password;
use crate::cli::{InputError, Outcome, load_catalog};
use crate::config::{Config, ConsoleSettings};
use crate::secret::{Credentials, Secret};
use crate::sim::clock::Clock;
use crate::sim::faults::Faults;
use crate::sim::fleet::{FleetSpec, generate};
use crate::sim::{self, DEFAULT_BODY_LIMIT, DEFAULT_SESSION_TTL, SimConfig};
use crate::tui::columns::{ColumnChoice, parse_choice};
use crate::tui::keymap::Keymap;
use crate::tui::ui::{MIN_HEIGHT, MIN_WIDTH};
use crate::tui::{self, Ending, Options};

/// How the console looks and behaves, for both `demo` and a real controller.
#[derive(Debug, Clone, Args)]
pub struct ConsoleArgs {
    /// Hide and refuse every mutating action (upgrades, rollbacks, image upgrades).
    #[arg(long)]
    readonly: bool,
    /// A keymap file overriding the default keys [default: keymap.toml in the config directory].
    #[arg(long, value_name = "FILE")]
    keymap: Option<PathBuf>,
    /// Capture the mouse for wheel scrolling (also `mouse = true` under [console] in the config).
    #[arg(long)]
    mouse: bool,
}

/// `avx-upgrade demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many gateways the simulated fleet has, HA secondaries included.
    #[arg(long, default_value_t = 200, value_name = "N")]
    gateways: usize,
    /// Seed of the generated fleet.
    #[arg(long, default_value_t = 1, value_name = "S")]
    seed: u64,
    /// Simulated seconds per real second: the default 60 runs a 5-minute gateway upgrade in 5 s.
    #[arg(long, default_value_t = 60.0, value_name = "X")]
    speed: f64,
    /// Faults to inject, comma-separated (see `avx-upgrade sim --help`).
    #[arg(long, default_value = "", value_name = "LIST")]
    faults: Faults,
    #[command(flatten)]
    console: ConsoleArgs,
}

/// `avx-upgrade` with no command: the console on a real controller.
#[derive(Debug, Clone, Args)]
pub struct OpenArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    #[command(flatten)]
    console: ConsoleArgs,
}

fn runtime() -> Result<tokio::runtime::Runtime, InputError> {
    tokio::runtime::Runtime::new()
        .map_err(|error| InputError(format!("cannot start the async runtime: {error}")))
}

/// The console on the controller given by `args`.
pub fn run_open(args: &OpenArgs) -> Result<(Outcome, String), InputError> {
    if args.connect.profile.is_none() && args.connect.controller.is_none() {
        return Err(InputError(
            "which controller? give --profile NAME or --controller URL, or try `avx-upgrade demo` (see --help)".into(),
        ));
    }
    let state_dir = crate::paths::state_dir();
    let options = options(&args.console, PollSettings::default(), state_dir, false)?;
    crate::api::trust::check_scheme(&crate::cli::connect::resolve(&args.connect)?.url)?;
    require_terminal()?;
    let runtime = runtime()?;
    let ending = runtime.block_on(async {
        let client = connect(&args.connect).await?;
        tui::open(client, options)
            .await
            .map_err(|error| InputError(format!("the terminal failed: {error}")))
    })?;
    Ok((outcome(&ending), farewell(&ending, false)))
}

/// The console on a simulated controller started in this process.
pub fn run_demo(args: &DemoArgs) -> Result<(Outcome, String), InputError> {
    if !(args.speed.is_finite() && args.speed > 0.0) {
        return Err(InputError(format!(
            "--speed {}: give a positive number of simulated seconds per second, e.g. 60",
            args.speed
        )));
    }
    if args.gateways == 0 {
        return Err(InputError(
            "--gateways 0: the demo needs at least one gateway".into(),
        ));
    }
    // The demo's controller lives as long as the console: its journals are kept apart.
    let state_dir = crate::paths::state_dir().map(|dir| dir.join("demo"));
    let options = options(&args.console, demo_polling(args.speed), state_dir, true)?;
    require_terminal()?;
    let config = demo_config(args)?;
    let runtime = runtime()?;
    let ending = runtime.block_on(async {
        let credentials = config.credentials.clone();
        let running = sim::start(config).await?;
        let trust = running
            .fingerprint
            .clone()
            .map_or(TrustMode::Insecure, TrustMode::Pinned);
        let client = Client::new(ClientSettings::new(running.url.clone(), credentials, trust))?;
        client.login().await?;
        let ending = tui::open(Arc::new(client), options)
            .await
            .map_err(|error| InputError(format!("the terminal failed: {error}")));
        running.stop().await;
        ending
    })?;
    Ok((outcome(&ending), farewell(&ending, true)))
}

fn demo_config(args: &DemoArgs) -> Result<SimConfig, InputError> {
    let catalog = load_catalog(None)?;
    let mut spec = FleetSpec::mid_rollout(&catalog, args.gateways, args.seed);
    demo_versions(&mut spec, &catalog);
    spec.last_backup = Some(jiff::Timestamp::now() - jiff::SignedDuration::from_hours(3));
    let snapshot = generate(&spec, &catalog)?;
    Ok(SimConfig {
        listen: "127.0.0.1:0"
            .parse()
            .map_err(|_| InputError("bad loopback address".into()))?,
        tls: true,
        snapshot,
        catalog,
        credentials: Credentials {
            user: "admin".into(),
            password: Secret::new(random_password()),
        },
        speed: args.speed,
        clock: Clock::Wall,
        faults: args.faults.clone(),
        session_ttl: DEFAULT_SESSION_TTL,
        seed: args.seed,
        require_access_key: false,
        body_limit: DEFAULT_BODY_LIMIT,
    })
}

/// The demo's controller runs the newest build two trains behind the catalog's newest (so a
/// platform upgrade two trains ahead can be planned), moved up from the train before it, and
/// about 30% of its gateways are still on that previous version (so there is work to do), all
/// of them healthy.
fn demo_versions(spec: &mut FleetSpec, catalog: &crate::catalog::Catalog) {
    let newest: Vec<crate::version::Version> = catalog
        .trains()
        .filter_map(|train| catalog.newest_in(train))
        .collect();
    if let [.., previous, current, _, _] = newest.as_slice() {
        spec.controller_version = *current;
        spec.previous_version = Some(*previous);
    }
    spec.lagging_per_mille = 300;
    // Every gateway up, so the whole path can be walked: a down gateway blocks the platform
    // upgrade and the demo cannot repair one (`--faults gw-fail=0.2` shows failures instead).
    spec.unhealthy_per_mille = 0;
}

/// Polling scaled to the simulator's clock, never faster than 4 times a second.
fn demo_polling(speed: f64) -> PollSettings {
    let defaults = PollSettings::default();
    let scaled = |duration: Duration, floor: Duration| duration.div_f64(speed).max(floor);
    PollSettings {
        interval: scaled(defaults.interval, Duration::from_millis(250)),
        give_up_after: scaled(defaults.give_up_after, Duration::from_secs(120)),
    }
}

fn options(
    args: &ConsoleArgs,
    poll: PollSettings,
    state_dir: Option<PathBuf>,
    demo: bool,
) -> Result<Options, InputError> {
    let settings = console_settings()?;
    let keymap = match keymap_path(args) {
        Some(path) if args.keymap.is_some() || path.exists() => {
            Keymap::load(&path).map_err(InputError)?
        }
        _ => Keymap::default(),
    };
    let columns = column_choice(&settings)?;
    Ok(Options {
        readonly: args.readonly || settings.readonly,
        mouse: args.mouse || settings.mouse,
        keymap,
        poll,
        state_dir,
        columns,
        config_path: crate::config::default_path(),
        demo,
    })
}

fn keymap_path(args: &ConsoleArgs) -> Option<PathBuf> {
    args.keymap
        .clone()
        .or_else(|| crate::paths::config_dir().map(|dir| dir.join("keymap.toml")))
}

/// The columns `[console] columns` names, checked.
fn column_choice(settings: &ConsoleSettings) -> Result<ColumnChoice, InputError> {
    let Some(columns) = &settings.columns else {
        return Ok(ColumnChoice::Auto);
    };
    parse_choice(&columns.join(",")).map_err(|error| {
        let file = crate::config::default_path().unwrap_or_default();
        InputError(format!(
            "{}: columns under [console]: {error}",
            file.display()
        ))
    })
}

fn console_settings() -> Result<ConsoleSettings, InputError> {
    let Some(path) = crate::config::default_path() else {
        return Ok(ConsoleSettings::default());
    };
    Ok(Config::load(&path).map_err(InputError)?.console)
}

/// The console needs a terminal of at least 80×24 (it says so on screen if smaller).
fn require_terminal() -> Result<(), InputError> {
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        return Ok(());
    }
    Err(InputError(format!(
        "the console needs a terminal (stdin and stdout are not both one); it draws full-screen at {MIN_WIDTH}×{MIN_HEIGHT} or more. For scripts use plan, check, status or snapshot"
    )))
}

/// 0 after `q`; 128 + the signal's number after a signal: SIGHUP 129, SIGINT 130, SIGQUIT 131,
/// SIGTERM 143.
fn outcome(ending: &Ending) -> Outcome {
    ending.signal.map_or(Outcome::Clear, |signal| {
        Outcome::Signalled(signal.exit_code())
    })
}

/// What to say after the terminal is restored.
fn farewell(ending: &Ending, demo: bool) -> String {
    ending
        .consequence(demo)
        .map(|words| format!("{words}\n"))
        .unwrap_or_default()
}
