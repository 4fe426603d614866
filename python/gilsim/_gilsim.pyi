"""Types of the extension module ``gilsim._gilsim`` (Rust, PyO3)."""

from typing import Any, Dict, List, Optional, Tuple

__version__: str

def cli_main(argv: List[str]) -> int: ...
def to_toml(scenario: Any) -> str: ...
def toml_inline(key: str, value: Any) -> str: ...
def check(file: str, source: Optional[str], overrides: List[str]) -> Dict[str, Any]: ...
def run(
    file: str,
    source: Optional[str],
    overrides: List[str],
    seed: Optional[int],
    jobs: Optional[int],
    trace: bool,
    trace_window: Optional[str],
    trace_point: Optional[int],
    command_line: List[str],
) -> Tuple[List[Tuple[str, bytes]], str]: ...
def compare(
    file: str,
    source: Optional[str],
    overrides: List[str],
    workload: Optional[str],
    models: Optional[str],
    workers: Optional[str],
    cores: Optional[int],
    replications: Optional[int],
    goal: str,
    jobs: Optional[int],
) -> Tuple[List[Tuple[str, bytes]], str]: ...
