"""``python -m suite``: hands the command line to ``suite.cli.main``."""

import sys

if __name__ == "__main__":
    # Imported here, not above: a worker process started by spawn imports this module again (as
    # ``__mp_main__``) and needs none of the command line.
    from suite.cli.main import main

    sys.exit(main())
