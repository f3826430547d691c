"""The ``rmwork`` console script lives in :mod:`rmwork.run.cli`; this name is kept for
``python -m rmwork.cli`` and older entry points."""

import sys

from .run.cli import main

if __name__ == "__main__":
    sys.exit(main())
