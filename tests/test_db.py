"""The criteria database on SQLite and on a real PostgreSQL: schema homes, transactional and
idempotent loads, resume after a kill, refusals, the filter language and the eleven documented queries."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import extractor
from extractor.batch import run_batch
from extractor.db import (
    DB_SCHEMA_VERSION,
    FIELD_HOMES,
    DatabaseError,
    connect,
    count_rows,
    criteria,
    ensure_schema,
    load_jsonl,
    metadata,
    schema_migrations,
    trials,
)
from extractor.query import run_filter, run_sql

from .conftest import zip_head

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "docs" / "queries.sql"


def records_file(tmp_path: Path, texts: list[tuple[str, str]]) -> Path:
    path = tmp_path / "records.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for tid, text in texts:
            record = extractor.extract(text, name=tid)
            record["trial_id"] = tid
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


SMALL = [
    (
        "NCT90000001",
        "Inclusion Criteria:\n* Age 18~65 years\n* ECOG 0-1\nExclusion Criteria:\n* eGFR ≤ 60 ml/min\n* Received live vaccine within 30 days prior to Visit 2\n",
    ),
    (
        "NCT90000002",
        "Inclusion Criteria:\n* Age ≥ 18 years\n* Serum creatinine <221.0μmol/L (2.5mg/dl)\nExclusion Criteria:\n* HIV positive\n* prednisone ≥ 100 mg/d\n",
    ),
    (
        "NCT90000003",
        "Inclusion Criteria:\n* No active infection\nExclusion Criteria:\n* eGFR < 45 mL/min/1.73 m2\n* AST or ALT > 3 x ULN\n",
    ),
]


# --- the schema has a home for every field ----------------------------------------------------------


def _schema_fields(schema: dict[str, Any]) -> set[str]:
    defs = schema["$defs"]
    fields = {f"record.{p}" for p in schema["properties"]}
    fields |= {f"source.{p}" for p in schema["properties"]["source"]["properties"]}
    fields |= {f"registry.{p}" for p in schema["properties"]["registry"]["properties"]}
    for name in ("criterion", "entity", "constraint", "window", "drug", "formula"):
        fields |= {f"{name}.{p}" for p in defs[name]["properties"]}
    return fields


def test_every_schema_field_has_a_home_in_the_database(schema: dict[str, Any]) -> None:
    missing = sorted(_schema_fields(schema) - set(FIELD_HOMES))
    assert not missing, f"schema fields with no home in the database: {missing}"
    for home in FIELD_HOMES.values():
        table, column = home.split(".")
        assert column in metadata.tables[table].c, home


# --- loading ------------------------------------------------------------------------------------------


def test_load_is_idempotent_and_queries_work(db_url: str, tmp_path: Path) -> None:
    path = records_file(tmp_path, SMALL)
    engine = connect(db_url)
    first = load_jsonl(engine, str(path))
    assert (first.read, first.loaded, first.refused) == (3, 3, 0)
    counts = count_rows(engine)
    again = load_jsonl(engine, str(path))
    assert again.loaded == 3
    after = count_rows(engine)
    assert {k: v for k, v in after.items() if k != "runs"} == {k: v for k, v in counts.items() if k != "runs"}
    assert after["runs"] == counts["runs"] + 1
    assert counts["trials"] == 3 and counts["constraints"] >= 8 and counts["windows"] >= 1

    _, rows = run_filter(engine, "exclusion eGFR <= 60")
    assert {r[0] for r in rows} == {"NCT90000001", "NCT90000003"}
    _, rows = run_filter(engine, "exclusion eGFR <= 50")
    assert {r[0] for r in rows} == {"NCT90000003"}
    _, rows = run_filter(engine, "inclusion age >= 18")
    assert {r[0] for r in rows} == {"NCT90000001", "NCT90000002"}
    _, rows = run_filter(engine, "creatinine < 3 mg/dL")
    assert {r[0] for r in rows} == {"NCT90000002"}
    _, rows = run_filter(engine, "exclusion live vaccine within 30 days")
    assert [r[:2] for r in rows] == [("NCT90000001", "exc-2")]
    _, rows = run_filter(engine, "drug prednisone")
    assert {r[0] for r in rows} == {"NCT90000002"}
    _, rows = run_filter(engine, "anchor visit 2")
    assert {r[0] for r in rows} == {"NCT90000001"}


def test_a_newer_extraction_replaces_the_trial(db_url: str, tmp_path: Path) -> None:
    engine = connect(db_url)
    load_jsonl(engine, str(records_file(tmp_path, SMALL)))
    newer = records_file(tmp_path, [("NCT90000001", "Inclusion Criteria:\n* Age 18~75 years\n")])
    load_jsonl(engine, str(newer))
    with engine.connect() as conn:
        texts = list(conn.execute(select(criteria.c.text).where(criteria.c.trial_id == "NCT90000001")).scalars())
    assert texts == ["Age 18~75 years"]


def test_invalid_records_are_refused_with_id_and_reason(db_url: str, tmp_path: Path) -> None:
    path = records_file(tmp_path, SMALL[:2])
    bad = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    bad["trial_id"] = "NCT90000009"
    bad["criteria"][0]["side"] = "maybe"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(bad) + "\n{broken json\n")
    summary = load_jsonl(connect(db_url), str(path))
    assert (summary.loaded, summary.refused) == (2, 2)
    assert summary.refusals[0]["trial_id"] == "NCT90000009" and "side" in summary.refusals[0]["reason"]
    assert "invalid JSON" in summary.refusals[1]["reason"]


def test_schema_versions(db_url: str) -> None:
    engine = connect(db_url)
    assert ensure_schema(engine) == DB_SCHEMA_VERSION
    assert ensure_schema(engine) == DB_SCHEMA_VERSION  # no second migration
    with engine.begin() as conn:
        assert conn.execute(select(func.count()).select_from(schema_migrations)).scalar() == DB_SCHEMA_VERSION
        conn.execute(schema_migrations.insert().values(version=DB_SCHEMA_VERSION + 1, applied_at="later"))
    with pytest.raises(DatabaseError, match="newer"):
        ensure_schema(engine)


def test_killed_load_leaves_no_partial_trial_and_resumes(tmp_path: Path) -> None:
    texts = [(f"NCT91{i:06d}", SMALL[i % 3][1]) for i in range(400)]
    path = records_file(tmp_path, texts)
    db = tmp_path / "killed.db"
    cmd = [sys.executable, "-m", "extractor", "load", str(path), "--db", str(db)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    engine = connect(str(db))
    deadline = time.monotonic() + 120
    loaded = 0
    while time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            with engine.connect() as conn:
                loaded = conn.execute(select(func.count()).select_from(trials)).scalar() or 0
        except Exception:
            continue
        if loaded >= 20:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with engine.connect() as conn:
        present = conn.execute(select(func.count()).select_from(trials)).scalar()
        per_trial = dict(conn.execute(select(criteria.c.trial_id, func.count()).group_by(criteria.c.trial_id)).all())
    assert 0 < present < 400, "the kill must land part-way"
    expected = {tid: len(extractor.extract(text)["criteria"]) for tid, text in texts}
    assert all(per_trial.get(tid, 0) == expected[tid] for tid in per_trial), (
        "a trial is visible with only part of its rows"
    )
    assert set(per_trial) == {r for r in per_trial}  # every visible trial has criteria
    done = subprocess.run([*cmd, "--resume"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "skipped" in done.stderr
    reference = tmp_path / "reference.db"
    load_jsonl(connect(str(reference)), str(path))
    a, b = count_rows(engine), count_rows(connect(str(reference)))
    assert {k: v for k, v in a.items() if k != "runs"} == {k: v for k, v in b.items() if k != "runs"}


# --- the eleven documented queries, on a database loaded from the shared registry sample ----------------


def _queries() -> list[tuple[str, str]]:
    text = QUERIES.read_text(encoding="utf-8")
    out = []
    for block in re.split(r"(?m)^-- name: ", text)[1:]:
        name = block.splitlines()[0].strip()
        body = "\n".join(line for line in block.splitlines()[1:] if not line.startswith("--")).strip().rstrip(";")
        out.append((name, body))
    return out


def test_eleven_documented_queries() -> None:
    assert len(_queries()) == 11


@pytest.fixture(scope="module")
def registry_jsonl(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 250 studies of the shared API v2 sample, batched once for the module."""
    tmp = tmp_path_factory.mktemp("registry")
    small = tmp / "sample.json.zip"
    zip_head(shared_data / "ctgov" / "ctg-studies-dev.json.zip", small, 250)
    out = tmp / "sample.jsonl"
    assert run_batch([small], out, workers=2).written == 250
    return out


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def registry_db(request: pytest.FixtureRequest, registry_jsonl: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A database loaded from the registry sample, once per backend."""
    if request.param == "sqlite":
        url = str(tmp_path_factory.mktemp("db") / "registry.db")
    else:
        from sqlalchemy import create_engine, text

        base = request.getfixturevalue("postgres_url")
        admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "registry_sample"'))
            conn.execute(text('CREATE DATABASE "registry_sample"'))
        admin.dispose()
        url = base.rsplit("/", 1)[0] + "/registry_sample"
    engine = connect(url)
    assert load_jsonl(engine, str(registry_jsonl)).loaded == 250
    yield engine
    engine.dispose()


EXPECT = {
    "creatinine_upper_limits": lambda rows: rows and all(r[1] >= 1 for r in rows),
    "minimum_ages_in_text": lambda rows: rows and rows[0][0] == 18 and all(0 <= r[0] <= 100 for r in rows),
    "registry_age_disagreements": lambda rows: (
        {r[0] for r in rows} <= {"minimum_age", "maximum_age", "sex"} and all(r[1] >= r[2] >= 1 for r in rows)
    ),
    "common_exclusion_conditions": lambda rows: len(rows) == 10 and rows[0][1] >= rows[-1][1],
    "ecog_limits": lambda rows: rows and all(0 <= r[0] <= 5 for r in rows),
    "transaminase_uln_multiples": lambda rows: rows and all(1 <= r[1] <= 10 for r in rows),
    "window_anchors": lambda rows: "index" in {r[0] for r in rows} and all(r[1] >= r[2] for r in rows),
    "window_lengths_before_anchor": lambda rows: rows and sum(r[1] for r in rows) > 50,
    "common_excluded_drugs": lambda rows: 0 < len(rows) <= 10,
    "negated_inclusion_mentions": lambda rows: rows and all(r[1] >= r[2] >= 1 for r in rows),
    "how_inclusion_sub_items_combine": lambda rows: (
        rows[0][0] == "all" and "any" in {r[0] for r in rows} and all(r[2] >= r[3] >= 1 for r in rows)
    ),
}


@pytest.mark.parametrize("name", list(EXPECT))
def test_documented_query(registry_db: Any, name: str) -> None:
    sql = dict(_queries())[name]
    columns, rows = run_sql(registry_db, sql)
    assert columns and EXPECT[name](rows), (name, rows[:5])


def test_cli_load_and_query(tmp_path: Path) -> None:
    path = records_file(tmp_path, SMALL)
    db = tmp_path / "cli.db"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "extractor", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
        )

    loaded = cli("load", str(path), "--db", str(db))
    assert loaded.returncode == 0 and "loaded 3" in loaded.stderr
    as_json = cli("query", "--db", str(db), "exclusion eGFR <= 60", "--format", "json")
    assert as_json.returncode == 0
    assert {row["trial_id"] for row in json.loads(as_json.stdout)} == {"NCT90000001", "NCT90000003"}
    as_csv = cli("query", "--db", str(db), "--sql", "SELECT trial_id FROM trials ORDER BY trial_id", "--format", "csv")
    assert as_csv.stdout.splitlines() == ["trial_id", "NCT90000001", "NCT90000002", "NCT90000003"]
    bad = cli("query", "--db", str(db), "--sql", "SELECT nope FROM nowhere")
    assert bad.returncode == 1 and "query failed" in bad.stderr and "Traceback" not in bad.stderr
    unreadable = cli("query", "--db", str(db), "eGFR <= ")
    assert unreadable.returncode == 1 and "cannot read threshold" in unreadable.stderr


def test_an_older_database_is_upgraded(db_url: str) -> None:
    from sqlalchemy import inspect

    engine = connect(db_url)
    with engine.begin() as conn:  # a database from before versioning: one table, no migrations record
        trials.create(conn)
    assert ensure_schema(engine) == DB_SCHEMA_VERSION
    names = set(inspect(engine).get_table_names())
    assert {"criteria", "constraints", "windows", "drugs", "schema_migrations", "runs"} <= names
    with engine.connect() as conn:
        assert conn.execute(select(func.max(schema_migrations.c.version))).scalar() == DB_SCHEMA_VERSION


def test_a_version_1_database_gains_the_link_status_column(db_url: str) -> None:
    from sqlalchemy import inspect, text

    engine = connect(db_url)
    with engine.begin() as conn:  # the layout of database schema 1: no entities.link_status
        metadata.create_all(conn)
        conn.execute(text("ALTER TABLE entities DROP COLUMN link_status"))
        conn.execute(schema_migrations.insert().values(version=1, applied_at="before"))
    assert "link_status" not in {c["name"] for c in inspect(engine).get_columns("entities")}
    assert ensure_schema(engine) == DB_SCHEMA_VERSION == 5
    assert "link_status" in {c["name"] for c in inspect(engine).get_columns("entities")}


def test_a_version_2_database_gains_the_schema_1_4_columns(db_url: str) -> None:
    from sqlalchemy import inspect, text

    engine = connect(db_url)
    with engine.begin() as conn:  # the layout of database schema 2: no windows.half_lives, whichever
        metadata.create_all(conn)
        conn.execute(text("ALTER TABLE windows DROP COLUMN half_lives"))
        conn.execute(text("ALTER TABLE windows DROP COLUMN whichever"))
        conn.execute(text("ALTER TABLE constraints DROP COLUMN change"))
        for version in (1, 2):
            conn.execute(schema_migrations.insert().values(version=version, applied_at="before"))
    assert ensure_schema(engine) == DB_SCHEMA_VERSION == 5
    assert {"half_lives", "whichever"} <= {c["name"] for c in inspect(engine).get_columns("windows")}
    assert "change" in {c["name"] for c in inspect(engine).get_columns("constraints")}


def test_a_version_3_database_gains_the_sub_items_columns(db_url: str, tmp_path: Path) -> None:
    from sqlalchemy import inspect, text

    engine = connect(db_url)
    with engine.begin() as conn:  # the layout of database schema 3: no criteria.sub_items_op, sub_items_n
        metadata.create_all(conn)
        conn.execute(text("ALTER TABLE criteria DROP COLUMN sub_items_op"))
        conn.execute(text("ALTER TABLE criteria DROP COLUMN sub_items_n"))
        for version in (1, 2, 3):
            conn.execute(schema_migrations.insert().values(version=version, applied_at="before"))
    assert ensure_schema(engine) == DB_SCHEMA_VERSION == 5
    assert {"sub_items_op", "sub_items_n"} <= {c["name"] for c in inspect(engine).get_columns("criteria")}
    text_with_list = (
        "Inclusion Criteria:\n* Must meet 2 of the following:\n  * Hemoglobin < 10 g/dL\n"
        "  * Platelets < 100,000/mm3\n  * Neutrophils < 1,500/mm3\n"
    )
    load_jsonl(engine, str(records_file(tmp_path, [("NCT90000009", text_with_list)])))
    _, rows = run_sql(
        engine, "SELECT criterion_id, sub_items_op, sub_items_n FROM criteria WHERE sub_items_op IS NOT NULL"
    )
    assert [tuple(r) for r in rows] == [("inc-1", "at_least", 2)]


def test_a_version_4_database_gains_the_dose_range_columns(db_url: str, tmp_path: Path) -> None:
    from sqlalchemy import inspect, text

    engine = connect(db_url)
    with engine.begin() as conn:  # the layout of database schema 4: no drugs.dose_low, dose_high
        metadata.create_all(conn)
        conn.execute(text("ALTER TABLE drugs DROP COLUMN dose_low"))
        conn.execute(text("ALTER TABLE drugs DROP COLUMN dose_high"))
        for version in (1, 2, 3, 4):
            conn.execute(schema_migrations.insert().values(version=version, applied_at="before"))
    assert ensure_schema(engine) == DB_SCHEMA_VERSION == 5
    assert {"dose_low", "dose_high"} <= {c["name"] for c in inspect(engine).get_columns("drugs")}
    text_with_range = "Inclusion Criteria:\n* Dapsone 50 - 100 mg per day is allowed.\n"
    load_jsonl(engine, str(records_file(tmp_path, [("NCT90000010", text_with_range)])))
    _, rows = run_sql(engine, "SELECT name, dose_comparator, dose_value, dose_low, dose_high, dose_ucum FROM drugs")
    assert [tuple(r) for r in rows] == [("dapsone", "between", None, 50.0, 100.0, "mg/d")]
