//! TLS over TCP: which servers to trust, and the rustls client config.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// Which server certificates a TLS connection accepts.
#[derive(Debug, Clone)]
pub enum Trust {
    /// The system's root certificates.
    System,
    /// Only certificates signed by the CAs in this PEM file.
    CaFile(PathBuf),
    /// Any certificate at all: the connection is encrypted but anyone in the
    /// middle can read and change it. For tests against throwaway certs only.
    Insecure,
}

/// How to connect with TLS.
#[derive(Debug, Clone)]
pub struct TlsOptions {
    /// Whom to trust.
    pub trust: Trust,
    /// The name the certificate must carry; by default the host of the
    /// address connected to.
    pub server_name: Option<String>,
}

impl TlsOptions {
    /// Trust `trust`, check the certificate against the host connected to.
    pub fn new(trust: Trust) -> Self {
        TlsOptions { trust, server_name: None }
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn roots(trust: &Trust) -> io::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    match trust {
        Trust::System => {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                // A system store may hold certificates rustls cannot parse.
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    "no system root certificates found; use --ca FILE",
                ));
            }
        }
        Trust::CaFile(path) => {
            let bad = |e: &dyn std::fmt::Display| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("reading CA certificates from {}: {e}", path.display()),
                )
            };
            for cert in CertificateDer::pem_file_iter(path).map_err(|e| bad(&e))? {
                roots.add(cert.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
            }
            if roots.is_empty() {
                return Err(bad(&"no certificate in the file"));
            }
        }
        Trust::Insecure => {}
    }
    Ok(roots)
}

/// The rustls client config for `options`.
pub(crate) fn client_config(options: &TlsOptions) -> io::Result<Arc<ClientConfig>> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?;
    let config = match options.trust {
        Trust::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider())))
            .with_no_client_auth(),
        _ => builder.with_root_certificates(roots(&options.trust)?).with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The server name to check, from the options or the `HOST:PORT` given.
pub(crate) fn server_name(options: &TlsOptions, addr: &str) -> io::Result<ServerName<'static>> {
    let host = match &options.server_name {
        Some(name) => name.clone(),
        None => {
            let host = addr.rsplit_once(':').map_or(addr, |(host, _)| host);
            host.trim_start_matches('[').trim_end_matches(']').to_owned()
        }
    };
    ServerName::try_from(host.clone())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("TLS server name {host:?}: {e}")))
}

/// Accepts every certificate (signatures are still checked, so the
/// handshake is well formed): `Trust::Insecure`.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
