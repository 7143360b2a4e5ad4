//! A headless console for tests: the real `App`, `update` and ops runner against an in-process
//! simulator on 127.0.0.1, drawn into a ratatui `TestBackend`. Keys go in as the keyboard sends
//! them; the harness applies controller messages as the real loop does, with a fixed clock for
//! snapshots. It draws only when asked, so a test that answers a confirmation first says the
//! dialog has been on screen (`shown`), as the loop does after a frame.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]
#![allow(
    dead_code,
    reason = "each test binary compiles this module on its own and uses only part of it"
)]

use std::sync::Arc;
use std::time::Duration;

use avx_upgrade::api::poll::PollSettings;
use avx_upgrade::api::{Client, ClientSettings, DEFAULT_MAX_REQUEST, TrustMode};
use avx_upgrade::ops::Runner;
use avx_upgrade::ops::{Event, Job};
use avx_upgrade::secret::{Credentials, Secret};
use avx_upgrade::sim::{self, RunningSim, SimConfig};
use avx_upgrade::tui::confirm::KEY_GUARD;
use avx_upgrade::tui::keymap::Keymap;
use avx_upgrade::tui::message::Msg;
use avx_upgrade::tui::state::App;
use avx_upgrade::tui::theme::Theme;
use avx_upgrade::tui::ui;
use avx_upgrade::tui::update::update;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc::UnboundedReceiver;

/// The longest a flow waits for the controller.
pub const FLOW_DEADLINE: Duration = Duration::from_secs(40);

pub struct Console {
    pub app: App,
    runner: Runner,
    events: UnboundedReceiver<Event>,
    pub sim: Sim,
    /// The state directory, with the controller's journal; consoles attached to this one
    /// share it, as consoles on one machine do.
    pub state_dir: Arc<tempfile::TempDir>,
    /// Keep the clock still (for snapshots) instead of reading it.
    pub frozen: Option<Timestamp>,
}

/// Polling fast enough for a simulator at `speed`.
pub fn polling(speed: f64) -> PollSettings {
    let scale =
        |seconds: f64| Duration::from_secs_f64(seconds / speed).max(Duration::from_millis(50));
    PollSettings {
        interval: scale(10.0),
        give_up_after: Duration::from_secs(60),
    }
}

impl Console {
    /// Starts `config` and opens a console on it (read-write unless `readonly`).
    pub async fn open(config: SimConfig, readonly: bool) -> Console {
        Console::open_sending_at_most(config, readonly, DEFAULT_MAX_REQUEST).await
    }

    /// Like [`Console::open`], with a client that sends requests of at most `max_request`
    /// bytes.
    pub async fn open_sending_at_most(
        config: SimConfig,
        readonly: bool,
        max_request: u64,
    ) -> Console {
        let speed = config.speed;
        let credentials = Credentials {
            user: config.credentials.user.clone(),
            password: Secret::new(config.credentials.password.expose()),
        };
        let running = sim::start(config).await.expect("the simulator starts");
        let state_dir = Arc::new(tempfile::tempdir().expect("a state directory"));
        let sim = Sim::Owned(running);
        let client = client(&sim, credentials, max_request).await;
        Console::connect(sim, client, speed, readonly, state_dir, false).await
    }

    /// A second console on the simulator of `other`, on the same machine (its state
    /// directory, so its journal).
    pub async fn attach(other: &Console, readonly: bool) -> Console {
        let credentials = Credentials {
            user: common_user(),
            password: Secret::new(common_password()),
        };
        let url = other.sim.url().to_owned();
        let state_dir = Arc::clone(&other.state_dir);
        let sim = Sim::Shared(url);
        let client = client(&sim, credentials, DEFAULT_MAX_REQUEST).await;
        Console::connect(sim, client, 20.0, readonly, state_dir, false).await
    }

    /// A console on the simulator at `url` that the test runs itself (with the common user
    /// and password), with its own state directory; it is handed over as soon as the first
    /// rows are shown, before their statuses are in.
    pub async fn open_on(url: &str) -> Console {
        let credentials = Credentials {
            user: common_user(),
            password: Secret::new(common_password()),
        };
        let state_dir = Arc::new(tempfile::tempdir().expect("a state directory"));
        let sim = Sim::Shared(url.to_owned());
        let client = client(&sim, credentials, DEFAULT_MAX_REQUEST).await;
        Console::connect(sim, client, 20.0, false, state_dir, true).await
    }

    /// A console on the simulator of `other`, from another machine: its own state directory,
    /// with no journal.
    pub async fn attach_elsewhere(other: &Console) -> Console {
        let credentials = Credentials {
            user: common_user(),
            password: Secret::new(common_password()),
        };
        let url = other.sim.url().to_owned();
        let state_dir = Arc::new(tempfile::tempdir().expect("a state directory"));
        let sim = Sim::Shared(url);
        let client = client(&sim, credentials, DEFAULT_MAX_REQUEST).await;
        Console::connect(sim, client, 20.0, false, state_dir, false).await
    }

    async fn connect(
        sim: Sim,
        client: Arc<Client>,
        speed: f64,
        readonly: bool,
        state_dir: Arc<tempfile::TempDir>,
        shown_early: bool,
    ) -> Console {
        let (sender, events) = tokio::sync::mpsc::unbounded_channel();
        let app = App::new(
            client.base_url().to_owned(),
            client.user().to_owned(),
            readonly,
            Keymap::default(),
            Timestamp::now(),
        );
        let journal_dir = Some(state_dir.path().to_owned());
        let runner = Runner::new(client, sender, polling(speed), journal_dir);
        let mut console = Console {
            app,
            runner,
            events,
            sim,
            state_dir,
            frozen: None,
        };
        console.command_refresh();
        // As the real loop does: the journal's unfinished rollout, if any, is offered.
        console.runner.spawn(Job::FindRollout);
        console
            .until("the first refresh", |app| {
                app.fleet.snapshot().is_some() && (shown_early || app.loading.is_none())
            })
            .await;
        console
    }

    fn command_refresh(&mut self) {
        if let Some(job) = self.app.request_refresh() {
            self.runner.spawn(job);
        }
    }

    fn apply(&mut self, msg: Msg) {
        self.app.now = self.frozen.unwrap_or_else(Timestamp::now);
        for effect in update(&mut self.app, msg) {
            self.runner.spawn(effect);
        }
    }

    /// Presses one key.
    pub fn press(&mut self, code: KeyCode) {
        let modifiers = match code {
            KeyCode::Char(c) if c.is_ascii_uppercase() => KeyModifiers::SHIFT,
            _ => KeyModifiers::NONE,
        };
        self.apply(Msg::Key(KeyEvent::new(code, modifiers)));
    }

    pub fn ctrl(&mut self, c: char) {
        self.apply(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
        )));
    }

    /// What the real loop reports once a frame has shown the open dialog for the key guard.
    pub fn shown(&mut self) {
        let now = self.frozen.unwrap_or_else(Timestamp::now);
        self.apply(Msg::Drawn {
            at: now - KEY_GUARD,
        });
    }

    /// Types every character of `text` (each a key press).
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c));
        }
    }

    /// Applies the events of `ops` until `done` holds; panics after [`FLOW_DEADLINE`].
    pub async fn until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = tokio::time::Instant::now() + FLOW_DEADLINE;
        while !done(&self.app) {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "timed out waiting for {what}; screen:\n{}",
                        self.screen(120, 40)
                    )
                })
                .expect("the runner is alive");
            self.apply(Msg::Ops(event));
        }
    }

    /// The next event of `ops`, not applied (to apply it later, with [`Console::apply_event`]);
    /// panics after [`FLOW_DEADLINE`].
    pub async fn next_event(&mut self, what: &str) -> Event {
        tokio::time::timeout(FLOW_DEADLINE, self.events.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .expect("the runner is alive")
    }

    /// Applies an event of `ops` held back by the test.
    pub fn apply_event(&mut self, event: Event) {
        self.apply(Msg::Ops(event));
    }

    /// The screen at `width`×`height`, one line per row, trailing spaces trimmed.
    pub fn screen(&self, width: u16, height: u16) -> String {
        text_of(&self.draw(width, height, &Theme::colored()))
    }

    /// Draws into a test terminal.
    pub fn draw(&self, width: u16, height: u16, theme: &Theme) -> Terminal<TestBackend> {
        draw(&self.app, width, height, theme)
    }

    /// The console dies as a killed SSH session leaves it: it stops listening, so its
    /// operation is neither followed nor finished in the journal, and the simulator goes on.
    pub fn hang_up(&mut self) {
        let (_, closed) = tokio::sync::mpsc::unbounded_channel();
        self.events = closed;
    }

    pub async fn close(self) {
        if let Sim::Owned(running) = self.sim {
            running.stop().await;
        }
    }
}

/// A logged-in client of the simulator at `url`, with the default limits.
pub async fn logged_in_client(url: &str) -> Arc<Client> {
    let credentials = Credentials {
        user: common_user(),
        password: Secret::new(common_password()),
    };
    client(
        &Sim::Shared(url.to_owned()),
        credentials,
        DEFAULT_MAX_REQUEST,
    )
    .await
}

/// A logged-in client of `sim` that sends requests of at most `max_request` bytes.
async fn client(sim: &Sim, credentials: Credentials, max_request: u64) -> Arc<Client> {
    let mut settings = ClientSettings::new(sim.url().to_owned(), credentials, TrustMode::Insecure);
    settings.max_request = max_request;
    let client = Client::new(settings).expect("client");
    client.login().await.expect("login");
    Arc::new(client)
}

/// The simulator a console talks to: its own, or another console's.
pub enum Sim {
    Owned(RunningSim),
    Shared(String),
}

impl Sim {
    pub fn url(&self) -> &str {
        match self {
            Sim::Owned(running) => &running.url,
            Sim::Shared(url) => url,
        }
    }

    /// Reads or changes the simulator's state (owned simulators only).
    pub fn with_state<R>(
        &self,
        change: impl FnOnce(&mut avx_upgrade::sim::state::SimState) -> R,
    ) -> R {
        match self {
            Sim::Owned(running) => running.with_state(change),
            Sim::Shared(_) => panic!("with_state needs the console that owns the simulator"),
        }
    }
}

impl Sim {
    /// Advances the simulator's manual clock (owned simulators on a manual clock only).
    pub fn advance(&self, by: Duration) {
        match self {
            Sim::Owned(running) => running
                .clock()
                .as_manual()
                .expect("the simulator runs on a manual clock")
                .advance(by),
            Sim::Shared(_) => panic!("advance needs the console that owns the simulator"),
        }
    }
}

fn common_user() -> String {
    "admin".into()
}

fn common_password() -> String {
    "pw".into()
}

pub fn draw(app: &App, width: u16, height: u16, theme: &Theme) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|frame| ui::draw(frame, app, theme))
        .expect("draw");
    terminal
}

pub fn text_of(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let width = buffer.area.width as usize;
    let symbols: Vec<&str> = buffer.content.iter().map(|cell| cell.symbol()).collect();
    symbols
        .chunks(width)
        .map(|row| row.concat().trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A fixed moment for screens that show times.
pub fn fixed_now() -> Timestamp {
    "2026-11-23T14:05:09Z".parse().expect("time")
}

/// A console state loaded with `snapshot`, without a controller: for pure and screen tests.
pub fn loaded_app(snapshot: avx_upgrade::snapshot::Snapshot, readonly: bool) -> App {
    use avx_upgrade::ops::{Live, Loaded};
    let mut app = App::new(
        "https://ctl.example.com".into(),
        "admin".into(),
        readonly,
        Keymap::default(),
        fixed_now(),
    );
    let live = snapshot
        .gateways()
        .iter()
        .map(|_| Live::new("complete".into(), None))
        .collect();
    let catalog = avx_upgrade::catalog::Catalog::builtin().expect("catalog");
    let loaded = Loaded {
        preflight: avx_upgrade::ops::preflight(&snapshot, &catalog),
        snapshot: snapshot.into(),
        catalog,
        live,
        skipped: Vec::new(),
        platform_running: None,
        gateways_running: Vec::new(),
    };
    let effects = update(&mut app, Msg::Ops(Event::Loaded(Box::new(loaded))));
    assert!(
        effects.is_empty(),
        "nothing runs at the controller: {effects:?}"
    );
    app
}

/// Presses `code` on `app` (shift for capitals), returning the effects.
pub fn press(app: &mut App, code: KeyCode) -> Vec<Job> {
    let modifiers = match code {
        KeyCode::Char(c) if c.is_ascii_uppercase() => KeyModifiers::SHIFT,
        _ => KeyModifiers::NONE,
    };
    update(app, Msg::Key(KeyEvent::new(code, modifiers)))
}

/// What the real loop reports once a frame has shown the open dialog on `app` for the key
/// guard: a frame drawn [`KEY_GUARD`] ago, so the next key counts.
pub fn shown(app: &mut App) {
    let effects = update(
        app,
        Msg::Drawn {
            at: app.now - KEY_GUARD,
        },
    );
    assert!(
        effects.is_empty(),
        "a frame drawn sends nothing: {effects:?}"
    );
}

/// Types `text` on `app`.
pub fn type_into(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}
