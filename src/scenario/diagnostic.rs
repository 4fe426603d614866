//! Errors in scenario files, rendered like compiler diagnostics.
//!
//! A [`ScenarioError`] names the file, the 1-based line and column, the
//! dotted key (`workload.jobs.steps[1].io`) and what was expected, with the
//! offending source line underlined (rendered by `annotate-snippets`, plain
//! text). An error in a `--set KEY=VALUE` argument shows that argument
//! instead of a file line.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// Which text a span points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
        }))
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

/// An invalid scenario: the rendered diagnostic and where it points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError(Box<ErrorInner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct ErrorInner {
    message: String,
    key: Option<String>,
    location: Option<(usize, usize)>,
    path: PathBuf,
    set_argument: Option<String>,
    rendered: String,
}

impl ScenarioError {
    /// The 1-based line and column in the scenario file, if the error is in
    /// the file (not in a `--set` argument, nor about reading the file).
    pub fn location(&self) -> Option<(usize, usize)> {
        self.0.location
    }

    /// The dotted key the error is about (`workload.jobs.steps[1].io`), if any.
    pub fn key(&self) -> Option<&str> {
        self.0.key.as_deref()
    }

    /// The one-line message (the diagnostic's title).
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The scenario file's path, as given.
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// The `--set KEY=VALUE` argument the error is in, if it is in one.
    pub fn set_argument(&self) -> Option<&str> {
        self.0.set_argument.as_deref()
    }

    /// An error with no source position (the file cannot be read).
    pub(crate) fn bare(path: &Path, message: String) -> Self {
        let rendered = Renderer::plain().render(&[Group::with_title(
            Level::ERROR.primary_title(message.as_str()),
        )]);
        ScenarioError(Box::new(ErrorInner {
            message,
            key: None,
            location: None,
            path: path.to_path_buf(),
            set_argument: None,
            rendered,
        }))
    }

    /// Renders `diag` against the texts it points into.
    pub(crate) fn render(diag: Diag, sources: &Sources<'_>) -> Self {
        let DiagInner {
            message,
            span,
            label,
            key,
            notes,
            helps,
            secondary,
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
                        snippet =
                            snippet.annotation(AnnotationKind::Context.span(range).label(text));
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
        ScenarioError(Box::new(ErrorInner {
            message,
            key,
            location,
            path: sources.path.to_path_buf(),
            set_argument,
            rendered,
        }))
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.rendered)
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
