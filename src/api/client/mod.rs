//! One `Client` per controller: the transport (reqwest over rustls), the session (CID) and the
//! envelope (`{"return", "results", "reason"}`), with the retry rules that keep an upgrade safe:
//!
//! - reads (GET) time out and are retried with capped exponential backoff and jitter;
//! - a mutating call (POST) is never resent blindly: when its answer is lost the error is
//!   `OutcomeUnknown` and the caller asks the controller for the operation's status;
//! - a reason saying the CID is invalid or expired logs in again once and repeats the call
//!   (safe for mutations too: the controller refused the call, so nothing ran); concurrent
//!   callers share one re-login;
//! - `/v2/api` answering 404 (an older controller) falls back to `/v1/api`.
//!
//! Those rules are one loop, in `retry.rs`, for answers read whole and for long lists streamed
//! into a sink (`list.rs`).
//!
//! Nothing here logs or returns a URL with its query, a CID or a password.

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::RngExt;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::api::envelope::{Envelope, Results, decode, transport_error};
use retry::{Answered, Exchange};

mod list;
mod retry;
mod session;
use crate::api::error::ApiError;
use crate::api::trust::{self, TrustMode};
use crate::secret::{Credentials, Secret};

/// True for reasons that mean the session is gone (Confirmed texts, controller-api.md §1.3):
/// `CID is invalid or expired.`, `Invalid session. Please login again.`,
/// `Session <CID> not found`, `Session <CID> expired`.
fn session_gone(reason: &str) -> bool {
    reason.contains("CID is invalid")
        || reason.contains("Invalid session")
        || (reason.starts_with("Session ")
            && (reason.ends_with("not found") || reason.ends_with("expired")))
}

/// How a client behaves; the defaults follow the spec.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// `https://host[:port]` (or `http://` for loopback).
    pub base_url: String,
    pub credentials: Credentials,
    pub trust: TrustMode,
    /// Timeout of one read.
    pub read_timeout: Duration,
    /// Timeout of one mutating call.
    pub mutate_timeout: Duration,
    /// Attempts of a read before giving up (1 = no retry).
    pub read_attempts: u32,
    /// First backoff between read attempts; it doubles up to `backoff_cap`.
    pub backoff: Duration,
    pub backoff_cap: Duration,
    /// The largest answer read, in bytes; a larger one is an error as soon as it is known.
    pub max_answer: u64,
    /// The largest request body sent, in bytes: a larger gateway selection is split into
    /// several requests ([`crate::plan::chunks`]).
    pub max_request: u64,
}

/// The default [`ClientSettings::max_answer`]: 512 MB, six times the largest legitimate answer
/// at 100,000 gateways (`list_vpcs_summary`, about 82 MB).
pub const DEFAULT_MAX_ANSWER: u64 = 512 << 20;

/// The default [`ClientSettings::max_request`]: 512 KB, half the simulator's default body
/// limit (a real controller's is not public: docs/controller-api.md). About 22,000 gateway
/// names of 20 characters fit in one request.
pub const DEFAULT_MAX_REQUEST: u64 = 512 << 10;

impl ClientSettings {
    pub fn new(base_url: impl Into<String>, credentials: Credentials, trust: TrustMode) -> Self {
        Self {
            base_url: base_url.into(),
            credentials,
            trust,
            read_timeout: Duration::from_secs(30),
            mutate_timeout: Duration::from_secs(120),
            read_attempts: 5,
            backoff: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(8),
            max_answer: DEFAULT_MAX_ANSWER,
            max_request: DEFAULT_MAX_REQUEST,
        }
    }
}

/// Whether a call may be repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Reads: GET, retried.
    Read,
    /// Reads sent once: a poller's status read, where the poller is the retry loop and a
    /// restarting controller must show at once.
    Poll,
    /// Changes: POST, never resent after a lost answer.
    Mutate,
}

/// Which RPC endpoint a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Api,
    Backend,
}

/// One RPC call.
#[derive(Debug, Clone)]
pub struct Call {
    pub action: &'static str,
    pub params: Vec<(&'static str, String)>,
    pub kind: Kind,
    pub endpoint: Endpoint,
}

impl Call {
    pub fn read(action: &'static str) -> Self {
        Self {
            action,
            params: Vec::new(),
            kind: Kind::Read,
            endpoint: Endpoint::Api,
        }
    }

    /// A read sent once (see [`Kind::Poll`]).
    pub fn poll(action: &'static str) -> Self {
        Self {
            kind: Kind::Poll,
            ..Self::read(action)
        }
    }

    pub fn mutate(action: &'static str) -> Self {
        Self {
            kind: Kind::Mutate,
            ..Self::read(action)
        }
    }

    pub fn param(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.params.push((key, value.into()));
        self
    }

    pub fn on_backend(mut self) -> Self {
        self.endpoint = Endpoint::Backend;
        self
    }
}

struct Session {
    cid: Option<Secret>,
    /// Incremented at each login, so concurrent callers re-login once.
    generation: u64,
}

/// A client of one controller.
pub struct Client {
    http: reqwest::Client,
    settings: ClientSettings,
    version_prefix: RwLock<&'static str>,
    session: Mutex<Session>,
    requests: AtomicU64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.settings.base_url)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `settings`; no request is made yet.
    pub fn new(settings: ClientSettings) -> Result<Self, ApiError> {
        trust::check_scheme(&settings.base_url)?;
        let http = trust::http_client(&settings.trust)?;
        Ok(Self {
            http,
            settings,
            version_prefix: RwLock::new("/v2"),
            session: Mutex::new(Session {
                cid: None,
                generation: 0,
            }),
            requests: AtomicU64::new(0),
        })
    }

    /// The controller's base URL.
    pub fn base_url(&self) -> &str {
        &self.settings.base_url
    }

    /// The user this client logs in as.
    pub fn user(&self) -> &str {
        &self.settings.credentials.user
    }

    /// The largest request body this client sends, in bytes.
    pub fn max_request(&self) -> u64 {
        self.settings.max_request
    }

    /// How many HTTP requests this client has sent.
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn fall_back_to_v1(&self) {
        if let Ok(mut prefix) = self.version_prefix.write() {
            *prefix = "/v1";
        }
        tracing::info!("the controller has no /v2/api: using /v1/api");
    }

    fn url(&self, endpoint: Endpoint) -> String {
        let prefix = self
            .version_prefix
            .read()
            .map(|prefix| *prefix)
            .unwrap_or("/v2");
        let path = match endpoint {
            Endpoint::Api => "api",
            Endpoint::Backend => "backend1",
        };
        format!(
            "{}{prefix}/{path}",
            self.settings.base_url.trim_end_matches('/')
        )
    }

    /// Makes `call` and returns its `results`; refusals are errors.
    pub async fn call(&self, call: &Call) -> Result<Value, ApiError> {
        let raw = self.call_raw(call).await?;
        serde_json::from_str(raw.get()).map_err(|error| ApiError::Decode {
            action: call.action.to_owned(),
            detail: error.to_string(),
        })
    }

    /// Makes `call` and returns its `results` undecoded, for large answers that the caller
    /// decodes straight into typed records.
    pub async fn call_raw(&self, call: &Call) -> Result<Results, ApiError> {
        self.with_retries(call, Whole).await
    }

    /// Capped exponential backoff with full jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let exponential = self
            .settings
            .backoff
            .saturating_mul(1 << attempt.min(16).saturating_sub(1));
        let capped = exponential.min(self.settings.backoff_cap);
        capped.mul_f64(rand::rng().random_range(0.5..1.0))
    }

    /// The HTTP request of `call`: reads are GETs, changes are POSTs.
    fn request(&self, call: &Call, cid: &Secret) -> reqwest::RequestBuilder {
        let mut params: Vec<(&str, &str)> = vec![("action", call.action), ("CID", cid.expose())];
        params.extend(
            call.params
                .iter()
                .map(|(key, value)| (*key, value.as_str())),
        );
        let url = self.url(call.endpoint);
        match call.kind {
            Kind::Read | Kind::Poll => self
                .http
                .get(url)
                .query(&params)
                .timeout(self.settings.read_timeout),
            Kind::Mutate => self
                .http
                .post(url)
                .form(&params)
                .timeout(self.settings.mutate_timeout),
        }
    }

    fn prefix(&self) -> &'static str {
        self.version_prefix
            .read()
            .map(|prefix| *prefix)
            .unwrap_or("/v2")
    }

    /// Sends one request and decodes the envelope. Transport failures of a mutating call
    /// become `OutcomeUnknown`.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        action: &str,
        kind: Kind,
    ) -> Result<Envelope, ApiError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        tracing::trace!(action, "request");
        let response = request
            .send()
            .await
            .map_err(|error| transport_error(action, kind, &error))?;
        let status = response.status();
        refuse_redirect(&response, action)?;
        let json_type = is_json(&response);
        let body = self.read_body(response, action, kind).await?;
        decode(action, status, json_type, &body)
    }

    /// Reads a whole body into one buffer sized from its `Content-Length`, so a 100,000-gateway
    /// answer is held once (collecting chunks and then joining them would hold it twice). An
    /// answer over [`ClientSettings::max_answer`] fails as soon as it is known to be, whether
    /// announced or streamed, and nothing is reserved beyond the limit.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        action: &str,
        kind: Kind,
    ) -> Result<bytes::Bytes, ApiError> {
        let limit = AnswerLimit::new(self.settings.max_answer, action, kind);
        let announced = response.content_length().unwrap_or(0);
        limit.check(announced, false)?;
        let mut body = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| transport_error(action, kind, &error))?
        {
            limit.check((body.len() + chunk.len()) as u64, true)?;
            body.extend_from_slice(&chunk);
        }
        Ok(bytes::Bytes::from(body))
    }
}

/// The answer read whole, its `results` kept raw.
struct Whole;

impl Exchange for Whole {
    type Output = Results;

    async fn once(
        &mut self,
        client: &Client,
        call: &Call,
        cid: &Secret,
    ) -> Result<Answered<Results>, ApiError> {
        let request = client.request(call, cid);
        let envelope = client.send(request, call.action, call.kind).await?;
        Ok(Answered {
            ok: envelope.ok,
            reason: envelope.reason,
            output: envelope.results,
        })
    }
}

/// The size limit of one answer.
#[derive(Debug, Clone, Copy)]
struct AnswerLimit<'a> {
    bytes: u64,
    action: &'a str,
    kind: Kind,
}

impl<'a> AnswerLimit<'a> {
    fn new(bytes: u64, action: &'a str, kind: Kind) -> Self {
        Self {
            bytes,
            action,
            kind,
        }
    }

    /// Fails when `size` (announced, or `received` so far) is over the limit. The answer to
    /// a mutating call was not read, so its outcome is unknown: the caller asks the controller.
    fn check(&self, size: u64, received: bool) -> Result<(), ApiError> {
        if size <= self.bytes {
            return Ok(());
        }
        let size = match received {
            true => format!("over {}", crate::load::megabytes(size)),
            false => crate::load::megabytes(size),
        };
        let too_large = ApiError::TooLarge {
            action: self.action.to_owned(),
            size,
            limit: crate::load::megabytes(self.bytes),
        };
        Err(match self.kind {
            Kind::Mutate => ApiError::OutcomeUnknown {
                action: self.action.to_owned(),
                cause: too_large.to_string(),
            },
            Kind::Read | Kind::Poll => too_large,
        })
    }
}

/// Redirects are never followed (the HTTP client's policy is `none`); a 3xx is an error that
/// names where it pointed, quoted short.
fn refuse_redirect(response: &reqwest::Response, action: &str) -> Result<(), ApiError> {
    let status = response.status();
    if !status.is_redirection() {
        return Ok(());
    }
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .unwrap_or_else(|| "(no Location)".to_owned());
    Err(ApiError::Redirected {
        action: action.to_owned(),
        status: status.as_u16(),
        location: crate::quote::quoted(&location).to_string(),
    })
}

/// Whether the answer says it is JSON.
fn is_json(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|kind| kind.contains("json"))
}
