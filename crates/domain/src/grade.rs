//! Accident grade (生产安全事故报告和调查处理条例 Art. 3), response level and
//! warning colour. The three are separate fields and never derived from one
//! another: response grading must not copy accident grading (GB/T 29639).

use serde::{Deserialize, Serialize};

/// Accident grade, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AccidentGrade {
    /// 一般事故
    Ordinary,
    /// 较大事故
    Larger,
    /// 重大事故
    Major,
    /// 特别重大事故
    EspeciallyMajor,
}

impl AccidentGrade {
    /// All grades, least severe first.
    pub const ALL: [AccidentGrade; 4] = [
        AccidentGrade::Ordinary,
        AccidentGrade::Larger,
        AccidentGrade::Major,
        AccidentGrade::EspeciallyMajor,
    ];

    /// Chinese name as used in reports.
    pub fn zh(self) -> &'static str {
        match self {
            AccidentGrade::Ordinary => "一般",
            AccidentGrade::Larger => "较大",
            AccidentGrade::Major => "重大",
            AccidentGrade::EspeciallyMajor => "特别重大",
        }
    }

    /// English name.
    pub fn en(self) -> &'static str {
        match self {
            AccidentGrade::Ordinary => "ordinary",
            AccidentGrade::Larger => "larger",
            AccidentGrade::Major => "major",
            AccidentGrade::EspeciallyMajor => "especially major",
        }
    }
}

/// People harmed by an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Casualties {
    /// 死亡
    pub deaths: u32,
    /// 重伤 (including acute industrial poisoning)
    pub serious_injuries: u32,
    /// 失踪
    pub missing: u32,
}

/// Lower bounds ("以上", inclusive) of each grade above 一般, per measure.
///
/// Index 0 is 较大, 1 is 重大, 2 is 特别重大. A measure at or above a bound
/// reaches that grade ("以上" includes the number); below the first bound is
/// 一般 ("以下" excludes it). Meeting any one measure is enough.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradeThresholds {
    /// Deaths: 3, 10, 30.
    pub deaths: [u32; 3],
    /// Serious injuries: 10, 50, 100.
    pub serious_injuries: [u32; 3],
    /// Direct economic loss in yuan: 10 M, 50 M, 100 M.
    pub direct_loss_yuan: [u64; 3],
    /// Whether missing people count as deaths for grading. Art. 3 names
    /// deaths only; some provinces count 失踪 with 死亡, so it is a setting.
    pub count_missing_as_deaths: bool,
}

impl Default for GradeThresholds {
    fn default() -> Self {
        Self {
            deaths: [3, 10, 30],
            serious_injuries: [10, 50, 100],
            direct_loss_yuan: [10_000_000, 50_000_000, 100_000_000],
            count_missing_as_deaths: false,
        }
    }
}

impl GradeThresholds {
    /// The grade for the given casualties and direct loss: the highest grade
    /// that any single measure reaches.
    pub fn grade(&self, c: &Casualties, direct_loss_yuan: u64) -> AccidentGrade {
        let deaths = if self.count_missing_as_deaths {
            c.deaths.saturating_add(c.missing)
        } else {
            c.deaths
        };
        let by_deaths = level_of(u64::from(deaths), &self.deaths.map(u64::from));
        let by_injuries = level_of(
            u64::from(c.serious_injuries),
            &self.serious_injuries.map(u64::from),
        );
        let by_loss = level_of(direct_loss_yuan, &self.direct_loss_yuan);
        AccidentGrade::ALL[by_deaths.max(by_injuries).max(by_loss)]
    }
}

/// How many of the ascending inclusive lower bounds `value` reaches.
fn level_of(value: u64, bounds: &[u64; 3]) -> usize {
    bounds.iter().take_while(|&&b| value >= b).count()
}

/// Emergency response level (应急响应级别), 一级 is the highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ResponseLevel {
    /// 一级响应
    I,
    /// 二级响应
    II,
    /// 三级响应
    III,
    /// 四级响应
    IV,
}

impl ResponseLevel {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            ResponseLevel::I => "一级响应",
            ResponseLevel::II => "二级响应",
            ResponseLevel::III => "三级响应",
            ResponseLevel::IV => "四级响应",
        }
    }
}

/// Warning level (预警级别, 突发事件应对法 Art. 63).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WarningColour {
    /// 红色
    Red,
    /// 橙色
    Orange,
    /// 黄色
    Yellow,
    /// 蓝色
    Blue,
}

impl WarningColour {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            WarningColour::Red => "红色预警",
            WarningColour::Orange => "橙色预警",
            WarningColour::Yellow => "黄色预警",
            WarningColour::Blue => "蓝色预警",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AccidentGrade::*;
    use super::*;

    fn grade(deaths: u32, serious: u32, loss: u64) -> AccidentGrade {
        GradeThresholds::default().grade(
            &Casualties {
                deaths,
                serious_injuries: serious,
                missing: 0,
            },
            loss,
        )
    }

    #[test]
    fn death_boundaries_include_the_lower_number() {
        assert_eq!(grade(0, 0, 0), Ordinary);
        assert_eq!(grade(2, 0, 0), Ordinary);
        assert_eq!(grade(3, 0, 0), Larger);
        assert_eq!(grade(9, 0, 0), Larger);
        assert_eq!(grade(10, 0, 0), Major);
        assert_eq!(grade(29, 0, 0), Major);
        assert_eq!(grade(30, 0, 0), EspeciallyMajor);
    }

    #[test]
    fn serious_injury_boundaries_include_the_lower_number() {
        assert_eq!(grade(0, 9, 0), Ordinary);
        assert_eq!(grade(0, 10, 0), Larger);
        assert_eq!(grade(0, 49, 0), Larger);
        assert_eq!(grade(0, 50, 0), Major);
        assert_eq!(grade(0, 99, 0), Major);
        assert_eq!(grade(0, 100, 0), EspeciallyMajor);
    }

    #[test]
    fn loss_boundaries_include_the_lower_amount() {
        assert_eq!(grade(0, 0, 9_999_999), Ordinary);
        assert_eq!(grade(0, 0, 10_000_000), Larger);
        assert_eq!(grade(0, 0, 49_999_999), Larger);
        assert_eq!(grade(0, 0, 50_000_000), Major);
        assert_eq!(grade(0, 0, 99_999_999), Major);
        assert_eq!(grade(0, 0, 100_000_000), EspeciallyMajor);
    }

    #[test]
    fn any_single_measure_decides_the_grade() {
        assert_eq!(grade(2, 9, 100_000_000), EspeciallyMajor);
        assert_eq!(grade(10, 0, 0), Major);
        assert_eq!(grade(1, 50, 1), Major);
        assert_eq!(grade(3, 9, 9_999_999), Larger);
    }

    #[test]
    fn missing_counts_only_when_configured() {
        let c = Casualties {
            deaths: 2,
            serious_injuries: 0,
            missing: 1,
        };
        let mut t = GradeThresholds::default();
        assert_eq!(t.grade(&c, 0), Ordinary);
        t.count_missing_as_deaths = true;
        assert_eq!(t.grade(&c, 0), Larger);
    }

    #[test]
    fn grade_never_decreases_when_a_measure_grows() {
        let t = GradeThresholds::default();
        for d in 0..40u32 {
            let a = t.grade(
                &Casualties {
                    deaths: d,
                    ..Default::default()
                },
                0,
            );
            let b = t.grade(
                &Casualties {
                    deaths: d + 1,
                    ..Default::default()
                },
                0,
            );
            assert!(a <= b);
        }
    }
}
