"""How a criterion's sub-items combine: lead-in cues, joining words, the side's reading."""

from __future__ import annotations

from typing import Any

import pytest

import extractor
from extractor.errors import RuleError
from extractor.sub_items import SubItemsRule


def _parent(text: str) -> dict[str, Any]:
    (parent,) = [c for c in extractor.extract(text)["criteria"] if "sub_items" in c]
    return parent


INC = "Inclusion Criteria:\n\n"
EXC = "Exclusion Criteria:\n\n"
LIST = "\n  * anemia\n  * thrombocytopenia\n  * neutropenia\n"


@pytest.mark.parametrize(
    ("text", "op", "n", "cue"),
    [
        (
            INC + "* Must meet at least 2 of the following criteria:" + LIST,
            "at_least",
            2,
            "at least 2 of the following",
        ),
        (INC + "* Two or more of the following:" + LIST, "at_least", 2, "Two or more of the following"),
        (
            INC + "* Patients must have at least one of the following:" + LIST,
            "any",
            None,
            "at least one of the following",
        ),
        (INC + "* Diagnosis of one of the following:" + LIST, "any", None, "one of the following"),
        (INC + "* All of the following criteria must be met:" + LIST, "all", None, "All of the following"),
        (INC + "* None of the following within 3 months:" + LIST, "none", None, "None of the following"),
        (
            INC + "* Patients must not have any of the following:" + LIST,
            "none",
            None,
            "must not have any of the following",
        ),
        (INC + "* Healthy volunteers must not:" + LIST, "none", None, "must not"),
        (EXC + "* History of any of the following:" + LIST, "any", None, "any of the following"),
        # on the exclusion side "must not have any of" means each of them excludes (a sentence that
        # leads the whole section, "Patients must not have any of the following:", is no criterion)
        (
            EXC + "* Age 18 or older\n* Cardiac disease; must not have any of these:" + LIST,
            "any",
            None,
            "must not have any of these",
        ),
        # the word that joins the last two sub-items
        (INC + "* Adequate marrow:\n  * ANC >= 1500/mm3; or\n  * Platelets >= 100,000/mm3\n", "any", None, "or"),
        (INC + "* Contraception:\n  * condoms, and\n  * a second method\n", "all", None, "and"),
        # nothing written: the side's reading
        (INC + "* Adequate organ function:" + LIST, "all", None, None),
        (EXC + "* History of:" + LIST, "any", None, None),
    ],
)
def test_how_sub_items_combine(text: str, op: str, n: int | None, cue: str | None) -> None:
    combine = _parent(text)["sub_items"]
    assert (combine["op"], combine.get("n"), (combine["cue"] or {}).get("text")) == (op, n, cue)
    if combine["cue"] is not None:
        s, e = combine["cue"]["span"]
        assert text[s:e] == cue


def test_a_joining_word_inside_an_earlier_sub_item_does_not_decide() -> None:
    # "and" closes the first sub-item only; the last two are not joined by it
    text = INC + "* Organ function:\n  * ALT and\n  * AST within normal limits\n  * bilirubin normal\n"
    assert _parent(text)["sub_items"]["op"] == "all" and _parent(text)["sub_items"]["cue"] is None


def test_an_inclusion_lead_in_that_offers_alternatives_keeps_its_items() -> None:
    # (a section lead-in's items are each required; "one of the following" makes them alternatives)
    text = INC + "* Age 18 or older\n\nPatients must meet one of the following criteria:\n- asthma\n- COPD\n"
    record = extractor.extract(text)
    parent = _parent(text)
    assert parent["text"].startswith("Patients must meet one of the following criteria:")
    assert [c["text"] for c in record["criteria"] if c["parent"] == parent["id"]] == ["asthma", "COPD"]
    assert record["unparsed"] == []


def test_every_parent_and_only_a_parent_says_how_its_sub_items_combine() -> None:
    record = extractor.extract(INC + "* Labs:" + LIST + "* Age 18 or older\n")
    parents = {c["parent"] for c in record["criteria"]} - {None}
    assert parents == {c["id"] for c in record["criteria"] if "sub_items" in c} == {"inc-1"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x", "op": "some", "regex": "a"}, "op must be one of"),
        ({"name": "x", "op": "any", "regex": "("}, "bad regex"),
        ({"name": "x", "op": "at_least", "regex": "of"}, "group n"),
        ({"name": "x", "op": "any", "regex": "(?P<n>two) of"}, "group n"),
        ({"name": "x", "op": "any", "regex": "of", "side": "inclusion"}, "unknown key"),
    ],
)
def test_rules_are_checked_when_loaded(data: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleError, match=message):
        SubItemsRule.from_dict(data)


def test_rules_round_trip() -> None:
    rule = SubItemsRule.from_dict({"name": "one-of", "op": "any", "regex": "\\bone\\s+of\\b"})
    assert SubItemsRule.from_dict(rule.to_dict()) == rule


@pytest.mark.parametrize(
    ("text", "op"),
    [
        # examples and reasons are alternatives ...
        (INC + "* Low-grade glioma including:\n  * astrocytoma\n  * oligodendroglioma\n", "any"),
        (INC + "* Ineligible for transplant because of:\n  * comorbid disease\n  * lack of a donor\n", "any"),
        # ... none of which may hold under "No"; unless each is a requirement of its own
        (INC + "* No concomitant liver disease, e.g.:\n  * viral hepatitis\n  * autoimmune hepatitis\n", "none"),
        (INC + "* No atypical disease, e.g.:\n  * No history of stroke\n  * No cerebellar involvement\n", "all"),
    ],
)
def test_examples_and_reasons(text: str, op: str) -> None:
    assert _parent(text)["sub_items"]["op"] == op
