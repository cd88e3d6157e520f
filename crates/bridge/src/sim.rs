//! Simulated field devices for demos and load: N units wander plausibly
//! around a centre (Changchun by default) and report through the bridge's
//! real inputs, as NMEA over UDP or CoT over TCP.

use domain::{GeoPoint, Timestamp};
use radio::{FieldRecord, SourceKind, cot, nmea};
use std::time::Duration;

/// One simulated unit: a heading that drifts, a speed between 0 and 15 m/s.
#[derive(Debug, Clone)]
pub struct Unit {
    /// Radio id.
    pub id: String,
    /// Where it is.
    pub at: GeoPoint,
    /// Course, degrees.
    pub course: f64,
    /// Speed, m/s.
    pub speed: f64,
}

/// A small deterministic generator (xorshift) so runs repeat from a seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded generator (a zero seed is replaced).
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` units scattered within `radius_m` of `centre`.
pub fn units(n: usize, centre: GeoPoint, radius_m: f64, rng: &mut Rng) -> Vec<Unit> {
    (0..n)
        .map(|i| {
            let (dn, de) = (
                (rng.unit() * 2.0 - 1.0) * radius_m,
                (rng.unit() * 2.0 - 1.0) * radius_m,
            );
            Unit {
                id: format!("SIM-{i:04}"),
                at: offset(centre, dn, de),
                course: rng.unit() * 360.0,
                speed: rng.unit() * 15.0,
            }
        })
        .collect()
}

fn offset(p: GeoPoint, north_m: f64, east_m: f64) -> GeoPoint {
    let dlat = north_m / 111_320.0;
    let dlon = east_m / (111_320.0 * p.lat.to_radians().cos());
    GeoPoint::new(p.lat + dlat, p.lon + dlon)
}

impl Unit {
    /// Moves for `dt` seconds, turning a little and keeping near `centre`.
    pub fn step(&mut self, dt: f64, centre: GeoPoint, radius_m: f64, rng: &mut Rng) {
        self.course = (self.course + (rng.unit() - 0.5) * 30.0).rem_euclid(360.0);
        self.speed = (self.speed + (rng.unit() - 0.5) * 2.0).clamp(0.0, 15.0);
        if self.at.distance_m(&centre) > radius_m {
            // Head back towards the centre.
            let back = (centre.lon - self.at.lon)
                .atan2(centre.lat - self.at.lat)
                .to_degrees();
            self.course = back.rem_euclid(360.0);
        }
        let d = self.speed * dt;
        let rad = self.course.to_radians();
        self.at = offset(self.at, d * rad.cos(), d * rad.sin());
    }

    /// The unit as a record at `t`.
    pub fn record(&self, t: Timestamp, source: SourceKind) -> FieldRecord {
        let mut r = FieldRecord::new(&self.id, source, t);
        r.position = Some(self.at);
        r.fix_time = Some(t);
        r.course_deg = Some(self.course as f32);
        r.speed_mps = Some(self.speed as f32);
        r.accuracy_m = Some(5.0);
        r
    }

    /// The unit's report as a CoT position event.
    pub fn cot(&self, t: Timestamp, exercise: bool) -> String {
        cot::encode_marker(&cot::Marker {
            uid: self.id.clone(),
            kind: "a-f-G-U-C".into(),
            callsign: self.id.clone(),
            point: self.at,
            ce: Some(5.0),
            time: t,
            stale_after_ms: 120_000,
            remarks: None,
            exercise,
        })
    }

    /// The unit's report as NMEA GGA + RMC.
    pub fn nmea(&self, t: Timestamp) -> String {
        nmea::encode(&self.record(t, SourceKind::Nmea), "GN").unwrap_or_default()
    }
}

/// Wire format the simulator speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SimFormat {
    /// NMEA datagrams to an `nmea-udp` input (one receiver per datagram
    /// source; each unit uses its own socket).
    Nmea,
    /// CoT over one TCP connection per unit to a `cot-tcp` input.
    Cot,
}

/// Runs the simulation against `target` until `duration` passes.
pub async fn run(
    format: SimFormat,
    target: std::net::SocketAddr,
    n: usize,
    interval: Duration,
    duration: Duration,
    seed: u64,
) -> anyhow::Result<()> {
    use tokio::io::AsyncWriteExt;
    let centre = GeoPoint::new(43.88, 125.32);
    let mut rng = Rng::new(seed);
    let mut us = units(n, centre, 5_000.0, &mut rng);
    let bind: std::net::SocketAddr = if target.is_ipv6() {
        "[::]:0"
    } else {
        "0.0.0.0:0"
    }
    .parse()?;
    let mut udp = Vec::new();
    let mut tcp = Vec::new();
    for _ in 0..n {
        match format {
            SimFormat::Nmea => udp.push(tokio::net::UdpSocket::bind(bind).await?),
            SimFormat::Cot => tcp.push(tokio::net::TcpStream::connect(target).await?),
        }
    }
    let end = tokio::time::Instant::now() + duration;
    let mut tick = tokio::time::interval(interval);
    while tokio::time::Instant::now() < end {
        tick.tick().await;
        let t = crate::input::now();
        for (i, u) in us.iter_mut().enumerate() {
            u.step(interval.as_secs_f64(), centre, 5_000.0, &mut rng);
            match format {
                SimFormat::Nmea => {
                    udp[i].send_to(u.nmea(t).as_bytes(), target).await?;
                }
                SimFormat::Cot => tcp[i].write_all(u.cot(t, false).as_bytes()).await?,
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_stay_near_changchun_and_move_plausibly() {
        let centre = GeoPoint::new(43.88, 125.32);
        let mut rng = Rng::new(7);
        let mut us = units(20, centre, 5_000.0, &mut rng);
        for _ in 0..600 {
            for u in &mut us {
                let before = u.at;
                u.step(1.0, centre, 5_000.0, &mut rng);
                assert!(before.distance_m(&u.at) <= 15.1);
            }
        }
        for u in &us {
            assert!(u.at.distance_m(&centre) < 8_000.0, "{u:?}");
            let r = radio::nmea::parse(
                u.nmea(Timestamp(1_795_000_000_000))
                    .lines()
                    .next()
                    .unwrap_or("")
                    .as_bytes(),
                "x",
                Timestamp(1_795_000_000_000),
            );
            assert!(r.is_ok());
        }
    }
}
