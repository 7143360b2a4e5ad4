//! One run of one program: launch it in a 200×60 pane, time its first rows, its total, a
//! typed filter and its match count, then read its idle output, idle CPU and peak memory.

use std::path::Path;
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr};

use crate::fleet::Fleet;
use crate::process;
use crate::programs::{Kind, Program};
use crate::table::Figures;
use crate::tmux::{Launch, Pane};

/// How long any one thing may take to show up.
const DEADLINE: Duration = Duration::from_secs(60);
/// Let late work (statuses, redraws) finish before measuring idleness.
const SETTLE: Duration = Duration::from_secs(2);
/// The idle window the issue measures over.
const IDLE: Duration = Duration::from_secs(5);
/// The gap between two typed query characters, as a quick typist types.
const KEYSTROKE_GAP: Duration = Duration::from_millis(120);

/// What a run needs besides the program: the rows, the query and a scratch directory.
pub struct Setup<'a> {
    pub fleet: &'a Fleet,
    pub query: &'a str,
    pub tmux_config: &'a Path,
    pub scratch: &'a Path,
}

/// Measures one run of `program`.
pub fn run(program: &Program, setup: &Setup) -> Result<Figures> {
    let launch = Launch {
        program: &program.path,
        args: &program.args,
        env: &program.env,
        config: setup.tmux_config,
    };
    let started = Instant::now();
    let pane = Pane::launch(&setup.scratch.join("tmux.sock"), &launch)?;
    if !program.kind.launch_keys().is_empty() {
        pane.type_text(program.kind.launch_keys())?;
    }
    let fleet = setup.fleet;
    let first_rows = pane
        .wait_for(started, DEADLINE, |screen| fleet.has_rows(screen))
        .wrap_err("waiting for the first data rows")?;
    let total_shown = pane
        .wait_for(started, DEADLINE, |screen| {
            program.kind.total_shown(screen, fleet)
        })
        .wrap_err("waiting for the total count")?;
    let pid = pane.pid()?;
    std::thread::sleep(SETTLE);
    let idle = idle(&pane, pid, &setup.scratch.join("idle-output"))?;
    let (filter_rows, filter_count) = filter(&pane, program.kind, setup)?;
    Ok(Figures {
        first_rows,
        total_shown,
        filter_rows,
        filter_count,
        peak_rss_kib: process::peak_rss_kib(pid)?,
        idle_bytes: idle.bytes,
        idle_cpu: idle.cpu,
    })
}

struct Idle {
    bytes: u64,
    cpu: Duration,
}

/// The bytes the program writes to its terminal and the CPU it uses over `IDLE`, untouched.
fn idle(pane: &Pane, pid: u32, output: &Path) -> Result<Idle> {
    let _ = std::fs::remove_file(output);
    std::fs::write(output, b"").wrap_err("creating the output file")?;
    let cpu_before = process::cpu_time(pid)?;
    pane.pipe_output_to(output)?;
    std::thread::sleep(IDLE);
    pane.stop_pipe()?;
    let cpu = process::cpu_time(pid)?.saturating_sub(cpu_before);
    // `cat` may still be writing what it read last.
    std::thread::sleep(Duration::from_millis(100));
    let bytes = std::fs::metadata(output)
        .map(|meta| meta.len())
        .unwrap_or(0);
    Ok(Idle { bytes, cpu })
}

/// Opens the filter, types the query and times the last keystroke (for the viewers, the
/// Enter that applies it) to the matching rows and to their count. VisiData needs two steps:
/// `|` selects by regex, then `"` opens the selected rows; both waits are counted.
fn filter(pane: &Pane, kind: Kind, setup: &Setup) -> Result<(Duration, Duration)> {
    let fleet = setup.fleet;
    pane.type_text(kind.filter_key())?;
    std::thread::sleep(KEYSTROKE_GAP);
    let (head, last) = split_last(setup.query);
    for character in head.chars() {
        pane.type_text(&character.to_string())?;
        std::thread::sleep(KEYSTROKE_GAP);
    }
    if kind != Kind::Console {
        pane.type_text(last)?;
        std::thread::sleep(KEYSTROKE_GAP);
    }
    let pressed = Instant::now();
    match kind {
        Kind::Console => pane.type_text(last)?,
        Kind::Csvlens | Kind::VisiData => pane.press("Enter")?,
    }
    let (selecting, opened) = match kind {
        Kind::VisiData => open_selection(pane, pressed, fleet)?,
        Kind::Console | Kind::Csvlens => (Duration::ZERO, pressed),
    };
    let rows = pane
        .wait_for(opened, DEADLINE, |screen| kind.rows_shown(screen, fleet))
        .wrap_err("waiting for the matching rows")?;
    let count = pane
        .wait_for(opened, DEADLINE, |screen| {
            kind.match_count_shown(screen, fleet)
        })
        .wrap_err("waiting for the match count")?;
    Ok((selecting + rows, selecting + count))
}

/// VisiData: waits for the regex selection to be counted, then opens the selected rows
/// (`"`). Returns how long the selection took and when `"` was pressed.
fn open_selection(pane: &Pane, pressed: Instant, fleet: &Fleet) -> Result<(Duration, Instant)> {
    let selecting = pane
        .wait_for(pressed, DEADLINE, |screen| {
            Kind::VisiData.selection_counted(screen, fleet)
        })
        .wrap_err("waiting for VisiData's selection")?;
    let opened = Instant::now();
    pane.type_text("\"")?;
    Ok((selecting, opened))
}

/// The query without its last character, and that character.
fn split_last(query: &str) -> (&str, &str) {
    let at = query.char_indices().last().map_or(0, |(at, _)| at);
    query.split_at(at)
}
