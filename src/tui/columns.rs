//! The gateway table's columns as the operator names them (`:cols name,cloud,role`, the column
//! chooser, `[console] columns` in the config file), and which of them a table of a given
//! width shows when the operator has not chosen. Pure: the table draws them (`ui::gateways`).

use std::fmt;

use strum::{EnumIter, EnumString, IntoEnumIterator, IntoStaticStr};

use crate::tui::fleet::SortKey;

/// One column of the gateway table. Its name (kebab-case, `target-image`) is what `:cols`,
/// `:sort` and the config file take.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, EnumString, IntoStaticStr,
)]
#[strum(serialize_all = "kebab-case", ascii_case_insensitive)]
pub enum ColumnId {
    Name,
    State,
    Status,
    Current,
    Target,
    Previous,
    Cloud,
    Region,
    Type,
    Role,
    Account,
    Vpc,
    Tunnels,
    Image,
    TargetImage,
    PrevImage,
    Kernel,
    Rollback,
    RollbackImage,
}

/// The order in which an idle table of any width gives columns room: at 80 columns the name,
/// state, current and target versions and the cloud fit.
const IDLE_PRIORITY: [ColumnId; 19] = [
    ColumnId::Name,
    ColumnId::State,
    ColumnId::Current,
    ColumnId::Target,
    ColumnId::Cloud,
    ColumnId::Status,
    ColumnId::Role,
    ColumnId::Type,
    ColumnId::Region,
    ColumnId::Account,
    ColumnId::Previous,
    ColumnId::Image,
    ColumnId::TargetImage,
    ColumnId::Vpc,
    ColumnId::Tunnels,
    ColumnId::Kernel,
    ColumnId::Rollback,
    ColumnId::RollbackImage,
    ColumnId::PrevImage,
];

impl ColumnId {
    /// The name `:cols` and the config file take.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The column's header.
    pub fn title(self) -> &'static str {
        match self {
            ColumnId::Name => "Gateway",
            ColumnId::State => "State",
            ColumnId::Status => "Update Status",
            ColumnId::Current => "Current",
            ColumnId::Target => "Target",
            ColumnId::Previous => "Previous",
            ColumnId::Cloud => "Cloud",
            ColumnId::Region => "Region",
            ColumnId::Type => "Type",
            ColumnId::Role => "Role",
            ColumnId::Account => "Account",
            ColumnId::Vpc => "VPC",
            ColumnId::Tunnels => "Tunnels",
            ColumnId::Image => "Image",
            ColumnId::TargetImage => "Target Image",
            ColumnId::PrevImage => "Prev Image",
            ColumnId::Kernel => "Kernel",
            ColumnId::Rollback => "Rollback",
            ColumnId::RollbackImage => "Rollback Image",
        }
    }

    /// What the column shows, for the column chooser.
    pub fn describe(self) -> &'static str {
        match self {
            ColumnId::Name => "gateway name",
            ColumnId::State => "gateway state (up, down, waiting, config_fail)",
            ColumnId::Status => "update status of the last operation, with progress",
            ColumnId::Current => "software version it runs",
            ColumnId::Target => "version an upgrade brings (= when there)",
            ColumnId::Previous => "software version it ran before",
            ColumnId::Cloud => "cloud",
            ColumnId::Region => "region",
            ColumnId::Type => "transit, spoke or standalone",
            ColumnId::Role => "primary or HA secondary",
            ColumnId::Account => "cloud account",
            ColumnId::Vpc => "VPC or VNet the gateway is in",
            ColumnId::Tunnels => "whether its tunnels are up",
            ColumnId::Image => "image it runs",
            ColumnId::TargetImage => "image an image upgrade brings",
            ColumnId::PrevImage => "image it ran before",
            ColumnId::Kernel => "kernel version",
            ColumnId::Rollback => "version a software rollback returns to",
            ColumnId::RollbackImage => "image a rollback returns to",
        }
    }

    /// The sort the column offers (`:sort` and `s`), if any.
    pub fn sort_key(self) -> Option<SortKey> {
        match self {
            ColumnId::Name => Some(SortKey::Name),
            ColumnId::State => Some(SortKey::State),
            ColumnId::Status => Some(SortKey::UpdateStatus),
            ColumnId::Current => Some(SortKey::Version),
            ColumnId::Cloud => Some(SortKey::Cloud),
            ColumnId::Region => Some(SortKey::Region),
            ColumnId::Type => Some(SortKey::Type),
            ColumnId::Role => Some(SortKey::Role),
            ColumnId::Account => Some(SortKey::Account),
            _ => None,
        }
    }

    /// Every column's name, for hints and completion.
    pub fn names() -> Vec<&'static str> {
        ColumnId::iter().map(ColumnId::name).collect()
    }

    /// Every column's header, in the table's own order.
    pub fn titles() -> Vec<&'static str> {
        ColumnId::iter().map(ColumnId::title).collect()
    }

    /// The names of the columns `:sort` takes.
    pub fn sortable_names() -> Vec<&'static str> {
        ColumnId::iter()
            .filter(|column| column.sort_key().is_some())
            .map(ColumnId::name)
            .collect()
    }
}

impl fmt::Display for ColumnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which columns the table shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ColumnChoice {
    /// As many as fit, by [`IDLE_PRIORITY`]; the update status early while an operation runs.
    #[default]
    Auto,
    /// The operator's columns, in their order.
    Chosen(Vec<ColumnId>),
}

impl ColumnChoice {
    /// The columns to try, in the order they get room: each is shown if it still fits.
    pub fn by_priority(&self, busy: bool) -> Vec<ColumnId> {
        match self {
            ColumnChoice::Chosen(columns) => columns.clone(),
            ColumnChoice::Auto => {
                let mut columns = IDLE_PRIORITY.to_vec();
                if busy {
                    columns.retain(|&column| column != ColumnId::Status);
                    columns.insert(2, ColumnId::Status);
                }
                columns
            }
        }
    }

    /// Whether `column` is among the chosen columns (every column may show with `Auto`).
    pub fn includes(&self, column: ColumnId) -> bool {
        match self {
            ColumnChoice::Auto => true,
            ColumnChoice::Chosen(columns) => columns.contains(&column),
        }
    }

    /// The choice as the config file keeps it: `None` for `Auto`.
    pub fn names(&self) -> Option<Vec<String>> {
        match self {
            ColumnChoice::Auto => None,
            ColumnChoice::Chosen(columns) => {
                Some(columns.iter().map(|c| c.name().to_owned()).collect())
            }
        }
    }
}

/// The column chooser: every column with on or off, the chosen ones first in their order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chooser {
    pub rows: Vec<(ColumnId, bool)>,
    pub cursor: usize,
}

impl Chooser {
    /// A chooser showing `shown` (the columns on screen now) as on.
    pub fn new(shown: &[ColumnId]) -> Chooser {
        let mut rows: Vec<(ColumnId, bool)> = shown.iter().map(|&column| (column, true)).collect();
        rows.extend(
            ColumnId::iter()
                .filter(|column| !shown.contains(column))
                .map(|column| (column, false)),
        );
        Chooser { rows, cursor: 0 }
    }

    /// Turns the column under the cursor on or off.
    pub fn toggle(&mut self) {
        if let Some((_, on)) = self.rows.get_mut(self.cursor) {
            *on = !*on;
        }
    }

    pub fn move_cursor(&mut self, by: isize) {
        let last = self.rows.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(by).min(last);
    }

    /// The choice made, or why there is none (no column on).
    pub fn choice(&self) -> Result<ColumnChoice, String> {
        let columns: Vec<ColumnId> = self
            .rows
            .iter()
            .filter(|(_, on)| *on)
            .map(|(column, _)| *column)
            .collect();
        if columns.is_empty() {
            return Err(
                "turn at least one column on (space), or press a for as many as fit".into(),
            );
        }
        Ok(ColumnChoice::Chosen(columns))
    }
}

/// Reads a list of column names (`name,cloud role`: commas or spaces), or `auto` for the
/// defaults by width. Each column once; an unknown name is an error that lists the known ones.
pub fn parse_choice(text: &str) -> Result<ColumnChoice, String> {
    let words: Vec<&str> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|word| !word.is_empty())
        .collect();
    if words.is_empty() {
        return Err(format!(
            "name the columns, e.g. :cols name,cloud,role,current,target, or :cols auto; columns: {}",
            ColumnId::names().join(", ")
        ));
    }
    if let [word] = words.as_slice()
        && word.eq_ignore_ascii_case("auto")
    {
        return Ok(ColumnChoice::Auto);
    }
    let mut columns = Vec::new();
    for word in words {
        let column = parse_column(word)?;
        if !columns.contains(&column) {
            columns.push(column);
        }
    }
    Ok(ColumnChoice::Chosen(columns))
}

/// One column by name.
pub fn parse_column(word: &str) -> Result<ColumnId, String> {
    word.parse().map_err(|_| {
        format!(
            "no column is called \"{}\": use {}",
            crate::quote::clipped(word),
            ColumnId::names().join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_is_in_the_priority_list_once() {
        for column in ColumnId::iter() {
            let times = IDLE_PRIORITY.iter().filter(|&&c| c == column).count();
            assert_eq!(times, 1, "{column}");
        }
    }

    #[test]
    fn a_list_of_names_reads_in_its_order_each_once() {
        let choice = parse_choice("name, Cloud role,current,target,cloud").expect("columns");
        assert_eq!(
            choice,
            ColumnChoice::Chosen(vec![
                ColumnId::Name,
                ColumnId::Cloud,
                ColumnId::Role,
                ColumnId::Current,
                ColumnId::Target,
            ])
        );
        assert_eq!(parse_choice("auto"), Ok(ColumnChoice::Auto));
        assert_eq!(
            parse_choice("target-image").expect("one"),
            ColumnChoice::Chosen(vec![ColumnId::TargetImage])
        );
    }

    #[test]
    fn an_unknown_or_missing_name_says_which_exist() {
        let error = parse_choice("name,colour").expect_err("unknown");
        assert!(error.contains("no column is called \"colour\""), "{error}");
        assert!(error.contains("rollback-image"), "{error}");
        let error = parse_choice(" , ").expect_err("empty");
        assert!(error.contains(":cols auto"), "{error}");
    }

    #[test]
    fn the_chooser_starts_from_the_columns_shown_and_keeps_their_order() {
        let mut chooser = Chooser::new(&[ColumnId::Target, ColumnId::Name]);
        assert_eq!(chooser.rows.len(), ColumnId::iter().count());
        assert_eq!(chooser.rows[0], (ColumnId::Target, true));
        assert_eq!(chooser.rows[2], (ColumnId::State, false));
        chooser.move_cursor(2);
        chooser.toggle();
        chooser.move_cursor(-10);
        chooser.toggle();
        assert_eq!(
            chooser.choice(),
            Ok(ColumnChoice::Chosen(vec![ColumnId::Name, ColumnId::State]))
        );
        chooser.move_cursor(1);
        chooser.toggle();
        chooser.move_cursor(1);
        chooser.toggle();
        assert!(chooser.choice().is_err());
        chooser.move_cursor(100);
        assert_eq!(chooser.cursor, chooser.rows.len() - 1);
    }

    /// The sample config lists exactly the columns there are, and its example reads.
    #[test]
    fn the_sample_config_names_every_column() {
        let sample = include_str!("../../assets/config.sample.toml");
        let comment: String = sample
            .lines()
            .map(|line| line.trim_start_matches('#').trim())
            .collect::<Vec<_>>()
            .join(" ");
        let listed = comment
            .split_once("Columns: ")
            .and_then(|(_, rest)| rest.split_once('.'))
            .map(|(list, _)| list)
            .expect("the sample lists the columns");
        let listed: Vec<&str> = listed.split(", ").collect();
        assert_eq!(listed, ColumnId::names());
        let example = sample
            .lines()
            .find_map(|line| line.strip_prefix("# columns = "))
            .expect("an example");
        let names: Vec<String> = toml::from_str::<toml::Table>(&format!("c = {example}"))
            .expect("TOML")["c"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|name| name.as_str().map(str::to_owned))
            .collect();
        assert!(parse_choice(&names.join(",")).is_ok(), "{names:?}");
    }

    #[test]
    fn the_update_status_comes_early_while_an_operation_runs() {
        let idle = ColumnChoice::Auto.by_priority(false);
        let busy = ColumnChoice::Auto.by_priority(true);
        let at = |columns: &[ColumnId]| columns.iter().position(|&c| c == ColumnId::Status);
        assert!(at(&busy) < at(&idle));
        assert_eq!(at(&busy), Some(2));
        assert_eq!(busy.len(), idle.len());
    }
}
