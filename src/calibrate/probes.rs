//! The probes: small Python programs (standard library only) embedded in
//! the binary, written to a fresh temporary folder and run with the user's
//! interpreter. Each reads its options as one JSON object in `argv[1]` and
//! prints one JSON object on stdout; a probe that fails, times out or
//! prints anything else is a [`ProbeError`] naming the probe and its stderr.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

/// The probe sources, by file name.
pub const SOURCES: &[(&str, &str)] = &[
    ("gilsim_probe.py", include_str!("probes/gilsim_probe.py")),
    ("info.py", include_str!("probes/info.py")),
    ("costs.py", include_str!("probes/costs.py")),
    ("switch.py", include_str!("probes/switch.py")),
    ("convoy.py", include_str!("probes/convoy.py")),
    ("workload.py", include_str!("probes/workload.py")),
    ("procs.py", include_str!("probes/procs.py")),
    ("startjoin.py", include_str!("probes/startjoin.py")),
    ("aio.py", include_str!("probes/aio.py")),
    ("noise.py", include_str!("probes/noise.py")),
    ("server.py", include_str!("probes/server.py")),
];

/// Why a probe gave no result.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The temporary folder could not be written.
    #[error("cannot write the probes to {dir}: {message}")]
    Setup {
        /// The folder.
        dir: String,
        /// The OS error.
        message: String,
    },
    /// The interpreter could not be started.
    #[error("cannot start {python} for probe {probe}: {message}")]
    Spawn {
        /// The interpreter.
        python: String,
        /// The probe.
        probe: String,
        /// The OS error.
        message: String,
    },
    /// The probe exited with an error, timed out or printed no JSON object.
    #[error("probe {probe} failed: {reason}\n--- stderr of {probe} ---\n{stderr}")]
    Failed {
        /// The probe.
        probe: String,
        /// What went wrong.
        reason: String,
        /// Its standard error (last 4000 bytes).
        stderr: String,
    },
}

/// A temporary folder holding the probes; removed when dropped.
#[derive(Debug)]
pub struct ProbeDir {
    dir: PathBuf,
    python: PathBuf,
    timeout: Duration,
    cwd: Option<PathBuf>,
}

impl ProbeDir {
    /// Writes the probes to a new folder under the system's temporary folder.
    pub fn create(python: &Path) -> Result<ProbeDir, ProbeError> {
        ProbeDir::create_with(python, SOURCES)
    }

    /// Writes `sources` (file name, text) to a new folder under the
    /// system's temporary folder: another command's probes.
    pub fn create_with(python: &Path, sources: &[(&str, &str)]) -> Result<ProbeDir, ProbeError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("gilsim-probes-{}-{nanos}", std::process::id()));
        let setup = |e: std::io::Error| ProbeError::Setup {
            dir: dir.display().to_string(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(&dir).map_err(setup)?;
        for (name, text) in sources {
            std::fs::write(dir.join(name), text).map_err(setup)?;
        }
        Ok(ProbeDir {
            dir,
            python: python.to_path_buf(),
            timeout: Duration::from_secs(120),
            cwd: None,
        })
    }

    /// Runs the probes in `cwd` instead of their own folder, with at most
    /// `timeout` per probe.
    pub fn running_in(mut self, cwd: &Path, timeout: Duration) -> ProbeDir {
        self.cwd = Some(cwd.to_path_buf());
        self.timeout = timeout;
        self
    }

    /// Runs `probe` (a file name from [`SOURCES`]) with `options` and
    /// returns its JSON object.
    pub fn run(&self, probe: &str, options: &Value) -> Result<Map<String, Value>, ProbeError> {
        let mut child = Command::new(&self.python)
            .arg("-X")
            .arg("utf8")
            .arg(self.dir.join(probe))
            .arg(options.to_string())
            .current_dir(self.cwd.as_ref().unwrap_or(&self.dir))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| ProbeError::Spawn {
                python: self.python.display().to_string(),
                probe: probe.to_string(),
                message: e.to_string(),
            })?;
        let reader = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut p) = pipe {
                    let _ = p.read_to_end(&mut bytes);
                }
                String::from_utf8_lossy(&bytes).into_owned()
            })
        };
        let out = reader(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let err = reader(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if started.elapsed() > self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(_) => break None,
            }
        };
        let stdout = out.join().unwrap_or_default();
        let stderr = err.join().unwrap_or_default();
        let fail = |reason: String| ProbeError::Failed {
            probe: probe.to_string(),
            reason,
            stderr: tail(&stderr, 4000),
        };
        match status {
            None => Err(fail(format!(
                "no result within {} s (killed)",
                self.timeout.as_secs()
            ))),
            Some(s) if !s.success() => Err(fail(format!("exited with {s}"))),
            Some(_) => parse_output(probe, &stdout, &stderr),
        }
    }
}

impl Drop for ProbeDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("...{}", &text[start..])
}

/// Parses a probe's standard output: its last non-empty line must be one JSON object.
pub fn parse_output(
    probe: &str,
    stdout: &str,
    stderr: &str,
) -> Result<Map<String, Value>, ProbeError> {
    let fail = |reason: String| ProbeError::Failed {
        probe: probe.to_string(),
        reason,
        stderr: tail(stderr, 4000),
    };
    let line = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .ok_or_else(|| fail("printed nothing on stdout".to_string()))?;
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(fail(format!("printed {other} instead of a JSON object"))),
        Err(e) => Err(fail(format!(
            "printed something that is not JSON ({e}): {}",
            tail(line, 200)
        ))),
    }
}

/// A number field of a probe's result; an error naming the probe and field otherwise.
pub fn number(map: &Map<String, Value>, probe: &str, field: &str) -> Result<f64, ProbeError> {
    match map.get(field).and_then(Value::as_f64) {
        Some(v) if v.is_finite() => Ok(v),
        _ => Err(ProbeError::Failed {
            probe: probe.to_string(),
            reason: format!(
                "field `{field}` is missing or not a finite number in {}",
                Value::Object(map.clone())
            ),
            stderr: String::new(),
        }),
    }
}

/// A string field of a probe's result (empty when missing).
pub fn text(map: &Map<String, Value>, field: &str) -> String {
    map.get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A boolean field of a probe's result (false when missing).
pub fn flag(map: &Map<String, Value>, field: &str) -> bool {
    map.get(field).and_then(Value::as_bool).unwrap_or(false)
}

/// Parses a CPU list: `0`, `0,1`, `0-3`, `0,2-3`.
pub fn parse_cpu_list(text: &str) -> Result<Vec<u32>, String> {
    let mut cpus = Vec::new();
    for part in text.split(',').map(str::trim) {
        let bad = || format!("invalid CPU list `{text}`: expected e.g. 0 or 0,1 or 0-3");
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u32>(), b.trim().parse::<u32>()),
            None => (part.parse::<u32>(), part.parse::<u32>()),
        };
        let (Ok(lo), Ok(hi)) = (lo, hi) else {
            return Err(bad());
        };
        if lo > hi || hi - lo > 4096 {
            return Err(bad());
        }
        for c in lo..=hi {
            if !cpus.contains(&c) {
                cpus.push(c);
            }
        }
    }
    cpus.sort_unstable();
    Ok(cpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list("0"), Ok(vec![0]));
        assert_eq!(parse_cpu_list("1,0"), Ok(vec![0, 1]));
        assert_eq!(parse_cpu_list("0,2-3"), Ok(vec![0, 2, 3]));
        assert!(parse_cpu_list("a").is_err());
        assert!(parse_cpu_list("3-1").is_err());
        assert!(parse_cpu_list("").is_err());
    }
}
