//! The signals that end a process the operator runs (SIGHUP, SIGINT, SIGQUIT, SIGTERM), and
//! the exit status each gives: 128 + its number, as a shell reports it.

use std::future::poll_fn;
use std::io;
use std::task::Poll;

use tokio::signal::unix::{SignalKind, signal};

/// A signal that ends the console or a command: the console restores the terminal on its
/// way out, a rollout records the answers in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Hangup,
    Interrupt,
    Quit,
    Terminate,
}

impl Signal {
    pub const ALL: [Signal; 4] = [
        Signal::Hangup,
        Signal::Interrupt,
        Signal::Quit,
        Signal::Terminate,
    ];

    /// e.g. `SIGINT`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Hangup => "SIGHUP",
            Signal::Interrupt => "SIGINT",
            Signal::Quit => "SIGQUIT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// The signal's number, the same on Linux and macOS.
    pub fn number(self) -> u8 {
        match self {
            Signal::Hangup => 1,
            Signal::Interrupt => 2,
            Signal::Quit => 3,
            Signal::Terminate => 15,
        }
    }

    /// The exit status a shell reports for a process ended by the signal: 128 + its number.
    pub fn exit_code(self) -> u8 {
        128 + self.number()
    }
}

/// The signals of [`Signal::ALL`], each listened to from the moment this is made.
pub struct Signals(Vec<(Signal, tokio::signal::unix::Signal)>);

impl Signals {
    pub fn new() -> io::Result<Signals> {
        Signal::ALL
            .into_iter()
            .map(|name| {
                let kind = SignalKind::from_raw(i32::from(name.number()));
                Ok((name, signal(kind)?))
            })
            .collect::<io::Result<_>>()
            .map(Signals)
    }

    /// The next signal to arrive.
    pub async fn next(&mut self) -> Signal {
        poll_fn(|context| {
            self.0
                .iter_mut()
                .find_map(|(name, stream)| stream.poll_recv(context).is_ready().then_some(*name))
                .map_or(Poll::Pending, Poll::Ready)
        })
        .await
    }
}
