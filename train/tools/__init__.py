"""Developer tools, outside the runtime: benchmarks (`s2s-bench`, with its PyTorch side) and
cold-start probes. They use the runtime's public modules; the runtime never imports them."""
