//! NMEA: the line framer over arbitrary bytes, then every line parsed.
#![no_main]
use libfuzzer_sys::fuzz_target;
use radio::nmea::{LineFramer, Line, MAX_SENTENCE, parse};

fuzz_target!(|data: &[u8]| {
    let now = domain::Timestamp(1_795_000_000_000);
    let _ = parse(data, "fuzz", now);
    let mut framer = LineFramer::new(MAX_SENTENCE);
    for line in framer.push(data) {
        if let Line::Complete(l) = line {
            assert!(l.len() <= MAX_SENTENCE);
            if let Ok(s) = parse(&l, "fuzz", now)
                && let Some(p) = s.record.position
            {
                assert!(p.is_valid());
            }
        }
    }
});
