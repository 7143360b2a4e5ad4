//! Sorting the gateway table: the columns it sorts by, and the packed integer keys that sort
//! 100,000 gateways by index without touching the records.

use std::cmp::Reverse;

use strum::{EnumIter, IntoEnumIterator};

use super::FleetView;
use crate::snapshot::Snapshot;

/// A column the table can be sorted by; `s` goes through them in the order declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter)]
pub enum SortKey {
    Name,
    State,
    UpdateStatus,
    Version,
    Cloud,
    Region,
    Type,
    Role,
    Account,
}

impl SortKey {
    /// The column in words, e.g. "current version".
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::State => "state",
            SortKey::UpdateStatus => "update status",
            SortKey::Version => "current version",
            SortKey::Cloud => "cloud",
            SortKey::Region => "region",
            SortKey::Type => "type",
            SortKey::Role => "role",
            SortKey::Account => "account",
        }
    }

    /// The column `s` sorts by after this one (the last goes back to the first).
    pub fn next(self) -> SortKey {
        let mut keys = SortKey::iter().cycle();
        keys.find(|&key| key == self);
        keys.next().unwrap_or(SortKey::Name)
    }
}

impl FleetView {
    /// Sorts by the next column (the first press sorts by name).
    pub fn cycle_sort(&mut self) {
        let key = match self.sort {
            None => SortKey::Name,
            Some((key, _)) => key.next(),
        };
        self.sort = Some((key, false));
        self.resort();
    }

    /// Sorts by `key`, descending or not (`:sort`).
    pub fn sort_by(&mut self, key: SortKey, descending: bool) {
        self.sort = Some((key, descending));
        self.resort();
    }

    /// Reverses the sort (sorting by name first when unsorted).
    pub fn reverse_sort(&mut self) {
        let (key, descending) = self.sort.unwrap_or((SortKey::Name, false));
        self.sort = Some((key, !descending));
        self.resort();
    }

    /// Sorts `order` by the sort column, then by name. Each gateway gets one packed `u64` key
    /// (the rank of its value in the column, then the rank of its name), so sorting 100,000
    /// gateways compares integers, not records scattered in memory.
    pub(super) fn resort(&mut self) {
        match self.sort {
            Some((key, descending)) => {
                let keys = self.sort_keys(key);
                if descending {
                    self.order
                        .sort_unstable_by_key(|&i| Reverse(keys[i as usize]));
                } else {
                    self.order.sort_unstable_by_key(|&i| keys[i as usize]);
                }
            }
            None => self.order.sort_unstable(),
        }
        self.refilter();
    }

    fn sort_keys(&mut self, key: SortKey) -> Vec<u64> {
        let gateways = self.snapshot.as_deref().map_or(&[][..], Snapshot::gateways);
        if self.name_rank.len() != gateways.len() {
            self.name_rank = vec![0; gateways.len()];
            let in_order = self
                .snapshot
                .as_deref()
                .map_or(&[][..], Snapshot::in_name_order);
            for (rank, &index) in in_order.iter().enumerate() {
                self.name_rank[index as usize] = rank as u32;
            }
        }
        let column = match key {
            SortKey::Name => vec![0; gateways.len()],
            SortKey::State => ranks(gateways.iter().map(|g| g.state)),
            SortKey::UpdateStatus => {
                let live = &self.live;
                let word = move |index: usize| {
                    live.get(index)
                        .map_or("", |live| live.update_status().as_str())
                };
                ranks((0..gateways.len()).map(word))
            }
            SortKey::Version => ranks(gateways.iter().map(|g| g.software_version)),
            SortKey::Cloud => ranks(gateways.iter().map(|g| g.cloud)),
            SortKey::Region => ranks(gateways.iter().map(|g| &*g.region)),
            SortKey::Type => ranks(gateways.iter().map(|g| g.gw_type)),
            SortKey::Role => ranks(gateways.iter().map(|g| g.role)),
            SortKey::Account => ranks(gateways.iter().map(|g| g.account.as_deref())),
        };
        column
            .iter()
            .zip(&self.name_rank)
            .map(|(&value, &name)| (u64::from(value) << 32) | u64::from(name))
            .collect()
    }
}

/// Each value's rank among the distinct values (equal values share a rank).
fn ranks<T: Ord + Copy>(values: impl Iterator<Item = T> + Clone) -> Vec<u32> {
    let mut distinct: Vec<T> = values.clone().collect();
    distinct.sort_unstable();
    distinct.dedup();
    values
        .map(|value| distinct.binary_search(&value).map_or(0, |rank| rank as u32))
        .collect()
}
