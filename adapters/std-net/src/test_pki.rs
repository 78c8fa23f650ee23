//! Certificates made at run time, for tests and measurements of the TLS
//! path (feature `test-pki`): a CA, a server certificate it signed for
//! `localhost` and 127.0.0.1, client certificates, and the rustls configs
//! of both ends (ring, as the accept loops use). Nothing here is for
//! production: the keys live in memory and the CA signs whatever it is asked.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// A certificate and its private key.
pub type Identity = (CertificateDer<'static>, PrivateKeyDer<'static>);

/// A certificate authority that signs certificates on demand.
pub struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    /// A fresh self-signed CA named `name`.
    pub fn new(name: &str) -> Self {
        let key = KeyPair::generate().expect("generating a key pair");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("empty names are valid");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.self_signed(&key).expect("self-signing");
        Ca { cert, key }
    }

    /// The CA's certificate (what a peer trusts).
    pub fn cert(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    /// The CA's certificate as PEM.
    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A certificate for `names` (DNS names or IP addresses) signed by this CA.
    pub fn sign(&self, names: &[&str]) -> Identity {
        let key = KeyPair::generate().expect("generating a key pair");
        let names = names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let params = CertificateParams::new(names).expect("valid names");
        let cert = params.signed_by(&key, &self.cert, &self.key).expect("signing");
        (cert.der().clone(), PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())))
    }

    /// As [`Ca::sign`], as PEM: (certificate, private key).
    pub fn sign_pem(&self, names: &[&str]) -> (String, String) {
        let key = KeyPair::generate().expect("generating a key pair");
        let names = names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let params = CertificateParams::new(names).expect("valid names");
        let cert = params.signed_by(&key, &self.cert, &self.key).expect("signing");
        (cert.pem(), key.serialize_pem())
    }

    /// A server config (the accept loops' own, from
    /// [`crate::tls::server_config`]) for `localhost` and 127.0.0.1, signed
    /// by this CA; clients must present a certificate this CA signed when
    /// `client_certs` is true.
    pub fn server_config(&self, client_certs: bool) -> Arc<ServerConfig> {
        let (cert, key) = self.sign(&["localhost", "127.0.0.1"]);
        let cas = client_certs.then(|| vec![self.cert()]);
        crate::tls::server_config(vec![cert], key, cas).expect("a valid server config")
    }
}

/// A client config that trusts `ca` only, and presents `identity` if given.
pub fn client_config(ca: &CertificateDer<'static>, identity: Option<Identity>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(ca.clone()).expect("a valid CA certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .with_root_certificates(roots);
    let config = match identity {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => builder.with_client_auth_cert(vec![cert], key).expect("a valid client certificate"),
    };
    Arc::new(config)
}

/// The name the server certificates of [`Ca::server_config`] carry.
pub fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").expect("a valid DNS name")
}
