//! Tasks in flight and a workload's queue of tasks not yet taken by a
//! worker, as runs of equal arrival times and consecutive ids: a batch of N
//! tasks is one entry, whatever N is, and a task is materialised only when
//! a worker takes it.

use std::collections::VecDeque;

use crate::engine::time::Nanos;

/// One task in flight: when it arrived (its latency is counted from
/// there), its id (run-wide, in order of arrival; a pipeline item keeps the
/// id of the upstream task that put it), which names it in traces, when a
/// worker picked it up (the end of its queue wait,
/// docs/MODEL.md#measurements), and the `one_of` branch it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Task {
    /// When it arrived (a stage's item: when it entered the stage's queue).
    pub(crate) arrival: Nanos,
    /// Its id.
    pub(crate) id: u64,
    /// When a worker picked it up.
    pub(crate) picked: Option<Nanos>,
    /// The `one_of` branch it took.
    pub(crate) branch: Option<u16>,
    /// Its arrival order in its workload (its `one_of` draw's sub-stream).
    pub(crate) index: Option<u64>,
}

/// The id of no task (a stage's consumer coroutine before its first item).
pub(crate) const NO_TASK: u64 = u64::MAX;

impl Task {
    /// Task `id`, arrived at `at`, not yet picked up.
    pub(crate) fn arrived(at: Nanos, id: u64) -> Task {
        Task {
            arrival: at,
            id,
            picked: None,
            branch: None,
            index: None,
        }
    }

    /// This task, picked up by a worker at `now`.
    pub(crate) fn picked_at(self, now: Nanos) -> Task {
        Task {
            picked: Some(now),
            ..self
        }
    }
}

/// Tasks in FIFO order, stored as `(arrival, first id, count)` runs of
/// consecutive ids.
#[derive(Debug, Default)]
pub(super) struct TaskQueue {
    runs: VecDeque<(Nanos, u64, u64)>,
    len: u64,
}

impl TaskQueue {
    /// Appends one task.
    #[inline]
    pub(super) fn push_back(&mut self, task: Task) {
        debug_assert!(task.picked.is_none() && task.branch.is_none());
        self.push_many(task.arrival, task.id, 1);
    }

    /// Appends `count` tasks that arrived at `at`, with ids from `first_id` on.
    #[inline]
    pub(super) fn push_many(&mut self, at: Nanos, first_id: u64, count: u64) {
        if count == 0 {
            return;
        }
        match self.runs.back_mut() {
            Some((t, first, n)) if *t == at && first.saturating_add(*n) == first_id => {
                *n = n.saturating_add(count)
            }
            _ => self.runs.push_back((at, first_id, count)),
        }
        self.len = self.len.saturating_add(count);
    }

    /// Takes the oldest task.
    #[inline]
    pub(super) fn pop_front(&mut self) -> Option<Task> {
        let (at, first, n) = self.runs.front_mut()?;
        let task = Task::arrived(*at, *first);
        *first = first.saturating_add(1);
        *n -= 1;
        if *n == 0 {
            self.runs.pop_front();
        }
        self.len -= 1;
        Some(task)
    }

    /// Tasks waiting.
    #[inline]
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// Every waiting task, oldest first (a process model hands the whole
    /// batch over at once).
    pub(super) fn iter(&self) -> impl Iterator<Item = Task> + '_ {
        self.runs.iter().flat_map(|&(arrival, first, n)| {
            (0..n).map(move |k| Task::arrived(arrival, first.saturating_add(k)))
        })
    }

    /// Takes every waiting task, oldest first.
    pub(super) fn take_all(&mut self) -> Vec<Task> {
        let all = self.iter().collect();
        self.runs.clear();
        self.len = 0;
        all
    }
}

#[cfg(test)]
mod tests {
    use super::{Task, TaskQueue};

    fn t(arrival: u64, id: u64) -> Task {
        Task::arrived(arrival, id)
    }

    #[test]
    fn a_huge_batch_is_one_run_and_comes_out_in_order() {
        let mut q = TaskQueue::default();
        q.push_many(5, 0, 1_000_000_000_000);
        q.push_back(t(5, 1_000_000_000_000));
        q.push_back(t(7, 1_000_000_000_001));
        assert_eq!(q.runs.len(), 2);
        assert_eq!(q.len(), 1_000_000_000_002);
        assert_eq!(q.pop_front(), Some(t(5, 0)));
        assert_eq!(q.pop_front(), Some(t(5, 1)));
        assert_eq!(q.len(), 1_000_000_000_000);
        let mut small = TaskQueue::default();
        small.push_many(1, 10, 2);
        small.push_back(t(3, 12));
        small.push_many(3, 13, 0);
        assert_eq!(
            small.iter().collect::<Vec<_>>(),
            vec![t(1, 10), t(1, 11), t(3, 12)]
        );
        assert_eq!(small.pop_front(), Some(t(1, 10)));
        assert_eq!(small.take_all(), vec![t(1, 11), t(3, 12)]);
        assert_eq!((small.len(), small.pop_front()), (0, None));
    }

    #[test]
    fn equal_times_with_ids_out_of_order_stay_apart() {
        let mut q = TaskQueue::default();
        q.push_back(t(4, 9));
        q.push_back(t(4, 2));
        assert_eq!(q.runs.len(), 2);
        assert_eq!(q.take_all(), vec![t(4, 9), t(4, 2)]);
    }
}
