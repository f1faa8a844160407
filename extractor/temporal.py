"""Time windows: a duration (ISO 8601) with a direction and an anchor event.

"within 90 days before visit 2", "in the past 6 months", "48 hours before CAR T cell reinfusion",
"until the last follow-up". Anchors come from ``resources/anchors.json``; no written anchor means the
index date (enrolment/screening), named ``index``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from .rules import AnchorRule, load_rules, word_set
from .trie import start_guard
from .values import WRAPPED_BREAK

_WORD_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fourteen": 14,
    "thirty": 30,
}
_UNITS = {
    "year": ("Y", 365.25),
    "month": ("M", 30.4375),
    "week": ("W", 7.0),
    "day": ("D", 1.0),
    "hour": ("H", 1 / 24),
}
# a number word is a whole word: "one" is not read in "questioned", "a" in "had", "ten" in "attend"
_NUMBER = r"(?P<num>\d{1,4}(?:\.\d+)?|\b(?:" + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True)) + r")\b)"
_UNIT = r"(?P<unit>years?|yrs?|months?|mos?|weeks?|wks?|days?|d|hours?|hrs?|h)\b"
_LEAD = (
    r"(?P<lead>within(?:\s+the)?(?:\s+(?:past|last|previous|preceding|prior|(?:most\s+)?recent|next|coming|following))?"
    # ("in last 6 months", "during past 3 months": the article is often left out)
    r"|in\s+(?:the\s+)?(?:past|last|previous|preceding|prior|(?:most\s+)?recent|next|coming|following)"
    r"|during\s+(?:the\s+)?(?:past|last|previous|preceding|prior|(?:most\s+)?recent|next|coming|following)"
    r"|over\s+(?:the\s+)?(?:past|last|recent|next|coming|following)"
    # ("for at least the past three months", "for the last 6 weeks": how long a state has lasted up to now)
    r"|for\s+(?:at\s+least\s+)?(?:the\s+)?(?:past|last|previous|preceding)"
    # ("for a minimum of 30 days prior to study entry": at least that long)
    # (not after "within": "within a minimum of 6 weeks prior to study treatment" is within)
    r"|(?:for\s+)?(?<!within\s)an?\s+(?:minimum|maximum)\s+of"
    # ("at least for 3 years post treatment": the bound before "for")
    r"|for\s+(?:at\s+least|more\s+than|over|longer\s+than|less\s+than)|at\s+least\s+for|for|at\s+least|less\s+than"
    r"|more\s+than|longer\s+than"
    r"|greater\s+than|not?\s+(?:more|longer|greater)\s+than|up\s+to|over|[<>≤≥]=?|=)"
)
# ("≥ 7 days post last chemotherapy": "post" as a word of its own counts from an event, as "since" does)
# ("14 days must have elapsed since the completion of therapy", "2 weeks must have elapsed for local
# palliative radiotherapy", "6 months must have elapsed if prior craniospinal RT": as "since")
_DIRECTION = (
    r"(?P<dir>(?:(?:must|should)\s+)?(?:have\s+|has\s+)?(?:elapsed|passed)\s+(?:since|from|for|if)"
    # ("the 30 days immediately preceding the first treatment visit")
    # ("within the last 6 months prior to or at the Baseline Visit")
    # ("for six months afterwards", "for 30 days thereafter": after the end of the period named before)
    r"|(?:after(?:wards?)?|thereafter)(?!\w)"
    r"|(?:(?:immediately|just|directly)\s+)?(?:(?:before|prior\s+to)(?:\s+or\s+(?:at|on))?|preceding|after|following)"
    r"|since"
    # ("less than 4 months postpartum": after childbirth, the word its own anchor)
    r"|post[- ]?partum\b|post(?=\s)|from|of)"
)
_ELAPSED = re.compile(r".*(?:elapsed|passed)\s", re.IGNORECASE | re.DOTALL)
_CONJUNCTION_FIRST = re.compile(r"and\s*/\s*or\b", re.IGNORECASE)
_AFTERWARDS = re.compile(r"afterwards?|thereafter", re.IGNORECASE)
# the period "afterwards" counts from the end of: the nearest one named before it in the criterion
_PERIOD_BEFORE = re.compile(
    r"\b(?P<treatment>treatment|therapy|dosing|doses?|drugs?|medications?|vaccinations?|infusions?|administration)\b"
    r"|\b(?P<study>study|trial|participation)\b",
    re.IGNORECASE,
)


# "1 month before, during, and for 3 months after study", "4 weeks prior to and during the study":
# a window before with no event of its own, then "during"
_THEN_DURING = re.compile(
    r"[ \t]*(?:,[ \t\r\n]*(?:and(?:/or)?[ \t\r\n]+)?|[ \t\r\n]+and(?:/or)?[ \t\r\n]+)during\b", re.IGNORECASE
)
# ... and the study named after "during" or "after" (not its treatment: "after study treatment")
_STUDY_NAMED = re.compile(
    r"\b(?:during|after|following)\s+(?:the\s+|this\s+)?(?P<study>study|trial)\b"
    r"(?!\s+(?:treatment|therapy|drugs?|medications?|agents?|interventions?|vaccines?))",
    re.IGNORECASE,
)


def _shared_study_anchor(text: str, pos: int, stops: frozenset[int]) -> tuple[int, int, str, str] | None:
    """The study a window before "during" ends at, where it names no event of its own ("for 1 month
    before, during, and for 3 months after study": before study entry), or None."""
    during = _THEN_DURING.match(text, pos)
    if during is None:
        return None
    study = _STUDY_NAMED.search(text, pos, pos + 160)
    if study is None:
        # "within 24 hours before and/or during the PK sampling period": before that period starts
        return match_anchor(text, during.end()) or _generic_event(text, during.end(), stops=stops)
    return (study.start("study"), study.end("study"), "enrollment", "Reference_point")


def _end_of_period_before(text: str, pos: int) -> str:
    """The anchor a window "afterwards" or "thereafter" counts from: the end of the treatment or of the
    study named last before ``pos`` ("while on study drug and for 30 days thereafter": end of
    treatment; "during the study and for six months afterwards": end of study, also where none is)."""
    last = None
    for m in _PERIOD_BEFORE.finditer(text, max(0, pos - 120), pos):
        last = m
    return "end of treatment" if last is not None and last.group("treatment") else "end of study"


_POSTPARTUM = re.compile(r"post[- ]?partum", re.IGNORECASE)
# "after its completion", "after their end": the end of what was named before
_PRONOUN_END = re.compile(
    r"[ \t]*(?P<end>(?:its|their)[ \t]+(?:completion|end|termination|discontinuation|conclusion|cessation))\b",
    re.IGNORECASE,
)
_IMMEDIATELY = re.compile(r"^(?:immediately|just|directly)\s+", re.IGNORECASE)
# "two (2) weeks": a number word echoed in digits
# a hard-wrapped line may break between the number and its unit ("within 28\r\n     days"), bounded
_DURATION = rf"{_NUMBER}(?:\s{{0,2}}\(\s{{0,2}}\d{{1,4}}\s{{0,2}}\))?(?:{WRAPPED_BREAK}|\s{{0,2}}[-\s]?){_UNIT}"
# the duration restated in brackets ("within 3 months (90 days) prior to ..."), or a one-word aside before the direction
# ("for two weeks (washout) after enrolment"; not "in the last 3 months (females)")
_RESTATED = (
    r"(?:\s{0,2}\(\s{0,2}\d{1,4}\s{0,2}(?:years?|months?|weeks?|days?|hours?)\s{0,2}\)"
    r"|\s{0,2}\(\s{0,2}[A-Za-z][\w-]{2,20}\s{0,2}\)(?=\s{1,3}(?:before|after|prior|following|preceding)\b))?"
)


@dataclass
class Window:
    """A time window; offsets relative to the text it was found in."""

    start: int
    end: int
    direction: str
    anchor_name: str
    rule: str
    comparator: str | None = None
    duration: str | None = None
    days: float | None = None
    anchor_start: int | None = None
    anchor_end: int | None = None
    anchor_type: str | None = None
    half_lives: float | None = None
    whichever: str | None = None
    # what the window times when the text names it as the event counted from ("At least 4 weeks since
    # prior chemotherapy": the chemotherapy, at least 4 weeks before the index date)
    event_start: int | None = None
    event_end: int | None = None


@lru_cache(maxsize=1)
def _anchors() -> tuple[tuple[re.Pattern[str], AnchorRule], ...]:
    return tuple((re.compile(r.regex, re.IGNORECASE), r) for r in load_rules("anchors.json", AnchorRule))


@lru_cache(maxsize=1)
def _event_heads() -> frozenset[str]:
    return word_set("event_anchor_heads")


def _clinical_event(name: str) -> bool:
    """An event name whose last word heads a clinical event (``words.json`` event_anchor_heads:
    "radical prostatectomy", "prior chemotherapy", "diagnosis")."""
    words = name.split()
    if not words:
        return False
    last = words[-1].lower()
    # ("before initiation of shockwave/sham treatments": a plural heads the event too)
    return last in _event_heads() or (last.endswith("s") and last[:-1] in _event_heads())


def _clinical_head(text: str, event: tuple[int, int, str, str] | None) -> tuple[int, int, str, str] | None:
    """The event cut after its last clinical-event head word ("after surgery allowed": the surgery),
    or None where no word heads one."""
    return _cut_at_head(text, event, _clinical_event)


def _period_head(text: str, event: tuple[int, int, str, str] | None) -> tuple[int, int, str, str] | None:
    """The event cut after its last word that names a period of the study ("the double-blind phase
    of study", "the PK sampling period", "hospital stay"), or None."""
    return _cut_at_head(text, event, lambda name: name.split()[-1] in _PERIOD_HEADS)


def _cut_at_head(
    text: str, event: tuple[int, int, str, str] | None, heads: Callable[[str], bool]
) -> tuple[int, int, str, str] | None:
    if event is None:
        return None
    words = list(re.finditer(r"[\w\-/]+", text[event[0] : event[1]]))
    for k in range(len(words), 0, -1):
        name = re.sub(r"\s+", " ", text[event[0] : event[0] + words[k - 1].end()].lower())
        if heads(name):
            return event[0], event[0] + words[k - 1].end(), _PRIOR_WORD.sub("", name) or name, event[3]
    return None


def compile_patterns() -> None:
    """Compile the anchor rules now, when the pipeline is built, instead of on the first window."""
    _anchors()


# an event as the study plans it: "the planned first dose", "the scheduled date of randomization"
_PLANNED_WORDS = r"(?:planned|scheduled|anticipated|intended|expected)"
# (or a possessive: "prior to their enrollment on the protocol")
_ANCHOR_LEAD = re.compile(
    # ("before the planned first dose of study treatment": the first dose, as planned; "the planned
    # date of the index surgery": the surgery)
    rf"\s*(?:(?:the|their|his|her|its|your|each|every)\s+)?(?:{_PLANNED_WORDS}\s+(?=date|day))?"
    r"(?:(?:date|day|time)\s+of\s+(?:the\s+|their\s+)?(?=\S))?"
    rf"(?:{_PLANNED_WORDS}\s+(?=\S))?",
    re.IGNORECASE,
)


def match_anchor(text: str, pos: int) -> tuple[int, int, str, str] | None:
    """The anchor event starting at ``pos`` (after spaces): (start, end, canonical name, Chia type)."""
    # the anchor mention leaves out a leading article: "until the last follow-up" -> "last follow-up"
    # ... and "the date of": "from the date of the screening visit" is counted from the screening
    m_space = _ANCHOR_LEAD.match(text, pos)
    start = m_space.end() if m_space else pos
    best = None
    for pattern, rule in _anchors():
        m = pattern.match(text, start)
        if m and (best is None or m.end() > best[1]):
            name = rule.name.format(**{k: v for k, v in m.groupdict().items() if v})
            best = (m.start(), m.end(), name, rule.type)
    if (
        best is not None
        and best[2] == "enrollment"
        and _BARE_STUDY.fullmatch(text, best[0], best[1])
        and _AFTER_END.search(text, max(0, pos - 12), pos)
    ):
        # "for 2 months after study", "6 months following the trial": after the study has ended
        best = (best[0], best[1], "end of study", best[3])
    return best


_BARE_STUDY = re.compile(r"(?:(?:the|this)\s+)?(?:study|trial)", re.IGNORECASE)
_AFTER_END = re.compile(r"\b(?:after|following)\s*$", re.IGNORECASE)


# Words that end an event phrase named after "since"/"before"/"after": clause words, verbs and the
# prepositions that start another relation ("prior to surgery in the last year", "after surgery and").
_EVENT_STOP = frozenset(
    (
        "and or with without unless except if who which that whom whose is are was were be been being has have had "
        "will would should must may might can could in for to at on by as than while when where not nor but "
        "including during until via per e.g i.e etc this these those such any other whichever all no "
        # a comparator after the event starts a threshold on it ("since prior radiotherapy greater
        # than 1,500 cGy"): the event ends before it
        "greater less more fewer higher lower exceeding above below"
    ).split()
)
# a word after which a number belongs to the event ("day 1", "visit 2", "cycle 1 day 1")
_COUNTED_WORDS = frozenset({"day", "dose", "week", "cycle", "visit", "month", "part", "phase"})
# words an event phrase never ends on ("completion of", "the start of the")
_DANGLING = frozenset({"of", "the", "a", "an"})
_ARTICLES = frozenset({"the", "a", "an"})
# ... nor on a word that only qualifies the event ("since prior" at a line's end names none)
_QUALIFYING = frozenset({"prior", "previous", "last", "first", "initial", "recent"})
# ... nor on what starts or ends an event without the event ("within 2 weeks of starting")
_ONSETS = frozenset(
    "start starting begin beginning initiating initiation commencing commencement completing completion "
    "discontinuing discontinuation stopping cessation receiving".split()
)
_EVENT_WORD = re.compile(r"(?P<space>\s*)(?P<word>[A-Za-z][\w\-/]*|\d{1,3}\b)")
# directions after which an unknown event phrase is still read as the anchor ("of" is left out:
# "at least 12 months of amenorrhea" is a duration of a state, not a window before an event)
_GENERIC_DIRECTIONS = ("before", "prior", "preceding", "after", "following", "from", "since", "post")
#: the direction words that count back from the index date to an event the patient had
_SINCE_WORDS = ("since", "post")
# ... but after "of" an event named by what starts or ends it is one ("within 28 days of starting
# SNDX-5613", "within 2 weeks of the last dose of chemotherapy")
_EVENT_START = re.compile(
    r"\s*(?:the\s+)?(?:start(?:ing)?|begin(?:ning)?|initiat(?:ing|ion)|commenc(?:ing|ement)|receiving"
    r"|complet(?:ing|ion)|discontinu(?:ing|ation)|stopping|cessation|last\s+dose|first\s+dose)\b",
    re.IGNORECASE,
)


_DATE_OF = re.compile(
    # ("within 9 weeks of the time of initiation of protease-inhibitor therapy": the initiation)
    rf"\s*(?:the\s+)?(?:{_PLANNED_WORDS}\s+)?(?:date|day|time)\s+of\s+(?=\S)",
    re.IGNORECASE,
)
_EVENT_DETERMINERS = re.compile(
    r"[ \t]*(?:(?:any|all|other|their|his|her|each|every)[ \t]+){1,2}(?=[A-Za-z])", re.IGNORECASE
)


def _generic_event(
    text: str, pos: int, max_words: int = 5, stops: frozenset[int] = frozenset(), determiners: bool = True
) -> tuple[int, int, str, str] | None:
    """The event phrase after a direction word when no anchor rule names it: (start, end, name, type).

    "prior to dosing", "since prior chemotherapy", "prior to cycle 1 day 1", "after the\n start of
    therapy": up to five words besides "of" and "the"; it crosses a line break only into a lower-case word (registry text
    is hard-wrapped), and stops at a clause word, at punctuation, and at a capitalised word after a
    lower-case one ("since prior radiotherapy Surgery:" -- the next item of a flattened list), and
    before a word at one of ``stops`` (where the layout found the next criterion starting)."""
    words: list[tuple[int, int, str]] = []
    # "since any other prior radiotherapy": the determiners lead the event, they name none of it
    # (after "of"/"from" such an event is no anchor: "in the past 30 days from any another clinical trial")
    lead = _EVENT_DETERMINERS.match(text, pos) if determiners else None
    at = lead.end() if lead else pos
    # ("of the planned date of the index surgery": the surgery, on the day it is planned for)
    date_of = _DATE_OF.match(text, at)
    at = date_of.end() if date_of else at

    def content(ws: list[tuple[int, int, str]]) -> int:
        # "of" and "the" are not counted: "the first use of the study drug" is four words; nor is a
        # leading "prior": "after prior autologous stem cell transplantation" names a four-word event
        return sum(
            1
            for k, w in enumerate(ws)
            if w[2].lower() not in _DANGLING and not (k == 0 and w[2].lower() in ("prior", "previous"))
        )

    while content(words) < max_words + 1:
        m = _EVENT_WORD.match(text, at)
        if not m:
            break
        space, word = m.group("space"), m.group("word")
        low = word.lower()
        if words and not space:
            break
        if ("\n" in space and not word[0].islower()) or m.start("word") in stops:
            break
        # ("prior to a study visit": an article may lead the event, "of" may not)
        if low in _EVENT_STOP or (not words and low in _DANGLING and low not in _ARTICLES):
            break
        if word[0].isdigit() and not (words and words[-1][2].lower() in _COUNTED_WORDS):
            break
        after_lower = words and words[-1][2][0].islower() and words[-1][2].lower() != "the"
        if after_lower and word[0].isupper() and not word.isupper():
            break
        words.append((m.start("word"), m.end("word"), word))
        at = m.end()
    if words and words[0][2].lower() in _ARTICLES:
        words = words[1:]
    while content(words) > max_words:
        words.pop()
    while words and words[-1][2].lower() in _DANGLING | _QUALIFYING | _ONSETS:
        words.pop()
    if not words:
        return None
    start, end = words[0][0], words[-1][1]
    name = re.sub(r"\s+", " ", text[start:end].lower())
    # "since prior radiotherapy" and "since radiotherapy" name one event
    name = _PRIOR_WORD.sub("", name) or name
    return start, end, name, "Reference_point"


_PRIOR_WORD = re.compile(r"^(?:prior|previous)\s+(?=\S)")


def iso_duration(number: float, unit: str) -> tuple[str, float]:
    """ISO 8601 duration and length in days (months 30.4375 days, years 365.25 days)."""
    key = unit.lower().rstrip("s")
    # (written forms and UCUM codes alike: "yr", "a", "mo", "wk", "d", "h")
    key = {"yr": "year", "a": "year", "mo": "month", "wk": "week", "d": "day", "h": "hour", "hr": "hour"}.get(key, key)
    letter, days = _UNITS[key]
    n = int(number) if float(number).is_integer() else number
    iso = f"PT{n}{letter}" if letter == "H" else f"P{n}{letter}"
    return iso, round(float(number) * days, 4)


def _num(text: str) -> float:
    low = text.lower()
    return float(_WORD_NUMBERS[low]) if low in _WORD_NUMBERS else float(text)


# between a duration and its direction word: a few spaces, or the line break of hard-wrapped registry
# text ("within 30 days\r\n     prior to study entry"); both alternatives are bounded
_WRAP_GAP = rf"(?:{WRAPPED_BREAK}|\s{{1,3}})"
# "within 4 weeks or 5 half-lives (whichever is longer)", "within 5 half-lives or 28 days, whichever
# is shorter", "within the longer of 30 days or 10 half-lives of the agent": the same window counted
# in half-lives of the drug as well, and which of the two bounds applies
_HALF_LIVES = r"\s{0,2}-?\s{0,2}half[- ]?li(?:ves|fes?)"
_OF_THE_DRUG = (
    r"(?:\s{1,3}of\s{1,3}(?:(?:the|that|this|any|each|its|such)\s{1,3})?(?:[\w-]+\s{1,3}){0,2}?"
    r"(?:drug|agent|compound|product|therapy|treatment|medication|substance)s?)?"
)
_HALF_LIFE_NUMBER = r"\d{1,2}|" + "|".join(w for w in sorted(_WORD_NUMBERS, key=len, reverse=True) if len(w) > 2)
_WHICHEVER = (
    rf"(?:{_WRAP_GAP}|\s{{0,3}})(?:,\s{{0,3}}|(?P<which_open>\()\s{{0,2}})?whichever\s{{1,3}}(?:is|occurs|comes)\s{{1,3}}"
    r"(?P<which>longer|longest|shorter|shortest|greater|less|later|earlier)(?(which_open)\s{0,2}\))"
)
_WHICHEVER_RE = re.compile(_WHICHEVER, re.IGNORECASE)
_WINDOW_LEAD = rf"(?:(?<![\w<>=≤≥]){_LEAD}(?:{WRAPPED_BREAK}|\s{{0,3}}))?"
_WINDOW_DIRECTION = rf"(?:{_WRAP_GAP}(?:or\s+(?P<post>less|more|longer|shorter|earlier|later)\s+)?{_DIRECTION})?"
# ... or between the lead and the number ("within the past\r\n     28 days")
_WINDOW = rf"{_WINDOW_LEAD}{_DURATION}{_RESTATED}{_WINDOW_DIRECTION}"
# the same with drug half-lives, tried only where the text names them or chooses a bound
_WINDOW_HALF_LIVES = (
    _WINDOW_LEAD + r"(?:the\s{1,3}(?P<which_lead>longer|shorter|greater|lesser)\s{1,3}of\s{1,3})?"
    rf"(?:(?:(?P<hl_first>{_HALF_LIFE_NUMBER}){_HALF_LIVES}{_OF_THE_DRUG}\s{{1,3}}or\s{{1,3}})?"
    rf"{_DURATION}{_RESTATED}"
    rf"(?:\s{{0,3}},?\s{{0,3}}(?P<hl_open>\()?\s{{0,2}}or\s{{1,3}}(?P<hl_after>{_HALF_LIFE_NUMBER}){_HALF_LIVES}{_OF_THE_DRUG}"
    r"(?(hl_open)(?:\s{0,2}\))?))?"
    # "within 5 half-lives of that drug prior to entry": a window counted in half-lives alone
    rf"|(?P<hl_only>{_HALF_LIFE_NUMBER}){_HALF_LIVES}{_OF_THE_DRUG})"
    rf"(?:{_WHICHEVER})?"
    # ("..., whichever is shorter, prior to the first dose": a comma after the clause)
    rf"(?:(?(which),?|){_WRAP_GAP}(?:or\s+(?P<post>less|more|longer|shorter|earlier|later)\s+)?{_DIRECTION})?"
)
_HALF_LIFE_WORDS = re.compile(r"half|whichever|(?:longer|shorter|greater|lesser)\s+of", re.IGNORECASE)
_WHICH = {"longest": "longer", "greater": "longer", "later": "longer", "shortest": "shorter", "less": "shorter"}
_WHICH |= {"lesser": "shorter", "earlier": "shorter"}
# Where a window can start: the first word or sign of its lead, or its number ("a" only before what
# can follow it in a duration: "a day", "a (1) week", "a-month", "an hour"). The guard rejects most
# positions at one character test, where the engine would try each alternative of the lead and of
# the number (see trie.start_guard); it changes no match.
_WINDOW_STARTS = start_guard(
    ["within", "in", "during", "over", "for", "at", "less", "more", "longer", "greater", "no", "up"]
    + ["<", ">", "≤", "≥", "="]
    + [w for w in _WORD_NUMBERS if w not in ("a", "an")]
    + ["a" + after for after in " (-ymwdhn"],
    classes=r"\d",
)
_WINDOW_RE = re.compile(_WINDOW_STARTS + _WINDOW, re.IGNORECASE)
_WINDOW_HALF_LIVES_RE = re.compile(_WINDOW_STARTS + _WINDOW_HALF_LIVES, re.IGNORECASE)
# a bracket right after a window, its parts each a duration for what it names: "(6 weeks for
# nitrosoureas)", "(2 weeks for oral cyclophosphamide or 6 weeks for nitrosoureas or mitomycin)"
_BRACKET_AFTER = re.compile(r"\s{0,3}\((?P<inner>[^()]{1,240})\)")
_FOR_WHAT_PART = re.compile(
    rf"\s{{0,3}}{_NUMBER}(?:{WRAPPED_BREAK}|\s{{0,2}}-?){_UNIT}{_WRAP_GAP}for{_WRAP_GAP}"
    # (what it names may be hard-wrapped: "(6 weeks for nitrosoureas or\r\n     mitomycin)")
    r"(?P<what>(?:[^()\r\n;]|\r?\n[ \t]{0,16}(?=\S)){1,60}?)(?=\s*(?:[,;]|\bor\b|\band\b)\s*\d|\s*$)",
    re.IGNORECASE,
)
_FOR_WHAT_SEP = re.compile(r"\s*(?:[,;]|\bor\b|\band\b)\s*", re.IGNORECASE)
_FOR_WHAT_LEAD = re.compile(r"[^()]{0,120}?\b(?:e\.g\.|i\.e\.|for\s+example|such\s+as)[,:]?\s*", re.IGNORECASE)
# "within the past year", "in the last month (30 days)": one unit, its count left unwritten
_LAST_UNIT_RE = re.compile(
    r"\b(?P<lead>(?:within|in|during|over)\s+(?:the(?:\s+(?:past|last|previous|preceding|prior|next|coming|following))?"
    r"|(?:past|last|previous|preceding|prior))"
    # ("for at least the past year": it has lasted that long)
    r"|for\s+(?:at\s+least\s+)?(?:the\s+)?(?:past|last|previous|preceding))\s+"
    r"(?P<unit>year|month|week|day)\b" + _RESTATED + r"(?:\s{1,3}(?P<dir>before|prior\s+to|preceding|of)\b\s{0,3})?",
    re.IGNORECASE,
)
_OPENING_PART_BEFORE = re.compile(r"\b(?:during|in|within|over|for)\s+the\s+first\s+$", re.IGNORECASE)
_PLANNED = re.compile(r"\b(?:planned|scheduled|anticipated|intended)\b", re.IGNORECASE)
_STUDY_EVENT = re.compile(
    r"^(?:beginning|initiating|initiation|starting|start|commencing|day)\b|\b(?:study|protocol|trial|index)\b"
    r"|(?:immuni[sz]ations?|vaccinations?)$"
)
# "received the following prior therapy": "following" as a determiner, no direction
_THE_BEFORE = re.compile(r"\b(?:the|these|those)\s{1,3}$", re.IGNORECASE)
_PREFIXED_EVENT_RE = re.compile(
    r"\b(?:(?P<first>pre|post)-?\s{1,3}(?:or|and|and/or|/)\s{1,3})?(?P<prefix>pre|post)-?\s?"
    r"(?P<event>operative(?:ly)?|surgical(?:ly)?|surgery|transplant(?:ation)?)\b",
    re.IGNORECASE,
)
_BARE_DIRECTION_RE = re.compile(r"\b(?P<dir>before|prior\s+to|after|following|until|till|up\s+to)\b", re.IGNORECASE)
# "Hemoglobin < 12 g/dL at screening", "at the time of randomization": when, a known anchor event
# "during days 5-14 following randomization", "on days 1 to 4 after randomization"
_DAY_RANGE_RE = re.compile(
    r"\b(?:during|on|from|between)\s{1,3}days?\s{1,3}(?P<low>\d{1,3})\s{0,3}(?:-|–|to|through|and)\s{0,3}"
    r"(?P<high>\d{1,3})\s{1,3}(?:following|after|post)\s{1,3}",
    re.IGNORECASE,
)
# the length of a period written before its name ("during the 4-week run-in phase")
_PERIOD_LENGTH = re.compile(r"\b(?P<n>\d{1,3})[- ](?P<unit>day|week|month)\b", re.IGNORECASE)
_AT_ANCHOR_RE = re.compile(r"\b(?:at(?:\s{1,3}the\s{1,3}time\s{1,3}of)?|during)(?=\s{1,3}\S)", re.IGNORECASE)
# "opportunistic infection on enrollment", "testosterone < 270 ng/dL on screening": "on" an event of the
# study's own calendar (not "based on screening date", "depending on baseline")
_ON_ANCHOR_RE = re.compile(r"(?<!based )(?<!depending )(?<!dependent )\bon(?=\s{1,3}\S)", re.IGNORECASE)
_ON_ANCHORS = frozenset(
    {"enrollment", "screening", "baseline", "admission", "randomization", "screening visit", "baseline visit"}
)
# ... the event's word before the examination it dates ("abnormality on screening ECG", "on screening
# MRI"): the event alone is the window's mention
_DATED_EXAM = re.compile(
    r"[ \t]{1,3}(?:ECGs?|EKGs?|electrocardiograms?|echocardiograms?|MRIs?|CTs?|scans?|x-rays?|labs?|laboratory"
    r"|tests?|examinations?|exams?|biopsy|biopsies|assessments?)\b",
    re.IGNORECASE,
)
# "during the study" is the study period (a Temporal mention only), not a time at enrolment
_NOT_DURING = frozenset({"enrollment", "end of study", "treatment start"})
# ... not where the event's word qualifies a noun after it ("at entry doses", "at screening levels")
_ANCHOR_AS_MODIFIER = re.compile(r"[ \t]{1,3}(?:doses?|dosing|levels?|criteria|values?)\b", re.IGNORECASE)
# "during X", "throughout X", "while receiving X" (after "receiving", "taking", "on", "being treated
# with", any named thing is the event: "while receiving tamoxifen")
_DURING_EVENT_RE = re.compile(
    r"\b(?:during|throughout|(?:while|whilst)(?P<taking>\s+(?:on|receiving|taking|undergoing|being\s+treated\s+with)))"
    r"(?=\s{1,3}\S)",
    re.IGNORECASE,
)
# words that end a named period ("the double-blind phase", "hospital stay")
_PERIOD_HEADS = frozenset({"phase", "period", "portion", "stay", "season", "seasons", "deployment"})
# the study's own time, its treatment alone included ("during the course of the study", "during the
# study period", "during treatment", "during protocol treatment"): the study period, no window of
# its own (see _DURING_RE)
_STUDY_OWN_PERIOD = re.compile(
    r"\b(?:study|trial|research|protocol|course|type)\b|^(?:the\s+)?(?:treatment|therapy)$", re.IGNORECASE
)
# what follows "during" that is no event ("during pregnancy" is a state; "during the day")
_NOT_DURING_EVENT = frozenset(
    {"past", "last", "previous", "preceding", "prior", "next", "day", "night", "this", "that"}
)
_PREFIXED_ANCHOR_RE = re.compile(
    r"\b(?P<prefix>pre|post)-?(?P<event>treatment|therapy|randomi[sz]ation|dos(?:e|ing)|enrol(?:l)?ment)\b",
    re.IGNORECASE,
)
# (prefix is "pre", first five letters of the event) -> anchor name; otherwise the event as written
_PREFIXED_ANCHOR_NAMES = {
    (True, "treat"): "treatment start",
    (True, "thera"): "treatment start",
    (False, "treat"): "end of treatment",
    (False, "thera"): "end of treatment",
    (True, "rando"): "randomization",
    (False, "rando"): "randomization",
    (True, "dose"): "first dose",
    (True, "dosin"): "first dose",
    (True, "enrol"): "enrollment",
    (False, "enrol"): "enrollment",
}
_STARTED_EVENT = re.compile(
    r"\s*(?:the\s+)?(?:initiation|initiating|beginning|starting|start|commencing|commencement|using|use)"
    r"\s+(?:of\s+)?(?:the\s+)?(?=[A-Za-z])",
    re.IGNORECASE,
)
_BETWEEN_EVENTS_RE = re.compile(r"\bbetween(?:\s+the\s+(?:interval|period|time))?\s+(?=[A-Za-z])", re.IGNORECASE)
_RELATION_BEFORE = re.compile(
    r"\b(?:coordination|relationships?|relations?|differences?|correlations?|agreement|discrepanc(?:y|ies)"
    r"|interactions?|links?|communication|conflicts?|choice)\s+$",
    re.IGNORECASE,
)
_AND_RE = re.compile(r"\s+and\s+(?=\S)", re.IGNORECASE)
_DURING_RE = re.compile(
    r"\b(?:during\s+the\s+(?:same\s+)?(?:study\s+)?(?:period|trial|study)|at\s+the\s+same\s+time"
    # ("for the duration of the study", "throughout the study": the golds' Temporal mentions, 55 of them)
    r"|(?:for|during)\s+(?:the\s+)?(?:planned\s+|projected\s+|entire\s+|whole\s+)?duration\s+of\s+(?:the\s+)?"
    r"(?:study|trial)(?:\s+participation)?|throughout\s+the\s+(?:entire\s+)?(?:study|trial)(?:\s+(?:duration|period))?)\b",
    re.IGNORECASE,
)


# a lead that is only a comparator makes a window only with an anchor; alone it is a threshold
# "life expectancy < 1 year from conditions other than TR": how long the patient is expected to
# live, a threshold on the life expectancy, not a window before or after an event
_SURVIVAL_BEFORE = re.compile(r"(?:surviv\w*|expectancy|life)\W{0,3}(?:(?:of|is)\s{1,3})?$", re.IGNORECASE)
_COMPARATOR_LEAD = re.compile(
    # ("for the past 3 months" looks back from now: a window)
    r"less|more|greater|not?\b|up\b|at\s+least|for(?!\s+(?:at\s+least\s+)?(?:the\s+)?(?:past|last|previous|preceding)\b)"
    r"|longer|over(?!\s+the)|[<>≤≥=]|an?\s+(?:minimum|maximum)\b",
    re.IGNORECASE,
)
_SYMBOL_COMPARATORS = {"<": "<", "<=": "<=", "≤": "<=", ">": ">", ">=": ">=", "≥": ">=", "=": "="}


_LOOK_BACK_END = re.compile(r"\b(?:past|last|previous|preceding)$")


def _lead_comparator(lead: str | None) -> str:
    """'within 3 months' -> <=, 'more than 14 days prior' -> >, 'at least 4 weeks before' -> >=."""
    flat = re.sub(r"\s+", " ", (lead or "").lower())
    low = flat.removeprefix("for ")
    if flat.startswith("for ") and _LOOK_BACK_END.search(low):
        return ">="  # "for the past 3 months": it has lasted that long
    if low in _SYMBOL_COMPARATORS:
        return _SYMBOL_COMPARATORS[low]
    if low.startswith(("more than", "longer than", "greater than")) or low == "over":
        return ">"
    if low.startswith(("at least", "a minimum of")):
        return ">="
    if low.startswith("less than"):
        return "<"
    return "<="


_AHEAD = re.compile(r"\b(?:next|coming|following)$", re.IGNORECASE)
# an event that ends the study or its treatment ("the completion of the study", "the last dose of
# study drug", "end of treatment")
_END_EVENT = re.compile(
    r"(?:the\s+)?(?:completion|end|conclusion|termination|discontinuation|last\s+(?:dose|administration|"
    r"infusion|visit|treatment))\b(?:\s+of\s+(?:the\s+)?(?:study|trial|treatment|therapy|participation|"
    r"study\s+(?:drug|treatment|participation|medication)))?",
    re.IGNORECASE,
)
# what the clause before a window says is past ("had participated in other study within 6 months from
# the date of selection", "must have been performed no longer than four months from the date of
# randomization"): a window "from" a study event is then counted back from it
_PAST_BEFORE = re.compile(
    # (in the same line, or across a hard wrap: a line break before a continuation in lower case)
    r"\b(?:had|has\s+been|have\s+been|was|were|took|underwent|participated)\b"
    r"(?:[^;.()\r\n]|\r?\n[ \t]*(?=[a-z]))*$",
    re.IGNORECASE,
)
# what the clause before a window says is yet to come ("Subject is expected to initiate renal
# replacement therapy within one year", "planning to become pregnant within 6 months", "inability to
# undergo surgery within 6 months")
_FUTURE_BEFORE = re.compile(
    r"\b(?:expected|expects?|likely|planned|planning|plans?\s+to|scheduled|anticipated|anticipates?|intends?|intending|"
    r"intention|wish(?:es)?\s+to|desire\s+to)\b[^;.()]*$"
    # (what one can or will do, in the window's own line: "Able to start treatment within 7 days")
    r"|\b(?:(?:in)?ability|(?:un)?able|(?:un)?willing(?:ness)?)\s+to\b[^;.()\r\n]*$",
    re.IGNORECASE,
)


# an outcome right before the window ("relapsed within 6 months of fludarabine", "disease progression
# within 12 months of transplant"): what is timed followed the event named, so the window runs after it
_OUTCOME_BEFORE = re.compile(
    r"\b(?:relapsed?|relapsing|recurred|recurrence|progressed|progression(?:\s+of\s+disease)?|"
    r"progressive\s+disease)(?:\s+(?:occurring|occurred|that\s+occurred))?"
    # ("disease progression during or within 6 months of receiving paclitaxel")
    r"(?:\s+(?:either\s+)?during\s+or)?\s+$",
    re.IGNORECASE,
)


# what the clause before a window says is to start ("Treatment must begin within 31 days of diagnosis",
# "Patients must be registered and begin treatment within 42 days of surgical staging", "Intend to
# start antiretroviral therapy within 14 days of study entry"):
# the start follows the event named, so the window runs after it
_START_BEFORE = re.compile(
    # (a verb: "the start of therapy or within ..." is no start)
    r"(?:\b(?:to|must|will|can|shall|should|and)\s+(?:begin|start|initiate|commence)\b|\bbegins?\b)[^;.()\n]{0,30}$",
    re.IGNORECASE,
)


# "until 24 hours prior to": an allowance that stops at least that long before the event
_UNTIL_BEFORE = re.compile(r"\b(?:until|till|up\s+until)\s{1,3}$", re.IGNORECASE)
_ENDED_BEFORE = re.compile(
    r"\b(?:completed|discontinued|stopped|ceased|finished|ended|withdrawn|terminated)(?:\s+(?:at\s+least|by))?\s{1,3}$",
    re.IGNORECASE,
)


def _for_what_parts(text: str, start: int, end: int) -> list[re.Match[str]]:
    """The parts of a bracket's text[start:end] that each give a duration for what they name, all of
    it or none ("2 weeks for oral cyclophosphamide or 6 weeks for nitrosoureas")."""
    parts: list[re.Match[str]] = []
    at = start
    while True:
        part = _FOR_WHAT_PART.match(text, at, end)
        if part is None:
            return []
        parts.append(part)
        sep = _FOR_WHAT_SEP.match(text, part.end(), end)
        if sep is None or sep.end() == part.end():
            break
        at = sep.end()
    return parts if text[parts[-1].end() : end].strip() == "" else []


def _direction(word: str | None) -> str:
    w = (word or "").lower()
    if w.startswith(("after", "following", "since", "from", "post")):
        return "after"
    return "before"


def _half_lives(w: Window, m: re.Match[str], text: str) -> None:
    """The half-lives a window is also counted in ("within 4 weeks or 5 half-lives") and which bound
    applies, written inside the window or right after its anchor ("..., whichever is longer")."""
    groups = m.groupdict()
    written = groups.get("hl_first") or groups.get("hl_after") or groups.get("hl_only")
    if written is None:
        return
    w.half_lives = _num(written)
    which = groups.get("which") or groups.get("which_lead")
    if which is None:
        after = _WHICHEVER_RE.match(text, w.end)
        which = after.group("which") if after else None
    if which is not None:
        w.whichever = _WHICH.get(which.lower(), which.lower())


def find_windows(text: str, masked: list[tuple[int, int]] | None = None, stops: Iterable[int] = ()) -> list[Window]:
    """All time windows in a criterion's text; no event named after a direction word runs past one
    of ``stops`` (offsets where a criterion starts inside a line)."""
    taken = list(masked or [])
    stop_at = frozenset(stops)
    out: list[Window] = []

    def free(s: int, e: int) -> bool:
        return not any(s < b and a < e for a, b in taken)

    windows = _WINDOW_HALF_LIVES_RE if _HALF_LIFE_WORDS.search(text) else _WINDOW_RE
    for m in windows.finditer(text):
        lead, direction_word = m.group("lead"), m.group("dir")
        if direction_word and _ELAPSED.match(direction_word):
            direction_word = "since"
        if direction_word:
            direction_word = _IMMEDIATELY.sub("", direction_word)  # "immediately preceding" reads as "preceding"
        # a life expectancy "from screening" is a threshold on the life expectancy, not a window
        anchored = direction_word and not _SURVIVAL_BEFORE.search(text, max(0, m.start() - 40), m.start())
        anchor = match_anchor(text, m.end()) if anchored else None
        if direction_word and _POSTPARTUM.fullmatch(direction_word):
            anchor, direction_word = (m.start("dir"), m.end("dir"), "childbirth", "Reference_point"), "after"
        elif direction_word and _AFTERWARDS.fullmatch(direction_word):
            # the word is the anchor's mention: what it refers back to is named, not written
            anchor = (m.start("dir"), m.end("dir"), _end_of_period_before(text, m.start()), "Reference_point")
            direction_word = "after"
        pronoun_end = _PRONOUN_END.match(text, m.end()) if anchored and anchor is None else None
        if pronoun_end is not None:
            # "up to 6 months after its completion": the end of the period named before it
            anchor = (
                pronoun_end.start("end"),
                pronoun_end.end(),
                _end_of_period_before(text, m.start()),
                "Reference_point",
            )
        known = anchor is not None
        if (
            anchor is None
            and anchored
            and (
                direction_word.lower().startswith(_GENERIC_DIRECTIONS)
                or (direction_word.lower() == "of" and _EVENT_START.match(text, m.end()))
                # "within 30 days of study treatment": after "within", "of" relates the window to an event
                or (direction_word.lower() == "of" and (lead or "").lower().startswith("within"))
            )
        ):
            anchor = _generic_event(
                text, m.end(), stops=stop_at, determiners=direction_word.lower() not in ("of", "from")
            )
            if anchor is not None and _CONJUNCTION_FIRST.match(text, anchor[0]):
                anchor = None  # "within 24 hours before and/or during ...": no event starts with "and/or"
        shared = (
            _shared_study_anchor(text, m.end(), stop_at)
            if anchor is None and direction_word and direction_word.lower().startswith(("before", "prior"))
            else None
        )
        then_after = (
            _THEN_AFTER.match(text, m.end())
            if anchor is None
            and shared is None
            and direction_word
            and direction_word.lower().startswith(("before", "prior"))
            else None
        )
        if then_after is not None:
            # "within 7 days before or after surgery": one event the window runs both ways from
            anchor = match_anchor(text, then_after.end()) or _generic_event(text, then_after.end(), stops=stop_at)
            known = anchor is not None and known
        if shared is not None:
            # "for 1 month before, during, and for 3 months after study": the window before names no
            # event of its own, it ends at the one the sentence names last (the study, entered)
            anchor, known = shared, True
            end = m.end("dir")
        elif then_after is not None and then_after.group("own") and anchor is not None:
            end = m.end("dir")  # (the window after has words of its own)
        elif direction_word and anchor is None:
            # "3 months before" with no known anchor: keep the duration, drop the dangling word.
            end = m.start("dir")
            while end > m.start() and text[end - 1].isspace():
                end -= 1
        else:
            end = anchor[1] if anchor else m.end()
        if not lead and not anchor:
            continue  # "≥ 3 months" alone is a threshold, not a window
        if lead and _COMPARATOR_LEAD.match(lead) and not anchor:
            continue  # "more than 3 months" of something: a duration threshold, left to values
        if not free(m.start(), end):
            continue
        iso, days = iso_duration(_num(m.group("num")), m.group("unit")) if m.group("num") else (None, None)
        comparator = _lead_comparator(lead)
        if not lead and m.group("post"):
            # "5 years or more before study entry", "4 weeks or less before enrollment"
            comparator = ">=" if m.group("post").lower() in ("more", "longer", "earlier") else "<="
        if not lead and not m.group("post") and (direction_word or "").lower() in _SINCE_WORDS:
            comparator = ">="  # "(6 weeks since prior mitomycin)": at least that long ago, as "At least" says
        if (
            not lead
            and (direction_word or "").lower().startswith(("before", "prior"))
            and _UNTIL_BEFORE.search(text, max(0, m.start() - 12), m.start())
        ):
            comparator = ">="  # "may receive hydroxyurea until 24 hours prior to starting therapy": it ends by then
        if (
            not lead
            and (direction_word or "").lower().startswith(("before", "prior"))
            and _ENDED_BEFORE.search(text, max(0, m.start() - 30), m.start())
        ):
            # "Acute therapy must be completed 14 days prior to study entry", "discontinued 2 weeks
            # before": it ended at least that long before
            comparator = ">="
        if (
            direction_word
            and direction_word.lower() == "from"
            and lead
            and re.search(r"\b(?:past|last|previous|preceding|prior)$", lead, re.IGNORECASE)
        ):
            direction_word = "before"  # "within the past 12 months from the date of the screening visit"
        if (
            direction_word
            and direction_word.lower() == "from"
            and anchor is not None
            and (known or re.search(r"\b(?:date|time)\s+of\b", text[m.end() : anchor[1]], re.IGNORECASE))
            and _PAST_BEFORE.search(text, max(0, m.start() - 100), m.start())
        ):
            direction_word = "before"
        # "within the next 6 months", "expected to start dialysis within one year": counted forward
        # from the index date
        ahead = not direction_word and bool(
            lead
            and (
                _AHEAD.search(lead)
                or (lead.lower() == "within" and _FUTURE_BEFORE.search(text, max(0, m.start() - 80), m.start()))
            )
        )
        # "within 3 months of the completion of the study", "within 30 days of the last dose": the
        # end of the study or its treatment lies ahead, so a window "of" it runs after it
        ahead = ahead or bool(
            anchor
            and (direction_word or "").lower() in ("of", "from")
            and (
                ((direction_word or "").lower() == "of" and _END_EVENT.match(text, anchor[0], anchor[1]))
                or (
                    (lead or "").lower() == "within"
                    and (
                        _OUTCOME_BEFORE.search(text, max(0, m.start() - 40), m.start()) is not None
                        or _START_BEFORE.search(text, max(0, m.start() - 50), m.start()) is not None
                    )
                )
            )
        )
        # "during the first four weeks of the study", "in the first 2 weeks of treatment": the opening
        # stretch of what is named, counted forward from its start
        opening = (
            _OPENING_PART_BEFORE.search(text, max(0, m.start() - 30), m.start())
            if anchor is not None and (direction_word or "").lower() == "of"
            else None
        )
        if opening:
            ahead, comparator = True, "<="
        w = Window(
            opening.start() if opening else m.start(),
            end,
            "after" if ahead else _direction(direction_word),
            anchor[2] if anchor else "index",
            ("duration" if iso else "half-lives") + ("-anchor" if anchor else ""),
            comparator,
            iso,
            days,
        )
        # ("for 3 years post treatment" lasts after the event: a window after it, as "after" reads)
        lasting = (direction_word or "").lower() == "post" and re.match(
            r"(?:at\s+least\s+)?for\b", (lead or "").lower()
        ) is not None
        # ... as "<84 days from mastectomy", "within 84 days of axillary dissection" count from the
        # patient's own surgery or treatment (``words.json`` event_anchor_heads)
        own_event = (
            anchor is not None
            and not known
            and not ahead
            and (direction_word or "").lower() in ("from", "of")
            and _clinical_event(anchor[2])
            # (not the study's own start: "within 14 days of beginning study treatment", "of day 1
            # treatment", "of immunization" in a vaccine trial, "of the planned date of the index
            # surgery")
            and not _STUDY_EVENT.search(anchor[2])
            and not _PLANNED.search(text, m.end(), anchor[0])
        )
        if anchor and not known and ((direction_word or "").lower() in _SINCE_WORDS or own_event) and not lasting:
            # "At least 4 weeks since prior chemotherapy": how long ago the patient's own event was,
            # counted back from the index date; the event is what the window times, no anchor
            w.direction, w.anchor_name, w.rule = "before", "index", w.rule.replace("-anchor", "-since")
            w.event_start, w.event_end = anchor[0], anchor[1]
        elif anchor:
            w.anchor_start, w.anchor_end, w.anchor_type = anchor[0], anchor[1], anchor[3]
        _half_lives(w, m, text)
        out.append(w)
        taken.append((m.start(), end))
    # "At least 3 weeks since prior chemotherapy (6 weeks for nitrosoureas or mitomycin)": the same
    # window, for what the bracket names, with its own duration
    # (since an event, the bracket names another event; counted back from the index date, the window
    # stays on the index date). The window is the duration alone: what the bracket names keeps its
    # own mentions (the drugs "nitrosoureas", "mitomycin"), the anchor only its name.
    for w in list(out):
        outer = _BRACKET_AFTER.match(text, w.end) if w.duration is not None else None
        # ("(or a longer period depending on the agents used e.g. 6 weeks for mitomycin)": past the
        # words that lead the examples in)
        lead = _FOR_WHAT_LEAD.match(text, outer.start("inner"), outer.end("inner")) if outer else None
        first = lead.end() if lead else outer.start("inner") if outer else 0
        for part in _for_what_parts(text, first, outer.end("inner")) if outer else []:
            if not free(part.start("num"), part.end("unit")):
                break
            iso, days = iso_duration(_num(part.group("num")), part.group("unit"))
            # ("within 4 weeks prior to study entry (6 weeks for nitrosoureas)": counted back from an
            # event, the bracket's window is counted from the same event)
            since = w.anchor_start is not None and w.direction == "after"
            name = re.sub(r"\s+", " ", part.group("what").lower()) if since else w.anchor_name
            extra = Window(part.start("num"), part.end("unit"), w.direction, name, "for-what", w.comparator, iso, days)
            if w.event_start is not None:
                # "(6 weeks for nitrosoureas or mitomycin)" after a window since an event: what it
                # names is what this one times
                extra.event_start, extra.event_end = part.start("what"), part.end("what")
            out.append(extra)
            taken.append((part.start("num"), part.end("unit")))
    for m in _LAST_UNIT_RE.finditer(text):
        anchor = match_anchor(text, m.end()) if m.group("dir") else None
        if anchor is None and m.group("lead").lower().endswith("the"):
            # "the month" is a window only before a known anchor ("during the month prior to entry");
            # "in the year 2005", "during the day", "in the week before surgery" are none
            continue
        # without a known anchor the window ends at its unit: "in the past year of" keeps no "of"
        end = anchor[1] if anchor else len(text[: m.start("dir")].rstrip()) if m.group("dir") else m.end()
        if not free(m.start(), end):
            continue
        iso, days = iso_duration(1, m.group("unit"))
        ahead = not m.group("dir") and bool(_AHEAD.search(m.group("lead")))
        direction = "after" if ahead else "before"
        lasted = m.group("lead").lower().startswith("for")
        w = Window(
            m.start(),
            end,
            direction,
            anchor[2] if anchor else "index",
            "last-unit",
            ">=" if lasted else "<=",
            iso,
            days,
        )
        if anchor:
            w.rule = "last-unit-anchor"
            w.anchor_start, w.anchor_end, w.anchor_type = anchor[0], anchor[1], anchor[3]
        out.append(w)
        taken.append((m.start(), end))
    for m in _DAY_RANGE_RE.finditer(text) if "day" in text.lower() else ():
        # "during days 5-14 following randomization": from day 5 to day 14 after the event, two windows
        # (from day 1 only the upper bound: "during days 1-4 following randomization")
        anchor = match_anchor(text, m.end())
        first_day, last_day = int(m.group("low")), int(m.group("high"))
        if anchor is None or not free(m.start(), anchor[1]) or not first_day < last_day:
            continue
        bounds = ([(">=", first_day)] if first_day > 1 else []) + [("<=", last_day)]
        for comparator, n in bounds:
            iso, days = iso_duration(n, "day")
            w = Window(m.start(), anchor[1], "after", anchor[2], "day-range-anchor", comparator, iso, days)
            w.anchor_start, w.anchor_end, w.anchor_type = anchor[0], anchor[1], anchor[3]
            out.append(w)
        taken.append((m.start(), anchor[1]))
    for m in _BARE_DIRECTION_RE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        anchor = match_anchor(text, m.end())
        word = m.group("dir").lower()
        rule = "direction-anchor"
        if (
            anchor is None
            and word not in {"until", "till", "up to"}
            and not _THE_BEFORE.search(text, max(0, m.start() - 10), m.start())
        ):
            # "ED after radical prostatectomy", "relapse following allogeneic stem cell transplantation":
            # a clinical event (``words.json`` event_anchor_heads) the window runs before or after
            generic = _generic_event(text, m.end(), max_words=4, stops=stop_at)
            # (an event named by its start is one whatever it starts: "prior to initiation of the
            # drug", "before using hydroxyurea", "prior to beginning SNDX-5613")
            started = generic is not None and _STARTED_EVENT.match(text, m.end()) is not None
            event = generic if started else _clinical_head(text, generic)
            if event is not None and free(m.start(), event[1]):
                anchor, rule = event, "direction-event"
        if not anchor:
            continue
        direction = "until" if word in {"until", "till", "up to"} else _direction(word)
        w = Window(m.start(), anchor[1], direction, anchor[2], rule)
        w.anchor_start, w.anchor_end, w.anchor_type = anchor[0], anchor[1], anchor[3]
        out.append(w)
        taken.append((m.start(), anchor[1]))
    low = text.lower()
    for m in _PREFIXED_EVENT_RE.finditer(text) if "pre" in low or "post" in low else ():
        # "preoperative androgen therapy", "Pre or postoperative radiation therapy", "post-transplant":
        # before or after the surgery (the transplantation) the word names, one window per prefix
        if not free(m.start(), m.end()):
            continue
        what = "transplantation" if m.group("event").lower().startswith("transplant") else "surgery"
        for prefix in filter(None, (m.group("first"), m.group("prefix"))):
            direction = "before" if prefix.lower() == "pre" else "after"
            out.append(Window(m.start(), m.end(), direction, what, "prefixed-event"))
        taken.append((m.start(), m.end()))
    for m in _PREFIXED_ANCHOR_RE.finditer(text) if "pre" in low or "post" in low else ():
        # "Pre-randomization serum PSA", "pretherapy", "post-treatment follow-up visits": the word is
        # the window's mention, the event after the prefix its anchor
        if not free(m.start(), m.end()):
            continue
        pre = m.group("prefix").lower() == "pre"
        prefixed = m.group("event").lower()
        name = _PREFIXED_ANCHOR_NAMES.get((pre, prefixed[:5]), prefixed)
        w = Window(m.start(), m.end(), "before" if pre else "after", name, "prefixed-anchor")
        w.anchor_start, w.anchor_end, w.anchor_type = m.start("event"), m.end("event"), "Reference_point"
        out.append(w)
        taken.append((m.start(), m.end()))
    for m in _AT_ANCHOR_RE.finditer(text) if "at" in low or "during" in low else ():
        anchor = match_anchor(text, m.end())
        if anchor is None and m.group().lower().endswith("time of"):
            # "at the time of penile prosthesis placement", "at the time of the accident": whatever
            # event is named after "the time of"
            anchor = _generic_event(text, m.end(), max_words=4, stops=stop_at)
        if anchor is None or not free(m.start(), anchor[1]) or _ANCHOR_AS_MODIFIER.match(text, anchor[1]):
            continue
        if m.group().lower() == "during" and anchor[2] in _NOT_DURING:
            continue
        w = Window(m.start(), anchor[1], "during", anchor[2], "at-anchor")
        length = _PERIOD_LENGTH.search(text, anchor[0], anchor[1]) if m.group().lower() == "during" else None
        if length is not None:
            # "during the 4-week run-in phase": the period lasts that long
            w.comparator = "<="
            w.duration, w.days = iso_duration(int(length.group("n")), length.group("unit"))
        w.anchor_start, w.anchor_end, w.anchor_type = anchor[0], anchor[1], anchor[3]
        out.append(w)
        taken.append((m.start(), anchor[1]))
    for m in _ON_ANCHOR_RE.finditer(text) if "on" in low else ():
        anchor = match_anchor(text, m.end())
        if (
            anchor is None
            or anchor[2] not in _ON_ANCHORS
            or _ANCHOR_AS_MODIFIER.match(text, anchor[1])
            or _BARE_STUDY.fullmatch(text, anchor[0], anchor[1])  # "while on study": the study period
        ):
            continue
        dated_exam = _DATED_EXAM.match(text, anchor[1])
        if (
            not dated_exam
            and re.match(r"[ \t]{1,3}[A-Za-z]", text[anchor[1] : anchor[1] + 4])
            and not re.match(
                r"[ \t]{1,3}(?:and|or|in|into|to|of|for|with|the|at|by|as|per|is|are|was|were|must|should|will)\b",
                text[anchor[1] : anchor[1] + 10],
                re.IGNORECASE,
            )
        ):
            continue  # "on screening day 1": what the anchor's word names is longer than the anchor
        start = anchor[0] if dated_exam else m.start()
        if not free(start, anchor[1]):
            continue
        w = Window(start, anchor[1], "during", anchor[2], "on-anchor")
        w.anchor_start, w.anchor_end, w.anchor_type = anchor[0], anchor[1], anchor[3]
        out.append(w)
        taken.append((start, anchor[1]))
    for m in _DURING_EVENT_RE.finditer(text) if "during" in low or "whil" in low or "throughout" in low else ():
        # "during radiotherapy", "while receiving tamoxifen", "throughout the treatment phase": a
        # clinical event or a named period of the study (not "during the study": see _DURING_RE)
        if not free(m.start(), m.end()) or _DURING_RE.match(text, m.start()):
            continue
        event = _generic_event(text, m.end(), max_words=5, stops=stop_at)
        rule = "during-event"
        if event is not None and m.group("taking") is None:
            clinical = _clinical_head(text, event)
            event = clinical or _period_head(text, event)
            rule = "during-event" if clinical else "during-period"
        if (
            event is None
            or not free(m.start(), event[1])
            or event[2].split()[0] in _NOT_DURING_EVENT
            or _STUDY_OWN_PERIOD.search(event[2])
        ):
            continue
        w = Window(m.start(), event[1], "during", event[2], rule)
        w.anchor_start, w.anchor_end, w.anchor_type = event[0], event[1], event[3]
        out.append(w)
        taken.append((m.start(), event[1]))
    for m in _DURING_RE.finditer(text):
        if free(m.start(), m.end()):
            out.append(
                Window(
                    m.start(),
                    m.end(),
                    "during",
                    "study period"
                    if "period" in m.group().lower() or "study" in m.group().lower() or "trial" in m.group().lower()
                    else "index",
                    "during",
                )
            )
            taken.append((m.start(), m.end()))
    for m in _BETWEEN_EVENTS_RE.finditer(text) if "between" in low else ():
        # "between the end of the last therapy cycle and inclusion into this study": after the first
        # event and before the second (one of them a known anchor, the other any event phrase)
        if _RELATION_BEFORE.search(text, max(0, m.start() - 30), m.start()):
            continue  # "inadequate coordination between dosing and sexual activity": no time between
        known_from = match_anchor(text, m.end())
        event_from = known_from or _generic_event(text, m.end(), max_words=6, stops=stop_at)
        joint = _AND_RE.match(text, event_from[1]) if event_from is not None else None
        if event_from is None or joint is None:
            continue
        known_to = match_anchor(text, joint.end())
        event_to = known_to or _generic_event(text, joint.end(), max_words=5, stops=stop_at)
        if event_to is None or (known_from is None and known_to is None) or not free(m.start(), event_to[1]):
            continue
        for between_event, direction in ((event_from, "after"), (event_to, "before")):
            w = Window(m.start(), event_to[1], direction, between_event[2], "between-events")
            w.anchor_start, w.anchor_end, w.anchor_type = between_event[0], between_event[1], between_event[3]
            out.append(w)
        taken.append((m.start(), event_to[1]))
    out += _during_and_after(text, out)
    out += _before_and_after(text, out)
    out += _range_lows(text, out)
    return sorted(out, key=lambda w: w.start)


# "60-100 days after autologous stem cell infusion", "for 60 to 104 days before study treatment": the
# number and separator before a window's own duration (its lower bound)
_RANGE_LOW_BEFORE = re.compile(r"(?<![\d.,])(?P<low>\d{1,4})[ \t]{0,2}(?:-|–|to)[ \t]{0,2}$", re.IGNORECASE)


def _range_lows(text: str, windows: list[Window]) -> list[Window]:
    """A window whose duration is the upper bound of a range written before it ("60-100 days after
    infusion") holds the range: it runs from the range's first number, and a second window over the
    same words bounds it from below (at least 60 days after), as the golds read all five such ranges."""
    out = []
    for w in windows:
        if w.duration is None or w.days is None or w.comparator not in ("<=", None) or w.half_lives is not None:
            continue
        low = _RANGE_LOW_BEFORE.search(text, max(0, w.start - 12), w.start)
        if low is None:
            continue
        unit = w.duration[-1]
        iso, days = (
            iso_duration(int(low.group("low")), _ISO_UNIT_NAMES[unit]) if unit in _ISO_UNIT_NAMES else (None, None)
        )
        if iso is None or days is None or days >= w.days:
            continue
        w.start, w.comparator = low.start(), "<="
        lower = Window(w.start, w.end, w.direction, w.anchor_name, w.rule, ">=", iso, days)
        lower.anchor_start, lower.anchor_end, lower.anchor_type = w.anchor_start, w.anchor_end, w.anchor_type
        lower.event_start, lower.event_end = w.event_start, w.event_end
        out.append(lower)
    return out


_ISO_UNIT_NAMES = {"D": "day", "W": "week", "M": "month", "Y": "year"}


# "within 7 days before or after surgery", "at least 4 weeks before or after HIV immunizations"
# ("15 days before and 15 days after radioembolization": each its own length, one event)
_THEN_AFTER = re.compile(
    r"\s{1,20}(?:and\s*/\s*or|or|and)\s{1,20}(?P<own>\d{1,4}\s{1,20}(?:days?|weeks?|months?|years?|hours?)\s{1,20})?"
    r"(?:after|following)\s{1,20}",
    re.IGNORECASE,
)
_BEFORE_THEN_AFTER = re.compile(
    r"\b(?:before|prior\s+to)\s{1,20}(?:and\s*/\s*or|or|and)\s{1,20}(?:after|following)\s{1,20}(?:(?:the|an?)\s{1,20})?$",
    re.IGNORECASE,
)


def _before_and_after(text: str, windows: list[Window]) -> list[Window]:
    """An "after" window for each window before an event that "or after"/"and after" extends ("within
    7 days before or after surgery": up to 7 days before it, or up to 7 days after it), over the same
    words, of the same length, from the same event."""
    out = []
    for w in windows:
        if w.direction != "before" or w.anchor_start is None or w.duration is None:
            continue
        if not _BEFORE_THEN_AFTER.search(text, w.start, w.anchor_start):
            continue
        after = Window(w.start, w.end, "after", w.anchor_name, "before-and-after", w.comparator, w.duration, w.days)
        after.anchor_start, after.anchor_end, after.anchor_type = w.anchor_start, w.anchor_end, w.anchor_type
        out.append(after)
    return out


# "during and for 3 months after study": the window after, and the period itself before it
_DURING_AND = re.compile(r"\bduring[ \t]*,?[ \t\r\n]+and(?:/or)?[ \t\r\n]+$", re.IGNORECASE)
# the period an "after" anchor ends ("the last dose of study treatment": the study treatment)
_END_OF = re.compile(
    r"^(?:the\s+)?(?:last\s+dose|completion|end|conclusion|discontinuation)\s+of\s+(?:the\s+)?", re.IGNORECASE
)


def _during_and_after(text: str, windows: list[Window]) -> list[Window]:
    """A "during" window for each window after an event that "during and" opens ("contraception during
    and for 3 months after study": during the study period, and up to 3 months after its end), over
    the same words and anchored on the same event."""
    out = []
    for w in windows:
        if w.direction != "after" or w.anchor_start is None or w.anchor_end is None:
            continue
        lead = _DURING_AND.search(text, max(0, w.start - 24), w.start)
        if lead is None or any(o.direction == "during" and o.start <= lead.start() < o.end for o in windows):
            continue
        # the period's own words, past "the last dose of"
        ended = _END_OF.match(text[w.anchor_start : w.anchor_end])
        start = w.anchor_start + (ended.end() if ended and ended.end() < w.anchor_end - w.anchor_start else 0)
        name = (
            "study period"
            if w.anchor_name in ("end of study", "enrollment")
            else " ".join(text[start : w.anchor_end].lower().split())
        )
        during = Window(lead.start(), w.end, "during", name, "during-and-after")
        during.anchor_start, during.anchor_end, during.anchor_type = start, w.anchor_end, w.anchor_type
        out.append(during)
    return out
