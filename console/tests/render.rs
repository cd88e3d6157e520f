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
    // Every incident is drawn in its grade's colour where its position
    // projects (web mercator, from the map's centre and zoom as drawn).
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(shot.with_extension("map.json")).expect("map manifest"),
    )
    .expect("manifest is JSON");
    let map = &manifest["map"];
    let f = |k: &str| map[k].as_f64().expect(k);
    let world = |lat: f64, lon: f64| {
        let n = 256.0 * f("zoom").exp2();
        let y = (1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0;
        ((lon + 180.0) / 360.0 * n, y * n)
    };
    let (cx, cy) = world(f("center_lat"), f("center_lon"));
    let (mid_x, mid_y) = (
        (f("left") + f("right")) / 2.0,
        (f("top") + f("bottom")) / 2.0,
    );
    let incidents = manifest["incidents"].as_array().expect("incidents");
    assert!(incidents.len() >= 3, "the demo's incidents");
    let at = |x: i64, y: i64| {
        let i = ((y * i64::from(w) + x) * 3) as usize;
        [px[i], px[i + 1], px[i + 2]]
    };
    for inc in incidents {
        let (x, y) = world(inc["lat"].as_f64().unwrap(), inc["lon"].as_f64().unwrap());
        let scale = f("scale");
        let sx = ((mid_x + x - cx) * scale).round() as i64;
        let sy = ((mid_y + y - cy) * scale).round() as i64;
        let rgb: Vec<u8> = inc["rgb"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u8)
            .collect();
        // The disc's middle; a label drawn later may cross part of it.
        let near = (-1..=1)
            .flat_map(|dy| (-1..=1).map(move |dx| (dx, dy)))
            .filter(|(dx, dy)| {
                let p = at(sx + dx, sy + dy);
                p.iter()
                    .zip(&rgb)
                    .all(|(a, b)| (i16::from(*a) - i16::from(*b)).abs() <= 8)
            })
            .count();
        assert!(
            near >= 5,
            "{} ({}) not drawn in {rgb:?} at ({sx}, {sy}): {:?}",
            inc["title"],
            inc["grade"],
            at(sx, sy)
        );
    }
    // The offline basemap is drawn under the markers: land, a lake and
    // rivers in the basemap's colours inside the map's rectangle.
    let (l, t, r, b) = (
        f("left") as usize,
        f("top") as usize,
        f("right") as usize,
        f("bottom") as usize,
    );
    let map_px: Vec<u8> = (t..b)
        .flat_map(|y| px[(y * w as usize + l) * 3..(y * w as usize + r) * 3].to_vec())
        .collect();
    let area = (r - l) * (b - t);
    let land = count_near(&map_px, [0x22, 0x27, 0x2e], 3);
    assert!(land > area / 3, "basemap land: {land} of {area} pixels");
    let water = count_near(&map_px, [0x1b, 0x36, 0x52], 3);
    assert!(water > 100, "basemap lake: {water} pixels");
    let river = count_near(&map_px, [0x2c, 0x55, 0x7c], 12);
    assert!(river > 100, "basemap rivers: {river} pixels");
    // The LIVE badge is green.
    assert!(
        count_near(&px, [0x4c, 0xaf, 0x50], 8) > 200,
        "no LIVE badge"
    );
    std::fs::remove_dir_all(&dir).ok();
}
