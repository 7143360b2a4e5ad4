//! The simulator's HTTPS identity: a self-signed certificate generated at start, like the one a
//! real controller ships, and its SHA-256 fingerprint for trust-on-first-use.

use std::net::IpAddr;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::api::trust::fingerprint;

/// A fresh certificate, its fingerprint and a TLS acceptor that serves it.
pub struct TlsIdentity {
    pub acceptor: TlsAcceptor,
    /// SHA-256 of the certificate (DER), as colon-separated upper-case hex pairs.
    pub fingerprint: String,
    /// The certificate in PEM, for `--ca-cert` style trust.
    pub certificate_pem: String,
}

/// The certificate could not be made or loaded into TLS.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the simulator's TLS certificate: {0}")]
pub struct TlsError(String);

/// Generates a self-signed certificate for `localhost` and `ip`.
pub fn self_signed(ip: IpAddr) -> Result<TlsIdentity, TlsError> {
    let names = vec!["localhost".to_owned(), ip.to_string()];
    let generated =
        rcgen::generate_simple_self_signed(names).map_err(|error| TlsError(error.to_string()))?;
    let certificate: CertificateDer<'static> = generated.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        generated.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| TlsError(error.to_string()))?
        .with_no_client_auth()
        .with_single_cert(vec![certificate.clone()], key)
        .map_err(|error| TlsError(error.to_string()))?;
    Ok(TlsIdentity {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        fingerprint: fingerprint(&certificate),
        certificate_pem: generated.cert.pem(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_start_gets_a_new_certificate() {
        let ip: IpAddr = "127.0.0.1".parse().expect("ip");
        let first = self_signed(ip).expect("certificate");
        let second = self_signed(ip).expect("certificate");
        assert_ne!(first.fingerprint, second.fingerprint);
        assert!(
            first
                .certificate_pem
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
    }
}
