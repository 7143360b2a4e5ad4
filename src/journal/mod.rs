//! The journal: the local record of every call that changes a controller or its gateways
//! (issue 11, point 11), to answer afterwards who changed what, when, and how it ended.
//!
//! One file per controller, `STATE_DIR/journal/HOST_PORT.jsonl` (private: 0600 in a 0700
//! directory on Unix), append-only, one JSON record a line ([`record`]). A record is written
//! whole under an exclusive lock, so two consoles on one controller never mix their lines,
//! and synced to disk before the call it announces is sent: an operation's intent
//! ([`Operation`]), then each call ([`Call`]) and its answer ([`Answer`]), then how it ended
//! ([`Outcome`]). Staged rollouts and the change-record report read the same format
//! ([`read`], [`story`], [`unfinished`]). No record has a field that could hold a secret.

mod crash;
pub mod history;
pub mod read;
pub mod record;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub use read::{
    Found, LineError, LineProblem, Records, RolloutStory, Story, read, story, unfinished,
    unfinished_rollout,
};
pub use record::{
    Answer, Call, CheckRecord, DryRunRecord, Entry, FORMAT_VERSION, Gate, GatewayAfter,
    GatewayBefore, Operation, OperationId, Outcome, Record, RolloutPlan, RolloutStep, Skip,
    Skipped, VerdictRecord, local_user,
};

use crate::load::megabytes;
use crate::quote::quoted;

/// The longest line (one record, without its newline) written or read: 100,000 gateways with
/// their state before are about 15 MB.
pub const LINE_LIMIT: usize = 32 << 20;

/// A journal file name longer than this is shortened with a hash (file names end at 255 bytes).
const KEY_LIMIT: usize = 200;

/// Why the journal could not be opened, written or read; each says which file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(
        "cannot name a journal for the controller URL \"{controller}\": {problem}; expected https://HOST[:PORT]"
    )]
    Controller { controller: String, problem: String },
    #[error("no state directory for the journal: set HOME or AVX_UPGRADE_STATE_DIR")]
    NoStateDir,
    #[error(
        "cannot open the journal {}: {source}; check that you can write to its directory, or set AVX_UPGRADE_STATE_DIR",
        .path.display()
    )]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the journal {} is not a regular file ({what}): move it away and try again",
        .path.display()
    )]
    NotAFile { path: PathBuf, what: &'static str },
    #[error(
        "cannot lock the journal {} for writing: {source}; the file system must support file locks (use a local state directory, AVX_UPGRADE_STATE_DIR)",
        .path.display()
    )]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot write to the journal {}: {source}; nothing is sent before the journal has it: free disk space or fix the file's permissions, then try again",
        .path.display()
    )]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "a journal record of {bytes} bytes is over the {} limit for one line of {}: select fewer gateways for one operation",
        megabytes(LINE_LIMIT as u64),
        .path.display()
    )]
    TooLong { path: PathBuf, bytes: usize },
    #[error("cannot encode a record for the journal {}: {message}", .path.display())]
    Encode { path: PathBuf, message: String },
    #[error("cannot read the journal {}: {message}", .path.display())]
    Read { path: PathBuf, message: String },
}

/// The journal file of `controller` (its URL) in `state_dir`: `journal/HOST_PORT.jsonl`, e.g.
/// `journal/ctl.example.com_443.jsonl`. The URL must have a host.
pub fn file_for(state_dir: &Path, controller: &str) -> Result<PathBuf, JournalError> {
    let key = key_for(controller)?;
    Ok(state_dir.join("journal").join(format!("{key}.jsonl")))
}

/// The controller's host and port, safe as a file name: characters outside `A-Z a-z 0-9 . -`
/// become `_`. An error quotes the URL without any `user:password@`.
fn key_for(controller: &str) -> Result<String, JournalError> {
    let bad = |problem: &str| JournalError::Controller {
        controller: quoted(&record::without_userinfo(controller)).to_string(),
        problem: problem.to_owned(),
    };
    let url = url::Url::parse(controller).map_err(|error| bad(&error.to_string()))?;
    let host = url
        .host_str()
        .filter(|host| !host.is_empty())
        .ok_or_else(|| bad("it has no host"))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| bad("it has no port, and its scheme has no usual one"))?;
    Ok(shortened(format!("{}_{port}", safe_for_file_name(host))))
}

fn safe_for_file_name(text: &str) -> String {
    text.chars()
        .map(|character| match character {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '.' | '-' => character,
            _ => '_',
        })
        .collect()
}

/// `key` when short enough for a file name, otherwise its start and a hash of it all.
fn shortened(key: String) -> String {
    if key.len() <= KEY_LIMIT {
        return key;
    }
    let digest = <sha2::Sha256 as sha2::Digest>::digest(key.as_bytes());
    let hash: String = digest
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    // The key is ASCII (see safe_for_file_name), so any byte index is a character boundary.
    format!("{}-{hash}", &key[..KEY_LIMIT - hash.len() - 1])
}

/// A controller's journal, open for appending.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    /// Opens (creating it if needed) the journal of `controller` in `state_dir`.
    pub fn open(state_dir: &Path, controller: &str) -> Result<Self, JournalError> {
        let path = file_for(state_dir, controller)?;
        let file = open_for_append(&path)?;
        Ok(Self { file, path })
    }

    /// Opens the journal of `controller` in the project's state directory
    /// ([`crate::paths::state_dir`]).
    pub fn open_in_state_dir(controller: &str) -> Result<Self, JournalError> {
        let state_dir = crate::paths::state_dir().ok_or(JournalError::NoStateDir)?;
        Self::open(&state_dir, controller)
    }

    /// The journal's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `record` as one line, under an exclusive lock, and syncs it to disk; only then
    /// may the call it announces be sent.
    pub fn append(&mut self, record: &Record) -> Result<(), JournalError> {
        let line = self.encode(record)?;
        crash::before_write();
        self.file.lock().map_err(|source| JournalError::Lock {
            path: self.path.clone(),
            source,
        })?;
        let written = self.write_line(&line);
        let unlocked = self.file.unlock();
        written
            .and(unlocked)
            .map_err(|source| JournalError::Write {
                path: self.path.clone(),
                source,
            })?;
        crash::after_write();
        Ok(())
    }

    fn encode(&self, record: &Record) -> Result<Vec<u8>, JournalError> {
        let mut line = serde_json::to_vec(record).map_err(|error| JournalError::Encode {
            path: self.path.clone(),
            message: error.to_string(),
        })?;
        if line.len() > LINE_LIMIT {
            return Err(JournalError::TooLong {
                path: self.path.clone(),
                bytes: line.len(),
            });
        }
        line.push(b'\n');
        Ok(line)
    }

    /// Appends `line`, first ending a line torn by a crash so the new record stands alone.
    fn write_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        if !self.ends_with_newline()? {
            self.file.write_all(b"\n")?;
        }
        self.file.write_all(line)?;
        self.file.sync_data()
    }

    fn ends_with_newline(&mut self) -> std::io::Result<bool> {
        let length = self.file.metadata()?.len();
        if length == 0 {
            return Ok(true);
        }
        self.file.seek(SeekFrom::Start(length - 1))?;
        let mut last = [0u8];
        self.file.read_exact(&mut last)?;
        Ok(last == *b"\n")
    }
}

/// Opens `path` to append (and read its last byte), creating it and its directory privately.
fn open_for_append(path: &Path) -> Result<File, JournalError> {
    let open_error = |source| JournalError::Open {
        path: path.to_owned(),
        source,
    };
    let directory = path.parent().unwrap_or(Path::new("."));
    create_private_dir(directory).map_err(open_error)?;
    // Checked before opening, because opening a FIFO blocks until someone reads it.
    match std::fs::metadata(path) {
        Ok(metadata) => check_regular(path, &metadata)?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(open_error(error)),
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path).map_err(open_error)?;
    check_regular(path, &file.metadata().map_err(open_error)?)?;
    sync_directory(directory).map_err(open_error)?;
    Ok(file)
}

fn create_private_dir(directory: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(directory)
}

/// Makes a newly created journal file's name durable, so a crash cannot lose the whole file.
#[cfg(unix)]
fn sync_directory(directory: &Path) -> std::io::Result<()> {
    File::open(directory)?.sync_all()
}

#[cfg(not(unix))]
fn sync_directory(_directory: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Refuses anything but a regular file: a FIFO would block and a device never ends.
fn check_regular(path: &Path, metadata: &std::fs::Metadata) -> Result<(), JournalError> {
    if metadata.is_file() {
        return Ok(());
    }
    Err(JournalError::NotAFile {
        path: path.to_owned(),
        what: crate::load::file_type(metadata),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Action;
    use crate::version::Version;

    const CONTROLLER: &str = "https://ctl.example.com";

    fn call(op: &OperationId, number: u32) -> Record {
        Record::now(
            op.clone(),
            Call::new(number, "upgrade_gateway", vec![format!("gw-{number}")]),
        )
    }

    fn lines(path: &Path) -> Vec<String> {
        let text = std::fs::read_to_string(path).expect("the journal");
        assert!(text.ends_with('\n'), "every record ends its line");
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn the_file_is_named_by_host_and_port() {
        let dir = Path::new("/state");
        for (url, name) in [
            ("https://ctl.example.com", "ctl.example.com_443.jsonl"),
            ("https://CTL.Example.com:443/", "ctl.example.com_443.jsonl"),
            ("https://127.0.0.1:8443/", "127.0.0.1_8443.jsonl"),
            ("http://localhost", "localhost_80.jsonl"),
            ("https://[::1]:9443", "___1__9443.jsonl"),
        ] {
            let path = file_for(dir, url).expect(url);
            assert_eq!(path, dir.join("journal").join(name), "{url}");
        }
    }

    #[test]
    fn a_url_without_a_host_names_no_journal() {
        for url in ["ctl.example.com", "", "unix:/run/sock", "https://"] {
            let error = file_for(Path::new("/state"), url).expect_err(url);
            let text = error.to_string();
            assert!(
                text.starts_with("cannot name a journal for the controller URL")
                    && text.ends_with("expected https://HOST[:PORT]"),
                "{url}: {text}"
            );
        }
    }

    #[test]
    fn a_very_long_host_is_shortened_with_a_hash() {
        let long = |letter: &str| {
            format!(
                "https://{}.example.com",
                vec![letter.repeat(60); 4].join(".")
            )
        };
        let (a, b) = (long("a"), long("b"));
        let name_a = file_for(Path::new("/s"), &a).expect("a");
        let name_b = file_for(Path::new("/s"), &b).expect("b");
        let file_name = name_a.file_name().expect("a name").len();
        assert!(file_name <= KEY_LIMIT + ".jsonl".len(), "{name_a:?}");
        assert_ne!(name_a, name_b);
    }

    #[test]
    fn records_are_appended_one_a_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut journal = Journal::open(dir.path(), CONTROLLER).expect("opens");
        assert_eq!(
            journal.path(),
            file_for(dir.path(), CONTROLLER).expect("path")
        );
        let op = OperationId::new(jiff::Timestamp::now());
        journal.append(&call(&op, 1)).expect("first");
        drop(journal);
        let mut again = Journal::open(dir.path(), CONTROLLER).expect("reopens");
        again.append(&call(&op, 2)).expect("second");
        let written = lines(again.path());
        assert_eq!(written.len(), 2);
        for (line, number) in written.iter().zip([1, 2]) {
            let record: Record = serde_json::from_str(line).expect("a record");
            assert_eq!(record.entry, call(&op, number).entry);
        }
    }

    #[test]
    fn a_line_torn_by_a_crash_is_ended_before_the_next_record() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = file_for(dir.path(), CONTROLLER).expect("path");
        std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
        std::fs::write(&path, "{\"v\":1,\"at\":\"20").expect("torn");
        let mut journal = Journal::open(dir.path(), CONTROLLER).expect("opens");
        let op = OperationId::new(jiff::Timestamp::now());
        journal.append(&call(&op, 1)).expect("appends");
        let written = lines(&path);
        assert_eq!(written[0], "{\"v\":1,\"at\":\"20");
        assert!(
            serde_json::from_str::<Record>(&written[1]).is_ok(),
            "{written:?}"
        );
    }

    #[test]
    fn a_record_over_the_line_limit_is_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut journal = Journal::open(dir.path(), CONTROLLER).expect("opens");
        let op = OperationId::new(jiff::Timestamp::now());
        let huge = Record::now(op, Answer::new(1, false, "x".repeat(LINE_LIMIT)));
        let error = journal.append(&huge).expect_err("too long");
        assert!(matches!(error, JournalError::TooLong { bytes, .. } if bytes > LINE_LIMIT));
        let text = error.to_string();
        assert!(
            text.contains("over the 32 MB limit for one line")
                && text.ends_with("select fewer gateways for one operation"),
            "{text}"
        );
        assert_eq!(std::fs::metadata(journal.path()).expect("file").len(), 0);
    }

    #[test]
    fn two_journals_on_one_file_interleave_whole_lines_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let writers: Vec<_> = (0..2)
            .map(|writer| {
                let state_dir = dir.path().to_owned();
                std::thread::spawn(move || {
                    let mut journal = Journal::open(&state_dir, CONTROLLER).expect("opens");
                    let op = OperationId::new(jiff::Timestamp::now());
                    let padding = format!("{writer}").repeat(5000);
                    for number in 1..=200 {
                        let answer = Answer::new(number, true, padding.clone());
                        journal
                            .append(&Record::now(op.clone(), answer))
                            .expect("appends");
                    }
                    op
                })
            })
            .collect();
        let ops: Vec<OperationId> = writers
            .into_iter()
            .map(|writer| writer.join().expect("a writer"))
            .collect();
        let path = file_for(dir.path(), CONTROLLER).expect("path");
        let records: Vec<Record> = lines(&path)
            .iter()
            .map(|line| serde_json::from_str(line).expect("every line is a whole record"))
            .collect();
        assert_eq!(records.len(), 400);
        for op in &ops {
            let numbers: Vec<u32> = records
                .iter()
                .filter(|record| record.op == *op)
                .filter_map(|record| match &record.entry {
                    Entry::Answer(answer) => Some(answer.call),
                    _ => None,
                })
                .collect();
            assert_eq!(numbers, (1..=200).collect::<Vec<_>>());
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_journal_that_is_not_a_regular_file_is_refused_without_blocking() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = file_for(dir.path(), CONTROLLER).expect("path");
        std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        let error = Journal::open(dir.path(), CONTROLLER).expect_err("a FIFO");
        assert_eq!(
            error.to_string(),
            format!(
                "the journal {} is not a regular file (a FIFO): move it away and try again",
                path.display()
            )
        );
        let error = read(&path).expect_err("a FIFO is not read");
        assert!(error.to_string().contains("(a FIFO)"), "{error}");
    }

    #[test]
    fn an_operation_round_trips_through_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut journal = Journal::open(dir.path(), CONTROLLER).expect("opens");
        let op = OperationId::new(jiff::Timestamp::now());
        let operation = Operation {
            controller: CONTROLLER.to_owned(),
            controller_user: "admin".to_owned(),
            local_user: local_user(),
            action: Action::PlatformUpgrade,
            target: Some(Version::new(7, 2, 5090)),
            platform_before: Version::new(7, 1, 4183),
            gateways: Vec::new(),
            skipped: Vec::new(),
            confirmation: Some("7.2.5090".to_owned()),
            dry_run: None,
            rollout: Some(RolloutStep {
                rollout: "weekend".to_owned(),
                wave: 1,
            }),
        };
        let record = Record::now(op, operation);
        journal.append(&record).expect("appends");
        let read_back: Vec<_> = read(journal.path()).expect("reads").collect();
        assert_eq!(read_back, vec![Ok(record)]);
    }
}
