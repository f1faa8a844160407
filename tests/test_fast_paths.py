"""Faster forms of hot-path code give exactly what their plain forms give."""

from __future__ import annotations

import functools
import json
import random
import re
import sys


def test_the_separator_pattern_finds_the_plain_alternations_runs() -> None:
    # _unparsed's separators are read by a pattern that starts on a character class (so the engine
    # can skip to the next mark); the plain alternation is the reference, bounds and all
    from extractor.assemble import _SEPARATORS

    plain = re.compile(r"(?:[;:()\[\]]|(?<!\d)[.,]|[.,](?!\d))+")
    rnd = random.Random(3)
    alphabet = "1.,;:()[] a9\n٣"
    for _ in range(20000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 14)))
        start = rnd.randint(0, len(text))
        end = rnd.randint(start, len(text))
        expected = [m.span() for m in plain.finditer(text, start, end)]
        assert [m.span() for m in _SEPARATORS.finditer(text, start, end)] == expected, (text, start, end)


def test_no_printable_character_but_the_space_is_whitespace() -> None:
    # _one_spaced skips the regex for a printable string without a double space: that is sound only
    # if no printable character other than " " is whitespace to the regex
    spaces = re.compile(r"\s")
    assert [c for c in map(chr, range(sys.maxunicode + 1)) if c != " " and c.isprintable() and spaces.match(c)] == []


def test_one_spaced_is_the_regex_substitution() -> None:
    from extractor.components import _SPACES, _one_spaced

    for text in ["", "ALT", "liver  disease", "liver\ndisease", "a\u00a0b", " x ", "a \t b", "hepatitis b", "é  ü"]:
        assert _one_spaced(text) == _SPACES.sub(" ", text), text


def test_a_long_form_without_a_bracket_after_it_absorbs_nothing() -> None:
    from extractor.components import CriteriaEntities

    def absorbed(text: str, end: int) -> int:
        f = {"start": 0, "end": end, "type": "Measurement"}
        CriteriaEntities._absorb_abbreviation(text, f, [f])
        return int(f["end"])

    long = len("alanine transaminase")
    assert absorbed("alanine transaminase (ALT) > 3", long) == long + len(" (ALT)")
    assert absorbed("alanine transaminase  [ALT] > 3", long) == long + len("  [ALT]")
    assert absorbed("alanine transaminase   (ALT)", long) == long  # three spaces: no abbreviation
    assert absorbed("alanine transaminase", long) == long


def test_record_lines_are_json_dumps() -> None:
    from extractor.batch import _RECORD_JSON

    record = {"a": [1, 2.5, None, True, {"é": "≥ 3 × ULN", "n": -0.0}], "b": {"c": [], "d": {}}, "e": "\u2028"}
    assert _RECORD_JSON.encode(record) == json.dumps(record, ensure_ascii=False)


@functools.cache
def _casefree() -> tuple[str, dict[str, set[str]]]:
    """Every character that trie.casefree_lower lets through (ASCII or caseless), and those characters
    by their lower case."""
    casefree = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isascii() or c.lower() == c == c.upper())
    by_lower: dict[str, set[str]] = {}
    for c in casefree:
        by_lower.setdefault(c.lower(), set()).add(c)
    return casefree, by_lower


def _casefree_premise_holds(pattern_chars: set[str]) -> list[tuple[str, str]]:
    """Pairs (text character, pattern character) where IGNORECASE and lower-casing disagree, over every
    character that trie.casefree_lower lets through."""
    casefree, by_lower = _casefree()
    wrong = []
    for p in sorted(pattern_chars):
        folded = {m.group() for m in re.finditer(re.escape(p), casefree, re.IGNORECASE)}
        wrong += [(c, p) for c in folded ^ by_lower.get(p, set())]
    return wrong


def test_casefree_lower_reads_comparators_as_ignorecase_does() -> None:
    from extractor.values import _COMPARATOR_WORDS

    assert _casefree_premise_holds({ch for w, _ in _COMPARATOR_WORDS for ch in w} - {" "}) == []


def test_casefree_lower_refuses_cased_non_ascii_text() -> None:
    from extractor.trie import casefree_lower

    assert casefree_lower("ALT ≥ 3 × ULN") == "alt ≥ 3 × uln"
    for text in ["İnfection", "ſerum", "ΣΑ", "é", "Kelvin \u212a"]:
        assert casefree_lower(text) is None, text


def test_comparator_starts_are_the_guarded_patterns() -> None:
    from extractor.values import _COMP_AT, _comparator_starts

    rnd = random.Random(5)
    pieces = [" ", "  ", "\n", "-", "/", "=", "<", ">", "≥", "≤", "⩾", "1", "x", "é", "İ", "ſ", "K"]
    pieces += "greater GREATER than less Less or equal to at least most above below under over no more".split()
    pieces += ["not exceed", "does not exceed", "up to", "a maximum of", "superior", "less than or equal to"]
    for _ in range(5000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 20)))
        assert _comparator_starts(text) == [m.start() for m in _COMP_AT.finditer(text)], text


def test_casefree_lower_reads_lexicon_phrases_as_ignorecase_does() -> None:
    from extractor.components import _LEXICON_RULES, _lexicon

    _lexicon("lexicon.jsonl")
    phrases = [key for (acronym, key) in _LEXICON_RULES["lexicon.jsonl"] if not acronym]
    assert _casefree_premise_holds({ch for p in phrases for ch in p} - {" "}) == []


def test_the_led_lexicon_patterns_find_the_patterns_matches() -> None:
    from extractor.components import _LEXICON_RULES, _lexicon
    from extractor.trie import casefree_lower

    patterns = _lexicon("lexicon.jsonl")
    keys = [key for (_acronym, key) in _LEXICON_RULES["lexicon.jsonl"]]
    rnd = random.Random(7)
    pieces = [" ", "  ", "\n", "-", "(", ")", "/", ",", "1", "x", "é", "İ", "ſ", "≥", "IIEF-"]
    pieces += [rnd.choice(keys) for _ in range(300)]
    pieces += [k.upper() for k in pieces[-100:]] + [k.title() for k in pieces[-100:]]
    for _ in range(3000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 12)))
        lowered = casefree_lower(text)
        for pattern, led, acronym in patterns:
            expected = [m.span() for m in pattern.finditer(text)]
            if acronym:
                assert [m.span() for m in led.finditer(text)] == expected, text
            elif lowered is not None:
                assert [m.span() for m in led.finditer(lowered)] == expected, text


def test_counts_and_percentages_of_a_limit_are_tried_only_where_they_can_start() -> None:
    # find_thresholds tries the counted-items and percent-of-limit patterns only at comparators and
    # numbers: that must give finditer's matches, whatever the text
    from extractor.values import (
        _COUNT_NUMBER_AT,
        _DIGIT,
        PERCENT_LIMIT_RE,
        TIME_UNITS_RANGE_RE,
        _comparator_starts,
        _counted_pattern,
        _matches_at,
        number_or_comparator_starts,
    )

    words = [
        "at least", "no more than", ">=", "≤", "less than", "one", "two", "twelve", "someone", "often", "3",
        "12", "1.5", "2,5", "25%", "10 percent", "of", "below", "the", "ULN", "upper limit of normal", "prior",
        "chemotherapy", "regimens", "cycles", "measurable", "lesion", "or more", "or fewer", "per", "day", "\n",
        "-", "(", ")", "drinks", "times",
    ]  # fmt: skip
    rnd = random.Random(7)
    texts = [
        "no more than 2 prior chemotherapy regimens; at least one measurable lesion",
        "AST < 25% above the ULN and one or more regimens of chemotherapy, >= 4 courses",
        "someone 3 cycles; often two lesions; 3 or more drinks per day",
    ]
    texts += [" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 16))) for _ in range(4000)]
    near_limit = ["25%", "10 percent", "5 %", "below", "above", "of", "ULN", "LLN", ">=", "less than", "3", "("]
    texts += [" ".join(rnd.choice(near_limit) for _ in range(rnd.randint(1, 8))) for _ in range(4000)]
    # ... and the ranges in two time units ("between 6 months and <16 years")
    in_time = ["6 months", "16 years", "2.5 days", "3 weeks old", "to", "and", "-", "<", ">=", "at least", "age", "12"]
    texts += [" ".join(rnd.choice(in_time) for _ in range(rnd.randint(1, 8))) for _ in range(4000)]
    patterns = ((_counted_pattern(), _COUNT_NUMBER_AT), (PERCENT_LIMIT_RE, _DIGIT), (TIME_UNITS_RANGE_RE, _DIGIT))
    for pattern, number_at in patterns:
        for text in texts:
            starts = number_or_comparator_starts(text, _comparator_starts(text), number_at)
            expected = [m.span() for m in pattern.finditer(text)]
            assert [m.span() for m in _matches_at(pattern, text, starts)] == expected, text
