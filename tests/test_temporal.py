"""Time windows: a data-driven table (tests/cases/windows.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import extractor

from .conftest import all_items, extract_lines

CASES = json.loads((Path(__file__).parent / "cases" / "windows.json").read_text(encoding="utf-8"))["cases"]


def _matches(w: dict[str, Any], want: dict[str, Any], source: str) -> bool:
    checks = {
        "span_text": lambda: source[w["span"][0] : w["span"][1]] == want["span_text"],
        "comparator": lambda: w.get("comparator") == want["comparator"],
        "duration": lambda: w.get("duration") == want["duration"],
        "days": lambda: abs(w.get("days", -1) - want["days"]) < 1e-6,
        "direction": lambda: w["direction"] == want["direction"],
        "anchor": lambda: w["anchor"]["name"] == want["anchor"],
        "anchor_text": lambda: w["anchor"].get("text") == want["anchor_text"],
        "half_lives": lambda: w.get("half_lives") == want["half_lives"],
        "whichever": lambda: w.get("whichever") == want["whichever"],
        "no_duration": lambda: "duration" not in w and "days" not in w,
    }
    return all(checks[k]() for k in want)


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:50] for c in CASES])
def test_window_table(case: dict[str, Any]) -> None:
    record = extract_lines(case["text"], side="exclusion")
    source = "Exclusion Criteria:\n" + case["text"] + "\n"
    windows = all_items(record, "windows")
    assert any(_matches(w, case["expect"], source) for w in windows), windows


def test_window_applies_to_what_it_qualifies() -> None:
    record = extract_lines("Received live vaccine within 30 days prior to Visit 2", side="exclusion")
    (crit,) = record["criteria"]
    (window,) = crit["windows"]
    targets = {e["id"]: e["text"] for e in crit["entities"] if e["id"] in window["applies_to"]}
    assert list(targets.values()) == ["live vaccine"]


def test_a_window_after_a_list_of_drug_targets_times_the_drugs() -> None:
    record = extract_lines(
        "Received any drug therapy (antibody, inhibitor or agonist) targeting T, B lymphocytes, cytokines or "
        "receptors within two months",
        side="exclusion",
    )
    (crit,) = record["criteria"]
    (window,) = crit["windows"]
    targets = [e["text"] for e in crit["entities"] if e["id"] in window["applies_to"]]
    assert targets == ["drug therapy", "antibody", "inhibitor", "agonist"]
    # what the drugs act on is no drug, even where the entity model reads one there
    drugs = [e["text"] for e in crit["entities"] if e["type"] == "Drug"]
    assert "cytokines" not in drugs and "receptors" not in drugs
    assert {d["text"] for d in crit["drugs"]} == {"drug therapy", "antibody", "inhibitor", "agonist"}


def test_consent_is_timed_by_the_window_after_it() -> None:
    # "Signed informed consent prior to any study specific procedures": the golds time the consent
    (crit,) = extract_lines(
        "Signed informed consent obtained prior to any study specific procedures", side="inclusion"
    )["criteria"]
    (window,) = crit["windows"]
    names = {e["id"]: e["text"] for e in crit["entities"]}
    assert [names[i] for i in window["applies_to"]] == ["informed consent"]


@pytest.mark.parametrize(
    ("text", "timed"),
    [
        ("Ablative therapy within the past 30-90 days", "Ablative therapy"),
        (
            "Autologous stem cell transplantation for AML within the past 28 to 100 days",
            "Autologous stem cell transplantation",
        ),
    ],
)
def test_a_look_back_range_is_a_time_phrase_timing_the_event_before_it(text: str, timed: str) -> None:
    (crit,) = extract_lines(text, side="inclusion")["criteria"]
    names = {e["id"]: e["text"] for e in crit["entities"]}
    assert sorted(w["comparator"] for w in crit["windows"]) == ["<=", ">="]
    assert all(timed in [names[a] for a in w["applies_to"]] for w in crit["windows"])
    assert any(e["type"] == "Temporal" and e["text"].startswith("within the past") for e in crit["entities"])


def test_a_window_times_a_prior_trial_participation() -> None:
    record = extract_lines("Participated in any clinical study within 3 months prior to enrollment", side="exclusion")
    (crit,) = record["criteria"]
    (window,) = crit["windows"]
    assert [e["text"] for e in crit["entities"] if e["id"] in window["applies_to"]] == ["clinical study"]


@pytest.mark.parametrize(
    "text",
    [
        "Expected survival period ≥ 3 months",
        # a duration that a label names ("Life expectancy:"), an age, a frequency, an interval
        "PATIENT CHARACTERISTICS:\nLife expectancy:\n  -  At least 12 weeks",
        "Age strata:\n  -  6 to <12 months",
        "Above 35 years men",
        "Are between 4 months and 21 years of age",
        "Any other advanced disease likely to cause death in <6 months",
        "Watery stools at least 5 days a week",
        "3 rising PSA values, each measured at least 2 weeks apart",
        "Lansky 50-100% (under 10 years)",
        # "the following" is a determiner, no direction; "after consultation" names no clinical event
        "Patients may have received the following prior AR directed therapy",
        "Referred after consultation",
        # the study's own time, its treatment alone included, is no window of its own
        "No other investigational drugs during the course of the study",
        "Willing to use contraception during treatment",
        "Symptoms during the day",
        "No nipple discharge",
        "Age between 18 and 65 years",
        "Inadequate coordination between dosing and sexual activity",
        "Heavily pretreated patients",
        # "on" the study is its period; "based on" an event measures from it, not at it
        "Patients who become pregnant while on study will remain on study",
        "Pregnancy test repeated based on screening results",
    ],
)
def test_a_duration_that_is_no_state_is_not_a_window(text: str) -> None:
    record = extract_lines(text)
    assert all_items(record, "windows") == []


@pytest.mark.parametrize(
    ("text", "anchor"),
    [
        # registry text is hard-wrapped: an event phrase runs on into a lower-case word ...
        ("within 4 weeks prior to the first\r\n     dose of study drug", "first dose"),
        ("14 days following completion of\r\n     primary therapy.", "completion of primary therapy"),
        # ... but a capitalised word after a lower-case one starts the next item of a flattened list
        # ("since prior radiotherapy" names the event "radiotherapy"; "prior to study" is enrollment)
        ("At least 3 weeks since prior radiotherapy Surgery:", "radiotherapy"),
        ("at least 72 hours prior to study No other concurrent endocrine therapy", "enrollment"),
        ("At least 4 weeks since prior chemotherapy\r\n No concurrent chemotherapy", "chemotherapy"),
        ("within 28 days prior to Day 1", "day 1"),
        ("within 14 days prior to the Screening Visit", "screening visit"),
        # who is enrolled, or taking part in the trial, is enrollment too
        ("within 4 weeks prior to subject enrollment", "enrollment"),
        ("before participating in the trial", "enrollment"),
        # a comparator after the event starts a threshold on it
        (
            "At least 6 months since prior involved-field radiotherapy greater than 1,500 cGy",
            "involved-field radiotherapy",
        ),
        ("At least 1 month since prior strength training of greater than 3 hours a week", "strength training"),
    ],
)
def test_an_unknown_anchor_event_ends_where_the_phrase_does(text: str, anchor: str) -> None:
    from extractor.temporal import find_windows

    (window,) = find_windows(text)
    if window.event_start is None:
        assert window.anchor_name == anchor
    else:  # "since" a patient's own event: the event the window times, counted back from the index date
        assert window.anchor_name == "index"
        assert text[window.event_start : window.event_end].endswith(anchor)


def test_a_window_since_a_patients_own_event_times_that_event() -> None:
    record = extract_lines(
        "At least 4 weeks since prior chemotherapy (6 weeks for nitrosoureas or mitomycin) and recovered",
        side="inclusion",
    )
    (crit,) = record["criteria"]
    names = {e["id"]: e["text"] for e in crit["entities"]}
    found = [
        (w["comparator"], w["duration"], w["direction"], w["anchor"]["name"], [names[i] for i in w["applies_to"]])
        for w in crit["windows"]
    ]
    assert found == [
        (">=", "P4W", "before", "index", ["chemotherapy"]),
        (">=", "P6W", "before", "index", ["nitrosoureas", "mitomycin"]),
    ]
    # ... in a criterion after others too (its offsets are the criterion's own)
    record = extractor.extract(
        "Inclusion Criteria:\n\nChemotherapy:\n\nAt least 4 weeks since prior chemotherapy and recovered.\n"
    )
    (window,) = all_items(record, "windows")
    assert [e["text"] for c in record["criteria"] for e in c["entities"] if e["id"] in window["applies_to"]] == [
        "chemotherapy"
    ]
    # a study event after "since" stays the anchor it is
    (window,) = all_items(extract_lines("At least 6 months since enrollment"), "windows")
    assert (window["direction"], window["anchor"]["name"]) == ("after", "enrollment")


def test_the_time_phrase_of_a_window_since_an_event_is_its_duration() -> None:
    record = extract_lines(
        "14 days must have elapsed since the completion of systemic cytotoxic therapy", side="inclusion"
    )
    (crit,) = record["criteria"]
    (window,) = crit["windows"]
    assert (window["comparator"], window["duration"], window["direction"]) == (">=", "P14D", "before")
    # the Temporal mention is the duration; the event it is counted from is a mention of its own
    assert [e["text"] for e in crit["entities"] if e["type"] == "Temporal"] == ["14 days"]
    assert [e["text"] for e in crit["entities"] if e["id"] in window["applies_to"]] == ["systemic cytotoxic therapy"]


def test_a_duration_at_a_lines_end_names_no_event() -> None:
    from extractor.temporal import find_windows

    assert [w.anchor_name for w in find_windows("At least 2 weeks since prior\r\nChemotherapy")] == []


@pytest.mark.parametrize(
    "text",
    [
        "Estimated life expectancy < 1 year from conditions other than TR",
        "Life expectancy of at least 3 months from screening",
    ],
)
def test_a_life_expectancy_from_an_event_is_no_window(text: str) -> None:
    # how long the patient is expected to live, counted from an event, is a threshold on the life
    # expectancy (tests/cases/constraints.json), not a time window before or after that event
    assert all_items(extract_lines(text, side="exclusion"), "windows") == []


def test_the_start_guard_changes_no_window_match() -> None:
    # the window pattern is led by a guard on its possible first two characters; the pattern without
    # it must find exactly the same windows
    import random
    import re

    from extractor import temporal as t

    unguarded = re.compile(t._WINDOW, re.IGNORECASE)
    rnd = random.Random(11)
    pieces = [" ", "  ", "\n", "-", "(", ")", "2", "١٢", "1.5", "ſ", "İ", "≤", ">=", "x"]
    pieces += "a A an day D hours h wk within over up three SEVEN twelve fourteen thirty one before of bad".split()
    pieces += ["WITHIN the past", "in the last", "for at least", "no more than", "up to", "prior to", "or less"]
    texts = ["".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 25))) for _ in range(4000)]
    for text in texts:
        expected = [(m.span(), m.groups()) for m in unguarded.finditer(text)]
        assert [(m.span(), m.groups()) for m in t._WINDOW_RE.finditer(text)] == expected, text


@pytest.mark.parametrize(
    "text", ["questioned prior to MRI scanning", "had before surgery", "attend prior to randomization"]
)
def test_a_number_word_inside_another_word_is_no_duration(text: str) -> None:
    # "one" + "d" in "questioned", "a" + "d" in "had", "ten" + "d" in "attend" are no "1 d" or "10 d"
    from extractor.temporal import find_windows

    assert [w.duration for w in find_windows(text) if w.duration] == []


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("malignancy within the previous 5\r\n     years", "P5Y"),
        ("significant injury within the past\r\n     28 days or", "P28D"),
    ],
)
def test_a_window_may_break_across_a_hard_wrapped_line(text: str, duration: str) -> None:
    from extractor.temporal import find_windows

    [window] = find_windows(text)
    assert window.duration == duration and window.direction == "before"


def test_an_event_word_that_qualifies_a_noun_is_no_time() -> None:
    record = extract_lines("History of intolerance to the study drugs at entry doses", side="exclusion")
    assert all_items(record, "windows") == []


@pytest.mark.parametrize(
    ("text", "window", "applies_to"),
    [
        # how long a state has lasted, or how long ago an event was: a window before the index date
        ("Erectile dysfunction for more than 6 months", (">", "P6M"), ["Erectile dysfunction"]),
        ("History of myocardial infarction less than 6 months ago", ("<", "P6M"), ["myocardial infarction"]),
        ("At least a 3-month history of erectile dysfunction", (">=", "P3M"), ["erectile dysfunction"]),
        ("Pain existing longer than one year", (">", "P1Y"), ["Pain"]),
        # how long an exposure has lasted is a window too, as the golds read all 157 "for at least N
        # weeks" they mark
        ("Prednisone for more than 2 weeks", (">", "P2W"), ["Prednisone"]),
        (
            "No concurrent oral or IV corticosteroids for more than 2 consecutive weeks",
            (">", "P2W"),
            ["corticosteroids"],
        ),
    ],
)
def test_how_long_a_state_has_lasted_is_a_window(
    text: str, window: tuple[str, str] | None, applies_to: list[str] | None
) -> None:
    (crit,) = extract_lines(text, side="inclusion")["criteria"]
    if window is None:
        assert crit["windows"] == [] and len(crit["constraints"]) == 1
        return
    (found,) = crit["windows"]
    names = {e["id"]: e["text"] for e in crit["entities"]}
    assert (found["comparator"], found["duration"], found["direction"], found["anchor"]["name"]) == (
        *window,
        "before",
        "index",
    )
    assert [names[i] for i in found["applies_to"]] == applies_to
    assert crit["constraints"] == []


def test_an_age_in_the_next_criterion_leaves_a_state_window_alone() -> None:
    record = extractor.extract(
        "Inclusion Criteria:\n* Erectile dysfunction for at least six months.\n* Age between 35-55 years.\n"
    )
    first, second = record["criteria"]
    assert [w["duration"] for w in first["windows"]] == ["P6M"] and first["constraints"] == []
    assert [c["measure"] for c in second["constraints"]] == ["age"]


def test_a_range_of_how_long_a_state_has_lasted_is_a_window_per_bound() -> None:
    # "for more than 3 months and less than 6 months": two windows on one span, as three golds read it
    (crit,) = extract_lines("Erectile dysfunction for more than 3 months and less than 6 months", side="inclusion")[
        "criteria"
    ]
    got = [(w["comparator"], w["duration"], w["direction"], w["span"]) for w in crit["windows"]]
    assert [g[:3] for g in got] == [(">", "P3M", "before"), ("<", "P6M", "before")]
    assert got[0][3] == got[1][3]
    assert crit["constraints"] == []
    (crit,) = extract_lines("Pain for 3 to 6 months", side="inclusion")["criteria"]
    assert [(w["comparator"], w["duration"]) for w in crit["windows"]] == [(">=", "P3M"), ("<=", "P6M")]


@pytest.mark.parametrize(
    ("text", "applies_to"),
    [
        # a window since an event times every member of the list the event opens
        (
            "At least 6 months since prior cardiac arrhythmias, myocardial infarction, or congestive heart failure",
            ["cardiac arrhythmias", "myocardial infarction", "congestive heart failure"],
        ),
        (
            "At least 6 months since prior methotrexate, vinblastine, doxorubicin, and cisplatin",
            ["methotrexate", "vinblastine", "doxorubicin", "cisplatin"],
        ),
        # a name the vocabulary knows inside the window's own words, and a mention that runs on past them
        ("≥ 1 day post hydroxyurea", ["hydroxyurea"]),
        ("≥ 3 days post Tyrosine Kinase Inhibitor (TKI) use", ["Tyrosine Kinase Inhibitor (TKI)"]),
        # commas with no conjunction before the last member make no list
        ("At least 4 weeks since prior surgery, hormonal therapy allowed", ["surgery"]),
        # a lead-in before the first member of a list of three or more is no member ...
        (
            "Patients who took sildenafil, tadalafil, vardenafil and others within 2 weeks before the study",
            ["sildenafil", "tadalafil", "vardenafil"],
        ),
        # ... and a member with words of its own before it lets the list run on
        (
            "History of myocardial infarction, unstable angina, cardiac or other vascular stenting, angioplasty,"
            " or surgery within 12 months prior to day 1 of study",
            ["myocardial infarction", "unstable angina", "stenting", "angioplasty", "surgery"],
        ),
        # ... nor is a mention in a bracket at the end of the phrase before a comma
        (
            "Take drugs that increase risk of muscle disease (such as cyclosporine, erythromycin, and"
            " ketoconazole), within 14 days of study entry",
            ["muscle disease", "cyclosporine", "erythromycin", "ketoconazole"],
        ),
        # a negated mention is timed where it is all the criterion names before the window
        ("No myocardial infarction within the past 6 months", ["myocardial infarction"]),
        ("No other prior malignancy within the past 5 years except basal cell carcinoma", ["malignancy"]),
        # but not beside a mention that is asserted
        ("Major surgery, other than diagnostic surgery, within 4 weeks prior to Day 1", ["Major surgery"]),
        # a state that lasts is timed with what it qualifies
        ("Stable dose of medication for at least 4 weeks", ["medication", "Stable"]),
        (
            "Antiretrovirals allowed provided dose has been stable for at least 6 weeks prior to study entry",
            ["Antiretrovirals", "stable"],
        ),
    ],
)
def test_what_a_window_times(text: str, applies_to: list[str]) -> None:
    (crit,) = extract_lines(text, side="exclusion")["criteria"]
    (window,) = [w for w in crit["windows"] if w.get("duration")]
    names = {e["id"]: e["text"] for e in crit["entities"]}
    assert [names[i] for i in window["applies_to"]] == applies_to


@pytest.mark.parametrize(
    ("text", "timed"),
    [
        # examples named right after the window are timed too, dosed ones included
        (
            "high-dose glucocorticoid treatment is required within 90 days before visit 2, such as prednisone "
            "(or equivalent dose of glucocorticoid) ≥ 100 mg/d, or creatinine greater than 1.5 times ULN",
            {"glucocorticoids", "prednisone"},
        ),
        ("Chemotherapy immunotherapy in the recent 4 weeks such as allogeneic cellular therapy", None),
    ],
)
def test_examples_after_a_window_are_timed_by_it(text: str, timed: set[str] | None) -> None:
    record = extract_lines(text, side="exclusion")
    (criterion,) = record["criteria"]
    names = {e["id"]: (e.get("normalized") or e["text"]).lower() for e in criterion["entities"]}
    (window,) = criterion["windows"]
    applies = {names[i] for i in window["applies_to"]}
    if timed is None:
        assert any("cellular therapy" in n for n in applies), applies
    else:
        assert timed <= applies, applies
        assert not any("creatinine" in n for n in applies)


def test_windows_before_during_and_after_one_study_time_the_same_thing() -> None:
    record = extract_lines(
        "Fertile patients must use effective contraception for 1 month before, during, and for 3 months after study"
    )
    (crit,) = record["criteria"]
    before, during, after = crit["windows"]
    assert (before["direction"], before["anchor"]["name"]) == ("before", "enrollment")
    assert (during["direction"], during["anchor"]["name"]) == ("during", "study period")
    assert (after["direction"], after["anchor"]["name"]) == ("after", "end of study")
    assert before["applies_to"] == during["applies_to"] == after["applies_to"] != []
    # the study both count from is one mention
    assert [e["text"] for e in crit["entities"] if e["type"] == "Reference_point"] == ["study"]


def test_the_event_a_window_runs_during_keeps_its_type() -> None:
    # a drug taken during the window stays a Drug mention; a period of the study is a Reference_point
    record = extract_lines("Disease progression while receiving tamoxifen during the double-blind phase")
    (crit,) = record["criteria"]
    types = {e["text"]: e["type"] for e in crit["entities"]}
    assert types.get("tamoxifen") == "Drug"
    assert types.get("double-blind phase") == "Reference_point"
    assert {w["anchor"]["name"] for w in crit["windows"]} == {"tamoxifen", "double-blind phase"}


@pytest.mark.parametrize(
    ("text", "temporal"),
    [
        ("At least 4 weeks since prior endocrine therapy", ["At least 4 weeks", "prior"]),
        ("At least 30 days since other prior investigational agents", ["At least 30 days", "prior"]),
        ("At least 2 weeks since major surgery", ["At least 2 weeks"]),
    ],
)
def test_a_time_since_an_event_names_the_duration_and_prior_as_mentions(text: str, temporal: list[str]) -> None:
    # the window keeps the whole phrase; its mentions are the duration and "prior", as the golds read
    # them (the event is a mention of its own)
    record = extractor.extract(text)
    (criterion,) = record["criteria"]
    assert [w["text"] for w in criterion["windows"]] == [text]
    assert sorted(e["text"] for e in criterion["entities"] if e["type"] == "Temporal") == sorted(temporal)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Agree to use contraception for the duration of the study", "for the duration of the study"),
        ("Women must use contraception throughout the study", "throughout the study"),
        ("No other investigational drugs during the study", "during the study"),
    ],
)
def test_the_study_period_is_a_temporal_mention_and_no_window(text: str, phrase: str) -> None:
    # the golds mark 55 "for the duration of the study" / "throughout the study" as Temporal mentions,
    # with a window in only 3; "during the study" the same
    record = extract_lines(text)
    assert phrase in [e["text"] for e in all_items(record, "entities") if e["type"] == "Temporal"]
    assert not all_items(record, "windows")
