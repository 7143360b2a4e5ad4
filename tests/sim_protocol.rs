//! The simulated controller's wire protocol, over real HTTP(S) on 127.0.0.1 with an ephemeral
//! port (controller-api.md §1, §3, §4): the login and session-expiry flow, the envelope and
//! headers of every endpoint, the response shape of every action, bad input (each answered
//! HTTP 200 with `return: false` and a clear reason while the simulator keeps serving),
//! 50 concurrent clients, and HTTPS with a self-signed certificate.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use avx_upgrade::sim::SimConfig;
use avx_upgrade::sim::fleet::{self, FleetSpec};
use avx_upgrade::snapshot::{Controller, GatewayState, GatewayType, Role, Snapshot};
use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Request parameters, as `(name, value)` pairs.
type Params = Vec<(&'static str, &'static str)>;

/// The `CID is invalid or expired.` reason (Confirmed wording).
const CID_INVALID: &str = "CID is invalid or expired.";

fn is_cid(text: &str) -> bool {
    text.len() == 20 && text.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The keys of a JSON object, for shape assertions.
fn keys(value: &Value) -> HashSet<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

#[track_caller]
fn assert_has_keys(value: &Value, expected: &[&str]) {
    let present = keys(value);
    let missing: Vec<&&str> = expected
        .iter()
        .filter(|key| !present.contains(**key))
        .collect();
    assert!(missing.is_empty(), "missing {missing:?} in {value}");
}

// ---------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn login_with_an_api_token_in_form_json_and_query_forms_gives_cids() {
    let sim = Sim::start(config(fleet(CURRENT), 1000.0)).await;

    // get_api_token, in the query string as CP and HA send it.
    let response = sim
        .client
        .get(sim.api())
        .query(&[("action", "get_api_token")])
        .send()
        .await
        .expect("get_api_token");
    let token = envelope(response).await;
    assert_eq!(token["return"], true, "{token}");
    let api_token = token["results"]["api_token"].as_str().expect("api_token");
    assert!(!api_token.is_empty());
    assert_has_keys(&token["results"], &["api_token", "legal_terms", "reason"]);

    // login: form body with X-Access-Key (CP, the provider).
    let response = sim
        .client
        .post(sim.api())
        .header("X-Access-Key", api_token)
        .form(&[
            ("action", "login"),
            ("username", USER),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("login");
    let form_login = envelope(response).await;
    assert_eq!(form_login["return"], true, "{form_login}");
    let form_cid = form_login["CID"].as_str().expect("CID at top level");
    assert!(is_cid(form_cid), "{form_cid}");
    let message = form_login["results"].as_str().expect("a text message");
    assert!(
        message.contains("User login:admin") && message.contains("authorized successfully"),
        "{message}"
    );
    assert!(
        form_login["results"].get("CID").is_none(),
        "the CID is not inside results"
    );

    // login: JSON body, without the header (HA).
    let response = sim
        .client
        .post(sim.api())
        .json(&json!({"action": "login", "username": USER, "password": PASSWORD}))
        .send()
        .await
        .expect("JSON login");
    let json_login = envelope(response).await;
    let json_cid = json_login["CID"].as_str().expect("CID");
    assert!(is_cid(json_cid), "{json_login}");

    // login: legacy GET with the parameters in the query string, on /v1/api (PYSDK).
    let response = sim
        .client
        .get(format!("{}/v1/api", sim.url))
        .query(&[
            ("action", "login"),
            ("username", USER),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("GET login");
    let query_login = envelope(response).await;
    let query_cid = query_login["CID"].as_str().expect("CID");
    assert!(is_cid(query_cid), "{query_login}");

    let distinct: HashSet<&str> = [form_cid, json_cid, query_cid].into_iter().collect();
    assert_eq!(distinct.len(), 3, "every login opens its own session");
    for cid in distinct {
        let versions = sim.versions(cid).await;
        assert_eq!(
            versions["current_version"],
            format!("UserConnect-{CURRENT}")
        );
    }
    sim.stop().await;
}

#[tokio::test]
async fn bad_credentials_are_refused_after_a_delay_and_without_a_cid() {
    let sim = Sim::start(config(fleet(CURRENT), 1000.0)).await;
    for (username, password) in [(USER, "wrong"), ("root", PASSWORD), (USER, "")] {
        let started = Instant::now();
        let answer = post_form(
            &sim.client,
            &sim.api(),
            &[
                ("action", "login"),
                ("username", username),
                ("password", password),
            ],
        )
        .await;
        let took = started.elapsed();
        assert_eq!(answer["return"], false, "{username}/{password}: {answer}");
        assert!(answer.get("CID").is_none(), "no CID on failure: {answer}");
        let reason = answer["reason"].as_str().expect("a reason");
        assert!(!reason.is_empty());
        assert!(
            took >= Duration::from_millis(250),
            "a failed login is answered after a delay against guessing, not in {took:?}"
        );
    }
    let missing = post_form(
        &sim.client,
        &sim.api(),
        &[("action", "login"), ("username", USER)],
    )
    .await;
    assert_eq!(missing["return"], false);
    assert!(
        missing["reason"]
            .as_str()
            .unwrap_or("")
            .contains("password"),
        "{missing}"
    );
    // The right credentials still work afterwards.
    assert!(is_cid(&sim.login().await));
    sim.stop().await;
}

#[tokio::test]
async fn a_required_access_key_must_come_from_get_api_token() {
    let mut config = config(fleet(CURRENT), 1000.0);
    config.require_access_key = true;
    let sim = Sim::start(config).await;
    let login_with = |key: Option<String>| {
        let mut request = sim.client.post(sim.api()).form(&[
            ("action", "login"),
            ("username", USER),
            ("password", PASSWORD),
        ]);
        if let Some(key) = key {
            request = request.header("X-Access-Key", key);
        }
        async move { envelope(request.send().await.expect("login")).await }
    };
    let without = login_with(None).await;
    assert_eq!(without["return"], false, "{without}");
    assert!(without.get("CID").is_none());
    let forged = login_with(Some("forged-token".into())).await;
    assert_eq!(forged["return"], false, "{forged}");
    let token = sim.results("", "get_api_token", &[]).await["api_token"]
        .as_str()
        .expect("api_token")
        .to_owned();
    let with = login_with(Some(token)).await;
    assert_eq!(with["return"], true, "{with}");
    assert!(is_cid(with["CID"].as_str().expect("CID")));
    sim.stop().await;
}

#[tokio::test]
async fn idle_sessions_expire_while_used_ones_live_and_logout_ends_one() {
    let ttl = Duration::from_secs(400);
    let mut config = manual(fleet(CURRENT));
    config.session_ttl = ttl;
    let sim = Sim::start(config).await;
    let cid = sim.login().await;

    // Used every 100 s for well over the TTL: the TTL is an idle time, not a lifetime. Idle for
    // just under the TTL is still alive.
    for _ in 0..10 {
        sim.advance(Duration::from_secs(100));
        sim.versions(&cid).await;
    }
    sim.advance(ttl - Duration::from_secs(1));
    sim.versions(&cid).await;
    // Idle for longer than the TTL: every action now refuses the CID.
    sim.advance(ttl + Duration::from_secs(1));
    for action in [
        "list_version_info",
        "list_vpcs_summary",
        "list_gateway_upgrade_status",
        "platform_upgrade_status",
        "upgrade_platform",
    ] {
        assert_eq!(
            sim.refused(&cid, action, &[]).await,
            CID_INVALID,
            "{action}"
        );
    }
    // Unknown and missing CIDs get the same answer.
    assert_eq!(
        sim.refused("ntFqLV4NNr63sTmxp42S", "list_version_info", &[])
            .await,
        CID_INVALID
    );
    let no_cid = post_form(&sim.client, &sim.api(), &[("action", "list_vpcs_summary")]).await;
    assert_eq!(no_cid["reason"], CID_INVALID, "{no_cid}");

    // Logging in again gives a working session; logging out ends it.
    let fresh = sim.login().await;
    assert_ne!(fresh, cid);
    sim.versions(&fresh).await;
    let bye = sim.results(&fresh, "logout", &[]).await;
    assert!(bye.is_string(), "{bye}");
    assert_eq!(
        sim.refused(&fresh, "list_version_info", &[]).await,
        CID_INVALID
    );
    sim.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Transport and envelope
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_endpoint_answers_http_200_text_json_with_the_envelope() {
    let sim = Sim::start(config(fleet(CURRENT), 1000.0)).await;
    let cid = sim.login().await;
    for path in ["/v1/api", "/v2/api", "/v1/api/", "/v2/api/"] {
        let endpoint = format!("{}{path}", sim.url);
        // GET with the query string, as the provider does for reads.
        let response = sim
            .client
            .get(&endpoint)
            .query(&[("action", "list_version_info"), ("CID", cid.as_str())])
            .send()
            .await
            .expect("GET");
        let headers = response.headers().clone();
        let answer = envelope(response).await;
        assert_eq!(answer["return"], true, "{path}: {answer}");
        assert!(answer["results"]["current_version"].is_string(), "{answer}");
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert_eq!(headers["pragma"], "no-cache", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        // An error is in-band too.
        let refused = post_form(&sim.client, &endpoint, &[("action", "no_such_action")]).await;
        assert_eq!(refused["return"], false);
        assert_eq!(refused["reason"], "valid action required");
    }
    for path in ["/v1/backend1", "/v2/backend1"] {
        let endpoint = format!("{}{path}", sim.url);
        let answer = post_form(
            &sim.client,
            &endpoint,
            &[
                ("action", "check_upgrade_status"),
                ("CID", &cid),
                ("id", "424242"),
                ("pos", "0"),
            ],
        )
        .await;
        assert_eq!(answer["return"], false, "{answer}");
        assert!(
            answer["reason"].as_str().unwrap_or("").contains("424242"),
            "an unknown id is named: {answer}"
        );
        // backend1 does not serve the api actions.
        let wrong = post_form(
            &sim.client,
            &endpoint,
            &[("action", "list_version_info"), ("CID", &cid)],
        )
        .await;
        assert_eq!(wrong["reason"], "valid action required", "{wrong}");
    }
    // check_upgrade_status lives on backend1 only.
    assert_eq!(
        sim.refused(&cid, "check_upgrade_status", &[("id", "1")])
            .await,
        "valid action required"
    );
    // Parameters in the query string and the body are merged; the body wins.
    let response = sim
        .client
        .post(format!("{}?action=get_gateway_info&CID={cid}", sim.api()))
        .form(&[("gateway_name", "egress-use1")])
        .send()
        .await
        .expect("POST");
    let merged = envelope(response).await;
    assert_eq!(merged["results"]["vpc_name"], "egress-use1", "{merged}");
    let response = sim
        .client
        .post(format!(
            "{}?action=get_gateway_info&CID={cid}&gateway_name=nope",
            sim.api()
        ))
        .form(&[("gateway_name", "transit-use1")])
        .send()
        .await
        .expect("POST");
    let body_wins = envelope(response).await;
    assert_eq!(
        body_wins["results"]["vpc_name"], "transit-use1",
        "{body_wins}"
    );
    // Anything but the RPC endpoints is not found, and says so in HTML.
    let response = sim
        .client
        .get(format!("{}/v2.5/api/whatever", sim.url))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 404);
    assert!(content_type(&response).starts_with("text/html"));
    sim.stop().await;
}

#[tokio::test]
async fn unknown_or_missing_actions_answer_valid_action_required() {
    let sim = Sim::start(config(fleet(CURRENT), 1000.0)).await;
    let cid = sim.login().await;
    for form in [
        vec![("action", "format_hard_disk"), ("CID", cid.as_str())],
        vec![("action", ""), ("CID", cid.as_str())],
        vec![("CID", cid.as_str())],
        vec![("action", "format_hard_disk")],
        vec![],
    ] {
        let answer = post_form(&sim.client, &sim.api(), &form).await;
        assert_eq!(answer["return"], false, "{form:?}: {answer}");
        assert_eq!(answer["reason"], "valid action required", "{form:?}");
    }
    let response = sim.client.get(sim.api()).send().await.expect("GET");
    let bare = envelope(response).await;
    assert_eq!(bare["reason"], "valid action required", "{bare}");
    sim.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The shape of every action
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn list_version_info_gives_userconnect_versions_and_latest_when_asked() {
    let sim = Sim::start(config(fleet(CURRENT), 1000.0)).await;
    let cid = sim.login().await;
    let info = sim.versions(&cid).await;
    assert_eq!(info["current_version"], format!("UserConnect-{CURRENT}"));
    assert_eq!(info["previous_version"], format!("UserConnect-{PREVIOUS}"));
    assert_eq!(info["kernel_version"], "5.15.0-1040-aws");
    assert!(
        info.get("latest_version").is_none(),
        "only when asked: {info}"
    );
    let latest = sim
        .results(&cid, "list_version_info", &[("latest_version", "true")])
        .await;
    assert_eq!(latest["latest_version"], format!("UserConnect-{NEXT}"));
    sim.stop().await;

    // A controller that was never upgraded has an empty previous_version (TF #1127).
    let fresh = Snapshot::new(Controller::new(v(CURRENT)), Vec::new()).expect("snapshot");
    let sim = Sim::start(config(fresh, 1000.0)).await;
    let cid = sim.login().await;
    let info = sim.versions(&cid).await;
    assert_eq!(info["previous_version"], "");
    assert_eq!(info["current_version"], format!("UserConnect-{CURRENT}"));
    sim.stop().await;
}

#[tokio::test]
async fn list_vpcs_summary_and_get_gateway_info_use_the_controllers_field_names() {
    let sim = Sim::start(config(fleet(CURRENT), 1000.0)).await;
    let cid = sim.login().await;
    let all = sim.results(&cid, "list_vpcs_summary", &[]).await;
    let records = all.as_array().expect("an array of gateways");
    assert_eq!(records.len(), 5);
    for record in records {
        assert_has_keys(
            record,
            &[
                "vpc_name",
                "cloud_type",
                "account_name",
                "vpc_id",
                "vpc_region",
                "gateway_zone",
                "vpc_size",
                "gw_software_version",
                "gw_image_name",
                "transit_vpc",
                "spoke_vpc",
                "vpc_state",
                "inst_state",
                "public_ip",
                "private_ip",
                "is_hagw",
            ],
        );
        assert_eq!(record["cloud_type"], 1, "AWS is cloud_type 1 as a number");
        assert_eq!(record["vpc_region"], "us-east-1");
        assert_eq!(record["gw_software_version"], CURRENT);
        assert_eq!(record["gw_image_name"], AWS_IMAGE_71);
        assert_eq!(record["vpc_state"], "up");
        assert_eq!(record["inst_state"], "running");
        for flag in ["transit_vpc", "spoke_vpc", "is_hagw"] {
            assert!(
                record[flag] == "yes" || record[flag] == "no",
                "{flag} is a yes/no string: {record}"
            );
        }
        let vpc_id = record["vpc_id"].as_str().expect("vpc_id");
        assert!(
            vpc_id.contains("~~"),
            "an AWS vpc_id is `vpc-…~~name`: {vpc_id}"
        );
    }
    let transit = records
        .iter()
        .find(|record| record["vpc_name"] == "transit-use1")
        .expect("transit-use1");
    assert_eq!(transit["transit_vpc"], "yes");
    assert_eq!(transit["spoke_vpc"], "no");
    assert_eq!(transit["is_hagw"], "no");
    let ha = &transit["hagw_details"];
    assert_eq!(ha["vpc_name"], "transit-use1-hagw", "{transit}");
    assert_has_keys(
        ha,
        &[
            "vpc_name",
            "cloud_type",
            "vpc_size",
            "public_ip",
            "private_ip",
            "gateway_zone",
            "gw_image_name",
            "gw_software_version",
        ],
    );
    let secondary = records
        .iter()
        .find(|record| record["vpc_name"] == "transit-use1-hagw")
        .expect("the HA gateway is listed too");
    assert_eq!(secondary["is_hagw"], "yes");
    assert_eq!(secondary["primary_gw_name"], "transit-use1");
    let egress = records
        .iter()
        .find(|record| record["vpc_name"] == "egress-use1")
        .expect("egress-use1");
    assert!(egress.get("hagw_details").is_none(), "no HA: {egress}");
    assert_eq!(egress["transit_vpc"], "no");
    assert_eq!(egress["spoke_vpc"], "no");

    // Filters.
    let names = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .expect("array")
            .iter()
            .map(|record| record["vpc_name"].as_str().expect("name").to_owned())
            .collect()
    };
    let transit_only = sim
        .results(&cid, "list_vpcs_summary", &[("transit_only", "true")])
        .await;
    assert_eq!(names(&transit_only), ["transit-use1", "transit-use1-hagw"]);
    let spoke_only = sim
        .results(&cid, "list_vpcs_summary", &[("spoke_only", "true")])
        .await;
    assert_eq!(
        names(&spoke_only),
        ["spoke-use1-web", "spoke-use1-web-hagw"]
    );
    let one = sim
        .results(
            &cid,
            "list_vpcs_summary",
            &[("gateway_name", "egress-use1")],
        )
        .await;
    assert_eq!(names(&one), ["egress-use1"]);
    let account = sim
        .results(&cid, "list_vpcs_summary", &[("account_name", "prod-aws")])
        .await;
    assert_eq!(names(&account).len(), 5);
    let other_account = sim
        .results(&cid, "list_vpcs_summary", &[("account_name", "dev-gcp")])
        .await;
    assert!(names(&other_account).is_empty());

    // get_gateway_info answers the same record for one gateway.
    let info = sim
        .results(
            &cid,
            "get_gateway_info",
            &[("gateway_name", "transit-use1")],
        )
        .await;
    assert_eq!(&info, transit, "get_gateway_info matches list_vpcs_summary");
    sim.stop().await;
}

#[tokio::test]
async fn a_generated_fleet_looks_like_a_real_multicloud_controller() {
    let catalog = catalog();
    let snapshot =
        fleet::generate(&FleetSpec::mid_rollout(&catalog, 120, 11), &catalog).expect("fleet");
    let sim = Sim::start(config(snapshot, 1000.0)).await;
    let cid = sim.login().await;
    let all = sim.results(&cid, "list_vpcs_summary", &[]).await;
    let records = all.as_array().expect("array");
    assert_eq!(records.len(), 120, "--gateways counts HA secondaries");
    let cloud_types: HashSet<u64> = records
        .iter()
        .map(|record| record["cloud_type"].as_u64().expect("a number"))
        .collect();
    assert_eq!(
        cloud_types,
        HashSet::from([1, 4, 8, 16]),
        "AWS, GCP, Azure, OCI"
    );
    for record in records {
        let name = record["vpc_name"].as_str().expect("name");
        if name.ends_with("-hagw") {
            assert_eq!(record["is_hagw"], "yes", "{name}");
        }
        if record["cloud_type"] == 8 {
            assert!(
                record["vpc_region"].as_str().expect("region").contains(' '),
                "Azure regions read like `East US`: {record}"
            );
        }
    }
    sim.stop().await;
}

#[tokio::test]
async fn list_gateway_upgrade_status_has_every_column_of_the_window() {
    let sim = Sim::start(config(fleet(CURRENT), 1000.0)).await;
    let cid = sim.login().await;
    let gw_info = sim.upgrade_status(&cid).await;
    assert_eq!(gw_info.len(), 5);
    for entry in &gw_info {
        assert_has_keys(
            entry,
            &[
                "name",
                "vpc_state",
                "update_status",
                "current_version",
                "previous_version",
                "target_version",
                "image_version",
                "previous_image_version",
                "target_image_version",
                "kernel_version",
                "rollback_version",
                "rollback_image_version",
                "account_name",
                "cloud_type",
                "vpc_region",
                "gw_type",
                "is_hagw",
                "progress",
            ],
        );
        assert_eq!(entry["vpc_state"], "up");
        assert_eq!(entry["update_status"], "complete");
        assert_eq!(entry["current_version"], CURRENT);
        assert_eq!(
            entry["target_version"], CURRENT,
            "target = controller current"
        );
        assert_eq!(
            entry["rollback_version"], PREVIOUS,
            "rollback = controller previous"
        );
        assert_eq!(entry["target_image_version"], AWS_IMAGE_71);
        assert_eq!(entry["rollback_image_version"], AWS_IMAGE_70);
        assert_eq!(entry["cloud_type"], 1);
    }
    let types: HashSet<&str> = gw_info
        .iter()
        .map(|entry| entry["gw_type"].as_str().expect("gw_type"))
        .collect();
    assert_eq!(types, HashSet::from(["transit", "spoke", "standalone"]));
    let secondary = gw_info
        .iter()
        .find(|entry| entry["name"] == "spoke-use1-web-hagw")
        .expect("listed");
    assert_eq!(secondary["is_hagw"], "yes");
    assert_eq!(secondary["gw_role"], "secondary");
    sim.stop().await;
}

#[tokio::test]
async fn get_compatible_image_version_follows_the_matrix() {
    let sim = Sim::start(config(fleet(CURRENT), 1000.0)).await;
    let cid = sim.login().await;
    for (cloud_type, software, image) in [
        ("1", CURRENT, AWS_IMAGE_71),
        ("1", "7.0", AWS_IMAGE_70),
        ("8", "7.1.4183", "aviatrix-companion-gateway-v16"),
        ("4", "6.9.349", "gw-base-11082022"),
    ] {
        let answer = sim
            .results(
                &cid,
                "get_compatible_image_version",
                &[("cloud_type", cloud_type), ("software_version", software)],
            )
            .await;
        assert_eq!(answer["image_version"], image, "{cloud_type} {software}");
    }
    let reason = sim
        .refused(
            &cid,
            "get_compatible_image_version",
            &[("cloud_type", "2"), ("software_version", CURRENT)],
        )
        .await;
    assert!(reason.contains("cloud_type"), "{reason}");
    let reason = sim
        .refused(
            &cid,
            "get_compatible_image_version",
            &[("cloud_type", "1"), ("software_version", "5.0")],
        )
        .await;
    assert!(reason.contains("no compatible image"), "{reason}");
    sim.stop().await;
}

#[tokio::test]
async fn dry_runs_answer_the_planners_findings_and_change_nothing() {
    // Transit on the previous version: the platform is blocked; the gateway is not.
    let mut snapshot = fleet(CURRENT);
    let lagging = gateway("lagging-use1", GatewayType::Spoke, Role::Primary, PREVIOUS);
    let mut gateways = snapshot.gateways().to_vec();
    gateways.push(lagging);
    snapshot = Snapshot::new(snapshot.controller.clone(), gateways).expect("snapshot");
    let sim = Sim::start(config(snapshot, 1000.0)).await;
    let cid = sim.login().await;
    let before = sim.running.with_state(|state| state.snapshot.clone());

    let check_shape = |answer: &Value, operation: &str| {
        assert_eq!(answer["dry_run"], true, "{answer}");
        assert_eq!(answer["operation"], operation, "{answer}");
        assert!(answer["blocked"].is_boolean(), "{answer}");
        for finding in answer["findings"].as_array().expect("findings") {
            assert_has_keys(finding, &["severity", "code", "message", "gateways"]);
            assert!(finding["gateways"].is_array());
        }
    };
    let codes = |answer: &Value| -> Vec<String> {
        answer["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|finding| finding["code"].as_str().expect("code").to_owned())
            .collect()
    };

    let platform = sim
        .results(
            &cid,
            "upgrade_platform",
            &[("dry_run", "true"), ("version", "7.2")],
        )
        .await;
    check_shape(&platform, "platform-upgrade");
    assert_eq!(platform["blocked"], true);
    assert_eq!(platform["target"], NEXT);
    let behind = platform["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|finding| finding["code"] == "gateways-behind-controller")
        .expect("gateways-behind-controller");
    assert_eq!(behind["severity"], "blocker");
    assert_eq!(behind["gateways"], json!(["lagging-use1"]));

    let upgrade = sim
        .results(&cid, "upgrade", &[("dry_run", "true"), ("version", "7.2")])
        .await;
    check_shape(&upgrade, "platform-upgrade");
    assert!(codes(&upgrade).contains(&"gateways-behind-controller".to_owned()));

    let software = sim
        .results(
            &cid,
            "upgrade_selected_gateway",
            &[
                ("dry_run", "true"),
                ("gateway_list", "lagging-use1"),
                ("software_version", "latest"),
            ],
        )
        .await;
    check_shape(&software, "software-upgrade");
    assert_eq!(software["blocked"], false, "{software}");
    assert_eq!(software["target"], CURRENT);

    let rollback = sim
        .results(
            &cid,
            "upgrade_selected_gateway",
            &[
                ("dry_run", "true"),
                ("gateway_list", "spoke-use1-web"),
                ("software_version", "previous"),
            ],
        )
        .await;
    check_shape(&rollback, "software-rollback");
    assert_eq!(rollback["target"], PREVIOUS);
    assert!(
        codes(&rollback).contains(&"rollback-disruptive".to_owned()),
        "{rollback}"
    );

    let replace = sim
        .results(
            &cid,
            "replace_gateway",
            &[("dry_run", "true"), ("gateway_name", "egress-use1")],
        )
        .await;
    check_shape(&replace, "image-upgrade");
    assert!(
        codes(&replace).contains(&"already-current".to_owned()),
        "egress-use1 already has the 7.1 image: {replace}"
    );

    let after = sim.running.with_state(|state| {
        assert!(!state.is_busy(), "a dry run starts nothing");
        assert!(state.gateway_ops.is_empty() && state.platform_ops.is_empty());
        state.snapshot.clone()
    });
    assert_eq!(before, after, "a dry run changes nothing");
    sim.stop().await;
}

#[tokio::test]
async fn async_operations_give_a_request_id_that_status_actions_follow() {
    let mut snapshot_gateways = fleet(CURRENT).gateways().to_vec();
    snapshot_gateways.push(gateway(
        "lagging-use1",
        GatewayType::Spoke,
        Role::Primary,
        PREVIOUS,
    ));
    snapshot_gateways.push(gateway(
        "lagging-use2",
        GatewayType::Spoke,
        Role::Primary,
        PREVIOUS,
    ));
    let snapshot =
        Snapshot::new(controller(CURRENT, Some(PREVIOUS)), snapshot_gateways).expect("snapshot");
    // The clock stands still, so the status calls below see the operation running.
    let sim = Sim::start(manual(snapshot)).await;
    let cid = sim.login().await;

    // No platform upgrade has run yet.
    let status = sim
        .results(
            &cid,
            "platform_upgrade_status",
            &[("platform_only", "true")],
        )
        .await;
    assert_eq!(status["is_upgrade_in_progress"], false, "{status}");
    assert_has_keys(
        &status["platform_upgrade"],
        &["progmsg", "reason", "results"],
    );
    assert_has_keys(
        &status["platform_upgrade"]["results"],
        &["status", "msg", "reason"],
    );

    // async=true: the request id is a string (7.1+ era).
    let request_id = sim
        .results(
            &cid,
            "upgrade_selected_gateway",
            &[
                ("gateway_list", "lagging-use1"),
                ("software_version", CURRENT),
                ("image_version", AWS_IMAGE_70),
                ("force_upgrade", "false"),
                ("async", "true"),
            ],
        )
        .await;
    let request_id = request_id.as_str().expect("a string request id").to_owned();
    assert!(request_id.parse::<u64>().is_ok(), "{request_id}");
    let running = sim
        .call(&cid, "check_task_status", &[("request_id", &request_id)])
        .await;
    assert_eq!(running["return"], false, "{running}");
    assert_eq!(running["reason"], "REQUEST_IN_PROGRESS");
    let backend = post_form(
        &sim.client,
        &format!("{}/v2/backend1", sim.url),
        &[
            ("action", "check_upgrade_status"),
            ("CID", &cid),
            ("id", &request_id),
            ("pos", "0"),
        ],
    )
    .await;
    let progress = &backend["results"];
    assert_has_keys(progress, &["pos", "done", "status", "result"]);
    assert_eq!(progress["done"], false, "{backend}");
    assert_eq!(progress["status"], true);

    let done = sim.finish_task(&cid, &request_id).await;
    assert_eq!(done["return"], true, "{done}");
    let message = done["results"].as_str().expect("a message");
    assert!(
        message.contains("completed") && message.contains(CURRENT),
        "{message}"
    );
    let backend = post_form(
        &sim.client,
        &format!("{}/v1/backend1", sim.url),
        &[
            ("action", "check_upgrade_status"),
            ("CID", &cid),
            ("id", &request_id),
            ("pos", "0"),
        ],
    )
    .await;
    assert_eq!(backend["results"]["done"], true, "{backend}");
    assert_eq!(backend["results"]["status"], true, "{backend}");

    // Without async the call answers once the operation has finished.
    let sync = sim
        .call_until_over(
            &cid,
            "upgrade_selected_gateway",
            &[
                ("gateway_list", "lagging-use2"),
                ("software_version", "latest"),
            ],
        )
        .await;
    assert_eq!(sync["return"], true, "{sync}");
    assert!(
        sync["results"]
            .as_str()
            .expect("a message")
            .contains("completed"),
        "{sync}"
    );
    let info = sim
        .results(
            &cid,
            "get_gateway_info",
            &[("gateway_name", "lagging-use2")],
        )
        .await;
    assert_eq!(info["gw_software_version"], CURRENT);
    sim.stop().await;
}

#[tokio::test]
async fn backup_actions_configure_and_take_backups() {
    let mut snapshot = fleet(CURRENT);
    snapshot.controller.checklist.backup = Default::default();
    snapshot.controller.checklist.accounts = vec![avx_upgrade::snapshot::Account {
        name: "prod-aws".into(),
        cloud: Some(avx_upgrade::cloud::Cloud::Aws),
        primary: true,
        valid: true,
        audit_ok: true,
    }];
    let sim = Sim::start(config(snapshot, 1000.0)).await;
    let cid = sim.login().await;
    let config = sim.results(&cid, "get_cloudn_backup_config", &[]).await;
    assert_has_keys(
        &config,
        &[
            "enabled",
            "acct_name",
            "cloud_type",
            "bucket_name",
            "region",
            "multiple_bkup",
        ],
    );
    assert_eq!(config["enabled"], "no");
    assert_eq!(config["acct_name"], "prod-aws");
    assert_eq!(config["cloud_type"], 1);
    let dry_run = || {
        sim.results(
            &cid,
            "upgrade_selected_gateway",
            &[("dry_run", "true"), ("gateway_list", "egress-use1")],
        )
    };
    let has_backup_missing = |answer: &Value| {
        answer["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|finding| finding["code"] == "backup-missing")
    };
    assert!(has_backup_missing(&dry_run().await));

    let enabled = sim
        .results(
            &cid,
            "enable_cloudn_backup_config",
            &[("multiple_bkup", "true")],
        )
        .await;
    assert!(enabled.is_string(), "{enabled}");
    let config = sim.results(&cid, "get_cloudn_backup_config", &[]).await;
    assert_eq!(config["enabled"], "yes");
    assert_eq!(config["multiple_bkup"], "yes");
    assert!(
        has_backup_missing(&dry_run().await),
        "enabled, but none taken"
    );

    sim.results(
        &cid,
        "enable_cloudn_backup_config",
        &[
            ("cloud_type", "1"),
            ("acct_name", "prod-aws"),
            ("now", "true"),
        ],
    )
    .await;
    let config = sim.results(&cid, "get_cloudn_backup_config", &[]).await;
    assert!(
        !config["last_backup"].as_str().unwrap_or("").is_empty(),
        "now=true takes a backup: {config}"
    );
    assert!(
        !has_backup_missing(&dry_run().await),
        "a fresh backup counts"
    );

    sim.results(&cid, "disable_cloudn_backup_config", &[]).await;
    let config = sim.results(&cid, "get_cloudn_backup_config", &[]).await;
    assert_eq!(config["enabled"], "no");
    sim.stop().await;
}

#[tokio::test]
async fn extensions_serve_the_release_catalog_and_the_checklist() {
    let sim = Sim::start(config(fleet(CURRENT), 1000.0)).await;
    let cid = sim.login().await;
    let catalog = sim.results(&cid, "get_release_catalog", &[]).await;
    assert_eq!(catalog["format"], 1);
    let versions: Vec<&str> = catalog["releases"]
        .as_array()
        .expect("releases")
        .iter()
        .map(|release| release["version"].as_str().expect("version"))
        .collect();
    assert!(
        versions.contains(&CURRENT) && versions.contains(&NEXT),
        "{versions:?}"
    );
    assert!(
        catalog["images"]
            .as_array()
            .is_some_and(|images| !images.is_empty())
    );

    let checklist = sim.results(&cid, "get_upgrade_checklist", &[]).await;
    assert_has_keys(
        &checklist,
        &[
            "dns_ok",
            "internet_ok",
            "accounts",
            "controller_ha",
            "backup",
            "t2_t3_unlimited",
        ],
    );
    assert_eq!(checklist["dns_ok"], true);
    assert_eq!(checklist["internet_ok"], true);
    assert_eq!(checklist["backup"]["enabled"], true);
    sim.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn bad_input_is_refused_clearly_and_the_simulator_keeps_serving() {
    let sim = Sim::start(config(fleet(PREVIOUS), 1000.0)).await;
    let cid = sim.login().await;
    let before = sim.running.with_state(|state| state.snapshot.clone());
    let api = sim.api();

    // Raw requests whose parameters cannot be read.
    let raw = |query: &'static str, content_type: &'static str, body: Vec<u8>| {
        let request = sim
            .client
            .post(format!("{api}{query}"))
            .header("content-type", content_type)
            .body(body);
        async move { envelope(request.send().await.expect("the request is answered")).await }
    };
    let form = "application/x-www-form-urlencoded";
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "non-UTF-8 query",
            raw(
                "?action=list_version_info&gateway_name=%FF%FE",
                form,
                Vec::new(),
            )
            .await,
            "UTF-8",
        ),
        (
            "non-UTF-8 form body",
            raw("", form, b"action=login&username=\xff\xfe".to_vec()).await,
            "UTF-8",
        ),
        (
            "non-UTF-8 JSON body",
            raw("", "application/json", b"{\"action\": \"\xff\"}".to_vec()).await,
            "UTF-8",
        ),
        (
            "malformed JSON",
            raw("", "application/json", b"{\"action\": \"login\",".to_vec()).await,
            "invalid JSON body",
        ),
        (
            "a JSON array",
            raw("", "application/json", b"[\"login\"]".to_vec()).await,
            "one object",
        ),
        (
            "a nested JSON object",
            raw(
                "",
                "application/json",
                br#"{"action": "login", "username": {"name": "admin"}}"#.to_vec(),
            )
            .await,
            "username",
        ),
        (
            "a body over 1 MiB",
            raw("", form, vec![b'a'; 1024 * 1024 + 1]).await,
            "request body too large: the limit is 1048576 bytes",
        ),
    ];
    for (what, answer, expected) in &cases {
        assert_eq!(answer["return"], false, "{what}: {answer}");
        let reason = answer["reason"].as_str().unwrap_or("");
        assert!(reason.contains(expected), "{what}: {reason}");
    }
    // A body of exactly 1 MiB is still read.
    let mut big = format!("action=list_version_info&CID={cid}&padding=").into_bytes();
    big.resize(1024 * 1024, b'x');
    let answer = raw("", form, big).await;
    assert_eq!(
        answer["return"], true,
        "a 1 MiB body is within the limit: {answer}"
    );

    // Missing parameters, unknown gateways, bad versions, bad flags, bad ids.
    let refusals: Vec<(&str, Params, &str)> = vec![
        ("get_gateway_info", vec![], "gateway_name required."),
        (
            "get_gateway_info",
            vec![("gateway_name", "nope")],
            "Gateway nope does not exist.",
        ),
        ("upgrade_selected_gateway", vec![], "gateway_list required."),
        (
            "upgrade_selected_gateway",
            vec![("gateway_list", "egress-use1,ghost-gw")],
            "Gateway ghost-gw does not exist.",
        ),
        (
            "upgrade_selected_gateway",
            vec![("gateway_list", "egress-use1"), ("software_version", "7.x")],
            "software_version",
        ),
        (
            "upgrade_selected_gateway",
            vec![("gateway_list", "egress-use1"), ("dry_run", "maybe")],
            "dry_run must be true or false",
        ),
        (
            "upgrade_selected_gateway",
            vec![
                ("gateway_list", "egress-use1"),
                ("image_version", "hvm-nope"),
            ],
            "image_version hvm-nope is not the compatible image",
        ),
        (
            "upgrade_selected_gateway",
            vec![("gateway_list", "egress-use1"), ("operation", "explode")],
            "explode",
        ),
        ("replace_gateway", vec![], "gateway_name required."),
        (
            "replace_gateway",
            vec![("gateway_name", "nope")],
            "Gateway nope does not exist.",
        ),
        ("upgrade_platform", vec![("version", "banana")], "banana"),
        ("upgrade_platform", vec![("version", "7.2.x")], "7.2.x"),
        (
            "upgrade_platform",
            vec![("version", "7.2"), ("gateway_list", "egress-use1")],
            "gateway_list must be empty",
        ),
        ("upgrade", vec![("version", "seven")], "seven"),
        (
            "list_vpcs_summary",
            vec![("transit_only", "perhaps")],
            "transit_only",
        ),
        (
            "list_version_info",
            vec![("latest_version", "2")],
            "latest_version",
        ),
        (
            "get_compatible_image_version",
            vec![],
            "cloud_type required.",
        ),
        (
            "get_compatible_image_version",
            vec![("cloud_type", "1")],
            "software_version required.",
        ),
        (
            "get_compatible_image_version",
            vec![("cloud_type", "one"), ("software_version", "7.1")],
            "invalid cloud_type",
        ),
        ("check_task_status", vec![], "request_id required."),
        (
            "check_task_status",
            vec![("request_id", "abc")],
            "invalid request_id",
        ),
        (
            "check_task_status",
            vec![("request_id", "99999")],
            "unknown",
        ),
        (
            "enable_cloudn_backup_config",
            vec![("now", "soon")],
            "now must be true or false",
        ),
    ];
    for (action, params, expected) in &refusals {
        let reason = sim.refused(&cid, action, params).await;
        assert!(
            reason.contains(expected),
            "{action} {params:?}: expected {expected:?} in {reason:?}"
        );
    }

    // Nothing was started or changed, and the simulator still serves every client.
    sim.running.with_state(|state| {
        assert!(!state.is_busy());
        assert!(state.gateway_ops.is_empty() && state.platform_ops.is_empty());
        assert_eq!(state.snapshot, before);
    });
    let versions = sim.versions(&cid).await;
    assert_eq!(
        versions["current_version"],
        format!("UserConnect-{CURRENT}")
    );
    let other = client();
    let cid2 = login(&other, &sim.url).await;
    let all = sim.results(&cid2, "list_vpcs_summary", &[]).await;
    assert_eq!(all.as_array().map(Vec::len), Some(5));
    sim.stop().await;
}

/// A request refused for a bad `async` flag must not have started anything: the client was
/// told it failed, so nothing may run behind its back.
/// `--max-body-kb 4`: a body over 4096 bytes is refused with the configured limit in the reason,
/// one within it is read, and the simulator keeps serving.
#[tokio::test]
async fn a_configured_body_limit_refuses_a_larger_body_with_the_limit_and_reads_a_smaller_one() {
    let sim = Sim::start(SimConfig {
        body_limit: 4 * 1024,
        ..config(fleet(CURRENT), 1.0)
    })
    .await;
    let cid = sim.login().await;
    let body = |length: usize| {
        let mut body = format!("action=list_version_info&CID={cid}&padding=").into_bytes();
        body.resize(length, b'x');
        sim.client
            .post(sim.api())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    for length in [4 * 1024 + 1, 64 * 1024] {
        let answer = envelope(body(length).await.expect("answered")).await;
        assert_eq!(answer["return"], false, "{length} bytes: {answer}");
        assert_eq!(
            answer["reason"], "request body too large: the limit is 4096 bytes",
            "{length} bytes"
        );
    }
    for length in [4 * 1024, 3 * 1024] {
        let answer = envelope(body(length).await.expect("answered")).await;
        assert_eq!(
            answer["return"], true,
            "{length} bytes is within the limit: {answer}"
        );
        assert!(answer["results"]["current_version"].is_string(), "{answer}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn the_body_limit_cannot_be_zero() {
    let refused = avx_upgrade::sim::start(SimConfig {
        body_limit: 0,
        ..config(fleet(CURRENT), 1.0)
    })
    .await;
    let error = refused.err().expect("a zero limit is refused");
    assert!(
        error.to_string().contains("--max-body-kb 1 or more"),
        "{error}"
    );
}

#[tokio::test]
async fn a_bad_async_flag_is_refused_before_anything_starts() {
    // Gateways behind the controller for the gateway operations; all current for the platform.
    for (software, action, params) in [
        (
            PREVIOUS,
            "upgrade_selected_gateway",
            vec![("gateway_list", "egress-use1"), ("async", "maybe")],
        ),
        (
            PREVIOUS,
            "replace_gateway",
            vec![("gateway_name", "egress-use1"), ("async", "maybe")],
        ),
        (
            CURRENT,
            "upgrade_platform",
            vec![("version", "7.2"), ("async", "maybe")],
        ),
    ] {
        let sim = Sim::start(config(fleet(software), 1000.0)).await;
        let cid = sim.login().await;
        let reason = sim.refused(&cid, action, &params).await;
        assert!(reason.contains("async must be true or false"), "{reason}");
        let started = sim.running.with_state(|state| state.is_busy());
        assert!(
            !started,
            "{action} {params:?} started an operation it refused"
        );
        sim.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Real clients' requests, byte for byte, and how each era answers them: sim_protocol/real_clients.rs
// ---------------------------------------------------------------------------------------------

#[path = "sim_protocol/real_clients.rs"]
mod real_clients;

// ---------------------------------------------------------------------------------------------
// Scale and TLS
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_clients_log_in_and_list_gateways() {
    let catalog = catalog();
    let snapshot =
        fleet::generate(&FleetSpec::mid_rollout(&catalog, 300, 3), &catalog).expect("fleet");
    let sim = Sim::start(config(snapshot, 1000.0)).await;
    let url = sim.url.clone();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let client = client();
                let cid = login(&client, &url).await;
                let answer = post_form(
                    &client,
                    &format!("{url}/v2/api"),
                    &[("action", "list_vpcs_summary"), ("CID", &cid)],
                )
                .await;
                assert_eq!(answer["return"], true, "{answer}");
                let count = answer["results"].as_array().map(Vec::len);
                (cid, count)
            })
        })
        .collect();
    let mut cids = HashSet::new();
    for task in tasks {
        let (cid, count) = task.await.expect("every client succeeds");
        assert_eq!(count, Some(300));
        cids.insert(cid);
    }
    assert_eq!(cids.len(), 50, "50 distinct sessions");
    let open = sim.running.with_state(|state| state.sessions.open_count());
    assert_eq!(open, 50);
    sim.stop().await;
}

#[tokio::test]
async fn https_serves_a_self_signed_certificate_with_the_printed_fingerprint() {
    let mut config = config(fleet(CURRENT), 1000.0);
    config.tls = true;
    let running = avx_upgrade::sim::start(config).await.expect("starts");
    assert!(
        running.url.starts_with("https://127.0.0.1:"),
        "{}",
        running.url
    );
    let fingerprint = running
        .fingerprint
        .clone()
        .expect("a fingerprint over HTTPS");
    assert!(
        running
            .certificate_pem
            .as_deref()
            .is_some_and(|pem| pem.contains("BEGIN CERTIFICATE"))
    );

    // A client that verifies certificates refuses the self-signed one.
    let strict = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let refused = strict
        .get(format!("{}/v2/api?action=get_api_token", running.url))
        .send()
        .await;
    assert!(refused.is_err(), "a self-signed certificate is not trusted");

    // Clients accept it, as every public client does by default.
    let insecure = reqwest::Client::builder()
        .tls_danger_accept_invalid_certs(true)
        .tls_info(true)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let response = insecure
        .get(format!("{}/v2/api?action=get_api_token", running.url))
        .send()
        .await
        .expect("HTTPS");
    let served = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .expect("the peer certificate")
        .to_vec();
    let token = envelope(response).await;
    assert_eq!(token["return"], true);
    let digest: Vec<String> = Sha256::digest(&served)
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect();
    assert_eq!(
        fingerprint,
        digest.join(":"),
        "the printed fingerprint is the served certificate's SHA-256"
    );
    let cid = login(&insecure, &running.url).await;
    let answer = post_form(
        &insecure,
        &format!("{}/v2/api", running.url),
        &[("action", "list_vpcs_summary"), ("CID", &cid)],
    )
    .await;
    assert_eq!(answer["results"].as_array().map(Vec::len), Some(5));
    running.stop().await;
}

/// A gateway that is down shows `down` and a stopped instance in both listings.
#[tokio::test]
async fn a_down_gateway_shows_down_and_a_stopped_instance() {
    let mut gateways = fleet(CURRENT).gateways().to_vec();
    gateways[4].state = GatewayState::Down;
    let snapshot = Snapshot::new(controller(CURRENT, Some(PREVIOUS)), gateways).expect("snapshot");
    let sim = Sim::start(config(snapshot, 1000.0)).await;
    let cid = sim.login().await;
    let info = sim
        .results(&cid, "get_gateway_info", &[("gateway_name", "egress-use1")])
        .await;
    assert_eq!(info["vpc_state"], "down");
    assert_eq!(info["inst_state"], "stopped");
    let status = sim.gateway_status(&cid, "egress-use1").await;
    assert_eq!(status["vpc_state"], "down");
    sim.stop().await;
}
