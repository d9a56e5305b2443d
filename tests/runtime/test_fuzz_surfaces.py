"""Random inputs on the newer surfaces: bundle files of every kind, glossary files, documents of
every format, and protection. Each case ends in a result or in the project's own error (one line
for a user), never another exception, and never hangs. Seeded and bounded like test_fuzz.py
(S2S_FUZZ_CASES, S2S_FUZZ_SEED)."""

from __future__ import annotations

import os
import random
import shutil
import signal

import pytest

from s2s.runtime import Translator
from s2s.runtime.bundle.reader import load_bundle
from s2s.runtime.errors import BundleError, S2SRuntimeError
from s2s.runtime.decoding.protection import Protector, Terms, read_glossary, restore

CASES = int(os.environ.get("S2S_FUZZ_CASES", "150"))
SEED = int(os.environ.get("S2S_FUZZ_SEED", "20261204"))


@pytest.fixture
def deadline():
    """Fail, rather than hang, a case that blocks (a FIFO opened for reading, an endless read)."""
    def expire(signum, frame):
        raise TimeoutError("the case blocked")

    previous = signal.signal(signal.SIGALRM, expire)
    yield lambda seconds: signal.alarm(seconds)
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _odd_file(path, kind: str, tmp_path) -> None:
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "zero":
        path.symlink_to("/dev/zero")
    elif kind == "outside":
        outside = tmp_path / f"outside-{path.name}"
        outside.write_bytes(b"{}")
        path.symlink_to(outside)
    elif kind == "folder":
        path.mkdir()
    elif kind == "sparse":
        with open(path, "wb") as handle:
            handle.truncate(3 << 30)
    elif kind == "empty":
        path.write_bytes(b"")


@pytest.mark.parametrize("kind", ["fifo", "zero", "outside", "folder", "sparse", "empty"])
@pytest.mark.parametrize("name", ["model.json", "encoder.onnx", "decoder.onnx", "source.tokenizer.json"])
def test_every_kind_of_bundle_file_is_refused_quickly(bundle_factory, tmp_path, deadline, kind, name):
    copy = tmp_path / "bundle"
    shutil.copytree(bundle_factory("gru", "luong", quantize="int8"), copy)
    if not (copy / name).exists():
        pytest.skip(f"this bundle has no {name}")
    _odd_file(copy / name, kind, tmp_path)
    deadline(20)
    with pytest.raises(BundleError):
        load_bundle(copy)


def _mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        action = rng.random()
        position = rng.randrange(len(data) + 1)
        if action < 0.3 and data:
            data[min(position, len(data) - 1)] = rng.randrange(256)
        elif action < 0.55:
            data[position:position] = rng.choice([b"\t", b"\n", b"\xff", b"\x00", b"<", b"\"", b"{", b"%s", b"\r\n",
                                                  "é".encode(), b"msgid ", b"-->", b"```", "\ue001".encode()])
        elif action < 0.75:
            del data[position:position + rng.randint(1, 40)]
        else:
            data = data[:position]
    return bytes(data)


def test_glossary_files_parse_or_refuse_in_one_error(tmp_path):
    rng = random.Random(SEED)
    seed = "invoice\tfacture\n# comment\nNew York\tNew York City\n\nmeeting\tréunion\n".encode()
    path = tmp_path / "terms.tsv"
    for _ in range(CASES):
        path.write_bytes(_mutate(seed, rng))
        try:
            pairs = read_glossary(path)
        except S2SRuntimeError:
            continue
        assert all(s.strip() and t.strip() for s, t in pairs)
        Terms.of(pairs)  # what parses is usable


DOCUMENTS = {
    "po": b'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "one two %s ."\nmsgstr ""\n',
    "srt": b"1\n00:00:01,000 --> 00:00:02,000\none two\n\n2\n00:00:02,500 --> 00:00:04,000\nthree .\n",
    "vtt": b"WEBVTT\n\nNOTE x\n\n00:01.000 --> 00:02.000\none two .\n",
    "json": b'{"a": "one two .", "b": ["three {n} ."], "c": 3}\n',
    "html": b"<html lang='en'><body><p>one <b>two</b> .</p><img alt='three .'></body></html>",
    "markdown": b"# one two\n\nthree `x` [four](u) .\n\n| a | b |\n|---|---|\n| one | two |\n",
    "xliff": (b'<?xml version="1.0"?><xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"><file>'
              b'<body><trans-unit id="1"><source>one <g id="1">two</g> .</source></trans-unit></body></file></xliff>'),
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_damaged_documents_translate_or_refuse_in_one_error(bundle_factory, deadline, name):
    pytest.importorskip({"po": "polib", "srt": "srt", "html": "bs4", "markdown": "markdown_it",
                         "xliff": "lxml"}.get(name, "json"))
    from s2s.runtime.documents import translate_document

    translator = Translator.load(bundle_factory("gru", "bahdanau"))
    rng = random.Random(f"{SEED}-{name}")
    for _ in range(max(10, CASES // 5)):
        data = _mutate(DOCUMENTS[name], rng)
        deadline(30)
        try:
            out = translate_document(translator, data, name)
        except S2SRuntimeError:
            continue
        assert isinstance(out.data, bytes)


def test_protecting_then_restoring_an_untouched_text_gives_it_back():
    rng = random.Random(SEED)
    pieces = ["Olga", "3", "12.5%", "$5", "https://x.org/a?b=1", "a@b.co", "~/f.txt", "LH123", "#42", "the", "cat",
              "and", ",", ".", " ", "  ", "06 12 34 56 78", "\ue005", "é", "Zoë", "New York", "invoice", "(", ")"]
    protector = Protector(lambda word: word.lower() in {"the", "cat", "and"},
                          Terms.of({"invoice": "facture"}, ["New York"]))
    for _ in range(CASES):
        text = "".join(rng.choice(pieces) + rng.choice(["", " "]) for _ in range(rng.randint(1, 25)))
        protected = protector.protect(text)
        expected = text
        for item in protected.items:
            if item.kind == "glossary":
                expected = None  # the glossary's target term replaces the source: not an identity
        if expected is not None:
            assert restore(protected, protected.text).text == text
        assert len(protected.items) <= 16
