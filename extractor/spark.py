"""The same extraction on Apache Spark (optional extra: ``pip install -e ".[spark]"``).

    from extractor.spark import extract_criteria, explode_constraints
    records = extract_criteria(studies_df, id_col="nct_id", text_col="eligibility_criteria")
    constraints = explode_constraints(records)   # one row per numeric constraint, typed columns

The pipeline is built once per executor Python process (``mapInPandas`` with the process-wide cached
pipeline), never once per row. Each study goes through :func:`extractor.batch.process`, the very
function the local batch uses, so the records are the same JSON byte for byte; failures come back
in the ``error`` column with their stage, so nothing is lost and the counts add up.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

RESULT_SCHEMA = "position long, trial_id string, status string, record string, stage string, error string"
CONSTRAINT_SCHEMA = (
    "trial_id string, criterion_id string, side string, constraint_id string, measure string, comparator string, "
    "value double, value_text string, low double, high double, unit string, ucum string, canonical_value double, "
    "canonical_low double, canonical_high double, canonical_unit string, multiple double, reference string, "
    "change string"
)
WINDOW_SCHEMA = (
    "trial_id string, criterion_id string, side string, window_id string, comparator string, duration string, "
    "days double, half_lives double, whichever string, direction string, anchor string"
)


def session(master: str = "local[2]", app: str = "trial-criteria") -> Any:
    """A SparkSession whose Python workers run this interpreter (so they find this package)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    return (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )


def _process_partition(batches: Iterator[Any]) -> Iterator[Any]:
    import pandas as pd

    from .batch import _init_worker, process
    from .readers import ReadFailure, SourceRecord

    _init_worker(60, 2_000_000)  # cached per executor process: built once, reused by every partition
    for pdf in batches:
        rows: list[tuple[Any, ...]] = []
        for row in pdf.itertuples(index=False):
            if row.read_error:
                item: Any = ReadFailure(row.trial_id, row.location, row.read_error)
            else:
                item = SourceRecord(
                    row.trial_id, row.text, json.loads(row.registry or "{}"), row.location, row.format or "text"
                )
            status, tid, line = process(item)
            if status == "ok":
                rows.append((row.position, tid, "ok", line, None, None))
            else:
                err = json.loads(line)
                rows.append((row.position, tid, "error", None, err["stage"], err["reason"]))
        yield pd.DataFrame(rows, columns=["position", "trial_id", "status", "record", "stage", "error"])


def extract_criteria(
    df: Any, id_col: str = "nct_id", text_col: str = "eligibility_criteria", registry_col: str | None = None
) -> Any:
    """Extract every row of a DataFrame of studies; returns position, trial_id, status, record (JSON), stage, error."""
    from pyspark.sql import functions as F

    prepared = df.select(
        F.monotonically_increasing_id().alias("position"),
        F.col(id_col).cast("string").alias("trial_id"),
        F.col(text_col).cast("string").alias("text"),
        (F.col(registry_col).cast("string") if registry_col else F.lit(None).cast("string")).alias("registry"),
        F.col(id_col).cast("string").alias("location"),
        F.lit("text").alias("format"),
        F.when(F.col(text_col).isNull(), F.lit("no eligibility criteria"))
        .otherwise(F.lit(None))
        .cast("string")
        .alias("read_error"),
    )
    return prepared.mapInPandas(_process_partition, RESULT_SCHEMA)


def read_dump(spark: Any, paths: list[str | Path], format: str | None = None, partitions: int = 8) -> Any:
    """Read dumps with the project's own readers (no second parser) into a DataFrame of studies."""
    from .readers import ReadFailure, iter_records

    rows: list[tuple[Any, ...]] = []
    for path in paths:
        for item in iter_records(path, format):
            if isinstance(item, ReadFailure):
                rows.append((len(rows), item.trial_id, None, None, item.location, None, item.reason))
            else:
                rows.append(
                    (len(rows), item.trial_id, item.text, json.dumps(item.registry), item.location, item.format, None)
                )
    schema = "position long, trial_id string, text string, registry string, location string, format string, read_error string"
    return spark.createDataFrame(rows, schema).repartition(partitions)


def extract_dump(spark: Any, paths: list[str | Path], format: str | None = None, partitions: int = 8) -> Any:
    """Read and extract dumps; the result keeps the input order in ``position``."""
    return read_dump(spark, paths, format, partitions).mapInPandas(_process_partition, RESULT_SCHEMA)


def _explode(batches: Iterator[Any], key: str) -> Iterator[Any]:
    """One typed row per constraint or window: the database's own mapping of a record to rows, so the
    Spark columns and the tables follow the record schema from one place."""
    import pandas as pd

    from .db import criteria, rows_of
    from .db import metadata as db_tables

    table = db_tables.tables[key]
    columns = _COLUMNS[key]
    for pdf in batches:
        rows: list[dict[str, Any]] = []
        for record_json in pdf["record"]:
            if not record_json:
                continue
            record = json.loads(record_json)
            tables = rows_of(record, None)
            side = {r["criterion_id"]: r["side"] for r in tables[criteria]}
            for row in tables[table]:
                row = {**row, "trial_id": record.get("trial_id"), "side": side[row["criterion_id"]]}
                rows.append({c: row.get(c) for c in columns})
        yield pd.DataFrame(rows, columns=columns)


_COLUMNS = {
    "constraints": [c.split()[0] for c in CONSTRAINT_SCHEMA.split(", ")],
    "windows": [c.split()[0] for c in WINDOW_SCHEMA.split(", ")],
}


def explode_constraints(records: Any) -> Any:
    """One row per numeric constraint, with typed columns SQL users can query directly."""
    return (
        records.where("status = 'ok'")
        .select("record")
        .mapInPandas(lambda it: _explode(it, "constraints"), CONSTRAINT_SCHEMA)
    )


def explode_windows(records: Any) -> Any:
    """One row per time window (days, half-lives, direction, anchor)."""
    return (
        records.where("status = 'ok'").select("record").mapInPandas(lambda it: _explode(it, "windows"), WINDOW_SCHEMA)
    )
