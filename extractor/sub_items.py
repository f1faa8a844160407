"""How a criterion's sub-items combine: all, any, at least n, or none of them.

A lead-in says it ("at least 2 of the following:", "one of the following:", "none of the
following:"); failing that, the words that join the sub-items ("A; or" / "B") do; failing both, the
side's reading holds: every inclusion sub-item must hold, each exclusion sub-item excludes on its own.
The lead-in's cues are data (``resources/sub_items.json``); this module holds the mechanism.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

from .errors import RuleError
from .rules import Rule, load_rules

__all__ = ["CLOSING_WORD", "SubItemsRule", "sub_items"]

_OPS = ("all", "any", "at_least", "none")
_COUNT_WORDS = {w: n for n, w in enumerate("one two three four five six seven eight nine ten".split(), start=1)}
# the lead-in's last clause: after the last sentence end or semicolon before the list
_CLAUSE_END = re.compile(r"(?:[.;](?=\s)|[.;]$)")
# what may sit between one sub-item's text and the next sub-item's start: its closing word and
# punctuation, then the next one's marker ("-", "*", "2.", "(b)", "ii)")
_MARKER_TAIL = re.compile(
    r"(?:\s*(?:[-*•·●○▪–]|\(?\d{1,2}[.)]|\(?[a-zA-Z][.)]|\((?:[ivx]{1,4}|\d{1,2}|[a-zA-Z])\)|[ivx]{1,4}[.)]))?\s*$"
)
# a lead-in or a sub-item that says what must not be ("No concomitant liver disease, e.g.:")
_NEGATED_LEAD = re.compile(r"\s*(?:no|not|without|absence\s+of)\b", re.IGNORECASE)
# what the cue's "of" is of, taken into the cue ("one of the following")
_CUE_TAIL = re.compile(r"\s+(?:the\s+)?(?:following|these|those|below|above)\b", re.IGNORECASE)
# an item closed by the word that joins it to the next ("Renal failure, or"; also read by the layout)
CLOSING_WORD = re.compile(r"(?:^|[\s;,.])(?P<word>and/or|or|and)\s*[;,:.]?\s*$", re.IGNORECASE)
_LONE_JOINING_WORD = re.compile(r"\s*(?P<word>and/or|or|and)\s*[;,:.]?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class SubItemsRule(Rule):
    """A lead-in cue: a regex (a group ``n`` holds the count), the op it says, and its name."""

    kind: ClassVar[str] = "sub_items"
    name: str
    op: str
    regex: str

    def check(self, where: str) -> None:
        if self.op not in _OPS:
            raise RuleError(f"op must be one of {_OPS}, got {self.op!r}", source=where or None)
        try:
            pattern = re.compile(self.regex, re.IGNORECASE)
        except re.error as exc:
            raise RuleError(f"bad regex in sub_items rule {self.name!r}: {exc}", source=where or None) from exc
        if (self.op == "at_least") != ("n" in pattern.groupindex):
            raise RuleError(f"rule {self.name!r}: a group n goes with op at_least, and only there", source=where)


@cache
def _rules() -> tuple[tuple[SubItemsRule, re.Pattern[str]], ...]:
    return tuple((r, re.compile(r.regex, re.IGNORECASE)) for r in load_rules("sub_items.json", SubItemsRule))


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _COUNT_WORDS[word.lower()]


def _lead_in_cue(text: str, lo: int, hi: int) -> tuple[str, int | None, int, int, str, int] | None:
    """The cue in the last clause of the lead-in ``text[lo:hi]``: (op, n, start, end, rule name, where
    the clause starts); the match that ends last wins, the longest at one end ("at least one of" over
    "one of")."""
    lead = text[lo:hi].rstrip(" \t\r\n.;:")
    # (the clause that introduces the list: a sentence end inside the lead-in closes what came before)
    ends = [m.end() for m in _CLAUSE_END.finditer(lead)]
    start = lo + (ends[-1] if ends else 0)
    best: tuple[int, int, str, int | None, str] | None = None
    for rule, pattern in _rules():
        for m in pattern.finditer(text, start, hi):
            n = _count(m.group("n")) if "n" in pattern.groupindex else None
            tail = _CUE_TAIL.match(text, m.end(), hi)
            end = tail.end() if tail else m.end()
            if best is None or (end, -m.start()) > (best[1], -best[0]):
                # (a count of one is any of them)
                best = (m.start(), end, "any" if n == 1 else rule.op, None if n == 1 else n, rule.name)
    if best is None:
        return None
    s, e, op, n, name = best
    return op, n, s, e, name, start


def _joining_word(text: str, children: list[tuple[int, int]]) -> tuple[str, int, int] | None:
    """The word that joins the sub-items: "or" / "and/or" (any) or "and" (all), closing the last
    sub-item but one before the final one's marker ("A;" "B; or" "C"), else closing more than half of
    the sub-items before the last ("A OR" "B OR" "C" "D"); or a sub-item that is only that word ("OR"
    on a line of its own between two)."""
    for s, e in children[1:-1]:
        lone = _LONE_JOINING_WORD.fullmatch(text, s, e)
        if lone:
            return lone.group("word").lower(), lone.start("word"), lone.end("word")
    closing: list[tuple[str, int, int] | None] = []
    for (s, _), (next_s, _) in zip(children, children[1:], strict=False):
        stretch = text[s:next_s]
        tail = _MARKER_TAIL.search(stretch)
        m = CLOSING_WORD.search(stretch, 0, tail.start() if tail else len(stretch))
        closing.append((m.group("word").lower(), s + m.start("word"), s + m.end("word")) if m else None)
    if not closing:
        return None
    if closing[-1] is not None:
        return closing[-1]
    found = [c for c in closing if c is not None]
    words = {c[0] for c in found}
    return found[0] if len(words) == 1 and 2 * len(found) > len(closing) else None


def sub_items(text: str, side: str, span: tuple[int, int], children: list[tuple[int, int]]) -> dict[str, Any]:
    """The ``sub_items`` field of a criterion at ``span`` whose direct sub-items are at ``children``
    (in order): ``{"op", "n"?, "cue", "rule"}`` as the schema defines it."""
    first = children[0][0]
    cue = _lead_in_cue(text, span[0], first)
    if cue is not None:
        op, n, s, e, rule, clause = cue
        if rule == "examples-or-reasons" and side == "inclusion" and _NEGATED_LEAD.match(text, clause):
            # "No concomitant liver disease, e.g.:" over "Viral hepatitis", "Autoimmune hepatitis": none
            # of the examples may hold (over "No history of stroke", "No cerebellar involvement": each
            # example is itself a requirement)
            op = "all" if all(_NEGATED_LEAD.match(text, c) for c, _ in children) else "none"
        if op == "none" and side == "exclusion":
            # ("Exclusion: must not have any of the following" means each of them excludes)
            op = "any"
        out: dict[str, Any] = {"op": op}
        if n is not None:
            out["n"] = n
        out["cue"] = {"text": text[s:e], "span": [s, e]}
        out["rule"] = f"lead-in:{rule}"
        return out
    joined = _joining_word(text, children)
    if joined is not None:
        word, s, e = joined
        return {
            "op": "all" if word == "and" else "any",
            "cue": {"text": text[s:e], "span": [s, e]},
            "rule": "joining-word",
        }
    return {"op": "all" if side == "inclusion" else "any", "cue": None, "rule": f"default:{side}"}
