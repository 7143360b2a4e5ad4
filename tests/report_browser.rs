//! The HTML change record in a real headless browser (Chromium): it renders to a screenshot
//! that is not blank, and the DOM the browser built has one timeline row per step with its
//! label and outcome. Chromium is started so that it contacts nothing (no background
//! networking, component updates or sync, a fresh profile). Without Chromium the tests are
//! skipped with a message, except under `CI=true`, where they fail: `.ci/run` installs it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use avx_upgrade::report::model::{
    ChangeRecord, CheckItem, Confirmation, DryRunSection, Failure, GatewayChange, GatewayOutcome,
    GatewayState, PlanStep, RecordKind, RecordOutcome, RowOutcome, TimelineRow,
};
use avx_upgrade::report::{self};
use jiff::Timestamp;

/// The longest a browser run may take before the test fails.
const BROWSER_DEADLINE: Duration = Duration::from_secs(90);

/// Chromium's path, or `None` (after saying why) when the test is to be skipped.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| {
            std::env::var_os("PATH")
                .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .map(move |dir| dir.join(name))
        })
        .find(|path| path.is_file());
    if found.is_none() {
        let on_ci = std::env::var("CI").is_ok_and(|value| value == "true");
        assert!(
            !on_ci,
            "CI=true and no Chromium on PATH: .ci/run installs Debian's chromium with apt"
        );
        eprintln!(
            "SKIPPED: no Chromium on PATH (install Debian's chromium package to run the browser tests)"
        );
    }
    found
}

/// Runs Chromium headless on `page` with `args`, in a fresh profile, contacting nothing;
/// fails the test after [`BROWSER_DEADLINE`].
fn run_chromium(chromium: &Path, profile: &Path, args: &[String], page: &Path) -> Output {
    let mut command = Command::new(chromium);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-default-apps",
            "--disable-extensions",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().expect("Chromium starts");
    let id = child.id();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    match receiver.recv_timeout(BROWSER_DEADLINE) {
        Ok(output) => output.expect("Chromium ran"),
        Err(_) => {
            let _ = Command::new("kill").arg(id.to_string()).status();
            panic!("Chromium did not finish within {BROWSER_DEADLINE:?}");
        }
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().expect("a timestamp")
}

fn state(software: &str) -> GatewayState {
    GatewayState {
        software: software.to_owned(),
        image: Some("hvm-cloudx-aws-080423".to_owned()),
        state: "up".to_owned(),
        tunnels_up: true,
    }
}

/// A rollout with a passed canary, a wave with a failed gateway and an unfinished wave.
fn record() -> ChangeRecord {
    let rows = [
        (
            "wave 1 (canary)",
            "04:15:00",
            Some("04:19:05"),
            RowOutcome::Passed,
            1,
            0,
        ),
        (
            "wave 2",
            "04:19:10",
            Some("04:24:00"),
            RowOutcome::Failed,
            3,
            1,
        ),
        ("wave 3", "04:24:30", None, RowOutcome::Unfinished, 4, 0),
    ];
    let timeline = rows
        .iter()
        .map(
            |(label, start, end, outcome, gateways, failed)| TimelineRow {
                label: (*label).to_owned(),
                start: at(&format!("2026-12-01T{start}Z")),
                end: end.map(|end| at(&format!("2026-12-01T{end}Z"))),
                outcome: *outcome,
                gateways: *gateways,
                failed: *failed,
                message: String::new(),
            },
        )
        .collect();
    ChangeRecord {
        id: "20261201T041500Z-3f9a".to_owned(),
        kind: RecordKind::Rollout,
        title: "Rollout: Software Upgrade of 8 gateways in 3 steps, to 7.1.4183".to_owned(),
        controller: "https://ctl.example.com".to_owned(),
        controller_user: "admin".to_owned(),
        local_user: "alice".to_owned(),
        started: at("2026-12-01T04:15:00Z"),
        ended: Some(at("2026-12-01T04:26:00Z")),
        outcome: RecordOutcome::Unfinished,
        outcome_message: "stopped: the failure budget is spent".to_owned(),
        plan: vec![PlanStep {
            number: 1,
            label: "wave 1 (canary)".to_owned(),
            target: Some("7.1.4183".to_owned()),
            gateways: vec!["spoke-1".to_owned()],
        }],
        dry_runs: vec![DryRunSection {
            step: "wave 1 (canary)".to_owned(),
            passed: true,
            checks: vec![CheckItem {
                item: "gateway and tunnel health".to_owned(),
                passed: true,
                detail: "every gateway up".to_owned(),
            }],
        }],
        confirmations: vec![Confirmation {
            what: "the rollout".to_owned(),
            how: "typed 8".to_owned(),
            controller_user: "admin".to_owned(),
            local_user: "alice".to_owned(),
            at: at("2026-12-01T04:15:00Z"),
        }],
        timeline,
        gateways: vec![GatewayChange {
            name: "spoke-1".to_owned(),
            step: "wave 1 (canary)".to_owned(),
            before: state("7.0.2239"),
            after: Some(state("7.1.4183")),
            outcome: GatewayOutcome::Passed,
            failure: None,
        }],
        failures: vec![Failure {
            what: "spoke-3".to_owned(),
            reason: "upgrade_fail: the package could not be downloaded".to_owned(),
        }],
    }
}

/// The report written to a temporary directory, with a profile directory beside it.
fn written() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let page = dir.path().join("report.html");
    std::fs::write(&page, report::html::render(&record())).expect("written");
    (dir, page)
}

#[test]
fn the_html_report_renders_in_chromium_to_a_screenshot_that_is_not_blank() {
    let Some(chromium) = chromium() else {
        return;
    };
    let (dir, page) = written();
    let shot = dir.path().join("shot.png");
    let args = [
        format!("--screenshot={}", shot.display()),
        "--window-size=1100,1400".to_owned(),
        "--hide-scrollbars".to_owned(),
    ];
    let output = run_chromium(&chromium, &dir.path().join("profile"), &args, &page);
    assert!(
        shot.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&shot).expect("opens"),
    ));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut pixels).expect("a frame");
    assert_eq!((info.width, info.height), (1100, 1400));
    let bytes = &pixels[..info.buffer_size()];
    let channels = info.color_type.samples();
    let colours: std::collections::HashSet<&[u8]> = bytes.chunks(channels).collect();
    let ink = bytes
        .chunks(channels)
        .filter(|pixel| pixel[..3].iter().any(|&value| value < 128))
        .count();
    assert!(
        colours.len() > 16,
        "a blank page has {} colours",
        colours.len()
    );
    let share = ink as f64 / (info.width * info.height) as f64;
    assert!(
        share > 0.005,
        "text and bars cover {share:.4} of the page: it looks blank"
    );
}

#[test]
fn the_timeline_rows_and_labels_are_in_the_dom_chromium_builds() {
    let Some(chromium) = chromium() else {
        return;
    };
    let (dir, page) = written();
    let output = run_chromium(
        &chromium,
        &dir.path().join("profile"),
        &["--dump-dom".to_owned()],
        &page,
    );
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(dom.contains("<svg class=\"gantt\""), "no chart in:\n{dom}");
    let rows: Vec<(String, String)> = dom
        .split("<g class=\"row\"")
        .skip(1)
        .map(|row| {
            let attribute = |name: &str| {
                let start = row.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
                let end = row[start..].find('"').expect("closing quote") + start;
                row[start..end].to_owned()
            };
            (attribute("data-label"), attribute("data-outcome"))
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("wave 1 (canary)".to_owned(), "passed".to_owned()),
            ("wave 2".to_owned(), "failed".to_owned()),
            ("wave 3".to_owned(), "unfinished".to_owned()),
        ]
    );
    for word in ["✓ passed", "✗ failed", "UNFINISHED", "spoke-3", "typed 8"] {
        assert!(dom.contains(word), "no {word:?} in the DOM");
    }
    assert!(!dom.contains("<script"), "no script in the page");
}
