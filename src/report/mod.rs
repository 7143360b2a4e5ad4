//! The change record (issue 14): a report a change board can read, written from the journal
//! as a by-product of the work. [`model`] is the record; [`markdown`] (for a change ticket),
//! [`html`] (one self-contained page that prints, its timeline drawn by `gantt`) and [`json`]
//! (for tools) render it; [`build`] reads it out of the journal.

pub mod build;
mod gantt;
pub mod html;
pub mod json;
pub mod markdown;
pub mod model;
#[cfg(test)]
pub(crate) mod sample;
mod words;

pub use model::ChangeRecord;
