"""`export_bundle`: checkpoint -> verified model bundle (directory or .zip)."""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import onnx
import torch
from s2s.runtime.bundle.contract import (
    ACTIVATIONS_FIXED_OR_PER_ROW,
    DECODER,
    ENCODER,
    GREEDY,
    SOURCE_TOKENIZER,
    TARGET_TOKENIZER,
)
from s2s.runtime.bundle.manifest import Manifest
from s2s.runtime.bundle.reader import load_bundle
from s2s.runtime.decoding.tokenizer import Tokenizer as RuntimeTokenizer
from s2s.training.checkpoint import Checkpoint, load_checkpoint
from s2s.training.data import read_parallel
from s2s.training.errors import TrainingInputError
from s2s.training.tokenization import encode

from .bounds import bounded_decoder_inputs
from .data_card import training_data_summary
from .errors import ExportError
from .graphs import export_graphs
from .greedy_graph import build_greedy_graph
from .manifest import attribution_for, build_manifest, finalise
from .opsets import DEFAULT_OPSET, SUPPORTED_OPSETS
from .parity import batch_variant_sentences, check_fp32, greedy_agreement, one_call_mismatches, tokenizer_mismatches
from .publish import check_output, publish
from .quantize import activation_counts, quantize_int8
from .shared_weights import share_weights

log = logging.getLogger("s2s.export")

# int8 is accepted when at least this share of sample sentences decode exactly as in fp32.
# Exact sentence agreement is a strict measure (one changed token fails a sentence), and int8
# rounding flips near-tie choices; 80% keeps corpus BLEU within a fraction of a point in practice.
DEFAULT_INT8_AGREEMENT = 0.80


@dataclass
class ExportOptions:
    out: Path
    quantize: str | None = None  # None or "int8"
    opset: int = DEFAULT_OPSET
    zip: bool = False
    force: bool = False
    name: str | None = None
    source_lang: str | None = None
    target_lang: str | None = None
    sample_size: int = 200
    tokenizer_sample_size: int = 5000
    tolerance: float = 1e-4
    min_int8_agreement: float = DEFAULT_INT8_AGREEMENT
    one_call: bool = False  # also write greedy.onnx, the whole greedy decode in one graph
    command: str = ""


@dataclass
class ExportResult:
    path: Path
    manifest: dict


def _sample_pairs(checkpoint: Checkpoint, paths: list[str], size: int) -> tuple[list[str], list[str]]:
    """Up to `size` (source, target) texts, an equal share from the start of each readable corpus."""
    config = checkpoint.train_config
    share = max(1, size // max(len(paths), 1))
    sources: list[str] = []
    targets: list[str] = []
    for path in paths:
        try:
            pairs = read_parallel(path, config.source_lang, config.target_lang)
        except TrainingInputError:
            log.warning("corpus %s not readable; left out of the export checks", path)
            continue
        sources += pairs.sources[:share]
        targets += pairs.targets[:share]
    return sources[:size], targets[:size]


def sample_sources(checkpoint: Checkpoint, size: int) -> list[list[int]]:
    """Token ids of real sentences for the parity checks: validation pairs, else training pairs.
    An export whose checks would cover nothing fails (random ids would prove little)."""
    max_length = checkpoint.model_config.max_target_length
    sources, _ = sample_texts(checkpoint, size)
    ids = [s[:max_length] for s in encode(checkpoint.source_tokenizer, sources) if s]
    if not ids:
        config = checkpoint.train_config
        raise ExportError(f"the export checks need real text, but none of the run's files is readable "
                          f"({', '.join(config.valid + config.train)}); nothing written")
    return ids


def sample_texts(checkpoint: Checkpoint, size: int) -> tuple[list[str], list[str]]:
    """Real (source, target) texts for the tokenizer check: validation pairs, else training pairs."""
    config = checkpoint.train_config
    for paths in (config.valid, config.train):
        sources, targets = _sample_pairs(checkpoint, paths, size)
        if sources:
            return sources, targets
    return [], []


def check_tokenizers(checkpoint: Checkpoint, directory: Path, size: int) -> dict:
    """Fail unless the runtime tokenizer reproduces the training tokenizer on real text."""
    sources, targets = sample_texts(checkpoint, size)
    if not sources:
        config = checkpoint.train_config
        raise ExportError(f"the tokenizer check needs real text, but none of the run's files is readable "
                          f"({', '.join(config.valid + config.train)}); nothing written")
    checked = {}
    for side, reference, name, texts in (("source", checkpoint.source_tokenizer, SOURCE_TOKENIZER, sources),
                                         ("target", checkpoint.target_tokenizer, TARGET_TOKENIZER, targets)):
        mismatches = tokenizer_mismatches(reference, RuntimeTokenizer.from_file(directory / name), texts)
        if mismatches:
            raise ExportError(f"the runtime {side} tokenizer differs from the training one on {len(mismatches)} "
                              f"of {len(texts)} sentences, e.g. {mismatches[0]!r}; nothing written")
        checked[side] = len(texts)
    return checked


def _remove_dead_work_folders() -> None:
    """An export killed with -9 leaves its work folder (graphs, a copy of the weights) in the
    temporary folder: those whose process is gone are deleted by the next export."""
    for path in Path(tempfile.gettempdir()).glob("s2s-export-*-*"):
        match = re.fullmatch(r"s2s-export-(\d+)-.+", path.name)
        if match and path.is_dir():
            try:
                os.kill(int(match.group(1)), 0)
            except ProcessLookupError:
                shutil.rmtree(path, ignore_errors=True)
            except PermissionError:
                pass


def export_bundle(checkpoint_dir: str | Path, options: ExportOptions) -> ExportResult:
    if options.opset not in SUPPORTED_OPSETS:
        raise ExportError(
            f"unsupported opset {options.opset}; supported: {SUPPORTED_OPSETS.start}-{SUPPORTED_OPSETS.stop - 1}"
        )
    if options.quantize not in (None, "int8"):
        raise ExportError(f"unsupported quantisation {options.quantize!r}; supported: int8")
    out = Path(options.out)
    # The name says what is written: a .zip file only with --zip, and never a directory called .zip.
    if options.zip and out.suffix != ".zip":
        raise ExportError(f"--zip writes one .zip file: give -o {out.with_name(out.name + '.zip')}")
    if not options.zip and out.suffix == ".zip":
        raise ExportError(f"-o {out} names a .zip: add --zip to write one, or choose a directory name")
    check_output(out, options.force, Path(checkpoint_dir))
    try:
        checkpoint = load_checkpoint(checkpoint_dir)
    except TrainingInputError as exc:
        raise ExportError(str(exc)) from None
    model = checkpoint.model.eval()
    train = checkpoint.train_config
    # A model with NaN or infinite weights translates everything to nothing, and its parity with
    # PyTorch "holds" (NaN against NaN): refused before anything is exported.
    damaged = [name for name, tensor in model.state_dict().items() if not bool(torch.isfinite(tensor).all())]
    if damaged:
        raise ExportError(f"{checkpoint_dir}: the checkpoint has non-finite weights ({', '.join(damaged[:3])}"
                          f"{'...' if len(damaged) > 3 else ''}); it cannot be exported")
    if not (options.source_lang or train.source_lang) or not (options.target_lang or train.target_lang):
        log.warning("the checkpoint does not say its languages: give --source-lang and --target-lang, or the "
                    "bundle is listed as ?→? and cannot be chosen by language")

    _remove_dead_work_folders()
    with tempfile.TemporaryDirectory(prefix=f"s2s-export-{os.getpid()}-") as work:
        work_dir = Path(work)
        fp32_dir = work_dir / "fp32"
        fp32_dir.mkdir()
        log.info("exporting ONNX graphs (opset %d)", options.opset)
        export_graphs(model, fp32_dir, options.opset)
        for graph in (ENCODER, DECODER):
            try:
                onnx.checker.check_model(str(fp32_dir / graph), full_check=True)
            except Exception as exc:  # onnx raises ValidationError / InferenceError
                raise ExportError(f"{graph} fails onnx.checker: {str(exc).splitlines()[0]}") from None
        checkpoint.source_tokenizer.save(str(fp32_dir / SOURCE_TOKENIZER))
        checkpoint.target_tokenizer.save(str(fp32_dir / TARGET_TOKENIZER))
        tokenizer_sentences = check_tokenizers(checkpoint, fp32_dir, options.tokenizer_sample_size)

        common = dict(
            name=options.name or Path(checkpoint_dir).resolve().parent.name,
            source_lang=options.source_lang or train.source_lang,
            target_lang=options.target_lang or train.target_lang,
            opset=options.opset,
            max_source_length=checkpoint.model_config.max_target_length,
            # From the API (no command line), the call itself is the provenance.
            export_command=options.command or (f"s2s.export.export_bundle({str(checkpoint_dir)!r}, "
                                               f"ExportOptions(quantize={options.quantize!r}, opset={options.opset}))"),
            attribution=attribution_for(train.train),
            training_data=training_data_summary(checkpoint),
        )
        finalise(fp32_dir, build_manifest(checkpoint, precision="fp32", verification={}, **common))

        sources = sample_sources(checkpoint, options.sample_size)
        log.info("checking fp32 parity with PyTorch on %d sentences", len(sources))
        report = check_fp32(model, load_bundle(fp32_dir), sources, tolerance=options.tolerance)
        log.info("fp32 parity: %s", report.summary())
        if not report.passed:
            raise ExportError(f"fp32 parity check failed: {report.summary()}; nothing written")
        verification = {
            "tokenizers": {"identical_sentences": tokenizer_sentences},
            "fp32_parity": {
                "sentences": report.sentences,
                "max_encoder_error": report.max_encoder_error,
                "max_log_prob_error": report.max_log_prob_error,
                "steps_checked": report.steps_checked,
                "tolerance": report.tolerance,
                "greedy_identical": report.sentences - len(report.greedy_mismatches),
                "summary": report.summary(),
            }
        }
        final_dir = fp32_dir
        precision = "fp32"
        if options.quantize == "int8":
            int8_dir = work_dir / "int8"
            int8_dir.mkdir()
            bounded = bounded_decoder_inputs(onnx.load(str(fp32_dir / ENCODER)), onnx.load(str(fp32_dir / DECODER)))
            for graph in (ENCODER, DECODER):
                quantize_int8(fp32_dir / graph, int8_dir / graph, bounded if graph == DECODER else ())
            for name in (SOURCE_TOKENIZER, TARGET_TOKENIZER):
                shutil.copy2(fp32_dir / name, int8_dir / name)
            finalise(int8_dir, build_manifest(checkpoint, precision="int8", verification={}, **common))
            limits = [model.config.decode_length_limit(len(s)) for s in sources]
            agreement = greedy_agreement(load_bundle(fp32_dir), load_bundle(int8_dir), sources, limits)
            fp32_bytes = sum((fp32_dir / g).stat().st_size for g in (ENCODER, DECODER))
            int8_bytes = sum((int8_dir / g).stat().st_size for g in (ENCODER, DECODER))
            log.info("int8: greedy agreement with fp32 %.1f%%, graphs %.1f -> %.1f MB",
                     100 * agreement, fp32_bytes / 1e6, int8_bytes / 1e6)
            if agreement < options.min_int8_agreement:
                raise ExportError(
                    f"int8 greedy agreement with fp32 is {100 * agreement:.1f}%, under the threshold of "
                    f"{100 * options.min_int8_agreement:.0f}%; nothing written (export fp32, or lower --min-int8-agreement)"
                )
            variant = batch_variant_sentences(load_bundle(int8_dir), sources, limits)
            if variant:
                raise ExportError(f"int8 output depends on the batch for {len(variant)} of {len(sources)} sample "
                                  f"sentences (e.g. #{variant[0]}); nothing written")
            verification["int8"] = {
                "sentences": len(sources),
                "greedy_agreement": agreement,
                "threshold": options.min_int8_agreement,
                "fp32_bytes": fp32_bytes,
                "int8_bytes": int8_bytes,
                "size_reduction": 1 - int8_bytes / fp32_bytes,
                "activation_quantisation": ACTIVATIONS_FIXED_OR_PER_ROW,
                "activations": activation_counts(int8_dir),
                "batch_invariant_sentences": len(sources),
            }
            final_dir, precision = int8_dir, "int8"
        if options.one_call:
            verification["one_call"] = add_greedy_graph(final_dir, sources,
                                                        [model.config.decode_length_limit(len(s)) for s in sources])
        manifest = finalise(final_dir, build_manifest(checkpoint, precision=precision, verification=verification, **common))
        load_bundle(final_dir)  # the finished bundle verifies as the runtime will read it
        publish(final_dir, out, options.zip)
    return ExportResult(path=out, manifest=manifest)


def add_greedy_graph(directory: Path, sources: list[list[int]], limits: list[int]) -> dict:
    """Write greedy.onnx into the bundle `directory` (manifest already final for its other
    files) and check it decodes `sources` exactly as the step loop does -> the verification entry."""
    manifest = Manifest.read(directory)  # the check below verifies the files
    graph = build_greedy_graph(onnx.load(str(directory / ENCODER)), onnx.load(str(directory / DECODER)),
                               manifest.architecture.cell, manifest.architecture.attention, manifest.special_ids,
                               manifest.decoding)
    onnx.save(graph, str(directory / GREEDY))
    shared = share_weights(directory, [ENCODER, DECODER, GREEDY])
    log.info("weights.bin: %d initializers, %d distinct, %.1f MB", shared["tensors"], shared["distinct"],
             shared["bytes"] / 1e6)
    finalise(directory, manifest.editable())
    mismatches = one_call_mismatches(load_bundle(directory), sources, limits)
    if mismatches:
        raise ExportError(f"the one-call graph decodes {len(mismatches)} of {len(sources)} sample sentences differently "
                          f"from the step loop (e.g. #{mismatches[0]}); nothing written")
    log.info("one-call graph: identical to the step loop on %d sentences", len(sources))
    return {"sentences": len(sources), "identical": len(sources), "graph_bytes": (directory / GREEDY).stat().st_size,
            "shared_weights": shared}
