"""The shipped entity model: loads offline from the package, its provenance, and the merge policy
between model spans and lexicon mentions."""

from __future__ import annotations

from typing import Any

import pytest
import spacy

import extractor
from extractor import model as entity_model
from extractor.components import coordinated_members
from extractor.errors import ModelError
from extractor.pipeline import load


def test_the_model_ships_in_the_package_with_its_provenance() -> None:
    path = entity_model.model_path()
    assert path.is_relative_to(entity_model.Path(extractor.__file__).parent)
    prov = entity_model.provenance()
    assert prov["split"].startswith("md5(NCT id) mod 10")
    assert 0 < prov["threshold"] < 1
    assert prov["dev_scores"]["strict_main_f1"] > 0.5
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    assert size < 40 * 2**20  # tens of MB at most


def test_the_model_reads_static_vectors_that_give_any_word_a_vector() -> None:
    # floret vectors hash character n-grams: a word no training text holds still gets one, offline
    vocab = entity_model.shared_model().nlp.vocab
    assert vocab.vectors.mode == "floret" and vocab.vectors.shape[1] > 0
    assert vocab.get_vector("fluoropyrimidinezz").any()
    assert entity_model.provenance()["static_vectors"]["settings"]["mode"] == "floret"


def test_an_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(ModelError, match="no entity model 'nope'"):
        entity_model.model_path("nope")


def test_model_finds_open_class_mentions_the_lexicon_does_not_know() -> None:
    m = entity_model.shared_model()
    text = "History of Takayasu arteritis or paroxysmal nocturnal hemoglobinuria"
    found = {(text[s:e], t) for s, e, t, _ in m.predict(text)}
    assert any(t == "Condition" and "arteritis" in span for span, t in found)
    assert any(t == "Condition" and "hemoglobinuria" in span for span, t in found)


def test_selection_keeps_the_best_of_overlapping_spans_of_one_type() -> None:
    spans = [(0, 16, "Measurement", 0.6), (7, 16, "Measurement", 0.8), (0, 6, "Qualifier", 0.5), (20, 25, "Value", 0.1)]
    assert entity_model.EntityModel.select(spans, 0.3) == [(0, 6, "Qualifier", 0.5), (7, 16, "Measurement", 0.8)]


class _FixedModel:
    """Stands in for the trained model so that the merge policy is tested on known spans."""

    threshold = 0.3
    select = staticmethod(entity_model.EntityModel.select)

    def __init__(self, spans: list[tuple[str, str, float]]) -> None:
        self.spans = spans
        self.path = entity_model.Path("fixed")

    def predict_scored_many(
        self, texts: list[str], soft_wraps: object = None, clause_starts: object = None
    ) -> list[list[tuple[int, int, str, float]]]:
        return [self.predict_scored_long(text) for text in texts]

    def predict_scored_long(self, text: str) -> list[tuple[int, int, str, float]]:
        out = []
        for phrase, type_, score in self.spans:
            start = text.find(phrase)
            assert start >= 0, phrase
            out.append((start, start + len(phrase), type_, score))
        return out


def _entities_with(text: str, spans: list[tuple[str, str, float]]) -> dict[str, Any]:
    nlp = load()
    component = nlp.get_pipe("criteria_model_entities")
    saved = component.model, component.model_name  # type: ignore[attr-defined]
    component.model, component.model_name = _FixedModel(spans), "fixed"  # type: ignore[attr-defined]
    try:
        doc = nlp(text)
    finally:
        component.model, component.model_name = saved  # type: ignore[attr-defined]
    return {text[s:e]: info for (s, e), info in doc._.entity_info.items()}


@pytest.mark.parametrize(
    ("text", "model_spans", "expected", "absent"),
    [
        # 1. no overlap: the model span is added with its score
        (
            "Takayasu arteritis",
            [("Takayasu arteritis", "Condition", 0.9)],
            {"Takayasu arteritis": ("Condition", "model:fixed")},
            [],
        ),
        # 2. covers one lexicon mention of its type: the model's extent, the lexicon's normalised name
        (
            "malignant tumors of other organs",
            [("malignant tumors of other organs", "Condition", 0.7)],
            {"malignant tumors of other organs": ("Condition", "model:fixed+lexicon:malignant tumors")},
            ["malignant tumors"],
        ),
        # 2. ... or several naming one concept: a long form and its bracketed abbreviation
        (
            "Eastern Cooperative Oncology Group (ECOG) performance status",
            [("Eastern Cooperative Oncology Group (ECOG) performance status", "Measurement", 0.8)],
            {"Eastern Cooperative Oncology Group (ECOG) performance status": ("Measurement", None)},
            ["ECOG", "performance status"],
        ),
        # 3. a partial overlap: the lexicon mention stays, the model span goes
        (
            "serum creatinine level",
            [("creatinine level", "Measurement", 0.9)],
            {"serum creatinine": ("Measurement", "lexicon:serum creatinine")},
            ["creatinine level"],
        ),
        # 3. two coordinated lexicon mentions are never merged into one
        (
            "immunosuppressive/immune modulators",
            [("immunosuppressive/immune modulators", "Drug", 0.8)],
            {"immunosuppressive": ("Drug", None), "immune modulators": ("Drug", None)},
            ["immunosuppressive/immune modulators"],
        ),
        # 4. a generic mention (flagged "confirm" in the lexicon: "Participation") gives way to a model
        # span over it; the one other mention of its type under the span ("clinical trial") names it, as in 2
        (
            "Participation in another clinical trial",
            [("Participation in another clinical trial", "Observation", 0.6)],
            {"Participation in another clinical trial": ("Observation", "model:fixed+lexicon:clinical trial")},
            ["Participation", "clinical trial"],
        ),
        # 5. a modifier never blocks a concept over it: the lexicon's qualifier "serum" stays beside it
        (
            "serum total testosterone",
            [("serum total testosterone", "Measurement", 0.9)],
            {"serum total testosterone": ("Measurement", None), "serum": ("Qualifier", "lexicon:serum")},
            [],
        ),
        # a time may hold a concept: both stay
        (
            "Hemorrhage before operation",
            [("before operation", "Temporal", 0.8)],
            {"before operation": ("Temporal", "model:fixed"), "operation": ("Procedure", None)},
            [],
        ),
        # ... and a reference point or a modifier, whichever the model scores higher
        (
            "Contraception in the month prior to screening",
            [("in the month prior to screening", "Temporal", 0.8), ("screening", "Reference_point", 0.9)],
            {"in the month prior to screening": ("Temporal", "model:fixed"), "screening": ("Reference_point", None)},
            [],
        ),
        (
            "Teriflunomide continuously for no less than 5 years",
            [("for no less than 5 years", "Temporal", 0.5)],
            {"for no less than 5 years": ("Temporal", "model:fixed")},
            [],
        ),
        # a concept span never ends on a preposition ("Fev1 of" is "Fev1")
        ("a Fev1 of at least 30%", [("Fev1 of", "Measurement", 0.8)], {"Fev1": ("Measurement", None)}, ["Fev1 of"]),
        # ... nor on a modal verb
        (
            "sites treated by cryoablation should not be considered",
            [("cryoablation should", "Procedure", 0.8)],
            {"cryoablation": ("Procedure", "model:fixed")},
            ["cryoablation should"],
        ),
        # a model span's brackets pair up: it starts after a ")" it does not open, ends before a "("
        # it does not close
        (
            "Chronic (parenchymal) lung disease",
            [("parenchymal) lung disease", "Condition", 0.8)],
            {"lung disease": ("Condition", "model:fixed")},
            ["parenchymal) lung disease"],
        ),
        (
            "Tumour of the colon (head lesions excluded)",
            [("colon (head lesions", "Condition", 0.8)],
            {"colon": ("Condition", "model:fixed")},
            ["colon (head lesions"],
        ),
        # a type the component does not take from the model is ignored
        ("bone marrow", [("bone marrow", "Scope", 0.9)], {}, ["bone marrow"]),
    ],
)
def test_merge_policy(
    text: str, model_spans: list[tuple[str, str, float]], expected: dict[str, tuple[str, str | None]], absent: list[str]
) -> None:
    found = _entities_with(text, model_spans)
    for phrase, (type_, rule) in expected.items():
        assert phrase in found, (phrase, found)
        assert found[phrase]["type"] == type_
        if rule is not None:
            assert found[phrase]["rule"] == rule
    for phrase in absent:
        assert phrase not in found
    inherited = found.get("malignant tumors of other organs")
    if inherited:
        assert inherited["score"] == 0.7


@pytest.mark.parametrize(
    ("model_spans", "confirmed"),
    [
        ([], False),  # no support from the model: the generic mention is marked and left out of the record
        ([("Maintenance treatment", "Procedure", 0.15)], True),  # an overlapping span of its type, under selection
        ([("Maintenance treatment", "Observation", 0.9)], False),  # another type confirms nothing
    ],
)
def test_a_generic_lexicon_mention_needs_the_models_confirmation(
    model_spans: list[tuple[str, str, float]], confirmed: bool
) -> None:
    found = _entities_with("Maintenance treatment with rituximab", model_spans)
    assert "unconfirmed" not in found["rituximab"]  # a specific name never needs it
    if model_spans and model_spans[0][1] == "Observation":
        assert "treatment" not in found  # it gave way to the model's span over it
        return
    assert found["treatment"].get("unconfirmed", False) is not confirmed


def test_model_value_spans_give_way_to_rule_values_in_the_record() -> None:
    record = extractor.extract("Inclusion Criteria:\n- biopsy-proven carcinoma\n- Serum creatinine > 1.5 mg/dL\n")
    values = [
        (e["text"], e["provenance"]["component"])
        for c in record["criteria"]
        for e in c["entities"]
        if e["type"] == "Value"
    ]
    assert ("> 1.5 mg/dL", "criteria_values") in values
    assert all(comp == "criteria_values" for text, comp in values if "1.5" in text)


def test_model_mentions_carry_their_score_in_the_record() -> None:
    record = extractor.extract("Exclusion Criteria:\n- Takayasu arteritis or paroxysmal nocturnal hemoglobinuria\n")
    made = [
        e
        for c in record["criteria"]
        for e in c["entities"]
        if e["provenance"]["component"] == "criteria_model_entities"
    ]
    # the model's own spans carry its score; a vocabulary name or a coordination member has none
    scored = [e for e in made if e["provenance"]["rule"].startswith("model:")]
    assert scored and all(0 <= e["provenance"]["score"] <= 1 for e in scored)
    assert all("score" not in e["provenance"] for e in made if e not in scored)


def test_rules_only_pipeline_has_no_model_component() -> None:
    assert "criteria_model_entities" not in load(model=False).pipe_names
    assert "criteria_model_entities" in load().pipe_names


def test_long_texts_are_read_in_line_pieces_and_letterless_runs_skipped() -> None:
    text = "<" * 5000 + "\nHistory of Takayasu arteritis\n" + "word " * 1000
    pieces = list(entity_model.pieces_of(text, limit=2000))
    assert pieces[0][0] == 5001  # the run of "<" holds no letter
    assert all(b - a <= 2000 for a, b in pieces) and pieces[-1][1] == len(text)
    assert text[pieces[0][0] : pieces[0][1]] == "History of Takayasu arteritis"
    found = entity_model.shared_model().predict_scored_long(text)
    assert all(text[s:e].strip() for s, e, _, _ in found)
    assert any("arteritis" in text[s:e] for s, e, t, _ in found if t == "Condition")


def test_batched_and_single_document_predictions_agree() -> None:
    texts = ["History of Takayasu arteritis", "", "Serum creatinine > 1.5 mg/dL\nprior stroke", "<<<<"]
    m = entity_model.shared_model()
    assert m.predict_scored_many(texts) == [m.predict_scored_long(t) for t in texts]


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("  -  Vitamin A level less than 75 IU/ml.", "Vitamin A level less than 75 IU/ml."),
        ("* Age 21 - 75 years", "Age 21 - 75 years"),
        ("12. Prior stroke", "Prior stroke"),
        ("(b) Prior stroke", "Prior stroke"),
        ("a) Prior stroke", "Prior stroke"),
        # no marker: a sign, a decimal, an abbreviation, a marker alone on its line
        ("-5 mg/dL or lower", "-5 mg/dL or lower"),
        ("1.5 times ULN", "1.5 times ULN"),
        ("e.g. asbestos", "e.g. asbestos"),
        ("  -  ", None),
    ],
)
def test_the_model_reads_a_list_item_from_its_first_word(text: str, read: str | None) -> None:
    # Chia's training lines mostly start with their first word; a marker before it changed what the
    # 4-token window read ("  -  Vitamin A level less than 75 IU/ml" found no Measurement after a line)
    m = entity_model.shared_model()
    seen: list[str] = []
    real = m.pipe_scored

    def recording(pieces: Any, batch_size: int = 64) -> Any:
        pieces = list(pieces)
        seen.extend(pieces)
        return real(pieces, batch_size)

    m.pipe_scored = recording  # type: ignore[method-assign]
    try:
        (spans,) = m.predict_scored_many([text])
    finally:
        del m.pipe_scored
    assert seen == ([read] if read is not None else [])
    assert all(text[s:e] in read for s, e, _, _ in spans) if read else not spans


def test_scores_read_from_the_matrix_are_spacys_span_groups() -> None:
    # the direct read of the SpanCategorizer's scores must give what spaCy's span groups give, in order
    # (the scores up to float32 rounding: the direct read computes them per token, extractor.spancat_fast)
    m = entity_model.shared_model()
    texts = [
        "Type 2 diabetes mellitus with HbA1c > 7.5%\nNo insulin within 3 months;  serum creatinine >= 1.5 mg/dL",
        "   ",
        "",
        "Patients aged 18 years or older with (ALT) elevation",
    ]
    assert m._direct
    direct = list(m.pipe_scored(texts, batch_size=3))
    m._direct = False
    try:
        groups = list(m.pipe_scored(texts, batch_size=3))
    finally:
        m._direct = True
    assert [[span[:3] for span in spans] for spans in groups] == [[span[:3] for span in spans] for spans in direct]
    assert all(
        abs(a[3] - b[3]) <= 1e-5
        for spans, ours in zip(groups, direct, strict=True)
        for a, b in zip(spans, ours, strict=True)
    )
    assert any(direct)


def test_a_short_form_takes_its_long_forms_type_and_links_through_it() -> None:
    record = extractor.extract(
        "Exclusion Criteria:\n- paroxysmal nocturnal hemoglobinuria (PNH) or prior stroke\n- active PNH requiring eculizumab\n"
    )
    ents = [e for c in record["criteria"] for e in c["entities"]]
    # (the abbreviation in brackets after its long form is inside that one mention)
    (long_form,) = [e for e in ents if e["text"] == "paroxysmal nocturnal hemoglobinuria (PNH)"]
    shorts = [e for e in ents if e["text"].endswith("PNH") and "(" not in e["text"]]  # ("active PNH": one mention)
    assert shorts and all(e["type"] == long_form["type"] == "Condition" for e in shorts)
    assert all(e["normalized"] == "paroxysmal nocturnal hemoglobinuria" for e in shorts)
    assert all(e["codes"][0]["code"] == "D59.5" for e in [long_form, *shorts])


def test_a_model_span_inside_a_rule_value_does_not_cut_its_comparator() -> None:
    text = "Inclusion Criteria:\n- Hemoglobin >= 9 g/dL at screening\n"
    nlp = load()
    component = nlp.get_pipe("criteria_model_entities")
    saved = component.model, component.model_name  # type: ignore[attr-defined]
    component.model = _FixedModel([("9 g/dL", "Value", 0.9)])  # type: ignore[attr-defined]
    component.model_name = "fixed"  # type: ignore[attr-defined]
    try:
        record = extractor.extract(text, nlp=nlp)
    finally:
        component.model, component.model_name = saved  # type: ignore[attr-defined]
    (crit,) = record["criteria"]
    values = [e for e in crit["entities"] if e["type"] == "Value"]
    # one mention; the model's start would cut the comparator off, so the rule's is kept
    assert [v["text"] for v in values] == [">= 9 g/dL"]
    assert values[0]["provenance"]["component"] == "criteria_values"
    (constraint,) = crit["constraints"]
    assert (constraint["text"], constraint["comparator"], constraint["value"]) == (">= 9 g/dL", ">=", 9)


@pytest.mark.parametrize(
    ("spans", "kept"),
    [
        # the rule Value takes the model's edges, and what they then hold is part of it
        ([("under 18 years old", "Value", 0.9), ("old", "Person", 0.5)], ["age", "under 18 years old"]),
        # a clinical concept inside those edges stays a mention of its own
        ([("under 18 years of cancer", "Value", 0.9), ("cancer", "Condition", 0.5)], None),
    ],
)
def test_what_a_widened_rule_value_holds_is_part_of_it(
    spans: list[tuple[str, str, float]], kept: list[str] | None
) -> None:
    text = (
        "Exclusion Criteria:\n- age under 18 years old\n"
        if kept
        else "Exclusion Criteria:\n- age under 18 years of cancer\n"
    )
    nlp = load()
    component = nlp.get_pipe("criteria_model_entities")
    saved = component.model, component.model_name  # type: ignore[attr-defined]
    component.model, component.model_name = _FixedModel(spans), "fixed"  # type: ignore[attr-defined]
    try:
        record = extractor.extract(text, nlp=nlp)
    finally:
        component.model, component.model_name = saved  # type: ignore[attr-defined]
    (crit,) = record["criteria"]
    texts = [e["text"] for e in crit["entities"]]
    if kept is not None:
        assert texts == kept
    else:
        assert "cancer" in texts


_PARAGRAPH = (
    "Patients with a history of congestive heart failure, unstable angina or organic encephalopathy "
    "syndrome within the past 6 months, or uncontrolled hypertension despite treatment with two or more "
    "antihypertensive agents, or multi-source frequent premature ventricular tachycardia on Holter "
    "monitoring during the screening period"
)


def _hard_wrapped(text: str, width: int = 70) -> str:
    """Greedy wrapping that turns a space into a line break: every offset stays the same."""
    out, line_start, last_space = list(text), 0, -1
    for i, ch in enumerate(text):
        if ch == " ":
            if i - line_start > width and last_space > line_start:
                out[last_space] = "\n"
                line_start = last_space + 1
            last_space = i
    return "".join(out)


def test_a_hard_wrapped_paragraph_is_read_as_the_sentence_it_is() -> None:
    wrapped = _hard_wrapped(_PARAGRAPH)
    assert wrapped.count("\n") >= 3 and len(wrapped) == len(_PARAGRAPH)
    model = entity_model.shared_model()
    assert model.predict_scored_long(wrapped) == model.predict_scored_long(_PARAGRAPH)


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        # a list of short criteria is never joined, whatever case its lines start with
        ("age <18y\ndiabetes\nplatelet count <50,000/uL\n", [1, 1, 1]),
        # a wrapped block: the break inside the sentence goes, the one after its full stop stays
        (_hard_wrapped(_PARAGRAPH) + ".\n" + "no other cancer", None),
        # a bullet on the next line starts a new item even in lower case
        ("- " + _hard_wrapped(_PARAGRAPH) + "\n- a second item", None),
    ],
)
def test_soft_wraps_are_told_from_line_ends(text: str, groups: list[int] | None) -> None:
    pieces = list(entity_model.pieces_of(text))
    found = [len(g) for g in entity_model.soft_wrapped(text, pieces)]
    if groups is not None:
        assert found == groups
        return
    assert len(found) == 2 and found[0] > 1 and found[-1] == 1, found


@pytest.mark.parametrize(
    ("text", "span", "kept"),
    [
        ("Antiretroviral naive patients", "naive", False),
        ("test kit at any time", "kit", False),
        ("NYHA class III heart failure", "III", True),
        ("HBsAg positive", "positive", True),
        ("tumour size 2 cm", "2 cm", True),
    ],
)
def test_a_model_value_span_must_hold_a_number_grade_or_result(text: str, span: str, kept: bool) -> None:
    from extractor.components import is_value_phrase

    assert is_value_phrase(span) is kept
    found = _entities_with(text, [(span, "Value", 0.9)])
    if kept:
        assert found[span]["type"] == "Value"
    else:
        assert not str(found.get(span, {}).get("rule", "")).startswith("model:")


@pytest.mark.parametrize(
    ("text", "span", "kept"),
    [
        ("Suspicion of neurologic dysfunction at tested sites", "at tested sites", False),
        ("bone mineral density at the femur neck", "at the femur neck", False),
        ("Completely edentulous", "Completely", False),
        ("drug allergy in this study", "in this study", False),
        ("Previous treatment by chemoembolization", "Previous", True),
        ("Albumin < 3 g/dL at the time of enrollment", "at the time of enrollment", True),
        ("infection in the past two weeks", "in the past two weeks", True),
        ("Inability to communicate in the preoperative period", "preoperative period", True),
    ],
)
def test_a_model_temporal_span_must_hold_a_number_or_a_word_of_time(text: str, span: str, kept: bool) -> None:
    from extractor.components import is_temporal_phrase

    assert is_temporal_phrase(span) is kept
    found = _entities_with(text, [(span, "Temporal", 0.9)])
    if not kept:
        assert not str(found.get(span, {}).get("rule", "")).startswith("model:")


def test_the_pruned_suggester_leaves_out_only_candidates_with_impossible_edges() -> None:
    from spacy.pipeline.spancat import build_ngram_suggester

    model = entity_model.shared_model()
    doc = model.nlp.make_doc("History of stroke, and/or myocardial infarction with the  chest pain")
    full = {tuple(map(int, row)) for row in build_ngram_suggester(list(range(1, 11)))([doc]).dataXd}
    pruned = {tuple(map(int, row)) for row in model.nlp.get_pipe("spancat").suggester([doc]).dataXd}
    assert pruned < full
    for start, end in full - pruned:
        first, last = doc[start], doc[end - 1]
        assert (
            first.is_space
            or last.is_space
            or first.lower_ in {",", "and", "/", "or"}
            or last.lower_
            in {
                "and",
                "with",
                "the",
                "/",
                "or",
            }
        ), doc[start:end]
    assert (7, 9) in pruned and (12, 14) in pruned  # "myocardial infarction", "chest pain" stay


@pytest.mark.parametrize(
    ("text", "span", "normalized"),
    [
        # a class named by its head noun alone does not name a longer model span over it
        ("Use of mTOR inhibitors", "mTOR inhibitors", None),
        ("influenza vaccine within 30 days", "influenza vaccine", None),
        # a specific class does
        ("systemic corticosteroids", "systemic corticosteroids", "corticosteroids"),
    ],
)
def test_a_head_noun_class_does_not_name_a_longer_model_span(text: str, span: str, normalized: str | None) -> None:
    found = _entities_with(text, [(span, "Drug", 0.8)])
    assert found[span]["normalized"] == normalized
    assert found[span]["is_class"]


@pytest.mark.parametrize(
    ("text", "drugs"),
    [
        ("Previous use of esmolol or phenprocoumon", {"esmolol", "phenprocoumon"}),  # single DrugBank drugs
        ("Use of antibiotics or insulin", set()),  # a class, and a name DrugBank does not give one id
        ("Urine test positive for cocaine", set()),  # mostly not a drug mention in Chia (stoplist)
        # a therapeutic drug stays one, however few of its Chia train mentions were marked
        ("Patients may receive hydroxyurea as needed", {"hydroxyurea"}),
        # a name ending in a capital letter alone (NCT00002114)
        ("Daily Vitamin C dosage greater than 1,000 mg", {"Vitamin C"}),
    ],
)
def test_names_of_single_drugbank_drugs_are_drug_mentions(text: str, drugs: set[str]) -> None:
    found = _entities_with(text, [])
    assert {k for k, v in found.items() if v.get("rule") == "drugbank-name"} == drugs


@pytest.mark.parametrize(
    ("text", "conditions"),
    [
        # single ICD-10-CM names the model missed on the Chia dev split
        ("Known Gilbert's syndrome", {"Gilbert's syndrome"}),
        ("Patients with bicuspid aortic valve", {"bicuspid aortic valve"}),
        ("Persistent diarrhea", {"diarrhea"}),
        # the leading "history of" is not part of the name, so it is never read as one
        ("No history of jaundice", {"jaundice"}),
        # stoplist: Chia mostly marks these otherwise ("chronic pain", "HIV infection")
        ("Pain at the injection site", set()),
        ("Known HIV", set()),
        # a short name only in capitals, as an abbreviation: "fit" is no convulsion
        ("Patients with CKD", {"CKD"}),
        ("Proper fit of the monitor", set()),
        # ICD-10-CM's external causes and health-status factors name no condition; plurals are stoplisted too
        ("Prior counseling by a psychologist", set()),
        ("Living organ donors", set()),
    ],
)
def test_names_of_single_icd10cm_conditions_are_condition_mentions(text: str, conditions: set[str]) -> None:
    found = _entities_with(text, [])
    assert {k for k, v in found.items() if v.get("rule") == "icd10cm-name"} == conditions
    assert all(found[k]["type"] == "Condition" for k in conditions)


@pytest.mark.parametrize(
    ("text", "model_spans", "whole", "kept"),
    [
        # "Restless" and "legs syndrome" from the model: together one ICD-10-CM name (G25.81), one mention
        (
            "Restless legs syndrome",
            [("Restless", "Qualifier", 0.6), ("legs syndrome", "Condition", 0.6)],
            "Restless legs syndrome",
            [],
        ),
        # "Severe aortic stenosis" names no code as a whole: the qualifier stays its own mention
        (
            "Severe aortic stenosis",
            [("Severe", "Qualifier", 0.6), ("aortic stenosis", "Condition", 0.6)],
            None,
            ["Severe", "aortic stenosis"],
        ),
    ],
)
def test_a_qualifier_inside_a_vocabulary_name_is_part_of_the_mention(
    text: str, model_spans: list[tuple[str, str, float]], whole: str | None, kept: list[str]
) -> None:
    found = _entities_with(text, model_spans)
    if whole is not None:
        assert found[whole]["type"] == "Condition"
        assert found[whole]["rule"] == "model:fixed+qualified-name"
        assert set(found) == {whole}
    for mention in kept:
        assert mention in found


def test_a_model_span_starts_at_a_words_start() -> None:
    # the model's finer tokens split "A1C" into "A" and "1C"; a span never starts inside the word
    record = extractor.extract("Exclusion Criteria:\nA1C level above 8.5%\n")
    measurements = [e["text"] for c in record["criteria"] for e in c["entities"] if e["type"] == "Measurement"]
    assert measurements == ["A1C level"]


def test_vocabulary_names_can_be_switched_off() -> None:
    nlp = load({"criteria_model_entities": {"condition_names": False, "drug_names": False}})
    doc = nlp("Persistent diarrhea after esmolol")
    assert not any(v.get("rule") in ("icd10cm-name", "drugbank-name") for v in doc._.entity_info.values())


def test_a_drugbank_name_inside_another_mention_is_not_added() -> None:
    found = _entities_with("Recurrent bradycardia after esmolol", [("bradycardia after esmolol", "Condition", 0.9)])
    assert found["bradycardia after esmolol"]["type"] == "Condition"
    assert not any(v.get("rule") == "drugbank-name" for v in found.values()), found


@pytest.mark.parametrize(
    ("text", "members", "whole"),
    [
        # a shared head: each later conjunct runs to the end
        ("Gastrointestinal or genitourinary bleeding", ["genitourinary bleeding"], "gastrointestinal bleeding"),
        ("renal/hepatic failure", ["hepatic failure"], "renal failure"),
        (
            "renal, hepatic, cardiac or pulmonary severe disease",
            [
                "hepatic, cardiac or pulmonary severe disease",
                "cardiac or pulmonary severe disease",
                "pulmonary severe disease",
            ],
            "renal severe disease",
        ),
        # a shared modifier: each earlier conjunct ends a mention from the start
        ("mitral regurgitation or stenosis", ["mitral regurgitation"], "mitral stenosis"),
        (
            "intracardiac mass, thrombus or vegetation",
            ["intracardiac mass", "intracardiac mass, thrombus"],
            "intracardiac vegetation",
        ),
        # nothing shared, nothing coordinated, or a bracket: no members
        ("bone marrow or stem cell transplant", None, None),
        ("chronic heart failure", None, None),
        ("infection (bacterial or viral)", None, None),
        # a bare comma lists things; a conjunct that is no word is no member
        ("lower extremities, fever", None, None),
        ("cytochrome P450 3A4/5", None, None),
    ],
)
def test_coordinated_members_follow_chia(text: str, members: list[str] | None, whole: str | None) -> None:
    found = coordinated_members(text)
    if members is None:
        assert found is None
        return
    assert found is not None
    assert [text[a:b] for a, b, _ in found[0]] == members
    assert found[1] == whole


def test_a_coordination_read_as_one_mention_holds_its_members_as_one_any_leaf() -> None:
    nlp = load()
    component = nlp.get_pipe("criteria_model_entities")
    saved = component.model, component.model_name  # type: ignore[attr-defined]
    spans = [("gastrointestinal or genitourinary bleeding", "Condition", 0.9)]
    component.model, component.model_name = _FixedModel(spans), "fixed"  # type: ignore[attr-defined]
    try:
        record = extractor.extract(
            "Exclusion Criteria:\nHistory of gastrointestinal or genitourinary bleeding\n", nlp=nlp
        )
    finally:
        component.model, component.model_name = saved  # type: ignore[attr-defined]
    (crit,) = record["criteria"]
    conditions = {e["text"]: e for e in crit["entities"] if e["type"] == "Condition"}
    # (the whole is its first conjunct in the record, as the golds read it; the BRAT writer writes the
    # whole Chia marks)
    whole, member = conditions["gastrointestinal"], conditions["genitourinary bleeding"]
    assert (whole["normalized"], member["normalized"]) == ("gastrointestinal bleeding", "genitourinary bleeding")
    assert member["provenance"] == {"component": "criteria_model_entities", "rule": "coordinated-member"}
    assert crit["logic"] == {"op": "any", "args": [{"ref": whole["id"]}, {"ref": member["id"]}]}


def test_a_model_span_starts_after_a_list_bullet() -> None:
    found = _entities_with("· creatinine ≤ 1.5 x ULN", [("· creatinine", "Measurement", 0.9)])
    assert "· creatinine" not in found
    assert found["creatinine"]["type"] == "Measurement"


def test_a_place_is_no_model_concept() -> None:
    found = _entities_with(
        "Located in the continental U.S., Hawaii, or Alaska",
        [("Hawaii", "Drug", 0.84), ("Alaska", "Drug", 0.45), ("continental U.S.", "Observation", 0.5)],
    )
    assert "Hawaii" not in found and "Alaska" not in found
    assert found["continental U.S."]["type"] == "Observation"  # a place may still be what a criterion asks


def test_a_microorganism_read_as_a_drug_names_the_infection() -> None:
    found = _entities_with(
        "Opportunistic infections: Candida albicans, Legionella, Isospora, or E. coli-derived asparaginase allergy",
        [
            ("Legionella", "Drug", 0.7),
            ("Isospora", "Drug", 0.95),
            ("E. coli-derived asparaginase", "Drug", 0.8),
        ],
    )
    assert found["Legionella"]["type"] == found["Isospora"]["type"] == "Condition"
    # a DrugBank name (an allergen extract) that is the organism alone is no drug either
    assert found.get("Candida albicans", {}).get("type") != "Drug"
    assert found["E. coli-derived asparaginase"]["type"] == "Drug"  # a product named after the organism


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Candida albicans", True),
        ("Legionella", True),
        ("Herpes simplex", True),
        ("Mycobacterium avium-intracellulare", True),
        ("Pseudomonas aeruginosa", True),
        ("Candida albicans skin test antigen", False),
        ("Escherichia coli-derived Asparaginase", False),
        ("Candida Vaccine", False),
        ("herpes", False),
        ("esmolol", False),
    ],
)
def test_microorganism_names(name: str, expected: bool) -> None:
    from extractor.components import is_microorganism_name

    assert is_microorganism_name(name) is expected


def test_an_author_in_a_citation_is_no_model_concept() -> None:
    found = _entities_with(
        "HIT-6 score of ≥ 56 (Yang, Rendas-Baum, Varon, & Kosinski, 2011); prior docetaxel (Smith et al., 2019)",
        [("Rendas-Baum", "Drug", 0.8), ("Varon", "Drug", 0.6), ("docetaxel", "Drug", 0.9), ("Smith", "Drug", 0.5)],
    )
    assert "Rendas-Baum" not in found and "Varon" not in found and "Smith" not in found
    assert found["docetaxel"]["type"] == "Drug"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(Yang, Rendas-Baum, Varon, & Kosinski, 2011)", True),
        ("(Soules et al., 2001)", True),
        ("(Milinkovic and Cordaro, 2014)", True),
        ("(docetaxel, paclitaxel)", False),
        ("(since 2011)", False),
    ],
)
def test_citations(text: str, expected: bool) -> None:
    from extractor.components import in_citation

    assert in_citation(text, 1, 3) is expected


def test_an_amount_alone_is_no_model_drug() -> None:
    found = _entities_with(
        "Current alcohol abuse (>7 drinks or 210 g per wk for women)", [("210 g per wk", "Drug", 0.6)]
    )
    assert "210 g per wk" not in found


def test_an_everyday_service_is_no_model_concept() -> None:
    found = _entities_with("Regular access to the internet and/or wifi", [("wifi", "Drug", 0.6)])
    assert "wifi" not in found


@pytest.mark.parametrize(
    ("lower", "upper", "expected"), [(1.0, 0.0, "history of heart failure"), (0.0, 1.0, "HISTORY OF HEART FAILURE")]
)
def test_the_case_augmenter_changes_case_and_keeps_the_spans(lower: float, upper: float, expected: str) -> None:
    from spacy.training import Example

    from extractor.components import make_case_augmenter

    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "extractor.ModelTokenizer.v1"}}})
    reference = nlp("History of Heart Failure")
    reference.spans["sc"] = [reference.char_span(11, 24, label="Condition")]
    (augmented,) = make_case_augmenter(lower, upper)(nlp, Example(nlp.make_doc(reference.text), reference))
    assert augmented.reference.text == expected
    assert [(s.start_char, s.end_char, s.label_) for s in augmented.reference.spans["sc"]] == [(11, 24, "Condition")]
    # a text whose length would change in the other case is kept as it is
    odd = nlp("Straße")
    (kept,) = make_case_augmenter(0.0, 1.0)(nlp, Example(nlp.make_doc(odd.text), odd))
    assert kept.reference.text == "Straße"


def _suggest_doc_by_doc(suggester: Any, docs: list[Any]) -> Any:
    """The pruned suggester as it was written first, one doc at a time: the reference order and arrays."""
    import numpy
    from spacy.attrs import IS_SPACE, LOWER
    from thinc.api import get_current_ops
    from thinc.types import Ragged

    ops = get_current_ops()
    spans: list[Any] = []
    lengths: list[int] = []
    for doc in docs:
        n = len(doc)
        attrs = doc.to_array([LOWER, IS_SPACE]).reshape(n, 2) if n else numpy.zeros((0, 2), dtype="uint64")
        space = attrs[:, 1].astype(bool)
        ok_start = ~(numpy.isin(attrs[:, 0], suggester.bad_start) | space)
        ok_end = ~(numpy.isin(attrs[:, 0], suggester.bad_end) | space)
        length = 0
        for size in suggester.sizes:
            if size > n:
                break
            starts = numpy.arange(n - size + 1, dtype="int32")
            starts = starts[ok_start[starts] & ok_end[starts + size - 1]]
            if len(starts):
                spans.append(numpy.stack((starts, starts + size), axis=1))
                length += len(starts)
        lengths.append(length)
    if spans:
        return Ragged(ops.asarray2i(numpy.vstack(spans)), ops.asarray1i(lengths))
    return Ragged(ops.xp.zeros((0, 0), dtype="i"), ops.asarray1i(lengths))


_WORDS = ["creatinine", "and", "or", ",", "the", "with", "(", ")", "/", "than", "mg", "5", " ", "\n", "an", "."]


def _random_texts(count: int, seed: int) -> list[str]:
    import random

    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        words = [rng.choice(_WORDS) for _ in range(rng.choice([0, 1, 2, 3, 5, 9, 10, 11, 14, 30]))]
        texts.append(" ".join(words) if rng.random() < 0.5 else "".join(words))
    return texts


@pytest.mark.parametrize(
    "texts",
    [
        [],
        [""],
        ["", "", ""],
        ["Creatinine"],
        [" "],
        ["   ", "\n", " \n "],
        ["and"],
        ["History of stroke"],  # shorter than the largest n-gram
        ["History of stroke, and/or myocardial infarction with the  chest pain and more words than ten"],
        ["", "Creatinine", "  ", "and the", "History of myocardial infarction", "", "x"],
        _random_texts(300, 1),  # many docs, every length, whitespace and edge words
        _random_texts(40, 2),
    ],
)
def test_the_pruned_suggester_reads_every_doc_at_once_with_the_same_output(texts: list[str]) -> None:
    model = entity_model.shared_model()
    suggester = model.nlp.get_pipe("spancat").suggester  # type: ignore[attr-defined]
    docs = [model.nlp.make_doc(text) for text in texts]
    got, want = suggester(docs), _suggest_doc_by_doc(suggester, docs)
    assert got.dataXd.dtype == want.dataXd.dtype and got.dataXd.shape == want.dataXd.shape
    assert (got.dataXd == want.dataXd).all()
    assert got.lengths.dtype == want.lengths.dtype and (got.lengths == want.lengths).all()
    # and one doc at a time, as the model reads a batch in groups
    for doc in docs:
        one, ref = suggester([doc]), _suggest_doc_by_doc(suggester, [doc])
        assert one.dataXd.shape == ref.dataXd.shape and (one.dataXd == ref.dataXd).all()


def test_the_pruned_suggester_keeps_each_size_given_and_refuses_a_size_below_one() -> None:
    model = entity_model.shared_model()
    docs = [model.nlp.make_doc(text) for text in ["a b c d", "", "e f"]]
    suggester = entity_model.PrunedNgramSuggester(model.nlp.vocab, [3, 1, 3])  # sorted, the repeat kept
    got, want = suggester(docs), _suggest_doc_by_doc(suggester, docs)
    assert (got.dataXd == want.dataXd).all() and (got.lengths == want.lengths).all()
    assert list(got.lengths) == [4 + 2 + 2, 0, 2]
    with pytest.raises(ModelError, match="at least 1"):
        entity_model.PrunedNgramSuggester(model.nlp.vocab, [0, 1])


def test_pieces_join_at_the_layouts_soft_wraps_and_are_cut_where_a_criterion_starts() -> None:
    text = "No prior\r\n     chemotherapy No concurrent\r\nradiotherapy\r\nDiabetes"
    pieces = list(entity_model.pieces_of(text))
    wrap_1 = (text.index("prior") + 5, text.index("chemotherapy"))
    wrap_2 = (text.index("concurrent") + 10, text.index("radiotherapy"))
    groups = list(entity_model.joined_at(pieces, [wrap_1, wrap_2]))
    assert [[text[a:b].strip() for a, b in g] for g in groups] == [
        ["No prior", "chemotherapy No concurrent", "radiotherapy"],
        ["Diabetes"],
    ]
    cut = list(entity_model.cut_at(text, groups, [text.index("No concurrent")]))
    assert [[text[a:b].strip() for a, b in g] for g in cut] == [
        ["No prior", "chemotherapy"],
        ["No concurrent", "radiotherapy"],
        ["Diabetes"],
    ]
    # a cut at the start of a line ends the group before that line
    at_line = list(entity_model.cut_at(text, groups, [pieces[1][0]]))
    assert [len(g) for g in at_line] == [1, 2, 1]


def test_the_model_reads_no_span_across_a_criterion_start() -> None:
    model = entity_model.shared_model()
    text = "At least 4 weeks since prior immunotherapy Chemotherapy: No more than 2 prior regimens"
    start = text.index("Chemotherapy")
    (spans,) = model.predict_scored_many([text], soft_wraps=[[]], clause_starts=[[start]])
    assert spans and not any(s < start < e for s, e, _, _ in spans)


def test_model_spans_are_kept_from_the_threshold_of_their_type() -> None:
    # "type_thresholds" keeps a type's model spans from its own threshold: a Condition from 0.2, a
    # Procedure from 0.45 (the fixed model's own threshold is 0.3)
    nlp = load({"criteria_model_entities": {"type_thresholds": {"Condition": 0.2, "Procedure": 0.45}}})
    component = nlp.get_pipe("criteria_model_entities")
    text = "Takayasu arteritis after arterial bypass grafting"
    component.model = _FixedModel(  # type: ignore[attr-defined]
        [("Takayasu arteritis", "Condition", 0.25), ("arterial bypass grafting", "Procedure", 0.4)]
    )
    component.model_name = "fixed"  # type: ignore[attr-defined]
    found = {text[s:e]: info for (s, e), info in nlp(text)._.entity_info.items()}
    assert found["Takayasu arteritis"]["rule"] == "model:fixed"
    assert "arterial bypass grafting" not in found or found["arterial bypass grafting"]["rule"] != "model:fixed"
    # by default every type is kept from the one threshold
    default = _entities_with(
        text, [("Takayasu arteritis", "Condition", 0.25), ("arterial bypass grafting", "Procedure", 0.4)]
    )
    assert "Takayasu arteritis" not in default or default["Takayasu arteritis"]["rule"] != "model:fixed"
    assert default["arterial bypass grafting"]["rule"] == "model:fixed"
