//! The console's vocabulary: [`Command`]s the keymap binds keys to, and [`Msg`]s that reach the
//! pure `update` (keys, pastes, frames drawn, [`Signal`]s, and the [`Event`]s of `ops`, which
//! it wraps). What `update` asks the outside world to do is `ops`'s own vocabulary,
//! [`crate::ops::Job`]. Nothing here does anything.

use jiff::Timestamp;
use strum::{EnumIter, EnumString, IntoStaticStr};

pub use crate::signals::Signal;

use crate::ops::Event;

/// What a key can be bound to. The names (kebab-case: `Command::PageUp` is `page-up`, from
/// [`IntoStaticStr`] and [`EnumString`]) are the keymap file's vocabulary; the help screen
/// lists the commands in the order of [`EnumIter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, EnumString, IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum Command {
    Quit,
    Help,
    CommandLine,
    Refresh,
    PlatformWindow,
    GatewayWindow,
    RolloutWindow,
    NextWindow,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Mark,
    MarkShown,
    MarkFailed,
    ClearMarks,
    SortNext,
    SortReverse,
    Filter,
    FilterPicker,
    ChooseColumns,
    Details,
    EditTarget,
    DryRun,
    Upgrade,
    Rollback,
    ImageUpgrade,
    ToggleProgress,
    PauseRollout,
    ResumeRollout,
    AbortRollout,
    WriteReport,
    MarkPreflight,
    Close,
}

impl Command {
    /// What the command does, for the help screen.
    pub fn describe(self) -> &'static str {
        match self {
            Command::Quit => "quit (q asks first while an operation runs)",
            Command::Help => "show this help",
            Command::CommandLine => "command line (Tab completes, ↑↓ recall)",
            Command::Refresh => "read the controller again",
            Command::PlatformWindow => "Platform Upgrade window",
            Command::GatewayWindow => "Selective Gateway Upgrade window",
            Command::RolloutWindow => "Rollout window: U, R, I stage the selection in waves",
            Command::NextWindow => "switch window",
            Command::Up => "move up",
            Command::Down => "move down",
            Command::Top => "first row",
            Command::Bottom => "last row",
            Command::PageUp => "page up",
            Command::PageDown => "page down",
            Command::Mark => "mark or unmark the gateway, and move down",
            Command::MarkShown => "mark every shown gateway",
            Command::MarkFailed => "mark exactly the failed gateways (:mark failed)",
            Command::ClearMarks => "clear every mark",
            Command::SortNext => "sort by the next column",
            Command::SortReverse => "reverse the sort",
            Command::Filter => "filter: words, cloud:aws, status:failed, !state:up …",
            Command::FilterPicker => "pick a filter from the values in the fleet",
            Command::ChooseColumns => "choose the table's columns (:cols)",
            Command::Details => "every field of the gateway",
            Command::EditTarget => "edit the Target Release Version",
            Command::DryRun => "dry run of this window's operation",
            Command::Upgrade => "platform upgrade (window 1) / software upgrade (window 2)",
            Command::Rollback => "software rollback of the gateways",
            Command::ImageUpgrade => "image upgrade of the gateways",
            Command::ToggleProgress => "show or hide the progress pane",
            Command::PauseRollout => "pause the rollout after the step in flight",
            Command::ResumeRollout => "rollout: next step, or resume and retry a stopped one",
            Command::AbortRollout => "abort the rollout after the step in flight",
            Command::WriteReport => "write the last operation's change record (:report)",
            Command::MarkPreflight => "mark the gateways the platform preflight names",
            Command::Close => "close the pane or dialog",
        }
    }

    /// Whether the command marks gateways or acts on them: it waits for the whole fleet, so
    /// that nobody acts on a selection they could not see whole.
    pub fn needs_whole_fleet(self) -> bool {
        self.mutates()
            || matches!(
                self,
                Command::Mark
                    | Command::MarkShown
                    | Command::MarkFailed
                    | Command::MarkPreflight
                    | Command::DryRun
            )
    }

    /// Whether the command asks the controller to change something.
    pub fn mutates(self) -> bool {
        matches!(
            self,
            Command::Upgrade | Command::Rollback | Command::ImageUpgrade
        )
    }
}

/// A named set of gateways that `:mark SET` marks (and nothing else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, EnumString, IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum MarkSet {
    /// Those the last operation failed on (verification), and those the controller reports
    /// `upgrade_fail`.
    Failed,
    /// Those on another software version than the controller.
    Lagging,
    /// Those not up, or with a tunnel down.
    Unhealthy,
    /// Every gateway shown (as `a`).
    All,
    /// None: the marks are cleared.
    None,
}

impl MarkSet {
    /// The set's name, as typed after `:mark`.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// Something that happened: a key, a paste, a frame drawn, a result from the controller, the
/// clock.
#[derive(Debug)]
pub enum Msg {
    Key(crossterm::event::KeyEvent),
    /// Text the terminal pasted (bracketed paste): text for an input, never keys.
    Paste(String),
    /// A frame was drawn at `at`: the moment a confirmation is first on screen.
    Drawn {
        at: Timestamp,
    },
    /// A command from elsewhere than the keyboard (the mouse wheel, tests).
    Command(Command),
    Resize,
    /// One second passed (sent only while an operation runs, for elapsed time).
    Tick,
    /// What the controller work of `ops` reported.
    Ops(Event),
    Signal(Signal),
}
