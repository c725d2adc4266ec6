"""Exit codes of ``python -m suite``, one list for every command (docs/faults.md documents them)."""

EXIT_OK, EXIT_NOT_REPRODUCED, EXIT_USAGE, EXIT_STORAGE_FULL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
