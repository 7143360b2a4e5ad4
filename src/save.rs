//! Writing a file so that a crash, a full disk or a killed session leaves the old file or the
//! new one, never half of one: a private temporary file beside it (mode 0600 on Unix), synced,
//! then renamed over it. The one way the program writes its own files (pinned certificates,
//! support summaries; later journals and reports).

use std::io::Write;
use std::path::Path;

/// Writes `text` to `path` atomically, creating its directory if needed; the temporary file
/// is removed when anything fails.
pub fn atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let parent = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty());
    if let Some(parent) = parent {
        std::fs::create_dir_all(parent)?;
    }
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp{}", std::process::id()));
    let temporary = path.with_file_name(name);
    let written =
        write_new_private(&temporary, text).and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

fn write_new_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_written_whole_private_and_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub/file.txt");
        atomically(&path, "one\n").expect("written");
        atomically(&path, "two\n").expect("replaced");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "two\n");
        let files = std::fs::read_dir(dir.path().join("sub"))
            .expect("list")
            .count();
        assert_eq!(files, 1, "no temporary file is left behind");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_path_under_a_regular_file_fails_and_leaves_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("regular");
        std::fs::write(&file, "x").expect("write");
        assert!(atomically(&file.join("child"), "y").is_err());
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
    }
}
