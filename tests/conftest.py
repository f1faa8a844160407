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


def all_items(record: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [item for c in record["criteria"] for item in c[key]]
