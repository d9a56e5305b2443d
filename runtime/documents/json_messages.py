"""JSON message files (i18next, Chrome extension messages, ...): every string value is translated,
keys, numbers and structure stay; format placeholders ({name}, %s) must come through exactly (a
translation that loses one keeps the source string). ICU plural and select messages
(`{count, plural, ...}`) are left untranslated: their inner texts are not sentences."""

from __future__ import annotations

import json
import re
from typing import Any

from . import DocumentError, Extracted
from .placeholders import format_placeholders

_ICU_CHOICE = re.compile(r"\{\s*\w+\s*,\s*(plural|select|selectordinal)\s*,")


class JsonMessagesFormat:
    name = "json"
    suffixes = (".json",)

    def extract(self, data: bytes) -> Extracted:
        try:
            text = data.decode("utf-8-sig")
            document = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise DocumentError(f"not a readable JSON file: {str(exc).splitlines()[0][:200]}") from None
        paths: list[list[Any]] = []
        segments: list[str] = []

        def walk(value: Any, path: list[Any]) -> None:
            if isinstance(value, dict):
                for key, item in value.items():
                    walk(item, [*path, key])
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    walk(item, [*path, index])
            elif isinstance(value, str) and value.strip() and not _ICU_CHOICE.search(value):
                paths.append(path)
                segments.append(value)

        walk(document, [])
        indent = _indent_of(text)

        def rebuild(translations: list[str]) -> bytes:
            for path, translation in zip(paths, translations):
                parent = document
                for key in path[:-1]:
                    parent = parent[key]
                parent[path[-1]] = translation
            return (json.dumps(document, ensure_ascii=False, indent=indent) + "\n").encode("utf-8")

        return Extracted(segments, rebuild, [format_placeholders(s) for s in segments])


def _indent_of(text: str) -> int | None:
    match = re.search(r"\n([ \t]+)\S", text)
    return None if match is None else len(match.group(1).replace("\t", "    "))
