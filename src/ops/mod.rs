//! Orchestration: turns the console's [`Effect`]s into controller calls and reports back as
//! [`Msg`]s on a channel. Each effect runs in its own tokio task, so the screen never waits
//! on the network. A started operation is followed by the poller that fits it until it ends.

use std::sync::Arc;

use futures::{Stream, StreamExt};
use tokio::sync::mpsc::UnboundedSender;

use crate::api::actions::{DryRun, GatewayStatus, Started};
use crate::api::client::Call;
use crate::api::poll::{self, PollSettings, Progress};
use crate::api::stream::{ListAt, ListSink};
use crate::api::{ApiError, Client};
use crate::catalog::Catalog;
use crate::plan::request::{Request, Selection};
use crate::snapshot::Snapshot;
use crate::tui::fleet::Live;
use crate::tui::message::{Effect, Follow, Loaded, Msg};
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
    // The two long lists (80 and 60 MB of JSON at 100,000 gateways) are streamed one after
    // the other; the statuses go straight to the gateways' positions.
    let fleet = client.gateways().await?;
    let skipped = fleet
        .skipped
        .iter()
        .map(|skipped| format!("{} ({})", skipped.name, skipped.reason))
        .collect();
    let snapshot = Snapshot::new(controller, fleet.gateways).map_err(|error| ApiError::Decode {
        action: "list_vpcs_summary".into(),
        detail: format!("the gateways do not form a valid fleet: {error}"),
    })?;
    let snapshot = Arc::new(snapshot);
    let statuses = client
        .call_list(
            &Call::read("list_gateway_upgrade_status"),
            ListAt::Field("gw_info"),
            || LiveStatuses::new(Arc::clone(&snapshot)),
        )
        .await?;
    let LiveStatuses {
        live,
        running,
        error,
        snapshot: shared,
    } = statuses;
    drop(shared);
    if let Some(detail) = error {
        return Err(ApiError::Decode {
            action: "list_gateway_upgrade_status".into(),
            detail,
        });
    }
    let snapshot = Arc::try_unwrap(snapshot).map_err(|_| ApiError::Decode {
        action: "list_gateway_upgrade_status".into(),
        detail: "the fleet is still shared after the statuses were read".into(),
    })?;
    Ok(Loaded {
        snapshot,
        catalog,
        live,
        skipped,
        platform_running,
        gateways_running: running,
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

/// `list_gateway_upgrade_status` kept as the console needs it: each entry's [`Live`] status
/// at its gateway's position, and the names of those in progress. Entries for gateways that
/// are not in the fleet are left out.
struct LiveStatuses {
    snapshot: Arc<Snapshot>,
    live: Vec<Live>,
    running: Vec<String>,
    error: Option<String>,
}

impl LiveStatuses {
    fn new(snapshot: Arc<Snapshot>) -> Self {
        let live = vec![Live::default(); snapshot.gateways().len()];
        LiveStatuses {
            snapshot,
            live,
            running: Vec::new(),
            error: None,
        }
    }
}

impl ListSink for LiveStatuses {
    fn push(&mut self, element: &serde_json::value::RawValue) {
        if self.error.is_some() {
            return;
        }
        let status = match GatewayStatus::decode(element) {
            Ok(status) => status,
            Err(error) => {
                self.error = Some(error);
                return;
            }
        };
        let Some(index) = self.snapshot.index_of(&status.name) else {
            return;
        };
        if status.in_progress() {
            self.running.push(status.name.clone());
        }
        self.live[index] = Live {
            update_status: Live::status(status.update_status),
            state: None,
            progress: status.progress,
        };
    }
}
