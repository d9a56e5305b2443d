"""ONNX Runtime sessions with the settings that matter on small CPUs."""

from __future__ import annotations

import os

import onnxruntime as ort

from ..errors import BundleError, InputError

DEVICES = ("cpu", "cuda", "auto")


def providers_for(device: str) -> list[str]:
    available = ort.get_available_providers()
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if device == "cuda":
        if "CUDAExecutionProvider" not in available:
            raise InputError(
                "device 'cuda' needs the onnxruntime-gpu package and a CUDA GPU "
                "(pip install 's2s-onnx[gpu]'); this onnxruntime offers: " + ", ".join(available)
            )
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if device == "auto":
        return (["CUDAExecutionProvider"] if "CUDAExecutionProvider" in available else []) + ["CPUExecutionProvider"]
    raise InputError(f"unknown device {device!r}; expected one of {', '.join(DEVICES)}")


_cuda_libraries_loaded = False


def _load_cuda_libraries() -> None:
    """Load CUDA and cuDNN from the `nvidia-*` pip packages (or torch's, where torch is loaded)
    before the first CUDA session: without it, onnxruntime finds them only on LD_LIBRARY_PATH
    and otherwise falls back to the CPU with a warning nobody reads."""
    global _cuda_libraries_loaded
    if not _cuda_libraries_loaded and hasattr(ort, "preload_dlls"):
        try:
            ort.preload_dlls()
        except Exception:  # what it could not load, the provider check in create_session reports
            pass
    _cuda_libraries_loaded = True


def default_threads() -> int:
    # Two sessions share the cores; more threads than cores only adds contention.
    return max(1, min(os.cpu_count() or 1, 4))


def session_options(threads: int | None) -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Spinning worker threads burn the cores the other session (and the Python loop) need:
    # measured nearly 2x slower decoding with it on, on a 2-core machine.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


def create_session(model: bytes, name: str, device: str = "cpu", threads: int | None = None,
                   external: dict[str, bytes] | None = None) -> ort.InferenceSession:
    """A session over a graph's verified bytes. Loaded from memory, a graph cannot read files
    beside it: its external data can come only from `external` (file name -> verified bytes of
    the bundle); a graph naming any other file fails to load instead of reading it."""
    options = session_options(threads)
    if external:
        import numpy as np

        names = sorted(external)
        buffers = [np.frombuffer(external[n], dtype=np.uint8) for n in names]
        options.add_external_initializers_from_files_in_memory(names, buffers, [len(b) for b in buffers])
    providers = providers_for(device)
    if "CUDAExecutionProvider" in providers:
        _load_cuda_libraries()
    try:
        session = ort.InferenceSession(model, sess_options=options, providers=providers)
    except (InputError, BundleError):
        raise
    except Exception as exc:  # onnxruntime raises its own (non-exported) exception types
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BundleError(f"cannot load {name}: {first_line}") from None
    if device == "cuda" and "CUDAExecutionProvider" not in session.get_providers():
        # onnxruntime falls back to the CPU when the CUDA libraries fail to load; asked for the
        # GPU, the user gets it or an error, never a silent CPU run.
        raise InputError("device 'cuda': onnxruntime could not start its CUDA provider (CUDA 13 and cuDNN 9 "
                         "libraries, e.g. pip install 'onnxruntime-gpu[cuda,cudnn]'); use --device cpu or auto")
    return session
