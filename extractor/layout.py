"""Cut a source into trial content, Inclusion/Exclusion sections and criteria (with sub-items).

Pure functions over the text, before any NLP: criteria are lines and bullets, so a line- and
bullet-aware splitter is both faster and more faithful than a sentence splitter (PyRuSH merges bullet
lists and lets negation spill across criteria).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .errors import NoCriteriaError
from .rules import load_json, word_list
from .sub_items import CLOSING_WORD

Span = tuple[int, int]

# (a stray mark or a second bullet after the marker is the marker's: "1. . Allergies", "* • Subject";
# an outline number, "1.1 Patients with ..." or "2.1 <84 days from mastectomy", before a capital, a
# comparator or a bracket: a hard-wrapped line that starts with a decimal, "1.5 times ULN", is none)
_BULLET = re.compile(
    # ("* 1)Age 20-60": a number written after a list's symbol is the item's own marker; "* .Sign the
    # consent", ". DM 1-2": a stray full stop is a marker too)
    # (not where more numbered items follow on the line: "* 1)lower ..., 2) infectious ...")
    r"^(?:[-*•·▪◦‣●○■□►–—][ \t]*(?=\d{1,2}[.)](?![\d.])[ \t]*[A-Za-z](?![^\n]*[\s,;.]\d{1,2}\)[ \t]*[A-Za-z])))?"
    r"(?:[-*•·▪◦‣●○■□►–—]|[①-⑳](?=\s)|[1-9]\d?\.[1-9]\d?(?:\.[1-9]\d?)?\.?(?=[ \t]+[A-Z<>≤≥(])|\d{1,2}[.)](?![\d.])|\(\d{1,2}\)|[a-zA-Z][.)](?=\s)|(?:i|ii|iii|iv|v|vi|vii|viii|ix|x)[.)](?=\s)|\.(?=[ \t]+[A-Z]))\s*(?:[.:•·▪◦‣●○■□►](?:[ \t]+(?=\S)|(?=[A-Z])))?"
)
_OUTLINE_NUMBER = re.compile(r"[1-9]\d?\.[1-9]\d?(?:\.[1-9]\d?)?\.?[ \t]")
_SUB_STYLES = (
    re.compile(r"(?<![\w(])(\d{1,2})\)"),  # 1) 2)
    re.compile(r"[(（](\d{1,2})[)）]"),  # (1) (2), and in full-width brackets: （1） （2）
    re.compile(r"(?<![\w(])([a-h])\)"),  # a) b)
    re.compile(r"\(([a-h])\)"),  # (a) (b)
    re.compile(r"(?<=[\s:;])([a-h])\.[ \t]+(?=[A-Z])"),  # a. Willing ...; b. Received ...
    # "the following medical history A. Gentamicin hypersensitivity B. Solid cancer ... C. ..."
    re.compile(r"(?<=[\s:;])([A-H])\.[ \t]+(?=[A-Z])"),
    # "criteria:1.Age between 21-65 years; 2.IIEF-5 score ≤ 21; ...": numbers inside one bullet
    re.compile(r"(?<=[\s:;])(\d{1,2})\.[ \t]*(?=[A-Z])"),
)
_HEADING = re.compile(r"(?P<h>[A-Za-z][\w /,&'()\-]{1,60}?)\s*[:：]\s+(?=\S)")


@dataclass
class Line:
    start: int
    end: int
    text: str


@dataclass
class Section:
    side: str
    header: Span | None
    start: int
    end: int
    lines: list[Line] = field(default_factory=list)


@dataclass
class CriterionSpan:
    """A criterion (or sub-item) found by segmentation, before any NLP."""

    id: str
    side: str
    start: int
    end: int
    parent: str | None
    heading: Span | None = None
    children: list[CriterionSpan] = field(default_factory=list)
    #: found inside a line with no mark before it (an inline label, a run-on criterion): a clause
    #: starts there
    inline: bool = False
    #: an ACTG topic and what it announces ("Prior Medication:\n\nExcluded:"), over the sub-items:
    #: names no mention of its own
    topic_header: Span | None = None


@dataclass
class Layout:
    kind: str  # listing | criteria_block | bare_list
    sections: list[Section]
    criteria: list[CriterionSpan]
    trial: dict[str, Any]
    unrecognised: list[Span]
    #: the whitespace of line breaks inside a criterion line (hard wrapping), in order
    soft_wraps: list[Span] = field(default_factory=list)


@lru_cache(maxsize=1)
def _config() -> dict[str, Any]:
    cfg = dict(load_json("sections.json"))
    cfg["_header"] = re.compile(cfg["header"], re.IGNORECASE)
    cfg["_end"] = _any_of(cfg["section_end_lines"])
    cfg["_chrome"] = _any_of(cfg["chrome_lines"])
    cfg["_lead_in"] = _any_of(cfg["lead_in_lines"])
    cfg["_topic_announcement"] = _any_of(cfg["topic_announcement_lines"])
    cfg["_note"] = _any_of(cfg["note_lines"])
    cfg["_bare_topics"] = frozenset(w for w in cfg["topic_labels_without_colon"] if not w.startswith("_ "))
    cfg["_fields"] = {k: re.compile(v, re.IGNORECASE | re.MULTILINE) for k, v in cfg["fields"].items()}
    cfg["_sponsor_glued"] = re.compile(cfg["sponsor_glued"])
    terms = sorted(cfg["design_terms"], key=len, reverse=True)
    cfg["_design"] = re.compile(r"\b(?:" + "|".join(re.escape(t) for t in terms) + r")\b", re.IGNORECASE)
    return cfg


def _any_of(patterns: list[str]) -> list[re.Pattern[str]]:
    """Case-insensitive patterns of which a line is searched for any: those anchored at the start
    (and holding no '|', which could reach past the anchor) as one anchored alternation, which the
    engine tries at the line's start only, instead of one search each; the others as they are."""
    anchored = [p[1:] for p in patterns if p.startswith("^") and "|" not in p]
    others = [p for p in patterns if not (p.startswith("^") and "|" not in p)]
    merged = (
        [re.compile("^(?:" + "|".join(f"(?:{body})" for body in anchored) + ")", re.IGNORECASE)] if anchored else []
    )
    return merged + [re.compile(p, re.IGNORECASE) for p in others]


def split_lines(text: str, start: int = 0, end: int | None = None) -> list[Line]:
    """Lines of text[start:end] with offsets, trimmed of surrounding whitespace; blank lines dropped."""
    end = len(text) if end is None else end
    out = []
    for m in re.finditer(r"[^\r\n]+", text[start:end]):
        raw = m.group()
        lead = len(raw) - len(raw.lstrip())
        body = raw.strip()
        if body:
            s = start + m.start() + lead
            out.append(Line(s, s + len(body), body))
    return out


def is_chrome(line: str) -> bool:
    cfg = _config()
    return any(p.search(line.strip()) for p in cfg["_chrome"])


def is_note(line: str) -> bool:
    """A note on the list, no criterion ("Other protocol-defined inclusion/exclusion criteria may
    apply", "The above information is not intended to contain all considerations ...")."""
    flat = _NOTE_LEAD.sub("", " ".join(line.split()))  # ("Note: Other protocol-defined ... apply.")
    return len(flat) < 300 and any(p.search(flat) for p in _config()["_note"])


_SENTENCE_START = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _cut_trailing_notes(
    lines: list[tuple[Line, int, bool]], unrecognised: list[Span] | None
) -> list[tuple[Line, int, bool]]:
    """A note closing a criterion's line ("... informed consent form. Patients who meet any of the
    above criteria will be excluded.") is no part of it: the line ends before it, and the note goes
    to ``unrecognised``."""
    out = []
    for line, indent, bullet in lines:
        for m in _SENTENCE_START.finditer(line.text):
            if is_note(line.text[m.end() :]):
                if unrecognised is not None:
                    unrecognised.append((line.start + m.end(), line.end))
                line = Line(line.start, line.start + m.start(), line.text[: m.start()])
                break
        out.append((line, indent, bullet))
    return out


_NOTE_LEAD = re.compile(r"^(?:note|n\.\s?b\.)\s*[:：-]\s*", re.IGNORECASE)


_LABEL_LINE = re.compile(r"[A-Za-z][\w/&,()' -]{0,60}[:：]")
_FOR_GROUP_LINE = re.compile(r"(?i:for)\s+[A-Za-z][\w/&,()' -]{1,40}")


def is_label_line(line: str) -> bool:
    """A label of a group of criteria alone on its line ("Demographic characteristics:", "Abnormal
    Laboratory Values:", "DISEASE CHARACTERISTICS:"): at most six words, no number, ending with a colon
    after a word of ``sections.json`` ``group_label_heads``, or the group the criteria are for ("for
    acromegaly", with no colon). A topic label ("Age:", "Excluded:", "Hepatic:") is none: its items
    need it ("Age:\n- 18 and over")."""
    flat = " ".join(line.split())
    if flat.startswith("--") and _TOPIC_MARKER.fullmatch(flat):
        return True  # "--Patient Characteristics--" alone on its line, its criteria bulleted below
    if _FOR_GROUP_LINE.fullmatch(flat) and len(flat.split()) <= 5 and not any(c.isdigit() for c in flat):
        return True  # "for acromegaly" alone on its line: the group the criteria below are for
    if not _short_label(flat, 6):
        return False
    return flat.rstrip(":： ").split()[-1].lower() in _config()["group_label_heads"]


def _short_label(flat: str, max_words: int) -> bool:
    """A label ending with a colon, of at most ``max_words`` words and no number."""
    return bool(_LABEL_LINE.fullmatch(flat)) and len(flat.split()) <= max_words and not any(c.isdigit() for c in flat)


def _is_topic_label(line: str) -> bool:
    """A short topic label alone on its line ("Concurrent Medication:", "Co-existing Condition:"), not
    a group's heading in capitals ("PATIENT CHARACTERISTICS:")."""
    flat = " ".join(line.split())
    return _short_label(flat, 4) and not flat.isupper()


def _announces(line: str) -> bool:
    """An unbulleted line that says what the items under a topic are ("Excluded:", "Allowed:",
    "Excluded within 4 weeks prior to study entry:", "Patients with the following symptoms or
    conditions are excluded:"; ``sections.json`` ``topic_announcement_lines``)."""
    flat = " ".join(line.split())
    return any(p.search(flat) for p in _config()["_topic_announcement"])


_BARE_ANNOUNCEMENT = re.compile(r"[A-Za-z]+(?:\s+[A-Za-z]+)?\s*[:：]")


def _announced_group(text: str, parent: CriterionSpan, line: Line) -> CriterionSpan:
    """The group an announcement line opens inside an ACTG topic: a sub-item its items go under."""
    group = CriterionSpan(
        f"{parent.id}.{len(parent.children) + 1}",
        parent.side,
        line.start,
        line.end,
        parent.id,
        _heading(text, line.start, line.end),
        topic_header=(line.start, line.end),
    )
    parent.children.append(group)
    parent.end = max(parent.end, line.end)
    return group


# a lead-in on the inclusion side whose items are alternatives or must be absent ("Patients must have
# one of the following:", "Patients must not have any of the following:") is no section lead-in: its
# items are not each required, so it stays a criterion over them (see sub_items)
_CHOOSES = re.compile(r"\b(?:any|one|none|either)\s+of\b|\bnot\b", re.IGNORECASE)


def is_lead_in(line: str) -> bool:
    """A sentence that leads a section's list and states no criterion of its own ("Patients may be
    eligible for this study if they:", "Patients must have:"): its bullets are the criteria."""
    # (a full stop only where a pattern allows it: "Patients must meet all of the following eligibility
    # criteria.")
    if not line.rstrip().endswith((":", ".")):
        return False
    cfg = _config()
    flat = " ".join(line.split())
    return any(p.search(flat) for p in cfg["_lead_in"])


_GROUP_OF_HEADER = re.compile(r"(?:(?:for|in)\s+|[-–—]\s*)[^:：;.]{1,60}[:：]\s*", re.IGNORECASE)


def _header(line: Line) -> tuple[str, Span, Line | None] | None:
    """If the line is a section header, its side, the header span and any criterion text after it."""
    cfg = _config()
    m = cfg["_header"].match(line.text)
    if not m:
        return _misspelt_header(line)
    word = re.sub(r"\s+", "", m.group("side").lower())  # "INCLUSION / EXCLUSION": both in one list
    rest = m.group("rest")
    head_text = line.text[: m.start("rest")].rstrip()
    has_criteria_word = "criteri" in head_text.lower()
    if m.group("num") and not has_criteria_word:
        return None  # "1. Inclusion Criteria" is a header, "2. Exclusion of ..." a numbered criterion
    if has_criteria_word and rest.strip() and not rest.strip().strip(".:;"):
        rest = ""  # "Exclusion Criteria:.", "Inclusion criteria.": a stray stop after the header is no criterion
    if has_criteria_word and _GROUP_OF_HEADER.fullmatch(rest):
        # "INCLUSION CRITERIA FOR HEALTHY CONTROLS:", "Exclusion criteria - depressed women:": the
        # header of the group's criteria
        head_text, rest = line.text.rstrip(), ""
    if rest.strip():
        # "Inclusion Criteria: age > 18" is a header with a first criterion; "Exclusion of ..." is not.
        if not has_criteria_word or not re.search(r"[:：]", head_text):
            return None
    elif word in {"eligibility", "ineligibility"} and not has_criteria_word:
        return None
    if word == "eligibility" and not re.search(r"inclusion|exclusion", line.text, re.IGNORECASE):
        side = "inclusion"
    else:
        side = cfg["side_of"][word]
    # the header's words, without a bullet or number before them ("-  INCLUSION CRITERIA:", "1. Inclusion
    # Criteria"), as a criterion's span leaves out its marker
    marker = _HEADER_MARKER.match(line.text)
    lead = m.end("num") if m.group("num") else (marker.end() if marker else 0)
    header_span = (line.start + lead, line.start + len(head_text.rstrip(":： *#")))
    rest_line = None
    if rest.strip():
        rs = line.start + m.start("rest")
        rest_line = Line(rs, line.end, line.text[m.start("rest") :])
    return side, header_span, rest_line


_HEADER_MARKER = re.compile(r"\s*(?:[#*\-•]+\s*)?")

# a header line alone whose side word is misspelt ("IINCLUSION CRITERIA:", "Inclusioin Criteria",
# "Exlcusion Criteria:"; three in the 3,941 studies of the shared samples): the criteria word says it
# is a header, the nearest side word which one
_MISSPELT_HEADER = re.compile(
    r"\s*(?:[#*\-•]+\s*)?(?P<side>[A-Za-z]{7,11})\s+(?:criteria|criterias|critera|citeria)\s*[:：]?\s*$", re.IGNORECASE
)


def _misspelt_header(line: Line) -> tuple[str, Span, Line | None] | None:
    m = _MISSPELT_HEADER.match(line.text)
    if not m:
        return None
    word = m.group("side").lower()
    distances = {side: _edit_distance(word, side) for side in ("inclusion", "exclusion")}
    side = min(distances, key=lambda k: distances[k])
    if distances[side] > 2 or distances[side] == max(distances.values()):
        return None
    head = line.text.rstrip().rstrip(":：").rstrip()
    return side, (line.start + m.start("side"), line.start + len(head)), None


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance with adjacent transpositions counted as one edit ("exlcusion")."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def _is_section_end(line: Line) -> bool:
    return any(p.search(line.text) for p in _config()["_end"])


def find_sections(text: str) -> list[Section]:
    """Inclusion/Exclusion sections with their lines; a section ends at the next header or page chrome."""
    sections: list[Section] = []
    current: Section | None = None
    for line in (piece for whole in split_lines(text) for piece in _unfold_headers(text, whole)):
        found = _header(line)
        if found:
            side, header_span, rest = found
            if current:
                sections.append(current)
            current = Section(side, header_span, line.start, line.end)
            if rest:
                current.lines.append(rest)
            continue
        if current is None:
            continue
        if _is_section_end(line):
            sections.append(current)
            current = None
            continue
        current.lines.append(line)
        current.end = line.end
    if current:
        sections.append(current)
    return [s for s in sections if s.lines or s.header]


_INLINE_HEADER = re.compile(
    r"(?<=[\w.;)][ \t])[ \t]*(?=(?:inclusion|exclusion)[ \t]+criteria[ \t]*[:：])", re.IGNORECASE
)


_TRAILING_HEADER = re.compile(
    r"(?<=[.;)])[ \t]+(?=(?i:inclusion|exclusion)[ \t]+(?i:criteria)[ \t]*[:：]?[ \t]*$)"
    # ("... for the duration of the study Exclusion Criteria:": no stop before it, its capitals and colon)
    r"|(?<=\w)[ \t]+(?=(?:Inclusion|Exclusion|INCLUSION|EXCLUSION)[ \t]+(?:Criteria|CRITERIA)[ \t]*[:：][ \t]*$)"
)


def _unfold_headers(text: str, line: Line) -> list[Line]:
    """A line that holds a whole list whose line breaks were lost (``_dash_cuts``: "Inclusion
    Criteria:- Males ... older. Exclusion Criteria:- Primary ...") cut before each section header
    inside it after a sentence's end; any other line as it is."""
    trailing = _TRAILING_HEADER.search(text, line.start, line.end)
    if trailing is not None and len(text[line.start : trailing.start()].split()) >= 3 and _BULLET.match(line.text):
        # "Able to provide informed consent. Exclusion Criteria": a header the record's line breaks lost,
        # at the end of the last bullet before it (not a numbered header, "1. Inclusion Criteria", nor
        # a cohort's, "Erectile dysfunction cohort Inclusion Criteria:")
        kept, header = _trim(text, line.start, trailing.start()), (trailing.end(), line.end)
        return [Line(kept[0], kept[1], text[kept[0] : kept[1]]), Line(*header, text[header[0] : header[1]])]
    if len(line.text) < 60 or not _dash_cuts(text, line.start, line.end):
        return [line]
    cuts = [m.end() for m in _INLINE_HEADER.finditer(text, line.start, line.end)]
    if not cuts:
        return [line]
    out = []
    for s, e in itertools.pairwise([line.start, *cuts, line.end]):
        s, e = _trim(text, s, e)
        if e > s:
            out.append(Line(s, e, text[s:e]))
    return out


def _with_preamble(text: str, sections: list[Section]) -> list[Section]:
    """The sections of a criteria block, with the text before its first header as an inclusion
    section without a header: criteria under labels the header pattern does not know
    ("Demographic characteristics:\n1. Male or female patients ... Exclusion Criteria:"), or written
    before the first header ("Men and women with ARDS.\nInclusion Criteria: ..."). Never dropped unread;
    what no criterion holds there is reported like any other section's."""
    first = min(s.start for s in sections)
    lines = [ln for ln in split_lines(text, 0, first) if not is_chrome(ln.text)]
    if not lines:
        return sections
    return [Section("inclusion", None, lines[0].start, lines[-1].end, lines), *sections]


# an old NIH listing's topic written inline between double dashes ("--Disease Characteristics--
# Healthy term infants ... --Prior/Concurrent Therapy-- All study groups: ..."): each starts a
# criterion headed by its topic, as a PDQ listing's "DISEASE CHARACTERISTICS:" does
_TOPIC_MARKER = re.compile(r"(?<![\w-])--(?P<topic>[A-Z][A-Za-z/,&' ]{2,40}?)--(?!-)")


def _strip_bullet(line: Line) -> tuple[Line, bool]:
    if line.text.startswith("--") and _TOPIC_MARKER.match(line.text):
        return line, False  # a topic marker, no bullet
    m = _BULLET.match(line.text)
    if not m or m.end() >= len(line.text):
        return line, False
    return Line(line.start + m.end(), line.end, line.text[m.end() :]), True


def _indent(text: str, offset: int) -> int:
    line_start = text.rfind("\n", 0, offset) + 1
    return offset - line_start


#: a text whose longest line is longer than this was not wrapped at a fixed width
MAX_WRAP_WIDTH = 100
#: ... nor one whose longest line is shorter than this (a list of short criteria)
MIN_WRAP_WIDTH = 50
#: ... nor one with fewer lines than this filled to within 10 characters of its longest
FULL_LINES = 3
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FIRST_WORD = re.compile(r"\S+")
_LAST_WORD = re.compile(r"\S+$")
_ENUMERATION = re.compile(r"\(?(?:\d{1,3}|[ivxIVX]{1,5}|[a-zA-Z])[.)]")
_SENTENCE_MARKS = frozenset(".;:!?")


_LIST_NUMBER = re.compile(r"[ \t]*(\d{1,2})[.)][ \t]")


def _numbers_on(text: str, before: int, after: int) -> bool:
    """Whether the line holding ``after`` is numbered the next number after the line holding
    ``before`` ("1." then "2.")."""
    a = _LIST_NUMBER.match(text, _line_start(text, before))
    b = _LIST_NUMBER.match(text, _line_start(text, after))
    return a is not None and b is not None and int(b.group(1)) == int(a.group(1)) + 1


def _line_start(text: str, offset: int) -> int:
    return max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1


def starts_its_line(text: str, offset: int) -> bool:
    """Whether only whitespace and a list bullet stand before ``offset`` on its line."""
    lead = text[_line_start(text, offset) : offset].strip()
    return not lead or _BULLET.fullmatch(lead + " ") is not None


def wrapped_at(text: str, width: int, line_end: int, next_start: int) -> bool:
    """Whether the line ending at ``line_end`` was broken by greedy wrapping at ``width``: one line
    break and only whitespace lie before ``next_start``, and the next line's first word would not
    have fitted on the line (within 3 characters: the width is estimated from the longest line)."""
    gap = text[line_end:next_start]
    if gap.strip() or len(_LINE_BREAK.findall(gap)) != 1:
        return False
    word = _FIRST_WORD.match(text, next_start)
    line = text[_line_start(text, line_end) : line_end].rstrip()
    return word is not None and len(line) + 1 + len(word.group()) > width - 3


def wrap_width(text: str, lines: list[tuple[int, int]]) -> int | None:
    """The width ``text`` was hard-wrapped at, judged over its ``lines`` ((start, end) of each line's
    content, in order), or None when it was not wrapped (the registry's legacy XML wraps criteria at
    about 90 characters; API and Markdown text is not wrapped).

    A block is wrapped when its longest line is between :data:`MIN_WRAP_WIDTH` and
    :data:`MAX_WRAP_WIDTH`, at least
    :data:`FULL_LINES` lines come within 10 characters of it, and one of its breaks cannot be a line
    end (a break the next word would not have fitted before, after a line with no sentence mark, the
    next line going on in lower case): a list of short criteria fills lines to no common width."""
    lengths = [end - _line_start(text, start) for start, end in lines]
    width = max(lengths, default=0)
    if not MIN_WRAP_WIDTH <= width <= MAX_WRAP_WIDTH or sum(n >= width - 10 for n in lengths) < FULL_LINES:
        return None
    for (_, end), (start, _) in itertools.pairwise(lines):
        if (
            text[start : start + 1].islower()
            and text[end - 1 : end] not in _SENTENCE_MARKS
            and wrapped_at(text, width, end, start)
        ):
            return width
    return None


_DANGLING_MARKS = frozenset(",(/-&+")


def _dangling(line: str) -> bool:
    """Whether a line ends where no criterion ends: on a clause word ("History of", "and") or on a
    mark that leads on (",", "(", "/")."""
    _, not_before, _ = _run_on_words()
    end = line.rstrip()
    if end[-1:] in _DANGLING_MARKS:
        return True
    last = _LAST_WORD.search(end)
    return last is not None and last.group().lower() in not_before


def _join_lines(
    text: str, lines: list[Line], width: int | None, soft_wraps: list[Span] | None = None
) -> list[tuple[Line, int, bool]]:
    """Merge continuation lines; return (line, indent, had_bullet). The whitespace of each line
    break merged goes to ``soft_wraps``: the criterion reads on across it.

    A line goes on the one before when it has no bullet and either
    - starts in lower case, indented deeper than the line before or after a line that ends where no
      criterion ends (``_dangling``: "History of\\ncancer"); a list of criteria in lower case, "an
      underlying infectious disease\\nchromosomal abnormality", stays apart; or
    - the text is hard-wrapped at ``width`` (:func:`wrap_width`) and greedy wrapping broke there,
      whatever the line's first character ("Hemoglobin greater than\\r\\n10 g/dL"); under a
      bulleted line it must then be indented past the bullet."""
    items: list[tuple[Line, int, bool]] = []
    for raw in lines:
        indent = _indent(text, raw.start)
        line, bullet = _strip_bullet(raw)
        if items and not bullet:
            prev, prev_indent, prev_bullet = items[-1]
            # (or at the column of the marker of a bulleted line that stops mid-sentence: "     B.
            # myelodysplastic syndromes ... (< 20% myeloblasts\r\n     in peripheral blood ...")
            continues = line.text[:1].islower() and (
                _dangling(prev.text)
                or indent > prev_indent
                or (prev_bullet and indent == prev_indent and not prev.text.rstrip().endswith((".", ":", ";")))
            )
            # (a paragraph under an outline number wraps back to the number: "     1.1 Patients with
            # operable ... of the female\r\n     breast and positive lymph nodes")
            outline = prev_bullet and _OUTLINE_NUMBER.match(text, _line_start(text, prev.start) + prev_indent)
            wrapped = (
                width is not None
                and wrapped_at(text, width, prev.end, raw.start)
                and (not prev_bullet or indent > prev_indent or (outline is not None and indent == prev_indent))
            )
            if continues or wrapped:
                if soft_wraps is not None:
                    soft_wraps.append((prev.end, raw.start))
                merged = Line(prev.start, line.end, text[prev.start : line.end])
                items[-1] = (merged, prev_indent, prev_bullet)
                continue
        if items and bullet and _goes_on_inline_list(items[-1][0].text, raw.text):
            # "... with the exception of 1) treated carcinoma in situ, 2) treated skin cancer OR\n     3) any
            # other ...": a number that goes on the inline list of the line before, wrapped to the start of
            # a line, is no list item of its own
            prev, prev_indent, prev_bullet = items[-1]
            if soft_wraps is not None:
                soft_wraps.append((prev.end, raw.start))
            items[-1] = (Line(prev.start, raw.end, text[prev.start : raw.end]), prev_indent, prev_bullet)
            continue
        items.append((line, indent, bullet))
    return items


def _goes_on_inline_list(before: str, line: str) -> bool:
    """Whether ``line`` starts with the marker that comes next in an inline list of ``before`` of the same
    style, from its first ("1)", "(a)") on."""
    for style in _SUB_STYLES[:4]:
        first = style.match(line)
        if first is None:
            continue
        seq = _sequence(list(style.finditer(before)))
        return bool(seq) and _next(seq[-1].group(1)) == first.group(1)
    return False


def _sequence(matches: list[re.Match[str]]) -> list[re.Match[str]]:
    """The longest run 1, 2, 3, ... (or a, b, c) of markers in order; fewer than two means none."""
    seq: list[re.Match[str]] = []
    expected = None
    for m in matches:
        label = m.group(1)
        first = "1" if label.isdigit() else "A" if label.isupper() else "a"
        if label == first and not seq:
            seq = [m]
            expected = _next(label)
        elif seq and label == expected:
            seq.append(m)
            expected = _next(label)
    return seq if len(seq) >= 2 else []


def _next(label: str) -> str:
    return str(int(label) + 1) if label.isdigit() else chr(ord(label) + 1)


def _trim(text: str, start: int, end: int) -> Span:
    while end > start and (text[end - 1].isspace() or text[end - 1] in ";,"):
        end -= 1
    while start < end and text[start].isspace():
        start += 1
    return start, end


def _sub_items(text: str, start: int, end: int, styles: list[re.Pattern[str]]) -> list[tuple[Span, list[Any]]]:
    """Inline numbered sub-items of text[start:end]: a list of (span, children) trees."""
    if (
        text.find(")", start, end) < 0
        and text.find("）", start, end) < 0
        and text.find("a.", start, end) < 0
        and text.find("A.", start, end) < 0
        and text.find("1.", start, end) < 0
    ):
        return []  # every style's marker ends with a bracket or is "a.", "A." or "1.": most criteria have none
    for i, style in enumerate(styles):
        seq = _sequence(list(style.finditer(text, start, end)))
        if not seq or any(text.startswith(",", m.end()) for m in seq):
            # ("Delighted (0), Pleased (1), Mostly Satisfied (2)": the values of a scale, no list)
            continue
        out = []
        for k, m in enumerate(seq):
            s = m.end()
            e = seq[k + 1].start() if k + 1 < len(seq) else end
            s, e = _trim(text, s, e)
            if e > s:
                children = _sub_items(text, s, e, styles[:i] + styles[i + 1 :])
                out.append(((s, e), children))
        return out
    return []


# "5. Subject has an active ulcer. 6. Subject has a history of ...": numbered criteria run on in one
# line (the line breaks were lost); the line's own number is "5."
# ... or in lower-case Roman numerals ("i. Oral steroids (planned) ii. Chemotherapy ...")
_ROMAN_NUMERALS = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii")
_LABEL = r"(\d{1,2}|(?:" + "|".join(sorted(_ROMAN_NUMERALS, key=len, reverse=True)) + r"))"
_OWN_NUMBER = re.compile(r"(?<![\w.])" + _LABEL + r"[.)]\s*$")
_LEADING_NUMBER = re.compile(_LABEL + r"\.\s+")
_INLINE_BRACKET_NUMBER = re.compile(r"(?<=[\s.;,])[(（](\d{1,2})[)）][ \t]+")
_INLINE_NUMBER = re.compile(r"(?<=[\s.;,)])" + _LABEL + r"\.\s+(?=[A-Z(])")
# "1) Score of 24 or lower on the ASI-3, 2) score of 30 and below on the PCL-5, 3) no PTSD diagnosis":
# numbers closed by a bracket run on in the line numbered "1)" (one number may be skipped: "6) ..., 8)")
_INLINE_PAREN_NUMBER = re.compile(r"(?<=[\s.;,])(\d{1,2})\)[ \t]+(?=\S)")


def _following(label: str) -> str | None:
    """The item number after ``label``: "3" -> "4", "iii" -> "iv"."""
    if label.isdigit():
        return str(int(label) + 1)
    k = _ROMAN_NUMERALS.index(label) if label in _ROMAN_NUMERALS else -1
    return _ROMAN_NUMERALS[k + 1] if 0 <= k < len(_ROMAN_NUMERALS) - 1 else None


# a list whose line breaks were lost, its dash bullets left inside one line: after a sentence's end
# ("An ED-EQoL score < or = 15.- An IIEF score < or = 25.", "History of radical prostatectomy. -
# Retinitis pigmentosa.") or, where a line holds two or more, glued to the word before ("Males who
# have had ED for at least six months- Heterosexual relationship.- Males 18 and older.")
_RUN_ON_DASH = re.compile(r"(?<=[.;])[ \t]?-[ \t]+(?=[A-Z])")
_GLUED_DASH = re.compile(r"(?<=[a-z0-9)])-[ \t]+(?=[A-Z][a-z])")


def _dash_cuts(text: str, start: int, end: int) -> list[re.Match[str]]:
    """The run-on dash bullets in text[start:end] (``_RUN_ON_DASH``, ``_GLUED_DASH``), in order."""
    if text.find("- ", start, end) < 0:
        return []
    after_stop = list(_RUN_ON_DASH.finditer(text, start, end))
    glued = list(_GLUED_DASH.finditer(text, start, end))
    if glued:
        # (counted on the whole line: a section header may have cut it)
        line_end = len(text) if (nl := text.find("\n", end)) < 0 else nl
        whole = _line_start(text, start), line_end
        if sum(1 for _ in itertools.chain(_RUN_ON_DASH.finditer(text, *whole), _GLUED_DASH.finditer(text, *whole))) < 2:
            glued = []
    return sorted(after_stop + glued, key=lambda m: m.start())


def _dash_pieces(text: str, start: int, end: int) -> list[Span]:
    cuts = _dash_cuts(text, start, end)
    if not cuts:
        return [(start, end)]
    bounds = [start, *(m.start() for m in cuts)]
    starts = [start, *(m.end() for m in cuts)]
    pieces = [_trim(text, s, e) for s, e in zip(starts, [*bounds[1:], end], strict=True)]
    return [(s, e) for s, e in pieces if e > s]


# "patients in good physical health; ②patients aged 20 to 55 years ...; ③patients who agree ...":
# circled numbers run on in one line (the first one may be lost with the line's own marker)
_INLINE_CIRCLED = re.compile(r"(?<=[\s;,.])[②-⑳]")


def _circled_pieces(text: str, start: int, end: int) -> list[Span]:
    if not any("②" <= ch <= "⑳" for ch in text[start:end]):
        return [(start, end)]
    cuts, expected = [], None
    for m in _INLINE_CIRCLED.finditer(text, start, end):
        if expected is None or m.group() == expected:
            cuts.append(m)
            expected = chr(ord(m.group()) + 1)
    if not cuts:
        return [(start, end)]
    bounds = [start, *(m.start() for m in cuts), end]
    starts = [start, *(m.end() for m in cuts)]
    pieces = [_trim(text, s, e) for s, e in zip(starts, bounds[1:], strict=True)]
    return [(s, e) for s, e in pieces if e > s]


def numbered_pieces(text: str, start: int, end: int) -> list[Span]:
    """The criteria a line holds when numbered items run on in it: the line is numbered k (its
    bullet, or a number leading its text) and "k+1. ", "k+2. ", ... follow inside it, in order,
    each before a capital letter; or when dash bullets or circled numbers do (``_dash_cuts``,
    ``_INLINE_CIRCLED``). One span, the line's, where there are none."""
    return [
        piece
        for s, e in _numbered_pieces(text, start, end)
        for dashed in _dash_pieces(text, s, e)
        for piece in _circled_pieces(text, *dashed)
    ]


def _numbered_pieces(text: str, start: int, end: int) -> list[Span]:
    own = _OWN_NUMBER.search(text, _line_start(text, start), start)
    lead = None if own else _LEADING_NUMBER.match(text, start, end)
    number = own or lead
    # ("     (4) recent weight loss ..., (5) pain ..., (6) nausea": a bracketed number's line goes on
    # with the next bracketed numbers)
    bracketed = own is not None and text[own.start() - 1 : own.start()] in ("(", "（")
    closed = own is not None and not bracketed and own.group().rstrip().endswith(")") and own.group(1).isdigit()
    if number is None or (not bracketed and not closed and text.find(". ", start, end) < 0):
        return [(start, end)]
    expected = _following(number.group(1))
    cuts: list[re.Match[str]] = []
    pattern = _INLINE_BRACKET_NUMBER if bracketed else _INLINE_PAREN_NUMBER if closed else _INLINE_NUMBER
    for m in pattern.finditer(text, start, end):
        skipped = _following(expected) if closed and expected is not None else None
        if expected is not None and m.group(1) in (expected, skipped):
            cuts.append(m)
            expected = _following(m.group(1))
    if not cuts:
        return [(start, end)]
    first = lead.end() if lead else start
    bounds = [first, *(m.start() for m in cuts), end]
    starts = [first, *(m.end() for m in cuts)]
    return [_trim(text, s, e) for s, e in zip(starts, bounds[1:], strict=True)]


_MARKDOWN_BULLET = re.compile(r"\*[ \t]")


def _bare_topic(text: str, start: int, end: int) -> Span | None:
    """The first line of text[start:end] when it is a topic label written without its colon
    ("Biologic therapy", ``sections.json`` ``topic_labels_without_colon``), else None."""
    nl = text.find("\n", start, end)
    first = text[start : end if nl < 0 else nl].rstrip()
    if len(first) > 30 or " ".join(first.split()).lower() not in _config()["_bare_topics"]:
        return None
    return start, start + len(first)


def _heading(text: str, start: int, end: int) -> Span | None:
    if text.find(":", start, end) < 0 and text.find("：", start, end) < 0:
        return None  # a heading ends at a colon: most criteria have none
    m = _HEADING.match(text, start, end)
    if not m or len(m.group("h").split()) > 6:
        return None
    return start, start + len(m.group("h").rstrip())


def _topic_pieces(text: str, start: int, end: int) -> list[tuple[int, int, Span | None]]:
    """text[start:end] cut before each inline topic marker (``_TOPIC_MARKER``): (start, end, the
    topic's span or None for text before the first marker)."""
    if text.find("--", start, end) < 0:
        return [(start, end, None)]
    markers = list(_TOPIC_MARKER.finditer(text, start, end))
    if not markers:
        return [(start, end, None)]
    out: list[tuple[int, int, Span | None]] = []
    head = _trim(text, start, markers[0].start())
    if head[1] > head[0]:
        out.append((head[0], head[1], None))
    for m, nxt in itertools.zip_longest(markers, markers[1:]):
        s, e = _trim(text, m.start(), nxt.start() if nxt is not None else end)
        out.append((s, e, (m.start("topic"), m.end("topic"))))
    return out


_ID_PREFIX = {"inclusion": "inc", "exclusion": "exc"}


def segment(
    text: str,
    sections: list[Section],
    unrecognised: list[Span] | None = None,
    soft_wraps: list[Span] | None = None,
) -> list[CriterionSpan]:
    """Criteria of every section, ids inc-N/exc-N in order, sub-items as children with dotted ids.

    Page-chrome lines inside a section are no criteria; their spans go to ``unrecognised``. The line
    breaks read as spaces (a line that goes on the one before) go to ``soft_wraps``.
    """
    # a document is wrapped at one width: a short section of a wrapped listing is wrapped too
    width = wrap_width(text, [(line.start, line.end) for section in sections for line in section.lines])
    counters = {"inclusion": 0, "exclusion": 0}
    prefix = _ID_PREFIX
    out: list[CriterionSpan] = []
    group_labels: list[Span] = []  # a group's label on a line of its own ("PATIENT CHARACTERISTICS:")
    bullet_indent: dict[int, tuple[int, str]] = {}  # a bulleted sub-item (by id()) -> its bullet's indent and kind
    for section in sections:
        parent_top: CriterionSpan | None = None
        parent_indent = -1
        parent_bullet = False
        nested_list = False  # a numbered list restarted under the last item, indented deeper
        label_above: Line | None = None  # the line before, when an unbulleted label ("Prior Medication:")
        group: CriterionSpan | None = None  # a second announcement's items inside an ACTG topic
        prose_topic: CriterionSpan | None = None  # an ACTG topic whose items are paragraphs with no bullet
        for line, indent, bullet in _cut_trailing_notes(
            _join_lines(text, section.lines, width, soft_wraps), unrecognised
        ):
            if is_chrome(line.text):
                if unrecognised is not None:
                    unrecognised.append((line.start, line.end))
                continue
            above, label_above = label_above, (line if not bullet and _is_topic_label(line.text) else None)
            # an ACTG listing's topic over what it allows or excludes ("Prior Medication:\n\nExcluded:\n\n
            # -  Zidovudine ..."): one criterion from the topic on, the topic its heading, the items under
            # it its sub-items
            if above is not None and not bullet and _announces(line.text):
                if unrecognised and unrecognised[-1] == (above.start, above.end):
                    unrecognised.pop()
                elif out and out[-1].start == above.start and not out[-1].children:
                    out.pop()
                    counters[section.side] -= 1
                counters[section.side] += 1
                cid = f"{prefix[section.side]}-{counters[section.side]}"
                # a bare "Excluded:" or a lead-in joins the topic; one that says more ("Excluded within 4
                # weeks prior to study entry:") is a group of its own under it
                joins = bool(_BARE_ANNOUNCEMENT.fullmatch(line.text.strip())) or is_lead_in(line.text)
                crit = CriterionSpan(
                    cid,
                    section.side,
                    above.start,
                    line.end,
                    None,
                    _heading(text, above.start, line.end),
                    topic_header=(above.start, line.end if joins else above.end),
                )
                out.append(crit)
                parent_top, parent_indent, parent_bullet, group = crit, indent, False, None
                if not joins:
                    group = _announced_group(text, crit, line)
                label_above = None
                continue
            # ... and a second announcement under the topic ("Excluded within 1 hour before and 4 hours
            # after study drug administration:") is a group of its own inside it
            # (not a lead-in: "Patients with the following are excluded:" starts a list of the side's own)
            if (
                above is None
                and parent_top is not None
                and parent_top.topic_header is not None
                and not bullet
                and _announces(line.text)
                and not is_lead_in(line.text)
            ):
                group = _announced_group(text, parent_top, line)
                continue
            # (so is one bulleted like the items of the group before it: "Excluded within 6 weeks of study
            # entry:\n\n  -  Interferons.\n\n  -  Excluded within 45 days of study entry:\n\n  -  ...")
            marker = _BULLET_MARK.match(line.text)
            cut = marker.end() if marker else 0
            if (
                bullet
                and group is not None
                and parent_top is not None
                and _announces(line.text[cut:])
                and not is_lead_in(line.text[cut:])
            ):
                group = _announced_group(text, parent_top, Line(line.start + cut, line.end, line.text[cut:]))
                continue
            # a group's label on a line of its own ("Demographic characteristics:", "PATIENT
            # CHARACTERISTICS:") states no criterion: the lines under it are the side's criteria, as
            # under a lead-in
            lead_in = is_lead_in(line.text) and not (section.side == "inclusion" and _CHOOSES.search(line.text))
            if lead_in or is_note(line.text) or (not bullet and is_label_line(line.text)):
                if not (lead_in or is_note(line.text)) and _is_pdq_group(line.text):
                    group_labels.append((line.start, line.end))
                elif unrecognised is not None:
                    unrecognised.append((line.start, line.end))
                parent_top, parent_indent, parent_bullet, group = None, -1, False, None
                continue
            # what a sub-item announces, on an unbulleted line indented under it, is its own text ("1. A
            # serum creatinine based on age/gender as follows:\n\n      Maximum Serum Creatinine (mg/dL)
            # Age 1 to < 2 years ..."), not the next top-level criterion
            last = parent_top.children[-1] if parent_top is not None and parent_top.children else None
            if (
                last is not None
                and parent_top is not None
                and not bullet
                and parent_bullet
                and indent > parent_indent
                and not last.children
                and text[last.start : last.end].rstrip().endswith((":", "："))
            ):
                last.end = line.end
                parent_top.end = max(parent_top.end, line.end)
                continue
            # A bulleted line under a criterion ending with ":" is its sub-item when it is indented
            # deeper, or when the criterion is an unbulleted label ("DISEASE CHARACTERISTICS:").
            pieces = numbered_pieces(text, line.start, line.end)
            # ... and so is a numbered list that starts again at 1 indented under a numbered item
            # ("5. The following ...:\n     1. Age of onset ... 2. Migraine attacks ...")
            restarts = (
                bullet
                and parent_bullet
                and indent > parent_indent
                and (nested_list or _LIST_RESTART.fullmatch(text[_line_start(text, line.start) : line.start].strip()))
            )
            # ... and so is a bulleted line indented deeper under a bulleted one, a nested list ("*
            # Adequate organ function.\n  * Available to provide ...", "  -  Histologically confirmed
            # ... cancer\n       -  Clinical Stage IV: ...")
            # (not the next number of the parent's list: "1. Required Tumor Parameters" then "  2. Prior
            # treatment:", the first line's indent lost where the registry's block was trimmed)
            nested = (
                bullet
                and parent_bullet
                and indent >= parent_indent + 2
                and not (parent_top is not None and _numbers_on(text, parent_top.start, line.start))
            )
            # ... and so is a paragraph with no bullet under an ACTG topic and its announcement ("Prior
            # Medication:\n\nExcluded:\n\nAntiretroviral therapy. If ...") while the topic has no bulleted item
            # (and so is one under a second announcement inside the topic, "Allowed:\n\nMedication for
            # prophylaxis ...", while that group has no bulleted item)
            prose = (
                not bullet
                and parent_top is not None
                and parent_top.topic_header is not None
                and not _is_topic_label(line.text)
                and (
                    (group is None and (not parent_top.children or prose_topic is parent_top))
                    or (group is not None and (not group.children or prose_topic is group))
                )
                # ("NOTE:" after the paragraph heads what follows it, no paragraph of its own)
                and not (prose_topic is not None and line.text.rstrip().endswith((":", "：")))
            )
            # ... and so is a bulleted item lettered "(a)", "(b)", ... under a lead-in at its own level
            # ("  -  Have at least 1 of the following situations:\n\n  -  (a) at least 1 of ...")
            lettered = bullet and parent_top is not None and _lettered_item(text, parent_top, line.start)
            # ... and so are bullets at its own level under a bulleted lead-in that ends with ":", where
            # they are joined as alternatives ("  -  Patients unsuitable for chemotherapy due to:\n  -
            # Renal failure, or\n  -  Severe cardiopulmonary disease, or\n  -  Other ..."): up to the
            # first that no "or"/"and" closes
            lower_case_on = (
                bool(pieces)
                and text[pieces[0][0] : pieces[0][0] + 1].islower()
                and parent_top is not None
                and not is_lead_in(text[parent_top.start : _first_line_end(text, parent_top)])
            )
            joined = (
                bullet
                and parent_top is not None
                and parent_bullet
                and indent == parent_indent
                and group is None
                and text[parent_top.start : _first_line_end(text, parent_top)].rstrip().endswith(":")
                and (
                    # (or that go on in lower case, under a lead-in that is no section's: "  -  Evidence of
                    # chronic hepatitis with severe liver dysfunction:\n\n  -  albumin < 2 g/dl ...", "*
                    # Participants ... must have:\n* measurable disease ...\n* an Eastern Cooperative ...")
                    lower_case_on or bool(CLOSING_WORD.search(line.text))
                    if not parent_top.children
                    # (going on only from an item of this list: "... Choriocarcinoma OR" under a deeper
                    # bullet joins its parent to the next criterion)
                    else bullet_indent.get(id(parent_top.children[-1]), (-1, ""))[0] == indent
                    and (
                        lower_case_on
                        or bool(CLOSING_WORD.search(text[parent_top.children[-1].start : parent_top.children[-1].end]))
                    )
                )
            )
            if parent_top is not None and (
                restarts
                or nested
                or prose
                or lettered
                or joined
                or (bullet and (indent > parent_indent or not parent_bullet) and _own_text_announces(text, parent_top))
                # (and under a PDQ topic label that lost its colon, inside a PDQ group: "PRIOR CONCURRENT
                # THERAPY:\n\nBiologic therapy\n\n  -  No concurrent growth factors ..."; in an API v2
                # record its Markdown bullets stand at the label's own indent: "Age\n\n* Not specified")
                or (
                    bullet
                    and bool(group_labels)
                    and not parent_bullet
                    and (
                        indent > parent_indent
                        or (indent == parent_indent and _MARKDOWN_BULLET.match(text, _line_start(text, line.start)))
                    )
                    and _bare_topic(text, parent_top.start, parent_top.end) is not None
                )
            ):
                nested_list = bool(restarts)
                if parent_top.heading is None and not parent_top.children and not parent_bullet:
                    parent_top.heading = _bare_topic(text, parent_top.start, parent_top.end)
                target = group if group is not None else parent_top
                prose_topic = target if prose else None
                # a bullet indented deeper than the last bulleted sub-item is that item's sub-item, at
                # any depth ("Other:\n  -  No second malignancy except:\n       -  Basal cell ...")
                # (a number under a dash only where it is indented well past it: an ACTG listing's "  -  A"
                # then "     1. B" is the next criterion, its markers mixed)
                kind = _marker_kind(text, line.start)
                chain = [target]
                while bullet and chain[-1].children and id(chain[-1].children[-1]) in bullet_indent:
                    last_indent, last_kind = bullet_indent[id(chain[-1].children[-1])]
                    # (under a lettered item, "  -  (c) ... (3) fast heartbeat,\n     (4) recent weight
                    # loss": its numbers go on, indented past its dash)
                    step = 1 if last_kind == "lettered" else 4 if kind == "number" and last_kind != "number" else 2
                    # (an ACTG announcement bulleted at the items' own level, "  -  Excluded within 60 days
                    # of study entry:", heads the bullets after it, up to the next announcement)
                    # (and a bulleted lead-in ending in ":" heads the bullets after it that go on in lower
                    # case: "  -  Evidence of chronic hepatitis with severe liver dysfunction:\n\n  -  albumin
                    # < 2 g/dl and SGOT ...")
                    last_item = chain[-1].children[-1]
                    heads = (
                        bullet
                        and bool(pieces)
                        and indent == last_indent
                        and (
                            (_announcing_item(text, last_item) and not _announces(text[pieces[0][0] : line.end]))
                            or (
                                text[last_item.start : _first_line_end(text, last_item)].rstrip().endswith(":")
                                and text[pieces[0][0] : pieces[0][0] + 1].islower()
                            )
                        )
                    )
                    if indent < last_indent + step and not heads:
                        break
                    chain.append(chain[-1].children[-1])
                if bullet and chain[-1].children and _roman_sub_list(text, chain[-1].children[-1], line.start):
                    # a roman list under the last sub-item at its own level ("   6. Ineligible for
                    # allogeneic SCT because of:\n\n   i. Comorbid disease ii. ..."): the registry's
                    # Markdown lost its indent; a list of another kind starting at i is that item's
                    chain.append(chain[-1].children[-1])
                target = chain[-1]
                letter = _item_marker(text, pieces[0][0]) if lettered and pieces else None
                if letter is not None:
                    pieces = [(letter.end(), pieces[0][1]), *pieces[1:]]  # (the item's span starts after its letter)
                for k, (s, e) in enumerate(pieces):
                    n = len(target.children) + 1
                    s, e = _trim(text, s, e)  # a sub-item ends before a trailing ";" or ","
                    child = CriterionSpan(f"{target.id}.{n}", section.side, s, e, target.id, inline=k > 0)
                    _attach(text, child, _sub_items(text, s, e, list(_SUB_STYLES)))
                    target.children.append(child)
                    if bullet:
                        bullet_indent[id(child)] = (indent, "lettered" if lettered else kind)
                for crit in (parent_top, *chain):
                    crit.end = line.end  # the parent spans its sub-items, as a numbered line does
                continue
            topics = [
                (s2, e2, topic, k > 0 or j > 0)
                for k, (s, e) in enumerate(pieces)
                for j, (s2, e2, topic) in enumerate(_topic_pieces(text, s, e))
            ]
            for s, e, topic, inline in topics:
                counters[section.side] += 1
                cid = f"{prefix[section.side]}-{counters[section.side]}"
                crit = CriterionSpan(cid, section.side, s, e, None, topic or _heading(text, s, e), inline=inline)
                _attach(text, crit, _sub_items(text, s, e, list(_SUB_STYLES)))
                if not crit.children:
                    # (under a topic marker two labels make a list: "All study groups: ... Healthy term
                    # infants: ...")
                    _attach_labelled(text, crit, 2 if topic else MIN_INLINE_LABELS)
                    # a hard-wrapped paragraph under inline labels, an all-capitals heading ("PATIENT
                    # CHARACTERISTICS:") or a topic marker is an NCI PDQ listing: any capitalised word
                    # may start its next criterion
                    pdq = width is not None and (
                        bool(crit.children)
                        or topic is not None
                        or (crit.heading is not None and text[slice(*crit.heading)].isupper())
                    )
                    for part in crit.children or [crit]:
                        _attach_run_on(text, part, pdq)
                    lead = crit.children[0] if crit.children else None
                    if (
                        lead is not None
                        and lead.heading is None
                        and lead.children
                        # (not the items of a list its lead-in announces: "... of one of the following
                        # histologies: Serous adenocarcinoma ...", which are its own)
                        and lead.children[0].start <= _text_start(text, lead)
                    ):
                        # the criteria run on before the first label are the paragraph's own
                        crit.children[:1] = lead.children
                        _renumber(crit, crit.id, crit.parent)
                out.append(crit)
            parent_top, parent_indent, parent_bullet, group = out[-1], indent, bullet, None
            nested_list = False
    return _group_under_labels(text, sections, out, group_labels, unrecognised)


_LETTERED = re.compile(r"\((?P<letter>[a-h])\)[ \t]+")


# "* i. High risk ALL in first complete remission": a bullet numbered in lower-case roman numerals
_ROMAN_ITEM = re.compile(r"(?<!\w)(?P<roman>x{0,1}(?:ix|iv|v?i{0,3}))[.)][ \t]+(?=\S)")
_LETTER_ITEM_START = re.compile(r"[ \t]*(?:[-*•·][ \t]+)?\(?[a-hA-H][.)][ \t]")
_ITEM_ROMANS = (*_ROMAN_NUMERALS, "xiii", "xiv", "xv")


def _item_marker(text: str, start: int) -> re.Match[str] | None:
    """The letter or roman numeral that numbers a bulleted item at ``start`` ("(a) ", "ii. "), or None."""
    m = _LETTERED.match(text, start) or _ROMAN_ITEM.match(text, start)
    return m if m is not None and m.group(0).strip(" \t.()") else None


def _roman_item(text: str, parent: CriterionSpan, start: int) -> bool:
    """Whether the bulleted line at ``start`` is numbered "i." under ``parent`` (which has no item yet),
    or with the numeral after its last item's ("ii." after "i."): a Markdown list that lost its nesting
    ("* Diagnosis of high-risk hematological malignancy. This includes:\n* i. High risk ALL ...")."""
    m = _ROMAN_ITEM.match(text, start)
    if m is None or m.group("roman") not in _ITEM_ROMANS:
        return False
    if m.group("roman") == "i":
        # (after "h." an "i." is the next letter: "* h. ...\n* i. ...")
        return not parent.children and not _LETTER_ITEM_START.match(text, _line_start(text, parent.start))
    last = parent.children[-1] if parent.children else None
    before = _ROMAN_ITEM.search(text, _line_start(text, last.start), last.start + 1) if last else None
    return (
        before is not None
        and before.group("roman") in _ITEM_ROMANS
        and _ITEM_ROMANS.index(before.group("roman")) + 1 == _ITEM_ROMANS.index(m.group("roman"))
    )


def _lettered_item(text: str, parent: CriterionSpan, start: int) -> bool:
    """Whether the bulleted line at ``start`` is a lettered item of ``parent``: "(a)" under a parent whose
    first line ends with ":", or the letter after its last item's ("(b)" after "(a)"); or an item
    numbered in roman numerals (``_roman_item``)."""
    m = _LETTERED.match(text, start)
    if m is None:
        return _roman_item(text, parent, start)
    letter = m.group("letter")
    if letter == "a":
        return not parent.children and text[parent.start : _first_line_end(text, parent)].rstrip().endswith(":")
    last = parent.children[-1] if parent.children else None
    if last is None:
        return False
    before = _LETTERED.search(text, _line_start(text, last.start), last.start + 1)
    return before is not None and before.group("letter") == chr(ord(letter) - 1)


_ROMAN_MARKER = re.compile(r"\(?(?P<roman>[ivx]{1,4})[.)]", re.IGNORECASE)
_ARABIC_MARKER = re.compile(r"\(?\d{1,2}[.)]")
_LETTER_MARKER = re.compile(r"\(?(?P<letter>[a-z])[.)]", re.IGNORECASE)


def _roman_sub_list(text: str, last: CriterionSpan, start: int) -> bool:
    """Whether the line at ``start``, marked with a lower-case roman numeral, goes on a list under
    ``last``, an item numbered in arabic or lettered (other than "h.", after which "i." is a letter):
    "i." starts one there; a later numeral goes on one its first sub-item started."""
    marker = text[_line_start(text, start) : start].strip()
    m = _ROMAN_MARKER.fullmatch(marker)
    if m is None or not m.group("roman").islower():
        return False
    before = text[_line_start(text, last.start) : last.start].strip()
    letter = _LETTER_MARKER.fullmatch(before)
    # (after "h." an "i." is the next letter)
    if not (_ARABIC_MARKER.fullmatch(before) or (letter and letter.group("letter").lower() != "h")):
        return False
    if m.group("roman") == "i":
        return not last.children
    first = last.children[0] if last.children else None
    return first is not None and text[_line_start(text, first.start) : first.start].strip() in ("i.", "i)", "(i)")


def _marker_kind(text: str, start: int) -> str:
    """What marks a list item that starts at ``start``: "number" ("1.", "(a)") or the bullet sign."""
    marker = text[_line_start(text, start) : start].strip()
    return "number" if marker[:1].isalnum() or marker[:1] == "(" else marker[:1]


def _group_under_labels(
    text: str,
    sections: list[Section],
    criteria: list[CriterionSpan],
    labels: list[Span],
    unrecognised: list[Span] | None,
) -> list[CriterionSpan]:
    """The criteria under a PDQ group's label on a line of its own (``_is_pdq_group``: "DISEASE
    CHARACTERISTICS:", "PRIOR CONCURRENT THERAPY:") are its sub-items: the label is a criterion headed
    by it, up to the next such label or the section's end. Inside it a topic label over one bullet
    ("Age:\n  -  18 to 65") is one criterion headed by it; anywhere, a topic label over more bullets is
    their parent, headed by it. Ids follow the new tree. A label with no criterion under it stays
    unrecognised."""
    tops: list[CriterionSpan] = []
    labels = list(labels)
    for crit in criteria:
        if not crit.children and "\n" not in text[crit.start : crit.end] and _is_pdq_group(text[crit.start : crit.end]):
            labels.append((crit.start, crit.end))  # an all-capitals group heading read as a criterion
        else:
            tops.append(crit)
    tops = _drop_empty_items(text, tops, unrecognised)
    # (a PDQ listing's topics are criteria headed by them: "Chemotherapy" over "  -  No prior ...")
    tops = tops if labels else _drop_bare_labels(text, tops, unrecognised)
    for crit in flatten(tops):
        _label_its_items(text, crit, merge_one=False)
    labels.sort()
    grouped: list[CriterionSpan] = []
    for k, (ls, le) in enumerate(labels):
        section = next((sec for sec in sections if sec.start <= ls < sec.end), None)
        if section is None:
            continue
        stop = min([section.end, *(s for s, _ in labels[k + 1 :])])
        members = [c for c in tops if le <= c.start < stop]
        if not members:
            if unrecognised is not None:
                unrecognised.append((ls, le))
            continue
        flat = " ".join(text[ls:le].split())
        marker = _TOPIC_MARKER.fullmatch(flat) if flat.startswith("--") else None
        at = text.find(marker.group("topic"), ls, le) if marker else -1
        heading = (at, at + len(marker.group("topic"))) if marker else _heading(text, ls, members[-1].end)
        # (the label names no mention: "PATIENT CHARACTERISTICS" is no Person)
        group = CriterionSpan(
            "", section.side, ls, members[-1].end, None, heading, children=members, topic_header=(ls, le)
        )
        tops = [c for c in tops if c not in members]
        grouped.append(group)
        for member in members:
            _label_its_items(text, member, merge_one=True)
    if unrecognised is not None:
        unrecognised.sort()
    ordered = sorted([*tops, *grouped], key=lambda c: c.start)
    counters = {"inclusion": 0, "exclusion": 0}
    for crit in ordered:
        counters[crit.side] += 1
        _renumber(crit, f"{_ID_PREFIX[crit.side]}-{counters[crit.side]}", None)
    return ordered


# (a visit's number may close it: "At Visit1", "Visit 2")
_BARE_LABEL = re.compile(
    r"[A-Z][A-Za-z&'\-]*(?:/[A-Za-z&'\-]+)*(?:[ \t]+[A-Z][A-Za-z&'\-]*(?:/[A-Za-z&'\-]+)*){0,3}(?:[ \t]?\d{1,2})?"
)
# a list item's marker: a bullet, or the number that starts a list ("1.", "1)")
_ITEM_OPENS = re.compile(r"[-*•·]|1[.)]")
_ITEM_MARKER = re.compile(r"[-*•·]+|\d{1,2}[.)]")


_NO_CRITERIA = re.compile(
    r"(?:none|n/?a|nil|not\s+applicable|no\s+(?:exclusion|inclusion)\s+criteria)\.?", re.IGNORECASE
)


def _drop_empty_items(text: str, criteria: list[CriterionSpan], unrecognised: list[Span] | None) -> list[CriterionSpan]:
    """A bullet with nothing after it ("-" alone) states no criterion, nor does a section's only item
    saying it has none ("Exclusion Criteria:\n\n* None"): both are reported."""
    out: list[CriterionSpan] = []
    worded = [bool(c.children) or any(ch.isalnum() for ch in text[c.start : c.end]) for c in criteria]
    sides = [c.side for c, w in zip(criteria, worded, strict=True) if w]
    for crit, has_words in zip(criteria, worded, strict=True):
        alone = not crit.children and sides.count(crit.side) == 1
        if not crit.children and (
            not has_words or (alone and _NO_CRITERIA.fullmatch(text[crit.start : crit.end].strip()))
        ):
            if unrecognised is not None:
                unrecognised.append((crit.start, crit.end))
            continue
        out.append(crit)
    return out


def _drop_bare_labels(text: str, criteria: list[CriterionSpan], unrecognised: list[Span] | None) -> list[CriterionSpan]:
    """A short label in title case on a line of its own, with no bullet, no colon and no full stop,
    over bulleted criteria ("Disease Characteristics", "Prior/Concurrent Therapy", "Other") or over a
    numbered list it starts ("At Visit1\n\n1. ≥19 age") states no criterion: it is reported, as a
    label with a colon is."""
    out: list[CriterionSpan] = []
    # (in a list that bullets or numbers its criteria: an unmarked list has one-word criteria, "Sarcoidosis")
    bulleted = any(_ITEM_MARKER.fullmatch(text[_line_start(text, c.start) : c.start].strip()) for c in criteria)
    for k, crit in enumerate(criteria):
        nxt = criteria[k + 1] if k + 1 < len(criteria) else None
        if (
            bulleted
            and nxt is not None
            and not crit.children
            and _BARE_LABEL.fullmatch(text, crit.start, crit.end)
            and not text[_line_start(text, crit.start) : crit.start].strip()
            and _ITEM_OPENS.fullmatch(text[_line_start(text, nxt.start) : nxt.start].strip()[:2])
        ):
            if unrecognised is not None:
                unrecognised.append((crit.start, crit.end))
            continue
        out.append(crit)
    return out


def is_group_heading(heading: str) -> bool:
    """Whether a criterion's heading (its text without the colon) is a PDQ group's label ("PATIENT
    CHARACTERISTICS", "PRIOR CONCURRENT THERAPY", "--Disease Characteristics--"), which names no
    mention: "PATIENT" is no Person there, "THERAPY" no Procedure."""
    flat = " ".join(heading.split())
    if flat.startswith("--"):
        return _is_pdq_group(flat)
    return len(flat.split()) > 1 and _is_pdq_group(flat + ":")  # "IIEF-ED:", "DLCO:" name a measure


def _is_pdq_group(line: str) -> bool:
    """A group's label in capitals ("DISEASE CHARACTERISTICS:", "PRIOR CONCURRENT THERAPY:") or a topic
    marker alone on its line ("--Patient Characteristics--"), as the NCI's PDQ listings write them:
    a criterion over the group, as the golds read it (a label in other case, "Demographic
    characteristics:", "for acromegaly", states no criterion)."""
    flat = " ".join(line.split())
    if flat.rstrip(":： ").lower().endswith("criteria"):
        return False  # "PROTOCOL ENTRY CRITERIA:" titles the whole list
    return (flat.isupper() and _short_label(flat, 6)) or (flat.startswith("--") and bool(_TOPIC_MARKER.fullmatch(flat)))


def _label_its_items(text: str, crit: CriterionSpan, merge_one: bool) -> None:
    """A topic label alone on its line over bullets ("Hematopoietic:\n  -  ..."): its heading; over one
    bullet in a PDQ group (``merge_one``), one criterion with it ("Age:\n  -  18 to 65")."""
    if crit.topic_header is not None or not crit.children or crit.inline:
        return
    first = text[crit.start : _first_line_end(text, crit)]
    flat = " ".join(first.split())
    bare = _bare_topic(text, crit.start, crit.end)
    if not (_short_label(flat, 6) and not flat.isupper()) and bare is None:
        return
    if crit.heading is None:
        crit.heading = _heading(text, crit.start, crit.end)
    if merge_one and len(crit.children) == 1 and not crit.children[0].children and not crit.children[0].inline:
        crit.children = []


@lru_cache(maxsize=1)
def _inline_note_pattern() -> re.Pattern[str] | None:
    notes = [n for n in load_json("sections.json")["inline_notes"] if not n.startswith("_ ")]
    return re.compile("|".join(f"(?:{n})" for n in notes), re.IGNORECASE) if notes else None


def _without_inline_notes(text: str, criteria: list[CriterionSpan], unrecognised: list[Span]) -> list[CriterionSpan]:
    """The criteria less an editor's note written inside a paragraph (``sections.json`` inline_notes:
    "A new classification scheme for adult non-Hodgkin's lymphoma has been adopted by PDQ. ..."): a
    criterion inside a note is dropped, one running into it ends before it, and the note's span is
    reported unparsed; ids are numbered again where a criterion went."""
    pattern = _inline_note_pattern()
    notes = [(m.start(), m.end()) for m in pattern.finditer(text)] if pattern is not None else []
    if not notes:
        return criteria

    def trimmed(crits: list[CriterionSpan]) -> list[CriterionSpan]:
        kept = []
        for c in crits:
            c.children = trimmed(c.children)
            for ns, ne in notes:
                if ns <= c.start and c.end <= ne:
                    break  # inside the note
                if c.start < ns < c.end <= ne:
                    c.end = _trim(text, c.start, ns)[1]  # runs into the note: ends before it
            else:
                if c.start < c.end:
                    kept.append(c)
        return kept

    out = trimmed(criteria)
    unrecognised.extend(notes)
    unrecognised.sort()
    counters = {"inclusion": 0, "exclusion": 0}
    for crit in out:
        counters[crit.side] += 1
        _renumber(crit, f"{_ID_PREFIX[crit.side]}-{counters[crit.side]}", None)
    return out


def _renumber(crit: CriterionSpan, cid: str, parent: str | None) -> None:
    crit.id, crit.parent = cid, parent
    for n, child in enumerate(crit.children, 1):
        _renumber(child, f"{cid}.{n}", cid)


# "Age: 18 and over Performance status: ECOG 0-2 Hepatic: Bilirubin ..." (run-on PDQ-style paragraphs)
_NOT_LABEL_START = {"not", "no", "none", "and", "or", "with", "without", "see", "if"}
# lower-case words inside a label in title case ("Age at Diagnosis:", "Prior Therapy for Cancer:")
_LABEL_JOINERS = {"at", "of", "for", "to", "in", "on", "since", "with", "the", "a", "an", "per", "by"}
MIN_INLINE_LABELS = 3


_LABEL_JOIN = re.compile(r"[ \t]*\r?\n[ \t]*")


def _inline_labels(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each 'Label:' in text[start:end]: one to three words before a colon, the first
    capitalised, not a value word ("Not specified Chemotherapy:" is the label "Chemotherapy")."""
    out: list[tuple[int, int]] = []
    if text.find(":", start, end) < 0:
        return out  # a label ends at a colon: most criteria have none
    clause_ends = _label_ends()
    for colon in (m.start() for m in re.finditer(r":\s", text[start:end])):
        colon += start
        # (a word ends on a letter: "--Patients Characteristics-- Age:" is the label "Age")
        words = list(re.finditer(r"[A-Za-z](?:[A-Za-z/\-]*[A-Za-z])?", text[max(start, colon - 60) : colon]))
        words = [w for w in words if w.end() + max(start, colon - 60) <= colon][-3:]
        if not words or words[-1].end() + max(start, colon - 60) != colon:
            continue
        offset = max(start, colon - 60)
        # keep the trailing words joined by single spaces, or by a hard wrap ("Life\r\n
        # expectancy: At least 3 months")
        run = [words[-1]]
        for w in reversed(words[:-1]):
            gap = text[w.end() + offset : run[0].start() + offset]
            if gap != " " and not (_LABEL_JOIN.fullmatch(gap) and run[0].group()[0].islower()):
                break  # a label's word wraps in lower case ("Sex: Female\r\nMenopausal status:")
            run.insert(0, w)
        # a capitalised word after a lower-case one starts the label ("... upper limit of normal
        # Bilirubin normal Renal:", "... by MUGA scan Other:"; but "Life expectancy:" and "Age at
        # Diagnosis:" are one label each)
        for k in range(len(run) - 1, 0, -1):
            before = run[k - 1].group()
            if run[k].group()[0].isupper() and before[0].islower() and before not in _LABEL_JOINERS:
                run = run[k:]
                break
        # a label starts capitalised, and an acronym ending the text before ("... 450 ms) on EKG
        # Pulmonary:", "No prior therapy for ALL except:") leads none
        while run and (
            not run[0].group()[0].isupper()
            or run[0].group().lower() in _NOT_LABEL_START
            or (len(run) > 1 and run[0].group().isupper() and not run[1].group().isupper())
        ):
            run.pop(0)
        # a word that ends a criterion ("Surgery: See Disease Characteristics Other:") ends what came
        # before: the label starts after it
        for k in range(len(run) - 1):
            if run[k].group() in clause_ends:
                run = run[k + 1 :]
                break
        if run and not text[run[0].start() + offset : colon].isupper():
            out.append((run[0].start() + offset, colon))
    return out


def _attach_labelled(text: str, crit: CriterionSpan, min_labels: int = MIN_INLINE_LABELS) -> None:
    """Split a run-on paragraph of 'Label: text' parts into sub-items, each with its label as heading."""
    labels = _inline_labels(text, crit.start, crit.end)
    if len(labels) < min_labels:
        return
    # what comes before the first label, after the paragraph's own heading, is a criterion too
    # ("PRIOR CONCURRENT THERAPY: At least 6 months since myeloablative therapy ... Biologic therapy:
    # Not specified ...")
    lead = _trim(text, _text_start(text, crit), labels[0][0])
    reference = _CROSS_REFERENCE.match(text, *lead)
    if reference:
        # ("See Disease Characteristics No limit on the number of prior regimens Biologic therapy: ..."):
        # the cross-reference stays the paragraph's text
        lead = _trim(text, reference.end(), lead[1])
    if lead[1] > lead[0]:
        crit.children.append(CriterionSpan(f"{crit.id}.1", crit.side, *lead, crit.id, inline=True))
    for k, (ls, le) in enumerate(labels):
        end = labels[k + 1][0] if k + 1 < len(labels) else crit.end
        s, e = _trim(text, ls, end)
        if e > s:
            n = len(crit.children) + 1
            crit.children.append(CriterionSpan(f"{crit.id}.{n}", crit.side, s, e, crit.id, (ls, le), inline=True))


@lru_cache(maxsize=1)
def _label_ends() -> frozenset[str]:
    """Words after which a run-on PDQ label starts: the words that end a criterion, and the values
    that end what a label says ("Sex: Female Menopausal status:")."""
    return _run_on_words()[2] | frozenset(word_list("run_on_label_value_ends"))


@lru_cache(maxsize=1)
def _run_on_words() -> tuple[re.Pattern[str], frozenset[str], frozenset[str]]:
    starts = sorted(word_list("run_on_clause_starts"), key=len, reverse=True)
    alternatives = "|".join(r"\s+".join(map(re.escape, w.split())) for w in starts)
    not_starts = word_list("run_on_clause_not_starts")
    excluded = "|".join(r"\s+".join(map(re.escape, w.split())) for w in not_starts)
    pattern = re.compile(rf"(?<=[\w)%])[ \t]{{0,3}}(?:\r?\n[ \t]{{0,16}})?(?=(?:{alternatives})\b)(?!(?:{excluded})\b)")
    return (
        pattern,
        frozenset(word_list("not_before_run_on_clause")),
        frozenset(word_list("run_on_clause_ends")),
    )


def run_on_starts(text: str, start: int, end: int, capitalised: bool = False) -> list[int]:
    """Where a run-on paragraph starts its next criterion inside text[start:end], with no mark
    between ("... of the cervix No prior chemotherapy", the NCI's legacy PDQ listings): a word of
    ``words.json`` ``run_on_clause_starts`` after a lower-case word (not one of
    ``not_before_run_on_clause``: "and/or Effective regurgitant orifice area"), a number, an acronym,
    ")", "%" or a word of ``run_on_clause_ends`` ("See Disease Characteristics No ..."). With
    ``capitalised`` (a PDQ paragraph) any capitalised word after a lower-case word or a number starts
    one too ("... within 6 months Ventricular ejection fraction ..."), a possessive name aside, but
    not an item of a list a lead-in announces (``list_item_starts``)."""
    out = _clause_starts(text, start, end)
    if capitalised:
        capitals = _capitalised_starts(text, start, end) + _sentence_starts(text, start, end)
        items = set(_list_items(text, start, end, set(out), capitals))
        out = [at for at in [*out, *capitals] if at not in items]
    return sorted(set(out))


def list_item_starts(text: str, start: int, end: int) -> list[int]:
    """Where a PDQ paragraph's capitalised words start the items of a list a lead-in announces ("No
    second malignancy except: Adequately treated basal cell carcinoma ... Adequately treated in situ
    carcinoma ...", "... on the following: Physical examination Second-look surgery Bone scan"): the
    list's items, in the lead-in's criterion, not criteria of their own. The list ends where a clause
    starts ("No concurrent serious disorder", "If marrow is infiltrated ...", "English-speaking
    patients eligible for ..."): a word of ``run_on_clause_starts`` other than an item's own
    ("Adequately treated ..."), or words with a verb."""
    if _LIST_LEAD_IN.search(text, start, end) is None:
        return []
    return _list_items(text, start, end, set(_clause_starts(text, start, end)), _capitalised_starts(text, start, end))


def _list_items(text: str, start: int, end: int, explicit: set[int], capitals: list[int]) -> list[int]:
    """``list_item_starts`` given the clause starts and the capitalised starts already found."""
    leads = [m.end() for m in _LIST_LEAD_IN.finditer(text, start, end)]
    if not leads:
        return []
    candidates = sorted(explicit | set(capitals))
    out = []
    for k, lead in enumerate(leads):
        stop = leads[k + 1] if k + 1 < len(leads) else end
        after = [at for at in candidates if lead <= at < stop]
        for j, at in enumerate(after):
            upto = after[j + 1] if j + 1 < len(after) else min(stop, at + 80)
            if (at in explicit and not _LIST_ITEM_LEAD.match(text, at)) or _CLAUSE_VERB.search(text, at, upto):
                break
            out.append(at)
    return out


# a clause start word that starts a list's item, not the next criterion ("except: Adequately treated
# basal cell carcinoma ...")
_LIST_ITEM_LEAD = re.compile(r"(?:Adequately|Curatively)\b")
# a clause, not a list's item: a verb or a condition ("If marrow is infiltrated ...")
_CLAUSE_VERB = re.compile(
    r"^(?:If|Unless|When)\b|\b(?:is|are|was|were|be|been|may|must|should|will|can|allowed|required|eligible|"
    r"ineligible|excluded|permitted)\b"
)


def _capitalised_starts(text: str, start: int, end: int) -> list[int]:
    """In a PDQ paragraph: a capitalised word after a lower-case word, a number, a bracket's end or an
    acronym, and a test's acronym after a threshold."""
    _, not_before, _ = _run_on_words()
    out = []
    for m in _CAPITALISED_AFTER.finditer(text, start, end):
        word = _LAST_WORD.search(text, max(start, m.start() - 40), m.start())
        before = word.group() if word else ""
        # ("... front-line therapy for ALL Initial diagnosis ...": "ALL" in capitals is the leukemia,
        # an acronym that ends a criterion, not the word "all")
        if not before or (before.lower() in not_before and before != "ALL"):
            continue
        if word and _ENUMERATION.fullmatch(before) and not _closes_bracket(text, start, word.start()):
            continue
        if (
            before[0].islower()
            or before[0].isdigit()
            # "... (3 times ULN in the presence of liver metastases) Alkaline phosphatase ..."
            or before[-1] == ")"
            # "... 1.5 times ULN Alkaline phosphatase ...", not "... ULN OR Creatinine clearance" nor
            # a name in title case ("the PLCO Screening Trial", "NCI Common Toxicity Criteria")
            or (
                len(before) > 1
                and before.isupper()
                and before.isalpha()
                and not _ROMAN.fullmatch(before)
                and not _TITLE_CASE_PAIR.match(text, m.end())
            )
        ):
            out.append(m.end())
    # a test named by its acronym after a threshold: "... 1.5 mg/dL SGOT/SGPT less than ...",
    # "... 1.5 times ULN ALT/AST no greater than ..."
    for m in _ACRONYM_AFTER_LIMIT.finditer(text, start, end):
        word = _LAST_WORD.search(text, max(start, m.start() - 40), m.start())
        if word and _LIMIT_END.fullmatch(word.group()) and word.group().lower() not in not_before:
            out.append(m.end())
    return out


# a sentence's end and the capitalised word after it, in a PDQ paragraph
_SENTENCE_THEN_CAPITAL = re.compile(r"(?<=[A-Za-z0-9%)])\.(?:[ \t]{1,3}|[ \t]{0,3}\r?\n[ \t]{0,16})(?=[A-Z])")
# ... not after an abbreviation's point ("e.g. Hodgkin's", "approx. 5", "Dr. Smith", "vs. Placebo",
# initials: "M.D. Anderson Cancer Center", "U.S. residents")
_ABBREVIATION_END = re.compile(
    r"(?:\b(?:e\.g|i\.e|vs|etc|approx|Dr|St|Fig|No|al)|(?<![\w.])(?:[A-Za-z]\.){0,3}[A-Za-z])$", re.IGNORECASE
)


def _sentence_starts(text: str, start: int, end: int) -> list[int]:
    """In a PDQ paragraph whose criteria are sentences ("... or cryosurgery. Gleason score of at least
    6. Prostate specific antigen ..."): the first word of each sentence after the first, outside
    brackets."""
    out = []
    for m in _SENTENCE_THEN_CAPITAL.finditer(text, start, end):
        if _ABBREVIATION_END.search(text, max(start, m.start() - 8), m.start()):
            continue
        if text.count("(", start, m.start()) > text.count(")", start, m.start()):
            continue  # inside a bracket
        out.append(m.end())
    return out


# a lead-in that announces the list after it, in a PDQ paragraph
_LIST_LEAD_IN = re.compile(r"\b(?:except|provided|including)\s*:|\bthe\s+following\b[^:.;]{0,60}:", re.IGNORECASE)


def _clause_starts(text: str, start: int, end: int) -> list[int]:
    """Where a word of ``run_on_clause_starts`` starts the next criterion inside text[start:end]."""
    pattern, not_before, ends = _run_on_words()
    out = []
    for m in pattern.finditer(text, start, end):
        if m.start() == m.end():
            continue  # no space: inside a word
        word = _LAST_WORD.search(text, max(start, m.start() - 40), m.start())
        before = word.group() if word else ""
        if word and _ENUMERATION.fullmatch(before) and not _closes_bracket(text, start, word.start()):
            continue  # "(vii) Patients who ...": an item's number, not the end of a criterion
        if before and (
            (before[0].islower() and before.lower() not in not_before)
            or before[0].isdigit()
            or before[-1] in ")%"
            # "... 2 times ULN No ...", never a conjunction in capitals ("... at diagnosis OR If ...")
            or (len(before) > 1 and before.isupper() and before.lower() not in not_before)
            or before in ends
            # "... Rifabutin Quinolones Aminoglycosides At least 12 weeks since pentoxifylline": a wait
            # since prior therapy starts a criterion after any name
            or (before.lower() not in not_before and _SINCE_CLAUSE.match(text, m.end()) is not None)
        ):
            out.append(m.end())
    return out


_SINCE_CLAUSE = re.compile(r"At\s+least\s+\d+(?:\.\d+)?\s+(?:days?|weeks?|months?|years?)\s+since\b")


def _closes_bracket(text: str, start: int, at: int) -> bool:
    """Whether a ")" right after ``at`` closes a bracket opened in text[start:at] ("... (daily
    temperature no greater than 38 degrees C) No ...": a bracket's end, not an item's letter)."""
    return text.count("(", start, at) > text.count(")", start, at)


# the first marker of a list: "1.", "1)", "(1)", "a.", "a)", "i."
_LIST_RESTART = re.compile(r"\(?(?:1|a|i)[.)]")

_CAPITALISED_AFTER = re.compile(r"(?<=[a-zA-Z0-9%)])(?:[ \t]{1,3}|[ \t]{0,3}\r?\n[ \t]{0,16})(?=[A-Z][a-z]{2,}\b(?!'))")
_TITLE_CASE_PAIR = re.compile(r"[A-Z][a-z]+\s{1,3}[A-Z][a-z]")
_ROMAN = re.compile(r"[IVX]+")  # "grade III or IV New York Heart Association ...": a grade, no acronym
_ACRONYM_AFTER_LIMIT = re.compile(
    r"(?<=\S)(?:[ \t]{1,3}|[ \t]{0,3}\r?\n[ \t]{0,16})(?=[A-Z]{2,}\d?(?:/[A-Z]{2,}\d?)?(?:[ \t]+|[ \t]{0,3}\r?\n[ \t]{0,16})"
    r"(?:and|or|no|not|less|greater|at|below|above|under|over|<|>|≤|≥)\b)"
)
# what a limit ends with: a number, a unit ("g/dL", "%"), a bracket, or the limit of normal
_LIMIT_END = re.compile(r".*(?:\d|/\w+|%|\))|ULN|LLN|normal")


_CROSS_REFERENCE = re.compile(r"See\s+(?:[A-Z][a-z]+\s+){0,3}(?:Characteristics|Criteria)\.?", re.IGNORECASE)


_AFTER_HEADING = re.compile(r"\s*(?:--|[:：])?")


def _text_start(text: str, crit: CriterionSpan) -> int:
    """Where a criterion's own text starts: after its heading's colon (or a topic marker's closing
    dashes) and the spaces after it, else at its start."""
    if crit.heading is None:
        return crit.start
    m = _AFTER_HEADING.match(text, crit.heading[1])
    return m.end() if m else crit.heading[1]


def _attach_run_on(text: str, crit: CriterionSpan, capitalised: bool = False) -> None:
    """Split a criterion that runs on into its next ones (``run_on_starts``) into sub-items; the first
    starts after the criterion's heading."""
    if crit.children:
        return
    cuts = run_on_starts(text, crit.start, crit.end, capitalised)
    if not cuts:
        if capitalised:
            _attach_list_items(text, crit)
        return
    # (after a heading's colon, or a topic marker's closing dashes)
    first = _text_start(text, crit)
    bounds = [first, *cuts, crit.end]
    pieces = _pieces_between(text, bounds)
    # a cross-reference ("See Disease Characteristics") is no criterion: it stays the parent's text,
    # and one criterion left beside it is the labelled criterion itself
    kept = [(s, e) for s, e in pieces if not _CROSS_REFERENCE.fullmatch(text, s, e)]
    if len(kept) < len(pieces) and len(kept) == 1:
        return
    for n, (s, e) in enumerate(kept, 1):
        child = CriterionSpan(f"{crit.id}.{n}", crit.side, s, e, crit.id, inline=True)
        if capitalised:
            _attach_list_items(text, child)
        crit.children.append(child)


def _pieces_between(text: str, bounds: list[int]) -> list[Span]:
    """The non-empty trimmed spans between consecutive offsets."""
    return [(s, e) for s, e in (_trim(text, s, e) for s, e in itertools.pairwise(bounds)) if e > s]


_FIRST_ITEM = re.compile(r"\s*(?=[A-Z])")


def _attach_list_items(text: str, crit: CriterionSpan) -> None:
    """The items of a list a lead-in announces in a PDQ paragraph ("... of one of the following types:
    Transformed low grade Diffuse small cleaved cell ...", "At least 6 months since the following:
    More than 24 Gy craniospinal irradiation ..."): the lead-in criterion's sub-items, one per item."""
    items = [at for at in list_item_starts(text, crit.start, crit.end) if at > crit.start]
    if not items:
        return
    # (the first item follows the lead-in's colon, no lower-case word before it)
    leads = [m.end() for m in _LIST_LEAD_IN.finditer(text, crit.start, items[0])]
    first = _FIRST_ITEM.match(text, leads[-1]) if leads else None
    if first is not None and first.end() < items[0]:
        items.insert(0, first.end())
    if len(items) < 2:
        return
    bounds = [*items, crit.end]
    pieces = _pieces_between(text, bounds)
    for n, (s, e) in enumerate(pieces, 1):
        crit.children.append(CriterionSpan(f"{crit.id}.{n}", crit.side, s, e, crit.id, inline=True))


_BULLET_MARK = re.compile(r"[ \t]*[-*•·◦▪‣][ \t]+")


def _announcing_item(text: str, item: CriterionSpan) -> bool:
    """A bulleted item, childless, that announces what the bullets after it are ("Excluded within 60 days
    of study entry:"), as an unbulleted announcement line does (``_announces``)."""
    return not item.children and _announces(text[item.start : item.end])


_TRAILING_MARKER = re.compile(r"(?:\s*(?:[-*•·◦▪‣]|\(?\d{1,2}[.)]|\(?[a-z][.)]))?\s*$")


def _own_text_announces(text: str, crit: CriterionSpan) -> bool:
    """Whether a criterion's own text (before its first sub-item) ends with a colon: its first line
    ("Excluded:"), or the last line of a paragraph ("Be a known carrier of immunodeficiency
    disease.\r\nSpecific disorders may include but are not limited to:")."""
    if text[crit.start : _first_line_end(text, crit)].rstrip().endswith(":"):
        return True
    end = crit.children[0].start if crit.children else crit.end
    own = text[crit.start : end]
    marker = _TRAILING_MARKER.search(own) if crit.children else None
    return own[: marker.start() if marker else len(own)].rstrip().endswith(":")


def _first_line_end(text: str, crit: CriterionSpan) -> int:
    nl = text.find("\n", crit.start, crit.end)
    return crit.end if nl == -1 else nl


def _attach(text: str, parent: CriterionSpan, trees: list[tuple[Span, list[Any]]]) -> None:
    for n, ((s, e), children) in enumerate(trees, 1):
        child = CriterionSpan(f"{parent.id}.{n}", parent.side, s, e, parent.id, None)
        _attach(text, child, children)
        parent.children.append(child)


def flatten(criteria: list[CriterionSpan]) -> list[CriterionSpan]:
    """Criteria in source order, each parent before its sub-items."""
    out: list[CriterionSpan] = []
    for c in criteria:
        out.append(c)
        out.extend(flatten(c.children))
    return out


def _field(text: str, s: int, e: int, value: Any = None) -> dict[str, Any]:
    f: dict[str, Any] = {"text": text[s:e], "span": [s, e]}
    if value is not None:
        f["value"] = value
    return f


def trial_fields(text: str, limit: int, kind: str) -> dict[str, Any]:
    """The trial's own content found before the criteria (``limit``), skipping page chrome."""
    cfg = _config()
    fields = cfg["_fields"]
    trial: dict[str, Any] = {}
    lines = [ln for ln in split_lines(text, 0, limit) if not is_chrome(ln.text)]
    m = fields["nct_id"].search(text)
    if m:
        trial["nct_id"] = _field(text, m.start("v"), m.end("v"), m.group("v").upper())
    if kind != "listing":
        return trial
    if lines:
        first = lines[0]
        if not _header(first) and len(first.text) < 300:
            trial["title"] = _field(text, first.start, first.end)
    for i, ln in enumerate(lines):
        low = ln.text.lower().lstrip("• ").strip()
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if low in {"sponsor", "end date"} and nxt is not None:
            key = "sponsor" if low == "sponsor" else "end_date"
            trial.setdefault(key, _field(text, nxt.start, nxt.end))
            continue
        for key in ("conditions", "treatments"):
            fm = fields[key].match(ln.text)
            if fm:
                trial.setdefault(key, []).append(_field(text, ln.start + fm.start("v"), ln.start + fm.end("v")))
        gm = cfg["_sponsor_glued"].match(ln.text) or fields["sponsor"].match(ln.text)
        if gm and "sponsor" not in trial:
            trial["sponsor"] = _field(text, ln.start + gm.start("v"), ln.start + gm.end("v"))
        lm = fields["last_modified"].match(ln.text)
        if lm:
            trial["last_modified"] = _field(text, ln.start + lm.start("v"), ln.start + lm.end("v"))
        if "summary" not in trial and len(ln.text) > 120:
            trial["summary"] = _field(text, ln.start, ln.end)
    scope = [trial[k] for k in ("summary", "title") if k in trial]
    for f in scope:
        s0 = f["span"][0]
        pm = fields["phase"].search(f["text"])
        if pm and "phase" not in trial:
            v = pm.group("v")
            trial["phase"] = _field(text, s0 + pm.start("v"), s0 + pm.end("v"), _phase_value(v))
    if "summary" in trial:
        s0 = trial["summary"]["span"][0]
        seen = set()
        for dm in cfg["_design"].finditer(trial["summary"]["text"]):
            key = dm.group().lower().replace("-", " ")
            if key not in seen:
                seen.add(key)
                trial.setdefault("design", []).append(_field(text, s0 + dm.start(), s0 + dm.end(), key))
    return trial


def _phase_value(written: str) -> str:
    roman = {"I": "1", "II": "2", "III": "3", "IV": "4"}
    parts = re.split(r"\s*(?:/|-|and)\s*", re.sub(r"(?i)^phase\s+", "", written))
    return "/".join("Phase " + roman.get(p.upper(), p) for p in parts if p)


def analyse(text: str, source_name: str | None = None) -> Layout:
    """Find the layout: sections and criteria, trial fields, and lines no criterion could hold.

    A text with Inclusion/Exclusion headers is a criteria block (a listing page when it carries page
    chrome or listing labels); a text with none is a bare list of criteria, unless it looks like a
    listing page, which then has no criteria section and is refused.
    """
    cfg = _config()
    low = text.lower()
    looks_like_listing = sum(marker in low for marker in cfg["listing_markers"]) >= 2
    sections = find_sections(text)
    if sections:
        kind = "listing" if looks_like_listing else "criteria_block"
        if kind == "criteria_block":
            sections = _with_preamble(text, sections)
    elif looks_like_listing:
        raise NoCriteriaError("no Inclusion or Exclusion criteria section found", source=source_name)
    else:
        kind = "bare_list"
        lines = [ln for ln in split_lines(text) if not is_chrome(ln.text)]
        if not lines or not any(re.search(r"[A-Za-z]{2}", ln.text) for ln in lines):
            raise NoCriteriaError("no criteria text found", source=source_name)
        sections = [Section("inclusion", None, lines[0].start, lines[-1].end, lines)]
    unrecognised: list[Span] = []
    soft_wraps: list[Span] = []
    criteria = segment(text, sections, unrecognised, soft_wraps)
    criteria = _without_inline_notes(text, criteria, unrecognised)
    if not criteria:
        raise NoCriteriaError("criteria sections are empty", source=source_name)
    first = min(s.start for s in sections)
    trial = trial_fields(text, first, kind)
    return Layout(kind, sections, criteria, trial, unrecognised, soft_wraps)
