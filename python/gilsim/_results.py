"""What ``gilsim.run``, ``compare`` and ``check`` return."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence

Row = Dict[str, Any]

_INT = re.compile(r"-?[0-9]+\Z")
_FLOAT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")


def _number(column: str, text: str) -> Any:
    """A CSV cell as Python has it: an int, a float, ``None`` for an empty
    cell, else the text. A version (``python.version = 3.10``) stays text:
    as a float it would read 3.1."""
    if text == "":
        return None
    if column.endswith("version"):
        return text
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def parse_csv(data: bytes) -> "tuple[List[str], List[Row]]":
    """A CSV file's header and its rows, as dicts of numbers and text."""
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    header = next(reader, [])
    rows = [{c: _number(c, v) for c, v in zip(header, record)} for record in reader]
    return header, rows


def _frame(package: str, data: bytes, columns: List[str]) -> Any:
    """A CSV file of gilsim's as a pandas or polars DataFrame, read by that
    package: numbers as numbers, empty cells missing (NaN, null), a
    version column as text."""
    try:
        module = __import__(package)
    except ImportError as e:
        raise ImportError(
            f"to_{package}() needs {package}, which is not installed: pip install {package}"
        ) from e
    text = [c for c in columns if c.endswith("version")]
    if package == "pandas":
        return module.read_csv(
            io.BytesIO(data),
            dtype={c: str for c in text},
            keep_default_na=False,
            na_values=[""],
        )
    return module.read_csv(
        data,
        schema_overrides={c: module.Utf8 for c in text},
        infer_schema_length=None,
    )


def _svg_inline(svg: str) -> str:
    """An SVG file's text as an element to put in HTML."""
    if svg.startswith("<?xml"):
        svg = svg[svg.index("?>") + 2 :]
    return svg.strip()


def _html_table(columns: Sequence[str], rows: Sequence[Row], limit: int = 40) -> str:
    """An HTML table of the first ``limit`` rows."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for r in rows[:limit]:
        cells = "".join(
            f"<td>{'' if r.get(c) is None else html.escape(str(r.get(c)))}</td>"
            for c in columns
        )
        body.append(f"<tr>{cells}</tr>")
    more = (
        f"<p>{len(rows) - limit} more row(s): see .rows or .to_pandas()</p>"
        if len(rows) > limit
        else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


class _Tables:
    """Rows, DataFrames, charts and an HTML view: shared by ``Results``
    and ``CompareResults``."""

    files: Dict[str, bytes]
    columns: List[str]
    rows: List[Row]
    text: str
    _table_file: str

    @property
    def charts(self) -> Dict[str, str]:
        """Every chart drawn, name (the file name without ``.svg``) to SVG text."""
        return {
            name[: -len(".svg")]: data.decode("utf-8")
            for name, data in self.files.items()
            if name.endswith(".svg")
        }

    def to_pandas(self) -> Any:
        """The rows as a pandas DataFrame (needs pandas)."""
        return _frame("pandas", self.files[self._table_file], self.columns)

    def to_polars(self) -> Any:
        """The rows as a polars DataFrame (needs polars)."""
        return _frame("polars", self.files[self._table_file], self.columns)

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        charts = "".join(
            f'<div style="margin:8px 0">{_svg_inline(svg)}</div>'
            for svg in self.charts.values()
        )
        return f"<div>{_html_table(self.columns, self.rows)}{charts}</div>"


class Results(_Tables):
    """What ``gilsim.run`` produced, as ``gilsim run`` writes it, in memory.

    - ``rows``: ``results.csv`` as a list of dicts, one per (point,
      replication, workload), numbers as ``int``/``float``, empty cells
      ``None``; ``columns`` its header.
    - ``summary``: ``summary.csv`` the same way (mean and spread over the
      replications of each point), or ``None`` with one replication.
    - ``charts``: chart name to SVG text; ``manifest``: ``manifest.json``;
      ``trace``: ``trace.json`` (Perfetto) with ``trace=True``, else ``None``.
    - ``files``: every file ``gilsim run`` would write (its charts as SVG
      only), name to bytes; ``text``: the table the CLI prints.
    """

    def __init__(self, files: Sequence["tuple[str, bytes]"], text: str) -> None:
        self.files: Dict[str, bytes] = dict(files)
        self.text = text
        self.columns, self.rows = parse_csv(self.files["results.csv"])
        self.summary_columns: Optional[List[str]] = None
        self.summary: Optional[List[Row]] = None
        if "summary.csv" in self.files:
            self.summary_columns, self.summary = parse_csv(self.files["summary.csv"])
        self.manifest: Dict[str, Any] = json.loads(self.files["manifest.json"])

    @property
    def trace(self) -> Optional[Dict[str, Any]]:
        """``trace.json`` (Chrome trace format), with ``trace=True``."""
        data = self.files.get("trace.json")
        return None if data is None else json.loads(data)

    _table_file = "results.csv"

    def to_pandas(self, summary: bool = False) -> Any:
        """``results.csv`` (or ``summary.csv``) as a pandas DataFrame (needs
        pandas): empty cells are NaN."""
        return _frame("pandas", *self._table(summary))

    def to_polars(self, summary: bool = False) -> Any:
        """``results.csv`` (or ``summary.csv``) as a polars DataFrame (needs
        polars): empty cells are null."""
        return _frame("polars", *self._table(summary))

    def _table(self, summary: bool) -> "tuple[bytes, List[str]]":
        if not summary:
            return self.files["results.csv"], self.columns
        if self.summary_columns is None:
            raise ValueError("no summary: the scenario has one replication per point")
        return self.files["summary.csv"], self.summary_columns


class CompareResults(_Tables):
    """What ``gilsim.compare`` produced: ``rows`` (``compare.csv``, one per
    candidate), ``charts``, ``files``, and ``text``: the ranked tables,
    bottlenecks and recommendations the CLI prints."""

    _table_file = "compare.csv"

    def __init__(self, files: Sequence["tuple[str, bytes]"], text: str) -> None:
        self.files = dict(files)
        self.text = text
        self.columns, self.rows = parse_csv(self.files["compare.csv"])


class CheckResult:
    """What ``gilsim.check`` found in a valid scenario; ``str()`` is what
    ``gilsim check`` prints."""

    def __init__(self, facts: Mapping[str, Any]) -> None:
        self.name: str = facts["name"]
        self.description: str = facts["description"]
        self.workloads: List[str] = list(facts["workloads"])
        self.cores: int = facts["cores"]
        self.python: str = facts["python"]
        self.gil: bool = facts["gil"]
        self.seed: int = facts["seed"]
        self.sweep_keys: List[str] = list(facts["sweep_keys"])
        self.points: int = facts["points"]
        self.replications: int = facts["replications"]
        self.runs: int = facts["runs"]
        self.events_estimate: float = facts["events_estimate"]
        self.text: str = facts["text"]

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<gilsim.CheckResult {self.name!r}: {self.points} point(s), {self.runs} run(s)>"
