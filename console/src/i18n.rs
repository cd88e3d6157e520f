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

/// A label with Chinese first and English after it, e.g. "事件队列 Incidents".
pub fn zh_en(zh: &str, en: &str) -> String {
    format!("{zh} {en}")
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
    fn the_font_covers_common_chinese_text() {
        let font = skrifa::FontRef::new(CJK_FONT).expect("the bundled font parses");
        let cmap = font.charmap();
        for c in "生产安全事故应急救援指挥调度值班员带班领导演练".chars() {
            assert!(cmap.map(c).is_some(), "{c}");
        }
    }
}
