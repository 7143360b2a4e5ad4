//! The words the filter takes for the fields whose values are a fixed list: `cloud`, `type`,
//! `role`, `state` and `status`. They are derived from the types that define those values, so
//! the filter takes every word the gateway table shows: each value answers to its shown word
//! and to the controller's word when that differs (`status:failed` and `status:upgrade_fail`),
//! in any case, and `status:none` stands for the `—` of a gateway with no update status. A
//! value that names none of them is refused with the list of the words that do.

use strum::IntoEnumIterator;

use crate::cloud::Cloud;
use crate::filter::query::{Field, QueryError, Subject};
use crate::quote::quoted;
use crate::snapshot::{GatewayState, GatewayType, Role, UpdateStatus};

/// The word `status:` takes for a gateway with no update status, which the table shows as `—`.
pub const NO_STATUS: &str = "none";

/// The word the filter takes for `status`, as the table shows it: its label, or [`NO_STATUS`]
/// for the `—` of no status.
pub fn status_word(status: &UpdateStatus) -> &str {
    word_for_label(status.label())
}

/// The filter's word for a status's label: the label, or [`NO_STATUS`] for the empty one.
fn word_for_label(label: &str) -> &str {
    match label {
        "" => NO_STATUS,
        label => label,
    }
}

/// A set of the values of one field, a bit each (a value's bit is its position in its type).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Values(u32);

impl Values {
    /// Whether the value at `bit` is in the set; never for a value outside the list (`None`).
    pub fn contains(self, bit: Option<u32>) -> bool {
        bit.is_some_and(|bit| self.0 & (1 << bit) != 0)
    }

    fn with(self, bit: u32) -> Values {
        Values(self.0 | (1 << bit))
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// One value of a field and the words it answers to.
struct Value {
    bit: u32,
    /// The word the table shows first, then the others.
    words: Vec<&'static str>,
}

impl Value {
    fn new(bit: u32, words: Vec<&'static str>) -> Value {
        Value { bit, words }
    }

    /// Whether `wanted` (lower-case) names this value: a whole word, or the start of one.
    fn named(&self, wanted: &str, prefix: bool) -> bool {
        self.words.iter().any(|word| {
            word.get(..wanted.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(wanted))
                && (prefix || word.len() == wanted.len())
        })
    }

    /// The value for a hint: `failed (or upgrade_fail)`.
    fn hint(&self) -> String {
        match self.words.split_first() {
            Some((shown, [])) => (*shown).to_owned(),
            Some((shown, others)) => format!("{shown} (or {})", others.join(", ")),
            None => String::new(),
        }
    }
}

/// The values of `field`, in order; none for the open-ended fields (region, version, account,
/// name), which take any value.
fn values(field: Field) -> Vec<Value> {
    match field {
        Field::Cloud => Cloud::iter()
            .map(|cloud| Value::new(cloud as u32, vec![cloud.name()]))
            .collect(),
        Field::Type => GatewayType::iter()
            .map(|gw_type| Value::new(gw_type as u32, vec![gw_type.name()]))
            .collect(),
        Field::Role => Role::iter()
            .map(|role| Value::new(role as u32, vec![role.name()]))
            .collect(),
        Field::State => GatewayState::iter()
            .map(|state| Value::new(state as u32, vec![state.name()]))
            .collect(),
        Field::Status => (0..)
            .zip(UpdateStatus::WORDS)
            .map(|(bit, (wire, _))| Value::new(bit, status_words(wire)))
            .collect(),
        Field::Region | Field::Version | Field::Account | Field::Name => Vec::new(),
    }
}

/// The words of the update status written `wire` on the wire: the shown word, then the wire
/// word when it differs.
fn status_words(wire: &'static str) -> Vec<&'static str> {
    let shown = word_for_label(UpdateStatus::label_of(wire));
    if shown.eq_ignore_ascii_case(wire) {
        return vec![shown];
    }
    [shown, wire]
        .into_iter()
        .filter(|word| !word.is_empty())
        .collect()
}

/// The values of `field` that `wanted` (lower-case) names, or of every value whose word starts
/// with it when `prefix`. `Ok(None)` for an open-ended field; an error listing the words when
/// it names no value.
pub fn named(field: Field, wanted: &str, prefix: bool) -> Result<Option<Values>, QueryError> {
    let values = values(field);
    if values.is_empty() {
        return Ok(None);
    }
    let named = values
        .iter()
        .filter(|value| value.named(wanted, prefix))
        .fold(Values::default(), |set, value| set.with(value.bit));
    if !named.is_empty() {
        return Ok(Some(named));
    }
    let hints: Vec<String> = values.iter().map(Value::hint).collect();
    let wanted = quoted(wanted);
    let what = if prefix {
        format!("no {field} starts with \"{wanted}\"")
    } else {
        format!("no {field} is called \"{wanted}\"")
    };
    Err(QueryError(format!(
        "{what}: use one of {}",
        hints.join(", ")
    )))
}

/// The update statuses and states whose shown word holds the free word `word` (lower-case).
pub fn shown_holding(word: &str) -> (Values, Values) {
    let holds = |shown: &str| shown.to_lowercase().contains(word);
    let statuses = (0..)
        .zip(UpdateStatus::WORDS)
        .filter(|(_, (wire, _))| holds(UpdateStatus::label_of(wire)))
        .fold(Values::default(), |set, (bit, _)| set.with(bit));
    let states = GatewayState::iter()
        .filter(|state| holds(state.name()))
        .fold(Values::default(), |set, state| set.with(state as u32));
    (statuses, states)
}

/// The bit of `subject`'s value of `field`; `None` for an open-ended field and for a word this
/// build does not know (an update status or a live state outside the lists).
pub fn bit(field: Field, subject: &Subject<'_>) -> Option<u32> {
    let gateway = subject.gateway;
    match field {
        Field::Cloud => Some(gateway.cloud as u32),
        Field::Type => Some(gateway.gw_type as u32),
        Field::Role => Some(gateway.role as u32),
        Field::State => state_bit(subject),
        Field::Status => status_bit(subject.shown.update_status),
        Field::Region | Field::Version | Field::Account | Field::Name => None,
    }
}

/// The bit of the state the table shows: the live one during an operation, else the record's.
pub fn state_bit(subject: &Subject<'_>) -> Option<u32> {
    let Some(live) = subject.shown.live_state else {
        return Some(subject.gateway.state as u32);
    };
    GatewayState::iter()
        .find(|state| state.name() == live)
        .map(|state| state as u32)
}

/// The bit of an update status; `None` for a word this build does not know.
pub fn status_bit(status: &UpdateStatus) -> Option<u32> {
    UpdateStatus::WORDS
        .iter()
        .position(|(_, known)| known == status)
        .and_then(|bit| u32::try_from(bit).ok())
}

#[cfg(test)]
mod tests;
