"""``python -m suite``: hands the command line to ``suite.cli.main``."""

import sys

from suite.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
