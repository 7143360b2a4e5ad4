//! Reading the project's JSON documents with errors that name the file, the JSON path and what
//! was expected.
//!
//! Parsing is tried first on the fast path; only a document that fails is parsed again with
//! path tracking, so a 100,000-gateway snapshot loads at full speed and a bad one still gets a
//! precise message.

use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;

/// A document that could not be read or does not match its format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {location}: {message}")]
pub struct LoadError {
    file: String,
    location: Location,
    message: String,
}

/// Where in a document a load error is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Location {
    /// The file itself (it could not be read).
    File,
    /// A JSON path such as `gateways[3].software_version` (`.` is the whole document).
    Path(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File => f.write_str("cannot read the file"),
            Location::Path(path) if path == "." => f.write_str("at the top level"),
            Location::Path(path) => write!(f, "at {path}"),
        }
    }
}

impl LoadError {
    /// An error about the value at `path` (e.g. `gateways[3].peer`) of `file`.
    pub fn at(file: &str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            location: Location::Path(path.into()),
            message: message.into(),
        }
    }

    /// The JSON path of the error, or `None` when the file could not be read.
    pub fn json_path(&self) -> Option<&str> {
        match &self.location {
            Location::Path(path) => Some(path),
            Location::File => None,
        }
    }
}

/// Deserialises an optional text field through `FromStr`, so a bad value is reported with
/// the form that was expected (`what` names the kind of value, `expected` shows the form).
pub fn optional_text<'de, D, T>(
    deserializer: D,
    what: &str,
    expected: &str,
) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
{
    let Some(text) = <Option<String> as serde::Deserialize>::deserialize(deserializer)? else {
        return Ok(None);
    };
    text.parse().map(Some).map_err(|_| {
        serde::de::Error::custom(format!(
            "invalid {what} \"{}\": expected {expected}",
            crate::quote::quoted(&text)
        ))
    })
}

/// What a file is, and so the most of it the program reads. Every file the program reads goes
/// through [`read_file`] or [`read_text`] with its kind: a device, a FIFO or a file over the
/// limit is refused before anything is held in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A gateway snapshot (`--state`): 100,000 gateways are about 60 MB.
    Snapshot,
    /// A release catalog (`--catalog`).
    Catalog,
    /// The config file (`config.toml`).
    Config,
    /// A keymap (`keymap.toml`, `--keymap`).
    Keymap,
    /// The pinned certificates (`known_controllers`).
    KnownControllers,
    /// A CA bundle in PEM (`--ca-cert`).
    CaCert,
    /// A rollout plan (`rollout plan --json`, read by `rollout apply`): 100,000 gateways are
    /// about 6 MB.
    RolloutPlan,
}

const MIB: u64 = 1 << 20;

impl FileKind {
    /// The largest file of this kind that is read, in bytes.
    pub const fn limit(self) -> u64 {
        match self {
            FileKind::Snapshot => 512 * MIB,
            FileKind::Catalog | FileKind::RolloutPlan => 16 * MIB,
            FileKind::Config | FileKind::Keymap | FileKind::KnownControllers | FileKind::CaCert => {
                MIB
            }
        }
    }

    /// What the file is, in errors.
    pub const fn noun(self) -> &'static str {
        match self {
            FileKind::Snapshot => "a snapshot",
            FileKind::Catalog => "a release catalog",
            FileKind::Config => "a config file",
            FileKind::Keymap => "a keymap",
            FileKind::KnownControllers => "a known-controllers file",
            FileKind::CaCert => "a CA certificate file",
            FileKind::RolloutPlan => "a rollout plan",
        }
    }
}

/// A size in the unit a person reads: `1.5 MB`, `512 MB`, `3 GB`.
pub fn megabytes(bytes: u64) -> String {
    let megabytes = bytes as f64 / MIB as f64;
    if megabytes >= 10.0 {
        format!("{megabytes:.0} MB")
    } else {
        format!("{megabytes:.1} MB")
    }
}

impl LoadError {
    fn unreadable(path: &Path, message: impl Into<String>) -> Self {
        Self {
            file: path.display().to_string(),
            location: Location::File,
            message: message.into(),
        }
    }

    /// Whether the file is simply not there (the callers for which a missing file is empty).
    pub fn is_missing(&self) -> bool {
        matches!(self.location, Location::File) && self.message.starts_with(MISSING)
    }
}

const MISSING: &str = "no such file";

/// Reads `path` whole if it is a regular file within `kind`'s limit; the error names the file
/// and says what was wrong: missing, unreadable, not a regular file (a FIFO would block, a
/// device never ends), or too large.
pub fn read_file(path: &Path, kind: FileKind) -> Result<Vec<u8>, LoadError> {
    let io_error = |error: std::io::Error| match error.kind() {
        std::io::ErrorKind::NotFound => LoadError::unreadable(path, MISSING),
        _ => LoadError::unreadable(path, error.to_string()),
    };
    // Checked before opening, because opening a FIFO blocks until someone writes to it.
    let metadata = std::fs::metadata(path).map_err(io_error)?;
    check_regular(path, &metadata, kind)?;
    let file = std::fs::File::open(path).map_err(io_error)?;
    // Checked again on the open file, in case the path changed in between.
    check_regular(path, &file.metadata().map_err(io_error)?, kind)?;
    let capacity = usize::try_from(metadata.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    std::io::Read::read_to_end(&mut std::io::Read::take(file, kind.limit() + 1), &mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > kind.limit() {
        return Err(too_large(path, bytes.len() as u64, kind));
    }
    Ok(bytes)
}

/// [`read_file`] for text formats (TOML, PEM, line files): the bytes must be UTF-8.
pub fn read_text(path: &Path, kind: FileKind) -> Result<String, LoadError> {
    let bytes = read_file(path, kind)?;
    String::from_utf8(bytes).map_err(|error| {
        LoadError::unreadable(
            path,
            format!(
                "not UTF-8 text (invalid byte at offset {}): is this {}?",
                error.utf8_error().valid_up_to(),
                kind.noun()
            ),
        )
    })
}

/// [`read_text`] for files whose absence means "empty" (the config, the pins).
pub fn read_text_if_present(path: &Path, kind: FileKind) -> Result<Option<String>, LoadError> {
    match read_text(path, kind) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.is_missing() => Ok(None),
        Err(error) => Err(error),
    }
}

fn check_regular(
    path: &Path,
    metadata: &std::fs::Metadata,
    kind: FileKind,
) -> Result<(), LoadError> {
    if !metadata.is_file() {
        return Err(LoadError::unreadable(
            path,
            format!(
                "not a regular file ({}): give the path of {}",
                file_type(metadata),
                kind.noun()
            ),
        ));
    }
    if metadata.len() > kind.limit() {
        return Err(too_large(path, metadata.len(), kind));
    }
    Ok(())
}

fn too_large(path: &Path, size: u64, kind: FileKind) -> LoadError {
    LoadError::unreadable(
        path,
        format!(
            "too large ({size} bytes; the limit for {} is {})",
            kind.noun(),
            megabytes(kind.limit())
        ),
    )
}

/// What a path that is not a regular file is, for errors: `a directory`, `a FIFO`, `a device`.
pub(crate) fn file_type(metadata: &std::fs::Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "not a file"
}

/// Parses `bytes` as a `T`; `file` names the document in errors.
pub fn parse_json<T: DeserializeOwned>(file: &str, bytes: &[u8]) -> Result<T, LoadError> {
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(value) => Ok(value),
        Err(error) => Err(LoadError::at(
            file,
            error.path().to_string(),
            crate::quote::clipped(&error.inner().to_string()).to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(
        dead_code,
        reason = "only serde reads the fields: the test is about its errors"
    )]
    struct Doc {
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(
        dead_code,
        reason = "only serde reads the fields: the test is about its errors"
    )]
    struct Item {
        count: u32,
    }

    #[test]
    fn errors_name_file_path_and_expectation() {
        let error = parse_json::<Doc>("doc.json", br#"{"items":[{"count":1},{"count":"x"}]}"#)
            .expect_err("count is not a number");
        assert_eq!(error.json_path(), Some("items[1].count"));
        let text = error.to_string();
        assert!(text.starts_with("doc.json: at items[1].count: "), "{text}");
        assert!(text.contains("expected u32"), "{text}");
    }

    #[test]
    fn errors_quoting_a_huge_value_stay_short() {
        let huge = "x".repeat(1 << 20);
        let document = format!(r#"{{"items":[{{"count":"{huge}"}}]}}"#);
        let error = parse_json::<Doc>("doc.json", document.as_bytes()).expect_err("not a number");
        let text = error.to_string();
        assert!(text.len() < 500, "{} bytes", text.len());
        assert!(text.starts_with("doc.json: at items[0].count: "), "{text}");
    }

    #[test]
    fn syntax_errors_give_the_line() {
        let error = parse_json::<Doc>("doc.json", b"{\n  \"items\": [,]\n}").expect_err("bad JSON");
        assert!(error.to_string().contains("line 2"), "{error}");
    }

    #[test]
    fn unknown_fields_are_rejected_by_name() {
        let error = parse_json::<Doc>("doc.json", br#"{"items":[{"count":1,"colour":2}]}"#)
            .expect_err("unknown field");
        assert!(
            error.to_string().contains("unknown field `colour`"),
            "{error}"
        );
    }

    #[test]
    fn unreadable_files_say_so() {
        let error =
            read_file(Path::new("/nonexistent/avx.json"), FileKind::Snapshot).expect_err("missing");
        let text = error.to_string();
        assert!(
            text.starts_with("/nonexistent/avx.json: cannot read the file: "),
            "{text}"
        );
        assert_eq!(error.json_path(), None);
        assert!(error.is_missing());
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_directories_are_refused_without_reading() {
        for (path, kind) in [("/dev/zero", "a device"), ("/tmp", "a directory")] {
            let error = read_file(Path::new(path), FileKind::Catalog).expect_err(path);
            assert_eq!(
                error.to_string(),
                format!(
                    "{path}: cannot read the file: not a regular file ({kind}): give the path of a release catalog"
                )
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        let error = read_text(&fifo, FileKind::Config).expect_err("a FIFO");
        assert!(error.to_string().contains("(a FIFO)"), "{error}");
    }

    #[test]
    fn files_over_the_limit_are_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keymap.toml");
        let file = std::fs::File::create(&path).expect("create");
        file.set_len(FileKind::Keymap.limit() + 1)
            .expect("sparse file");
        let error = read_text(&path, FileKind::Keymap).expect_err("too large");
        assert!(
            error
                .to_string()
                .ends_with("too large (1048577 bytes; the limit for a keymap is 1.0 MB)"),
            "{error}"
        );
        file.set_len(FileKind::Keymap.limit()).expect("shrink");
        assert!(read_file(&path, FileKind::Keymap).is_ok());
    }

    #[test]
    fn text_must_be_utf8() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("known_controllers");
        std::fs::write(&path, b"ok\n\xff\xfe").expect("write");
        let error = read_text(&path, FileKind::KnownControllers).expect_err("not UTF-8");
        assert!(
            error
                .to_string()
                .contains("not UTF-8 text (invalid byte at offset 3)"),
            "{error}"
        );
        assert_eq!(
            read_text_if_present(&dir.path().join("none"), FileKind::Config),
            Ok(None)
        );
    }
}
