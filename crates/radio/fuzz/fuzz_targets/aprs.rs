//! KISS de-framing, AX.25 decoding and APRS parsing, as the bridge chains them.
#![no_main]
use libfuzzer_sys::fuzz_target;
use radio::{aprs, ax25::UiFrame, kiss};

fuzz_target!(|data: &[u8]| {
    let now = domain::Timestamp(1_795_000_000_000);
    let mut decoder = kiss::KissDecoder::new();
    // Also treat the whole input as one AX.25 frame, to reach APRS directly.
    let frames = decoder
        .push(data)
        .into_iter()
        .flatten()
        .map(|f| f.data)
        .chain(std::iter::once(data.to_vec()));
    for f in frames {
        assert!(f.len() <= kiss::MAX_FRAME.max(data.len()));
        if let Ok(ui) = UiFrame::decode(&f) {
            // Re-encoding a decoded frame decodes to the same frame.
            assert_eq!(UiFrame::decode(&ui.encode()).as_ref(), Ok(&ui));
            if let Ok(aprs::Packet::Position(r)) = aprs::parse(&ui, now) {
                assert!(r.position.is_some_and(|p| p.is_valid()));
            }
        }
    }
});
