//! The simulator against hostile or sloppy clients (issue 9): half-sent requests are timed out
//! (raw TCP on 127.0.0.1 with an ephemeral port and shortened timeouts), a parameter given twice
//! in one place and malformed gateway lists are refused with the controller's envelope before
//! anything starts, and the parameter parser survives arbitrary and mutated input without a
//! panic (`cargo test --release --test sim_hygiene -- --ignored fuzz` runs the long variant;
//! `FUZZ_CASES` sets its number of cases).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

mod common;
#[path = "fuzz/mutate.rs"]
#[allow(
    dead_code,
    reason = "the parameter parser's properties use only the mutator"
)]
mod mutate;

use std::time::Duration;

use avx_upgrade::sim::params::{DEFAULT_BODY_LIMIT, ParamError, Params};
use avx_upgrade::sim::{self, ReadTimeouts, RunningSim, SimConfig};
use bytes::Bytes;
use common::*;
use proptest::prelude::*;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

// ---------------------------------------------------------------------------------------------
// Half-sent requests (item 11)
// ---------------------------------------------------------------------------------------------

/// Short limits, so a test waits well under a second for the server to give up.
const SHORT: ReadTimeouts = ReadTimeouts {
    headers: Duration::from_millis(300),
    body: Duration::from_millis(300),
};

/// How long a test waits for the server to close a connection: far above [`SHORT`], far below
/// the unbounded wait of a server without timeouts.
const CLOSE_DEADLINE: Duration = Duration::from_secs(10);

async fn start_short(config: SimConfig) -> RunningSim {
    sim::start_with_read_timeouts(config, SHORT)
        .await
        .expect("the simulator starts")
}

/// Opens a raw TCP connection to the simulator and sends `bytes` (perhaps nothing).
async fn send_raw(sim: &RunningSim, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(sim.addr).await.expect("connects");
    stream.write_all(bytes).await.expect("sends");
    stream.flush().await.expect("flushes");
    stream
}

/// Reads until the server closes the connection (a read gives 0 bytes or fails) and returns
/// what it sent; panics if the connection is still open after [`CLOSE_DEADLINE`].
async fn read_until_closed(stream: &mut TcpStream, what: &str) -> Vec<u8> {
    let mut received = Vec::new();
    let closed = tokio::time::timeout(CLOSE_DEADLINE, async {
        let mut buffer = [0_u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(read) => received.extend_from_slice(&buffer[..read]),
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "{what}: the connection is still open after {CLOSE_DEADLINE:?}; received {:?}",
        String::from_utf8_lossy(&received)
    );
    received
}

#[tokio::test]
async fn a_partial_header_line_or_a_silent_connection_is_closed_after_the_header_timeout() {
    let sim = start_short(config(fleet(CURRENT), 1000.0)).await;
    let started = Instant::now();
    let mut partial = send_raw(
        &sim,
        b"POST /v2/api HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty",
    )
    .await;
    let mut silent = send_raw(&sim, b"").await;

    let answer = read_until_closed(&mut partial, "a partial header line").await;
    assert!(
        answer.is_empty(),
        "no answer to a request that never arrived: {:?}",
        String::from_utf8_lossy(&answer)
    );
    read_until_closed(&mut silent, "a connection that sends nothing").await;
    assert!(
        started.elapsed() >= SHORT.headers,
        "closed after {:?}, before the header timeout",
        started.elapsed()
    );

    // The simulator keeps serving complete requests.
    let token = post_form(
        &client(),
        &format!("{}/v2/api", sim.url),
        &[("action", "get_api_token")],
    )
    .await;
    assert_eq!(token["return"], true, "{token}");
    sim.stop().await;
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_answered_408_and_closed() {
    let sim = start_short(config(fleet(CURRENT), 1000.0)).await;
    let started = Instant::now();
    let mut stream = send_raw(
        &sim,
        b"POST /v2/api HTTP/1.1\r\nHost: 127.0.0.1\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n\
          action=log",
    )
    .await;

    let answer = read_until_closed(&mut stream, "a body shorter than its Content-Length").await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "a 408 Request Timeout: {answer:?}"
    );
    assert!(answer.contains("Request Timeout"), "{answer:?}");
    assert!(
        started.elapsed() >= SHORT.body,
        "answered after {:?}, before the body timeout",
        started.elapsed()
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_stalled_tls_handshake_is_closed_after_the_header_timeout() {
    let mut config = config(fleet(CURRENT), 1000.0);
    config.tls = true;
    let sim = start_short(config).await;
    // The first bytes of a TLS record header, then nothing.
    let mut stalled = send_raw(&sim, b"\x16\x03\x01").await;
    let mut silent = send_raw(&sim, b"").await;
    read_until_closed(&mut stalled, "a half-sent TLS handshake").await;
    read_until_closed(&mut silent, "a TLS connection that sends nothing").await;
    sim.stop().await;
}

#[tokio::test]
async fn a_request_sent_in_pieces_within_the_timeouts_is_answered() {
    let sim = start_short(config(fleet(CURRENT), 1000.0)).await;
    let mut stream = send_raw(&sim, b"GET /v2/api?action=get_api_token HTTP/1.1\r\n").await;
    stream
        .write_all(b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .expect("sends the rest");
    let answer = read_until_closed(&mut stream, "a complete request with Connection: close").await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    assert!(answer.contains("\"api_token\""), "{answer:?}");
    sim.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Parameters given twice, malformed lists (item 12)
// ---------------------------------------------------------------------------------------------

/// Nothing was dispatched past the parameter check and no operation started.
fn nothing_started(sim: &Sim) -> bool {
    sim.running.with_state(|state| {
        !state.is_busy() && state.platform_ops.is_empty() && state.gateway_ops.is_empty()
    })
}

/// Sends a raw request to `/v2/api` and gives the envelope.
async fn raw_call(sim: &Sim, query: &str, content_type: &str, body: String) -> Value {
    let response = sim
        .client
        .post(format!("{}{query}", sim.api()))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("answered");
    envelope(response).await
}

#[tokio::test]
async fn an_action_given_twice_in_the_query_or_the_body_is_refused_and_runs_nothing() {
    let sim = Sim::start(config(fleet(CURRENT), 1000.0)).await;
    let cid = sim.login().await;
    let form = "application/x-www-form-urlencoded";
    let cases = [
        (
            "form body",
            String::new(),
            form,
            format!("action=list_version_info&action=upgrade_platform&CID={cid}&version=7.2"),
            "body",
        ),
        (
            "form body, percent-encoded name",
            String::new(),
            form,
            format!("action=list_version_info&CID={cid}&%61ction=upgrade_platform&version=7.2"),
            "body",
        ),
        (
            "query string",
            format!("?action=list_version_info&CID={cid}&action=upgrade_platform&version=7.2"),
            form,
            String::new(),
            "query",
        ),
        (
            "JSON body",
            String::new(),
            "application/json",
            format!(
                r#"{{"action":"list_version_info","CID":"{cid}","action":"upgrade_platform","version":"7.2"}}"#
            ),
            "body",
        ),
    ];
    for (what, query, content_type, body, place) in cases {
        let answer = raw_call(&sim, &query, content_type, body).await;
        assert_eq!(answer["return"], false, "{what}: {answer}");
        let reason = answer["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("\"action\"") && reason.contains("twice") && reason.contains(place),
            "{what}: the reason names the parameter and where: {answer}"
        );
        assert!(nothing_started(&sim), "{what} started an operation");
    }
    let dispatched = sim.running.with_state(|state| state.calls.clone());
    assert!(
        !dispatched.contains_key("upgrade_platform"),
        "upgrade_platform never reached: {dispatched:?}"
    );
    // The same parameter in the query and the body is not a repeat: the body wins.
    let answer = raw_call(
        &sim,
        &format!("?action=upgrade_platform&CID={cid}"),
        form,
        format!("action=list_version_info&CID={cid}"),
    )
    .await;
    assert_eq!(answer["return"], true, "{answer}");
    assert!(answer["results"]["current_version"].is_string(), "{answer}");
    assert!(nothing_started(&sim));
    sim.stop().await;
}

#[tokio::test]
async fn malformed_gateway_lists_are_refused_and_run_nothing() {
    let sim = Sim::start(config(fleet(PREVIOUS), 1000.0)).await;
    let cid = sim.login().await;
    let cases = [
        ("egress-use1,egress-use1", "twice"),
        ("egress-use1, egress-use1", "twice"),
        ("transit-use1,,egress-use1", "empty"),
        ("egress-use1,", "empty"),
        (",egress-use1", "empty"),
        ("egress-use1, ,transit-use1", "empty"),
    ];
    for (list, expected) in cases {
        for flag in [("async", "true"), ("dry_run", "true")] {
            let params = [("gateway_list", list), flag];
            let reason = sim.refused(&cid, "upgrade_selected_gateway", &params).await;
            assert!(
                reason.contains("gateway_list") && reason.contains(expected),
                "{params:?}: {reason}"
            );
            assert!(nothing_started(&sim), "{list:?} started an operation");
        }
    }
    // A JSON list with a repeated or empty name is malformed too.
    for list in [r#"["egress-use1","egress-use1"]"#, r#"["egress-use1",""]"#] {
        let answer = raw_call(
            &sim,
            "",
            "application/json",
            format!(
                r#"{{"action":"upgrade_selected_gateway","CID":"{cid}","gateway_list":{list},"async":true}}"#
            ),
        )
        .await;
        assert_eq!(answer["return"], false, "{list}: {answer}");
        assert!(nothing_started(&sim), "{list} started an operation");
    }
    // A well-formed list still works, with spaces around the names.
    let request_id = sim
        .results(
            &cid,
            "upgrade_selected_gateway",
            &[
                ("gateway_list", "egress-use1 , transit-use1"),
                ("async", "true"),
            ],
        )
        .await;
    assert!(request_id.is_string(), "{request_id}");
    sim.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The parameter parser under arbitrary and mutated input (item 16)
// ---------------------------------------------------------------------------------------------

/// Queries and bodies real clients sent (fixtures/real-client-requests.jsonl), secrets as
/// redacted there.
const REAL_QUERIES: &[&str] = &[
    "CID=<cid>&action=list_version_info&latest_version=true",
    "CID=<cid>&action=get_compatible_image_version&cloud_type=16&software_version=7.1",
    "username=admin&password=<password>&action=login&CID=None",
    "account_name=prod-aws&action=list_vpcs_summary&CID=<cid>",
    "action=get_api_token",
];
const REAL_FORMS: &[&str] = &[
    "action=get_api_token&log_enable=true",
    "action=login&password=<password>&username=admin",
    "CID=<cid>&action=upgrade_platform&async=true&gateway_list=&software_version=7.2&version=7.2",
    "CID=<cid>&action=upgrade_selected_gateway&gateway_list=shared-apse1-spoke-identity-0006&image_version=hvm-cloudx-aws-102722&software_version=7.1.4183",
    "action=upgrade_selected_gateway&software_version=latest&force_upgrade=False&async=True&gateway_list=dev-euw1-spoke-analytics-0037&CID=<cid>",
    "action=enable_cloudn_backup_config&CID=<cid>&cloud_type=1&account_name=prod-aws&bucket_name=bkt&multiple=true&region=us-east-1&now=true",
    "version=7.2&action=userconnect_release&CID=<cid>",
];
const REAL_JSON: &[&str] = &[
    r#"{"action": "login", "username": "admin", "password": "<password>"}"#,
    r#"{"CID": "<cid>", "action": "initial_setup", "subaction": "check"}"#,
];

const CONTENT_TYPES: &[Option<&str>] = &[
    None,
    Some("application/x-www-form-urlencoded"),
    Some("application/json"),
    Some("text/json; charset=utf-8"),
];

/// Real queries or bodies mutated by the shared fuzz mutator, up to the body limit.
fn mutated(seeds: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let samples = seeds.iter().map(|seed| seed.as_bytes().to_vec()).collect();
    mutate::inputs(samples, DEFAULT_BODY_LIMIT)
}

/// Bytes that look like parameters: the separators and escapes the parser cares about.
fn form_like() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            Just(b'&'),
            Just(b'='),
            Just(b'%'),
            Just(b'+'),
            Just(b','),
            Just(b'{'),
            Just(b'"'),
            b'0'..=b'9',
            b'a'..=b'f',
            any::<u8>(),
        ],
        0..200,
    )
}

/// Any input the parser may meet: a query (text), a content type, a body.
fn parser_input() -> impl Strategy<Value = (Option<String>, Option<&'static str>, Vec<u8>)> {
    let query = prop_oneof![
        Just(None),
        any::<String>().prop_map(Some),
        mutated(REAL_QUERIES).prop_map(|bytes| Some(String::from_utf8_lossy(&bytes).into_owned())),
    ];
    let body = prop_oneof![
        any::<Vec<u8>>(),
        form_like(),
        form_like().prop_map(|list| [b"gateway_list=".as_slice(), &list].concat()),
        mutated(REAL_FORMS),
        mutated(REAL_JSON),
    ];
    (query, proptest::sample::select(CONTENT_TYPES), body)
}

/// Reads the parameters and uses every accessor: nothing may panic, and what was read obeys
/// the rules (a refusal is a typed error with a reason; a parsed list is well formed).
fn exercise(query: Option<&str>, content_type: Option<&str>, body: &[u8]) {
    let read = Params::read(query, content_type, &Bytes::copy_from_slice(body));
    let params = match read {
        Ok(params) => params,
        Err(error) => {
            assert!(!error.to_string().is_empty(), "{error:?} has a reason");
            return;
        }
    };
    for key in ["action", "CID", "gateway_list", "async", "version"] {
        let _ = params.get(key);
        let _ = params.require(key);
        let _ = params.flag(key);
        if let Ok(names) = params.list(key) {
            assert!(!names.is_empty(), "{key}: a parsed list has names");
            assert!(
                names.iter().all(|name| !name.trim().is_empty()),
                "{names:?}"
            );
            let mut unique = names.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), names.len(), "{names:?} has no repeat");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_parameter_parser_never_panics((query, content_type, body) in parser_input()) {
        exercise(query.as_deref(), content_type, &body);
    }

    /// A form of distinct names reads back every value; the same form with one name repeated
    /// is refused, naming the parameter.
    #[test]
    fn distinct_names_read_back_and_a_repeated_name_is_refused(
        pairs in proptest::collection::btree_map("[a-z_]{1,12}", "[ -~]{0,20}", 1..10),
        repeat in any::<prop::sample::Index>(),
    ) {
        let encode = |text: &str| {
            percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC)
                .to_string()
        };
        let mut form: Vec<String> = pairs
            .iter()
            .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
            .collect();
        let body = Bytes::from(form.join("&"));
        let params = Params::read(None, None, &body).expect("distinct names are read");
        for (name, value) in &pairs {
            prop_assert_eq!(params.get(name), Some(value.as_str()));
        }
        let (name, _) = pairs.iter().nth(repeat.index(pairs.len())).expect("an index in range");
        form.push(format!("{}=again", encode(name)));
        let twice = Params::read(None, None, &Bytes::from(form.join("&")));
        let refused = matches!(
            &twice,
            Err(ParamError::Repeated { name: repeated, .. }) if repeated == name
        );
        prop_assert!(refused, "{:?}", twice);
    }

    /// A list of distinct names parses back in order, whatever the spaces around them.
    #[test]
    fn a_well_formed_list_parses_back_in_order(
        names in proptest::collection::btree_set("[a-z0-9-]{1,20}", 1..20),
        pad in "[ ]{0,2}",
    ) {
        let names: Vec<String> = names.into_iter().collect();
        let list = names.join(&format!("{pad},{pad}"));
        let body = Bytes::from(format!("gateway_list={list}"));
        let params = Params::read(None, None, &body).expect("read");
        prop_assert_eq!(params.list("gateway_list"), Ok(names));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(mutate::long_cases()))]

    /// The long variant: `cargo test --release --test sim_hygiene -- --ignored fuzz`.
    #[test]
    #[ignore = "long: run with --ignored fuzz"]
    fn fuzz_the_parameter_parser((query, content_type, body) in parser_input()) {
        exercise(query.as_deref(), content_type, &body);
    }
}
