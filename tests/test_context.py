"""Negation, history and hypothetical status (medspaCy ConText with criteria rules)."""

from __future__ import annotations

from typing import Any

import pytest

import extractor

from .conftest import all_items


def _status(record: dict[str, Any], mention: str) -> dict[str, bool]:
    for e in all_items(record, "entities"):
        if e["text"] == mention and "assertion" in e:
            return e["assertion"]
    raise AssertionError(f"{mention!r} not extracted: {[e['text'] for e in all_items(record, 'entities')]}")


@pytest.mark.parametrize(
    ("text", "mention", "flag", "expected"),
    [
        ("Inclusion Criteria:\nNo obvious active infection", "active infection", "negated", True),
        ("Exclusion Criteria: no diabetes", "diabetes", "negated", True),
        ("Exclusion criteria:\nno history of epilepsy", "epilepsy", "negated", True),
        ("Inclusion Criteria:\nthe oxygen saturation is above 94% without oxygen", "oxygen", "negated", True),
        (
            "Inclusion Criteria:\nthere are no contraindications for blood collection",
            "contraindications",
            "negated",
            True,
        ),
        (
            "Inclusion Criteria:\nthere are no contraindications for blood collection",
            "blood collection",
            "negated",
            False,
        ),
        ("Exclusion Criteria:\nHIV positive", "HIV positive", "negated", False),
        # "not required" negates what is right before it, not the whole criterion
        ("Exclusion Criteria:\nKnown HIV or hepatitis B infection (screening not required)", "HIV", "negated", False),
        # a treatment going on now is not history
        ("Exclusion Criteria:\nPatients currently being treated with insulin", "insulin", "historical", False),
        ("Exclusion Criteria:\nPatients treated with methotrexate", "methotrexate", "historical", True),
        # a new clause after "and the" ends a negation's scope
        ("Exclusion Criteria:\nNo fever and the patient has a cough", "cough", "negated", False),
        ("Exclusion Criteria:\nNo history of diabetes and hypertension", "hypertension", "negated", True),
        ("Exclusion Criteria:\nActive hepatitis B or C", "hepatitis B", "negated", False),
        ("Exclusion Criteria:\nacute pancreatitis that is not related to SLE", "SLE", "negated", False),
        (
            "Exclusion Criteria:\nhistory of acute myocardial infarction",
            "acute myocardial infarction",
            "historical",
            True,
        ),
        ("Exclusion Criteria:\nReceived live vaccine within 30 days", "live vaccine", "historical", True),
        ("Exclusion Criteria:\nplanning to undergo surgery", "surgery", "hypothetical", True),
        ("Exclusion Criteria:\nacute pneumonia", "acute pneumonia", "negated", False),
    ],
)
def test_assertion(text: str, mention: str, flag: str, expected: bool) -> None:
    assert _status(extractor.extract(text), mention)[flag] is expected


def test_negation_does_not_cross_criteria() -> None:
    record = extractor.extract("Inclusion Criteria:\n* No active infection\n* Diabetes mellitus\n")
    assert _status(record, "Diabetes mellitus")["negated"] is False


def test_header_is_segmented_off_before_context() -> None:
    record = extractor.extract("Exclusion Criteria: no diabetes")
    (crit,) = record["criteria"]
    assert crit["side"] == "exclusion" and crit["text"] == "no diabetes"
