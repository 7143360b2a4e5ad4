//! Benchmarks of the planner on a generated 100,000-gateway fleet: loading the snapshot JSON,
//! and the dry-run check of each operation over every gateway.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark whose setup fails has nothing to measure, so it stops"
)]

use std::hint::black_box;

use avx_upgrade::catalog::Catalog;
use avx_upgrade::plan::{Request, Selection, check, plan_path};
use avx_upgrade::sim::fleet::{FleetSpec, generate};
use avx_upgrade::snapshot::Snapshot;
use criterion::{Criterion, criterion_group, criterion_main};
use jiff::Timestamp;

const GATEWAYS: usize = 100_000;

fn fixtures() -> (Catalog, Snapshot) {
    let catalog = Catalog::builtin().expect("built-in catalog");
    let spec = FleetSpec {
        gateways: GATEWAYS,
        last_backup: Some("2026-11-23T00:00:00Z".parse().expect("timestamp")),
        ..FleetSpec::default()
    };
    let snapshot = generate(&spec, &catalog).expect("generated fleet");
    (catalog, snapshot)
}

fn bench_check(c: &mut Criterion) {
    let (catalog, snapshot) = fixtures();
    let now: Timestamp = "2026-11-23T12:00:00Z".parse().expect("timestamp");
    let requests = [
        (
            "check/platform-upgrade/100k",
            Request::PlatformUpgrade { target: None },
        ),
        (
            "check/software-upgrade-all/100k",
            Request::SoftwareUpgrade {
                gateways: Selection::All,
                target: None,
            },
        ),
        (
            "check/software-rollback-all/100k",
            Request::SoftwareRollback {
                gateways: Selection::All,
                target: None,
            },
        ),
        (
            "check/image-upgrade-all/100k",
            Request::ImageUpgrade {
                gateways: Selection::All,
            },
        ),
    ];
    for (name, request) in requests {
        c.bench_function(name, |b| {
            b.iter(|| {
                check(
                    black_box(&snapshot),
                    black_box(&catalog),
                    black_box(&request),
                    now,
                )
            })
        });
    }
    let current = snapshot.controller.current_version;
    c.bench_function("plan/path-to-latest", |b| {
        b.iter(|| {
            plan_path(
                black_box(current),
                Some("7.2".parse().expect("target")),
                black_box(&catalog),
            )
        })
    });
}

fn bench_load(c: &mut Criterion) {
    let (_, snapshot) = fixtures();
    let json = snapshot.to_json().expect("serialises");
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("snapshot-parse/100k", |b| {
        b.iter(|| Snapshot::parse("bench.json", black_box(json.as_bytes())).expect("parses"))
    });
    group.finish();
}

criterion_group!(benches, bench_check, bench_load);
criterion_main!(benches);
