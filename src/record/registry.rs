//! The list of records a server exposes, and the name index behind lookups.

use portable_atomic::{AtomicU16, AtomicU8, Ordering};

use super::AnyRecord;

/// The records a server exposes, in `record_id` order.
///
/// Names must be unique. A registry is checked once, at its first use by a
/// server (or its first indexed lookup); a duplicate name panics with a
/// message that names it. `Registry::new` is `const` and records are
/// `dyn`, so the names cannot be compared at compile time.
///
/// Lookups scan the records by name, which is quick for tens of records.
/// For hundreds, give the registry a [`NameIndex`] with
/// [`Registry::with_index`]: lookups then binary-search a sorted index.
#[derive(Clone, Copy)]
pub struct Registry<'r> {
    records: &'r [&'r dyn AnyRecord],
    index: Option<Index<'r>>,
}

/// A registry's name index, and the code that uses it.
#[derive(Clone, Copy)]
struct Index<'r> {
    state: &'r AtomicU8,
    order: &'r [AtomicU16],
    /// [`Registry::indexed`], reached only through this pointer, which
    /// only [`Registry::with_index`] stores: a program whose registries
    /// have no index links none of the index's code (~300 B on an MCU).
    /// For any registry's lifetime, so that `Registry` stays covariant.
    find: for<'a> fn(&Registry<'a>, &str) -> Option<Option<usize>>,
}

/// Room for a sorted index over up to `N` record names, filled at first use.
///
/// ```
/// # use aimx::{Registry, SingleLatest, record::{AnyRecord, NameIndex}};
/// static A: SingleLatest<u8> = SingleLatest::new("a", "u8");
/// static RECORDS: [&dyn AnyRecord; 1] = [&A];
/// static INDEX: NameIndex<1> = NameIndex::new();
/// static REGISTRY: Registry = Registry::new(&RECORDS).with_index(&INDEX);
/// assert_eq!(REGISTRY.find("a").map(|(i, _)| i), Some(0));
/// ```
pub struct NameIndex<const N: usize> {
    state: AtomicU8,
    order: [AtomicU16; N],
}

const EMPTY: u8 = 0;
const BUILDING: u8 = 1;
const READY: u8 = 2;

impl<const N: usize> NameIndex<N> {
    /// An index not yet built.
    pub const fn new() -> Self {
        NameIndex { state: AtomicU8::new(EMPTY), order: [const { AtomicU16::new(0) }; N] }
    }
}

impl<const N: usize> Default for NameIndex<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'r> Registry<'r> {
    /// A registry over `records`; `record_id` is the index in the slice.
    pub const fn new(records: &'r [&'r dyn AnyRecord]) -> Self {
        assert!(records.len() <= u16::MAX as usize, "at most 65535 records");
        Registry { records, index: None }
    }

    /// Look names up through `index` (built at first use) instead of a scan.
    pub const fn with_index<const N: usize>(mut self, index: &'r NameIndex<N>) -> Self {
        assert!(N >= self.records.len(), "the name index is smaller than the registry");
        let order: &'r [AtomicU16] = &index.order;
        self.index = Some(Index { state: &index.state, order, find: |registry, name| registry.indexed(name) });
        self
    }

    /// How many records.
    pub const fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether it is empty.
    pub const fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The record with id `index`.
    pub fn get(&self, index: usize) -> Option<&'r dyn AnyRecord> {
        self.records.get(index).copied()
    }

    fn name(&self, i: usize) -> &'r str {
        self.records[i].meta().name
    }

    /// The record named `name`, with its id.
    pub fn find(&self, name: &str) -> Option<(usize, &'r dyn AnyRecord)> {
        let found = match self.index.and_then(|index| (index.find)(self, name)) {
            Some(found) => found,
            None => self.records.iter().position(|r| r.meta().name == name),
        };
        found.map(|i| (i, self.records[i]))
    }

    /// `name`'s id by a binary search of the index (built now if this is
    /// its first use); `None` when the index is not ready.
    fn indexed(&self, name: &str) -> Option<Option<usize>> {
        let order = self.sorted()?;
        let at = |k: usize| usize::from(order[k].load(Ordering::Relaxed));
        let mut span = 0..self.records.len();
        loop {
            if span.is_empty() {
                return Some(None);
            }
            let mid = span.start + span.len() / 2;
            match self.name(at(mid)).cmp(name) {
                core::cmp::Ordering::Equal => return Some(Some(at(mid))),
                core::cmp::Ordering::Less => span.start = mid + 1,
                core::cmp::Ordering::Greater => span.end = mid,
            }
        }
    }

    /// All records in id order.
    pub fn iter(&self) -> impl Iterator<Item = &'r dyn AnyRecord> + '_ {
        self.records.iter().copied()
    }

    /// Panics, naming it, if two records share a name; builds the index if
    /// there is one. Servers call it once, before their first session.
    pub fn check(&self) {
        if let Some(index) = self.index {
            // A lookup builds the index, comparing neighbours, which finds
            // duplicates.
            (index.find)(self, "");
            return;
        }
        for (i, a) in self.records.iter().enumerate() {
            let name = a.meta().name;
            if self.records[i + 1..].iter().any(|b| b.meta().name == name) {
                duplicate(name);
            }
        }
    }

    /// The sorted index, built now if this is its first use; `None` when
    /// there is none or another thread is still building it.
    fn sorted(&self) -> Option<&'r [AtomicU16]> {
        let Index { state, order, .. } = self.index?;
        match state.load(Ordering::Acquire) {
            READY => return Some(order),
            BUILDING => return None,
            _ => {}
        }
        if state.compare_exchange(EMPTY, BUILDING, Ordering::Acquire, Ordering::Acquire).is_err() {
            return (state.load(Ordering::Acquire) == READY).then_some(order);
        }
        // Insertion sort in place: done once, no allocation, and only this
        // thread writes `order` until READY is published.
        let n = self.records.len();
        for i in 0..n {
            order[i].store(i as u16, Ordering::Relaxed);
            let mut k = i;
            while k > 0 {
                let prev = order[k - 1].load(Ordering::Relaxed);
                match self.name(prev.into()).cmp(self.name(i)) {
                    core::cmp::Ordering::Greater => {
                        order[k].store(prev, Ordering::Relaxed);
                        order[k - 1].store(i as u16, Ordering::Relaxed);
                        k -= 1;
                    }
                    core::cmp::Ordering::Equal => duplicate(self.name(i)),
                    core::cmp::Ordering::Less => break,
                }
            }
        }
        state.store(READY, Ordering::Release);
        Some(order)
    }
}

#[cold]
fn duplicate(name: &str) -> ! {
    panic!("two records in the registry are named '{name}': record names must be unique")
}

#[cfg(test)]
mod tests {
    use std::boxed::Box;
    use std::format;
    use std::vec::Vec;

    use super::*;
    use crate::SingleLatest;

    fn records(names: impl IntoIterator<Item = &'static str>) -> &'static [&'static dyn AnyRecord] {
        let list: Vec<&'static dyn AnyRecord> = names
            .into_iter()
            .map(|n| Box::leak(Box::new(SingleLatest::<u8>::new(n, "u8"))) as &dyn AnyRecord)
            .collect();
        Box::leak(list.into_boxed_slice())
    }

    fn leaked_names(n: usize) -> Vec<&'static str> {
        // Not in sorted order, so the index has work to do.
        (0..n).map(|i| &*Box::leak(format!("rec.{:04}", (i * 7919) % n).into_boxed_str())).collect()
    }

    #[test]
    fn indexed_and_scanned_lookups_agree() {
        for n in [0, 1, 2, 5, 64, 300] {
            let names = leaked_names(n);
            let list = records(names.iter().copied());
            let index: &'static NameIndex<300> = Box::leak(Box::new(NameIndex::new()));
            let scan = Registry::new(list);
            let indexed = Registry::new(list).with_index(index);
            indexed.check();
            for (i, name) in names.iter().enumerate() {
                assert_eq!(scan.find(name).map(|(i, _)| i), Some(i));
                assert_eq!(indexed.find(name).map(|(i, _)| i), Some(i), "{name} of {n}");
            }
            for missing in ["", "rec.", "rec.99999", "zzz"] {
                assert!(indexed.find(missing).is_none() && scan.find(missing).is_none());
            }
        }
    }

    #[test]
    #[should_panic(expected = "two records in the registry are named 'b.same'")]
    fn a_duplicate_name_is_refused_at_first_use() {
        Registry::new(records(["a", "b.same", "c", "b.same"])).check();
    }

    #[test]
    #[should_panic(expected = "two records in the registry are named 'b.same'")]
    fn a_duplicate_name_is_refused_by_the_index_too() {
        let index: &'static NameIndex<4> = Box::leak(Box::new(NameIndex::new()));
        Registry::new(records(["b.same", "a", "c", "b.same"])).with_index(index).find("a");
    }

    #[test]
    fn type_id_defaults_to_the_rust_type_name() {
        static GIVEN: SingleLatest<u8> = SingleLatest::new("given", "Byte");
        static DEFAULT: SingleLatest<heapless::String<8>> = SingleLatest::new("default", "");
        assert_eq!(GIVEN.type_id(), "Byte");
        assert_eq!(DEFAULT.type_id(), core::any::type_name::<heapless::String<8>>());
    }
}
