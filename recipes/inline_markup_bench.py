"""Inline markup inside a sentence (<b>, <a href>): carried through the model as placeholders, or
put back around the words the attention alignment gives (what the document layer does,
runtime/documents/alignment.py). Measured side by side on held-out sentences, with the shipped
model:

    python recipes/inline_markup_bench.py [-m MODEL] [--data ../shared/data] [--sentences 300]

Two kinds of sentence, from Tatoeba test.tsv and test-long.tsv (never trained on):
- name: a name the sentence holds (Tom, Mary...) is wrapped in <b>...</b>. A name comes through
  a translation unchanged, so where the tag belongs is known: around exactly that name.
- span: a random run of 1-3 words is wrapped in <a href>...</a>. Where it belongs has no
  reference; what is measured is whether the link comes back at all, and what carrying it costs
  the translation of the words around it.

For each way: the share of sentences whose tag comes back (once, well nested), the share of names
wrapped exactly, and BLEU of the text with the tags stripped against the reference, next to the
plain translation's BLEU.
"""

from __future__ import annotations

import argparse
import html
import random
import re
from dataclasses import dataclass
from pathlib import Path

from s2s.runtime import Translator
from s2s.runtime.documents import translate_document
from s2s.runtime.documents.markers import glued, marker, spaced

NAMES = ("Tom", "Mary", "John", "Alice", "Boston", "Paris", "London", "Ken", "Jack", "Jane")
LINK = '<a href="https://example.com/page">'


@dataclass
class Case:
    kind: str  # "name" or "span"
    words: list[str]  # the source, split at spaces
    first: int  # the wrapped words: words[first:last + 1]
    last: int
    wrapped: str  # the words inside the tag (a name: exactly the name)
    reference: str

    @property
    def plain(self) -> str:
        return " ".join(self.words)

    def html(self) -> str:
        opening, closing = ("<b>", "</b>") if self.kind == "name" else (LINK, "</a>")
        before = " ".join(self.words[: self.first])
        inside = " ".join(self.words[self.first : self.last + 1])
        after = " ".join(self.words[self.last + 1 :])
        # A name keeps its punctuation outside the tag ("Tom," -> "<b>Tom</b>,").
        head, tail = inside, ""
        if self.kind == "name":
            head, tail = self.wrapped, inside[len(self.wrapped) :]
        else:
            stripped = inside.rstrip(".,!?;:")
            head, tail = stripped, inside[len(stripped) :]
        parts = [html.escape(before), opening + html.escape(head) + closing + html.escape(tail), html.escape(after)]
        return " ".join(p for p in parts if p)


def cases(data: Path, count: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    pairs = []
    for name in ("test.tsv", "test-long.tsv"):
        for line in (data / "tatoeba-eng-fra" / name).read_text(encoding="utf-8").splitlines():
            source, _, reference = line.partition("\t")
            pairs.append((source, reference))
    rng.shuffle(pairs)
    named, spans = [], []
    for source, reference in pairs:
        words = source.split(" ")
        name_at = next((i for i, w in enumerate(words) if re.sub(r"\W+$", "", w) in NAMES), None)
        if name_at is not None and len(named) < count:
            named.append(Case("name", words, name_at, name_at, re.sub(r"\W+$", "", words[name_at]), reference))
        elif len(words) >= 4 and len(spans) < count:
            first = rng.randrange(len(words) - 1)
            last = min(len(words) - 1, first + rng.randrange(3))
            if words[first : last + 1][-1].rstrip(".,!?;:"):
                spans.append(Case("span", words, first, last, "", reference))
        if len(named) == count and len(spans) == count:
            break
    return named + spans


def through_the_document_layer(translator: Translator, batch: list[Case]) -> list[tuple[str, str | None]]:
    """translate_document on one page, a paragraph a sentence -> (text, the tag's text or None)."""
    from bs4 import BeautifulSoup

    page = "<html><body>\n" + "\n".join(f"<p>{case.html()}</p>" for case in batch) + "\n</body></html>\n"
    result = translate_document(translator, page.encode("utf-8"), format="html")
    paragraphs = BeautifulSoup(result.data.decode("utf-8"), "html.parser").find_all("p")
    out = []
    for case, paragraph in zip(batch, paragraphs):
        tags = paragraph.find_all("b" if case.kind == "name" else "a")
        out.append((paragraph.get_text(), tags[0].get_text() if len(tags) == 1 else None))
    return out


def through_placeholders(translator: Translator, batch: list[Case]) -> list[tuple[str, str | None]]:
    """The pair as two markers the model carries as placeholders (standing apart from the words,
    markers.spaced) -> (text, the words between the markers, or None when they did not come back
    once each and in order)."""
    opening, closing = marker(0), marker(1)
    segments = []
    for case in batch:
        source = case.html()
        source = re.sub(r"<(b|a)[^>]*>", opening, source)
        source = re.sub(r"</(b|a)>", closing, html.unescape(source))
        segments.append(spaced(source))
    out = []
    for (_, glue, _), translation in zip(segments, translator.translate([s[0] for s in segments])):
        translation = glued(translation, glue)
        text = translation.replace(opening, "").replace(closing, "")
        if translation.count(opening) == translation.count(closing) == 1 and \
                translation.index(opening) < translation.index(closing):
            out.append((text, translation[translation.index(opening) + 1 : translation.index(closing)]))
        else:
            out.append((text, None))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-m", "--model", default=None, help="Bundle (default: the packaged model).")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--sentences", type=int, default=300, help="Sentences of each kind.")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    import sacrebleu

    translator = Translator.load(args.model)
    all_cases = cases(args.data, args.sentences, args.seed)
    plain = translator.translate([c.plain for c in all_cases], split_sentences=False)
    ways = {"carried as placeholders": through_placeholders(translator, all_cases),
            "attention alignment (the document layer)": through_the_document_layer(translator, all_cases)}
    print(f"model: {translator.bundle.origin}; sentences: "
          + ", ".join(f"{sum(c.kind == k for c in all_cases)} {k}" for k in ("name", "span")))
    print("| way | kind | tag back, well nested | name wrapped exactly | BLEU, tags stripped | plain BLEU |")
    print("|---|---|---|---|---|---|")
    for way, outputs in ways.items():
        for kind in ("name", "span"):
            rows = [(c, o, p) for c, o, p in zip(all_cases, outputs, plain) if c.kind == kind]
            back = sum(o[1] is not None for _, o, _ in rows)
            exact = sum(o[1] == c.wrapped for c, o, _ in rows) if kind == "name" else None
            bleu = sacrebleu.corpus_bleu([o[0] for _, o, _ in rows], [[c.reference for c, _, _ in rows]]).score
            plain_bleu = sacrebleu.corpus_bleu([p for _, _, p in rows], [[c.reference for c, _, _ in rows]]).score
            exact_text = f"{100 * exact / len(rows):.1f}%" if exact is not None else "(no reference)"
            print(f"| {way} | {kind} | {100 * back / len(rows):.1f}% | {exact_text} | {bleu:.2f} | {plain_bleu:.2f} |")


if __name__ == "__main__":
    main()
