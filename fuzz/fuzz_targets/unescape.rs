//! The in-place unescaper over arbitrary string bodies, against
//! `serde_json`. Checked: no panic; when the quoted body is valid JSON, ours
//! decodes it to the same text as `serde_json` (or both refuse it), and
//! `key_eq` agrees with the decoded text.
#![no_main]

use aimx::wire::scan;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut body = data.to_vec();
    let ours = scan::unescape_in_place(&mut body).map(|n| body[..n].to_vec());
    let quoted = [b"\"", data, b"\""].concat();
    if scan::validate(&quoted).is_err() || std::str::from_utf8(data).is_err() {
        return;
    }
    let theirs: Option<String> = serde_json::from_slice(&quoted).ok();
    assert_eq!(ours.as_deref(), theirs.as_deref().map(str::as_bytes), "{:?}", String::from_utf8_lossy(data));
    if let Some(text) = theirs {
        assert!(scan::key_eq(data, &text));
        assert!(!scan::key_eq(data, &format!("{text}x")));
    }
});
