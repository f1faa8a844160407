"""Shared fixtures: the bundled trial, its gold, one pipeline per session, and the shared corpora."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import extractor

ROOT = Path(__file__).resolve().parents[1]
TRIAL = ROOT / "corpus" / "NCT05474885"
SHARED = ROOT.parent / "shared"


def read_source(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


@pytest.fixture(scope="session")
def listing_path() -> Path:
    return TRIAL / "listing.txt"


@pytest.fixture(scope="session")
def listing_text(listing_path: Path) -> str:
    return read_source(listing_path)


@pytest.fixture(scope="session")
def gold() -> dict[str, Any]:
    return json.loads((TRIAL / "gold.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def record(listing_path: Path) -> dict[str, Any]:
    return extractor.extract_path(listing_path)


@pytest.fixture(scope="session")
def schema() -> dict[str, Any]:
    return json.loads((ROOT / "schemas" / "criteria.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip(f"shared corpora not found at {data} (they exist in CI; a fresh clone has none)")
    return data


def extract_lines(*lines: str, side: str = "inclusion") -> dict[str, Any]:
    """A record for a small criteria block with one header."""
    header = "Inclusion Criteria:" if side == "inclusion" else "Exclusion Criteria:"
    return extractor.extract("\n".join([header, *lines]) + "\n")


def zip_head(src: Path, dst: Path, n: int) -> Path:
    """A copy of the first ``n`` members of a zip dump (small, format-exact test inputs)."""
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist()[:n]:
            zout.writestr(info, zin.read(info))
    return dst


def all_items(record: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [item for c in record["criteria"] for item in c[key]]


# --- databases: SQLite always, a real throwaway PostgreSQL cluster where its binaries exist --------

import os  # noqa: E402
from collections.abc import Iterator  # noqa: E402


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server started for this test session in a temporary folder, torn down after."""
    if os.environ.get("EXTRACTOR_TEST_PG_URL"):
        yield os.environ["EXTRACTOR_TEST_PG_URL"]
        return
    from extractor.pg_throwaway import PostgresUnavailable, throwaway_postgres

    try:
        cluster = throwaway_postgres()
        url = cluster.__enter__()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc} (CI installs the server: see .ci/run)")
        pytest.skip(f"{exc}; the SQLite half of the database tests still runs")
    try:
        yield url
    finally:
        cluster.__exit__(None, None, None)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same tests on SQLite and on PostgreSQL; each test gets an empty database."""
    if request.param == "sqlite":
        yield str(tmp_path / "criteria.db")
        return
    base = request.getfixturevalue("postgres_url")
    from sqlalchemy import create_engine, text

    name = f"t_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def chia_dir(shared_data: Path) -> Path:
    folder = shared_data / "chia" / "chia_with_scope"
    if not folder.is_dir():
        pytest.skip(f"Chia corpus not found at {folder}")
    return folder
