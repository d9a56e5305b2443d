"""Runtime: translate with a model bundle using onnxruntime (no PyTorch).

    from s2s.runtime import Translator
    Translator.load().translate(["I am a student."])
"""

from .bundle import FORMAT_VERSION, Bundle, load_bundle
from .errors import BundleError, InputError, S2SRuntimeError
from .greedy import Hypothesis, greedy_decode
from .beam import beam_search
from .decode_options import DecodeOptions
from .model_store import ModelInfo, default_bundle_path, installed_models
from .translator import Translation, TranslationResult, Translator

__all__ = [
    "FORMAT_VERSION", "Bundle", "BundleError", "DecodeOptions", "Hypothesis", "InputError", "ModelInfo",
    "S2SRuntimeError", "Translation", "TranslationResult", "Translator", "beam_search", "default_bundle_path",
    "greedy_decode", "installed_models", "load_bundle",
]
