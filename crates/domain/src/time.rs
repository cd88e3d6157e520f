//! Time as plain numbers: milliseconds since the Unix epoch, UTC.
//! The domain never reads a clock; callers pass `now`.

use serde::{Deserialize, Serialize};

/// A span of time in milliseconds.
pub type Millis = i64;

/// One second in milliseconds.
pub const SECOND: Millis = 1_000;
/// One minute in milliseconds.
pub const MINUTE: Millis = 60 * SECOND;
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

/// China Standard Time offset (UTC+8); China has one time zone and no DST.
pub const CST_OFFSET: Millis = 8 * HOUR;

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm,
/// proleptic Gregorian).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Calendar fields of an instant in China Standard Time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilTime {
    /// Year.
    pub year: i64,
    /// Month, 1–12.
    pub month: u32,
    /// Day of month, 1–31.
    pub day: u32,
    /// Hour, 0–23.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second.
    pub second: u32,
}

impl Timestamp {
    /// Calendar date and time in China Standard Time (UTC+8).
    pub fn to_cst(self) -> CivilTime {
        let ms = self.0.saturating_add(CST_OFFSET);
        let days = ms.div_euclid(DAY);
        let secs = ms.rem_euclid(DAY) / 1000;
        let (year, month, day) = civil_from_days(days);
        CivilTime {
            year,
            month,
            day,
            hour: (secs / 3600) as u32,
            minute: ((secs % 3600) / 60) as u32,
            second: (secs % 60) as u32,
        }
    }

    /// "2026-11-23 19:40:05" in China Standard Time.
    pub fn cst_string(self) -> String {
        let c = self.to_cst();
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        )
    }

    /// Parses "YYYY-MM-DD HH:MM[:SS]" (or with a `T`) as China Standard Time.
    pub fn parse_cst(text: &str) -> Option<Timestamp> {
        let text = text.trim();
        let (date, time) = text.split_once([' ', 'T'])?;
        let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
        let (y, m, day) = (d.next()??, d.next()??, d.next()??);
        let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
        let (h, min) = (t.next()??, t.next()??);
        let sec = t.next().flatten().unwrap_or(0);
        if d.next().is_some()
            || t.next().is_some()
            || !(1..=12).contains(&m)
            || !(1..=31).contains(&day)
            || !(0..24).contains(&h)
            || !(0..60).contains(&min)
            || !(0..60).contains(&sec)
        {
            return None;
        }
        let days = days_from_civil(y, m as u32, day as u32);
        let ms = days * DAY + h * HOUR + min * MINUTE + sec * 1000 - CST_OFFSET;
        let ts = Timestamp(ms);
        (ts.to_cst().day == day as u32).then_some(ts)
    }

    /// "19:40" in China Standard Time.
    pub fn cst_hm(self) -> String {
        let c = self.to_cst();
        format!("{:02}:{:02}", c.hour, c.minute)
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
    fn cst_is_utc_plus_eight_across_a_date_line() {
        // 2026-11-23T16:30:00Z is 2026-11-24 00:30 in Beijing.
        assert_eq!(
            Timestamp(1_795_451_400_000).cst_string(),
            "2026-11-24 00:30:00"
        );
        assert_eq!(Timestamp(0).cst_string(), "1970-01-01 08:00:00");
        // Leap day.
        assert_eq!(
            Timestamp(1_709_164_800_000).cst_string(),
            "2024-02-29 08:00:00"
        );
    }

    #[test]
    fn parse_cst_inverts_cst_string() {
        for ms in [0, 1_795_451_400_000, 1_709_164_800_000, 1_763_900_123_000] {
            let t = Timestamp(ms / 1000 * 1000);
            assert_eq!(Timestamp::parse_cst(&t.cst_string()), Some(t));
        }
        assert_eq!(
            Timestamp::parse_cst("2026-11-24T00:30"),
            Some(Timestamp(1_795_451_400_000))
        );
        assert_eq!(Timestamp::parse_cst("2026-02-30 10:00"), None);
        assert_eq!(Timestamp::parse_cst("2026-11-24 24:00"), None);
        assert_eq!(Timestamp::parse_cst("yesterday"), None);
    }

    #[test]
    fn human_duration_reads_naturally() {
        assert_eq!(human_duration(42_000), "42 s");
        assert_eq!(human_duration(3 * MINUTE + 5_000), "3 min");
        assert_eq!(human_duration(HOUR + 5 * MINUTE), "1 h 05 min");
        assert_eq!(human_duration(-3 * MINUTE), "-3 min");
    }
}
