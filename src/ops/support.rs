//! Writes a support summary (text made by the console) to a file in the state directory,
//! atomically and privately ([`crate::save`]).

use std::path::{Path, PathBuf};

use crate::paths;

/// Writes `text` as `name` in the state directory; the path, or what failed and what to set.
pub fn write_in_state_dir(name: &str, text: &str) -> Result<PathBuf, String> {
    let dir = paths::state_dir()
        .ok_or("no state directory for the support summary: set HOME or AVX_UPGRADE_STATE_DIR")?;
    write(&dir, name, text).map_err(|error| {
        format!(
            "cannot write the support summary in {}: {error}",
            dir.display()
        )
    })
}

/// Writes `text` as `dir/name` atomically ([`crate::save::atomically`]).
pub fn write(dir: &Path, name: &str, text: &str) -> std::io::Result<PathBuf> {
    let path = dir.join(name);
    crate::save::atomically(&path, text)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_is_written_whole_and_nothing_else_is_left() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("state");
        let path =
            write(&target, "support-x.txt", "operation Platform Upgrade\n").expect("written");
        assert_eq!(path, target.join("support-x.txt"));
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, "operation Platform Upgrade\n");
        let files = std::fs::read_dir(&target).expect("list").count();
        assert_eq!(files, 1, "no temporary file is left behind");
    }
}
