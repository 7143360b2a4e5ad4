//! Whom the client trusts. Real controllers ship self-signed certificates, so the default is
//! not "accept anything": a certificate is verified against the system roots, a CA file, or a
//! SHA-256 fingerprint pinned on first use (like SSH's known_hosts). `--insecure` exists and
//! says so loudly. Plain `http://` is accepted for loopback addresses only.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::api::error::ApiError;
use crate::load::{self, FileKind};
use crate::quote;

/// How the controller's certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustMode {
    /// The operating system's roots.
    System,
    /// A CA (or the controller's own certificate) in a PEM file.
    CaFile(PathBuf),
    /// Exactly the certificate with this SHA-256 fingerprint (`AB:CD:...`).
    Pinned(String),
    /// Anything: no protection against a man in the middle.
    Insecure,
}

/// Refuses `http://` except on loopback, anything but http(s), and URLs with user info (a
/// password in a URL ends up in shell history and on screen), a query or a fragment (they
/// would be glued to the API path). Errors never repeat the user info.
pub fn check_scheme(base_url: &str) -> Result<(), ApiError> {
    let url = url::Url::parse(base_url).map_err(|error| {
        ApiError::Config(format!(
            "invalid controller URL \"{}\": {error}; expected https://HOST",
            quote::quoted(base_url)
        ))
    })?;
    check_parts(&url)?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(ApiError::Config(format!(
            "refusing plain http:// to {}: passwords would cross the network in clear text; use https:// (http:// is accepted for loopback addresses only)",
            url.host_str().unwrap_or("?")
        ))),
        other => Err(ApiError::Config(format!(
            "unsupported scheme \"{}\" in {}: expected https://HOST",
            quote::quoted(other),
            quote::quoted(url.as_str())
        ))),
    }
}

fn check_parts(url: &url::Url) -> Result<(), ApiError> {
    let mut shown = url.clone();
    let has_user_info = !url.username().is_empty() || url.password().is_some();
    if has_user_info {
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
    }
    let (problem, advice) = if has_user_info {
        (
            "has a user name or password in it",
            "give the user with --user and the password with $AVX_PASSWORD or the prompt",
        )
    } else if url.query().is_some() {
        ("has a query (?...)", "give only https://HOST[:PORT]")
    } else if url.fragment().is_some() {
        ("has a fragment (#...)", "give only https://HOST[:PORT]")
    } else {
        return Ok(());
    };
    shown.set_query(None);
    shown.set_fragment(None);
    Err(ApiError::Config(format!(
        "the controller URL {} {problem}: {advice}",
        quote::quoted(shown.as_str())
    )))
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

/// A reqwest client that trusts what `mode` says.
pub fn http_client(mode: &TrustMode) -> Result<reqwest::Client, ApiError> {
    // Never follow a redirect: it would re-send the password or the CID to another address.
    let builder = reqwest::Client::builder()
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none());
    let builder = match mode {
        TrustMode::System => builder,
        TrustMode::Insecure => builder.tls_danger_accept_invalid_certs(true),
        TrustMode::CaFile(path) => {
            let pem = load::read_file(path, FileKind::CaCert)
                .map_err(|error| ApiError::Config(format!("--ca-cert {error}")))?;
            let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|error| {
                ApiError::Config(format!(
                    "--ca-cert {}: not a PEM certificate: {error}",
                    path.display()
                ))
            })?;
            builder.tls_certs_only(certificates)
        }
        TrustMode::Pinned(expected) => builder.tls_backend_preconfigured(pinned_config(expected)?),
    };
    builder
        .build()
        .map_err(|error| ApiError::Config(format!("cannot set up the HTTP client: {error}")))
}

/// SHA-256 of a DER certificate as `AB:CD:...`, the form `openssl x509 -fingerprint -sha256` prints.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    let pairs: Vec<String> = digest.iter().map(|byte| format!("{byte:02X}")).collect();
    pairs.join(":")
}

/// Normalises a fingerprint to `AB:CD:...` (accepts `sha256:`, lower case, no colons).
pub fn normalize_fingerprint(text: &str) -> Result<String, ApiError> {
    let trimmed = text.trim();
    let bare = trimmed
        .strip_prefix("SHA256:")
        .or_else(|| trimmed.strip_prefix("sha256:"))
        .unwrap_or(trimmed);
    let hex: String = bare.chars().filter(|c| *c != ':').collect();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::Config(format!(
            "invalid fingerprint \"{text}\": expected a SHA-256 fingerprint, 64 hex digits such as AB:CD:..."
        )));
    }
    let upper = hex.to_ascii_uppercase();
    let pairs: Vec<&str> = (0..32)
        .map(|index| &upper[index * 2..index * 2 + 2])
        .collect();
    Ok(pairs.join(":"))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn pinned_config(expected: &str) -> Result<rustls::ClientConfig, ApiError> {
    let verifier = Arc::new(Pinned {
        expected: normalize_fingerprint(expected)?,
        seen: Mutex::new(None),
        provider: provider(),
    });
    client_config(verifier)
}

fn client_config(verifier: Arc<dyn ServerCertVerifier>) -> Result<rustls::ClientConfig, ApiError> {
    Ok(rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|error| ApiError::Config(format!("TLS setup: {error}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// Accepts exactly one certificate (by fingerprint), or, with an empty `expected`, records any.
#[derive(Debug)]
struct Pinned {
    expected: String,
    seen: Mutex<Option<String>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let actual = fingerprint(end_entity);
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(actual.clone());
        }
        if self.expected.is_empty() || actual == self.expected {
            return Ok(ServerCertVerified::assertion());
        }
        Err(rustls::Error::General(format!(
            "certificate fingerprint {actual} does not match the pinned {}",
            self.expected
        )))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Connects to `host:port`, completes a TLS handshake without trusting anything, and returns
/// the certificate's SHA-256 fingerprint: what trust-on-first-use shows the user.
pub async fn fetch_fingerprint(host: &str, port: u16) -> Result<String, ApiError> {
    let recorder = Arc::new(Pinned {
        expected: String::new(),
        seen: Mutex::new(None),
        provider: provider(),
    });
    let connector = TlsConnector::from(Arc::new(client_config(recorder.clone())?));
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|error| ApiError::Connect(format!("{host}:{port}: {error}")))?;
    let name = match host.parse::<IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => ServerName::try_from(host.to_owned())
            .map_err(|error| ApiError::Config(format!("invalid host name {host}: {error}")))?,
    };
    connector.connect(name, stream).await.map_err(|error| {
        ApiError::Connect(format!("TLS handshake with {host}:{port} failed: {error}"))
    })?;
    let seen = recorder.seen.lock().ok().and_then(|seen| seen.clone());
    seen.ok_or_else(|| ApiError::Connect(format!("{host}:{port} presented no certificate")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_is_for_loopback_only() {
        assert!(check_scheme("https://ctl.example.com").is_ok());
        assert!(check_scheme("http://127.0.0.1:8443").is_ok());
        assert!(check_scheme("http://localhost:8443").is_ok());
        assert!(check_scheme("http://[::1]:8443").is_ok());
        let error = check_scheme("http://10.1.2.3")
            .expect_err("remote http")
            .to_string();
        assert!(
            error.contains("10.1.2.3") && error.contains("https://"),
            "{error}"
        );
        assert!(check_scheme("ftp://x").is_err());
        assert!(check_scheme("not a url").is_err());
    }

    #[test]
    fn user_info_query_and_fragment_are_refused_without_echoing_the_password() {
        let error = check_scheme("http://admin:SECRET@127.0.0.1:8443")
            .expect_err("user info")
            .to_string();
        assert!(
            !error.contains("SECRET") && !error.contains("admin"),
            "{error}"
        );
        assert!(
            error.contains("http://127.0.0.1:8443/") && error.contains("--user"),
            "{error}"
        );
        let error = check_scheme("https://ctl.example.com/?action=x")
            .expect_err("query")
            .to_string();
        assert!(error.contains("has a query"), "{error}");
        let error = check_scheme("https://ctl.example.com/#top")
            .expect_err("fragment")
            .to_string();
        assert!(error.contains("has a fragment"), "{error}");
        let long = format!("https://{}", "a".repeat(1 << 20));
        let error = check_scheme(&format!("{long}?q"))
            .expect_err("query")
            .to_string();
        assert!(error.len() < 300, "{} bytes", error.len());
    }

    #[test]
    fn fingerprints_are_colon_separated_sha256() {
        let text = fingerprint(b"abc");
        assert_eq!(text.len(), 32 * 3 - 1);
        assert!(text.starts_with("BA:78:16:BF"), "{text}");
    }

    #[test]
    fn fingerprints_are_normalised() {
        let colons = "ab:".repeat(31) + "ab";
        let expected = "AB:".repeat(31) + "AB";
        assert_eq!(
            normalize_fingerprint(&colons).as_deref(),
            Ok(expected.as_str())
        );
        assert_eq!(
            normalize_fingerprint(&format!("sha256:{}", "ab".repeat(32))).as_deref(),
            Ok(expected.as_str())
        );
        assert!(normalize_fingerprint("AB:CD").is_err());
        assert!(normalize_fingerprint(&"zz".repeat(32)).is_err());
    }
}
