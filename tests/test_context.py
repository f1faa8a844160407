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
        # "with or without" negates nothing (and is no Negation mention: Chia marks none of 32 in train)
        (
            "Exclusion Criteria:\nOptic neuropathy with or without taking PDE5 inhibitor",
            "PDE5 inhibitor",
            "negated",
            False,
        ),
        ("Exclusion Criteria:\nDiabetes without insulin therapy", "insulin therapy", "negated", True),
        # a device is asserted on like any clinical concept
        ("Exclusion Criteria:\nNo cardiac pacemakers", "cardiac pacemakers", "negated", True),
        # a sub-item on a line of its own is a clause of its own: its leading "No" scopes over it all
        (
            "Inclusion Criteria:\nDISEASE CHARACTERISTICS:\n  -  Tumor accessible\n"
            "  -  No multifocal or recurrent malignant glioma\n",
            "malignant glioma",
            "negated",
            True,
        ),
        # "non" as a word of its own negates the next; "non-" inside a name does not
        ("Inclusion Criteria:\nFemale of childbearing age must be non lactating", "lactating", "negated", True),
        ("Inclusion Criteria:\nNon-Hodgkin lymphoma", "Non-Hodgkin lymphoma", "negated", False),
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
        # the method or the treatment after "on", "by", "requiring" is not what "No" denies
        ("Exclusion Criteria:\nNo metastases on chest x-ray", "chest x-ray", "negated", False),
        ("Exclusion Criteria:\nNo metastases on chest x-ray", "metastases", "negated", True),
        (
            "Exclusion Criteria:\nNo active infection requiring intravenous antibiotics",
            "intravenous antibiotics",
            "negated",
            False,
        ),
        ("Exclusion Criteria:\nNo brain metastases confirmed by MRI", "MRI", "negated", False),
        # what a participant is not taking (a list of drugs) or is to suspend is negated, all of it
        (
            "Inclusion Criteria:\nNot currently taking cyclosporine, gemfibrozil, other fibrates or clarithromycin",
            "clarithromycin",
            "negated",
            True,
        ),
        (
            "Inclusion Criteria:\nAgree to suspend all ED therapy for the duration of the study",
            "ED therapy",
            "negated",
            True,
        ),
        ("Inclusion Criteria:\nMust not have used dietary supplements", "dietary supplements", "negated", True),
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
        # what was had, failed or happened some time since is past; a causal "Since" dates nothing
        ("Exclusion Criteria:\nAt least 4 weeks since major surgery", "major surgery", "historical", True),
        (
            "Inclusion Criteria:\nSince the effect of CAR T cell therapy on the fetus is unknown, women must agree",
            "CAR T cell therapy",
            "historical",
            False,
        ),
        ("Exclusion Criteria:\nPatients who have had chemotherapy within 4 weeks", "chemotherapy", "historical", True),
        ("Inclusion Criteria:\nLymphoma refractory to standard therapy", "standard therapy", "historical", True),
        # "prior or concurrent" is past and present alike; a heading about both passes on no history
        (
            "Exclusion Criteria:\nPrior or concurrent opportunistic infection",
            "opportunistic infection",
            "historical",
            False,
        ),
        (
            "Inclusion Criteria:\nPRIOR CONCURRENT THERAPY:\n  -  No concurrent radiotherapy\n  -  No prior chemotherapy",
            "radiotherapy",
            "historical",
            False,
        ),
        ("Exclusion Criteria:\nPrior therapy:\n  -  Cisplatin\n  -  Carboplatin", "Carboplatin", "historical", True),
        ("Exclusion Criteria:\nplanning to undergo surgery", "surgery", "hypothetical", True),
        # what a participant is able, willing or agrees to do, is a candidate or (un)fit for, and what
        # "unless" excepts, is to come or conditional
        ("Inclusion Criteria:\nWilling and able to undergo apheresis", "apheresis", "hypothetical", True),
        (
            "Inclusion Criteria:\nAgree not to use any other ED treatment during the study",
            "ED treatment",
            "hypothetical",
            True,
        ),
        # ... and "agree" leaves the "not" after it its negation
        (
            "Inclusion Criteria:\nAgree not to use any other ED treatment during the study",
            "ED treatment",
            "negated",
            True,
        ),
        (
            "Inclusion Criteria:\nHepatic function normal unless due to liver metastases",
            "liver metastases",
            "hypothetical",
            True,
        ),
        (
            "Inclusion Criteria:\nLesions amenable to minimally invasive resection",
            "minimally invasive resection",
            "hypothetical",
            True,
        ),
        ("Inclusion Criteria:\nEligible for radical prostatectomy", "radical prostatectomy", "hypothetical", True),
        # what a participant is at risk of, what may come of a condition, what one is available for
        ("Exclusion Criteria:\nPatients at increased risk of bleeding", "bleeding", "hypothetical", True),
        ("Exclusion Criteria:\nConditions that may cause hypotension", "hypotension", "hypothetical", True),
        ("Inclusion Criteria:\nAvailable for radiotherapy at the study site", "radiotherapy", "hypothetical", True),
        ("Exclusion Criteria:\nDonor unfit to receive G-CSF", "G-CSF", "hypothetical", True),
        ("Exclusion Criteria:\nHistory of myocardial infarction", "myocardial infarction", "hypothetical", False),
        (
            "Inclusion Criteria:\nPatients scheduled to undergo dual chamber pacemaker implantation",
            "dual chamber pacemaker implantation",
            "hypothetical",
            True,
        ),
        (
            "Exclusion Criteria:\nPatients indicated for Cardiac Resynchronization Therapy",
            "Cardiac Resynchronization Therapy",
            "hypothetical",
            True,
        ),
        ("Exclusion Criteria:\nPatients who have undergone bypass surgery", "bypass surgery", "historical", True),
        # the second member of an exception's list is excepted too (and is a mention at all: the model
        # misses "carcinoma in situ of the cervix", the lexicon names it)
        (
            "Exclusion Criteria:\nOther malignancy other than basal cell skin cancer or carcinoma in situ of the cervix",
            "carcinoma in situ of the cervix",
            "negated",
            True,
        ),
        ("Exclusion Criteria:\nacute pneumonia", "acute pneumonia", "negated", False),
        # "prior" dates what follows it; "prior to" dates nothing after it (the anchor of a window)
        ("Exclusion Criteria:\nNo prior chemotherapy", "chemotherapy", "historical", True),
        ("Exclusion Criteria:\nNo prior chemotherapy", "chemotherapy", "negated", True),
        ("Inclusion Criteria:\nPrior radiotherapy allowed", "radiotherapy", "historical", True),
        # "No" that starts a criterion negates its clause, after its list number too; elsewhere it
        # reaches two words
        (
            "Inclusion Criteria:\n5. Age 18 or older\n6. No prior history of pelvic irradiation or androgen deprivation therapy",
            "androgen deprivation therapy",
            "negated",
            True,
        ),
        (
            "Exclusion Criteria:\nNo other active malignancy except nonmetastatic skin cancer",
            "active malignancy",
            "negated",
            True,
        ),
        (
            "Exclusion Criteria:\nNo other active malignancy except nonmetastatic skin cancer",
            "nonmetastatic skin cancer",
            "negated",
            False,
        ),
        # what an exception excepts from an exclusion is not excluded: negated, as Chia's Negation
        # "other than", "except", "excluding" marks it; the exception ends at its closing bracket
        ("Exclusion Criteria:\nHistory of surgical prostatectomy (excluding TURP).", "TURP", "negated", True),
        (
            "Exclusion Criteria:\nSubjects who take anticoagulants, except for antiplatelet agents",
            "antiplatelet agents",
            "negated",
            True,
        ),
        (
            "Exclusion Criteria:\nKnown intolerance (other than hematologic) or toxicity to ddI or AZT",
            "AZT",
            "negated",
            False,
        ),
        (
            "Inclusion Criteria:\nPatients who have had no treatment for 3 years with insulin",
            "insulin",
            "negated",
            False,
        ),
        # a negation reaches every member of the list it leads, past ConText's scope of its cue
        ("Inclusion Criteria:\nPatients without diabetes, hypertension or stroke", "stroke", "negated", True),
        # ... not a mention after another verb ("and with"), nor one in the next criterion of a paragraph
        ("Inclusion Criteria:\nPatients without diabetes and with hypertension", "hypertension", "negated", False),
        (
            "PATIENT CHARACTERISTICS: Age: 18 and over Other: No concurrent chemotherapy Radiotherapy: Prior "
            "radiotherapy allowed Surgery: Not specified",
            "radiotherapy",
            "negated",
            False,
        ),
        # a disease named with a negative status is no disease ("HIV negative": golds 19 of 21 negated)
        ("Inclusion Criteria:\nOther: HIV negative", "HIV negative", "negated", True),
        ("Inclusion Criteria:\nHIV seropositive", "HIV", "negated", False),
        # a word the guide marks alone is negated by a "not" right before it (golds 8 of 8)
        ("Exclusion Criteria:\nNot able to give informed consent", "able", "negated", True),
        ("Inclusion Criteria:\nWilling and able to comply", "able", "negated", False),
        # ... whatever the criterion before it (the model's confirmation of "HIV" varies with its context)
        (
            "Inclusion Criteria:\r\n  -  No severe pulmonary disease including dyspnea with moderate to severe "
            "exertion\r\n\r\n  -  HIV negative",
            "HIV negative",
            "negated",
            True,
        ),
        # "no more than" is a comparator, not a negation
        ("Inclusion Criteria:\nNo more than 1 prior chemotherapy regimen", "chemotherapy regimen", "negated", False),
        # what a participant must abstain from, refrain from or avoid is not to be there
        (
            "Inclusion Criteria:\nAgreement to refrain from blood donation during the course of the study",
            "blood donation",
            "negated",
            True,
        ),
        (
            "Exclusion Criteria:\nUnable to refrain from regular use of nasal, oral or ocular decongestants, "
            "nasal topical antihistamines, or nasal steroids",
            "nasal steroids",
            "negated",
            True,
        ),
        ("Inclusion Criteria:\nMust agree to avoid pregnancy", "pregnancy", "negated", True),
        # ... or agrees not to use or take
        (
            "Inclusion Criteria:\nAgree not to use approved or experimental benign prostatic hyperplasia treatments",
            "benign prostatic hyperplasia",
            "negated",
            True,
        ),
        # what the participant is to refrain from is also to come (golds 8 of 10 after "refrain from")
        (
            "Inclusion Criteria:\nRefrain from using recreational drugs during the study",
            "recreational drugs",
            "hypothetical",
            True,
        ),
        # ... within a few words of the cue: a mention further on is a mention of its own
        (
            "Inclusion Criteria:\nWomen abstaining from sexual intercourse as their usual lifestyle or "
            "using effective contraception",
            "effective contraception",
            "negated",
            False,
        ),
        # "without" and a "no" inside a sentence reach past a qualifier or two ...
        (
            "Inclusion Criteria:\nIn good general health without clinically significant cardiac disease",
            "cardiac disease",
            "negated",
            True,
        ),
        (
            "Inclusion Criteria:\nPatients with no prior or concurrent brain metastases",
            "brain metastases",
            "negated",
            True,
        ),
        # ... and what a denied treatment is for is not denied, though it stays in the past
        ("Exclusion Criteria:\nNo prior radiotherapy for breast cancer", "radiotherapy", "negated", True),
        ("Exclusion Criteria:\nNo prior radiotherapy for breast cancer", "breast cancer", "negated", False),
        ("Inclusion Criteria:\nPrior chemotherapy for metastatic disease", "metastatic disease", "historical", True),
        # "no history of" is a negation and a history both (one cue: "history of" inside it is no cue)
        ("Exclusion Criteria:\nNo history of congestive heart failure", "congestive heart failure", "negated", True),
        ("Exclusion Criteria:\nNo history of congestive heart failure", "congestive heart failure", "historical", True),
        # what a participant is to stop taking is denied and to come
        ("Inclusion Criteria:\nMust discontinue warfarin before the study", "warfarin", "hypothetical", True),
        # what follows "if" is conditional over up to ten tokens
        (
            "Inclusion Criteria:\nAllowed if the most recent dose of prior systemic chemotherapy was given 4 weeks before",
            "systemic chemotherapy",
            "hypothetical",
            True,
        ),
        # ... "planned" over six: a history later in the sentence is no plan
        (
            "Exclusion Criteria:\nPlanned elective surgery during the study period and a history of chronic kidney"
            " disease or diabetes mellitus",
            "chronic kidney disease",
            "hypothetical",
            False,
        ),
        # what a participant does not have, over a list
        (
            "Inclusion Criteria:\nThe subject does not have active urogenital infection or active skin infection",
            "active skin infection",
            "negated",
            True,
        ),
        # the examples of a negated mention are negated
        (
            "Exclusion Criteria:\nNo clinically significant autoimmune disease (e.g. rheumatoid arthritis)",
            "rheumatoid arthritis",
            "negated",
            True,
        ),
        (
            "Exclusion Criteria:\nNo gastrointestinal disease that requires surgical intervention, e.g., Crohn's"
            " disease, chronic ulcerative disease",
            "chronic ulcerative disease",
            "negated",
            True,
        ),
        (
            "Exclusion Criteria:\nHistory of heart disease (e.g. myocardial infarction)",
            "myocardial infarction",
            "negated",
            False,
        ),
        # a comparator with "no" negates nothing
        (
            "Inclusion Criteria:\nWBC no less than 3,000/mm3 and platelets no less than 100,000/mm3",
            "platelets",
            "negated",
            False,
        ),
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


def _wrapped(paragraph: str, width: int = 88) -> str:
    """``paragraph`` hard-wrapped at ``width`` with CRLF line ends, as the registry's legacy XML is."""
    lines, line = [], ""
    for word in paragraph.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\r\n".join([*lines, line])


# an NCI (PDQ) listing: run-on criteria, inline labels, and wrapped at a fixed width
_PDQ = _wrapped(
    "PRIOR CONCURRENT THERAPY: Biologic therapy: At least 4 weeks since prior immunotherapy "
    "Chemotherapy: No more than 2 prior chemotherapy regimens At least 4 weeks since prior chemotherapy "
    "No other concurrent chemotherapy Endocrine therapy: No concurrent hormonal therapy Concurrent "
    "hormone replacement therapy allowed Radiotherapy: At least 4 weeks since prior radiotherapy No "
    "concurrent radiotherapy Surgery: Not specified Other: No concurrent investigational drugs No "
    "history of allergy to study drugs or to heparin"
)


def test_a_run_on_criterion_starts_a_clause_of_its_own() -> None:
    record = extractor.extract("Inclusion Criteria:\n" + _PDQ)
    by_text = {c["text"]: c for c in record["criteria"]}
    # the history of "prior radiotherapy" and the "No" before "concurrent radiotherapy" stay in their criteria
    concurrent = by_text["No\r\nconcurrent radiotherapy"] if "No\r\nconcurrent radiotherapy" in by_text else None
    concurrent = concurrent or by_text["No concurrent radiotherapy"]
    (radiotherapy,) = [e for e in concurrent["entities"] if e["text"] == "radiotherapy"]
    assert radiotherapy["assertion"]["negated"] and not radiotherapy["assertion"]["historical"]
    allowed = next(c for c in record["criteria"] if c["text"].startswith("Concurrent") and "allowed" in c["text"])
    assert all(not e["assertion"]["negated"] for e in allowed["entities"] if "assertion" in e)
    # a heading over labels ("PRIOR CONCURRENT THERAPY:") passes no history on to them
    assert all(not e["assertion"]["historical"] for e in allowed["entities"] if "assertion" in e)


def test_negation_reads_on_across_a_hard_wrapped_line() -> None:
    # "No" reaches two words; the line break after it is no word
    assert "Other: No\r\nconcurrent investigational drugs" in _PDQ
    record = extractor.extract("Exclusion Criteria:\n" + _PDQ)
    assert _status(record, "investigational drugs")["negated"] is True
    # a wrapped sentence is one clause: its negation reaches past the line break
    wrapped = _wrapped(
        "No history of diabetes, hypertension, chronic kidney disease, heart failure, asthma, " * 3 + "or epilepsy"
    )
    assert "\r\n" in wrapped
    record = extractor.extract("Exclusion Criteria:\n" + wrapped)
    assert _status(record, "epilepsy")["negated"] is True


def test_with_or_without_is_no_negation_mention() -> None:
    record = extractor.extract("Exclusion Criteria:\nOptic neuropathy with or without taking PDE5 inhibitor\n")
    types = [e["type"] for c in record["criteria"] for e in c["entities"]]
    assert "Negation" not in types


@pytest.mark.parametrize(
    "text",
    [
        "Exclusion Criteria:\nActive opportunistic infection not specifically allowed.\n",
        "Exclusion Criteria:\nConcurrent chemotherapy not permitted\n",
    ],
)
def test_not_allowed_is_no_negation_mention(text: str) -> None:
    # the golds mark none of 8 "not (specifically) allowed / permitted"; what is excluded is there
    record = extractor.extract(text)
    types = [e["type"] for c in record["criteria"] for e in c["entities"]]
    assert "Negation" not in types
    assert not any(e["assertion"]["negated"] for c in record["criteria"] for e in c["entities"] if "assertion" in e)


def test_negated_and_excepted_drugs_keep_their_drug_records() -> None:
    record = extractor.extract(
        "Exclusion Criteria:\n* Subjects who take anticoagulants, except for antiplatelet agents\n"
        "* No concurrent prednisone\n* Oxygen saturation above 94% at rest without oxygen\n"
    )
    excepted, negated, measured = record["criteria"]
    assert [d["name"] for d in excepted["drugs"]] == ["anticoagulant", "antiplatelet agents"]
    # what the criterion forbids is a drug it is about; its entity says it is negated
    (prednisone,) = negated["drugs"]
    entity = next(e for e in negated["entities"] if e["id"] == prednisone["entity"])
    assert prednisone["name"] == "prednisone" and entity["assertion"]["negated"]
    # a drug left out while a value is measured describes the measurement
    assert measured["drugs"] == []


@pytest.mark.parametrize(
    ("text", "word", "hypothetical"),
    [
        ("Fertile patients must use effective contraception", "effective contraception", True),
        ("Medical condition that would preclude surgery", "surgery", True),
        ("Medical condition that would preclude surgery", "Medical condition", False),
        # what a participant is at risk of is to come, within six tokens of "risk of" (the golds, 693: 16
        # more right flags, 27 more false; a risk cue over the whole sentence was measured before: 7 right
        # and 54 false)
        ("Patients at high risk of developing acute renal failure", "acute renal failure", True),
        ("History of myocardial infarction", "myocardial infarction", False),
    ],
)
def test_what_a_criterion_asks_to_come_is_hypothetical(text: str, word: str, hypothetical: bool) -> None:
    # the golds: a method of contraception to use (175 of 213), what an illness would preclude
    record = extractor.extract(text)
    found = {e["text"]: e for c in record["criteria"] for e in c["entities"]}
    assert found[word]["assertion"]["hypothetical"] is hypothetical
