//! The demo world: Changchun (长春) and Dehui (德惠), Jilin. Teams, depots,
//! hazard sources, shelters and a night's incidents, played through the same
//! `decide`/`apply` the relay runs. Names are illustrative, not real units.

use domain::command::IncidentIntake;
use domain::deadline::{AdminLevel, ReportChannel};
use domain::time::MINUTE;
use domain::*;
use std::collections::BTreeMap;

fn admin() -> Actor {
    Actor::new("admin", Role::Admin, "setup")
}
fn officer() -> Actor {
    Actor::new("王丽", Role::DutyOfficer, "console-1")
}
fn leader() -> Actor {
    Actor::new("张建国", Role::Commander, "console-2")
}
/// The radio gateway that reports the demo's fixes.
pub fn field_actor() -> Actor {
    field()
}

fn field() -> Actor {
    Actor::new("bridge", Role::FieldGateway, "bridge-1")
}

struct TeamSpec {
    id: &'static str,
    name: &'static str,
    kind: TeamKind,
    caps: &'static [Capability],
    headcount: u32,
    jurisdiction: &'static str,
    home: (f64, f64),
    radio: &'static str,
}

const TEAMS: &[TeamSpec] = &[
    TeamSpec {
        id: "CC-TX1",
        name: "长春支队特勤一站",
        kind: TeamKind::ComprehensiveFireRescue,
        caps: &[],
        headcount: 36,
        jurisdiction: "长春市朝阳区",
        home: (43.8868, 125.3092),
        radio: "BG7CCA-9",
    },
    TeamSpec {
        id: "CC-NG",
        name: "长春支队南关站",
        kind: TeamKind::ComprehensiveFireRescue,
        caps: &[],
        headcount: 28,
        jurisdiction: "长春市南关区",
        home: (43.8560, 125.3560),
        radio: "BG7CCB-9",
    },
    TeamSpec {
        id: "DH-XF",
        name: "德惠市消防救援大队",
        kind: TeamKind::ComprehensiveFireRescue,
        caps: &[],
        headcount: 24,
        jurisdiction: "德惠市",
        home: (44.5350, 125.6950),
        radio: "BG7DHA-9",
    },
    TeamSpec {
        id: "DH-YQ",
        name: "德惠化工园区专职消防队",
        kind: TeamKind::EnterpriseFire,
        caps: &[
            Capability::FireSuppression,
            Capability::HazmatResponse,
            Capability::GasDetection,
        ],
        headcount: 18,
        jurisdiction: "德惠市",
        home: (44.5480, 125.7350),
        radio: "DHYQ-01",
    },
    TeamSpec {
        id: "JL-WH",
        name: "危化品应急救援长春基地",
        kind: TeamKind::Hazchem,
        caps: &[],
        headcount: 40,
        jurisdiction: "长春市绿园区",
        home: (43.9000, 125.2450),
        radio: "BG7WHA-9",
    },
    TeamSpec {
        id: "CC-JJ",
        name: "长春市急救中心",
        kind: TeamKind::Medical,
        caps: &[],
        headcount: 12,
        jurisdiction: "长春市朝阳区",
        home: (43.8800, 125.3150),
        radio: "CC120-01",
    },
    TeamSpec {
        id: "DH-JJ",
        name: "德惠市急救分站",
        kind: TeamKind::Medical,
        caps: &[],
        headcount: 6,
        jurisdiction: "德惠市",
        home: (44.5300, 125.7050),
        radio: "DH120-01",
    },
    TeamSpec {
        id: "CC-KS",
        name: "长春矿山救护队",
        kind: TeamKind::MineRescue,
        caps: &[],
        headcount: 30,
        jurisdiction: "长春市双阳区",
        home: (43.5250, 125.6600),
        radio: "CCKS-01",
    },
    TeamSpec {
        id: "CC-DL",
        name: "长春供电抢修队",
        kind: TeamKind::PowerGrid,
        caps: &[],
        headcount: 15,
        jurisdiction: "长春市宽城区",
        home: (43.9150, 125.3300),
        radio: "CCDL-01",
    },
    TeamSpec {
        id: "CC-PS",
        name: "长春市排水抢险队",
        kind: TeamKind::DrainageFlood,
        caps: &[],
        headcount: 25,
        jurisdiction: "长春市南关区",
        home: (43.8450, 125.3700),
        radio: "CCPS-01",
    },
    TeamSpec {
        id: "CC-LT",
        name: "长春蓝天救援队",
        kind: TeamKind::CivilNgo,
        caps: &[],
        headcount: 20,
        jurisdiction: "长春市二道区",
        home: (43.8700, 125.4100),
        radio: "BG7LTA-7",
    },
    TeamSpec {
        id: "CY-WX",
        name: "朝阳区红旗街微型消防站",
        kind: TeamKind::MicroFireStation,
        caps: &[],
        headcount: 6,
        jurisdiction: "长春市朝阳区",
        home: (43.8650, 125.2850),
        radio: "CYWX-01",
    },
    TeamSpec {
        id: "DH-ZY",
        name: "米沙子镇志愿救援队",
        kind: TeamKind::VillageVolunteer,
        caps: &[],
        headcount: 10,
        jurisdiction: "德惠市",
        home: (44.2200, 125.5200),
        radio: "MSZ-01",
    },
];

fn gp(p: (f64, f64)) -> GeoPoint {
    GeoPoint::new(p.0, p.1)
}

fn stock(lines: &[(&str, &str, &str, u64)]) -> BTreeMap<ItemId, StockLine> {
    lines
        .iter()
        .map(|(id, name, unit, q)| {
            (
                ItemId::new(*id),
                StockLine {
                    item: ItemId::new(*id),
                    name: (*name).into(),
                    unit: (*unit).into(),
                    on_hand: *q,
                    reserved: 0,
                    expiry: None,
                },
            )
        })
        .collect()
}

/// One scripted step of the demo night.
enum Step {
    /// A command as written.
    Command(Command),
    /// An order whose recommendation is computed when it is issued, as the
    /// officer would have seen it.
    Order {
        order: &'static str,
        incident: &'static str,
        team: &'static str,
        note: &'static str,
    },
}

/// A little relay: queues the night's steps, then decides them in time
/// order against the state so far.
struct Desk {
    queue: Vec<(Timestamp, Actor, Step)>,
}

impl Desk {
    fn run(&mut self, actor: Actor, at: Timestamp, cmd: Command) {
        self.queue.push((at, actor, Step::Command(cmd)));
    }

    fn order(
        &mut self,
        at: Timestamp,
        order: &'static str,
        incident: &'static str,
        team: &'static str,
        note: &'static str,
    ) {
        self.queue.push((
            at,
            officer(),
            Step::Order {
                order,
                incident,
                team,
                note,
            },
        ));
    }

    fn play(mut self) -> (Vec<Decision>, Vec<Rejection>) {
        // Stable: steps at the same instant keep their written order.
        self.queue.sort_by_key(|(at, _, _)| *at);
        let mut state = State::default();
        let (mut decisions, mut rejected) = (Vec::new(), Vec::new());
        for (at, actor, step) in self.queue {
            let cmd = match step {
                Step::Command(c) => c,
                Step::Order {
                    order,
                    incident,
                    team,
                    note,
                } => Command::IssueOrder {
                    order: OrderId::new(order),
                    incident: IncidentId::new(incident),
                    team: TeamId::new(team),
                    note: note.into(),
                    recommendation_shown: recommend(&state, &IncidentId::new(incident), at),
                },
            };
            let ctx = Context {
                now: at,
                actor,
                realm: RealmKind::Live,
            };
            match decide(&state, &cmd, &ctx) {
                Ok(new) => {
                    let d = Decision {
                        at,
                        actor: ctx.actor,
                        command: cmd,
                        events: new,
                    };
                    state.apply_decision(&d);
                    decisions.push(d);
                }
                Err(r) => rejected.push(r),
            }
        }
        (decisions, rejected)
    }
}

/// The demo night as of `now`: every decision in time order (commands with
/// the recommendation that was on screen filled in), and any command the
/// domain refused (none, unless the rules changed under the demo).
pub fn demo_decisions(now: Timestamp) -> (Vec<Decision>, Vec<Rejection>) {
    let ago = |min: i64| now.plus(-min * MINUTE);
    let mut d = Desk { queue: Vec::new() };
    let t0 = ago(180);

    let mut rules = Rules::default();
    rules.reporting.default = rules.reporting.default.clone().with_city_tightening();
    rules.jurisdictions = crate::demo_world::jurisdictions();
    d.run(admin(), t0, Command::SetRules(Box::new(rules)));
    d.run(
        admin(),
        t0,
        Command::SetRoster(DutyRoster {
            shifts: vec![Shift {
                starts_at: ago(12 * 60),
                ends_at: now.plus(12 * 60 * MINUTE),
                leader: UserId::new("张建国"),
                officers: vec![UserId::new("王丽"), UserId::new("李强")],
                handover_notes: "伊通河南关段水位偏高，注意内涝点巡查。".into(),
            }],
        }),
    );
    for t in TEAMS {
        d.run(
            admin(),
            t0,
            Command::RegisterTeam(Box::new(Team {
                id: TeamId::new(t.id),
                name: t.name.into(),
                kind: t.kind,
                tier: 1,
                capabilities: t.caps.to_vec(),
                headcount: t.headcount,
                equipment: Vec::new(),
                jurisdiction: JurisdictionId::new(t.jurisdiction),
                home: gp(t.home),
                radio_ids: vec![t.radio.into()],
                status: TeamStatus::Available,
                last_fix: None,
                support: None,
            })),
        );
    }
    d.run(
        admin(),
        t0,
        Command::RegisterDepot(Box::new(Depot {
            id: DepotId::new("CC-CK"),
            name: "长春市应急物资储备库".into(),
            owner: "长春市应急管理局".into(),
            position: GeoPoint::new(43.9120, 125.3650),
            jurisdiction: JurisdictionId::new("长春市宽城区"),
            stock: stock(&[
                ("sandbag", "编织袋", "条", 20_000),
                ("hazmat-suit", "重型防化服", "套", 120),
                ("foam", "泡沫灭火剂", "吨", 40),
                ("pump", "移动排水泵", "台", 36),
                ("tent", "救灾帐篷", "顶", 500),
                ("cot", "折叠床", "张", 1_000),
            ]),
        })),
    );
    d.run(
        admin(),
        t0,
        Command::RegisterDepot(Box::new(Depot {
            id: DepotId::new("DH-CK"),
            name: "德惠市应急物资储备点".into(),
            owner: "德惠市应急管理局".into(),
            position: GeoPoint::new(44.5250, 125.6880),
            jurisdiction: JurisdictionId::new("德惠市"),
            stock: stock(&[
                ("sandbag", "编织袋", "条", 5_000),
                ("absorbent", "吸附棉", "千克", 800),
                ("gas-mask", "防毒面具", "个", 300),
                ("hazmat-suit", "重型防化服", "套", 20),
            ]),
        })),
    );
    for (id, name, kind, pos, risk, ent, j) in [
        (
            "HZ-YA",
            "德惠化工园区液氨储罐区",
            "重大危险源·储罐区",
            (44.5520, 125.7280),
            RiskColour::Red,
            Some("吉德化工有限公司"),
            "德惠市",
        ),
        (
            "HZ-RQ",
            "南部燃气储配站",
            "燃气场站",
            (43.7900, 125.3000),
            RiskColour::Orange,
            Some("长春燃气"),
            "长春市南关区",
        ),
        (
            "HZ-YL",
            "伊通河南关段易涝点",
            "易涝点",
            (43.8600, 125.3480),
            RiskColour::Yellow,
            None,
            "长春市南关区",
        ),
        (
            "HZ-WF",
            "宽城区老旧危房片区",
            "危房",
            (43.9200, 125.3200),
            RiskColour::Blue,
            None,
            "长春市宽城区",
        ),
    ] {
        d.run(
            admin(),
            t0,
            Command::RegisterHazard(Box::new(HazardSource {
                id: HazardId::new(id),
                name: name.into(),
                kind: kind.into(),
                position: gp(pos),
                risk,
                enterprise: ent.map(Into::into),
                jurisdiction: JurisdictionId::new(j),
            })),
        );
    }
    for (id, name, pos, cap, j) in [
        (
            "SH-RM",
            "人民广场应急避难场所",
            (43.8840, 125.3240),
            20_000,
            "长春市朝阳区",
        ),
        (
            "SH-NH",
            "南湖公园应急避难场所",
            (43.8500, 125.3000),
            35_000,
            "长春市朝阳区",
        ),
        (
            "SH-DH",
            "德惠市体育场避难场所",
            (44.5330, 125.7000),
            8_000,
            "德惠市",
        ),
    ] {
        d.run(
            admin(),
            t0,
            Command::RegisterShelter(Box::new(Shelter {
                id: ShelterId::new(id),
                name: name.into(),
                position: gp(pos),
                capacity: cap,
                jurisdiction: JurisdictionId::new(j),
            })),
        );
    }

    // The rest of the city: every district's standing teams, depots,
    // hazard sources and shelters.
    let city = crate::demo_world::teams();
    for cmd in city
        .iter()
        .cloned()
        .chain(crate::demo_world::depots())
        .chain(crate::demo_world::hazards(96))
        .chain(crate::demo_world::shelters(27))
    {
        d.run(admin(), t0, cmd);
    }
    // Their trackers report from base, a minute ago.
    let sources = [
        FixSource::Nmea,
        FixSource::Aprs,
        FixSource::CursorOnTarget,
        FixSource::Gpsd,
    ];
    for (i, cmd) in city.iter().enumerate() {
        let Command::RegisterTeam(t) = cmd else {
            continue;
        };
        let at = ago(1);
        d.run(
            field(),
            at,
            Command::ReportFix {
                team: t.id.clone(),
                fix: Fix {
                    position: t.home,
                    accuracy_m: Some(10.0),
                    source: sources[i % sources.len()],
                    taken_at: at,
                },
            },
        );
    }

    // Positions from the field: most fresh, one APRS fix long stale.
    for (team, pos, source, age) in [
        ("CC-TX1", (43.8868, 125.3092), FixSource::Nmea, 1),
        ("CC-NG", (43.8560, 125.3560), FixSource::Nmea, 1),
        ("DH-XF", (44.5350, 125.6950), FixSource::Gpsd, 1),
        ("JL-WH", (44.1900, 125.4300), FixSource::CursorOnTarget, 1),
        ("DH-YQ", (44.5508, 125.7279), FixSource::Nmea, 1),
        ("CC-PS", (43.8604, 125.3484), FixSource::Aprs, 4),
        ("CC-JJ", (43.8800, 125.3150), FixSource::Nmea, 1),
        ("CC-LT", (43.8710, 125.4080), FixSource::Aprs, 47),
        ("CC-DL", (43.9150, 125.3300), FixSource::Aprs, 3),
    ] {
        d.run(
            field(),
            ago(age),
            Command::ReportFix {
                team: TeamId::new(team),
                fix: Fix {
                    position: gp(pos),
                    accuracy_m: Some(8.0),
                    source,
                    taken_at: ago(age),
                },
            },
        );
    }

    // A volunteer's APRS tracker the centre has not registered: it shows up
    // as an unassigned device for the officer to bind.
    d.run(
        field(),
        ago(5),
        Command::Field(domain::field::FieldCommand::SightDevice {
            device: "BG7QRS-9".into(),
            fix: Fix {
                position: gp((43.8765, 125.3668)),
                accuracy_m: Some(10.0),
                source: FixSource::Aprs,
                taken_at: ago(5),
            },
            emergency: false,
            text: Some("长春蓝天救援队 刘队 随车终端".into()),
        }),
    );

    // 1. Ammonia leak at the Dehui chemical park, 38 minutes ago.
    let leak = IncidentId::new("INC-001");
    d.run(
        officer(),
        ago(36),
        Command::OpenIncident(Box::new(IncidentIntake {
            id: leak.clone(),
            title: "德惠化工园区液氨泄漏".into(),
            sector: Sector::HazardousChemicals,
            position: GeoPoint::new(44.5515, 125.7290),
            address: "德惠市化工园区吉德化工有限公司液氨储罐区".into(),
            jurisdiction: JurisdictionId::new("德惠市"),
            enterprise: Some("吉德化工有限公司".into()),
            source: IntakeSource::Phone,
            occurred_at: ago(38),
            reported_at: ago(36),
            caller: "园区值班室 刘工 0431-0000-0000".into(),
            casualties: Casualties {
                deaths: 0,
                serious_injuries: 2,
                missing: 0,
            },
            direct_loss_yuan: 1_500_000,
            suggested_response_level: Some(ResponseLevel::III),
        })),
    );
    d.order(
        ago(34),
        "ORD-001",
        "INC-001",
        "DH-YQ",
        "立即出动，上风向侦检，设置警戒区",
    );
    for (step, min) in [
        (OrderStep::Delivered, 34),
        (OrderStep::Acknowledged, 33),
        (OrderStep::EnRoute, 32),
        (OrderStep::OnScene, 24),
    ] {
        d.run(
            field(),
            ago(min),
            Command::AdvanceOrder {
                order: OrderId::new("ORD-001"),
                step,
            },
        );
    }
    d.order(
        ago(30),
        "ORD-002",
        "INC-001",
        "JL-WH",
        "携带堵漏器材增援，到场后听从现场指挥部调度",
    );
    for (step, min) in [(OrderStep::Acknowledged, 29), (OrderStep::EnRoute, 27)] {
        d.run(
            field(),
            ago(min),
            Command::AdvanceOrder {
                order: OrderId::new("ORD-002"),
                step,
            },
        );
    }
    d.run(
        officer(),
        ago(28),
        Command::FileReport {
            incident: leak.clone(),
            kind: ReportKind::First,
            channel: ReportChannel::Phone,
            to_level: AdminLevel::County,
            summary: "液氨储罐区阀门泄漏，2人重伤已送医，园区专职消防队已到场处置。".into(),
        },
    );
    d.run(
        leader(),
        ago(25),
        Command::SetResponseLevel {
            incident: leak.clone(),
            level: Some(ResponseLevel::III),
            detail: domain::ResponseDetail {
                matters: "德惠化工园区液氨泄漏".into(),
                expected_hours: Some(8),
                measures: "园区下风向500米内人员疏散，危化品救援队堵漏，环境监测".into(),
            },
        },
    );
    d.run(
        officer(),
        ago(20),
        Command::ReserveSupplies {
            reservation: ReservationId::new("RES-001"),
            incident: leak.clone(),
            depot: DepotId::new("DH-CK"),
            lines: [
                (ItemId::new("absorbent"), 200),
                (ItemId::new("gas-mask"), 60),
            ]
            .into_iter()
            .collect(),
        },
    );
    d.run(
        officer(),
        ago(18),
        Command::DispatchSupplies {
            reservation: ReservationId::new("RES-001"),
        },
    );

    // 2. Waterlogging at the Yitong river, drainage team on scene.
    let flood = IncidentId::new("INC-002");
    d.run(
        officer(),
        ago(95),
        Command::OpenIncident(Box::new(IncidentIntake {
            id: flood.clone(),
            title: "伊通河南关段道路积水".into(),
            sector: Sector::FloodWaterlogging,
            position: GeoPoint::new(43.8610, 125.3490),
            address: "南关区亚泰大街与南环城路交汇处下穿桥".into(),
            jurisdiction: JurisdictionId::new("长春市南关区"),
            enterprise: None,
            source: IntakeSource::Hotline12350,
            occurred_at: ago(100),
            reported_at: ago(95),
            caller: "市民 赵女士 139****1234".into(),
            casualties: Casualties::default(),
            direct_loss_yuan: 0,
            suggested_response_level: None,
        })),
    );
    d.order(
        ago(93),
        "ORD-003",
        "INC-002",
        "CC-PS",
        "下穿桥排水，封闭交通",
    );
    for (step, min) in [
        (OrderStep::Acknowledged, 92),
        (OrderStep::EnRoute, 90),
        (OrderStep::OnScene, 78),
    ] {
        d.run(
            field(),
            ago(min),
            Command::AdvanceOrder {
                order: OrderId::new("ORD-003"),
                step,
            },
        );
    }
    d.run(
        officer(),
        ago(85),
        Command::SetWarning {
            incident: flood.clone(),
            colour: Some(WarningColour::Blue),
        },
    );
    d.run(
        officer(),
        ago(80),
        Command::FileReport {
            incident: flood.clone(),
            kind: ReportKind::First,
            channel: ReportChannel::Written,
            to_level: AdminLevel::County,
            summary: "下穿桥积水约0.6米，已封闭，排水抢险队到场。".into(),
        },
    );

    // 3. Tunnel truck fire: three dead, grade 较大, reported 9 minutes ago, no order yet.
    d.run(
        officer(),
        ago(9),
        Command::OpenIncident(Box::new(IncidentIntake {
            id: IncidentId::new("INC-003"),
            title: "长德隧道货车起火".into(),
            sector: Sector::Tunnel,
            position: GeoPoint::new(44.1800, 125.4900),
            address: "长德高速长德隧道北行K23+400".into(),
            jurisdiction: JurisdictionId::new("德惠市"),
            enterprise: Some("某物流公司".into()),
            source: IntakeSource::Radio,
            occurred_at: ago(14),
            reported_at: ago(9),
            caller: "高速交警 孙警官".into(),
            casualties: Casualties {
                deaths: 3,
                serious_injuries: 4,
                missing: 1,
            },
            direct_loss_yuan: 4_000_000,
            suggested_response_level: Some(ResponseLevel::II),
        })),
    );

    // 4. Elevator entrapment: ordinary, just in.
    d.run(
        officer(),
        ago(2),
        Command::OpenIncident(Box::new(IncidentIntake {
            id: IncidentId::new("INC-004"),
            title: "红旗街商厦电梯困人".into(),
            sector: Sector::SpecialEquipment,
            position: GeoPoint::new(43.8640, 125.2880),
            address: "朝阳区红旗街万达广场东侧商厦3号梯".into(),
            jurisdiction: JurisdictionId::new("长春市朝阳区"),
            enterprise: Some("某物业服务公司".into()),
            source: IntakeSource::Phone,
            occurred_at: ago(4),
            reported_at: ago(2),
            caller: "商户 陈先生 136****8888".into(),
            casualties: Casualties::default(),
            direct_loss_yuan: 0,
            suggested_response_level: None,
        })),
    );
    d.run(
        field(),
        ago(12),
        Command::SetTeamService {
            team: TeamId::new("CC-KS"),
            out_of_service: Some("季度拉动演练归建途中".into()),
        },
    );
    d.play()
}

/// One step of the demo's field: every team on its way moves `metres`
/// toward its incident (stopping short of it); each move is a fix report
/// as a tracker would send it, stamped `at`.
pub fn movement(state: &State, at: Timestamp, metres: f64) -> Vec<Command> {
    state
        .teams
        .values()
        .filter_map(|t| {
            let TeamStatus::EnRoute(order) = &t.status else {
                return None;
            };
            let to = state
                .incidents
                .get(&state.orders.get(order)?.incident)?
                .position;
            let from = t.last_fix.map_or(t.home, |f| f.position);
            let left = from.distance_m(&to);
            if left < 150.0 {
                return None;
            }
            let f = (metres / left).min(1.0);
            let position = GeoPoint::new(
                from.lat + (to.lat - from.lat) * f,
                from.lon + (to.lon - from.lon) * f,
            );
            Some(Command::ReportFix {
                team: t.id.clone(),
                fix: Fix {
                    position,
                    accuracy_m: Some(8.0),
                    source: FixSource::Simulated,
                    taken_at: at,
                },
            })
        })
        .collect()
}

/// The demo's table-top exercise realm.
pub const DRILL_REALM: &str = "drill-dehui-w47";

/// The scenario the demo's drill runs: file name, text, base world text.
pub const DRILL_SCENARIO: (&str, &str, &str) = (
    "dehui-ammonia-leak.toml",
    include_str!("../../scenarios/dehui-ammonia-leak.toml"),
    include_str!("../../scenarios/base-changchun.toml"),
);

/// The demo's drill scenario, parsed.
pub fn drill_scenario() -> Option<scenario::Scenario> {
    let (file, text, base) = DRILL_SCENARIO;
    scenario::load(file, text, |_| Ok(base.to_owned())).ok()
}

/// What happens after the console has caught up, as (delay after the
/// previous step, actor, command): the weekly communications test (每周通信
/// 测试) goes out and the teams answer one by one — one stays silent.
pub fn live_tail() -> Vec<(std::time::Duration, Actor, Command)> {
    use std::time::Duration;
    let teams: Vec<TeamId> = [
        "CC-TX1", "CC-NG", "DH-XF", "CC-JJ", "DH-JJ", "CC-PS", "CY-WX",
    ]
    .into_iter()
    .map(TeamId::new)
    .collect();
    let mut tail = vec![(
        Duration::from_millis(200),
        officer(),
        Command::StartCall {
            call: CallId::new("CALL-W47"),
            kind: CallKind::RollCall,
            message: "每周通信测试：各队收到请应答".into(),
            addressed_as: "全部市级队伍".into(),
            teams: teams.clone(),
        },
    )];
    for (i, team) in teams.iter().filter(|t| t.as_str() != "CY-WX").enumerate() {
        tail.push((
            Duration::from_millis(1_500 + 700 * i as u64),
            field(),
            Command::AnswerCall {
                call: CallId::new("CALL-W47"),
                team: team.clone(),
            },
        ));
    }
    tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_world_is_accepted_by_the_domain_in_full() {
        let now = Timestamp(1_795_451_400_000);
        let (decisions, rejected) = demo_decisions(now);
        assert_eq!(rejected, Vec::<Rejection>::new());
        let events: Vec<Event> = decisions.iter().flat_map(|d| d.events.clone()).collect();
        let state = State::from_events(&events);
        // The city a newcomer sees: every district's teams, depots, hazard
        // sources (all four risk colours) and shelters.
        assert!(state.teams.len() >= 60, "{} teams", state.teams.len());
        assert!(state.teams.len() > TEAMS.len());
        assert_eq!(state.depots.len(), 15);
        assert_eq!(state.hazards.len(), 100);
        assert_eq!(state.shelters.len(), 30);
        assert_eq!(state.incidents.len(), 4);
        assert_eq!(
            state.incidents[&IncidentId::new("INC-003")].grade,
            AccidentGrade::Larger
        );
        assert_eq!(
            state.teams[&TeamId::new("DH-YQ")].status,
            TeamStatus::OnScene(OrderId::new("ORD-001"))
        );
        assert!(
            events.windows(2).all(|w| w[0].at <= w[1].at),
            "events in time order"
        );
        let shown = &state.orders[&OrderId::new("ORD-001")].recommendation_shown;
        assert_eq!(shown.first().map(|c| c.team.as_str()), Some("DH-YQ"));
    }

    #[test]
    fn the_live_tail_is_accepted_after_the_night() {
        let now = Timestamp(1_795_451_400_000);
        let mut state = State::default();
        for d in demo_decisions(now).0 {
            state.apply_decision(&d);
        }
        for (i, (_, actor, cmd)) in live_tail().into_iter().enumerate() {
            let ctx = Context {
                now: now.plus(i as i64 * 1_000),
                actor,
                realm: RealmKind::Live,
            };
            let events = decide(&state, &cmd, &ctx).expect("accepted");
            for e in &events {
                state.apply(e);
            }
        }
        let call = &state.calls[&CallId::new("CALL-W47")];
        assert_eq!(call.answers.len(), 6);
        assert_eq!(call.silent(), vec![&TeamId::new("CY-WX")]);
    }

    #[test]
    fn teams_on_their_way_close_in_on_their_incident() {
        let (night, _) = demo_decisions(NOW_T);
        let mut state = State::default();
        for d in &night {
            state.apply_decision(d);
        }
        let moving = movement(&state, NOW_T.plus(1_000), 500.0);
        assert!(!moving.is_empty(), "the demo has a team en route");
        for cmd in &moving {
            let Command::ReportFix { team, fix } = cmd else {
                panic!("a fix");
            };
            let t = &state.teams[team];
            let TeamStatus::EnRoute(order) = &t.status else {
                panic!("only teams en route move");
            };
            let target = state.incidents[&state.orders[order].incident].position;
            let before = t
                .last_fix
                .map_or(t.home, |f| f.position)
                .distance_m(&target);
            let after = fix.position.distance_m(&target);
            assert!((before - after - 500.0).abs() < 5.0, "{before} → {after}");
            let ctx = Context {
                now: NOW_T.plus(1_000),
                actor: field(),
                realm: RealmKind::Live,
            };
            decide(&state, cmd, &ctx).expect("the relay accepts the fix");
        }
    }

    const NOW_T: Timestamp = Timestamp(1_795_451_400_000);

    #[test]
    fn the_demo_drill_scenario_parses() {
        let sc = drill_scenario().expect("the embedded scenario is valid");
        assert!(!sc.injects.is_empty());
    }

    #[test]
    fn the_demo_world_is_deterministic() {
        let now = Timestamp(1_795_451_400_000);
        assert_eq!(demo_decisions(now), demo_decisions(now));
    }
}
