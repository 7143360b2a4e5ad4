//! One answer of the controller: the `{"return", "results", "reason"}` envelope decoded with
//! `results` left raw (or the 6.5–7.0 `check_upgrade_status` answer, whose fields stand at the
//! top level with no envelope), non-JSON answers (HTML 502/503 while restarting, `Error: ...` text) as
//! typed errors, and transport failures mapped so a lost answer to a mutating call becomes
//! `OutcomeUnknown`. Nothing here keeps a URL, which could hold a CID.

use std::ops::Range;

use bytes::Bytes;
use reqwest::StatusCode;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::api::client::Kind;
use crate::api::error::ApiError;
use crate::quote::clipped;

/// The parsed envelope of one answer.
pub(super) struct Envelope {
    pub(super) ok: bool,
    /// `results` as raw JSON, decoded by the caller into what it expects.
    pub(super) results: Results,
    pub(super) reason: String,
    pub(super) cid: Option<String>,
}

/// The envelope as it arrives; `results` stays unparsed so a 100,000-gateway answer is decoded
/// once, straight into its typed records.
#[derive(serde::Deserialize)]
struct RawEnvelope<'a> {
    #[serde(rename = "return")]
    ok: Option<bool>,
    #[serde(borrow, default)]
    results: Option<&'a RawValue>,
    #[serde(default)]
    reason: Option<Value>,
    #[serde(rename = "CID", default)]
    cid: Option<String>,
    /// Present in the 6.5–7.0 `check_upgrade_status` answer, which has no envelope.
    #[serde(default)]
    done: Option<Value>,
}

pub(super) fn transport_error(action: &str, kind: Kind, error: &reqwest::Error) -> ApiError {
    let detail = error_chain(error);
    let transient = if error.is_timeout() {
        ApiError::Timeout {
            action: action.to_owned(),
        }
    } else if error.is_connect() {
        ApiError::Connect(detail.clone())
    } else {
        ApiError::Disconnected {
            action: action.to_owned(),
            detail: detail.clone(),
        }
    };
    match (kind, &transient) {
        (Kind::Mutate, ApiError::Timeout { .. } | ApiError::Disconnected { .. }) => {
            ApiError::OutcomeUnknown {
                action: action.to_owned(),
                cause: detail,
            }
        }
        _ => transient,
    }
}

/// The error and its causes, without the URL (which could hold a CID).
fn error_chain(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    let head = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "the answer broke off"
    } else {
        "request failed"
    };
    if parts.is_empty() {
        head.to_owned()
    } else {
        format!("{head}: {}", parts.join(": "))
    }
}

/// An answer's `results` as raw JSON text, left inside the answer's body rather than copied,
/// so a 100,000-gateway answer is in memory once while the caller decodes it.
#[derive(Debug, Clone)]
pub struct Results {
    body: Bytes,
    /// Where `results` is in `body`; `None` when the answer has none (read as `null`).
    range: Option<Range<usize>>,
}

impl Results {
    /// The raw JSON text.
    pub fn get(&self) -> &str {
        let Some(range) = &self.range else {
            return "null";
        };
        // The range came from a `&str` that serde_json checked, so this cannot fail.
        std::str::from_utf8(&self.body[range.clone()]).unwrap_or("null")
    }

    /// `results` located inside `body` (where serde_json borrowed it from).
    fn within(body: &Bytes, results: &RawValue) -> Results {
        let text = results.get();
        let start = (text.as_ptr() as usize).wrapping_sub(body.as_ptr() as usize);
        match start.checked_add(text.len()) {
            Some(end) if end <= body.len() => Results {
                body: body.clone(),
                range: Some(start..end),
            },
            _ => Results {
                body: Bytes::copy_from_slice(text.as_bytes()),
                range: Some(0..text.len()),
            },
        }
    }
}

pub(super) fn decode(
    action: &str,
    status: StatusCode,
    json_type: bool,
    body: &Bytes,
) -> Result<Envelope, ApiError> {
    let looks_json =
        json_type || body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'{');
    if !looks_json {
        if matches!(status.as_u16(), 502 | 503) {
            return Err(ApiError::Restarting {
                status: status.as_u16(),
            });
        }
        let snippet: String = String::from_utf8_lossy(body).chars().take(120).collect();
        return Err(ApiError::NotJson {
            action: action.to_owned(),
            status: status.as_u16(),
            snippet: snippet.trim().to_owned(),
        });
    }
    let raw: RawEnvelope<'_> = serde_json::from_slice(body).map_err(|error| ApiError::Decode {
        action: action.to_owned(),
        detail: format!("invalid JSON: {}", clipped(&error.to_string())),
    })?;
    let Some(ok) = raw.ok else {
        return bare(action, raw.done.is_some(), body);
    };
    let results = match raw.results {
        Some(results) => Results::within(body, results),
        None => Results {
            body: Bytes::new(),
            range: None,
        },
    };
    Ok(Envelope {
        ok,
        reason: match raw.reason {
            Some(Value::String(reason)) => clipped(&reason).to_string(),
            Some(Value::Null) | None => String::new(),
            Some(other) => clipped(&other.to_string()).to_string(),
        },
        cid: raw.cid,
        results,
    })
}

/// The one action whose answer may come without an envelope.
const BARE_ACTION: &str = "check_upgrade_status";

/// An answer without `return`: the 6.5–7.0 `check_upgrade_status` layout (`pos`, `done`,
/// `status`, `result` at the top level) is taken whole as the results. For any other action, or
/// without `done`, it is an error: no other answer may skip the envelope.
fn bare(action: &str, has_done: bool, body: &Bytes) -> Result<Envelope, ApiError> {
    if !has_done || action != BARE_ACTION {
        return Err(ApiError::Decode {
            action: action.to_owned(),
            detail: "no boolean \"return\" field".into(),
        });
    }
    Ok(Envelope {
        ok: true,
        results: Results {
            body: body.clone(),
            range: Some(0..body.len()),
        },
        reason: String::new(),
        cid: None,
    })
}

/// The fuzz inputs and runner of `tests/fuzz.rs`, shared so there is one mutator.
#[cfg(test)]
#[path = "../../tests/fuzz/mutate.rs"]
#[allow(
    dead_code,
    reason = "the envelope's unit tests use only part of the fuzz runner"
)]
mod mutate;

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: [&str; 4] = [
        r#"{"return":true,"results":{"current_version":"UserConnect-7.1.4183"},"CID":"c"}"#,
        r#"{"return":false,"reason":"CID is invalid or expired."}"#,
        r#"{"pos":0,"done":false,"status":true,"result":"Installing UserConnect-7.1.4183 ... 40%"}"#,
        "<html><body>503 Service Unavailable</body></html>",
    ];

    fn decode_any(bytes: Vec<u8>) {
        let body = Bytes::from(bytes);
        for status in [200, 404, 503] {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            for json_type in [true, false] {
                if let Ok(envelope) = decode("fuzz", status, json_type, &body) {
                    let _ = envelope.results.get();
                }
            }
        }
    }

    #[test]
    fn the_samples_decode() {
        let body = Bytes::from_static(SAMPLES[0].as_bytes());
        let envelope = decode("fuzz", StatusCode::OK, true, &body).expect("valid");
        assert!(envelope.ok);
        assert!(envelope.results.get().contains("7.1.4183"));
    }

    /// The 6.5–7.0 `check_upgrade_status` answers with its fields at the top level; later
    /// controllers nest them in `results`. Both give the same results.
    #[test]
    fn a_top_level_legacy_status_is_read_as_its_results() {
        let nested =
            r#"{"return":true,"results":{"pos":0,"done":true,"status":true,"result":"ok"}}"#;
        let bare = r#"{"pos":0,"done":true,"status":true,"result":"ok"}"#;
        let decoded: Vec<Value> = [nested, bare]
            .into_iter()
            .map(|text| {
                let body = Bytes::from(text);
                let envelope =
                    decode("check_upgrade_status", StatusCode::OK, true, &body).expect("decodes");
                assert!(envelope.ok, "{text}");
                serde_json::from_str(envelope.results.get()).expect("JSON")
            })
            .collect();
        assert_eq!(decoded[0], decoded[1]);
        assert_eq!(decoded[1]["done"], true);
        let neither = Bytes::from_static(br#"{"pos":0,"result":"ok"}"#);
        let error = decode("check_upgrade_status", StatusCode::OK, true, &neither)
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(error.contains("no boolean \"return\""), "{error}");
        let elsewhere = Bytes::from(bare);
        let error = decode("upgrade_platform", StatusCode::OK, true, &elsewhere)
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(
            error.contains("no boolean \"return\""),
            "only check_upgrade_status may skip the envelope: {error}"
        );
    }

    #[test]
    fn the_envelope_decoder_never_panics() {
        let samples = SAMPLES
            .iter()
            .map(|sample| sample.as_bytes().to_vec())
            .collect();
        mutate::check(
            "envelopes",
            mutate::CASES,
            mutate::inputs(samples, 1 << 20),
            decode_any,
        );
    }

    /// The long run: `cargo test --release --lib -- --ignored fuzz`.
    #[test]
    #[ignore = "long: cargo test --release --lib -- --ignored fuzz"]
    fn fuzz_the_envelope_decoder_long() {
        let samples = SAMPLES
            .iter()
            .map(|sample| sample.as_bytes().to_vec())
            .collect();
        let strategy = mutate::inputs(samples, 1 << 20);
        mutate::check("envelopes", mutate::long_cases(), strategy, decode_any);
    }
}
