//! The demo binary serves live sensor values, and SIGTERM (Ctrl-C's sibling)
//! ends it cleanly, socket file removed.

#[test]
fn live_values_then_sigterm_removes_the_socket() {
    aimx_demo_common::check::live_values_then_sigterm_removes_the_socket(env!("CARGO_BIN_EXE_aimx-smol-demo"));
}
