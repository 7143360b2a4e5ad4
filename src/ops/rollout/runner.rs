//! Rollouts as the console runs them: [`Job::StartRollout`](crate::ops::Job) and its kin
//! through the [`Runner`], the rollout's events forwarded as [`Event`]s, and the controls
//! (pause, skip, next, abort) passed to the one rollout running.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::journal::{self, RolloutStory};
use crate::ops::rollout::{Channels, Control, RolloutEnd, Rollouts};
use crate::ops::{Event, Runner};
use crate::plan::rollout::Document;

/// Where the running rollout takes its controls; empty when none runs.
#[derive(Debug, Clone, Default)]
pub struct ControlSlot(Arc<Mutex<Option<UnboundedSender<Control>>>>);

impl ControlSlot {
    /// Takes the slot for a rollout about to run; `false` when one already holds it.
    fn claim(&self, sender: UnboundedSender<Control>) -> bool {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_some() {
            return false;
        }
        *slot = Some(sender);
        true
    }

    fn release(&self) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Sends `control` to the running rollout; `false` when none runs.
    fn send(&self, control: Control) -> bool {
        let slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        slot.as_ref()
            .is_some_and(|sender| sender.send(control).is_ok())
    }
}

impl Runner {
    fn rollouts(&self) -> Rollouts {
        Rollouts {
            client: Arc::clone(&self.client),
            state_dir: self.state_dir.clone(),
            poll: self.poll,
        }
    }

    /// Runs `document` to its end, forwarding its events.
    pub(in crate::ops) async fn start_rollout(&self, document: Document, confirmation: String) {
        let Some(channels) = self.rollout_channels() else {
            return self.already_running();
        };
        let end = self.rollouts().run(document, confirmation, channels).await;
        self.rollout_control.release();
        self.send(Event::RolloutEnded(end));
    }

    /// Resumes the controller's unfinished rollout, forwarding its events.
    pub(in crate::ops) async fn resume_rollout(&self) {
        let story = match self.find_rollout() {
            Ok(Some(story)) => story,
            Ok(None) => {
                let end = RolloutEnd::CannotGoOn("no unfinished rollout to resume".into());
                return self.send(Event::RolloutEnded(end));
            }
            Err(error) => return self.send(Event::RolloutEnded(RolloutEnd::CannotGoOn(error))),
        };
        let Some(channels) = self.rollout_channels() else {
            return self.already_running();
        };
        let end = self.rollouts().resume(*story, channels).await;
        self.rollout_control.release();
        self.send(Event::RolloutEnded(end));
    }

    fn already_running(&self) {
        let end = RolloutEnd::CannotGoOn("nothing was sent: a rollout already runs".into());
        self.send(Event::RolloutEnded(end));
    }

    pub(in crate::ops) fn control_rollout(&self, control: Control) {
        if !self.rollout_control.send(control) {
            tracing::info!("a control for a rollout that no longer runs");
        }
    }

    /// The controller's unfinished rollout in the journal.
    pub(in crate::ops) fn find_rollout(&self) -> Result<Option<Box<RolloutStory>>, String> {
        let Some(state_dir) = self.state_dir.as_deref() else {
            return Ok(None);
        };
        let path = journal::file_for(state_dir, self.client.base_url())
            .map_err(|error| error.to_string())?;
        journal::unfinished_rollout(&path)
            .map(|story| story.map(Box::new))
            .map_err(|error| format!("the journal cannot be read: {error}"))
    }

    /// The channels of a rollout about to run: its controls come through the slot, its
    /// events are forwarded as [`Event::Rollout`]; `None` when another rollout runs.
    fn rollout_channels(&self) -> Option<Channels> {
        let (control_sender, control) = unbounded_channel();
        if !self.rollout_control.claim(control_sender) {
            return None;
        }
        let (events, mut received) = unbounded_channel();
        let messages = self.messages.clone();
        tokio::spawn(async move {
            while let Some(event) = received.recv().await {
                if messages.send(Event::Rollout(event)).is_err() {
                    return;
                }
            }
        });
        Some(Channels { events, control })
    }
}
