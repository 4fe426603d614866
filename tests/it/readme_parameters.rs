//! The README's parameter tables are rendered from the parameter table
//! (`src/python/params`): a key, default, kind or calibration that changes
//! there must change in the README in the same commit.
//! `GILSIM_UPDATE_README=1 cargo test --test it readme_parameters` rewrites them.

use std::path::Path;

use gilsim::python::params::{self, Group, markdown};

fn readme() -> (std::path::PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let text = std::fs::read_to_string(&path).expect("README.md");
    (path, text)
}

#[test]
fn readme_parameter_tables_match_the_parameter_table() {
    let (path, text) = readme();
    for name in Group::ALL
        .iter()
        .map(|g| g.name())
        .chain(std::iter::once("calibration"))
    {
        assert!(
            text.lines().any(|l| l == markdown::start(name)),
            "README.md has no `{}` block",
            markdown::start(name)
        );
    }
    let fresh = markdown::splice(&text).unwrap_or_else(|e| panic!("README.md: {e}"));
    if std::env::var_os("GILSIM_UPDATE_README").is_some() {
        std::fs::write(&path, &fresh).expect("README.md written");
        return;
    }
    if fresh != text {
        let first = fresh
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .map_or(0, |i| i + 1);
        panic!(
            "README.md's parameter tables differ from src/python/params (first at line {first}); \
             run `GILSIM_UPDATE_README=1 cargo test --test it readme_parameters`"
        );
    }
}

/// The tour's `[machine]` and `[python]` comments name every key a scenario takes.
#[test]
fn the_tour_names_every_parameter() {
    let (_, text) = readme();
    let start = text
        .find("## A tour of the scenario format")
        .expect("the tour");
    let tour = &text[start..];
    let end = tour.find("[semaphores]").expect("the tour's [semaphores]");
    let sections = &tour[..end];
    for p in params::TABLE {
        let word = |w: &str| {
            sections
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|part| part == w)
        };
        assert!(word(p.name()), "the tour does not mention `{}`", p.key);
    }
}
