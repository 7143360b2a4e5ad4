//! Running a planned rollout step by step: its waves, and for a runbook across trains, the
//! platform hops between them. Before each step the controller is read again and the step is
//! checked by the planner against the controller's state at that moment, not the plan's.
//! A wave ([`wave`]) needs the HA peers of its gateways up with their tunnels (the gate), and
//! leaves out what is already on target, so nothing is sent twice; a hop ([`hop`]) needs the
//! controller on the version the hop starts from, survives the restart window and the
//! re-login, and passes only when the controller runs the hop's version. Each step is an
//! operation like any other ([`Runner`]): journalled, followed and verified. Failed gateways
//! count against the failure budget across waves; one more than it tolerates stops the
//! rollout before anything else is sent. The rollout's plan and every gate go into the
//! journal under the rollout's id.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::api::Client;
use crate::api::poll::{PollSettings, Progress};
use crate::journal::{self, Gate, Journal, OperationId, Record, RolloutPlan, RolloutStep, Skip};
use crate::ops::verify::Verdict;
use crate::ops::{Event, Job, Loaded, Prepared, Runner, refresh};
use crate::plan::counted;
use crate::plan::rollout::{Advance, Document, Step};

mod hop;
mod runner;
mod wave;

pub use runner::ControlSlot;

/// What the operator can tell a running rollout. Each takes effect between steps: a step
/// already sent runs to its gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// Start the next step (when the policy waits for a key, or the rollout is paused).
    Next,
    /// Wait for [`Control::Next`] before the next step, whatever the policy says.
    Pause,
    /// Leave this gateway out of every step not sent yet.
    Skip(String),
    /// Stop once the calls in flight are answered.
    Abort,
}

/// What a rollout reports, in order. `step` is a step's number: waves and platform hops are
/// numbered in one sequence.
#[derive(Debug)]
pub enum RolloutEvent {
    /// A line for the log.
    Note(String),
    /// A step starts: its number, and what it is in words (`wave 2`, `the platform upgrade
    /// to 7.1.4183`).
    Starting { step: usize, what: String },
    /// The next step waits for [`Control::Next`]; `paused` when a pause asked for it.
    WaitingForKey {
        step: usize,
        what: String,
        paused: bool,
    },
    /// A step's operation moved.
    Progress { step: usize, progress: Progress },
    /// A wave ended, verified gateway by gateway.
    WaveEnded { step: usize, verdicts: Vec<Verdict> },
    /// A step passed its gate (`true`) or stopped the rollout; `failed` gateways so far.
    Gate {
        step: usize,
        passed: bool,
        failed: usize,
    },
}

/// How a rollout ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutEnd {
    /// Every step passed its gate.
    Done,
    /// A gate, the failure budget or a blocker stopped it; nothing more was sent.
    Stopped(String),
    /// The operator aborted it.
    Aborted,
    /// It could not go on: the controller could not be read, or the journal written.
    CannotGoOn(String),
}

/// Where a rollout runs: the controller, the journal's directory, the polling.
pub struct Rollouts {
    pub client: Arc<Client>,
    pub state_dir: Option<PathBuf>,
    pub poll: PollSettings,
}

/// Where a rollout's events go and its controls come from.
pub struct Channels {
    pub events: UnboundedSender<RolloutEvent>,
    pub control: UnboundedReceiver<Control>,
}

impl Rollouts {
    /// Runs `document`, confirmed as `confirmation`, to its end.
    pub async fn run(
        &self,
        document: Document,
        confirmation: String,
        channels: Channels,
    ) -> RolloutEnd {
        match Run::begin(self, &document, confirmation, channels) {
            Ok(run) => run.through(self, &document).await,
            Err(error) => RolloutEnd::CannotGoOn(error),
        }
    }

    /// Resumes the rollout `story` left unfinished. Every step is taken again, narrowed to
    /// what still changes: gateways that passed are not sent again (a wave already on target
    /// is only checked), a wave's gateways still running at the controller are followed, never
    /// sent twice, the failed ones are retried, and a hop the controller already made is
    /// checked, not made again. Failures count anew.
    pub async fn resume(&self, story: journal::RolloutStory, channels: Channels) -> RolloutEnd {
        let run = match Run::reopen(self, &story, channels) {
            Ok(run) => run,
            Err(error) => return RolloutEnd::CannotGoOn(error),
        };
        run.note(format!("resuming rollout {}", story.id));
        run.through(self, &story.plan.document).await
    }
}

/// One rollout in progress.
struct Run {
    journal: Journal,
    id: OperationId,
    confirmation: String,
    events: UnboundedSender<RolloutEvent>,
    control: UnboundedReceiver<Control>,
    failed: usize,
    /// A pause was asked for: the next step waits for [`Control::Next`].
    paused: bool,
    /// Gateways the operator skipped: left out of every step not sent yet.
    skipped: HashSet<String>,
}

impl Run {
    /// Opens the journal and records the plan; nothing is sent when that fails.
    fn begin(
        rollouts: &Rollouts,
        document: &Document,
        confirmation: String,
        channels: Channels,
    ) -> Result<Run, String> {
        let not_sent = |error: String| format!("nothing was sent: {error}");
        let mut journal = open_journal(rollouts).map_err(not_sent)?;
        let now = jiff::Timestamp::now();
        let id = OperationId::new(now);
        let plan = RolloutPlan {
            document: document.clone(),
            controller_user: rollouts.client.user().to_owned(),
            local_user: journal::local_user(),
            confirmation: confirmation.clone(),
        };
        journal
            .append(&Record::new(id.clone(), now, plan))
            .map_err(|error| not_sent(format!("the journal cannot be written ({error})")))?;
        Ok(Run::new(journal, id, confirmation, channels))
    }

    /// Reopens the journal of a rollout a crash or a stop left unfinished.
    fn reopen(
        rollouts: &Rollouts,
        story: &journal::RolloutStory,
        channels: Channels,
    ) -> Result<Run, String> {
        let journal = open_journal(rollouts)?;
        let confirmation = story.plan.confirmation.clone();
        let mut run = Run::new(journal, story.id.clone(), confirmation, channels);
        run.skipped.extend(story.skipped.iter().cloned());
        Ok(run)
    }

    fn new(journal: Journal, id: OperationId, confirmation: String, channels: Channels) -> Run {
        Run {
            journal,
            id,
            confirmation,
            events: channels.events,
            control: channels.control,
            failed: 0,
            paused: false,
            skipped: HashSet::new(),
        }
    }

    fn note(&self, line: String) {
        self.say(RolloutEvent::Note(line));
    }

    fn say(&self, event: RolloutEvent) {
        // Nobody listens once the caller is gone; the journal still holds the story.
        let _ = self.events.send(event);
    }

    /// Every step, then the end recorded.
    async fn through(mut self, rollouts: &Rollouts, document: &Document) -> RolloutEnd {
        let end = self.steps(rollouts, document).await;
        self.record_end(&end);
        end
    }

    /// Every step of `document` in turn, until one stops the rollout.
    async fn steps(&mut self, rollouts: &Rollouts, document: &Document) -> RolloutEnd {
        let allowed = document.failures_allowed();
        for (position, step) in document.steps().into_iter().enumerate() {
            let what = describe(&step);
            if position > 0
                && let Some(end) = self.wait_for(step.number(), &what, document).await
            {
                return end;
            }
            self.say(RolloutEvent::Starting {
                step: step.number(),
                what,
            });
            let done = match step {
                Step::Wave { wave, to } => self.wave(rollouts, document, wave, to, allowed).await,
                Step::Platform(hop) => self.hop(rollouts, hop).await,
            };
            if let Err(end) = done {
                return end;
            }
        }
        if !self.skipped.is_empty() {
            let mut skipped: Vec<&str> = self.skipped.iter().map(String::as_str).collect();
            skipped.sort_unstable();
            self.note(format!(
                "skipped by the operator, not changed: {}",
                skipped.join(", ")
            ));
        }
        match self.failed {
            0 => RolloutEnd::Done,
            failed => RolloutEnd::Stopped(format!(
                "every step ran, but {} failed (within the budget of {allowed}): resume retries them",
                counted(failed, "gateway")
            )),
        }
    }

    /// Before a step after the first: the controls sent meanwhile, the soak, then a key when
    /// the policy or a pause asks for one. `Some` ends the rollout (aborted).
    async fn wait_for(
        &mut self,
        step: usize,
        what: &str,
        document: &Document,
    ) -> Option<RolloutEnd> {
        if self.take_controls() {
            return Some(RolloutEnd::Aborted);
        }
        let policy = &document.rollout.policy;
        if !policy.soak.is_zero() {
            self.note(format!("soaking {}s before {what}", policy.soak.as_secs()));
            let soak = tokio::time::sleep(policy.soak);
            tokio::pin!(soak);
            loop {
                tokio::select! {
                    () = &mut soak => break,
                    control = self.control.recv() => {
                        if self.obey(control) {
                            return Some(RolloutEnd::Aborted);
                        }
                    }
                }
            }
        }
        if self.take_controls() {
            return Some(RolloutEnd::Aborted);
        }
        if policy.advance == Advance::Automatic && !self.paused {
            return None;
        }
        self.say(RolloutEvent::WaitingForKey {
            step,
            what: what.to_owned(),
            paused: self.paused,
        });
        loop {
            let control = self.control.recv().await;
            if control == Some(Control::Next) {
                self.paused = false;
                return None;
            }
            if self.obey(control) {
                return Some(RolloutEnd::Aborted);
            }
        }
    }

    /// Obeys the controls already sent; `true` when one aborts the rollout.
    fn take_controls(&mut self) -> bool {
        while let Ok(control) = self.control.try_recv() {
            if self.obey(Some(control)) {
                return true;
            }
        }
        false
    }

    /// Obeys one control (`None`: nobody can send any more, which aborts); `true` when it
    /// aborts the rollout.
    fn obey(&mut self, control: Option<Control>) -> bool {
        match control {
            None | Some(Control::Abort) => return true,
            Some(Control::Next) => self.paused = false,
            Some(Control::Pause) => {
                self.paused = true;
                self.note("paused: the next step waits for resume".into());
            }
            Some(Control::Skip(name)) => self.skip(name),
        }
        false
    }

    /// Leaves `name` out of every step not sent yet, in the journal first.
    fn skip(&mut self, name: String) {
        let skip = Skip {
            gateway: name.clone(),
            by: journal::local_user(),
        };
        if let Err(error) = self.journal.append(&Record::now(self.id.clone(), skip)) {
            self.note(format!("the journal could not be written: {error}"));
        }
        self.note(format!(
            "{name} is skipped: no step not sent yet will take it"
        ));
        self.skipped.insert(name);
    }

    /// The journal's link from a step's operation to this rollout.
    fn step_of(&self, number: usize) -> RolloutStep {
        RolloutStep {
            rollout: self.id.to_string(),
            wave: u32::try_from(number).unwrap_or(u32::MAX),
        }
    }

    /// `prepared` as a step of this rollout, confirmed as the rollout was.
    fn as_step(&self, mut prepared: Prepared, number: usize) -> Box<Prepared> {
        prepared.confirmation = Some(self.confirmation.clone());
        prepared.rollout = Some(self.step_of(number));
        Box::new(prepared)
    }

    /// Sends a step's operation through a [`Runner`] and follows it to its end: whether it
    /// succeeded, the last message, and the gateways' verdicts (none for a platform hop).
    async fn dispatch(
        &mut self,
        rollouts: &Rollouts,
        step: usize,
        prepared: Box<Prepared>,
    ) -> Result<(bool, String, Vec<Verdict>), RolloutEnd> {
        let (sender, mut receiver) = unbounded_channel();
        let runner = Runner::new(
            Arc::clone(&rollouts.client),
            sender,
            rollouts.poll,
            rollouts.state_dir.clone(),
        );
        runner.spawn(Job::Start {
            operation: step as u64,
            prepared,
        });
        let mut verdicts = Vec::new();
        while let Some(event) = receiver.recv().await {
            match event {
                Event::StartFailed { error, .. }
                    if error.starts_with("nothing was sent: the journal") =>
                {
                    return Err(RolloutEnd::CannotGoOn(error));
                }
                Event::StartFailed { error, .. } => {
                    let message = format!("step {step} was not started: {error}");
                    self.gate(step, false, &message);
                    return Err(RolloutEnd::Stopped(message));
                }
                Event::Verified {
                    verdicts: found, ..
                } => verdicts = found,
                Event::Progress {
                    progress: Progress::Finished { ok, message },
                    ..
                } => return Ok((ok, message, verdicts)),
                Event::Progress { progress, .. } => {
                    self.say(RolloutEvent::Progress { step, progress });
                }
                Event::JournalFailed { error, .. } => {
                    self.note(format!("the journal could not be written: {error}"));
                }
                _ => {}
            }
        }
        Err(RolloutEnd::CannotGoOn(format!(
            "step {step} was lost: its runner stopped"
        )))
    }

    /// Records a gate and reports it; a journal that cannot be written is said, not hidden.
    fn gate(&mut self, step: usize, passed: bool, message: &str) {
        let gate = Gate {
            wave: u32::try_from(step).unwrap_or(u32::MAX),
            passed,
            message: message.to_owned(),
            failed: u32::try_from(self.failed).unwrap_or(u32::MAX),
        };
        if let Err(error) = self.journal.append(&Record::now(self.id.clone(), gate)) {
            self.note(format!("the journal could not be written: {error}"));
        }
        if step > 0 {
            self.say(RolloutEvent::Gate {
                step,
                passed,
                failed: self.failed,
            });
        }
    }

    /// Records the end of a rollout that is over (done or aborted) as its last gate (step
    /// 0). A stopped rollout stays open: its last gate says why, and `resume` retries it.
    fn record_end(&mut self, end: &RolloutEnd) {
        match end {
            RolloutEnd::Done => self.gate(0, true, "done: every step passed its gate"),
            RolloutEnd::Aborted => self.gate(0, false, "aborted by the operator"),
            RolloutEnd::Stopped(reason) if reason.contains("resume") => {
                self.note(format!("stopped: {reason}"));
            }
            RolloutEnd::Stopped(reason) => self.note(format!("stopped: {reason}; resume retries")),
            RolloutEnd::CannotGoOn(reason) => {
                self.note(format!("could not go on: {reason}; resume goes on"));
            }
        }
    }
}

/// A step in words ([`Step::describe`]).
pub fn describe(step: &Step<'_>) -> String {
    step.describe()
}

fn open_journal(rollouts: &Rollouts) -> Result<Journal, String> {
    let state_dir = rollouts
        .state_dir
        .as_deref()
        .ok_or(crate::journal::JournalError::NoStateDir.to_string())?;
    Journal::open(state_dir, rollouts.client.base_url())
        .map_err(|error| format!("the journal cannot be written ({error})"))
}

/// The controller as it is now.
async fn read(rollouts: &Rollouts) -> Result<Loaded, RolloutEnd> {
    refresh(&rollouts.client)
        .await
        .map_err(|error| RolloutEnd::CannotGoOn(format!("the controller cannot be read: {error}")))
}
