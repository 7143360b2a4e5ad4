//! The controller client: sessions, typed actions, polling that survives restarts, and
//! certificate trust. It knows the wire protocol (`docs/controller-api.md`) and nothing about
//! screens.

pub mod actions;
pub mod client;
mod envelope;
pub mod error;
pub mod known;
pub mod poll;
pub mod records;
pub mod statuses;
pub mod stream;
pub mod trust;

pub use client::{Call, Client, ClientSettings, DEFAULT_MAX_ANSWER, DEFAULT_MAX_REQUEST, Kind};
pub use envelope::Results;
pub use error::ApiError;
pub use trust::TrustMode;
