//! Where a run was judged or a baseline saved: the machine's CPU, cores and system. Baselines keep
//! it so that a comparison across machines can say so; the runner's own slowness is the first
//! suspect when every endpoint moved at once.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// The CPU model, as the system names it (`/proc/cpuinfo`); empty when unknown.
    pub cpu: String,
    /// Cores available to this process.
    pub cores: usize,
    /// The operating system (`/etc/os-release`'s name, else the platform).
    pub os: String,
    /// The loadgate version that recorded it.
    pub loadgate: String,
}

impl Machine {
    /// This machine, read now.
    pub fn this() -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| value_of(&text, "model name", ':'))
            .unwrap_or_default();
        let os = std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|text| value_of(&text, "PRETTY_NAME", '='))
            .unwrap_or_else(|| std::env::consts::OS.to_string());
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            os,
            loadgate: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// Whether runs on `self` and `other` can be expected to be equally fast.
    pub fn same_kind(&self, other: &Machine) -> bool {
        self.cpu == other.cpu && self.cores == other.cores
    }
}

impl Machine {
    /// What [`Machine::same_kind`] compares, as a reason names it: "CPU model, N cores".
    pub fn kind(&self) -> String {
        let cpu = if self.cpu.is_empty() {
            "an unknown CPU"
        } else {
            &self.cpu
        };
        format!("{cpu}, {} cores", self.cores)
    }
}

impl std::fmt::Display for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}, {}", self.kind(), self.os)
    }
}

/// The value of the first `key SEP value` line, unquoted.
fn value_of(text: &str, key: &str, separator: char) -> Option<String> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(separator)?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_from_either_file_format() {
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n";
        assert_eq!(
            value_of(cpuinfo, "model name", ':').as_deref(),
            Some("AMD EPYC 7B13")
        );
        let release = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(
            value_of(release, "PRETTY_NAME", '=').as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(value_of(release, "VERSION", '='), None);
    }

    #[test]
    fn machines_differ_by_cpu_or_cores() {
        let a = Machine::this();
        let mut b = a.clone();
        assert!(a.same_kind(&b));
        b.cores += 1;
        assert!(!a.same_kind(&b));
    }
}
