//! Helpers shared by the simulator's integration tests (`sim_protocol`, `sim_operations`):
//! start a simulated controller in-process on 127.0.0.1 with an ephemeral port (on the wall
//! clock, or on a manual clock the test advances), build fleets for precise scenarios, log in,
//! call an action over real HTTP, poll with a deadline so a hang fails the test instead of
//! blocking CI, and step a manual clock until an operation is over.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]
#![allow(
    dead_code,
    reason = "each test binary compiles this module on its own and uses only part of it"
)]

use std::future::Future;
use std::time::Duration;

use avx_upgrade::catalog::Catalog;
use avx_upgrade::cloud::Cloud;
use avx_upgrade::secret::Secret;
use avx_upgrade::sim::clock::Clock;
use avx_upgrade::sim::faults::Faults;
use avx_upgrade::sim::sessions::Credentials;
use avx_upgrade::sim::{self, DEFAULT_BODY_LIMIT, DEFAULT_SESSION_TTL, RunningSim, SimConfig};
use avx_upgrade::snapshot::{Backup, Controller, Gateway, GatewayType, Role, Snapshot};
use avx_upgrade::version::Version;
use reqwest::header::CONTENT_TYPE;
use serde_json::Value;

pub const USER: &str = "admin";
pub const PASSWORD: &str = "pw";

/// The controller's version in the hand-built scenarios, its previous one and the next train's
/// newest build, all from the built-in catalog.
pub const CURRENT: &str = "7.1.4183";
pub const PREVIOUS: &str = "7.0.2239";
pub const NEXT: &str = "7.2.5090";
/// The AWS images the built-in matrix gives for software 7.1 and 7.0.
pub const AWS_IMAGE_71: &str = "hvm-cloudx-aws-080423";
pub const AWS_IMAGE_70: &str = "hvm-cloudx-aws-102722";

/// The longest any single test may wait for the simulator.
pub const DEADLINE: Duration = Duration::from_secs(20);
/// How far [`Sim::finish_task`] moves a manual clock between two looks at the task.
pub const TASK_STEP: Duration = Duration::from_secs(10);
/// More simulated time than any operation takes, even with the `restart` fault (about 20
/// minutes): a manual clock stepped this far without the end in sight fails the test.
pub const LONGEST_OPERATION: Duration = Duration::from_secs(2 * 3600);

pub fn v(text: &str) -> Version {
    text.parse().expect(text)
}

pub fn catalog() -> Catalog {
    Catalog::builtin().expect("the built-in catalog loads")
}

/// A simulator configuration: plain HTTP on an ephemeral loopback port, no faults.
pub fn config(snapshot: Snapshot, speed: f64) -> SimConfig {
    SimConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        tls: false,
        snapshot,
        catalog: catalog(),
        credentials: Credentials {
            user: USER.into(),
            password: Secret::new(PASSWORD),
        },
        speed,
        clock: Clock::Wall,
        faults: Faults::default(),
        session_ttl: DEFAULT_SESSION_TTL,
        seed: 7,
        require_access_key: false,
        body_limit: DEFAULT_BODY_LIMIT,
    }
}

/// `config` on a manual clock at speed 1: nothing moves until the test calls [`Sim::advance`],
/// and a second advanced is a simulated second (and a second of session idleness).
pub fn manual(snapshot: Snapshot) -> SimConfig {
    SimConfig {
        clock: Clock::manual(),
        ..config(snapshot, 1.0)
    }
}

/// `config` with the faults of a `--faults` list.
pub fn with_faults(mut config: SimConfig, faults: &str) -> SimConfig {
    config.faults = faults.parse().expect(faults);
    config
}

/// A running simulator and a client for it.
pub struct Sim {
    pub running: RunningSim,
    pub client: reqwest::Client,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Sim {
    pub async fn start(config: SimConfig) -> Sim {
        let running = sim::start(config).await.expect("the simulator starts");
        Sim {
            url: running.url.clone(),
            client: client(),
            running,
        }
    }

    /// Moves the simulator's manual clock `by` forward.
    pub fn advance(&self, by: Duration) {
        self.running
            .clock()
            .as_manual()
            .expect("the simulator runs on a manual clock (common::manual)")
            .advance(by);
    }

    /// How far the simulator's manual clock has been advanced since it started.
    pub fn advanced(&self) -> Duration {
        self.running
            .clock()
            .as_manual()
            .expect("the simulator runs on a manual clock (common::manual)")
            .elapsed()
    }

    /// Tries `attempt`; while it gives nothing, advances the manual clock by `step` and tries
    /// again. Panics once the clock has moved [`LONGEST_OPERATION`] without an answer.
    pub async fn step_until<T, F, Fut>(&self, what: &str, step: Duration, mut attempt: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let give_up = self.advanced() + LONGEST_OPERATION;
        loop {
            if let Some(value) = attempt().await {
                return value;
            }
            assert!(
                self.advanced() < give_up,
                "{what}: nothing after {LONGEST_OPERATION:?} of simulated time"
            );
            self.advance(step);
        }
    }

    /// `{url}/v2/api`.
    pub fn api(&self) -> String {
        format!("{}/v2/api", self.url)
    }

    /// Logs in as the configured user and returns the CID.
    pub async fn login(&self) -> String {
        login(&self.client, &self.url).await
    }

    /// Calls `action` with `CID` and `params` on `/v2/api`, as a form POST, and returns the
    /// JSON envelope (after asserting HTTP 200 and `text/json`).
    pub async fn call(&self, cid: &str, action: &str, params: &[(&str, &str)]) -> Value {
        let mut form = vec![("action", action), ("CID", cid)];
        form.extend_from_slice(params);
        post_form(&self.client, &self.api(), &form).await
    }

    /// Like [`Sim::call`], but insists on `return: true` and gives `results`.
    pub async fn results(&self, cid: &str, action: &str, params: &[(&str, &str)]) -> Value {
        let answer = self.call(cid, action, params).await;
        assert_eq!(
            answer["return"],
            Value::Bool(true),
            "{action} {params:?} failed: {answer}"
        );
        answer["results"].clone()
    }

    /// Like [`Sim::call`], but insists on `return: false` and gives `reason`.
    pub async fn refused(&self, cid: &str, action: &str, params: &[(&str, &str)]) -> String {
        let answer = self.call(cid, action, params).await;
        assert_eq!(
            answer["return"],
            Value::Bool(false),
            "{action} {params:?} should be refused: {answer}"
        );
        answer["reason"]
            .as_str()
            .unwrap_or_else(|| panic!("a refusal carries a reason: {answer}"))
            .to_owned()
    }

    /// `gw_info[]` of `list_gateway_upgrade_status`.
    pub async fn upgrade_status(&self, cid: &str) -> Vec<Value> {
        let results = self.results(cid, "list_gateway_upgrade_status", &[]).await;
        results["gw_info"]
            .as_array()
            .unwrap_or_else(|| panic!("gw_info is an array: {results}"))
            .clone()
    }

    /// The `gw_info[]` entry of gateway `name`.
    pub async fn gateway_status(&self, cid: &str, name: &str) -> Value {
        self.upgrade_status(cid)
            .await
            .into_iter()
            .find(|entry| entry["name"] == name)
            .unwrap_or_else(|| panic!("{name} is listed in gw_info"))
    }

    /// Follows a task on a manual clock: looks at `check_task_status`, and advances the clock
    /// by [`TASK_STEP`] while the task is in progress; returns the final envelope.
    pub async fn finish_task(&self, cid: &str, request_id: &str) -> Value {
        self.step_until(&format!("task {request_id}"), TASK_STEP, || async {
            let answer = self
                .call(cid, "check_task_status", &[("request_id", request_id)])
                .await;
            (answer["reason"] != "REQUEST_IN_PROGRESS").then_some(answer)
        })
        .await
    }

    /// Makes a call that answers only once its operation is over (no `async`) on a manual
    /// clock: sends it, waits for the operation to start, advances the clock by [`TASK_STEP`]
    /// until the operation is over, and returns the call's answer.
    pub async fn call_until_over(&self, cid: &str, action: &str, params: &[(&str, &str)]) -> Value {
        let mut form = vec![("action".to_owned(), action.to_owned())];
        form.push(("CID".to_owned(), cid.to_owned()));
        form.extend(
            params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let call = tokio::spawn({
            let (client, api) = (self.client.clone(), self.api());
            async move {
                let form: Vec<(&str, &str)> =
                    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                post_form(&client, &api, &form).await
            }
        });
        eventually(&format!("{action} to start"), || async {
            self.running
                .with_state(|state| state.is_busy())
                .then_some(())
        })
        .await;
        self.step_until(&format!("{action} to be over"), TASK_STEP, || async {
            // Any request catches the simulator up to the clock.
            self.upgrade_status(cid).await;
            self.running
                .with_state(|state| !state.is_busy())
                .then_some(())
        })
        .await;
        tokio::time::timeout(DEADLINE, call)
            .await
            .unwrap_or_else(|_| panic!("{action} answers within {DEADLINE:?} of its end"))
            .expect("the call's task")
    }

    /// The controller's `list_version_info` results.
    pub async fn versions(&self, cid: &str) -> Value {
        self.results(cid, "list_version_info", &[]).await
    }

    pub async fn stop(self) {
        self.running.stop().await;
    }
}

/// A client as the console would build it: a per-request timeout so a hang fails the test.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// Logs in with a form POST to `/v2/api` and returns the 20-character CID.
pub async fn login(client: &reqwest::Client, url: &str) -> String {
    let answer = post_form(
        client,
        &format!("{url}/v2/api"),
        &[
            ("action", "login"),
            ("username", USER),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(answer["return"], Value::Bool(true), "login: {answer}");
    answer["CID"]
        .as_str()
        .unwrap_or_else(|| panic!("login answers a CID at top level: {answer}"))
        .to_owned()
}

/// Posts a form and returns the JSON envelope, asserting HTTP 200 and `text/json`.
pub async fn post_form(client: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> Value {
    let response = client
        .post(endpoint)
        .form(form)
        .send()
        .await
        .unwrap_or_else(|error| panic!("POST {endpoint} {form:?}: {error}"));
    envelope(response).await
}

/// Asserts an RPC answer's HTTP status (200) and content type (`text/json`), and parses it.
pub async fn envelope(response: reqwest::Response) -> Value {
    let status = response.status();
    let content_type = content_type(&response);
    let text = response.text().await.expect("the body is readable");
    assert_eq!(status, 200, "every RPC answer is HTTP 200: {text}");
    assert_eq!(content_type, "text/json", "{text}");
    let value: Value =
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("not JSON ({error}): {text}"));
    assert!(
        value["return"].is_boolean(),
        "the envelope has a boolean `return`: {text}"
    );
    value
}

pub fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// What a client sees on one call while the controller may be restarting or flaky.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    /// A JSON envelope (HTTP 200, `text/json`).
    Json(Value),
    /// A non-JSON HTML error page: the status (502 or 503) and the body.
    Html(u16, String),
    /// The connection failed or was dropped without an answer.
    Dropped(String),
}

/// One call that tolerates what a restarting or flaky controller does, the way a real client
/// (the Terraform provider) does: a transport error or a non-JSON 502/503 means "keep polling".
pub async fn try_call(client: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> Seen {
    let response = match client.post(endpoint).form(form).send().await {
        Ok(response) => response,
        Err(error) => return Seen::Dropped(error.to_string()),
    };
    let status = response.status().as_u16();
    let content_type = content_type(&response);
    let text = match response.text().await {
        Ok(text) => text,
        Err(error) => return Seen::Dropped(error.to_string()),
    };
    if status == 200 && content_type == "text/json" {
        return Seen::Json(
            serde_json::from_str(&text)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {text}")),
        );
    }
    assert!(
        (status == 502 || status == 503) && content_type.starts_with("text/html"),
        "a non-JSON answer is an HTML 502/503 page, not {status} {content_type}: {text}"
    );
    Seen::Html(status, text)
}

/// Retries `attempt` every few milliseconds until it gives a value; panics after [`DEADLINE`].
pub async fn eventually<T, F, Fut>(what: &str, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let give_up = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(value) = attempt().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < give_up,
            "timed out after {DEADLINE:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A healthy AWS gateway on `software` with the image the matrix gives for its train.
pub fn gateway(name: &str, gw_type: GatewayType, role: Role, software: &str) -> Gateway {
    let software = v(software);
    let mut gateway = Gateway::new(name, Cloud::Aws, "us-east-1", gw_type, role, software);
    gateway.account = Some("prod-aws".into());
    let image = catalog()
        .image_for(Cloud::Aws, software.train())
        .map(|entry| (entry.image.clone(), entry.kernel.clone()));
    if let Some((image, kernel)) = image {
        gateway.image_version = Some(image.into());
        gateway.kernel_version = kernel.map(Into::into);
    }
    gateway
}

/// An HA pair `name` / `name-hagw`, both on `software`.
pub fn pair(name: &str, gw_type: GatewayType, software: &str) -> [Gateway; 2] {
    let ha_name = format!("{name}-hagw");
    let mut primary = gateway(name, gw_type, Role::Primary, software);
    let mut secondary = gateway(&ha_name, gw_type, Role::Secondary, software);
    primary.peer = Some(ha_name.into());
    secondary.peer = Some(name.into());
    [primary, secondary]
}

/// A controller on `current` (previously on `previous`) with a fresh backup, so no checklist
/// item gets in the way of the rule under test.
pub fn controller(current: &str, previous: Option<&str>) -> Controller {
    let mut controller = Controller::new(v(current));
    controller.previous_version = previous.map(v);
    controller.kernel_version = Some("5.15.0-1040-aws".into());
    controller.checklist.cloud = Some(Cloud::Aws);
    controller.checklist.backup = Backup {
        enabled: true,
        last_backup: Some(jiff::Timestamp::now()),
        files_kept: 3,
    };
    controller
}

/// The standard precise scenario: controller [`CURRENT`] (previous [`PREVIOUS`]) with a transit
/// pair, a spoke pair and a standalone gateway, all on `software`.
pub fn fleet(software: &str) -> Snapshot {
    let mut gateways = Vec::new();
    gateways.extend(pair("transit-use1", GatewayType::Transit, software));
    gateways.extend(pair("spoke-use1-web", GatewayType::Spoke, software));
    gateways.push(gateway(
        "egress-use1",
        GatewayType::Standalone,
        Role::Primary,
        software,
    ));
    Snapshot::new(controller(CURRENT, Some(PREVIOUS)), gateways).expect("valid snapshot")
}

/// A JSON string value's text.
pub fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("a string: {value}"))
}

/// An asynchronous call's request id: a string since 7.1, a number on a 6.5–7.0 controller.
pub fn request_id(value: &Value) -> String {
    match value {
        Value::String(id) => id.clone(),
        Value::Number(id) => id.to_string(),
        other => panic!("a request id: {other}"),
    }
}

/// The standard fleet on `software`, with some gateways changed by `change`.
pub fn fleet_with(software: &str, change: impl FnOnce(&mut Vec<Gateway>)) -> Snapshot {
    let base = fleet(software);
    let mut gateways = base.gateways().to_vec();
    change(&mut gateways);
    Snapshot::new(base.controller.clone(), gateways).expect("valid snapshot")
}

/// The gateway called `name`, to change it.
pub fn named<'a>(gateways: &'a mut [Gateway], name: &str) -> &'a mut Gateway {
    gateways
        .iter_mut()
        .find(|gateway| &*gateway.name == name)
        .unwrap_or_else(|| panic!("{name} is in the fleet"))
}
