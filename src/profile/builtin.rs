//! The built-in profiles, embedded in the binary from `thresholds/` so that `--profile NAME` works
//! anywhere.

/// The built-in profiles: (name, TOML text).
pub const BUILTINS: &[(&str, &str)] = &[
    ("default", include_str!("../../thresholds/default.toml")),
    ("light", include_str!("../../thresholds/light.toml")),
    ("medium", include_str!("../../thresholds/medium.toml")),
    ("heavy", include_str!("../../thresholds/heavy.toml")),
    ("spike", include_str!("../../thresholds/spike.toml")),
    ("ml-api", include_str!("../../thresholds/ml-api.toml")),
    ("llm-api", include_str!("../../thresholds/llm-api.toml")),
    ("web-api", include_str!("../../thresholds/web-api.toml")),
    (
        "high-throughput",
        include_str!("../../thresholds/high-throughput.toml"),
    ),
];

/// What a profile's gate does with P95, the error rate and throughput, as its description must
/// say it: "P95 warns > 200 ms, fails > 400 ms; errors warn > 5%, fail > 8%; throughput warns
/// < 10 req/s, fails < 5 req/s". A metric whose warning and failure lines coincide only fails.
pub fn gate_summary(profile: &super::Profile) -> String {
    use crate::model::Metric;
    let gate = &profile.gate;
    let mut parts = Vec::new();
    let mut say = |label: &str,
                   verbs: (&str, &str),
                   cmp: &str,
                   bands: Option<&super::Bands>,
                   fmt: &dyn Fn(f64) -> String| {
        let Some(bands) = bands else { return };
        let (warn, fail) = (bands.limit_before(gate.warn), bands.limit_before(gate.fail));
        match (warn, fail) {
            (Some(w), Some(f)) if w != f => parts.push(format!(
                "{label} {} {cmp} {}, {} {cmp} {}",
                verbs.0,
                fmt(w),
                verbs.1,
                fmt(f)
            )),
            (_, Some(f)) => parts.push(format!("{label} {} {cmp} {}", verbs.1, fmt(f))),
            (Some(w), None) => parts.push(format!("{label} {} {cmp} {}", verbs.0, fmt(w))),
            (None, None) => {}
        }
    };
    let ms = |v: f64| {
        if v >= 1000.0 && v % 100.0 == 0.0 {
            format!("{} s", v / 1000.0)
        } else {
            format!("{v} ms")
        }
    };
    let pct = |v: f64| format!("{}%", (v * 1000.0).round() / 10.0);
    let rps = |v: f64| format!("{v} req/s");
    let all = profile.aggregated_limits();
    say("P95", ("warns", "fails"), ">", all.get(Metric::P95), &ms);
    say(
        "errors",
        ("warn", "fail"),
        ">",
        all.get(Metric::ErrorRate),
        &pct,
    );
    say(
        "throughput",
        ("warns", "fails"),
        "<",
        all.get(Metric::Rps),
        &rps,
    );
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    /// A description that overstates or understates the gate misleads whoever picks the profile.
    #[test]
    fn every_description_states_its_warn_and_fail_limits_truly() {
        let wrong: Vec<String> = BUILTINS
            .iter()
            .filter_map(|(name, _)| {
                let profile = Profile::load(name).unwrap();
                let summary = gate_summary(&profile);
                (!profile.description.ends_with(&summary)).then(|| {
                    format!(
                        "{name}: {:?} must end with {summary:?}",
                        profile.description
                    )
                })
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
