//! The map: walkers in the central panel, with the realm's teams,
//! incidents, depots, hazard sources, shelters and dispatch lines on top.
//! No basemap tiles yet: a graticule stands in until the offline basemap lands.

use crate::picture::{Picture, Selection};
use crate::theme;
use bevy::prelude::*;
use bevy_egui::egui::{self, Align2, Color32, FontId, Pos2, Rect, Stroke, Vec2};
use domain::time::{Millis, human_duration};
use domain::{GeoPoint, IncidentStatus, State, Team, Timestamp};
use walkers::{Map, MapMemory, Position, Projector, lat_lon};

/// Holds the map's view (centre, zoom) between frames.
pub struct MapPlugin;

impl Plugin for MapPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(MapView::default());
    }
}

/// The map's view state.
#[derive(Resource)]
pub struct MapView {
    memory: MapMemory,
    home: Position,
}

impl Default for MapView {
    fn default() -> Self {
        let mut memory = MapMemory::default();
        // Changchun and Dehui both in view.
        let _ = memory.set_zoom(9.5);
        Self {
            memory,
            home: lat_lon(44.20, 125.52),
        }
    }
}

impl MapView {
    /// Centres the map on a point.
    pub fn center_on(&mut self, p: GeoPoint) {
        self.memory.center_at(pos(p));
    }
}

fn pos(p: GeoPoint) -> Position {
    lat_lon(p.lat, p.lon)
}

/// Draws the map into `ui`, filling it.
pub fn show(ui: &mut egui::Ui, view: &mut MapView, picture: &mut Picture, now: Timestamp) {
    let rect = ui.available_rect_before_wrap();
    ui.painter().rect_filled(rect, 0.0, theme::MAP_BG);
    let layers = Layers {
        state: &picture.state,
        selected: &mut picture.selected,
        now,
    };
    let home = view.home;
    ui.add(Map::new(None, &mut view.memory, home).with_plugin(layers));
}

/// Everything drawn over the map.
struct Layers<'a> {
    state: &'a State,
    selected: &'a mut Option<Selection>,
    now: Timestamp,
}

/// A thing on the map that can be hovered and clicked.
struct Hit {
    at: Pos2,
    selection: Option<Selection>,
    tooltip: String,
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
        let screen = |p: GeoPoint| projector.project(pos(p)).to_pos2();
        graticule(&painter, response.rect, projector, map_memory.zoom());
        let s = self.state;
        let mut hits = Vec::new();
        let small = FontId::proportional(12.0);

        for h in s.hazards.values() {
            let p = screen(h.position);
            let c = theme::risk(h.risk);
            let d = 7.0;
            painter.add(egui::Shape::convex_polygon(
                vec![
                    p + Vec2::new(0.0, -d),
                    p + Vec2::new(d, 0.0),
                    p + Vec2::new(0.0, d),
                    p + Vec2::new(-d, 0.0),
                ],
                c.gamma_multiply(0.85),
                Stroke::new(1.0, Color32::BLACK),
            ));
            hits.push(Hit {
                at: p,
                selection: None,
                tooltip: format!("危险源 {}\n{} · {}", h.name, h.kind, h.risk.zh()),
            });
        }
        for sh in s.shelters.values() {
            let p = screen(sh.position);
            square_marker(&painter, p, Color32::from_rgb(0x2e, 0x7d, 0x32), "避");
            hits.push(Hit {
                at: p,
                selection: None,
                tooltip: format!("避难场所 {}\n容量 {} 人", sh.name, sh.capacity),
            });
        }
        for d in s.depots.values() {
            let p = screen(d.position);
            square_marker(&painter, p, Color32::from_rgb(0x8d, 0x6e, 0x63), "储");
            let lines: Vec<String> = d
                .stock
                .values()
                .take(4)
                .map(|l| format!("{} {}{}", l.name, l.free(), l.unit))
                .collect();
            hits.push(Hit {
                at: p,
                selection: Some(Selection::Depot(d.id.clone())),
                tooltip: format!("{}\n{}", d.name, lines.join("\n")),
            });
        }

        // Dispatch lines from each busy team to its incident.
        for o in s.orders.values().filter(|o| !o.status.is_final()) {
            if let (Some(t), Some(i)) = (s.teams.get(&o.team), s.incidents.get(&o.incident)) {
                let from = screen(team_position(t));
                let to = screen(i.position);
                painter.line_segment(
                    [from, to],
                    Stroke::new(2.0, theme::team_status(&t.status).gamma_multiply(0.8)),
                );
            }
        }

        for t in s.teams.values() {
            let p = screen(team_position(t));
            let (age, stale) = fix_age(s, t, self.now);
            let alpha = if stale { 0.35 } else { 1.0 };
            let c = theme::team_status(&t.status).gamma_multiply(alpha);
            painter.circle_filled(p, 6.0, c);
            painter.circle_stroke(p, 6.0, Stroke::new(1.0, Color32::BLACK));
            let label = match (stale, age) {
                (true, Some(a)) => format!("{}（{}前）", t.name, human_duration(a)),
                (true, None) => format!("{}（无定位）", t.name),
                _ => t.name.clone(),
            };
            painter.text(
                p + Vec2::new(9.0, 0.0),
                Align2::LEFT_CENTER,
                label,
                small.clone(),
                Color32::from_gray(if stale { 140 } else { 215 }),
            );
            hits.push(Hit {
                at: p,
                selection: Some(Selection::Team(t.id.clone())),
                tooltip: format!("{}\n{} · {}", t.name, t.kind.zh(), t.status.zh()),
            });
        }

        let pulse = ((self.now.0 % 1200) as f32 / 1200.0 * std::f32::consts::TAU).sin() * 0.5 + 0.5;
        for i in s
            .incidents
            .values()
            .filter(|i| i.status != IncidentStatus::Closed)
        {
            let p = screen(i.position);
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
            painter.text(
                p + Vec2::new(0.0, -14.0),
                Align2::CENTER_BOTTOM,
                &i.title,
                FontId::proportional(13.5),
                Color32::WHITE,
            );
            hits.push(Hit {
                at: p,
                selection: Some(Selection::Incident(i.id.clone())),
                tooltip: format!(
                    "{}\n{} · {}事故\n{}",
                    i.title,
                    i.sector.zh(),
                    i.grade.zh(),
                    i.address
                ),
            });
        }

        // Hover shows a tooltip; click selects.
        if let Some(pointer) = response.hover_pos() {
            let nearest = hits
                .iter()
                .map(|h| (h, h.at.distance(pointer)))
                .filter(|(_, d)| *d < 12.0)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((hit, _)) = nearest {
                tooltip(&painter, pointer, &hit.tooltip);
                if response.clicked()
                    && let Some(sel) = &hit.selection
                {
                    *self.selected = Some(sel.clone());
                }
            }
            let under = projector.unproject(pointer.to_vec2());
            painter.text(
                response.rect.left_bottom() + Vec2::new(8.0, -8.0),
                Align2::LEFT_BOTTOM,
                format!("{:.5}°N {:.5}°E", under.y(), under.x()),
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

fn team_position(t: &Team) -> GeoPoint {
    t.last_fix.map_or(t.home, |f| f.position)
}

/// Age of the team's fix and whether it is stale (no fix counts as stale).
fn fix_age(s: &State, t: &Team, now: Timestamp) -> (Option<Millis>, bool) {
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
        format!("{} 公里", m / 1000.0)
    } else {
        format!("{m} 米")
    };
    painter.text(
        left + Vec2::new(w / 2.0, -8.0),
        Align2::CENTER_BOTTOM,
        label,
        FontId::proportional(12.0),
        Color32::from_gray(220),
    );
}
