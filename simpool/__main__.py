"""``python -m simpool``: the same command line as the ``simpool`` script."""

from .cli import main

if __name__ == "__main__":
    main()
