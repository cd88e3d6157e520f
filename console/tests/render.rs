//! Renders the demo in a real window (Xvfb + Mesa under `cargo xtask test`)
//! and checks the screenshot shows the picture.

use std::path::PathBuf;
use std::process::Command;

fn decode(path: &PathBuf) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).expect("screenshot exists");
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("screenshot is a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("sane size")];
    let info = reader.next_frame(&mut buf).expect("PNG decodes");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn count_near(pixels: &[u8], rgb: [u8; 3], tolerance: i16) -> usize {
    pixels
        .chunks_exact(3)
        .filter(|p| {
            p.iter()
                .zip(rgb)
                .all(|(a, b)| (i16::from(*a) - i16::from(b)).abs() <= tolerance)
        })
        .count()
}

#[test]
fn demo_renders_the_operational_picture_in_a_real_window() {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "needs an X display: run the tests through `cargo xtask test` (Xvfb)"
    );
    let dir = std::env::temp_dir().join(format!("console-render-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let shot = dir.join("demo.png");
    let out = Command::new(env!("CARGO_BIN_EXE_console"))
        .args(["demo", "--screenshot"])
        .arg(&shot)
        .output()
        .expect("console starts");
    assert!(
        out.status.success(),
        "console failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (w, h, px) = decode(&shot);
    assert_eq!((w, h), (1600, 900));

    // Not a blank or black frame: panels, map and text are there.
    let distinct: std::collections::HashSet<&[u8]> = px.chunks_exact(3).collect();
    assert!(distinct.len() > 500, "only {} colours", distinct.len());
    // The 较大 incident's yellow and the 一般 incidents' blue frames are drawn.
    assert!(
        count_near(&px, [0xfd, 0xd8, 0x35], 8) > 500,
        "no 较大 yellow"
    );
    assert!(count_near(&px, [0x42, 0xa5, 0xf5], 8) > 500, "no 一般 blue");
    // The LIVE badge is green.
    assert!(
        count_near(&px, [0x4c, 0xaf, 0x50], 8) > 200,
        "no LIVE badge"
    );
    std::fs::remove_dir_all(&dir).ok();
}
