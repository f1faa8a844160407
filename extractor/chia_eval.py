"""Score entity spans against a Chia-schema corpus, as the literature does.

- strict: same type and exactly the same offsets;
- relaxed: same type and overlapping offsets, each gold span matched at most once (exact matches
  first, then the largest overlap).

Gold spans are the annotations' extents (a discontinuous annotation from its first to its last
character), trimmed of surrounding whitespace, one per (type, start, end). Micro-averages are given
over the eight main types and over every kept type.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from . import chia
from .brat import trimmed

Span = tuple[int, int, str]


def gold_spans(f: chia.ChiaFile) -> list[Span]:
    out = set()
    for e in f.entities:
        s, t = trimmed(f.text, e.start, e.end)
        if s < t:
            out.add((s, t, e.type))
    return sorted(out)


def _match(gold: list[Span], pred: list[Span]) -> tuple[int, int]:
    """(strict hits, relaxed hits) for one file and one type."""
    strict = len(set(gold) & set(pred))
    used: set[int] = set()
    relaxed = 0
    # exact pairs first, so that a near miss never takes an exact match's partner
    order = sorted(range(len(gold)), key=lambda i: gold[i] not in set(pred))
    for gi in order:
        g = gold[gi]
        best, best_overlap = None, 0
        for pi, p in enumerate(pred):
            if pi in used:
                continue
            overlap = min(g[1], p[1]) - max(g[0], p[0])
            if p == g:
                best, best_overlap = pi, 1 << 30
                break
            if overlap > best_overlap:
                best, best_overlap = pi, overlap
        if best is not None:
            used.add(best)
            relaxed += 1
    return strict, relaxed


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float | int]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": round(p, 4), "r": round(r, 4), "f1": round(f, 4), "tp": tp, "pred": n_pred, "gold": n_gold}


def score_files(
    corpus_files: Iterable[chia.ChiaFile],
    predicted: Mapping[str, Iterable[tuple[Any, ...]]],
    types: Iterable[str] = chia.ALL_TYPES,
) -> dict[str, Any]:
    """Scores of ``predicted[file name]`` spans ``(start, end, type, ...)`` against the files' gold."""
    kinds = tuple(types)
    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    hits: dict[str, Counter[str]] = {"strict": Counter(), "relaxed": Counter()}
    files = 0
    for f in corpus_files:
        files += 1
        gold = gold_spans(f)
        pred = sorted({(int(p[0]), int(p[1]), str(p[2])) for p in predicted.get(f.name, [])})
        for kind in kinds:
            g = [s for s in gold if s[2] == kind]
            p = [s for s in pred if s[2] == kind]
            n_gold[kind] += len(g)
            n_pred[kind] += len(p)
            if g and p:
                strict, relaxed = _match(g, p)
                hits["strict"][kind] += strict
                hits["relaxed"][kind] += relaxed
    out: dict[str, Any] = {"files": files, "per_type": {}}
    for kind in kinds:
        out["per_type"][kind] = {m: _prf(hits[m][kind], n_pred[kind], n_gold[kind]) for m in hits}
    for group, candidates in (("main", chia.MAIN_TYPES), ("all", kinds)):
        members = [k for k in candidates if k in kinds]
        out[group] = {
            m: _prf(sum(hits[m][k] for k in members), sum(n_pred[k] for k in members), sum(n_gold[k] for k in members))
            for m in hits
        }
    return out


def format_table(scores: Mapping[str, Any], title: str = "") -> str:
    """A Markdown table: per type, then the two micro-averages."""
    rows = [
        "| type | strict P | strict R | strict F1 | relaxed P | relaxed R | relaxed F1 | gold |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def row(name: str, s: Mapping[str, Any]) -> str:
        a, b = s["strict"], s["relaxed"]
        return (
            f"| {name} | {a['p']:.3f} | {a['r']:.3f} | {a['f1']:.3f} | "
            f"{b['p']:.3f} | {b['r']:.3f} | {b['f1']:.3f} | {a['gold']} |"
        )

    for kind, s in scores["per_type"].items():
        if s["strict"]["gold"] or s["strict"]["pred"]:
            rows.append(row(kind, s))
    rows.append(row("**micro, 8 main types**", scores["main"]))
    rows.append(row("**micro, all types**", scores["all"]))
    head = f"{title}\n\n" if title else ""
    return head + "\n".join(rows) + "\n"


def predict_with_model(corpus_files: Iterable[chia.ChiaFile], model: Any) -> dict[str, list[Span]]:
    """Spans of the trained model alone (``extractor.model.EntityModel``), every type it knows."""
    files = list(corpus_files)
    out = {}
    for f, scored in zip(files, model.pipe_scored(f.text for f in files), strict=True):
        out[f.name] = [(s, e, t) for s, e, t, _ in model.select(scored, model.threshold)]
    return out


def predict_with_pipeline(corpus_files: Iterable[chia.ChiaFile], nlp: Any = None) -> dict[str, list[Span]]:
    """Spans of the full extractor, as ``extract --format brat`` writes them."""
    from .api import extract
    from .brat import record_spans
    from .errors import ExtractorError

    out: dict[str, list[Span]] = {}
    for f in corpus_files:
        try:
            record = extract(f.text, name=f.name, nlp=nlp, check=False)
        except ExtractorError:
            out[f.name] = []  # scored as all misses, never skipped
            continue
        out[f.name] = record_spans(record, text=f.text)
    return out
