"""ICU MessageFormat messages (`You have {count, plural, one {# message} other {# messages}}.`)
as whole sentences a model can translate, parsed with pyicumessageformat.

The text of a branch is not a sentence ("# message"), so every choice is raised to the top of
the message and the words around it go into each of its branches: the message above becomes
`{count, plural, one {You have # message.} other {You have # messages.}}`, whole sentences, as
ICU's own guidelines ask of messages given to translators. Each sentence is translated with its
arguments (`{name}`, `{date, date, short}`) and `#` kept exactly, and the message is written back
with the translations in its branches. A `#` that would end up inside another plural is written as
the number it stands for (`{count, number}`). A message that does not parse, has more than
MAX_SENTENCES sentences, or needs a `#` rewritten under a plural offset is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Union

# More sentences than this (nested choices multiply) and the message is left as it is.
MAX_SENTENCES = 32


class Unsupported(Exception):
    """A message this module leaves untranslated."""


@dataclass
class _Sentence:
    items: list[Any]  # text, arguments and `#`s, no choice among them
    in_plural: bool  # under a plural or selectordinal: a `#` is its number there

    def text(self) -> str:
        return "".join(item if isinstance(item, str) else _argument(item) for item in self.items)

    def required(self) -> list[str]:
        return [_argument(item) for item in self.items if not isinstance(item, str)]


@dataclass
class _Choice:
    node: dict[str, Any]
    options: dict[str, "_Tree"]


_Tree = Union[_Sentence, _Choice]


_CHOICE = re.compile(r"\{\s*[\w-]+\s*,\s*(plural|select|selectordinal)\s*,")


def is_message(value: str) -> bool:
    return _CHOICE.search(value) is not None


def sentences(message: str) -> tuple[list[str], list[list[str]], Callable[[list[str]], str]]:
    """(the message's sentences, what each must keep exactly, a function that writes the message
    back from their translations); raises Unsupported."""
    from pyicumessageformat import Parser

    try:
        ast = Parser().parse(message)
    except Exception as exc:  # the parser raises its own kinds, and Python's SyntaxError
        raise Unsupported(str(exc)) from None
    leaves: list[_Sentence] = []
    try:
        tree = _expand(ast, False, leaves)
    except RecursionError:  # thousands of choices in a row, each with one branch
        raise Unsupported("too many choices") from None

    def write(translations: list[str]) -> str:
        return _render(tree, iter(translations))

    return [leaf.text() for leaf in leaves], [leaf.required() for leaf in leaves], write


def _is_choice(item: Any) -> bool:
    return isinstance(item, dict) and "options" in item


def _holds_choice(items: list[Any]) -> bool:
    """Whether `items` hold a choice (a nested one is inside a choice's branches)."""
    return any(_is_choice(item) for item in items)


def _expand(items: list[Any], in_plural: bool, leaves: list[_Sentence]) -> _Tree:
    """The choices of `items` raised to the top, each branch holding the words around it; the
    sentences are added to `leaves` as they are made, so that a message multiplying into more than
    MAX_SENTENCES stops there (nested choices multiply)."""
    index = next((i for i, item in enumerate(items) if _is_choice(item)), None)
    if index is None:
        if len(leaves) == MAX_SENTENCES:
            raise Unsupported(f"more than {MAX_SENTENCES} sentences")
        leaves.append(_Sentence(items, in_plural))
        return leaves[-1]
    node = items[index]
    around = items[:index] + items[index + 1 :]
    numeric = node["type"] in ("plural", "selectordinal")
    options = {}
    for key, branch in node["options"].items():
        branch = list(branch)
        if numeric and (_holds_choice(around) or _holds_choice(branch)):
            # Raised into another choice, this plural's `#` would be read as that one's number.
            if node.get("offset"):
                raise Unsupported("a # under a plural offset")
            branch = [{"name": node["name"], "type": "number"} if _is_hash(item, node) else item for item in branch]
        options[key] = _expand(items[:index] + branch + items[index + 1 :], in_plural or numeric, leaves)
    return _Choice(node, options)


def _is_hash(item: Any, node: dict[str, Any]) -> bool:
    return isinstance(item, dict) and item.get("hash") and item.get("name") == node["name"]


def _argument(item: dict[str, Any]) -> str:
    if item.get("hash"):
        return "#"
    parts = [item["name"]] + [str(item[key]) for key in ("type", "format") if item.get(key) is not None]
    return "{" + ", ".join(parts) + "}"


def _render(tree: _Tree, translations) -> str:
    if isinstance(tree, _Sentence):
        return _escaped(next(translations), tree)
    node = tree.node
    offset = f"offset:{node['offset']} " if node.get("offset") else ""
    branches = " ".join(f"{key} {{{_render(child, translations)}}}" for key, child in tree.options.items())
    return f"{{{node['name']}, {node['type']}, {offset}{branches}}}"


def _escaped(translation: str, sentence: _Sentence) -> str:
    """The translation as message text: its arguments (and a plural's `#`) as they are, every other
    apostrophe, brace or `#` quoted so that it stays text."""
    kept = sorted(set(sentence.required()), key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(k) for k in kept)) if kept else None
    out, position = [], 0
    for match in pattern.finditer(translation) if pattern else ():
        out += [_quoted(translation[position : match.start()], sentence.in_plural), match.group()]
        position = match.end()
    out.append(_quoted(translation[position:], sentence.in_plural))
    return "".join(out)


def _quoted(text: str, in_plural: bool) -> str:
    # An apostrophe is text unless a syntax character follows it: only those are doubled (and one
    # at the end, where an argument or a branch's brace follows), so that "n'avez" stays as written.
    text = re.sub(r"'(?=[{}|'" + ("#" if in_plural else "") + "]|$)", "''", text)
    return re.sub("[{}]" + ("|#" if in_plural else ""), lambda m: f"'{m.group()}'", text)
