//! Text that many gateways share (a fleet has a few dozen regions, accounts, images and
//! kernels), kept once and pointed at: at 100,000 gateways a copy each would cost megabytes.
//! [`SharedText`] is one pointer wide (`Option<SharedText>` too), where an `Arc<str>` is two.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Text shared by every holder, read as a `str`; written and read as a plain JSON string.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SharedText(Arc<String>);

impl SharedText {
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// True when both are the same kept text, not only equal texts.
    pub fn is_same(&self, other: &SharedText) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Deref for SharedText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SharedText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for SharedText {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for SharedText {
    fn from(text: &str) -> Self {
        SharedText(Arc::new(text.to_owned()))
    }
}

impl From<String> for SharedText {
    fn from(text: String) -> Self {
        SharedText(Arc::new(text))
    }
}

impl PartialEq<str> for SharedText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SharedText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for SharedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for SharedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SharedText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Inside [`Interner::sharing`], texts read are kept once.
impl<'de> Deserialize<'de> for SharedText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(SharedTextVisitor)
    }
}

struct SharedTextVisitor;

impl Visitor<'_> for SharedTextVisitor {
    type Value = SharedText;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<SharedText, E> {
        let shared = SHARING.with_borrow_mut(|interner| interner.as_mut().map(|i| i.text(text)));
        Ok(shared.unwrap_or_else(|| SharedText::from(text)))
    }
}

thread_local! {
    /// The interner of the [`Interner::sharing`] running on this thread, if one is.
    static SHARING: RefCell<Option<Interner>> = const { RefCell::new(None) };
}

/// Ends a [`Interner::sharing`], even when what it ran panicked.
struct SharingEnds(Option<Interner>);

impl Drop for SharingEnds {
    fn drop(&mut self) {
        let outer = self.0.take();
        SHARING.set(outer);
    }
}

/// The texts seen so far, each kept once.
#[derive(Debug, Default)]
pub struct Interner {
    texts: HashSet<SharedText>,
}

impl Interner {
    /// `text`, shared with every earlier text equal to it.
    pub fn text(&mut self, text: &str) -> SharedText {
        if let Some(known) = self.texts.get(text) {
            return known.clone();
        }
        let shared = SharedText::from(text);
        self.texts.insert(shared.clone());
        shared
    }

    /// Runs `read` (a deserialization) with every [`SharedText`] it reads on this thread kept
    /// once: a snapshot of 100,000 gateways names a few dozen regions and images.
    pub fn sharing<T>(read: impl FnOnce() -> T) -> T {
        let outer = SHARING.replace(Some(Interner::default()));
        let _ends = SharingEnds(outer);
        read()
    }

    /// [`Interner::text`], or `None` for empty text.
    pub fn optional(&mut self, text: &str) -> Option<SharedText> {
        (!text.is_empty()).then(|| self.text(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_are_kept_once() {
        let mut interner = Interner::default();
        let first = interner.text("us-east-1");
        let second = interner.text(&String::from("us-east-1"));
        assert!(first.is_same(&second));
        assert!(!first.is_same(&interner.text("us-west-2")));
        assert_eq!(interner.optional(""), None);
        assert_eq!(interner.optional("a").as_deref(), Some("a"));
    }

    #[test]
    fn texts_read_while_sharing_are_kept_once_and_not_after() {
        let read = |json: &str| serde_json::from_str::<Vec<SharedText>>(json).expect("reads");
        let shared = Interner::sharing(|| read(r#"["eu-west-1","eu-west-1"]"#));
        assert!(shared[0].is_same(&shared[1]));
        let apart = read(r#"["eu-west-1","eu-west-1"]"#);
        assert!(!apart[0].is_same(&apart[1]));
        let escaped = Interner::sharing(|| read(r#"["a\"b","a\"b"]"#));
        assert!(escaped[0].is_same(&escaped[1]));
        assert_eq!(escaped[0], "a\"b");
    }

    #[test]
    fn shared_text_is_one_pointer_wide_and_reads_as_a_json_string() {
        assert_eq!(size_of::<Option<SharedText>>(), size_of::<usize>());
        let text = SharedText::from("asia-east1");
        let json = serde_json::to_string(&text).expect("serializes");
        assert_eq!(json, "\"asia-east1\"");
        let back: SharedText = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, text);
    }
}
