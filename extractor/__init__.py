"""Computable clinical-trial eligibility criteria from free text.

>>> import extractor
>>> record = extractor.extract("Inclusion Criteria:\\nAge 18~65 years\\nExclusion Criteria:\\nHIV positive")
>>> record["criteria"][0]["constraints"][0]["comparator"]
'between'
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import extract, extract_path, load  # noqa: E402
from .errors import ExtractorError, InputError, SchemaError  # noqa: E402
from .validate import iter_errors, validate  # noqa: E402

__all__ = [
    "extract",
    "extract_path",
    "load",
    "validate",
    "iter_errors",
    "ExtractorError",
    "InputError",
    "SchemaError",
    "__version__",
]
