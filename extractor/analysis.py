"""Run the pipeline over one criterion and collect its plain-data results.

Long criteria are cut into chunks of at most ``MAX_CHUNK`` characters at clause boundaries, so that
ConText (quadratic in the number of modifiers of a doc) stays bounded whatever the input; results are
shifted back to offsets in the whole criterion.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from spacy.language import Language

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


def chunks(text: str, limit: int = MAX_CHUNK) -> Iterator[tuple[int, int]]:
    """[start, end) pieces of at most ``limit`` characters, cut after a clause end where possible."""
    start = 0
    n = len(text)
    while n - start > limit:
        window = text[start : start + limit]
        cut = max((m.end() for m in _CLAUSE_END.finditer(window)), default=0)
        if cut < limit // 3:
            space = window.rfind(" ", limit // 3)
            cut = space + 1 if space > 0 else limit
        yield start, start + cut
        start += cut
    if start < n:
        yield start, n


def _shift(item: dict[str, Any], offset: int, keys: tuple[str, ...]) -> dict[str, Any]:
    out = dict(item)
    for k in keys:
        if out.get(k) is not None:
            out[k] += offset
    return out


def analyse_texts(nlp: Language, texts: list[str]) -> list[Analysis]:
    """One Analysis per text, running the pipeline over every chunk in one ``nlp.pipe`` stream."""
    pieces = [(ti, s, e) for ti, t in enumerate(texts) for s, e in chunks(t)]
    results = [Analysis(t) for t in texts]
    docs = nlp.pipe(texts[ti][s:e] for ti, s, e in pieces)
    for (ti, s, _e), doc in zip(pieces, docs, strict=True):
        res = results[ti]
        for (a, b), info in (doc._.entity_info or {}).items():
            res.entity_info[(a + s, b + s)] = info
        for (a, b), flags in (doc._.assertions or {}).items():
            res.assertions[(a + s, b + s)] = flags
        base = len(res.thresholds)
        for t in doc._.thresholds or []:
            shifted = _shift(t, s, ("start", "end"))
            if shifted.get("equivalent_of") is not None:
                shifted["equivalent_of"] += base
            res.thresholds.append(shifted)
        res.windows.extend(
            _shift(w, s, ("start", "end", "anchor_start", "anchor_end")) for w in doc._.time_windows or []
        )
        res.formulas.extend(_shift(f, s, ("start", "end")) for f in doc._.formulas or [])
    return results
