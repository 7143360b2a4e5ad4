//! The one retry loop every call goes through, whether its answer is read whole
//! ([`Client::call_raw`]) or streamed into a sink ([`Client::call_list`]):
//!
//! - `/v2/api` answering 404 (an older controller) switches to `/v1/api` and sends again;
//! - a read (never a poll or a mutation) that fails transiently is sent again after a capped,
//!   jittered backoff, up to `read_attempts` times;
//! - an answer saying the session is gone logs in again once (shared with concurrent callers)
//!   and sends again: the controller refused the call, so nothing ran;
//! - any other refusal is an error.

use std::future::Future;

use crate::api::client::{Call, Client, Kind, session_gone};
use crate::api::error::ApiError;
use crate::secret::Secret;

/// What one exchange with the controller gave: the envelope's verdict and what was read.
pub(super) struct Answered<T> {
    pub(super) ok: bool,
    pub(super) reason: String,
    pub(super) output: T,
}

/// One way of sending a call and taking its answer; [`Client::with_retries`] repeats it.
pub(super) trait Exchange {
    type Output;

    /// Sends `call` once with the session `cid`.
    fn once<'a>(
        &'a mut self,
        client: &'a Client,
        call: &'a Call,
        cid: &'a Secret,
    ) -> impl Future<Output = Result<Answered<Self::Output>, ApiError>> + Send + 'a;
}

impl Client {
    /// Makes `call` through `exchange` under the retry, re-login and fallback rules above.
    pub(super) async fn with_retries<E: Exchange + Send>(
        &self,
        call: &Call,
        mut exchange: E,
    ) -> Result<E::Output, ApiError> {
        let (mut cid, mut generation) = self.current_session().await?;
        let mut relogged = false;
        let mut attempt = 1;
        loop {
            let answered = match exchange.once(self, call, &cid).await {
                Err(ApiError::NotJson { status: 404, .. }) if self.prefix() == "/v2" => {
                    self.fall_back_to_v1();
                    continue;
                }
                Err(error) if self.may_retry(call, &error, attempt) => {
                    tracing::debug!(action = call.action, attempt, %error, "retrying a read");
                    tokio::time::sleep(self.backoff(attempt)).await;
                    attempt += 1;
                    continue;
                }
                other => other?,
            };
            if answered.ok {
                return Ok(answered.output);
            }
            if !session_gone(&answered.reason) || relogged {
                return Err(ApiError::Refused {
                    action: call.action.to_owned(),
                    reason: answered.reason,
                });
            }
            tracing::info!(action = call.action, "session expired: logging in again");
            (cid, generation) = self.relogin(generation).await?;
            relogged = true;
        }
    }

    /// Only reads are sent again, and only after transient failures.
    fn may_retry(&self, call: &Call, error: &ApiError, attempt: u32) -> bool {
        call.kind == Kind::Read && error.is_transient() && attempt < self.settings.read_attempts
    }
}
