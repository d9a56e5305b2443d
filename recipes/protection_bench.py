"""The protection benchmark: do names, numbers, codes, addresses and glossary terms come through?

    python recipes/protection_bench.py -m models/eng-fra [--data ../shared/data] [--no-protect] [--json FILE]

English sources only. The set is made here, deterministically, from the held-out test files
(never train or valid) and from templates:
  - 200 template sentences with phone numbers, e-mail addresses, URLs, codes, versions, times,
    dates, prices, paths, names and places;
  - 200 real test sentences (Tatoeba test.tsv and test-long.tsv, Multi30k test_2016_flickr.en)
    whose "Tom"/"Mary" become rare names and whose number words two..twelve become digits;
  - every test sentence holding one of the glossary's source terms, translated with the glossary.
An item counts as kept when the output holds it verbatim as often as the source does; a line
counts when it keeps all of its items. Prints the figures (docs/quality.md, "Protection").
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from s2s.runtime import Translator

NAMES = ["Olga", "Jonas", "Ingrid", "Ravi", "Aiko", "Tadeusz", "Siobhan", "Kwame", "Björn", "Mei", "Emeka", "Zofia",
         "Anouk", "Farid", "Leilani", "Dmitri", "Keanu", "Saoirse", "Thandiwe", "Yusuf", "Ilse", "Matteo", "Priya",
         "Oksana", "Joaquín", "Nkechi", "Astrid", "Hamid", "Wiremu", "Ludmila", "Maria", "Sven", "Noor", "Ayumi"]
PLACES = ["Lisbon", "Tbilisi", "Gdańsk", "Porto", "Nairobi", "Osaka", "Reykjavik", "Valparaíso", "Tromsø", "Kraków",
          "Ljubljana", "Mombasa", "Cusco", "Hanoi", "Bergen", "Toulouse"]
DOMAINS = ["example.com", "acme.org", "mail.example.net", "shop.example.fr"]
TEMPLATES = [
    "Call {name} at {phone} tomorrow.", "Send the report to {email} today.", "Visit {url} for details.",
    "Flight {code} leaves at {time} from gate {gate}.", "Version {version} fixes the login bug.",
    "{name} moved to {place} in {year}.", "The meeting is on {date} at {time}.", "It costs {money} per month.",
    "Open {path} and check the settings.", "Ticket {ticket} was closed by {name}.", "Please write to {email}.",
    "{name} bought {num} apples and {num2} eggs at the market.", "My number is {phone}.",
    "The package {code} arrived in {place} on {date}.", "Download it from {url} before {date}.",
    "{name} and {name2} live in {place}.", "Order {ticket} is {num} days late.", "I paid {money} for it.",
    "The file is in {path}.", "Ask {name} about version {version}.", "The train to {place} leaves at {time}.",
    "We need {num} chairs for {num2} people.", "Room {gate} is on the {ordinal} floor.", "She was born in {year}.",
]
NUMBER_WORDS = {"two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
                "nine": "9", "ten": "10", "eleven": "11", "twelve": "12"}
GLOSSARY = {"invoice": "facture", "meeting": "réunion", "car": "bagnole", "book": "bouquin", "house": "baraque",
            "doctor": "toubib"}


def _fill(template: str, rng: random.Random) -> tuple[str, list[str]]:
    values = {
        "name": rng.choice(NAMES), "name2": rng.choice(NAMES), "place": rng.choice(PLACES),
        "phone": " ".join(f"{rng.randrange(100):02d}" for _ in range(5)),
        "email": f"{rng.choice(['billing', 'anna.k', 'support', 'j.doe'])}@{rng.choice(DOMAINS)}",
        "url": f"https://{rng.choice(DOMAINS)}/{rng.choice(['help', 'docs/start', 'a/b?id=7', 'fr'])}",
        "code": f"{rng.choice(['LH', 'AF', 'BA', 'KL'])}{rng.randrange(100, 9999)}",
        "gate": f"{rng.choice('ABCDE')}{rng.randrange(1, 60)}", "time": f"{rng.randrange(24):02d}:{rng.randrange(60):02d}",
        "version": f"{rng.randrange(1, 10)}.{rng.randrange(10)}.{rng.randrange(10)}", "year": str(rng.randrange(1950, 2030)),
        "date": f"{rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}/{rng.randrange(2000, 2030)}",
        "money": rng.choice(["$", "€", "£"]) + str(rng.randrange(2, 999)),
        "path": rng.choice(["~/docs/report.txt", "/etc/hosts", "C:\\Users\\me\\notes.txt", "./build/app.log"]),
        "ticket": f"#{rng.randrange(1000, 99999)}", "num": str(rng.randrange(2, 100)), "num2": str(rng.randrange(100, 999)),
        "ordinal": rng.choice(["first", "second", "third"]),
    }
    used = [key for key in re.findall(r"\{(\w+)\}", template) if key != "ordinal"]
    return template.format(**values), [values[key] for key in used]


def _test_sentences(data: Path) -> list[str]:
    sentences = []
    for name in ("tatoeba-eng-fra/test.tsv", "tatoeba-eng-fra/test-long.tsv"):
        sentences += [line.split("\t")[0] for line in (data / name).read_text(encoding="utf-8").splitlines() if line]
    sentences += (data / "multi30k/test_2016_flickr.en").read_text(encoding="utf-8").splitlines()
    return list(dict.fromkeys(sentences))  # each English sentence once


def _real(sentences: list[str], rng: random.Random, count: int) -> list[tuple[str, list[str]]]:
    pattern = re.compile(r"\b(Tom|Mary|" + "|".join(NUMBER_WORDS) + r")\b")
    cases = []
    for sentence in sentences:
        if not pattern.search(sentence):
            continue
        names = {"Tom": rng.choice(NAMES), "Mary": rng.choice(NAMES)}
        items: list[str] = []

        def swap(match: re.Match) -> str:
            word = match.group(1)
            value = names.get(word) or NUMBER_WORDS[word]
            items.append(value)
            return value

        cases.append((pattern.sub(swap, sentence), items))
    rng.shuffle(cases)
    return cases[:count]


def _kept(output: str, source: str, item: str) -> bool:
    return output.count(item) >= source.count(item)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-m", "--model", default=None)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--no-protect", action="store_true")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    translator = Translator.load(args.model)
    protect = not args.no_protect
    cases = [_fill(TEMPLATES[i % len(TEMPLATES)], rng) for i in range(200)]
    sentences = _test_sentences(args.data)
    cases += _real(sentences, rng, 200)
    outputs = translator.translate([s for s, _ in cases], protect=protect)
    items = kept = lines_all = 0
    by_kind: dict[str, list[int]] = {"template": [0, 0], "real": [0, 0]}
    failures = []
    for index, ((source, wanted), output) in enumerate(zip(cases, outputs)):
        ok = [_kept(output, source, item) for item in wanted]
        items += len(ok)
        kept += sum(ok)
        lines_all += all(ok)
        group = by_kind["template" if index < 200 else "real"]
        group[0] += len(ok)
        group[1] += sum(ok)
        if not all(ok) and len(failures) < 12:
            failures.append({"source": source, "output": output, "lost": [i for i, k in zip(wanted, ok) if not k]})
    glossary_sources = [s for s in sentences
                        if any(re.search(rf"(?<!\w){t}(?!\w)", s, re.IGNORECASE) for t in GLOSSARY)][:300]
    glossary_out = translator.translate(glossary_sources, glossary=GLOSSARY if protect else None, protect=protect) \
        if translator.bundle.manifest.protects or not protect else []
    wanted_terms = [[target for source, target in GLOSSARY.items() if re.search(rf"(?<!\w){source}(?!\w)", s, re.IGNORECASE)]
                    for s in glossary_sources]
    glossary_hits = sum(all(t in out for t in terms) for out, terms in zip(glossary_out, wanted_terms))
    summary = {
        "model": str(translator.bundle.origin), "protect": protect and translator.bundle.manifest.protects,
        "lines": len(cases), "items": items, "items_kept": kept, "items_kept_percent": round(100 * kept / items, 2),
        "lines_keeping_all": lines_all, "lines_keeping_all_percent": round(100 * lines_all / len(cases), 2),
        "template_items_kept_percent": round(100 * by_kind["template"][1] / by_kind["template"][0], 2),
        "real_items_kept_percent": round(100 * by_kind["real"][1] / by_kind["real"][0], 2),
        "glossary_lines": len(glossary_out), "glossary_lines_with_terms": glossary_hits,
        "glossary_percent": round(100 * glossary_hits / len(glossary_out), 2) if glossary_out else None,
        "failures": failures,
    }
    text = json.dumps(summary, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
