//! `[python] profile`: the calibrated profile a scenario starts from.

use std::path::Path;

use super::diagnostic::Diag;
use super::document::{Entry, Value};
use super::typed::{Res, as_str};
use super::validator::Validator;
use crate::calibrate::profile::{Profile, ProfileError};

impl Validator<'_> {
    /// `[python] profile`: `reference` (the built-in defaults, `None`) or
    /// the path of a calibrated profile, read before `[machine]` and
    /// `[python]` are validated so that their keys override it. A relative
    /// path is looked up in the scenario file's folder, then in the current
    /// directory. Returns the name as given and the profile.
    pub(super) fn profile(&self, python: Option<&Entry>) -> Res<Option<(String, Profile)>> {
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
        match Profile::load(&path) {
            Ok(profile) => Ok(Some((text.to_string(), profile))),
            Err(err) => Err(Diag::new(
                match &err {
                    ProfileError::Read { .. } => "cannot read the profile",
                    ProfileError::Parse { .. } => "the profile is not valid",
                },
                &e.value.span,
                err.to_string(),
            )
            .key(k)
            .help("write one with `gilsim calibrate` (output/calibration/profile.toml), or use profile = \"reference\"")),
        }
    }
}
