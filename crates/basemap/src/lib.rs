//! The offline basemap. Open geographic data (GSHHG shorelines, lakes and
//! rivers; Natural Earth boundaries) is cut to the regions the centre
//! covers by `basemap-extract` and shipped as one small vector file; the
//! console draws raster tiles from it on demand, at any zoom, without a
//! network. Place names are not baked into tiles: the console draws them
//! as text, so they follow the language switch.

pub mod extract;
mod render;

pub use render::{Palette, TileImage};

use serde::{Deserialize, Serialize};
use std::path::Path;

/// The most a basemap file may weigh; the shipped one is far smaller.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// The most points one feature may carry.
pub const MAX_FEATURE_POINTS: usize = 1_000_000;
/// The file format's version.
pub const VERSION: u32 = 1;

/// A west–south–east–north box in degrees (WGS-84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

impl BBox {
    /// Whether the two boxes share any point.
    pub fn intersects(&self, o: &BBox) -> bool {
        self.west <= o.east && o.west <= self.east && self.south <= o.north && o.south <= self.north
    }

    /// Whether `o` lies wholly inside this box.
    pub fn contains(&self, o: &BBox) -> bool {
        self.west <= o.west && o.east <= self.east && self.south <= o.south && o.north <= self.north
    }

    /// The box around `points`, or `None` for no points.
    pub fn around<'a>(points: impl IntoIterator<Item = &'a [f64; 2]>) -> Option<BBox> {
        let mut b: Option<BBox> = None;
        for [x, y] in points {
            let bb = b.get_or_insert(BBox {
                west: *x,
                south: *y,
                east: *x,
                north: *y,
            });
            bb.west = bb.west.min(*x);
            bb.east = bb.east.max(*x);
            bb.south = bb.south.min(*y);
            bb.north = bb.north.max(*y);
        }
        b
    }

    /// The box grown by `d` degrees on every side.
    pub fn grown(&self, d: f64) -> BBox {
        BBox {
            west: self.west - d,
            south: self.south - d,
            east: self.east + d,
            north: self.north + d,
        }
    }
}

/// What a feature is; polygons are drawn in this order, lines over them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Land (GSHHG level 1).
    Land,
    /// A lake or reservoir (level 2).
    Lake,
    /// An island in a lake (level 3).
    Island,
    /// A pond on such an island (level 4).
    Pond,
    /// A river.
    River,
    /// A province's (or state's) boundary.
    Province,
    /// A national boundary on land.
    Country,
}

impl Kind {
    /// Drawn as filled rings (even-odd), not as lines.
    pub fn is_area(self) -> bool {
        matches!(self, Kind::Land | Kind::Lake | Kind::Island | Kind::Pond)
    }
}

/// How fine a feature is: overview features serve small scales and every
/// place outside the detailed regions; detail features serve the regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Overview,
    Detail,
}

/// One feature: rings of an area (filled even-odd together) or the pieces
/// of a line, as `[lon, lat]` points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    pub kind: Kind,
    pub level: Level,
    pub parts: Vec<Vec<[f64; 2]>>,
    /// Computed on load, for culling.
    #[serde(skip)]
    pub bbox: Option<BBox>,
}

/// A named region the basemap covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    pub name: String,
    pub bbox: BBox,
}

/// The whole basemap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Basemap {
    pub version: u32,
    /// Where the data came from (packages and versions), for the credits.
    pub sources: Vec<String>,
    /// The box the overview features cover.
    pub overview: BBox,
    /// The regions with detail features.
    pub regions: Vec<Region>,
    pub features: Vec<Feature>,
}

/// Why a basemap file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is {size} bytes; a basemap may be at most {MAX_FILE_BYTES}")]
    TooLarge { path: String, size: u64 },
    #[error("{path} is not a basemap file: {source}")]
    Json {
        path: String,
        source: serde_json::Error,
    },
    #[error("basemap format version {found}; this build reads {VERSION}")]
    Version { found: u32 },
    #[error("feature {index}: {why}")]
    Invalid { index: usize, why: &'static str },
}

impl Basemap {
    /// Reads and checks a basemap file.
    pub fn load(path: &Path) -> Result<Basemap, LoadError> {
        let shown = path.display().to_string();
        let io = |source| LoadError::Io {
            path: shown.clone(),
            source,
        };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > MAX_FILE_BYTES {
            return Err(LoadError::TooLarge { path: shown, size });
        }
        let bytes = std::fs::read(path).map_err(io)?;
        Self::from_slice(&bytes).map_err(|e| match e {
            LoadError::Json { source, .. } => LoadError::Json {
                path: shown,
                source,
            },
            other => other,
        })
    }

    /// Decodes and checks a basemap from its JSON text.
    pub fn from_slice(bytes: &[u8]) -> Result<Basemap, LoadError> {
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(LoadError::TooLarge {
                path: "(memory)".into(),
                size: bytes.len() as u64,
            });
        }
        let mut map: Basemap = serde_json::from_slice(bytes).map_err(|source| LoadError::Json {
            path: "(memory)".into(),
            source,
        })?;
        if map.version != VERSION {
            return Err(LoadError::Version { found: map.version });
        }
        for (index, f) in map.features.iter_mut().enumerate() {
            let points: usize = f.parts.iter().map(Vec::len).sum();
            if points > MAX_FEATURE_POINTS {
                return Err(LoadError::Invalid {
                    index,
                    why: "too many points",
                });
            }
            let least = if f.kind.is_area() { 3 } else { 2 };
            if f.parts.iter().any(|p| p.len() < least) {
                return Err(LoadError::Invalid {
                    index,
                    why: "a ring or line with too few points",
                });
            }
            if f.parts
                .iter()
                .flatten()
                .any(|[x, y]| !x.is_finite() || !y.is_finite() || x.abs() > 180.0 || y.abs() > 90.0)
            {
                return Err(LoadError::Invalid {
                    index,
                    why: "a point off the globe",
                });
            }
            f.bbox = BBox::around(f.parts.iter().flatten());
        }
        Ok(map)
    }

    /// Whether anything is known inside `b`.
    pub fn covers(&self, b: &BBox) -> bool {
        self.overview.intersects(b) || self.regions.iter().any(|r| r.bbox.intersects(b))
    }

    /// Draws tile `z/x/y` as `size`×`size` RGBA pixels, or `None` where the
    /// basemap knows nothing (the console then shows its plain background).
    pub fn tile(&self, z: u8, x: u32, y: u32, size: u32, palette: &Palette) -> Option<TileImage> {
        render::tile(self, z, x, y, size, palette)
    }
}

/// The box of web-mercator tile `z/x/y`.
pub fn tile_bbox(z: u8, x: u32, y: u32) -> BBox {
    let n = f64::from(1u32 << z.min(30));
    let lon = |x: f64| x / n * 360.0 - 180.0;
    let lat = |y: f64| {
        (std::f64::consts::PI * (1.0 - 2.0 * y / n))
            .sinh()
            .atan()
            .to_degrees()
    };
    BBox {
        west: lon(f64::from(x)),
        east: lon(f64::from(x) + 1.0),
        north: lat(f64::from(y)),
        south: lat(f64::from(y) + 1.0),
    }
}

/// The tile at zoom `z` holding `(lon, lat)`.
pub fn tile_of(z: u8, lon: f64, lat: f64) -> (u32, u32) {
    let n = f64::from(1u32 << z.min(30));
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let r = lat.to_radians();
    let y = ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    (x.clamp(0.0, n - 1.0) as u32, y.clamp(0.0, n - 1.0) as u32)
}
