//! Orchestration, with its own vocabulary: [`Job`]s in, [`Event`]s out on a channel. Each job
//! runs in its own tokio task, so a screen never waits on the network, and nothing here knows
//! of one: the console wraps these words, and a command line can drive them too. A started
//! operation is followed by the poller that fits it until it ends. A gateway operation started
//! here is then verified against the controller ([`verify`]): what each gateway must reach was
//! prepared from the fleet the operator confirmed ([`Prepared`]), the fleet is read again at
//! the end, and the verdicts decide whether it succeeded. A large selection is sent as several
//! requests at once ([`start`]).

use std::path::PathBuf;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use tokio::sync::mpsc::UnboundedSender;

use crate::api::actions::{DryRun, gateway_name_cost};
use crate::api::poll::{PollSettings, Progress};
use crate::api::{ApiError, Client};
use crate::plan::chunks;
use crate::plan::request::Request;

pub mod in_flight;
mod live;
mod record;
mod refresh;
mod report;
mod resume;
pub mod rollout;
mod start;
pub mod support;
pub mod verify;

pub use live::Live;
pub use refresh::{Loaded, Reading, Taken, preflight, refresh};
pub use resume::Resumed;
pub use start::Prepared;

/// What `ops` is asked to do (by the console's `update`, or by a command line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Read versions, gateways, statuses and the catalog.
    Refresh,
    /// The controller's dry run of a request.
    DryRun(Box<Prepared>),
    /// Start a request (already checked and confirmed) and follow it as `operation`.
    Start {
        operation: u64,
        prepared: Box<Prepared>,
    },
    /// Follow an operation found running at the controller.
    Follow { operation: u64, follow: Follow },
    /// Write a support summary as `name` in the state directory ([`support::write`]).
    WriteSupportSummary { name: String, text: String },
    /// Run a rollout, confirmed as `confirmation` ([`rollout`]).
    StartRollout {
        document: Box<crate::plan::rollout::Document>,
        confirmation: String,
    },
    /// Resume the controller's unfinished rollout found in the journal.
    ResumeRollout,
    /// Tell the running rollout something.
    ControlRollout(rollout::Control),
    /// Look in the journal for the controller's unfinished rollout.
    FindRollout,
    /// Write the change record of the last finished operation or rollout ([`report`]).
    WriteReport,
    /// Keep the console's column choice in the config file (`None`: as many as fit).
    SaveColumns {
        config: PathBuf,
        columns: Option<Vec<String>>,
    },
}

/// An operation found running at the controller, not started here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Follow {
    Platform,
    Gateways(Vec<String>),
}

/// What `ops` reports back, in order, for each [`Job`].
#[derive(Debug)]
pub enum Event {
    /// How far the refresh under way has got.
    Reading(Reading),
    /// A refresh read everything.
    Loaded(Box<Loaded>),
    LoadFailed(String),
    DryRunDone {
        request: Request,
        result: Result<DryRun, String>,
    },
    /// The controller accepted an operation.
    Started {
        operation: u64,
    },
    /// One of the several requests of a large gateway operation was answered: accepted, or
    /// refused with the reason (its gateways then fail).
    RequestAnswered {
        operation: u64,
        number: usize,
        of: usize,
        gateways: usize,
        result: Result<(), String>,
    },
    StartFailed {
        operation: u64,
        error: String,
    },
    Progress {
        operation: u64,
        progress: Progress,
    },
    /// A gateway operation's outcome, gateway by gateway, checked against the controller; sent
    /// just before its `Finished` progress.
    Verified {
        operation: u64,
        verdicts: Vec<verify::Verdict>,
    },
    /// The journal holds the story of an operation found running: who started what, when.
    Resumed {
        operation: u64,
        resumed: Box<Resumed>,
    },
    /// The journal could not be written after requests were sent (they cannot be undone).
    JournalFailed {
        operation: u64,
        error: String,
    },
    /// Where the support summary was written, or why it was not.
    SupportSummaryWritten(Result<std::path::PathBuf, String>),
    /// Where the change record was written, or why it was not.
    ReportWritten(Result<std::path::PathBuf, String>),
    /// Whether the column choice was saved in the config file, or why not.
    ColumnsSaved(Result<PathBuf, String>),
    /// The running rollout moved.
    Rollout(rollout::RolloutEvent),
    /// The running rollout ended.
    RolloutEnded(rollout::RolloutEnd),
    /// The controller's unfinished rollout in the journal, if any, or why it could not be read.
    RolloutFound(Result<Option<Box<crate::journal::RolloutStory>>, String>),
}

/// Runs effects against one controller.
#[derive(Clone)]
pub struct Runner {
    client: Arc<Client>,
    messages: UnboundedSender<Event>,
    poll: PollSettings,
    /// Where the journal is kept; without one, nothing is sent.
    state_dir: Option<PathBuf>,
    /// Where controls for the running rollout go, while one runs.
    rollout_control: rollout::ControlSlot,
}

impl Runner {
    /// A runner for `client`; its journal goes in `state_dir` (see [`crate::paths::state_dir`]).
    pub fn new(
        client: Arc<Client>,
        messages: UnboundedSender<Event>,
        poll: PollSettings,
        state_dir: Option<PathBuf>,
    ) -> Self {
        Runner {
            client,
            messages,
            poll,
            state_dir,
            rollout_control: rollout::ControlSlot::default(),
        }
    }

    /// Starts `job` in the background.
    pub fn spawn(&self, job: Job) {
        let runner = self.clone();
        tokio::spawn(async move { runner.run(job).await });
    }

    async fn run(self, job: Job) {
        match job {
            Job::Refresh => {
                let messages = self.messages.clone();
                let progress: refresh::Progress = Arc::new(move |reading| {
                    // The console has quit when nobody receives.
                    let _ = messages.send(Event::Reading(reading));
                });
                let event = match refresh::refresh_reporting(&self.client, Some(progress)).await {
                    Ok(loaded) => Event::Loaded(Box::new(loaded)),
                    Err(error) => Event::LoadFailed(error.to_string()),
                };
                self.send(event);
            }
            Job::DryRun(prepared) => {
                let result = dry_run(&self.client, &prepared).await;
                let request = prepared.request;
                self.send(Event::DryRunDone { request, result });
            }
            Job::Start {
                operation,
                prepared,
            } => self.start(operation, *prepared).await,
            Job::WriteSupportSummary { name, text } => {
                let result = support::write_in_state_dir(&name, &text);
                self.send(Event::SupportSummaryWritten(result));
            }
            Job::Follow { operation, follow } => self.follow(operation, follow).await,
            Job::StartRollout {
                document,
                confirmation,
            } => self.start_rollout(*document, confirmation).await,
            Job::ResumeRollout => self.resume_rollout().await,
            Job::ControlRollout(control) => self.control_rollout(control),
            Job::FindRollout => self.send(Event::RolloutFound(self.find_rollout())),
            Job::WriteReport => {
                let result = match &self.state_dir {
                    Some(dir) => report::write_last(dir, self.client.base_url()),
                    None => Err(crate::journal::JournalError::NoStateDir.to_string()),
                };
                self.send(Event::ReportWritten(result));
            }
            Job::SaveColumns { config, columns } => {
                let saved = crate::config::edit::set_console_columns(&config, columns.as_deref())
                    .map(|()| config);
                self.send(Event::ColumnsSaved(saved));
            }
        }
    }

    fn send(&self, event: Event) {
        // The console has quit when nobody receives: the operation goes on at the controller.
        let _ = self.messages.send(event);
    }

    /// Reports a journal write that failed after requests went out.
    fn journal_failed(&self, operation: u64, written: Result<(), String>) {
        if let Err(error) = written {
            tracing::error!(%error, "journal not written");
            self.send(Event::JournalFailed { operation, error });
        }
    }

    fn progress(&self, operation: u64, progress: Progress) {
        self.send(Event::Progress {
            operation,
            progress,
        });
    }

    /// Sends the poller's events until it ends; returns its `Finished` event, unsent, or
    /// `None` when nobody listens any more or the stream ended without one.
    async fn forward(
        &self,
        operation: u64,
        mut events: impl Stream<Item = Progress> + Unpin,
    ) -> Option<Progress> {
        while let Some(progress) = events.next().await {
            if matches!(progress, Progress::Finished { .. }) {
                return Some(progress);
            }
            let event = Event::Progress {
                operation,
                progress,
            };
            self.messages.send(event).ok()?;
        }
        None
    }
}

/// The controller's dry run of a prepared request; a large gateway selection is checked in
/// as many requests as it is sent in, all at once, and their answers merged.
async fn dry_run(client: &Client, prepared: &Prepared) -> Result<DryRun, String> {
    let request = &prepared.request;
    if let Request::PlatformUpgrade { .. } = request {
        let target = prepared.platform_target()?;
        return client
            .platform_dry_run(target)
            .await
            .map_err(|error| error.to_string());
    }
    let budget = client.gateway_list_budget();
    let mut requests = chunks::pack(prepared.groups.clone(), budget, gateway_name_cost)
        .map_err(|error| error.to_string())?;
    if requests.is_empty() {
        requests.push(request.named().to_vec());
    }
    let answers = requests
        .iter()
        .map(|names| client.gateway_dry_run(request.action(), names));
    let answers = futures::future::join_all(answers).await;
    merge(answers).map_err(|error| error.to_string())
}

/// One dry run from the answers of several requests: blocked if any is, every finding once.
fn merge(answers: Vec<Result<DryRun, ApiError>>) -> Result<DryRun, ApiError> {
    let mut merged: Option<DryRun> = None;
    for answer in answers {
        let answer = answer?;
        let Some(all) = merged.as_mut() else {
            merged = Some(answer);
            continue;
        };
        all.blocked |= answer.blocked;
        for finding in answer.findings {
            if !all.findings.contains(&finding) {
                all.findings.push(finding);
            }
        }
    }
    merged.ok_or_else(|| ApiError::Config("a dry run of no gateway".into()))
}
