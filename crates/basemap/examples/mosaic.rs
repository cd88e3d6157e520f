//! Draws a block of tiles around a place into one PNG, to look at:
//! `cargo run -p basemap --example mosaic -- FILE ZOOM LON LAT OUT.png`.

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let [_, file, zoom, lon, lat, out_png] = &a[..] else {
        eprintln!("usage: mosaic FILE ZOOM LON LAT OUT.png");
        std::process::exit(2);
    };
    let map = basemap::Basemap::load(std::path::Path::new(file)).expect("basemap");
    let z: u8 = zoom.parse().expect("zoom");
    let (cx, cy) = basemap::tile_of(z, lon.parse().expect("lon"), lat.parse().expect("lat"));
    let (w, h) = (4u32, 3u32);
    let mut out = tiny_skia::Pixmap::new(w * 256, h * 256).expect("pixmap");
    let palette = basemap::Palette::default();
    let t = std::time::Instant::now();
    for dy in 0..h {
        for dx in 0..w {
            let (x, y) = (
                (cx + dx).saturating_sub(w / 2),
                (cy + dy).saturating_sub(h / 2),
            );
            if let Some(img) = map.tile(z, x, y, 256, &palette) {
                let tile = tiny_skia::Pixmap::from_vec(
                    img.rgba,
                    tiny_skia::IntSize::from_wh(256, 256).expect("size"),
                )
                .expect("tile");
                out.draw_pixmap(
                    (dx * 256) as i32,
                    (dy * 256) as i32,
                    tile.as_ref(),
                    &tiny_skia::PixmapPaint::default(),
                    tiny_skia::Transform::identity(),
                    None,
                );
            }
        }
    }
    eprintln!("{} tiles in {:?}", w * h, t.elapsed());
    out.save_png(out_png).expect("write");
}
