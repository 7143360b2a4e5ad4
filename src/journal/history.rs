//! The journal read back as history: one line per past operation and rollout (`avx-upgrade
//! history`), and everything recorded about one of them for its change record (`avx-upgrade
//! report`). Both read the journal as a stream, a line at a time within [`LINE_LIMIT`], and keep
//! only what they return: a journal that grows without end is never held whole.

use std::collections::HashMap;
use std::path::Path;

use jiff::Timestamp;
use serde::Serialize;

use crate::journal::read::{Found, RolloutStory, Story, scan};
use crate::journal::record::{Entry, Gate, OperationId, Record};
use crate::journal::{JournalError, LINE_LIMIT};

/// How an operation or rollout ended, as the journal tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    Succeeded,
    Failed,
    /// Stopped by the operator.
    Aborted,
    /// No end recorded: it runs, or avx-upgrade stopped before it ended.
    Unfinished,
}

impl Ending {
    /// The word shown for it, in capitals, so it reads without colour.
    pub fn word(self) -> &'static str {
        match self {
            Ending::Succeeded => "SUCCEEDED",
            Ending::Failed => "FAILED",
            Ending::Aborted => "ABORTED",
            Ending::Unfinished => "UNFINISHED",
        }
    }

    /// The ending of an operation with this outcome, if it has one.
    fn of_operation(ok: Option<bool>) -> Ending {
        match ok {
            Some(true) => Ending::Succeeded,
            Some(false) => Ending::Failed,
            None => Ending::Unfinished,
        }
    }

    /// How the operation `story` tells ended.
    pub fn of_story(story: &Story) -> Ending {
        Ending::of_operation(story.outcome.as_ref().map(|outcome| outcome.ok))
    }

    /// The ending of a rollout from its last gate (step 0 ends it; an aborted one does not pass).
    fn of_rollout(end: Option<&Gate>) -> Ending {
        match end {
            None => Ending::Unfinished,
            Some(gate) if gate.passed => Ending::Succeeded,
            Some(gate) if gate.message.starts_with("aborted") => Ending::Aborted,
            Some(_) => Ending::Failed,
        }
    }
}

/// Whether a history line is a single operation or a rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Operation,
    Rollout,
}

/// One line of history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub id: String,
    pub kind: Kind,
    pub started: Timestamp,
    pub ended: Option<Timestamp>,
    pub controller: String,
    /// "software-upgrade to 7.1.4183", "rollout of software-upgrade in 6 steps".
    pub what: String,
    pub gateways: usize,
    pub outcome: Ending,
}

/// The history of the journal at `path`, oldest first: every single operation and rollout
/// that started at or after `since` (a rollout's steps are part of its line), and the lines
/// that could not be read.
pub fn history(
    path: &Path,
    since: Option<Timestamp>,
) -> Result<(Vec<Summary>, Found), JournalError> {
    let mut lines: Vec<Summary> = Vec::new();
    let mut by_id: HashMap<OperationId, usize> = HashMap::new();
    let found = scan(path, LINE_LIMIT, |Record { op, at, entry, .. }| {
        if let Some(&line) = by_id.get(&op) {
            close(&mut lines[line], at, &entry);
            return;
        }
        let Some(summary) = open(&op, at, &entry) else {
            return;
        };
        if since.is_some_and(|since| at < since) {
            return;
        }
        by_id.insert(op, lines.len());
        lines.push(summary);
    })?;
    Ok((lines, found))
}

/// The line a first record opens: an operation's intent (unless it is a rollout's step) or a
/// rollout's plan.
fn open(id: &OperationId, at: Timestamp, entry: &Entry) -> Option<Summary> {
    let summary = |kind, controller: &str, what, gateways| Summary {
        id: id.as_str().to_owned(),
        kind,
        started: at,
        ended: None,
        controller: controller.to_owned(),
        what,
        gateways,
        outcome: Ending::Unfinished,
    };
    match entry {
        Entry::Operation(operation) if operation.rollout.is_none() => {
            let what = match operation.target {
                Some(target) => format!("{} to {target}", operation.action.as_str()),
                None => operation.action.as_str().to_owned(),
            };
            Some(summary(
                Kind::Operation,
                &operation.controller,
                what,
                operation.gateways.len(),
            ))
        }
        Entry::Rollout(plan) => {
            let document = &plan.document;
            let what = format!(
                "rollout of {} in {} steps",
                document.rollout.action.as_str(),
                document.steps().len()
            );
            let controller = document.controller.as_deref().unwrap_or("(a snapshot)");
            let gateways = document.gateway_changes();
            Some(summary(Kind::Rollout, controller, what, gateways))
        }
        _ => None,
    }
}

/// Updates a line with a later record of its operation or rollout: an outcome or a final gate
/// ends it.
fn close(summary: &mut Summary, at: Timestamp, entry: &Entry) {
    match entry {
        Entry::Outcome(outcome) => {
            summary.outcome = Ending::of_operation(Some(outcome.ok));
            summary.ended = Some(at);
        }
        Entry::Gate(gate) if gate.wave == 0 => {
            summary.outcome = Ending::of_rollout(Some(gate));
            summary.ended = Some(at);
        }
        _ => {}
    }
}

/// Everything the journal recorded about one operation or rollout.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeStory {
    Operation(Story),
    Rollout(RolloutRecord),
}

/// A rollout as recorded: its plan and gates, and each step's operation in the order it ran.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutRecord {
    pub story: RolloutStory,
    pub steps: Vec<Story>,
    /// When its final gate was recorded.
    pub ended: Option<Timestamp>,
    /// When each gate was recorded, in the order of `story.gates`.
    pub gate_times: Vec<Timestamp>,
}

impl RolloutRecord {
    /// How the rollout ended.
    pub fn ending(&self) -> Ending {
        Ending::of_rollout(self.story.gates.iter().find(|gate| gate.wave == 0))
    }
}

impl ChangeStory {
    /// How it ended.
    pub fn ending(&self) -> Ending {
        match self {
            ChangeStory::Operation(story) => Ending::of_story(story),
            ChangeStory::Rollout(rollout) => rollout.ending(),
        }
    }
}

/// What the journal at `path` recorded about `id` (an operation or a rollout), and the lines
/// that could not be read; `None` when it has neither an intent nor a plan for `id`.
pub fn change_story(
    path: &Path,
    id: &OperationId,
) -> Result<(Option<ChangeStory>, Found), JournalError> {
    let mut gatherer = Gatherer::default();
    let found = scan(path, LINE_LIMIT, |record| gatherer.add(id, record))?;
    Ok((gatherer.finish(), found))
}

/// Collects one operation, or one rollout and the operations of its steps, from a stream.
#[derive(Default)]
struct Gatherer {
    operation: Option<Story>,
    rollout: Option<RolloutRecord>,
    /// The rollout's steps, by their operation's id.
    steps: HashMap<OperationId, usize>,
}

impl Gatherer {
    fn add(&mut self, id: &OperationId, Record { op, at, entry, .. }: Record) {
        if op == *id {
            return self.add_own(op, at, entry);
        }
        if let Some(&step) = self.steps.get(&op)
            && let Some(rollout) = self.rollout.as_mut()
        {
            rollout.steps[step].add(at, entry);
            return;
        }
        if let Entry::Operation(operation) = entry
            && let Some(rollout) = self.rollout.as_mut()
            && operation
                .rollout
                .as_ref()
                .is_some_and(|step| step.rollout == id.as_str())
        {
            self.steps.insert(op.clone(), rollout.steps.len());
            rollout.steps.push(Story::begin(op, at, *operation));
        }
    }

    /// A record of the operation or rollout asked for.
    fn add_own(&mut self, op: OperationId, at: Timestamp, entry: Entry) {
        match (entry, self.operation.as_mut(), self.rollout.as_mut()) {
            (Entry::Operation(operation), None, None) => {
                self.operation = Some(Story::begin(op, at, *operation));
            }
            (Entry::Rollout(plan), None, None) => {
                self.rollout = Some(RolloutRecord {
                    story: RolloutStory {
                        id: op,
                        started: at,
                        plan: *plan,
                        gates: Vec::new(),
                        skipped: Vec::new(),
                    },
                    steps: Vec::new(),
                    ended: None,
                    gate_times: Vec::new(),
                });
            }
            (entry, Some(story), _) => story.add(at, entry),
            (Entry::Gate(gate), _, Some(rollout)) => {
                if gate.wave == 0 {
                    rollout.ended = Some(at);
                }
                rollout.gate_times.push(at);
                rollout.story.gates.push(gate);
            }
            (Entry::Skip(skip), _, Some(rollout)) => rollout.story.skipped.push(skip.gateway),
            // Records before the intent or plan, or of another kind, tell nothing of it.
            _ => {}
        }
    }

    fn finish(self) -> Option<ChangeStory> {
        match (self.operation, self.rollout) {
            (Some(story), _) => Some(ChangeStory::Operation(story)),
            (None, Some(rollout)) => Some(ChangeStory::Rollout(rollout)),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Journal;
    use crate::journal::record::{Operation, Outcome, VerdictRecord};
    use crate::plan::Action;
    use crate::version::Version;

    const CONTROLLER: &str = "https://ctl.example.com";

    fn intent(action: Action, gateways: usize) -> Operation {
        let before = |number: usize| crate::journal::GatewayBefore {
            name: format!("spoke-{number}"),
            software: Version::new(7, 0, 2239),
            image: None,
            state: "up".to_owned(),
            tunnels_up: true,
            expect_software: Some(Version::new(7, 1, 4183)),
            expect_image: None,
        };
        Operation {
            controller: CONTROLLER.to_owned(),
            controller_user: "admin".to_owned(),
            local_user: "alice".to_owned(),
            action,
            target: Some(Version::new(7, 1, 4183)),
            platform_before: Version::new(7, 1, 4183),
            gateways: (0..gateways).map(before).collect(),
            skipped: Vec::new(),
            confirmation: Some("2".to_owned()),
            dry_run: None,
            rollout: None,
        }
    }

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + second).expect("a time")
    }

    /// Two operations an hour apart, the first ended well, the second unfinished; a damaged
    /// line between them.
    fn journal() -> (tempfile::TempDir, std::path::PathBuf, [OperationId; 2]) {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut journal = Journal::open(dir.path(), CONTROLLER).expect("opens");
        let ids = [OperationId::new(at(0)), OperationId::new(at(3600))];
        let write = |journal: &mut Journal, id: &OperationId, second, entry: Entry| {
            journal
                .append(&Record::new(id.clone(), at(second), entry))
                .expect("appends");
        };
        write(
            &mut journal,
            &ids[0],
            0,
            intent(Action::SoftwareUpgrade, 2).into(),
        );
        let verdicts = vec![
            VerdictRecord::pass("spoke-0"),
            VerdictRecord::pass("spoke-1"),
        ];
        write(
            &mut journal,
            &ids[0],
            240,
            Outcome::from_verdicts("done", verdicts).into(),
        );
        let path = journal.path().to_owned();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut file| std::io::Write::write_all(&mut file, b"{not json\n"))
            .expect("damages a line");
        write(
            &mut journal,
            &ids[1],
            3600,
            intent(Action::ImageUpgrade, 1).into(),
        );
        (dir, path, ids)
    }

    #[test]
    fn history_has_a_line_per_operation_with_its_end_and_counts_bad_lines() {
        let (_dir, path, ids) = journal();
        let (lines, found) = history(&path, None).expect("reads");
        assert_eq!(found.bad_line_count, 1);
        let seen: Vec<(&str, &str, usize, Ending, bool)> = lines
            .iter()
            .map(|line| {
                let what = line.what.as_str();
                (
                    line.id.as_str(),
                    what,
                    line.gateways,
                    line.outcome,
                    line.ended.is_some(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (
                    ids[0].as_str(),
                    "software-upgrade to 7.1.4183",
                    2,
                    Ending::Succeeded,
                    true
                ),
                (
                    ids[1].as_str(),
                    "image-upgrade to 7.1.4183",
                    1,
                    Ending::Unfinished,
                    false
                ),
            ]
        );
        let (later, _) = history(&path, Some(at(60))).expect("reads");
        assert_eq!(later.len(), 1, "--since leaves out what started before");
        assert_eq!(later[0].id, ids[1].as_str());
    }

    #[test]
    fn a_change_story_is_found_by_its_id_and_an_unknown_id_finds_nothing() {
        let (_dir, path, ids) = journal();
        let (story, _) = change_story(&path, &ids[0]).expect("reads");
        let Some(ChangeStory::Operation(story)) = story else {
            panic!("the operation: {story:?}");
        };
        assert_eq!(story.ended, Some(at(240)));
        assert_eq!(story.outcome.map(|outcome| outcome.ok), Some(true));
        let unknown: OperationId = "20300101T000000Z-0000".parse().expect("an id");
        let (nothing, _) = change_story(&path, &unknown).expect("reads");
        assert_eq!(nothing, None);
    }

    #[test]
    fn ids_parse_only_in_the_shape_history_shows() {
        assert!("20261130T211500Z-3fa2".parse::<OperationId>().is_ok());
        for bad in [
            "",
            "latest",
            "20261130T211500Z",
            "20261130T211500Z-xyz1",
            "2026113XT211500Z-3fa2",
        ] {
            let error = bad.parse::<OperationId>().expect_err(bad);
            assert!(error.contains("avx-upgrade history"), "{error}");
        }
    }
}
