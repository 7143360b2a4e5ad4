//! What public Aviatrix clients sent to the simulator (the project's shared
//! `fixtures/real-client-requests.jsonl`), replayed byte for byte over TCP, and how the
//! simulated controller of each era answers them: the provider's concurrent gateway upgrades,
//! the 6.5–7.0 shapes (an integer request id, `check_upgrade_status` at the top level), the
//! provider's `latest`, synchronous `upgrade` answers, and the pre-6.5 `userconnect_release`.
//! The requests come from the fixtures; the answers asserted are the decisions recorded in
//! docs/controller-api.md, never the fixtures' `answer_*` fields (those are what an older
//! simulator said).

use super::*;

/// One request from `fixtures/real-client-requests.jsonl`, as sent (redacted values `<cid>`,
/// `<password>` and `<token>` are filled in before sending; `Host` and `Content-Length`, left
/// out by the capture, are added).
struct Captured {
    method: &'static str,
    path: &'static str,
    query: Option<&'static str>,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
}

const GO_HEADERS: &[(&str, &str)] = &[
    ("User-Agent", "Go-http-client/1.1"),
    ("Content-Type", "application/x-www-form-urlencoded"),
    ("Accept-Encoding", "gzip"),
];
const REQUESTS_FORM_HEADERS: &[(&str, &str)] = &[
    ("User-Agent", "python-requests/2.34.2"),
    ("Accept-Encoding", "gzip, deflate"),
    ("Accept", "*/*"),
    ("Connection", "keep-alive"),
    ("Content-Type", "application/x-www-form-urlencoded"),
];

/// The request's bytes, with the secrets filled in.
fn request_bytes(request: &Captured, host: &str, secrets: &[(&str, &str)]) -> Vec<u8> {
    let fill = |text: &str| {
        secrets
            .iter()
            .fold(text.to_owned(), |text, (from, to)| text.replace(from, to))
    };
    let target = match request.query {
        Some(query) => format!("{}?{}", request.path, fill(query)),
        None => request.path.to_owned(),
    };
    let body = fill(request.body);
    let mut head = format!("{} {target} HTTP/1.1\r\nHost: {host}\r\n", request.method);
    for (name, value) in request.headers {
        head.push_str(&format!("{name}: {}\r\n", fill(value)));
    }
    if !body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    [head.into_bytes(), body.into_bytes()].concat()
}

/// The status, content type and body of a whole HTTP/1.1 answer, once `bytes` holds one.
fn whole_answer(bytes: &[u8]) -> Option<(u16, String, String)> {
    let text = std::str::from_utf8(bytes).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let header = |wanted: &str| {
        head.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case(wanted)
                .then(|| value.trim().to_owned())
        })
    };
    let length: usize = header("content-length")?.parse().ok()?;
    let body = body.get(..length)?.to_owned();
    Some((status, header("content-type").unwrap_or_default(), body))
}

/// Sends `request` over a fresh TCP connection and gives the JSON envelope of the answer,
/// asserting HTTP 200 and `text/json`.
async fn replay(sim: &Sim, request: &Captured, secrets: &[(&str, &str)]) -> Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = sim.running.addr.to_string();
    let mut stream = tokio::net::TcpStream::connect(sim.running.addr)
        .await
        .expect("connects");
    stream
        .write_all(&request_bytes(request, &host, secrets))
        .await
        .expect("sends");
    let mut received = Vec::new();
    let mut buffer = [0_u8; 8192];
    let (status, content_type, body) = loop {
        if let Some(answer) = whole_answer(&received) {
            break answer;
        }
        let read = tokio::time::timeout(DEADLINE, stream.read(&mut buffer))
            .await
            .expect("answered in time")
            .expect("reads");
        assert!(
            read > 0,
            "closed before a whole answer to {} {}: {:?}",
            request.method,
            request.path,
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&buffer[..read]);
    };
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, "text/json", "{body}");
    serde_json::from_str(&body).unwrap_or_else(|error| panic!("not JSON ({error}): {body}"))
}

/// The parameter checks (a name given twice, malformed lists) leave every shape real clients
/// send alone: parameters in the body of a GET, `CID=None` next to the login parameters, the
/// empty `gateway_list=` of a controller-only upgrade, `True`/`False` flags.
#[tokio::test]
async fn real_client_requests_replayed_byte_for_byte_pass_the_parameter_checks() {
    let mut gateways = fleet(CURRENT).gateways().to_vec();
    gateways.push(gateway(
        "dev-euw1-spoke-analytics-0037",
        GatewayType::Spoke,
        Role::Primary,
        PREVIOUS,
    ));
    let snapshot = Snapshot::new(controller(CURRENT, Some(PREVIOUS)), gateways).expect("snapshot");
    let sim = Sim::start(manual(snapshot)).await;
    let password = [("<password>", PASSWORD)];

    // goaviatrix@f2835b4, tf-reads seq 1: a GET whose parameters are in a form body.
    let get_api_token = Captured {
        method: "GET",
        path: "/v2/api",
        query: None,
        headers: GO_HEADERS,
        body: "action=get_api_token&log_enable=true",
    };
    let token = replay(&sim, &get_api_token, &[]).await;
    assert_eq!(token["return"], true, "{token}");
    let token = token["results"]["api_token"]
        .as_str()
        .expect("api_token")
        .to_owned();

    // goaviatrix@f2835b4, tf-reads seq 2.
    let go_login = Captured {
        method: "POST",
        path: "/v2/api",
        query: None,
        headers: &[
            ("User-Agent", "Go-http-client/1.1"),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Access-Key", "<token>"),
            ("Accept-Encoding", "gzip"),
        ],
        body: "action=login&password=<password>&username=admin",
    };
    let answer = replay(&sim, &go_login, &[password[0], ("<token>", &token)]).await;
    assert!(answer["CID"].is_string(), "{answer}");

    // controller-ha-for-aws@5814504, py-ha seq 2: a JSON login.
    let ha_login = Captured {
        method: "POST",
        path: "/v2/api",
        query: None,
        headers: &[
            ("User-Agent", "python-requests/2.34.2"),
            ("Accept-Encoding", "gzip, deflate"),
            ("Accept", "*/*"),
            ("Connection", "keep-alive"),
            ("X-Access-Key", "<token>"),
            ("Content-Type", "application/json"),
        ],
        body: r#"{"action": "login", "username": "admin", "password": "<password>"}"#,
    };
    let answer = replay(&sim, &ha_login, &[password[0], ("<token>", &token)]).await;
    assert!(answer["CID"].is_string(), "{answer}");

    // python_sdk@cada977, py-sdk seq 1: `CID=None` in the query of a login.
    let sdk_login = Captured {
        method: "GET",
        path: "/v1/api",
        query: Some("username=admin&password=<password>&action=login&CID=None"),
        headers: &[
            ("Accept-Encoding", "identity"),
            ("Connection", "close"),
            ("User-Agent", "Python-urllib/2.7"),
        ],
        body: "",
    };
    let answer = replay(&sim, &sdk_login, &password).await;
    let cid = answer["CID"].as_str().expect("a CID").to_owned();
    let secrets = [password[0], ("<cid>", cid.as_str())];

    // smoke-script, py-smoke seq 3: one gateway, `True`/`False` flags.
    let smoke_upgrade = Captured {
        method: "POST",
        path: "/v1/api",
        query: None,
        headers: REQUESTS_FORM_HEADERS,
        body: "action=upgrade_selected_gateway&software_version=latest&force_upgrade=False&async=True&gateway_list=dev-euw1-spoke-analytics-0037&CID=<cid>",
    };
    let answer = replay(&sim, &smoke_upgrade, &secrets).await;
    let request_id = answer["results"].as_str().expect("a request id").to_owned();
    let done = sim.finish_task(&cid, &request_id).await;
    assert_eq!(done["return"], true, "{done}");

    // goaviatrix@v3.0.6, tf306 seq 4: the controller-only upgrade with an empty gateway_list.
    let platform = Captured {
        method: "POST",
        path: "/v1/api",
        query: None,
        headers: GO_HEADERS,
        body: "CID=<cid>&action=upgrade_platform&async=true&gateway_list=&software_version=7.2",
    };
    let answer = replay(&sim, &platform, &secrets).await;
    assert_eq!(answer["return"], true, "{answer}");
    assert!(answer["results"].is_string(), "a request id: {answer}");
    sim.stop().await;
}

const CURL_HEADERS: &[(&str, &str)] = &[
    ("User-Agent", "curl/7.88.1"),
    ("Accept", "*/*"),
    ("Content-Type", "application/x-www-form-urlencoded"),
];

/// A form POST to `path` with `headers` and `body` (placeholders filled by [`replay`]).
fn form_post(
    path: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
) -> Captured {
    Captured {
        method: "POST",
        path,
        query: None,
        headers,
        body,
    }
}

/// goaviatrix's login (tf306 seq 2, the same in every goaviatrix scenario) after its
/// `get_api_token`; gives the CID.
async fn go_login(sim: &Sim) -> String {
    let token = Captured {
        method: "GET",
        path: "/v2/api",
        query: None,
        headers: GO_HEADERS,
        body: "action=get_api_token&log_enable=true",
    };
    let token = replay(sim, &token, &[]).await;
    let token = text(&token["results"]["api_token"]).to_owned();
    let login = form_post(
        "/v2/api",
        &[
            ("User-Agent", "Go-http-client/1.1"),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Access-Key", "<token>"),
            ("Accept-Encoding", "gzip"),
        ],
        "action=login&password=<password>&username=admin",
    );
    let answer = replay(
        sim,
        &login,
        &[("<password>", PASSWORD), ("<token>", &token)],
    )
    .await;
    text(&answer["CID"]).to_owned()
}

/// Point 1. The three calls of `parallel-gateway-upgrades` (curl): a primary, its HA peer and
/// an unrelated gateway, sent at once. Each names a different gateway, so each is accepted,
/// whatever the order they arrive in; a second operation on the same gateway is refused with
/// the exact text clients match.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_upgrades_of_different_gateways_are_all_accepted_and_one_gateway_twice_is_not() {
    let primary = "prod-euw1-spoke-analytics-0139";
    let mut gateways = pair(primary, GatewayType::Spoke, PREVIOUS).to_vec();
    gateways.push(gateway(
        "dev-euc1-spoke-hr-0118",
        GatewayType::Spoke,
        Role::Primary,
        PREVIOUS,
    ));
    let snapshot = Snapshot::new(controller(CURRENT, Some(PREVIOUS)), gateways).expect("fleet");
    let sim = Sim::start(manual(snapshot)).await;
    let login = form_post(
        "/v2/api",
        CURL_HEADERS,
        "action=login&username=admin&password=<password>",
    );
    let answer = replay(&sim, &login, &[("<password>", PASSWORD)]).await;
    let cid = text(&answer["CID"]).to_owned();
    let secrets = [("<cid>", cid.as_str())];
    let upgrade = |body| form_post("/v2/api", CURL_HEADERS, body);
    let calls = [
        upgrade(
            "action=upgrade_selected_gateway&CID=<cid>&gateway_list=prod-euw1-spoke-analytics-0139&software_version=7.1.4183&async=true",
        ),
        upgrade(
            "action=upgrade_selected_gateway&CID=<cid>&gateway_list=prod-euw1-spoke-analytics-0139-hagw&software_version=7.1.4183&async=true",
        ),
        upgrade(
            "action=upgrade_selected_gateway&CID=<cid>&gateway_list=dev-euc1-spoke-hr-0118&software_version=7.1.4183&async=true",
        ),
    ];
    let (first, second, third) = tokio::join!(
        replay(&sim, &calls[0], &secrets),
        replay(&sim, &calls[1], &secrets),
        replay(&sim, &calls[2], &secrets),
    );
    let mut ids = HashSet::new();
    for answer in [&first, &second, &third] {
        assert_eq!(answer["return"], true, "{answer}");
        ids.insert(request_id(&answer["results"]));
    }
    assert_eq!(ids.len(), 3, "three operations, three request ids");
    assert_eq!(sim.running.with_state(|state| state.gateway_ops.len()), 3);

    let again = replay(&sim, &calls[0], &secrets).await;
    assert_eq!(again["return"], false, "{again}");
    assert_eq!(again["reason"], "Active upgrade in progress.");
    assert_eq!(sim.running.with_state(|state| state.gateway_ops.len()), 3);
    sim.stop().await;
}

/// Point 1, the provider's shape (tf-gateways seq 8 and 9): `UpgradeGateway` for a gateway and
/// its `-hagw` peer from two goroutines, synchronous, each naming its image. Both are accepted
/// and both answer when their gateway is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_providers_two_synchronous_calls_for_a_gateway_and_its_hagw_both_complete() {
    let primary = "prod-euw1-spoke-analytics-0139";
    let snapshot = Snapshot::new(
        controller(CURRENT, Some(PREVIOUS)),
        pair(primary, GatewayType::Spoke, PREVIOUS).to_vec(),
    )
    .expect("fleet");
    let sim = Sim::start(manual(snapshot)).await;
    let cid = go_login(&sim).await;
    let secrets = [("<cid>", cid.as_str()), ("<image>", AWS_IMAGE_70)];
    let ha = form_post(
        "/v2/api",
        GO_HEADERS,
        "CID=<cid>&action=upgrade_selected_gateway&gateway_list=prod-euw1-spoke-analytics-0139-hagw&image_version=<image>&software_version=7.1.4183",
    );
    let main = form_post(
        "/v2/api",
        GO_HEADERS,
        "CID=<cid>&action=upgrade_selected_gateway&gateway_list=prod-euw1-spoke-analytics-0139&image_version=<image>&software_version=7.1.4183",
    );
    let steps = async {
        eventually("both calls to be decided", || async {
            sim.running
                .with_state(|state| state.gateway_ops.len() == 2)
                .then_some(())
        })
        .await;
        sim.step_until("both operations to end", TASK_STEP, || async {
            sim.upgrade_status(&cid).await;
            sim.running
                .with_state(|state| !state.is_busy())
                .then_some(())
        })
        .await;
    };
    let (ha, main, ()) = tokio::join!(
        replay(&sim, &ha, &secrets),
        replay(&sim, &main, &secrets),
        steps
    );
    for answer in [ha, main] {
        assert_eq!(
            answer["results"], "Software Upgrade of 1 gateways to 7.1.4183 completed.",
            "{answer}"
        );
    }
    sim.stop().await;
}

/// A controller on 7.0.2239 (the 6.5–7.0 era) with every gateway on it.
fn era_70() -> Snapshot {
    let snapshot = fleet("7.0.2239");
    Snapshot::new(
        controller("7.0.2239", Some("6.9.349")),
        snapshot.gateways().to_vec(),
    )
    .expect("fleet")
}

/// Steps the clock until no operation runs and the controller serves again after any restart.
async fn step_to_the_end(sim: &Sim) {
    sim.step_until("the upgrade to end", Duration::from_secs(30), || async {
        // Any request catches the simulator up; the restart answers no JSON.
        let form = [("action", "list_version_info"), ("CID", "none")];
        let serving = matches!(
            try_call(&sim.client, &sim.api(), &form).await,
            Seen::Json(_)
        );
        let over = sim.running.with_state(|state| !state.is_busy());
        (serving && over).then_some(())
    })
    .await;
}

/// goaviatrix v3.0.6's `check_upgrade_status` poll: its form on `/v1/backend1` (not captured:
/// the client stopped before it; the fields are those of the provider of the era, in the
/// alphabetical order goaviatrix encodes forms in).
fn legacy_poll() -> Captured {
    form_post(
        "/v1/backend1",
        GO_HEADERS,
        "CID=<cid>&action=check_upgrade_status&id=<id>&pos=0",
    )
}

/// Point 2, both eras: v3.0.6's asynchronous `upgrade_platform` (tf306 seq 4) answers an
/// integer request id on a 7.0 controller and a string on 7.1; `check_upgrade_status` answers
/// `pos`, `done`, `status` and `result` at the top level on 7.0 and inside `results` on 7.1,
/// through the upgrade, the restart and a new login, to `done`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_era_answers_the_async_start_and_check_upgrade_status_in_its_own_shape() {
    for (snapshot, target, legacy) in [(era_70(), "7.1", true), (fleet(CURRENT), "7.2", false)] {
        let sim = Sim::start(manual(snapshot)).await;
        let cid = go_login(&sim).await;
        let start = form_post(
            "/v1/api",
            GO_HEADERS,
            "CID=<cid>&action=upgrade_platform&async=true&gateway_list=&software_version=<target>",
        );
        let answer = replay(&sim, &start, &[("<cid>", &cid), ("<target>", target)]).await;
        assert_eq!(answer["return"], true, "{answer}");
        assert_eq!(
            answer["results"].is_u64(),
            legacy,
            "an integer id in the 6.5–7.0 era only: {answer}"
        );
        let id = request_id(&answer["results"]);

        let status = |answer: &Value| -> Value {
            match legacy {
                true => {
                    assert!(
                        answer.get("return").is_none() && answer.get("results").is_none(),
                        "top level, no envelope: {answer}"
                    );
                    answer.clone()
                }
                false => answer["results"].clone(),
            }
        };
        let running = replay(&sim, &legacy_poll(), &[("<cid>", &cid), ("<id>", &id)]).await;
        let running = status(&running);
        assert_eq!(running["done"], false, "{running}");
        assert_eq!(running["status"], true, "{running}");
        assert!(running["pos"].is_u64(), "{running}");

        step_to_the_end(&sim).await;
        // The upgrade ended every session: the client logs in again and polls once more.
        let cid = go_login(&sim).await;
        let done = replay(&sim, &legacy_poll(), &[("<cid>", &cid), ("<id>", &id)]).await;
        let done = status(&done);
        assert_eq!(done["done"], true, "{done}");
        assert_eq!(done["status"], true, "{done}");
        let result = text(&done["result"]);
        assert!(result.contains("completed"), "{result}");
        sim.stop().await;
    }
}

/// Point 3. The provider's `latest`, one apply after another, each sending one call while
/// `list_version_info`'s latest differs from the current version: `upgrade` with no version
/// (tf-upgrade-all seq 4: gateways along) walks 7.0 → 7.1 → 7.2 and then sends nothing;
/// `upgrade_platform` with `latest` (tf-latest seq 8) does the same with the gateways brought
/// up between applies, as the provider's gateway resources do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_latest_applies_reach_the_latest_release_one_train_at_a_time() {
    let upgrade_all = form_post("/v2/api", GO_HEADERS, "CID=<cid>&action=upgrade&async=true");
    let platform_only = form_post(
        "/v2/api",
        GO_HEADERS,
        "CID=<cid>&action=upgrade_platform&async=true&gateway_list=&software_version=latest&version=latest",
    );
    for (call, gateways_along) in [(upgrade_all, true), (platform_only, false)] {
        let sim = Sim::start(manual(era_70())).await;
        let mut reached = Vec::new();
        for _apply in 0..4 {
            let cid = go_login(&sim).await;
            let versions = sim
                .results(&cid, "list_version_info", &[("latest_version", "true")])
                .await;
            if versions["current_version"] == versions["latest_version"] {
                break;
            }
            let current = text(&versions["current_version"]).trim_start_matches("UserConnect-");
            let lagging: Vec<String> = sim
                .upgrade_status(&cid)
                .await
                .iter()
                .filter(|entry| entry["current_version"] != current)
                .map(|entry| text(&entry["name"]).to_owned())
                .collect();
            // `upgrade` takes the gateways along; `upgrade_platform` leaves them a train behind.
            let should_lag = !gateways_along && !reached.is_empty();
            assert_eq!(!lagging.is_empty(), should_lag, "{lagging:?}");
            if !lagging.is_empty() {
                let list = lagging.join(",");
                let answer = sim
                    .call_until_over(&cid, "upgrade_selected_gateway", &[("gateway_list", &list)])
                    .await;
                assert_eq!(answer["return"], true, "{answer}");
            }
            let answer = replay(&sim, &call, &[("<cid>", &cid)]).await;
            assert_eq!(answer["return"], true, "{answer}");
            step_to_the_end(&sim).await;
            let current = sim
                .running
                .with_state(|state| state.snapshot.controller.current_version.to_string());
            reached.push(current);
        }
        assert_eq!(reached, ["7.1.4183", "7.2.5090"], "{gateways_along}");
        sim.stop().await;
    }
}

/// Point 4. setup-script's synchronous `upgrade` (py-setup seq 3) gets a JSON answer before the
/// restart: it reads `return` and exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synchronous_upgrade_is_answered_in_json_before_the_restart() {
    let sim = Sim::start(manual(fleet(CURRENT))).await;
    let login = form_post(
        "/v1/api",
        REQUESTS_FORM_HEADERS,
        "action=login&username=admin&password=<password>",
    );
    let answer = replay(&sim, &login, &[("<password>", PASSWORD)]).await;
    let cid = text(&answer["CID"]).to_owned();
    let upgrade = form_post(
        "/v1/api",
        REQUESTS_FORM_HEADERS,
        "action=upgrade&CID=<cid>&version=7.2",
    );
    let to_the_restart = async {
        eventually("the upgrade to start", || async {
            sim.running
                .with_state(|state| state.is_busy())
                .then_some(())
        })
        .await;
        sim.step_until("the restart window", Duration::from_secs(5), || async {
            let form = [("action", "platform_upgrade_status"), ("CID", cid.as_str())];
            let seen = try_call(&sim.client, &sim.api(), &form).await;
            (!matches!(seen, Seen::Json(_))).then_some(())
        })
        .await;
    };
    let secrets = [("<cid>", cid.as_str())];
    let (answer, ()) = tokio::join!(replay(&sim, &upgrade, &secrets), to_the_restart);
    assert_eq!(answer["return"], true, "{answer}");
    assert!(
        text(&answer["results"]).contains("UserConnect-7.2.5090 is installed"),
        "{answer}"
    );
    sim.stop().await;
}

/// Point 5. python_sdk's `userconnect_release` (py-sdk seq 3) is the pre-6.5 upgrade, which
/// this product does not serve (docs/controller-api.md, "Unsupported"): it is refused as an
/// unknown action on every endpoint, and nothing starts.
#[tokio::test]
async fn the_pre_6_5_userconnect_release_is_refused_as_unknown_and_starts_nothing() {
    let sim = Sim::start(manual(fleet(CURRENT))).await;
    let cid = sim.login().await;
    for path in ["/v1/backend1", "/v2/backend1", "/v1/api"] {
        let release = form_post(
            path,
            &[
                ("Accept-Encoding", "identity"),
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Connection", "close"),
                ("User-Agent", "Python-urllib/2.7"),
            ],
            "version=7.2&action=userconnect_release&CID=<cid>",
        );
        let answer = replay(&sim, &release, &[("<cid>", &cid)]).await;
        assert_eq!(answer["return"], false, "{path}: {answer}");
        assert_eq!(answer["reason"], "valid action required", "{path}");
    }
    assert!(!sim.running.with_state(|state| state.is_busy()));
    sim.stop().await;
}
