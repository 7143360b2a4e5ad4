//! Benchmarks of the change record at 100,000 gateways: reading one operation's story out of
//! the journal (as `avx-upgrade report` does), building the record, and rendering it in each
//! format. The record is linear in the gateways: each one is matched to its verdict by name.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark whose setup fails has nothing to measure, so it stops"
)]

use std::hint::black_box;

use avx_upgrade::journal::history::{ChangeStory, change_story};
use avx_upgrade::journal::{
    GatewayAfter, GatewayBefore, Journal, Operation, OperationId, Outcome, Record, VerdictRecord,
};
use avx_upgrade::plan::Action;
use avx_upgrade::report;
use avx_upgrade::version::Version;
use criterion::{Criterion, criterion_group, criterion_main};
use jiff::Timestamp;

const GATEWAYS: usize = 100_000;

/// A journal holding one software upgrade of every gateway, one of which failed.
fn journal() -> (tempfile::TempDir, std::path::PathBuf, OperationId) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut journal = Journal::open(dir.path(), "https://ctl.example.com").expect("opens");
    let at: Timestamp = "2026-12-01T05:00:00Z".parse().expect("timestamp");
    let id = OperationId::new(at);
    let (old, new) = (Version::new(7, 0, 2239), Version::new(7, 1, 4183));
    let names: Vec<String> = (0..GATEWAYS).map(|n| format!("spoke-{n:06}")).collect();
    let intent = Operation {
        controller: "https://ctl.example.com".into(),
        controller_user: "admin".into(),
        local_user: "alice".into(),
        action: Action::SoftwareUpgrade,
        target: Some(new),
        platform_before: new,
        gateways: names
            .iter()
            .map(|name| GatewayBefore {
                name: name.clone(),
                software: old,
                image: Some("hvm-cloudx-aws-102722".into()),
                state: "up".into(),
                tunnels_up: true,
                expect_software: Some(new),
                expect_image: None,
            })
            .collect(),
        skipped: Vec::new(),
        confirmation: Some("100000".into()),
        dry_run: None,
        rollout: None,
    };
    let after = GatewayAfter {
        software: new,
        image: Some("hvm-cloudx-aws-102722".into()),
        state: "up".into(),
        tunnels_up: true,
    };
    let verdicts = names
        .iter()
        .rev()
        .map(|name| VerdictRecord::pass(name.clone()).with_after(Some(after.clone())))
        .collect();
    journal
        .append(&Record::new(id.clone(), at, intent))
        .expect("appends");
    journal
        .append(&Record::new(
            id.clone(),
            at,
            Outcome::from_verdicts("done", verdicts),
        ))
        .expect("appends");
    let path = journal.path().to_owned();
    (dir, path, id)
}

fn bench_report(c: &mut Criterion) {
    let (_dir, path, id) = journal();
    let mut group = c.benchmark_group("report");
    group.sample_size(10);
    group.bench_function("read-story/100k", |b| {
        b.iter(|| black_box(change_story(&path, &id).expect("reads")));
    });
    let (story, _) = change_story(&path, &id).expect("reads");
    let story: ChangeStory = story.expect("found");
    group.bench_function("build/100k", |b| {
        b.iter(|| black_box(report::build::change_record(&story)));
    });
    let record = report::build::change_record(&story);
    group.bench_function("markdown/100k", |b| {
        b.iter(|| black_box(report::markdown::render(&record)));
    });
    group.bench_function("html/100k", |b| {
        b.iter(|| black_box(report::html::render(&record)));
    });
    group.bench_function("json/100k", |b| {
        b.iter(|| black_box(report::json::render(&record)));
    });
    group.finish();
}

criterion_group!(benches, bench_report);
criterion_main!(benches);
