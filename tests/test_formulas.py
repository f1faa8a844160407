"""Named formulas: an eGFR equation written out, a body mass index defined in words, a formula cited by
name; each kept as data with its span, and the numbers of one written out read as no threshold."""

from __future__ import annotations

from typing import Any

import pytest

from extractor.errors import RuleError
from extractor.formulas import find_formulas
from extractor.rules import FormulaRule

from .conftest import all_items, extract_lines

FORMULA_CASES = [
    # text, [(name, text of the span, kind)]
    (
        "Calculated or measured creatinine clearances (Cockcroft-Gault formula) >= 50 ml/minute",
        [("Cockcroft-Gault", "Cockcroft-Gault formula", "citation")],
    ),
    (
        "creatinine clearance [as measured or calculated by Cockcroft and Gault formulas]",
        [("Cockcroft-Gault", "Cockcroft and Gault formulas", "citation")],
    ),
    ("GFR 15-60ml/min calculated by MDRD formula", [("MDRD", "MDRD formula", "citation")]),
    ("estimated using 4 variable MDRD GFR equation, which", [("MDRD", "4 variable MDRD GFR equation", "citation")]),
    (
        "as per the four variable modified diet in renal disease (MDRD) equation",
        [("MDRD", "four variable modified diet in renal disease (MDRD) equation", "citation")],
    ),
    ("creatinine clearance calculated according to CKD-EPI formula", [("CKD-EPI", "CKD-EPI formula", "citation")]),
    ("QTc according to Fridericia's formula (QTcF) >= 450 msec", [("Fridericia", "Fridericia's formula", "citation")]),
    ("creatinine clearance as per the Schwartz formula", [("Schwartz", "Schwartz formula", "citation")]),
    (
        "obese [body mass index (BMI, body weight (kg)/height (m)2 exceeding 35]",
        [("BMI", "body weight (kg)/height (m)2", "definition")],
    ),
    ("[BMI will be calculated as weight in kg/(height in m)2]", [("BMI", "weight in kg/(height in m)2", "definition")]),
    (
        "a Quetelet Index over 35 (weight in kg/height in sqm)",
        [("Quetelet index", "weight in kg/height in sqm", "definition")],
    ),
    # a name with no word for a formula is an author or an aside, no citation; a unit is no definition
    ("creatinine clearance >= 45 mL/min (Cockroft-Gault)", []),
    ("corrected according to Fridericia (QTcF)", []),
    ("BMI 18-30 kg/m2", []),
    # an assignment with no terms is a threshold written with "=", no equation
    ("Abbreviated MDRD eGFR = 30 mL/min/1.73m2.", []),
    ("weight loss over height of the season", []),
]


@pytest.mark.parametrize(("text", "expected"), FORMULA_CASES, ids=[c[0][:45] for c in FORMULA_CASES])
def test_formulas_found(text: str, expected: list[tuple[str, str, str]]) -> None:
    found = [(f["name"], text[f["start"] : f["end"]], f["kind"]) for f in find_formulas(text)]
    assert found == expected


def test_a_cited_formula_in_the_record_says_what_it_computes() -> None:
    record = extract_lines("Creatinine clearance (Cockcroft-Gault formula) >= 50 ml/minute")
    (formula,) = all_items(record, "formulas")
    assert formula["text"] == "Cockcroft-Gault formula"
    assert (formula["output"], formula["ucum"]) == ("creatinine clearance", "mL/min")
    assert formula["provenance"]["rule"] == "formula-citation"
    # the threshold is read as before: the citation masks nothing
    (constraint,) = all_items(record, "constraints")
    assert (constraint["comparator"], constraint["value"], constraint["ucum"]) == (">=", 50, "mL/min")


def test_the_numbers_of_a_bmi_defined_in_words_are_no_value() -> None:
    record = extract_lines("Subjects who are obese [body mass index (BMI, body weight (kg)/height (m)2 exceeding 35]")
    (formula,) = all_items(record, "formulas")
    assert formula["terms"] == [{"variable": "body weight", "exponent": 1.0}, {"variable": "height", "exponent": -2.0}]
    assert formula["provenance"]["rule"] == "bmi-definition"
    values = [e["text"] for e in all_items(record, "entities") if e["type"] == "Value"]
    assert values == ["exceeding 35"]  # not "2 exceeding 35": the squared height is no number read
    # the words of the definition stay mentions
    measurements = {e["text"] for e in all_items(record, "entities") if e["type"] == "Measurement"}
    assert {"body weight", "height"} <= measurements


def test_formula_rules_reject_unknown_keys_and_bad_regexes() -> None:
    rule: dict[str, Any] = {"name": "X", "regex": "X", "output": "y"}
    assert FormulaRule.from_dict(rule).to_dict() == rule
    with pytest.raises(RuleError, match="unknown key"):
        FormulaRule.from_dict(rule | {"unit": "mL/min"})
    with pytest.raises(RuleError, match="bad regex"):
        FormulaRule.from_dict(rule | {"regex": "(X"})
