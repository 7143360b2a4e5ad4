//! Unit tests of the parent module.

use super::*;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + seconds).expect("time")
}

fn gateway_op() -> Operation {
    Operation::new(
        1,
        Action::SoftwareUpgrade,
        "Software Upgrade to 7.1.2100".into(),
        vec!["a".into(), "b".into()],
        at(0),
    )
}

fn status(name: &str, update_status: &str) -> GatewayProgress {
    GatewayProgress {
        name: name.into(),
        state: "up".into(),
        update_status: update_status.into(),
        progress: None,
        message: None,
    }
}

#[test]
fn requested_then_running_then_done() {
    let mut op = gateway_op();
    assert_eq!(op.phase, Phase::Requesting);
    op.started(at(1));
    assert_eq!(op.phase, Phase::Running);
    let changed = op.progress(
        at(10),
        Progress::Gateways {
            gateways: vec![status("a", "complete"), status("b", "upgrading")],
            done: 1,
            failed: 0,
        },
    );
    assert_eq!(changed.len(), 2);
    assert_eq!(op.remaining(at(10)), Some(SignedDuration::from_secs(10)));
    let again = op.progress(
        at(12),
        Progress::Gateways {
            gateways: vec![status("a", "complete"), status("b", "upgrading")],
            done: 1,
            failed: 0,
        },
    );
    assert!(again.is_empty(), "unchanged statuses are not logged twice");
    op.progress(
        at(20),
        Progress::Finished {
            ok: true,
            message: "2 of 2 done".into(),
        },
    );
    assert_eq!(op.phase, Phase::Succeeded("2 of 2 done".into()));
    assert_eq!(op.elapsed(at(99)), SignedDuration::from_secs(20));
    assert!(!op.is_running());
}

#[test]
fn events_after_the_end_change_nothing() {
    let mut op = gateway_op();
    op.start_failed(at(1), "Active upgrade in progress.".into());
    assert!(matches!(op.phase, Phase::Failed(_)));
    op.progress(
        at(2),
        Progress::Restarting {
            detail: "503".into(),
        },
    );
    assert!(matches!(op.phase, Phase::Failed(_)));
}

#[test]
fn a_platform_upgrade_restarts_and_comes_back() {
    let mut op = Operation::new(
        2,
        Action::PlatformUpgrade,
        "Platform Upgrade to 7.1".into(),
        Vec::new(),
        at(0),
    );
    op.started(at(1));
    op.progress(
        at(5),
        Progress::Platform {
            message: "downloading".into(),
            phase: Some("download".into()),
            percent: Some(25),
        },
    );
    assert_eq!(op.remaining(at(5)), Some(SignedDuration::from_secs(15)));
    op.progress(
        at(6),
        Progress::Restarting {
            detail: "HTTP 503".into(),
        },
    );
    op.progress(
        at(7),
        Progress::Restarting {
            detail: "HTTP 503".into(),
        },
    );
    assert_eq!(op.phase, Phase::Restarting);
    let restarts = op
        .log
        .iter()
        .filter(|(_, line)| line.contains("controller restarting"))
        .count();
    assert_eq!(restarts, 1, "one line per restart, not per poll");
    op.progress(at(9), Progress::LoggedInAgain);
    op.progress(
        at(10),
        Progress::Finished {
            ok: true,
            message: "complete".into(),
        },
    );
    assert_eq!(op.ratio(), 1.0);
    assert!(matches!(op.phase, Phase::Succeeded(_)));
}

#[test]
fn a_legacy_message_gives_the_percentage_and_is_logged_once_per_phase() {
    assert_eq!(
        split_percent("Installing UserConnect-7.1.4183 ... 40%"),
        ("Installing UserConnect-7.1.4183", Some(40))
    );
    assert_eq!(split_percent("Upgrade done"), ("Upgrade done", None));
    assert_eq!(split_percent("odd 300%"), ("odd 300%", None));
    let mut op = Operation::new(
        3,
        Action::PlatformUpgrade,
        "Platform Upgrade to 7.1".into(),
        Vec::new(),
        at(0),
    );
    op.started(at(1));
    for (second, text) in [
        (2, "Downloading X ... 10%"),
        (3, "Downloading X ... 20%"),
        (4, "Installing X ... 40%"),
        (5, "Installing X ... 45%"),
    ] {
        op.progress(
            at(second),
            Progress::Platform {
                message: text.into(),
                phase: None,
                percent: None,
            },
        );
    }
    let lines: Vec<&str> = op
        .log
        .iter()
        .skip(2)
        .map(|(_, line)| line.as_str())
        .collect();
    assert_eq!(lines, ["Downloading X ... 10%", "Installing X ... 40%"]);
    assert_eq!(op.percent, Some(45));
}

#[test]
fn a_platform_upgrade_stuck_at_99_percent_drops_its_estimate_and_stalls() {
    let mut op = Operation::new(
        4,
        Action::PlatformUpgrade,
        "Platform Upgrade to 7.1".into(),
        Vec::new(),
        at(0),
    );
    op.started(at(0));
    let at_99 = Progress::Platform {
        message: "installing".into(),
        phase: Some("install".into()),
        percent: Some(99),
    };
    op.progress(at(99), at_99.clone());
    assert_eq!(op.remaining(at(99)), Some(SignedDuration::from_secs(1)));
    assert_eq!(op.remaining(at(101)), None, "no estimate once it ran out");
    op.progress(at(600), at_99);
    assert_eq!(op.moved_at(), at(99), "the same status is no progress");
    assert_eq!(op.stall(at(99 + 300)), None, "not before the least stall");
    assert_eq!(
        op.stall(at(99 + 720)),
        Some(Stall {
            stalled: SignedDuration::from_mins(12),
            expected: LEAST_EXPECTED,
        })
    );
}

#[test]
fn the_log_is_capped() {
    let mut op = gateway_op();
    for i in 0..(LOG_LINES + 50) {
        op.note(at(i as i64), format!("line {i}"));
    }
    assert_eq!(op.log.len(), LOG_LINES);
    assert_eq!(op.log.last().map(|(_, l)| l.as_str()), Some("line 549"));
}
