//! Everything the simulated controller knows: the controller and its gateways (a snapshot),
//! the release catalog, sessions, each gateway's upgrade status, and the operations it has run.
//!
//! One `SimState` sits behind a mutex; every request locks it briefly, lets the engine catch
//! the operations up to "now", and answers from it. Which operations run is read from their
//! `finished` flags: at most one platform upgrade, and any number of gateway operations on
//! gateways no other unfinished job holds.

use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::catalog::Catalog;
use crate::secret::Credentials;
use crate::sim::engine::{GatewayOp, PlatformOp};
use crate::sim::faults::Faults;
use crate::sim::sessions::Sessions;
use crate::snapshot::{Snapshot, UpdateStatus};
use crate::version::STATUS_API_TRAIN;

/// What the controller shows about a gateway beyond its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayRuntime {
    pub update_status: UpdateStatus,
    /// 0..=100 within the current operation (simulator extension).
    pub progress: u8,
    /// A remark such as "carrying traffic for spoke-1 while it is replaced" (extension).
    pub note: Option<String>,
    /// Why the last operation on the gateway failed, e.g. `upgrade_fail: ...` (extension).
    pub message: Option<String>,
}

impl Default for GatewayRuntime {
    fn default() -> Self {
        Self {
            update_status: UpdateStatus::Complete,
            progress: 100,
            note: None,
            message: None,
        }
    }
}

/// How the simulator was started; fixed for its lifetime.
#[derive(Debug, Clone)]
pub struct Settings {
    pub credentials: Credentials,
    /// Simulated seconds per second of the simulator's clock.
    pub speed: f64,
    pub faults: Faults,
    pub session_ttl: Duration,
    pub seed: u64,
    /// Whether a valid `X-Access-Key` is required on login (real controllers accept none).
    pub require_access_key: bool,
    /// The largest request body read, in bytes (`--max-body-kb`).
    pub body_limit: usize,
}

/// The simulated controller's whole state.
pub struct SimState {
    pub settings: Settings,
    pub snapshot: Snapshot,
    pub catalog: Catalog,
    pub runtime: Vec<GatewayRuntime>,
    pub sessions: Sessions,
    pub platform_ops: Vec<PlatformOp>,
    pub gateway_ops: Vec<GatewayOp>,
    pub rng: StdRng,
    /// How many times each action was called (for tests that prove a call was not resent).
    pub calls: std::collections::BTreeMap<String, u64>,
    /// How many jobs each gateway has had, by name (for tests that prove no gateway was
    /// operated on twice).
    pub jobs_per_gateway: std::collections::BTreeMap<String, u64>,
    /// How many gateway operation requests (not dry runs) named each gateway, accepted or not.
    pub calls_per_gateway: std::collections::BTreeMap<String, u64>,
    next_request_id: u64,
}

impl SimState {
    pub fn new(settings: Settings, snapshot: Snapshot, catalog: Catalog) -> Self {
        let runtime = vec![GatewayRuntime::default(); snapshot.gateways().len()];
        let ttl = settings.session_ttl;
        let seed = settings.seed;
        Self {
            settings,
            snapshot,
            catalog,
            runtime,
            sessions: Sessions::new(ttl),
            platform_ops: Vec::new(),
            gateway_ops: Vec::new(),
            rng: StdRng::seed_from_u64(seed ^ 0x0e_9e_17_e5),
            calls: std::collections::BTreeMap::new(),
            jobs_per_gateway: std::collections::BTreeMap::new(),
            calls_per_gateway: std::collections::BTreeMap::new(),
            next_request_id: 1000,
        }
    }

    /// A new request id for an asynchronous operation.
    pub fn next_request_id(&mut self) -> u64 {
        self.next_request_id += 1;
        self.next_request_id
    }

    /// The position in `platform_ops` of the platform upgrade that has not finished, if any.
    pub fn running_platform(&self) -> Option<usize> {
        self.platform_ops.iter().position(|op| !op.finished)
    }

    /// The positions in `gateway_ops` of the gateway operations that have not finished.
    pub fn running_gateway_ops(&self) -> Vec<usize> {
        (0..self.gateway_ops.len())
            .filter(|&position| !self.gateway_ops[position].finished)
            .collect()
    }

    /// Whether the gateway at `index` is in an unfinished job of a gateway operation.
    pub fn gateway_busy(&self, index: usize) -> bool {
        self.gateway_ops
            .iter()
            .filter(|op| !op.finished)
            .any(|op| op.job_of(index).is_some_and(|job| !job.finished))
    }

    /// Whether any operation, platform or gateway, has not finished.
    pub fn is_busy(&self) -> bool {
        self.running_platform().is_some() || !self.running_gateway_ops().is_empty()
    }

    /// True while the controller runs a train older than 7.1, and so speaks the 6.5–7.0
    /// protocol: integer request ids, `check_upgrade_status` fields at the top level.
    pub fn legacy_era(&self) -> bool {
        self.snapshot.controller.current_version.train() < STATUS_API_TRAIN
    }

    /// Scales a simulated duration to clock time.
    pub fn real(&self, simulated: Duration) -> Duration {
        simulated.div_f64(self.settings.speed)
    }

    /// Scales a duration of clock time to simulated time.
    pub fn simulated(&self, real: Duration) -> Duration {
        real.mul_f64(self.settings.speed)
    }
}
