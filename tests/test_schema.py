"""The record schema: output and gold validate with an independent jsonschema call; domain checks bite."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest

from extractor.errors import SchemaError
from extractor.validate import iter_domain_errors, iter_errors, validate


def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(":1.6.0")
    assert schema["properties"]["schema_version"]["enum"] == [
        "1.0.0",
        "1.1.0",
        "1.2.0",
        "1.3.0",
        "1.4.0",
        "1.5.0",
        "1.6.0",
    ]


def test_output_validates_independently(record: dict[str, Any], schema: dict[str, Any]) -> None:
    jsonschema.validate(record, schema, cls=jsonschema.Draft202012Validator)
    assert record["schema_version"] == "1.6.0"


def test_gold_validates_independently(gold: dict[str, Any], schema: dict[str, Any], listing_text: str) -> None:
    jsonschema.validate(gold, schema, cls=jsonschema.Draft202012Validator)
    assert list(iter_errors(gold, listing_text)) == []


def test_every_span_points_at_its_text(record: dict[str, Any], listing_text: str) -> None:
    assert list(iter_errors(record, listing_text)) == []
    n = 0
    for c in record["criteria"]:
        for key in ("entities", "constraints", "windows", "drugs", "formulas", "unparsed"):
            for item in c[key]:
                s, e = item["span"]
                assert listing_text[s:e] == item["text"]
                assert c["span"][0] <= s <= e <= c["span"][1]
                n += 1
    assert n > 200


@pytest.mark.parametrize(
    ("mutate", "path_fragment"),
    [
        (lambda r: r["criteria"][0].__setitem__("side", "maybe"), "$.criteria[0].side"),
        (
            lambda r: r["criteria"][0]["constraints"][0].__setitem__("comparator", "≈"),
            "$.criteria[0].constraints[0].comparator",
        ),
        (lambda r: r["criteria"][0].__setitem__("span", [10, 5]), "$.criteria[0].span"),
        (lambda r: r["criteria"][0]["entities"][0].__setitem__("text", "not the source"), "$.criteria[0].entities[0]"),
        (
            lambda r: r["criteria"][0]["constraints"][0].__setitem__("subject", "nope-e1"),
            "$.criteria[0].constraints[0].subject",
        ),
        (lambda r: r.__setitem__("schema_version", "0.9"), "$.schema_version"),
        # sub_items on a criterion with no sub-items; at_least with no count
        (lambda r: r["criteria"][0].__setitem__("sub_items", {"op": "all", "cue": None}), "$.criteria[0].sub_items"),
        (
            lambda r: r["criteria"][0].__setitem__("sub_items", {"op": "at_least", "cue": None}),
            "$.criteria[0].sub_items",
        ),
    ],
)
def test_problems_name_their_path(record: dict[str, Any], listing_text: str, mutate: Any, path_fragment: str) -> None:
    broken = copy.deepcopy(record)
    mutate(broken)
    problems = list(iter_errors(broken, listing_text))
    assert any(p.path.startswith(path_fragment) for p in problems), problems
    with pytest.raises(SchemaError):
        validate(broken, listing_text)


def test_fast_and_reference_validators_agree(record: dict[str, Any], schema: dict[str, Any]) -> None:
    import jsonschema_rs

    fast = jsonschema_rs.validator_for(schema)
    reference = jsonschema.Draft202012Validator(schema)
    variants = [
        record,
        {**record, "schema_version": "2.0"},
        {**record, "criteria": [{"id": "x"}]},
        {**record, "extra": 1},
    ]
    for variant in variants:
        assert fast.is_valid(variant) == reference.is_valid(variant)


def test_span_checks_reach_any_depth() -> None:
    # the quick recursive span walk gives up on a record nested deeper than the recursion limit; the
    # iterative walk still finds the problem at the bottom
    nested: Any = {"text": "ab", "span": [0, 9]}
    for _ in range(5000):
        nested = [nested]
    problems = list(iter_domain_errors({"source": {"length": 5}, "deep": nested}, "abcde"))
    assert [p.path.split(".")[-1] for p in problems] == ["span", "span"], problems


def test_a_dose_range_needs_both_bounds_and_a_single_dose_its_value(schema: dict[str, Any]) -> None:
    dose = {"$defs": schema["$defs"], **schema["$defs"]["drug"]["properties"]["dose"]}
    validator = jsonschema.Draft202012Validator(dose)
    assert validator.is_valid({"comparator": "between", "low": 50, "high": 100, "unit": "mg/day"})
    assert not validator.is_valid({"comparator": "between", "value": 50, "unit": "mg/day"})
    assert validator.is_valid({"comparator": ">=", "value": 50, "unit": "mg/day"})
    assert not validator.is_valid({"comparator": ">=", "low": 50, "high": 100, "unit": "mg/day"})
