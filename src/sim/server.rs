//! The simulator's HTTP(S) server: one handler for `/v1/api`, `/v2/api`, `/v1/backend1` and
//! `/v2/backend1`. Every RPC answer is HTTP 200, `Content-Type: text/json`, with the
//! `{"return", "results", "reason"}` envelope (controller-api.md §1.4). During a platform
//! upgrade's restart the web tier answers an HTML 503 page or drops the connection, and the
//! `flaky` and `slow` faults disturb calls, as real controllers do. A client that sends its
//! request too slowly is cut off ([`ReadTimeouts`]). The long lists are written while they
//! are sent ([`listed`]); `list_gateway_upgrade_status` can be held back ([`StatusGate`]) or
//! delayed (the `slow-status` fault).
//!
//! It is written on hyper directly rather than a framework such as axum because the faults
//! need the connection itself: a restart or a `flaky` read drops it mid-request, with no
//! answer at all, which a handler that must return a response cannot do.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{CACHE_CONTROL, CONNECTION, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use rand::RngExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use crate::sim::actions::status::{self, Outcome};
use crate::sim::actions::{self, Endpoint, Reply};
use crate::sim::clock::Clock;
use crate::sim::engine;
use crate::sim::hold::StatusGate;
use crate::sim::listing::{ChunkWriter, Listing};
use crate::sim::params::{ParamError, Params};
use crate::sim::state::SimState;
use crate::sim::streaming::{Body, ChunkSink, whole};

/// How often a synchronous request looks at its operation.
const WAIT_POLL: Duration = Duration::from_millis(100);
/// The delay before a failed login is answered.
const LOGIN_FAILURE_DELAY: Duration = Duration::from_millis(300);

const SERVICE_UNAVAILABLE: &str = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>503 Service Unavailable</title>\n</head><body>\n<h1>Service Unavailable</h1>\n<p>The server is temporarily unable to service your\nrequest due to maintenance downtime or capacity\nproblems. Please try again later.</p>\n</body></html>\n";
const REQUEST_TIMEOUT: &str = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>408 Request Timeout</title>\n</head><body>\n<h1>Request Timeout</h1>\n<p>Server timeout waiting for the HTTP request from the client.</p>\n</body></html>\n";
const PROXY_ERROR: &str = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>502 Proxy Error</title>\n</head><body>\n<h1>Proxy Error</h1>\n<p>The proxy server received an invalid\nresponse from an upstream server.</p>\n</body></html>\n";

/// How long the server waits for a client to send its request before it gives up on the
/// connection (an extension: a real controller's web tier has such limits, their values are not
/// public). A half-sent request never holds a connection open for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadTimeouts {
    /// The TLS handshake, and the request line and headers of each request (so also how long an
    /// idle keep-alive connection stays open). Past it the connection is closed without an answer.
    pub headers: Duration,
    /// The body, counted from the end of the headers. Past it the server answers an HTML
    /// `408 Request Timeout` page and closes the connection.
    pub body: Duration,
}

impl Default for ReadTimeouts {
    fn default() -> Self {
        Self {
            headers: Duration::from_secs(10),
            body: Duration::from_secs(30),
        }
    }
}

/// The state every connection shares.
pub struct Shared {
    state: Mutex<SimState>,
    /// Where every request reads "now".
    clock: Clock,
    timeouts: ReadTimeouts,
    /// The largest request body read, in bytes.
    body_limit: usize,
    latency: Duration,
    /// The `slow-status` fault: how late `list_gateway_upgrade_status` answers.
    status_latency: Duration,
    /// Holds `list_gateway_upgrade_status` back while a test keeps it closed.
    status_gate: StatusGate,
    flaky: bool,
    restart_drop_chance: f64,
    /// The `sync-drop` fault: a synchronous platform upgrade's connection is dropped at the
    /// restart instead of answered.
    sync_drop: bool,
    /// Served over HTTPS: answers carry Strict-Transport-Security, as a real controller's do.
    https: bool,
}

impl Shared {
    pub fn new(state: SimState, clock: Clock, https: bool, timeouts: ReadTimeouts) -> Self {
        let faults = state.settings.faults.clone();
        Self {
            clock,
            timeouts,
            body_limit: state.settings.body_limit,
            latency: faults.latency,
            status_latency: faults.status_latency,
            status_gate: StatusGate::default(),
            flaky: faults.flaky,
            restart_drop_chance: if faults.long_restart { 0.4 } else { 0.15 },
            sync_drop: faults.sync_drop,
            https,
            state: Mutex::new(state),
        }
    }

    /// The state, locked. A panic elsewhere never poisons it for good: the simulator keeps
    /// serving what it has.
    pub fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The clock every request reads "now" from.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The gate `list_gateway_upgrade_status` passes before it answers.
    pub fn status_gate(&self) -> &StatusGate {
        &self.status_gate
    }
}

/// The connection is dropped without an answer, as a restarting controller does.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by the simulated controller")]
struct Dropped;

type Answer = Result<Response<Body>, Dropped>;

/// Accepts connections until `shutdown` changes.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(connection(stream, tls.clone(), Arc::clone(&shared)));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            _ = shutdown.changed() => break,
        }
    }
}

async fn connection(stream: TcpStream, tls: Option<TlsAcceptor>, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let Some(acceptor) = tls else {
        return http(stream, shared).await;
    };
    // A handshake that stalls is cut off like a request whose headers do.
    let handshake = tokio::time::timeout(shared.timeouts.headers, acceptor.accept(stream)).await;
    if let Ok(Ok(secured)) = handshake {
        http(secured, shared).await;
    }
}

async fn http(io: impl AsyncRead + AsyncWrite + Unpin + Send + 'static, shared: Arc<Shared>) {
    let header_timeout = shared.timeouts.headers;
    let service = service_fn(move |request| respond(Arc::clone(&shared), request));
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(io), service)
        .await;
}

async fn respond(shared: Arc<Shared>, request: Request<Incoming>) -> Answer {
    let endpoint = match request.uri().path().trim_end_matches('/') {
        "/v1/api" | "/v2/api" => Endpoint::Api,
        "/v1/backend1" | "/v2/backend1" => Endpoint::Backend,
        _ => {
            return Ok(html(
                StatusCode::NOT_FOUND,
                "<html><body><h1>Not Found</h1></body></html>\n",
            ));
        }
    };
    if let Some(outage) = web_tier_down(&shared) {
        return outage;
    }
    let query = request.uri().query().map(str::to_owned);
    let content_type = header(&request, CONTENT_TYPE.as_str());
    let access_key = header(&request, "x-access-key");
    let params =
        match read_params(&shared, request, query.as_deref(), content_type.as_deref()).await {
            Ok(params) => params,
            Err(answer) => return Ok(answer),
        };
    let action = params.get("action").unwrap_or("").trim().to_owned();
    if shared.flaky
        && actions::is_read(&action)
        && let Some(fault) = flaky(&shared)
    {
        return fault;
    }
    let reply = {
        let mut state = shared.lock();
        let now = shared.clock.now();
        if let Some(answer) = outage(&shared, &mut state, now) {
            return answer;
        }
        actions::dispatch(&mut state, endpoint, &params, access_key.as_deref(), now)
    };
    if !shared.latency.is_zero() {
        // A slow controller: the call is handled, the answer comes late. A client that gives
        // up meanwhile does not know whether a mutating call took effect.
        tokio::time::sleep(shared.latency).await;
    }
    let reply = match reply {
        Reply::WaitFor(request_id) => wait_for(&shared, request_id).await?,
        Reply::LoginFailed(reason) => {
            tokio::time::sleep(LOGIN_FAILURE_DELAY).await;
            Reply::Refused(reason)
        }
        other => other,
    };
    match reply {
        Reply::Listing(listing) => listed(&shared, listing).await,
        other => Ok(envelope(other, shared.https)),
    }
}

fn header(request: &Request<Incoming>, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// The request's parameters, or the answer when they cannot be read: the refusal envelope, or
/// a 408 page when the body does not arrive in time.
async fn read_params(
    shared: &Shared,
    request: Request<Incoming>,
    query: Option<&str>,
    content_type: Option<&str>,
) -> Result<Params, Response<Body>> {
    let reading = read_body(request, shared.body_limit);
    let body = match tokio::time::timeout(shared.timeouts.body, reading).await {
        Ok(body) => body,
        Err(_) => return Err(request_timeout()),
    };
    body.and_then(|body| Params::read(query, content_type, &body))
        .map_err(|error| envelope(Reply::Refused(error.to_string()), shared.https))
}

async fn read_body(request: Request<Incoming>, limit: usize) -> Result<Bytes, ParamError> {
    let collected = Limited::new(request.into_body(), limit)
        .collect()
        .await
        .map_err(|error| match error.downcast_ref::<LengthLimitError>() {
            Some(_) => ParamError::TooLarge { limit },
            None => ParamError::Unreadable(error.to_string()),
        })?;
    Ok(collected.to_bytes())
}

/// The answer to a body that did not arrive in time; the connection closes after it.
fn request_timeout() -> Response<Body> {
    let mut response = html(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT);
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// During a platform upgrade's restart: an HTML 503, or a dropped connection.
fn web_tier_down(shared: &Shared) -> Option<Answer> {
    let mut state = shared.lock();
    outage(shared, &mut state, shared.clock.now())
}

/// The outage answer when the platform restarts at `now`, after catching the state up to it.
/// The check and the dispatch share one lock and one `now`, so no JSON answer is ever given
/// from inside the restart window.
fn outage(shared: &Shared, state: &mut SimState, now: Instant) -> Option<Answer> {
    engine::advance(state, now);
    if !engine::restarting(state, now) {
        return None;
    }
    if state.rng.random_bool(shared.restart_drop_chance) {
        return Some(Err(Dropped));
    }
    Some(Ok(html(
        StatusCode::SERVICE_UNAVAILABLE,
        SERVICE_UNAVAILABLE,
    )))
}

/// The `flaky` fault: some reads get a 502/503 page or a reset.
fn flaky(shared: &Shared) -> Option<Answer> {
    let roll: f64 = shared.lock().rng.random_range(0.0..1.0);
    match roll {
        r if r < 0.06 => Some(Ok(html(StatusCode::BAD_GATEWAY, PROXY_ERROR))),
        r if r < 0.10 => Some(Ok(html(
            StatusCode::SERVICE_UNAVAILABLE,
            SERVICE_UNAVAILABLE,
        ))),
        r if r < 0.14 => Some(Err(Dropped)),
        _ => None,
    }
}

/// Waits for a synchronous operation to finish. A platform upgrade is answered when its
/// restart begins, before the web tier goes down (with the `sync-drop` fault, the restart drops
/// the connection instead).
async fn wait_for(shared: &Shared, request_id: u64) -> Result<Reply, Dropped> {
    loop {
        tokio::time::sleep(WAIT_POLL).await;
        let mut state = shared.lock();
        let now = shared.clock.now();
        engine::advance(&mut state, now);
        if engine::restarting(&state, now) {
            return match shared.sync_drop {
                true => Err(Dropped),
                false => Ok(Reply::message(status::restarting_message(&state))),
            };
        }
        match status::outcome(&state, request_id, now) {
            Some(Outcome::InProgress(_)) => continue,
            Some(Outcome::Complete(message)) => return Ok(Reply::message(message)),
            Some(Outcome::Failed(reason)) => return Ok(Reply::Refused(reason)),
            None => {
                return Ok(Reply::Refused(format!(
                    "request_id {request_id} is unknown"
                )));
            }
        }
    }
}

/// How a long list's answer begins: the response, or the outage that came first.
enum Opening {
    Body(Body),
    Outage(Answer),
}

/// A long list, answered as it is written: `list_gateway_upgrade_status` first waits while it is
/// held back and for the `slow-status` fault, without the state lock; then the list is written
/// under the lock on a blocking thread, from one moment of the state, and its first chunk is
/// answered while the rest is written. A restart that began meanwhile answers its outage.
async fn listed(shared: &Arc<Shared>, listing: Listing) -> Answer {
    if listing.is_upgrade_status() {
        shared.status_gate.passed().await;
        if !shared.status_latency.is_zero() {
            tokio::time::sleep(shared.status_latency).await;
        }
    }
    let (opened, opening) = oneshot::channel();
    let producer = Arc::clone(shared);
    tokio::task::spawn_blocking(move || produce(&producer, &listing, opened));
    match opening.await {
        Ok(Opening::Body(body)) => Ok(json_response(body, shared.https)),
        Ok(Opening::Outage(answer)) => answer,
        // The producer failed before its first byte: drop the connection, as on a crash.
        Err(_) => Err(Dropped),
    }
}

/// Writes `listing` in its envelope into a [`ChunkSink`] that hands the body to `opened`.
fn produce(shared: &Shared, listing: &Listing, opened: oneshot::Sender<Opening>) {
    let mut state = shared.lock();
    if let Some(answer) = outage(shared, &mut state, shared.clock.now()) {
        let _ = opened.send(Opening::Outage(answer));
        return;
    }
    let mut sink = ChunkSink::new(move |body| {
        let _ = opened.send(Opening::Body(body));
    });
    sink.buffer().extend_from_slice(RESULTS_OPENING.as_bytes());
    // A listing that stops early (the client went away) drops the sink, which cuts the body.
    if listing.write(&state, &mut sink).is_ok() {
        sink.buffer().push(b'}');
        let _ = sink.finish();
    }
}

/// How every successful envelope begins; `results` follows.
const RESULTS_OPENING: &str = "{\"return\":true,\"results\":";

/// The JSON envelope of a reply.
fn envelope(reply: Reply, https: bool) -> Response<Body> {
    json_response(whole(envelope_text(reply)), https)
}

fn envelope_text(reply: Reply) -> String {
    match reply {
        Reply::Done(results) => format!("{RESULTS_OPENING}{results}}}"),
        // Written by `listed` as it is sent; never reaches here.
        Reply::Listing(_) => refusal_text("internal error: a long list is answered as it is sent"),
        Reply::LoggedIn { cid, message } => format!(
            "{{\"return\":true,\"results\":{},\"CID\":{}}}",
            quote(&message),
            quote(&cid)
        ),
        Reply::Refused(reason) | Reply::LoginFailed(reason) => refusal_text(&reason),
        Reply::WaitFor(request_id) => format!("{RESULTS_OPENING}\"{request_id}\"}}"),
        Reply::Bare(fields) => fields,
    }
}

fn refusal_text(reason: &str) -> String {
    format!("{{\"return\":false,\"reason\":{}}}", quote(reason))
}

/// An RPC answer's response: HTTP 200, `text/json`, and the controller's headers.
fn json_response(body: Body, https: bool) -> Response<Body> {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("pragma", HeaderValue::from_static("no-cache"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    if https {
        headers.insert(
            "strict-transport-security",
            HeaderValue::from_static("max-age=77760000"),
        );
    }
    response
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

fn html(status: StatusCode, page: &'static str) -> Response<Body> {
    let mut response = Response::new(whole(Bytes::from_static(page.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=iso-8859-1"),
    );
    response
}
