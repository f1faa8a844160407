"""One exception hierarchy with coded messages.

The library raises these; only the CLI prints them and sets the exit code.
Codes are stable: E1xx input, E2xx rules/resources, E3xx units, E4xx schema, E5xx evaluation,
E6xx database, E7xx trained model and training.
"""

from __future__ import annotations


class ExtractorError(Exception):
    """Base class of every error the toolkit raises on purpose."""

    code = "E000"

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.message = message
        self.source = source
        super().__init__(message)

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}{self.message} [{self.code}]"


class InputError(ExtractorError):
    """The input cannot be read as criteria text (empty, binary, mis-encoded, too large, no criteria)."""

    code = "E100"


class EmptyInputError(InputError):
    code = "E101"


class BinaryInputError(InputError):
    code = "E102"


class EncodingError(InputError):
    code = "E103"


class InputTooLargeError(InputError):
    code = "E104"


class NoCriteriaError(InputError):
    code = "E105"


class AnnotationError(InputError):
    """A BRAT annotation file is malformed (bad offsets, missing fields)."""

    code = "E106"


class RuleError(ExtractorError):
    """A rule or lexicon file is malformed (unknown key, missing field, bad pattern)."""

    code = "E200"


class UnitError(ExtractorError):
    """A unit is unknown or two units cannot be converted into each other."""

    code = "E300"


class SchemaError(ExtractorError):
    """A record does not follow the JSON Schema or a domain check."""

    code = "E400"


class EvaluationError(ExtractorError):
    """Predicted and gold records cannot be compared."""

    code = "E500"


class ModelError(ExtractorError):
    """The trained entity model is missing, cannot be loaded, or training cannot start."""

    code = "E700"
