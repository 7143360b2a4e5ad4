//! `avx-upgrade doctor`: where the files are, what the terminal is, and whether a controller
//! resolves, connects, passes TLS and accepts the login. Every line says OK or what to fix.

use std::fmt::Write;
use std::io::IsTerminal;

use clap::Args;

use crate::api::known::{self, KnownControllers};
use crate::api::trust;
use crate::cli::connect::{ConnectArgs, connect, resolve};
use crate::cli::{InputError, Outcome};
use crate::config::{self, Config};
use crate::logging;

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    connect: ConnectArgs,
}

/// One check's line.
struct Report {
    out: String,
    problems: usize,
}

impl Report {
    fn ok(&mut self, what: &str, detail: impl std::fmt::Display) {
        let _ = writeln!(self.out, "OK    {what:<22} {detail}");
    }

    fn fix(&mut self, what: &str, detail: impl std::fmt::Display) {
        self.problems += 1;
        let _ = writeln!(self.out, "FIX   {what:<22} {detail}");
    }

    fn info(&mut self, what: &str, detail: impl std::fmt::Display) {
        let _ = writeln!(self.out, "INFO  {what:<22} {detail}");
    }
}

pub fn run(args: &DoctorArgs) -> Result<(Outcome, String), InputError> {
    let mut report = Report {
        out: String::new(),
        problems: 0,
    };
    files(&mut report);
    terminal(&mut report);
    if args.connect.controller.is_some() || args.connect.profile.is_some() {
        let runtime = tokio::runtime::Runtime::new()
            .map_err(|error| InputError(format!("cannot start the async runtime: {error}")))?;
        runtime.block_on(controller(&mut report, &args.connect));
    } else {
        report.info(
            "controller",
            "not checked: give --controller URL or --profile NAME",
        );
    }
    let outcome = if report.problems == 0 {
        Outcome::Clear
    } else {
        Outcome::Blocked
    };
    Ok((outcome, report.out))
}

fn files(report: &mut Report) {
    match config::default_path() {
        None => report.fix("config file", crate::paths::NO_CONFIG_DIR),
        Some(path) if !path.exists() => report.ok(
            "config file",
            format!(
                "{} (none yet: `avx-upgrade config sample` prints a sample to start from)",
                path.display()
            ),
        ),
        Some(path) => match Config::load(&path) {
            Ok(config) => match &config.warning {
                Some(warning) => report.fix("config file", warning),
                None => report.ok(
                    "config file",
                    format!("{} ({} profiles)", path.display(), config.names().count()),
                ),
            },
            Err(error) => report.fix("config file", error),
        },
    }
    match known::default_path() {
        None => report.fix("known controllers", "no config directory"),
        Some(path) => match KnownControllers::load(&path) {
            Ok(_) => report.ok("known controllers", path.display()),
            Err(error) => report.fix("known controllers", error),
        },
    }
    match (logging::log_path(), logging::level()) {
        (Some(path), Ok(level)) => {
            report.ok("log file", format!("{} (level {level})", path.display()))
        }
        (None, _) => report.fix("log file", crate::paths::NO_LOG_DIR),
        (_, Err(error)) => report.fix("log level", error),
    }
}

fn terminal(report: &mut Report) {
    let variable = |name: &str| std::env::var(name).unwrap_or_default();
    let term = variable("TERM");
    if term.is_empty() || term == "dumb" {
        report.fix("TERM", format!("\"{term}\": the console needs a real terminal type, e.g. export TERM=xterm-256color"));
    } else {
        report.ok("TERM", &term);
    }
    let colorterm = variable("COLORTERM");
    report.info(
        "COLORTERM",
        if colorterm.is_empty() {
            "unset (256 colours at most)".to_owned()
        } else {
            colorterm
        },
    );
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    report.info(
        "NO_COLOR",
        if no_color {
            "set: the console draws without colour"
        } else {
            "unset"
        },
    );
    let ssh = std::env::var_os("SSH_CONNECTION").is_some() || std::env::var_os("SSH_TTY").is_some();
    report.info(
        "SSH",
        if ssh {
            "yes: redraws are kept small"
        } else {
            "no"
        },
    );
    report.info(
        "tmux",
        if std::env::var_os("TMUX").is_some() {
            "yes"
        } else {
            "no"
        },
    );
    if !std::io::stdout().is_terminal() {
        report.info("size", "stdout is not a terminal");
        return;
    }
    match crossterm::terminal::size() {
        Ok((columns, rows)) if columns >= 80 && rows >= 24 => {
            report.ok("size", format!("{columns}x{rows}"))
        }
        Ok((columns, rows)) => report.fix(
            "size",
            format!("{columns}x{rows}: the console needs at least 80x24"),
        ),
        Err(error) => report.fix("size", format!("unknown: {error}")),
    }
}

async fn controller(report: &mut Report, args: &ConnectArgs) {
    let target = match resolve(args) {
        Ok(target) => target,
        Err(error) => return report.fix("controller", error.0),
    };
    if let Err(error) = trust::check_scheme(&target.url) {
        return report.fix("controller URL", error);
    }
    let Ok(url) = url::Url::parse(&target.url) else {
        return report.fix("controller URL", &target.url);
    };
    let host = url.host_str().unwrap_or("").to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    match tokio::net::lookup_host((host.as_str(), port)).await {
        Ok(mut addresses) => match addresses.next() {
            Some(address) => report.ok("resolves", format!("{host} -> {}", address.ip())),
            None => return report.fix("resolves", format!("{host} has no address")),
        },
        Err(error) => {
            return report.fix(
                "resolves",
                format!("{host}: {error}: check the name and DNS"),
            );
        }
    }
    match tokio::net::TcpStream::connect((host.as_str(), port)).await {
        Ok(_) => report.ok("connects", format!("{host}:{port}")),
        Err(error) => return report.fix(
            "connects",
            format!(
                "{host}:{port}: {error}: check the address, the port and firewalls (inbound 443)"
            ),
        ),
    }
    if url.scheme() == "https" {
        tls(report, &host, port).await;
    } else {
        report.info("TLS", "plain HTTP (loopback only)");
    }
    match connect(args).await {
        Ok(client) => report.ok("login", format!("as {}", client.user())),
        Err(error) => report.fix("login", error.0),
    }
}

async fn tls(report: &mut Report, host: &str, port: u16) {
    let fingerprint = match trust::fetch_fingerprint(host, port).await {
        Ok(fingerprint) => fingerprint,
        Err(error) => return report.fix("TLS", error),
    };
    let pinned = known::default_path()
        .and_then(|path| KnownControllers::load(&path).ok())
        .and_then(|known| {
            known
                .get(&format!("{host}:{port}"))
                .map(|pin| pin.fingerprint.clone())
        });
    match pinned {
        Some(pin) if pin == fingerprint => report.ok("TLS", format!("certificate {fingerprint} (pinned)")),
        Some(pin) => report.fix("TLS", format!("certificate {fingerprint} differs from the pinned {pin}: find out why before connecting")),
        None => report.info("TLS", format!("certificate {fingerprint}, not pinned yet: connect once with --trust after verifying it")),
    }
}
