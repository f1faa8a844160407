"""Sections, criteria, sub-items, trial fields, and page chrome that must never become a criterion."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

import extractor
from extractor import layout
from extractor.analysis import chunks

from .conftest import ROOT, read_source

CHROME = [
    "Yes No Not Sure",
    "Clear my responses",
    "How to participate",
    "Sign up as volunteer",
    "Lorem ipsum",
    "Add a private note",
    "passcode",
    "Learn more",
]


def test_criteria_sides_and_ids(record: dict[str, Any]) -> None:
    top = [c for c in record["criteria"] if c["parent"] is None]
    assert [c["id"] for c in top if c["side"] == "inclusion"] == [f"inc-{i}" for i in range(1, 11)]
    assert [c["id"] for c in top if c["side"] == "exclusion"] == [f"exc-{i}" for i in range(1, 21)]


@pytest.mark.parametrize("phrase", CHROME)
def test_page_chrome_never_becomes_a_criterion(record: dict[str, Any], phrase: str) -> None:
    assert not any(phrase.lower() in c["text"].lower() for c in record["criteria"])


def test_description_drugs_are_not_criteria(record: dict[str, Any]) -> None:
    names = {d["name"] for c in record["criteria"] for d in c["drugs"]}
    texts = " ".join(c["text"] for c in record["criteria"]).lower()
    assert "rituximab" not in names and "belimumab" not in names
    assert "rituximab" not in texts and "belimumab" not in texts


def test_trial_fields(record: dict[str, Any], listing_text: str) -> None:
    trial = record["trial"]
    assert trial["nct_id"]["value"] == "NCT05474885"
    assert trial["sponsor"]["text"] == "iCell Gene Therapeutics"
    assert trial["title"]["text"].startswith("BCMA-CD19 cCAR T Cell Treatment")
    assert trial["phase"]["value"] == "Phase 1"
    assert {"interventional", "single arm", "open label"} <= {d["value"] for d in trial["design"]}
    assert trial["treatments"][0]["text"] == "BCMA-CD19 cCAR T cells"
    for field in ("nct_id", "sponsor", "title", "phase"):
        s, e = trial[field]["span"]
        assert listing_text[s:e] == trial[field]["text"]


def test_sub_items_keep_their_parent(record: dict[str, Any]) -> None:
    by_id = {c["id"]: c for c in record["criteria"]}
    assert by_id["exc-11.1"]["parent"] == "exc-11"
    assert by_id["exc-11.1.2"]["parent"] == "exc-11.1"
    assert by_id["exc-11.1.2"]["text"] == "Oral high-dose glucocorticoids Hormones, such as prednisone >100mg/d"
    assert by_id["exc-11.2"]["text"].startswith("new immunosuppressive/immune modulators")


def test_contradictory_doses_are_both_kept_and_flagged(record: dict[str, Any]) -> None:
    doses = [
        (d["dose"]["comparator"], d["dose"]["value"])
        for c in record["criteria"]
        for d in c["drugs"]
        if d["name"] == "prednisone" and "dose" in d
    ]
    assert sorted(doses) == [(">", 100), (">=", 100)]
    assert any(w["code"] == "W002" and "prednisone" in w["message"] for w in record["warnings"])


def test_mdrd_formula_is_data(record: dict[str, Any]) -> None:
    (formula,) = [f for c in record["criteria"] for f in c["formulas"]]
    assert formula["name"] == "MDRD" and formula["coefficient"] == 186
    assert formula["terms"] == [{"variable": "creatinine", "exponent": -1.154}, {"variable": "age", "exponent": -0.203}]
    assert formula["adjustments"] == [{"condition": "female", "factor": 0.724}]
    assert any(w["code"] == "W003" and "0.742" in w["message"] for w in record["warnings"])


def test_bare_list_without_headers() -> None:
    record = extractor.extract("Age 18 years or older\nHemoglobin ≥ 9 g/dL\n")
    assert record["source"]["layout"] == "bare_list"
    assert [c["text"] for c in record["criteria"]] == ["Age 18 years or older", "Hemoglobin ≥ 9 g/dL"]


def test_bullets_and_numbering_are_stripped() -> None:
    text = "Inclusion Criteria:\n\n  * Age ≥ 18 years\n  2. ECOG 0-1\n\nExclusion Criteria:\n\n  - Pregnant women\n"
    record = extractor.extract(text)
    assert [(c["side"], c["text"]) for c in record["criteria"]] == [
        ("inclusion", "Age ≥ 18 years"),
        ("inclusion", "ECOG 0-1"),
        ("exclusion", "Pregnant women"),
    ]
    for c in record["criteria"]:
        assert text[c["span"][0] : c["span"][1]] == c["text"]


def test_a_stray_full_stop_before_an_item_is_a_marker() -> None:
    # NCT03905018: "* .Sign the inform consent form.", ". DM 1-2" (no bullet)
    text = "Inclusion Criteria:\n\n* Male patients\n* .Sign the inform consent form.\n\nExclusion Criteria:\n\n. DM 1-2\n\n* Active smoking\n"
    record = extractor.extract(text)
    assert [c["text"] for c in record["criteria"]] == [
        "Male patients",
        "Sign the inform consent form.",
        "DM 1-2",
        "Active smoking",
    ]


def test_nothing_silently_dropped(record: dict[str, Any]) -> None:
    # every criterion yields structure, and stretches no item covers are reported with offsets
    for c in record["criteria"]:
        assert c["entities"] or c["constraints"] or c["unparsed"], c["id"]
    unparsed = [u for c in record["criteria"] for u in c["unparsed"]]
    assert all(u["reason"] in {"uncovered", "no_structure"} for u in unparsed)


def test_criterion_without_structure_is_marked_unparsed() -> None:
    record = extractor.extract("Inclusion Criteria:\nWillingness to comply with frobnication\n")
    (crit,) = record["criteria"]
    assert crit["unparsed"] and crit["unparsed"][0]["reason"] in {"no_structure", "uncovered"}


def test_an_uncovered_stretch_keeps_its_decimal_numbers_whole() -> None:
    # "." and "," separate uncovered stretches, except as a decimal mark or thousands separator
    # ("diabetes" gives the criterion one extracted item, so its stretches are reported one by one)
    text = "Inclusion Criteria:\nFrobnication index of 6.2 zorks, or 1,500 blips. Willing to frobnicate with diabetes\n"
    (crit,) = extractor.extract(text)["criteria"]
    stretches = [u["text"] for u in crit["unparsed"]]
    assert "or 1,500 blips" in stretches, stretches
    for u in crit["unparsed"]:
        start, end = u["span"]
        assert text[start:end] == u["text"]
        # never cut inside a number: "500 blips" out of "1,500 blips"
        assert not (text[start - 1] in ".," and text[start - 2].isdigit() and text[start].isdigit()), u


def test_elliptic_coordination_names_each_member() -> None:
    record = extractor.extract("Exclusion Criteria:\nActive hepatitis B or C\n")
    (crit,) = record["criteria"]
    conditions = [(e["text"], e.get("normalized")) for e in crit["entities"] if e["type"] == "Condition"]
    assert conditions == [("hepatitis B", None), ("C", "hepatitis c")]
    # (the qualifier before them is a leaf of its own, as the golds have it: all(Active, any(B, C)))
    assert crit["logic"]["op"] == "all"
    (either,) = [a for a in crit["logic"]["args"] if a.get("op") == "any"]
    assert len(either["args"]) == 2


def test_chrome_inside_a_section_is_reported_not_dropped() -> None:
    record = extractor.extract("Inclusion Criteria:\nAge > 18 years\nYes No Not Sure\nHIV positive\n")
    assert [c["text"] for c in record["criteria"]] == ["Age > 18 years", "HIV positive"]
    assert [(u["text"], u["reason"]) for u in record["unparsed"]] == [("Yes No Not Sure", "unrecognised")]


def test_bullets_under_a_topic_label_are_its_sub_items_and_a_pdq_group_label_heads_its_group() -> None:
    # "Age:" is a topic its items need ("18 and over" is an age); "DISEASE CHARACTERISTICS:", a PDQ
    # listing's group label in capitals, is a criterion over the criteria under it, as the golds read
    # it, and a topic label over one bullet in it is one criterion headed by the label
    text = (
        "Inclusion Criteria:\n\nDISEASE CHARACTERISTICS:\n\n* Histologically confirmed adenocarcinoma\n"
        "* Gleason score ≤ 7\n\nAge:\n\n* 18 and over\n\n"
        "Exclusion Criteria:\n\n* Prior therapy:\n    * chemotherapy within 4 weeks\n* HIV positive\n"
    )
    record = extractor.extract(text)
    got = [(c["id"], c["parent"], c["text"].splitlines()[0]) for c in record["criteria"]]
    assert got == [
        ("inc-1", None, "DISEASE CHARACTERISTICS:"),
        ("inc-1.1", "inc-1", "Histologically confirmed adenocarcinoma"),
        ("inc-1.2", "inc-1", "Gleason score ≤ 7"),
        ("inc-1.3", "inc-1", "Age:"),
        ("exc-1", None, "Prior therapy:"),
        ("exc-1.1", "exc-1", "chemotherapy within 4 weeks"),
        ("exc-2", None, "HIV positive"),
    ]
    assert record["unparsed"] == []
    by_id = {c["id"]: c for c in record["criteria"]}
    assert by_id["inc-1"]["heading"]["text"] == "DISEASE CHARACTERISTICS" and by_id["inc-1"]["entities"] == []
    assert by_id["inc-1.2"]["constraints"][0]["value"] == 7
    assert by_id["inc-1.3"]["heading"]["text"] == "Age"
    assert (by_id["inc-1.3"]["constraints"][0]["measure"], by_id["inc-1.3"]["constraints"][0]["value"]) == ("age", 18)
    assert by_id["exc-1.1"]["windows"][0]["duration"] == "P4W"


def test_a_group_label_not_in_capitals_is_no_criterion() -> None:
    # "Demographic characteristics:" labels a group of whole criteria and states none itself (reported,
    # as a lead-in is; the golds read it so)
    text = "Inclusion Criteria:\n\nDemographic characteristics:\n\n1. Male or female\n2. Aged 18 or older\n"
    record = extractor.extract(text)
    assert [(c["id"], c["parent"]) for c in record["criteria"]] == [("inc-1", None), ("inc-2", None)]
    assert [(u["text"], u["reason"]) for u in record["unparsed"]] == [("Demographic characteristics:", "unrecognised")]


def test_an_actg_topic_heads_what_it_allows_or_excludes() -> None:
    # the legacy ACTG layout: a topic, what it says of the items ("Excluded:", or with a window of its
    # own, a group inside the topic), the items; a "Patients with the following ... excluded:" lead-in
    # after a topic's items starts the side's own list
    text = (
        "Exclusion Criteria\r\n\r\nConcurrent Medication:\r\n\r\nExcluded:\r\n\r\n  -  Zidovudine (AZT).\r\n\r\n"
        "Excluded within 1 hour before and 4 hours after study drug administration:\r\n\r\n"
        "  -  Antacids.\r\n\r\n  -  Benzodiazepines.\r\n\r\nPrior Treatment:\r\n\r\nExcluded:\r\n\r\n"
        "  -  Red blood cell transfusion within 4 weeks of study entry.\r\n\r\n"
        "Patients with the following are excluded:\r\n\r\n  -  Active opportunistic infection.\r\n"
    )
    record = extractor.extract(text)
    got = [
        (c["id"], c["parent"], c["text"].splitlines()[0], (c.get("heading") or {}).get("text"))
        for c in record["criteria"]
    ]
    assert got == [
        ("exc-1", None, "Concurrent Medication:", "Concurrent Medication"),
        ("exc-1.1", "exc-1", "Zidovudine (AZT).", None),
        ("exc-1.2", "exc-1", "Excluded within 1 hour before and 4 hours after study drug administration:", None),
        ("exc-1.2.1", "exc-1.2", "Antacids.", None),
        ("exc-1.2.2", "exc-1.2", "Benzodiazepines.", None),
        ("exc-2", None, "Prior Treatment:", "Prior Treatment"),
        ("exc-2.1", "exc-2", "Red blood cell transfusion within 4 weeks of study entry.", None),
        ("exc-3", None, "Active opportunistic infection.", None),
    ]
    assert [u["text"] for u in record["unparsed"]] == ["Patients with the following are excluded:"]
    # the topic and what it announces name no mention of their own
    assert record["criteria"][0]["entities"] == []


def _wrap_at(paragraph: str, indent: str, width: int = 88) -> str:
    """``paragraph`` greedily wrapped at ``width`` columns, each line indented by ``indent``, CRLF ends."""
    lines, line = [], indent
    for word in paragraph.split(" "):
        if line.strip() and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = indent + word
        else:
            line = f"{line} {word}" if line.strip() else indent + word
    return "\r\n".join([*lines, line])


def test_outline_numbers_are_bullets_and_a_paragraph_under_one_wraps_back_to_it() -> None:
    # legacy XML: the block's first line lost its indent ("1." at column 0, "  2." at column 2); "1.1"
    # items hard-wrapped back to the number's column; a wrapped line starting with a decimal is text
    first = (
        "1.1 Patients with operable, histologically confirmed adenocarcinoma of the female breast and "
        "positive lymph nodes. Node positivity may be determined by either an axillary node dissection or "
        "a sentinel node finding, with an average of at least 0.67 Gd-enhancing lesions per scan in the "
        "three scans done before entry."
    )
    second = (
        "1.2 Tumors that are locally advanced at diagnosis are not eligible. This is left to investigator "
        "judgment in every case."
    )
    text = "\r\n\r\n".join(
        [
            "1. Required Tumor Parameters",
            _wrap_at(first, "     "),
            _wrap_at(second, "     "),
            "  2. Prior treatment:",
            "     2.1 No prior chemotherapy.",
        ]
    )
    assert "\r\n     0.67 Gd-enhancing" in text  # (the case the test is about)
    record = extractor.extract(text + "\r\n")
    got = [(c["id"], c["parent"], c["text"][:30]) for c in record["criteria"]]
    assert got == [
        ("inc-1", None, "Required Tumor Parameters\r\n\r\n "),
        ("inc-1.1", "inc-1", "Patients with operable, histol"),
        ("inc-1.2", "inc-1", "Tumors that are locally advanc"),
        ("inc-2", None, "Prior treatment:\r\n\r\n     2.1 N"),
        ("inc-2.1", "inc-2", "No prior chemotherapy."),
    ]
    assert record["criteria"][1]["text"].endswith("three scans done before entry.")


@pytest.mark.parametrize(
    "text",
    [
        "Laboratory values meeting the following criteria: (a) Hematology: WBC count <= 30 x 10^9/L; "
        "(b) Chemistry: AST <= 2.5 x ULN",
        "Criteria related to transplant: a. Willing to undergo transplant; b. Has evidence of graft versus "
        "host disease",
        # numbers glued to their item, the list's line breaks lost (NCT06543628)
        "Participants will be recruited based on the following inclusion criteria:1.Age between 21-65 years; "
        "2.IIEF-5 score ≤ 21;",
        # capital letters, the list run on in one item (NCT04594850)
        "Those with the following medical history A. Gentamicin hypersensitivity reaction B. Stroke",
    ],
)
def test_lettered_items_inside_a_criterion_are_its_sub_items(text: str) -> None:
    record = extractor.extract(f"Inclusion Criteria:\n\n* {text}\n* ECOG 0-2\n")
    assert [(c["id"], c["parent"]) for c in record["criteria"]] == [
        ("inc-1", None),
        ("inc-1.1", "inc-1"),
        ("inc-1.2", "inc-1"),
        ("inc-2", None),
    ]


def test_text_before_the_first_header_is_read_as_inclusion_criteria() -> None:
    # NCT05397184 lists its inclusion criteria under labels the header pattern does not know; before,
    # everything above "Exclusion Criteria:" was dropped unread
    text = (
        "Demographic characteristics:\n\n1. Male or female patients\n2. Age between 6 months and <16 years\n\n"
        "Medical and therapeutic criteria:\n\n1. Estimated life expectancy ≥12 weeks\n\n"
        "Exclusion Criteria:\n\n1. Weight <6 kg\n"
    )
    record = extractor.extract(text)
    assert [(s["side"], s["header"] is None) for s in record["sections"]] == [("inclusion", True), ("exclusion", False)]
    got = [(c["id"], c["parent"], c["text"]) for c in record["criteria"]]
    assert got == [
        ("inc-1", None, "Male or female patients"),
        ("inc-2", None, "Age between 6 months and <16 years"),
        ("inc-3", None, "Estimated life expectancy ≥12 weeks"),
        ("exc-1", None, "Weight <6 kg"),
    ]
    assert [u["text"] for u in record["unparsed"]] == [
        "Demographic characteristics:",
        "Medical and therapeutic criteria:",
    ]


@pytest.mark.parametrize(
    ("line", "side"),
    [
        ("-  INCLUSION/EXCLUSION CRITERIA:", "inclusion"),
        ("INCLUSION CRITERIA FOR HEALTHY CONTROLS:", "inclusion"),
        ("-  INCLUSION CRITERIA - DEPRESSED WOMEN:", "inclusion"),
        ("Exclusion criteria for control participants:", "exclusion"),
        # a word before the side says which criteria these are (NCT04594850's randomisation criteria)
        ("Random Inclusion Criteria:", "inclusion"),
        ("Additional Exclusion Criteria:", "exclusion"),
    ],
)
def test_a_header_may_name_the_group_it_is_for(line: str, side: str) -> None:
    text = f"Inclusion Criteria:\n* Age > 18 years\n{line}\n* HIV positive\n"
    record = extractor.extract(text)
    assert [s["side"] for s in record["sections"]] == ["inclusion", side]
    start, end = record["sections"][1]["header"]
    assert text[start:end] == line.lstrip("- ").rstrip(":")  # a bullet before a header is no part of it
    assert [c["text"] for c in record["criteria"]] == ["Age > 18 years", "HIV positive"]


def test_a_rationale_clause_states_no_condition(record: dict[str, Any]) -> None:
    crit = next(c for c in record["criteria"] if c["id"] == "inc-9")
    texts = {x["id"]: x["text"] for key in ("entities", "constraints", "windows") for x in crit[key]}

    def leaves(node: dict[str, Any]) -> list[str]:
        return [node["ref"]] if "ref" in node else [r for a in node["args"] for r in leaves(a)]

    used = {texts[r] for r in leaves(crit["logic"])}
    assert "fetus" not in used and "CAR T cell therapy" not in used
    assert "48 hours before CAR T cell reinfusion" in used


def test_items_never_point_across_sub_items(listing_text: str) -> None:
    text = (
        "Inclusion Criteria:\n\nOrgan function:\n\n  -  Creatinine < 2.5 times upper limit of normal (ULN)\n\n"
        "  -  Liver function tests < 1.5 times ULN\n"
    )
    record = extractor.extract(text)  # validates: every subject is a mention of the same criterion
    by_id = {c["id"]: c for c in record["criteria"]}
    assert [k["measure"] for k in by_id["inc-1.1"]["constraints"]] == ["creatinine"]
    assert [k["measure"] for k in by_id["inc-1.2"]["constraints"]] == ["liver function tests"]


def test_run_on_label_paragraphs_are_split_into_labelled_sub_items() -> None:
    text = (
        "PATIENT CHARACTERISTICS: Age: 18 and over Performance Status: ECOG 0-2 Life Expectancy: Not\r\n"
        "specified Hepatic: Bilirubin no greater than 3.0 mg/dL\r\n\r\n"
        "PRIOR CONCURRENT THERAPY: Biologic therapy: Not specified Chemotherapy: No prior\r\n"
        "chemotherapy within 1 month of study Surgery: Not specified\r\n"
    )
    record = extractor.extract(text)
    headings = [c["heading"]["text"] for c in record["criteria"] if c["parent"] and "heading" in c]
    assert headings == [
        "Age",
        "Performance Status",
        "Life Expectancy",
        "Hepatic",
        "Biologic therapy",
        "Chemotherapy",
        "Surgery",
    ]
    by_heading = {c["heading"]["text"]: c for c in record["criteria"] if "heading" in c}
    assert by_heading["Age"]["constraints"][0]["measure"] == "age"
    assert by_heading["Hepatic"]["constraints"][0]["comparator"] == "<="
    assert by_heading["Chemotherapy"]["windows"][0]["duration"] == "P1M"


def test_inline_topic_markers_start_criteria_headed_by_their_topic() -> None:
    # an old NIH listing: topics between double dashes inside paragraphs hard-wrapped at 90 columns,
    # group labels after them; each topic is a top-level criterion, each group label its sub-item
    paragraph = (
        "--Disease Characteristics-- Healthy term infants or infants at high epidemiologic risk for SIDS "
        "--Prior/Concurrent Therapy-- All study groups: No home treatment with supplemental oxygen "
        "Healthy term infants: No prior medications --Patient Characteristics-- All study groups: No "
        "concurrent pneumonia No history of congenital heart disease Preterm infants: Birth weight less "
        "than 1750 g Gestational age no greater than 34 weeks"
    )
    text = "PROTOCOL ENTRY CRITERIA:\r\n\r\n" + "\r\n".join(textwrap.wrap(paragraph, 90)) + "\r\n"
    record = extractor.extract(text)
    tops = [c for c in record["criteria"] if c["parent"] is None]
    assert [c["heading"]["text"] for c in tops] == [
        "Disease Characteristics",
        "Prior/Concurrent Therapy",
        "Patient Characteristics",
    ]
    assert tops[0]["text"].startswith("--Disease Characteristics--")  # no list bullet
    labelled = [" ".join(c["heading"]["text"].split()) for c in record["criteria"] if c["parent"] and "heading" in c]
    assert labelled == ["All study groups", "Healthy term infants", "All study groups", "Preterm infants"]
    assert "No history of congenital heart disease" in [c["text"] for c in record["criteria"]]


def test_a_topic_marker_alone_on_its_line_heads_its_group() -> None:
    # as an inline one heads the criteria after it ("--Patients Characteristics-- Age: ...")
    text = "--Patient Characteristics--\r\n\r\n  -  Age 18 and over\r\n\r\n  -  No pregnancy\r\n"
    record = extractor.extract(text)
    assert [(c["id"], c["text"].splitlines()[0]) for c in record["criteria"]] == [
        ("inc-1", "--Patient Characteristics--"),
        ("inc-1.1", "Age 18 and over"),
        ("inc-1.2", "No pregnancy"),
    ]
    assert record["criteria"][0]["heading"]["text"] == "Patient Characteristics"
    assert record["unparsed"] == []


def test_a_long_criterion_is_read_in_pieces_cut_where_a_clause_starts_never_at_a_wrapped_line() -> None:
    # the pipeline reads a criterion longer than its piece size in pieces: a cut never falls at a line
    # break hard wrapping made ("Weight greater than\r\n1750 g"), and falls where a criterion starts
    # where one does
    text = "a" * 700 + "\n" + "b" * 700 + "\r\n" + "c" * 400
    soft = [(1401, 1403)]
    assert [b for _, b in chunks(text, 1500)][0] == 1403
    assert [b for _, b in chunks(text, 1500, soft)][0] == 701
    assert [b for _, b in chunks(text, 1500, soft, [1000])][0] == 1000


def test_a_threshold_across_a_wrapped_line_of_a_long_criterion_is_read() -> None:
    path = Path(__file__).parents[1] / "corpus" / "NCT00004392" / "criteria.txt"
    with path.open(encoding="utf-8", newline="") as f:
        record = extractor.extract(f.read())
    (weight,) = [c for c in record["criteria"] if c["text"] == "Weight greater than\r\n1750 g"]
    assert [(k["comparator"], k["value"], k["unit"]) for k in weight["constraints"]] == [(">", 1750, "g")]


@pytest.mark.parametrize(
    ("side", "line"),
    [
        (
            "Inclusion",
            "Subjects who meet each of the following inclusion criteria are eligible to participate in this study:",
        ),
        (
            "Exclusion",
            "Patients who meet any of the following exclusion criteria are not to be enrolled in this study:",
        ),
        (
            "Exclusion",
            "Patients who meet any of the following criteria will be excluded from participation in the study:",
        ),
    ],
)
def test_a_sentence_saying_who_meets_the_list_is_a_lead_in(side: str, line: str) -> None:
    record = extractor.extract(f"{side} Criteria:\n\n{line}\n\n1. Age 18 or older\n2. ECOG 0-1\n")
    assert [u["text"] for u in record["unparsed"]] == [line]
    assert [(c["text"], c["parent"]) for c in record["criteria"]] == [("Age 18 or older", None), ("ECOG 0-1", None)]


@pytest.mark.parametrize(
    "line",
    [
        "Patients who meet any of the following exclusion criteria are not to be enrolled in this study:",
        "Patients who meet any of the following criteria will be excluded from participation in the study:",
    ],
)
def test_an_exclusion_lead_in_under_the_inclusion_header_keeps_its_items_apart(line: str) -> None:
    # (read as a section lead-in, its items would be inclusion criteria each required: the sentence
    # says that none of them may hold)
    record = extractor.extract(f"Inclusion Criteria:\n\n{line}\n\n1. Age 18 or older\n2. ECOG 0-1\n")
    assert record["unparsed"] == []
    parent, *items = record["criteria"]
    assert parent["text"].startswith(line) and parent["sub_items"]["op"] == "none"
    assert [(c["text"], c["parent"]) for c in items] == [("Age 18 or older", "inc-1"), ("ECOG 0-1", "inc-1")]


@pytest.mark.parametrize(
    ("text", "parents"),
    [
        # a Markdown list nested under an item that ends with a full stop
        (
            "Inclusion Criteria:\n\n* Adequate organ function.\n\n  * Available to provide the tissue\n* Agreed to re-biopsy\n",
            [None, "inc-1", None],
        ),
        # a legacy listing's sub-bullets under a bullet (its group label in capitals heads the group)
        (
            "DISEASE CHARACTERISTICS:\r\n\r\n  -  Histologically confirmed advanced cancer\r\n\r\n       -  Clinical Stage"
            " IV\r\n\r\n  -  Agreed to re-biopsy\r\n",
            [None, "inc-1", "inc-1.1", "inc-1"],
        ),
    ],
)
def test_a_bulleted_line_indented_deeper_under_a_bulleted_one_is_its_sub_item(
    text: str, parents: list[str | None]
) -> None:
    record = extractor.extract(text)
    assert [c["parent"] for c in record["criteria"]] == parents


def test_bullets_under_a_wrapped_paragraph_whose_last_line_announces_them_are_its_sub_items() -> None:
    # NCT00001582: "Be a known or potential carrier ... disease.\r\nSpecific disorders may include but are
    # not limited to:" is one hard-wrapped paragraph; the bullets after it are its examples
    text = (Path(__file__).parent.parent / "corpus" / "NCT00001582" / "criteria.txt").read_text(encoding="utf-8")
    record = extractor.extract(text)
    by_id = {c["id"]: c for c in record["criteria"]}
    (parent,) = [c for c in record["criteria"] if "Specific disorders may include" in c["text"] and not c["parent"]]
    assert parent["text"].startswith("Be a known or potential carrier")
    children = [c["text"] for c in record["criteria"] if c["parent"] == parent["id"]]
    assert children[0] == "X-linked (severe combined immunodeficiency)" and children[-1] == "Infection with HTLV-1"
    assert len(children) == 8 and by_id[parent["id"]]["sub_items"]["op"] == "any"


def test_a_pdq_topic_label_without_its_colon_heads_markdown_bullets_at_its_own_indent() -> None:
    # NCT00084552 (API v2): "Age\n\n* Not specified", the label's colon lost and its bullets not indented
    text = (
        "PATIENT CHARACTERISTICS:\n\nAge\n\n* Not specified\n\nPerformance status\n\n* Zubrod 0-1\n\n"
        "Other\n\n* Fertile patients must use effective contraception\n* No other active malignancy\n"
    )
    found = [(c["id"], (c.get("heading") or {}).get("text")) for c in extractor.extract(text)["criteria"]]
    assert found == [
        ("inc-1", "PATIENT CHARACTERISTICS"),
        ("inc-1.1", "Age"),
        ("inc-1.2", "Performance status"),
        ("inc-1.3", "Other"),
        ("inc-1.3.1", None),
        ("inc-1.3.2", None),
    ]


def test_a_label_line_names_what_its_bullets_measure() -> None:
    text = "Inclusion Criteria:\nAge:\n  - 18 and over\nLife expectancy:\n  - At least 2 months\n"
    record = extractor.extract(text)
    by_id = {c["id"]: c for c in record["criteria"]}
    (age,) = by_id["inc-1.1"]["constraints"]
    assert (age["measure"], age["comparator"], age["value"], age["ucum"], age["canonical"]) == (
        "age",
        ">=",
        18,
        "a",
        {"value": 18.0, "unit": "a"},
    )
    (survival,) = by_id["inc-2.1"]["constraints"]
    assert (survival["measure"], survival["ucum"]) == ("life expectancy", "mo")


def test_a_label_line_naming_people_names_no_measure() -> None:
    text = "Inclusion Criteria:\nWomen may be eligible if they:\n  - Are 14 to 34 weeks pregnant.\n"
    (weeks,) = [k for c in extractor.extract(text)["criteria"] for k in c["constraints"]]
    assert "measure" not in weeks and weeks["ucum"] == "wk"


def test_line_pattern_lists_read_as_each_of_their_patterns() -> None:
    # the anchored patterns of a list are searched as one alternation: a line must be chrome (or end a
    # section) exactly when one of the listed patterns, searched on its own, finds it
    import re

    from extractor.layout import Line, _config, _is_section_end, is_chrome

    cfg = _config()
    lines = [
        *CHROME,
        "Step 2",
        "step 2x",
        "Study Locations",
        "contacts and locations",
        "a passcode here",
        "x learn more",
    ]
    lines += ["Yes No Not Sure.", "  Learn more  ", "LEARN MORE", "Reply by Monday", "replying", "primary contact", ""]
    for line in lines:
        want_chrome = any(re.search(p, line.strip(), re.IGNORECASE) for p in cfg["chrome_lines"])
        want_end = any(re.search(p, line, re.IGNORECASE) for p in cfg["section_end_lines"])
        assert is_chrome(line) == want_chrome, line
        assert _is_section_end(Line(0, len(line), line)) == want_end, line


@pytest.mark.parametrize(
    ("text", "conditional"),
    [
        # what the people named must have: not such a person, or the rest holds
        ("Women of childbearing potential must have a negative pregnancy test within 7 days before enrollment", True),
        # ... also where what they must do is one item, and so no tree of its own
        ("Fertile patients must use effective contraception", True),
        # ... and on what qualifies them, which is part of the condition
        ("Men with reproductive potential must use effective contraception", True),
        # the first people named must do nothing themselves, or a leaf sits in the condition: left as it is
        ("Men and women must be older than 18 years and have an ECOG performance status of 0-1", False),
        ("Women who are breastfeeding must stop breastfeeding and use contraception", False),
        ("Negative pregnancy test within 7 days before enrollment", False),
        # every participant is no subgroup
        ("Patients must have measurable disease and an ECOG performance status of 0-1", False),
    ],
)
def test_a_requirement_on_the_people_named_is_a_condition_on_them(text: str, conditional: bool) -> None:
    (crit,) = extractor.extract("Inclusion Criteria:\n" + text + "\n")["criteria"]
    logic = crit["logic"]
    people = [e["id"] for e in crit["entities"] if e["type"] == "Person"]
    condition = logic["args"][0]["args"][0] if logic and logic.get("op") == "any" and "args" in logic["args"][0] else {}
    is_conditional = (
        logic is not None
        and logic.get("op") == "any"
        and logic["args"][0].get("op") == "not"
        and (condition == {"ref": people[0]} or condition.get("args", [None])[0] == {"ref": people[0]})
        and len(logic["args"]) == 2
    )
    assert is_conditional == conditional, logic


def _tree(node: dict, names: dict[str, str]) -> str:
    if "ref" in node:
        return names[node["ref"]]
    return node["op"] + "(" + ", ".join(_tree(a, names) for a in node["args"]) + ")"


@pytest.mark.parametrize(
    ("side", "text", "tree"),
    [
        # how long ago the patient's own event must be: never having had it meets it too
        (
            "Inclusion",
            "At least 4 weeks since prior chemotherapy",
            "any(not(chemotherapy), all(W, chemotherapy))",
        ),
        (
            "Inclusion",
            "At least 6 weeks since mitomycin or nitrosoureas",
            "any(not(any(mitomycin, nitrosoureas)), all(any(mitomycin, nitrosoureas), W))",
        ),
        ("Inclusion", "More than 2 weeks since prior major surgery", "any(not(major surgery), all(W, major surgery))"),
        # ... and for what a bracket names with its own duration, the same reading
        (
            "Inclusion",
            "At least 4 weeks since prior chemotherapy (6 weeks for nitrosoureas or mitomycin C) and recovered",
            # ("and recovered" joins by its own "and", not by the bracket's "or")
            "all(any(not(chemotherapy), all(W, chemotherapy, recovered)),"
            " any(not(any(nitrosoureas, mitomycin)), all(any(nitrosoureas, mitomycin), W)))",
        ),
        # a recent event is asked for, not excused
        ("Exclusion", "Less than 4 weeks since prior chemotherapy", "all(W, chemotherapy)"),
        ("Inclusion", "No more than 8 weeks since prior lumpectomy", "all(W, lumpectomy)"),
        # "post" says who the patients are: the event itself is asked for
        ("Inclusion", "Be at least six weeks post prostatectomy", "all(W, prostatectomy)"),
    ],
)
def test_a_time_since_the_patients_own_event_excuses_never_having_had_it(side: str, text: str, tree: str) -> None:
    (crit,) = extractor.extract(f"{side} Criteria:\n" + text + "\n")["criteria"]
    names = {e["id"]: e["text"] for e in crit["entities"]} | {w["id"]: "W" for w in crit["windows"]}
    assert crit["logic"] is not None
    assert _tree(crit["logic"], names) == tree


@pytest.mark.parametrize(
    ("side", "text", "tree"),
    [
        # a criterion that opens on a condition: not the condition, or what it requires
        (
            "Inclusion",
            "If received prior radiotherapy, must have progressive disease",
            "any(not(radiotherapy), progressive disease)",
        ),
        (
            "Inclusion",
            "If prior cardiac disease, left ventricular ejection fraction must be at least 50% by echocardiogram",
            # (the method is a procedure required with the threshold, as the golds read it)
            "any(not(cardiac disease), all(at least 50%, echocardiogram))",
        ),
        # the condition up to whom the requirement is for, no comma written (NCT04434352)
        (
            "Inclusion",
            "If on PDE5i patient will discontinue medication for 2 weeks before baseline IIEF.",
            "any(not(PDE5i), all(medication, W, IIEF))",
        ),
        # a condition on the people named, already read as one, is not read twice
        ("Inclusion", "If female, must not be pregnant", "any(not(female), pregnant)"),
    ],
)
def test_a_condition_that_opens_a_criterion_is_a_condition_on_the_rest(side: str, text: str, tree: str) -> None:
    (crit,) = extractor.extract(f"{side} Criteria:\n" + text + "\n")["criteria"]
    names = {e["id"]: e["text"] for e in crit["entities"]} | {c["id"]: c["text"] for c in crit["constraints"]}
    assert _tree(crit["logic"], names | {w["id"]: "W" for w in crit["windows"]}) == tree


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        # an inclusion criterion that names whom it keeps out: not what it names, its list read as an
        # exclusion reads it (either state keeps out)
        ("Pregnant women and nursing mothers are ineligible.", "not(any(Pregnant, nursing))"),
        (
            "Prior chemotherapy or radiation therapy will make a patient ineligible.",
            "not(any(chemotherapy, radiation therapy))",
        ),
        ("Patients with known CNS metastases are not eligible.", "not(all(known, CNS metastases))"),
        # being ineligible for something is what the criterion asks
        ("Ineligible for higher priority GOG protocol", None),
    ],
)
def test_an_inclusion_criterion_naming_whom_it_keeps_out_is_negated(text: str, tree: str | None) -> None:
    (crit,) = extractor.extract("Inclusion Criteria:\n" + text + "\n")["criteria"]
    names = {e["id"]: e["text"] for e in crit["entities"]}
    assert (_tree(crit["logic"], names) if crit["logic"] else None) == tree


def test_a_measures_merged_short_form_is_no_leaf_beside_its_limit() -> None:
    # "SGOT (AST)": the short form is the measure the limit bounds, no leaf of its own
    (crit,) = extractor.extract("Inclusion Criteria:\nSGOT (AST) and SGPT (ALT) less than 2.5 times ULN\n")["criteria"]
    assert crit["logic"] == {"op": "all", "args": [{"ref": c["id"]} for c in crit["constraints"]]}
    assert len(crit["constraints"]) == 2


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        # what an inclusion criterion allows on a condition need not be there; where it is, the
        # condition holds
        (
            "Systemic chemotherapy allowed after pleurodesis",
            "any(not(Systemic chemotherapy), all(Systemic chemotherapy, pleurodesis))",
        ),
        (
            "Prior hormonal therapy allowed and recovered",
            "any(not(hormonal therapy), all(hormonal therapy, recovered))",
        ),
        # an allowance in brackets, or one with no condition, asks nothing of the criterion's tree
        ("Hemoglobin at least 9 g/dL (transfusion allowed)", None),
        ("Prior surgery allowed", None),
    ],
)
def test_what_an_inclusion_criterion_allows_on_a_condition_need_not_be_there(text: str, tree: str | None) -> None:
    (crit,) = extractor.extract("Inclusion Criteria:\n" + text + "\n")["criteria"]
    names = {e["id"]: e["text"] for e in crit["entities"]} | {w["id"]: "W" for w in crit["windows"]}
    names |= {c["id"]: c["text"] for c in crit["constraints"]}
    assert (_tree(crit["logic"], names) if crit["logic"] else None) == tree


@pytest.mark.parametrize(
    ("side", "text", "tree"),
    [
        # a condition joined by a bare "and"/"or" to a threshold's phrase is a leaf of its own ...
        ("Exclusion", "Hypertension and creatinine < 2 mg/dL", "all(Hypertension, < 2 mg/dL)"),
        ("Exclusion", "Diabetes or HbA1c > 7%", "any(Diabetes, > 7%)"),
        # ... and so are a condition, a drug or a person anywhere in the phrase
        ("Exclusion", "Moderate or severe ED based in IIEF criteria (score < 21)", "all(ED, < 21)"),
        ("Inclusion", "Male or female outpatients 18 to 60 years of age", "all(any(Male, female), 18 to 60 years)"),
        (
            "Inclusion",
            "Type 2 diabetes with HbA1c between 7% and 10% on stable metformin",
            "all(Type 2 diabetes, 7% and 10%, metformin)",
        ),
        # ... while a method or a setting in the phrase qualifies the threshold
        ("Inclusion", "Creatinine clearance by Cockcroft-Gault >= 60 mL/min", None),
    ],
)
def test_a_concept_beside_a_thresholds_phrase_is_a_leaf(side: str, text: str, tree: str | None) -> None:
    (crit,) = extractor.extract(f"{side} Criteria:\n" + text + "\n")["criteria"]
    names = {e["id"]: e["text"] for e in crit["entities"]} | {c["id"]: c["text"] for c in crit["constraints"]}
    assert (_tree(crit["logic"], names) if crit["logic"] else None) == tree


@pytest.mark.parametrize(
    ("side", "text", "tree"),
    [
        # an exception led by "unless": on the inclusion side what is required, or the exception ...
        ("Inclusion", "Serum creatinine <= 1.5 mg/dL unless due to tumor", "any(<= 1.5 mg/dL, tumor)"),
        # ... on the exclusion side what excludes, and not the exception
        ("Exclusion", "Karnofsky score less than 60, unless due solely to myeloma", "all(less than 60, not(myeloma))"),
        # what follows the exception's clause stays outside it
        (
            "Inclusion",
            "Bilirubin <= 1.5 mg/dL (unless Gilbert's syndrome) and creatinine <= 2.0 mg/dL",
            "all(any(<= 1.5 mg/dL, Gilbert's syndrome), <= 2.0 mg/dL)",
        ),
        # a permission the exception takes back is left as it is
        ("Inclusion", "Prior carcinoma in situ allowed unless treated with radiation", None),
    ],
)
def test_an_exception_led_by_unless(side: str, text: str, tree: str | None) -> None:
    (crit,) = extractor.extract(f"{side} Criteria:\n" + text + "\n")["criteria"]
    names = {e["id"]: e["text"] for e in crit["entities"]} | {c["id"]: c["text"] for c in crit["constraints"]}
    found = _tree(crit["logic"], names) if crit["logic"] else None
    if tree is None:
        assert found is None or "not(" not in found and not found.startswith("any(carcinoma"), found
    else:
        assert found == tree


@pytest.mark.parametrize(
    ("text", "op"),
    [
        # limits on one measure that no value meets at once: the two ways out of a range
        ("Systolic pressure > 160 mm Hg and < 100 mmHg", "any"),
        ("Blood glucose < 70 and > 200 mg/dL", "any"),
        # limits that leave room between them, or on two measures, all hold
        ("AST > 3 x ULN and ALT > 3 x ULN", "all"),
        ("Systolic pressure > 100 mmHg and diastolic pressure < 60 mmHg", "all"),
    ],
)
def test_limits_no_value_meets_at_once_are_alternatives(text: str, op: str) -> None:
    (crit,) = extractor.extract("Exclusion Criteria:\n" + text + "\n")["criteria"]
    assert crit["logic"] is not None and crit["logic"]["op"] == op, crit["logic"]


def test_limits_no_value_meets_at_once_stay_alternatives_beside_a_window() -> None:
    text = "Finger tip blood glucose < 70 and > 200mg/dL at the time of examination;"
    (crit,) = extractor.extract("Exclusion Criteria:\n" + text + "\n")["criteria"]
    names = {e["id"]: e["text"] for e in crit["entities"]} | {c["id"]: c["text"] for c in crit["constraints"]}
    names |= {w["id"]: w["text"] for w in crit["windows"]}
    assert _tree(crit["logic"], names) == "all(any(< 70, > 200mg/dL), at the time of examination)"


@pytest.mark.parametrize(
    ("side", "text", "op"),
    [
        # a serial list of single mentions is one list, read by the side like its commas
        ("Exclusion", "History of erectile dysfunction, priapism and Peyronie disease", "any"),
        ("Exclusion", "Hypertension, diabetes, and asthma", "any"),
        ("Inclusion", "Hypertension, diabetes and asthma", "all"),
        ("Exclusion", "Epilepsy, psychosis, or dementia", "any"),
        # an "or" list is any of them on either side
        ("Inclusion", "Epilepsy, psychosis, or dementia", "any"),
        ("Inclusion", "Epilepsy, psychosis or dementia", "any"),
    ],
)
def test_a_serial_list_is_one_list(side: str, text: str, op: str) -> None:
    (crit,) = extractor.extract(f"{side} Criteria:\n{text}\n")["criteria"]
    leaves = [{"ref": e["id"]} for e in crit["entities"] if e["type"] == "Condition"]
    assert len(leaves) == 3
    assert crit["logic"] == {"op": op, "args": leaves}


def test_an_or_list_needs_bare_commas() -> None:
    # ("due either to" relates the first mention to the others: no list of three)
    (crit,) = extractor.extract("Inclusion Criteria:\nNeutropenia, due either to zidovudine or HIV infection\n")[
        "criteria"
    ]
    names = {e["id"]: e["text"] for e in crit["entities"]}
    assert _tree(crit["logic"], names) == "all(Neutropenia, any(zidovudine, HIV infection))"


@pytest.mark.parametrize(
    "text",
    [
        "At least 12 hours since prior diuretics, mannitol, or\n     dopamine",
        "At least 4 weeks since prior chemotherapy, radiotherapy, or surgery",
    ],
)
def test_a_window_since_a_listed_event_times_the_whole_list(text: str) -> None:
    (crit,) = extractor.extract(f"Inclusion Criteria:\n  -  {text}\n")["criteria"]
    names = {e["id"]: e["text"] for e in crit["entities"]} | {w["id"]: "W" for w in crit["windows"]}
    a, b, c = (e["text"] for e in crit["entities"] if e["type"] != "Temporal")
    assert _tree(crit["logic"], names) == f"any(not(any({a}, {b}, {c})), all(any({a}, {b}, {c}), W))"


def _leaf_texts(crit: dict[str, Any]) -> list[str]:
    texts = {e["id"]: e["text"] for e in crit["entities"]}

    def walk(node: dict[str, Any] | None) -> list[str]:
        if node is None:
            return []
        return [texts[node["ref"]]] if "ref" in node else [t for a in node["args"] for t in walk(a)]

    return walk(crit["logic"])


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        # what an allergy or a contraindication is to is a leaf held with it, any of what is listed with it
        # (the qualifier "Known" is a leaf of its own)
        (
            "Known allergy or intolerance to study medications",
            ("all", ["Known", ("any", ["allergy", "intolerance"]), "study medications"]),
        ),
        (
            "Allergy to penicillin, amoxicillin or cephalosporins; asthma",
            ("any", [("all", ["Allergy", ("any", ["penicillin", "amoxicillin", "cephalosporins"])]), "asthma"]),
        ),
        ("Contraindication to MRI", ("all", ["Contraindication", "MRI"])),
        # examples of the object are no leaves of their own
        (
            "Known hypersensitivity to PDE-5 inhibitors, such as Viagra, Levitra or Cialis; asthma",
            ("any", [("all", ["Known", "hypersensitivity", "PDE-5 inhibitors"]), "asthma"]),
        ),
        # a mention of another type after the object is a criterion of its own
        ("Allergy to penicillin, diabetes", ("any", [("all", ["Allergy", "penicillin"]), "diabetes"])),
    ],
)
def test_the_object_of_an_allergy_is_held_with_it(text: str, shape: Any) -> None:
    (crit,) = extractor.extract(f"Exclusion Criteria:\n{text}\n")["criteria"]
    assert _shape(crit) == shape


def test_what_no_contraindication_is_to_is_no_leaf() -> None:
    # where none is allowed, what a contraindication is to only says which
    text = "Inclusion Criteria:\nGood venous access and no contraindications to blood collection\n"
    (crit,) = extractor.extract(text)["criteria"]
    assert _shape(crit) == ("all", ["Good venous access", "contraindications"])


@pytest.mark.parametrize(
    ("text", "leaves"),
    [
        # every example listed after "such as"/"including" is an example of the mention before it, not
        # only the first; what comes after the list is a leaf again
        (
            "Active infection including hepatitis B, hepatitis C, and HIV; or uncontrolled hypertension",
            ["Active infection", "uncontrolled hypertension"],
        ),
        ("Neurological disease such as dementia or neuropathy, or asthma", ["Neurological disease", "asthma"]),
    ],
)
def test_listed_examples_are_no_logic_leaves(text: str, leaves: list[str]) -> None:
    (crit,) = extractor.extract(f"Exclusion Criteria:\n{text}\n")["criteria"]
    assert _leaf_texts(crit) == leaves


def _shape(crit: dict[str, Any]) -> Any:
    texts = {i["id"]: i["text"] for key in ("entities", "windows", "constraints") for i in crit[key]}

    def walk(node: dict[str, Any]) -> Any:
        return texts[node["ref"]] if "ref" in node else (node["op"], [walk(a) for a in node["args"]])

    return walk(crit["logic"])


@pytest.mark.parametrize(
    ("side", "text", "shape"),
    [
        # an exception holds with what it excepts from (its mention is negated): all, in an exclusion too
        (
            "Exclusion",
            "Subjects who take anticoagulants, except for antiplatelet agents",
            ("all", ["anticoagulants", "antiplatelet agents"]),
        ),
        # ... and a bracket it opens is no list of examples
        (
            "Exclusion",
            "History of malignancy within the past 5 years (other than basal cell carcinoma)",
            ("all", ["malignancy", "within the past 5 years", "basal cell carcinoma"]),
        ),
        # after a window, the connector written before the next mention joins them (an inclusion
        # criterion's bare default would be all)
        (
            "Inclusion",
            "Prior chemotherapy within 4 weeks or radiotherapy",
            ("any", [("all", ["chemotherapy", "within 4 weeks"]), "radiotherapy"]),
        ),
    ],
)
def test_exceptions_and_mentions_after_a_window_join_as_written(side: str, text: str, shape: Any) -> None:
    (crit,) = extractor.extract(f"{side} Criteria:\n{text}\n")["criteria"]
    assert _shape(crit) == shape


@pytest.mark.parametrize(
    ("side", "text", "shape"),
    [
        # a participant is pregnant or lactating, seldom both: an exclusion of "pregnant and lactating
        # women" excludes either ...
        ("Exclusion", "Pregnant and lactating women", ("any", ["Pregnant", "lactating"])),
        # ... while an inclusion criterion asks for every state it names
        ("Inclusion", "Not pregnant and not lactating", ("all", ["pregnant", "lactating"])),
    ],
)
def test_states_held_one_at_a_time_are_alternatives_in_an_exclusion(side: str, text: str, shape: Any) -> None:
    (crit,) = extractor.extract(f"{side} Criteria:\n{text}\n")["criteria"]
    assert _shape(crit) == shape


@pytest.mark.parametrize(
    ("side", "text", "shape"),
    [
        # "male and female" admits either sex, on either side
        ("Inclusion", "Male and female subjects", ("any", ["Male", "female subjects"])),
        ("Exclusion", "Men and women of childbearing potential", ("any", ["Men", "women of childbearing potential"])),
    ],
)
def test_both_sexes_joined_by_and_admit_either(side: str, text: str, shape: Any) -> None:
    (crit,) = extractor.extract(f"{side} Criteria:\n{text}\n")["criteria"]
    assert _shape(crit) == shape


@pytest.mark.parametrize(
    ("side", "text", "shape"),
    [
        # one negation leads the list: none of its members ("No A or B" holds when neither is there)
        (
            "Inclusion",
            "No known valvular disease or ischemic peripheral vascular disease",
            ("all", ["known", "valvular disease", "ischemic peripheral vascular disease"]),
        ),
        (
            "Inclusion",
            "Patients without diabetes, hypertension or stroke",
            ("all", ["diabetes", "hypertension", "stroke"]),
        ),
        # mentions that are not negated keep the list's own connector
        (
            "Exclusion",
            "History of stroke or myocardial infarction",
            ("any", ["stroke", "myocardial infarction"]),
        ),
    ],
)
def test_a_negated_list_holds_when_none_of_its_members_is_there(side: str, text: str, shape: Any) -> None:
    (crit,) = extractor.extract(f"{side} Criteria:\n{text}\n")["criteria"]
    assert _shape(crit) == shape
    negated = [e["text"] for e in crit["entities"] if (e.get("assertion") or {}).get("negated")]
    # (a qualifier of the list, "known", is a leaf, not negated)
    assert negated == ([m for m in shape[1] if m != "known"] if shape[0] == "all" else [])


def test_a_list_the_negated_concept_requires_keeps_its_alternatives() -> None:
    # "No" leads the infection; the antibiotics it requires are either one, not both
    (crit,) = extractor.extract("Exclusion Criteria:\nNo active infection requiring oral or IV antibiotics\n")[
        "criteria"
    ]
    logic = crit["logic"]
    assert logic["op"] == "all" and [a.get("op") for a in logic["args"]] == [None, "any"], logic


# the registry's legacy XML wraps every criterion at a fixed width (about 90 characters) and indents
# the lines after a bullet's first; a wrapped line may start with anything
_LEGACY = (
    "Inclusion Criteria:\r\n\r\n"
    "  -  Adequate bone marrow function defined as absolute neutrophil count at least 1,500/mm3,\r\n"
    "     platelet count at least 100,000/mm3 and haemoglobin greater than or equal to 9.0 g/dL or\r\n"
    "     10 g/dL in patients who received a transfusion within 2 weeks prior to the start of the\r\n"
    "     study treatment\r\n\r\n"
    "  -  Patients must be on stable hypoglycemic medications for at least 8 weeks prior to\r\n"
    "     Visit 2 (Day -1).\r\n"
)


def test_a_hard_wrapped_criterion_is_one_criterion_whatever_its_lines_start_with() -> None:
    record = extractor.extract(_LEGACY)
    texts = [" ".join(c["text"].split()) for c in record["criteria"]]
    assert len(texts) == 2, texts
    assert texts[0].endswith(
        "in patients who received a transfusion within 2 weeks prior to the start of the study treatment"
    )
    assert texts[1].endswith("prior to Visit 2 (Day -1).")
    (window,) = record["criteria"][1]["windows"]
    assert window["duration"] == "P8W" and "Visit 2" in window["anchor"]["text"]


def test_the_layout_names_the_line_breaks_wrapping_made() -> None:
    found = layout.analyse(_LEGACY)
    breaks = [_LEGACY[a:b] for a, b in found.soft_wraps]
    assert breaks == ["\r\n     "] * 4
    # a list of criteria on lines of their own, in lower case as Chia's are, is not wrapped
    chia_like = "an underlying infectious disease\r\nchromosomal abnormality\r\nmetabolic disorder\r\n"
    assert [len(c.children) for c in layout.analyse(chia_like).criteria] == [0, 0, 0]
    assert layout.analyse(chia_like).soft_wraps == []


@pytest.mark.parametrize(
    ("text", "criteria"),
    [
        # a line that ends on a clause word goes on
        ("History of\ncancer\ndiabetes", ["History of\ncancer", "diabetes"]),
        # a lower-case line indented under the one before goes on
        (
            "Antibiotics within 30 days\r\n     prior to study entry",
            ["Antibiotics within 30 days\r\n     prior to study entry"],
        ),
        # lower-case lines of their own are criteria of their own
        ("BMI = 35\r\ntype 2 diabetes\r\nable to consent", ["BMI = 35", "type 2 diabetes", "able to consent"]),
    ],
)
def test_which_lines_go_on_the_line_before(text: str, criteria: list[str]) -> None:
    found = layout.analyse(text)
    assert [text[c.start : c.end] for c in found.criteria] == criteria


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (
            "Other: Not pregnant or nursing Negative pregnancy test Fertile patients must use effective contraception",
            ["Not pregnant or nursing", "Negative pregnancy test", "Fertile patients must use effective contraception"],
        ),
        (
            "Hepatic: Bilirubin no greater than 2 times ULN No acute hepatitis",
            ["Bilirubin no greater than 2 times ULN", "No acute hepatitis"],
        ),
        # a cross-reference is no criterion: one criterion beside it is the labelled one itself
        ("Endocrine therapy: See Disease Characteristics No concurrent hormonal therapy", []),
        (
            "Chemotherapy: See Disease Characteristics No concurrent chemotherapy At least 4 weeks since prior chemotherapy",
            ["No concurrent chemotherapy", "At least 4 weeks since prior chemotherapy"],
        ),
        # a condition opens the next criterion ("If on ...")
        (
            "Other: No CSF disease If on steroids, must have increasing contrast enhancement",
            ["No CSF disease", "If on steroids, must have increasing contrast enhancement"],
        ),
        # ... but not after a conjunction in capitals
        ("Other: Serum M-component at initial diagnosis OR If only light chain disease present, then", []),
        # a capitalised word after a clause word, after a capitalised word, or "Prior to" goes on
        ("Sexually Active Patients with a partner and/or Effective contraception", []),
        ("Incontinence associated with sexual activity Prior to surgery", []),
        # an item's number before it is no criterion's end
        ("Those who cannot tolerate testing. (vii) Patients who take part in other trials", []),
        # but a letter closing a bracket is no item's number
        (
            "No fever (temperature no greater than 38 degrees C) No immunodeficiency",
            ["No fever (temperature no greater than 38 degrees C)", "No immunodeficiency"],
        ),
    ],
)
def test_a_run_on_criterion_is_split_at_the_words_that_start_the_next(text: str, parts: list[str]) -> None:
    (crit,) = layout.analyse(text).criteria
    assert [text[c.start : c.end] for c in crit.children] == parts
    assert all(c.inline for c in crit.children)


def test_an_acronym_ending_a_run_on_criterion_leads_no_label() -> None:
    text = (
        "PATIENT CHARACTERISTICS: Age: 18 and over Cardiovascular: No prolonged QTc interval (greater than "
        "450 ms) on EKG Pulmonary: No uncontrolled pulmonary disease Renal: Creatinine normal"
    )
    (crit,) = layout.analyse(text).criteria
    assert [text[slice(*c.heading)] for c in crit.children if c.heading] == [
        "Age",
        "Cardiovascular",
        "Pulmonary",
        "Renal",
    ]


@pytest.mark.parametrize(
    ("run_on", "labels"),
    [
        # a capitalised word after a lower-case one (no title-case joiner) starts the label
        (
            "Hepatic: AST no greater than 2 times upper limit of normal Bilirubin normal Renal: Creatinine normal",
            ["Age", "Hepatic", "Renal"],
        ),
        (
            "Cardiovascular: Ejection fraction at least 50% by MUGA scan Other: Not pregnant",
            ["Age", "Cardiovascular", "Other"],
        ),
        ("Age at Diagnosis: Under 21 Renal: Creatinine normal", ["Age", "Age at Diagnosis", "Renal"]),
        # an acronym and the lower-case word after it lead no label ("for ALL except:")
        (
            "Other: No prior therapy for ALL except: Emergency therapy Renal: Creatinine normal",
            ["Age", "Other", "Renal"],
        ),
    ],
)
def test_where_an_inline_label_starts(run_on: str, labels: list[str]) -> None:
    text = "PATIENT CHARACTERISTICS: Age: 18 and over " + run_on
    (crit,) = layout.analyse(text).criteria
    assert [text[slice(*c.heading)] for c in crit.children if c.heading] == labels


def test_a_topic_marker_closes_before_the_first_label() -> None:
    paragraph = (
        "--Patients Characteristics-- Age: 18 and over Performance Status: Karnofsky 70-100% Life "
        "Expectancy: At least 12 weeks Hematopoietic: Absolute neutrophil count at least 1,500/mm3 "
        "Hemoglobin at least 9.0 g/dL Platelet count at least 100,000/mm3 Hepatic: AST and/or ALT no "
        "greater than 2 times upper limit of normal Bilirubin normal Renal: Creatinine normal"
    )
    record = extractor.extract("PROTOCOL ENTRY CRITERIA:\r\n\r\n" + "\r\n".join(textwrap.wrap(paragraph, 90)) + "\r\n")
    (top,) = [c for c in record["criteria"] if c["parent"] is None]
    first = next(c for c in record["criteria"] if c["parent"] == top["id"])
    assert first["text"] == "Age: 18 and over"


# an NCI (PDQ) listing as the legacy XML has it: run-on criteria under an all-capitals heading and
# inline labels, hard-wrapped at about 90 columns
_PDQ_WRAPPED = (
    "Inclusion Criteria:\r\n\r\n"
    "DISEASE CHARACTERISTICS: Histologically proven primary brain glioma Measurable disease by CT\r\n"
    "or MRI No metastases outside the CNS\r\n\r\n"
    "PATIENT CHARACTERISTICS: Age: 18 and over Performance status: Karnofsky 70-100% Cardiovascular:\r\n"
    "No myocardial infarction within 6 months Ventricular ejection fraction at least 50% No New\r\n"
    "York Heart Association class III or IV heart disease Other: Men who are taking Tamoxifen are\r\n"
    "not excluded\r\n"
)


def test_a_pdq_paragraph_starts_a_criterion_at_any_capitalised_word_after_a_lower_case_one() -> None:
    found = layout.analyse(_PDQ_WRAPPED)
    texts = [" ".join(_PDQ_WRAPPED[c.start : c.end].split()) for c in layout.flatten(found.criteria) if not c.children]
    assert "Histologically proven primary brain glioma" in texts
    assert "Measurable disease by CT or MRI" in texts
    assert "No myocardial infarction within 6 months" in texts
    assert "Ventricular ejection fraction at least 50%" in texts
    # a name and a drug after a verb stay inside their criterion
    assert "No New York Heart Association class III or IV heart disease" in texts
    assert "Other: Men who are taking Tamoxifen are not excluded" in texts


def _source_leaf_texts(text: str) -> list[str]:
    """The leaf criteria of a source as the layout cuts it, whitespace collapsed."""
    found = layout.analyse(text)
    return [" ".join(text[c.start : c.end].split()) for c in layout.flatten(found.criteria) if not c.children]


@pytest.mark.parametrize(
    ("trial", "criteria"),
    [
        # "ALL" in capitals is acute lymphoblastic leukemia, an acronym ending a criterion, not the word
        # "all" that keeps the capitalised word after it in its clause
        (
            "NCT00002816",
            [
                "Relapse occurred during or following front-line therapy for ALL",
                "Initial diagnosis of more than 25% blasts of L1 or L2 morphology",
            ],
        ),
        # "... At least 2 months since DNase At\r\nleast 4 months since corticosteroids": a wait since
        # prior therapy starts a criterion after a drug's name, a capitalised word
        ("NCT00004806", ["At least 2 months since DNase", "At least 4 months since corticosteroids"]),
    ],
)
def test_where_a_pdq_run_on_criterion_ends(trial: str, criteria: list[str]) -> None:
    texts = _source_leaf_texts(read_source(ROOT / "corpus" / trial / "criteria.txt"))
    for criterion in criteria:
        assert criterion in texts


def test_an_editors_note_inside_a_pdq_paragraph_is_unparsed() -> None:
    # NCT00003110: PDQ's note on lymphoma terms, written inside the disease paragraph, is no criterion
    text = read_source(ROOT / "corpus" / "NCT00003110" / "criteria.txt")
    found = layout.analyse(text)
    note = text.index("A new classification")
    assert all(not (c.start <= note < c.end) for c in layout.flatten(found.criteria) if not c.children)
    assert any(
        s <= note < e and " ".join(text[s:e].split()).endswith("former terminology.") for s, e in found.unrecognised
    )
    assert any(
        t.startswith("No clinical or radiographic evidence of parenchymal CNS") for t in _source_leaf_texts(text)
    )


# the same listing where a criterion starts after a bracket, after an acronym, with an acronym after a
# limit, or at the start of a wrapped line; and a two-word label wrapped over a line end
_PDQ_LIMITS = (
    "PATIENT CHARACTERISTICS: Age: 18 and over Performance status: Karnofsky 70-100% Life\r\n"
    "expectancy: At least 3 months Hepatic: Bilirubin no greater than 1.5 times upper limit of normal\r\n"
    "(ULN) ALT/AST no greater than 1.5 times ULN (3 times ULN in the presence of liver metastases)\r\n"
    "Alkaline phosphatase no greater than 1.5 times ULN Albumin at least 3 g/dL SGOT/SGPT less than 2\r\n"
    "times ULN Renal: Creatinine no greater than ULN OR Creatinine clearance at least 60 mL/min\r\n"
    "Cardiovascular: No grade III or IV New York Heart Association cardiac problem Sex: Female\r\n"
    "Menopausal status: Not specified\r\n"
)


def test_a_pdq_paragraph_starts_a_criterion_after_a_bracket_an_acronym_or_a_limit() -> None:
    found = layout.flatten(layout.analyse(_PDQ_LIMITS).criteria)
    texts = [" ".join(_PDQ_LIMITS[c.start : c.end].split()) for c in found if not c.children]
    assert texts == [
        "Age: 18 and over",
        "Performance status: Karnofsky 70-100%",
        "Life expectancy: At least 3 months",
        "Bilirubin no greater than 1.5 times upper limit of normal (ULN)",
        "ALT/AST no greater than 1.5 times ULN (3 times ULN in the presence of liver metastases)",
        "Alkaline phosphatase no greater than 1.5 times ULN",
        "Albumin at least 3 g/dL",
        "SGOT/SGPT less than 2 times ULN",
        # "OR" joins two limits of one criterion; a grade in Roman numerals is no acronym
        "Renal: Creatinine no greater than ULN OR Creatinine clearance at least 60 mL/min",
        "Cardiovascular: No grade III or IV New York Heart Association cardiac problem",
        "Sex: Female",
        "Menopausal status: Not specified",
    ]
    labels = [" ".join(_PDQ_LIMITS[slice(*c.heading)].split()) for c in found if c.heading]
    assert "Life expectancy" in labels and "Menopausal status" in labels


@pytest.mark.parametrize(
    ("text", "criteria"),
    [
        # numbered criteria run on in one line: they continue the line's own number
        (
            "Exclusion Criteria:\n5. Subject has an active ulcer. 6. Subject has a history of MI.\n"
            "7. Subject uses alpha blockers. 8. Subject uses nitrates. 9. Subject has RP.\n",
            [
                "Subject has an active ulcer.",
                "Subject has a history of MI.",
                "Subject uses alpha blockers.",
                "Subject uses nitrates.",
                "Subject has RP.",
            ],
        ),
        # a number leading the text after another bullet counts as the line's own
        (
            "Exclusion Criteria:\n- 1. Weight loss of 15 lbs. 2. Temperature greater than 38.5 C.\n",
            ["Weight loss of 15 lbs.", "Temperature greater than 38.5 C."],
        ),
        # a number that does not continue the line's own is no item's ("ages 21 to 65. Angina")
        (
            "Inclusion Criteria:\nMen and women, ages 21 to 65. Angina pectoris at rest.\n",
            ["Men and women, ages 21 to 65. Angina pectoris at rest."],
        ),
        ("Inclusion Criteria:\n3. Creatinine < 2. 5. Bilirubin normal\n", ["Creatinine < 2. 5. Bilirubin normal"]),
        # numbers closed by a bracket, one of them skipped (NCT06868446)
        (
            "Exclusion Criteria:\n\n1) Score of 24 or lower on the ASI-3, 2) no PTSD diagnosis, 4) active psychosis\n",
            ["Score of 24 or lower on the ASI-3", "no PTSD diagnosis", "active psychosis"],
        ),
        # circled numbers, the first one lost with the bullet (NCT05649592)
        (
            "Inclusion Criteria:\n\n* patients in good physical health; ②patients aged 20 to 55 years; ③informed consent.\n",
            ["patients in good physical health", "patients aged 20 to 55 years", "informed consent."],
        ),
    ],
)
def test_numbered_criteria_run_on_in_one_line_are_criteria(text: str, criteria: list[str]) -> None:
    found = layout.flatten(layout.analyse(text).criteria)
    assert [text[c.start : c.end] for c in found if not c.children] == criteria
    assert [c.inline for c in found if not c.children][1:2] == ([True] if len(criteria) > 1 else [])


@pytest.mark.parametrize(
    ("side", "lead"),
    [
        ("Inclusion", "Patients may be eligible for this study if they:"),
        ("Exclusion", "You will not be eligible for this study if you:"),
        ("Inclusion", "Patients must have:"),
        ("Inclusion", "Patients must demonstrate the following clinical and laboratory findings:"),
        ("Exclusion", "A participant will not be eligible for study entry if any of the following criteria are met:"),
        ("Exclusion", "Patients with the following will be excluded from the study:"),
        ("Exclusion", "The following cases were excluded from this clinical study."),
    ],
)
def test_a_sentence_leading_a_sections_list_is_no_criterion(side: str, lead: str) -> None:
    # (under the inclusion header a lead-in that says "not" or "any of" is a criterion over its items:
    # see test_an_exclusion_lead_in_under_the_inclusion_header_keeps_its_items_apart)
    text = f"{side} Criteria\r\n\r\n{lead}\r\n\r\n  -  Are HIV-positive.\r\n\r\n  -  Are at least 13 years old.\r\n"
    found = layout.analyse(text)
    assert [text[c.start : c.end] for c in found.criteria] == ["Are HIV-positive.", "Are at least 13 years old."]
    assert [text[s:e] for s, e in found.unrecognised] == [lead]


def test_a_lead_in_with_content_of_its_own_keeps_its_items() -> None:
    text = "Inclusion Criteria:\n\nDiagnosis of one of the following:\n  -  Asthma\n  -  COPD\n"
    (crit,) = layout.analyse(text).criteria
    assert [text[c.start : c.end] for c in crit.children] == ["Asthma", "COPD"]


@pytest.mark.parametrize(
    "note",
    [
        "Other protocol-defined inclusion/exclusion criteria may apply",
        "Further inclusion criteria apply.",
        "Note: Other protocol-defined inclusion/exclusion criteria apply.",
        "The above information is not intended to contain all considerations relevant to a potential "
        "participation in a clinical trial.",
    ],
)
def test_a_note_on_the_list_is_no_criterion(note: str) -> None:
    text = f"Exclusion Criteria:\n\n* Pregnancy\n\n{note}\n"
    found = layout.analyse(text)
    assert [text[c.start : c.end] for c in found.criteria] == ["Pregnancy"]
    assert [text[s:e] for s, e in found.unrecognised] == [note]
    # ... but a line that goes on to state a criterion is one
    assert layout.is_note("Other criteria apply to patients with diabetes: HbA1c < 8%") is False


def test_a_paragraph_broken_by_a_blank_line_after_a_word_that_needs_its_object_is_one_criterion() -> None:
    # NCT00001272: "... cardiac arrhythmias requiring\n\ntherapy, right bundle branch block ..."; and a
    # lead-in naming what follows ("Patients must have the following end organ function:") is no criterion
    text = (
        "Patients must have the following end organ function:\n\n"
        "No history of myocardial infarction, cardiac arrhythmias requiring\n\n"
        "therapy, right bundle branch block.\n\nNo brain involvement.\n"
    )
    record = extractor.extract(text)
    assert [c["text"].split()[-1] for c in record["criteria"]] == ["block.", "involvement."]
    assert [u["text"] for u in record["unparsed"]] == ["Patients must have the following end organ function:"]


def test_what_a_sub_item_announces_on_an_indented_line_is_its_own_text() -> None:
    # NCT02650414: a table flattened onto an indented line under "1. ... as follows:" is that sub-item's
    # text, not the next top-level criterion
    text = (
        "Inclusion Criteria:\n\n1. Adequate organ function defined as:\n\n"
        "   1. A serum creatinine based on age/gender as follows:\n\n"
        "      Maximum Serum Creatinine (mg/dL) Age 1 to < 2 years Male 0.6 Female 0.6\n"
        "   2. Adequate liver function\n2. Age 1-29 years.\n"
    )
    found = flatten_ids(text)
    assert found == [
        ("inc-1", "Adequate organ function defined as:"),
        ("inc-1.1", "A serum creatinine based on age/gender as follows:"),
        ("inc-1.2", "Adequate liver function"),
        ("inc-2", "Age 1-29 years."),
    ]
    (sub,) = [c for c in layout.flatten(layout.analyse(text).criteria) if c.id == "inc-1.1"]
    assert text[sub.start : sub.end].endswith("Female 0.6")


def flatten_ids(text: str) -> list[tuple[str, str]]:
    return [(c.id, text[c.start : c.end].splitlines()[0]) for c in layout.flatten(layout.analyse(text).criteria)]


def test_a_header_may_name_its_cohort_before_the_side() -> None:
    text = (
        "Erectile dysfunction cohort Inclusion Criteria:\n\n1. Males aged 40 or over\n\n"
        "Erectile dysfunction cohort Exclusion Criteria:\n\n1. Prior penile surgery\n\n"
        "CP/CPPS cohort exclusion criteria:\n\n(all of the following)\n\n1. Urinary tract infection\n\n"
        "Cohort A Exclusion Criteria:\n\n1. Pregnant\n"
    )
    record = extractor.extract(text)
    assert [(c["side"], c["text"]) for c in record["criteria"]] == [
        ("inclusion", "Males aged 40 or over"),
        ("exclusion", "Prior penile surgery"),
        ("exclusion", "Urinary tract infection"),
        ("exclusion", "Pregnant"),
    ]
    assert "(all of the following)" in [u["text"] for u in record["unparsed"]]


def test_the_group_criteria_are_for_alone_on_its_line_is_no_criterion() -> None:
    text = (
        "Inclusion Criteria:\n\nfor acromegaly\n\n  -  Clinical and biochemical diagnosis of acromegaly.\n\n"
        "for GHD\n\n  -  Severe growth hormone deficiency.\n"
    )
    record = extractor.extract(text)
    assert [c["text"] for c in record["criteria"]] == [
        "Clinical and biochemical diagnosis of acromegaly.",
        "Severe growth hormone deficiency.",
    ]
    assert [c["parent"] for c in record["criteria"]] == [None, None]


def test_a_paragraph_under_an_actg_topic_and_its_announcement_is_its_item() -> None:
    text = (
        "Exclusion Criteria\r\n\r\nPrior Medication:\r\n\r\nExcluded:\r\n\r\nAntiretroviral therapy. If experienced, no"
        " prior NNRTI's.\r\n\r\nRisk Behavior:\r\n\r\nExcluded:\r\n\r\nCurrent ethanol abuse.\r\n"
    )
    record = extractor.extract(text)
    got = [(c["id"], c["parent"], c["text"].splitlines()[0]) for c in record["criteria"]]
    assert got == [
        ("exc-1", None, "Prior Medication:"),
        ("exc-1.1", "exc-1", "Antiretroviral therapy. If experienced, no prior NNRTI's."),
        ("exc-2", None, "Risk Behavior:"),
        ("exc-2.1", "exc-2", "Current ethanol abuse."),
    ]


def test_a_second_bullet_after_the_first_is_the_markers() -> None:
    record = extractor.extract("Exclusion Criteria:\n\n* • Subject does not speak English\n* Prior surgery\n")
    assert [c["text"] for c in record["criteria"]] == ["Subject does not speak English", "Prior surgery"]


def test_a_title_case_label_with_no_colon_over_bullets_is_no_criterion() -> None:
    text = (
        "Inclusion Criteria:\r\n\r\nDisease Characteristics\r\n\r\n  -  Histologically confirmed carcinoma in situ\r\n\r\n"
        "Prior/Concurrent Therapy\r\n\r\n  -  At least one prior cycle of BCG\r\n"
    )
    record = extractor.extract(text)
    assert [c["text"] for c in record["criteria"]] == [
        "Histologically confirmed carcinoma in situ",
        "At least one prior cycle of BCG",
    ]
    assert [u["text"] for u in record["unparsed"]] == ["Disease Characteristics", "Prior/Concurrent Therapy"]


def test_a_visit_label_over_the_numbered_list_it_starts_is_no_criterion() -> None:
    text = (
        "At Visit1\n\n1. ≥19 age\n2. Hypertension\n\nAt Visit2\n\n1. 90≤ sitSBP < 140 mmHg\n\n"
        "Exclusion Criteria:\n\n1. Diabetes\n"
    )
    record = extractor.extract(text)
    assert [c["text"] for c in record["criteria"]] == ["≥19 age", "Hypertension", "90≤ sitSBP < 140 mmHg", "Diabetes"]
    assert [u["text"] for u in record["unparsed"]] == ["At Visit1", "At Visit2"]


def test_a_title_case_criterion_in_a_numbered_list_stays_a_criterion() -> None:
    record = extractor.extract("Exclusion Criteria:\n\n1. Diabetes\n2. Heart Failure\n3. Stroke\n")
    assert [c["text"] for c in record["criteria"]] == ["Diabetes", "Heart Failure", "Stroke"]


def test_one_word_criteria_of_an_unbulleted_list_stay_criteria() -> None:
    record = extractor.extract(
        "Exclusion Criteria:\n\nPre-existing lymphoma\n\nSarcoidosis\n\nGraft versus host disease\n"
    )
    assert [c["text"] for c in record["criteria"]] == [
        "Pre-existing lymphoma",
        "Sarcoidosis",
        "Graft versus host disease",
    ]


@pytest.mark.parametrize(
    ("text", "criteria"),
    [
        # dash bullets left inside a line after a sentence's end: one criterion each
        (
            "Inclusion Criteria:\n\n* An ED-EQoL score < or = 15.- An IIEF score < or = 25.\n",
            [("inclusion", "An ED-EQoL score < or = 15."), ("inclusion", "An IIEF score < or = 25.")],
        ),
        (
            "Exclusion Criteria:\n\n* History of radical prostatectomy. - Retinitis pigmentosa.\n",
            [("exclusion", "History of radical prostatectomy."), ("exclusion", "Retinitis pigmentosa.")],
        ),
        # a whole listing on one line, its sections' headers inside it
        (
            "Inclusion Criteria:- Males who have had ED for at least six months- Heterosexual relationship.- "
            "Males 18 and older. Exclusion Criteria:- Primary hypoactive sexual desire.- Stable heterosexual "
            "relationship for > 6 month- Other exclusion criteria apply",
            [
                ("inclusion", "Males who have had ED for at least six months"),
                ("inclusion", "Heterosexual relationship."),
                ("inclusion", "Males 18 and older."),
                ("exclusion", "Primary hypoactive sexual desire."),
                ("exclusion", "Stable heterosexual relationship for > 6 month"),
                ("exclusion", "Other exclusion criteria apply"),
            ],
        ),
        # one dash glued to the word before is a hyphen's place, not a list ("non- Hodgkin" aside)
        (
            "Inclusion Criteria:\n\n* Prior therapy with anti- CD20 antibodies allowed\n",
            [("inclusion", "Prior therapy with anti- CD20 antibodies allowed")],
        ),
    ],
)
def test_a_list_whose_line_breaks_were_lost_is_read_item_by_item(text: str, criteria: list[tuple[str, str]]) -> None:
    record = extractor.extract(text)
    assert [(c["side"], c["text"]) for c in record["criteria"]] == criteria


def test_a_count_never_runs_into_the_next_section_header() -> None:
    record = extractor.extract("Inclusion Criteria:\n\n* Over the age of 18\n\nExclusion Criteria:\n\n* Pregnancy\n")
    (age,) = record["criteria"][0]["constraints"]
    assert (age["measure"], age["comparator"], age["value"], age["text"]) == ("age", ">", 18, "Over the age of 18")


@pytest.mark.parametrize(
    ("text", "n", "listed"),
    [
        (
            "Sepsis characterized by: Two or more of the following: Fever; Tachycardia; Tachypnea; Hypotension",
            2,
            ["Fever", "Tachycardia", "Tachypnea", "Hypotension"],
        ),
        ("At least 3 of the following symptoms: nausea, vomiting, diarrhea, fatigue", 3, None),
    ],
)
def test_a_count_of_the_items_listed_is_an_at_least_tree(text: str, n: int, listed: list[str] | None) -> None:
    (crit,) = extractor.extract(f"Inclusion Criteria:\n* {text}\n")["criteria"]
    texts = {i["id"]: i["text"] for key in ("entities", "windows", "constraints") for i in crit[key]}
    logic = crit["logic"]
    node = logic if logic["op"] == "at_least" else next(a for a in logic["args"] if a.get("op") == "at_least")
    assert node["n"] == n and len(node["args"]) > n
    assert all("ref" in a for a in node["args"])
    if listed is not None:
        assert [texts[a["ref"]] for a in node["args"]] == listed


@pytest.mark.parametrize(
    ("text", "members"),
    [
        (
            "Patients without serious heart, lung, liver, or kidney disease.",
            [("heart", "heart disease"), ("lung", "lung disease"), ("liver", "liver disease")],
        ),
        ("No significant cardiac, hepatic, renal or pulmonary disease", [("cardiac", "cardiac disease")]),
        # a medical, oncologic or CNS condition is named the same way
        ("No medical or psychiatric condition", [("medical", "medical condition")]),
        (
            "No cardiovascular, oncologic, renal, or hepatic condition",
            [("oncologic", "oncologic condition"), ("renal", "renal condition")],
        ),
        # a hard-wrapped list is one list
        (
            "No active gastrointestinal, renal, endocrine, cardiovascular,\n     or psychiatric disorder",
            [("gastrointestinal", "gastrointestinal disorder"), ("cardiovascular", "cardiovascular disorder")],
        ),
        # a bracketed aside after a member is no member
        (
            "No significant cardiac (NYHA class III or IV), hepatic, renal, or neurologic disorder",
            [("cardiac", "cardiac disorder"), ("hepatic", "hepatic disorder"), ("renal", "renal disorder")],
        ),
        # the kinds of an infection
        ("No active bacterial, viral, or fungal infection", [("bacterial", "bacterial infection")]),
        # only the organs that end the list
        (
            "No serious cardiovascular, infections, oncologic, renal, or hepatic condition",
            [("oncologic", "oncologic condition"), ("renal", "renal condition")],
        ),
    ],
)
def test_organs_listed_before_a_disease_name_a_mention_each(text: str, members: list[tuple[str, str]]) -> None:
    (crit,) = extractor.extract(f"Inclusion Criteria:\n1. {text}\n")["criteria"]
    found = {(e["text"], e.get("normalized")) for e in crit["entities"] if e["type"] == "Condition"}
    assert set(members) <= found
    # ... negated with the rest of the list
    assert all(e["assertion"]["negated"] for e in crit["entities"] if e["type"] == "Condition")


def test_organs_listed_before_a_function_name_a_measurement_each() -> None:
    (crit,) = extractor.extract("Inclusion Criteria:\n1. Adequate hematologic, hepatic, and renal function\n")[
        "criteria"
    ]
    found = {(e["text"], e.get("normalized")) for e in crit["entities"] if e["type"] == "Measurement"}
    assert {("hematologic", "hematologic function"), ("hepatic", "hepatic function")} <= found


def test_a_list_of_things_that_are_no_organs_names_no_member() -> None:
    (crit,) = extractor.extract("Inclusion Criteria:\n1. History of diabetes, hypertension or kidney disease\n")[
        "criteria"
    ]
    conditions = [e for e in crit["entities"] if e["type"] == "Condition"]
    assert [e["text"] for e in conditions] == ["diabetes", "hypertension", "kidney disease"]
    assert not any((e.get("normalized") or "").startswith(("diabetes ", "hypertension ")) for e in conditions)


def test_a_paragraph_under_a_second_announcement_of_a_topic_is_its_item() -> None:
    text = (
        "Inclusion Criteria\r\n\r\nPrior Medication:\r\n\r\nRequired:\r\n\r\n"
        "  -  Any antiretroviral medications for which the dosage regimen has been\r\n"
        "     stable for at least 3 weeks prior to enrollment.\r\n\r\nAllowed:\r\n\r\n"
        "Medication for prophylaxis or maintenance therapy of opportunistic infection, stable for at\r\n"
        "least 2 weeks prior to enrollment.\r\n"
    )
    record = extractor.extract(text)
    by_id = {c["id"]: c for c in record["criteria"]}
    (allowed,) = [c for c in record["criteria"] if c["text"].startswith("Allowed:")]
    (item,) = [c for c in record["criteria"] if c["parent"] == allowed["id"]]
    assert item["text"].startswith("Medication for prophylaxis") and item["text"].endswith("prior to enrollment.")
    assert by_id[allowed["parent"]]["text"].startswith("Prior Medication:")


@pytest.mark.parametrize(
    ("text", "op", "listed"),
    [
        (
            "Histologically proven metastatic, advanced, or locally recurrent adenocarcinoma of the colon",
            "any",
            ["metastatic", "advanced", "locally recurrent"],
        ),
        (
            "A current diagnosis of acute, severe, or unstable asthmatic conditions.",
            "any",
            ["acute", "severe", "unstable"],
        ),
        ("Previously untreated OR recurrent or refractory leukemia", "any", ["untreated", "recurrent", "refractory"]),
    ],
)
def test_a_list_of_qualifiers_is_one_group_of_the_tree(text: str, op: str, listed: list[str]) -> None:
    (crit,) = extractor.extract(f"Inclusion Criteria:\n* {text}\n")["criteria"]
    texts = {e["id"]: e["text"] for e in crit["entities"]}

    def groups(node: dict[str, Any]) -> list[tuple[str, list[str]]]:
        if "ref" in node:
            return []
        own = [(node["op"], [texts.get(a.get("ref", ""), "") for a in node["args"]])]
        return own + [g for a in node["args"] for g in groups(a)]

    assert (op, listed) in groups(crit["logic"])
    # the list is one leaf of the tree: the mentions after it are not inside the list's group
    assert sum(1 for _, members in groups(crit["logic"]) if set(listed) <= set(members)) == 1


def test_qualifiers_joined_by_or_and_and_stay_words_of_the_tree() -> None:
    (crit,) = extractor.extract(
        "Inclusion Criteria:\n* Histologically confirmed gastric cancer that is either metastatic or locally advanced and inoperable\n"
    )["criteria"]
    refs = str(crit["logic"])
    qualifiers = [e["id"] for e in crit["entities"] if e["type"] == "Qualifier"]
    assert len(qualifiers) == 3 and all(f"'{q}'" in refs for q in qualifiers)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        (
            # an NCI PDQ topic, its bullet and the bullets indented under that
            "PATIENT CHARACTERISTICS:\r\n\r\nAge:\r\n\r\n  -  18 and over\r\n\r\nOther:\r\n\r\n"
            "  -  No second malignancy except:\r\n\r\n       -  Adequately treated basal cell carcinoma of the skin\r\n\r\n"
            "       -  Adequately treated in situ carcinoma of the cervix\r\n\r\n  -  No active infection\r\n",
            {
                "No second malignancy except:": "Other:",
                "Adequately treated basal cell carcinoma of the skin": "No second malignancy except:",
                "Adequately treated in situ carcinoma of the cervix": "No second malignancy except:",
                "No active infection": "Other:",
            },
        ),
        (
            "Exclusion Criteria:\n\n* Any of the following:\n\n  * Any of the following hematologic abnormalities:\n\n"
            "    * Hemoglobin < 10.0 g/dL\n    * Platelets < 75,000 /μL\n  * History of syncope\n* Smoking\n",
            {
                "Hemoglobin < 10.0 g/dL": "Any of the following hematologic abnormalities:",
                "Platelets < 75,000 /μL": "Any of the following hematologic abnormalities:",
                "History of syncope": "Any of the following:",
                "Smoking": None,
            },
        ),
        (
            # an ACTG listing's number after a dash, indented no further than the dash's text, is the
            # next criterion of the group, not a sub-item of the dash
            "Exclusion Criteria:\n\nPrior Medication:\n\nExcluded within 3 months prior to study entry:\n\n"
            "  -  Antiviral therapy.\n\n     1. Active drug abuse.\n\n  -  Unlikely to comply.\n",
            {"Active drug abuse.": "Excluded within 3 months prior to study entry:"},
        ),
    ],
)
def test_a_bullet_indented_under_a_sub_item_is_its_sub_item(text: str, tree: dict[str, str | None]) -> None:
    criteria = extractor.extract(text)["criteria"]
    by_id = {c["id"]: c for c in criteria}
    for child, parent in tree.items():
        (crit,) = [
            c
            for c in criteria
            if c["text"] == child or c["text"].startswith(child + "\r\n") or c["text"].startswith(child + "\n")
        ]
        if parent is None:
            assert crit["parent"] is None
            continue
        assert by_id[crit["parent"]]["text"].startswith(parent), (child, by_id[crit["parent"]]["text"][:60])


@pytest.mark.parametrize(
    ("paragraph", "one_criterion", "next_criterion"),
    [
        (
            "No mental disorders that may preclude patient follow-up No second malignancy except: Adequately"
            " treated basal cell carcinoma of the skin Adequately treated in situ carcinoma of the cervix No"
            " concurrent serious systemic disorder",
            "No second malignancy except: Adequately treated basal cell carcinoma of the skin Adequately treated"
            " in situ carcinoma of the cervix",
            "No concurrent serious systemic disorder",
        ),
        (
            "Histologically confirmed, Stage IV neuroblastoma in second or subsequent complete remission, defined"
            " by the complete disappearance of all evidence of tumor on the following: Physical examination"
            " Second-look surgery Bone scan Bone marrow aspiration and biopsy No prior chemotherapy",
            "Histologically confirmed, Stage IV neuroblastoma in second or subsequent complete remission, defined"
            " by the complete disappearance of all evidence of tumor on the following: Physical examination"
            " Second-look surgery Bone scan Bone marrow aspiration and biopsy",
            "No prior chemotherapy",
        ),
    ],
)
def test_a_list_announced_in_a_pdq_paragraph_stays_in_its_criterion(
    paragraph: str, one_criterion: str, next_criterion: str
) -> None:
    # (an NCI PDQ listing, hard-wrapped at 90 columns as the legacy XML is)
    block = f"PATIENT CHARACTERISTICS: Age: 18 and over Sex: Not specified Other: {paragraph}"
    text = "\r\n".join(textwrap.wrap(block, 90)) + "\r\n"
    texts = [" ".join(c["text"].split()) for c in extractor.extract(text)["criteria"]]
    assert one_criterion in texts and next_criterion in texts


def test_sub_items_numbered_in_full_width_brackets() -> None:
    text = (
        "Inclusion Criteria:\n\n* At the end of the baseline period, the following conditions are met："
        "（1）The subject must make at least four attempts.（2）At least 50% of attempts must be unsuccessful.\n"
    )
    (crit, *subs) = extractor.extract(text)["criteria"]
    assert [s["text"] for s in subs] == [
        "The subject must make at least four attempts.",
        "At least 50% of attempts must be unsuccessful.",
    ]
    assert all(s["parent"] == crit["id"] for s in subs)


def test_a_bracketed_number_starting_a_wrapped_line_goes_on_with_the_next_numbers() -> None:
    text = (
        "Inclusion Criteria\r\n\r\n  -  (c) lactate greater than 2.2 mmol/L plus at least 2 of the following: (1) shortness\r\n"
        "     of breath, (2) weakness, (3) fast heartbeat,\r\n"
        "     (4) recent weight loss (10 lbs. within the past 2 months), (5) pain in the abdomen, (6) nausea\r\n"
    )
    texts = [c["text"] for c in extractor.extract(text)["criteria"]]
    assert "recent weight loss (10 lbs. within the past 2 months)" in texts
    assert "pain in the abdomen" in texts and "nausea" in texts


def test_lettered_items_at_the_level_of_their_lead_in_are_its_sub_items() -> None:
    text = (
        "Inclusion Criteria\r\n\r\n  -  Are HIV-positive.\r\n\r\n  -  Have at least 1 of the following situations:\r\n\r\n"
        "  -  (a) at least 1 of the following: (1) decrease in facial fat, (2) decrease in fat in\r\n"
        "     lower limbs; or\r\n\r\n"
        "  -  (b) lactate level greater than 3.2 mmol/L at the screening visit.\r\n\r\n"
        "  -  Are able to read at a sixth-grade level.\r\n"
    )
    criteria = extractor.extract(text)["criteria"]
    by_text = {c["text"]: c for c in criteria}
    lead = (
        by_text["Have at least 1 of the following situations:"[:20]]
        if False
        else next(c for c in criteria if c["text"].startswith("Have at least 1 of the following situations:"))
    )
    a = next(c for c in criteria if c["text"].startswith("at least 1 of the following: (1)"))
    b = by_text["lactate level greater than 3.2 mmol/L at the screening visit."]
    assert a["parent"] == lead["id"] and b["parent"] == lead["id"]
    assert by_text["decrease in facial fat"]["parent"] == a["id"]
    assert by_text["Are able to read at a sixth-grade level."]["parent"] is None


@pytest.mark.parametrize("header", ["Exclusion Citeria:", "Exclusion Critera:", "Exclusion Criterias:"])
def test_a_misspelt_criteria_word_still_heads_its_section(header: str) -> None:
    text = f"Inclusion Criteria:\n\n* 18 years or older\n\n{header}\n\n* Uncontrolled hypertension\n"
    sections = extractor.extract(text)["sections"]
    assert [s["side"] for s in sections] == ["inclusion", "exclusion"]


@pytest.mark.parametrize(
    ("first", "second", "sides"),
    [
        # side words misspelt in the registry samples (NCT00001664, with a stray dash before it)
        ("-  IINCLUSION CRITERIA:", "EXCLUSION CRITERIA:", ["inclusion", "exclusion"]),
        ("Inclusioin Criteria:", "Exlcusion Criteria:", ["inclusion", "exclusion"]),
    ],
)
def test_a_misspelt_side_word_still_heads_its_section(first: str, second: str, sides: list[str]) -> None:
    text = f"{first}\r\n\r\nPatients 18 years or older\r\n\r\n{second}\r\n\r\nPregnancy\r\n"
    record = extractor.extract(text)
    assert [s["side"] for s in record["sections"]] == sides
    start, end = record["sections"][0]["header"]
    assert text[start:end] == first.lstrip("- ").rstrip(":")
    assert "Patients 18 years or older" in [c["text"] for c in record["criteria"]]


def test_a_roman_list_at_a_numbered_items_level_is_that_items() -> None:
    # (the registry's Markdown keeps no indent for a third level: "i." starts a list of another kind)
    text = (
        "Inclusion Criteria:\n\n1. Relapsed ALL:\n\n   1. 2nd relapse OR\n   2. Ineligible for SCT because of:\n\n"
        "   i. Comorbid disease ii. Lack of suitable donor\n2. Age 1-29 years.\n"
    )
    found = {c.id: (text[c.start : c.end], c.parent) for c in layout.flatten(layout.analyse(text).criteria)}
    assert found["inc-1.2.1"] == ("Comorbid disease", "inc-1.2")
    assert found["inc-1.2.2"] == ("Lack of suitable donor", "inc-1.2")
    assert found["inc-2"] == ("Age 1-29 years.", None)


def test_a_roman_list_under_a_lettered_item_is_that_items() -> None:
    # ("g." then "i.": a roman sub-list, not the letter after "h.")
    text = (
        "Exclusion Criteria:\n\n1. Self-reported:\n\n   f. Tobacco use\n   g. Alcohol above thresholds:\n\n"
        "   i. For women: more than 7 drinks per week and ii. For men: more than 14 drinks per week\n\n"
        "   h. An unstable medical illness\n"
    )
    found = {c.id: (text[c.start : c.end], c.parent) for c in layout.flatten(layout.analyse(text).criteria)}
    assert found["exc-1.2.1"] == ("For women: more than 7 drinks per week and", "exc-1.2")
    assert found["exc-1.3"] == ("An unstable medical illness", "exc-1")


def test_bullets_joined_by_or_under_a_bulleted_lead_in_at_their_level_are_its_sub_items() -> None:
    text = (
        "Inclusion Criteria:\r\n\r\n  -  Patients unsuitable for chemotherapy due to:\r\n\r\n  -  Renal failure, or\r\n\r\n"
        "  -  Severe cardiopulmonary disease, or\r\n\r\n  -  Other end-organ dysfunction\r\n\r\n  -  Tumor that is unresectable\r\n"
    )
    found = {c.id: (text[c.start : c.end], c.parent) for c in layout.flatten(layout.analyse(text).criteria)}
    assert [found[f"inc-1.{k}"][0] for k in (1, 2, 3)] == [
        "Renal failure, or",
        "Severe cardiopulmonary disease, or",
        "Other end-organ dysfunction",
    ]
    assert found["inc-2"] == ("Tumor that is unresectable", None)
    # (an "OR" closing a deeper sub-item joins its parent to the next criterion: no sub-item)
    text = (
        "DISEASE CHARACTERISTICS:\r\n\r\n  -  Germ cell tumor of 1 of the following subtypes:\r\n\r\n"
        "       -  CNS germinoma\r\n\r\n       -  Choriocarcinoma OR\r\n\r\n  -  Pineal mass allowed\r\n"
    )
    found = {c.id: (text[c.start : c.end], c.parent) for c in layout.flatten(layout.analyse(text).criteria)}
    assert ("Pineal mass allowed", "inc-1") in found.values()


def _parents(text: str) -> dict[str, tuple[str, str | None]]:
    return {c.id: (text[c.start : c.end], c.parent) for c in layout.flatten(layout.analyse(text).criteria)}


def test_an_actg_announcement_bulleted_like_its_items_heads_the_bullets_after_it() -> None:
    text = (
        "Exclusion Criteria\r\n\r\nPrior Medication:\r\n\r\nExcluded within 6 weeks of study entry:\r\n\r\n"
        "  -  Interferons.\r\n\r\n  -  Excluded within 45 days of study entry:\r\n\r\n"
        "  -  Immunosuppressive agents.\r\n\r\n  -  Chemotherapy.\r\n\r\nPrior Treatment:\r\n\r\n"
        "Excluded within 2 weeks of study entry:\r\n\r\n  -  Hospitalization.\r\n"
    )
    found = _parents(text)
    assert found["exc-1.1.1"] == ("Interferons.", "exc-1.1")
    assert found["exc-1.2"][0].startswith("Excluded within 45 days of study entry:")
    assert [found[f"exc-1.2.{k}"] for k in (1, 2)] == [
        ("Immunosuppressive agents.", "exc-1.2"),
        ("Chemotherapy.", "exc-1.2"),
    ]
    # ... and so does one among the bullets under a topic's bare announcement
    text = (
        "Exclusion Criteria\r\n\r\nPrior Medication: Excluded:\r\n\r\n  -  Other experimental medications.\r\n\r\n"
        "  -  Excluded within 60 days of study entry:\r\n\r\n  -  Antiretroviral drugs.\r\n\r\n"
        "  -  Excluded within 120 days of study entry:\r\n\r\n  -  Systemic corticosteroids.\r\n"
    )
    found = _parents(text)
    assert found["exc-1.1"] == ("Other experimental medications.", "exc-1")
    assert found["exc-1.2.1"] == ("Antiretroviral drugs.", "exc-1.2")
    assert found["exc-1.3.1"] == ("Systemic corticosteroids.", "exc-1.3")


def test_bullets_going_on_in_lower_case_under_a_bulleted_lead_in_are_its_sub_items() -> None:
    text = (
        "Inclusion Criteria:\n\n* Participants must have NSCLC.\n* Participants in all parts of the study must have:\n"
        "* measurable disease per RECIST v1.1\n* a life expectancy of at least 3 months\n"
        "* Signed informed consent\n"
    )
    found = _parents(text)
    assert found["inc-2.1"] == ("measurable disease per RECIST v1.1", "inc-2")
    assert found["inc-2.2"] == ("a life expectancy of at least 3 months", "inc-2")
    assert found["inc-3"] == ("Signed informed consent", None)


def test_a_bulleted_statement_that_the_criteria_follow_is_a_lead_in_not_a_criterion() -> None:
    text = "Inclusion Criteria:\n\n- The inclusion criteria are as follows:\n\n1. patients aged 18 to 40.\n2. patients with DOR.\n"
    found = _parents(text)
    assert found["inc-1"] == ("patients aged 18 to 40.", None)
    assert found["inc-2"] == ("patients with DOR.", None)


def test_a_lead_in_sentence_closed_by_a_full_stop_is_no_criterion() -> None:
    text = (
        "-  INCLUSION CRITERIA:\n\nPatients must meet all of the following eligibility criteria.\n\n"
        "Stage III or IV lymphoma.\n\nPatients must be HIV negative.\n"
    )
    found = _parents(text)
    assert found["inc-1"] == ("Stage III or IV lymphoma.", None)
    assert found["inc-2"] == ("Patients must be HIV negative.", None)


def test_a_pdq_topic_label_without_its_colon_heads_its_bullets() -> None:
    text = (
        "PATIENT CHARACTERISTICS:\r\n\r\nAge\r\n\r\n  -  18 and over\r\n\r\nOther\r\n\r\n"
        "  -  Not pregnant or nursing\r\n\r\n  -  At least 24 hours since any of the following:\r\n\r\n"
        "       -  Beta blockers\r\n\r\nPRIOR CONCURRENT THERAPY:\r\n\r\nSurgery\r\n\r\n  -  Not specified\r\n"
    )
    found = _parents(text)
    assert found["inc-1.1"] == ("Age\r\n\r\n  -  18 and over", "inc-1")
    assert found["inc-1.2.1"] == ("Not pregnant or nursing", "inc-1.2")
    assert found["inc-1.2.2.1"] == ("Beta blockers", "inc-1.2.2")
    assert found["inc-2.1"] == ("Surgery\r\n\r\n  -  Not specified", "inc-2")
    headings = {c.id: c.heading for c in layout.flatten(layout.analyse(text).criteria)}
    assert text[slice(*headings["inc-1.2"])] == "Other"
    # a line that is no PDQ topic stays a criterion of its own
    assert _parents("PATIENT CHARACTERISTICS:\r\n\r\nNo asthma\r\n\r\n  -  Not pregnant\r\n")["inc-1.1"] == (
        "No asthma",
        "inc-1",
    )


def test_a_stray_stop_after_a_header_is_no_criterion() -> None:
    found = _parents("Inclusion Criteria:\n\n1. Age 40-70 years.\n\nExclusion Criteria:.\n\n1. Psychogenic ED.\n")
    assert [t for t, _ in found.values()] == ["Age 40-70 years.", "Psychogenic ED."]
    # (a line that only starts with the word is no header: "...is not an\n exclusion).")
    text = "Exclusion Criteria:\n\n  -  Cancer (basal carcinoma is not an\n     exclusion).\n  -  Surgery.\n"
    assert _parents(text)["exc-1"][0] == "Cancer (basal carcinoma is not an\n     exclusion)."


def test_a_run_on_sex_value_ends_before_the_next_pdq_label() -> None:
    text = "PATIENT CHARACTERISTICS: Age: 18 and over Sex: Female Menopausal status: Not specified\r\nPerformance status: ECOG 0-1"
    found = [t for t, _ in _parents(text).values()]
    assert "Sex: Female" in found and "Menopausal status: Not specified" in found


def test_a_sex_word_starts_no_clause_outside_a_pdq_label() -> None:
    found = [
        t
        for t, _ in _parents(
            "Inclusion Criteria:\n\n* Males 25-65\n* Male Patients with ED (IIEF-5 ) Score > 13\n"
        ).values()
    ]
    assert found == ["Males 25-65", "Male Patients with ED (IIEF-5 ) Score > 13"]


def test_a_capitalised_name_after_known_stays_in_its_run_on_clause() -> None:
    # NCT00003614, a run-on PDQ listing: "... No active angina pectoris No known New York Heart
    # Association class II-IV\r\nheart disease No history of ..."
    text = read_source(ROOT / "corpus" / "NCT00003614" / "criteria.txt")
    found = [t for t, _ in _parents(text).values()]
    assert "No known New York Heart Association class II-IV\r\nheart disease" in found
    assert "No known" not in found


def test_an_inline_list_item_wrapped_to_the_start_of_a_line_goes_on_the_list() -> None:
    # NCT00003204 (legacy XML, hard-wrapped): "3)" starts a line only because the line wrapped there
    text = (
        "Inclusion Criteria:\r\n\r\n  -  No evidence of a previous or concurrent malignancy, with the exception of 1) treated"
        "\r\n     carcinoma in situ of the cervix, 2) treated squamous cell or basal cell skin cancer OR\r\n"
        "     3) any other surgically cured malignancy from which the patient has been disease free\r\n"
        "     for at least 5 years\r\n\r\n  -  ECOG performance status 0-1"
    )
    found = {cid: (" ".join(t.split()), parent) for cid, (t, parent) in _parents(text).items()}
    assert found["inc-1.3"] == (
        "any other surgically cured malignancy from which the patient has been disease free for at least 5 years",
        "inc-1",
    )
    assert found["inc-2"] == ("ECOG performance status 0-1", None)
    assert len(found) == 5
    # a numbered list, one item to a line, stays one criterion to a line
    assert [t for t, _ in _parents("Inclusion Criteria:\n1) Age > 18\n2) Male\n3) BMI < 30").values()] == [
        "Age > 18",
        "Male",
        "BMI < 30",
    ]


def test_a_line_at_the_column_of_a_bulleted_lines_marker_goes_on_its_unfinished_sentence() -> None:
    # NCT00491634 (legacy XML): the lettered part's wrapped lines start at the column of its letter
    text = (
        "Inclusion Criteria:\r\n\r\n  1. Patients with one of the following:\r\n\r\n"
        "     A. acute myeloid leukemias (AML) according to WHO classification (> 20% myeloblasts in\r\n"
        "     peripheral blood or bone marrow at diagnosis).\r\n\r\n"
        "     B. myelodysplastic syndromes (MDS) according to WHO classification (< 20% myeloblasts\r\n"
        "     in peripheral blood and bone marrow at diagnosis), indicated for allogeneic\r\n     transplantation\r\n"
    )
    found = [" ".join(t.split()) for t, _ in _parents(text).values()]
    assert (
        "myelodysplastic syndromes (MDS) according to WHO classification (< 20% myeloblasts in peripheral blood "
        "and bone marrow at diagnosis), indicated for allogeneic transplantation"
    ) in found
    assert not any(t.startswith("in peripheral blood") for t in found)


def test_numbered_section_headers_are_headers() -> None:
    text = (
        "1. Inclusion Criteria\n\n   1. The subject is 21 years of age or older.\n   2. The subject has ED.\n"
        "2. Exclusion Criteria\n\n   1. The subject has a penile prosthesis.\n"
    )
    found = _parents(text)
    assert sorted(found) == ["exc-1", "inc-1", "inc-2"]
    assert found["exc-1"] == ("The subject has a penile prosthesis.", None)


def test_a_header_at_the_end_of_the_last_criterion_before_it_is_a_header() -> None:
    # a legacy record that lost the line break before its header: "... consent. Exclusion Criteria"
    text = (
        "Inclusion Criteria\r\n\r\n  -  Available for follow-up for at least 6 months.\r\n\r\n"
        "  -  Able to provide informed consent. Exclusion Criteria\r\n\r\n  -  Intractable diarrhea.\r\n"
    )
    found = _parents(text)
    assert sorted(found) == ["exc-1", "inc-1", "inc-2"]
    assert found["inc-2"][0] == "Able to provide informed consent."
    assert found["exc-1"][0] == "Intractable diarrhea."
    # ... also without a stop before it, where its capitals and colon say what it is
    text = "Inclusion Criteria:\n* Age 18 or older\n* Contraception for the duration of the study Exclusion Criteria:\n* HIV\n"
    found = _parents(text)
    assert sorted(found) == ["exc-1", "inc-1", "inc-2"]
    assert found["inc-2"][0] == "Contraception for the duration of the study"


def test_a_number_after_a_bullet_symbol_is_the_items_marker() -> None:
    text = "Inclusion Criteria:\n\n* 1)Age 20-60\n* 2)Presenting to the clinic\n* 3) history of low back pain\n"
    found = _parents(text)
    assert [found[k][0] for k in sorted(found)] == ["Age 20-60", "Presenting to the clinic", "history of low back pain"]
    # ... unless more numbered items follow on its line: they are the bullet's sub-items
    text = "Exclusion Criteria:\n\n* 1)lower extremity deficit, 2) infectious back pain. 3) spinal surgery\n"
    record = extractor.extract(text)
    assert [c["text"] for c in record["criteria"] if "." in c["id"]] == [
        "lower extremity deficit",
        "infectious back pain.",
        "spinal surgery",
    ]


def test_a_numbered_line_that_names_exclusion_is_no_header() -> None:
    found = _parents("Inclusion Criteria:\n1. Adults\n2. Exclusion of other causes of anaemia\n")
    assert found["inc-2"] == ("Exclusion of other causes of anaemia", None)


def test_the_criteria_before_a_pdq_paragraphs_first_label_are_its_own() -> None:
    text = (
        "PRIOR CONCURRENT THERAPY: At least 6 months since myeloablative therapy with bone marrow\r\n"
        "transplantation Recovered from toxic effects of prior therapy Biologic therapy: Not\r\n"
        "specified Chemotherapy: At least 3 weeks since chemotherapy Endocrine therapy: Not specified\r\n"
    )
    found = _parents(text)
    assert found["inc-1.1"] == (
        "At least 6 months since myeloablative therapy with bone marrow\r\ntransplantation",
        "inc-1",
    )
    assert found["inc-1.2"] == ("Recovered from toxic effects of prior therapy", "inc-1")
    assert found["inc-1.3"][0].startswith("Biologic therapy:")


def test_a_test_acronym_wrapped_before_its_limit_starts_a_run_on_criterion() -> None:
    # (hard-wrapped at 90 columns, as the legacy XML is)
    text = (
        "PATIENT CHARACTERISTICS: Age: No greater than 21 at diagnosis Performance status: 0-2 Life\r\n"
        "expectancy: At least 2 months Hepatic: Bilirubin no greater than 1.5 times normal AST/ALT\r\n"
        "less than 2.5 times normal Renal: Creatinine no greater than 1.5 times normal OR\r\n"
        "radioisotope GFR at least 70 mL/min\r\n"
    )
    found = _parents(text)
    hepatic = [v[0] for v in found.values() if v[1] == "inc-1.4"]
    assert hepatic == ["Bilirubin no greater than 1.5 times normal", "AST/ALT\r\nless than 2.5 times normal"]


def test_non_inclusion_criteria_are_exclusion_criteria() -> None:
    found = _parents("Inclusion Criteria:\n\n1. Adults\n\nNon-inclusion criteria:\n\n1. Angina pectoris;\n")
    assert found["exc-1"] == ("Angina pectoris;", None)


def test_a_cross_reference_before_a_pdq_paragraphs_first_label_stays_its_text() -> None:
    text = (
        "PRIOR CONCURRENT THERAPY: See Disease Characteristics No limit on the number of prior\r\n"
        "agents or regimens received Biologic therapy: Prior bone marrow transplantation allowed\r\n"
        "Chemotherapy: Recovered from prior chemotherapy Endocrine therapy: Not specified\r\n"
    )
    found = _parents(text)
    assert found["inc-1.1"] == ("No limit on the number of prior\r\nagents or regimens received", "inc-1")
    assert found["inc-1.2"][0].startswith("Biologic therapy:")


def test_an_actg_topic_announcing_the_subjects_it_excludes_heads_its_bullets() -> None:
    text = (
        "Exclusion Criteria\r\n\r\nCo-existing Condition:\r\n\r\n"
        "Subjects with the following conditions or symptoms are excluded:\r\n\r\n"
        "  -  Positive syphilis serology.\r\n\r\n  -  Circulating hepatitis B antigenemia.\r\n"
    )
    found = _parents(text)
    assert found["exc-1.1"] == ("Positive syphilis serology.", "exc-1")
    assert found["exc-1.2"] == ("Circulating hepatitis B antigenemia.", "exc-1")


def test_an_outline_numbered_section_header_is_a_header() -> None:
    found = _parents("Inclusion Criteria:\n\n1. Adults\n\nIII.6 EXCLUSION CRITERIA\n\n1. Pregnancy\n")
    assert found["exc-1"] == ("Pregnancy", None)


def test_a_lead_in_saying_what_participants_must_do_is_no_criterion() -> None:
    text = (
        "To be eligible to participate in the study, prospective participants must:\n\n"
        "1. Be 18 years of age or older;\n2. Have a smartphone;\n"
    )
    found = _parents(text)
    assert found["inc-1"] == ("Be 18 years of age or older;", None)
    assert found["inc-2"] == ("Have a smartphone;", None)


def test_bullets_numbered_in_roman_numerals_are_the_items_of_the_bullet_before() -> None:
    # a Markdown list that lost its nesting: "* i.", "* ii." under the bullet before them
    text = (
        "Inclusion Criteria:\n\n* Diagnosis of high-risk hematological malignancy. This includes:\n"
        "* i. High risk ALL in first complete remission (RC1);\n* ii. AML in RC2 or later;\n"
        "* Positive pre-transplant evaluation\n* i. Left ventricular ejection fraction > 40%;\n"
        "* ii. Bilirubin ≤ 3 times the upper limit of normal\n* Women of childbearing potential\n"
    )
    found = _parents(text)
    assert found["inc-1.1"] == ("High risk ALL in first complete remission (RC1)", "inc-1")
    assert found["inc-1.2"] == ("AML in RC2 or later", "inc-1")
    assert found["inc-2.1"] == ("Left ventricular ejection fraction > 40%", "inc-2")
    assert found["inc-2.2"] == ("Bilirubin ≤ 3 times the upper limit of normal", "inc-2")
    assert found["inc-3"] == ("Women of childbearing potential", None)


def test_after_a_bullet_lettered_h_an_i_is_the_next_letter() -> None:
    text = "Inclusion Criteria:\n\n* g. Seventh\n* h. Eighth\n* i. Ninth\n* j. Tenth\n"
    found = _parents(text)
    assert [found[k] for k in ("inc-3", "inc-4")] == [("i. Ninth", None), ("j. Tenth", None)]


def test_an_empty_bullet_and_a_sections_only_none_state_no_criterion() -> None:
    text = "Inclusion Criteria:\n\n* Adults\n* None of the above\n\nExclusion Criteria:\n\n* None\n\nExclusion Criteria:\n\n-"
    found = _parents(text)
    assert sorted(found) == ["inc-1", "inc-2"]
    assert found["inc-2"] == ("None of the above", None)
    unrecognised = [text[s:e] for s, e in layout.analyse(text).unrecognised]
    assert "None" in unrecognised and "-" in unrecognised


def test_circled_numbers_are_item_bullets() -> None:
    text = (
        "Exclusion Criteria:\n\n16. The subjects who had taken the following drugs\n\n"
        "    ① Nitrate donors\n\n    ② Androgens, trazodone\n\n17. The subjects who had retinitis pigmentosa"
    )
    found = layout.flatten(layout.analyse(text).criteria)
    assert [(text[c.start : c.end], c.parent is not None) for c in found if not c.children] == [
        ("Nitrate donors", True),
        ("Androgens, trazodone", True),
        ("The subjects who had retinitis pigmentosa", False),
    ]


def test_the_sentences_of_a_pdq_paragraph_are_its_criteria() -> None:
    # a legacy PDQ listing hard-wrapped at a fixed width, its criteria sentences run on in paragraphs
    path = Path(__file__).resolve().parents[1] / "corpus" / "NCT00005072" / "criteria.txt"
    text = path.read_text(encoding="utf-8")
    found = layout.flatten(layout.analyse(text).criteria)
    leaves = [" ".join(text[c.start : c.end].split()) for c in found if not c.children]
    assert leaves[:3] == [
        "Histologically proven locally recurrent organ-confined prostate cancer after external beam "
        "radiotherapy, radiation seed implants, or cryosurgery.",
        "Gleason score of at least 6.",
        "Prostate specific antigen values (PSA) of at least 1.0 ng/mL with 2 consecutive rises in PSA at "
        "least 2 weeks apart, of which the second increase is greater than the first, after achieving a nadir.",
    ]
    # (a unit's capital before the period ends a sentence too)
    assert "Albumin greater than 3 g/dL." in leaves


def test_the_items_a_pdq_lead_in_announces_are_its_sub_items() -> None:
    # "... of one of the following histologies: Serous adenocarcinoma Endometrioid adenocarcinoma ...":
    # each item is a sub-item of the lead-in, which stays a criterion of the paragraph
    path = Path(__file__).resolve().parents[1] / "corpus" / "NCT00002600" / "criteria.txt"
    text = path.read_text(encoding="utf-8")
    found = layout.flatten(layout.analyse(text).criteria)
    (lead,) = [c for c in found if text[c.start : c.end].startswith("Histologically confirmed advanced ovarian")]
    assert [" ".join(text[c.start : c.end].split()) for c in lead.children][:3] == [
        "Serous adenocarcinoma",
        "Endometrioid adenocarcinoma",
        "Mucinous adenocarcinoma",
    ]


def test_initials_end_no_sentence_of_a_pdq_paragraph() -> None:
    # "Pathology reviewed at M.D. Anderson Cancer Center": the point after initials ends no sentence
    path = Path(__file__).resolve().parents[1] / "corpus" / "NCT00002524" / "criteria.txt"
    text = path.read_text(encoding="utf-8")
    found = layout.flatten(layout.analyse(text).criteria)
    leaves = [" ".join(text[c.start : c.end].split()) for c in found if not c.children]
    assert "Pathology reviewed at M.D. Anderson Cancer Center" in leaves


def test_the_labelled_values_of_a_scale_are_no_numbered_items() -> None:
    text = (
        "Inclusion Criteria:\n\n1. Screening IPSS QoL must be 4-6: Delighted (0), Pleased (1), Mostly "
        "Satisfied (2), Mixed (3)\n2. Men at least 40 years of age"
    )
    found = layout.flatten(layout.analyse(text).criteria)
    assert [c.children for c in found] == [[], []]


@pytest.mark.parametrize(
    ("line", "criterion", "note"),
    [
        (
            "patients who have signed an informed consent form. Patients who meet all five criteria will be eligible for this study.",
            "patients who have signed an informed consent form.",
            "Patients who meet all five criteria will be eligible for this study.",
        ),
        (
            "Patients who refuse to sign the consent form. Patients who meet any of the above criteria will be excluded.",
            "Patients who refuse to sign the consent form.",
            "Patients who meet any of the above criteria will be excluded.",
        ),
        # a criterion that names criteria it is about is no note
        ("Anxiety. Patients who meet DSM-IV criteria for depression will be excluded.", None, None),
    ],
)
def test_a_note_closing_a_criterion_s_line_is_cut_off_and_reported(
    line: str, criterion: str | None, note: str | None
) -> None:
    text = f"Inclusion Criteria:\n1. Age over 18 years\n2. {line}\n"
    record = extractor.extract(text)
    texts = [c["text"] for c in record["criteria"]]
    unparsed = [u["text"] for u in record["unparsed"]]
    if criterion is None:
        assert texts[-1] == line and not unparsed
    else:
        assert texts[-1] == criterion
        assert unparsed == [note]


_PDQ_LABELS = (
    "DISEASE CHARACTERISTICS:\n  -  Histologically confirmed carcinoma of the liver\n\n"
    "PATIENT CHARACTERISTICS:\n\nAge:\n  -  18 and over\n\nLife expectancy:\n  -  Not specified\n\n"
    "Hepatic:\n  -  Bilirubin less than 3 mg/dL\n\nRenal:\n  -  Creatinine no greater than 3.0 mg/dL\n\n"
    "PRIOR CONCURRENT THERAPY:\n\nBiologic therapy:\n  -  Not specified\n\nRadiotherapy:\n  -  See Disease Characteristics\n"
)


def test_pdq_labels_name_what_the_golds_read_in_them() -> None:
    # a group's label names nothing ("PATIENT" is no Person); an organ system's label is a Measurement
    # of its function; a treatment by a class of drugs is a Drug; "Not specified" negates nothing
    record = extractor.extract(_PDQ_LABELS)
    ents = {(e["text"], e["type"], e.get("normalized")) for c in record["criteria"] for e in c["entities"]}
    texts = {t for t, _, _ in ents}
    assert not texts & {"DISEASE", "PATIENT", "PRIOR", "CONCURRENT", "THERAPY", "CHARACTERISTICS", "See Disease"}
    assert not any("Disease" in t for t in texts)  # a cross-reference names nothing
    assert ("Hepatic", "Measurement", "hepatic function") in ents
    assert ("Renal", "Measurement", "renal function") in ents
    assert any(t == "Biologic therapy" and ty == "Drug" for t, ty, _ in ents)
    assert not any(ty == "Negation" for _, ty, _ in ents)


@pytest.mark.parametrize(
    ("heading", "group"),
    [("PATIENT CHARACTERISTICS", True), ("--Disease Characteristics--", True), ("IIEF-ED", False), ("Hepatic", False)],
)
def test_a_group_heading_is_a_pdq_group_label_of_more_than_one_word(heading: str, group: bool) -> None:
    from extractor.layout import is_group_heading

    assert is_group_heading(heading) is group


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        # a pregnancy state carries no assertion (the guide's Pregnancy_considerations): the logic denies it
        ("Not pregnant or nursing", "not(any(pregnant, nursing))"),
        ("Not pregnant", "not(pregnant)"),
        ("Pregnant or nursing women", "any(Pregnant, nursing)"),
        # a word the golds mark alone is a leaf too
        ("Willing and able to give informed consent", "all(Willing, able, informed consent)"),
    ],
)
def test_logic_over_pregnancy_states_and_guide_words(text: str, tree: str) -> None:
    (crit,) = extractor.extract(f"Inclusion Criteria:\n{text}\n")["criteria"]
    names = {e["id"]: e["text"] for e in crit["entities"]}
    assert _tree(crit["logic"], names) == tree
    if tree.startswith("not"):  # the logic says it: no negated assertion beside it
        assert all("assertion" not in e for e in crit["entities"] if e["type"] == "Pregnancy_considerations")
