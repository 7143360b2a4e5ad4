//! Tests of `actions::operations`.

use super::*;

/// Ids in every era's shape are ids; a message, an empty id or an object without one is an
/// answer without an id, never an id made of text.
#[test]
fn a_start_answer_is_an_id_only_when_it_looks_like_one() {
    use serde_json::json;
    for (results, id) in [
        (json!(1001), "1001"),
        (json!("1001"), "1001"),
        (json!({"request_id": "r-7"}), "r-7"),
    ] {
        assert_eq!(started(results), Started::RequestId(id.into()));
    }
    for results in [
        json!("UserConnect-7.2.5090 is installed: the controller restarts now"),
        json!(""),
        json!(null),
        json!({"request_id": ""}),
        json!({"other": 1}),
    ] {
        let answer = started(results.clone());
        assert!(
            matches!(answer, Started::Answered(_)),
            "{results}: {answer:?}"
        );
    }
}

/// A newer controller's dry run: a code and a severity this build does not know.
#[test]
fn unknown_dry_run_codes_and_severities_are_kept_as_blockers() {
    let answer = serde_json::json!({
        "target": "7.2.5090",
        "blocked": false,
        "findings": [
            {"severity": "warning", "code": "backup-missing", "message": "take a backup"},
            {"severity": "critical", "code": "quantum-tunnel-misaligned",
             "message": "realign the quantum tunnel first", "gateways": ["spoke-1"]},
            {"severity": "info", "code": "fresh-insight", "message": "something new"}
        ]
    });
    let result = dry_run("upgrade_selected_gateway", answer).expect("decodes");
    let decoded: Vec<(Severity, &str, &str)> = result
        .findings
        .iter()
        .map(|f| (f.severity, f.code.as_str(), f.message.as_str()))
        .collect();
    assert_eq!(
        decoded,
        [
            (Severity::Warning, "backup-missing", "take a backup"),
            (
                Severity::Blocker,
                "quantum-tunnel-misaligned",
                "realign the quantum tunnel first"
            ),
            (Severity::Info, "fresh-insight", "something new"),
        ]
    );
    assert_eq!(result.findings[0].code, Code::BackupMissing);
    assert_eq!(result.findings[1].gateways, ["spoke-1"]);
    assert!(
        result.blocked,
        "a blocker the controller sent, under any name, blocks"
    );
}
