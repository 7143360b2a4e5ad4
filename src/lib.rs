//! avx-upgrade: plans, checks and runs upgrades of an Aviatrix Cloud Network Platform (the
//! controller and its gateways) from a keyboard-driven terminal console.
//!
//! The library holds the pure planner ([`plan`]) and the data it works on ([`version`],
//! [`catalog`], [`snapshot`]); the binary's command line lives in [`cli`].

pub mod api;
pub mod catalog;
pub mod cli;
pub mod cloud;
pub mod config;
pub mod filter;
pub mod journal;
pub mod load;
pub mod logging;
pub mod memory;
pub mod ops;
pub mod paths;
pub mod plan;
pub mod quote;
pub mod report;
pub mod save;
pub mod secret;
pub mod signals;
pub mod sim;
pub mod snapshot;
pub mod tui;
pub mod version;
