//! The one normalized record every format becomes.

use domain::{Fix, FixSource, GeoPoint, Timestamp};
use serde::{Deserialize, Serialize};

/// Which wire format a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SourceKind {
    /// NMEA 0183 sentence.
    Nmea,
    /// gpsd JSON report.
    Gpsd,
    /// APRS packet.
    Aprs,
    /// Cursor-on-Target event.
    CursorOnTarget,
}

impl SourceKind {
    /// The domain's name for the source of a fix.
    pub fn fix_source(self) -> FixSource {
        match self {
            SourceKind::Nmea => FixSource::Nmea,
            SourceKind::Gpsd => FixSource::Gpsd,
            SourceKind::Aprs => FixSource::Aprs,
            SourceKind::CursorOnTarget => FixSource::CursorOnTarget,
        }
    }
}

/// What one field message said, whatever its format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldRecord {
    /// Radio id, APRS callsign (with SSID) or CoT uid; for NMEA, whatever the
    /// input is configured to call its receiver.
    pub device: String,
    /// WGS-84 position, if the message had a valid one.
    pub position: Option<GeoPoint>,
    /// Height above the ellipsoid or mean sea level, metres.
    pub altitude_m: Option<f64>,
    /// Horizontal accuracy, metres (1-sigma or CE as the format gives it).
    pub accuracy_m: Option<f32>,
    /// Course over ground, degrees true.
    pub course_deg: Option<f32>,
    /// Speed over ground, metres per second.
    pub speed_mps: Option<f32>,
    /// Wire format.
    pub source: SourceKind,
    /// When the device took the fix, if it said.
    pub fix_time: Option<Timestamp>,
    /// When the bridge received it.
    pub received_at: Timestamp,
    /// Status code as the device sent it.
    pub status: Option<String>,
    /// The device declared an emergency.
    pub emergency: bool,
    /// The device cancelled an emergency (CoT `b-a-o-can`).
    pub emergency_cancelled: bool,
    /// Exercise traffic (CoT `opex="e"`).
    pub exercise: bool,
    /// Free text (APRS comment, message or status; CoT remarks).
    pub text: Option<String>,
}

impl FieldRecord {
    /// An empty record for `device` received at `received_at`.
    pub fn new(device: impl Into<String>, source: SourceKind, received_at: Timestamp) -> Self {
        FieldRecord {
            device: device.into(),
            position: None,
            altitude_m: None,
            accuracy_m: None,
            course_deg: None,
            speed_mps: None,
            source,
            fix_time: None,
            received_at,
            status: None,
            emergency: false,
            emergency_cancelled: false,
            exercise: false,
            text: None,
        }
    }

    /// The record's position as a domain fix (fix time, else receive time).
    pub fn fix(&self) -> Option<Fix> {
        let position = self.position.filter(GeoPoint::is_valid)?;
        Some(Fix {
            position,
            accuracy_m: self.accuracy_m,
            source: self.source.fix_source(),
            taken_at: self.fix_time.unwrap_or(self.received_at),
        })
    }
}

/// Knots to metres per second.
pub(crate) const KNOT_MPS: f32 = 1852.0 / 3600.0;
