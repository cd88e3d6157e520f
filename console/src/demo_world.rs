//! The rest of the demo city: the standing teams, depots, hazard sources and
//! shelters of every district of 长春 beyond the few the demo night's story
//! names. Made the same way every time from district tables (names are
//! illustrative, not real units; places lie inside each district's area).

use domain::*;
use std::collections::BTreeMap;

/// A district: jurisdiction id, short name, area (south, north, west, east),
/// and whether it is rural (a county-level city or county: villages, mines).
pub struct District {
    pub id: &'static str,
    pub short: &'static str,
    pub area: (f64, f64, f64, f64),
    pub rural: bool,
}

/// Every district of the demo city, with its area as the jurisdiction
/// rules use it.
pub const DISTRICTS: &[District] = &[
    District {
        id: "长春市朝阳区",
        short: "朝阳区",
        area: (43.70, 43.87, 125.15, 125.33),
        rural: false,
    },
    District {
        id: "长春市南关区",
        short: "南关区",
        area: (43.70, 43.89, 125.33, 125.40),
        rural: false,
    },
    District {
        id: "长春市宽城区",
        short: "宽城区",
        area: (43.89, 44.10, 125.29, 125.40),
        rural: false,
    },
    District {
        id: "长春市绿园区",
        short: "绿园区",
        area: (43.87, 44.00, 125.10, 125.29),
        rural: false,
    },
    District {
        id: "长春市二道区",
        short: "二道区",
        area: (43.78, 43.98, 125.40, 125.60),
        rural: false,
    },
    District {
        id: "长春市双阳区",
        short: "双阳区",
        area: (43.35, 43.70, 125.45, 125.95),
        rural: true,
    },
    District {
        id: "长春市九台区",
        short: "九台区",
        area: (43.98, 44.15, 125.60, 126.20),
        rural: true,
    },
    District {
        id: "德惠市",
        short: "德惠市",
        area: (44.15, 44.85, 125.35, 126.10),
        rural: true,
    },
    District {
        id: "农安县",
        short: "农安县",
        area: (44.10, 44.85, 124.60, 125.35),
        rural: true,
    },
    District {
        id: "榆树市",
        short: "榆树市",
        area: (44.50, 45.30, 126.10, 127.00),
        rural: true,
    },
    District {
        id: "公主岭市",
        short: "公主岭市",
        area: (43.30, 43.87, 124.30, 125.15),
        rural: true,
    },
];

/// A number in [0, 1) that depends only on `n` (SplitMix64): the same world
/// every run, without a random number generator's state.
fn unit(n: u64) -> f64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// A place inside `d`, away from its edges; `n` picks which.
fn place(d: &District, n: u64) -> GeoPoint {
    let (s, north, w, e) = d.area;
    // Urban districts keep their places near the middle, as a city does.
    let spread = if d.rural { 0.7 } else { 0.5 };
    let lat = s + (north - s) * ((1.0 - spread) / 2.0 + spread * unit(n * 2));
    let lon = w + (e - w) * ((1.0 - spread) / 2.0 + spread * unit(n * 2 + 1));
    GeoPoint::new((lat * 1e4).round() / 1e4, (lon * 1e4).round() / 1e4)
}

fn team(
    id: String,
    name: String,
    kind: TeamKind,
    caps: &[Capability],
    headcount: u32,
    d: &District,
    n: u64,
) -> Command {
    Command::RegisterTeam(Box::new(Team {
        radio_ids: vec![format!("R{id}")],
        id: TeamId::new(id),
        name,
        kind,
        tier: 2,
        capabilities: caps.to_vec(),
        headcount,
        equipment: Vec::new(),
        jurisdiction: JurisdictionId::new(d.id),
        home: place(d, n),
        status: TeamStatus::Available,
        last_fix: None,
        support: None,
    }))
}

fn district(id: &str) -> &'static District {
    DISTRICTS
        .iter()
        .find(|d| d.id == id)
        .expect("a district of the table")
}

/// The standing teams of every district, and the city's specialist teams.
pub fn teams() -> Vec<Command> {
    use Capability::*;
    let mut out = Vec::new();
    for (i, d) in DISTRICTS.iter().enumerate() {
        let n = 1000 + i as u64 * 10;
        out.push(team(
            format!("G{i:02}-XF"),
            format!("{}消防救援站", d.short),
            TeamKind::ComprehensiveFireRescue,
            &[FireSuppression, TechnicalRescue, CollapseSearch, Evacuation],
            30,
            d,
            n,
        ));
        for (k, ord) in ["第一", "第二"].iter().enumerate() {
            out.push(team(
                format!("G{i:02}-WX{k}"),
                format!("{}{ord}社区微型消防站", d.short),
                TeamKind::MicroFireStation,
                &[FireSuppression, Evacuation],
                6,
                d,
                n + 1 + k as u64,
            ));
        }
        out.push(team(
            format!("G{i:02}-JJ"),
            format!("{}急救站", d.short),
            TeamKind::Medical,
            &[MedicalCare],
            8,
            d,
            n + 3,
        ));
        if d.rural {
            out.push(team(
                format!("G{i:02}-ZY"),
                format!("{}乡镇志愿救援队", d.short),
                TeamKind::VillageVolunteer,
                &[Evacuation, FireSuppression],
                15,
                d,
                n + 4,
            ));
        }
    }
    let city = [
        (
            "C-GD1",
            "供电抢修一班",
            TeamKind::PowerGrid,
            &[PowerRepair][..],
            10,
            "长春市宽城区",
        ),
        (
            "C-GD2",
            "供电抢修二班",
            TeamKind::PowerGrid,
            &[PowerRepair][..],
            10,
            "长春市二道区",
        ),
        (
            "C-GD3",
            "供电抢修三班",
            TeamKind::PowerGrid,
            &[PowerRepair][..],
            10,
            "长春市绿园区",
        ),
        (
            "C-PS2",
            "长春市排水抢险二队",
            TeamKind::DrainageFlood,
            &[Drainage][..],
            16,
            "长春市朝阳区",
        ),
        (
            "C-PS3",
            "长春市排水抢险三队",
            TeamKind::DrainageFlood,
            &[Drainage][..],
            16,
            "长春市二道区",
        ),
        (
            "C-PS4",
            "长春市排水抢险四队",
            TeamKind::DrainageFlood,
            &[Drainage][..],
            16,
            "长春市宽城区",
        ),
        (
            "C-SS",
            "长春市水上救援志愿队",
            TeamKind::CivilNgo,
            &[WaterRescue][..],
            20,
            "长春市南关区",
        ),
        (
            "C-SD",
            "长春市山地救援队",
            TeamKind::CivilNgo,
            &[TechnicalRescue][..],
            18,
            "长春市双阳区",
        ),
        (
            "C-HSZ",
            "长春市红十字应急救护队",
            TeamKind::CivilNgo,
            &[MedicalCare][..],
            25,
            "长春市朝阳区",
        ),
        (
            "C-MJ",
            "长春市民间救援协会",
            TeamKind::CivilNgo,
            &[CollapseSearch, Evacuation][..],
            30,
            "长春市绿园区",
        ),
        (
            "C-KS2",
            "九台矿山救护中队",
            TeamKind::MineRescue,
            &[MineRescue, GasDetection][..],
            24,
            "长春市九台区",
        ),
        (
            "C-DZ",
            "地震灾害紧急救援长春分队",
            TeamKind::Earthquake,
            &[CollapseSearch, TechnicalRescue][..],
            40,
            "长春市二道区",
        ),
        (
            "C-WH2",
            "长春新区危化品救援队",
            TeamKind::Hazchem,
            &[HazmatResponse, Decontamination, GasDetection][..],
            20,
            "长春市二道区",
        ),
    ];
    for (k, (id, name, kind, caps, head, j)) in city.into_iter().enumerate() {
        out.push(team(
            id.into(),
            name.into(),
            kind,
            caps,
            head,
            district(j),
            5000 + k as u64,
        ));
    }
    out
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

/// A storage point in every district but 德惠 (the night names its own),
/// and three city stores.
pub fn depots() -> Vec<Command> {
    let mut out = Vec::new();
    let scaled = |base: u64, n: u64| base / 2 + (base as f64 * unit(n)) as u64;
    for (i, d) in DISTRICTS
        .iter()
        .enumerate()
        .filter(|(_, d)| d.id != "德惠市")
    {
        let n = 2000 + i as u64 * 10;
        out.push(Command::RegisterDepot(Box::new(Depot {
            id: DepotId::new(format!("G{i:02}-CK")),
            name: format!("{}应急物资储备点", d.short),
            owner: format!("{}应急管理局", d.short),
            position: place(d, n),
            jurisdiction: JurisdictionId::new(d.id),
            stock: stock(&[
                ("sandbag", "编织袋", "条", scaled(4_000, n + 1)),
                ("tent", "救灾帐篷", "顶", scaled(120, n + 2)),
                ("cot", "折叠床", "张", scaled(300, n + 3)),
                ("pump", "移动排水泵", "台", scaled(8, n + 4)),
                ("gas-mask", "防毒面具", "个", scaled(100, n + 5)),
            ]),
        })));
    }
    for (id, name, owner, j, lines) in [
        (
            "C-SK",
            "吉林省长春应急物资储备库",
            "吉林省应急管理厅",
            "长春市绿园区",
            &[
                ("tent", "救灾帐篷", "顶", 3_000),
                ("cot", "折叠床", "张", 6_000),
                ("quilt", "棉被", "床", 10_000),
                ("generator", "移动发电机", "台", 40),
            ][..],
        ),
        (
            "C-FX",
            "长春市防汛物资仓库",
            "长春市水利局",
            "长春市二道区",
            &[
                ("sandbag", "编织袋", "条", 60_000),
                ("pump", "移动排水泵", "台", 80),
                ("lifejacket", "救生衣", "件", 2_000),
                ("boat", "冲锋舟", "艘", 24),
            ][..],
        ),
        (
            "C-YL",
            "长春市医疗应急物资储备点",
            "长春市卫生健康委",
            "长春市朝阳区",
            &[
                ("stretcher", "担架", "副", 400),
                ("firstaid", "急救包", "个", 3_000),
                ("oxygen", "氧气瓶", "瓶", 600),
            ][..],
        ),
    ] {
        out.push(Command::RegisterDepot(Box::new(Depot {
            id: DepotId::new(id),
            name: name.into(),
            owner: owner.into(),
            position: place(district(j), 2500 + out.len() as u64),
            jurisdiction: JurisdictionId::new(j),
            stock: stock(lines),
        })));
    }
    out
}

/// Hazard sources: the kinds a district has, each with the risk colour its
/// assessment gave it.
pub fn hazards(count: usize) -> Vec<Command> {
    // Kind, risk colours it takes (picked by the place), and whether it is
    // found only outside the city proper.
    const KINDS: &[(&str, &[RiskColour], bool)] = &[
        ("加油站", &[RiskColour::Yellow, RiskColour::Blue], false),
        (
            "液化石油气充装站",
            &[RiskColour::Orange, RiskColour::Yellow],
            false,
        ),
        (
            "危险化学品仓库",
            &[RiskColour::Red, RiskColour::Orange],
            false,
        ),
        ("燃气调压站", &[RiskColour::Yellow, RiskColour::Blue], false),
        (
            "老旧危房片区",
            &[RiskColour::Blue, RiskColour::Yellow],
            false,
        ),
        ("易涝点", &[RiskColour::Yellow, RiskColour::Blue], false),
        (
            "大型商业综合体",
            &[RiskColour::Orange, RiskColour::Yellow],
            false,
        ),
        ("尾矿库", &[RiskColour::Orange, RiskColour::Red], true),
        (
            "化工企业",
            &[RiskColour::Red, RiskColour::Orange, RiskColour::Yellow],
            true,
        ),
        (
            "粮食烘干储存库",
            &[RiskColour::Yellow, RiskColour::Blue],
            true,
        ),
    ];
    let mut out = Vec::new();
    let mut serial: BTreeMap<(&str, &str), u32> = BTreeMap::new();
    for k in 0..count {
        let n = 3000 + k as u64;
        let d = &DISTRICTS[k % DISTRICTS.len()];
        let kinds: Vec<_> = KINDS
            .iter()
            .filter(|(_, _, rural)| d.rural || !rural)
            .collect();
        let (kind, risks, _) = kinds[(unit(n * 7) * kinds.len() as f64) as usize];
        let risk = risks[(unit(n * 11) * risks.len() as f64) as usize];
        let no = serial.entry((d.short, kind)).or_insert(0);
        *no += 1;
        out.push(Command::RegisterHazard(Box::new(HazardSource {
            id: HazardId::new(format!("GH-{k:03}")),
            name: format!("{}{kind}{}号", d.short, no),
            kind: (*kind).into(),
            position: place(d, n),
            risk,
            enterprise: None,
            jurisdiction: JurisdictionId::new(d.id),
        })));
    }
    out
}

/// Emergency shelters: parks, schools and sports grounds of each district.
pub fn shelters(count: usize) -> Vec<Command> {
    const SITES: &[(&str, u32)] = &[
        ("中心公园", 20_000),
        ("第一中学操场", 6_000),
        ("体育场", 15_000),
        ("文化广场", 10_000),
        ("实验小学操场", 4_000),
    ];
    let mut out = Vec::new();
    for k in 0..count {
        let n = 4000 + k as u64;
        let d = &DISTRICTS[k % DISTRICTS.len()];
        let (site, cap) = SITES[(k / DISTRICTS.len()) % SITES.len()];
        out.push(Command::RegisterShelter(Box::new(Shelter {
            id: ShelterId::new(format!("GS-{k:02}")),
            name: format!("{}{site}应急避难场所", d.short),
            position: place(d, n),
            capacity: cap / 2 + (f64::from(cap) * unit(n)) as u32,
            jurisdiction: JurisdictionId::new(d.id),
        })));
    }
    out
}

/// The jurisdiction areas of the rules, one per district: rough boxes
/// around the real ones, not survey boundaries, enough for intake to file an
/// incident under the district whose area it lies in.
pub fn jurisdictions() -> BTreeMap<JurisdictionId, Jurisdiction> {
    DISTRICTS
        .iter()
        .map(|d| {
            let (s, n, w, e) = d.area;
            (
                JurisdictionId::new(d.id),
                Jurisdiction {
                    name: d.id.into(),
                    area: vec![
                        GeoPoint::new(s, w),
                        GeoPoint::new(s, e),
                        GeoPoint::new(n, e),
                        GeoPoint::new(n, w),
                    ],
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_place_lies_in_its_own_district() {
        let all = teams()
            .into_iter()
            .chain(depots())
            .chain(hazards(96))
            .chain(shelters(27));
        let areas = jurisdictions();
        for cmd in all {
            let (p, j) = match &cmd {
                Command::RegisterTeam(t) => (t.home, &t.jurisdiction),
                Command::RegisterDepot(d) => (d.position, &d.jurisdiction),
                Command::RegisterHazard(h) => (h.position, &h.jurisdiction),
                Command::RegisterShelter(s) => (s.position, &s.jurisdiction),
                _ => unreachable!(),
            };
            let a = &areas[j].area;
            assert!(
                (a[0].lat..=a[2].lat).contains(&p.lat) && (a[0].lon..=a[2].lon).contains(&p.lon),
                "{cmd:?} outside {j}"
            );
        }
    }

    #[test]
    fn the_city_has_every_risk_colour_and_kind_of_team() {
        let risks: std::collections::BTreeSet<_> = hazards(96)
            .iter()
            .filter_map(|c| match c {
                Command::RegisterHazard(h) => Some(h.risk),
                _ => None,
            })
            .collect();
        assert_eq!(risks.len(), 4, "red, orange, yellow and blue");
        let kinds: std::collections::BTreeSet<_> = teams()
            .iter()
            .filter_map(|c| match c {
                Command::RegisterTeam(t) => Some(t.kind),
                _ => None,
            })
            .collect();
        assert!(kinds.len() >= 10, "{kinds:?}");
    }
}
