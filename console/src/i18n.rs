//! Chinese-first text: the CJK font and the UI's bilingual labels.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

/// Noto Sans SC, subset to GB2312 level 1 plus every character the project
/// uses (`cargo xtask font` regenerates it). Built in so the console needs
/// no font on the machine and no network.
pub const CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-Subset.otf");

/// Installs the CJK font into egui once.
pub struct I18nPlugin;

impl Plugin for I18nPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(EguiPrimaryContextPass, install_fonts);
    }
}

fn install_fonts(mut contexts: EguiContexts, mut done: Local<bool>) -> Result {
    if *done {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    ctx.set_fonts(font_definitions());
    *done = true;
    Ok(())
}

/// egui's default fonts with Noto Sans SC first for proportional text and
/// as a fallback for monospace.
pub fn font_definitions() -> egui::FontDefinitions {
    let mut defs = egui::FontDefinitions::default();
    defs.font_data.insert(
        "noto-sans-sc".into(),
        egui::FontData::from_static(CJK_FONT).into(),
    );
    if let Some(family) = defs.families.get_mut(&egui::FontFamily::Proportional) {
        family.insert(0, "noto-sans-sc".into());
    }
    if let Some(family) = defs.families.get_mut(&egui::FontFamily::Monospace) {
        family.push("noto-sans-sc".into());
    }
    defs
}

/// Interface languages: Chinese first, English second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 简体中文 (default).
    Zh,
    /// English.
    En,
}

static LANG: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// The language the interface speaks now.
pub fn lang() -> Lang {
    match LANG.load(std::sync::atomic::Ordering::Relaxed) {
        1 => Lang::En,
        _ => Lang::Zh,
    }
}

/// Switches the interface language (takes effect on the next frame).
pub fn set_lang(l: Lang) {
    let v = match l {
        Lang::Zh => 0,
        Lang::En => 1,
    };
    LANG.store(v, std::sync::atomic::Ordering::Relaxed);
}

/// The message catalogues, one file per language (`assets/i18n`).
const CATALOGUES: [(Lang, &str); 2] = [
    (Lang::Zh, include_str!("../../assets/i18n/zh-CN.toml")),
    (Lang::En, include_str!("../../assets/i18n/en.toml")),
];

type Catalogue = std::collections::HashMap<String, &'static str>;

fn catalogue(l: Lang) -> &'static Catalogue {
    static PARSED: std::sync::OnceLock<[Catalogue; 2]> = std::sync::OnceLock::new();
    let all = PARSED.get_or_init(|| {
        CATALOGUES.map(|(_, text)| {
            let table: toml::Table = text.parse().unwrap_or_default();
            table
                .into_iter()
                .filter_map(|(k, v)| match v {
                    // Parsed once for the process's life: leaking is the point.
                    toml::Value::String(s) => Some((k, &*Box::leak(s.into_boxed_str()))),
                    _ => None,
                })
                .collect()
        })
    });
    &all[usize::from(l == Lang::En)]
}

/// English for the domain's own terms, keyed by their Chinese.
const TERMS_EN: &str = include_str!("../../assets/i18n/terms.en.toml");

fn terms_en() -> &'static Catalogue {
    static PARSED: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| {
        let table: toml::Table = TERMS_EN.parse().unwrap_or_default();
        table
            .into_iter()
            .filter_map(|(k, v)| match v {
                toml::Value::String(s) => Some((k, &*Box::leak(s.into_boxed_str()))),
                _ => None,
            })
            .collect()
    })
}

/// A domain term (grade, status, sector, kind …) in `l`: the regulations'
/// Chinese in Chinese, its English where the terms file has it.
pub fn term_in(l: Lang, zh: &'static str) -> &'static str {
    match l {
        Lang::Zh => zh,
        Lang::En => terms_en().get(zh).copied().unwrap_or(zh),
    }
}

/// A domain term in the current language.
pub fn term(zh: &'static str) -> &'static str {
    term_in(lang(), zh)
}

/// A report's name (首报, 续报二 …) in the current language.
pub fn report_kind(k: domain::ReportKind) -> String {
    match (lang(), k) {
        (Lang::Zh, k) => k.zh(),
        (Lang::En, domain::ReportKind::First) => "Initial report".into(),
        (Lang::En, domain::ReportKind::FollowUp(n)) => format!("Follow-up {n}"),
        (Lang::En, domain::ReportKind::Supplement) => "Supplementary report".into(),
        (Lang::En, domain::ReportKind::Final) => "Final report".into(),
    }
}

/// Why a team was recommended, in the current language.
pub fn reason(r: &domain::Reason) -> String {
    use domain::Reason;
    use domain::time::human_duration;
    if lang() == Lang::Zh {
        return r.zh();
    }
    let caps = |c: &[domain::Capability]| c.iter().map(|c| c.term()).collect::<Vec<_>>().join(", ");
    match r {
        Reason::Brings(c) => format!("brings {}", caps(c)),
        Reason::Lacks(c) => format!("lacks {}", caps(c)),
        Reason::Travel { distance_m, eta } => format!(
            "{:.1} km, about {}",
            *distance_m as f64 / 1000.0,
            human_duration(*eta)
        ),
        Reason::StaleFix { age } => {
            format!(
                "fix is stale ({} old), position uncertain",
                human_duration(*age)
            )
        }
        Reason::NoFix => "no fix, assumed at base".into(),
        Reason::RecentOrders(n) => format!("{n} recent tasks"),
    }
}

/// Domain values shown in the interface's language.
pub trait Term {
    /// The value's name in the current language.
    fn term(&self) -> &'static str;
}

macro_rules! terms {
    ($($t:ty),* $(,)?) => {
        $(impl Term for $t {
            fn term(&self) -> &'static str {
                term(self.zh())
            }
        })*
    };
}

terms!(
    domain::Role,
    domain::deadline::AdminLevel,
    domain::OrderStatus,
    domain::ClockAction,
    domain::MessageKind,
    domain::CallKind,
    domain::AccidentGrade,
    domain::ResponseLevel,
    domain::WarningColour,
    domain::Sector,
    domain::metrics::Interval,
    domain::RiskColour,
    domain::TeamKind,
    domain::Capability,
    domain::TeamStatus,
    scenario::model::DrillKind,
    scenario::model::DrillScope,
    scenario::model::InjectKind,
    scenario::Judgement,
    scenario::Rating,
);

/// The text for `key` in `l`; Chinese when the other catalogue lacks it,
/// and the key itself when both do (a visible, not a silent, gap).
pub fn t_in(l: Lang, key: &'static str) -> &'static str {
    catalogue(l)
        .get(key)
        .or_else(|| catalogue(Lang::Zh).get(key))
        .copied()
        .unwrap_or(key)
}

/// The text for `key` in the current language.
pub fn t(key: &'static str) -> &'static str {
    t_in(lang(), key)
}

/// `key`'s text with each `{}` replaced by the next argument.
pub fn tf(key: &'static str, args: &[&str]) -> String {
    fill(t(key), args)
}

fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut parts = template.split("{}");
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        out.push_str(args.get(i).copied().unwrap_or(""));
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use skrifa::MetadataProvider;
    use std::path::Path;

    /// Every non-ASCII character in the sources of the console and the
    /// domain (UI strings, names, labels) and in the scenarios.
    fn project_characters() -> std::collections::BTreeSet<char> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut chars = std::collections::BTreeSet::new();
        let mut stack = vec![
            root.join("console/src"),
            root.join("crates/domain/src"),
            root.join("scenarios"),
        ];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("rs" | "toml")
                ) {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    chars.extend(text.chars().filter(|c| !c.is_ascii()));
                }
            }
        }
        chars
    }

    #[test]
    fn the_font_has_a_glyph_for_every_character_the_project_shows() {
        let font = skrifa::FontRef::new(CJK_FONT).expect("the bundled font parses");
        let cmap = font.charmap();
        let missing: String = project_characters()
            .into_iter()
            .filter(|c| cmap.map(*c).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "no glyph for {missing:?}: run `cargo xtask font` and commit assets/fonts"
        );
    }

    #[test]
    fn every_domain_term_has_english() {
        use domain::*;
        let mut zh: Vec<&'static str> = Vec::new();
        zh.extend(AccidentGrade::ALL.iter().map(|g| g.zh()));
        zh.extend(Role::ALL.iter().map(|r| r.zh()));
        zh.extend(TeamKind::ALL.iter().map(|k| k.zh()));
        zh.extend(Sector::ALL.iter().map(|s| s.zh()));
        zh.extend(domain::metrics::Interval::ALL.iter().map(|i| i.zh()));
        let order = OrderId::new("o");
        zh.extend(
            [
                TeamStatus::Available,
                TeamStatus::Assigned(order.clone()),
                TeamStatus::EnRoute(order.clone()),
                TeamStatus::OnScene(order.clone()),
                TeamStatus::Returning(order),
                TeamStatus::OutOfService(String::new()),
            ]
            .iter()
            .map(|s| s.zh()),
        );
        zh.extend(
            [
                OrderStatus::Issued,
                OrderStatus::Delivered,
                OrderStatus::Acknowledged,
                OrderStatus::Refused,
                OrderStatus::TimedOut,
                OrderStatus::EnRoute,
                OrderStatus::OnScene,
                OrderStatus::Released,
                OrderStatus::Returning,
                OrderStatus::Available,
                OrderStatus::Cancelled,
            ]
            .map(|s| s.zh()),
        );
        let missing: Vec<_> = zh
            .into_iter()
            .filter(|z| term_in(Lang::En, z) == *z)
            .collect();
        assert!(
            missing.is_empty(),
            "no English in terms.en.toml for {missing:?}"
        );
        assert_eq!(term_in(Lang::Zh, "较大"), "较大");
        assert_eq!(term_in(Lang::En, "较大"), "Larger");
    }

    #[test]
    fn both_catalogues_have_the_same_keys_and_every_key_used_exists() {
        let zh: std::collections::BTreeSet<&String> = catalogue(Lang::Zh).keys().collect();
        let en: std::collections::BTreeSet<&String> = catalogue(Lang::En).keys().collect();
        assert!(!zh.is_empty());
        assert_eq!(zh, en, "zh-CN.toml and en.toml list different keys");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut used = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(src).expect("src").flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            for part in text.split("t(\"").chain(text.split("tf(\"")).skip(1) {
                if let Some((key, _)) = part.split_once('"')
                    && key.contains('.')
                    && key
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
                {
                    used.insert(key.to_owned());
                }
            }
        }
        assert!(used.len() > 50, "found {} keys in use", used.len());
        let missing: Vec<&String> = used.iter().filter(|k| !zh.contains(k)).collect();
        assert!(
            missing.is_empty(),
            "keys used but not in the catalogues: {missing:?}"
        );
    }

    #[test]
    fn the_english_catalogue_is_english_and_switching_changes_the_text() {
        for (k, v) in catalogue(Lang::En) {
            assert!(
                !v.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
                    || k.starts_with("realm."),
                "{k} = {v}"
            );
        }
        assert_eq!(t_in(Lang::Zh, "tab.dispatch"), "派遣");
        assert_eq!(t_in(Lang::En, "tab.dispatch"), "Dispatch");
        assert_eq!(t_in(Lang::En, "no.such_key"), "no.such_key");
        assert_eq!(fill("{} 北京时间", &["10:00"]), "10:00 北京时间");
        assert_eq!(fill("a {} b {}", &["1"]), "a 1 b ");
        assert_eq!(
            fill(t_in(Lang::En, "dispatch.issue"), &["2"]),
            "Issue order (2 teams)"
        );
    }

    #[test]
    fn the_font_covers_common_chinese_text() {
        let font = skrifa::FontRef::new(CJK_FONT).expect("the bundled font parses");
        let cmap = font.charmap();
        for c in "生产安全事故应急救援指挥调度值班员带班领导演练".chars() {
            assert!(cmap.map(c).is_some(), "{c}");
        }
    }
}
