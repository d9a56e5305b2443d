"""ICU MessageFormat messages as whole sentences (documents/icu.py)."""

from __future__ import annotations

import pytest

pytest.importorskip("pyicumessageformat")

from pyicumessageformat import Parser  # noqa: E402

from s2s.runtime.documents import icu  # noqa: E402

MESSAGE = "You have {count, plural, =0 {no new message} one {# new message} other {# new messages}} since {day, date, short}."


def test_each_branch_becomes_a_whole_sentence_and_the_message_is_written_back_with_them():
    texts, keep, write = icu.sentences(MESSAGE)
    assert texts == ["You have no new message since {day, date, short}.",
                     "You have # new message since {day, date, short}.",
                     "You have # new messages since {day, date, short}."]
    assert keep == [["{day, date, short}"], ["#", "{day, date, short}"], ["#", "{day, date, short}"]]
    written = write(["Aucun message depuis {day, date, short}.", "# message depuis {day, date, short}.",
                     "# messages depuis {day, date, short}."])
    assert written == ("{count, plural, =0 {Aucun message depuis {day, date, short}.} one {# message depuis "
                       "{day, date, short}.} other {# messages depuis {day, date, short}.}}")
    [node] = Parser().parse(written)
    assert node["type"] == "plural" and list(node["options"]) == ["=0", "one", "other"]


def test_what_the_translation_writes_stays_text():
    texts, _, write = icu.sentences("{n, plural, one {# file} other {# files}}")
    written = write(["# fichier {copie}", "# fichiers de l'été, 'cités'"])
    [node] = Parser().parse(written)
    assert node["options"]["one"][1] == " fichier {copie}"
    assert node["options"]["other"][1] == " fichiers de l'été, 'cités'" and "l'été" in written  # not doubled


def test_a_hash_raised_under_another_plural_is_written_as_its_number():
    texts, _, write = icu.sentences("{a, plural, one {# x} other {# y}} and {b, plural, one {# z} other {# w}}")
    assert texts[0] == "{a, number} x and # z"
    Parser().parse(write(texts))  # the message it writes parses


@pytest.mark.parametrize("message", [
    "bad {n, plural, one {x}",  # no other branch
    "".join(f"{{s{i}, select, a {{A}} other {{B}}}} " for i in range(6)),  # 64 sentences
    "{n, plural, offset:1 one {# x {m, plural, one {y} other {z}}} other {w}}",  # a # under an offset
])
def test_what_cannot_be_written_back_faithfully_is_left_as_it_is(message):
    with pytest.raises(icu.Unsupported):
        icu.sentences(message)


def test_a_message_is_told_from_plain_text():
    assert icu.is_message(MESSAGE) and icu.is_message("{g,select,male{He}other{They}}")
    assert not icu.is_message("Hello {name}, {count} new.")


def test_choices_that_multiply_without_end_stop_at_the_bound():
    # 2 ** 40 sentences if expanded: refused after MAX_SENTENCES, at once.
    message = "".join(f"{{s{i}, select, a {{A}} other {{B}}}}" for i in range(40))
    with pytest.raises(icu.Unsupported, match="more than"):
        icu.sentences(message)


def test_thousands_of_one_branch_choices_are_refused_not_a_crash():
    with pytest.raises(icu.Unsupported):
        icu.sentences("".join(f"{{s{i}, select, other {{x}}}}" for i in range(5000)))
