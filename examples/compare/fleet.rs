//! The rows all three programs open: a generated fleet written once as a snapshot (for
//! `avx-upgrade sim --state`) and as a CSV of the console's columns (for the viewers), and
//! what a screen of them looks like (which lines are data rows, which names match the query).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

use avx_upgrade::catalog::Catalog;
use avx_upgrade::sim::fleet::{FleetSpec, generate};
use color_eyre::eyre::{Result, WrapErr, eyre};
use serde_json::Value;

/// The console's columns, in the CSV the viewers open.
const COLUMNS: [&str; 9] = [
    "name",
    "state",
    "software_version",
    "cloud",
    "region",
    "gw_type",
    "role",
    "account",
    "image_version",
];

/// Viewers cut long names (`dev-fra-spoke-paym…`): a data row is a line holding a word that
/// starts like a gateway name, this long.
const NAME_PREFIX: usize = 16;

/// The fleet's gateway names, and what the filter query matches.
pub struct Fleet {
    pub total: usize,
    prefixes: HashSet<String>,
    query: String,
    pub matching: usize,
}

/// Generates the fleet `sim --gateways N --seed S` serves and writes it as `snapshot` (JSON)
/// and `csv`.
pub fn write(gateways: usize, seed: u64, snapshot: &Path, csv: &Path) -> Result<Vec<String>> {
    let catalog = Catalog::builtin().map_err(|error| eyre!("the built-in catalog: {error}"))?;
    let mut spec = FleetSpec::mid_rollout(&catalog, gateways, seed);
    spec.last_backup = Some(jiff::Timestamp::now() - jiff::SignedDuration::from_hours(3));
    let fleet = generate(&spec, &catalog).map_err(|error| eyre!("generating: {error}"))?;
    let json = fleet.to_json().wrap_err("writing the snapshot as JSON")?;
    std::fs::write(snapshot, &json).wrap_err("writing the snapshot file")?;
    let rows = csv_rows(&json)?;
    std::fs::write(csv, rows.text).wrap_err("writing the CSV file")?;
    Ok(rows.names)
}

struct Rows {
    text: String,
    names: Vec<String>,
}

/// The snapshot's gateways as CSV, read back from its JSON as any client would.
fn csv_rows(json: &str) -> Result<Rows> {
    let snapshot: Value = serde_json::from_str(json).wrap_err("reading the snapshot back")?;
    let gateways = snapshot["gateways"]
        .as_array()
        .ok_or_else(|| eyre!("the snapshot has no gateways list"))?;
    let mut text = COLUMNS.join(",");
    text.push('\n');
    let mut names = Vec::with_capacity(gateways.len());
    for gateway in gateways {
        let cells: Vec<String> = COLUMNS
            .iter()
            .map(|column| cell(&gateway[*column]))
            .collect();
        let _ = writeln!(text, "{}", cells.join(","));
        names.push(gateway["name"].as_str().unwrap_or_default().to_owned());
    }
    Ok(Rows { text, names })
}

/// One CSV cell: quoted when it holds a comma, a quote or a line break.
fn cell(value: &Value) -> String {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

impl Fleet {
    pub fn new(names: &[String], query: &str) -> Fleet {
        let query = query.to_lowercase();
        Fleet {
            total: names.len(),
            prefixes: names.iter().filter_map(|name| prefix(name)).collect(),
            matching: names
                .iter()
                .filter(|name| name.to_lowercase().contains(&query))
                .count(),
            query,
        }
    }

    /// The gateway name (or its visible start) of every data row on `screen`.
    pub fn row_names<'a>(&self, screen: &'a str) -> Vec<&'a str> {
        screen
            .lines()
            .filter_map(|line| self.row_name(line))
            .collect()
    }

    fn row_name<'a>(&self, line: &'a str) -> Option<&'a str> {
        line.split(|c: char| c.is_whitespace() || "│┃|".contains(c))
            .find(|word| prefix(word).is_some_and(|start| self.prefixes.contains(&start)))
    }

    /// At least one data row on screen.
    pub fn has_rows(&self, screen: &str) -> bool {
        !self.row_names(screen).is_empty()
    }

    /// Data rows on screen, every one a match of the query (names shown whole).
    pub fn only_matches(&self, screen: &str) -> bool {
        let names = self.row_names(screen);
        !names.is_empty()
            && names
                .iter()
                .all(|name| name.to_lowercase().contains(&self.query))
    }
}

fn prefix(name: &str) -> Option<String> {
    let start: String = name.chars().take(NAME_PREFIX).collect();
    (start.chars().count() == NAME_PREFIX).then_some(start)
}
