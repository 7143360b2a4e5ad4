//! The simulated controller: a real HTTP(S) server on loopback that speaks the controller's
//! wire protocol (`docs/controller-api.md`), enforces the upgrade rules by asking the planner,
//! runs operations over a scalable clock (the wall clock, or a manual one that tests advance,
//! [`clock`]) and injects the faults real controllers show.
//! `avx-upgrade sim` runs it on its own; `avx-upgrade demo` and the tests start it in-process.

mod actions;
pub mod clock;
pub mod engine;
pub mod faults;
pub mod fleet;
mod hold;
mod listing;
pub mod params;
mod server;
pub mod sessions;
pub mod state;
mod streaming;
pub mod tls;
mod views;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::catalog::Catalog;
use crate::secret::Credentials;
use crate::sim::clock::Clock;
use crate::sim::faults::Faults;
pub use crate::sim::hold::StatusHold;
pub use crate::sim::params::DEFAULT_BODY_LIMIT;
pub use crate::sim::server::ReadTimeouts;
use crate::sim::server::Shared;
use crate::sim::state::{Settings, SimState};
use crate::snapshot::Snapshot;

/// The idle time after which a session expires, unless configured.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(30 * 60);
/// The idle time with the `expire` fault.
pub const SHORT_SESSION_TTL: Duration = Duration::from_secs(15);

/// How to run a simulated controller.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub listen: SocketAddr,
    /// HTTPS with a fresh self-signed certificate; plain HTTP when false.
    pub tls: bool,
    pub snapshot: Snapshot,
    pub catalog: Catalog,
    pub credentials: Credentials,
    /// Simulated seconds per second of `clock` (`--speed`).
    pub speed: f64,
    /// Where the time comes from: the wall clock, or a manual clock a test advances.
    pub clock: Clock,
    pub faults: Faults,
    pub session_ttl: Duration,
    pub seed: u64,
    pub require_access_key: bool,
    /// The largest request body read, in bytes (`--max-body-kb`; default
    /// [`params::DEFAULT_BODY_LIMIT`]). A larger one is refused with the limit in the reason.
    pub body_limit: usize,
}

/// A simulator that failed to start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}; choose another address with --listen")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("--speed must be a positive number, not {0}")]
    Speed(f64),
    #[error("the request body limit must be at least 1 byte (--max-body-kb 1 or more)")]
    BodyLimit,
}

/// A running simulator. Dropping it leaves the server running until the runtime ends; call
/// [`RunningSim::stop`] to stop it.
pub struct RunningSim {
    /// `https://127.0.0.1:PORT` (or `http://`).
    pub url: String,
    pub addr: SocketAddr,
    /// SHA-256 of the certificate, when serving HTTPS.
    pub fingerprint: Option<String>,
    /// The certificate in PEM, when serving HTTPS.
    pub certificate_pem: Option<String>,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RunningSim {
    /// Reads or changes the simulator's state (for tests and the demo).
    pub fn with_state<R>(&self, change: impl FnOnce(&mut SimState) -> R) -> R {
        change(&mut self.shared.lock())
    }

    /// The clock the simulator reads the time from.
    pub fn clock(&self) -> &Clock {
        self.shared.clock()
    }

    /// Holds back `list_gateway_upgrade_status` (an extension for tests): until the returned
    /// hold is released or dropped, a request for it waits, then answers with the state at
    /// that moment. Other calls are served meanwhile.
    pub fn hold_statuses(&self) -> StatusHold {
        self.shared.status_gate().hold()
    }

    /// Stops accepting connections and waits for the accept loop to end.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Binds `config.listen` and starts serving, with the default [`ReadTimeouts`].
pub async fn start(config: SimConfig) -> Result<RunningSim, SimError> {
    start_with_read_timeouts(config, ReadTimeouts::default()).await
}

/// Like [`start`], with other limits on how long a client may take to send a request (tests
/// shorten them).
pub async fn start_with_read_timeouts(
    config: SimConfig,
    timeouts: ReadTimeouts,
) -> Result<RunningSim, SimError> {
    if !(config.speed.is_finite() && config.speed > 0.0) {
        return Err(SimError::Speed(config.speed));
    }
    if config.body_limit == 0 {
        return Err(SimError::BodyLimit);
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SimError::Bind {
        addr: config.listen,
        source,
    })?;
    let identity = if config.tls {
        Some(tls::self_signed(addr.ip())?)
    } else {
        None
    };
    let scheme = if config.tls { "https" } else { "http" };
    let session_ttl = if config.faults.short_sessions {
        SHORT_SESSION_TTL
    } else {
        config.session_ttl
    };
    let settings = Settings {
        credentials: config.credentials,
        speed: config.speed,
        faults: config.faults,
        session_ttl,
        seed: config.seed,
        require_access_key: config.require_access_key,
        body_limit: config.body_limit,
    };
    let state = SimState::new(settings, config.snapshot, config.catalog);
    let shared = Arc::new(Shared::new(state, config.clock, config.tls, timeouts));
    let (shutdown, stopped) = watch::channel(false);
    let acceptor = identity.as_ref().map(|identity| identity.acceptor.clone());
    let task = tokio::spawn(server::serve(
        listener,
        acceptor,
        Arc::clone(&shared),
        stopped,
    ));
    Ok(RunningSim {
        url: format!("{scheme}://{addr}"),
        addr,
        fingerprint: identity
            .as_ref()
            .map(|identity| identity.fingerprint.clone()),
        certificate_pem: identity.map(|identity| identity.certificate_pem),
        shared,
        shutdown,
        task,
    })
}
