//! The `gilsim` command line: parses arguments and calls the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gilsim::commands::{self, RunArgs};

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
    /// Simulate a scenario and write results.csv and manifest.json.
    #[command(
        after_help = "Example:\n  gilsim run scenarios/convoy.toml --set machine.cores=1 --set python.switch_interval=1ms\n\n\
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
        /// Override a scenario key, checked like the file: --set machine.cores=4
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// Validate a scenario without running it.
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
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Run {
            file,
            out,
            seed,
            set,
        } => {
            let args = RunArgs {
                file,
                out,
                seed,
                overrides: set,
                command_line: std::env::args().collect(),
            };
            commands::run(&args).map(|report| {
                print!("{}", commands::summary_table(&report.output.workloads));
                println!(
                    "\n{} events simulated, {:.3} s of simulated time\nresults: {}",
                    report.output.events,
                    report.output.end as f64 / 1e9,
                    report.results_csv.display()
                );
            })
        }
        Command::Check { file, set } => commands::check(&file, &set).map(|s| {
            println!(
                "{}: ok: scenario `{}` with {} workload(s) on {} core(s), Python {} ({})",
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
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprint!("{}", f.message());
            if !f.message().ends_with('\n') {
                eprintln!();
            }
            ExitCode::from(f.exit_code())
        }
    }
}
