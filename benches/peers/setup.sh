#!/usr/bin/env bash
# Creates the peers' virtual environments beside this script and installs
# them from PyPI:
#   .venv-simpy      simpy (the M/M/4 peer)
#   .venv-asyncflow  asyncflow-sim 0.1.1 (needs Python >= 3.12)
# Both use the same interpreter, so the two peers run on one Python:
# $PEERS_PYTHON if set, else pyenv's 3.12, else python3.12 on the PATH.
# Run it again to refresh; the venvs are gitignored.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

py="${PEERS_PYTHON:-}"
if [[ -z "$py" ]]; then
    for v in "$HOME"/.pyenv/versions/3.12*/bin/python3; do
        [[ -x "$v" ]] && py="$v"
    done
fi
if [[ -z "$py" ]] && command -v python3.12 >/dev/null; then
    py="$(command -v python3.12)"
fi
if [[ -z "$py" ]]; then
    echo "error: no Python 3.12 found: set PEERS_PYTHON=/path/to/python3.12" >&2
    exit 2
fi
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
    echo "error: $py is $("$py" -V 2>&1); asyncflow-sim needs Python >= 3.12" >&2
    exit 2
fi
echo "interpreter: $py ($("$py" -V 2>&1))"

make_venv() {
    local dir="$here/$1"; shift
    "$py" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --upgrade pip
    "$dir/bin/python" -m pip install --quiet "$@"
    echo "$dir: $("$dir/bin/python" -m pip freeze | tr '\n' ' ')"
}

make_venv .venv-simpy "simpy>=4.1,<5"
make_venv .venv-asyncflow "asyncflow-sim==0.1.1"
