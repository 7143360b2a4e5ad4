//! Request parameters as a controller reads them: from the query string, a form body or a JSON
//! body, for any method; body values win (controller-api.md §1.2). Bodies are capped and must be
//! UTF-8; anything else is a clear refusal, never a crash.

use std::collections::HashMap;

use bytes::Bytes;
use percent_encoding::percent_decode;

/// The largest request body the simulator reads.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The parameters of one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    values: HashMap<String, String>,
}

/// Why a request's parameters could not be read; the text is the `reason` sent back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("request body too large: the limit is {BODY_LIMIT} bytes")]
    TooLarge,
    #[error("parameters must be UTF-8 text: {0} is not")]
    NotUtf8(String),
    #[error("invalid JSON body: {0}")]
    BadJson(String),
    #[error("a JSON body must be one object of parameters, such as {{\"action\": \"login\"}}")]
    NotAnObject,
    #[error("parameter \"{0}\" must be a string, number or boolean (or a list of them)")]
    BadJsonValue(String),
    #[error("could not read the request body: {0}")]
    Unreadable(String),
}

impl Params {
    /// Reads the parameters of a request from its query string and (already read) body.
    pub fn read(
        query: Option<&str>,
        content_type: Option<&str>,
        body: &Bytes,
    ) -> Result<Self, ParamError> {
        let mut params = Params::default();
        if let Some(query) = query {
            params.add_form(query.as_bytes())?;
        }
        if body.is_empty() {
            return Ok(params);
        }
        let is_json = content_type.is_some_and(|kind| kind.to_ascii_lowercase().contains("json"))
            || body.first() == Some(&b'{');
        if is_json {
            params.add_json(body)?;
        } else {
            params.add_form(body)?;
        }
        Ok(params)
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
            Some(value) => Err(format!("{key} must be true or false, not \"{value}\"")),
        }
    }

    fn add_form(&mut self, encoded: &[u8]) -> Result<(), ParamError> {
        for pair in encoded
            .split(|&byte| byte == b'&')
            .filter(|pair| !pair.is_empty())
        {
            let (key, value) = match pair.iter().position(|&byte| byte == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &pair[pair.len()..]),
            };
            let key = decode_form(key)?;
            let value = decode_form(value)?;
            self.values.insert(key, value);
        }
        Ok(())
    }

    fn add_json(&mut self, body: &[u8]) -> Result<(), ParamError> {
        let text = std::str::from_utf8(body).map_err(|_| ParamError::NotUtf8("the body".into()))?;
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|error| ParamError::BadJson(error.to_string()))?;
        let serde_json::Value::Object(object) = value else {
            return Err(ParamError::NotAnObject);
        };
        for (key, value) in object {
            if let Some(text) = json_text(&key, &value)? {
                self.values.insert(key, text);
            }
        }
        Ok(())
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
        .map_err(|_| ParamError::NotUtf8(format!("\"{}\"", String::from_utf8_lossy(raw))))
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
