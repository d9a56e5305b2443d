"""The one exception type the training CLI turns into a one-line error (exit code 2)."""


class TrainingInputError(Exception):
    """A problem with what the user gave us (files, options), not a bug."""
