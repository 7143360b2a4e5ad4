//! The three programs measured: where each is installed, how it is started, and how each
//! shows its total, its filter prompt and its filtered rows on screen.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fleet::Fleet;
use crate::screen::shows_count;

/// Which program, for what it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Console,
    Csvlens,
    VisiData,
}

/// A program to launch in a pane.
pub struct Program {
    pub kind: Kind,
    pub label: String,
    pub path: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

impl Kind {
    /// Typed right after launch, before the first frame: the console opens its gateway
    /// table (window 2); the viewers open on their table.
    pub fn launch_keys(self) -> &'static str {
        match self {
            Kind::Console => "2",
            Kind::Csvlens | Kind::VisiData => "",
        }
    }

    /// The key that opens the filter prompt.
    pub fn filter_key(self) -> &'static str {
        match self {
            Kind::Console => "/",
            Kind::Csvlens => "&",
            Kind::VisiData => "|",
        }
    }

    /// The whole fleet loaded and its count on screen.
    pub fn total_shown(self, screen: &str, fleet: &Fleet) -> bool {
        let total = fleet.total.to_string();
        match self {
            Kind::Console => shows_count(screen, &format!("{total}/{total}"), " shown"),
            Kind::Csvlens => csvlens_total(screen, &total),
            Kind::VisiData => shows_count(screen, &total, " rows"),
        }
    }

    /// Only rows matching the query on screen.
    pub fn rows_shown(self, screen: &str, fleet: &Fleet) -> bool {
        match self {
            Kind::Console | Kind::Csvlens => fleet.only_matches(screen),
            // VisiData cuts the names short: the rows shown are those of the selection's sheet.
            Kind::VisiData => {
                last_line(screen).contains(VISIDATA_SELECTION_SHEET) && fleet.has_rows(screen)
            }
        }
    }

    /// The number of matching rows on screen, as the program counts them.
    pub fn match_count_shown(self, screen: &str, fleet: &Fleet) -> bool {
        let matching = fleet.matching.to_string();
        let total = fleet.total.to_string();
        match self {
            Kind::Console => shows_count(screen, &format!("{matching}/{total}"), " shown"),
            Kind::Csvlens => csvlens_filter_count(screen, &matching),
            Kind::VisiData => {
                last_line(screen).contains(VISIDATA_SELECTION_SHEET)
                    && shows_count(last_line(screen), &matching, " rows")
            }
        }
    }

    /// VisiData only: its regex selection is done and counted, in its status line
    /// (`1000 rows  •170 [1/1]`) or its notice (`selected 170 rows`).
    pub fn selection_counted(self, screen: &str, fleet: &Fleet) -> bool {
        let matching = fleet.matching;
        screen.contains(&format!("selected {matching} rows"))
            || last_line(screen).contains(&format!("•{matching} "))
    }
}

/// The sheet VisiData opens on the selected rows (`"`).
const VISIDATA_SELECTION_SHEET: &str = "_selectedref";

fn last_line(screen: &str) -> &str {
    screen.trim_end().lines().last().unwrap_or_default()
}

/// csvlens's status line: `[Row 1/100000, Col 1/9]` once every row is read.
fn csvlens_total(screen: &str, total: &str) -> bool {
    screen.contains(&format!("Row 1/{total},"))
}

/// csvlens's status line while filtering: `[Filter "payments-12": 1/170]`.
fn csvlens_filter_count(screen: &str, matching: &str) -> bool {
    let count = format!("/{matching}]");
    screen
        .lines()
        .filter_map(|line| line.split_once("[Filter "))
        .any(|(_, filter)| filter.contains(&count))
}

/// The three programs, or why a viewer is missing (with how to install it).
pub fn find(console: &Path, csv: &Path) -> (Vec<Program>, Vec<String>) {
    let mut found = vec![Program {
        kind: Kind::Console,
        label: String::from("avx-upgrade"),
        path: console.to_owned(),
        args: Vec::new(),
        env: Vec::new(),
    }];
    let mut missing = Vec::new();
    let csv_argument = vec![csv.display().to_string()];
    match installed("csvlens") {
        Some(path) => found.push(Program {
            kind: Kind::Csvlens,
            label: version_label(&path, "csvlens"),
            path,
            args: csv_argument.clone(),
            env: Vec::new(),
        }),
        None => missing.push(String::from(
            "skipped csvlens: not installed (cargo install csvlens --locked --version 0.15.1)",
        )),
    }
    match installed("vd") {
        Some(path) => found.push(Program {
            kind: Kind::VisiData,
            label: version_label(&path, "VisiData"),
            path,
            args: csv_argument,
            env: Vec::new(),
        }),
        None => missing.push(String::from(
            "skipped VisiData: not installed (pip install visidata)",
        )),
    }
    (found, missing)
}

/// The program's own file on PATH (or in ~/.cargo/bin); a pyenv shim is resolved to the
/// script it runs, so the shim's start-up is not counted and the pane's pid is the program.
fn installed(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    let cargo_bin = std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo/bin"));
    let path = on_path
        .into_iter()
        .chain(cargo_bin)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())?;
    if path.to_string_lossy().contains("/shims/") {
        return pyenv_which(name).or(Some(path));
    }
    Some(path)
}

fn pyenv_which(name: &str) -> Option<PathBuf> {
    let output = Command::new("pyenv").args(["which", name]).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (output.status.success() && !text.is_empty()).then(|| PathBuf::from(text))
}

/// `csvlens 0.15.1`, `VisiData 3.4`: the name and the last word of `--version`.
fn version_label(path: &Path, name: &str) -> String {
    let version = Command::new(path)
        .arg("--version")
        .output()
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .and_then(|text| {
            text.split_whitespace()
                .last()
                .map(|word| word.trim_start_matches('v').to_owned())
        });
    match version {
        Some(version) => format!("{name} {version}"),
        None => name.to_owned(),
    }
}
