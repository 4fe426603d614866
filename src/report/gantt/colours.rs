//! The Gantt chart's colours: one per thread state (thread lanes), one per
//! thread (core and GIL lanes), a darker shade for a core paying a switch,
//! and the lane background and mark ink.

use plotters::style::RGBColor;

use crate::results::timeline::ThreadState;

/// The colour of a thread state in thread lanes.
pub fn state_colour(s: ThreadState) -> RGBColor {
    match s {
        ThreadState::Running => RGBColor(26, 150, 65),
        ThreadState::RunningNogil => RGBColor(102, 205, 170),
        ThreadState::WaitingGil => RGBColor(215, 25, 28),
        ThreadState::WaitingCore => RGBColor(253, 141, 60),
        ThreadState::Blocked => RGBColor(180, 199, 220),
        ThreadState::WaitingLock => RGBColor(128, 90, 190),
        ThreadState::Idle => RGBColor(236, 236, 236),
    }
}

/// Thread colours for core and GIL lanes, chosen apart from the state colours.
pub(super) const THREAD_PALETTE: [RGBColor; 12] = [
    RGBColor(31, 119, 180),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(57, 59, 121),
    RGBColor(140, 109, 49),
    RGBColor(123, 65, 115),
    RGBColor(99, 121, 57),
    RGBColor(107, 174, 214),
    RGBColor(231, 186, 82),
    RGBColor(82, 84, 163),
];

/// The colour of a thread (by lane index) in core and GIL lanes.
pub(super) fn thread_colour(lane: usize, n_threads: usize) -> RGBColor {
    if lane >= n_threads {
        RGBColor(150, 150, 150)
    } else {
        THREAD_PALETTE[lane % THREAD_PALETTE.len()]
    }
}

/// A darker shade, for a core paying a switch for a thread.
pub(super) fn darker(c: RGBColor) -> RGBColor {
    let d = |v: u8| (v as u16 * 45 / 100) as u8;
    RGBColor(d(c.0), d(c.1), d(c.2))
}

/// The background of a lane (a free GIL, an idle core).
pub(super) const LANE_BG: RGBColor = RGBColor(246, 246, 246);
/// The colour of a drop-request mark.
pub(super) const MARK_INK: RGBColor = RGBColor(20, 20, 20);
/// A write that erased other threads' updates of a shared variable.
pub(super) const LOST_INK: RGBColor = RGBColor(170, 0, 170);
