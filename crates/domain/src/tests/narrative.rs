use super::world::*;
use crate::*;

#[test]
fn an_order_reads_as_who_sent_which_team_with_what_note() {
    let mut s = world();
    let events = must(
        &mut s,
        Command::IssueOrder {
            order: OrderId::new("O-1"),
            incident: IncidentId::new("INC-1"),
            team: TeamId::new("HZ-1"),
            note: "上风向侦检".into(),
            recommendation_shown: vec![],
        },
        Role::DutyOfficer,
        T0,
    );
    let e = &events[0];
    assert_eq!(narrative::actor(e), "tester（值班员）");
    assert_eq!(
        narrative::describe(e, &s),
        "向 危化品救援队 HZ-1 下达指令：上风向侦检"
    );
}

#[test]
fn a_regrade_names_both_grades() {
    let mut s = world();
    let events = must(
        &mut s,
        Command::UpdateCasualties {
            incident: IncidentId::new("INC-1"),
            casualties: Casualties {
                deaths: 10,
                ..Default::default()
            },
            direct_loss_yuan: 0,
        },
        Role::DutyOfficer,
        T0,
    );
    assert_eq!(
        narrative::describe(&events[1], &s),
        "测试事件 INC-1 事故等级 一般 → 重大"
    );
}
