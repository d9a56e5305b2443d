"""Model bundles shipped with the package (``s2s.models``)."""
