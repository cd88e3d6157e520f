//! Tunables of a ledger.

/// Tunables of a ledger; `Default` gives production values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerOptions {
    /// A new segment is started once the current one reaches this size (default 64 MiB).
    pub segment_max_bytes: u64,
    /// A checkpoint is written after a batch once this many records are unsigned; 0 disables (default 1000).
    pub checkpoint_every: u64,
    /// Largest payload accepted on append and on read (default 16 MiB, capped at `u32::MAX`).
    pub max_payload: usize,
    /// Snapshots kept after a new one is written (default 3, at least 1).
    pub snapshots_kept: usize,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        LedgerOptions {
            segment_max_bytes: 64 << 20,
            checkpoint_every: 1000,
            max_payload: 16 << 20,
            snapshots_kept: 3,
        }
    }
}

impl LedgerOptions {
    /// `max_payload`, capped by what the record's `u32` length field can hold.
    pub(crate) fn payload_limit(&self) -> usize {
        self.max_payload.min(u32::MAX as usize)
    }
}
