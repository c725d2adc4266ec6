"""The command line, ``python -m suite``: parsing and printing only, one module per command (``main`` assembles them)."""
