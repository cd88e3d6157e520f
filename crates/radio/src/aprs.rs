//! APRS packets (APRS Protocol Reference 1.0.1, "APRS101", and the 1.1/1.2
//! addenda): uncompressed and compressed positions, Mic-E, status and
//! messages (with ack numbers), and the emergency forms.

use crate::ax25::{Address, UiFrame};
use crate::error::RadioError;
use crate::record::{FieldRecord, KNOT_MPS, SourceKind};
use crate::time::{time_of_day_near, utc};
use domain::time::{DAY, MINUTE};
use domain::{GeoPoint, Timestamp};

/// Longest message text (APRS101 ch. 14).
pub const MAX_MESSAGE_TEXT: usize = 67;

const FEET: f64 = 0.3048;

/// What an APRS packet said.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// A position report (any encoding), possibly with status/emergency.
    Position(FieldRecord),
    /// A status report (`>`).
    Status(FieldRecord),
    /// A message, acknowledgement or rejection (`:`).
    Message(Message),
}

/// An APRS message between stations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Sender (callsign with SSID).
    pub from: String,
    /// Addressee as written (up to 9 characters, trimmed).
    pub addressee: String,
    /// Text; for acks and rejections the kind is in [`Message::kind`].
    pub text: String,
    /// Message number the sender wants acknowledged, or the acked number.
    pub id: Option<String>,
    /// Plain message, ack or rej.
    pub kind: MessageKind,
}

/// Plain message or acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// Text to show.
    Text,
    /// `ackNN`.
    Ack,
    /// `rejNN`.
    Reject,
}

/// Parses the APRS content of a UI frame.
pub fn parse(frame: &UiFrame, received_at: Timestamp) -> Result<Packet, RadioError> {
    let device = frame.source.to_string();
    let info = frame.info.as_slice();
    let (&kind, body) = info
        .split_first()
        .ok_or(RadioError::Truncated("aprs info"))?;
    let mut r = FieldRecord::new(&device, SourceKind::Aprs, received_at);
    match kind {
        b'!' | b'=' => {
            position(body, &mut r)?;
            Ok(Packet::Position(r))
        }
        b'/' | b'@' => {
            let stamp = body
                .get(..7)
                .ok_or(RadioError::Truncated("aprs timestamp"))?;
            r.fix_time = timestamp(stamp, received_at)?;
            position(&body[7..], &mut r)?;
            Ok(Packet::Position(r))
        }
        b'`' | b'\'' | 0x1C | 0x1D => {
            mic_e(&frame.destination, body, &mut r)?;
            Ok(Packet::Position(r))
        }
        b'>' => {
            let text = latin_text(body);
            // A status may start with a DDHHMMz timestamp.
            let text = match text.as_bytes() {
                b if b.len() >= 7 && b[6] == b'z' && b[..6].iter().all(u8::is_ascii_digit) => {
                    r.fix_time = timestamp(&b[..7], received_at)?;
                    text[7..].to_owned()
                }
                _ => text.clone(),
            };
            r.emergency = is_emergency_text(&text);
            r.status = Some(text.clone());
            r.text = Some(text);
            Ok(Packet::Status(r))
        }
        b':' => message(&device, body).map(Packet::Message),
        other => Err(RadioError::Unsupported(format!(
            "aprs data type {:?}",
            char::from(other)
        ))),
    }
}

fn is_emergency_text(text: &str) -> bool {
    text.to_ascii_uppercase().contains("EMERGENCY")
}

/// APRS text is ASCII by the spec; stations in China often send UTF-8.
fn latin_text(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    s.trim_end_matches(['\r', '\n']).to_owned()
}

fn timestamp(b: &[u8], received_at: Timestamp) -> Result<Option<Timestamp>, RadioError> {
    let digits = &b[..6];
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(RadioError::Malformed("aprs timestamp"));
    }
    let n = |i: usize| i64::from(digits[i] - b'0') * 10 + i64::from(digits[i + 1] - b'0');
    match b[6] {
        // DDHHMM zulu: the day of month nearest the receive time.
        b'z' => {
            let (day, h, m) = (n(0), n(2), n(4));
            if !(1..=31).contains(&day) || h > 23 || m > 59 {
                return Err(RadioError::Malformed("aprs timestamp"));
            }
            let ms = (h * 60 + m) * MINUTE;
            let today = received_at.0.div_euclid(DAY);
            let best = (-40..=1)
                .filter_map(|off| {
                    let (y, mo, d) = crate::time::civil_from_days(today + off);
                    (i64::from(d) == day).then(|| utc(y, mo, d, ms)).flatten()
                })
                .min_by_key(|t| (t.0 - received_at.0).unsigned_abs());
            Ok(best)
        }
        b'h' => {
            let (h, m, s) = (n(0), n(2), n(4));
            if h > 23 || m > 59 || s > 59 {
                return Err(RadioError::Malformed("aprs timestamp"));
            }
            Ok(time_of_day_near(
                received_at,
                ((h * 60 + m) * 60 + s) * 1000,
            ))
        }
        // Local time of an unknown zone: unusable.
        b'/' => Ok(None),
        _ => Err(RadioError::Malformed("aprs timestamp")),
    }
}

/// Uncompressed (`4903.50N/07201.75W>`) or compressed (`/5L!!<*e7>`…)
/// position after the data type and timestamp.
fn position(b: &[u8], r: &mut FieldRecord) -> Result<(), RadioError> {
    let first = *b.first().ok_or(RadioError::Truncated("aprs position"))?;
    let comment = if first.is_ascii_digit() || first == b' ' {
        uncompressed(b, r)?
    } else {
        compressed(b, r)?
    };
    let text = latin_text(comment);
    let text = course_speed_altitude(&text, r);
    if is_emergency_text(&text) {
        r.emergency = true;
    }
    if !text.is_empty() {
        r.text = Some(text);
    }
    Ok(())
}

fn uncompressed<'a>(b: &'a [u8], r: &mut FieldRecord) -> Result<&'a [u8], RadioError> {
    if b.len() < 19 {
        return Err(RadioError::Truncated("aprs position"));
    }
    let lat = ambiguous_dm(&b[..7], 2).ok_or(RadioError::Malformed("aprs latitude"))?;
    let lat = match b[7] {
        b'N' => lat,
        b'S' => -lat,
        _ => return Err(RadioError::Malformed("aprs latitude")),
    };
    let lon = ambiguous_dm(&b[9..17], 3).ok_or(RadioError::Malformed("aprs longitude"))?;
    let lon = match b[17] {
        b'E' => lon,
        b'W' => -lon,
        _ => return Err(RadioError::Malformed("aprs longitude")),
    };
    let p = GeoPoint::new(lat, lon);
    if !p.is_valid() {
        return Err(RadioError::Malformed("aprs position out of range"));
    }
    r.position = Some(p);
    Ok(&b[19..])
}

/// `DDMM.mm` with position ambiguity (trailing digits replaced by spaces,
/// read as the middle of the box they leave).
fn ambiguous_dm(b: &[u8], deg_digits: usize) -> Option<f64> {
    if b.len() != deg_digits + 5 || b[deg_digits + 2] != b'.' {
        return None;
    }
    let mut digits = Vec::with_capacity(deg_digits + 4);
    let mut blanked = 0;
    for (i, &c) in b.iter().enumerate() {
        if i == deg_digits + 2 {
            continue;
        }
        match c {
            b'0'..=b'9' if blanked == 0 => digits.push(c - b'0'),
            b' ' => {
                blanked += 1;
                digits.push(0);
            }
            _ => return None,
        }
    }
    let deg = digits[..deg_digits]
        .iter()
        .fold(0.0, |a, &d| a * 10.0 + f64::from(d));
    let min = digits[deg_digits..]
        .iter()
        .fold(0.0, |a, &d| a * 10.0 + f64::from(d))
        / 100.0;
    // Half of the blanked unit (0.005', 0.05', 0.5', 5'), to the box centre.
    let half = if blanked == 0 {
        0.0
    } else {
        0.005 * 10f64.powi(blanked - 1)
    };
    let min = min + half;
    (min < 60.0).then_some(deg + min / 60.0)
}

fn base91(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |a, &c| {
        (33..=123).contains(&c).then(|| a * 91 + u32::from(c - 33))
    })
}

fn compressed<'a>(b: &'a [u8], r: &mut FieldRecord) -> Result<&'a [u8], RadioError> {
    if b.len() < 13 {
        return Err(RadioError::Truncated("aprs compressed position"));
    }
    let table = b[0];
    if !(table == b'/'
        || table == b'\\'
        || table.is_ascii_uppercase()
        || (b'a'..=b'j').contains(&table))
    {
        return Err(RadioError::Malformed("aprs symbol table"));
    }
    let y = base91(&b[1..5]).ok_or(RadioError::Malformed("aprs compressed latitude"))?;
    let x = base91(&b[5..9]).ok_or(RadioError::Malformed("aprs compressed longitude"))?;
    let p = GeoPoint::new(
        90.0 - f64::from(y) / 380_926.0,
        -180.0 + f64::from(x) / 190_463.0,
    );
    if !p.is_valid() {
        return Err(RadioError::Malformed("aprs position out of range"));
    }
    r.position = Some(p);
    let (c, s, t) = (b[10], b[11], b[12]);
    if c != b' ' && (33..=123).contains(&c) && (33..=123).contains(&s) && (33..=123).contains(&t) {
        let (c, s, t) = (c - 33, s - 33, t - 33);
        if t & 0x18 == 0x10 {
            // The cs bytes carry altitude from a GGA sentence, in feet.
            r.altitude_m = Some(1.002f64.powi(i32::from(c) * 91 + i32::from(s)) * FEET);
        } else if c <= 89 {
            r.course_deg = Some(f32::from(c) * 4.0);
            r.speed_mps = Some((1.08f32.powi(i32::from(s)) - 1.0) * KNOT_MPS);
        }
    }
    Ok(&b[13..])
}

/// `CCC/SSS` course/speed at the start and `/A=nnnnnn` altitude anywhere.
fn course_speed_altitude(text: &str, r: &mut FieldRecord) -> String {
    let mut text = text.to_owned();
    let b = text.as_bytes();
    if b.len() >= 7
        && b[3] == b'/'
        && b[..3].iter().all(u8::is_ascii_digit)
        && b[4..7].iter().all(u8::is_ascii_digit)
    {
        let course: f32 = text[..3].parse().unwrap_or(0.0);
        let speed: f32 = text[4..7].parse().unwrap_or(0.0);
        if (1.0..=360.0).contains(&course) {
            r.course_deg = Some(course % 360.0);
        }
        r.speed_mps = Some(speed * KNOT_MPS);
        text = text[7..].to_owned();
    }
    if let Some(i) = text.find("/A=") {
        let digits = text.get(i + 3..i + 9).unwrap_or("");
        if let Ok(ft) = digits.parse::<i32>() {
            r.altitude_m = Some(f64::from(ft) * FEET);
            text.replace_range(i..i + 9, "");
        }
    }
    text.trim().to_owned()
}

/// Mic-E standard message codes (APRS101 ch. 10), index = bits A,B,C as a
/// number; 0 is the emergency code.
const MIC_E_STATUS: [&str; 8] = [
    "Emergency",
    "M6 Priority",
    "M5 Special",
    "M4 Committed",
    "M3 Returning",
    "M2 In Service",
    "M1 En Route",
    "M0 Off Duty",
];

fn mic_e(dest: &Address, b: &[u8], r: &mut FieldRecord) -> Result<(), RadioError> {
    let d = dest.call.as_bytes();
    if d.len() != 6 {
        return Err(RadioError::Malformed("mic-e destination"));
    }
    if b.len() < 8 {
        return Err(RadioError::Truncated("mic-e"));
    }
    let mut lat_digits = [0u8; 6];
    let mut bits = 0u8;
    let mut custom = false;
    for (i, &c) in d.iter().enumerate() {
        let (digit, bit) = match c {
            b'0'..=b'9' => (c - b'0', 0),
            b'A'..=b'J' => {
                custom = true;
                (c - b'A', 1)
            }
            b'K' => {
                custom = true;
                (0, 1)
            }
            b'L' => (0, 0),
            b'P'..=b'Y' => (c - b'P', 1),
            b'Z' => (0, 1),
            _ => return Err(RadioError::Malformed("mic-e destination")),
        };
        lat_digits[i] = digit;
        if i < 3 {
            bits = bits << 1 | bit;
        }
    }
    let north = d[3] >= b'P';
    let lon_offset = d[4] >= b'P';
    let west = d[5] >= b'P';
    let lat_deg = f64::from(lat_digits[0] * 10 + lat_digits[1]);
    let lat_min = f64::from(lat_digits[2] * 10 + lat_digits[3])
        + f64::from(lat_digits[4] * 10 + lat_digits[5]) / 100.0;
    if lat_min >= 60.0 {
        return Err(RadioError::Malformed("mic-e latitude"));
    }
    let lat = lat_deg + lat_min / 60.0;
    let v = |i: usize| i32::from(b[i]) - 28;
    let mut lon_deg = v(0) + if lon_offset { 100 } else { 0 };
    if (180..=189).contains(&lon_deg) {
        lon_deg -= 80;
    } else if (190..=199).contains(&lon_deg) {
        lon_deg -= 190;
    }
    let mut lon_min = v(1);
    if lon_min >= 60 {
        lon_min -= 60;
    }
    let lon_hundredths = v(2);
    if !(0..=179).contains(&lon_deg)
        || !(0..60).contains(&lon_min)
        || !(0..100).contains(&lon_hundredths)
    {
        return Err(RadioError::Malformed("mic-e longitude"));
    }
    let lon = f64::from(lon_deg) + (f64::from(lon_min) + f64::from(lon_hundredths) / 100.0) / 60.0;
    let p = GeoPoint::new(
        if north { lat } else { -lat },
        if west { -lon } else { lon },
    );
    if !p.is_valid() {
        return Err(RadioError::Malformed("mic-e position"));
    }
    r.position = Some(p);
    let (sp, dc, se) = (v(3), v(4), v(5));
    if sp >= 0 && dc >= 0 && se >= 0 {
        let mut speed = sp * 10 + dc / 10;
        let mut course = (dc % 10) * 100 + se;
        if speed >= 800 {
            speed -= 800;
        }
        if course >= 400 {
            course -= 400;
        }
        r.speed_mps = Some(speed as f32 * KNOT_MPS);
        if (1..=360).contains(&course) {
            r.course_deg = Some((course % 360) as f32);
        }
    }
    let status = if custom {
        format!("C{}", 7 - bits)
    } else {
        MIC_E_STATUS[usize::from(bits)].to_owned()
    };
    r.emergency = bits == 0 && !custom;
    r.status = Some(status);
    // Comment: optional telemetry/type byte, then optional base-91 altitude
    // "xxx}" in metres above -10 km.
    let mut comment = &b[8..];
    if let Some(i) = comment.iter().take(4).position(|&c| c == b'}')
        && i >= 3
        && let Some(alt) = base91(&comment[i - 3..i])
    {
        r.altitude_m = Some(f64::from(alt) - 10_000.0);
        comment = &comment[i + 1..];
    }
    let text = latin_text(comment);
    let text = text.trim();
    if is_emergency_text(text) {
        r.emergency = true;
    }
    if !text.is_empty() {
        r.text = Some(text.to_owned());
    }
    Ok(())
}

fn message(from: &str, b: &[u8]) -> Result<Message, RadioError> {
    if b.len() < 10 || b[9] != b':' {
        return Err(RadioError::Malformed("aprs message addressee"));
    }
    let addressee = std::str::from_utf8(&b[..9])
        .map_err(|_| RadioError::Encoding)?
        .trim()
        .to_owned();
    let body = latin_text(&b[10..]);
    let (kind, text, id) = if let Some(n) = body.strip_prefix("ack") {
        (MessageKind::Ack, String::new(), Some(n.trim().to_owned()))
    } else if let Some(n) = body.strip_prefix("rej") {
        (
            MessageKind::Reject,
            String::new(),
            Some(n.trim().to_owned()),
        )
    } else {
        match body.rsplit_once('{') {
            // APRS 1.1 reply-acks append "}" plus the replied id: keep the id only.
            Some((t, id)) if id.len() <= 5 || id.contains('}') => (
                MessageKind::Text,
                t.to_owned(),
                Some(id.split('}').next().unwrap_or("").to_owned()),
            ),
            _ => (MessageKind::Text, body, None),
        }
    };
    Ok(Message {
        from: from.to_owned(),
        addressee,
        text,
        id,
        kind,
    })
}

/// Builds a message frame from `source` to `addressee` with message number
/// `id` (1–5 alphanumerics) for the receiver to ack. Text is cut to
/// [`MAX_MESSAGE_TEXT`] characters; `|`, `~` and `{` are not allowed in it.
pub fn encode_message(
    source: &Address,
    destination: &Address,
    addressee: &str,
    text: &str,
    id: Option<&str>,
) -> Result<UiFrame, RadioError> {
    if addressee.is_empty() || addressee.len() > 9 || !addressee.is_ascii() {
        return Err(RadioError::Malformed("aprs message addressee"));
    }
    if let Some(id) = id
        && (id.is_empty() || id.len() > 5 || !id.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(RadioError::Malformed("aprs message id"));
    }
    let clean: String = text
        .chars()
        .filter(|c| !matches!(c, '|' | '~' | '{') && !c.is_control())
        .take(MAX_MESSAGE_TEXT)
        .collect();
    let mut info = format!(":{addressee:<9}:{clean}");
    if let Some(id) = id {
        info.push('{');
        info.push_str(id);
    }
    Ok(UiFrame {
        destination: destination.clone(),
        source: source.clone(),
        digipeaters: Vec::new(),
        info: info.into_bytes(),
    })
}

/// Builds an acknowledgement of message `id` to `addressee`.
pub fn encode_ack(source: &Address, destination: &Address, addressee: &str, id: &str) -> UiFrame {
    UiFrame {
        destination: destination.clone(),
        source: source.clone(),
        digipeaters: Vec::new(),
        info: format!(":{addressee:<9}:ack{id}").into_bytes(),
    }
}

/// Encodes an uncompressed position report (`!` or, with emergency, a
/// comment starting "EMERGENCY") with course/speed when known.
pub fn encode_position(r: &FieldRecord, symbol: (char, char)) -> Option<Vec<u8>> {
    let p = r.position?;
    let (lat, ns) = dm(p.lat, 2, 'N', 'S');
    let (lon, ew) = dm(p.lon, 3, 'E', 'W');
    let mut s = format!("!{lat}{ns}{}{lon}{ew}{}", symbol.0, symbol.1);
    if let (Some(c), Some(v)) = (r.course_deg, r.speed_mps) {
        let c = c.round() as u32 % 360;
        s.push_str(&format!(
            "{:03}/{:03}",
            if c == 0 { 360 } else { c },
            (v / KNOT_MPS).round() as u32 % 1000
        ));
    }
    if r.emergency {
        s.push_str("EMERGENCY ");
    }
    if let Some(t) = &r.text {
        s.push_str(t);
    }
    Some(s.into_bytes())
}

/// Encodes a compressed position report (APRS101 ch. 9).
pub fn encode_compressed(p: GeoPoint, symbol: (char, char)) -> Vec<u8> {
    let y = ((90.0 - p.lat) * 380_926.0)
        .round()
        .clamp(0.0, 91f64.powi(4) - 1.0) as u32;
    let x = ((180.0 + p.lon) * 190_463.0)
        .round()
        .clamp(0.0, 91f64.powi(4) - 1.0) as u32;
    let mut out = vec![b'!', symbol.0 as u8];
    for v in [y, x] {
        for k in (0..4).rev() {
            out.push((v / 91u32.pow(k) % 91) as u8 + 33);
        }
    }
    out.extend([symbol.1 as u8, b' ', b' ', b' ']);
    out
}

fn dm(v: f64, width: usize, pos: char, neg: char) -> (String, char) {
    let a = v.abs();
    let mut deg = a.trunc();
    let mut hundredths = ((a - deg) * 6000.0).round();
    if hundredths >= 6000.0 {
        deg += 1.0;
        hundredths = 0.0;
    }
    let min = hundredths as u32;
    (
        format!("{:0width$}{:02}.{:02}", deg as u32, min / 100, min % 100),
        if v < 0.0 { neg } else { pos },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame(src: &str, dest: &str, info: &[u8]) -> UiFrame {
        UiFrame {
            destination: Address::parse(dest).expect("dest"),
            source: Address::parse(src).expect("src"),
            digipeaters: vec![],
            info: info.to_vec(),
        }
    }

    fn now() -> Timestamp {
        utc(2026, 11, 23, 12 * 3_600_000).expect("valid")
    }

    fn record(p: Packet) -> FieldRecord {
        match p {
            Packet::Position(r) | Packet::Status(r) => r,
            Packet::Message(m) => panic!("message {m:?}"),
        }
    }

    #[test]
    fn uncompressed_position_with_course_speed_and_altitude() {
        // APRS101 ch. 8 example, with the ch. 7 course/speed extension.
        let f = frame(
            "BG2ABC-9",
            "APDW17",
            b"!4903.50N/07201.75W>088/036/A=001234 hello",
        );
        let r = record(parse(&f, now()).expect("parses"));
        let p = r.position.expect("pos");
        assert!((p.lat - 49.058_333).abs() < 1e-5 && (p.lon + 72.029_166).abs() < 1e-5);
        assert_eq!(r.device, "BG2ABC-9");
        assert_eq!(r.course_deg, Some(88.0));
        assert!((r.speed_mps.expect("speed") - 36.0 * KNOT_MPS).abs() < 1e-4);
        assert!((r.altitude_m.expect("alt") - 1234.0 * FEET).abs() < 1e-6);
        assert_eq!(r.text.as_deref(), Some("hello"));
        assert!(!r.emergency);
    }

    #[test]
    fn timestamped_position_takes_the_fix_time() {
        let f = frame("BG2ABC", "APRS", b"@231145z4352.81N/12519.20E>");
        let r = record(parse(&f, now()).expect("parses"));
        assert_eq!(r.fix_time, utc(2026, 11, 23, (11 * 60 + 45) * MINUTE));
        let f = frame("BG2ABC", "APRS", b"/114500h4352.81N/12519.20E>");
        assert_eq!(
            record(parse(&f, now()).expect("parses")).fix_time,
            utc(2026, 11, 23, (11 * 60 + 45) * MINUTE)
        );
    }

    #[test]
    fn compressed_position_decodes() {
        // APRS101 ch. 9 example: "/5L!!<*e7>7P[" = 49°30'N 72°45'W, course 88, speed 36.2 kn.
        let f = frame("N0CALL", "APRS", b"!/5L!!<*e7>7P[");
        let r = record(parse(&f, now()).expect("parses"));
        let p = r.position.expect("pos");
        assert!(
            (p.lat - 49.5).abs() < 1e-4 && (p.lon + 72.75).abs() < 1e-4,
            "{p:?}"
        );
        assert_eq!(r.course_deg, Some(88.0));
        assert!((r.speed_mps.expect("speed") / KNOT_MPS - 36.2).abs() < 0.1);
    }

    #[test]
    fn mic_e_decodes_position_and_message_code() {
        // APRS101 ch. 10 example destination "S32U6T": 33°25.64'N, message bits 100 (M3 Returning).
        // Longitude 112°07.74'W: d=112-100+28='(', m=7+28='#', h=74+28='f'.
        // Fifth character 'V' (digit 6) adds the 100° longitude offset.
        // Speed 20 kn, course 251°: sp = 2+28, dc = 0*10+2+28, se = 51+28 = 'O'.
        let f = frame("KA1ABC", "S32UVT", b"`(#f\x1e\x1eO>/comment");
        let r = record(parse(&f, now()).expect("parses"));
        let p = r.position.expect("pos");
        assert!((p.lat - 33.427_333).abs() < 1e-5, "{p:?}");
        assert!((p.lon + 112.129).abs() < 1e-5, "{p:?}");
        assert_eq!(r.status.as_deref(), Some("M3 Returning"));
        assert!(!r.emergency);
        assert_eq!(r.course_deg, Some(251.0));
        assert!((r.speed_mps.expect("speed") / KNOT_MPS - 20.0).abs() < 1e-3);
        assert_eq!(r.text.as_deref(), Some("comment"));
    }

    #[test]
    fn mic_e_emergency_is_flagged() {
        // All three message bits zero: digits 0-9 in the first three characters.
        // 43°52.81'N 125°19.20'E: "435RX1", longitude bytes 25+28, 19+28, 20+28.
        let f = frame("BG2ABC-7", "435RX1", b"`5/0\x1c\x1c\x1c>/");
        let r = record(parse(&f, now()).expect("parses"));
        assert!(r.emergency);
        assert_eq!(r.status.as_deref(), Some("Emergency"));
        let p = r.position.expect("pos");
        assert!(
            (p.lat - 43.880_166).abs() < 1e-5 && (p.lon - 125.32).abs() < 1e-5,
            "{p:?}"
        );
    }

    #[test]
    fn status_emergency_is_flagged() {
        let r = record(parse(&frame("BG2ABC", "APRS", b">EMERGENCY trapped"), now()).expect("ok"));
        assert!(r.emergency);
        assert_eq!(r.status.as_deref(), Some("EMERGENCY trapped"));
        let r = record(parse(&frame("BG2ABC", "APRS", b">231145zOn scene"), now()).expect("ok"));
        assert!(!r.emergency);
        assert_eq!(r.status.as_deref(), Some("On scene"));
    }

    #[test]
    fn message_encode_parse_and_ack() {
        let me = Address::parse("BG2ECC").expect("ok");
        let to = Address::parse("APZECC").expect("ok");
        let f = encode_message(&me, &to, "BG2ABC-9", "前往 人民大街 火情", Some("42")).expect("ok");
        assert_eq!(f.info, ":BG2ABC-9 :前往 人民大街 火情{42".as_bytes());
        let Packet::Message(m) = parse(&f, now()).expect("parses") else {
            panic!()
        };
        assert_eq!(
            (m.addressee.as_str(), m.text.as_str(), m.id.as_deref()),
            ("BG2ABC-9", "前往 人民大街 火情", Some("42"))
        );
        let ack = encode_ack(
            &Address::parse("BG2ABC-9").expect("ok"),
            &to,
            "BG2ECC",
            "42",
        );
        let Packet::Message(a) = parse(&ack, now()).expect("parses") else {
            panic!()
        };
        assert_eq!(
            (a.kind, a.id.as_deref(), a.addressee.as_str()),
            (MessageKind::Ack, Some("42"), "BG2ECC")
        );
        assert!(encode_message(&me, &to, "TOOLONGCALL", "x", None).is_err());
        assert!(encode_message(&me, &to, "BG2ABC", "x", Some("1{2")).is_err());
    }

    #[test]
    fn bad_packets_are_typed() {
        assert!(matches!(
            parse(&frame("A", "APRS", b""), now()),
            Err(RadioError::Truncated(_))
        ));
        assert!(matches!(
            parse(&frame("A", "APRS", b"!4903.50N/0720"), now()),
            Err(RadioError::Truncated(_))
        ));
        assert!(matches!(
            parse(&frame("A", "APRS", b"!9903.50N/07201.75W>"), now()),
            Err(RadioError::Malformed(_))
        ));
        assert!(matches!(
            parse(&frame("A", "APRS", b"T#005,1,2"), now()),
            Err(RadioError::Unsupported(_))
        ));
    }

    proptest! {
        #[test]
        fn random_info_never_panics(info in proptest::collection::vec(any::<u8>(), 0..300), dest in "[0-9A-Z]{6}") {
            let _ = parse(&frame("N0CALL", &dest, &info), now());
        }

        #[test]
        fn uncompressed_round_trips(lat in -89.99f64..89.99, lon in -179.99f64..179.99) {
            let mut r = FieldRecord::new("N0CALL", SourceKind::Aprs, now());
            r.position = Some(GeoPoint::new(lat, lon));
            let info = encode_position(&r, ('/', '>')).expect("pos");
            let back = record(parse(&frame("N0CALL", "APRS", &info), now()).expect("parses"));
            let p = back.position.expect("pos");
            // Hundredths of a minute: ~18 m.
            prop_assert!((p.lat - lat).abs() < 1.0 / 6000.0 && (p.lon - lon).abs() < 1.0 / 6000.0);
        }

        #[test]
        fn compressed_round_trips(lat in -89.99f64..89.99, lon in -179.99f64..179.99) {
            let info = encode_compressed(GeoPoint::new(lat, lon), ('/', '>'));
            let back = record(parse(&frame("N0CALL", "APRS", &info), now()).expect("parses"));
            let p = back.position.expect("pos");
            prop_assert!((p.lat - lat).abs() < 1e-5 && (p.lon - lon).abs() < 1e-5);
        }

        #[test]
        fn message_round_trips(text in "[a-zA-Z0-9 ,.]{0,67}", id in "[A-Za-z0-9]{1,5}") {
            let a = Address::parse("BG2ECC").expect("ok");
            let f = encode_message(&a, &a, "BG2ABC-9", &text, Some(&id)).expect("ok");
            let Packet::Message(m) = parse(&f, now()).expect("parses") else { panic!() };
            prop_assert_eq!(m.text, text);
            prop_assert_eq!(m.id, Some(id));
        }
    }
}
