"""Batch jobs: files and folders translated in chunks by worker processes or Ray actors into
durable, resumable outputs, with progress. Uses the decoding and documents layers."""
