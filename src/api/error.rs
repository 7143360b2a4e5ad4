//! What can go wrong talking to a controller, typed so callers can tell a restart (keep
//! polling) from a refusal (stop) from a lost answer to a mutating call (check before acting).
//! No variant carries a URL, a CID or a password.

/// An error from the controller client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The controller could not be reached (DNS, TCP or TLS).
    #[error("cannot reach the controller: {0}")]
    Connect(String),
    /// The controller did not answer in time.
    #[error("the controller did not answer {action} in time")]
    Timeout { action: String },
    /// The connection broke before an answer came.
    #[error("the connection broke during {action}: {detail}")]
    Disconnected { action: String, detail: String },
    /// An HTML 502/503 page: the web tier is restarting (as during a platform upgrade).
    #[error("the controller is restarting (HTTP {status})")]
    Restarting { status: u16 },
    /// An answer that is not the JSON envelope (e.g. `Error: ...` text from an old backend).
    #[error(
        "the controller answered {action} with something that is not JSON (HTTP {status}): {snippet}"
    )]
    NotJson {
        action: String,
        status: u16,
        snippet: String,
    },
    /// `return: false`.
    #[error("the controller refused {action}: {reason}")]
    Refused { action: String, reason: String },
    /// Login failed.
    #[error("login failed: {0}")]
    Login(String),
    /// A mutating call whose outcome is unknown (timeout or broken connection): it may or may
    /// not have started. Never resend it; ask the controller for the operation's status.
    #[error(
        "outcome of {action} unknown ({cause}): checking the controller before doing anything else"
    )]
    OutcomeUnknown { action: String, cause: String },
    /// An answer that does not have the expected shape.
    #[error("unexpected answer to {action}: {detail}")]
    Decode { action: String, detail: String },
    /// A 3xx answer. Redirects are never followed: one would carry the password or the CID
    /// to an address the operator never chose, past the pinned certificate.
    #[error(
        "the controller answered {action} with a redirect (HTTP {status}) to {location}: not followed, and nothing was sent there. Do not trust that address; check the controller URL"
    )]
    Redirected {
        action: String,
        status: u16,
        location: String,
    },
    /// An answer over the client's size limit, refused as soon as it is known to be.
    #[error(
        "answer too large ({size}, limit {limit}) to {action}: raise max_answer_mb under [client] in the config if this controller's answers really are that big"
    )]
    TooLarge {
        action: String,
        size: String,
        limit: String,
    },
    /// The controller's certificate is not trusted.
    #[error("{0}")]
    Trust(String),
    /// The client is configured wrongly (URL, TLS settings).
    #[error("{0}")]
    Config(String),
}

impl ApiError {
    /// True for answers that mean "the controller is restarting or briefly unreachable":
    /// pollers keep polling through these.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::Restarting { .. }
                | ApiError::Timeout { .. }
                | ApiError::Disconnected { .. }
                | ApiError::Connect(_)
        )
    }

    /// The reason of a refusal, if this is one.
    pub fn refusal(&self) -> Option<&str> {
        match self {
            ApiError::Refused { reason, .. } => Some(reason),
            _ => None,
        }
    }
}
