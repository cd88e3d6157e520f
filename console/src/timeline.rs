//! The review timeline (复盘时间轴): marks for incidents, orders, reports and
//! alarms along a log's span, a cursor to drag, play and pause at 1–100×,
//! and a step to the next decision. It only moves the cursor; the review
//! mode folds the state at the cursor.

use crate::i18n::{t, tf};
use crate::theme;
use bevy_egui::egui::{self, Color32, Pos2, Rect, RichText, Sense, Stroke, Vec2};
use domain::Timestamp;

/// What a mark on the timeline stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarkKind {
    /// An incident opened, regraded or closed.
    Incident,
    /// An order issued or moved.
    Order,
    /// A report filed.
    Report,
    /// A time-out, escalation or emergency.
    Alarm,
}

impl MarkKind {
    fn colour(self) -> Color32 {
        match self {
            MarkKind::Incident => Color32::from_rgb(0xef, 0x53, 0x50),
            MarkKind::Order => Color32::from_rgb(0x42, 0xa5, 0xf5),
            MarkKind::Report => Color32::from_rgb(0x66, 0xbb, 0x6a),
            MarkKind::Alarm => Color32::from_rgb(0xff, 0xa7, 0x26),
        }
    }

    fn row(self) -> f32 {
        match self {
            MarkKind::Incident => 0.0,
            MarkKind::Order => 1.0,
            MarkKind::Report => 2.0,
            MarkKind::Alarm => 3.0,
        }
    }
}

/// One mark: where in the log, when, what, and a line to show on hover.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// Seq of the decision.
    pub seq: u64,
    /// Its time.
    pub at: Timestamp,
    /// Kind.
    pub kind: MarkKind,
    /// What happened, in words.
    pub text: String,
}

/// The cursor and playback.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Start of the log.
    pub start: Timestamp,
    /// End of the log.
    pub end: Timestamp,
    /// Where the review stands.
    pub cursor: Timestamp,
    /// Playing forward.
    pub playing: bool,
    /// Log seconds per real second.
    pub speed: u32,
}

/// What the officer asked of the timeline this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jump {
    /// Nothing new.
    None,
    /// The cursor moved to a time.
    To(Timestamp),
    /// Step to the next decision after the cursor.
    NextDecision,
    /// Step to the previous decision before the cursor.
    PreviousDecision,
}

impl Timeline {
    /// A timeline over `[start, end]` with the cursor at the start.
    pub fn new(start: Timestamp, end: Timestamp) -> Self {
        Self {
            start,
            end: end.max(start),
            cursor: start,
            playing: false,
            speed: 10,
        }
    }

    /// Advances the cursor by `dt` of real time when playing; stops at the end.
    pub fn advance(&mut self, dt: std::time::Duration) -> Jump {
        if !self.playing {
            return Jump::None;
        }
        let step = (dt.as_secs_f64() * 1000.0 * f64::from(self.speed)) as i64;
        self.cursor = self.cursor.plus(step.max(1)).min(self.end);
        if self.cursor >= self.end {
            self.playing = false;
        }
        Jump::To(self.cursor)
    }

    /// The time under x in `rect`.
    pub fn time_at(&self, rect: Rect, x: f32) -> Timestamp {
        let f = ((x - rect.left()) / rect.width()).clamp(0.0, 1.0);
        self.start
            .plus((self.end.since(self.start) as f64 * f64::from(f)) as i64)
    }

    /// The x of time `t` in `rect`.
    pub fn x_of(&self, rect: Rect, t: Timestamp) -> f32 {
        let span = self.end.since(self.start).max(1) as f64;
        rect.left() + rect.width() * (t.since(self.start) as f64 / span) as f32
    }

    /// Draws the controls and the bar; returns what the officer asked.
    pub fn show(&mut self, ui: &mut egui::Ui, marks: &[Mark]) -> Jump {
        let mut jump = Jump::None;
        ui.horizontal(|ui| {
            if ui
                .button(t("timeline.prev"))
                .on_hover_text(t("timeline.prev_tip"))
                .clicked()
            {
                jump = Jump::PreviousDecision;
            }
            let play = if self.playing {
                t("timeline.pause")
            } else {
                t("timeline.play")
            };
            if ui.button(play).clicked() {
                self.playing = !self.playing;
            }
            if ui
                .button(t("timeline.next"))
                .on_hover_text(t("timeline.next_tip"))
                .clicked()
            {
                jump = Jump::NextDecision;
            }
            ui.add(egui::Slider::new(&mut self.speed, 1..=100).text(t("timeline.speed")));
            ui.label(
                RichText::new(tf("timeline.clock", &[&self.cursor.cst_string()]))
                    .monospace()
                    .size(16.0),
            );
            ui.label(
                RichText::new(format!(
                    "（{} – {}）",
                    self.start.cst_string(),
                    self.end.cst_string()
                ))
                .color(theme::MUTED),
            );
        });
        let (rect, response) = ui.allocate_exact_size(
            Vec2::new(ui.available_width(), 56.0),
            Sense::click_and_drag(),
        );
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 3.0, Color32::from_rgb(0x14, 0x19, 0x20));
        let row_h = rect.height() / 4.0;
        let mut hovered: Option<&Mark> = None;
        let pointer = response.hover_pos();
        for m in marks {
            let x = self.x_of(rect, m.at);
            let y = rect.top() + row_h * (m.kind.row() + 0.5);
            painter.line_segment(
                [Pos2::new(x, y - row_h * 0.4), Pos2::new(x, y + row_h * 0.4)],
                Stroke::new(2.0, m.kind.colour()),
            );
            if let Some(p) = pointer
                && (p.x - x).abs() < 3.0
                && (p.y - y).abs() < row_h
            {
                hovered = Some(m);
            }
        }
        let cx = self.x_of(rect, self.cursor);
        painter.line_segment(
            [Pos2::new(cx, rect.top()), Pos2::new(cx, rect.bottom())],
            Stroke::new(2.0, Color32::WHITE),
        );
        if let Some(m) = hovered {
            response
                .clone()
                .on_hover_text(format!("{} {}", m.at.cst_string(), m.text));
        }
        if (response.dragged() || response.clicked())
            && let Some(p) = response.interact_pointer_pos()
        {
            self.cursor = self.time_at(rect, p.x);
            jump = Jump::To(self.cursor);
        }
        jump
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playing_moves_the_cursor_at_the_chosen_rate_and_stops_at_the_end() {
        let mut t = Timeline::new(Timestamp(0), Timestamp(60_000));
        assert_eq!(t.advance(std::time::Duration::from_secs(1)), Jump::None);
        t.playing = true;
        t.speed = 10;
        assert_eq!(
            t.advance(std::time::Duration::from_secs(1)),
            Jump::To(Timestamp(10_000))
        );
        t.speed = 100;
        t.advance(std::time::Duration::from_secs(1));
        assert_eq!(t.cursor, Timestamp(60_000));
        assert!(!t.playing, "stops at the end");
    }

    #[test]
    fn positions_and_times_map_both_ways() {
        let t = Timeline::new(Timestamp(1_000), Timestamp(11_000));
        let r = Rect::from_min_size(Pos2::new(100.0, 0.0), Vec2::new(200.0, 10.0));
        assert_eq!(t.x_of(r, Timestamp(6_000)), 200.0);
        assert_eq!(t.time_at(r, 200.0), Timestamp(6_000));
        assert_eq!(t.time_at(r, -50.0), Timestamp(1_000));
        assert_eq!(t.time_at(r, 999.0), Timestamp(11_000));
    }
}
