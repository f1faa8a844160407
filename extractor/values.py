"""Numeric and ordinal thresholds: comparator + number/range + unit, ULN/LLN multiples, scores, counts.

Each pattern *proposes* a match; named checks (``check_*``) confirm it (the unit is plausible, the
range is ordered), and every confirmed value records which rule produced it.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from .rules import word_list, word_pattern, word_set
from .trie import casefree_lower, led_trie_starts, start_guard, trie_pattern
from .units import DURATION_UCUM, registry

# Longest first, so "greater than or equal to" wins over "greater than".
_COMPARATOR_WORDS: list[tuple[str, str]] = [
    ("greater than or equal to", ">="),
    ("over or equal to", ">="),
    ("above or equal to", ">="),
    ("superior or equal to", ">="),
    ("under or equal to", "<="),
    ("below or equal to", "<="),
    ("inferior or equal to", "<="),
    ("more than or equal to", ">="),
    ("less than or equal to", "<="),
    ("higher than or equal to", ">="),
    ("lower than or equal to", "<="),
    ("= or <", "<="),
    ("< or =", "<="),
    ("= or >", ">="),
    ("> or =", ">="),
    ("≤/=", "<="),
    ("≥/=", ">="),
    (">/=", ">="),
    ("</=", "<="),
    ("> / =", ">="),
    ("< / =", "<="),
    ("equal to or greater than", ">="),
    ("equal to or more than", ">="),
    ("equal to or less than", "<="),
    ("equal to or lower than", "<="),
    ("equal to or higher than", ">="),
    ("equal to or above", ">="),
    ("equal to or over", ">="),
    ("equal to or below", "<="),
    ("equal to or under", "<="),
    ("equal to or older than", ">="),
    ("equal to or younger than", "<="),
    ("equal or older than", ">="),
    ("equal or younger than", "<="),
    ("above/equal", ">="),
    ("below/equal", "<="),
    ("above/equal to", ">="),
    ("below/equal to", "<="),
    # written by translation: "more or equal to 2", "equal or greater than 18", "superior to 3"
    ("greater or equal to", ">="),
    ("greater or equal than", ">="),
    ("more or equal to", ">="),
    ("more or equal than", ">="),
    ("higher or equal to", ">="),
    ("less or equal to", "<="),
    ("less or equal than", "<="),
    ("lower or equal to", "<="),
    ("lower or equal than", "<="),
    ("higher or equal than", ">="),
    ("equal or greater than", ">="),
    ("equal or higher than", ">="),
    ("equal or more than", ">="),
    ("equal or less than", "<="),
    ("equal or lower than", "<="),
    ("superior to", ">"),
    ("inferior to", "<"),
    ("greater than or equal", ">="),
    ("less than or equal", "<="),
    ("no greater than", "<="),
    ("not greater than", "<="),
    ("no higher than", "<="),
    ("not higher than", "<="),
    ("no more than", "<="),
    ("not more than", "<="),
    ("not to exceed", "<="),
    ("does not exceed", "<="),
    ("not exceed", "<="),
    ("at or below", "<="),
    ("at or above", ">="),
    ("no lower than", ">="),
    ("not lower than", ">="),
    ("no fewer than", ">="),
    ("not fewer than", ">="),
    ("not exceeding", "<="),
    ("not less than", ">="),
    ("no less than", ">="),
    ("at least", ">="),
    ("at most", "<="),
    ("up to", "<="),
    ("a minimum of", ">="),
    ("a maximum of", "<="),
    ("minimum of", ">="),
    ("maximum of", "<="),
    # "maximum 33% obliteration of the spinal channel", "minimum 18 years"
    ("minimum", ">="),
    ("maximum", "<="),
    ("longer than", ">"),
    ("shorter than", "<"),
    ("larger than", ">"),
    ("bigger than", ">"),
    ("smaller than", "<"),
    ("greater than", ">"),
    # ("less then or equal to 2": "than" misspelt)
    ("greater then or equal to", ">="),
    ("less then or equal to", "<="),
    ("more then or equal to", ">="),
    ("greater then", ">"),
    ("less then", "<"),
    ("more then", ">"),
    ("older than", ">"),
    ("younger than", "<"),
    ("over the age of", ">"),
    ("above the age of", ">"),
    ("under the age of", "<"),
    ("below the age of", "<"),
    ("under age of", "<"),
    ("under age", "<"),
    # "over age 65", "beyond age 50", "older than age 70": the age word between comparator and number
    ("over age of", ">"),
    ("over age", ">"),
    ("above age of", ">"),
    ("above age", ">"),
    ("below age of", "<"),
    ("below age", "<"),
    ("beyond the age of", ">"),
    ("beyond age", ">"),
    ("older than the age of", ">"),
    ("older than age", ">"),
    ("younger than the age of", "<"),
    ("younger than age", "<"),
    ("more than", ">"),
    ("higher than", ">"),
    ("exceeding", ">"),
    ("in excess of", ">"),
    ("not in excess of", "<="),
    ("exceeds", ">"),
    ("exceed", ">"),
    ("above", ">"),
    ("over", ">"),
    ("less than", "<"),
    ("lower than", "<"),
    ("fewer than", "<"),
    ("below", "<"),
    ("under", "<"),
    ("equal to", "="),
    (">=", ">="),
    ("> =", ">="),
    ("=>", ">="),
    ("≥", ">="),
    ("≧", ">="),
    ("⩾", ">="),
    ("<=", "<="),
    ("< =", "<="),
    ("=<", "<="),
    ("≤", "<="),
    ("≦", "<="),
    ("⩽", "<="),
    # the signs' UTF-8 bytes once read as Windows-1252, as some registry records hold them ("score of
    # â‰¤ 25", NCT00249730)
    ("â‰¥", ">="),
    ("â‰¤", "<="),
    (">", ">"),
    ("<", "<"),
    ("=", "="),
    ("≠", "!="),
]
COMPARATORS = dict(_COMPARATOR_WORDS)
# one trie over the comparator words (longest wins); a word comparator must end at a word boundary
_COMP_END = r"(?:(?<=[^\w])|\b)"
# ... and may be restated as a symbol in brackets ("less than or equal to (<=) 30")
_COMP_RESTATED = r"(?:[ \t]{0,2}\([ \t]{0,2}[<>≤≥=]{1,2}[ \t]{0,2}\))?"
_COMP = rf"(?:{trie_pattern(sorted(w for w, _ in _COMPARATOR_WORDS))}){_COMP_END}{_COMP_RESTATED}"
_NUM = r"\d{1,7}(?:[.,]\d{1,6})?"
# between a number and its unit, or a comparator and its number: a few spaces, or a line break of
# hard-wrapped registry text ("creatinine less than 1.5\r\n     mg/dL", "greater than\r\n     10
# g/dL"); both alternatives are bounded
#: the line break of hard-wrapped registry text, with the indent around it (bounded)
WRAPPED_BREAK = r"[ \t]{0,3}\r?\n[ \t]{0,12}"
_UNIT_GAP = rf"(?:{WRAPPED_BREAK}|\s{{0,3}})"
_RANGE_SEP = r"\s{0,3}(?:~|～|-|–|—|to|and|through)\s{0,3}"
_ROMAN = r"(?:IV|V|I{1,3})"

COMPARATOR_RE = re.compile(rf"(?P<comp>{_COMP})", re.IGNORECASE)

# "3 times the upper limit of normal (ULN)", "3 x ULN", "1.5×ULN", "twice the ULN"
_LIMIT = (
    r"(?P<limit>(?:the\s+)?(?:institutional\s+)?(?:(?:upper|lower)\s+(?:(?:limits?|levels?)\s+of\s+(?:the\s+)?"
    # "the upper limit of the institutional norm", "upper level of the normal value"
    r"(?:institutional\s+)?norm(?:al)?\b|normal\s+limits?|limits?\s+normal"
    # "3 times the upper limit in presence of liver metastases": a limit with its "of normal" left out
    r"|limits?\b(?!\s+of\b))"
    # ("3 times more than normal upper range")
    r"|normal\s+(?:upper|lower)\s+(?:limits?|range)"
    # ("one and a half times more than maximum normal range": its upper limit)
    r"|max(?:imum|\.)?\s+normal\s+(?:range|limits?|values?))(?:\s+range|\s+value)?"
    r"(?:\s*\(\s*(?:ULN|LLN|UNL)\s*\))?|(?:(?:the\s+)?institutional\s+)?(?:ULN|LLN|UNL))"
)
# number words ("at least two years", "three times ULN")
_SPELLED = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
# a multiple of a limit written in words ("twice the upper limit"): one table for the pattern, its start
# guard and the value read
# ("more than two and a half times above the upper limits of normal": a half more, in words)
_HALF_MORE = {f"{w} and a half": n + 0.5 for w, n in _SPELLED.items() if 1 <= n <= 9}
_MULTIPLE_WORDS = _HALF_MORE | {"twice": 2} | {w: n for w, n in _SPELLED.items() if 2 <= n <= 10}
# (the words of a half more before the plain number word they start with)
_MULT = rf"{_NUM}|" + "|".join(w.replace(" ", r"\s+") for w in _MULTIPLE_WORDS)


def _multiple_value(written: str) -> float:
    """The multiple a limit of normal is taken, written in digits or words ("2.5", "twice", "two and
    a half", however spaced)."""
    return float(_MULTIPLE_WORDS.get(" ".join(written.lower().split())) or parse_number(written))


# "3 x ULN", "1.5 times the upper limit of normal"; "2.5ULN" (no sign) only before the abbreviation
ULN_RE = re.compile(
    rf"(?:(?P<comp>{_COMP}){_UNIT_GAP})?(?P<mult>{_MULT}){_UNIT_GAP}"
    # ("3 times of normal upper limit": an "of" before the limit)
    # "≤ 1.5 times greater than the upper limit of normal": "greater than" after the multiple is the
    # comparator only where none is written before it ("2 times higher than the ULN")
    rf"(?:(?:times|x|×|X|\*|-?fold){_UNIT_GAP}(?:(?P<more>greater|higher|more|above)\s+(?:than\s+)?)?(?:the\s+)?(?:(?:(?:value|that)\s+)?of\s+(?:the\s+)?)?"
    rf"|(?=(?:institutional\s+)?(?:ULN|LLN|UNL)\b)"
    # "> 1.6 upper limits of normal": a multiple written straight before the spelled-out limit
    rf"|(?=(?:the\s+)?(?:upper|lower|normal\s+upper|normal\s+lower)\s)){_LIMIT}"
    # "PTT > 1.4 times normal", "2.5 times normal limit": the multiple of the normal value, read as
    # of its upper limit; "1.5 x control": of the control value (prothrombin and thromboplastin times)
    rf"|(?:(?P<comp2>{_COMP}){_UNIT_GAP})?(?P<mult2>{_MULT}){_UNIT_GAP}(?:times|x|×|-?fold){_UNIT_GAP}"
    r"(?:(?:the\s+)?of\s+)?(?:the\s+)?(?:institutional\s+)?(?P<normal>normal|control)\b(?:\s+(?:values?|range|levels?|limits?))?"
    r"(?!\s+(?:upper|lower|size|saline))",
    re.IGNORECASE,
)
# "greater than 25% below the lower limit of normal" (< 0.75 x LLN), "more than 10% above the upper
# limit of normal" (> 1.1 x ULN), "at least 50% of the upper limit of normal" (>= 0.5 x ULN)
PERCENT_LIMIT_RE = re.compile(
    rf"(?:(?P<comp>{_COMP}){_UNIT_GAP})?(?P<pct>{_NUM})[ \t]?(?:%|percent)\s{{1,3}}"
    r"(?:(?P<side>below|under|lower\s+than|less\s+than|above|over|greater\s+than|higher\s+than|more\s+than)\s{1,3}"
    rf"|of\s{{1,3}}){_LIMIT}",
    re.IGNORECASE,
)
_WITHIN_BEFORE = re.compile(r"\bwithin\s{1,3}$", re.IGNORECASE)
# a comparator on how far below a limit a value is, turned into one on the value
_TURNED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "="}
ULN_BARE_RE = re.compile(rf"(?P<comp>{_COMP}){_UNIT_GAP}{_LIMIT}", re.IGNORECASE)
# "LDH greater than normal", "below normal": past the normal range, beyond its upper (lower) limit
# (not by an amount written before it: "1 second above the normal range", "3 times above normal")
_AMOUNT_BEFORE = re.compile(r"(?<![\w.])\d[\d.,]*(?:[ \t]*%|[ \t]*[^\s\d]+)?[ \t\r\n]*$")
NORMAL_BARE_RE = re.compile(
    r"\b(?:(?P<above>greater\s+than|more\s+than|higher\s+than|above|exceeding)|(?P<below>less\s+than|lower\s+than|below))"
    r"\s{1,3}(?:the\s+)?(?:institutional\s+)?normal\b(?:\s{1,3}(?:limits?|ranges?|values?|levels?)\b)?"
    # (never a normal limit's own value: "less than the normal limit of 40")
    r"(?!\s*(?:limits?|ranges?|values?|levels?|upper|lower|of\s+\S*\d|saline|size|volunteers?|subjects?|controls?|people"
    r"|individuals?|[-/]))",
    re.IGNORECASE,
)

# "at least 1 system is A", ">2 systems reach B"
COUNT_RE = re.compile(
    rf"(?:(?P<comp>{_COMP}){_UNIT_GAP})(?P<num>\d{{1,3}})\s{{0,3}}(?P<unit>(?:organ\s+)?systems?|domains?|items?)"
    r"\s{1,3}(?:is|are|reach(?:es)?|scored?|of|with|graded?)\s{1,3}(?:grade\s+)?(?P<grade>[A-E])\b",
)

# "18~65 years", "0~2 points", "0-1"
# "0,25 cm² to 5,0 cm²": the unit may be written after both numbers (confirmed: the same unit); a
# number never starts inside another or a unit's power ("cm2 and 5"), but may after a word
# ("status0-2")
RANGE_RE = re.compile(
    rf"(?<![0-9.,mM])(?P<low>{_NUM})(?:[ \t]{{0,3}}(?P<u1>UNIT))?"
    # after a unit, on the same line: "2 years\n- 18-45 years" is two items
    rf"(?(u1)[ \t]{{0,3}}(?:~|～|-|–|—|to|and|through)[ \t]{{0,3}}|{_RANGE_SEP})(?P<high>{_NUM}){_UNIT_GAP}(?P<unit>UNIT)?",
    re.IGNORECASE,
)
_LIST_BEFORE = re.compile(r"\d[ \t]*,[ \t]*$")
_COMP_RIGHT_BEFORE = re.compile(rf"(?P<comp>{_COMP})[ \t]{{0,3}}$", re.IGNORECASE)
# "between 6 months and <16 years", "24 months to 16 years", "15 days to 2 years old": a range (of ages
# mostly) whose bounds are written in two time units, read as a lower and an upper bound each in its
# own unit; a window's ("3 months to 3 years before initiation") is left to the windows
_TIME_UNIT = r"(?:days?|weeks?|wks?|months?|mos?|years?|yrs?)"
TIME_UNITS_RANGE_RE = re.compile(
    rf"(?:(?P<c1>{_COMP}){_UNIT_GAP})?(?<![0-9.,])(?P<low>{_NUM}){_UNIT_GAP}(?P<u1>{_TIME_UNIT})\b(?:\s+old)?[ \t]{{0,3}}"
    r"(?:-|–|to|and|through)"
    rf"{_UNIT_GAP}(?:(?P<comp>{_COMP}){_UNIT_GAP})?(?P<high>{_NUM}){_UNIT_GAP}(?P<unit>{_TIME_UNIT})\b"
    r"(?!\s*(?:before|prior|after|ago|since|following|from|post|preceding)\b)",
    re.IGNORECASE,
)
# the lower bound of a range of multiples of a limit, up to its separator: "1.0 - 1.5 x ULN", "between
# 1.5 and 3 times ULN", "1.5 x ULN to 3 x ULN" (ULN_RE reads the upper bound after it)
_LIMIT_RANGE_LOW = re.compile(
    rf"(?<![\d.,])(?:between\s+)?(?P<low>{_NUM})[ \t]{{0,3}}"
    r"(?:(?:x|×|times)[ \t]{0,3}(?:(?:the\s+)?(?:ULN|LLN|upper\s+limits?\s+of\s+normal)[ \t]{0,3})?)?"
    r"(?:-|–|to|and)[ \t]{0,3}(?=\d)",
    re.IGNORECASE,
)
# "≥19 to ≤ 30 kg/m2": a range written with two comparators
BOUNDED_RANGE_RE = re.compile(
    rf"(?P<c1>{_COMP}){_UNIT_GAP}(?P<low>{_NUM})\s{{0,3}}(?P<u1>UNIT)?"
    # ("at least 18 years old and less than 80 years old")
    r"(?(u1)(?:[ \t]{1,3}(?:old|of[ \t]+age))?)"
    # the joining word may follow a hard wrap; a dash after a line break is the next line's bullet
    rf"(?:[ \t]{{0,3}},?[ \t]{{0,3}}(?:to|and|but|-|–|up\s+to)|{WRAPPED_BREAK}(?:to|and|but|up\s+to))\s{{0,3}}"
    rf"(?P<c2>{_COMP}){_UNIT_GAP}(?P<high>{_NUM})\s{{0,3}}(?P<unit>UNIT)?",
    re.IGNORECASE,
)
# "7.0% ≤ HbA1c ≤ 10.5%", "18 ≤ age ≤ 75 years": the measure written between its two bounds
_BELOW_SIGN = r"(?:<=|=<|<|≤|≦|⩽)"
_ABOVE_SIGN = r"(?:>=|=>|>|≥|≧|⩾)"
MEASURE_BETWEEN_RE = re.compile(
    rf"(?<![A-Za-z0-9.,])(?P<low>{_NUM})\s{{0,3}}(?P<u1>UNIT)?\s{{0,3}}(?P<c1>{_BELOW_SIGN}|{_ABOVE_SIGN})\s{{0,3}}"
    r"(?P<measure>[A-Za-z][\w\-/]{0,20}(?:[ \t][A-Za-z][\w\-/]{0,20}){0,3})"
    rf"\s{{0,3}}(?P<c2>{_BELOW_SIGN}|{_ABOVE_SIGN})\s{{0,3}}(?P<high>{_NUM}){_UNIT_GAP}(?P<unit>UNIT)?",
    re.IGNORECASE,
)
# where a measure can stand between two bounds: a sign with a word after it ("≤ HbA1c")
_SIGN_BEFORE_WORD = re.compile(r"[<>≤≥≦≧⩽⩾]=?[ \t]{0,3}[A-Za-z]")
# "< 221.0 μmol/L", "≥ 3 months", "SLEDAI>12 points"
COMPARISON_RE = re.compile(rf"(?P<comp>{_COMP}){_UNIT_GAP}(?P<num>{_NUM}){_UNIT_GAP}(?P<unit>UNIT)?", re.IGNORECASE)
# "Fewer than 200 CD4+ cells/mm3", "Over 500 HIV-1 RNA copies/ml", "<5 WBC per μL": a count per volume
# (or per field) with what is counted named between the number and its unit
# (never a scale word: "154 k/mm3" is thousands, "4.4 micro IU/ml" a unit's prefix)
_ANALYTE_WORD = (
    r"(?!(?:of|and|or|per|in|on|at|the|an?|with|to|for|from|than|times|x|k|thousands?|millions?|mio|micro|milli)\b)"
    r"[A-Za-z][\w+\-]{1,15}"
)
ANALYTE_UNIT_RE = re.compile(
    rf"[ \t]{{1,3}}(?P<analyte>{_ANALYTE_WORD}(?:[ \t]{{1,3}}{_ANALYTE_WORD}){{0,3}}?)[ \t]{{0,3}}(?P<unit>UNIT)",
    re.IGNORECASE,
)
_ANALYTE_UNIT_UCUM = frozenset({"/uL", "/mm3", "/nL", "{copies}/mL", "/[HPF]"})
# (per litre or millilitre only where the unit says it counts cells: "pcg/ml" is a mass concentration)
_CELLS_UNIT_UCUM = frozenset({"/L", "/mL"})
_CELLS_WORD = re.compile(r"cells?\b", re.IGNORECASE)
# "greater than three (3) months", "at least two years": a spelled-out count of a time unit
_NUMBER_WORD = re.compile(start_guard(_SPELLED) + r"\b(?:" + "|".join(_SPELLED) + r")\b", re.IGNORECASE)
WORD_DURATION_RE = re.compile(
    rf"(?P<comp>{_COMP}){_UNIT_GAP}(?P<word>{'|'.join(_SPELLED)})(?:\s{{0,2}}\(\s{{0,2}}\d{{1,2}}\s{{0,2}}\))?\s{{1,3}}"
    r"(?P<unit>years?|months?|weeks?|days?)\b",
    re.IGNORECASE,
)
# "at least a 3-month history", "more than 2-year", "at least an 18-month": a duration written as an
# adjective (a hyphen between number and unit, or an article before the number); never after "over",
# "under", "above" or "below" ("over a 12-month period" is the period, not a limit)
HYPHENATED_DURATION_RE = re.compile(
    rf"(?P<comp>{_COMP}){_UNIT_GAP}(?P<article>an?[ \t]{{1,3}})?(?P<num>\d{{1,3}}(?:\.\d{{1,2}})?|{'|'.join(_SPELLED)})"
    r"(?P<join>[ \t]?[-‐][ \t]?|[ \t]{1,2})(?P<unit>(?:year|month|week|day|hour)s?)\b",
    re.IGNORECASE,
)
_NOT_DURATION_LIMITS = frozenset({"over", "under", "above", "below"})
# "must be 18 years of age", "must be 21 years old" (not "... or younger", which says the other bound)
MUST_BE_AGE_RE = re.compile(
    r"\bmust\s+be\s+(?P<num>1[2-9]|[2-9]\d)\s+(?P<unit>years?)\s+(?:of\s+age|old)\b"
    r"(?!\s*(?:or|and)\s+(?:older|younger|over|under|above|below|less|more|greater|up|less))",
    re.IGNORECASE,
)
_DOTTED_THOUSANDS = re.compile(r"\d{1,3}\.\d{3}")
# counts of cells per volume, never written with three decimals
_CELL_COUNT_UCUM = frozenset({"/uL", "/mm3", "{cells}/uL", "{cells}/mm3"})
# a size in two or three dimensions after a comparator ("greater than 2 x 2 cm", "≥ 10 × 10 mm")
DIMENSIONS_RE = re.compile(
    rf"(?P<comp>{_COMP}){_UNIT_GAP}(?P<num>\d{{1,3}}(?:\.\d{{1,2}})?)(?:[ \t]{{0,2}}(?:mm|cm))?"
    r"(?:[ \t]{0,2}[x×][ \t]{0,2}\d{1,3}(?:\.\d{1,2})?(?:[ \t]{0,2}(?:mm|cm))?){1,2}"
    r"[ \t]{0,2}(?P<unit>mm|cm)\b",
    re.IGNORECASE,
)


# where a count's number may start: a digit, or a spelled number (inside a word too, as the
# pattern reads it)
_COUNT_NUMBER_AT = re.compile(r"(?<![\d.,])\d|(?=" + "|".join(w for w in _SPELLED if w != "zero") + ")", re.IGNORECASE)


# "more than twice per month", "at least once a week", "less than once a month": how often, a
# frequency written with a word for its number
_FREQUENCY_WORDS = {"once": 1, "twice": 2, "thrice": 3}
_FREQUENCY_WORD = re.compile(r"\b(?:once|twice|thrice)\b", re.IGNORECASE)
FREQUENCY_WORD_RE = re.compile(
    rf"(?P<comp>{_COMP})\s{{0,3}}(?P<word>once|twice|thrice)\s{{1,3}}(?:per|a|an|each|every)\s{{1,3}}"
    r"(?P<per>day|week|month|year)\b",
    re.IGNORECASE,
)
# a blank line: a count never runs across one ("Over the age of 18\n\nExclusion Criteria")
_BLANK_LINE = re.compile(r"\n[ \t]*\r?\n")


def _count_at(text: str, pos: int) -> bool:
    """Whether a count of things starts at ``pos`` ("3 or more anti-HIV drugs"), within one paragraph."""
    m = _counted_pattern().match(text, pos)
    return m is not None and not _BLANK_LINE.search(m.group())


# a count or a frequency in a time: the period's UCUM unit ("{stools}/d", "/mo")
_RATE_UCUM = {"day": "d", "d": "d", "week": "wk", "month": "mo", "year": "a"}


# "no more than 2 prior chemotherapy regimens", "at least one measurable lesion", "one or more regimens
# of chemotherapy", ">= 4 courses": a count of things (rule ``counted-items``; the nouns are data)
_CONTRACEPTION = re.compile(r"contracepti|birth\s+control", re.IGNORECASE)


@lru_cache(maxsize=1)
def _counted_plurals() -> dict[str, str]:
    """The counted nouns (singular) to their derived plurals."""
    return {
        n: n + "es" if n.endswith(("s", "x", "ch", "sh")) else n[:-1] + "ies" if n.endswith("y") else n + "s"
        for n in word_list("counted_nouns")
    }


@lru_cache(maxsize=1)
def _counted_pattern() -> re.Pattern[str]:
    nouns = word_list("counted_nouns")
    plural = _counted_plurals()
    forms = sorted({*nouns, *plural.values()})
    known = trie_pattern(sorted(word_list("counted_modifiers")))
    stop = trie_pattern(sorted(word_list("counted_not_modifiers")))
    # a listed modifier, or any other lower-case word that is no time, unit or clause word
    # (or an acronym in capitals: "6 mucocutaneous KS lesions")
    mods = rf"{known}|(?!(?:{stop})\b)[a-z][a-z-]{{2,}}|(?-i:(?!(?:OR|AND|NOT|NO|IN|OF)\b)[A-Z]{{2,6}})"
    number = rf"\d{{1,2}}|{'|'.join(w for w in _SPELLED if w != 'zero')}"
    return re.compile(
        rf"(?:(?P<comp>{_COMP}){_UNIT_GAP})?(?<![\d.,])(?P<num>{number})(?![\d.,])"
        r"(?P<post>\s{1,3}or\s{1,3}(?:more|fewer|less))?\s{1,3}"
        # (two modifiers joined by "or": "1 bidimensionally or unidimensionally measurable lesion")
        rf"(?P<counted>(?:(?:{mods})(?:\s{{1,3}}(?:or|and/or)\s{{1,3}}(?:{mods}))?\s{{1,3}}){{0,3}}(?P<noun>{trie_pattern(forms)})\b"
        rf"(?:\s{{1,3}}of\s{{1,3}}(?:(?:{mods})\s{{1,3}}){{0,2}}(?:therapy|treatment|chemotherapy|immunotherapy|[a-z][\w-]*\s{{1,3}}therapy"
        # "at least 2 forms of contraception", "1 form of barrier birth control"
        r"|contraception|contraceptives?|birth\s{1,3}control))?"
        # "4 or more attempts of sexual intercourse per month", "1 attempt at sexual intercourse per
        # week": what they are of, before a rate
        r"(?:\s{1,3}(?:of|at)\s{1,3}(?:[a-z][\w-]*\s{1,3}){0,2}[a-z][\w-]*"
        r"(?=\s{0,3}(?:per|a|/|each|every)\s{0,3}(?:day|week|month|year|d)\b))?)"
        # "more than 3 loose stools per day": a count in a time, a rate ("more than 2 drinks per day"
        # is read with its unit, units.json's drinks per day)
        r"(?P<rate>\s{0,3}(?:per|a|/|each|every)\s{0,3}(?P<per>day|week|month|year|d)\b)?",
        re.IGNORECASE,
    )


# "18 years or older", "18 and over", "65 or under": the comparator written after the number;
# "6 or more weeks", "3 or more cycles": the unit may follow the comparator instead
# "pain of 6/10 or higher": a score out of its scale's maximum, never the maximum alone ("10 or higher")
POSTFIX_RE = re.compile(
    rf"(?<![/\d.,])(?P<num>{_NUM})(?:\s{{0,2}}/\s{{0,2}}(?P<den>\d{{1,3}})(?![\d.,]))?\s{{0,3}}(?P<unit>UNIT)?{_UNIT_GAP}(?:(?:of\s+age|old)\s+)?(?P<post>(?:and|or)\s+(?:over|older|above|more|greater|higher|up|worse|later|newer|under|younger|below|less|fewer|lower))\b(?!\s*than)"
    r"(?(unit)|(?:\s{1,3}(?P<unit_after>UNIT))?)",
    re.IGNORECASE,
)
# "aged 40+", "18+ years of age", "Age 65+": an age's lower bound written with a plus
AGE_PLUS_RE = re.compile(r"(?<![\w.+])(?P<num>\d{1,3})\+(?![\w+])(?:\s{0,2}(?P<unit>years?|yrs?)\b)?", re.IGNORECASE)
_AGE_WORD_BEFORE = re.compile(r"\b(?:aged?|ages)\s*:?\s*$", re.IGNORECASE)
# "(2.5mg/dl)" right after a threshold: the same threshold in another unit
# ("Hemoglobin <90 g/L (<9 g/dL)": the restatement may repeat the comparator)
EQUIVALENT_RE = re.compile(
    rf"\s{{0,3}}[(\[]\s{{0,3}}(?:(?P<ecomp>{_COMP})\s{{0,3}})?(?P<num>{_NUM})\s{{0,3}}(?P<unit>UNIT)"
    # ("[300 nanograms per deciliter (ng/dL)]": the unit glossed inside the brackets)
    r"(?:\s{0,3}\(\s{0,3}UNIT\s{0,3}\)(?P<glossed>))?\s{0,3}[)\]]",
    re.IGNORECASE,
)
RANGE_EQUIVALENT_RE = re.compile(
    rf"\s{{0,3}}[(\[]\s{{0,3}}(?P<low>{_NUM})\s{{0,3}}(?:-|–|to|and)\s{{0,3}}(?P<high>{_NUM})\s{{0,3}}(?P<unit>UNIT)\s{{0,3}}[)\]]",
    re.IGNORECASE,
)
# "nanomoles per liter (nmol/L)": a unit glossed by its abbreviation in brackets
UNIT_GLOSS_RE = re.compile(r"\s{0,3}\(\s{0,3}(?P<unit>UNIT)\s{0,3}\)", re.IGNORECASE)
# "≥ 9 g/dl or 5.59 mmol/l": the same threshold restated in another unit after "or" (confirmed by
# check_units_restate: a second number in an unrelated unit is another threshold, not a restatement)
EQUIVALENT_OR_RE = re.compile(rf"\s{{1,3}}or\s{{1,3}}(?P<num>{_NUM})\s{{0,3}}(?P<unit>UNIT)", re.IGNORECASE)
# "class III- Level IV", "grade 3-4", "III-IV"
ORDINAL_RANGE_RE = re.compile(
    rf"(?:(?i:class|grade|stages?|level)\s{{0,3}})?(?P<low>{_ROMAN})\s{{0,3}}(?:-|–|~|to)\s{{0,3}}"
    rf"(?:(?i:class|grade|stage|level)\s{{0,3}})?(?P<high>{_ROMAN})\b"
)
# "stage IA2-IB", "stage IIIA to IIIB": a range of sub-stages, only after the word stage
# (the roman numerals may be Unicode's own, "stage ⅢB～Ⅳ" in translated text: read as "IIIB", "IV")
STAGE_RANGE_RE = re.compile(
    r"(?i:stage)\s{0,3}(?P<low>(?:IV|I{1,3}|[ⅠⅡⅢⅣ])[A-C]?[1-3]?)\s{0,3}(?:-|–|~|～|to|through)\s{0,3}"
    r"(?:(?i:stage)\s{0,3})?(?P<high>(?:IV|I{1,3}|[ⅠⅡⅢⅣ])[A-C]?[1-3]?)(?![A-Za-z0-9])"
)
# "Stage III or IV melanoma", "stage IIIB or IV", "stage IIIB/IIIC", "grade 3 or 4 toxicity", "grade II and III": two
# grades joined by "or"/"and" after the word naming them, a range of them (the golds' reading); the
# values alone after "stage" (a mention of its own names what is staged), with the word after "grade"
# ("class I or II antiarrhythmics" names drugs; "NYHA class III or IV" is a score's)
ORDINAL_OR_RE = re.compile(
    r"\b(?P<word>(?i:stage|grade))\s{1,3}(?P<low>(?:IV|I{1,3})[A-C]?|[0-5])(?:\s{1,3}(?i:or|and|and/or)\s{1,3}|\s{0,2}/\s{0,2})"
    r"(?:(?i:stage|grade)\s{1,3})?(?P<high>(?:IV|I{1,3})[A-C]?|[0-5])(?![\w.,-])"
)
# "No grade 2 heart toxicity", "Grade IV intraventricular hemorrhage": one grade after the word (no
# range, list or "or higher" after it, no "+" of a dipstick or a cell count)
SINGLE_GRADE_RE = re.compile(
    r"\b(?i:grade)\s{1,3}(?P<grade>IV|I{1,3}|[0-4])(?![\w,+/-]|\.\d)"
    r"(?!\s{0,3}(?:[-–~/]|(?i:or|and|to|through|and/or)\b)\s{0,3}(?:(?i:grade)\s{1,3})?(?:IV|V|I|[0-5]))"
    r"(?!\s{0,3}(?i:or|and)\s{1,3}(?:higher|greater|above|more|less|lower|below|worse|better|over|under)\b)"
)
_GRADE_WORD_IN = re.compile(r"grade", re.IGNORECASE)
# "Stage IV breast cancer", "clinical stage IIIB": one stage after the word (no range, no list after it)
SINGLE_STAGE_RE = re.compile(
    r"\b(?i:stage)\s{1,3}(?P<stage>(?:IV|I{1,3})[A-C]?[1-3]?)(?![\w.-])"
    r"(?!\s{0,3}(?:[-–~/,]|(?i:or|and|to|through)\b)\s{0,3}(?:(?i:stage)\s{1,3})?(?:IV|V|I))"
)
# "stage IIIB, IIIC, IVA, or IVB", "Stage III, IV": a list of stages after the word, a range where it
# leaves no stage out (``_stages_run_on``), else one equality each (two joined by "or" alone are
# ORDINAL_OR_RE's range)
_ONE_STAGE = r"(?:IV|I{1,3})[A-C]?[1-3]?"
STAGE_LIST_RE = re.compile(
    rf"\b(?i:stages?)\s{{1,3}}{_ONE_STAGE}(?:\s{{0,3}},\s{{0,3}}(?:(?i:or|and|and/or)\s{{1,3}})?(?:(?i:stage)\s{{1,3}})?"
    rf"{_ONE_STAGE}(?![\w.-]))+(?:\s{{0,3}},?\s{{0,3}}(?i:or|and|and/or)\s{{1,3}}(?:(?i:stage)\s{{1,3}})?{_ONE_STAGE})?"
    rf"(?![\w.-])"
)


def _stages_run_on(stages: list[str]) -> bool:
    """Named check: do listed stages leave none out between the first and the last ("IIB, III, IV",
    "I, II, III", "IIIA, IIIB")? The next stage number must start whole or at its A, after a whole
    stage or one past its A; within a number the letters go on one by one."""
    ranked = [_stage_rank(stage) for stage in stages]
    if any(sub for _, _, sub in ranked):
        return False  # ("IB2, IIA": a substage's digit says nothing of what lies between)
    for (na, la, _), (nb, lb, _) in zip(ranked, ranked[1:], strict=False):
        if nb == na and la and lb and ord(lb) == ord(la) + 1:
            continue
        if nb == na + 1 and lb in ("", "A") and la != "A":
            continue
        return False
    return True


_STAGE_IN_LIST = re.compile(rf"(?<![\w-]){_ONE_STAGE}(?![\w.-])")
_STAGING_SYSTEM_BEFORE = re.compile(r"\b(FIGO|Ann\s+Arbor|AJCC|INSS|ISS|R-ISS|Binet|Rai)\s{1,3}$")
_UNICODE_ROMAN = str.maketrans({"Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "Ⅳ": "IV"})


_STAGE_WORD = re.compile(r"stage", re.IGNORECASE)
_TANNER_BEFORE = re.compile(r"\bTanner\s{1,3}$", re.IGNORECASE)
_STAGES_LEAD = re.compile(r"stages?\b", re.IGNORECASE)
_ORDINAL_WORD = re.compile(r"stage|grade", re.IGNORECASE)
_STAGE_KIND_BEFORE = re.compile(r"\b(pathologic(?:al)?|clinical)\s{1,3}$", re.IGNORECASE)


def _stage_measure(text: str, start: int) -> str:
    """What a stage written at ``start`` measures: the staging system's stage written before it ("FIGO
    stage IIIB-IVA"), the pathological or clinical tumor stage ("Pathological Stage III or IV"), else
    the tumor stage."""
    system = _STAGING_SYSTEM_BEFORE.search(text, max(0, start - 20), start)
    if system:
        return f"{system.group(1).lower()} stage"
    kind = _STAGE_KIND_BEFORE.search(text, max(0, start - 20), start)
    return f"{kind.group(1).lower().removesuffix('al')}al tumor stage" if kind else "tumor stage"


def _stage_rank(stage: str) -> tuple[int, str, str]:
    roman = stage.rstrip("ABC123")
    rest = stage[len(roman) :]
    return _ROMAN_VALUES.get(roman, 0), rest[:1], rest[1:]


# "> grade II", "≥ III", "greater than grade 1" (an arabic grade only after its word)
ORDINAL_COMPARISON_RE = re.compile(
    rf"(?P<comp>{_COMP}){_UNIT_GAP}(?:(?:class|grade|stage|level)\s{{0,3}}(?:(?P<num>{_ROMAN})|(?P<digit>[0-5]))"
    rf"|(?P<roman>{_ROMAN}))\b",
    re.IGNORECASE,
)

_DIGIT = re.compile(r"\d")
_NUMBER_NEXT = re.compile(r"\s{0,3}\d")
_COMP_BEFORE = re.compile(rf"(?P<comp>{_COMP})\s{{0,3}}$", re.IGNORECASE)
# the maxima of the scores written "6/10": visual analogue and numeric rating scales
_SCALE_MAXIMA = frozenset({"4", "5", "10", "100"})
_RELEASE_WORDS = frozenset({"later", "newer"})
_VERSION_BEFORE = re.compile(r"\b(?:version|ios|android|os|release)\b", re.IGNORECASE)
_MORE_WORDS = frozenset({"over", "older", "above", "more", "greater", "higher", "up", "worse", "later", "newer"})


def _is_more(m: re.Match[str]) -> bool:
    """A postfix comparator ("18 and over", "65 or under") says more, not less."""
    return m.group("post").split()[-1].lower() in _MORE_WORDS


# Where a match can start. Most patterns here begin with a comparator, which the engine otherwise
# tries at every character of the text, once per pattern: the comparator's (and the multiple's)
# possible starts are found once, by the same sub-patterns with the same flags, and each pattern is
# tried at those positions only (see _matches_at).
# Each scan is led by a guard on the first two characters (see trie.start_guard): most positions fail
# it at once, where the pattern would try each of its case-insensitive alternatives.
_COMP_AT = re.compile(rf"{start_guard(w[:2] for w, _ in _COMPARATOR_WORDS)}(?=(?:{_COMP}))", re.IGNORECASE)
# The same starts in a text's lower case (see trie.casefree_lower), one character read at each: each
# alternative is led by its first character, which the engine tests in C; 2.5x faster than the guard.
_COMP_STARTS = re.compile(led_trie_starts(sorted(w for w, _ in _COMPARATOR_WORDS), _COMP_END))
_MULT_GUARD = start_guard(list(_MULTIPLE_WORDS), classes=r"\d")
_MULT_AT = re.compile(rf"{_MULT_GUARD}(?=(?:{_MULT}))", re.IGNORECASE)
_ORDINAL_AT = re.compile(
    rf"{start_guard(['class', 'grade', 'stage', 'level'], ['IV', 'V', 'I'])}(?=(?i:class|grade|stage|level)|{_ROMAN})"
)
_LIMIT_WORD = re.compile(
    start_guard(["limit", "ULN", "LLN", "UNL", "normal", "control"]) + r"(?:limit|ULN|LLN|UNL|normal|control)",
    re.IGNORECASE,
)
# (the named scores, "ECOG 0-1", are words.json score_names: see _ScorePatterns.name_before)
_SCORE_BEFORE = re.compile(
    r"(?:scores?|grades?|grade\s+groups?|class(?:es)?|stages?|scale"
    # a patient's age, whose unit goes without saying ("aged 18-65", "Age: 17 to 65", "ages of 18-55")
    r"|\bage[sd]?|\bage\s+range|\bage\s+group)"
    # (or a label over its bullet: "Age:\n\n  -  18 to 65")
    r"(?:\s+(?:of|is|was|=|between|from|ranging\s+from))?(?:\W{0,3}|[:：]\s{1,12}[-*•·]\s{1,4})$",
    re.IGNORECASE,
)
# what makes a unitless pair of numbers a range: "between" ("IIEF-EF between 11 to 25"), or people
# whose age it can only be ("Males 25-65")
_RANGE_LEAD = re.compile(r"\b(?:between|(?:males?|females?|men|women|boys|girls|adults))\s{1,3}$", re.IGNORECASE)
# a score written as bare values after its name ("ECOG 0 or 1", "Gleason score 6", "NYHA class III or
# IV", "Child-Pugh A or B"): the names are data (words.json score_names, score_name_tails,
# score_letter_grades); a generic word alone ("stage IV cancer", "class I antiarrhythmics") is no name
_SCORE_VALUE = r"(?:\d{1,3}(?:\.\d)?|(?-i:IV|V|I{1,3}|[A-D]))"
# after the last value: no word, decimal, unit or sum goes on ("Gleason 3+4", "ASA 81 mg", "0-1", "2,5"); a
# comma or full stop before a space ends it; "HAM-D 17 item score" names the scale's version, and
# "IIEF-5 score 3 18" lost a character between its comparator and number
_SCORE_VALUE_END = re.compile(r"[\w/+\-–~]|[.,]\d|[ \t]{0,2}(?:[-–~+]|to\b)|[ \t]{1,2}(?:items?\b|\d)", re.IGNORECASE)
# between two values: a comma or slash, or "or"/"and", which hard-wrapped text may put on the next line
_SCORE_VALUE_GAP = re.compile(r"(?:\s{0,3},?\s{0,14}(?:or|and)\s{1,14}|\s{0,3}[,/]\s{0,3})", re.IGNORECASE)


class _ScorePatterns(NamedTuple):
    """The score-name patterns and word sets, compiled from ``words.json`` once."""

    values: re.Pattern[str]  # a score name with its bare values
    name_before: re.Pattern[str]  # a score name ending right before a unitless range
    letter_graded: frozenset[str]  # names whose grades are letters
    capitals: frozenset[str]  # short names that count only in capitals ("ASA", "PS", "WHO")
    needing_tail: frozenset[str]  # names that take a value only after a tail word ("CTCAE grade 1")


@lru_cache(maxsize=1)
def _score_patterns() -> _ScorePatterns:
    names, tails = trie_pattern(sorted(word_list("score_names"))), trie_pattern(sorted(word_list("score_name_tails")))
    # the bracketed short form, in round or square brackets ("New York Heart Association [NYHA] class")
    acronym = r"(?:[ \t]{0,2}(?:\([A-Z][A-Za-z\-]{1,8}\)|\[[A-Z][A-Za-z\-]{1,8}\]))?"
    # (a short form in brackets after a long one the list does not know: "Eastern Cancer Cooperative
    # Group (ECOG) performance score of 0 or 1")
    name = rf"(?<!\w)(?P<name>{names})(?:(?<=\(\w\w\w\w)\)|(?<=\(\w\w\w)\))?{acronym}(?:[ \t]{{1,2}}(?P<tail>{tails})\b{acronym})?"
    values = re.compile(
        rf"{name}(?:[ \t]{{1,3}}(?:of|is|was|=|:)|[ \t]{{0,2}}[:=])?"
        # the value may start the next line of hard-wrapped text
        rf"(?:{WRAPPED_BREAK}|[ \t]{{1,3}})"
        rf"(?P<values>{_SCORE_VALUE}(?:{_SCORE_VALUE_GAP.pattern}{_SCORE_VALUE}){{0,5}})"
        r"(?P<percent>[ \t]?%)?"
        # "NYHA class III or worse": the comparator written after the grade
        r"(?:[ \t]{1,3}(?P<post>(?:or|and)[ \t]{1,3}(?:greater|higher|more|worse|above|over|less|lower|better|below|under))"
        r"\b(?![ \t]*than))?",
        re.IGNORECASE,
    )
    name_before = re.compile(
        # (or a listing's topic label over its one bullet: "Performance status:\n\n  -  0-2")
        rf"{name}(?:(?:\s+(?:of|is|was|=|between|from))?\W{{0,3}}|[ \t]{{0,2}}:[ \t]*(?:\r?\n[ \t]*){{1,3}}[-*•·][ \t]{{1,3}})$",
        re.IGNORECASE,
    )
    return _ScorePatterns(
        values=values,
        name_before=name_before,
        letter_graded=word_set("score_letter_grades"),
        capitals=frozenset(w for w in word_list("score_names") if w.isupper() and len(w) <= 4),
        needing_tail=word_set("score_names_needing_tail"),
    )


class _HeadedComparison(NamedTuple):
    pattern: re.Pattern[str]  # limit word, measure's name, "of", number and unit
    comparators: dict[str, str]  # limit word -> comparator
    guard: re.Pattern[str]  # a limit word anywhere in the text: the cheap test before the pattern


@lru_cache(maxsize=1)
def _headed_comparison() -> _HeadedComparison:
    """ "Minimum life expectancy of 12 months": a limit word heads the measure's name, and the number
    after its "of" is the limit (rule ``headed-comparison``; the words are data in ``words.json``)."""
    heads = {w.lower(): ">=" for w in word_list("headed_at_least")} | {
        w.lower(): "<=" for w in word_list("headed_at_most")
    }
    not_limits = trie_pattern(sorted(w.lower() for w in word_list("headed_not_limits")))
    gap = rf"(?:{WRAPPED_BREAK}|[ \t]{{1,3}})"
    pattern = re.compile(
        rf"(?<![\w-])(?P<head>{trie_pattern(sorted(heads))}){gap}"
        rf"(?!(?:of|{not_limits})\b)(?P<name>[A-Za-z][\w'/-]*(?:{gap}(?!of\b|{not_limits}\b)[A-Za-z(][\w'/()-]*){{0,4}}){gap}"
        # "Minimum VAS of 20/100": a score out of its maximum is left unparsed
        rf"of{gap}(?P<num>{_NUM})(?![\d.,]|[ \t]*/[ \t]*\d){_UNIT_GAP}(?P<unit>UNIT)?",
        re.IGNORECASE,
    )
    guard = re.compile(rf"\b(?:{trie_pattern(sorted(heads))})\b", re.IGNORECASE)
    return _HeadedComparison(pattern, heads, guard)


_ROMAN_VALUES = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}


def _comparator_starts(text: str) -> list[int]:
    """Where a comparator starts in the text: every position ``_COMP_AT`` matches at."""
    lowered = casefree_lower(text)
    if lowered is None:
        return [m.start() for m in _COMP_AT.finditer(text)]
    return [m.start() for m in _COMP_STARTS.finditer(lowered)]


@lru_cache(maxsize=16)
def _with_units(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The pattern with the unit registry's alternation in place of UNIT (compiled once)."""
    return re.compile(pattern.pattern.replace("UNIT", registry().pattern.pattern), pattern.flags)


def compile_patterns() -> None:
    """Build the unit registry and compile the patterns that embed its units now, when the pipeline
    is built, instead of on the first criterion read (forked batch workers then inherit them)."""
    for pattern in (
        MEASURE_BETWEEN_RE,
        BOUNDED_RANGE_RE,
        RANGE_RE,
        POSTFIX_RE,
        COMPARISON_RE,
        ANALYTE_UNIT_RE,
        EQUIVALENT_RE,
        RANGE_EQUIVALENT_RE,
        EQUIVALENT_OR_RE,
        UNIT_GLOSS_RE,
        PRESSURE_PAIR_RE,
        SIGNED_COMPARISON_RE,
        SIGNED_POSTFIX_RE,
        SIGNED_RANGE_RE,
        _headed_comparison()[0],
    ):
        _with_units(pattern)
    _score_patterns()
    _counted_pattern()


@dataclass
class Threshold:
    """A confirmed threshold; offsets are relative to the text it was found in."""

    start: int
    end: int
    comparator: str
    rule: str
    value: float | str | None = None
    low: float | str | None = None
    high: float | str | None = None
    unit: str | None = None
    ucum: str | None = None
    multiple: float | None = None
    reference: str | None = None
    count_of: str | None = None
    equivalent_of: int | None = None  # index of the threshold this one restates in another unit
    extra: dict[str, Any] = field(default_factory=dict)


def parse_number(text: str) -> float:
    """A decimal number as written; a comma is a decimal mark only when it is not a thousands separator."""
    t = text.strip()
    if re.fullmatch(r"\d{1,3}(,\d{3})+", t):
        return float(t.replace(",", ""))
    return float(t.replace(",", "."))


def _number(text: str) -> float | int:
    value = parse_number(text)
    return int(value) if value.is_integer() else value


_RESTATED_END = re.compile(r"\s*\([^()]*\)$")


def comparator_of(word: str) -> str:
    return COMPARATORS[re.sub(r"\s+", " ", _RESTATED_END.sub("", word).lower())]


def check_range_ordered(low: float | str, high: float | str) -> bool:
    """A range must go up: 18~65, not 65~18; ordinal grades compare by rank."""
    lo = _ROMAN_VALUES.get(str(low), low)
    hi = _ROMAN_VALUES.get(str(high), high)
    try:
        return float(lo) <= float(hi)
    except (TypeError, ValueError):
        return False


# a bare "degrees" is a temperature only after a word that says so ("Cobb angle > 40 degrees" is no fever)
# "BP > 160/90 mmHg", "blood pressure ≥140/90": a systolic and a diastolic limit written as one
# fraction (rule ``pressure-pair``), confirmed by ``check_pressure_pair``
PRESSURE_PAIR_RE = re.compile(
    rf"(?P<comp>{_COMP}){_UNIT_GAP}(?P<sys>\d{{2,3}})[ \t]{{0,2}}/[ \t]{{0,2}}(?P<dia>\d{{2,3}})(?![\d.,/\-–])"
    rf"(?:{_UNIT_GAP}(?P<unit>UNIT))?",
    re.IGNORECASE,
)
_PRESSURE_WORD = word_pattern("pressure_words")


_TEMPERATURE_WORD = word_pattern("temperature_words")
# "temperature >= 38.5 C", "fever over 100 F": the scale's letter without "degrees" (case-sensitive)
_SCALE_LETTER = re.compile(r"[ \t]{0,2}(?P<deg>[CF])(?![A-Za-z0-9])")
_SCALE_OF_LETTER = {"C": "Cel", "F": "[degF]"}
_BARE_DEGREES = re.compile(r"\s{0,2}(?P<deg>degrees?|deg\.?|°)(?!\s{0,2}[CFK]\b)(?![A-Za-z])", re.IGNORECASE)


# a power of ten written in a number: "1×10^3", "2 x 10^4", "10^4", "1.5 × 10E5", "10⁵"
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
# (without "^" or a superscript, "x 109" is 10^9 where the superscript was lost; "2 x 100 mg" is no power)
_TIMES_TEN = re.compile(
    r"[ \t]?[x×*][ \t]?10[ \t]?(?:(?:\^|E|e|\*\*)[ \t]?(?P<exp>\d{1,2})\b|(?P<sup>[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2})|(?P<lost>[3-9]|1[0-5])(?![\d.,]))"
)
_UNIT_LEAD = re.compile(r"[ \t]{0,3}")
_TEN_TO = re.compile(r"(?:\^|E|e|\*\*)?(?P<exp>\d{1,2}\b|[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2})")


def _scientific(text: str, start: int, end: int, value: float | int) -> tuple[float | int, re.Match[str]] | None:
    """A number written with a power of ten and the unit after it ("1×10^3 copies/mL"): the value
    and the unit's match; None where there is no power of ten or no unit after it. A count per
    volume whose unit holds the power ("100 × 10^9/L") is the unit's, never read here."""
    power = _TIMES_TEN.match(text, end)
    if power is None and text[start:end] == "10":
        power = _TEN_TO.match(text, end) if text[end : end + 1] in "^⁰¹²³⁴⁵⁶⁷⁸⁹" else None
        mantissa: float | int = 1
    else:
        mantissa = value
    unit = _unit_after(text, power) if power is not None else None
    if power is None or unit is None:
        return None
    scaled = mantissa * 10 ** _exponent(power)
    return (int(scaled) if float(scaled).is_integer() else scaled), unit


def _unit_after(text: str, power: re.Match[str]) -> re.Match[str] | None:
    """The unit right after a power of ten, or None (and none where it is a per-volume unit that holds
    the power itself: "× 10^9/L")."""
    gap = _UNIT_LEAD.match(text, power.end())
    unit = registry().pattern.match(text, gap.end() if gap else power.end())
    return None if unit is None or unit.group().startswith("/") else unit


def _exponent(power: re.Match[str]) -> int:
    return int(next(g for g in power.groups() if g).translate(_SUPERSCRIPTS))


# a count of cells per volume ("1.5 x 109 cells/L"): the power of ten stays in the unit, as in
# "1.5 × 10^9/L" (UCUM 10*9/L), where a count of copies or units is scaled ("1×10^3 copies/mL" is 1000)
_CELLS_PER_VOLUME = frozenset({"/L", "/uL", "/mm3", "/nL"})
# the volume alone after a power of ten ("10^9/L"), which no unit of its own stands for elsewhere
_PER_VOLUME = re.compile(r"/\s?(?:L|l|liter|litre)\b")


def cells_per_volume_power(
    text: str, start: int, end: int, value: float | int
) -> tuple[float | int, str, str, int] | None:
    """The number, its unit as written with the power of ten (from the power to the unit's end), its
    UCUM code (10*n and the unit) and where it ends, for a count of cells per volume written with a
    power of ten; None for anything else."""
    power = _TIMES_TEN.match(text, end)
    if power is None:
        return None
    # (a per-volume unit right after the power: "30 * 10^9/liter", "2.5 x 10^9/L")
    gap = _UNIT_LEAD.match(text, power.end())
    per_volume = _PER_VOLUME.match(text, gap.end() if gap else power.end())
    unit = per_volume or _unit_after(text, power)
    if unit is None:
        return None
    ucum = "/L" if per_volume else registry().to_ucum(unit.group())
    if ucum not in _CELLS_PER_VOLUME:
        return None
    written = text[power.start() : unit.end()].strip()
    return value, written, f"10*{_exponent(power)}{ucum}", unit.end()


def _count(written: str) -> float | int:
    """A count written in digits or as a word ("4", "four")."""
    word = written.lower()
    return _SPELLED[word] if word in _SPELLED else _number(written)


# "1 degree block", "3 degree AV block", "second degree burn": a grade, no angle
_DEGREE_OF_GRADE = re.compile(r"\s{0,3}(?:of\s{1,3})?(?:block|burn|relative|heart|av\b|a-v\b|atrio)", re.IGNORECASE)


def angle_degrees(text: str, start: int, end: int, value: float) -> re.Match[str] | None:
    """Named check: a bare "degrees" or "°" after a number that no temperature word leads is an angle
    ("Cobb angle ≥ 25°", "curvature > 30 degrees", "extend the wrist at least 20 degrees"), unless it
    grades a block or a burn; the match of the unit, else None."""
    bare = _BARE_DEGREES.match(text, end)
    if bare is None or not 0 <= value <= 360 or _DEGREE_OF_GRADE.match(text, bare.end()):
        return None
    if _TEMPERATURE_WORD.search(text, max(0, start - 60), start):
        return None
    return bare


def temperature_scale(value: float) -> str | None:
    """Named check: the body-temperature scale a number written with a bare "degrees" after a
    temperature word can only be on (34-43: Celsius; 93-110: Fahrenheit), else None."""
    if 34 <= value <= 43:
        return "Cel"
    if 93 <= value <= 110:
        return "[degF]"
    return None


def check_unit_plausible(ucum: str | None, value: float) -> bool:
    """Reject numbers that cannot be what the unit says (a percentage above 100, a negative count)."""
    if value < 0:
        return False
    if ucum == "%" and value > 100:
        return False
    if ucum == "a" and value > 130:
        return False
    return True


# dimensions a threshold is restated across: a concentration, a pressure (mmHg or kPa), and mass
# against substance concentration through the analyte's molar mass; never a time, a length or a count
_RESTATED_DIMENSIONS = frozenset(
    {"substance_concentration", "mass_concentration", "number_concentration", "catalytic_concentration", "pressure"}
)
_MOLAR_PAIR = frozenset({"substance_concentration", "mass_concentration"})
# (not a pair: "140 systolic and diastolic")
_PRESSURE_AFTER = re.compile(
    r"[ \t]+(?P<which>systolic|diastolic)\b(?![ \t]*(?:and/or|and|or|/)[ \t]*(?:systolic|diastolic))", re.IGNORECASE
)
_EVERY_BEFORE = re.compile(r"\bevery\s+$", re.IGNORECASE)
_AT_LEAST_SIGN_BEFORE = re.compile(r"(?<![<>=≤≥])(?:≥|>=)[ \t]{0,2}$")
# pairs of dimensions that restate one another though no factor converts them: HbA1c as an NGSP
# percentage and in IFCC mmol/mol ("7.0% to 10.0% (53 to 86 mmol/mol)"), a temperature in Celsius and
# in Fahrenheit ("> 38.0°C or 100.4°F"); the restatement is kept as written, never converted
_RESTATED_PAIRS = frozenset(
    {
        frozenset({"fraction", "substance_ratio"}),
        frozenset({"temperature_celsius", "temperature_fahrenheit"}),
    }
)


def check_pressure_pair(systolic: int, diastolic: int, ucum: str | None, before: str) -> bool:
    """Named check: a fraction is a blood pressure where its unit is mmHg or a pressure word comes
    just before it, and both numbers are plausible (systolic 50-300, diastolic 20-200, systolic the
    higher): "visual acuity < 20/40" and "pain > 6/10" are not."""
    if not (ucum == "mm[Hg]" or _PRESSURE_WORD.search(before)):
        return False
    return 50 <= systolic <= 300 and 20 <= diastolic <= 200 and systolic > diastolic


def check_units_restate(ucum: str | None, other: str | None) -> bool:
    """A number after "or" restates the threshold when its unit differs from the threshold's and
    measures the same thing ("≥ 9 g/dl or 5.59 mmol/l", "≥ 1500/mm3 or 1.5 x 10^9/L"); "< 2 weeks or
    3 cycles" and "≥ 2 cm or 1 cm" are two thresholds. HbA1c in % and mmol/mol, a temperature in °C
    and °F restate one another too (``_RESTATED_PAIRS``)."""
    units = registry().by_ucum
    if ucum is None or other is None or ucum == other or ucum not in units or other not in units:
        return False
    dims = frozenset({units[ucum].dimension, units[other].dimension})
    return dims == _MOLAR_PAIR or dims in _RESTATED_PAIRS or (len(dims) == 1 and dims <= _RESTATED_DIMENSIONS)


class _Taken:
    """The stretches of text already read, as a sorted union of disjoint intervals: whether a match
    overlaps one is a bisection, not a scan (100,000 thresholds in one criterion stay linear-log)."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for span in spans:
            self.append(span)

    def overlaps(self, s: int, e: int) -> bool:
        i = bisect.bisect_left(self.starts, e) - 1
        return i >= 0 and self.ends[i] > s

    def append(self, span: tuple[int, int]) -> None:
        s, e = span
        if e <= s:
            return
        lo = bisect.bisect_left(self.ends, s)  # first interval that may touch [s, e)
        hi = bisect.bisect_right(self.starts, e)  # past the last one that may
        if lo < hi:
            s, e = min(s, self.starts[lo]), max(e, self.ends[hi - 1])
        self.starts[lo:hi] = [s]
        self.ends[lo:hi] = [e]


_UPPER = re.compile(r"upper|max|ULN|UNL", re.IGNORECASE)


def _reference(m: re.Match[str]) -> str:
    """ULN, LLN or control, from the written limit (the normal value of "1.4 times normal" reads as ULN)."""
    limit = m.groupdict().get("normal") or m.group("limit") or ""
    if limit.lower() == "control":
        return "control"
    return "ULN" if limit.lower() == "normal" or _UPPER.search(limit) else "LLN"


def _matches_at(pattern: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a pattern that cannot match empty and whose every match starts
    at one of ``starts`` (sorted): finditer's leftmost search, trying only those positions. A
    lookbehind or ``\\b`` still sees the text before the position, as in a search."""
    pos = 0
    for start in starts:
        if start < pos:
            continue
        m = pattern.match(text, start)
        if m is not None:
            yield m
            pos = m.end()


def _measure_between(
    m: re.Match[str], unit_fields: Callable[[str | None], tuple[str | None, str | None]]
) -> Threshold | None:
    """A confirmed "7.0% ≤ HbA1c ≤ 10.5%": both signs point the same way, the bounds are ordered and
    a unit written twice is the same unit. The measure's words are kept in ``extra["subject_span"]``
    (offsets from the threshold's start), where the linking step looks for the constrained mention,
    and where the lower bound ends and the upper one starts in ``extra["bound_edges"]``."""
    below = [comparator_of(m.group(g))[0] == "<" for g in ("c1", "c2")]
    if below[0] != below[1]:
        return None  # "1 < x > 5" says nothing one can read
    first, second = _number(m.group("low")), _number(m.group("high"))
    low, high = (first, second) if below[0] else (second, first)
    u1, u2 = unit_fields(m.group("u1")), unit_fields(m.group("unit"))
    if m.group("u1") and m.group("unit") and u1[1] != u2[1]:
        return None
    unit, ucum = u2 if m.group("unit") else u1
    if not check_range_ordered(low, high) or not check_unit_plausible(ucum, float(high)):
        return None
    end = m.end("unit") if m.group("unit") else m.end("high")
    found = Threshold(m.start(), end, "between", "measure-between", low=low, high=high, unit=unit, ucum=ucum)
    strict = [comparator_of(m.group(g)) in {"<", ">"} for g in ("c1", "c2")]
    low_strict, high_strict = (strict[0], strict[1]) if below[0] else (strict[1], strict[0])
    found.extra["inclusive"] = not low_strict and not high_strict
    if low_strict != high_strict:
        found.extra["low_inclusive"] = not low_strict
        found.extra["high_inclusive"] = not high_strict
    # relative to the threshold's start, so that the offsets survive its move into a criterion; the
    # bounds' own stretches end and start at the signs that join them to the measure ("7.0%", "≤ 10.5%")
    found.extra["subject_span"] = [m.start("measure") - m.start(), m.end("measure") - m.start()]
    low_end = m.end("u1") if m.group("u1") else m.end("low")
    found.extra["bound_edges"] = [low_end - m.start(), m.start("c2") - m.start()]
    return found


def _analyte_then_unit(
    text: str, end: int, value: float, unit_fields: Callable[[str | None], tuple[str | None, str | None]]
) -> re.Match[str] | None:
    """A count per volume whose unit follows what it counts ("200 CD4+ cells/mm3", "500 HIV-1 RNA
    copies/ml"), read after a number that has no unit of its own; None where the unit is no count
    per volume or field, or implausible for the number."""
    m = _with_units(ANALYTE_UNIT_RE).match(text, end)
    if m is None:
        return None
    ucum = unit_fields(m.group("unit"))[1]
    counts = ucum in _ANALYTE_UNIT_UCUM or (ucum in _CELLS_UNIT_UCUM and _CELLS_WORD.match(m.group("unit")))
    return m if counts and check_unit_plausible(ucum, value) else None


def _retrying(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, except that the next match is looked for from just after the last
    one's start, not its end: a match the checks reject ("2 years and 40" with one unit) does not hide
    the one that starts inside it ("40 to 65 years"). Overlapping matches a caller accepts are
    skipped by its ``taken`` stretches."""
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        yield m
        pos = m.start() + 1


_TWO_TIME_UNITS = re.compile(rf"\b{_TIME_UNIT}\b.{{0,12}}\d.{{0,8}}\b{_TIME_UNIT}\b", re.IGNORECASE | re.DOTALL)


def number_or_comparator_starts(text: str, comp_at: list[int], number_at: re.Pattern[str]) -> list[int]:
    """Where a pattern led by an optional comparator and then a number can match: at a comparator
    (``comp_at``, sorted) or at a number (``number_at``'s matches). ``_matches_at`` then tries only
    those positions, which gives what ``finditer`` gives (a test holds the two equal)."""
    return sorted({*comp_at, *(m.start() for m in number_at.finditer(text))})


_LEADING_DIGITS = re.compile(r"\s*(\d{1,2})")
_MARKER_STOP = re.compile(r"[.)][ \t]")
_LINE_MARKER = re.compile(r"[ \t]*(?:[-*•][ \t]+)?(\d{1,2})[.)][ \t]")


def _is_next_list_marker(text: str, start: int, num_start: int, num_end: int) -> bool:
    """Named check: is the number a limit's words reach on the next line that line's list number ("an ISI
    score of 8 or above\n4. Insomnia symptoms ...": "above 4" is none)? It is when it starts its line,
    a bracket or stop and a space follow it, and the line the words are on is numbered one less."""
    newline = text.rfind("\n", start, num_start)
    if newline < 0 or text[newline + 1 : num_start].strip() or not _MARKER_STOP.match(text, num_end):
        return False
    previous = _LINE_MARKER.match(text, text.rfind("\n", 0, start) + 1)
    return previous is not None and int(previous.group(1)) + 1 == int(text[num_start:num_end])


_DENOMINATOR = re.compile(r"[ \t]?/[ \t]?([2-4])(?![\d.,])")


def _is_fraction_numerator(text: str, end: int, value: float) -> bool:
    """Named check: is the number a half, third or quarter's numerator ("≥ 1/2 teaspoon", "less than
    1/3 of hematopoietic sites", "a mediastinal mass greater than 1/3 of ...")? Then it is no limit.
    A score out of its maximum ("at least 40/100", "<4 / 5" muscle force) and a pair of values
    ("hematocrit/hemoglobin less than 26/8") are."""
    m = _DENOMINATOR.match(text, end)
    return m is not None and 0 < value < int(m.group(1))


# a number written with a sign ("T-score ≤ -2.5", "RASS of 0 to -5", "RASS +1 or greater"): a sign only where a
# comparator, "between", "of" or "to" leads it in, never a range's hyphen ("0-2") or a word's ("T-score")
_SIGNED_NUMBER = re.compile(r"(?<![\w.,])[-−–+]\d")
_SIGN = r"[-−–+]"
SIGNED_COMPARISON_RE = re.compile(
    rf"(?P<comp>{_COMP})[ \t]{{0,3}}(?P<sign>[-−–])(?P<num>{_NUM})(?![\d.,]|[ \t]*(?:-|–|to)[ \t]*\d)"
    rf"(?:{_UNIT_GAP}(?P<unit>UNIT)\b)?",
    re.IGNORECASE,
)
SIGNED_POSTFIX_RE = re.compile(
    rf"(?<![\w.,])(?P<sign>{_SIGN})(?P<num>{_NUM})(?![\d.,])(?:[ \t]{{0,3}}(?P<unit>UNIT)\b)?"
    r"[ \t]{1,3}or[ \t]+(?P<post>less|lower|below|under|more|greater|higher|above|over)\b(?![ \t]+than)",
    re.IGNORECASE,
)
SIGNED_RANGE_RE = re.compile(
    rf"(?:(?P<between>between)[ \t]+)?(?<![\w.,])(?P<s1>{_SIGN})?(?P<low>{_NUM})(?:[ \t]{{0,3}}(?P<u1>UNIT)\b)?"
    rf"[ \t]+(?P<sep>to|and)[ \t]+(?P<s2>{_SIGN})?(?P<high>{_NUM})(?![\d.,])(?:[ \t]{{0,3}}(?P<unit>UNIT)\b)?",
    re.IGNORECASE,
)
_LOWER_WORDS = frozenset(("less", "lower", "below", "under"))
# a score written with no comparator, then the scale it is on
_SCORE_OF_ON = re.compile(
    r"\bscore[ \t]+of[ \t]+(?P<num>\d{1,3}(?:\.\d)?)(?![\d.,%]|[ \t]*(?:-|–|to|or|and|points?[ \t]+or)\b|[ \t]*[-–])"
    r"(?=[ \t]+(?:points?[ \t]+)?(?:on|in)[ \t]+(?:the[ \t]+)?\w)",
    re.IGNORECASE,
)


def _signed(sign: str | None, number: str) -> float | int:
    value = _number(number)
    return -value if sign in ("-", "−", "–") else value


def _signed_thresholds(
    text: str, taken: _Taken, unit_fields: Callable[[str | None], tuple[str | None, str | None]]
) -> Iterator[Threshold]:
    """Thresholds on numbers written with a minus sign: "T-score ≤ -2.5", "less than -2 SD", "T-score
    of -2.5 or less", "between -1.0 and -2.5", "RASS of 0 to -5" (a range's bounds in order). Every
    other pattern reads numbers without a sign, and "-2.5 or less" would read as 2.5. No length of time
    is negative: a unit that reads as one ("more than -0.50 D" of myopia, in dioptres) leaves the
    number to the other patterns."""
    for m in _with_units(SIGNED_COMPARISON_RE).finditer(text):
        if taken.overlaps(m.start(), m.end()):
            continue
        unit, ucum = unit_fields(m.group("unit"))
        if ucum in DURATION_UCUM:
            continue
        yield Threshold(
            m.start(), m.end(), comparator_of(m.group("comp")), "comparator-signed-number",
            value=_signed(m.group("sign"), m.group("num")), unit=unit, ucum=ucum,
        )  # fmt: skip
    for m in _with_units(SIGNED_POSTFIX_RE).finditer(text):
        if taken.overlaps(m.start(), m.end()):
            continue
        unit, ucum = unit_fields(m.group("unit"))
        if ucum in DURATION_UCUM and m.group("sign") != "+":
            continue
        comparator = "<=" if m.group("post").lower() in _LOWER_WORDS else ">="
        yield Threshold(
            m.start(), m.end(), comparator, "signed-number-or-more",
            value=_signed(m.group("sign"), m.group("num")), unit=unit, ucum=ucum,
        )  # fmt: skip
    for m in _with_units(SIGNED_RANGE_RE).finditer(text):
        signs = (m.group("s1") or "") + (m.group("s2") or "")
        if not any(c in "-−–" for c in signs) or taken.overlaps(m.start(), m.end()):
            continue
        if m.group("sep").lower() == "and" and not m.group("between"):
            continue  # "-2 and 3 ...": no range without "between"
        if m.group("u1") and m.group("unit") and unit_fields(m.group("u1"))[1] != unit_fields(m.group("unit"))[1]:
            continue
        low, high = _signed(m.group("s1"), m.group("low")), _signed(m.group("s2"), m.group("high"))
        low, high = min(low, high), max(low, high)
        unit, ucum = unit_fields(m.group("unit") or m.group("u1"))
        if ucum in DURATION_UCUM and low < 0:
            continue
        start = m.start() if m.group("between") else m.start("s1") if m.group("s1") else m.start("low")
        yield Threshold(start, m.end(), "between", "signed-range", low=low, high=high, unit=unit, ucum=ucum)


def find_thresholds(text: str, masked: list[tuple[int, int]] | None = None) -> list[Threshold]:
    """All thresholds in a criterion's text, in order, skipping the ``masked`` stretches (formulas)."""
    reg = registry()
    taken = _Taken(masked or [])
    out: list[Threshold] = []

    def unit_fields(unit_text: str | None) -> tuple[str | None, str | None]:
        if not unit_text:
            return None, None
        return unit_text, reg.to_ucum(unit_text)

    def compared_count(m: re.Match[str], rule: str, number: str) -> Threshold:
        """The match's comparator, the count in its group ``number`` and its unit, as one threshold."""
        unit, ucum = unit_fields(m.group("unit"))
        value = _count(m.group(number))
        return Threshold(m.start(), m.end(), comparator_of(m.group("comp")), rule, value=value, unit=unit, ucum=ucum)

    def number_with_unit(m: re.Match[str]) -> tuple[float | int, str | None, str | None, int] | None:
        """The match's number, its unit and UCUM code, and where it ends; None where the unit is
        implausible for the number."""
        if _is_next_list_marker(text, m.start(), m.start("num"), m.end("num")):
            return None
        value = _number(m.group("num"))
        unit, ucum = unit_fields(m.group("unit"))
        if unit is None and _is_fraction_numerator(text, m.end("num"), value):
            return None
        counted = None if unit else cells_per_volume_power(text, m.start("num"), m.end("num"), value)
        if counted is not None:
            return counted
        scaled = None if unit else _scientific(text, m.start("num"), m.end("num"), value)
        if scaled is not None:
            # "≥ 1×10^3 copies/mL", "< 2 x 10^4 IU/mL", "≥ 10^4 copies/mL": a power of ten in the number
            value, unit_match = scaled
            unit, ucum = unit_fields(unit_match.group())
            return value, unit, ucum, unit_match.end()
        if _DOTTED_THOUSANDS.fullmatch(m.group("num")) and ucum in _CELL_COUNT_UCUM:
            # "Platelets < 100.000/ul": a point that groups thousands (no count per microlitre is
            # written to three decimals)
            value = int(m.group("num").replace(".", ""))
        if not check_unit_plausible(ucum, float(value)):
            return None
        return value, unit, ucum, m.end("unit") if unit else m.end("num")

    # cheap guards: most criteria have no number, no reference limit, no graded count
    has_digit = _DIGIT.search(text) is not None
    has_limit = _LIMIT_WORD.search(text) is not None
    comp_at = _comparator_starts(text)
    uln_at = sorted({*comp_at, *(m.start() for m in _MULT_AT.finditer(text))}) if has_limit else []
    for pattern in _gleason_patterns(text, taken) if has_digit and "+" in text else ():
        out.append(pattern)
        taken.append((pattern.start, pattern.end))
    for signed in _signed_thresholds(text, taken, unit_fields) if has_digit and _SIGNED_NUMBER.search(text) else ():
        out.append(signed)
        taken.append((signed.start, signed.end))
    for m in _SCORE_OF_ON.finditer(text) if has_digit and "score" in text.lower() else ():
        # "Score of 4 on the EHS scale": the score the scale named after it must have
        if not taken.overlaps(m.start("num"), m.end("num")):
            out.append(Threshold(m.start("num"), m.end("num"), "=", "score-of-on", value=_number(m.group("num"))))
            taken.append((m.start("num"), m.end("num")))
    percent_at = (
        number_or_comparator_starts(text, comp_at, _DIGIT)
        if has_limit and has_digit and ("%" in text or "percent" in text.lower())
        else []
    )
    for m in _matches_at(PERCENT_LIMIT_RE, text, percent_at):
        if taken.overlaps(m.start(), m.end()):
            continue
        pct = float(parse_number(m.group("pct")))
        written = comparator_of(m.group("comp")) if m.group("comp") else None
        side = (m.group("side") or "").lower()
        if not side:
            mult, comp = pct / 100, written or "="
        elif side.startswith(("below", "under", "lower", "less")):
            mult, comp = 1 - pct / 100, _TURNED[written] if written else "<="
        else:
            mult, comp = 1 + pct / 100, written or ">="
        if not 0 < mult < 100:
            continue
        rule = "percent-of-limit"
        out.append(Threshold(m.start(), m.end(), comp, rule, multiple=round(mult, 6), reference=_reference(m)))
        taken.append((m.start(), m.end()))
    for m in _LIMIT_RANGE_LOW.finditer(text) if has_limit and has_digit else ():
        # "creatinine 1.0 - 1.5 x ULN", "between 1.5 and 3 times ULN": a range of multiples of the limit
        upper = ULN_RE.match(text, m.end())
        if upper is None or taken.overlaps(m.start(), upper.end()):
            continue
        if upper.group("comp") or upper.group("comp2") or upper.group("more"):
            continue
        low_multiple, top = float(parse_number(m.group("low"))), (upper.group("mult") or upper.group("mult2")).lower()
        top_multiple = _multiple_value(top)
        if not check_range_ordered(low_multiple, top_multiple):
            continue
        multiples = Threshold(
            m.start("low"), upper.end(), "between", "limit-multiple-range", low=low_multiple, high=top_multiple
        )
        multiples.reference = _reference(upper)
        multiples.extra["inclusive"] = True
        out.append(multiples)
        taken.append((m.start(), upper.end()))
    for m in _matches_at(ULN_RE, text, uln_at) if has_limit else ():
        if taken.overlaps(m.start(), m.end()):
            continue
        word = (m.group("mult") or m.group("mult2")).lower()
        mult = _multiple_value(word)
        ref = _reference(m)
        comp_text = m.group("comp") or m.group("comp2")
        comp = comparator_of(comp_text) if comp_text else (">" if m.group("more") else "=")
        within = not comp_text and _WITHIN_BEFORE.search(text, max(0, m.start() - 12), m.start())
        if within:
            comp = "<="  # "serum transaminases within 3 times upper limit of normal"
        out.append(Threshold(m.start(), m.end(), comp, "limit-multiple", multiple=mult, reference=ref))
        if not comp_text and not m.group("more") and not within:
            out[-1].extra["comparator_unwritten"] = True
        taken.append((m.start(), m.end()))
    for m in _matches_at(ULN_BARE_RE, text, comp_at) if has_limit else ():
        if taken.overlaps(m.start(), m.end()):
            continue
        ref = _reference(m)
        out.append(Threshold(m.start(), m.end(), comparator_of(m.group("comp")), "limit", multiple=1.0, reference=ref))
        taken.append((m.start(), m.end()))
    for m in NORMAL_BARE_RE.finditer(text) if has_limit and "normal" in text.lower() else ():
        if taken.overlaps(m.start(), m.end()):
            continue
        if _AMOUNT_BEFORE.search(text, max(0, m.start() - 24), m.start()):
            continue  # "no greater than 0.3 mg/dL above normal", "3 times above normal": an amount past it
        comp, ref = (">", "ULN") if m.group("above") else ("<", "LLN")
        out.append(Threshold(m.start(), m.end(), comp, "normal-limit", multiple=1.0, reference=ref))
        taken.append((m.start(), m.end()))
    for m in _matches_at(COUNT_RE, text, comp_at) if has_digit else ():
        if taken.overlaps(m.start(), m.end()):
            continue
        unit = m.group("unit")
        out.append(
            Threshold(
                m.start(),
                m.end(),
                comparator_of(m.group("comp")),
                "count-graded",
                value=_number(m.group("num")),
                unit=unit,
                ucum=reg.to_ucum(unit) or "{" + unit.rstrip("s") + "}",
                count_of=f"{'systems' if 'system' in unit.lower() else unit} graded {m.group('grade')}",
            )
        )
        taken.append((m.start(), m.end()))
    for m in _matches_at(_with_units(PRESSURE_PAIR_RE), text, comp_at) if has_digit and "/" in text else ():
        if taken.overlaps(m.start(), m.end()):
            continue
        unit, ucum = unit_fields(m.group("unit"))
        if ucum != "mm[Hg]":
            unit = ucum = None  # "160/100 mm/Hg": only mmHg is a pressure's unit
        systolic, diastolic = int(m.group("sys")), int(m.group("dia"))
        if not check_pressure_pair(systolic, diastolic, ucum, text[max(0, m.start() - 40) : m.start()]):
            continue
        comparator = comparator_of(m.group("comp"))
        end = m.end("unit") if unit else m.end("dia")
        for start, stop, pressure, measure in (
            (m.start(), m.end("sys"), systolic, "systolic blood pressure"),
            (m.start("dia"), end, diastolic, "diastolic blood pressure"),
        ):
            out.append(Threshold(start, stop, comparator, "pressure-pair", value=pressure, unit=unit, ucum="mm[Hg]"))
            out[-1].extra["measure"] = measure
            # relative to the threshold, as offsets are shifted with it
            out[-1].extra["value_span"] = [m.start() - start, end - start]
        taken.append((m.start(), end))
    for m in _matches_at(_with_units(BOUNDED_RANGE_RE), text, comp_at) if has_digit else ():
        if taken.overlaps(m.start(), m.end()):
            continue
        c1, c2 = comparator_of(m.group("c1")), comparator_of(m.group("c2"))
        low, high = _number(m.group("low")), _number(m.group("high"))
        if c1 in {"<", "<="} and c2 in {">", ">="}:
            # "IIEF ≤ 25 and ≥ 6 points": the upper bound written first
            c1, c2, low, high = c2, c1, high, low
        if c1 not in {">", ">="} or c2 not in {"<", "<="}:
            continue
        unit, ucum = unit_fields(m.group("unit") or m.group("u1"))
        if not check_range_ordered(low, high):
            continue
        end = m.end("unit") if m.group("unit") else m.end("high")
        if not unit and (angle := angle_degrees(text, m.start(), end, float(high))) is not None:
            unit, ucum, end = angle.group("deg"), "deg", angle.end()  # "curvature >30 and <90 degrees"
        out.append(Threshold(m.start(), end, "between", "bounded-range", low=low, high=high, unit=unit, ucum=ucum))
        out[-1].extra["inclusive"] = c1 == ">=" and c2 == "<="
        if (c1 == ">=") != (c2 == "<="):
            out[-1].extra["low_inclusive"] = c1 == ">="
            out[-1].extra["high_inclusive"] = c2 == "<="
        taken.append((m.start(), end))
    for m in _with_units(MEASURE_BETWEEN_RE).finditer(text) if has_digit and _SIGN_BEFORE_WORD.search(text) else ():
        if taken.overlaps(m.start(), m.end()):
            continue
        found = _measure_between(m, unit_fields)
        if found is not None:
            out.append(found)
            taken.append((found.start, found.end))
    time_range_at = (
        number_or_comparator_starts(text, comp_at, _DIGIT) if has_digit and _TWO_TIME_UNITS.search(text) else []
    )
    for m in _matches_at(TIME_UNITS_RANGE_RE, text, time_range_at):
        if taken.overlaps(m.start(), m.end()):
            continue
        (u1, ucum1), (u2, ucum2) = unit_fields(m.group("u1")), unit_fields(m.group("unit"))
        comp = comparator_of(m.group("comp")) if m.group("comp") else "<="
        low_comp = comparator_of(m.group("c1")) if m.group("c1") else ">="
        low, high = _number(m.group("low")), _number(m.group("high"))
        if ucum1 is None or ucum2 is None or ucum1 == ucum2 or comp not in {"<", "<="} or low_comp not in {">", ">="}:
            continue  # one unit is a plain range; "6 months to >2 years" is none
        if not reg.convert(float(low), ucum1, "d") < reg.convert(float(high), ucum2, "d"):
            continue  # a falling range
        high_start = m.start("comp") if m.group("comp") else m.start("high")
        out.append(Threshold(m.start(), m.end("u1"), low_comp, "time-units-range", value=low, unit=u1, ucum=ucum1))
        out.append(Threshold(high_start, m.end(), comp, "time-units-range", value=high, unit=u2, ucum=ucum2))
        taken.append((m.start(), m.end()))
    for m in _retrying(_with_units(RANGE_RE), text) if has_digit else ():
        if taken.overlaps(m.start(), m.end()):
            continue
        low, high = _number(m.group("low")), _number(m.group("high"))
        unit, ucum = unit_fields(m.group("unit"))
        if m.group("u1") and (not unit or unit_fields(m.group("u1"))[1] != ucum):
            continue  # "2 cm to 5 mm", "5 mg and 10": not one range
        sep = text[m.end("low") : m.start("high")].strip().lower()
        if sep == "and" and _LIST_BEFORE.search(text, max(0, m.start() - 8), m.start()):
            continue  # "follow-up at 1, 3, 6 and 12 months": the last two of a list
        comp_before = _COMP_RIGHT_BEFORE.search(text, max(0, m.start() - 40), m.start()) if sep == "and" else None
        if comp_before is not None:
            # "SGPT and SGOT less than or equal to 147 and 168 U/L": a limit each, in the order the
            # measures are named, no range
            unit, ucum = unit_fields(m.group("unit"))
            if taken.overlaps(comp_before.start(), m.end()) or not check_unit_plausible(ucum, float(low)):
                continue
            comparator = comparator_of(comp_before.group("comp"))
            first_limit = Threshold(comp_before.start(), m.end("low"), comparator, "respective-limits", value=low)
            second_limit = Threshold(m.start("high"), m.end("unit") if unit else m.end("high"), comparator,
                               "respective-limits", value=high)  # fmt: skip
            for k, limit in enumerate((first_limit, second_limit)):
                limit.unit, limit.ucum = unit, ucum
                limit.extra["respective"] = [k, 2]
                out.append(limit)
            taken.append((comp_before.start(), second_limit.end))
            continue
        if (
            sep in {"-", "–", "and", "to"}
            and not unit
            and not _SCORE_BEFORE.search(text[max(0, m.start() - 40) : m.start()])
            and not _score_patterns().name_before.search(text, max(0, m.start() - 60), m.start())
            and not _RANGE_LEAD.search(text, max(0, m.start() - 20), m.start())
        ):
            continue  # "visit 1-2" or "1 and 2" without a unit is too weak to be a range
        if not check_range_ordered(low, high) or not check_unit_plausible(ucum, float(high)):
            continue
        if not unit and _are_years(low, high):
            continue  # "consultation between 1993-1999": calendar years, not a threshold
        if _EVERY_BEFORE.search(text, max(0, m.start() - 8), m.start()):
            continue  # "cytarabine every 12-24 hours": how often, a dosing frequency, no threshold
        end = m.end("unit") if unit else m.end("high")
        # "a HIT-6 score of ≥ 56 to 78": an inclusive lower bound's sign before the range is the range's
        sign = _AT_LEAST_SIGN_BEFORE.search(text, max(0, m.start() - 4), m.start())
        start = sign.start() if sign and not taken.overlaps(sign.start(), m.start()) else m.start()
        out.append(Threshold(start, end, "between", "range", low=low, high=high, unit=unit, ucum=ucum))
        out[-1].extra["inclusive"] = True
        taken.append((start, end))
        # "8.0-10.0 mg/dL (2.0-2.5 mmol/L)": the same range restated in another unit
        eq = _with_units(RANGE_EQUIVALENT_RE).match(text, end) if unit else None
        eq_unit, eq_ucum = unit_fields(eq.group("unit")) if eq else (None, None)
        if eq and check_units_restate(ucum, eq_ucum):
            eq_low, eq_high = _number(eq.group("low")), _number(eq.group("high"))
            if check_range_ordered(eq_low, eq_high):
                restated = Threshold(
                    eq.start("low"),
                    eq.end("unit"),
                    "between",
                    "parenthesised-equivalent",
                    low=eq_low,
                    high=eq_high,
                    unit=eq_unit,
                    ucum=eq_ucum,
                    equivalent_of=len(out) - 1,
                )
                restated.extra["inclusive"] = True
                out.append(restated)
                taken.append((eq.start(), eq.end()))
    for m in _with_units(POSTFIX_RE).finditer(text) if has_digit else ():
        if taken.overlaps(m.start(), m.end()):
            continue
        after = _LEADING_DIGITS.match(text, m.end("post"))
        if _NUMBER_NEXT.match(text, m.end("post")) and not (
            after and _is_next_list_marker(text, m.start(), after.start(1), after.end(1))
        ):
            continue  # "below 40 or above 95": two comparisons, not "40 or above" (a list's next number is none)
        if not (m.group("unit") or m.group("unit_after")) and _count_at(text, m.start()):
            continue  # "3 or more anti-HIV drugs": a count of things, read below
        before = _COMP_BEFORE.search(text, max(0, m.start() - 40), m.start())
        if before and comparator_of(before.group("comp"))[:1] != (">" if _is_more(m) else "<"):
            continue  # "older than 21 years of age and under age of 80": ">21", not "21 and under"
        if m.group("den") and m.group("den") not in _SCALE_MAXIMA:
            continue  # "1/3 or less" is a fraction, not a score: reported as unparsed
        if m.group("post").split()[-1].lower() in _RELEASE_WORDS and not _VERSION_BEFORE.search(
            text, max(0, m.start() - 50), m.start()
        ):
            continue  # "or later" is a version's ("iOS 15 or later"), not a time's ("at week 8 or later")
        comparator = ">=" if _is_more(m) else "<="
        unit, ucum = unit_fields(m.group("unit") or m.group("unit_after"))
        out.append(
            Threshold(
                m.start(),
                m.end(),
                comparator,
                "number-postfix-comparator",
                value=_number(m.group("num")),
                unit=unit,
                ucum=ucum,
            )
        )
        taken.append((m.start(), m.end()))
    for m in AGE_PLUS_RE.finditer(text) if "+" in text else ():
        # "aged 40+", "18+ years of age": a plus after an age is its lower bound (never a dipstick's "2+")
        if taken.overlaps(m.start(), m.end()) or not (
            m.group("unit") or _AGE_WORD_BEFORE.search(text, max(0, m.start() - 12), m.start())
        ):
            continue
        unit, ucum = unit_fields(m.group("unit")) if m.group("unit") else (None, None)
        out.append(Threshold(m.start(), m.end(), ">=", "age-plus", value=_number(m.group("num")), unit=unit, ucum=ucum))
        taken.append((m.start(), m.end()))
    counted_at = (
        number_or_comparator_starts(text, comp_at, _COUNT_NUMBER_AT) if has_digit or _NUMBER_WORD.search(text) else []
    )
    for m in _matches_at(_counted_pattern(), text, counted_at):
        # a count of methods of contraception is a minimum with no comparator ("using two
        # effective forms of contraception"); other bare counts are no thresholds
        contraceptive = _CONTRACEPTION.search(m.group("counted"))
        if taken.overlaps(m.start(), m.end()) or not (m.group("comp") or m.group("post") or contraceptive):
            continue
        if _BLANK_LINE.search(m.group()):
            continue  # "Over the age of 18\n\nExclusion Criteria": a count never runs into a heading
        longer_unit = reg.pattern.match(text, m.start("noun"))
        if longer_unit and longer_unit.end() > m.end("noun"):
            continue  # "more than 3 drinks in a single day": a rate, read with its unit
        post = (m.group("post") or "").split()
        if m.group("comp"):
            comparator = comparator_of(m.group("comp"))
        else:
            comparator = ">=" if not post or post[-1] == "more" else "<="
        unit, ucum = unit_fields(m.group("noun"))
        counted = re.sub(r"\s+", " ", m.group("counted").lower())
        t = Threshold(m.start(), m.end(), comparator, "counted-items", value=_count(m.group("num")))
        # the count units of units.json where they name it ("{cycles}"), else the noun as an annotation
        ucum = ucum or "{" + m.group("noun").lower() + "}"
        if m.group("rate"):
            unit = f"{m.group('noun')} per {m.group('per').lower()}"
            ucum = f"{ucum}/{_RATE_UCUM[m.group('per').lower()]}"
            counted = f"{counted} per {m.group('per').lower()}"
        t.unit, t.ucum, t.count_of = unit, ucum, counted
        # the Multiplier mention is the count alone ("at least 4" of "at least 4 attempts", "more than 2"
        # of "more than 2 systemic chemotherapy regimens"), as the golds (363 of 460 Multipliers a count
        # alone) and Chia (19 of 26 where the noun follows the number) mark it; what it counts is the
        # measure
        count_end = m.end("post") if m.group("post") else m.end("num")
        t.extra["value_span"] = (0, count_end - m.start())
        t.extra["measure"] = f"number of {counted}"
        out.append(t)
        taken.append((m.start(), m.end()))
    for m in _matches_at(FREQUENCY_WORD_RE, text, comp_at) if _FREQUENCY_WORD.search(text) else ():
        if taken.overlaps(m.start(), m.end()):
            continue
        per = m.group("per").lower()
        t = Threshold(
            m.start(),
            m.end(),
            comparator_of(m.group("comp")),
            "frequency-word",
            value=_FREQUENCY_WORDS[m.group("word").lower()],
            unit=f"times per {per}",
            ucum=f"/{_RATE_UCUM[per]}",
        )
        out.append(t)
        taken.append((m.start(), m.end()))
    for m in _matches_at(HYPHENATED_DURATION_RE, text, comp_at):
        if taken.overlaps(m.start(), m.end()) or not (m.group("article") or "-" in m.group("join")):
            continue
        if m.group("comp").lower() in _NOT_DURATION_LIMITS:
            continue
        out.append(compared_count(m, "hyphenated-duration", "num"))
        taken.append((m.start(), m.end()))
    for m in MUST_BE_AGE_RE.finditer(text) if has_digit and "must" in text.lower() else ():
        # "Patients must be 18 years of age": an age requirement with no comparator is a lower limit
        if taken.overlaps(m.start("num"), m.end("unit")):
            continue
        unit, ucum = unit_fields(m.group("unit"))
        age = Threshold(
            m.start("num"), m.end("unit"), ">=", "must-be-age", value=int(m.group("num")), unit=unit, ucum=ucum
        )
        out.append(age)
        taken.append((m.start("num"), m.end("unit")))
    for m in _matches_at(DIMENSIONS_RE, text, comp_at) if has_digit else ():
        # "greater than 2 x 2 cm", "at least 1.5 x 1 cm": a size in two or three dimensions bounds
        # the longest, written first
        if taken.overlaps(m.start(), m.end()):
            continue
        out.append(compared_count(m, "dimensions", "num"))
        taken.append((m.start(), m.end()))
    for m in _matches_at(_with_units(COMPARISON_RE), text, comp_at) if has_digit else ():
        if taken.overlaps(m.start(), m.end()):
            continue
        quantity = number_with_unit(m)
        if quantity is None:
            continue
        value, unit, ucum, end = quantity
        rule = "comparator-number-unit"
        bare_degrees = None if unit else _BARE_DEGREES.match(text, end) or _SCALE_LETTER.match(text, end)
        scale = temperature_scale(float(value)) if bare_degrees else None
        if scale and bare_degrees and bare_degrees.group("deg") in _SCALE_OF_LETTER:
            # "fever > 38.5 C": the letter alone names the scale, which the number must be on
            scale = scale if _SCALE_OF_LETTER[bare_degrees.group("deg")] == scale else None
        if bare_degrees and scale and _TEMPERATURE_WORD.search(text, max(0, m.start() - 60), m.start()):
            # "Fever of > 38.5 degrees": the scale the number can only be on
            unit, ucum, end, rule = bare_degrees.group("deg"), scale, bare_degrees.end(), rule + "+scale"
        elif (angle := angle_degrees(text, m.start(), end, float(value))) is not None:
            unit, ucum, end, rule = angle.group("deg"), "deg", angle.end(), rule + "+angle"
        analyte = None if unit else _analyte_then_unit(text, end, float(value), unit_fields)
        if analyte is not None:
            unit, ucum = unit_fields(analyte.group("unit"))
            end, rule = analyte.end(), rule + "+analyte"
        gloss = _with_units(UNIT_GLOSS_RE).match(text, end) if unit else None
        if gloss is not None and unit_fields(gloss.group("unit"))[1] == ucum:
            # "<10.4 nanomoles per liter (nmol/L)": the unit's own abbreviation after it belongs to it
            # (and a restatement in another unit comes after that: "[300 nanograms per deciliter]")
            end = gloss.end()
        out.append(
            Threshold(
                m.start(),
                end,
                comparator_of(m.group("comp")),
                rule,
                value=value,
                unit=unit,
                ucum=ucum,
            )
        )
        if analyte is not None:
            # relative to the threshold's start, as offsets are shifted with it
            out[-1].extra["analyte_span"] = [analyte.start("analyte") - m.start(), analyte.end("analyte") - m.start()]
        taken.append((m.start(), end))
        eq = _with_units(EQUIVALENT_RE).match(text, end)
        rule = "parenthesised-equivalent"
        if not eq and unit:
            eq = _with_units(EQUIVALENT_OR_RE).match(text, end)
            rule = "or-equivalent"
            if eq and not check_units_restate(ucum, unit_fields(eq.group("unit"))[1]):
                eq = None
        if eq and unit:
            eq_unit, eq_ucum = unit_fields(eq.group("unit"))
            out.append(
                Threshold(
                    eq.start("ecomp") if eq.groupdict().get("ecomp") else eq.start("num"),
                    eq.end("glossed") if eq.groupdict().get("glossed") is not None else eq.end("unit"),
                    comparator_of(eq.group("ecomp")) if eq.groupdict().get("ecomp") else out[-1].comparator,
                    rule,
                    value=_number(eq.group("num")),
                    unit=eq_unit,
                    ucum=eq_ucum,
                    equivalent_of=len(out) - 1,
                )
            )
            taken.append((eq.start(), eq.end()))
    headed, heads, heads_at = _headed_comparison()
    for m in _with_units(headed).finditer(text) if has_digit and heads_at.search(text) else ():
        if taken.overlaps(m.start("num"), m.end()):
            continue
        quantity = number_with_unit(m)
        if quantity is None:
            continue
        value, unit, ucum, end = quantity
        comparator = heads[m.group("head").lower()]
        out.append(Threshold(m.start("num"), end, comparator, "headed-comparison", value=value, unit=unit, ucum=ucum))
        taken.append((m.start("num"), end))
    for m in _matches_at(WORD_DURATION_RE, text, comp_at) if _NUMBER_WORD.search(text) else ():
        if taken.overlaps(m.start(), m.end()):
            continue
        out.append(compared_count(m, "comparator-word-number-unit", "word"))
        taken.append((m.start(), m.end()))
    for m in STAGE_RANGE_RE.finditer(text) if _STAGE_WORD.search(text) else ():
        first, last = m.group("low").translate(_UNICODE_ROMAN), m.group("high").translate(_UNICODE_ROMAN)
        if taken.overlaps(m.start(), m.end()) or first == last or not (set(first + last) - set("IV")):
            continue  # plain roman ranges ("stage III-IV") are the ordinal range's
        if _stage_rank(first) <= _stage_rank(last):
            # (the word stage is no part of the value: it names the measure, as in all 12 gold stage ranges)
            out.append(Threshold(m.start("low"), m.end(), "between", "stage-range", low=first, high=last))
            out[-1].extra["inclusive"] = True
            # the word stage names it: a cancer's stage, as the golds name it, or the staging system's
            # written before it ("FIGO stage IIIB-IVA")
            out[-1].extra["measure"] = _stage_measure(text, m.start())
            taken.append((m.start(), m.end()))
    for m in _matches_at(ORDINAL_RANGE_RE, text, [m.start() for m in _ORDINAL_AT.finditer(text)]):
        if taken.overlaps(m.start(), m.end()):
            continue
        if check_range_ordered(m.group("low"), m.group("high")):
            staged = _STAGES_LEAD.match(text, m.start()) is not None
            out.append(
                Threshold(
                    m.start("low") if staged else m.start(),
                    m.end(),
                    "between",
                    "ordinal-range",
                    low=m.group("low"),
                    high=m.group("high"),
                )
            )
            out[-1].extra["inclusive"] = True
            if staged:
                # "stage III-IV disease", "AJCC stages III-IV": the word stage names it, as it does one stage
                out[-1].extra["measure"] = _stage_measure(text, m.start())
            elif _TANNER_BEFORE.search(text, max(0, m.start() - 12), m.start()):
                out[-1].extra["measure"] = "tanner stage"  # "Tanner II-V pubertal development"
            taken.append((m.start(), m.end()))
    for m in _matches_at(ORDINAL_COMPARISON_RE, text, comp_at):
        if taken.overlaps(m.start(), m.end()):
            continue
        grade: str | int = int(m.group("digit")) if m.group("digit") else m.group("num") or m.group("roman")
        out.append(Threshold(m.start(), m.end(), comparator_of(m.group("comp")), "ordinal-comparison", value=grade))
        taken.append((m.start(), m.end()))
    for found in _score_values(text, taken):
        out.append(found)
        taken.append((found.start, found.end))
    for found in _tnm_categories(text, taken):
        out.append(found)
        taken.append((found.start, found.end))
    # (after the named scores: "New York Heart Association stage III or IV" is the score's)
    for m in ORDINAL_OR_RE.finditer(text) if _ORDINAL_WORD.search(text) else ():
        lowest, highest = m.group("low"), m.group("high")
        if taken.overlaps(m.start(), m.end()) or lowest.isdigit() != highest.isdigit():
            continue
        ordered = int(lowest) < int(highest) if lowest.isdigit() else _stage_rank(lowest) < _stage_rank(highest)
        if not ordered:
            continue
        start = m.start() if m.group("word").lower() == "grade" else m.start("low")
        t = Threshold(start, m.end(), "between", "ordinal-or", low=int(lowest) if lowest.isdigit() else lowest)
        t.high = int(highest) if highest.isdigit() else highest
        t.extra["inclusive"] = True
        if m.group("word").lower() == "stage":
            t.extra["measure"] = _stage_measure(text, m.start())
        out.append(t)
        taken.append((m.start(), m.end()))
    # (after the ranges: "stage IIB, III, or IV" is the range IIB-IV)
    for m in STAGE_LIST_RE.finditer(text) if _STAGE_WORD.search(text) else ():
        if taken.overlaps(m.start(), m.end()):
            continue
        measure = _stage_measure(text, m.start())
        items = list(_STAGE_IN_LIST.finditer(text, m.start() + len(m.group().split()[0]), m.end()))
        if _stages_run_on([i.group() for i in items]):
            # "stage IIB, III, or IV", "Stage I, II, and III": no stage between is left out, the range
            t = Threshold(items[0].start(), items[-1].end(), "between", "stage-list", low=items[0].group())
            t.high, t.extra["inclusive"], t.extra["measure"] = items[-1].group(), True, measure
            out.append(t)
        else:
            for item in items:
                t = Threshold(item.start(), item.end(), "=", "stage-list", value=item.group())
                t.extra["measure"] = measure
                out.append(t)
        taken.append((m.start(), m.end()))
    for m in SINGLE_STAGE_RE.finditer(text) if _STAGE_WORD.search(text) else ():
        if taken.overlaps(m.start(), m.end()):
            continue
        t = Threshold(m.start("stage"), m.end(), "=", "single-stage", value=m.group("stage"))
        t.extra["measure"] = _stage_measure(text, m.start())
        out.append(t)
        taken.append((m.start(), m.end()))
    for m in SINGLE_GRADE_RE.finditer(text) if _GRADE_WORD_IN.search(text) else ():
        # "No grade 2 heart toxicity", "Grade IV intraventricular hemorrhage": one grade, of what is
        # named after (or before) it
        if taken.overlaps(m.start(), m.end()):
            continue
        grade = m.group("grade")
        out.append(Threshold(m.start(), m.end(), "=", "single-grade", value=int(grade) if grade.isdigit() else grade))
        taken.append((m.start(), m.end()))
    # "≥ 5% blasts in the bone marrow": a percentage of blasts names its measure after it (or before
    # it: "Blasts in peripheral blood > 20%"), and "≥ 10% plasma cells", "no more than 55%
    # prolymphocytes" name the cells after it
    for t in out:
        if t.ucum != "%" or "measure" in t.extra:
            continue
        blasts = _BLASTS_AFTER.match(text, t.end) or _BLASTS_BEFORE.search(text, max(0, t.start - 60), t.start)
        cells = None if blasts else _percent_cells().match(text, t.end)
        if blasts:
            written, cell = blasts.group("site") or blasts.groupdict().get("site0") or "", "blast"
        elif cells:
            written = cells.group("site") or ""
            cell = re.sub(r"\s+", " ", cells.group("cell").lower()).removesuffix("s")
        else:
            irradiated = _IRRADIATED_SITE_AFTER.match(text, t.end)
            if irradiated and _RADIATION_BEFORE.search(text, max(0, t.start - 60), irradiated.end()):
                # "Prior radiotherapy to more than 25% of the bone marrow", "if 50% radiation of pelvis"
                site = re.sub(r"\s+", " ", irradiated.group("site").lower())
                t.extra["measure"] = f"percentage of {_BLAST_SITES.get(site, site)} irradiated"
                t.extra["measure_after"] = True
            continue
        site = re.sub(r"\s+", " ", written.lower())
        t.extra["measure"] = f"{_BLAST_SITES.get(site, site)} {cell} percentage".strip()
        t.extra["measure_after"] = True
    # "severe hypotension (less than 100 systolic or less than 60 diastolic)": the pressure named after
    # the number
    for t in out:
        named_pressure = (
            _PRESSURE_AFTER.match(text, t.end) if "measure" not in t.extra and t.ucum in (None, "mm[Hg]") else None
        )
        if named_pressure:
            t.extra["measure"] = f"{named_pressure.group('which').lower()} blood pressure"
            t.extra["measure_after"] = True
    # "limit survival to less than 2 years", "Anticipated survival of at least 6 months": a duration
    # after the words is the life expectancy (linking takes the mention ending where they end)
    for t in out:
        lifespan = (
            _LIFESPAN_BEFORE.search(text, max(0, t.start - 40), t.start)
            if t.ucum in DURATION_UCUM and "measure" not in t.extra
            else None
        )
        # "PSA doubling time of >= 6 months", "PSADT < 10 months": a duration after the words is the
        # doubling time, never a time window
        doubling = (
            _DOUBLING_TIME_BEFORE.search(text, max(0, t.start - 50), t.start)
            if t.ucum in DURATION_UCUM and "measure" not in t.extra and not lifespan
            else None
        )
        if lifespan:
            t.extra["measure"] = "life expectancy"
            # (counted back from the threshold's start, which moves with it when the doc is a piece)
            t.extra["measure_word_gap"] = t.start - lifespan.end("word")
        elif doubling:
            psa = doubling.group("psa") or doubling.group("short")
            t.extra["measure"] = "psa doubling time" if psa else "doubling time"
            t.extra["measure_word_gap"] = t.start - doubling.end("word")
    # "Proteinuria ≥ 2+", "less than 1+ on dipstick": a grade of 0 to 4 written with its plus sign is the
    # grade as written, not a number ("3+4=7", a Gleason sum, goes on)
    for t in out:
        if (
            isinstance(t.value, int)
            and 0 <= t.value <= 4
            and t.unit is None
            and t.multiple is None
            and _PLUS_GRADE_END.match(text, t.end)
        ):
            t.value, t.end, t.rule = f"{t.value}+", t.end + 1, t.rule + "+plus-grade"
    # "(normal less than 0.4)", "(normal range: 0-5 mg/L)": the laboratory's reference range after a
    # threshold states no criterion (its text is reported as unparsed)
    out = [t for t in out if not _REFERENCE_RANGE_BEFORE.search(text, max(0, t.start - 30), t.start)]
    out_sorted = sorted(range(len(out)), key=lambda i: out[i].start)
    remap = {old: new for new, old in enumerate(out_sorted)}
    result = [out[i] for i in out_sorted]
    for t in result:
        if t.equivalent_of is not None:
            t.equivalent_of = remap[t.equivalent_of]
    # "IIEF-EF (1-30) domain score of <17", "pain score (0-10) of at least 4": the scale's range in
    # brackets before the limit on it states no criterion
    referred = {t.equivalent_of for t in result}
    scales = {
        i
        for i, t in enumerate(result)
        if i not in referred and t.equivalent_of is None and _is_scale_range(text, t, result[i + 1 : i + 2])
    }
    if scales:
        keep = [i for i in range(len(result)) if i not in scales]
        again = {old: new for new, old in enumerate(keep)}
        result = [result[i] for i in keep]
        for t in result:
            if t.equivalent_of is not None:
                t.equivalent_of = again[t.equivalent_of]
    _share_units(text, result)
    _share_comparators(text, result)
    return result


_SCALE_RANGE_GAP = re.compile(r"\)[^.;()<>≤≥=\d]{0,30}$")


def _is_scale_range(text: str, t: Threshold, after: list[Threshold]) -> bool:
    """Named check: a range from 0 or 1, alone in brackets, with a limit right after it in the same
    clause ("(1-30) domain score of <17") is the range of the scale the limit is on."""
    if t.comparator != "between" or t.low not in (0, 1) or not after:
        return False
    if text[max(0, t.start - 1) : t.start] != "(" or text[t.end : t.end + 1] != ")":
        return False
    return bool(_SCALE_RANGE_GAP.fullmatch(text, t.end, after[0].start))


_BLASTS_AFTER = re.compile(
    # ("≤5% marrow blasts": the site may come before the word)
    r"[ \t]*(?:of[ \t]+)?(?:(?P<site0>bone[ \t]+marrow|marrow|peripheral[ \t]+blood|BM|PB)[ \t]+)?"
    r"(?:(?:leuk(?:a)?emic|myeloid|lymphoid)[ \t]+)?blasts?\b"
    r"(?:[ \t]+(?:in|of)[ \t]+(?:the[ \t]+)?(?P<site>bone[ \t]+marrow|marrow|peripheral[ \t]+blood|blood|BM|PB|CSF"
    r"|cerebrospinal[ \t]+fluid)\b)?",
    re.IGNORECASE,
)
_BLASTS_BEFORE = re.compile(
    r"(?:\b(?P<site0>bone[ \t]+marrow|marrow|peripheral[ \t]+blood|blood|BM|PB|CSF)[ \t]+)?\bblasts?(?:[ \t]+(?:in|of)[ \t]+(?:the[ \t]+)?(?P<site>bone[ \t]+marrow|marrow|peripheral[ \t]+blood|blood|BM|PB|CSF"
    r"|cerebrospinal[ \t]+fluid)\b)?(?:[ \t]+(?:count|percentage|level))?[ \t]*(?:of|is|are|:)?[ \t]*$",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _percent_cells() -> re.Pattern[str]:
    cells = sorted(word_list("percent_cells"), key=len, reverse=True)
    alternation = "|".join(r"[ \t]+".join(map(re.escape, c.split())) + "s?" for c in cells)
    return re.compile(
        rf"[ \t]*(?:of[ \t]+)?(?:(?P<site>bone[ \t]+marrow|marrow|peripheral[ \t]+blood|peripheral|BM|PB)[ \t]+)?"
        rf"(?P<cell>{alternation})(?![\w+])",
        re.IGNORECASE,
    )


# "limit survival to less than 2 years", "limits life expectancy to < 2 years", "an estimated survival of
# at least 3 months": how long one is expected to live (not a disease-free or progression-free survival)
_LIFESPAN_BEFORE = re.compile(
    r"(?<!free\s)(?<!free-)\b(?P<word>life\s+expectancy|survival)(?:\s+(?:time|period))?\s+(?:to|of|is|:)?\s*$",
    re.IGNORECASE,
)
_PLUS_GRADE_END = re.compile(r"\+(?![\d+=])")
_DOUBLING_TIME_BEFORE = re.compile(
    r"\b(?P<word>(?:(?P<psa>PSA|prostate[- ]specific\s+antigen)\s+)?doubling\s+time|(?P<short>PSA-?DT))"
    r"(?:\s*\((?:PSA-?DT)\))?\s*(?:of|is|was|:|must\s+be|should\s+be)?\s*$",
    re.IGNORECASE,
)
# the part of the body a percentage of was irradiated, and the radiation word before it or in between
_IRRADIATED_SITE_AFTER = re.compile(
    r"\s{1,3}(?:radiation\s{1,3})?of\s{1,3}(?:the\s{1,3}|their\s{1,3}|his\s{1,3}|her\s{1,3})?"
    # ("35% of red marrow", "25% of the active bone marrow": the marrow that makes blood)
    r"(?P<site>(?:(?:red|active|functioning|hematopoietic|haematopoietic)\s{1,3})?(?:bone\s{1,3}marrow|marrow)"
    r"|pelvis|body|skeleton|liver|lungs?|brain)\b",
    re.IGNORECASE,
)
_RADIATION_BEFORE = re.compile(r"\b(?:radiotherapy|radiation|irradiat\w*|RT)\b", re.IGNORECASE)
_BLAST_SITES = {"marrow": "bone marrow", "bm": "bone marrow", "pb": "peripheral blood", "blood": "peripheral blood"}
_BLAST_SITES |= {"csf": "cerebrospinal fluid", "peripheral": "peripheral blood"}
_REFERENCE_RANGE_BEFORE = re.compile(
    r"\(\s*(?:the\s+)?(?:normal|reference)(?:\s+(?:range|values?|limits?|levels?|interval))?\s*(?:[:=]|is|of)?\s*$",
    re.IGNORECASE,
)


# what joins a limit to an alternative limit written without its comparator: "no greater than 1.5
# times ULN (3 times ULN in the presence of liver metastases)", "<= 2.5 x ULN, or 5 x ULN if ..."
_ALTERNATIVE_LIMIT_GAP = re.compile(r"\s*(?:\(|,?\s*(?:or|and)\s+|[;,])\s*")


def _share_comparators(text: str, thresholds: list[Threshold]) -> None:
    """A multiple of a limit written with no comparator right after another multiple of the same
    limit takes that one's comparator: it is an alternative limit, not an equality."""
    for before, t in itertools.pairwise(thresholds):
        if (
            t.extra.get("comparator_unwritten")
            and before.multiple is not None
            and before.reference == t.reference
            and before.comparator != "="
            and _ALTERNATIVE_LIMIT_GAP.fullmatch(text, before.end, t.start)
        ):
            t.comparator = before.comparator
            t.rule = "limit-multiple-alternative"
        t.extra.pop("comparator_unwritten", None)


def _ordinal(value: str) -> int | None:
    """The rank of a score's value written as a whole number, a Roman numeral or a letter grade."""
    if value.isdigit():
        return int(value)
    if value in _ROMAN_VALUES:
        return _ROMAN_VALUES[value]
    return ord(value) - ord("A") if len(value) == 1 and value.isalpha() else None


def _grade(value: str) -> float | str:
    """A score's value as the record holds it: a number, or a Roman numeral or letter as written."""
    return value if value.isalpha() else _number(value)


_BLANKS = re.compile(r"[ \t]*")


def _are_years(*numbers: float | int) -> bool:
    """Are the numbers calendar years (1900-2100, whole)?"""
    return all(isinstance(n, int) and 1900 <= n <= 2100 for n in numbers)


def _consecutive(ranks: list[int | None]) -> bool:
    """Are the ranks known and each one more than the one before (0, 1, 2; III, IV)?"""
    known = [r for r in ranks if r is not None]
    return len(known) == len(ranks) and all(b == a + 1 for a, b in zip(known, known[1:], strict=False))


def _unit_follows(reg: Any, text: str, end: int) -> bool:
    """Is a unit written right after ``end`` ("ASA 81 mg": a dose, not a class)?"""
    unit = reg.pattern.match(text, _BLANKS.match(text, end).end())  # type: ignore[union-attr]
    return bool(unit) and unit.end() > unit.start()


# a TNM category of a tumour's stage: "T3b", "N1-3", "M0", "Nx", "cT4", "pT2a", "T any" (case as written:
# "t4" is no category)
_TNM_TOKEN = re.compile(
    # (written together too: "T2N0M0", "T1-2N0M0")
    r"(?:(?<![A-Za-z0-9])|(?<=[0-9a-dxs])(?=[NM]))(?P<prefix>yp|yc|[cpyr])?(?P<cat>[TNM])"
    r"(?:(?P<low>is|x|X|[0-4][a-d]?)(?:[ \t]?[-–][ \t]?[TNM]?(?P<high>[0-4][a-d]?))?|[ \t](?P<any>any)\b)"
    r"(?:(?![A-Za-z0-9+])|(?=[NM][0-4xX]))"
)
_TNM_GUARD = re.compile(r"[TNM](?:[0-4xX]|is|[ \t]any)")
_STAGE_RIGHT_BEFORE = re.compile(r"\b(?P<clinical>clinical\s+)?(?:tumou?r\s+)?stag(?:e|ing)\s{1,3}$", re.IGNORECASE)
_TNM_GAP = re.compile(r"[ \t]*(?:[,/]|\b(?:or|and)\b)?[ \t]*")
_TNM_PREFIX = {"c": "clinical ", "p": "pathological ", "y": "post-therapy ", "yp": "post-therapy pathological "}
_STAGE_COMPARATOR_BEFORE = re.compile(
    rf"\b(?P<clinical>clinical\s+)?(?:T\s+)?stag(?:e|ing)\s{{1,3}}(?:(?:of|is)\s{{1,3}})?(?P<comp>{_COMP})\s{{0,3}}$",
    re.IGNORECASE,
)
_TNM_PREFIX |= {"yc": "post-therapy clinical ", "r": "recurrence "}
# the word stage after one category ("<=T2a stage disease"), and the comparator right before it (its
# empty "clinical" group stands in for _STAGE_COMPARATOR_BEFORE's, which names a clinical stage)
_STAGE_AFTER = re.compile(r"\s{1,3}stage\b", re.IGNORECASE)
_COMPARATOR_RIGHT_BEFORE = re.compile(rf"(?<![\w<>=≤≥])(?P<clinical>)(?P<comp>{_COMP})\s{{0,3}}$", re.IGNORECASE)


# a Gleason pattern: primary + secondary grade, with the sum or not ("3+4=7", "4 + 3")
_GLEASON_PATTERN = re.compile(
    rf"(?:(?P<comp>{_COMP})\s{{0,3}})?(?<![\d.+])(?P<p>[1-5])\s?\+\s?(?P<s>[1-5])(?:\s?=\s?(?P<t>\d{{1,2}}))?(?![\d.+])",
    re.IGNORECASE,
)
_GLEASON_NAME = re.compile(r"gleason", re.IGNORECASE)
_SUM_BEFORE_BRACKET = re.compile(r"\d\s{0,2}\([^()]*$")


def _gleason_patterns(text: str, taken: _Taken) -> Iterator[Threshold]:
    """Gleason patterns after the name Gleason in the same sentence ("Gleason grade less than or equal to
    3+4=7", "Gleason 3+3=6, 3+4=7"; rule ``gleason-pattern``): the pattern as written, which a sum alone
    would lose (3+4 and 4+3 are both 7). Never a pattern restating a sum in brackets ("Gleason score
    7 (3+4)"), nor one whose written sum is wrong."""
    names = [m.end() for m in _GLEASON_NAME.finditer(text)]
    if not names:
        return
    for m in _GLEASON_PATTERN.finditer(text):
        if taken.overlaps(m.start(), m.end()):
            continue
        last = max((n for n in names if n <= m.start()), default=None)
        if last is None or m.start() - last > 80 or re.search(r"[.;]\s", text[last : m.start()]):
            continue
        if _SUM_BEFORE_BRACKET.search(text, last, m.start()):
            continue  # "Gleason score ≥ 7 (3+4 and/or 4+3)": the sum's patterns, not thresholds of their own
        primary, secondary, total = m.group("p"), m.group("s"), m.group("t")
        if total is not None and int(total) != int(primary) + int(secondary):
            continue
        value = f"{primary}+{secondary}" + (f"={total}" if total else "")
        comparator = comparator_of(m.group("comp")) if m.group("comp") else "="
        found = Threshold(m.start(), m.end(), comparator, "gleason-pattern", value=value)
        found.extra["measure"] = "gleason score"
        yield found


_TNM_NEAR = re.compile(r"[^.;:\n]{1,25}")


def _tnm_categories(text: str, taken: _Taken) -> Iterator[Threshold]:
    """The categories of a TNM stage written together ("T any, N1-3, M0", "cT4, Nx, M0", "T2N0M0"; rule
    ``tnm-category``), each a constraint on its category ("tnm n category" between 1 and 3): at least
    two categories side by side, so that "free T4" or "M1 receptor" alone is none."""
    if not _TNM_GUARD.search(text):
        return  # (one cheap scan: most texts have no category at all)
    tokens = [m for m in _TNM_TOKEN.finditer(text) if not taken.overlaps(m.start(), m.end())]
    chains: list[list[re.Match[str]]] = []
    for m in tokens:
        if chains and _TNM_GAP.fullmatch(text, chains[-1][-1].end(), m.start()):
            chains[-1].append(m)
        else:
            chains.append([m])
    # chains a few words apart in one sentence state one stage ("tumors are T0, T1, 2 or 3 and N1, N2"):
    # the categories they name together count
    together: list[set[str]] = []
    for k, chain in enumerate(chains):
        cats = {m.group("cat") for m in chain}
        if (
            k
            and _TNM_NEAR.fullmatch(text, chains[k - 1][-1].end(), chain[0].start())
            # (a list of categories on one side at least: "free T4 and M1 receptor" is no stage)
            and max(len(chain), len(chains[k - 1])) > 1
        ):
            cats |= together[-1]
            for j in range(k - 1, -1, -1):  # (and the chains before share what this one adds)
                together[j] |= cats
                if not (j and _TNM_NEAR.fullmatch(text, chains[j - 1][-1].end(), chains[j][0].start())):
                    break
        together.append(set(cats))
    for chain, cats in zip(chains, together, strict=True):
        # one category alone bounds its stage only after a comparator and the word stage ("clinical
        # stage less than or equal to T2a")
        single = len(chain) == 1
        led = _STAGE_COMPARATOR_BEFORE.search(text, max(0, chain[0].start() - 60), chain[0].start()) if single else None
        if single and led is None and _STAGE_AFTER.match(text, chain[0].end()):
            # ... or after a comparator, the word stage after it ("<=T2a stage disease")
            led = _COMPARATOR_RIGHT_BEFORE.search(text, max(0, chain[0].start() - 30), chain[0].start())
        # ... or a range of it after the word stage ("clinical stage T1-T4")
        ranged = (
            _STAGE_RIGHT_BEFORE.search(text, max(0, chain[0].start() - 30), chain[0].start())
            if single and not led and chain[0].group("high")
            else None
        )
        if len(cats) < 2 and not led and not ranged:
            continue
        for m in chain:
            if m.group("any"):
                continue  # "T any" bounds nothing
            measure = f"{_TNM_PREFIX.get(m.group('prefix') or '', '')}tnm {m.group('cat').lower()} category"
            low = m.group("low").lower()
            if m.group("high"):
                found = Threshold(m.start(), m.end(), "between", "tnm-category", low=low, high=m.group("high"))
                found.extra["inclusive"] = True
                if ranged is not None and ranged.group("clinical") and not m.group("prefix"):
                    measure = f"clinical {measure}"
            elif led:
                found = Threshold(
                    led.start("comp"), m.end(), comparator_of(led.group("comp")), "tnm-category", value=low
                )
                if led.group("clinical"):
                    measure = f"clinical {measure}" if not m.group("prefix") else measure
            else:
                found = Threshold(m.start(), m.end(), "=", "tnm-category", value=low)
            found.extra["measure"] = measure
            yield found


# the topic label of a listing before a score's name ("Performance status: WHO 0 or 1")
_PERFORMANCE_LABEL = re.compile(r"performance\s+status\s*:\s*$", re.IGNORECASE)


def _score_values(text: str, taken: _Taken) -> Iterator[Threshold]:
    """A score's bare values after its name (rule ``score-value``): one value is ``=`` ("Gleason
    score 6"), consecutive grades are an inclusive range ("ECOG 0 or 1", "NYHA class III or IV");
    other lists ("Gleason 6 or 8") and values followed by more number or a unit are left unparsed."""
    patterns = _score_patterns()
    reg = registry()
    for m in patterns.values.finditer(text):
        if taken.overlaps(m.start("values"), m.end()):
            continue
        name = m.group("name")
        if name.upper() in patterns.capitals and not name.isupper():
            continue  # "who", "ps", "asa" in running text
        if name.lower() in patterns.needing_tail and not (
            m.group("tail") or _PERFORMANCE_LABEL.search(text, max(0, m.start() - 30), m.start())
        ):
            continue  # "CTCAE 5.0" is a version; "Performance status: WHO 0 or 1" is a score
        end = m.end()
        if not m.group("percent") and (_SCORE_VALUE_END.match(text, end) or _unit_follows(reg, text, end)):
            continue
        values = _SCORE_VALUE_GAP.split(m.group("values"))
        lettered = any(v.isalpha() and len(v) == 1 and v not in _ROMAN_VALUES for v in values)
        if lettered and (name.lower() not in patterns.letter_graded or not all(v.isalpha() for v in values)):
            continue  # "ECOG 0 or A"; a letter grades only the scores that use letters
        ranks = [_ordinal(v) for v in values]
        unit = "%" if m.group("percent") else None
        start = m.start("values")
        # "> NYHA class II", "less than CTCAE grade 1": the comparator written before the name
        before = _COMP_BEFORE.search(text, max(0, m.start() - 40), m.start())
        if m.group("post") and before:
            continue
        if len(values) == 1:
            value = _grade(values[0])
            if m.group("post"):
                comparator, rule = (">=" if _is_more(m) else "<="), "score-value+postfix-comparator"
            elif before:
                comparator, rule = comparator_of(before.group("comp")), "score-value+comparator-before"
            else:
                comparator, rule = "=", "score-value"
            yield Threshold(start, end, comparator, rule, value=value, unit=unit, ucum=unit)
        elif m.group("post") or before:
            continue  # "III or IV or worse"
        elif _consecutive(ranks) and "." not in m.group("values"):
            found = Threshold(
                start,
                end,
                "between",
                "score-values",
                low=_grade(values[0]),
                high=_grade(values[-1]),
                unit=unit,
                ucum=unit,
            )
            found.extra["inclusive"] = True
            yield found


# "> 170 or < 90 mm Hg", "potassium < 3.5 or > 5.1 mEq/L": the two sides of a measure, joined by a
# conjunction, share the unit written after the last ("BMI > 30 and at least 20 pounds" do not)
_UNIT_SHARING_GAP = re.compile(r"\s{0,3}(?:or|and|,|/)\s{0,3}", re.IGNORECASE)
_SHARES_UNIT = frozenset({"comparator-number-unit", "number-postfix-comparator"})


def _share_units(text: str, thresholds: list[Threshold]) -> None:
    """Give a bare comparison the unit of the comparison of the other direction that follows it
    after "or"/"and" (rule suffix ``+shared-unit``), where the unit is plausible for its number."""
    for i in range(len(thresholds) - 2, -1, -1):
        a, b = thresholds[i], thresholds[i + 1]
        if (
            a.unit is None
            and b.unit is not None
            and a.rule in _SHARES_UNIT
            and b.rule.split("+")[0] in _SHARES_UNIT
            and a.comparator[:1] in "<>"
            and b.comparator[:1] in "<>"
            and a.comparator[:1] != b.comparator[:1]
            and isinstance(a.value, (int, float))
            and _UNIT_SHARING_GAP.fullmatch(text, a.end, b.start)
            and check_unit_plausible(b.ucum, float(a.value))
        ):
            a.unit, a.ucum, a.rule = b.unit, b.ucum, f"{a.rule}+shared-unit"
