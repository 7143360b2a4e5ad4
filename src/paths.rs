//! Where the project keeps its files, by the XDG base directory rules: the config directory
//! (profiles, keymap, pinned certificates) and the state directory (the log; later the journal).
//! Each has an override for tests and unusual setups: `AVX_UPGRADE_CONFIG_DIR` and
//! `AVX_UPGRADE_STATE_DIR`.

use std::path::PathBuf;

/// The project's config directory: `$AVX_UPGRADE_CONFIG_DIR`, else
/// `$XDG_CONFIG_HOME/avx-upgrade`, else `~/.config/avx-upgrade`.
pub fn config_dir() -> Option<PathBuf> {
    project_dir("AVX_UPGRADE_CONFIG_DIR", "XDG_CONFIG_HOME", ".config")
}

/// The project's state directory: `$AVX_UPGRADE_STATE_DIR`, else
/// `$XDG_STATE_HOME/avx-upgrade`, else `~/.local/state/avx-upgrade`.
pub fn state_dir() -> Option<PathBuf> {
    project_dir("AVX_UPGRADE_STATE_DIR", "XDG_STATE_HOME", ".local/state")
}

/// What to set when the config directory cannot be found.
pub const NO_CONFIG_DIR: &str =
    "cannot find a config directory: set HOME or AVX_UPGRADE_CONFIG_DIR";

/// What to set when there is no place for the log.
pub const NO_LOG_DIR: &str =
    "no log directory: set HOME, AVX_UPGRADE_STATE_DIR or AVX_UPGRADE_LOG_FILE";

fn project_dir(override_variable: &str, xdg_variable: &str, under_home: &str) -> Option<PathBuf> {
    if let Some(dir) = non_empty(override_variable) {
        return Some(dir);
    }
    let base =
        non_empty(xdg_variable).or_else(|| non_empty("HOME").map(|home| home.join(under_home)))?;
    Some(base.join("avx-upgrade"))
}

fn non_empty(variable: &str) -> Option<PathBuf> {
    std::env::var_os(variable)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}
