//! The splitter against serde: lists cut in pieces of any size, and what it refuses.
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

/// Keeps each element's text; with `leading`, takes those that decode where they start as
/// serde reads them (written back tight).
#[derive(Default)]
struct Texts {
    elements: Vec<String>,
    leading: bool,
}

impl ListSink for Texts {
    fn push(&mut self, element: &str) -> Result<(), String> {
        self.elements.push(element.to_owned());
        Ok(())
    }

    fn push_leading(&mut self, text: &str) -> Option<usize> {
        if !self.leading {
            return None;
        }
        let (value, length) = super::super::leading::<Value>(text)?;
        self.elements.push(value.to_string());
        Some(length)
    }
}

/// The elements and envelope `answer` gives when fed in pieces of `piece` bytes.
fn split(answer: &str, at: ListAt, piece: usize) -> Result<(Vec<String>, String), String> {
    split_into(Texts::default(), answer, at, piece)
}

fn split_into(
    mut sink: Texts,
    answer: &str,
    at: ListAt,
    piece: usize,
) -> Result<(Vec<String>, String), String> {
    let mut splitter = Splitter::new(at);
    for bytes in answer.as_bytes().chunks(piece.max(1)) {
        splitter.feed(bytes, &mut sink)?;
    }
    let envelope = String::from_utf8(splitter.envelope()).expect("UTF-8");
    Ok((sink.elements, envelope))
}

#[test]
fn elements_are_cut_out_and_the_envelope_keeps_an_empty_list() {
    let answer =
        r#"{"return":true, "results": [ {"a":"x,]\"}"} , [1,[2]] ,"s\\",3 ,null ] ,"reason":""}"#;
    for piece in 1..answer.len() {
        let (elements, envelope) = split(answer, ListAt::Results, piece).expect("splits");
        assert_eq!(
            elements,
            [r#"{"a":"x,]\"}"}"#, "[1,[2]]", r#""s\\""#, "3", "null"],
            "pieces of {piece}"
        );
        assert_eq!(envelope, r#"{"return":true, "results": [] ,"reason":""}"#);
    }
}

#[test]
fn a_field_of_results_is_found_and_other_lists_are_left_alone() {
    let answer = r#"{"results":{"other":[9],"gw_info":[{"n":"a"},{"n":"b"}]},"return":true}"#;
    let (elements, envelope) = split(answer, ListAt::Field("gw_info"), 7).expect("splits");
    assert_eq!(elements, [r#"{"n":"a"}"#, r#"{"n":"b"}"#]);
    assert_eq!(
        envelope,
        r#"{"results":{"other":[9],"gw_info":[]},"return":true}"#
    );
    let (elements, _) = split(answer, ListAt::Results, 7).expect("splits");
    assert!(elements.is_empty(), "results is not a list: {elements:?}");
}

#[test]
fn a_key_written_with_escapes_leaves_its_list_to_the_envelope() {
    let answer = r#"{"return":true,"res\u0075lts":[1,2]}"#;
    let (elements, envelope) = split(answer, ListAt::Results, 3).expect("splits");
    assert!(elements.is_empty());
    assert_eq!(envelope, answer);
}

#[test]
fn a_list_without_its_commas_is_refused() {
    for (answer, expected) in [
        (r#"{"results":[{"a":1} {"b":2}]}"#, "after a list element"),
        (r#"{"results":["a" "b"]}"#, "after a list element"),
        (r#"{"results":[1 2]}"#, "after a list element"),
        (r#"{"results":[1,,2]}"#, "expected a list element"),
        (r#"{"results":[,1]}"#, "expected a list element"),
        (r#"{"results":[1,]}"#, "expected a list element"),
        (r#"{"results":[1, ]}"#, "expected a list element"),
        (r#"{"results":[1:2]}"#, "expected a list element"),
    ] {
        let error = split(answer, ListAt::Results, 4).expect_err(answer);
        assert!(error.contains(expected), "{answer}: {error}");
    }
}

#[test]
fn an_envelope_too_large_to_hold_is_refused() {
    let junk = "x".repeat(ENVELOPE_LIMIT);
    let answer = format!(r#"{{"return":true,"results":[1],"junk":"{junk}"}}"#);
    let error = split(&answer, ListAt::Results, 1 << 16).expect_err("too large");
    assert!(error.contains("outside its list"), "{error}");
    let (elements, _) = split(&answer[..1000], ListAt::Results, 64).expect("a part fits");
    assert_eq!(elements, ["1"]);
}

#[test]
fn nesting_is_bounded_and_closing_more_than_opened_is_refused() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let error = split(&deep, ListAt::Results, 4096).expect_err("too deep");
    assert!(error.contains("nests more than"), "{error}");
    let error = split("]", ListAt::Results, 1).expect_err("unbalanced");
    assert!(error.contains("closes more"), "{error}");
}

fn values() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z\"\\\\,\\[\\]{}: é\n]{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z\"]{1,6}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    /// Any list, in either place, written tight or pretty and fed in pieces of any size,
    /// is cut into exactly the elements serde reads, and the envelope reads as the rest;
    /// whether the sink takes elements where they start or not.
    #[test]
    fn every_list_is_cut_as_serde_reads_it(
        list in prop::collection::vec(values(), 0..6),
        nested in any::<bool>(),
        pretty in any::<bool>(),
        piece in 1usize..64,
        leading in any::<bool>(),
    ) {
        let (answer, at) = if nested {
            (json!({"return": true, "results": {"x": [1], "gw_info": list.clone()}}), ListAt::Field("gw_info"))
        } else {
            (json!({"reason": "", "results": list.clone(), "return": true}), ListAt::Results)
        };
        let text = if pretty {
            serde_json::to_string_pretty(&answer)
        } else {
            serde_json::to_string(&answer)
        }.expect("serializes");
        let sink = Texts { leading, ..Texts::default() };
        let (elements, envelope) = split_into(sink, &text, at, piece).expect("splits");
        let read: Vec<Value> = elements
            .iter()
            .map(|element| serde_json::from_str(element).expect("an element is JSON"))
            .collect();
        prop_assert_eq!(read, list);
        let mut rest = answer;
        match at {
            ListAt::Results => rest["results"] = json!([]),
            ListAt::Field(field) => rest["results"][field] = json!([]),
        }
        let envelope: Value = serde_json::from_str(&envelope).expect("the envelope is JSON");
        prop_assert_eq!(envelope, rest);
    }
}
