//! What the reader task and the callers share: requests awaiting replies,
//! live subscriptions, and why the connection ended.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, ServerError};
use crate::wire::Event;

/// A request in flight. `subscribe` carries the channel for a
/// `record.subscribe`, installed by the reader the moment the reply arrives,
/// so no event that follows the reply can miss it.
pub(crate) struct Pending {
    pub reply: oneshot::Sender<Result<Value, Error>>,
    pub subscribe: Option<mpsc::Sender<Event>>,
    /// A v3 `sub` whose slot is already open: closed again if refused.
    pub v3_sub: Option<String>,
}

impl Pending {
    pub fn new(
        subscribe: Option<mpsc::Sender<Event>>,
        v3_sub: Option<String>,
    ) -> (Pending, oneshot::Receiver<Result<Value, Error>>) {
        let (reply, answer) = oneshot::channel();
        (Pending { reply, subscribe, v3_sub }, answer)
    }
}

/// A subscription's delivery slot.
pub(crate) struct Slot {
    pub events: mpsc::Sender<Event>,
    /// Events this client dropped because the caller's queue was full; added
    /// to `dropped` of the next event delivered.
    pub local_drops: u64,
    /// The last `seq` delivered, to count a v3 gap.
    pub last_seq: Option<u64>,
}

impl Slot {
    pub fn new(events: mpsc::Sender<Event>) -> Slot {
        Slot { events, local_drops: 0, last_seq: None }
    }
}

/// Why the connection ended.
#[derive(Clone)]
pub(crate) enum Ended {
    Closed(String),
    Rejected(ServerError),
}

impl Ended {
    pub fn error(&self) -> Error {
        match self {
            Ended::Closed(why) => Error::Closed(why.clone()),
            Ended::Rejected(e) => Error::Rejected(e.clone()),
        }
    }
}

#[derive(Default)]
pub(crate) struct State {
    /// Ordered by id: replies come in request order, so an unmatched `id:0`
    /// error belongs to the oldest request.
    pub pending: BTreeMap<u64, Pending>,
    pub subs: HashMap<String, Slot>,
    /// Callers waiting for a v3 `pong`, oldest first (pongs carry no id;
    /// the server answers in order); `None` for a keep-alive ping's.
    pub pongs: VecDeque<Option<oneshot::Sender<()>>>,
    /// Ids of v1 keep-alive pings whose reply has not arrived.
    pub keep_alive_ids: HashSet<u64>,
    pub ended: Option<Ended>,
    /// A copy of every line read, for `Client::tap`.
    pub tap: Option<mpsc::Sender<String>>,
}

#[derive(Clone, Default)]
pub(crate) struct Shared(Arc<Mutex<State>>);

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock leaves plain maps behind; keep going.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ends the connection: every waiting call fails, every subscription ends.
    pub fn end(&self, why: Ended) {
        let mut state = self.lock();
        for (_, pending) in std::mem::take(&mut state.pending) {
            let _ = pending.reply.send(Err(why.error()));
        }
        state.subs.clear();
        state.pongs.clear();
        state.tap = None;
        state.ended.get_or_insert(why);
    }
}
