"""Command line: a thin layer over the library. The only module that prints or exits.

python -m extractor extract FILE|-            one JSON record on stdout
python -m extractor evaluate PRED_OR_SOURCE GOLD [--json]
python -m extractor validate RECORD.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import __version__
from .errors import ExtractorError, InputError
from .source import DEFAULT_MAX_BYTES, decode, read_path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m extractor", description="Computable eligibility criteria from trial text."
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    ex = sub.add_parser("extract", help="extract one trial's criteria as a JSON record")
    ex.add_argument("input", help="a listing page, a criteria block or a bare list (UTF-8 text); '-' reads stdin")
    ex.add_argument("--compact", action="store_true", help="one line of JSON instead of indented")
    ex.add_argument(
        "--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help=f"refuse larger inputs (default {DEFAULT_MAX_BYTES:,})"
    )

    ev = sub.add_parser("evaluate", help="score a record (or the extraction of a source text) against a gold record")
    ev.add_argument("predicted", help="a record (.json) or a source text to extract first")
    ev.add_argument("gold", help="gold record (.json)")
    ev.add_argument("--json", action="store_true", help="print the scores as JSON")
    ev.add_argument("--no-errors", action="store_true", help="leave out the lists of misses and false positives")

    ba = sub.add_parser(
        "batch", help="extract registry dumps (API v2 JSON/zip/JSONL, legacy XML/zip, AACT, text) into JSON Lines"
    )
    ba.add_argument("inputs", nargs="+", help="dump files or folders; the format is detected from the content")
    ba.add_argument("--out", required=True, help="output JSON Lines file")
    ba.add_argument("--format", choices=["ctgov-json", "ctgov-xml", "aact", "text"], help="force the input format")
    ba.add_argument(
        "--workers", type=int, default=1, help="worker processes (default 1; same output whatever the number)"
    )
    ba.add_argument("--errors", help="errors file (default: OUT with .errors.jsonl)")
    ba.add_argument("--resume", action="store_true", help="skip trials already in OUT (after a killed run)")
    ba.add_argument("--quiet", action="store_true", help="no progress bar")
    ba.add_argument("--timeout", type=int, default=60, help="seconds one trial may take (default 60)")
    ba.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help="refuse larger single records")
    ba.add_argument("--db", help="also load the records into this database (SQLite path or postgresql:// URL)")
    ba.add_argument("--engine", choices=["local", "spark"], default="local", help="local processes, or Apache Spark")
    ba.add_argument("--master", default="local[2]", help="Spark master URL (with --engine spark)")

    lo = sub.add_parser("load", help="load JSON Lines records into a database (SQLite by default, PostgreSQL by URL)")
    lo.add_argument("records", help="JSON Lines file written by `batch`")
    lo.add_argument("--db", required=True, help="SQLite file path or a database URL (postgresql://user@host/db)")
    lo.add_argument("--resume", action="store_true", help="skip trials already in the database")

    qu = sub.add_parser("query", help="query a criteria database with the filter language, or SQL")
    qu.add_argument("filter", help='filter, e.g. "exclusion eGFR <= 60", or SQL with --sql')
    qu.add_argument("--db", required=True, help="SQLite file path or a database URL")
    qu.add_argument("--sql", action="store_true", help="the argument is SQL")
    qu.add_argument("--format", choices=["table", "csv", "json"], default="table")
    qu.add_argument("--limit", type=int, default=None)

    va = sub.add_parser("validate", help="check a record against the JSON Schema and the domain checks")
    va.add_argument("record", help="record (.json)")
    va.add_argument("--source", help="source text, to check that every span's text matches it")
    return p


def _read_source(arg: str, max_bytes: int) -> Any:
    if arg == "-":
        return decode(sys.stdin.buffer.read(), "<stdin>", max_bytes=max_bytes)
    return read_path(arg, max_bytes=max_bytes)


def _load_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError as exc:
        raise InputError("no such file", source=path) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON: {exc}", source=path) from exc


def run(argv: list[str] | None = None) -> int:
    """Run a command; return the exit status (0 ok, 1 failure, 2 usage)."""
    args = _parser().parse_args(argv)
    from . import api, evaluate
    from .validate import iter_errors, schema

    if args.command == "extract":
        record = api.extract(_read_source(args.input, args.max_bytes), max_bytes=args.max_bytes)
        indent = None if args.compact else 1
        sys.stdout.write(json.dumps(record, ensure_ascii=False, indent=indent) + "\n")
        return 0
    if args.command == "evaluate":
        gold = _load_json(args.gold)
        if Path(args.predicted).suffix.lower() == ".json":
            predicted = _load_json(args.predicted)
        else:
            predicted = api.extract(_read_source(args.predicted, DEFAULT_MAX_BYTES))
        report = evaluate.evaluate(predicted, gold)
        if args.json:
            sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) + "\n")
        else:
            sys.stdout.write(evaluate.format_report(report, show_errors=not args.no_errors) + "\n")
        return 0
    if args.command == "batch":
        return _batch(args)
    if args.command == "load":
        return _load(args)
    if args.command == "query":
        return _query(args)
    if args.command == "validate":
        record = _load_json(args.record)
        source_text = read_path(args.source).text if args.source else None
        problems = list(iter_errors(record, source_text))
        for problem in problems:
            sys.stdout.write(f"{args.record}: {problem}\n")
        if problems:
            return 1
        sys.stdout.write(f"{args.record}: valid (schema {schema()['$id']})\n")
        return 0
    return 2  # pragma: no cover - argparse enforces the choices


def _progress_printer() -> Any:
    def show(summary: Any) -> None:
        rate = summary.read / summary.elapsed if summary.elapsed else 0.0
        total = f"/{summary.total:,}" if summary.total else ""
        eta = ""
        if summary.total and rate:
            left = max(0.0, (summary.total - summary.read) / rate)
            eta = f"  ETA {int(left // 60)}:{int(left % 60):02d}"
        sys.stderr.write(f"\r{summary.read:,}{total} trials  {rate:.1f}/s{eta}  failed {summary.failed:,}   ")
        sys.stderr.flush()

    return show


def _spark_batch(args: argparse.Namespace) -> int:
    try:
        from .spark import extract_dump, session
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise InputError('--engine spark needs the spark extra: pip install -e ".[spark]"') from exc
    spark = session(args.master)
    try:
        result = extract_dump(spark, args.inputs, args.format).cache()
        result.orderBy("position").write.mode("overwrite").parquet(args.out)
        counts = dict(result.groupBy("status").count().collect())
    finally:
        spark.stop()
    ok, failed = counts.get("ok", 0), counts.get("error", 0)
    sys.stderr.write(
        f"read {ok + failed:,} = written {ok:,} + failed {failed:,} + skipped 0 (Spark {args.master}) -> {args.out}\n"
    )
    return 0 if ok or not failed else 1


def _batch(args: argparse.Namespace) -> int:
    from .batch import run_batch

    if args.engine == "spark":
        return _spark_batch(args)

    if args.workers < 1:
        raise InputError("--workers must be at least 1")
    show = not args.quiet and sys.stderr.isatty()
    summary = run_batch(
        args.inputs,
        args.out,
        format=args.format,
        workers=args.workers,
        errors=args.errors,
        resume=args.resume,
        timeout_s=args.timeout,
        max_bytes=args.max_bytes,
        progress=_progress_printer() if show else None,
    )
    if show:
        sys.stderr.write("\n")
    sys.stderr.write(summary.line() + "\n")
    if args.db:
        from .db import connect, load_jsonl

        loaded = load_jsonl(connect(args.db), args.out, resume=args.resume)
        sys.stderr.write("load: " + loaded.line() + "\n")
    return 0 if summary.written or not summary.read else 1


def _load(args: argparse.Namespace) -> int:
    from .db import connect, load_jsonl

    if not Path(args.records).is_file():
        raise InputError("no such file", source=args.records)
    summary = load_jsonl(connect(args.db), args.records, resume=args.resume)
    for refusal in summary.refusals:
        sys.stderr.write(f"refused {refusal['location']} {refusal['trial_id']}: {refusal['reason']}\n")
    sys.stderr.write(summary.line() + "\n")
    return 0 if summary.loaded or summary.skipped or not summary.read else 1


def _query(args: argparse.Namespace) -> int:
    import csv

    from .db import connect
    from .query import run_filter, run_sql

    engine = connect(args.db)
    try:
        columns, rows = run_sql(engine, args.filter) if args.sql else run_filter(engine, args.filter, args.limit)
    except ExtractorError:
        raise
    except Exception as exc:  # SQL errors from the user's own SQL
        raise InputError(f"query failed: {str(exc).splitlines()[0]}", source=args.db) from exc
    if args.sql and args.limit:
        rows = rows[: args.limit]
    if args.format == "json":
        sys.stdout.write(
            json.dumps([dict(zip(columns, r, strict=True)) for r in rows], ensure_ascii=False, default=str) + "\n"
        )
    elif args.format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        widths = [min(60, max([len(c)] + [len(str(r[i])) for r in rows])) for i, c in enumerate(columns)]
        sys.stdout.write("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)) + "\n")
        for r in rows:
            cells = [str(v).replace("\n", " ")[:60] for v in r]
            sys.stdout.write("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + "\n")
        sys.stderr.write(f"{len(rows)} row(s)\n")
    return 0


def main(argv: list[str] | None = None) -> None:
    try:
        status = run(argv)
    except ExtractorError as exc:
        sys.stderr.write(f"error: {exc}\n")
        status = 1
    except KeyboardInterrupt:
        status = 130
    except BrokenPipeError:
        status = 0
    sys.exit(status)
