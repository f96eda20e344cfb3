"""``python -m tieskg``: the command-line interface."""

from tieskg.cli import main

main()
