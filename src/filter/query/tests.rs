//! Tests of the filter language: free words, keys, negation, prefixes, case and errors.

use super::*;
use crate::cloud::Cloud;
use crate::snapshot::{GatewayType, Role};

pub(in crate::filter) fn gateway(
    name: &str,
    cloud: Cloud,
    region: &str,
    gw_type: GatewayType,
) -> Gateway {
    let mut gateway = Gateway::new(
        name,
        cloud,
        region,
        gw_type,
        Role::Primary,
        "6.5.250".parse().expect("version"),
    );
    gateway.account = Some("prod-acct".into());
    gateway
}

fn passes(query: &str, gateway: &Gateway) -> bool {
    let complete = Shown {
        update_status: &UpdateStatus::Complete,
        live_state: None,
    };
    passes_shown(query, gateway, complete)
}

/// Whether `gateway`, shown as `shown`, passes `query`, which must parse.
pub(in crate::filter) fn passes_shown(query: &str, gateway: &Gateway, shown: Shown<'_>) -> bool {
    let query = Query::parse(query).expect("query parses");
    let regions = [gateway.region.to_string()];
    let accounts = [gateway.account.as_deref().unwrap_or_default().to_owned()];
    let versions = [gateway.software_version.to_string()];
    let prepared = query.prepare(Dictionaries {
        regions: &regions,
        accounts: &accounts,
        versions: &versions,
    });
    prepared.matches(&Subject {
        gateway,
        shown,
        region: 0,
        account: 0,
        version: 0,
        // The fast path for lower-case names, the general one otherwise.
        lower_case: gateway.name.bytes().all(|byte| !byte.is_ascii_uppercase()),
    })
}

#[test]
fn free_text_matches_name_region_account_and_version() {
    let east = gateway(
        "Transit-East",
        Cloud::Aws,
        "us-east-1",
        GatewayType::Transit,
    );
    assert!(passes("transit-e", &east));
    assert!(passes("US-EAST", &east));
    assert!(passes("prod-acct", &east));
    assert!(passes("6.5.250", &east));
    assert!(!passes("west", &east));
}

#[test]
fn different_keys_and_same_key_or() {
    let aws = gateway("a", Cloud::Aws, "us-east-1", GatewayType::Transit);
    let gcp = gateway("g", Cloud::Gcp, "us-east1", GatewayType::Spoke);
    assert!(passes("cloud:aws type:transit", &aws));
    assert!(!passes("cloud:aws type:spoke", &aws));
    assert!(passes("cloud:aws cloud:gcp", &aws));
    assert!(passes("cloud:aws cloud:gcp", &gcp));
    assert!(!passes("cloud:azure cloud:oci", &gcp));
}

#[test]
fn negation_of_words_and_predicates() {
    let aws = gateway("a-transit", Cloud::Aws, "us-east-1", GatewayType::Transit);
    assert!(!passes("!cloud:aws", &aws));
    assert!(passes("!cloud:gcp !cloud:azure", &aws));
    assert!(!passes("!transit", &aws));
    assert!(passes("cloud:aws !role:secondary", &aws));
}

#[test]
fn exact_values_prefixes_and_trains() {
    let mut aws = gateway("a", Cloud::AwsGov, "us-gov-west-1", GatewayType::Spoke);
    aws.role = Role::Secondary;
    assert!(!passes("cloud:aws", &aws), "aws does not match aws-gov");
    assert!(passes("cloud:aws*", &aws));
    assert!(passes("region:us-gov-*", &aws));
    assert!(passes("role:SECONDARY", &aws));
    assert!(passes("version:6.5", &aws));
    assert!(passes("version:6.5.250", &aws));
    assert!(!passes("version:6.5.25", &aws));
    assert!(passes("status:complete", &aws));
    assert!(passes("state:up", &aws));
}

#[test]
fn case_is_ignored_for_ascii_and_other_text() {
    assert!(contains_ignore_case("Transit-EAST", "t-east"));
    assert!(contains_ignore_case("plain", "lai"));
    assert!(!contains_ignore_case("plain", "lain!"));
    assert!(contains_ignore_case("Zürich-GW", "zürich"));
}

#[test]
fn bad_queries_say_what_to_write() {
    let unknown = Query::parse("colour:red").expect_err("unknown key");
    assert!(
        unknown.0.contains("unknown filter key \"colour\""),
        "{unknown}"
    );
    assert!(unknown.0.contains("cloud, region"), "{unknown}");
    let empty = Query::parse("cloud:").expect_err("no value");
    assert!(empty.0.contains("nothing to match"), "{empty}");
    assert!(Query::parse("   ").expect("blank").is_empty());
}

#[test]
fn a_query_narrows_the_one_before_only_by_lengthening_or_adding_plain_words() {
    let narrows = |old: &str, new: &str| {
        let old = Query::parse(old).expect("old parses");
        Query::parse(new).expect("new parses").narrows(&old)
    };
    assert!(narrows("spoke", "spoke-1"));
    assert!(narrows("spoke", "spoke 1"));
    assert!(narrows("cloud:aws spo", "cloud:aws spoke"));
    assert!(narrows("!transit", "!transit spoke"));
    assert!(!narrows("", "spoke"), "from nothing, everything is tested");
    assert!(
        !narrows("region:us-east", "region:us-east-1"),
        "an exact value is not a substring"
    );
    assert!(!narrows("!spo", "!spoke"), "a longer negation keeps more");
    assert!(!narrows("spoke", "spoke*"));
    assert!(!narrows("spoke", "spoke cloud:aws cloud:gcp"));
    assert!(!narrows("spoke-1", "spoke"), "a shorter word keeps more");
    assert!(
        !narrows("cloud:aws", "cloud:aws cloud:gcp"),
        "the same key twice is OR"
    );
}
