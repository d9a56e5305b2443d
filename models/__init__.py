"""The default model bundle (eng-fra) shipped with the package (``s2s.models``)."""
