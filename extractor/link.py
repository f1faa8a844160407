"""Linking the parts of one criterion: thresholds to what they measure, doses to drugs, windows to
what they qualify, and the and/or tree over the parts.

Pure functions over plain data with offsets relative to the criterion's text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Sequence
from functools import cache, lru_cache
from typing import Any

from .rules import load_json, word_list, word_set
from .trie import start_guard, trie_pattern
from .units import DURATION_UCUM, registry

SUBJECT_TYPES = {"Measurement", "Person", "Observation", "Drug", "Condition", "Procedure"}
JOINABLE_TYPES = {"Measurement", "Drug", "Condition", "Procedure"}
#: what a limit written before its measure may bound ("at least 10% plasmacytosis"; never a person)
_VALUE_FIRST_TYPES = frozenset({"Measurement", "Observation", "Condition", "Procedure", "Drug"})
_TEMPERATURE_UCUM = frozenset({"Cel", "[degF]"})
#: what a time threshold after "for" measures how long of ("pain for at least 3 months"): the measure
#: is then "duration"
DURATION_SUBJECT_TYPES = {"Condition", "Procedure", "Drug", "Observation"}
LEAF_TYPES = {
    "Condition",
    "Drug",
    "Procedure",
    "Measurement",
    "Observation",
    "Pregnancy_considerations",
    "Informed_consent",
    "Device",
}
#: what a criterion's logic tree holds as leaves: a qualifier too ("Histologically confirmed advanced
#: malignancy" is all of them), as the golds have it (3,227 of 3,770 Qualifier mentions in criteria
#: with a tree are leaves), though it times nothing and names no concept
LOGIC_LEAF_TYPES = frozenset(LEAF_TYPES | {"Qualifier"})


@lru_cache(maxsize=1)
def _words() -> dict[str, Any]:
    w = dict(load_json("words.json"))
    w["_filler"] = re.compile(w["subject_filler"], re.IGNORECASE)
    w["_duration_filler"] = re.compile(w["duration_filler"], re.IGNORECASE)
    heads = "|".join(map(re.escape, word_list("relation_heads")))
    w["_relation_object"] = re.compile(
        rf"^(?:{heads})\s+(?:to|for|against|towards?)\s+(?:(?:any|all)\s+(?:of\s+)?)?(?:the\s+|their\s+|its\s+)?$",
        re.IGNORECASE,
    )
    w["_exception"] = re.compile(rf"[\s,;(]*(?:{trie_pattern(sorted(word_list('exception_leads')))})\b", re.IGNORECASE)
    w["partners"] = frozenset(word_list("partner_words"))
    w["_or"] = re.compile(w["connector_or"], re.IGNORECASE)
    w["_and"] = re.compile(w["connector_and"], re.IGNORECASE)
    # joined analytes ("AST/ALT", "Cr or BUN", "AST, ALT and ALP"): a real connector, not mere adjacency
    w["_connector"] = re.compile(
        r"^\s*(?:,\s*(?:and|or|but)?|/|;|&|\b(?:or|and|and/or|nor|but)\b|\band\s*\(or\))\s*$", re.IGNORECASE
    )
    # qualitative_results runs for every criterion: its alternation is built and compiled once
    alternation = "|".join(re.escape(k) for k in sorted(w["qualitative_results"], key=len, reverse=True))
    guard = start_guard(w["qualitative_results"])  # see trie.start_guard
    w["_qualitative"] = re.compile(rf"{guard}(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)
    # _list_start's words that leave a phrase a mere list item
    w["_list_item_words"] = frozenset(w["stopwords"]) | {"history", "or", "and"}
    # route_of tries every route word around every drug mention: compiled once, in the file's order
    w["_routes"] = tuple((re.compile(rf"(?<!\w){re.escape(word)}(?!\w)"), route) for word, route in w["routes"].items())
    return w


# the specimen word a joined analyte's name may start with, outside its mention ("and serum SGPT")
_SPECIMEN_LAST = re.compile(r"(?<=\s)(?:serum|plasma|blood|urine|urinary)\s*$", re.IGNORECASE)


# a word that may stand between a bracketed aside and its threshold ("ANC (neutrophils + bands) of >= 1,500",
# "IIEF-EF (1-30) domain score of <17")
# ("Numeric rating scale (NRS) score of radiating pain 5 or more": the score of what the scale rates)
_AFTER_ASIDE = re.compile(
    # ("Alcohol Use Disorders Identification Test (AUDIT) (score of 8 or higher)": the score in a bracket of its own)
    r"\)\s*(?:\(\s*(?=scores?\b))?(?:(?:domain\s+)?scores?(?:\s+of(?:\s+[a-z][\w-]*){1,3})?\s*)?(?:(?:of|is|are|was|were|at|than|:)\s*)?$",
    re.IGNORECASE,
)


def _skip_parenthetical_back(text: str, pos: int) -> int:
    """If text[:pos] ends with a bracketed aside (and at most a linking word: "of", "is", ...), the
    position of its opening bracket."""
    j = pos
    while j > 0 and text[j - 1].isspace():
        j -= 1
    m = _AFTER_ASIDE.search(text, max(0, j - 48), j)
    if m is not None:
        j = m.start() + 1
    if j > 0 and text[j - 1] in ")]":
        depth = 0
        for k in range(j - 1, -1, -1):
            if text[k] in ")]":
                depth += 1
            elif text[k] in "([":
                depth -= 1
                if depth == 0:
                    return k
    return pos


_SCORE_WORD = re.compile(r"\bscores?\b", re.IGNORECASE)


_BRACKET_CLOSE_SCORE = re.compile(r"[)\]]\s*(?:domain\s+)?scores?\b", re.IGNORECASE)


def _whole_bracket(text: str, e: dict[str, Any]) -> bool:
    """Whether mention ``e`` is all a bracket before a score word holds ("(MMSE) score of")."""
    return 0 < e["start"] and text[e["start"] - 1] in "([" and bool(_BRACKET_CLOSE_SCORE.match(text, e["end"]))


def _short_form_alone(
    text: str, e: dict[str, Any], entities: list[dict[str, Any]], candidates: list[int], start: int
) -> bool:
    """Whether mention ``e`` is all of a bracket right before the threshold at ``start`` and no mention
    ends at the bracket ("forced expiratory volume in 1 second (FEV1) < 65%" where only the short form
    is a mention): the measure's short form, its long form unnamed."""
    if not (0 < e["start"] and text[e["start"] - 1] in "([" and _BRACKET_CLOSE_AT.fullmatch(text, e["end"], start)):
        return False
    return not any(
        entities[j]["end"] < e["start"] and not text[entities[j]["end"] : e["start"] - 1].strip() for j in candidates
    )


_BRACKET_CLOSE_AT = re.compile(r"[)\]]\s{0,3}")
_POSITION_BEFORE = re.compile(
    r"\s+in\s+(?:the\s+)?(?:supine|sitting|seated|standing|(?:semi-?)?decubitus|recumbent|lying)"
    r"(?:\s*\([\w -]{1,20}\))?\s+position\s*$",
    re.IGNORECASE,
)
_PERSON_UCUM = frozenset({None, *DURATION_UCUM, "kg", "g", "[lb_av]", "kg/m2", "cm", "m", "[in_i]", "[ft_i]"})


_DIPSTICK_GRADE = re.compile(r"[0-4]\+")
_BLANKS = re.compile(r"[ \t]*")


_AGE_UCUM = frozenset({None, "a", "mo", "wk", "d"})
_AGE_WORD = re.compile(r"age[ds]?", re.IGNORECASE)
_OF_AGE = re.compile(r"\s{1,20}of\s{1,20}", re.IGNORECASE)


def _age_word_of(text: str, entities: list[dict[str, Any]], starts: list[int], t: dict[str, Any]) -> list[int]:
    """[the "age" mention that a duration is "of", right after it ("patients < 18 years of\r\n age",
    "subjects aged between 18 and 65 years of age"), or []."""
    for i in range(bisect.bisect_left(starts, t["start"]), len(entities)):
        e = entities[i]
        if e["start"] > t["end"] + 25:
            break
        if (
            e["type"] == "Person"
            and _AGE_WORD.fullmatch(text, e["start"], e["end"])
            and e["start"] >= t["end"]
            and _OF_AGE.fullmatch(text, t["end"], e["start"])
        ):
            return [i]
    return []


def _age_word_inside(text: str, entities: list[dict[str, Any]], starts: list[int], t: dict[str, Any]) -> list[int]:
    """[the "age" mention inside a threshold's own words ("18 years of age or older", "under the age of
    15", "between the ages of 18 and 65")], or []: the golds' subject (29 of 36 where the age is
    written inside)."""
    for i in range(bisect.bisect_left(starts, t["start"]), len(entities)):
        e = entities[i]
        if e["start"] >= t["end"]:
            break
        if e["type"] == "Person" and e["end"] <= t["end"] and _AGE_WORD.fullmatch(text, e["start"], e["end"]):
            return [i]
    return []


_MEMBERS_BRACKET_BEFORE = re.compile(
    r"(?<=\S)\s{0,2}\((?P<inner>[^()]{2,60})\)\s{0,2}(?:(?:levels?|values?|concentrations?)\s{1,3})?$", re.IGNORECASE
)
_MEMBER_JOIN = re.compile(r"\s*(?:,|/|\band\b|\bor\b)\s*", re.IGNORECASE)


def _bracketed_members_before(text: str, entities: list[dict[str, Any]], starts: list[int], start: int) -> list[int]:
    """The analytes a bracket right before a threshold lists after a group's name ("Liver enzyme (AST,
    ALT) level exceeds 1.5 times ...", "Transaminases (AST/ALT) > 2.5 x ULN"): each of them is
    limited, not the group. Empty where the bracket holds anything else."""
    m = _MEMBERS_BRACKET_BEFORE.search(text, max(0, start - 90), start)
    if m is None:
        return []
    lo, hi = m.start("inner"), m.end("inner")
    inside = [
        i
        for i in range(bisect.bisect_left(starts, lo), bisect.bisect_left(starts, hi))
        if entities[i]["end"] <= hi and entities[i]["type"] == "Measurement"
    ]
    before = [i for i in range(bisect.bisect_left(starts, lo)) if entities[i]["end"] <= m.start() + 1]
    if len(inside) < 2 or not before or entities[before[-1]]["type"] != "Measurement":
        return []
    if text[entities[before[-1]]["end"] : lo - 1].strip():
        return []  # the group's name is written right before the bracket
    # (the bracket holds the analytes and their joining words only)
    rest = _MEMBER_JOIN.sub(
        "", "".join(text[a:b] for a, b in _gaps(lo, hi, [(entities[i]["start"], entities[i]["end"]) for i in inside]))
    )
    return inside if not rest.strip() else []


def _gaps(lo: int, hi: int, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The stretches of [lo, hi) no span covers (spans sorted, not overlapping)."""
    out, pos = [], lo
    for a, b in spans:
        if a > pos:
            out.append((pos, a))
        pos = max(pos, b)
    if pos < hi:
        out.append((pos, hi))
    return out


def link_subjects(text: str, entities: list[dict[str, Any]], thresholds: list[dict[str, Any]]) -> list[list[int]]:
    """For each threshold, the indices of the entities it constrains (one per joined analyte)."""
    words = _words()
    out: list[list[int]] = []
    respective_groups: dict[int, list[int]] = {}  # threshold index -> the measures its limits pair with
    starts = [e["start"] for e in entities]
    for ti, t in enumerate(thresholds):
        if t.get("equivalent_of") is not None:
            out.append(list(out[t["equivalent_of"]]))
            continue
        if t.get("rule") in ("tnm-category", "gleason-pattern", "stage-range") or t.get("extra", {}).get(
            "measure_after"
        ):
            # the category names its own measure ("N1-3" is the tnm n category), and so do the words
            # after a percentage of blasts ("≥ 5% blasts in the bone marrow")
            out.append([])
            continue
        # (or what a count per volume counts, between its number and unit: "500 HIV-1 RNA copies/ml")
        extra = t.get("extra", {})
        inside = [t["start"] + k for k in extra.get("subject_span") or extra.get("analyte_span") or ()]
        between = (
            [
                i
                for i in range(bisect.bisect_left(starts, inside[0]), bisect.bisect_left(starts, inside[1]))
                if entities[i]["type"] in SUBJECT_TYPES and entities[i]["end"] <= inside[1]
            ]
            if inside
            else []
        )
        if between:
            # "7.0% ≤ HbA1c ≤ 10.5%": the measure is written between the bounds ("HbA1c 7% ≤ x ≤ 10%"
            # names none there, and is linked as any threshold)
            out.append(between)
            continue
        age = _age_word_of(text, entities, starts, t) if t.get("ucum") in _AGE_UCUM else []
        if not age and t.get("ucum") in _AGE_UCUM:
            age = _age_word_inside(text, entities, starts, t)
        if age:
            # "patients < 18 years of age": the age the number is, as the golds link it (89 of 93 where
            # "of age" follows), not the people named before it
            out.append(age)
            continue
        members = _bracketed_members_before(text, entities, starts, t["start"])
        if members:
            out.append(members)
            continue
        if t.get("rule") == "must-be-age":
            # "Participant must be 18 years of age": the age named right after the number
            of_age = _mention_right_after(text, entities, starts, t["end"], "Person")
            if of_age:
                out.append(of_age)
                continue
        if isinstance(t.get("value"), str) and _DIPSTICK_GRADE.fullmatch(t["value"]):
            # "less than or equal to 2+ proteinuria": a dipstick grade written before the finding it grades
            blanks = _BLANKS.match(text, t["end"])
            next_word = blanks.end() if blanks else t["end"]
            right_after = _mention_starting_at(entities, starts, next_word, ("Measurement", "Condition"))
            if right_after:
                out.append(right_after)
                continue
        group: list[int] = []
        # "QTc interval prolongation (male > 450 ms; female > 470 ms)": the people a limit is for,
        # written right before it, stand between it and what it measures
        sex = (
            _SEX_RIGHT_BEFORE.search(text, max(0, t["start"] - 20), t["start"])
            if t.get("ucum") not in _PERSON_UCUM
            else None
        )
        pos = sex.start() if sex else t["start"]
        # "Systolic pressure in decubitus (semi-decubitus) position < 90": the body position a pressure
        # is taken in stands between it and its limit (and names nothing it measures)
        posture = _POSITION_BEFORE.search(text, max(0, pos - 60), pos)
        if posture:
            pos = posture.start()
        # entities are sorted by start; only the last few before the threshold can be its subject
        upto = bisect.bisect_right(starts, t["start"])
        candidates = [
            i
            for i in range(max(0, upto - 12), upto)
            # "NYHA class" before "class II-IV": a subject may share the threshold's leading word
            if entities[i]["type"] in SUBJECT_TYPES
            and entities[i]["start"] < t["start"]
            and not (posture and entities[i]["start"] >= posture.start())
            and entities[i]["end"] <= t["end"]
            and entities[i].get("normalized") not in words["context_only_normalized"]  # "History of >1 fall"
            # a partner's months are how long the partnership or a pregnancy lasted ("a sexual partner of
            # at least 6 months", "partner is more than 3 months pregnant"), not the partner's age
            and not (
                entities[i]["type"] == "Person"
                and text[entities[i]["start"] : entities[i]["end"]].lower() in words["partners"]
            )
            # a person is measured in years (an age), never in drinks a day ("For women: more than 3
            # drinks in a single day"), nor by a score ("Sexual Health Inventory-Male (SHI-M) score of 21")
            and not (
                entities[i]["type"] == "Person"
                and (t.get("ucum") not in _PERSON_UCUM or _SCORE_WORD.search(text, entities[i]["end"], t["start"]))
            )
        ]
        aside = _skip_parenthetical_back(text, t["start"])
        for i in reversed(candidates):
            e = entities[i]
            if any(_nested(e, entities[j]) for j in candidates):
                continue  # "Doppler ultrasound ejection fraction ≥ 45%": the Measurement, not "ultrasound"
            if e["end"] > pos and not (pos == t["start"] and e["start"] < pos):
                continue
            if sex is not None and e["start"] >= sex.start():
                continue
            if (
                not group
                and aside != t["start"]
                and e["start"] > aside
                and not _whole_bracket(text, e)
                and not _short_form_alone(text, e, entities, candidates, t["start"])
            ):
                # a mention inside the bracketed aside right before the threshold (not one that is all
                # of it: "Mini-Mental State Exam (MMSE) score of 20 to 27" names the measure's short form)
                continue
            gap = text[min(e["end"], pos) : pos]
            if gap.startswith((")", "]")) and e["start"] > 0 and text[e["start"] - 1] in "([":
                gap = gap[1:]  # "Beck Depression Inventory-II (BDI) score of 10": the bracketed short form
            if not group:
                ok = (
                    bool(words["_filler"].match(gap))
                    or (
                        # "liver transaminases by more than two and a half times above the upper limits of
                        # normal": a level above a multiple of its limit (a change "by" an amount is no level)
                        t.get("reference") in ("ULN", "LLN") and bool(_BY_GAP.fullmatch(gap))
                    )
                    or (
                        # "erectile dysfunction for more than 6 months": how long a state has lasted
                        t.get("ucum") in DURATION_UCUM
                        and e["type"] in DURATION_SUBJECT_TYPES
                        # (past a short form in brackets: "erectile dysfunction (ED), duration at least 0.5 years")
                        and bool(words["_duration_filler"].match(_ASIDE.sub(" ", gap, count=1)))
                    )
                )
                if not ok:
                    # "prednisone (or equivalent dose of glucocorticoid) ≥ 100 mg/d": look past the aside
                    back = _skip_parenthetical_back(text, pos)
                    # (after the aside at most a linking word: see _AFTER_ASIDE)
                    if back != pos and e["end"] <= back and words["_filler"].match(text[e["end"] : back]):
                        ok = True
            else:
                # joined analytes ("AST/ALT", "Cr or BUN") share a threshold; joined people ("male or
                # female ≥ 18 years") do not make two ages
                ok = (
                    (
                        # ("SGOT and serum SGPT": the specimen word is the next analyte's)
                        bool(words["_connector"].match(_SPECIMEN_LAST.sub("", gap)))
                        # (past the mention's own short form in brackets, which no rule knew, before "or"
                        # or "and": "Creatinine clearance (ACr) or glomerular filtration rate (TFG) ≥ 50
                        # ml/min/1.73 m2"; never past a bracket with a limit of its own, "folic acid
                        # deficiency (less than 0.9 ng/mL); vitamin B12 deficiency (less than 160 pg/mL)")
                        or bool(_SHORT_FORM_THEN_CONJUNCTION.fullmatch(gap))
                    )
                    and e["type"] == entities[group[0]]["type"]
                    and e["type"] in JOINABLE_TYPES
                    # ("Active infection or fever > 38.5°C": a temperature measures the fever written
                    # next to it, not the infection; "Pleural effusion or ascites > 1 liter" share one)
                    and not (e["type"] == "Condition" and t.get("ucum") in _TEMPERATURE_UCUM)
                )
            if not ok:
                break
            group.insert(0, i)
            pos = e["start"]
        if not group or (len(group) == 1 and entities[group[0]]["type"] in ("Procedure", "Device")):
            # "the QTc interval obtained from a 12 lead electrocardiogram examination is > 480 ms",
            # "LVEF measured by echocardiography < 50%": the measure, not the method named after it
            measured = _measured_before_method(text, entities, upto, t["start"])
            group = [measured] if measured is not None else group
        if t.get("ucum") and (
            not group
            or (
                len(group) == 1
                and entities[group[0]]["type"] == "Measurement"
                and registry().analyte(entities[group[0]].get("normalized")) is None
            )
        ):
            # "serum creatinine clearance according to Cockcroft-Gault formula(below) ≥50 mL/min",
            # "Hemoglobin measured at the local laboratory ≥ 9 g/dL": an analyte named before, in the
            # same clause, whose unit the threshold is in, over no mention or one that is no analyte
            analyte = _analyte_before(text, entities, upto, t)
            group = [analyte] if analyte is not None else group
        if not group and t.get("ucum"):
            # "Lesions ... at least 3 cm in diameter": the dimension named after a size
            lead = _IN_DIMENSION.match(text, t["end"])
            group = _mention_starting_at(entities, starts, lead.end(), ("Measurement",)) if lead else []
        if not group and is_dose_unit(t.get("ucum")):
            # "> 5 mg prednisone daily", "up to 2 g per day of acetaminophen": a dose before its drug
            group = _mention_right_after(text, entities, starts, t["end"], "Drug")
        if not group and change_before(text, t["start"]):
            # "PSA rise of >= 2 ng/mL": what rose; "a reduction of 30 mmHg or more in systolic blood
            # pressure": what fell, named after the threshold
            group = _changed_subject(text, entities, starts, t)
        changed = change_after(text, t["end"], t.get("ucum")) if not group else None
        if changed is not None:
            # "No more than 10% weight loss": what changed, named between the amount and its change noun
            # (the mention right before the noun: "10% tumor-related weight loss" is a loss of weight)
            what_end = changed[1] + len(text[changed[1] : changed[2]].rstrip())
            group = [
                i
                for i in range(bisect.bisect_left(starts, changed[1]), bisect.bisect_left(starts, what_end))
                if entities[i]["end"] == what_end and entities[i]["type"] in SUBJECT_TYPES
            ][-1:]
        if _OPEN_BRACKET_BEFORE.search(text, max(0, t["start"] - 4), t["start"]):
            # "Cognitive impairment (≥5 on the Short Portable Mental Status Questionnaire)": a bracketed
            # score measures the scale named after it, not what it defines
            # (where no mention names a scale there, only a measurement before stays: "AST (> 3 x ULN on
            # two occasions)", never what the score defines)
            lead = _ON_SCALE.match(text, t["end"])
            if lead:
                scale = _mention_starting_at(entities, starts, lead.end(), ("Measurement",))
                group = scale or [i for i in group if entities[i]["type"] == "Measurement"]
        if not group and (
            _SCORE_BEFORE.search(text, max(0, t["start"] - 20), t["start"]) or t.get("ucum") == "{score}"
        ):
            # "a score of 20 or more on the HAM-D", "a score of >= 3 (mildly ill) for CGI-SCH positive
            # symptoms", "Scoring at least 12 points on the Insomnia Severity Index": the scale, named
            # after the score
            lead = _SCALE_AFTER.match(text, t["end"])
            group = _mention_starting_at(entities, starts, lead.end(), ("Measurement",)) if lead else []
        word_gap = t.get("extra", {}).get("measure_word_gap") if not group else None
        if word_gap is not None:
            # "limit survival to less than 2 years", "PSA doubling time of >= 6 months": the mention
            # naming the life expectancy or the doubling time, if any
            group = [i for i in candidates if entities[i]["end"] == t["start"] - word_gap][-1:]
        dosed = (
            _DOSE_WORD_BEFORE.search(text, max(0, t["start"] - 40), t["start"])
            if not group and is_dose_unit(t.get("ucum"))
            else None
        )
        if dosed:
            # "Prior doxorubicin allowed provided cumulative dose is no greater than 300 mg/m^2": the dose
            # of the one drug named before it in the clause
            drugs = [
                i
                for i in range(upto)
                if entities[i]["type"] == "Drug"
                and entities[i]["end"] <= dosed.start()
                and not _CLAUSE_BREAK.search(text, entities[i]["end"], dosed.start())
            ]
            # ("retinoid class drugs, beta-carotene compounds, or Vitamin A in doses greater than 15,000 IU":
            # of several, the one the dose is written right after)
            right_before = [i for i in drugs if _IN_DOSES_GAP.fullmatch(text, entities[i]["end"], dosed.start())]
            group = (
                drugs
                if len({text[entities[i]["start"] : entities[i]["end"]].lower() for i in drugs}) == 1
                else right_before[-1:]
            )
        if not group and t.get("ucum") in DURATION_UCUM:
            # "at least a 3-month history of erectile dysfunction": how long what follows has lasted
            lead = _HISTORY_OF.match(text, t["end"])
            group = _mention_starting_at(entities, starts, lead.end(), DURATION_SUBJECT_TYPES) if lead else []
        only_grade = len(group) == 1 and _GRADE_WORD.fullmatch(
            text, entities[group[0]]["start"], entities[group[0]]["end"]
        )
        graded = (
            _GRADE_BEFORE.search(text, max(0, t["start"] - 24), t["start"])
            or _GRADE_WORD.search(text, t["start"], t["end"])
            or _GRADE_AFTER.match(text, t["end"])
        )
        # ("grade II or III Degree atrioventricular block": a grade that leads with its word grades the
        # condition after it, whatever comes before)
        leads = _GRADE_WORD.match(text, t["start"]) is not None and bool(
            _graded_after(text, entities, starts, t["end"])
        )
        if (not group or only_grade or leads) and graded:
            # "Grade 3 or above immune-related adverse events", "CTC ≥ 2 grade diarrhea", ">= Grade 2
            # bilateral peripheral neuropathy": a grade written before its condition ...
            # ... or after it: "infection (CTCAE 5.0 ≥ grade 2)", "proteinuria (CTCAE4.0-≥3)",
            # "adverse event > NCI-CTCAE Grade 2", "GvHD of grade 2 or higher"
            # (before the grade word where a mention is no more: "Peripheral neuropathy of CTCAE grade 2")
            before_index, before_end = (group[0], entities[group[0]]["start"]) if group else (upto, t["start"])
            group = (
                _graded_after(text, entities, starts, t["end"])
                or _graded_before(text, entities, before_index, before_end)
                or group
            )
        if (
            not group
            and t.get("ucum") not in DURATION_UCUM
            and t.get("ucum") not in words["unit_measures"]
            and not t.get("reference")
            and "measure" not in extra
        ):
            # "at least 10% plasmacytosis", "less than 70% of liver parenchyma", "< 500 mg of protein":
            # a limit with no measure before it bounds the one named right after it (not one whose unit
            # says what it measures, "> 30 Gy of radiation"; not one that opens
            # the next run-on item, capitalised or a label: "5 minute APGAR at least 7 Apnea of infancy:
            # ...", "Performance status: WHO 0-2 Life expectancy: ...")
            after = _mention_right_after(text, entities, starts, t["end"], _VALUE_FIRST_TYPES)
            group = [
                i
                for i in after
                if not _TITLE_WORD.match(text, entities[i]["start"])
                and not _LABEL_AFTER.match(text, entities[i]["end"])
            ]
        if not group and ti > 0:
            prev = thresholds[ti - 1]
            gap = text[prev["end"] : t["start"]]
            if out[ti - 1] and (
                # "> 170 millimeters of mercury (mm Hg) or < 90 mm Hg": the unit restated in brackets
                words["_connector"].match(_ASIDE.sub("", gap))
                # "≤ 2 x ULN (≤ 3 x ULN for patients with Gilbert's syndrome)": the bracket states
                # another limit for the same measure, in the same terms (as does "- or" before it)
                or ((_BRACKET_OPEN.match(gap) or _DASHED_OR.match(gap)) and _same_terms(prev, t))
                # "SGOT no greater than 150 IU (or no greater than 3 times normal)": a bracket that opens
                # with "or" states the same limit in other terms
                or (_BRACKET_OR.match(gap) and t.get("ucum") not in DURATION_UCUM)
                # "<= 2.5 x ULN; if liver metastases are present, then <= 5 x ULN": the limit for
                # some of the people, on the same measure
                or (_CONDITIONAL_GAP.match(gap) and len(gap) <= 120 and _same_terms(prev, t))
                # "QTcF for males >= 450 ms or for females >= 470 ms", "Hemoglobin ≥ 13 g/dL for men or
                # ≥ 12 g/dL for women": the limit for the other sex, on the same measure
                or (_PEOPLE_GAP.fullmatch(_ASIDE.sub(" ", gap)) and _same_terms(prev, t))
                # "platelet count decreased to less than 50% of baseline within 24 hours or less than
                # 100,000/mm3": another limit of the same measure, the same way, after "or"
                # (never a count of other things, "2 or more episodes of herpes", nor past another
                # mention, "creatinine > 2 mg/dl; = or > 5 white blood cells ... or = or > 2+")
                or (
                    _ALTERNATIVE_LIMIT_GAP.fullmatch(gap)
                    and prev.get("comparator") == t.get("comparator")
                    and t.get("ucum") not in DURATION_UCUM
                    and not t.get("count_of")
                    and not any(prev["end"] <= e["start"] < t["start"] for e in entities)
                )
            ):
                group = list(out[ti - 1])
        if (
            group
            and ti > 0
            and t.get("reference") in ("ULN", "LLN")
            and all(entities[i]["type"] == "Condition" for i in group)
        ):
            # a multiple of a limit of normal bounds a laboratory value, never a condition: "ALT > 3 x
            # ULN (liver metastasis >= 5 x ULN)", "if liver metastases are present, then <= 5 x ULN"
            # state the limit for the people with the condition, on the measure before
            prev = thresholds[ti - 1]
            if out[ti - 1] and _same_terms(prev, t) and t["start"] - prev["end"] <= 120:
                group = list(out[ti - 1])
        pressure = t.get("extra", {}).get("measure") if t.get("rule") == "pressure-pair" else None
        if pressure and group:
            # "SBP/DBP ... less than 90/50mmHg": each limit of the pair bounds its own pressure, named
            # in the group or joined right before its first member
            first = min(group)
            near = [
                i
                for i in range(max(0, first - 1), upto)
                if _names_pressure(text, entities[i], pressure) and entities[i]["end"] <= t["start"]
            ]
            group = [i for i in group if i in near] or near[-1:] or group
        respective = t.get("extra", {}).get("respective")
        if respective:
            # "SGPT and SGOT less than or equal to 147 and 168 U/L": the k-th limit bounds the k-th
            # measure named; the later limits pair with the first one's measures
            k, n = respective
            shared = group if k == 0 else respective_groups.get(ti - 1, [])
            if len(shared) == n:
                respective_groups[ti] = shared
                group = [shared[k]]
        out.append(group)
    # the two bounds of a range in two time units ("disease duration 6 months to 20 years") bound one
    # measure: a mention one of them reaches is the other's too (a measure no mention names, "Are 15
    # days to 2 years old", is shared at assembly)
    for ti in range(len(thresholds) - 1):
        if thresholds[ti]["rule"] == thresholds[ti + 1]["rule"] == "time-units-range" and (
            thresholds[ti]["end"] <= thresholds[ti + 1]["start"]
        ):
            if not out[ti]:
                out[ti] = list(out[ti + 1])
            elif not out[ti + 1]:
                out[ti + 1] = list(out[ti])
    return out


_PRESSURE_NAMES = {
    "systolic blood pressure": re.compile(r"systolic|\bSBP\b", re.IGNORECASE),
    "diastolic blood pressure": re.compile(r"diastolic|\bDBP\b", re.IGNORECASE),
}


def _names_pressure(text: str, e: dict[str, Any], pressure: str) -> bool:
    """Whether the mention names that one pressure ("SBP", "diastolic blood pressure")."""
    pattern = _PRESSURE_NAMES.get(pressure)
    name = f"{text[e['start'] : e['end']]} {e.get('normalized') or ''}"
    return pattern is not None and bool(pattern.search(name))


@cache
def _change_patterns() -> tuple[re.Pattern[str], dict[str, str]]:
    words = load_json("words.json")["change_words"]
    kinds = {w: kind for kind in ("increase", "decrease") for w in words[kind]}
    nouns = trie_pattern(sorted(kinds))
    # "increase in serum creatinine of", "PSA rise of", "a reduction of": the change noun, at most a
    # few words naming what changed, then "of"/"by" right before the threshold (or the noun right
    # before it: "weight loss 5% to 15% below ideal weight", "weight loss ≥ 10%")
    pattern = re.compile(
        rf"\b(?P<noun>{nouns})(?:e?s)?(?:(?:\s{{1,3}}(?:in|of)(?:\s{{1,3}}[^\s,;.()<>≤≥=\d]+){{1,4}}?)?\s{{1,3}}(?:of|by))?\s{{1,3}}$",
        re.IGNORECASE,
    )
    return pattern, kinds


def change_before(text: str, start: int) -> str | None:
    """Whether the threshold at ``start`` bounds a change of its measure, not its level: "increase"
    or "decrease" ("a decline in eGFR of more than 30%"), else None."""
    pattern, kinds = _change_patterns()
    m = pattern.search(text, max(0, start - 60), start)
    return kinds[m.group("noun").lower()] if m else None


# the units of an amount that changed, written before what changed and its change noun ("10% weight
# loss", "more than 5 kg weight gain")
_CHANGE_AFTER_UCUM = frozenset({"%", "kg", "[lb_av]"})


@cache
def _change_after_pattern() -> re.Pattern[str]:
    _, kinds = _change_patterns()
    nouns = trie_pattern(sorted(kinds))
    return re.compile(
        rf"\s{{1,3}}(?P<what>(?:[^\s,;.()<>≤≥=\d]+\s{{1,3}}){{1,3}}?)(?P<noun>{nouns})(?:e?s)?\b", re.IGNORECASE
    )


def change_after(text: str, end: int, ucum: str | None) -> tuple[str, int, int, int] | None:
    """Whether an amount in ``ucum`` ending at ``end`` bounds a change named after it ("No more than
    10% weight loss"): (increase or decrease, start and end of the words naming what changed, end of
    the change noun), else None."""
    if ucum not in _CHANGE_AFTER_UCUM:
        return None
    m = _change_after_pattern().match(text, end)
    if m is None:
        return None
    _, kinds = _change_patterns()
    return kinds[m.group("noun").lower()], m.start("what"), m.end("what"), m.end()


# "of 30 mmHg or more in systolic blood pressure", "of more than 10% of (actual) body weight"
_CHANGE_LEAD = re.compile(
    r"\s{1,3}(?:in|of)\s{1,3}(?:(?:the|their|his|her|actual|usual|initial|baseline)\s{1,3})?", re.IGNORECASE
)


def _changed_subject(text: str, entities: list[dict[str, Any]], starts: list[int], t: dict[str, Any]) -> list[int]:
    """The measure a change threshold bounds: a measurement right before its change noun ("PSA rise
    of"), or one after "in"/"of" right after the threshold ("of 30 mmHg or more in systolic blood
    pressure", "loss of more than 10% of body weight")."""
    pattern, _ = _change_patterns()
    m = pattern.search(text, max(0, t["start"] - 60), t["start"])
    if m is not None:
        before = bisect.bisect_left(starts, m.start()) - 1
        if (
            before >= 0
            and entities[before]["type"] == "Measurement"
            and not text[entities[before]["end"] : m.start()].strip()
        ):
            return [before]
    lead = _CHANGE_LEAD.match(text, t["end"])
    return _mention_starting_at(entities, starts, lead.end(), SUBJECT_TYPES) if lead else []


def _mention_starting_at(entities: list[dict[str, Any]], starts: list[int], pos: int, types: Any) -> list[int]:
    """[the index of the mention of one of ``types`` that starts at ``pos``], or []."""
    at = bisect.bisect_left(starts, pos)
    return [at] if at < len(entities) and starts[at] == pos and entities[at]["type"] in types else []


_METHOD_GAP = re.compile(
    r"\s{1,3}(?:(?:as\s+)?(?:obtained|measured|assessed|determined|calculated|estimated|evaluated)\s+)?"
    r"(?:from|by|on|using|via|per|of|in)\s+[^,;.()<>≤≥=]{1,60}?\s*(?:is|are|was|were|of)?\s*$",
    re.IGNORECASE,
)


def _measured_before_method(text: str, entities: list[dict[str, Any]], upto: int, start: int) -> int | None:
    """A measurement a threshold bounds across the method it is measured by (at most 80 characters
    back): the last Measurement mention followed by "obtained from", "measured by", "by", "on", "of"
    ("ejection fraction of doppler echocardiography ≥ 50%") ..."""
    for i in range(upto - 1, max(-1, upto - 8), -1):
        e = entities[i]
        if start - e["end"] > 80:
            return None
        if e["type"] == "Measurement" and e["end"] <= start:
            return i if _METHOD_GAP.match(text[e["end"] : start]) else None
    return None


# what ends the clause a threshold's analyte is named in: a clause mark, another number or comparator
# (or a change of the level, not the level: "Hemoglobin decreased by more than 2.0 g/dL", "HbA1C change
# >0.9 %", "weight loss in excess of 10 pounds")
_ANALYTE_CLAUSE_END = re.compile(
    r"[;.:]\s|[,]\s+(?:and|or)\b|\d|[<>≤≥=]|\b(?:and|or)\b"
    r"|\b(?:chang|increas|decreas|reduc|ris|drop|declin|los|gain|fall|fell|improv|worsen)\w*",
    re.IGNORECASE,
)


def _analyte_before(text: str, entities: list[dict[str, Any]], upto: int, t: dict[str, Any]) -> int | None:
    """The last Measurement mention before the threshold, in its clause (at most 80 characters back),
    that names an analyte whose canonical unit the threshold's unit converts to."""
    reg = registry()
    for i in range(upto - 1, max(-1, upto - 8), -1):
        e = entities[i]
        if e["end"] > t["start"]:
            continue
        if t["start"] - e["end"] > 80 or _ANALYTE_CLAUSE_END.search(text, e["end"], t["start"]):
            return None
        if e["type"] == "Measurement" and reg.canonical(1.0, t["ucum"], e.get("normalized")) is not None:
            return i
    return None


def _nested(inner: dict[str, Any], outer: dict[str, Any]) -> bool:
    """Whether ``inner`` lies inside the longer mention ``outer``."""
    return (
        outer["start"] <= inner["start"]
        and inner["end"] <= outer["end"]
        and outer["end"] - outer["start"] > inner["end"] - inner["start"]
    )


_ASIDE = re.compile(r"\s*\([^()]{0,40}\)\s*")
_SHORT_FORM_THEN_CONJUNCTION = re.compile(r"\s*\(\s*[A-Za-z][\w-]{0,11}\s*\)\s*(?:and/or|or|and|/)\s*", re.IGNORECASE)
# ("at least 750/mm3 (between 300-750/mm3, if due to ...)": a range in the bracket too)
_BRACKET_OPEN = re.compile(r"^\s*[(\[]\s*(?:(?:between|from|or)\s+)?$", re.IGNORECASE)
# between two limits of one measure: a few words that are no other limit, then "or" ("less than 50% of
# baseline within 24 hours or less than 100,000/mm3")
_ALTERNATIVE_LIMIT_GAP = re.compile(r"[^;.()<>≤≥=]{0,60}?\s(?:or|and/or)\s*", re.IGNORECASE)
# the people a limit is for, right before it ("(male > 450 ms", "for females >= 470 msec")
_SEX_RIGHT_BEFORE = re.compile(
    r"(?:\b(?:for|in)\s{1,3})?\b(?:males?|females?|men|women|boys|girls)\s{0,2}[:=]?\s{0,2}$", re.IGNORECASE
)
# "=< 3 x ULN - or =< 5 x ULN if related to leukemic involvement": an alternative set off by a dash
_BRACKET_OR = re.compile(r"^\s*[(\[]\s*or\s+$", re.IGNORECASE)
_DASHED_OR = re.compile(r"^\s*[-–—]{1,2}\s*(?:or|and/or)\s*$", re.IGNORECASE)


def _same_terms(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two thresholds stated the same way: multiples of one reference limit, or one unit."""
    if a.get("reference") or b.get("reference"):
        return a.get("reference") == b.get("reference")
    return a.get("ucum") is not None and a.get("ucum") == b.get("ucum")


def _graded_after(text: str, entities: list[dict[str, Any]], starts: list[int], end: int) -> list[int]:
    """[the condition a grade ending at ``end`` is written before], or []."""
    for i in range(bisect.bisect_left(starts, end), len(entities)):
        e = entities[i]
        if e["start"] - end > 60 or not _GRADE_TO_CONDITION.fullmatch(text, end, e["start"]):
            return []
        if e["type"] == "Condition":
            return [i]
    return []


def _graded_before(text: str, entities: list[dict[str, Any]], upto: int, start: int) -> list[int]:
    """[the condition (or measured finding, "proteinuria") a grade starting at ``start`` is written
    after, one of the few mentions before index ``upto``], or []."""
    for i in range(upto - 1, max(-1, upto - 4), -1):
        e = entities[i]
        if e["end"] > start:
            continue
        if e["type"] in ("Condition", "Measurement") and start - e["end"] <= 40:
            return [i] if _CONDITION_TO_GRADE.fullmatch(text, e["end"], start) else []
        return []
    return []


def _mention_right_after(
    text: str, entities: list[dict[str, Any]], starts: list[int], end: int, types: str | frozenset[str]
) -> list[int]:
    """[the index of the mention of ``types`` (one type or a set) that follows ``end`` with at most
    "of (the)" between], or []: what a threshold written before its subject measures."""
    after = bisect.bisect_left(starts, end)
    if (
        after < len(entities)
        and (entities[after]["type"] == types if isinstance(types, str) else entities[after]["type"] in types)
        and _RIGHT_AFTER.fullmatch(text, end, entities[after]["start"])
    ):
        return [after]
    return []


# a dose is a mass or a number of international units, alone or per day, week or cycle, per kg or per m2,
# or an infusion rate per kg (dimensions of resources/units.json)
DOSE_DIMENSIONS = frozenset(
    {
        "mass",
        "dose_rate",
        "dose_rate_week",
        "dose_per_mass",
        "dose_rate_per_mass",
        "dose_rate_per_mass_week",
        "dose_per_bsa",
        "dose_rate_per_bsa",
        "dose_rate_per_bsa_week",
        "dose_per_bsa_cycle",
        "dose_iu",
        "dose_iu_rate",
        "dose_iu_per_mass",
        "dose_iu_rate_per_mass",
        "dose_iu_rate_per_mass_h",
        "infusion_rate_per_mass",
    }
)
_LABEL_AFTER = re.compile(r"(?:[^\S\r\n]+[\w-]+){0,3}\s{0,2}:")
_TITLE_WORD = re.compile(r"[A-Z][a-z]")
_RIGHT_AFTER = re.compile(r"\s{0,3}(?:of\s+)?(?:the\s+)?", re.IGNORECASE)
_SEXES = r"(?:the\s+)?(?:males?|females?|men|women|boys|girls)"
# (or "; female" after "(male > 450 ms": the other sex named right before its limit)
_PEOPLE_GAP = re.compile(
    rf"\s*(?:(?:for|in)\s+{_SEXES}\s*)?(?:[,;]?\s*(?:or|and|and/or)\s+(?:(?:for|in)\s+{_SEXES}\s*)?"
    rf"|[,;]\s*{_SEXES}\s*[:=]?\s*)",
    re.IGNORECASE,
)
_CONDITIONAL_GAP = re.compile(
    r"\s*[;,]?\s*(?:if|when|in\s+case\s+of|(?:for|in)\s+(?:patients|subjects|participants)\s+with)\b", re.IGNORECASE
)
_HISTORY_OF = re.compile(
    r"\s{1,3}(?:cumulative\s+|documented\s+)?(?:history|duration|diagnosis)\s+of\s+(?:the\s+)?", re.IGNORECASE
)
_SCORE_BEFORE = re.compile(r"\b(?:scores?|scored|scoring)\s{1,3}(?:of\s{1,3})?$", re.IGNORECASE)
# "cumulative dose is no greater than", "total dose of": the dose a threshold limits, its drug named
# earlier in the clause
_DOSE_WORD_BEFORE = re.compile(
    r"\b(?:(?:total|cumulative|daily|weekly|maximum|lifetime)\s+)*(?:doses?|dosages?)\s+"
    r"(?:(?:is|was|of|must\s+be|should\s+be|not\s+exceeding|exceeding)\s+)?$",
    re.IGNORECASE,
)
_BY_GAP = re.compile(r"\s+by\s+", re.IGNORECASE)
_IN_DOSES_GAP = re.compile(r"\s+(?:in|at)\s+", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[;.]\s|\s[-–]\s|\n\s*\n|\b(?:or|and)\s+(?:no|not)\b", re.IGNORECASE)
_OPEN_BRACKET_BEFORE = re.compile(r"[(\[]\s{0,3}$")
_ON_SCALE = re.compile(r"\s{0,3}on\s{1,3}(?:the\s{1,3})?", re.IGNORECASE)
# ("Score 12 or higher on the pre-operative International Index of Erectile Function")
_SCALE_AFTER = re.compile(
    r"\s{0,3}(?:\([^()]{0,30}\)\s{0,3})?(?:on|for|in)\s{1,3}(?:the\s{1,3})?"
    r"(?:(?:pre-?operative|post-?operative|baseline|screening)\s{1,3})?",
    re.IGNORECASE,
)
# a grading system: "CTCAE", "NCI-CTCAE v4.0", "CTC", "CTCAE4.0"
_GRADING = r"(?:NCI[\s-]*)?CTC(?:AE)?(?:\s*v(?:ersion)?\.?)?(?:\s*\d{1,2}(?:\.\d{1,2})*)?"
_GRADE_BEFORE = re.compile(rf"(?:\b(?:{_GRADING}\s+)?grade|\b{_GRADING}\s*[-:]?)\s{{0,3}}$", re.IGNORECASE)
_GRADE_AFTER = re.compile(r"\s{0,3}grade\b", re.IGNORECASE)
# a mention that is the word "grade" or a grading system alone names no measured thing
_GRADE_WORD = re.compile(rf"(?:{_GRADING}\s+)?grade|{_GRADING}", re.IGNORECASE)
# between a grade and the condition after it: the word "grade", "of (the)", up to two other words
# in lower case or short forms ("≥ Grade 2 bilateral peripheral neuropathy", "Grade 2 or higher AZT
# toxicity"; "grade 1 or greater National Cancer Institute ..." names no condition)
_GRADE_TO_CONDITION = re.compile(
    r"\s{0,3}(?:[Gg]rade\s+)?(?:(?:of|the|an?|for)\s+)*(?:(?:[a-z]|[A-Z]{2,})[\w-]*\s+){0,2}"
)
# between a condition and the grade after it: an aside, the grading system, comparator words
_CONDITION_TO_GRADE = re.compile(
    rf"\s{{0,3}}(?:\([^()]{{1,20}}\)\s{{0,3}})?(?:[(\-:,<>≤≥=\s]|\b(?:grade|of|at|to|not|recovered|resolved|returned|"
    rf"greater|less|more|higher|lower|than|above|below|{_GRADING}))*",
    re.IGNORECASE,
)


_SPACE_OF = re.compile(r"\s{0,3}(?:of\s{1,3})?")
# between a size and the dimension it is of ("at least 3 cm in diameter", "10 mm in longest diameter")
_IN_DIMENSION = re.compile(
    r"\s{0,3}in\s{1,3}(?:the\s{1,3})?(?=(?:(?:longest|largest|greatest|maximum|maximal)\s{1,3})?diameter)",
    re.IGNORECASE,
)


def is_dose_unit(ucum: str | None) -> bool:
    """A unit a dose is written in (a mass, or international units, alone or per day, kg or m2)."""
    unit = registry().by_ucum.get(ucum) if ucum else None
    return unit is not None and unit.dimension in DOSE_DIMENSIONS


@lru_cache(maxsize=1)
def _plain_dose_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    number, unit = r"(?P<num>\d{1,6}(?:\.\d{1,4})?)", rf"(?P<unit>{registry().pattern.pattern})"
    # "tadalafil 5 mg", "Retrovir at 600 mg/day", "fluoxetine at a dose of 60 mg", "loading dose of 2 mg/kg"
    lead = _words()["dose_lead"]
    # (past a bracketed short form: "zidovudine (AZT) at 500 mg/day")
    after = re.compile(
        rf"\s{{0,3}}(?:\([^()\d]{{1,20}}\)\s{{0,3}})?(?:{lead}\s{{0,3}})?(?:at\s{{1,3}})?[(\[]?\s{{0,3}}{number}\s{{0,3}}{unit}",
        re.IGNORECASE,
    )
    before = re.compile(
        rf"(?<![\d.,/])(?<![<>=≤≥]\s)(?<![<>=≤≥]){number}\s{{0,3}}{unit}\s{{1,3}}(?:of\s+)?$", re.IGNORECASE
    )
    leading = re.compile(rf"{number}\s{{0,3}}{unit}\s{{1,3}}(?:of\s+)?(?=[^\W\d])", re.IGNORECASE)
    return after, before, leading


def plain_dose(
    text: str, entity: dict[str, Any], taken: list[tuple[int, int]], drugs: Sequence[tuple[int, int]] = ()
) -> dict[str, Any] | None:
    """A dose written right next to its drug without a comparator ("tadalafil 5 mg", "aspirin (325
    mg/day)", "Retrovir at 600 mg/day", "foscarnet dose of 90 mg/kg", "100 mg sildenafil", "0.8mg
    Flomax"): comparator "=", offsets relative to ``text``.
    None where the number belongs to a threshold (``taken``) or the unit is no dose. A dose after
    the drug that another drug mention (``drugs``: their spans) holds or follows is that drug's
    ("corticosteroids (1 gram methylprednisolone or ...)"), and a mention that opens with its dose
    ("1 gram methylprednisolone") has it."""
    after, before, leading = _plain_dose_patterns()
    m = after.match(text, entity["end"])
    if m is not None:
        following = _SPACE_OF.match(text, m.end())
        next_start = following.end() if following else m.end()
        if any(s <= m.start("num") < e or s == next_start for s, e in drugs):
            m = None
    if m is None:
        m = leading.match(text, entity["start"], entity["end"])
    if m is None:
        m = before.search(text, max(0, entity["start"] - 30), entity["start"])
    if m is None or any(a < m.end("unit") and m.start("num") < b for a, b in taken):
        return None
    reg = registry()
    ucum = reg.to_ucum(m.group("unit"))
    if not is_dose_unit(ucum):
        return None
    value = float(m.group("num"))
    return {
        "comparator": "=",
        "value": int(value) if value.is_integer() else value,
        "unit": m.group("unit"),
        "ucum": ucum,
        "start": m.start("num"),
        "end": m.end("unit"),
    }


# (nor across a new clause: "Are HIV-positive and have an HIV RNA count below ...")
_CD_MARKER_BEFORE = re.compile(r"\bCD\d{1,3}[a-z]?[ \t-]*$", re.IGNORECASE)
_CELLS_AFTER = re.compile(r"[ \t]+(?:T[- ]?)?(?:lymphocytes?|cells?|T-cells?|blasts?)\b", re.IGNORECASE)
_FOR_AFTER = re.compile(r"\s+for\b", re.IGNORECASE)
_WRAPPED_GAP = re.compile(r"[ \t]*\r?\n[ \t]*[a-z]")
_NO_RESULT_GAP = re.compile(
    r"[,;.\n]|\b(?:by|through|via|using|with|per|for)\b|\band\s+(?:have|has|had|is|are|was|were|be|must|should)\b",
    re.IGNORECASE,
)
# what names a test whose result a qualitative word states ("negative pregnancy test", "Normal EKG",
# "CXR normal")
_TEST_WORDS = re.compile(
    # (a test, testing; never testosterone, testicular, "intestinal")
    # (an imaging study's result too: "a negative bone scan", "normal mammogram", "negative chest x-ray")
    r"\btest(?!oster|ic|is\b|es\b)|function|result|screen|biops|cultur|antigen|antibod|serolog|assay|urinalys|\b(?:RNA|DNA|PCR|EKG|ECG|CXR|electrocardiogra|echocardiogra|chest\s+(?:x-?rays?|radiographs?))"
    r"|\bscans?\b|mammogra|scintigra|guaiac|occult\s+blood|\bsmears?\b|\bblots?\b|\bELISA\b"
    # (and an exam or imaging study: "Abnormal EEG, CT scan, or MRI", "normal physical exam", "abnormal
    # electroencephalogram", "Abnormal parotid sialography")
    r"|\b(?:EEG|MRI|CT|CBC)\b|electroencephalogra|sialogra|\bexam(?:ination)?s?\b|x-?rays?\b|radiogra"
    r"|ultraso(?:und|nogra)|angiogra|tympanometr",
    re.IGNORECASE,
)
# "normal" that names a range or limit, no result ("creatinine normal range 0.5-1.2")
_LIMIT_NOUN_AFTER = re.compile(r"\s*(?:ranges?|limits?|values?|levels?|upper|lower)\b", re.IGNORECASE)
# "low normal serum testosterone", "high-normal blood pressure": a part of the normal range, no result
_NORMAL_QUALIFIED = re.compile(r"\b(?:low|high|upper|lower|borderline)[\s-]+$", re.IGNORECASE)
_BE_ONLY = re.compile(r"\s*(?:(?:is|are|was|were|(?:should|must)\s+be)\s+)?", re.IGNORECASE)


def _measurement_right_before(text: str, entities: list[dict[str, Any]], start: int) -> int | None:
    """ "total bilirubin within normal range", "Creatinine WNL", "PT and aPTT normal Liver biopsy normal"
    (the NCI's PDQ listings): the laboratory value right before a "normal", before any test after it."""
    for i, e in enumerate(entities):
        if e["type"] == "Measurement" and e["end"] <= start and _BE_ONLY.fullmatch(text, e["end"], start):
            return i
    return None


def _own_result_between(
    text: str, entities: list[dict[str, Any]], start: int, end: int, results: re.Pattern[str]
) -> bool:
    """Whether a mention and then a result word of its own lie between ``start`` and ``end``."""
    later = results.search(text, start, end)
    return later is not None and any(
        start <= e["start"] and e["end"] <= later.start() for e in entities if e["type"] in _RESULT_SUBJECT_TYPES
    )


_RESULT_SUBJECT_TYPES = frozenset({"Measurement", "Condition", "Observation", "Procedure", "Drug", "Device"})


def _mention_ends_at(entities: list[dict[str, Any]], text: str, pos: int) -> bool:
    """Whether a mention ends right before ``pos`` (spaces or a hyphen between: "HIV-positive")."""
    return any(
        e["end"] <= pos and not text[e["end"] : pos].strip(" \t-")
        for e in entities
        if e["type"] in _RESULT_SUBJECT_TYPES
    )


# the results a test for a marker gives, read as "positive" / "negative" are ("HBsAg reactive",
# "undetectable plasma HIV-1 RNA")
_SIGNED_RESULTS = frozenset({"positive", "negative", "reactive", "nonreactive", "detectable", "undetectable"})


def qualitative_results(
    text: str, entities: list[dict[str, Any]], thresholds: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """'negative ... pregnancy test', 'X is basically normal', 'abnormal laboratory tests'.

    Never inside a threshold ("upper limit of normal") and never across a line break.
    """
    words = _words()
    inside = [(t["start"], t["end"]) for t in thresholds or []]
    results = words["qualitative_results"]
    out = []
    for m in words["_qualitative"].finditer(text):
        if any(a <= m.start() and m.end() <= b for a, b in inside):
            continue
        if _CELLS_AFTER.match(text, m.end()) and _CD_MARKER_BEFORE.search(text, max(0, m.start() - 12), m.start()):
            continue  # "CD4 positive lymphocyte count": the cells a marker names, no result
        value = results[m.group().lower()]
        tests = [
            (i, e)
            for i, e in enumerate(entities)
            if e["type"] in {"Measurement", "Observation", "Procedure"}
            and _TEST_WORDS.search(text, e["start"], e["end"])
        ]
        said_normal = m.group().lower().startswith(("within", "wnl")) or (
            m.group().lower() == "normal" and not _LIMIT_NOUN_AFTER.match(text, m.end())
        )
        subject = _measurement_right_before(text, entities, m.start()) if said_normal and value == "normal" else None
        normal_of: list[int] = []
        if subject is not None:
            # "PT and aPTT normal", "Serum calcium, magnesium and phosphorus within normal limits": the
            # result of each measurement listed before it
            normal_of = _joined_mentions(text, entities, subject, -1, words["_connector"], _is_measurement)
        elif (
            (said_normal and value == "normal" and m.group().lower() == "normal") or m.group().lower() == "abnormal"
        ) and not _NORMAL_QUALIFIED.search(text, max(0, m.start() - 12), m.start()):
            # "Normal PT and PTT", "normal serum creatinine", "Abnormal testosterone levels": the
            # measurements named right after it
            first = next((i for i, e in enumerate(entities) if e["start"] >= m.end()), None)
            line_end = text.find("\n", m.end())
            line_end = len(text) if line_end < 0 else line_end
            if (
                first is not None
                and entities[first]["type"] == "Measurement"
                and _SPACES_ONLY.fullmatch(text, m.end(), entities[first]["start"])
                # ("Abnormal testosterone levels lower than 300 ng/dL", "Abnormal Laboratory Values:": the
                # threshold after it, or the items under it, say what is abnormal)
                and not (
                    value == "abnormal"
                    and (
                        any(m.end() <= a < line_end for a, _ in inside)
                        or text[entities[first]["end"] : line_end].strip().startswith(":")
                    )
                )
            ):
                normal_of = _joined_mentions(text, entities, first, 1, words["_connector"], _is_measurement)
        right_before = False
        for i, e in [] if subject is not None else tests:
            if normal_of and e["start"] >= entities[normal_of[0]]["start"]:
                # ("a normal ejection fraction on MUGA scan": the result of the measurement named right
                # after it, not of the study it is taken on)
                continue
            after = text[m.end() : e["start"]]
            before = text[e["end"] : m.start()]
            # (never across a method word: "LVEF normal by echocardiography", "HIV negative by
            # serologic testing" state the result of what comes before)
            if (
                e["start"] >= m.end()
                and len(after) <= 30
                # ("a positive PPD and a normal chest x-ray": a mention with a result of its own comes
                # between; not "Normal or abnormal retinal examination")
                and not _own_result_between(text, entities, m.end(), e["start"], words["_qualitative"])
                # (a hard-wrapped line may break between the two: "Negative\r\npregnancy test")
                and not (_NO_RESULT_GAP.search(after) and not _WRAPPED_GAP.fullmatch(text, m.end(), e["start"] + 1))
                # ("HBsAg positive and peripheral blood HBV-DNA ...", "HIV negative Hepatitis B surface
                # antigen negative": the result of the mention right before; a capitalised result starts
                # a criterion of its own in a run-on listing: "Not pregnant Positive HIV culture")
                and not (m.group()[0].islower() and _mention_ends_at(entities, text, m.start()))
            ):
                subject = i
                if not normal_of:
                    # "Abnormal EEG, CT scan, or MRI", "an abnormal chest X-ray or ECG", "a positive ELISA
                    # and Western blot": the result of each test listed after it
                    normal_of = _joined_mentions(text, entities, i, 1, words["_connector"], _test_of(text))
                break
            if (
                e["end"] <= m.start()
                and re.fullmatch(r"\s*(?:is|are|was|were|should be|must be)?\s*", before)
                # ("... on OctreoScan scintigraphy Positive for somatostatin receptors": a capitalised
                # result with what it is "for" after it starts the next criterion of a run-on listing)
                and not (m.group()[0].isupper() and _FOR_AFTER.match(text, m.end()))
            ):
                subject, right_before = i, True
                break
        markers: list[int] = []
        if right_before and value in _SIGNED_RESULTS and not _RESULT_AS_ADJECTIVE.match(text, m.end()):
            # "HBsAg, HCV antibody or HIV antibody positive": the result of each test listed before it
            listed = _markers_before(text, entities, m.start(), words["_connector"])
            if len(listed) > 1 and listed[-1] == subject:
                subject, markers = None, listed
        if subject is None and value in _SIGNED_RESULTS and not _RESULT_AS_ADJECTIVE.match(text, m.end()):
            # "HBsAg positive", "EGFR gene mutation negative", "PD-L1 expression is positive", "HIV,
            # HBV, or HCV positive": the result of the markers named right before it
            markers = _markers_before(text, entities, m.start(), words["_connector"])
        inside_mention = any(
            e["start"] <= m.start() and m.end() <= e["end"] for e in entities if e["type"] in LEAF_TYPES
        )
        if subject is None and not markers and value in _SIGNED_RESULTS:
            # "Positive HIV-I", "Negative HBsAg": a result written before the marker it is of
            subject = _marker_right_after(text, entities, m.end())
            if subject is None:
                # "Negative HIV and Hepatitis B and C results": the result of each thing listed before
                # the tests it names
                markers = _listed_before_tests(text, entities, m.end(), words["_connector"])
        # "Positive testing for HIV, HBsAg, or HCV antibodies", "positive test for hepatitis C": the
        # result of each thing tested for
        tested = (
            normal_of
            if len(normal_of) > 1 or (normal_of and subject is None)
            else [subject]
            if subject is not None
            else markers or _tested_for(text, entities, m.end(), words["_connector"])
        )
        # "Not positive for HIV", "Not HIV, HBV, and HCV positive": the result is other than the one named
        lead = min([m.start(), *(entities[i]["start"] for i in (markers if subject is None else [subject]))])
        comparator = "!=" if _NOT_BEFORE.search(text, max(0, lead - 12), lead) else "="
        for i in [] if inside_mention else tested:
            rule = "qualitative-result" if subject is not None else "qualitative-result-for"
            out.append(
                {
                    "start": m.start(),
                    "end": m.end(),
                    "comparator": comparator,
                    "value": value,
                    "rule": rule,
                    "subject": i,
                }
            )
    return out + _signed_results(text, entities, inside)


# "HCV+ admitted only ...", "AntiHBcAg+, HbsAg-", "CD20(+)": a result written as a sign right after a
# marker's name (a short name with a capital; never "+/-", nor a hyphen that joins on: "B- or C-")
# (nor a cell type: "CD4+ cells", "CD34+ T-cells")
_SIGN_AFTER = re.compile(
    r"(?P<sign>\(\+\)|\(-\)|\+|-)(?![\w/+(-])(?!\s+(?:or|and|to|through)\b)"
    r"(?!\s*(?:T[- ]?)?(?:cells?|lymphocytes?|counts?|blasts?|population)\b)",
    re.IGNORECASE,
)
_MARKER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{1,11}")
_NAME_GOES_ON = re.compile(r"[ \t]+[A-Z]{2}")


def _signed_results(text: str, entities: list[dict[str, Any]], inside: list[tuple[int, int]]) -> list[dict[str, Any]]:
    out = []
    for i, e in enumerate(entities):
        if e["type"] not in {"Measurement", "Condition", "Observation"}:
            continue
        name = text[e["start"] : e["end"]]
        m = _SIGN_AFTER.match(text, e["end"])
        if m is None or not _MARKER_NAME.fullmatch(name) or not any(c.isupper() for c in name[1:]):
            continue
        if m.group("sign") == "-" and _NAME_GOES_ON.match(text, m.end()):
            continue  # "IIEF- EF Domain": a name broken at its hyphen
        if any(a <= m.start() and m.end() <= b for a, b in inside):
            continue
        value = "positive" if "+" in m.group("sign") else "negative"
        out.append(
            {
                "start": m.start(),
                "end": m.end(),
                "comparator": "=",
                "value": value,
                "rule": "qualitative-sign",
                "subject": i,
            }
        )
    return out


_RESULT_GAP = re.compile(r"[ \t]{0,3}-?(?:(?:is|are|was|were|testing|test|status)[ \t]{0,3})?")
_MARKER_WORDS = re.compile(
    r"\b(?:genes?|mutations?|antigens?|antibod(?:y|ies)|expression|DNA|RNA|receptors?|serology|virus|status|"
    r"tests?|testing|titers?|assay)\b|\b[A-Z][A-Z0-9-]{1,}\b|\b[Hh]epatitis\s+[A-E]\b",
)


# an elliptic member's normalised name that names a marker ("C" of "Hepatitis B or C")
_HEPATITIS_VIRUS = re.compile(r"hepatitis\s+[a-e]", re.IGNORECASE)


def _is_marker(text: str, e: dict[str, Any]) -> bool:
    """A measurement, or a condition or observation whose name (or, for an elliptic member, "C" of
    "Hepatitis B or C", its normalised name) is a marker's: "HBsAg", "HIV testing", "Hepatitis B"."""
    if e["type"] == "Measurement":
        return True
    if e["type"] not in {"Condition", "Observation"}:
        return False
    name = text[e["start"] : e["end"]]
    normalized = e.get("normalized") or ""
    return bool(_MARKER_WORDS.search(name)) or (len(name) <= 2 and bool(_HEPATITIS_VIRUS.fullmatch(normalized)))


def _marker_right_after(text: str, entities: list[dict[str, Any]], end: int) -> int | None:
    """The marker (``_is_marker``) a result word ending at ``end`` stands right before, at the end of
    the criterion or of its line ("Positive HIV-I.", a bullet "Positive PPD." under a topic), or None."""
    for i, e in enumerate(entities):
        if e["start"] < end:
            continue
        if not re.fullmatch(r"[ \t]{1,3}", text[end : e["start"]]) or not _is_marker(text, e):
            return None
        # (a short suffix the mention left out may end it: "HIV" of "HIV-I")
        if _MARKER_ENDS.fullmatch(text, e["end"]):
            return i
        # ... or the line, where the result word starts it ("  -  Positive PPD." under an ACTG topic;
        # not "CD 20 negative B-cell Lymphoma")
        line_end = text.find("\n", e["end"])
        line_start = text.rfind("\n", 0, end) + 1
        word = _LAST_WORD_AT.search(text, line_start, end)
        starts_line = word is not None and _BULLET_LEAD.fullmatch(text, line_start, word.start())
        rest_of_line = _MARKER_ENDS.fullmatch(text, e["end"], line_end) if line_end >= 0 else None
        return i if starts_line and rest_of_line else None
    return None


_MARKER_ENDS = re.compile(r"(?:-?[A-Za-z0-9]{1,3})?\s*[.;]?\s*")
_BULLET_LEAD = re.compile(r"[ \t]*(?:[-*•·][ \t]+)?")
_LAST_WORD_AT = re.compile(r"\S+$")


_SPACES_ONLY = re.compile(r"[ \t]{1,3}")
_TESTS_AFTER_LIST = re.compile(
    r"[ \t]{0,3}(?:(?:antibod(?:y|ies)|antigens?)[ \t]{1,3})?(?:tests?|testing|results?|serolog(?:y|ies)|screens?)\b",
    re.IGNORECASE,
)


_OBJECT_AFTER = re.compile(r"\s{1,3}(?:to|for|against)\b", re.IGNORECASE)
_TEST_WORD_END = re.compile(r"\b(?:tests?|testing|results?|serolog(?:y|ies)|antibod(?:y|ies))$", re.IGNORECASE)


def _listed_before_tests(text: str, entities: list[dict[str, Any]], end: int, connector: re.Pattern[str]) -> list[int]:
    """The mentions a result word ending at ``end`` stands right before, joined by connectors and
    followed by a word for their tests ("Negative HIV and Hepatitis B and C results", "positive HBsAg or
    HCV antibody tests"), or none."""
    after = [i for i, e in enumerate(entities) if e["start"] >= end]
    if not after or not _SPACES_ONLY.fullmatch(text, end, entities[after[0]]["start"]):
        return []
    out = [after[0]]
    for j in after[1:]:
        if entities[j]["start"] < entities[out[-1]]["end"]:
            continue  # a mention inside the one before
        if not connector.match(text[entities[out[-1]]["end"] : entities[j]["start"]]):
            break
        out.append(j)
    if any(entities[i]["type"] not in _TESTED_TYPES for i in out):
        return []
    last = entities[out[-1]]
    if _OBJECT_AFTER.match(text, last["end"]):
        return []  # "Positive antibody to HIV": the result of what it is to
    named = _TEST_WORD_END.search(text, last["start"], last["end"])  # "... and HCV antibody tests"
    return out if named or _TESTS_AFTER_LIST.match(text, last["end"]) else []


def _markers_before(text: str, entities: list[dict[str, Any]], pos: int, connector: re.Pattern[str]) -> list[int]:
    """The mentions a result word right after them is of: a measurement, or a condition or
    observation named by a marker's words or an acronym ("HBsAg", "ROS1", "HIV testing"), with the
    ones joined to it before ("HIV, HBV, or HCV positive"). A marker's short form in brackets is read
    as its long form's ("hepatitis B surface antigen (HBsAg), treponema pallidum antibody (anti-TP)
    positive")."""
    last = next((i for i in range(len(entities) - 1, -1, -1) if entities[i]["end"] <= pos), None)
    # ("HIV antibody (by federally licensed ELISA test) positive": the method in brackets is an aside)
    if last is not None:
        opened = text.rfind("(", 0, entities[last]["start"])
        aside = opened >= 0 and ")" not in text[opened : entities[last]["start"]]
        if aside and ")" in text[entities[last]["end"] : pos]:
            last = next((i for i in range(last - 1, -1, -1) if entities[i]["end"] <= opened), None)
    if last is not None and last > 0 and _short_form_of(text, entities, last):
        last -= 1
    if (
        last is None
        or not _RESULT_GAP.fullmatch(_without_aside(text, entities[last]["end"], pos))
        or not _is_marker(text, entities[last])
    ):
        return []
    out = [last]
    if "-" in _without_aside(text, entities[last]["end"], pos):
        return out  # "No AIDS or HIV-positive serology": the hyphen binds the result to one word
    for j in range(last - 1, -1, -1):
        if j > 0 and _short_form_of(text, entities, j):
            continue
        gap = _without_aside(text, entities[j]["end"], entities[out[0]]["start"])
        if (
            entities[j]["end"] > entities[out[0]]["start"]
            or not connector.match(gap)
            or not _is_marker(text, entities[j])
        ):
            break
        out.insert(0, j)
    return out


def _joined_mentions(
    text: str,
    entities: list[dict[str, Any]],
    i: int,
    step: int,
    connector: re.Pattern[str],
    joins: Callable[[dict[str, Any]], bool],
) -> list[int]:
    """Mention ``i`` and the mentions ``joins`` accepts joined to it by connectors, going back
    (``step`` -1) or on (``step`` 1) from it, in text order."""
    out = [i]
    j = i + step
    while 0 <= j < len(entities):
        a, b = (entities[j], entities[out[0]]) if step < 0 else (entities[out[-1]], entities[j])
        if not joins(entities[j]) or a["end"] > b["start"] or not connector.match(text[a["end"] : b["start"]]):
            break
        if step < 0:
            out.insert(0, j)
        else:
            out.append(j)
        j += step
    return out


def _is_measurement(e: dict[str, Any]) -> bool:
    return bool(e["type"] == "Measurement")


def _test_of(text: str) -> Callable[[dict[str, Any]], bool]:
    """Whether a mention names a test (a measurement or procedure whose words say so: "CT scan", "ECG")."""
    return lambda e: (
        e["type"] in ("Measurement", "Procedure") and _TEST_WORDS.search(text, e["start"], e["end"]) is not None
    )


def _short_form_of(text: str, entities: list[dict[str, Any]], i: int) -> bool:
    """Whether mention ``i`` is a short form in brackets right after the mention before it ("hepatitis
    B surface antigen (HBsAg)")."""
    e, before = entities[i], entities[i - 1]
    return (
        e["start"] > 0
        and text[e["start"] - 1] == "("
        and text.startswith(")", e["end"])
        and not text[before["end"] : e["start"] - 1].strip()
    )


def _without_aside(text: str, start: int, end: int) -> str:
    """``text[start:end]`` less a bracketed aside at its start (" (anti-TP) " is " ")."""
    gap = text[start:end]
    return _ASIDE.sub(" ", gap, count=1) if gap.lstrip().startswith("(") else gap


# "CGI-S positive symptoms", "negative predictive value": the word qualifies a noun, it is no result
_RESULT_AS_ADJECTIVE = re.compile(
    r"[ \t]{1,3}(?:and\s{1,3}negative\s{1,3})?(?:symptoms?|predictive|feedback|effects?|affect)\b", re.IGNORECASE
)
_TESTED_FOR = re.compile(
    r"[ \t]{1,3}(?:(?:(?:lab(?:oratory)?\s{1,3})?(?:test(?:s|ing)?|results?|serology|screen(?:ing)?)[ \t]{1,3})?for"
    r"|antibod(?:y|ies)[ \t]{1,3}(?:to|for|against))[ \t]{1,3}"
    r"(?:(?:the|an?|any)[ \t]{1,3})?",
    re.IGNORECASE,
)
_NOT_BEFORE = re.compile(r"\bnot\s{1,3}(?:be\s{1,3})?$", re.IGNORECASE)
_OPEN_ASIDE = re.compile(r"\s*[(\[]\s*")
_TESTED_TYPES = frozenset({"Condition", "Measurement", "Observation", "Drug"})


def _tested_for(text: str, entities: list[dict[str, Any]], end: int, connector: re.Pattern[str]) -> list[int]:
    """The mentions a result is "for" ("positive test for HIV or hepatitis C"): the first right after
    "for", then each joined to the one before by a connector; never one inside another."""
    lead = _TESTED_FOR.match(text, end)
    if lead is None:
        return []
    out: list[int] = []
    pos = lead.end()
    for i, e in enumerate(entities):
        if e["start"] < pos or e["type"] not in _TESTED_TYPES:
            continue
        if out and e["start"] < entities[out[-1]]["end"]:
            continue  # inside the mention before
        gap = text[pos : e["start"]]
        if out and _OPEN_ASIDE.fullmatch(gap):
            continue  # the short form in brackets after the mention before ("hepatitis B surface antigen (HBsAg)")
        if (not out and gap) or (out and not connector.match(_ASIDE.sub("", gap))):
            break
        out.append(i)
        pos = e["end"]
    return out


# what may stand between a route word and the drug it qualifies: a few words, no clause mark ("IV or
# oral antibiotics", "intravenous (IV) administration of"), never "..., with no history of"
_ROUTE_GAP = re.compile(r"[\w()/ -]{0,30}")
# a route abbreviation that is a roman numeral in a range or a stage ("Stage III-IV", "grade II/IV")
_NUMERAL_BEFORE = re.compile(r"(?:\b[ivx]+\s*[-–/]\s*|\b(?:stage|grade|class|type|phase)\s+)$")


_NON_BEFORE = re.compile(r"\bnon[- ]?$", re.IGNORECASE)


def route_of(text: str, entity: dict[str, Any]) -> str | None:
    """The route written within a few words before the drug mention or inside it ("oral prednisone",
    "IV or oral antibiotics")."""
    start = max(0, entity["start"] - 30)
    window = text[start : entity["end"]].lower()
    at = entity["start"] - start
    found = None
    for pattern, route in _words()["_routes"]:
        for m in pattern.finditer(window):
            if m.end() <= at and not _ROUTE_GAP.fullmatch(window, m.end(), at):
                continue
            if _NUMERAL_BEFORE.search(window, 0, m.start()):
                continue
            if _NON_BEFORE.search(window, 0, m.start()):
                continue  # "non-topical steroids": any route but that one
            found = route
    return found


def frequency_of(text: str, end: int) -> str | None:
    """A dosing frequency written right after the dose ("100 mg, twice daily")."""
    freqs = _words()["frequencies"]
    window = text[end : end + 25].lower()
    for phrase in sorted(freqs, key=len, reverse=True):
        if re.match(rf"\s*,?\s*{re.escape(phrase)}\b", window):
            return freqs[phrase]
    return None


_CHAINED_WINDOW_GAP = re.compile(r"[\s,]*(?:during\b[\s,]*)?(?:and\b\s*)?", re.IGNORECASE)


def window_targets(
    text: str,
    entities: list[dict[str, Any]],
    windows: list[dict[str, Any]],
    thresholds: list[dict[str, Any]],
    subjects: list[list[int]],
    heading_end: int,
) -> list[list[int]]:
    """For each window, the entities it qualifies: the threshold right before it, else the clinical
    mentions of its clause before it (or after it when nothing precedes)."""
    if not windows:
        return []  # most criteria have none: the clause and bracket scans below serve windows only
    words = _words()
    skip = set(words["context_only_normalized"])
    subject_ids = {i for group in subjects for i in group}
    clinical = [
        i
        for i, e in enumerate(entities)
        if e["type"] in LEAF_TYPES and e.get("normalized") not in skip and i not in subject_ids
    ]
    clinical_starts = [entities[i]["start"] for i in clinical]
    threshold_ends = sorted((t["end"], ti) for ti, t in enumerate(thresholds))
    clause_marks = [m.end() for m in re.finditer(r";|\.\s", text)]
    depths = _bracket_depths(text)
    out = []
    for wi, w in enumerate(windows):
        if w.get("event_start") is not None:
            # "At least 4 weeks since prior chemotherapy": the event it is counted from, named in it,
            # and the rest of a list it opens ("since prior cardiac arrhythmias, myocardial
            # infarction, or congestive heart failure")
            event_end = _serial_list_end(text, w["event_end"], entities)
            out.append(
                [
                    i
                    for i, e in enumerate(entities)
                    # (a mention may run on past the event's words: "post Tyrosine Kinase Inhibitor (TKI)")
                    if e["type"] in LEAF_TYPES and w["event_start"] <= e["start"] < event_end
                ]
            )
            continue
        if (
            wi
            and out[-1]
            and w.get("anchor_start") is not None
            and (
                (
                    (windows[wi - 1].get("anchor_start"), windows[wi - 1].get("anchor_end"))
                    == (w["anchor_start"], w["anchor_end"])
                    and _CHAINED_WINDOW_GAP.fullmatch(text, windows[wi - 1]["end"], w["start"])
                )
                # ("during and for 3 months after study": the window after, inside the one during)
                or (windows[wi - 1].get("rule") == "during-and-after" and windows[wi - 1]["end"] >= w["end"])
                # ("within 7 days before or after surgery": the window after, over the same words; "60-100
                # days after infusion": the range's two bounds)
                or (
                    (windows[wi - 1]["start"], windows[wi - 1]["end"]) == (w["start"], w["end"])
                    and (
                        w.get("rule") == "before-and-after"
                        or windows[wi - 1].get("anchor_name") == w.get("anchor_name")
                    )
                )
            )
        ):
            # "for 1 month before, during, and for 3 months after study": the windows of one thing
            out.append(list(out[-1]))
            continue
        k = bisect.bisect_right(threshold_ends, (w["start"], len(thresholds)))
        if k:
            t_end, ti = threshold_ends[k - 1]
            # ("No more than 10% weight loss within past 3 months": what changed and its change noun
            # between the amount and the window)
            changed = change_after(text, t_end, thresholds[ti].get("ucum"))
            gap_start = changed[3] if changed is not None and changed[3] <= w["start"] else t_end
            if words["_filler"].match(text[gap_start : w["start"]]) and subjects[ti]:
                out.append(list(subjects[ti]))
                continue
        m = bisect.bisect_right(clause_marks, w["start"])
        previous = [o["end"] for o in windows[:wi] if o.get("rule") != "during"]
        clause_start = max(heading_end, clause_marks[m - 1] if m else 0, previous[-1] if previous else 0)
        list_start = _list_start(text, clause_start, w["start"], entities, depths)
        aims = list(TARGETING.finditer(text, clause_start, list_start))
        aim = aims[-1] if aims else None
        between = (
            bisect.bisect_left(clinical_starts, list_start) - bisect.bisect_left(clinical_starts, aim.end())
            if aim
            else 0
        )
        if aim is not None and not between:
            # "any drug (antibody, inhibitor or agonist) targeting T, B lymphocytes, cytokines or
            # receptors within two months": the list names what the drugs act on; the window times
            # the drugs before it
            hi_aim = bisect.bisect_left(clinical_starts, aim.start())
            lo_aim = bisect.bisect_left(clinical_starts, clause_start)
            aimed = [clinical[j] for j in range(lo_aim, hi_aim) if entities[clinical[j]]["end"] <= aim.start()]
            if aimed:
                out.append(aimed)
                continue
        m2 = bisect.bisect_left(clause_marks, w["end"])
        clause_end = clause_marks[m2] if m2 < len(clause_marks) else len(text)
        hi = bisect.bisect_left(clinical_starts, w["start"])
        targets: list[int] = []
        for start in (list_start, clause_start):
            lo = bisect.bisect_left(clinical_starts, start)
            targets = [clinical[j] for j in range(lo, hi) if entities[clinical[j]]["end"] <= w["start"]]
            if targets:
                break
        # a negated mention is timed ("No myocardial infarction within the past 6 months"; assembly
        # keeps the asserted ones where both are), an exception after the window is not ("within 30
        # days of study drug administration (except local treatment ...)"); a list the window
        # announces is what it times ("within 14 days prior to randomization: Rifampin, ...")
        if not targets or (_ANNOUNCES.match(text, w["end"]) and all(_negated(entities[i]) for i in targets)):
            lo2 = bisect.bisect_left(clinical_starts, w["end"])
            hi2 = bisect.bisect_left(clinical_starts, clause_end)
            excepted = _EXCEPTION.search(text, w["end"], clause_end)
            after = [
                clinical[j]
                for j in range(lo2, hi2)
                if entities[clinical[j]]["end"] <= clause_end
                and not (excepted and entities[clinical[j]]["start"] >= excepted.end())
            ]
            targets = after or targets
        examples = _EXAMPLES_AFTER.match(text, w["end"]) if targets else None
        if examples:
            # "high-dose glucocorticoid treatment ... within 90 days before visit 2, such as prednisone (or
            # equivalent dose of glucocorticoid)": the examples named right after the window are timed too
            stop = _EXAMPLES_END.search(text, examples.end(), clause_end)
            stop_at = stop.start() if stop else clause_end
            kinds = {entities[i]["type"] for i in targets}
            # (a dosed example is one too: "such as prednisone ≥ 100 mg/d")
            targets = targets + [
                i
                for i, e in enumerate(entities)
                if e["type"] in kinds
                and examples.end() <= e["start"]
                and e["end"] <= stop_at
                and e.get("normalized") not in skip
                and i not in targets
            ]
        # "dose has been stable for at least 6 weeks", "symptoms controlled for 3 months": how long the
        # state has held is what the window times, its qualifier too (``words.json`` ``timed_states``)
        state = state_right_before(text, entities, w["start"], clause_start)
        if state is not None and state not in targets:
            targets = [*targets, state]
        out.append(targets)
    return out


# (up to four words between the state and its window, no punctuation: "Stable dose of medication for
# at least 4 weeks")
_STATE_GAP = re.compile(r"[ \t\r\n]*(?:[A-Za-z]+[ \t\r\n]+){0,4}")


def state_right_before(text: str, entities: list[dict[str, Any]], start: int, clause_start: int = 0) -> int | None:
    """The index of a Qualifier naming a state that lasts ("stable", "controlled") right before a window
    that starts at ``start`` (``words.json`` ``timed_states``), or None."""
    states = word_set("timed_states")
    for i, e in enumerate(entities):
        if (
            e["type"] == "Qualifier"
            and clause_start <= e["start"]
            and e["end"] <= start
            and " ".join(text[e["start"] : e["end"]].lower().split()) in states
            and _STATE_GAP.fullmatch(text, e["end"], start)
        ):
            return i
    return None


_EXAMPLES_AFTER = re.compile(r"\s*,?\s*(?:such\s+as|e\.g\.,?|for\s+example|including)\s+", re.IGNORECASE)
# (the examples end where the clause goes on to something else: ", or creatinine ...", ";")
_EXAMPLES_END = re.compile(r",\s*(?:or|and)\b|;|\.\s")


_ANNOUNCES = re.compile(r"\s*:")
_EXCEPTION = re.compile(r"\b(?:except|excepting|excluding|other\s+than|unless|apart\s+from|but\s+not)\b", re.IGNORECASE)


def _negated(entity: dict[str, Any]) -> bool:
    return bool((entity.get("assertion") or {}).get("negated"))


# what joins the members of a list after its first: a comma, or a comma or none and a conjunction,
# and a few words that do not leave the list ("prior", "any")
_SERIAL_GAP = re.compile(r",?\s{1,12}(?:(?:and/or|and|or)\s{1,12})?(?:(?:prior|previous|any|other)\s{1,12})?|,\s{0,12}")
_SERIAL_LAST_GAP = re.compile(r",?\s{1,12}(?:and/or|and|or)\s{1,12}(?:(?:prior|previous|any|other)\s{1,12})?")


def _serial_list_end(text: str, end: int, entities: list[dict[str, Any]]) -> int:
    """Where a list whose first member ends at ``end`` ends: "A, B, or C" and "A, B and C" reach C;
    a run of commas with no conjunction before its last member ("surgery, hormonal therapy
    allowed") is no list, and ``end`` is returned."""
    by_start = {e["start"]: e for e in entities if e["type"] in LEAF_TYPES}
    pos, last = end, end
    while True:
        gap = _SERIAL_GAP.match(text, pos)
        if gap is None or gap.end() == pos or gap.end() not in by_start:
            return last
        member = by_start[gap.end()]
        if _SERIAL_LAST_GAP.fullmatch(text, pos, gap.end()):
            last = member["end"]  # a conjunction closes the list so far
        pos = member["end"]


# a word after which a list names what a drug acts on, not what is taken (the list it leads has no
# clinical mention between it and the window's list)
TARGETING = re.compile(
    r"\b(?:targeting|targeted\s+(?:at|to|against)|directed\s+(?:at|to|against)|that\s+targets?|which\s+targets?)\b",
    re.IGNORECASE,
)


def _list_start(text: str, lo: int, pos: int, entities: list[dict[str, Any]], depths: tuple[int, ...]) -> int:
    """Where the run of comma-joined list items that ends at ``pos`` starts.

    "history of MI, or unstable angina, severe arrhythmia in the past 6 months": the window covers the
    whole list. "Since the effect on the fetus is unknown, women ... should have a test 48 hours
    before ...": the phrase before the comma is no list item (it has words of its own), so it is not
    covered.
    """
    stop = _words()["_list_item_words"]

    def has_own_words(piece: str) -> bool:
        """Words outside brackets that are no list words ("The subjects who took", not "or")."""
        unbracketed = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", piece)
        return any(word.lower() not in stop for word in re.findall(r"[A-Za-z]{2,}", unbracketed))

    commas = [i for i in _positions(text, ",", lo, pos) if depths[i] == depths[pos]]
    start = commas[-1] + 1 if commas else lo
    for k in range(len(commas) - 1, -1, -1):
        prev = commas[k - 1] + 1 if k else lo
        phrase = text[prev : commas[k]]
        covered = [
            (e["start"] - prev, e["end"] - prev) for e in entities if prev <= e["start"] and e["end"] <= commas[k]
        ]
        if not covered:
            break
        rest = list(phrase)
        for a, b in covered:
            rest[a:b] = " " * (b - a)
        if has_own_words("".join(rest)):
            # (a lead-in before the first member of a list of three or more, "The subjects who took
            # Viagra, Cialis, Levitra ...": the member that ends the phrase is in the list, what leads
            # to it is not; never one inside a bracket, "(such as cyclosporine, ...)")
            outside = [span for span in covered if depths[prev + span[0]] == depths[pos]]
            if k < len(commas) - 1 and outside:
                last_start, last_end = max(outside, key=lambda span: span[1])
                if not has_own_words(phrase[last_end:]):
                    start = prev + last_start
                    # (a member with words of its own before it, "cardiac or other vascular stenting",
                    # lets the list run on to members before it)
                    continue
            break
        start = prev
    return start


def _positions(text: str, char: str, lo: int, hi: int) -> Iterator[int]:
    """Where ``char`` occurs in text[lo:hi], in order (absolute offsets)."""
    i = text.find(char, lo, hi)
    while i >= 0:
        yield i
        i = text.find(char, i + 1, hi)


@lru_cache(maxsize=64)
def _bracket_depths(text: str) -> tuple[int, ...]:
    """Bracket nesting depth before each character (once per criterion text: linear, cached)."""
    if "(" not in text and "[" not in text:
        return (0,) * (len(text) + 1)
    # the depth changes only at a bracket: each stretch up to and including one is filled at once
    depths: list[int] = []
    depth = pos = 0
    for m in _BRACKET.finditer(text):
        depths += [depth] * (m.start() - pos + 1)
        if m.group() in "([":
            depth += 1
        elif depth:
            depth -= 1
        pos = m.end()
    depths += [depth] * (len(text) - pos + 1)
    return tuple(depths)


_BRACKET = re.compile(r"[()\[\]]")


_RATIONALE = re.compile(
    start_guard(["since", "because", "given", "as"])  # see trie.start_guard
    + r"(?:(?<=^)|(?<=[.;:]\s))(?:since|because|given that|as)\b[^,;.]{0,200},",
    re.IGNORECASE | re.MULTILINE,
)
# right before a contraindication or an allergy: none of it is allowed
_NONE_BEFORE = re.compile(r"\b(?:no|without|free\s+of|absence\s+of)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)
# between two listed examples: a comma or a bare "or"/"and" (the list goes on)
_EXAMPLE_GAP = re.compile(r"\s*(?:(?P<comma>,)|(?P<serial>,\s*(?:or|and|and/or))|(?:or|and|and/or))\s*$", re.IGNORECASE)
_EXAMPLES = re.compile(r"\b(?:such as|e\.?g\.?|for example|for instance|including|like)\b", re.IGNORECASE)


def _combine(items: list[tuple[dict[str, Any], str]], default: str) -> dict[str, Any]:
    """Join (node, connector-before-it) pairs: 'and' binds tighter than 'or'."""
    runs: list[list[dict[str, Any]]] = [[items[0][0]]]
    for node_, conn in items[1:]:
        op = default if conn == "default" else conn
        if op == "any":
            runs.append([])
        runs[-1].append(node_)
    parts = [r[0] if len(r) == 1 else {"op": "all", "args": r} for r in runs]
    return parts[0] if len(parts) == 1 else {"op": "any", "args": parts}


def _gap_connector(gap: str) -> str:
    """'any', 'all' or 'default' (a bare comma or slash, read by the criterion's side).

    Any other words between two mentions ("veins for apheresis", "infection requiring treatment")
    relate them: both hold, 'all'.
    """
    words = _words()
    # (a gap that starts inside a bracket joins from where the bracket closes: "(6 weeks for nitrosoureas
    # or mitomycin C) and recovered" joins the window and "recovered" by "and", not by the bracket's "or")
    depth, after = 0, 0
    for k, char in enumerate(gap):
        if char == "(":
            depth += 1
        elif char == ")":
            if depth:
                depth -= 1
            else:
                after = k + 1
    gap = gap[after:]
    if words["_exception"].search(gap):
        return "all"  # "malignancy (other than basal cell carcinoma)": the exception holds with it
    if words["_or"].search(gap):
        return "any"
    if words["_and"].search(gap):
        return "all"
    if re.fullmatch(r"[\s,/]*", gap) and re.search(r"[,/]", gap):
        return "default"
    return "all"


def _lead_connector(gap: str) -> str:
    """The connector that opens a phrase or clause (", or ...", "; and ..."), else 'default'; an
    exception (", except for ...") holds with what it excepts from: 'all'."""
    if _words()["_exception"].match(gap):
        return "all"
    m = re.match(r"[\s,;.]*(and\s*/\s*or|and\s*\(or\)|or|and)(?!\w)", gap, re.IGNORECASE)
    if not m:
        return "default"
    return "all" if m.group(1).lower() == "and" else "any"


def _combine_phrase(items: list[tuple[dict[str, Any], str]], default: str) -> dict[str, Any]:
    """Join the mentions of one phrase: a bare 'or' binds tightest ("veins for apheresis or collection")."""
    runs: list[list[dict[str, Any]]] = [[items[0][0]]]
    for node_, conn in items[1:]:
        op = default if conn == "default" else conn
        if op != "any":
            runs.append([])
        runs[-1].append(node_)
    parts = [r[0] if len(r) == 1 else {"op": "any", "args": r} for r in runs]
    return parts[0] if len(parts) == 1 else {"op": "all", "args": parts}


_SENTENCE = re.compile(r"[^.;]+(?:[.;]\s|$)?")


def _sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text)]


# "at least 2 of the following immune phenotyping: CD1a, CD2, ...", "Two or more of the following:
# Fever or hypothermia; Tachycardia; ...": a count of what is listed after it
_COUNT_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_COUNT = r"(?:\d{1,2}|" + "|".join(_COUNT_WORDS) + r")"
_COUNT_OF_LISTED = re.compile(
    rf"\b(?:at\s+least\s+(?P<least>{_COUNT})|(?P<more>{_COUNT})\s+or\s+more|(?:a\s+)?minimum\s+of\s+(?P<minimum>{_COUNT}))"
    r"\s+of\s+the\s+following\b[^:;.]{0,60}[:：]",
    re.IGNORECASE,
)


def _count_of_listed(text: str, lo: int, hi: int) -> tuple[int, int, int] | None:
    """(start, end, n) of "at least n of the following ...:" in text[lo:hi], or None."""
    m = _COUNT_OF_LISTED.search(text, lo, hi)
    if m is None:
        return None
    written = (m.group("least") or m.group("more") or m.group("minimum")).lower()
    n = int(written) if written.isdigit() else _COUNT_WORDS[written]
    return m.start(), m.end(), n


def build_logic(
    text: str,
    side: str,
    leaves: list[tuple[int, int, str, str]],
    groups: dict[str, tuple[str, list[str]]],
    lo: int = 0,
    hi: int | None = None,
    masked: list[tuple[int, int]] | None = None,
    types: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """And/or tree over the leaves (start, end, id, kind) of a criterion; kind is entity, constraint or
    window (see ``_build_logic``). "At least 2 of the following: A, B, C" is ``at_least`` 2 over what is
    listed after the colon, read as alternatives, with what comes before it (the count itself is no
    leaf)."""
    hi_ = len(text) if hi is None else hi
    counted = _count_of_listed(text, lo, hi_) if len(leaves) > 2 else None
    if counted is not None:
        start, end, n = counted
        listed = [leaf for leaf in leaves if leaf[0] >= end]
        tree = _build_logic(text, "exclusion", listed, groups, end, hi, masked, types)
        if tree is not None and tree.get("op") == "any" and len(tree["args"]) > n:
            # (what comes before it holds with it, however the criterion's side reads its commas)
            before = [leaf for leaf in leaves if leaf[1] <= start]
            head = _build_logic(text, side, before, groups, lo, start, masked, types)
            if head is None and len(before) == 1:
                head = {"ref": before[0][2]}
            # ("at least one of the following" is any of them)
            node = tree if n == 1 else {"op": "at_least", "n": n, "args": tree["args"]}
            if head is None:
                return node
            return {"op": "all", "args": [*(head["args"] if head.get("op") == "all" else [head]), node]}
    return _build_logic(text, side, leaves, groups, lo, hi, masked, types)


def _build_logic(
    text: str,
    side: str,
    leaves: list[tuple[int, int, str, str]],
    groups: dict[str, tuple[str, list[str]]],
    lo: int = 0,
    hi: int | None = None,
    masked: list[tuple[int, int]] | None = None,
    types: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """And/or tree over the leaves (start, end, id, kind) of a criterion; kind is entity, constraint or window.
    ``types`` gives an entity leaf's type by its id.

    ``groups`` maps a constraint id to (op, ids of the constraints sharing its threshold) ("AST or ALT
    or GGT > 3 x ULN"), which become one subtree. Reading rules, in order of binding:
    - mentions in brackets or listed after "such as"/"e.g." are examples of the mention before them:
      left out; so are mentions in a sentence that defines a formula (``masked``);
    - what an allergy or a contraindication is to, with the mentions of its type listed after it, is one
      leaf, any of them, held with it ("allergy to penicillin, amoxicillin or cephalosporins");
    - in a comma-delimited phrase that states a threshold, qualifiers, observations and measures other
      than its subject qualify it (the method, the setting): they are no leaves; conditions, drugs,
      procedures, devices and persons stay leaves beside it (``_BESIDE_THRESHOLD``);
    - a bare "or"/"and" joins the leaves of a phrase ("and" binds tighter); a time window applies to
      everything before it in its clause;
    - a comma joins phrases ("', or'" = any, "', and'" = all, a bare comma or slash = all in inclusion
      criteria and any in exclusion criteria); ";" and ". " separate clauses, joined the same way;
    - a list of single mentions "A, B and C" / "A, B, and C" is one list, joined like its commas.
    """
    # Every leaf kept below is one of ``leaves``: with fewer than two possible, there is no tree, and
    # the sentence and bracket scans are not needed (most sub-criteria have one mention or none).
    # (without groups, as in most criteria, the leaves are counted alone)
    if len(leaves) + (sum(len(groups[leaf[2]][1]) - 1 for leaf in leaves if leaf[2] in groups) if groups else 0) < 2:
        return None
    hi = len(text) if hi is None else hi
    default = "all" if side == "inclusion" else "any"
    depths = _bracket_depths(text)
    base_depth = depths[lo] if lo < len(depths) else 0
    # only a sentence that overlaps a masked stretch is blocked: no mask, no sentence scan
    blocked = (
        [sp for sp in _sentences(text[:hi]) if any(sp[0] < me and ms < sp[1] for ms, me in masked)] if masked else []
    )
    # a rationale ("Since the effect on the fetus is unknown, ...") states no condition of its own
    blocked += [(m.start(), m.end()) for m in _RATIONALE.finditer(text, lo, hi)]
    kept: list[tuple[int, int, str, str]] = []
    relation = _words()["_relation_object"]
    object_end: int | None = None
    object_type: str | None = None
    objects: list[str] = []
    example_end: int | None = None
    example_comma = False  # (the examples so far are joined by bare commas)
    for leaf in sorted(leaves):
        s, e, leaf_id, kind = leaf
        if any(bs <= s < be for bs, be in blocked):
            continue
        if kind == "entity":
            if depths[s] > base_depth and not _excepted_in_bracket(text, s):
                continue
            # just after the last ',', ';' or '(' before the mention
            last = max(text.rfind(",", lo, s), text.rfind(";", lo, s), text.rfind("(", lo, s))
            clause_start = last + 1 if last >= 0 else lo
            if _EXAMPLES.search(text[clause_start:s]):
                example_end, example_comma = e, False
                continue
            # ... and so are the examples listed after it ("such as diabetes, multiple sclerosis or
            # Parkinson's disease"; "including hepatitis B, hepatitis C, and HIV")
            listed = _EXAMPLE_GAP.match(text, example_end, s) if example_end is not None else None
            # (", or"/", and" goes on with a serial list, "A, B, and C", and ends one joined by a bare
            # "or"/"and": "such as dementia or neuropathy, or asthma")
            if listed is not None and (listed.group("serial") is None or example_comma):
                example_end, example_comma = e, listed.group("comma") is not None
                continue
            example_end = None
            # "no contraindications for blood collection", "allergy or intolerance to study drugs": what
            # a contraindication or an allergy is to is a leaf held with it ...
            if kept and kept[-1][3] == "entity" and relation.match(text[kept[-1][0] : s]):
                object_end, object_type = e, (types or {}).get(leaf_id)
                # (... but where none is allowed, "no other contraindications for blood collection", it
                # only says what it is to)
                objects = [] if _NONE_BEFORE.search(text, max(lo, kept[-1][0] - 30), kept[-1][0]) else [leaf_id]
                if objects:
                    kept.append(leaf)
                continue
            # ... with the mentions of its type listed after it, one leaf, any of them ("allergy to
            # penicillin, amoxicillin or cephalosporins"), whatever the criterion's side
            if (
                object_end is not None
                and (types or {}).get(leaf_id) == object_type
                and s - object_end <= 60
                and _LIST_GAP.match(text[object_end:s])
                # (nothing kept since the object: a window or a threshold between ends the list)
                and (not objects or kept[-1][2] == objects[0])
            ):
                object_end = e
                if objects:
                    objects.append(leaf_id)
                    kept[-1] = (kept[-1][0], e, objects[0], "entity")
                    groups = {**groups, objects[0]: ("any", list(objects))}
                continue
            object_end = None
        kept.append(leaf)
    if len(kept) + (sum(len(groups[leaf[2]][1]) - 1 for leaf in kept if leaf[2] in groups) if groups else 0) < 2:
        return None

    def node(leaf: tuple[int, int, str, str]) -> dict[str, Any]:
        if leaf[2] in groups:
            op, members = groups[leaf[2]]
            return {"op": op, "args": [{"ref": m} for m in members]}
        return {"ref": leaf[2]}

    # clauses at ';' / '. ', phrases at commas
    clauses: list[tuple[str, list[list[tuple[int, int, str, str]]], list[str]]] = []
    for k, leaf in enumerate(kept):
        gap = text[kept[k - 1][1] : leaf[0]] if k else ""
        if k == 0 or re.search(r";|\.\s", gap):
            clauses.append((_lead_connector(re.split(r";|\.\s", gap)[-1]) if k else "default", [[leaf]], []))
        elif "," in gap or "(" in gap and ")" in gap:
            clauses[-1][1].append([leaf])
            clauses[-1][2].append(_lead_connector(gap[gap.rfind(",") :] if "," in gap else gap))
        else:
            clauses[-1][1][-1].append(leaf)

    for _conn, phrases, phrase_conns in clauses:
        _serial_list(text, phrases, phrase_conns)

    clause_nodes: list[tuple[dict[str, Any], str]] = []
    for conn, phrases, phrase_conns in clauses:
        pending: list[tuple[dict[str, Any], str]] = []
        for pi, phrase in enumerate(phrases):
            if any(leaf[3] == "constraint" for leaf in phrase):
                phrase = [
                    leaf for leaf in phrase if leaf[3] != "entity" or (types or {}).get(leaf[2]) in _BESIDE_THRESHOLD
                ]
            items: list[tuple[dict[str, Any], str]] = []
            for k, leaf in enumerate(phrase):
                if leaf[3] == "window":
                    before = [
                        *pending,
                        *(
                            [(_combine_phrase(items, default), phrase_conns[pi - 1] if pi else "default")]
                            if items
                            else []
                        ),
                    ]
                    scope = _combine(before, default) if before else None
                    combined = {"op": "all", "args": [scope, node(leaf)]} if scope else node(leaf)
                    pending, items = [(combined, "default")], []
                    continue
                c = _gap_connector(text[phrase[k - 1][1] : leaf[0]]) if k else "default"
                if c == "all" and default == "any" and _exclusive_states(text, phrase[k - 1], leaf):
                    c = "any"  # "Pregnant and lactating women" excludes either
                elif c == "all" and _both_sexes(text, phrase[k - 1], leaf):
                    c = "any"  # "Male and female subjects" are either
                items.append((node(leaf), c if k else "default"))
            if items:
                # after a window in this phrase, the first item's own connector joins it ("within 5
                # years (other than ...)", "within 4 weeks or radiotherapy")
                lead = items[0][1] if pending and items[0][1] != "default" else "default"
                if pi and pending and lead == "default":
                    lead = phrase_conns[pi - 1]
                pending.append((_combine_phrase(items, default), lead))
        if pending:
            clause_nodes.append((_combine(pending, default), conn))
    if not clause_nodes:
        return None
    return _clean(_combine(clause_nodes, default))


# in a phrase that states a threshold, what stays a leaf beside it: a condition, drug, procedure, device
# or person is a requirement of its own ("Moderate or severe ED (IIEF score < 21)", "Male or female aged
# 18 to 65", "Hypertension and creatinine < 2 mg/dL"); a qualifier, an observation or a measure that is
# not the threshold's subject only says how or where it is measured
_BESIDE_THRESHOLD = frozenset(("Condition", "Drug", "Procedure", "Device", "Person"))


# between two items of one list: a connector, after any unrecognised items ("ginseng, L-citrulline,
# canola oil or soybean oil"; "PDE-5 inhibitors, such as Viagra, Levitra"), the preposition repeated
_LIST_GAP = re.compile(
    r"^(?:\s*,\s*[\w\-' ]{1,30}?)*\s*,?\s*(?:(?:and/or|or|and|nor)\b|/|,)\s*"
    r"(?:(?:both|either|any\s+of)\s+)?(?:to\s+)?(?:the\s+)?$",
    re.IGNORECASE,
)
_BARE_AND = re.compile(r"\s*and\s*", re.IGNORECASE)
_BARE_OR = re.compile(r"\s*or\s*", re.IGNORECASE)
_BARE_COMMA = re.compile(r"\s*,\s*")
_BARE_COMMA_OR = re.compile(r"\s*,\s*(?:or\s+)?", re.IGNORECASE)
_AND_WORD = re.compile(r"\band\b", re.IGNORECASE)


def _exclusive_states(text: str, a: tuple[int, int, str, str], b: tuple[int, int, str, str]) -> bool:
    """Whether two leaves a few words apart name states a participant is in one at a time (pregnant,
    lactating; not "pregnant and will be beyond the first 3 months of pregnancy")."""
    words = word_set("exclusive_states")
    return b[0] - a[1] <= 20 and text[a[0] : a[1]].lower() in words and text[b[0] : b[1]].lower() in words


def _both_sexes(text: str, a: tuple[int, int, str, str], b: tuple[int, int, str, str]) -> bool:
    """Whether two leaves a few words apart name different sexes ("Male patients and female patients")."""
    words = word_set("both_sexes")
    first = {w for w in re.findall(r"[a-z]+", text[a[0] : a[1]].lower()) if w in words}
    second = {w for w in re.findall(r"[a-z]+", text[b[0] : b[1]].lower()) if w in words}
    return b[0] - a[1] <= 20 and bool(first) and bool(second) and first != second


def _excepted_in_bracket(text: str, pos: int) -> bool:
    """Whether the bracket ``pos`` is in opens with an exception ("malignancy (other than basal cell
    carcinoma)"): what it names is excepted, no example."""
    opened = text.rfind("(", 0, pos)
    return opened >= 0 and ")" not in text[opened:pos] and bool(_words()["_exception"].match(text, opened + 1))


def _serial_list(text: str, phrases: list[list[tuple[int, int, str, str]]], conns: list[str]) -> None:
    """A list of single mentions "A, B and C" / "A, B, and C" is one list, read by the criterion's
    side like its commas ("History of erectile dysfunction, priapism and Peyronie disease": any of the
    three in an exclusion criterion, all three in an inclusion one), not "A, (B and C)"; "A, B, or C"
    and "A, B or C", their members joined by bare commas, are any of them on either side ("Prior
    chemotherapy, radiotherapy, or surgery"), not "(A and B) or C". In place."""
    if len(phrases) < 2 or any(len(p) != 1 or p[0][3] != "entity" for p in phrases[:-1]):
        return
    if any(c != "default" for c in conns[:-1]):
        return
    last = phrases[-1]
    gap = text[phrases[-2][-1][1] : last[0][0]]

    # (an "or" list is one where its members are joined by bare commas: "Neutropenia, due either to
    # zidovudine or HIV infection" is none)
    def bare_commas() -> bool:
        return all(
            _BARE_COMMA.fullmatch(text, a[-1][1], b[0][0]) for a, b in zip(phrases[:-2], phrases[1:-1], strict=True)
        ) and bool(_BARE_COMMA_OR.fullmatch(text, phrases[-2][-1][1], last[0][0]))

    if len(last) == 1 and last[0][3] == "entity" and conns[-1] == "all" and _AND_WORD.search(gap):  # "A, B, and C"
        conns[-1] = "default"
    elif (
        last[0][3] == "entity"
        and conns[-1] == "any"
        and all(leaf[3] == "window" for leaf in last[1:])
        and bare_commas()
    ):
        # "A, B, or C" is any of them (also with a window after it, which times the whole list)
        conns[:-1] = ["any"] * (len(conns) - 1)
    elif (
        len(last) == 2
        and conns[-1] == "default"
        and all(leaf[3] == "entity" for leaf in last)
        and _BARE_OR.fullmatch(text, last[0][1], last[1][0])
        and bare_commas()
    ):  # "A, B or C"
        phrases[-1:] = [[last[0]], [last[1]]]
        conns[:] = ["any"] * (len(conns) + 1)
    elif (
        len(last) == 2
        and conns[-1] == "default"
        and all(leaf[3] == "entity" for leaf in last)
        and _BARE_AND.fullmatch(text, last[0][1], last[1][0])
    ):  # "A, B and C"
        phrases[-1:] = [[last[0]], [last[1]]]
        conns.append("default")


def _clean(tree: dict[str, Any]) -> dict[str, Any]:
    """Drop private keys; merge a child into its parent when both have the same op."""
    if "ref" in tree:
        return {"ref": tree["ref"]}
    args: list[dict[str, Any]] = []
    for a in tree["args"]:
        c = _clean(a)
        if "op" in c and c["op"] == tree["op"] and tree["op"] in {"all", "any"}:
            args.extend(c["args"])
        else:
            args.append(c)
    return {"op": tree["op"], "args": args}
