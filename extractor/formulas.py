"""Named formulas written out in a criterion (the MDRD eGFR equation), kept as data, not text."""

from __future__ import annotations

import re
from typing import Any

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
    """Formulas in a criterion's text, with offsets relative to it."""
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
    }
    out.append(formula)
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
