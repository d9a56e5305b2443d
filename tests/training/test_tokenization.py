import pytest

from s2s.training.tokenization import PAD_ID, SOS_ID, EOS_ID, UNK_ID, decode, encode, train_tokenizer

FRENCH = ["Je suis étudiant.", "Qu'est-ce que c'est ?", "L'homme a faim.", "Où est la gare ?",
          "Elle a été très gentille.", "Nous sommes allés à l'école."] * 20


@pytest.mark.parametrize("kind", ["bpe", "word", "char"])
def test_specials_have_fixed_ids(kind):
    tokenizer = train_tokenizer(FRENCH, kind, 200)
    assert [tokenizer.token_to_id(t) for t in ("<pad>", "<sos>", "<eos>", "<unk>")] == [PAD_ID, SOS_ID, EOS_ID, UNK_ID]


@pytest.mark.parametrize("kind", ["bpe", "word", "char"])
def test_decoding_restores_normal_text(kind):
    tokenizer = train_tokenizer(FRENCH, kind, 300)
    texts = ["Je suis étudiant.", "Qu'est-ce que c'est ?", "Nous sommes allés à l'école."]
    decoded = decode(tokenizer, encode(tokenizer, texts))
    assert decoded == texts
    assert not any("▁" in t or "##" in t for t in decoded)


@pytest.mark.parametrize("kind", ["bpe", "word", "char"])
def test_any_unicode_encodes(kind):
    tokenizer = train_tokenizer(FRENCH, kind, 200)
    weird = ["😀🚀", "東京は大きい", "a\x00b\x07c\u200b", "", "   ", "\t\n", "e\u0301t\u00e9", "ﬁn"]
    ids = encode(tokenizer, weird)
    assert len(ids) == len(weird)
    assert ids[3] == [] and ids[4] == [] and ids[5] == []
    # NFKC: the ligature becomes "fi", the combining accent composes with its letter
    assert decode(tokenizer, [encode(tokenizer, ["été"])[0]]) == decode(tokenizer, [ids[6]])
