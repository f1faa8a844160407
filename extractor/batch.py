"""Registry dumps at scale: stream records through the extractor into validated JSON Lines.

Streaming and bounded: the readers yield one study at a time; studies go to the workers in windows of
a fixed size, so memory stays flat whatever the dump size, and results come back in input order
whatever the number of workers (``workers=1`` gives the same bytes). Nothing is lost: every study
read is written, failed (with its stage and reason in the errors file) or skipped (``resume``), and
``read == written + failed + skipped``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

from .errors import ExtractorError
from .readers import ReadFailure, SourceRecord, count_records, iter_records
from .rules import load_json, word_list
from .source import DEFAULT_MAX_BYTES
from .trie import trie_pattern

#: a record as one JSON line: the bytes of ``json.dumps(record, ensure_ascii=False)``. A record is a
#: fresh tree of dicts and lists that never refers to itself, so the encoder's check for circular
#: references (a dict of the id of every container, entered and left) is skipped: ~15% of encoding.
_RECORD_JSON = json.JSONEncoder(ensure_ascii=False, check_circular=False)
#: studies handed to the pool at a time, per worker: bounds memory and keeps the output ordered
WINDOW_PER_WORKER = 32
#: seconds one extraction may take before it is abandoned as failed
DEFAULT_TIMEOUT_S = 60


@dataclass
class BatchSummary:
    """Counts of one run; ``read == written + failed + skipped`` always holds."""

    read: int = 0
    written: int = 0
    failed: int = 0
    skipped: int = 0
    elapsed: float = 0.0
    total: int | None = None
    startup: float = 0.0
    by_stage: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.read == self.written + self.failed + self.skipped

    def line(self) -> str:
        check = "=" if self.balanced else "!="
        return (
            f"read {self.read:,} {check} written {self.written:,} + failed {self.failed:,} + skipped {self.skipped:,}"
            f" in {self.elapsed:.1f} s ({self.read / self.elapsed if self.elapsed else 0:.1f} trials/s;"
            f" start-up {self.startup:.1f} s)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "written": self.written,
            "failed": self.failed,
            "skipped": self.skipped,
            "elapsed_s": round(self.elapsed, 3),
            "startup_s": round(self.startup, 3),
            "by_stage": dict(self.by_stage),
        }


# --- worker side ----------------------------------------------------------------------------------

_WORKER_TIMEOUT = DEFAULT_TIMEOUT_S
_WORKER_MAX_BYTES = DEFAULT_MAX_BYTES
_WORKER_MODEL = True
_WORKER_LINK = True


def _init_worker(timeout_s: int, max_bytes: int, model: bool = True, link: bool = True) -> None:
    """Build the pipeline (and the vocabulary indexes) once per worker process (medspaCy rules do not
    pickle); forked workers find them built already."""
    global _WORKER_TIMEOUT, _WORKER_MAX_BYTES, _WORKER_MODEL, _WORKER_LINK
    _WORKER_TIMEOUT, _WORKER_MAX_BYTES, _WORKER_MODEL, _WORKER_LINK = timeout_s, max_bytes, model, link
    from .api import _default_nlp
    from .assemble import _stopwords
    from .layout import _config
    from .link import _plain_dose_patterns, _words
    from .validate import _fast_validator

    _default_nlp(model)
    # what every study needs, built here rather than on the first study: compiled once in the
    # driver, forked workers inherit it
    for build in (_config, _words, _plain_dose_patterns, _stopwords, _fast_validator):
        build()
    if link:
        from .linking import warm_up

        warm_up()


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def process(item: SourceRecord | ReadFailure) -> tuple[str, str | None, str]:
    """One study -> ("ok", trial id, JSON line) or ("error", trial id, JSON error line). Plain data only."""
    if isinstance(item, ReadFailure):
        return "error", item.trial_id, _error_line(item.trial_id, item.location, item.stage, item.reason)
    from .api import _default_nlp, extract

    # signals work only in a process's main thread (Spark's Python workers run there too)
    use_alarm = (
        _WORKER_TIMEOUT > 0 and hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    )
    previous = signal.signal(signal.SIGALRM, _alarm) if use_alarm else None
    if use_alarm:
        signal.alarm(_WORKER_TIMEOUT)
    try:
        # validated once, after the registry fields are attached
        record = extract(
            item.text,
            name=item.location,
            nlp=_default_nlp(_WORKER_MODEL),
            max_bytes=_WORKER_MAX_BYTES,
            check=False,
            link=_WORKER_LINK,
        )
        attach_registry(record, item)
        from .validate import validate

        validate(record, source_text=item.text, name=item.location)
    except _Timeout:
        return (
            "error",
            item.trial_id,
            _error_line(item.trial_id, item.location, "extract", f"timed out after {_WORKER_TIMEOUT} s"),
        )
    except ExtractorError as exc:
        stage = "validate" if exc.code.startswith("E4") else "extract"
        return "error", item.trial_id, _error_line(item.trial_id, item.location, stage, f"{exc.message} [{exc.code}]")
    except Exception as exc:  # a bug must not stop 500,000 studies: report it with the record
        return (
            "error",
            item.trial_id,
            _error_line(item.trial_id, item.location, "extract", f"{type(exc).__name__}: {exc}"),
        )
    finally:
        if use_alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
    return "ok", item.trial_id, _RECORD_JSON.encode(record)


def _error_line(trial_id: str | None, location: str, stage: str, reason: str) -> str:
    return json.dumps(
        {"trial_id": trial_id, "location": location, "stage": stage, "reason": reason}, ensure_ascii=False
    )


def attach_registry(record: dict[str, Any], item: SourceRecord) -> None:
    """Carry the registry's structured fields into the record and flag where the text disagrees."""
    record["trial_id"] = item.trial_id or (record.get("trial") or {}).get("nct_id", {}).get("value")
    registry: dict[str, Any] = {"format": item.format, "location": item.location}
    registry.update(
        {
            k: v
            for k, v in item.registry.items()
            if k in {"minimum_age", "maximum_age", "sex", "healthy_volunteers", "std_ages"}
        }
    )
    disagreements = [*_age_disagreements(record, registry), *_sex_disagreements(record, registry)]
    if disagreements:
        registry["disagreements"] = disagreements
        record.setdefault("warnings", []).extend(
            {
                "code": "W004",
                "message": f"registry {d['field'].replace('_', ' ')} is {d['registry']}"
                + (" years" if d["field"] != "sex" else "")
                + f", the criteria text says {d['text']}",
                **({"criterion": d["criterion"], "span": d["span"]} if "criterion" in d else {}),
            }
            for d in disagreements
        )
    record["registry"] = registry


_CONDITIONAL_LEAD = re.compile(r"\b(?:for|if|in|when|among|where)\b[^.;:\n]{0,30}$", re.IGNORECASE)


@lru_cache(maxsize=1)
def _other_person_before() -> re.Pattern[str]:
    """Someone other than the participant named just before an age, in the same clause
    ("HLA-identical sibling age 4 to 65", "donor aged 18-60 years")."""
    words = word_list("other_people")
    return re.compile(rf"\b(?:{trie_pattern(sorted(words))})\b[^.;:\n]{{0,25}}$", re.IGNORECASE)


def text_age_limits(record: dict[str, Any]) -> Iterator[tuple[str, float, dict[str, Any], str]]:
    """(field, years, constraint, criterion id) for every age limit the inclusion criteria state.

    An age that qualifies another threshold stated before it in the criterion ("Lansky >= 50 for
    patients <= 16 years", "SF > 35% for children < 3 years"), or one introduced as a condition for a
    threshold after it ("for patients >= 70 years, creatinine clearance >= 60 mL/min"), is a
    condition, not the trial's limit; so is the age of someone else ("HLA-identical sibling age 4 to
    65", "donor aged 18-60 years": ``words.json`` ``other_people``).
    """
    for crit in record.get("criteria", []):
        if crit.get("side") != "inclusion":
            continue
        constraints = crit.get("constraints", [])
        for c in constraints:
            if c.get("measure") != "age" or c.get("ucum") != "a":
                continue
            if any(o.get("measure") != "age" and o["span"][0] < c["span"][0] for o in constraints):
                continue
            before = crit["text"][: max(0, c["span"][0] - crit["span"][0])]
            if _other_person_before().search(before):
                continue  # the age of a donor or a relative
            # "for patients >= 70 years, creatinine clearance >= 60 mL/min": a conditional age that
            # another threshold after it depends on
            if _CONDITIONAL_LEAD.search(before) and any(
                o.get("measure") != "age" and o["span"][0] > c["span"][0] for o in constraints
            ):
                continue
            low = (
                c.get("low")
                if c["comparator"] == "between"
                else c.get("value")
                if c["comparator"] in (">", ">=")
                else None
            )
            high = (
                c.get("high")
                if c["comparator"] == "between"
                else c.get("value")
                if c["comparator"] in ("<", "<=")
                else None
            )
            if isinstance(low, (int, float)):
                yield "minimum_age", float(low), c, crit["id"]
            if isinstance(high, (int, float)):
                yield "maximum_age", float(high), c, crit["id"]


def _age_disagreements(record: dict[str, Any], registry: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for fld, years, constraint, cid in text_age_limits(record):
        stated = registry.get(fld)
        if stated is None:
            continue
        # The registry has no strictness: "> 18" agrees with a minimum of 18 or 19, "< 18" with a
        # maximum of 18 or 17.
        strict = constraint["comparator"] in (">", "<")
        step = (1.0 if fld == "minimum_age" else -1.0) if strict else 0.0
        if all(abs(float(stated["years"]) - (years + d)) > 0.5 for d in {0.0, step}):
            yield {
                "field": fld,
                "registry": stated["years"],
                "text": years,
                "criterion": cid,
                "span": constraint["span"],
            }


@lru_cache(maxsize=1)
def _sex_patterns() -> tuple[re.Pattern[str], dict[str, re.Pattern[str]], re.Pattern[str]]:
    """The start of a sex statement, a pattern per sex, and the words that make it conditional."""
    sexes = {k: sorted(v) for k, v in load_json("words.json")["sex_words"].items() if k != "_"}
    lead = trie_pattern(sorted(word_list("sex_statement_leads")))
    any_sex = trie_pattern(sorted(w for ws in sexes.values() for w in ws))
    start = re.compile(rf"^\W*(?:(?:{lead})[,\s]+){{0,3}}(?P<sex>{any_sex})\b", re.IGNORECASE)
    each = {k: re.compile(rf"\b(?:{trie_pattern(v)})\b|\b[MF]/[MF]\b", re.IGNORECASE) for k, v in sexes.items()}
    conditional = re.compile(rf"\b(?:{trie_pattern(sorted(word_list('sex_conditional_words')))})\b", re.IGNORECASE)
    return start, each, conditional


def text_sexes(record: dict[str, Any]) -> dict[str, tuple[dict[str, Any], re.Match[str]]]:
    """The sexes the inclusion criteria state, each with the first criterion stating it and the
    match of its sex word in the criterion's text.

    A statement is an inclusion criterion that starts with one sex ("Male patients, age from 21 to
    60", "Healthy postmenopausal women", "Female") and names no other ("Male or female", "M/F");
    one that goes on to a condition on some participants ("Women of childbearing potential must use
    contraception", "Women must not be pregnant": ``words.json`` ``sex_conditional_words``) is none.
    """
    start, each, conditional = _sex_patterns()
    stated: dict[str, tuple[dict[str, Any], re.Match[str]]] = {}
    for crit in record.get("criteria", []):
        if crit.get("side") != "inclusion":
            continue
        m = start.match(crit["text"])
        if m is None:
            continue
        sex = next(k for k, p in each.items() if p.fullmatch(m.group("sex")))
        rest = crit["text"][m.end() :]
        if any(p.search(crit["text"]) for k, p in each.items() if k != sex) or conditional.search(rest):
            continue
        stated.setdefault(sex, (crit, m))
    return stated


def _sex_disagreements(record: dict[str, Any], registry: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The registry's sex against a text that states one other sex only ("all" against "Male patients,
    age from 21 to 60", "female" against "Men with ..."), where no inclusion criterion names the
    other sex at all."""
    sex = registry.get("sex")
    stated = text_sexes(record)
    if sex not in ("all", "male", "female") or len(stated) != 1:
        return
    [(said, (crit, m))] = stated.items()
    _, each, _ = _sex_patterns()
    others = [p for k, p in each.items() if k != said]
    if any(p.search(c["text"]) for c in record.get("criteria", []) if c.get("side") == "inclusion" for p in others):
        return  # "Men with ..." and, in another criterion, "postmenopausal women, age 45 to 64, ..."
    if said != sex:
        # the word as written, with its offsets in the source ("Male" in "Male patients aged 21 to 60")
        start = crit["span"][0] + m.start("sex")
        yield {
            "field": "sex",
            "registry": sex,
            "text": m.group("sex"),
            "criterion": crit["id"],
            "span": [start, start + len(m.group("sex"))],
        }


# --- driver side ----------------------------------------------------------------------------------


def _done_ids(out: Path) -> set[str]:
    """Trial ids already written; a truncated last line (a killed run) is cut off first."""
    if not out.exists():
        return set()
    with open(out, "rb+") as fh:
        data = fh.read()
        cut = data.rfind(b"\n") + 1
        if cut < len(data):
            fh.truncate(cut)
    done = set()
    for line in data[:cut].splitlines():
        try:
            tid = json.loads(line).get("trial_id")
        except json.JSONDecodeError:
            continue
        if tid:
            done.add(tid)
    return done


def _windows(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    window: list[Any] = []
    for item in items:
        window.append(item)
        if len(window) >= size:
            yield window
            window = []
    if window:
        yield window


def run_batch(
    inputs: list[str | Path],
    out: str | Path,
    *,
    format: str | None = None,
    workers: int = 1,
    errors: str | Path | None = None,
    resume: bool = False,
    timeout_s: int = DEFAULT_TIMEOUT_S,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Callable[[BatchSummary], None] | None = None,
    model: bool = True,
    link: bool = True,
) -> BatchSummary:
    """Extract every study of ``inputs`` into ``out`` (JSON Lines); failures go to ``errors``.

    ``model=False`` leaves the trained entity model out, ``link=False`` the vocabulary linking.

    Raises :class:`extractor.errors.InputError` when an input cannot be read at all.
    """
    out = Path(out)
    errors_path = (
        Path(errors)
        if errors
        else out.with_suffix(".errors.jsonl")
        if out.suffix == ".jsonl"
        else Path(f"{out}.errors.jsonl")
    )
    summary = BatchSummary()
    totals = [count_records(p, format) for p in inputs]
    summary.total = sum(t for t in totals if t is not None) if all(t is not None for t in totals) else None
    done = _done_ids(out) if resume else set()
    mode = "a" if resume else "w"
    start = time.perf_counter()

    def source() -> Iterator[SourceRecord | ReadFailure]:
        for path in inputs:
            yield from iter_records(path, format, max_bytes=max_bytes)

    def todo() -> Iterator[SourceRecord | ReadFailure]:
        for item in source():
            summary.read += 1
            if resume and isinstance(item, SourceRecord) and item.trial_id in done:
                summary.skipped += 1
                continue
            yield item

    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, mode, encoding="utf-8") as fout, open(errors_path, mode, encoding="utf-8") as ferr:
        # The pipeline is built once here; forked workers inherit it (no per-worker start-up, shared
        # pages). Where fork is unavailable, spawned workers build their own in the initializer.
        _init_worker(timeout_s, max_bytes, model, link)
        pool = None
        if workers > 1:
            method = "fork" if "fork" in get_all_start_methods() else "spawn"
            pool = get_context(method).Pool(
                workers, initializer=_init_worker, initargs=(timeout_s, max_bytes, model, link)
            )
        # throughput is measured from here: loading the pipeline is a one-off start-up cost
        summary.startup = time.perf_counter() - start
        start = time.perf_counter()
        try:
            for window in _windows(todo(), max(1, workers) * WINDOW_PER_WORKER):
                results = pool.map(process, window, chunksize=4) if pool else [process(item) for item in window]
                for status, _tid, line in results:
                    if status == "ok":
                        fout.write(line + "\n")
                        summary.written += 1
                    else:
                        ferr.write(line + "\n")
                        summary.failed += 1
                        stage = json.loads(line)["stage"]
                        summary.by_stage[stage] = summary.by_stage.get(stage, 0) + 1
                fout.flush()
                ferr.flush()
                summary.elapsed = time.perf_counter() - start
                if progress:
                    progress(summary)
        finally:
            if pool is not None:
                pool.close()
                pool.join()
        os.fsync(fout.fileno())
    summary.elapsed = time.perf_counter() - start
    return summary
