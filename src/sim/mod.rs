//! The simulated controller. So far: the fleet generator that gives it (and the benchmarks)
//! realistic fleets of any size.

pub mod fleet;
