"""``python -m tieskg``: the command-line interface."""

from tieskg.cli import main

if __name__ == "__main__":
    main()
