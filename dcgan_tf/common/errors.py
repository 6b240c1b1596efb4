"""The exception users see: a clear one-line message and an exit status, never a traceback."""


class UserError(Exception):
    """Bad input, missing data or an impossible request: the CLI prints it, exits `exit_code`."""

    exit_code = 2


class WriteFailed(UserError):
    """A file or checkpoint could not be written (disk full, folder not writable) while a
    command ran; what was written before stays as it was."""

    exit_code = 4


class DamagedFile(UserError):
    """A file the program wrote reads back wrong (cut short, edited, not the format). A reader
    outside a run stops with one line; a run moves a side file it only appends to or rebuilds
    aside (`files.set_aside`) and goes on."""

    def __init__(self, path: object, why: str) -> None:
        super().__init__(f"{path}: {why}")
        self.path, self.why = path, why


def gist(err: BaseException) -> str:
    """An exception in a few words for a one-line message: 'JSONDecodeError: Expecting value'."""
    return f"{type(err).__name__}: {err}".splitlines()[0]
