//! Measures the console side by side with two terminal table viewers, csvlens and VisiData,
//! on the same gateways (issue 16): each opens them in a 200×60 tmux pane, and the median of
//! several runs of each figure goes into one Markdown table with avx-upgrade's ratios.
//!
//! `cargo build --release && cargo run --release --example compare -- --gateways 100000 --runs 5`
//!
//! The console reads the fleet from `avx-upgrade sim --state` over loopback HTTP; the viewers
//! read the same rows as a CSV. Needs tmux; a viewer that is not installed is skipped.
//! Then the console alone upgrades 100 gateways of the demo, and the bytes it writes over a
//! minute are counted (`--upgrade-seconds 0` skips it).

mod fleet;
mod measure;
mod process;
mod programs;
mod screen;
mod sim;
mod table;
mod tmux;
mod upgrade;

use std::path::{Path, PathBuf};

use clap::Parser;
use color_eyre::eyre::{Result, WrapErr, bail};

use crate::fleet::Fleet;
use crate::programs::{Kind, Program};
use crate::sim::{PASSWORD_VARIABLE, Sim};
use crate::table::{Column, Figures};

#[derive(Parser)]
#[command(about = "Time avx-upgrade, csvlens and VisiData on the same gateways in tmux")]
struct Args {
    /// How many gateways to generate, HA secondaries included.
    #[arg(long, default_value_t = 100_000)]
    gateways: usize,
    /// Runs of each program; the table shows the medians.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// The fleet's seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The filter typed in each program: a gateway-name fragment, plain letters, digits and `-`
    /// (the viewers read it as a regex).
    #[arg(long, default_value = "payments-12")]
    query: String,
    /// The avx-upgrade binary (default: next to this example, target/release/avx-upgrade).
    #[arg(long)]
    binary: Option<PathBuf>,
    /// How long to count the bytes the console writes while gateways upgrade; 0 skips it.
    #[arg(long, default_value_t = 60)]
    upgrade_seconds: u64,
    /// How many gateways upgrade while the bytes are counted.
    #[arg(long, default_value_t = 100)]
    upgrading: usize,
}

fn main() -> Result<()> {
    color_eyre::install()?;
    let args = Args::parse();
    let binary = console_binary(args.binary.as_deref())?;
    let scratch = tempfile::tempdir().wrap_err("creating a scratch directory")?;
    let snapshot = scratch.path().join("fleet.json");
    let csv = scratch.path().join("fleet.csv");
    eprintln!(
        "generating {} gateways (seed {})…",
        args.gateways, args.seed
    );
    let names = fleet::write(args.gateways, args.seed, &snapshot, &csv)?;
    let fleet = Fleet::new(&names, &args.query);
    drop(names);
    report_files(&fleet, &args.query, &csv);
    let password = format!("compare-{}", std::process::id());
    let sim = Sim::start(&binary, &snapshot, &password)?;
    eprintln!("simulator on {}", sim.url);
    let (programs, missing) = programs::find(&binary, &csv);
    missing.iter().for_each(|line| println!("{line}"));
    let tmux_config = tmux::write_config(scratch.path())?;
    let columns = measure_all(
        &programs,
        &args,
        &fleet,
        &sim,
        &password,
        &tmux_config,
        scratch.path(),
    )?;
    println!("{}", table::render(&columns));
    println!("{}", ratios_line(&columns));
    drop(sim);
    if args.upgrade_seconds > 0 {
        let window = std::time::Duration::from_secs(args.upgrade_seconds);
        eprintln!("upgrading {} gateways of the demo…", args.upgrading);
        let written = upgrade::measure(
            &binary,
            args.upgrading,
            window,
            &tmux_config,
            scratch.path(),
        )?;
        println!(
            "\nWhile {} gateways upgrade: {} bytes written in {} s = {:.0} B/s (still running at the end: {}).",
            written.gateways,
            written.bytes,
            written.window.as_secs(),
            written.per_second(),
            if written.running_at_end { "yes" } else { "no" }
        );
    }
    Ok(())
}

/// The console binary: given, or the release build next to this example.
fn console_binary(given: Option<&Path>) -> Result<PathBuf> {
    let path = match given {
        Some(path) => path.to_owned(),
        None => std::env::current_exe()?
            .parent()
            .and_then(Path::parent)
            .map(|dir| dir.join("avx-upgrade"))
            .unwrap_or_default(),
    };
    if !path.is_file() {
        bail!(
            "no avx-upgrade binary at {}: run `cargo build --release` first, or pass --binary",
            path.display()
        );
    }
    Ok(path)
}

fn report_files(fleet: &Fleet, query: &str, csv: &Path) {
    let size = std::fs::metadata(csv).map(|meta| meta.len()).unwrap_or(0);
    eprintln!(
        "{} gateways, CSV {:.1} MB; the filter {query:?} matches {} of them",
        fleet.total,
        size as f64 / 1e6,
        fleet.matching
    );
}

/// Every program once per round, `runs` rounds, so a noisy moment hits all three alike.
fn measure_all(
    programs: &[Program],
    args: &Args,
    fleet: &Fleet,
    sim: &Sim,
    password: &str,
    tmux_config: &Path,
    scratch: &Path,
) -> Result<Vec<Column>> {
    let mut columns: Vec<Column> = programs
        .iter()
        .map(|program| Column {
            label: program.label.clone(),
            runs: Vec::new(),
        })
        .collect();
    for round in 1..=args.runs {
        for (program, column) in programs.iter().zip(columns.iter_mut()) {
            let run_dir = scratch.join(format!("run-{round}-{:?}", program.kind));
            std::fs::create_dir_all(&run_dir)?;
            let program = with_run_env(program, sim, password, &run_dir)?;
            let setup = measure::Setup {
                fleet,
                query: &args.query,
                tmux_config,
                scratch: &run_dir,
            };
            match measure::run(&program, &setup) {
                Ok(figures) => {
                    eprintln!(
                        "run {round}/{} {}: {}",
                        args.runs,
                        program.label,
                        summary(&figures)
                    );
                    column.runs.push(figures);
                }
                Err(error) => eprintln!(
                    "run {round}/{} {}: failed: {error:#}",
                    args.runs, program.label
                ),
            }
        }
    }
    Ok(columns)
}

/// The console gets the simulator's URL, the password and empty state and config
/// directories of its own for each run; the viewers run as they are.
fn with_run_env(program: &Program, sim: &Sim, password: &str, run_dir: &Path) -> Result<Program> {
    let mut args = program.args.clone();
    let mut env = program.env.clone();
    if program.kind == Kind::Console {
        let state = run_dir.join("state");
        let config = run_dir.join("config");
        std::fs::create_dir_all(&state)?;
        std::fs::create_dir_all(&config)?;
        args = vec![
            "--controller".into(),
            sim.url.clone(),
            "--user".into(),
            "admin".into(),
            "--password-env".into(),
            PASSWORD_VARIABLE.into(),
        ];
        env = vec![
            (PASSWORD_VARIABLE.into(), password.into()),
            ("AVX_UPGRADE_STATE_DIR".into(), state.display().to_string()),
            (
                "AVX_UPGRADE_CONFIG_DIR".into(),
                config.display().to_string(),
            ),
        ];
    }
    Ok(Program {
        kind: program.kind,
        label: program.label.clone(),
        path: program.path.clone(),
        args,
        env,
    })
}

fn summary(figures: &Figures) -> String {
    format!(
        "first rows {} ms, total {} ms, filter rows {} ms, count {} ms, VmHWM {} MiB, idle {} B / {} ms CPU",
        figures.first_rows.as_millis(),
        figures.total_shown.as_millis(),
        figures.filter_rows.as_millis(),
        figures.filter_count.as_millis(),
        figures.peak_rss_kib / 1024,
        figures.idle_bytes,
        figures.idle_cpu.as_millis()
    )
}

/// One line: avx-upgrade's time to its total and to its filtered count, and its memory, as
/// a ratio of each viewer's.
fn ratios_line(columns: &[Column]) -> String {
    let Some((ours, viewers)) = columns.split_first() else {
        return String::new();
    };
    let median_of = |column: &Column, value: fn(&Figures) -> f64| {
        table::median(column.runs.iter().map(value).collect())
    };
    let parts: Vec<String> = viewers
        .iter()
        .map(|viewer| {
            let ratio = |value: fn(&Figures) -> f64| {
                table::ratio(median_of(ours, value), median_of(viewer, value))
            };
            format!(
                "÷ {}: first rows {}, total {}, filter {}, RSS {}",
                viewer.label,
                ratio(|figures| figures.first_rows.as_secs_f64()),
                ratio(|figures| figures.total_shown.as_secs_f64()),
                ratio(|figures| figures.filter_count.as_secs_f64()),
                ratio(|figures| figures.peak_rss_kib as f64),
            )
        })
        .collect();
    format!("Ratios, avx-upgrade {}", parts.join("; "))
}
