"""Streaming readers for registry dumps: one study at a time, whatever the container.

A batch over the whole registry (500,000 studies) must run in flat memory and must account for every
study it was given. So the readers

* never load a whole dump: zip archives are read member by member, JSON Lines and AACT files line by
  line, and a JSON array too large to load is cut into its elements by a byte scanner;
* never stop on one bad study: a member, line or element that cannot be read becomes a
  :class:`ReadFailure` with a one-line reason and the stream goes on, so ``read = written + failed``;
* raise :class:`~extractor.errors.InputError` only when the input as a whole cannot be read (missing
  path, empty file, truncated zip), before any item is produced.

Formats are told apart by content, not by suffix, because registry downloads are often renamed.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

import defusedxml.ElementTree as SafeET
from defusedxml.common import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden

from .errors import BinaryInputError, EmptyInputError, InputError
from .source import DEFAULT_MAX_BYTES, from_text

__all__ = [
    "FORMATS",
    "ReadFailure",
    "SourceRecord",
    "count_records",
    "detect_format",
    "iter_records",
]

FORMATS = ("ctgov-json", "ctgov-xml", "aact", "text")


@dataclass(frozen=True)
class SourceRecord:
    """One study's eligibility text plus the registry's structured eligibility fields."""

    trial_id: str | None
    text: str
    registry: dict[str, Any]
    location: str
    format: str


@dataclass(frozen=True)
class ReadFailure:
    """A study that could not be read; it takes the study's place in the stream so counts add up."""

    trial_id: str | None
    location: str
    reason: str
    stage: str = "read"


Item = SourceRecord | ReadFailure

_PEEK = 65536
_CHUNK = 1 << 20
#: count_records scans JSON arrays up to this size to count their elements; beyond it the count is unknown.
_COUNT_SCAN_LIMIT = 64 << 20
_BOM = b"\xef\xbb\xbf"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_GZIP_MAGIC = b"\x1f\x8b"
_FOLDER_SUFFIXES = {".json", ".jsonl", ".xml", ".txt"}
_NCT = re.compile(r"NCT\d{8}")
_NCT_BYTES = re.compile(rb"(NCT\d{8})")
_NCT_IN_JSON = re.compile(rb'"nctId"\s*:\s*"(NCT\d{8})"')
_NCT_IN_XML = re.compile(rb"<nct_id>\s*(NCT\d{8})\s*</nct_id>")
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# CommonMark backslash escapes: a backslash before any ASCII punctuation character.
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(year|month|week|day|hour|minute)s?\s*$", re.IGNORECASE)
_PER_YEAR = {"year": 1.0, "month": 12.0, "week": 52.1775, "day": 365.25, "hour": 8766.0, "minute": 525960.0}
_NO_LIMIT = {"", "N/A", "NA", "NONE"}
_SEX = {"all": "all", "both": "all", "female": "female", "male": "male"}
_YES = {"yes", "y", "true", "t", "1", "accepts healthy volunteers"}
_NO = {"no", "n", "false", "f", "0"}
_AACT_STD_AGES = (("child", "CHILD"), ("adult", "ADULT"), ("older_adult", "OLDER_ADULT"))
# An API v2 page ({"studies": [...], "nextPageToken": ...}), possibly after a few scalar keys.
_PAGE_START = re.compile(
    rb'\s*\{\s*(?:"(?:totalCount|nextPageToken)"\s*:\s*(?:\d+|"[^"\\]*")\s*,\s*)*"studies"\s*:\s*\['
)
_ARRAY_START = re.compile(rb"\s*\[")
_JSON_STRUCT = re.compile(rb'["{}\[\],]')
_JSON_IN_STRING = re.compile(rb'["\\]')


# --------------------------------------------------------------------------------------------- public


def detect_format(path: str | Path) -> str:
    """Name the format of a file or zip archive from its first bytes (or its first member).

    Content decides, so a ``.json`` file holding JSON Lines or a renamed zip is still recognised.
    A folder has no single format (each file is detected on its own) and is refused here.
    """
    p = _existing(path)
    if p.is_dir():
        raise InputError("is a folder; its files are detected one by one by iter_records", source=str(path))
    head = _peek_file(p)
    if head.startswith(_ZIP_MAGIC):
        with _open_zip(p) as zf:
            return _zip_format(zf, _zip_members(zf), p)
    return _sniff_or_raise(head, p)


def iter_records(
    path: str | Path, format: str | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[SourceRecord | ReadFailure]:
    """Yield one item per study in ``path`` (file, zip archive or folder), in input order.

    ``format`` forces one of :data:`FORMATS` for every study; by default each input is detected
    from its content. Checks that concern the whole input run now, so a missing path, an empty file
    or a truncated zip raises :class:`InputError` at the call, not half-way through a batch.
    ``max_bytes`` bounds one study (member, line or array element), not the dump.
    """
    p = _existing(path)
    forced = _check_format(format)
    if p.is_dir():
        return _iter_folder(p, forced, max_bytes)
    head = _peek_file(p)
    if head.startswith(_ZIP_MAGIC):
        zf = _open_zip(p)
        members = _zip_members(zf)
        fmt = forced or _zip_format(zf, members, p)
        return _iter_zip(zf, members, fmt, forced, p.name, max_bytes)
    fmt = forced or _sniff_or_raise(head, p)
    return _iter_file(p, fmt, p.name, max_bytes)


def count_records(path: str | Path, format: str | None = None) -> int | None:
    """Number of items :func:`iter_records` will yield, when it is cheap to know; else ``None``.

    Meant for progress reporting: zip member count, non-blank lines of JSON Lines and AACT files,
    1 for a single-study file, the sum over a folder, elements of a JSON array found by a byte scan
    (no parse) up to 64 MiB; a larger array gives ``None``. A zip member holding several studies
    counts as one, so the count is a progress total, not a promise.
    """
    p = _existing(path)
    forced = _check_format(format)
    if p.is_dir():
        return _count_folder(p, forced)
    head = _peek_file(p)
    if head.startswith(_ZIP_MAGIC):
        with _open_zip(p) as zf:
            members = _zip_members(zf)
            if (forced or _zip_format(zf, members, p)) == "aact":
                member = _aact_member(members)
                if member is None:
                    return None
                with zf.open(member) as fh:
                    return max(_count_nonblank_lines(fh) - 1, 0)
            return len(members)
    return _count_file(p, forced or _sniff_or_raise(head, p), DEFAULT_MAX_BYTES)


# ------------------------------------------------------------------------------------ whole inputs


def _existing(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or folder", source=str(path))
    return p


def _check_format(format: str | None) -> str | None:
    if format is not None and format not in FORMATS:
        raise InputError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    return format


def _peek_file(p: Path) -> bytes:
    """First bytes of a file; an empty file is refused because it holds no study at all."""
    try:
        with open(p, "rb") as fh:
            head = fh.read(_PEEK)
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror or exc}", source=str(p)) from exc
    if not head:
        raise EmptyInputError("input is empty", source=str(p))
    return head


def _sniff(head: bytes) -> str | None:
    """Format of a file or member from its first bytes; ``None`` when it is blank."""
    body = head.removeprefix(_BOM).lstrip()
    if not body:
        return None
    if body[:1] in (b"{", b"["):
        return "ctgov-json"
    if body[:1] == b"<":
        return "ctgov-xml"
    if _aact_columns(body.split(b"\n", 1)[0]) is not None:
        return "aact"
    return "text"


def _sniff_or_raise(head: bytes, p: Path) -> str:
    if head.startswith(_GZIP_MAGIC):
        raise BinaryInputError("is gzip-compressed; decompress it first", source=str(p))
    if b"\x00" in head:
        raise BinaryInputError("looks binary (contains NUL bytes) and is not a zip archive", source=str(p))
    fmt = _sniff(head)
    if fmt is None:
        raise EmptyInputError("input is empty (only whitespace)", source=str(p))
    return fmt


def _open_zip(p: Path) -> zipfile.ZipFile:
    """Open an archive; only its central directory is read, members stay on disk until asked for."""
    try:
        return zipfile.ZipFile(p)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise InputError(f"not a readable zip archive (truncated or corrupt?): {exc}", source=str(p)) from exc


def _zip_members(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """File members in stored order, without folders and packaging litter (``__MACOSX/``, dotfiles)."""
    members = []
    for info in zf.infolist():
        name = PurePosixPath(info.filename)
        if info.is_dir() or "__MACOSX" in name.parts or name.name.startswith("."):
            continue
        members.append(info)
    return members


def _aact_member(members: list[zipfile.ZipInfo]) -> zipfile.ZipInfo | None:
    return next((m for m in members if PurePosixPath(m.filename).name.lower() == "eligibilities.txt"), None)


def _zip_format(zf: zipfile.ZipFile, members: list[zipfile.ZipInfo], p: Path) -> str:
    """An AACT export if it has ``eligibilities.txt``; otherwise the format of the first member."""
    if not members:
        raise EmptyInputError("zip archive holds no files", source=str(p))
    if _aact_member(members) is not None:
        return "aact"
    first = members[0]
    by_suffix = _format_by_suffix(first.filename)
    if by_suffix:
        return by_suffix
    try:
        with zf.open(first) as fh:
            head = fh.read(_PEEK)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        raise InputError(f"first zip member {first.filename} is unreadable: {exc}", source=str(p)) from exc
    return _sniff(head) or "text"


def _format_by_suffix(name: str) -> str | None:
    suffix = PurePosixPath(name).suffix.lower()
    return {".json": "ctgov-json", ".jsonl": "ctgov-json", ".xml": "ctgov-xml"}.get(suffix)


# ----------------------------------------------------------------------------------------- folders


def _folder_files(root: Path) -> Iterator[Path]:
    """Study files under ``root``, recursively, in sorted order; hidden entries and symlinked folders skipped."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _folder_files(Path(entry.path))
        elif entry.is_file() and Path(entry.name).suffix.lower() in _FOLDER_SUFFIXES:
            yield Path(entry.path)


def _iter_folder(root: Path, forced: str | None, max_bytes: int) -> Iterator[Item]:
    """Every file is one input of its own: a file that cannot be read at all is one failure, not the end."""
    for file in _folder_files(root):
        label = file.relative_to(root).as_posix()
        try:
            fmt = forced or _sniff_or_raise(_peek_file(file), file)
            yield from _iter_file(file, fmt, label, max_bytes)
        except InputError as exc:
            yield ReadFailure(_nct_from_name(label), label, _one_line(exc.message))
        except OSError as exc:
            yield ReadFailure(_nct_from_name(label), label, _one_line(f"cannot be read: {exc.strerror or exc}"))


def _count_folder(root: Path, forced: str | None) -> int | None:
    total = 0
    for file in _folder_files(root):
        try:
            n = _count_file(file, forced or _sniff_or_raise(_peek_file(file), file), DEFAULT_MAX_BYTES)
        except InputError:
            n = 1  # iter_records yields one ReadFailure for it
        if n is None:
            return None
        total += n
    return total


# ------------------------------------------------------------------------------------- single files


def _iter_file(p: Path, fmt: str, label: str, max_bytes: int) -> Iterator[Item]:
    """Items of one plain (not zipped) file already known to exist and to be non-empty."""
    if fmt == "aact":
        with open(p, "rb") as fh:
            yield from _iter_aact(fh, label, max_bytes)
    elif fmt == "ctgov-json":
        yield from _iter_json_file(p, label, max_bytes)
    else:
        fallback = _nct_from_name(label)
        data = _read_bounded(p, max_bytes)
        if isinstance(data, str):
            yield ReadFailure(fallback, label, data)
        elif fmt == "ctgov-xml":
            yield _xml_item(data, label, fallback)
        else:
            yield _text_item(data, label, fallback)


def _read_bounded(p: Path, max_bytes: int) -> bytes | str:
    """The file's bytes, or the reason it is refused (too large), without reading past the limit."""
    size = p.stat().st_size
    if size > max_bytes:
        return _too_large(size, max_bytes)
    with open(p, "rb") as fh:
        data = fh.read(max_bytes + 1)
    return _too_large(len(data), max_bytes) if len(data) > max_bytes else data


def _count_file(p: Path, fmt: str, max_bytes: int) -> int | None:
    if fmt == "aact":
        with open(p, "rb") as fh:
            return max(_count_nonblank_lines(fh) - 1, 0)
    if fmt != "ctgov-json":
        return 1
    layout = _json_layout(p, max_bytes)
    if layout == "jsonl":
        with open(p, "rb") as fh:
            return _count_nonblank_lines(fh)
    size = p.stat().st_size
    if layout in ("array", "page"):
        if size > _COUNT_SCAN_LIMIT:
            return None
        with _open_array(p, layout) as fh:
            return sum(1 for _ in _split_json_array(fh, max_bytes))
    if size > max_bytes:
        return 1
    with open(p, "rb") as fh:
        head = fh.read(_PEEK)
    if b'"studies"' not in head:
        return 1
    return sum(1 for _ in _json_items(p.read_bytes(), p.name, None))


# -------------------------------------------------------------------------------------------- zips


def _iter_zip(
    zf: zipfile.ZipFile, members: list[zipfile.ZipInfo], fmt: str, forced: str | None, label: str, max_bytes: int
) -> Iterator[Item]:
    """Members one at a time, each decompressed on its own and bounded by ``max_bytes``."""
    try:
        if fmt == "aact":
            member = _aact_member(members)
            if member is None:
                raise InputError("zip archive has no eligibilities.txt member", source=label)
            with zf.open(member) as fh:
                yield from _iter_aact(fh, f"{label}!{member.filename}", max_bytes)
            return
        for info in members:
            location = f"{label}!{info.filename}"
            fallback = _nct_from_name(info.filename)
            data = _read_member(zf, info, max_bytes)
            if isinstance(data, str):
                yield ReadFailure(fallback, location, data)
                continue
            member_fmt = forced or _format_by_suffix(info.filename) or _sniff(data[:_PEEK]) or "text"
            yield from _items_from_bytes(data, member_fmt, location, fallback)
    finally:
        zf.close()


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, max_bytes: int) -> bytes | str:
    """A member's bytes, or why it cannot be had; reads at most ``max_bytes + 1`` whatever the header claims."""
    if info.file_size > max_bytes:
        return _too_large(info.file_size, max_bytes)
    try:
        with zf.open(info) as fh:
            data = fh.read(max_bytes + 1)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
        return _one_line(f"corrupt zip member: {exc}")
    return _too_large(len(data), max_bytes) if len(data) > max_bytes else data


def _items_from_bytes(data: bytes, fmt: str, location: str, fallback: str | None) -> Iterator[Item]:
    """Items of one in-memory member or file, read as ``fmt``."""
    if fmt == "ctgov-json":
        yield from _json_items(data, location, fallback)
    elif fmt == "ctgov-xml":
        yield _xml_item(data, location, fallback)
    elif fmt == "aact":
        yield from _iter_aact(_BytesLines(data), location, len(data) + 1)
    else:
        yield _text_item(data, location, fallback)


class _BytesLines:
    """The ``readline`` of a binary file over bytes already in memory (an AACT member read whole)."""

    def __init__(self, data: bytes) -> None:
        self._lines = iter(data.splitlines(keepends=True))

    def readline(self, limit: int = -1) -> bytes:
        return next(self._lines, b"")


# -------------------------------------------------------------------------------------------- lines


def _iter_lines(fh: Any, max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) for each line; ``None`` instead of bytes for a line over ``max_bytes``.

    ``readline`` with a limit keeps one pathological line from being held in memory whole.
    """
    lineno = 0
    while line := fh.readline(max_bytes + 1):
        lineno += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = fh.readline(max_bytes + 1)
            yield lineno, None
        else:
            yield lineno, line


def _count_nonblank_lines(fh: IO[bytes]) -> int:
    return sum(1 for _, line in _iter_lines(fh, _CHUNK) if line is None or line.strip())


# --------------------------------------------------------------------------------------------- JSON


def _json_layout(p: Path, max_bytes: int) -> str:
    """``jsonl``, ``array``, ``page`` (``{"studies": [...]}``) or ``object``, from the first lines.

    JSON Lines: at least two non-blank lines (one in a ``.jsonl`` file), each starting with ``{`` at
    column 0, one of which parses on its own. Pretty-printed JSON indents its inner lines, so it never qualifies.
    """
    with open(p, "rb") as fh:
        head = fh.read(_PEEK).removeprefix(_BOM)
        fh.seek(0)
        lines: list[bytes] = []
        for _, line in _iter_lines(fh, max_bytes):
            if line is None or line.strip():
                lines.append((line or b"").removeprefix(_BOM))
            if len(lines) == 3:
                break
    starts = all(line.startswith(b"{") for line in lines)
    if lines and starts and (p.suffix.lower() in (".jsonl", ".ndjson") or len(lines) >= 2):
        if any(_is_object(x) for x in lines):
            return "jsonl"
    if _ARRAY_START.match(head):
        return "array"
    if _PAGE_START.match(head):
        return "page"
    return "object"


def _is_object(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _iter_json_file(p: Path, label: str, max_bytes: int) -> Iterator[Item]:
    """A JSON file: JSON Lines line by line, an array (or page) element by element, a single study whole.

    Arrays are always cut into elements, so one broken study spoils one item whatever the file size.
    """
    layout = _json_layout(p, max_bytes)
    if layout == "jsonl":
        with open(p, "rb") as fh:
            yield from _iter_jsonl(fh, label, max_bytes)
        return
    if layout in ("array", "page"):
        with _open_array(p, layout) as fh:
            yield from _iter_json_array(fh, label, max_bytes)
        return
    size = p.stat().st_size
    if size <= max_bytes:
        yield from _json_items(p.read_bytes(), label, _nct_from_name(label))
    else:
        yield ReadFailure(_nct_from_name(label), label, _too_large(size, max_bytes))


def _open_array(p: Path, layout: str) -> IO[bytes]:
    """The file, positioned just after the ``[`` that opens its array of studies."""
    fh = open(p, "rb")  # closed by the caller's with-block
    head = fh.read(_PEEK)
    bom = len(_BOM) if head.startswith(_BOM) else 0
    start = (_ARRAY_START if layout == "array" else _PAGE_START).match(head, bom)
    assert start is not None  # _json_layout matched the same bytes
    fh.seek(start.end())
    return fh


def _iter_jsonl(fh: IO[bytes], label: str, max_bytes: int) -> Iterator[Item]:
    for lineno, line in _iter_lines(fh, max_bytes):
        location = f"{label}:{lineno}"
        if line is None:
            yield ReadFailure(None, location, f"line is above the limit of {max_bytes:,} bytes")
        elif line.strip():
            yield from _json_items(line, location, None)


def _iter_json_array(fh: IO[bytes], label: str, max_bytes: int) -> Iterator[Item]:
    for index, element in enumerate(_split_json_array(fh, max_bytes)):
        location = f"{label}[{index}]"
        if isinstance(element, int):
            yield ReadFailure(None, location, _too_large(element, max_bytes))
        elif element is None:
            yield ReadFailure(None, location, "JSON array is truncated (no closing ']'); rest of the file skipped")
        else:
            yield from _json_items(element, location, None, single=True)


def _split_json_array(fh: IO[bytes], max_bytes: int) -> Iterator[bytes | int | None]:
    """Raw bytes of each element of a JSON array, the file positioned just after its ``[``.

    Yields an ``int`` (the element's size) instead of bytes for an element over ``max_bytes``, and
    ``None`` last if the file ends before the closing bracket. Scanning bytes is safe: UTF-8
    multi-byte sequences never contain ASCII bytes, so a bad byte spoils one element only.
    """
    depth, in_string, skip_next = 0, False, False
    parts: list[bytes] = []
    size, seen = 0, 0
    while chunk := fh.read(_CHUNK):
        pos, start, n = (1 if skip_next else 0), 0, len(chunk)
        skip_next = False
        while pos < n:
            if in_string:
                m = _JSON_IN_STRING.search(chunk, pos)
                if m is None:
                    break
                j = m.start()
                if chunk[j] == 0x5C:  # backslash: skip the escaped byte, maybe in the next chunk
                    skip_next = j + 1 >= n
                    pos = j + 2
                else:
                    in_string, pos = False, j + 1
                continue
            m = _JSON_STRUCT.search(chunk, pos)
            if m is None:
                break
            j, c = m.start(), chunk[m.start()]
            pos = j + 1
            if c == 0x22:  # "
                in_string = True
            elif c in (0x7B, 0x5B):  # { [
                depth += 1
            elif depth > 0 and c in (0x7D, 0x5D):  # } ]
                depth -= 1
            elif depth == 0 and c in (0x2C, 0x5D):  # , ] between elements
                piece = chunk[start:j]
                total = size + len(piece)
                element = b"".join([*parts, piece]).strip() if total <= max_bytes else None
                closing = c == 0x5D
                if not (closing and seen == 0 and element == b""):
                    seen += 1
                    yield total if element is None else element
                parts, size, start = [], 0, j + 1
                if closing:
                    return
        tail = chunk[start:]
        size += len(tail)
        if size <= max_bytes:
            parts.append(tail)
        else:
            parts = []
    yield None


def _json_items(data: bytes, location: str, fallback: str | None, *, single: bool = False) -> Iterator[Item]:
    """Items of one JSON text: a study, a list of studies, an API page, or (inside a zip) JSON Lines."""
    text = _decode_utf8(data)
    if not isinstance(text, str):
        yield ReadFailure(_nct_in(data, _NCT_IN_JSON) or fallback, location, text.reason)
        return
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and not single and "\n" in text.strip():
            for lineno, line in enumerate(text.splitlines(), 1):
                if line.strip():
                    yield from _json_items(line.encode("utf-8"), f"{location}:{lineno}", None, single=True)
            return
        reason = f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        yield ReadFailure(_nct_in(data, _NCT_IN_JSON) or fallback, location, reason)
        return
    if single:
        yield _study_item(value, location, fallback)
    elif isinstance(value, list):
        yield from (_study_item(v, f"{location}[{i}]", None) for i, v in enumerate(value))
    elif isinstance(value, dict) and isinstance(value.get("studies"), list) and "protocolSection" not in value:
        yield from (_study_item(v, f"{location}[{i}]", None) for i, v in enumerate(value["studies"]))
    else:
        yield _study_item(value, location, fallback)


def _study_item(study: Any, location: str, fallback: str | None) -> Item:
    """An API v2 study object -> its criteria Markdown (escapes undone) and eligibility fields."""
    if not isinstance(study, dict):
        return ReadFailure(fallback, location, f"expected a study object, found a JSON {type(study).__name__}")
    protocol = study.get("protocolSection")
    if not isinstance(protocol, dict):
        return ReadFailure(fallback, location, "not a ClinicalTrials.gov API v2 study (no protocolSection)")
    nct = _dig(protocol, "identificationModule", "nctId")
    trial_id = nct if isinstance(nct, str) and nct else fallback
    module = protocol.get("eligibilityModule")
    module = module if isinstance(module, dict) else {}
    criteria = module.get("eligibilityCriteria")
    if not isinstance(criteria, str) or not criteria.strip():
        return ReadFailure(trial_id, location, "no eligibility criteria")
    registry = _registry(
        module.get("minimumAge"),
        module.get("maximumAge"),
        module.get("sex"),
        module.get("healthyVolunteers"),
        module.get("stdAges"),
    )
    return SourceRecord(trial_id, _unescape_markdown(criteria), registry, location, "ctgov-json")


def _dig(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _unescape_markdown(text: str) -> str:
    r"""Undo the registry's Markdown backslash escapes (``\<`` ``\>`` and the rest of CommonMark's set).

    The escapes are Markdown rendering artefacts: ``\>= 9``, ``10\^9/L`` and ``20\~40`` are what the
    sponsor typed as ``>= 9``, ``10^9/L`` and ``20~40``, and the extractor must see the latter.
    """
    return _MD_ESCAPE.sub(r"\1", text)


# ---------------------------------------------------------------------------------------------- XML


def _xml_item(data: bytes, location: str, fallback: str | None) -> Item:
    """A legacy ``<clinical_study>`` document, parsed with defusedxml so entity bombs fail fast."""
    trial_id = _nct_in(data, _NCT_IN_XML) or fallback
    declared = _XML_ENCODING.match(data.removeprefix(_BOM))
    if declared is None or declared.group(1).lower().replace(b"_", b"-") in (b"utf-8", b"utf8"):
        decoded = _decode_utf8(data)
        if not isinstance(decoded, str):
            return ReadFailure(trial_id, location, decoded.reason)
    try:
        root = SafeET.fromstring(data)
    except EntitiesForbidden:
        return ReadFailure(trial_id, location, "XML entity expansion forbidden")
    except ExternalReferenceForbidden:
        return ReadFailure(trial_id, location, "XML external reference forbidden")
    except DefusedXmlException as exc:
        return ReadFailure(trial_id, location, _one_line(f"XML construct forbidden: {exc}"))
    except (SafeET.ParseError, ValueError, LookupError) as exc:
        return ReadFailure(trial_id, location, _one_line(f"invalid XML: {exc}"))
    if root.tag != "clinical_study":
        return ReadFailure(trial_id, location, f"not a ClinicalTrials.gov study (root element <{root.tag}>)")
    nct = (root.findtext("id_info/nct_id") or "").strip()
    trial_id = nct or trial_id
    criteria = root.findtext("eligibility/criteria/textblock")
    if not criteria or not criteria.strip():
        return ReadFailure(trial_id, location, "no eligibility criteria")
    registry = _registry(
        root.findtext("eligibility/minimum_age"),
        root.findtext("eligibility/maximum_age"),
        root.findtext("eligibility/gender"),
        root.findtext("eligibility/healthy_volunteers"),
        None,
    )
    return SourceRecord(trial_id, _dedent_block(criteria), registry, location, "ctgov-xml")


def _dedent_block(text: str) -> str:
    """Drop the XML pretty-printer's indentation and surrounding blank lines; keep line ends (``\\r\\n``).

    Only the indentation common to every non-blank line goes, so bullets keep their relative depth.
    """
    lines = text.splitlines(keepends=True)
    while lines and not lines[0].strip():
        lines.pop(0)
    indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "".join(line[cut:] if line.strip() else line.lstrip(" \t") for line in lines).rstrip()


# --------------------------------------------------------------------------------------------- AACT


def _aact_columns(header: bytes) -> list[str] | None:
    """Column names of an AACT ``eligibilities.txt`` header, or ``None`` if this is not one."""
    if b"|" not in header:
        return None
    try:
        columns = [c.strip().lower() for c in header.removeprefix(_BOM).decode("utf-8").rstrip("\r\n").split("|")]
    except UnicodeDecodeError:
        return None
    return columns if "nct_id" in columns and "criteria" in columns else None


def _iter_aact(fh: Any, label: str, max_bytes: int) -> Iterator[Item]:
    """AACT rows line by line; the header names the columns, line numbers count from the header (1)."""
    lines = _iter_lines(fh, max_bytes)
    first = next(lines, None)
    columns = _aact_columns(first[1] or b"") if first else None
    if columns is None:
        raise InputError("not an AACT eligibilities file (header needs nct_id and criteria columns)", source=label)
    for lineno, line in lines:
        location = f"{label}:{lineno}"
        if line is None:
            yield ReadFailure(None, location, f"line is above the limit of {max_bytes:,} bytes")
        elif line.strip():
            yield _aact_item(line, columns, location)


def _aact_item(line: bytes, columns: list[str], location: str) -> Item:
    text = _decode_utf8(line)
    if not isinstance(text, str):
        return ReadFailure(_nct_in(line, _NCT_BYTES), location, text.reason)
    row = _split_aact(text.rstrip("\r\n"), columns)
    if row is None:
        found = text.count("|") + 1
        nct = _NCT.search(text)
        reason = f"expected {len(columns)} '|'-separated fields, found {found}"
        return ReadFailure(nct.group(0) if nct else None, location, reason)
    trial_id = row["nct_id"].strip() or None
    criteria = row["criteria"].replace("~", "\n")
    if not criteria.strip():
        return ReadFailure(trial_id, location, "no eligibility criteria")
    std_ages = [name for col, name in _AACT_STD_AGES if _yes_no(row.get(col)) is True]
    registry = _registry(
        row.get("minimum_age"), row.get("maximum_age"), row.get("gender"), row.get("healthy_volunteers"), std_ages
    )
    return SourceRecord(trial_id, criteria, registry, location, "aact")


def _split_aact(text: str, columns: list[str]) -> dict[str, str] | None:
    """Split a row; surplus ``|`` are taken to belong to the free-text ``criteria`` column."""
    fields = text.split("|")
    extra = len(fields) - len(columns)
    if extra < 0:
        return None
    at = columns.index("criteria")
    fields[at : at + extra + 1] = ["|".join(fields[at : at + extra + 1])]
    return dict(zip(columns, fields, strict=True))


# ------------------------------------------------------------------------------------ plain text


def _text_item(data: bytes, location: str, fallback: str | None) -> Item:
    """A text file is one trial's criteria (or listing), checked like any single input."""
    text = _decode_utf8(data)
    if not isinstance(text, str):
        return ReadFailure(fallback, location, text.reason)
    try:
        source = from_text(text, location, max_bytes=len(text) + 1)
    except InputError as exc:
        return ReadFailure(fallback, location, _one_line(exc.message))
    return SourceRecord(fallback, source.text, {}, location, "text")


# ----------------------------------------------------------------------------------- registry fields


def _registry(minimum: Any, maximum: Any, sex: Any, healthy: Any, std_ages: Any) -> dict[str, Any]:
    """The normalised eligibility fields; a field the source lacks (or marks N/A) is left out."""
    registry: dict[str, Any] = {}
    for key, value in (("minimum_age", minimum), ("maximum_age", maximum)):
        age = _age(value)
        if age is not None:
            registry[key] = age
    if isinstance(sex, str) and sex.strip().lower() in _SEX:
        registry["sex"] = _SEX[sex.strip().lower()]
    hv = _yes_no(healthy)
    if hv is not None:
        registry["healthy_volunteers"] = hv
    if isinstance(std_ages, list) and std_ages:
        registry["std_ages"] = [str(a) for a in std_ages]
    return registry


def _age(value: Any) -> dict[str, Any] | None:
    """``"6 Months"`` -> ``{"text": "6 Months", "years": 0.5}``; no limit or an unreadable age -> ``None``.

    An age whose unit is unknown is left out rather than given without years: consumers compare
    ``years`` with the ages the criteria text states.
    """
    if not isinstance(value, str) or value.strip().upper() in _NO_LIMIT:
        return None
    m = _AGE.match(value)
    if m is None:
        return None
    return {"text": value.strip(), "years": float(m.group(1)) / _PER_YEAR[m.group(2).lower()]}


def _yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
    return None


# ------------------------------------------------------------------------------------------ helpers


@dataclass(frozen=True)
class _Bad:
    reason: str


def _decode_utf8(data: bytes) -> str | _Bad:
    """Strict UTF-8 (a leading BOM dropped); the reason names the first bad byte and its offset."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _Bad(f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})")


def _too_large(size: int, max_bytes: int) -> str:
    return f"study is {size:,} bytes, above the limit of {max_bytes:,} bytes (see --max-bytes)"


def _nct_from_name(name: str) -> str | None:
    found = _NCT.findall(name)
    return found[-1] if found else None


def _nct_in(data: bytes, pattern: re.Pattern[bytes]) -> str | None:
    m = pattern.search(data[:_PEEK])
    return m.group(1).decode("ascii") if m else None


def _one_line(text: str) -> str:
    return " ".join(text.split())
