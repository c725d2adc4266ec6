"""The one error every layer may raise for bad input from the user (the command line prints it, exit 2)."""


class UsageError(ValueError):
    """Bad input from the user: printed as one clear line, exit code 2."""
