//! The Gantt chart's geometry, known before drawing: the image width, the
//! lanes (threads, then cores, then GILs) and their height, which shrinks
//! with their number before the image grows.

use crate::report::chart::ChartError;
use crate::results::timeline::Timeline;

/// Width of a Gantt chart, in pixels.
pub const WIDTH: u32 = 1100;

/// More lanes than this is refused (the PNG would be far too tall).
pub(super) const MAX_LANES: usize = 2000;
/// Vertical space shared by the lanes before the image grows.
const LANES_BUDGET: u32 = 480;
/// The smallest lane height, in pixels.
pub(super) const MIN_LANE_H: u32 = 12;
/// The largest lane height, in pixels.
pub(super) const MAX_LANE_H: u32 = 30;
/// The gap between the thread, core and GIL groups of lanes.
const GROUP_GAP: u32 = 10;
/// Height of the title and subtitle.
pub(super) const TITLE_H: u32 = 64;
/// Height of the time axis under the lanes.
pub(super) const AXIS_H: u32 = 46;
/// Height of a legend row.
pub(super) const LEGEND_ROW: u32 = 22;
/// Height of the legend under the axis.
pub(super) const LEGEND_H: u32 = 3 * LEGEND_ROW + 16;

/// What a lane shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum LaneKind {
    /// `Timeline::threads[i]`.
    Thread(usize),
    /// `Timeline::cores[i]`.
    Core(usize),
    /// `Timeline::gils[i]`.
    Gil(usize),
}

/// A lane and where it sits, relative to the top of the plot.
#[derive(Debug, Clone)]
pub(super) struct Lane {
    /// What it shows.
    pub kind: LaneKind,
    /// Its label, left of the plot.
    pub label: String,
    /// Its top, in pixels below the top of the plot.
    pub top: u32,
}

/// The image's geometry, known before drawing.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    /// Every lane: threads, then cores, then GILs.
    pub lanes: Vec<Lane>,
    /// The height of one lane.
    pub lane_h: u32,
    /// The height of the plot: every lane and the gaps between groups.
    pub plot_h: u32,
}

impl Plan {
    /// Lay out the lanes of `t`; too many lanes is an error.
    pub(super) fn new(t: &Timeline) -> Result<Plan, ChartError> {
        let n = t.threads.len() + t.cores.len() + t.gils.len();
        if n > MAX_LANES {
            return Err(ChartError::TooLarge(format!(
                "{n} lanes (at most {MAX_LANES})"
            )));
        }
        let groups = [
            !t.threads.is_empty(),
            !t.cores.is_empty(),
            !t.gils.is_empty(),
        ]
        .iter()
        .filter(|g| **g)
        .count() as u32;
        let gaps = groups.saturating_sub(1) * GROUP_GAP;
        let lane_h = (LANES_BUDGET / n.max(1) as u32).clamp(MIN_LANE_H, MAX_LANE_H);
        let mut lanes = Vec::with_capacity(n);
        let mut top = 0;
        let mut push_group = |lanes: &mut Vec<Lane>, group: Vec<(LaneKind, String)>| {
            if group.is_empty() {
                return;
            }
            if !lanes.is_empty() {
                top += GROUP_GAP;
            }
            for (kind, label) in group {
                lanes.push(Lane { kind, label, top });
                top += lane_h;
            }
        };
        push_group(
            &mut lanes,
            t.threads
                .iter()
                .enumerate()
                .map(|(i, l)| (LaneKind::Thread(i), l.label.clone()))
                .collect(),
        );
        push_group(
            &mut lanes,
            t.cores
                .iter()
                .enumerate()
                .map(|(i, c)| (LaneKind::Core(i), format!("core {}", c.core)))
                .collect(),
        );
        let single_main = t.gils.len() == 1 && t.gils[0].interpreter == 0;
        push_group(
            &mut lanes,
            t.gils
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    let label = if single_main {
                        "GIL".to_string()
                    } else {
                        format!("GIL (interp {})", g.interpreter)
                    };
                    (LaneKind::Gil(i), label)
                })
                .collect(),
        );
        let plot_h = (n as u32 * lane_h + gaps).max(4 * MIN_LANE_H);
        Ok(Plan {
            lanes,
            lane_h,
            plot_h,
        })
    }

    /// The size of the whole image.
    pub(super) fn size(&self) -> (u32, u32) {
        (WIDTH, TITLE_H + self.plot_h + AXIS_H + LEGEND_H)
    }
}
