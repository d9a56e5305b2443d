"""The documents' speed: documents/s and words/s for each format, and what the document layer adds
to the time the same text takes as plain lines, side by side in one run.

    python recipes/documents_bench.py [-m MODEL] [--data ../shared/data] [--sentences 400] [--runs 3]

Each format gets one document made here from the first sentences of Tatoeba test.tsv (held-out
text): every sentence a segment (a PO entry, a cue, a paragraph, a table cell...). The plain
run translates the document's own segments with Translator.translate; the document run is
translate_document (parse, protect the markup, translate, put back, serialise). Best of --runs.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import time
from pathlib import Path

from s2s.runtime import Translator
from s2s.runtime.documents import format_for, translate_document


def _po(sentences: list[str]) -> bytes:
    entries = "".join(f'\nmsgid "{s.replace(chr(34), chr(92) + chr(34))}"\nmsgstr ""\n' for s in sentences)
    return ('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n' + entries).encode()


def _srt(sentences: list[str]) -> bytes:
    return "\n".join(f"{i + 1}\n00:{i // 20:02d}:{i % 20 * 3:02d},000 --> 00:{i // 20:02d}:{i % 20 * 3 + 2:02d},000\n{s}\n"
                     for i, s in enumerate(sentences)).encode()


def _vtt(sentences: list[str]) -> bytes:
    return ("WEBVTT\n\n" + "\n".join(f"00:{i // 20:02d}:{i % 20 * 3:02d}.000 --> 00:{i // 20:02d}:{i % 20 * 3 + 2:02d}.000\n{s}\n"
                                      for i, s in enumerate(sentences))).encode()


def _json(sentences: list[str]) -> bytes:
    return json.dumps({f"key{i}": s for i, s in enumerate(sentences)}, ensure_ascii=False, indent=2).encode()


def _html(sentences: list[str]) -> bytes:
    body = "".join(f"<p>{html.escape(s)}</p>\n" if i % 3 else f"<p><b>{html.escape(s)}</b></p>\n"
                   for i, s in enumerate(sentences))
    return f"<!DOCTYPE html><html lang=\"en\"><body>\n{body}</body></html>\n".encode()


def _markdown(sentences: list[str]) -> bytes:
    return "".join(f"- {s}\n\n" if i % 2 else f"{s}\n\n" for i, s in enumerate(sentences)).encode()


def _xliff(sentences: list[str]) -> bytes:
    units = "".join(f'<trans-unit id="{i}"><source>{html.escape(s)}</source></trans-unit>\n' for i, s in enumerate(sentences))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">'
            f'<file source-language="en" datatype="plaintext" original="x"><body>\n{units}</body></file></xliff>\n').encode()


def _docx(sentences: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for i, sentence in enumerate(sentences):
        paragraph = document.add_paragraph(sentence if i % 4 else "")
        if not i % 4:
            paragraph.add_run(sentence).italic = True
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


MAKERS = {"po": _po, "xliff": _xliff, "srt": _srt, "vtt": _vtt, "json": _json, "html": _html, "markdown": _markdown,
          "docx": _docx}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-m", "--model")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--sentences", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    lines = (args.data / "tatoeba-eng-fra/test.tsv").read_text(encoding="utf-8").splitlines()
    sentences = list(dict.fromkeys(line.split("\t")[0] for line in lines))[: args.sentences]
    translator = Translator.load(args.model)
    translator.translate(sentences[:64])  # warm-up
    print("| format | document s | as plain lines s | layer adds | documents/s | words/s |")
    print("|---|---|---|---|---|---|")
    for name, make in MAKERS.items():
        data = make(sentences)
        segments = format_for(None, name).extract(data).segments
        words = sum(len(s.split()) for s in segments)
        plain = document = float("inf")
        for _ in range(args.runs):
            started = time.perf_counter()
            translator.translate(segments)
            plain = min(plain, time.perf_counter() - started)
            started = time.perf_counter()
            translate_document(translator, data, name)
            document = min(document, time.perf_counter() - started)
        print(f"| {name} ({len(segments)} segments) | {document:.2f} | {plain:.2f} | {100 * (document / plain - 1):+.0f}% "
              f"| {1 / document:.2f} | {words / document:,.0f} |")


if __name__ == "__main__":
    main()
