//! A gateway's Update Status: the words of `list_gateway_upgrade_status`'s `update_status`
//! (controller-api.md §3.4, Confirmed), typed once for the client, the filter and the console.
//! A word this build does not know is kept as it came ([`UpdateStatus::Other`]), never
//! dropped or mistaken for a known one.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What the controller says an operation is doing to a gateway.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum UpdateStatus {
    /// No status given (the empty word).
    #[default]
    None,
    Upgrading,
    Downloading,
    Downloaded,
    Installing,
    Initializing,
    Complete,
    UpgradeFail,
    /// A word this build does not know, as the controller wrote it.
    Other(String),
}

impl UpdateStatus {
    /// Every word this build knows, with its status.
    pub const WORDS: [(&'static str, UpdateStatus); 8] = [
        ("", UpdateStatus::None),
        ("upgrading", UpdateStatus::Upgrading),
        ("downloading", UpdateStatus::Downloading),
        ("downloaded", UpdateStatus::Downloaded),
        ("installing", UpdateStatus::Installing),
        ("initializing", UpdateStatus::Initializing),
        ("complete", UpdateStatus::Complete),
        ("upgrade_fail", UpdateStatus::UpgradeFail),
    ];

    /// Every status this build knows a word for (not [`UpdateStatus::None`]).
    pub fn known() -> Vec<UpdateStatus> {
        Self::WORDS
            .into_iter()
            .map(|(_, status)| status)
            .filter(|status| *status != UpdateStatus::None)
            .collect()
    }

    /// The status for a word on the wire.
    pub fn from_wire(word: &str) -> UpdateStatus {
        Self::WORDS
            .iter()
            .find(|(known, _)| *known == word)
            .map_or_else(
                || UpdateStatus::Other(word.to_owned()),
                |(_, status)| status.clone(),
            )
    }

    /// The word on the wire (empty for [`UpdateStatus::None`]).
    pub fn as_str(&self) -> &str {
        match self {
            UpdateStatus::Other(word) => word,
            known => Self::WORDS
                .iter()
                .find(|(_, status)| status == known)
                .map_or("", |(word, _)| word),
        }
    }

    /// The word a person reads: `FAILED` for a failure, the wire word otherwise.
    pub fn label(&self) -> &str {
        Self::label_of(self.as_str())
    }

    /// The word a person reads for a word on the wire (see [`UpdateStatus::label`]).
    pub fn label_of(word: &str) -> &str {
        if word == UpdateStatus::UpgradeFail.as_str() {
            return "FAILED";
        }
        word
    }

    /// True while an operation works on the gateway.
    pub fn in_progress(&self) -> bool {
        matches!(
            self,
            UpdateStatus::Upgrading
                | UpdateStatus::Downloading
                | UpdateStatus::Downloaded
                | UpdateStatus::Installing
                | UpdateStatus::Initializing
        )
    }
}

impl From<&str> for UpdateStatus {
    fn from(word: &str) -> Self {
        UpdateStatus::from_wire(word)
    }
}

impl fmt::Display for UpdateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for UpdateStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for UpdateStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let word = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(UpdateStatus::from_wire(&word))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back_and_unknown_words_are_kept() {
        for (word, status) in UpdateStatus::WORDS {
            assert_eq!(UpdateStatus::from_wire(word), status);
            assert_eq!(status.as_str(), word);
        }
        let other = UpdateStatus::from_wire("rebooting");
        assert_eq!(other, UpdateStatus::Other("rebooting".into()));
        assert_eq!(other.as_str(), "rebooting");
        assert!(!other.in_progress());
        assert_eq!(UpdateStatus::UpgradeFail.label(), "FAILED");
        let json: UpdateStatus = serde_json::from_str("\"installing\"").expect("a word");
        assert!(json.in_progress());
    }
}
