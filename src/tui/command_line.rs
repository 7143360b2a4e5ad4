//! The `:` command line: one table of the commands (name, short names, what it takes, what it
//! does), which the parser, Tab completion and the help screen all read; and the history that
//! Up and Down walk. Pure: `update::command` carries out what a line asks.

use strum::IntoEnumIterator;

use crate::filter::query::Field;
use crate::tui::columns::{ColumnChoice, ColumnId, parse_choice, parse_column};
use crate::tui::message::{Command, MarkSet};

/// What a command takes after its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    Nothing,
    /// A filter query (completes filter keys).
    Query,
    /// A column and `asc` or `desc`.
    SortColumn,
    /// Column names, or nothing for the chooser.
    Columns,
    MarkSet,
    /// Policy edits (`wave-size 25%` …).
    Policy,
    /// A gateway name.
    Gateway,
}

/// One command of the command line.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub name: &'static str,
    /// Other names it answers to.
    pub short: &'static [&'static str],
    /// How its argument is written in the help (`COLUMN [asc|desc]`), empty for none.
    pub usage: &'static str,
    pub takes: Takes,
    pub describe: &'static str,
    /// Reads what follows the name.
    pub read: fn(&str) -> Result<Line, String>,
}

/// The help's column for a command and its usage.
pub const HELP_COMMAND_WIDTH: usize = 24;

/// Every command, in the order the help lists them.
pub const COMMANDS: &[Spec] = &[
    Spec {
        name: "platform",
        short: &["p", "1"],
        usage: "",
        takes: Takes::Nothing,
        describe: "Platform Upgrade window",
        read: |_| Ok(Line::Run(Command::PlatformWindow)),
    },
    Spec {
        name: "gateways",
        short: &["gateway", "gw", "2"],
        usage: "",
        takes: Takes::Nothing,
        describe: "Selective Gateway Upgrade window",
        read: |_| Ok(Line::Run(Command::GatewayWindow)),
    },
    Spec {
        name: "rollout",
        short: &["3"],
        usage: "",
        takes: Takes::Nothing,
        describe: "Rollout window",
        read: |_| Ok(Line::Run(Command::RolloutWindow)),
    },
    Spec {
        name: "filter",
        short: &[],
        usage: "QUERY",
        takes: Takes::Query,
        describe: "show what the query matches (none: every gateway)",
        read: |rest| Ok(Line::Filter(rest.to_owned())),
    },
    Spec {
        name: "sort",
        short: &[],
        usage: "COLUMN [asc|desc]",
        takes: Takes::SortColumn,
        describe: "sort the table by a column",
        read: sort,
    },
    Spec {
        name: "cols",
        short: &["columns"],
        usage: "[COLUMN,… | auto]",
        takes: Takes::Columns,
        describe: "choose the columns (none: the chooser); kept",
        read: columns,
    },
    Spec {
        name: "mark",
        short: &[],
        usage: "SET",
        takes: Takes::MarkSet,
        describe: "mark exactly failed, lagging, unhealthy, all, none",
        read: |rest| mark_set(rest).map(Line::Mark),
    },
    Spec {
        name: "readonly",
        short: &[],
        usage: "",
        takes: Takes::Nothing,
        describe: "no operation until the console closes (one way)",
        read: |_| Ok(Line::Readonly),
    },
    Spec {
        name: "policy",
        short: &[],
        usage: "EDITS",
        takes: Takes::Policy,
        describe: "edit the rollout policy: :policy wave-size 25%",
        read: |rest| Ok(Line::Policy(rest.to_owned())),
    },
    Spec {
        name: "skip",
        short: &[],
        usage: "GATEWAY",
        takes: Takes::Gateway,
        describe: "leave a gateway out of the running rollout",
        read: skip,
    },
    Spec {
        name: "refresh",
        short: &["r"],
        usage: "",
        takes: Takes::Nothing,
        describe: "read the controller again",
        read: |_| Ok(Line::Run(Command::Refresh)),
    },
    Spec {
        name: "report",
        short: &[],
        usage: "",
        takes: Takes::Nothing,
        describe: "write the last operation's change record",
        read: |_| Ok(Line::Run(Command::WriteReport)),
    },
    Spec {
        name: "support",
        short: &[],
        usage: "",
        takes: Takes::Nothing,
        describe: "write a support summary (no secrets in it)",
        read: |_| Ok(Line::Support),
    },
    Spec {
        name: "help",
        short: &["h"],
        usage: "",
        takes: Takes::Nothing,
        describe: "keys and commands",
        read: |_| Ok(Line::Run(Command::Help)),
    },
    Spec {
        name: "quit",
        short: &["q", "q!", "exit"],
        usage: "",
        takes: Takes::Nothing,
        describe: "quit (asks first while an operation runs)",
        read: |_| Ok(Line::Run(Command::Quit)),
    },
];

/// A sort order typed after the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Ascending,
    Descending,
}

/// What a command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// Nothing typed.
    Empty,
    /// What a key could do too.
    Run(Command),
    Filter(String),
    Sort(ColumnId, Order),
    /// `None`: open the column chooser.
    Columns(Option<ColumnChoice>),
    Mark(MarkSet),
    Readonly,
    Policy(String),
    Skip(String),
    Support,
}

/// Reads a command line (with or without its `:`); errors say what to type.
pub fn parse(line: &str) -> Result<Line, String> {
    let line = line.trim().trim_start_matches(':').trim_start();
    if line.is_empty() {
        return Ok(Line::Empty);
    }
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let spec = find(word).ok_or_else(|| {
        format!(
            "unknown command :{}: commands are {}",
            crate::quote::clipped(word),
            names().join(" ")
        )
    })?;
    if spec.takes == Takes::Nothing && !rest.is_empty() {
        return Err(format!(":{} takes nothing after it", spec.name));
    }
    (spec.read)(rest)
}

fn columns(rest: &str) -> Result<Line, String> {
    if rest.is_empty() {
        return Ok(Line::Columns(None));
    }
    parse_choice(rest).map(|choice| Line::Columns(Some(choice)))
}

fn skip(rest: &str) -> Result<Line, String> {
    if rest.is_empty() {
        return Err("name the gateway: :skip NAME".into());
    }
    Ok(Line::Skip(rest.to_owned()))
}

/// The command called `word`, by its name or a short name.
fn find(word: &str) -> Option<&'static Spec> {
    COMMANDS
        .iter()
        .find(|spec| spec.name == word || spec.short.contains(&word))
}

/// Every command's name.
pub fn names() -> Vec<&'static str> {
    COMMANDS.iter().map(|spec| spec.name).collect()
}

fn sort(rest: &str) -> Result<Line, String> {
    let mut words = rest.split_whitespace();
    let Some(column) = words.next() else {
        return Err(format!(
            "name a column: :sort COLUMN [asc|desc], with {}",
            ColumnId::sortable_names().join(", ")
        ));
    };
    let column = parse_column(column)?;
    if column.sort_key().is_none() {
        return Err(format!(
            "the table cannot be sorted by {column}: use {}",
            ColumnId::sortable_names().join(", ")
        ));
    }
    let order = match words.next() {
        None | Some("asc") => Order::Ascending,
        Some("desc") => Order::Descending,
        Some(other) => {
            return Err(format!(
                "\"{}\" is not an order: write asc or desc",
                crate::quote::clipped(other)
            ));
        }
    };
    if words.next().is_some() {
        return Err("write :sort COLUMN [asc|desc], nothing more".into());
    }
    Ok(Line::Sort(column, order))
}

fn mark_set(rest: &str) -> Result<MarkSet, String> {
    rest.parse().map_err(|_| {
        let sets: Vec<&str> = MarkSet::iter().map(MarkSet::name).collect();
        format!(
            "unknown set \"{}\" for :mark: use :mark {}",
            crate::quote::clipped(rest),
            sets.join("|")
        )
    })
}

/// What Tab offers for the line typed so far: the line with its last word completed as far
/// as the candidates agree, and the candidates themselves (more than one: the status line
/// lists them and Tab again goes through them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub line: String,
    pub candidates: Vec<String>,
}

/// Completes the last word of `line`: a command name first, then its argument. `gateways`
/// gives the gateway names that start with a prefix, for `:skip`.
pub fn complete(line: &str, gateways: &dyn Fn(&str) -> Vec<String>) -> Completion {
    let (head, word) = line.split_at(last_word_start(line));
    let candidates = if head.trim().is_empty() {
        names().into_iter().map(str::to_owned).collect()
    } else {
        let command = head.split_whitespace().next().and_then(find);
        command.map_or_else(Vec::new, |spec| arguments(spec, head, word, gateways))
    };
    let mut matching: Vec<String> = candidates
        .into_iter()
        .filter(|candidate| candidate.starts_with(word))
        .collect();
    matching.sort();
    matching.dedup();
    let completed = match matching.as_slice() {
        [one] if head.trim().is_empty() || !one.ends_with(':') => format!("{head}{one} "),
        _ => format!("{head}{}", common_prefix(&matching).unwrap_or(word)),
    };
    Completion {
        line: completed,
        candidates: matching,
    }
}

/// Where the last word of `line` starts: after its last space or comma.
pub fn last_word_start(line: &str) -> usize {
    line.char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace() || *c == ',')
        .map_or(0, |(at, c)| at + c.len_utf8())
}

/// The values the argument of `spec` may take at this point.
fn arguments(
    spec: &Spec,
    head: &str,
    word: &str,
    gateways: &dyn Fn(&str) -> Vec<String>,
) -> Vec<String> {
    let owned = |words: Vec<&str>| words.into_iter().map(str::to_owned).collect();
    let typed = head.split_whitespace().count();
    match spec.takes {
        Takes::Nothing | Takes::Policy => Vec::new(),
        Takes::MarkSet => owned(MarkSet::iter().map(MarkSet::name).collect()),
        Takes::Columns => {
            let mut columns: Vec<&str> = ColumnId::names();
            if typed == 1 && !head.ends_with(',') {
                columns.push("auto");
            }
            owned(columns)
        }
        Takes::SortColumn if typed == 1 => owned(ColumnId::sortable_names()),
        Takes::SortColumn if typed == 2 => owned(vec!["asc", "desc"]),
        Takes::SortColumn => Vec::new(),
        Takes::Query => Field::iter().map(|field| format!("{field}:")).collect(),
        Takes::Gateway => gateways(word),
    }
}

/// The longest start all `words` share, if there are any.
fn common_prefix(words: &[String]) -> Option<&str> {
    let first = words.first()?;
    let mut length = first.len();
    for word in &words[1..] {
        length = first
            .char_indices()
            .zip(word.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((at, a), _)| at + a.len_utf8())
            .min(length);
    }
    first.get(..length)
}

/// The command lines run this session, oldest first, for Up and Down.
#[derive(Debug, Clone, Default)]
pub struct History {
    lines: Vec<String>,
}

/// How many lines the history keeps.
const HISTORY_LIMIT: usize = 200;

impl History {
    /// Keeps `line` (not an empty one, nor the same line twice in a row).
    pub fn push(&mut self, line: &str) {
        let line = line.trim();
        if line.is_empty() || self.lines.last().is_some_and(|last| last == line) {
            return;
        }
        if self.lines.len() == HISTORY_LIMIT {
            self.lines.remove(0);
        }
        self.lines.push(line.to_owned());
    }

    /// The line before position `at` (`None`: below the newest), and its position.
    pub fn older(&self, at: Option<usize>) -> Option<(usize, &str)> {
        let position = at.unwrap_or(self.lines.len()).checked_sub(1)?;
        Some((position, self.lines.get(position)?))
    }

    /// The line after position `at`, or `None` past the newest (back to an empty line).
    pub fn newer(&self, at: usize) -> Option<(usize, &str)> {
        let position = at + 1;
        Some((position, self.lines.get(position)?))
    }
}

/// What the command line remembers between keys: the lines run, which one Up recalled, and
/// the candidates the last Tab found.
#[derive(Debug, Clone, Default)]
pub struct Recall {
    pub history: History,
    /// The position in the history of the line shown, while Up and Down walk it.
    pub recalled: Option<usize>,
    /// What the last Tab offered, shown under the line; cleared by any other key.
    pub candidates: Vec<String>,
}

#[cfg(test)]
#[path = "command_line/tests.rs"]
mod tests;
