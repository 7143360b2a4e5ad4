//! Tests of `catalog`.

use super::*;

fn version(text: &str) -> Version {
    text.parse().expect(text)
}

#[test]
fn builtin_catalog_is_realistic() {
    let catalog = Catalog::builtin().expect("the built-in catalog loads");
    let trains: Vec<String> = catalog.trains().map(|train| train.to_string()).collect();
    assert_eq!(
        trains,
        [
            "6.4", "6.5", "6.6", "6.7", "6.8", "6.9", "7.0", "7.1", "7.2"
        ]
    );
    for train in catalog.trains() {
        let builds = catalog
            .releases()
            .iter()
            .filter(|release| release.version.train() == train)
            .count();
        assert!(builds >= 3, "train {train} has only {builds} builds");
    }
    let releases = catalog.releases();
    assert!(releases.iter().all(|release| release.date.is_some()));
    assert!(
        releases
            .iter()
            .any(|release| release.kind == ReleaseKind::SecurityPatch)
    );
    assert!(
        releases
            .iter()
            .any(|release| release.kind == ReleaseKind::SoftwarePatch)
    );
    assert!(releases.iter().any(|release| !release.hitless));
    assert!(releases.iter().any(|release| release.openvpn_restart));
    for cloud in <Cloud as strum::IntoEnumIterator>::iter() {
        assert!(
            catalog.images().iter().any(|entry| entry.cloud == cloud),
            "no image for {cloud}"
        );
    }
    for train in catalog.trains() {
        for cloud in [Cloud::Aws, Cloud::Azure, Cloud::Gcp, Cloud::Oci] {
            assert!(catalog.image_for(cloud, train).is_some(), "{cloud} {train}");
        }
    }
}

#[test]
fn dates_are_in_version_order_within_a_train() {
    let catalog = Catalog::builtin().expect("loads");
    for pair in catalog.releases().windows(2) {
        if pair[0].version.train() == pair[1].version.train() {
            assert!(
                pair[0].date < pair[1].date,
                "{:?} vs {:?}",
                pair[0],
                pair[1]
            );
        }
    }
}

#[test]
fn newest_per_train_and_latest() {
    let catalog = Catalog::from_versions(["6.6.900", "6.5.250", "6.6.100", "6.5.750"].map(version))
        .expect("valid");
    assert_eq!(
        catalog.newest_in(Train::new(6, 5)),
        Some(version("6.5.750"))
    );
    assert_eq!(
        catalog.newest_in(Train::new(6, 6)),
        Some(version("6.6.900"))
    );
    assert_eq!(catalog.newest_in(Train::new(6, 7)), None);
    assert_eq!(catalog.latest(), version("6.6.900"));
    assert_eq!(catalog.next_train(Train::new(6, 5)), Some(Train::new(6, 6)));
    assert_eq!(catalog.next_train(Train::new(6, 6)), None);
    assert_eq!(catalog.releases()[0].version, version("6.5.250"), "sorted");
}

#[test]
fn prefixed_versions_are_accepted_and_written_bare() {
    let json = br#"{"format":1,"releases":[{"version":"UserConnect-6.5.750","date":"2022-01-10","kind":"security-patch","hitless":false}]}"#;
    let catalog = Catalog::parse("c.json", json).expect("valid");
    let release = catalog.release(version("6.5.750")).expect("present");
    assert_eq!(release.kind, ReleaseKind::SecurityPatch);
    assert!(!release.hitless);
    assert!(catalog.to_json().contains("\"6.5.750\""));
    assert!(!catalog.to_json().contains("UserConnect"));
}

#[test]
fn load_errors_name_file_path_and_expectation() {
    let cases: [(&str, &str, &str); 8] = [
        (
            r#"{"format":1,"releases":[{"version":"6.5.1","date":"10/01/2022"}]}"#,
            "releases[0].date",
            "expected YYYY-MM-DD",
        ),
        (
            r#"{"format":1,"releases":[{"version":"6.5"}]}"#,
            "releases[0].version",
            "MAJOR.MINOR.BUILD",
        ),
        (
            r#"{"format":1,"releases":[{"date":"2022-01-10"}]}"#,
            "releases[0]",
            "missing field `version`",
        ),
        (
            r#"{"format":1,"releases":[{"version":"6.5.1","kind":"hotfix"}]}"#,
            "releases[0].kind",
            "security-patch",
        ),
        (
            r#"{"format":1,"releases":[{"version":"6.5.1"},{"version":"6.5.1"}]}"#,
            "releases[1].version",
            "listed twice",
        ),
        (
            r#"{"format":2,"releases":[{"version":"6.5.1"}]}"#,
            "format",
            "expected format 1",
        ),
        (
            r#"{"format":1,"releases":[]}"#,
            "releases",
            "at least one release",
        ),
        (
            r#"{"format":1,"releases":[{"version":"6.5.1"}],"images":[{"cloud":"ibm","software":"6.5","image":"x"}]}"#,
            "images[0].cloud",
            "aws",
        ),
    ];
    for (json, path, expected) in cases {
        let error = Catalog::parse("cat.json", json.as_bytes()).expect_err(json);
        assert_eq!(error.json_path(), Some(path), "{error}");
        let text = error.to_string();
        assert!(text.starts_with("cat.json: "), "{text}");
        assert!(text.contains(expected), "{text}");
    }
}

#[test]
fn release_numbers_beyond_u32_are_refused_at_their_path() {
    let huge = u64::MAX;
    for (json, path) in [
        (
            format!(
                r#"{{"format":1,"releases":[{{"version":"6.5.1"}},{{"version":"6.5.{huge}"}}]}}"#
            ),
            "releases[1].version",
        ),
        (
            format!(
                r#"{{"format":1,"releases":[{{"version":"6.5.1"}}],"images":[{{"cloud":"aws","software":"{huge}.5","image":"x"}}]}}"#
            ),
            "images[0].software",
        ),
    ] {
        let error = Catalog::parse("cat.json", json.as_bytes()).expect_err(&json);
        assert_eq!(error.json_path(), Some(path), "{error}");
        assert!(error.to_string().contains("too large"), "{error}");
    }
}

#[test]
fn duplicate_images_are_rejected() {
    let json = r#"{"format":1,"releases":[{"version":"6.5.1"}],"images":[
        {"cloud":"aws","software":"6.5","image":"a"},{"cloud":"aws","software":"6.5","image":"b"}]}"#;
    let error = Catalog::parse("cat.json", json.as_bytes()).expect_err("duplicate");
    assert_eq!(error.json_path(), Some("images[1]"));
}

#[test]
fn image_lookup_is_per_cloud_and_train() {
    let json = r#"{"format":1,"releases":[{"version":"6.6.1"}],"images":[
        {"cloud":"aws","software":"6.6","image":"hvm-cloudx-aws-031722","kernel":"5.4.0-1094-aws"}]}"#;
    let catalog = Catalog::parse("cat.json", json.as_bytes()).expect("valid");
    let entry = catalog
        .image_for(Cloud::Aws, Train::new(6, 6))
        .expect("present");
    assert_eq!(entry.image, "hvm-cloudx-aws-031722");
    assert!(catalog.image_for(Cloud::Gcp, Train::new(6, 6)).is_none());
    assert!(catalog.image_for(Cloud::Aws, Train::new(6, 5)).is_none());
}
