//! Cursor-on-Target: the stream splitter, then each document parsed.
#![no_main]
use libfuzzer_sys::fuzz_target;
use radio::cot::{EventSplitter, MAX_EVENT, parse};

fuzz_target!(|data: &[u8]| {
    let _ = parse(data);
    let mut splitter = EventSplitter::new(MAX_EVENT);
    for doc in splitter.push(data).into_iter().flatten() {
        if let Ok(ev) = parse(&doc) {
            let _ = ev.record(domain::Timestamp(0));
        }
    }
});
