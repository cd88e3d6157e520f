//! The map: walkers in the central panel, with the realm's teams,
//! incidents, depots, hazard sources, shelters and dispatch lines on top.
//! Under them the basemap (see `basemap`), a light graticule and the names
//! of cities and districts.

use crate::i18n::Term;
use crate::i18n::{t, tf};
use crate::picture::{Picture, Selection};
use crate::theme;
use bevy::prelude::*;
use bevy_egui::egui::{self, Align2, Color32, FontId, Pos2, Rect, Stroke, Vec2};
use domain::time::{Millis, human_duration};
use domain::{GeoPoint, IncidentStatus, State, Team, Timestamp};
use walkers::{Map, MapMemory, Position, Projector, lat_lon};

/// Holds the map's view (centre, zoom) between frames, and its basemap.
pub struct MapPlugin {
    /// Basemap source; `None` uses the shipped offline tiles if present.
    pub tiles: Option<crate::basemap::TileSpec>,
    /// The source is in GCJ-02: shift WGS-84 positions onto it.
    pub gcj02: bool,
}

impl Plugin for MapPlugin {
    fn build(&self, app: &mut App) {
        let spec = self.tiles.clone().or_else(crate::basemap::shipped);
        // Names go with the shipped basemap; an operator's tiles carry
        // their own.
        let places = match (&self.tiles, crate::basemap::shipped_dir()) {
            (None, Some(dir)) => crate::basemap::places(&dir),
            _ => Vec::new(),
        };
        app.insert_resource(MapView {
            tile_spec: spec,
            places,
            gcj02: self.gcj02,
            ..MapView::default()
        });
    }
}

/// The map's view state.
#[derive(Resource)]
pub struct MapView {
    memory: MapMemory,
    home: Position,
    /// Where the map was last clicked away from any marker (taken by the
    /// intake form's "pick on map").
    pub picked: Option<GeoPoint>,
    /// Where the map was right-clicked to open the intake form.
    pub intake_at: Option<GeoPoint>,
    /// A cluster was clicked: zoom in on it (after this frame's drawing).
    zoom_into: Option<GeoPoint>,
    /// Which layers are drawn.
    pub shown: Shown,
    /// Where the basemap comes from.
    pub tile_spec: Option<crate::basemap::TileSpec>,
    /// The basemap, opened on first draw (it needs egui's context).
    tiles: Option<std::sync::Mutex<Box<dyn walkers::Tiles + Send>>>,
    /// The basemap is in GCJ-02.
    pub gcj02: bool,
    /// Names of cities, districts and waters over the shipped basemap.
    pub places: Vec<crate::basemap::Place>,
    /// Where the map was drawn last frame.
    pub frame: Option<MapFrame>,
}

/// The map as last drawn: its rectangle on screen (logical points), the
/// position at its centre and the zoom. Screenshots record it so that a
/// test can project positions independently and look at the pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapFrame {
    pub rect: Rect,
    pub center: GeoPoint,
    pub zoom: f64,
}

/// Layer switches (图层).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    /// 队伍
    pub teams: bool,
    /// 事件
    pub incidents: bool,
    /// 储备库
    pub depots: bool,
    /// 危险源
    pub hazards: bool,
    /// 避难场所
    pub shelters: bool,
    /// 调度连线
    pub lines: bool,
}

impl Default for Shown {
    fn default() -> Self {
        Self {
            teams: true,
            incidents: true,
            depots: true,
            hazards: true,
            shelters: true,
            lines: true,
        }
    }
}

impl Default for MapView {
    fn default() -> Self {
        let mut memory = MapMemory::default();
        // Changchun and Dehui both in view.
        let _ = memory.set_zoom(9.5);
        Self {
            memory,
            home: lat_lon(44.20, 125.52),
            picked: None,
            intake_at: None,
            zoom_into: None,
            shown: Shown::default(),
            tile_spec: None,
            tiles: None,
            gcj02: false,
            places: Vec::new(),
            frame: None,
        }
    }
}

impl MapView {
    /// Centres the map on a point.
    pub fn center_on(&mut self, p: GeoPoint) {
        self.memory.center_at(pos(p, self.gcj02));
    }

    /// Centres on `points` and zooms so that all fit in `size` pixels.
    pub fn fit(&mut self, points: &[GeoPoint], size: Vec2) {
        let Some(first) = points.first() else {
            return;
        };
        let (mut s, mut n, mut w, mut e) = (first.lat, first.lat, first.lon, first.lon);
        for p in points {
            s = s.min(p.lat);
            n = n.max(p.lat);
            w = w.min(p.lon);
            e = e.max(p.lon);
        }
        self.memory.center_at(lat_lon((s + n) / 2.0, (w + e) / 2.0));
        let _ = self.memory.set_zoom(fit_zoom(s, n, w, e, size));
    }
}

/// The web-mercator zoom at which the box spans at most `size` (with a margin).
pub fn fit_zoom(s: f64, n: f64, w: f64, e: f64, size: Vec2) -> f64 {
    let merc = |lat: f64| {
        let r = lat.to_radians();
        (r.tan() + 1.0 / r.cos()).ln()
    };
    // World width is 256·2^z pixels for 360° and for 2 pi of mercator y.
    let dx = ((e - w) / 360.0).max(1e-9);
    let dy = ((merc(n) - merc(s)) / (2.0 * std::f64::consts::PI)).max(1e-9);
    let zx = (f64::from(size.x) * 0.8 / 256.0 / dx).log2();
    let zy = (f64::from(size.y) * 0.8 / 256.0 / dy).log2();
    zx.min(zy).clamp(3.0, 16.0)
}

/// A WGS-84 position on the basemap (shifted when the basemap is GCJ-02).
fn pos(p: GeoPoint, gcj02: bool) -> Position {
    if gcj02 {
        let (lat, lon) = crate::basemap::gcj02_from_wgs84(p.lat, p.lon);
        lat_lon(lat, lon)
    } else {
        lat_lon(p.lat, p.lon)
    }
}

/// Back from the basemap to WGS-84 (the shift varies slowly, so one
/// correction step is within a metre).
fn unpos(p: Position, gcj02: bool) -> GeoPoint {
    if !gcj02 {
        return GeoPoint::new(p.y(), p.x());
    }
    let (lat, lon) = crate::basemap::gcj02_from_wgs84(p.y(), p.x());
    GeoPoint::new(2.0 * p.y() - lat, 2.0 * p.x() - lon)
}

/// Draws the map into `ui`, filling it.
pub fn show(
    ui: &mut egui::Ui,
    view: &mut MapView,
    picture: &mut Picture,
    now: Timestamp,
    wall: bool,
) {
    let rect = ui.available_rect_before_wrap();
    ui.painter().rect_filled(rect, 0.0, theme::MAP_BG);
    keyboard(ui, view, rect);
    let layers = Layers {
        state: &picture.state,
        trails: &picture.trails,
        selected: &mut picture.selected,
        picked: &mut view.picked,
        intake_at: &mut view.intake_at,
        shown: view.shown,
        gcj02: view.gcj02,
        now,
        places: &view.places,
        frame: &mut view.frame,
        zoom_into: &mut view.zoom_into,
    };
    let home = view.home;
    if view.tiles.is_none()
        && let Some(spec) = &view.tile_spec
    {
        view.tiles = Some(std::sync::Mutex::new(crate::basemap::open(spec, ui.ctx())));
    }
    let mut guard = view.tiles.as_ref().and_then(|t| t.lock().ok());
    let tiles: Option<&mut dyn walkers::Tiles> = match guard.as_mut() {
        Some(g) => Some(&mut ***g),
        None => None,
    };
    ui.add(Map::new(tiles, &mut view.memory, home).with_plugin(layers));
    drop(guard);
    if let Some(p) = view.zoom_into.take() {
        let zoom = view.memory.zoom();
        view.memory.center_at(pos(p, view.gcj02));
        let _ = view.memory.set_zoom((zoom + 2.0).min(18.0));
    }
    if !wall {
        controls(ui, view, picture, rect);
    }
    if picture.drill {
        watermark(ui.painter(), rect);
    }
}

/// The exercise mark over a drill realm's map: nobody can take it for live.
fn watermark(painter: &egui::Painter, rect: Rect) {
    let colour = Color32::from_rgba_unmultiplied(0xd8, 0x6b, 0x00, 46);
    for (i, y) in [0.3f32, 0.7].into_iter().enumerate() {
        let x = if i == 0 { 0.35 } else { 0.65 };
        painter.text(
            rect.lerp_inside(Vec2::new(x, y)),
            Align2::CENTER_CENTER,
            "演练 EXERCISE",
            FontId::proportional(64.0),
            colour,
        );
    }
    painter.rect_stroke(
        rect.shrink(3.0),
        0.0,
        egui::Stroke::new(6.0, theme::DRILL),
        egui::StrokeKind::Inside,
    );
}

/// Everything drawn over the map.
struct Layers<'a> {
    state: &'a State,
    selected: &'a mut Option<Selection>,
    picked: &'a mut Option<GeoPoint>,
    intake_at: &'a mut Option<GeoPoint>,
    trails: &'a std::collections::BTreeMap<domain::TeamId, Vec<GeoPoint>>,
    shown: Shown,
    gcj02: bool,
    now: Timestamp,
    places: &'a [crate::basemap::Place],
    frame: &'a mut Option<MapFrame>,
    zoom_into: &'a mut Option<GeoPoint>,
}

/// Arrows pan, +/- zoom, Home fits everything — unless a text field has
/// the keyboard.
fn keyboard(ui: &egui::Ui, view: &mut MapView, rect: Rect) {
    if ui.ctx().egui_wants_keyboard_input() {
        return;
    }
    let (zoom_in, zoom_out, home, pan) = ui.input(|i| {
        let mut pan = Vec2::ZERO;
        for (key, d) in [
            (egui::Key::ArrowLeft, Vec2::new(-1.0, 0.0)),
            (egui::Key::ArrowRight, Vec2::new(1.0, 0.0)),
            (egui::Key::ArrowUp, Vec2::new(0.0, -1.0)),
            (egui::Key::ArrowDown, Vec2::new(0.0, 1.0)),
        ] {
            if i.key_pressed(key) {
                pan += d;
            }
        }
        (
            i.key_pressed(egui::Key::Plus) || i.key_pressed(egui::Key::Equals),
            i.key_pressed(egui::Key::Minus),
            i.key_pressed(egui::Key::Home),
            pan,
        )
    });
    if zoom_in {
        let _ = view.memory.zoom_in();
    }
    if zoom_out {
        let _ = view.memory.zoom_out();
    }
    if home {
        view.memory.follow_my_position();
    }
    if pan != Vec2::ZERO {
        // A quarter of the view per press.
        let step = pan * rect.size() * 0.25;
        let zoom = view.memory.zoom();
        let centre = view.memory.detached().unwrap_or(view.home);
        let deg_per_px = 360.0 / (256.0 * 2f64.powf(zoom));
        let lat_scale = centre.y().to_radians().cos().max(0.05);
        view.memory.center_at(lat_lon(
            centre.y() - f64::from(step.y) * deg_per_px * lat_scale,
            centre.x() + f64::from(step.x) * deg_per_px,
        ));
    }
}

/// Fit buttons and layer switches over the map's top-left corner.
fn controls(ui: &mut egui::Ui, view: &mut MapView, picture: &Picture, rect: Rect) {
    let area = egui::Area::new(egui::Id::new("map-controls"))
        .fixed_pos(rect.left_top() + Vec2::new(8.0, 8.0))
        .order(egui::Order::Middle);
    area.show(ui.ctx(), |ui| {
        egui::Frame::new()
            .fill(theme::PANEL.gamma_multiply(0.92))
            .inner_margin(6.0)
            .corner_radius(4.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    if ui.small_button(t("map.fit_all")).clicked() {
                        let s = &picture.state;
                        let mut pts: Vec<GeoPoint> = s.teams.values().map(team_position).collect();
                        pts.extend(s.incidents.values().map(|i| i.position));
                        pts.extend(s.depots.values().map(|d| d.position));
                        view.fit(&pts, rect.size());
                    }
                    let incident = match &picture.selected {
                        Some(Selection::Incident(id)) => picture.state.incidents.get(id),
                        _ => None,
                    };
                    if ui
                        .add_enabled(
                            incident.is_some(),
                            egui::Button::new(t("map.fit_incident")).small(),
                        )
                        .clicked()
                        && let Some(i) = incident
                    {
                        // The incident and the teams sent to it.
                        let mut pts = vec![i.position];
                        pts.extend(
                            i.orders
                                .iter()
                                .filter_map(|o| picture.state.orders.get(o))
                                .filter(|o| !o.status.is_final())
                                .filter_map(|o| picture.state.teams.get(&o.team))
                                .map(team_position),
                        );
                        if pts.len() == 1 {
                            view.center_on(i.position);
                            let _ = view.memory.set_zoom(13.0);
                        } else {
                            view.fit(&pts, rect.size());
                        }
                    }
                });
                ui.horizontal(|ui| {
                    let s = &mut view.shown;
                    ui.checkbox(&mut s.teams, t("layer.teams"));
                    ui.checkbox(&mut s.incidents, t("layer.incidents"));
                    ui.checkbox(&mut s.depots, t("layer.depots"));
                    ui.checkbox(&mut s.hazards, t("layer.hazards"));
                    ui.checkbox(&mut s.shelters, t("layer.shelters"));
                    ui.checkbox(&mut s.lines, t("layer.lines"));
                });
            });
    });
}

/// A thing on the map that can be hovered and clicked. It only points at
/// what it stands for: tooltip and selection are made for the one under
/// the pointer, so thousands of markers cost no strings a frame.
struct Hit<'a> {
    at: Pos2,
    what: Tip<'a>,
}

/// What a marker stands for.
enum Tip<'a> {
    Hazard(&'a domain::HazardSource),
    Shelter(&'a domain::Shelter),
    Depot(&'a domain::Depot),
    Cluster(Vec<&'a Team>),
    Hazards(Vec<&'a domain::HazardSource>),
    Incidents(Vec<&'a domain::Incident>),
    Incident(&'a domain::Incident),
    Team(&'a Team),
    Device(&'a domain::field::UnassignedDevice),
}

impl Tip<'_> {
    fn is_cluster(&self) -> bool {
        matches!(self, Tip::Cluster(_) | Tip::Hazards(_) | Tip::Incidents(_))
    }

    fn text(&self) -> String {
        match self {
            Tip::Hazard(h) => tf("map.tip_hazard", &[&h.name, &h.kind, h.risk.term()]),
            Tip::Shelter(sh) => tf("map.tip_shelter", &[&sh.name, &sh.capacity.to_string()]),
            Tip::Depot(d) => {
                let lines: Vec<String> = d
                    .stock
                    .values()
                    .take(4)
                    .map(|l| format!("{} {}{}", l.name, l.free(), l.unit))
                    .collect();
                format!("{}\n{}", d.name, lines.join("\n"))
            }
            Tip::Cluster(members) => {
                let names: Vec<String> = members
                    .iter()
                    .take(12)
                    .map(|t| format!("{} · {}", t.name, t.status.term()))
                    .collect();
                tf(
                    "map.tip_cluster",
                    &[&members.len().to_string(), &names.join("\n")],
                )
            }
            Tip::Incident(i) => format!(
                "{}\n{} · {}事故\n{}",
                i.title,
                i.sector.term(),
                i.grade.term(),
                i.address
            ),
            Tip::Team(t) => format!("{}\n{} · {}", t.name, t.kind.term(), t.status.term()),
            Tip::Device(d) => tf("devices.tip", &[&d.device, &d.last_seen.cst_hm()]),
            Tip::Hazards(hs) => {
                let names: Vec<String> = hs
                    .iter()
                    .take(12)
                    .map(|h| format!("{} · {}", h.name, h.risk.term()))
                    .collect();
                tf(
                    "map.tip_hazards",
                    &[&hs.len().to_string(), &names.join("\n")],
                )
            }
            Tip::Incidents(is) => {
                let names: Vec<String> = is
                    .iter()
                    .take(12)
                    .map(|i| format!("{} · {}", i.title, i.grade.term()))
                    .collect();
                tf(
                    "map.tip_incidents",
                    &[&is.len().to_string(), &names.join("\n")],
                )
            }
        }
    }

    fn selection(&self) -> Option<Selection> {
        match self {
            Tip::Depot(d) => Some(Selection::Depot(d.id.clone())),
            Tip::Incident(i) => Some(Selection::Incident(i.id.clone())),
            Tip::Team(t) => Some(Selection::Team(t.id.clone())),
            Tip::Hazard(_)
            | Tip::Shelter(_)
            | Tip::Cluster(_)
            | Tip::Hazards(_)
            | Tip::Incidents(_)
            | Tip::Device(_) => None,
        }
    }
}

impl walkers::Plugin for Layers<'_> {
    fn run(
        self: Box<Self>,
        ui: &mut egui::Ui,
        response: &egui::Response,
        projector: &Projector,
        map_memory: &MapMemory,
    ) {
        let painter = ui.painter_at(response.rect);
        let gcj02 = self.gcj02;
        let screen = |p: GeoPoint| projector.project(pos(p, gcj02)).to_pos2();
        *self.frame = Some(MapFrame {
            rect: response.rect,
            center: unpos(projector.unproject(response.rect.center().to_vec2()), gcj02),
            zoom: map_memory.zoom(),
        });
        graticule(&painter, response.rect, projector, map_memory.zoom());
        place_names(
            &painter,
            response.rect,
            self.places,
            map_memory.zoom(),
            &screen,
        );
        let s = self.state;
        let mut hits = Vec::new();
        let mut labels = Vec::new();
        let small = FontId::proportional(12.0);

        let shown = self.shown;
        let s_trails = self.trails;
        // Hazard sources; close ones merge into one diamond in the worst
        // colour among them, with their count.
        let visible = response.rect.expand(40.0);
        let (hazards, hazard_points): (Vec<&domain::HazardSource>, Vec<Pos2>) = s
            .hazards
            .values()
            .filter(|_| shown.hazards)
            .map(|h| (h, screen(h.position)))
            .filter(|(_, p)| visible.contains(*p))
            .unzip();
        for group in cluster(&hazard_points, CLUSTER_PX) {
            let worst = group
                .iter()
                .map(|i| hazards[*i].risk)
                .min()
                .unwrap_or(domain::RiskColour::Blue);
            let at = centroid(group.iter().map(|i| hazard_points[*i]));
            let d = if group.len() == 1 { 7.0 } else { 10.0 };
            painter.add(egui::Shape::convex_polygon(
                vec![
                    at + Vec2::new(0.0, -d),
                    at + Vec2::new(d, 0.0),
                    at + Vec2::new(0.0, d),
                    at + Vec2::new(-d, 0.0),
                ],
                theme::risk(worst).gamma_multiply(0.85),
                Stroke::new(1.0, Color32::BLACK),
            ));
            if let [i] = group[..] {
                hits.push(Hit {
                    at,
                    what: Tip::Hazard(hazards[i]),
                });
            } else {
                painter.text(
                    at,
                    Align2::CENTER_CENTER,
                    group.len().to_string(),
                    FontId::proportional(10.0),
                    Color32::BLACK,
                );
                hits.push(Hit {
                    at,
                    what: Tip::Hazards(group.iter().map(|i| hazards[*i]).collect()),
                });
            }
        }
        for sh in s.shelters.values().filter(|_| shown.shelters) {
            let p = screen(sh.position);
            square_marker(&painter, p, Color32::from_rgb(0x2e, 0x7d, 0x32), "避");
            hits.push(Hit {
                at: p,
                what: Tip::Shelter(sh),
            });
        }
        for d in s.depots.values().filter(|_| shown.depots) {
            let p = screen(d.position);
            square_marker(&painter, p, Color32::from_rgb(0x8d, 0x6e, 0x63), "储");
            hits.push(Hit {
                at: p,
                what: Tip::Depot(d),
            });
        }

        // Devices of no team: grey, with a question mark, until bound.
        for d in s.field.unassigned.values().filter(|_| shown.teams) {
            let p = screen(d.fix.position);
            let fill = if d.emergency {
                theme::ALARM
            } else {
                Color32::from_rgb(0x75, 0x75, 0x75)
            };
            square_marker(&painter, p, fill, "?");
            labels.push(Label {
                priority: 2,
                anchor: p + Vec2::new(10.0, 0.0),
                align: Align2::LEFT_CENTER,
                text: LabelText::Plain(&d.device),
                font: small.clone(),
                color: theme::MUTED,
            });
            hits.push(Hit {
                at: p,
                what: Tip::Device(d),
            });
        }

        // Trails (review): where each team went in the chosen window.
        for trail in s_trails.values() {
            let pts: Vec<Pos2> = trail.iter().map(|p| screen(*p)).collect();
            if pts.len() > 1 {
                painter.add(egui::Shape::line(
                    pts,
                    Stroke::new(2.0, Color32::from_rgba_unmultiplied(0x4f, 0xc3, 0xf7, 150)),
                ));
            }
        }

        // Dispatch lines from each busy team to its incident.
        for o in s
            .orders
            .values()
            .filter(|o| shown.lines && !o.status.is_final())
        {
            if let (Some(t), Some(i)) = (s.teams.get(&o.team), s.incidents.get(&o.incident)) {
                let from = screen(team_position(t));
                let to = screen(i.position);
                painter.line_segment(
                    [from, to],
                    Stroke::new(2.0, theme::team_status(&t.status).gamma_multiply(0.8)),
                );
            }
        }

        // Teams closer than a marker's width on screen are drawn as one
        // cluster with a count, so nothing hides under anything else.
        // Only what is on screen (with a margin for labels) is clustered.
        let (teams, points): (Vec<&Team>, Vec<Pos2>) = s
            .teams
            .values()
            .filter(|_| shown.teams)
            .map(|t| (t, screen(team_position(t))))
            .filter(|(_, p)| visible.contains(*p))
            .unzip();
        // Close in, each team shows its kind's glyph.
        let detail = map_memory.zoom() >= KIND_GLYPH_ZOOM;
        for group in cluster(&points, CLUSTER_PX) {
            if let [i] = group[..] {
                let (hit, label) =
                    draw_team(&painter, teams[i], points[i], s, self.now, &small, detail);
                hits.push(hit);
                labels.push(label);
                continue;
            }
            let at = centroid(group.iter().map(|i| points[*i]));
            painter.circle_filled(at, 12.0, Color32::from_rgb(0x37, 0x47, 0x5a));
            painter.circle_stroke(at, 12.0, Stroke::new(1.5, Color32::WHITE));
            painter.text(
                at,
                Align2::CENTER_CENTER,
                group.len().to_string(),
                FontId::proportional(12.0),
                Color32::WHITE,
            );
            hits.push(Hit {
                at,
                what: Tip::Cluster(group.iter().map(|i| teams[*i]).collect()),
            });
        }

        let pulse = ((self.now.0 % 1200) as f32 / 1200.0 * std::f32::consts::TAU).sin() * 0.5 + 0.5;
        // Incidents; ones that would overlap merge into one marker in the
        // gravest grade among them, with their count.
        let (incidents, incident_points): (Vec<&domain::Incident>, Vec<Pos2>) = s
            .incidents
            .values()
            .filter(|i| shown.incidents && i.status != IncidentStatus::Closed)
            .map(|i| (i, screen(i.position)))
            .filter(|(_, p)| visible.contains(*p))
            .unzip();
        for group in cluster(&incident_points, INCIDENT_CLUSTER_PX) {
            if group.len() > 1 {
                let at = centroid(group.iter().map(|i| incident_points[*i]));
                let gravest = group
                    .iter()
                    .map(|i| incidents[*i].grade)
                    .max()
                    .unwrap_or(domain::AccidentGrade::Ordinary);
                let c = theme::grade(gravest);
                if group
                    .iter()
                    .any(|i| incidents[*i].status == IncidentStatus::Reported)
                {
                    painter.circle_stroke(
                        at,
                        17.0 + 6.0 * pulse,
                        Stroke::new(2.0, c.gamma_multiply(1.0 - pulse * 0.7)),
                    );
                }
                painter.circle_filled(at, 13.0, c);
                painter.circle_stroke(at, 13.0, Stroke::new(1.5, Color32::WHITE));
                painter.text(
                    at,
                    Align2::CENTER_CENTER,
                    group.len().to_string(),
                    FontId::proportional(13.0),
                    Color32::BLACK,
                );
                hits.push(Hit {
                    at,
                    what: Tip::Incidents(group.iter().map(|i| incidents[*i]).collect()),
                });
                continue;
            }
            let i = incidents[group[0]];
            let p = incident_points[group[0]];
            let c = theme::grade(i.grade);
            if i.status == IncidentStatus::Reported {
                // Not yet acted on: pulse until someone issues an order.
                painter.circle_stroke(
                    p,
                    14.0 + 6.0 * pulse,
                    Stroke::new(2.0, c.gamma_multiply(1.0 - pulse * 0.7)),
                );
            }
            let selected = *self.selected == Some(Selection::Incident(i.id.clone()));
            painter.circle_filled(p, 9.0, c);
            painter.circle_stroke(
                p,
                9.0,
                Stroke::new(if selected { 3.0 } else { 1.5 }, Color32::WHITE),
            );
            labels.push(Label {
                priority: 0,
                anchor: p + Vec2::new(0.0, -14.0),
                align: Align2::CENTER_BOTTOM,
                text: LabelText::Plain(&i.title),
                font: FontId::proportional(13.5),
                color: Color32::WHITE,
            });
            hits.push(Hit {
                at: p,
                what: Tip::Incident(i),
            });
        }

        place_labels(&painter, labels);

        // Hover shows a tooltip; click selects.
        if let Some(pointer) = response.hover_pos() {
            let nearest = hits
                .iter()
                .map(|h| (h, h.at.distance(pointer)))
                .filter(|(_, d)| *d < 12.0)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            let under = unpos(projector.unproject(pointer.to_vec2()), gcj02);
            if let Some((hit, _)) = nearest {
                tooltip(&painter, pointer, &hit.what.text());
                if response.clicked() {
                    match hit.what.selection() {
                        Some(sel) => *self.selected = Some(sel),
                        // A cluster: zoom in on it to tell its members apart.
                        None if hit.what.is_cluster() => {
                            *self.zoom_into =
                                Some(unpos(projector.unproject(hit.at.to_vec2()), gcj02));
                        }
                        None => {}
                    }
                }
            } else if response.clicked() {
                *self.picked = Some(under);
            }
            // Right-click anywhere: take a call for this place (接报).
            if response.secondary_clicked() {
                *self.intake_at = Some(under);
            }
            painter.text(
                response.rect.left_bottom() + Vec2::new(8.0, -8.0),
                Align2::LEFT_BOTTOM,
                format!("{:.5}°N {:.5}°E WGS-84", under.lat, under.lon),
                FontId::monospace(12.0),
                theme::MUTED,
            );
        }
        scale_bar(&painter, response.rect, projector);
    }
}

/// A small square with one character: 避 shelter, 储 depot.
fn square_marker(painter: &egui::Painter, p: Pos2, fill: Color32, glyph: &str) {
    painter.rect_filled(Rect::from_center_size(p, Vec2::splat(12.0)), 2.0, fill);
    painter.text(
        p,
        Align2::CENTER_CENTER,
        glyph,
        FontId::proportional(9.0),
        Color32::WHITE,
    );
}

/// Text next to a marker, drawn only where it does not cover another label.
struct Label<'a> {
    /// Lower is placed first (incidents before teams).
    priority: u8,
    anchor: Pos2,
    align: Align2,
    text: LabelText<'a>,
    font: FontId,
    color: Color32,
}

/// A label's words, written out only if the label is placed.
enum LabelText<'a> {
    /// As it is.
    Plain(&'a str),
    /// A team's name, with the age of a stale fix (or none at all).
    Team(&'a str, Option<Option<Millis>>),
}

impl LabelText<'_> {
    /// Characters it will have, CJK counted double, without writing it out.
    fn width_units(&self) -> usize {
        let units = |s: &str| {
            s.chars()
                .map(|c| if c.is_ascii() { 1 } else { 2 })
                .sum::<usize>()
        };
        match self {
            LabelText::Plain(s) => units(s),
            LabelText::Team(name, None) => units(name),
            // "（12 min前）" / "（无定位）": about ten units.
            LabelText::Team(name, Some(_)) => units(name) + 10,
        }
    }

    fn render(&self) -> String {
        match self {
            LabelText::Plain(s) => (*s).to_owned(),
            LabelText::Team(name, None) => (*name).to_owned(),
            LabelText::Team(name, Some(Some(age))) => {
                tf("map.fix_age", &[name, &human_duration(*age)])
            }
            LabelText::Team(name, Some(None)) => tf("map.no_fix", &[name]),
        }
    }
}

/// Draws labels in priority order, skipping any that would overlap one
/// already placed: the incident queue and tooltips still name everything.
fn place_labels(painter: &egui::Painter, mut labels: Vec<Label<'_>>) {
    labels.sort_by_key(|l| l.priority);
    // Placed rectangles on a coarse grid: a label is checked only against
    // those near it.
    const CELL: f32 = 64.0;
    let mut grid: std::collections::HashMap<(i32, i32), Vec<Rect>> = Default::default();
    let cells = |r: Rect| {
        let (x0, x1) = (
            (r.left() / CELL).floor() as i32,
            (r.right() / CELL).floor() as i32,
        );
        let (y0, y1) = (
            (r.top() / CELL).floor() as i32,
            (r.bottom() / CELL).floor() as i32,
        );
        (x0..=x1).flat_map(move |x| (y0..=y1).map(move |y| (x, y)))
    };
    let free = |grid: &std::collections::HashMap<(i32, i32), Vec<Rect>>, r: Rect| {
        cells(r.expand(2.0)).all(|c| {
            grid.get(&c)
                .is_none_or(|v| v.iter().all(|p| !p.expand(2.0).intersects(r)))
        })
    };
    let mut placed = 0;
    for l in labels {
        // Past this many, the map is too dense to read more names anyway.
        if placed >= MAX_LABELS {
            break;
        }
        // A cheap estimate first: most labels on a dense map lose, and
        // should not cost a string and a layout to find that out.
        let guess = Vec2::new(
            l.text.width_units() as f32 * l.font.size * 0.5,
            l.font.size * 1.2,
        );
        if !free(&grid, l.align.anchor_size(l.anchor, guess)) {
            continue;
        }
        let galley = painter.layout_no_wrap(l.text.render(), l.font, l.color);
        let rect = l.align.anchor_size(l.anchor, galley.size());
        if !free(&grid, rect) {
            continue;
        }
        for c in cells(rect) {
            grid.entry(c).or_default().push(rect);
        }
        placed += 1;
        painter.galley(rect.min, galley, l.color);
    }
}

/// Most labels drawn at once.
const MAX_LABELS: usize = 250;

/// Screen distance under which incident markers (18 px across) merge.
const INCIDENT_CLUSTER_PX: f32 = 18.0;

/// Screen distance under which team markers merge into a cluster.
const CLUSTER_PX: f32 = 16.0;

/// Draws one team's marker; returns its hover target and label.
/// From this zoom on a team's marker carries its kind's glyph.
const KIND_GLYPH_ZOOM: f64 = 11.0;

fn draw_team<'a>(
    painter: &egui::Painter,
    t: &'a Team,
    p: Pos2,
    s: &State,
    now: Timestamp,
    font: &FontId,
    detail: bool,
) -> (Hit<'a>, Label<'a>) {
    let (age, stale) = fix_age(s, t, now);
    if s.field.emergencies.contains_key(&t.id) {
        // A radio emergency: a red ring nobody can miss.
        painter.circle_stroke(p, 11.0, Stroke::new(3.0, theme::ALARM));
    }
    let alpha = if stale { 0.35 } else { 1.0 };
    let c = theme::team_status(&t.status).gamma_multiply(alpha);
    // One shape for fill and outline: thousands of teams, half the shapes.
    painter.add(egui::epaint::CircleShape {
        center: p,
        radius: if detail { 9.0 } else { 6.0 },
        fill: c,
        stroke: Stroke::new(1.0, Color32::BLACK),
    });
    if detail {
        painter.text(
            p,
            Align2::CENTER_CENTER,
            theme::kind_glyph(t.kind),
            FontId::proportional(11.0),
            Color32::BLACK.gamma_multiply(alpha.max(0.6)),
        );
    }
    let label = LabelText::Team(&t.name, stale.then_some(age));
    (
        Hit {
            at: p,
            what: Tip::Team(t),
        },
        Label {
            priority: 1,
            anchor: p + Vec2::new(9.0, 0.0),
            align: Align2::LEFT_CENTER,
            text: label,
            font: font.clone(),
            color: Color32::from_gray(if stale { 140 } else { 215 }),
        },
    )
}

/// Groups points that lie within `radius` of a group's first point, in
/// input order (so every frame and every console groups alike).
fn cluster(points: &[Pos2], radius: f32) -> Vec<Vec<usize>> {
    // Group leaders are bucketed on a grid of `radius` cells, so each point
    // looks only at the 3×3 cells around it; taking the earliest group in
    // range keeps the result identical to a scan of all groups.
    let cell = |p: Pos2| ((p.x / radius).floor() as i32, (p.y / radius).floor() as i32);
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut grid: std::collections::HashMap<(i32, i32), Vec<usize>> = Default::default();
    for (i, p) in points.iter().enumerate() {
        let (cx, cy) = cell(*p);
        let mut best: Option<usize> = None;
        for dx in -1..=1 {
            for dy in -1..=1 {
                for &g in grid.get(&(cx + dx, cy + dy)).into_iter().flatten() {
                    if points[groups[g][0]].distance(*p) < radius && best.is_none_or(|b| g < b) {
                        best = Some(g);
                    }
                }
            }
        }
        match best {
            Some(g) => groups[g].push(i),
            None => {
                grid.entry((cx, cy)).or_default().push(groups.len());
                groups.push(vec![i]);
            }
        }
    }
    groups
}

fn centroid(points: impl Iterator<Item = Pos2>) -> Pos2 {
    let (mut sum, mut n) = (Vec2::ZERO, 0.0);
    for p in points {
        sum += p.to_vec2();
        n += 1.0;
    }
    if n > 0.0 {
        (sum / n).to_pos2()
    } else {
        Pos2::ZERO
    }
}

fn team_position(t: &Team) -> GeoPoint {
    t.last_fix.map_or(t.home, |f| f.position)
}

/// Age of the team's fix and whether it is stale (no fix counts as stale).
pub(crate) fn fix_age(s: &State, t: &Team, now: Timestamp) -> (Option<Millis>, bool) {
    match &t.last_fix {
        Some(f) => {
            let age = now.since(f.taken_at).max(0);
            (Some(age), age > s.rules.staleness_of(f.source))
        }
        None => (None, true),
    }
}

fn tooltip(painter: &egui::Painter, at: Pos2, text: &str) {
    let galley =
        painter.layout_no_wrap(text.to_owned(), FontId::proportional(13.0), Color32::WHITE);
    let rect = Rect::from_min_size(
        at + Vec2::new(14.0, 14.0),
        galley.size() + Vec2::splat(12.0),
    );
    painter.rect_filled(rect, 4.0, Color32::from_black_alpha(220));
    painter.galley(rect.min + Vec2::splat(6.0), galley, Color32::WHITE);
}

/// Names of places under the markers: quiet, and only at zooms where they
/// do not crowd each other.
fn place_names(
    painter: &egui::Painter,
    rect: Rect,
    places: &[crate::basemap::Place],
    zoom: f64,
    screen: &dyn Fn(GeoPoint) -> Pos2,
) {
    let en = crate::i18n::lang() == crate::i18n::Lang::En;
    for p in places.iter().filter(|p| zoom >= p.min_zoom()) {
        let at = screen(GeoPoint {
            lat: p.lat,
            lon: p.lon,
        });
        if !rect.expand(40.0).contains(at) {
            continue;
        }
        let (size, colour) = match p.rank {
            1 => (16.0, Color32::from_rgba_unmultiplied(0xc8, 0xcf, 0xd8, 150)),
            2 => (13.0, Color32::from_rgba_unmultiplied(0xa8, 0xb2, 0xc0, 120)),
            _ => (12.0, Color32::from_rgba_unmultiplied(0x6a, 0x9c, 0xc8, 170)),
        };
        let name = if en { &p.en } else { &p.zh };
        painter.text(
            at,
            Align2::CENTER_CENTER,
            name,
            FontId::proportional(size),
            colour,
        );
    }
}

fn graticule(painter: &egui::Painter, rect: Rect, projector: &Projector, zoom: f64) {
    let step = if zoom >= 11.0 {
        0.05
    } else if zoom >= 9.0 {
        0.25
    } else {
        1.0
    };
    let nw = projector.unproject(rect.min.to_vec2());
    let se = projector.unproject(rect.max.to_vec2());
    let stroke = Stroke::new(1.0, Color32::from_rgba_unmultiplied(255, 255, 255, 14));
    let mut lon = (nw.x() / step).floor() * step;
    while lon <= se.x() {
        let x = projector.project(lat_lon(nw.y(), lon)).x;
        painter.line_segment(
            [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
            stroke,
        );
        lon += step;
    }
    let mut lat = (se.y() / step).floor() * step;
    while lat <= nw.y() {
        let y = projector.project(lat_lon(lat, nw.x())).y;
        painter.line_segment(
            [Pos2::new(rect.left(), y), Pos2::new(rect.right(), y)],
            stroke,
        );
        lat += step;
    }
}

fn scale_bar(painter: &egui::Painter, rect: Rect, projector: &Projector) {
    let anchor = rect.right_bottom() + Vec2::new(-20.0, -14.0);
    let at = projector.unproject(anchor.to_vec2());
    let ppm = projector.scale_pixel_per_meter(at);
    if !(ppm.is_finite() && ppm > 0.0) {
        return;
    }
    // The largest 1-2-5 distance that fits in 160 px.
    let max_m = 160.0 / ppm;
    let mut m = 1.0f32;
    for candidate in [1.0, 2.0, 5.0]
        .iter()
        .flat_map(|f| (0..7).map(move |e| f * 10f32.powi(e)))
    {
        if candidate <= max_m && candidate > m {
            m = candidate;
        }
    }
    let w = m * ppm;
    let left = anchor - Vec2::new(w, 0.0);
    let stroke = Stroke::new(2.0, Color32::from_gray(220));
    painter.line_segment([left, anchor], stroke);
    painter.line_segment([left, left - Vec2::new(0.0, 6.0)], stroke);
    painter.line_segment([anchor, anchor - Vec2::new(0.0, 6.0)], stroke);
    let label = if m >= 1000.0 {
        tf("map.km", &[&(m / 1000.0).to_string()])
    } else {
        tf("map.m", &[&m.to_string()])
    };
    painter.text(
        left + Vec2::new(w / 2.0, -8.0),
        Align2::CENTER_BOTTOM,
        label,
        FontId::proportional(12.0),
        Color32::from_gray(220),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_a_box_picks_the_zoom_that_shows_all_of_it() {
        let size = Vec2::new(1000.0, 700.0);
        // Changchun to Dehui: about 0.8° of latitude.
        let z = fit_zoom(43.8, 44.6, 125.2, 125.8, size);
        // At zoom z the box must fit; one level closer it must not.
        let span_px = |z: f64| {
            let merc = |lat: f64| {
                let r = lat.to_radians();
                (r.tan() + 1.0 / r.cos()).ln()
            };
            let world = 256.0 * 2f64.powf(z);
            (
                (125.8 - 125.2) / 360.0 * world,
                (merc(44.6) - merc(43.8)) / (2.0 * std::f64::consts::PI) * world,
            )
        };
        let (w, h) = span_px(z);
        assert!(w <= 1000.0 && h <= 700.0, "{z}: {w}x{h}");
        let (w, h) = span_px(z + 1.0);
        assert!(w > 800.0 || h > 560.0, "{z} is not the closest fit");
        assert_eq!(fit_zoom(44.0, 44.0, 125.0, 125.0, size), 16.0);
        assert_eq!(fit_zoom(-80.0, 80.0, -180.0, 180.0, size), 3.0);
    }

    #[test]
    fn nearby_markers_cluster_and_distant_ones_stay_alone() {
        let pts = [
            Pos2::new(0.0, 0.0),
            Pos2::new(5.0, 5.0),
            Pos2::new(100.0, 0.0),
            Pos2::new(3.0, -4.0),
            Pos2::new(100.0, 15.0),
        ];
        assert_eq!(cluster(&pts, 16.0), vec![vec![0, 1, 3], vec![2, 4]]);
        assert_eq!(cluster(&pts, 1.0).len(), 5);
        assert_eq!(
            centroid([Pos2::new(0.0, 0.0), Pos2::new(4.0, 2.0)].into_iter()),
            Pos2::new(2.0, 1.0)
        );
    }

    #[test]
    fn grid_clustering_groups_exactly_as_a_scan_of_all_groups() {
        fn scan(points: &[Pos2], radius: f32) -> Vec<Vec<usize>> {
            let mut groups: Vec<Vec<usize>> = Vec::new();
            for (i, p) in points.iter().enumerate() {
                match groups
                    .iter_mut()
                    .find(|g| points[g[0]].distance(*p) < radius)
                {
                    Some(g) => g.push(i),
                    None => groups.push(vec![i]),
                }
            }
            groups
        }
        let mut x: u64 = 99;
        let mut next = || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (x >> 40) as f32 / (1u64 << 24) as f32
        };
        for n in [1, 10, 300, 2_000] {
            let pts: Vec<Pos2> = (0..n)
                .map(|_| Pos2::new(next() * 800.0 - 100.0, next() * 600.0 - 100.0))
                .collect();
            assert_eq!(
                cluster(&pts, CLUSTER_PX),
                scan(&pts, CLUSTER_PX),
                "{n} points"
            );
        }
    }
}
