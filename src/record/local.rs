//! Local consumers: code on the device that awaits a record's new values.

use super::buffer::Record;

/// A value received by a local [`Subscriber`].
#[derive(Debug, Clone, PartialEq)]
pub struct Received<T> {
    /// The value.
    pub value: T,
    /// Values published since the subscriber began, this one included.
    pub sequence: u64,
    /// Values skipped since the previous one received.
    pub dropped: u64,
}

/// A local cursor over a record; counted in `consumer_count` while alive.
pub struct Subscriber<'a, T, K, const N: usize> {
    record: &'a Record<T, K, N>,
    base: u64,
    seen: u64,
}

impl<T, K, const N: usize> Record<T, K, N> {
    /// Follow the values published from now on.
    pub fn subscribe(&self) -> Subscriber<'_, T, K, N> {
        let head = self.state.with_lock(|s| s.consumers_acquire());
        Subscriber { record: self, base: head, seen: head }
    }
}

impl<T: Clone, K, const N: usize> Subscriber<'_, T, K, N> {
    /// The next value not yet received, if one is kept; never waits.
    pub fn try_recv(&mut self) -> Option<Received<T>> {
        self.record.state.with_lock(|s| {
            let seq = s.next_after(self.seen, N as u64)?;
            let (value, _) = s.get(seq)?;
            let dropped = seq - self.seen - 1;
            self.seen = seq;
            Some(Received { value: value.clone(), sequence: seq - self.base, dropped })
        })
    }

    /// Waits for the next value.
    pub async fn recv(&mut self) -> Received<T> {
        loop {
            // Created before the check, so a publish in between still wakes it.
            let wait = self.record.changed.wait();
            if let Some(received) = self.try_recv() {
                return received;
            }
            let _ = wait.await;
        }
    }
}

impl<T, K, const N: usize> Drop for Subscriber<'_, T, K, N> {
    fn drop(&mut self) {
        self.record.state.with_lock(|s| s.consumers_release());
    }
}
