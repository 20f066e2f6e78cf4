//! One palette for every chart: matplotlib's defaults for series (people read them without a
//! legend lookup) and a diverging scale for grades, green through red.

use plotters::style::RGBColor;

use crate::profile::Grade;

pub const BLUE: RGBColor = RGBColor(31, 119, 180);
pub const ORANGE: RGBColor = RGBColor(255, 127, 14);
pub const RED: RGBColor = RGBColor(214, 39, 40);
pub const GREEN: RGBColor = RGBColor(44, 160, 44);
/// Failures, failed checks, regressions and broken trends.
pub const ALERT: RGBColor = RGBColor(215, 48, 39);
/// Warnings (also the grade poor).
pub const WARN: RGBColor = RGBColor(253, 174, 97);
/// Improvements (also the grade excellent).
pub const IMPROVED: RGBColor = RGBColor(26, 152, 80);
/// Unchanged (also the grade acceptable).
pub const NEUTRAL: RGBColor = RGBColor(49, 130, 189);
/// What something is compared with (the baseline).
pub const REFERENCE: RGBColor = RGBColor(160, 160, 160);
/// Ungraded.
pub const UNGRADED: RGBColor = RGBColor(150, 150, 150);

pub fn grade(grade: Option<Grade>) -> RGBColor {
    match grade {
        Some(Grade::Excellent) => IMPROVED,
        Some(Grade::Good) => RGBColor(102, 189, 99),
        Some(Grade::Acceptable) => NEUTRAL,
        Some(Grade::Poor) => WARN,
        Some(Grade::Critical) => ALERT,
        None => UNGRADED,
    }
}
