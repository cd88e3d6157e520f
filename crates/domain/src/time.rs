//! Time as plain numbers: milliseconds since the Unix epoch, UTC.
//! The domain never reads a clock; callers pass `now`.

use serde::{Deserialize, Serialize};

/// A span of time in milliseconds.
pub type Millis = i64;

/// One minute in milliseconds.
pub const MINUTE: Millis = 60_000;
/// One hour in milliseconds.
pub const HOUR: Millis = 60 * MINUTE;
/// One day in milliseconds.
pub const DAY: Millis = 24 * HOUR;

/// An instant: milliseconds since 1970-01-01T00:00:00Z.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// This instant plus `d` milliseconds (saturating).
    pub fn plus(self, d: Millis) -> Timestamp {
        Timestamp(self.0.saturating_add(d))
    }

    /// Milliseconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn since(self, earlier: Timestamp) -> Millis {
        self.0.saturating_sub(earlier.0)
    }
}

/// Formats a duration for people: "1 h 05 min", "42 s", "-3 min".
pub fn human_duration(d: Millis) -> String {
    let sign = if d < 0 { "-" } else { "" };
    let s = d.unsigned_abs() / 1000;
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{sign}{h} h {m:02} min")
    } else if m > 0 {
        format!("{sign}{m} min")
    } else {
        format!("{sign}{sec} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_duration_reads_naturally() {
        assert_eq!(human_duration(42_000), "42 s");
        assert_eq!(human_duration(3 * MINUTE + 5_000), "3 min");
        assert_eq!(human_duration(HOUR + 5 * MINUTE), "1 h 05 min");
        assert_eq!(human_duration(-3 * MINUTE), "-3 min");
    }
}
