"""Errors the CLI reports in one line (exit status 1)."""


class CommandError(RuntimeError):
    """A failure to report in one line, with exit status 1."""
