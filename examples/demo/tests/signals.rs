//! Ctrl-C's sibling SIGTERM ends the demo cleanly, socket file removed.

#[test]
fn sigterm_removes_the_socket() {
    aimx_demo_common::check::sigterm_removes_the_socket(env!("CARGO_BIN_EXE_aimx-demo"));
}
