//! gpsd JSON reports.
#![no_main]
use libfuzzer_sys::fuzz_target;
use radio::gpsd::{Report, parse};

fuzz_target!(|data: &[u8]| {
    if let Ok(Report::Tpv(r)) = parse(data, "fuzz", domain::Timestamp(1_795_000_000_000)) {
        assert!(r.position.is_some_and(|p| p.is_valid()));
    }
});
