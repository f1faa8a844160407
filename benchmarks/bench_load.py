"""Database load throughput on SQLite and PostgreSQL, measured in one run.

    python benchmarks/bench_load.py

Batches the shared API v2 sample once, then loads the same JSON Lines into a fresh SQLite file and
into a throwaway PostgreSQL cluster (started here, removed after), and prints records/s for each.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractor.batch import run_batch  # noqa: E402
from extractor.db import connect, count_rows, load_jsonl  # noqa: E402
from extractor.pg_throwaway import PostgresUnavailable, throwaway_postgres  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "data" / "ctgov" / "ctg-studies-dev.json.zip"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        records = Path(tmp) / "records.jsonl"
        batch = run_batch([SAMPLE], records, workers=2)
        print(f"records  {batch.written} from {SAMPLE.name}")
        sqlite = connect(str(Path(tmp) / "bench.db"))
        s = load_jsonl(sqlite, str(records))
        rows = sum(v for k, v in count_rows(sqlite).items() if k != "runs")
        print(f"sqlite      {s.loaded / s.elapsed:8.1f} records/s  {rows / s.elapsed:10,.0f} rows/s  ({s.line()})")
        try:
            with throwaway_postgres() as url:
                pg = connect(url)
                p = load_jsonl(pg, str(records))
                print(
                    f"postgresql  {p.loaded / p.elapsed:8.1f} records/s  {rows / p.elapsed:10,.0f} rows/s  ({p.line()})"
                )
                print(f"ratio postgresql / sqlite: {(p.loaded / p.elapsed) / (s.loaded / s.elapsed):.2f}")
                pg.dispose()
        except PostgresUnavailable as exc:
            print(f"postgresql  skipped: {exc}")


if __name__ == "__main__":
    main()
