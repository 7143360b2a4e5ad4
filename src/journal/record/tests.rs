//! Tests of `record`.

use super::*;

fn at() -> Timestamp {
    "2026-11-30T21:15:00Z".parse().expect("a timestamp")
}

fn id() -> OperationId {
    "20261130T211500Z-3fa2".parse().expect("an operation id")
}

fn operation() -> Operation {
    Operation {
        controller: "https://ctl.example.com".to_owned(),
        controller_user: "admin".to_owned(),
        local_user: "alice".to_owned(),
        action: Action::SoftwareUpgrade,
        target: Some(Version::new(7, 2, 5090)),
        platform_before: Version::new(7, 2, 5090),
        gateways: vec![GatewayBefore {
            name: "spoke-1".to_owned(),
            software: Version::new(7, 1, 4183),
            image: Some("hvm-ubuntu-20.04".to_owned()),
            state: "up".to_owned(),
            tunnels_up: true,
            expect_software: Some(Version::new(7, 2, 5090)),
            expect_image: None,
        }],
        skipped: vec![Skipped::new("spoke-2", "already at 7.2.5090")],
        confirmation: Some("1".to_owned()),
        dry_run: Some(DryRunRecord {
            passed: true,
            checks: vec![CheckRecord::new("health", true, "")],
        }),
        rollout: None,
    }
}

fn every_entry() -> Vec<Entry> {
    vec![
        operation().into(),
        Call::new(1, "upgrade_gateway", vec!["spoke-1".to_owned()]).into(),
        Answer {
            request_id: Some("r-17".to_owned()),
            ..Answer::new(1, true, "started")
        }
        .into(),
        Outcome::from_verdicts(
            "1 of 2 gateways failed",
            vec![
                VerdictRecord::pass("spoke-1"),
                VerdictRecord::fail("spoke-3", "still at 7.1.4183"),
            ],
        )
        .into(),
    ]
}

#[test]
fn every_entry_round_trips_on_one_line() {
    for entry in every_entry() {
        let kind = entry.kind();
        let record = Record::new(id(), at(), entry);
        let line = serde_json::to_string(&record).expect("serialises");
        assert!(!line.contains('\n'), "{line}");
        assert!(line.contains(&format!("\"record\":\"{kind}\"")), "{line}");
        let back: Record = serde_json::from_str(&line).expect("deserialises");
        assert_eq!(back, record);
    }
}

#[test]
fn the_operation_record_format_is_pinned() {
    let line = serde_json::to_string(&Record::new(id(), at(), operation())).expect("json");
    assert_eq!(
        line,
        concat!(
            r#"{"v":1,"at":"2026-11-30T21:15:00Z","op":"20261130T211500Z-3fa2","#,
            r#""record":"operation","controller":"https://ctl.example.com","#,
            r#""controller_user":"admin","local_user":"alice","action":"software-upgrade","#,
            r#""target":"7.2.5090","platform_before":"7.2.5090","#,
            r#""gateways":[{"name":"spoke-1","software":"7.1.4183","#,
            r#""image":"hvm-ubuntu-20.04","state":"up","tunnels_up":true,"#,
            r#""expect_software":"7.2.5090"}],"#,
            r#""skipped":[{"name":"spoke-2","reason":"already at 7.2.5090"}],"#,
            r#""confirmation":"1","dry_run":{"passed":true,"checks":[{"item":"health","passed":true}]}}"#,
        )
    );
}

#[test]
fn empty_and_absent_fields_are_left_out_and_read_back() {
    let call = Record::new(id(), at(), Call::new(2, "upgrade_platform", Vec::new()));
    let line = serde_json::to_string(&call).expect("json");
    assert_eq!(
        line,
        r#"{"v":1,"at":"2026-11-30T21:15:00Z","op":"20261130T211500Z-3fa2","record":"call","call":2,"endpoint":"upgrade_platform"}"#
    );
    assert_eq!(serde_json::from_str::<Record>(&line).expect("reads"), call);
}

#[test]
fn unknown_fields_from_a_later_version_are_tolerated() {
    let line = r#"{"v":1,"at":"2026-11-30T21:15:00Z","op":"20261130T211500Z-3fa2","record":"answer","call":1,"accepted":false,"retry_after":30,"message":"busy"}"#;
    let record: Record = serde_json::from_str(line).expect("tolerated");
    assert_eq!(record.entry, Entry::Answer(Answer::new(1, false, "busy")));
}

#[test]
fn a_record_whose_id_is_not_an_operation_id_is_not_a_record() {
    let line = r#"{"v":1,"at":"2026-11-30T21:15:00Z","op":"x","record":"answer","call":1,"accepted":true}"#;
    let error = serde_json::from_str::<Record>(line).expect_err("a bad id");
    assert!(
        error.to_string().contains("is not an operation id"),
        "{error}"
    );
}

#[test]
fn an_unknown_record_kind_is_an_error_naming_it() {
    let line =
        r#"{"v":1,"at":"2026-11-30T21:15:00Z","op":"20261130T211500Z-3fa2","record":"pause"}"#;
    let error = serde_json::from_str::<Record>(line).expect_err("unknown kind");
    assert!(
        error.to_string().contains("unknown variant `pause`"),
        "{error}"
    );
}

#[test]
fn operation_ids_are_the_utc_time_and_four_hex_digits() {
    let first = OperationId::new(at()).to_string();
    assert_eq!(first.len(), "20261130T211500Z-3fa2".len(), "{first}");
    assert!(first.starts_with("20261130T211500Z-"), "{first}");
    assert!(
        first[17..].bytes().all(|byte| byte.is_ascii_hexdigit()),
        "{first}"
    );
    let distinct: std::collections::BTreeSet<_> = (0..64).map(|_| OperationId::new(at())).collect();
    assert!(distinct.len() > 1, "the suffix is random");
}

#[test]
fn a_controller_url_is_written_without_user_and_password() {
    for (url, written) in [
        (
            "https://admin:s3cret@ctl.example.com:8443/",
            "https://ctl.example.com:8443/",
        ),
        ("https://ctl.example.com", "https://ctl.example.com"),
        ("not a url admin:s3cret@ctl", "ctl"),
        ("ht tp://admin:s3cret@ctl/x@y", "ht tp://ctl/x@y"),
    ] {
        let operation = Operation {
            controller: url.to_owned(),
            ..operation()
        };
        let line = serde_json::to_string(&operation).expect("json");
        assert!(
            line.contains(&format!("\"controller\":\"{written}\"")),
            "{url}: {line}"
        );
    }
}

#[test]
fn the_local_user_is_never_empty() {
    assert!(!local_user().is_empty());
}
