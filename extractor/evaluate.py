"""Score a predicted record against a gold record for the same source text.

Both records follow ``schemas/criteria.schema.json``. Items are compared by their
offsets into the source, never by their position in a list, so a segmentation
error (one criterion split in two, say) costs points under ``segmentation`` only
and does not also turn every entity in it into a miss: entities, constraints,
windows, drugs, formulas and assertions are matched across the whole record.

Every category uses one-to-one matching: one predicted item can pay for at most
one gold item, so duplicates in a prediction show up as false positives and two
gold constraints that share one span (``AST/ALT below 3 times ULN``) each need
their own predicted constraint.

The module is a pure library: it raises :class:`~extractor.errors.EvaluationError`
on unusable input and otherwise only returns values.
"""

from __future__ import annotations

import bisect
import math
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import EvaluationError
from .temporal import match_anchor

__all__ = [
    "ASSERTION_TYPES",
    "CATEGORY_NAMES",
    "CategoryScore",
    "ErrorItem",
    "EvaluationReport",
    "evaluate",
    "format_report",
]

Span = tuple[int, int]
Record = Mapping[str, Any]

#: Categories in the order they are reported.
CATEGORY_NAMES: tuple[str, ...] = (
    "segmentation",
    "segmentation_overlap",
    "entities_strict",
    "entities_overlap",
    "constraints",
    "windows",
    "window_targets",
    "drugs",
    "drug_doses",
    "negation",
    "historical",
    "hypothetical",
    "logic",
    "formulas",
    "sub_items",
)

#: Entity types whose assertion flags are scored (the guide sets them on these).
ASSERTION_TYPES: frozenset[str] = frozenset({"Condition", "Drug", "Procedure", "Measurement", "Observation"})

_ASSERTION_FLAGS: tuple[str, ...] = ("negated", "historical", "hypothetical")
_ASSERTION_CATEGORY = {
    "negated": "negation",
    "historical": "historical",
    "hypothetical": "hypothetical",
}
_LOGIC_OPS = frozenset({"all", "any", "not", "at_least"})
_REL_TOL = 1e-6
_SEGMENT_JACCARD = 0.5
_DRUG_JACCARD = 0.5
_WS = re.compile(r"\s+")


# --- results


@dataclass(frozen=True)
class ErrorItem:
    """One unmatched item: a gold miss or a predicted false positive."""

    criterion: str | None
    text: str
    span: Span | None
    description: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {
            "criterion": self.criterion,
            "text": self.text,
            "span": list(self.span) if self.span is not None else None,
            "description": self.description,
        }


@dataclass
class CategoryScore:
    """Counts, derived P/R/F1 and the unmatched items of one category."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[ErrorItem] = field(default_factory=list)
    false_positives: list[ErrorItem] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1.0 when nothing was predicted and nothing was due."""
        if self.tp + self.fp:
            return self.tp / (self.tp + self.fp)
        return 1.0 if self.fn == 0 else 0.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 1.0 when gold is empty and nothing was predicted."""
        if self.tp + self.fn:
            return self.tp / (self.tp + self.fn)
        return 1.0 if self.fp == 0 else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall (0.0 when both are 0)."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict with counts, scores and errors."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "misses": [e.to_dict() for e in self.misses],
            "false_positives": [e.to_dict() for e in self.false_positives],
        }


@dataclass
class EvaluationReport:
    """Scores of one predicted record against its gold record.

    ``categories`` maps each name in :data:`CATEGORY_NAMES` to its score;
    ``by_type`` maps ``entities_strict`` and ``entities_overlap`` to a score per
    entity type (types present on either side).
    """

    categories: dict[str, CategoryScore]
    by_type: dict[str, dict[str, CategoryScore]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {
            "categories": {k: v.to_dict() for k, v in self.categories.items()},
            "by_type": {cat: {t: s.to_dict() for t, s in types.items()} for cat, types in self.by_type.items()},
        }


# --- items


@dataclass(frozen=True)
class _Item:
    """A scorable item flattened out of a record, with what matchers need."""

    criterion: str | None
    span: Span | None
    text: str
    description: str
    data: Mapping[str, Any]
    subject_span: Span | None = None
    children: tuple[Span | None, ...] = ()

    def error(self) -> ErrorItem:
        return ErrorItem(self.criterion, self.text, self.span, self.description)


@dataclass
class _Collected:
    criteria: list[_Item] = field(default_factory=list)
    entities: list[_Item] = field(default_factory=list)
    constraints: list[_Item] = field(default_factory=list)
    windows: list[_Item] = field(default_factory=list)
    window_targets: list[_Item] = field(default_factory=list)
    drugs: list[_Item] = field(default_factory=list)
    formulas: list[_Item] = field(default_factory=list)
    groups: list[_Item] = field(default_factory=list)
    sub_items: list[_Item] = field(default_factory=list)


def _span(value: Any) -> Span | None:
    """Return a well-formed ``(start, end)`` or None for anything else."""
    if (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and 0 <= value[0] <= value[1]
    ):
        return (value[0], value[1])
    return None


def _list(container: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """The dict members of ``container[key]``; tolerant of absent/odd values."""
    value = container.get(key)
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, Mapping)]


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _stripped_span(text: str, span: Span | None) -> Span | None:
    """Shrink ``span`` by the whitespace at the edges of ``text``.

    The record carries ``source[start:end] == text``, so the text tells how much
    whitespace sits inside the span without needing the source itself. When the
    two disagree in length the span is used as given.
    """
    if span is None or len(text) != span[1] - span[0]:
        return span
    lead = len(text) - len(text.lstrip())
    trail = len(text) - len(text.rstrip())
    if lead == len(text):
        return (span[0], span[0])
    return (span[0] + lead, span[1] - trail)


def _slice(criterion: Mapping[str, Any], span: Span | None) -> str:
    """The text under ``span``, cut out of the criterion's text when it lies inside."""
    cspan = _span(criterion.get("span"))
    ctext = _str(criterion.get("text"))
    if span is None or cspan is None or len(ctext) != cspan[1] - cspan[0]:
        return ""
    if cspan[0] <= span[0] and span[1] <= cspan[1]:
        return ctext[span[0] - cspan[0] : span[1] - cspan[0]]
    return ""


def _collect(record: Record) -> _Collected:
    """Flatten a record into per-category item lists, in criterion order."""
    out = _Collected()
    criteria = record.get("criteria")
    if criteria is None:
        criteria = []
    if not isinstance(criteria, list):
        raise EvaluationError("record 'criteria' must be a list")
    crit_dicts = [c for c in criteria if isinstance(c, Mapping)]
    global_entities: dict[str, Span | None] = {}
    for crit in crit_dicts:
        for ent in _list(crit, "entities"):
            if isinstance(ent.get("id"), str):
                global_entities.setdefault(ent["id"], _span(ent.get("span")))
    for crit in crit_dicts:
        _collect_criterion(crit, global_entities, out)
    return out


def _collect_criterion(crit: Mapping[str, Any], global_entities: Mapping[str, Span | None], out: _Collected) -> None:
    cid = crit.get("id") if isinstance(crit.get("id"), str) else None
    text = _str(crit.get("text"))
    span = _span(crit.get("span"))
    out.criteria.append(_Item(cid, span, text, f"{crit.get('side')}: {_clip(text, 60)}", crit))
    spans_by_id: dict[str, Span | None] = {}
    local_entities: dict[str, Span | None] = {}

    def add(kind: str, obj: Mapping[str, Any], desc: str, **extra: Any) -> _Item:
        item = _Item(cid, _span(obj.get("span")), _str(obj.get("text")), desc, obj, **extra)
        if isinstance(obj.get("id"), str):
            spans_by_id.setdefault(obj["id"], item.span)
        getattr(out, kind).append(item)
        return item

    for ent in _list(crit, "entities"):
        item = add("entities", ent, _describe_entity(ent))
        if isinstance(ent.get("id"), str):
            local_entities.setdefault(ent["id"], item.span)
    for con in _list(crit, "constraints"):
        subject = con.get("subject")
        subject_span = None
        subject_text = ""
        if isinstance(subject, str):
            subject_span = local_entities.get(subject, global_entities.get(subject))
            subject_text = _slice(crit, subject_span)
        add(
            "constraints",
            con,
            _describe_constraint(con, subject_text),
            subject_span=subject_span,
        )
    for win in _list(crit, "windows"):
        window = add("windows", win, _describe_window(win))
        # what each window times, one item per mention: the window's span rides as the subject
        for ref in win.get("applies_to") or ():
            # (a window times mentions of its own criterion: a ref elsewhere times nothing here)
            target = local_entities.get(ref) if isinstance(ref, str) else None
            if target is not None:
                desc = f"{_clip(_slice(crit, target), 30)} <- {_clip(window.text, 40)}"
                out.window_targets.append(_Item(cid, target, _slice(crit, target), desc, win, subject_span=window.span))
    for drug in _list(crit, "drugs"):
        add("drugs", drug, _describe_drug(drug))
    for formula in _list(crit, "formulas"):
        add("formulas", formula, _describe_formula(formula))
    combine = crit.get("sub_items")
    if isinstance(combine, Mapping):
        label = f"at_least {combine.get('n')}" if combine.get("op") == "at_least" else str(combine.get("op"))
        data = {"op": combine.get("op"), "n": combine.get("n"), "side": crit.get("side")}
        out.sub_items.append(_Item(cid, span, text, f"sub-items {label}: {_clip(text, 50)}", data))
    logic = crit.get("logic")
    if isinstance(logic, Mapping):
        for node in _logic_nodes(normalise_logic(logic)):
            out.groups.append(_logic_group(crit, cid, node, spans_by_id))


def normalise_logic(node: Mapping[str, Any]) -> Mapping[str, Any]:
    """An equivalent tree in a canonical shape, so that equal logic scores equal.

    and/or are associative: a child with its parent's op is merged into the parent
    (any(any(a, b), c) == any(a, b, c)), and an and/or with one argument is that argument.
    """
    op, args = node.get("op"), node.get("args")
    if op not in _LOGIC_OPS or not isinstance(args, list):
        return node
    flat: list[Any] = []
    for arg in args:
        child = normalise_logic(arg) if isinstance(arg, Mapping) else arg
        if op in ("all", "any") and isinstance(child, Mapping) and child.get("op") == op:
            flat.extend(child["args"])
        else:
            flat.append(child)
    if op in ("all", "any") and len(flat) == 1 and isinstance(flat[0], Mapping):
        return flat[0]
    return {**node, "args": flat}


def _logic_nodes(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every operator node of a logic tree, pre-order."""
    if node.get("op") in _LOGIC_OPS and isinstance(node.get("args"), list):
        yield node
        for arg in node["args"]:
            if isinstance(arg, Mapping):
                yield from _logic_nodes(arg)


def _leaf_spans(node: Any, spans_by_id: Mapping[str, Span | None]) -> list[Span]:
    if not isinstance(node, Mapping):
        return []
    if "ref" in node:
        span = spans_by_id.get(node["ref"]) if isinstance(node["ref"], str) else None
        return [span] if span is not None else []
    args = node.get("args")
    if not isinstance(args, list):
        return []
    return [s for arg in args for s in _leaf_spans(arg, spans_by_id)]


def _hull(spans: Sequence[Span]) -> Span | None:
    if not spans:
        return None
    return (min(s[0] for s in spans), max(s[1] for s in spans))


def _logic_group(
    crit: Mapping[str, Any],
    cid: str | None,
    node: Mapping[str, Any],
    spans_by_id: Mapping[str, Span | None],
) -> _Item:
    """A logic node as (op, child spans); a subtree child is the hull of its leaves."""
    children = tuple(_hull(_leaf_spans(arg, spans_by_id)) for arg in node["args"])
    hull = _hull([c for c in children if c is not None])
    parts = [_clip(_slice(crit, c), 25) or "?" for c in children]
    op = node["op"]
    label = f"at_least {node.get('n')}" if op == "at_least" else op
    desc = f"{label}({' | '.join(parts)})"
    return _Item(cid, hull, _slice(crit, hull), desc, node, children=children)


# --- descriptions


def _clip(text: str, width: int) -> str:
    text = _WS.sub(" ", text).strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def _num(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _describe_entity(ent: Mapping[str, Any]) -> str:
    desc = f"{ent.get('type')} '{_clip(_str(ent.get('text')), 50)}'"
    assertion = ent.get("assertion")
    if isinstance(assertion, Mapping):
        flags = [f for f in _ASSERTION_FLAGS if assertion.get(f) is True]
        if flags:
            desc += f" [{', '.join(flags)}]"
    return desc


def _describe_constraint(con: Mapping[str, Any], subject_text: str) -> str:
    name = _str(con.get("measure")) or subject_text or "?"
    comparator = con.get("comparator")
    unit = con.get("unit")
    tail = f" {unit}" if unit else ""
    if con.get("multiple") is not None or con.get("reference"):
        body = f"{comparator} {_num(con.get('multiple'))} x {con.get('reference')}"
    elif comparator == "between":
        body = f"{_num(con.get('low'))}-{_num(con.get('high'))}{tail}"
    else:
        body = f"{comparator} {_num(con.get('value'))}{tail}"
    if con.get("count_of"):
        body += f" (count of {con.get('count_of')})"
    return f"{name} {body}"


def _describe_window(win: Mapping[str, Any]) -> str:
    anchor = win.get("anchor")
    name = anchor.get("name") if isinstance(anchor, Mapping) else None
    parts = [win.get("comparator"), win.get("duration"), win.get("direction"), name]
    return " ".join(str(p) for p in parts if p)


def _describe_dose(dose: Any) -> str:
    if not isinstance(dose, Mapping):
        return ""
    if dose.get("comparator") == "between":
        return f"{_num(dose.get('low'))}-{_num(dose.get('high'))} {dose.get('unit')}"
    return f"{dose.get('comparator')} {_num(dose.get('value'))} {dose.get('unit')}"


def _describe_drug(drug: Mapping[str, Any]) -> str:
    parts = [_str(drug.get("name")) or "?"]
    if drug.get("is_class"):
        parts.append("(class)")
    if drug.get("route"):
        parts.append(f"[{drug.get('route')}]")
    if isinstance(drug.get("dose"), Mapping):
        parts.append(_describe_dose(drug["dose"]))
    return " ".join(parts)


def _describe_formula(formula: Mapping[str, Any]) -> str:
    return f"{formula.get('name')} -> {formula.get('output')}"


# --- comparisons


def _overlap_len(a: Span, b: Span) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _overlaps(a: Span | None, b: Span | None) -> bool:
    """Share at least one code point (two equal empty spans also count)."""
    if a is None or b is None:
        return False
    return a == b or _overlap_len(a, b) > 0


def _jaccard(a: Span | None, b: Span | None) -> float:
    if a is None or b is None:
        return 0.0
    if a == b:
        return 1.0
    inter = _overlap_len(a, b)
    union = (a[1] - a[0]) + (b[1] - b[0]) - inter
    return inter / union if union else 0.0


def _norm_text(value: Any) -> str | None:
    """Lower-case with collapsed whitespace; None for missing or blank."""
    if not isinstance(value, str):
        return None
    text = _WS.sub(" ", value).strip().casefold()
    return text or None


def _norm_unit(value: Any) -> str | None:
    """Unit text for comparison: case-insensitive, no spaces, micro sign as 'u'."""
    if not isinstance(value, str):
        return None
    text = _WS.sub("", value).replace("\u03bc", "u").replace("\u00b5", "u").casefold()
    return text or None


def _norm_scalar(value: Any) -> float | str | None:
    """Numbers (and numeric strings) as floats, other strings normalised."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return _norm_text(value)
    return str(value)


def _scalars_equal(a: Any, b: Any) -> bool:
    na, nb = _norm_scalar(a), _norm_scalar(b)
    if isinstance(na, float) and isinstance(nb, float):
        return math.isclose(na, nb, rel_tol=_REL_TOL)
    return na == nb


_UCUM_ANNOTATION = re.compile(r"\{[^{}]*\}")


def _ucum_key(code: str) -> str:
    """A UCUM code without its annotations, which carry no meaning in UCUM ("{cells}/uL" is "/uL",
    "1/uL" too); a code that is an annotation alone ("{score}") stays, in the singular ("{regimens}"
    is "{regimen}")."""
    bare = _UCUM_ANNOTATION.sub("", code.strip())
    if bare.startswith("1/"):
        bare = bare[1:]
    if bare not in ("", "/"):
        return bare
    return _UCUM_ANNOTATION.sub(lambda m: m.group().lower().replace("ies}", "y}").replace("s}", "}"), code.strip())


def _units_equal(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Compare UCUM codes when both sides have one, else the written unit."""
    ua, ub = a.get("ucum"), b.get("ucum")
    if isinstance(ua, str) and ua.strip() and isinstance(ub, str) and ub.strip():
        return _ucum_key(ua) == _ucum_key(ub) or _same_magnitude(ua, ub)
    return _norm_unit(a.get("unit")) == _norm_unit(b.get("unit"))


def _same_magnitude(a: str, b: str) -> bool:
    """Two UCUM codes for one unit ("mL" and "cm3"): converting 1 of one gives 1 of the other."""
    from .errors import UnitError
    from .units import registry

    try:
        return abs(registry().convert(1.0, a.strip(), b.strip()) - 1.0) < 1e-9
    except UnitError:
        return False


def _norm_duration(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().upper()


def _anchor_name(win: Mapping[str, Any]) -> str | None:
    """The anchor's name, a synonym of a known anchor event read as its canonical name ("study
    entry" and "enrollment" are one event: resources/anchors.json), so naming is not scored."""
    anchor = win.get("anchor")
    name = _norm_text(anchor.get("name")) if isinstance(anchor, Mapping) else None
    if name is None:
        return None
    known = match_anchor(name, 0)
    return known[2] if known is not None and (known[0], known[1]) == (0, len(name)) else name


def _doses_equal(a: Any, b: Any) -> bool:
    if not isinstance(a, Mapping) or not isinstance(b, Mapping):
        return False
    return (
        a.get("comparator") == b.get("comparator")
        and all(_scalars_equal(a.get(k), b.get(k)) for k in ("value", "low", "high"))
        and _units_equal(a, b)
    )


# --- matchers
# A matcher returns None when two items may not be paired, otherwise a preference
# score (higher is better) that decides between several candidate pairs.

Matcher = Callable[[_Item, _Item], float | None]


def _match_segment_exact(p: _Item, g: _Item) -> float | None:
    if p.data.get("side") != g.data.get("side"):
        return None
    ps, gs = _stripped_span(p.text, p.span), _stripped_span(g.text, g.span)
    return 1.0 if ps is not None and ps == gs else None


def _match_segment_overlap(p: _Item, g: _Item) -> float | None:
    if p.data.get("side") != g.data.get("side"):
        return None
    j = _jaccard(_stripped_span(p.text, p.span), _stripped_span(g.text, g.span))
    return j if j >= _SEGMENT_JACCARD else None


def _match_entity_strict(p: _Item, g: _Item) -> float | None:
    same = p.data.get("type") == g.data.get("type") and p.span is not None
    return 1.0 if same and p.span == g.span else None


def _match_entity_overlap(p: _Item, g: _Item) -> float | None:
    if p.data.get("type") != g.data.get("type") or not _overlaps(p.span, g.span):
        return None
    return _jaccard(p.span, g.span)


def _match_span_overlap(p: _Item, g: _Item) -> float | None:
    return _jaccard(p.span, g.span) if _overlaps(p.span, g.span) else None


def _match_constraint(p: _Item, g: _Item) -> float | None:
    if not _overlaps(p.span, g.span):
        return None
    pd, gd = p.data, g.data
    score = _jaccard(p.span, g.span)
    if p.subject_span is not None and g.subject_span is not None:
        if not _overlaps(p.subject_span, g.subject_span):
            return None
        score += _jaccard(p.subject_span, g.subject_span)
    elif _norm_text(pd.get("measure")) != _norm_text(gd.get("measure")) and not (
        pd.get("count_of") and gd.get("count_of")
    ):
        # (what a count counts is described in free words on both sides: "number of target lesion"
        # against "number of target lesions"; the span, value and unit decide)
        return None
    same = (
        pd.get("comparator") == gd.get("comparator")
        and all(_scalars_equal(pd.get(k), gd.get(k)) for k in ("value", "low", "high"))
        and _scalars_equal(pd.get("multiple"), gd.get("multiple"))
        and _norm_text(pd.get("reference")) == _norm_text(gd.get("reference"))
        and bool(pd.get("count_of")) == bool(gd.get("count_of"))
        and _units_equal(pd, gd)
    )
    return score if same else None


def _match_window(p: _Item, g: _Item) -> float | None:
    if not _overlaps(p.span, g.span):
        return None
    pd, gd = p.data, g.data
    pc, gc = pd.get("comparator"), gd.get("comparator")
    same = (
        _norm_duration(pd.get("duration")) == _norm_duration(gd.get("duration"))
        and pd.get("direction") == gd.get("direction")
        and _same_anchor(pd, gd)
        and (pc is None or gc is None or pc == gc)
    )
    return _jaccard(p.span, g.span) if same else None


def _same_anchor(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """One anchor event: the same name, or (naming is not scored) the same written words, where both
    windows give the anchor's span ("after allogeneic HSCT" and "after allogeneic hematopoietic stem
    cell transplantation" name the transplant written there)."""
    if _anchor_name(a) == _anchor_name(b):
        return True
    spans = [_anchor_span(w) for w in (a, b)]
    return spans[0] is not None and spans[1] is not None and _overlaps(spans[0], spans[1])


def _anchor_span(win: Mapping[str, Any]) -> Span | None:
    anchor = win.get("anchor")
    span = anchor.get("span") if isinstance(anchor, Mapping) else None
    return (span[0], span[1]) if isinstance(span, (list, tuple)) and len(span) == 2 else None


def _match_window_target(p: _Item, g: _Item) -> float | None:
    """The same mention timed by the same window: both spans overlap (the window's is the subject)."""
    if not _overlaps(p.span, g.span) or not _overlaps(p.subject_span, g.subject_span):
        return None
    return _jaccard(p.span, g.span) + _jaccard(p.subject_span, g.subject_span)


def _drug_identity(p: _Item, g: _Item) -> float | None:
    """Same drug: overlapping spans and the same name, or near-identical spans."""
    if not _overlaps(p.span, g.span):
        return None
    j = _jaccard(p.span, g.span)
    same_name = _norm_text(p.data.get("name")) == _norm_text(g.data.get("name"))
    if same_name:
        return j + 1.0
    return j if j >= _DRUG_JACCARD else None


def _match_drug(p: _Item, g: _Item) -> float | None:
    score = _drug_identity(p, g)
    if score is None:
        return None
    if isinstance(g.data.get("dose"), Mapping) and not _doses_equal(p.data.get("dose"), g.data.get("dose")):
        return None
    return score


def _match_drug_dose(p: _Item, g: _Item) -> float | None:
    score = _drug_identity(p, g)
    if score is None or not _doses_equal(p.data.get("dose"), g.data.get("dose")):
        return None
    return score


def _match_formula(p: _Item, g: _Item) -> float | None:
    if not _overlaps(p.span, g.span):
        return None
    if _norm_text(p.data.get("name")) != _norm_text(g.data.get("name")):
        return None
    return _jaccard(p.span, g.span)


def _match_sub_items(p: _Item, g: _Item) -> float | None:
    """The same criterion (as segmentation_overlap pairs them) asking the same of its sub-items."""
    if (p.data.get("op"), p.data.get("n")) != (g.data.get("op"), g.data.get("n")):
        return None
    return _match_segment_overlap(p, g)


def _annotates_sub_items(gold: Record) -> bool:
    """A gold says how sub-items combine from schema 1.5.0 on; an older one is silent, not wrong."""
    version = gold.get("schema_version")
    if not isinstance(version, str):
        return False
    try:
        return tuple(int(x) for x in version.split(".")) >= (1, 5, 0)
    except ValueError:
        return False


def _match_logic(p: _Item, g: _Item) -> float | None:
    """Same op (and n), same arity, children pairable one-to-one by overlap."""
    if p.data.get("op") != g.data.get("op") or len(p.children) != len(g.children):
        return None
    if p.data.get("op") == "at_least" and p.data.get("n") != g.data.get("n"):
        return None
    edges = {
        i: [(_jaccard(pc, gc), k) for k, gc in enumerate(g.children) if _overlaps(pc, gc)]
        for i, pc in enumerate(p.children)
    }
    if len(_max_matching(edges)) != len(g.children):
        return None
    return _jaccard(p.span, g.span)


# --- matching


def _max_matching(edges: Mapping[int, Sequence[tuple[float, int]]]) -> dict[int, int]:
    """One-to-one matching of maximum size that prefers high-scoring pairs.

    ``edges`` maps a predicted index to its admissible ``(score, gold index)``
    pairs. A greedy pass by descending score gives the preferred pairs; augmenting
    paths (Kuhn) then raise it to maximum cardinality, so a greedy choice never
    leaves a pair unmatched that could have been matched.
    """
    ranked = sorted(
        ((s, p, g) for p, pairs in edges.items() for s, g in pairs),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    p2g: dict[int, int] = {}
    g2p: dict[int, int] = {}
    for _, p, g in ranked:
        if p not in p2g and g not in g2p:
            p2g[p], g2p[g] = g, p
    adjacency = {p: [g for _, g in sorted(pairs, key=lambda t: (-t[0], t[1]))] for p, pairs in edges.items()}
    for start in adjacency:
        if start not in p2g:
            _augment(start, adjacency, p2g, g2p)
    return p2g


def _augment(
    start: int,
    adjacency: Mapping[int, Sequence[int]],
    p2g: dict[int, int],
    g2p: dict[int, int],
) -> None:
    """Breadth-first search for an augmenting path from ``start``; apply it if found."""
    came_from: dict[int, int] = {}  # gold -> predicted that reached it
    queue = [start]
    seen_p = {start}
    for p in queue:
        for g in adjacency.get(p, ()):
            if g in came_from:
                continue
            came_from[g] = p
            if g not in g2p:
                while True:  # flip the path back to start
                    owner = came_from[g]
                    previous = p2g.get(owner)
                    p2g[owner], g2p[g] = g, owner
                    if owner == start or previous is None:
                        return
                    g = previous
            nxt = g2p[g]
            if nxt not in seen_p:
                seen_p.add(nxt)
                queue.append(nxt)


def _span_key(e: ErrorItem) -> tuple[int, int]:
    return e.span if e.span is not None else (sys.maxsize, sys.maxsize)


def _overlapping_pairs(pred: Sequence[_Item], gold: Sequence[_Item]) -> Iterator[tuple[int, int]]:
    """Index pairs whose spans overlap, without trying every pair.

    Every matcher requires overlapping spans (a logic group's span is the hull of
    children that must overlap), so only these pairs need the full comparison.
    Gold is sorted by start; a predicted span can only meet gold starting at most
    one longest-gold-span before it.
    """
    located = sorted((g.span, k) for k, g in enumerate(gold) if g.span is not None)
    if not located:
        return
    starts = [gspan[0] for gspan, _ in located]
    longest = max(gspan[1] - gspan[0] for gspan, _ in located)
    for i, p in enumerate(pred):
        if p.span is None:
            continue
        lo = bisect.bisect_left(starts, p.span[0] - longest)
        hi = bisect.bisect_right(starts, p.span[1])
        for gspan, k in located[lo:hi]:
            if _overlaps(p.span, gspan):
                yield i, k


def _score(pred: Sequence[_Item], gold: Sequence[_Item], match: Matcher) -> CategoryScore:
    """Count tp/fp/fn of one category under one-to-one matching."""
    edges: dict[int, list[tuple[float, int]]] = {}
    for i, k in _overlapping_pairs(pred, gold):
        score = match(pred[i], gold[k])
        if score is not None:
            edges.setdefault(i, []).append((score, k))
    pairing = _max_matching(edges)
    matched_gold = set(pairing.values())
    return CategoryScore(
        tp=len(pairing),
        fp=len(pred) - len(pairing),
        fn=len(gold) - len(pairing),
        misses=[g.error() for k, g in enumerate(gold) if k not in matched_gold],
        false_positives=[p.error() for i, p in enumerate(pred) if i not in pairing],
    )


def _combine(scores: Sequence[CategoryScore]) -> CategoryScore:
    total = CategoryScore()
    for s in scores:
        total.tp += s.tp
        total.fp += s.fp
        total.fn += s.fn
        total.misses.extend(s.misses)
        total.false_positives.extend(s.false_positives)
    total.misses.sort(key=_span_key)
    total.false_positives.sort(key=_span_key)
    return total


def _score_by_type(
    pred: Sequence[_Item], gold: Sequence[_Item], match: Matcher
) -> tuple[CategoryScore, dict[str, CategoryScore]]:
    """Score per entity type; the matcher requires equal types, so the parts add up."""

    def type_of(item: _Item) -> str:
        return str(item.data.get("type"))

    types = sorted({type_of(i) for i in (*pred, *gold)})
    per_type = {
        t: _score(
            [p for p in pred if type_of(p) == t],
            [g for g in gold if type_of(g) == t],
            match,
        )
        for t in types
    }
    return _combine(list(per_type.values())), per_type


def _asserted(entities: Sequence[_Item], flag: str) -> list[_Item]:
    out = []
    for ent in entities:
        assertion = ent.data.get("assertion")
        if ent.data.get("type") in ASSERTION_TYPES and isinstance(assertion, Mapping) and assertion.get(flag) is True:
            out.append(ent)
    return out


def _with_dose(drugs: Sequence[_Item]) -> list[_Item]:
    return [d for d in drugs if isinstance(d.data.get("dose"), Mapping)]


# --- public API


def _check_same_source(predicted: Record, gold: Record) -> None:
    if not isinstance(predicted, Mapping) or not isinstance(gold, Mapping):
        raise EvaluationError("predicted and gold records must be JSON objects")
    sha = []
    for record in (predicted, gold):
        source = record.get("source")
        sha.append(source.get("sha256") if isinstance(source, Mapping) else None)
    if sha[0] and sha[1] and sha[0] != sha[1]:
        raise EvaluationError(
            f"predicted and gold records describe different source texts (sha256 {sha[0][:12]}… vs {sha[1][:12]}…)"
        )


def evaluate(predicted: Record, gold: Record) -> EvaluationReport:
    """Score ``predicted`` against ``gold`` (two records of the same source text).

    Raises :class:`EvaluationError` when the records carry different
    ``source.sha256`` values or are not record-shaped. Missing optional lists
    count as empty, so a partial prediction still gets scored.
    """
    _check_same_source(predicted, gold)
    p, g = _collect(predicted), _collect(gold)
    cats: dict[str, CategoryScore] = {
        "segmentation": _score(p.criteria, g.criteria, _match_segment_exact),
        "segmentation_overlap": _score(p.criteria, g.criteria, _match_segment_overlap),
    }
    by_type: dict[str, dict[str, CategoryScore]] = {}
    for name, matcher in (
        ("entities_strict", _match_entity_strict),
        ("entities_overlap", _match_entity_overlap),
    ):
        cats[name], by_type[name] = _score_by_type(p.entities, g.entities, matcher)
    cats["constraints"] = _score(p.constraints, g.constraints, _match_constraint)
    cats["windows"] = _score(p.windows, g.windows, _match_window)
    cats["window_targets"] = _score(p.window_targets, g.window_targets, _match_window_target)
    cats["drugs"] = _score(p.drugs, g.drugs, _match_drug)
    cats["drug_doses"] = _score(_with_dose(p.drugs), _with_dose(g.drugs), _match_drug_dose)
    for flag in _ASSERTION_FLAGS:
        cats[_ASSERTION_CATEGORY[flag]] = _score(
            _asserted(p.entities, flag),
            _asserted(g.entities, flag),
            _match_span_overlap,
        )
    cats["logic"] = _score(p.groups, g.groups, _match_logic)
    cats["formulas"] = _score(p.formulas, g.formulas, _match_formula)
    # (a gold written before schema 1.5.0 does not say how sub-items combine: nothing to score)
    annotated = _annotates_sub_items(gold)
    cats["sub_items"] = _score(p.sub_items if annotated else [], g.sub_items if annotated else [], _match_sub_items)
    return EvaluationReport(categories={name: cats[name] for name in CATEGORY_NAMES}, by_type=by_type)


def _row(label: str, s: CategoryScore, width: int) -> str:
    return f"{label:<{width}} {s.tp:>5} {s.fp:>5} {s.fn:>5} {s.precision:>6.3f} {s.recall:>6.3f} {s.f1:>6.3f}"


def _error_line(kind: str, e: ErrorItem) -> str:
    span = f"[{e.span[0]},{e.span[1]})" if e.span is not None else "[?]"
    text = _clip(e.text, 60)
    return f"  {kind:<4} {e.criterion or '-':<10} {span:<13} {e.description}" + (
        f'  "{text}"' if text and text != e.description else ""
    )


def format_report(report: EvaluationReport, show_errors: bool = True) -> str:
    """Render the scores as a plain-text table, then the misses and false positives.

    Per-type rows for the entity categories are indented under their category.
    """
    rows: list[tuple[str, CategoryScore]] = []
    for name, score in report.categories.items():
        rows.append((name, score))
        for type_name, type_score in report.by_type.get(name, {}).items():
            rows.append((f"  {type_name}", type_score))
    width = max([len("category")] + [len(label) for label, _ in rows])
    header = f"{'category':<{width}} {'tp':>5} {'fp':>5} {'fn':>5} {'P':>6} {'R':>6} {'F1':>6}"
    lines = [header, "-" * len(header)]
    lines.extend(_row(label, score, width) for label, score in rows)
    if show_errors:
        for name, score in report.categories.items():
            if not score.misses and not score.false_positives:
                continue
            lines.append("")
            lines.append(f"{name}: {len(score.misses)} missed, {len(score.false_positives)} false positive(s)")
            lines.extend(_error_line("miss", e) for e in score.misses)
            lines.extend(_error_line("fp", e) for e in score.false_positives)
    return "\n".join(lines) + "\n"
