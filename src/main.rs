//! The `gilsim` command: [`gilsim::cli`] with this process's arguments.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(gilsim::cli::main_with_args(std::env::args_os()))
}
