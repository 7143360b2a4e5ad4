//! Operations over simulated time, watched over real HTTP the way a client watches a real
//! controller: a gateway software upgrade and rollback seen through
//! `list_gateway_upgrade_status`, an image upgrade, platform upgrades through their 503 window
//! (sessions dropped, versions moved one hop, pre-6.5 controllers taking every gateway along),
//! requests refused by the planner's rules with their finding codes, `Active upgrade in
//! progress.`, and every fault mode (flaky, restart, expire, stuck, gw-fail=P, config-fail,
//! no-op=P, slow=MS), with the `message` a failed gateway carries.
//!
//! Each test that runs an operation starts its own simulator on a manual clock (speed 1: a
//! second advanced is a simulated second) and steps it by hand, looking over HTTP after every
//! step: each transient stage is seen because the test stepped the clock into it, whatever the
//! speed of the machine. Only real waits (an answer over HTTP, the `slow` fault's latency) are
//! measured on the wall clock, under a deadline, so a hang fails instead of blocking CI.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use avx_upgrade::catalog::Catalog;
use avx_upgrade::sim::SHORT_SESSION_TTL;
use avx_upgrade::sim::fleet::{self, FleetSpec};
use avx_upgrade::snapshot::{Gateway, GatewayState, GatewayType, Role, Snapshot};
use common::*;
use serde_json::Value;

const CID_INVALID: &str = "CID is invalid or expired.";
const ACTIVE_UPGRADE: &str = "Active upgrade in progress.";
/// The Update Status column of a gateway operation, in order (controller-api.md §3.4).
const STAGES: [&str; 6] = [
    "upgrading",
    "downloading",
    "downloaded",
    "installing",
    "initializing",
    "complete",
];

/// `check_task_status` of a task that must be over already (its gateways were seen finished).
async fn finished_task(sim: &Sim, cid: &str, request_id: &str) -> Value {
    let answer = sim
        .call(cid, "check_task_status", &[("request_id", request_id)])
        .await;
    assert_ne!(
        answer["reason"], "REQUEST_IN_PROGRESS",
        "task {request_id} is over with its gateways: {answer}"
    );
    answer
}

/// Starts an asynchronous operation and returns its request id.
async fn start_async(sim: &Sim, cid: &str, action: &str, params: &[(&str, &str)]) -> String {
    let mut params = params.to_vec();
    params.push(("async", "true"));
    common::request_id(&sim.results(cid, action, &params).await)
}

// ---------------------------------------------------------------------------------------------
// Watching gateways
// ---------------------------------------------------------------------------------------------

/// How far [`watch`] moves the clock between two looks: shorter than the shortest stage of a
/// gateway job (10 simulated seconds less 15% jitter), so every stage is seen at least once.
const GATEWAY_STEP: Duration = Duration::from_secs(4);

/// What a watcher saw of one gateway in `gw_info[]`, consecutive repeats removed.
#[derive(Debug, Default)]
struct Trace {
    update_status: Vec<String>,
    vpc_state: Vec<String>,
    note: Vec<String>,
    progress: Vec<u64>,
}

fn push_change(trace: &mut Vec<String>, value: &Value) {
    let value = common::text(value);
    if trace.last().map(String::as_str) != Some(value) {
        trace.push(value.to_owned());
    }
}

/// Looks at `list_gateway_upgrade_status`, then advances the clock by [`GATEWAY_STEP`], until
/// every gateway of `names` has finished (`complete` or `upgrade_fail`), recording `names` and
/// `also` (their peers). Returns the traces and the simulated time the operation took (the
/// clock's advance until the end was seen, a step at most after the end).
async fn watch(
    sim: &Sim,
    cid: &str,
    names: &[&str],
    also: &[&str],
) -> (BTreeMap<String, Trace>, Duration) {
    let started = sim.advanced();
    let mut traces: BTreeMap<String, Trace> = BTreeMap::new();
    loop {
        let gw_info = sim.upgrade_status(cid).await;
        if record(&mut traces, &gw_info, names, also) {
            return (traces, sim.advanced() - started);
        }
        assert!(
            sim.advanced() - started < LONGEST_OPERATION,
            "{names:?} never finished: {traces:?}"
        );
        sim.advance(GATEWAY_STEP);
    }
}

/// Adds one `gw_info[]` answer to `traces`; true when every gateway of `names` has finished.
fn record(
    traces: &mut BTreeMap<String, Trace>,
    gw_info: &[Value],
    names: &[&str],
    also: &[&str],
) -> bool {
    let mut finished = true;
    for entry in gw_info {
        let name = common::text(&entry["name"]);
        if !names.contains(&name) && !also.contains(&name) {
            continue;
        }
        let trace = traces.entry(name.to_owned()).or_default();
        push_change(&mut trace.update_status, &entry["update_status"]);
        push_change(&mut trace.vpc_state, &entry["vpc_state"]);
        push_change(&mut trace.note, &entry["note"]);
        trace
            .progress
            .push(entry["progress"].as_u64().expect("progress"));
        let status = common::text(&entry["update_status"]);
        if names.contains(&name) && status != "complete" && status != "upgrade_fail" {
            finished = false;
        }
    }
    finished
}

#[track_caller]
fn assert_every_stage_in_order(name: &str, trace: &Trace) {
    assert_eq!(
        trace.update_status, STAGES,
        "{name} goes through every Update Status in order"
    );
    assert!(
        trace.progress.windows(2).all(|pair| pair[0] <= pair[1]),
        "{name}'s progress never goes back: {:?}",
        trace.progress
    );
    assert_eq!(trace.progress.last(), Some(&100), "{name}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_software_upgrade_and_rollback_seen_through_list_gateway_upgrade_status() {
    // The spoke pair still runs the previous version; the transit pair was upgraded from it.
    let snapshot = common::fleet_with(CURRENT, |gateways| {
        for name in ["spoke-use1-web", "spoke-use1-web-hagw"] {
            let spoke = common::named(gateways, name);
            spoke.software_version = v(PREVIOUS);
            spoke.image_version = Some(AWS_IMAGE_70.into());
            spoke.kernel_version = Some("5.15.0-1026-aws".into());
        }
        common::named(gateways, "transit-use1").previous_software_version = Some(v(PREVIOUS));
    });
    let sim = Sim::start(manual(snapshot)).await;
    let cid = sim.login().await;

    // Software upgrade, as the provider sends it: the target and the gateway's own image.
    let upgrade = start_async(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[
            ("gateway_list", "spoke-use1-web"),
            ("software_version", "latest"),
            ("image_version", AWS_IMAGE_70),
            ("force_upgrade", "false"),
        ],
    )
    .await;
    let (traces, took) = watch(&sim, &cid, &["spoke-use1-web"], &["spoke-use1-web-hagw"]).await;
    // 240 s of stages scaled by 0.85 to 1.4, after a delay under 20 s: 204 to 356 s, seen
    // within a step of its end.
    assert!(
        (Duration::from_secs(204)..Duration::from_secs(356) + GATEWAY_STEP).contains(&took),
        "a gateway software upgrade took {took:?} of simulated time"
    );
    let spoke = &traces["spoke-use1-web"];
    assert_every_stage_in_order("spoke-use1-web", spoke);
    assert_eq!(spoke.vpc_state, ["up"], "a software upgrade is hitless");
    let peer = &traces["spoke-use1-web-hagw"];
    assert_eq!(peer.update_status, ["complete"], "the peer is not upgraded");
    assert_eq!(
        peer.note,
        [""],
        "nobody drains to the peer in a software upgrade"
    );
    let done = finished_task(&sim, &cid, &upgrade).await;
    assert_eq!(done["return"], true, "{done}");
    let status = sim.gateway_status(&cid, "spoke-use1-web").await;
    assert_eq!(status["current_version"], CURRENT);
    assert_eq!(status["previous_version"], PREVIOUS, "versions move on");
    assert_eq!(status["image_version"], AWS_IMAGE_70, "the image stays");
    let peer = sim.gateway_status(&cid, "spoke-use1-web-hagw").await;
    assert_eq!(peer["current_version"], PREVIOUS);

    // Rollback of one member of each pair: both are replaced while their peers carry traffic.
    let rollback = start_async(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[
            ("gateway_list", "spoke-use1-web, transit-use1"),
            ("software_version", "previous"),
        ],
    )
    .await;
    let (traces, took) = watch(
        &sim,
        &cid,
        &["spoke-use1-web", "transit-use1"],
        &["spoke-use1-web-hagw", "transit-use1-hagw"],
    )
    .await;
    // Replacing takes 360 s of stages scaled by 0.85 to 1.4, after a delay under 20 s.
    assert!(
        (Duration::from_secs(306)..Duration::from_secs(524) + GATEWAY_STEP).contains(&took),
        "a rollback took {took:?} of simulated time"
    );
    for (name, peer) in [
        ("spoke-use1-web", "spoke-use1-web-hagw"),
        ("transit-use1", "transit-use1-hagw"),
    ] {
        let trace = &traces[name];
        assert_every_stage_in_order(name, trace);
        assert_eq!(
            trace.vpc_state,
            ["up", "down", "waiting", "up"],
            "{name} is replaced"
        );
        let peer_trace = &traces[peer];
        assert_eq!(peer_trace.vpc_state, ["up"], "{peer} stays up");
        let carrying = format!("carrying the traffic of {name}");
        assert!(
            peer_trace.note.iter().any(|note| note.contains(&carrying)),
            "{peer} carries the traffic while {name} is replaced: {:?}",
            peer_trace.note
        );
        assert_eq!(
            peer_trace.note.last().map(String::as_str),
            Some(""),
            "the note goes once {name} is back"
        );
    }
    let done = finished_task(&sim, &cid, &rollback).await;
    assert_eq!(done["return"], true, "{done}");
    assert!(
        common::text(&done["results"]).contains("Software Rollback"),
        "{done}"
    );

    let spoke = sim.gateway_status(&cid, "spoke-use1-web").await;
    assert_eq!(spoke["current_version"], PREVIOUS);
    assert_eq!(spoke["previous_version"], CURRENT);
    assert_eq!(
        spoke["image_version"], AWS_IMAGE_70,
        "the matrix's image for 7.0"
    );
    let transit = sim.gateway_status(&cid, "transit-use1").await;
    assert_eq!(transit["current_version"], PREVIOUS);
    assert_eq!(transit["previous_version"], CURRENT);
    assert_eq!(
        transit["image_version"], AWS_IMAGE_70,
        "replaced with the 7.0 image"
    );
    assert_eq!(transit["previous_image_version"], AWS_IMAGE_71);
    assert_eq!(transit["kernel_version"], "5.15.0-1026-aws");
    assert_eq!(transit["update_status"], "complete");
    assert_eq!(transit["vpc_state"], "up");
    let record = sim
        .results(
            &cid,
            "get_gateway_info",
            &[("gateway_name", "transit-use1")],
        )
        .await;
    assert_eq!(record["gw_software_version"], PREVIOUS);
    assert_eq!(record["gw_image_name"], AWS_IMAGE_70);
    sim.stop().await;
}

#[tokio::test]
async fn an_image_upgrade_replaces_the_gateway_with_the_matrix_image() {
    // Both gateways run the controller's software on the 7.0 image.
    let snapshot = common::fleet_with(CURRENT, |gateways| {
        for name in ["egress-use1", "transit-use1"] {
            let gateway = common::named(gateways, name);
            gateway.image_version = Some(AWS_IMAGE_70.into());
            gateway.kernel_version = Some("5.15.0-1026-aws".into());
        }
    });
    let sim = Sim::start(manual(snapshot)).await;
    let cid = sim.login().await;
    let params = [
        ("gateway_list", "egress-use1"),
        ("software_version", CURRENT),
        ("image_version", AWS_IMAGE_71),
    ];
    let mut dry = params.to_vec();
    dry.push(("dry_run", "true"));
    let report = sim.results(&cid, "upgrade_selected_gateway", &dry).await;
    assert_eq!(report["operation"], "image-upgrade", "{report}");
    assert_eq!(report["blocked"], false, "{report}");

    let request = start_async(&sim, &cid, "upgrade_selected_gateway", &params).await;
    let (traces, _) = watch(&sim, &cid, &["egress-use1"], &[]).await;
    let egress = &traces["egress-use1"];
    assert_eq!(
        egress.vpc_state,
        ["up", "down", "waiting", "up"],
        "replaced"
    );
    assert_every_stage_in_order("egress-use1", egress);
    assert_eq!(finished_task(&sim, &cid, &request).await["return"], true);
    let status = sim.gateway_status(&cid, "egress-use1").await;
    assert_eq!(status["image_version"], AWS_IMAGE_71);
    assert_eq!(status["previous_image_version"], AWS_IMAGE_70);
    assert_eq!(status["kernel_version"], "5.15.0-1040-aws");
    assert_eq!(status["current_version"], CURRENT, "the software stays");

    // `replace_gateway` is the same operation; selecting one member of a pair drains to its peer.
    let request = start_async(
        &sim,
        &cid,
        "replace_gateway",
        &[("gateway_name", "transit-use1")],
    )
    .await;
    let (traces, _) = watch(&sim, &cid, &["transit-use1"], &["transit-use1-hagw"]).await;
    assert_eq!(
        traces["transit-use1"].vpc_state,
        ["up", "down", "waiting", "up"]
    );
    assert_every_stage_in_order("transit-use1", &traces["transit-use1"]);
    assert!(
        traces["transit-use1-hagw"]
            .note
            .iter()
            .any(|note| note.contains("carrying the traffic of transit-use1")),
        "{:?}",
        traces["transit-use1-hagw"]
    );
    assert_eq!(finished_task(&sim, &cid, &request).await["return"], true);
    let record = sim
        .results(
            &cid,
            "get_gateway_info",
            &[("gateway_name", "transit-use1")],
        )
        .await;
    assert_eq!(record["gw_image_name"], AWS_IMAGE_71);
    assert_eq!(record["gw_software_version"], CURRENT);

    // Nothing left to do: a second image upgrade of the same gateway finishes at once.
    let report = sim
        .results(
            &cid,
            "replace_gateway",
            &[("gateway_name", "egress-use1"), ("dry_run", "true")],
        )
        .await;
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|finding| finding["code"] == "already-current"),
        "{report}"
    );
    sim.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Platform upgrades
// ---------------------------------------------------------------------------------------------

/// How far [`watch_platform`] moves the clock between two looks: a small part of every phase
/// (the shortest, the download, takes at least 108 simulated seconds).
const PLATFORM_STEP: Duration = Duration::from_secs(5);

/// What a client polling `platform_upgrade_status` saw of one platform upgrade.
#[derive(Debug, Default)]
struct PlatformWatch {
    /// `phase` of the JSON answers while in progress, repeats removed.
    phases: Vec<String>,
    percents: Vec<u64>,
    /// HTML error pages: status and body.
    pages: Vec<(u16, String)>,
    /// Connections dropped without an answer.
    drops: usize,
    /// When the first and the last outage (page or drop) was seen, in simulated time since the
    /// watch began.
    outage: Option<(Duration, Duration)>,
    /// An in-progress JSON answer came after the outage had begun.
    answered_during_outage: bool,
    /// The first JSON answer after the outage.
    after: Value,
    /// Simulated time from the start of the watch to that answer.
    took: Duration,
}

impl PlatformWatch {
    /// Notes an outage seen at `at`.
    fn outage_at(&mut self, at: Duration) {
        self.outage = Some((self.outage.map_or(at, |(first, _)| first), at));
    }

    /// Adds one answer seen at `at`; true once the controller answers JSON again after the
    /// upgrade.
    fn see(&mut self, answer: Seen, at: Duration) -> bool {
        match answer {
            Seen::Json(value) => {
                let in_progress =
                    value["return"] == true && value["results"]["is_upgrade_in_progress"] == true;
                if !in_progress {
                    self.after = value;
                    self.took = at;
                    return true;
                }
                if self.outage.is_some() {
                    self.answered_during_outage = true;
                }
                let upgrade = &value["results"]["platform_upgrade"];
                push_change(&mut self.phases, &upgrade["phase"]);
                self.percents
                    .push(upgrade["percent"].as_u64().expect("percent"));
                assert_eq!(upgrade["results"]["status"], "in progress", "{value}");
            }
            Seen::Html(status, body) => {
                self.pages.push((status, body));
                self.outage_at(at);
            }
            Seen::Dropped(_) => {
                self.drops += 1;
                self.outage_at(at);
            }
        }
        false
    }
}

/// Polls `platform_upgrade_status` with `cid`, then advances the clock by [`PLATFORM_STEP`],
/// treating a transport error or an HTML 502/503 page as "keep polling", until the controller
/// answers JSON again after its restart.
async fn watch_platform(sim: &Sim, cid: &str) -> PlatformWatch {
    let mut seen = PlatformWatch::default();
    let started = sim.advanced();
    loop {
        let answer = try_call(
            &sim.client,
            &sim.api(),
            &[
                ("action", "platform_upgrade_status"),
                ("CID", cid),
                ("platform_only", "true"),
            ],
        )
        .await;
        let at = sim.advanced() - started;
        if seen.see(answer, at) {
            return seen;
        }
        assert!(at < LONGEST_OPERATION, "never over: {seen:?}");
        sim.advance(PLATFORM_STEP);
    }
}

/// Advances the clock by [`PLATFORM_STEP`] until the controller serves again and reports the
/// platform upgrade complete to a new login; returns the new CID.
async fn wait_platform_done(sim: &Sim) -> String {
    let api = sim.api();
    sim.step_until(
        "the platform upgrade to complete",
        PLATFORM_STEP,
        || async {
            let login = try_call(
                &sim.client,
                &api,
                &[
                    ("action", "login"),
                    ("username", USER),
                    ("password", PASSWORD),
                ],
            )
            .await;
            let Seen::Json(login) = login else {
                return None;
            };
            let cid = login["CID"].as_str()?.to_owned();
            let status = try_call(
                &sim.client,
                &api,
                &[("action", "platform_upgrade_status"), ("CID", &cid)],
            )
            .await;
            match status {
                Seen::Json(value) if value["results"]["is_upgrade_in_progress"] == false => {
                    Some(cid)
                }
                _ => None,
            }
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_upgrade_goes_through_its_503_window_then_drops_every_session() {
    let sim = Sim::start(manual(fleet(CURRENT))).await;
    let cid = sim.login().await;
    let other_cid = login(&client(), &sim.url).await;

    // As the provider sends it (7.1+): controller only, target in both parameters.
    let request = start_async(
        &sim,
        &cid,
        "upgrade_platform",
        &[
            ("gateway_list", ""),
            ("software_version", "7.2"),
            ("version", "7.2"),
        ],
    )
    .await;
    assert_eq!(
        sim.refused(&cid, "upgrade_platform", &[("version", "7.2")])
            .await,
        ACTIVE_UPGRADE
    );
    let seen = watch_platform(&sim, &cid).await;
    // Ten simulated minutes, each phase within 10% of its length, seen within a step.
    assert!(
        (Duration::from_secs(540)..Duration::from_secs(660) + PLATFORM_STEP).contains(&seen.took),
        "a platform upgrade took {:?} of simulated time",
        seen.took
    );

    assert_eq!(seen.phases, ["download", "install"], "{seen:?}");
    assert!(
        seen.percents.windows(2).all(|pair| pair[0] <= pair[1]),
        "the percentage never goes back: {:?}",
        seen.percents
    );
    assert!(seen.percents.iter().all(|&percent| percent < 100));
    assert!(
        !seen.pages.is_empty(),
        "the restart window answered HTML 503 pages: {seen:?}"
    );
    for (status, body) in &seen.pages {
        assert_eq!(*status, 503, "{body}");
        assert!(body.contains("503 Service Unavailable"), "{body}");
    }
    assert!(
        !seen.answered_during_outage,
        "the web tier is down for one contiguous window"
    );
    let (first, last) = seen.outage.expect("an outage");
    let window = last - first;
    // The restart lasts 150 simulated seconds, within 10%; its first and last looks are at most
    // a step inside it.
    assert!(
        (Duration::from_secs(135) - 2 * PLATFORM_STEP..Duration::from_secs(165)).contains(&window),
        "the normal restart window is short ({window:?})"
    );
    // Afterwards every session is invalid.
    assert_eq!(seen.after["return"], false, "{}", seen.after);
    assert_eq!(seen.after["reason"], CID_INVALID);
    assert_eq!(
        sim.refused(&other_cid, "list_version_info", &[]).await,
        CID_INVALID,
        "every session is dropped, not only the poller's"
    );

    let cid = sim.login().await;
    let status = sim
        .results(
            &cid,
            "platform_upgrade_status",
            &[("platform_only", "true")],
        )
        .await;
    assert_eq!(status["is_upgrade_in_progress"], false, "{status}");
    let upgrade = &status["platform_upgrade"];
    assert_eq!(upgrade["results"]["status"], "complete", "{status}");
    assert!(common::text(&upgrade["progmsg"]).contains(NEXT), "{status}");
    assert_eq!(upgrade["from_version"], format!("UserConnect-{CURRENT}"));
    assert_eq!(upgrade["to_version"], format!("UserConnect-{NEXT}"));
    let done = sim
        .call(&cid, "check_task_status", &[("request_id", &request)])
        .await;
    assert_eq!(done["return"], true, "{done}");

    // Versions moved one hop; the gateways stayed where they were.
    let versions = sim.versions(&cid).await;
    assert_eq!(versions["current_version"], format!("UserConnect-{NEXT}"));
    assert_eq!(
        versions["previous_version"],
        format!("UserConnect-{CURRENT}")
    );
    for entry in sim.upgrade_status(&cid).await {
        assert_eq!(entry["current_version"], CURRENT, "{entry}");
        assert_eq!(entry["target_version"], NEXT, "{entry}");
        assert_eq!(entry["rollback_version"], CURRENT, "{entry}");
    }
    // So the next platform upgrade waits for them.
    let reason = sim
        .refused(&cid, "upgrade_platform", &[("async", "true")])
        .await;
    assert!(
        reason.starts_with("gateways-behind-controller: 5 gateways"),
        "{reason}"
    );
    sim.stop().await;
}

/// Sends a synchronous `upgrade` to 7.2 (setup-script's shape) on the standard fleet, steps
/// the clock into the restart window, and gives how the waiting call ended, with the simulator.
async fn synchronous_upgrade(faults: &str) -> (Sim, Result<reqwest::Response, reqwest::Error>) {
    let sim = Sim::start(with_faults(manual(fleet(CURRENT)), faults)).await;
    let cid = sim.login().await;
    let waiting = tokio::spawn({
        let (client, api, cid) = (sim.client.clone(), sim.api(), cid.clone());
        async move {
            let form = [
                ("action", "upgrade"),
                ("CID", cid.as_str()),
                ("version", "7.2"),
            ];
            client.post(api).form(&form).send().await
        }
    });
    eventually("the upgrade to start", || async {
        sim.running
            .with_state(|state| state.is_busy())
            .then_some(())
    })
    .await;
    // Step into the restart window, and stay there until the waiting call has its answer.
    sim.step_until("the restart window", PLATFORM_STEP, || async {
        let form = [("action", "platform_upgrade_status"), ("CID", cid.as_str())];
        let seen = try_call(&sim.client, &sim.api(), &form).await;
        (!matches!(seen, Seen::Json(_))).then_some(())
    })
    .await;
    let waiting = tokio::time::timeout(DEADLINE, waiting)
        .await
        .expect("the waiting call ends within the deadline")
        .expect("the waiting call's task");
    (sim, waiting)
}

/// Without `async` the call waits for the upgrade and is answered as the restart begins
/// (setup-script expects a JSON answer); the upgrade takes every gateway along.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upgrade_action_takes_every_gateway_along_and_a_waiting_call_is_answered_at_the_restart()
 {
    let (sim, waiting) = synchronous_upgrade("").await;
    let answer = envelope(waiting.expect("answered, not dropped")).await;
    assert_eq!(answer["return"], true, "{answer}");
    let message = common::text(&answer["results"]);
    assert!(
        message.contains(&format!("UserConnect-{NEXT} is installed"))
            && message.contains("log in again"),
        "{message}"
    );

    let cid = wait_platform_done(&sim).await;
    let versions = sim.versions(&cid).await;
    assert_eq!(versions["current_version"], format!("UserConnect-{NEXT}"));
    assert_eq!(
        versions["previous_version"],
        format!("UserConnect-{CURRENT}")
    );
    let gw_info = sim.upgrade_status(&cid).await;
    assert_eq!(gw_info.len(), 5);
    for entry in gw_info {
        assert_eq!(entry["current_version"], NEXT, "{entry}");
        assert_eq!(entry["previous_version"], CURRENT, "{entry}");
        assert_eq!(entry["update_status"], "complete", "{entry}");
    }
    sim.stop().await;
}

/// The `sync-drop` fault keeps the other behaviour clients meet: the restart drops the waiting
/// call, as aws-controlplane saw ("Remote end closed connection without response").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_sync_drop_a_waiting_upgrade_call_is_dropped_at_the_restart() {
    let (sim, waiting) = synchronous_upgrade("sync-drop").await;
    let error = waiting.expect_err("the restart drops the waiting call");
    assert!(!error.is_timeout(), "dropped, not timed out: {error}");
    let cid = wait_platform_done(&sim).await;
    let versions = sim.versions(&cid).await;
    assert_eq!(versions["current_version"], format!("UserConnect-{NEXT}"));
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_older_than_6_5_upgrades_every_gateway_with_it() {
    let gateways: Vec<Gateway> = fleet("6.4.3015").gateways().to_vec();
    let snapshot =
        Snapshot::new(controller("6.4.3015", Some("6.4.2869")), gateways).expect("snapshot");
    let sim = Sim::start(manual(snapshot)).await;
    let cid = sim.login().await;
    let report = sim
        .results(
            &cid,
            "upgrade_platform",
            &[("version", "6.5"), ("dry_run", "true")],
        )
        .await;
    assert_eq!(report["blocked"], false, "{report}");
    assert_eq!(report["target"], "6.5.3012");
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|finding| finding["code"] == "pre-6.5-all-gateways"),
        "{report}"
    );
    start_async(&sim, &cid, "upgrade_platform", &[("version", "6.5")]).await;
    let cid = wait_platform_done(&sim).await;
    let versions = sim.versions(&cid).await;
    assert_eq!(versions["current_version"], "UserConnect-6.5.3012");
    assert_eq!(versions["previous_version"], "UserConnect-6.4.3015");
    let records = sim.results(&cid, "list_vpcs_summary", &[]).await;
    for record in records.as_array().expect("array") {
        assert_eq!(record["gw_software_version"], "6.5.3012", "{record}");
    }
    sim.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/// Asserts that `action` is refused with `code` first in its reason, that the dry run of the
/// same request reports `code` as a blocker, and that nothing was started. Returns the reason.
async fn assert_rejected(
    sim: &Sim,
    cid: &str,
    action: &str,
    params: &[(&str, &str)],
    code: &str,
) -> String {
    let before = sim.running.with_state(|state| state.snapshot.clone());
    let reason = sim.refused(cid, action, params).await;
    let prefix = format!("{code}: ");
    assert!(
        reason.starts_with(&prefix) && reason.len() > prefix.len() + 10,
        "{action} {params:?}: expected `{prefix}…`, got {reason:?}"
    );
    let mut dry = params.to_vec();
    dry.push(("dry_run", "true"));
    let report = sim.results(cid, action, &dry).await;
    assert_eq!(report["blocked"], true, "{report}");
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|finding| finding["code"] == code && finding["severity"] == "blocker"),
        "the dry run reports {code}: {report}"
    );
    sim.running.with_state(|state| {
        assert!(!state.is_busy(), "{action} {params:?} started nothing");
        assert_eq!(
            state.snapshot, before,
            "{action} {params:?} changed nothing"
        );
    });
    reason
}

#[tokio::test]
async fn the_demo_fleet_blocks_the_platform_upgrade_until_the_lagging_gateways_catch_up() {
    let catalog = catalog();
    let spec = FleetSpec::mid_rollout(&catalog, 200, 5);
    let snapshot = fleet::generate(&spec, &catalog).expect("fleet");
    assert_eq!(snapshot.controller.current_version, v(CURRENT));
    let lagging: BTreeSet<String> = snapshot
        .gateways()
        .iter()
        .filter(|gateway| gateway.software_version != v(CURRENT))
        .map(|gateway| gateway.name.to_string())
        .collect();
    assert!(lagging.len() > 1, "the demo fleet is mid-rollout");
    let sim = Sim::start(manual(snapshot)).await;
    let cid = sim.login().await;
    let count = lagging.len();
    for action in ["upgrade_platform", "upgrade"] {
        let reason = assert_rejected(
            &sim,
            &cid,
            action,
            &[("version", "7.2"), ("async", "true")],
            "gateways-behind-controller",
        )
        .await;
        assert!(
            reason.starts_with(&format!("gateways-behind-controller: {count} gateways (")),
            "{reason}"
        );
        assert!(
            reason.contains(&format!("are not on {CURRENT}")),
            "{reason}"
        );
    }
    let report = sim
        .results(
            &cid,
            "upgrade_platform",
            &[("version", "7.2"), ("dry_run", "true")],
        )
        .await;
    let named: BTreeSet<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|finding| finding["code"] == "gateways-behind-controller")
        .expect("the finding")["gateways"]
        .as_array()
        .expect("gateways")
        .iter()
        .map(|name| common::text(name).to_owned())
        .collect();
    assert_eq!(named, lagging, "the finding names every lagging gateway");
    sim.stop().await;
}

#[tokio::test]
async fn platform_requests_that_break_a_rule_are_refused_with_the_finding_code() {
    // Controller on 7.0.2239, every gateway with it.
    let gateways = fleet(PREVIOUS).gateways().to_vec();
    let snapshot =
        Snapshot::new(controller(PREVIOUS, Some("6.9.349")), gateways).expect("snapshot");
    let sim = Sim::start(manual(snapshot)).await;
    let cid = sim.login().await;
    for (version, code, detail) in [
        ("7.2", "train-skip", "would skip train 7.1"),
        ("7.2.5090", "train-skip", "Upgrade to 7.1 (7.1.4183) first"),
        ("6.9", "target-below-current", "cannot be downgraded"),
        ("7.0.1383", "target-below-current", "7.0.1383"),
        ("7.1.1794", "build-not-selectable", "7.1.4183"),
        ("7.1.9999", "unknown-target", "not in the release catalog"),
        ("7.9", "unknown-target", "7.9"),
    ] {
        for action in ["upgrade_platform", "upgrade"] {
            let reason = assert_rejected(&sim, &cid, action, &[("version", version)], code).await;
            assert!(reason.contains(detail), "{version}: {reason}");
        }
    }
    sim.stop().await;

    // An unhealthy gateway blocks the platform.
    let snapshot = common::fleet_with(CURRENT, |gateways| {
        common::named(gateways, "spoke-use1-web-hagw").tunnels_up = false;
    });
    let sim = Sim::start(manual(snapshot)).await;
    let cid = sim.login().await;
    let reason = assert_rejected(
        &sim,
        &cid,
        "upgrade_platform",
        &[("version", "7.2")],
        "gateway-unhealthy",
    )
    .await;
    assert!(reason.contains("spoke-use1-web-hagw"), "{reason}");
    sim.stop().await;

    // After a rollback of every gateway the controller is stuck (the guide's corner case).
    let gateways: Vec<Gateway> = fleet(PREVIOUS)
        .gateways()
        .iter()
        .cloned()
        .map(|mut gateway| {
            gateway.previous_software_version = Some(v(CURRENT));
            gateway
        })
        .collect();
    let snapshot = Snapshot::new(controller(CURRENT, Some(PREVIOUS)), gateways).expect("snapshot");
    let sim = Sim::start(manual(snapshot)).await;
    let cid = sim.login().await;
    // The reason carries the first blocker; the dry run lists every one.
    assert_rejected(
        &sim,
        &cid,
        "upgrade_platform",
        &[("version", "7.2")],
        "gateways-behind-controller",
    )
    .await;
    let report = sim
        .results(
            &cid,
            "upgrade_platform",
            &[("version", "7.2"), ("dry_run", "true")],
        )
        .await;
    let stuck = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|finding| finding["code"] == "stuck-mixed-versions")
        .unwrap_or_else(|| panic!("stuck-mixed-versions: {report}"));
    assert_eq!(stuck["severity"], "blocker");
    assert!(
        common::text(&stuck["message"]).contains("contact Aviatrix Support"),
        "{stuck}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn gateway_requests_that_break_a_rule_are_refused_with_the_finding_code() {
    let snapshot = common::fleet_with(CURRENT, |gateways| {
        for name in ["spoke-use1-web", "spoke-use1-web-hagw"] {
            common::named(gateways, name).software_version = v(PREVIOUS);
        }
        common::named(gateways, "egress-use1").state = GatewayState::Down;
        let transit = common::named(gateways, "transit-use1");
        transit.active_mesh = false;
        transit.image_version = Some(AWS_IMAGE_70.into());
    });
    let sim = Sim::start(manual(snapshot)).await;
    let cid = sim.login().await;
    let reason = assert_rejected(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[
            ("gateway_list", "spoke-use1-web"),
            ("software_version", NEXT),
        ],
        "gateway-target-mismatch",
    )
    .await;
    assert!(
        reason.contains(NEXT) && reason.contains(CURRENT),
        "{reason}"
    );
    let reason = assert_rejected(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[
            ("gateway_list", "spoke-use1-web,spoke-use1-web-hagw"),
            ("software_version", "previous"),
        ],
        "no-rollback-target",
    )
    .await;
    assert!(reason.contains("nothing to roll back"), "{reason}");
    let reason = assert_rejected(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[
            ("gateway_list", "egress-use1"),
            ("software_version", "previous"),
        ],
        "gateway-unhealthy",
    )
    .await;
    assert!(reason.contains("egress-use1"), "{reason}");
    let reason = assert_rejected(
        &sim,
        &cid,
        "replace_gateway",
        &[("gateway_name", "transit-use1")],
        "active-mesh-required",
    )
    .await;
    assert!(reason.contains("transit-use1"), "{reason}");
    assert_rejected(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[
            ("gateway_list", "transit-use1"),
            ("software_version", CURRENT),
            ("image_version", AWS_IMAGE_71),
        ],
        "active-mesh-required",
    )
    .await;
    sim.stop().await;

    // A controller that was never upgraded has nothing to roll back to.
    let gateways = fleet(CURRENT).gateways().to_vec();
    let sim = Sim::start(manual(
        Snapshot::new(controller(CURRENT, None), gateways).expect("snapshot"),
    ))
    .await;
    let cid = sim.login().await;
    assert_rejected(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[
            ("gateway_list", "egress-use1"),
            ("software_version", "previous"),
        ],
        "no-rollback-target",
    )
    .await;
    sim.stop().await;

    // Before 6.5 there is no selective gateway upgrade at all.
    let gateways = fleet("6.4.3015").gateways().to_vec();
    let sim = Sim::start(manual(
        Snapshot::new(controller("6.4.3015", Some("6.4.2869")), gateways).expect("snapshot"),
    ))
    .await;
    let cid = sim.login().await;
    assert_rejected(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[("gateway_list", "egress-use1")],
        "selective-upgrade-unavailable",
    )
    .await;
    sim.stop().await;

    // A catalog without an image matrix has no image to upgrade to.
    let mut no_images = manual(fleet(CURRENT));
    no_images.catalog =
        Catalog::from_versions([v(PREVIOUS), v(CURRENT), v(NEXT)]).expect("catalog");
    let sim = Sim::start(no_images).await;
    let cid = sim.login().await;
    assert_rejected(
        &sim,
        &cid,
        "replace_gateway",
        &[("gateway_name", "egress-use1")],
        "no-compatible-image",
    )
    .await;
    sim.stop().await;
}

#[tokio::test]
async fn a_second_upgrade_of_a_busy_gateway_or_during_a_platform_upgrade_is_refused_as_active_upgrade_in_progress()
 {
    let sim = Sim::start(manual(fleet(PREVIOUS))).await;
    let cid = sim.login().await;
    let running = start_async(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[("gateway_list", "egress-use1")],
    )
    .await;
    // Every request that names the running gateway, and every platform upgrade, is refused.
    for (action, params) in [
        (
            "upgrade_selected_gateway",
            vec![("gateway_list", "egress-use1")],
        ),
        (
            "upgrade_selected_gateway",
            vec![("gateway_list", "transit-use1,egress-use1")],
        ),
        (
            "upgrade_selected_gateway",
            vec![
                ("gateway_list", "egress-use1"),
                ("software_version", "previous"),
            ],
        ),
        ("replace_gateway", vec![("gateway_name", "egress-use1")]),
        ("upgrade_platform", vec![("version", "7.2")]),
        ("upgrade", vec![]),
    ] {
        assert_eq!(
            sim.refused(&cid, action, &params).await,
            ACTIVE_UPGRADE,
            "{action} {params:?}"
        );
    }
    // Reads and dry runs still answer while it runs.
    let report = sim
        .results(
            &cid,
            "upgrade_selected_gateway",
            &[("gateway_list", "egress-use1"), ("dry_run", "true")],
        )
        .await;
    assert_eq!(report["dry_run"], true);
    assert_eq!(
        sim.gateway_status(&cid, "egress-use1").await["update_status"]
            .as_str()
            .map(|status| status != "complete"),
        Some(true)
    );
    // Once it has finished, the same gateway takes the next one.
    assert_eq!(sim.finish_task(&cid, &running).await["return"], true);
    start_async(
        &sim,
        &cid,
        "replace_gateway",
        &[("gateway_name", "egress-use1")],
    )
    .await;
    sim.stop().await;

    // While a platform upgrade runs, every operation is refused.
    let sim = Sim::start(manual(fleet(CURRENT))).await;
    let cid = sim.login().await;
    start_async(&sim, &cid, "upgrade_platform", &[("version", "7.2")]).await;
    for (action, params) in [
        (
            "upgrade_selected_gateway",
            vec![("gateway_list", "egress-use1")],
        ),
        ("replace_gateway", vec![("gateway_name", "transit-use1")]),
        ("upgrade_platform", vec![("version", "7.2")]),
        ("upgrade", vec![("version", "7.2")]),
    ] {
        assert_eq!(
            sim.refused(&cid, action, &params).await,
            ACTIVE_UPGRADE,
            "{action}"
        );
    }
    sim.stop().await;
}

/// F13: when the target is what already runs, nothing is upgraded. A real controller answers
/// that it is already on the latest release (TF #1230); it must not run a platform upgrade from
/// a version to itself, drop every session and lose its previous version. On the newest build
/// of its train, an empty version (the guide's empty field) and the version itself are that
/// case; on the latest release, no version and `latest` are too.
#[tokio::test]
async fn upgrading_to_the_version_that_already_runs_starts_nothing() {
    let on_latest = Snapshot::new(
        controller(NEXT, Some(CURRENT)),
        fleet(NEXT).gateways().to_vec(),
    )
    .expect("snapshot");
    for (snapshot, previous, requests) in [
        (
            fleet(CURRENT),
            PREVIOUS,
            vec![vec![("version", "")], vec![("version", CURRENT)]],
        ),
        (
            on_latest,
            CURRENT,
            vec![vec![], vec![("version", "latest")], vec![("version", NEXT)]],
        ),
    ] {
        let sim = Sim::start(manual(snapshot)).await;
        let cid = sim.login().await;
        for params in requests {
            let answer = sim.call(&cid, "upgrade_platform", &params).await;
            assert_eq!(answer["return"], false, "{params:?}: {answer}");
            let reason = common::text(&answer["reason"]);
            assert!(reason.starts_with("already-current"), "{reason}");
            let started = sim.running.with_state(|state| state.is_busy());
            assert!(!started, "{params:?} started a platform upgrade");
        }
        // Twenty minutes later, longer than any platform upgrade takes, nothing has moved.
        sim.advance(Duration::from_secs(20 * 60));
        let versions = sim.versions(&cid).await;
        assert_eq!(
            versions["previous_version"],
            format!("UserConnect-{previous}")
        );
        sim.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_flaky_disturbs_some_reads_and_never_writes() {
    let sim = Sim::start(with_faults(manual(fleet(PREVIOUS)), "flaky")).await;
    let cid = sim.login().await;
    let api = sim.api();
    let (mut answered, mut proxy_errors, mut unavailable, mut dropped) = (0, 0, 0, 0);
    for _ in 0..300 {
        match try_call(
            &sim.client,
            &api,
            &[("action", "list_version_info"), ("CID", &cid)],
        )
        .await
        {
            Seen::Json(answer) => {
                assert_eq!(answer["return"], true, "{answer}");
                answered += 1;
            }
            Seen::Html(502, body) => {
                assert!(body.contains("502 Proxy Error"), "{body}");
                proxy_errors += 1;
            }
            Seen::Html(status, body) => {
                assert_eq!(status, 503);
                assert!(body.contains("503 Service Unavailable"), "{body}");
                unavailable += 1;
            }
            Seen::Dropped(_) => dropped += 1,
        }
    }
    assert!(answered >= 200, "most reads are answered: {answered}/300");
    assert!(
        proxy_errors > 0 && unavailable > 0,
        "some reads get 502 and 503 pages: {proxy_errors} 502, {unavailable} 503, {dropped} dropped"
    );
    // Writes (and logins) are never disturbed.
    for round in 0..40 {
        let now = if round % 2 == 0 { "false" } else { "true" };
        let answer = post_form(
            &sim.client,
            &api,
            &[
                ("action", "enable_cloudn_backup_config"),
                ("CID", &cid),
                ("now", now),
            ],
        )
        .await;
        assert_eq!(answer["return"], true, "{answer}");
        login(&sim.client, &sim.url).await;
    }
    // A client that retries like the provider still follows an operation to its end.
    let request = start_async(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[("gateway_list", "egress-use1")],
    )
    .await;
    let result = sim
        .step_until(
            "the upgrade through a flaky controller",
            TASK_STEP,
            || async {
                match try_call(
                    &sim.client,
                    &api,
                    &[
                        ("action", "check_task_status"),
                        ("CID", &cid),
                        ("request_id", &request),
                    ],
                )
                .await
                {
                    Seen::Json(answer) if answer["reason"] != "REQUEST_IN_PROGRESS" => Some(answer),
                    _ => None,
                }
            },
        )
        .await;
    assert_eq!(result["return"], true, "{result}");
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_restart_makes_the_503_window_long_with_dropped_connections() {
    let sim = Sim::start(with_faults(manual(fleet(CURRENT)), "restart")).await;
    let cid = sim.login().await;
    start_async(&sim, &cid, "upgrade_platform", &[("version", "7.2")]).await;
    let seen = watch_platform(&sim, &cid).await;
    let (first, last) = seen.outage.expect("an outage");
    let window = last - first;
    // The normal restart lasts at most 165 simulated seconds; this one 600, within 10%.
    assert!(
        (Duration::from_secs(540) - 2 * PLATFORM_STEP..Duration::from_secs(660)).contains(&window),
        "the restart window is long: {window:?}"
    );
    assert!(!seen.pages.is_empty(), "503 pages: {seen:?}");
    assert!(seen.drops > 0, "and dropped connections: {seen:?}");
    assert!(!seen.answered_during_outage);
    assert_eq!(seen.after["reason"], CID_INVALID, "{}", seen.after);
    let cid = sim.login().await;
    let versions = sim.versions(&cid).await;
    assert_eq!(versions["current_version"], format!("UserConnect-{NEXT}"));
    sim.stop().await;
}

#[tokio::test]
async fn fault_expire_shortens_the_idle_time_of_sessions() {
    let sim = Sim::start(with_faults(manual(fleet(CURRENT)), "expire")).await;
    let ttl = sim.running.with_state(|state| state.settings.session_ttl);
    assert_eq!(ttl, SHORT_SESSION_TTL);
    assert!(ttl <= Duration::from_secs(60), "a short TTL: {ttl:?}");
    let cid = sim.login().await;
    sim.versions(&cid).await;
    // Idle for almost the TTL, twice: each use starts the idle time again.
    let almost = ttl - Duration::from_secs(1);
    for round in 0..2 {
        sim.advance(almost);
        let answer = sim.call(&cid, "list_version_info", &[]).await;
        assert_eq!(
            answer["return"], true,
            "round {round}: a session lives through {almost:?} of idleness: {answer}"
        );
    }
    // Idle for longer than the TTL: expired.
    sim.advance(ttl + Duration::from_secs(1));
    assert_eq!(
        sim.refused(&cid, "list_version_info", &[]).await,
        CID_INVALID,
        "a session expires after more than {ttl:?} idle"
    );
    let fresh = sim.login().await;
    sim.versions(&fresh).await;
    sim.stop().await;

    // Without the fault, the same idleness does not end a session.
    let sim = Sim::start(manual(fleet(CURRENT))).await;
    let cid = sim.login().await;
    sim.advance(ttl + Duration::from_secs(1));
    let answer = sim.call(&cid, "list_version_info", &[]).await;
    assert_eq!(
        answer["return"], true,
        "the default TTL is longer than {ttl:?}: {answer}"
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_stuck_freezes_a_platform_upgrade_at_99_percent() {
    let sim = Sim::start(with_faults(manual(fleet(CURRENT)), "stuck")).await;
    let cid = sim.login().await;
    let request = start_async(&sim, &cid, "upgrade_platform", &[("version", "7.2")]).await;
    // A whole platform upgrade takes at most 660 simulated seconds. Watch for twice that.
    let mut percents = Vec::new();
    let mut phases = Vec::new();
    let mut last = Value::Null;
    while sim.advanced() <= Duration::from_secs(2 * 660) {
        last = sim
            .results(
                &cid,
                "platform_upgrade_status",
                &[("platform_only", "true")],
            )
            .await;
        assert_eq!(last["is_upgrade_in_progress"], true, "{last}");
        percents.push(
            last["platform_upgrade"]["percent"]
                .as_u64()
                .expect("percent"),
        );
        push_change(&mut phases, &last["platform_upgrade"]["phase"]);
        sim.advance(PLATFORM_STEP);
    }
    assert!(
        percents.windows(2).all(|pair| pair[0] <= pair[1]),
        "{percents:?}"
    );
    assert_eq!(phases, ["download", "install"], "it never restarts");
    let upgrade = &last["platform_upgrade"];
    assert_eq!(upgrade["percent"], 99, "{last}");
    assert_eq!(upgrade["results"]["status"], "in progress", "{last}");
    assert!(common::text(&upgrade["progmsg"]).contains("99%"), "{last}");
    // It never reaches the restart: the session lives and the version stays.
    assert_eq!(
        sim.call(&cid, "check_task_status", &[("request_id", &request)])
            .await["reason"],
        "REQUEST_IN_PROGRESS"
    );
    assert_eq!(
        sim.refused(&cid, "upgrade_platform", &[("version", "7.2")])
            .await,
        ACTIVE_UPGRADE
    );
    let versions = sim.versions(&cid).await;
    assert_eq!(
        versions["current_version"],
        format!("UserConnect-{CURRENT}")
    );
    sim.stop().await;
}

#[tokio::test]
async fn fault_gw_fail_1_fails_every_gateway_job() {
    let sim = Sim::start(with_faults(manual(fleet(PREVIOUS)), "gw-fail=1")).await;
    let cid = sim.login().await;
    let request = start_async(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[("gateway_list", "egress-use1,spoke-use1-web")],
    )
    .await;
    let (traces, _) = watch(&sim, &cid, &["egress-use1", "spoke-use1-web"], &[]).await;
    let mut failing = STAGES[..5].to_vec();
    failing.push("upgrade_fail");
    for (name, trace) in &traces {
        assert_eq!(
            trace.update_status, failing,
            "{name} goes through every stage and fails at the end: {trace:?}"
        );
        assert_eq!(trace.vpc_state.last().map(String::as_str), Some("up"));
    }
    let failed = finished_task(&sim, &cid, &request).await;
    assert_eq!(failed["return"], false, "{failed}");
    let reason = common::text(&failed["reason"]);
    assert!(
        reason.starts_with("upgrade_fail: 2 of 2 gateways failed: "),
        "{reason}"
    );
    assert!(
        reason.contains("egress-use1") && reason.contains("spoke-use1-web"),
        "{reason}"
    );
    let backend = post_form(
        &sim.client,
        &format!("{}/v2/backend1", sim.url),
        &[
            ("action", "check_upgrade_status"),
            ("CID", &cid),
            ("id", &request),
        ],
    )
    .await;
    let result = &backend["results"];
    assert_eq!(result["done"], true, "{backend}");
    assert_eq!(result["status"], false, "{backend}");
    assert!(
        common::text(&result["result"]).starts_with("Error"),
        "{backend}"
    );
    for name in ["egress-use1", "spoke-use1-web"] {
        let status = sim.gateway_status(&cid, name).await;
        assert_eq!(
            status["current_version"], PREVIOUS,
            "a failed job changes nothing"
        );
    }
    // The controller is free again: a retry is accepted.
    start_async(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[("gateway_list", "egress-use1")],
    )
    .await;
    sim.stop().await;
}

#[tokio::test]
async fn fault_gw_fail_half_fails_some_gateways_and_not_others() {
    let names: Vec<String> = (1..=16).map(|n| format!("egress-use1-{n:04}")).collect();
    let gateways: Vec<Gateway> = names
        .iter()
        .map(|name| gateway(name, GatewayType::Standalone, Role::Primary, PREVIOUS))
        .collect();
    let snapshot = Snapshot::new(controller(CURRENT, Some(PREVIOUS)), gateways).expect("snapshot");
    let sim = Sim::start(with_faults(manual(snapshot), "gw-fail=0.5")).await;
    let cid = sim.login().await;
    let list = names.join(",");
    let request = start_async(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[("gateway_list", &list)],
    )
    .await;
    let outcome = sim.finish_task(&cid, &request).await;
    let mut failed = BTreeSet::new();
    let mut upgraded = BTreeSet::new();
    for entry in sim.upgrade_status(&cid).await {
        let name = common::text(&entry["name"]).to_owned();
        match common::text(&entry["update_status"]) {
            "upgrade_fail" => {
                assert_eq!(entry["current_version"], PREVIOUS, "{entry}");
                failed.insert(name);
            }
            "complete" => {
                assert_eq!(entry["current_version"], CURRENT, "{entry}");
                upgraded.insert(name);
            }
            other => panic!("{name} ended {other}"),
        }
    }
    assert!(
        !failed.is_empty() && !upgraded.is_empty(),
        "with P=0.5 some of 16 fail and some succeed: {failed:?}"
    );
    assert_eq!(failed.len() + upgraded.len(), 16);
    let reason = common::text(&outcome["reason"]);
    assert!(
        reason.starts_with(&format!(
            "upgrade_fail: {} of 16 gateways failed: ",
            failed.len()
        )),
        "{reason}"
    );
    for name in &failed {
        assert!(reason.contains(name.as_str()), "{reason}");
    }
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_config_fail_leaves_replaced_gateways_in_config_fail() {
    let snapshot = common::fleet_with(CURRENT, |gateways| {
        common::named(gateways, "egress-use1").image_version = Some(AWS_IMAGE_70.into());
        common::named(gateways, "transit-use1").previous_software_version = Some(v(PREVIOUS));
        common::named(gateways, "spoke-use1-web").software_version = v(PREVIOUS);
    });
    let sim = Sim::start(with_faults(manual(snapshot), "config-fail")).await;
    let cid = sim.login().await;

    // A software upgrade replaces nothing: the gateway comes back up.
    let request = start_async(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[("gateway_list", "spoke-use1-web")],
    )
    .await;
    assert_eq!(sim.finish_task(&cid, &request).await["return"], true);
    assert_eq!(
        sim.gateway_status(&cid, "spoke-use1-web").await["vpc_state"],
        "up"
    );

    // An image upgrade and a rollback replace the gateway, which ends in config_fail.
    for (action, params, name) in [
        (
            "replace_gateway",
            vec![("gateway_name", "egress-use1")],
            "egress-use1",
        ),
        (
            "upgrade_selected_gateway",
            vec![
                ("gateway_list", "transit-use1"),
                ("software_version", "previous"),
            ],
            "transit-use1",
        ),
    ] {
        let request = start_async(&sim, &cid, action, &params).await;
        let (traces, _) = watch(&sim, &cid, &[name], &[]).await;
        assert_eq!(
            traces[name].vpc_state,
            ["up", "down", "waiting", "config_fail"],
            "{name}"
        );
        assert_eq!(finished_task(&sim, &cid, &request).await["return"], true);
        let status = sim.gateway_status(&cid, name).await;
        assert_eq!(status["vpc_state"], "config_fail", "{status}");
        assert_eq!(status["update_status"], "complete", "{status}");
    }
    let egress = sim.gateway_status(&cid, "egress-use1").await;
    assert_eq!(
        egress["image_version"], AWS_IMAGE_71,
        "the image did change"
    );
    let transit = sim.gateway_status(&cid, "transit-use1").await;
    assert_eq!(
        transit["current_version"], PREVIOUS,
        "the rollback did happen"
    );

    // A gateway in config_fail blocks the next operation on it.
    assert_rejected(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[("gateway_list", "transit-use1")],
        "gateway-unhealthy",
    )
    .await;
    sim.stop().await;
}

#[tokio::test]
async fn fault_slow_adds_latency_to_every_call() {
    let sim = Sim::start(with_faults(manual(fleet(CURRENT)), "slow=150")).await;
    let latency = Duration::from_millis(150);
    let started = Instant::now();
    let cid = sim.login().await;
    assert!(
        started.elapsed() >= latency,
        "login: {:?}",
        started.elapsed()
    );
    for (action, params) in [
        ("list_version_info", vec![]),
        ("list_vpcs_summary", vec![]),
        ("get_gateway_info", vec![("gateway_name", "nope")]),
        ("no_such_action", vec![]),
    ] {
        let started = Instant::now();
        let answer = sim.call(&cid, action, &params).await;
        let took = started.elapsed();
        assert!(took >= latency, "{action} answered in {took:?}: {answer}");
    }
    sim.stop().await;
}

/// Whether a real controller refuses to roll back an HA member whose peer is down is not
/// public: the simulator accepts the request (the console's planner is the safeguard), while
/// its dry run lists the planner's `ha-peer-unhealthy` blocker.
#[tokio::test]
async fn a_rollback_of_a_member_whose_peer_is_down_is_accepted_but_its_dry_run_blocks() {
    let snapshot = common::fleet_with(CURRENT, |gateways| {
        common::named(gateways, "transit-use1").state = GatewayState::Down;
    });
    let sim = Sim::start(manual(snapshot)).await;
    let cid = sim.login().await;
    let rollback = [
        ("gateway_list", "transit-use1-hagw"),
        ("software_version", "previous"),
    ];
    let mut dry = rollback.to_vec();
    dry.push(("dry_run", "true"));
    let report = sim.results(&cid, "upgrade_selected_gateway", &dry).await;
    assert_eq!(report["blocked"], true, "{report}");
    assert!(report.to_string().contains("ha-peer-unhealthy"), "{report}");
    let answer = sim
        .call_until_over(&cid, "upgrade_selected_gateway", &rollback)
        .await;
    assert_eq!(answer["return"], true, "the simulator accepts it: {answer}");
    assert!(!answer["results"].is_null(), "{answer}");
    sim.stop().await;
}

#[tokio::test]
async fn fault_no_op_says_complete_but_changes_nothing_and_failures_give_their_reason() {
    let sim = Sim::start(with_faults(manual(fleet(PREVIOUS)), "no-op=1")).await;
    let cid = sim.login().await;
    let request = start_async(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[("gateway_list", "spoke-use1-web")],
    )
    .await;
    assert_eq!(sim.finish_task(&cid, &request).await["return"], true);
    let status = sim.gateway_status(&cid, "spoke-use1-web").await;
    assert_eq!(status["update_status"], "complete", "{status}");
    assert_eq!(status["vpc_state"], "up", "{status}");
    assert_eq!(
        status["current_version"], PREVIOUS,
        "the job says complete, the version did not move: {status}"
    );
    assert_eq!(status["message"], "", "no failure, no message: {status}");
    sim.stop().await;

    // A failed job and a replacement into config_fail each say why.
    let sim = Sim::start(with_faults(manual(fleet(PREVIOUS)), "gw-fail=1")).await;
    let cid = sim.login().await;
    let request = start_async(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[("gateway_list", "spoke-use1-web")],
    )
    .await;
    sim.finish_task(&cid, &request).await;
    let status = sim.gateway_status(&cid, "spoke-use1-web").await;
    assert_eq!(status["update_status"], "upgrade_fail", "{status}");
    let message = common::text(&status["message"]);
    assert!(
        message.starts_with("upgrade_fail: Software Upgrade to ") && message.contains("download"),
        "{message}"
    );
    sim.stop().await;

    let snapshot = common::fleet_with(CURRENT, |gateways| {
        common::named(gateways, "transit-use1").previous_software_version = Some(v(PREVIOUS));
    });
    let sim = Sim::start(with_faults(manual(snapshot), "config-fail")).await;
    let cid = sim.login().await;
    let request = start_async(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[
            ("gateway_list", "transit-use1"),
            ("software_version", "previous"),
        ],
    )
    .await;
    sim.finish_task(&cid, &request).await;
    let status = sim.gateway_status(&cid, "transit-use1").await;
    assert_eq!(status["vpc_state"], "config_fail", "{status}");
    assert!(
        common::text(&status["message"]).starts_with("config_fail: "),
        "{status}"
    );
    sim.stop().await;
}
