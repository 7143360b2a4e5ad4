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
//! Nothing here logs or returns a URL with its query, a CID or a password.

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::RngExt;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::api::envelope::{Envelope, Results, decode, transport_error};
use crate::api::error::ApiError;
use crate::api::stream::{self, Head, ListAt, ListSink};
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
}

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

    /// How many HTTP requests this client has sent.
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Logs in (again): `get_api_token`, then `login` with `X-Access-Key`, keeping the CID.
    pub async fn login(&self) -> Result<(), ApiError> {
        let generation = self.session.lock().await.generation;
        self.relogin(generation).await.map(|_| ())
    }

    /// Logs in unless another caller already did since `seen_generation`; returns the CID.
    async fn relogin(&self, seen_generation: u64) -> Result<(Secret, u64), ApiError> {
        let mut session = self.session.lock().await;
        if session.generation != seen_generation
            && let Some(cid) = &session.cid
        {
            return Ok((cid.clone(), session.generation));
        }
        let cid = self.fresh_login().await?;
        session.cid = Some(cid.clone());
        session.generation += 1;
        tracing::info!(user = %self.settings.credentials.user, "logged in");
        Ok((cid, session.generation))
    }

    /// Logs in, retrying transient failures like a read: a lost login only leaves an unused
    /// session behind on the controller.
    async fn fresh_login(&self) -> Result<Secret, ApiError> {
        let mut attempt = 1;
        loop {
            match self.login_once().await {
                Err(error) if error.is_transient() && attempt < self.settings.read_attempts => {
                    tracing::debug!(attempt, %error, "retrying the login");
                    tokio::time::sleep(self.backoff(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn login_once(&self) -> Result<Secret, ApiError> {
        let token = self.api_token().await?;
        let credentials = &self.settings.credentials;
        let params = vec![
            ("action", "login".to_owned()),
            ("username", credentials.user.clone()),
            ("password", credentials.password.expose().to_owned()),
        ];
        let mut request = self
            .http
            .post(self.url(Endpoint::Api))
            .form(&params)
            .timeout(self.settings.read_timeout);
        if let Some(token) = &token {
            request = request.header("X-Access-Key", token.expose());
        }
        let envelope = self.send(request, "login", Kind::Read).await?;
        if !envelope.ok {
            return Err(ApiError::Login(envelope.reason));
        }
        envelope.cid.map(Secret::new).ok_or_else(|| {
            ApiError::Login("the controller accepted the login but gave no CID".into())
        })
    }

    /// `get_api_token`; `None` on controllers without tokens (404 on `/v2/api`, or refused).
    async fn api_token(&self) -> Result<Option<Secret>, ApiError> {
        let request = self
            .http
            .get(self.url(Endpoint::Api))
            .query(&[("action", "get_api_token")])
            .timeout(self.settings.read_timeout);
        match self.send(request, "get_api_token", Kind::Read).await {
            Ok(envelope) if envelope.ok => {
                #[derive(serde::Deserialize)]
                struct Token {
                    api_token: Option<String>,
                }
                let token: Option<Token> = serde_json::from_str(envelope.results.get()).ok();
                Ok(token.and_then(|token| token.api_token).map(Secret::new))
            }
            Ok(_) => Ok(None),
            Err(ApiError::NotJson { status: 404, .. }) => {
                self.fall_back_to_v1();
                Ok(None)
            }
            Err(error) => Err(error),
        }
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

    /// Makes the read `call`, whose answer is a long list at `at`, and streams its elements
    /// into a sink from `new_sink` as they arrive (a retry starts a new one), so the answer is
    /// never in memory whole. Retries, re-login and the v1 fallback are those of
    /// [`Client::call`].
    pub async fn call_list<S: ListSink>(
        &self,
        call: &Call,
        at: ListAt,
        new_sink: impl Fn() -> S,
    ) -> Result<S, ApiError> {
        let (mut cid, mut generation) = self.current_session().await?;
        let mut relogged = false;
        let mut attempt = 1;
        loop {
            let (head, sink) = match self.stream_once(call, &cid, at, new_sink()).await {
                Ok(answer) => answer,
                Err(ApiError::NotJson { status: 404, .. }) if self.prefix() == "/v2" => {
                    self.fall_back_to_v1();
                    continue;
                }
                Err(error) if error.is_transient() && attempt < self.settings.read_attempts => {
                    tracing::debug!(action = call.action, attempt, %error, "retrying a read");
                    tokio::time::sleep(self.backoff(attempt)).await;
                    attempt += 1;
                    continue;
                }
                Err(error) => return Err(error),
            };
            match head.ok {
                Some(true) => return Ok(sink),
                Some(false) if session_gone(&head.reason) && !relogged => {
                    tracing::info!(action = call.action, "session expired: logging in again");
                    (cid, generation) = self.relogin(generation).await?;
                    relogged = true;
                }
                Some(false) => {
                    return Err(ApiError::Refused {
                        action: call.action.to_owned(),
                        reason: head.reason,
                    });
                }
                None => {
                    return Err(ApiError::Decode {
                        action: call.action.to_owned(),
                        detail: "no boolean \"return\" field".into(),
                    });
                }
            }
        }
    }

    /// One request of [`Client::call_list`]. An answer that is not a JSON 2xx (an HTML 503, a
    /// text error) is small: it is read whole and decoded as any other answer.
    async fn stream_once<S: ListSink>(
        &self,
        call: &Call,
        cid: &Secret,
        at: ListAt,
        mut sink: S,
    ) -> Result<(Head, S), ApiError> {
        let action = call.action;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = self
            .request(call, cid)
            .send()
            .await
            .map_err(|error| transport_error(action, call.kind, &error))?;
        let status = response.status();
        let json_type = is_json(&response);
        if status.is_success() && json_type {
            return stream_body(action, call.kind, response, at, sink).await;
        }
        let body = read_body(response)
            .await
            .map_err(|error| transport_error(action, call.kind, &error))?;
        let envelope = decode(action, status, json_type, &body)?;
        if envelope.ok {
            stream::feed(envelope.results.get(), at, &mut sink).map_err(|error| {
                ApiError::Decode {
                    action: action.to_owned(),
                    detail: error.to_string(),
                }
            })?;
        }
        let head = Head {
            ok: Some(envelope.ok),
            reason: envelope.reason,
        };
        Ok((head, sink))
    }

    /// Makes `call` and returns its `results` undecoded, for large answers that the caller
    /// decodes straight into typed records.
    pub async fn call_raw(&self, call: &Call) -> Result<Results, ApiError> {
        let (mut cid, mut generation) = self.current_session().await?;
        let mut relogged = false;
        loop {
            let envelope = match call.kind {
                Kind::Read => self.read_with_retry(call, &cid).await?,
                Kind::Poll | Kind::Mutate => self.send_call(call, &cid).await?,
            };
            if envelope.ok {
                return Ok(envelope.results);
            }
            if session_gone(&envelope.reason) && !relogged {
                tracing::info!(action = call.action, "session expired: logging in again");
                (cid, generation) = self.relogin(generation).await?;
                relogged = true;
                continue;
            }
            return Err(ApiError::Refused {
                action: call.action.to_owned(),
                reason: envelope.reason,
            });
        }
    }

    async fn current_session(&self) -> Result<(Secret, u64), ApiError> {
        let generation = {
            let session = self.session.lock().await;
            if let Some(cid) = &session.cid {
                return Ok((cid.clone(), session.generation));
            }
            session.generation
        };
        self.relogin(generation).await
    }

    async fn read_with_retry(&self, call: &Call, cid: &Secret) -> Result<Envelope, ApiError> {
        let mut attempt = 1;
        loop {
            match self.send_call(call, cid).await {
                Err(error) if error.is_transient() && attempt < self.settings.read_attempts => {
                    let pause = self.backoff(attempt);
                    tracing::debug!(action = call.action, attempt, %error, "retrying a read");
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
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

    async fn send_call(&self, call: &Call, cid: &Secret) -> Result<Envelope, ApiError> {
        let request = self.request(call, cid);
        match self.send(request, call.action, call.kind).await {
            Err(ApiError::NotJson { status: 404, .. }) if self.prefix() == "/v2" => {
                self.fall_back_to_v1();
                Box::pin(self.send_call(call, cid)).await
            }
            other => other,
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
        let json_type = is_json(&response);
        let body = read_body(response)
            .await
            .map_err(|error| transport_error(action, kind, &error))?;
        decode(action, status, json_type, &body)
    }
}

/// The most a body's announced length may reserve up front.
const MAX_RESERVE: u64 = 1 << 30;

/// Reads a whole body into one buffer sized from its `Content-Length`, so a 100,000-gateway
/// answer is held once (collecting chunks and then joining them would hold it twice).
async fn read_body(mut response: reqwest::Response) -> Result<bytes::Bytes, reqwest::Error> {
    let reserve = response.content_length().unwrap_or(0).min(MAX_RESERVE);
    let mut body = Vec::with_capacity(usize::try_from(reserve).unwrap_or(0));
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
    }
    Ok(bytes::Bytes::from(body))
}

/// Whether the answer says it is JSON.
fn is_json(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|kind| kind.contains("json"))
}

/// Streams a JSON answer's body into the list parser, chunk by chunk.
async fn stream_body<S: ListSink>(
    action: &str,
    kind: Kind,
    mut response: reqwest::Response,
    at: ListAt,
    sink: S,
) -> Result<(Head, S), ApiError> {
    let parser = stream::parser(at, sink);
    let mut broken = None;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                // A closed parser has already met an error; it reports it below.
                if parser.chunks.send(Ok(chunk)).await.is_err() {
                    break;
                }
            }
            Ok(None) => break,
            Err(error) => {
                let _ = parser.chunks.send(Err(error.to_string())).await;
                broken = Some(transport_error(action, kind, &error));
                break;
            }
        }
    }
    drop(parser.chunks);
    let (head, sink) = parser.done.await.map_err(|error| ApiError::Decode {
        action: action.to_owned(),
        detail: format!("the answer's parser stopped: {error}"),
    })?;
    if let Some(error) = broken {
        return Err(error);
    }
    let head = head.map_err(|detail| ApiError::Decode {
        action: action.to_owned(),
        detail: format!("invalid JSON: {detail}"),
    })?;
    Ok((head, sink))
}
