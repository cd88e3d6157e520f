//! NMEA 0183 (IEC 61162-1) sentences from GPS, BeiDou, GLONASS, Galileo and
//! multi-constellation receivers: GGA, RMC, GLL, VTG, with checksum checks
//! and a line framer for byte streams.
//!
//! Sentence shape: `$<talker:2><type:3>,<fields>*<hh>\r\n`, at most 82
//! characters by the standard; [`MAX_SENTENCE`] allows some slack for
//! receivers that exceed it (BeiDou receivers with long fractional fields do).

use crate::error::{RadioError, check_len};
use crate::record::{FieldRecord, KNOT_MPS, SourceKind};
use crate::time::{parse_hhmmss, time_of_day_near, utc};
use domain::{GeoPoint, Timestamp};

/// Longest sentence accepted, in bytes, without the line ending.
pub const MAX_SENTENCE: usize = 128;

/// The constellation a talker id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Talker {
    /// GP: GPS.
    Gps,
    /// BD or GB: BeiDou.
    BeiDou,
    /// GL: GLONASS.
    Glonass,
    /// GA: Galileo.
    Galileo,
    /// GN: combined solution.
    Gnss,
}

impl Talker {
    fn from_id(id: &str) -> Option<Talker> {
        Some(match id {
            "GP" => Talker::Gps,
            "BD" | "GB" => Talker::BeiDou,
            "GL" => Talker::Glonass,
            "GA" => Talker::Galileo,
            "GN" => Talker::Gnss,
            _ => return None,
        })
    }
}

/// A parsed sentence: its talker, type and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    /// Constellation.
    pub talker: Talker,
    /// Sentence type, e.g. "GGA".
    pub kind: &'static str,
    /// The normalized content; `position` is `None` for VTG.
    pub record: FieldRecord,
    /// GGA fix quality / RMC-GLL status letter as sent.
    pub quality: Option<char>,
}

/// XOR of the bytes between `$` and `*`.
pub fn checksum(body: &[u8]) -> u8 {
    body.iter().fold(0, |a, b| a ^ b)
}

/// Appends `*hh` to a sentence body (without `$`) and frames it.
pub fn frame(body: &str) -> String {
    format!("${body}*{:02X}\r\n", checksum(body.as_bytes()))
}

/// Parses one sentence (with or without line ending). `device` names the
/// receiver; `received_at` supplies the date for time-only sentences.
pub fn parse(line: &[u8], device: &str, received_at: Timestamp) -> Result<Sentence, RadioError> {
    let line = trim_line_end(line);
    check_len(line.len(), MAX_SENTENCE)?;
    let line = std::str::from_utf8(line).map_err(|_| RadioError::Encoding)?;
    if !line.is_ascii() {
        return Err(RadioError::Encoding);
    }
    let body = line
        .strip_prefix('$')
        .ok_or(RadioError::Malformed("sentence start"))?;
    let (body, sum) = body.rsplit_once('*').ok_or(RadioError::MissingChecksum)?;
    let sent = u8::from_str_radix(sum, 16)
        .ok()
        .filter(|_| sum.len() == 2)
        .ok_or(RadioError::Malformed("checksum"))?;
    let computed = checksum(body.as_bytes());
    if sent != computed {
        return Err(RadioError::BadChecksum { sent, computed });
    }
    let mut fields = body.split(',');
    let address = fields.next().unwrap_or_default();
    if address.len() != 5 {
        return Err(RadioError::Malformed("address"));
    }
    let talker = Talker::from_id(&address[..2])
        .ok_or_else(|| RadioError::Unsupported(format!("talker {}", &address[..2])))?;
    let f: Vec<&str> = fields.collect();
    let mut record = FieldRecord::new(device, SourceKind::Nmea, received_at);
    let get = |i: usize| f.get(i).copied().unwrap_or("");
    let (kind, quality) = match &address[2..] {
        "GGA" => {
            // time, lat, N/S, lon, E/W, quality, sats, hdop, alt, M, geoid, M, …
            let q = get(5).chars().next().unwrap_or('0');
            if q == '0' {
                return Err(RadioError::NoFix);
            }
            record.fix_time = fix_time(get(0), None, received_at)?;
            record.position = Some(position(get(1), get(2), get(3), get(4))?);
            let hdop = opt_f32(get(7), "hdop")?;
            // HDOP times a nominal 5 m user range error: a rough 1-sigma.
            record.accuracy_m = hdop.map(|h| h * 5.0);
            record.altitude_m = opt_f64(get(8), "altitude")?;
            ("GGA", Some(q))
        }
        "RMC" => {
            // time, status, lat, N/S, lon, E/W, speed kn, course, date, …
            let status = get(1).chars().next().unwrap_or('V');
            if status != 'A' {
                return Err(RadioError::NoFix);
            }
            record.fix_time = fix_time(get(0), Some(get(8)), received_at)?;
            record.position = Some(position(get(2), get(3), get(4), get(5))?);
            record.speed_mps = opt_f32(get(6), "speed")?.map(|k| k * KNOT_MPS);
            record.course_deg = opt_f32(get(7), "course")?;
            ("RMC", Some(status))
        }
        "GLL" => {
            // lat, N/S, lon, E/W, time, status, [mode]
            let status = get(5).chars().next().unwrap_or('V');
            if status != 'A' {
                return Err(RadioError::NoFix);
            }
            record.position = Some(position(get(0), get(1), get(2), get(3))?);
            record.fix_time = fix_time(get(4), None, received_at)?;
            ("GLL", Some(status))
        }
        "VTG" => {
            // course T, T, course M, M, speed kn, N, speed km/h, K, [mode]
            record.course_deg = opt_f32(get(0), "course")?;
            let kmh = opt_f32(get(6), "speed")?.map(|k| k / 3.6);
            let kn = opt_f32(get(4), "speed")?.map(|k| k * KNOT_MPS);
            record.speed_mps = kmh.or(kn);
            ("VTG", None)
        }
        other => return Err(RadioError::Unsupported(format!("sentence {other}"))),
    };
    Ok(Sentence {
        talker,
        kind,
        record,
        quality,
    })
}

fn trim_line_end(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., b'\r' | b'\n'] = line {
        line = rest;
    }
    line
}

fn fix_time(
    hms: &str,
    date: Option<&str>,
    received_at: Timestamp,
) -> Result<Option<Timestamp>, RadioError> {
    if hms.is_empty() {
        return Ok(None);
    }
    let ms = parse_hhmmss(hms).ok_or(RadioError::Malformed("time"))?;
    match date {
        Some(d) if !d.is_empty() => {
            let b = d.as_bytes();
            if b.len() != 6 || !b.iter().all(u8::is_ascii_digit) {
                return Err(RadioError::Malformed("date"));
            }
            let n = |i: usize| u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0');
            // Two-digit years: the century nearest the receive time.
            let (now_year, _, _) =
                crate::time::civil_from_days(received_at.0.div_euclid(domain::time::DAY));
            let yy = i64::from(n(4));
            let year = [1900, 2000, 2100]
                .into_iter()
                .map(|c| c + yy)
                .min_by_key(|y| (y - now_year).abs())
                .unwrap_or(2000 + yy);
            utc(year, n(2), n(0), ms)
                .map(Some)
                .ok_or(RadioError::Malformed("date"))
        }
        _ => Ok(time_of_day_near(received_at, ms)),
    }
}

/// `ddmm.mmmm`, `N|S`, `dddmm.mmmm`, `E|W` → decimal degrees.
fn position(lat: &str, ns: &str, lon: &str, ew: &str) -> Result<GeoPoint, RadioError> {
    let lat = degrees_minutes(lat, 2).ok_or(RadioError::Malformed("latitude"))?;
    let lon = degrees_minutes(lon, 3).ok_or(RadioError::Malformed("longitude"))?;
    let lat = match ns {
        "N" => lat,
        "S" => -lat,
        _ => return Err(RadioError::Malformed("latitude hemisphere")),
    };
    let lon = match ew {
        "E" => lon,
        "W" => -lon,
        _ => return Err(RadioError::Malformed("longitude hemisphere")),
    };
    let p = GeoPoint::new(lat, lon);
    if p.is_valid() {
        Ok(p)
    } else {
        Err(RadioError::Malformed("position out of range"))
    }
}

fn degrees_minutes(s: &str, deg_digits: usize) -> Option<f64> {
    let b = s.as_bytes();
    if b.len() < deg_digits + 2 || !b[..deg_digits + 2].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let deg: f64 = s[..deg_digits].parse().ok()?;
    let min: f64 = s[deg_digits..].parse().ok()?;
    if !(0.0..60.0).contains(&min) {
        return None;
    }
    Some(deg + min / 60.0)
}

fn opt_f32(s: &str, what: &'static str) -> Result<Option<f32>, RadioError> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<f32>()
        .ok()
        .filter(|v| v.is_finite())
        .map(Some)
        .ok_or(RadioError::Malformed(what))
}

fn opt_f64(s: &str, what: &'static str) -> Result<Option<f64>, RadioError> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(Some)
        .ok_or(RadioError::Malformed(what))
}

/// Encodes a record as GGA + RMC sentences (for simulators and tests).
pub fn encode(record: &FieldRecord, talker: &str) -> Option<String> {
    let p = record.position?;
    let t = record.fix_time.unwrap_or(record.received_at);
    let ms = t.0.rem_euclid(domain::time::DAY);
    let (y, mo, d) = crate::time::civil_from_days(t.0.div_euclid(domain::time::DAY));
    let hms = format!(
        "{:02}{:02}{:02}.{:02}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000 / 10
    );
    let (lat, ns) = dm(p.lat, 2, 'N', 'S');
    let (lon, ew) = dm(p.lon, 3, 'E', 'W');
    let hdop = record
        .accuracy_m
        .map_or(String::new(), |a| format!("{:.1}", a / 5.0));
    let alt = record
        .altitude_m
        .map_or(String::new(), |a| format!("{a:.1}"));
    let gga = frame(&format!(
        "{talker}GGA,{hms},{lat},{ns},{lon},{ew},1,08,{hdop},{alt},M,,M,,"
    ));
    let kn = record
        .speed_mps
        .map_or(String::new(), |s| format!("{:.2}", s / KNOT_MPS));
    let course = record
        .course_deg
        .map_or(String::new(), |c| format!("{c:.1}"));
    let rmc = frame(&format!(
        "{talker}RMC,{hms},A,{lat},{ns},{lon},{ew},{kn},{course},{d:02}{mo:02}{:02},,,A",
        y.rem_euclid(100)
    ));
    Some(gga + &rmc)
}

fn dm(v: f64, width: usize, pos: char, neg: char) -> (String, char) {
    let a = v.abs();
    let mut deg = a.trunc();
    let mut min = (a - deg) * 60.0;
    // Rounding to 5 decimals must not produce "60.00000".
    if (min * 100_000.0).round() >= 6_000_000.0 {
        deg += 1.0;
        min = 0.0;
    }
    (
        format!("{:0width$}{:08.5}", deg as u32, min),
        if v < 0.0 { neg } else { pos },
    )
}

/// Splits a byte stream into lines of at most `max` bytes. Overlong lines
/// are dropped whole (reported once) and framing resumes at the next line end.
#[derive(Debug)]
pub struct LineFramer {
    buf: Vec<u8>,
    max: usize,
    discarding: bool,
}

/// One item from a [`LineFramer`].
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A complete line without its ending.
    Complete(Vec<u8>),
    /// A line longer than the limit was dropped.
    Overlong,
}

impl LineFramer {
    /// A framer with line limit `max` bytes.
    pub fn new(max: usize) -> Self {
        LineFramer {
            buf: Vec::new(),
            max,
            discarding: false,
        }
    }

    /// Feeds bytes; returns the lines they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Line> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == b'\n' || b == b'\r' {
                if self.discarding {
                    self.discarding = false;
                } else if !self.buf.is_empty() {
                    out.push(Line::Complete(std::mem::take(&mut self.buf)));
                }
                continue;
            }
            if self.discarding {
                continue;
            }
            if self.buf.len() >= self.max {
                self.buf.clear();
                self.discarding = true;
                out.push(Line::Overlong);
                continue;
            }
            self.buf.push(b);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> Timestamp {
        utc(2026, 11, 23, 12 * 3_600_000).expect("valid")
    }

    // Sample from the NMEA 0183 reference (gpsd's "NMEA Revealed").
    const GGA: &str = "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47";
    const RMC: &str = "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A";

    #[test]
    fn gga_gives_position_time_and_accuracy() {
        let s = parse(GGA.as_bytes(), "rx1", now()).expect("parses");
        let r = &s.record;
        let p = r.position.expect("position");
        assert!((p.lat - 48.1173).abs() < 1e-4 && (p.lon - 11.516_666).abs() < 1e-4);
        assert_eq!(r.altitude_m, Some(545.4));
        assert_eq!(r.accuracy_m, Some(4.5));
        assert_eq!(
            r.fix_time,
            utc(2026, 11, 23, (12 * 3600 + 35 * 60 + 19) * 1000)
        );
        assert_eq!(s.talker, Talker::Gps);
    }

    #[test]
    fn rmc_carries_its_own_date_and_speed() {
        let s = parse(RMC.as_bytes(), "rx1", now()).expect("parses");
        assert_eq!(s.record.fix_time, utc(1994, 3, 23, 45_319_000));
        let kn = s.record.speed_mps.expect("speed") / KNOT_MPS;
        assert!((kn - 22.4).abs() < 1e-3);
        assert_eq!(s.record.course_deg, Some(84.4));
    }

    #[test]
    fn beidou_talkers_are_read() {
        // BeiDou-only receivers (e.g. Unicore UM220) use BD; NMEA 4.11 uses GB.
        for body in [
            "BDGGA,083512.00,4352.8123,N,12519.2044,E,1,12,0.8,215.3,M,-3.1,M,,",
            "GBRMC,083512.00,A,4352.8123,N,12519.2044,E,0.05,,231126,,,A",
            "GNGLL,4352.8123,N,12519.2044,E,083512.00,A,A",
        ] {
            let s = parse(frame(body).as_bytes(), "bd", now()).expect(body);
            let p = s.record.position.expect("position");
            assert!((p.lat - 43.880_205).abs() < 1e-5, "{body}");
            assert!((p.lon - 125.320_073).abs() < 1e-5, "{body}");
        }
    }

    #[test]
    fn vtg_gives_course_and_speed_only() {
        // VTG example from gpsd's NMEA documentation.
        let s = parse(b"$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*48", "rx", now()).expect("ok");
        assert_eq!(s.record.position, None);
        assert_eq!(s.record.course_deg, Some(54.7));
        assert!((s.record.speed_mps.expect("speed") - 10.2 / 3.6).abs() < 1e-4);
    }

    #[test]
    fn bad_checksum_and_no_fix_are_typed() {
        let bad = GGA.replace("*47", "*48");
        assert!(matches!(
            parse(bad.as_bytes(), "x", now()),
            Err(RadioError::BadChecksum {
                sent: 0x48,
                computed: 0x47
            })
        ));
        assert_eq!(
            parse(b"$GPGGA,123519,4807.038,N", "x", now()),
            Err(RadioError::MissingChecksum)
        );
        let nofix = frame("GPGGA,123519,,,,,0,00,,,M,,M,,");
        assert_eq!(parse(nofix.as_bytes(), "x", now()), Err(RadioError::NoFix));
        let void = frame("GPRMC,123519,V,,,,,,,230394,,");
        assert_eq!(parse(void.as_bytes(), "x", now()), Err(RadioError::NoFix));
        let long = format!("${}", "A".repeat(200));
        assert!(matches!(
            parse(long.as_bytes(), "x", now()),
            Err(RadioError::TooLong { .. })
        ));
        assert!(matches!(
            parse(frame("GPGSV,3,1,11").as_bytes(), "x", now()),
            Err(RadioError::Unsupported(_))
        ));
    }

    #[test]
    fn framer_drops_overlong_lines_and_keeps_the_rest() {
        let mut f = LineFramer::new(8);
        let mut out = f.push(b"abc\r\n0123456789xyz");
        out.extend(f.push(b"\nok\n"));
        assert_eq!(
            out,
            vec![
                Line::Complete(b"abc".to_vec()),
                Line::Overlong,
                Line::Complete(b"ok".to_vec())
            ]
        );
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&bytes, "x", now());
            let mut f = LineFramer::new(64);
            for line in f.push(&bytes) {
                if let Line::Complete(l) = line {
                    prop_assert!(l.len() <= 64);
                }
            }
        }

        #[test]
        fn encode_then_parse_round_trips(
            lat in -89.9f64..89.9, lon in -179.9f64..179.9,
            secs in 0i64..86_400, alt in -100f64..5000.0
        ) {
            let mut r = FieldRecord::new("rx", SourceKind::Nmea, now());
            r.position = Some(GeoPoint::new(lat, lon));
            r.altitude_m = Some((alt * 10.0).round() / 10.0);
            r.fix_time = Some(Timestamp(now().0 - 43_200_000 + secs * 1000));
            let text = encode(&r, "GN").expect("has position");
            let mut lines = text.lines();
            let gga = parse(lines.next().expect("gga").as_bytes(), "rx", now()).expect("gga parses");
            let rmc = parse(lines.next().expect("rmc").as_bytes(), "rx", now()).expect("rmc parses");
            for s in [&gga, &rmc] {
                let p = s.record.position.expect("position");
                prop_assert!((p.lat - lat).abs() < 1e-6 && (p.lon - lon).abs() < 1e-6);
                prop_assert_eq!(s.record.fix_time, r.fix_time);
            }
            prop_assert_eq!(gga.record.altitude_m, r.altitude_m);
        }
    }
}
