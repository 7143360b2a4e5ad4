//! What a filter runs over, built once per fleet: the distinct regions, accounts and versions as
//! text (a few dozen each, even for 100,000 gateways) with each gateway's entry in them, so a
//! free word is matched against each distinct value once per filter, not once per gateway;
//! and whether each name is lower-case ASCII (the fast path for free words).

use std::hash::Hash;

use crate::filter::query::{Dictionaries, Query, Shown, Subject};
use crate::snapshot::Gateway;

/// The filter's view of one fleet.
#[derive(Debug, Default)]
pub struct FilterIndex {
    regions: Dictionary,
    accounts: Dictionary,
    versions: Dictionary,
    lower_case: Vec<bool>,
}

impl FilterIndex {
    /// The index of `gateways`, in one pass over them.
    pub fn of(gateways: &[Gateway]) -> FilterIndex {
        let mut regions = DictionaryBuilder::default();
        let mut accounts = DictionaryBuilder::default();
        let mut versions = DictionaryBuilder::default();
        let mut lower_case = Vec::with_capacity(gateways.len());
        for gateway in gateways {
            regions.add(&*gateway.region, |region| (*region).to_owned());
            let account = gateway.account.as_deref().unwrap_or("");
            accounts.add(account, |account| (*account).to_owned());
            versions.add(gateway.software_version, ToString::to_string);
            let lower = |byte: u8| byte.is_ascii() && !byte.is_ascii_uppercase();
            lower_case.push(gateway.name.bytes().all(lower));
        }
        FilterIndex {
            regions: regions.dictionary,
            accounts: accounts.dictionary,
            versions: versions.dictionary,
            lower_case,
        }
    }

    /// Appends to `shown` the `candidates` (gateway positions, in order) that `query` keeps;
    /// `live` gives what the table shows of each gateway beyond its record. `shown` is reused,
    /// so a keystroke allocates nothing at 100,000 gateways.
    pub fn select<'a>(
        &self,
        query: &Query,
        gateways: &[Gateway],
        live: impl Fn(usize) -> Shown<'a>,
        candidates: impl Iterator<Item = u32>,
        shown: &mut Vec<u32>,
    ) {
        let prepared = query.prepare(Dictionaries {
            regions: &self.regions.texts,
            accounts: &self.accounts.texts,
            versions: &self.versions.texts,
        });
        shown.extend(candidates.filter(|&position| {
            let index = position as usize;
            gateways.get(index).is_some_and(|gateway| {
                prepared.matches(&Subject {
                    gateway,
                    shown: live(index),
                    region: self.regions.id(index),
                    account: self.accounts.id(index),
                    version: self.versions.id(index),
                    lower_case: self.lower_case.get(index).copied().unwrap_or(false),
                })
            })
        }));
    }
}

/// The distinct values of one field as text, and each gateway's entry among them.
#[derive(Debug, Default)]
struct Dictionary {
    texts: Vec<String>,
    ids: Vec<u32>,
}

/// A [`Dictionary`] being made, with each distinct value's entry. The values come from the
/// controller, so the map's hasher is seeded at random: hashbrown's default, foldhash, where
/// std's SipHash was two fifths of the time this index took at 100,000 gateways.
struct DictionaryBuilder<K> {
    dictionary: Dictionary,
    known: hashbrown::HashMap<K, u32>,
}

impl<K> Default for DictionaryBuilder<K> {
    fn default() -> Self {
        DictionaryBuilder {
            dictionary: Dictionary::default(),
            known: hashbrown::HashMap::default(),
        }
    }
}

impl<K: Hash + Eq> DictionaryBuilder<K> {
    /// One more gateway's value; `text` writes a value seen for the first time.
    fn add(&mut self, key: K, text: impl Fn(&K) -> String) {
        let dictionary = &mut self.dictionary;
        let next = u32::try_from(dictionary.texts.len()).unwrap_or(u32::MAX);
        let id = *self.known.entry(key).or_insert_with_key(|key| {
            dictionary.texts.push(text(key));
            next
        });
        dictionary.ids.push(id);
    }
}

impl Dictionary {
    /// Gateway `index`'s entry.
    fn id(&self, index: usize) -> usize {
        self.ids.get(index).map_or(usize::MAX, |&id| id as usize)
    }
}
