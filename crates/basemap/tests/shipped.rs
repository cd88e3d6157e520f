//! The shipped basemap draws what its sources say, where they say it.

use basemap::{BBox, Basemap, Kind, Level, Palette, tile_of};
use std::path::Path;

fn shipped() -> Basemap {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/basemap/basemap.json");
    Basemap::load(&path).expect("the shipped basemap loads")
}

/// The colour drawn at `(lon, lat)` at zoom `z`.
fn colour_at(map: &Basemap, z: u8, lon: f64, lat: f64) -> Option<[u8; 3]> {
    let (x, y) = tile_of(z, lon, lat);
    let img = map.tile(z, x, y, 256, &Palette::default())?;
    // The pixel within the tile, by the same mercator formula.
    let n = f64::from(1u32 << z) * 256.0;
    let px = ((lon + 180.0) / 360.0 * n) as u32 - x * 256;
    let r = lat.to_radians();
    let py = ((1.0 - r.tan().asinh() / std::f64::consts::PI) / 2.0 * n) as u32 - y * 256;
    Some(img.pixel(px, py))
}

#[test]
fn the_shipped_basemap_covers_both_demo_regions_in_detail() {
    let map = shipped();
    for (lon, lat) in [(125.324, 43.887), (121.145, 28.858)] {
        let here = BBox {
            west: lon,
            south: lat,
            east: lon,
            north: lat,
        };
        assert!(
            map.regions.iter().any(|r| r.bbox.contains(&here)),
            "({lon}, {lat}) outside every detailed region"
        );
    }
    let detail = |kind| {
        map.features
            .iter()
            .filter(|f| f.level == Level::Detail && f.kind == kind)
            .count()
    };
    assert!(detail(Kind::River) > 10, "rivers");
    assert!(detail(Kind::Lake) > 5, "lakes");
    assert!(detail(Kind::Land) > 20, "land");
}

#[test]
fn water_land_and_sea_are_drawn_where_the_data_puts_them() {
    let map = shipped();
    let p = Palette::default();
    // 石头口门水库, east of Changchun, is a lake in GSHHG.
    assert_eq!(colour_at(&map, 13, 125.79, 43.925), Some(p.water));
    // Changchun's People's Square is on land.
    assert_eq!(colour_at(&map, 13, 125.324, 43.887), Some(p.land));
    // Off the coast of Taizhou is the East China Sea.
    assert_eq!(colour_at(&map, 11, 121.8, 28.3), Some(p.sea));
    // Linhai city is on land.
    assert_eq!(colour_at(&map, 12, 121.12, 28.86), Some(p.land));
}

#[test]
fn places_the_basemap_knows_nothing_about_are_not_drawn_as_sea_or_land() {
    let map = shipped();
    // Hainan is outside every box: no tile at all.
    assert_eq!(colour_at(&map, 10, 110.3, 20.0), None);
    // A world tile reaches into the overview box: drawn, with unknown
    // parts in the no-data colour.
    let img = map
        .tile(2, 3, 1, 256, &Palette::default())
        .expect("world tile");
    let nodata = Palette::default().nodata;
    let unknown = img
        .rgba
        .chunks_exact(4)
        .filter(|c| c[..3] == nodata)
        .count();
    assert!(
        unknown > 256 * 128,
        "most of the tile is unknown: {unknown}"
    );
}

#[test]
fn a_river_through_changchun_is_drawn_at_city_zoom() {
    let map = shipped();
    let p = Palette::default();
    // The tile over the city holds river pixels (伊通河).
    let (x, y) = tile_of(11, 125.35, 43.87);
    let img = map.tile(11, x, y, 256, &p).expect("tile");
    let river = img
        .rgba
        .chunks_exact(4)
        .filter(|c| c[..3] == p.river)
        .count();
    assert!(river > 50, "{river} river pixels");
}

#[test]
fn tiles_are_the_same_bytes_every_time() {
    let map = shipped();
    let (x, y) = tile_of(10, 121.3, 28.8);
    let a = map.tile(10, x, y, 256, &Palette::default());
    let b = map.tile(10, x, y, 256, &Palette::default());
    assert!(a.is_some());
    assert_eq!(a, b);
}
