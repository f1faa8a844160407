"""Bad input: a one-line error naming the file and the reason, a non-zero exit, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import extractor
from extractor.errors import BinaryInputError, EmptyInputError, EncodingError, InputTooLargeError, NoCriteriaError

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "extractor", *args], cwd=ROOT, input=stdin, capture_output=True, timeout=120
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    )


BAD = {
    "empty.txt": (b"", "input is empty"),
    "blank.txt": (b"  \n\n\t\n", "input is empty"),
    "binary.bin": (bytes(range(256)) * 40, "binary"),
    "latin1.txt": ("Inclusion Criteria:\nâge ≥ 18".encode()[:22] + "é".encode("latin-1") + b"\n", "not valid UTF-8"),
    "nocriteria.txt": (
        b"Some trial\nYes No Not Sure\nClear my responses\nHow to participate?\nSign up as volunteer\n",
        "no Inclusion or Exclusion criteria section",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_cli_bad_input(tmp_path: Path, name: str) -> None:
    data, reason = BAD[name]
    path = tmp_path / name
    path.write_bytes(data)
    proc = _cli("extract", str(path))
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert str(path) in lines[0] and reason in lines[0]
    assert "Traceback" not in proc.stderr


def test_cli_too_large(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"Inclusion Criteria:\n" + b"Age >= 18 years\n" * 3_300_000)  # ~53 MB
    proc = _cli("extract", str(path))
    assert proc.returncode == 1
    assert "above the limit" in proc.stderr and str(path) in proc.stderr and "Traceback" not in proc.stderr


def test_cli_missing_file() -> None:
    proc = _cli("extract", "no/such/file.txt")
    assert proc.returncode == 1 and "no such file" in proc.stderr


def test_cli_stdin() -> None:
    proc = _cli("extract", "-", "--compact", stdin=b"Inclusion Criteria:\nAge 18~65 years\n")
    assert proc.returncode == 0
    assert '"comparator": "between"' in proc.stdout


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", EmptyInputError),
        (b"\x00\x01\x02" * 100, BinaryInputError),
        (b"Inclusion Criteria:\n\xff\xfe caf\xe9", EncodingError),
    ],
)
def test_api_bad_bytes(data: bytes, error: type[Exception]) -> None:
    from extractor.source import decode

    with pytest.raises(error):
        decode(data, "x.txt")


def test_api_size_limit() -> None:
    with pytest.raises(InputTooLargeError):
        extractor.extract("Inclusion Criteria:\nAge >= 18\n" * 1000, max_bytes=1000)


def test_api_listing_without_criteria() -> None:
    with pytest.raises(NoCriteriaError):
        extractor.extract(BAD["nocriteria.txt"][0].decode())


@pytest.mark.parametrize("text", ["12345", "---", "< 70"])
def test_a_text_with_no_word_holds_no_criteria(text: str) -> None:
    with pytest.raises(NoCriteriaError):
        extractor.extract(text)


def test_a_criterion_of_acronyms_alone_is_read() -> None:
    (crit,) = extractor.extract("ANC > 1500/mm3")["criteria"]
    assert [c["measure"] for c in crit["constraints"]] == ["absolute neutrophil count"]


def test_pathological_input_is_bounded() -> None:
    import time

    start = time.perf_counter()
    record = extractor.extract("Inclusion Criteria:\n" + "<" * 200_000 + "\n" + "1 " * 50_000 + "\n")
    elapsed = time.perf_counter() - start
    assert record["criteria"]
    assert elapsed < 60, f"pathological input took {elapsed:.1f}s"
