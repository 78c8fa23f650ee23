//! `aimx --tls` against a TLS server with certificates made at test time.

#[path = "../../client/tests/common/mod.rs"]
mod common;

use std::process::Command;

use common::demo::{self, Policy};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A TLS server for `localhost`/127.0.0.1 and the PEM file of its CA.
fn tls_server(dir: &std::path::Path) -> (String, std::path::PathBuf) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let ca_pem = dir.join("ca.pem");
    std::fs::write(&ca_pem, ca.pem()).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let config = aimx_tokio::tls::server_config(vec![leaf.der().clone()], key, None).unwrap();

    let server = demo::server(Policy::ReadWrite);
    let listener = demo::runtime().block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let options = aimx_tokio::TcpOptions::new().tls(config);
    demo::runtime().spawn(aimx_tokio::serve_tcp_with(server, listener, options, |_| {}, std::future::pending()));
    (addr, ca_pem)
}

fn aimx(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aimx")).args(args).env_remove("AIMX_TOKEN").output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[test]
fn tls_with_the_right_ca_works_and_insecure_warns() {
    let dir = tempfile_dir();
    let (addr, ca) = tls_server(&dir);
    let ca = ca.to_str().unwrap();
    let (rc, out, err) = aimx(&["--tcp", &addr, "--tls", "--ca", ca, "get", "config.log_level"]);
    assert_eq!((rc, out.as_str()), (0, "\"info\"\n"), "{err}");
    // The name checked can be given; the certificate also names localhost.
    let port = addr.rsplit_once(':').unwrap().1;
    let (rc, _, err) = aimx(&["--tcp", &format!("localhost:{port}"), "--tls", "--ca", ca, "list"]);
    assert_eq!(rc, 0, "{err}");

    let (rc, _, err) = aimx(&["--tcp", &addr, "--tls", "--tls-insecure", "list"]);
    assert_eq!(rc, 0, "{err}");
    assert!(err.contains("WARNING") && err.contains("NOT checked"), "{err}");
}

#[test]
fn tls_refuses_an_unknown_ca_and_a_plain_client_fails_clearly() {
    let dir = tempfile_dir();
    let (addr, _ca) = tls_server(&dir);
    // Trusting another CA.
    let other = dir.join("other.pem");
    let other_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    std::fs::write(&other, params.self_signed(&other_key).unwrap().pem()).unwrap();
    let (rc, _, err) = aimx(&["--tcp", &addr, "--tls", "--ca", other.to_str().unwrap(), "list"]);
    assert_eq!(rc, 3, "{err}");
    assert!(err.contains("TLS handshake") && err.contains("invalid peer certificate"), "{err}");
    // Plain TCP on the TLS port: a connection failure, not a hang.
    let (rc, _, err) = aimx(&["--tcp", &addr, "--timeout", "2", "list"]);
    assert_eq!(rc, 3, "{err}");
    // --tls flags without --tls are a usage error.
    assert_eq!(aimx(&["--tcp", &addr, "--ca", "x.pem", "list"]).0, 2);
}

/// A directory for the test's certificates, removed when the test ends
/// (passed or failed).
struct TempDir(std::path::PathBuf);

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;

    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempfile_dir() -> TempDir {
    let dir =
        std::env::temp_dir().join(format!("aimx-cli-tls-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}
