//! Where a thread switch can fall inside an unlocked update, by Python
//! version (docs/MODEL.md#shared-state).
//!
//! An `update` step is a loop whose body reads a shared value, computes,
//! and writes it back. With a GIL, another thread can run between the read
//! and the write only if the updater drops the GIL there, and it drops it
//! only at an eval-breaker check point (python/cpython `Python/ceval.c`).
//! Each kind of update is written out below as the instructions of one
//! loop iteration, with the check points that follow them:
//!
//! - 3.8 and 3.9 (computed-goto builds, as Linux builds are): an
//!   instruction that ends with `DISPATCH()` goes back to the top of the
//!   loop when the eval breaker is set, which is a check point; the few
//!   that end with `FAST_DISPATCH()` (`LOAD_FAST`, `LOAD_CONST`,
//!   `STORE_FAST`, `DUP_TOP`, `ROT_TWO`) go straight to the next
//!   instruction. A frame's first instruction is checked too.
//! - 3.10 and later: only a loop's back edge (`JUMP_ABSOLUTE`,
//!   `JUMP_BACKWARD`), a function's entry (`RESUME` from 3.11) and the
//!   return of a call (`CALL`) check the breaker, so a plain `x += 1` is
//!   never cut; a key class whose `__hash__` is Python code is.
//! - Free-threaded builds (3.13t, 3.14t) have no GIL to drop: threads on
//!   other cores interleave at any point. A load of a global and its store
//!   are separate operations (the store takes the dict's per-object lock,
//!   the load none), so the window between them is open; `list.append` and
//!   `dict.__setitem__` run under the object's lock and are atomic.
//!
//! Every instruction weighs the same: the instructions of these loops cost
//! within a small factor of each other, and a switch request lands at a
//! point of an iteration that is, for a loop of 10^4 iterations per
//! switch interval or more, uniformly spread.

use super::config::PyVersion;
use crate::workload::UpdateKind;

/// What an instruction does to the shared value when it completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// Nothing.
    None,
    /// Reads it (the value the update will write back plus one).
    Load,
    /// Writes it.
    Store,
}

/// One instruction of a loop iteration.
#[derive(Debug, Clone, Copy)]
struct Instr {
    /// The instruction (for tests and docs).
    name: &'static str,
    /// An eval-breaker check point follows it.
    check_after: bool,
    effect: Effect,
}

const fn i(name: &'static str, check_after: bool) -> Instr {
    Instr {
        name,
        check_after,
        effect: Effect::None,
    }
}

const fn load(name: &'static str, check_after: bool) -> Instr {
    Instr {
        name,
        check_after,
        effect: Effect::Load,
    }
}

const fn store(name: &'static str, check_after: bool) -> Instr {
    Instr {
        name,
        check_after,
        effect: Effect::Store,
    }
}

/// `for _ in range(n): counter += 1` on 3.8 and 3.9.
const IADD_39: &[Instr] = &[
    i("FOR_ITER", true),
    i("STORE_FAST", false),
    load("LOAD_GLOBAL", true),
    i("LOAD_CONST", false),
    i("INPLACE_ADD", true),
    store("STORE_GLOBAL", true),
    i("JUMP_ABSOLUTE", true),
];

/// The same loop from 3.10 (`BINARY_OP` and `JUMP_BACKWARD` from 3.11).
const IADD_310: &[Instr] = &[
    i("FOR_ITER", false),
    i("STORE_FAST", false),
    load("LOAD_GLOBAL", false),
    i("LOAD_CONST", false),
    i("INPLACE_ADD", false),
    store("STORE_GLOBAL", false),
    i("JUMP_ABSOLUTE", true),
];

/// `for _ in range(n): d[k] = d[k] + 1` on 3.8 and 3.9.
const DICT_39: &[Instr] = &[
    i("FOR_ITER", true),
    i("STORE_FAST", false),
    i("LOAD_FAST", false),
    i("LOAD_CONST", false),
    load("BINARY_SUBSCR", true),
    i("LOAD_CONST", false),
    i("BINARY_ADD", true),
    i("LOAD_FAST", false),
    i("LOAD_CONST", false),
    store("STORE_SUBSCR", true),
    i("JUMP_ABSOLUTE", true),
];

/// The same loop from 3.10.
const DICT_310: &[Instr] = &[
    i("FOR_ITER", false),
    i("STORE_FAST", false),
    i("LOAD_FAST", false),
    i("LOAD_CONST", false),
    load("BINARY_SUBSCR", false),
    i("LOAD_CONST", false),
    i("BINARY_ADD", false),
    i("LOAD_FAST", false),
    i("LOAD_CONST", false),
    store("STORE_SUBSCR", false),
    i("JUMP_ABSOLUTE", true),
];

/// `d[key] = d[key] + 1` where `key.__hash__` is `return hash(self.k)`, on
/// 3.8 and 3.9. Each subscript calls `__hash__`: a new frame, whose first
/// instruction is checked. The lookup finds the same key object, so
/// `__eq__` is not called (`dict` compares identity first).
const PYHASH_39: &[Instr] = &[
    i("FOR_ITER", true),
    i("STORE_FAST", false),
    i("LOAD_FAST", false),
    i("LOAD_FAST", false),
    i("BINARY_SUBSCR: call __hash__", true),
    i("LOAD_GLOBAL", true),
    i("LOAD_FAST", false),
    i("LOAD_ATTR", true),
    i("CALL_FUNCTION", true),
    load("RETURN_VALUE; BINARY_SUBSCR reads", true),
    i("LOAD_CONST", false),
    i("BINARY_ADD", true),
    i("LOAD_FAST", false),
    i("LOAD_FAST", false),
    i("STORE_SUBSCR: call __hash__", true),
    i("LOAD_GLOBAL", true),
    i("LOAD_FAST", false),
    i("LOAD_ATTR", true),
    i("CALL_FUNCTION", true),
    store("RETURN_VALUE; STORE_SUBSCR writes", true),
    i("JUMP_ABSOLUTE", true),
];

/// The same loop from 3.10: checks at `__hash__`'s entry, after its call
/// of `hash()`, and at the back edge.
const PYHASH_310: &[Instr] = &[
    i("FOR_ITER", false),
    i("STORE_FAST", false),
    i("LOAD_FAST", false),
    i("LOAD_FAST", false),
    i("BINARY_SUBSCR: call __hash__", true),
    i("LOAD_GLOBAL", false),
    i("LOAD_FAST", false),
    i("LOAD_ATTR", false),
    i("CALL", true),
    load("RETURN_VALUE; BINARY_SUBSCR reads", false),
    i("LOAD_CONST", false),
    i("BINARY_OP", false),
    i("LOAD_FAST", false),
    i("LOAD_FAST", false),
    i("STORE_SUBSCR: call __hash__", true),
    i("LOAD_GLOBAL", false),
    i("LOAD_FAST", false),
    i("LOAD_ATTR", false),
    i("CALL", true),
    store("RETURN_VALUE; STORE_SUBSCR writes", false),
    i("JUMP_ABSOLUTE", true),
];

/// The instructions of one iteration of `kind` on `version`; `None` for
/// the kinds that are one C call (atomic with a GIL).
fn iteration(kind: UpdateKind, version: PyVersion) -> Option<&'static [Instr]> {
    let old = version.major == 3 && version.minor <= 9;
    match kind {
        UpdateKind::Iadd => Some(if old { IADD_39 } else { IADD_310 }),
        UpdateKind::DictRmw => Some(if old { DICT_39 } else { DICT_310 }),
        UpdateKind::DictRmwPyHash => Some(if old { PYHASH_39 } else { PYHASH_310 }),
        UpdateKind::Append | UpdateKind::SetItem => None,
    }
}

/// With a GIL: the chance that a drop request landing at a uniformly
/// random point of an iteration is answered at a check point between the
/// read and the write, so that the thread leaves holding a value read
/// before the switch.
pub fn switch_inside(kind: UpdateKind, version: PyVersion) -> f64 {
    let Some(body) = iteration(kind, version) else {
        return 0.0;
    };
    let loaded_at = body.iter().position(|x| x.effect == Effect::Load);
    let stored_at = body.iter().position(|x| x.effect == Effect::Store);
    let (Some(l), Some(s)) = (loaded_at, stored_at) else {
        return 0.0;
    };
    // A request in instruction j is answered at the first check point at
    // or after j; one past the last check wraps into the next iteration,
    // before its load.
    let n = body.len();
    let inside = (0..n)
        .filter(|&j| {
            (j..n)
                .find(|&k| body[k].check_after)
                .is_some_and(|at| at >= l && at < s)
        })
        .count();
    inside as f64 / n as f64
}

/// Without a GIL: the share of an iteration's time between the read and
/// the end of the write, when another thread's write is lost.
pub fn open_window(kind: UpdateKind, version: PyVersion) -> f64 {
    let Some(body) = iteration(kind, version) else {
        return 0.0;
    };
    let l = body.iter().position(|x| x.effect == Effect::Load);
    let s = body.iter().position(|x| x.effect == Effect::Store);
    match (l, s) {
        (Some(l), Some(s)) if s > l => (s - l) as f64 / body.len() as f64,
        _ => 0.0,
    }
}

/// The instructions of one iteration, for docs and reports: each name,
/// whether a check point follows, and `load`/`store`.
pub fn listing(kind: UpdateKind, version: PyVersion) -> Vec<(&'static str, bool, &'static str)> {
    iteration(kind, version)
        .unwrap_or(&[])
        .iter()
        .map(|x| {
            let effect = match x.effect {
                Effect::None => "",
                Effect::Load => "load",
                Effect::Store => "store",
            };
            (x.name, x.check_after, effect)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(minor: u32) -> PyVersion {
        PyVersion { major: 3, minor }
    }

    #[test]
    fn a_bare_increment_is_cut_only_before_3_10() {
        assert!((switch_inside(UpdateKind::Iadd, v(8)) - 4.0 / 7.0).abs() < 1e-12);
        assert_eq!(
            switch_inside(UpdateKind::Iadd, v(9)),
            switch_inside(UpdateKind::Iadd, v(8))
        );
        for minor in 10..=14 {
            assert_eq!(switch_inside(UpdateKind::Iadd, v(minor)), 0.0);
            assert_eq!(switch_inside(UpdateKind::DictRmw, v(minor)), 0.0);
        }
        assert!((switch_inside(UpdateKind::DictRmw, v(8)) - 6.0 / 11.0).abs() < 1e-12);
    }

    #[test]
    fn a_python_hash_opens_the_window_on_every_version() {
        for minor in 8..=14 {
            assert!(
                (switch_inside(UpdateKind::DictRmwPyHash, v(minor)) - 10.0 / 21.0).abs() < 1e-12
            );
        }
    }

    #[test]
    fn one_c_call_is_atomic_with_or_without_a_gil() {
        for kind in [UpdateKind::Append, UpdateKind::SetItem] {
            assert_eq!(switch_inside(kind, v(8)), 0.0);
            assert_eq!(open_window(kind, v(13)), 0.0);
        }
        assert!((open_window(UpdateKind::Iadd, v(13)) - 3.0 / 7.0).abs() < 1e-12);
    }

    #[test]
    fn every_listing_has_one_load_before_one_store() {
        for (_, kind) in UpdateKind::ALL {
            for minor in [8, 13] {
                let l = listing(kind, v(minor));
                let loads = l.iter().filter(|x| x.2 == "load").count();
                let stores = l.iter().filter(|x| x.2 == "store").count();
                assert_eq!((loads, stores), if l.is_empty() { (0, 0) } else { (1, 1) });
            }
        }
    }
}
