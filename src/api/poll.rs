//! Pollers: the controller's asynchronous protocols as streams of progress events.
//!
//! - [`platform`]: the 7.1+ flow, an initial wait then `platform_upgrade_status`;
//! - [`legacy_platform`]: the 6.5–7.0 flow, `check_upgrade_status` on backend1;
//! - [`task`]: `check_task_status` (`REQUEST_IN_PROGRESS` while running);
//! - [`gateways`]: `list_gateway_upgrade_status` for the selected gateways.
//!
//! Each poller is a plain loop in a task that sends events into the stream; dropping the
//! stream stops it. A restarting controller (HTML 502/503, dropped connections) is reported as
//! `Restarting` and polling goes on. Every stream ends with `Finished`.

use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use futures::channel::mpsc;
use futures::sink::SinkExt;
use tokio::time::Instant;

use crate::api::actions::{GatewayStatus, TaskState};
use crate::api::client::Client;
use crate::api::error::ApiError;

/// How often and how long to poll. The defaults follow the spec: every 10 s, 90 s before the
/// first platform poll, give up after 30 minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollSettings {
    pub interval: Duration,
    pub initial_wait: Duration,
    pub give_up_after: Duration,
}

impl Default for PollSettings {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(10),
            initial_wait: Duration::from_secs(90),
            give_up_after: Duration::from_secs(30 * 60),
        }
    }
}

/// One gateway's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayProgress {
    pub name: String,
    pub state: String,
    pub update_status: String,
    pub progress: Option<u8>,
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

/// Runs `poller` in a task and returns its events as a stream.
fn spawn<F, Fut>(poller: F) -> impl Stream<Item = Progress>
where
    F: FnOnce(Events) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (sender, receiver) = mpsc::channel(16);
    tokio::spawn(poller(sender));
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

    /// Waits one interval; false, after reporting it, once the deadline has passed.
    async fn next_poll(&self, events: &mut Events) -> bool {
        tokio::time::sleep(self.settings.interval).await;
        if !self.passed() {
            return true;
        }
        emit(events, self.gave_up()).await;
        false
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

fn restarting(error: &ApiError) -> Progress {
    Progress::Restarting {
        detail: error.to_string(),
    }
}

fn finished(ok: bool, message: impl Into<String>) -> Progress {
    Progress::Finished {
        ok,
        message: message.into(),
    }
}

/// Follows a platform upgrade with `platform_upgrade_status` (7.1+), then logs in again.
pub fn platform(client: Arc<Client>, settings: PollSettings) -> impl Stream<Item = Progress> {
    spawn(move |mut events| async move {
        let deadline = Deadline::new(settings);
        tokio::time::sleep(settings.initial_wait).await;
        loop {
            if deadline.passed() {
                emit(&mut events, deadline.gave_up()).await;
                return;
            }
            let event = match client.poll_platform_upgrade_status().await {
                Ok(status) if status.in_progress || status.status == "in progress" => {
                    Progress::Platform {
                        message: status.message,
                        phase: status.phase,
                        percent: status.percent,
                    }
                }
                Ok(status) if status.status == "complete" => {
                    let final_event = match client.login().await {
                        Ok(()) => {
                            emit(&mut events, Progress::LoggedInAgain).await;
                            finished(true, status.message)
                        }
                        Err(error) => finished(
                            false,
                            format!("the upgrade completed but logging in again failed: {error}"),
                        ),
                    };
                    emit(&mut events, final_event).await;
                    return;
                }
                Ok(status) => {
                    let detail = [status.reason, status.message]
                        .into_iter()
                        .find(|text| !text.is_empty());
                    let message = format!(
                        "the platform upgrade ended with status \"{}\": {}",
                        status.status,
                        detail.unwrap_or_else(|| "no reason given".into())
                    );
                    emit(&mut events, finished(false, message)).await;
                    return;
                }
                Err(error) if error.is_transient() => restarting(&error),
                Err(error) => {
                    emit(&mut events, finished(false, error.to_string())).await;
                    return;
                }
            };
            if !emit(&mut events, event).await {
                return;
            }
            tokio::time::sleep(settings.interval).await;
        }
    })
}

/// Follows a platform upgrade with `check_upgrade_status` (6.5–7.0), then logs in again.
pub fn legacy_platform(
    client: Arc<Client>,
    id: String,
    settings: PollSettings,
) -> impl Stream<Item = Progress> {
    spawn(move |mut events| async move {
        let deadline = Deadline::new(settings);
        loop {
            if !deadline.next_poll(&mut events).await {
                return;
            }
            let event = match client.legacy_upgrade_status(&id).await {
                Ok(status) if !status.done => Progress::Platform {
                    message: status.result,
                    phase: None,
                    percent: None,
                },
                Ok(status) => {
                    let ok = status.status && !status.result.starts_with("Error");
                    if ok && client.login().await.is_ok() {
                        emit(&mut events, Progress::LoggedInAgain).await;
                    }
                    emit(&mut events, finished(ok, status.result)).await;
                    return;
                }
                Err(error) if error.is_transient() => restarting(&error),
                Err(error) => {
                    emit(&mut events, finished(false, error.to_string())).await;
                    return;
                }
            };
            if !emit(&mut events, event).await {
                return;
            }
        }
    })
}

/// Follows an asynchronous request with `check_task_status`.
pub fn task(
    client: Arc<Client>,
    request_id: String,
    settings: PollSettings,
) -> impl Stream<Item = Progress> {
    spawn(move |mut events| async move {
        let deadline = Deadline::new(settings);
        loop {
            if !deadline.next_poll(&mut events).await {
                return;
            }
            let event = match client.task_status(&request_id).await {
                Ok(TaskState::InProgress) => continue,
                Ok(TaskState::Done(message)) => finished(true, message),
                Ok(TaskState::Failed(reason)) => finished(false, reason),
                Err(error) if error.is_transient() => restarting(&error),
                Err(error) => finished(false, error.to_string()),
            };
            let last = matches!(event, Progress::Finished { .. });
            if !emit(&mut events, event).await || last {
                return;
            }
        }
    })
}

/// Follows the selected gateways with `list_gateway_upgrade_status` until none is in progress.
pub fn gateways(
    client: Arc<Client>,
    names: Vec<String>,
    settings: PollSettings,
) -> impl Stream<Item = Progress> {
    spawn(move |mut events| async move {
        let deadline = Deadline::new(settings);
        loop {
            if !deadline.next_poll(&mut events).await {
                return;
            }
            let statuses = match client.gateway_upgrade_status().await {
                Ok(statuses) => statuses,
                Err(error) if error.is_transient() => {
                    if !emit(&mut events, restarting(&error)).await {
                        return;
                    }
                    continue;
                }
                Err(error) => {
                    emit(&mut events, finished(false, error.to_string())).await;
                    return;
                }
            };
            let (event, running) = gateway_event(&statuses, &names);
            if !emit(&mut events, event.clone()).await {
                return;
            }
            if !running {
                let Progress::Gateways { done, failed, .. } = event else {
                    return;
                };
                let missing = names.len().saturating_sub(done + failed);
                let message = match missing {
                    0 => format!("{done} of {} gateways done, {failed} failed", names.len()),
                    _ => format!(
                        "{done} of {} gateways done, {failed} failed, {missing} not listed by the controller",
                        names.len()
                    ),
                };
                emit(&mut events, finished(done == names.len(), message)).await;
                return;
            }
        }
    })
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
        .filter(|status| status.update_status == "upgrade_fail")
        .count();
    let done = selected
        .iter()
        .filter(|status| status.update_status == "complete")
        .count();
    let gateways = selected
        .iter()
        .map(|status| GatewayProgress {
            name: status.name.clone(),
            state: status.vpc_state.clone(),
            update_status: status.update_status.clone(),
            progress: status.progress,
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
