//! The client against a hostile or odd controller: a small HTTP server on 127.0.0.1 that
//! answers with redirects toward another listener, with answers that never end or announce a
//! huge length, with a megabyte-long reason, or as an old controller without `/v2`. The client
//! must never follow a redirect (nothing reaches the other listener, and the error names the
//! `Location`), must refuse an answer over its size limit as soon as it is known to be over,
//! must quote a reason short, and must run streamed lists through the same retry loop as
//! every other call.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use avx_upgrade::api::stream::{ListAt, ListSink};
use avx_upgrade::api::{ApiError, Call, Client, ClientSettings, TrustMode};
use avx_upgrade::secret::{Credentials, Secret};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const PASSWORD: &str = "Pw-redirect-7Qx-never-sent";
/// The longest any single wait may take.
const DEADLINE: Duration = Duration::from_secs(30);

/// How the hostile controller answers the requests after the login.
#[derive(Clone)]
enum Hostile {
    /// Every request, the login included, is redirected with this status to this address.
    Redirect(u16, String),
    /// A JSON answer that never ends: `{"return":true,"results":"aaaa…`.
    Endless,
    /// A JSON answer announcing this `Content-Length`, then a few bytes.
    Announced(u64),
    /// A refusal whose reason is this long.
    LongReason(usize),
    /// A controller without `/v2/api` (404) whose first list answer says the session expired;
    /// counts the list requests it gets.
    Old(Arc<AtomicU64>),
}

/// Serves `hostile` on an ephemeral loopback port; returns the base URL.
async fn serve(hostile: Hostile) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream, hostile.clone()));
        }
    });
    url
}

/// Reads one request (head and body), then answers it.
async fn answer(mut stream: TcpStream, hostile: Hostile) {
    let mut request = Vec::new();
    let mut byte = [0u8; 1];
    while !request.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.unwrap_or(0) == 0 {
            return;
        }
        request.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&request).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    if stream.read_exact(&mut body).await.is_err() {
        return;
    }
    let body = String::from_utf8_lossy(&body);
    if let Hostile::Old(lists) = &hostile {
        let _ = old_controller(&mut stream, &head, &body, lists).await;
        return;
    }
    let login = head.contains("get_api_token") || body.contains("action=login");
    let _ = match (&hostile, login) {
        (Hostile::Redirect(status, location), _) => {
            let reply = format!(
                "HTTP/1.1 {status} Moved\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            stream.write_all(reply.as_bytes()).await
        }
        (_, true) => reply_json(&mut stream, r#"{"return":true,"CID":"cid-1","results":{}}"#).await,
        (Hostile::Endless, false) => endless(&mut stream).await,
        (Hostile::Old(_), _) => Ok(()),
        (Hostile::LongReason(length), false) => {
            let reason = "r".repeat(*length);
            let body = format!(r#"{{"return":false,"reason":"{reason}"}}"#);
            reply_json(&mut stream, &body).await
        }
        (Hostile::Announced(length), false) => {
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n{{\"return\":true,\"results\":\""
            );
            let _ = stream.write_all(reply.as_bytes()).await;
            // Hold the connection open: the client must not wait for the rest.
            let mut rest = [0u8; 1];
            stream.read(&mut rest).await.map(|_| ())
        }
    };
}

/// `/v2` is not found; on `/v1` the login works, and the first list answer says the session
/// expired, the next ones list two gateways.
async fn old_controller(
    stream: &mut TcpStream,
    head: &str,
    body: &str,
    lists: &AtomicU64,
) -> std::io::Result<()> {
    if head.contains(" /v2/") {
        let page = "<html>404 Not Found</html>";
        let reply = format!(
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
            page.len()
        );
        return stream.write_all(reply.as_bytes()).await;
    }
    if body.contains("action=login") {
        return reply_json(stream, r#"{"return":true,"CID":"cid-old","results":{}}"#).await;
    }
    if head.contains("get_api_token") {
        return reply_json(stream, r#"{"return":false,"reason":"Unknown action."}"#).await;
    }
    if lists.fetch_add(1, Ordering::SeqCst) == 0 {
        return reply_json(
            stream,
            r#"{"return":false,"reason":"CID is invalid or expired."}"#,
        )
        .await;
    }
    reply_json(
        stream,
        r#"{"return":true,"results":[{"name":"a"},{"name":"b"}]}"#,
    )
    .await
}

async fn reply_json(stream: &mut TcpStream, body: &str) -> std::io::Result<()> {
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(reply.as_bytes()).await
}

/// A chunked JSON answer whose `results` string never closes; ends when the client hangs up.
async fn endless(stream: &mut TcpStream) -> std::io::Result<()> {
    stream
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await?;
    let start = b"{\"return\":true,\"results\":\"";
    stream
        .write_all(format!("{:x}\r\n", start.len()).as_bytes())
        .await?;
    stream.write_all(start).await?;
    stream.write_all(b"\r\n").await?;
    let chunk = vec![b'a'; 64 * 1024];
    loop {
        stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await?;
        stream.write_all(&chunk).await?;
        stream.write_all(b"\r\n").await?;
    }
}

fn client(url: &str, max_answer: u64) -> Client {
    let credentials = Credentials {
        user: "admin".into(),
        password: Secret::new(PASSWORD.to_owned()),
    };
    let mut settings = ClientSettings::new(url, credentials, TrustMode::System);
    settings.read_attempts = 1;
    settings.max_answer = max_answer;
    Client::new(settings).expect("client")
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(DEADLINE, future)
        .await
        .unwrap_or_else(|_| panic!("{what} took longer than {DEADLINE:?}"))
}

/// A listener that counts the connections it gets: where a redirect points.
async fn thief() -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/steal", listener.local_addr().expect("address"));
    let visits = Arc::new(AtomicU64::new(0));
    let counted = visits.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let mut buffer = vec![0u8; 4096];
            let _ = stream.read(&mut buffer).await;
        }
    });
    (url, visits)
}

#[tokio::test]
async fn redirects_are_never_followed_and_name_the_location() {
    for status in [301, 302, 303, 307, 308] {
        let (steal, visits) = thief().await;
        let url = serve(Hostile::Redirect(status, steal.clone())).await;
        let error = within("the login", client(&url, 1 << 20).login())
            .await
            .expect_err("a redirect is an error");
        assert!(
            matches!(&error, ApiError::Redirected { status: seen, location, .. }
                if *seen == status && *location == steal),
            "{status}: {error:?}"
        );
        let text = error.to_string();
        assert!(
            text.contains(&steal) && text.contains("not followed"),
            "{text}"
        );
        assert!(!text.contains(PASSWORD), "{text}");
        // The client has given up; had it followed, the thief would have been visited first.
        assert_eq!(
            visits.load(Ordering::SeqCst),
            0,
            "{status}: the redirect was followed"
        );
    }
}

#[tokio::test]
async fn an_endless_answer_fails_at_the_limit() {
    let url = serve(Hostile::Endless).await;
    let client = client(&url, 1 << 20);
    let error = within(
        "an endless read",
        client.call(&Call::read("list_version_info")),
    )
    .await
    .expect_err("too large");
    assert_eq!(
        error.to_string(),
        "answer too large (over 1.0 MB, limit 1.0 MB) to list_version_info: raise max_answer_mb under [client] in the config if this controller's answers really are that big"
    );
}

#[derive(Debug)]
struct Count(u64);

impl ListSink for Count {
    fn push(&mut self, _element: &str) -> Result<(), String> {
        self.0 += 1;
        Ok(())
    }
}

#[tokio::test]
async fn an_endless_streamed_list_fails_at_the_limit() {
    let url = serve(Hostile::Endless).await;
    let client = client(&url, 1 << 20);
    let call = Call::read("list_vpcs_summary");
    let error = within(
        "an endless list",
        client.call_list(&call, ListAt::Results, || Count(0)),
    )
    .await
    .expect_err("too large");
    assert!(matches!(error, ApiError::TooLarge { .. }), "{error:?}");
}

#[tokio::test]
async fn an_announced_huge_length_fails_before_reading() {
    let url = serve(Hostile::Announced(10 << 30)).await;
    let client = client(&url, 1 << 20);
    let error = within("a huge read", client.call(&Call::read("list_version_info")))
        .await
        .expect_err("too large");
    assert!(
        error
            .to_string()
            .starts_with("answer too large (10240 MB, limit 1.0 MB)"),
        "{error}"
    );
    let call = Call::read("list_vpcs_summary");
    let error = within(
        "a huge list",
        client.call_list(&call, ListAt::Results, || Count(0)),
    )
    .await
    .expect_err("too large");
    assert!(
        error.to_string().starts_with("answer too large (10240 MB"),
        "{error}"
    );
    let mutate = Call::mutate("upgrade_platform");
    let error = within("a huge mutation answer", client.call(&mutate))
        .await
        .expect_err("too large");
    assert!(
        matches!(&error, ApiError::OutcomeUnknown { cause, .. } if cause.contains("too large")),
        "a mutation's unread answer leaves its outcome unknown: {error:?}"
    );
}

#[tokio::test]
async fn a_huge_refusal_reason_is_quoted_short() {
    let url = serve(Hostile::LongReason(1 << 20)).await;
    let client = client(&url, 8 << 20);
    let error = within(
        "a refused read",
        client.call(&Call::read("list_version_info")),
    )
    .await
    .expect_err("refused");
    let text = error.to_string();
    assert!(text.len() < 500, "{} bytes", text.len());
    assert!(text.ends_with("… (1048576 bytes)"), "{text}");
}

/// One retry loop for whole and streamed answers: a list call on a controller without `/v2`
/// falls back to `/v1`, and a session that expired is logged in again once.
#[tokio::test]
async fn a_streamed_list_falls_back_to_v1_and_logs_in_again() {
    let lists = Arc::new(AtomicU64::new(0));
    let url = serve(Hostile::Old(lists.clone())).await;
    let client = client(&url, 1 << 20);
    let call = Call::read("list_vpcs_summary");
    let count = within(
        "a list",
        client.call_list(&call, ListAt::Results, || Count(0)),
    )
    .await
    .expect("listed after the fallback and the re-login");
    assert_eq!(count.0, 2);
    assert_eq!(lists.load(Ordering::SeqCst), 2, "one refused, one answered");
}
