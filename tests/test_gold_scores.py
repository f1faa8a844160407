"""The extractor against the hand-curated golds: the bundled trial (thresholds from the foundation
issue) and four more trials from the registry samples."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

import extractor
from extractor.evaluate import evaluate
from extractor.validate import iter_errors

from .conftest import ROOT, read_source

THRESHOLDS = {
    "segmentation": 0.90,
    "entities_overlap": 0.90,
    "constraints": 0.95,
    "windows": 0.95,
}


@pytest.mark.parametrize(("category", "minimum"), sorted(THRESHOLDS.items()))
def test_f1_against_gold(record: dict[str, Any], gold: dict[str, Any], category: str, minimum: float) -> None:
    score = evaluate(record, gold).categories[category]
    misses = [m.description for m in score.misses][:10]
    fps = [f.description for f in score.false_positives][:10]
    assert score.f1 >= minimum, f"{category} F1 {score.f1:.3f} < {minimum}; misses {misses}; false positives {fps}"


def test_gold_against_itself_is_perfect(gold: dict[str, Any]) -> None:
    report = evaluate(gold, gold)
    assert all(s.f1 == 1.0 for s in report.categories.values())


# Four more trials, curated and reviewed by readers who never saw the extractor's output
# (corpus/<id>/CURATION.md). The floors guard against regression: each sits a little under the F1
# measured when the floor was set (README "Four more trials"), which is itself far from the bundled trial's.
OTHER_TRIALS = {
    "NCT01117038": {
        "segmentation": 0.95,
        "entities_overlap": 0.68,
        "constraints": 0.78,
        "windows": 0.85,
        "drugs": 0.65,
    },
    "NCT00657644": {
        "segmentation": 0.85,
        "entities_overlap": 0.75,
        "constraints": 0.70,
        "windows": 0.75,
        "drugs": 0.85,
    },
    "NCT00495144": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.80,
        "windows": 0.80,
        "drugs": 0.60,
    },
    "NCT06097962": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.65,
        "windows": 0.85,
        "drugs": 0.60,
    },
    # an NCI PDQ listing from the legacy XML: run-on criteria under labels, no Inclusion/Exclusion
    # headers ("At least 4 weeks since prior chemotherapy" is counted back from the index date in
    # this gold, from the chemotherapy here: the windows' floor says so)
    "NCT00004216": {
        "segmentation": 0.95,
        "entities_overlap": 0.72,
        "constraints": 0.90,
        "windows": 0.20,
        "drugs": 0.60,
    },
    "NCT04886388": {
        "segmentation": 0.90,
        "entities_overlap": 0.62,
        "constraints": 0.45,
        "windows": 0.85,
        "drugs": 0.70,
    },
    "NCT06791122": {
        "segmentation": 0.95,
        "entities_overlap": 0.55,
        "constraints": 0.40,
        "windows": 0.95,
        "drugs": 0.90,
    },
    # lay-language bullets under lead-in sentences ("Patients may be eligible for this study if they:")
    "NCT00001132": {
        "segmentation": 0.95,
        "entities_overlap": 0.62,
        "constraints": 0.45,
        "windows": 0.65,
        "drugs": 0.50,
    },
    "NCT00490802": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.33,
        "windows": 0.85,
        "drugs": 0.90,
    },
    "NCT05712278": {
        "segmentation": 0.95,
        "entities_overlap": 0.57,
        "constraints": 0.50,
        "windows": 0.60,
        "drugs": 0.55,
    },
    "NCT00497146": {
        "segmentation": 0.95,
        "entities_overlap": 0.72,
        "constraints": 0.75,
        "windows": 0.55,
        "drugs": 0.85,
    },
    # nested Markdown lists under bulleted lead-in sentences; frequencies ("4-14 migraine days per
    # month") the rules do not read
    "NCT05853900": {
        "segmentation": 0.95,
        "entities_overlap": 0.58,
        "constraints": 0.10,
        "windows": 0.85,
        "drugs": 0.60,
    },
    "NCT03566914": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.50,
        "windows": 0.33,
        "drugs": 0.65,
    },
    # inclusion criteria under labels the header pattern does not know ("Demographic characteristics:"),
    # before "Exclusion Criteria:"; age range in two time units
    "NCT05397184": {
        "segmentation": 0.95,
        "entities_overlap": 0.55,
        "constraints": 0.48,
        "windows": 0.25,
        "drugs": 0.40,
    },
    # laboratory thresholds with powers of ten written without superscript, a range of ULN multiples
    "NCT01852578": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.78,
        "windows": 0.78,
        "drugs": 0.75,
    },
    "NCT00461734": {
        "segmentation": 0.95,
        "entities_overlap": 0.62,
        "constraints": 0.95,
        # ("Patients following junctional ablation": a window after the ablation the gold leaves out)
        "windows": 0.90,
        "drugs": 0.95,
    },
    # scores on named questionnaires in brackets ("(≥5 on the Short Portable Mental Status Questionnaire)")
    "NCT01996852": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.75,
        "windows": 0.50,
        "drugs": 0.75,
    },
    "NCT05240586": {
        "segmentation": 0.95,
        "entities_overlap": 0.72,
        "constraints": 0.75,
        "windows": 0.85,
        "drugs": 0.85,
    },
    # an NIH listing without headers: paragraphs, a lead-in, a sentence broken by a blank line
    "NCT00001272": {
        "segmentation": 0.93,
        "entities_overlap": 0.72,
        "constraints": 0.80,
        "windows": 0.30,
    },
    # nested lists whose numbering was lost, a table of creatinine limits by age and sex on one line
    "NCT02650414": {
        "segmentation": 0.70,
        "entities_overlap": 0.68,
        "constraints": 0.45,
        "windows": 0.40,
        "drugs": 0.55,
    },
    "NCT02794454": {
        "segmentation": 0.95,
        "entities_overlap": 0.80,
        "constraints": 0.50,
        "windows": 0.25,
        "drugs": 0.95,
    },
    # an NCI PDQ listing with "See Disease Characteristics" cross-references
    "NCT00003574": {
        "segmentation": 0.90,
        "entities_overlap": 0.65,
        "constraints": 0.55,
        "windows": 0.60,
        "drugs": 0.45,
    },
    # a ULN limit with an alternative after "- or", an allowance "until 24 hours prior"
    "NCT04874480": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.95,
        "windows": 0.40,
        # (this gold and the next give "chemotherapy" no drug record, where 33 of 35 in the golds do)
        "drugs": 0.60,
    },
    # translated English, a nested numbered list
    "NCT05739630": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.85,
        "windows": 0.95,
        "drugs": 0.80,
    },
    # an old NIH listing with inline "--Topic--" markers
    "NCT00004392": {
        "segmentation": 0.75,
        "entities_overlap": 0.70,
        "constraints": 0.60,
        "windows": 0.30,
        "drugs": 0.80,
    },
    # semicolon-separated exclusions per cohort
    "NCT01054430": {
        "segmentation": 0.95,
        "entities_overlap": 0.80,
        "constraints": 0.80,
        "windows": 0.95,
        "drugs": 0.65,
    },
    # ranges, a condition's duration range, a washout
    "NCT06299332": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.95,
        "windows": 0.70,
        "drugs": 0.90,
    },
    # an NCI PDQ listing with TNM stage lists
    "NCT00003342": {
        "segmentation": 0.85,
        "entities_overlap": 0.65,
        "constraints": 0.90,
        "windows": 0.45,
    },
    # lead-in sentences before each list
    "NCT04501120": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.65,
        "windows": 0.85,
        "drugs": 0.30,
    },
    # a bullet nested under an item that ends with a full stop
    "NCT05463224": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.50,
        "windows": 0.55,
        "drugs": 0.60,
    },
    # counts of joints, ESR in mm/hr, a normal range in brackets
    "NCT00461448": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.60,
        "windows": 0.95,
        "drugs": 0.70,
    },
    # paragraphs, blast percentages in marrow or blood
    "NCT05464836": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.80,
        "windows": 0.75,
        "drugs": 0.95,
    },
    # translated English, windows before receiving the study product
    "NCT05519384": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.70,
        "windows": 0.50,
        "drugs": 0.95,
    },
    # bulleted legacy XML, drugs with doses
    "NCT00461630": {
        "segmentation": 0.85,
        "entities_overlap": 0.75,
        "constraints": 0.65,
        "windows": 0.80,
        "drugs": 0.70,
    },
    "NCT05421624": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.45,
        "windows": 0.60,
        "drugs": 0.95,
    },
    "NCT03937544": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.65,
        "windows": 0.60,
        "drugs": 0.20,
    },
    "NCT00004030": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.95,
        "windows": 0.95,
        "drugs": 0.80,
    },
    "NCT00124774": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.35,
        "windows": 0.95,
        "drugs": 0.60,
    },
    "NCT06028984": {
        "segmentation": 0.95,
        "entities_overlap": 0.45,
        "constraints": 0.75,
        "windows": 0.95,
        "drugs": 0.95,
    },
    "NCT00006276": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.85,
        "windows": 0.75,
        "drugs": 0.70,
    },
    "NCT01190904": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.30,
        "windows": 0.75,
        "drugs": 0.60,
    },
    "NCT04571138": {
        "segmentation": 0.95,
        "entities_overlap": 0.55,
        "constraints": 0.85,
        "windows": 0.60,
        "drugs": 0.30,
    },
    "NCT00460590": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.55,
        "windows": 0.20,
        "drugs": 0.55,
    },
    "NCT00770042": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.95,
        "windows": 0.85,
        "drugs": 0.70,
    },
    "NCT05366842": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.50,
        "windows": 0.15,
        "drugs": 0.05,
    },
    "NCT00000800": {
        "segmentation": 0.90,
        "entities_overlap": 0.80,
        "constraints": 0.95,
        "windows": 0.95,
        "drugs": 0.90,
    },
    "NCT06221670": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.70,
        "windows": 0.60,
        "drugs": 0.75,
    },
    "NCT05486312": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.25,
        "windows": 0.95,
        "drugs": 0.75,
    },
    "NCT00493402": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.80,
    },
    "NCT05071482": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.90,
        "windows": 0.70,
        "drugs": 0.45,
    },
    "NCT05868668": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.70,
        "windows": 0.35,
        "drugs": 0.75,
    },
    "NCT00461240": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.95,
        "windows": 0.75,
        "drugs": 0.55,
    },
    "NCT04771442": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.60,
        "windows": 0.60,
        "drugs": 0.75,
    },
    "NCT04811560": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.70,
        "windows": 0.75,
        "drugs": 0.35,
    },
    "NCT00000634": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.95,
        "windows": 0.55,
        "drugs": 0.70,
    },
    "NCT03670628": {
        "segmentation": 0.95,
        "entities_overlap": 0.80,
        "constraints": 0.80,
        "windows": 0.90,
        "drugs": 0.75,
    },
    "NCT02446808": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.80,
        "windows": 0.80,
    },
    "NCT00003088": {
        "segmentation": 0.90,
        "entities_overlap": 0.70,
        "constraints": 0.65,
        "windows": 0.65,
        "drugs": 0.80,
    },
    "NCT05589896": {
        "segmentation": 0.95,
        "entities_overlap": 0.55,
        "constraints": 0.70,
        "windows": 0.95,
        "drugs": 0.50,
    },
    "NCT02652234": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.80,
        "windows": 0.95,
    },
    "NCT00005954": {
        "segmentation": 0.85,
        "entities_overlap": 0.70,
        "constraints": 0.80,
        "windows": 0.95,
        "drugs": 0.55,
    },
    # round 20: translated, "1. . Allergies", grades written "CTC ≥ 2 grade diarrhea"
    "NCT03801200": {
        "segmentation": 0.95,
        "entities_overlap": 0.80,
        "constraints": 0.85,
        "windows": 0.95,
    },
    # windows of unstated length "before starting the study", a biopsy's result
    "NCT04762082": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.75,
        "windows": 0.95,
        "drugs": 0.75,
    },
    # classification criteria as questions under group labels (counts of items met not read)
    "NCT00001852": {
        "segmentation": 0.75,
        "entities_overlap": 0.55,
        "windows": 0.95,
    },
    # round 21: haemodynamic and angiographic limits
    "NCT05362994": {
        "segmentation": 0.95,
        "entities_overlap": 0.80,
        "constraints": 0.85,
        "windows": 0.95,
        "drugs": 0.95,
    },
    # a duration and its event written apart ("At least six weeks of ... prior to surgery")
    "NCT04188236": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.70,
        "windows": 0.95,
        "drugs": 0.90,
    },
    # an NCI PDQ listing: group labels in capitals, topics over one bullet
    "NCT00006390": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.65,
        "windows": 0.95,
        "drugs": 0.75,
    },
    # round 22: Doppler thresholds with full-width brackets
    "NCT02745808": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.85,
        "windows": 0.95,
    },
    # "* •" bullets, a score before its scale
    "NCT05877144": {
        "segmentation": 0.95,
        "entities_overlap": 0.55,
        "constraints": 0.60,
        "windows": 0.85,
    },
    # ACTG topics over paragraphs with no bullet, results of cultures and antigens
    "NCT00002230": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.55,
        "windows": 0.70,
        "drugs": 0.65,
    },
    # round 23: translated, ULN multiples, antiplatelet doses
    "NCT05164042": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.85,
        "windows": 0.95,
        "drugs": 0.85,
    },
    # maximum doses in brackets, a partner section
    "NCT01130532": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.95,
        "windows": 0.65,
        "drugs": 0.85,
    },
    # paragraphs with no bullets, the MDRD equation named
    "NCT00004990": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.60,
        "windows": 0.75,
        "drugs": 0.50,
    },
    # round 24: every exclusion written "No ...", statin doses
    "NCT03830164": {
        "segmentation": 0.95,
        "entities_overlap": 0.85,
        # (0.842 since session 23: "Normal testosterone ..., defined as testosterone > 150 ng/dl" is no
        # longer also a result "normal", testosterone being no test word; the gold keeps both)
        "constraints": 0.80,
        "windows": 0.95,
        "drugs": 0.75,
    },
    # "(PHQ-8 >= 5)", "if under 18"
    "NCT05351866": {
        "segmentation": 0.95,
        "entities_overlap": 0.45,
        "constraints": 0.40,
        "windows": 0.85,
    },
    # title-case label lines with no colon over bullets
    "NCT00462488": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "windows": 0.75,
        "drugs": 0.70,
    },
    # round 25: translated, weights by sex, a list of tests with "positive" after the last
    "NCT06090136": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.20,
        "windows": 0.95,
        "drugs": 0.35,
    },
    # criteria run on inside bullets after ".- "
    "NCT00661700": {
        "segmentation": 0.95,
        "entities_overlap": 0.80,
        "constraints": 0.95,
        "windows": 0.80,
        "drugs": 0.80,
    },
    # "--Disease Characteristics--" topics, "Two or more of the following"
    "NCT00004494": {
        "segmentation": 0.90,
        "entities_overlap": 0.75,
        "constraints": 0.60,
        "windows": 0.95,
        "drugs": 0.75,
    },
    # round 26: healthy men, windows from the administration of the study drug
    "NCT06324006": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.45,
        "windows": 0.55,
        "drugs": 0.75,
    },
    # nested bullets under lead-ins, "14 days must have elapsed since ..."
    "NCT03826992": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.50,
        "windows": 0.95,
        "drugs": 0.80,
    },
    # a PDQ listing with topic labels over bullets
    "NCT00006256": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.90,
        "windows": 0.95,
        "drugs": 0.90,
    },
    # round 27: translated, organs listed before "disease", "#3 months"
    "NCT05901974": {
        "segmentation": 0.95,
        "entities_overlap": 0.80,
        "constraints": 0.70,
        "windows": 0.95,
        "drugs": 0.60,
    },
    # healthy volunteers, "Positive HIV-I.", "the trials starting date"
    "NCT04170790": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.45,
        "windows": 0.95,
        "drugs": 0.75,
    },
    # bullets headed "DONOR:", "stage II or III multiple myeloma"
    "NCT00003954": {
        "segmentation": 0.90,
        "entities_overlap": 0.55,
        "constraints": 0.75,
        "windows": 0.30,
        "drugs": 0.85,
    },
    # round 28: stages with bracketed glosses, numbered items under a lead-in
    "NCT05693090": {
        "segmentation": 0.90,
        "entities_overlap": 0.75,
        "constraints": 0.70,
        "windows": 0.80,
        "drugs": 0.40,
    },
    # translated, Doppler values written loosely
    "NCT02579148": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.70,
        "windows": 0.95,
        "drugs": 0.60,
    },
    # ACTG topics with "Required:" and "Allowed:"
    "NCT00002444": {
        "segmentation": 0.90,
        "entities_overlap": 0.65,
        "constraints": 0.45,
        "windows": 0.90,
        "drugs": 0.70,
    },
    # round 29: translated, washouts before the first dose
    "NCT06844474": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.60,
        "windows": 0.95,
    },
    # "at least age of 30 to 65", "Negative urinalysis within 30 days prior to date of surgery"
    "NCT05081232": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.95,
        "windows": 0.90,
        "drugs": 0.90,
    },
    # a PDQ listing in run-on paragraphs with inline topics
    "NCT00003760": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.90,
        "windows": 0.85,
        "drugs": 0.80,
    },
    "NCT04402008": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.95,
        "windows": 0.85,
        "drugs": 0.70,
    },
    "NCT00855582": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.95,
        "windows": 0.95,
        "drugs": 0.80,
    },
    "NCT00002498": {
        "segmentation": 0.90,
        "entities_overlap": 0.70,
        "constraints": 0.85,
        "windows": 0.95,
        "drugs": 0.95,
    },
    "NCT00090376": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.50,
        "windows": 0.75,
        "drugs": 0.70,
    },
    "NCT01885988": {
        "segmentation": 0.90,
        "entities_overlap": 0.65,
        "constraints": 0.30,
        "windows": 0.35,
        "drugs": 0.70,
    },
    "NCT00001442": {
        "segmentation": 0.90,
        "entities_overlap": 0.65,
        "constraints": 0.85,
        "drugs": 0.60,
    },
    "NCT02609854": {
        "segmentation": 0.95,
        "entities_overlap": 0.55,
        "constraints": 0.50,
        "windows": 0.80,
        "drugs": 0.75,
    },
    "NCT06301854": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.85,
        "windows": 0.75,
        "drugs": 0.85,
    },
    "NCT00006042": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.65,
        "windows": 0.45,
        "drugs": 0.60,
    },
    "NCT02746094": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.85,
        "windows": 0.70,
        "drugs": 0.75,
    },
    "NCT00142506": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.95,
        "windows": 0.80,
        "drugs": 0.95,
    },
    "NCT00005764": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.40,
        "windows": 0.80,
        "drugs": 0.80,
    },
    "NCT06264414": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.65,
        "windows": 0.90,
        "drugs": 0.85,
    },
    "NCT04801368": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.75,
        "windows": 0.20,
        "drugs": 0.50,
    },
    "NCT00000832": {
        "segmentation": 0.90,
        "entities_overlap": 0.70,
        "constraints": 0.35,
        "windows": 0.65,
        "drugs": 0.55,
    },
    "NCT04424394": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.95,
        "windows": 0.95,
        "drugs": 0.95,
    },
    "NCT00379756": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.65,
        "windows": 0.75,
        "drugs": 0.75,
        "sub_items": 0.95,
    },
    "NCT00005838": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.80,
        "windows": 0.95,
        "drugs": 0.65,
        "sub_items": 0.95,
    },
    "NCT05316428": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.65,
        "windows": 0.75,
        "drugs": 0.10,
    },
    "NCT01698684": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.75,
        "windows": 0.95,
        "drugs": 0.70,
        "sub_items": 0.95,
    },
    "NCT00002018": {
        "segmentation": 0.85,
        "entities_overlap": 0.60,
        "constraints": 0.40,
        "windows": 0.95,
        "drugs": 0.85,
        "sub_items": 0.80,
    },
    "NCT03843086": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.95,
        "windows": 0.95,
        "drugs": 0.95,
    },
    "NCT04833270": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.95,
        "windows": 0.75,
        "drugs": 0.95,
    },
    "NCT00003588": {
        "segmentation": 0.90,
        "entities_overlap": 0.70,
        "constraints": 0.90,
        "windows": 0.70,
        "drugs": 0.60,
        "sub_items": 0.95,
    },
    "NCT00833638": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.95,
        "windows": 0.90,
        "drugs": 0.80,
    },
    "NCT05756972": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.85,
        "windows": 0.85,
        "drugs": 0.60,
    },
    "NCT00463008": {
        "segmentation": 0.90,
        "entities_overlap": 0.75,
        "constraints": 0.95,
        "windows": 0.85,
        "drugs": 0.80,
        "sub_items": 0.95,
    },
    "NCT05647226": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.40,
        "windows": 0.75,
        "drugs": 0.85,
    },
    "NCT06152146": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.80,
        "windows": 0.85,
        "drugs": 0.80,
    },
    "NCT00004164": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.90,
        "windows": 0.60,
        "drugs": 0.60,
        "sub_items": 0.95,
    },
    "NCT03113786": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.85,
        "windows": 0.95,
        "drugs": 0.95,
    },
    "NCT02398370": {
        "segmentation": 0.85,
        "entities_overlap": 0.65,
        "constraints": 0.70,
        "windows": 0.50,
        "drugs": 0.55,
    },
    "NCT00496236": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.65,
        "windows": 0.80,
        "drugs": 0.65,
        "sub_items": 0.95,
    },
    "NCT02943356": {
        "segmentation": 0.85,
        "entities_overlap": 0.65,
        "constraints": 0.65,
        "windows": 0.95,
        "drugs": 0.50,
        "sub_items": 0.95,
    },
    "NCT03177746": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.45,
        "windows": 0.95,
        "drugs": 0.80,
    },
    "NCT00002974": {
        "segmentation": 0.85,
        "entities_overlap": 0.75,
        "constraints": 0.80,
        "windows": 0.80,
        "drugs": 0.90,
        "sub_items": 0.90,
    },
    "NCT00693056": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.75,
        "windows": 0.85,
        "drugs": 0.80,
        "sub_items": 0.95,
    },
    "NCT05363644": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.50,
        "windows": 0.85,
        "drugs": 0.95,
        "sub_items": 0.95,
    },
    "NCT00000736": {
        "segmentation": 0.85,
        "entities_overlap": 0.55,
        "constraints": 0.20,
        "windows": 0.85,
        "drugs": 0.60,
        "sub_items": 0.70,
    },
    "NCT00421460": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.60,
        "windows": 0.60,
        "drugs": 0.80,
        "sub_items": 0.95,
    },
    "NCT00734604": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.45,
        "windows": 0.80,
        "drugs": 0.85,
    },
    "NCT00007332": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.60,
        "windows": 0.65,
        "drugs": 0.85,
    },
    "NCT04050020": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.40,
        "windows": 0.75,
        "drugs": 0.80,
    },
    "NCT00005830": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.75,
        "windows": 0.95,
        "drugs": 0.95,
        "sub_items": 0.70,
    },
    "NCT00004048": {
        "segmentation": 0.90,
        "entities_overlap": 0.65,
        "constraints": 0.80,
        "windows": 0.70,
        "drugs": 0.60,
        "sub_items": 0.95,
    },
    "NCT02945462": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.65,
        "windows": 0.75,
        "drugs": 0.70,
    },
    "NCT03156790": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.95,
        "windows": 0.50,
        "drugs": 0.30,
    },
    "NCT00001512": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.70,
        "windows": 0.95,
        "drugs": 0.95,
    },
    "NCT03751280": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.75,
        "windows": 0.85,
        "drugs": 0.75,
    },
    "NCT01423370": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.55,
        "windows": 0.80,
        "drugs": 0.85,
    },
    "NCT00003620": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.55,
        "windows": 0.20,
        "drugs": 0.75,
        "sub_items": 0.95,
    },
    "NCT03039218": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.75,
        "windows": 0.65,
        "drugs": 0.90,
    },
    "NCT00006268": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.75,
        "windows": 0.80,
        "drugs": 0.95,
        "sub_items": 0.85,
    },
    "NCT00002600": {
        "segmentation": 0.80,
        "entities_overlap": 0.70,
        "constraints": 0.80,
        "windows": 0.95,
        "drugs": 0.95,
        "sub_items": 0.75,
    },
    "NCT01419236": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.85,
        "windows": 0.95,
        "drugs": 0.95,
    },
    "NCT00005602": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.85,
        "windows": 0.75,
        "drugs": 0.60,
        "sub_items": 0.85,
    },
    "NCT00004856": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.55,
        "windows": 0.75,
        "drugs": 0.75,
        "sub_items": 0.55,
    },
    "NCT00654914": {
        "segmentation": 0.75,
        "entities_overlap": 0.75,
        "constraints": 0.95,
        "windows": 0.90,
        "drugs": 0.75,
        "sub_items": 0.00,
    },
    "NCT00004294": {
        "segmentation": 0.40,
        "entities_overlap": 0.55,
        "constraints": 0.35,
        "windows": 0.75,
        "drugs": 0.00,
        "sub_items": 0.45,
    },
    "NCT00499018": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.55,
        "windows": 0.95,
        "drugs": 0.95,
        "sub_items": 0.95,
    },
    "NCT02503306": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.95,
        "windows": 0.70,
        "drugs": 0.70,
    },
    "NCT00003176": {
        "segmentation": 0.80,
        "entities_overlap": 0.70,
        "constraints": 0.70,
        "windows": 0.65,
        "drugs": 0.90,
        "sub_items": 0.85,
    },
    "NCT00008086": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.80,
        "windows": 0.70,
        "drugs": 0.60,
        "sub_items": 0.85,
    },
    "NCT00042536": {
        "segmentation": 0.95,
        "entities_overlap": 0.55,
        "constraints": 0.20,
        "windows": 0.75,
        "drugs": 0.60,
        "sub_items": 0.95,
    },
    "NCT00006516": {
        "segmentation": 0.95,
        "entities_overlap": 0.55,
        "constraints": 0.40,
        "windows": 0.00,
        "drugs": 0.00,
        "sub_items": 0.95,
    },
    "NCT00005608": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.90,
        "windows": 0.60,
        "drugs": 0.75,
        "sub_items": 0.95,
    },
    "NCT05366504": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.50,
        "windows": 0.65,
        "drugs": 0.80,
    },
    "NCT00003670": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.90,
        "windows": 0.95,
        "drugs": 0.85,
        "sub_items": 0.95,
    },
    "NCT00000654": {
        "segmentation": 0.85,
        "entities_overlap": 0.60,
        "constraints": 0.25,
        "windows": 0.85,
        "drugs": 0.70,
        "sub_items": 0.75,
    },
    "NCT04946890": {
        "segmentation": 0.85,
        "entities_overlap": 0.70,
        "constraints": 0.80,
        "windows": 0.60,
        "drugs": 0.75,
        "sub_items": 0.45,
    },
    "NCT00006262": {
        "segmentation": 0.85,
        "entities_overlap": 0.70,
        "constraints": 0.80,
        "windows": 0.80,
        "drugs": 0.65,
        "sub_items": 0.95,
    },
    "NCT00006244": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.65,
        "windows": 0.60,
        "drugs": 0.75,
        "sub_items": 0.95,
    },
    "NCT02443090": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.95,
        "windows": 0.45,
        "drugs": 0.20,
    },
    "NCT00003614": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.95,
        "windows": 0.95,
        "drugs": 0.80,
        "sub_items": 0.95,
    },
    "NCT00000664": {
        "segmentation": 0.90,
        "entities_overlap": 0.60,
        "constraints": 0.00,
        "windows": 0.95,
        "drugs": 0.75,
        "sub_items": 0.90,
    },
    # rounds 55-56 (session 24): API v2 records (a digital-therapeutic pair, healthy volunteers, sciatica,
    # erectile dysfunction), legacy XML listings and NCI PDQ groups
    "NCT06486948": {
        "segmentation": 0.95,
        "entities_overlap": 0.50,
        "constraints": 0.50,
        "windows": 0.95,
        "drugs": 0.45,
        "sub_items": 0.95,
    },
    "NCT06136936": {
        "segmentation": 0.90,
        "entities_overlap": 0.55,
        "constraints": 0.35,
        "windows": 0.95,
        "drugs": 0.70,
        "sub_items": 0.45,
    },
    "NCT02850718": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.50,
        "windows": 0.75,
        "drugs": 0.85,
        "sub_items": 0.95,
    },
    "NCT00003204": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.45,
        "windows": 0.95,
        "drugs": 0.75,
        "sub_items": 0.25,
    },
    "NCT00499408": {
        "segmentation": 0.95,
        "entities_overlap": 0.80,
        "constraints": 0.75,
        "windows": 0.70,
        "drugs": 0.70,
    },
    "NCT00004864": {
        "segmentation": 0.90,
        "entities_overlap": 0.70,
        "constraints": 0.75,
        "windows": 0.60,
        "drugs": 0.85,
        "sub_items": 0.95,
    },
    "NCT04008732": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.30,
        "windows": 0.70,
        "drugs": 0.45,
        "sub_items": 0.95,
    },
    "NCT00000410": {
        "segmentation": 0.95,
        "entities_overlap": 0.55,
        "constraints": 0.45,
        "windows": 0.70,
    },
    "NCT03006536": {
        "segmentation": 0.95,
        "entities_overlap": 0.80,
        "constraints": 0.75,
        "windows": 0.95,
        "drugs": 0.60,
    },
    "NCT00005858": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.85,
        "windows": 0.95,
        "drugs": 0.75,
        "sub_items": 0.95,
    },
    "NCT00006466": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.90,
        "windows": 0.75,
        "drugs": 0.95,
        "sub_items": 0.85,
    },
    "NCT00005940": {
        "segmentation": 0.85,
        "entities_overlap": 0.45,
        "constraints": 0.65,
        "drugs": 0.60,
    },
    # round 57 (session 24): API v2 records (NSCLC cohorts, IBS, app-based ED therapy), a PDQ listing, an ACTG
    # listing and a run-on PDQ listing
    "NCT04764188": {
        "segmentation": 0.95,
        "entities_overlap": 0.45,
        "constraints": 0.20,
        "windows": 0.45,
        "drugs": 0.60,
    },
    "NCT04723056": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.95,
        "windows": 0.95,
    },
    "NCT06501144": {
        "segmentation": 0.95,
        "entities_overlap": 0.45,
        "constraints": 0.80,
        "drugs": 0.60,
    },
    "NCT00008294": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.80,
        "windows": 0.95,
        "drugs": 0.80,
        "sub_items": 0.95,
    },
    "NCT00002154": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "windows": 0.95,
        "drugs": 0.95,
        "sub_items": 0.95,
    },
    "NCT00003428": {
        "segmentation": 0.85,
        "entities_overlap": 0.65,
        "constraints": 0.90,
        "windows": 0.75,
        "drugs": 0.65,
        "sub_items": 0.90,
    },
    # round 58 (session 24): API v2 records (leukaemia, NSCLC, insomnia), a paediatric HIV listing, a numbered
    # transplant listing and a PDQ listing
    "NCT05326516": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.55,
        "windows": 0.75,
        "drugs": 0.85,
        "sub_items": 0.95,
    },
    "NCT06672068": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.35,
        "windows": 0.85,
        "drugs": 0.65,
        "sub_items": 0.95,
    },
    "NCT04325464": {
        "segmentation": 0.95,
        "entities_overlap": 0.55,
        "constraints": 0.45,
        "windows": 0.95,
    },
    "NCT00001826": {
        "segmentation": 0.70,
        "entities_overlap": 0.70,
        "constraints": 0.20,
        "windows": 0.80,
        "drugs": 0.85,
    },
    "NCT00491634": {
        "segmentation": 0.85,
        "entities_overlap": 0.60,
        "constraints": 0.55,
        "windows": 0.75,
        "drugs": 0.75,
    },
    "NCT00002528": {
        "segmentation": 0.85,
        "entities_overlap": 0.70,
        "constraints": 0.95,
        "drugs": 0.95,
        "sub_items": 0.85,
    },
    "NCT00636506": {
        "segmentation": 0.70,
        "entities_overlap": 0.65,
        "constraints": 0.95,
        "drugs": 0.95,
        "sub_items": 0.60,
    },
    "NCT05227898": {
        "segmentation": 0.95,
        "entities_overlap": 0.45,
        "constraints": 0.50,
        "windows": 0.95,
        "drugs": 0.60,
    },
    "NCT03986528": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.70,
        "windows": 0.95,
        "drugs": 0.50,
    },
    "NCT00002016": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.35,
        "windows": 0.95,
        "drugs": 0.75,
        "sub_items": 0.95,
    },
    "NCT00002730": {
        "segmentation": 0.80,
        "entities_overlap": 0.65,
        "constraints": 0.95,
        "windows": 0.75,
        "drugs": 0.75,
        "sub_items": 0.80,
    },
    "NCT00001698": {
        "segmentation": 0.75,
        "entities_overlap": 0.70,
        "constraints": 0.95,
        "windows": 0.60,
        "drugs": 0.95,
    },
    "NCT04506658": {
        "segmentation": 0.80,
        "entities_overlap": 0.70,
        "constraints": 0.95,
        "windows": 0.95,
    },
    "NCT01110590": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.95,
        "windows": 0.95,
        "drugs": 0.35,
    },
    "NCT00004180": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.95,
        "windows": 0.95,
        "drugs": 0.75,
        "sub_items": 0.95,
    },
    "NCT00006324": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.45,
        "windows": 0.90,
        "drugs": 0.75,
    },
    "NCT00491738": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.75,
        "windows": 0.95,
        "drugs": 0.80,
    },
    "NCT00004570": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.35,
        "windows": 0.95,
        "drugs": 0.80,
        "sub_items": 0.95,
    },
    "NCT06067984": {
        "segmentation": 0.95,
        "entities_overlap": 0.45,
        "constraints": 0.70,
        "windows": 0.60,
        "drugs": 0.80,
        "sub_items": 0.95,
    },
    "NCT06465238": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.75,
        "windows": 0.95,
        "drugs": 0.20,
    },
    "NCT05650866": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.95,
        "windows": 0.45,
    },
    "NCT00001862": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.35,
        "windows": 0.95,
        "drugs": 0.70,
    },
    "NCT00007904": {
        "segmentation": 0.90,
        "entities_overlap": 0.70,
        "constraints": 0.80,
        "windows": 0.95,
        "drugs": 0.95,
        "sub_items": 0.85,
    },
    "NCT00005040": {
        "segmentation": 0.60,
        "entities_overlap": 0.50,
        "constraints": 0.70,
        "windows": 0.80,
        "drugs": 0.75,
        "sub_items": 0.85,
    },
    "NCT01220206": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.80,
        "windows": 0.95,
        "drugs": 0.95,
    },
    "NCT04969666": {
        "segmentation": 0.95,
        "entities_overlap": 0.50,
        "constraints": 0.55,
        "windows": 0.80,
    },
    "NCT00006010": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.65,
        "windows": 0.95,
        "drugs": 0.85,
        "sub_items": 0.95,
    },
    "NCT00000662": {
        "segmentation": 0.70,
        "entities_overlap": 0.60,
        "constraints": 0.40,
        "drugs": 0.50,
        "sub_items": 0.30,
    },
    "NCT00003754": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.80,
        "windows": 0.60,
        "drugs": 0.60,
        "sub_items": 0.95,
    },
    "NCT00002470": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.85,
        "windows": 0.80,
        "drugs": 0.95,
        "sub_items": 0.95,
    },
    "NCT05999214": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.75,
        "windows": 0.95,
    },
    "NCT03828656": {
        "segmentation": 0.80,
        "entities_overlap": 0.40,
        "constraints": 0.30,
        "drugs": 0.60,
    },
    "NCT05525572": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.75,
        "windows": 0.95,
        "drugs": 0.75,
    },
    "NCT00003666": {
        "segmentation": 0.85,
        "entities_overlap": 0.70,
        "constraints": 0.55,
        "windows": 0.95,
        "drugs": 0.75,
        "sub_items": 0.85,
    },
    "NCT00002068": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "windows": 0.85,
        "drugs": 0.75,
        "sub_items": 0.95,
    },
    "NCT00496444": {
        "segmentation": 0.60,
        "entities_overlap": 0.70,
        "constraints": 0.70,
        "windows": 0.95,
        "drugs": 0.75,
        "sub_items": 0.60,
    },
    "NCT05490680": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.95,
        "windows": 0.80,
        "drugs": 0.75,
    },
    "NCT00415220": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.45,
        "windows": 0.95,
        "drugs": 0.55,
        "sub_items": 0.95,
    },
    "NCT00002382": {
        "segmentation": 0.90,
        "entities_overlap": 0.55,
        "constraints": 0.20,
        "windows": 0.95,
        "drugs": 0.60,
        "sub_items": 0.75,
    },
    "NCT00004918": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.60,
        "windows": 0.75,
        "drugs": 0.70,
    },
    "NCT00004114": {
        "segmentation": 0.60,
        "entities_overlap": 0.55,
        "constraints": 0.95,
        "drugs": 0.95,
        "sub_items": 0.55,
    },
    "NCT00460486": {
        "segmentation": 0.95,
        "entities_overlap": 0.55,
        "constraints": 0.75,
        "windows": 0.85,
        "drugs": 0.45,
    },
    "NCT00882934": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.95,
        "drugs": 0.95,
    },
    "NCT01275404": {
        "segmentation": 0.95,
        "entities_overlap": 0.55,
    },
    "NCT05266716": {
        "segmentation": 0.55,
        "entities_overlap": 0.30,
        "constraints": 0.95,
        "windows": 0.95,
    },
    "NCT00004086": {
        "segmentation": 0.80,
        "entities_overlap": 0.65,
        "constraints": 0.75,
        "windows": 0.85,
        "drugs": 0.60,
        "sub_items": 0.85,
    },
    "NCT00000790": {
        "segmentation": 0.90,
        "entities_overlap": 0.65,
        "constraints": 0.80,
        "windows": 0.70,
        "drugs": 0.75,
        "sub_items": 0.85,
    },
    "NCT00003468": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.95,
        "windows": 0.85,
        "drugs": 0.85,
        "sub_items": 0.95,
    },
    "NCT00001476": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.45,
        "windows": 0.65,
    },
    "NCT00003968": {
        "segmentation": 0.90,
        "entities_overlap": 0.75,
        "constraints": 0.85,
        "windows": 0.65,
        "drugs": 0.75,
        "sub_items": 0.95,
    },
    "NCT00002296": {
        "segmentation": 0.85,
        "entities_overlap": 0.70,
        "constraints": 0.45,
        "windows": 0.95,
        "drugs": 0.95,
        "sub_items": 0.65,
    },
    "NCT00493428": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.95,
        "windows": 0.85,
        "drugs": 0.85,
        "sub_items": 0.95,
    },
    "NCT00004202": {
        "segmentation": 0.85,
        "entities_overlap": 0.70,
        "constraints": 0.95,
        "windows": 0.75,
        "drugs": 0.80,
        "sub_items": 0.85,
    },
    "NCT06669780": {
        "segmentation": 0.85,
        "entities_overlap": 0.45,
        "constraints": 0.55,
        "windows": 0.45,
        "sub_items": 0.45,
    },
    "NCT05304754": {
        "segmentation": 0.95,
        "entities_overlap": 0.55,
        "constraints": 0.70,
        "windows": 0.55,
        "drugs": 0.60,
        "sub_items": 0.60,
    },
    "NCT05991206": {
        "segmentation": 0.75,
        "entities_overlap": 0.50,
        "constraints": 0.50,
        "windows": 0.95,
    },
    "NCT00004268": {
        "segmentation": 0.65,
        "entities_overlap": 0.70,
        "constraints": 0.65,
        "windows": 0.75,
        "drugs": 0.85,
        "sub_items": 0.60,
    },
    "NCT00461552": {
        "segmentation": 0.85,
        "entities_overlap": 0.75,
        "constraints": 0.60,
        "windows": 0.80,
        "drugs": 0.65,
    },
    "NCT00002212": {
        "segmentation": 0.90,
        "entities_overlap": 0.60,
        "constraints": 0.50,
        "windows": 0.95,
        "drugs": 0.65,
        "sub_items": 0.85,
    },
    "NCT02225548": {
        "segmentation": 0.95,
        "entities_overlap": 0.75,
        "constraints": 0.80,
        "windows": 0.95,
        "drugs": 0.70,
    },
    "NCT00006052": {
        "segmentation": 0.85,
        "entities_overlap": 0.65,
        "constraints": 0.70,
        "windows": 0.80,
        "drugs": 0.95,
        "sub_items": 0.85,
    },
    "NCT00006734": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.40,
        "windows": 0.75,
        "drugs": 0.80,
        "sub_items": 0.95,
    },
    "NCT00000986": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.75,
        "windows": 0.65,
        "drugs": 0.80,
        "sub_items": 0.95,
    },
    "NCT00004728": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.95,
        "windows": 0.85,
        "drugs": 0.95,
    },
    "NCT00001890": {
        "segmentation": 0.95,
        "entities_overlap": 0.85,
        "constraints": 0.70,
        "windows": 0.95,
        "drugs": 0.95,
    },
    "NCT00001880": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.65,
        "windows": 0.60,
        "drugs": 0.95,
        "sub_items": 0.95,
    },
    "NCT00003740": {
        "segmentation": 0.85,
        "entities_overlap": 0.65,
        "constraints": 0.75,
        "windows": 0.65,
        "drugs": 0.50,
        "sub_items": 0.90,
    },
    "NCT02598232": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.45,
        "windows": 0.60,
        "drugs": 0.45,
        "sub_items": 0.95,
    },
    "NCT02648386": {
        "segmentation": 0.95,
        "entities_overlap": 0.55,
        "constraints": 0.80,
        "windows": 0.95,
        "drugs": 0.65,
    },
    "NCT00490178": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.70,
        "windows": 0.50,
        "drugs": 0.65,
    },
    "NCT00493220": {
        "segmentation": 0.95,
        "entities_overlap": 0.60,
        "constraints": 0.50,
        "windows": 0.70,
        "drugs": 0.80,
    },
    "NCT00003004": {
        "segmentation": 0.90,
        "entities_overlap": 0.65,
        "constraints": 0.85,
        "windows": 0.65,
        "drugs": 0.95,
        "sub_items": 0.75,
    },
    "NCT00000788": {
        "segmentation": 0.90,
        "entities_overlap": 0.80,
        "constraints": 0.95,
        "windows": 0.75,
        "drugs": 0.85,
        "sub_items": 0.75,
    },
    "NCT00005120": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.85,
        "windows": 0.95,
        "drugs": 0.75,
    },
    "NCT00001398": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.65,
        "windows": 0.95,
        "drugs": 0.80,
    },
    "NCT03908762": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.55,
        "windows": 0.95,
        "drugs": 0.60,
    },
    "NCT00002312": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.60,
        "windows": 0.60,
        "drugs": 0.80,
        "sub_items": 0.95,
    },
    "NCT00005794": {
        "segmentation": 0.95,
        "entities_overlap": 0.70,
        "constraints": 0.75,
        "windows": 0.75,
        "drugs": 0.95,
        "sub_items": 0.95,
    },
    "NCT00001498": {
        "segmentation": 0.75,
        "entities_overlap": 0.55,
        "constraints": 0.75,
        "windows": 0.35,
        "drugs": 0.20,
    },
    "NCT00490230": {
        "segmentation": 0.95,
        "entities_overlap": 0.40,
        "constraints": 0.65,
        "windows": 0.20,
        "drugs": 0.45,
        "sub_items": 0.95,
    },
    "NCT00006108": {
        "segmentation": 0.90,
        "entities_overlap": 0.65,
        "constraints": 0.75,
        "drugs": 0.80,
        "sub_items": 0.95,
    },
    "NCT02477436": {
        "segmentation": 0.75,
        "entities_overlap": 0.70,
        "constraints": 0.55,
        "windows": 0.60,
        "drugs": 0.80,
        "sub_items": 0.75,
    },
    "NCT04646330": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.85,
        "windows": 0.80,
        "drugs": 0.60,
    },
    "NCT00001644": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.60,
        "windows": 0.95,
        "drugs": 0.80,
    },
    "NCT00007878": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.80,
        "windows": 0.70,
        "drugs": 0.35,
    },
    "NCT00006252": {
        "segmentation": 0.75,
        "entities_overlap": 0.60,
        "constraints": 0.60,
        "windows": 0.95,
        "drugs": 0.60,
        "sub_items": 0.65,
    },
    "NCT00000696": {
        "segmentation": 0.85,
        "entities_overlap": 0.60,
        "constraints": 0.50,
        "windows": 0.45,
        "drugs": 0.75,
        "sub_items": 0.75,
    },
    "NCT00491504": {
        "segmentation": 0.95,
        "entities_overlap": 0.65,
        "constraints": 0.25,
        "windows": 0.75,
        "drugs": 0.65,
    },
    "NCT01348880": {
        "segmentation": 0.85,
        "entities_overlap": 0.75,
        "constraints": 0.90,
        "windows": 0.95,
        "drugs": 0.75,
    },
    "NCT03934658": {
        "segmentation": 0.95,
        "entities_overlap": 0.45,
        "constraints": 0.30,
        "drugs": 0.70,
    },
}


@pytest.fixture(scope="module", params=sorted(OTHER_TRIALS))
def other_trial(request: pytest.FixtureRequest) -> tuple[str, str, dict[str, Any]]:
    folder = ROOT / "corpus" / request.param
    text = read_source(folder / "criteria.txt")
    return request.param, text, json.loads((folder / "gold.json").read_text(encoding="utf-8"))


def test_other_trials_golds_are_valid(other_trial: tuple[str, str, dict[str, Any]], schema: dict[str, Any]) -> None:
    _, text, gold = other_trial
    jsonschema.validate(gold, schema, cls=jsonschema.Draft202012Validator)
    assert list(iter_errors(gold, text)) == []
    assert all(s.f1 == 1.0 for s in evaluate(gold, gold).categories.values())


# one extraction per trial for the per-trial floors and the sub-items total below
_EXTRACTED: dict[str, dict[str, Any]] = {}


def _extracted(trial: str, text: str) -> dict[str, Any]:
    if trial not in _EXTRACTED:
        _EXTRACTED[trial] = extractor.extract(text, name="criteria.txt")
    return _EXTRACTED[trial]


def test_f1_against_other_trials_golds(other_trial: tuple[str, str, dict[str, Any]]) -> None:
    trial, text, gold = other_trial
    report = evaluate(_extracted(trial, text), gold)
    low = {
        category: round(report.categories[category].f1, 3)
        for category, minimum in OTHER_TRIALS[trial].items()
        if report.categories[category].f1 < minimum
    }
    assert not low, f"{trial}: F1 under the floor: {low}"


def test_sub_items_over_every_gold_that_says_how_they_combine() -> None:
    """How sub-items combine, over all golds of schema 1.5.0 or later (224 parents in 63 golds at session
    21's end: P 0.962, R 0.906; 259 in 81 at session 22's: P 0.956, R 0.919), held to a floor a little
    under that."""
    tp = fp = fn = 0
    for trial in sorted(OTHER_TRIALS):
        folder = ROOT / "corpus" / trial
        gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
        if tuple(int(x) for x in gold["schema_version"].split(".")) < (1, 5, 0):
            continue
        score = evaluate(_extracted(trial, read_source(folder / "criteria.txt")), gold).categories["sub_items"]
        tp, fp, fn = tp + score.tp, fp + score.fp, fn + score.fn
    assert tp + fn >= 150, "the golds say how many sub-items combine"
    assert tp / (tp + fp) >= 0.92 and tp / (tp + fn) >= 0.84, (tp, fp, fn)
