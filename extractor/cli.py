"""Command line: a thin layer over the library. The only module that prints or exits.

python -m extractor extract FILE|-            one JSON record on stdout
python -m extractor extract FILE|DIR... --format brat --out DIR    BRAT standoff, one .ann per .txt
python -m extractor evaluate PRED_OR_SOURCE GOLD [--json]
python -m extractor evaluate --corpus chia --split test              entity scores like the literature
python -m extractor train --out DIR [--final] [--install]            train the Chia entity model
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

    ex = sub.add_parser("extract", help="extract trials' criteria as JSON records or BRAT standoff")
    ex.add_argument(
        "inputs",
        nargs="+",
        help="listing pages, criteria blocks or bare lists (UTF-8 text), or folders of .txt files; '-' reads stdin",
    )
    ex.add_argument(
        "--format",
        choices=["json", "jsonl", "brat"],
        default="json",
        help="json: one indented record (one input); jsonl: one record per line; brat: X.ann per X.txt in --out",
    )
    ex.add_argument("--out", help="output folder (required with --format brat); default stdout for json/jsonl")
    ex.add_argument("--compact", action="store_true", help="one line of JSON instead of indented")
    ex.add_argument("--no-model", action="store_true", help="rules and lexicons only, without the trained entity model")
    ex.add_argument("--no-link", action="store_true", help="leave out linking to ICD-10-CM, DrugBank and LOINC")
    ex.add_argument(
        "--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help=f"refuse larger inputs (default {DEFAULT_MAX_BYTES:,})"
    )

    ev = sub.add_parser("evaluate", help="score a record (or the extraction of a source text) against a gold record")
    ev.add_argument("predicted", nargs="?", help="a record (.json) or a source text to extract first")
    ev.add_argument("gold", nargs="?", help="gold record (.json)")
    ev.add_argument("--corpus", choices=["chia"], help="score entity spans on an annotated corpus instead")
    ev.add_argument("--split", choices=["train", "dev", "test"], default="test", help="corpus split (default test)")
    ev.add_argument(
        "--corpus-dir", help="the corpus folder (default: $CHIA_DIR or ../shared/data/chia/chia_with_scope)"
    )
    ev.add_argument(
        "--engine",
        choices=["pipeline", "model"],
        default="pipeline",
        help="pipeline: what `extract --format brat` writes (default); model: the trained model alone",
    )
    ev.add_argument("--no-model", action="store_true", help="extract with the rules and lexicons alone")
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
    ba.add_argument("--no-model", action="store_true", help="rules and lexicons only, without the trained entity model")
    ba.add_argument("--no-link", action="store_true", help="leave out linking to ICD-10-CM, DrugBank and LOINC")

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

    tr = sub.add_parser("train", help="train the Chia entity model (CPU; the test split is never read)")
    tr.add_argument("--out", required=True, help="training folder; the pipeline lands in OUT/model-best")
    tr.add_argument("--corpus-dir", help="the Chia folder (default: $CHIA_DIR or ../shared/data/chia/chia_with_scope)")
    tr.add_argument("--config", help="spaCy training config (default: the shipped extractor/training/chia_spancat.cfg)")
    tr.add_argument("--max-steps", type=int, help="override training.max_steps")
    tr.add_argument("--limit", type=int, help="use only the first N files of each split (smoke tests)")
    tr.add_argument(
        "--types", choices=["main", "concepts", "all"], help="the Chia types to train on (default: the shipped model's)"
    )
    tr.add_argument(
        "--final",
        action="store_true",
        help="train on train + dev with the settings fixed on dev (steps scaled, last step kept, the held-out threshold)",
    )
    tr.add_argument(
        "--registry",
        nargs="*",
        help="registry dumps whose criteria the static vectors are also trained on (default: the shared "
        "ClinicalTrials.gov samples where they exist; none: give the option alone)",
    )
    tr.add_argument("--install", action="store_true", help="then ship it: copy the pipeline into extractor/models/")

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
        return _extract(args)
    if args.command == "train":
        return _train(args)
    if args.command == "evaluate" and args.corpus:
        return _evaluate_corpus(args)
    if args.command == "evaluate":
        if not args.predicted or not args.gold:
            raise InputError("evaluate needs PREDICTED and GOLD, or --corpus chia")
        gold = _load_json(args.gold)
        if Path(args.predicted).suffix.lower() == ".json":
            predicted = _load_json(args.predicted)
        else:
            from .pipeline import load

            predicted = api.extract(_read_source(args.predicted, DEFAULT_MAX_BYTES), nlp=load(model=not args.no_model))
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


def _expand_inputs(inputs: list[str]) -> list[str]:
    out: list[str] = []
    for arg in inputs:
        path = Path(arg)
        if arg != "-" and path.is_dir():
            found = sorted(str(p) for p in path.iterdir() if p.suffix.lower() == ".txt")
            if not found:
                raise InputError("folder holds no .txt files", source=arg)
            out += found
        else:
            out.append(arg)
    return out


def _extract(args: argparse.Namespace) -> int:
    from . import api, brat
    from .pipeline import load

    inputs = _expand_inputs(args.inputs)
    if args.format == "json" and len(inputs) > 1:
        raise InputError("--format json takes one input; use --format jsonl or brat for many")
    if args.format == "brat" and not args.out:
        raise InputError("--format brat needs --out DIR")
    if args.format == "brat" and "-" in inputs:
        raise InputError("--format brat reads files (the .ann is named after the .txt), not stdin")
    nlp = load(model=not args.no_model)  # once for every input
    out_dir = Path(args.out) if args.out else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    jsonl = open(out_dir / "records.jsonl", "w", encoding="utf-8") if out_dir and args.format == "jsonl" else None  # noqa: SIM115
    failed = 0
    try:
        for arg in inputs:
            try:
                source = _read_source(arg, args.max_bytes)
                record = api.extract(source, nlp=nlp, max_bytes=args.max_bytes, link=not args.no_link)
            except ExtractorError as exc:
                sys.stderr.write(f"error: {exc}\n")
                failed += 1
                continue
            if args.format == "brat":
                assert out_dir is not None
                spans, gaps = brat.record_annotations(record, source.text)
                brat.write_pair(out_dir, Path(arg), source.text, spans, gaps)
            elif args.format == "jsonl":
                line = json.dumps(record, ensure_ascii=False) + "\n"
                (jsonl or sys.stdout).write(line)
            else:
                text = json.dumps(record, ensure_ascii=False, indent=None if args.compact else 1) + "\n"
                if out_dir is not None:
                    (out_dir / (Path(arg).stem + ".json")).write_text(text, encoding="utf-8")
                else:
                    sys.stdout.write(text)
    finally:
        if jsonl:
            jsonl.close()
    if len(inputs) > 1:
        sys.stderr.write(f"extracted {len(inputs) - failed} of {len(inputs)} input(s), {failed} failed\n")
    return 1 if failed else 0


def _evaluate_corpus(args: argparse.Namespace) -> int:
    from . import chia, chia_eval
    from .pipeline import load

    files = list(chia.files(args.corpus_dir, args.split))
    if args.engine == "model":
        from .model import shared_model

        predicted = chia_eval.predict_with_model(files, shared_model())
    else:
        predicted = chia_eval.predict_with_pipeline(files, load(model=not args.no_model))
    scores = chia_eval.score_files(files, predicted)
    trials = len({f.trial_id for f in files})
    if args.json:
        sys.stdout.write(json.dumps({"split": args.split, "trials": trials, **scores}, indent=1) + "\n")
    else:
        title = f"Chia {args.split} split: {trials} trials, {len(files)} files, engine {args.engine}"
        sys.stdout.write(chia_eval.format_table(scores, title))
    return 0


def _train(args: argparse.Namespace) -> int:
    from . import train

    overrides = {"training.max_steps": args.max_steps} if args.max_steps else None
    provenance = train.train(
        args.out,
        corpus=args.corpus_dir,
        config=args.config or train.CONFIG,
        overrides=overrides,
        limit=args.limit,
        types=args.types or train.DEFAULT_TYPES,
        final=args.final,
        registry=args.registry,
    )
    pipeline = Path(args.out) / ("model-last" if args.final else "model-best")
    held_out = " (the held-out run's: dev is in the training data)" if args.final else ""
    sys.stderr.write(
        f"trained: {pipeline}, threshold {provenance['threshold']}, dev strict/relaxed micro-F1 "
        f"(main types) {provenance['dev_scores']['strict_main_f1']}/{provenance['dev_scores']['relaxed_main_f1']}"
        f"{held_out}\n"
    )
    if args.install:
        dest = train.package(pipeline, Path(__file__).parent / "models" / "chia_spancat")
        sys.stderr.write(f"installed into {dest}\n")
    return 0


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
        if args.no_model or args.no_link:
            raise InputError("--no-model and --no-link are not available with --engine spark yet")
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
        model=not args.no_model,
        link=not args.no_link,
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
