//! What a load tester judged itself, kept beside loadgate's own checks: k6's checks and thresholds
//! and its groups. Plain data: the readers fill it, the outputs show it.

/// A k6 `check()`: how many times it held and how many times it did not.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ToolCheck {
    pub name: String,
    /// The group it ran in (`::login`), empty at the top level.
    pub group: String,
    pub passes: u64,
    pub fails: u64,
}

/// A k6 threshold (`http_req_duration: ["p(95)<500"]`) and whether k6 found it held, where the
/// file says so (only the end-of-test summaries do).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolThreshold {
    /// The metric it is on, with its tags as k6 writes them: `http_req_duration{name:login}`.
    pub metric: String,
    /// The expression as written: `p(95)<500`.
    pub expression: String,
    /// `None` where the file names the threshold but not its outcome (`--out json`).
    pub ok: Option<bool>,
}

/// A k6 group (`group("login", …)`): how long its iterations took, from `group_duration`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ToolGroup {
    /// `::login`, `::checkout::pay`.
    pub path: String,
    pub count: u64,
    pub avg_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// Everything the tool judged, where its files keep it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ToolVerdicts {
    pub checks: Vec<ToolCheck>,
    pub thresholds: Vec<ToolThreshold>,
    pub groups: Vec<ToolGroup>,
}

impl ToolVerdicts {
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty() && self.thresholds.is_empty() && self.groups.is_empty()
    }
}
