"""`make serve`: python -m steps.serving (steps.serving.launcher)."""

import sys

from steps.serving.launcher import main

if __name__ == "__main__":
    sys.exit(main())
