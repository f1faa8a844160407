"""Tests of the record-vs-gold scorer on small synthetic records."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from extractor.errors import EvaluationError
from extractor.evaluate import (
    CATEGORY_NAMES,
    CategoryScore,
    EvaluationReport,
    evaluate,
    format_report,
)

SOURCE = (
    "Inclusion Criteria\n"
    "Age: 18~65 years old\n"
    "AST/ALT below 3 times the upper limit of normal\n"
    "Exclusion Criteria\n"
    "No active infection within 90 days before visit 2\n"
    "Prednisone >= 100 mg/d\n"
    "History of stroke or epilepsy\n"
    "Planning to undergo surgery\n"
    "eGFR by MDRD formula < 60 mL/min/1.73m2\n"
    "Either of the following:\n"
    "- pregnancy\n"
    "- breastfeeding\n"
)
SHA = "a" * 64

Record = dict[str, Any]


# --- builders


def span(text: str, after: int = 0) -> list[int]:
    """Offsets of the first ``text`` at or after ``after`` in SOURCE."""
    start = SOURCE.find(text, after)
    assert start >= 0, text
    return [start, start + len(text)]


def entity(
    eid: str,
    etype: str,
    text: str,
    after: int,
    *,
    negated: bool = False,
    historical: bool = False,
    hypothetical: bool = False,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": eid,
        "type": etype,
        "text": text,
        "span": span(text, after),
    }
    if etype in {"Condition", "Drug", "Procedure", "Measurement", "Observation"}:
        item["assertion"] = {
            "negated": negated,
            "historical": historical,
            "hypothetical": hypothetical,
        }
    return item


def criterion(cid: str, side: str, line: str, **items: Any) -> dict[str, Any]:
    crit: dict[str, Any] = {
        "id": cid,
        "side": side,
        "text": line,
        "span": span(line),
        "parent": None,
        "entities": [],
        "constraints": [],
        "windows": [],
        "drugs": [],
        "unparsed": [],
    }
    crit.update(items)
    return crit


def make_record(criteria: list[dict[str, Any]], sha: str = SHA) -> Record:
    """A minimal schema-shaped record around ``criteria``."""
    return {
        "schema_version": "1.5.0",
        "source": {"length": len(SOURCE), "sha256": sha, "name": "synthetic"},
        "trial": {},
        "criteria": criteria,
        "unparsed": [],
    }


def gold_record() -> Record:
    """One criterion per kind of item; every category has at least one gold item."""
    line = "Age: 18~65 years old"
    at = span(line)[0]
    inc1 = criterion(
        "inc-1",
        "inclusion",
        line,
        entities=[
            entity("e1", "Person", "Age", at),
            entity("e2", "Value", "18~65 years", at),
        ],
        constraints=[
            {
                "id": "c1",
                "subject": "e1",
                "measure": "age",
                "comparator": "between",
                "low": 18,
                "high": 65,
                "inclusive": True,
                "unit": "years",
                "ucum": "a",
                "text": "18~65 years",
                "span": span("18~65 years", at),
            }
        ],
    )

    line = "AST/ALT below 3 times the upper limit of normal"
    at = span(line)[0]
    threshold = "below 3 times the upper limit of normal"
    uln = {
        "comparator": "<",
        "multiple": 3,
        "reference": "ULN",
        "text": threshold,
        "span": span(threshold, at),
    }
    inc2 = criterion(
        "inc-2",
        "inclusion",
        line,
        entities=[
            entity("e1", "Measurement", "AST", at),
            entity("e2", "Measurement", "ALT", at),
            entity("e3", "Value", threshold, at),
        ],
        constraints=[
            {"id": "c1", "subject": "e1", "measure": "ast", **uln},
            {"id": "c2", "subject": "e2", "measure": "alt", **uln},
        ],
        logic={"op": "any", "args": [{"ref": "c1"}, {"ref": "c2"}]},
    )

    line = "No active infection within 90 days before visit 2"
    at = span(line)[0]
    exc1 = criterion(
        "exc-1",
        "exclusion",
        line,
        entities=[
            entity("e1", "Negation", "No", at),
            entity("e2", "Condition", "active infection", at, negated=True),
            entity("e3", "Temporal", "within 90 days before visit 2", at),
            entity("e4", "Visit", "visit 2", at),
        ],
        windows=[
            {
                "id": "w1",
                "applies_to": ["e2"],
                "comparator": "<=",
                "duration": "P90D",
                "days": 90,
                "direction": "before",
                "anchor": {
                    "name": "visit 2",
                    "text": "visit 2",
                    "span": span("visit 2", at),
                },
                "text": "within 90 days before visit 2",
                "span": span("within 90 days before visit 2", at),
            }
        ],
        logic={"op": "all", "args": [{"ref": "e2"}, {"ref": "w1"}]},
    )

    line = "Prednisone >= 100 mg/d"
    at = span(line)[0]
    exc2 = criterion(
        "exc-2",
        "exclusion",
        line,
        entities=[entity("e1", "Drug", "Prednisone", at)],
        drugs=[
            {
                "id": "d1",
                "entity": "e1",
                "name": "prednisone",
                "is_class": False,
                "dose": {
                    "comparator": ">=",
                    "value": 100,
                    "unit": "mg/d",
                    "ucum": "mg/d",
                    "span": span(">= 100 mg/d", at),
                },
                "text": "Prednisone",
                "span": span("Prednisone", at),
            }
        ],
    )

    line = "History of stroke or epilepsy"
    at = span(line)[0]
    exc3 = criterion(
        "exc-3",
        "exclusion",
        line,
        entities=[
            entity("e1", "Condition", "stroke", at, historical=True),
            entity("e2", "Condition", "epilepsy", at, historical=True),
        ],
        logic={"op": "any", "args": [{"ref": "e1"}, {"ref": "e2"}]},
    )

    line = "Planning to undergo surgery"
    at = span(line)[0]
    exc4 = criterion(
        "exc-4",
        "exclusion",
        line,
        entities=[entity("e1", "Procedure", "surgery", at, hypothetical=True)],
    )

    line = "eGFR by MDRD formula < 60 mL/min/1.73m2"
    at = span(line)[0]
    exc5 = criterion(
        "exc-5",
        "exclusion",
        line,
        entities=[entity("e1", "Measurement", "eGFR", at)],
        constraints=[
            {
                "id": "c1",
                "subject": "e1",
                "measure": "egfr",
                "comparator": "<",
                "value": 60,
                "unit": "mL/min/1.73m2",
                "ucum": "mL/min/{1.73_m2}",
                "text": "< 60 mL/min/1.73m2",
                "span": span("< 60 mL/min/1.73m2", at),
            }
        ],
        formulas=[
            {
                "name": "MDRD",
                "output": "eGFR",
                "text": "MDRD formula",
                "span": span("MDRD formula", at),
            }
        ],
    )
    line = "Either of the following:\n- pregnancy\n- breastfeeding"
    at = span(line)[0]
    exc6 = criterion(
        "exc-6",
        "exclusion",
        line,
        sub_items={"op": "any", "cue": {"text": "Either of the following", "span": span("Either of the following")}},
    )
    exc6_1 = criterion("exc-6.1", "exclusion", "pregnancy", parent="exc-6")
    exc6_1["span"] = span("pregnancy", at)
    exc6_2 = criterion("exc-6.2", "exclusion", "breastfeeding", parent="exc-6")
    return make_record([inc1, inc2, exc1, exc2, exc3, exc4, exc5, exc6, exc6_1, exc6_2])


def crit_of(record: Record, cid: str) -> dict[str, Any]:
    return next(c for c in record["criteria"] if c["id"] == cid)


def item_of(record: Record, cid: str, kind: str, index: int = 0) -> dict[str, Any]:
    found: dict[str, Any] = crit_of(record, cid)[kind][index]
    return found


def mutated(change: Callable[[Record], Any]) -> Record:
    """A deep copy of the gold record with ``change`` applied to it."""
    record = copy.deepcopy(gold_record())
    change(record)
    return record


def counts(report: EvaluationReport, category: str) -> tuple[int, int, int]:
    score = report.categories[category]
    return score.tp, score.fp, score.fn


GOLD_TP = {name: s.tp for name, s in evaluate(gold_record(), gold_record()).categories.items()}


def assert_only_changed(report: EvaluationReport, expected: dict[str, tuple[int, int, int]]) -> None:
    """Categories in ``expected`` have those counts; all others are perfect."""
    for name in CATEGORY_NAMES:
        if name in expected:
            assert counts(report, name) == expected[name], name
        else:
            assert counts(report, name) == (GOLD_TP[name], 0, 0), name


# --- metrics


@pytest.mark.parametrize(
    ("tp", "fp", "fn", "precision", "recall", "f1"),
    [
        (0, 0, 0, 1.0, 1.0, 1.0),  # both sides empty
        (0, 0, 3, 0.0, 0.0, 0.0),  # gold but no predictions
        (0, 2, 0, 0.0, 0.0, 0.0),  # predictions but no gold
        (3, 1, 0, 0.75, 1.0, 6 / 7),
        (2, 2, 2, 0.5, 0.5, 0.5),
        (0, 1, 1, 0.0, 0.0, 0.0),
    ],
)
def test_metric_definitions(tp: int, fp: int, fn: int, precision: float, recall: float, f1: float) -> None:
    score = CategoryScore(tp=tp, fp=fp, fn=fn)
    assert score.precision == pytest.approx(precision)
    assert score.recall == pytest.approx(recall)
    assert score.f1 == pytest.approx(f1)


# --- whole records


def test_gold_fixture_covers_every_category() -> None:
    assert all(GOLD_TP[name] > 0 for name in CATEGORY_NAMES), GOLD_TP


def test_identical_records_score_one_everywhere() -> None:
    report = evaluate(gold_record(), gold_record())
    assert list(report.categories) == list(CATEGORY_NAMES)
    for name, score in report.categories.items():
        assert (score.fp, score.fn) == (0, 0), name
        assert (score.precision, score.recall, score.f1) == (1.0, 1.0, 1.0), name
        assert score.misses == [] and score.false_positives == []
    assert set(report.by_type) == {"entities_strict", "entities_overlap"}
    for types in report.by_type.values():
        assert "Condition" in types and "Measurement" in types
        assert all(s.f1 == 1.0 for s in types.values())


def test_empty_vs_empty_is_perfect() -> None:
    report = evaluate(make_record([]), make_record([]))
    for score in report.categories.values():
        assert (score.tp, score.fp, score.fn) == (0, 0, 0)
        assert (score.precision, score.recall, score.f1) == (1.0, 1.0, 1.0)


def test_empty_prediction_scores_zero_and_lists_every_gold_item() -> None:
    report = evaluate(make_record([]), gold_record())
    for name, score in report.categories.items():
        assert (score.tp, score.fp, score.fn) == (0, 0, GOLD_TP[name]), name
        assert (score.precision, score.recall, score.f1) == (0.0, 0.0, 0.0), name
        assert len(score.misses) == GOLD_TP[name]


def test_prediction_against_empty_gold_is_all_false_positives() -> None:
    report = evaluate(gold_record(), make_record([]))
    for name, score in report.categories.items():
        assert (score.tp, score.fp, score.fn) == (0, GOLD_TP[name], 0), name
        assert score.precision == 0.0 and score.f1 == 0.0


def test_missing_optional_lists_count_as_empty() -> None:
    predicted = make_record([{"id": "inc-1", "side": "inclusion", "text": "x", "span": [0, 1]}])
    report = evaluate(predicted, make_record([]))
    assert counts(report, "segmentation") == (0, 1, 0)
    assert counts(report, "entities_strict") == (0, 0, 0)


# --- input checks


def test_sha256_mismatch_raises() -> None:
    with pytest.raises(EvaluationError, match="sha256"):
        evaluate(make_record([], sha="b" * 64), make_record([]))


def test_non_record_input_raises() -> None:
    with pytest.raises(EvaluationError):
        evaluate([], make_record([]))  # type: ignore[arg-type]
    with pytest.raises(EvaluationError):
        evaluate({"source": {"sha256": SHA}, "criteria": "oops"}, make_record([]))


# --- segmentation


def _pad_criterion(record: Record) -> None:
    crit = crit_of(record, "exc-3")
    start, end = crit["span"]
    crit["span"] = [start - 1, end + 1]
    crit["text"] = SOURCE[start - 1 : end + 1]  # the newlines on both sides


def _shift_criterion(record: Record) -> None:
    crit = crit_of(record, "exc-3")
    crit["span"][1] -= 9
    crit["text"] = crit["text"][:-9]


def _swap_side(record: Record) -> None:
    crit_of(record, "exc-4")["side"] = "inclusion"


def _split_criterion(record: Record) -> None:
    """Cut exc-1 in two; its items stay in the first half or move to the second."""
    crit = crit_of(record, "exc-1")
    head = "No active infection"
    tail = "within 90 days before visit 2"
    second = criterion("exc-1b", "exclusion", tail, windows=crit["windows"])
    crit.update(text=head, span=span(head, crit["span"][0]), windows=[], logic=None)
    record["criteria"].insert(record["criteria"].index(crit) + 1, second)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(_pad_criterion, {}, id="whitespace-at-edges-is-stripped"),
        pytest.param(
            _shift_criterion,
            {"segmentation": (GOLD_TP["segmentation"] - 1, 1, 1)},
            id="boundary-shift-overlap-hit",
        ),
        pytest.param(
            _swap_side,
            {
                "segmentation": (GOLD_TP["segmentation"] - 1, 1, 1),
                "segmentation_overlap": (GOLD_TP["segmentation"] - 1, 1, 1),
            },
            id="side-must-match",
        ),
        pytest.param(
            _split_criterion,
            {
                "segmentation": (GOLD_TP["segmentation"] - 1, 2, 1),
                "segmentation_overlap": (GOLD_TP["segmentation"], 1, 0),
                "logic": (GOLD_TP["logic"] - 1, 0, 1),
                # the window left its mention behind in the other half
                "window_targets": (GOLD_TP["window_targets"] - 1, 0, 1),
            },
            id="split-criterion-items-not-double-counted",
        ),
    ],
)
def test_segmentation(change: Callable[[Record], None], expected: dict[str, Any]) -> None:
    assert_only_changed(evaluate(mutated(change), gold_record()), expected)


# --- entities


def test_shifted_entity_span_is_strict_miss_but_overlap_hit() -> None:
    def shift(record: Record) -> None:
        ent = item_of(record, "exc-1", "entities", 1)  # "active infection"
        ent["span"][1] += len(" within")
        ent["text"] += " within"

    report = evaluate(mutated(shift), gold_record())
    strict = GOLD_TP["entities_strict"]
    assert_only_changed(report, {"entities_strict": (strict - 1, 1, 1)})
    assert counts(report, "entities_overlap") == (strict, 0, 0)
    condition = report.by_type["entities_strict"]["Condition"]
    assert (condition.tp, condition.fp, condition.fn) == (2, 1, 1)
    assert report.by_type["entities_strict"]["Person"].f1 == 1.0
    assert report.by_type["entities_overlap"]["Condition"].f1 == 1.0
    (miss,) = report.categories["entities_strict"].misses
    assert (miss.criterion, miss.text) == ("exc-1", "active infection")
    assert miss.span == tuple(span("active infection"))


def test_wrong_entity_type_misses_strict_and_overlap() -> None:
    report = evaluate(
        mutated(lambda r: item_of(r, "exc-4", "entities").update(type="Observation")),
        gold_record(),
    )
    n = GOLD_TP["entities_strict"]
    for name in ("entities_strict", "entities_overlap"):
        assert counts(report, name) == (n - 1, 1, 1)
        assert report.by_type[name]["Procedure"].recall == 0.0
        assert report.by_type[name]["Observation"].precision == 0.0


def test_duplicate_predictions_are_false_positives() -> None:
    def duplicate(record: Record) -> None:
        crit = crit_of(record, "exc-5")
        crit["entities"].append(dict(crit["entities"][0], id="e9"))
        crit["constraints"].append(dict(crit["constraints"][0], id="c9"))
        crit["formulas"].append(dict(crit["formulas"][0]))

    report = evaluate(mutated(duplicate), gold_record())
    assert_only_changed(
        report,
        {
            "entities_strict": (GOLD_TP["entities_strict"], 1, 0),
            "entities_overlap": (GOLD_TP["entities_overlap"], 1, 0),
            "constraints": (GOLD_TP["constraints"], 1, 0),
            "formulas": (GOLD_TP["formulas"], 1, 0),
        },
    )
    (fp,) = report.categories["constraints"].false_positives
    assert fp.criterion == "exc-5" and "egfr < 60" in fp.description


def test_entities_matched_across_the_record_not_within_criteria() -> None:
    """An entity filed under the wrong criterion still counts as found."""

    def move(record: Record) -> None:
        ent = crit_of(record, "exc-4")["entities"].pop()
        crit_of(record, "exc-3")["entities"].append(dict(ent, id="e9"))

    report = evaluate(mutated(move), gold_record())
    assert_only_changed(report, {})


# --- constraints


def _set(cid: str, kind: str, index: int, **values: Any) -> Callable[[Record], None]:
    return lambda record: item_of(record, cid, kind, index).update(values)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_set("inc-2", "constraints", 0, comparator="<="), id="comparator"),
        pytest.param(_set("exc-5", "constraints", 0, comparator=">"), id="comparator-2"),
        pytest.param(_set("exc-5", "constraints", 0, ucum="mL/min", unit="mL/min"), id="ucum"),
        pytest.param(_set("inc-1", "constraints", 0, ucum=None, unit="months"), id="unit"),
        pytest.param(_set("exc-5", "constraints", 0, value=59), id="value"),
        pytest.param(_set("inc-1", "constraints", 0, low=19), id="low"),
        pytest.param(_set("inc-1", "constraints", 0, high=None), id="high-missing"),
        pytest.param(_set("inc-2", "constraints", 0, multiple=2), id="multiple"),
        pytest.param(_set("inc-2", "constraints", 0, reference="LLN"), id="reference"),
        pytest.param(_set("inc-2", "constraints", 0, reference=None), id="reference-missing"),
        pytest.param(_set("exc-5", "constraints", 0, count_of="things"), id="count-of"),
        pytest.param(
            _set("exc-5", "constraints", 0, span=span("eGFR by"), text="eGFR by"),
            id="span-elsewhere",
        ),
        pytest.param(
            _set("inc-1", "constraints", 0, subject=None, measure="height"),
            id="measure-fallback-differs",
        ),
    ],
)
def test_constraint_mismatch_is_a_miss(change: Callable[[Record], None]) -> None:
    report = evaluate(mutated(change), gold_record())
    assert_only_changed(report, {"constraints": (GOLD_TP["constraints"] - 1, 1, 1)})


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_set("exc-5", "constraints", 0, value=60.00001), id="value-tolerance"),
        pytest.param(_set("exc-5", "constraints", 0, value="60"), id="numeric-string"),
        pytest.param(
            _set("exc-5", "constraints", 0, ucum=None, unit="ML/MIN/1.73M2"),
            id="unit-text-case",
        ),
        pytest.param(
            _set("inc-1", "constraints", 0, subject=None, measure="  AGE "),
            id="measure-fallback-case",
        ),
        pytest.param(_set("inc-1", "constraints", 0, subject="e99"), id="dangling-subject"),
        pytest.param(_set("inc-2", "constraints", 0, span=span("3 times")), id="span-overlap"),
    ],
)
def test_constraint_equivalent_forms_match(change: Callable[[Record], None]) -> None:
    assert_only_changed(evaluate(mutated(change), gold_record()), {})


@pytest.mark.parametrize(
    ("predicted", "gold"),
    [
        ({"unit": "μmol/L"}, {"unit": "umol/L"}),  # Greek mu
        ({"unit": "µmol/L"}, {"unit": "umol/l"}),  # micro sign
        ({"unit": "mg/dl", "ucum": "mg/dL"}, {"unit": "mg/dL", "ucum": "mg/dL"}),
        ({"value": "III"}, {"value": "iii"}),
        ({"unit": None}, {}),
        # UCUM annotations carry no meaning: "{cells}/uL" is "/uL"
        ({"unit": "cells/μL", "ucum": "{cells}/uL"}, {"unit": "/uL", "ucum": "/uL"}),
    ],
)
def test_constraint_value_and_unit_normalisation(predicted: dict[str, Any], gold: dict[str, Any]) -> None:
    def record(fields: dict[str, Any]) -> Record:
        line = "eGFR by MDRD formula < 60 mL/min/1.73m2"
        con: dict[str, Any] = {
            "id": "c1",
            "subject": None,
            "measure": "x",
            "comparator": "<",
            "value": 1,
        }
        con.update(text=line, span=span(line), **fields)
        return make_record([criterion("exc-1", "exclusion", line, constraints=[con])])

    assert counts(evaluate(record(predicted), record(gold)), "constraints") == (1, 0, 0)


def _swap_uln_order(record: Record) -> None:
    crit_of(record, "inc-2")["constraints"].reverse()


def _both_on_ast(record: Record) -> None:
    item_of(record, "inc-2", "constraints", 1)["subject"] = "e1"


def _third_uln(record: Record) -> None:
    cons = crit_of(record, "inc-2")["constraints"]
    cons.append(dict(cons[0], id="c3"))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(_swap_uln_order, (2, 0, 0), id="order-does-not-matter"),
        pytest.param(_both_on_ast, (1, 1, 1), id="alt-missing"),
        pytest.param(_third_uln, (2, 1, 0), id="duplicate-ast"),
    ],
)
def test_uln_constraints_sharing_a_span_match_one_to_one(
    change: Callable[[Record], None], expected: tuple[int, int, int]
) -> None:
    """'AST/ALT below 3 times ULN': one constraint per analyte on one span."""

    def only_inc2(record: Record) -> Record:
        record["criteria"] = [crit_of(record, "inc-2")]
        return record

    report = evaluate(only_inc2(mutated(change)), only_inc2(gold_record()))
    assert counts(report, "constraints") == expected
    if expected[2]:
        (miss,) = report.categories["constraints"].misses
        assert miss.description == "alt < 3 x ULN"
        assert miss.criterion == "inc-2"


# --- windows


def _anchor(name: str) -> Callable[[Record], None]:
    """Another anchor event: its name, with none of the gold's written words."""

    def change(record: Record) -> None:
        anchor = item_of(record, "exc-1", "windows")["anchor"]
        anchor.update(name=name)
        anchor.pop("span", None)
        anchor.pop("text", None)

    return change


@pytest.mark.parametrize(
    ("change", "hit"),
    [
        pytest.param(_anchor("visit 3"), False, id="wrong-anchor"),
        pytest.param(_anchor("index"), False, id="index-anchor"),
        pytest.param(_anchor("  Visit   2 "), True, id="anchor-case-and-spaces"),
        pytest.param(_set("exc-1", "windows", 0, duration="P30D"), False, id="duration"),
        pytest.param(_set("exc-1", "windows", 0, duration=None), False, id="duration-missing"),
        pytest.param(_set("exc-1", "windows", 0, direction="after"), False, id="direction"),
        pytest.param(_set("exc-1", "windows", 0, comparator="<"), False, id="comparator"),
        pytest.param(_set("exc-1", "windows", 0, comparator=None), True, id="comparator-absent"),
        pytest.param(_set("exc-1", "windows", 0, duration="p90d"), True, id="duration-case"),
        pytest.param(_set("exc-1", "windows", 0, span=span("active infection")), False, id="span"),
    ],
)
def test_windows(change: Callable[[Record], None], hit: bool) -> None:
    report = evaluate(mutated(change), gold_record())
    expected = (1, 0, 0) if hit else (0, 1, 1)
    assert counts(report, "windows") == expected
    if not hit:
        (miss,) = report.categories["windows"].misses
        assert miss.description == "<= P90D before visit 2"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # the window times another mention: the gold pair is missed, the predicted one is false
        pytest.param(_set("exc-1", "windows", 0, applies_to=["e4"]), (0, 1, 1), id="other-mention"),
        pytest.param(_set("exc-1", "windows", 0, applies_to=[]), (0, 0, 1), id="times-nothing"),
        pytest.param(_set("exc-1", "windows", 0, applies_to=["e2", "e4"]), (1, 1, 0), id="one-more"),
        # the pair is matched by overlap whatever the window's own fields say
        pytest.param(_set("exc-1", "windows", 0, duration="P30D"), (1, 0, 0), id="duration"),
        pytest.param(_set("exc-1", "windows", 0, span=span("active infection")), (0, 1, 1), id="window-elsewhere"),
    ],
)
def test_window_targets(change: Callable[[Record], None], expected: tuple[int, int, int]) -> None:
    report = evaluate(mutated(change), gold_record())
    assert counts(report, "window_targets") == expected
    if expected[2]:
        (miss,) = report.categories["window_targets"].misses
        assert miss.description == "active infection <- within 90 days before visit 2"


def test_window_anchors_named_differently_for_one_event_match() -> None:
    # "study entry" and "enrollment" name one anchor event (resources/anchors.json); "screening" another
    gold = mutated(_anchor("enrollment"))
    assert counts(evaluate(mutated(_anchor("study entry")), gold), "windows") == (1, 0, 0)
    assert counts(evaluate(mutated(_anchor("screening")), gold), "windows") == (0, 1, 1)


def test_window_anchors_named_differently_on_the_same_words_match() -> None:
    # naming is not scored: "visit two" and "visit 2" anchored on the words "visit 2" are one event;
    # a name alone (no written words) must be the gold's
    def renamed(record: Record) -> None:
        item_of(record, "exc-1", "windows")["anchor"]["name"] = "the second visit"

    gold = mutated(lambda record: None)
    assert counts(evaluate(mutated(renamed), gold), "windows") == (1, 0, 0)
    assert counts(evaluate(mutated(_anchor("the second visit")), gold), "windows") == (0, 1, 1)


def test_units_that_are_annotations_alone_stay_apart() -> None:
    def record(ucum: str) -> Record:
        line = "eGFR by MDRD formula < 60 mL/min/1.73m2"
        con = {"id": "c1", "subject": None, "measure": "x", "comparator": ">=", "value": 1, "ucum": ucum}
        con.update(text=line, span=span(line))
        return make_record([criterion("inc-1", "inclusion", line, constraints=[con])])

    assert counts(evaluate(record("{score}"), record("{system}")), "constraints") == (0, 1, 1)


def test_window_duration_missing_on_both_sides_matches() -> None:
    def drop(record: Record) -> None:
        win = item_of(record, "exc-1", "windows")
        del win["duration"], win["comparator"]

    predicted = mutated(drop)
    predicted_none = mutated(_set("exc-1", "windows", 0, duration=None, comparator=None))
    assert counts(evaluate(predicted_none, predicted), "windows") == (1, 0, 0)


# --- drugs


def _dose(**values: Any) -> Callable[[Record], None]:
    return lambda record: item_of(record, "exc-2", "drugs")["dose"].update(values)


def _drop_dose(record: Record) -> None:
    del item_of(record, "exc-2", "drugs")["dose"]


@pytest.mark.parametrize(
    ("change", "drugs", "drug_doses"),
    [
        pytest.param(_drop_dose, (0, 1, 1), (0, 0, 1), id="dose-missing"),
        pytest.param(_dose(value=10), (0, 1, 1), (0, 1, 1), id="dose-value"),
        pytest.param(_dose(comparator=">"), (0, 1, 1), (0, 1, 1), id="dose-comparator"),
        pytest.param(_dose(ucum="mg"), (0, 1, 1), (0, 1, 1), id="dose-ucum"),
        pytest.param(_dose(ucum=None, unit="MG/D"), (1, 0, 0), (1, 0, 0), id="dose-unit-text"),
        pytest.param(
            _set("exc-2", "drugs", 0, name="Deltasone"),
            (1, 0, 0),
            (1, 0, 0),
            id="same-span",
        ),
        pytest.param(
            _set(
                "exc-2",
                "drugs",
                0,
                name="PREDNISONE",
                span=span("Prednisone >= 100 mg/d"),
            ),
            (1, 0, 0),
            (1, 0, 0),
            id="same-name-wider-span",
        ),
        pytest.param(
            _set("exc-2", "drugs", 0, name="steroid", span=span("Prednisone >= 100 mg/d")),
            (0, 1, 1),
            (0, 1, 1),
            id="other-name-low-jaccard",
        ),
    ],
)
def test_drugs(
    change: Callable[[Record], None],
    drugs: tuple[int, int, int],
    drug_doses: tuple[int, int, int],
) -> None:
    report = evaluate(mutated(change), gold_record())
    assert counts(report, "drugs") == drugs
    assert counts(report, "drug_doses") == drug_doses


def test_extra_predicted_dose_is_drug_hit_but_dose_false_positive() -> None:
    report = evaluate(gold_record(), mutated(_drop_dose))
    assert counts(report, "drugs") == (1, 0, 0)
    assert counts(report, "drug_doses") == (0, 1, 0)
    (fp,) = report.categories["drug_doses"].false_positives
    assert fp.description == "prednisone >= 100 mg/d"


# --- assertions


def _assertion(cid: str, index: int, **flags: bool) -> Callable[[Record], None]:
    return lambda record: item_of(record, cid, "entities", index)["assertion"].update(flags)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            _assertion("exc-1", 1, negated=False),
            {"negation": (0, 0, 1)},
            id="neg-lost",
        ),
        pytest.param(
            _assertion("exc-3", 0, negated=True),
            {"negation": (1, 1, 0)},
            id="neg-spurious",
        ),
        pytest.param(
            _assertion("exc-3", 1, historical=False),
            {"historical": (1, 0, 1)},
            id="hist-lost",
        ),
        pytest.param(
            _assertion("exc-4", 0, hypothetical=False, historical=True),
            {"hypothetical": (0, 0, 1), "historical": (2, 1, 0)},
            id="hypothetical-as-historical",
        ),
    ],
)
def test_assertions(change: Callable[[Record], None], expected: dict[str, Any]) -> None:
    assert_only_changed(evaluate(mutated(change), gold_record()), expected)


def test_assertions_only_count_clinical_types() -> None:
    def negate_value(record: Record) -> None:
        item_of(record, "inc-1", "entities", 1)["assertion"] = {
            "negated": True,
            "historical": False,
            "hypothetical": False,
        }

    assert_only_changed(evaluate(mutated(negate_value), gold_record()), {})


def test_negation_matches_by_overlap_not_exact_span() -> None:
    def widen(record: Record) -> None:
        item_of(record, "exc-1", "entities", 1)["span"][0] -= 3  # "No active infection"

    report = evaluate(mutated(widen), gold_record())
    assert counts(report, "negation") == (1, 0, 0)
    assert counts(report, "entities_strict")[1:] == (1, 1)


# --- logic


def _logic(cid: str, tree: dict[str, Any] | None) -> Callable[[Record], None]:
    return lambda record: crit_of(record, cid).update(logic=tree)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            _logic("inc-2", {"op": "all", "args": [{"ref": "c1"}, {"ref": "c2"}]}),
            (2, 1, 1),
            id="any-vs-all",
        ),
        pytest.param(
            _logic("inc-2", {"op": "any", "args": [{"ref": "c2"}, {"ref": "c1"}]}),
            (3, 0, 0),
            id="argument-order-free",
        ),
        pytest.param(
            _logic("exc-1", {"op": "all", "args": [{"ref": "e2"}]}),
            (2, 0, 1),  # a one-argument all() is its leaf: no group is predicted
            id="arity",
        ),
        pytest.param(
            _logic("exc-1", {"op": "all", "args": [{"ref": "e1"}, {"ref": "w1"}]}),
            (2, 1, 1),
            id="child-elsewhere",
        ),
        pytest.param(
            _logic("exc-3", {"op": "any", "args": [{"ref": "e1"}, {"ref": "e1"}]}),
            (2, 1, 1),
            id="children-one-to-one",
        ),
        pytest.param(_logic("exc-3", None), (2, 0, 1), id="logic-missing"),
        pytest.param(
            _logic("exc-3", {"op": "any", "args": [{"ref": "e1"}, {"ref": "nope"}]}),
            (2, 1, 1),
            id="dangling-ref",
        ),
    ],
)
def test_logic(change: Callable[[Record], None], expected: tuple[int, int, int]) -> None:
    report = evaluate(mutated(change), gold_record())
    assert_only_changed(report, {"logic": expected})


def _sub_items(value: dict[str, Any] | None) -> Callable[[Record], None]:
    def change(record: Record) -> None:
        crit = crit_of(record, "exc-6")
        if value is None:
            crit.pop("sub_items")
        else:
            crit["sub_items"] = value

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(_sub_items({"op": "any", "cue": None}), (1, 0, 0), id="cue-not-scored"),
        pytest.param(_sub_items({"op": "all", "cue": None}), (0, 1, 1), id="all-vs-any"),
        pytest.param(_sub_items({"op": "at_least", "n": 2, "cue": None}), (0, 1, 1), id="at-least-vs-any"),
        pytest.param(_sub_items(None), (0, 0, 1), id="missing"),
    ],
)
def test_sub_items(change: Callable[[Record], None], expected: tuple[int, int, int]) -> None:
    report = evaluate(mutated(change), gold_record())
    assert_only_changed(report, {"sub_items": expected})


def test_at_least_needs_the_same_count() -> None:
    def at_least(n: int) -> Record:
        return mutated(_sub_items({"op": "at_least", "n": n, "cue": None}))

    assert counts(evaluate(at_least(2), at_least(2)), "sub_items") == (1, 0, 0)
    assert counts(evaluate(at_least(3), at_least(2)), "sub_items") == (0, 1, 1)


def test_a_gold_older_than_schema_1_5_scores_no_sub_items() -> None:
    """A gold written before sub-items were annotated is silent about them, not wrong: a prediction's
    sub_items are neither hits nor false positives there."""
    gold = gold_record()
    gold["schema_version"] = "1.0.0"
    crit_of(gold, "exc-6").pop("sub_items")
    predicted = mutated(_sub_items({"op": "all", "cue": None}))
    assert counts(evaluate(predicted, gold), "sub_items") == (0, 0, 0)


def test_logic_any_vs_all_reports_the_group() -> None:
    report = evaluate(
        mutated(_logic("inc-2", {"op": "all", "args": [{"ref": "c1"}, {"ref": "c2"}]})),
        gold_record(),
    )
    (miss,) = report.categories["logic"].misses
    (fp,) = report.categories["logic"].false_positives
    assert miss.criterion == fp.criterion == "inc-2"
    assert miss.description.startswith("any(") and fp.description.startswith("all(")
    assert miss.span == tuple(span("below 3 times the upper limit of normal"))


def test_nested_logic_subtree_child_takes_hull_of_its_leaves() -> None:
    nested = {
        "op": "all",
        "args": [{"ref": "e2"}, {"op": "any", "args": [{"ref": "e3"}, {"ref": "w1"}]}],
    }
    same_hull = {
        "op": "all",
        "args": [{"ref": "e2"}, {"op": "any", "args": [{"ref": "w1"}, {"ref": "e4"}]}],
    }
    gold = mutated(_logic("exc-1", nested))
    report = evaluate(mutated(_logic("exc-1", same_hull)), gold)
    # the outer groups pair up (the subtree children overlap); the inner ones too
    assert counts(report, "logic") == (GOLD_TP["logic"] + 1, 0, 0)

    # flattened: the outer group still pairs (w1 overlaps the hull);
    # the inner one is missed
    flat = mutated(_logic("exc-1", {"op": "all", "args": [{"ref": "e2"}, {"ref": "w1"}]}))
    assert counts(evaluate(flat, gold), "logic") == (GOLD_TP["logic"], 0, 1)

    # a subtree child outside the gold hull breaks the outer group as well
    elsewhere = {
        "op": "all",
        "args": [{"ref": "e2"}, {"op": "any", "args": [{"ref": "e1"}]}],
    }
    report = evaluate(mutated(_logic("exc-1", elsewhere)), gold)
    # the one-argument any() is normalised to its leaf: only the outer group is a false positive
    assert counts(report, "logic") == (GOLD_TP["logic"] - 1, 1, 2)


def test_at_least_compares_n() -> None:
    tree = {"op": "at_least", "n": 1, "args": [{"ref": "e1"}, {"ref": "e2"}]}
    gold = mutated(_logic("exc-3", tree))
    assert counts(evaluate(copy.deepcopy(gold), gold), "logic") == (
        GOLD_TP["logic"],
        0,
        0,
    )
    other = mutated(_logic("exc-3", dict(tree, n=2)))
    assert counts(evaluate(other, gold), "logic") == (GOLD_TP["logic"] - 1, 1, 1)


# --- formulas


@pytest.mark.parametrize(
    ("change", "hit"),
    [
        pytest.param(_set("exc-5", "formulas", 0, name="mdrd"), True, id="name-case"),
        pytest.param(_set("exc-5", "formulas", 0, name="CKD-EPI"), False, id="name"),
        pytest.param(_set("exc-5", "formulas", 0, span=span("eGFR")), False, id="span"),
    ],
)
def test_formulas(change: Callable[[Record], None], hit: bool) -> None:
    expected = (1, 0, 0) if hit else (0, 1, 1)
    assert counts(evaluate(mutated(change), gold_record()), "formulas") == expected


# --- output


def test_to_dict_is_json_serialisable() -> None:
    report = evaluate(mutated(_both_on_ast), gold_record())
    data = json.loads(json.dumps(report.to_dict()))
    assert list(data["categories"]) == list(CATEGORY_NAMES)
    constraints = data["categories"]["constraints"]
    assert constraints["tp"] == GOLD_TP["constraints"] - 1
    assert constraints["misses"][0] == {
        "criterion": "inc-2",
        "text": "below 3 times the upper limit of normal",
        "span": span("below 3 times the upper limit of normal"),
        "description": "alt < 3 x ULN",
    }
    assert data["by_type"]["entities_strict"]["Condition"]["f1"] == 1.0


def test_format_report_renders_table_and_errors() -> None:
    report = evaluate(mutated(_both_on_ast), gold_record())
    text = format_report(report)
    header = text.splitlines()[0].split()
    assert header == ["category", "tp", "fp", "fn", "P", "R", "F1"]
    for name in CATEGORY_NAMES:
        assert any(line.split()[:1] == [name] for line in text.splitlines()), name
    assert "constraints: 1 missed, 1 false positive(s)" in text
    assert "alt < 3 x ULN" in text and "inc-2" in text
    assert "  Condition" in text  # per-type rows

    quiet = format_report(report, show_errors=False)
    assert "alt < 3 x ULN" not in quiet
    assert quiet.splitlines() == text.splitlines()[: len(quiet.splitlines())]


def test_matching_is_maximum_not_just_greedy() -> None:
    """The best-overlap pair must give way when that lets both items be matched."""
    line = "History of stroke or epilepsy"

    def record(spans: list[list[int]]) -> Record:
        ents = [{"id": f"e{i}", "type": "Condition", "text": "", "span": s} for i, s in enumerate(spans)]
        return make_record([criterion("exc-1", "exclusion", line, entities=ents)])

    # predicted [0,9) overlaps gold [0,10) best, but only it can cover gold [8,12)
    report = evaluate(record([[0, 9], [2, 4]]), record([[0, 10], [8, 12]]))
    assert counts(report, "entities_overlap") == (2, 0, 0)


def test_logic_is_compared_up_to_associativity() -> None:
    from extractor.evaluate import normalise_logic

    nested = {"op": "any", "args": [{"op": "any", "args": [{"ref": "a"}, {"ref": "b"}]}, {"ref": "c"}]}
    flat = {"op": "any", "args": [{"ref": "a"}, {"ref": "b"}, {"ref": "c"}]}
    assert normalise_logic(nested) == flat
    mixed = {"op": "any", "args": [{"op": "all", "args": [{"ref": "a"}, {"ref": "b"}]}, {"ref": "c"}]}
    assert normalise_logic(mixed) == mixed
    assert normalise_logic({"op": "all", "args": [{"ref": "a"}]}) == {"ref": "a"}


def test_counts_match_whatever_words_name_what_they_count() -> None:
    def record(measure: str, count_of: str | None) -> Record:
        line = "eGFR by MDRD formula < 60 mL/min/1.73m2"
        con: dict[str, Any] = {"id": "c1", "subject": None, "measure": measure, "comparator": ">=", "value": 1}
        con.update(text=line, span=span(line), ucum="{lesions}", **({"count_of": count_of} if count_of else {}))
        return make_record([criterion("inc-1", "inclusion", line, constraints=[con])])

    gold = record("number of target lesions", "target lesions")
    assert counts(evaluate(record("number of target lesion", "target lesion"), gold), "constraints") == (1, 0, 0)
    # a measure named otherwise is still a miss where neither side counts
    assert counts(evaluate(record("x", None), record("y", None)), "constraints") == (0, 1, 1)


def test_two_ucum_codes_for_one_unit_score_as_the_same_unit() -> None:
    from extractor.evaluate import _units_equal

    assert _units_equal({"ucum": "mL"}, {"ucum": "cm3"})
    assert not _units_equal({"ucum": "mL"}, {"ucum": "L"})
    assert not _units_equal({"ucum": "mg/dL"}, {"ucum": "mmol/L"})  # needs an analyte: no match
