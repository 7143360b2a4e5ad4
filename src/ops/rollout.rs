//! Running a planned rollout wave by wave. Before each wave the controller is read again: the
//! HA peers of the wave's gateways must be up with their tunnels (the gate), and the wave is
//! checked by the planner against the controller's state at that moment, not the plan's
//! (gateways already on target are left out, so nothing is sent twice). Each wave is an
//! operation like any other ([`Runner`]): journalled, sent in as many requests as it needs,
//! followed and verified. Failed gateways count against the failure budget across waves; one
//! more than it tolerates stops the rollout before anything else is sent. The rollout's plan
//! and every gate go into the journal under the rollout's id.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use futures::StreamExt;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::api::Client;
use crate::api::poll::{PollSettings, Progress};
use crate::journal::{self, Gate, Journal, OperationId, Record, RolloutPlan, RolloutStep};
use crate::ops::verify::{self, Verdict};
use crate::ops::{Event, Job, Loaded, Prepared, Runner, refresh};
use crate::plan::request::{Request, Selection, scope};
use crate::plan::rollout::{Advance, Document, Wave};
use crate::plan::{Action, Severity, check, counted};
use crate::snapshot::{GatewayState, Snapshot};

/// What the operator can tell a running rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Start the next wave (when the policy waits for a key).
    Next,
    /// Stop once the calls in flight are answered.
    Abort,
}

/// What a rollout reports, in order.
#[derive(Debug)]
pub enum RolloutEvent {
    /// A line for the log.
    Note(String),
    /// The next wave waits for [`Control::Next`].
    WaitingForKey { wave: usize },
    /// A wave's operation moved.
    Progress { wave: usize, progress: Progress },
    /// A wave ended, verified gateway by gateway.
    WaveEnded { wave: usize, verdicts: Vec<Verdict> },
}

/// How a rollout ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutEnd {
    /// Every wave passed its gate.
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

impl Rollouts {
    /// Runs `document`, confirmed as `confirmation`, to its end.
    pub async fn run(
        &self,
        document: Document,
        confirmation: String,
        events: UnboundedSender<RolloutEvent>,
        control: UnboundedReceiver<Control>,
    ) -> RolloutEnd {
        let mut run = match Run::begin(self, &document, confirmation, events, control) {
            Ok(run) => run,
            Err(error) => return RolloutEnd::CannotGoOn(error),
        };
        let allowed = document
            .rollout
            .policy
            .failures_allowed(document.rollout.changing());
        let end = run.waves(self, &document, allowed).await;
        run.record_end(&end);
        end
    }

    /// Resumes the rollout `story` left unfinished. Every wave is taken again, narrowed to
    /// the gateways that still change: those that passed are not sent again (a wave already
    /// on target is only checked), a wave's gateways still running at the controller are
    /// followed, never sent twice, and the failed ones are retried. Failures count anew.
    pub async fn resume(
        &self,
        story: journal::RolloutStory,
        events: UnboundedSender<RolloutEvent>,
        control: UnboundedReceiver<Control>,
    ) -> RolloutEnd {
        let mut run = match Run::reopen(self, &story, events, control) {
            Ok(run) => run,
            Err(error) => return RolloutEnd::CannotGoOn(error),
        };
        let document = story.plan.document;
        run.note(format!("resuming rollout {}", story.id));
        let allowed = document
            .rollout
            .policy
            .failures_allowed(document.rollout.changing());
        let end = run.waves(self, &document, allowed).await;
        run.record_end(&end);
        end
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
}

impl Run {
    /// Opens the journal and records the plan; nothing is sent when that fails.
    fn begin(
        rollouts: &Rollouts,
        document: &Document,
        confirmation: String,
        events: UnboundedSender<RolloutEvent>,
        control: UnboundedReceiver<Control>,
    ) -> Result<Run, String> {
        let not_sent = |error: journal::JournalError| {
            format!("nothing was sent: the journal cannot be written ({error})")
        };
        let state_dir = rollouts.state_dir.as_deref().ok_or_else(|| {
            "nothing was sent: no state directory for the journal (set HOME or AVX_UPGRADE_STATE_DIR)"
                .to_owned()
        })?;
        let mut journal = Journal::open(state_dir, rollouts.client.base_url()).map_err(not_sent)?;
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
            .map_err(not_sent)?;
        Ok(Run {
            journal,
            id,
            confirmation,
            events,
            control,
            failed: 0,
        })
    }

    /// Reopens the journal of a rollout a crash left unfinished.
    fn reopen(
        rollouts: &Rollouts,
        story: &journal::RolloutStory,
        events: UnboundedSender<RolloutEvent>,
        control: UnboundedReceiver<Control>,
    ) -> Result<Run, String> {
        let state_dir = rollouts
            .state_dir
            .as_deref()
            .ok_or("no state directory for the journal (set HOME or AVX_UPGRADE_STATE_DIR)")?;
        let journal = Journal::open(state_dir, rollouts.client.base_url())
            .map_err(|error| format!("the journal cannot be written ({error})"))?;
        Ok(Run {
            journal,
            id: story.id.clone(),
            confirmation: story.plan.confirmation.clone(),
            events,
            control,
            failed: 0,
        })
    }

    fn note(&self, line: String) {
        let _ = self.events.send(RolloutEvent::Note(line));
    }

    /// Every wave of `document` in turn, until one stops the rollout; `allowed` failures are
    /// tolerated across the whole plan.
    async fn waves(
        &mut self,
        rollouts: &Rollouts,
        document: &Document,
        allowed: usize,
    ) -> RolloutEnd {
        let rollout = &document.rollout;
        for wave in &rollout.waves {
            if let Some(end) = self.wait_for(wave, document).await {
                return end;
            }
            let verdicts = match self.wave(rollouts, document, wave).await {
                Ok(verdicts) => verdicts,
                Err(end) => return end,
            };
            let failed = verdicts.iter().filter(|verdict| !verdict.passed()).count();
            self.failed += failed;
            let passed = self.failed <= allowed;
            let message = format!(
                "wave {}: {} of {} verified; {} failed so far, {allowed} tolerated",
                wave.number,
                verdicts.len() - failed,
                verdicts.len(),
                self.failed
            );
            self.gate(wave.number, passed, &message);
            self.note(message);
            if !passed {
                return RolloutEnd::Stopped(format!(
                    "the failure budget is spent: {} gateways failed, {allowed} tolerated",
                    self.failed
                ));
            }
        }
        match self.failed {
            0 => RolloutEnd::Done,
            failed => RolloutEnd::Stopped(format!(
                "every wave ran, but {} failed (within the budget of {allowed}): resume retries them",
                counted(failed, "gateway")
            )),
        }
    }

    /// Before a wave after the first: the soak, then a key when the policy asks for one.
    /// `Some` ends the rollout (aborted).
    async fn wait_for(&mut self, wave: &Wave, document: &Document) -> Option<RolloutEnd> {
        if wave.number == 1 {
            return None;
        }
        let policy = &document.rollout.policy;
        if !policy.soak.is_zero() {
            self.note(format!(
                "soaking {}s before wave {}",
                policy.soak.as_secs(),
                wave.number
            ));
            tokio::select! {
                () = tokio::time::sleep(policy.soak) => {}
                Some(Control::Abort) = self.control.recv() => return Some(RolloutEnd::Aborted),
            }
        }
        if let Ok(Control::Abort) = self.control.try_recv() {
            return Some(RolloutEnd::Aborted);
        }
        if policy.advance == Advance::Automatic {
            return None;
        }
        let _ = self
            .events
            .send(RolloutEvent::WaitingForKey { wave: wave.number });
        match self.control.recv().await {
            Some(Control::Next) => None,
            Some(Control::Abort) | None => Some(RolloutEnd::Aborted),
        }
    }

    /// One wave: read the controller, pass the gate, check with the planner, send, follow and
    /// verify. The verdicts, or how the rollout ends.
    async fn wave(
        &mut self,
        rollouts: &Rollouts,
        document: &Document,
        wave: &Wave,
    ) -> Result<Vec<Verdict>, RolloutEnd> {
        let loaded = self.settled(rollouts, wave).await?;
        if let Some(down) = peers_down(&loaded.snapshot, &wave.gateways) {
            let message = format!("wave {}: {down}", wave.number);
            self.gate(wave.number, false, &message);
            return Err(RolloutEnd::Stopped(message));
        }
        let Some(prepared) = self.prepare(&loaded, document, wave)? else {
            self.note(format!(
                "wave {}: every gateway already runs the target: nothing to send, checking them",
                wave.number
            ));
            return Ok(already_there(&loaded, document, wave));
        };
        self.note(format!(
            "wave {}{}: sending {}",
            wave.number,
            if wave.canary { " (canary)" } else { "" },
            counted(prepared.request.named().len(), "gateway")
        ));
        self.send_wave(rollouts, wave.number, prepared).await
    }

    /// The controller once none of the wave's gateways is running there: a wave sent before
    /// a crash, whose answer was never recorded, is followed to its end rather than sent again.
    async fn settled(&mut self, rollouts: &Rollouts, wave: &Wave) -> Result<Loaded, RolloutEnd> {
        let loaded = read(rollouts).await?;
        let running: Vec<String> = loaded
            .gateways_running
            .iter()
            .filter(|name| wave.gateways.contains(name))
            .cloned()
            .collect();
        if running.is_empty() {
            return Ok(loaded);
        }
        self.note(format!(
            "wave {}: {} already running at the controller: following them, not sending again",
            wave.number,
            counted(running.len(), "gateway")
        ));
        let client = Arc::clone(&rollouts.client);
        let mut events = Box::pin(crate::api::poll::gateways(client, running, rollouts.poll));
        while let Some(progress) = events.next().await {
            if let Progress::Finished { message, .. } = &progress {
                let line = format!(
                    "wave {}: the running gateways ended: {message}",
                    wave.number
                );
                self.note(line);
                break;
            }
        }
        read(rollouts).await
    }

    /// The wave's request as the planner sees it now, narrowed to the gateways that still
    /// change; `None` when none does. A blocker stops the rollout.
    fn prepare(
        &mut self,
        loaded: &Loaded,
        document: &Document,
        wave: &Wave,
    ) -> Result<Option<Box<Prepared>>, RolloutEnd> {
        let request = wave_request(document.rollout.action, &wave.gateways);
        let now = jiff::Timestamp::now();
        let stop = |error: String| RolloutEnd::Stopped(format!("wave {}: {error}", wave.number));
        let narrowed = scope(&loaded.snapshot, &loaded.catalog, &request)
            .map_err(|error| stop(error.to_string()))?;
        if narrowed.changes == 0 {
            return Ok(None);
        }
        let report = check(&loaded.snapshot, &loaded.catalog, &narrowed.request, now)
            .map_err(|error| stop(error.to_string()))?;
        if let Some(blocker) = report.with_severity(Severity::Blocker).next() {
            let message = format!("wave {}: {}", wave.number, blocker.reason());
            self.gate(wave.number, false, &message);
            return Err(RolloutEnd::Stopped(message));
        }
        let mut prepared = Prepared::new(&loaded.snapshot, &loaded.catalog, narrowed.request);
        prepared.confirmation = Some(self.confirmation.clone());
        prepared.rollout = Some(RolloutStep {
            rollout: self.id.to_string(),
            wave: u32::try_from(wave.number).unwrap_or(u32::MAX),
        });
        Ok(Some(Box::new(prepared)))
    }

    /// Sends the wave through a [`Runner`] and follows it to its verified end.
    async fn send_wave(
        &mut self,
        rollouts: &Rollouts,
        wave: usize,
        prepared: Box<Prepared>,
    ) -> Result<Vec<Verdict>, RolloutEnd> {
        let (sender, mut receiver) = unbounded_channel();
        let runner = Runner::new(
            Arc::clone(&rollouts.client),
            sender,
            rollouts.poll,
            rollouts.state_dir.clone(),
        );
        runner.spawn(Job::Start {
            operation: wave as u64,
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
                    return Err(RolloutEnd::Stopped(format!(
                        "wave {wave} was not started: {error}"
                    )));
                }
                Event::Verified {
                    verdicts: found, ..
                } => verdicts = found,
                Event::Progress {
                    progress: Progress::Finished { ok, message },
                    ..
                } => return self.ended(wave, ok, message, verdicts),
                Event::Progress { progress, .. } => {
                    let _ = self.events.send(RolloutEvent::Progress { wave, progress });
                }
                Event::JournalFailed { error, .. } => {
                    self.note(format!("the journal could not be written: {error}"))
                }
                _ => {}
            }
        }
        Err(RolloutEnd::CannotGoOn(format!(
            "wave {wave} was lost: its runner stopped"
        )))
    }

    /// A wave's end: its verdicts, or a stop when it could not be verified at all.
    fn ended(
        &mut self,
        wave: usize,
        ok: bool,
        message: String,
        verdicts: Vec<Verdict>,
    ) -> Result<Vec<Verdict>, RolloutEnd> {
        self.note(format!("wave {wave}: {message}"));
        if !ok && verdicts.is_empty() {
            return Err(RolloutEnd::Stopped(format!(
                "wave {wave} could not be verified: {message}"
            )));
        }
        let _ = self.events.send(RolloutEvent::WaveEnded {
            wave,
            verdicts: verdicts.clone(),
        });
        Ok(verdicts)
    }

    /// Records a gate; a journal that cannot be written is said, not hidden.
    fn gate(&mut self, wave: usize, passed: bool, message: &str) {
        let gate = Gate {
            wave: u32::try_from(wave).unwrap_or(u32::MAX),
            passed,
            message: message.to_owned(),
            failed: u32::try_from(self.failed).unwrap_or(u32::MAX),
        };
        if let Err(error) = self.journal.append(&Record::now(self.id.clone(), gate)) {
            self.note(format!("the journal could not be written: {error}"));
        }
    }

    /// Records the end of a rollout that is over (done or aborted) as its last gate (wave
    /// 0). A stopped rollout stays open: its last gate says why, and `resume` retries it.
    fn record_end(&mut self, end: &RolloutEnd) {
        match end {
            RolloutEnd::Done => self.gate(0, true, "done: every wave passed its gate"),
            RolloutEnd::Aborted => self.gate(0, false, "aborted by the operator"),
            RolloutEnd::Stopped(reason) => self.note(format!("stopped: {reason}; resume retries")),
            RolloutEnd::CannotGoOn(reason) => {
                self.note(format!("could not go on: {reason}; resume goes on"));
            }
        }
    }
}

/// The verdicts of a wave whose gateways all run the target already (a wave a crash cut
/// short after it was sent): each is checked as at the end of an operation — up, tunnels up,
/// on the target software and image.
fn already_there(loaded: &Loaded, document: &Document, wave: &Wave) -> Vec<Verdict> {
    let request = wave_request(document.rollout.action, &wave.gateways);
    let mut expected = verify::expectations(&loaded.snapshot, &loaded.catalog, &request);
    for gateway in &mut expected {
        gateway.tunnels_up = true;
    }
    verify::verify(&expected, &loaded.snapshot, &loaded.live)
}

/// The controller as it is now.
async fn read(rollouts: &Rollouts) -> Result<Loaded, RolloutEnd> {
    refresh(&rollouts.client)
        .await
        .map_err(|error| RolloutEnd::CannotGoOn(format!("the controller cannot be read: {error}")))
}

/// The gateway operation `action` of `gateways`, to the window's target.
fn wave_request(action: Action, gateways: &[String]) -> Request {
    let gateways = Selection::Named(gateways.to_vec());
    match action {
        Action::SoftwareRollback => Request::SoftwareRollback {
            gateways,
            target: None,
        },
        Action::ImageUpgrade => Request::ImageUpgrade { gateways },
        Action::SoftwareUpgrade | Action::PlatformUpgrade => Request::SoftwareUpgrade {
            gateways,
            target: None,
        },
    }
}

/// The first gateway of `wave` whose HA peer is not up with its tunnels, said in words.
fn peers_down(snapshot: &Snapshot, wave: &[String]) -> Option<String> {
    let in_wave: HashMap<&str, ()> = wave.iter().map(|name| (name.as_str(), ())).collect();
    wave.iter().find_map(|name| {
        let index = snapshot.index_of(name)?;
        let peer = &snapshot.gateways()[snapshot.peer_of(index)?];
        if in_wave.contains_key(peer.name.as_str()) {
            return None;
        }
        let healthy = peer.state == GatewayState::Up && peer.tunnels_up;
        (!healthy).then(|| {
            format!(
                "the HA peer {} of {name} is {} with tunnels {}: it cannot carry the traffic; fix it, then resume",
                peer.name,
                peer.state.name(),
                if peer.tunnels_up { "up" } else { "down" }
            )
        })
    })
}
