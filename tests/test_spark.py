"""Spark local mode: the same records as the local batch, and failures accounted for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from extractor.batch import run_batch

from .conftest import zip_head
from .test_batch import CRITERIA, many, study, write_zip

pyspark = pytest.importorskip("pyspark", reason="the spark extra is not installed (pip install -e '.[spark]')")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def spark() -> Any:
    from extractor.spark import session

    s = session("local[2]", "extractor-tests")
    yield s
    s.stop()


def _local_lines(dump: Path, tmp_path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    out = tmp_path / "local.jsonl"
    run_batch([dump], out)
    errors = [json.loads(line) for line in (tmp_path / "local.errors.jsonl").read_text(encoding="utf-8").splitlines()]
    return out.read_text(encoding="utf-8").splitlines(), errors


def test_spark_records_equal_the_local_batch(spark: Any, tmp_path: Path) -> None:
    from extractor.spark import extract_dump

    dump = write_zip(tmp_path / "dump.zip", many(30))
    local, _ = _local_lines(dump, tmp_path)
    rows = extract_dump(spark, [dump], partitions=4).orderBy("position").collect()
    assert [r.status for r in rows] == ["ok"] * 30
    assert [r.record for r in rows] == local  # same JSON, byte for byte, in input order


def test_spark_failures_are_accounted_for(spark: Any, tmp_path: Path) -> None:
    from extractor.spark import extract_dump

    good = many(3)
    dump = tmp_path / "mixed.jsonl"
    dump.write_text(
        "\n".join(
            [
                json.dumps(good[0]),
                "{not json",
                json.dumps(study("NCT20000001", None)),
                json.dumps(good[1]),
                json.dumps(
                    study(
                        "NCT20000002", "Yes No Not Sure\nClear my responses\nHow to participate?\nSign up as volunteer"
                    )
                ),
                json.dumps(good[2]),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    rows = extract_dump(spark, [dump], format="ctgov-json").orderBy("position").collect()
    local_ok, local_errors = _local_lines(dump, tmp_path)
    assert len(rows) == 6
    assert [r.record for r in rows if r.status == "ok"] == local_ok
    errors = [r for r in rows if r.status == "error"]
    assert [(r.trial_id, r.stage) for r in errors] == [(e["trial_id"], e["stage"]) for e in local_errors]
    assert all(r.error for r in errors)


def test_extract_criteria_and_typed_columns(spark: Any) -> None:
    from extractor.spark import explode_constraints, explode_windows, extract_criteria

    df = spark.createDataFrame(
        [("NCT1", CRITERIA[0]), ("NCT2", CRITERIA[1]), ("NCT3", None)], "nct_id string, eligibility_criteria string"
    )
    records = extract_criteria(df, id_col="nct_id", text_col="eligibility_criteria").cache()
    statuses = {r.trial_id: r.status for r in records.collect()}
    assert statuses == {"NCT1": "ok", "NCT2": "ok", "NCT3": "error"}
    constraints = explode_constraints(records)
    creatinine = constraints.where("measure = 'creatinine' AND ucum = 'umol/L'").collect()
    assert (
        len(creatinine) == 1
        and creatinine[0].value == 221.0
        and creatinine[0].canonical_value == pytest.approx(2.5, abs=1e-3)
    )
    types = {f.name: f.dataType.simpleString() for f in constraints.schema}
    assert (types["value"], types["measure"], types["canonical_value"]) == ("double", "string", "double")
    windows = explode_windows(records).collect()
    assert [(w.trial_id, w.duration, w.anchor) for w in windows] == [("NCT2", "P30D", "enrollment")]


def test_cli_spark_engine_writes_parquet(tmp_path: Path) -> None:
    dump = write_zip(tmp_path / "dump.zip", many(5))
    out = tmp_path / "criteria.parquet"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "extractor",
            "batch",
            str(dump),
            "--engine",
            "spark",
            "--master",
            "local[2]",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "read 5 = written 5 + failed 0" in done.stderr
    import pandas as pd

    table = pd.read_parquet(out)
    assert sorted(table["trial_id"]) == [f"NCT{10000000 + i:08d}" for i in range(5)]


def test_shared_sample_equality(spark: Any, shared_data: Path, tmp_path: Path) -> None:
    from extractor.spark import extract_dump

    small = tmp_path / "sample.json.zip"
    zip_head(shared_data / "ctgov" / "ctg-studies-dev.json.zip", small, 40)
    local, _ = _local_lines(small, tmp_path)
    rows = extract_dump(spark, [small], partitions=4).orderBy("position").collect()
    assert [r.record for r in rows if r.status == "ok"] == local
