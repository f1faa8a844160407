"""The unit registry: written forms -> UCUM codes, and conversions (mass <-> molar via molar mass).

All unit knowledge lives in ``resources/units.json`` and ``resources/analytes.json``; this module holds
only the mechanism.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from .errors import UnitError
from .rules import AnalyteRule, UnitRule, load_json, load_rules
from .trie import trie_pattern

#: UCUM codes of the durations a threshold can be written in (years, months, weeks, days, hours)
DURATION_UCUM = frozenset({"a", "mo", "wk", "d", "h"})
_MICRO = str.maketrans({"µ": "μ"})


def _fold(text: str) -> str:
    """One key per written form: micro signs unified, spaces collapsed, none around '/' ("mg / dl")."""
    return re.sub(r"\s*/\s*", "/", re.sub(r"\s+", " ", text.translate(_MICRO))).strip()


def _split_unit(symbol: str, spelled: dict[str, Any]) -> tuple[str, str] | None:
    """A symbol as (prefix, unit) from the spelled-out table ("mg" -> ("m", "g")), or None."""
    for unit in sorted(spelled["units"], key=len, reverse=True):
        prefix = symbol[: len(symbol) - len(unit)]
        if symbol.endswith(unit) and prefix in spelled["prefixes"]:
            return prefix, unit
    return None


def spelled_variants(written: str, spelled: dict[str, Any]) -> set[str]:
    """The ways a concentration written as symbols is also written in words.

    "ng/dL" -> "nanograms/dL", "nanogram per deciliter", "ng per decilitre", "nanogram (ng)/dL",
    ...: either side spelled out (the numerator singular or plural, its symbol glossed in brackets
    after it or not; the denominator singular), '/' or 'per' between. A form that is not <prefix><unit>/<prefix><unit> of the table has none.
    """
    parts = written.split("/")
    if len(parts) != 2:
        return set()
    numerator, denominator = (_split_unit(part, spelled) for part in parts)
    if numerator is None or denominator is None:
        return set()
    (num_prefix, num_unit), (den_prefix, den_unit) = numerator, denominator
    numerators = {parts[0]}
    denominators = {parts[1]}
    for word in spelled["units"][num_unit]:
        name = spelled["prefixes"][num_prefix] + word
        # ("nanogram (ng)/mL": the symbol glossed in brackets after the word)
        numerators |= {name, name + "s", f"{name} ({parts[0]})", f"{name}s ({parts[0]})"}
    for word in spelled["units"][den_unit]:
        denominators.add(spelled["prefixes"][den_prefix] + word)
    forms = {f"{n}{sep}{d}" for n in numerators for d in denominators for sep in ("/", " per ")}
    return forms - {written}


@dataclass(frozen=True)
class Quantity:
    value: float
    ucum: str


class UnitRegistry:
    """Units and analytes loaded from the data files, with lookup and conversion."""

    def __init__(
        self,
        units: tuple[UnitRule, ...],
        analytes: tuple[AnalyteRule, ...],
        spelled_out: dict[str, Any] | None = None,
    ) -> None:
        if spelled_out:
            units = tuple(_with_spelled_forms(unit, spelled_out) for unit in units)
        units = tuple(_with_times_signs(unit) for unit in units)
        self.units = units
        self.by_ucum = {u.ucum: u for u in units}
        self._exact: dict[str, UnitRule] = {}
        self._folded: dict[str, UnitRule] = {}
        self._spaceless: dict[str, UnitRule] = {}
        for unit in units:
            for written in unit.written:
                key = _fold(written)
                if unit.case_sensitive:
                    self._exact.setdefault(key, unit)
                else:
                    self._folded.setdefault(key.lower(), unit)
                    # the pattern lets a written form's spaces be left out ("1.73m2" for "1.73 m2")
                    self._spaceless.setdefault(key.lower().replace(" ", ""), unit)
        self.analytes = {a.name: a for a in analytes}
        # "mg / dl" as well as "mg/dl": a space in a form matches any run of spaces, or none
        forms = sorted({_fold(w).lower().replace("/", " / ") for u in units for w in u.written})
        # Longest written form wins ("mg/dl" over "mg"); a unit never ends inside a word, nor before a
        # slash and a short word that go on with a unit the registry does not hold: "g" of "1 g/m2/pulse"
        # or "mg" of "50 mg/min" would be a wrong unit; read as none, it is left for the reader ("37.5°C/
        # Axillary", a slash and a long word, keeps its unit)
        alternation = trie_pattern(forms, space=r"\s*")
        self.pattern = re.compile(
            rf"(?:{alternation})(?![A-Za-z0-9μµ]|/[A-Za-zμµ(][A-Za-z0-9()^²³]{{0,5}}(?![A-Za-z]))", re.IGNORECASE
        )

    def lookup(self, written: str) -> UnitRule | None:
        """The unit a written form stands for, or None."""
        key = _fold(written)
        return (
            self._exact.get(key) or self._folded.get(key.lower()) or self._spaceless.get(key.lower().replace(" ", ""))
        )

    def to_ucum(self, written: str) -> str | None:
        unit = self.lookup(written)
        return unit.ucum if unit else None

    def analyte(self, name: str | None) -> AnalyteRule | None:
        if not name:
            return None
        return self.analytes.get(name.lower())

    def normalise_for(self, ucum: str | None, analyte: str | None) -> str | None:
        """The UCUM code the analyte really means (eGFR's 'mL/min' is per 1.73 m2; a bare age is in years)."""
        rule = self.analyte(analyte)
        if rule is None:
            return ucum
        if ucum is None:
            return rule.implied_unit
        return rule.ucum_override.get(ucum, ucum)

    def convert(self, value: float, from_ucum: str, to_ucum: str, analyte: str | None = None) -> float:
        """Convert a value between two UCUM units; molar <-> mass needs the analyte's molar mass."""
        if from_ucum == to_ucum:
            return value
        try:
            src, dst = self.by_ucum[from_ucum], self.by_ucum[to_ucum]
        except KeyError as exc:
            raise UnitError(f"unknown unit {exc.args[0]!r}") from exc
        base = value * src.factor
        if src.dimension == dst.dimension:
            return base / dst.factor
        pair = {src.dimension, dst.dimension}
        if pair == {"substance_concentration", "mass_concentration"}:
            rule = self.analyte(analyte)
            if rule is None or rule.molar_mass is None:
                raise UnitError(f"cannot convert {from_ucum} to {to_ucum} without a molar mass for {analyte!r}")
            if src.dimension == "substance_concentration":
                return base * rule.molar_mass / dst.factor
            return base / rule.molar_mass / dst.factor
        raise UnitError(f"cannot convert {from_ucum} ({src.dimension}) to {to_ucum} ({dst.dimension})")

    def canonical(self, value: float, ucum: str | None, analyte: str | None) -> Quantity | None:
        """The value in the analyte's canonical unit, or None where no conversion applies."""
        rule = self.analyte(analyte)
        if rule is None or ucum is None:
            return None
        try:
            converted = self.convert(value, ucum, rule.canonical, rule.name)
        except UnitError:
            return None
        return Quantity(round(converted, 4), rule.canonical)


def _with_spelled_forms(unit: UnitRule, spelled_out: dict[str, Any]) -> UnitRule:
    """The unit with its written forms' spelled-out variants added after them (first listed wins a clash)."""
    extra = sorted({form for written in unit.written for form in spelled_variants(written, spelled_out)})
    added = tuple(form for form in extra if form not in unit.written)
    return replace(unit, written=unit.written + added) if added else unit


def _with_times_signs(unit: UnitRule) -> UnitRule:
    """The unit with a written form's leading multiplication sign also written the other way ("x
    10^3/uL" and "× 10^3/uL": the data lists one or the other)."""
    swap = {"x": "×", "×": "x"}
    extra = [swap[w[0]] + w[1:] for w in unit.written if w[:1] in swap and w[1:2] in " 1"]
    added = tuple(dict.fromkeys(form for form in extra if form not in unit.written))
    return replace(unit, written=unit.written + added) if added else unit


@lru_cache(maxsize=1)
def registry() -> UnitRegistry:
    """The default registry, built once per process from the packaged data files."""
    return UnitRegistry(
        load_rules("units.json", UnitRule),
        load_rules("analytes.json", AnalyteRule),
        load_json("units.json").get("spelled_out"),
    )
