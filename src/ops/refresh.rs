//! A refresh: everything the two windows show, read from the controller. The two long lists
//! are streamed one after the other, and the statuses go straight to the gateways' positions.

use std::sync::Arc;

use crate::api::statuses::{GatewayStatus, StatusSink};
use crate::api::{ApiError, Client};
use crate::catalog::Catalog;
use crate::ops::live::Live;
use crate::plan::{Report, Request};
use crate::snapshot::Snapshot;

/// Everything the controller told us in one refresh.
#[derive(Debug)]
pub struct Loaded {
    pub snapshot: Snapshot,
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
        .gateway_statuses_into(|| LiveStatuses::new(Arc::clone(&snapshot)))
        .await?;
    let LiveStatuses {
        live,
        running,
        snapshot: shared,
    } = statuses;
    drop(shared);
    let snapshot = Arc::try_unwrap(snapshot).map_err(|_| ApiError::Decode {
        action: "list_gateway_upgrade_status".into(),
        detail: "the fleet is still shared after the statuses were read".into(),
    })?;
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
        self.live[index] = Live {
            message: status.reason(),
            update_status: status.update_status,
            state: None,
            progress: status.progress,
        };
    }
}
