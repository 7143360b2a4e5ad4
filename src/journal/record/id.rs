//! The id that names one operation across its journal records, and the only shape the reader
//! accepts for it.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Names one operation across its records, e.g. `20261130T211500Z-3fa2`: the UTC time of the
/// intent and 4 random hex digits, so two consoles starting in the same second differ.
/// A record whose id is not in this shape is not a record of this format: the reader counts it
/// as a bad line, so everything `history` lists can be named to `report`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OperationId(String);

impl TryFrom<String> for OperationId {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<OperationId> for String {
    fn from(id: OperationId) -> String {
        id.0
    }
}

impl OperationId {
    /// A new id for an operation whose intent is recorded at `now`.
    pub fn new(now: Timestamp) -> Self {
        let suffix: u16 = rand::random();
        Self(format!("{}-{suffix:04x}", now.strftime("%Y%m%dT%H%M%SZ")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for OperationId {
    type Err = String;

    /// An id as `history` shows it: `YYYYMMDDTHHMMSSZ-xxxx`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let well_formed = text.len() == 21
            && text.is_char_boundary(16)
            && text[..16].chars().enumerate().all(|(at, c)| match at {
                8 => c == 'T',
                15 => c == 'Z',
                _ => c.is_ascii_digit(),
            })
            && text[16..].starts_with('-')
            && text[17..].chars().all(|c| c.is_ascii_hexdigit());
        match well_formed {
            true => Ok(Self(text.to_owned())),
            false => Err(format!(
                "\"{}\" is not an operation id: expected one such as 20261130T211500Z-3fa2, as `avx-upgrade history` lists them",
                crate::quote::quoted(text)
            )),
        }
    }
}

impl fmt::Display for OperationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
