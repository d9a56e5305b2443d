"""Harvest parallel text from Debian's packages: free-software localisation, rebuilt from package names.

    python recipes/data/harvest_debian.py -o data/debian [--packages recipes/data/debian_packages.tsv]
                                          [--cache data/debian/cache]

Each package of the list is fetched with `apt-get download NAME` (one binary package, no index
look-ups beyond apt's own), unpacked with `dpkg-deb -x` and read:

- kind `mo`: every gettext catalogue (`*.mo` under `<lang>/LC_MESSAGES/`, wherever the package keeps
  it) gives msgid -> msgstr (a plural entry gives its singular and its plural form);
- kind `help`: LibreOffice's help pages, whose paragraphs, headings and table cells carry the same
  `id` in every language; they are paired with the same page of `libreoffice-help-en-us`.

Strings are cleaned as a user's text would arrive: accelerator marks (`_File`, `&Open`, `~Save`)
and markup are removed, entities decoded, whitespace joined; format placeholders (`%s`, `%1$d`,
`{name}`, `$(VAR)`) stay, because users' strings hold them. Empty, untranslated and overlong
entries are dropped, and so are duplicates within a package.

Writes, per package and language, `<out>/<package>.<pair>.tsv` (English<TAB>French as
`en-fr`, German<TAB>English as `de-en`, the direction of ../shared/data/corpora), and
`<out>/harvest.json` with the pairs each file holds and its licence. The mix
(recipes/data/build_mix.py) takes it from there: deduplication across sources, the length and
language filters, and the removal of anything in a validation or test set.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polib
from lxml import html as lxml_html

HERE = Path(__file__).resolve().parent
# A catalogue's folder names its language: fr, fr_FR, de, de_DE (regional variants such as fr_CA
# or de_CH spell differently and are left out).
LOCALE_FOLDERS = {"fr": ("fr", "fr_FR"), "de": ("de", "de_DE")}
HELP_LOCALES = {"fr": "fr", "de": "de", "en": "en-US"}
MAX_CHARS = 1000
ENGLISH_HELP_PACKAGE = "libreoffice-help-en-us"

_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
# GTK's `_`, Qt's and Windows' `&`, LibreOffice's `~`, in front of a letter; `&` followed by an
# entity name and `;` is an entity, not a mark. `__` and `&&` are literal.
_MNEMONIC = re.compile(r"(?<![_\w])_(?=[^\W_])|(?<!&)&(?=[^\W\d_])(?![A-Za-z]+;|#\d+;)|~(?=[^\W\d_])")
# A mark written in brackets after the label, as some translations do: "Fichier (_F)".
_BRACKET_MNEMONIC = re.compile(r"\s*\((?:_|&)\w\)")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Package:
    name: str
    languages: tuple[str, ...]
    kind: str
    licence: str


def read_package_list(path: Path) -> list[Package]:
    packages = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 4 or fields[2] not in ("mo", "help"):
            sys.exit(f"{path}:{number}: expected package<TAB>languages<TAB>mo|help<TAB>licence")
        packages.append(Package(fields[0], tuple(fields[1].split()), fields[2], fields[3]))
    return packages


def clean(text: str) -> str:
    """A catalogue string as a user's sentence: no accelerator marks, markup or entities."""
    text = _BRACKET_MNEMONIC.sub("", text)
    text = _MNEMONIC.sub("", text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    text = html.unescape(text) if "&" in text else text
    return _SPACES.sub(" ", text).strip()


def usable(source: str, target: str) -> bool:
    return bool(source) and bool(target) and source != target and max(len(source), len(target)) <= MAX_CHARS


def download(package: str, cache: Path) -> Path:
    found = sorted(cache.glob(f"{package}_*.deb"))
    if found:
        return found[-1]
    subprocess.run(["apt-get", "download", package], cwd=cache, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    found = sorted(cache.glob(f"{package}_*.deb"))
    if not found:
        raise RuntimeError(f"apt-get download {package} left no .deb in {cache}")
    return found[-1]


def unpack(deb: Path, into: Path) -> Path:
    subprocess.run(["dpkg-deb", "-x", str(deb), str(into)], check=True)
    return into


def catalogue_pairs(root: Path, language: str) -> list[tuple[str, str]]:
    """(English, translation) from every catalogue of `language` under `root`."""
    pairs = []
    for path in sorted(root.rglob("*.mo")):
        if path.parent.name != "LC_MESSAGES" or path.parent.parent.name not in LOCALE_FOLDERS[language]:
            continue
        try:
            catalogue = polib.mofile(str(path))
        except (OSError, ValueError) as exc:
            print(f"  skipped {path.name}: {exc}", file=sys.stderr)
            continue
        for entry in catalogue:
            if entry.msgid_plural:
                forms = entry.msgstr_plural
                candidates = [(entry.msgid, forms.get(0, "")), (entry.msgid_plural, forms.get(1, ""))]
            else:
                candidates = [(entry.msgid, entry.msgstr)]
            for source, target in candidates:
                source, target = clean(source), clean(target)
                if usable(source, target):
                    pairs.append((source, target))
    return pairs


def help_texts(root: Path, locale: str) -> dict[tuple[str, str], str]:
    """(page, element id) -> text of every id'd paragraph, heading and cell of one help language."""
    base = root / "usr/share/libreoffice/help" / locale
    texts = {}
    for page in sorted(base.rglob("*.html")):
        try:
            tree = lxml_html.parse(str(page))
        except (OSError, ValueError):
            continue
        relative = page.relative_to(base).as_posix()
        for element in tree.iter("p", "h1", "h2", "h3", "h4", "h5", "h6", "td"):
            ident = element.get("id")
            # Platform variants (macOS / other) sit side by side in hidden spans: their text would
            # read as both at once.
            if not ident or element.xpath(".//*[@hidden]"):
                continue
            text = clean(element.text_content())
            if text:
                texts[(relative, ident)] = text
    return texts


def write_pairs(path: Path, pairs: list[tuple[str, str]]) -> int:
    unique = sorted(set(pairs))
    path.write_text("".join(f"{s}\t{t}\n" for s, t in unique), encoding="utf-8")
    return len(unique)


def oriented(pairs: list[tuple[str, str]], language: str) -> list[tuple[str, str]]:
    """English-French pairs stay English first; German-English ones are German first, as corpora/."""
    return [(t, s) for s, t in pairs] if language == "de" else pairs


def pair_name(language: str) -> str:
    return "en-fr" if language == "fr" else "de-en"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, required=True, help="folder for the harvested TSV files")
    parser.add_argument("--packages", type=Path, default=HERE / "debian_packages.tsv")
    parser.add_argument("--cache", type=Path, help="where the .deb files are kept [default: OUTPUT/cache]")
    args = parser.parse_args()
    packages = read_package_list(args.packages)
    args.output.mkdir(parents=True, exist_ok=True)
    cache = args.cache or args.output / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    report = {}
    english_help: dict | None = None
    with tempfile.TemporaryDirectory(prefix="s2s-harvest-") as scratch:
        for package in packages:
            root = unpack(download(package.name, cache), Path(scratch) / package.name)
            for language in package.languages:
                if package.kind == "mo":
                    pairs = catalogue_pairs(root, language)
                else:
                    if english_help is None:
                        english_root = unpack(download(ENGLISH_HELP_PACKAGE, cache), Path(scratch) / ENGLISH_HELP_PACKAGE)
                        english_help = help_texts(english_root, HELP_LOCALES["en"])
                    translated = help_texts(root, HELP_LOCALES[language])
                    pairs = [(english_help[key], text) for key, text in translated.items()
                             if key in english_help and usable(english_help[key], text)]
                name = f"{package.name}.{pair_name(language)}.tsv"
                count = write_pairs(args.output / name, oriented(pairs, language))
                report[name] = {"package": package.name, "language": language, "kind": package.kind,
                                "pairs": count, "licence": package.licence}
                print(f"{name}: {count:,} pairs", file=sys.stderr)
            shutil.rmtree(root)
    (args.output / "harvest.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    for pair in ("en-fr", "de-en"):
        total = sum(r["pairs"] for name, r in report.items() if pair in name)
        print(f"{pair}: {total:,} pairs in all (before the mix's deduplication across packages)", file=sys.stderr)


if __name__ == "__main__":
    main()
