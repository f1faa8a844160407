"""The Python API: ``extract(text) -> record`` and ``load() -> spaCy pipeline``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from spacy.language import Language

from .assemble import build_record
from .layout import analyse
from .linking import link_record
from .pipeline import load
from .source import DEFAULT_MAX_BYTES, Source, from_text, read_path
from .validate import validate

__all__ = ["extract", "extract_path", "load"]


@lru_cache(maxsize=2)
def _default_nlp(model: bool = True) -> Language:
    return load(model=model)


def extract(
    text: str | Source,
    *,
    name: str | None = None,
    nlp: Language | None = None,
    check: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
    link: bool = True,
) -> dict[str, Any]:
    """Extract the computable criteria of one trial from a listing page, a criteria block or a bare list.

    Conditions, drugs and lab measurements are linked to ICD-10-CM, DrugBank and LOINC where the link
    is confident (``link=False`` skips that). The record is validated against the JSON Schema before
    it is returned (``check=False`` skips that); a record that fails raises
    :class:`extractor.SchemaError` and is never returned as valid.
    """
    source = text if isinstance(text, Source) else from_text(text, name, max_bytes=max_bytes)
    layout = analyse(source.text, source.name)
    record = build_record(source, layout, nlp or _default_nlp())
    if link:
        link_record(record)
    if check:
        validate(record, source_text=source.text, name=source.name)
    return record


def extract_path(
    path: str | Path, *, nlp: Language | None = None, max_bytes: int = DEFAULT_MAX_BYTES, link: bool = True
) -> dict[str, Any]:
    """Read a UTF-8 text file (refused above ``max_bytes``) and extract it."""
    return extract(read_path(path, max_bytes=max_bytes), nlp=nlp, max_bytes=max_bytes, link=link)
