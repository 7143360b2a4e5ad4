//! Request parameters as a controller reads them: from the query string, a form body or a JSON
//! body, for any method; body values win (controller-api.md §1.2). A parameter given twice in
//! the same place (query or body) is refused, since no one can say which value was meant; so
//! are malformed comma-separated lists (an empty or repeated name). Bodies are capped (1 MiB
//! unless `--max-body-kb` says otherwise) and must be UTF-8; anything else is a clear refusal,
//! never a crash.

use std::collections::{HashMap, HashSet};
use std::fmt;

use bytes::Bytes;
use percent_encoding::percent_decode;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

use crate::quote::quoted;

/// The largest request body the simulator reads, unless configured (`SimConfig::body_limit`).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The parameters of one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    values: HashMap<String, String>,
}

/// Where a request carries parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Query,
    Body,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Place::Query => "query string",
            Place::Body => "body",
        })
    }
}

/// Why a request's parameters could not be read; the text is the `reason` sent back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("request body too large: the limit is {limit} bytes")]
    TooLarge { limit: usize },
    #[error("parameters must be UTF-8 text: {0} is not")]
    NotUtf8(String),
    #[error("invalid JSON body: {0}")]
    BadJson(String),
    #[error("a JSON body must be one object of parameters, such as {{\"action\": \"login\"}}")]
    NotAnObject,
    #[error("parameter \"{}\" must be a string, number or boolean (or a list of them)", quoted(.0))]
    BadJsonValue(String),
    #[error("could not read the request body: {0}")]
    Unreadable(String),
    #[error("parameter \"{}\" is given twice in the {place}: send each parameter once", quoted(.name))]
    Repeated { name: String, place: Place },
}

impl Params {
    /// Reads the parameters of a request from its query string and (already read) body.
    pub fn read(
        query: Option<&str>,
        content_type: Option<&str>,
        body: &Bytes,
    ) -> Result<Self, ParamError> {
        let mut values = match query {
            Some(query) => unique(form_pairs(query.as_bytes())?, Place::Query)?,
            None => HashMap::new(),
        };
        values.extend(body_values(content_type, body)?);
        Ok(Params { values })
    }

    /// A parameter's value, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// A parameter that must be present and not empty; the error is the controller's
    /// `<name> required.` reason.
    pub fn require(&self, key: &str) -> Result<&str, String> {
        match self.get(key).map(str::trim) {
            Some(value) if !value.is_empty() => Ok(value),
            _ => Err(format!("{key} required.")),
        }
    }

    /// A boolean parameter, `"true"` or `"false"` on the wire; absent means false.
    pub fn flag(&self, key: &str) -> Result<bool, String> {
        match self.get(key).map(|value| value.trim().to_ascii_lowercase()) {
            None => Ok(false),
            Some(value) if value == "true" || value == "yes" || value == "1" => Ok(true),
            Some(value)
                if value == "false" || value == "no" || value == "0" || value.is_empty() =>
            {
                Ok(false)
            }
            Some(value) => Err(format!(
                "{key} must be true or false, not \"{}\"",
                quoted(&value)
            )),
        }
    }

    /// A comma-separated list (`gateway_list`) that must be present and well formed: names are
    /// trimmed, and an empty name (`a,,b`, a trailing comma) or a name given twice (`a,a`) is
    /// refused with a reason.
    pub fn list(&self, key: &str) -> Result<Vec<String>, String> {
        let raw = self.require(key)?;
        let mut seen = HashSet::new();
        let mut names = Vec::new();
        for (position, name) in raw.split(',').map(str::trim).enumerate() {
            if name.is_empty() {
                return Err(format!(
                    "{key} has an empty name at position {}: separate names with single commas, as in a,b",
                    position + 1
                ));
            }
            if !seen.insert(name) {
                return Err(format!(
                    "{key} names \"{}\" twice: list each name once",
                    quoted(name)
                ));
            }
            names.push(name.to_owned());
        }
        Ok(names)
    }
}

/// The parameters of a body: a JSON object, or a form.
fn body_values(
    content_type: Option<&str>,
    body: &Bytes,
) -> Result<HashMap<String, String>, ParamError> {
    if body.is_empty() {
        return Ok(HashMap::new());
    }
    let is_json = content_type.is_some_and(|kind| kind.to_ascii_lowercase().contains("json"))
        || body.first() == Some(&b'{');
    let pairs = if is_json {
        json_pairs(body)?
    } else {
        form_pairs(body)?
    };
    unique(pairs, Place::Body)
}

/// The pairs as a map (members without a value left out); a name given twice is refused.
fn unique(
    pairs: Vec<(String, Option<String>)>,
    place: Place,
) -> Result<HashMap<String, String>, ParamError> {
    let mut values = HashMap::with_capacity(pairs.len());
    for (name, value) in pairs {
        if values.contains_key(&name) {
            return Err(ParamError::Repeated { name, place });
        }
        values.insert(name, value);
    }
    Ok(values
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?)))
        .collect())
}

/// The decoded `name=value` pairs of a form or query string, in order (empty pairs skipped).
fn form_pairs(encoded: &[u8]) -> Result<Vec<(String, Option<String>)>, ParamError> {
    encoded
        .split(|&byte| byte == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = match pair.iter().position(|&byte| byte == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &pair[pair.len()..]),
            };
            Ok((decode_form(key)?, Some(decode_form(value)?)))
        })
        .collect()
}

/// The members of a JSON object body, in order, as form text (`null` members have no value).
fn json_pairs(body: &[u8]) -> Result<Vec<(String, Option<String>)>, ParamError> {
    let text = std::str::from_utf8(body).map_err(|_| ParamError::NotUtf8("the body".into()))?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|error| ParamError::BadJson(error.to_string()))?;
    if !value.is_object() {
        return Err(ParamError::NotAnObject);
    }
    // Parsed again member by member: a `Value` keeps only the last of two equal names.
    let Members(members) =
        serde_json::from_str(text).map_err(|error| ParamError::BadJson(error.to_string()))?;
    members
        .into_iter()
        .map(|(key, value)| {
            let text = json_text(&key, &value)?;
            Ok((key, text))
        })
        .collect()
}

/// A JSON object's members in order, repeated names kept.
struct Members(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MembersVisitor)
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Members;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of parameters")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
        let mut members = Vec::new();
        while let Some(member) = map.next_entry::<String, serde_json::Value>()? {
            members.push(member);
        }
        Ok(Members(members))
    }
}

/// Percent-decodes one form component (`+` is a space) and insists on UTF-8.
fn decode_form(raw: &[u8]) -> Result<String, ParamError> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&byte| if byte == b'+' { b' ' } else { byte })
        .collect();
    let decoded: Vec<u8> = percent_decode(&spaced).collect();
    String::from_utf8(decoded)
        .map_err(|_| ParamError::NotUtf8(format!("\"{}\"", quoted(&String::from_utf8_lossy(raw)))))
}

/// A JSON value as the text a form would carry; lists become comma-separated.
fn json_text(key: &str, value: &serde_json::Value) -> Result<Option<String>, ParamError> {
    use serde_json::Value;
    Ok(match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        Value::Array(items) => {
            let parts: Result<Vec<String>, ParamError> = items
                .iter()
                .map(|item| match item {
                    Value::Array(_) | Value::Object(_) | Value::Null => {
                        Err(ParamError::BadJsonValue(key.to_owned()))
                    }
                    scalar => json_text(key, scalar).map(Option::unwrap_or_default),
                })
                .collect();
            Some(parts?.join(","))
        }
        Value::Object(_) => return Err(ParamError::BadJsonValue(key.to_owned())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(query: Option<&str>, kind: Option<&str>, body: &[u8]) -> Result<Params, ParamError> {
        Params::read(query, kind, &Bytes::copy_from_slice(body))
    }

    #[test]
    fn query_form_and_json_are_read_and_the_body_wins() {
        let params = read(
            Some("action=list_vpcs_summary&CID=abc&x=1"),
            Some("application/x-www-form-urlencoded"),
            b"x=2&name=a+b%2Cc",
        )
        .expect("valid");
        assert_eq!(params.get("action"), Some("list_vpcs_summary"));
        assert_eq!(params.get("x"), Some("2"));
        assert_eq!(params.get("name"), Some("a b,c"));
        let json = read(
            None,
            Some("application/json"),
            br#"{"action":"login","async":true,"gateway_list":["a","b"],"n":3,"z":null}"#,
        )
        .expect("valid");
        assert_eq!(json.get("async"), Some("true"));
        assert_eq!(json.get("gateway_list"), Some("a,b"));
        assert_eq!(json.get("n"), Some("3"));
        assert_eq!(json.get("z"), None);
    }

    #[test]
    fn non_utf8_and_bad_json_are_refused_clearly() {
        let error = read(Some("action=%FF%FE"), None, b"").expect_err("not UTF-8");
        assert!(error.to_string().contains("UTF-8"), "{error}");
        let error = read(None, None, &[b'a', b'=', 0xFF]).expect_err("not UTF-8");
        assert!(matches!(error, ParamError::NotUtf8(_)), "{error}");
        assert!(matches!(
            read(None, Some("application/json"), b"{nope"),
            Err(ParamError::BadJson(_))
        ));
        assert_eq!(
            read(None, Some("application/json"), b"[1]"),
            Err(ParamError::NotAnObject)
        );
        assert!(matches!(
            read(None, Some("application/json"), br#"{"a":{"b":1}}"#),
            Err(ParamError::BadJsonValue(_))
        ));
    }

    #[test]
    fn a_name_given_twice_in_one_place_is_refused_but_query_and_body_merge() {
        let twice = read(Some("action=a&CID=x&action=b"), None, b"");
        assert_eq!(
            twice,
            Err(ParamError::Repeated {
                name: "action".into(),
                place: Place::Query
            })
        );
        let error = read(None, None, b"action=a&%61ction=b").expect_err("decoded names repeat");
        assert!(error.to_string().contains("twice in the body"), "{error}");
        let json = read(None, None, br#"{"action":"a","action":null}"#);
        assert!(matches!(json, Err(ParamError::Repeated { .. })), "{json:?}");
        let merged = read(Some("action=a&x=1"), None, b"action=b").expect("two places");
        assert_eq!(merged.get("action"), Some("b"));
        assert_eq!(merged.get("x"), Some("1"));
    }

    #[test]
    fn lists_are_trimmed_and_refused_when_malformed() {
        let params = read(
            None,
            None,
            b"ok=a,+b&one=a&twice=a,b,a&gap=a,,b&tail=a,&blank=a,+,b&none=",
        )
        .expect("valid");
        assert_eq!(params.list("ok"), Ok(vec!["a".into(), "b".into()]));
        assert_eq!(params.list("one"), Ok(vec!["a".into()]));
        assert!(
            params
                .list("twice")
                .is_err_and(|reason| reason.contains("\"a\" twice"))
        );
        for key in ["gap", "tail", "blank"] {
            let reason = params.list(key).expect_err(key);
            assert!(reason.contains("empty name at position"), "{key}: {reason}");
        }
        assert_eq!(params.list("none"), Err("none required.".into()));
    }

    #[test]
    fn required_values_and_flags() {
        let params = read(Some("a=&b=true&c=maybe&d=False"), None, b"").expect("valid");
        assert_eq!(params.require("a"), Err("a required.".into()));
        assert_eq!(params.require("missing"), Err("missing required.".into()));
        assert_eq!(params.flag("b"), Ok(true));
        assert_eq!(params.flag("d"), Ok(false));
        assert_eq!(params.flag("missing"), Ok(false));
        assert!(params.flag("c").is_err());
    }
}
