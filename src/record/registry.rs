//! The list of records a server exposes.

use super::AnyRecord;

/// The records a server exposes, in `record_id` order.
///
/// Lookups are a linear scan by name: registries are small (tens of
/// records), and this keeps the registry a plain `const` slice.
#[derive(Clone, Copy)]
pub struct Registry<'r> {
    records: &'r [&'r dyn AnyRecord],
}

impl<'r> Registry<'r> {
    /// A registry over `records`; `record_id` is the index in the slice.
    pub const fn new(records: &'r [&'r dyn AnyRecord]) -> Self {
        assert!(records.len() <= u16::MAX as usize, "at most 65535 records");
        Registry { records }
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

    /// The record named `name`, with its id.
    pub fn find(&self, name: &str) -> Option<(usize, &'r dyn AnyRecord)> {
        self.records.iter().position(|r| r.meta().name == name).map(|i| (i, self.records[i]))
    }

    /// All records in id order.
    pub fn iter(&self) -> impl Iterator<Item = &'r dyn AnyRecord> + '_ {
        self.records.iter().copied()
    }
}
