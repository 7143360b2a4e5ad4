//! The console: a full-screen TUI of the controller's Platform Upgrade and Selective Gateway
//! Upgrade windows. One [`state::App`], one message type, a pure [`update::update`], widgets
//! in `ui/` that only read the state, and a terminal guard that always restores the terminal.

pub mod app;
pub mod columns;
pub mod command_line;
pub mod confirm;
pub mod fleet;
pub mod keymap;
pub mod message;
pub mod operation;
pub mod rollout;

pub mod state;
pub mod support;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod update;

use std::sync::Arc;

use jiff::Timestamp;

use crate::api::Client;
use crate::api::poll::PollSettings;
use crate::ops::Runner;
use crate::tui::keymap::Keymap;
use crate::tui::message::Signal;
use crate::tui::state::App;
use crate::tui::theme::Theme;

/// How the console opens.
#[derive(Debug, Clone)]
pub struct Options {
    pub readonly: bool,
    pub mouse: bool,
    pub keymap: Keymap,
    pub poll: PollSettings,
    /// Where the journal is kept ([`crate::journal`]); without one, nothing can be sent.
    pub state_dir: Option<std::path::PathBuf>,
    /// The gateway table's columns (`[console] columns` in the config file).
    pub columns: columns::ColumnChoice,
    /// The console runs on the demo's simulated controller, which stops with it.
    pub demo: bool,
    /// The config file `:cols` saves the columns in; without one they last the session.
    pub config_path: Option<std::path::PathBuf>,
}

/// What the user left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    /// The operation still running at the controller, in words.
    pub running: Option<String>,
    /// The signal that ended the console, if one did.
    pub signal: Option<Signal>,
    /// The rollout that was running, in words: it stops with the console, between steps.
    pub rollout: Option<String>,
}

/// Opens the console on `client` (logged in) until the user quits.
pub async fn open(client: Arc<Client>, options: Options) -> std::io::Result<Ending> {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let mut app = App::new(
        client.base_url().to_owned(),
        client.user().to_owned(),
        options.readonly,
        options.keymap,
        Timestamp::now(),
    );
    app.columns = options.columns;
    app.config_path = options.config_path;
    app.demo = options.demo;
    let runner = Runner::new(client, sender, options.poll, options.state_dir);
    let (mut screen, guard) = terminal::Guard::enter(options.mouse)?;
    let result = app::run(&mut screen, app, Theme::from_env(), runner, receiver).await;
    drop(guard);
    // Nothing is sent any more; the answers of the requests out are recorded before the
    // process ends, so the journal knows what the controller accepted.
    crate::ops::in_flight::DOOR.close().await;
    let app = result?;
    Ok(Ending::of(&app))
}

impl Ending {
    /// What `app` leaves behind if it closes now.
    pub fn of(app: &App) -> Ending {
        Ending {
            running: app
                .operation
                .as_ref()
                .filter(|operation| operation.is_running())
                .map(|operation| operation.title.clone()),
            signal: app.signal,
            rollout: app
                .rollout
                .as_ref()
                .filter(|rollout| rollout.is_running())
                .map(|rollout| format!("The {} rollout", rollout.document.rollout.action.title())),
        }
    }

    /// What goes on without the console and how to come back, in words; `None` when nothing
    /// runs. `demo`: the simulated controller stops with the console.
    pub fn consequence(&self, demo: bool) -> Option<String> {
        if let Some(rollout) = &self.rollout {
            return Some(format!(
                "{rollout} stops with the console: a step in flight goes on at the controller, and no other is sent. avx-upgrade (window 3, r) or avx-upgrade rollout resume goes on from the journal."
            ));
        }
        let title = self.running.as_ref()?;
        if demo {
            return Some(format!(
                "{title} is still running: the demo's simulated controller stops with the console."
            ));
        }
        Some(format!(
            "{title} goes on at the controller. Start avx-upgrade again to follow it; it shows the operation in progress."
        ))
    }
}

/// What quitting now would leave behind, in words; `None` when nothing runs.
pub fn leaving(app: &App) -> Option<String> {
    Ending::of(app).consequence(app.demo)
}
