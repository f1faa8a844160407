"""Run the pipeline over one criterion and collect its plain-data results.

Neighbouring criteria are packed into docs of up to ``MAX_CHUNK`` characters (fewer, larger docs cost
less per criterion), and a longer criterion is cut into chunks at clause boundaries, so that ConText
(quadratic in the number of modifiers of a doc) stays bounded whatever the input; results are shifted
back to offsets in each criterion.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

MAX_CHUNK = 1500
_CLAUSE_END = re.compile(r"[;.]\s|\n")


@dataclass
class Analysis:
    """What the pipeline found in one text; offsets relative to that text."""

    text: str
    entity_info: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    assertions: dict[tuple[int, int], dict[str, bool]] = field(default_factory=dict)
    thresholds: list[dict[str, Any]] = field(default_factory=list)
    windows: list[dict[str, Any]] = field(default_factory=list)
    formulas: list[dict[str, Any]] = field(default_factory=list)


def chunks(
    text: str,
    limit: int = MAX_CHUNK,
    soft_wraps: Sequence[tuple[int, int]] = (),
    clause_starts: Sequence[int] = (),
) -> Iterator[tuple[int, int]]:
    """[start, end) pieces of at most ``limit`` characters: cut where a clause starts because a
    criterion does (``clause_starts``), else after a clause end, where possible; never at a line
    break that hard wrapping made (``soft_wraps``: "Weight greater than\r\n1750 g" is one clause)."""
    start = 0
    n = len(text)
    wrap_starts = [a for a, _ in soft_wraps]
    while n - start > limit:
        window = text[start : start + limit]
        lo = bisect.bisect_left(clause_starts, start + limit // 3)
        hi = bisect.bisect_right(clause_starts, start + limit - 1)
        if hi > lo:
            cut = clause_starts[hi - 1] - start
        else:
            cut = max(
                (
                    m.end()
                    for m in _CLAUSE_END.finditer(window)
                    if not _soft(soft_wraps, wrap_starts, start + m.start())
                ),
                default=0,
            )
        if cut < limit // 3:
            space = window.rfind(" ", limit // 3)
            cut = space + 1 if space > 0 else limit
        yield start, start + cut
        start += cut
    if start < n:
        yield start, n


def _soft(soft_wraps: Sequence[tuple[int, int]], wrap_starts: list[int], at: int) -> bool:
    """Is ``at`` inside one of the (sorted) soft wraps (``wrap_starts``: their starts)?"""
    k = bisect.bisect_right(wrap_starts, at) - 1
    return k >= 0 and soft_wraps[k][0] <= at < soft_wraps[k][1]


def _shift(item: dict[str, Any], offset: int, keys: tuple[str, ...]) -> dict[str, Any]:
    out = dict(item)
    for k in keys:
        if out.get(k) is not None:
            out[k] += offset
    return out


def _pieces(
    text: str,
    spans: list[tuple[int, int]],
    limit: int,
    soft_wraps: Sequence[tuple[int, int]] = (),
    clause_starts: Sequence[int] = (),
) -> Iterator[tuple[int, int]]:
    """Stretches of the source to run the pipeline on: neighbouring criteria packed together up to
    ``limit`` characters (fewer, larger docs cost less), a longer criterion cut at clause ends."""
    group: tuple[int, int] | None = None
    for s, e in spans:
        if e - s > limit:
            if group:
                yield group
                group = None
            wraps = [(a - s, b - s) for a, b in soft_wraps if s <= a and b <= e]
            starts = [c - s for c in clause_starts if s < c < e]
            for a, b in chunks(text[s:e], limit, wraps, starts):
                yield s + a, s + b
            continue
        if group and e - group[0] <= limit and s >= group[1]:
            group = (group[0], e)
        else:
            if group:
                yield group
            group = (s, e)
    if group:
        yield group


def _docs(
    nlp: Language,
    text: str,
    pieces: list[tuple[int, int]],
    soft_wraps: list[tuple[int, int]],
    clause_starts: list[int],
) -> Iterator[Doc]:
    """The Doc of each piece, with the soft wraps and clause starts inside it (offsets into the
    piece) set on it."""
    wrap_starts = [a for a, _ in soft_wraps]
    for a, b in pieces:
        doc = nlp.make_doc(text[a:b])
        k = bisect.bisect_left(wrap_starts, a)
        inside = []
        while k < len(soft_wraps) and soft_wraps[k][1] <= b:
            inside.append((soft_wraps[k][0] - a, soft_wraps[k][1] - a))
            k += 1
        doc._.soft_wraps = inside
        lo, hi = bisect.bisect_right(clause_starts, a), bisect.bisect_left(clause_starts, b)
        doc._.clause_starts = [s - a for s in clause_starts[lo:hi]]
        yield doc


def analyse_spans(
    nlp: Language,
    text: str,
    spans: list[tuple[int, int]],
    limit: int = MAX_CHUNK,
    soft_wraps: list[tuple[int, int]] | None = None,
    clause_starts: list[int] | None = None,
) -> list[Analysis]:
    """One Analysis per [start, end) criterion span of ``text`` (offsets relative to the criterion).

    Items are given to the criterion that contains them; an item that would straddle two criteria
    (none can, as sentences end at line breaks) is left out. ``soft_wraps``, sorted, are the line
    breaks that hard wrapping put inside a line (``Layout.soft_wraps``): each Doc carries its own, and
    the pipeline reads on across them; ``clause_starts``, sorted, are offsets where a clause starts
    because a criterion does (after its list number, at an inline label, at a run-on criterion).
    """
    results = [Analysis(text[s:e]) for s, e in spans]
    starts = [s for s, _ in spans]
    pieces = list(_pieces(text, spans, limit, soft_wraps or [], clause_starts or []))
    docs = nlp.pipe(_docs(nlp, text, pieces, soft_wraps or [], clause_starts or []))

    def owner(a: int, b: int) -> int | None:
        k = bisect.bisect_right(starts, a) - 1
        if k >= 0 and spans[k][0] <= a and b <= spans[k][1]:
            return k
        return None

    for (pa, _pb), doc in zip(pieces, docs, strict=True):
        for (a, b), info in (doc._.entity_info or {}).items():
            k = owner(pa + a, pa + b)
            if k is not None:
                results[k].entity_info[(pa + a - starts[k], pa + b - starts[k])] = info
        for (a, b), flags in (doc._.assertions or {}).items():
            k = owner(pa + a, pa + b)
            if k is not None:
                results[k].assertions[(pa + a - starts[k], pa + b - starts[k])] = flags
        placed: dict[int, tuple[int, int]] = {}  # threshold index in the doc -> (criterion, index there)
        for i, t in enumerate(doc._.thresholds or []):
            k = owner(pa + t["start"], pa + t["end"])
            if k is None:
                continue
            shifted = _shift(t, pa - starts[k], ("start", "end"))
            ref = t.get("equivalent_of")
            shifted["equivalent_of"] = placed[ref][1] if ref in placed and placed[ref][0] == k else None
            placed[i] = (k, len(results[k].thresholds))
            results[k].thresholds.append(shifted)
        for w in doc._.time_windows or []:
            k = owner(pa + w["start"], pa + w["end"])
            if k is not None:
                results[k].windows.append(
                    _shift(
                        w, pa - starts[k], ("start", "end", "anchor_start", "anchor_end", "event_start", "event_end")
                    )
                )
        for f in doc._.formulas or []:
            k = owner(pa + f["start"], pa + f["end"])
            if k is not None:
                results[k].formulas.append(_shift(f, pa - starts[k], ("start", "end")))
    return results
