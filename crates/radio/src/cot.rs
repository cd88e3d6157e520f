//! Cursor-on-Target 2.0 events (MITRE CoT schema, as ATAK/WinTAK/iTAK send
//! them): parse with limits, split TCP streams, encode markers and GeoChat.
//!
//! The parser is a streaming pull parser with DTDs refused outright, so no
//! entity is ever defined or expanded (billion-laughs and external-entity
//! documents fail on their `<!DOCTYPE`); only the five predefined entities
//! and character references are read. Size and nesting depth are bounded.

use crate::error::{RadioError, check_len};
use crate::record::{FieldRecord, SourceKind};
use crate::time::{format_iso8601, parse_iso8601};
use domain::{GeoPoint, Timestamp};
use quick_xml::Reader;
use quick_xml::escape::{escape, resolve_predefined_entity};
use quick_xml::events::{BytesStart, Event};

/// Largest event accepted, bytes. ATAK events with rich detail stay under
/// a few KiB; 64 KiB leaves room for shapes and attachments lists.
pub const MAX_EVENT: usize = 64 * 1024;
/// Deepest element nesting accepted.
pub const MAX_DEPTH: usize = 16;
/// CoT's "unknown" value for hae/ce/le.
pub const UNKNOWN: f64 = 9_999_999.0;

/// Emergency kinds from ATAK's emergency beacon (`b-a-o-*` types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emergency {
    /// `b-a-o-tbl`: 911 alert.
    Alert911,
    /// `b-a-o-pan`: ring the bell / panic.
    Panic,
    /// `b-a-o-opn`: troops in contact.
    InContact,
    /// `b-a-o-c`: custom emergency.
    Custom,
    /// `b-a-o-can`: the emergency is cancelled.
    Cancel,
}

impl Emergency {
    fn from_type(t: &str) -> Option<Emergency> {
        Some(match t {
            "b-a-o-tbl" => Emergency::Alert911,
            "b-a-o-pan" => Emergency::Panic,
            "b-a-o-opn" => Emergency::InContact,
            "b-a-o-c" => Emergency::Custom,
            "b-a-o-can" => Emergency::Cancel,
            _ => return None,
        })
    }

    /// The CoT type.
    pub fn cot_type(self) -> &'static str {
        match self {
            Emergency::Alert911 => "b-a-o-tbl",
            Emergency::Panic => "b-a-o-pan",
            Emergency::InContact => "b-a-o-opn",
            Emergency::Custom => "b-a-o-c",
            Emergency::Cancel => "b-a-o-can",
        }
    }
}

/// The parts of a CoT event this system uses.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CotEvent {
    /// Event uid (stable per device for position reports).
    pub uid: String,
    /// Type, e.g. `a-f-G-U-C`.
    pub kind: String,
    /// How the position was obtained, e.g. `m-g` (machine, GPS).
    pub how: String,
    /// When the event was generated.
    pub time: Option<Timestamp>,
    /// Start of validity.
    pub start: Option<Timestamp>,
    /// End of validity.
    pub stale: Option<Timestamp>,
    /// `opex` attribute: `o` operations, `e` exercise, `s` simulation.
    pub opex: Option<String>,
    /// Point (lat, lon).
    pub point: Option<GeoPoint>,
    /// Height above ellipsoid, metres (None when unknown).
    pub hae: Option<f64>,
    /// Circular error, metres (None when unknown).
    pub ce: Option<f64>,
    /// Linear error, metres (None when unknown).
    pub le: Option<f64>,
    /// `contact@callsign`.
    pub callsign: Option<String>,
    /// `__group@name` (team colour).
    pub group: Option<String>,
    /// `__group@role`.
    pub role: Option<String>,
    /// `status@battery`.
    pub battery: Option<String>,
    /// `track@course`, degrees.
    pub course: Option<f64>,
    /// `track@speed`, m/s.
    pub speed: Option<f64>,
    /// `remarks` text.
    pub remarks: Option<String>,
    /// Emergency from the type or an `<emergency>` element.
    pub emergency: Option<Emergency>,
}

impl CotEvent {
    /// Whether the sender marked this as exercise or simulation traffic.
    pub fn is_exercise(&self) -> bool {
        matches!(
            self.opex.as_deref().and_then(|o| o.chars().next()),
            Some('e' | 's')
        )
    }

    /// The normalized record of this event.
    pub fn record(&self, received_at: Timestamp) -> FieldRecord {
        let mut r = FieldRecord::new(&self.uid, SourceKind::CursorOnTarget, received_at);
        // Emergency beacons are positioned at the sender; 0,0 means "none".
        r.position = self
            .point
            .filter(|p| p.is_valid() && !(p.lat == 0.0 && p.lon == 0.0));
        r.altitude_m = self.hae;
        r.accuracy_m = self.ce.map(|c| c as f32);
        r.course_deg = self.course.map(|c| c as f32);
        r.speed_mps = self.speed.map(|s| s as f32);
        r.fix_time = self.time;
        r.emergency = matches!(
            self.emergency,
            Some(Emergency::Alert911 | Emergency::Panic | Emergency::InContact | Emergency::Custom)
        );
        r.emergency_cancelled = self.emergency == Some(Emergency::Cancel);
        r.status = self.emergency.map(|e| e.cot_type().to_owned());
        r.exercise = self.is_exercise();
        r.text = self.remarks.clone();
        r
    }
}

fn xml_err(e: impl std::fmt::Display) -> RadioError {
    RadioError::Xml(e.to_string().chars().take(120).collect())
}

/// Parses one `<event>` document.
pub fn parse(xml: &[u8]) -> Result<CotEvent, RadioError> {
    check_len(xml.len(), MAX_EVENT)?;
    let mut reader = Reader::from_reader(xml);
    let cfg = reader.config_mut();
    cfg.check_end_names = true;
    cfg.expand_empty_elements = false;
    let mut ev = CotEvent::default();
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut seen_event = false;
    let mut text = String::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let event = reader.read_event_into(&mut buf).map_err(xml_err)?;
        match event {
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(RadioError::TooDeep(MAX_DEPTH));
                }
                element(&e, &stack, &mut ev, &mut seen_event)?;
                stack.push(e.name().as_ref().to_vec());
                text.clear();
            }
            Event::Empty(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(RadioError::TooDeep(MAX_DEPTH));
                }
                element(&e, &stack, &mut ev, &mut seen_event)?;
            }
            Event::End(_) => {
                let name = stack.pop().ok_or_else(|| xml_err("unbalanced end tag"))?;
                match name.as_slice() {
                    b"remarks" if !text.trim().is_empty() => {
                        ev.remarks = Some(text.trim().to_owned());
                    }
                    b"emergency" if ev.emergency.is_none() => {
                        ev.emergency = Some(Emergency::Alert911);
                    }
                    _ => {}
                }
                text.clear();
                if stack.is_empty() {
                    break;
                }
            }
            Event::Text(t) => {
                if stack.last().is_some_and(|n| n == b"remarks") {
                    let s = t.decode().map_err(xml_err)?;
                    push_limited(&mut text, &s);
                }
            }
            Event::CData(t) => {
                if stack.last().is_some_and(|n| n == b"remarks") {
                    let s = std::str::from_utf8(&t).map_err(|_| RadioError::Encoding)?;
                    push_limited(&mut text, s);
                }
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(xml_err)?;
                let ch: String = if let Some(c) = r.resolve_char_ref().map_err(xml_err)? {
                    c.to_string()
                } else if let Some(s) = resolve_predefined_entity(&name) {
                    s.to_owned()
                } else {
                    return Err(RadioError::Xml(format!("undefined entity &{name};")));
                };
                if stack.last().is_some_and(|n| n == b"remarks") {
                    push_limited(&mut text, &ch);
                }
            }
            Event::DocType(_) => return Err(RadioError::Xml("DTD not allowed".into())),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => {
                return Err(if seen_event {
                    RadioError::Truncated("cot event")
                } else {
                    RadioError::Malformed("cot: no event element")
                });
            }
        }
    }
    if ev.uid.is_empty() {
        return Err(RadioError::Malformed("cot uid"));
    }
    Ok(ev)
}

fn push_limited(text: &mut String, s: &str) {
    // Remarks are bounded by MAX_EVENT already; keep one event's worth.
    if text.len() + s.len() <= MAX_EVENT {
        text.push_str(s);
    }
}

fn element(
    e: &BytesStart<'_>,
    stack: &[Vec<u8>],
    ev: &mut CotEvent,
    seen_event: &mut bool,
) -> Result<(), RadioError> {
    let name = e.name();
    let parent = stack.last().map(Vec::as_slice);
    match (parent, name.as_ref()) {
        (None, b"event") => {
            *seen_event = true;
            for a in attrs(e)? {
                match a.0.as_str() {
                    "uid" => ev.uid = a.1,
                    "type" => ev.kind = a.1,
                    "how" => ev.how = a.1,
                    "time" => ev.time = Some(time(&a.1)?),
                    "start" => ev.start = Some(time(&a.1)?),
                    "stale" => ev.stale = Some(time(&a.1)?),
                    "opex" => ev.opex = Some(a.1),
                    _ => {}
                }
            }
            if ev.kind.is_empty() {
                return Err(RadioError::Malformed("cot type"));
            }
            ev.emergency = Emergency::from_type(&ev.kind);
        }
        (None, _) => return Err(RadioError::Malformed("cot: root is not event")),
        (Some(b"event"), b"point") => {
            let mut lat = None;
            let mut lon = None;
            for (k, v) in attrs(e)? {
                match k.as_str() {
                    "lat" => lat = Some(num(&v, "cot lat")?),
                    "lon" => lon = Some(num(&v, "cot lon")?),
                    "hae" => ev.hae = known(num(&v, "cot hae")?),
                    "ce" => ev.ce = known(num(&v, "cot ce")?),
                    "le" => ev.le = known(num(&v, "cot le")?),
                    _ => {}
                }
            }
            let p = GeoPoint::new(
                lat.ok_or(RadioError::Malformed("cot lat"))?,
                lon.ok_or(RadioError::Malformed("cot lon"))?,
            );
            if !p.is_valid() {
                return Err(RadioError::Malformed("cot point out of range"));
            }
            ev.point = Some(p);
        }
        (Some(b"detail"), b"contact") => {
            for (k, v) in attrs(e)? {
                if k == "callsign" {
                    ev.callsign = Some(v);
                }
            }
        }
        (Some(b"detail"), b"__group") => {
            for (k, v) in attrs(e)? {
                match k.as_str() {
                    "name" => ev.group = Some(v),
                    "role" => ev.role = Some(v),
                    _ => {}
                }
            }
        }
        (Some(b"detail"), b"status") => {
            for (k, v) in attrs(e)? {
                if k == "battery" {
                    ev.battery = Some(v);
                }
            }
        }
        (Some(b"detail"), b"track") => {
            for (k, v) in attrs(e)? {
                match k.as_str() {
                    "course" => ev.course = Some(num(&v, "cot course")?),
                    "speed" => ev.speed = Some(num(&v, "cot speed")?),
                    _ => {}
                }
            }
        }
        (Some(b"detail"), b"emergency") => {
            let mut cancel = false;
            let mut kind = None;
            for (k, v) in attrs(e)? {
                match k.as_str() {
                    "cancel" => cancel = v == "true",
                    "type" => kind = Some(v),
                    _ => {}
                }
            }
            ev.emergency = Some(if cancel {
                Emergency::Cancel
            } else {
                match kind.as_deref() {
                    Some("Ring The Bell") => Emergency::Panic,
                    Some("In Contact") | Some("Troops In Contact") => Emergency::InContact,
                    Some("Custom") => Emergency::Custom,
                    _ => ev.emergency.unwrap_or(Emergency::Alert911),
                }
            });
        }
        _ => {}
    }
    Ok(())
}

fn attrs(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, RadioError> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(xml_err)?;
        let key = std::str::from_utf8(a.key.as_ref())
            .map_err(|_| RadioError::Encoding)?
            .to_owned();
        let value = a.unescape_value().map_err(xml_err)?.into_owned();
        out.push((key, value));
    }
    Ok(out)
}

fn time(s: &str) -> Result<Timestamp, RadioError> {
    parse_iso8601(s).ok_or(RadioError::Malformed("cot time"))
}

fn num(s: &str, what: &'static str) -> Result<f64, RadioError> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or(RadioError::Malformed(what))
}

fn known(v: f64) -> Option<f64> {
    (v < UNKNOWN).then_some(v)
}

/// Cuts a TCP byte stream into `<event>…</event>` documents, buffering at
/// most `max` bytes; an event that grows past it is dropped whole.
#[derive(Debug)]
pub struct EventSplitter {
    buf: Vec<u8>,
    max: usize,
    scanned: usize,
    discarding: bool,
}

const END: &[u8] = b"</event>";

impl EventSplitter {
    /// A splitter buffering at most `max` bytes.
    pub fn new(max: usize) -> Self {
        EventSplitter {
            buf: Vec::new(),
            max,
            scanned: 0,
            discarding: false,
        }
    }

    /// Feeds bytes; returns complete documents and overflow errors.
    pub fn push(&mut self, mut rest: &[u8]) -> Vec<Result<Vec<u8>, RadioError>> {
        let mut out = Vec::new();
        loop {
            if let Some(i) = find(&self.buf[self.scanned..], END) {
                let end = self.scanned + i + END.len();
                let doc: Vec<u8> = self.buf.drain(..end).collect();
                self.scanned = 0;
                if !std::mem::take(&mut self.discarding) {
                    out.push(Ok(trim_start(&doc).to_vec()));
                }
                continue;
            }
            // Only the last bytes could begin an end tag still to come.
            self.scanned = self.buf.len().saturating_sub(END.len() - 1);
            if self.buf.len() > self.max {
                self.buf = self.buf.split_off(self.buf.len() - (END.len() - 1));
                self.scanned = 0;
                if !self.discarding {
                    self.discarding = true;
                    out.push(Err(RadioError::TooLong {
                        len: self.max + 1,
                        limit: self.max,
                    }));
                }
            }
            if rest.is_empty() {
                return out;
            }
            let take = rest
                .len()
                .min((self.max + 1).saturating_sub(self.buf.len()).max(1));
            self.buf.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
        }
    }
}

fn trim_start(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&c| c == b'<').unwrap_or(b.len());
    &b[start..]
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A map marker for a team or incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Stable uid (e.g. `ecc.team.T-001`).
    pub uid: String,
    /// CoT type (`a-f-G-U-C` friendly ground unit, `a-h-G` … for hazards).
    pub kind: String,
    /// Label.
    pub callsign: String,
    /// Where.
    pub point: GeoPoint,
    /// Accuracy, metres.
    pub ce: Option<f64>,
    /// Event time.
    pub time: Timestamp,
    /// How long the marker stays valid, ms.
    pub stale_after_ms: i64,
    /// Remarks text.
    pub remarks: Option<String>,
    /// Drill realm: marked `opex="e"`.
    pub exercise: bool,
}

fn opex(exercise: bool) -> &'static str {
    if exercise { " opex=\"e\"" } else { "" }
}

/// Encodes a marker event.
pub fn encode_marker(m: &Marker) -> String {
    let t = format_iso8601(m.time);
    let stale = format_iso8601(m.time.plus(m.stale_after_ms));
    let remarks = m
        .remarks
        .as_deref()
        .map(|r| format!("<remarks>{}</remarks>", escape(r)))
        .unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<event version=\"2.0\" uid=\"{uid}\" type=\"{kind}\" how=\"h-e\" time=\"{t}\" start=\"{t}\" stale=\"{stale}\"{opex}>\
<point lat=\"{lat:.7}\" lon=\"{lon:.7}\" hae=\"{UNKNOWN}\" ce=\"{ce}\" le=\"{UNKNOWN}\"/>\
<detail><contact callsign=\"{callsign}\"/>{remarks}</detail></event>",
        uid = escape(&m.uid),
        kind = escape(&m.kind),
        opex = opex(m.exercise),
        lat = m.point.lat,
        lon = m.point.lon,
        ce = m.ce.unwrap_or(UNKNOWN),
        callsign = escape(&m.callsign),
    )
}

/// A GeoChat message (`b-t-f`) to one TAK user, e.g. a dispatch order.
#[derive(Debug, Clone, PartialEq)]
pub struct Chat {
    /// Message id, unique per message.
    pub id: String,
    /// Sender uid (the command centre).
    pub sender_uid: String,
    /// Sender callsign.
    pub sender_callsign: String,
    /// Recipient uid.
    pub to_uid: String,
    /// Recipient callsign.
    pub to_callsign: String,
    /// Text.
    pub text: String,
    /// When sent.
    pub time: Timestamp,
    /// Drill realm: marked `opex="e"`.
    pub exercise: bool,
}

/// Encodes a GeoChat message as ATAK sends direct messages.
pub fn encode_chat(c: &Chat) -> String {
    let t = format_iso8601(c.time);
    let stale = format_iso8601(c.time.plus(24 * domain::time::HOUR));
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<event version=\"2.0\" uid=\"GeoChat.{sender}.{to}.{id}\" type=\"b-t-f\" how=\"h-g-i-g-o\" time=\"{t}\" start=\"{t}\" stale=\"{stale}\"{opex}>\
<point lat=\"0.0\" lon=\"0.0\" hae=\"{UNKNOWN}\" ce=\"{UNKNOWN}\" le=\"{UNKNOWN}\"/>\
<detail><__chat parent=\"RootContactGroup\" groupOwner=\"false\" chatroom=\"{to_cs}\" id=\"{to}\" senderCallsign=\"{from_cs}\">\
<chatgrp uid0=\"{sender}\" uid1=\"{to}\" id=\"{to}\"/></__chat>\
<link uid=\"{sender}\" type=\"a-f-G-U-C\" relation=\"p-p\"/>\
<remarks source=\"BAO.F.ATAK.{sender}\" to=\"{to}\" time=\"{t}\">{text}</remarks>\
<marti><dest callsign=\"{to_cs}\"/></marti></detail></event>",
        sender = escape(&c.sender_uid),
        to = escape(&c.to_uid),
        id = escape(&c.id),
        opex = opex(c.exercise),
        to_cs = escape(&c.to_callsign),
        from_cs = escape(&c.sender_callsign),
        text = escape(&c.text),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // A position report as ATAK 4.x sends it (trimmed of takv/uid details).
    const ATAK_PLI: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" uid="ANDROID-589520ccfcd20f01" type="a-f-G-U-C" how="m-g" time="2026-11-23T08:35:12.000Z" start="2026-11-23T08:35:12.000Z" stale="2026-11-23T08:41:12.000Z"><point lat="43.8802" lon="125.3201" hae="215.3" ce="9.9" le="9999999.0"/><detail><contact endpoint="*:-1:stcp" callsign="长春消防一队"/><__group name="Cyan" role="Team Lead"/><status battery="88"/><track course="87.5" speed="1.2"/><remarks>到达 &amp; 待命</remarks></detail></event>"#;

    #[test]
    fn atak_position_report_parses() {
        let ev = parse(ATAK_PLI.as_bytes()).expect("parses");
        assert_eq!(ev.uid, "ANDROID-589520ccfcd20f01");
        assert_eq!(ev.kind, "a-f-G-U-C");
        assert_eq!(ev.point, Some(GeoPoint::new(43.8802, 125.3201)));
        assert_eq!((ev.hae, ev.ce, ev.le), (Some(215.3), Some(9.9), None));
        assert_eq!(ev.callsign.as_deref(), Some("长春消防一队"));
        assert_eq!(
            (ev.group.as_deref(), ev.role.as_deref()),
            (Some("Cyan"), Some("Team Lead"))
        );
        assert_eq!(ev.battery.as_deref(), Some("88"));
        assert_eq!((ev.course, ev.speed), (Some(87.5), Some(1.2)));
        assert_eq!(ev.remarks.as_deref(), Some("到达 & 待命"));
        assert_eq!(ev.stale, parse_iso8601("2026-11-23T08:41:12Z"));
        let r = ev.record(Timestamp(0));
        assert!(!r.emergency && !r.exercise);
        assert_eq!(
            r.fix().expect("fix").taken_at,
            parse_iso8601("2026-11-23T08:35:12Z").expect("t")
        );
    }

    #[test]
    fn emergencies_and_exercise_are_read() {
        // ATAK's emergency beacon: type b-a-o-tbl with an <emergency> detail.
        let alert = r#"<event version="2.0" uid="ANDROID-1-9-1-1" type="b-a-o-tbl" how="h-e" time="2026-11-23T08:35:12Z" start="2026-11-23T08:35:12Z" stale="2026-11-23T08:45:12Z" opex="e"><point lat="43.88" lon="125.32" hae="0" ce="10" le="10"/><detail><link uid="ANDROID-1" type="a-f-G-U-C" relation="p-p"/><contact callsign="A1-Alert"/><emergency type="911 Alert">A1</emergency></detail></event>"#;
        let ev = parse(alert.as_bytes()).expect("parses");
        assert_eq!(ev.emergency, Some(Emergency::Alert911));
        let r = ev.record(Timestamp(0));
        assert!(r.emergency && r.exercise);
        let cancel = alert
            .replace("b-a-o-tbl", "b-a-o-can")
            .replace("type=\"911 Alert\"", "cancel=\"true\"");
        let r = parse(cancel.as_bytes())
            .expect("parses")
            .record(Timestamp(0));
        assert!(!r.emergency && r.emergency_cancelled);
        let panic = alert
            .replace("b-a-o-tbl", "b-a-o-pan")
            .replace("911 Alert", "Ring The Bell");
        assert_eq!(
            parse(panic.as_bytes()).expect("parses").emergency,
            Some(Emergency::Panic)
        );
    }

    #[test]
    fn xml_bombs_and_entities_are_refused_cheaply() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><event uid="x" type="a"><remarks>&lol2;</remarks></event>"#;
        assert_eq!(
            parse(bomb.as_bytes()),
            Err(RadioError::Xml("DTD not allowed".into()))
        );
        let xxe = r#"<event uid="x" type="a-f"><remarks>&xxe;</remarks></event>"#;
        assert!(matches!(parse(xxe.as_bytes()), Err(RadioError::Xml(_))));
        let deep = format!(
            "<event uid=\"x\" type=\"a\">{}{}</event>",
            "<a>".repeat(100),
            "</a>".repeat(100)
        );
        assert_eq!(parse(deep.as_bytes()), Err(RadioError::TooDeep(MAX_DEPTH)));
        let big = format!(
            "<event uid=\"x\" type=\"a\"><remarks>{}</remarks></event>",
            "x".repeat(MAX_EVENT)
        );
        assert!(matches!(
            parse(big.as_bytes()),
            Err(RadioError::TooLong { .. })
        ));
        assert!(parse(b"<event uid=\"x\" type=\"a\"><point lat=\"1\"").is_err());
        assert!(matches!(
            parse(b"<event uid=\"x\" type=\"a\"><detail>"),
            Err(RadioError::Truncated(_))
        ));
        assert!(matches!(
            parse(b"<notevent/>"),
            Err(RadioError::Malformed(_))
        ));
    }

    #[test]
    fn splitter_cuts_streams_and_drops_overlong_events() {
        let mut s = EventSplitter::new(200);
        let one = r#"<event uid="a" type="a"></event>"#;
        let mut out = s.push(format!("\n{one}<event uid=\"b\"").as_bytes());
        out.extend(s.push(br#" type="a"></event>"#));
        out.extend(s.push(format!("<event>{}</event>{one}", "x".repeat(1000)).as_bytes()));
        assert_eq!(out.len(), 4, "{out:?}");
        assert_eq!(out[0].as_deref(), Ok(one.as_bytes()));
        assert_eq!(
            parse(out[1].as_deref().expect("doc")).expect("parses").uid,
            "b"
        );
        assert!(matches!(out[2], Err(RadioError::TooLong { .. })));
        assert_eq!(out[3].as_deref(), Ok(one.as_bytes()));
    }

    #[test]
    fn chat_encodes_to_a_parseable_event() {
        let c = Chat {
            id: "order-7".into(),
            sender_uid: "ECC-CHANGCHUN".into(),
            sender_callsign: "长春应急指挥中心".into(),
            to_uid: "ANDROID-1".into(),
            to_callsign: "一队".into(),
            text: "前往 <人民大街> & 待命".into(),
            time: Timestamp(1_795_000_000_000),
            exercise: true,
        };
        let ev = parse(encode_chat(&c).as_bytes()).expect("parses");
        assert_eq!(ev.kind, "b-t-f");
        assert_eq!(ev.remarks.as_deref(), Some("前往 <人民大街> & 待命"));
        assert!(ev.is_exercise());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..500)) {
            let _ = parse(&bytes);
            let mut s = EventSplitter::new(100);
            for doc in s.push(&bytes).into_iter().flatten() {
                prop_assert!(doc.len() <= 100 + END.len());
            }
        }

        #[test]
        fn marker_round_trips(
            lat in -90f64..90.0, lon in -180f64..180.0, callsign in "\\PC{1,20}",
            remarks in "\\PC{1,40}", exercise in any::<bool>(), ms in 0i64..4_000_000_000_000
        ) {
            let m = Marker {
                uid: "ecc.team.T-1".into(), kind: "a-f-G-U-C".into(), callsign: callsign.clone(),
                point: GeoPoint::new(lat, lon), ce: Some(10.0), time: Timestamp(ms),
                stale_after_ms: 300_000, remarks: Some(remarks.clone()), exercise,
            };
            let ev = parse(encode_marker(&m).as_bytes()).expect("parses");
            let p = ev.point.expect("point");
            prop_assert!((p.lat - lat).abs() < 1e-6 && (p.lon - lon).abs() < 1e-6);
            prop_assert_eq!(ev.callsign.clone(), Some(callsign));
            prop_assert_eq!(ev.remarks.clone(), Some(remarks.trim().to_owned()).filter(|r| !r.is_empty()));
            prop_assert_eq!(ev.is_exercise(), exercise);
            prop_assert_eq!(ev.time, Some(Timestamp(ms)));
            prop_assert_eq!(ev.stale, Some(Timestamp(ms + 300_000)));
        }
    }
}
