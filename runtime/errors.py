"""Errors the runtime reports to users (the CLI prints them as one line and exits with code 2)."""


class S2SRuntimeError(Exception):
    """Base class of the runtime's user-facing errors."""


class BundleError(S2SRuntimeError):
    """A model bundle is missing, incomplete, corrupt, or from a newer format."""


class InputError(S2SRuntimeError):
    """Input text or options the runtime cannot use."""


class OutputError(S2SRuntimeError):
    """An output the runtime cannot write (a full disk, a vanished folder)."""
