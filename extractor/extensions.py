"""Every custom Doc/Span attribute and span group the pipeline uses, declared in one table.

Extension values are plain, picklable data (dicts, lists, tuples), never Span objects, so that worker
processes can send them back.
"""

from __future__ import annotations

from typing import Any

from spacy.tokens import Doc

#: span group holding typed entity mentions (label = Chia type)
ENTITIES = "entities"
#: span group of the entities ConText asserts on (clinical concept types only)
CONTEXT_TARGETS = "context_targets"
#: span group holding thresholds (label = rule name)
VALUES = "values"
#: span group holding time windows
WINDOWS = "windows"

_DOC_EXTENSIONS: dict[str, dict[str, Any]] = {
    # (start_char, end_char) -> {"normalized": str, "is_class": bool, "rule": str}
    "entity_info": {"default": None},
    # list of values.Threshold as dicts
    "thresholds": {"default": None},
    # list of temporal.Window as dicts
    "time_windows": {"default": None},
    # list of formula dicts
    "formulas": {"default": None},
    # (start_char, end_char) -> {"negated": bool, "historical": bool, ...}
    "assertions": {"default": None},
    # stretches the value/temporal components must not read (formulas)
    "masked": {"default": None},
    # (start_char, end_char) of whitespace holding a line break that hard wrapping put inside a line
    # (set before the pipeline runs, from the layout): no clause ends there, the model reads on
    "soft_wraps": {"default": None},
    # character offsets where the layout found a criterion's inline label ("Renal: ...") inside a line
    # (set before the pipeline runs): a clause starts there
    "clause_starts": {"default": None},
}


def register() -> None:
    """Declare the extensions (idempotent)."""
    for name, kwargs in _DOC_EXTENSIONS.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, **kwargs)
