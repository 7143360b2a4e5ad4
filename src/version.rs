//! Aviatrix release numbers: `Version` (major.minor.build) and `Train` (major.minor).
//!
//! The controller writes versions as `UserConnect-6.5.750` and gateways as `6.5.750`; both parse
//! here, with surrounding whitespace. A train is written `6.5`. A [`Target`] is what a user may
//! type as an upgrade target: either form. Each part is at most [`PART_MAX`], and an error quotes
//! at most a short prefix of the input it refuses.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::quote::quoted;

/// The prefix the controller puts in front of its own version.
pub const USERCONNECT_PREFIX: &str = "UserConnect-";

const VERSION_FORM: &str = "MAJOR.MINOR.BUILD, such as 6.5.750 or UserConnect-6.5.750";
const TRAIN_FORM: &str = "MAJOR.MINOR, such as 6.5";
const TARGET_FORM: &str = "a train such as 6.5 or a version such as 6.5.750";

/// The largest number one part of a release number may be. No real release comes near it;
/// anything larger is refused so that absurd values cannot reach the planner.
pub const PART_MAX: u32 = u32::MAX;

/// Input that is not a version, a train or a target, with the form that was expected. The
/// input is kept quoted (a short prefix, see [`crate::quote`]), never whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} \"{input}\": {problem}")]
pub struct VersionError {
    what: &'static str,
    input: String,
    problem: Problem,
}

/// Why input is not a version, a train or a target.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    /// It does not have the form; the form that was expected.
    Form(&'static str),
    /// A part is larger than [`PART_MAX`].
    TooLarge,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Form(expected) => write!(f, "expected {expected}"),
            Problem::TooLarge => write!(
                f,
                "a part is too large: expected numbers of at most {PART_MAX} each"
            ),
        }
    }
}

impl VersionError {
    fn new(what: &'static str, input: &str, expected: &'static str) -> Self {
        Self::with(what, input, Problem::Form(expected))
    }

    fn with(what: &'static str, input: &str, problem: Problem) -> Self {
        Self {
            what,
            input: quoted(input).to_string(),
            problem,
        }
    }

    /// The same error about `input` read as a `what`, when a part was too large; `None` when the
    /// input did not have the form.
    fn too_large_as(&self, what: &'static str, input: &str) -> Option<Self> {
        (self.problem == Problem::TooLarge).then(|| Self::with(what, input, Problem::TooLarge))
    }
}

/// `part` when it is at most [`PART_MAX`].
fn bounded(part: u64) -> Result<u32, Problem> {
    u32::try_from(part).map_err(|_| Problem::TooLarge)
}

/// A minor release line, `MAJOR.MINOR`. Upgrades move one train at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Train {
    pub major: u32,
    pub minor: u32,
}

/// The first train of the 7.1 protocol: asynchronous calls answer a string request id and a
/// platform upgrade is followed with `platform_upgrade_status`. Controllers of older trains
/// (6.5–7.0) answer an integer id and are followed with `check_upgrade_status` on backend1,
/// its fields at the top level (docs/controller-api.md, "Eras").
pub const STATUS_API_TRAIN: Train = Train { major: 7, minor: 1 };

/// One published build, `MAJOR.MINOR.BUILD`. Ordered by major, then minor, then build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub build: u32,
}

impl Train {
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// True when this train is older than 6.5, the first with selective gateway upgrades.
    pub fn before_selective_upgrade(self) -> bool {
        self < Train::new(6, 5)
    }
}

impl Version {
    pub const fn new(major: u32, minor: u32, build: u32) -> Self {
        Self {
            major,
            minor,
            build,
        }
    }

    pub fn train(self) -> Train {
        Train::new(self.major, self.minor)
    }

    /// The controller's spelling: `UserConnect-6.5.750`.
    pub fn user_connect(self) -> String {
        format!("{USERCONNECT_PREFIX}{self}")
    }
}

impl fmt::Display for Train {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.build)
    }
}

impl FromStr for Version {
    type Err = VersionError;

    /// Accepts `6.5.750` and `UserConnect-6.5.750`, with surrounding whitespace.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let trimmed = input.trim();
        let bare = trimmed.strip_prefix(USERCONNECT_PREFIX).unwrap_or(trimmed);
        let parsed = semver::Version::parse(bare)
            .map_err(|_| VersionError::new("version", input, VERSION_FORM))?;
        if !parsed.pre.is_empty() || !parsed.build.is_empty() {
            return Err(VersionError::new("version", input, VERSION_FORM));
        }
        let part = |number| {
            bounded(number).map_err(|problem| VersionError::with("version", input, problem))
        };
        Ok(Version::new(
            part(parsed.major)?,
            part(parsed.minor)?,
            part(parsed.patch)?,
        ))
    }
}

impl FromStr for Train {
    type Err = VersionError;

    /// Accepts `6.5`: two dot-separated numbers without leading zeros.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let part = |text| {
            parse_number(text).map_err(|problem| VersionError::with("train", input, problem))
        };
        let (major, minor) = input
            .split_once('.')
            .ok_or_else(|| VersionError::new("train", input, TRAIN_FORM))?;
        Ok(Train::new(part(major)?, part(minor)?))
    }
}

/// A decimal number as semver writes one (digits only, no sign, no leading zero), at most
/// [`PART_MAX`].
fn parse_number(text: &str) -> Result<u32, Problem> {
    let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let leading_zero = text.len() > 1 && text.starts_with('0');
    if !digits_only || leading_zero {
        return Err(Problem::Form(TRAIN_FORM));
    }
    // Digits only, so a number that does not fit a u64 is too large as well.
    text.parse::<u64>()
        .map_err(|_| Problem::TooLarge)
        .and_then(bounded)
}

/// What a user may ask to upgrade to: a whole train (its newest build) or one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Train(Train),
    Version(Version),
}

impl Target {
    pub fn train(self) -> Train {
        match self {
            Target::Train(train) => train,
            Target::Version(version) => version.train(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Train(train) => train.fmt(f),
            Target::Version(version) => version.fmt(f),
        }
    }
}

impl FromStr for Target {
    type Err = VersionError;

    /// A train (`6.5`) when the input has one dot, otherwise a version; whitespace around is ignored.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let as_train = input.trim().parse::<Train>();
        if let Ok(train) = as_train {
            return Ok(Target::Train(train));
        }
        input
            .parse::<Version>()
            .map(Target::Version)
            .map_err(|error| {
                as_train
                    .err()
                    .into_iter()
                    .chain([error])
                    .find_map(|error| error.too_large_as("target", input))
                    .unwrap_or_else(|| VersionError::new("target", input, TARGET_FORM))
            })
    }
}

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Train {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Train {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_written_forms() {
        assert_eq!("6.5.750".parse(), Ok(Version::new(6, 5, 750)));
        assert_eq!("UserConnect-6.5.750".parse(), Ok(Version::new(6, 5, 750)));
        assert_eq!("6.5".parse(), Ok(Train::new(6, 5)));
    }

    #[test]
    fn versions_accept_surrounding_whitespace() {
        assert_eq!(" 6.5.750\n".parse(), Ok(Version::new(6, 5, 750)));
        assert_eq!(
            "\tUserConnect-7.2.5090 ".parse(),
            Ok(Version::new(7, 2, 5090))
        );
    }

    #[test]
    fn bad_versions_quote_the_input_and_the_expected_form() {
        for bad in [
            "",
            "6.5",
            "6.5.x",
            "6.5.750-rc1",
            "6.5.750+b",
            "v6.5.750",
            "6.05.1",
            "UserConnect 6.5.1",
        ] {
            let error = bad.parse::<Version>().expect_err(bad).to_string();
            assert!(error.contains(&format!("\"{bad}\"")), "{error}");
            assert!(error.contains("MAJOR.MINOR.BUILD"), "{error}");
        }
    }

    #[test]
    fn bad_trains_quote_the_input_and_the_expected_form() {
        for bad in [
            "6",
            "6.",
            ".5",
            "6.5.1",
            "6.x",
            "-6.5",
            "06.5",
            "UserConnect-6.5",
        ] {
            let error = bad.parse::<Train>().expect_err(bad).to_string();
            assert!(error.contains(&format!("\"{bad}\"")), "{error}");
            assert!(error.contains("MAJOR.MINOR"), "{error}");
        }
    }

    #[test]
    fn parts_beyond_u32_are_refused() {
        let largest = format!("{PART_MAX}.{PART_MAX}.{PART_MAX}");
        assert_eq!(
            largest.parse(),
            Ok(Version::new(PART_MAX, PART_MAX, PART_MAX))
        );
        let huge = u64::MAX;
        let just_over = u64::from(PART_MAX) + 1;
        for bad in [
            format!("6.5.{huge}"),
            format!("{huge}.5.750"),
            format!("UserConnect-6.{just_over}.1"),
        ] {
            let error = bad.parse::<Version>().expect_err(&bad).to_string();
            assert!(error.contains(&format!("\"{bad}\"")), "{error}");
            assert!(error.contains("too large"), "{error}");
        }
        for bad in [
            format!("6.{just_over}"),
            format!("{huge}.5"),
            "7.99999999999999999999999".to_owned(),
        ] {
            let error = bad.parse::<Train>().expect_err(&bad).to_string();
            assert!(error.contains("too large"), "{error}");
        }
        for bad in [format!("6.{just_over}"), format!("6.5.{huge}")] {
            let error = bad.parse::<Target>().expect_err(&bad).to_string();
            assert!(error.starts_with("invalid target"), "{error}");
            assert!(error.contains("too large"), "{error}");
        }
    }

    #[test]
    fn a_megabyte_of_input_gives_a_short_error() {
        let huge = format!("7.0.{}", "0".repeat(1 << 20));
        for error in [
            huge.parse::<Version>()
                .expect_err("not a version")
                .to_string(),
            huge.parse::<Train>().expect_err("not a train").to_string(),
            huge.parse::<Target>()
                .expect_err("not a target")
                .to_string(),
            serde_json::from_str::<Version>(&format!("\"{huge}\""))
                .expect_err("not a version")
                .to_string(),
        ] {
            let start: String = error.chars().take(300).collect();
            assert!(error.len() < 300, "{} bytes: {start}", error.len());
            assert!(error.contains("7.0.000"), "{error}");
            assert!(
                error.contains(&format!("({} bytes)", huge.len())),
                "{error}"
            );
        }
    }

    #[test]
    fn ordering_is_major_then_minor_then_build() {
        let mut versions: Vec<Version> = ["7.0.1", "6.10.2", "6.9.999", "6.10.10", "6.4.2776"]
            .iter()
            .map(|text| text.parse().expect(text))
            .collect();
        versions.sort();
        let sorted: Vec<String> = versions.iter().map(Version::to_string).collect();
        assert_eq!(
            sorted,
            ["6.4.2776", "6.9.999", "6.10.2", "6.10.10", "7.0.1"]
        );
        assert!(Train::new(6, 10) > Train::new(6, 9));
        assert!(Train::new(7, 0) > Train::new(6, 99));
    }

    #[test]
    fn targets_are_trains_or_versions() {
        assert_eq!("6.6".parse(), Ok(Target::Train(Train::new(6, 6))));
        assert_eq!(
            " UserConnect-6.6.900 ".parse(),
            Ok(Target::Version(Version::new(6, 6, 900)))
        );
        let error = "latest-ish".parse::<Target>().expect_err("not a target");
        assert!(error.to_string().contains("\"latest-ish\""));
    }

    #[test]
    fn display_round_trips_and_user_connect_is_prefixed() {
        let version = Version::new(6, 4, 321);
        assert_eq!(version.to_string().parse(), Ok(version));
        assert_eq!(version.user_connect(), "UserConnect-6.4.321");
        assert!(version.train().before_selective_upgrade());
        assert!(!Train::new(6, 5).before_selective_upgrade());
    }

    #[test]
    fn serde_reads_prefixed_and_writes_bare() {
        let version: Version = serde_json::from_str("\"UserConnect-6.5.750\"").expect("parses");
        assert_eq!(
            serde_json::to_string(&version).expect("writes"),
            "\"6.5.750\""
        );
        let error = serde_json::from_str::<Version>("\"6.5\"").expect_err("train is not a version");
        assert!(error.to_string().contains("MAJOR.MINOR.BUILD"));
    }
}
