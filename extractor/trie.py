"""Compile a word list into one regex shaped as a trie.

A plain alternation of hundreds of phrases makes the regex engine try every phrase at every
position; factoring common prefixes lets it fail after a character or two. Longest match wins, as
with a longest-first alternation: at each node the longer continuations are tried before stopping.
"""

from __future__ import annotations

import re
from typing import Any

_END = ""


def trie_pattern(words: list[str], space: str = r"\s+") -> str:
    """A regex source matching exactly the given words (a space in a word matches ``space``)."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[_END] = True
    body = _build(root, space)
    return body if body else r"(?!x)x"


def _build(node: dict[str, Any], space: str) -> str:
    alternatives = [
        (space if ch == " " else re.escape(ch)) + _build(child, space)
        for ch, child in sorted(node.items())
        if ch != _END
    ]
    if not alternatives:
        return ""
    body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    return f"(?:{body})?" if _END in node else body
