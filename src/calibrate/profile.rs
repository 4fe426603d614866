//! The calibration profile (`output/calibration/profile.toml`, docs/MODEL.md#calibration-and-validation).
//!
//! A profile records, for the machine and interpreter it was measured on:
//! every simulator parameter with its value, its spread and how it was
//! obtained ([`Source`]: measured by a probe, fitted by simulation, or left
//! at its default), the raw probe measurements (median, p25..p75 and
//! best-of-N), the Python version and build, the machine (cores, CPU model,
//! cpuidle driver, kernel) and the date.
//!
//! A scenario uses it with `[python] profile = "path"`: the profile's
//! measured and fitted values replace the defaults, and the scenario's own
//! keys still override the profile. The scenario layer does not read this
//! format: the command line reads scenarios with [`load_for_scenario`], which
//! turns a profile into parameter values ([`Profile::params`]) that the
//! parameter table ([`crate::python::params`]) writes into the configuration.
//!
//! The built-in `reference` profile is no file: it is the defaults of
//! `src/machine/config.rs` (`MachineConfig::default`) and
//! `src/python/config.rs` (`PythonConfig::defaults`), whose doc comments
//! give their sources (Linux CFS defaults for the scheduler, timer slack
//! and sleeper credit; CPython's `Python/ceval_gil.c` for the switch
//! interval; the wake-up latencies from a 2-core VM with the `haltpoll`
//! cpuidle driver, docs/MODEL.md#the-machine-and-the-os-scheduler).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::engine::random::Dist;
use crate::engine::time::Nanos;
use crate::machine::KernelScheduler;
use crate::python::params::{self, Estimate, ParamSet};
use crate::scenario::{ProfileLoadError, ProfileParams};

/// How a parameter's value was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Measured directly by a probe.
    Measured,
    /// Fitted: the value for which simulating a probe best matches the real run.
    Fitted,
    /// Not measured: gilsim's built-in default (the `reference` profile).
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Source::Measured => "measured",
            Source::Fitted => "fitted",
            Source::Default => "default",
        })
    }
}

/// A parameter value: a duration distribution in nanoseconds, or a plain
/// number (nanoseconds per byte).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "lowercase")]
pub enum Value {
    /// Always `ns`.
    Const {
        /// Nanoseconds.
        ns: Nanos,
    },
    /// Lognormal with this median and log-space sigma.
    LogNormal {
        /// Median in nanoseconds.
        median_ns: Nanos,
        /// Standard deviation of the logarithm.
        sigma: f64,
    },
    /// Normal truncated at zero.
    Normal {
        /// Mean in nanoseconds.
        mean_ns: Nanos,
        /// Standard deviation in nanoseconds.
        sd_ns: Nanos,
    },
    /// A number: nanoseconds per byte for the `*_ns_per_byte` keys.
    Number {
        /// The value.
        value: f64,
    },
}

impl Value {
    /// The simulator's distribution (`None` for a [`Value::Number`]).
    pub fn dist(&self) -> Option<Dist> {
        match *self {
            Value::Const { ns } => Some(Dist::Const(ns)),
            Value::LogNormal { median_ns, sigma } => Some(Dist::LogNormal {
                median: median_ns,
                sigma,
            }),
            Value::Normal { mean_ns, sd_ns } => Some(Dist::Normal {
                mean: mean_ns,
                sd: sd_ns,
            }),
            Value::Number { .. } => None,
        }
    }

    /// The plain number of a [`Value::Number`].
    pub fn number(&self) -> Option<f64> {
        match *self {
            Value::Number { value } => Some(value),
            _ => None,
        }
    }

    /// The profile value of a distribution (`None` for kinds a profile does not store).
    pub fn from_dist(d: &Dist) -> Option<Value> {
        match *d {
            Dist::Const(ns) => Some(Value::Const { ns }),
            Dist::LogNormal { median, sigma } => Some(Value::LogNormal {
                median_ns: median,
                sigma,
            }),
            Dist::Normal { mean, sd } => Some(Value::Normal {
                mean_ns: mean,
                sd_ns: sd,
            }),
            Dist::Exp { .. } | Dist::Uniform { .. } => None,
        }
    }
}

/// One simulator parameter in a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    /// Measured, fitted or default.
    pub source: Source,
    /// How it was obtained: the probe, or the search and its objective.
    pub how: String,
    /// The spread behind the value, in words (e.g. `p25..p75 = 52..71 us`).
    pub spread: String,
    /// The value.
    pub value: Value,
}

/// The statistics of one repeated probe measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// Unit of every number below (`ns`, `MB/s`, `ops/s`).
    pub unit: String,
    /// Repetitions.
    pub n: u32,
    /// Median over repetitions.
    pub median: f64,
    /// 25th percentile (the spread is p25..p75).
    pub p25: f64,
    /// 75th percentile.
    pub p75: f64,
    /// Smallest repetition.
    pub min: f64,
    /// Largest repetition.
    pub max: f64,
    /// Best of N: the minimum for a time, the maximum for a rate.
    pub best: f64,
}

/// The interpreter a profile was measured with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PythonInfo {
    /// The `--python` executable.
    pub executable: String,
    /// `sys.version`.
    pub version: String,
    /// `major.minor`, as a scenario's `python.version`.
    pub version_short: String,
    /// `sysconfig.get_config_var("Py_GIL_DISABLED")`: a free-threaded build.
    pub gil_disabled: bool,
}

/// The machine a profile was measured on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineInfo {
    /// Online CPUs (`std::thread::available_parallelism`).
    pub cores_online: u32,
    /// The CPU list the probes were pinned to (`--cores`), or `all`.
    pub cores_list: String,
    /// How many cores the probes ran on.
    pub cores_used: u32,
    /// Whether `os.sched_setaffinity` succeeded (false without `--cores`).
    pub pinned: bool,
    /// CPU model from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// `/sys/devices/system/cpu/cpuidle/current_driver`, or `unknown`.
    pub cpuidle_driver: String,
    /// Kernel release (`/proc/sys/kernel/osrelease`).
    pub kernel: String,
    /// The kernel's `CONFIG_HZ`, when its configuration is readable.
    #[serde(default)]
    pub hz: Option<u32>,
    /// The slice the kernel gave the calibrating process (`se.slice` in
    /// `/proc/self/sched`, EEVDF's `sched_base_slice`), when it reports one.
    #[serde(default)]
    pub base_slice_ns: Option<u64>,
    /// `/proc/loadavg` before and after the probes: other work on the
    /// machine competes with the probes for cores (a busy host hides the
    /// convoy). Empty when unknown.
    #[serde(default)]
    pub load_average: String,
}

/// A calibration profile: what `gilsim calibrate` writes and `[python] profile` reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The gilsim version that wrote it.
    pub gilsim_version: String,
    /// When the probes ran (UTC, RFC 3339).
    pub date: String,
    /// Whether `--quick` (fewer repetitions) was used.
    pub quick: bool,
    /// The interpreter.
    pub python: PythonInfo,
    /// The machine.
    pub machine: MachineInfo,
    /// Simulator parameters by scenario key (`machine.wakeup_latency`).
    pub parameters: BTreeMap<String, Parameter>,
    /// Raw probe measurements by name.
    pub measurements: BTreeMap<String, Measurement>,
}

/// The keys a profile may set: every parameter that `gilsim calibrate`
/// measures, fits or records (from the parameter table).
pub const PARAMETER_KEYS: &[&str] = params::PROFILE_KEYS;

/// Why a profile could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read profile {path}: {message}")]
    Read {
        /// The path.
        path: String,
        /// The OS error.
        message: String,
    },
    /// The file is not a valid profile.
    #[error("profile {path} is not a valid gilsim profile: {message}")]
    Parse {
        /// The path.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl Profile {
    /// The profile as TOML text, with a header comment.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        let body = toml::to_string(self)?;
        Ok(format!(
            "# gilsim calibration profile, written by `gilsim calibrate`.\n\
             # Use it from a scenario with [python] profile = \"<this file>\".\n\
             # parameters: scenario keys; source = measured | fitted | default.\n\
             # measurements: medians over repetitions, spread p25..p75, best-of-N.\n\n{body}"
        ))
    }

    /// Parses a profile from TOML text; `path` names it in errors.
    pub fn from_toml(text: &str, path: &str) -> Result<Profile, ProfileError> {
        let profile: Profile = toml::from_str(text).map_err(|e| ProfileError::Parse {
            path: path.to_string(),
            message: e.message().trim().to_string(),
        })?;
        if let Some(k) = profile
            .parameters
            .keys()
            .find(|k| !PARAMETER_KEYS.contains(&k.as_str()))
        {
            return Err(ProfileError::Parse {
                path: path.to_string(),
                message: format!(
                    "unknown parameter `{k}` (known: {})",
                    PARAMETER_KEYS.join(", ")
                ),
            });
        }
        for (k, p) in &profile.parameters {
            let bad = match p.value {
                Value::LogNormal { sigma, .. } => !(sigma.is_finite() && sigma >= 0.0),
                Value::Number { value } => {
                    let probability = params::find(k)
                        .is_some_and(|p| matches!(p.kind, params::Kind::Probability));
                    !(value.is_finite() && value >= 0.0 && (!probability || value <= 1.0))
                }
                _ => false,
            };
            if bad {
                return Err(ProfileError::Parse {
                    path: path.to_string(),
                    message: format!(
                        "parameter `{k}`: sigma and numbers must be finite and ≥ 0 (a probability at most 1)"
                    ),
                });
            }
        }
        Ok(profile)
    }

    /// Reads a profile file.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError::Read {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        Profile::from_toml(&text, &shown)
    }

    /// Writes the profile atomically (temporary file, then rename).
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let text = self.to_toml()?;
        crate::report::atomic::write(path, text.as_bytes())?;
        Ok(())
    }

    /// Its measured and fitted values by key, for the parameter table to
    /// write into a configuration (values recorded at their default are left out).
    pub fn params(&self) -> ParamSet {
        estimates(&self.parameters)
    }

    /// A measurement's median, if the profile has it.
    pub fn median(&self, name: &str) -> Option<f64> {
        self.measurements.get(name).map(|m| m.median)
    }
}

/// The measured and fitted values among `parameters` (not those recorded
/// at their default), by key. Keys that are not parameters are left out.
pub fn estimates(parameters: &BTreeMap<String, Parameter>) -> ParamSet {
    let mut set = ParamSet::default();
    for (key, p) in parameters
        .iter()
        .filter(|(_, p)| p.source != Source::Default)
    {
        let estimate = match p.value.number() {
            Some(value) => Estimate::Number(value),
            None => match p.value.dist() {
                Some(d) => Estimate::Dist(d),
                None => continue,
            },
        };
        // `from_toml` refused unknown keys; a scratch set has only known ones.
        let _ = set.insert(key, estimate);
    }
    set
}

/// The profile loader of a scenario's `[python] profile = "path"`: the
/// profile's measured and fitted values and the Python it was measured with.
impl Profile {
    /// The scheduler of the kernel the profile was measured on.
    pub fn kernel_scheduler(&self) -> Option<KernelScheduler> {
        KernelScheduler::of_linux(
            &self.machine.kernel,
            self.machine.cores_online,
            self.machine.hz,
            self.machine.base_slice_ns,
        )
    }
}

pub fn load_for_scenario(path: &Path) -> Result<ProfileParams, ProfileLoadError> {
    match Profile::load(path) {
        Ok(profile) => Ok(ProfileParams {
            python_version: profile.python.version_short.clone(),
            values: profile.params(),
            kernel: profile.kernel_scheduler(),
        }),
        Err(e @ ProfileError::Read { .. }) => Err(ProfileLoadError::Unreadable(e.to_string())),
        Err(e @ ProfileError::Parse { .. }) => Err(ProfileLoadError::Invalid(e.to_string())),
    }
}
