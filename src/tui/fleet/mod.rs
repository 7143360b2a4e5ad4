//! The Selective Gateway Upgrade table's model: the gateways, their live update status, the
//! filtered and sorted index of the rows shown, the cursor and the marks.
//!
//! Built for 100,000 gateways: the filter's index ([`FilterIndex`]: distinct regions,
//! accounts and versions, lower-case names) is made once per refresh, a filter keystroke
//! rescans the sort order into a reused index vector, and sorting reorders `u32` indices by
//! packed integer keys, never the gateways. Marks are kept by position and carried across a
//! refresh by name, so a refresh never loses what the user selected. Marks stay when the
//! filter hides their gateways; the view counts those apart, so they are never acted on unseen.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use crate::filter::{FilterIndex, Query, QueryError, Shown};
use crate::ops::Live;
use crate::snapshot::{Gateway, Snapshot, UpdateStatus};

mod sort;

pub use sort::SortKey;

/// The gateways a request names, split as the table shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Named {
    /// Shown by the current filter.
    pub shown: Vec<String>,
    /// Hidden by the current filter (marked before it changed).
    pub hidden: Vec<String>,
}

/// Which gateways a filter tests.
#[derive(Debug, Clone, Copy)]
enum Candidates {
    All,
    Shown,
}

/// The table's rows and selection.
#[derive(Debug, Default)]
pub struct FleetView {
    /// Shared with the refresh that read it, so the fleet is shown before its statuses are
    /// read without a second copy.
    snapshot: Option<Arc<Snapshot>>,
    live: Vec<Live>,
    /// What the filter runs over, built once per refresh.
    filter: FilterIndex,
    /// Every gateway, in sort order.
    order: Vec<u32>,
    /// The rows shown: `order` filtered by `query`.
    shown: Vec<u32>,
    /// The rows shown before the last filter, kept for their memory: a keystroke allocates
    /// nothing.
    spare: Vec<u32>,
    marked: Vec<bool>,
    marked_count: usize,
    /// Marked gateways among the rows shown.
    marked_shown: usize,
    query: Query,
    sort: Option<(SortKey, bool)>,
    cursor: usize,
    /// Each gateway's rank by name (from the snapshot's name index), made at the first sort
    /// after a refresh.
    name_rank: Vec<u32>,
}

impl FleetView {
    /// Replaces the gateways after a refresh, keeping the filter, sort, marks (by name) and
    /// the cursor's gateway. An empty `live` means the statuses are not read yet: every
    /// gateway reads as [`Live::PENDING`], with no memory spent on it.
    pub fn replace(&mut self, snapshot: impl Into<Arc<Snapshot>>, live: Vec<Live>) {
        let snapshot: Arc<Snapshot> = snapshot.into();
        let marked_names: HashSet<String> = self.marked_names().into_iter().collect();
        let cursor_name = self
            .cursor_gateway()
            .map(|gateway| gateway.name.to_string());
        // The previous fleet goes before the new one's tables are built: at 100,000 gateways
        // holding both would double the console's memory for a moment.
        self.snapshot = None;
        self.live = Vec::new();
        let total = snapshot.gateways().len();
        self.filter = FilterIndex::of(snapshot.gateways());
        self.marked = snapshot
            .gateways()
            .iter()
            .map(|gateway| marked_names.contains(&*gateway.name))
            .collect();
        self.marked_count = self.marked.iter().filter(|&&marked| marked).count();
        self.snapshot = Some(snapshot);
        self.name_rank.clear();
        self.live = live;
        if !self.live.is_empty() {
            self.live.resize(total, Live::default());
        }
        self.order = (0..total as u32).collect();
        self.resort();
        self.cursor = cursor_name
            .and_then(|name| self.index_of(&name))
            .and_then(|index| self.shown.iter().position(|&i| i as usize == index))
            .unwrap_or(0);
        self.clamp_cursor();
    }

    /// The controller and gateways as last read; `None` before the first refresh.
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_deref()
    }

    pub fn gateways(&self) -> &[Gateway] {
        self.snapshot.as_deref().map_or(&[], Snapshot::gateways)
    }

    pub fn total(&self) -> usize {
        self.gateways().len()
    }

    pub fn shown_len(&self) -> usize {
        self.shown.len()
    }

    pub fn gateway(&self, index: usize) -> Option<&Gateway> {
        self.gateways().get(index)
    }

    pub fn live(&self, index: usize) -> Option<&Live> {
        match self.live.get(index) {
            Some(live) => Some(live),
            None => (self.live.is_empty() && index < self.total()).then_some(&Live::PENDING),
        }
    }

    /// The gateway index of shown row `row`.
    pub fn shown_index(&self, row: usize) -> Option<usize> {
        self.shown.get(row).map(|&index| index as usize)
    }

    pub fn query(&self) -> &Query {
        &self.query
    }

    pub fn sort(&self) -> Option<(SortKey, bool)> {
        self.sort
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn cursor_gateway(&self) -> Option<&Gateway> {
        self.shown_index(self.cursor).and_then(|i| self.gateway(i))
    }

    pub fn is_marked(&self, index: usize) -> bool {
        self.marked.get(index).copied().unwrap_or(false)
    }

    pub fn marked_count(&self) -> usize {
        self.marked_count
    }

    /// Marked gateways the filter hides.
    pub fn hidden_marked_count(&self) -> usize {
        self.marked_count.saturating_sub(self.marked_shown)
    }

    /// `names` split into those the filter shows and those it hides, each in the order given.
    pub fn split_shown(&self, names: &[String]) -> Named {
        let mut shown = vec![false; self.total()];
        for &index in &self.shown {
            shown[index as usize] = true;
        }
        let (visible, hidden) = names.iter().cloned().partition(|name| {
            self.index_of(name)
                .is_some_and(|index| shown.get(index).copied().unwrap_or(false))
        });
        Named {
            shown: visible,
            hidden,
        }
    }

    /// The marked gateways' names, in table order of the gateways.
    pub fn marked_names(&self) -> Vec<String> {
        self.marked
            .iter()
            .zip(self.gateways())
            .filter(|(marked, _)| **marked)
            .map(|(_, gateway)| gateway.name.to_string())
            .collect()
    }

    /// What an operation applies to: the marked gateways, or the cursor's when none is marked.
    pub fn operation_targets(&self) -> Vec<String> {
        if self.marked_count > 0 {
            return self.marked_names();
        }
        self.cursor_gateway()
            .map(|gateway| vec![gateway.name.to_string()])
            .unwrap_or_default()
    }

    /// What a rollout stages: the marked gateways, or every gateway the filter shows when
    /// none is marked.
    pub fn staged_targets(&self) -> Vec<String> {
        if self.marked_count > 0 {
            return self.marked_names();
        }
        (0..self.shown_len())
            .filter_map(|row| self.shown_index(row))
            .filter_map(|index| self.gateway(index))
            .map(|gateway| gateway.name.to_string())
            .collect()
    }

    /// How many gateways [`FleetView::staged_targets`] names.
    pub fn staged_count(&self) -> usize {
        match self.marked_count {
            0 => self.shown_len(),
            marked => marked,
        }
    }

    /// Applies `text` as the filter; on a parse error the previous filter stays.
    pub fn set_filter(&mut self, text: &str) -> Result<(), QueryError> {
        let query = Query::parse(text)?;
        if query == self.query {
            return Ok(());
        }
        let narrows = query.narrows(&self.query);
        self.query = query;
        if narrows {
            self.refilter_shown();
        } else {
            self.refilter();
        }
        Ok(())
    }

    /// Filters every gateway, in sort order.
    fn refilter(&mut self) {
        self.filter_from(Candidates::All);
    }

    /// Filters only the rows shown: the query narrows the one before (a keystroke that
    /// lengthens a word tests hundreds of rows, not the whole fleet).
    fn refilter_shown(&mut self) {
        self.filter_from(Candidates::Shown);
    }

    fn filter_from(&mut self, candidates: Candidates) {
        let cursor_index = self.shown_index(self.cursor);
        let previous = std::mem::take(&mut self.shown);
        let mut shown = std::mem::take(&mut self.spare);
        shown.clear();
        let candidates: &[u32] = match candidates {
            Candidates::All => &self.order,
            Candidates::Shown => &previous,
        };
        if self.query.is_empty() {
            shown.extend_from_slice(candidates);
        } else {
            let gateways = self.snapshot.as_deref().map_or(&[][..], Snapshot::gateways);
            let live = &self.live;
            let shown_of = |index: usize| Shown {
                update_status: live
                    .get(index)
                    .map_or(&UpdateStatus::None, |live| live.update_status()),
                live_state: live.get(index).and_then(|live| live.state()),
            };
            self.filter.select(
                &self.query,
                gateways,
                shown_of,
                candidates.iter().copied(),
                &mut shown,
            );
        }
        self.shown = shown;
        self.spare = previous;
        self.count_marked_shown();
        self.cursor = cursor_index
            .and_then(|index| self.shown.iter().position(|&i| i as usize == index))
            .unwrap_or(0);
        self.clamp_cursor();
    }

    /// Moves the cursor by `delta` rows, within the shown rows.
    pub fn move_cursor(&mut self, delta: isize) {
        let target = self.cursor.saturating_add_signed(delta);
        self.cursor = target;
        self.clamp_cursor();
    }

    pub fn cursor_to_top(&mut self) {
        self.cursor = 0;
    }

    pub fn cursor_to_bottom(&mut self) {
        self.cursor = self.shown.len().saturating_sub(1);
    }

    fn clamp_cursor(&mut self) {
        self.cursor = self.cursor.min(self.shown.len().saturating_sub(1));
    }

    /// Marks or unmarks the cursor's gateway.
    pub fn toggle_mark(&mut self) {
        let Some(index) = self.shown_index(self.cursor) else {
            return;
        };
        let mark = !self.marked[index];
        self.set_mark(index, mark);
        if mark {
            self.marked_shown += 1;
        } else {
            self.marked_shown -= 1;
        }
    }

    /// Unmarks the gateways named, shown or not.
    pub fn unmark(&mut self, names: &[String]) {
        for name in names {
            if let Some(index) = self.index_of(name) {
                self.set_mark(index, false);
            }
        }
        self.count_marked_shown();
    }

    fn count_marked_shown(&mut self) {
        self.marked_shown = self
            .shown
            .iter()
            .filter(|&&index| self.is_marked(index as usize))
            .count();
    }

    fn set_mark(&mut self, index: usize, mark: bool) {
        if self.marked[index] != mark {
            self.marked[index] = mark;
            if mark {
                self.marked_count += 1;
            } else {
                self.marked_count -= 1;
            }
        }
    }

    /// Marks exactly the gateways named, shown or not; every other mark is cleared.
    pub fn mark_only(&mut self, names: &[String]) {
        self.clear_marks();
        for name in names {
            if let Some(index) = self.index_of(name) {
                self.set_mark(index, true);
            }
        }
        self.count_marked_shown();
    }

    /// Marks every shown gateway.
    pub fn mark_shown(&mut self) {
        for row in 0..self.shown.len() {
            let index = self.shown[row] as usize;
            self.set_mark(index, true);
        }
        self.marked_shown = self.shown.len();
    }

    pub fn clear_marks(&mut self) {
        self.marked.iter_mut().for_each(|marked| *marked = false);
        self.marked_count = 0;
        self.marked_shown = 0;
    }

    /// Records what the controller says about gateway `index`.
    pub fn set_live(&mut self, index: usize, live: Live) {
        if self.live.is_empty() {
            self.live.resize(self.total(), Live::default());
        }
        if let Some(slot) = self.live.get_mut(index) {
            *slot = live;
        }
    }

    /// The position of gateway `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.snapshot.as_ref()?.index_of(name)
    }

    /// Distinct values of `pick` (read from each gateway and what the table shows of it) over
    /// the fleet with their counts, most common first. One pass, written out once per value.
    pub fn values<'a, V: Hash + Eq + fmt::Display>(
        &'a self,
        pick: impl Fn(&'a Gateway, &'a Live) -> V,
    ) -> Vec<(String, usize)> {
        let mut counts: HashMap<V, usize> = HashMap::new();
        for (index, gateway) in self.gateways().iter().enumerate() {
            if let Some(live) = self.live(index) {
                *counts.entry(pick(gateway, live)).or_default() += 1;
            }
        }
        let mut values: Vec<(String, usize)> = counts
            .into_iter()
            .map(|(value, count)| (value.to_string(), count))
            .collect();
        values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        values
    }
}
