"""The exception users see: a clear one-line message and an exit status, never a traceback."""


class UserError(Exception):
    """Bad input, missing data or an impossible request: the CLI prints it, exits `exit_code`."""

    exit_code = 2


class WriteFailed(UserError):
    """A file or checkpoint could not be written (disk full, folder not writable) while a
    command ran; what was written before stays as it was."""

    exit_code = 4
