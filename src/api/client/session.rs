//! The session: logging in (`get_api_token`, then `login` with `X-Access-Key`), the CID it
//! gives, and one shared re-login when concurrent callers find it expired.

use crate::api::client::{Client, Endpoint, Kind};
use crate::api::error::ApiError;
use crate::secret::Secret;

impl Client {
    /// Logs in (again): `get_api_token`, then `login` with `X-Access-Key`, keeping the CID.
    pub async fn login(&self) -> Result<(), ApiError> {
        let generation = self.session.lock().await.generation;
        self.relogin(generation).await.map(|_| ())
    }

    /// Logs in unless another caller already did since `seen_generation`; returns the CID.
    pub(super) async fn relogin(&self, seen_generation: u64) -> Result<(Secret, u64), ApiError> {
        let mut session = self.session.lock().await;
        if session.generation != seen_generation
            && let Some(cid) = &session.cid
        {
            return Ok((cid.clone(), session.generation));
        }
        let cid = self.fresh_login().await?;
        session.cid = Some(cid.clone());
        session.generation += 1;
        tracing::info!(user = %self.settings.credentials.user, "logged in");
        Ok((cid, session.generation))
    }

    /// Logs in, retrying transient failures like a read: a lost login only leaves an unused
    /// session behind on the controller.
    async fn fresh_login(&self) -> Result<Secret, ApiError> {
        let mut attempt = 1;
        loop {
            match self.login_once().await {
                Err(error) if error.is_transient() && attempt < self.settings.read_attempts => {
                    tracing::debug!(attempt, %error, "retrying the login");
                    tokio::time::sleep(self.backoff(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn login_once(&self) -> Result<Secret, ApiError> {
        let token = self.api_token().await?;
        let credentials = &self.settings.credentials;
        let params = vec![
            ("action", "login".to_owned()),
            ("username", credentials.user.clone()),
            ("password", credentials.password.expose().to_owned()),
        ];
        let mut request = self
            .http
            .post(self.url(Endpoint::Api))
            .form(&params)
            .timeout(self.settings.read_timeout);
        if let Some(token) = &token {
            request = request.header("X-Access-Key", token.expose());
        }
        let envelope = self.send(request, "login", Kind::Read).await?;
        if !envelope.ok {
            return Err(ApiError::Login(envelope.reason));
        }
        envelope.cid.map(Secret::new).ok_or_else(|| {
            ApiError::Login("the controller accepted the login but gave no CID".into())
        })
    }

    /// `get_api_token`; `None` on controllers without tokens (404 on `/v2/api`, or refused).
    async fn api_token(&self) -> Result<Option<Secret>, ApiError> {
        let request = self
            .http
            .get(self.url(Endpoint::Api))
            .query(&[("action", "get_api_token")])
            .timeout(self.settings.read_timeout);
        match self.send(request, "get_api_token", Kind::Read).await {
            Ok(envelope) if envelope.ok => {
                #[derive(serde::Deserialize)]
                struct Token {
                    api_token: Option<String>,
                }
                let token: Option<Token> = serde_json::from_str(envelope.results.get()).ok();
                Ok(token.and_then(|token| token.api_token).map(Secret::new))
            }
            Ok(_) => Ok(None),
            Err(ApiError::NotJson { status: 404, .. }) => {
                self.fall_back_to_v1();
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// The CID of the session, logging in first if there is none.
    pub(super) async fn current_session(&self) -> Result<(Secret, u64), ApiError> {
        let generation = {
            let session = self.session.lock().await;
            if let Some(cid) = &session.cid {
                return Ok((cid.clone(), session.generation));
            }
            session.generation
        };
        self.relogin(generation).await
    }
}
