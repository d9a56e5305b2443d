"""Subword, word and character tokenizers, trained with Hugging Face `tokenizers`.

Every tokenizer uses the same special tokens at fixed ids, NFKC normalisation, and a
SentencePiece-style space marker ("▁") so that decoding restores the original spacing
exactly (French "Qu'est-ce ?" keeps its space before "?", "l'homme" keeps none).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

PAD, SOS, EOS, UNK = "<pad>", "<sos>", "<eos>", "<unk>"
SPECIAL_TOKENS: tuple[str, ...] = (PAD, SOS, EOS, UNK)
PAD_ID, SOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3

_SPACE_MARKER = "\u2581"


def _normalizer() -> normalizers.Normalizer:
    # NFKC folds compatibility forms; control characters (other than tab/newline, which are
    # whitespace) would become unknown tokens at best, so they are dropped; runs of whitespace
    # collapse to one space so spacing in the output reads normally.
    return normalizers.Sequence(
        [
            normalizers.NFKC(),
            normalizers.Replace(Regex(r"[\p{Cc}\p{Cf}&&[^\t\n\r]]"), ""),
            normalizers.Replace(Regex(r"\s+"), " "),
            normalizers.Strip(),
        ]
    )


def _pre_tokenizer(kind: str) -> pre_tokenizers.PreTokenizer:
    metaspace = pre_tokenizers.Metaspace(replacement=_SPACE_MARKER, prepend_scheme="always")
    if kind == "char":
        return pre_tokenizers.Sequence([metaspace, pre_tokenizers.Split(Regex(r"."), behavior="isolated")])
    # Punctuation is isolated so "student." and "student" share a token; the space marker
    # stays attached to whatever followed a space, which is what makes decoding exact.
    return pre_tokenizers.Sequence([metaspace, pre_tokenizers.Punctuation(behavior="isolated")])


def train_tokenizer(texts: Iterable[str], kind: str = "bpe", vocab_size: int = 8000) -> Tokenizer:
    """Train a tokenizer of `kind` ("bpe", "word" or "char") on `texts`.

    `vocab_size` is an upper bound (special tokens included); word and char vocabularies keep
    the most frequent entries.
    """
    if kind == "bpe":
        model = models.BPE(unk_token=UNK)
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size, special_tokens=list(SPECIAL_TOKENS), min_frequency=2, show_progress=False
        )
    elif kind in ("word", "char"):
        model = models.WordLevel(unk_token=UNK)
        trainer = trainers.WordLevelTrainer(
            vocab_size=vocab_size, special_tokens=list(SPECIAL_TOKENS), min_frequency=1, show_progress=False
        )
    else:
        raise ValueError(f"unknown tokenizer kind {kind!r}; expected bpe, word or char")
    tokenizer = Tokenizer(model)
    tokenizer.normalizer = _normalizer()
    tokenizer.pre_tokenizer = _pre_tokenizer(kind)
    tokenizer.decoder = decoders.Metaspace(replacement=_SPACE_MARKER, prepend_scheme="always")
    tokenizer.train_from_iterator(texts, trainer=trainer)
    check_special_ids(tokenizer)
    return tokenizer


def check_special_ids(tokenizer: Tokenizer) -> None:
    """Raise ValueError unless the special tokens sit at their fixed ids."""
    for expected_id, token in enumerate(SPECIAL_TOKENS):
        actual = tokenizer.token_to_id(token)
        if actual != expected_id:
            raise ValueError(f"tokenizer has {token} at id {actual}, expected {expected_id}")


def encode(tokenizer: Tokenizer, texts: list[str]) -> list[list[int]]:
    """Token ids of each text, without specials."""
    return [enc.ids for enc in tokenizer.encode_batch(texts, add_special_tokens=False)]


def decode(tokenizer: Tokenizer, ids: list[list[int]]) -> list[str]:
    """Texts of token id lists (special tokens are dropped)."""
    return tokenizer.decode_batch(ids, skip_special_tokens=True)


def load_tokenizer(path: Path) -> Tokenizer:
    tokenizer = Tokenizer.from_file(str(path))
    check_special_ids(tokenizer)
    return tokenizer
