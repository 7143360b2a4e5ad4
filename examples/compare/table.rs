//! The figures of one run, their medians over runs, and the one Markdown table with
//! avx-upgrade's ratio to each viewer.

use std::time::Duration;

/// What one run of one program measured.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    pub first_rows: Duration,
    pub total_shown: Duration,
    pub filter_rows: Duration,
    pub filter_count: Duration,
    pub peak_rss_kib: u64,
    pub idle_bytes: u64,
    pub idle_cpu: Duration,
}

/// A program's column: its name and the runs that finished.
pub struct Column {
    pub label: String,
    pub runs: Vec<Figures>,
}

/// One table row: its label, how to read a run's value, and how to print it.
struct Row {
    label: &'static str,
    value: fn(&Figures) -> f64,
    unit: Unit,
}

#[derive(Clone, Copy)]
enum Unit {
    Milliseconds,
    Mebibytes,
    Bytes,
}

const ROWS: [Row; 7] = [
    Row {
        label: "launch → first data rows on screen",
        value: |figures| millis(figures.first_rows),
        unit: Unit::Milliseconds,
    },
    Row {
        label: "launch → total count shown",
        value: |figures| millis(figures.total_shown),
        unit: Unit::Milliseconds,
    },
    Row {
        label: "last filter keystroke → only matching rows shown",
        value: |figures| millis(figures.filter_rows),
        unit: Unit::Milliseconds,
    },
    Row {
        label: "last filter keystroke → full match count shown",
        value: |figures| millis(figures.filter_count),
        unit: Unit::Milliseconds,
    },
    Row {
        label: "peak RSS (VmHWM)",
        value: |figures| figures.peak_rss_kib as f64 / 1024.0,
        unit: Unit::Mebibytes,
    },
    Row {
        label: "idle output bytes per 5 s",
        value: |figures| figures.idle_bytes as f64,
        unit: Unit::Bytes,
    },
    Row {
        label: "idle CPU per 5 s",
        value: |figures| millis(figures.idle_cpu),
        unit: Unit::Milliseconds,
    },
];

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        count if count % 2 == 1 => values.get(middle).copied(),
        _ => Some((values.get(middle - 1)? + values.get(middle)?) / 2.0),
    }
}

/// The Markdown table: one row per figure, one column per program (medians), then
/// avx-upgrade ÷ each viewer. The first column is avx-upgrade.
pub fn render(columns: &[Column]) -> String {
    let mut lines = vec![header(columns), separator(columns)];
    lines.extend(ROWS.iter().map(|row| body_row(row, columns)));
    lines.join("\n")
}

fn header(columns: &[Column]) -> String {
    let mut cells = vec![String::from("figure (median)")];
    cells.extend(
        columns
            .iter()
            .map(|column| format!("{} (runs: {})", column.label, column.runs.len())),
    );
    cells.extend(
        columns
            .iter()
            .skip(1)
            .map(|column| format!("avx-upgrade ÷ {}", column.label)),
    );
    format!("| {} |", cells.join(" | "))
}

fn separator(columns: &[Column]) -> String {
    let count = 1 + columns.len() + columns.len().saturating_sub(1);
    let mut cells = vec!["---"];
    cells.extend(std::iter::repeat_n("---:", count - 1));
    format!("|{}|", cells.join("|"))
}

fn body_row(row: &Row, columns: &[Column]) -> String {
    let medians: Vec<Option<f64>> = columns
        .iter()
        .map(|column| median(column.runs.iter().map(row.value).collect()))
        .collect();
    let mut cells = vec![row.label.to_owned()];
    cells.extend(medians.iter().map(|value| show(*value, row.unit)));
    let ours = medians.first().copied().flatten();
    cells.extend(medians.iter().skip(1).map(|theirs| ratio(ours, *theirs)));
    format!("| {} |", cells.join(" | "))
}

fn show(value: Option<f64>, unit: Unit) -> String {
    match (value, unit) {
        (None, _) => String::from("—"),
        (Some(value), Unit::Milliseconds) => format!("{value:.0} ms"),
        (Some(value), Unit::Mebibytes) => format!("{value:.1} MiB"),
        (Some(value), Unit::Bytes) => format!("{value:.0} B"),
    }
}

/// `ours ÷ theirs`, e.g. `0.42×`; a dash when either is missing or theirs is zero.
pub fn ratio(ours: Option<f64>, theirs: Option<f64>) -> String {
    match (ours, theirs) {
        (Some(ours), Some(theirs)) if theirs > 0.0 => format!("{:.2}×", ours / theirs),
        _ => String::from("—"),
    }
}
