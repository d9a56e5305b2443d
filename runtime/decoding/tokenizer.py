"""The bundle's tokenizers, read from their `tokenizer.json` without the `tokenizers` package.

Training writes Hugging Face tokenizer files; the runtime applies them with this small pure
Python implementation of exactly the pipeline `s2s-train` builds, so an install of the runtime
stays free of `tokenizers` and the hub client it depends on (~45 MB). The export checks this
implementation against the training tokenizer on real text before it publishes a bundle, and
anything outside the supported pipeline is refused when the file is read, never approximated:

- added (special) tokens, matched in the raw text before normalisation;
- normaliser: NFKC, then control and format characters dropped (tab, CR and LF kept), runs of
  whitespace collapsed to one space, the ends stripped;
- pre-tokeniser: Metaspace ("▁" for spaces, prepended, split before each "▁"), then either
  Punctuation (each punctuation character isolated) or one piece per character;
- model: BPE (ranked merges, optional unknown token) or WordLevel;
- decoder: Metaspace.
"""

from __future__ import annotations

import itertools
import json
import re
import string
import unicodedata
from functools import lru_cache
from pathlib import Path

from ..bundle import unicode_compat
from ..errors import BundleError

# The exact normaliser steps s2s-train writes (tokenization.py), as Python operations.
_CONTROL_PATTERN = r"[\p{Cc}\p{Cf}&&[^\t\n\r]]"
_WHITESPACE_PATTERN = r"\s+"
_ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_WHITESPACE_RUN = re.compile(r"\s+")
_ASCII_PUNCTUATION = frozenset(string.punctuation)
_ASCII_PUNCTUATION_SPLIT = re.compile(f"([{re.escape(string.punctuation)}])")


def _drop_controls(text: str) -> str:
    text = _ASCII_CONTROLS.sub("", text)  # all of Cc (C0 and C1 controls) but tab, LF, CR
    if text.isascii():
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cf" and ord(c) not in unicode_compat.EXTRA_FORMAT)


def _is_punctuation(char: str) -> bool:
    # The `tokenizers` definition: ASCII punctuation (which includes symbols such as $ + < = >)
    # or any Unicode punctuation category (Pc, Pd, Ps, Pe, Pi, Pf, Po), in its Unicode version.
    if char in _ASCII_PUNCTUATION:
        return True
    code = ord(char)
    if code in unicode_compat.NOT_PUNCTUATION:
        return False
    return code in unicode_compat.EXTRA_PUNCTUATION or unicodedata.category(char).startswith("P")


class Tokenizer:
    """Text <-> token ids for one side of a bundle (see the module docstring for what it reads)."""

    def __init__(self, spec: dict) -> None:
        self._normalize = _normalizer(spec.get("normalizer"))
        self._marker, self._prepend, self._split_chars = _pre_tokenizer(spec.get("pre_tokenizer"))
        self._marker_split = re.compile(f"(?={re.escape(self._marker)})")
        decoder = spec.get("decoder") or {}
        if decoder.get("type") != "Metaspace" or decoder.get("replacement") != self._marker:
            raise BundleError(f"unsupported tokenizer decoder: {decoder.get('type')}")
        self._decoder_prepend = decoder.get("prepend_scheme", "always") != "never"
        if spec.get("post_processor") is not None:
            raise BundleError("unsupported tokenizer post-processor")

        model = spec.get("model") or {}
        self._vocab: dict[str, int] = dict(model.get("vocab") or {})
        if not self._vocab:
            raise BundleError("tokenizer has no vocabulary")
        unk = model.get("unk_token")
        self._unk_id = self._vocab.get(unk) if unk is not None else None
        self._kind = model.get("type")
        if self._kind == "BPE":
            for option in ("dropout", "continuing_subword_prefix", "end_of_word_suffix"):
                if model.get(option):
                    raise BundleError(f"unsupported BPE option: {option}")
            if model.get("byte_fallback") or model.get("fuse_unk"):
                raise BundleError("unsupported BPE option: byte_fallback/fuse_unk")
            self._ignore_merges = bool(model.get("ignore_merges"))
            self._merges: dict[tuple[int, int], tuple[int, int]] = {}
            for rank, merge in enumerate(model.get("merges") or []):
                left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
                try:
                    pair = (self._vocab[left], self._vocab[right])
                    self._merges.setdefault(pair, (rank, self._vocab[left + right]))
                except KeyError:
                    raise BundleError(f"tokenizer merge {left!r} + {right!r} is not in its vocabulary") from None
        elif self._kind != "WordLevel":
            raise BundleError(f"unsupported tokenizer model: {self._kind}")

        added = spec.get("added_tokens") or []
        for token in added:
            if token.get("normalized") or token.get("lstrip") or token.get("rstrip") or token.get("single_word"):
                raise BundleError(f"unsupported options on added token {token.get('content')!r}")
            self._vocab.setdefault(token["content"], token["id"])
        self._special_ids = frozenset(t["id"] for t in added if t.get("special"))
        # Longest first: the regex alternation then matches leftmost-longest, like `tokenizers`.
        contents = sorted((t["content"] for t in added), key=len, reverse=True)
        self._added_ids = {t["content"]: t["id"] for t in added}
        self._added_pattern = re.compile("(" + "|".join(map(re.escape, contents)) + ")") if contents else None
        ids = list(self._vocab.values())
        if not set(map(type, ids)) <= {int}:  # not bool either
            raise BundleError("token ids must be integers")
        # Ids are dense (0..n-1); a far larger id would allocate a huge table for nothing.
        if min(ids) < 0 or max(ids) >= 2 * len(ids) + 16:
            raise BundleError(f"token ids must lie in 0..{len(ids) - 1}, found {max(ids) if min(ids) >= 0 else min(ids)}")
        self._tokens: list[str | None] = [None] * (max(ids) + 1)
        for token, index in self._vocab.items():
            self._tokens[index] = token
        self._piece_ids = lru_cache(maxsize=65536)(self._piece_ids_uncached)
        # Most characters of normalised text one token covers (the space marker included).
        self.longest_token = max([len(t) for t in self._vocab if t not in self._added_ids] or [1])

    @classmethod
    def from_file(cls, path: Path) -> "Tokenizer":
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise BundleError(f"cannot read tokenizer {path}: {exc.strerror}") from None
        return cls.from_bytes(data, str(path))

    @classmethod
    def from_bytes(cls, data: bytes, name: str) -> "Tokenizer":
        """A tokenizer from the bytes of a `tokenizer.json`; any problem is a BundleError naming `name`."""
        from ..bundle.manifest import parse_json

        spec = parse_json(data, f"tokenizer {name}")
        if not isinstance(spec, dict):
            raise BundleError(f"{name} is not a tokenizer file")
        try:
            _check_shape(spec)
            return cls(spec)
        except BundleError as exc:
            raise BundleError(f"tokenizer {name}: {exc}") from None

    @property
    def vocab_size(self) -> int:
        return len(self._tokens)

    def token_to_id(self, token: str) -> int | None:
        return self._vocab.get(token)

    def id_to_token(self, index: int) -> str | None:
        return self._tokens[index] if 0 <= index < len(self._tokens) else None

    # ---- encoding ------------------------------------------------------------------------
    def encode(self, text: str, max_tokens: int | None = None) -> list[int]:
        """Token ids of `text` (no special tokens are added).

        With `max_tokens`, the work stops once that many tokens are known, and the result is
        exactly the full encoding's whenever that has at most `max_tokens` tokens (longer texts
        give at least `max_tokens` tokens of a prefix): time stays linear in the length of the
        text, whereas BPE is quadratic in the length of a word. The bound holds because a token
        covers at most `longest_token` characters of normalised text.
        """
        ids: list[int] = []
        segments = self._added_pattern.split(text) if self._added_pattern is not None else [text]
        for index, segment in enumerate(segments):
            if max_tokens is not None and len(ids) >= max_tokens:
                break
            if index % 2:  # a captured added token
                ids.append(self._added_ids[segment])
                continue
            normalized = self._normalize(segment)
            if max_tokens is not None:
                normalized = normalized[: (max_tokens - len(ids)) * self.longest_token]
            if normalized:
                for piece in self._pieces(normalized):
                    if max_tokens is not None and len(ids) >= max_tokens:
                        break
                    ids.extend(self._piece_ids(piece))
        return ids

    def encode_batch(self, texts: list[str], max_tokens: int | None = None) -> list[list[int]]:
        return [self.encode(text, max_tokens) for text in texts]

    def _pieces(self, text: str) -> list[str]:
        text = text.replace(" ", self._marker)
        if self._prepend and not text.startswith(self._marker):
            text = self._marker + text
        # Split before every marker (the marker stays with what follows it).
        pieces = [p for p in self._marker_split.split(text) if p]
        if self._split_chars:
            return [c for piece in pieces for c in piece]
        out = []
        for piece in pieces:
            # The common case (ASCII after the marker, which is not punctuation): one regex split.
            if (piece[1:] if piece[0] == self._marker else piece).isascii():
                out.extend(p for p in _ASCII_PUNCTUATION_SPLIT.split(piece) if p)
                continue
            start = 0
            for i, char in enumerate(piece):
                if _is_punctuation(char):
                    if i > start:
                        out.append(piece[start:i])
                    out.append(char)
                    start = i + 1
            if start < len(piece):
                out.append(piece[start:])
        return out

    def _piece_ids_uncached(self, piece: str) -> tuple[int, ...]:
        if self._kind == "WordLevel":
            index = self._vocab.get(piece, self._unk_id)
            return () if index is None else (index,)
        if self._ignore_merges and piece in self._vocab:
            return (self._vocab[piece],)
        symbols = []
        for char in piece:
            index = self._vocab.get(char, self._unk_id)
            if index is not None:  # without an unknown token, unknown characters are dropped
                symbols.append(index)
        # Apply the lowest-ranked merge among adjacent pairs, leftmost first, until none applies:
        # the order `tokenizers` uses, so the pieces come out identical.
        while len(symbols) > 1:
            best = None
            for i in range(len(symbols) - 1):
                merge = self._merges.get((symbols[i], symbols[i + 1]))
                if merge is not None and (best is None or merge[0] < best[0]):
                    best = (merge[0], i, merge[1])
            if best is None:
                break
            _, i, merged = best
            symbols[i : i + 2] = [merged]
        return tuple(symbols)

    # ---- decoding ------------------------------------------------------------------------
    def decode(self, ids: list[int]) -> str:
        """Text of `ids`; special tokens and unknown ids are left out."""
        return "".join(self.decode_pieces(ids))

    def decode_pieces(self, ids: list[int]) -> list[str]:
        """The text each id contributes to `decode(ids)` ("" for the ones it leaves out), in order:
        where each target token ends in a translation."""
        parts, first = [], True
        for index in ids:
            token = self._tokens[index] if 0 <= index < len(self._tokens) and index not in self._special_ids else None
            if token is None:
                parts.append("")
                continue
            parts.append(token.replace(self._marker, "" if first and self._decoder_prepend else " "))
            first = False
        return parts

    def decode_batch(self, ids: list[list[int]]) -> list[str]:
        return [self.decode(row) for row in ids]


def _check_shape(spec: dict) -> None:
    """The JSON types of every field the tokenizer reads, so a malformed file fails with its field."""
    def objects(value, where: str, optional: bool = True) -> None:
        if not (isinstance(value, dict) or (optional and value is None)):
            raise BundleError(f"{where} must be an object")

    objects(spec.get("model"), "model", optional=False)
    model = spec["model"]
    vocab = model.get("vocab")
    # Type sets, not a Python-level loop per entry: this runs at every start-up, over ~16,000
    # entries (json gives exact types, so `bool` is never mistaken for `int` here).
    if not isinstance(vocab, dict) or not set(map(type, vocab)) <= {str} or not set(map(type, vocab.values())) <= {int}:
        raise BundleError("model.vocab must map token strings to integer ids")
    merges = model.get("merges") or []
    # Type and length sets again (C loops): a per-merge Python check cost 27 ms at every start.
    if not isinstance(merges, list) or not (
            (set(map(type, merges)) <= {str} and all(map(str.__contains__, merges, itertools.repeat(" "))))
            or (set(map(type, merges)) <= {list} and set(map(len, merges)) <= {2}
                and set(map(type, itertools.chain.from_iterable(merges))) <= {str})):
        raise BundleError("model.merges must be a list of 'left right' strings or [left, right] pairs")
    if not isinstance(model.get("unk_token"), (str, type(None))):
        raise BundleError("model.unk_token must be a string")
    added = spec.get("added_tokens") or []
    if not isinstance(added, list) or not all(
            isinstance(t, dict) and isinstance(t.get("content"), str) and t["content"]
            and isinstance(t.get("id"), int) and not isinstance(t.get("id"), bool) for t in added):
        raise BundleError("added_tokens must be a list of {content, id} objects")
    for key in ("normalizer", "pre_tokenizer", "decoder", "post_processor"):
        objects(spec.get(key), key)
    for key, inner in (("normalizer", "normalizers"), ("pre_tokenizer", "pretokenizers")):
        steps = (spec.get(key) or {}).get(inner)
        if steps is not None and not (isinstance(steps, list) and all(isinstance(x, dict) for x in steps)):
            raise BundleError(f"{key}.{inner} must be a list of objects")
        for step in steps or [spec.get(key) or {}]:
            pattern = step.get("pattern")
            if pattern is not None and not (isinstance(pattern, dict) and all(isinstance(v, str) for v in pattern.values())):
                raise BundleError(f"{key} pattern must be an object of strings")
            _check_strings(step, key)
    _check_strings(spec.get("decoder") or {}, "decoder")


_STRING_FIELDS = ("type", "replacement", "prepend_scheme", "behavior", "content")


def _check_strings(step: dict, where: str) -> None:
    for field_name in _STRING_FIELDS:
        if field_name in step and not isinstance(step[field_name], str):
            raise BundleError(f"{where}.{field_name} must be a string")


def _normalizer(spec: dict | None):
    steps = []
    for step in (spec or {}).get("normalizers", [spec] if spec else []):
        kind = step.get("type")
        if kind in ("NFC", "NFD", "NFKC", "NFKD"):
            steps.append(lambda text, form=kind: unicode_compat.normalize(form, text))
        elif kind == "Lowercase":
            steps.append(str.lower)
        elif kind == "Strip" and step.get("strip_left") and step.get("strip_right"):
            steps.append(str.strip)
        elif kind == "Replace" and (step.get("pattern") or {}).get("Regex") == _CONTROL_PATTERN and step.get("content") == "":
            steps.append(_drop_controls)
        elif kind == "Replace" and (step.get("pattern") or {}).get("Regex") == _WHITESPACE_PATTERN:
            # A function, not a template: the content is literal (a backslash in it is not a group).
            steps.append(lambda text, content=step.get("content", " "): _WHITESPACE_RUN.sub(lambda _: content, text))
        else:
            raise BundleError(f"unsupported tokenizer normaliser: {json.dumps(step)[:120]}")

    def normalize(text: str) -> str:
        for apply in steps:
            text = apply(text)
        return text

    return normalize


def _pre_tokenizer(spec: dict | None) -> tuple[str, bool, bool]:
    """-> (space marker, prepend a marker, one piece per character)."""
    steps = (spec or {}).get("pretokenizers", [spec] if spec else [])
    if not steps or steps[0].get("type") != "Metaspace" or not steps[0].get("split", True):
        raise BundleError("unsupported tokenizer pre-tokeniser: expected Metaspace first")
    metaspace = steps[0]
    if metaspace.get("prepend_scheme", "always") not in ("always", "never"):
        raise BundleError(f"unsupported Metaspace prepend scheme: {metaspace.get('prepend_scheme')}")
    marker, prepend = metaspace.get("replacement", "\u2581"), metaspace.get("prepend_scheme", "always") == "always"
    rest = steps[1:]
    if len(rest) == 1 and rest[0].get("type") == "Punctuation" and rest[0].get("behavior") == "Isolated":
        return marker, prepend, False
    if (len(rest) == 1 and rest[0].get("type") == "Split" and (rest[0].get("pattern") or {}).get("Regex") == "."
            and rest[0].get("behavior") == "Isolated"):
        return marker, prepend, True
    raise BundleError("unsupported tokenizer pre-tokeniser after Metaspace: " + json.dumps(rest)[:120])
