"""Small rule classes that load the data files in ``resources/``.

Code holds mechanisms, data holds vocabulary: every lexicon, unit and rule list is a JSON/JSONL file
read through one of these classes, whose ``from_dict`` rejects unknown or missing keys so that a typo
in a data file fails loudly instead of being ignored.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar, TypeVar

from .errors import RuleError
from .paths import resource_path
from .trie import trie_pattern

R = TypeVar("R", bound="Rule")


@dataclass(frozen=True)
class Rule:
    """Base class: strict dict round-trip."""

    kind: ClassVar[str] = "rule"

    @classmethod
    def from_dict(cls: type[R], data: dict[str, Any], *, where: str = "") -> R:
        if not isinstance(data, dict):
            raise RuleError(f"{cls.kind} rule must be an object, got {type(data).__name__}", source=where or None)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise RuleError(f"unknown key(s) {unknown} in {cls.kind} rule {data!r}", source=where or None)
        required = {
            f.name
            for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        missing = sorted(required - set(data))
        if missing:
            raise RuleError(f"missing key(s) {missing} in {cls.kind} rule {data!r}", source=where or None)
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        rule = cls(**values)
        rule.check(where)
        return rule

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value == f.default or (f.default_factory is not dataclasses.MISSING and not value):
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def check(self, where: str) -> None:
        """Domain checks beyond the keys; raise RuleError."""


ENTITY_TYPES = (
    "Condition",
    "Drug",
    "Procedure",
    "Measurement",
    "Observation",
    "Person",
    "Device",
    "Value",
    "Temporal",
    "Qualifier",
    "Negation",
    "Multiplier",
    "Reference_point",
    "Visit",
    "Pregnancy_considerations",
    "Informed_consent",
    "Scope",
    "Mood",
)


@dataclass(frozen=True)
class LexiconRule(Rule):
    """A phrase (matched case-insensitively on tokens) naming an entity type."""

    kind: ClassVar[str] = "lexicon"
    type: str
    phrase: str | None = None
    normalized: str | None = None
    is_class: bool = False
    case_sensitive: bool = False
    #: a generic phrase ("treatment", "history", "drug") that stays only where the entity model
    #: confirms it; without the model it stays
    confirm: bool = False
    #: a class named by its head noun alone ("inhibitors", "agonists", "vaccines"): a longer model span
    #: over it ("PDE5 inhibitors", "influenza vaccine") keeps its own name rather than the head's
    head_only: bool = False

    def check(self, where: str) -> None:
        if self.type not in ENTITY_TYPES:
            raise RuleError(f"unknown entity type {self.type!r}", source=where or None)
        if not self.phrase:
            raise RuleError(f"lexicon rule needs a phrase: {self!r}", source=where or None)


@dataclass(frozen=True)
class UnitRule(Rule):
    """A unit: its UCUM code, the ways it is written, its dimension and factor to the dimension's base."""

    kind: ClassVar[str] = "unit"
    ucum: str
    written: tuple[str, ...]
    dimension: str
    factor: float
    case_sensitive: bool = False


@dataclass(frozen=True)
class AnalyteRule(Rule):
    """A measured thing with its canonical unit and, for mass<->molar conversion, its molar mass."""

    kind: ClassVar[str] = "analyte"
    name: str
    canonical: str
    molar_mass: float | None = None
    ucum_override: dict[str, str] = field(default_factory=dict)
    #: the unit a bare number means for this analyte ("Age > 18" is in years)
    implied_unit: str | None = None
    #: [low, high] of plausible thresholds in the canonical unit: outside, the unit as written is suspect
    plausible: tuple[float, float] | None = None


@dataclass(frozen=True)
class ContextRule(Rule):
    """A ConText modifier rule (medspaCy ConTextRule fields), kept as data."""

    kind: ClassVar[str] = "context"
    literal: str
    category: str
    direction: str = "FORWARD"
    pattern: tuple[Any, ...] | None = None
    max_scope: int | None = None
    #: categories of other modifiers that end this one's scope ("other than hematologic) or toxicity
    #: to AZT": the closing bracket, a BRACKET_CLOSE modifier, ends the exception; "No prior
    #: radiotherapy for breast cancer": "for", a NEGATION_END modifier, ends the negation alone)
    terminated_by: tuple[str, ...] = ()
    #: other categories the cue asserts too ("no history of": negated and historical, one cue, since the
    #: longest cue wins and "history of" inside it would be lost)
    also: tuple[str, ...] = ()

    def check(self, where: str) -> None:
        allowed = {"NEGATED_EXISTENCE", "HISTORICAL", "HYPOTHETICAL", "FAMILY", "POSSIBLE_EXISTENCE", "TERMINATE"}
        allowed |= {"EXCEPTION", "BRACKET_CLOSE", "NEGATION_END"}
        for category in (self.category, *self.also):
            if category not in allowed:
                raise RuleError(f"unknown ConText category {category!r}", source=where or None)
        if self.direction not in {"FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"}:
            raise RuleError(f"unknown ConText direction {self.direction!r}", source=where or None)


@dataclass(frozen=True)
class AnchorRule(Rule):
    """An anchor event of a time window (a regex), with its canonical name and Chia type."""

    kind: ClassVar[str] = "anchor"
    regex: str
    name: str
    type: str = "Reference_point"


@dataclass(frozen=True)
class FormulaRule(Rule):
    """A formula a criterion may cite by name (a regex for the name), what it computes and the UCUM
    unit of its result."""

    kind: ClassVar[str] = "formula"
    name: str
    regex: str
    output: str
    ucum: str | None = None

    def check(self, where: str) -> None:
        try:
            re.compile(self.regex)
        except re.error as exc:
            raise RuleError(f"bad regex in formula rule {self.name!r}: {exc}", source=where or None) from exc


def _iter_records(name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    path = resource_path(name)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(f"cannot read rule file: {exc.strerror}", source=str(path)) from exc
    try:
        if name.endswith(".jsonl"):
            for lineno, line in enumerate(text.splitlines(), 1):
                if line.strip() and not line.lstrip().startswith("//"):
                    yield f"{path}:{lineno}", json.loads(line)
        else:
            data = json.loads(text)
            items = data["rules"] if isinstance(data, dict) else data
            for i, item in enumerate(items):
                yield f"{path}#{i}", item
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise RuleError(f"malformed rule file: {exc}", source=str(path)) from exc


def load_rules(name: str, cls: type[R]) -> tuple[R, ...]:
    """Load every rule of one data file into immutable rule objects."""
    return tuple(cls.from_dict(rec, where=where) for where, rec in _iter_records(name))


def word_list(key: str) -> list[str]:
    """The words of one ``words.json`` list, without the description that leads it ("_ ...")."""
    return [w for w in load_json("words.json")[key] if not w.startswith("_ ")]


@cache
def british_spellings() -> tuple[tuple[str, str], ...]:
    """``words.json`` ``british_spellings`` as (American, British) substring pairs, in their order."""
    pairs = []
    for pair in word_list("british_spellings"):
        american, british = pair.split(">", 1)
        pairs.append((american, british))
    return tuple(pairs)


@cache
def word_set(key: str) -> frozenset[str]:
    """The words of one ``words.json`` list in lower case, for case-insensitive membership tests."""
    return frozenset(w.lower() for w in word_list(key))


def word_pattern(key: str) -> re.Pattern[str]:
    """One ``words.json`` list as a case-insensitive regex: each entry at a word start, a whole word
    unless it ends in "*" (a stem: "hypertensi*" is "hypertension" and "hypertensive")."""
    words = word_list(key)
    whole = trie_pattern(sorted(w for w in words if not w.endswith("*")))
    stems = trie_pattern(sorted(w[:-1] for w in words if w.endswith("*")))
    return re.compile(rf"\b(?:(?:{whole})\b|{stems})", re.IGNORECASE)


@cache
def load_json(name: str) -> Any:
    """A plain JSON resource (word lists, section headers); cached because it is immutable by convention."""
    path = resource_path(name)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RuleError(f"cannot load resource: {exc}", source=str(path)) from exc


@dataclass(frozen=True)
class GuideType:
    """A phrase the annotation guide types otherwise than Chia (``words.json`` ``guide_types``)."""

    type: str  # the record's type, the guide's
    chia_type: str  # the type Chia gives the phrase, which the BRAT writer writes
    normalized: str


@cache
def guide_types() -> dict[str, GuideType]:
    """``words.json`` ``guide_types``, by lower-cased phrase ("pregnant", "pregnancy test")."""
    table = load_json("words.json")["guide_types"]
    out = {}
    for phrase, entry in table.items():
        if phrase == "_":
            continue
        unknown = set(entry) - {"type", "chia_type", "normalized"}
        if unknown:
            raise RuleError(f"unknown keys {sorted(unknown)}", source=f"words.json guide_types {phrase!r}")
        out[phrase] = GuideType(entry["type"], entry["chia_type"], entry["normalized"])
    return out


@cache
def brat_unmarked_mentions() -> frozenset[tuple[str, str]]:
    """``words.json`` ``brat_unmarked_mentions``: (type, lower-cased phrase) of mentions the record keeps
    and the BRAT writer leaves out, as Chia almost never marks them alone."""
    table = load_json("words.json")["brat_unmarked_mentions"]
    out = set()
    for type_, phrases in table.items():
        if type_ == "_":
            continue
        if type_ not in ENTITY_TYPES:
            raise RuleError(f"unknown type {type_!r}", source="words.json brat_unmarked_mentions")
        out |= {(type_, " ".join(p.lower().split())) for p in phrases}
    return frozenset(out)


@cache
def _drug_therapy_pattern() -> re.Pattern[str]:
    words = sorted(word_list("drug_therapy_classes"), key=len, reverse=True)
    return re.compile(rf"(?<![\w-])(?:{'|'.join(re.escape(w) for w in words)})(?![\w-])", re.IGNORECASE)


def drug_therapy(mention: str) -> str | None:
    """The class of drugs a treatment mention names ("systemic chemotherapy" -> "chemotherapy",
    "antiretroviral therapy"), lower case, or None."""
    m = _drug_therapy_pattern().search(mention)
    if m is None:
        return None
    name = m.group().lower()
    return str(_drug_therapy_aliases().get(name, name))


@cache
def _drug_therapy_aliases() -> dict[str, str]:
    return {k: v for k, v in load_json("words.json")["drug_therapy_aliases"].items() if k != "_"}
