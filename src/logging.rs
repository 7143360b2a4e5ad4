//! Logging with `tracing` to a file, never to the terminal (the console owns it). The file is
//! `avx-upgrade.log` in the state directory ([`crate::paths::state_dir`]; `AVX_UPGRADE_LOG_FILE`
//! overrides it) and the level comes from `AVX_UPGRADE_LOG` (`error` … `trace`, default `info`).
//! Nothing logged carries a password, a CID or a URL with its query.

use std::fs::OpenOptions;
use std::path::PathBuf;
use std::sync::Mutex;

use tracing::Level;

/// Where the log goes.
pub fn log_path() -> Option<PathBuf> {
    if let Some(file) = std::env::var_os("AVX_UPGRADE_LOG_FILE").filter(|file| !file.is_empty()) {
        return Some(PathBuf::from(file));
    }
    crate::paths::state_dir().map(|dir| dir.join("avx-upgrade.log"))
}

/// The level `AVX_UPGRADE_LOG` asks for.
pub fn level() -> Result<Level, String> {
    match std::env::var("AVX_UPGRADE_LOG") {
        Err(_) => Ok(Level::INFO),
        Ok(text) => text.trim().parse().map_err(|_| {
            format!("AVX_UPGRADE_LOG=\"{text}\": expected error, warn, info, debug or trace")
        }),
    }
}

/// Starts logging to [`log_path`]; returns the path, or why logging is off.
pub fn init() -> Result<PathBuf, String> {
    let path = log_path().ok_or(crate::paths::NO_LOG_DIR)?;
    let level = level()?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|error| format!("cannot create {}: {error}", parent.display()))?;
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|error| format!("cannot open {}: {error}", path.display()))?;
    tracing_subscriber::fmt()
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_max_level(level)
        .try_init()
        .map_err(|error| format!("logging is already set up: {error}"))?;
    Ok(path)
}
