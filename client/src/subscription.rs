//! A live subscription: the events of one `record.subscribe`.

use tokio::sync::mpsc;

use crate::wire::Event;

/// Events of one subscription, in order. Ends (`next` gives `None`) when the
/// connection ends or the session is restarted by another hello.
#[derive(Debug)]
pub struct Subscription {
    pub(crate) id: String,
    pub(crate) record: String,
    pub(crate) queue_size: Option<u64>,
    pub(crate) min_interval_ms: Option<u64>,
    pub(crate) events: mpsc::Receiver<Event>,
}

impl Subscription {
    /// The server's id, e.g. `"sub-1"`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The record subscribed to.
    pub fn record(&self) -> &str {
        &self.record
    }

    /// The queue depth the server granted, if it said.
    pub fn queue_size(&self) -> Option<u64> {
        self.queue_size
    }

    /// The rate limit in force, as the server echoed it: at least this many
    /// milliseconds between events (`None`: every value).
    pub fn min_interval_ms(&self) -> Option<u64> {
        self.min_interval_ms
    }

    /// The next event; `None` once the subscription has ended. Check
    /// [`Event::dropped`]: values lost before this one.
    pub async fn next(&mut self) -> Option<Event> {
        self.events.recv().await
    }
}
