"""Executes a Jupyter notebook with the current Python's kernel; fails
(exit 1) on the first cell that raises. Used by .ci/run:

    python tools/run_notebook.py examples/python-and-jupyter.ipynb
"""

import sys
import time
from pathlib import Path

import nbclient
import nbformat


def main() -> int:
    path = Path(sys.argv[1])
    nb = nbformat.read(path, as_version=4)
    started = time.monotonic()
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:
        print(f"{path}: a cell failed:\n{e}", file=sys.stderr)
        return 1
    cells = sum(1 for c in nb.cells if c.cell_type == "code")
    print(f"{path}: {cells} code cells ran in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
