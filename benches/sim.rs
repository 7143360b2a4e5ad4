//! Benchmarks of the simulated controller at 100,000 gateways: building its state (generating
//! or loading the fleet, starting the server) and serving `list_vpcs_summary` for every gateway
//! over HTTP on loopback, raw (the whole body, and the time to its first bytes, which the
//! simulator sends while it writes the rest), decoded alone, and through the typed client; and a dry run of every one of the
//! 100,000 gateways as the console makes it (the planner over the whole selection, then the
//! requests under the client's size limit, sent at once, and their answers merged).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark whose setup fails has nothing to measure, so it stops"
)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use avx_upgrade::api::poll::PollSettings;
use avx_upgrade::api::records::FleetBuilder;
use avx_upgrade::api::stream::{self, ListAt};
use avx_upgrade::api::{Client, ClientSettings, TrustMode};
use avx_upgrade::catalog::Catalog;
use avx_upgrade::ops::{Event, Job, Prepared, Runner};
use avx_upgrade::plan::{Request, Selection, check};
use avx_upgrade::secret::Credentials;
use avx_upgrade::secret::Secret;
use avx_upgrade::sim::clock::Clock;
use avx_upgrade::sim::fleet::{FleetSpec, generate};
use avx_upgrade::sim::{self, DEFAULT_BODY_LIMIT, SimConfig};
use avx_upgrade::snapshot::Snapshot;
use criterion::{Criterion, criterion_group, criterion_main};

const GATEWAYS: usize = 100_000;

fn fleet(catalog: &Catalog) -> Snapshot {
    generate(&FleetSpec::mid_rollout(catalog, GATEWAYS, 7), catalog).expect("generated fleet")
}

fn config(snapshot: Snapshot, catalog: Catalog) -> SimConfig {
    SimConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        tls: false,
        snapshot,
        catalog,
        credentials: Credentials {
            user: "admin".into(),
            password: Secret::new("bench"),
        },
        speed: 1.0,
        clock: Clock::Wall,
        faults: Default::default(),
        session_ttl: Duration::from_secs(3600),
        seed: 7,
        require_access_key: false,
        body_limit: DEFAULT_BODY_LIMIT,
    }
}

/// A client of the benchmark's simulator.
fn client_settings(url: &str) -> ClientSettings {
    let credentials = Credentials {
        user: "admin".into(),
        password: Secret::new("bench"),
    };
    ClientSettings::new(url.to_owned(), credentials, TrustMode::System)
}

fn bench_load(c: &mut Criterion) {
    let catalog = Catalog::builtin().expect("catalog");
    let json = fleet(&catalog).to_json().expect("serialises");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut group = c.benchmark_group("sim-load");
    group.sample_size(10);
    group.bench_function("generate-fleet/100k", |b| {
        b.iter(|| fleet(black_box(&catalog)))
    });
    group.bench_function("snapshot-file-to-serving/100k", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let snapshot = Snapshot::parse("bench.json", json.as_bytes()).expect("parses");
                let running = sim::start(config(snapshot, catalog.clone()))
                    .await
                    .expect("starts");
                running.stop().await;
            })
        })
    });
    group.finish();
}

fn bench_serve(c: &mut Criterion) {
    let catalog = Catalog::builtin().expect("catalog");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (running, cid, client) = runtime.block_on(async {
        let running = sim::start(config(fleet(&catalog), catalog.clone()))
            .await
            .expect("starts");
        let client = reqwest::Client::new();
        let login: serde_json::Value = client
            .post(format!("{}/v2/api", running.url))
            .form(&[
                ("action", "login"),
                ("username", "admin"),
                ("password", "bench"),
            ])
            .send()
            .await
            .expect("login answered")
            .json()
            .await
            .expect("login JSON");
        let cid = login["CID"].as_str().expect("a CID").to_owned();
        (running, cid, client)
    });
    let url = format!("{}/v2/api?action=list_vpcs_summary&CID={cid}", running.url);
    let mut group = c.benchmark_group("sim-serve");
    group.sample_size(10);
    group.bench_function("list_vpcs_summary/100k", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let body = client
                    .get(&url)
                    .send()
                    .await
                    .expect("answered")
                    .bytes()
                    .await
                    .expect("body");
                assert!(body.len() > 10_000_000, "{} bytes", body.len());
            })
        })
    });
    group.bench_function("list_vpcs_summary-first-byte/100k", |b| {
        b.iter_custom(|iterations| {
            runtime.block_on(async {
                let mut until_first_bytes = Duration::ZERO;
                for _ in 0..iterations {
                    let asked = Instant::now();
                    let mut response = client.get(&url).send().await.expect("answered");
                    let first = response.chunk().await.expect("reads").expect("first bytes");
                    until_first_bytes += asked.elapsed();
                    black_box(first);
                    // Read the rest untimed, so the next request finds the simulator idle.
                    while response.chunk().await.expect("reads").is_some() {}
                }
                until_first_bytes
            })
        })
    });
    let body = runtime.block_on(async {
        let response = client.get(&url).send().await.expect("answered");
        response.bytes().await.expect("body")
    });
    group.bench_function("decode-list_vpcs_summary/100k", |b| {
        b.iter(|| runtime.block_on(decode(&body)))
    });
    let settings = client_settings(&running.url);
    let typed = Client::new(settings).expect("client");
    group.bench_function("client-gateways-typed/100k", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let fleet = typed.gateways().await.expect("gateways");
                assert_eq!(fleet.gateways.len(), GATEWAYS);
            })
        })
    });
    group.finish();
    runtime.block_on(running.stop());
}

/// The client's side alone: `body` decoded into gateways as it would arrive, in 64 KiB chunks.
async fn decode(body: &bytes::Bytes) {
    let parser = stream::parser(ListAt::Results, FleetBuilder::default());
    for start in (0..body.len()).step_by(64 * 1024) {
        let end = (start + 64 * 1024).min(body.len());
        let chunk = body.slice(start..end);
        parser
            .chunks
            .send(Ok(chunk))
            .await
            .expect("the parser reads");
    }
    drop(parser.chunks);
    let (head, builder) = parser.done.await.expect("the parser ends");
    assert_eq!(head.expect("decodes").ok, Some(true));
    assert_eq!(builder.finish().gateways.len(), GATEWAYS);
}

fn bench_dry_run(c: &mut Criterion) {
    let catalog = Catalog::builtin().expect("catalog");
    let snapshot = fleet(&catalog);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let running = runtime.block_on(async {
        sim::start(config(snapshot.clone(), catalog.clone()))
            .await
            .expect("starts")
    });
    let settings = client_settings(&running.url);
    let client = Arc::new(Client::new(settings).expect("client"));
    runtime.block_on(client.login()).expect("login");
    let names: Vec<String> = snapshot
        .gateways()
        .iter()
        .map(|g| g.name.to_string())
        .collect();
    let request = Request::SoftwareUpgrade {
        gateways: Selection::Named(names),
        target: None,
    };
    let (sender, mut events) = tokio::sync::mpsc::unbounded_channel();
    let runner = Runner::new(Arc::clone(&client), sender, PollSettings::default(), None);
    let _inside = runtime.enter();
    let mut group = c.benchmark_group("dry-run");
    group.sample_size(10);
    group.bench_function("planner-then-controller/100k", |b| {
        b.iter(|| {
            let report =
                check(&snapshot, &catalog, &request, jiff::Timestamp::now()).expect("checked");
            black_box(report);
            let prepared = Prepared::new(&snapshot, &catalog, request.clone());
            runner.spawn(Job::DryRun(Box::new(prepared)));
            runtime.block_on(async {
                match events.recv().await {
                    Some(Event::DryRunDone { result, .. }) => {
                        result.expect("the dry run answers");
                    }
                    other => panic!("expected the dry run, got {other:?}"),
                }
            })
        })
    });
    group.finish();
    runtime.block_on(running.stop());
}

criterion_group!(benches, bench_load, bench_serve, bench_dry_run);
criterion_main!(benches);
