//! Every file the program reads is bounded, and the controller URL is checked, before anything
//! is held or sent (issue 9, items 3 and 4): the real binary is run on devices, FIFOs, files
//! over their limit and URLs with user info, a query or a fragment, and must exit 2 at once
//! with one `error:` line that says what was wrong.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test helper fails its test by panicking, as the test itself would"
)]

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Generous: these runs refuse their input before doing any work.
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs the binary with `args` (and `envs`), stdin closed; returns the exit code and stderr.
/// A run that outlives [`DEADLINE`] (a FIFO that blocks, a device read forever) is killed and
/// fails the test.
fn run(args: &[&str], envs: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_avx-upgrade"))
        .args(args)
        .env_remove("AVX_UPGRADE_CONFIG_DIR")
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("{args:?} still runs after {DEADLINE:?}: it blocked or read without end");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut stderr)
        .expect("stderr is UTF-8");
    (status.code(), stderr)
}

/// Asserts exit 2 with exactly one `error:` line containing each of `expected`.
#[track_caller]
fn refused(args: &[&str], envs: &[(&str, &str)], expected: &[&str]) -> String {
    let (code, stderr) = run(args, envs);
    assert_eq!(code, Some(2), "{args:?}: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{args:?}: one error line expected: {stderr}"
    );
    assert!(lines[0].starts_with("error: "), "{stderr}");
    for part in expected {
        assert!(
            lines[0].contains(part),
            "{args:?}: {part:?} missing in {stderr}"
        );
    }
    stderr
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(made.success());
}

#[test]
fn devices_are_refused_as_input_files() {
    let device = ["not a regular file (a device)"];
    refused(
        &["plan", "--current", "7.0.1", "--catalog", "/dev/zero"],
        &[],
        &device,
    );
    refused(
        &[
            "check",
            "--state",
            "/dev/zero",
            "--action",
            "platform-upgrade",
        ],
        &[],
        &device,
    );
    refused(&["sim", "--state", "/dev/zero"], &[], &device);
    refused(&["demo", "--keymap", "/dev/zero"], &[], &device);
    refused(
        &[
            "status",
            "--controller",
            "https://127.0.0.1:9",
            "--ca-cert",
            "/dev/zero",
        ],
        &[("AVX_PASSWORD", "pw")],
        &["--ca-cert /dev/zero", "a device"],
    );
}

#[test]
fn fifos_are_refused_without_blocking() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let fifo = fifo.to_str().expect("UTF-8 path");
    let fifo_error = ["not a regular file (a FIFO)"];
    refused(
        &["plan", "--current", "7.0.1", "--catalog", fifo],
        &[],
        &fifo_error,
    );
    refused(
        &["check", "--state", fifo, "--action", "platform-upgrade"],
        &[],
        &fifo_error,
    );
    refused(&["demo", "--keymap", fifo], &[], &fifo_error);
}

#[test]
fn config_files_in_the_config_directory_are_bounded() {
    let dir = tempfile::tempdir().expect("temp dir");
    mkfifo(&dir.path().join("config.toml"));
    let config_dir = dir.path().to_str().expect("UTF-8 path");
    refused(
        &["status", "--profile", "prod"],
        &[
            ("AVX_UPGRADE_CONFIG_DIR", config_dir),
            ("AVX_PASSWORD", "pw"),
        ],
        &["config.toml", "a FIFO", "a config file"],
    );
    let keymap_dir = tempfile::tempdir().expect("temp dir");
    std::os::unix::fs::symlink("/dev/zero", keymap_dir.path().join("keymap.toml"))
        .expect("symlink");
    refused(
        &["demo"],
        &[(
            "AVX_UPGRADE_CONFIG_DIR",
            keymap_dir.path().to_str().expect("UTF-8"),
        )],
        &["keymap.toml", "a device", "a keymap"],
    );
}

#[test]
fn files_over_their_limit_are_refused_before_reading() {
    let dir = tempfile::tempdir().expect("temp dir");
    let catalog = dir.path().join("catalog.json");
    // Sparse: 17 MB on the file system's word, nothing on the disk.
    std::fs::File::create(&catalog)
        .expect("create")
        .set_len(17 << 20)
        .expect("sparse");
    refused(
        &[
            "plan",
            "--current",
            "7.0.1",
            "--catalog",
            catalog.to_str().expect("UTF-8"),
        ],
        &[],
        &["too large (17825792 bytes; the limit for a release catalog is 16 MB)"],
    );
    let state = dir.path().join("state.json");
    std::fs::File::create(&state)
        .expect("create")
        .set_len((512 << 20) + 1)
        .expect("sparse");
    refused(
        &[
            "check",
            "--state",
            state.to_str().expect("UTF-8"),
            "--action",
            "platform-upgrade",
        ],
        &[],
        &["the limit for a snapshot is 512 MB"],
    );
}

#[test]
fn controller_urls_with_user_info_query_or_fragment_are_refused() {
    let password = [("AVX_PASSWORD", "pw")];
    for command in ["status", "snapshot"] {
        let stderr = refused(
            &[
                command,
                "--controller",
                "http://admin:SECRET-in-url@127.0.0.1:9",
            ],
            &password,
            &["has a user name or password in it", "http://127.0.0.1:9/"],
        );
        assert!(!stderr.contains("SECRET-in-url"), "{stderr}");
    }
    refused(
        &[
            "status",
            "--controller",
            "https://127.0.0.1:9/?action=upgrade_platform",
        ],
        &password,
        &["has a query"],
    );
    refused(
        &["--controller", "https://127.0.0.1:9/#x"],
        &password,
        &["has a fragment"],
    );
}

#[test]
fn the_simulators_body_limit_must_be_a_whole_number_of_kb_from_1() {
    refused(
        &["sim", "--http", "--max-body-kb", "0"],
        &[],
        &["--max-body-kb", "give at least 1 KB"],
    );
    refused(
        &["sim", "--http", "--max-body-kb", "4k"],
        &[],
        &["--max-body-kb", "not a whole number of KB"],
    );
    refused(
        &["sim", "--http", "--max-body-kb", "1048577"],
        &[],
        &["--max-body-kb", "1048576 KB (1 GiB)"],
    );
}
