//! A probe for `tests/pty.rs`: takes the terminal the way the console does, then panics in a
//! background task, so the test can check that the terminal is restored before the report
//! prints and that the process exits with status 101 instead of drawing on.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "the probe panics on purpose, for tests/pty.rs to see the terminal restored"
)]

use std::time::Duration;

fn main() {
    let _ = color_eyre::install();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let (_screen, _guard) =
            avx_upgrade::tui::terminal::Guard::enter(false).expect("the terminal");
        tokio::spawn(async { panic!("probe: a panic in a background task") });
        tokio::time::sleep(Duration::from_secs(20)).await;
    });
}
