"""Linking entity mentions to codes in free, offline vocabularies.

Conditions go to ICD-10-CM (``simple_icd_10_cm``), drugs to DrugBank ids (``drug_named_entity_recognition``)
and lab measurements to LOINC (``labunits``). Precision over recall: a mention links only when its normalised
text equals a vocabulary name, a vocabulary synonym, or an entry of the curated tables in
``resources/linking.json``, and that name points at one concept. Anything else -- a misspelling, a vague
phrase, a drug class, a name shared by unrelated codes -- ends as ``no_confident_link`` and keeps its text.
Nothing is fuzzy-matched.

Each vocabulary's index is built once, on first use (build them before forking workers: ``warm_up``), and
keeps only the names and codes it looks up; a lookup after that is a normalisation and a few dictionary reads;
results are cached per mention.
"""

from __future__ import annotations

import bz2
import importlib.util
import json
import pickle
import re
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

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
def link_whole_name(text: str, type_: str) -> Link:
    """Link ``text`` only as a whole name of the vocabulary: no leading phrase ("history of", "known")
    is dropped first. Used to find vocabulary names in running text, where such a phrase is not part
    of the mention."""
    vocabulary = VOCABULARIES.get(type_)
    if vocabulary is None:
        return _NOT_LINKABLE
    hit = _resolve(_index(vocabulary), text, whole=True)
    if hit is not None and hit.codes:
        return Link(LINKED, vocabulary, hit.codes, hit.match)
    return Link(NO_CONFIDENT_LINK, vocabulary, (), None)


def normalized(text: str, type_: str) -> str:
    """``text`` as the type's vocabulary normalises names (case, possessives, plurals for
    conditions); lower case for a type without a vocabulary."""
    vocabulary = VOCABULARIES.get(type_)
    return _index(vocabulary).norm(text) if vocabulary else text.lower()


@lru_cache(maxsize=1 << 16)
def in_vocabulary_words(word: str, type_: str) -> bool:
    """Whether every token of ``word`` (normalised) occurs in some name of the type's vocabulary: a
    phrase with a word that fails can never link as a whole name (``link_whole_name``), so a search
    through running text skips it without building and looking up the phrase."""
    vocabulary = VOCABULARIES.get(type_)
    if vocabulary is None:
        return False
    index = _index(vocabulary)
    known = index.tokens
    if known is None:
        return True
    tokens = index.norm(word).split()
    return bool(tokens) and all(t in known for t in tokens)


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


@lru_cache(maxsize=1)
def _american_spelling() -> tuple[re.Pattern[str], dict[str, str]]:
    """British spellings and their American forms (``words.json`` ``british_spellings``, read the other way)."""
    from .rules import british_spellings

    pairs = {british: american for american, british in british_spellings()}
    return re.compile("|".join(sorted(map(re.escape, pairs), key=len, reverse=True))), pairs


class _Normalizer:
    """Case-folds, maps Greek letters to names, drops possessives and punctuation, splits letters from digits,
    spells British words the American way ('oesophageal haemorrhage': esophageal hemorrhage) and (optionally)
    singularises simple plurals: 'Crohn's disease', 'Crohn disease' and 'crohns disease' agree."""

    def __init__(self, config: dict[str, Any], singularize: bool) -> None:
        self._char_map: tuple[tuple[str, str], ...] = tuple(config["char_map"].items())
        self._keep: tuple[str, ...] = tuple(config["plural_keep_endings"])
        self._min = int(config["plural_min_length"])
        self._singularize = singularize
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
        british, american = _american_spelling()
        if british.search(s):
            s = british.sub(lambda m: american[m.group()], s)
        tokens = _TOKEN.findall(s)
        if not self._singularize:
            return " ".join(tokens)
        singulars = self._singulars
        out = []
        for token in tokens:
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


@lru_cache(maxsize=2)
def _normalizer(singularize: bool) -> _Normalizer:
    return _Normalizer(_config()["normalization"], singularize)


def _norm(text: str) -> str:
    """The normalisation used for conditions and measurements (with plurals singularised)."""
    return _normalizer(True)(text)


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
    """A name found in an index: its one code, or no code for a name that must not be linked."""

    codes: tuple[Code, ...]
    match: str | None


_BARRED = _Hit((), None)


class _Index:
    vocabulary: str = ""

    def __init__(self, config: dict[str, Any]) -> None:
        self.norm = _normalizer(self.vocabulary in config["normalization"]["singularize"])
        self.leading = self.phrases(config["strip_leading"][self.vocabulary])
        self.never = frozenset(self.phrases(config["never_link"][self.vocabulary]))

    def phrases(self, words: Iterable[str]) -> tuple[str, ...]:
        """Normalised phrases, longest first so that 'a history of' is tried before 'a'."""
        normed = {self.norm(w) for w in words if not w.startswith("_")}
        return tuple(sorted((p for p in normed if p), key=lambda p: (-len(p), p)))

    def find(self, key: str, cased: bool) -> _Hit | None:
        """The hit for a normalised mention; ``cased`` says whether the mention had capitals (for abbreviations)."""
        raise NotImplementedError

    def keys(self) -> Iterable[str] | None:
        """Every normalised name ``find`` resolves by exact lookup, or None where ``find`` rewrites a
        key first (LOINC drops specimens)."""
        return None

    @cached_property
    def tokens(self) -> frozenset[str] | None:
        """The normalised tokens of every name (None where ``keys`` is): the normaliser works token by
        token, so a phrase ``find`` resolves has all its tokens here."""
        keys = self.keys()
        return None if keys is None else frozenset(t for key in keys for t in key.split())


def _resolve(index: _Index, text: str, whole: bool = False) -> _Hit | None:
    key = index.norm(text)
    if not key:
        return None
    cased = any(ch.isupper() for ch in text)
    for k in [key] if whole else _leading_variants(key, index.leading):
        if k in index.never:
            return _BARRED
        hit = index.find(k, cased)
        if hit is not None:
            return hit
    return None


@lru_cache(maxsize=4)
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


def _abbreviation_ok(rank: int, cased: bool) -> bool:
    """A vocabulary's own abbreviation ('ALL', 'IRIS') links only a mention written with capitals."""
    return rank != _ABBREVIATION or cased


# ICD-10-CM: '(...)' holds nonessential modifiers, '[...]' synonyms or explanations; one with a number in it
# ('Screaming (2-5 years of age)', a Glasgow coma score) is essential and stays.
_ICD_GROUP = re.compile(r"\s*[(\[][^)\]\d]*[)\]]")
_ICD_TRAILING_ABBR = re.compile(r"[(\[]\s*([A-Z][A-Za-z0-9-]*[A-Z0-9])\s*[)\]]\s*$")
_WORD = re.compile(r"[a-z0-9]+")


def _is_acronym_of(abbreviation: str, name: str) -> bool:
    """'CKD' abbreviates 'Chronic kidney disease', 'PSA' does not abbreviate 'Elevated prostate specific antigen':
    the first letters agree and every letter of the abbreviation appears, in order, in the name."""
    letters = [ch for ch in abbreviation.lower() if ch.isalnum()]
    words = _WORD.findall(name.lower())
    if not letters or not words or letters[0] != words[0][0]:
        return False
    text = "".join(words)
    pos = 0
    for ch in letters:
        pos = text.find(ch, pos) + 1
        if pos == 0:
            return False
    return True


class _IcdNode:
    """A chapter, section or code of the ICD-10-CM tabular list, with what ``simple_icd_10_cm`` reads of it."""

    __slots__ = ("tag", "name", "description", "includes", "inclusion_terms")

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.name = ""
        self.description = ""
        self.includes: list[str] = []
        self.inclusion_terms: list[str] = []


def _icd_codes() -> list[tuple[str, str, list[str]]]:
    """(code, description, includes + inclusion terms) of every ICD-10-CM category and subcategory (not the
    7th-character extensions), as ``simple_icd_10_cm``'s ``get_all_codes``, ``is_category_or_subcategory``,
    ``get_description``, ``get_includes`` and ``get_inclusion_term`` give them, in that order.

    Read straight from the tabular XML the package ships, one element at a time: importing the package
    builds a tree of the whole XML and keeps a node per code (notes, exclusions, every 7th-character
    extension) for the life of the process, about 150 MB that every batch worker would carry.
    ``tests/test_linking.py`` checks that both give the same list.
    """
    spec = importlib.util.find_spec("simple_icd_10_cm")
    found = [
        path
        for location in ((spec.submodule_search_locations or []) if spec is not None else [])
        for path in sorted((Path(location) / "data").glob("icd10c-tabular-*.xml"))
    ]
    if len(found) != 1:  # not the layout of 1.5.x: ask the package itself
        return _icd_codes_from_package()
    order: list[_IcdNode] = []  # pre-order, as get_all_codes lists them
    # the package maps a name to the first node of that name built, and builds a node after its children
    # (a section 'B99' holding the category 'B99' maps to the category)
    by_name: dict[str, _IcdNode] = {}
    open_nodes: list[_IcdNode | None] = []  # per open element: its node, None for any other element
    root_children = 0
    for event, element in ElementTree.iterparse(found[0], events=("start", "end")):
        if event == "start":
            if len(open_nodes) == 1:
                root_children += 1
            # the root's first two children (version, introduction) are dropped, every later one is a
            # chapter; sections and codes are read inside chapters and sections only
            if (len(open_nodes) == 1 and root_children > 2) or (
                len(open_nodes) > 1 and element.tag in ("section", "diag") and open_nodes[-1] is not None
            ):
                node = _IcdNode(element.tag)
                order.append(node)
                open_nodes.append(node)
            else:
                open_nodes.append(None)
            continue
        done = open_nodes.pop()
        if done is None:
            continue
        done.name = element.attrib.get("id", "")
        for child in element:
            if child.tag == "name" and child.text is not None:
                done.name = child.text
            elif child.tag == "desc" and child.text is not None:
                done.description = child.text
            elif child.tag == "includes":
                done.includes += [note.text for note in child if note.text is not None]
            elif child.tag == "inclusionTerm":
                done.inclusion_terms += [note.text for note in child if note.text is not None]
        by_name.setdefault(done.name, done)
        element.clear()  # its codes are read: keep memory flat

    def lookup(code: str) -> _IcdNode | None:  # the package's _add_dot_to_code
        if len(code) >= 4 and code[3] != "." and f"{code[:3]}.{code[3:]}" in by_name:
            code = f"{code[:3]}.{code[3:]}"
        return by_name.get(code)

    out = []
    for node in order:
        known = lookup(node.name)
        if known is not None and known.tag not in ("chapter", "section"):
            out.append((node.name, known.description, known.includes + known.inclusion_terms))
    return out


def _icd_codes_from_package() -> list[tuple[str, str, list[str]]]:
    """``_icd_codes`` through the package's own functions (its whole tree stays loaded)."""
    with warnings.catch_warnings():  # 1.5.0 reads its data through the deprecated importlib.resources API
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm.simple_icd_10_cm as cm

    return [
        (code, cm.get_description(code), cm.get_includes(code) + cm.get_inclusion_term(code))
        for code in cm.get_all_codes()
        if cm.is_category_or_subcategory(code) and not cm.is_extended_subcategory(code)
    ]


class _IcdIndex(_Index):
    """Descriptions and includes/inclusion terms of ICD-10-CM categories and subcategories (the 7th-character
    extensions are left out: they add encounter and healing stages that a criterion never names)."""

    vocabulary = "ICD-10-CM"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        icd = config["icd10cm"]
        skip_first = frozenset(self.phrases(icd["skip_first_words"]))
        trailing = self.phrases(icd["strip_trailing"])
        leading = self.phrases(icd["strip_leading"])
        norm = self.norm
        self._display: dict[str, str] = {}
        self._entries: dict[str, dict[str, int]] = {}

        def add_name(name: str, code: str, rank: int) -> None:
            full = norm(name)
            bare = _ICD_GROUP.sub(" ", name) if ("(" in name or "[" in name) else name
            for variant in {full, norm(bare)}:
                if not variant or variant.split(" ", 1)[0] in skip_first:
                    continue
                _add(self._entries, variant, code, rank)
                short = _strip_leading(_strip_trailing(variant, trailing), leading)
                if short != variant and short.split(" ", 1)[0] not in skip_first:
                    _add(self._entries, short, code, rank)
            m = _ICD_TRAILING_ABBR.search(name)
            if m and sum(ch.isupper() for ch in m.group(1)) >= 2 and _is_acronym_of(m.group(1), bare):
                _add(self._entries, norm(m.group(1)), code, _ABBREVIATION)

        for code, description, terms in _icd_codes():
            self._display[code] = description
            add_name(description, code, _EXACT)
            for term in terms:
                add_name(term, code, _SYNONYM)

        self._curated: dict[str, tuple[str, int]] = {}
        for table, rank in (("synonyms", _SYNONYM), ("abbreviations", _ABBREVIATION)):
            for name, code in icd[table].items():
                if code not in self._display:
                    raise ValueError(f"linking.json: {name!r} -> {code!r} is not an ICD-10-CM (sub)category")
                self._curated[norm(name)] = (code, rank)

    def find(self, key: str, cased: bool) -> _Hit | None:
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
        if not _abbreviation_ok(candidates[top], cased):
            return None  # 'all' is a word, not 'ALL'
        return self._hit(top, candidates[top])

    def keys(self) -> Iterable[str]:
        return [*self._curated, *self._entries]

    def _hit(self, code: str, rank: int) -> _Hit:
        return _Hit((Code(self.vocabulary, code, self._display[code]),), _MATCH_NAMES[rank])


def _drug_tables() -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
    """The package's variant -> canonical names and canonical name -> data tables.

    Read straight from the dictionary file the package ships, where 2.0.x puts it: importing
    ``drugs_finder`` loads the same file but also builds a 3-gram fuzzy index we never use and reads a pickle
    cache from the user's home directory (about twice the time and memory).
    """
    spec = importlib.util.find_spec("drug_named_entity_recognition")
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(location) / "drug_ner_dictionary.pkl.bz2"
        if path.is_file():
            with bz2.open(path, "rb") as fh:
                data = pickle.load(fh)
            return data["drug_variant_to_canonical"], data["drug_canonical_to_data"]
    from drug_named_entity_recognition import drugs_finder

    return drugs_finder.drug_variant_to_canonical, drugs_finder.drug_canonical_to_data


class _DrugIndex(_Index):
    """The package's variant -> canonical table (generic names, brands, synonyms), keyed by normalised name.

    A name links only when every canonical drug it names carries the same DrugBank id. Entries without one are
    MeSH classes ('Immunosuppressive Agents', 'Anticoagulants') or products DrugBank does not list alone
    ('Insulin'), so they end unlinked. ``mesh_id`` is never reported: it is the drug's pharmacological class
    (metformin and insulin both carry D007004, Hypoglycemic Agents), not the drug. Plurals are not
    singularised: a plural drug mention names a class ('nitrates', 'statins').
    """

    vocabulary = "DrugBank"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        variants, data = _drug_tables()
        norm = self.norm
        entries: dict[str, set[str]] = {}
        for variant, canonicals in variants.items():
            # truncated inverted names ('alcohol,' for benzyl alcohol) would otherwise read as a plain word
            if variant[:1] in ",-'" or variant[-1:] in ",-":
                continue
            entries.setdefault(norm(variant), set()).update(canonicals)
        # Only the DrugBank id and the display name of a drug are read (the tables also hold SMILES,
        # formulas, masses), and a tuple is a fifth of a set's size: the index stays about 40 MB smaller.
        self._entries: dict[str, tuple[str, ...]] = {key: tuple(sorted(c)) for key, c in entries.items()}
        del variants, entries
        self._data: dict[str, tuple[str | None, str]] = {
            canonical: (d.get("drugbank_id"), str(d.get("name") or canonical)) for canonical, d in data.items()
        }
        del data
        self._curated: dict[str, tuple[str, str]] = {}
        drugs = config["drugbank"]
        for table in ("synonyms", "abbreviations"):
            for name, target in drugs[table].items():
                hit = self._lookup(norm(target), "synonym")
                if hit is None or not hit.codes:
                    raise ValueError(f"linking.json: {name!r} -> {target!r} is not one DrugBank drug")
                self._curated[norm(name)] = (norm(target), table[:-1])

    def find(self, key: str, cased: bool) -> _Hit | None:
        curated = self._curated.get(key)
        if curated is not None:
            return self._lookup(*curated)
        return self._lookup(key, None)

    def keys(self) -> Iterable[str]:
        return [*self._curated, *self._entries]

    def _lookup(self, key: str, match: str | None) -> _Hit | None:
        canonicals = self._entries.get(key)
        if not canonicals:
            return None
        ids = {self._data.get(c, (None, ""))[0] for c in canonicals}
        if len(ids) != 1 or None in ids:
            return _BARRED
        name = self._data[canonicals[0]][1]  # the first in sorted order
        if match is None:
            names = (self.norm(self._data[c][1]) for c in canonicals)
            match = "exact" if key in names else "synonym"
        return _Hit((Code(self.vocabulary, str(ids.pop()), name),), match)


def _labunits_name_parts(name: str) -> tuple[str, list[str]]:
    """'Lipoprotein(a) (Lp(a))' -> ('Lipoprotein(a)', ['Lp(a)']): split off parentheticals that follow a space."""
    base: list[str] = []
    groups: list[str] = []
    current: list[str] = []
    depth = 0
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
        norm = self.norm
        nonessential = frozenset(self.phrases(loinc["nonessential_qualifiers"]))
        self._default = frozenset(loinc["default_specimens"])
        self._specimen_words = {norm(k): frozenset(v) for k, v in loinc["specimen_words"].items()}
        self._specimen_phrases = self.phrases(self._specimen_words)
        self._trailing = self.phrases(loinc["strip_trailing"])
        self._preferred = {norm(k): v for k, v in loinc["preferred"].items() if not k.startswith("_")}
        self._display: dict[str, str] = {}
        self._specimens: dict[str, frozenset[str]] = {}
        self._entries: dict[str, dict[str, int]] = {}

        for analyte in analytes():
            code = analyte.loinc_num
            self._display[code] = analyte.name
            self._specimens[code] = frozenset(analyte.specimen)
            base, groups = _labunits_name_parts(analyte.name)
            names = [base]
            if base.count(", ") == 1:  # 'Calcium, ionized' is also 'ionized calcium'
                head, tail = base.split(", ")
                names.append(f"{tail} {head}")
            for group in groups:
                if any(ch.isupper() for ch in group):  # '(ALT, SGPT)', '(HbA1c)': abbreviations
                    for abbreviation in group.split(","):
                        _add(self._entries, norm(abbreviation), code, _ABBREVIATION)
                else:  # '(supine)', '(cardiac)': part of the name unless listed as nonessential
                    names = [f"{n} {group}" for n in names] + (names if norm(group) in nonessential else [])
            for n in names:
                _add(self._entries, norm(n), code, _EXACT)

        self._curated: dict[str, tuple[str, str]] = {}
        for table in ("synonyms", "abbreviations"):
            for name, target in loinc[table].items():
                self._curated[norm(name)] = (norm(target), table[:-1])
        for name, (target, match) in self._curated.items():
            hit = self._lookup(target, None, match, True)
            if hit is None or not hit.codes:
                raise ValueError(f"linking.json: {name!r} -> {target!r} is not one LOINC test in labunits")

    def find(self, key: str, cased: bool) -> _Hit | None:
        specimens, key = self._split_specimen(key)
        curated = self._curated.get(key)
        if curated is not None:
            return self._lookup(curated[0], specimens, curated[1], True)
        return self._lookup(key, specimens, None, cased)

    def _split_specimen(self, key: str) -> tuple[frozenset[str] | None, str]:
        """'serum creatinine level' -> (blood specimens, 'creatinine'); 'creatinine in urine' -> (urine, ...)."""
        specimens: frozenset[str] | None = None
        for p in self._specimen_phrases:
            if key.startswith(p + " "):
                specimens, key = self._specimen_words[p], key[len(p) + 1 :]
                break
            if key.endswith(" in " + p):
                specimens, key = self._specimen_words[p], key[: -len(p) - 4]
                break
        return specimens, _strip_trailing(key, self._trailing)

    def _lookup(self, key: str, specimens: frozenset[str] | None, match: str | None, cased: bool) -> _Hit | None:
        own, key = self._split_specimen(key)
        specimens = specimens or own or self._default
        candidates = self._entries.get(key)
        if not candidates:
            return None
        fitting = [c for c in candidates if self._specimens[c] & specimens]
        if len(fitting) != 1:
            preferred = self._preferred.get(key)
            if preferred is None or preferred not in fitting:
                return _BARRED  # none measured in that specimen, or several
            fitting = [preferred]
        code = fitting[0]
        rank = candidates[code]
        if match is None and not _abbreviation_ok(rank, cased):
            return None
        return _Hit((Code(self.vocabulary, code, self._display[code]),), match or _MATCH_NAMES[rank])


def link_record(record: dict[str, Any]) -> dict[str, Any]:
    """Add ``link`` (status, vocabulary, match) to every linkable entity of a record, and ``codes`` to
    those linked; returns the record. A mention with no confident link keeps its text and says so."""
    for criterion in record.get("criteria", []):
        for entity in criterion.get("entities", []):
            if entity.get("type") not in VOCABULARIES:
                continue
            found = link(entity["text"], entity["type"], entity.get("normalized"))
            entity["link"] = {"status": found.status, "vocabulary": found.vocabulary, "match": found.match}
            if found.codes:
                entity["codes"] = [code.to_dict() for code in found.codes]
        _generic_drug_names(criterion)
        _drop_restated_drugs(criterion)
    return record


_COMBINATION = re.compile(r",|\band\b|/|\+")


def _generic_drug_names(criterion: dict[str, Any]) -> None:
    """A drug named by a brand or another synonym of one DrugBank drug ("Accutane", "5-FU") takes
    that drug's name ("isotretinoin", "fluorouracil") in its drug record; the mention keeps its text."""
    entities = {e["id"]: e for e in criterion.get("entities", [])}
    for drug in criterion.get("drugs", []):
        entity = entities.get(drug.get("entity") or "")
        if entity is None or drug.get("is_class") or (entity.get("link") or {}).get("match") not in _RENAMING:
            continue
        codes = [c for c in entity.get("codes", []) if c.get("system") == "DrugBank"]
        display = str(codes[0].get("display") or "") if len(codes) == 1 else ""
        # (never a combination's name for one drug: the vocabulary files norethindrone's synonym
        # under "Elagolix, Estradiol, and Norethindrone")
        if display and not _COMBINATION.search(display):
            drug["name"] = display.lower()


def _drop_restated_drugs(criterion: dict[str, Any]) -> None:
    """ "Isotretinoin (Accutane®)", "Escitalopram (Lexapro, Cipralex)": a drug in brackets that restates
    the drug before it under another name (one generic name once linked) is no second drug record;
    both mentions stay."""
    base = criterion["span"][0]
    text = criterion.get("text", "")
    kept: list[dict[str, Any]] = []
    for drug in criterion.get("drugs", []):
        before = kept[-1] if kept else None
        if (
            before is not None
            and before["name"] == drug["name"]
            and not drug.get("dose")
            and _RESTATED_IN_BRACKETS.fullmatch(text, before["span"][1] - base, drug["span"][0] - base)
        ):
            continue
        kept.append(drug)
    if len(kept) < len(criterion.get("drugs", [])):
        criterion["drugs"] = kept


# (past its other names there: "Escitalopram (Lexapro, Cipralex)")
_RESTATED_IN_BRACKETS = re.compile(r"\s*[(\[]\s*(?:[^()\[\];,]{1,30},\s*){0,3}")
# the link matches that name a drug otherwise than its DrugBank name
_RENAMING = frozenset({"synonym", "abbreviation"})


def warm_up() -> None:
    """Build every vocabulary index now (before forking workers, so that they share the pages)."""
    for vocabulary in VOCABULARIES.values():
        _index(vocabulary)
