//! A workload's queue of tasks not yet taken by a worker, as runs of equal
//! arrival times: a batch of N tasks is one entry, whatever N is, and a
//! task is materialised only when a worker takes it.

use std::collections::VecDeque;

use crate::engine::time::Nanos;

/// Arrival times in FIFO order, stored as `(time, count)` runs.
#[derive(Debug, Default)]
pub(super) struct TaskQueue {
    runs: VecDeque<(Nanos, u64)>,
    len: u64,
}

impl TaskQueue {
    /// Appends one task that arrived at `at`.
    #[inline]
    pub(super) fn push_back(&mut self, at: Nanos) {
        self.push_many(at, 1);
    }

    /// Appends `count` tasks that arrived at `at`.
    #[inline]
    pub(super) fn push_many(&mut self, at: Nanos, count: u64) {
        if count == 0 {
            return;
        }
        match self.runs.back_mut() {
            Some((t, n)) if *t == at => *n = n.saturating_add(count),
            _ => self.runs.push_back((at, count)),
        }
        self.len = self.len.saturating_add(count);
    }

    /// Takes the oldest task's arrival time.
    #[inline]
    pub(super) fn pop_front(&mut self) -> Option<Nanos> {
        let (at, n) = self.runs.front_mut()?;
        let at = *at;
        *n -= 1;
        if *n == 0 {
            self.runs.pop_front();
        }
        self.len -= 1;
        Some(at)
    }

    /// Tasks waiting.
    #[inline]
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// Every waiting task's arrival time, oldest first (a process model
    /// hands the whole batch over at once).
    pub(super) fn iter(&self) -> impl Iterator<Item = Nanos> + '_ {
        self.runs
            .iter()
            .flat_map(|&(at, n)| std::iter::repeat_n(at, n as usize))
    }

    /// Takes every waiting task, oldest first.
    pub(super) fn take_all(&mut self) -> Vec<Nanos> {
        let all = self.iter().collect();
        self.runs.clear();
        self.len = 0;
        all
    }
}

#[cfg(test)]
mod tests {
    use super::TaskQueue;

    #[test]
    fn a_huge_batch_is_one_run_and_comes_out_in_order() {
        let mut q = TaskQueue::default();
        q.push_many(5, 1_000_000_000_000);
        q.push_back(5);
        q.push_back(7);
        assert_eq!(q.runs.len(), 2);
        assert_eq!(q.len(), 1_000_000_000_002);
        assert_eq!(q.pop_front(), Some(5));
        assert_eq!(q.len(), 1_000_000_000_001);
        let mut small = TaskQueue::default();
        small.push_many(1, 2);
        small.push_back(3);
        small.push_many(3, 0);
        assert_eq!(small.iter().collect::<Vec<_>>(), vec![1, 1, 3]);
        assert_eq!(small.pop_front(), Some(1));
        assert_eq!(small.take_all(), vec![1, 3]);
        assert_eq!((small.len(), small.pop_front()), (0, None));
    }
}
