//! The layers of `src/` import one way (docs/ARCHITECTURE.md): each
//! top-level module may use only the modules listed for it here, and the
//! import graph between top-level modules has no cycle. No source file is
//! longer than 900 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What the commands' own layer (compare, calibrate) may import: everything
/// below it.
const BELOW_COMMANDS: &[&str] = &[
    "engine",
    "machine",
    "workload",
    "python",
    "scenario",
    "simulation",
    "study",
    "report",
    "results",
    "failure",
];

/// What each top-level module of the library may import, lowest layer first.
const ALLOWED: &[(&str, &[&str])] = &[
    ("engine", &[]),
    ("results", &["engine"]),
    ("machine", &["engine"]),
    ("workload", &["engine"]),
    ("python", &["engine", "machine", "workload", "results"]),
    (
        "scenario",
        &["engine", "machine", "workload", "python", "results"],
    ),
    (
        "simulation",
        &["engine", "python", "scenario", "results", "workload"],
    ),
    ("failure", &[]),
    ("report", &["engine", "results", "failure"]),
    (
        "study",
        &["engine", "python", "scenario", "simulation", "results"],
    ),
    ("compare", BELOW_COMMANDS),
    ("capacity", BELOW_COMMANDS),
    ("calibrate", BELOW_COMMANDS),
    (
        "record",
        &[
            "engine",
            "scenario",
            "simulation",
            "report",
            "failure",
            "calibrate",
        ],
    ),
    (
        "commands",
        &[
            "engine",
            "machine",
            "workload",
            "python",
            "scenario",
            "simulation",
            "study",
            "report",
            "results",
            "failure",
            "compare",
            "calibrate",
            "capacity",
        ],
    ),
    (
        "cli",
        &[
            "calibrate",
            "capacity",
            "commands",
            "compare",
            "record",
            "scenario",
            "study",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`None`: lib.rs, main.rs).
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_string())
}

/// The top-level modules a source text names as `crate::NAME`, outside comments.
fn imports(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let name: String = rest[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
            rest = &rest[i + 7..];
        }
    }
    out
}

fn source_files() -> (PathBuf, Vec<PathBuf>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    (src, files)
}

#[test]
fn every_import_goes_down_a_layer() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let (src, files) = source_files();
    let mut wrong = Vec::new();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(module) = top_module(&src, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let Some(may) = allowed.get(module.as_str()) else {
            wrong.push(format!(
                "{}: module `{module}` has no layer in ALLOWED",
                file.display()
            ));
            continue;
        };
        for used in imports(&text) {
            if used == module {
                continue;
            }
            graph
                .entry(module.clone())
                .or_default()
                .insert(used.clone());
            if !may.contains(&used.as_str()) {
                wrong.push(format!(
                    "{}: `{module}` imports `crate::{used}`",
                    file.display()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
    // No cycle: repeatedly remove modules that import nothing left.
    let mut left = graph.clone();
    loop {
        let done: Vec<String> = left
            .iter()
            .filter(|(_, uses)| uses.iter().all(|u| !left.contains_key(u)))
            .map(|(m, _)| m.clone())
            .collect();
        if done.is_empty() {
            break;
        }
        for m in done {
            left.remove(&m);
        }
    }
    assert!(left.is_empty(), "a cycle among: {:?}", left.keys());
}

#[test]
fn no_source_file_is_over_900_lines() {
    let (_, files) = source_files();
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).ok()?.lines().count();
            (n > 900).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "files over 900 lines: {long:?}");
}

#[test]
fn no_source_cites_the_design_document() {
    let (_, files) = source_files();
    let citing: Vec<String> = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f).is_ok_and(|t| {
                t.lines().any(|l| {
                    l.find("DESIGN").is_some_and(|i| {
                        l[i + 6..]
                            .trim_start_matches([' ', '.', '§'])
                            .starts_with(|c: char| c.is_ascii_digit() || c == 's')
                    })
                })
            })
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(citing.is_empty(), "files citing DESIGN: {citing:?}");
}

/// The module path of a file of `src/` (`None` for the crate roots).
fn module_path(src: &Path, file: &Path) -> Option<Vec<String>> {
    let rel = file.strip_prefix(src).ok()?;
    let mut parts: Vec<String> = rel
        .components()
        .filter_map(|c| c.as_os_str().to_str().map(str::to_string))
        .collect();
    let last = parts.pop()?;
    let stem = last.strip_suffix(".rs")?;
    if parts.is_empty() && (stem == "lib" || stem == "main") {
        return None;
    }
    if stem != "mod" {
        parts.push(stem.to_string());
    }
    Some(parts)
}

/// Every path a source text uses that starts at `crate::` or `super::`,
/// made absolute from `module`; `use a::{b, c::d}` lists give one path each.
fn used_paths(text: &str, module: &[String]) -> Vec<Vec<String>> {
    fn words(s: &str) -> Vec<String> {
        s.split("::")
            .map(|w| w.trim().to_string())
            .take_while(|w| !w.is_empty() && w.chars().all(|c| c.is_alphanumeric() || c == '_'))
            .collect()
    }
    let mut out = Vec::new();
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        if !code.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let rest = &code[i..];
        let starts = rest.starts_with("crate::") || rest.starts_with("super::");
        let boundary = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if !(starts && boundary) {
            i += 1;
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let head = &rest[..end];
        let mut base: Vec<String> = if let Some(after) = head.strip_prefix("crate::") {
            words(after)
        } else {
            let mut m = module.to_vec();
            let mut after = head;
            while let Some(a) = after.strip_prefix("super::") {
                m.pop();
                after = a;
            }
            m.extend(words(after));
            m
        };
        if rest[end..].starts_with('{') {
            let close = rest[end..].find('}').map_or(rest.len(), |j| end + j);
            for item in rest[end + 1..close].split(',') {
                let mut p = base.clone();
                p.extend(words(item));
                out.push(p);
            }
            i += close.max(1);
        } else {
            if head.ends_with("::") {
                base.retain(|w| !w.is_empty());
            }
            out.push(base);
            i += end.max(1);
        }
    }
    out
}

#[test]
fn no_cycle_between_sibling_modules() {
    let (src, files) = source_files();
    let modules: BTreeSet<Vec<String>> =
        files.iter().filter_map(|f| module_path(&src, f)).collect();
    // Edges between the children of a common parent: A imports B.
    let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for file in &files {
        let Some(from) = module_path(&src, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for path in used_paths(&text, &from) {
            // The longest prefix of the path that is a module.
            let Some(to) = (1..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| modules.contains(p))
            else {
                continue;
            };
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common == from.len() || common == to.len() {
                continue; // a module and its ancestor
            }
            graph
                .entry(from[..=common].to_vec())
                .or_default()
                .insert(to[..=common].to_vec());
        }
    }
    let mut left = graph.clone();
    loop {
        let done: Vec<Vec<String>> = left
            .iter()
            .filter(|(_, uses)| uses.iter().all(|u| !left.contains_key(u)))
            .map(|(m, _)| m.clone())
            .collect();
        if done.is_empty() {
            break;
        }
        for m in done {
            left.remove(&m);
        }
    }
    let cycle: Vec<String> = left
        .iter()
        .map(|(m, uses)| {
            let uses: Vec<String> = uses
                .iter()
                .filter(|u| left.contains_key(*u))
                .map(|u| u.join("::"))
                .collect();
            format!("{} -> {}", m.join("::"), uses.join(", "))
        })
        .collect();
    assert!(
        cycle.is_empty(),
        "sibling modules in a cycle:\n{}",
        cycle.join("\n")
    );
}
