"""Named formulas in a criterion, kept as data, not text: written out (the MDRD eGFR equation, a
body mass index defined as weight over height squared) or cited by name ("Cockcroft-Gault formula")."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from .rules import FormulaRule, load_rules

_NUM = r"[-−–]?\s?\d+(?:\.\d+)?"
_MDRD_NAME = re.compile(r"\bMDRD\b(?:\s+(?:formula|equation))?", re.IGNORECASE)
_ASSIGN = re.compile(r"eGFR\s*(?:\((?P<unit>[^)]{1,40})\))?\s*=\s*(?P<coef>\d+(?:\.\d+)?)", re.IGNORECASE)
_TERM = re.compile(
    rf"[×x*]\s*(?P<var>[A-Za-z][A-Za-z ]{{0,40}}?(?:\s*\((?P<abbr>[A-Za-z]{{1,6}})\))?)\s*\^?\s*(?P<exp>{_NUM})"
)
_ADJUST = re.compile(
    r"multipl(?:y|ied)\s+by\s+(?P<factor>\d+(?:\.\d+)?)\s+(?:if|for)\s+(?:the\s+)?(?:subject|patient)?\s*(?:is\s+)?(?:an?\s+)?(?P<cond>female|woman|black|african[- ]american)",
    re.IGNORECASE,
)
#: published MDRD (IDMS-traceable 175 or original 186) coefficients, to flag a formula written differently
MDRD_PUBLISHED = {"female": 0.742, "black": 1.212, "creatinine": -1.154, "age": -0.203}


def find_formulas(text: str) -> list[dict[str, Any]]:
    """Formulas in a criterion's text, with offsets relative to it, in text order. Each carries
    ``kind``: "written" (an equation: its text is no threshold, window or mention of its own),
    "definition" (a body mass index defined in words: its numbers are no threshold) or "citation"
    (a name only)."""
    lowered = text.lower()  # (most texts name no formula: each pattern runs only where its word is)
    written = [
        *(_written_egfr(text) if "gfr" in lowered else ()),
        *(_bmi_definitions(text) if "height" in lowered else ()),
    ]
    named = _citations(text) if any(w in lowered for w in ("formula", "equation", "calculation")) else []
    cited = [f for f in named if not any(w["start"] < f["end"] and f["start"] < w["end"] for w in written)]
    return sorted(written + cited, key=lambda f: (f["start"], f["end"]))


def _written_egfr(text: str) -> list[dict[str, Any]]:
    """An eGFR equation written out ("eGFR = 186 x Scr^-1.154 x age^-0.203 x 0.742 if female")."""
    out: list[dict[str, Any]] = []
    name = _MDRD_NAME.search(text)
    assign = _ASSIGN.search(text)
    if not assign:
        return out
    start = name.start() if name and name.start() < assign.start() else assign.start()
    end = assign.end()
    terms = []
    pos = assign.end()
    for m in _TERM.finditer(text, assign.end()):
        if m.start() - pos > 3:
            break
        var = m.group("abbr") or m.group("var").strip()
        var = "creatinine" if var.lower() in {"scr", "serum creatinine", "cr"} else var.lower()
        exponent = float(re.sub(r"\s", "", m.group("exp")).replace("−", "-").replace("–", "-"))
        terms.append({"variable": var, "exponent": exponent})
        pos = end = m.end()
    if not terms:
        return out  # ("eGFR = 30 mL/min/1.73m2": a threshold written with "=", no equation)
    adjustments = []
    for m in _ADJUST.finditer(text, pos):
        cond = m.group("cond").lower()
        adjustments.append(
            {"condition": "female" if cond in {"female", "woman"} else cond, "factor": float(m.group("factor"))}
        )
        end = max(end, m.end())
        closing = text.find(")", m.end(), m.end() + 3)
        if closing != -1:
            end = closing + 1
    unit = assign.group("unit")
    formula: dict[str, Any] = {
        "name": "MDRD" if name else "eGFR equation",
        "output": "eGFR",
        "unit": unit.strip() if unit else None,
        "ucum": "mL/min/{1.73_m2}" if unit and "1.73" in unit else None,
        "coefficient": float(assign.group("coef")),
        "terms": terms,
        "adjustments": adjustments,
        "start": start,
        "end": end,
        "kind": "written",
    }
    out.append(formula)
    return out


_FORMULA_WORD = r"\s*(?:formulae?|formulas|equations?|calculation)\b"
_BMI_DEFINITION = re.compile(
    r"(?P<weight>(?:body\s+)?weight)(?:\s*[(\[]\s*kg\s*[)\]]|\s+in\s+(?:kg|kilograms?))?\s*/\s*(?P<open>\()?\s*"
    r"height(?:\s*[(\[]\s*m\s*[)\]]|\s+in\s+(?:m|met(?:er|re)s?))?\s*(?(open)\))"
    r"\s*(?:\^\s*2|2\b|²|squared)"
    r"|(?P<weight2>(?:body\s+)?weight)(?:\s*[(\[]\s*kg\s*[)\]]|\s+in\s+(?:kg|kilograms?))?\s*/\s*"
    r"height\s+in\s+(?:sqm|square\s+met(?:er|re)s?|m2|m²)\b",
    re.IGNORECASE,
)
_QUETELET = re.compile(r"\bQuetelet(?:'s)?\s+index\b", re.IGNORECASE)


@cache
def _citation_patterns() -> tuple[tuple[FormulaRule, re.Pattern[str]], ...]:
    return tuple(
        (rule, re.compile(rf"\b(?:{rule.regex}){_FORMULA_WORD}", re.IGNORECASE))
        for rule in load_rules("formulas.json", FormulaRule)
    )


def _citations(text: str) -> list[dict[str, Any]]:
    """Formulas named with the word "formula" or "equation" ("creatinine clearance (Cockcroft-Gault
    formula)", "4 variable MDRD GFR equation"): what they compute, nothing written out."""
    out: list[dict[str, Any]] = []
    for rule, pattern in _citation_patterns():
        for m in pattern.finditer(text):
            if any(f["start"] < m.end() and m.start() < f["end"] for f in out):
                continue
            out.append(
                {"name": rule.name, "output": rule.output, "unit": None, "ucum": rule.ucum}
                | {"start": m.start(), "end": m.end(), "kind": "citation"}
            )
    return out


def _bmi_definitions(text: str) -> list[dict[str, Any]]:
    """A body mass index defined in words ("weight in kg/(height in m)2"), named as the text names it
    (a "Quetelet index" just before it) or BMI."""
    out: list[dict[str, Any]] = []
    for m in _BMI_DEFINITION.finditer(text):
        quetelet = _QUETELET.search(text, max(0, m.start() - 60), m.start())
        weight = (m.group("weight") or m.group("weight2")).lower()
        out.append(
            {
                "name": "Quetelet index" if quetelet else "BMI",
                "output": "body mass index",
                "unit": None,
                "ucum": "kg/m2",
                "terms": [
                    {"variable": re.sub(r"\s+", " ", weight), "exponent": 1.0},
                    {"variable": "height", "exponent": -2.0},
                ],
                "adjustments": [],
                "start": m.start(),
                "end": m.end(),
                "kind": "definition",
            }
        )
    return out


def differences_from_published(formula: dict[str, Any]) -> list[str]:
    """Where a written MDRD formula differs from the published one (typos in the source)."""
    notes: list[str] = []
    if formula["name"] != "MDRD":
        return notes
    for adj in formula.get("adjustments", []):
        ref = MDRD_PUBLISHED.get(adj["condition"])
        if ref is not None and abs(adj["factor"] - ref) > 1e-9:
            notes.append(f"{adj['condition']} factor written {adj['factor']}, published MDRD uses {ref}")
    for term in formula.get("terms", []):
        ref = MDRD_PUBLISHED.get(term["variable"])
        if ref is not None and abs(term["exponent"] - ref) > 1e-9:
            notes.append(f"exponent of {term['variable']} written {term['exponent']}, published MDRD uses {ref}")
    if formula.get("coefficient") not in {175.0, 186.0}:
        notes.append(f"coefficient written {formula.get('coefficient')}, published MDRD uses 175 or 186")
    return notes
