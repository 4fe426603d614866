//! From intervals to pixel columns: how long each key (a state, a thread)
//! covers each column of the window, and which key each column shows, with
//! brief states kept visible and equal columns merged into runs.

use crate::engine::time::Nanos;

/// Pixel columns over the window: column `c` covers `[bound(c), bound(c+1))`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Columns {
    /// The start of the window.
    pub t0: Nanos,
    /// The length of the window (at least 1).
    pub span: Nanos,
    /// The number of columns.
    pub n: usize,
}

impl Columns {
    /// The column that holds `t`.
    pub(super) fn col(&self, t: Nanos) -> usize {
        let c = (t.saturating_sub(self.t0) as u128 * self.n as u128) / self.span as u128;
        (c as usize).min(self.n - 1)
    }

    /// Where column `c` starts.
    pub(super) fn bound(&self, c: usize) -> Nanos {
        self.t0 + ((self.span as u128 * c as u128) / self.n as u128) as Nanos
    }
}

/// No interval: not drawn.
pub(super) const NONE: u32 = u32::MAX;

/// How long each key covers each column, keys in first-seen order.
pub(super) fn coverage(
    cols: Columns,
    items: impl Iterator<Item = (Nanos, Nanos, u32)>,
) -> Vec<Vec<(u32, Nanos)>> {
    let mut cov: Vec<Vec<(u32, Nanos)>> = vec![Vec::new(); cols.n];
    let end = cols.t0 + cols.span;
    for (s, e, key) in items {
        let (s, e) = (s.max(cols.t0), e.min(end));
        if s >= e {
            continue;
        }
        for (c, column) in cov
            .iter_mut()
            .enumerate()
            .take(cols.col(e - 1) + 1)
            .skip(cols.col(s))
        {
            let overlap = e
                .min(cols.bound(c + 1))
                .saturating_sub(s.max(cols.bound(c)));
            if overlap == 0 {
                continue;
            }
            match column.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 += overlap,
                None => column.push((key, overlap)),
            }
        }
    }
    cov
}

/// The key to draw in each column, merged into runs `(first, end, key)` of
/// columns (end exclusive), without the undrawn ones.
pub(super) fn column_runs(cols: Columns, cov: &[Vec<(u32, Nanos)>]) -> Vec<(usize, usize, u32)> {
    let width = |c: usize| cols.bound(c + 1) - cols.bound(c);
    // What covers most of each column (a gap counts); ties go to the smaller key.
    let main: Vec<u32> = cov
        .iter()
        .enumerate()
        .map(|(c, column)| {
            let covered: Nanos = column.iter().map(|(_, d)| *d).sum();
            let mut best = (width(c).saturating_sub(covered), NONE);
            for &(k, d) in column {
                if d > best.0 || (d == best.0 && k < best.1) {
                    best = (d, k);
                }
            }
            best.1
        })
        .collect();
    let present = |c: Option<usize>, k: u32| match c {
        Some(c) if c < cov.len() => cov[c].iter().any(|(key, d)| *key == k && *d > 0),
        _ => false,
    };
    let main_at = |c: Option<usize>| match c {
        Some(c) if c < main.len() => main[c],
        _ => NONE,
    };
    let shown: Vec<u32> = (0..cov.len())
        .map(|c| {
            // At the edges, the missing neighbour is taken to be like the column.
            let (prev, next) = (Some(c.saturating_sub(1)), Some((c + 1).min(cov.len() - 1)));
            // A brief state between others: shown so it does not vanish.
            let glimpse = cov[c]
                .iter()
                .filter(|(k, d)| {
                    *d > 0
                        && *k != main[c]
                        && *k != main_at(prev)
                        && *k != main_at(next)
                        && (!present(prev, *k) || !present(next, *k))
                })
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
            glimpse.map_or(main[c], |(k, _)| *k)
        })
        .collect();
    let mut runs = Vec::new();
    let mut c = 0;
    while c < shown.len() {
        let k = shown[c];
        let mut e = c + 1;
        while e < shown.len() && shown[e] == k {
            e += 1;
        }
        if k != NONE {
            runs.push((c, e, k));
        }
        c = e;
    }
    runs
}
