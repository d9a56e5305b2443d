"""Format placeholders of software strings, which a translation must carry exactly: the
protection's own rule (printf `%s`, `%d`, `%(name)s`, `%1$s`, `%%`; braces `{name}`, `{0}`,
`{count, number}`; templates `{{ name }}`, `${name}`), so that what a document requires and what
the runtime protects are one definition."""

from __future__ import annotations

import re

from ..decoding.protection import RULES

FORMAT_PLACEHOLDER = re.compile(dict(RULES)["format"])


def format_placeholders(text: str) -> list[str]:
    return FORMAT_PLACEHOLDER.findall(text)
