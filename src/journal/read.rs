//! Reading a journal back as a stream: [`read`] yields its records one line at a time (a line
//! over [`LINE_LIMIT`] is refused without being held whole), [`story`] gathers one operation's
//! records and [`unfinished`] finds the last operation that never recorded its outcome (the
//! one a crash interrupted). They hold one operation's records in memory, never the file
//! (`unfinished` also keeps the operations' ids, to know which ones ended).
//!
//! A bad line is an error naming its number and what is wrong with it; the lines after it are
//! still read. The last line without its newline is a write a crash cut short, not corruption.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::error::Category;

use super::record::{
    Answer, Call, Entry, FORMAT_VERSION, Gate, Operation, OperationId, Outcome, Record, RolloutPlan,
};
use super::{JournalError, LINE_LIMIT, check_regular};
use crate::load::megabytes;
use crate::quote::clipped;

/// How many bad lines [`Found`] keeps to show (all are counted).
pub const BAD_LINES_KEPT: usize = 100;

/// A journal line that is not a record this version can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("journal line {line} {problem}")]
pub struct LineError {
    /// The line's number, from 1.
    pub line: u64,
    pub problem: LineProblem,
}

/// What is wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    #[error("is longer than the {} limit for one record: it was skipped", megabytes(LINE_LIMIT as u64))]
    TooLong,
    #[error("is not JSON ({0}): it was skipped")]
    NotJson(String),
    #[error("is not a journal record ({0}): it was skipped")]
    NotARecord(String),
    #[error("was written by a newer avx-upgrade (format v{0}): upgrade avx-upgrade to read it")]
    NewerFormat(u64),
    #[error(
        "is cut short (no newline at its end): its write was interrupted by a crash, or is still under way; the records before it are whole"
    )]
    Torn,
    #[error("cannot be read ({0}): reading stopped there")]
    Unreadable(String),
}

/// The records of a journal, read one line at a time; ends after a [`LineProblem::Unreadable`].
#[derive(Debug)]
pub struct Records {
    reader: Option<BufReader<File>>,
    line: u64,
    buffer: Vec<u8>,
    limit: usize,
}

/// Reads the journal at `path` as a stream of records; a missing file reads as empty.
pub fn read(path: &Path) -> Result<Records, JournalError> {
    read_with_limit(path, LINE_LIMIT)
}

/// [`read`] with another line limit, so tests can pass one over it cheaply.
fn read_with_limit(path: &Path, limit: usize) -> Result<Records, JournalError> {
    Ok(Records {
        reader: open_regular(path)?.map(BufReader::new),
        line: 0,
        buffer: Vec::new(),
        limit,
    })
}

/// Opens `path` to read if it is a regular file; `None` if it does not exist.
fn open_regular(path: &Path) -> Result<Option<File>, JournalError> {
    let read_error = |error: std::io::Error| JournalError::Read {
        path: path.to_owned(),
        message: error.to_string(),
    };
    // Checked before opening, because opening a FIFO blocks until someone writes to it.
    let metadata = match std::fs::metadata(path) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        other => other.map_err(read_error)?,
    };
    check_regular(path, &metadata)?;
    let file = File::open(path).map_err(read_error)?;
    check_regular(path, &file.metadata().map_err(read_error)?)?;
    Ok(Some(file))
}

/// One line as read: its bytes are in the reader's buffer.
enum Line {
    End,
    Blank,
    TooLong,
    /// Ended by a newline.
    Whole,
    /// The last line, without a newline.
    Unterminated,
}

impl Iterator for Records {
    type Item = Result<Record, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let reader = self.reader.as_mut()?;
            self.line += 1;
            let line = self.line;
            let failed = |problem| Some(Err(LineError { line, problem }));
            match next_line(reader, &mut self.buffer, self.limit) {
                Ok(Line::Blank) => {}
                Ok(Line::Whole) => return Some(parse(&self.buffer, line, false)),
                Ok(Line::Unterminated) => return Some(parse(&self.buffer, line, true)),
                Ok(Line::TooLong) => return failed(LineProblem::TooLong),
                Ok(Line::End) => {
                    self.reader = None;
                    return None;
                }
                Err(error) => {
                    self.reader = None;
                    return failed(LineProblem::Unreadable(error.to_string()));
                }
            }
        }
    }
}

/// Reads the next line into `buffer` (without its newline), holding at most `limit` + 1 bytes
/// of it; the rest of a longer line is skipped.
fn next_line(
    reader: &mut BufReader<File>,
    buffer: &mut Vec<u8>,
    limit: usize,
) -> std::io::Result<Line> {
    buffer.clear();
    let most = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let read = reader.by_ref().take(most).read_until(b'\n', buffer)?;
    if read == 0 {
        return Ok(Line::End);
    }
    let whole = buffer.last() == Some(&b'\n');
    if whole {
        buffer.pop();
    } else if buffer.len() > limit {
        reader.skip_until(b'\n')?;
        return Ok(Line::TooLong);
    }
    if buffer.iter().all(u8::is_ascii_whitespace) {
        return Ok(Line::Blank);
    }
    Ok(if whole {
        Line::Whole
    } else {
        Line::Unterminated
    })
}

/// Parses one line; `unterminated` says it is a last line without its newline.
fn parse(bytes: &[u8], line: u64, unterminated: bool) -> Result<Record, LineError> {
    let problem = match serde_json::from_slice::<Record>(bytes) {
        Ok(record) if record.v == FORMAT_VERSION => return Ok(record),
        Ok(record) => version_problem(u64::from(record.v)),
        Err(_) if unterminated => LineProblem::Torn,
        Err(error) => problem_of(bytes, &error),
    };
    Err(LineError { line, problem })
}

fn version_problem(version: u64) -> LineProblem {
    if version > u64::from(FORMAT_VERSION) {
        return LineProblem::NewerFormat(version);
    }
    LineProblem::NotARecord(format!(
        "format v{version} does not exist; this avx-upgrade reads v{FORMAT_VERSION}"
    ))
}

/// Why a line is not a record: another format version first (a newer one's records may look
/// like anything), then whether it is JSON at all.
fn problem_of(bytes: &[u8], error: &serde_json::Error) -> LineProblem {
    if let Some(version) = other_version(bytes) {
        return version_problem(version);
    }
    let message = clipped(&error.to_string()).to_string();
    match error.classify() {
        Category::Data => LineProblem::NotARecord(message),
        Category::Syntax | Category::Eof | Category::Io => LineProblem::NotJson(message),
    }
}

/// The line's format version, if it is a JSON object whose `v` is not this build's.
fn other_version(bytes: &[u8]) -> Option<u64> {
    #[derive(Deserialize)]
    struct Versioned {
        v: u64,
    }
    let versioned = serde_json::from_slice::<Versioned>(bytes).ok()?;
    (versioned.v != u64::from(FORMAT_VERSION)).then_some(versioned.v)
}

/// Everything the journal recorded about one operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Story {
    pub id: OperationId,
    /// When the intent was recorded.
    pub started: Timestamp,
    pub operation: Operation,
    /// The calls in the order they were recorded, each with its answer if one was recorded.
    pub calls: Vec<(Call, Option<Answer>)>,
    /// How it ended; `None` while it runs, or when it was interrupted.
    pub outcome: Option<Outcome>,
    /// When the outcome was recorded.
    pub ended: Option<Timestamp>,
}

impl Story {
    pub(super) fn begin(id: OperationId, started: Timestamp, operation: Operation) -> Self {
        Self {
            id,
            started,
            operation,
            calls: Vec::new(),
            outcome: None,
            ended: None,
        }
    }

    /// Adds a later record of this operation, written at `at`. A second intent is ignored
    /// (the first counts), an answer goes to the last call of its number and is dropped if
    /// there is none, a later outcome replaces an earlier one.
    pub(super) fn add(&mut self, at: Timestamp, entry: Entry) {
        match entry {
            Entry::Operation(_) | Entry::Rollout(_) | Entry::Gate(_) | Entry::Skip(_) => {}
            Entry::Call(call) => self.calls.push((call, None)),
            Entry::Answer(answer) => self.answer(answer),
            Entry::Outcome(outcome) => {
                self.outcome = Some(outcome);
                self.ended = Some(at);
            }
        }
    }

    fn answer(&mut self, answer: Answer) {
        let asked = self
            .calls
            .iter_mut()
            .rev()
            .find(|(call, _)| call.call == answer.call);
        if let Some((_, slot)) = asked {
            *slot = Some(answer);
        }
    }
}

/// What [`story`] and [`unfinished`] found, and the lines they could not read (so a caller can
/// warn that the journal is damaged).
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub story: Option<Story>,
    /// The first [`BAD_LINES_KEPT`] bad lines.
    pub bad_lines: Vec<LineError>,
    /// How many lines were bad in all.
    pub bad_line_count: u64,
}

impl Found {
    fn nothing() -> Self {
        Self {
            story: None,
            bad_lines: Vec::new(),
            bad_line_count: 0,
        }
    }

    fn note_bad_line(&mut self, error: LineError) {
        self.bad_line_count += 1;
        if self.bad_lines.len() < BAD_LINES_KEPT {
            self.bad_lines.push(error);
        }
    }
}

/// The story of operation `id` in the journal at `path`; its `story` is `None` if the journal
/// has no intent for it.
pub fn story(path: &Path, id: &OperationId) -> Result<Found, JournalError> {
    story_with_limit(path, id, LINE_LIMIT)
}

fn story_with_limit(path: &Path, id: &OperationId, limit: usize) -> Result<Found, JournalError> {
    let mut story: Option<Story> = None;
    let mut found = scan(path, limit, |Record { op, at, entry, .. }| {
        if op != *id {
            return;
        }
        match (entry, story.as_mut()) {
            (entry, Some(story)) => story.add(at, entry),
            (Entry::Operation(operation), None) => {
                story = Some(Story::begin(op, at, *operation));
            }
            // A call, answer or outcome before its intent cannot be told as part of it.
            (_, None) => {}
        }
    })?;
    found.story = story;
    Ok(found)
}

/// The last operation in the journal at `path` that has an intent but no outcome: one that
/// is running, or that a crash interrupted.
pub fn unfinished(path: &Path) -> Result<Found, JournalError> {
    unfinished_with_limit(path, LINE_LIMIT)
}

fn unfinished_with_limit(path: &Path, limit: usize) -> Result<Found, JournalError> {
    let mut started = Vec::new();
    let mut ended = HashSet::new();
    let found = scan(path, limit, |record| match record.entry {
        Entry::Operation(_) => started.push(record.op),
        Entry::Outcome(_) => {
            ended.insert(record.op);
        }
        Entry::Call(_) | Entry::Answer(_) | Entry::Rollout(_) | Entry::Gate(_) | Entry::Skip(_) => {
        }
    })?;
    match started.iter().rev().find(|id| !ended.contains(*id)) {
        Some(id) => story_with_limit(path, id, limit),
        None => Ok(found),
    }
}

/// A rollout the journal holds: its plan as confirmed and its gates so far.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutStory {
    pub id: OperationId,
    pub started: Timestamp,
    pub plan: RolloutPlan,
    pub gates: Vec<Gate>,
    /// The gateways the operator skipped.
    pub skipped: Vec<String>,
}

impl RolloutStory {
    /// Whether wave `number` passed its gate (it ended, within the failure budget).
    pub fn passed(&self, number: usize) -> bool {
        self.gates
            .iter()
            .any(|gate| gate.passed && gate.wave as usize == number)
    }

    /// The failed gateways counted by the last gate.
    pub fn failed(&self) -> usize {
        self.gates.last().map_or(0, |gate| gate.failed as usize)
    }
}

/// The last rollout in the journal at `path` that has not ended (no gate of wave 0): one a
/// crash, a lost session or a stop left behind. It reads the file as a stream and keeps only
/// the rollouts' plans and gates.
pub fn unfinished_rollout(path: &Path) -> Result<Option<RolloutStory>, JournalError> {
    let mut rollouts: Vec<RolloutStory> = Vec::new();
    scan(
        path,
        LINE_LIMIT,
        |Record { op, at, entry, .. }| match entry {
            Entry::Rollout(plan) => rollouts.push(RolloutStory {
                id: op,
                started: at,
                plan: *plan,
                gates: Vec::new(),
                skipped: Vec::new(),
            }),
            Entry::Gate(gate) => {
                if let Some(story) = rollouts.iter_mut().rev().find(|story| story.id == op) {
                    story.gates.push(gate);
                }
            }
            Entry::Skip(skip) => {
                if let Some(story) = rollouts.iter_mut().rev().find(|story| story.id == op) {
                    story.skipped.push(skip.gateway);
                }
            }
            _ => {}
        },
    )?;
    Ok(rollouts
        .into_iter()
        .rev()
        .find(|story| !story.gates.iter().any(|gate| gate.wave == 0)))
}

/// Feeds every readable record of the journal to `each`, counting the bad lines; a read error
/// is an error (the rest of the journal is unknown).
pub(super) fn scan(
    path: &Path,
    limit: usize,
    mut each: impl FnMut(Record),
) -> Result<Found, JournalError> {
    let mut found = Found::nothing();
    for item in read_with_limit(path, limit)? {
        match item {
            Ok(record) => each(record),
            Err(LineError {
                problem: LineProblem::Unreadable(message),
                line,
            }) => {
                return Err(JournalError::Read {
                    path: path.to_owned(),
                    message: format!("at line {line}: {message}"),
                });
            }
            Err(error) => found.note_bad_line(error),
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests;
