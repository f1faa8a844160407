"""Compile a word list into one regex shaped as a trie.

A plain alternation of hundreds of phrases makes the regex engine try every phrase at every
position; factoring common prefixes lets it fail after a character or two. Longest match wins, as
with a longest-first alternation: at each node the longer continuations are tried before stopping.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_END = ""


def trie_pattern(words: list[str], space: str = r"\s+") -> str:
    """A regex source matching exactly the given words (a space in a word matches ``space``)."""
    body = _build(_trie(words), space)
    return body if body else r"(?!x)x"


def _trie(words: Iterable[str]) -> dict[str, Any]:
    """The words as nested dicts, one level per character; ``_END`` marks where a word ends."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[_END] = True
    return root


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


#: the characters besides its two cases that IGNORECASE matching equates with an ASCII letter
_CASE_FOLDS = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}


def _as_written(ch: str, fold: bool) -> str:
    """A character class source for ``ch`` matching what it matches in a pattern (with IGNORECASE
    when ``fold``), as a case-sensitive class; a space stands for any whitespace (``\\s+`` in a trie)."""
    if ch == " ":
        return r"\s"
    if fold and ch.lower() != ch.upper():
        if "\u00c0" <= ch <= "\u00fe" and ch not in "\u00c5\u00d7\u00df\u00e5\u00f7":
            return ch.lower() + ch.upper()  # a Latin-1 letter ("â" of a mis-decoded "≤") has its two cases only
        if not ch.isascii():
            raise ValueError(f"no case folds known for {ch!r}")
        return ch.lower() + ch.upper() + _CASE_FOLDS.get(ch.lower(), "")
    return re.escape(ch)


def start_guard(folded: Iterable[str], exact: Iterable[str] = (), classes: str = "") -> str:
    """A zero-width, case-sensitive test that a position starts one of the given prefixes.

    ``folded`` prefixes are read as IGNORECASE reads them, ``exact`` ones as written; ``classes`` is
    the source of a character class (``\\d``) of single characters that may start a match too.
    Placed before a pattern every match of which starts with one of them, it changes no match: it only
    lets the engine give up at most positions after one character test, where the pattern would try
    each of its alternatives (case-insensitive alternatives cannot be rejected by their first
    character alone). The first characters are tested as one class, then the two-character prefixes.
    """
    folded, exact = tuple(folded), tuple(exact)
    firsts = {_as_written(p[0], True) for p in folded} | {_as_written(p[0], False) for p in exact}
    by_first: dict[str, set[str]] = {}
    for prefixes, fold in ((folded, True), (exact, False)):
        for p in prefixes:
            rest = by_first.setdefault(f"[{_as_written(p[0], fold)}]", set())
            rest.add("".join(f"[{_as_written(ch, fold)}]" for ch in p[1:2]))
    alternatives = [f"[{classes}]"] if classes else []
    for first, rests in sorted(by_first.items()):
        if "" in rests:  # a one-character prefix: any second character
            alternatives.append(first)
        else:
            alternatives.append(first + (f"(?:{'|'.join(sorted(rests))})" if len(rests) > 1 else rests.pop()))
    return f"(?=(?-i:[{classes}{''.join(sorted(firsts))}]))(?=(?-i:{'|'.join(alternatives)}))"


def casefree_lower(text: str) -> str | None:
    """``text.lower()`` where a case-sensitive pattern of lower-case words finds in it exactly what the
    same pattern finds in ``text`` with IGNORECASE; None where it may not.

    That holds when every character of the text is ASCII or has no case: IGNORECASE then equates a
    text character with a lower-case pattern character exactly when the character's lower case is
    it, lowering keeps the length and each offset, and what is a word character, a space or a digit
    stays so. A text with a cased non-ASCII letter ("İ", "ſ", "Σ" and their special folds) is left to
    the IGNORECASE pattern. Most criteria text passes, and a case-sensitive pattern led by a literal
    character lets the regex engine skip in C to the positions that can start a match.
    """
    if not text.isascii():
        for ch in set(text):
            if not ch.isascii() and not (ch.lower() == ch == ch.upper()):
                return None
    return text.lower()


def led_trie_starts(words: list[str], end: str = "") -> str:
    """A case-sensitive regex source that reads one character wherever one of the lower-case ``words``
    (followed by ``end``) starts, and nothing else: ``finditer`` then yields every start, as a zero-width
    ``(?=(?:trie)end)`` would, but each alternative is led by its literal first character, which the
    engine tests in C before entering the pattern (a lookahead first is entered at every position)."""
    for word in words:
        if word != word.lower():
            raise ValueError(f"a word for lower-cased text must be lower case: {word!r}")
    return "|".join(
        f"{first}(?=(?:{rest}){end})" if rest else f"{first}(?={end})" for first, rest in _led_alternatives(words)
    )


def led_trie(words: list[str], not_after: str) -> str:
    """A case-sensitive regex source matching exactly ``(?<!not_after)(?:trie)`` (``not_after`` a
    one-character class), with each alternative led by its literal first character, so that the
    engine can skip in C to the positions that start a word; the test of the character before is
    made after the first one is read."""
    return "(?:" + "|".join(f"{first}(?<!{not_after}{first}){rest}" for first, rest in _led_alternatives(words)) + ")"


def _led_alternatives(words: list[str]) -> list[tuple[str, str]]:
    """The words as a trie, one (escaped first character, regex source of the rest) per first character."""
    alternatives = []
    for ch, child in sorted(_trie(words).items()):
        if ch in (_END, " "):
            raise ValueError(f"a word cannot be empty or start with a space: {ch!r}")
        alternatives.append((re.escape(ch), _build(child, r"\s+")))
    return alternatives
