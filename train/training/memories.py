"""Translation memories as training data: a team's own past translations, in the files they keep.

`s2s-train --train FILE` reads, besides TSV files and line-aligned prefixes:

- gettext catalogues (`.po`, `.pot`): msgid -> msgstr; a plural entry gives its singular and its
  plural form; fuzzy, obsolete and untranslated entries are left out;
- XLIFF 1.2 and 2.0 (`.xlf`, `.xliff`): each unit's source -> target, inline codes dropped;
- TMX 1.4 (`.tmx`): each translation unit's variants in the two languages of `--source-lang`
  and `--target-lang` (a region, "en-US", counts as its language);
- a pair of JSON locale files, `--train en.json:fr.json`: string values matched by key, nested keys
  flattened (`menu.file.open`).

A memory that names its languages (a catalogue's Language header, XLIFF's source and target
language, TMX's variants) is checked against `--source-lang`/`--target-lang`: one in the wrong
direction or of other languages is refused in one line, as is a file without a usable pair.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .errors import TrainingInputError

MEMORY_SUFFIXES = (".po", ".pot", ".xlf", ".xliff", ".tmx")
XLIFF_12 = "urn:oasis:names:tc:xliff:document:1.2"
XLIFF_20 = "urn:oasis:names:tc:xliff:document:2.0"
_SPACES = re.compile(r"\s+")
# A memory file larger than this is refused before it is parsed (the parsers hold it whole).
MAX_MEMORY_BYTES = 256 << 20


def is_memory(path: str) -> bool:
    """Whether `path` names a translation memory (by suffix), or a pair of JSON locale files."""
    return Path(path).suffix.lower() in MEMORY_SUFFIXES or json_pair(path) is not None


def json_pair(path: str) -> tuple[Path, Path] | None:
    """`SOURCE.json:TARGET.json` as its two paths; None for anything else."""
    left, colon, right = str(path).rpartition(":")
    if colon and left.lower().endswith(".json") and right.lower().endswith(".json"):
        return Path(left), Path(right)
    return None


def read_memory(path: str, source_lang: str | None, target_lang: str | None) -> list[tuple[str, str]]:
    """The (source, target) pairs of a translation memory, whitespace joined; a TrainingInputError
    (one line) when the file cannot be read, is in the wrong direction, or holds no usable pair."""
    pair = json_pair(path)
    if pair is not None:
        pairs = _json_pairs(*pair)
    else:
        suffix = Path(path).suffix.lower()
        _check_size(Path(path))
        if suffix in (".po", ".pot"):
            pairs = _po_pairs(Path(path), target_lang)
        elif suffix == ".tmx":
            pairs = _tmx_pairs(Path(path), source_lang, target_lang)
        else:
            pairs = _xliff_pairs(Path(path), source_lang, target_lang)
    cleaned = [(_joined(s), _joined(t)) for s, t in pairs]
    cleaned = [(s, t) for s, t in cleaned if s and t]
    if not cleaned:
        raise TrainingInputError(f"{path}: no translated pair to train on (untranslated, fuzzy or empty entries only)")
    return cleaned


def _joined(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TrainingInputError(f"cannot read {path}: {exc.strerror}") from None
    if size > MAX_MEMORY_BYTES:
        raise TrainingInputError(f"{path}: larger than {MAX_MEMORY_BYTES >> 20} MiB; split it or convert it to TSV")


def _same_language(named: str | None, wanted: str | None) -> bool:
    """Whether a file's language tag ("fr", "fr-FR", "fr_CA") is the language `wanted`."""
    if not named or not wanted:
        return True
    return re.split(r"[-_]", named.strip().lower())[0] == re.split(r"[-_]", wanted.strip().lower())[0]


def _po_pairs(path: Path, target_lang: str | None) -> list[tuple[str, str]]:
    try:
        import polib
    except ImportError:
        raise TrainingInputError("gettext catalogues need polib: pip install 's2s-onnx[documents]'") from None
    try:
        catalogue = polib.pofile(str(path))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise TrainingInputError(f"{path}: not a readable PO catalogue ({str(exc).splitlines()[0][:160]})") from None
    language = catalogue.metadata.get("Language")
    if not _same_language(language, target_lang):
        raise TrainingInputError(f"{path} translates into {language!r}, not --target-lang {target_lang}")
    pairs = []
    for entry in catalogue:
        if entry.obsolete or "fuzzy" in entry.flags or not entry.msgid:
            continue
        if entry.msgid_plural:
            forms = entry.msgstr_plural
            pairs += [(entry.msgid, forms.get(0, "")), (entry.msgid_plural, forms.get(1, ""))]
        else:
            pairs.append((entry.msgid, entry.msgstr))
    return pairs


def _parse_xml(path: Path, what: str):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.parse(str(path), parser).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise TrainingInputError(f"{path}: not a readable {what} file ({str(exc)[:160]})") from None


# Inline codes whose content is the native markup they stand for (XLIFF 1.2 ph, bpt, ept, it;
# TMX the same): left out with it. Codes around text (g, mrk, pc, hi) keep their text.
_NATIVE_CODES = frozenset("ph bpt ept it ut".split())


def _text(element) -> str:
    """An element's text without its inline codes' native markup."""
    from lxml import etree

    if element is None:
        return ""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname not in _NATIVE_CODES:
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _xliff_pairs(path: Path, source_lang: str | None, target_lang: str | None) -> list[tuple[str, str]]:
    from lxml import etree

    root = _parse_xml(path, "XLIFF")
    namespace = etree.QName(root).namespace
    if etree.QName(root).localname != "xliff" or namespace not in (XLIFF_12, XLIFF_20):
        raise TrainingInputError(f"{path}: not an XLIFF 1.2 or 2.0 file")
    q = lambda name: f"{{{namespace}}}{name}"  # noqa: E731
    if namespace == XLIFF_12:
        files = list(root.iter(q("file")))
        languages = [(f.get("source-language"), f.get("target-language")) for f in files]
        # A target still to be translated is no translation ("new", "needs-translation").
        units = [(u.find(q("source")), u.find(q("target"))) for u in root.iter(q("trans-unit"))
                 if u.find(q("target")) is None or u.find(q("target")).get("state") not in ("new", "needs-translation")]
    else:
        languages = [(root.get("srcLang"), root.get("trgLang"))]
        units = [(s.find(q("source")), s.find(q("target"))) for s in root.iter(q("segment"))]
    for source, target in languages:
        if not _same_language(source, source_lang) or not _same_language(target, target_lang):
            raise TrainingInputError(f"{path} translates {source}→{target}, not --source-lang {source_lang} → "
                                     f"--target-lang {target_lang}")
    return [(_text(s), _text(t)) for s, t in units if s is not None and t is not None]


def _tmx_pairs(path: Path, source_lang: str | None, target_lang: str | None) -> list[tuple[str, str]]:
    if not source_lang or not target_lang:
        raise TrainingInputError(f"{path}: a TMX memory holds several languages; name the pair with --source-lang "
                                 "and --target-lang")
    root = _parse_xml(path, "TMX")
    if root.tag != "tmx":
        raise TrainingInputError(f"{path}: not a TMX file (its root is <{root.tag}>)")
    lang_attribute = "{http://www.w3.org/XML/1998/namespace}lang"
    pairs, languages = [], set()
    for unit in root.iter("tu"):
        variants: dict[str, str] = {}
        for variant in unit.iter("tuv"):
            language = variant.get(lang_attribute) or variant.get("lang") or ""
            languages.add(language)
            segment = variant.find("seg")
            for wanted in (source_lang, target_lang):
                if _same_language(language, wanted) and wanted not in variants:
                    variants[wanted] = _text(segment)
        if source_lang in variants and target_lang in variants:
            pairs.append((variants[source_lang], variants[target_lang]))
    if not pairs and languages:
        raise TrainingInputError(f"{path} holds {', '.join(sorted(languages)[:6])}, not both {source_lang} and "
                                 f"{target_lang}")
    return pairs


def _flattened(value, prefix: str = "") -> dict[str, str]:
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key, item in value.items():
            out.update(_flattened(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value} if isinstance(value, str) else {}


def _json_pairs(source: Path, target: Path) -> list[tuple[str, str]]:
    documents = []
    for path in (source, target):
        _check_size(path)
        try:
            documents.append(_flattened(json.loads(path.read_text(encoding="utf-8-sig"))))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as exc:
            raise TrainingInputError(f"{path}: not a readable JSON locale file ({str(exc)[:160]})") from None
    sources, targets = documents
    return [(text, targets[key]) for key, text in sources.items() if key in targets]
