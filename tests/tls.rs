//! The conformance suite over TLS: every session's stream is a rustls
//! server stream (futures-rustls in the embedded-io adapter, as the
//! async-std/smol accept loop serves it) over an in-memory pipe of
//! ciphertext, its peer a rustls client carrying the scripted client's
//! bytes; certificates are made at test time (see `tls/pipe.rs`). The same
//! test bodies as every executor's runner, but two:
//!
//! * `subscriptions::slow_reader_making_progress_stays_and_sees_recent_values`
//! * `rate::a_slow_reader_at_a_rate_limit_sees_dropped_apart_from_coalesced`
//!
//! Both need the session to see its reader is slow. The session counts a
//! peer as slow when one write of its reply buffer took more than one
//! `write` call (the stream took part of it and made the rest wait). Over
//! TLS the records wait in buffers first: on the server's side up to the
//! accept loops' bound (`aimx_std_net::tls::SEND_BUFFER_LIMIT`, 4 KiB; the
//! pipe here uses it too), on the client's side rustls decrypts ahead of its
//! reader (up to 16 KiB), which here holds every event the tests send. So a
//! slow subscriber is served at the pace it reads and its write deadline
//! holds (`sessions::write_deadline_ends_only_the_stuck_session` passes
//! here), but its events are chosen in batches, not one at a time as the
//! one before is written: the first test reads value 17 at 10 s when 100
//! were published (it allows 40 behind), the second sees 0 `dropped` for
//! intervals that were missed. On a plain stream the session notices.

#[path = "tls/common.rs"]
mod common;
#[allow(dead_code)] // the two tests above are compiled, not run
mod conformance;

conformance::all_tests!(common::run, buffered);
