"""``python -m maxpool_cli``: the same as the ``maxpool`` command."""

from .cli import main

if __name__ == "__main__":
    main()
