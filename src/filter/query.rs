//! The gateway filter language typed after `/`.
//!
//! Free words match a gateway's name, region, account or version, or the state or update status
//! the table shows (case-insensitive substring: `FAILED`, `config`). `key:value` predicates
//! match one field: `cloud`, `region`, `type`, `role`, `state`, `version`, `account`, `name` and
//! `status` (the update status). Different keys combine with AND, the same key given twice means
//! OR (`cloud:aws cloud:gcp`), and `!` negates a word or a predicate. A value ending in `*`
//! matches as a prefix; `version:6.5` matches the whole train.
//!
//! `cloud`, `type`, `role`, `state` and `status` take the words the table shows, in any case,
//! and the controller's words where they differ ([`vocabulary`]): `status:failed`,
//! `status:fail*` and `status:upgrade_fail` all match a gateway shown as `FAILED`, and
//! `status:none` one shown with no update status (`—`). Any other value is refused with the
//! list of the words; `region`, `version`, `account` and `name` take any value.

use std::fmt;

use memchr::memmem::Finder;
use strum::IntoEnumIterator;

use crate::filter::vocabulary::{self, Values};
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
    /// For a predicate on a field of fixed words: the values it names.
    named: Option<Values>,
    /// For a free word: the update statuses and the states whose shown word holds it.
    statuses: Values,
    states: Values,
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

/// What the table shows of a gateway beyond its record.
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a> {
    pub update_status: &'a UpdateStatus,
    /// The state during an operation, when the controller reported one.
    pub live_state: Option<&'a str>,
}

/// What a gateway offers to the filter besides its record: what the table shows of it, and
/// the positions of its region, account and version in the fleet's [`Dictionaries`].
pub struct Subject<'a> {
    pub gateway: &'a Gateway,
    pub shown: Shown<'a>,
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

    /// Whether this query only narrows `previous`: it lengthens its last free word
    /// (`spoke` → `spoke-1`) or adds free words after it. Free words match by containment and
    /// combine with AND, so every gateway this query keeps, `previous` kept too, and only
    /// those need testing. A key, a negation or a `*` is never taken as narrowing.
    pub fn narrows(&self, previous: &Query) -> bool {
        let (old, new) = (previous.text(), self.text());
        let Some(added) = new.strip_prefix(old).filter(|_| !old.is_empty()) else {
            return false;
        };
        let new_words_plain = added.split_whitespace().all(plain_word);
        if added.starts_with(char::is_whitespace) {
            return new_words_plain;
        }
        let last_old_plain = old.split_whitespace().last().is_some_and(plain_word);
        last_old_plain && new_words_plain
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

/// A free word with nothing that changes how it matches: no key, `!` or `*`.
fn plain_word(word: &str) -> bool {
    !word.starts_with('!') && !word.contains([':', '*'])
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
    let named = match field {
        Some(field) => vocabulary::named(field, &value, prefix)?,
        None => None,
    };
    let (statuses, states) = match field {
        Some(_) => (Values::default(), Values::default()),
        None => vocabulary::shown_holding(&value),
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
        named,
        statuses,
        states,
    })
}

impl Test {
    fn holds(&self, subject: &Subject<'_>, hits: Option<&Hits>) -> bool {
        let Some(field) = self.field else {
            return self.word_holds(subject, hits);
        };
        if let Some(named) = self.named {
            return named.contains(vocabulary::bit(field, subject));
        }
        let gateway = subject.gateway;
        match field {
            Field::Region => self.equals(&gateway.region),
            Field::Version => self.version(gateway),
            Field::Account => self.equals(gateway.account.as_deref().unwrap_or("")),
            Field::Name => self.equals(&gateway.name),
            // Always `named`: their values are a fixed list of words.
            Field::Cloud | Field::Type | Field::Role | Field::State | Field::Status => false,
        }
    }

    /// Whether this free word is in the gateway's name, region, account or version, or in the
    /// state or update status the table shows.
    fn word_holds(&self, subject: &Subject<'_>, hits: Option<&Hits>) -> bool {
        let hit = |values: Option<&Vec<bool>>, at: usize| {
            values
                .and_then(|values| values.get(at).copied())
                .unwrap_or(false)
        };
        self.word_in(&subject.gateway.name, subject.lower_case)
            || hit(hits.map(|hits| &hits.regions), subject.region)
            || hit(hits.map(|hits| &hits.accounts), subject.account)
            || hit(hits.map(|hits| &hits.versions), subject.version)
            || self.word_in_status(subject.shown.update_status)
            || self.word_in_state(subject)
    }

    /// Whether this free word is in the update status the table shows. Most words are in no
    /// status, so the status is looked up only for those that are.
    fn word_in_status(&self, status: &UpdateStatus) -> bool {
        if let UpdateStatus::Other(word) = status {
            return contains_ignore_case(word, &self.value);
        }
        !self.statuses.is_empty() && self.statuses.contains(vocabulary::status_bit(status))
    }

    /// Whether this free word is in the state the table shows.
    fn word_in_state(&self, subject: &Subject<'_>) -> bool {
        match vocabulary::state_bit(subject) {
            Some(bit) => self.states.contains(Some(bit)),
            None => subject
                .shown
                .live_state
                .is_some_and(|state| contains_ignore_case(state, &self.value)),
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
pub(super) mod tests;
