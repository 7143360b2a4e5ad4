//! The known-controllers file: certificate fingerprints pinned on first use, one controller a
//! line, like SSH's known_hosts:
//!
//! ```text
//! # avx-upgrade known controllers: HOST:PORT SHA256-FINGERPRINT
//! ctl.example.com:443 3F:0A:...:9C
//! ```
//!
//! It lives in the config directory (`$XDG_CONFIG_HOME/avx-upgrade/known_controllers`, or
//! `~/.config/...`; `AVX_UPGRADE_CONFIG_DIR` overrides the directory).

use std::path::{Path, PathBuf};

use crate::api::error::ApiError;
use crate::api::trust::normalize_fingerprint;

const HEADER: &str = "# avx-upgrade known controllers: HOST:PORT SHA256-FINGERPRINT\n";

/// The project's config directory.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("AVX_UPGRADE_CONFIG_DIR").filter(|dir| !dir.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(base.join("avx-upgrade"))
}

/// The known-controllers file in [`config_dir`].
pub fn default_path() -> Option<PathBuf> {
    config_dir().map(|dir| dir.join("known_controllers"))
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
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => {
                return Err(ApiError::Config(format!(
                    "cannot read {}: {error}",
                    path.display()
                )));
            }
        };
        let mut entries = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line_text = line.trim();
            if line_text.is_empty() || line_text.starts_with('#') {
                continue;
            }
            let malformed = || {
                ApiError::Config(format!(
                    "{}:{}: expected HOST:PORT FINGERPRINT, found \"{line_text}\"",
                    path.display(),
                    index + 1
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
        let mut text = std::fs::read_to_string(&self.path).unwrap_or_default();
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

fn write_private(path: &Path, text: &str) -> Result<(), ApiError> {
    let fail = |error: std::io::Error| {
        ApiError::Config(format!("cannot write {}: {error}", path.display()))
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    std::fs::write(path, text).map_err(fail)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(fail)?;
    }
    Ok(())
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
}
