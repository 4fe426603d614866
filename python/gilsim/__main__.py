"""``python -m gilsim``: the ``gilsim`` command."""

from ._cli import main

main()
