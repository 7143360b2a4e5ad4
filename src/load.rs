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
        serde::de::Error::custom(format!("invalid {what} \"{text}\": expected {expected}"))
    })
}

/// Reads `path` whole; the error names the file and the operating system's reason.
pub fn read_file(path: &Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|error| LoadError {
        file: path.display().to_string(),
        location: Location::File,
        message: error.to_string(),
    })
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
            error.inner().to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
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
        let error = read_file(Path::new("/nonexistent/avx.json")).expect_err("missing");
        let text = error.to_string();
        assert!(
            text.starts_with("/nonexistent/avx.json: cannot read the file: "),
            "{text}"
        );
        assert_eq!(error.json_path(), None);
    }
}
