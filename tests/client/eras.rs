//! The client against controllers of every era the product claims, and the answers real
//! clients met (issue 13): operations on different gateways started at once, a 6.5–7.0
//! controller's integer request id and top-level `check_upgrade_status` followed to the end
//! through the restart, a platform upgrade always sent with a named version, and a start
//! answered synchronously (a message, not an id) or lost at the restart.

use super::*;

/// A simulator whose controller runs `current` (previously `previous`) with every gateway of a
/// small fleet on it, so the planner allows a platform upgrade.
fn era(current: &str, previous: &str) -> SimConfig {
    let catalog = catalog();
    let spec = FleetSpec {
        controller_version: current.parse().expect("version"),
        previous_version: Some(previous.parse().expect("version")),
        lagging_per_mille: 0,
        unhealthy_per_mille: 0,
        last_backup: Some(jiff::Timestamp::now()),
        ..FleetSpec::mid_rollout(&catalog, 12, 5)
    };
    sim_config(generate(&spec, &catalog).expect("fleet"), "")
}

/// Point 1: two operations on different gateways, started at once by two callers, are both
/// accepted; a third on a gateway one of them holds is refused with the controller's exact
/// words, which the client passes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_on_different_gateways_start_together_and_a_busy_gateway_is_refused() {
    let snapshot = fleet(30, 13, 200, 0);
    let names = lagging(&snapshot);
    let [first, second, ..] = names.as_slice() else {
        panic!("two lagging gateways: {names:?}");
    };
    let running = start(sim_config(snapshot.clone(), "")).await;
    let client = client(&running);
    within("login", client.login()).await.expect("login");
    let (first, second) = (vec![first.clone()], vec![second.clone()]);
    let upgrade = |names| client.start_gateway_operation(Action::SoftwareUpgrade, names);
    let (one, two) = within("two starts", async {
        tokio::join!(upgrade(&first), upgrade(&second))
    })
    .await;
    for started in [one, two] {
        let started = started.expect("accepted");
        assert!(matches!(started, Started::RequestId(_)), "{started:?}");
    }
    let refused = within("the same gateway again", upgrade(&first))
        .await
        .expect_err("a gateway in a running operation");
    assert_eq!(refused.refusal(), Some("Active upgrade in progress."));
    assert_eq!(running.with_state(|state| state.gateway_ops.len()), 2);
    running.stop().await;
}

/// Point 2, the 6.5–7.0 era end to end: the start answers an integer id, which the client
/// keeps as the request id; `check_upgrade_status` answers at the top level; the legacy poller
/// follows it through the restart (a new login) to a success, and the controller runs 7.1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_70_controller_is_followed_with_check_upgrade_status_through_the_restart() {
    let running = start(era("7.0.2239", "6.9.349")).await;
    let client = Arc::new(client(&running));
    within("login", client.login()).await.expect("login");
    let started = within(
        "start",
        client.start_platform_upgrade(Target::Train(Train::new(7, 1))),
    )
    .await
    .expect("the platform upgrade starts");
    let Started::RequestId(id) = started else {
        panic!("an integer id is a request id: {started:?}");
    };
    assert_eq!(id.parse::<u64>().ok(), Some(1001), "{id}");
    let status = within("legacy status", client.legacy_upgrade_status(&id))
        .await
        .expect("the top-level layout decodes");
    assert!(!status.done && status.status, "{status:?}");

    let events = follow_stepping(
        poll::legacy_platform(Arc::clone(&client), id, fast_polling()),
        &running,
        Duration::from_secs(60),
    )
    .await;
    let n = events.len();
    assert_eq!(events[n - 2], Progress::LoggedInAgain, "{events:?}");
    assert!(
        matches!(&events[n - 1], Progress::Finished { ok: true, message } if message.contains("completed")),
        "{events:?}"
    );
    let info = within("versions", client.version_info())
        .await
        .expect("versions");
    assert_eq!(info.current, "7.1.4183".parse().expect("version"));
    running.stop().await;
}

/// Point 2, the 7.1 era: the same calls give a string id and the nested layout, which the same
/// client decodes into the same status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_71_controller_gives_a_string_id_and_the_nested_status_layout() {
    let running = start(era("7.1.4183", "7.0.2239")).await;
    let client = client(&running);
    within("login", client.login()).await.expect("login");
    let started = within(
        "start",
        client.start_platform_upgrade(Target::Train(Train::new(7, 2))),
    )
    .await
    .expect("starts");
    let Started::RequestId(id) = started else {
        panic!("a request id: {started:?}");
    };
    let status = within("status", client.legacy_upgrade_status(&id))
        .await
        .expect("the nested layout decodes");
    assert!(!status.done && status.status, "{status:?}");
    running.stop().await;
}

/// Point 3: the platform upgrade goes out with the version it was resolved to, in both
/// parameters, never empty and never `latest`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_upgrade_is_sent_with_a_named_version() {
    let mut config = era("7.1.4183", "7.0.2239");
    config.tls = false;
    let running = start(config).await;
    let (proxy, wire) = recording_proxy(running.addr).await;
    let client = Client::new(settings_for(
        &format!("http://{proxy}"),
        TrustMode::System,
        PASSWORD,
    ))
    .expect("client");
    within("login", client.login()).await.expect("login");
    let target = Target::Version("7.2.5090".parse().expect("version"));
    within("dry run", client.platform_dry_run(target))
        .await
        .expect("dry run");
    within("start", client.start_platform_upgrade(target))
        .await
        .expect("starts");
    let sent = String::from_utf8_lossy(&wire.lock().expect("wire")).into_owned();
    let bodies: Vec<&str> = sent
        .split("\r\n\r\n")
        .filter(|part| part.contains("action=upgrade_platform"))
        .collect();
    assert_eq!(bodies.len(), 2, "a dry run and a start: {sent}");
    for body in bodies {
        assert!(
            body.contains("software_version=7.2.5090") && body.contains("&version=7.2.5090"),
            "{body}"
        );
        assert!(!body.contains("=latest"), "{body}");
    }
    running.stop().await;
}

/// How the fake controller answers a platform upgrade's start.
#[derive(Clone, Copy)]
enum StartAnswer {
    /// A synchronous answer: `return: true` and a message.
    Message,
    /// The connection closes with no answer, and the status reads are 503 pages: the restart.
    DroppedIntoRestart,
}

/// A fake controller that answers `upgrade_platform` as `start` says; it counts those calls.
async fn restarting_controller(start: StartAnswer) -> (std::net::SocketAddr, Arc<AtomicU64>) {
    let upgrades = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&upgrades);
    let addr = fake_controller(move |action| match (action, start) {
        ("upgrade_platform", StartAnswer::Message) => {
            counted.fetch_add(1, Ordering::Relaxed);
            fake_json(serde_json::json!({
                "return": true,
                "results": "UserConnect-7.2.5090 is installed: the controller restarts now"
            }))
        }
        ("upgrade_platform", StartAnswer::DroppedIntoRestart) => {
            counted.fetch_add(1, Ordering::Relaxed);
            Err("the controller restarts")
        }
        (_, StartAnswer::DroppedIntoRestart) => hyper::Response::builder()
            .status(503)
            .header("content-type", "text/html")
            .body(http_body_util::Full::new(bytes::Bytes::from_static(
                b"<html><body>503 Service Unavailable</body></html>",
            )))
            .map_err(|_| "no response"),
        (other, _) => {
            fake_json(serde_json::json!({"return": false, "reason": format!("no {other}")}))
        }
    })
    .await;
    (addr, upgrades)
}

/// Point 4: a start answered with a message (as a synchronous call is) is not mistaken for a
/// request id; a start whose connection drops as the controller goes into its restart is
/// followed, not reported as "did not start", and neither is ever sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synchronous_or_dropped_platform_start_is_followed_not_misread() {
    let target = Target::Version("7.2.5090".parse().expect("version"));
    let (addr, upgrades) = restarting_controller(StartAnswer::Message).await;
    let client = Client::new(settings_for(
        &format!("http://{addr}"),
        TrustMode::System,
        PASSWORD,
    ))
    .expect("client");
    within("login", client.login()).await.expect("login");
    let started = within("start", client.start_platform_upgrade(target))
        .await
        .expect("accepted");
    assert!(
        matches!(&started, Started::Answered(message) if message.contains("restarts now")),
        "{started:?}"
    );
    assert_eq!(upgrades.load(Ordering::Relaxed), 1);

    let (addr, upgrades) = restarting_controller(StartAnswer::DroppedIntoRestart).await;
    let mut settings = settings_for(&format!("http://{addr}"), TrustMode::System, PASSWORD);
    settings.read_attempts = 2;
    let client = Client::new(settings).expect("client");
    within("login", client.login()).await.expect("login");
    let started = within("start", client.start_platform_upgrade(target))
        .await
        .expect("followed, not failed");
    assert!(
        matches!(&started, Started::Restarting(cause) if cause.contains("answer was lost")),
        "{started:?}"
    );
    assert_eq!(upgrades.load(Ordering::Relaxed), 1, "never resent");
}
