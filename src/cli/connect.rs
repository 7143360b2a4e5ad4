//! Connecting to a controller from the shell: the URL, the user, the password (an environment
//! variable or a prompt, never argv) and whom to trust (a CA file, a fingerprint pinned on
//! first use, or `--insecure`, loudly).

use std::io::IsTerminal;
use std::sync::Arc;

use clap::Args;

use crate::api::known::{self, KnownControllers};
use crate::api::trust::{self, TrustMode};
use crate::api::{Client, ClientSettings};
use crate::cli::InputError;
use crate::config::{self, Config, Profile};
use crate::secret::{Credentials, Secret};

/// The default variable that holds the password.
pub const DEFAULT_PASSWORD_ENV: &str = "AVX_PASSWORD";

#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// A controller profile from the config file (`avx-upgrade config sample` shows one).
    #[arg(long, value_name = "P", conflicts_with = "controller")]
    pub profile: Option<String>,
    /// The controller, e.g. https://ctl.example.com (http:// only for loopback).
    #[arg(long, value_name = "URL")]
    pub controller: Option<String>,
    /// The user to log in as [default: admin].
    #[arg(long, value_name = "U")]
    pub user: Option<String>,
    /// The environment variable holding the password [default: AVX_PASSWORD]; unset on a
    /// terminal means a prompt. Passwords are never taken from the command line.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Trust the controller's certificate only if it has this SHA-256 fingerprint, and pin it.
    #[arg(long, value_name = "FINGERPRINT", conflicts_with_all = ["ca_cert", "insecure"])]
    pub trust: Option<String>,
    /// Verify the controller's certificate against this CA (PEM).
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    pub ca_cert: Option<std::path::PathBuf>,
    /// Accept any certificate. Dangerous: anyone in the path can read the password.
    #[arg(long)]
    pub insecure: bool,
}

/// The connection settings after the profile and the flags are merged (flags win).
#[derive(Debug, Clone)]
pub struct Resolved {
    pub url: String,
    pub user: String,
    pub password_env: String,
    pub trust: Option<String>,
    pub ca_cert: Option<std::path::PathBuf>,
    pub insecure: bool,
    /// The largest answer read, in bytes (`max_answer_mb` under `[client]`).
    pub max_answer: u64,
    /// The largest request body sent, in bytes (`max_request_kb` under `[client]`).
    pub max_request: u64,
}

/// Merges `--profile` with the flags.
pub fn resolve(args: &ConnectArgs) -> Result<Resolved, InputError> {
    let config = load_config()?;
    let profile = match (&args.profile, &config) {
        (Some(name), Some(config)) => Some(config.profile(name).cloned().map_err(InputError)?),
        (Some(_), None) => return Err(no_config_dir()),
        (None, _) => None,
    };
    let url = args
        .controller
        .clone()
        .or_else(|| profile.as_ref().map(|profile| profile.url.clone()))
        .ok_or_else(|| InputError("give --controller URL or --profile NAME".into()))?;
    let from_profile = |pick: fn(&Profile) -> Option<String>| profile.as_ref().and_then(pick);
    Ok(Resolved {
        url,
        user: args
            .user
            .clone()
            .or_else(|| from_profile(|p| p.user.clone()))
            .unwrap_or_else(|| "admin".into()),
        password_env: args
            .password_env
            .clone()
            .or_else(|| from_profile(|p| p.password_env.clone()))
            .unwrap_or_else(|| DEFAULT_PASSWORD_ENV.into()),
        trust: args
            .trust
            .clone()
            .or_else(|| from_profile(|p| p.fingerprint.clone())),
        ca_cert: args
            .ca_cert
            .clone()
            .or_else(|| profile.as_ref().and_then(|p| p.ca_cert.clone())),
        insecure: args.insecure,
        max_answer: config
            .as_ref()
            .map(|config| config.client.max_answer())
            .unwrap_or(crate::api::DEFAULT_MAX_ANSWER),
        max_request: config
            .map(|config| config.client.max_request())
            .unwrap_or(crate::api::DEFAULT_MAX_REQUEST),
    })
}

/// The config file, if there is a config directory (a missing file is an empty config).
fn load_config() -> Result<Option<Config>, InputError> {
    let Some(path) = config::default_path() else {
        return Ok(None);
    };
    let config = Config::load(&path).map_err(InputError)?;
    if let Some(warning) = &config.warning {
        eprintln!("warning: {warning}");
    }
    Ok(Some(config))
}

fn no_config_dir() -> InputError {
    InputError(crate::paths::NO_CONFIG_DIR.into())
}

/// A logged-in client.
pub async fn connect(args: &ConnectArgs) -> Result<Arc<Client>, InputError> {
    let target = resolve(args)?;
    trust::check_scheme(&target.url)?;
    let password = password(&target.password_env).await?;
    let mode = trust_mode(&target).await?;
    let credentials = Credentials {
        user: target.user.clone(),
        password,
    };
    let mut settings = ClientSettings::new(target.url.clone(), credentials, mode);
    settings.max_answer = target.max_answer;
    settings.max_request = target.max_request;
    let client = Client::new(settings)?;
    client
        .login()
        .await
        .map_err(|error| InputError(describe_login_error(&target, &error)))?;
    Ok(Arc::new(client))
}

fn describe_login_error(args: &Resolved, error: &crate::api::ApiError) -> String {
    let text = error.to_string();
    if text.contains("certificate") && text.contains("does not match") {
        return format!(
            "THE CONTROLLER'S CERTIFICATE HAS CHANGED since it was pinned for {}: {text}. Someone may be intercepting the connection, or the controller got a new certificate. If you know why it changed, remove its line from the known-controllers file and connect again.",
            args.url
        );
    }
    text
}

/// The password from the environment, or a prompt on a terminal.
async fn password(variable: &str) -> Result<Secret, InputError> {
    if let Ok(value) = std::env::var(variable)
        && !value.is_empty()
    {
        return Ok(Secret::new(value));
    }
    if !std::io::stdin().is_terminal() {
        return Err(InputError(format!(
            "no password: set the environment variable {variable} (or name another with --password-env)"
        )));
    }
    crate::cli::prompt::hidden("Controller password: ").await
}

/// Whom to trust: `--insecure`, `--ca-cert`, plain HTTP, or the pinned fingerprint (trust on
/// first use: `--trust` or a prompt pins it; a change is a hard error).
async fn trust_mode(args: &Resolved) -> Result<TrustMode, InputError> {
    if args.insecure {
        eprintln!(
            "WARNING: --insecure: the controller's certificate is not checked; anyone in the path can impersonate it and read the password"
        );
        return Ok(TrustMode::Insecure);
    }
    if let Some(path) = &args.ca_cert {
        return Ok(TrustMode::CaFile(path.clone()));
    }
    let url = url::Url::parse(&args.url)
        .map_err(|error| InputError(format!("invalid controller URL {}: {error}", args.url)))?;
    if url.scheme() == "http" {
        return Ok(TrustMode::System);
    }
    let host = url.host_str().unwrap_or("").to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let path = known::default_path().ok_or_else(no_config_dir)?;
    let mut known = KnownControllers::load(&path)?;
    let controller = format!("{host}:{port}");
    if let Some(pin) = known.get(&controller) {
        return pinned(args, &known, &controller, pin.fingerprint.clone(), pin.line);
    }
    first_use(args, &mut known, &controller, &host, port).await
}

fn pinned(
    args: &Resolved,
    known: &KnownControllers,
    controller: &str,
    fingerprint: String,
    line: usize,
) -> Result<TrustMode, InputError> {
    if let Some(given) = &args.trust {
        let given = trust::normalize_fingerprint(given)?;
        if given != fingerprint {
            return Err(InputError(format!(
                "--trust {given} differs from the fingerprint pinned for {controller} ({fingerprint}) at {}:{line}: remove that line if the controller's certificate really changed",
                known.path().display()
            )));
        }
    }
    Ok(TrustMode::Pinned(fingerprint))
}

async fn first_use(
    args: &Resolved,
    known: &mut KnownControllers,
    controller: &str,
    host: &str,
    port: u16,
) -> Result<TrustMode, InputError> {
    let actual = trust::fetch_fingerprint(host, port).await?;
    let accepted = match &args.trust {
        Some(given) => {
            let given = trust::normalize_fingerprint(given)?;
            if given != actual {
                return Err(InputError(format!(
                    "the certificate of {controller} has fingerprint {actual}, not {given} (--trust): not connecting"
                )));
            }
            true
        }
        None => ask(controller, &actual)?,
    };
    if !accepted {
        return Err(InputError(format!(
            "not trusting {controller}: nothing was sent"
        )));
    }
    known.pin(controller, &actual)?;
    eprintln!(
        "pinned {controller} ({actual}) in {}",
        known.path().display()
    );
    Ok(TrustMode::Pinned(actual))
}

/// Asks on the terminal; without one, says how to pass `--trust`.
fn ask(controller: &str, fingerprint: &str) -> Result<bool, InputError> {
    if !std::io::stdin().is_terminal() {
        return Err(InputError(format!(
            "first connection to {controller}: its certificate's SHA-256 fingerprint is {fingerprint}. Verify it (e.g. on the controller's console) and pass --trust {fingerprint}"
        )));
    }
    eprintln!("The authenticity of controller {controller} can't be established.");
    eprintln!("Its certificate's SHA-256 fingerprint is {fingerprint}.");
    eprint!("Trust it and pin it for next time (yes/no)? ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|error| InputError(format!("cannot read the answer: {error}")))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "yes" | "y"
    ))
}
