//! The change record as JSON, for tools: the record's fields as serde names them, with a
//! top-level `"format": 1` so a reader can tell this layout from a later one. Pretty-printed,
//! ending with a newline; moments are RFC 3339 strings.

use serde::Serialize;

use super::model::ChangeRecord;

/// The layout of the JSON record; raise it when a field changes meaning or goes away.
pub const FORMAT: u32 = 1;

/// The record with its format number in front.
#[derive(Serialize)]
struct Document<'a> {
    format: u32,
    #[serde(flatten)]
    record: &'a ChangeRecord,
}

/// The record as pretty JSON, ending with a newline.
pub fn render(record: &ChangeRecord) -> String {
    let document = Document {
        format: FORMAT,
        record,
    };
    let mut json = serde_json::to_string_pretty(&document).unwrap_or_else(|error| failed(&error));
    json.push('\n');
    json
}

/// What a reader gets if the record could not be written (it cannot happen with these types:
/// every key is a string and every value serializes).
fn failed(error: &serde_json::Error) -> String {
    serde_json::json!({ "format": FORMAT, "error": error.to_string() }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn carries_the_format_and_every_field_and_ends_with_a_newline() {
        let json = render(&sample::rollout());
        assert!(json.ends_with("}\n"));
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["format"], 1);
        assert_eq!(value["id"], "20261201T041500Z-3f9a");
        assert_eq!(value["kind"], "rollout");
        assert_eq!(value["outcome"], "unfinished");
        assert_eq!(value["started"], "2026-12-01T04:15:00Z");
        assert_eq!(value["ended"], serde_json::Value::Null);
        assert_eq!(value["timeline"].as_array().unwrap().len(), 4);
        assert_eq!(value["gateways"].as_array().unwrap().len(), 6);
        assert_eq!(value["gateways"][5]["after"], serde_json::Value::Null);
    }

    #[test]
    fn format_comes_first() {
        let json = render(&sample::failed_operation());
        assert!(
            json.starts_with("{\n  \"format\": 1,\n  \"id\": "),
            "{json}"
        );
    }

    #[test]
    fn snapshot_rollout() {
        insta::assert_snapshot!("report_rollout_json", render(&sample::rollout()));
    }

    #[test]
    fn snapshot_failed_operation() {
        insta::assert_snapshot!(
            "report_failed_operation_json",
            render(&sample::failed_operation())
        );
    }
}
