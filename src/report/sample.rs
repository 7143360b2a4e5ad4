//! Test-only change records for the renderers' tests and snapshots: a rollout across a
//! platform hop that stopped unfinished, and a single operation that failed. Every moment is
//! fixed, so the snapshots never move.

use jiff::Timestamp;

use super::model::{
    ChangeRecord, CheckItem, Confirmation, DryRunSection, Failure, GatewayChange, GatewayOutcome,
    GatewayState, PlanStep, RecordKind, RecordOutcome, RowOutcome, TimelineRow,
};

const DOWNLOAD_FAILED: &str = "upgrade_fail: the software package could not be downloaded";

/// 2026-12-01 at `time` (UTC).
fn at(time: &str) -> Timestamp {
    format!("2026-12-01T{time}Z").parse().unwrap()
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

fn state(software: &str, image: Option<&str>, state: &str) -> GatewayState {
    GatewayState {
        software: software.to_owned(),
        image: image.map(str::to_owned),
        state: state.to_owned(),
        tunnels_up: state == "up",
    }
}

fn check(item: &str, passed: bool, detail: &str) -> CheckItem {
    CheckItem {
        item: item.to_owned(),
        passed,
        detail: detail.to_owned(),
    }
}

fn confirmation(what: &str, how: &str, time: &str) -> Confirmation {
    Confirmation {
        what: what.to_owned(),
        how: how.to_owned(),
        controller_user: "admin".to_owned(),
        local_user: "alice".to_owned(),
        at: at(time),
    }
}

fn step(number: u32, label: &str, target: &str, gateways: &[&str]) -> PlanStep {
    PlanStep {
        number,
        label: label.to_owned(),
        target: Some(target.to_owned()),
        gateways: strings(gateways),
    }
}

/// A rollout of six gateways: the canary wave passed, wave 2 lost one gateway to a failed
/// download, the platform hopped from 7.0.2239 to 7.1.4183, and wave 3 never finished
/// (avx-upgrade stopped; no end recorded).
pub(crate) fn rollout() -> ChangeRecord {
    ChangeRecord {
        id: "20261201T041500Z-3f9a".to_owned(),
        kind: RecordKind::Rollout,
        title: "Rollout of 6 gateways in 3 waves and 1 platform hop to 7.1.4183".to_owned(),
        controller: "https://ctl.example.com".to_owned(),
        controller_user: "admin".to_owned(),
        local_user: "alice".to_owned(),
        started: at("04:15:00"),
        ended: None,
        outcome: RecordOutcome::Unfinished,
        outcome_message:
            "wave 3 did not finish: avx-upgrade stopped; continue with `rollout resume`".to_owned(),
        plan: rollout_plan(),
        dry_runs: rollout_dry_runs(),
        confirmations: vec![
            confirmation("the rollout", "typed 6", "04:16:30"),
            confirmation("wave 2", "y", "04:21:20"),
            confirmation("platform 7.0.2239 → 7.1.4183", "typed 7.1.4183", "04:35:10"),
            confirmation("wave 3", "y", "05:39:45"),
        ],
        timeline: rollout_timeline(),
        gateways: rollout_gateways(),
        failures: vec![
            Failure {
                what: "spoke-euw1-01".to_owned(),
                reason: DOWNLOAD_FAILED.to_owned(),
            },
            Failure {
                what: "wave 2".to_owned(),
                reason: "1 of 3 gateways failed".to_owned(),
            },
        ],
    }
}

fn rollout_plan() -> Vec<PlanStep> {
    vec![
        step(1, "wave 1 (canary)", "7.0.2239", &["spoke-use1-01"]),
        step(
            2,
            "wave 2",
            "7.0.2239",
            &["spoke-use1-02", "spoke-euw1-01", "transit-use1-01"],
        ),
        step(3, "platform 7.0.2239 → 7.1.4183", "7.1.4183", &[]),
        step(
            4,
            "wave 3",
            "7.1.4183",
            &["transit-euw1-01", "spoke-apse1-01"],
        ),
    ]
}

fn rollout_dry_runs() -> Vec<DryRunSection> {
    vec![
        DryRunSection {
            step: "wave 1 (canary)".to_owned(),
            passed: true,
            checks: vec![
                check("controller reachable", true, "7.0.2239, logged in as admin"),
                check("gateways up", true, "1 of 1 up"),
                check("tunnels up", true, "all 4 tunnels up"),
                check("upgrade path", true, "6.9.349 → 7.0.2239 is one step"),
                check(
                    "recent controller backup",
                    false,
                    "warning: the last backup is 3 days old (2026-11-28T02:00:00Z)",
                ),
            ],
        },
        DryRunSection {
            step: "wave 2".to_owned(),
            passed: true,
            checks: vec![
                check("gateways up", true, "3 of 3 up"),
                check("tunnels up", true, "all 14 tunnels up"),
                check("upgrade path", true, "6.9.349 → 7.0.2239 is one step"),
                check(
                    "no upgrade in progress",
                    true,
                    "none running on the controller",
                ),
            ],
        },
        DryRunSection {
            step: "platform 7.0.2239 → 7.1.4183".to_owned(),
            passed: true,
            checks: vec![
                check(
                    "release available",
                    true,
                    "7.1.4183 is offered by the controller",
                ),
                check(
                    "gateways within one release",
                    true,
                    "5 of 6 at 7.0.2239; spoke-euw1-01 at 6.9.349 is within one release",
                ),
                check("controller disk space", true, "31 GB free, 8 GB needed"),
            ],
        },
        DryRunSection {
            step: "wave 3".to_owned(),
            passed: true,
            checks: vec![
                check("gateways up", true, "2 of 2 up"),
                check("upgrade path", true, "7.0.2239 → 7.1.4183 is one step"),
            ],
        },
    ]
}

fn row(label: &str, start: &str, end: Option<&str>, outcome: RowOutcome) -> TimelineRow {
    TimelineRow {
        label: label.to_owned(),
        start: at(start),
        end: end.map(at),
        outcome,
        gateways: 0,
        failed: 0,
        message: String::new(),
    }
}

fn rollout_timeline() -> Vec<TimelineRow> {
    vec![
        TimelineRow {
            gateways: 1,
            message: "1 of 1 gateway upgraded".to_owned(),
            ..row(
                "wave 1 (canary)",
                "04:17:00",
                Some("04:21:05"),
                RowOutcome::Passed,
            )
        },
        TimelineRow {
            gateways: 3,
            failed: 1,
            message: "2 of 3 gateways upgraded; spoke-euw1-01 failed".to_owned(),
            ..row("wave 2", "04:21:30", Some("04:33:52"), RowOutcome::Failed)
        },
        TimelineRow {
            message: "the controller runs 7.1.4183".to_owned(),
            ..row(
                "platform 7.0.2239 → 7.1.4183",
                "04:35:30",
                Some("05:37:40"),
                RowOutcome::Passed,
            )
        },
        TimelineRow {
            gateways: 2,
            message: "1 of 2 gateways upgraded when avx-upgrade stopped".to_owned(),
            ..row("wave 3", "05:40:00", None, RowOutcome::Unfinished)
        },
    ]
}

fn gateway(
    name: &str,
    step: &str,
    before: GatewayState,
    after: Option<GatewayState>,
    outcome: GatewayOutcome,
) -> GatewayChange {
    GatewayChange {
        name: name.to_owned(),
        step: step.to_owned(),
        before,
        after,
        outcome,
        failure: None,
    }
}

fn rollout_gateways() -> Vec<GatewayChange> {
    let old = |image| state("6.9.349", Some(image), "up");
    let new = |image| Some(state("7.0.2239", Some(image), "up"));
    vec![
        gateway(
            "spoke-use1-01",
            "wave 1 (canary)",
            old("hvm-ubuntu-20.04"),
            new("hvm-ubuntu-20.04"),
            GatewayOutcome::Passed,
        ),
        gateway(
            "spoke-use1-02",
            "wave 2",
            old("hvm-ubuntu-18.04"),
            new("hvm-ubuntu-20.04"),
            GatewayOutcome::Passed,
        ),
        GatewayChange {
            failure: Some(DOWNLOAD_FAILED.to_owned()),
            ..gateway(
                "spoke-euw1-01",
                "wave 2",
                old("hvm-ubuntu-20.04"),
                Some(old("hvm-ubuntu-20.04")),
                GatewayOutcome::Failed,
            )
        },
        gateway(
            "transit-use1-01",
            "wave 2",
            old("hvm-ubuntu-20.04"),
            new("hvm-ubuntu-20.04"),
            GatewayOutcome::Passed,
        ),
        gateway(
            "transit-euw1-01",
            "wave 3",
            state("7.0.2239", Some("hvm-ubuntu-20.04"), "up"),
            Some(state("7.1.4183", Some("hvm-ubuntu-20.04"), "up")),
            GatewayOutcome::Passed,
        ),
        gateway(
            "spoke-apse1-01",
            "wave 3",
            state("7.0.2239", Some("hvm-ubuntu-20.04"), "up"),
            None,
            GatewayOutcome::Unfinished,
        ),
    ]
}

/// A software upgrade of two gateways, ended: one came back `config_fail`.
pub(crate) fn failed_operation() -> ChangeRecord {
    let day = |time: &str| -> Timestamp { format!("2026-12-03T{time}Z").parse().unwrap() };
    let config_fail = "config_fail: the gateway came back without its configuration";
    ChangeRecord {
        id: "20261203T221000Z-81c4".to_owned(),
        kind: RecordKind::Operation,
        title: "Software upgrade of 2 gateways to 7.1.4183".to_owned(),
        controller: "https://ctl.example.com".to_owned(),
        controller_user: "admin".to_owned(),
        local_user: "bob".to_owned(),
        started: day("22:10:00"),
        ended: Some(day("22:24:37")),
        outcome: RecordOutcome::Failed,
        outcome_message: "1 of 2 gateways failed".to_owned(),
        plan: vec![step(
            1,
            "software upgrade",
            "7.1.4183",
            &["spoke-a", "spoke-b"],
        )],
        dry_runs: vec![DryRunSection {
            step: "software upgrade".to_owned(),
            passed: true,
            checks: vec![
                check("gateways up", true, "2 of 2 up"),
                check("upgrade path", true, "7.0.2239 → 7.1.4183 is one step"),
            ],
        }],
        confirmations: vec![Confirmation {
            at: day("22:10:05"),
            local_user: "bob".to_owned(),
            ..confirmation("software upgrade", "--yes", "00:00:00")
        }],
        timeline: vec![TimelineRow {
            label: "software upgrade".to_owned(),
            start: day("22:10:10"),
            end: Some(day("22:24:37")),
            outcome: RowOutcome::Failed,
            gateways: 2,
            failed: 1,
            message: "1 of 2 gateways failed".to_owned(),
        }],
        gateways: vec![
            gateway(
                "spoke-a",
                "software upgrade",
                state("7.0.2239", None, "up"),
                Some(state("7.1.4183", None, "up")),
                GatewayOutcome::Passed,
            ),
            GatewayChange {
                failure: Some(config_fail.to_owned()),
                ..gateway(
                    "spoke-b",
                    "software upgrade",
                    state("7.0.2239", None, "up"),
                    Some(state("7.1.4183", None, "config_fail")),
                    GatewayOutcome::Failed,
                )
            },
        ],
        failures: vec![Failure {
            what: "spoke-b".to_owned(),
            reason: config_fail.to_owned(),
        }],
    }
}
