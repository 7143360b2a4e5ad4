//! The gateway filter language typed after `/`.
//!
//! Free words match a gateway's name, region, account or version (case-insensitive substring).
//! `key:value` predicates match one field: `cloud`, `region`, `type`, `role`, `state`,
//! `version`, `account`, `name` and `status` (the update status, as the controller's word or as
//! the console shows it: `status:failed` and `status:upgrade_fail` both match a failed gateway). Different keys combine with
//! AND, the same key given twice means OR (`cloud:aws cloud:gcp`), and `!` negates a word or a
//! predicate. A value ending in `*` matches as a prefix; `version:6.5` matches the whole train.

use std::fmt;

use memchr::memmem::Finder;
use strum::IntoEnumIterator;

use crate::snapshot::{Gateway, UpdateStatus};
use crate::version::{Train, Version};

/// A field a predicate can test. Its key (`cloud:`) is its name in lower case, read back in
/// any case.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    strum::Display,
    strum::EnumIter,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[strum(serialize_all = "lowercase", ascii_case_insensitive)]
pub enum Field {
    Cloud,
    Region,
    Type,
    Role,
    State,
    Version,
    Account,
    Name,
    Status,
}

/// One `key:value` test, or a free word.
#[derive(Debug, Clone)]
struct Test {
    field: Option<Field>,
    /// Lower-case; without its trailing `*` when `prefix`.
    value: String,
    prefix: bool,
    negated: bool,
    /// The value read as a version or a train, for `version:` without an allocation per gateway.
    version: Option<Version>,
    train: Option<Train>,
    /// The value's searcher, built once per query, for free words.
    finder: Finder<'static>,
}

/// A parsed query. The empty query matches every gateway.
#[derive(Debug, Clone, Default)]
pub struct Query {
    text: String,
    /// Positive predicates grouped by field: any in a group may match (OR), every group must.
    any_of: Vec<(Field, Vec<Test>)>,
    /// Free words and negated predicates: every one must hold.
    all_of: Vec<Test>,
}

/// A query that cannot be parsed, in words that say how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(pub String);

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a gateway offers to the filter besides its record: its live update status, and the
/// positions of its region, account and version in the fleet's [`Dictionaries`].
pub struct Subject<'a> {
    pub gateway: &'a Gateway,
    pub update_status: &'a str,
    pub region: usize,
    pub account: usize,
    pub version: usize,
    /// Whether the name is lower-case ASCII, so free words match it byte for byte.
    pub lower_case: bool,
}

/// The fleet's distinct regions, accounts and versions as text (a few dozen each, even for
/// 100,000 gateways), so a free word is matched against each once per filter, not once per
/// gateway.
#[derive(Debug, Clone, Copy)]
pub struct Dictionaries<'a> {
    pub regions: &'a [String],
    pub accounts: &'a [String],
    pub versions: &'a [String],
}

/// A query ready to run over one fleet.
pub struct Prepared<'q> {
    query: &'q Query,
    /// For each test of `all_of`: which distinct values a free word matches.
    hits: Vec<Option<Hits>>,
}

/// The distinct regions, accounts and versions one free word matches.
struct Hits {
    regions: Vec<bool>,
    accounts: Vec<bool>,
    versions: Vec<bool>,
}

impl Prepared<'_> {
    /// Whether `subject` passes.
    pub fn matches(&self, subject: &Subject<'_>) -> bool {
        let query = self.query;
        query
            .all_of
            .iter()
            .zip(&self.hits)
            .all(|(test, hits)| test.holds(subject, hits.as_ref()) != test.negated)
            && query
                .any_of
                .iter()
                .all(|(_, tests)| tests.iter().any(|test| test.holds(subject, None)))
    }
}

/// Two queries are the same when they were written the same.
impl PartialEq for Query {
    fn eq(&self, other: &Query) -> bool {
        self.text == other.text
    }
}

impl Eq for Query {}

impl Query {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        let mut query = Query {
            text: text.trim().to_owned(),
            ..Query::default()
        };
        for word in text.split_whitespace() {
            let test = parse_word(word)?;
            match (test.field, test.negated) {
                (Some(field), false) => query.push_any(field, test),
                _ => query.all_of.push(test),
            }
        }
        Ok(query)
    }

    fn push_any(&mut self, field: Field, test: Test) {
        match self.any_of.iter_mut().find(|(known, _)| *known == field) {
            Some((_, tests)) => tests.push(test),
            None => self.any_of.push((field, vec![test])),
        }
    }

    /// The query as typed (trimmed); empty for "no filter".
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn is_empty(&self) -> bool {
        self.any_of.is_empty() && self.all_of.is_empty()
    }

    /// The query matched against the fleet's distinct values, ready for each gateway.
    pub fn prepare(&self, dictionaries: Dictionaries<'_>) -> Prepared<'_> {
        let hits = self
            .all_of
            .iter()
            .map(|test| {
                test.field.is_none().then(|| Hits {
                    regions: test.word_hits(dictionaries.regions),
                    accounts: test.word_hits(dictionaries.accounts),
                    versions: test.word_hits(dictionaries.versions),
                })
            })
            .collect();
        Prepared { query: self, hits }
    }
}

fn parse_word(word: &str) -> Result<Test, QueryError> {
    let (negated, body) = match word.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, word),
    };
    let (field, value) = match body.split_once(':') {
        Some((key, value)) => {
            let field: Field = key.parse().map_err(|_| {
                let keys: Vec<&str> = Field::iter().map(<&str>::from).collect();
                QueryError(format!(
                    "unknown filter key \"{key}\": use {}",
                    keys.join(", ")
                ))
            })?;
            (Some(field), value)
        }
        None => (None, body),
    };
    if value.is_empty() {
        return Err(QueryError(format!(
            "\"{word}\" has nothing to match: write a value, e.g. cloud:aws"
        )));
    }
    let lower = value.to_lowercase();
    let (value, prefix) = match lower.strip_suffix('*') {
        Some(stem) => (stem.to_owned(), true),
        None => (lower, false),
    };
    let (version, train) = match (field, prefix) {
        (Some(Field::Version), false) => (value.parse().ok(), value.parse().ok()),
        _ => (None, None),
    };
    let finder = Finder::new(value.as_bytes()).into_owned();
    Ok(Test {
        field,
        value,
        prefix,
        negated,
        version,
        train,
        finder,
    })
}

impl Test {
    fn holds(&self, subject: &Subject<'_>, hits: Option<&Hits>) -> bool {
        let gateway = subject.gateway;
        let Some(field) = self.field else {
            let hit = |values: Option<&Vec<bool>>, at: usize| {
                values
                    .and_then(|values| values.get(at).copied())
                    .unwrap_or(false)
            };
            return self.word_in(&gateway.name, subject.lower_case)
                || hit(hits.map(|hits| &hits.regions), subject.region)
                || hit(hits.map(|hits| &hits.accounts), subject.account)
                || hit(hits.map(|hits| &hits.versions), subject.version);
        };
        match field {
            Field::Cloud => self.equals(gateway.cloud.name()),
            Field::Region => self.equals(&gateway.region),
            Field::Type => self.equals(gateway.gw_type.name()),
            Field::Role => self.equals(gateway.role.name()),
            Field::State => self.equals(gateway.state.name()),
            Field::Version => self.version(gateway),
            Field::Account => self.equals(gateway.account.as_deref().unwrap_or("")),
            Field::Name => self.equals(&gateway.name),
            Field::Status => {
                self.equals(subject.update_status)
                    || self.equals(UpdateStatus::label_of(subject.update_status))
            }
        }
    }

    /// Whether this free word is in `text`; `lower_case` says `text` is lower-case ASCII.
    fn word_in(&self, text: &str, lower_case: bool) -> bool {
        if lower_case {
            return self.finder.find(text.as_bytes()).is_some();
        }
        contains_ignore_case(text, &self.value)
    }

    /// For each of `values`, whether this free word is in it.
    fn word_hits(&self, values: &[String]) -> Vec<bool> {
        values
            .iter()
            .map(|value| contains_ignore_case(value, &self.value))
            .collect()
    }

    /// Case-insensitive equality, or a prefix test for `value*`.
    fn equals(&self, actual: &str) -> bool {
        let Some(head) = actual.get(..self.value.len()) else {
            return false;
        };
        head.eq_ignore_ascii_case(&self.value) && (self.prefix || actual.len() == self.value.len())
    }

    /// `version:6.5.250` is that build; `version:6.5` is the whole train.
    fn version(&self, gateway: &Gateway) -> bool {
        let version = gateway.software_version;
        if self.prefix {
            return self.equals(&version.to_string());
        }
        self.version == Some(version) || self.train == Some(version.train())
    }
}

/// Whether `text` contains `needle` (lower-case) whatever the case of `text`, without
/// allocating for the usual lower-case ASCII text.
fn contains_ignore_case(text: &str, needle: &str) -> bool {
    if !text.bytes().any(|byte| byte.is_ascii_uppercase()) && text.is_ascii() {
        return text.contains(needle);
    }
    if !needle.is_ascii() || !text.is_ascii() {
        return text.to_lowercase().contains(needle);
    }
    let needle = needle.as_bytes();
    needle.is_empty()
        || text
            .as_bytes()
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Cloud;
    use crate::snapshot::{GatewayType, Role};

    fn gateway(name: &str, cloud: Cloud, region: &str, gw_type: GatewayType) -> Gateway {
        let mut gateway = Gateway::new(
            name,
            cloud,
            region,
            gw_type,
            Role::Primary,
            "6.5.250".parse().expect("version"),
        );
        gateway.account = Some("prod-acct".into());
        gateway
    }

    fn passes(query: &str, gateway: &Gateway) -> bool {
        let query = Query::parse(query).expect("query parses");
        let regions = [gateway.region.clone()];
        let accounts = [gateway.account.clone().unwrap_or_default()];
        let versions = [gateway.software_version.to_string()];
        let prepared = query.prepare(Dictionaries {
            regions: &regions,
            accounts: &accounts,
            versions: &versions,
        });
        prepared.matches(&Subject {
            gateway,
            update_status: "complete",
            region: 0,
            account: 0,
            version: 0,
            // The fast path for lower-case names, the general one otherwise.
            lower_case: gateway.name.bytes().all(|byte| !byte.is_ascii_uppercase()),
        })
    }

    #[test]
    fn free_text_matches_name_region_account_and_version() {
        let east = gateway(
            "Transit-East",
            Cloud::Aws,
            "us-east-1",
            GatewayType::Transit,
        );
        assert!(passes("transit-e", &east));
        assert!(passes("US-EAST", &east));
        assert!(passes("prod-acct", &east));
        assert!(passes("6.5.250", &east));
        assert!(!passes("west", &east));
    }

    #[test]
    fn different_keys_and_same_key_or() {
        let aws = gateway("a", Cloud::Aws, "us-east-1", GatewayType::Transit);
        let gcp = gateway("g", Cloud::Gcp, "us-east1", GatewayType::Spoke);
        assert!(passes("cloud:aws type:transit", &aws));
        assert!(!passes("cloud:aws type:spoke", &aws));
        assert!(passes("cloud:aws cloud:gcp", &aws));
        assert!(passes("cloud:aws cloud:gcp", &gcp));
        assert!(!passes("cloud:azure cloud:oci", &gcp));
    }

    #[test]
    fn negation_of_words_and_predicates() {
        let aws = gateway("a-transit", Cloud::Aws, "us-east-1", GatewayType::Transit);
        assert!(!passes("!cloud:aws", &aws));
        assert!(passes("!cloud:gcp !cloud:azure", &aws));
        assert!(!passes("!transit", &aws));
        assert!(passes("cloud:aws !role:secondary", &aws));
    }

    #[test]
    fn exact_values_prefixes_and_trains() {
        let mut aws = gateway("a", Cloud::AwsGov, "us-gov-west-1", GatewayType::Spoke);
        aws.role = Role::Secondary;
        assert!(!passes("cloud:aws", &aws), "aws does not match aws-gov");
        assert!(passes("cloud:aws*", &aws));
        assert!(passes("region:us-gov-*", &aws));
        assert!(passes("role:SECONDARY", &aws));
        assert!(passes("version:6.5", &aws));
        assert!(passes("version:6.5.250", &aws));
        assert!(!passes("version:6.5.25", &aws));
        assert!(passes("status:complete", &aws));
        assert!(passes("state:up", &aws));
    }

    #[test]
    fn case_is_ignored_for_ascii_and_other_text() {
        assert!(contains_ignore_case("Transit-EAST", "t-east"));
        assert!(contains_ignore_case("plain", "lai"));
        assert!(!contains_ignore_case("plain", "lain!"));
        assert!(contains_ignore_case("Zürich-GW", "zürich"));
    }

    #[test]
    fn bad_queries_say_what_to_write() {
        let unknown = Query::parse("colour:red").expect_err("unknown key");
        assert!(
            unknown.0.contains("unknown filter key \"colour\""),
            "{unknown}"
        );
        assert!(unknown.0.contains("cloud, region"), "{unknown}");
        let empty = Query::parse("cloud:").expect_err("no value");
        assert!(empty.0.contains("nothing to match"), "{empty}");
        assert!(Query::parse("   ").expect("blank").is_empty());
    }
}
