//! Bad basemap and source files give typed errors, never a panic.

use basemap::extract::{ExtractError, read_gshhg, read_shapefile};
use basemap::{BBox, Basemap, LoadError};
use proptest::prelude::*;

const GOOD: &str = r#"{"version":1,"sources":[],"overview":{"west":0,"south":0,"east":1,"north":1},
"regions":[],"features":[{"kind":"river","level":"overview","parts":[[[0.1,0.1],[0.5,0.5]]]}]}"#;

#[test]
fn a_small_good_file_loads_with_its_boxes() {
    let map = Basemap::from_slice(GOOD.as_bytes()).expect("loads");
    let b = map.features[0].bbox.expect("box computed on load");
    assert_eq!((b.west, b.north), (0.1, 0.5));
}

#[test]
fn malformed_files_are_refused_with_the_reason() {
    assert!(matches!(
        Basemap::from_slice(b"{not json"),
        Err(LoadError::Json { .. })
    ));
    let v2 = GOOD.replace("\"version\":1", "\"version\":2");
    assert!(matches!(
        Basemap::from_slice(v2.as_bytes()),
        Err(LoadError::Version { found: 2 })
    ));
    let off = GOOD.replace("[0.5,0.5]", "[0.5,95.0]");
    assert!(matches!(
        Basemap::from_slice(off.as_bytes()),
        Err(LoadError::Invalid { index: 0, .. })
    ));
    let short = GOOD.replace("[[0.1,0.1],[0.5,0.5]]", "[[0.1,0.1]]");
    assert!(matches!(
        Basemap::from_slice(short.as_bytes()),
        Err(LoadError::Invalid { .. })
    ));
    let missing = std::path::Path::new("/nonexistent/basemap.json");
    assert!(matches!(Basemap::load(missing), Err(LoadError::Io { .. })));
}

proptest! {
    #[test]
    fn random_bytes_never_panic_the_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Basemap::from_slice(&bytes);
    }

    #[test]
    fn damaged_good_files_never_panic_the_decoder(cut in 0usize..GOOD.len(), flip in any::<u8>()) {
        let mut b = GOOD.as_bytes().to_vec();
        b[cut] ^= flip;
        let _ = Basemap::from_slice(&b);
        let _ = Basemap::from_slice(&GOOD.as_bytes()[..cut]);
    }
}

fn temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("basemap-{}-{name}", std::process::id()));
    std::fs::write(&p, bytes).expect("write");
    p
}

const WORLD: BBox = BBox {
    west: -180.0,
    south: -90.0,
    east: 180.0,
    north: 90.0,
};

/// A shapefile with one polyline record of `points`.
fn shapefile(points: &[[f64; 2]]) -> Vec<u8> {
    let mut rec = Vec::new();
    rec.extend(3i32.to_le_bytes());
    for v in [0.0f64, 0.0, 1.0, 1.0] {
        rec.extend(v.to_le_bytes());
    }
    rec.extend(1i32.to_le_bytes());
    rec.extend((points.len() as i32).to_le_bytes());
    rec.extend(0i32.to_le_bytes());
    for [x, y] in points {
        rec.extend(x.to_le_bytes());
        rec.extend(y.to_le_bytes());
    }
    let mut f = vec![0u8; 100];
    f[..4].copy_from_slice(&9994u32.to_be_bytes());
    f.extend(1u32.to_be_bytes());
    f.extend(((rec.len() / 2) as u32).to_be_bytes());
    f.extend(rec);
    f
}

#[test]
fn a_shapefile_polyline_is_read_and_a_truncated_one_refused() {
    let good = shapefile(&[[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]]);
    let p = temp("good.shp", &good);
    let lines = read_shapefile(&p, &WORLD).expect("reads");
    assert_eq!(lines, vec![vec![[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]]]);
    let p = temp("cut.shp", &good[..good.len() - 5]);
    assert!(matches!(
        read_shapefile(&p, &WORLD),
        Err(ExtractError::Shape { .. })
    ));
    let p = temp("notshp.shp", b"hello");
    assert!(read_shapefile(&p, &WORLD).is_err());
}

#[test]
fn a_gshhg_segment_is_read_and_one_past_the_data_refused() {
    let mut data = Vec::new();
    for v in [120.0f32, 30.0, 121.0, 30.0, 121.0, 31.0, 120.0, 30.0] {
        data.extend(v.to_le_bytes());
    }
    let d = temp("g.dat", &data);
    let m = temp("gmeta.dat", b"2 10.0 4 30.0 31.0 0 32 7\n");
    let segs = read_gshhg(&m, &d, &WORLD).expect("reads");
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].level, 2);
    assert_eq!(segs[0].points[2], [121.0, 31.0]);
    let m = temp("gmeta-bad.dat", b"2 10.0 4 30.0 31.0 8 32 7\n");
    assert!(matches!(
        read_gshhg(&m, &d, &WORLD),
        Err(ExtractError::Index { line: 1, .. })
    ));
    let m = temp("gmeta-short.dat", b"2 10.0 4\n");
    assert!(read_gshhg(&m, &d, &WORLD).is_err());
}
