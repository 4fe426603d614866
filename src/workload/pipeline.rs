//! The workload graph: workloads are nodes, `after` links are edges from
//! the upstream workload to the stage it feeds (docs/MODEL.md#pipelines). Built with
//! petgraph, so a cycle is found, and named, before anything runs.

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// The links of a scenario's workloads, as a directed graph.
#[derive(Debug, Clone)]
pub struct Pipeline {
    graph: DiGraph<usize, ()>,
}

impl Pipeline {
    /// A graph of `workloads` nodes and the `(upstream, stage)` links.
    pub fn new(workloads: usize, links: &[(usize, usize)]) -> Self {
        let mut graph = DiGraph::with_capacity(workloads, links.len());
        for w in 0..workloads {
            graph.add_node(w);
        }
        for &(from, to) in links {
            graph.add_edge(NodeIndex::new(from), NodeIndex::new(to), ());
        }
        Pipeline { graph }
    }

    /// A cycle of links, as the workloads along it with the first repeated
    /// at the end (`[a, b, a]`), or `None` when the graph is acyclic. Of
    /// several cycles, the one through the lowest-numbered workload.
    pub fn cycle(&self) -> Option<Vec<usize>> {
        let mut cyclic: Vec<Vec<NodeIndex>> = tarjan_scc(&self.graph)
            .into_iter()
            .filter(|scc| scc.len() > 1 || self.graph.contains_edge(scc[0], scc[0]))
            .collect();
        for scc in &mut cyclic {
            scc.sort();
        }
        cyclic.sort();
        let scc = cyclic.first()?;
        let start = scc[0];
        // A path inside the component from `start` back to it: walk the
        // lowest-numbered unvisited successor inside the component.
        let mut path = vec![start];
        let mut at = start;
        loop {
            let mut next: Vec<NodeIndex> = self
                .graph
                .neighbors(at)
                .filter(|n| scc.contains(n))
                .collect();
            next.sort();
            if next.contains(&start) {
                path.push(start);
                return Some(path.iter().map(|n| self.graph[*n]).collect());
            }
            let step = next.into_iter().find(|n| !path.contains(n))?;
            path.push(step);
            at = step;
        }
    }

    /// The stages `w` feeds, with `w`'s position among each stage's upstreams.
    pub fn successors(&self, w: usize, upstream_of: &[Vec<usize>]) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = upstream_of
            .iter()
            .enumerate()
            .flat_map(|(stage, ups)| {
                ups.iter()
                    .enumerate()
                    .filter(move |(_, u)| **u == w)
                    .map(move |(slot, _)| (stage, slot))
            })
            .collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_has_no_cycle() {
        assert_eq!(Pipeline::new(3, &[(0, 1), (1, 2)]).cycle(), None);
    }

    #[test]
    fn a_cycle_is_listed_from_its_lowest_workload() {
        let p = Pipeline::new(4, &[(0, 1), (2, 1), (1, 3), (3, 2)]);
        assert_eq!(p.cycle(), Some(vec![1, 3, 2, 1]));
    }

    #[test]
    fn a_self_link_is_a_cycle() {
        assert_eq!(Pipeline::new(2, &[(1, 1)]).cycle(), Some(vec![1, 1]));
    }

    #[test]
    fn successors_name_the_slot() {
        let ups = vec![vec![], vec![0], vec![1, 0]];
        let p = Pipeline::new(3, &[(0, 1), (1, 2), (0, 2)]);
        assert_eq!(p.successors(0, &ups), vec![(1, 0), (2, 1)]);
        assert_eq!(p.successors(2, &ups), vec![]);
    }
}
