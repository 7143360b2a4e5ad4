//! Every parser fed arbitrary input (issue 9, item 16): versions, the keymap and config TOML,
//! the known-controllers file, snapshots and catalogs, the journal (read as a stream, searched
//! for its unfinished operation, listed as history and rendered as change records in every
//! format), rollout plans, and the client's streamed list
//! decoder get
//! arbitrary bytes and mutations of valid samples up to their size limits, and must neither
//! panic nor hang. (The envelope decoder is private: its property is a unit test in
//! `src/api/envelope.rs`; the filter language's is in `tests/console_update.rs`; the
//! simulator's parameter parser's in `tests/sim_hygiene.rs`.)
//!
//! `cargo test` runs [`mutate::CASES`] cases per parser. The long run is
//! `cargo test --release --test fuzz -- --ignored fuzz` ([`mutate::long_cases`], or
//! `FUZZ_CASES=N`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

#[path = "fuzz/mutate.rs"]
mod mutate;

use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;

use avx_upgrade::api::known::KnownControllers;
use avx_upgrade::api::records::FleetBuilder;
use avx_upgrade::api::stream::{self, ListAt, ListSink};
use avx_upgrade::catalog::Catalog;
use avx_upgrade::config::Config;
use avx_upgrade::journal::{
    self, Answer, Call, CheckRecord, DryRunRecord, GatewayBefore, Operation, OperationId, Outcome,
    Record, Skipped, VerdictRecord,
};
use avx_upgrade::load::FileKind;
use avx_upgrade::plan::Action;
use avx_upgrade::plan::rollout;
use avx_upgrade::report;
use avx_upgrade::sim::fleet::{FleetSpec, generate};
use avx_upgrade::snapshot::Snapshot;
use avx_upgrade::tui::keymap::Keymap;
use avx_upgrade::version::{Target, Train, Version};
use bytes::Bytes;
use mutate::{CASES, check, inputs, long_cases, texts};

const VERSIONS: &[&str] = &["7.0.2239", "UserConnect-6.5.750", " 6.5 ", "7.2", "6.4.321"];
const KEYMAP: &str = "[keys]\n\"x\" = \"mark\"\n\"space\" = \"none\"\n\"ctrl-r\" = \"refresh\"\n";
const CONFIG: &str = include_str!("../assets/config.sample.toml");
const KNOWN: &str = "# avx-upgrade known controllers: HOST:PORT SHA256-FINGERPRINT\nctl.example.com:443 3F:0A:91:5C:2B:7E:44:D8:10:A6:C3:9F:5E:21:B8:77:0D:E4:6A:93:F2:18:CB:55:7A:0E:39:D1:84:6C:2F:9C\n";
const CATALOG: &str = include_str!("../assets/releases.json");
const LIST: &str = r#"{"return":true,"results":{"gw_info":[{"name":"a","status":"complete"},{"name":"b","status":"upgrade_fail","message":"x"}]},"reason":""}"#;

/// A `list_vpcs_summary` answer: an HA pair and a gateway on its own.
const GATEWAYS: &str = r#"{"return":true,"results":[{"vpc_name":"spoke-1","cloud_type":1,"account_name":"prod","vpc_region":"us-east-1","gw_software_version":"7.1.4183","gw_image_name":"hvm-cloudx-aws-022021","spoke_vpc":"yes","vpc_state":"up","is_hagw":"no","hagw_details":{"vpc_name":"spoke-1-hagw"}},{"vpc_name":"spoke-1-hagw","cloud_type":1,"vpc_region":"us-east-1","gw_software_version":"7.1.4183","spoke_vpc":"yes","vpc_state":"up","is_hagw":"yes","primary_gw_name":"spoke-1"},{"vpc_name":"transit-1","cloud_type":8,"vpc_region":"West Europe","gw_software_version":"UserConnect-7.0.2639","transit_vpc":"yes","vpc_state":"down"}],"reason":""}"#;

/// The largest snapshot fed to the parser: the real limit is 512 MB, beyond a test's budget.
const SNAPSHOT_FUZZ_LIMIT: usize = 4 << 20;

/// The largest journal fed to the reader: its line limit (32 MB) is beyond a test's budget;
/// a line over the limit is a unit test in `src/journal/read.rs`.
const JOURNAL_FUZZ_LIMIT: usize = 1 << 20;

fn limit(kind: FileKind) -> usize {
    usize::try_from(kind.limit()).unwrap_or(usize::MAX)
}

fn snapshot_sample() -> String {
    let catalog = Catalog::builtin().expect("the built-in catalog");
    let spec = FleetSpec {
        gateways: 8,
        unhealthy_per_mille: 300,
        ..FleetSpec::default()
    };
    let snapshot = generate(&spec, &catalog).expect("a fleet");
    snapshot.to_json().expect("serialises")
}

fn versions(cases: u32) {
    check("versions", cases, texts(VERSIONS, 4096), |text| {
        let _ = Version::from_str(&text);
        let _ = Train::from_str(&text);
        let _ = Target::from_str(&text);
    });
}

fn keymaps(cases: u32) {
    let strategy = texts(&[KEYMAP], limit(FileKind::Keymap));
    check("keymaps", cases, strategy, |text| {
        let _ = Keymap::with_overrides(&text);
    });
}

fn configs(cases: u32) {
    let strategy = texts(&[CONFIG], limit(FileKind::Config));
    check("configs", cases, strategy, |text| {
        let _ = Config::parse(Path::new("config.toml"), &text);
    });
}

fn known_controllers(cases: u32) {
    let strategy = texts(&[KNOWN], limit(FileKind::KnownControllers));
    check("known controllers", cases, strategy, |text| {
        let _ = KnownControllers::parse(Path::new("known_controllers"), &text);
    });
}

fn snapshots(cases: u32) {
    let strategy = inputs(vec![snapshot_sample().into_bytes()], SNAPSHOT_FUZZ_LIMIT);
    check("snapshots", cases, strategy, |bytes| {
        let _ = Snapshot::parse("state.json", &bytes);
    });
}

fn catalogs(cases: u32) {
    let strategy = inputs(vec![CATALOG.as_bytes().to_vec()], limit(FileKind::Catalog));
    check("catalogs", cases, strategy, |bytes| {
        let _ = Catalog::parse("releases.json", &bytes);
    });
}

/// A rollout plan document, as `rollout plan --json` writes it.
fn rollout_plan_sample() -> Vec<u8> {
    let catalog = Catalog::builtin().expect("the built-in catalog");
    let spec = FleetSpec {
        gateways: 12,
        ..FleetSpec::mid_rollout(&catalog, 12, 3)
    };
    let snapshot = generate(&spec, &catalog).expect("a fleet");
    let request = avx_upgrade::plan::Request::SoftwareUpgrade {
        gateways: avx_upgrade::plan::Selection::All,
        target: None,
    };
    let at = jiff::Timestamp::from_second(1_800_000_000).expect("a time");
    let policy = rollout::Policy::default();
    let planned = rollout::plan(&snapshot, &catalog, &request, &policy, at).expect("planned");
    // A runbook to the newest release when the fleet allows one, so the hops are fuzzed too.
    let latest = avx_upgrade::version::Target::Version(catalog.latest());
    let all = avx_upgrade::plan::Selection::All;
    let (planned, hops) = rollout::runbook(&snapshot, &catalog, all, latest, &policy, at)
        .unwrap_or((planned, Vec::new()));
    let document = rollout::Document {
        format: rollout::document::FORMAT,
        planned_at: at,
        controller: Some("https://ctl.example.com".into()),
        controller_version: snapshot.controller.current_version,
        fleet: rollout::fingerprint(&snapshot),
        target: Some(snapshot.controller.current_version),
        rollout: planned,
        hops,
    };
    serde_json::to_vec_pretty(&document).expect("serialises")
}

fn rollout_plans(cases: u32) {
    let strategy = inputs(
        vec![rollout_plan_sample()],
        limit(FileKind::RolloutPlan).min(1 << 20),
    );
    check("rollout plans", cases, strategy, |bytes| {
        let _ = rollout::Document::parse("plan.json", &bytes);
    });
}

/// A journal with a line of every kind: one finished operation and one left open.
fn journal_sample() -> Vec<u8> {
    let at = jiff::Timestamp::from_second(1_800_000_000).expect("a time");
    let (done, open) = (OperationId::new(at), OperationId::new(at));
    let intent = Operation {
        controller: "https://ctl.example.com".to_owned(),
        controller_user: "admin".to_owned(),
        local_user: "alice".to_owned(),
        action: Action::SoftwareUpgrade,
        target: Some(Version::new(7, 1, 4183)),
        platform_before: Version::new(7, 1, 4183),
        gateways: vec![GatewayBefore {
            name: "spoke-1".to_owned(),
            software: Version::new(7, 0, 2239),
            image: Some("hvm-ubuntu-22.04".to_owned()),
            state: "up".to_owned(),
            tunnels_up: true,
            expect_software: Some(Version::new(7, 1, 4183)),
            expect_image: None,
        }],
        skipped: vec![Skipped::new("spoke-2", "already at 7.1.4183")],
        confirmation: Some("1".to_owned()),
        dry_run: Some(DryRunRecord {
            passed: true,
            checks: vec![CheckRecord::new("DNS", true, "DNS resolves")],
        }),
        rollout: None,
    };
    let call = || Call::new(1, "upgrade_gateway", vec!["spoke-1".to_owned()]);
    let verdicts = vec![VerdictRecord::fail("spoke-1", "still at 7.0.2239")];
    let records = [
        Record::new(done.clone(), at, intent.clone()),
        Record::new(done.clone(), at, call()),
        Record::new(done.clone(), at, Answer::new(1, true, "started")),
        Record::new(done, at, Outcome::from_verdicts("1 failed", verdicts)),
        Record::new(open.clone(), at, intent),
        Record::new(open.clone(), at, call()),
        Record::new(open, at, Answer::new(1, false, "busy")),
    ];
    let mut lines = Vec::new();
    for record in &records {
        serde_json::to_writer(&mut lines, record).expect("serialises");
        lines.push(b'\n');
    }
    lines
}

fn journals(cases: u32) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let strategy = inputs(vec![journal_sample()], JOURNAL_FUZZ_LIMIT);
    check("journals", cases, strategy, move |bytes| {
        let path = dir.path().join("ctl.example.com_443.jsonl");
        std::fs::write(&path, &bytes).expect("writes");
        let lines = bytes.split(|byte| *byte == b'\n').count();
        let read = journal::read(&path)
            .expect("a regular file is read")
            .count();
        assert!(
            read <= lines,
            "{read} records and errors from {lines} lines"
        );
        let found = journal::unfinished(&path).expect("a regular file is read");
        assert!(found.bad_lines.len() as u64 <= found.bad_line_count);
        if let Some(story) = found.story {
            assert_eq!(
                story.outcome, None,
                "an unfinished operation has no outcome"
            );
        }
        // History, and the change record of every line in each format, never panic either.
        let (lines, _) = journal::history::history(&path, None).expect("a regular file is read");
        for line in lines {
            let id: OperationId = line.id.parse().expect("history shows ids that parse");
            let (story, _) = journal::history::change_story(&path, &id).expect("read");
            let record = report::build::change_record(&story.expect("the line's story"));
            for text in [
                report::markdown::render(&record),
                report::html::render(&record),
                report::json::render(&record),
            ] {
                assert!(!text.is_empty());
            }
        }
    });
}

/// Counts the list's elements, refusing one that is not JSON as a real sink does; with
/// `leading`, takes those that are JSON where they start, as the real sinks do.
#[derive(Debug, Default)]
struct Count {
    elements: usize,
    leading: bool,
}

impl ListSink for Count {
    fn push(&mut self, element: &str) -> Result<(), String> {
        serde_json::from_str::<serde::de::IgnoredAny>(element)
            .map_err(|error| error.to_string())?;
        self.elements += 1;
        Ok(())
    }

    fn push_leading(&mut self, text: &str) -> Option<usize> {
        if !self.leading {
            return None;
        }
        let (_, length) = stream::leading::<serde::de::IgnoredAny>(text)?;
        self.elements += 1;
        Some(length)
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .expect("a runtime")
    })
}

/// Feeds `body` to the streaming list decoder in chunks of a size taken from its first byte.
fn stream_list<S: ListSink>(body: &[u8], at: ListAt, sink: S) -> (Result<stream::Head, String>, S) {
    let chunk = usize::from(body.first().copied().unwrap_or(1)).max(1);
    let chunks: Vec<Bytes> = body.chunks(chunk).map(Bytes::copy_from_slice).collect();
    runtime().block_on(async move {
        let parser = stream::parser(at, sink);
        for piece in chunks {
            if parser.chunks.send(Ok(piece)).await.is_err() {
                break;
            }
        }
        drop(parser.chunks);
        parser.done.await.expect("the parser thread ends")
    })
}

/// The streamed answer reads as the same answer decoded whole: the same envelope and what
/// the sink kept (its `summary`), or an error both ways.
fn streams_as_whole<S: ListSink, T: PartialEq + std::fmt::Debug>(
    body: &[u8],
    at: ListAt,
    new_sink: impl Fn() -> S,
    summary: impl Fn(S) -> T,
) {
    let (streamed, streamed_sink) = stream_list(body, at, new_sink());
    let mut whole_sink = new_sink();
    let whole = stream::parse(body, at, &mut whole_sink);
    match (streamed, whole) {
        (Ok(streamed), Ok(whole)) => {
            assert_eq!(
                (streamed.ok, streamed.reason, summary(streamed_sink)),
                (whole.ok, whole.reason, summary(whole_sink)),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        (Err(_), Err(_)) => {}
        (streamed, whole) => panic!(
            "streamed {streamed:?}, whole {whole:?}: {:?}",
            String::from_utf8_lossy(body)
        ),
    }
}

/// Every element counted, taken where it starts or followed to its end.
fn counts_as_whole(body: &[u8], at: ListAt) {
    for leading in [false, true] {
        let new_sink = || Count {
            elements: 0,
            leading,
        };
        streams_as_whole(body, at, new_sink, |count| count.elements);
    }
}

/// The gateways and the records skipped, as the console's reader keeps them.
fn reads_gateways_as_whole(body: &[u8]) {
    streams_as_whole(
        body,
        ListAt::Results,
        FleetBuilder::default,
        FleetBuilder::finish,
    );
}

fn streamed_lists(cases: u32) {
    let strategy = inputs(vec![LIST.as_bytes().to_vec()], 1 << 20);
    check("streamed lists", cases, strategy, |bytes| {
        counts_as_whole(&bytes, ListAt::Field("gw_info"));
        counts_as_whole(&bytes, ListAt::Results);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = stream::feed(text, ListAt::Results, &mut Count::default());
        }
    });
}

fn streamed_gateways(cases: u32) {
    let strategy = inputs(vec![GATEWAYS.as_bytes().to_vec()], 1 << 20);
    check("streamed gateways", cases, strategy, |bytes| {
        reads_gateways_as_whole(&bytes);
    });
}

#[test]
fn the_samples_are_valid_so_mutations_start_from_real_inputs() {
    let mut gateways = FleetBuilder::default();
    stream::parse(GATEWAYS.as_bytes(), ListAt::Results, &mut gateways).expect("gateways");
    let fleet = gateways.finish();
    assert_eq!(
        (fleet.gateways.len(), fleet.skipped.len()),
        (3, 0),
        "{fleet:?}"
    );
    assert!(fleet.gateways[0].peer.is_some(), "the HA pair is linked");
    for text in VERSIONS {
        assert!(Target::from_str(text).is_ok(), "{text}");
    }
    assert!(Keymap::with_overrides(KEYMAP).is_ok());
    assert!(Config::parse(Path::new("config.toml"), CONFIG).is_ok());
    assert!(KnownControllers::parse(Path::new("known_controllers"), KNOWN).is_ok());
    assert!(Snapshot::parse("state.json", snapshot_sample().as_bytes()).is_ok());
    assert!(Catalog::parse("releases.json", CATALOG.as_bytes()).is_ok());
    assert!(rollout::Document::parse("plan.json", &rollout_plan_sample()).is_ok());
    let (_, count) = stream_list(LIST.as_bytes(), ListAt::Field("gw_info"), Count::default());
    assert_eq!(count.elements, 2);
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("journal.jsonl");
    std::fs::write(&path, journal_sample()).expect("writes");
    assert!(
        journal::read(&path)
            .expect("reads")
            .all(|record| record.is_ok())
    );
    let found = journal::unfinished(&path).expect("reads");
    assert_eq!(found.story.expect("one open operation").calls.len(), 1);
}

#[test]
fn versions_never_panic() {
    versions(CASES);
}

#[test]
fn keymaps_never_panic() {
    keymaps(CASES);
}

#[test]
fn configs_never_panic() {
    configs(CASES);
}

#[test]
fn known_controllers_never_panic() {
    known_controllers(CASES);
}

#[test]
fn snapshots_never_panic() {
    snapshots(CASES);
}

#[test]
fn catalogs_never_panic() {
    catalogs(CASES);
}

#[test]
fn rollout_plans_never_panic() {
    rollout_plans(CASES);
}

#[test]
fn journals_never_panic() {
    journals(CASES);
}

#[test]
fn streamed_lists_never_panic() {
    streamed_lists(CASES);
}

#[test]
fn streamed_gateways_never_panic() {
    streamed_gateways(CASES);
}

/// The long run: `cargo test --release --test fuzz -- --ignored fuzz`.
#[test]
#[ignore = "long: cargo test --release --test fuzz -- --ignored fuzz"]
fn fuzz_every_parser_long() {
    let cases = long_cases();
    versions(cases);
    keymaps(cases);
    configs(cases);
    known_controllers(cases);
    snapshots(cases);
    catalogs(cases);
    journals(cases);
    rollout_plans(cases);
    streamed_lists(cases);
    streamed_gateways(cases);
}
