//! How to talk to a server: client name, token, timeouts.

use std::fmt;
use std::time::Duration;

use crate::codec::{Framing, Wire};

/// Settings for one connection.
#[derive(Clone)]
pub struct Options {
    /// Sent as `client` in the hello.
    pub client_name: String,
    /// Sent as `auth_token` in the hello; never printed by `Debug`.
    pub token: Option<String>,
    /// Limit for connecting, the handshake and every call.
    pub timeout: Duration,
    /// Events buffered per subscription before this client starts dropping
    /// (and counting) them.
    pub event_queue: usize,
    /// Send a bare `\n` before the hello, so a half-written line left on a
    /// serial link by an earlier tool is terminated instead of swallowing
    /// the hello. The serial transport turns it on.
    pub resync: bool,
    /// The protocol generation to speak (v1 unless told).
    pub wire: Wire,
    /// How frames are cut; `None`: v3 over TCP is length-prefixed, the rest
    /// is lines ([`Framing::default_for`]).
    pub framing: Option<Framing>,
    /// Send a `ping` when nothing was sent for this long, so a server's idle
    /// timeout (5 minutes on the std TCP servers) does not close a session
    /// held open unused. Default 60 s; `None` (or zero) never pings.
    pub keep_alive: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            client_name: concat!("aimx-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            token: None,
            timeout: Duration::from_secs(5),
            event_queue: 1024,
            resync: false,
            wire: Wire::V1,
            framing: None,
            keep_alive: Some(Duration::from_secs(60)),
        }
    }
}

impl Options {
    /// Sets the auth token.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Sets the timeout for connecting, the handshake and every call.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Speaks this protocol generation.
    pub fn wire(mut self, wire: Wire) -> Self {
        self.wire = wire;
        self
    }

    /// Cuts frames this way whatever the transport.
    pub fn framing(mut self, framing: Framing) -> Self {
        self.framing = Some(framing);
        self
    }

    /// Pings after this long without sending anything (`None`: never).
    pub fn keep_alive(mut self, every: Option<Duration>) -> Self {
        self.keep_alive = every;
        self
    }

    /// Sets the name sent in the hello.
    pub fn client_name(mut self, name: impl Into<String>) -> Self {
        self.client_name = name.into();
        self
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("client_name", &self.client_name)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("event_queue", &self.event_queue)
            .field("resync", &self.resync)
            .field("wire", &self.wire)
            .field("framing", &self.framing)
            .field("keep_alive", &self.keep_alive)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let shown = format!("{:?}", Options::default().token("s3cret"));
        assert!(!shown.contains("s3cret") && shown.contains("redacted"), "{shown}");
    }
}
