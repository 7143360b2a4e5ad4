//! `avx-upgrade sim`: runs the simulated controller until Ctrl-C, SIGTERM or SIGHUP.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use rand::RngExt;

use crate::cli::{InputError, Outcome, load_catalog, load_snapshot};
use crate::secret::Credentials;
use crate::secret::Secret;
use crate::sim::clock::Clock;
use crate::sim::faults::{FAULT_HELP, Faults};
use crate::sim::fleet::{FleetSpec, generate};
use crate::sim::{self, DEFAULT_SESSION_TTL, RunningSim, SimConfig};

#[derive(Debug, Args)]
#[command(after_help = format!("Faults (--faults, comma-separated):\n{FAULT_HELP}"))]
pub struct SimArgs {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// Serve plain HTTP instead of HTTPS (loopback only).
    #[arg(long)]
    http: bool,
    /// Allow listening on an address other than loopback.
    #[arg(long)]
    allow_remote: bool,
    /// Start from this snapshot instead of a generated fleet.
    #[arg(long, value_name = "SNAPSHOT", conflicts_with_all = ["gateways", "seed"])]
    state: Option<PathBuf>,
    /// A release catalog file (default: the built-in assets/releases.json).
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// How many gateways to generate, HA secondaries included.
    #[arg(long, default_value_t = 200, value_name = "N")]
    gateways: usize,
    /// Seed of the generated fleet and of every random choice.
    #[arg(long, default_value_t = 1, value_name = "S")]
    seed: u64,
    /// Simulated seconds per real second: 60 turns a 10-minute upgrade into 10 seconds.
    #[arg(long, default_value_t = 1.0, value_name = "X")]
    speed: f64,
    /// Faults to inject, comma-separated (see below).
    #[arg(long, default_value = "", value_name = "LIST")]
    faults: Faults,
    /// The user that may log in.
    #[arg(long, default_value = "admin", value_name = "U")]
    user: String,
    /// The environment variable holding the password; without it a random one is printed.
    #[arg(long, value_name = "VAR")]
    password_env: Option<String>,
    /// Idle seconds after which a session expires.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_SESSION_TTL.as_secs())]
    session_ttl: u64,
    /// Refuse a login without a valid X-Access-Key from get_api_token.
    #[arg(long)]
    require_access_key: bool,
    /// The largest request body read, in KB (1024 bytes); a larger one is refused.
    #[arg(long, value_name = "N", default_value = "1024", value_parser = parse_body_kb)]
    max_body_kb: usize,
}

/// The most `--max-body-kb` accepts: 1 GiB, so a typo cannot make the simulator buffer more.
const MAX_BODY_KB: usize = 1024 * 1024;

/// `--max-body-kb N`: a whole number of KB from 1 to [`MAX_BODY_KB`].
fn parse_body_kb(text: &str) -> Result<usize, String> {
    let kb: usize = text.trim().parse().map_err(|_| {
        format!("{text:?} is not a whole number of KB (1024 bytes), such as 4 or 1024")
    })?;
    if kb == 0 {
        return Err("0 would refuse every request with a body: give at least 1 KB".into());
    }
    if kb > MAX_BODY_KB {
        return Err(format!(
            "{kb} KB is more than the {MAX_BODY_KB} KB (1 GiB) allowed"
        ));
    }
    Ok(kb)
}

pub fn run(args: &SimArgs) -> Result<(Outcome, String), InputError> {
    let config = config(args)?;
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|error| InputError(format!("cannot start the async runtime: {error}")))?;
    runtime.block_on(serve(config, args))?;
    Ok((Outcome::Clear, String::new()))
}

fn config(args: &SimArgs) -> Result<SimConfig, InputError> {
    check_listen(args)?;
    let catalog = load_catalog(args.catalog.as_deref())?;
    let snapshot = match &args.state {
        Some(path) => load_snapshot(path)?,
        None => {
            let mut spec = FleetSpec::mid_rollout(&catalog, args.gateways, args.seed);
            spec.last_backup = Some(jiff::Timestamp::now() - jiff::SignedDuration::from_hours(3));
            generate(&spec, &catalog)?
        }
    };
    Ok(SimConfig {
        listen: args.listen,
        tls: !args.http,
        snapshot,
        catalog,
        credentials: Credentials {
            user: args.user.clone(),
            password: password(args.password_env.as_deref())?,
        },
        speed: args.speed,
        clock: Clock::Wall,
        faults: args.faults.clone(),
        session_ttl: Duration::from_secs(args.session_ttl),
        seed: args.seed,
        require_access_key: args.require_access_key,
        body_limit: args.max_body_kb * 1024,
    })
}

fn check_listen(args: &SimArgs) -> Result<(), InputError> {
    let loopback = args.listen.ip().is_loopback();
    if args.http && !loopback {
        return Err(InputError(format!(
            "--http serves plain HTTP and is allowed on loopback only, not {}: drop --http or listen on 127.0.0.1",
            args.listen.ip()
        )));
    }
    if !loopback && !args.allow_remote {
        return Err(InputError(format!(
            "{} is not a loopback address: the simulator listens on 127.0.0.1 unless --allow-remote is given",
            args.listen.ip()
        )));
    }
    if !loopback {
        eprintln!(
            "warning: the simulated controller listens on {}, reachable from other machines",
            args.listen
        );
    }
    Ok(())
}

/// The password from `VAR`, or a random one that is printed.
fn password(variable: Option<&str>) -> Result<Secret, InputError> {
    let Some(variable) = variable else {
        return Ok(Secret::new(random_password()));
    };
    match std::env::var(variable) {
        Ok(value) if !value.is_empty() => Ok(Secret::new(value)),
        Ok(_) => Err(InputError(format!(
            "--password-env {variable}: the variable is empty"
        ))),
        Err(_) => Err(InputError(format!(
            "--password-env {variable}: the variable is not set"
        ))),
    }
}

pub(crate) fn random_password() -> String {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

async fn serve(config: SimConfig, args: &SimArgs) -> Result<(), InputError> {
    let gateways = config.snapshot.gateways().len();
    let version = config.snapshot.controller.current_version;
    let credentials = config.credentials.clone();
    let running = sim::start(config).await?;
    banner(
        &running,
        args,
        &credentials,
        version.user_connect(),
        gateways,
    );
    wait_for_signal().await;
    running.stop().await;
    eprintln!("simulated controller stopped");
    Ok(())
}

fn banner(
    running: &RunningSim,
    args: &SimArgs,
    credentials: &Credentials,
    version: String,
    gateways: usize,
) {
    let listening = Listening {
        url: &running.url,
        fingerprint: running.fingerprint.as_deref(),
        user: &credentials.user,
        password: match &args.password_env {
            Some(variable) => Password::InVariable(variable),
            None => Password::Generated(credentials.password.expose()),
        },
    };
    let platform = format!(
        "{version}, {gateways} gateways, speed x{}, faults: {}",
        args.speed, args.faults
    );
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(banner_text(&listening, &platform).as_bytes());
    let _ = stdout.flush();
}

/// Where the password of the banner's login comes from.
enum Password<'a> {
    /// Generated at start: shown, since nobody else knows it.
    Generated(&'a str),
    /// Read from this environment variable: never printed, the curl hint reads the variable.
    InVariable(&'a str),
}

/// What the banner says about the listening simulator.
struct Listening<'a> {
    url: &'a str,
    fingerprint: Option<&'a str>,
    user: &'a str,
    password: Password<'a>,
}

/// The start banner: where it listens, the login, the platform, and curl commands that work as
/// printed (a password from a variable is passed as `"$VAR"`, never printed).
fn banner_text(listening: &Listening<'_>, platform: &str) -> String {
    let (shown, for_curl) = match listening.password {
        Password::Generated(password) => (password.to_owned(), format!("'{password}'")),
        Password::InVariable(variable) => {
            (format!("(from ${variable})"), format!("\"${variable}\""))
        }
    };
    let insecure = if listening.fingerprint.is_some() {
        "k"
    } else {
        ""
    };
    let url = listening.url;
    let mut out = format!("Simulated Aviatrix controller listening on {url}\n");
    if let Some(fingerprint) = listening.fingerprint {
        out.push_str(&format!("  certificate SHA-256: {fingerprint}\n"));
    }
    out.push_str(&format!("  login:    {} / {shown}\n", listening.user));
    out.push_str(&format!("  platform: {platform}\n"));
    out.push_str("Try it:\n");
    out.push_str(&format!(
        "  curl -s{insecure} {url}/v2/api -d action=login -d username={} -d password={for_curl}\n",
        listening.user
    ));
    out.push_str(&format!(
        "  curl -s{insecure} '{url}/v2/api?action=list_vpcs_summary&CID=<CID from the login>'\n"
    ));
    out.push_str("Press Ctrl-C to stop.\n");
    out
}

/// SIGINT (Ctrl-C), SIGTERM, SIGHUP or SIGQUIT; Ctrl-C alone when they cannot be listened to.
async fn wait_for_signal() {
    match crate::signals::Signals::new() {
        Ok(mut signals) => {
            signals.next().await;
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        sim: SimArgs,
    }

    fn body_limit(flags: &[&str]) -> usize {
        let mut argv = vec!["sim", "--http", "--gateways", "4"];
        argv.extend_from_slice(flags);
        let command = Command::try_parse_from(argv).expect("the flags parse");
        config(&command.sim).expect("a config").body_limit
    }

    #[test]
    fn max_body_kb_sets_the_limit_in_bytes_and_defaults_to_1_mib() {
        assert_eq!(body_limit(&[]), 1024 * 1024);
        assert_eq!(body_limit(&["--max-body-kb", "4"]), 4096);
        assert_eq!(
            body_limit(&["--max-body-kb", "1048576"]),
            1024 * 1024 * 1024
        );
        assert!(Command::try_parse_from(["sim", "--max-body-kb", "0"]).is_err());
    }
}
