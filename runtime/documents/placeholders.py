"""Format placeholders of software strings, which a translation must carry exactly: printf
(`%s`, `%d`, `%(name)s`, `%1$s`), Python and ICU-style braces (`{name}`, `{0}`) and `%%`."""

from __future__ import annotations

import re

FORMAT_PLACEHOLDER = re.compile(r"%%|%(?:\(\w+\)|\d+\$)?[-+ #0]*\d*(?:\.\d+)?[sdifFeEgGxXoucr]|\{\w*\}")


def format_placeholders(text: str) -> list[str]:
    return FORMAT_PLACEHOLDER.findall(text)
