//! A refresh: everything the two windows show, read from the controller. The two long lists
//! are streamed one after the other (the statuses once a console has taken the gateways:
//! [`Taken`]), and the statuses go straight to the gateways' positions.
//! A console hears how far it has got ([`Reading`]): the first rows as soon as they arrive,
//! then counts, so a large fleet is on screen long before it is read whole.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::api::statuses::{GatewayStatus, StatusSink};
use crate::api::{ApiError, Client};
use crate::catalog::Catalog;
use crate::ops::live::Live;
use crate::plan::{Report, Request};
use crate::snapshot::Snapshot;

/// Everything the controller told us in one refresh.
#[derive(Debug)]
pub struct Loaded {
    /// The fleet, shared with the console that showed it before its statuses were read.
    pub snapshot: Arc<Snapshot>,
    pub catalog: Catalog,
    /// Live status by gateway position in `snapshot`.
    pub live: Vec<Live>,
    /// Gateways whose records could not be read, with the reason.
    pub skipped: Vec<String>,
    /// A platform upgrade running at the controller, with its message.
    pub platform_running: Option<String>,
    /// Gateways with an operation running at the controller.
    pub gateways_running: Vec<String>,
    /// The planner's preflight of a platform upgrade on this fleet, worked out here, off the
    /// console's thread (at 100,000 gateways it takes a noticeable moment).
    pub preflight: Option<Report>,
}

/// The planner's preflight of a platform upgrade on `snapshot`: the Platform Upgrade window's
/// live checklist.
pub fn preflight(snapshot: &Snapshot, catalog: &Catalog) -> Option<Report> {
    let request = Request::PlatformUpgrade { target: None };
    crate::plan::check(snapshot, catalog, &request, jiff::Timestamp::now()).ok()
}

/// How far a refresh has got, before its [`Loaded`].
#[derive(Debug)]
pub enum Reading {
    /// `read` gateway records so far; `first`, once, the first rows, on a controller with
    /// more gateways than [`FIRST_ROWS`](crate::api::records::FIRST_ROWS).
    Gateways {
        read: usize,
        first: Option<Box<Snapshot>>,
    },
    /// Every gateway is read (`total` records, `fleet` those that could be read: shared, not
    /// copied); their statuses are asked for once `taken` is done (or dropped).
    Statuses {
        total: usize,
        fleet: Arc<Snapshot>,
        taken: Taken,
    },
}

/// Done once the console has taken the whole fleet into its table (or dropped, when it does
/// not want it): only then are the statuses asked for, so their 60 MB at 100,000 gateways are
/// not read while the console builds its table and draws it, both wanting the processor.
#[derive(Debug)]
pub struct Taken(oneshot::Sender<()>);

/// How long a refresh waits for [`Taken`] at most.
const TAKEN_WAIT: Duration = Duration::from_secs(1);

impl Taken {
    /// A `Taken`, and what a refresh waits on.
    pub fn new() -> (Taken, oneshot::Receiver<()>) {
        let (sender, receiver) = oneshot::channel();
        (Taken(sender), receiver)
    }

    /// Tells the refresh that the fleet is taken.
    pub fn done(self) {
        // The refresh may have stopped waiting: nothing to tell then.
        let _ = self.0.send(());
    }
}

/// Reads everything the two windows show.
pub async fn refresh(client: &Client) -> Result<Loaded, ApiError> {
    refresh_reporting(client, None).await
}

/// Hears how far a refresh has got.
pub type Progress = Arc<dyn Fn(Reading) + Send + Sync>;

/// [`refresh`], telling `progress` how far it has got.
pub async fn refresh_reporting(
    client: &Client,
    progress: Option<Progress>,
) -> Result<Loaded, ApiError> {
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
    let fleet = match &progress {
        Some(progress) => {
            let on_reading = reading_of_gateways(&controller, Arc::clone(progress));
            client.gateways_reporting(on_reading).await?
        }
        None => client.gateways().await?,
    };
    let total = fleet.gateways.len() + fleet.skipped.len();
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
    if let Some(progress) = &progress {
        let fleet = Arc::clone(&snapshot);
        let (taken, waiting) = Taken::new();
        progress(Reading::Statuses {
            total,
            fleet,
            taken,
        });
        // Done, dropped or late alike: the statuses are read next.
        let _ = tokio::time::timeout(TAKEN_WAIT, waiting).await;
    }
    let statuses = client
        .gateway_statuses_into(|| LiveStatuses::new(Arc::clone(&snapshot)))
        .await?;
    let LiveStatuses { live, running, .. } = statuses;
    Ok(Loaded {
        preflight: preflight(&snapshot, &catalog),
        snapshot,
        catalog,
        live,
        skipped,
        platform_running,
        gateways_running: running,
    })
}

/// What the fleet's reader reports, as [`Reading::Gateways`]: its first rows as a fleet of
/// their own (with the links to HA peers not read yet left out).
fn reading_of_gateways(
    controller: &crate::snapshot::Controller,
    progress: Progress,
) -> crate::api::records::OnReading {
    let controller = controller.clone();
    Arc::new(move |reading: crate::api::records::Reading| {
        let first = reading
            .first
            .and_then(|gateways| first_rows(controller.clone(), gateways))
            .map(Box::new);
        progress(Reading::Gateways {
            read: reading.read,
            first,
        });
    })
}

/// The first rows as a fleet: links to peers not among them are left out; rows that do not
/// make a fleet (a name twice) are not shown early, and wait for the whole answer.
fn first_rows(
    controller: crate::snapshot::Controller,
    mut gateways: Vec<crate::snapshot::Gateway>,
) -> Option<Snapshot> {
    let names: std::collections::HashSet<String> = gateways
        .iter()
        .map(|gateway| gateway.name.to_string())
        .collect();
    for gateway in &mut gateways {
        if gateway
            .peer
            .as_ref()
            .is_some_and(|peer| !names.contains(&**peer))
        {
            gateway.peer = None;
        }
    }
    match Snapshot::new(controller, gateways) {
        Ok(snapshot) => Some(snapshot),
        Err(error) => {
            tracing::info!(%error, "the first rows are not shown before the whole answer");
            None
        }
    }
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
}

impl LiveStatuses {
    fn new(snapshot: Arc<Snapshot>) -> Self {
        let live = vec![Live::default(); snapshot.gateways().len()];
        LiveStatuses {
            snapshot,
            live,
            running: Vec::new(),
        }
    }
}

impl StatusSink for LiveStatuses {
    fn take(&mut self, status: GatewayStatus) {
        let Some(index) = self.snapshot.index_of(&status.name) else {
            return;
        };
        if status.in_progress() {
            self.running.push(status.name.clone());
        }
        let message = status.reason();
        self.live[index] = Live::new(status.update_status, status.progress).with_message(message);
    }
}
