//! A rustls server config from PEM files, for `--tls-cert`/`--tls-key`.
//! The accept loops take the config and wrap each accepted TCP stream in a
//! TLS stream before the session sees it.

use std::io;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

fn invalid(what: &str, path: &Path, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("{what} {}: {e}", path.display()))
}

/// The certificates in a PEM file (the server's chain, or trusted CAs).
pub fn load_certs(path: &Path) -> io::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| invalid("reading certificates from", path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid("reading certificates from", path, e))?;
    if certs.is_empty() {
        return Err(invalid("no certificate in", path, "expected -----BEGIN CERTIFICATE-----"));
    }
    Ok(certs)
}

/// The private key in a PEM file (PKCS#8, PKCS#1 or SEC1).
pub fn load_key(path: &Path) -> io::Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| invalid("reading the private key from", path, e))
}

/// A server config for `cert_chain` and `key`; when `client_cas` is given,
/// clients must present a certificate signed by one of them.
pub fn server_config(
    cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    client_cas: Option<Vec<CertificateDer<'static>>>,
) -> io::Result<Arc<ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?;
    let builder = match client_cas {
        None => builder.with_no_client_auth(),
        Some(cas) => {
            let mut roots = RootCertStore::empty();
            for ca in cas {
                roots.add(ca).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let config = builder
        .with_single_cert(cert_chain, key)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("certificate and key: {e}")))?;
    Ok(Arc::new(config))
}

/// [`server_config`] from PEM files: `--tls-cert`, `--tls-key` and the
/// optional `--tls-client-ca`.
pub fn server_config_from_files(cert: &Path, key: &Path, client_ca: Option<&Path>) -> io::Result<Arc<ServerConfig>> {
    let cas = client_ca.map(load_certs).transpose()?;
    server_config(load_certs(cert)?, load_key(key)?, cas)
}

/// How many bytes of TLS records a connection may hold that its socket has
/// not taken yet (rustls's default is 64 KiB).
///
/// The session notices a slow reader when a write of its reply buffer is
/// taken only in part; with 64 KiB of room rustls takes every write whole and
/// the wait moves into `flush`, so a slow TLS subscriber would get old values
/// in batches and no `dropped` count. A few KiB keep a write's wait visible
/// (and bound the memory a stalled TLS peer holds) while a reader that keeps
/// up never meets the limit: rustls hands records to the socket as it goes.
pub const SEND_BUFFER_LIMIT: usize = 4 * 1024;

/// Bounds a new server connection's send buffer to [`SEND_BUFFER_LIMIT`];
/// the accept loops pass it to `TlsAcceptor::accept_with`.
pub fn bound_send_buffer(connection: &mut rustls::ServerConnection) {
    connection.set_buffer_limit(Some(SEND_BUFFER_LIMIT));
}
