//! Benchmarks of the console's own work at 100,000 gateways (the simulator's `mid_rollout`
//! fleet, no live update status), on an `App` built as the console builds it after its first
//! refresh:
//!
//! - `frame/gateways-200x60`, `frame/platform-200x60`: one `terminal.draw(ui::draw)` of a
//!   window into a 200×60 `TestBackend` (one terminal, reused). Target < 2 ms.
//! - `filter/keystroke`: one key typed in the `/` prompt through `update` (alternately `t`
//!   and Backspace after "us-eas", so every key re-filters); `filter/type-us-east-per-key`:
//!   typing "us-east" from an empty prompt and erasing it, per key; `filter/predicate`:
//!   `set_filter("cloud:aws type:transit")`, alternating the order of its two terms so every
//!   call parses and re-filters. Target < 10 ms per keystroke.
//! - `sort/<column>`: the `s` press (`cycle_sort`) that sorts by that column, from the order
//!   of the column before it in the cycle (the other presses of the cycle run untimed).
//!   Target < 50 ms.
//! - `refresh/replace-100k`: `fleet.replace` with a fresh snapshot (cloned outside the timing;
//!   dropping the previous snapshot is inside it), unsorted and sorted by name.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark whose setup fails has nothing to measure, so it stops"
)]

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use avx_upgrade::catalog::Catalog;
use avx_upgrade::sim::fleet::{FleetSpec, generate};
use avx_upgrade::snapshot::Snapshot;
use avx_upgrade::tui::fleet::SortKey;
use avx_upgrade::tui::keymap::Keymap;
use avx_upgrade::tui::message::Msg;
use avx_upgrade::tui::state::{App, Window};
use avx_upgrade::tui::theme::Theme;
use avx_upgrade::tui::ui;
use avx_upgrade::tui::update::{revalidate_target, update};
use criterion::{BatchSize, Criterion, SamplingMode, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use strum::IntoEnumIterator;

const GATEWAYS: usize = 100_000;

/// The catalog and the fleet, generated once for every group.
fn fixtures() -> &'static (Catalog, Snapshot) {
    static FIXTURES: OnceLock<(Catalog, Snapshot)> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let catalog = Catalog::builtin().expect("built-in catalog");
        let mut spec = FleetSpec::mid_rollout(&catalog, GATEWAYS, 7);
        spec.last_backup = Some("2026-11-23T00:00:00Z".parse().expect("timestamp"));
        let snapshot = generate(&spec, &catalog).expect("generated fleet");
        (catalog, snapshot)
    })
}

/// The console after its first refresh, showing `window`.
fn console(window: Window) -> App {
    let (catalog, snapshot) = fixtures();
    let mut app = App::new(
        "https://controller.bench".into(),
        "admin".into(),
        false,
        Keymap::default(),
        Timestamp::now(),
    );
    app.fleet.replace(snapshot.clone(), vec![]);
    app.catalog = Some(catalog.clone());
    app.window = window;
    revalidate_target(&mut app);
    app
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn bench_frame(c: &mut Criterion) {
    let mut app = console(Window::Gateways);
    let theme = Theme::colored();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    let mut group = c.benchmark_group("frame");
    group.bench_function("gateways-200x60", |b| {
        b.iter(|| {
            terminal
                .draw(|frame| ui::draw(frame, black_box(&app), &theme))
                .expect("draws");
        })
    });
    app.window = Window::Platform;
    group.bench_function("platform-200x60", |b| {
        b.iter(|| {
            terminal
                .draw(|frame| ui::draw(frame, black_box(&app), &theme))
                .expect("draws");
        })
    });
    group.finish();
}

fn bench_filter(c: &mut Criterion) {
    let mut app = console(Window::Gateways);
    let mut group = c.benchmark_group("filter");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));

    update(&mut app, key(KeyCode::Char('/')));
    assert!(app.prompt().is_some(), "/ opens the filter prompt");
    for ch in "us-eas".chars() {
        update(&mut app, key(KeyCode::Char(ch)));
    }
    let mut typed = false;
    group.bench_function("keystroke", |b| {
        b.iter(|| {
            let code = if typed {
                KeyCode::Backspace
            } else {
                KeyCode::Char('t')
            };
            typed = !typed;
            black_box(update(&mut app, key(code)))
        })
    });
    assert_eq!(app.query_error, None);
    if typed {
        update(&mut app, key(KeyCode::Backspace));
    }
    for _ in "us-eas".chars() {
        update(&mut app, key(KeyCode::Backspace));
    }
    assert!(app.fleet.query().is_empty(), "the prompt is empty again");

    const WORD: &str = "us-east";
    let keys = 2 * WORD.len() as u32;
    group.bench_function("type-us-east-per-key", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                for ch in WORD.chars() {
                    black_box(update(&mut app, key(KeyCode::Char(ch))));
                }
                for _ in WORD.chars() {
                    black_box(update(&mut app, key(KeyCode::Backspace)));
                }
            }
            start.elapsed() / keys
        })
    });
    update(&mut app, key(KeyCode::Esc));

    let queries = ["cloud:aws type:transit", "type:transit cloud:aws"];
    let mut which = 0;
    group.bench_function("predicate", |b| {
        b.iter(|| {
            which ^= 1;
            app.fleet.set_filter(queries[which]).expect("query parses");
            black_box(app.fleet.shown_len())
        })
    });
    group.finish();
}

/// The column the next `s` press sorts by.
fn after(sort: Option<(SortKey, bool)>) -> SortKey {
    sort.map_or(SortKey::Name, |(key, _)| key.next())
}

fn bench_sort(c: &mut Criterion) {
    let mut app = console(Window::Gateways);
    let mut group = c.benchmark_group("sort");
    // Each iteration also runs the other eight presses of the cycle, untimed: one iteration a
    // sample keeps the group short.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(1));
    for column in SortKey::iter() {
        let name = column.label().replace(' ', "-");
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    while after(app.fleet.sort()) != column {
                        app.fleet.cycle_sort();
                    }
                    let start = Instant::now();
                    app.fleet.cycle_sort();
                    timed += start.elapsed();
                    assert_eq!(app.fleet.sort(), Some((column, false)));
                }
                timed
            })
        });
    }
    group.finish();
}

fn bench_refresh(c: &mut Criterion) {
    let (_, snapshot) = fixtures();
    let mut app = console(Window::Gateways);
    let mut group = c.benchmark_group("refresh");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(1));
    group.bench_function("replace-100k", |b| {
        b.iter_batched(
            || snapshot.clone(),
            |fresh| app.fleet.replace(fresh, vec![]),
            BatchSize::PerIteration,
        )
    });
    app.fleet.cycle_sort();
    assert_eq!(app.fleet.sort(), Some((SortKey::Name, false)));
    group.bench_function("replace-100k-sorted-by-name", |b| {
        b.iter_batched(
            || snapshot.clone(),
            |fresh| app.fleet.replace(fresh, vec![]),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_frame,
    bench_filter,
    bench_sort,
    bench_refresh
);
criterion_main!(benches);
