"""Build a model's training mix: cleaned, deduplicated, weighted, and kept apart from every held-out set.

    python recipes/data/build_mix.py recipes/data/mix-eng-fra.tsv -o data/mix/eng-fra --languages en fr \
        [--data ../shared/data] [--harvest data/debian] [--reverse]

The mix file lists the sources, a line each (`#` starts a comment):

    group<TAB>path<TAB>languages<TAB>weight<TAB>licence

- path: relative to --data (`{harvest}/...` to --harvest); a TSV file of source<TAB>target, or, with
  languages `en fr`, a prefix read as PREFIX.en and PREFIX.fr; languages `swap` reads a TSV written
  target<TAB>source (a German<TAB>English file for an English->German model).
- weight: 1 keeps every pair, 0.4 a seeded 40% sample, 2 every pair twice (a small domain that
  must count); `heldout` marks a validation or test set: none of its sentences, on either side,
  may appear in the mix.
- group: the output file the pairs go to (`<out>/<group>.tsv`), so that a model card lists its
  data by kind (parliament, news, software, ...).

Every pair is normalised (whitespace) and dropped when: a side is empty or over 1,000 characters;
it is an untranslated copy; the lengths disagree (one side over 3 times the other, past 20
characters); a side of 5 words or more reads as another language than it should (stop-word counts
for English, French and German); a side equals a held-out sentence; or it repeats a pair already
taken. Writes `<out>/<group>.tsv` and `<out>/mix.json` (per source: read, kept, dropped by reason,
licence).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

MAX_CHARS = 1000
MAX_RATIO = 3.0
RATIO_FROM_CHARS = 20
LANGUAGE_CHECK_WORDS = 5
STOPWORDS = {
    "en": set("the of and to in is that for it with as was on be by this are not or have from at which but an "
              "they you we he she his her their has had were been will would can there what all if".split()),
    "fr": set("le la les de des du et est un une que qui dans pour pas sur au aux avec ce cette il elle nous vous "
              "ils sont été être par plus ne se sa son ses leur mais ou où".split()),
    "de": set("der die das und ist nicht ein eine zu den dem des mit von auf für sich auch es im wir ich sie "
              "sind wird werden hat haben als bei nach oder wie aus einem einer eines einen dass zum zur vom beim "
              "über nur noch durch unter vor".split()),
}
_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Source:
    group: str
    path: str
    languages: str  # "-", "swap" or "L1 L2"
    weight: float | None  # None: held out
    licence: str


def read_mix(path: Path) -> list[Source]:
    sources = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 5:
            sys.exit(f"{path}:{number}: expected group<TAB>path<TAB>languages<TAB>weight<TAB>licence")
        group, source_path, languages, weight, licence = fields
        sources.append(Source(group, source_path, languages, None if weight == "heldout" else float(weight), licence))
    return sources


def normalise(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def read_pairs(source: Source, data: Path, harvest: Path) -> list[tuple[str, str]]:
    path = Path(source.path.replace("{harvest}", str(harvest.absolute())))
    path = path if path.is_absolute() else data / path
    if source.languages not in ("-", "swap"):
        first, second = source.languages.split()
        left = Path(f"{path}.{first}").read_text(encoding="utf-8").splitlines()
        right = Path(f"{path}.{second}").read_text(encoding="utf-8").splitlines()
        if len(left) != len(right):
            sys.exit(f"{path}.{first} and .{second} differ in length")
        return [(normalise(a), normalise(b)) for a, b in zip(left, right)]
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) >= 2:
            a, b = normalise(fields[0]), normalise(fields[1])
            pairs.append((b, a) if source.languages == "swap" else (a, b))
    return pairs


def language_of(text: str) -> str | None:
    """The language whose function words the text holds most of (two at least; ties go to the
    first of en, fr, de), for texts of LANGUAGE_CHECK_WORDS words or more; None when unsure."""
    words = [w.lower() for w in _WORDS.findall(text)]
    if len(words) < LANGUAGE_CHECK_WORDS:
        return None
    counts = {lang: sum(w in stop for w in words) for lang, stop in STOPWORDS.items()}
    best = max(counts, key=counts.get)
    return best if counts[best] >= 2 else None


def drop_reason(source: str, target: str, languages: tuple[str, str], heldout: set[str]) -> str | None:
    if not source or not target or max(len(source), len(target)) > MAX_CHARS:
        return "empty or too long"
    if source.casefold() == target.casefold():
        return "untranslated"
    longer, shorter = max(len(source), len(target)), min(len(source), len(target))
    if longer > RATIO_FROM_CHARS and longer > MAX_RATIO * shorter:
        return "lengths disagree"
    for text, language in zip((source, target), languages):
        found = language_of(text)
        if found is not None and found != language:
            return "wrong language"
    if source.casefold() in heldout or target.casefold() in heldout:
        return "held out"
    return None


def weighted(pairs: list[tuple[str, str]], weight: float, rng: random.Random) -> list[tuple[str, str]]:
    whole, part = int(weight), weight - int(weight)
    out = pairs * whole
    if part:
        out += rng.sample(pairs, round(part * len(pairs)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mix", type=Path, help="the mix file (recipes/data/mix-*.tsv)")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--harvest", type=Path, default=Path("data/debian"),
                        help="where recipes/data/harvest_debian.py wrote its files")
    parser.add_argument("--languages", nargs=2, required=True, metavar=("SOURCE", "TARGET"),
                        help="the mix's source and target language (en, fr, de), for the language check")
    parser.add_argument("--reverse", action="store_true",
                        help="write every pair the other way round (a French->English mix from the English->French one)")
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    sources = read_mix(args.mix)
    heldout: set[str] = set()
    for source in sources:
        if source.weight is None:
            for a, b in read_pairs(source, args.data, args.harvest):
                heldout.update((a.casefold(), b.casefold()))
    rng = random.Random(args.seed)
    seen: set[tuple[str, str]] = set()
    groups: dict[str, list[tuple[str, str]]] = {}
    report = {}
    for source in sources:
        if source.weight is None:
            continue
        pairs = read_pairs(source, args.data, args.harvest)
        reasons: Counter = Counter()
        kept = []
        for pair in pairs:
            reason = drop_reason(*pair, tuple(args.languages), heldout)
            if reason is None and pair in seen:
                reason = "duplicate"
            if reason is not None:
                reasons[reason] += 1
                continue
            seen.add(pair)
            kept.append(pair)
        taken = weighted(kept, source.weight, rng)
        groups.setdefault(source.group, []).extend(taken)
        report[source.path] = {"group": source.group, "read": len(pairs), "kept": len(kept), "weight": source.weight,
                               "in_mix": len(taken), "dropped": dict(reasons), "licence": source.licence}
        print(f"{source.path}: {len(pairs):,} read, {len(kept):,} kept, {len(taken):,} in the mix "
              f"({', '.join(f'{k} {v:,}' for k, v in reasons.most_common()) or 'none dropped'})", file=sys.stderr)
    args.output.mkdir(parents=True, exist_ok=True)
    for group, pairs in groups.items():
        lines = (f"{b}\t{a}\n" if args.reverse else f"{a}\t{b}\n" for a, b in pairs)
        (args.output / f"{group}.tsv").write_text("".join(lines), encoding="utf-8")
        print(f"{group}.tsv: {len(pairs):,} pairs", file=sys.stderr)
    summary = {"mix": args.mix.name, "languages": args.languages[::-1] if args.reverse else args.languages,
               "seed": args.seed,
               "groups": {g: len(p) for g, p in groups.items()}, "sources": report}
    (args.output / "mix.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"in all: {sum(len(p) for p in groups.values()):,} pairs", file=sys.stderr)


if __name__ == "__main__":
    main()
