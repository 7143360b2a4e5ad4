//! The gateway filter: the language typed after `/` in the console and given to the command
//! line ([`query`]), the words it takes for the fields of fixed values ([`vocabulary`]), and
//! the per-fleet index that runs it fast at 100,000 gateways ([`index`]). It knows gateways,
//! their update statuses and the words the table shows for them, nothing of screens.

pub mod index;
pub mod query;
pub mod vocabulary;

pub use index::FilterIndex;
pub use query::{Field, Query, QueryError, Shown};
