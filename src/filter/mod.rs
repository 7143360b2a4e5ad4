//! The gateway filter: the language typed after `/` in the console and given to the command
//! line ([`query`]), and the per-fleet index that runs it fast at 100,000 gateways
//! ([`index`]). It knows gateways and their update statuses, nothing of screens.

pub mod index;
pub mod query;

pub use index::FilterIndex;
pub use query::{Field, Query, QueryError};
