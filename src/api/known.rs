//! The known-controllers file: certificate fingerprints pinned on first use, one controller a
//! line, like SSH's known_hosts:
//!
//! ```text
//! # avx-upgrade known controllers: HOST:PORT SHA256-FINGERPRINT
//! ctl.example.com:443 3F:0A:...:9C
//! ```
//!
//! It lives in the config directory ([`crate::paths::config_dir`]).

use std::path::{Path, PathBuf};

use crate::api::error::ApiError;
use crate::api::trust::normalize_fingerprint;
use crate::load::{self, FileKind};
use crate::quote::quoted;

const HEADER: &str = "# avx-upgrade known controllers: HOST:PORT SHA256-FINGERPRINT\n";

/// The known-controllers file in the config directory.
pub fn default_path() -> Option<PathBuf> {
    crate::paths::config_dir().map(|dir| dir.join("known_controllers"))
}

/// What the file says about one controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub fingerprint: String,
    /// 1-based line number, for "remove line N" advice.
    pub line: usize,
}

/// The file and its pins.
#[derive(Debug, Clone)]
pub struct KnownControllers {
    path: PathBuf,
    entries: Vec<(String, Pin)>,
}

impl KnownControllers {
    /// Reads `path`; a missing file has no pins. A malformed line is an error naming it.
    pub fn load(path: &Path) -> Result<Self, ApiError> {
        let text = read_pins(path)?;
        Self::parse(path, &text)
    }

    /// Parses the `text` of the file at `path` (named in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Self, ApiError> {
        let mut entries = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line_text = line.trim();
            if line_text.is_empty() || line_text.starts_with('#') {
                continue;
            }
            let malformed = || {
                ApiError::Config(format!(
                    "{}:{}: expected HOST:PORT FINGERPRINT, found \"{}\"",
                    path.display(),
                    index + 1,
                    quoted(line_text)
                ))
            };
            let (controller, fingerprint) = line_text
                .split_once(char::is_whitespace)
                .ok_or_else(malformed)?;
            let fingerprint = normalize_fingerprint(fingerprint).map_err(|_| malformed())?;
            entries.push((
                controller.to_owned(),
                Pin {
                    fingerprint,
                    line: index + 1,
                },
            ));
        }
        Ok(Self {
            path: path.to_owned(),
            entries,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The pin of `controller` (`host:port`).
    pub fn get(&self, controller: &str) -> Option<&Pin> {
        self.entries
            .iter()
            .find(|(known, _)| known == controller)
            .map(|(_, pin)| pin)
    }

    /// Adds a pin and writes the file (created with mode 0600 on Unix).
    pub fn pin(&mut self, controller: &str, fingerprint: &str) -> Result<(), ApiError> {
        let fingerprint = normalize_fingerprint(fingerprint)?;
        // Read again (another console may have pinned meanwhile); a file that cannot be read
        // is an error, never replaced: it holds every other controller's pin.
        let mut text = read_pins(&self.path)?;
        if text.is_empty() {
            text.push_str(HEADER);
        }
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("{controller} {fingerprint}\n"));
        write_private(&self.path, &text)?;
        let line = text.lines().count();
        self.entries
            .push((controller.to_owned(), Pin { fingerprint, line }));
        Ok(())
    }
}

/// The file's text; a missing file has no pins.
fn read_pins(path: &Path) -> Result<String, ApiError> {
    load::read_text_if_present(path, FileKind::KnownControllers)
        .map(Option::unwrap_or_default)
        .map_err(|error| {
            ApiError::Config(format!(
                "{error}; fix or move the file (it holds the pinned certificates) and try again"
            ))
        })
}

/// Writes the pins atomically and privately ([`crate::save::atomically`]).
fn write_private(path: &Path, text: &str) -> Result<(), ApiError> {
    crate::save::atomically(path, text)
        .map_err(|error| ApiError::Config(format!("cannot write {}: {error}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_written_and_read_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub/known_controllers");
        let mut known = KnownControllers::load(&path).expect("missing file is empty");
        assert!(known.get("ctl:443").is_none());
        let fingerprint = "ab".repeat(32);
        known.pin("ctl:443", &fingerprint).expect("written");
        let again = KnownControllers::load(&path).expect("reads");
        let pin = again.get("ctl:443").expect("pinned");
        assert_eq!(
            pin.fingerprint,
            normalize_fingerprint(&fingerprint).expect("valid")
        );
        assert_eq!(pin.line, 2, "after the header");
    }

    #[test]
    fn malformed_lines_are_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("known_controllers");
        std::fs::write(&path, "# comment\nctl:443 not-a-fingerprint\n").expect("write");
        let error = KnownControllers::load(&path)
            .expect_err("malformed")
            .to_string();
        assert!(
            error.contains(":2:") && error.contains("HOST:PORT FINGERPRINT"),
            "{error}"
        );
    }

    #[test]
    fn a_huge_line_is_quoted_short() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("known_controllers");
        std::fs::write(&path, "x".repeat(900_000)).expect("write");
        let error = KnownControllers::load(&path)
            .expect_err("malformed")
            .to_string();
        assert!(error.len() < 300, "{} bytes", error.len());
        assert!(error.contains("(900000 bytes)"), "{error}");
    }

    /// Each way the file can be unreadable fails with the reason, and the pins stay.
    #[test]
    fn an_unreadable_file_is_never_overwritten() {
        let dir = tempfile::tempdir().expect("temp dir");
        let not_utf8 = dir.path().join("binary");
        let pins = b"old:443 AB\n\xff\n".to_vec();
        std::fs::write(&not_utf8, &pins).expect("write");
        let a_directory = dir.path().join("dir");
        std::fs::create_dir(&a_directory).expect("mkdir");
        let regular = dir.path().join("regular");
        std::fs::write(&regular, "").expect("write");
        let under_a_file = regular.join("known_controllers");
        for path in [&not_utf8, &a_directory, &under_a_file] {
            assert!(KnownControllers::load(path).is_err(), "{}", path.display());
            let mut known = KnownControllers {
                path: path.clone(),
                entries: Vec::new(),
            };
            let error = known
                .pin("new:443", &"ab".repeat(32))
                .expect_err("unreadable")
                .to_string();
            assert!(error.contains(&path.display().to_string()), "{error}");
        }
        assert_eq!(std::fs::read(&not_utf8).expect("still there"), pins);
        assert!(a_directory.is_dir());
    }

    #[cfg(unix)]
    #[test]
    fn pins_are_written_private_and_whole() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("known_controllers");
        std::fs::write(&path, "a:443 ".to_owned() + &"ab".repeat(32) + "\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let mut known = KnownControllers::load(&path).expect("reads");
        known.pin("b:443", &"cd".repeat(32)).expect("written");
        let mode = std::fs::metadata(&path)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = KnownControllers::load(&path).expect("reads");
        assert!(again.get("a:443").is_some() && again.get("b:443").is_some());
        let leftovers = std::fs::read_dir(dir.path()).expect("list").count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }
}
