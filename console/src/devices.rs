//! Unassigned devices (未分配设备): radios and trackers the bridge hears
//! that belong to no team. The duty officer sees where each one is and what
//! it said, and binds it to a team — a decision in the log, in the
//! officer's name, like a dispatch. From then on its fixes and alarms are
//! the team's.

use crate::i18n::{t, tf};
use crate::net::Outbox;
use crate::picture::Picture;
use crate::theme;
use bevy_egui::egui::{self, RichText};
use domain::field::{FieldCommand, UnassignedDevice};
use domain::time::human_duration;
use domain::{Command, TeamId, Timestamp};

/// The tab's title, with the count.
pub fn tab_label(p: &Picture) -> String {
    tf(
        "devices.tab",
        &[&p.state.field.unassigned.len().to_string()],
    )
}

/// Newest first; alarms before everything.
pub fn ordered(p: &Picture) -> Vec<&UnassignedDevice> {
    let mut v: Vec<&UnassignedDevice> = p.state.field.unassigned.values().collect();
    v.sort_by(|a, b| {
        b.emergency
            .cmp(&a.emergency)
            .then(b.last_seen.cmp(&a.last_seen))
            .then(a.device.cmp(&b.device))
    });
    v
}

/// The list, each with a team picker and a bind button.
pub fn panel(ui: &mut egui::Ui, p: &Picture, outbox: &mut Outbox, now: Timestamp) {
    let devices = ordered(p);
    if devices.is_empty() {
        ui.label(RichText::new(t("devices.none")).color(theme::MUTED));
        return;
    }
    ui.label(RichText::new(t("devices.hint")).color(theme::MUTED).small());
    egui::ScrollArea::vertical()
        .id_salt("unassigned-devices")
        .show(ui, |ui| {
            for d in devices {
                ui.separator();
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(&d.device).strong().monospace());
                    ui.label(
                        RichText::new(tf(
                            "devices.seen",
                            &[&human_duration(now.since(d.last_seen).max(0))],
                        ))
                        .color(theme::MUTED),
                    );
                    if d.emergency {
                        ui.label(
                            RichText::new(t("devices.emergency"))
                                .color(theme::ALARM)
                                .strong(),
                        );
                    }
                });
                let pos = d.fix.position;
                ui.label(
                    RichText::new(format!(
                        "{:.5}, {:.5} · {}",
                        pos.lat,
                        pos.lon,
                        tf("devices.first_seen", &[&d.first_seen.cst_hm()])
                    ))
                    .color(theme::MUTED)
                    .small(),
                );
                if let Some(text) = &d.text {
                    ui.label(RichText::new(text).italics());
                }
                // Nearest teams first: a stray radio most often belongs to
                // the team whose base or last fix is beside it.
                let mut teams: Vec<(&TeamId, &str, f64)> = p
                    .state
                    .teams
                    .values()
                    .map(|t| {
                        let at = t.last_fix.map_or(t.home, |f| f.position);
                        (&t.id, t.name.as_str(), at.distance_m(&pos))
                    })
                    .collect();
                teams.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.1.cmp(b.1)));
                let key = egui::Id::new(("bind-to", &d.device));
                let mut chosen: Option<TeamId> = ui.data(|m| m.get_temp(key)).flatten();
                ui.horizontal(|ui| {
                    let shown = chosen
                        .as_ref()
                        .and_then(|id| teams.iter().find(|(t, _, _)| *t == id))
                        .map_or(t("devices.pick_team"), |(_, n, _)| n);
                    egui::ComboBox::from_id_salt(("bind-combo", &d.device))
                        .selected_text(shown)
                        .width(170.0)
                        .show_ui(ui, |ui| {
                            for (id, name, metres) in &teams {
                                ui.selectable_value(
                                    &mut chosen,
                                    Some((*id).clone()),
                                    format!("{name} · {:.1} km", metres / 1000.0),
                                );
                            }
                        });
                    let bind =
                        ui.add_enabled(chosen.is_some(), egui::Button::new(t("devices.bind")));
                    if bind.clicked()
                        && let Some(team) = chosen.clone()
                    {
                        let name = teams
                            .iter()
                            .find(|(id, _, _)| **id == team)
                            .map_or("", |(_, n, _)| n);
                        outbox.send(
                            tf("devices.bind_label", &[&d.device, name]),
                            Command::Field(FieldCommand::BindDevice {
                                device: d.device.clone(),
                                team,
                            }),
                        );
                        chosen = None;
                    }
                });
                ui.data_mut(|m| m.insert_temp(key, chosen));
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::demo_decisions;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    const NOW: Timestamp = Timestamp(1_795_451_400_000);

    struct Desk {
        picture: Picture,
        outbox: Outbox,
    }

    #[test]
    fn an_officer_binds_the_demos_stray_tracker_to_a_team() {
        let mut picture = Picture::new("live", false, "test");
        for d in demo_decisions(NOW).0 {
            picture.state.apply_decision(&d);
        }
        assert!(
            picture.state.field.unassigned.contains_key("BG7QRS-9"),
            "the demo has a stray tracker"
        );
        // The nearest team to the tracker is offered first.
        let at = picture.state.field.unassigned["BG7QRS-9"].fix.position;
        let nearest = picture
            .state
            .teams
            .values()
            .min_by(|a, b| {
                let d =
                    |t: &domain::Team| t.last_fix.map_or(t.home, |f| f.position).distance_m(&at);
                d(a).total_cmp(&d(b))
            })
            .expect("teams");
        let first = nearest.name.clone();
        let item = format!(
            "{first} · {:.1} km",
            nearest
                .last_fix
                .map_or(nearest.home, |f| f.position)
                .distance_m(&at)
                / 1000.0
        );
        let (outbox, mut rx) = Outbox::for_test(vec![("王丽".into(), domain::Role::DutyOfficer)]);
        let mut h = Harness::builder().with_size([420.0, 600.0]).build_ui_state(
            |ui, d: &mut Desk| panel(ui, &d.picture, &mut d.outbox, NOW),
            Desk { picture, outbox },
        );
        h.run();
        assert!(h.query_by_label("BG7QRS-9").is_some());
        // Nothing to send before a team is chosen.
        h.get_by_label(t("devices.bind")).click();
        h.run();
        assert!(rx.try_recv().is_err());
        h.get_by_value(t("devices.pick_team")).click();
        h.run();
        h.get_by_label(&item).click();
        h.run();
        assert!(
            h.query_by_value(&first).is_some(),
            "the picker shows the chosen team"
        );
        h.get_by_label(t("devices.bind")).click();
        h.run();
        let sent = rx.try_recv().expect("a command").command;
        let Command::Field(FieldCommand::BindDevice { device, team }) = sent else {
            panic!("a binding, got {sent:?}");
        };
        assert_eq!(device, "BG7QRS-9");
        assert_eq!(h.state().picture.state.teams[&team].name, first);
    }
}
