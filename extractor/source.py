"""Reading input: bytes -> text, with the checks that turn bad input into clear errors."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import BinaryInputError, EmptyInputError, EncodingError, InputError, InputTooLargeError

#: Inputs above this size are refused (a trial's listing is a few kB; the largest registry
#: eligibility texts are well under 100 kB). Pass ``max_bytes`` to change it.
DEFAULT_MAX_BYTES = 2_000_000
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f]")


@dataclass(frozen=True)
class Source:
    """Decoded source text; every offset in a record points into ``text``."""

    text: str
    name: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def decode(data: bytes, name: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Source:
    """Decode UTF-8 bytes (a leading BOM is dropped) after checking size and binary content."""
    if len(data) > max_bytes:
        raise InputTooLargeError(
            f"input is {len(data):,} bytes, above the limit of {max_bytes:,} bytes (see --max-bytes)", source=name
        )
    if b"\x00" in data[:65536]:
        raise BinaryInputError("input looks binary (contains NUL bytes), expected UTF-8 text", source=name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EncodingError(
            f"input is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})", source=name
        ) from exc
    return from_text(text, name, max_bytes=max_bytes)


def from_text(text: str, name: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Source:
    """Check an already decoded text."""
    if len(text) > max_bytes:
        raise InputTooLargeError(f"input is {len(text):,} characters, above the limit of {max_bytes:,}", source=name)
    if not text.strip():
        raise EmptyInputError("input is empty", source=name)
    # the C0 controls other than \t \n \v \f \r (9-13), counted by the regex engine, not per character in Python
    controls = len(_CONTROLS.findall(text, 0, 65536))
    if controls > max(8, min(len(text), 65536) // 100):
        raise BinaryInputError("input looks binary (many control characters), expected text", source=name)
    return Source(text=text, name=name)


def read_path(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Source:
    """Read a file, refusing it before reading when it is larger than ``max_bytes``."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise InputTooLargeError(
                f"file is {size:,} bytes, above the limit of {max_bytes:,} bytes (see --max-bytes)", source=str(path)
            )
        data = p.read_bytes()
    except IsADirectoryError as exc:
        raise InputError("is a directory, expected a text file", source=str(path)) from exc
    except FileNotFoundError as exc:
        raise InputError("no such file", source=str(path)) from exc
    except PermissionError as exc:
        raise InputError("permission denied", source=str(path)) from exc
    return decode(data, str(path), max_bytes=max_bytes)
