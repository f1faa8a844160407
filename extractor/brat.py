"""BRAT standoff: read text-bound annotations, write the toolkit's entities as ``.ann`` files.

Offsets count characters of the text as read with ``newline=""`` (a CRLF line end is two characters),
which is how BRAT, INCEpTION and the Chia corpus count them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .errors import AnnotationError
from .rules import brat_unmarked_mentions, drug_therapy, guide_types, word_list

#: the rule of a Person mention that names every participant ("Patients", "subjects"): a Person in the
#: record, as the annotation guide reads it, but no Chia annotation (Chia train leaves all 1,349
#: "patient(s)" unmarked), so the BRAT writer leaves it out
PARTICIPANT_WORD = "participant-word"
#: the rule of a word the annotation guide's readers mark alone and Chia does not ("willing", "known":
#: ``words.json`` ``guide_observation_words``, ``guide_qualifier_words``; the anchor inside "at
#: screening"): in the record, not in BRAT
GUIDE_WORD = "guide-word"
#: the rule of a Person mention that names a participant's partner ("partner", "sexual partners": golds
#: 50 of 56 a Person; Chia train marks 3 of 48 so) or another person around a participant ("parent or
#: legal guardian", ``words.json`` ``relative_words``): in the record, not in BRAT
PARTNER_WORD = "partner-word"
_FIRST_WORD = re.compile(r"(\S+)\s+(?=\S)")
#: the suffix of the rule of a Condition that holds the qualifier before it ("active infection", as the
#: golds read it); Chia marks the two apart, and the BRAT writer writes them so
QUALIFIED = "+qualifier"
#: the suffix of the rule of a Person that holds the word for every participant after it ("Male
#: patients", as the golds read it); Chia marks the first word alone, and the BRAT writer writes that
WITH_PARTICIPANTS = "+participants"
#: the rule of an organ listed before a disease ("renal" of "cardiac, renal, or hepatic disease"): the
#: record's mention is the organ word, as the golds read it; Chia marks it discontinuous, the organ and
#: the disease word ("renal ... disease"), and the BRAT writer writes that
ORGAN_MEMBER = "organ-coordination"
#: the suffix of the rule of the whole of an elliptic coordination that shares its head ("alcohol or drug
#: abuse"): the record's mention is its first conjunct ("alcohol", named "alcohol abuse"), as the golds
#: read it; Chia marks the whole, from the first conjunct to the shared head, which the writer writes
FIRST_CONJUNCT = "+first-conjunct"
#: the rule of a method of contraception named with its qualifiers ("highly effective method of
#: contraception"): one Procedure in the record, as the golds read it (hypothetical micro-F1 over 685
#: golds 0.418 -> 0.451); Chia marks such phrases every which way (62% of 151 train and dev mentions
#: inside a Pregnancy_considerations or Post-eligibility span, with nothing inside; the rest split
#: into a Qualifier and a Procedure, Observation or Device), and written to BRAT they lower the train
#: split's main-type micro-F1 (0.7308 / 0.8093 -> 0.7297 / 0.8085), so the BRAT writer leaves them out
CONTRACEPTION_METHOD = "contraception-method"
#: the rule of a compliance phrase ("comply with study requirements", "compliance with the protocol"): one
#: Observation in the record, as the golds read it (62 phrases from the word, 21 the word alone, 60 inside
#: a longer Observation: "ability to comply with ..."); Chia marks 4 of 90 train ones, so the BRAT writer
#: leaves them out
COMPLIANCE_PHRASE = "compliance-phrase"
#: the suffix of the rule of a Drug that holds the word for its giving after it ("corticosteroid therapy",
#: as the golds read it); Chia marks the drug alone, and the BRAT writer writes that
WITH_THERAPY_WORD = "+therapy-word"
#: the suffix of the rule of a Condition named with its status after a hyphen ("HIV-positive", one
#: Condition as the golds read it); Chia marks the Condition and the status apart, and the BRAT writer
#: writes them so
HYPHEN_STATUS = "+hyphen-status"
#: the suffix of the rule of a Value that holds the word "grade" before its number ("grade 3 or greater",
#: as the golds read it); Chia marks the number and its comparator alone, and the BRAT writer writes that
WITH_GRADE = "+grade"


@dataclass(frozen=True)
class BratEntity:
    """One text-bound annotation (``T`` line). A discontinuous one keeps its fragments; ``start``/``end``
    are its extent."""

    id: str
    type: str
    fragments: tuple[tuple[int, int], ...]
    text: str

    @property
    def start(self) -> int:
        return self.fragments[0][0]

    @property
    def end(self) -> int:
        return self.fragments[-1][1]


def read_text(path: str | Path) -> str:
    """The text exactly as BRAT counts it: UTF-8, line ends untranslated."""
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


def parse_ann(content: str, source: str = "<ann>") -> Iterator[BratEntity]:
    """The ``T`` lines of an ``.ann`` file; relations, events, notes and OR groups are skipped."""
    for number, line in enumerate(content.splitlines(), 1):
        if not line.startswith("T"):
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise AnnotationError(f"{source}:{number}: a T line needs an id, a type with offsets and a text")
        head = parts[1].split(" ", 1)
        try:
            fragments = tuple((int(a), int(b)) for a, b in (piece.split() for piece in head[1].split(";")))
        except (IndexError, ValueError) as exc:
            raise AnnotationError(f"{source}:{number}: offsets {parts[1]!r} are not 'start end[;start end]'") from exc
        if any(a > b for a, b in fragments) or not fragments:
            raise AnnotationError(f"{source}:{number}: offsets {parts[1]!r} run backwards")
        yield BratEntity(parts[0], head[0], fragments, parts[2] if len(parts) > 2 else "")


def read_ann(path: str | Path) -> list[BratEntity]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(parse_ann(fh.read(), str(path)))


def format_ann(
    text: str,
    entities: Iterable[tuple[int, int, str]],
    gaps: dict[tuple[int, int, str], tuple[int, int]] | None = None,
) -> str:
    """``.ann`` content for ``(start, end, type)`` spans of ``text``; ids follow text order.

    A span's text may not hold a line break in BRAT's format: such a span is written as fragments
    split at the line breaks, each fragment trimmed. A span in ``gaps`` leaves out the stretch given
    there (a discontinuous annotation: "renal ... disease" of "renal, hepatic or pulmonary disease").
    """
    lines = []
    ordered = sorted(set(entities), key=lambda e: (e[0], -e[1], e[2]))
    for number, (start, end, type_) in enumerate(ordered, 1):
        gap = (gaps or {}).get((start, end, type_))
        if gap is None:
            fragments = _fragments(text, start, end)
        else:
            fragments = _fragments(text, start, gap[0]) + _fragments(text, gap[1], end)
        if not fragments:
            continue
        offsets = ";".join(f"{a} {b}" for a, b in fragments)
        shown = " ".join(text[a:b] for a, b in fragments)
        lines.append(f"T{number}\t{type_} {offsets}\t{shown}")
    return "".join(line + "\n" for line in lines)


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """A span's extent without surrounding whitespace (16 Chia spans end in a stray '\\r')."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    pos = start
    for piece in text[start:end].splitlines(keepends=True):
        a, b = trimmed(text, pos, pos + len(piece))
        pos += len(piece)
        if a < b:
            out.append((a, b))
    return out


def record_spans(
    record: dict[str, Any], types: Iterable[str] | None = None, text: str | None = None
) -> list[tuple[int, int, str]]:
    """The ``(start, end, type)`` of every entity of an extraction record (offsets into its source)
    that Chia would mark (never a word for every participant, rule ``PARTICIPANT_WORD``). Given the
    source ``text``, also the first conjunct of an elliptic coordination no mention holds ("topical
    ... steroids" of "topical or inhaled steroids", :func:`elliptic_gaps`) and a treatment before
    "with" (:func:`treatments_before_with`)."""
    spans = _record_spans(record, types)
    if text is None:
        return spans
    extra = treatments_before_with(text, spans) if types is None or "Procedure" in set(types) else []
    return sorted(set(spans) | set(elliptic_gaps(text, spans)) | set(extra))


def treatments_before_with(text: str, spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A Procedure for each "treatment" or "therapy" right before "with" that no Procedure holds
    ("Prior treatment with PD-1 inhibitors"): the record leaves the word out, as the golds do (124 of 132
    unmarked); Chia marks it (61 of 179 train and dev mentions exact, as many as it leaves: the writer
    keeps the Chia scores the entity model's reading had, dev main-type micro-F1 0.6877 / 0.7870 against
    0.6876 / 0.7869, where leaving it out gave 0.6859 / 0.7854)."""
    procedures = [(s, e) for s, e, t in spans if t == "Procedure"]
    return [
        (m.start(), m.end(), "Procedure")
        for m in _treatment_before_with().finditer(text)
        if not any(s < m.end() and m.start() < e for s, e in procedures)
    ]


@cache
def _treatment_before_with() -> re.Pattern[str]:
    words = "|".join(re.escape(w) for w in sorted(word_list("treatment_with_words"), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{words})(?=\s+with\s)", re.IGNORECASE)


def _record_spans(record: dict[str, Any], types: Iterable[str] | None = None) -> list[tuple[int, int, str]]:
    wanted = set(types) if types is not None else None
    out = set()
    for criterion in record.get("criteria", []):
        for e in criterion.get("entities", []):
            if (e.get("provenance") or {}).get("rule") in (
                PARTICIPANT_WORD,
                GUIDE_WORD,
                PARTNER_WORD,
                CONTRACEPTION_METHOD,
                COMPLIANCE_PHRASE,
            ):
                continue
            type_ = e["type"]
            if (type_, " ".join(e["text"].lower().split())) in brat_unmarked_mentions():
                continue  # a mention the golds mark and Chia almost never does ("therapy" alone)
            rule = str((e.get("provenance") or {}).get("rule", ""))
            if type_ == "Drug" and not rule.endswith(WITH_THERAPY_WORD) and drug_therapy(e["text"]) is not None:
                type_ = "Procedure"  # Chia types a treatment by a class of drugs ("chemotherapy") so
            else:
                # a phrase the guide types otherwise ("pregnant": Pregnancy_considerations; Chia marks
                # the word a Condition and that type over the whole criterion)
                guide = guide_types().get(" ".join(e["text"].lower().split()))
                if guide is not None and guide.type == type_:
                    type_ = guide.chia_type
            start, end = e["span"]
            if rule == ORGAN_MEMBER:
                head = _organ_member_head(criterion["entities"], e)
                if head is not None:
                    end = head[1]
            elif rule.endswith(FIRST_CONJUNCT):
                end = _coordination_end(criterion, e)
            elif rule.endswith(WITH_THERAPY_WORD):
                end = start + len(e["text"].rstrip().rsplit(maxsplit=1)[0].rstrip())
            elif rule.endswith(HYPHEN_STATUS) and "-" in e["text"]:
                hyphen = start + e["text"].rindex("-")
                if wanted is None or "Value" in wanted:
                    out.add((hyphen + 1, end, "Value"))
                end = hyphen
            first = _FIRST_WORD.match(e["text"])  # ("Male" of "Male patients", "active" of "active infection")
            if first is not None and rule.endswith(WITH_PARTICIPANTS):
                end = start + len(first.group(1))
            elif first is not None and rule.endswith(WITH_GRADE):
                start += first.end()
            elif first is not None and rule.endswith(QUALIFIED):
                # one Qualifier per word the Condition took in ("active | serious | infection")
                at = 0
                for _ in range(rule.count(QUALIFIED)):
                    word = _FIRST_WORD.match(e["text"], at)
                    if word is None:
                        break
                    if wanted is None or "Qualifier" in wanted:
                        out.add((start + word.start(1), start + word.end(1), "Qualifier"))
                    at = word.end()
                start += at
            if wanted is None or type_ in wanted:
                out.add((start, end, type_))
    return sorted(out)


#: the types whose first conjunct of an elliptic coordination the BRAT writer adds (measured on Chia
#: train, main-type micro-F1 strict / relaxed: Condition and Procedure +0.0005 / +0.0020 together;
#: Drug, Observation and Measurement none or less)
ELLIPTIC_TYPES = frozenset({"Condition", "Procedure"})
# one word and a conjunction right before a mention: "topical or ", "pelvic/", "radiologic, or "
_FIRST_CONJUNCT = re.compile(r"(?<![\w-])([A-Za-z][\w-]*)(?:[ \t]*,)?(?:[ \t]+(?:or|and)[ \t]+|[ \t]*/[ \t]*)$", re.I)
_NO_CONJUNCT = frozenset({"or", "and", "of", "with", "the", "any", "other", "no", "for", "to", "in", "prior"})


def elliptic_gaps(text: str, spans: Iterable[tuple[int, int, str]]) -> dict[tuple[int, int, str], tuple[int, int]]:
    """The first conjuncts of elliptic coordinations, as Chia marks them, with what each leaves out:
    where a mention of ``ELLIPTIC_TYPES`` of two words or more ("inhaled steroids") follows one word
    and "or", "and" or "/" that no span of ``spans`` holds ("topical or "), the word and the
    mention's words after its first ("topical ... steroids"), keyed by their extent."""
    taken = sorted(spans)
    out: dict[tuple[int, int, str], tuple[int, int]] = {}
    for start, end, type_ in taken:
        second = text.find(" ", start, end)
        if type_ not in ELLIPTIC_TYPES or second < 0:
            continue
        m = _FIRST_CONJUNCT.search(text, max(0, start - 40), start)
        if m is None or m.group(1).lower() in _NO_CONJUNCT:
            continue
        if any(a < m.end(1) and m.start(1) < b for a, b, _ in taken):
            continue  # the first conjunct is a mention of its own ("Diabetes or heart disease")
        out[(m.start(1), end, type_)] = (m.end(1), second + 1)
    return out


def record_gaps(record: dict[str, Any], text: str | None = None) -> dict[tuple[int, int, str], tuple[int, int]]:
    """What each discontinuous span of :func:`record_spans` leaves out, by span: the words between an
    organ listed before a disease and the disease word ("renal ... disease"), and, given the source
    ``text``, those of an elliptic coordination's first conjunct (:func:`elliptic_gaps`)."""
    return record_annotations(record, text)[1]


def record_annotations(
    record: dict[str, Any], text: str | None = None
) -> tuple[list[tuple[int, int, str]], dict[tuple[int, int, str], tuple[int, int]]]:
    """:func:`record_spans` and :func:`record_gaps` of one record at once (the record walked once), as
    ``extract --format brat`` writes them."""
    spans = _record_spans(record)
    elliptic = elliptic_gaps(text, spans) if text is not None else {}
    gaps = dict(elliptic)
    for criterion in record.get("criteria", []):
        for e in criterion.get("entities", []):
            if (e.get("provenance") or {}).get("rule") != ORGAN_MEMBER:
                continue
            head = _organ_member_head(criterion["entities"], e)
            if head is not None:
                gaps[(e["span"][0], head[1], e["type"])] = (e["span"][1], head[0])
    treatments = treatments_before_with(text, spans) if text is not None else []
    return sorted(set(spans) | set(elliptic) | set(treatments)), gaps


# a conjunction right after a first conjunct ("alcohol or ", "kidney, ", "ACE/"), whatever follows it
_CONJOINED = re.compile(r"\s*(?:,|/|\band\s*/\s*or\b|\bor\b|\band\b)", re.IGNORECASE)


def _coordination_end(criterion: dict[str, Any], first: dict[str, Any]) -> int:
    """The end of the elliptic coordination whose first conjunct the record's mention ``first`` is: the
    end of the member mention (rule ``coordinated-member``) of its type that the first conjunct joins."""
    base = criterion["span"][0]
    text = criterion["text"]
    end = first["span"][1]
    if not _CONJOINED.match(text, end - base):
        return int(end)
    members = [
        e
        for e in criterion.get("entities", [])
        if e["type"] == first["type"]
        and (e.get("provenance") or {}).get("rule") == "coordinated-member"
        and e["span"][0] >= end
    ]
    return int(min(members, key=lambda e: e["span"][0])["span"][1]) if members else int(end)


def _organ_member_head(entities: list[dict[str, Any]], member: dict[str, Any]) -> tuple[int, int] | None:
    """The (start, end) of the disease word a listed organ shares ("disease" of "pulmonary disease" for
    "renal" of "renal, hepatic or pulmonary disease"): the last word of the first mention of its type
    after it that ends in the word its normalised name ends in; None where there is none."""
    word = (member.get("normalized") or "").split()[-1:]
    if not word:
        return None
    first = min(
        (
            e
            for e in entities
            if e["type"] == member["type"]
            and e["span"][0] >= member["span"][1]
            and (e.get("provenance") or {}).get("rule") != ORGAN_MEMBER
            # (the first conjunct of an elliptic coordination is read to its shared head, after it)
            and not str((e.get("provenance") or {}).get("rule", "")).endswith(FIRST_CONJUNCT)
        ),
        key=lambda e: e["span"][0],
        default=None,
    )
    last = first["text"].split()[-1:] if first is not None else []
    if first is None or not last or last[0].lower() != word[0].lower():
        return None
    return first["span"][1] - len(last[0]), first["span"][1]


def write_pair(
    out_dir: Path,
    source: Path,
    text: str,
    spans: Iterable[tuple[int, int, str]],
    gaps: dict[tuple[int, int, str], tuple[int, int]] | None = None,
) -> Path:
    """Write ``out_dir/X.ann`` for the input ``X.txt`` (and the text beside it, for BRAT to open, unless
    the input already lives there); ``gaps`` as :func:`format_ann` takes them. Returns the ``.ann``
    path."""
    ann = out_dir / (source.stem + ".ann")
    ann.write_text(format_ann(text, spans, gaps), encoding="utf-8", newline="")
    txt = out_dir / (source.stem + ".txt")
    if txt.resolve() != source.resolve():
        with open(txt, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    return ann
