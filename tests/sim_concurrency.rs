//! Operations side by side on the simulated controller, over real HTTP on 127.0.0.1 and a
//! manual clock: the Terraform provider's two concurrent `upgrade_selected_gateway` calls for a
//! gateway and its `-hagw` peer are both accepted; a second operation on a gateway that an
//! unfinished job holds, any gateway operation during a platform upgrade, and a platform upgrade
//! while anything runs are refused with `Active upgrade in progress.`; operations on disjoint
//! gateways run to their own ends.
//!
//! The decision is made under the simulator's lock, so these tests do not depend on which of two
//! concurrent calls arrives first: every interleaving must give the same answers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;

/// The exact reason clients match (controller-api.md, "Upgrades").
const ACTIVE_UPGRADE: &str = "Active upgrade in progress.";
/// How far the clock moves between two looks while operations run.
const STEP: Duration = Duration::from_secs(5);

/// One `UpgradeGateway` call as the provider sends it (fixtures: `tf-gateways`): a synchronous
/// form POST naming one gateway, its image and the software version. It answers when the
/// operation is over.
async fn provider_upgrade(sim: &Sim, cid: &str, gateway: &str, image: &str) -> Value {
    let form = [
        ("CID", cid),
        ("action", "upgrade_selected_gateway"),
        ("gateway_list", gateway),
        ("image_version", image),
        ("software_version", CURRENT),
    ];
    post_form(&sim.client, &sim.api(), &form).await
}

/// Waits until the simulator has decided `count` calls of `action` (each is counted under the
/// lock that decides it), then steps the clock until no operation runs.
async fn run_to_the_end(sim: &Sim, cid: &str, action: &str, count: u64) {
    eventually(&format!("{count} {action} calls to arrive"), || async {
        sim.running
            .with_state(|state| state.calls.get(action).copied().unwrap_or(0) >= count)
            .then_some(())
    })
    .await;
    sim.step_until("every operation to be over", STEP, || async {
        // Any request catches the simulator up to the clock.
        sim.upgrade_status(cid).await;
        sim.running
            .with_state(|state| !state.is_busy())
            .then_some(())
    })
    .await;
}

/// Starts `action` with `async=true` and gives the request id.
async fn start_async(sim: &Sim, cid: &str, action: &str, params: &[(&str, &str)]) -> String {
    let mut params = params.to_vec();
    params.push(("async", "true"));
    common::text(&sim.results(cid, action, &params).await).to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_providers_two_concurrent_calls_for_a_gateway_and_its_hagw_are_both_accepted() {
    let sim = Sim::start(manual(fleet(PREVIOUS))).await;
    let cid = sim.login().await;
    let (primary, ha, ()) = tokio::join!(
        provider_upgrade(&sim, &cid, "transit-use1", AWS_IMAGE_70),
        provider_upgrade(&sim, &cid, "transit-use1-hagw", AWS_IMAGE_70),
        run_to_the_end(&sim, &cid, "upgrade_selected_gateway", 2),
    );
    for answer in [&primary, &ha] {
        assert_eq!(answer["return"], true, "both calls are accepted: {answer}");
        assert_eq!(
            answer["results"],
            format!("Software Upgrade of 1 gateways to {CURRENT} completed."),
            "{answer}"
        );
    }
    let ops = sim.running.with_state(|state| state.gateway_ops.len());
    assert_eq!(ops, 2, "two operations ran");
    for name in ["transit-use1", "transit-use1-hagw"] {
        let entry = sim.gateway_status(&cid, name).await;
        assert_eq!(entry["current_version"], CURRENT, "{entry}");
        assert_eq!(entry["previous_version"], PREVIOUS, "{entry}");
        assert_eq!(entry["update_status"], "complete", "{entry}");
    }
    let untouched = sim.gateway_status(&cid, "egress-use1").await;
    assert_eq!(untouched["current_version"], PREVIOUS, "{untouched}");
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_operation_on_a_gateway_an_unfinished_job_holds_is_refused_with_the_exact_text() {
    let sim = Sim::start(manual(fleet(PREVIOUS))).await;
    let cid = sim.login().await;
    let running = start_async(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[("gateway_list", "transit-use1,egress-use1")],
    )
    .await;
    for (action, params) in [
        (
            "upgrade_selected_gateway",
            vec![("gateway_list", "transit-use1")],
        ),
        // A free gateway in the list does not make a busy one free.
        (
            "upgrade_selected_gateway",
            vec![("gateway_list", "spoke-use1-web,egress-use1")],
        ),
        ("replace_gateway", vec![("gateway_name", "egress-use1")]),
    ] {
        let answer = sim.call(&cid, action, &params).await;
        assert_eq!(answer["return"], false, "{action} {params:?}: {answer}");
        assert_eq!(answer["reason"], ACTIVE_UPGRADE, "{action} {params:?}");
    }
    let (ops, spoke) = sim.running.with_state(|state| {
        let spoke = state.snapshot.gateway("spoke-use1-web").cloned();
        (state.gateway_ops.len(), spoke)
    });
    assert_eq!(ops, 1, "a refused request starts nothing");
    assert_eq!(
        spoke.map(|gateway| gateway.software_version),
        Some(v(PREVIOUS))
    );
    assert_eq!(
        sim.gateway_status(&cid, "spoke-use1-web").await["update_status"],
        "complete"
    );

    // A gateway whose own job is over is free, though the operation still runs.
    let free = sim
        .step_until(
            "one job to end before the other",
            Duration::from_secs(1),
            || async {
                sim.upgrade_status(&cid).await;
                sim.running.with_state(|state| {
                    let op = &state.gateway_ops[0];
                    let done = op.jobs.iter().find(|job| job.finished)?;
                    (!op.finished).then(|| state.snapshot.gateways()[done.index].name.to_string())
                })
            },
        )
        .await;
    start_async(&sim, &cid, "replace_gateway", &[("gateway_name", &free)]).await;
    let busy = if free == "egress-use1" {
        "transit-use1"
    } else {
        "egress-use1"
    };
    assert_eq!(
        sim.refused(&cid, "replace_gateway", &[("gateway_name", busy)])
            .await,
        ACTIVE_UPGRADE,
        "{busy} is still upgrading"
    );
    assert_eq!(sim.finish_task(&cid, &running).await["return"], true);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_operation_during_a_platform_upgrade_is_refused() {
    let sim = Sim::start(manual(fleet(CURRENT))).await;
    let cid = sim.login().await;
    start_async(&sim, &cid, "upgrade_platform", &[("version", "7.2")]).await;
    sim.advance(Duration::from_secs(60));
    let (provider, rollback, replace) = tokio::join!(
        provider_upgrade(&sim, &cid, "egress-use1", AWS_IMAGE_71),
        sim.call(
            &cid,
            "upgrade_selected_gateway",
            &[
                ("gateway_list", "spoke-use1-web"),
                ("software_version", "previous")
            ],
        ),
        sim.call(&cid, "replace_gateway", &[("gateway_name", "transit-use1")]),
    );
    for answer in [provider, rollback, replace] {
        assert_eq!(answer["return"], false, "{answer}");
        assert_eq!(answer["reason"], ACTIVE_UPGRADE, "{answer}");
    }
    let ops = sim.running.with_state(|state| state.gateway_ops.len());
    assert_eq!(ops, 0, "no gateway operation started");
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_upgrade_while_a_gateway_operation_runs_is_refused_until_it_ends() {
    // Every gateway is on the controller's version; egress-use1 still has the older image.
    let snapshot = common::fleet_with(CURRENT, |gateways| {
        common::named(gateways, "egress-use1").image_version = Some(AWS_IMAGE_70.into());
    });
    let sim = Sim::start(manual(snapshot)).await;
    let cid = sim.login().await;
    let replace = start_async(
        &sim,
        &cid,
        "replace_gateway",
        &[("gateway_name", "egress-use1")],
    )
    .await;
    for (action, params) in [
        ("upgrade_platform", vec![("version", "7.2")]),
        ("upgrade", vec![("version", "7.2")]),
    ] {
        assert_eq!(
            sim.refused(&cid, action, &params).await,
            ACTIVE_UPGRADE,
            "{action}"
        );
    }
    let platform_ops = sim.running.with_state(|state| state.platform_ops.len());
    assert_eq!(platform_ops, 0, "no platform upgrade started");
    assert_eq!(sim.finish_task(&cid, &replace).await["return"], true);
    start_async(&sim, &cid, "upgrade_platform", &[("version", "7.2")]).await;
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_operations_on_disjoint_gateways_run_to_their_own_ends() {
    // The transit pair lags behind the controller; egress-use1 has the older image.
    let snapshot = common::fleet_with(CURRENT, |gateways| {
        for name in ["transit-use1", "transit-use1-hagw"] {
            let gateway = common::named(gateways, name);
            gateway.software_version = v(PREVIOUS);
            gateway.image_version = Some(AWS_IMAGE_70.into());
        }
        common::named(gateways, "egress-use1").image_version = Some(AWS_IMAGE_70.into());
    });
    let sim = Sim::start(manual(snapshot)).await;
    let cid = sim.login().await;
    let upgrade = start_async(
        &sim,
        &cid,
        "upgrade_selected_gateway",
        &[("gateway_list", "transit-use1,transit-use1-hagw")],
    )
    .await;
    let replace = start_async(
        &sim,
        &cid,
        "replace_gateway",
        &[("gateway_name", "egress-use1")],
    )
    .await;
    assert_ne!(upgrade, replace, "each operation has its own request id");
    sim.advance(Duration::from_secs(60));
    for name in ["transit-use1", "transit-use1-hagw", "egress-use1"] {
        let entry = sim.gateway_status(&cid, name).await;
        assert_ne!(entry["update_status"], "complete", "both run: {entry}");
    }

    let upgraded = sim.finish_task(&cid, &upgrade).await;
    let replaced = sim.finish_task(&cid, &replace).await;
    assert_eq!(
        upgraded["results"],
        format!("Software Upgrade of 2 gateways to {CURRENT} completed."),
        "{upgraded}"
    );
    assert_eq!(
        replaced["results"],
        format!("Image Upgrade of 1 gateways to {CURRENT} completed."),
        "{replaced}"
    );
    for name in ["transit-use1", "transit-use1-hagw"] {
        let entry = sim.gateway_status(&cid, name).await;
        assert_eq!(entry["update_status"], "complete", "{entry}");
        assert_eq!(entry["current_version"], CURRENT, "{entry}");
        assert_eq!(entry["previous_version"], PREVIOUS, "{entry}");
        assert_eq!(
            entry["image_version"], AWS_IMAGE_70,
            "software only: {entry}"
        );
    }
    let egress = sim.gateway_status(&cid, "egress-use1").await;
    assert_eq!(egress["update_status"], "complete", "{egress}");
    assert_eq!(egress["current_version"], CURRENT, "{egress}");
    assert_eq!(egress["image_version"], AWS_IMAGE_71, "{egress}");
    assert_eq!(egress["previous_image_version"], AWS_IMAGE_70, "{egress}");
    let spoke = sim.gateway_status(&cid, "spoke-use1-web").await;
    assert_eq!(spoke["current_version"], CURRENT, "untouched: {spoke}");
    assert!(sim.running.with_state(|state| !state.is_busy()));
    sim.stop().await;
}
