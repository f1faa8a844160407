"""Record validation: the JSON Schema plus domain checks, as generators of every problem with its path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator

try:  # a compiled validator ~100x faster; the pure-Python one stays the reference and explains errors
    import jsonschema_rs
except ImportError:  # pragma: no cover - jsonschema-rs is a declared dependency
    jsonschema_rs = None  # type: ignore[assignment]

from .errors import SchemaError
from .paths import schema_path


@dataclass(frozen=True)
class Problem:
    """One problem in a record: where (a JSON path) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    with open(schema_path(), encoding="utf-8") as fh:
        return json.load(fh)  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    # Built once: rebuilding a validator per record is ~35x slower.
    Draft202012Validator.check_schema(schema())
    return Draft202012Validator(schema())


def _path(parts: Any) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


@lru_cache(maxsize=1)
def _fast_validator() -> Any:
    return jsonschema_rs.validator_for(schema()) if jsonschema_rs is not None else None


def iter_schema_errors(record: Any) -> Iterator[Problem]:
    """Schema problems with their JSON paths; a record the fast validator accepts is not re-checked."""
    fast = _fast_validator()
    if fast is not None and fast.is_valid(record):
        return
    for err in sorted(_validator().iter_errors(record), key=lambda e: list(map(str, e.absolute_path))):
        yield Problem(_path(err.absolute_path), err.message)


def _spans(obj: Any, path: str) -> Iterator[tuple[str, list[int], str | None]]:
    """Every (path, span, text) pair in a record (iterative: records are large and this runs per record)."""
    stack: list[tuple[Any, str]] = [(obj, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            span = node.get("span")
            if isinstance(span, list) and len(span) == 2:
                text = node.get("text")
                yield f"{where}.span", span, text if isinstance(text, str) else None
            for k, v in node.items():
                if k != "span" and isinstance(v, (dict, list)):
                    stack.append((v, f"{where}.{k}"))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, (dict, list)):
                    stack.append((v, f"{where}[{i}]"))


_LEAVES = frozenset({str, int, float, bool, type(None)})


def _spans_ok(node: Any, length: Any, source_text: str | None) -> bool:
    """Do all the span checks of :func:`iter_domain_errors` pass? The walk of :func:`_spans` without a
    path string per node (a path is needed only to report a problem), recursive and skipping scalars
    by their exact type: three times faster. A record nested too deep for that says no, and the
    iterative walk then checks it."""
    try:
        return _walk_ok(node, length if isinstance(length, int) else None, source_text)
    except RecursionError:
        return False


def _walk_ok(node: Any, length: int | None, source_text: str | None) -> bool:
    if isinstance(node, dict):
        span = node.get("span")
        if isinstance(span, list) and len(span) == 2:
            s, e = span
            if not (isinstance(s, int) and isinstance(e, int)) or s > e or (length is not None and e > length):
                return False
            text = node.get("text")
            if source_text is not None and isinstance(text, str) and source_text[s:e] != text:
                return False
        for k, v in node.items():
            if type(v) not in _LEAVES and k != "span" and isinstance(v, (dict, list)):
                if not _walk_ok(v, length, source_text):
                    return False
    elif isinstance(node, list):
        for v in node:
            if type(v) not in _LEAVES and isinstance(v, (dict, list)) and not _walk_ok(v, length, source_text):
                return False
    return True


def _refs(tree: Any) -> Iterator[str]:
    if isinstance(tree, dict):
        if "ref" in tree:
            yield tree["ref"]
        for a in tree.get("args", []):
            yield from _refs(a)


def iter_domain_errors(record: dict[str, Any], source_text: str | None = None) -> Iterator[Problem]:
    """Checks the schema cannot express: offsets, ids, references, ordered ranges, sub-items."""
    length = record.get("source", {}).get("length")
    for path, (s, e), text in () if _spans_ok(record, length, source_text) else _spans(record, "$"):
        if not (isinstance(s, int) and isinstance(e, int)) or s > e:
            yield Problem(path, f"span [{s}, {e}) is not ordered")
            continue
        if isinstance(length, int) and e > length:
            yield Problem(path, f"span [{s}, {e}) runs past the end of the source ({length})")
        if source_text is not None and text is not None and source_text[s:e] != text:
            yield Problem(path, f"text {text!r} differs from the source at [{s}, {e}): {source_text[s:e]!r}")
    seen: set[str] = set()
    crit_ids = {c.get("id") for c in record.get("criteria", []) if isinstance(c, dict)}
    parents = {c.get("parent") for c in record.get("criteria", []) if isinstance(c, dict)} - {None}
    for ci, c in enumerate(record.get("criteria", [])):
        if not isinstance(c, dict):
            continue
        where = f"$.criteria[{ci}]"
        if c.get("parent") is not None and c["parent"] not in crit_ids:
            yield Problem(f"{where}.parent", f"parent {c['parent']!r} is not a criterion of this record")
        local: set[str] = set()
        cs, ce = c.get("span", [0, 0])
        combine = c.get("sub_items")
        if combine is not None and c.get("id") not in parents:
            yield Problem(f"{where}.sub_items", "says how sub-items combine, but the criterion has none")
        cue = (combine or {}).get("cue") or {}
        s, e = cue.get("span", [cs, ce])
        if s < cs or e > ce:
            yield Problem(f"{where}.sub_items.cue", f"{cue.get('text')!r} lies outside its criterion [{cs}, {ce})")
        for key in ("entities", "constraints", "windows", "drugs"):
            for ii, item in enumerate(c.get(key, [])):
                iid = item.get("id")
                if iid in seen:
                    yield Problem(f"{where}.{key}[{ii}].id", f"duplicate id {iid!r}")
                seen.add(iid)
                local.add(iid)
                s, e = item.get("span", [cs, ce])
                if s < cs or e > ce:
                    yield Problem(f"{where}.{key}[{ii}].span", f"[{s}, {e}) lies outside its criterion [{cs}, {ce})")
        for ii, k in enumerate(c.get("constraints", [])):
            if k.get("subject") is not None and k["subject"] not in local:
                yield Problem(f"{where}.constraints[{ii}].subject", f"{k['subject']!r} is no entity of this criterion")
            if k.get("equivalent_to") is not None and k["equivalent_to"] not in local:
                yield Problem(
                    f"{where}.constraints[{ii}].equivalent_to",
                    f"{k['equivalent_to']!r} is no constraint of this criterion",
                )
            lo, hi = k.get("low"), k.get("high")
            if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and lo > hi:
                yield Problem(f"{where}.constraints[{ii}]", f"range {lo}..{hi} is not ordered")
            if k.get("comparator") == "between" and (lo is None or hi is None):
                yield Problem(f"{where}.constraints[{ii}]", "comparator 'between' needs low and high")
        for ii, w in enumerate(c.get("windows", [])):
            for ref in w.get("applies_to", []):
                if ref not in local:
                    yield Problem(f"{where}.windows[{ii}].applies_to", f"{ref!r} is no entity of this criterion")
        for ii, d in enumerate(c.get("drugs", [])):
            if d.get("entity") is not None and d["entity"] not in local:
                yield Problem(f"{where}.drugs[{ii}].entity", f"{d['entity']!r} is no entity of this criterion")
            dose = d.get("dose") or {}
            lo, hi = dose.get("low"), dose.get("high")
            if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and lo > hi:
                yield Problem(f"{where}.drugs[{ii}].dose", f"range {lo}..{hi} is not ordered")
        for ref in _refs(c.get("logic")):
            if ref not in local:
                yield Problem(f"{where}.logic", f"leaf {ref!r} is no item of this criterion")


def iter_errors(record: Any, source_text: str | None = None) -> Iterator[Problem]:
    """Every problem of a record: schema errors first; domain checks when the schema passes."""
    schema_problems = list(iter_schema_errors(record))
    yield from schema_problems
    if not schema_problems:
        yield from iter_domain_errors(record, source_text)


def validate(record: Any, source_text: str | None = None, name: str | None = None) -> None:
    """Raise :class:`SchemaError` listing every problem, or return None for a valid record."""
    problems = list(iter_errors(record, source_text))
    if problems:
        shown = "; ".join(map(str, problems[:5]))
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise SchemaError(f"record fails validation: {shown}{more}", source=name)
