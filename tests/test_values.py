"""Thresholds: a data-driven table of hard strings (tests/cases/constraints.json)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

import extractor
from extractor import values as v
from extractor.rules import load_json
from extractor.units import registry, spelled_variants
from extractor.values import find_thresholds, parse_number

from .conftest import all_items, extract_lines

CASES = json.loads((Path(__file__).parent / "cases" / "constraints.json").read_text(encoding="utf-8"))["cases"]


def _matches(found: dict[str, Any], want: dict[str, Any], source: str) -> bool:
    for key, value in want.items():
        if key == "span_text":
            s, e = found["span"]
            if source[s:e] != value:
                return False
        elif key == "canonical":
            got = found.get("canonical") or {}
            if got.get("unit") != value["unit"]:
                return False
            for k in ("value", "low", "high"):
                if k in value and abs(got.get(k, float("nan")) - value[k]) > 1e-3:
                    return False
        elif isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
            if not isinstance(found.get(key), (int, float)) or abs(found[key] - value) > 1e-9:
                return False
        elif found.get(key) != value:
            return False
    return True


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:50] for c in CASES])
def test_constraint_table(case: dict[str, Any]) -> None:
    record = extract_lines(case["text"])
    source = "Inclusion Criteria:\n" + case["text"] + "\n"
    found = all_items(record, "constraints")
    for want in case["expect"]:
        assert any(_matches(f, want, source) for f in found), f"missing {want} in {found}"
    if case.get("only"):
        assert len(found) == len(case["expect"]), found
    if "forbid_measure" in case:
        assert all(f.get("measure") != case["forbid_measure"] for f in found), found


def test_prednisone_dose_is_a_drug_dose_not_a_constraint() -> None:
    record = extract_lines("prednisone (or equivalent dose of glucocorticoid) ≥ 100 mg/d", side="exclusion")
    drugs = {d["name"]: d for d in all_items(record, "drugs")}
    assert drugs["prednisone"]["dose"] == {
        "comparator": ">=",
        "value": 100,
        "unit": "mg/d",
        "ucum": "mg/d",
        "span": drugs["prednisone"]["dose"]["span"],
    }
    assert not all_items(record, "constraints")


@pytest.mark.parametrize(
    ("text", "drug", "dose", "frequency"),
    [
        # a dose written next to its drug without a comparator is "="
        ("use of aspirin (325 mg/day) or other NSAIDs", "aspirin", ("=", 325, "mg/d", "325 mg/day"), None),
        ("Currently taking 0.8mg methotrexate daily", "methotrexate", ("=", 0.8, "mg", "0.8mg"), "/d"),
        ("insulin 10 IU before meals", "insulin", ("=", 10, "[IU]", "10 IU"), None),
        ("more than 10 mg of prednisone per day", "prednisone", (">", 10, "mg", "more than 10 mg"), "/d"),
        ("methotrexate 15 mg every 2 weeks", "methotrexate", ("=", 15, "mg", "15 mg"), "/(2.wk)"),
        ("methotrexate ≤ 25 mg/week", "methotrexate", ("<=", 25, "mg/wk", "≤ 25 mg/week"), None),
        # of several drugs, the one the dose is written right after; the dose as first written
        (
            "Systemic use of retinoid class drugs, beta-carotene compounds, or Vitamin A in doses greater than"
            " 15,000 IU (5,000 mcg) per day",
            "vitamin a",
            (">", 15000, "[IU]", "greater than 15,000 IU"),
            None,
        ),
        (
            "cumulative prednisone dose no greater than 120 mg",
            "prednisone",
            ("<=", 120, "mg", "no greater than 120 mg"),
            None,
        ),
        ("intolerance to warfarin at 600 mg/day", "warfarin", ("=", 600, "mg/d", "600 mg/day"), None),
        (
            "prednisone or its equivalent in excess of 10 mg/day",
            "prednisone",
            (">", 10, "mg/d", "in excess of 10 mg/day"),
            None,
        ),
        # a negated drug is still what the criterion is about: its dose is the one it forbids
        (
            "No concurrent prednisone or its equivalent in excess of 10 mg/day",
            "prednisone",
            (">", 10, "mg/d", "in excess of 10 mg/day"),
            None,
        ),
        # a dose announced as one ("at a dose of", "loading dose of") or after a dash
        ("Tolerance of foscarnet dose of 90 mg/kg bid.", "foscarnet", ("=", 90, "mg/kg", "90 mg/kg"), "2/d"),
        (
            "Previous course of fluoxetine at a dose of 60 mg. per day",
            "fluoxetine",
            ("=", 60, "mg", "60 mg"),
            None,
        ),
        (
            "Carboplatin must be given at a dose of at least 300 mg/m2",
            "carboplatin",
            (">=", 300, "mg/m2", "at least 300 mg/m2"),
            None,
        ),
        ("azathioprine - 100 mg daily or more", "azathioprine", (">=", 100, "mg/d", "100 mg daily or more"), None),
        ("intolerance to zidovudine (AZT) at 500 mg/day", "zidovudine", ("=", 500, "mg/d", "500 mg/day"), None),
        (
            "History of fluoxetine use at a dose of 10 mg or more",
            "fluoxetine",
            (">=", 10, "mg", "10 mg or more"),
            None,
        ),
        (
            "treated with steroids equivalent to 1 mg/kg/day",
            "corticosteroids",
            ("=", 1, "mg/kg/d", "1 mg/kg/day"),
            None,
        ),
        # a dose that another drug follows is that drug's, not the class's before it
        ("IV corticosteroids (180 mg dexamethasone)", "corticosteroids", None, None),
        ("IV corticosteroids (180 mg dexamethasone)", "dexamethasone", ("=", 180, "mg", "180 mg"), None),
        # a threshold before its drug is its dose
        ("(> 5mg prednisone daily or equivalent)", "prednisone", (">", 5, "mg", "> 5mg"), "/d"),
        ("Up to 2 g per day of aspirin is allowed", "aspirin", ("<=", 2, "g/d", "Up to 2 g per day"), None),
        # a dose named by its word, the drug earlier in the clause
        (
            "Prior doxorubicin allowed provided cumulative dose is no greater than 300 mg/m^2",
            "doxorubicin",
            ("<=", 300, "mg/m2", "no greater than 300 mg/m^2"),
            None,
        ),
        # (never past a dash that starts another remark: "with precautions - ... with doses > 1000 mg")
        (
            "Acyclovir (up to 12.4 mg/kg IV) allowed with precautions - nausea possible with doses > 1000 mg",
            "acyclovir",
            ("<=", 12.4, "mg/kg", "up to 12.4 mg/kg"),
            None,
        ),
        # doses per m2 a day, week or cycle, grams per m2, units per kg and infusion rates per kg
        (
            "corticosteroids in doses greater than 20 mg/m(2)/day of prednisone (or equivalent)",
            "prednisone",
            (">", 20, "mg/m2/d", "greater than 20 mg/m(2)/day"),
            None,
        ),
        (
            "methotrexate at a dose no greater than 10 mg/m(2)/week",
            "methotrexate",
            ("<=", 10, "mg/m2/wk", "no greater than 10 mg/m(2)/week"),
            None,
        ),
        (
            "Carboplatin at a dose of at least 300 mg/M2/course",
            "carboplatin",
            (">=", 300, "mg/m2/{cycle}", "at least 300 mg/M2/course"),
            None,
        ),
        ("Prior cytarabine at a dose of at least 1 g/m^2", "cytarabine", (">=", 1, "g/m2", "at least 1 g/m^2"), None),
        (
            "Insulin at a dose of more than 1.5 units/kg/day",
            "insulin",
            (">", 1.5, "[IU]/kg/d", "more than 1.5 units/kg/day"),
            None,
        ),
        (
            "dopamine at a dose of at least 5 mcg/kg/min",
            "dopamine",
            (">=", 5, "ug/kg/min", "at least 5 mcg/kg/min"),
            None,
        ),
        # a number that is no dose is not one
        ("aspirin 2 weeks before surgery", "aspirin", None, None),
        ("prednisone for 3 months", "prednisone", None, None),
    ],
)
def test_doses_next_to_their_drug(
    text: str, drug: str, dose: tuple[str, float, str, str] | None, frequency: str | None
) -> None:
    record = extract_lines(text, side="exclusion")
    source = "Exclusion Criteria:\n" + text + "\n"
    drugs = {d["name"]: d for d in all_items(record, "drugs")}
    found = drugs[drug].get("dose")
    if dose is None:
        assert found is None
        return
    assert found is not None
    s, e = found["span"]
    assert (found["comparator"], found["value"], found["ucum"], source[s:e]) == dose
    assert drugs[drug].get("frequency") == frequency


@pytest.mark.parametrize(
    ("text", "drug", "low", "high", "ucum", "written"),
    [
        ("prednisone 5 - 10 mg/day", "prednisone", 5, 10, "mg/d", "5 - 10 mg/day"),
        ("Dapsone 50 - 100 mg per day is allowed.", "dapsone", 50, 100, "mg/d", "50 - 100 mg per day"),
        ("atorvastatin 20-80 mg, or rosuvastatin 10-40 mg daily", "rosuvastatin", 10, 40, "mg/d", "10-40 mg daily"),
    ],
)
def test_a_dose_range_is_the_drugs_dose_not_a_constraint(
    text: str, drug: str, low: float, high: float, ucum: str, written: str
) -> None:
    # record schema 1.6.0: a dose may be a range (before it, the range stayed a constraint on the drug)
    record = extract_lines(text, side="exclusion")
    source = "Exclusion Criteria:\n" + text + "\n"
    dose = {d["name"]: d for d in all_items(record, "drugs")}[drug]["dose"]
    s, e = dose["span"]
    assert (dose["comparator"], dose["low"], dose["high"], dose["ucum"], source[s:e]) == (
        "between",
        low,
        high,
        ucum,
        written,
    )
    assert "value" not in dose
    assert not all_items(record, "constraints")


def test_a_bullet_dash_joins_no_threshold_to_the_drug_that_ends_the_bullet_before() -> None:
    # "-  Under age 50" opens a bullet: the dash is no link from the line above's "tamoxifen"
    record = extract_lines("Age 50 or over at start of tamoxifen\n  -  Under age 50 at start of tamoxifen")
    constraints = all_items(record, "constraints")
    assert [(c["measure"], c["comparator"], c["value"]) for c in constraints] == [("age", ">=", 50), ("age", "<", 50)]
    assert all("dose" not in d for d in all_items(record, "drugs"))


@pytest.mark.parametrize(
    ("text", "unit", "ucum"),
    [
        ("<221.0μmol/L", "μmol/L", "umol/L"),
        ("<221.0µmol/L", "µmol/L", "umol/L"),
        ("> 2.5 mg/dl", "mg/dl", "mg/dL"),
        ("≥ 50 %", "%", "%"),
    ],
)
def test_units_as_written_and_as_ucum(text: str, unit: str, ucum: str) -> None:
    (t,) = find_thresholds(text)
    assert (t.unit, t.ucum) == (unit, ucum)


@pytest.mark.parametrize(
    ("value", "src", "dst", "analyte", "expected"),
    [
        (221.0, "umol/L", "mg/dL", "creatinine", 2.4995),
        (2.5, "mg/dL", "umol/L", "creatinine", 221.0),
        (34.2, "umol/L", "mg/dL", "bilirubin", 2.0),
        (1.0, "g/dL", "mg/dL", None, 1000.0),
        (6, "mo", "d", None, 182.625),
    ],
)
def test_unit_conversions(value: float, src: str, dst: str, analyte: str | None, expected: float) -> None:
    assert registry().convert(value, src, dst, analyte) == pytest.approx(expected, rel=1e-3)


def test_molar_conversion_needs_a_molar_mass() -> None:
    from extractor.errors import UnitError

    with pytest.raises(UnitError):
        registry().convert(1.0, "umol/L", "mg/dL", "albumin")


@pytest.mark.parametrize("text", ["65~18 years", "ejection fraction > 150%"])
def test_implausible_values_are_rejected(text: str) -> None:
    assert find_thresholds(text) == []


@pytest.mark.parametrize(("written", "value"), [("2.5", 2.5), ("2,5", 2.5), ("1,000", 1000.0), ("221.0", 221.0)])
def test_parse_number(written: str, value: float) -> None:
    assert parse_number(written) == value


def test_implausible_threshold_for_its_analyte_is_flagged() -> None:
    record = extract_lines("Serum creatinine ≤ 130 mmol/L", "Serum creatinine ≤ 130 umol/L")
    (warning,) = record["warnings"]
    assert warning["code"] == "W005" and warning["criterion"] == "inc-1" and "creatinine" in warning["message"]
    # the value is still extracted as written
    assert [c["value"] for c in all_items(record, "constraints")] == [130, 130]


@pytest.mark.parametrize(
    ("text", "phrase", "entity_type"),
    [
        # how long something has lasted is a time phrase; so is its window before the index date
        ("Chronic pain for at least 3 months", "at least 3 months", "Temporal"),
        ("Postmenopausal state > 1 year", "> 1 year", "Temporal"),
        # an age or a life expectancy is a Value however it is written
        ("Age ≥ 18 years", "≥ 18 years", "Value"),
        ("Life expectancy of at least 3 months", "at least 3 months", "Value"),
        ("Expected survival ≥ 12 weeks", "≥ 12 weeks", "Value"),
        ("Serum creatinine > 1.5 mg/dL", "> 1.5 mg/dL", "Value"),
        # a bare number of years alone on its line, or said older/younger, is an age
        ("18-45 years", "18-45 years", "Value"),
        ("18 years or older", "18 years or older", "Value"),
        # a range is a Value, whatever it measures
        ("Menstrual cycle length 25-34 days", "25-34 days", "Value"),
    ],
)
def test_a_duration_threshold_is_a_temporal_mention_unless_an_age_or_survival(
    text: str, phrase: str, entity_type: str
) -> None:
    record = extract_lines(text, side="inclusion")
    # the mention may take a model span's wider edges ("for at least 3 months"), never another type
    covering = [
        e["type"] for e in all_items(record, "entities") if phrase in e["text"] and e["type"] in {"Value", "Temporal"}
    ]
    assert covering == [entity_type], all_items(record, "entities")
    kept = all_items(record, "windows" if entity_type == "Temporal" else "constraints")
    assert any(c["text"] == phrase for c in kept)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("creatinine less than 1.5\r\n     mg/dL", "mg/dL"),  # hard-wrapped registry text
        ("hemoglobin 9-12\r\n g/dL", "g/dL"),
        ("age > 18\r\n - Pregnancy", None),  # the next item is not a unit
    ],
)
def test_a_unit_on_the_next_line_of_wrapped_text_is_the_thresholds(text: str, unit: str | None) -> None:
    (found,) = find_thresholds(text)
    assert found.unit == unit


def test_patterns_tried_at_candidate_starts_match_as_finditer() -> None:
    # find_thresholds tries each comparator-led pattern only where a comparator (or a multiple) can
    # start; that must find exactly what a scan of the whole text finds
    rnd = random.Random(7)
    pieces = ["≥", "<", "> =", " ", "\n", "3", "1.5", "x", "times", "ULN", "the upper limit of normal", "greater than"]
    pieces += ["GREATER  THAN", "at least", "over", "moreover", "two", "TWICE", "systems", "are", "grade", "A", "III"]
    pieces += ["IV", "-", "to", "class", "normal", "mg/dl", "years", "(", ")", "fold", "ſ", "K"]
    texts = ["".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 30))) for _ in range(3000)]
    for text in texts:
        comp_at = [m.start() for m in v._COMP_AT.finditer(text)]
        uln_at = sorted({*comp_at, *(m.start() for m in v._MULT_AT.finditer(text))})
        ordinal_at = [m.start() for m in v._ORDINAL_AT.finditer(text)]
        for pattern, starts in [
            (v.ULN_RE, uln_at),
            (v.ULN_BARE_RE, comp_at),
            (v.COUNT_RE, comp_at),
            (v._with_units(v.BOUNDED_RANGE_RE), comp_at),
            (v._with_units(v.COMPARISON_RE), comp_at),
            (v.WORD_DURATION_RE, comp_at),
            (v.ORDINAL_RANGE_RE, ordinal_at),
            (v.ORDINAL_COMPARISON_RE, comp_at),
        ]:
            expected = [(m.span(), m.groups()) for m in pattern.finditer(text)]
            assert [(m.span(), m.groups()) for m in v._matches_at(pattern, text, starts)] == expected, text


def test_the_read_stretches_answer_overlaps_as_a_scan_would() -> None:
    taken_cls = v._Taken
    rnd = random.Random(3)
    for _ in range(2000):
        spans: list[tuple[int, int]] = []
        taken = taken_cls()
        for _ in range(rnd.randint(0, 12)):
            a = rnd.randint(0, 50)
            span = (a, a + rnd.randint(0, 8))
            spans.append(span)
            taken.append(span)
            for _ in range(5):
                s = rnd.randint(0, 60)
                e = s + rnd.randint(1, 6)
                assert taken.overlaps(s, e) == any(s < b and a < e for a, b in spans if b > a), (spans, s, e)


def test_many_thresholds_in_one_criterion_are_all_read() -> None:
    # 20,000 matches: each overlap check is a bisection (a scan of all earlier matches was quadratic)
    found = find_thresholds("≥1 " * 20_000)
    assert len(found) == 20_000 and found[-1].value == 1


def test_a_bare_number_of_years_under_a_label_is_not_an_age() -> None:
    # "18-45 years" alone in a criteria list is the age; under a label that names another duration
    # (one the lexicon does not know) it is not
    record = extractor.extract("Inclusion Criteria:\n- Disease duration:\n  * at least 2 years\n- 18-45 years\n")
    measures = {c["text"]: c.get("measure") for c in all_items(record, "constraints")}
    # the sub-item measures what its label names, where the entity model reads the label, or nothing
    assert measures["at least 2 years"] in (None, "disease duration") and measures["18-45 years"] == "age"


def test_a_hard_wrapped_line_of_years_is_not_an_age() -> None:
    # legacy registry text wraps at about 70 columns: "at least 5 years." alone on a line is the end
    # of its criterion, how long the malignancy has shown no sign (a window), no age
    text = (
        "Exclusion Criteria:\n\n  - Active malignancy, unless there has been no clinical sign of it for\r\n"
        "     at least 5 years.\r\n  - 18-45 years\r\n"
    )
    record = extractor.extract(text)
    measures = {c["text"]: c.get("measure") for c in all_items(record, "constraints")}
    assert measures == {"18-45 years": "age"}, measures
    assert [(w["text"], w["comparator"], w["duration"]) for w in all_items(record, "windows")] == [
        ("at least 5 years", ">=", "P5Y")
    ]


def test_start_guards_know_every_case_fold_of_a_letter() -> None:
    # a guard is case-sensitive: each letter's class must hold every character IGNORECASE equates with it
    import re
    import sys

    from extractor.trie import _as_written

    # (and the Latin-1 letters it knows: "â" starts a mis-decoded "≤", "â‰¤")
    latin = "".join(chr(c) for c in range(0xE0, 0xFF) if chr(c) not in "\u00e5\u00f7")
    letters = "abcdefghijklmnopqrstuvwxyz" + latin
    folding = re.compile(f"[{letters}]", re.IGNORECASE)
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        if folding.fullmatch(ch):
            owners = [c for c in letters if re.fullmatch(c, ch, re.IGNORECASE)]
            assert all(ch in _as_written(c, True) for c in owners), (ch, owners)


@pytest.mark.parametrize(
    ("text", "values", "kept"),
    [
        # a model span that starts inside the comparator does not cut it off the Value
        ("Hemoglobin greater than or equal to 7.5 g/dL", ["greater than or equal to 7.5 g/dL"], ["Hemoglobin"]),
        # nor one that ends before the second number and its unit
        ("Ulcer area 0.25 cm² to 5.0 cm²", ["0.25 cm² to 5.0 cm²"], ["Ulcer area"]),
        # nor the "no" of "no greater than" (golds: 149 such Values with it)
        ("Bilirubin no greater than 1.5 mg/dL", ["no greater than 1.5 mg/dL"], ["Bilirubin"]),
        # the measure between its bounds stays a mention, with a Value on each side
        ("7.0% ≤ HbA1c ≤ 10.5%", ["7.0%", "≤ 10.5%"], ["HbA1c"]),
    ],
)
def test_value_mentions_keep_the_parse(text: str, values: list[str], kept: list[str]) -> None:
    entities = all_items(extract_lines(text), "entities")
    assert [e["text"] for e in entities if e["type"] == "Value"] == values
    assert all(any(e["text"] == k and e["type"] != "Value" for e in entities) for k in kept), entities


def test_a_unit_written_without_its_spaces_is_still_known() -> None:
    # the unit pattern lets a written form's spaces be left out; the lookup must agree with it
    assert registry().to_ucum("mL/min/1.73m2") == registry().to_ucum("mL/min/1.73 m2") == "mL/min/{1.73_m2}"
    assert registry().to_ucum("ml/min/1,73m²") == "mL/min/{1.73_m2}"


def test_a_measure_between_its_bounds_in_a_later_criterion() -> None:
    # the measure's offsets move with the threshold into its criterion (a later one starts past 0)
    record = extract_lines("Age 18-70 years old", "Weight: male ≥ 50 kg, female ≥ 45 kg, 18 kg/m2 ≤ BMI ≤ 30 kg/m2 ;")
    second = record["criteria"][1]
    bmi = next(e for e in second["entities"] if e["text"] == "BMI")
    (ranged,) = [c for c in second["constraints"] if c["comparator"] == "between"]
    assert (ranged["subject"], ranged["low"], ranged["high"], ranged["ucum"]) == (bmi["id"], 18, 30, "kg/m2")
    assert [e["text"] for e in second["entities"] if e["type"] == "Value"][-2:] == ["18 kg/m2", "≤ 30 kg/m2"]


@pytest.mark.parametrize(
    ("text", "measure"),
    [
        # a named rating scale or index is the measure its threshold constrains, its bracketed
        # abbreviation part of the mention
        ("Pittsburgh Sleep Quality Index (PSQI) score equal to or greater than 10", "pittsburgh sleep quality index"),
        ("International Index of Erectile Function (IIEF) score ≤ 21", "international index of erectile function"),
        # (the short form "SHI-M" after the long one with a hyphen, NCT00648596)
        (
            "ED confirmed by a Sexual Health Inventory-Male (SHI-M) score of 21 or less",
            "sexual health inventory for men",
        ),
        (
            "Center for Epidemiological Studies Depression Scale score ≥ 16",
            "center for epidemiological studies depression scale",
        ),
    ],
)
def test_a_named_scale_is_the_measure_of_its_threshold(text: str, measure: str) -> None:
    (constraint,) = all_items(extract_lines(text), "constraints")
    assert constraint["measure"] == measure


@pytest.mark.parametrize(
    ("text", "measure", "low", "high"),
    [
        # a questionnaire or prognostic index written as its acronym takes a bare range after it
        ("ED indicated by SHIM 12-16", "sexual health inventory for men", 12, 16),
        # a singular spelling of the BI-RADS assessment category (NCT00499980)
        ("Suspicious lesion (BIRAD 4 or 5) identified by mammography", "bi-rads category", 4, 5),
        ("IIEF-ED: 11-25 at visit 1", "international index of erectile function - erectile function domain", 11, 25),
        ("MMSE 10-26", "mini-mental state examination", 10, 26),
        ("Age-adjusted IPI 2-3.", "international prognostic index", 2, 3),
        ("Performance status: CALGB 0-2", "calgb performance status", 0, 2),
        # the number after the name that counts the scale's items is no value of it
        ("HAM-D 17 item score 18-25", "hamilton depression rating scale", 18, 25),
    ],
)
def test_a_named_scale_takes_a_bare_range(text: str, measure: str, low: int, high: int) -> None:
    (constraint,) = all_items(extract_lines(text), "constraints")
    assert (constraint["measure"], constraint["comparator"], constraint["low"], constraint["high"]) == (
        measure,
        "between",
        low,
        high,
    )


def test_a_lost_comparator_leaves_a_scores_number_unread() -> None:
    # "IIEF-5 score 3 18": a character between the comparator and the number was lost
    assert find_thresholds("IIEF-5 score 3 18") == []


def test_a_scores_values_may_wrap_onto_the_next_line() -> None:
    text = "No New York Heart Association class III\r\nor IV heart disease"
    [found] = find_thresholds(text)
    assert (found.comparator, found.low, found.high, found.rule) == ("between", "III", "IV", "score-values")
    assert text[found.start : found.end] == "III\r\nor IV"


@pytest.mark.parametrize(
    ("text", "comparator", "value", "unit"),
    [
        ("Hemoglobin greater than\r\n     10 g/dL", ">", 10, "g/dL"),
        ("platelet count <\r\n     100,000/mm3", "<", 100000, "/mm3"),
        ("bilirubin no greater than\r\n     1.5 times ULN", "<=", None, None),
        ("total doxorubicin dose did not exceed\r\n240 mg/m2", "<=", 240, "mg/m2"),
        # the comparator written after the number may start the next line
        ("ulceration of 1 cm\r\n     or more in diameter", ">=", 1, "cm"),
        ("A minimum life\r\n     expectancy of 3 months", ">=", 3, "months"),
    ],
)
def test_a_comparator_may_end_a_hard_wrapped_line(
    text: str, comparator: str, value: float | None, unit: str | None
) -> None:
    [found] = find_thresholds(text)
    assert (found.comparator, found.value, found.unit) == (comparator, value, unit)


def test_a_scores_value_may_start_the_next_line() -> None:
    text = "Eastern Co-operative Oncology Group (ECOG) Performance Status of\r\n     0, 1, or 2"
    [found] = find_thresholds(text)
    assert (found.comparator, found.low, found.high) == ("between", 0, 2)


@pytest.mark.parametrize(
    ("written", "ucum"),
    [
        ("micromoles/liter", "umol/L"),
        ("nanograms per deciliter", "ng/dL"),
        ("grams/dL", "g/dL"),
        ("mg per decilitre", "mg/dL"),
        ("picograms per milliliter", "pg/mL"),
        ("milliequivalents per liter", "meq/L"),
        ("units/L", "U/L"),
        ("microunits/mL", "u[IU]/mL"),
        ("international units per liter", "[IU]/L"),
        # a form that is not <prefix><unit>/<prefix><unit> is not spelled out
        ("grams per hour", None),
        ("grams per square foot", None),
    ],
)
def test_concentration_units_may_be_spelled_out(written: str, ucum: str | None) -> None:
    assert registry().to_ucum(written) == ucum
    assert (registry().pattern.fullmatch(written) is not None) == (ucum is not None)


def test_spelled_variants_leave_other_forms_alone() -> None:
    table = load_json("units.json")["spelled_out"]
    assert "nanograms/dL" in spelled_variants("ng/dL", table)
    assert "ng/dL" not in spelled_variants("ng/dL", table)
    assert spelled_variants("mL/min/1.73 m2", table) == set()
    assert spelled_variants("cells/uL", table) == set()


@pytest.mark.parametrize("text", ["Liver at least 2 times normal size", "Spleen at least 5 times normal size"])
def test_a_multiple_of_a_normal_size_is_no_limit_of_normal(text: str) -> None:
    assert all(t.reference is None for t in find_thresholds(text))


@pytest.mark.parametrize(
    ("text", "ucum"),
    [
        ("fever > 38.5 C", "Cel"),
        ("temperature over 100.5 F", "[degF]"),
        # the letter names a scale the number is not on, or no temperature is named: no unit
        ("fever > 101 C", None),
        ("CD4 count > 200 C", None),
    ],
)
def test_a_temperatures_scale_letter_alone(text: str, ucum: str | None) -> None:
    [found] = find_thresholds(text)
    assert found.ucum == ucum


@pytest.mark.parametrize(
    "text",
    [
        "Adult male subjects of 40 to 65 years of age, inclusive.",
        # the people named before the number are not what it measures
        "Male subjects aged between 18 and 65 years of age inclusive",
        "Written consent from a parent for patients < 18 years of\r\n     age.",
        # ... nor where the threshold's own words name the age (the golds: 29 of 36), the age a mention
        # inside the Value
        "Patients 18 years of age or older",
        "Individuals beyond age 50 are excluded",
        "Persons under the age of 15",
    ],
)
def test_an_age_range_before_of_age_is_the_age_mentions(text: str) -> None:
    (crit,) = extract_lines(text)["criteria"]
    (constraint,) = crit["constraints"]
    subject = next(e for e in crit["entities"] if e["id"] == constraint["subject"])
    assert (constraint["measure"], subject["text"]) == ("age", "age")


@pytest.mark.parametrize(
    "text",
    [
        "Stage IV breast cancer",
        "Completely resected stage II or III colorectal cancer",
        # (the cancer named before the word stage is not what the stage measures: NCT05209256)
        "Histologically diagnosed non-squamous NSCLC of stage IIIB or IV",
    ],
)
def test_a_stage_is_of_the_word_stage_written_before_it(text: str) -> None:
    (crit,) = extract_lines(text)["criteria"]
    (stage,) = crit["constraints"]
    subject = next(e for e in crit["entities"] if e["id"] == stage["subject"])
    assert (stage["measure"], subject["text"].lower(), subject["type"]) == ("tumor stage", "stage", "Measurement")


def test_a_grade_is_never_a_drugs_dose() -> None:
    # NCT00005626: "grade II follicular mixed cell", where the model read a Drug after the grade; a dose
    # is a number (the record failed validation with a dose of "II")
    text = (
        "Histologically proven low grade (diffuse small lymphocytic/marginal zone, grade I follicular small "
        "cleaved cell, or grade II follicular mixed cell) OR Mantle cell"
    )
    record = extract_lines(text)
    assert all("dose" not in d for d in all_items(record, "drugs"))


def test_a_single_grade_of_nothing_named_is_no_constraint() -> None:
    # no mention of what is graded: no constraint on nothing, and the words are reported unparsed
    record = extract_lines("Must be grade 2.")
    (crit,) = record["criteria"]
    assert crit["constraints"] == []
    assert any("grade 2" in u["text"] for u in crit["unparsed"])


def test_a_multiple_of_a_limit_across_a_hard_wrap() -> None:
    # legacy XML wraps at about 90 columns: the line break and the indent fall inside the phrase
    text = "AST no greater than 3 times ULN (no greater than 5 times\r\n     ULN in case of liver involvement)"
    found = [(t.comparator, t.multiple, t.reference, text[t.start : t.end]) for t in find_thresholds(text)]
    assert found == [
        ("<=", 3.0, "ULN", "no greater than 3 times ULN"),
        ("<=", 5.0, "ULN", "no greater than 5 times\r\n     ULN"),
    ]


@pytest.mark.parametrize(
    ("text", "is_class"),
    [
        ("No active infection requiring antimicrobial drugs", True),  # a class head
        ("Other nephrotoxic agents.", True),
        ("Currently taking antidepressants", True),  # a class's plural form
        ("Currently taking androgens", True),
        ("Currently taking benzodiazepines", True),
        ("Currently taking tamoxifen", False),
        ("Midazolam.", False),
    ],
)
def test_a_drug_record_says_whether_it_names_a_class(text: str, is_class: bool) -> None:
    drugs = all_items(extract_lines(text, side="exclusion"), "drugs")
    assert [d["is_class"] for d in drugs] == [is_class]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("No prior systemic chemotherapy", "chemotherapy"),
        ("On stable antiretroviral therapy for 3 months", "antiretroviral therapy"),
        ("Prior hormonal therapy allowed", "hormonal therapy"),
    ],
)
def test_a_treatment_named_by_its_drug_class_is_a_drug_with_a_drug_record(text: str, name: str) -> None:
    # the criterion is about those drugs: a Drug in the record, as the golds read it (Chia types
    # "chemotherapy" a Procedure, and the BRAT writer writes that: tests/test_brat.py)
    (crit,) = extract_lines(text, side="exclusion")["criteria"]
    (drug,) = crit["drugs"]
    entity = next(e for e in crit["entities"] if e["id"] == drug["entity"])
    assert (drug["name"], drug["is_class"], entity["type"]) == (name, True, "Drug")


def test_a_weight_based_daily_dose() -> None:
    (drug,) = all_items(extract_lines("Ongoing prednisolone > 1mg/kg daily or equivalent", side="exclusion"), "drugs")
    assert drug["dose"]["unit"] == "mg/kg daily" and drug["dose"]["ucum"] == "mg/kg/d"


@pytest.mark.parametrize(
    ("bullet", "name"),
    [
        ("Barbiturates.", "barbiturates"),  # a class the legacy listings name alone on a line
        ("Hypoglycemics, oral.", "oral hypoglycemics"),
        ("Anesthetics, general.", "general anesthetics"),
        # a synonym the vocabulary files under a combination product keeps its own drug's name
        ("Norethindrone.", "norethisterone"),
        ("Accutane", "isotretinoin"),
    ],
)
def test_drug_names_in_a_list_of_excluded_medications(bullet: str, name: str) -> None:
    drugs = all_items(extract_lines(bullet, side="exclusion"), "drugs")
    assert [d["name"] for d in drugs] == [name]


@pytest.mark.parametrize(
    "text",
    [
        "Gleason score ≥ 7 (3+4 and/or 4+3)",  # the sum's patterns restated in brackets
        "Gleason score 3+3=7",  # a sum that is wrong is no pattern
        "Platelets 5+3 units",  # no Gleason named before it
    ],
)
def test_no_gleason_pattern(text: str) -> None:
    found = [c for c in all_items(extract_lines(text), "constraints") if "+" in str(c.get("value"))]
    assert found == []


@pytest.mark.parametrize(
    ("text", "drugs"),
    [
        # a drug's abbreviation in brackets right after it names it once
        ("unable to undergo filgrastim (G-CSF)-mobilized PBSC collection", ["filgrastim"]),
        ("Prior docetaxel (TXT) within 4 weeks", ["docetaxel"]),
        # ... and its dose is the drug's
        ("mycophenolate mofetil (MMF) more than 2 g/day", ["mycophenolate mofetil"]),
        # a kind of the drug before, or a class named by its head, keeps its own record
        ("vasodilators (nitrates)", ["vasodilator", "nitrate"]),
    ],
)
def test_a_drugs_bracketed_abbreviation_names_it_once(text: str, drugs: list[str]) -> None:
    found = all_items(extract_lines(text, side="exclusion"), "drugs")
    assert [d["name"] for d in found] == drugs
    if "g/day" in text:
        assert found[0]["dose"]["ucum"] == "g/d"


def test_a_limit_word_ending_a_numbered_line_takes_no_list_number_from_the_next() -> None:
    # NCT04325464: "3. Insomnia as defined by an ISI score of 8 or above\n4. Insomnia symptoms ..."
    text = "3. Insomnia as defined by an ISI score of 8 or above\n4. Insomnia symptoms for at least 3 months"
    found = [(text[t.start : t.end], t.comparator, t.value) for t in v.find_thresholds(text)]
    assert ("8 or above", ">=", 8) in found
    assert all("4" not in written for written, _, _ in found)
    # ... a number on the next line that is no list number still is the limit's
    text = "Hemoglobin greater than\n10 g/dL"
    assert [(t.comparator, t.value) for t in v.find_thresholds(text)] == [(">", 10)]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # a drug after "non" is what the thing is not
        ("Hypersensitivity to non-steroid anti-inflammatory agents", {"nsaids"}),
        ("Nonsteroidal antiinflammatory drugs within 2 weeks", {"nsaids"}),
        ("Non-insulin dependent diabetes mellitus", set()),
        # an abbreviation defined in brackets names the same drug further on
        (
            "Completed induction with ganciclovir (DHPG) and be about to start the maintenance phase DHPG therapy.",
            {"ganciclovir"},
        ),
    ],
)
def test_drug_names(text: str, names: set[str]) -> None:
    record = extract_lines(text, side="exclusion")
    assert {d["name"] for d in all_items(record, "drugs")} == names


@pytest.mark.parametrize(
    ("text", "drug", "route"),
    [
        # a roman numeral in a stage range is no route
        ("Stage III-IV NSCLC, with no history of anticancer treatment including chemotherapy", "chemotherapy", None),
        ("IV antibiotics within 2 weeks", "antibiotics", "intravenous"),
        ("Oral glucocorticoids, such as prednisone", "prednisone", "oral"),
        # a route after "non" is the one route not meant
        ("Recent or current use of non-topical steroids", "steroids", None),
    ],
)
def test_drug_routes(text: str, drug: str, route: str | None) -> None:
    record = extract_lines(text, side="exclusion")
    found = [d for d in all_items(record, "drugs") if d["text"].lower().endswith(drug)]
    assert found, all_items(record, "drugs")
    assert {d.get("route") for d in found} == {route}


def test_a_result_word_starting_a_bullet_under_an_actg_topic_is_the_result_of_the_marker_after_it() -> None:
    text = (
        "Exclusion Criteria\r\n\r\nCo-existing Condition:\r\n\r\nPatients with the following are excluded:\r\n\r\n"
        "  -  Positive PPD.\r\n\r\n  -  CD 20 negative B-cell Lymphoma\r\n\r\n  -  Negative HIV test.\r\n"
    )
    found = {(c["measure"], c["value"]) for c in all_items(extractor.extract(text), "constraints")}
    assert ("tuberculin skin test", "positive") in found  # (PPD, named as the golds name it)
    assert ("b-cell lymphoma", "negative") not in found  # "CD 20 negative": the result of CD 20


@pytest.mark.parametrize("text", ["Adequate organ function", "Adequate bone marrow function as defined below"])
def test_an_organ_s_function_is_a_measurement(text: str) -> None:
    # the golds: organ function 24 Measurements of 27 mentions
    (crit,) = extract_lines(text)["criteria"]
    found = {(e["text"], e["type"]) for e in crit["entities"]}
    assert any(t == "Measurement" and w.endswith("function") for w, t in found)


@pytest.mark.parametrize(
    ("text", "measure"),
    [
        ("Patients may demonstrate positive blood cultures for bacteria", "blood culture"),
        ("Positive purified protein derivative skin test", "tuberculin skin test"),
    ],
)
def test_a_culture_or_skin_test_is_a_measurement_its_result_limits(text: str, measure: str) -> None:
    found = {(c["measure"], c["value"]) for c in all_items(extract_lines(text), "constraints")}
    assert (measure, "positive") in found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a hard-wrapped line may break between a result and the test it is of
        ("Not pregnant or nursing Negative\r\npregnancy test", [("Negative", "pregnancy test")]),
        # ... but a new line that starts with a capital is another criterion
        ("HIV negative\r\nPregnancy test required", []),
    ],
)
def test_a_result_before_its_test(text: str, expected: list[tuple[str, str]]) -> None:
    from extractor.link import qualitative_results

    entities = [
        {"type": "Measurement", "start": m.start(), "end": m.end()} for m in re.finditer(r"(?i)pregnancy test", text)
    ]
    found = [
        (text[r["start"] : r["end"]], text[entities[r["subject"]]["start"] : entities[r["subject"]]["end"]])
        for r in qualitative_results(text, entities)
    ]
    assert found == expected


def test_each_limit_of_a_pressure_pair_bounds_its_own_pressure() -> None:
    record = extract_lines(
        "Serious hypotension (SBP/DBP is less than 90/50mmHg in a sitting posture)", side="exclusion"
    )
    (crit,) = record["criteria"]
    names = {e["id"]: e["text"] for e in crit["entities"]}
    found = sorted((c["measure"], c["value"], names.get(c["subject"])) for c in crit["constraints"])
    assert found == [("diastolic blood pressure", 50, "DBP"), ("systolic blood pressure", 90, "SBP")]


@pytest.mark.parametrize(
    ("text", "mentions", "names"),
    [
        ("Zidovudine (AZT) at a dose of at least 300 mg/day", ["Zidovudine (AZT)"], ["zidovudine"]),
        # the abbreviation names the drug where the text writes it again, not DrugBank's DHPG
        (
            "Induction with ganciclovir (DHPG) before the maintenance phase DHPG therapy",
            ["ganciclovir (DHPG)", "DHPG"],
            ["ganciclovir", "ganciclovir"],
        ),
        # a word in brackets is no abbreviation
        ("Concomitant use of vasodilators (nitrates)", ["vasodilators", "nitrates"], ["vasodilator", "nitrate"]),
    ],
)
def test_an_abbreviation_in_brackets_after_its_long_form_is_one_mention(
    text: str, mentions: list[str], names: list[str]
) -> None:
    (crit,) = extract_lines(text, side="exclusion")["criteria"]
    assert [e["text"] for e in crit["entities"] if e["type"] == "Drug"] == mentions
    assert [d["name"] for d in crit["drugs"]] == names


@pytest.mark.parametrize(
    ("text", "condition", "constraints"),
    [
        ("HIV negative", "HIV negative", []),  # a disease with its status: one Condition
        # ... but a serology result is an antibody test's (the golds: "seropositive" a Value 11 of 12)
        ("HIV seropositive", "HIV", [("=", "positive")]),
        ("HBsAg positive", None, [("=", "positive")]),  # a marker's test result
    ],
)
def test_a_disease_named_with_its_status_is_one_condition(
    text: str, condition: str | None, constraints: list[tuple[str, str]]
) -> None:
    (crit,) = extract_lines(text, side="inclusion")["criteria"]
    conditions = [e["text"] for e in crit["entities"] if e["type"] == "Condition"]
    assert conditions == ([condition] if condition else [])
    assert [(k["comparator"], k["value"]) for k in crit["constraints"]] == constraints


def test_an_abbreviation_defined_in_the_text_names_its_concept_where_it_is_written_again() -> None:
    text = "Inclusion Criteria:\n1. Erectile dysfunction (ED) for at least 6 months\nExclusion Criteria:\n1. Failure of prior ED treatment\n2. Education (ED) level\n"
    record = extractor.extract(text)
    found = [(e["text"], e["type"], e.get("normalized")) for c in record["criteria"] for e in c["entities"]]
    assert ("Erectile dysfunction (ED)", "Condition", "erectile dysfunction") in found  # linked through its long form
    assert ("ED", "Condition", "erectile dysfunction") in found
    # a word in brackets whose letters are not the initials of the words before it defines nothing
    assert sum(1 for t, ty, _ in found if t == "ED" and ty == "Condition") == 1


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Have written consent of a parent or guardian if under 18 years.", "under 18 years"),
        ("Men who are less than 55 or greater than or equal to 75\r\n     years of age", "less than 55"),
    ],
)
def test_an_age_is_a_value_mention_not_a_duration(text: str, value: str) -> None:
    (crit,) = extract_lines(text)["criteria"]
    typed = {e["text"]: e["type"] for e in crit["entities"]}
    assert typed.get(value) != "Temporal", typed
    assert not crit["windows"], crit["windows"]
    assert any(c["measure"] == "age" and c["text"] == value for c in crit["constraints"])


@pytest.mark.parametrize(
    ("text", "count", "counted"),
    [
        ("At least one measurable lesion", "At least one", "measurable lesion"),
        ("At least 4 attempts at sexual intercourse per month", "At least 4", "attempts"),
        ("No more than 2 prior chemotherapy regimens", "No more than 2", "prior chemotherapy regimens"),
    ],
)
def test_a_count_of_things_is_a_multiplier_mention_of_the_count_alone(text: str, count: str, counted: str) -> None:
    # the golds: 363 of 460 Multipliers a count alone; Chia: 19 of 26 where the noun follows the number
    (crit,) = extract_lines(text)["criteria"]
    multipliers = [e["text"] for e in crit["entities"] if e["type"] == "Multiplier"]
    assert multipliers == [count]
    (constraint,) = crit["constraints"]
    assert constraint["count_of"].startswith(counted)
