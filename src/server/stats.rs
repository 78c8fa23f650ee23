//! Server-wide counters, reported by `server.stats`.

/// Counters since the server was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// When the first session started: the records' `created_at`.
    pub started_at: Option<crate::Timestamp>,
    /// Sessions open now.
    pub sessions_open: u64,
    /// Sessions accepted since start.
    pub sessions_total: u64,
    /// Sessions refused with `too_many_sessions`.
    pub sessions_refused: u64,
    /// Requests handled (hellos not included).
    pub requests: u64,
    /// Events sent to subscribers.
    pub events_sent: u64,
    /// Values subscribers skipped (the sum of every `dropped`).
    pub events_dropped: u64,
    /// Hellos refused for a missing or wrong token.
    pub auth_failures: u64,
    /// Lines answered with `parse_error`, `protocol_error` or `line_too_long`.
    pub parse_errors: u64,
    /// Bytes read from peers.
    pub bytes_in: u64,
    /// Bytes written to peers.
    pub bytes_out: u64,
}
