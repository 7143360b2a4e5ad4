//! The simulator's long answers over real HTTP on 127.0.0.1: `list_vpcs_summary` and
//! `list_gateway_upgrade_status` of a large fleet arrive as a chunked body, in more than one
//! piece, and read back as the same JSON as the records asked for one at a time; a small answer
//! keeps its length; a reader that goes away frees the simulator; the typed client reads a
//! streamed list; faults still disturb the streamed lists; and `list_gateway_upgrade_status` can
//! be held back (`RunningSim::hold_statuses`) or delayed (`slow-status`) while every other call
//! is served.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use std::time::{Duration, Instant};

use avx_upgrade::api::{Client, ClientSettings, TrustMode};
use avx_upgrade::secret::{Credentials, Secret};
use avx_upgrade::sim::fleet::{self, FleetSpec};
use avx_upgrade::snapshot::{Snapshot, UpdateStatus};
use common::*;
use reqwest::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use serde_json::Value;

/// A fleet large enough to be sent in many chunks (1,000 records each).
const LARGE: usize = 20_000;
/// How long a negative check waits for something that must not happen.
const NOT_YET: Duration = Duration::from_millis(300);

fn large_fleet(gateways: usize) -> Snapshot {
    let catalog = catalog();
    fleet::generate(&FleetSpec::mid_rollout(&catalog, gateways, 11), &catalog).expect("fleet")
}

/// A body as it arrived: its pieces, and the headers that say how it was framed.
struct Received {
    pieces: Vec<bytes::Bytes>,
    chunked: bool,
    length: Option<String>,
}

impl Received {
    fn json(&self) -> Value {
        let whole = self.pieces.concat();
        serde_json::from_slice(&whole).unwrap_or_else(|error| panic!("not JSON: {error}"))
    }
}

/// GETs `action` with `params` and reads the body piece by piece, as it arrives.
async fn receive(sim: &Sim, cid: &str, action: &str, params: &[(&str, &str)]) -> Received {
    let mut query = vec![("action", action), ("CID", cid)];
    query.extend_from_slice(params);
    let mut response = sim
        .client
        .get(sim.api())
        .query(&query)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "text/json");
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|value: &reqwest::header::HeaderValue| value.to_str().expect("text").to_owned())
    };
    let chunked = header(TRANSFER_ENCODING).as_deref() == Some("chunked");
    let length = header(CONTENT_LENGTH);
    let mut pieces = Vec::new();
    while let Some(piece) = response.chunk().await.expect("the body reads") {
        pieces.push(piece);
    }
    Received {
        pieces,
        chunked,
        length,
    }
}

/// The one record `list_vpcs_summary` gives for `name`.
async fn record_of(sim: &Sim, cid: &str, name: &str) -> Value {
    let narrowed = receive(sim, cid, "list_vpcs_summary", &[("gateway_name", name)]).await;
    assert!(
        !narrowed.chunked && narrowed.length.is_some(),
        "a one-record answer is sent whole, with its length"
    );
    let results = narrowed.json()["results"].clone();
    assert_eq!(results.as_array().map(Vec::len), Some(1), "{results}");
    results[0].clone()
}

#[tokio::test]
async fn list_vpcs_summary_of_20000_gateways_arrives_in_pieces_that_make_the_same_json() {
    let snapshot = large_fleet(LARGE);
    let sim = Sim::start(config(snapshot.clone(), 1.0)).await;
    let cid = sim.login().await;
    let received = receive(&sim, &cid, "list_vpcs_summary", &[]).await;
    assert!(received.chunked, "a large answer is chunked");
    assert_eq!(received.length, None, "a chunked answer has no length");
    assert!(
        received.pieces.len() > 1,
        "arrived in {} piece(s)",
        received.pieces.len()
    );
    let first = &received.pieces[0];
    assert!(
        first.starts_with(b"{\"return\":true,\"results\":[{\"vpc_name\":"),
        "the first piece opens the envelope and the first record"
    );
    let answer = received.json();
    let records = answer["results"].as_array().expect("results");
    let names: Vec<&str> = records.iter().map(|r| text(&r["vpc_name"])).collect();
    let expected: Vec<&str> = snapshot
        .gateways()
        .iter()
        .map(|g| g.name.as_ref())
        .collect();
    assert_eq!(names, expected, "every gateway once, in order");
    for index in [0, 999, 1_000, 1_001, 12_345, LARGE - 1] {
        let alone = record_of(&sim, &cid, expected[index]).await;
        assert_eq!(records[index], alone, "record {index}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn list_gateway_upgrade_status_of_20000_gateways_arrives_in_pieces() {
    let snapshot = large_fleet(LARGE);
    let sim = Sim::start(config(snapshot.clone(), 1.0)).await;
    let cid = sim.login().await;
    let received = receive(&sim, &cid, "list_gateway_upgrade_status", &[]).await;
    assert!(received.chunked && received.pieces.len() > 1);
    let answer = received.json();
    assert_eq!(answer["return"], true);
    let gw_info = answer["results"]["gw_info"].as_array().expect("gw_info");
    assert_eq!(gw_info.len(), LARGE);
    assert_eq!(
        text(&gw_info[LARGE - 1]["name"]),
        &*snapshot.gateways()[LARGE - 1].name
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_small_list_is_sent_whole_with_its_length() {
    let sim = Sim::start(config(fleet(CURRENT), 1.0)).await;
    let cid = sim.login().await;
    for action in ["list_vpcs_summary", "list_gateway_upgrade_status"] {
        let received = receive(&sim, &cid, action, &[]).await;
        assert!(!received.chunked, "{action}");
        let whole = received.pieces.concat();
        assert_eq!(received.length, Some(whole.len().to_string()), "{action}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn a_reader_that_goes_away_midway_leaves_the_simulator_serving() {
    let sim = Sim::start(config(large_fleet(LARGE), 1.0)).await;
    let cid = sim.login().await;
    let mut response = sim
        .client
        .get(sim.api())
        .query(&[("action", "list_vpcs_summary"), ("CID", cid.as_str())])
        .send()
        .await
        .expect("answered");
    let first = response
        .chunk()
        .await
        .expect("reads")
        .expect("a first piece");
    assert!(!first.is_empty());
    drop(response);
    let versions = tokio::time::timeout(DEADLINE, sim.versions(&cid))
        .await
        .expect("the simulator answers after a reader went away");
    assert_eq!(text(&versions["current_version"]), "UserConnect-7.1.4183");
    sim.stop().await;
}

#[tokio::test]
async fn the_typed_client_reads_a_streamed_list() {
    let sim = Sim::start(config(large_fleet(LARGE), 1.0)).await;
    let credentials = Credentials {
        user: USER.into(),
        password: Secret::new(PASSWORD),
    };
    let settings = ClientSettings::new(sim.url.clone(), credentials, TrustMode::System);
    let client = Client::new(settings).expect("client");
    let read = client.gateways().await.expect("the gateways read");
    assert_eq!(read.gateways.len(), LARGE);
    sim.stop().await;
}

#[tokio::test]
async fn flaky_still_disturbs_a_streamed_list() {
    let sim = Sim::start(with_faults(config(large_fleet(1_500), 1.0), "flaky")).await;
    let cid = sim.login().await;
    let form = [("action", "list_vpcs_summary"), ("CID", cid.as_str())];
    let (mut answered, mut disturbed) = (0, 0);
    for _ in 0..40 {
        match try_call(&sim.client, &sim.api(), &form).await {
            Seen::Json(answer) => {
                assert_eq!(answer["results"].as_array().map(Vec::len), Some(1_500));
                answered += 1;
            }
            Seen::Html(..) | Seen::Dropped(_) => disturbed += 1,
        }
    }
    assert!(
        answered > 0 && disturbed > 0,
        "{answered} answered, {disturbed} disturbed"
    );
    sim.stop().await;
}

/// Starts `list_gateway_upgrade_status` in the background.
fn statuses_in_background(sim: &Sim, cid: &str) -> tokio::task::JoinHandle<Value> {
    let (client, api, cid) = (sim.client.clone(), sim.api(), cid.to_owned());
    tokio::spawn(async move {
        let form = [
            ("action", "list_gateway_upgrade_status"),
            ("CID", cid.as_str()),
        ];
        post_form(&client, &api, &form).await
    })
}

#[tokio::test]
async fn held_statuses_wait_while_other_calls_are_served_then_answer_the_state_at_release() {
    let sim = Sim::start(config(fleet(CURRENT), 1.0)).await;
    let cid = sim.login().await;
    let hold = sim.running.hold_statuses();
    let mut statuses = statuses_in_background(&sim, &cid);
    assert!(
        tokio::time::timeout(NOT_YET, &mut statuses).await.is_err(),
        "answered while held"
    );
    // The state lock is free meanwhile: other calls, the gateway list included, answer.
    let gateways = sim.results(&cid, "list_vpcs_summary", &[]).await;
    assert_eq!(gateways.as_array().map(Vec::len), Some(5));
    sim.running.with_state(|state| {
        state.runtime[0].update_status = UpdateStatus::Upgrading;
        state.runtime[0].progress = 42;
    });
    hold.release();
    let answer = tokio::time::timeout(DEADLINE, statuses)
        .await
        .expect("answered once released")
        .expect("the request's task");
    let first = &answer["results"]["gw_info"][0];
    assert_eq!(first["update_status"], "upgrading", "the state at release");
    assert_eq!(first["progress"], 42);
    // Released, the next request is not held.
    let again = tokio::time::timeout(DEADLINE, sim.upgrade_status(&cid)).await;
    assert_eq!(again.expect("not held").len(), 5);
    sim.stop().await;
}

#[tokio::test]
async fn slow_status_delays_only_list_gateway_upgrade_status() {
    const DELAY: Duration = Duration::from_millis(800);
    let sim = Sim::start(with_faults(config(fleet(CURRENT), 1.0), "slow-status=0.8")).await;
    let cid = sim.login().await;
    let started = Instant::now();
    let statuses = statuses_in_background(&sim, &cid);
    sim.versions(&cid).await;
    sim.results(&cid, "list_vpcs_summary", &[]).await;
    assert!(
        !statuses.is_finished(),
        "the status list is still delayed when the others have answered"
    );
    let answer = tokio::time::timeout(DEADLINE, statuses)
        .await
        .expect("answered after the delay")
        .expect("the request's task");
    assert!(
        started.elapsed() >= DELAY,
        "answered after {:?}",
        started.elapsed()
    );
    assert_eq!(
        answer["results"]["gw_info"].as_array().map(Vec::len),
        Some(5)
    );
    sim.stop().await;
}
