//! What the fuzz properties feed the parsers, and how they run: arbitrary bytes, and mutations
//! of valid samples (bytes flipped, inserted and deleted, slices repeated, troublesome tokens
//! spliced in, the whole grown toward the format's size limit), run on a watchdog thread so a
//! parser that hangs fails the test instead of blocking it.
//!
//! Shared by `tests/fuzz.rs` and the unit tests of the library's private decoders (included
//! with `#[path]`), so there is one mutator.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

use std::sync::mpsc;
use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};

/// Cases per parser in an ordinary `cargo test`.
pub const CASES: u32 = 256;

/// Cases per parser in the long run (`cargo test --release -- --ignored fuzz`); `FUZZ_CASES`
/// overrides.
pub fn long_cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(100_000)
}

/// Fragments that break parsers: delimiters, huge and negative numbers, escapes, invalid UTF-8.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"=",
    b".",
    b"\n",
    b"\r\n",
    b"0",
    b"-1",
    b"4294967296",
    b"18446744073709551616",
    b"1e999",
    b"null",
    b"true",
    b"\\u0000",
    b"\\ud800",
    b"\xc3\xa9",
    b"\xff",
    b"[[[[[[[[[[[[",
    b"{{{{{{{{",
    b"#",
    b"'''",
    b"\"\"\"",
    b"\x1b[2J",
    b"\0",
];

/// One change to a sample; positions are taken modulo its length.
#[derive(Debug, Clone)]
pub enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize, usize),
    Token(usize, usize),
    Repeat(usize, usize, u8),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip(at, byte)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert(at, byte)),
        (any::<usize>(), 1..64usize).prop_map(|(at, count)| Mutation::Delete(at, count)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Mutation::Token(at, token)),
        (any::<usize>(), 1..256usize, any::<u8>())
            .prop_map(|(at, count, times)| Mutation::Repeat(at, count, times)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// `sample` with `mutations` applied, never longer than `max_len`.
pub fn apply(sample: &[u8], mutations: &[Mutation], max_len: usize) -> Vec<u8> {
    let mut bytes = sample.to_vec();
    for mutation in mutations {
        let at = |position: usize| position % (bytes.len() + 1);
        match *mutation {
            Mutation::Flip(position, byte) if !bytes.is_empty() => {
                let index = position % bytes.len();
                bytes[index] ^= byte | 1;
            }
            Mutation::Flip(..) => {}
            Mutation::Insert(position, byte) => bytes.insert(at(position), byte),
            Mutation::Delete(position, count) => {
                let start = at(position);
                let end = (start + count).min(bytes.len());
                bytes.drain(start..end);
            }
            Mutation::Token(position, token) => {
                let start = at(position);
                bytes.splice(start..start, TOKENS[token].iter().copied());
            }
            Mutation::Repeat(position, count, times) => {
                let start = at(position);
                let end = (start + count).min(bytes.len());
                let slice = bytes[start..end].to_vec();
                for _ in 0..times {
                    bytes.splice(end..end, slice.iter().copied());
                    if bytes.len() > max_len {
                        break;
                    }
                }
            }
            Mutation::Truncate(position) => bytes.truncate(at(position)),
        }
        bytes.truncate(max_len);
    }
    bytes
}

/// `sample` repeated up to `max_len` and then mutated: inputs at the format's size limit.
fn grown(sample: &[u8], mutations: &[Mutation], max_len: usize) -> Vec<u8> {
    let copies = max_len / sample.len().max(1);
    apply(&sample.repeat(copies.max(1)), mutations, max_len)
}

/// Arbitrary bytes, mutations of `samples`, and (rarely) mutations grown to `max_len`.
pub fn inputs(samples: Vec<Vec<u8>>, max_len: usize) -> impl Strategy<Value = Vec<u8>> {
    let small = max_len.min(4096);
    let mutated = (
        select(samples.clone()),
        prop::collection::vec(mutation(), 1..8),
    );
    let large = (select(samples), prop::collection::vec(mutation(), 1..4));
    prop_oneof![
        20 => prop::collection::vec(any::<u8>(), 0..small),
        60 => mutated.prop_map(move |(sample, mutations)| apply(&sample, &mutations, max_len)),
        1 => large.prop_map(move |(sample, mutations)| grown(&sample, &mutations, max_len)),
    ]
}

/// [`inputs`] as text (invalid UTF-8 replaced), and arbitrary strings.
pub fn texts(samples: &[&str], max_len: usize) -> impl Strategy<Value = String> {
    let samples = samples
        .iter()
        .map(|sample| sample.as_bytes().to_vec())
        .collect();
    prop_oneof![
        1 => any::<String>(),
        4 => inputs(samples, max_len).prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
    ]
}

/// Runs `property` on `cases` values of `strategy` on a watchdog thread. A panic fails the
/// test with the (shrunk) input; so does a run that has not finished after a generous bound
/// (a parser that hangs), which is not a timing assertion: it is minutes per thousand cases.
pub fn check<S>(name: &str, cases: u32, strategy: S, property: impl Fn(S::Value) + Send + 'static)
where
    S: Strategy + Send + 'static,
    S::Value: std::fmt::Debug,
{
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&strategy, |value| {
            property(value);
            Ok(())
        });
        let _ = done.send(result.map_err(|error| error.to_string()));
    });
    let bound = Duration::from_secs(120) + Duration::from_millis(u64::from(cases) * 60);
    match finished.recv_timeout(bound) {
        Ok(Ok(())) => {}
        Ok(Err(error)) => panic!("{name}: {error}"),
        Err(_) => panic!("{name}: {cases} cases did not finish in {bound:?}: a parser hangs"),
    }
}
