//! The demo serves TLS with --tls-cert/--tls-key, and a plain client on
//! that port gets no JSON.

#[path = "../../common/check_tls.rs"]
mod check_tls;

#[test]
fn serves_tls_and_refuses_plain() {
    check_tls::serves_tls_and_refuses_plain(env!("CARGO_BIN_EXE_aimx-smol-demo"));
}
