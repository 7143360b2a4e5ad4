//! Tests of `read`.

use super::*;
use crate::journal::Journal;
use crate::journal::record::{Outcome, VerdictRecord};
use crate::plan::Action;
use crate::version::Version;

const CONTROLLER: &str = "https://ctl.example.com";

fn intent() -> Operation {
    Operation {
        controller: CONTROLLER.to_owned(),
        controller_user: "admin".to_owned(),
        local_user: "alice".to_owned(),
        action: Action::SoftwareUpgrade,
        target: Some(Version::new(7, 2, 5090)),
        platform_before: Version::new(7, 2, 5090),
        gateways: Vec::new(),
        skipped: Vec::new(),
        confirmation: Some("2".to_owned()),
        dry_run: None,
        rollout: None,
    }
}

fn new_id(second: i64) -> OperationId {
    let at = Timestamp::from_second(1_800_000_000 + second).expect("a time");
    OperationId::new(at)
}

/// A journal in a temporary directory, written through [`Journal`].
struct Written {
    _dir: tempfile::TempDir,
    journal: Journal,
}

impl Written {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = Journal::open(dir.path(), CONTROLLER).expect("opens");
        Self { _dir: dir, journal }
    }

    fn path(&self) -> &Path {
        self.journal.path()
    }

    fn add(&mut self, op: &OperationId, entry: impl Into<Entry>) -> &mut Self {
        let record = Record::now(op.clone(), entry);
        self.journal.append(&record).expect("appends");
        self
    }

    fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(self.path())
            .expect("opens");
        file.write_all(bytes).expect("writes");
        self
    }
}

fn problems(path: &Path) -> Vec<(u64, LineProblem)> {
    read(path)
        .expect("reads")
        .filter_map(Result::err)
        .map(|error| (error.line, error.problem))
        .collect()
}

fn a_line(op: &OperationId) -> String {
    let record = Record::now(op.clone(), Call::new(1, "upgrade_gateway", Vec::new()));
    serde_json::to_string(&record).expect("json")
}

#[test]
fn a_missing_journal_reads_as_empty() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("none.jsonl");
    assert_eq!(read(&path).expect("empty").count(), 0);
    assert_eq!(unfinished(&path).expect("nothing"), Found::nothing());
    assert_eq!(story(&path, &new_id(0)).expect("nothing"), Found::nothing());
}

#[test]
fn records_are_read_in_order_and_blank_lines_are_passed_over() {
    let mut written = Written::new();
    let op = new_id(0);
    written.add(&op, intent()).raw(b"\n  \r\n");
    written.add(&op, Call::new(1, "upgrade_gateway", Vec::new()));
    let kinds: Vec<&str> = read(written.path())
        .expect("reads")
        .map(|record| record.expect("a record").entry.kind())
        .collect();
    assert_eq!(kinds, ["operation", "call"]);
}

#[test]
fn a_torn_last_line_is_told_apart_from_corruption() {
    let mut written = Written::new();
    let op = new_id(0);
    written.add(&op, intent()).raw(b"{\"v\":1,\"at\":\"2026-");
    let found: Vec<_> = read(written.path()).expect("reads").collect();
    assert!(found[0].is_ok());
    let error = found[1].clone().expect_err("torn");
    assert_eq!(error.line, 2);
    assert_eq!(error.problem, LineProblem::Torn);
    assert!(
        error.to_string().starts_with("journal line 2 is cut short"),
        "{error}"
    );
    let mut whole = Written::new();
    whole.raw(a_line(&op).as_bytes());
    let records: Vec<_> = read(whole.path()).expect("reads").collect();
    assert!(
        records[0].is_ok(),
        "a whole record without its newline is read: {records:?}"
    );
}

#[test]
fn bad_lines_say_what_is_wrong_and_the_rest_is_read() {
    let mut written = Written::new();
    let op = new_id(0);
    written
        .raw(b"not json\n")
        .raw(b"[1,2]\n")
        .raw(b"{\"v\":1,\"at\":\"2026-11-30T21:15:00Z\",\"op\":\"20261130T211500Z-3fa2\",\"record\":\"pause\"}\n")
        .raw(b"{\"v\":0}\n")
        .add(&op, intent());
    let found = problems(written.path());
    let lines: Vec<u64> = found.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [1, 2, 3, 4]);
    assert!(
        matches!(&found[0].1, LineProblem::NotJson(message) if message.contains("expected ident")),
        "{found:?}"
    );
    assert!(
        matches!(&found[1].1, LineProblem::NotARecord(_)),
        "{found:?}"
    );
    assert!(
        matches!(&found[2].1, LineProblem::NotARecord(message) if message.contains("unknown variant `pause`")),
        "{found:?}"
    );
    assert!(
        matches!(&found[3].1, LineProblem::NotARecord(message) if message.contains("format v0 does not exist")),
        "{found:?}"
    );
    assert_eq!(
        read(written.path())
            .expect("reads")
            .filter(Result::is_ok)
            .count(),
        1
    );
}

#[test]
fn a_newer_format_is_refused_by_name() {
    let mut written = Written::new();
    let op = new_id(0);
    let v2 = a_line(&op).replacen("\"v\":1", "\"v\":2", 1);
    written
        .raw(format!("{v2}\n").as_bytes())
        .raw(b"{\"v\":3,\"record\":\"checkpoint\",\"wave\":[]}\n");
    let errors: Vec<String> = read(written.path())
        .expect("reads")
        .map(|record| record.expect_err("newer").to_string())
        .collect();
    assert_eq!(
        errors,
        [
            "journal line 1 was written by a newer avx-upgrade (format v2): upgrade avx-upgrade to read it",
            "journal line 2 was written by a newer avx-upgrade (format v3): upgrade avx-upgrade to read it",
        ]
    );
}

#[test]
fn a_line_over_the_limit_is_skipped_without_being_held_whole() {
    let mut written = Written::new();
    let op = new_id(0);
    let line = a_line(&op);
    written.raw(format!("{line}\n").as_bytes());
    written.raw(&vec![b'x'; 1 << 20]).raw(b"\n");
    written.raw(format!("{line}\n").as_bytes());
    written.raw(&vec![b'{'; 1 << 20]);
    let limit = line.len();
    let mut records = read_with_limit(written.path(), limit).expect("reads");
    assert!(records.next().expect("line 1").is_ok());
    let error = records.next().expect("line 2").expect_err("too long");
    assert_eq!((error.line, error.problem), (2, LineProblem::TooLong));
    assert!(
        records.buffer.capacity() < 4 * limit,
        "{}",
        records.buffer.capacity()
    );
    assert!(
        records.next().expect("line 3").is_ok(),
        "a line of exactly the limit is read"
    );
    let error = records.next().expect("line 4").expect_err("too long");
    assert_eq!((error.line, error.problem), (4, LineProblem::TooLong));
    assert!(records.next().is_none());
}

#[test]
fn a_line_over_the_real_limit_is_refused() {
    let mut written = Written::new();
    let op = new_id(0);
    written
        .raw(&vec![b' '; LINE_LIMIT + 1])
        .raw(b"\n")
        .add(&op, intent());
    let found: Vec<_> = read(written.path()).expect("reads").collect();
    assert_eq!(found.len(), 2);
    let error = found[0].clone().expect_err("too long");
    assert_eq!(
        error.to_string(),
        "journal line 1 is longer than the 32 MB limit for one record: it was skipped"
    );
    assert!(found[1].is_ok());
}

#[test]
fn a_story_pairs_each_call_with_its_answer() {
    let mut written = Written::new();
    let (op, other) = (new_id(0), new_id(1));
    let gateways = |name: &str| vec![name.to_owned()];
    written
        .add(&op, Call::new(9, "before the intent", Vec::new()))
        .add(&op, intent())
        .add(&other, intent())
        .add(&op, Call::new(1, "upgrade_gateway", gateways("a")))
        .add(&other, Call::new(1, "upgrade_gateway", gateways("z")))
        .add(&op, Call::new(2, "upgrade_gateway", gateways("b")))
        .add(&op, Answer::new(2, false, "busy"))
        .raw(b"garbage\n")
        .add(&op, Answer::new(7, true, "an answer to no call"))
        .add(&op, Answer::new(1, true, "started"))
        .add(
            &op,
            Outcome::from_verdicts("done", vec![VerdictRecord::pass("a")]),
        );
    let found = story(written.path(), &op).expect("reads");
    assert_eq!(found.bad_line_count, 1);
    assert_eq!(found.bad_lines[0].line, 8);
    let told = found.story.expect("a story");
    assert_eq!(told.id, op);
    assert_eq!(told.operation, intent());
    let calls: Vec<(String, Option<String>)> = told
        .calls
        .iter()
        .map(|(call, answer)| {
            (
                call.gateways.join(","),
                answer.as_ref().map(|answer| answer.message.clone()),
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            ("a".to_owned(), Some("started".to_owned())),
            ("b".to_owned(), Some("busy".to_owned())),
        ]
    );
    assert!(told.outcome.expect("an outcome").ok);
    assert_eq!(
        story(written.path(), &new_id(2)).expect("reads").story,
        None
    );
}

#[test]
fn unfinished_finds_the_last_operation_without_an_outcome() {
    let mut written = Written::new();
    let (first, second, third) = (new_id(0), new_id(1), new_id(2));
    let done = || Outcome::from_verdicts("done", Vec::new());
    written
        .add(&first, intent())
        .add(&second, intent())
        .add(&second, Call::new(1, "upgrade_gateway", Vec::new()))
        .add(&third, intent())
        .add(&third, done())
        .raw(b"{\"v\":1,\"at\":\"");
    let found = unfinished(written.path()).expect("reads");
    let story = found.story.expect("the second is open");
    assert_eq!(story.id, second);
    assert_eq!(story.calls.len(), 1);
    assert_eq!(story.outcome, None);
    assert_eq!(found.bad_line_count, 1, "the torn line is counted");
    assert_eq!(found.bad_lines[0].problem, LineProblem::Torn);
    written.raw(b"\n").add(&second, done());
    let story = unfinished(written.path())
        .expect("reads")
        .story
        .expect("the first");
    assert_eq!(story.id, first);
    written.add(&first, done());
    assert_eq!(unfinished(written.path()).expect("reads").story, None);
}

#[test]
fn an_empty_journal_has_nothing_unfinished() {
    let written = Written::new();
    assert_eq!(unfinished(written.path()).expect("reads"), Found::nothing());
}

#[test]
fn only_the_first_bad_lines_are_kept_but_all_are_counted() {
    let mut written = Written::new();
    written.raw("x\n".repeat(BAD_LINES_KEPT + 50).as_bytes());
    let found = unfinished(written.path()).expect("reads");
    assert_eq!(found.bad_lines.len(), BAD_LINES_KEPT);
    assert_eq!(found.bad_line_count, (BAD_LINES_KEPT + 50) as u64);
}
