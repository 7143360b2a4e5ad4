//! Changing one setting of the config file the way a person would: the rest of the file, its
//! comments and its layout stay as they were (`toml_edit`), and the file is replaced
//! atomically ([`crate::save::atomically`]), so a killed session leaves the old file or the
//! new one. Today the console's column choice is the one setting the program writes.

use std::path::Path;

use toml_edit::{Array, DocumentMut, Item, Table, value};

use crate::load::{self, FileKind};
use crate::quote::clipped;

/// Sets `[console] columns` in the file at `path` to `columns`, or removes it for `None`
/// (as many columns as fit). A missing file is created with just that.
pub fn set_console_columns(path: &Path, columns: Option<&[String]>) -> Result<(), String> {
    let text = load::read_text_if_present(path, FileKind::Config)
        .map_err(|error| error.to_string())?
        .unwrap_or_default();
    let edited = with_console_columns(&text, columns).map_err(|error| {
        format!(
            "{}: the columns were not saved: {error}; fix the file (avx-upgrade config sample shows one)",
            path.display()
        )
    })?;
    crate::save::atomically(path, &edited)
        .map_err(|error| format!("{}: the columns were not saved: {error}", path.display()))
}

/// The config file's `text` with `[console] columns` set or removed, everything else kept.
pub fn with_console_columns(text: &str, columns: Option<&[String]>) -> Result<String, String> {
    let mut document: DocumentMut = text
        .parse()
        .map_err(|error: toml_edit::TomlError| clipped(error.message()).to_string())?;
    let console = document
        .entry("console")
        .or_insert_with(|| Item::Table(Table::new()));
    let Some(console) = console.as_table_like_mut() else {
        return Err("console is not a table: write it as [console]".into());
    };
    match columns {
        Some(columns) => {
            let array: Array = columns.iter().map(String::as_str).collect();
            console.insert("columns", value(array));
        }
        None => {
            console.remove("columns");
        }
    }
    Ok(document.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn the_columns_are_set_and_every_comment_stays() {
        let text = "# my controllers\n[profiles.prod]\nurl = \"https://ctl\" # the main one\n\n# how it looks\n[console]\nmouse = true\n";
        let columns = names(&["name", "cloud", "role"]);
        let edited = with_console_columns(text, Some(&columns)).expect("edited");
        assert!(edited.contains("# my controllers"), "{edited}");
        assert!(edited.contains("# the main one"), "{edited}");
        assert!(edited.contains("# how it looks"), "{edited}");
        assert!(edited.contains("mouse = true"), "{edited}");
        assert!(
            edited.contains(r#"columns = ["name", "cloud", "role"]"#),
            "{edited}"
        );
        let again = with_console_columns(&edited, Some(&names(&["name"]))).expect("edited");
        assert!(again.contains(r#"columns = ["name"]"#), "{again}");
        assert_eq!(again.matches("columns").count(), 1, "{again}");
        let cleared = with_console_columns(&again, None).expect("cleared");
        assert!(!cleared.contains("columns"), "{cleared}");
        assert!(cleared.contains("# the main one"), "{cleared}");
    }

    #[test]
    fn an_empty_file_gets_a_console_section() {
        let edited = with_console_columns("", Some(&names(&["name"]))).expect("edited");
        assert!(edited.contains("[console]"), "{edited}");
        let read: toml::Table = toml::from_str(&edited).expect("valid TOML");
        assert_eq!(read["console"]["columns"][0].as_str(), Some("name"));
    }

    #[test]
    fn a_broken_file_is_left_alone_with_a_clear_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[console\nmouse = true\n").expect("write");
        let error = set_console_columns(&path, Some(&names(&["name"]))).expect_err("broken");
        assert!(error.contains("the columns were not saved"), "{error}");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "[console\nmouse = true\n"
        );
        std::fs::write(&path, "console = 3\n").expect("write");
        let error = set_console_columns(&path, Some(&names(&["name"]))).expect_err("not a table");
        assert!(error.contains("[console]"), "{error}");
    }

    #[test]
    fn a_missing_file_is_created_private() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("avx-upgrade").join("config.toml");
        set_console_columns(&path, Some(&names(&["name", "target"]))).expect("saved");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(r#"columns = ["name", "target"]"#), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
