//! `[python]`: the interpreter's version and build, the GIL, and every cost.

use super::Validator;
use super::profile::ProfileParams;
use crate::python::params::{self, Section};
use crate::python::{Build, Handoff, PyVersion, PythonConfig};
use crate::scenario::diagnostic::{Diag, Origin};
use crate::scenario::document::{Entry, Node, Value};
use crate::scenario::param;
use crate::scenario::typed::{Res, as_str, as_table, join, type_error};

impl Validator<'_> {
    /// The interpreter: the defaults of its version and build, then the
    /// profile's values, then the table's keys (a key that is wrong keeps
    /// the value before it, and its error is recorded).
    /// `misspelled`: the file has a misspelled `[python]` (`[pyton]`),
    /// whose version and build are not read.
    pub(in crate::scenario) fn python(
        &mut self,
        entry: Option<&Entry>,
        profile: Option<&(String, ProfileParams)>,
        misspelled: bool,
    ) -> PythonConfig {
        // A version or build written where it is not read (in a misspelled
        // section, or in [machine]) is not known: what depends on it is
        // not checked.
        let version_lost = misspelled || self.lost("version");
        let build_lost = misspelled || self.lost("build");
        let Some(entry) = entry else {
            self.version_known = !version_lost;
            return PythonConfig::default();
        };
        let Some(table) = self.ok(as_table(&entry.value, "python")) else {
            self.version_known = false;
            return PythonConfig::default();
        };
        self.known_keys(
            table,
            "python",
            "in [python]",
            &params::names(Section::Python),
        );

        let default_version = PyVersion {
            major: 3,
            minor: 11,
        };
        let version = match table.get("version") {
            Some(e) => self.ok(self.version(&e.value)).unwrap_or_else(|| {
                self.version_known = false;
                default_version
            }),
            None => {
                self.version_known = !version_lost;
                default_version
            }
        };
        // `None`: a build that cannot be read.
        let build = match table.get("build") {
            Some(e) => self.ok(self.build(e, version)),
            None if build_lost => None,
            None => Some(Build::Gil),
        };
        let mut p = PythonConfig::defaults(version, build.unwrap_or(Build::Gil));
        if let Some((name, profile)) = profile {
            profile.values.apply_python(&mut p);
            p.profile = name.clone();
            let measured = &profile.python_version;
            if *measured != version.to_string() {
                let warning = format!(
                    "warning: profile {name} was measured with Python {measured}, the scenario says python.version = \"{version}\"; its values are used anyway"
                );
                let mut warnings = self.warnings.borrow_mut();
                if !warnings.contains(&warning) {
                    warnings.push(warning);
                }
            }
        }
        for e in &table.entries {
            let k = join("python", &e.key);
            let v = &e.value;
            match e.key.as_str() {
                // Read before the other keys (see `Validator::profile`).
                "version" | "build" | "profile" => {}
                "gil" => {
                    if let Some(enabled) = self.ok(gil(v, &k, build)) {
                        p.gil_enabled = enabled;
                    }
                }
                "gil_handoff" => {
                    let handoff = as_str(v, &k).and_then(|text| match text {
                        "fifo" => Ok(Handoff::Fifo),
                        "random" => Ok(Handoff::Random),
                        other => Err(Diag::new(
                            format!("unknown gil_handoff \"{other}\""),
                            &v.span,
                            "expected \"fifo\" or \"random\"",
                        )
                        .key(k.as_str())),
                    });
                    if let Some(h) = self.ok(handoff) {
                        p.gil_handoff = h;
                    }
                }
                // Every other key is a parameter, or was refused by `known_keys`.
                name => {
                    if let Some(param) = params::find_in(Section::Python, name)
                        && let Some(slot) = param.python_slot(&mut p)
                        && let Err(d) = param::set(param, slot, v, &k)
                    {
                        self.report(d);
                    }
                }
            }
        }
        p
    }

    /// `build`: `"gil"` or `"free-threaded"` (3.13 or later, when the
    /// version is known).
    fn build(&self, e: &Entry, version: PyVersion) -> Res<Build> {
        let text = as_str(&e.value, "python.build")?;
        let build = match text {
            "gil" => Build::Gil,
            "free-threaded" => Build::FreeThreaded,
            _ => {
                return Err(Diag::new(
                    format!("unknown build \"{text}\""),
                    &e.value.span,
                    "expected \"gil\" or \"free-threaded\"",
                )
                .key("python.build"));
            }
        };
        if build == Build::FreeThreaded && self.version_known && version.minor < 13 {
            return Err(Diag::new(
                "the free-threaded build needs Python 3.13 or later",
                &e.value.span,
                format!("python.version is {version}"),
            )
            .key("python.build")
            .help("set python.version = \"3.13\" or \"3.14\"")
            .relational());
        }
        Ok(build)
    }

    /// `"3.8"` to `"3.14"`. From `--set`, an unquoted `3.12` (a TOML float)
    /// is read as written.
    pub(in crate::scenario) fn version(&self, node: &Node) -> Res<PyVersion> {
        let key = "python.version";
        let text = match &node.value {
            Value::Str(s) => s.as_str(),
            Value::Float(_) if matches!(node.span.origin, Origin::Override(_)) => {
                self.sources.text(&node.span).unwrap_or_default()
            }
            Value::Float(_) => {
                return Err(type_error(node, key, "a string").help(
                    "quote the version: version = \"3.10\" (unquoted, 3.10 is the number 3.1)",
                ));
            }
            _ => return Err(type_error(node, key, "a string like \"3.11\"")),
        };
        let minor = text
            .strip_prefix("3.")
            .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|m| m.parse::<u32>().ok())
            .filter(|m| (8..=14).contains(m));
        match minor {
            Some(minor) => Ok(PyVersion { major: 3, minor }),
            None => {
                let mut diag = Diag::new(
                    format!("unsupported Python version \"{text}\""),
                    &node.span,
                    "expected \"3.8\" to \"3.14\"",
                )
                .key(key);
                if text.ends_with('t') {
                    diag = diag.help("for a free-threaded build write version = \"3.13\" and build = \"free-threaded\"");
                }
                Err(diag)
            }
        }
    }
}

/// `gil`: 0 or 1, and 0 only on the free-threaded build (`build` is `None`
/// when it cannot be read: then 0 is not refused). Whether the GIL is on.
fn gil(v: &Node, k: &str, build: Option<Build>) -> Res<bool> {
    let Value::Int(g) = v.value else {
        return Err(type_error(v, k, "an integer (0 or 1)"));
    };
    if g != 0 && g != 1 {
        return Err(Diag::new("gil must be 0 or 1", &v.span, "expected 0 or 1").key(k));
    }
    if build == Some(Build::Gil) && g == 0 {
        return Err(Diag::new(
            "`gil = 0` needs the free-threaded build",
            &v.span,
            "the default build always has a GIL",
        )
        .key(k)
        .help("set python.build = \"free-threaded\" (Python 3.13 or later), or remove `gil`")
        .relational());
    }
    Ok(build != Some(Build::FreeThreaded) || g == 1)
}
