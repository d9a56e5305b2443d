"""Runtime: translate with a model bundle using onnxruntime (no PyTorch).

    from s2s.runtime import Translator
    Translator.load().translate(["I am a student."])
"""

from .bundle.contract import FORMAT_VERSION
from .bundle.manifest import Manifest
from .bundle.reader import Bundle, load_bundle
from .bundle.store import ModelInfo, default_bundle_path, installed_models
from .decoding.options import DecodeOptions
from .decoding.search import BeamSearch, GreedySearch, Hypothesis, SearchStrategy, search
from .decoding.translator import Translation, TranslationResult, Translator
from .errors import BundleError, InputError, S2SRuntimeError

__all__ = [
    "FORMAT_VERSION", "BeamSearch", "Bundle", "BundleError", "DecodeOptions", "GreedySearch", "Hypothesis",
    "InputError", "Manifest", "ModelInfo", "S2SRuntimeError", "SearchStrategy", "Translation", "TranslationResult", "Translator",
    "default_bundle_path", "installed_models", "load_bundle", "search",
]
