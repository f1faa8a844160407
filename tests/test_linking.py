"""Linking mentions to ICD-10-CM, DrugBank and LOINC, against the real vocabulary packages (no mocks).

Every expected code below was read from the installed package data (simple-icd-10-cm 1.5.0, April 2026;
drug-named-entity-recognition 2.0.9; labunits 0.2.1), and ``test_expected_codes_exist_in_the_package``
checks them against it again.
"""

from __future__ import annotations

import json

import pytest

import extractor
from extractor import linking
from extractor.linking import (
    VOCABULARIES,
    Code,
    Link,
    in_vocabulary_words,
    link,
    link_many,
    link_whole_name,
)

ICD, DRUG, LOINC = "ICD-10-CM", "DrugBank", "LOINC"

# (text, type, normalized) -> (vocabulary, code, display, match)
LINKED = [
    # ICD-10-CM
    # (a British spelling is read as the American one)
    ("oesophageal varices", "Condition", None, ICD, "I85", "Esophageal varices", "exact"),
    ("sulphasalazine", "Drug", None, DRUG, "DB00795", "Sulfasalazine", "exact"),
    ("type 2 diabetes", "Condition", None, ICD, "E11", "Type 2 diabetes mellitus", "synonym"),
    ("Type 2 diabetes mellitus", "Condition", None, ICD, "E11", "Type 2 diabetes mellitus", "exact"),
    ("T2DM", "Condition", None, ICD, "E11", "Type 2 diabetes mellitus", "abbreviation"),
    ("SLE", "Condition", None, ICD, "M32", "Systemic lupus erythematosus (SLE)", "abbreviation"),
    ("SLE", "Condition", "systemic lupus erythematosus", ICD, "M32", "Systemic lupus erythematosus (SLE)", "exact"),
    ("lupus", "Condition", None, ICD, "M32", "Systemic lupus erythematosus (SLE)", "synonym"),
    ("HIV", "Condition", None, ICD, "B20", "Human immunodeficiency virus [HIV] disease", "abbreviation"),
    ("AIDS", "Condition", None, ICD, "B20", "Human immunodeficiency virus [HIV] disease", "abbreviation"),
    ("hepatitis B", "Condition", None, ICD, "B19.1", "Unspecified viral hepatitis B", "synonym"),
    (
        "chronic hepatitis B",
        "Condition",
        None,
        ICD,
        "B18.1",
        "Chronic viral hepatitis B without delta-agent",
        "synonym",
    ),
    ("hypertension", "Condition", None, ICD, "I10", "Essential (primary) hypertension", "synonym"),
    ("known history of hypertension", "Condition", None, ICD, "I10", "Essential (primary) hypertension", "synonym"),
    ("Essential hypertension", "Condition", None, ICD, "I10", "Essential (primary) hypertension", "exact"),
    ("asthma", "Condition", None, ICD, "J45", "Asthma", "exact"),  # category J45 beats J45.909 'Asthma NOS'
    ("epilepsy", "Condition", None, ICD, "G40.9", "Epilepsy, unspecified", "exact"),
    ("Crohn's disease", "Condition", None, ICD, "K50", "Crohn's disease [regional enteritis]", "exact"),
    ("Crohns disease", "Condition", None, ICD, "K50", "Crohn's disease [regional enteritis]", "exact"),
    ("CKD", "Condition", None, ICD, "N18", "Chronic kidney disease (CKD)", "abbreviation"),
    ("congestive heart failure", "Condition", None, ICD, "I50.9", "Heart failure, unspecified", "synonym"),
    ("diabetes insipidus", "Condition", None, ICD, "E23.2", "Diabetes insipidus", "exact"),
    ("ALL", "Condition", None, ICD, "C91.0", "Acute lymphoblastic leukemia [ALL]", "abbreviation"),
    # DrugBank
    ("metformin", "Drug", None, DRUG, "DB00331", "Metformin", "exact"),
    ("Metformin hydrochloride", "Drug", None, DRUG, "DB00331", "Metformin", "synonym"),
    ("Glucophage", "Drug", None, DRUG, "DB00331", "Metformin", "synonym"),
    ("Keytruda", "Drug", None, DRUG, "DB09037", "Pembrolizumab", "synonym"),
    ("paracetamol", "Drug", None, DRUG, "DB00316", "Acetaminophen", "synonym"),
    ("warfarin", "Drug", None, DRUG, "DB00682", "Warfarin", "exact"),
    ("ASA", "Drug", None, DRUG, "DB00945", "Aspirin", "abbreviation"),
    ("oral methotrexate", "Drug", None, DRUG, "DB00563", "Methotrexate", "exact"),
    # LOINC (labunits)
    ("creatinine", "Measurement", None, LOINC, "2160-0", "Creatinine", "exact"),
    ("serum creatinine", "Measurement", None, LOINC, "2160-0", "Creatinine", "exact"),
    ("Serum creatinine level", "Measurement", None, LOINC, "2160-0", "Creatinine", "exact"),
    ("Cr", "Measurement", None, LOINC, "2160-0", "Creatinine", "abbreviation"),
    ("Cr", "Measurement", "creatinine", LOINC, "2160-0", "Creatinine", "exact"),
    ("urine creatinine", "Measurement", None, LOINC, "2162-6", "Creatinine", "exact"),
    ("ALT", "Measurement", None, LOINC, "1742-6", "Alanine aminotransferase (ALT, SGPT)", "abbreviation"),
    ("SGPT", "Measurement", None, LOINC, "1742-6", "Alanine aminotransferase (ALT, SGPT)", "abbreviation"),
    ("AST", "Measurement", None, LOINC, "1920-8", "Aspartate aminotransferase (AST, SGOT)", "abbreviation"),
    ("HbA1c", "Measurement", None, LOINC, "4548-4", "Glycated hemoglobin (HbA1c)", "abbreviation"),
    ("hemoglobin A1c", "Measurement", None, LOINC, "4548-4", "Glycated hemoglobin (HbA1c)", "synonym"),
    ("alkaline phosphatase", "Measurement", None, LOINC, "6768-6", "Alkaline phosphatase", "exact"),
    ("plasma sodium concentration", "Measurement", None, LOINC, "2951-2", "Sodium", "exact"),
    ("ionized calcium", "Measurement", None, LOINC, "17864-0", "Calcium, ionized", "exact"),
    ("magnesium", "Measurement", None, LOINC, "19123-9", "Magnesium", "exact"),
    ("BUN", "Measurement", None, LOINC, "3094-0", "Urea nitrogen (BUN)", "abbreviation"),
    ("alpha-1 antitrypsin", "Measurement", None, LOINC, "1825-9", "α1-Antitrypsin", "exact"),
]

# (text, type, normalized, vocabulary): known vocabulary, no confident code
NO_CONFIDENT_LINK = [
    # misspellings: nothing is fuzzy-matched
    ("diabetis", "Condition", None, ICD),
    ("hypertention", "Condition", None, ICD),
    ("metfromin", "Drug", None, DRUG),
    # vague phrases and partial matches
    ("other malignancy", "Condition", None, ICD),
    ("organ dysfunction", "Condition", None, ICD),
    ("clinically significant disease", "Condition", None, ICD),
    ("diabetes insipidus-like symptoms", "Condition", None, ICD),
    ("breast cancer", "Condition", None, ICD),
    # names ICD-10-CM files under one narrow code ('diabetes NOS' = E11, 'cancer NOS' = C80.1)
    ("diabetes", "Condition", None, ICD),
    ("cancer", "Condition", None, ICD),
    ("autoimmune disease", "Condition", None, ICD),
    # a vocabulary abbreviation written as an ordinary word
    ("all", "Condition", None, ICD),
    # drug classes and class-like entries
    ("corticosteroids", "Drug", None, DRUG),
    ("systemic corticosteroids", "Drug", None, DRUG),
    ("immunosuppressants", "Drug", None, DRUG),  # a MeSH class in the package, no DrugBank id
    ("statins", "Drug", None, DRUG),
    ("nitrates", "Drug", None, DRUG),  # the package maps it to the nitrate ion
    ("insulin", "Drug", None, DRUG),  # no DrugBank id in the package
    ("vitamin D", "Drug", None, DRUG),  # the package says ergocalciferol only
    ("alcohol", "Drug", None, DRUG),  # only a truncated 'alcohol,' (benzyl alcohol) in the package
    ("aspirin 81 mg", "Drug", None, DRUG),  # contains a drug name, is not one
    # tests labunits does not ship, or names several of its codes
    ("eGFR", "Measurement", None, LOINC),
    ("bilirubin", "Measurement", None, LOINC),
    ("hemoglobin", "Measurement", None, LOINC),  # not Hb A2, Hb F, HbA1c or methemoglobin
    ("platelets", "Measurement", None, LOINC),
    ("neutrophils", "Measurement", None, LOINC),
    ("calcium", "Measurement", None, LOINC),  # only ionized calcium is shipped
    ("troponin", "Measurement", None, LOINC),  # I or T
    ("methemoglobin", "Measurement", None, LOINC),  # two codes, g/dL and %
    ("epinephrine", "Measurement", None, LOINC),  # only urine, and plasma supine
    ("creatinine clearance", "Measurement", None, LOINC),
    # nothing to link
    ("", "Condition", None, ICD),
    ("   ", "Drug", None, DRUG),
]

NOT_LINKABLE = [("age", "Person"), ("18 years", "Value"), ("MRI", "Procedure"), ("metformin", "drug")]


@pytest.mark.parametrize(("text", "type_", "normalized", "vocabulary", "code", "display", "match"), LINKED)
def test_linked(
    text: str, type_: str, normalized: str | None, vocabulary: str, code: str, display: str, match: str
) -> None:
    result = link(text, type_, normalized)
    assert result == Link("linked", vocabulary, (Code(vocabulary, code, display),), match)


@pytest.mark.parametrize(("text", "type_", "normalized", "vocabulary"), NO_CONFIDENT_LINK)
def test_no_confident_link(text: str, type_: str, normalized: str | None, vocabulary: str) -> None:
    assert link(text, type_, normalized) == Link("no_confident_link", vocabulary, (), None)


@pytest.mark.parametrize(("text", "type_"), NOT_LINKABLE)
def test_not_linkable(text: str, type_: str) -> None:
    assert link(text, type_) == Link("not_linkable", None, (), None)


def test_vocabularies() -> None:
    assert VOCABULARIES == {"Condition": "ICD-10-CM", "Drug": "DrugBank", "Measurement": "LOINC"}


def test_expected_codes_exist_in_the_package() -> None:
    import simple_icd_10_cm.simple_icd_10_cm as cm
    from labunits.converters import analytes

    lab = {a.loinc_num: a.name for a in analytes()}
    _, drugs = linking._drug_tables()
    drug_names = {d["drugbank_id"]: d.get("name") for d in drugs.values() if d.get("drugbank_id")}
    for *_, vocabulary, code, display, _match in LINKED:
        if vocabulary == ICD:
            assert cm.is_valid_item(code) and cm.get_description(code) == display
        elif vocabulary == LOINC:
            assert lab[code] == display
        else:
            assert drug_names[code] == display


def test_icd_codes_read_from_the_xml_are_the_packages() -> None:
    # the index reads the package's XML itself (to keep its tree out of memory): same codes, names, order
    assert linking._icd_codes() == linking._icd_codes_from_package()


def test_normalized_is_tried_first_and_text_is_the_fallback() -> None:
    assert link("Cr", "Measurement", "creatinine").match == "exact"
    # a lexicon name the vocabulary does not know leaves the text to be tried
    assert link("HTN", "Condition", "high blood pressur").codes[0].code == "I10"
    # a lexicon name the vocabulary knows but will not link stops there
    assert link("T2DM", "Condition", "diabetes").status == "no_confident_link"


def test_to_dict_is_json_serialisable() -> None:
    linked = link("metformin", "Drug")
    assert json.loads(json.dumps(linked.to_dict())) == {
        "status": "linked",
        "vocabulary": "DrugBank",
        "codes": [{"system": "DrugBank", "code": "DB00331", "display": "Metformin"}],
        "match": "exact",
    }
    assert json.loads(json.dumps(link("corticosteroids", "Drug").to_dict())) == {
        "status": "no_confident_link",
        "vocabulary": "DrugBank",
        "codes": [],
        "match": None,
    }
    assert json.loads(json.dumps(link("age", "Person").to_dict())) == {
        "status": "not_linkable",
        "vocabulary": None,
        "codes": [],
        "match": None,
    }
    assert Code("LOINC", "2160-0", "Creatinine").to_dict() == {
        "system": "LOINC",
        "code": "2160-0",
        "display": "Creatinine",
    }


def test_link_many_preserves_order_and_caches() -> None:
    mentions: list[tuple[str, str, str | None]] = [
        ("serum creatinine", "Measurement", None),
        ("age", "Person", None),
        ("SLE", "Condition", "systemic lupus erythematosus"),
        ("corticosteroids", "Drug", None),
        ("serum creatinine", "Measurement", None),
        ("Keytruda", "Drug", None),
    ]
    results = link_many(mentions)
    assert results == [link(*m) for m in mentions]
    assert [r.status for r in results] == [
        "linked",
        "not_linkable",
        "linked",
        "no_confident_link",
        "linked",
        "linked",
    ]
    assert results[0] is results[4]
    assert link_many([]) == []
    assert link_many(iter(mentions[:2])) == results[:2]


def test_link_is_consistent() -> None:
    with pytest.raises(ValueError):
        Link("linked", "LOINC", (), "exact")
    with pytest.raises(ValueError):
        Link("no_confident_link", "LOINC", (Code("LOINC", "2160-0", "Creatinine"),), None)
    with pytest.raises(ValueError):
        Link("not_linkable", "LOINC", (), None)
    with pytest.raises(ValueError):
        Link("maybe", "LOINC", (), None)


@pytest.mark.parametrize(
    ("name", "type_"),
    [
        ("bicuspid aortic valve", "Condition"),
        ("Gilbert's syndrome", "Condition"),
        ("heparin-induced thrombocytopenia", "Condition"),
        ("Chronic kidney disease", "Condition"),
        ("esmolol", "Drug"),
        ("phenprocoumon", "Drug"),
    ],
)
def test_every_word_of_a_whole_name_is_a_vocabulary_word(name: str, type_: str) -> None:
    # the search for names in running text skips phrases with a word no name has: never one that links
    assert link_whole_name(name, type_).status == linking.LINKED
    assert all(in_vocabulary_words(word, type_) for word in name.split())


def test_a_word_no_name_has_is_no_vocabulary_word() -> None:
    assert not in_vocabulary_words("frobnication", "Condition")
    assert not in_vocabulary_words("frobnication", "Drug")
    assert in_vocabulary_words("frobnication", "Measurement")  # LOINC names are rewritten first: no filter


def test_antiretroviral_abbreviations_name_their_drugs() -> None:
    # the legacy registry's HIV trials write the nucleoside analogues by their abbreviations
    record = extractor.extract("Exclusion Criteria:\nPrior ddI, d4T, AZT or 3TC allowed\n")
    codes = {
        e["text"]: [c["code"] for c in e.get("codes", [])]
        for c in record["criteria"]
        for e in c["entities"]
        if e["type"] == "Drug"
    }
    assert codes == {"ddI": ["DB00900"], "d4T": ["DB00649"], "AZT": ["DB00495"], "3TC": ["DB00709"]}


def test_a_drug_named_by_a_brand_or_synonym_takes_its_generic_name() -> None:
    record = extractor.extract(
        "Exclusion Criteria:\n"
        "* Use of Accutane within 6 months\n"
        "* Prior 5-FU or capecitabine\n"
        # the brand in brackets restates the drug before it: one drug record, both mentions linked
        "* Use of Isotretinoin (Accutane®) within 30 days prior to treatment\n"
        # ... past its other names there
        "* Currently using Escitalopram (Lexapro, Cipralex) or Paroxetine (Paxil, Seroxat)\n"
    )
    names = [[d["name"] for d in c["drugs"]] for c in record["criteria"]]
    assert names == [
        ["isotretinoin"],
        ["fluorouracil", "capecitabine"],
        ["isotretinoin"],
        ["escitalopram", "paroxetine"],
    ]
    texts = [e["text"] for e in record["criteria"][2]["entities"] if e.get("codes")]
    assert texts == ["Isotretinoin", "Accutane"]


def test_prescription_and_over_the_counter_medications_are_drug_classes() -> None:
    record = extractor.extract(
        "Exclusion Criteria:\n* Use of any prescription medication or over-the-counter (OTC) medication or herbal "
        "remedies within 7 days\n"
    )
    drugs = [(d["name"], d["is_class"]) for d in record["criteria"][0]["drugs"]]
    assert drugs == [
        ("prescription medications", True),
        ("over-the-counter medications", True),
        ("herbal remedies", True),
    ]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Subjects who are taking the following potent inhibitors of cytochrome P-450 3A4.", "cyp3a4 inhibitors"),
        ("Use of strong CYP3A4 inhibitors within 14 days", "cyp3a4 inhibitors"),
        ("Concomitant use of inducers of CYP3A4", "cyp3a4 inducers"),
        ("Patients who are taking blood thinners", "anticoagulants"),
        ("No other concurrent investigational agents", "investigational agents"),
    ],
)
def test_drug_classes_named_in_words_take_their_class_name(text: str, name: str) -> None:
    record = extractor.extract(f"Exclusion Criteria:\n* {text}\n")
    drugs = [(d["name"], d["is_class"]) for d in record["criteria"][0]["drugs"]]
    assert (name, True) in drugs, drugs
