"""Build the default pipeline: a blank English spaCy pipeline with the toolkit's components."""

from __future__ import annotations

import warnings
from typing import Any

import spacy
from spacy.language import Language

from . import components  # noqa: F401  (registers the factories)

#: component names in order; users can add any of them to their own pipeline
PIPE_NAMES = (
    "criteria_sentences",
    "criteria_abbreviations",
    "criteria_entities",
    "criteria_model_entities",
    "criteria_formulas",
    "criteria_temporal",
    "criteria_values",
    "criteria_context",
)


def load(config: dict[str, dict[str, Any]] | None = None, *, model: bool = True) -> Language:
    """A blank English pipeline with the criteria components; nothing is downloaded.

    ``config`` maps a component name to its config overrides, e.g.
    ``load({"criteria_entities": {"qualifiers_inside_concepts": True}})`` or
    ``load({"criteria_model_entities": {"model": "path/to/model-best"}})``. ``model=False`` leaves the
    trained entity model out (rules and lexicons only: faster, for the closed-class items).
    """
    # scispaCy's and medspaCy's internal matchers legitimately stay empty on many docs; their W036
    # "no patterns" warning would otherwise be printed for every criterion.
    warnings.filterwarnings("ignore", message=r"\[W036\]", category=UserWarning)
    config = config or {}
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "extractor.CriteriaTokenizer.v1"}}})
    for name in PIPE_NAMES:
        if name == "criteria_model_entities" and not model:
            continue
        nlp.add_pipe(name, config=config.get(name, {}))
    return nlp
