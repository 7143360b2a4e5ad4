//! The console's whole state: one [`App`], changed only by `update`, read by the widgets.
//! One [`Focus`] says what takes the keys: the window, the prompt, the Target Release Version
//! or an overlay, never two at once.

use std::cell::{Cell, RefCell};

use jiff::Timestamp;
use tui_input::Input;

use crate::catalog::Catalog;
use crate::ops::Job;
use crate::ops::Live;
use crate::plan::finding::Report;
use crate::plan::request::{Action, Request};
use crate::plan::rollout::Policy;
use crate::plan::runbook::Runbook;
use crate::snapshot::{Gateway, GatewayState, UpdateStatus};
use crate::tui::columns::{ColumnChoice, ColumnId};
use crate::tui::command_line::Recall;
use crate::tui::fleet::FleetView;
use crate::tui::keymap::Keymap;
use crate::tui::message::{MarkSet, Signal};
use crate::tui::operation::Operation;
use crate::tui::rollout::RolloutView;

mod overlay;

pub use overlay::{DryRunPane, Overlay, Picker, Scroll};

/// The two windows of Settings › Maintenance, and the Rollout window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter)]
pub enum Window {
    Platform,
    Gateways,
    /// Staged rollouts: the timeline of the rollout running or found unfinished.
    Rollout,
}

impl Window {
    /// The window's title, on its tab and its border.
    pub fn title(self) -> &'static str {
        match self {
            Window::Platform => "Platform Upgrade",
            Window::Gateways => "Selective Gateway Upgrade",
            Window::Rollout => "Rollout",
        }
    }

    /// The window's operation: what `U` asks to confirm (staged, in the Rollout window) and
    /// `d` dry-runs.
    pub fn operation(self) -> Action {
        match self {
            Window::Platform => Action::PlatformUpgrade,
            Window::Gateways | Window::Rollout => Action::SoftwareUpgrade,
        }
    }
}

/// How the console stands with the controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// Before the first answer.
    Connecting,
    Ok,
    /// The controller restarts during an operation; the pollers keep trying.
    Reconnecting,
    /// The last refresh failed; the data shown is from `since`.
    Stale {
        since: Option<Timestamp>,
        error: String,
    },
}

/// The Target Release Version field and what the planner says about it.
#[derive(Debug, Default)]
pub struct PlatformForm {
    pub input: Input,
    /// The planner's runbook for the target, or why the target is invalid.
    pub verdict: Option<Result<Runbook, String>>,
    /// The live preflight: the planner's checklist for a platform upgrade on the fleet as last
    /// read, refreshed with it; `None` until the controller has been read.
    pub preflight: Option<Report>,
    /// The gateways the failing preflight findings name, each once, and those findings'
    /// codes: worked out once per refresh ([`PlatformForm::set_preflight`]), not per frame.
    preflight_names: Vec<String>,
    preflight_codes: Vec<String>,
}

impl PlatformForm {
    /// Takes the preflight of a refresh, and the gateways its failing findings (unhealthy,
    /// behind the controller …) name.
    pub fn set_preflight(&mut self, preflight: Option<Report>) {
        let mut seen = std::collections::HashSet::new();
        self.preflight_names.clear();
        self.preflight_codes.clear();
        let findings = preflight.iter().flat_map(|report| &report.findings);
        for finding in findings.filter(|f| !f.gateways.is_empty()) {
            if finding.severity == crate::plan::Severity::Info {
                continue;
            }
            self.preflight_codes.push(finding.code.as_str().to_owned());
            let new = finding
                .gateways
                .iter()
                .filter(|name| seen.insert(name.as_str()));
            self.preflight_names.extend(new.cloned());
        }
        self.preflight = preflight;
    }

    /// The gateways the failing preflight items name, each once, and the codes of those items.
    pub fn preflight_gateways(&self) -> (Vec<String>, Vec<&str>) {
        let codes = self.preflight_codes.iter().map(String::as_str).collect();
        (self.preflight_names.clone(), codes)
    }

    /// How many gateways the failing preflight items name, and their codes: for the window.
    pub fn preflight_summary(&self) -> (usize, &[String]) {
        (self.preflight_names.len(), &self.preflight_codes)
    }
}

/// A refresh under way, as far as it has got: shown while a large fleet is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Loading {
    /// Gateway records read so far (all of them once `statuses` is set).
    pub read: usize,
    /// Every gateway is read; their statuses are being read.
    pub statuses: bool,
    /// The rows shown are only the first ones read: nothing may be marked or sent until the
    /// whole fleet is in.
    pub partial: bool,
}

/// A one-line input at the bottom: the filter query or a `:` command.
#[derive(Debug, Clone)]
pub enum Prompt {
    Query(Input),
    Command(Input),
}

/// What takes the keys.
#[derive(Debug, Clone)]
pub enum Focus {
    /// The window: keys are the keymap's commands.
    Window,
    /// The prompt at the bottom takes every key.
    Prompt(Prompt),
    /// The Target Release Version (in the Platform Upgrade window) takes every key.
    Target,
    /// An overlay covers the window: a confirmation takes every key, the others scroll and
    /// close on commands.
    Overlay(Overlay),
}

/// A one-line message in the status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub level: Level,
    pub text: String,
}

/// The console.
#[derive(Debug)]
pub struct App {
    pub url: String,
    pub user: String,
    pub readonly: bool,
    pub keymap: Keymap,
    pub window: Window,
    pub connection: Connection,
    pub last_refresh: Option<Timestamp>,
    /// A refresh is in flight.
    refreshing: bool,
    /// A refresh was asked for while one was in flight: it starts when that one answers.
    refresh_again: bool,
    /// The operation that was running when the refresh in flight was asked for.
    refresh_during: Option<u64>,
    pub fleet: FleetView,
    pub catalog: Option<Catalog>,
    /// Gateways the controller listed but whose records could not be read.
    pub skipped: Vec<String>,
    pub platform: PlatformForm,
    pub focus: Focus,
    /// Why the query being typed does not parse.
    pub query_error: Option<String>,
    pub operation: Option<Operation>,
    /// The rollout running here, or found unfinished in the journal.
    pub rollout: Option<RolloutView>,
    /// The policy the next rollout is planned with (`:policy` edits it).
    pub rollout_policy: Policy,
    pub show_progress: bool,
    /// The refresh under way, while it reads a large fleet.
    pub loading: Option<Loading>,
    /// The gateway table's columns: the operator's choice, or as many as fit.
    pub columns: ColumnChoice,
    /// The columns the table showed in its last frame (drawing writes it), for the chooser.
    pub shown_columns: RefCell<Vec<ColumnId>>,
    /// The command line's history and Tab candidates.
    pub command_line: Recall,
    /// The console runs on the demo's simulated controller (it stops with the console).
    pub demo: bool,
    /// Where `:cols` saves the column choice (`[console] columns`); `None`: not saved.
    pub config_path: Option<std::path::PathBuf>,
    /// The id of the next operation started or followed.
    next_operation: u64,
    pub flash: Option<Flash>,
    /// The clock, set by the loop before each message (fixed in tests).
    pub now: Timestamp,
    pub quit: bool,
    /// The signal that ended the console, if one did.
    pub signal: Option<Signal>,
    /// Rows of the gateway table that fit on screen, written by the last draw.
    pub page_rows: Cell<u16>,
    /// The gateway table's first row on screen, kept by the draw so the cursor stays visible.
    pub table_offset: Cell<usize>,
}

impl App {
    pub fn new(url: String, user: String, readonly: bool, keymap: Keymap, now: Timestamp) -> Self {
        App {
            url,
            user,
            readonly,
            keymap,
            window: Window::Platform,
            connection: Connection::Connecting,
            last_refresh: None,
            refreshing: false,
            refresh_again: false,
            refresh_during: None,
            fleet: FleetView::default(),
            catalog: None,
            skipped: Vec::new(),
            platform: PlatformForm::default(),
            focus: Focus::Window,
            query_error: None,
            operation: None,
            rollout: None,
            rollout_policy: Policy::default(),
            show_progress: true,
            loading: None,
            columns: ColumnChoice::Auto,
            config_path: None,
            demo: false,
            shown_columns: RefCell::new(Vec::new()),
            command_line: Recall::default(),
            next_operation: 1,
            flash: None,
            now,
            quit: false,
            signal: None,
            page_rows: Cell::new(10),
            table_offset: Cell::new(0),
        }
    }

    /// The gateways of a named set, by name.
    pub fn named_set(&self, set: MarkSet) -> Vec<String> {
        match set {
            MarkSet::Failed => self.failed_gateways(),
            MarkSet::Lagging => self.gateways_where(|gateway, _| {
                self.fleet
                    .snapshot()
                    .is_some_and(|s| gateway.software_version != s.controller.current_version)
            }),
            MarkSet::Unhealthy => self.gateways_where(|gateway, live| {
                live.shown_state(gateway) != GatewayState::Up.name() || !gateway.tunnels_up
            }),
            MarkSet::All => (0..self.fleet.shown_len())
                .filter_map(|row| self.fleet.shown_index(row))
                .filter_map(|index| self.fleet.gateway(index))
                .map(|gateway| gateway.name.to_string())
                .collect(),
            MarkSet::None => Vec::new(),
        }
    }

    /// The names of the gateways for which `test` holds, in fleet order.
    fn gateways_where(&self, test: impl Fn(&Gateway, &Live) -> bool) -> Vec<String> {
        self.fleet
            .gateways()
            .iter()
            .enumerate()
            .filter(|(index, gateway)| {
                self.fleet
                    .live(*index)
                    .is_some_and(|live| test(gateway, live))
            })
            .map(|(_, gateway)| gateway.name.to_string())
            .collect()
    }

    /// The gateways the last operation failed on, then those the controller reports failed.
    fn failed_gateways(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .operation
            .iter()
            .flat_map(|operation| operation.failures.iter().map(|(name, _)| name.clone()))
            .collect();
        let reported = (0..self.fleet.total()).filter(|&index| {
            self.fleet
                .live(index)
                .is_some_and(|live| *live.update_status() == UpdateStatus::UpgradeFail)
        });
        let mut seen: std::collections::HashSet<String> = names.iter().cloned().collect();
        for index in reported {
            if let Some(gateway) = self.fleet.gateway(index)
                && seen.insert(gateway.name.to_string())
            {
                names.push(gateway.name.to_string());
            }
        }
        names
    }

    /// Whether the rows shown are only the first ones of a fleet still being read.
    pub fn fleet_is_partial(&self) -> bool {
        self.loading.is_some_and(|loading| loading.partial)
    }

    /// Whether an operation or a rollout is in flight.
    pub fn busy(&self) -> bool {
        self.operation.as_ref().is_some_and(Operation::is_running)
            || self.rollout.as_ref().is_some_and(RolloutView::is_running)
    }

    /// The overlay covering the window, if one does.
    pub fn overlay(&self) -> Option<&Overlay> {
        match &self.focus {
            Focus::Overlay(overlay) => Some(overlay),
            _ => None,
        }
    }

    /// The prompt being typed, if one is.
    pub fn prompt(&self) -> Option<&Prompt> {
        match &self.focus {
            Focus::Prompt(prompt) => Some(prompt),
            _ => None,
        }
    }

    /// Whether the Target Release Version is being typed.
    pub fn editing_target(&self) -> bool {
        matches!(self.focus, Focus::Target)
    }

    /// A new operation's id: 1, 2, … for the console's life.
    pub fn next_operation_id(&mut self) -> u64 {
        let id = self.next_operation;
        self.next_operation += 1;
        id
    }

    /// Whether a refresh is in flight.
    pub fn refreshing(&self) -> bool {
        self.refreshing
    }

    /// Asks to read the controller: one refresh at a time. While one is in flight, nothing
    /// starts now (`None`) and another starts when it answers, since what it reads may
    /// predate the request.
    pub fn request_refresh(&mut self) -> Option<Job> {
        if self.refreshing {
            self.refresh_again = true;
            return None;
        }
        self.refreshing = true;
        self.refresh_during = self
            .operation
            .as_ref()
            .filter(|operation| operation.is_running())
            .map(|operation| operation.id);
        Some(Job::Refresh)
    }

    /// Whether the refresh in flight was asked for while an operation ran that has ended since:
    /// what it read about running operations is older than that end.
    pub fn refresh_predates_end(&self) -> bool {
        self.refresh_during.is_some_and(|id| {
            self.operation
                .as_ref()
                .is_some_and(|operation| operation.id == id && !operation.is_running())
        })
    }

    /// The refresh in flight answered; returns the refresh asked for meanwhile, if any.
    pub fn refresh_answered(&mut self) -> Option<Job> {
        self.refreshing = false;
        if !std::mem::take(&mut self.refresh_again) {
            return None;
        }
        self.request_refresh()
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.flash = Some(Flash {
            level: Level::Info,
            text: text.into(),
        });
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.flash = Some(Flash {
            level: Level::Warn,
            text: text.into(),
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.flash = Some(Flash {
            level: Level::Error,
            text: text.into(),
        });
    }

    /// The request `d` would dry-run in the current window, or why there is none.
    pub fn request_for(&self, action: Action) -> Result<Request, String> {
        use crate::plan::request::Selection;
        if action == Action::PlatformUpgrade {
            return self
                .platform_target()
                .map(|target| Request::PlatformUpgrade { target });
        }
        let names = self.fleet.operation_targets();
        if names.is_empty() {
            return Err(
                "no gateway: the filter shows none; change it (/ or Esc in the query)".into(),
            );
        }
        let gateways = Selection::Named(names);
        Ok(match action {
            Action::SoftwareUpgrade => Request::SoftwareUpgrade {
                gateways,
                target: None,
            },
            Action::SoftwareRollback => Request::SoftwareRollback {
                gateways,
                target: None,
            },
            _ => Request::ImageUpgrade { gateways },
        })
    }

    /// The Target Release Version as typed: `None` when empty (the newest build of the running
    /// train), or why it does not parse.
    pub fn platform_target(&self) -> Result<Option<crate::version::Target>, String> {
        let text = self.platform.input.value().trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse()
            .map(Some)
            .map_err(|error: crate::version::VersionError| error.to_string())
    }
}
