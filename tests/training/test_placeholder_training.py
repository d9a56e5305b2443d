"""Placeholder training: which spans become placeholders, tokenizers that keep them whole, and a
tiny model that learns to carry them."""

from __future__ import annotations


import pytest

from s2s.runtime.bundle.placeholders import PLACEHOLDERS, placeholder, shown
from s2s.training import TrainConfig
from s2s.training.checkpoint import load_checkpoint
from s2s.training.decoding import greedy_decode
from s2s.training.errors import TrainingInputError
from s2s.training.placeholder_training import add_placeholders, check_atomic, tokenizer_seed_lines
from s2s.training.tokenization import encode, train_tokenizer
from s2s.training.trainer import Trainer


def _only(source: str, target: str, **kwargs) -> tuple[str, str]:
    out = add_placeholders([source], [target], 1.0, seed=7, **kwargs)
    return shown(out.sources[0]), shown(out.targets[0])


def _numbers(text: str) -> list[str]:
    import re

    return re.findall(r"⟦\d+⟧", text)


def test_identical_names_numbers_and_codes_become_the_same_placeholder_on_both_sides():
    source, target = _only("Olga flew LH1234 to Lisbon in 2019.", "Olga a pris le LH1234 pour Lisbonne en 2019.")
    assert "Olga" not in source and "LH1234" not in source and "2019" not in source
    assert "Lisbon" in source and "Lisbonne" in target  # not written the same: translated, not protected
    assert _numbers(source) == _numbers(target) and len(set(_numbers(source))) == 3
    assert source.endswith("in " + _numbers(source)[2] + ".")


def test_lowercase_words_and_partial_matches_stay():
    source, target = _only("Tom's dog is a six-year-old.", "Le chien de Tom a six ans.")
    p = _numbers(source)[0]
    # The possessive is not part of the name; "six" is a number word, and no languages were given.
    assert (source, target) == (f"{p}'s dog is a six-year-old.", f"Le chien de {p} a six ans.")
    source, target = _only("Is it Annabel?", "Est-ce Anna ?")
    assert _numbers(source) == [] and target == "Est-ce Anna ?"  # words match whole, never in part
    source, target = _only("Tom has six dogs.", "Tom a six chiens.", source_lang="en", target_lang="fr")
    assert len(_numbers(source)) == 2 and _numbers(source) == _numbers(target)


def test_number_words_only_where_both_sides_say_the_same_number():
    _, target = _only("I have three cats.", "J'ai quatre chats.", source_lang="en", target_lang="fr")
    assert _numbers(target) == []
    source, target = _only("I have three cats.", "J'ai trois chats.", source_lang="en", target_lang="fr")
    assert source == f"I have {_numbers(source)[0]} cats." and target == f"J'ai {_numbers(source)[0]} chats."


def test_share_and_seed_decide_which_pairs_and_numbers():
    sources = [f"Tom saw Mary {i} times." for i in range(2000)]
    targets = [f"Tom a vu Mary {i} fois." for i in range(2000)]
    half = add_placeholders(sources, targets, 0.5, seed=1)
    assert 900 < half.pairs_with_placeholders < 1100
    assert half.sources == add_placeholders(sources, targets, 0.5, seed=1).sources  # deterministic
    assert half.sources != add_placeholders(sources, targets, 0.5, seed=2).sources
    everything = add_placeholders(sources, targets, 1.0, seed=1)
    used = {c for s in everything.sources for c in s if c in PLACEHOLDERS}
    assert used == set(PLACEHOLDERS)  # every placeholder is learnt, not only the first few
    none = add_placeholders(sources, targets, 0.0, seed=1)
    assert none.sources == sources and none.pairs_with_placeholders == 0
    with pytest.raises(TrainingInputError):
        add_placeholders(sources, targets, 1.5, seed=1)


def test_at_most_sixteen_placeholders_in_a_pair():
    names = [f"N{i}x" for i in range(20)]
    out = add_placeholders([" ".join(names)], [" ".join(names)], 1.0, seed=3)
    assert len(_numbers(shown(out.sources[0]))) == 16 and out.sources[0].endswith("N19x")


def test_trained_tokenizers_keep_each_placeholder_one_token():
    texts = ["the cat sleeps", "a dog barks", "Tom runs"] * 50
    tokenizer = train_tokenizer([*texts, *tokenizer_seed_lines()], "bpe", 200)
    check_atomic(tokenizer)
    ids = encode(tokenizer, [f"the cat {placeholder(3)} ({placeholder(12)})."])[0]
    tokens = [tokenizer.id_to_token(i) for i in ids]
    assert "\u2581" + placeholder(3) in tokens and placeholder(12) in tokens
    with pytest.raises(TrainingInputError, match="splits placeholder"):
        check_atomic(train_tokenizer(texts, "bpe", 200))  # without the seed lines: no "▁⟦n⟧" merge


def test_a_tiny_model_learns_to_carry_any_placeholder_to_its_place(tmp_path, make_protection_pairs):
    """Names never repeat enough to be learnt; with --placeholders the model carries the
    placeholder standing for them, whichever of the 16 it is, to the right place."""
    train = tmp_path / "train.tsv"
    train.write_text("".join(f"{s}\t{t}\n" for s, t in make_protection_pairs(1500, seed=1)), encoding="utf-8")
    config = TrainConfig(train=[str(train)], out=str(tmp_path / "run"), tokenizer="bpe", vocab_size=120,
                         batch_size=32, epochs=20, lr=5e-3, label_smoothing=0.0, threads=1, early_stopping=0,
                         placeholders=1.0)
    trainer = Trainer.start(config, dict(cell="gru", attention="luong", embedding_dim=32, hidden_dim=64, dropout=0.0))
    trainer.run()
    checkpoint = load_checkpoint(tmp_path / "run" / "checkpoint-last")
    assert checkpoint.train_config.placeholders == 1.0
    cases = [(placeholder(n), f"{placeholder(n)} says two three .", f"{placeholder(n)} dit deux trois .")
             for n in range(1, 17)]
    sources = encode(checkpoint.source_tokenizer, [s for _, s, _ in cases])
    outputs = checkpoint.target_tokenizer.decode_batch(greedy_decode(checkpoint.model, sources))
    carried = sum(out.startswith(p) and out.count(p) == 1 for (p, _, _), out in zip(cases, outputs))
    assert carried >= 15, [shown(o) for o in outputs]
