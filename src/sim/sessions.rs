//! Sessions as a controller keeps them: API tokens for `X-Access-Key`, and 20-character
//! alphanumeric CIDs that expire after an idle time and are all dropped when the platform
//! upgrade completes (controller-api.md §1.3). Idleness is measured on the simulator's clock
//! (the `now` each request reads), not scaled by `--speed`: a test on a manual clock expires a
//! session by advancing it.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use rand::RngExt;

/// The simulator's one user; the type lives with the other secrets.
pub use crate::secret::Credentials;
use tokio::time::Instant;

/// The reason a controller gives for an unknown or expired CID (Confirmed).
pub const CID_INVALID: &str = "CID is invalid or expired.";

const CID_LENGTH: usize = 20;
const TOKEN_LENGTH: usize = 32;
/// How many API tokens are remembered; older ones stop being accepted.
const TOKENS_KEPT: usize = 4096;
const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

struct Session {
    user: String,
    last_used: Instant,
}

/// Live sessions and issued API tokens.
pub struct Sessions {
    idle_ttl: Duration,
    by_cid: HashMap<String, Session>,
    tokens: VecDeque<String>,
}

impl Sessions {
    pub fn new(idle_ttl: Duration) -> Self {
        Self {
            idle_ttl,
            by_cid: HashMap::new(),
            tokens: VecDeque::new(),
        }
    }

    /// A new API token for `get_api_token`.
    pub fn issue_token(&mut self) -> String {
        let token = self.random_text(TOKEN_LENGTH);
        if self.tokens.len() == TOKENS_KEPT {
            self.tokens.pop_front();
        }
        self.tokens.push_back(token.clone());
        token
    }

    /// True when `token` was issued by `get_api_token`.
    pub fn token_known(&self, token: &str) -> bool {
        self.tokens.iter().any(|known| known == token)
    }

    /// Opens a session for `user` and returns its CID.
    pub fn open(&mut self, user: &str, now: Instant) -> String {
        let cid = self.random_text(CID_LENGTH);
        self.by_cid.insert(
            cid.clone(),
            Session {
                user: user.to_owned(),
                last_used: now,
            },
        );
        cid
    }

    /// The user of a live session, which counts as used now; `None` for an unknown or
    /// expired CID (an expired one is forgotten).
    pub fn touch(&mut self, cid: &str, now: Instant) -> Option<String> {
        let session = self.by_cid.get_mut(cid)?;
        if now.duration_since(session.last_used) > self.idle_ttl {
            self.by_cid.remove(cid);
            return None;
        }
        session.last_used = now;
        Some(session.user.clone())
    }

    /// Ends one session.
    pub fn close(&mut self, cid: &str) -> bool {
        self.by_cid.remove(cid).is_some()
    }

    /// Ends every session, as a completed platform upgrade does.
    pub fn drop_all(&mut self) {
        self.by_cid.clear();
    }

    /// How many sessions are open.
    pub fn open_count(&self) -> usize {
        self.by_cid.len()
    }

    /// Random letters and digits from the operating system's generator: session ids must not
    /// be predictable, whatever `--seed` says.
    fn random_text(&mut self, length: usize) -> String {
        let mut rng = rand::rng();
        (0..length)
            .map(|_| char::from(ALPHANUMERIC[rng.random_range(0..ALPHANUMERIC.len())]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cids_are_20_alphanumeric_characters_and_unique() {
        let mut sessions = Sessions::new(Duration::from_secs(60));
        let now = Instant::now();
        let first = sessions.open("admin", now);
        let second = sessions.open("admin", now);
        assert_eq!(first.len(), 20);
        assert!(first.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(first, second);
        assert_eq!(sessions.touch(&first, now).as_deref(), Some("admin"));
    }

    #[test]
    fn idle_sessions_expire_and_use_keeps_them_alive() {
        let mut sessions = Sessions::new(Duration::from_secs(60));
        let start = Instant::now();
        let cid = sessions.open("admin", start);
        assert!(
            sessions
                .touch(&cid, start + Duration::from_secs(50))
                .is_some()
        );
        assert!(
            sessions
                .touch(&cid, start + Duration::from_secs(100))
                .is_some(),
            "50 s idle"
        );
        assert!(
            sessions
                .touch(&cid, start + Duration::from_secs(161))
                .is_none(),
            "61 s idle"
        );
        assert!(
            sessions
                .touch(&cid, start + Duration::from_secs(162))
                .is_none(),
            "forgotten"
        );
    }

    #[test]
    fn drop_all_ends_every_session_and_tokens_are_remembered() {
        let mut sessions = Sessions::new(Duration::from_secs(60));
        let now = Instant::now();
        let cid = sessions.open("admin", now);
        sessions.drop_all();
        assert!(sessions.touch(&cid, now).is_none());
        let token = sessions.issue_token();
        assert_eq!(token.len(), 32);
        assert!(sessions.token_known(&token));
        assert!(!sessions.token_known("forged"));
    }
}
