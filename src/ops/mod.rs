//! Orchestration: turns the console's [`Effect`]s into controller calls and reports back as
//! [`Msg`]s on a channel. Each effect runs in its own tokio task, so the screen never waits
//! on the network. A started operation is followed by the poller that fits it until it ends.

use std::sync::Arc;

use futures::{Stream, StreamExt};
use tokio::sync::mpsc::UnboundedSender;

use crate::api::actions::{DryRun, GatewayStatus, Started};
use crate::api::poll::{self, PollSettings, Progress};
use crate::api::{ApiError, Client};
use crate::catalog::Catalog;
use crate::plan::request::{Request, Selection};
use crate::snapshot::Snapshot;
use crate::tui::action::{Effect, Follow, Loaded, Msg};
use crate::tui::fleet::Live;
use crate::version::Train;

/// The first train whose platform upgrade is followed with `platform_upgrade_status`.
const STATUS_API_TRAIN: Train = Train { major: 7, minor: 1 };

/// Runs effects against one controller.
#[derive(Clone)]
pub struct Runner {
    client: Arc<Client>,
    messages: UnboundedSender<Msg>,
    poll: PollSettings,
}

impl Runner {
    pub fn new(client: Arc<Client>, messages: UnboundedSender<Msg>, poll: PollSettings) -> Self {
        Runner {
            client,
            messages,
            poll,
        }
    }

    /// Starts `effect` in the background.
    pub fn spawn(&self, effect: Effect) {
        let runner = self.clone();
        tokio::spawn(async move { runner.run(effect).await });
    }

    async fn run(self, effect: Effect) {
        match effect {
            Effect::Refresh => {
                let msg = match refresh(&self.client).await {
                    Ok(loaded) => Msg::Loaded(Box::new(loaded)),
                    Err(error) => Msg::LoadFailed(error.to_string()),
                };
                self.send(msg);
            }
            Effect::DryRun(request) => {
                let result = dry_run(&self.client, &request)
                    .await
                    .map_err(|error| error.to_string());
                self.send(Msg::DryRunDone { request, result });
            }
            Effect::Start { operation, request } => self.start(operation, request).await,
            Effect::Follow { operation, follow } => {
                let events = match follow {
                    Follow::Platform => {
                        poll::platform(Arc::clone(&self.client), self.resumed()).boxed()
                    }
                    Follow::Gateways(names) => {
                        poll::gateways(Arc::clone(&self.client), names, self.poll).boxed()
                    }
                };
                self.forward(operation, events).await;
            }
        }
    }

    /// Polling settings for an upgrade already running: no initial wait.
    fn resumed(&self) -> PollSettings {
        PollSettings {
            initial_wait: std::time::Duration::ZERO,
            ..self.poll
        }
    }

    fn send(&self, msg: Msg) {
        // The console has quit when nobody receives: the operation goes on at the controller.
        let _ = self.messages.send(msg);
    }

    async fn start(&self, operation: u64, request: Request) {
        let started = match &request {
            Request::PlatformUpgrade { target } => self.start_platform(*target).await,
            _ => self.start_gateways(&request).await,
        };
        match started {
            Ok(events) => {
                self.send(Msg::Started { operation });
                self.forward(operation, events).await;
            }
            Err(error) => {
                tracing::warn!(%error, "operation not started");
                self.send(Msg::StartFailed {
                    operation,
                    error: error.to_string(),
                });
            }
        }
    }

    async fn start_platform(
        &self,
        target: Option<crate::version::Target>,
    ) -> Result<futures::stream::BoxStream<'static, Progress>, ApiError> {
        let versions = self.client.version_info().await?;
        let started = self.client.start_platform_upgrade(target).await?;
        let client = Arc::clone(&self.client);
        let events = match started {
            Started::RequestId(id)
                if versions.current.train() < STATUS_API_TRAIN && !id.is_empty() =>
            {
                poll::legacy_platform(client, id, self.poll).boxed()
            }
            _ => poll::platform(client, self.poll).boxed(),
        };
        Ok(events)
    }

    async fn start_gateways(
        &self,
        request: &Request,
    ) -> Result<futures::stream::BoxStream<'static, Progress>, ApiError> {
        let names = named(request);
        self.client
            .start_gateway_operation(request.action(), &names)
            .await?;
        Ok(poll::gateways(Arc::clone(&self.client), names, self.poll).boxed())
    }

    async fn forward(&self, operation: u64, mut events: impl Stream<Item = Progress> + Unpin) {
        while let Some(progress) = events.next().await {
            let last = matches!(progress, Progress::Finished { .. });
            if self
                .messages
                .send(Msg::Progress {
                    operation,
                    progress,
                })
                .is_err()
                || last
            {
                return;
            }
        }
    }
}

fn named(request: &Request) -> Vec<String> {
    match request.selection() {
        Some(Selection::Named(names)) => names.clone(),
        _ => Vec::new(),
    }
}

/// The controller's dry run of `request`.
async fn dry_run(client: &Client, request: &Request) -> Result<DryRun, ApiError> {
    match request {
        Request::PlatformUpgrade { target } => client.platform_dry_run(*target).await,
        _ => {
            client
                .gateway_dry_run(request.action(), &named(request))
                .await
        }
    }
}

/// Reads everything the two windows show.
pub async fn refresh(client: &Client) -> Result<Loaded, ApiError> {
    let (controller, no_checklist) = client.controller().await?;
    if let Some(error) = no_checklist {
        tracing::info!(%error, "no checklist from the controller: read its backup settings");
    }
    let platform_running = platform_running(client).await?;
    // The two large answers (about 80 and 60 MB at 100,000 gateways) one after the other, so
    // only one answer's body is in memory at a time.
    let fleet = client.gateways().await?;
    let statuses = client.gateway_upgrade_status().await?;
    let catalog = match client.release_catalog().await {
        Ok(catalog) => catalog,
        Err(error) => {
            tracing::info!(%error, "the controller offers no release catalog: using the built-in one");
            Catalog::builtin().map_err(|error| ApiError::Decode {
                action: "built-in catalog".into(),
                detail: error.to_string(),
            })?
        }
    };
    let skipped = fleet
        .skipped
        .iter()
        .map(|skipped| format!("{} ({})", skipped.name, skipped.reason))
        .collect();
    let snapshot = Snapshot::new(controller, fleet.gateways).map_err(|error| ApiError::Decode {
        action: "list_vpcs_summary".into(),
        detail: format!("the gateways do not form a valid fleet: {error}"),
    })?;
    let (live, gateways_running) = live_statuses(&snapshot, &statuses);
    drop(statuses);
    Ok(Loaded {
        snapshot,
        catalog,
        live,
        skipped,
        platform_running,
        gateways_running,
    })
}

/// The platform upgrade running, with its message. Controllers before 7.1 do not know
/// `platform_upgrade_status` and refuse it: for them no upgrade is reported here (one this
/// console started is still followed with `check_upgrade_status`).
async fn platform_running(client: &Client) -> Result<Option<String>, ApiError> {
    match client.platform_upgrade_status().await {
        Ok(status) => Ok(status.in_progress.then_some(status.message)),
        Err(ApiError::Refused { reason, .. }) => {
            tracing::info!(%reason, "no platform_upgrade_status on this controller");
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// The update status of every gateway, by position, and the names of those in progress.
fn live_statuses(snapshot: &Snapshot, statuses: &[GatewayStatus]) -> (Vec<Live>, Vec<String>) {
    let mut live = vec![Live::default(); snapshot.gateways().len()];
    let mut running = Vec::new();
    for status in statuses {
        let Some(index) = snapshot.index_of(&status.name) else {
            continue;
        };
        if status.in_progress() {
            running.push(status.name.clone());
        }
        live[index] = Live {
            update_status: status.update_status.clone(),
            state: None,
            progress: status.progress,
        };
    }
    (live, running)
}
