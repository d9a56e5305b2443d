"""The export stage's user-facing error (the CLI prints it as one line, exit code 2)."""


class ExportError(Exception):
    """The checkpoint, the options or the output directory make an export impossible,
    or the exported graphs failed verification."""
