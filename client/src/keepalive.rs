//! Keep-alive: a `ping` when this client has sent nothing for a while, so a
//! server's idle timeout (5 minutes on the std TCP servers) never closes a
//! session that is held open but unused: a `watch` of a quiet record, the
//! dashboard, the shell, a bridge waiting for commands.
//!
//! The ping's answer is matched and swallowed by the reader: it never
//! reaches a caller waiting for its own reply or `pong`, a subscription, or
//! a [`tap`](crate::Client::tap).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use crate::client::Writer;
use crate::codec::{Codec, Wire};
use crate::state::Shared;

/// When this client last wrote to the server.
pub(crate) struct LastSent {
    epoch: Instant,
    /// Milliseconds from `epoch`.
    at_ms: AtomicU64,
}

impl LastSent {
    pub(crate) fn new() -> Self {
        LastSent { epoch: Instant::now(), at_ms: AtomicU64::new(0) }
    }

    /// Something was just written.
    pub(crate) fn touch(&self) {
        self.at_ms.store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// How long ago the last write was.
    fn quiet_for(&self) -> Duration {
        let at = Duration::from_millis(self.at_ms.load(Ordering::Relaxed));
        self.epoch.elapsed().saturating_sub(at)
    }
}

/// What the keep-alive task needs of the client.
pub(crate) struct KeepAlive {
    pub every: Duration,
    pub writer: Arc<Mutex<Writer>>,
    pub shared: Shared,
    pub codec: Codec,
    pub next_id: Arc<AtomicU64>,
    pub sent: Arc<LastSent>,
}

impl KeepAlive {
    /// Pings whenever nothing was sent for `every`; ends with the
    /// connection (the reader reports why) or when a ping cannot be written.
    pub(crate) async fn run(self) {
        loop {
            let quiet = self.sent.quiet_for();
            if quiet < self.every {
                tokio::time::sleep(self.every - quiet).await;
                continue;
            }
            if self.shared.lock().ended.is_some() {
                return;
            }
            let mut writer = self.writer.lock().await;
            // Registered while holding the writer, so the answers the reader
            // sees are in the order these entries were made.
            let frame = {
                let mut state = self.shared.lock();
                match self.codec.wire {
                    Wire::V1 => {
                        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                        state.keep_alive_ids.insert(id);
                        self.codec.frame(&self.codec.request(id, "ping", json!({})))
                    }
                    Wire::V3 => {
                        state.pongs.push_back(None);
                        self.codec.frame(r#"{"t":"ping"}"#)
                    }
                }
            };
            let write = async {
                writer.write_all(&frame).await?;
                writer.flush().await
            };
            let wrote = tokio::time::timeout(self.every, write).await;
            drop(writer);
            self.sent.touch();
            if !matches!(wrote, Ok(Ok(()))) {
                return;
            }
        }
    }
}
