//! Following an operation found running at the controller. When this machine's journal holds
//! its unfinished story (a console that quit, or a killed SSH session, started it), the
//! operation keeps its kind, target, gateways and real start time, is verified against the
//! state the journal recorded before it was sent, and its outcome completes the story.
//! Otherwise it is followed as the controller shows it, and said to be unverified.

use std::collections::HashSet;
use std::sync::Arc;

use futures::StreamExt;
use jiff::Timestamp;

use crate::api::poll::{self, PlatformStart, Progress};
use crate::journal::{self, Story};
use crate::ops::record::Recorder;
use crate::ops::start::not_started;
use crate::ops::verify::Verdict;
use crate::ops::{Event, Follow, Runner};
use crate::plan::request::Action;
use crate::version::Version;

/// What the journal says about an operation found running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resumed {
    pub action: Action,
    pub target: Option<Version>,
    /// Every gateway it was sent for (refused requests left out).
    pub gateways: Vec<String>,
    /// When the intent was written, just before the first request was sent.
    pub started: Timestamp,
    /// Who started it: the local user, and the controller account.
    pub local_user: String,
    pub controller_user: String,
}

impl Runner {
    /// Follows an operation found running, with its story from the journal when there is one.
    pub(super) async fn follow(&self, operation: u64, follow: Follow) {
        let story = self.story_of(&follow);
        if let Some(story) = &story {
            let resumed = Box::new(resumed(story));
            self.send(Event::Resumed { operation, resumed });
        }
        let events = match &follow {
            Follow::Platform => {
                poll::platform(Arc::clone(&self.client), self.poll, PlatformStart::Running).boxed()
            }
            Follow::Gateways(names) => {
                poll::gateways(Arc::clone(&self.client), names.clone(), self.poll).boxed()
            }
        };
        let Some(last) = self.forward(operation, events).await else {
            return;
        };
        let Some(story) = story else {
            return self.progress(operation, unverified(last));
        };
        let (last, verdicts) = match follow {
            Follow::Platform => (last, Vec::new()),
            Follow::Gateways(_) => {
                let (expected, refused) = expectations(&story);
                self.verify_end(operation, last, &expected, refused).await
            }
        };
        match self.reopen(&story) {
            Ok(mut recorder) => self.finish(operation, last, &mut recorder, &verdicts),
            Err(error) => {
                self.journal_failed(operation, Err(error));
                self.progress(operation, last);
            }
        }
    }

    fn reopen(&self, story: &Story) -> Result<Recorder, String> {
        let state_dir = self
            .state_dir
            .as_deref()
            .ok_or("no state directory for the journal")?;
        Recorder::resume(state_dir, self.client.base_url(), story)
    }

    /// The journal's unfinished operation, when it is the one found running: the platform
    /// upgrade, or a gateway operation on some of the gateways running.
    fn story_of(&self, follow: &Follow) -> Option<Story> {
        let state_dir = self.state_dir.as_deref()?;
        let path = journal::file_for(state_dir, self.client.base_url()).ok()?;
        let found = match journal::unfinished(&path) {
            Ok(found) => found,
            Err(error) => {
                tracing::warn!(%error, "the journal cannot be read");
                return None;
            }
        };
        if found.bad_line_count > 0 {
            tracing::warn!(bad_lines = found.bad_line_count, path = %path.display(), "the journal has unreadable lines");
        }
        found.story.filter(|story| matches(story, follow))
    }
}

fn matches(story: &Story, follow: &Follow) -> bool {
    match follow {
        Follow::Platform => story.operation.action == Action::PlatformUpgrade,
        Follow::Gateways(running) => {
            let running: HashSet<&str> = running.iter().map(String::as_str).collect();
            story.operation.action != Action::PlatformUpgrade
                && story
                    .operation
                    .gateways
                    .iter()
                    .any(|gateway| running.contains(gateway.name.as_str()))
        }
    }
}

fn resumed(story: &Story) -> Resumed {
    let refused = refused_names(story);
    let operation = &story.operation;
    Resumed {
        action: operation.action,
        target: operation.target,
        gateways: operation
            .gateways
            .iter()
            .map(|gateway| gateway.name.clone())
            .filter(|name| !refused.contains(name.as_str()))
            .collect(),
        started: story.started,
        local_user: operation.local_user.clone(),
        controller_user: operation.controller_user.clone(),
    }
}

/// The gateways of the requests the controller answered with a refusal.
fn refused_names(story: &Story) -> HashSet<&str> {
    story
        .calls
        .iter()
        .filter(|(_, answer)| answer.as_ref().is_some_and(|answer| !answer.accepted))
        .flat_map(|(call, _)| call.gateways.iter().map(String::as_str))
        .collect()
}

/// What to verify: the recorded gateways whose requests were not refused, and the refused
/// ones, failed with the controller's answer. A request whose answer was never recorded (the
/// console died while it was out) is verified like an accepted one: only the controller's
/// state says whether it took effect.
fn expectations(story: &Story) -> (Vec<crate::ops::verify::Expected>, Vec<Verdict>) {
    let mut refusal_of = std::collections::HashMap::new();
    for (call, answer) in &story.calls {
        let Some(answer) = answer.as_ref().filter(|answer| !answer.accepted) else {
            continue;
        };
        for name in &call.gateways {
            refusal_of.insert(name.as_str(), answer.message.as_str());
        }
    }
    let (refused, expected): (Vec<_>, Vec<_>) = story
        .operation
        .gateways
        .iter()
        .cloned()
        .partition(|gateway| refusal_of.contains_key(gateway.name.as_str()));
    let refused = refused
        .into_iter()
        .map(|gateway| {
            let reason = refusal_of.get(gateway.name.as_str()).copied().unwrap_or("");
            not_started(gateway.name, reason)
        })
        .collect();
    (expected, refused)
}

/// The end of an operation this machine has no record of: its before-state is unknown, so it
/// cannot be verified, and the end says so.
fn unverified(last: Progress) -> Progress {
    let Progress::Finished { ok, message } = last else {
        return last;
    };
    Progress::Finished {
        ok,
        message: format!(
            "{message}; not verified: this machine's journal has no record of it (started elsewhere), so its state before is unknown"
        ),
    }
}
