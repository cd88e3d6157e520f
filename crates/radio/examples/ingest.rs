//! Ingest throughput per core: one thread frames and parses a stream of each
//! format, as a bridge input does, and reports records per second.
//!
//! `cargo run --release -p radio --example ingest [records]`

use domain::{GeoPoint, Timestamp};
use radio::{FieldRecord, SourceKind, aprs, ax25, cot, gpsd, kiss, nmea};
use std::time::Instant;

fn record(i: usize, t: Timestamp) -> FieldRecord {
    let mut r = FieldRecord::new(format!("UNIT-{}", i % 1000), SourceKind::Nmea, t);
    let f = (i % 997) as f64 / 997.0;
    r.position = Some(GeoPoint::new(43.80 + 0.15 * f, 125.25 + 0.15 * f));
    r.fix_time = Some(t);
    r.altitude_m = Some(215.3);
    r.accuracy_m = Some(4.0);
    r.course_deg = Some(87.0);
    r.speed_mps = Some(8.5);
    r
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let t = Timestamp(1_795_000_000_000);

    // NMEA: GGA + RMC per fix, both parsed (2 records per fix).
    let mut nmea_stream = Vec::new();
    for i in 0..n / 2 {
        nmea_stream.extend(
            nmea::encode(&record(i, t), "GN")
                .unwrap_or_default()
                .into_bytes(),
        );
    }
    let gpsd_stream: Vec<u8> = (0..n)
        .flat_map(|i| {
            gpsd::encode_tpv(&record(i, t))
                .unwrap_or_default()
                .into_bytes()
        })
        .collect();
    let me = ax25::Address::parse("APDW17").unwrap_or_else(|_| unreachable!());
    let kiss_stream: Vec<u8> = (0..n)
        .flat_map(|i| {
            let r = record(i, t);
            let info = if i % 2 == 0 {
                aprs::encode_position(&r, ('/', '>')).unwrap_or_default()
            } else {
                aprs::encode_compressed(r.position.unwrap_or(GeoPoint::new(0.0, 0.0)), ('/', '>'))
            };
            let frame = ax25::UiFrame {
                destination: me.clone(),
                source: ax25::Address::parse(&format!("BG2A{:02}", i % 100))
                    .unwrap_or_else(|_| unreachable!()),
                digipeaters: vec![
                    ax25::Address::parse("WIDE1-1").unwrap_or_else(|_| unreachable!()),
                ],
                info,
            };
            kiss::encode(0, &frame.encode())
        })
        .collect();
    let cot_stream: Vec<u8> = (0..n)
        .flat_map(|i| {
            let r = record(i, t);
            cot::encode_marker(&cot::Marker {
                uid: r.device.clone(),
                kind: "a-f-G-U-C".into(),
                callsign: format!("救援{}", i % 1000),
                point: r.position.unwrap_or(GeoPoint::new(0.0, 0.0)),
                ce: Some(5.0),
                time: t,
                stale_after_ms: 120_000,
                remarks: Some("到达 待命".into()),
                exercise: false,
            })
            .into_bytes()
        })
        .collect();

    println!("format   records   bytes/record   records/s (one core)");
    bench("nmea", &nmea_stream, || {
        let mut f = nmea::LineFramer::new(nmea::MAX_SENTENCE);
        Box::new(move |bytes| {
            f.push(bytes)
                .into_iter()
                .filter(|l| matches!(l, nmea::Line::Complete(l) if nmea::parse(l, "rx", t).is_ok()))
                .count()
        })
    });
    bench("gpsd", &gpsd_stream, || {
        let mut f = nmea::LineFramer::new(gpsd::MAX_LINE);
        Box::new(move |bytes| {
            f.push(bytes)
            .into_iter()
            .filter(|l| {
                matches!(l, nmea::Line::Complete(l) if matches!(gpsd::parse(l, "g", t), Ok(gpsd::Report::Tpv(_))))
            })
            .count()
        })
    });
    bench("aprs", &kiss_stream, || {
        let mut d = kiss::KissDecoder::new();
        Box::new(move |bytes| {
            d.push(bytes)
                .into_iter()
                .flatten()
                .filter(|f| {
                    ax25::UiFrame::decode(&f.data)
                        .and_then(|ui| aprs::parse(&ui, t))
                        .is_ok()
                })
                .count()
        })
    });
    bench("cot", &cot_stream, || {
        let mut s = cot::EventSplitter::new(cot::MAX_EVENT);
        Box::new(move |bytes| {
            s.push(bytes)
                .into_iter()
                .flatten()
                .filter(|d| cot::parse(d).is_ok())
                .count()
        })
    });
}

/// A fresh stream decoder: bytes in, good records out.
type Decoder = Box<dyn FnMut(&[u8]) -> usize>;

/// Feeds the stream in 16 KiB reads, as a socket would deliver it, to a
/// fresh decoder each run; best of three.
fn bench(name: &str, stream: &[u8], make: impl Fn() -> Decoder) {
    let mut best = f64::MAX;
    let mut count = 0;
    for _ in 0..3 {
        let mut run = make();
        let start = Instant::now();
        count = stream.chunks(16 * 1024).map(&mut run).sum::<usize>();
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "{name:<8} {count:>8} {:>14.0} {:>20.0}",
        stream.len() as f64 / count.max(1) as f64,
        count as f64 / best
    );
}
