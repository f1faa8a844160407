"""Linking the parts of one criterion: thresholds to what they measure, doses to drugs, windows to
what they qualify, and the and/or tree over the parts.

Pure functions over plain data with offsets relative to the criterion's text.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .rules import load_json

SUBJECT_TYPES = {"Measurement", "Person", "Observation", "Drug", "Condition", "Procedure"}
LEAF_TYPES = {
    "Condition",
    "Drug",
    "Procedure",
    "Measurement",
    "Observation",
    "Pregnancy_considerations",
    "Informed_consent",
    "Device",
}


@lru_cache(maxsize=1)
def _words() -> dict[str, Any]:
    w = dict(load_json("words.json"))
    w["_filler"] = re.compile(w["subject_filler"], re.IGNORECASE)
    w["_or"] = re.compile(w["connector_or"], re.IGNORECASE)
    w["_and"] = re.compile(w["connector_and"], re.IGNORECASE)
    w["_connector"] = re.compile(r"^(?:\s|,|/|;|\b(?:or|and|and/or|nor)\b|\(or\)|\band\s*\(or\))*$", re.IGNORECASE)
    return w


@dataclass
class Item:
    """An entity, threshold or window of the criterion (local offsets) with its linking results."""

    kind: str  # entity | threshold | window | formula
    start: int
    end: int
    data: dict[str, Any]
    subjects: list[int] = field(default_factory=list)  # indices into the entity list


def _skip_parenthetical_back(text: str, pos: int) -> int:
    """If text[:pos] ends with a bracketed aside, the position of its opening bracket."""
    j = pos
    while j > 0 and text[j - 1].isspace():
        j -= 1
    if j > 0 and text[j - 1] in ")]":
        depth = 0
        for k in range(j - 1, -1, -1):
            if text[k] in ")]":
                depth += 1
            elif text[k] in "([":
                depth -= 1
                if depth == 0:
                    return k
    return pos


def link_subjects(
    text: str, entities: list[dict[str, Any]], thresholds: list[dict[str, Any]], heading_end: int
) -> list[list[int]]:
    """For each threshold, the indices of the entities it constrains (one per joined analyte)."""
    words = _words()
    out: list[list[int]] = []
    starts = [e["start"] for e in entities]
    for ti, t in enumerate(thresholds):
        if t.get("equivalent_of") is not None:
            out.append(list(out[t["equivalent_of"]]))
            continue
        group: list[int] = []
        pos = t["start"]
        # entities are sorted by start; only the last few before the threshold can be its subject
        upto = bisect.bisect_right(starts, t["start"])
        candidates = [
            i
            for i in range(max(0, upto - 12), upto)
            if entities[i]["type"] in SUBJECT_TYPES and entities[i]["end"] <= t["start"]
        ]
        aside = _skip_parenthetical_back(text, t["start"])
        for i in reversed(candidates):
            e = entities[i]
            if e["end"] > pos:
                continue
            if not group and aside != t["start"] and e["start"] > aside:
                continue  # a mention inside the bracketed aside right before the threshold
            gap = text[e["end"] : pos]
            if not group:
                ok = bool(words["_filler"].match(gap))
                if not ok:
                    # "prednisone (or equivalent dose of glucocorticoid) ≥ 100 mg/d": look past the aside
                    back = _skip_parenthetical_back(text, pos)
                    if back != pos and e["end"] <= back and words["_filler"].match(text[e["end"] : back]):
                        ok = True
            else:
                ok = bool(words["_connector"].match(gap)) and e["type"] == entities[group[0]]["type"]
            if not ok:
                break
            group.insert(0, i)
            pos = e["start"]
        if not group and ti > 0:
            prev = thresholds[ti - 1]
            gap = text[prev["end"] : t["start"]]
            if words["_connector"].match(gap) and out[ti - 1]:
                group = list(out[ti - 1])
        out.append(group)
    return out


def qualitative_results(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """'negative ... pregnancy test', 'X is basically normal', 'abnormal laboratory tests'."""
    words = _words()
    results = words["qualitative_results"]
    alternation = "|".join(re.escape(k) for k in sorted(results, key=len, reverse=True))
    out = []
    for m in re.finditer(rf"(?<!\w)(?:{alternation})(?!\w)", text, re.IGNORECASE):
        value = results[m.group().lower()]
        tests = [
            (i, e)
            for i, e in enumerate(entities)
            if e["type"] in {"Measurement", "Observation"}
            and re.search(r"test|function|result|screen", text[e["start"] : e["end"]], re.IGNORECASE)
        ]
        subject = None
        for i, e in tests:
            after = text[m.end() : e["start"]]
            before = text[e["end"] : m.start()]
            if e["start"] >= m.end() and len(after) <= 30 and not re.search(r"[,;.]", after):
                subject = i
                break
            if e["end"] <= m.start() and re.fullmatch(r"\s*(?:is|are|was|were|should be|must be)?\s*", before):
                subject = i
                break
        if subject is not None and not any(
            e["start"] <= m.start() and m.end() <= e["end"] for e in entities if e["type"] in LEAF_TYPES
        ):
            out.append(
                {
                    "start": m.start(),
                    "end": m.end(),
                    "comparator": "=",
                    "value": value,
                    "rule": "qualitative-result",
                    "subject": subject,
                }
            )
    return out


def route_of(text: str, entity: dict[str, Any]) -> str | None:
    routes = _words()["routes"]
    window = text[max(0, entity["start"] - 30) : entity["end"]].lower()
    found = None
    for word, route in routes.items():
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", window):
            found = route
    return found


def frequency_of(text: str, start: int, end: int) -> str | None:
    freqs = _words()["frequencies"]
    window = text[end : end + 25].lower()
    for phrase in sorted(freqs, key=len, reverse=True):
        if re.match(rf"\s*,?\s*{re.escape(phrase)}\b", window):
            return freqs[phrase]
    return None


def window_targets(
    text: str,
    entities: list[dict[str, Any]],
    windows: list[dict[str, Any]],
    thresholds: list[dict[str, Any]],
    subjects: list[list[int]],
    heading_end: int,
) -> list[list[int]]:
    """For each window, the entities it qualifies: the threshold right before it, else the clinical
    mentions of its clause before it (or after it when nothing precedes)."""
    words = _words()
    skip = set(words["context_only_normalized"])
    subject_ids = {i for group in subjects for i in group}
    clinical = [
        i
        for i, e in enumerate(entities)
        if e["type"] in LEAF_TYPES - {"Informed_consent"}
        and e.get("normalized") not in skip
        and not (e.get("assertion") or {}).get("negated")
        and i not in subject_ids
    ]
    clinical_starts = [entities[i]["start"] for i in clinical]
    threshold_ends = sorted((t["end"], ti) for ti, t in enumerate(thresholds))
    clause_marks = [m.end() for m in re.finditer(r";|\.\s", text)]
    out = []
    for wi, w in enumerate(windows):
        k = bisect.bisect_right(threshold_ends, (w["start"], len(thresholds)))
        if k:
            t_end, ti = threshold_ends[k - 1]
            if words["_filler"].match(text[t_end : w["start"]]) and subjects[ti]:
                out.append(list(subjects[ti]))
                continue
        m = bisect.bisect_right(clause_marks, w["start"])
        clause_start = max(heading_end, clause_marks[m - 1] if m else 0, windows[wi - 1]["end"] if wi else 0)
        m2 = bisect.bisect_left(clause_marks, w["end"])
        clause_end = clause_marks[m2] if m2 < len(clause_marks) else len(text)
        lo = bisect.bisect_left(clinical_starts, clause_start)
        hi = bisect.bisect_left(clinical_starts, w["start"])
        targets = [clinical[j] for j in range(lo, hi) if entities[clinical[j]]["end"] <= w["start"]]
        if not targets:
            lo2 = bisect.bisect_left(clinical_starts, w["end"])
            hi2 = bisect.bisect_left(clinical_starts, clause_end)
            targets = [clinical[j] for j in range(lo2, hi2) if entities[clinical[j]]["end"] <= clause_end]
        out.append(targets)
    return out


def _bracket_depths(text: str) -> list[int]:
    """Bracket nesting depth before each character (computed once per criterion: linear)."""
    depths = [0] * (len(text) + 1)
    depth = 0
    for i, ch in enumerate(text):
        depths[i] = depth
        if ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
    depths[len(text)] = depth
    return depths


def _connector(gap: str, side: str) -> str:
    words = _words()
    if words["_or"].search(gap):
        return "any"
    if words["_and"].search(gap):
        return "all"
    if "/" in gap or "," in gap:
        return "all" if side == "inclusion" else "any"
    return "all"


def build_logic(
    text: str,
    side: str,
    leaves: list[tuple[int, int, str]],
    groups: dict[str, list[str]],
    lo: int = 0,
) -> dict[str, Any] | None:
    """And/or tree over the leaves (start, end, id) of a criterion.

    ``groups`` maps a leaf id to the ids of the constraints that share its threshold ("AST or ALT or
    GGT > 3 x ULN"), which become one subtree. Asides in brackets are examples of the mention before
    them and are left out. Precedence: ';' and '. ' separate top-level parts, then 'or' binds looser
    than 'and'; a bare comma or slash means 'and' in inclusion criteria and 'or' in exclusion criteria.
    """
    leaves = sorted(leaves)
    depths = _bracket_depths(text)
    base_depth = depths[lo] if lo < len(depths) else 0
    leaves = [leaf for leaf in leaves if depths[leaf[0]] <= base_depth]
    if len(leaves) + sum(len(v) - 1 for v in groups.values() if v) < 2:
        return None

    def node(leaf: tuple[int, int, str]) -> dict[str, Any]:
        members = groups.get(leaf[2])
        if members and len(members) > 1:
            gap = text[leaf[0] : leaf[1]]
            return {
                "op": groups.get("__op__" + leaf[2], ["any"])[0],
                "args": [{"ref": m} for m in members],
                "_gap": gap,
            }
        return {"ref": leaf[2]}

    # segments split at strong separators
    segments: list[list[tuple[int, int, str]]] = [[]]
    seg_ops: list[str] = []
    for k, leaf in enumerate(leaves):
        if k > 0:
            gap = text[leaves[k - 1][1] : leaf[0]]
            if re.search(r";|\.\s", gap):
                seg_ops.append(_connector(gap.split(";")[-1] if ";" in gap else gap, side))
                segments.append([])
        segments[-1].append(leaf)

    def combine(seq: list[tuple[int, int, str]]) -> dict[str, Any]:
        # split by "any" connectors into runs joined by "all"
        runs: list[list[dict[str, Any]]] = [[node(seq[0])]]
        for k in range(1, len(seq)):
            gap = text[seq[k - 1][1] : seq[k][0]]
            if _connector(gap, side) == "any":
                runs.append([])
            runs[-1].append(node(seq[k]))
        parts = [r[0] if len(r) == 1 else {"op": "all", "args": r} for r in runs]
        return parts[0] if len(parts) == 1 else {"op": "any", "args": parts}

    trees = [combine(seg) for seg in segments if seg]
    if len(trees) == 1:
        tree = trees[0]
    else:
        top = "any" if "any" in seg_ops else ("all" if side == "inclusion" else "any")
        tree = {"op": top, "args": trees}
    return _clean(tree)


def _clean(tree: dict[str, Any]) -> dict[str, Any]:
    """Drop private keys; merge a child into its parent when both have the same op."""
    if "ref" in tree:
        return {"ref": tree["ref"]}
    args: list[dict[str, Any]] = []
    for a in tree["args"]:
        c = _clean(a)
        if "op" in c and c["op"] == tree["op"] and tree["op"] in {"all", "any"}:
            args.extend(c["args"])
        else:
            args.append(c)
    return {"op": tree["op"], "args": args}
