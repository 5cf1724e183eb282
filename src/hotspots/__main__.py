"""``python -m hotspots``: the same as the ``hotspots`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
