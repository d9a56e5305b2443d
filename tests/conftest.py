"""Shared fixtures: a small synthetic translation task and tiny trained checkpoints/bundles.

The task (reverse a string of digit words, written in "English" digits on one side and
"French" digits on the other) is learnable in seconds, so tests train real models.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest


def pytest_configure(config) -> None:
    try:
        import torch
    except ImportError:
        return
    # Tiny models gain nothing from threads; one keeps parallel work on the machine unhurt.
    torch.set_num_threads(1)

EN = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
FR = ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"]


def reversal_pairs(count: int, seed: int, min_len: int = 2, max_len: int = 6) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        digits = [rng.randrange(10) for _ in range(rng.randint(min_len, max_len))]
        pairs.append((" ".join(EN[d] for d in digits) + ".", " ".join(FR[d] for d in reversed(digits)) + "."))
    return pairs


def write_tsv(path: Path, pairs: list[tuple[str, str]]) -> Path:
    path.write_text("".join(f"{s}\t{t}\n" for s, t in pairs), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def task_data(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("data")
    return {
        "train": write_tsv(root / "train.tsv", reversal_pairs(1500, seed=1)),
        "valid": write_tsv(root / "valid.tsv", reversal_pairs(60, seed=2)),
    }


TINY_MODEL = dict(embedding_dim=16, hidden_dim=32, dropout=0.0)


def train_tiny(out: Path, task_data, cell: str = "gru", attention: str = "bahdanau", steps: int = 40, **overrides):
    from s2s.training import TrainConfig
    from s2s.training.trainer import Trainer

    options = dict(TINY_MODEL, cell=cell, attention=attention, layers=overrides.pop("layers", 1),
                   bidirectional=overrides.pop("bidirectional", True), bridge=overrides.pop("bridge", "tanh"))
    if "dropout" in overrides:
        options["dropout"] = overrides.pop("dropout")
    config = TrainConfig(train=[str(task_data["train"])], valid=overrides.pop("valid", [str(task_data["valid"])]), out=str(out),
                         tokenizer="word", vocab_size=64, batch_size=32, epochs=overrides.pop("epochs", 100),
                         max_steps=steps, lr=overrides.pop("lr", 3e-3), threads=1, **overrides)
    trainer = Trainer.start(config, options)
    trainer.run()
    return out


@pytest.fixture(scope="session")
def checkpoint_factory(tmp_path_factory, task_data):
    """checkpoint_factory(cell, attention) -> checkpoint-last/ of a tiny trained model (cached)."""
    cache: dict[tuple, Path] = {}

    def make(cell: str = "gru", attention: str = "bahdanau", layers: int = 1, bidirectional: bool = True,
             bridge: str = "tanh") -> Path:
        key = (cell, attention, layers, bidirectional, bridge)
        if key not in cache:
            out = tmp_path_factory.mktemp(f"run-{cell}-{attention}-{layers}-{int(bidirectional)}-{bridge}")
            train_tiny(out, task_data, cell, attention, layers=layers, bidirectional=bidirectional, bridge=bridge)
            cache[key] = out / "checkpoint-last"
        return cache[key]

    return make


@pytest.fixture(scope="session")
def bundle_factory(tmp_path_factory, checkpoint_factory):
    """bundle_factory(cell, attention, quantize=None) -> exported, verified bundle directory (cached)."""
    from s2s.export import ExportOptions, export_bundle

    cache: dict[tuple, Path] = {}

    def make(cell: str = "gru", attention: str = "bahdanau", quantize: str | None = None, layers: int = 1) -> Path:
        key = (cell, attention, quantize, layers)
        if key not in cache:
            out = tmp_path_factory.mktemp("bundles") / f"{cell}-{attention}-{quantize}-{layers}"
            export_bundle(checkpoint_factory(cell, attention, layers), ExportOptions(
                out=out, quantize=quantize, sample_size=40, source_lang="en", target_lang="fr"))
            cache[key] = out
        return cache[key]

    return make


@pytest.fixture(scope="session")
def make_pairs():
    """make_pairs(count, seed) -> synthetic (source, target) pairs."""
    return reversal_pairs


@pytest.fixture
def trainer_run():
    """trainer_run(out, task_data, cell=..., attention=..., steps=..., **train_options) -> out."""
    return train_tiny


# ---- a bundle trained with placeholders: names it never saw, carried as placeholders ---------
PROTECTION_EN = ["one", "two", "three", "four", "five"]
PROTECTION_FR = ["un", "deux", "trois", "quatre", "cinq"]


def protection_name(rng: random.Random) -> str:
    return rng.choice("BCDFGKLMNPRSTVZ") + "".join(rng.choice("aeiou") + rng.choice("klmnrst") for _ in range(2))


def protection_pairs(count: int, seed: int) -> list[tuple[str, str]]:
    """'NAME says one two .' -> 'NAME dit un deux .', a new made-up name each time."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        name, digits = protection_name(rng), [rng.randrange(5) for _ in range(rng.randint(1, 3))]
        pairs.append((f"{name} says {' '.join(PROTECTION_EN[d] for d in digits)} .",
                      f"{name} dit {' '.join(PROTECTION_FR[d] for d in digits)} ."))
    return pairs


@pytest.fixture(scope="session")
def protecting_bundle(tmp_path_factory):
    from s2s.export import ExportOptions, export_bundle
    from s2s.training import TrainConfig
    from s2s.training.trainer import Trainer

    root = tmp_path_factory.mktemp("protecting")
    train = root / "train.tsv"
    train.write_text("".join(f"{s}\t{t}\n" for s, t in protection_pairs(1500, seed=1)), encoding="utf-8")
    config = TrainConfig(train=[str(train)], valid=[str(train)], out=str(root / "run"), tokenizer="bpe",
                         vocab_size=120, batch_size=32, epochs=20, lr=5e-3, label_smoothing=0.0, threads=1,
                         early_stopping=0, placeholders=1.0, valid_bleu_samples=20)
    Trainer.start(config, dict(cell="gru", attention="luong", embedding_dim=32, hidden_dim=64, dropout=0.0)).run()
    export_bundle(root / "run" / "checkpoint-last", ExportOptions(out=root / "bundle", sample_size=20,
                                                                  source_lang="en", target_lang="fr"))
    return root / "bundle"




@pytest.fixture(scope="session")
def make_protection_pairs():
    """make_protection_pairs(count, seed) -> ("NAME says one two .", "NAME dit un deux .") pairs."""
    return protection_pairs


def docx_package(paragraphs_xml: str, media: bytes | None = None) -> bytes:
    """A minimal Word document: `paragraphs_xml` (w:p elements) as its body, and a stored media part."""
    import io
    import zipfile

    body = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats'
            f'.org/wordprocessingml/2006/main"><w:body>{paragraphs_xml}</w:body></w:document>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", body)
        if media is not None:
            package.writestr(zipfile.ZipInfo("word/media/image1.png"), media)
    return out.getvalue()


@pytest.fixture(scope="session")
def make_docx():
    """make_docx(paragraphs_xml, media=None) -> the bytes of a minimal .docx."""
    return docx_package
