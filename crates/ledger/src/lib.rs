//! Decision ledger: append-only, hash-chained log (being built).
