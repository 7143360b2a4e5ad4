//! What covers a window: the overlays (help, a dry run's result pane, a confirmation, a
//! gateway's detail, the filter picker, the column chooser), and how far a pane is scrolled.

use std::cell::Cell;

use crate::api::actions::DryRun;
use crate::filter::query::Field;
use crate::plan::ChecklistItem;
use crate::plan::finding::Finding;
use crate::tui::columns::Chooser;
use crate::tui::confirm::{Ask, Confirm};

/// The filter picker: values present in the fleet.
#[derive(Debug, Clone, Default)]
pub struct Picker {
    pub entries: Vec<(Field, String, usize)>,
    pub cursor: usize,
}

/// A dry run shown in the result pane.
#[derive(Debug, Clone)]
pub struct DryRunPane {
    pub title: String,
    /// `None` while the controller works on it.
    pub result: Option<Result<DryRun, String>>,
    /// The checklist items the planner checked for the request, computed from our snapshot.
    pub checklist: Vec<ChecklistItem>,
    pub scroll: Scroll,
    /// Which of the [`DryRunPane::actionable`] findings is selected.
    pub selected: usize,
}

impl DryRunPane {
    /// A pane waiting for the controller's dry run of `title`.
    pub fn waiting(title: String) -> Self {
        Self {
            title,
            result: None,
            checklist: Vec::new(),
            scroll: Scroll::default(),
            selected: 0,
        }
    }

    /// The findings that name gateways, in the order the pane shows them (blockers, then
    /// warnings, then info): those a key can mark.
    pub fn actionable(&self) -> Vec<&Finding> {
        let Some(Ok(result)) = &self.result else {
            return Vec::new();
        };
        let mut findings: Vec<&Finding> = result
            .findings
            .iter()
            .filter(|finding| !finding.gateways.is_empty())
            .collect();
        findings.sort_by_key(|finding| finding.severity);
        findings
    }

    /// The selected finding, if any names gateways.
    pub fn selected_finding(&self) -> Option<&Finding> {
        self.actionable().get(self.selected).copied()
    }

    /// Selects the next finding that names gateways, back to the first after the last.
    pub fn select_next(&mut self) {
        let count = self.actionable().len();
        self.selected = match count {
            0 => 0,
            _ => (self.selected + 1) % count,
        };
    }
}

/// How far a pane is scrolled: never past its content. How far it can go is known only to a
/// draw, which records it; until then a move is taken as asked and the draw bounds it.
#[derive(Debug, Clone)]
pub struct Scroll {
    first: usize,
    last_first: Cell<usize>,
}

impl Default for Scroll {
    fn default() -> Self {
        Scroll {
            first: 0,
            last_first: Cell::new(usize::MAX),
        }
    }
}

impl Scroll {
    /// The first row shown, as far as the last draw bounds it.
    pub fn first(&self) -> usize {
        self.first.min(self.last_first.get())
    }

    /// Moves by `rows` (up when negative), within the content.
    pub fn by(&mut self, rows: isize) {
        self.first = self
            .first()
            .saturating_add_signed(rows)
            .min(self.last_first.get());
    }

    pub fn to_top(&mut self) {
        self.first = 0;
    }

    pub fn to_end(&mut self) {
        self.first = self.last_first.get();
    }

    /// The first row to draw of `rows` rows in a pane `height` rows high; remembers how far
    /// the pane can scroll.
    pub fn first_drawn(&self, rows: usize, height: usize) -> usize {
        self.last_first.set(rows.saturating_sub(height));
        self.first()
    }
}

/// What covers the window, at most one at a time.
#[derive(Debug, Clone)]
pub enum Overlay {
    Help {
        scroll: Scroll,
    },
    DryRun(DryRunPane),
    Confirm(Box<Confirm>),
    /// A light confirmation (pause, abort, skip).
    Ask(Box<Ask>),
    /// Every field of the gateway so named (by name: a refresh may reorder the fleet).
    Detail {
        name: String,
        scroll: Scroll,
    },
    Picker(Picker),
    /// The column chooser (`:cols`).
    Columns(Chooser),
}
