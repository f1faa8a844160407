"""The extractor against the hand-curated gold of the bundled trial (thresholds from the foundation issue)."""

from __future__ import annotations

from typing import Any

import pytest

from extractor.evaluate import evaluate

THRESHOLDS = {
    "segmentation": 0.90,
    "entities_overlap": 0.90,
    "constraints": 0.95,
    "windows": 0.95,
}


@pytest.mark.parametrize(("category", "minimum"), sorted(THRESHOLDS.items()))
def test_f1_against_gold(record: dict[str, Any], gold: dict[str, Any], category: str, minimum: float) -> None:
    score = evaluate(record, gold).categories[category]
    misses = [m.description for m in score.misses][:10]
    fps = [f.description for f in score.false_positives][:10]
    assert score.f1 >= minimum, f"{category} F1 {score.f1:.3f} < {minimum}; misses {misses}; false positives {fps}"


def test_gold_against_itself_is_perfect(gold: dict[str, Any]) -> None:
    report = evaluate(gold, gold)
    assert all(s.f1 == 1.0 for s in report.categories.values())
