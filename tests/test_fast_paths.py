"""Faster forms of hot-path code give exactly what their plain forms give."""

from __future__ import annotations

import random
import re


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
