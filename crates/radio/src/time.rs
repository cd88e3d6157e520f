//! Calendar arithmetic for fix times (UTC, proleptic Gregorian).

use domain::Timestamp;
use domain::time::DAY;

pub use domain::time::{civil_from_days, days_from_civil};

/// A UTC instant from calendar fields; `None` if any is out of range.
pub fn utc(year: i64, month: u32, day: u32, ms_of_day: i64) -> Option<Timestamp> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !(0..DAY).contains(&ms_of_day) {
        return None;
    }
    if !(1900..=2200).contains(&year) {
        return None;
    }
    Some(Timestamp(
        days_from_civil(year, month, day) * DAY + ms_of_day,
    ))
}

/// The instant with this UTC time of day nearest to `near` (formats such as
/// NMEA GGA carry no date, so the receive time supplies it).
pub fn time_of_day_near(near: Timestamp, ms_of_day: i64) -> Option<Timestamp> {
    if !(0..DAY).contains(&ms_of_day) {
        return None;
    }
    let day = near.0.div_euclid(DAY);
    [day - 1, day, day + 1]
        .into_iter()
        .map(|d| d * DAY + ms_of_day)
        .min_by_key(|t| (t - near.0).unsigned_abs())
        .map(Timestamp)
}

/// Parses `hhmmss[.sss]` into milliseconds of the day.
pub fn parse_hhmmss(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 6 || !b[..6].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let num = |i: usize| i64::from(b[i] - b'0') * 10 + i64::from(b[i + 1] - b'0');
    let (h, m, sec) = (num(0), num(2), num(4));
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let frac = match &s[6..] {
        "" => 0,
        f => {
            let digits = f.strip_prefix('.')?;
            if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|c| c.is_ascii_digit())
            {
                return None;
            }
            let mut ms: i64 = 0;
            for (i, c) in digits.bytes().take(3).enumerate() {
                ms += i64::from(c - b'0') * [100, 10, 1][i];
            }
            ms
        }
    };
    // A leap second folds onto the next second's start.
    Some(((h * 60 + m) * 60 + sec.min(59)) * 1000 + frac)
}

/// Parses an ISO 8601 UTC time as CoT and gpsd write it:
/// `YYYY-MM-DDThh:mm:ss[.fff…]Z` (an explicit `+00:00` offset is accepted).
pub fn parse_iso8601(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    let body = s.strip_suffix('Z').or_else(|| s.strip_suffix("+00:00"))?;
    let (date, time) = body.split_once('T')?;
    let mut d = date.splitn(3, '-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let compact: String = time.chars().filter(|c| *c != ':').collect();
    if time.len() < 8
        || time.as_bytes().get(2) != Some(&b':')
        || time.as_bytes().get(5) != Some(&b':')
    {
        return None;
    }
    utc(year, month, day, parse_hhmmss(&compact)?)
}

/// Formats an instant as ISO 8601 UTC with milliseconds.
pub fn format_iso8601(t: Timestamp) -> String {
    let days = t.0.div_euclid(DAY);
    let ms = t.0.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trips() {
        let t = parse_iso8601("2026-11-23T21:41:38.250Z").expect("parses");
        assert_eq!(format_iso8601(t), "2026-11-23T21:41:38.250Z");
        assert_eq!(parse_iso8601("1970-01-01T00:00:00Z"), Some(Timestamp(0)));
    }

    #[test]
    fn time_of_day_picks_the_nearest_date() {
        let near = utc(2026, 11, 23, 10).expect("valid");
        // 23:59:59 the day before is nearer than the same day.
        let t = time_of_day_near(near, DAY - 1000).expect("valid");
        assert_eq!(t.0, near.0 - 10 - 1000);
    }

    #[test]
    fn bad_times_are_rejected() {
        assert_eq!(parse_hhmmss("246000"), None);
        assert_eq!(parse_hhmmss("12345"), None);
        assert_eq!(parse_hhmmss("123456."), None);
        assert_eq!(parse_iso8601("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_iso8601("garbage"), None);
    }
}
