//! The journal from outside the library: where its file is and who may read it, that a record
//! built from a real session's data holds no secret, and that the largest operation (100,000
//! gateways with their state before) fits in one line and reads back.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::path::Path;

use avx_upgrade::catalog::Catalog;
use avx_upgrade::journal::{
    self, Answer, Call, CheckRecord, DryRunRecord, GatewayBefore, Journal, JournalError,
    LINE_LIMIT, Operation, OperationId, Outcome, Record, Skipped, VerdictRecord,
};
use avx_upgrade::plan::Action;
use avx_upgrade::secret::{Credentials, Secret};
use avx_upgrade::sim::fleet::{FleetSpec, generate};
use avx_upgrade::snapshot::{Gateway, Snapshot};
use avx_upgrade::version::Version;

const CONTROLLER: &str = "https://ctl.example.com";
const PASSWORD: &str = "Pw-4vQ8z-never-in-the-journal";

fn fleet(gateways: usize) -> Snapshot {
    let catalog = Catalog::builtin().expect("the built-in catalog");
    let spec = FleetSpec {
        gateways,
        unhealthy_per_mille: 100,
        lagging_per_mille: 300,
        ..FleetSpec::default()
    };
    generate(&spec, &catalog).expect("a fleet")
}

fn before(gateway: &Gateway, target: Version) -> GatewayBefore {
    GatewayBefore {
        name: gateway.name.to_string(),
        software: gateway.software_version,
        image: gateway.image_version.as_deref().map(str::to_owned),
        state: gateway.state.to_string(),
        tunnels_up: gateway.tunnels_up,
        expect_software: Some(target),
        expect_image: None,
    }
}

/// A software upgrade of every gateway of `snapshot` as the console would record it.
fn intent(snapshot: &Snapshot, controller: &str, user: &str) -> Operation {
    let target = snapshot.controller.current_version;
    let (skipped, changing): (Vec<&Gateway>, Vec<&Gateway>) = snapshot
        .gateways()
        .iter()
        .partition(|gateway| gateway.software_version == target);
    Operation {
        controller: controller.to_owned(),
        controller_user: user.to_owned(),
        local_user: journal::local_user(),
        action: Action::SoftwareUpgrade,
        target: Some(target),
        platform_before: target,
        gateways: changing
            .iter()
            .map(|gateway| before(gateway, target))
            .collect(),
        skipped: skipped
            .iter()
            .map(|gateway| Skipped::new(&*gateway.name, format!("already at {target}")))
            .collect(),
        confirmation: Some(changing.len().to_string()),
        dry_run: Some(DryRunRecord {
            passed: true,
            checks: vec![CheckRecord::new("backup age", true, "2 hours old")],
        }),
        rollout: None,
    }
}

#[test]
fn journals_are_named_by_controller_host_and_port() {
    let state = Path::new("/var/state/avx-upgrade");
    for (url, name) in [
        ("https://ctl.example.com", "ctl.example.com_443.jsonl"),
        ("https://127.0.0.1:8443/", "127.0.0.1_8443.jsonl"),
        ("https://ctl.example.com:443", "ctl.example.com_443.jsonl"),
        ("https://ctl_1.example.com", "ctl_1.example.com_443.jsonl"),
    ] {
        assert_eq!(
            journal::file_for(state, url).expect(url),
            state.join("journal").join(name)
        );
    }
    let error = journal::file_for(state, "ctl.example.com").expect_err("no scheme");
    assert!(
        matches!(error, JournalError::Controller { .. }),
        "{error:?}"
    );
}

#[cfg(unix)]
#[test]
fn the_journal_and_its_directory_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state");
    let mut journal = Journal::open(&state, CONTROLLER).expect("opens");
    let op = OperationId::new(jiff::Timestamp::now());
    journal
        .append(&Record::now(
            op,
            Call::new(1, "upgrade_gateway", Vec::new()),
        ))
        .expect("appends");
    let mode = |path: &Path| {
        std::fs::metadata(path)
            .expect("exists")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(journal.path()), 0o600);
    assert_eq!(mode(&state.join("journal")), 0o700);
    assert_eq!(
        mode(&state),
        0o700,
        "a state directory it creates is private"
    );
}

#[test]
fn the_state_directory_comes_from_the_environment() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The only test that sets AVX_UPGRADE_STATE_DIR; the others pass a directory.
    unsafe { std::env::set_var("AVX_UPGRADE_STATE_DIR", dir.path()) };
    let journal = Journal::open_in_state_dir(CONTROLLER).expect("opens");
    unsafe { std::env::remove_var("AVX_UPGRADE_STATE_DIR") };
    assert_eq!(
        journal.path(),
        dir.path().join("journal/ctl.example.com_443.jsonl")
    );
    assert_eq!(
        JournalError::NoStateDir.to_string(),
        "no state directory for the journal: set HOME or AVX_UPGRADE_STATE_DIR"
    );
}

#[test]
fn no_secret_reaches_the_journal() {
    // As the command line gets it: the password in the environment, then in the credentials.
    unsafe { std::env::set_var("AVX_PASSWORD", PASSWORD) };
    let credentials = Credentials {
        user: "admin".to_owned(),
        password: Secret::new(std::env::var("AVX_PASSWORD").expect("set above")),
    };
    unsafe { std::env::remove_var("AVX_PASSWORD") };
    assert_eq!(credentials.password.expose(), PASSWORD);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut journal = Journal::open(dir.path(), CONTROLLER).expect("opens");
    let op = OperationId::new(jiff::Timestamp::now());
    // A URL with the password in it is refused by the client; should one get this far, the
    // journal still writes it without.
    let careless = format!("https://admin:{PASSWORD}@ctl.example.com");
    let records = [
        Record::now(op.clone(), intent(&fleet(20), &careless, &credentials.user)),
        Record::now(
            op.clone(),
            Call::new(1, "upgrade_gateway", vec!["spoke-1".to_owned()]),
        ),
        Record::now(op.clone(), Answer::new(1, true, "upgrade started")),
        Record::now(
            op.clone(),
            Outcome::from_verdicts("1 gateway upgraded", vec![VerdictRecord::pass("spoke-1")]),
        ),
    ];
    for record in &records {
        journal.append(record).expect("appends");
    }
    let written = std::fs::read_to_string(journal.path()).expect("the journal");
    assert_eq!(written.lines().count(), records.len());
    assert!(
        written.contains("\"controller\":\"https://ctl.example.com/\""),
        "{written}"
    );
    let refused =
        Journal::open(dir.path(), &format!("https://admin:{PASSWORD}@/")).expect_err("no host");
    let texts = [written, format!("{records:?}"), refused.to_string()];
    for text in &texts {
        assert!(!text.contains(PASSWORD), "a secret in the journal:\n{text}");
    }
}

#[test]
fn the_largest_operation_fits_in_one_line_and_reads_back() {
    let snapshot = fleet(100_000);
    let operation = intent(&snapshot, CONTROLLER, "admin");
    assert!(!operation.gateways.is_empty() && !operation.skipped.is_empty());
    assert_eq!(operation.gateways.len() + operation.skipped.len(), 100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut journal = Journal::open(dir.path(), CONTROLLER).expect("opens");
    let op = OperationId::new(jiff::Timestamp::now());
    journal
        .append(&Record::now(op.clone(), operation.clone()))
        .expect("100,000 gateways fit");
    let size = std::fs::metadata(journal.path()).expect("file").len();
    eprintln!("100,000 gateways: a line of {size} bytes");
    assert!(
        size < (LINE_LIMIT / 2) as u64,
        "{size} bytes: half the limit at most"
    );
    let found = journal::unfinished(journal.path()).expect("reads");
    let story = found.story.expect("the operation is open");
    assert_eq!(story.id, op);
    assert_eq!(story.operation, operation);
    assert_eq!(found.bad_line_count, 0);
}
