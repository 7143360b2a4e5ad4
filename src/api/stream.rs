//! Long list answers decoded as they arrive. `list_vpcs_summary` and
//! `list_gateway_upgrade_status` are 80 and 60 MB of JSON at 100,000 gateways; holding such
//! an answer whole while the console still shows the previous fleet would double its memory.
//! Here the body's chunks go to a [`split::Splitter`] on a blocking thread, which hands each
//! element of the list to a [`ListSink`] as soon as it is complete; the rest of the answer,
//! small, is decoded whole at the end.

mod split;

use std::fmt;

use bytes::Bytes;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::sync::mpsc;

pub use split::Splitter;

/// Takes the elements of a list answer one at a time.
pub trait ListSink: Send + 'static {
    /// One element's JSON text, as the controller wrote it. Its structure has not been
    /// checked: an element that is not JSON is refused with why, and fails the whole answer.
    fn push(&mut self, element: &str) -> Result<(), String>;

    /// Takes the element `text` starts with, when it decodes whole as what the sink keeps,
    /// and says how many bytes it took (see [`leading`]); `None` when it does not (it is cut
    /// short by the end of the text, or is not what the sink keeps), and the element then
    /// goes to [`push`](ListSink::push) once its end is found. A sink that takes an element
    /// here must keep it exactly as `push` would.
    fn push_leading(&mut self, _text: &str) -> Option<usize> {
        None
    }
}

/// The JSON value `text` starts with, decoded as `T`, and how many bytes it takes; `None`
/// when the text ends before it does (or with it), or it is not a `T`. The splitter then
/// finds the element's end itself. Decoding where the element starts reads each element once
/// instead of twice (its end found, then decoded).
pub fn leading<'a, T: Deserialize<'a>>(text: &'a str) -> Option<(T, usize)> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<T>();
    let value = values.next()?.ok()?;
    let length = values.byte_offset();
    // A value at the very end may go on in the next bytes (a number cut in two).
    if length >= text.len() {
        return None;
    }
    Some((value, length))
}

/// Where the list is: `results` itself, or `results.<key>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListAt {
    Results,
    Field(&'static str),
}

/// The envelope around a streamed list.
#[derive(Debug, Default)]
pub struct Head {
    pub ok: Option<bool>,
    pub reason: String,
}

/// A sender of body chunks and the parser that consumes them on a blocking thread.
pub struct Parser<S> {
    pub chunks: mpsc::Sender<Result<Bytes, String>>,
    pub done: tokio::task::JoinHandle<(Result<Head, String>, S)>,
}

/// How many chunks may wait for the parser: it is slower than loopback, and each waiting
/// chunk (up to hyper's read buffer, hundreds of KB) is memory held for nothing.
const CHUNKS_WAITING: usize = 2;

/// Starts parsing an envelope whose list at `at` goes to `sink`.
pub fn parser<S: ListSink>(at: ListAt, mut sink: S) -> Parser<S> {
    let (chunks, mut receiver) = mpsc::channel(CHUNKS_WAITING);
    let done = tokio::task::spawn_blocking(move || {
        let head = split_and_parse(&mut receiver, at, &mut sink);
        (head, sink)
    });
    Parser { chunks, done }
}

/// The list's elements to `sink` as the chunks arrive, then the envelope decoded.
fn split_and_parse<S: ListSink>(
    receiver: &mut mpsc::Receiver<Result<Bytes, String>>,
    at: ListAt,
    sink: &mut S,
) -> Result<Head, String> {
    let mut splitter = Splitter::new(at);
    while let Some(chunk) = receiver.blocking_recv() {
        splitter.feed(&chunk?, sink)?;
    }
    parse(&splitter.envelope(), at, sink).map_err(|error| error.to_string())
}

/// Decodes a whole answer in memory, its list at `at` going to `sink`.
pub fn parse<S: ListSink>(answer: &[u8], at: ListAt, sink: &mut S) -> serde_json::Result<Head> {
    let mut deserializer = serde_json::Deserializer::from_slice(answer);
    let head = EnvelopeSeed { at, sink }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(head)
}

/// Feeds `sink` from a `results` already in memory (an answer that could not be streamed).
pub fn feed<S: ListSink>(results: &str, at: ListAt, sink: &mut S) -> serde_json::Result<()> {
    let mut deserializer = serde_json::Deserializer::from_str(results);
    ResultsSeed { at: Some(at), sink }.deserialize(&mut deserializer)
}

struct EnvelopeSeed<'s, S> {
    at: ListAt,
    sink: &'s mut S,
}

impl<'de, S: ListSink> DeserializeSeed<'de> for EnvelopeSeed<'_, S> {
    type Value = Head;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Head, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, S: ListSink> Visitor<'de> for EnvelopeSeed<'_, S> {
    type Value = Head;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the controller's {\"return\", \"results\", \"reason\"} envelope")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Head, A::Error> {
        let mut head = Head::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "return" => head.ok = Some(map.next_value()?),
                "reason" => {
                    head.reason = match map.next_value::<Value>()? {
                        Value::String(reason) => reason,
                        Value::Null => String::new(),
                        other => other.to_string(),
                    }
                }
                "results" => map.next_value_seed(ResultsSeed {
                    at: Some(self.at),
                    sink: &mut *self.sink,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(head)
    }
}

/// `results`, or one field of it: its list goes to the sink, anything else is skipped (a
/// refusal's `results` can be a message).
struct ResultsSeed<'s, S> {
    /// `None` once inside the list's field.
    at: Option<ListAt>,
    sink: &'s mut S,
}

impl<'de, S: ListSink> DeserializeSeed<'de> for ResultsSeed<'_, S> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, S: ListSink> Visitor<'de> for ResultsSeed<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let streams_here = matches!(self.at, None | Some(ListAt::Results));
        if !streams_here {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        while let Some(element) = seq.next_element::<&'de RawValue>()? {
            self.sink.push(element.get()).map_err(de::Error::custom)?;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let field = match self.at {
            Some(ListAt::Field(field)) => Some(field),
            _ => None,
        };
        while let Some(key) = map.next_key::<String>()? {
            if Some(key.as_str()) == field {
                map.next_value_seed(ResultsSeed {
                    at: None,
                    sink: &mut *self.sink,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Names(Vec<String>);

    impl ListSink for Names {
        fn push(&mut self, element: &str) -> Result<(), String> {
            self.0.push(element.to_owned());
            Ok(())
        }
    }

    fn parse_text(text: &str, at: ListAt) -> (serde_json::Result<Head>, Vec<String>) {
        let mut sink = Names::default();
        let head = parse(text.as_bytes(), at, &mut sink);
        (head, sink.0)
    }

    #[test]
    fn the_list_in_results_or_in_one_of_its_fields_goes_to_the_sink() {
        let (head, names) = parse_text(
            r#"{"return":true,"results":[{"a":1},2,"x"]}"#,
            ListAt::Results,
        );
        assert_eq!(head.expect("parses").ok, Some(true));
        assert_eq!(names, [r#"{"a":1}"#, "2", r#""x""#]);
        let nested = r#"{"results":{"other":[9],"gw_info":[{"n":"a"},{"n":"b"}]},"return":true}"#;
        let (head, names) = parse_text(nested, ListAt::Field("gw_info"));
        assert_eq!(head.expect("parses").ok, Some(true));
        assert_eq!(names, [r#"{"n":"a"}"#, r#"{"n":"b"}"#]);
    }

    #[test]
    fn a_refusal_keeps_its_reason_and_feeds_nothing() {
        let (head, names) = parse_text(
            r#"{"return":false,"reason":"CID is invalid or expired.","results":"no"}"#,
            ListAt::Results,
        );
        let head = head.expect("parses");
        assert_eq!(
            (head.ok, head.reason.as_str()),
            (Some(false), "CID is invalid or expired.")
        );
        assert!(names.is_empty());
    }

    #[test]
    fn broken_json_is_an_error() {
        let (head, _) = parse_text(r#"{"return":true,"results":[{"a":1},"#, ListAt::Results);
        assert!(head.is_err());
        let (trailing, _) = parse_text(r#"{"return":true} junk"#, ListAt::Results);
        assert!(trailing.is_err());
    }

    #[tokio::test]
    async fn chunks_split_anywhere_parse_the_same() {
        let text = r#"{"return":true,"results":[{"vpc_name":"gw-1"},{"vpc_name":"gw-2"}]}"#;
        let parser = parser(ListAt::Results, Names::default());
        for piece in text.as_bytes().chunks(5) {
            parser
                .chunks
                .send(Ok(Bytes::copy_from_slice(piece)))
                .await
                .expect("parser listens");
        }
        drop(parser.chunks);
        let (head, names) = parser.done.await.expect("parser ends");
        assert_eq!(head.expect("parses").ok, Some(true));
        assert_eq!(names.0.len(), 2);
    }

    #[test]
    fn feed_reads_a_results_already_in_memory() {
        let mut sink = Names::default();
        feed(
            r#"{"gw_info":[1,2,3]}"#,
            ListAt::Field("gw_info"),
            &mut sink,
        )
        .expect("feeds");
        assert_eq!(sink.0, ["1", "2", "3"]);
    }
}
