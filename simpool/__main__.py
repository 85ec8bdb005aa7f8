"""``python -m simpool`` and the ``simpool`` script: the command line (:mod:`simpool.cli`)."""

import sys


def main() -> None:
    """Start the command line; a Ctrl-C while it loads (typer, rich: a second on a busy
    machine) exits quietly with 130, as one later does."""
    try:
        from .cli import main as command_line
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    command_line()


if __name__ == "__main__":
    main()
