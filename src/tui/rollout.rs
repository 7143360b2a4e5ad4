//! The Rollout window's model: the steps of the rollout running here (or found unfinished in
//! the journal) as a timeline — each step's state, when it started and ended, what its last
//! progress said — the failure budget used, the log, and an estimate of the time left. Pure:
//! `update` feeds it the rollout's events with the time they arrived.

use std::collections::VecDeque;

use jiff::{SignedDuration, Timestamp};

use crate::api::poll::Progress;
use crate::journal::RolloutStory;
use crate::ops::rollout::{RolloutEnd, RolloutEvent, describe};
use crate::plan::rollout::{Document, Step};

/// Log lines kept.
const LOG: usize = 200;

/// Where a step stands; the words are shown, never the colour alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Waiting,
    Running,
    /// Sent and ended; its gate is being checked.
    Gate,
    Done,
    Failed,
}

impl StepState {
    pub fn word(self) -> &'static str {
        match self {
            StepState::Waiting => "waiting",
            StepState::Running => "running",
            StepState::Gate => "gate",
            StepState::Done => "done",
            StepState::Failed => "failed",
        }
    }
}

/// One row of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRow {
    pub number: usize,
    /// e.g. `wave 2 (canary)`, `platform 7.0.2239 → 7.1.4183`.
    pub what: String,
    /// The gateways of a wave; `None` for a platform hop.
    pub gateways: Option<usize>,
    pub state: StepState,
    pub started: Option<Timestamp>,
    pub ended: Option<Timestamp>,
    /// The last progress, in words.
    pub detail: String,
}

/// How the rollout stands as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    Running,
    /// The next step waits for `r`; `paused` when a pause asked for it.
    Waiting {
        what: String,
        paused: bool,
    },
    /// Found unfinished in the journal, not running here: `r` resumes it.
    Unfinished,
    Ended(RolloutEnd),
}

/// The rollout the window shows.
#[derive(Debug, Clone)]
pub struct RolloutView {
    pub document: Document,
    pub steps: Vec<StepRow>,
    pub phase: Phase,
    pub started: Timestamp,
    pub ended: Option<Timestamp>,
    /// Failed gateways so far, and how many the budget tolerates.
    pub failed: usize,
    pub allowed: usize,
    pub log: VecDeque<String>,
    /// The step the cursor is on.
    pub cursor: usize,
}

impl RolloutView {
    /// A rollout started now from `document`.
    pub fn started(document: Document, now: Timestamp) -> RolloutView {
        let steps = rows(&document);
        RolloutView {
            allowed: document.failures_allowed(),
            document,
            steps,
            phase: Phase::Running,
            started: now,
            ended: None,
            failed: 0,
            log: VecDeque::new(),
            cursor: 0,
        }
    }

    /// A rollout found unfinished in the journal: the steps that passed their gate are done.
    pub fn unfinished(story: &RolloutStory) -> RolloutView {
        let mut view = RolloutView::started(story.plan.document.clone(), story.started);
        for row in &mut view.steps {
            if story.passed(row.number) {
                row.state = StepState::Done;
            }
        }
        view.failed = story.failed();
        view.phase = Phase::Unfinished;
        if let Some(gate) = story.gates.last() {
            view.note(format!("last: {}", gate.message));
        }
        view
    }

    /// The view of the same rollout resumed at `now`: what passed stays done, the rest waits.
    pub fn resumed(&mut self, now: Timestamp) {
        for row in &mut self.steps {
            if row.state != StepState::Done {
                row.state = StepState::Waiting;
                row.detail.clear();
            }
        }
        self.failed = 0;
        self.ended = None;
        self.phase = Phase::Running;
        self.note(format!("resumed at {}", now.strftime("%H:%M:%S")));
    }

    /// Whether the rollout runs here (and takes pause, skip and abort).
    pub fn is_running(&self) -> bool {
        matches!(self.phase, Phase::Running | Phase::Waiting { .. })
    }

    /// Whether `r` resumes it from the journal: it stopped, or was found unfinished.
    pub fn resumable(&self) -> bool {
        matches!(
            self.phase,
            Phase::Unfinished | Phase::Ended(RolloutEnd::Stopped(_) | RolloutEnd::CannotGoOn(_))
        )
    }

    pub fn note(&mut self, line: String) {
        if self.log.len() == LOG {
            self.log.pop_front();
        }
        self.log.push_back(line);
    }

    /// Applies one of the rollout's events, arrived at `now`.
    pub fn on_event(&mut self, event: RolloutEvent, now: Timestamp) {
        match event {
            RolloutEvent::Note(line) => self.note(line),
            RolloutEvent::Starting { step, .. } => {
                self.phase = Phase::Running;
                if let Some(row) = self.row(step) {
                    row.state = StepState::Running;
                    row.started = Some(now);
                    row.detail.clear();
                }
                self.cursor = self.position(step).unwrap_or(self.cursor);
            }
            RolloutEvent::WaitingForKey { what, paused, .. } => {
                self.phase = Phase::Waiting { what, paused };
            }
            RolloutEvent::Progress { step, progress } => {
                if let (Some(row), Some(detail)) = (self.row(step), progress_words(&progress)) {
                    row.detail = detail;
                }
            }
            RolloutEvent::WaveEnded { step, verdicts } => {
                let failed = verdicts.iter().filter(|verdict| !verdict.passed()).count();
                if let Some(row) = self.row(step) {
                    row.state = StepState::Gate;
                    row.detail =
                        format!("{} of {} verified", verdicts.len() - failed, verdicts.len());
                }
            }
            RolloutEvent::Gate {
                step,
                passed,
                failed,
            } => {
                self.failed = failed;
                if let Some(row) = self.row(step) {
                    row.state = if passed {
                        StepState::Done
                    } else {
                        StepState::Failed
                    };
                    row.ended = Some(now);
                }
            }
        }
    }

    /// The rollout ended at `now`.
    pub fn on_end(&mut self, end: RolloutEnd, now: Timestamp) {
        for row in &mut self.steps {
            if matches!(row.state, StepState::Running | StepState::Gate) {
                row.state = StepState::Failed;
                row.ended = Some(now);
            }
        }
        self.ended = Some(now);
        self.phase = Phase::Ended(end);
    }

    /// Time since the start (to the end, once ended).
    pub fn elapsed(&self, now: Timestamp) -> SignedDuration {
        self.ended.unwrap_or(now).duration_since(self.started)
    }

    /// About how long the steps not done yet take, from the ones that ended here: `None`
    /// before one did.
    pub fn estimate_left(&self) -> Option<SignedDuration> {
        let timed: Vec<SignedDuration> = self
            .steps
            .iter()
            .filter_map(|row| Some(row.ended?.duration_since(row.started?)))
            .collect();
        let count = i32::try_from(timed.len()).ok().filter(|&count| count > 0)?;
        let average = timed.iter().copied().sum::<SignedDuration>() / count;
        let left = self
            .steps
            .iter()
            .filter(|row| matches!(row.state, StepState::Waiting | StepState::Running))
            .count();
        Some(average * i32::try_from(left).unwrap_or(i32::MAX))
    }

    /// The step rows that passed their gate.
    pub fn done(&self) -> usize {
        self.steps
            .iter()
            .filter(|row| row.state == StepState::Done)
            .count()
    }

    pub fn move_cursor(&mut self, by: isize) {
        let last = self.steps.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(by).min(last);
    }

    fn position(&self, step: usize) -> Option<usize> {
        self.steps.iter().position(|row| row.number == step)
    }

    fn row(&mut self, step: usize) -> Option<&mut StepRow> {
        self.steps.iter_mut().find(|row| row.number == step)
    }
}

fn rows(document: &Document) -> Vec<StepRow> {
    document
        .steps()
        .iter()
        .map(|step| StepRow {
            number: step.number(),
            what: describe(step),
            gateways: match step {
                Step::Wave { wave, .. } => Some(wave.gateways.len()),
                Step::Platform(_) => None,
            },
            state: StepState::Waiting,
            started: None,
            ended: None,
            detail: String::new(),
        })
        .collect()
}

/// A progress in words; `None` for the end (the gate says it).
fn progress_words(progress: &Progress) -> Option<String> {
    Some(match progress {
        Progress::Gateways {
            done,
            failed,
            gateways,
        } => {
            format!("{done}/{} done, {failed} failed", gateways.len())
        }
        Progress::Platform {
            message, percent, ..
        } => match percent {
            Some(percent) => format!("{percent}% {message}"),
            None => message.clone(),
        },
        Progress::Restarting { .. } => "the controller is restarting".into(),
        Progress::LoggedInAgain => "logged in again".into(),
        Progress::Finished { .. } => return None,
    })
}
