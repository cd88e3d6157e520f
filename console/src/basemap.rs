//! The basemap under the markers: by default the offline vector basemap
//! shipped in `assets/basemap` (shores, lakes, rivers and boundaries from
//! open data, drawn into tiles on demand), or the operator's own source
//! (`--tiles`): a directory of z/x/y PNGs, a PMTiles or MBTiles file, or an
//! XYZ URL template of their own tile server. Sources in GCJ-02 (most Chinese web maps) get marker
//! positions shifted from WGS-84, so markers sit on the right street.

use bevy_egui::egui;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use walkers::{Tile, TileId, TilePiece, Tiles, sources::Attribution};

/// Where tiles come from, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileSpec {
    /// A vector basemap file (`basemap.json`), drawn into tiles here.
    Vector(PathBuf),
    /// A directory of `{z}/{x}/{y}.png`.
    Dir(PathBuf),
    /// A PMTiles file (raster tiles).
    PmTiles(PathBuf),
    /// An MBTiles file (SQLite, raster tiles).
    MbTiles(PathBuf),
    /// An XYZ URL template with `{z}`, `{x}` and `{y}`.
    Url(String),
}

impl std::str::FromStr for TileSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.starts_with("http://") || s.starts_with("https://") {
            if !(s.contains("{z}") && s.contains("{x}") && s.contains("{y}")) {
                return Err(format!("{s}: a tile URL needs {{z}}, {{x}} and {{y}}"));
            }
            return Ok(TileSpec::Url(s.to_owned()));
        }
        let p = PathBuf::from(s);
        if p.extension().is_some_and(|e| e == "json") {
            if !p.is_file() {
                return Err(format!("{s}: no such basemap file"));
            }
            return Ok(TileSpec::Vector(p));
        }
        if p.extension().is_some_and(|e| e == "pmtiles") {
            if !p.is_file() {
                return Err(format!("{s}: no such PMTiles file"));
            }
            return Ok(TileSpec::PmTiles(p));
        }
        if p.extension().is_some_and(|e| e == "mbtiles") {
            if !p.is_file() {
                return Err(format!("{s}: no such MBTiles file"));
            }
            return Ok(TileSpec::MbTiles(p));
        }
        if p.is_dir() {
            return Ok(TileSpec::Dir(p));
        }
        Err(format!(
            "{s}: expected a directory of z/x/y PNG tiles, a .pmtiles or .mbtiles file, or an http(s) URL template"
        ))
    }
}

/// The shipped offline basemap's directory, if it can be found: under the
/// working directory (the repository) or next to the executable.
pub fn shipped_dir() -> Option<PathBuf> {
    let mut candidates = vec![PathBuf::from("assets/basemap")];
    if let Ok(exe) = std::env::current_exe() {
        for up in exe.ancestors().skip(1).take(4) {
            candidates.push(up.join("assets/basemap"));
        }
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/basemap"));
    candidates
        .into_iter()
        .find(|p| p.join("basemap.json").is_file())
}

/// The shipped offline basemap, if it can be found.
pub fn shipped() -> Option<TileSpec> {
    shipped_dir().map(|d| TileSpec::Vector(d.join("basemap.json")))
}

/// Opens a tile source for egui.
pub fn open(spec: &TileSpec, ctx: &egui::Context) -> Box<dyn Tiles + Send> {
    match spec {
        TileSpec::Vector(p) => match basemap::Basemap::load(p) {
            Ok(map) => Box::new(VectorTiles::new(map, ctx.clone())),
            Err(e) => {
                bevy::log::error!("{e}; no basemap");
                Box::new(DirTiles::new(Store::Dir(PathBuf::new()), ctx.clone()))
            }
        },
        TileSpec::Dir(d) => Box::new(DirTiles::new(Store::Dir(d.clone()), ctx.clone())),
        TileSpec::MbTiles(p) => match rusqlite::Connection::open_with_flags(
            p,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        ) {
            Ok(db) => Box::new(DirTiles::new(
                Store::MbTiles(std::sync::Mutex::new(db)),
                ctx.clone(),
            )),
            Err(e) => {
                bevy::log::error!("cannot open {}: {e}; no basemap", p.display());
                Box::new(DirTiles::new(Store::Dir(PathBuf::new()), ctx.clone()))
            }
        },
        TileSpec::PmTiles(p) => Box::new(walkers::PmTiles::new(p, ctx.clone())),
        TileSpec::Url(u) => Box::new(walkers::HttpTiles::new(UrlTemplate(u.clone()), ctx.clone())),
    }
}

/// The operator's tile server.
struct UrlTemplate(String);

impl walkers::sources::TileSource for UrlTemplate {
    fn tile_url(&self, t: TileId) -> String {
        self.0
            .replace("{z}", &t.zoom.to_string())
            .replace("{x}", &t.x.to_string())
            .replace("{y}", &t.y.to_string())
    }

    fn attribution(&self) -> Attribution {
        Attribution {
            text: "operator tile server",
            url: "",
            logo_light: None,
            logo_dark: None,
        }
    }
}

/// Where local tiles are kept.
pub enum Store {
    /// `{z}/{x}/{y}.png` files.
    Dir(PathBuf),
    /// An MBTiles database (rows counted from the south: TMS).
    MbTiles(std::sync::Mutex<rusqlite::Connection>),
}

impl Store {
    /// The encoded tile, if the store has it.
    pub fn read(&self, id: TileId) -> Option<Vec<u8>> {
        match self {
            Store::Dir(dir) => std::fs::read(
                dir.join(id.zoom.to_string())
                    .join(id.x.to_string())
                    .join(format!("{}.png", id.y)),
            )
            .ok(),
            Store::MbTiles(db) => {
                let row = (1u32 << id.zoom) - 1 - id.y;
                db.lock().ok()?.query_row(
                    "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
                    (id.zoom, id.x, row),
                    |r| r.get(0),
                )
                .ok()
            }
        }
    }
}

/// Tiles from a local store, read and decoded on first use and kept.
/// A missing tile falls back to the nearest coarser one, cut to size, so
/// zooming past the shipped levels stays covered.
pub struct DirTiles {
    store: Store,
    ctx: egui::Context,
    cache: HashMap<TileId, Option<Tile>>,
}

/// The finest zoom looked for on disk.
const MAX_ZOOM: u8 = 16;

impl DirTiles {
    /// A source reading from `store`.
    pub fn new(store: Store, ctx: egui::Context) -> Self {
        Self {
            store,
            ctx,
            cache: HashMap::new(),
        }
    }

    fn load(&mut self, id: TileId) -> Option<Tile> {
        if let Some(t) = self.cache.get(&id) {
            return t.clone();
        }
        let tile = self
            .store
            .read(id)
            .and_then(|bytes| Tile::new(&bytes, &Default::default(), id.zoom, 256, &self.ctx).ok());
        self.cache.insert(id, tile.clone());
        tile
    }
}

/// The coarser tile covering `id` at `zoom`, and the part of it `id` is.
pub fn parent(id: TileId, zoom: u8) -> (TileId, egui::Rect) {
    let d = 1u32 << (id.zoom - zoom);
    let parent = TileId {
        x: id.x / d,
        y: id.y / d,
        zoom,
    };
    let f = 1.0 / d as f32;
    let (ox, oy) = ((id.x % d) as f32 * f, (id.y % d) as f32 * f);
    (
        parent,
        egui::Rect::from_min_max(egui::pos2(ox, oy), egui::pos2(ox + f, oy + f)),
    )
}

impl Tiles for DirTiles {
    fn at(&mut self, id: TileId) -> Option<TilePiece> {
        let side = 1u64 << id.zoom.min(31);
        if u64::from(id.x) >= side || u64::from(id.y) >= side {
            return None;
        }
        let top = id.zoom.min(MAX_ZOOM);
        for zoom in (0..=top).rev() {
            let (pid, uv) = parent(id, zoom);
            if let Some(tile) = self.load(pid) {
                return Some(TilePiece::new(tile, uv));
            }
        }
        None
    }

    fn attribution(&self) -> Attribution {
        Attribution {
            text: "底图 assets/basemap (see SOURCES.md)",
            url: "",
            logo_light: None,
            logo_dark: None,
        }
    }

    fn tile_size(&self) -> u32 {
        256
    }
}

/// A name drawn over the basemap (`assets/basemap/places.toml`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Place {
    pub zh: String,
    pub en: String,
    pub lon: f64,
    pub lat: f64,
    /// 1 city, 2 district or county, 3 water.
    pub rank: u8,
}

impl Place {
    /// The least map zoom the name shows at.
    pub fn min_zoom(&self) -> f64 {
        match self.rank {
            1 => 6.0,
            2 => 9.0,
            _ => 10.0,
        }
    }
}

#[derive(serde::Deserialize)]
struct PlacesFile {
    place: Vec<Place>,
}

/// The place names shipped beside the basemap; none (and a logged reason)
/// if the file is missing or malformed.
pub fn places(dir: &Path) -> Vec<Place> {
    let path = dir.join("places.toml");
    let parsed = std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| toml::from_str::<PlacesFile>(&text).map_err(|e| e.to_string()));
    match parsed {
        Ok(f) => f.place,
        Err(e) => {
            bevy::log::warn!("{}: {e}; no place names", path.display());
            Vec::new()
        }
    }
}

/// The vector basemap, drawn into tiles as they are first asked for and
/// kept (the most recent few hundred: each is a texture).
pub struct VectorTiles {
    map: basemap::Basemap,
    ctx: egui::Context,
    palette: basemap::Palette,
    cache: HashMap<TileId, Option<Tile>>,
    order: std::collections::VecDeque<TileId>,
}

/// Drawn tiles kept; 256 of 256×256 RGBA is 64 MiB of textures.
const KEEP_TILES: usize = 256;

impl VectorTiles {
    /// Tiles from `map`.
    pub fn new(map: basemap::Basemap, ctx: egui::Context) -> Self {
        Self {
            map,
            ctx,
            palette: basemap::Palette::default(),
            cache: HashMap::new(),
            order: Default::default(),
        }
    }
}

impl Tiles for VectorTiles {
    fn at(&mut self, id: TileId) -> Option<TilePiece> {
        let side = 1u64 << id.zoom.min(31);
        if u64::from(id.x) >= side || u64::from(id.y) >= side {
            return None;
        }
        if let Some(t) = self.cache.get(&id) {
            return t.clone().map(|t| TilePiece::new(t, whole()));
        }
        // Sharper tiles on high-density screens and the video wall.
        let size = if self.ctx.pixels_per_point() > 1.2 {
            512
        } else {
            256
        };
        let tile = self
            .map
            .tile(id.zoom, id.x, id.y, size, &self.palette)
            .map(|img| {
                let image = egui::ColorImage::from_rgba_premultiplied(
                    [img.size as usize, img.size as usize],
                    &img.rgba,
                );
                Tile::Raster(
                    self.ctx
                        .load_texture("basemap", image, egui::TextureOptions::LINEAR),
                )
            });
        if self.order.len() >= KEEP_TILES
            && let Some(old) = self.order.pop_front()
        {
            self.cache.remove(&old);
        }
        self.order.push_back(id);
        self.cache.insert(id, tile.clone());
        tile.map(|t| TilePiece::new(t, whole()))
    }

    fn attribution(&self) -> Attribution {
        Attribution {
            text: "底图 GSHHG · Natural Earth (assets/basemap/SOURCES.md)",
            url: "",
            logo_light: None,
            logo_dark: None,
        }
    }

    fn tile_size(&self) -> u32 {
        256
    }
}

fn whole() -> egui::Rect {
    egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0))
}

/// WGS-84 → GCJ-02, the offset datum of most Chinese web maps (the
/// published reverse-engineered transform; outside China it is identity).
pub fn gcj02_from_wgs84(lat: f64, lon: f64) -> (f64, f64) {
    if !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat) {
        return (lat, lon);
    }
    const A: f64 = 6_378_245.0;
    const EE: f64 = 0.006_693_421_622_965_943;
    let (x, y) = (lon - 105.0, lat - 35.0);
    let pi = std::f64::consts::PI;
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += (20.0 * (6.0 * x * pi).sin() + 20.0 * (2.0 * x * pi).sin()) * 2.0 / 3.0;
    dlat += (20.0 * (y * pi).sin() + 40.0 * (y / 3.0 * pi).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * pi).sin() + 320.0 * (y * pi / 30.0).sin()) * 2.0 / 3.0;
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlon += (20.0 * (6.0 * x * pi).sin() + 20.0 * (2.0 * x * pi).sin()) * 2.0 / 3.0;
    dlon += (20.0 * (x * pi).sin() + 40.0 * (x / 3.0 * pi).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * pi).sin() + 300.0 * (x / 30.0 * pi).sin()) * 2.0 / 3.0;
    let rad = lat / 180.0 * pi;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * pi);
    dlon = (dlon * 180.0) / (A / sqrt_magic * rad.cos() * pi);
    (lat + dlat, lon + dlon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcj02_shifts_chinese_positions_by_a_few_hundred_metres_and_leaves_others() {
        // Changchun, People's Square (人民广场).
        let (lat, lon) = (43.88, 125.32);
        let (glat, glon) = gcj02_from_wgs84(lat, lon);
        let d = domain::GeoPoint::new(lat, lon).distance_m(&domain::GeoPoint::new(glat, glon));
        assert!((100.0..800.0).contains(&d), "shift {d} m");
        // Published reference pair for Beijing (Tiananmen): WGS-84
        // 39.90734, 116.39089 → GCJ-02 about 39.90874, 116.39713.
        let (blat, blon) = gcj02_from_wgs84(39.907_34, 116.390_89);
        assert!((blat - 39.908_74).abs() < 2e-4, "{blat}");
        assert!((blon - 116.397_13).abs() < 2e-4, "{blon}");
        assert_eq!(gcj02_from_wgs84(48.85, 2.35), (48.85, 2.35));
    }

    #[test]
    fn a_missing_tile_is_cut_from_its_parent() {
        let id = TileId {
            x: 5,
            y: 6,
            zoom: 4,
        };
        let (p, uv) = parent(id, 2);
        assert_eq!((p.x, p.y, p.zoom), (1, 1, 2));
        assert_eq!(
            uv,
            egui::Rect::from_min_max(egui::pos2(0.25, 0.5), egui::pos2(0.5, 0.75))
        );
        let (same, full) = parent(id, 4);
        assert_eq!((same.x, same.y), (5, 6));
        assert_eq!(
            full,
            egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0))
        );
    }

    #[test]
    fn an_mbtiles_file_is_read_with_its_rows_counted_from_the_south() {
        let path = std::env::temp_dir().join(format!("ecc-test-{}.mbtiles", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let db = rusqlite::Connection::open(&path).expect("create");
        db.execute_batch(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
             INSERT INTO tiles VALUES (2, 1, 3, x'0102');",
        )
        .expect("fill");
        drop(db);
        assert_eq!(
            path.to_string_lossy().parse::<TileSpec>(),
            Ok(TileSpec::MbTiles(path.clone()))
        );
        let store = Store::MbTiles(std::sync::Mutex::new(
            rusqlite::Connection::open(&path).expect("open"),
        ));
        // XYZ row 0 at zoom 2 is TMS row 3.
        assert_eq!(
            store.read(TileId {
                x: 1,
                y: 0,
                zoom: 2
            }),
            Some(vec![1, 2])
        );
        assert_eq!(
            store.read(TileId {
                x: 1,
                y: 3,
                zoom: 2
            }),
            None
        );
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn tile_sources_are_recognised_or_refused_with_a_reason() {
        assert!(matches!(
            "https://tiles.example/{z}/{x}/{y}.png".parse::<TileSpec>(),
            Ok(TileSpec::Url(_))
        ));
        assert!(
            "https://tiles.example/tile.png"
                .parse::<TileSpec>()
                .is_err()
        );
        assert!("/no/such/dir".parse::<TileSpec>().is_err());
        let here = env!("CARGO_MANIFEST_DIR");
        assert_eq!(
            here.parse::<TileSpec>(),
            Ok(TileSpec::Dir(PathBuf::from(here)))
        );
    }
}
