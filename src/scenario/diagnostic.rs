//! Errors in scenario files, rendered like compiler diagnostics.
//!
//! A [`ScenarioError`] names the file, the 1-based line and column, the
//! dotted key (`workload.jobs.steps[1].io`) and what was expected, with the
//! offending source line underlined (rendered by `annotate-snippets`, plain
//! text). An error in a `--set KEY=VALUE` argument shows that argument
//! instead of a file line.
//!
//! A file with several independent mistakes gets them all, in file order
//! (the `--set` arguments first), as a compiler reports them: up to
//! [`SHOWN`], then how many more there are.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// How many errors of one file are rendered; the others are counted.
pub const SHOWN: usize = 20;

/// Which text a span points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Origin {
    /// The scenario file.
    File,
    /// The `--set` argument with this index; ranges are relative to `KEY=VALUE`.
    Override(usize),
}

/// A byte range in the file or in one `--set` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Span {
    pub origin: Origin,
    pub range: Range<usize>,
}

impl Span {
    pub fn file(range: Range<usize>) -> Self {
        Span {
            origin: Origin::File,
            range,
        }
    }

    pub fn set(index: usize, range: Range<usize>) -> Self {
        Span {
            origin: Origin::Override(index),
            range,
        }
    }
}

/// An error before rendering: what went wrong, where, and what was expected.
/// Boxed, so results that carry it stay small.
#[derive(Debug, Clone)]
pub(crate) struct Diag(Box<DiagInner>);

#[derive(Debug, Clone)]
pub(crate) struct DiagInner {
    pub message: String,
    pub span: Span,
    pub label: String,
    pub key: Option<String>,
    pub notes: Vec<String>,
    pub helps: Vec<String>,
    pub secondary: Option<(Span, String)>,
    /// The value is refused for what other keys say (the model, the
    /// version, a section), not for its own type or range.
    pub relational: bool,
    /// The error may only follow from another one (a workload that cannot
    /// be named, a sweep that cannot be read): shown only when there is no
    /// other error.
    pub follow_up: bool,
}

impl Diag {
    pub fn new(message: impl Into<String>, span: &Span, label: impl Into<String>) -> Self {
        Diag(Box::new(DiagInner {
            message: message.into(),
            span: span.clone(),
            label: label.into(),
            key: None,
            notes: Vec::new(),
            helps: Vec::new(),
            secondary: None,
            relational: false,
            follow_up: false,
        }))
    }

    /// Marks the error as one about the value together with other keys
    /// (`model` and `python.version`, a step and `[semaphores]`), not about
    /// the value alone: a value a sweep or a `--set` replaces is checked on
    /// its own, so only its type and range errors are reported.
    pub fn relational(mut self) -> Self {
        self.0.relational = true;
        self
    }

    /// Whether the error is about the value together with other keys.
    pub fn is_relational(&self) -> bool {
        self.0.relational
    }

    /// Marks the error as one that may only follow from another (a sweep
    /// key naming a workload whose name cannot be read): it is shown only
    /// when the file has no other error.
    pub fn follow_up(mut self) -> Self {
        self.0.follow_up = true;
        self
    }

    /// Whether the error may only follow from another.
    pub fn is_follow_up(&self) -> bool {
        self.0.follow_up
    }

    /// Where the error points.
    pub fn span(&self) -> &Span {
        &self.0.span
    }

    /// The one-line message.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        let key = key.into();
        if !key.is_empty() {
            self.0.key = Some(key);
        }
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.0.notes.push(note.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.0.helps.push(help.into());
        self
    }

    pub fn secondary(mut self, span: &Span, label: impl Into<String>) -> Self {
        self.0.secondary = Some((span.clone(), label.into()));
        self
    }
}

/// The texts spans point into, for rendering.
pub(crate) struct Sources<'a> {
    pub path: &'a Path,
    pub file: &'a str,
    pub overrides: &'a [String],
}

impl Sources<'_> {
    /// Where a span is, for messages: `line 12` or `--set KEY=VALUE`.
    pub fn describe(&self, span: &Span) -> String {
        match span.origin {
            Origin::File => {
                let (range, _) = normalize(self.file, &span.range);
                let (line, _) = line_col(self.file, range.start);
                format!("line {line}")
            }
            Origin::Override(i) => {
                format!("--set {}", self.overrides.get(i).map_or("", String::as_str))
            }
        }
    }

    /// The text a span covers, if it is in range.
    pub fn text(&self, span: &Span) -> Option<&str> {
        match span.origin {
            Origin::File => self.file.get(span.range.clone()),
            Origin::Override(i) => self.overrides.get(i)?.get(span.range.clone()),
        }
    }
}

/// One error of a scenario file: the rendered diagnostic and where it points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    message: String,
    key: Option<String>,
    location: Option<(usize, usize)>,
    set_argument: Option<String>,
    rendered: String,
}

impl Diagnostic {
    /// The 1-based line and column in the scenario file, if the error is in
    /// the file (not in a `--set` argument, nor about reading the file).
    pub fn location(&self) -> Option<(usize, usize)> {
        self.location
    }

    /// The dotted key the error is about (`workload.jobs.steps[1].io`), if any.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The one-line message (the diagnostic's title).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `--set KEY=VALUE` argument the error is in, if it is in one.
    pub fn set_argument(&self) -> Option<&str> {
        self.set_argument.as_deref()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rendered)
    }
}

/// An invalid scenario: every error found in it (at least one), the first
/// first. [`location`](Self::location), [`key`](Self::key),
/// [`message`](Self::message) and [`set_argument`](Self::set_argument) are
/// the first error's; [`errors`](Self::errors) has each one rendered, and
/// the whole error displays them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError(Box<ErrorInner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct ErrorInner {
    path: PathBuf,
    /// The errors rendered, at most [`SHOWN`], never empty.
    shown: Vec<Diagnostic>,
    /// Every error found, shown or not.
    total: usize,
}

impl ScenarioError {
    fn first(&self) -> &Diagnostic {
        &self.0.shown[0]
    }

    /// The 1-based line and column of the first error in the scenario file,
    /// if it is in the file (not in a `--set` argument, nor about reading
    /// the file).
    pub fn location(&self) -> Option<(usize, usize)> {
        self.first().location
    }

    /// The dotted key the first error is about (`workload.jobs.steps[1].io`), if any.
    pub fn key(&self) -> Option<&str> {
        self.first().key()
    }

    /// The first error's one-line message (the diagnostic's title).
    pub fn message(&self) -> &str {
        self.first().message()
    }

    /// The scenario file's path, as given.
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// The `--set KEY=VALUE` argument the first error is in, if it is in one.
    pub fn set_argument(&self) -> Option<&str> {
        self.first().set_argument()
    }

    /// The errors rendered, in order: the `--set` arguments', then the
    /// file's by position, then what the file lacks; at most [`SHOWN`].
    pub fn errors(&self) -> &[Diagnostic] {
        &self.0.shown
    }

    /// How many distinct errors the file has, rendered or not.
    pub fn count(&self) -> usize {
        self.0.total
    }

    /// An error with no source position (the file cannot be read).
    pub(crate) fn bare(path: &Path, message: String) -> Self {
        let rendered = Renderer::plain().render(&[Group::with_title(
            Level::ERROR.primary_title(message.as_str()),
        )]);
        ScenarioError(Box::new(ErrorInner {
            path: path.to_path_buf(),
            shown: vec![Diagnostic {
                message,
                key: None,
                location: None,
                set_argument: None,
                rendered,
            }],
            total: 1,
        }))
    }

    /// Renders `diag` against the texts it points into.
    pub(crate) fn render(diag: Diag, sources: &Sources<'_>) -> Self {
        Self::render_all(vec![diag], sources)
    }

    /// Renders the errors of one file: distinct ones (by place and
    /// message), the `--set` arguments' first, then the file's by position,
    /// then what the whole file lacks; at most [`SHOWN`] of them. `diags`
    /// must not be empty.
    pub(crate) fn render_all(diags: Vec<Diag>, sources: &Sources<'_>) -> Self {
        let mut seen = std::collections::HashSet::new();
        let mut diags: Vec<Diag> = diags
            .into_iter()
            .filter(|d| {
                seen.insert((
                    d.0.span.origin,
                    d.0.span.range.start,
                    d.0.span.range.end,
                    d.0.message.clone(),
                ))
            })
            .collect();
        // Stable: errors at one place keep the order they were found in.
        // What the whole file lacks (an empty span at its start: no
        // `name`, no [[workload]]) comes after what is wrong in it.
        diags.sort_by_key(|d| {
            let span = &d.0.span;
            let origin = match span.origin {
                Origin::Override(i) => (0, i),
                Origin::File if span.range == (0..0) => (2, 0),
                Origin::File => (1, 0),
            };
            (origin, span.range.start)
        });
        let total = diags.len();
        let shown: Vec<Diagnostic> = diags
            .into_iter()
            .take(SHOWN)
            .map(|d| render_one(d, sources))
            .collect();
        assert!(
            !shown.is_empty(),
            "a scenario error has at least one diagnostic"
        );
        ScenarioError(Box::new(ErrorInner {
            path: sources.path.to_path_buf(),
            shown,
            total,
        }))
    }
}

/// Renders one diagnostic against the texts it points into.
fn render_one(diag: Diag, sources: &Sources<'_>) -> Diagnostic {
    let DiagInner {
        message,
        span,
        label,
        key,
        notes,
        helps,
        secondary,
        relational: _,
        follow_up: _,
    } = *diag.0;
    let path_text = sources.path.display().to_string();
    let mut messages: Vec<(Level<'static>, String)> = Vec::new();
    let (snippet, location, set_argument) = match span.origin {
        Origin::File => {
            let (range, location) = normalize(sources.file, &span.range);
            let mut snippet = Snippet::source(sources.file)
                .path(path_text.as_str())
                .annotation(AnnotationKind::Primary.span(range).label(label));
            match secondary {
                Some((other, text)) if other.origin == Origin::File => {
                    let (range, _) = normalize(sources.file, &other.range);
                    snippet = snippet.annotation(AnnotationKind::Context.span(range).label(text));
                }
                Some((_, text)) => messages.push((Level::NOTE, text)),
                None => {}
            }
            (snippet, Some(location), None)
        }
        Origin::Override(i) => {
            let argument = sources.overrides.get(i).cloned().unwrap_or_default();
            let shown = format!("--set {argument}");
            let start = "--set ".len();
            let range = clamp(&shown, start + span.range.start..start + span.range.end);
            let snippet = Snippet::source(shown.clone())
                .line_numbering(false)
                .annotation(AnnotationKind::Primary.span(range).label(label));
            messages.push((Level::NOTE, format!("in {shown}")));
            if let Some((_, text)) = secondary {
                messages.push((Level::NOTE, text));
            }
            (snippet, None, Some(argument))
        }
    };
    if let Some(key) = &key {
        messages.push((Level::NOTE, format!("key `{key}`")));
    }
    messages.extend(notes.into_iter().map(|n| (Level::NOTE, n)));
    messages.extend(helps.into_iter().map(|h| (Level::HELP, h)));
    let group = Level::ERROR
        .primary_title(message.as_str())
        .element(snippet)
        .elements(
            messages
                .iter()
                .map(|(level, text)| level.clone().message(text.as_str())),
        );
    let rendered = Renderer::plain().render(&[group]);
    Diagnostic {
        message,
        key,
        location,
        set_argument,
        rendered,
    }
}

impl fmt::Display for ScenarioError {
    /// The errors shown, a blank line between them; with more than one, a
    /// last line that counts them (and says how many are not shown).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = &self.0.shown;
        for (i, d) in shown.iter().enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            f.write_str(d.rendered.trim_end_matches('\n'))?;
        }
        let total = self.0.total;
        if total > 1 {
            write!(f, "\n\nerror: {total} errors in {}", self.0.path.display())?;
            if total > shown.len() {
                write!(
                    f,
                    ": the first {} are shown above, and {} more",
                    shown.len(),
                    total - shown.len()
                )?;
            }
        } else if shown[0].rendered.ends_with('\n') {
            f.write_str("\n")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// Keeps a range inside `text` and on character boundaries.
fn clamp(text: &str, range: Range<usize>) -> Range<usize> {
    let mut start = range.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = range.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// Makes a span safe and unambiguous to render: inside the text, on
/// character boundaries, on one line (a span over several lines is cut at the
/// end of its first), and not past the last line break. Returns the span and
/// its 1-based line and column (in characters), which is what the renderer
/// prints after the path.
pub(crate) fn normalize(text: &str, range: &Range<usize>) -> (Range<usize>, (usize, usize)) {
    let mut range = clamp(text, range.clone());
    if range.start == text.len() && text.ends_with('\n') {
        // The renderer has no line after the last line break: point at the break.
        range = text.len() - 1..text.len() - 1;
    }
    if let Some(newline) = text[range.start..range.end].find('\n') {
        range.end = range.start + newline;
    }
    let location = line_col(text, range.start);
    (range, location)
}

/// The 1-based line and column (in characters) of byte `offset`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = clamp(text, offset..offset).start;
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let text = "a = 1\nbé = \"x\"\r\nc\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 9), (2, 3));
        assert_eq!(normalize(text, &(text.len()..text.len())).1, (3, 2));
        assert_eq!(normalize("", &(0..0)).1, (1, 1));
        assert_eq!(normalize("ab", &(5..9)), (2..2, (1, 3)));
        assert_eq!(normalize("ab\ncd", &(1..5)), (1..2, (1, 2)));
    }

    #[test]
    fn rendering_matches_location() {
        let text = "name = \"x\"\nsteps = [ { cpu = \"10mz\" } ]\n";
        let sources = Sources {
            path: Path::new("scenarios/x.toml"),
            file: text,
            overrides: &[],
        };
        let diag = Diag::new(
            "unknown unit \"mz\" in duration",
            &Span::file(29..35),
            "expected a duration",
        )
        .key("workload.jobs.steps[0].cpu");
        let err = ScenarioError::render(diag, &sources);
        assert_eq!(err.location(), Some((2, 19)));
        let shown = err.to_string();
        assert!(shown.contains("scenarios/x.toml:2:19"), "{shown}");
        assert!(shown.contains("workload.jobs.steps[0].cpu"), "{shown}");
        assert!(shown.contains("^^^^^^ expected a duration"), "{shown}");
    }
}
