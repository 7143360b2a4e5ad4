//! Controller profiles: a TOML file in the config directory
//! (`$XDG_CONFIG_HOME/avx-upgrade/config.toml`, see `assets/config.sample.toml`), so an engineer
//! types `--profile prod` instead of a URL, a user and a fingerprint. Passwords are never in it:
//! a profile names the environment variable that holds one.
//!
//! ```toml
//! [profiles.prod]
//! url = "https://ctl.example.com"
//! user = "admin"
//! password_env = "AVX_PROD_PASSWORD"
//! fingerprint = "3F:0A:...:9C"     # or ca_cert = "/etc/ssl/avx-ca.pem"
//! ```

pub mod edit;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::load::{self, FileKind};
use crate::paths::config_dir;
use crate::quote::clipped;

/// One controller's connection settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub url: String,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
    #[serde(default)]
    pub fingerprint: Option<String>,
    #[serde(default)]
    pub ca_cert: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
    #[serde(default)]
    console: ConsoleSettings,
    #[serde(default)]
    client: ClientLimits,
}

/// The `[client]` section: limits of the controller client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientLimits {
    /// The largest answer read from a controller, in MB (1 to 65,536).
    #[serde(default = "default_max_answer_mb")]
    pub max_answer_mb: u64,
    /// The largest request body sent to a controller, in KB (1 to 65,536): a larger gateway
    /// selection is split into several requests.
    #[serde(default = "default_max_request_kb")]
    pub max_request_kb: u64,
}

impl Default for ClientLimits {
    fn default() -> Self {
        Self {
            max_answer_mb: default_max_answer_mb(),
            max_request_kb: default_max_request_kb(),
        }
    }
}

fn default_max_request_kb() -> u64 {
    crate::api::DEFAULT_MAX_REQUEST >> 10
}

fn default_max_answer_mb() -> u64 {
    crate::api::DEFAULT_MAX_ANSWER >> 20
}

impl ClientLimits {
    /// The answer limit in bytes.
    pub fn max_answer(&self) -> u64 {
        self.max_answer_mb << 20
    }

    /// The request limit in bytes.
    pub fn max_request(&self) -> u64 {
        self.max_request_kb << 10
    }
}

/// The `[console]` section: how the console behaves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    /// Capture the mouse (wheel scrolling); off by default so text selection works.
    #[serde(default)]
    pub mouse: bool,
    /// Open every console read-only, as if `--readonly` were given.
    #[serde(default)]
    pub readonly: bool,
    /// The gateway table's columns by name, in order (`:cols` writes it); none for as many as
    /// fit. The console checks the names.
    #[serde(default)]
    pub columns: Option<Vec<String>>,
}

/// The config file and its profiles.
#[derive(Debug, Clone)]
pub struct Config {
    path: PathBuf,
    profiles: BTreeMap<String, Profile>,
    /// The `[console]` section.
    pub console: ConsoleSettings,
    /// The `[client]` section.
    pub client: ClientLimits,
    /// A warning to show, e.g. a file others can read.
    pub warning: Option<String>,
}

/// The config file's default place.
pub fn default_path() -> Option<PathBuf> {
    config_dir().map(|dir| dir.join("config.toml"))
}

impl Config {
    /// Reads `path`; a missing file has no profiles. Errors name the file and the problem.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = load::read_text_if_present(path, FileKind::Config)
            .map_err(|error| error.to_string())?
            .unwrap_or_default();
        Self::parse(path, &text)
    }

    /// Parses the TOML `text` of the config file at `path` (named in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Self, String> {
        let file: ConfigFile = toml::from_str(text).map_err(|error| {
            let message = one_line(&error.to_string());
            format!("{}: {}", path.display(), clipped(&message))
        })?;
        if !(1..=65_536).contains(&file.client.max_answer_mb) {
            return Err(format!(
                "{}: max_answer_mb under [client] is {}: expected 1 to 65536 (MB)",
                path.display(),
                file.client.max_answer_mb
            ));
        }
        if !(1..=65_536).contains(&file.client.max_request_kb) {
            return Err(format!(
                "{}: max_request_kb under [client] is {}: expected 1 to 65536 (KB)",
                path.display(),
                file.client.max_request_kb
            ));
        }
        Ok(Self {
            path: path.to_owned(),
            profiles: file.profiles,
            console: file.console,
            client: file.client,
            warning: readable_by_others(path),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The profile called `name`, or an error listing the ones there are.
    pub fn profile(&self, name: &str) -> Result<&Profile, String> {
        self.profiles.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
            let known = if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            };
            format!(
                "no profile \"{name}\" in {} (profiles: {known})",
                self.path.display()
            )
        })
    }

    /// The profile names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }
}

fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A warning when the file can be read by other users (Unix).
fn readable_by_others(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        if mode & 0o044 != 0 {
            return Some(format!(
                "{} can be read by other users (mode {:o}): run chmod 600 {}",
                path.display(),
                mode & 0o777,
                path.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str, mode: u32) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        }
        (dir, path)
    }

    #[test]
    fn the_sample_config_loads() {
        let sample = include_str!("../../assets/config.sample.toml");
        let (_dir, path) = write(sample, 0o600);
        let config = Config::load(&path).expect("valid sample");
        let prod = config.profile("prod").expect("prod profile");
        assert!(prod.url.starts_with("https://"));
        assert!(prod.password_env.is_some());
        assert!(config.warning.is_none());
        assert!(config.names().count() >= 2);
    }

    #[test]
    fn unknown_profiles_and_keys_are_clear_errors() {
        let (_dir, path) = write("[profiles.lab]\nurl = \"https://lab\"\n", 0o600);
        let config = Config::load(&path).expect("valid");
        let error = config.profile("prod").expect_err("missing");
        assert!(
            error.contains("\"prod\"") && error.contains("lab"),
            "{error}"
        );
        let (_dir, path) = write(
            "[profiles.lab]\nurl = \"https://lab\"\npassword = \"x\"\n",
            0o600,
        );
        let error = Config::load(&path).expect_err("passwords are not allowed");
        assert!(error.contains("password"), "{error}");
    }

    #[test]
    fn a_huge_bad_line_is_quoted_short_and_limits_are_checked() {
        let (_dir, path) = write(&format!("x = \"{}", "y".repeat(900_000)), 0o600);
        let error = Config::load(&path).expect_err("unterminated string");
        assert!(
            error.len() < 600,
            "{} bytes: {}",
            error.len(),
            &error[..200]
        );
        let (_dir, path) = write("[client]\nmax_answer_mb = 0\n", 0o600);
        let error = Config::load(&path).expect_err("zero");
        assert!(error.contains("expected 1 to 65536"), "{error}");
        let (_dir, path) = write("[client]\nmax_answer_mb = 64\n", 0o600);
        assert_eq!(
            Config::load(&path).expect("valid").client.max_answer(),
            64 << 20
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_world_readable_file_gets_a_warning() {
        let (_dir, path) = write("", 0o644);
        let config = Config::load(&path).expect("valid");
        assert!(
            config
                .warning
                .as_deref()
                .is_some_and(|warning| warning.contains("chmod 600"))
        );
    }
}
