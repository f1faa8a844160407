"""The one place that knows where packaged data lives (schemas, rule files, lexicons)."""

from __future__ import annotations

from pathlib import Path

# The package is always a real directory (wheel or editable install); zipped installs are not supported.
_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_path(name: str) -> Path:
    """Path of a rule or lexicon file shipped in ``extractor/resources``."""
    return _PACKAGE_DIR / "resources" / name


def schema_path(name: str = "criteria.schema.json") -> Path:
    """Path of a JSON Schema.

    A wheel carries the schemas inside the package (``extractor/schemas``); an editable install or a
    clone reads them from the repository's top-level ``schemas/`` folder, the single source of truth.
    """
    packaged = _PACKAGE_DIR / "schemas" / name
    if packaged.exists():
        return packaged
    return _PACKAGE_DIR.parent / "schemas" / name
