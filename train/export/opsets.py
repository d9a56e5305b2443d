"""The ONNX opsets the export writes (kept free of torch: the CLI reads them for its --help)."""

DEFAULT_OPSET = 17
SUPPORTED_OPSETS = range(14, 21)  # GRU/LSTM with layout, TopK with dynamic k: both in >= 14
