//! `gilsim slurm`: the sbatch scripts that run a study as a Slurm job array
//! (task K runs `gilsim run FILE --shard K/N`) and merge the shards once
//! every task has succeeded, and the GNU parallel line that does the same
//! on one machine.

use std::path::{Path, PathBuf};

use crate::failure::Failure;
use crate::report::atomic;

/// Arguments of `gilsim slurm`.
#[derive(Debug, Clone, Default)]
pub struct SlurmArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// Number of shards: array tasks.
    pub shards: usize,
    /// Where the shards and the merged results go; default `output/<name>`.
    pub out: Option<PathBuf>,
    /// `--set KEY=VALUE` overrides, passed on to every task and the merge.
    pub overrides: Vec<String>,
    /// `#SBATCH` options for both jobs, such as `--partition=short`.
    pub sbatch_options: Vec<String>,
    /// The `gilsim` the jobs run; default this executable.
    pub gilsim: Option<PathBuf>,
}

/// What `gilsim slurm` wrote, and how to submit it.
#[derive(Debug, Clone)]
pub struct SlurmPlan {
    /// The job array's script.
    pub array_script: PathBuf,
    /// The merge job's script.
    pub merge_script: PathBuf,
    /// Shell commands that submit the array, then the merge depending on it.
    pub submit: String,
    /// A GNU parallel command that runs the shards and the merge on this machine.
    pub parallel: String,
    /// The study's sweep points.
    pub points: usize,
}

/// Quotes `text` for a POSIX shell.
fn quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c))
    {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// `path` made absolute against the current folder (the jobs start elsewhere).
fn absolute(path: &Path) -> Result<PathBuf, Failure> {
    std::path::absolute(path).map_err(|e| {
        Failure::Usage(format!(
            "error: cannot make {} absolute: {e}\n",
            path.display()
        ))
    })
}

/// `gilsim slurm`: validates the study, writes `DIR/slurm/array.sbatch` and
/// `DIR/slurm/merge.sbatch` (and `DIR/slurm/logs/`, where Slurm writes the
/// jobs' output: it does not create folders), and returns how to submit
/// them.
pub fn slurm(args: &SlurmArgs) -> Result<SlurmPlan, Failure> {
    let study = super::load_study(&args.file, &args.overrides)?;
    let points = study.points.len();
    if args.shards == 0 || args.shards > points {
        return Err(Failure::Usage(format!(
            "error: --shards {}: the study has {points} point(s); give 1 to {points} shards \
             (a shard with no points would fail its task, and the merge with it)\n",
            args.shards
        )));
    }
    for o in &args.sbatch_options {
        if !o.starts_with('-') || o.contains(['\n', '\r']) {
            return Err(Failure::Usage(format!(
                "error: --sbatch-option `{}`: expected one sbatch option such as --partition=short\n",
                o.escape_debug()
            )));
        }
    }
    let gilsim = match &args.gilsim {
        Some(g) => absolute(g)?,
        None => std::env::current_exe()
            .map_err(|e| Failure::Run(format!("cannot find the path of this gilsim: {e}")))?,
    };
    let file = absolute(&args.file)?;
    let out = absolute(
        &args
            .out
            .clone()
            .unwrap_or_else(|| Path::new("output").join(&study.first().name)),
    )?;
    let dir = out.join("slurm");
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| Failure::cannot_write(&logs, e))?;

    let n = args.shards;
    let name = &study.first().name;
    let q = |p: &Path| quote(&p.display().to_string());
    let sets: String = args
        .overrides
        .iter()
        .map(|s| format!(" --set {}", quote(s)))
        .collect();
    let options: String = args
        .sbatch_options
        .iter()
        .map(|o| format!("#SBATCH {o}\n"))
        .collect();
    let run = format!(
        "{} run {} --out {}{sets} --quiet",
        q(&gilsim),
        q(&file),
        q(&out)
    );
    let merge = format!(
        "{} merge {} --scenario {}{sets}",
        q(&gilsim),
        q(&out),
        q(&file)
    );
    let array = format!(
        "#!/bin/bash\n\
         # {n} shards of {file}, one per array task (written by `gilsim slurm`).\n\
         #SBATCH --job-name=gilsim-{name}\n\
         #SBATCH --array=0-{last}\n\
         #SBATCH --output={log}\n\
         {options}\
         set -euo pipefail\n\
         exec {run} --shard \"${{SLURM_ARRAY_TASK_ID}}/{n}\" --jobs \"${{SLURM_CPUS_PER_TASK:-1}}\"\n",
        file = file.display(),
        last = n - 1,
        log = q(&logs.join(format!("shard-%a-of-{n}.out"))),
    );
    let merge_script = format!(
        "#!/bin/bash\n\
         # Merges the {n} shards under {out} once the array has succeeded (written by `gilsim slurm`).\n\
         #SBATCH --job-name=gilsim-{name}-merge\n\
         #SBATCH --output={log}\n\
         #SBATCH --kill-on-invalid-dep=yes\n\
         {options}\
         set -euo pipefail\n\
         exec {merge}\n",
        out = out.display(),
        log = q(&logs.join("merge.out")),
    );
    let array_path = dir.join("array.sbatch");
    let merge_path = dir.join("merge.sbatch");
    for (path, text) in [(&array_path, &array), (&merge_path, &merge_script)] {
        atomic::write(path, text.as_bytes()).map_err(|e| Failure::cannot_write(path, e))?;
    }
    let submit = format!(
        "jid=$(sbatch --parsable {}) && sbatch --dependency=afterok:${{jid%%;*}} {}",
        q(&array_path),
        q(&merge_path)
    );
    let parallel = format!(
        "parallel --halt now,fail=1 {run} --shard {{}}/{n} --jobs 1 ::: $(seq 0 {}) && {merge}",
        n - 1
    );
    Ok(SlurmPlan {
        array_script: array_path,
        merge_script: merge_path,
        submit,
        parallel,
        points,
    })
}
