"""The exception users see: a clear one-line message and an exit status, never a traceback."""


class UserError(Exception):
    """Bad input, missing data or an impossible request: the CLI prints it, exits `exit_code`."""

    exit_code = 2
