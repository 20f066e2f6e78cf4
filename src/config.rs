//! Project defaults for every command that grades or stores runs (`check`, `compare`, `ab`,
//! `history`, `baseline`, `server`), read from where the project lives: a `loadgate.toml`, or the
//! `[tool.loadgate]` table of a `pyproject.toml`, in the current directory or the nearest parent
//! that has one (in one directory `loadgate.toml` wins; a pyproject.toml without the table does
//! not count). The search stops at the repository's root (the directory holding `.git`) or the
//! user's home, whichever comes first: a file above the project must not change its verdict. Flags override the file (and `$LOADGATE_BASELINE_DIR` the file's `store`); [`Settings`] says where each value in force came from,
//! for `loadgate config`. Unknown keys are an error naming the file and the key, as in profiles.
//! Paths in the file are relative to the file's directory, so a check run from a subdirectory
//! means the same files.

use crate::toml_error::toml_error;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::baseline::STORE_ENV;
use crate::profile::{Profile, BUILTINS};
use crate::report::formats::FORMATS;
use crate::report::Format;

/// The keys a config may hold, all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    profile: Option<String>,
    baseline: Option<String>,
    store: Option<PathBuf>,
    /// The output formats' keys (`report::formats::FORMATS`), each a path. Declared here so that
    /// a misspelt key or a wrong type is an error with its line; read by key through the table.
    #[allow(dead_code)]
    json: Option<PathBuf>,
    #[allow(dead_code)]
    markdown: Option<PathBuf>,
    #[allow(dead_code)]
    junit: Option<PathBuf>,
    #[allow(dead_code)]
    html: Option<PathBuf>,
    #[allow(dead_code)]
    charts: Option<PathBuf>,
    /// The Locust version that wrote the runs, for files that do not say (CSVs, HTML, JSON).
    locust_version: Option<String>,
    /// Laid over the profile's `[regression]`, key by key.
    regression: Option<toml::Table>,
    /// Laid over the profile's `[trend]`, key by key.
    trend: Option<toml::Table>,
    /// Where server metrics are read (`crate::server`).
    prometheus: Option<PrometheusRaw>,
}

/// `[prometheus]`: the backend's URL and a CA file; credentials only ever come from the
/// environment, so a committed config holds none.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrometheusRaw {
    url: Option<String>,
    ca_file: Option<PathBuf>,
}

/// A config file found and read.
#[derive(Debug)]
pub struct ConfigFile {
    pub path: PathBuf,
    /// `tool.loadgate` in a pyproject.toml; empty in a loadgate.toml.
    table: &'static str,
    raw: Raw,
    /// The output formats' paths it gives, by the table of formats' config keys.
    outputs: Vec<(Format, PathBuf)>,
}

impl ConfigFile {
    /// Reads `path` (a `loadgate.toml`, or a `pyproject.toml` whose `[tool.loadgate]` is used).
    /// `Ok(None)` for a pyproject.toml without the table.
    pub fn read(path: &Path) -> Result<Option<ConfigFile>> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the config", path.display()))?;
        let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
        let (table, raw, keys) = if is_pyproject {
            let doc: toml::Table = toml::from_str(&text)
                .map_err(|e| toml_error(&path.display().to_string(), &text, &e, "config"))?;
            let Some(section) = doc.get("tool").and_then(|t| t.get("loadgate")).cloned() else {
                return Ok(None);
            };
            let raw = Raw::deserialize(section.clone())
                .with_context(|| format!("{}: invalid [tool.loadgate]", path.display()))?;
            ("tool.loadgate", raw, section)
        } else {
            // Read as `Raw` first: its errors carry the line.
            let raw: Raw = toml::from_str(&text)
                .map_err(|e| toml_error(&path.display().to_string(), &text, &e, "config"))?;
            let keys = toml::from_str(&text)
                .map_err(|e| toml_error(&path.display().to_string(), &text, &e, "config"))?;
            ("", raw, toml::Value::Table(keys))
        };
        // `Raw` has checked that each is a string.
        let outputs = FORMATS
            .iter()
            .filter_map(|f| {
                let value = keys.get(f.config_key?)?.as_str()?;
                Some((f.format, PathBuf::from(value)))
            })
            .collect();
        Ok(Some(ConfigFile {
            path: path.to_path_buf(),
            table,
            raw,
            outputs,
        }))
    }

    /// The config of the nearest directory from `start` upwards that has one, searching no higher
    /// than the repository's root or `$HOME`.
    pub fn discover(start: &Path) -> Result<Option<ConfigFile>> {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        ConfigFile::discover_within(start, home.as_deref())
    }

    /// [`ConfigFile::discover`] with the home directory given (for tests).
    pub fn discover_within(start: &Path, home: Option<&Path>) -> Result<Option<ConfigFile>> {
        for dir in start.ancestors() {
            for name in ["loadgate.toml", "pyproject.toml"] {
                let path = dir.join(name);
                if path.is_file() {
                    if let Some(file) = ConfigFile::read(&path)? {
                        return Ok(Some(file));
                    }
                }
            }
            // `.git` is a directory in a clone, a file in a worktree or submodule.
            if dir.join(".git").exists() || home.is_some_and(|h| h == dir) {
                break;
            }
        }
        Ok(None)
    }

    /// The note every command adds when a config applied: which file (and table) it read.
    pub fn note(&self) -> String {
        if self.table.is_empty() {
            format!("config: {}", self.path.display())
        } else {
            format!("config: {} [{}]", self.path.display(), self.table)
        }
    }

    fn source(&self, key: &str) -> Source {
        let key = if self.table.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.table)
        };
        Source::File {
            path: self.path.clone(),
            key,
        }
    }

    /// `[prometheus]` as the server's source takes it.
    pub fn prometheus(&self) -> crate::server::source::Configured {
        crate::server::source::Configured {
            url: self.prometheus_url().map(|s| s.value),
            ca_file: self.prometheus_ca_file().map(|s| s.value),
        }
    }

    /// `[prometheus] url`, and where it was set.
    pub fn prometheus_url(&self) -> Option<Setting<String>> {
        let url = self.raw.prometheus.as_ref()?.url.clone()?;
        Some(Setting {
            value: url,
            source: self.source("prometheus.url"),
        })
    }

    /// `[prometheus] ca_file`, relative to the file's directory.
    pub fn prometheus_ca_file(&self) -> Option<Setting<PathBuf>> {
        let path = self.raw.prometheus.as_ref()?.ca_file.as_ref()?;
        Some(Setting {
            value: self.resolve(path),
            source: self.source("prometheus.ca_file"),
        })
    }

    /// The path the file gives `format`.
    fn output(&self, format: Format) -> Option<&PathBuf> {
        self.outputs
            .iter()
            .find(|(f, _)| *f == format)
            .map(|(_, p)| p)
    }

    /// A path in the file, relative to the file's directory.
    fn resolve(&self, path: &Path) -> PathBuf {
        match self.path.parent() {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        }
    }
}

/// What `check`'s flags said; `None` where a flag was not given.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub profile: Option<String>,
    pub baseline: Option<String>,
    pub store: Option<PathBuf>,
    /// The output formats' flags given, and their paths.
    pub files: Vec<(Format, PathBuf)>,
    pub locust_version: Option<String>,
}

/// Where a value in force came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Flag,
    /// An environment variable (`LOADGATE_BASELINE_DIR`), which beats the file.
    Env(&'static str),
    File {
        path: PathBuf,
        key: String,
    },
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag => f.write_str("flag"),
            Source::Env(name) => write!(f, "${name}"),
            Source::File { path, key } => write!(f, "{}: {key}", path.display()),
            Source::Default => f.write_str("default"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting<T> {
    pub value: T,
    pub source: Source,
}

/// What `check` runs with: the flags over the file over the defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The config file read, if any.
    pub file: Option<PathBuf>,
    /// What the notes say about it ([`ConfigFile::note`]); `None` without a config.
    pub note: Option<String>,
    pub profile: Setting<String>,
    pub baseline: Setting<Option<String>>,
    pub store: Setting<Option<PathBuf>>,
    /// Every output format that has a flag, in the table's order.
    pub outputs: Vec<(Format, Setting<Option<PathBuf>>)>,
    /// The Locust version of runs whose files do not name it.
    pub locust_version: Setting<Option<String>>,
    /// The file's `[regression]` and `[trend]` keys, laid over the profile's.
    pub regression: Option<Setting<toml::Table>>,
    pub trend: Option<Setting<toml::Table>>,
}

const DEFAULT_PROFILE: &str = "default";

impl Settings {
    pub fn resolve(flags: &Flags, file: Option<&ConfigFile>) -> Settings {
        let profile = match (&flags.profile, file) {
            (Some(p), _) => flag(p.clone()),
            (None, Some(f)) if f.raw.profile.is_some() => {
                let spec = f.raw.profile.clone().unwrap_or_default();
                // A built-in's name stays a name; anything else is a path beside the file.
                // A bare word that is no file beside the config is a (mistyped) built-in name, so
                // that the error lists the built-ins as `--profile` does.
                let beside = f.resolve(Path::new(&spec));
                let bare = !spec.contains(['/', '\\']) && !spec.ends_with(".toml");
                let value =
                    if BUILTINS.iter().any(|(n, _)| *n == spec) || (bare && !beside.exists()) {
                        spec
                    } else {
                        beside.display().to_string()
                    };
                Setting {
                    value,
                    source: f.source("profile"),
                }
            }
            _ => Setting {
                value: DEFAULT_PROFILE.to_string(),
                source: Source::Default,
            },
        };
        let baseline = match (&flags.baseline, file) {
            (Some(b), _) => flag(Some(b.clone())),
            (None, Some(f)) if f.raw.baseline.is_some() => Setting {
                value: f.raw.baseline.clone(),
                source: f.source("baseline"),
            },
            _ => unset(),
        };
        let table = |key: &str, pick: fn(&Raw) -> &Option<toml::Table>| {
            file.and_then(|f| {
                pick(&f.raw).clone().map(|value| Setting {
                    value,
                    source: f.source(key),
                })
            })
        };
        Settings {
            file: file.map(|f| f.path.clone()),
            note: file.map(ConfigFile::note),
            profile,
            baseline,
            store: match std::env::var_os(STORE_ENV).filter(|v| !v.is_empty()) {
                Some(dir) if flags.store.is_none() => Setting {
                    value: Some(PathBuf::from(dir)),
                    source: Source::Env(STORE_ENV),
                },
                _ => pick_path(
                    "store",
                    flags.store.as_ref(),
                    file.and_then(|f| Some((f, f.raw.store.as_ref()?))),
                ),
            },
            outputs: FORMATS
                .iter()
                .filter(|f| f.flag.is_some())
                .map(|f| {
                    let flag = flags.files.iter().find(|(g, _)| *g == f.format);
                    let in_file = file.and_then(|c| Some((c, c.output(f.format)?)));
                    let key = f.config_key.unwrap_or(f.name);
                    (f.format, pick_path(key, flag.map(|(_, p)| p), in_file))
                })
                .collect(),
            locust_version: match (&flags.locust_version, file) {
                (Some(v), _) => flag(Some(v.clone())),
                (None, Some(f)) if f.raw.locust_version.is_some() => Setting {
                    value: f.raw.locust_version.clone(),
                    source: f.source("locust_version"),
                },
                _ => unset(),
            },
            regression: table("regression", |r| &r.regression),
            trend: table("trend", |r| &r.trend),
        }
    }

    /// The output `format` in force.
    pub fn output(&self, format: Format) -> Option<&Setting<Option<PathBuf>>> {
        self.outputs
            .iter()
            .find(|(f, _)| *f == format)
            .map(|(_, s)| s)
    }

    /// The files and directories asked for, in the table's order.
    pub fn files(&self) -> Vec<(Format, PathBuf)> {
        self.outputs
            .iter()
            .filter_map(|(f, s)| Some((*f, s.value.clone()?)))
            .collect()
    }

    /// The flags over the config found from the current directory upwards.
    pub fn here(flags: &Flags) -> Result<Settings> {
        let file = ConfigFile::discover(&std::env::current_dir()?)?;
        Ok(Settings::resolve(flags, file.as_ref()))
    }

    /// Loads the profile in force and lays the file's `[regression]` and `[trend]` keys over it.
    pub fn profile(&self) -> Result<(Profile, String)> {
        let loaded = Profile::load_with_source(&self.profile.value);
        let (mut profile, mut source) = match (&self.profile.source, loaded) {
            (Source::File { .. }, Err(err)) => {
                return Err(err.context(format!("the profile named by {}", self.profile.source)))
            }
            (_, loaded) => loaded?,
        };
        if let Some(over) = &self.regression {
            profile.regression = overlay(&profile.regression, &over.value)
                .with_context(|| format!("{}: invalid [regression]", over.source))?;
            source = format!("{source} + {}", over.source);
        }
        if let Some(over) = &self.trend {
            profile.trend = overlay(&profile.trend, &over.value)
                .with_context(|| format!("{}: invalid [trend]", over.source))?;
            source = format!("{source} + {}", over.source);
        }
        profile
            .validate()
            .context("the profile with the config's rules")?;
        Ok((profile, source))
    }

    /// What `loadgate config` prints: each value in force and where it came from.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "config file: {}",
            self.file
                .as_ref()
                .map_or("none found".to_string(), |p| p.display().to_string())
        );
        let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
        let path = |v: &Option<PathBuf>| {
            v.as_ref()
                .map_or("(none)".to_string(), |p| p.display().to_string())
        };
        let mut line = |key: &str, value: String, source: &Source| {
            let _ = writeln!(out, "{key:<10} = {value:<40} # {source}");
        };
        line("profile", self.profile.value.clone(), &self.profile.source);
        line(
            "baseline",
            text(&self.baseline.value),
            &self.baseline.source,
        );
        let store = crate::baseline::Store::open(self.store.value.as_deref());
        line(
            "store",
            store.dir().display().to_string(),
            &self.store.source,
        );
        line(
            "locust_version",
            text(&self.locust_version.value),
            &self.locust_version.source,
        );
        for (format, s) in &self.outputs {
            if let Some(key) = format.spec().config_key {
                line(key, path(&s.value), &s.source);
            }
        }
        for (name, rules) in [("regression", &self.regression), ("trend", &self.trend)] {
            match rules {
                Some(r) => {
                    for (key, value) in &r.value {
                        line(&format!("{name}.{key}"), value.to_string(), &r.source);
                    }
                }
                None => line(name, "(the profile's)".into(), &Source::Default),
            }
        }
        out
    }
}

fn flag<T>(value: T) -> Setting<T> {
    Setting {
        value,
        source: Source::Flag,
    }
}

fn unset<T>() -> Setting<Option<T>> {
    Setting {
        value: None,
        source: Source::Default,
    }
}

/// A path: the flag's, else the file's (relative to the file), else none.
fn pick_path(
    key: &str,
    flag_value: Option<&PathBuf>,
    in_file: Option<(&ConfigFile, &PathBuf)>,
) -> Setting<Option<PathBuf>> {
    if let Some(v) = flag_value {
        return flag(Some(v.clone()));
    }
    match in_file {
        Some((f, p)) => Setting {
            value: Some(f.resolve(p)),
            source: f.source(key),
        },
        None => unset(),
    }
}

/// `base` with the keys of `over` replaced; an unknown key or a wrong type is an error.
fn overlay<T: serde::Serialize + serde::de::DeserializeOwned>(
    base: &T,
    over: &toml::Table,
) -> Result<T> {
    let toml::Value::Table(mut merged) = toml::Value::try_from(base)? else {
        bail!("not a table");
    };
    for (key, value) in over {
        merged.insert(key.clone(), value.clone());
    }
    Ok(T::deserialize(toml::Value::Table(merged))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn the_nearest_directory_wins_and_loadgate_toml_before_pyproject() {
        let root = tempfile::tempdir().unwrap();
        let sub = root.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        write(root.path(), "loadgate.toml", "profile = \"light\"\n");
        write(
            root.path().join("a").as_path(),
            "pyproject.toml",
            "[tool.loadgate]\nprofile = \"heavy\"\n",
        );
        let found = ConfigFile::discover(&sub).unwrap().unwrap();
        assert_eq!(found.path, root.path().join("a/pyproject.toml"));
        write(
            root.path().join("a").as_path(),
            "loadgate.toml",
            "profile = \"spike\"\n",
        );
        let found = ConfigFile::discover(&sub).unwrap().unwrap();
        assert_eq!(found.path, root.path().join("a/loadgate.toml"));
    }

    #[test]
    fn a_pyproject_without_the_table_does_not_count() {
        let root = tempfile::tempdir().unwrap();
        let sub = root.path().join("pkg");
        std::fs::create_dir_all(&sub).unwrap();
        write(&sub, "pyproject.toml", "[project]\nname = \"x\"\n");
        write(root.path(), "loadgate.toml", "baseline = \"main\"\n");
        let found = ConfigFile::discover(&sub).unwrap().unwrap();
        assert_eq!(found.path, root.path().join("loadgate.toml"));
    }

    #[test]
    fn an_unknown_key_names_the_file_and_the_key() {
        let root = tempfile::tempdir().unwrap();
        let path = write(
            root.path(),
            "pyproject.toml",
            "[tool.loadgate]\nprofle = \"light\"\n",
        );
        let err = format!("{:#}", ConfigFile::read(&path).unwrap_err());
        assert!(err.contains("pyproject.toml"), "{err}");
        assert!(err.contains("[tool.loadgate]"), "{err}");
        assert!(err.contains("profle"), "{err}");
        let path = write(root.path(), "loadgate.toml", "[outputs]\nhtml = \"x\"\n");
        let err = format!("{:#}", ConfigFile::read(&path).unwrap_err());
        assert!(
            err.contains("loadgate.toml") && err.contains("outputs"),
            "{err}"
        );
    }

    #[test]
    fn flags_override_the_file_and_paths_are_beside_the_file() {
        let root = tempfile::tempdir().unwrap();
        let path = write(
            root.path(),
            "loadgate.toml",
            "profile = \"perf/api.toml\"\nhtml = \"out/report.html\"\nbaseline = \"main\"\n",
        );
        let file = ConfigFile::read(&path).unwrap().unwrap();
        let settings = Settings::resolve(&Flags::default(), Some(&file));
        assert_eq!(
            settings.profile.value,
            root.path().join("perf/api.toml").display().to_string()
        );
        let html = settings.output(Format::Html).unwrap();
        assert_eq!(html.value, Some(root.path().join("out/report.html")));
        assert_eq!(
            html.source,
            Source::File {
                path: path.clone(),
                key: "html".into()
            }
        );
        let json = settings.output(Format::Json).unwrap();
        assert_eq!(json.source, Source::Default);
        assert_eq!(
            settings.files(),
            vec![(Format::Html, root.path().join("out/report.html"))]
        );
        let flags = Flags {
            files: vec![(Format::Html, "mine.html".into())],
            profile: Some("light".into()),
            ..Flags::default()
        };
        let settings = Settings::resolve(&flags, Some(&file));
        let html = settings.output(Format::Html).unwrap();
        assert_eq!(html.value, Some(PathBuf::from("mine.html")));
        assert_eq!(html.source, Source::Flag);
        assert_eq!(settings.profile.value, "light");
        assert_eq!(settings.baseline.value.as_deref(), Some("main"));
    }

    #[test]
    fn the_prometheus_table_gives_a_url_and_a_ca_file_beside_the_file() {
        let root = tempfile::tempdir().unwrap();
        let path = write(
            root.path(),
            "loadgate.toml",
            "[prometheus]\nurl = \"https://prom.example\"\nca_file = \"certs/ca.pem\"\n",
        );
        let file = ConfigFile::read(&path).unwrap().unwrap();
        let url = file.prometheus_url().unwrap();
        assert_eq!(url.value, "https://prom.example");
        assert_eq!(
            url.source.to_string(),
            format!("{}: prometheus.url", path.display())
        );
        assert_eq!(
            file.prometheus_ca_file().unwrap().value,
            root.path().join("certs/ca.pem")
        );
        // No credentials in a committed file: an unknown key is refused.
        let path = write(
            root.path(),
            "loadgate.toml",
            "[prometheus]\ntoken = \"x\"\n",
        );
        let err = format!("{:#}", ConfigFile::read(&path).unwrap_err());
        assert!(err.contains("token"), "{err}");
    }

    #[test]
    fn rules_are_laid_over_the_profile_key_by_key() {
        let root = tempfile::tempdir().unwrap();
        let path = write(
            root.path(),
            "loadgate.toml",
            "profile = \"light\"\n[regression]\np95 = 0.5\n[trend]\nstatus = \"fail\"\n",
        );
        let file = ConfigFile::read(&path).unwrap().unwrap();
        let (profile, source) = Settings::resolve(&Flags::default(), Some(&file))
            .profile()
            .unwrap();
        let light = Profile::load("light").unwrap();
        assert_eq!(profile.regression.p95, 0.5);
        assert_eq!(profile.regression.p50, light.regression.p50);
        assert_eq!(profile.trend.status, crate::model::Status::Fail);
        assert_eq!(profile.trend.latency_increase, light.trend.latency_increase);
        assert!(source.starts_with("builtin:light + "), "{source}");
        let bad = write(root.path(), "loadgate.toml", "[regression]\np96 = 0.5\n");
        let file = ConfigFile::read(&bad).unwrap().unwrap();
        let err = format!(
            "{:#}",
            Settings::resolve(&Flags::default(), Some(&file))
                .profile()
                .unwrap_err()
        );
        assert!(
            err.contains("loadgate.toml: regression") && err.contains("p96"),
            "{err}"
        );
    }
}
