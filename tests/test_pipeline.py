"""The spaCy pipeline: components in a user's own pipeline, config keys, rule files, multiprocessing."""

from __future__ import annotations

import json
from multiprocessing import get_context
from typing import Any

import pytest
import spacy

import extractor
from extractor.components import _FINE_TOKEN, _TOKEN, CriteriaTokenizer
from extractor.errors import RuleError
from extractor.paths import resource_path
from extractor.pipeline import PIPE_NAMES
from extractor.rules import AnalyteRule, AnchorRule, ContextRule, LexiconRule, UnitRule, load_rules, word_pattern


def test_load_has_every_component() -> None:
    nlp = extractor.load()
    assert tuple(nlp.pipe_names) == PIPE_NAMES


def test_components_in_a_users_own_pipeline() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("criteria_entities")
    nlp.add_pipe("criteria_values")
    doc = nlp("AST/ALT below 3 times the upper limit of normal")
    assert {("AST", "Measurement"), ("ALT", "Measurement")} <= {(s.text, s.label_) for s in doc.spans["entities"]}
    (threshold,) = doc._.thresholds
    assert (threshold["comparator"], threshold["multiple"], threshold["reference"]) == ("<", 3.0, "ULN")


@pytest.mark.parametrize(
    ("name", "config", "text", "check"),
    [
        (
            "criteria_entities",
            {"qualifiers_inside_concepts": True},
            "No obvious active infection",
            lambda d: "active" in [s.text for s in d.spans["entities"]],
        ),
        (
            "criteria_entities",
            {"include_abbreviation": False},
            "serum bilirubin (SB) > 2",
            lambda d: "serum bilirubin" in [s.text for s in d.spans["entities"]],
        ),
        (
            "criteria_entities",
            {"include_abbreviation": True},
            "serum bilirubin (SB) > 2",
            lambda d: "serum bilirubin (SB)" in [s.text for s in d.spans["entities"]],
        ),
        (
            "criteria_entities",
            {"use_abbreviations": False},
            "serum creatinine",
            lambda d: len(d.spans["entities"]) == 1,
        ),
        (
            "criteria_entities",
            {"lexicon": "lexicon.jsonl"},
            "prednisone",
            lambda d: d.spans["entities"][0].label_ == "Drug",
        ),
        ("criteria_sentences", {"boundaries": ["\n"]}, "no fever; cough", lambda d: len(list(d.sents)) == 1),
        ("criteria_context", {"max_scope": 1}, "no obvious active infection", lambda d: True),
        (
            "criteria_context",
            {"rules": "context_rules.json"},
            "no diabetes",
            lambda d: any(v["negated"] for v in d._.assertions.values()),
        ),
    ],
)
def test_component_config_keys(name: str, config: dict[str, Any], text: str, check: Any) -> None:
    # the rule components alone: the entity model's merge (a model span over a long form and its
    # abbreviation takes both) is tested on its own
    nlp = extractor.load({name: config}, model=False)
    assert check(nlp(text))


@pytest.mark.parametrize(
    ("file", "cls"),
    [
        ("lexicon.jsonl", LexiconRule),
        ("units.json", UnitRule),
        ("analytes.json", AnalyteRule),
        ("context_rules.json", ContextRule),
        ("anchors.json", AnchorRule),
    ],
)
def test_every_rule_file_loads_and_round_trips(file: str, cls: type) -> None:
    rules = load_rules(file, cls)
    assert rules
    for rule in rules:
        assert cls.from_dict(rule.to_dict()) == rule


@pytest.mark.parametrize(
    ("cls", "data"),
    [
        (LexiconRule, {"type": "Condition", "phrase": "x", "colour": "red"}),
        (LexiconRule, {"type": "Disease", "phrase": "x"}),
        (LexiconRule, {"type": "Condition"}),
        # the lexicon matches phrases only: a token pattern would be read by nothing
        (LexiconRule, {"type": "Measurement", "pattern": [{"LOWER": "scale"}]}),
        (UnitRule, {"ucum": "mg", "written": ["mg"], "dimension": "mass"}),
        (ContextRule, {"literal": "no", "category": "NEGATIVE"}),
        (ContextRule, {"literal": "no history of", "category": "NEGATED_EXISTENCE", "also": ["PAST"]}),
    ],
)
def test_rules_reject_bad_keys(cls: type, data: dict[str, Any]) -> None:
    with pytest.raises(RuleError):
        cls.from_dict(data)


@pytest.mark.parametrize("pattern", [_TOKEN, _FINE_TOKEN], ids=["criteria", "model"])
@pytest.mark.parametrize(
    "text",
    ["", " ", "  a", "a  b", "a\n b \n", "x5mg\u00a0 <<\t\t", "A-b's 3.5", "\u2003é\u0301² _x_ ٣ ", "end "],
)
def test_tokenizer_one_pass_matches_the_general_split(pattern: Any, text: str) -> None:
    # the one-regex path for the built-in patterns must give the words and spaces of the general loop
    tokenizer = CriteriaTokenizer(spacy.blank("en").vocab, pattern)
    doc = tokenizer(text)
    assert ([t.text for t in doc], [bool(t.whitespace_) for t in doc]) == tokenizer._split(text)
    assert doc.text == text


def _sentence_starts_token_by_token(doc: Any, boundaries: set[str]) -> list[bool]:
    """The clause-boundary rule of criteria_sentences read token by token, as it is written."""
    starts = [True] * bool(len(doc))
    for i in range(1, len(doc)):
        prev, before = doc[i - 1], doc[i - 2] if i > 1 else None
        starts.append(
            prev.text in boundaries
            or "\n" in prev.text
            or (prev.text == "." and bool(prev.whitespace_) and before is not None and not before.like_num)
        )
    return starts


@pytest.mark.parametrize("tokenizer", ["criteria", "spacy"])
@pytest.mark.parametrize(
    "text",
    ["", ".", "a. b", "1. a. 2. b", "x;y ; z", "a\n\n b\r\nc", "see No. 5. Then", "3.5. a .  b", "\n;. \n"],
)
def test_sentence_starts_agree_with_the_token_by_token_rule(tokenizer: str, text: str) -> None:
    nlp = spacy.blank("en")
    if tokenizer == "criteria":
        nlp.tokenizer = CriteriaTokenizer(nlp.vocab)
    component = nlp.add_pipe("criteria_sentences")
    doc = component(nlp.make_doc(text))
    assert [bool(t.is_sent_start) for t in doc] == _sentence_starts_token_by_token(doc, {";", "\n"})


def test_word_lists_are_valid_json() -> None:
    for name in ("words.json", "sections.json"):
        assert json.loads(resource_path(name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("BP > 160/90", True),
        ("BPH", False),  # a whole word ("BP") is not a prefix
        ("resting blood\npressure", True),
        ("Hypertensive crisis", True),  # a stem ("hypertensi*") takes any ending
        ("prehypertension", False),  # only at a word start
    ],
)
def test_word_pattern_reads_whole_words_and_stems(text: str, found: bool) -> None:
    assert bool(word_pattern("pressure_words").search(text)) is found


def _extract_in_worker(text: str) -> dict[str, Any]:
    # each worker builds its own pipeline (medspaCy rule objects do not pickle) and returns plain data
    return extractor.extract(text)


def test_multiprocessing_gives_the_same_records(listing_text: str) -> None:
    texts = [listing_text, "Inclusion Criteria:\nAge 18~65 years\nExclusion Criteria:\nHIV positive\n"]
    serial = [extractor.extract(t) for t in texts]
    with get_context("spawn").Pool(2) as pool:
        parallel = pool.map(_extract_in_worker, texts)
    assert parallel == serial


@pytest.mark.parametrize(
    ("mention", "singular", "name"),
    [
        ("Nitrates", True, "nitrate"),
        ("therapies", True, "therapy"),
        ("NSAIDs", True, "nsaid"),
        ("digitalis", True, "digitalis"),  # a singular ending in -is, -us, -ss stays
        ("AIDS", True, "aids"),  # an acronym is never a plural
        ("cardiac\r\n     arrhythmias", False, "cardiac arrhythmias"),  # a hard wrap is one space
    ],
)
def test_names_of_mentions_without_a_curated_normalisation(mention: str, singular: bool, name: str) -> None:
    from extractor.assemble import name_of

    assert name_of(mention, singular=singular) == name


def test_a_drug_class_is_named_alike_in_the_singular_and_the_plural() -> None:
    from .conftest import all_items, extract_lines

    record = extract_lines("Nitrates within 24 hours", "Concurrent use of a nitrate", side="exclusion")
    names = {d["name"] for d in all_items(record, "drugs")}
    assert names == {"nitrate"}, names


@pytest.mark.parametrize(
    ("text", "mention", "name"),
    [
        ("Use of NSAIDs within 2 weeks", "NSAIDs", "nsaids"),
        ("Current use of recreational drugs", "recreational drugs", "recreational drugs"),
        ("Use of street drugs", "street drugs", "illicit drugs"),
        ("Current treatment with beta-blockers", "beta-blockers", "beta blockers"),
        ("Taking an SSRI or SNRI", "SSRI", "ssris"),
        ("Chronic use of proton pump inhibitors", "proton pump inhibitors", "proton pump inhibitors"),
        ("Prior therapy with a checkpoint inhibitor", "checkpoint inhibitor", "immune checkpoint inhibitors"),
        ("Anticoagulation with a DOAC", "DOAC", "direct oral anticoagulants"),
        # a treatment named by its class, a short or hyphenated name of it
        ("HIV-positive patients on HAART", "HAART", "highly active antiretroviral therapy"),
        ("Patients receiving anti-retroviral therapy", "anti-retroviral therapy", "antiretroviral therapy"),
        ("Androgen therapy", "Androgen therapy", "androgen therapy"),
        ("No concurrent estrogen therapy", "estrogen therapy", "estrogen therapy"),
        ("Receiving hormonal treatment", "hormonal treatment", "hormonal treatment"),
        (
            "At least 4 weeks since any prior investigational therapy",
            "investigational therapy",
            "investigational therapy",
        ),
        # a contraceptive agent and what is transfused are drugs (classes) too
        ("Diaphragm with spermicide", "spermicide", "spermicides"),
        ("Blood products within 3 months", "Blood products", "blood products"),
    ],
)
def test_drug_classes_are_named_drug_classes(text: str, mention: str, name: str) -> None:
    from .conftest import all_items, extract_lines

    record = extract_lines(text, side="exclusion")
    drugs = {d["text"]: d for d in all_items(record, "drugs")}
    assert mention in drugs, drugs
    assert drugs[mention]["name"] == name and drugs[mention]["is_class"] is True


@pytest.mark.parametrize(
    ("text", "mention", "type_"),
    [
        ("Take high doses of testosterone.", "testosterone", "Drug"),
        ("Use of transdermal or oral testosterone within 4 weeks", "testosterone", "Drug"),
        ("Patients who are taking androgens (e.g. testosterone), trazodone", "testosterone", "Drug"),
        ("Hormone usage, other than testosterone, clomiphene or thyroid medication", "testosterone", "Drug"),
        # its level stays a measurement
        ("Serum testosterone < 300 ng/dL", "Serum testosterone", "Measurement"),
        ("Low testosterone levels", "testosterone", "Measurement"),
        ("testosterone < 300 ng/dL", "testosterone", "Measurement"),
    ],
)
def test_a_hormone_taken_is_a_drug_and_its_level_a_measurement(text: str, mention: str, type_: str) -> None:
    from .conftest import all_items, extract_lines

    record = extract_lines(text, side="exclusion")
    types = {e["text"]: e["type"] for e in all_items(record, "entities")}
    assert types.get(mention) == type_, types
    named = {d["text"] for d in all_items(record, "drugs")}
    assert (mention in named) == (type_ == "Drug")


def test_a_participants_relationship_is_an_observation() -> None:
    # golds: "heterosexual relationship" 22 of 22, "sexual relationship" 9 of 9 an Observation
    record = extractor.extract("Inclusion Criteria:\n* In a stable heterosexual relationship for 6 months\n")
    found = [(e["text"], e["type"]) for e in record["criteria"][0]["entities"]]
    assert ("heterosexual relationship", "Observation") in found


def test_a_lexicon_phrase_matches_its_british_spelling_named_by_the_american_one() -> None:
    nlp = extractor.load(model=False)
    doc = nlp("Leukaemia; oesophagectomy; tumour size > 5 cm")
    found = {doc.text[s:e]: (v["type"], v["normalized"]) for (s, e), v in doc._.entity_info.items()}
    assert found["Leukaemia"] == ("Condition", "leukemia")
    assert found["oesophagectomy"] == ("Procedure", "esophagectomy")


def test_common_procedures_come_from_the_lexicon() -> None:
    nlp = extractor.load(model=False)
    doc = nlp("Prior PCI or CABG; planned bronchoscopy or chemoradiotherapy")
    found = {doc.text[s:e]: v["type"] for (s, e), v in doc._.entity_info.items()}
    assert {k: found.get(k) for k in ("PCI", "CABG", "bronchoscopy", "chemoradiotherapy")} == dict.fromkeys(
        ("PCI", "CABG", "bronchoscopy", "chemoradiotherapy"), "Procedure"
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # an acronym in capitals names its concept; the same letters in lower case are another word
        ("Diagnosis of APL confirmed by PCR or FISH", {"FISH": ("Procedure", "fluorescence in situ hybridization")}),
        ("Allergy to fish or shellfish", {"fish": None}),
        ("Not previously treated with ATO", {"ATO": ("Drug", "arsenic trioxide")}),
        # treatments named by what they are against or how new they are: drug classes
        ("Prior PCP prophylaxis", {"PCP prophylaxis": ("Drug", "pneumocystis pneumonia prophylaxis")}),
        ("Change in anti-HIV therapy", {"anti-HIV therapy": ("Drug", "antiretrovirals")}),
        ("Disease progression on prior BTKi therapy", {"BTKi": ("Drug", "bruton tyrosine kinase inhibitors")}),
        (
            "No prior traditional Chinese medicine",
            {"traditional Chinese medicine": ("Drug", "traditional chinese medicine")},
        ),
        ("Drugs known to be CYP3A4 substrates", {"CYP3A4 substrates": ("Drug", "cyp3a4 substrates")}),
        ("Score of 24 or lower on the ASI-3", {"ASI-3": ("Measurement", "anxiety sensitivity index-3")}),
        ("score of 30 and below on the PCL-5", {"PCL-5": ("Measurement", "ptsd checklist for dsm-5")}),
        ("Experimental therapies", {"Experimental therapies": ("Drug", "investigational drugs")}),
    ],
)
def test_lexicon_lines_for_acronyms_in_capitals_and_treatment_classes(
    text: str, found: dict[str, tuple[str, str | None] | None]
) -> None:
    nlp = extractor.load(model=False)
    doc = nlp(text)
    got = {doc.text[s:e]: (v["type"], v.get("normalized")) for (s, e), v in doc._.entity_info.items()}
    assert {k: got.get(k) for k in found} == found


def test_fertile_patients_are_one_person_mention() -> None:
    record = extractor.extract("Inclusion Criteria:\n* Fertile patients must use effective contraception\n")
    people = [e["text"] for e in record["criteria"][0]["entities"] if e["type"] == "Person"]
    assert people == ["Fertile patients"]


def test_pneumocystis_pneumonia_is_one_condition() -> None:
    record = extractor.extract("Exclusion Criteria:\n* History of Pneumocystis carinii pneumonia within 6 months\n")
    conditions = [
        (e["text"], e.get("normalized")) for e in record["criteria"][0]["entities"] if e["type"] == "Condition"
    ]
    assert conditions == [("Pneumocystis carinii pneumonia", "pneumocystis pneumonia")]


def test_an_overdose_is_one_condition_with_its_drug() -> None:
    record = extractor.extract("Exclusion Criteria:\n* Opioid overdose within the past year\n")
    found = [(e["text"], e["type"]) for e in record["criteria"][0]["entities"]]
    assert ("Opioid overdose", "Condition") in found
    assert ("Opioid", "Drug") not in found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # "ED" names erectile dysfunction where the text is about erections ...
        ("Exclusion Criteria:\n* Men with ED of neuropathological origin\n* IIEF score below 21\n", True),
        # ... and a treatment of it, where a therapy word follows, is one Procedure
        ("Exclusion Criteria:\n* Previous ED therapy within 4 weeks\n* IIEF score below 21\n", False),
        # ... and nothing where it is not (an emergency department)
        ("Exclusion Criteria:\n* ED visit within 30 days\n", False),
    ],
)
def test_a_short_form_names_its_concept_where_the_text_is_about_it(text: str, found: bool) -> None:
    record = extractor.extract(text)
    names = [(e["text"], e.get("normalized")) for c in record["criteria"] for e in c["entities"]]
    assert (("ED", "erectile dysfunction") in names) is found
    if "ED therapy" in text:
        assert ("ED therapy", "erectile dysfunction treatment") in names


def test_what_an_anti_word_acts_against_is_no_condition() -> None:
    record = extractor.extract("Exclusion Criteria:\n* Prior systemic anti-tumor treatment\n* Brain tumor\n")
    conditions = [e["text"] for c in record["criteria"] for e in c["entities"] if e["type"] == "Condition"]
    assert conditions == ["Brain tumor"]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Creatinine within upper limit of normal for age", False),
        ("Age-adjusted Charlson index below 5", False),
        ("Age 18 to 65", True),
    ],
)
def test_an_age_that_is_no_participants_is_no_person(text: str, kept: bool) -> None:
    record = extractor.extract(f"Inclusion Criteria:\n* {text}\n")
    people = [e["text"].lower() for e in record["criteria"][0]["entities"] if e["type"] == "Person"]
    assert ("age" in people) is kept


def test_names_from_a_hard_wrapped_long_form_hold_single_spaces() -> None:
    text = (
        "Exclusion Criteria:\r\n\r\n  -  Patients with acute myeloid\r\n     leukemia (AML) in first remission\r\n\r\n"
        "  -  Prior AML therapy, hepatitis B or\r\n     C\r\n"
    )
    record = extractor.extract(text)
    names = [e.get("normalized") or "" for c in record["criteria"] for e in c["entities"]]
    names += [k.get("measure") or "" for c in record["criteria"] for k in c["constraints"]]
    assert names and all(n == " ".join(n.split()) for n in names), names


def test_a_two_letter_short_form_reads_as_the_text_defines_it() -> None:
    # the lexicon reads "EF" as ejection fraction; this text defines it as erectile function
    text = (
        "Inclusion Criteria:\n\n1. Males that have erectile function (EF).\n"
        "2. EF is defined as a score of >=26 on the EF domain of the IIEF questionnaire.\n"
        "3. Left ventricular ejection fraction (LVEF) >= 50%.\n"
    )
    criteria = extractor.extract(text)["criteria"]
    (score,) = criteria[1]["constraints"]
    assert score["measure"] == "erectile function"
    # a longer short form defined in other words keeps the lexicon's reading
    (lvef,) = criteria[2]["constraints"]
    assert lvef["measure"] == "left ventricular ejection fraction"
