//! The `gilsim` command line: parses arguments and calls the library.
//! [`main_with_args`] is the whole program, for the `gilsim` binary and
//! for the Python package's `gilsim` command.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::calibrate as calibration;
use crate::capacity;
use crate::commands::{self, MergeArgs, RunArgs};
use crate::compare;
use crate::scenario::Study;
use crate::study::Shard;

/// `print!` that ends the program with exit 0 when stdout is a closed pipe
/// (`gilsim run X.toml | head`): results are written before anything is
/// printed, so nothing is lost.
macro_rules! out {
    ($($t:tt)*) => { write_stdout(format_args!($($t)*)) };
}

/// `println!` with [`out!`]'s handling of a closed pipe.
macro_rules! outln {
    ($($t:tt)*) => { write_stdout(format_args!("{}\n", format_args!($($t)*))) };
}

fn write_stdout(args: std::fmt::Arguments) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("gilsim: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

/// A deterministic simulator of how CPython runs work concurrently:
/// cores, the GIL, threads.
#[derive(Parser)]
#[command(name = "gilsim", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a scenario (every point of its sweep) and write results.csv, charts and manifest.json.
    #[command(
        after_help = "Examples:\n  gilsim run scenarios/convoy.toml --set machine.cores=1 --set python.switch_interval=1ms\n  \
        gilsim run scenarios/cpu-bound-threads.toml --set 'sweep.machine.cores=[1,2,4,8]' --jobs 2\n  \
        gilsim run scenarios/convoy.toml --trace --trace-window 100ms..150ms\n  \
        gilsim run big.toml --shard 0/3    # then: gilsim merge output/big/shard-*\n\n\
        Writes output/<name>/results.csv (or --out DIR). Exit codes: 0 success, 1 failed run, 2 usage or scenario error."
    )]
    Run {
        /// The scenario file (TOML).
        file: PathBuf,
        /// Output folder (default: output/<scenario name>).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Seed, overriding the scenario's.
        #[arg(long, value_name = "S")]
        seed: Option<u64>,
        /// Override a scenario key, checked like the file: --set machine.cores=4, --set 'sweep.machine.cores=[1,2]'
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Runs in parallel (default: one per core). Results do not depend on it.
        #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        jobs: Option<u32>,
        /// Run only shard K of N (K from 0): the sweep's points split into N shards of about equal estimated cost, into shard-K-of-N/ under the output folder; merge the shards with `gilsim merge`.
        #[arg(long, value_name = "K/N", value_parser = parse_shard)]
        shard: Option<Shard>,
        /// Write timeline.svg/.png (a Gantt chart of every thread, core and GIL) and trace.json (Perfetto, chrome://tracing) of one run.
        #[arg(long)]
        trace: bool,
        /// The traced window of simulated time (default: 100 ms from the warm-up's end).
        #[arg(long, value_name = "START..END", value_parser = commands::parse_trace_window)]
        trace_window: Option<(u64, u64)>,
        /// The sweep point to trace (replication 0; default 0).
        #[arg(long, value_name = "P")]
        trace_point: Option<usize>,
        /// Check a result, as a test would: 'workload.NAME.COLUMN OP VALUE' with OP one of < <= > >= == and COLUMN a numeric results.csv column (repeatable). Checked at every sweep point on the mean of its replications; exit 1 if one fails.
        #[arg(long = "assert", value_name = "CHECK", value_parser = commands::assertions::parse)]
        assert: Vec<commands::assertions::Assertion>,
        /// No progress bar.
        #[arg(long, short = 'q')]
        quiet: bool,
        #[command(flatten)]
        limits: LimitsCli,
    },
    /// Validate a scenario (every point of its sweep) without running it.
    #[command(
        after_help = "Example:\n  gilsim check scenarios/cpu-bound-threads.toml\n\n\
        Prints what the scenario contains, or an error with file, line and column. Exit code 2 on an error."
    )]
    Check {
        /// The scenario file (TOML).
        file: PathBuf,
        /// Override a scenario key: --set machine.cores=4
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Which model and worker count suit a workload: simulate it under every model and rank them.
    #[command(
        after_help = "Example:\n  gilsim compare scenarios/compare/cpu-batch.toml --cores 4\n\n\
        Writes compare.csv, compare.svg/.png into output/<name>/compare (or --out DIR). Exit code 2 on a usage or scenario error."
    )]
    Compare(CompareCli),
    /// How much load each deployment shape takes within a p99 target: bisection over the workload's rate.
    #[command(
        after_help = "Example:\n  gilsim capacity scenarios/service-capacity.toml --p99 100ms --shapes 1threads,8threads,asyncio,sync\n\n\
        Shapes: [P x] (N threads | asyncio | N asyncio | sync) [@accept | @reuseport | @round-robin], e.g. 16threads, 4x8threads, 4xasyncio@reuseport, 8xsync.\n\
        Writes capacity.csv, capacity-points.csv, capacity.svg/.png into output/<name>/capacity (or --out DIR). Exit code 2 on a usage or scenario error."
    )]
    Capacity(CapacityCli),
    /// Join the results.csv of shards (from `run --shard K/N`) into one, in point order.
    #[command(
        after_help = "Example:\n  gilsim run study.toml --shard 0/2 --out big && gilsim run study.toml --shard 1/2 --out big\n  \
        gilsim merge big    # or: gilsim merge big/shard-0-of-2 big/shard-1-of-2\n\n\
        Writes results.csv (and summary.csv with replications) into --out DIR, by default the folder above the first shard. \
        Refuses shard folders whose manifests show a missing shard or another study; give results.csv files to merge part of a study."
    )]
    Merge {
        /// Shard folders, a folder holding shard-K-of-N/ folders, or results.csv files.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Output folder.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// The scenario file, to draw its [[chart]] tables too.
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        /// The --set overrides the shards ran with (for --scenario).
        #[arg(long = "set", value_name = "KEY=VALUE", requires = "scenario")]
        set: Vec<String>,
    },
    /// Write the sbatch scripts that run a study as a Slurm job array of shards, then merge them; print how to submit them.
    #[command(
        after_help = "Example:\n  gilsim slurm big.toml --shards 16 --out /shared/big --sbatch-option=--partition=short\n\n\
        Writes DIR/slurm/array.sbatch (task K runs `gilsim run FILE --shard K/N --out DIR`) and DIR/slurm/merge.sbatch \
        (`gilsim merge DIR`, submitted with --dependency=afterok on the array), DIR/slurm/logs/ for their output, and prints \
        the sbatch commands and a GNU parallel line for one machine. Paths are made absolute: DIR must be on a file system \
        every node sees. Exit code 2 on a usage or scenario error."
    )]
    Slurm {
        /// The scenario file (TOML).
        file: PathBuf,
        /// Number of shards (array tasks), at most the number of sweep points.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        shards: u32,
        /// Output folder of the shards and the merged results (default: output/<scenario name>).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Override a scenario key in every task and the merge: --set machine.cores=4
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// An #SBATCH line for both jobs, such as --sbatch-option=--partition=short (repeatable).
        #[arg(
            long = "sbatch-option",
            value_name = "OPTION",
            allow_hyphen_values = true
        )]
        sbatch_option: Vec<String>,
    },
    /// Measure this machine and Python with probes, fit what they cannot measure, write a profile.
    #[command(after_help = "Example:\n  gilsim calibrate --quick --cores 0,1\n\n\
        Writes output/calibration/profile.toml (or --out FILE); use it with [python] profile = \"output/calibration/profile.toml\".")]
    Calibrate {
        /// The Python interpreter to measure (default: python3).
        #[arg(long, value_name = "PATH")]
        python: Option<PathBuf>,
        /// Fewer repetitions and shorter probes (about a minute).
        #[arg(long)]
        quick: bool,
        /// Pin the probes to these CPUs (a list like 0 or 0,1); 1-core probes use the first.
        #[arg(long, value_name = "LIST")]
        cores: Option<String>,
        /// The profile to write (default: output/calibration/profile.toml).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Measure a real Python function over its items and write its scenario; --check runs it in real thread and process pools beside the prediction.
    #[command(
        after_help = "Example:\n  gilsim record parse:parse_log --items parse:log_pages --path examples/record --check\n\n\
        Imports MODULE from --path (default: the current folder) with --python (default: python3), calls the items function, \
        then FUNCTION(item) for each, one after another, and writes output/record/<function>.toml (or --out FILE). \
        Exit code 2 when the module does not import, a function is missing, the function raises or python is not found."
    )]
    Record {
        /// The function to record, as MODULE:FUNCTION.
        function: String,
        /// The function returning the items (no arguments; an iterable of single arguments), as MODULE:FUNCTION.
        #[arg(long, value_name = "MODULE:FUNCTION")]
        items: String,
        /// The folder put first on sys.path (default: the current folder).
        #[arg(long, value_name = "DIR")]
        path: Option<PathBuf>,
        /// Record the first N items only (default: all).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        limit: Option<u64>,
        /// The Python interpreter (default: python3).
        #[arg(long, value_name = "PATH")]
        python: Option<PathBuf>,
        /// The scenario to write (default: output/record/<function>.toml).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// A profile written by `gilsim calibrate`, named in the scenario's [python] (default: the reference profile).
        #[arg(long, value_name = "FILE")]
        profile: Option<PathBuf>,
        /// Also run the function in ThreadPoolExecutor(N) and ProcessPoolExecutor(N), N = cores and 2 x cores, and print predicted against real makespans.
        #[arg(long)]
        check: bool,
        /// Real runs of each pool with --check (interleaved).
        #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
        repeats: u32,
    },
    /// Run real workloads not used for fitting (threads, process pools, asyncio, the convoy), simulate them with a profile, compare.
    #[command(after_help = "Example:\n  gilsim calibrate && gilsim validate\n\n\
        Writes output/validation/validation.csv, validation.json and validation.svg/.png (or --out DIR) and prints the table.")]
    Validate {
        /// The profile (default: output/calibration/profile.toml).
        #[arg(long, value_name = "FILE")]
        profile: Option<PathBuf>,
        /// The Python interpreter to run the workloads with (default: the profile's).
        #[arg(long, value_name = "PATH")]
        python: Option<PathBuf>,
        /// Fewer repetitions and smaller workloads.
        #[arg(long)]
        quick: bool,
        /// Scale the simulations' CPU costs by how much slower (or faster)
        /// the reference loop ran during validation than when calibrated.
        #[arg(long)]
        scale_cpu: bool,
        /// Output folder (default: output/validation).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

/// Arguments of `gilsim compare`.
#[derive(clap::Args)]
struct CompareCli {
    /// The scenario file (TOML).
    file: PathBuf,
    /// Compare this workload only (default: every workload).
    #[arg(long, value_name = "NAME")]
    workload: Option<String>,
    /// Models to try: sequential,threads,processes,asyncio,threads-free-threaded,subinterpreters
    #[arg(long, value_name = "LIST")]
    models: Option<String>,
    /// Worker counts (default: 1, cores, 2x cores, 4x cores, 32, and more when the tasks mostly wait: cores / their CPU share, up to 1024).
    #[arg(long, value_name = "LIST")]
    workers: Option<String>,
    /// Deployment shapes to try, e.g. 1x32threads,4x8threads,4xasyncio,8xsync (processes x what each runs); alone, only these are compared.
    #[arg(long, value_name = "LIST")]
    shapes: Option<String>,
    /// Cores of the machine, overriding the scenario's.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    cores: Option<u32>,
    /// Runs of each candidate with derived seeds (default 3).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    replications: Option<u32>,
    /// What "best" means: throughput, latency (p99) or memory (within 10% of the best throughput).
    #[arg(long, default_value = "throughput", value_parser = compare::Goal::parse)]
    goal: compare::Goal,
    /// Runs in parallel (default: one per core). Results do not depend on it.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    jobs: Option<u32>,
    /// Output folder (default: output/<scenario name>/compare).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Override a scenario key, checked like the file.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
    #[command(flatten)]
    limits: LimitsCli,
}

/// Arguments of `gilsim capacity`.
#[derive(clap::Args)]
struct CapacityCli {
    /// The scenario file (TOML).
    file: PathBuf,
    /// The p99 latency target: 100ms, 2s.
    #[arg(long, value_name = "DURATION", value_parser = capacity::parse_target)]
    p99: f64,
    /// The open-loop workload whose rate is searched (default: the only one with `rate`).
    #[arg(long, value_name = "NAME")]
    workload: Option<String>,
    /// Deployment shapes to try (default: the scenario's own): 16threads,4x8threads,4xasyncio,8xsync,asyncio
    #[arg(long, value_name = "LIST")]
    shapes: Option<String>,
    /// Shapes searched in parallel (default: one per core). Results do not depend on it.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    jobs: Option<u32>,
    /// Output folder (default: output/<scenario name>/capacity).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Override a scenario key, checked like the file.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    #[command(flatten)]
    limits: LimitsCli,
}

/// `--max-events` and `--max-wall` of `run` and `compare`.
#[derive(clap::Args)]
struct LimitsCli {
    /// Fail (exit 1, nothing written) a run that handles more than N events: the same event on every machine.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_events: Option<u64>,
    /// Fail (exit 1, nothing written) when the runs take longer than this on the wall clock: 90s, 10min, 2h.
    #[arg(long, value_name = "DURATION", value_parser = commands::parse_max_wall)]
    max_wall: Option<std::time::Duration>,
}

impl LimitsCli {
    fn limits(&self) -> crate::study::Limits {
        crate::study::Limits {
            max_events: self.max_events,
            max_wall: self.max_wall,
        }
    }
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    Shard::parse(text)
}

/// What `gilsim check` prints of a valid scenario: what it contains, its
/// sweep, its size, and the defaults it relies on (`defaults`, from
/// `commands::pitfalls::defaults`).
pub fn check_text(file: &Path, study: &Study, defaults: &[String]) -> String {
    let s = study.first();
    let mut text = format!(
        "{}: ok: scenario `{}` with {} workload(s) on {} core(s), Python {} ({})\n",
        file.display(),
        s.name,
        s.workloads.len(),
        s.machine.cores,
        s.python.version,
        if s.python.gil_enabled {
            "with the GIL"
        } else {
            "free-threaded, no GIL"
        }
    );
    if !study.sweep_keys.is_empty() {
        text.push_str(&format!(
            "sweep: {} point(s) over {}; {} replication(s) each\n",
            study.points.len(),
            study.sweep_keys.join(", "),
            s.replications
        ));
    }
    text.push_str(&commands::size_text(study));
    if !defaults.is_empty() {
        text.push_str("defaults used (not in the file or a --set):\n");
        for d in defaults {
            text.push_str(&format!("  {d}\n"));
        }
    }
    text
}

/// Runs the command line `args` (the program name first, as
/// `std::env::args_os` gives it): prints what the command prints, and
/// returns the exit code (0 success, 1 failed run, 2 usage or scenario
/// error). Ends the process with exit 0 if standard output is a closed pipe.
pub fn main_with_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let command_line: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let result = match cli.command {
        Command::Run {
            file,
            out,
            seed,
            set,
            jobs,
            shard,
            trace,
            trace_window,
            trace_point,
            assert,
            quiet,
            limits,
        } => {
            let args = RunArgs {
                file,
                source: None,
                out,
                seed,
                overrides: set,
                jobs: jobs.map(|j| j as usize),
                shard,
                progress: !quiet,
                trace: trace || trace_window.is_some(),
                trace_window,
                trace_point,
                command_line,
                limits: limits.limits(),
                svg_only: false,
                warnings: true,
                assertions: assert,
            };
            commands::run(&args).and_then(|report| {
                out!("{}", commands::summary_table(&report));
                let end = report.runs.iter().map(|r| r.output.end).max().unwrap_or(0);
                outln!(
                    "\n{} run(s), {} events simulated, up to {:.3} s of simulated time\nresults: {}",
                    report.runs.len(),
                    report.events(),
                    end as f64 / 1e9,
                    report.out_dir.join("results.csv").display()
                );
                for a in report.assertions.iter().filter(|a| a.passed) {
                    outln!("{}", a.line);
                }
                commands::assertions::verdict(&report.assertions)
            })
        }
        Command::Check { file, set } => commands::check(&file, &set).map(|report| {
            for w in &report.warnings {
                eprintln!("{w}");
            }
            out!("{}", check_text(&file, &report.study, &report.defaults));
        }),
        Command::Compare(c) => compare::args_lists(c.models.as_deref(), c.workers.as_deref())
            .and_then(|lists| Ok((lists, compare::args_shapes(c.shapes.as_deref())?)))
            .and_then(|((models, workers), shapes)| {
                compare::compare(&compare::CompareArgs {
                    file: c.file,
                    source: None,
                    workload: c.workload,
                    models,
                    shapes,
                    workers,
                    cores: c.cores,
                    replications: c.replications,
                    goal: c.goal,
                    jobs: c.jobs.map(|j| j as usize),
                    out: c.out,
                    overrides: c.set,
                    progress: !c.quiet,
                    limits: c.limits.limits(),
                    profiles: Some(crate::calibrate::profile::load_for_scenario),
                    svg_only: false,
                })
            })
            .map(|report| out!("{}", report.text)),
        Command::Capacity(c) => c
            .shapes
            .as_deref()
            .map(capacity::parse_shapes)
            .transpose()
            .and_then(|shapes| {
                capacity::capacity(&capacity::CapacityArgs {
                    file: c.file,
                    p99_ms: c.p99,
                    workload: c.workload,
                    shapes,
                    out: c.out,
                    overrides: c.set,
                    jobs: c.jobs.map(|j| j as usize),
                    limits: c.limits.limits(),
                    profiles: Some(crate::calibrate::profile::load_for_scenario),
                    svg_only: false,
                })
            })
            .map(|report| {
                out!("{}", report.text);
                outln!("results: {}", report.out_dir.join("capacity.csv").display());
            }),
        Command::Merge {
            shards,
            out,
            scenario,
            set,
        } => commands::merge(&MergeArgs {
            shards,
            out,
            scenario,
            overrides: set,
        })
        .map(|(dir, rows)| {
            outln!(
                "merged {rows} rows into {}",
                dir.join("results.csv").display()
            );
        }),
        Command::Slurm {
            file,
            shards,
            out,
            set,
            sbatch_option,
        } => commands::slurm::slurm(&commands::slurm::SlurmArgs {
            file,
            shards: shards as usize,
            out,
            overrides: set,
            sbatch_options: sbatch_option,
            gilsim: None,
        })
        .map(|plan| {
            outln!(
                "wrote {} and {} ({} points in {shards} shards)\n\n\
                 Submit the array, then the merge once every task has succeeded:\n  {}\n\n\
                 Or on one machine, with GNU parallel:\n  {}",
                plan.array_script.display(),
                plan.merge_script.display(),
                plan.points,
                plan.submit,
                plan.parallel
            );
        }),
        Command::Calibrate {
            python,
            quick,
            cores,
            out,
        } => calibration::runner::calibrate(&calibration::CalibrateArgs {
            python: python.unwrap_or_else(|| "python3".into()),
            quick,
            cores,
            out: out.unwrap_or_else(|| "output/calibration/profile.toml".into()),
            progress: true,
        })
        .map(|r| out!("{}", calibration::runner::summary(&r))),
        Command::Record {
            function,
            items,
            path,
            limit,
            python,
            out,
            profile,
            check,
            repeats,
        } => crate::record::record(&crate::record::RecordArgs {
            target: function,
            items,
            path: path.unwrap_or_else(|| ".".into()),
            limit,
            python: python.unwrap_or_else(|| "python3".into()),
            out,
            profile,
            check,
            repeats,
        })
        .map(|r| out!("{}", r.text)),
        Command::Validate {
            profile,
            python,
            quick,
            scale_cpu,
            out,
        } => calibration::validate::validate(&calibration::ValidateArgs {
            profile: profile.unwrap_or_else(|| "output/calibration/profile.toml".into()),
            python,
            quick,
            scale_cpu,
            out: out.unwrap_or_else(|| "output/validation".into()),
            progress: true,
        })
        .map(|r| outln!("{}results: {}", r.table(), r.csv.display())),
    };
    match result {
        Ok(()) => 0,
        Err(f) => {
            eprint!("{}", f.message());
            if !f.message().ends_with('\n') {
                eprintln!();
            }
            f.exit_code()
        }
    }
}
