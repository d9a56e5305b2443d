"""The export stage's user-facing error (the CLI prints it as one line, exit code 2)."""

from s2s.runtime.errors import S2SRuntimeError


class ExportError(S2SRuntimeError):
    """The checkpoint, the options or the output directory make an export impossible,
    or the exported graphs failed verification."""
