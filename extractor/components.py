"""Every spaCy component of the toolkit, registered in one module with its full default config.

Components read and write plain data (``doc._.*`` declared in :mod:`extractor.extensions`) and span
groups, so they can be added to any English pipeline: ``nlp.add_pipe("criteria_values")``.
"""

# No `from __future__ import annotations` here: spaCy resolves factory signatures at run time.
import dataclasses
import importlib
import itertools
import random
import re
import sys
import types
import weakref
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from typing import Any

import numpy
from spacy.attrs import IDX, IS_SPACE, LIKE_NUM, ORTH, SENT_START, SPACY
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch, registry

from . import extensions
from .brat import COMPLIANCE_PHRASE, CONTRACEPTION_METHOD
from .formulas import find_formulas
from .rules import ContextRule, LexiconRule, british_spellings, load_json, load_rules, word_list, word_pattern, word_set
from .temporal import compile_patterns as compile_window_patterns
from .temporal import find_windows
from .trie import casefree_lower, led_trie, trie_pattern
from .values import compile_patterns as compile_value_patterns
from .values import find_thresholds

extensions.register()

CONCEPT_TYPES = ("Condition", "Drug", "Procedure", "Measurement", "Observation", "Person", "Device")
# the mentions ConText asserts on (negated, historical, ...): the clinical concepts, devices included
# ("No cardiac pacemakers")
ASSERTED_TYPES = ("Condition", "Drug", "Procedure", "Measurement", "Observation", "Device")
# the mentions a concept mention from the model cannot overlap; a modifier (Qualifier, Negation,
# Multiplier, ...) over or inside it does not block it
_BLOCKING_TYPES = frozenset(CONCEPT_TYPES) | {"Value", "Temporal"}


@lru_cache(maxsize=1)
def _substance_heads() -> re.Pattern[str]:
    return re.compile(rf"\s{{1,3}}(?:{word_pattern('substance_disorder_heads').pattern})", re.IGNORECASE)


def _substance_disorder(text: str, key: tuple[int, int], start: int, end: int, info: dict[Any, Any]) -> bool:
    """Whether the lexicon's drug at ``key`` names the substance of a disorder that the model span
    text[start:end] holds whole ("cannabis use disorder", "dependence on opioids" aside)."""
    return (
        info[key]["type"] == "Drug"
        and start <= key[0]
        and key[1] < end
        and _substance_heads().match(text, key[1], end) is not None
    )


_TOKEN = re.compile(r"\w+(?:[-'.]\w+)*|[^\w\s]")
_SPACES = re.compile(r"\s+")
# "non-" or "non " right before a lexicon match (searched over the four characters before it)
_NON_BEFORE = re.compile(r"\bnon[- ]$", re.IGNORECASE)
#: the entity model's tokens: letters, digits and marks apart ("5mg" -> "5", "mg"; "sero-positive" ->
#: "sero", "-", "positive"), because Chia puts span edges there
_FINE_TOKEN = re.compile(r"[^\W\d_]+|\d+|[^\w\s]|_")
#: each pattern above as one match per Doc word: a token with the one space that is its trailing
#: whitespace, or a run of whitespace of its own. Both patterns match every non-space character, so
#: what lies between their tokens is whitespace only; a list comprehension then replaces the loop.
_WORDS = {p: re.compile(rf"({p.pattern})( ?)|(\s+)") for p in (_TOKEN, _FINE_TOKEN)}


#: each Doc's text, kept while the Doc lives: ``Doc.text`` joins every token's text again on each read,
#: and every component reads it
_TEXTS: "weakref.WeakKeyDictionary[Doc, str]" = weakref.WeakKeyDictionary()


def doc_text(doc: Doc) -> str:
    """``doc.text``, joined once per Doc (a Doc's text never changes, even when it is retokenized)."""
    text = _TEXTS.get(doc)
    if text is None:
        text = _TEXTS[doc] = doc.text
    return text


class CriteriaTokenizer:
    """Words and single punctuation marks, in linear time.

    spaCy's rule-based English tokenizer peels affixes one at a time and is quadratic on long runs of
    punctuation (200 kB of "<" takes minutes); criteria need no more than words and marks.
    """

    def __init__(self, vocab: Any, pattern: re.Pattern[str] = _TOKEN) -> None:
        self.vocab = vocab
        self.pattern = pattern
        self.words = _WORDS.get(pattern)

    def __call__(self, text: str) -> Doc:
        # Doc needs every character: one space after a token is its trailing whitespace; any other
        # run of whitespace becomes a token of its own, as in spaCy's tokenizer.
        if self.words is not None:
            found = self.words.findall(text)
            words = [token or gap for token, _space, gap in found]
            spaces = [bool(space) for _token, space, _gap in found]
        else:
            words, spaces = self._split(text)
        doc = Doc(self.vocab, words=words, spaces=spaces)
        _TEXTS[doc] = text
        return doc

    def _split(self, text: str) -> tuple[list[str], list[bool]]:
        words: list[str] = []
        spaces: list[bool] = []
        pos = 0
        for m in [*self.pattern.finditer(text), None]:  # None: the whitespace after the last token
            gap = text[pos : m.start() if m else len(text)]
            if gap.startswith(" ") and words and not spaces[-1]:
                spaces[-1] = True
                gap = gap[1:]
            if gap:
                words.append(gap)
                spaces.append(False)
            if m is None:
                break
            words.append(m.group())
            spaces.append(False)
            pos = m.end()
        return words, spaces

    def to_bytes(self, **kwargs: Any) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs: Any) -> "CriteriaTokenizer":
        return self

    def to_disk(self, path: Any, **kwargs: Any) -> None:
        return None

    def from_disk(self, path: Any, **kwargs: Any) -> "CriteriaTokenizer":
        return self


@registry.tokenizers("extractor.CriteriaTokenizer.v1")
def make_tokenizer() -> Any:
    def create(nlp: Language) -> CriteriaTokenizer:
        return CriteriaTokenizer(nlp.vocab)

    return create


@registry.tokenizers("extractor.ModelTokenizer.v1")
def make_model_tokenizer() -> Any:
    """The trained entity model's tokenizer: finer than the pipeline's, linear time as well."""

    def create(nlp: Language) -> CriteriaTokenizer:
        return CriteriaTokenizer(nlp.vocab, _FINE_TOKEN)

    return create


@registry.augmenters("extractor.case_augmenter.v1")
def make_case_augmenter(lower: float, upper: float) -> Any:
    """Training data augmenter: an example is read in lower case with probability ``lower`` and in
    upper case with probability ``upper`` (registry text comes in capitals too, and the model's
    prefix, suffix and shape features see case). Only case changes: a text whose length would
    change in the other case (a "ß") is kept as it is."""

    def augment(nlp: Language, example: Any) -> Iterator[Any]:
        draw = random.random()
        change = str.lower if draw < lower else str.upper if draw < lower + upper else None
        text = example.text
        if change is None or len(change(text)) != len(text):
            yield example
            return
        data = example.to_dict()
        data["token_annotation"]["ORTH"] = [change(t.text) for t in example.reference]
        yield example.from_dict(nlp.make_doc(change(text)), data)

    return augment


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


_SCALARS = (str, int, float, bool, type(None))


def _plain(item: Any) -> dict[str, Any]:
    """``dataclasses.asdict`` for the flat Threshold and Window, which asdict deep-copies value by value
    on each call: their fields hold scalars and one dict of scalar flags, which a shallow copy copies."""
    out = {name: getattr(item, name) for name in _field_names(type(item))}
    for name, value in out.items():
        if type(value) in _SCALARS:
            continue
        if type(value) is dict and all(type(v) in _SCALARS for v in value.values()):
            out[name] = dict(value)
        else:  # anything nested: the general copy
            out[name] = dataclasses.asdict(item)[name]
    return out


def _spans(doc: Doc, items: list[tuple[int, int, str]]) -> list[Span]:
    out = []
    for s, e, label in items:
        span = doc.char_span(s, e, label=label, alignment_mode="expand")
        if span is not None:
            out.append(span)
    return out


@Language.factory(
    "criteria_sentences",
    default_config={"boundaries": [";", "\n"]},
)
def make_sentences(nlp: Language, name: str, boundaries: list[str]) -> "CriteriaSentences":
    return CriteriaSentences(boundaries)


class CriteriaSentences:
    """Clause boundaries for ConText scopes: after ';', after '. ' and at line breaks, except those
    the layout found hard wrapping put inside a line (``doc._.soft_wraps``); and where the layout
    found a criterion start inside a line (``doc._.clause_starts``: an inline label, "... 2 mg/dL
    Renal: ...", or a run-on paragraph's next criterion, "... platinum No prior chemotherapy")."""

    def __init__(self, boundaries: list[str]) -> None:
        self.boundaries = set(boundaries)

    def __call__(self, doc: Doc) -> Doc:
        # Whole-array arithmetic over the token attributes: a loop over the tokens builds a Token
        # object (and reads its text) for each. One array write then sets them all: setting
        # token.is_sent_start one by one re-checks the whole doc each time.
        n = len(doc)
        if not n:
            return doc
        attrs = doc.to_array([ORTH, SPACY, LIKE_NUM, IDX])
        orth, spacy_, like_num = attrs[:, 0], attrs[:, 1].astype(bool), attrs[:, 2].astype(bool)
        strings = doc.vocab.strings
        ends = numpy.zeros(n, dtype=bool)
        for boundary in self.boundaries:  # a handful: one comparison each beats numpy.isin's sort
            ends |= orth == numpy.uint64(strings[boundary])
        # a token holds a line break where one of the text's line breaks falls within it (the
        # whitespace after a token is one space at most, so a line break is always inside a token)
        text = doc_text(doc)
        if "\n" in text:
            breaks = [m.start() for m in _LINE_BREAK.finditer(text)]
            if doc._.soft_wraps:  # a line break hard wrapping put inside a line ends no clause
                soft = {i for a, b in doc._.soft_wraps for i in range(a, b)}
                breaks = [i for i in breaks if i not in soft]
            if breaks:
                at = numpy.array(breaks, dtype="int64")
                ends[numpy.searchsorted(attrs[:, 3].astype("int64"), at, side="right") - 1] = True
        # "." followed by a space ends a clause, unless it follows a number ("1. " numbering an item)
        full_stop = (orth == numpy.uint64(strings["."])) & spacy_
        full_stop[0] = False  # no token before the first
        full_stop[1:] &= ~like_num[:-1]
        starts = numpy.full((n, 1), -1, dtype="int64")
        starts[0, 0] = 1
        starts[1:, 0][(ends | full_stop)[:-1]] = 1
        if doc._.clause_starts:
            at = numpy.array(doc._.clause_starts, dtype="int64")
            starts[numpy.searchsorted(attrs[:, 3].astype("int64"), at, side="right") - 1, 0] = 1
        doc.from_array([SENT_START], starts.astype("uint64"))  # type: ignore[arg-type]  # spaCy reads uint64; -1 wraps
        return doc


_LINE_BREAK = re.compile("\n")


@lru_cache(maxsize=8)
def _lexicon(name: str) -> tuple[tuple[re.Pattern[str], re.Pattern[str], bool], ...]:
    """Compile a lexicon into regexes: concept types and the other types apart (so a qualifier can be
    found inside a concept), each case-insensitive for phrases and case-sensitive for acronyms.

    Each comes as (the pattern, its led form, acronym): the led form finds the same matches with
    each alternative led by its first character (trie.led_trie), in the text as written for acronyms
    and in its lower case for phrases (where trie.casefree_lower allows; else the pattern is used)."""
    rules = load_rules(name, LexiconRule)
    tables: dict[tuple[bool, bool], dict[str, LexiconRule]] = {}
    for rule in rules:
        if rule.phrase is None:
            continue
        # Short upper-case acronyms ("Cr", "PT", "ALT") match only as written; everything else folds case
        # (an acronym with a digit too).
        acronym = rule.case_sensitive or (len(rule.phrase) <= 5 and any(c.isupper() for c in rule.phrase[1:]))
        acronym = acronym or (len(rule.phrase) <= 4 and rule.phrase.isupper())
        # ... unless a digit makes them unambiguous ("Fev1", "Hba1c", "cd4" as well as "FEV1")
        acronym = acronym and (rule.case_sensitive or not any(c.isdigit() for c in rule.phrase))
        key = rule.phrase if acronym else rule.phrase.lower()
        table = tables.setdefault((rule.type in CONCEPT_TYPES, acronym), {})
        table.setdefault(key, rule)
        # ... and a phrase its British spelling too, named by the American one ("transient ischaemic
        # attack": transient ischemic attack; words.json british_spellings)
        british = key if acronym else _british(key)
        if british != key:
            table.setdefault(british, dataclasses.replace(rule, phrase=british, normalized=rule.normalized or key))
    _LEXICON_RULES[name] = {(k[1], phrase): r for k, table in tables.items() for phrase, r in table.items()}
    out = []
    for (_concept, acronym), table in sorted(tables.items()):
        body = trie_pattern(sorted(table))
        # an acronym never starts right after a hyphen: "EF" is not in "IIEF-EF"
        not_after = r"[\w-]" if acronym else r"[\w]"
        pattern = re.compile(rf"(?<!{not_after})(?:{body})(?![\w])", 0 if acronym else re.IGNORECASE)
        # phrase keys are lower case (the led form reads lower-cased text)
        led = re.compile(rf"{led_trie(sorted(table), not_after)}(?![\w])")
        out.append((pattern, led, acronym))
    return tuple(out)


_LEXICON_RULES: dict[str, dict[tuple[bool, str], LexiconRule]] = {}


def _british(phrase: str) -> str:
    """A lower-case phrase in its British spelling ("oesophageal haemorrhage"), every pair of
    ``words.json`` ``british_spellings`` applied in turn."""
    for american, british in british_spellings():
        if american in phrase:
            phrase = phrase.replace(american, british)
    return phrase


def _one_spaced(text: str) -> str:
    """``_SPACES.sub(" ", text)``, without the regex call where it would change nothing: a printable
    string holds no whitespace but the ASCII space (every other whitespace character is a Unicode
    separator or control), so without a double space it is its own result. Most lexicon matches are."""
    if text.isprintable() and "  " not in text:
        return text
    return _SPACES.sub(" ", text)


_ABBREVIATION_AFTER = re.compile(r"\s{0,2}[(\[]\s{0,2}(?P<abbr>[A-Za-z][A-Za-z0-9\-]{0,9})\s{0,2}[)\]]")


@Language.factory(
    "criteria_entities",
    default_config={
        "lexicon": "lexicon.jsonl",
        "include_abbreviation": True,
        "qualifiers_inside_concepts": False,
        "use_abbreviations": True,
    },
)
def make_entities(
    nlp: Language,
    name: str,
    lexicon: str,
    include_abbreviation: bool,
    qualifiers_inside_concepts: bool,
    use_abbreviations: bool,
) -> "CriteriaEntities":
    return CriteriaEntities(lexicon, include_abbreviation, qualifiers_inside_concepts, use_abbreviations)


@cache
def _scale_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A named rating scale or index (its head word, then the whole name), from ``words.json``:
    title-case words before the head ("Center for Epidemiological Studies Depression Scale", "Hoehn
    and Yahr Scale"), "of/for ..." after it ("International Index of Erectile Function")."""
    heads = "|".join(word_list("scale_heads"))
    not_first = "|".join(word_list("scale_name_not_first"))
    word = r"[A-Z][a-zA-Z]*(?:-[A-Z][a-z]+)?"
    name = re.compile(
        rf"\b(?!(?:{not_first})\b)(?:{word}[ \t]+(?:(?:of|for|and|&)[ \t]+)?){{1,6}}(?:{heads})\b"
        rf"(?:[ \t]+(?:of|for)[ \t]+(?:the[ \t]+)?{word}(?:[ \t]+{word}){{0,3}}\b)?"
    )
    return re.compile(rf"(?:{heads})\b"), name


# "comply with the requirements of the protocol", "compliance with study procedures": the verb or noun and
# what is complied with, up to a comma, a bracket or a word that starts another clause or part
_COMPLIANCE_PHRASE = re.compile(
    r"(?<![\w-])(?:comply|complying|(?:(?:poor|good)[ \t]+)?(?:compliance|compliant))[ \t]+(?:with|to)[ \t]+"
    r"(?:(?!(?:and|or|as|during|for|because|due|if|until|throughout|while|within|including|such|that|which|"
    r"who|at|by|from|without|per|in|on|after|before|when|unless|except|but)\b)[A-Za-z][\w/-]*(?:[ \t]*\r?\n[ \t]*|[ \t]+)?)"
    r"{1,7}(?<=\w)",
    re.IGNORECASE,
)

_VISITS_END = re.compile(r"\bvisits?$", re.IGNORECASE)


@cache
def _compliance_objects() -> re.Pattern[str]:
    """What a compliance phrase complies with (``words.json`` ``compliance_objects``)."""
    return word_pattern("compliance_objects")


@cache
def _contraception_pattern() -> re.Pattern[str]:
    """A method of contraception named with its qualifiers, one Procedure as the golds read it (rule
    ``contraception-method``): "highly effective method of contraception", "medically acceptable
    contraceptive method", "effective barrier contraception", "appropriate barrier method"
    (``words.json`` ``contraception_qualifiers``, ``contraception_method_words``)."""
    space = r"(?:[ \t]*\r?\n[ \t]*|[ \t]+)"
    qualifier = "|".join(re.escape(w) for w in sorted(word_list("contraception_qualifiers"), key=len, reverse=True))
    method = "|".join(re.escape(w) for w in sorted(word_list("contraception_method_words"), key=len, reverse=True))
    qualified = rf"(?:(?:{qualifier}){space}){{0,3}}"
    head = rf"(?:contraception|birth{space}control)"
    return re.compile(
        rf"(?<![\w-])(?:"
        rf"{qualified}(?:{method}){space}of{space}{qualified}{head}"
        rf"|{qualified}(?:contraceptive|contraception|birth{space}control){space}(?:{method})"
        rf"|(?:(?:{qualifier}){space}){{1,3}}{head}"
        rf"|{qualified}barrier{space}(?:{method})"
        rf")(?![\w-])",
        re.IGNORECASE,
    )


@cache
def _not_negating() -> re.Pattern[str]:
    """The words after which a negation cue negates nothing (``words.json`` ``not_negating_after``)."""
    return re.compile(rf"\s+(?:{trie_pattern(sorted(word_list('not_negating_after')))})\b", re.IGNORECASE)


class CriteriaEntities:
    """Typed mentions from the lexicon, longest match first, into ``doc.spans['entities']``.

    Merge policy: concept types (Condition, Drug, ...) never overlap each other: the longest match
    wins. Qualifier and Negation mentions inside a concept are dropped unless
    ``qualifiers_inside_concepts``. A long form followed by its abbreviation in brackets
    ("aspartate transaminase (AST)") is one mention. Short forms that scispaCy's AbbreviationDetector
    ties to a known long form get the long form's type.
    """

    def __init__(
        self, lexicon: str, include_abbreviation: bool, qualifiers_inside_concepts: bool, use_abbreviations: bool
    ) -> None:
        self.patterns = _lexicon(lexicon)
        self.lookup = _LEXICON_RULES[lexicon]
        _scale_patterns()  # compiled with the pipeline, before batch workers are forked
        _contraception_pattern()
        self.include_abbreviation = include_abbreviation
        self.qualifiers_inside_concepts = qualifiers_inside_concepts
        self.use_abbreviations = use_abbreviations

    def find(self, text: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        lowered = casefree_lower(text)
        for pattern, led, exact in self.patterns:
            if exact:  # an acronym: its led form as written
                scan = led.finditer(text)
            elif lowered is not None:  # a phrase: its led form in the lower case
                scan = led.finditer(lowered)
            else:
                scan = pattern.finditer(text)
            for m in scan:
                key = _one_spaced(text[m.start() : m.end()])
                rule = self.lookup.get((True, key)) if exact else self.lookup.get((False, key.lower()))
                if rule is None:
                    continue
                if rule.type == "Negation" and _not_negating().match(text, m.end()):
                    continue  # "Not specified", "but not limited to": nothing is negated
                if rule.type == "Drug" and _NON_BEFORE.search(text, max(0, m.start() - 4), m.start()):
                    # "non-steroid", "non-opioid analgesics", "non-insulin-dependent": the drug after
                    # "non" is what the thing is not ("non lactating", "non-smoker" stay, negated)
                    continue
                found.append(
                    {
                        "start": m.start(),
                        "end": m.end(),
                        "type": rule.type,
                        "normalized": rule.normalized,
                        "is_class": rule.is_class,
                        **({"confirm": True} if rule.confirm else {}),
                        **({"head_only": True} if rule.head_only else {}),
                        "rule": f"lexicon:{rule.phrase}",
                    }
                )
        # a named rating scale or index: "Pittsburgh Sleep Quality Index", "Hamilton Depression Rating
        # Scale" (words in title case before the scale's head word)
        head, name = _scale_patterns()
        for m in name.finditer(text) if head.search(text) else ():
            found.append(
                {"start": m.start(), "end": m.end(), "type": "Measurement", "normalized": m.group().lower()}
                | {"is_class": False, "rule": "scale-name"}
            )
        folded = lowered if lowered is not None else text.lower()
        for m in (
            _contraception_pattern().finditer(text)
            if any(w in folded for w in ("contracep", "birth", "barrier"))
            else ()
        ):
            found.append(
                {"start": m.start(), "end": m.end(), "type": "Procedure", "normalized": "contraception"}
                | {"is_class": False, "rule": CONTRACEPTION_METHOD}
            )
        # longest first, then leftmost
        found.sort(key=lambda f: (-(f["end"] - f["start"]), f["start"]))
        kept: list[dict[str, Any]] = []
        for f in found:
            clash = [k for k in kept if f["start"] < k["end"] and k["start"] < f["end"]]
            if f["type"] in CONCEPT_TYPES and any(k["type"] in CONCEPT_TYPES for k in clash):
                continue
            if (
                f["type"] in ("Qualifier", "Negation", "Pregnancy_considerations", "Informed_consent")
                and clash
                and not self.qualifiers_inside_concepts
            ):
                continue
            if f["type"] in CONCEPT_TYPES and any(k["type"] not in CONCEPT_TYPES for k in clash):
                # a concept beats a shorter qualifier already kept inside it
                kept = [k for k in kept if k not in clash or k["type"] in CONCEPT_TYPES]
            kept.append(f)
        if self.include_abbreviation:
            for f in kept:
                if f["type"] in CONCEPT_TYPES:
                    self._absorb_abbreviation(text, f, kept)
        for m in _COMPLIANCE_PHRASE.finditer(text) if "ompl" in text else ():
            # "comply with study requirements": one Observation, where no mention is inside it
            if _VISITS_END.search(m.group()) or not _compliance_objects().search(m.group()):
                continue  # ("comply with scheduled study visits": the visits are the mention, a Visit)
            inside = [k for k in kept if k["start"] < m.end() and m.start() < k["end"]]
            if all(
                k.get("confirm") and k["type"] == "Observation" and m.start() <= k["start"] and k["end"] <= m.end()
                for k in inside
            ):
                # (a generic phrase inside, "protocol", is part of it; "treatment" stays a mention)
                kept = [k for k in kept if not any(k is i for i in inside)]
                kept.append(
                    {"start": m.start(), "end": m.end(), "type": "Observation", "normalized": "compliance"}
                    | {"is_class": False, "rule": COMPLIANCE_PHRASE}
                )
        kept = _drop_generic_heads(text, sorted(kept, key=lambda f: f["start"]))
        kept = _elliptic_members(text, kept)
        return sorted(kept, key=lambda f: f["start"])

    @staticmethod
    def _absorb_abbreviation(text: str, f: dict[str, Any], kept: list[dict[str, Any]]) -> None:
        """Extend a long form over its bracketed abbreviation, dropping the abbreviation's own mention."""
        # the bracket comes within three characters (two spaces at most) or not at all: most
        # mentions are followed by none, and the test is cheaper than the pattern
        after = text[f["end"] : f["end"] + 3]
        if "(" not in after and "[" not in after:
            return
        abbr = _ABBREVIATION_AFTER.match(text, f["end"])
        if not abbr or not _initials_match(text[f["start"] : f["end"]], abbr.group("abbr")):
            return
        inner = [k for k in kept if k is not f and abbr.start("abbr") <= k["start"] and k["end"] <= abbr.end("abbr")]
        if any(k["type"] != f["type"] for k in inner):
            return
        for k in inner:
            kept.remove(k)
        f["end"] = abbr.end()

    def __call__(self, doc: Doc) -> Doc:
        found = self.find(doc_text(doc))
        if self.use_abbreviations and Doc.has_extension("abbreviations"):
            found = self._propagate(doc, found)
        doc._.entity_info = {
            (f["start"], f["end"]): {
                k: f[k] for k in ("type", "normalized", "is_class", "rule", "confirm", "head_only") if k in f
            }
            for f in found
        }
        doc.spans[extensions.ENTITIES] = _spans(doc, [(f["start"], f["end"], f["type"]) for f in found])
        return doc

    def _propagate(self, doc: Doc, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for short in doc._.abbreviations or []:
            long = short._.long_form
            if long is None:
                continue
            written = " ".join(long.text.lower().split())
            s, e = short.start_char, short.end_char
            for f in found:
                name = f.get("normalized") or ""
                if (
                    f["start"] == s
                    and f["end"] == e
                    # (only a two-letter short form is that ambiguous: "ECOG", "SGPT", "PSA" defined in
                    # other words still name what the lexicon says)
                    and e - s <= 2
                    and name
                    and written not in name
                    and name not in written
                    # ("Hemoglobin A1c (HbA1c)": the lexicon reads the long form as the short one)
                    and all(g.get("normalized") != name for g in self.find(long.text))
                ):
                    # the text's own definition reads a two-letter short form, not the lexicon: after
                    # "erectile function (EF)" an "EF" is erectile function, not ejection fraction
                    f.update(normalized=written, rule="abbreviation")
            typed = [
                f
                for f in found
                if f["start"] <= long.start_char and long.end_char <= f["end"] + 1 and f["type"] in CONCEPT_TYPES
            ]
            if not typed:
                continue
            if any(f["start"] < e and s < f["end"] for f in found):
                continue
            found.append(
                {
                    "start": s,
                    "end": e,
                    "type": typed[0]["type"],
                    # (a long form may end on a hard wrap's whitespace token: names hold single spaces)
                    "normalized": typed[0]["normalized"] or " ".join(long.text.lower().split()),
                    "is_class": typed[0]["is_class"],
                    "rule": "abbreviation",
                }
            )
        return sorted(found, key=lambda f: f["start"])


_ELLIPSIS = re.compile(r"(?P<gap>\s*(?:,|/|or|and|and/or)\s*)(?P<member>[A-Z0-9])(?![\w-])")


def _elliptic_members(text: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """'hepatitis B or C': the bare "C" is a mention of "hepatitis C", of the same type."""
    out = list(found)
    for f in found:
        if f["type"] not in CONCEPT_TYPES:
            continue
        head, _, last = text[f["start"] : f["end"]].rpartition(" ")
        if not head or not re.fullmatch(r"[A-Z0-9]", last):
            continue
        pos = f["end"]
        while m := _ELLIPSIS.match(text, pos):
            s, e = m.start("member"), m.end("member")
            if any(g["start"] < e and s < g["end"] for g in out):
                break
            out.append(
                {
                    "start": s,
                    "end": e,
                    "type": f["type"],
                    "normalized": " ".join(f"{head.lower()} {m.group('member').lower()}".split()),
                    "is_class": False,
                    "rule": "elliptic-coordination",
                }
            )
            pos = e
    return sorted(out, key=lambda g: g["start"])


@lru_cache(maxsize=1)
def _organ_list_pattern() -> tuple[frozenset[str], frozenset[str], re.Pattern[str]]:
    organs = word_set("organ_modifiers")
    heads = word_set("organ_disease_heads")
    word = r"[A-Za-z][A-Za-z-]{2,}"
    # blanks with at most one line break: a hard-wrapped list ("hematologic, cardiovascular,\n     or
    # psychiatric disorder") is one list, a blank line ends it
    gap = r"[ \t]*(?:\r?\n[ \t]*)?"
    # "heart, lung, liver, or " right before the mention: words joined by commas or slashes, the last
    # by "or"/"and"
    # (or joined by commas before a mention that holds the last "or" itself: "cardiac, hepatic, renal or
    # pulmonary disease" read as "renal or pulmonary disease")
    # (a word may carry a bracketed aside: "cardiac (NYHA class III or IV), hepatic, or renal disease")
    item = rf"{word}(?:[ \t]*\([^()\r\n]{{1,60}}\))?"
    listed = re.compile(
        rf"(?P<list>(?:{item}{gap}[,/]{gap})*{item}{gap},?{gap}(?<=[\s,])(?:or|and|and/or)\s{gap}"
        rf"|(?:{item}{gap}[,/]{gap})+)$",
        re.IGNORECASE,
    )
    return organs, heads, listed


def _listed_organ_members(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """'heart, lung, liver, or kidney disease': each organ listed before a mention (of ``spans``) that
    starts with one and ends in a disease word (``words.json`` ``organ_modifiers``,
    ``organ_disease_heads``) names a mention of its own ("heart disease",
    "lung disease", "liver disease"), as the golds mark them: (start, end, name) of each, where no
    span of ``spans`` is."""
    organs, heads, listed = _organ_list_pattern()
    taken = sorted(spans)
    out: list[tuple[int, int, str]] = []
    for start, end in taken:
        written = text[start:end]
        first = written.split(maxsplit=1)[0] if written.strip() else ""
        head = written.rsplit(maxsplit=1)[-1]
        if first.lower() not in organs or " " not in written.strip() or head.lower() not in heads:
            continue
        m = listed.search(text, max(0, start - 120), start)
        if m is None:
            continue
        # (the words of a bracketed aside are no members)
        unbracketed = re.sub(r"\([^()]*\)", lambda b: " " * len(b.group()), m.group("list"))
        words = [
            w for w in re.finditer(r"[A-Za-z][A-Za-z-]{2,}", unbracketed) if w.group().lower() not in ("or", "and")
        ]
        # the organs that end the list ("serious infections or cardiovascular, oncologic, renal, or
        # hepatic condition": not the infections)
        others = [i for i, w in enumerate(words) if w.group().lower() not in organs]
        if others:
            words = words[others[-1] + 1 :]
        if not words:
            continue
        for w in words:
            s, e = m.start("list") + w.start(), m.start("list") + w.end()
            if any(a < e and s < b for a, b in taken) or any(a < e and s < b for a, b, _ in out):
                continue
            out.append((s, e, f"{w.group().lower()} {head.lower()}"))
    return out


def _drop_generic_heads(text: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """'live vaccine treatment', 'glucocorticoid therapy': the generic head belongs to the mention
    before it and is not a Procedure of its own."""
    heads = set(load_json("words.json")["generic_heads"])
    out: list[dict[str, Any]] = []
    for f in found:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev["type"] in CONCEPT_TYPES
            and text[f["start"] : f["end"]].lower() in heads
            and text[prev["end"] : f["start"]].strip() == ""
        ):
            continue
        out.append(f)
    return out


# a head noun after a lexicon name that makes the mention another thing (an index of it, a questionnaire
# about it)
# (a word of its own between them: "IIEF-5 questionnaire", "Karnofsky-index" keep the scale's name)
_OTHER_HEAD = re.compile(
    r"\s+[A-Za-z][\w-]*\s+(?:[\w-]+\s+)?(?:index|indices|questionnaire|inventory|classification)\b", re.IGNORECASE
)


def _initials_match(long: str, abbr: str) -> bool:
    """Does the bracketed abbreviation plausibly stand for the words before it?"""
    letters = [w[0].lower() for w in re.findall(r"[A-Za-z]+", long)]
    a = [c.lower() for c in abbr if c.isalpha()]
    if not a:
        return False
    it = iter("".join(re.findall(r"[a-z]+", long.lower())))
    in_order = all(c in it for c in a)
    return in_order and a[0] in letters


@Language.factory("criteria_abbreviations", default_config={"make_serializable": False})
def make_abbreviations(nlp: Language, name: str, make_serializable: bool) -> "CriteriaAbbreviations":
    return CriteriaAbbreviations(nlp, make_serializable)


class CriteriaAbbreviations:
    """scispaCy's AbbreviationDetector, run only where an abbreviation can be defined.

    It finds "long form (SHORT)" pairs, so a criterion without a bracket defines none; skipping those
    (most criteria) saves its matcher passes. ``doc._.abbreviations`` is always set.
    """

    def __init__(self, nlp: Language, make_serializable: bool) -> None:
        from scispacy.abbreviation import AbbreviationDetector

        self.detector = AbbreviationDetector(nlp, make_serializable=make_serializable)
        # The detector adds one pattern per abbreviation it finds, a list of {"ORTH": <token text>}
        # (always valid); checking each with pydantic cost about a fifth of the detector's time.
        self.detector.global_matcher.validate = False

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        if "(" in text or "[" in text:
            return self.detector(doc)
        doc._.abbreviations = []
        return doc


@Language.factory("criteria_formulas", default_config={})
def make_formulas(nlp: Language, name: str) -> "CriteriaFormulas":
    return CriteriaFormulas()


class CriteriaFormulas:
    """Named formulas (an MDRD equation, a BMI defined in words, a formula cited by name); the text
    of one written out is masked from the value and window components (its numbers are no threshold)."""

    def __call__(self, doc: Doc) -> Doc:
        formulas = find_formulas(doc_text(doc))
        doc._.formulas = formulas
        doc._.masked = [(f["start"], f["end"]) for f in formulas if f["kind"] != "citation"]
        return doc


@Language.factory("criteria_values", default_config={})
def make_values(nlp: Language, name: str) -> "CriteriaValues":
    return CriteriaValues()


class CriteriaValues:
    """Thresholds (comparator, number or range, unit; ULN multiples; graded counts)."""

    def __init__(self) -> None:
        compile_value_patterns()

    def __call__(self, doc: Doc) -> Doc:
        # a duration inside a time window ("more than 14 days prior to screening") is the window's
        masked = list(doc._.masked or []) + [
            (w["start"], w["end"]) for w in doc._.time_windows or [] if w.get("duration") or w.get("half_lives")
        ]
        found = find_thresholds(doc_text(doc), masked)
        doc._.thresholds = [_plain(t) for t in found]
        doc.spans[extensions.VALUES] = _spans(doc, [(t.start, t.end, t.rule) for t in found])
        return doc


@Language.factory("criteria_temporal", default_config={})
def make_temporal(nlp: Language, name: str) -> "CriteriaTemporal":
    return CriteriaTemporal()


class CriteriaTemporal:
    """Time windows (duration, direction, anchor). Runs before ``criteria_values``, which leaves the
    windows' durations alone."""

    def __init__(self) -> None:
        compile_window_patterns()

    def __call__(self, doc: Doc) -> Doc:
        masked = list(doc._.masked or [])
        found = find_windows(doc_text(doc), masked, doc._.clause_starts or ())
        doc._.time_windows = [_plain(w) for w in found]
        doc.spans[extensions.WINDOWS] = _spans(doc, [(w.start, w.end, w.rule) for w in found])
        return doc


_CONTEXT_FLAGS = {
    "NEGATED_EXISTENCE": "negated",
    "HISTORICAL": "historical",
    "HYPOTHETICAL": "hypothetical",
    "FAMILY": "family",
    "POSSIBLE_EXISTENCE": "uncertain",
}


def _medspacy_context() -> Any:
    """``medspacy.context``, imported without QuickUMLS where medspaCy is not loaded yet.

    ``medspacy/__init__`` imports ``medspacy.util``, which imports ``quickumls.spacy_component`` only to
    register its "medspacy_quickumls" factory; QuickUMLS in turn imports NLTK and SciPy: about 170 MB of
    RSS and 1.3 s in every process (and every batch worker) for code ConText never runs. An empty
    placeholder stands in for ``quickumls`` during that one import and is removed after it, so a later
    ``import quickumls`` still gets the real package.
    """
    if "medspacy" in sys.modules or "quickumls" in sys.modules:
        return importlib.import_module("medspacy.context")
    placeholder = types.ModuleType("quickumls")
    component = types.ModuleType("quickumls.spacy_component")
    setattr(placeholder, "spacy_component", component)  # noqa: B010  (ModuleType has no declared attributes)
    stand_ins = {"quickumls": placeholder, "quickumls.spacy_component": component}
    sys.modules.update(stand_ins)
    try:
        return importlib.import_module("medspacy.context")
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


@Language.factory("criteria_context", default_config={"rules": "context_rules.json", "max_scope": None})
def make_context(nlp: Language, name: str, rules: str, max_scope: int | None) -> "CriteriaContext":
    return CriteriaContext(nlp, rules, max_scope)


class CriteriaContext:
    """medspaCy ConText over the entity span group with criteria-specific rules from a data file.

    The assertion flags are copied into ``doc._.assertions`` as plain data keyed by character offsets.
    """

    def __init__(self, nlp: Language, rules: str, max_scope: int | None) -> None:
        context = _medspacy_context()
        ConText, ConTextRule = context.ConText, context.ConTextRule  # noqa: N806  (medspaCy's class names)

        self.context = ConText(
            nlp,
            rules=None,
            input_span_type="group",
            span_group_name=extensions.CONTEXT_TARGETS,
            # medspaCy compares upper-cased labels
            allowed_types={t.upper() for t in ASSERTED_TYPES},
            max_scope=max_scope,
        )
        self.cue_words = set(load_json("words.json")["context_only_normalized"])
        loaded = load_rules(rules, ContextRule)
        self.context.add(
            [
                ConTextRule(
                    r.literal,
                    r.category,
                    pattern=list(r.pattern) if r.pattern else None,
                    direction=r.direction,
                    max_scope=r.max_scope,
                    terminated_by=set(r.terminated_by) or None,
                    metadata={"also": list(r.also)} if r.also else None,
                )
                for r in loaded
            ]
        )

    def __call__(self, doc: Doc) -> Doc:
        # Only clinical concepts are targets: a Negation mention ("No") must stay a modifier, and
        # medspaCy drops modifiers that overlap a target.
        info = doc._.entity_info or {}
        # cue words typed as entities ("history") are modifiers, not targets
        targets = [
            s
            for s in doc.spans.get(extensions.ENTITIES, [])
            if s.label_ in ASSERTED_TYPES
            and (info.get((s.start_char, s.end_char)) or {}).get("normalized") not in self.cue_words
        ]
        doc.spans[extensions.CONTEXT_TARGETS] = targets
        if not targets:  # nothing to assert on: skip ConText's matcher and graph
            doc._.assertions = {}
            return doc
        # A rule's max_scope counts tokens, and a line break or a run of spaces is a token of its own:
        # "No\r\n     concurrent radiotherapy" would leave "radiotherapy" out of the two words "No"
        # reaches. ConText reads a copy of the doc without whitespace tokens.
        read, keys = _without_space_tokens(doc, targets)
        self.context(read)
        assertions: dict[tuple[int, int], dict[str, bool]] = {}
        for span, key in zip(read.spans[extensions.CONTEXT_TARGETS], keys, strict=True):
            flags = {flag: False for flag in _CONTEXT_FLAGS.values()}
            excepted = False
            for modifier in span._.modifiers:
                also = (modifier.rule.metadata or {}).get("also", ())
                for category in (modifier.category, *also):
                    flag = _CONTEXT_FLAGS.get(category)
                    if flag:
                        flags[flag] = True
                excepted |= modifier.category == "EXCEPTION"
            # an exception turns the statement around it: what "History of malignancy (other than
            # basal cell carcinoma)" excepts is not excluded (negated), what "No malignancy except
            # basal cell carcinoma" excepts is allowed (not negated)
            flags["negated"] ^= excepted
            assertions[key] = flags
        _negate_coordinated(doc_text(doc), targets, assertions)
        _negate_examples(doc_text(doc), targets, assertions)
        doc._.assertions = assertions
        return doc


# what leads a list of examples, and what may lie between the mention they exemplify and it ("No
# gastrointestinal disease that requires surgical intervention, e.g., Crohn's disease, ...")
_EXAMPLE_LEAD = re.compile(r"(?:\(\s*|,\s*|\s)(?:e\.\s?g\.?|such\s+as|for\s+example|including)[\s,:]*$", re.IGNORECASE)
_EXAMPLE_LIST = re.compile(r"[^.;()]*$")


def _negate_examples(text: str, targets: list[Span], assertions: dict[tuple[int, int], dict[str, bool]]) -> None:
    """Examples of a negated mention are negated ("No clinically significant autoimmune disease (e.g.
    rheumatoid arthritis)", "No gastrointestinal disease that requires surgical intervention, e.g.,
    Crohn's disease, ..."): the first mention after "e.g.", "such as", "for example" or "including"
    is negated where a mention before that lead in its sentence is (no bracket or sentence end
    between), and the list it opens passes it on."""
    ordered = sorted(targets, key=lambda s: s.start_char)
    for k, span in enumerate(ordered):
        key = (span.start_char, span.end_char)
        if assertions[key]["negated"] or k == 0:
            continue
        lead = _EXAMPLE_LEAD.search(text, max(0, span.start_char - 40), span.start_char)
        if lead is None:
            continue
        # the mentions before the lead in its sentence, no bracket or sentence end between
        heads = [
            t
            for t in ordered[:k]
            if t.end_char <= lead.start() and _EXAMPLE_LIST.fullmatch(text, t.end_char, lead.start()) is not None
        ]
        if any(assertions[(t.start_char, t.end_char)]["negated"] for t in heads):
            assertions[key]["negated"] = True
            # ... and the members of the list it opens
            for before_it, member in itertools.pairwise(ordered[k:]):
                if not _LIST_JOIN.fullmatch(text, before_it.end_char, member.start_char):
                    break
                assertions[(member.start_char, member.end_char)]["negated"] = True


# only connectors between two mentions of one list: "without diabetes or hypertension"
_LIST_JOIN = re.compile(r"[ \t]*(?:,[ \t]*(?:(?:and/or|or|nor|and)\s+)?|(?:and/or|or|nor|and)\s+)", re.IGNORECASE)


def _negate_coordinated(text: str, targets: list[Span], assertions: dict[tuple[int, int], dict[str, bool]]) -> None:
    """A negation reaches every member of the list its mention leads ("Patients without diabetes,
    hypertension or stroke"): ConText's scope of a cue ("without" reaches two words) stops inside it."""
    ordered = sorted(targets, key=lambda s: s.start_char)
    for before, after in itertools.pairwise(ordered):
        a, b = (before.start_char, before.end_char), (after.start_char, after.end_char)
        if assertions[a]["negated"] and not assertions[b]["negated"] and _LIST_JOIN.fullmatch(text, a[1], b[0]):
            assertions[b]["negated"] = True


def _without_space_tokens(doc: Doc, targets: list[Span]) -> tuple[Doc, list[tuple[int, int]]]:
    """``doc`` without its whitespace tokens (sentence starts kept, ``targets`` carried over as the
    CONTEXT_TARGETS group), and each target's (start_char, end_char) in ``doc``; ``doc`` itself when
    it has no whitespace token."""
    keys = [(s.start_char, s.end_char) for s in targets]
    attrs = doc.to_array([IS_SPACE, SENT_START])
    space = attrs[:, 0].astype(bool)
    # only whitespace inside a clause can come between a cue and its target: the line break that
    # ends one (nearly all of them, where criteria are lines) costs no copy
    starts = attrs[:, 1].astype("int64") == 1
    ends = numpy.append(starts[1:], True)
    if not (space & ~starts & ~ends).any():
        return doc, keys
    keep = numpy.flatnonzero(~space)
    words = [doc[i].text for i in keep.tolist()]
    # whitespace follows a kept token when it has a trailing space or the next kept token is not next
    gaps = numpy.append(keep[1:] != keep[:-1] + 1, True)
    trailing = numpy.array([bool(doc[i].whitespace_) for i in keep.tolist()], dtype=bool)
    spaces = (gaps | trailing).tolist()
    spaces[-1] = bool(doc[int(keep[-1])].whitespace_) or int(keep[-1]) + 1 < len(doc)
    # a sentence that starts on a whitespace token starts on the next kept one
    started = numpy.maximum.accumulate(numpy.where(starts, numpy.arange(len(doc)), -1))
    previous = numpy.concatenate(([-1], keep[:-1]))
    sent_starts = (started[keep] > previous).tolist()
    sent_starts[0] = True
    read = Doc(doc.vocab, words=words, spaces=spaces, sent_starts=sent_starts)
    position = numpy.searchsorted(keep, numpy.arange(len(doc) + 1))  # doc token -> kept index
    read.spans[extensions.CONTEXT_TARGETS] = [
        Span(read, int(position[s.start]), int(position[s.end]), label=s.label_) for s in targets
    ]
    return read, keys


#: what the trained model contributes to records: open-class concepts, the modifiers Chia marks, and
#: values and time phrases the rules do not parse ("proven", "recent"); where a rule item covers one,
#: the rule item stays (it carries the comparator, unit or window).
MODEL_TYPES = (
    "Condition",
    "Drug",
    "Procedure",
    "Measurement",
    "Observation",
    "Person",
    "Device",
    "Visit",
    "Qualifier",
    "Negation",
    "Mood",
    "Multiplier",
    "Reference_point",
    "Value",
    "Temporal",
)


@Language.factory(
    "criteria_model_entities",
    default_config={
        "model": "chia_spancat",
        # in the pipeline, merged with the lexicon and rules, model spans are kept from 0.35: chosen on
        # the Chia dev split for the shipped (case-augmented) model (main-type micro-F1 flat between
        # 0.25 and 0.50: 0.661 at its own 0.15, 0.664 at 0.20, 0.669 at 0.35); None takes the model's
        # own threshold
        "threshold": 0.35,
        # a threshold per type where it differs from "threshold" ({"Procedure": 0.45}); none by
        # default: thresholds chosen per type on the Chia dev split (Condition and Drug 0.2, Measurement
        # and Value 0.25, Temporal 0.4, Procedure 0.45, Person 0.5) moved dev from 0.683 / 0.782 to
        # 0.684 / 0.787 but the test split from 0.697 / 0.786 to 0.695 / 0.789 and the golds' strict
        # entity F1 down by 0.003 on average: within noise, not adopted (session 15)
        "type_thresholds": {},
        "types": list(MODEL_TYPES),
        "confirm_types": ["Person"],
        "confirm_threshold": 0.1,
        "confirm_exempt": ["age"],
        "drug_names": True,
        "condition_names": True,
    },
)
def make_model_entities(
    nlp: Language,
    name: str,
    model: str,
    threshold: float | None,
    type_thresholds: dict[str, float],
    types: list[str],
    confirm_types: list[str],
    confirm_threshold: float,
    confirm_exempt: list[str],
    drug_names: bool,
    condition_names: bool,
) -> "CriteriaModelEntities":
    return CriteriaModelEntities(
        model,
        threshold,
        types,
        confirm_types,
        confirm_threshold,
        confirm_exempt,
        drug_names,
        condition_names,
        type_thresholds,
    )


# a number, a grade or stage (roman numeral, letter), or a qualitative result
_VALUE_PHRASE = re.compile(
    r"\d|\b(?-i:[IVX]{1,4}[A-C]?|[A-E])\b|\b(?:ii|iii|iv|vi|vii|iiia|iiib|iiic|iva|ivb)\b"
    r"|\b(?:positive|negative|normal|abnormal|elevated|increased|decreased"
    r"|reduced|adequate|detectable|undetectable|reactive|non-?reactive|confirmed|proven|documented)\b",
    re.IGNORECASE,
)
_BARE_COMPARATOR = re.compile(r"\s*(?:[<>≤≥=]=?|=[<>])\s*")


_TEMPORAL_CUE = word_pattern("temporal_cues")
_DIGIT = re.compile(r"\d")


def is_temporal_phrase(text: str) -> bool:
    """Named check on a model Temporal span: it holds a number or a word of time ("prior", "during",
    "screening", "pre-operative"); "at tested sites", "at the femur neck", "in this study" do not."""
    return bool(_DIGIT.search(text) or _TEMPORAL_CUE.search(text))


def is_value_phrase(text: str) -> bool:
    """Named check on a model Value span: it holds a number, a grade or stage, or a qualitative
    result, and is more than a comparator ("naive", "kit", "over time" and a lone ">=" are not)."""
    return bool(_VALUE_PHRASE.search(text)) and not _BARE_COMPARATOR.fullmatch(text)


# (a capital letter alone is a word of a name after another word: "vitamin C", "hepatitis B")
_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-']*[A-Za-z0-9]|(?<=[A-Za-z] )[A-Z]\b")


@dataclasses.dataclass(frozen=True)
class VocabularyNames:
    """Names from an open vocabulary that become mentions where no mention is (see ``vocabulary_names``)."""

    type: str  # the mention type, also the linker's vocabulary: Drug -> DrugBank, Condition -> ICD-10-CM
    rule: str  # the provenance rule of the mentions added
    max_words: int
    min_chars: int  # a shorter name counts only written in capitals, as an abbreviation ("CKD", not "fit")
    stoplist: str  # the ``words.json`` list of names Chia's annotators mostly mark otherwise (train split)
    # codes that name no mention of the type: ICD-10-CM chapters V-Y (external causes: "shot") and Z
    # (factors influencing health status: "counseling", "donors")
    excluded_codes: tuple[str, ...] = ()


# Drugs first: a DrugBank name is never read as a condition
VOCABULARY_NAMES = {
    "drug_names": VocabularyNames("Drug", "drugbank-name", 3, 4, "drug_name_stoplist"),
    "condition_names": VocabularyNames(
        "Condition", "icd10cm-name", 5, 4, "condition_name_stoplist", ("V", "W", "X", "Y", "Z")
    ),
}


# the rules of the mentions criteria_model_entities adds beside the model's own (rule "model:<name>")
MODEL_COMPONENT_RULES = frozenset({kind.rule for kind in VOCABULARY_NAMES.values()} | {"coordinated-member"})


def vocabulary_names(
    text: str, taken: Iterable[tuple[int, int]], kinds: Iterable[VocabularyNames]
) -> list[tuple[int, int, VocabularyNames]]:
    """Names that link to exactly one code of an open vocabulary, where no mention is: "esmolol",
    "phenprocoumon" (DrugBank), "heparin-induced thrombocytopenia", "bicuspid aortic valve" (ICD-10-CM),
    names the model has rarely seen. Whole words only, the longest name first; never a class, an
    ambiguous or a barred name (``linking.link_whole_name`` says no confident link), nor a name of
    the kind's stoplist."""
    from .linking import LINKED, in_vocabulary_words, link_whole_name, normalized

    kinds = tuple(kinds)
    if not kinds:
        return []
    stops = [_name_stoplist(kind.stoplist, kind.type) for kind in kinds]
    covered = bytearray(len(text))
    for s, e in taken:
        covered[s:e] = b"\x01" * (e - s)
    words = [w for w in _NAME_WORD.finditer(text) if not any(covered[w.start() : w.end()])]
    # a name is words joined by single spaces, each word found in some name of the vocabulary
    joined = [text[a.end() : b.start()] == " " for a, b in zip(words, words[1:], strict=False)]
    fits = [[in_vocabulary_words(w.group(), kind.type) for kind in kinds] for w in words]
    out: list[tuple[int, int, VocabularyNames]] = []
    i = 0
    while i < len(words):
        found = None
        for k, kind in enumerate(kinds):
            # the longest run of fitting, joined words from here, up to the kind's longest name
            n = 0
            while n < kind.max_words and i + n < len(words) and fits[i + n][k] and (n == 0 or joined[i + n - 1]):
                n += 1
            for m in range(n, 0, -1):
                if found and m <= found[2]:
                    break
                start, end = words[i].start(), words[i + m - 1].end()
                name = text[start:end]
                if len(name) < kind.min_chars and not name.isupper():
                    continue
                # the link is cached and rarely made, so it is tried before the stoplist's normalisation
                linked = link_whole_name(name, kind.type)
                if (
                    linked.status == LINKED
                    and not linked.codes[0].code.startswith(kind.excluded_codes)
                    and normalized(name, kind.type) not in stops[k]
                    # "Candida albicans" is a DrugBank allergen extract, and the organism in criteria
                    and not (kind.type == "Drug" and _names_organism_alone(text, start, end))
                    and not in_citation(text, start, end)
                ):
                    found = (start, end, m, kind)
                    break
        if found:
            out.append((found[0], found[1], found[3]))
            i += found[2]
        else:
            i += 1
    return out


def _qualifier_in_name(text: str, info: dict[tuple[int, int], dict[str, Any]], kind: VocabularyNames) -> None:
    """A Qualifier right before a mention of the kind's type, where the two together are exactly one
    name of the vocabulary, is part of that name, and one mention ("Restless legs syndrome", not
    "Restless" and "legs syndrome"): a qualifier inside a concept's name is no mention of its own."""
    from .linking import LINKED, link_whole_name

    qualifiers = {k[1]: k for k, v in info.items() if v["type"] == "Qualifier"}
    for key, entry in list(info.items()):
        if entry["type"] != kind.type:
            continue
        before = qualifiers.get(key[0] - 1)
        if before is None or before not in info or text[before[1] : key[0]] != " ":
            continue
        linked = link_whole_name(text[before[0] : key[1]], kind.type)
        if linked.status != LINKED or linked.codes[0].code.startswith(kind.excluded_codes):
            continue
        del info[before], info[key]
        info[(before[0], key[1])] = {
            **entry,
            "normalized": None,
            "rule": f"{entry.get('rule', 'lexicon')}+qualified-name",
        }


@lru_cache(maxsize=len(VOCABULARY_NAMES))
def _name_stoplist(key: str, type_: str) -> frozenset[str]:
    """The stoplist's names as the type's vocabulary normalises them ("donors" is "donor")."""
    from .linking import normalized

    return frozenset(normalized(w, type_) for w in word_list(key))


# what joins coordinated words: "or", "and", "and/or", "/" or a comma (", or", ", and" too)
_CONJUNCTION = re.compile(r"\s*(?:,\s*(?:and/or|or|and)?|/|\band\s*/\s*or\b|\bor\b|\band\b)\s*", re.IGNORECASE)


def _coordinated(text: str, spans: list[tuple[int, int]]) -> bool:
    """Two of the mentions are joined by 'or', 'and', '/' or a comma ("hepatitis B or C")."""
    return any(_CONJUNCTION.fullmatch(text[a[1] : b[0]]) for a, b in zip(spans, spans[1:], strict=False))


_LEADING_BULLET = re.compile(r"[*•·▪◦‣●○■□►–—-]\s+")


def _without_bullet(text: str, span: tuple[int, int, str, float]) -> tuple[int, int, str, float]:
    """A model span starting on a list bullet ("· creatinine") starts after it: the bullet belongs to
    the layout, and a mention reaching into it would fall outside its criterion."""
    m = _LEADING_BULLET.match(text, span[0], span[1])
    return (m.end(), span[1], span[2], span[3]) if m else span


#: the model types whose spans never end on a preposition ("Fev1 of" is "Fev1"): Observation and the
#: modifiers may ("history of", "able to")
_PREPOSITION_FREE_TYPES = frozenset(
    ("Condition", "Drug", "Procedure", "Measurement", "Person", "Device", "Value", "Temporal")
)


@cache
def _final_preposition() -> re.Pattern[str]:
    words = word_list("span_final_prepositions") + word_list("span_final_modals")
    return re.compile(rf"\s+(?:{'|'.join(map(re.escape, words))})$")


def _without_final_preposition(text: str, span: tuple[int, int, str, float]) -> tuple[int, int, str, float]:
    """A model span of a concept, Value or Temporal type ends before a trailing lower-case preposition
    or modal verb: the suggester keeps such candidates for Observation ("history of"), and a "Fev1 of"
    would take the lexicon mention's place with the preposition in it ("radiotherapy should")."""
    if span[2] not in _PREPOSITION_FREE_TYPES:
        return span
    m = _final_preposition().search(text, span[0], span[1])
    return (span[0], m.start(), span[2], span[3]) if m and m.start() > span[0] else span


def _within_brackets(text: str, span: tuple[int, int, str, float]) -> tuple[int, int, str, float] | None:
    """A model span cut to a stretch whose brackets pair up: it starts after a ")" it does not open
    ("parenchymal) lung disease" is "lung disease") and ends before a "(" it does not close or a ")"
    it does not open ("colon (head lesions" is "colon", "GM-CSF)" is "GM-CSF"). None where nothing
    is left, or a single word after a ")" ("(IgG and IgA) levels" gives no "levels": the head alone
    names nothing). Of Chia's 26,246 train spans of the main types, 46 have unpaired brackets."""
    start, end = span[0], span[1]
    opened: list[int] = []
    for i in range(start, end):
        ch = text[i]
        if ch == "(":
            opened.append(i)
        elif ch == ")":
            if opened:
                opened.pop()
            elif text[i + 1 : end].strip():
                start, opened = i + 1, []
            else:
                end = i
                break
    if opened:
        end = opened[0]
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if (start, end) == (span[0], span[1]):
        return span
    if start >= end or (start > span[0] and len(text[start:end].split()) < 2):
        return None
    return (start, end, span[2], span[3])


@cache
def _non_concept_names() -> frozenset[str]:
    return word_set("non_concept_names")


@cache
def _not_qualifier_words() -> frozenset[str]:
    return word_set("not_qualifier_words")


@cache
def _microorganism_names() -> frozenset[str]:
    return word_set("microorganism_names")


# the lower-case words that may follow a genus in an organism's name: a species ("albicans",
# "aeruginosa"), "spp.", "oocysts"
_SPECIES_WORD = re.compile(r"[a-z][a-z-]+\.?|spp?\.")


def is_microorganism_name(name: str) -> bool:
    """Whether a mention of one to three words names a microorganism alone ("Candida albicans",
    "Legionella", "Herpes simplex", "Mycobacterium avium-intracellulare"): a genus or an organism's
    common name (``words.json`` ``microorganism_names``), then only lower-case species words."""
    words = name.split()
    if not words or len(words) > 3:
        return False
    names = _microorganism_names()
    lead = 2 if len(words) >= 2 and f"{words[0]} {words[1]}".lower() in names else 1
    if lead == 1 and words[0].lower() not in names:
        return False
    # ("Pseudomonas exotoxin" is the toxin an immunotoxin is made of)
    return all(_SPECIES_WORD.fullmatch(w) and w.lower() != "exotoxin" for w in words[lead:])


# a bracketed citation: authors (or a body) and a year, "(Yang, Rendas-Baum, Varon, & Kosinski, 2011)",
# "(Soules et al., 2001)", "(ACRM, 1993)"
_AUTHOR = r"[A-Z][\w'’.-]*(?:\s+et\s+al\.?)?"
_CITATION = re.compile(rf"\(\s*{_AUTHOR}(?:(?:\s*(?:,|&|\band\b))+\s*{_AUTHOR})*\s*,?\s*(?:19|20)\d\d[a-z]?\s*\)")


def in_citation(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` lies inside a bracketed citation: an author's name is no concept
    ("Rendas-Baum" and "Varon" are no drugs)."""
    opened = text.rfind("(", max(0, start - 200), start + 1)
    if opened < 0 or ")" in text[opened:start]:
        return False
    m = _CITATION.match(text, opened)
    return m is not None and m.end() >= end


# "Escherichia coli- ASNase preparation", "E. coli-derived": a product made from the organism follows
_PRODUCT_OF_ORGANISM = re.compile(r"[ \t]*-|[ \t]+derived\b", re.IGNORECASE)


def _names_organism_alone(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` names a microorganism and no product made from it follows: the
    infection, never a drug, whether the model or DrugBank read it as one."""
    return is_microorganism_name(text[start:end]) and not _PRODUCT_OF_ORGANISM.match(text, end)


_AMOUNT_ONLY = re.compile(
    r"\d[\d.,]*\s+(?:mg|g|mcg|µg|ug|kg|ml|mL|L|IU|units?)(?:\s*(?:/|per)\s*(?:d|day|wk|week|month|h|hour|dose))?",
    re.IGNORECASE,
)
# "non-insulin", "non-opioid": one word after "non" names what a thing is not, never a drug
_NOT_A_DRUG = re.compile(r"non[- ]?\w+", re.IGNORECASE)
# one lower-case word in -ed or -ing: a verb form, never a drug's name
_VERB_FORM = re.compile(r"[a-z]+(?:ed|ing)")
#: the mention types that may hold a concept mention inside them
_HOLDING_TYPES = frozenset(("Temporal", "Value"))
#: the model types that name a clinical concept, which a place or an everyday service never is
_CONCEPT_TYPES = frozenset(("Condition", "Drug", "Procedure", "Measurement", "Device"))


def _model_span_edges(text: str, span: tuple[int, int, str, float]) -> tuple[int, int, str, float] | None:
    """A model span's edges after the checks on them (bullet, brackets, final preposition, a place's
    or an everyday service's name as a concept: "Hawaii" and "wifi" are no Drugs); None where nothing
    of it is left."""
    start = span[0]
    while 0 < start < span[1] and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1  # "A1C level": the model's finer tokens split "A1C"; a span starts at a word's start
    span = (start, *span[1:])
    if span[2] in _CONCEPT_TYPES and text[span[0] : span[1]].strip().lower() in _non_concept_names():
        return None
    if span[2] == "Qualifier" and text[span[0] : span[1]].strip().lower() in _not_qualifier_words():
        return None  # "Other malignancy": "other" sets nothing apart
    if span[2] in _CONCEPT_TYPES and in_citation(text, span[0], span[1]):
        return None  # "(Yang, Rendas-Baum, Varon, & Kosinski, 2011)": authors
    if span[2] == "Drug" and _NOT_A_DRUG.fullmatch(text, span[0], span[1]):
        return None  # "non-insulin dependent": what the thing is not
    if span[2] == "Drug" and _AMOUNT_ONLY.fullmatch(text, span[0], span[1]):
        return None  # ">7 drinks or 210 g per wk": an amount, no drug
    if span[2] == "Drug" and _VERB_FORM.fullmatch(text, span[0], span[1]):
        return None  # "as estimated at the time of screening": none of Chia's train Drug spans is one
    if span[2] == "Drug" and _names_organism_alone(text, span[0], span[1]):
        # "Legionella, Cryptosporidium, Isospora": the organism names the infection, no drug
        span = (span[0], span[1], "Condition", span[3])
    if span[2] == "Condition":
        serology = _SEROLOGY_AFTER.search(text, span[0], span[1])
        if serology is not None and serology.end() == span[1] and serology.start() > span[0]:
            # "HIV seropositive": the virus, and an antibody test's result after it (a Value with its
            # constraint, as the golds read 11 of 12)
            span = (span[0], serology.start(), *span[2:])
    bracketed = _within_brackets(text, _without_bullet(text, span))
    return None if bracketed is None else _without_final_preposition(text, bracketed)


_SEROLOGY_AFTER = re.compile(r"[ \t-]+sero-?(?:positive|positivity|negative|negativity)$", re.IGNORECASE)


def coordinated_members(text: str) -> tuple[list[tuple[int, int, str]], str] | None:
    """The members of an elliptic coordination, as Chia marks them, with what each one names.

    "Gastrointestinal or genitourinary bleeding" shares its head: each conjunct from the second on
    starts a mention that runs to the end ("genitourinary bleeding"), and the whole names the first
    conjunct with the head ("gastrointestinal bleeding"). "mitral regurgitation or stenosis" shares
    its modifier: each conjunct but the last ends a mention that starts at the beginning ("mitral
    regurgitation"), and the whole names the modifier with the last conjunct ("mitral stenosis").
    Returns ([(start, end, name)] of the members inside, the whole's name), offsets into ``text``,
    or None where the text is no such coordination: no conjunction ("or", "and", "/") before the last
    conjunct (a bare comma lists things: "lower extremities, fever"), a bracket, a line break, a
    single-word conjunct that is no word ("3A4/5"), a shared part of more than three words, or
    conjuncts that share nothing ("bone marrow or stem cell transplant").
    """
    if "\n" in text or any(ch in text for ch in "()[]"):
        return None
    bounds: list[tuple[int, int]] = []
    last = 0
    final = ""
    for m in _CONJUNCTION.finditer(text):
        if m.start() == 0 or m.end() == len(text):
            return None
        bounds.append((last, m.start()))
        last, final = m.end(), m.group().strip()
    if not bounds or final == ",":
        return None
    bounds.append((last, len(text)))
    words = [text[a:b].split() for a, b in bounds]
    if any(len(w) == 1 and sum(ch.isalpha() for ch in w[0]) < 2 for w in words) or max(map(len, words)) > 4:
        return None

    def name(*parts: list[str]) -> str:
        return " ".join(w for part in parts for w in part).lower()

    if len(words[0]) == 1 and len(words[-1]) > 1:
        head = words[-1][1:]
        members = [(a, len(text), name(w, head)) for (a, _), w in zip(bounds[1:-1], words[1:-1], strict=True)]
        members.append((bounds[-1][0], len(text), name(words[-1])))
        return members, name(words[0], head)
    if len(words[-1]) == 1 and len(words[0]) > 1:
        modifier = words[0][:-1]
        members = [(0, bounds[0][1], name(words[0]))]
        members += [(0, b, name(modifier, w)) for (_, b), w in zip(bounds[1:-1], words[1:-1], strict=True)]
        return members, name(modifier, words[-1])
    return None


def first_conjunct_end(text: str) -> int | None:
    """Where the first conjunct of an elliptic coordination that shares its head ends ("alcohol" of
    "alcohol or drug abuse", "kidney" of "kidney or liver disease": :func:`coordinated_members`), or
    None where ``text`` is no such coordination (one that shares its modifier, "mitral regurgitation or
    stenosis", included)."""
    found = coordinated_members(text)
    if found is None or any(end != len(text) for _, end, _ in found[0]):
        return None
    conjunction = _CONJUNCTION.search(text)
    return conjunction.start() if conjunction is not None else None


class CriteriaModelEntities:
    """Mentions from the trained entity model (``extractor.model``), merged with the lexicon's.

    Merge policy where a model span overlaps lexicon mentions (measured on the Chia dev split and the
    gold trial, see the README):

    1. no overlap: the model span is added (rule ``model:<name>``, with its score);
    2. the model span covers every lexicon mention it overlaps and exactly one of them has its type
       (or several naming one concept: a name and its abbreviation, "Beck Depression Inventory (BDI)"):
       the model's extent wins ("malignant tumors of other organs" over "malignant tumors"); that
       mention's normalised name and class flag pass to it and the mention goes;
    3. otherwise (a partial overlap, or only other types inside) the lexicon mentions stay and the
       model span is dropped: the curated vocabulary carries the normalised concept that the
       constraint, dose and window linking relies on.

    4. a lexicon mention of a type in ``confirm_types`` stays only where the model scores an
       overlapping span of that type at ``confirm_threshold`` or more: the pattern proposes, the
       model confirms. Generic words the lexicon types as Person ("patients", "subjects") are not
       mentions in Chia's conventions, and the model knows it. Mentions whose normalised name is in
       ``confirm_exempt`` are never dropped, nor is a mention a constraint hangs on ("Patients 65
       years of age or older": the record drops an unconfirmed mention only if nothing refers to it).
       The same holds for a lexicon rule flagged ``confirm`` (a generic phrase: "treatment", "drug",
       "participation"), which also gives way to any model span over it; mentions joined by "or",
       "and", "/" or a comma ("hepatitis B or C") are never merged into one model span.

    Model Value/Temporal spans are kept in the record only where no rule item (threshold, window)
    overlaps them: the rule item carries the comparator, unit or anchor. Where one does, the rule
    item's mention takes the model span's edges (Chia's), and the constraint or window keeps its own.
    """

    def __init__(
        self,
        model: str,
        threshold: float | None,
        types: list[str],
        confirm_types: list[str] | None = None,
        confirm_threshold: float = 0.05,
        confirm_exempt: list[str] | None = None,
        drug_names: bool = True,
        condition_names: bool = True,
        type_thresholds: dict[str, float] | None = None,
    ) -> None:
        from .model import shared_model

        self.model = shared_model(model, threshold)
        self.type_thresholds = dict(type_thresholds or {})
        self.model_name = self.model.path.name
        self.types = frozenset(types)
        self.confirm_types = frozenset(confirm_types or ())
        self.confirm_threshold = confirm_threshold
        self.confirm_exempt = frozenset(confirm_exempt or ())
        wanted = {"drug_names": drug_names, "condition_names": condition_names}
        self.vocabulary_names = tuple(kind for key, kind in VOCABULARY_NAMES.items() if wanted[key])

    def __call__(self, doc: Doc) -> Doc:
        scored = self.model.predict_scored_many(
            [doc_text(doc)], soft_wraps=[doc._.soft_wraps], clause_starts=[doc._.clause_starts]
        )
        return self._merge(doc, scored[0])

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        """The model reads the lines of many docs in one batch (the CNN is much faster batched)."""
        for batch in minibatch(docs, size=batch_size):
            texts = [doc_text(doc) for doc in batch]
            scored = self.model.predict_scored_many(
                texts,
                soft_wraps=[doc._.soft_wraps for doc in batch],
                clause_starts=[doc._.clause_starts for doc in batch],
            )
            for doc, spans in zip(batch, scored, strict=True):
                yield self._merge(doc, spans)

    def _select(self, scored: list[tuple[int, int, str, float]]) -> list[tuple[int, int, str, float]]:
        """The model spans kept: at least the threshold of their type (``type_thresholds``, else the
        model's), and the best-scored of overlapping spans of one type."""
        if not self.type_thresholds:
            return self.model.select(scored, self.model.threshold)
        base = self.model.threshold
        kept = [s for s in scored if s[3] >= self.type_thresholds.get(s[2], base)]
        return self.model.select(kept, 0.0)

    def _merge(self, doc: Doc, scored: list[tuple[int, int, str, float]]) -> Doc:
        text = doc_text(doc)
        long_forms: dict[tuple[int, int], str] = {}
        long_spans: dict[tuple[int, int], tuple[int, int]] = {}
        if Doc.has_extension("abbreviations"):
            for short in doc._.abbreviations or []:
                if short._.long_form is not None:
                    key = (short.start_char, short.end_char)
                    long_forms[key] = " ".join(short._.long_form.text.lower().split())
                    long_spans[key] = (short._.long_form.start_char, short._.long_form.end_char)
        predicted = [
            s
            for s in (_model_span_edges(text, span) for span in self._select(scored))
            if s is not None
            and s[2] in self.types
            and s[0] < s[1]
            and (s[2] != "Value" or is_value_phrase(text[s[0] : s[1]]))
            and (s[2] != "Temporal" or is_temporal_phrase(text[s[0] : s[1]]))
        ]
        info: dict[tuple[int, int], dict[str, Any]] = dict(doc._.entity_info or {})
        for key in [
            k
            for k, v in info.items()
            if (v["type"] in self.confirm_types or v.get("confirm")) and v.get("normalized") not in self.confirm_exempt
        ]:
            if not any(
                t == info[key]["type"] and score >= self.confirm_threshold and s < key[1] and key[0] < e
                for s, e, t, score in scored
            ):
                # dropped at assembly unless a constraint hangs on it ("Patients 65 years or older")
                info[key] = {**info[key], "unconfirmed": True}
        lexicon = set(info)
        for start, end, type_, score in sorted(predicted, key=lambda s: -s[3]):
            if (start, end) in info:
                continue
            entry = {
                "type": type_,
                "normalized": None,
                "is_class": False,
                "rule": f"model:{self.model_name}",
                "score": round(score, 3),
            }
            overlapping = [k for k in info if k[0] < end and start < k[1]]
            if type_ in CONCEPT_TYPES:
                # a modifier ("Untreated", the lexicon's "serum") never blocks a concept over it
                # ("Untreated hypogonadism", "serum total testosterone"): both stay, as Chia marks them
                overlapping = [k for k in overlapping if info[k]["type"] in _BLOCKING_TYPES]
            elif type_ in ("Temporal", "Value"):
                # a time or a value may hold a shorter mention of another kind, which stays beside it:
                # a concept ("before operation", "up to age 75 years"), a reference point ("in the month
                # prior to screening"), a modifier ("for no less than 5 years" over the lexicon's "no")
                overlapping = [
                    k
                    for k in overlapping
                    if not (
                        info[k]["type"] not in ("Temporal", "Value")
                        and start <= k[0]
                        and k[1] <= end
                        and k != (start, end)
                    )
                ]
            if not overlapping:
                # a short form scispaCy tied to its long form is linked through the long form ("Cr")
                entry["normalized"] = long_forms.get((start, end))
                info[(start, end)] = entry
                continue
            if any(k not in lexicon for k in overlapping):
                continue  # a better-scored model span is already there
            # two coordinated mentions ("immunosuppressive/immune modulators", "hepatitis B or C")
            # are never merged into one
            if _coordinated(text, sorted(k for k in overlapping if info[k]["type"] == type_)):
                continue
            # a generic mention ("treatment", "participation") gives way to a model span over it, and
            # so does a substance named inside the disorder of its use ("cocaine use disorder",
            # "opioid dependence"), one Condition as Chia marks it
            weak = [
                k
                for k in overlapping
                if info[k].get("confirm") or (type_ == "Condition" and _substance_disorder(text, k, start, end, info))
            ]
            strong = [k for k in overlapping if k not in weak]
            same = [k for k in strong if info[k]["type"] == type_]
            # a name and its abbreviation ("Beck Depression Inventory-II (BDI) score") are one concept
            concepts = {info[k].get("normalized") or text[k[0] : k[1]].lower() for k in same}
            if strong and (len(concepts) != 1 or not all(start <= k[0] and k[1] <= end for k in strong)):
                continue
            for k in weak:
                del info[k]
            if same:
                # "PDE5 inhibitors" over the lexicon's "inhibitors" is named by its own text
                head_only = info[same[0]].get("head_only") and same[0] != (start, end)
                # ("HCT comorbidity index" over the lexicon's "HCT": an index named after the thing is
                # no hematocrit)
                renamed = same[0][1] < end and _OTHER_HEAD.match(text, same[0][1], end) is not None
                entry["normalized"] = None if head_only or renamed else info[same[0]].get("normalized")
                entry["is_class"] = info[same[0]].get("is_class", False)
                entry["rule"] = f"model:{self.model_name}+{info[same[0]].get('rule', 'lexicon')}"
                for k in same:
                    del info[k]
            info[(start, end)] = entry
        # (a time phrase or a value may hold a name, as it may a concept mention: "≥ 1 day post
        # hydroxyurea")
        named = [k for k, v in info.items() if v["type"] not in _HOLDING_TYPES]
        for start, end, kind in vocabulary_names(text, named, self.vocabulary_names):
            info[(start, end)] = {"type": kind.type, "normalized": None, "is_class": False, "rule": kind.rule}
        for kind in self.vocabulary_names:
            _qualifier_in_name(text, info, kind)
        # an elliptic coordination the model read as one mention holds a mention per member, as Chia
        # marks them ("Gastrointestinal or genitourinary bleeding": "genitourinary bleeding" too), and
        # the whole names its first member ("gastrointestinal bleeding")
        for (start, end), entry in list(info.items()):
            if entry["type"] not in ASSERTED_TYPES or not str(entry.get("rule", "")).startswith("model:"):
                continue
            found = coordinated_members(text[start:end])
            if found is None:
                continue
            members, entry["normalized"] = found
            for a, b, name in members:
                info.setdefault(
                    (start + a, start + b),
                    {
                        "type": entry["type"],
                        "normalized": name,
                        "is_class": entry.get("is_class", False),
                        "rule": "coordinated-member",
                    },
                )
        # "heart, lung, liver, or kidney disease": the organs listed before the disease name a mention
        # each ("heart disease", ...)
        # (and "hepatic, renal and pulmonary functions" each organ's function, a Measurement)
        for organ_kind in ("Condition", "Measurement"):
            mentions = [k for k, v in info.items() if v["type"] == organ_kind]
            for a, b, name in _listed_organ_members(text, mentions) if mentions else ():
                if not any(k[0] < b and a < k[1] for k in info):
                    info[(a, b)] = {
                        "type": organ_kind,
                        "normalized": name,
                        "is_class": False,
                        "rule": "organ-coordination",
                    }
        # a short form takes the type of its long form's mention ("PNH" is a Condition like
        # "paroxysmal nocturnal hemoglobinuria (PNH)" earlier in the text)
        for key, entry in info.items():
            if key not in long_spans or not str(entry.get("rule", "")).startswith("model:"):
                continue
            a, b = long_spans[key]
            typed = [v["type"] for k, v in info.items() if k != key and k[0] <= a < k[1] and v["type"] in CONCEPT_TYPES]
            if typed and typed[0] in self.types:
                entry["type"] = typed[0]
        doc._.entity_info = dict(sorted(info.items()))
        doc.spans[extensions.ENTITIES] = _spans(doc, [(s, e, i["type"]) for (s, e), i in doc._.entity_info.items()])
        return doc
