//! End-to-end tests of the command line: every test runs the real `avx-upgrade` binary on
//! snapshot and catalog files written to a temporary directory, and checks the contract of
//! `plan` and `check`: what is printed (text and `--json`) and the exit codes (0: no blocker,
//! 1: a blocker, 2: invalid input, with exactly one `error: ` line on stderr and nothing on
//! stdout).
//!
//! Every `check` runs with a fixed `--at` and snapshots whose backup is recent as of that time,
//! so no result depends on the clock.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

use std::process::Command;

use serde_json::{Value, json};
use tempfile::TempDir;

/// The clock reading every `check` runs at.
const AT: &str = "2026-11-23T12:00:00Z";
/// A backup twelve hours before [`AT`]: recent, so `backup-missing` is not reported.
const RECENT_BACKUP: &str = "2026-11-23T00:00:00Z";

/// The guide's Release Versions example: 6.4.321 running, 6.6.123 the newest on the server.
const GUIDE_CATALOG: &str = r#"{
  "format": 1,
  "releases": [
    { "version": "6.4.321" },
    { "version": "6.5.100" },
    { "version": "6.5.900" },
    { "version": "6.6.100" },
    { "version": "6.6.123" }
  ]
}"#;

/// The guide's mixed-versions example: builds 6.5.250 and 6.5.750, then train 6.6.
const FLEET_CATALOG: &str = r#"{
  "format": 1,
  "releases": [
    { "version": "6.5.250" },
    { "version": "6.5.750" },
    { "version": "6.6.100" }
  ],
  "images": [
    { "cloud": "aws", "software": "6.5", "image": "hvm-cloudx-aws-022021" },
    { "cloud": "aws", "software": "6.6", "image": "hvm-cloudx-aws-031722" }
  ]
}"#;

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

/// What one run of the binary did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Asserts the exit code and returns the run for further checks.
    #[track_caller]
    fn exits(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "unexpected exit code: {self:#?}");
        self
    }

    /// Asserts a successful output (0 or 1): something on stdout, nothing on stderr.
    #[track_caller]
    fn output(&self, code: i32) -> &str {
        self.exits(code);
        assert!(!self.stdout.trim().is_empty(), "no output: {self:#?}");
        assert_eq!(self.stderr, "", "unexpected stderr: {self:#?}");
        &self.stdout
    }

    /// stdout parsed as exactly one JSON object.
    #[track_caller]
    fn json(&self, code: i32) -> Value {
        let text = self.output(code);
        let value: Value = serde_json::from_str(text)
            .unwrap_or_else(|error| panic!("stdout is not one JSON document ({error}): {text}"));
        assert!(value.is_object(), "expected a JSON object: {value}");
        value
    }

    /// Asserts the invalid-input contract and returns the one error line.
    #[track_caller]
    fn invalid(&self) -> &str {
        self.exits(2);
        assert_eq!(
            self.stdout, "",
            "invalid input must print nothing on stdout: {self:#?}"
        );
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "expected exactly one stderr line: {self:#?}"
        );
        assert!(
            self.stderr.ends_with('\n'),
            "the error line ends with a newline: {self:#?}"
        );
        let line = lines[0];
        assert!(line.starts_with("error: "), "{line}");
        assert!(line.len() > "error: ".len() + 10, "an empty error: {line}");
        line
    }
}

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_avx-upgrade"));
    command.args(args);
    command
}

fn finish(command: &mut Command) -> Run {
    let output = command.output().expect("the binary runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

fn run(args: &[&str]) -> Run {
    finish(&mut command(args))
}

fn plan(args: &[&str]) -> Run {
    run(&[&["plan"], args].concat())
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/// A temporary directory holding a catalog and a snapshot.
struct Files {
    dir: TempDir,
    catalog: String,
    state: String,
}

impl Files {
    /// `catalog` and `snapshot` written as `catalog.json` and `state.json`.
    fn new(catalog: &str, snapshot: &Value) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut files = Self {
            dir,
            catalog: String::new(),
            state: String::new(),
        };
        files.catalog = files.write("catalog.json", catalog);
        files.state = files.write("state.json", &snapshot.to_string());
        files
    }

    /// The fleet catalog and `snapshot`.
    fn fleet(snapshot: &Value) -> Self {
        Self::new(FLEET_CATALOG, snapshot)
    }

    /// Writes `name` in the directory and returns its path.
    fn write(&self, name: &str, contents: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write a fixture");
        path.to_str().expect("UTF-8 temporary path").to_owned()
    }

    /// A path in the directory where no file exists.
    fn missing(&self, name: &str) -> String {
        let path = self.dir.path().join(name);
        assert!(!path.exists());
        path.to_str().expect("UTF-8 temporary path").to_owned()
    }

    /// The `avx-upgrade check` command on these files as of `at`, plus `args`.
    fn check_command(&self, at: &str, args: &[&str]) -> Command {
        let base = [
            "check",
            "--state",
            &self.state,
            "--catalog",
            &self.catalog,
            "--at",
            at,
        ];
        command(&[&base[..], args].concat())
    }

    /// `avx-upgrade check` on these files as of `at`, plus `args`.
    fn check_at(&self, at: &str, args: &[&str]) -> Run {
        finish(&mut self.check_command(at, args))
    }

    /// `avx-upgrade check` on these files as of [`AT`], plus `args`.
    fn check(&self, args: &[&str]) -> Run {
        self.check_at(AT, args)
    }

    /// `avx-upgrade plan --state` on these files, plus `args`.
    fn plan(&self, args: &[&str]) -> Run {
        plan(&[&["--state", &self.state, "--catalog", &self.catalog], args].concat())
    }
}

/// A healthy AWS spoke gateway on `version`.
fn gateway(name: &str, version: &str) -> Value {
    json!({
        "name": name,
        "cloud": "aws",
        "region": "us-east-1",
        "gw_type": "spoke",
        "role": "primary",
        "software_version": version,
        "image_version": "hvm-cloudx-aws-022021",
    })
}

/// A controller on `controller` (upgraded from 6.5.250, recent backup) and `gateways`.
fn snapshot(controller: &str, gateways: &[Value]) -> Value {
    json!({
        "format": 1,
        "controller": {
            "current_version": controller,
            "previous_version": "6.5.250",
            "backup": { "enabled": true, "last_backup": RECENT_BACKUP, "files_kept": 3 },
        },
        "gateways": gateways,
    })
}

/// The guide's mixed versions: controller on 6.5.750, gw-2 and gw-4 still on 6.5.250.
fn mixed_fleet() -> Value {
    snapshot(
        "6.5.750",
        &[
            gateway("gw-1", "6.5.750"),
            gateway("gw-2", "6.5.250"),
            gateway("gw-3", "6.5.750"),
            gateway("gw-4", "6.5.250"),
        ],
    )
}

/// Controller and every gateway on 6.5.750.
fn level_fleet() -> Value {
    snapshot(
        "6.5.750",
        &[
            gateway("gw-1", "6.5.750"),
            gateway("gw-2", "6.5.750"),
            gateway("gw-3", "6.5.750"),
        ],
    )
}

/// An image older than the catalog's for 6.5: an image upgrade replaces a gateway on it.
const OLD_IMAGE: &str = "hvm-cloudx-aws-102020";

/// An HA pair of spokes whose primary, spoke-1, is down, has BGP peers and runs an older image,
/// and one more gateway: an image upgrade of spoke-1 finds a blocker, a warning and information.
fn ha_fleet() -> Value {
    let mut spoke = gateway("spoke-1", "6.5.750");
    spoke["image_version"] = json!(OLD_IMAGE);
    spoke["peer"] = json!("spoke-1-hagw");
    spoke["bgp_peers"] = json!(2);
    spoke["state"] = json!("down");
    let mut hagw = gateway("spoke-1-hagw", "6.5.750");
    hagw["role"] = json!("secondary");
    hagw["peer"] = json!("spoke-1");
    snapshot("6.5.750", &[spoke, hagw, gateway("gw-9", "6.5.750")])
}

// ---------------------------------------------------------------------------------------------
// Reading the output
// ---------------------------------------------------------------------------------------------

/// The value of the text line labelled `label` (e.g. `Release Versions`), trimmed.
#[track_caller]
fn field<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|line| {
            let rest = line.trim_start().strip_prefix(label)?;
            rest.strip_prefix(':').map(str::trim)
        })
        .unwrap_or_else(|| panic!("no `{label}:` line in:\n{text}"))
}

/// The numbered steps of a plan's text: (number, text).
fn steps(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .filter_map(|line| {
            let (number, rest) = line.trim_start().split_once(". ")?;
            Some((number.parse().ok()?, rest))
        })
        .collect()
}

/// The items of the `findings` array.
#[track_caller]
fn findings(value: &Value) -> &Vec<Value> {
    value["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array: {value:#}"))
}

/// The codes of every finding.
fn codes(value: &Value) -> Vec<&str> {
    findings(value)
        .iter()
        .map(|finding| finding["code"].as_str().expect("a code string"))
        .collect()
}

/// The one finding with `code`.
#[track_caller]
fn finding<'a>(value: &'a Value, code: &str) -> &'a Value {
    let matching: Vec<&Value> = findings(value)
        .iter()
        .filter(|finding| finding["code"] == code)
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "expected one `{code}` finding: {value:#}"
    );
    matching[0]
}

/// The gateway names a finding lists.
fn gateways_of(finding: &Value) -> Vec<&str> {
    finding["gateways"]
        .as_array()
        .expect("a gateways array")
        .iter()
        .map(|name| name.as_str().expect("a gateway name"))
        .collect()
}

/// The version strings of a JSON array such as `hops`.
fn versions(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|version| version.as_str().expect("a version string"))
        .collect()
}

/// `(major, minor, build)` of a version string.
fn parts(version: &str) -> (u64, u64, u64) {
    let numbers: Vec<u64> = version
        .split('.')
        .map(|part| part.parse().expect(version))
        .collect();
    (numbers[0], numbers[1], numbers[2])
}

// ---------------------------------------------------------------------------------------------
// plan
// ---------------------------------------------------------------------------------------------

#[test]
fn plan_shows_the_guides_release_versions_example() {
    let files = Files::new(GUIDE_CATALOG, &level_fleet());
    for target in [&[][..], &["--target", "6.6"][..]] {
        let run = plan(
            &[
                &["--current", "6.4.321", "--catalog", &files.catalog],
                target,
            ]
            .concat(),
        );
        let out = run.output(0);
        assert_eq!(
            field(out, "Release Versions"),
            "UserConnect-6.6.123 (6.5,6.6)"
        );
        assert_eq!(field(out, "Current version"), "6.4.321");
        assert_eq!(field(out, "Newest version"), "6.6.123");
    }
}

#[test]
fn plan_text_shows_target_hops_and_numbered_steps() {
    let files = Files::new(GUIDE_CATALOG, &level_fleet());
    let run = plan(&[
        "--current",
        "UserConnect-6.4.321",
        "--catalog",
        &files.catalog,
        "--target",
        "6.6",
    ]);
    let out = run.output(0);
    assert_eq!(field(out, "Target"), "6.6.123");
    let hops = field(out, "Hops");
    let first = hops.find("6.5.900").unwrap_or_else(|| panic!("{hops}"));
    let second = hops.find("6.6.123").unwrap_or_else(|| panic!("{hops}"));
    assert!(first < second, "hops out of order: {hops}");
    assert!(
        !hops.contains("6.5.100"),
        "only the newest build of a train: {hops}"
    );
    let steps = steps(out);
    let numbers: Vec<usize> = steps.iter().map(|&(number, _)| number).collect();
    assert_eq!(numbers, (1..=steps.len()).collect::<Vec<_>>(), "{out}");
    assert!(steps.len() >= 2, "{out}");
    assert!(
        steps[0].1.contains("6.4.321") && steps[0].1.contains("6.5.900"),
        "{out}"
    );
    assert!(
        steps.iter().any(|(_, text)| text.contains("6.6.123")),
        "{out}"
    );
}

/// The release notes of each hop come with the plan, as the guide asks ("understand the
/// release contents" first): hitless or not, whether OpenVPN restarts, the notes.
#[test]
fn plan_shows_the_release_notes_of_each_hop() {
    let out = plan(&["--current", "7.0.2239", "--target", "7.2"])
        .output(0)
        .to_owned();
    let notes = out
        .split("Release notes (read them before upgrading):")
        .nth(1)
        .unwrap_or_else(|| panic!("no release notes: {out}"));
    let lines: Vec<&str> = notes
        .lines()
        .filter(|line| line.starts_with("  - "))
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("  - 7.1.4183 (2024-01-23, build; hitless)"),
        "{out}"
    );
    assert!(
        lines[1].contains("7.2.5090") && lines[1].contains("OpenVPN restarts"),
        "{out}"
    );
    let json = plan(&["--current", "7.0.2239", "--target", "7.2", "--json"]).json(0);
    let notes = json["release_notes"].as_array().expect("release_notes");
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[1]["version"], "7.2.5090");
    assert_eq!(notes[1]["openvpn_restart"], true);
    assert!(
        notes[1]["notes"]
            .as_str()
            .is_some_and(|text| text.contains("OpenVPN"))
    );
}

#[test]
fn plan_json_has_the_documented_keys_and_values() {
    let files = Files::new(GUIDE_CATALOG, &level_fleet());
    let run = plan(&[
        "--current",
        "6.4.321",
        "--catalog",
        &files.catalog,
        "--target",
        "6.6",
        "--json",
    ]);
    let plan = run.json(0);
    for key in [
        "current",
        "latest",
        "target",
        "release_versions",
        "hops",
        "steps",
        "findings",
    ] {
        assert!(plan.get(key).is_some(), "missing `{key}`: {plan:#}");
    }
    assert_eq!(plan["current"], "6.4.321");
    assert_eq!(plan["latest"], "6.6.123");
    assert_eq!(plan["target"], "6.6.123");
    assert_eq!(plan["release_versions"], "UserConnect-6.6.123 (6.5,6.6)");
    assert_eq!(versions(&plan["hops"]), ["6.5.900", "6.6.123"]);
    let steps = plan["steps"].as_array().expect("steps array");
    assert!(steps.len() >= 2, "{plan:#}");
    for (index, step) in steps.iter().enumerate() {
        assert_eq!(step["step"], index + 1, "{step}");
        assert!(
            step["text"].as_str().is_some_and(|text| !text.is_empty()),
            "{step}"
        );
    }
    assert_eq!(steps.last().expect("a step")["version"], "6.6.123");
    assert!(!codes(&plan).contains(&"already-current"), "{plan:#}");
}

#[test]
fn plan_from_a_snapshot_counts_gateways_in_its_steps() {
    let files = Files::fleet(&mixed_fleet());
    let out = files.plan(&["--target", "6.6"]);
    let out = out.output(0);
    assert_eq!(field(out, "Current version"), "6.5.750");
    assert_eq!(field(out, "Target"), "6.6.100");
    let steps = steps(out);
    assert_eq!(steps.len(), 3, "{out}");
    assert!(steps[0].1.contains("2 gateways"), "catch-up step: {out}");
    assert!(
        steps[1].1.contains("6.5.750") && steps[1].1.contains("6.6.100"),
        "{out}"
    );
    assert!(steps[2].1.contains("all 4 gateways"), "{out}");

    let plan = files.plan(&["--target", "6.6", "--json"]).json(0);
    assert_eq!(plan["current"], "6.5.750");
    assert_eq!(versions(&plan["hops"]), ["6.6.100"]);
    let counts: Vec<&Value> = plan["steps"]
        .as_array()
        .expect("steps array")
        .iter()
        .map(|step| &step["gateways"])
        .collect();
    assert_eq!(counts, [&json!(2), &Value::Null, &json!(4)], "{plan:#}");
}

#[test]
fn plan_refuses_a_target_below_the_running_version() {
    let files = Files::new(GUIDE_CATALOG, &level_fleet());
    for target in ["6.4", "6.5.100"] {
        let args = [
            "--current",
            "6.5.900",
            "--catalog",
            &files.catalog,
            "--target",
            target,
        ];
        let out = plan(&args).output(1).to_owned();
        assert!(out.contains("target-below-current"), "{out}");
        assert!(out.contains("Blockers"), "{out}");
        let plan = plan(&[&args[..], &["--json"]].concat()).json(1);
        assert_eq!(
            finding(&plan, "target-below-current")["severity"],
            "blocker"
        );
    }
}

#[test]
fn plan_refuses_a_build_that_is_not_the_newest_of_its_train() {
    let files = Files::new(GUIDE_CATALOG, &level_fleet());
    let args = [
        "--current",
        "6.4.321",
        "--catalog",
        &files.catalog,
        "--target",
        "6.5.100",
    ];
    let out = plan(&args).output(1).to_owned();
    assert!(out.contains("build-not-selectable"), "{out}");
    assert!(
        out.contains("6.5.900"),
        "names the build it would land on: {out}"
    );
    let plan = plan(&[&args[..], &["--json"]].concat()).json(1);
    assert_eq!(
        finding(&plan, "build-not-selectable")["severity"],
        "blocker"
    );
}

#[test]
fn plan_defaults_to_the_built_in_catalog() {
    let assets = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/releases.json");
    let assets: Value =
        serde_json::from_str(&std::fs::read_to_string(assets).expect("read")).expect("JSON");
    let mut releases: Vec<&str> = assets["releases"]
        .as_array()
        .expect("releases")
        .iter()
        .map(|release| release["version"].as_str().expect("version"))
        .collect();
    releases.sort_by_key(|version| parts(version));
    let train = |version: &str| {
        let (major, minor, _) = parts(version);
        format!("{major}.{minor}")
    };
    let mut trains: Vec<String> = releases.iter().map(|version| train(version)).collect();
    trains.dedup();
    assert!(
        trains.len() >= 3,
        "the built-in catalog has at least three trains"
    );
    let newest = |wanted: &str| {
        *releases
            .iter()
            .rev()
            .find(|version| train(version) == wanted)
            .expect("a build")
    };
    let (oldest, latest) = (releases[0], releases[releases.len() - 1]);

    let plan = plan(&["--current", oldest, "--target", &trains[2], "--json"]).json(0);
    assert_eq!(plan["current"], oldest);
    assert_eq!(plan["latest"], latest);
    assert_eq!(plan["target"], newest(&trains[2]));
    assert_eq!(
        versions(&plan["hops"]),
        [newest(&trains[1]), newest(&trains[2])]
    );
    let expected = format!("UserConnect-{latest} ({})", trains[1..].join(","));
    assert_eq!(plan["release_versions"], expected.as_str());
}

// ---------------------------------------------------------------------------------------------
// Invalid input (exit 2)
// ---------------------------------------------------------------------------------------------

#[test]
fn a_missing_file_is_invalid_input() {
    let files = Files::fleet(&level_fleet());
    let missing = files.missing("nowhere.json");
    for run in [
        plan(&["--current", "6.5.750", "--catalog", &missing]),
        plan(&["--state", &missing]),
        plan(&["--state", &missing, "--json"]),
        run(&["check", "--state", &missing, "--action", "platform-upgrade"]),
        run(&[
            "check",
            "--state",
            &files.state,
            "--catalog",
            &missing,
            "--action",
            "platform-upgrade",
            "--json",
        ]),
    ] {
        assert!(run.invalid().contains(&missing), "names the file: {run:#?}");
    }
}

#[test]
fn a_malformed_version_is_invalid_input() {
    for bad in ["6.5", "6.5.x", "six.five.one", "6.5.750.1", "6.5.750-beta"] {
        let run = plan(&["--current", bad]);
        assert!(run.invalid().contains(bad), "names the value: {run:#?}");
    }
    let run = plan(&["--current", "6.5.750", "--target", "latest"]);
    assert!(run.invalid().contains("latest"), "{run:#?}");
}

#[test]
fn an_unknown_flag_or_value_is_invalid_input() {
    let files = Files::fleet(&level_fleet());
    let run = plan(&["--current", "6.5.750", "--bogus"]);
    assert!(run.invalid().contains("--bogus"), "{run:#?}");
    let run = files.check(&["--action", "platform-upgrade", "--colour"]);
    assert!(run.invalid().contains("--colour"), "{run:#?}");
    let run = files.check(&["--action", "upgrade-everything"]);
    assert!(run.invalid().contains("upgrade-everything"), "{run:#?}");
    let run = files.check_at("yesterday", &["--action", "platform-upgrade"]);
    assert!(run.invalid().contains("yesterday"), "{run:#?}");
    plan(&[]).invalid();
    files.check(&[]).invalid();
}

#[test]
fn a_target_not_in_the_catalog_is_invalid_input() {
    let files = Files::fleet(&level_fleet());
    for (target, train) in [("6.9", "6.9"), ("6.6.555", "6.6"), ("7.0.100", "7.0")] {
        let args = [
            "--current",
            "6.5.750",
            "--catalog",
            &files.catalog,
            "--target",
            target,
        ];
        let run = plan(&args);
        assert!(run.invalid().contains(train), "names the target: {run:#?}");
        plan(&[&args[..], &["--json"]].concat()).invalid();
        let run = files.check(&["--action", "platform-upgrade", "--target", target]);
        assert!(run.invalid().contains(train), "names the target: {run:#?}");
    }
}

#[test]
fn an_unknown_gateway_is_invalid_input() {
    let files = Files::fleet(&mixed_fleet());
    for action in ["software-upgrade", "software-rollback", "image-upgrade"] {
        let run = files.check(&["--action", action, "--gateways", "gw-1,gw-nine"]);
        assert!(run.invalid().contains("gw-nine"), "{run:#?}");
    }
    let run = files.check(&[
        "--action",
        "software-upgrade",
        "--gateways",
        "gw-nine",
        "--json",
    ]);
    assert!(run.invalid().contains("gw-nine"), "{run:#?}");
}

#[test]
fn a_malformed_snapshot_is_named_by_file_and_json_path() {
    let mut bad = mixed_fleet();
    bad["gateways"][0]["software_version"] = json!("6.5");
    let files = Files::fleet(&bad);
    for run in [
        files.check(&["--action", "platform-upgrade"]),
        files.check(&["--action", "software-upgrade", "--all", "--json"]),
        files.plan(&[]),
    ] {
        let line = run.invalid();
        assert!(line.contains(&files.state), "names the file: {line}");
        assert!(
            line.contains("gateways[0].software_version"),
            "names the path: {line}"
        );
    }

    let mut unknown_field = mixed_fleet();
    unknown_field["gateways"][2]["colour"] = json!("red");
    let files = Files::fleet(&unknown_field);
    let line = files
        .check(&["--action", "platform-upgrade"])
        .invalid()
        .to_owned();
    assert!(
        line.contains(&files.state) && line.contains("gateways[2]"),
        "{line}"
    );

    let broken = files.write("broken.json", "{\"format\": 1,\n \"controller\": ");
    let line = plan(&["--state", &broken]).invalid().to_owned();
    assert!(line.contains(&broken), "{line}");
}

#[test]
fn a_malformed_catalog_is_named_by_file_and_json_path() {
    let catalog = r#"{"format": 1, "releases": [{"version": "6.5.750"}, {"version": "6.6"}]}"#;
    let files = Files::new(catalog, &level_fleet());
    for run in [
        plan(&["--current", "6.5.750", "--catalog", &files.catalog]),
        files.check(&["--action", "platform-upgrade"]),
    ] {
        let line = run.invalid();
        assert!(line.contains(&files.catalog), "names the file: {line}");
        assert!(
            line.contains("releases[1].version"),
            "names the path: {line}"
        );
    }
}

#[test]
fn platform_upgrade_takes_no_gateway_selection() {
    let files = Files::fleet(&level_fleet());
    files
        .check(&["--action", "platform-upgrade", "--gateways", "gw-1"])
        .invalid();
    files
        .check(&["--action", "platform-upgrade", "--all"])
        .invalid();
}

#[test]
fn image_upgrade_takes_no_target() {
    let files = Files::fleet(&level_fleet());
    for target in ["6.5.750", "6.5"] {
        files
            .check(&["--action", "image-upgrade", "--all", "--target", target])
            .invalid();
    }
}

#[test]
fn a_gateway_action_needs_gateways_or_all() {
    let files = Files::fleet(&mixed_fleet());
    for action in ["software-upgrade", "software-rollback", "image-upgrade"] {
        files.check(&["--action", action]).invalid();
        files.check(&["--action", action, "--json"]).invalid();
        files
            .check(&["--action", action, "--gateways", "gw-2", "--all"])
            .invalid();
    }
}

// ---------------------------------------------------------------------------------------------
// check
// ---------------------------------------------------------------------------------------------

#[test]
fn check_passes_a_clean_request() {
    let files = Files::fleet(&level_fleet());
    let out = files.check(&["--action", "platform-upgrade", "--target", "6.6"]);
    let out = out.output(0);
    assert!(!out.contains("Blockers"), "{out}");
    let report = files
        .check(&["--action", "platform-upgrade", "--target", "6.6", "--json"])
        .json(0);
    assert!(
        findings(&report).iter().all(|f| f["severity"] != "blocker"),
        "{report:#}"
    );
    assert!(!codes(&report).contains(&"backup-missing"), "{report:#}");

    let lagging = Files::fleet(&mixed_fleet());
    let report = lagging
        .check(&[
            "--action",
            "software-upgrade",
            "--gateways",
            "gw-2,gw-4",
            "--json",
        ])
        .json(0);
    assert!(
        findings(&report).iter().all(|f| f["severity"] != "blocker"),
        "{report:#}"
    );
}

#[test]
fn check_blocks_a_platform_upgrade_while_gateways_lag() {
    let files = Files::fleet(&mixed_fleet());
    for target in [&[][..], &["--target", "6.6"][..]] {
        let report = files
            .check(&[&["--action", "platform-upgrade", "--json"], target].concat())
            .json(1);
        let behind = finding(&report, "gateways-behind-controller");
        assert_eq!(behind["severity"], "blocker");
        assert_eq!(gateways_of(behind), ["gw-2", "gw-4"]);

        let run = files.check(&[&["--action", "platform-upgrade"], target].concat());
        let out = run.output(1);
        assert!(out.contains("Blockers"), "{out}");
        let line = out
            .lines()
            .find(|line| line.contains("gateways-behind-controller"))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(line.contains("blocker"), "{line}");
        assert!(out.contains("gw-2") && out.contains("gw-4"), "{out}");
        assert!(!out.contains("gw-1") && !out.contains("gw-3"), "{out}");
    }
}

#[test]
fn check_json_findings_have_severity_code_message_and_gateways() {
    let mixed = Files::fleet(&mixed_fleet()).check(&["--action", "platform-upgrade", "--json"]);
    let ha = Files::fleet(&ha_fleet()).check(&["--action", "image-upgrade", "--all", "--json"]);
    for report in [mixed.json(1), ha.json(1)] {
        check_findings_shape(&report);
    }
}

/// Every finding of `report` has a severity word, a kebab-case code, a message and gateway names.
#[track_caller]
fn check_findings_shape(report: &Value) {
    assert!(!findings(report).is_empty(), "{report:#}");
    for finding in findings(report) {
        let object = finding.as_object().expect("a finding object");
        for key in ["severity", "code", "message", "gateways"] {
            assert!(object.contains_key(key), "missing `{key}`: {finding}");
        }
        let severity = finding["severity"].as_str().expect("severity string");
        assert!(
            ["blocker", "warning", "info"].contains(&severity),
            "{finding}"
        );
        let code = finding["code"].as_str().expect("code string");
        assert!(
            !code.is_empty()
                && code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.".contains(c)),
            "{finding}"
        );
        assert!(
            finding["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{finding}"
        );
        gateways_of(finding);
    }
}

#[test]
fn check_all_selects_every_gateway() {
    let mut old_images = mixed_fleet();
    for gateway in old_images["gateways"].as_array_mut().expect("gateways") {
        gateway["image_version"] = json!(OLD_IMAGE);
    }
    let report = Files::fleet(&old_images)
        .check(&["--action", "image-upgrade", "--all", "--json"])
        .json(0);
    let disruptive = finding(&report, "image-upgrade-disruptive");
    assert_eq!(gateways_of(disruptive), ["gw-1", "gw-2", "gw-3", "gw-4"]);

    let files = Files::fleet(&mixed_fleet());

    let report = files
        .check(&["--action", "software-upgrade", "--all", "--json"])
        .json(0);
    assert_eq!(
        gateways_of(finding(&report, "already-current")),
        ["gw-1", "gw-3"],
        "the gateways already on the controller's version are skipped"
    );
}

#[test]
fn check_text_groups_findings_by_severity_without_colour() {
    let files = Files::fleet(&ha_fleet());
    let args = ["--action", "image-upgrade", "--gateways", "spoke-1"];

    let report = files.check(&[&args[..], &["--json"]].concat()).json(1);
    let severities: Vec<&str> = findings(&report)
        .iter()
        .map(|f| f["severity"].as_str().expect("severity"))
        .collect();
    for severity in ["blocker", "warning", "info"] {
        assert!(severities.contains(&severity), "no {severity}: {report:#}");
    }

    let mut colourful = files.check_command(AT, &args);
    colourful.env("CLICOLOR_FORCE", "1").env("FORCE_COLOR", "1");
    let run = finish(&mut colourful);
    let out = run.output(1);
    assert!(!out.contains('\x1b'), "no escape sequences: {out:?}");

    let heading = |name: &str| {
        out.lines()
            .position(|line| line.starts_with(name))
            .unwrap_or_else(|| panic!("no `{name}` heading:\n{out}"))
    };
    let groups = [
        ("blocker", heading("Blockers")),
        ("warning", heading("Warnings")),
        ("info", heading("Information")),
    ];
    assert!(
        groups[0].1 < groups[1].1 && groups[1].1 < groups[2].1,
        "{out}"
    );
    let lines: Vec<&str> = out.lines().collect();
    for finding in findings(&report) {
        let code = finding["code"].as_str().expect("code");
        let severity = finding["severity"].as_str().expect("severity");
        let at = lines
            .iter()
            .position(|line| line.contains(&format!("{code}:")))
            .unwrap_or_else(|| panic!("no line for {code}:\n{out}"));
        assert!(
            lines[at].contains(severity),
            "the line shows its severity word `{severity}`: {}",
            lines[at]
        );
        let group = groups
            .iter()
            .rev()
            .find(|&&(_, start)| start < at)
            .expect("under a heading");
        assert_eq!(
            group.0, severity,
            "{code} is under the wrong heading:\n{out}"
        );
    }
}

#[test]
fn check_reports_an_old_backup_as_of_at() {
    let files = Files::fleet(&level_fleet());
    let args = ["--action", "platform-upgrade", "--target", "6.6", "--json"];
    let recent = files.check_at(AT, &args).json(0);
    assert!(!codes(&recent).contains(&"backup-missing"), "{recent:#}");
    let week_later = files.check_at("2026-11-30T12:00:00Z", &args).json(0);
    assert_eq!(
        finding(&week_later, "backup-missing")["severity"],
        "warning"
    );

    let out = files.check_at("2026-11-30T12:00:00Z", &args[..4]);
    let out = out.output(0);
    assert!(out.contains("Warnings"), "{out}");
    assert!(out.contains("backup-missing"), "{out}");
}

/// Issue 9, item 8: rolling back one member of an HA pair whose other member is down has no
/// peer to drain to: a blocker that names the gateway and its peer's state, and no line says
/// the traffic drains.
#[test]
fn check_blocks_a_rollback_of_a_member_whose_peer_is_down() {
    let files = Files::fleet(&ha_fleet());
    let args = [
        "--action",
        "software-rollback",
        "--gateways",
        "spoke-1-hagw",
    ];
    let report = files.check(&[&args[..], &["--json"]].concat()).json(1);
    assert_eq!(report["blocked"], true, "{report:#}");
    let blocker = finding(&report, "ha-peer-unhealthy");
    assert_eq!(blocker["severity"], "blocker");
    assert_eq!(gateways_of(blocker), ["spoke-1-hagw"]);
    let message = blocker["message"].as_str().expect("a message");
    assert!(
        message.contains("spoke-1-hagw (its HA peer spoke-1 is down)"),
        "{message}"
    );
    assert!(!codes(&report).contains(&"ha-peer-drain"), "{report:#}");

    let out = files.check(&args);
    let out = out.output(1);
    assert!(out.contains("ha-peer-unhealthy"), "{out}");
    assert!(!out.contains("drained"), "{out}");

    let both = files
        .check(&[
            "--action",
            "software-rollback",
            "--gateways",
            "spoke-1,spoke-1-hagw",
            "--json",
        ])
        .json(1);
    let codes = codes(&both);
    assert!(codes.contains(&"ha-pair-both-selected"), "{both:#}");
    assert!(codes.contains(&"gateway-unhealthy"), "{both:#}");
    assert!(!codes.contains(&"ha-peer-unhealthy"), "{both:#}");
}

/// Issue 9, item 15: absurd snapshot values are invalid input, named by file and JSON path,
/// and a huge version is quoted by a short prefix only.
#[test]
fn absurd_snapshot_values_are_invalid_input_at_their_path() {
    let mut newer_previous = level_fleet();
    newer_previous["controller"]["previous_version"] = json!("6.6.100");
    let mut two_secondaries = ha_fleet();
    two_secondaries["gateways"][0]["role"] = json!("secondary");
    let mut huge_part = level_fleet();
    huge_part["gateways"][1]["software_version"] = json!(format!("6.5.{}", u64::MAX));
    let mut megabyte = level_fleet();
    megabyte["gateways"][2]["software_version"] = json!(format!("6.5.{}", "7".repeat(1 << 20)));
    for (snapshot, path) in [
        (newer_previous, "controller.previous_version"),
        (two_secondaries, "gateways[1].role"),
        (huge_part, "gateways[1].software_version"),
        (megabyte, "gateways[2].software_version"),
    ] {
        let files = Files::fleet(&snapshot);
        let run = files.check(&["--action", "platform-upgrade"]);
        let line = run.invalid();
        assert!(line.contains(&files.state), "names the file: {line}");
        assert!(line.contains(path), "names {path}: {line}");
        assert!(line.len() < 400, "a short line: {} bytes", line.len());
    }
}

/// The config and state directories have their overrides, and `doctor` shows where the
/// files are.
#[test]
fn doctor_shows_the_overridden_config_and_state_directories() {
    let dir = TempDir::new().expect("temp dir");
    let config = dir.path().join("conf");
    let state = dir.path().join("state");
    let run = finish(
        command(&["doctor"])
            .env("AVX_UPGRADE_CONFIG_DIR", &config)
            .env("AVX_UPGRADE_STATE_DIR", &state)
            .env_remove("AVX_UPGRADE_LOG_FILE"),
    );
    let expected = [
        config.join("config.toml"),
        config.join("known_controllers"),
        state.join("avx-upgrade.log"),
    ];
    for path in expected {
        let path = path.display().to_string();
        assert!(run.stdout.contains(&path), "{path} missing: {run:#?}");
    }
}

#[test]
fn check_json_lists_the_checklist_items_it_checked() {
    let files = Files::fleet(&level_fleet());
    let report = files
        .check(&["--action", "platform-upgrade", "--json"])
        .json(0);
    let items = report["checklist"].as_array().expect("checklist array");
    let names: Vec<&str> = items
        .iter()
        .map(|item| item["item"].as_str().expect("item name"))
        .collect();
    for name in [
        "DNS",
        "internet",
        "backup age",
        "Controller HA",
        "T2/T3 Unlimited",
    ] {
        assert!(names.contains(&name), "{name} missing: {report:#}");
    }
    assert!(
        items.iter().all(|item| item["passed"] == true),
        "{report:#}"
    );
    assert!(report["findings"].is_array(), "keeps findings: {report:#}");
}

// ---------------------------------------------------------------------------------------------
// Files for the shell: the sample config, completions, the manual page
// ---------------------------------------------------------------------------------------------

/// A user with only the binary has the sample config and knows where it goes.
#[test]
fn config_sample_and_path_come_from_the_binary() {
    let sample = run(&["config", "sample"]);
    assert_eq!(
        sample.output(0),
        include_str!("../assets/config.sample.toml")
    );
    let dir = tempfile::tempdir().expect("a config directory");
    let path = finish(command(&["config", "path"]).env("AVX_UPGRADE_CONFIG_DIR", dir.path()));
    assert_eq!(
        path.output(0).trim_end(),
        dir.path().join("config.toml").display().to_string()
    );
}

/// A column the config file names that does not exist stops the console before it opens,
/// naming the file and the columns there are.
#[test]
fn an_unknown_column_in_the_config_file_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("a config directory");
    std::fs::write(
        dir.path().join("config.toml"),
        "[console]\ncolumns = [\"name\", \"colour\"]\n",
    )
    .expect("write");
    let run = finish(
        command(&["demo"])
            .env("AVX_UPGRADE_CONFIG_DIR", dir.path())
            .env("AVX_UPGRADE_STATE_DIR", dir.path()),
    );
    let line = run.invalid();
    assert!(
        line.contains("config.toml: columns under [console]"),
        "{line}"
    );
    assert!(line.contains("no column is called \"colour\""), "{line}");
    assert!(line.contains("rollback-image"), "{line}");
}

/// Completions for each shell and the manual page are generated from the parser itself; the
/// bash script is valid bash, and an unknown shell is refused with the known ones.
#[test]
fn completions_and_the_manual_page_are_generated() {
    for shell in ["bash", "zsh", "fish"] {
        let script = run(&["completions", shell]);
        let text = script.output(0);
        assert!(
            text.contains("history") && text.contains("report"),
            "{shell}"
        );
    }
    let bash = run(&["completions", "bash"]);
    let dir = tempfile::tempdir().expect("a directory");
    let file = dir.path().join("avx-upgrade.bash");
    std::fs::write(&file, bash.output(0)).expect("written");
    let checked = Command::new("bash")
        .arg("-n")
        .arg(&file)
        .status()
        .expect("bash runs");
    assert!(checked.success(), "bash -n rejects the completion script");
    let man = run(&["man"]);
    let page = man.output(0);
    assert!(page.contains(".TH avx-upgrade 1"), "{page}");
    assert!(page.contains("rollout") && page.contains("completions"));
    let unknown = run(&["completions", "tcsh"]);
    assert_eq!(unknown.code, Some(2));
    assert!(
        unknown.stderr.contains("possible values: bash, zsh, fish"),
        "{}",
        unknown.stderr
    );
}
