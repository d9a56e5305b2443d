"""The project's user-facing errors: every command prints them as one line and exits with code 2.

S2SRuntimeError is the root of all of them, the training's (`TrainingInputError`) and the
export's (`ExportError`) included, so one `except S2SRuntimeError` catches every user mistake
and anything else is a bug.
"""


class S2SRuntimeError(Exception):
    """Base class of every user-facing error of the project."""


class BundleError(S2SRuntimeError):
    """A model bundle is missing, incomplete, corrupt, or from a newer format."""


class InputError(S2SRuntimeError):
    """Input text or options the runtime cannot use."""


class OutputError(S2SRuntimeError):
    """An output the runtime cannot write (a full disk, a vanished folder)."""
