//! Drawing one web-mercator tile from the vector features.

use crate::{BBox, Basemap, Kind, Level, tile_bbox};
use tiny_skia::{
    Color, FillRule, LineCap, LineJoin, Paint, PathBuilder, Pixmap, Rect, Stroke, StrokeDash,
    Transform,
};

/// From this zoom on, a tile wholly inside a detailed region is drawn from
/// detail features alone.
pub const DETAIL_FROM: u8 = 9;

/// The basemap's colours, as RGB. The default is the console's: dark and
/// quiet, so that markers carry the colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    /// Outside every covered box: nothing is known there.
    pub nodata: [u8; 3],
    pub sea: [u8; 3],
    pub land: [u8; 3],
    pub water: [u8; 3],
    pub river: [u8; 3],
    pub province: [u8; 3],
    pub country: [u8; 3],
}

impl Default for Palette {
    fn default() -> Self {
        Palette {
            nodata: [0x16, 0x19, 0x1e],
            sea: [0x14, 0x24, 0x36],
            land: [0x22, 0x27, 0x2e],
            water: [0x1b, 0x36, 0x52],
            river: [0x2c, 0x55, 0x7c],
            province: [0x6a, 0x62, 0x80],
            country: [0x8c, 0x74, 0x9a],
        }
    }
}

/// A drawn tile: `size`×`size` RGBA pixels, opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileImage {
    pub size: u32,
    pub rgba: Vec<u8>,
}

impl TileImage {
    /// The colour at pixel `(x, y)`.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * self.size + x) * 4) as usize;
        [self.rgba[i], self.rgba[i + 1], self.rgba[i + 2]]
    }
}

fn colour([r, g, b]: [u8; 3]) -> Color {
    Color::from_rgba8(r, g, b, 255)
}

fn paint(rgb: [u8; 3]) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color(colour(rgb));
    p.anti_alias = true;
    p
}

/// Projects `[lon, lat]` to pixels in the tile whose top-left world pixel is
/// `origin`, at `scale` world pixels per unit of mercator x.
struct Projection {
    scale: f64,
    origin: (f64, f64),
}

impl Projection {
    fn at(&self, [lon, lat]: [f64; 2]) -> (f32, f32) {
        let x = (lon + 180.0) / 360.0;
        let r = lat.clamp(-85.06, 85.06).to_radians();
        let y = (1.0 - r.tan().asinh() / std::f64::consts::PI) / 2.0;
        (
            (x * self.scale - self.origin.0) as f32,
            (y * self.scale - self.origin.1) as f32,
        )
    }

    fn rect(&self, b: &BBox) -> Option<Rect> {
        let (x0, y0) = self.at([b.west, b.north]);
        let (x1, y1) = self.at([b.east, b.south]);
        Rect::from_ltrb(x0, y0, x1, y1)
    }
}

pub(crate) fn tile(
    map: &Basemap,
    z: u8,
    x: u32,
    y: u32,
    size: u32,
    palette: &Palette,
) -> Option<TileImage> {
    let z = z.min(24);
    let bounds = tile_bbox(z, x, y);
    if !map.covers(&bounds) {
        return None;
    }
    let mut pixmap = Pixmap::new(size, size)?;
    pixmap.fill(colour(palette.nodata));
    let n = f64::from(1u32 << z);
    let scale = n * f64::from(size);
    let proj = Projection {
        scale,
        origin: (
            f64::from(x) * f64::from(size),
            f64::from(y) * f64::from(size),
        ),
    };
    // What is known is sea until land is drawn over it.
    let covered = std::iter::once(&map.overview).chain(map.regions.iter().map(|r| &r.bbox));
    for b in covered {
        if let Some(r) = proj.rect(b) {
            pixmap.fill_rect(r, &paint(palette.sea), Transform::identity(), None);
        }
    }

    let in_region = map.regions.iter().any(|r| r.bbox.intersects(&bounds));
    let inside_region = map.regions.iter().any(|r| r.bbox.contains(&bounds));
    let use_detail = z >= DETAIL_FROM && in_region;
    let use_overview = !(use_detail && inside_region);
    // Lines are wider than a pixel: cull with a margin of a few pixels.
    let margin = (bounds.east - bounds.west) * 8.0 / f64::from(size);
    let culled = bounds.grown(margin);
    let px = f32::max(1.0, size as f32 / 256.0);

    let mut order: Vec<&crate::Feature> = map
        .features
        .iter()
        .filter(|f| match f.level {
            Level::Overview => use_overview,
            Level::Detail => use_detail,
        })
        .filter(|f| f.bbox.is_some_and(|b| b.intersects(&culled)))
        // Below zoom 6 province lines are a tangle; national ones stay.
        .filter(|f| f.kind != Kind::Province || z >= 6)
        .collect();
    // Areas by level, then lines; overview before detail within a kind.
    order.sort_by_key(|f| (f.kind, f.level == Level::Detail));

    for f in order {
        let Some(path) = path_of(f, &proj) else {
            continue;
        };
        match f.kind {
            Kind::Land | Kind::Island => {
                pixmap.fill_path(
                    &path,
                    &paint(palette.land),
                    FillRule::EvenOdd,
                    Transform::identity(),
                    None,
                );
            }
            Kind::Lake | Kind::Pond => {
                pixmap.fill_path(
                    &path,
                    &paint(palette.water),
                    FillRule::EvenOdd,
                    Transform::identity(),
                    None,
                );
            }
            Kind::River => {
                let width = (0.5 + (f32::from(z) - 8.0) * 0.35).clamp(0.6, 3.0) * px;
                let stroke = Stroke {
                    width,
                    line_cap: LineCap::Round,
                    line_join: LineJoin::Round,
                    ..Stroke::default()
                };
                pixmap.stroke_path(
                    &path,
                    &paint(palette.river),
                    &stroke,
                    Transform::identity(),
                    None,
                );
            }
            Kind::Province | Kind::Country => {
                let (rgb, width, dash) = if f.kind == Kind::Country {
                    (
                        palette.country,
                        1.6 * px,
                        vec![8.0 * px, 3.0 * px, 2.0 * px, 3.0 * px],
                    )
                } else {
                    (palette.province, 1.0 * px, vec![5.0 * px, 3.0 * px])
                };
                let stroke = Stroke {
                    width,
                    dash: StrokeDash::new(dash, 0.0),
                    ..Stroke::default()
                };
                pixmap.stroke_path(&path, &paint(rgb), &stroke, Transform::identity(), None);
            }
        }
    }
    Some(TileImage {
        size,
        rgba: pixmap.take(),
    })
}

fn path_of(f: &crate::Feature, proj: &Projection) -> Option<tiny_skia::Path> {
    let mut pb = PathBuilder::new();
    for part in &f.parts {
        let mut points = part.iter().map(|p| proj.at(*p));
        let (x, y) = points.next()?;
        pb.move_to(x, y);
        for (x, y) in points {
            pb.line_to(x, y);
        }
        if f.kind.is_area() {
            pb.close();
        }
    }
    pb.finish()
}
