#!/usr/bin/env bash
# Creates the peers' virtual environments beside this script and installs
# them from PyPI (the venvs are gitignored; run it again to refresh):
#   .venv-simpy      simpy 4.x, the M/M/4 peer, on the fastest CPython at
#                    hand for it: pyenv's 3.11 (SimPy's M/M/4 took 2.88 s
#                    of CPU on 3.11.7 against 3.20 s on 3.12.1 here), else
#                    the 3.12 below. Override: SIMPY_FROM=/path/to/python.
#   .venv-asyncflow  asyncflow-sim 0.1.1, which needs Python >= 3.12:
#                    pyenv's 3.12, else python3.12 on the PATH.
#                    Override: ASYNCFLOW_FROM=/path/to/python3.12.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

newest() {  # newest pyenv build of a version prefix, e.g. 3.12
    local found=""
    for v in "$HOME"/.pyenv/versions/"$1".*/bin/python3; do
        [[ -x "$v" ]] && found="$v"
    done
    if [[ -z "$found" ]] && command -v "python$1" >/dev/null; then
        found="$(command -v "python$1")"
    fi
    echo "$found"
}

asyncflow_py="${ASYNCFLOW_FROM:-$(newest 3.12)}"
if [[ -z "$asyncflow_py" ]]; then
    echo "error: no Python 3.12 found for asyncflow-sim: set ASYNCFLOW_FROM=/path/to/python3.12" >&2
    exit 2
fi
if ! "$asyncflow_py" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
    echo "error: $asyncflow_py is $("$asyncflow_py" -V 2>&1); asyncflow-sim needs Python >= 3.12" >&2
    exit 2
fi
simpy_py="${SIMPY_FROM:-$(newest 3.11)}"
simpy_py="${simpy_py:-$asyncflow_py}"

make_venv() {
    local py="$1" dir="$here/$2"; shift 2
    "$py" -m venv --clear "$dir"
    "$dir/bin/python" -m pip install --quiet --upgrade pip
    "$dir/bin/python" -m pip install --quiet "$@"
    echo "$dir ($("$dir/bin/python" -V 2>&1)): $("$dir/bin/python" -m pip freeze | tr '\n' ' ')"
}

make_venv "$simpy_py" .venv-simpy "simpy>=4.1,<5"
make_venv "$asyncflow_py" .venv-asyncflow "asyncflow-sim==0.1.1"
