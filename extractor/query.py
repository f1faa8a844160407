"""A small filter language over the criteria database, for the questions people ask most.

    exclusion eGFR <= 60          exclusion criteria with an eGFR threshold at or below 60
    inclusion age >= 18           inclusion criteria with a lower age limit of 18 or more
    creatinine < 2 mg/dL          any criterion with a creatinine upper limit below 2 (canonical unit)
    drug prednisone               criteria naming the drug
    exclusion live vaccine within 30 days     a mention plus a time window of at most 30 days
    anchor visit 2                windows anchored on a named event
    lupus                         any other word: a mention whose text or normalised name contains it

Terms combine with AND, each on the same criterion. A threshold term ``MEASURE OP NUMBER [UNIT]``
matches constraints on that measure whose comparator points the same way (``<``/``<=`` or
``>``/``>=``) and whose value satisfies ``value OP NUMBER``; with a unit, the value is compared in
the analyte's canonical unit when the stated unit converts to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.engine import Engine

from .db import constraints, criteria, drugs, entities, windows
from .errors import InputError
from .units import registry

_THRESHOLD = re.compile(r"^(?P<measure>.+?)\s*(?P<op><=|>=|<|>|=|≤|≥)\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>\S+)?$")
_WITHIN = re.compile(
    r"\bwithin\s+(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>days?|weeks?|months?|years?|d|w|m|y)\b", re.IGNORECASE
)
_DAYS = {"d": 1.0, "w": 7.0, "m": 30.4375, "y": 365.25}
_OPS = {"≤": "<=", "≥": ">="}


@dataclass
class Filter:
    side: str | None = None
    thresholds: list[tuple[str, str, float, str | None]] | None = None
    drugs: list[str] | None = None
    anchors: list[str] | None = None
    within_days: float | None = None
    words: list[str] | None = None


def parse(text: str) -> Filter:
    """Parse a filter; raise InputError naming what could not be read."""
    f = Filter(thresholds=[], drugs=[], anchors=[], words=[])
    rest = text.strip()
    if not rest:
        raise InputError("empty query")
    m = _WITHIN.search(rest)
    if m:
        f.within_days = float(m.group("n")) * _DAYS[m.group("unit")[0].lower()]
        rest = (rest[: m.start()] + rest[m.end() :]).strip()
    tokens = rest.split()
    if tokens and tokens[0].lower() in {"inclusion", "exclusion"}:
        f.side = tokens.pop(0).lower()
    rest = " ".join(tokens)
    for part in [p.strip() for p in re.split(r"\s+and\s+|,", rest) if p.strip()]:
        low = part.lower()
        if low.startswith("drug "):
            f.drugs.append(part[5:].strip().lower())  # type: ignore[union-attr]
        elif low.startswith("anchor "):
            f.anchors.append(part[7:].strip().lower())  # type: ignore[union-attr]
        elif tm := _THRESHOLD.match(part):
            op = _OPS.get(tm.group("op"), tm.group("op"))
            f.thresholds.append((tm.group("measure").strip().lower(), op, float(tm.group("num")), tm.group("unit")))  # type: ignore[union-attr]
        elif re.search(r"[<>=≤≥]", part):
            raise InputError(f"cannot read threshold {part!r}: expected MEASURE OP NUMBER [UNIT]")
        else:
            f.words.append(low)  # type: ignore[union-attr]
    return f


def _same_criterion(table: Any) -> Any:
    return and_(table.c.trial_id == criteria.c.trial_id, table.c.criterion_id == criteria.c.criterion_id)


def _measure_matches(measure: str) -> Any:
    like = f"%{measure}%"
    subject = exists().where(
        and_(
            entities.c.trial_id == constraints.c.trial_id,
            entities.c.entity_id == constraints.c.subject_id,
            func.lower(entities.c.text).like(like),
        )
    )
    return or_(func.lower(constraints.c.measure).like(like), subject)


def _compare(column: Any, op: str, number: float) -> Any:
    return {
        "<": column < number,
        "<=": column <= number,
        ">": column > number,
        ">=": column >= number,
        "=": column == number,
    }[op]


def _threshold_clause(measure: str, op: str, number: float, unit: str | None) -> Any:
    """Constraints on ``measure`` bounding it the same way as ``op``; a range counts by its matching end."""
    canonical = False
    if unit:
        ucum = registry().to_ucum(unit) or unit
        rule = registry().analyte(measure)
        if rule is not None:
            canonical = True
            if ucum != rule.canonical:
                try:
                    number = registry().convert(number, ucum, rule.canonical, rule.name)
                except Exception:
                    canonical = False
    value = func.coalesce(constraints.c.canonical_value, constraints.c.value) if canonical else constraints.c.value
    low = func.coalesce(constraints.c.canonical_low, constraints.c.low) if canonical else constraints.c.low
    high = func.coalesce(constraints.c.canonical_high, constraints.c.high) if canonical else constraints.c.high
    if op == "=":
        bound = and_(constraints.c.comparator == "=", _compare(value, op, number))
    elif op in {"<", "<="}:
        bound = or_(
            and_(constraints.c.comparator.in_(["<", "<="]), _compare(value, op, number)),
            and_(constraints.c.comparator == "between", _compare(high, op, number)),
        )
    else:
        bound = or_(
            and_(constraints.c.comparator.in_([">", ">="]), _compare(value, op, number)),
            and_(constraints.c.comparator == "between", _compare(low, op, number)),
        )
    return exists().where(and_(_same_criterion(constraints), _measure_matches(measure), bound))


def build(f: Filter) -> Any:
    """The SELECT for a parsed filter: one row per matching criterion."""
    clauses = []
    if f.side:
        clauses.append(criteria.c.side == f.side)
    for measure, op, number, unit in f.thresholds or []:
        clauses.append(_threshold_clause(measure, op, number, unit))
    for name in f.drugs or []:
        clauses.append(exists().where(and_(_same_criterion(drugs), func.lower(drugs.c.name).like(f"%{name}%"))))
    for anchor in f.anchors or []:
        clauses.append(exists().where(and_(_same_criterion(windows), func.lower(windows.c.anchor).like(f"%{anchor}%"))))
    if f.within_days is not None:
        clauses.append(exists().where(and_(_same_criterion(windows), windows.c.days <= f.within_days)))
    for word in f.words or []:
        like = f"%{word}%"
        clauses.append(
            exists().where(
                and_(
                    _same_criterion(entities),
                    or_(func.lower(entities.c.text).like(like), func.lower(entities.c.normalized).like(like)),
                )
            )
        )
    return (
        select(criteria.c.trial_id, criteria.c.criterion_id, criteria.c.side, criteria.c.text)
        .where(and_(*clauses))
        .order_by(criteria.c.trial_id, criteria.c.criterion_id)
    )


def run_filter(engine: Engine, text: str, limit: int | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    stmt = build(parse(text))
    if limit:
        stmt = stmt.limit(limit)
    with engine.connect() as conn:
        result = conn.execute(stmt)
        return list(result.keys()), [tuple(r) for r in result]


def run_sql(engine: Engine, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    from sqlalchemy import text as sql_text

    with engine.connect() as conn:
        result = conn.execute(sql_text(sql))
        return list(result.keys()), [tuple(r) for r in result]
