//! Progress bars on standard error, for the commands that run for a while
//! (`run`, `compare`, `calibrate`, `validate`). indicatif draws nothing when
//! standard error is not a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What a progress bar counts, which decides the text after the bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    /// Simulation runs of a study: `N/M runs, elapsed (eta …)`. A study of a
    /// single run shows no bar.
    Runs,
    /// Steps of a calibration or validation: `N/M message (elapsed)`, the
    /// message naming the current step.
    Steps,
}

/// A progress bar of `len` items on standard error, labelled `prefix`;
/// hidden when not `enabled`.
pub fn bar(len: u64, prefix: &str, counting: Counting, enabled: bool) -> ProgressBar {
    if !enabled || (counting == Counting::Runs && len < 2) {
        return ProgressBar::hidden();
    }
    let template = match counting {
        Counting::Runs => "{prefix} [{bar:40}] {pos}/{len} runs, {elapsed} (eta {eta})",
        Counting::Steps => "{prefix} [{bar:40}] {pos}/{len} {msg} ({elapsed})",
    };
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(prefix.to_string());
    bar
}
