//! Cores and the OS scheduler (DESIGN 1.2).
pub mod config;
pub use config::MachineConfig;
