//! `[python] profile`: the calibrated profile a scenario starts from.
//!
//! The profile file is `gilsim calibrate`'s format, which this layer does
//! not know: the scenario is read with a [`ProfileLoader`] that turns a
//! profile's path into parameter values ([`ProfileParams`]), given by the
//! caller (the command line passes calibrate's). Without one, a scenario
//! that names a profile other than `reference` is refused.

use std::path::Path;

use super::Validator;
use crate::machine::KernelScheduler;
use crate::python::params::ParamSet;
use crate::scenario::diagnostic::Diag;
use crate::scenario::document::{Entry, Value};
use crate::scenario::typed::{Res, as_str};

/// What a profile sets: the values it measured or fitted, and the Python
/// it was measured with.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileParams {
    /// `major.minor` of the interpreter it was measured with (`3.11`).
    pub python_version: String,
    /// The measured and fitted values, by parameter key; the scenario's
    /// own keys override them.
    pub values: ParamSet,
    /// The scheduler of the kernel it was measured on, when known.
    pub kernel: Option<KernelScheduler>,
}

/// Why a profile cannot be used; the text is shown under the scenario's
/// `profile` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileLoadError {
    /// The file cannot be read.
    Unreadable(String),
    /// The file is not a valid profile.
    Invalid(String),
}

/// Loads the profile at a path (already resolved against the scenario's
/// folder) into parameter values.
pub type ProfileLoader = fn(&Path) -> Result<ProfileParams, ProfileLoadError>;

impl Validator<'_> {
    /// `[python] profile`: `reference` (the built-in defaults, `None`) or
    /// the path of a calibrated profile, read before `[machine]` and
    /// `[python]` are validated so that their keys override it. A relative
    /// path is looked up in the scenario file's folder, then in the current
    /// directory. Returns the name as given and the profile.
    pub(in crate::scenario) fn profile(
        &self,
        python: Option<&Entry>,
    ) -> Res<Option<(String, ProfileParams)>> {
        let Some(Value::Table(table)) = python.map(|e| &e.value.value) else {
            return Ok(None);
        };
        let Some(e) = table.get("profile") else {
            return Ok(None);
        };
        let k = "python.profile";
        let text = as_str(&e.value, k)?;
        if text == "reference" {
            return Ok(None);
        }
        if text.is_empty() {
            return Err(Diag::new(
                "empty profile path",
                &e.value.span,
                "expected \"reference\" or the path of a profile.toml",
            )
            .key(k));
        }
        let given = Path::new(text);
        let beside = self
            .sources
            .path
            .parent()
            .filter(|_| given.is_relative())
            .map(|dir| dir.join(given))
            .filter(|p| p.is_file());
        let path = beside.unwrap_or_else(|| given.to_path_buf());
        let Some(loader) = self.profiles else {
            return Err(Diag::new(
                "cannot read the profile",
                &e.value.span,
                "this scenario reader has no profile loader (scenario::Reader::with_profiles)",
            )
            .key(k)
            .help("use profile = \"reference\""));
        };
        match loader(&path) {
            Ok(profile) => Ok(Some((text.to_string(), profile))),
            Err(err) => {
                let (message, label) = match err {
                    ProfileLoadError::Unreadable(why) => ("cannot read the profile", why),
                    ProfileLoadError::Invalid(why) => ("the profile is not valid", why),
                };
                Err(Diag::new(message, &e.value.span, label)
                    .key(k)
                    .help("write one with `gilsim calibrate` (output/calibration/profile.toml), or use profile = \"reference\""))
            }
        }
    }
}
