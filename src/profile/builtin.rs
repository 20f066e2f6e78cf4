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
