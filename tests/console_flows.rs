//! Headless flows of the console against the in-process simulator: the keys a user presses,
//! the controller's real answers, and what the screen then shows.

mod common;
mod console;

use avx_upgrade::snapshot::GatewayType;
use console::Console;
use crossterm::event::KeyCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn look() {
    let config = common::config(common::fleet("7.0.2239"), 60.0);
    let mut console = Console::open(config, false).await;
    println!("{}", console.screen(80, 24));
    console.press(KeyCode::Char('2'));
    println!("{}", console.screen(80, 24));
    println!("{}", console.screen(120, 40));
    let _ = GatewayType::Transit;
    console.close().await;
}
