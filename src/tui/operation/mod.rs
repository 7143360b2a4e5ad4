//! One operation's life as the console follows it: requested, running (or the controller
//! restarting), then succeeded or failed. A gateway operation's verdict follows the
//! verification of each gateway against the controller ([`Operation::verified`]), not the job
//! status alone. It remembers when progress last moved, so a wait that has run well past its
//! estimate is called a stall ([`Operation::stall`]) and the estimate is dropped once it has run
//! out. Pure: events and the clock come in as arguments.

use std::collections::{HashMap, HashSet};

use jiff::{SignedDuration, Timestamp};

use crate::api::poll::{GatewayProgress, Progress};
use crate::ops::Resumed;
use crate::ops::verify::Verdict;
use crate::plan::request::Action;
use crate::snapshot::UpdateStatus;

/// At most this many log lines are kept.
const LOG_LINES: usize = 500;

/// What a wait is expected to take when the pace gives no estimate yet, and the least expected.
const DEFAULT_EXPECTED: SignedDuration = SignedDuration::from_secs(3 * 60);
const LEAST_EXPECTED: SignedDuration = SignedDuration::from_secs(60);
/// A stall is this many times the expected wait, and never shorter than [`LEAST_STALL`].
const STALL_FACTOR: i32 = 3;
const LEAST_STALL: SignedDuration = SignedDuration::from_secs(5 * 60);

/// Progress has not moved for `stalled`, although `expected` was the estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stall {
    pub stalled: SignedDuration,
    pub expected: SignedDuration,
}

/// Where the operation is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Sent; the controller has not answered yet.
    Requesting,
    Running,
    /// The controller restarts (503 or dropped connections); polling goes on.
    Restarting,
    Succeeded(String),
    Failed(String),
}

/// An operation the console started or found running.
#[derive(Debug, Clone)]
pub struct Operation {
    pub id: u64,
    pub action: Action,
    /// e.g. "Software Upgrade to 7.1.2100".
    pub title: String,
    pub gateways: Vec<String>,
    pub done: usize,
    pub failed: usize,
    pub phase: Phase,
    /// The platform upgrade's own phase and percentage, when the controller gives them.
    pub step: Option<String>,
    pub percent: Option<u8>,
    /// The controller's latest message about it.
    pub message: String,
    pub started: Timestamp,
    pub ended: Option<Timestamp>,
    pub log: Vec<(Timestamp, String)>,
    /// The gateways that failed verification, with the reason, once the operation has ended.
    pub failures: Vec<(String, String)>,
    statuses: HashMap<String, UpdateStatus>,
    /// When progress (phase, percentage, message, counts or a gateway status) last moved.
    moved_at: Timestamp,
    /// The time left as estimated from the pace when progress last moved.
    estimate: Option<SignedDuration>,
}

impl Operation {
    /// An operation this console is about to send.
    pub fn new(
        id: u64,
        action: Action,
        title: String,
        gateways: Vec<String>,
        now: Timestamp,
    ) -> Self {
        Self::opened(id, action, (title, gateways), now, "sent to the controller")
    }

    /// The journal's story of this operation, found running: it takes the journal's kind,
    /// target, gateways and start time.
    pub fn resumed(&mut self, now: Timestamp, resumed: &Resumed) {
        self.action = resumed.action;
        self.title = match resumed.target {
            Some(target) => format!("{} to {target}", resumed.action.title()),
            None => resumed.action.title().to_owned(),
        };
        if !resumed.gateways.is_empty() {
            self.gateways = resumed.gateways.clone();
        }
        self.started = resumed.started;
        let started = resumed.started.strftime("%H:%M:%S");
        let line = format!(
            "journal: {} (as {}) started it at {started}; it is verified at its end",
            resumed.local_user, resumed.controller_user,
        );
        self.note(now, line);
    }

    /// An operation found running at the controller, which this console did not send.
    pub fn found(
        id: u64,
        action: Action,
        title: String,
        gateways: Vec<String>,
        now: Timestamp,
    ) -> Self {
        let mut operation = Self::opened(
            id,
            action,
            (title, gateways),
            now,
            "found running at the controller",
        );
        operation.phase = Phase::Running;
        operation
    }

    /// A new operation whose log starts with "<title>: <how>".
    fn opened(
        id: u64,
        action: Action,
        (title, gateways): (String, Vec<String>),
        now: Timestamp,
        how: &str,
    ) -> Self {
        let first_line = format!("{title}: {how}");
        let mut operation = Operation {
            id,
            action,
            title,
            gateways,
            done: 0,
            failed: 0,
            phase: Phase::Requesting,
            step: None,
            percent: None,
            message: String::new(),
            started: now,
            ended: None,
            log: Vec::new(),
            failures: Vec::new(),
            statuses: HashMap::new(),
            moved_at: now,
            estimate: None,
        };
        operation.note(now, first_line);
        operation
    }

    /// Gateways concerned; a platform upgrade counts as one unit of work.
    pub fn total(&self) -> usize {
        self.gateways.len().max(1)
    }

    pub fn is_running(&self) -> bool {
        matches!(
            self.phase,
            Phase::Requesting | Phase::Running | Phase::Restarting
        )
    }

    pub fn note(&mut self, now: Timestamp, line: String) {
        if self.log.len() == LOG_LINES {
            self.log.remove(0);
        }
        self.log.push((now, line));
    }

    /// The controller took the request.
    pub fn started(&mut self, now: Timestamp) {
        if self.phase == Phase::Requesting {
            self.phase = Phase::Running;
            self.note(now, "the controller accepted the request".into());
            self.moved(now);
        }
    }

    /// One of the several requests of a large gateway operation was answered.
    pub fn request_answered(
        &mut self,
        now: Timestamp,
        (number, of, gateways): (usize, usize, usize),
        result: Result<(), String>,
    ) {
        let line = match result {
            Ok(()) => format!("request {number} of {of} ({gateways} gateways): accepted"),
            Err(error) => format!(
                "request {number} of {of} ({gateways} gateways): REFUSED, its gateways fail: {error}"
            ),
        };
        self.note(now, line);
        self.moved(now);
    }

    /// The request was refused or could not be sent.
    pub fn start_failed(&mut self, now: Timestamp, error: String) {
        self.note(now, format!("not started: {error}"));
        self.finish(now, Phase::Failed(error));
    }

    /// Applies one poller event; returns the gateways whose status changed.
    pub fn progress(&mut self, now: Timestamp, progress: Progress) -> Vec<GatewayProgress> {
        if !self.is_running() {
            return Vec::new();
        }
        let before = self.position();
        let changed = self.apply(now, progress);
        if !changed.is_empty() || self.position() != before {
            self.moved(now);
        }
        changed
    }

    /// What progress is made of, to tell whether it moved.
    fn position(&self) -> (Phase, Option<String>, Option<u8>, String, usize, usize) {
        (
            self.phase.clone(),
            self.step.clone(),
            self.percent,
            self.message.clone(),
            self.done,
            self.failed,
        )
    }

    /// Progress moved at `now`: the stall clock restarts and the pace gives a new estimate.
    fn moved(&mut self, now: Timestamp) {
        self.moved_at = now;
        self.estimate = self.pace(now);
    }

    fn apply(&mut self, now: Timestamp, progress: Progress) -> Vec<GatewayProgress> {
        match progress {
            Progress::Platform {
                message,
                phase,
                percent,
            } => {
                self.platform(now, message, phase, percent);
                Vec::new()
            }
            Progress::Restarting { detail } => {
                if self.phase != Phase::Restarting {
                    self.note(
                        now,
                        format!("controller restarting: still polling ({detail})"),
                    );
                }
                self.phase = Phase::Restarting;
                Vec::new()
            }
            Progress::Gateways {
                gateways,
                done,
                failed,
            } => {
                self.phase = Phase::Running;
                self.done = done;
                self.failed = failed;
                self.gateway_changes(now, gateways)
            }
            Progress::LoggedInAgain => {
                self.note(now, "logged in again after the controller restarted".into());
                Vec::new()
            }
            Progress::Finished { ok, message } => {
                let outcome = if ok { "done" } else { "FAILED" };
                self.note(now, format!("{outcome}: {message}"));
                if ok && self.action == Action::PlatformUpgrade {
                    self.done = 1;
                    self.percent = Some(100);
                }
                let phase = if ok {
                    Phase::Succeeded(message)
                } else {
                    Phase::Failed(message)
                };
                self.finish(now, phase);
                Vec::new()
            }
        }
    }

    fn platform(
        &mut self,
        now: Timestamp,
        message: String,
        step: Option<String>,
        percent: Option<u8>,
    ) {
        if self.phase == Phase::Restarting {
            self.note(now, "the controller answers again".into());
        }
        self.phase = Phase::Running;
        // A new phase is logged; progress within a phase shows in the gauge. Controllers before
        // 7.1 give no phase or percentage, only "Installing … 40%": the words before the
        // percentage stand for the phase, and the percentage feeds the gauge.
        let (words, in_message) = split_percent(&message);
        let changed =
            step != self.step || (step.is_none() && split_percent(&self.message).0 != words);
        if changed && !message.is_empty() {
            let line = match &step {
                Some(step) => format!("phase {step}: {message}"),
                None => message.clone(),
            };
            self.note(now, line);
        }
        self.message = message;
        self.step = step;
        self.percent = percent.or(in_message).or(self.percent);
    }

    fn gateway_changes(
        &mut self,
        now: Timestamp,
        gateways: Vec<GatewayProgress>,
    ) -> Vec<GatewayProgress> {
        let mut changed = Vec::new();
        for gateway in gateways {
            let before = self.statuses.get(&gateway.name);
            if before == Some(&gateway.update_status) {
                continue;
            }
            self.statuses
                .insert(gateway.name.clone(), gateway.update_status.clone());
            let line = match &gateway.message {
                Some(reason) => format!(
                    "{}: {} ({reason})",
                    gateway.name,
                    describe(&gateway.update_status)
                ),
                None => format!("{}: {}", gateway.name, describe(&gateway.update_status)),
            };
            self.note(now, line);
            changed.push(gateway);
        }
        changed
    }

    /// Each gateway's outcome, checked against the controller: the counts follow it, and
    /// every failure is logged with its reason.
    pub fn verified(&mut self, now: Timestamp, verdicts: Vec<Verdict>) {
        if !self.is_running() {
            return;
        }
        self.failures = verdicts
            .into_iter()
            .filter_map(|verdict| Some((verdict.name, verdict.failure?)))
            .collect();
        self.failed = self.failures.len();
        self.done = self.total().saturating_sub(self.failed);
        let lines: Vec<String> = self
            .failures
            .iter()
            .map(|(name, reason)| format!("{name}: FAILED: {reason}"))
            .collect();
        for line in lines {
            self.note(now, line);
        }
    }

    /// The gateways whose last status from the controller is `complete` and that did not fail
    /// verification.
    pub fn completed(&self) -> Vec<String> {
        let failed: HashSet<&str> = self
            .failures
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        self.statuses
            .iter()
            .filter(|(name, status)| {
                **status == UpdateStatus::Complete && !failed.contains(name.as_str())
            })
            .map(|(name, _)| name.clone())
            .collect()
    }

    fn finish(&mut self, now: Timestamp, phase: Phase) {
        self.phase = phase;
        self.ended = Some(now);
    }

    pub fn elapsed(&self, now: Timestamp) -> SignedDuration {
        self.ended.unwrap_or(now).duration_since(self.started)
    }

    /// The time left: the estimate made when progress last moved, counted down since. `None`
    /// until something finished, and once the estimate has run out.
    pub fn remaining(&self, now: Timestamp) -> Option<SignedDuration> {
        if !self.is_running() {
            return None;
        }
        let left = self.estimate? - now.duration_since(self.moved_at);
        left.is_positive().then_some(left)
    }

    /// Progress has not moved for well past what was expected: [`STALL_FACTOR`] times the
    /// estimate made when it last moved, and at least [`LEAST_STALL`].
    pub fn stall(&self, now: Timestamp) -> Option<Stall> {
        if !self.is_running() {
            return None;
        }
        let stalled = now.duration_since(self.moved_at);
        let expected = self
            .estimate
            .unwrap_or(DEFAULT_EXPECTED)
            .max(LEAST_EXPECTED);
        let threshold = (expected * STALL_FACTOR).max(LEAST_STALL);
        (stalled > threshold).then_some(Stall { stalled, expected })
    }

    /// When progress last moved.
    pub fn moved_at(&self) -> Timestamp {
        self.moved_at
    }

    /// The time left from the pace so far.
    fn pace(&self, now: Timestamp) -> Option<SignedDuration> {
        if !self.is_running() {
            return None;
        }
        let elapsed = self.elapsed(now).as_secs_f64();
        let fraction = match self.action {
            Action::PlatformUpgrade => f64::from(self.percent?) / 100.0,
            _ => (self.done + self.failed) as f64 / self.total() as f64,
        };
        if fraction <= 0.0 || fraction >= 1.0 {
            return None;
        }
        Some(SignedDuration::from_secs_f64(
            elapsed * (1.0 - fraction) / fraction,
        ))
    }

    /// Done (or failed) work as a fraction, for the gauge.
    pub fn ratio(&self) -> f64 {
        let ratio = match self.action {
            Action::PlatformUpgrade => f64::from(self.percent.unwrap_or(0)) / 100.0,
            _ => (self.done + self.failed) as f64 / self.total() as f64,
        };
        ratio.clamp(0.0, 1.0)
    }
}

/// A phase in words, for the support summary.
pub fn describe_phase(phase: &Phase) -> String {
    match phase {
        Phase::Requesting => "sent, no answer yet".into(),
        Phase::Running => "running".into(),
        Phase::Restarting => "controller restarting".into(),
        Phase::Succeeded(message) => format!("done: {message}"),
        Phase::Failed(message) => format!("FAILED: {message}"),
    }
}

/// A progress message without its trailing percentage, and the percentage:
/// `"Installing UserConnect-7.1.4183 ... 40%"` gives `("Installing UserConnect-7.1.4183", Some(40))`.
fn split_percent(message: &str) -> (&str, Option<u8>) {
    let trimmed = message.trim_end();
    let Some(number) = trimmed.strip_suffix('%') else {
        return (trimmed, None);
    };
    let digits = number.len() - number.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (head, value) = number.split_at(number.len() - digits);
    let percent = value.parse::<u8>().ok().filter(|&p| p <= 100);
    let words = head.trim_end().trim_end_matches('.').trim_end();
    match percent {
        Some(_) => (words, percent),
        None => (trimmed, None),
    }
}

/// A controller update status in words.
pub fn describe(update_status: &UpdateStatus) -> &str {
    match update_status {
        UpdateStatus::None => "no status",
        other => other.label(),
    }
}

#[cfg(test)]
mod tests;
