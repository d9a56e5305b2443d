"""Decoding: the Translator, one DecodeOptions, the search driver with its greedy and beam
strategies, protection, sentence splitting, ONNX sessions and tokenizers. Uses the bundle layer."""
