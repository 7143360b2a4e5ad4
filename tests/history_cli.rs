//! `avx-upgrade history` and `avx-upgrade report`, run as a user runs them: the binary, with the
//! state directory in `AVX_UPGRADE_STATE_DIR` holding a journal written through the library as
//! the console writes it. Bad input (an id that is not one, an unknown id, a bad `--since`, an
//! unwritable output file) is refused with exit 2 and a message that says what to do.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

use std::process::{Command, Output};

use avx_upgrade::journal::{
    GatewayAfter, GatewayBefore, Journal, Operation, OperationId, Outcome, Record, VerdictRecord,
};
use avx_upgrade::plan::Action;
use avx_upgrade::version::Version;
use jiff::Timestamp;

const CONTROLLER: &str = "https://ctl.example.com";

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + second).expect("a time")
}

/// A state directory whose journal holds one finished software upgrade of two gateways (one
/// failed), and its id.
fn state_dir() -> (tempfile::TempDir, OperationId) {
    let dir = tempfile::tempdir().expect("a state directory");
    let mut journal = Journal::open(dir.path(), CONTROLLER).expect("opens");
    let id = OperationId::new(at(0));
    let before = |name: &str| GatewayBefore {
        name: name.to_owned(),
        software: Version::new(7, 0, 2239),
        image: Some("hvm-cloudx-aws-102722".to_owned()),
        state: "up".to_owned(),
        tunnels_up: true,
        expect_software: Some(Version::new(7, 1, 4183)),
        expect_image: None,
    };
    let intent = Operation {
        controller: CONTROLLER.to_owned(),
        controller_user: "admin".to_owned(),
        local_user: "alice".to_owned(),
        action: Action::SoftwareUpgrade,
        target: Some(Version::new(7, 1, 4183)),
        platform_before: Version::new(7, 1, 4183),
        gateways: vec![before("spoke-1"), before("spoke-2")],
        skipped: Vec::new(),
        confirmation: Some("typed 2".to_owned()),
        dry_run: None,
        rollout: None,
    };
    let after = GatewayAfter {
        software: Version::new(7, 1, 4183),
        image: Some("hvm-cloudx-aws-102722".to_owned()),
        state: "up".to_owned(),
        tunnels_up: true,
    };
    let verdicts = vec![
        VerdictRecord::pass("spoke-1").with_after(Some(after)),
        VerdictRecord::fail("spoke-2", "still on 7.0.2239, not 7.1.4183"),
    ];
    for record in [
        Record::new(id.clone(), at(0), intent),
        Record::new(
            id.clone(),
            at(250),
            Outcome::from_verdicts("1 of 2", verdicts),
        ),
    ] {
        journal.append(&record).expect("appends");
    }
    (dir, id)
}

fn run(state: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_avx-upgrade"))
        .args(args)
        .env("AVX_UPGRADE_STATE_DIR", state)
        .env("AVX_UPGRADE_CONFIG_DIR", state.join("config"))
        .env_remove("AVX_PASSWORD")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn history_lists_the_operation_and_report_writes_its_record_in_each_format() {
    let (dir, id) = state_dir();
    let output = run(dir.path(), &["history"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let line = text
        .lines()
        .find(|line| line.starts_with(id.as_str()))
        .unwrap_or_else(|| panic!("no line for {id}:\n{text}"));
    for part in ["software-upgrade to 7.1.4183", " 2 ", "FAILED", CONTROLLER] {
        assert!(line.contains(part), "no {part:?} in {line:?}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&run(dir.path(), &["history", "--json"]).stdout).expect("JSON");
    assert_eq!(json[0]["id"], id.as_str());
    assert_eq!(json[0]["outcome"], "failed");
    let later = run(dir.path(), &["history", "--since", "2030-01-01T00:00:00Z"]);
    assert!(
        stdout(&later).starts_with("No operation recorded"),
        "{}",
        stdout(&later)
    );

    let markdown = stdout(&run(dir.path(), &["report", id.as_str()]));
    for part in [
        "# Change record: Software Upgrade of 2 gateways to 7.1.4183",
        "| Outcome | **FAILED**",
        "7.0.2239 → **7.1.4183**",
        "still on 7.0.2239, not 7.1.4183",
        "typed 2",
    ] {
        assert!(markdown.contains(part), "no {part:?} in:\n{markdown}");
    }
    let json = run(dir.path(), &["report", id.as_str(), "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(json["format"], 1);
    assert_eq!(json["gateways"][0]["after"]["software"], "7.1.4183");
    let file = dir.path().join("change.html");
    let written = run(
        dir.path(),
        &[
            "report",
            id.as_str(),
            "--format",
            "html",
            "-o",
            file.to_str().expect("UTF-8"),
        ],
    );
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    assert!(stdout(&written).contains("change.html"));
    let html = std::fs::read_to_string(&file).expect("written");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("class=\"gantt\""));
}

#[test]
fn bad_input_is_refused_with_what_to_do() {
    let (dir, _) = state_dir();
    for (args, says) in [
        (vec!["report", "latest"], "is not an operation id"),
        (
            vec!["report", "20300101T000000Z-0000"],
            "`avx-upgrade history` lists",
        ),
        (vec!["history", "--since", "yesterday"], "expected RFC 3339"),
        (
            vec!["report", "20300101T000000Z-0000", "--format", "pdf"],
            "invalid value",
        ),
    ] {
        let output = run(dir.path(), &args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stdout(&output)
        );
        let error = stderr(&output);
        assert!(error.contains(says), "{args:?}: {error}");
    }
    let (dir, id) = state_dir();
    let blocked = dir.path().join("not-a-dir");
    std::fs::write(&blocked, "a file").expect("written");
    let target = blocked.join("report.md");
    let output = run(
        dir.path(),
        &["report", id.as_str(), "-o", target.to_str().expect("UTF-8")],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("choose another file with -o"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_empty_state_directory_has_no_history() {
    let dir = tempfile::tempdir().expect("a state directory");
    let output = run(dir.path(), &["history"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("No operation recorded"));
}
