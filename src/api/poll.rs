//! Pollers: the controller's asynchronous protocols as streams of progress events.
//!
//! - [`platform`]: the 7.1+ flow, `platform_upgrade_status` from the first interval on;
//! - [`legacy_platform`]: the 6.5–7.0 flow, `check_upgrade_status` on backend1;
//! - [`task`]: `check_task_status` (`REQUEST_IN_PROGRESS` while running);
//! - [`gateways`]: `list_gateway_upgrade_status` for the selected gateways.
//!
//! Each poller is a step function (one poll: still running, or over) driven by one loop in a
//! task that sends events into the stream and owns the deadline; dropping the stream stops
//! it. The first poll comes one interval after the start. A restarting controller (HTML
//! 502/503, dropped connections) is reported as `Restarting` and polling goes on. Every stream
//! ends with `Finished`.
//!
//! The spec advises waiting 90 s before the first `platform_upgrade_status`, as the Terraform
//! provider does, because the status reads `complete` (the last upgrade's result) until the
//! controller has started the new task. A fixed wait is both too long (a fast upgrade can be
//! over, restart included, before it ends) and not a guarantee (a busy controller can start
//! later). So [`platform`] polls from the start and takes a `complete` as the end only once it
//! has seen the upgrade in progress, or the controller's version has changed from the one the
//! upgrade started on; until then it reports that the controller has not started yet.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use futures::channel::mpsc;
use futures::sink::SinkExt;
use tokio::time::Instant;

use crate::api::actions::{PlatformStatus, TaskState};
use crate::api::client::Client;
use crate::api::error::ApiError;
use crate::api::statuses::GatewayStatus;
use crate::snapshot::UpdateStatus;
use crate::version::Version;

/// How often and how long to poll. The defaults follow the spec: every 10 s, give up after 30
/// minutes. (The spec's 90 s wait before the first platform poll is not kept: see the module
/// documentation.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollSettings {
    pub interval: Duration,
    pub give_up_after: Duration,
}

impl Default for PollSettings {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(10),
            give_up_after: Duration::from_secs(30 * 60),
        }
    }
}

/// One gateway's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayProgress {
    pub name: String,
    pub state: String,
    pub update_status: UpdateStatus,
    pub progress: Option<u8>,
    /// The controller's message about the gateway's last operation (why it failed).
    pub message: Option<String>,
}

/// What a poller saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The platform upgrade runs: its message and, when given, phase and percentage.
    Platform {
        message: String,
        phase: Option<String>,
        percent: Option<u8>,
    },
    /// The controller is restarting or briefly unreachable: still polling.
    Restarting { detail: String },
    /// The selected gateways' statuses.
    Gateways {
        gateways: Vec<GatewayProgress>,
        done: usize,
        failed: usize,
    },
    /// Logged in again after the platform upgrade ended every session.
    LoggedInAgain,
    /// The operation ended.
    Finished { ok: bool, message: String },
}

type Events = mpsc::Sender<Progress>;

/// What one poll found.
enum Step {
    /// Still running: report this, if anything, and poll again after an interval.
    Running(Option<Progress>),
    /// Over: report these and stop.
    Over(Vec<Progress>),
}

/// One protocol's poll; [`follow`] is the loop around it.
trait Poll: Send + 'static {
    fn step(&mut self) -> impl Future<Output = Step> + Send;
}

/// The one polling loop: polls every interval, the first one an interval after the start,
/// until the poller is over, nobody listens, or the deadline passes (reported as a failure).
/// Returns the events as a stream; dropping it stops the loop.
fn follow(mut poller: impl Poll, settings: PollSettings) -> impl Stream<Item = Progress> {
    let (mut events, receiver) = mpsc::channel(16);
    tokio::spawn(async move {
        let deadline = Deadline::new(settings);
        loop {
            tokio::time::sleep(settings.interval).await;
            if deadline.passed() {
                emit(&mut events, deadline.gave_up()).await;
                return;
            }
            match poller.step().await {
                Step::Running(None) => {}
                Step::Running(Some(event)) => {
                    if !emit(&mut events, event).await {
                        return;
                    }
                }
                Step::Over(last) => {
                    for event in last {
                        emit(&mut events, event).await;
                    }
                    return;
                }
            }
        }
    });
    receiver
}

/// Sends `event`; false once nobody listens, which ends the poller.
async fn emit(events: &mut Events, event: Progress) -> bool {
    events.send(event).await.is_ok()
}

/// A deadline clock for one poller.
struct Deadline {
    started: Instant,
    settings: PollSettings,
}

impl Deadline {
    fn new(settings: PollSettings) -> Self {
        Self {
            started: Instant::now(),
            settings,
        }
    }

    fn passed(&self) -> bool {
        self.started.elapsed() >= self.settings.give_up_after
    }

    fn gave_up(&self) -> Progress {
        let seconds = self.settings.give_up_after.as_secs();
        Progress::Finished {
            ok: false,
            message: format!(
                "waited {}m{}s but the operation never finished: verify its status on the controller",
                seconds / 60,
                seconds % 60
            ),
        }
    }
}

/// A transient error keeps polling (the controller restarts); any other ends the operation.
fn on_error(error: &ApiError) -> Step {
    if error.is_transient() {
        return Step::Running(Some(Progress::Restarting {
            detail: error.to_string(),
        }));
    }
    Step::Over(vec![finished(false, error.to_string())])
}

fn finished(ok: bool, message: impl Into<String>) -> Progress {
    Progress::Finished {
        ok,
        message: message.into(),
    }
}

/// The end of a platform upgrade: log in again (it ended every session) when it succeeded.
async fn platform_over(client: &Client, ok: bool, message: String) -> Step {
    if !ok {
        return Step::Over(vec![finished(false, message)]);
    }
    match client.login().await {
        Ok(()) => Step::Over(vec![Progress::LoggedInAgain, finished(true, message)]),
        Err(error) => Step::Over(vec![finished(
            false,
            format!("the upgrade completed but logging in again failed: {error}"),
        )]),
    }
}

/// Where a platform upgrade stood when following it began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformStart {
    /// Just requested, on a controller running `from`: until the upgrade is seen in progress or
    /// the version changes, the status read is the last upgrade's.
    Requested { from: Version },
    /// Found running at the controller: already seen in progress.
    Running,
}

/// What the platform poller reports while the controller has not started the upgrade.
pub const NOT_STARTED_YET: &str = "the controller has not started the upgrade yet";

/// Follows a platform upgrade with `platform_upgrade_status` (7.1+), then logs in again.
pub fn platform(
    client: Arc<Client>,
    settings: PollSettings,
    start: PlatformStart,
) -> impl Stream<Item = Progress> {
    let unseen_from = match start {
        PlatformStart::Requested { from } => Some(from),
        PlatformStart::Running => None,
    };
    follow(
        Platform {
            client,
            unseen_from,
        },
        settings,
    )
}

struct Platform {
    client: Arc<Client>,
    /// The version the upgrade started on, until the upgrade has been seen in progress.
    unseen_from: Option<Version>,
}

impl Poll for Platform {
    async fn step(&mut self) -> Step {
        let status = match self.client.poll_platform_upgrade_status().await {
            Ok(status) => status,
            Err(error) => return on_error(&error),
        };
        if status.in_progress || status.status == "in progress" {
            self.unseen_from = None;
            return Step::Running(Some(Progress::Platform {
                message: status.message,
                phase: status.phase,
                percent: status.percent,
            }));
        }
        match self.unseen_from {
            Some(from) => self.not_seen_yet(from, status).await,
            None => platform_ended(&self.client, status).await,
        }
    }
}

impl Platform {
    /// A status that is not "in progress" before the upgrade was seen in progress: the end if
    /// the controller's version moved on from `from`; otherwise the last upgrade's result, and
    /// this one has not started yet.
    async fn not_seen_yet(&mut self, from: Version, status: PlatformStatus) -> Step {
        let current = match self.client.version_info().await {
            Ok(versions) => versions.current,
            Err(error) => return on_error(&error),
        };
        if current != from {
            self.unseen_from = None;
            return platform_ended(&self.client, status).await;
        }
        Step::Running(Some(Progress::Platform {
            message: not_started_message(&status),
            phase: None,
            percent: None,
        }))
    }
}

/// [`NOT_STARTED_YET`], with what the status still reads when it is not a plain `complete`.
fn not_started_message(status: &PlatformStatus) -> String {
    match status.status.as_str() {
        "" | "complete" => NOT_STARTED_YET.to_owned(),
        other => format!("{NOT_STARTED_YET} (the status still reads \"{other}\")"),
    }
}

/// The end of a platform upgrade seen running: `complete` succeeded, anything else failed.
async fn platform_ended(client: &Client, status: PlatformStatus) -> Step {
    if status.status == "complete" {
        return platform_over(client, true, status.message).await;
    }
    let detail = [status.reason, status.message]
        .into_iter()
        .find(|text| !text.is_empty());
    let message = format!(
        "the platform upgrade ended with status \"{}\": {}",
        status.status,
        detail.unwrap_or_else(|| "no reason given".into())
    );
    Step::Over(vec![finished(false, message)])
}

/// Follows a platform upgrade with `check_upgrade_status` (6.5–7.0), then logs in again.
pub fn legacy_platform(
    client: Arc<Client>,
    id: String,
    settings: PollSettings,
) -> impl Stream<Item = Progress> {
    follow(LegacyPlatform { client, id }, settings)
}

struct LegacyPlatform {
    client: Arc<Client>,
    id: String,
}

impl Poll for LegacyPlatform {
    async fn step(&mut self) -> Step {
        let status = match self.client.legacy_upgrade_status(&self.id).await {
            Ok(status) => status,
            Err(error) => return on_error(&error),
        };
        if !status.done {
            return Step::Running(Some(Progress::Platform {
                message: status.result,
                phase: None,
                percent: None,
            }));
        }
        let ok = status.status && !status.result.starts_with("Error");
        platform_over(&self.client, ok, status.result).await
    }
}

/// Follows an asynchronous request with `check_task_status`.
pub fn task(
    client: Arc<Client>,
    request_id: String,
    settings: PollSettings,
) -> impl Stream<Item = Progress> {
    follow(Task { client, request_id }, settings)
}

struct Task {
    client: Arc<Client>,
    request_id: String,
}

impl Poll for Task {
    async fn step(&mut self) -> Step {
        match self.client.task_status(&self.request_id).await {
            Ok(TaskState::InProgress) => Step::Running(None),
            Ok(TaskState::Done(message)) => Step::Over(vec![finished(true, message)]),
            Ok(TaskState::Failed(reason)) => Step::Over(vec![finished(false, reason)]),
            Err(error) => on_error(&error),
        }
    }
}

/// Follows the selected gateways with `list_gateway_upgrade_status` until none is in progress.
pub fn gateways(
    client: Arc<Client>,
    names: Vec<String>,
    settings: PollSettings,
) -> impl Stream<Item = Progress> {
    follow(Gateways { client, names }, settings)
}

struct Gateways {
    client: Arc<Client>,
    names: Vec<String>,
}

impl Poll for Gateways {
    async fn step(&mut self) -> Step {
        let statuses = match self.client.gateway_upgrade_status().await {
            Ok(statuses) => statuses,
            Err(error) => return on_error(&error),
        };
        let (event, running) = gateway_event(&statuses, &self.names);
        if running {
            return Step::Running(Some(event));
        }
        let Progress::Gateways { done, failed, .. } = event else {
            return Step::Over(vec![event]);
        };
        let total = self.names.len();
        let missing = total.saturating_sub(done + failed);
        let message = match missing {
            0 => format!("{done} of {total} gateways done, {failed} failed"),
            _ => format!(
                "{done} of {total} gateways done, {failed} failed, {missing} not listed by the controller"
            ),
        };
        Step::Over(vec![event, finished(done == total, message)])
    }
}

/// The selected gateways' progress, and whether any is still in progress.
fn gateway_event(statuses: &[GatewayStatus], names: &[String]) -> (Progress, bool) {
    let wanted: std::collections::HashSet<&str> = names.iter().map(String::as_str).collect();
    let selected: Vec<&GatewayStatus> = statuses
        .iter()
        .filter(|status| wanted.contains(status.name.as_str()))
        .collect();
    let running = selected.iter().any(|status| status.in_progress());
    let failed = selected
        .iter()
        .filter(|status| status.update_status == UpdateStatus::UpgradeFail)
        .count();
    let done = selected
        .iter()
        .filter(|status| status.update_status == UpdateStatus::Complete)
        .count();
    let gateways = selected
        .iter()
        .map(|status| GatewayProgress {
            name: status.name.clone(),
            state: status.vpc_state.clone(),
            update_status: status.update_status.clone(),
            progress: status.progress,
            message: status.reason(),
        })
        .collect();
    (
        Progress::Gateways {
            gateways,
            done,
            failed,
        },
        running,
    )
}
