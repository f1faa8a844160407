"""Doc(s) -> record: one plain JSON document per trial, following ``schemas/criteria.schema.json``."""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from functools import cache, lru_cache
from typing import Any

from spacy.language import Language

from . import __version__
from .analysis import Analysis, analyse_spans
from .brat import (
    FIRST_CONJUNCT,
    GUIDE_WORD,
    HYPHEN_STATUS,
    ORGAN_MEMBER,
    PARTICIPANT_WORD,
    PARTNER_WORD,
    QUALIFIED,
    WITH_GRADE,
    WITH_PARTICIPANTS,
    WITH_THERAPY_WORD,
)
from .components import ASSERTED_TYPES, CONCEPT_TYPES, MODEL_COMPONENT_RULES, first_conjunct_end
from .formulas import differences_from_published
from .layout import CriterionSpan, Layout, flatten, is_group_heading, list_item_starts, starts_its_line
from .link import (
    DURATION_SUBJECT_TYPES,
    LEAF_TYPES,
    LOGIC_LEAF_TYPES,
    TARGETING,
    build_logic,
    change_after,
    change_before,
    frequency_of,
    is_dose_unit,
    link_subjects,
    plain_dose,
    qualitative_results,
    route_of,
    state_right_before,
    window_targets,
)
from .rules import drug_therapy, guide_types, load_json, word_list, word_pattern, word_set
from .source import Source
from .sub_items import sub_items
from .temporal import iso_duration
from .units import DURATION_UCUM, registry
from .values import COMPARATOR_RE

_DIGIT = re.compile(r"\d")
# what ends a list of targets: a clause mark or a word that starts another phrase
_LIST_BREAK = re.compile(r"[;:.()]|\b(?:within|for|in|during|with|without|and\s+(?:any|other))\b", re.IGNORECASE)

SCHEMA_VERSION = "1.6.0"
ASSERTED = frozenset(ASSERTED_TYPES)
_MEMBER_RULES = frozenset({"elliptic-coordination", "coordinated-member"})
_COORDINATED = re.compile(r"\s(?:or|and)\s|/|,", re.IGNORECASE)
_QUALIFIER_JOIN = re.compile(r"\s*(?:,\s*(?:or|and)?|or|and|and\s*/\s*or|/)\s*", re.IGNORECASE)
_SINCE_PRIOR = re.compile(r"\s+since\s+(?:(?:any|other|all|the)\s+)?(prior|previous)\b", re.IGNORECASE)
_DEFINING_TYPES = frozenset(("Condition", "Procedure", "Measurement", "Device"))
_DEFINED_SHORT_FORM = re.compile(r"([A-Z][A-Za-z]?[A-Z][A-Z0-9]{0,6})\)")

#: the provenance rule of a formula ``formulas.find_formulas`` reports, by its kind (an equation written
#: out: by its name, below)
_FORMULA_RULES = {"definition": "bmi-definition", "citation": "formula-citation"}


def _initials_of(long_form: str, short: str) -> bool:
    """Whether an abbreviation is the initials of the words that end its long form ("erectile
    dysfunction" -> "ED", "chronic obstructive pulmonary disease" -> "COPD")."""
    letters = [c for c in short.upper() if c.isalpha()]
    words = [w for w in re.split(r"[\s\-/]+", long_form) if w]
    if len(letters) < 2 or len(words) < len(letters):
        return False
    return [w[0].upper() for w in words[-len(letters) :]] == letters


_SPACE_THEN_WORD = re.compile(r"[ \t]+\w")
_AGE_OF_NO_ONE_BEFORE = re.compile(
    r"\b(?:for|childbearing|child-bearing|reproductive|gestational|onset)\s+$", re.IGNORECASE
)
_AGE_OF_NO_ONE_AFTER = re.compile(
    r"(?:-|\s+)(?:adjusted|corrected|matched|appropriate)\b|\s+of\s+onset\b", re.IGNORECASE
)
_NOT_RIGHT_BEFORE = re.compile(r"\b(?:not|never)\s+(?:be\s+)?$", re.IGNORECASE)
_ANTI_BEFORE = re.compile(r"\banti-?$", re.IGNORECASE)
_WITH_AFTER = re.compile(r"\s+with\s", re.IGNORECASE)
_LOWER_WORD = re.compile(r"[a-z]{4,}")
_NO_BEFORE = re.compile(r"(?:no|not)\s+", re.IGNORECASE)
_GRADE_BEFORE = re.compile(r"\bgrade[ \t]+$", re.IGNORECASE)
_HYPHENED_BEFORE = re.compile(r"(?<![\w-])[A-Za-z]+-$")
_HYPHENED_AFTER = re.compile(r"-[A-Za-z]+\b")


def _mention_at_next_word(text: str, end: int, by_start: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
    """The mention of ``by_start`` that starts at the word after ``end``, past spaces on the line."""
    next_word = _SPACE_THEN_WORD.match(text, end)
    return by_start.get(next_word.end() - 1) if next_word else None


_CONSENT_FORM = re.compile(r"[ \t]+(?:forms?|documents?)\b", re.IGNORECASE)
_SEE_GROUP = re.compile(
    r"\bsee\s+(?:the\s+)?(?:disease|patient|general|prior\s+concurrent)\s+(?:characteristics|eligibility\s+criteria|therapy)\b",
    re.IGNORECASE,
)
_OPEN_BRACKET = re.compile(r"[ \t]*\(")
_SHORT_FORM = re.compile(r"(?=[A-Za-z0-9-]{0,9}[A-Z])[A-Za-z][A-Za-z0-9-]{0,9}")  # "AZT", "Cr", not "nitrates"
_LASTING_TYPES = frozenset(("Condition", "Observation", "Drug", "Procedure", "Device"))
_NAMING_TYPES = frozenset(("Condition", "Drug", "Procedure", "Measurement", "Observation", "Device"))


def _span_text(text: str, s: int, e: int) -> dict[str, Any]:
    return {"text": text[s:e], "span": [s, e]}


def _local_bounds(node: CriterionSpan, base: int) -> tuple[int, int]:
    return node.start - base, node.end - base


def _innermost(nodes: list[CriterionSpan], s: int, e: int) -> CriterionSpan:
    best = nodes[0]
    for n in nodes:
        if n.start <= s and e <= n.end and (n.end - n.start) <= (best.end - best.start):
            best = n
    return best


class _Ids:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = defaultdict(int)

    def __call__(self, cid: str, letter: str) -> str:
        self.counts[(cid, letter)] += 1
        return f"{cid}-{letter}{self.counts[(cid, letter)]}"


def build_record(source: Source, layout: Layout, nlp: Language) -> dict[str, Any]:
    """Run the pipeline over every top-level criterion and assemble the record."""
    text = source.text
    tops = layout.criteria
    # a clause starts where a criterion does: each top-level one (after its bullet: "6. No prior
    # history of ..."), each sub-item on a line of its own ("  -  No multifocal glioma" under
    # "DISEASE CHARACTERISTICS:"), and one found inside a line ("Renal: ...", "... No prior
    # chemotherapy"); not a numbered sub-item inside a line, which its lead-in may still scope over
    # ("No history of: 1) asthma 2) COPD")
    clause_starts = sorted(
        {c.start for c in tops}
        | {c.start for c in flatten(tops) if c.inline or starts_its_line(text, c.start)}
        # (and so does an item of a list in a PDQ paragraph: "... except: Vitamins Eye prophylaxis
        # Vaccines", in its lead-in's criterion)
        | {
            at
            for c in flatten(tops)
            if layout.soft_wraps and not c.children
            for at in list_item_starts(text, c.start, c.end)
        }
    )
    docs = analyse_spans(
        nlp, text, [(c.start, c.end) for c in tops], soft_wraps=layout.soft_wraps, clause_starts=clause_starts
    )
    criteria_out: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    doses: dict[str, list[tuple[str, dict[str, Any], str]]] = defaultdict(list)
    short_names: dict[str, str] = {}
    defined_terms: dict[str, tuple[str, str]] = {}
    for top, doc in zip(tops, docs, strict=True):
        criteria_out.extend(_criterion_records(text, top, doc, warnings, doses, short_names, defined_terms))
    for name, seen in doses.items():
        distinct = {(d["comparator"], _dose_amount(d), d.get("ucum")) for _, d, _ in seen}
        if len(distinct) > 1:
            where = ", ".join(f"{cid} ({d['comparator']} {_dose_amount(d)} {d['unit']})" for cid, d, _ in seen)
            warnings.append(
                {
                    "code": "W002",
                    "message": f"the source gives different doses for {name}: {where}; each is kept as written",
                }
            )
    for criterion in criteria_out:
        _type_as_the_guide(criterion["entities"])
        _type_drug_therapies(criterion)
        _negated_pregnancy_logic(criterion)
        _contraception_is_to_come(criterion["entities"])
        _refrained_is_to_come(text, criterion)
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "extractor": {"name": "trial-criteria-extractor", "version": __version__},
        "source": {"name": source.name, "length": len(text), "sha256": source.sha256, "layout": layout.kind},
        "trial": layout.trial,
        "sections": [
            {
                "side": s.side,
                "header": list(s.header) if s.header else None,
                "span": [s.header[0] if s.header else s.start, s.end],
            }
            for s in layout.sections
        ],
        "criteria": criteria_out,
        "unparsed": [{**_span_text(text, s, e), "reason": "unrecognised"} for s, e in layout.unrecognised],
    }
    if warnings:
        record["warnings"] = warnings
    return record


def _criterion_records(
    text: str,
    top: CriterionSpan,
    doc: Analysis,
    warnings: list[dict[str, Any]],
    doses: dict[str, list[tuple[str, dict[str, Any], str]]],
    short_names: dict[str, str],
    defined_terms: dict[str, tuple[str, str]],
) -> list[dict[str, Any]]:
    """The records of one top-level criterion and its sub-items. ``doses`` and ``short_names`` are
    shared by every criterion of the text: the doses seen per drug, and each drug abbreviation the
    text defined ("ganciclovir (DHPG)") with the name it stands for."""
    base = top.start
    local = doc.text
    nodes = flatten([top])
    reg = registry()
    new_id = _Ids()
    heading_end = (top.heading[1] - base) if top.heading else 0

    # --- plain items with local offsets -------------------------------------------------------
    entities: list[dict[str, Any]] = []
    for (start, end), info in sorted(doc.entity_info.items()):
        ent = {"start": start, "end": end, **info}
        if info["type"] in ASSERTED:
            ent["assertion"] = {k: bool(v) for k, v in doc.assertions.get((start, end), {}).items()} or {
                "negated": False,
                "historical": False,
                "hypothetical": False,
            }
        entities.append(ent)
    _hormones_given(local, entities)
    thresholds = doc.thresholds
    windows = doc.windows
    formulas = doc.formulas
    # (an equation's terms are no mentions or logic leaves; a formula named or a BMI defined in words
    # leaves its words to the entity reading: "weight" and "height" are Measurements there)
    equations = [f for f in formulas if f["kind"] == "written"]
    masked_formulas = [f for f in formulas if f["kind"] != "citation"]  # (their numbers are no Value)
    subjects = link_subjects(local, entities, thresholds)
    thresholds, subjects = _without_ungraded(thresholds, subjects)
    qualitative = qualitative_results(local, entities, thresholds)
    # "HIV negative", "HIV seropositive": a disease named with its status is one Condition, no test
    # result, as the golds (28 of 34) and Chia (5 of 8) read it; a marker's result stays one ("HBsAg
    # positive")
    statuses: list[tuple[int, int]] = []
    shared = Counter((q["start"], q["end"]) for q in qualitative)  # "HIV, HBV, or HCV positive": of each
    for q in [q for q in qualitative if shared[(q["start"], q["end"])] == 1 and _condition_status(local, entities, q)]:
        condition = entities[q["subject"]]
        if local[condition["end"] : q["start"]] == "-":
            # ("HIV-positive": one Condition, as the golds read it; Chia marks the two words apart, and the
            # BRAT writer writes them so)
            condition["rule"] = f"{condition.get('rule', 'lexicon')}{HYPHEN_STATUS}"
        condition["end"] = q["end"]
        condition["unconfirmed"] = False  # (its status says the lexicon's disease name is one here)
        if q.get("value") == "negative" and "assertion" in condition:
            # ("HIV negative": no HIV infection, the disease's name kept, as the golds read 19 of 21)
            condition["assertion"]["negated"] = True
        elif q.get("value") != "negative":
            condition["normalized"] = None
        statuses.append((q["start"], q["end"]))
        qualitative.remove(q)
    targets = window_targets(local, entities, windows, thresholds, subjects, heading_end)

    # --- derived entities: values, temporal phrases, anchors -----------------------------------
    derived: list[dict[str, Any]] = []
    seen_spans: set[tuple[int, int]] = set()
    for ti, t in enumerate(thresholds + qualitative):
        # "> 160/90 mmHg": one Value for the pair of constraints written as one fraction
        pair = t.get("extra", {}).get("value_span")
        key = (t["start"] + pair[0], t["start"] + pair[1]) if pair else (t["start"], t["end"])
        if key in seen_spans:
            continue
        seen_spans.add(key)
        if t.get("count_of") and t["rule"] != "counted-items":
            # "at least 1 system is A": the count is a Multiplier, the grade a Value (as Chia marks them)
            grade = local.rfind(t["count_of"][-1], t["start"], t["end"])
            unit_end = _count_end(local, t)
            derived.append({"start": t["start"], "end": unit_end, "type": "Multiplier", "rule": t["rule"]})
            derived.append({"start": grade, "end": grade + 1, "type": "Value", "rule": t["rule"]})
        elif (
            t["comparator"] == "between"
            and t.get("ucum") in DURATION_UCUM
            and (looked_back := _LOOK_BACK_RANGE.search(local, max(0, t["start"] - 40), t["start"])) is not None
        ):
            # "within the past 30-90 days": a time phrase, the look-back words with it
            derived.append({"start": looked_back.start(), "end": key[1], "type": "Temporal", "rule": t["rule"]})
        elif is_duration_of_state(
            local,
            t,
            [entities[i] for i in subjects[ti]] if ti < len(thresholds) else [],
            _local_bounds(_innermost(nodes, base + t["start"], base + t["end"]), base),
        ) and not (
            # (an age is a Value: "if under 18 years", "less than 55 or ... 75 years of age")
            ti < len(thresholds) and _is_age(local, 0, t, entities[subjects[ti][0]] if subjects[ti] else None)
        ):
            # "pain for at least 3 months", "amenorrhea > 1 year": how long something has lasted is a
            # time phrase (Chia's Temporal); the constraint keeps comparator, number and unit
            derived.append({"start": key[0], "end": key[1], "type": "Temporal", "rule": t["rule"]})
        elif t.get("extra", {}).get("subject_span"):
            # "7.0% ≤ HbA1c ≤ 10.5%": a Value on each side of the measure, which stays a mention
            # (the lower bound without the sign that joins it to the measure: "7.0%", "≤ 10.5%"); the
            # model's edges are not taken for them
            low_end, high_start = (key[0] + k for k in t["extra"]["bound_edges"])
            for s, e in ((key[0], low_end), (high_start, key[1])):
                derived.append({"start": s, "end": e, "type": "Value", "rule": t["rule"], "bound": True})
        elif t["rule"] == "counted-items":
            # "at least one measurable lesion", "no more than 2 prior regimens": a count of things is a
            # Multiplier (Chia train: 11 of 12 such counts that it marks at all)
            derived.append({"start": key[0], "end": key[1], "type": "Multiplier", "rule": t["rule"]})
        else:
            derived.append({"start": key[0], "end": key[1], "type": "Value", "rule": t["rule"]})
    for w in windows:
        # ("preoperative" is a window before surgery; whether the word is a Temporal mention is the
        # model's reading: Chia marks it in some places and not in others)
        # ("during and for 3 months after study": the phrase is the window after's mention)
        if w["rule"] not in ("prefixed-event", "during-and-after", "before-and-after"):
            end, split = w["end"], False
            if w["rule"].endswith("-since"):
                # "14 days must have elapsed since the completion of cytotoxic therapy": the time phrase
                # is the duration; the event it is counted from is a mention of its own, and so is a
                # "prior" before it ("At least 4 weeks since prior endocrine therapy": "At least 4
                # weeks" and "prior", as the golds read 145 of 145 such phrases that they mark)
                since = w["event_start"] if w.get("event_start") is not None else w["end"]
                unit = _TIME_UNIT.search(local, w["start"], since)
                end = unit.end() if unit else end
                # (each keeps its edges, not those of a model span over the whole phrase: the golds read
                # "At least 6 weeks since any treatments" as "At least 6 weeks", 19 of 19)
                if unit is not None:
                    derived.append(
                        {"start": w["start"], "end": end, "type": "Temporal", "rule": w["rule"], "bound": True}
                    )
                    split = True
                prior_word = _SINCE_PRIOR.search(local, end, w["end"])
                if unit is not None and prior_word is not None:
                    derived.append(
                        {
                            "start": prior_word.start(1),
                            "end": prior_word.end(1),
                            "type": "Temporal",
                            "rule": w["rule"],
                            "bound": True,
                        }
                    )
            if not split:
                derived.append({"start": w["start"], "end": end, "type": "Temporal", "rule": w["rule"]})
        # "at screening" is one Temporal mention: Chia marks its anchor apart in under a third of them
        # (train: 29 of 102); a window counted from an anchor names it apart
        # (a clinical event a window runs before, after or during stays the Procedure, Condition or
        # Drug it is: "after radical prostatectomy", "while receiving tamoxifen", rules direction-event
        # and during-event; a period of the study is a Reference_point, "during the double-blind phase")
        if (
            w.get("anchor_start") is not None
            # (the period a window after an event shares with it, "during and for 3 months after
            # study", is named by that window's anchor mention)
            and w["rule"]
            not in ("at-anchor", "on-anchor", "direction-event", "during-event", "during-and-after", "before-and-after")
            # (one mention for an anchor two windows share: "1 month before, during, and 3 months after study")
            and not any(d["start"] == w["anchor_start"] and d["end"] == w["anchor_end"] for d in derived)
        ):
            derived.append(
                {"start": w["anchor_start"], "end": w["anchor_end"], "type": w["anchor_type"], "rule": "anchor"}
            )
        elif (
            w["rule"] in ("at-anchor", "on-anchor")
            and w.get("anchor_start") is not None
            and not any(d["start"] == w["anchor_start"] and d["end"] == w["anchor_end"] for d in derived)
        ):
            # ... but the golds do (68 of 86 "at screening"): a mention in the record, none in BRAT
            derived.append(
                {"start": w["anchor_start"], "end": w["anchor_end"], "type": w["anchor_type"], "rule": GUIDE_WORD}
            )
    # A lexicon mention inside a value or an anchor is part of it ("Visit 2", "CAR T cell reinfusion",
    # "negative"); inside a time phrase only a non-concept mention is ("recent").
    inner = sorted((d["start"], d["end"], d["type"]) for d in derived)
    inner_starts = [s for s, _, _ in inner]
    # ... except what a count per volume counts, named inside it ("Over 500 HIV-1 RNA copies/ml")
    counted = [
        (t["start"] + t["extra"]["analyte_span"][0], t["start"] + t["extra"]["analyte_span"][1])
        for t in thresholds
        if t.get("extra", {}).get("analyte_span")
    ]

    def swallowed(e: dict[str, Any]) -> bool:
        if any(s <= e["start"] and e["end"] <= end for s, end in counted):
            return False
        k = bisect.bisect_right(inner_starts, e["start"])
        for s, end, kind in inner[max(0, k - 4) : k]:
            if not (s <= e["start"] and e["end"] <= end):
                continue
            if kind in {"Visit", "Reference_point", "Value", "Multiplier"}:
                return True
            if kind == "Temporal" and e["type"] not in CONCEPT_TYPES:
                return True
        return False

    def in_formula(e: dict[str, Any]) -> bool:
        return any(f["start"] < e["end"] and e["start"] < f["end"] for f in equations)

    def overruled(e: dict[str, Any]) -> bool:
        """A model span inside a formula's text is not a mention ("multiply by 0.742"); a model
        Value/Temporal span gives way to a rule item it overlaps (which has the parse)."""
        if not _model_made(e):
            return False
        if in_formula(e):
            return True
        if e["type"] not in {"Value", "Temporal"}:
            return False
        return any(d["start"] < e["end"] and e["start"] < d["end"] for d in derived)

    # A rule item's Value/Temporal mention takes the edges of a model span of its type that overlaps
    # it (Chia's edges: "greater than three (3) months"); the constraint or window itself keeps the
    # rule's span and text. Measured on the Chia dev split: Value strict F1 0.556 -> 0.675.
    taken: set[int] = set()
    for item in derived:
        if item["type"] not in ("Value", "Temporal"):
            continue
        for m in entities:
            if (
                id(m) in taken
                or item.get("bound")
                or m["type"] != item["type"]
                or not _model_made(m)
                or not (m["start"] < item["end"] and item["start"] < m["end"])
                or any(f["start"] < m["end"] and m["start"] < f["end"] for f in masked_formulas)
                # a window's written anchor is part of its phrase: a shorter model span cuts it off
                or (item["rule"].endswith("-anchor") and not (m["start"] <= item["start"] and item["end"] <= m["end"]))
            ):
                continue
            # a model edge inside the rule's parse does not cut it: the comparator and the numbers
            # stay part of the Value ("greater than or | equal to 7.5 g/dL", "0.25 | cm² to 5.0 cm²")
            cut_start = local[item["start"] : m["start"]] if m["start"] > item["start"] else ""
            cut_end = local[m["end"] : item["end"]] if m["end"] < item["end"] else ""
            # (nor does one after the "no" of "no greater than 1.5 mg/dL", the comparator's first word)
            if not (
                cut_start
                and (COMPARATOR_RE.search(cut_start) or _DIGIT.search(cut_start) or _NO_BEFORE.fullmatch(cut_start))
            ):
                item["start"] = m["start"]
            if not (cut_end and _DIGIT.search(cut_end)):
                item["end"] = m["end"]
            taken.add(id(m))
            break
    # what a rule Value now holds with the model's edges is part of it, unless a clinical concept
    # ("under 18 years old" holds the model's Person "old")
    widened = [(d["start"], d["end"]) for d in derived if d["type"] == "Value"]

    def held(e: dict[str, Any]) -> bool:
        return e["type"] not in ASSERTED and any(s <= e["start"] and e["end"] <= end for s, end in widened)

    # a lexicon mention the model did not confirm goes, unless a constraint hangs on it; the words for
    # every participant ("Patients", "subjects") stay, Persons as the annotation guide and the golds read
    # them, though Chia marks none (rule participant-word: the BRAT writer leaves them out)
    referenced = {i for group in subjects for i in group}
    for e in entities:
        if e.get("unconfirmed") and e["type"] == "Person" and local[e["start"] : e["end"]].lower() in _everyone():
            e["unconfirmed"], e["rule"] = False, PARTICIPANT_WORD
        elif e.get("unconfirmed") and e["type"] == "Person" and local[e["start"] : e["end"]].lower() in _partners():
            e["unconfirmed"], e["rule"] = False, PARTNER_WORD  # ("partner", "sexual partners")
        elif e.get("unconfirmed") and e["type"] == "Person" and _MODAL_AFTER.match(local, e["end"]):
            # ("Fertile patients must use effective contraception": what they must do is a condition on them)
            e["unconfirmed"] = False
    # ... and a Person word right before a partner is the partner's ("female partner"), all of it in the
    # record only
    partner_at = {e["start"]: e for e in entities if e.get("rule") == PARTNER_WORD}
    for e in entities:
        if e.get("unconfirmed") and e["type"] == "Person" and _mention_at_next_word(local, e["end"], partner_at):
            e["unconfirmed"], e["rule"] = False, PARTNER_WORD
    # ... and a short form whose text is about its concept ("ED" where erections are named)
    for e in entities:
        if e.get("unconfirmed") and _text_is_about(local[e["start"] : e["end"]], text):
            e["unconfirmed"] = False
    unconfirmed = {id(e) for i, e in enumerate(entities) if e.get("unconfirmed") and i not in referenced}
    # "age" that is no participant's ("normal for age", "women of childbearing age", "age-adjusted")
    unconfirmed |= {
        id(e)
        for i, e in enumerate(entities)
        if e["type"] == "Person"
        and i not in referenced
        and local[e["start"] : e["end"]].lower() == "age"
        and (
            _AGE_OF_NO_ONE_BEFORE.search(local, max(0, e["start"] - 16), e["start"])
            or _AGE_OF_NO_ONE_AFTER.match(local, e["end"])
        )
    }
    # "treatment with X", "therapy with X": the golds mark X alone (124 of 132 such words unmarked)
    unconfirmed |= {
        id(e)
        for i, e in enumerate(entities)
        if e["type"] == "Procedure"
        and i not in referenced
        and " ".join(local[e["start"] : e["end"]].lower().split()) in _treatment_words()
        and _WITH_AFTER.match(local, e["end"])
    }
    # what an "anti-" word acts against is no condition the patient has ("anti-tumor treatment",
    # "anti-HIV therapy")
    unconfirmed |= {
        id(e)
        for i, e in enumerate(entities)
        if e["type"] == "Condition"
        and i not in referenced
        and _ANTI_BEFORE.search(local, max(0, e["start"] - 6), e["start"])
    }

    def targeted(e: dict[str, Any]) -> bool:
        """A model Drug in the list a targeting phrase leads is what drugs act on ("any drug targeting
        T, B lymphocytes, cytokines or receptors"), not a drug."""
        if e["type"] != "Drug" or not _model_made(e):
            return False
        aims = list(TARGETING.finditer(local, max(0, e["start"] - 120), e["start"]))
        return bool(aims) and not _LIST_BREAK.search(local, aims[-1].end(), e["start"])

    # an ACTG topic over its items ("Concurrent Medication:\n\nExcluded:") names no mention (as the golds
    # read it); a window it states stays, with its rule-made Temporal
    headers = [(n.topic_header[0] - base, n.topic_header[1] - base) for n in nodes if n.topic_header]
    # nor a cross-reference to another group of the listing ("Chemotherapy: See Disease Characteristics")
    headers += [(m.start(), m.end()) for m in _SEE_GROUP.finditer(local)]
    # and neither does a PDQ group's label ("PATIENT CHARACTERISTICS:", "PRIOR CONCURRENT THERAPY:")
    headers += [
        (n.heading[0] - base, n.heading[1] - base)
        for n in nodes
        if n.heading and is_group_heading(text[n.heading[0] : n.heading[1]])
    ]

    def in_header(e: dict[str, Any]) -> bool:
        return any(s <= e["start"] and e["end"] <= end for s, end in headers)

    # (a Person a threshold measures stays, even inside the Value: the age a threshold's own words name,
    # "18 years of age or older", as the golds read it)
    measured_persons = {id(entities[i]) for i in referenced if entities[i]["type"] == "Person"}
    entities_kept = [
        e
        for e in entities
        if (id(e) in measured_persons or (not swallowed(e) and not held(e)))
        and not overruled(e)
        and id(e) not in unconfirmed
        and not targeted(e)
        and not in_header(e)
        and not (e["type"] == "Value" and (e["start"], e["end"]) in statuses)
    ]
    # a drug's abbreviation in brackets right after it ("filgrastim (G-CSF)", "granulocyte
    # colony-stimulating factor (G-CSF)") names it once, here and where the text writes it again
    short_forms = _name_defined_short_forms(local, entities, short_names)
    # an abbreviation in brackets right after a mention of its type names the same thing ("Zidovudine
    # (AZT)"): one mention, the brackets inside it, as the guide says and Chia marks it (390 of 563
    # train short forms in brackets after a mention)
    by_start = {e["start"]: e for e in entities_kept if e["type"] in _NAMING_TYPES}
    merged_into: dict[int, dict[str, Any]] = {}
    for e in sorted((e for e in entities_kept if e["type"] in _NAMING_TYPES), key=lambda x: x["start"]):
        if id(e) in merged_into:
            continue
        bracket = _OPEN_BRACKET.match(local, e["end"])
        short = by_start.get(bracket.end()) if bracket else None
        if (
            short is not None
            and short["type"] == e["type"]
            and _SHORT_FORM.fullmatch(local[short["start"] : short["end"]])
            and local.startswith(")", short["end"])
        ):
            # (named by its long form: "ganciclovir (DHPG)" is ganciclovir)
            e["normalized"] = e.get("normalized") or " ".join(local[e["start"] : e["end"]].lower().split())
            e["end"] = short["end"] + 1
            merged_into[id(short)] = e
        elif bracket and short is None and e["type"] in _DEFINING_TYPES:
            # an abbreviation no mention holds, of the long form's initials ("erectile dysfunction
            # (ED)"): inside the mention, and a mention of that concept wherever the text writes it
            # again ("History of ED treatment failure")
            abbr = _DEFINED_SHORT_FORM.match(local, bracket.end())
            long_form = local[e["start"] : e["end"]]
            if abbr is not None and _initials_of(long_form, abbr.group(1)):
                name = e.get("normalized") or " ".join(long_form.lower().split())
                defined_terms.setdefault(abbr.group(1), (e["type"], name))
                e["normalized"], e["end"] = name, abbr.end()  # (linked through its long form)
    entities_kept = [e for e in entities_kept if id(e) not in merged_into]
    # "active infection", "symptomatic brain metastases": one Condition, as the golds read them (the
    # BRAT writer writes Chia's two mentions back: ``brat.QUALIFIED``)
    condition_at = {e["start"]: e for e in entities_kept if e["type"] == "Condition"}
    of_condition = _qualifiers_of_the_condition()
    absorbed: set[int] = set()
    qualifier_at = {e["start"]: e for e in entities_kept if e["type"] == "Qualifier"}
    member_at = {e["start"]: e for e in entities_kept if e.get("rule") in _MEMBER_RULES}
    qualifier_ends = [e["end"] for e in entities_kept if e["type"] == "Qualifier"]
    for e in entities_kept:
        if e["type"] != "Qualifier" or id(e) in absorbed or not of_condition.fullmatch(local[e["start"] : e["end"]]):
            continue
        if any(end < e["start"] and _QUALIFIER_JOIN.fullmatch(local[end : e["start"]]) for end in qualifier_ends):
            continue  # (one of coordinated qualifiers qualifies what follows as a whole: "Acute or chronic ...")
        if len(local[: e["start"]].rstrip()) in qualifier_ends:
            continue  # (and so does the last of a run after them: "Acute or chronic uncontrolled medical illness")
        # ("active serious infection", "chronic uncontrolled medical illness": one Condition with the
        # one-word qualifier between, as the guide's "Active central nervous system (CNS) lupus")
        condition = _mention_at_next_word(local, e["end"], condition_at)
        between = None if condition is not None else _mention_at_next_word(local, e["end"], qualifier_at)
        if between is not None and " " not in local[between["start"] : between["end"]].strip():
            condition = _mention_at_next_word(local, between["end"], condition_at)
        if (
            condition is None
            or condition.get("rule") == ORGAN_MEMBER
            or _COORDINATED.search(local, condition["start"], condition["end"])
        ):
            continue  # (a coordination's member or whole, "chronic renal and hepatic failure", keeps its edges)
        joint = _QUALIFIER_JOIN.match(local, condition["end"])
        if joint is not None and joint.end() in member_at:
            continue  # (nor over an elliptic coordination it qualifies as a whole: "Active hepatitis B or C")
        # (a coordination of whole conditions after it keeps it apart no longer: "active myocarditis or
        # amyloid cardiomyopathy", the golds read the first as one Condition as often as apart, and the
        # guide's longest span that names one thing holds the qualifier)
        condition["start"] = e["start"]
        condition["rule"] = f"{condition.get('rule', 'lexicon')}{QUALIFIED}{QUALIFIED if between else ''}"
        absorbed.add(id(e))
        if between is not None:
            absorbed.add(id(between))
    entities_kept = [e for e in entities_kept if id(e) not in absorbed]
    # "corticosteroid therapy", "zidovudine (AZT) treatment": one Drug with the word for its giving, as
    # the golds read it (790 such Drugs against 23 with the word apart); Chia marks the drug alone (58
    # against 23), and the BRAT writer writes that (rule suffix ``brat.WITH_THERAPY_WORD``)
    starts_at = {e["start"]: e for e in entities_kept}
    given: set[int] = set()
    for e in entities_kept:
        giving = _therapy_word_after().match(local, e["end"]) if e["type"] == "Drug" else None
        if giving is None or not _LOWER_WORD.search(local, e["start"], e["end"]):
            continue  # (a short form stays alone: "PDE5i therapy", "IL-2 treatment" in the golds)
        there = starts_at.get(giving.start("word"))
        if there is not None and not (there["type"] == "Procedure" and there["end"] == giving.end()):
            continue  # (another mention starts there)
        if there is not None:
            given.add(id(there))
        # (named by the drug: "IL-2 treatment" is interleukin-2)
        e["normalized"] = e.get("normalized") or " ".join(local[e["start"] : e["end"]].lower().split())
        e["end"] = giving.end()
        e["rule"] = f"{e.get('rule', 'lexicon')}{WITH_THERAPY_WORD}"
    entities_kept = [e for e in entities_kept if id(e) not in given]
    # "Male patients", "Female subjects": one Person, as the golds read them (male 27 of 36, female 15
    # of 29 as one span); Chia marks the first word alone, which the BRAT writer writes
    # (``brat.WITH_PARTICIPANTS``)
    people_at = {e["start"]: e for e in entities_kept if e.get("rule") in (PARTICIPANT_WORD, PARTNER_WORD)}
    measured = {id(entities[i]) for i in referenced}
    joined: set[int] = set()
    for e in entities_kept:
        if e["type"] != "Person" or e.get("rule") == PARTICIPANT_WORD or id(e) in joined:
            continue
        participants = _mention_at_next_word(local, e["end"], people_at)
        if (
            participants is not None
            and " " not in local[e["start"] : e["end"]].strip()
            and id(participants) not in measured  # (a threshold's subject stays its own mention)
        ):
            e["end"] = participants["end"]
            if e.get("rule") != PARTNER_WORD:
                e["rule"] = f"{e.get('rule', 'lexicon')}{WITH_PARTICIPANTS}"
            joined.add(id(participants))
    entities_kept = [e for e in entities_kept if id(e) not in joined]
    # the form or document after an informed consent is part of its mention ("signed informed consent
    # form", as the golds read 40 of 42 and Chia marks it)
    for e in entities_kept:
        form = _CONSENT_FORM.match(local, e["end"]) if e["type"] == "Informed_consent" else None
        if form is not None:
            e["end"] = form.end()
    # a qualifier inside a concept's name ("Chronic myelogenous leukemia", "oral temperature") is part
    # of that one mention, as the golds (no nested qualifier in 366) and Chia (72 of 3,315 train
    # qualifiers) read it; one of coordinated qualifiers stays, a leaf of the logic ("chronic or acute
    # liver disease")
    concept_spans = [(e["start"], e["end"]) for e in entities_kept if e["type"] in _NAMING_TYPES]
    qualifier_ends = [e["end"] for e in entities_kept if e["type"] == "Qualifier"]

    def one_of_coordinated(e: dict[str, Any]) -> bool:
        return any(_QUALIFIER_JOIN.fullmatch(local[end : e["start"]]) for end in qualifier_ends if end < e["start"])

    entities_kept = [
        e
        for e in entities_kept
        if e["type"] != "Qualifier"
        or one_of_coordinated(e)
        or not any(
            s <= e["start"] and e["end"] <= end and (s, end) != (e["start"], e["end"]) for s, end in concept_spans
        )
    ]
    # ... and a mention that starts with one ("written informed consent", "Known HIV infection") starts
    # after it, the word a mention of its own (golds: "written" 69 of 72 apart)
    leading = _guide_words()["Qualifier"]
    for e in entities_kept:
        lead_word = leading.match(local, e["start"])
        rest = _SPACE_THEN_WORD.match(local, lead_word.end(), e["end"]) if lead_word is not None else None
        if e["type"] in _NAMING_TYPES | {"Informed_consent"} and lead_word is not None and rest is not None:
            e["start"] = rest.end() - 1
            derived.append(
                {"start": lead_word.start(), "end": lead_word.end(), "type": "Qualifier", "rule": GUIDE_WORD}
            )
    # a word the guide's readers mark alone ("willing", "able", "known", "written"), where no mention
    # or rule item holds it
    taken_spans = [(e["start"], e["end"]) for e in entities_kept] + [(d["start"], d["end"]) for d in derived] + headers
    if defined_terms:
        alternatives = "|".join(re.escape(k) for k in sorted(defined_terms, key=len, reverse=True))
        defined = re.compile(rf"\b(?:{alternatives})\b")
        for used in defined.finditer(local, heading_end):
            if not any(s < used.end() and used.start() < end for s, end in taken_spans):
                type_, name = defined_terms[used.group()]
                derived.append(
                    {
                        "start": used.start(),
                        "end": used.end(),
                        "type": type_,
                        "normalized": name,
                        "rule": "defined-abbreviation",
                    }
                )
                taken_spans.append((used.start(), used.end()))
    for type_, words in _guide_words().items():
        for word in words.finditer(local, heading_end):
            # the whole of a hyphened word ("non-compliance", "well-documented"), never half of it
            before = _HYPHENED_BEFORE.search(local, max(0, word.start() - 40), word.start())
            after = _HYPHENED_AFTER.match(local, word.end())
            start = before.start() if before is not None else word.start()
            end_ = after.end() if after is not None else word.end()
            if not any(s < end_ and start < end for s, end in taken_spans):
                word_item: dict[str, Any] = {"start": start, "end": end_, "type": type_, "rule": GUIDE_WORD}
                if type_ in ASSERTED:
                    # ("not able to", "not willing to": negated, as the golds read 8 of 8)
                    negated = _NOT_RIGHT_BEFORE.search(local, max(0, start - 12), start) is not None
                    word_item["assertion"] = {"negated": negated, "historical": False, "hypothetical": False}
                derived.append(word_item)
    # an organ system's label in a PDQ listing ("Hepatic: Bilirubin ...") names what its items measure,
    # the organ's function, as the golds read it (hepatic 70 of 72, renal 70 of 72, hematopoietic 69)
    function_labels = _function_headings()
    for n in nodes:
        if n.heading is None:
            continue
        hs, he = n.heading[0] - base, n.heading[1] - base
        organ = " ".join(local[hs:he].lower().split())
        if organ in function_labels and not any(e["start"] == hs and e["end"] == he for e in entities_kept):
            derived.append(
                {
                    "start": hs,
                    "end": he,
                    "type": "Measurement",
                    "normalized": f"{organ} function",
                    "rule": "function-label",
                }
            )
    # "grade 3 or greater neurotoxicity": the grade word is the value's, as the golds read it (41 of
    # 62 "grade N" inside the Value); Chia leaves it out (15 of 21), and the BRAT writer writes that
    # (rule suffix ``brat.WITH_GRADE``), unless a mention holds the word ("CTCAE grade >= 2")
    for graded in derived:
        at = graded["start"]
        grade_word = _GRADE_BEFORE.search(local, max(0, at - 12), at) if graded["type"] == "Value" else None
        if grade_word is not None and not any(
            e["start"] < grade_word.end() and grade_word.start() < e["end"] for e in entities_kept
        ):
            graded["start"], graded["rule"] = grade_word.start(), f"{graded['rule']}{WITH_GRADE}"
    index_of = {id(e): i for i, e in enumerate(entities)}
    all_entities = sorted(entities_kept + derived, key=lambda x: (x["start"], -x["end"]))

    # --- ids, per innermost criterion ----------------------------------------------------------
    owner: dict[int, CriterionSpan] = {}
    ent_id: dict[int, str] = {}
    out_entities: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rec_of: dict[int, dict[str, Any]] = {}
    guide_leaves: list[tuple[int, int, str, CriterionSpan]] = []  # "willing", "able": logic leaves too
    for e in all_entities:
        node = _innermost(nodes, base + e["start"], base + e["end"])
        eid = new_id(node.id, "e")
        rec: dict[str, Any] = {"id": eid, "type": e["type"], **_span_text(text, base + e["start"], base + e["end"])}
        if e.get("normalized"):
            rec["normalized"] = e["normalized"]
        if "assertion" in e:
            rec["assertion"] = e["assertion"]
        rec["provenance"] = _entity_provenance(e)
        out_entities[node.id].append(rec)
        if id(e) in index_of:
            ent_id[index_of[id(e)]] = eid
            owner[index_of[id(e)]] = node
            rec_of[index_of[id(e)]] = rec
        elif e.get("rule") == GUIDE_WORD and e["type"] in LOGIC_LEAF_TYPES:
            guide_leaves.append((e["start"], e["end"], eid, node))
    # what refers to an abbreviation merged into its long form refers to the long form
    for short_id, long_e in merged_into.items():
        if short_id in index_of and id(long_e) in index_of and index_of[id(long_e)] in ent_id:
            ent_id[index_of[short_id]] = ent_id[index_of[id(long_e)]]
            owner[index_of[short_id]] = owner[index_of[id(long_e)]]

    def measure_of(i: int) -> str:
        e = entities[i]
        # a long form goes without its bracketed abbreviation ("lactate dehydrogenase (LDH)")
        return e.get("normalized") or name_of(_BRACKETED_END.sub("", local[e["start"] : e["end"]]))

    # --- constraints and doses -----------------------------------------------------------------
    out_constraints: dict[str, list[dict[str, Any]]] = defaultdict(list)
    constraint_ids: list[list[str]] = []
    dose_of: dict[int, dict[str, Any]] = {}
    state_windows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    leaf_groups: dict[str, tuple[str, list[str]]] = {}  # first constraint id -> (op, ids sharing a threshold)
    leaves: dict[str, list[tuple[int, int, str, str]]] = defaultdict(list)
    # thresholds read as a drug's dose or as how long a state has lasted (a state window): what they
    # are of stays a leaf of the criterion's logic
    leaf_subjects: set[int] = set()
    for ti, t in enumerate(thresholds):
        node = _innermost(nodes, base + t["start"], base + t["end"])
        subs = subjects[ti]
        if (
            subs
            and all(entities[i]["type"] == "Drug" for i in subs)
            and t.get("count_of") is None
            # "At least 21 days ... from prior treatment with antibodies" is no dose
            and (t.get("ucum") is None or is_dose_unit(t["ucum"]))
            # a grade or a stage is no dose ("grade II follicular mixed cell"): a dose is a number
            and all(isinstance(t.get(k), (int, float)) for k in ("value", "low", "high") if t.get(k) is not None)
            # a range is a dose only in a dose unit ("meperidine 25 - 50 mg"), never a bare pair of numbers
            and (t["comparator"] != "between" or (t.get("ucum") is not None and _numeric_range(t)))
        ):
            for i in subs:
                if i in dose_of and t.get("equivalent_of") is not None:
                    continue  # "15,000 IU (5,000 mcg)": the dose as first written, its restatement aside
                amount = (
                    {"low": t["low"], "high": t["high"]}
                    if t["comparator"] == "between"
                    else {"value": t["value"] if t["value"] is not None else t["low"]}
                )
                dose_of[i] = {
                    "comparator": t["comparator"],
                    **amount,
                    "unit": t["unit"] or "",
                    "ucum": t["ucum"],
                    "span": [base + t["start"], base + t["end"]],
                }
            leaf_subjects.add(ti)
            constraint_ids.append([])
            continue
        ids: list[str] = []
        # "Males with ED ... for at least 3 months", "a sexual partner of at least 6 months": a duration
        # that names no measure and no age is how long the state the criterion names has lasted
        bare = (
            not subs
            and t.get("ucum") in DURATION_UCUM
            and _bare_duration(
                text, local, base, t, node, nodes, _constraint(text, base, t, None, entities, ent_id, measure_of, reg)
            )
        )
        states = _state_window(text, base, t, subs, entities, ent_id, measure_of, reg, bare)
        if states:
            # "erectile dysfunction for at least 3 months", "myocardial infarction less than 6 months
            # ago": how long ago the state began or the event was, a window before the index date
            for state in states:
                state["applies_to"] = [ent_id[i] for i in subs if i in ent_id and owner.get(i) is node]
                if not state["applies_to"] and state["provenance"]["rule"].endswith("+look-back"):
                    # "with ablative therapy within the past 30-90 days": the event named right before
                    event_at = _event_right_before(local, entities, t["start"])
                    state["applies_to"] = (
                        [ent_id[event_at]]
                        if event_at is not None and event_at in ent_id and owner.get(event_at) is node
                        else []
                    )
                lasting = state_right_before(local, entities, t["start"])
                if (
                    lasting is not None
                    and lasting in ent_id
                    and owner.get(lasting) is node
                    and ent_id[lasting] not in state["applies_to"]
                ):
                    # ("Stable dose of medication for at least 4 weeks": the stable state is timed too)
                    state["applies_to"].append(ent_id[lasting])
                state = {"id": new_id(node.id, "w"), **state}
                state_windows[node.id].append(state)
                leaves[node.id].append((t["start"], t["end"], state["id"], "window"))
            leaf_subjects.add(ti)
            constraint_ids.append([])
            continue
        for k, i in enumerate(subs or [None]):  # type: ignore[list-item, assignment]
            if k and i is not None and _restated_name(local, entities, subs[k - 1], i):
                continue  # "AST/SGOT ≤ 3 times ULN": one analyte by its two names, one constraint
            c = {"id": new_id(node.id, "c"), **_constraint(text, base, t, i, entities, ent_id, measure_of, reg)}
            if i is not None and owner.get(i) is not node:
                c["subject"] = None  # the measured mention sits in another (sub-)criterion; measure names it
            if "stage" in (c.get("measure") or ""):
                # "Stage IV breast cancer", "stage II or III colorectal cancer": the word stage names
                # the measure, as the golds link it (95 of 152 stages)
                measures = [
                    (e["start"], e["end"], ent_id[k], owner[k])
                    for k, e in enumerate(entities)
                    if e["type"] == "Measurement" and k in ent_id
                ]
                c["subject"] = _stage_word_before(local, t["start"], guide_leaves + measures, node) or c["subject"]
            _check_plausible(c, reg, warnings, node.id)
            prior_ids = constraint_ids[t["equivalent_of"]] if t.get("equivalent_of") is not None else []
            prior = _find(out_constraints[node.id], prior_ids[min(len(ids), len(prior_ids) - 1)]) if prior_ids else None
            if prior is not None:
                c["equivalent_to"] = prior["id"]
                c["agreement"] = _agreement(c, prior, reg, warnings, node.id)
            out_constraints[node.id].append(c)
            ids.append(c["id"])
        constraint_ids.append(ids)
        leaves[node.id].append((t["start"], t["end"], ids[0], "constraint"))
        if len(ids) > 1:
            # "AST or ALT > 3 x ULN": any; "AST and ALT": all; "AST/ALT": read by the criterion's side
            gap = local[entities[subs[0]]["start"] : entities[subs[-1]]["end"]]
            op = "any" if re.search(r"\bor\b", gap, re.I) else "all" if re.search(r"\band\b", gap, re.I) else None
            leaf_groups[ids[0]] = (op or ("all" if top.side == "inclusion" else "any"), ids)
    for q in qualitative:
        node = _innermost(nodes, base + q["start"], base + q["end"])
        subject = q["subject"]
        c = {
            "id": new_id(node.id, "c"),
            "subject": ent_id.get(subject) if owner.get(subject) is node else None,
            "measure": measure_of(subject),
            "comparator": q["comparator"],
            "value": q["value"],
            "unit": None,
            "ucum": None,
            **_span_text(text, base + q["start"], base + q["end"]),
            "provenance": {"component": "criteria_values", "rule": q["rule"]},
        }
        out_constraints[node.id].append(c)
        leaves[node.id].append((q["start"], q["end"], c["id"], "constraint"))
    # (a dosed drug and what a state window times stay leaves: "Erectile Dysfunction for at least 6
    # months" is all(the dysfunction, the window), "prednisone ≥ 100 mg/d within 90 days" all(the
    # prednisone, the window), as a limit's subject is not)
    used_as_subject = {i for ti, group in enumerate(subjects) if ti not in leaf_subjects for i in group} | {
        q["subject"] for q in qualitative
    }
    _measures_from_labels(local, base, nodes, entities, owner, out_constraints, reg)
    # what still measures nothing in a top-level criterion, a bare number of years alone on its line,
    # is the patient's age (a sub-item's label may name another duration: "Disease duration:")
    for node in nodes:
        for c in out_constraints.get(node.id, []) if node.parent is None else ():
            bounds = _local_bounds(node, base)
            start, end = c["span"][0] - base, c["span"][1] - base
            if (
                c.get("subject") is None
                and not c.get("measure")
                and (
                    is_bare_age(local, start, end, c.get("ucum"), bounds)
                    or _is_bare_lower_age(local, start, end, c, bounds)
                )
            ):
                c["measure"] = "age"
                canonical = _canonical(c, reg)
                if canonical:
                    c["canonical"] = canonical
    people = {ent_id[k] for k, e in enumerate(entities) if e["type"] == "Person" and k in ent_id}
    _pair_time_unit_bounds(local, base, nodes, out_constraints, reg, people)
    _share_stage_list_subjects(local, base, nodes, out_constraints)

    # --- windows -------------------------------------------------------------------------------
    out_windows: dict[str, list[dict[str, Any]]] = defaultdict(list, state_windows)
    for wi, w in enumerate(windows):
        if w["rule"] == "during":
            continue  # a Temporal mention only
        node = _innermost(nodes, base + w["start"], base + w["end"])
        timed = [i for i in targets[wi] if i in ent_id and owner[i] is node]
        # a negated mention is timed where it is all the criterion names there ("No myocardial
        # infarction within the past 6 months"), not beside what is ("Major surgery, other than
        # diagnostic surgery, within 4 weeks")
        asserted = [i for i in timed if not (entities[i].get("assertion") or {}).get("negated")]
        rec = {"id": new_id(node.id, "w"), "applies_to": [ent_id[i] for i in asserted or timed]}
        if w.get("comparator") and (w.get("duration") or w.get("half_lives")):
            rec["comparator"] = w["comparator"]
        if w.get("duration"):
            rec["duration"] = w["duration"]
            rec["days"] = w["days"]
        for field in ("half_lives", "whichever"):
            if w.get(field) is not None:
                rec[field] = w[field]
        rec["direction"] = w["direction"]
        anchor: dict[str, Any] = {"name": w["anchor_name"]}
        if w.get("anchor_start") is not None:
            anchor.update(_span_text(text, base + w["anchor_start"], base + w["anchor_end"]))
        rec["anchor"] = anchor
        rec.update(_span_text(text, base + w["start"], base + w["end"]))
        rec["provenance"] = {"component": "criteria_temporal", "rule": w["rule"]}
        out_windows[node.id].append(rec)
        leaves[node.id].append((w["start"], w["end"], rec["id"], "window"))
    for node_id, recs in out_windows.items():
        for gone in _join_split_anchors(text, recs):
            leaves[node_id] = [leaf for leaf in leaves[node_id] if leaf[2] != gone]

    # --- drugs ---------------------------------------------------------------------------------
    out_drugs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    taken_by_thresholds = [(t["start"], t["end"]) for t in thresholds]
    drug_spans = [(e["start"], e["end"]) for e in entities if e["type"] == "Drug"]
    # (the long form's dose is the abbreviation's own where it has none)
    for i, j in short_forms.items():
        if i not in dose_of and j in dose_of:
            dose_of[i] = dose_of[j]
    for short_id, long_e in merged_into.items():
        long_at, short_at = index_of.get(id(long_e)), index_of.get(short_id)
        if long_at is not None and short_at is not None and long_at not in dose_of and short_at in dose_of:
            dose_of[long_at] = dose_of[short_at]
    for i, e in enumerate(entities):
        # "no prior chemotherapy": a treatment named by its class of drugs is a Procedure (as Chia
        # types it) whose drugs the criterion is about
        therapy = drug_therapy(local[e["start"] : e["end"]]) if e["type"] == "Procedure" else None
        if (e["type"] != "Drug" and therapy is None) or i not in ent_id or e["end"] <= heading_end:
            continue
        if (e.get("assertion") or {}).get("negated") and _measured_without(local, e["start"], taken_by_thresholds):
            continue  # "oxygen saturation above 94% ... without oxygen": how a value is measured
        if i in short_forms.values() or id(e) in merged_into:
            continue  # "filgrastim (G-CSF)": the drug named before, once
        node = owner[i]
        if node.heading is not None and base + e["end"] <= node.heading[1]:
            continue  # a topic label ("Chemotherapy:\n  -  At least 4 weeks since ...") names the topic
        d: dict[str, Any] = {
            "id": new_id(node.id, "d"),
            "entity": ent_id[i],
            "name": therapy or e.get("normalized") or name_of(local[e["start"] : e["end"]], singular=True),
            "is_class": therapy is not None or bool(e.get("is_class")) or _names_a_class(local[e["start"] : e["end"]]),
        }
        route = route_of(local, e) or _inherited_route(local, entities, i)
        if route:
            d["route"] = route
        if i not in dose_of:
            plain = plain_dose(local, e, taken_by_thresholds, drug_spans)
            if plain is not None:
                start, end = plain.pop("start"), plain.pop("end")
                dose_of[i] = {**plain, "span": [base + start, base + end]}
        if i in dose_of:
            d["dose"] = dose_of[i]
            # "100 mg, twice daily"; "> 5 mg prednisone daily": after the dose, or after the drug
            freq = frequency_of(local, dose_of[i]["span"][1] - base) or frequency_of(local, e["end"])
            if freq:
                d["frequency"] = freq
            doses[d["name"]].append((node.id, dose_of[i], d["id"]))
        d.update(_span_text(text, base + e["start"], base + e["end"]))
        d["provenance"] = {"component": "criteria_entities", "rule": e.get("rule", "lexicon")}
        out_drugs[node.id].append(d)

    # --- formulas ------------------------------------------------------------------------------
    out_formulas: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in formulas:
        node = _innermost(nodes, base + f["start"], base + f["end"])
        rec = {k: v for k, v in f.items() if k not in {"start", "end", "kind"}}
        rec.update(_span_text(text, base + f["start"], base + f["end"]))
        rule = _FORMULA_RULES.get(f["kind"]) or ("mdrd" if f["name"] == "MDRD" else "egfr-equation")
        rec["provenance"] = {"component": "criteria_formulas", "rule": rule}
        out_formulas[node.id].append(rec)
        for note in differences_from_published(f):
            warnings.append(
                {"code": "W003", "message": f"formula {f['name']}: {note}", "criterion": node.id, "span": rec["span"]}
            )

    # --- entity leaves for logic -----------------------------------------------------------------
    skip_norm = _context_only()
    listed: set[int] = set()
    # a list of qualifiers ("metastatic, advanced, or locally recurrent") is one leaf: any or all of them
    coordinated: set[int] = set()
    for chain, chain_op in _coordinated_qualifiers(local, entities):
        if len(chain) == 2 or chain_op is None:
            coordinated.update(chain)  # (two: the "or"/"and" between them joins them in the tree)
            continue
        if not all(k in ent_id and k not in used_as_subject and owner[k] is owner[chain[0]] for k in chain):
            continue
        first, last = entities[chain[0]], entities[chain[-1]]
        leaf_groups[ent_id[chain[0]]] = (chain_op, [ent_id[k] for k in chain])
        leaves[owner[chain[0]].id].append((first["start"], last["end"], ent_id[chain[0]], "entity"))
        listed.update(chain)
    # the members of an elliptic coordination ("gastrointestinal or genitourinary bleeding") are one
    # leaf, any of them, where the whole stands
    member_of = _coordination_wholes(entities)
    for whole, members in _group_by_value(member_of).items():
        if whole in ent_id and all(m in ent_id for m in members):
            leaf_groups[ent_id[whole]] = ("any", [ent_id[whole], *(ent_id[m] for m in members)])
        # ... and the whole's mention is its first conjunct where the conjuncts share their head
        # ("alcohol" of "alcohol or drug abuse", named "alcohol abuse"), as the golds read it (240 such
        # wholes against their first conjunct over 693 golds); the BRAT writer writes Chia's whole. Not
        # where a threshold measures the whole ("serum or urine pregnancy test negative"), a member is no
        # mention of its own, another mention of its type overlaps the whole ("renal, hepatic, cardiac or
        # pulmonary severe disease"), or the words name one thing ("head and neck cancer")
        kept_members = all(m in rec_of and owner.get(m) is owner.get(whole) for m in members)
        overlapped = any(
            j != whole
            and j not in members
            and o["type"] == entities[whole]["type"]
            and o["start"] < entities[whole]["end"]
            and entities[whole]["start"] < o["end"]
            for j, o in enumerate(entities)
            if j in rec_of
        )
        whole_rec = rec_of.get(whole) if whole not in used_as_subject and kept_members and not overlapped else None
        joined_name = whole_rec is not None and _joined_names().match(" ".join(whole_rec["text"].lower().split()))
        cut = first_conjunct_end(whole_rec["text"]) if whole_rec is not None and not joined_name else None
        if whole_rec is not None and cut is not None:
            start = whole_rec["span"][0]
            whole_rec.update(_span_text(text, start, start + cut))
            whole_rec["provenance"]["rule"] = f"{whole_rec['provenance']['rule']}{FIRST_CONJUNCT}"
    # (a short form merged into a measure's long form, "SGOT (AST) ... less than 2.5 times ULN", is that
    # measure, the limit's subject, too)
    subject_ids = {ent_id[j] for j in used_as_subject if j in ent_id}
    for i, e in enumerate(entities):
        if i not in ent_id or i in used_as_subject or e["end"] <= heading_end or i in member_of or i in listed:
            continue
        if ent_id[i] in subject_ids:
            continue
        if e["type"] not in LOGIC_LEAF_TYPES and i not in coordinated:
            continue
        if e.get("normalized") in skip_norm:
            continue
        heading = owner[i].heading
        if heading is not None and owner[i].children == [] and base + e["end"] <= heading[1]:
            continue  # "Renal:\n  -  Creatinine no greater than 2.0 mg/dL": the label names the topic
        leaves[owner[i].id].append((e["start"], e["end"], ent_id[i], "entity"))

    for start, end, eid, node in guide_leaves:
        leaves[node.id].append((start, end, eid, "entity"))
    # --- "Received any of the following: (1) ...; (2) ...": sub-items inherit the lead-in's history
    _inherit_history(local, base, nodes, out_entities)

    # --- criterion records -----------------------------------------------------------------------
    out = []
    for node in nodes:
        rec = {
            "id": node.id,
            "side": node.side,
            **_span_text(text, node.start, node.end),
            "parent": node.parent,
        }
        if node.heading:
            rec["heading"] = _span_text(text, *node.heading)
        rec["entities"] = out_entities.get(node.id, [])
        rec["constraints"] = out_constraints.get(node.id, [])
        rec["windows"] = out_windows.get(node.id, [])
        rec["drugs"] = out_drugs.get(node.id, [])
        rec["formulas"] = out_formulas.get(node.id, [])
        own_leaves = _window_after_its_list(leaves.get(node.id, []), rec["windows"])
        # (an inclusion criterion that names whom it keeps out reads its list as an exclusion does:
        # "Pregnant women and nursing mothers are ineligible" keeps out either; it is negated below)
        stated_out = _STATED_INELIGIBLE.search(text, node.start, node.end) if node.side == "inclusion" else None
        rec["logic"] = build_logic(
            local,
            "exclusion" if stated_out is not None else node.side,
            own_leaves,
            leaf_groups,
            lo=node.start - base,
            hi=node.end - base,
            masked=[(f["start"], f["end"]) for f in equations],
            types={e["id"]: e["type"] for e in rec["entities"]},
        )
        rec["logic"] = conditional_on_person(text, rec, sole=own_leaves[0][2] if len(own_leaves) == 1 else None)
        rec["logic"] = neither_nor(text, rec)
        rec["logic"] = never_or_long_ago(rec)
        rec["logic"] = allowed_on_condition(text, rec)
        rec["logic"] = stated_ineligible(rec, stated_out, own_leaves[0][2] if len(own_leaves) == 1 else None)
        rec["logic"] = either_bound(rec)
        rec["logic"] = if_then(text, rec)
        rec["logic"] = unless_exception(text, rec, own_leaves, base)
        if node.children:
            rec["sub_items"] = sub_items(
                text, node.side, (node.start, node.end), [(c.start, c.end) for c in node.children]
            )
        rec["unparsed"] = _unparsed(text, node, rec)
        out.append(rec)
    return out


def _window_after_its_list(
    leaves: list[tuple[int, int, str, str]], windows: list[dict[str, Any]]
) -> list[tuple[int, int, str, str]]:
    """The leaves, a window that holds the first of the events it times and precedes the rest ("At
    least 12 hours since prior diuretics, mannitol, or dopamine") placed after the last of them, so
    that it times the whole list as a window after a list does, not its first member alone (and not
    what follows the list: "since prior carboplatin or cisplatin induction or adjuvant
    chemotherapy")."""
    if not any(len(w.get("applies_to") or ()) > 1 for w in windows):
        return leaves  # (most criteria: no window over a list)
    out = list(leaves)
    entity_leaves = sorted(leaf for leaf in leaves if leaf[3] == "entity")
    for w in windows:
        timed = set(w.get("applies_to") or ())
        if len(timed) < 2:
            continue
        at = next((k for k, leaf in enumerate(out) if leaf[2] == w["id"] and leaf[3] == "window"), None)
        if at is None:
            continue
        ws, we = out[at][0], out[at][1]
        events = [leaf for leaf in entity_leaves if leaf[2] in timed]
        inside = [leaf for leaf in events if ws <= leaf[0] and leaf[1] <= we]
        after = [leaf for leaf in events if leaf[0] >= we]
        if len(inside) != 1 or not after or len(inside) + len(after) != len(events):
            continue
        # (the list runs on to its last member with no other mention between)
        last_end = after[-1][1]
        if any(we <= leaf[0] < last_end and leaf[2] not in timed for leaf in entity_leaves):
            continue
        out[at] = (last_end, last_end, w["id"], "window")
    return out


_HISTORY_LEAD = re.compile(
    r"\b(?:received|has received|have received|history of|participated in|previous(?:ly)?|prior)\b", re.IGNORECASE
)
# a lead-in or item about the present as well ("PRIOR CONCURRENT THERAPY:", "No concurrent radiotherapy")
_PRESENT_TOO = re.compile(r"\b(?:concurrent|concomitant|current(?:ly)?|ongoing)\b", re.IGNORECASE)


def _inherit_history(
    local: str, base: int, nodes: list[CriterionSpan], out_entities: dict[str, list[dict[str, Any]]]
) -> None:
    """A criterion whose lead-in (the text before its first sub-item) is about the past passes that on,
    unless the lead-in is about the present too ("PRIOR CONCURRENT THERAPY:") or the item itself is ("No
    concurrent radiotherapy"): the golds flag neither (registry golds: historical 0.652 -> 0.683)."""
    parents = {n.id: n for n in nodes}
    for node in nodes:
        chain = []
        parent = parents.get(node.parent) if node.parent else None
        while parent is not None:
            chain.append(parent)
            parent = parents.get(parent.parent) if parent.parent else None
        for anc in chain:
            if anc.children and anc.children[0].inline:
                continue  # a heading over labels or run-on criteria ("PRIOR CONCURRENT THERAPY:") leads in nothing
            lead = local[anc.start - base : (anc.children[0].start if anc.children else anc.end) - base]
            if _HISTORY_LEAD.search(lead):
                if _PRESENT_TOO.search(lead) or _PRESENT_TOO.search(local, node.start - base, node.end - base):
                    break
                for e in out_entities.get(node.id, []):
                    if "assertion" in e:
                        e["assertion"]["historical"] = True
                break


def _model_made(e: dict[str, Any]) -> bool:
    """Was the mention found by the trained entity model (rule ``model:<name>...``)?"""
    return str(e.get("rule", "")).startswith("model:")


_STATUS_RESULTS = frozenset(("positive", "negative"))


_STAGE_WORD_GAP = re.compile(r"\s{0,3}")


def _stage_word_before(
    local: str, start: int, candidates: list[tuple[int, int, str, CriterionSpan]], node: CriterionSpan
) -> str | None:
    """The id of the word "stage" (a Measurement: the guide's word, or the model's or the lexicon's
    mention) written right before a stage at ``start``; ``candidates`` are (start, end, id, criterion)."""
    for s, e, eid, owner in candidates:
        if (
            owner is node
            and e <= start
            and _STAGE_WORD_GAP.fullmatch(local, e, start)
            and local[s:e].lower().startswith("stage")
        ):
            return eid
    return None


def _without_ungraded(
    thresholds: list[dict[str, Any]], subjects: list[list[int]]
) -> tuple[list[dict[str, Any]], list[list[int]]]:
    """The thresholds and their subjects, less a single grade that grades no mention ("No grade 2
    heart toxicity" where no mention of the toxicity was found): a grade of nothing named is no
    constraint (its words stay covered by no item, and are reported unparsed like any others)."""
    drop = {ti for ti, t in enumerate(thresholds) if t.get("rule") == "single-grade" and not subjects[ti]}
    if not drop:
        return thresholds, subjects
    new_index = {old: new for new, old in enumerate(ti for ti in range(len(thresholds)) if ti not in drop)}
    kept = []
    for ti, t in enumerate(thresholds):
        if ti in drop:
            continue
        ref = t.get("equivalent_of")
        kept.append({**t, "equivalent_of": new_index.get(ref)} if ref is not None else t)
    return kept, [s for ti, s in enumerate(subjects) if ti not in drop]


def _condition_status(text: str, entities: list[dict[str, Any]], q: dict[str, Any]) -> bool:
    """A qualitative result written right after the Condition it is of ("HIV negative")."""
    subject = q.get("subject")
    if subject is None or q.get("value") not in _STATUS_RESULTS:
        return False
    e = entities[subject]
    return (
        e["type"] == "Condition"
        and e["end"] <= q["start"]
        # ("HIV negative"; "Are HIV-positive.", where the hyphened status is said of the person, not of a
        # noun after it: "an HIV-negative lymphocyte donor" is the donor's test result)
        and (
            not text[e["end"] : q["start"]].strip()
            or (text[e["end"] : q["start"]] == "-" and _STATUS_SAID.match(text, q["end"]) is not None)
        )
        # ("HIV negative by serologic testing": the result of a test, named after it)
        and not _METHOD_AFTER.match(text, q["end"])
        # ("HIV seropositive", "HIV seropositivity": an antibody test's result, as the golds read 11 of 12)
        and not text[q["start"] : q["end"]].lower().startswith("sero")
    )


_STATUS_SAID = re.compile(r"[ \t]*(?:$|[\r\n.,;:)\]]|(?:and|or)\b)", re.IGNORECASE)
_METHOD_AFTER = re.compile(r"\s+(?:by|on|per|via|using|at|in)\b", re.IGNORECASE)


def _type_as_the_guide(entities: list[dict[str, Any]]) -> None:
    """A phrase the annotation guide types otherwise than Chia (``words.json`` ``guide_types``), named
    alone, takes the guide's type and name whichever concept type the lexicon or the model gave it
    (Chia's; the BRAT writer writes that back): "Not pregnant or nursing" holds two
    Pregnancy_considerations, "pregnancy test" is an Observation. An assertion stays: "Not pregnant"
    keeps its negation."""
    table = guide_types()
    for ent in entities:
        if ent["type"] not in CONCEPT_TYPES:
            continue
        guide = table.get(" ".join(ent["text"].lower().split()))
        if guide is not None and guide.type != ent["type"]:
            rest = {k: v for k, v in ent.items() if k not in ("id", "type", "text", "span", "normalized")}
            typed = {"id": ent["id"], "type": guide.type, "text": ent["text"], "span": ent["span"]}
            ent.clear()
            ent.update({**typed, "normalized": guide.normalized, **rest})


def _contraception_is_to_come(entities: list[dict[str, Any]]) -> None:
    """A method of contraception a criterion names ("Fertile patients must use effective
    contraception") is hypothetical: what the participant is to do during the study, as the golds read
    it (175 of 213 such mentions that are not negated)."""
    words = _contraception_words()
    for e in entities:
        assertion = e.get("assertion")
        if assertion is not None and not assertion.get("negated") and words.search(e["text"]):
            assertion["hypothetical"] = True


# what a participant is to refrain from, abstain from or avoid ("Refrain from using recreational drugs
# during the study"), written before the mention in its clause
_REFRAIN_BEFORE = re.compile(r"\b(?:refrain\w*|abstain\w*|avoid\w*)\b[^.;:]{0,60}$", re.IGNORECASE)


def _refrained_is_to_come(text: str, criterion: dict[str, Any]) -> None:
    """What a criterion asks the participant to refrain from is negated and to come (hypothetical), as
    the golds read 17 of 28 mentions after "refrain from", "abstain from" or "avoid" (8 of 10 after
    "refrain from")."""
    start = criterion["span"][0]
    for e in criterion["entities"]:
        assertion = e.get("assertion")
        if assertion is None or not assertion.get("negated"):
            continue
        if _REFRAIN_BEFORE.search(text, max(start, e["span"][0] - 80), e["span"][0]):
            assertion["hypothetical"] = True


@cache
def _contraception_words() -> re.Pattern[str]:
    return word_pattern("contraception_words")


def _negated_pregnancy_logic(criterion: dict[str, Any]) -> None:
    """ "Not pregnant or nursing" is ``not(any(pregnant, nursing))``, "Not pregnant" ``not(pregnant)``:
    the guide's Pregnancy_considerations carry no assertion, so the logic says what the "Not" denies
    (as 74 of 74 such gold criteria read it), rather than ``all`` of two negated mentions."""
    states = [
        e["id"]
        for e in criterion["entities"]
        if e["type"] == "Pregnancy_considerations" and (e.get("assertion") or {}).get("negated")
    ]
    if not states:
        return
    spans = sorted(e["span"] for e in criterion["entities"] if e["id"] in states)
    if re.search(
        r"\band\b", criterion["text"][spans[0][1] - criterion["span"][0] : spans[-1][0] - criterion["span"][0]]
    ):
        return  # "Not pregnant and not lactating": each negated on its own
    logic = criterion.get("logic")
    if logic is None:
        others = [e for e in criterion["entities"] if e["type"] in LEAF_TYPES and e["id"] not in states]
        if len(states) != 1 or others or criterion["constraints"] or criterion["windows"]:
            return
        criterion["logic"] = {"op": "not", "args": [{"ref": states[0]}]}
    elif logic.get("op") == "all" and sorted(a.get("ref", "") for a in logic["args"]) == sorted(states):
        criterion["logic"] = {"op": "not", "args": [{"op": "any", "args": [{"ref": s} for s in states]}]}
    else:
        return
    for e in criterion["entities"]:
        if e["id"] in states:
            e.pop("assertion", None)


# what says a hormone is taken or given rather than measured: a word for taking it, its route or form
# before it ("Take high doses of", "transdermal or oral"), or a word for a treatment after it
_GIVEN_BEFORE = re.compile(
    r"\b(?:take|takes|taking|took|taken|use|uses|using|used|usage|doses?|treat(?:ed|ment)\s+with|therapy\s+with"
    r"|receiv(?:e|es|ed|ing)|prescribed|oral|transdermal|topical|intramuscular|injectable|injections?|exogenous"
    r"|supplemental)\b(?:\s+of)?(?:\s+\w+){0,3}\s+$",
    re.IGNORECASE,
)
_GIVEN_AFTER = re.compile(
    r"\s*(?:therapy|treatment|replacement|supplement\w*|injections?|gel|patch(?:es)?|undecanoate|cypionate"
    r"|enanthate|usage|use)\b",
    re.IGNORECASE,
)
# a drug listed right before it ("androgens (e.g. testosterone)", "thyroid medication, testosterone") or
# right after it ("testosterone, clomiphene or ...")
_LIST_GAP = re.compile(
    r"\s*(?:,|/|\bor\b|\band\b|\(\s*(?:e\.g\.|i\.e\.|eg|ie|ex|such as|including)?)\s*$", re.IGNORECASE
)


def _hormones_given(local: str, entities: list[dict[str, Any]]) -> None:
    """A hormone the lexicon names as a Measurement (its level) is a Drug where the criterion names it as
    taken or given (``words.json`` ``hormones_given_as_drugs``)."""
    names = word_set("hormones_given_as_drugs")
    for i, e in enumerate(entities):
        if e["type"] != "Measurement" or local[e["start"] : e["end"]].lower() not in names:
            continue
        clause = max(local.rfind(c, 0, e["start"]) for c in ".;:\n") + 1
        before = local[max(clause, e["start"] - 60) : e["start"]]
        listed = any(
            o["type"] == "Drug"
            and (
                (o["end"] <= e["start"] and _LIST_GAP.fullmatch(local[o["end"] : e["start"]]))
                or (o["start"] >= e["end"] and _LIST_GAP.fullmatch(local[e["end"] : o["start"]].rstrip() + " "))
            )
            for j, o in enumerate(entities)
            if j != i
        )
        if _GIVEN_BEFORE.search(before) or _GIVEN_AFTER.match(local, e["end"]) or listed:
            e["type"] = "Drug"
            e["normalized"] = e.get("normalized") or local[e["start"] : e["end"]].lower()


def _type_drug_therapies(criterion: dict[str, Any]) -> None:
    """A treatment named by the class of drugs it gives ("prior chemotherapy", "Endocrine therapy: Not
    specified") is a Drug mention, as the annotation guide reads a drug class (525 of 545 such
    mentions in the golds); Chia types it a Procedure, and the BRAT writer writes that."""
    for ent in criterion["entities"]:
        if ent["type"] == "Procedure" and drug_therapy(ent["text"]) is not None:
            ent["type"] = "Drug"


@cache
def _guide_words() -> dict[str, re.Pattern[str]]:
    """``words.json`` ``guide_<type>_words`` by the mention type they name."""
    types = ("Observation", "Qualifier", "Negation", "Temporal", "Measurement", "Condition")
    return {type_: word_pattern(f"guide_{type_.lower()}_words") for type_ in types}


@cache
def _qualifiers_of_the_condition() -> re.Pattern[str]:
    return word_pattern("qualifiers_of_the_condition")


@cache
def _joined_names() -> re.Pattern[str]:
    return word_pattern("coordinations_naming_one_thing")


@cache
def _treatment_words() -> frozenset[str]:
    return frozenset(w.lower() for w in word_list("treatment_with_words"))


@cache
def _therapy_word_after() -> re.Pattern[str]:
    """The word for a drug's giving right after it ("corticosteroid therapy"; the words of
    ``treatment_with_words``), on its line or the next."""
    words = "|".join(re.escape(w) for w in sorted(word_list("treatment_with_words"), key=len, reverse=True))
    return re.compile(rf"[ \t]*(?:\r?\n[ \t]*)?(?P<word>{words})\b(?![-/])", re.IGNORECASE)


@cache
def _function_headings() -> frozenset[str]:
    return frozenset(word_list("function_headings"))


def _entity_provenance(e: dict[str, Any]) -> dict[str, Any]:
    rule = e.get("rule", "lexicon")
    if _model_made(e):
        return {"component": "criteria_model_entities", "rule": rule, "score": e.get("score", 1.0)}
    if rule in MODEL_COMPONENT_RULES:  # vocabulary names and coordination members, beside the model's spans
        return {"component": "criteria_model_entities", "rule": rule}
    if e["type"] == "Value":
        component = "criteria_values"
    elif e["type"] in {"Temporal", "Visit", "Reference_point"}:
        component = "criteria_temporal"
    else:
        component = "criteria_entities"
    return {"component": component, "rule": rule}


def _coordinated_qualifiers(local: str, entities: list[dict[str, Any]]) -> list[tuple[list[int], str | None]]:
    """Qualifiers or people joined by or/and ("acute or chronic infection", "signed by the patient or
    his/her legal representative", "metastatic, advanced, or locally recurrent"): a real alternative,
    so logic leaves, as runs (indices, "any" or "all" as their or/and says; None where a run mixes
    them, "metastatic or locally advanced and inoperable", and the tree reads each word); two words
    for every participant ("Pregnant patients or patients who may become pregnant") are none. Commas
    join a list of qualifiers only where an or/and closes it."""
    out: list[tuple[list[int], str | None]] = []
    chain: list[int] = []
    ops: set[str] = set()
    for i in range(len(entities)):
        a = entities[i]
        b = entities[i + 1] if i + 1 < len(entities) else None
        joint = None
        if b is not None and a["type"] == b["type"] and a["type"] in {"Qualifier", "Person"}:
            if not (a.get("rule") == b.get("rule") == PARTICIPANT_WORD):
                joint = _QUALIFIER_JOINT.fullmatch(local[a["end"] : b["start"]])
                if joint is not None and a["type"] == "Person" and "," in joint.group():
                    joint = None  # "Pregnant women, lactating women, and patients who ...": clauses, not a list
        if joint is not None:
            chain = chain or [i]
            chain.append(i + 1)
            conj = joint.group("conj") or joint.group("conj2")
            if conj is not None:
                ops.add("all" if conj.lower() == "and" else "any")
            continue
        if ops:
            out.append((chain, ops.pop() if len(ops) == 1 else None))
        chain, ops = [], set()
    return out


# what joins two listed qualifiers: a comma, or/and (closing the list), or both
_QUALIFIER_JOINT = re.compile(
    r"\s*(?:,\s*(?:(?P<conj>or|and|and/or)\s+)?|(?P<conj2>or|and|and/or)\s*)(?:(?:his/her|his or her|their|the|a)\s*)?",
    re.IGNORECASE,
)


# "women of childbearing age should have ...": what the people named must do or have
_MODAL_AFTER = re.compile(
    r"(?:\s+(?:patients?|subjects?|participants?|volunteers?))?"
    # ("Men with reproductive potential", "Female patients of childbearing potential", "(not
    # surgically sterile)": what the people are, part of the condition on them)
    r"(?P<qualified>\s+(?:with|of)\s+[^,;.()<>≤≥=\d]{1,50}?)?(?:\s*\([^()]{1,60}\))?"
    r"\s*(?:,\s*)?(?:(?:who|that)\s+\w+(?:\s+\w+)?\s+)?"
    r"(?:should|must|shall|will\s+(?:be\s+required|need)\s+to|"
    r"(?:is|are)\s+required\s+to|needs?\s+to|ha(?:ve|s)\s+to)\b",
    re.IGNORECASE,
)


def conditional_on_person(text: str, rec: dict[str, Any], sole: str | None = None) -> dict[str, Any] | None:
    """The criterion's logic as a condition on the people it names first ("Women of childbearing
    potential must have a negative pregnancy test": not a woman of childbearing potential, or the
    test), where the first Person mention is followed by "must", "should", "are required to", ... and
    every leaf of the logic comes after that. ``sole`` is the one leaf of a criterion with no tree
    ("Fertile patients must use effective contraception")."""
    logic = rec.get("logic")
    if logic is None:
        if sole is None:
            return None
        conditional = conditional_on_person(text, {**rec, "logic": {"ref": sole}})
        return conditional if conditional is not None and "op" in conditional else None
    people = [e for e in rec["entities"] if e["type"] == "Person"]
    modal = _MODAL_AFTER.match(text, people[0]["span"][1]) if people else None
    if modal is None:
        return logic  # no people named, or the first named must do nothing ("Men and women must ...")
    if people[0]["text"].lower() in _everyone():
        return logic  # "Patients must be ...": every participant, no subgroup
    person = people[0]
    spans = _item_spans(rec)
    refs = _refs(logic)
    # what qualifies the people ("with reproductive potential") is part of the condition on them
    qualifying = (
        [
            r
            for r in refs
            if person["span"][1] <= spans.get(r, (0, 0))[0] < modal.start("qualified") + len(modal.group("qualified"))
        ]
        if modal.group("qualified")
        else []
    )
    required = _without_refs(logic, set(qualifying)) if qualifying else logic
    # every leaf states what they must do or have; one inside "who are breastfeeding" would be part
    # of the condition, not read here
    if required is None or person["id"] in refs:
        return logic
    if not all(spans.get(r, (0, 0))[0] >= modal.end() for r in _refs(required)):
        return logic
    who = [{"ref": person["id"]}, *({"ref": r} for r in qualifying)]
    condition = who[0] if len(who) == 1 else {"op": "all", "args": who}
    return {"op": "any", "args": [{"op": "not", "args": [condition]}, required]}


def _item_spans(rec: dict[str, Any]) -> dict[str, list[int]]:
    """Each logic leaf's span (entities, constraints, windows) by id."""
    return {x["id"]: x["span"] for key in ("entities", "constraints", "windows") for x in rec.get(key, [])}


def _negated_ids(rec: dict[str, Any]) -> set[str]:
    """The ids of the criterion's mentions asserted absent."""
    return {e["id"] for e in rec["entities"] if (e.get("assertion") or {}).get("negated")}


def _without_refs(tree: dict[str, Any], drop: set[str]) -> dict[str, Any] | None:
    """The tree less the leaves in ``drop`` (an operator left with one argument is that argument);
    None where nothing is left."""
    if "ref" in tree:
        return None if tree["ref"] in drop else tree
    args = [a for a in (_without_refs(a, drop) for a in tree["args"]) if a is not None]
    if not args:
        return None
    if len(args) == 1 and tree["op"] in ("all", "any"):
        return args[0]
    return {**tree, "args": args}


# between two mentions, words that relate them rather than list them
_RELATING_GAP = re.compile(
    r"\b(?:requir\w*|needing|treated|caused|due|secondary|associated|related|resulting|leading|that|which|who)\b",
    re.IGNORECASE,
)
# a negation that governs a whole list: "No known valvular disease or ischemic peripheral vascular
# disease" (none of them), not "unable to understand, consent to, or comply" (any one)
_LIST_NEGATION = re.compile(r"\b(?:no|without|not|neither|nor|absence\s+of|free\s+of)\b[^,;.()]*$", re.IGNORECASE)


def neither_nor(text: str, rec: dict[str, Any]) -> dict[str, Any] | None:
    """The criterion's logic with every "any" over negated mentions that one negation leads turned
    into "all": "No A or B" holds when neither is present."""
    logic = rec.get("logic")
    if logic is None:
        return None
    entities = {e["id"]: e for e in rec["entities"]}
    start = rec["span"][0]
    leaves = set(_refs(logic))

    def list_members(node: dict[str, Any]) -> list[str] | None:
        """The refs of a list of mentions joined by "and"/"or" alone, in order; None for another tree."""
        if "ref" in node:
            return [node["ref"]]
        if node["op"] not in ("any", "all"):
            return None
        refs: list[str] = []
        for a in node["args"]:
            sub = list_members(a)
            if sub is None:
                return None
            refs.extend(sub)
        return refs

    def negated_list(refs: list[str]) -> bool:
        members = [entities.get(r) for r in refs]
        if any(m is None or not (m.get("assertion") or {}).get("negated") for m in members):
            return False
        first = min(m["span"][0] for m in members if m is not None)
        negation = _LIST_NEGATION.search(text, max(start, first - 60), first)
        if negation is None:
            return False
        # the negation leads the list itself, not a concept the list qualifies ("No active infection
        # requiring oral or IV antibiotics": no such infection, whichever antibiotics it needs)
        # (a qualifier there qualifies the list: "No known valvular disease or ...")
        if any(
            e["id"] in leaves
            and e["type"] != "Qualifier"
            and negation.start() <= e["span"][0]
            and e["span"][1] <= first
            for e in rec["entities"]
        ):
            return False
        # ... and no member is what another requires or is caused by ("No active infection requiring
        # oral or IV antibiotics" is no list of three)
        spans = sorted(m["span"] for m in members if m is not None)
        return not any(
            _RELATING_GAP.search(text, a[1], b[0]) for a, b in zip(spans, spans[1:], strict=False) if a[1] <= b[0]
        )

    def turn(node: dict[str, Any]) -> dict[str, Any]:
        if "ref" in node:
            return node
        refs = list_members(node)
        if refs and _has_any(node) and negated_list(refs):
            return {"op": "all", "args": [{"ref": r} for r in refs]}
        args = [turn(a) for a in node["args"]]
        # (a list turned "all" inside an "all" is one "all": "No known A or B" is all(known, A, B))
        if node["op"] == "all":
            args = [b for a in args for b in (a["args"] if a.get("op") == "all" else [a])]
        return {**node, "args": args}

    return turn(logic)


# ("1 to 3 years post radical prostatectomy" says who the patients are: the event itself is asked for)
_SINCE_OR_FROM = re.compile(r"\b(?:since|from)\b", re.IGNORECASE)


def never_or_long_ago(rec: dict[str, Any]) -> dict[str, Any] | None:
    """The criterion's logic where a window says how long ago the patient's own event must be ("At
    least 4 weeks since prior chemotherapy"): no such event at all also meets it, so the "all" that
    holds the window and its event becomes "any" of not the event, or the event that long ago."""
    logic = rec.get("logic")
    if logic is None:
        return None
    since = {
        w["id"]: set(w.get("applies_to") or ())
        for w in rec["windows"]
        if str(w.get("provenance", {}).get("rule", "")).endswith("-since")
        and w.get("comparator") in (">=", ">")
        and _SINCE_OR_FROM.search(w["text"])
    }
    if not since:
        return logic
    negated = _negated_ids(rec)
    in_tree = set(_refs(logic))
    # "(6 weeks for nitrosoureas or mitomycin)" after such a window: the same reading for what the
    # bracket names, whose mentions the tree leaves out as bracketed
    for_what = {
        w["id"]: [{"ref": r} for r in w.get("applies_to") or () if r not in in_tree]
        for w in rec["windows"]
        if w.get("provenance", {}).get("rule") == "for-what" and w.get("comparator") in (">=", ">")
    }

    def never_or(event: dict[str, Any], timed: dict[str, Any]) -> dict[str, Any]:
        return {"op": "any", "args": [{"op": "not", "args": [event]}, timed]}

    def turn(node: dict[str, Any]) -> dict[str, Any]:
        if "ref" in node:
            return node
        args = [turn(a) for a in node["args"]]
        if node["op"] == "all":
            for window in (a["ref"] for a in args if "ref" in a and a["ref"] in since):
                timed = since[window]
                events = [a for a in args if a.get("ref") != window and set(_refs(a)) <= timed]
                if not events or negated & {r for a in events for r in _refs(a)}:
                    continue
                event = events[0] if len(events) == 1 else {"op": "all", "args": events}
                others = [a for a in args if a.get("ref") in for_what and for_what[a["ref"]]]
                if not others:
                    return never_or(event, {**node, "args": args})
                own = [a for a in args if a not in others]
                parts = [never_or(event, {**node, "args": own})]
                for a in others:
                    named = for_what[a["ref"]]
                    bracket_event = named[0] if len(named) == 1 else {"op": "any", "args": named}
                    parts.append(never_or(bracket_event, {"op": "all", "args": [bracket_event, a]}))
                return {"op": "all", "args": parts}
        return {**node, "args": args}

    return turn(logic)


# "Systemic chemotherapy allowed after pleurodesis": what an inclusion criterion allows
_ALLOWED_WORD = re.compile(r"\b(?:allowed|permitted)\b", re.IGNORECASE)
_ALLOWABLE_TYPES = frozenset(("Drug", "Procedure", "Condition"))
_TAKEN_BACK = re.compile(r"\b(?:unless|except|excluding|other\s+than|but\s+not)\b", re.IGNORECASE)


def allowed_on_condition(text: str, rec: dict[str, Any]) -> dict[str, Any] | None:
    """The logic of an inclusion criterion that allows something on a condition ("Systemic
    chemotherapy allowed after pleurodesis", "Concurrent steroids allowed if dose stable for at least
    2 weeks", "Prior hormonal therapy allowed and recovered"): what is allowed need not be there at all,
    and where it is, the condition holds: any(not(it), the criterion's tree). The allowed thing is
    what the tree names before the word (treatments or conditions, none negated), the condition what
    it names after; "Prior surgery allowed" alone has no tree and asks nothing."""
    logic = rec.get("logic")
    if logic is None or rec["side"] != "inclusion" or logic.get("op") != "all":
        return logic
    start, end = rec["span"]
    m = _ALLOWED_WORD.search(text, start, end)
    # (never an allowance in brackets: "Hemoglobin at least 9 g/dL (transfusion allowed)")
    if m is None or text.count("(", start, m.start()) > text.count(")", start, m.start()):
        return logic
    if _TAKEN_BACK.search(text, m.end(), end):
        return logic  # "Prior carcinoma in situ allowed unless treated with radiation": no condition
    spans = _item_spans(rec)
    types = {e["id"]: e["type"] for e in rec["entities"]}
    refs = set(_refs(logic))
    before = {r for r in refs if spans.get(r, (end, end))[1] <= m.start()}
    if not before or before == refs or before & _negated_ids(rec):
        return logic
    if any(types.get(r) not in _ALLOWABLE_TYPES for r in before):
        return logic
    allowed = [a for a in logic["args"] if set(_refs(a)) <= before]
    if any(set(_refs(a)) & before and not set(_refs(a)) <= before for a in logic["args"]):
        return logic  # (the allowed thing and its condition are not apart in the tree)
    event = allowed[0] if len(allowed) == 1 else {"op": "all", "args": allowed}
    return {"op": "any", "args": [{"op": "not", "args": [event]}, logic]}


# "Pregnant women and nursing mothers are ineligible.", "Prior chemotherapy or radiation therapy will
# make a patient ineligible.": an inclusion criterion that names whom it keeps out
_STATED_INELIGIBLE = re.compile(
    r"\b(?:(?:is|are|will\s+be|shall\s+be)\s+(?:ineligible|not\s+eligible|excluded)"
    r"|(?:will\s+)?make\s+(?:a\s+|the\s+)?(?:patient|subject|participant)s?\s+ineligible)\b",
    re.IGNORECASE,
)


def stated_ineligible(rec: dict[str, Any], stated: re.Match[str] | None, sole: str | None) -> dict[str, Any] | None:
    """The logic of an inclusion criterion that says what makes a patient ineligible ("Patients with
    known CNS metastases are not eligible."; ``stated`` is where it says so, ``_STATED_INELIGIBLE`` in
    the criterion's text, or None): not what it names (``sole`` is the criterion's one leaf, where it
    has no tree). Only where everything the criterion names comes before those words."""
    logic = rec.get("logic")
    if stated is None or rec["side"] != "inclusion":
        return logic
    end = rec["span"][1]
    m = stated
    tree = logic if logic is not None else ({"ref": sole} if sole is not None else None)
    if tree is None or tree.get("op") == "not":
        return logic
    spans = _item_spans(rec)
    if any(spans.get(r, (end, end))[1] > m.start() for r in _refs(tree)):
        return logic
    return {"op": "not", "args": [tree]}


# "If receiving steroids, must be on a stable dose ...": the condition, up to its comma or "then" (or
# up to whom the requirement is for: "If on PDE5i patient will discontinue medication ...")
_IF_CONDITION = re.compile(
    r"[\s\-*•·]*(?:\d{1,2}[.)]\s*)?if\b[^,;:.]{3,160}?(?:,|\bthen\b"
    r"|(?=\s(?:(?:the\s+)?(?:patients?|subjects?|participants?)\s+)?(?:must|should|will|shall)\b))",
    re.IGNORECASE,
)


def if_then(text: str, rec: dict[str, Any]) -> dict[str, Any] | None:
    """The logic of an inclusion criterion that opens on a condition ("If prior cardiac disease, left
    ventricular ejection fraction must be at least 50%"): not the condition, or what it requires. The
    leaves before the condition's comma are the condition's, those after it the requirement's."""
    logic = rec.get("logic")
    if logic is None or rec["side"] != "inclusion":
        return logic
    start = rec["span"][0]
    m = _IF_CONDITION.match(text, start, rec["span"][1])
    if m is None:
        return logic
    spans = _item_spans(rec)
    negated = _negated_ids(rec)
    refs = _refs(logic)
    before = {r for r in refs if spans.get(r, (m.end(), 0))[0] < m.end()}
    if not before or before == set(refs) or before & negated or before & _refs_under_not(logic):
        # (a condition already read as one, "If female, must ...": any(not(female), ...), stays)
        return logic
    condition = _without_refs(logic, set(refs) - before)
    required = _without_refs(logic, before)
    if condition is None or required is None:
        return logic
    return {"op": "any", "args": [{"op": "not", "args": [condition]}, required]}


def _refs_under_not(node: dict[str, Any] | None, under: bool = False) -> set[str]:
    """The references a "not" holds, at any depth."""
    if node is None:
        return set()
    if "ref" in node:
        return {node["ref"]} if under else set()
    inside = under or node.get("op") == "not"
    return {r for arg in node.get("args", []) for r in _refs_under_not(arg, inside)}


# "Bilirubin <= 1.5 mg/dL (unless due to Gilbert's syndrome)", "..., unless treated solely by surgery"
_UNLESS = re.compile(r"\bunless\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[;)]|\.(?:\s|$)")
_ALLOWED = re.compile(r"\b(?:allowed|permitted|eligible|acceptable|accepted)\b", re.IGNORECASE)
_EXCEPTION_TYPES = frozenset(("Condition", "Drug", "Procedure", "Measurement", "Observation", "Device"))


def unless_exception(
    text: str, rec: dict[str, Any], leaves: list[tuple[int, int, str, str]], base: int
) -> dict[str, Any] | None:
    """The logic of a criterion with an exception led by "unless": on the inclusion side what it
    requires, or the exception ("Bilirubin <= 1.5 mg/dL unless due to Gilbert's syndrome"); on the
    exclusion side what excludes, and not the exception. The exception is the concepts named after
    "unless", to the end of its clause or bracket."""
    logic = rec.get("logic")
    start, end = rec["span"]
    m = _UNLESS.search(text, start, end)
    if m is None or _ALLOWED.search(text, start, m.start()):
        # ("Prior ductal carcinoma in situ allowed unless treated with radiation": a permission the
        # exception takes back, not read here)
        return logic
    stop = _CLAUSE_END.search(text, m.end(), end)
    clause_end = stop.start() if stop else end
    skip = _context_only()
    timed = [w["span"] for w in rec["windows"]]  # ("can be suspended before surgery": an anchor, no exception)
    excepted = [
        e
        for e in rec["entities"]
        if e["type"] in _EXCEPTION_TYPES
        and m.end() <= e["span"][0]
        and e["span"][1] <= clause_end
        and e.get("normalized") not in skip
        and not any(a <= e["span"][0] and e["span"][1] <= b for a, b in timed)
    ]
    if not excepted:
        return logic
    excepted_ids = {e["id"] for e in excepted}
    before = [leaf for leaf in leaves if base + leaf[1] <= m.start() and leaf[2] not in excepted_ids]
    refs = [{"ref": e["id"]} for e in excepted]
    exception = refs[0] if len(refs) == 1 else {"op": "any", "args": refs}

    def excepting(node: dict[str, Any]) -> dict[str, Any]:
        if rec["side"] == "inclusion":
            return {"op": "any", "args": [node, exception]}
        return {"op": "all", "args": [node, {"op": "not", "args": [exception]}]}

    if logic is None:
        return excepting({"ref": before[0][2]}) if len(before) == 1 else None
    main = _without_refs(logic, excepted_ids)
    if main is None:
        return logic
    ends = {leaf[2]: base + leaf[1] for leaf in leaves}
    kept = _refs(main)
    if all(ends.get(r, 0) <= m.start() for r in kept):
        return excepting(main)
    # what follows the exception's clause stays outside it ("Bilirubin <= 1.5 mg/dL (unless Gilbert's
    # syndrome) and creatinine <= 2.0 mg/dL"): the exception is the last leaf's before "unless"
    last = max((r for r in kept if ends.get(r, m.end()) <= m.start()), key=lambda r: ends[r], default=None)
    if last is None:
        return logic

    def attach(node: dict[str, Any]) -> dict[str, Any]:
        if "ref" in node:
            return excepting(node) if node["ref"] == last else node
        return {**node, "args": [attach(a) for a in node["args"]]}

    return attach(main)


def either_bound(rec: dict[str, Any]) -> dict[str, Any] | None:
    """The criterion's logic with every "all" over limits on one measure that no value can meet at
    once turned into "any": "Systolic pressure > 160 mm Hg and < 100 mmHg", "blood glucose < 70 and >
    200 mg/dL" name the two ways out of a range, as a reader takes the "and" (a range check: the
    bounds must leave room between them)."""
    logic = rec.get("logic")
    if logic is None or len(rec["constraints"]) < 2:
        return logic
    limits = {c["id"]: c for c in rec["constraints"]}

    def disjoint(refs: list[str]) -> bool:
        cons = [limits.get(r) for r in refs]
        if any(c is None for c in cons) or len(cons) < 2:
            return False
        measured = {(c.get("subject") or c.get("measure")) for c in cons if c is not None}
        units = {c.get("ucum") for c in cons if c is not None and c.get("ucum")}
        if len(measured) != 1 or None in measured or len(units) > 1:
            return False
        lows = [c["value"] for c in cons if c and c.get("comparator") in (">", ">=") and _is_number(c.get("value"))]
        highs = [c["value"] for c in cons if c and c.get("comparator") in ("<", "<=") and _is_number(c.get("value"))]
        if len(lows) + len(highs) != len(cons) or not lows or not highs:
            return False
        return max(lows) >= min(highs)

    def turn(node: dict[str, Any]) -> dict[str, Any]:
        if "ref" in node:
            return node
        args = [turn(a) for a in node["args"]]
        if node["op"] == "all" and all("ref" in a for a in args) and disjoint([a["ref"] for a in args]):
            return {**node, "op": "any", "args": args}
        bounds = [a for a in args if "ref" in a and a["ref"] in limits]
        if node["op"] == "all" and 2 <= len(bounds) < len(args) and disjoint([a["ref"] for a in bounds]):
            # "blood glucose < 70 and > 200 mg/dL at the time of examination": the two ways out of the
            # range are alternatives, what else the criterion asks (a window, the measure) holds beside them
            at = args.index(bounds[0])
            rest = [a for a in args if a not in bounds]
            return {**node, "args": [*rest[:at], {"op": "any", "args": bounds}, *rest[at:]]}
        return {**node, "args": args}

    return turn(logic)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _has_any(node: dict[str, Any]) -> bool:
    return "ref" not in node and (node["op"] == "any" or any(_has_any(a) for a in node["args"]))


@cache
def _everyone() -> frozenset[str]:
    return frozenset(word_list("everyone"))


@cache
def _abbreviations_in_context() -> dict[str, re.Pattern[str]]:
    table = load_json("words.json")["abbreviations_in_context"]
    return {k: re.compile(v, re.IGNORECASE) for k, v in table.items() if k != "_"}


@lru_cache(maxsize=64)
def _text_is_about(short: str, text: str) -> bool:
    """Whether ``text`` (a whole source) names what the short form stands for
    (``words.json`` ``abbreviations_in_context``); read once per source, not once per criterion."""
    about = _abbreviations_in_context().get(short)
    return about is not None and about.search(text) is not None


@cache
def _partners() -> frozenset[str]:
    """A participant's partner and the other people around a participant ("parent or legal guardian")."""
    return frozenset(w.lower() for w in word_list("partner_words") + word_list("relative_words"))


def _refs(tree: dict[str, Any]) -> list[str]:
    return [tree["ref"]] if "ref" in tree else [r for a in tree["args"] for r in _refs(a)]


def _coordination_wholes(entities: list[dict[str, Any]]) -> dict[int, int]:
    """Each member mention of an elliptic coordination (rule ``coordinated-member``) -> the mention
    of the whole coordination it lies in (the same type)."""
    out: dict[int, int] = {}
    for i, e in enumerate(entities):
        if e.get("rule") != "coordinated-member":
            continue
        for j, w in enumerate(entities):
            if (
                j != i
                and w["type"] == e["type"]
                and w.get("rule") != "coordinated-member"
                and w["start"] <= e["start"]
                and e["end"] <= w["end"]
            ):
                out[i] = j
                break
    return out


def _group_by_value(mapping: dict[int, int]) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = defaultdict(list)
    for key, value in sorted(mapping.items()):
        groups[value].append(key)
    return groups


def _restated_name(local: str, entities: list[dict[str, Any]], before: int, i: int) -> bool:
    """Whether mention ``i`` names again, after a slash, the analyte mention ``before`` names ("AST/SGOT",
    "ALT/SGPT": the same normalised name)."""
    a, b = entities[before], entities[i]
    return (
        a.get("normalized") is not None
        and a.get("normalized") == b.get("normalized")
        and local[a["end"] : b["start"]].strip() == "/"
    )


def _count_end(local: str, t: dict[str, Any]) -> int:
    """End of the counted part of 'at least 1 system is A' (after the unit word)."""
    m = re.search(r"systems?|domains?|items?", local[t["start"] : t["end"]], re.IGNORECASE)
    return t["start"] + m.end() if m else t["end"]


def _inherited_route(local: str, entities: list[dict[str, Any]], i: int) -> str | None:
    """'oral glucocorticoids, such as prednisone': the example inherits the class's route."""
    e = entities[i]
    m = re.search(r"(?:such as|e\.?g\.?,?|including|like)\s*$", local[: e["start"]], re.IGNORECASE)
    if not m:
        return None
    for j in range(i - 1, -1, -1):
        if entities[j]["type"] == "Drug":
            return route_of(local, entities[j])
    return None


_AGE_AHEAD = re.compile(r"\s{0,3}(?:of\s{1,3})?(?=age\b)", re.IGNORECASE)


def _age_mention_after(text: str, base: int, end: int, entities: list[dict[str, Any]]) -> int | None:
    """The index of the Person mention "age" right after an age threshold ("40 to 65 years of age")."""
    m = _AGE_AHEAD.match(text, base + end)
    if m is None:
        return None
    for k, e in enumerate(entities):
        if base + e["start"] == m.end() and e["type"] == "Person":
            return k
    return None


def _constraint(
    text: str,
    base: int,
    t: dict[str, Any],
    i: int | None,
    entities: list[dict[str, Any]],
    ent_id: dict[int, str],
    measure_of: Any,
    reg: Any,
) -> dict[str, Any]:
    c: dict[str, Any] = {"subject": ent_id.get(i) if i is not None else None}
    if i is not None:
        c["measure"] = measure_of(i)
        if c["measure"] == "ecog performance status" and _beyond_ecog(
            text[base + entities[i]["start"] : base + entities[i]["end"]], t
        ):
            c["measure"] = "karnofsky performance status"
        if t.get("ucum") in DURATION_UCUM and entities[i]["type"] in DURATION_SUBJECT_TYPES:
            analyte = reg.analyte(c["measure"])
            subject = text[base + entities[i]["start"] : base + entities[i]["end"]]
            # "life expectancy > 3 months" measures itself; "< 3 days per month" is a frequency
            timed = (analyte is not None and analyte.canonical in DURATION_UCUM) or _AGE_OR_SURVIVAL.search(subject)
            if not timed and not _PER_PERIOD_AFTER.match(text, base + t["end"]):
                # how long the subject has lasted ("pain for at least 3 months") or since it was
                # ("myocardial infarction less than 6 months ago")
                since = _SINCE_AFTER.match(text, base + t["end"]) is not None
                c["measure"] = "time since" if since else "duration"
    written_age = t.get("ucum") == "a" and _AGE_WORD.search(text, base + t["start"], base + t["end"])
    if written_age or _is_age(text, base, t, entities[i] if i is not None else None):
        c["measure"] = "age"  # "patients ≥ 16 years", "40 - 85 years of age", "males 18 and older"
        if i is not None and entities[i]["type"] != "Person":
            c["subject"] = None  # "Child with autism is between 3 and 12 years old": no age of autism
        age = _age_mention_after(text, base, t["end"], entities)
        if age is not None and age in ent_id:
            c["subject"] = ent_id[age]  # "subjects of 40 to 65 years of age": the age the limits are of
    if t.get("extra", {}).get("measure"):
        c["measure"] = t["extra"]["measure"]  # "BP > 160/90 mmHg": the rule names what each number measures
    elif not c.get("measure") and t.get("extra", {}).get("analyte_span"):
        # "at least 5,000 lymphocytes/mm^3": what is counted, as written, where no mention names it
        lo, hi = (base + t["start"] + k for k in t["extra"]["analyte_span"])
        c["measure"] = " ".join(text[lo:hi].lower().split())
    elif c.get("measure") in _pressure_words() and t.get("ucum") == "mm[Hg]":
        c["measure"] = f"{c['measure']} blood pressure"  # "systolic > 150 mmHg"
    elif (
        not c.get("measure")
        and _WHO_PERFORMANCE_BEFORE.search(text, max(0, base + t["start"] - 60), base + t["start"])
        or c.get("measure") in (None, "ecog performance status")
        and _WHO_ITEM_BEFORE.search(text, max(0, base + t["start"] - 12), base + t["start"])
    ):
        # "Performance status: WHO 0-2", "Performance status:\n  -  ECOG 0-2\n  -  WHO 0-2": the topic's
        # scale is the WHO's ("WHO" alone names no mention; the topic's label reads as ECOG's)
        c["measure"] = "who performance status"
    elif not t.get("ucum") and (
        platform := _PLATFORM_VERSION_BEFORE.search(text, max(0, base + t["start"] - 50), base + t["start"])
    ):
        c["measure"] = _PLATFORM_VERSIONS[(platform.group("platform") or platform.group("bracketed")).lower()]
    elif (
        t.get("ucum") in _unit_measures()
        and (not c.get("measure") or (i is not None and entities[i]["type"] == "Person" and c["measure"] != "age"))
        and not _WEIGHT_CHANGE_BEFORE.search(text, max(0, base + t["start"] - 40), base + t["start"])
    ):
        # "more than 3 drinks in a single day"; "Male ≥ 50 kg": what the people are measured in kilograms
        # is their body weight (not in "weight loss greater than 5 kg")
        c["measure"] = _unit_measures()[t["ucum"]]
    c["comparator"] = t["comparator"]
    measure = c.get("measure")
    for key in ("value", "low", "high"):
        if t.get(key) is not None:
            c[key] = t[key]
    if t["comparator"] == "between":
        extra = t.get("extra", {})
        c["inclusive"] = bool(extra.get("inclusive", True))
        for key in ("low_inclusive", "high_inclusive"):
            if key in extra:
                c[key] = bool(extra[key])
    if t.get("multiple") is not None or t.get("reference"):
        if t.get("multiple") is not None:
            c["multiple"] = t["multiple"]
        c["reference"] = t["reference"]  # a range of multiples ("1.0 - 1.5 x ULN") holds them in low/high
    else:
        c["unit"] = t.get("unit")
        c["ucum"] = reg.normalise_for(t.get("ucum"), measure)
        if measure and not unit_fits_measure(t.get("ucum"), measure, reg):
            # "CR > 12 months" is a duration, not a creatinine level: the analyte link goes
            c["subject"] = None
            c.pop("measure", None)
            c["ucum"] = t.get("ucum")
    if t.get("count_of"):
        c["count_of"] = t["count_of"]
    # (never a duration: "loss of appetite of more than 2 weeks" says how long)
    change = None
    if t.get("ucum") not in DURATION_UCUM:
        # ("No more than 10% weight loss": the change named after the amount, where it names the subject)
        after = change_after(text, base + t["end"], t.get("ucum")) if c.get("subject") is not None else None
        change = change_before(text, base + t["start"]) or (after[0] if after else None)
    if change:
        c["change"] = change
    canonical = _canonical(c, reg)
    if canonical:
        c["canonical"] = canonical
    c.update(_span_text(text, base + t["start"], base + t["end"]))
    c["provenance"] = {"component": "criteria_values", "rule": t["rule"]}
    return c


_STAGE_LIST_GAP = re.compile(r"[\s,]*(?:(?:or|and|and/or)\s+)?(?:stage\s+)?", re.IGNORECASE)


def _share_stage_list_subjects(
    local: str, base: int, nodes: list[CriterionSpan], out_constraints: dict[str, list[dict[str, Any]]]
) -> None:
    """The stages of one list ("stage IIIB, IIIC, IVA, or IVB NSCLC") are stages of one thing: the
    subject the first of them found is each one's."""
    for node in nodes:
        run: list[dict[str, Any]] = []
        for c in [*out_constraints.get(node.id, []), None]:
            if (
                c is not None
                and c["provenance"]["rule"] == "stage-list"
                and bool(run)
                and c.get("measure") == run[-1].get("measure")
                and _STAGE_LIST_GAP.fullmatch(local, run[-1]["span"][1] - base, c["span"][0] - base) is not None
            ):
                run.append(c)
                continue
            subject = next((r["subject"] for r in run if r.get("subject")), None)
            for r in run:
                r["subject"] = subject
            run = [c] if c is not None and c["provenance"]["rule"] == "stage-list" else []


def _pair_time_unit_bounds(
    local: str,
    base: int,
    nodes: list[CriterionSpan],
    out_constraints: dict[str, list[dict[str, Any]]],
    reg: Any,
    people: set[str],
) -> None:
    """The two bounds of a range in two time units ("Are 15 days to 2 years old", "6 months - 18
    years" alone in its criterion) measure one thing: what one measures, or the age when the pair is
    all its top-level criterion says; where one bound is an age, the other, linked to the people
    ("Patients 15 days to 2 years old"), is one too."""
    for node in nodes:
        found = out_constraints.get(node.id, [])
        for a, b in zip(found, found[1:], strict=False):
            if not a["provenance"]["rule"] == b["provenance"]["rule"] == "time-units-range":
                continue
            if not a.get("measure") and not b.get("measure") and node.parent is None:
                hull = (a["span"][0] - base, b["span"][1] - base)
                if is_bare_age(local, *hull, "a", _local_bounds(node, base)):
                    a["measure"] = b["measure"] = "age"
            for one, other in ((a, b), (b, a)):
                if other.get("measure") == "age" and one.get("measure") != "age" and one.get("subject") in people:
                    one["measure"] = "age"
                if not one.get("measure") and other.get("measure"):
                    one["measure"], one["subject"] = other["measure"], other.get("subject")
            for one in (a, b):
                canonical = _canonical(one, reg) if one.get("measure") else None
                if canonical:
                    one["canonical"] = canonical


# "WHO" in capitals opening an item, right before its score
_WHO_ITEM_BEFORE = re.compile(r"(?:^|[\n:]|[-*•]\s)\s*WHO\s*$")
_WHO_PERFORMANCE_BEFORE = re.compile(
    r"performance\s+status\s*:\s*(?:WHO|World\s+Health\s+Organi[sz]ation)\s*(?:\(WHO\)\s*)?$", re.IGNORECASE
)
# the phone platform a version number is of ("an iPhone operating system (iOS) 14 or greater", "Android
# OS 10 or greater", "iOS version 15 or later")
_PLATFORM_VERSION_BEFORE = re.compile(
    r"(?:\b(?P<platform>ios|android)\b|\((?P<bracketed>ios)\))(?:\s+operating\s+system)?(?:\s+os)?"
    r"(?:\s*\((?:os|ios)\))?(?:\s+version)?[\s:]*$",
    re.IGNORECASE,
)
_PLATFORM_VERSIONS = {"ios": "ios version", "android": "android os version"}
_ECOG_NAMES = re.compile(r"ecog|zubrod|\bwho\b|eastern", re.IGNORECASE)


def _beyond_ecog(subject: str, t: dict[str, Any]) -> bool:
    """Named check: a bare "performance status" (the lexicon reads it as ECOG's) with a bound above
    ECOG's 0-5 scale ("Performance status: 70-100%", "performance status >= 70") is on Karnofsky's
    0-100 scale."""
    if t.get("ucum") not in (None, "%"):
        return False  # "Older than 10 years" is no score
    bounds = [v for v in (t.get("value"), t.get("low"), t.get("high")) if isinstance(v, (int, float))]
    return not _ECOG_NAMES.search(subject) and any(v > 5 for v in bounds)


def _canonical(c: dict[str, Any], reg: Any) -> dict[str, Any]:
    """The constraint's value(s) in its measure's canonical unit, where the unit converts."""
    out: dict[str, Any] = {}
    ucum = c.get("ucum")
    if not ucum:
        return out
    for key in ("value", "low", "high"):
        v = c.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            q = reg.canonical(float(v), ucum, c.get("measure"))
            if q:
                out[key] = q.value
                out["unit"] = q.ucum
    return out


# between a duration and the event it is counted from, written apart ("= or > 4 weeks must have
# elapsed prior to study entry", "At least six weeks of failed conservative treatment prior to
# surgery", "within 30 days [21 days AS PER AMENDMENT] prior to study entry")
_SPLIT_ANCHOR_GAP = re.compile(
    r"\s*(?:\[[^\]\r\n]{0,60}\]\s*|\([^()\r\n]{0,60}\)\s*)?,?\s*(?:(?:must|should|will)\s+)?(?:(?:have|has|had|be|been|is|are)\s+)?"
    r"(?:(?:elapsed|passed|lapsed|required|needed)\s+)?(?:(?:period|directly|immediately)\s+)*"
    r"(?:of\s+(?:[^\s,;.()\[\]]+\s+){1,5})?",
    re.IGNORECASE,
)


def _join_split_anchors(text: str, recs: list[dict[str, Any]]) -> list[str]:
    """A window counted back from the index date followed, a few words on, by a window that only
    names its event ("prior to surgery") is one window: the duration counted from that event. In
    place; returns the ids of the windows joined into the one before them."""
    gone: list[str] = []
    ordered = sorted(recs, key=lambda r: r["span"][0])
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a["id"] in gone or not a.get("duration") or b.get("duration") or b.get("half_lives"):
            continue
        if a["direction"] != "before" or a["anchor"].get("name") != "index" or "span" in a["anchor"]:
            continue
        if b["direction"] not in ("before", "after") or b["anchor"].get("name") in (None, "index"):
            continue
        gap_start, gap_end = a["span"][1], b["span"][0]
        if gap_end < gap_start or gap_end - gap_start > 60 or not _SPLIT_ANCHOR_GAP.fullmatch(text, gap_start, gap_end):
            continue
        a["direction"], a["anchor"] = b["direction"], b["anchor"]
        a.update(_span_text(text, a["span"][0], b["span"][1]))
        a["applies_to"] = list(dict.fromkeys([*a["applies_to"], *b["applies_to"]]))
        a["provenance"] = {**a["provenance"], "rule": a["provenance"]["rule"] + "+anchor"}
        gone.append(b["id"])
    recs[:] = [r for r in recs if r["id"] not in gone]
    return gone


_LABEL_TYPES = {"Measurement", "Observation", "Person"}


def _parent_label(text: str, node: CriterionSpan, nodes: list[CriterionSpan]) -> str:
    """The label line over a sub-item ("Life expectancy:", "Age strata:"), or ""."""
    parent = next((n for n in nodes if n.id == node.parent), None) if node.parent else None
    if parent is None:
        return ""
    return text[parent.start : parent.children[0].start if parent.children else parent.end]


def _measures_from_labels(
    local: str,
    base: int,
    nodes: list[CriterionSpan],
    entities: list[dict[str, Any]],
    owner: dict[int, CriterionSpan],
    out_constraints: dict[str, list[dict[str, Any]]],
    reg: Any,
) -> None:
    """'Life expectancy:' over '* At least 2 months': a threshold with nothing measured before it in
    its sub-item measures what the label line above it names (when the label names one thing), or,
    where the label and its one bullet are one criterion ("Age:\n  -  18 to 65"), what its heading names."""
    by_id = {n.id: n for n in nodes}

    def named_in(label_owner: CriterionSpan, label_end: int) -> list[dict[str, Any]]:
        return [
            e
            for i, e in enumerate(entities)
            if owner.get(i) is label_owner
            and e["type"] in _LABEL_TYPES
            and base + e["end"] <= label_end
            # "Age:" names a measure; "Women may be eligible if they:" names the people, not one
            and (e["type"] != "Person" or e.get("normalized") == "age")
            # ("... defined as history of:" names no measure for its items)
            and e.get("normalized") not in _context_only()
        ]

    for node in nodes:
        parent = by_id.get(node.parent) if node.parent else None
        if node.heading is not None and not node.children and "\n" in local[node.heading[1] - base : node.end - base]:
            named = named_in(node, node.heading[1])
        elif parent is not None:
            named = named_in(parent, parent.children[0].start if parent.children else parent.end)
        else:
            continue
        if len(named) != 1:
            continue
        measure = named[0].get("normalized") or name_of(local[named[0]["start"] : named[0]["end"]])
        for c in out_constraints.get(node.id, []):
            if c.get("subject") is None and not c.get("measure"):
                c["measure"] = measure
                if c.get("ucum") is None and "multiple" not in c:
                    c["ucum"] = reg.normalise_for(None, measure)
                canonical = _canonical(c, reg)
                if canonical and "canonical" not in c:
                    c["canonical"] = canonical


# an age, a life expectancy or a doubling time is a Value however it is written ("> 18 years", "survival
# >= 3 months", "PSA doubling time of >= 6 months")
_AGE_OR_SURVIVAL = re.compile(
    r"\bage[ds]?\b|\bold\b|\byrs?\s+of\b|surviv|expectan|\blife\b|\bborn\b|gestation|\bdeath\b|\bdie\b"
    r"|doubling\s+time|\bPSA-?DT\b",
    re.IGNORECASE,
)


# an abbreviation: two capitals, or a capital and a digit ("G-CSF", "NSAIDs", "GLP-1 RAs"); never a name
# ("Rituxan") nor a word ("vasodilators (nitrates)": a kind of the drug before)
_DRUG_ABBREVIATION = re.compile(r"(?=[^\s]*[A-Z][^\s]*[A-Z0-9])[A-Za-z0-9-]{2,12}(?:\s[A-Za-z]{1,4})?")


def drug_short_forms(text: str, entities: list[dict[str, Any]]) -> dict[int, int]:
    """Drug mention -> the Drug mention that is its abbreviation in brackets right after it ("filgrastim
    (G-CSF)"): named check for one drug written twice (never a class under another name)."""
    out: dict[int, int] = {}
    for j, e in enumerate(entities):
        if e["type"] != "Drug" or e["start"] == 0 or text[e["start"] - 1] != "(" or not text.startswith(")", e["end"]):
            continue
        if not _DRUG_ABBREVIATION.fullmatch(text, e["start"], e["end"]):
            continue
        before = [
            i
            for i, d in enumerate(entities)
            if d["type"] == "Drug" and d["end"] < e["start"] and not text[d["end"] : e["start"] - 1].strip()
        ]
        if not before or before[-1] in out:
            continue
        # (a class named by its head alone keeps its abbreviation's record: "... receptor agonists (GLP-1
        # RAs)", the lexicon's "agonists")
        long = entities[before[-1]]
        if long.get("is_class") and long.get("normalized") != e.get("normalized"):
            continue
        out[before[-1]] = j
    return out


def _name_defined_short_forms(text: str, entities: list[dict[str, Any]], short_names: dict[str, str]) -> dict[int, int]:
    """A drug abbreviation defined in brackets after one drug's name ("ganciclovir (DHPG)") names that
    drug wherever the text writes it again ("the maintenance phase DHPG therapy"), rather than what
    a vocabulary files under the letters (DrugBank's DHPG is dihydroxyphenylglycine). ``short_names``
    holds the definitions seen so far in the text; each later mention takes the long form's name.
    Returns the criterion's pairs (``drug_short_forms``), which the renaming leaves as they are: it
    renames no class, and only a class's name enters the pairing."""
    short_forms = drug_short_forms(text, entities)
    for i, j in short_forms.items():
        long = entities[i]
        if not long.get("is_class"):
            name = long.get("normalized") or name_of(text[long["start"] : long["end"]], singular=True)
            short_names.setdefault(text[entities[j]["start"] : entities[j]["end"]], name)
    defined = set(short_forms.values())
    for j, e in enumerate(entities):
        if e["type"] == "Drug" and j not in defined and not e.get("is_class"):
            name = short_names.get(text[e["start"] : e["end"]])
            if name is not None:
                e["normalized"] = name
    return short_forms


def is_duration_of_state(
    text: str, t: dict[str, Any], subjects: list[dict[str, Any]], criterion: tuple[int, int]
) -> bool:
    """Named check: a threshold in a time unit that is not an age or a life expectancy measures how
    long something lasted ("pain for at least 3 months"), read from the words around it;
    ``criterion`` is the (start, end) in ``text`` of the criterion it is in."""
    if t.get("ucum") not in DURATION_UCUM or t.get("count_of") or t.get("comparator") == "between":
        return False  # a range ("cycle length 25-34 days", "18 to 65 years") is a Value, as Chia marks it
    if any(e.get("type") == "Person" or (e.get("normalized") or "") == "age" for e in subjects):
        return False
    if not subjects and is_bare_age(text, t["start"], t["end"], t.get("ucum"), criterion):
        return False
    around = text[max(0, t["start"] - 40) : t["end"] + 15]
    return not _AGE_OR_SURVIVAL.search(around)


_PLURAL_S = re.compile(r"(?<=[a-z]{3})(?<![siu])s$")


# "the oxygen saturation is above 94% in the resting state without oxygen": a drug left out while a
# value is measured describes the measurement; "No concurrent steroids" is a drug the criterion is
# about, negated (its entity says so), and has its drug record
_WITHOUT_BEFORE = re.compile(r"\b(?:without|off)\s{1,3}(?:supplemental\s{1,3}|any\s{1,3})?$", re.IGNORECASE)


def _measured_without(text: str, start: int, thresholds: list[tuple[int, int]]) -> bool:
    return bool(_WITHOUT_BEFORE.search(text, max(0, start - 30), start)) and any(
        0 <= start - end <= 80 for _, end in thresholds
    )


_AGE_WORD = re.compile(r"\bage[sd]?\b", re.IGNORECASE)
# "measured at least 2 weeks apart": an interval between two things, not how long ago or how long;
# "Above 35 years men": an age
_NOT_A_STATE_AFTER = re.compile(
    r"\s{0,3}(?:apart|between|interval|(?:wo)?men|(?:fe)?males?|patients?|subjects?|participants?|adults?"
    r"|children|boys|girls|people|persons?|individuals?|volunteers?)\b",
    re.IGNORECASE,
)
# "for the duration of the study and for up to 6 months thereafter", "total calculated duration ≤ 4
# months": how long a study or a course lasts, no state ("Duration of symptoms: 6 or more weeks" is one)
_DURATION_NAMED_BEFORE = re.compile(
    r"\b(?:duration\s+of\s+(?:the\s+|this\s+)?(?:study|trial|participation)\b|total\s+(?:\w+\s+)?duration\b)"
    r"[^.;]{0,30}$",
    re.IGNORECASE,
)
_IN_BRACKETS_ALONE = re.compile(r"\(\s{0,2}$")
_FOR_BEFORE = re.compile(r"\bfor\s{1,3}$", re.IGNORECASE)


# an age limit that starts an item of a run-on listing with a capitalised over/under ("... failed
# interferon treatment Over 55 years", "Under 55 years and either ..."); "smoked over 20 years" and
# "for over 20 years" say how long
_ADULT_AGE_LIMIT = re.compile(r"(?:Over|Under|Above|Below|OVER|UNDER)\s+\d")


def _is_adult_age_limit(text: str, start: int, end: int, t: dict[str, Any]) -> bool:
    """Named check: text[start:end], a limit of at least 18 years, starts a run-on item with a
    capitalised over/under (``_ADULT_AGE_LIMIT``): an age."""
    return t.get("ucum") == "a" and (t.get("value") or 0) >= 18 and bool(_ADULT_AGE_LIMIT.match(text, start, end))


def _bare_duration(
    text: str,
    local: str,
    base: int,
    t: dict[str, Any],
    node: CriterionSpan,
    nodes: list[CriterionSpan],
    alone: dict[str, Any],
) -> bool:
    """Named check: a duration no mention measures ("Males with ED ... for at least 3 months", "a sexual
    partner of at least 6 months") is how long the state the criterion names has lasted, unless it is
    an age or a survival (``is_duration_of_state``, or the label line over it: "Life expectancy:",
    "Age strata:"), a measure its constraint names alone (``alone``), days in a week ("at least 5 days a
    week"), an interval ("at least 2 weeks apart"), people's age ("Above 35 years men"), how long a
    study or a course lasts ("for the duration of the study and up to 6 months after"), a bound of an
    age range ("4 months and 21 years of age") or an age group in brackets ("(under 10 years)"). ``t``
    has offsets into ``local``, the top criterion's text, which starts at ``base`` in ``text``."""
    start, end = base + t["start"], base + t["end"]
    if _is_adult_age_limit(text, start, end, t):
        return False  # "... failed interferon treatment Over 55 years": an age limit in a run-on listing
    # ("ED for at least 1 year but less than 10 years": a range after "for" is how long, as one bound is)
    lasted = (
        {**t, "comparator": ">="}
        if t["comparator"] == "between" and _FOR_BEFORE.search(text, max(0, start - 8), start)
        else t
    )
    return (
        is_duration_of_state(local, lasted, [], _local_bounds(node, base))
        and not _AGE_OR_SURVIVAL.search(_parent_label(text, node, nodes))
        and alone.get("measure") is None
        and not _PER_PERIOD_AFTER.match(text, end)
        and not _NOT_A_STATE_AFTER.match(text, end)
        and not _DURATION_NAMED_BEFORE.search(text, max(0, start - 60), start)
        and t["rule"] != "time-units-range"
        and not _IN_BRACKETS_ALONE.search(text, max(0, start - 4), start)
    )


_EVENT_TYPES = frozenset({"Condition", "Procedure", "Drug", "Observation"})
_TO_LOOK_BACK = re.compile(r"[\s,]*(?:(?:for|of)\s+[\w\s-]{1,30}?\s+)?(?:within|in|during|over)\s", re.IGNORECASE)


def _event_right_before(local: str, entities: list[dict[str, Any]], start: int) -> int | None:
    """The index of the event mention (a condition, procedure, drug or observation) that ends right
    before a look-back ("ablative therapy within the past 30-90 days", "transplantation for AML within
    the past 28 to 100 days"), or None."""
    before = [i for i, e in enumerate(entities) if e["type"] in _EVENT_TYPES and e["end"] <= start]
    if not before:
        return None
    last = max(before, key=lambda i: entities[i]["end"])
    gap_end = _LOOK_BACK_RANGE.search(local, max(0, start - 40), start)
    if gap_end is None or not _TO_LOOK_BACK.match(local, entities[last]["end"], gap_end.end()):
        return None
    # ("transplantation for AML within ...": the event the clause is about, before what it was for)
    first_of_clause = [i for i in before if _TO_LOOK_BACK.match(local, entities[i]["end"], gap_end.end())]
    return min(first_of_clause, key=lambda i: entities[i]["start"]) if first_of_clause else last


_LOOK_BACK_RANGE = re.compile(
    r"\b(?:within|in|during|over)\s+(?:the\s+)?(?:past|last|previous|preceding)\s*$", re.IGNORECASE
)


def _state_window(
    text: str,
    base: int,
    t: dict[str, Any],
    subs: list[int],
    entities: list[dict[str, Any]],
    ent_id: dict[int, str],
    measure_of: Any,
    reg: Any,
    bare: bool = False,
) -> list[dict[str, Any]]:
    """A threshold on how long a state has lasted or how long ago an event was, as the time windows it
    states (comparator and duration, before the index date), or [] for any other threshold. A range
    ("erectile dysfunction for 3 to 6 months") is two windows on one span, one per bound, as a window
    holds one duration. ``bare``: a duration no mention measures that is a state's (``_bare_duration``),
    a window of its own."""
    ranged = t["comparator"] == "between"
    bounds = (
        [(_range_comparator(t, "low"), t.get("low")), (_range_comparator(t, "high"), t.get("high"))]
        if ranged
        else [(t["comparator"], t.get("value"))]
    )
    look_back = (
        _LOOK_BACK_RANGE.search(text, max(0, base + t["start"] - 40), base + t["start"])
        if ranged and t.get("ucum") in DURATION_UCUM
        else None
    )
    if look_back is not None and all(isinstance(v, (int, float)) for _, v in bounds):
        # "with ablative therapy within the past 30-90 days": how long ago, between the two bounds
        return _windows_before_index(
            bounds, t["ucum"], _span_text(text, look_back.start(), base + t["end"]), f"{t['rule']}+look-back"
        )
    if (not subs and not bare) or t.get("ucum") not in DURATION_UCUM:
        return []  # (most thresholds: no time unit, and no reading of their measure here)
    if not all(isinstance(v, (int, float)) for _, v in bounds):
        return []
    if _AGE_WORD.search(text, base + t["start"], base + t["end"]):
        return []  # "with a diagnosis of depression over the age of 18 years": an age, no window
    measure = (
        "duration"
        if not subs
        else _constraint(text, base, t, subs[0], entities, ent_id, measure_of, reg).get("measure")
    )
    if measure not in ("duration", "time since"):
        return []
    if measure == "duration" and subs:
        subject_type = entities[subs[0]]["type"]
        if subject_type not in _LASTING_TYPES:
            return []
        # how long an exposure has lasted is a window too ("maintenance on AZT for at least 6 weeks", as
        # the golds read all 157 "for at least N weeks" they mark), not how long a course lasts ("a
        # tapering schedule of oral steroids lasting <7 days")
        if subject_type not in ("Condition", "Observation") and not _FOR_BEFORE.search(
            text, max(0, base + t["start"] - 12), base + t["start"]
        ):
            return []
    # (every bound is a number: checked above)
    span = _span_text(text, base + t["start"], base + t["end"])
    return _windows_before_index(bounds, t["ucum"], span, f"{t['rule']}+{measure.replace(' ', '-')}")


def _windows_before_index(
    bounds: list[tuple[str, Any]], ucum: str, span: dict[str, Any], rule: str
) -> list[dict[str, Any]]:
    """A window before the index date for each (comparator, number) bound of a duration in ``ucum``,
    over the words of ``span``."""
    out = []
    for comparator, value in bounds:
        iso, days = iso_duration(float(value or 0), ucum)
        out.append(
            {
                "comparator": comparator,
                "duration": iso,
                "days": days,
                "direction": "before",
                "anchor": {"name": "index"},
                **span,
                "provenance": {"component": "criteria_values", "rule": rule},
            }
        )
    return out


def _range_comparator(t: dict[str, Any], bound: str) -> str:
    """The comparator of one bound of a range threshold, from its inclusive flags."""
    extra = t.get("extra", {})
    inclusive = bool(extra.get(f"{bound}_inclusive", extra.get("inclusive", True)))
    if bound == "low":
        return ">=" if inclusive else ">"
    return "<=" if inclusive else "<"


@cache
def _context_only() -> frozenset[str]:
    return frozenset(load_json("words.json")["context_only_normalized"])


@cache
def _drug_class_words() -> tuple[frozenset[str], tuple[str, ...]]:
    return frozenset(word_list("drug_class_heads")), tuple(word_list("drug_class_plural_endings"))


def _names_a_class(mention: str) -> bool:
    """Named check: a Drug mention whose last word is a class head ("antimicrobial drugs",
    "nephrotoxic agents") or a plural of a class's form ("antidepressants", "sedatives")."""
    words = mention.split()
    if not words:
        return False
    last = words[-1].lower().strip(".,;:()")
    heads, endings = _drug_class_words()
    return last in heads or (len(last) > 5 and last.endswith(endings))


@cache
def _pressure_words() -> frozenset[str]:
    return frozenset(word_list("pressure_measures"))


# a duration's unit word ("14 days" of "14 days must have elapsed since ...")
_TIME_UNIT = re.compile(r"\b(?:years?|yrs?|months?|mos?|weeks?|wks?|days?|hours?|hrs?)\b", re.IGNORECASE)
# a change written before a weight ("weight loss greater than 5 kg"): no body weight
_WEIGHT_CHANGE_BEFORE = re.compile(
    r"\b(?:loss|lost|lose|losing|gain(?:ed)?|change|reduction|increase|decrease)\b", re.IGNORECASE
)


@cache
def _unit_measures() -> dict[str, str]:
    return {k: v for k, v in load_json("words.json")["unit_measures"].items() if k != "_"}


_BRACKETED_END = re.compile(r"(?<=\S)\s*[(\[][^()\[\]]{1,12}[)\]]$")


def name_of(mention: str, singular: bool = False) -> str:
    """The name a mention without a curated normalisation goes by: lower case, one space where the
    text had any run of whitespace (a hard-wrapped "cardiac\\r\\n     arrhythmias"), and with
    ``singular`` the last word's plural -s dropped ("nitrates" and "nitrate" are one drug name)."""
    name = " ".join(mention.lower().split())
    last = mention.split()[-1] if mention.split() else ""
    if singular and not last.isupper():  # "AIDS", "HIV": an acronym is never a plural
        if name.endswith("ies") and len(name) > 5:
            name = name[:-3] + "y"
        else:
            name = _PLURAL_S.sub("", name)
    return name


def unit_fits_measure(ucum: str | None, measure: str, reg: Any) -> bool:
    """Named check: a time unit never measures an analyte whose canonical unit is not a time."""
    rule = reg.analyte(measure)
    unit = reg.by_ucum.get(ucum) if ucum else None
    canonical = reg.by_ucum.get(rule.canonical) if rule is not None and rule.canonical else None
    if unit is None or canonical is None:
        return True
    return unit.dimension != "time" or canonical.dimension == "time"


def check_plausible(constraint: dict[str, Any], reg: Any) -> str | None:
    """Named check: is a threshold plausible for its analyte in the canonical unit? A reason if not
    (a change of the analyte is never checked: "an increase in creatinine of 0.3 mg/dL")."""
    if constraint.get("change"):
        return None
    rule = reg.analyte(constraint.get("measure"))
    canon = constraint.get("canonical") or {}
    if rule is None or rule.plausible is None or canon.get("unit") != rule.canonical:
        return None
    lo, hi = rule.plausible
    for key in ("value", "low", "high"):
        v = canon.get(key)
        if isinstance(v, (int, float)) and not lo <= v <= hi:
            return f"{rule.name} {v:g} {rule.canonical} lies outside the plausible {lo:g}-{hi:g} {rule.canonical}"
    return None


def _check_plausible(c: dict[str, Any], reg: Any, warnings: list[dict[str, Any]], cid: str) -> None:
    reason = check_plausible(c, reg)
    if reason:
        warnings.append(
            {
                "code": "W005",
                "message": f"{reason}: check the unit written in '{c['text']}'",
                "criterion": cid,
                "span": c["span"],
            }
        )


_OF_AGE = re.compile(r"\s*(?:of\s+age|old|of\s+age\s+or\s+older)\b", re.IGNORECASE)
_PEOPLE_AFTER = re.compile(r"[ \t]{1,3}(?:men|women|males?|females?)\b", re.IGNORECASE)
# an infant's age in weeks, days or hours: "12 hours of age", "less than 6 months postnatal age", "30
# days postnatally" (never across a line break: "... 34 weeks\r\nPostnatal age less than 120 days"
# starts another criterion)
_OF_AGE_INFANT = re.compile(
    r"[ \t]*(?:of\s+age|of\s+life|(?:postnatal|chronological|corrected)[ \t]+age|postnatally)\b", re.IGNORECASE
)


# the words that may stand beside a bare age in its criterion ("Age: between 18 and 65 years inclusive")
_AGE_LINE_WORDS = re.compile(
    r"\b(?:age[ds]?|between|from|years?|old|older|younger|of|and|or|inclusive|inclusively|included"
    r"|be|must|should|is|are"
    # (the people the age is of: "18 to 65 years, either sex, any race")
    r"|either|both|any|all|sex|sexes|gender|genders|race|races|ethnicity|males?|females?|men|women)\b|[^A-Za-z]",
    re.IGNORECASE,
)


def is_bare_age(text: str, start: int, end: int, ucum: str | None, criterion: tuple[int, int]) -> bool:
    """Named check: a threshold in years with nothing measured is an age when it says so ("18 years
    or older") or is all its criterion says ("18-45 years", "over 18 years", "Between 18 and 65
    years"): a criteria list states a bare number of years only of the patient's age. Offsets are
    into ``text``; ``criterion`` is the criterion's (start, end) there (a hard-wrapped line that
    holds only "at least 5 years." is not a criterion of its own)."""
    if ucum != "a":
        return False
    if re.search(r"older|younger", text[start:end], re.IGNORECASE):
        return True
    rest = text[criterion[0] : start] + " " + text[end : criterion[1]]
    return not _AGE_LINE_WORDS.sub("", rest)


def _is_bare_lower_age(text: str, start: int, end: int, c: dict[str, Any], criterion: tuple[int, int]) -> bool:
    """Named check: a lower limit with no unit that is all its criterion says ("Over 18", "≥ 18") is
    the patient's age when the number is one an adult age limit takes (12-99)."""
    if c.get("ucum") or c.get("comparator") not in (">", ">=") or not isinstance(c.get("value"), int):
        return False
    rest = text[criterion[0] : start] + text[end : criterion[1]]
    return 12 <= c["value"] <= 99 and not rest.strip(" \t\r\n.;,")


# people whose age is counted in weeks or days ("Newborns < 28 days"); for others a number of weeks
# is how far a pregnancy or a recovery has gone ("Women at < 20 weeks gestation")
_INFANTS = re.compile(r"newborn|neonat|infant|bab(?:y|ies)", re.IGNORECASE)


def _dose_amount(dose: dict[str, Any]) -> str:
    """A dose's value, or its range written "low-high"."""
    return f"{dose['low']}-{dose['high']}" if dose["comparator"] == "between" else str(dose["value"])


def _numeric_range(t: dict[str, Any]) -> bool:
    """Both bounds of a range are numbers (a dose range: "dapsone 50 - 100 mg per day")."""
    return all(isinstance(t.get(k), (int, float)) and not isinstance(t.get(k), bool) for k in ("low", "high"))


def _is_age(text: str, base: int, t: dict[str, Any], subject: dict[str, Any] | None) -> bool:
    """A duration in years or months (weeks or days for an infant) that measures a person, or is
    followed by 'of age' / 'old'."""
    if t.get("ucum") is None and _AGE_COMPARATOR.search(text, base + t["start"], base + t["end"]):
        return True  # "under the age of 80", "over age 65"
    if str(t.get("rule", "")).endswith("+shared-unit") and _SHARED_AGE_AFTER.match(text, base + t["end"]):
        return True  # "less than 55 or greater than or equal to 75 years of age": both bounds are ages
    if _is_adult_age_limit(text, base + t["start"], base + t["end"], t):
        return True  # "... failed interferon treatment Over 55 years": an item of its own, an age
    if (
        t.get("ucum") in (None, "a")
        and isinstance(t.get("value"), int)
        and 0 < t["value"] <= 120
        and _UNDER_OVER.match(text, base + t["start"])
        and _IF_OR_PEOPLE_BEFORE.search(text, max(0, base + t["start"] - 30), base + t["start"])
    ):
        # "consent of parent or guardian required if under 18", "... if under 18 years": an age
        return True
    if (
        t.get("ucum") is None
        and (subject is None or subject["type"] == "Person")
        and isinstance(t.get("value"), int | float)
        and 0 < t["value"] <= 120
        and _OLDER_YOUNGER.match(text, base + t["start"])
    ):
        return True  # "Younger than 5 -- no greater than 1.2": a bare number older or younger than is an age
    highest = t.get("value") if t.get("value") is not None else t.get("high")
    if (
        t.get("ucum") is None
        and isinstance(highest, int | float)
        and 0 < highest <= 120
        and _AGE_RIGHT_AFTER.match(text, base + t["end"])
    ):
        return True  # "≥19 age": the word age right after a bare number
    if t.get("ucum") is None and t.get("rule") == "number-postfix-comparator" and subject is not None:
        # "Males 18 and older": a bare number said to be older or younger than is an age in years
        return (
            subject["type"] == "Person"
            and re.search(r"older|younger", text[base + t["start"] : base + t["end"]], re.I) is not None
        )
    if (
        t.get("ucum") is None
        and t.get("rule") == "range"
        and subject is not None
        and subject["type"] == "Person"
        and _AGE_RANGE_GAP.fullmatch(text, base + subject["end"], base + t["start"]) is not None
    ):
        return True  # "Males 25-65", "Male/Female between 20 and 55": a bare range after people is their age
    person = subject is not None and subject["type"] == "Person"
    infant = (
        subject is not None
        and person
        and _INFANTS.search(text, base + subject["start"], base + subject["end"]) is not None
    )
    # "18 years of age or older", "2 years old or greater": 'of age' / 'old' after the number or inside
    # (whatever the subject: "Child with autism is between 3 and 12 years old"); an infant's age may be
    # counted in weeks, days or hours ("At least 12 hours of age")
    said = (
        _OF_AGE.match(text, base + t["end"]) is not None
        or _OF_AGE_INSIDE.search(text, base + t["start"], base + t["end"]) is not None
        # "Above 35 years men": years and then the people they are the age of
        or (t.get("ucum") == "a" and _PEOPLE_AFTER.match(text, base + t["end"]) is not None)
    )
    # (but "Injury greater than 8 hours old", "Surgery less than 30 days old" say how old a thing is)
    infant_age = (
        t.get("ucum") in {"a", "mo", "wk", "d", "h"} and _OF_AGE_INFANT.match(text, base + t["end"]) is not None
    )
    if t.get("ucum") not in ({"a", "mo", "wk", "d"} if infant else {"a", "mo"}) and not infant_age:
        return False
    return person or said or infant_age


# after a time threshold: it counts days in a period, a frequency
# ("6.5 hours of sleep per night": what the time is of may come first)
_PER_PERIOD_AFTER = re.compile(
    r"(?:\s+of\s+\w+(?:\s+\w+)?)?\s*(?:per|a|an|each|every|/|in\s+(?:a|any|one))\s*(?:day|night|week|month|year|wk|mo)\b",
    re.I,
)
# after a time threshold: it counts the time since its subject, not how long it lasted
_SINCE_AFTER = re.compile(
    r"\s*(?:\)\s*)?(?:ago|earlier|before|prior|since|must\s+have\s+elapsed|have\s+elapsed|elapsed)\b", re.I
)
# between people and a bare range that is their age
_AGE_RANGE_GAP = re.compile(r"\s*(?:(?:between|aged?|ages)\s+)?", re.IGNORECASE)
_OF_AGE_INSIDE = re.compile(r"\b(?:of\s+age|old)\b", re.IGNORECASE)
_AGE_COMPARATOR = re.compile(r"\bage\b", re.IGNORECASE)
_AGE_RIGHT_AFTER = re.compile(
    r"[ \t]{0,2}(?:years?[ \t]+)?age\b(?![ \t]*(?:of|at|when|group|range|adjusted|-))", re.IGNORECASE
)
_OLDER_YOUNGER = re.compile(r"(?:older|younger)\s+than\s", re.IGNORECASE)
# after the first of two thresholds sharing the second's unit: the second said to be an age
_SHARED_AGE_AFTER = re.compile(
    r"\s*(?:or|and|to|-)\s+[^.;:]{0,60}?\b(?:years?|yrs?)\s+(?:of\s+age|old)\b", re.IGNORECASE
)
_UNDER_OVER = re.compile(r"(?:under|over|younger\s+than|older\s+than)\s", re.IGNORECASE)
_IF_OR_PEOPLE_BEFORE = re.compile(
    r"\b(?:if|when|those|anyone|persons?|participants?|patients?|subjects?|children|minors?)\s+(?:(?:are|is|aged?)\s+)?$",
    re.IGNORECASE,
)


def _find(items: list[dict[str, Any]], cid: str) -> dict[str, Any] | None:
    return next((c for c in items if c["id"] == cid), None)


def _agreement(
    c: dict[str, Any], other: dict[str, Any] | None, reg: Any, warnings: list[dict[str, Any]], cid: str
) -> str:
    """Do two statements of one threshold in different units agree after conversion? Within 1%, or
    within the rounding of the number as written ("LDL > 130 mg/dL (3.4 mmol/L)": 130 mg/dL is 3.36
    mmol/L, which written to one decimal is 3.4). A range agrees where both its bounds do."""
    keys = ("value",) if c.get("value") is not None else ("low", "high")
    if other is None or not all(
        isinstance(c.get(k), (int, float)) and isinstance(other.get(k), (int, float)) for k in keys
    ):
        return "not_comparable"
    try:
        converted = [reg.convert(float(other[k]), other["ucum"], c["ucum"], c.get("measure")) for k in keys]
        back = [reg.convert(float(c[k]), c["ucum"], other["ucum"], c.get("measure")) for k in keys]
    except Exception:
        return "not_comparable"
    agrees = all(
        abs(v - float(c[k])) <= max(0.01 * abs(float(c[k])), _rounding(c[k]))
        or abs(b - float(other[k])) <= _rounding(other[k])
        for v, b, k in zip(converted, back, keys, strict=True)
    )
    if not agrees:
        written = "-".join(f"{v:.4g}" for v in converted)
        warnings.append(
            {
                "code": "W001",
                "message": f"{c.get('measure')}: {other['text']} is {written} {c['ucum']}, but the text also gives {c['text']}",
                "criterion": cid,
                "span": c["span"],
            }
        )
    return "agrees" if agrees else "disagrees"


def _rounding(number: float) -> float:
    """Half a unit in the last decimal a number is written to (3.4: 0.05; 130: 0.5; 1.5e-05:
    0.0000005), a little over."""
    mantissa, _, exponent = repr(float(number)).partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa and not float(mantissa).is_integer() else 0
    return 0.5 * 10.0 ** -(decimals - int(exponent or 0)) * 1.0001


_CONTENT = re.compile(r"[A-Za-zΑ-ω]{3,}")
# a "." or "," between two digits is a decimal mark or a thousands separator, not punctuation.
# One mark, tested after it is read: a ";:()[]", or a "." or "," with no digit before it or none after
# it. A pattern whose first step reads a character class lets the engine skip to the next mark in C;
# the plain alternation r"(?:[;:()\[\]]|(?<!\d)[.,]|[.,](?!\d))+" (the same runs) is tried at every
# character, about five times slower.
_SEPARATOR = r"[;:()\[\].,](?:(?<=[;:()\[\]])|(?<!\d[.,])|(?!\d))"
_SEPARATORS = re.compile(rf"{_SEPARATOR}(?:{_SEPARATOR})*")
_UNCOVERED = re.compile(rb"\x00+")


@cache
def _stopwords() -> frozenset[str]:
    # built once: _unparsed runs for every criterion
    return frozenset(load_json("words.json")["stopwords"])


def _unparsed(text: str, node: CriterionSpan, rec: dict[str, Any]) -> list[dict[str, Any]]:
    """Stretches of the criterion's own text with content words that no extracted item covers."""
    items = rec["entities"] + rec["constraints"] + rec["windows"] + rec["drugs"] + rec["formulas"]
    if not items:
        own = node.children == []
        if own:
            return [{**_span_text(text, node.start, node.end), "reason": "no_structure"}]
    covered = [x["span"] for x in items]
    if "heading" in rec:
        covered.append(rec["heading"]["span"])
    covered += [(c.start, c.end) for c in node.children]
    # one coverage mask over the criterion: linear whatever the number of items
    start, end = node.start, node.end
    mask = bytearray(end - start)
    for cs, ce in covered:
        lo, hi = max(cs, start) - start, min(ce, end) - start
        if hi > lo:
            mask[lo:hi] = b"\x01" * (hi - lo)
    # The punctuation that separates stretches is marked too: a run of unmarked characters is then
    # exactly an uncovered run inside one punctuation-free segment, found in one pass over the mask.
    for m in _SEPARATORS.finditer(text, start, end):
        mask[m.start() - start : m.end() - start] = b"\x01" * (m.end() - m.start())
    stop = _stopwords()
    out = []
    for run in _UNCOVERED.finditer(mask):
        ps, pe = start + run.start(), start + run.end()
        chunk = text[ps:pe]
        if not stop.issuperset(map(str.lower, _CONTENT.findall(chunk))):  # a content word that is no stopword
            lead = len(chunk) - len(chunk.lstrip())
            a, b = ps + lead, ps + len(chunk.rstrip())
            out.append({"text": text[a:b], "span": [a, b], "reason": "uncovered"})
    return out
