//! Issue 9, item 5: the crate's error types say what happened (`Display`)
//! and work with `?` into `core::error::Error` handling.

use aimx::record::SetError;
use aimx::wire::{request, ErrorCode, Full};
use aimx::SessionEnd;

fn as_error(e: &dyn core::error::Error) -> String {
    e.to_string()
}

#[test]
fn error_types_display_and_are_errors() {
    let mut line = *b"{\"id\":7,\"method\":\"nope\"}";
    let parse = request::parse(&mut line).expect_err("an unknown method is refused");
    let shown = as_error(&parse);
    assert!(shown.starts_with(parse.code.as_str()) && shown.contains(parse.message), "{shown}");

    assert_eq!(as_error(&SetError("too hot")), "value refused: too hot");
    assert_eq!(as_error(&Full), "the output buffer is full");

    let ends = [
        SessionEnd::PeerClosed,
        SessionEnd::ReadError(embedded_io::ErrorKind::Other),
        SessionEnd::WriteError(embedded_io::ErrorKind::Other),
        SessionEnd::WriteTimeout,
        SessionEnd::HandshakeTimeout,
        SessionEnd::Refused(ErrorCode::AuthFailed),
        SessionEnd::TooManySessions,
        SessionEnd::Shutdown,
    ];
    let texts: Vec<String> = ends.iter().map(|e| as_error(e)).collect();
    assert!(texts[5].contains("auth_failed"), "{}", texts[5]);
    assert!(texts[1].ends_with("Other"), "the kind is named: {}", texts[1]);
    for (i, t) in texts.iter().enumerate() {
        assert!(!t.is_empty() && texts.iter().skip(i + 1).all(|u| u != t), "distinct texts: {texts:?}");
    }
}
