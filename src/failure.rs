//! [`Failure`]: why a command failed, and the exit code it maps to. A leaf
//! module, so that every command (`run`, `compare`, `calibrate`, `validate`)
//! can return it without importing the command layer.

/// Why a command failed, and the exit code it maps to.
#[derive(Debug)]
pub enum Failure {
    /// A usage or scenario error: exit code 2. The message is already rendered.
    Usage(String),
    /// A failed run (a limit reached, an I/O error): exit code 1.
    Run(String),
    /// A run that deadlocked: exit code 1. `threads` has one line per
    /// blocked thread (which workload, what it waits for), as in the message.
    Blocked {
        /// The rendered message.
        message: String,
        /// The blocked threads.
        threads: Vec<String>,
    },
}

impl Failure {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Run(_) | Failure::Blocked { .. } => 1,
        }
    }

    /// A file that could not be written: a failed run.
    pub fn cannot_write(path: &std::path::Path, e: impl std::fmt::Display) -> Failure {
        Failure::Run(format!("cannot write {}: {e}", path.display()))
    }

    /// The message for standard error.
    pub fn message(&self) -> &str {
        match self {
            Failure::Usage(m) | Failure::Run(m) | Failure::Blocked { message: m, .. } => m,
        }
    }

    /// The blocked threads of a deadlocked run; empty for other failures.
    pub fn blocked(&self) -> &[String] {
        match self {
            Failure::Blocked { threads, .. } => threads,
            _ => &[],
        }
    }
}
