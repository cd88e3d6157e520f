//! Per-device thinning: forward a record when it moved far enough, enough
//! time passed, or anything other than position changed (status, emergency,
//! text); drop the rest. Pure: time comes from the records.

use radio::FieldRecord;
use std::collections::HashMap;

use crate::config::ThinningConfig;

#[derive(Debug, Clone)]
struct Last {
    position: Option<domain::GeoPoint>,
    at: i64,
    status: Option<String>,
    emergency: bool,
}

/// Remembers what was last forwarded per device.
#[derive(Debug, Default)]
pub struct Thinner {
    cfg: ThinningConfig,
    last: HashMap<String, Last>,
}

/// Devices remembered at most; beyond this the table is cleared (a new
/// device flood must not grow memory without bound).
const MAX_DEVICES: usize = 100_000;

impl Thinner {
    /// A thinner with these limits.
    pub fn new(cfg: ThinningConfig) -> Self {
        Thinner {
            cfg,
            last: HashMap::new(),
        }
    }

    /// Gives a record without its own fix time a receive time later than
    /// the device's last forwarded one: two packets decoded in the same
    /// millisecond (a TNC fed recorded audio, a burst over TCP) are two
    /// positions in order, not one position reported twice.
    pub fn stamp(&self, r: &mut FieldRecord) {
        if r.fix_time.is_none()
            && r.position.is_some()
            && let Some(l) = self.last.get(&r.device)
            && r.received_at.0 <= l.at
        {
            r.received_at = domain::Timestamp(l.at + 1);
        }
    }

    /// Whether to forward `r`; remembers it if so.
    pub fn admit(&mut self, r: &FieldRecord) -> bool {
        let at = r.fix_time.unwrap_or(r.received_at).0;
        let forward = match self.last.get(&r.device) {
            None => true,
            Some(l) => {
                r.emergency
                    || r.emergency_cancelled
                    || r.emergency != l.emergency
                    || (r.status.is_some() && r.status != l.status)
                    || r.text.is_some() && r.position.is_none()
                    || match (r.position, l.position) {
                        (Some(p), Some(q)) => {
                            p.distance_m(&q) > self.cfg.min_distance_m
                                || (at - l.at) as f64 >= self.cfg.max_interval_s * 1000.0
                        }
                        (Some(_), None) => true,
                        (None, _) => false,
                    }
            }
        };
        if forward {
            if self.last.len() >= MAX_DEVICES && !self.last.contains_key(&r.device) {
                self.last.clear();
            }
            let prev = self.last.get(&r.device);
            let entry = Last {
                position: r.position.or(prev.and_then(|p| p.position)),
                at: if r.position.is_some() {
                    at
                } else {
                    prev.map_or(at, |p| p.at)
                },
                status: r.status.clone().or(prev.and_then(|p| p.status.clone())),
                emergency: r.emergency,
            };
            self.last.insert(r.device.clone(), entry);
        }
        forward
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{GeoPoint, Timestamp};
    use radio::SourceKind;

    fn rec(lat: f64, secs: i64) -> FieldRecord {
        let mut r = FieldRecord::new("T1", SourceKind::Nmea, Timestamp(secs * 1000));
        r.position = Some(GeoPoint::new(lat, 125.32));
        r
    }

    fn thinner() -> Thinner {
        Thinner::new(ThinningConfig {
            min_distance_m: 20.0,
            max_interval_s: 30.0,
        })
    }

    #[test]
    fn two_positions_received_in_the_same_millisecond_stay_in_order() {
        let mut t = thinner();
        let mut a = rec(43.88, 10);
        a.fix_time = None;
        assert!(t.admit(&a));
        let mut b = rec(43.90, 10);
        b.fix_time = None;
        b.received_at = a.received_at;
        t.stamp(&mut b);
        assert_eq!(b.received_at.0, a.received_at.0 + 1);
        assert!(t.admit(&b));
        // A record with its own fix time is left as the device said.
        let mut c = rec(43.95, 5);
        c.fix_time = Some(Timestamp(5_000));
        let before = c.clone();
        t.stamp(&mut c);
        assert_eq!(c.received_at, before.received_at);
    }

    #[test]
    fn small_moves_are_dropped_until_the_interval_passes() {
        let mut t = thinner();
        assert!(t.admit(&rec(43.88, 0)));
        // ~11 m north, 5 s later: dropped.
        assert!(!t.admit(&rec(43.8801, 5)));
        // ~33 m from the last forwarded: forwarded.
        assert!(t.admit(&rec(43.8803, 6)));
        assert!(!t.admit(&rec(43.8803, 35)));
        assert!(t.admit(&rec(43.8803, 36)));
    }

    #[test]
    fn emergencies_and_status_changes_always_pass() {
        let mut t = thinner();
        assert!(t.admit(&rec(43.88, 0)));
        let mut e = rec(43.88, 1);
        e.emergency = true;
        assert!(t.admit(&e));
        assert!(t.admit(&e), "every emergency report is forwarded");
        let mut s = rec(43.88, 3);
        s.status = Some("M1 En Route".into());
        assert!(t.admit(&s), "emergency ended and status changed");
        assert!(!t.admit(&s));
        let other = FieldRecord {
            device: "T2".into(),
            ..rec(43.88, 3)
        };
        assert!(t.admit(&other), "devices are thinned separately");
    }
}
