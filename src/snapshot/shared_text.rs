//! Text that many gateways share (a fleet has a few dozen regions, accounts, images and
//! kernels), kept once and pointed at: at 100,000 gateways a copy each would cost megabytes.

use std::collections::HashSet;
use std::sync::Arc;

/// The texts seen so far, each kept once.
#[derive(Debug, Default)]
pub struct Interner {
    texts: HashSet<Arc<str>>,
}

impl Interner {
    /// `text`, shared with every earlier text equal to it.
    pub fn text(&mut self, text: &str) -> Arc<str> {
        if let Some(known) = self.texts.get(text) {
            return Arc::clone(known);
        }
        let shared: Arc<str> = Arc::from(text);
        self.texts.insert(Arc::clone(&shared));
        shared
    }

    /// [`Interner::text`], or `None` for empty text.
    pub fn optional(&mut self, text: &str) -> Option<Arc<str>> {
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
        assert!(Arc::ptr_eq(&first, &second));
        assert!(!Arc::ptr_eq(&first, &interner.text("us-west-2")));
        assert_eq!(interner.optional(""), None);
        assert_eq!(interner.optional("a").as_deref(), Some("a"));
    }
}
