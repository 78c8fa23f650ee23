//! The scanner's member walker and the deserializer's member walk over
//! arbitrary bytes. Checked: no panic; on a validated object both walks see
//! the same number of members, every span lies inside the input, and each
//! value span is itself one valid JSON value.
#![no_main]

use aimx::wire::scan;
use aimx::wire::value::de::Deserializer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if scan::validate(data).is_err() {
        return;
    }
    let range = data.as_ptr_range();
    let Some(members) = scan::members(data) else { return };
    let mut count = 0;
    for (key, value) in members {
        for span in [key, value] {
            let r = span.as_ptr_range();
            assert!(range.start <= r.start && r.end <= range.end);
        }
        assert_eq!(scan::validate(value), Ok(()), "value span {value:?}");
        count += 1;
    }
    let mut copy = data.to_vec();
    let mut de = Deserializer::new(&mut copy, false);
    let mut walked = 0;
    let walk = de.members(&mut |_key, de| {
        walked += 1;
        de.skip_value()
    });
    // Keys with invalid escapes (a lone surrogate) may stop the walk early.
    if walk.is_ok() {
        assert_eq!(walked, count);
        assert!(de.end().is_ok());
    }
});
