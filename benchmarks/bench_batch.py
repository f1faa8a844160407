"""Batch throughput against a baseline measured in the same run.

    python benchmarks/bench_batch.py [--limit N]

Reads the shared registry samples (../shared/data/ctgov), then prints for the same texts:
  baseline  spaCy's blank English tokenizer alone (trials/s, chars/s)
  batch     the full extractor (entity model and vocabulary links included), schema validation
            included, with 1 and 2 workers; and the rules alone (--no-model --no-link), 1 worker
the ratio of each to the baseline, the 1 -> 2 worker speed-up, peak RSS of the main process and of
the workers, and the projected time for the whole registry (~570,000 studies, ~1.7 G characters).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import spacy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractor.batch import run_batch  # noqa: E402
from extractor.readers import SourceRecord, iter_records  # noqa: E402

SAMPLES = ROOT.parent / "shared" / "data" / "ctgov"
REGISTRY_STUDIES = 570_000
REGISTRY_CHARS = 1.7e9


def _rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports kB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", default=str(SAMPLES / "ctg-studies-dev.json.zip"))
    parser.add_argument("--spark", action="store_true", help="also run the same sample on Spark local[2]")
    parser.add_argument(
        "--larger",
        default=str(SAMPLES / "AllPublicXML-dev.zip"),
        help="a larger dump run afterwards with 2 workers, to show that peak memory stays flat ('' to skip)",
    )
    args = parser.parse_args()

    texts = [r.text for r in iter_records(args.input) if isinstance(r, SourceRecord)]
    chars = sum(len(t) for t in texts)
    print(f"input    {args.input}: {len(texts)} studies with criteria, {chars:,} characters")

    nlp = spacy.blank("en")
    start = time.perf_counter()
    for text in texts:
        nlp.tokenizer(text)
    base = time.perf_counter() - start
    print(f"baseline blank tokenizer: {len(texts) / base:9.1f} trials/s {chars / base:12,.0f} chars/s")

    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            out = Path(tmp) / f"out{workers}.jsonl"
            summary = run_batch([args.input], out, workers=workers)
            rate = summary.written / summary.elapsed
            rates[workers] = summary.elapsed
            per_core = (chars / summary.elapsed) / workers
            print(
                f"batch    {workers} worker(s):     {rate:9.1f} trials/s {chars / summary.elapsed:12,.0f} chars/s"
                f"  per core {100 * per_core / (chars / base):5.1f}% of baseline   ({summary.line()})"
            )
        same = (Path(tmp) / "out1.jsonl").read_bytes() == (Path(tmp) / "out2.jsonl").read_bytes()
        # what the trained entity model and the vocabulary linking cost: the rules alone, 1 worker
        summary = run_batch([args.input], Path(tmp) / "rules.jsonl", workers=1, model=False, link=False)
        per_core = chars / summary.elapsed
        print(
            f"rules only (--no-model --no-link), 1 worker: {summary.written / summary.elapsed:9.1f} trials/s"
            f" {per_core:12,.0f} chars/s  per core {100 * per_core / (chars / base):5.1f}% of baseline"
            f"  (full extractor takes {rates[1] / summary.elapsed:.2f}x its time)"
        )
    print(f"speed-up 1 -> 2 workers: {rates[1] / rates[2]:.2f}x   output identical: {same}")
    print(
        f"peak RSS main process {_rss_mb(resource.RUSAGE_SELF):.0f} MB, largest worker {_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB"
    )
    if args.larger:
        with tempfile.TemporaryDirectory() as tmp:
            summary = run_batch([args.larger], Path(tmp) / "larger.jsonl", workers=2)
        print(
            f"larger   {args.larger}: {summary.line()}\n"
            f"         peak RSS after it: main {_rss_mb(resource.RUSAGE_SELF):.0f} MB,"
            f" largest worker {_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB ({summary.read / len(texts):.1f}x the studies)"
        )
    if args.spark:
        from extractor.spark import extract_dump, session

        spark = session("local[2]", "bench")
        start = time.perf_counter()
        extract_dump(spark, [args.input], partitions=4).count()  # warm-up: JVM, workers, pipeline
        warm = time.perf_counter() - start
        start = time.perf_counter()
        n = extract_dump(spark, [args.input], partitions=4).where("status = 'ok'").count()
        took = time.perf_counter() - start
        spark.stop()
        print(
            f"spark    local[2]:           {n / took:9.1f} trials/s {chars / took:12,.0f} chars/s"
            f"  ({took / rates[2]:.2f}x the time of 2 local workers; first run with start-up {warm:.1f} s)"
        )
    chars_per_s_2 = chars / rates[2]
    hours = REGISTRY_CHARS / chars_per_s_2 / 3600
    print(
        f"projected whole registry (~{REGISTRY_STUDIES:,} studies, ~{REGISTRY_CHARS / 1e9:.1f} G chars) on 2 workers:"
        f" {hours:.1f} h by characters, {REGISTRY_STUDIES / (len(texts) / rates[2]) / 3600:.1f} h by studies"
    )


if __name__ == "__main__":
    main()
