//! The change record (issue 14): a report a change board can read, written from the journal
//! as a by-product of the work. [`model`] is the record; `markdown`, `html` and `json` render
//! it; [`build`] reads it out of the journal.

pub mod build;
pub mod model;

pub use model::ChangeRecord;
