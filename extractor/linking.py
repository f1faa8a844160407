"""Linking entity mentions to codes in free, offline vocabularies.

Conditions go to ICD-10-CM (``simple_icd_10_cm``), drugs to DrugBank ids (``drug_named_entity_recognition``)
and lab measurements to LOINC (``labunits``). Precision over recall: a mention links only when its normalised
text equals a vocabulary name, a vocabulary synonym, or an entry of the curated tables in
``resources/linking.json``, and that name points at one code. Anything else -- a misspelling, a vague phrase,
a drug class, a name shared by unrelated codes -- ends as ``no_confident_link`` and keeps its text. Nothing is
fuzzy-matched.

Each vocabulary's index is built once, on first use (importing ``simple_icd_10_cm`` alone takes about 1.5 s),
and every lookup after that is a handful of dictionary reads; results are cached per mention.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

VOCABULARIES: dict[str, str] = {"Condition": "ICD-10-CM", "Drug": "DrugBank", "Measurement": "LOINC"}

LINKED = "linked"
NO_CONFIDENT_LINK = "no_confident_link"
NOT_LINKABLE = "not_linkable"
_STATUSES = (LINKED, NO_CONFIDENT_LINK, NOT_LINKABLE)

# how a name reached its code, best first
_EXACT, _SYNONYM, _ABBREVIATION = 0, 1, 2
_MATCH_NAMES = ("exact", "synonym", "abbreviation")

_RESOURCE = Path(__file__).resolve().parent / "resources" / "linking.json"


@dataclass(frozen=True)
class Code:
    """One code in one vocabulary."""

    system: str
    code: str
    display: str

    def to_dict(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}


@dataclass(frozen=True)
class Link:
    """The outcome of linking one mention: the codes when confident, otherwise why not."""

    status: str
    vocabulary: str | None
    codes: tuple[Code, ...]
    match: str | None

    def __post_init__(self) -> None:
        if self.status not in _STATUSES:
            raise ValueError(f"unknown link status {self.status!r}")
        if (self.status == LINKED) != bool(self.codes):
            raise ValueError("a link has codes exactly when its status is 'linked'")
        if (self.status == NOT_LINKABLE) != (self.vocabulary is None):
            raise ValueError("a link names its vocabulary unless the type has none")

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "vocabulary": self.vocabulary,
            "codes": [c.to_dict() for c in self.codes],
            "match": self.match,
        }


_NOT_LINKABLE = Link(NOT_LINKABLE, None, (), None)


def link(text: str, type_: str, normalized: str | None = None) -> Link:
    """Link one mention of Chia type ``type_``; ``normalized`` (a canonical name from the lexicon) is tried first."""
    return _link_cached(text, type_, normalized)


def link_many(mentions: Iterable[tuple[str, str, str | None]]) -> list[Link]:
    """Link ``(text, type, normalized)`` triples, in order; repeated mentions are looked up once."""
    return [_link_cached(text, type_, normalized) for text, type_, normalized in mentions]


@lru_cache(maxsize=1 << 16)
def _link_cached(text: str, type_: str, normalized: str | None) -> Link:
    vocabulary = VOCABULARIES.get(type_)
    if vocabulary is None:
        return _NOT_LINKABLE
    index = _index(vocabulary)
    for candidate in (normalized, text):
        if not candidate:
            continue
        hit = _resolve(index, candidate)
        if hit is None:
            continue  # nothing known by this name: the other spelling may still be
        if hit.codes:
            return Link(LINKED, vocabulary, hit.codes, hit.match)
        break  # known but ambiguous or barred: do not fall back to a looser spelling
    return Link(NO_CONFIDENT_LINK, vocabulary, (), None)


# ---------------------------------------------------------------- normalisation


@lru_cache(maxsize=1)
def _config() -> dict[str, Any]:
    with open(_RESOURCE, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


_MEMO_LIMIT = 1 << 18
_APOSTROPHE = re.compile(r"['\u2019]s\b|['\u2019]")  # possessive 's, or any other apostrophe
_TOKEN = re.compile(r"[^\W\d_]+|\d+")  # runs of letters or of digits: 'HbA1c' -> hba 1 c, 'COVID-19' -> covid 19


class _Normalizer:
    """Case-folds, maps Greek letters to names, drops possessives and punctuation, splits letters from digits
    and singularises simple plurals, so that 'Crohn's disease', 'crohn disease' and 'Crohns Disease' agree."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._char_map: tuple[tuple[str, str], ...] = tuple(config["char_map"].items())
        self._keep: tuple[str, ...] = tuple(config["plural_keep_endings"])
        self._min = int(config["plural_min_length"])
        self._singulars: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        if text.isascii():
            s = text.lower()
        else:
            s = unicodedata.normalize("NFKC", text).casefold()
            for src, dst in self._char_map:
                if src in s:
                    s = s.replace(src, dst)
        if "'" in s or "\u2019" in s:
            s = _APOSTROPHE.sub("", s)
        singulars = self._singulars
        out = []
        for token in _TOKEN.findall(s):
            singular = singulars.get(token)
            if singular is None:
                singular = self._singular(token)
                if len(singulars) < _MEMO_LIMIT:
                    singulars[token] = singular
            out.append(singular)
        return " ".join(out)

    def _singular(self, token: str) -> str:
        if len(token) < self._min or not token.endswith("s") or token.endswith(self._keep) or not token.isalpha():
            return token
        if token.endswith("ies"):
            return token[:-3] + "y"
        return token[:-1]


@lru_cache(maxsize=1)
def _normalizer() -> _Normalizer:
    return _Normalizer(_config()["normalization"])


def _norm(text: str) -> str:
    return _normalizer()(text)


def _phrases(words: Iterable[str]) -> tuple[str, ...]:
    """Normalised phrases, longest first so that 'a history of' is tried before 'a'."""
    normed = {_norm(w) for w in words if not w.startswith("_")}
    return tuple(sorted((p for p in normed if p), key=lambda p: (-len(p), p)))


def _strip_leading(key: str, phrases: tuple[str, ...]) -> str:
    changed = True
    while changed:
        changed = False
        for p in phrases:
            if key.startswith(p + " "):
                key = key[len(p) + 1 :]
                changed = True
                break
    return key


def _strip_trailing(key: str, phrases: tuple[str, ...]) -> str:
    changed = True
    while changed:
        changed = False
        for p in phrases:
            if key.endswith(" " + p):
                key = key[: -len(p) - 1]
                changed = True
                break
    return key


def _leading_variants(key: str, phrases: tuple[str, ...]) -> list[str]:
    """The key, then the key with one more leading phrase dropped each time."""
    out = [key]
    while True:
        for p in phrases:
            if key.startswith(p + " "):
                key = key[len(p) + 1 :]
                out.append(key)
                break
        else:
            return out


# ---------------------------------------------------------------- indexes


@dataclass(frozen=True)
class _Hit:
    """A name found in an index: one code (or, for none, a name that must not be linked)."""

    codes: tuple[Code, ...]
    match: str | None


_BARRED = _Hit((), None)


class _Index:
    vocabulary: str = ""

    def __init__(self, config: dict[str, Any]) -> None:
        self.leading = _phrases(config["strip_leading"][self.vocabulary])
        self.never = frozenset(_phrases(config["never_link"][self.vocabulary]))

    def find(self, key: str) -> _Hit | None:
        raise NotImplementedError


def _resolve(index: _Index, text: str) -> _Hit | None:
    key = _norm(text)
    if not key:
        return None
    for k in _leading_variants(key, index.leading):
        if k in index.never:
            return _BARRED
        hit = index.find(k)
        if hit is not None:
            return hit
    return None


@lru_cache(maxsize=None)
def _index(vocabulary: str) -> _Index:
    config = _config()
    if vocabulary == "ICD-10-CM":
        return _IcdIndex(config)
    if vocabulary == "DrugBank":
        return _DrugIndex(config)
    if vocabulary == "LOINC":
        return _LoincIndex(config)
    raise KeyError(vocabulary)


def _add(entries: dict[str, dict[str, int]], key: str, code: str, rank: int) -> None:
    if not key:
        return
    codes = entries.setdefault(key, {})
    if rank < codes.get(code, len(_MATCH_NAMES)):
        codes[code] = rank


# ICD-10-CM: '(...)' holds nonessential modifiers, '[...]' synonyms or explanations; a trailing all-caps one
# ('Chronic kidney disease (CKD)') abbreviates the whole name.
_ICD_GROUP = re.compile(r"\s*[(\[][^)\]]*[)\]]")
_ICD_TRAILING_ABBR = re.compile(r"[(\[]\s*([A-Z][A-Za-z0-9-]*[A-Z0-9])\s*[)\]]\s*$")


class _IcdIndex(_Index):
    """Descriptions and includes/inclusion terms of ICD-10-CM categories and subcategories (the 7th-character
    extensions are left out: they add encounter and healing stages that a criterion never names)."""

    vocabulary = "ICD-10-CM"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        import simple_icd_10_cm.simple_icd_10_cm as cm

        icd = config["icd10cm"]
        skip_first = frozenset(_norm(w) for w in icd["skip_first_words"])
        trailing = _phrases(icd["strip_trailing"])
        leading = _phrases(icd["strip_leading"])
        self._display: dict[str, str] = {}
        self._entries: dict[str, dict[str, int]] = {}

        def add_name(name: str, code: str, rank: int) -> None:
            full = _norm(name)
            variants = {full, _norm(_ICD_GROUP.sub(" ", name))} if ("(" in name or "[" in name) else {full}
            for variant in variants:
                if not variant or variant.split(" ", 1)[0] in skip_first:
                    continue
                _add(self._entries, variant, code, rank)
                short = _strip_leading(_strip_trailing(variant, trailing), leading)
                if short != variant and short.split(" ", 1)[0] not in skip_first:
                    _add(self._entries, short, code, rank)
            m = _ICD_TRAILING_ABBR.search(name)
            if m and sum(ch.isupper() for ch in m.group(1)) >= 2:
                _add(self._entries, _norm(m.group(1)), code, _ABBREVIATION)

        for code in cm.get_all_codes():
            if not cm.is_category_or_subcategory(code) or cm.is_extended_subcategory(code):
                continue
            description = cm.get_description(code)
            self._display[code] = description
            add_name(description, code, _EXACT)
            for term in cm.get_includes(code) + cm.get_inclusion_term(code):
                add_name(term, code, _SYNONYM)

        self._curated: dict[str, tuple[str, int]] = {}
        for table, rank in (("synonyms", _SYNONYM), ("abbreviations", _ABBREVIATION)):
            for name, code in icd[table].items():
                if code not in self._display:
                    raise ValueError(f"linking.json: {name!r} -> {code!r} is not an ICD-10-CM (sub)category")
                self._curated[_norm(name)] = (code, rank)

    def find(self, key: str) -> _Hit | None:
        curated = self._curated.get(key)
        if curated is not None:
            return self._hit(*curated)
        candidates = self._entries.get(key)
        if not candidates:
            return None
        # one concept only if every candidate descends from the least specific one (E11 > E11.9)
        top = min(candidates, key=len)
        if any(not c.startswith(top) for c in candidates):
            return _BARRED
        return self._hit(top, candidates[top])

    def _hit(self, code: str, rank: int) -> _Hit:
        return _Hit((Code(self.vocabulary, code, self._display[code]),), _MATCH_NAMES[rank])


class _DrugIndex(_Index):
    """The package's variant -> canonical table (generic names, brands, synonyms), keyed by normalised name.

    A name links only when every canonical drug it names carries the same DrugBank id. Entries without one are
    MeSH classes ('Immunosuppressive Agents', 'Anticoagulants') or products DrugBank does not list alone
    ('Insulin'), so they end unlinked. ``mesh_id`` is never reported: it is the drug's pharmacological class
    (metformin and insulin both carry D007004, Hypoglycemic Agents), not the drug.
    """

    vocabulary = "DrugBank"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        from drug_named_entity_recognition import drugs_finder

        self._data: dict[str, dict[str, Any]] = drugs_finder.drug_canonical_to_data
        self._entries: dict[str, set[str]] = {}
        for variant, canonicals in drugs_finder.drug_variant_to_canonical.items():
            self._entries.setdefault(_norm(variant), set()).update(canonicals)
        self._curated: dict[str, tuple[str, str]] = {}
        drugs = config["drugbank"]
        for table in ("synonyms", "abbreviations"):
            for name, target in drugs[table].items():
                hit = self._lookup(_norm(target), "synonym")
                if hit is None or not hit.codes:
                    raise ValueError(f"linking.json: {name!r} -> {target!r} is not one DrugBank drug")
                self._curated[_norm(name)] = (_norm(target), table[:-1])

    def find(self, key: str) -> _Hit | None:
        curated = self._curated.get(key)
        if curated is not None:
            return self._lookup(*curated)
        return self._lookup(key, None)

    def _lookup(self, key: str, match: str | None) -> _Hit | None:
        canonicals = self._entries.get(key)
        if not canonicals:
            return None
        ids = {self._data.get(c, {}).get("drugbank_id") for c in canonicals}
        if len(ids) != 1 or None in ids:
            return _BARRED
        canonical = min(canonicals)
        name = str(self._data[canonical].get("name") or canonical)
        if match is None:
            match = "exact" if any(_norm(str(self._data[c].get("name") or c)) == key for c in canonicals) else "synonym"
        return _Hit((Code(self.vocabulary, str(ids.pop()), name),), match)


def _labunits_name_parts(name: str) -> tuple[str, list[str]]:
    """'Lipoprotein(a) (Lp(a))' -> ('Lipoprotein(a)', ['Lp(a)']): split off parentheticals that follow a space."""
    base: list[str] = []
    groups: list[str] = []
    depth = 0
    current: list[str] = []
    for i, ch in enumerate(name):
        if depth == 0 and ch == "(" and i > 0 and name[i - 1] == " ":
            depth = 1
            current = []
        elif depth > 0:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    groups.append("".join(current))
                    continue
            current.append(ch)
        else:
            base.append(ch)
    return "".join(base).strip(), groups


class _LoincIndex(_Index):
    """labunits' analytes by name, abbreviation ('ALT', 'HbA1c') and inverted name ('ionized calcium'), each
    code remembered with the specimens it is measured in."""

    vocabulary = "LOINC"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        from labunits.converters import analytes

        loinc = config["loinc"]
        nonessential = frozenset(_norm(q) for q in loinc["nonessential_qualifiers"])
        self._default = frozenset(loinc["default_specimens"])
        self._specimen_words = {_norm(k): frozenset(v) for k, v in loinc["specimen_words"].items()}
        self._specimen_phrases = _phrases(self._specimen_words)
        self._trailing = _phrases(loinc["strip_trailing"])
        self._preferred = {_norm(k): v for k, v in loinc["preferred"].items() if not k.startswith("_")}
        self._display: dict[str, str] = {}
        self._specimens: dict[str, frozenset[str]] = {}
        self._entries: dict[str, dict[str, int]] = {}

        for analyte in analytes():
            code = analyte.loinc_num
            self._display[code] = analyte.name
            self._specimens[code] = frozenset(analyte.specimen)
            base, groups = _labunits_name_parts(analyte.name)
            names = [base]
            if base.count(", ") == 1:
                head, tail = base.split(", ")
                names.append(f"{tail} {head}")
            for group in groups:
                if any(ch.isupper() for ch in group):
                    for abbreviation in group.split(","):
                        _add(self._entries, _norm(abbreviation), code, _ABBREVIATION)
                else:
                    names = [f"{n} {group}" for n in names] + (names if _norm(group) in nonessential else [])
            for n in names:
                _add(self._entries, _norm(n), code, _EXACT)

        self._curated: dict[str, tuple[str, str]] = {}
        for table in ("synonyms", "abbreviations"):
            for name, target in loinc[table].items():
                self._curated[_norm(name)] = (_norm(target), table[:-1])
        for name, (target, match) in self._curated.items():
            hit = self._lookup(target, None, match)
            if hit is None or not hit.codes:
                raise ValueError(f"linking.json: {name!r} -> {target!r} is not one LOINC test in labunits")

    def find(self, key: str) -> _Hit | None:
        specimens, key = self._split_specimen(key)
        curated = self._curated.get(key)
        if curated is not None:
            return self._lookup(curated[0], specimens, curated[1])
        return self._lookup(key, specimens, None)

    def _split_specimen(self, key: str) -> tuple[frozenset[str] | None, str]:
        specimens: frozenset[str] | None = None
        for p in self._specimen_phrases:
            if key.startswith(p + " "):
                specimens, key = self._specimen_words[p], key[len(p) + 1 :]
                break
            if key.endswith(" in " + p):
                specimens, key = self._specimen_words[p], key[: -len(p) - 4]
                break
        return specimens, _strip_trailing(key, self._trailing)

    def _lookup(self, key: str, specimens: frozenset[str] | None, match: str | None) -> _Hit | None:
        own, key = self._split_specimen(key)
        specimens = specimens or own or self._default
        candidates = self._entries.get(key)
        if not candidates:
            return None
        fitting = [c for c in candidates if self._specimens[c] & specimens]
        if len(fitting) != 1:
            preferred = self._preferred.get(key)
            if preferred not in fitting:
                return _BARRED
            fitting = [preferred]
        code = fitting[0]
        return _Hit((Code(self.vocabulary, code, self._display[code]),), match or _MATCH_NAMES[candidates[code]])
