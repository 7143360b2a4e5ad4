//! Every word the gateway table shows for a cloud, type, role, state or update status is taken
//! by the filter for its key and matches the gateways shown with it; unknown words get the list.

use strum::IntoEnumIterator;

use super::*;
use crate::filter::Query;
use crate::filter::query::Shown;
use crate::filter::query::tests::{gateway, passes_shown};
use crate::snapshot::Gateway;

/// A healthy AWS transit primary whose name, region, account and version hold none of the
/// vocabulary's words.
fn plain() -> Gateway {
    gateway("gw-7", Cloud::Aws, "eu-north-1", GatewayType::Transit)
}

/// Whether `gateway` with update status `status` (and no live state) passes `query`.
fn passes(query: &str, gateway: &Gateway, status: &UpdateStatus) -> bool {
    let shown = Shown {
        update_status: status,
        live_state: None,
    };
    passes_shown(query, gateway, shown)
}

/// The error `query` gives.
fn refused(query: &str) -> String {
    Query::parse(query).expect_err(query).0
}

#[test]
fn every_update_status_is_matched_by_its_shown_word_its_wire_word_and_a_prefix() {
    let gateway = plain();
    for (wire, status) in UpdateStatus::WORDS {
        let shown = status_word(&status);
        for word in [
            shown.to_owned(),
            shown.to_uppercase(),
            shown.to_lowercase(),
            format!("{}*", &shown[..3]),
        ] {
            assert!(
                passes(&format!("status:{word}"), &gateway, &status),
                "status:{word} matches {status:?}"
            );
        }
        if !wire.is_empty() {
            assert!(
                passes(&format!("status:{wire}"), &gateway, &status),
                "{wire}"
            );
        }
        for (_, other) in UpdateStatus::WORDS
            .iter()
            .filter(|(_, other)| *other != status)
        {
            assert!(
                !passes(&format!("status:{shown}"), &gateway, other),
                "status:{shown} does not match {other:?}"
            );
        }
    }
}

#[test]
fn a_free_word_matches_the_update_status_the_table_shows() {
    let gateway = plain();
    for (_, status) in UpdateStatus::WORDS {
        let label = status.label();
        if label.is_empty() {
            continue;
        }
        assert!(
            passes(label, &gateway, &status),
            "{label} matches {status:?}"
        );
        assert!(
            !passes(label, &gateway, &UpdateStatus::None),
            "{label} does not match a gateway with no status"
        );
    }
}

#[test]
fn the_issue_s_failed_gateway_answers_to_every_way_of_writing_it() {
    let gateway = plain();
    let failed = UpdateStatus::UpgradeFail;
    for query in [
        "status:failed",
        "status:FAILED",
        "status:fail*",
        "status:upgrade_fail",
        "FAILED",
        "failed",
        "!status:complete",
    ] {
        assert!(passes(query, &gateway, &failed), "{query}");
        assert!(!passes(query, &gateway, &UpdateStatus::Complete), "{query}");
    }
    assert!(passes("status:none", &gateway, &UpdateStatus::None));
    assert!(!passes("status:none", &gateway, &failed));
}

#[test]
fn every_state_is_matched_by_its_word_as_a_key_and_as_a_free_word() {
    for state in GatewayState::iter() {
        let mut gateway = plain();
        gateway.state = state;
        let word = state.name();
        for query in [
            format!("state:{word}"),
            format!("state:{}", word.to_uppercase()),
            word.to_owned(),
        ] {
            assert!(passes(&query, &gateway, &UpdateStatus::None), "{query}");
        }
        for other in GatewayState::iter().filter(|other| *other != state) {
            let query = format!("state:{}", other.name());
            assert!(!passes(&query, &gateway, &UpdateStatus::None), "{query}");
        }
    }
}

#[test]
fn the_live_state_shown_during_an_operation_is_the_one_matched() {
    let gateway = plain();
    let down = Shown {
        update_status: &UpdateStatus::Upgrading,
        live_state: Some("down"),
    };
    assert!(passes_shown("state:down", &gateway, down));
    assert!(passes_shown("down", &gateway, down));
    assert!(!passes_shown("state:up", &gateway, down));
    let rebooting = Shown {
        update_status: &UpdateStatus::Upgrading,
        live_state: Some("rebooting"),
    };
    assert!(passes_shown("reboot", &gateway, rebooting), "a free word");
    assert!(!passes_shown("state:up", &gateway, rebooting));
}

#[test]
fn every_cloud_type_and_role_is_matched_by_its_word_in_any_case() {
    for cloud in Cloud::iter() {
        let mut gateway = plain();
        gateway.cloud = cloud;
        for word in [cloud.name().to_owned(), cloud.name().to_uppercase()] {
            let query = format!("cloud:{word}");
            assert!(passes(&query, &gateway, &UpdateStatus::None), "{query}");
        }
    }
    for gw_type in GatewayType::iter() {
        let mut gateway = plain();
        gateway.gw_type = gw_type;
        let query = format!("type:{}", gw_type.name().to_uppercase());
        assert!(passes(&query, &gateway, &UpdateStatus::None), "{query}");
    }
    for role in Role::iter() {
        let mut gateway = plain();
        gateway.role = role;
        let query = format!("role:{}", role.name().to_uppercase());
        assert!(passes(&query, &gateway, &UpdateStatus::None), "{query}");
    }
}

#[test]
fn a_status_this_build_does_not_know_is_found_by_a_free_word() {
    let rebooting = UpdateStatus::Other("rebooting".into());
    assert!(passes("REBOOT", &plain(), &rebooting));
    assert!(!passes("status:complete", &plain(), &rebooting));
}

#[test]
fn an_unknown_value_lists_the_words_of_its_key() {
    let cloud = refused("cloud:awz");
    assert!(
        cloud.starts_with("no cloud is called \"awz\": use one of aws, azure,"),
        "{cloud}"
    );
    let status = refused("status:fial*");
    assert!(
        status.starts_with("no status starts with \"fial\": use one of none, upgrading,"),
        "{status}"
    );
    assert!(status.ends_with("FAILED (or upgrade_fail)"), "{status}");
    let negated = refused("!state:broken");
    assert!(
        negated.starts_with("no state is called \"broken\""),
        "{negated}"
    );
}

#[test]
fn every_hint_names_every_word_of_its_key() {
    let words = [
        ("cloud", Cloud::iter().map(Cloud::name).collect::<Vec<_>>()),
        ("type", GatewayType::iter().map(GatewayType::name).collect()),
        ("role", Role::iter().map(Role::name).collect()),
        (
            "state",
            GatewayState::iter().map(GatewayState::name).collect(),
        ),
        (
            "status",
            UpdateStatus::WORDS
                .iter()
                .map(|(_, status)| status_word(status))
                .collect(),
        ),
    ];
    for (key, words) in words {
        let hint = refused(&format!("{key}:nothing-like-it"));
        for word in words {
            assert!(hint.contains(word), "{key}: {word} in {hint}");
        }
    }
}

#[test]
fn open_ended_keys_take_any_value() {
    for query in ["region:mars-1", "account:nobody", "name:zz*", "version:9.9"] {
        assert!(Query::parse(query).is_ok(), "{query}");
    }
}
