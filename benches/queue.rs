//! The event queue under the classic *hold* workload: `n` pending events;
//! each step pops the earliest and schedules one a random time later (what
//! a simulation in steady state does). Compared with the bare standard
//! library binary heap over (time, sequence, payload) tuples: the cost of
//! the slab that makes timers cancellable. Run with `cargo bench --bench queue`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gilsim::engine::{EventQueue, Stream};

/// A model-sized event: an enum of a few words.
#[derive(Clone, Copy)]
#[allow(dead_code)]
enum Event {
    A { core: usize, epoch: u64 },
    B { thread: usize },
}

const STEPS: u64 = 10_000;

fn delays(n: usize) -> Vec<u64> {
    let mut s = Stream::new(7, "bench/queue");
    (0..n).map(|_| s.exp(1_000_000.0) as u64).collect()
}

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold");
    for n in [16usize, 256, 4096, 65_536] {
        let d = delays(STEPS as usize + n);
        group.bench_with_input(BenchmarkId::new("gilsim EventQueue", n), &n, |b, &n| {
            b.iter(|| {
                let mut q = EventQueue::new();
                for (i, &x) in d[..n].iter().enumerate() {
                    q.schedule_at(x, Event::B { thread: i });
                }
                for &x in &d[n..] {
                    let (t, e) = q.pop().unwrap_or((0, Event::B { thread: 0 }));
                    black_box(e);
                    q.schedule_at(t + x, Event::A { core: 1, epoch: t });
                }
                black_box(q.len())
            })
        });
        group.bench_with_input(BenchmarkId::new("std BinaryHeap", n), &n, |b, &n| {
            b.iter(|| {
                let mut heap = BinaryHeap::new();
                let mut seq = 0u64;
                for (i, &x) in d[..n].iter().enumerate() {
                    heap.push(Reverse((x, seq, i)));
                    seq += 1;
                }
                for &x in &d[n..] {
                    let Reverse((t, _, i)) = heap.pop().unwrap_or(Reverse((0, 0, 0)));
                    black_box(i);
                    heap.push(Reverse((t + x, seq, i)));
                    seq += 1;
                }
                black_box(heap.len())
            })
        });
    }
    group.finish();
}

/// Timers cancelled before they are due, as a burst cut short by a preemption.
fn cancel(c: &mut Criterion) {
    let d = delays(STEPS as usize + 256);
    c.bench_function("hold 256, every other timer cancelled", |b| {
        b.iter(|| {
            let mut q = EventQueue::new();
            for (i, &x) in d[..256].iter().enumerate() {
                q.schedule_at(x, Event::B { thread: i });
            }
            let mut pending = None;
            for (i, &x) in d[256..].iter().enumerate() {
                let (t, e) = q.pop().unwrap_or((0, Event::B { thread: 0 }));
                black_box(e);
                if let Some(timer) = pending.take() {
                    q.cancel(timer);
                }
                if i % 2 == 0 {
                    pending = Some(q.schedule_timer(t + 2 * x, Event::A { core: 0, epoch: 0 }));
                }
                q.schedule_at(t + x, Event::A { core: 1, epoch: t });
            }
            black_box(q.len())
        })
    });
}

criterion_group!(benches, hold, cancel);
criterion_main!(benches);
