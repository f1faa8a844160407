"""The batch command: streaming, ordered output, nothing lost, resumable, registry fields carried."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

import extractor
from extractor.batch import run_batch

from .conftest import zip_head

ROOT = Path(__file__).resolve().parents[1]

CRITERIA = [
    "Inclusion Criteria:\n\n* Age 18~65 years\n* Serum creatinine <221.0μmol/L (2.5mg/dl)\n\nExclusion Criteria:\n\n* HIV positive\n",
    "Inclusion Criteria:\n\n* Age 18 to 75 years\n* ECOG 0-1\n\nExclusion Criteria:\n\n* Received live vaccine within 30 days prior to enrollment\n",
    "Key Inclusion Criteria:\n\n* Hemoglobin \\>= 9 g/dL\n\nKey Exclusion Criteria:\n\n* Pregnant or lactating women\n",
]


def study(
    nct: str, criteria: str | None, min_age: str | None = "18 Years", max_age: str | None = "65 Years"
) -> dict[str, Any]:
    eligibility: dict[str, Any] = {"sex": "ALL", "healthyVolunteers": False, "stdAges": ["ADULT"]}
    if criteria is not None:
        eligibility["eligibilityCriteria"] = criteria
    if min_age:
        eligibility["minimumAge"] = min_age
    if max_age:
        eligibility["maximumAge"] = max_age
    return {"protocolSection": {"identificationModule": {"nctId": nct}, "eligibilityModule": eligibility}}


def write_zip(path: Path, studies: list[dict[str, Any]]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for s in studies:
            zf.writestr(f"{s['protocolSection']['identificationModule']['nctId']}.json", json.dumps(s))
    return path


def many(n: int) -> list[dict[str, Any]]:
    return [study(f"NCT{10000000 + i:08d}", CRITERIA[i % len(CRITERIA)]) for i in range(n)]


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_zip_to_jsonl_counts_and_registry(tmp_path: Path) -> None:
    dump = write_zip(tmp_path / "ctg-studies.json.zip", many(6))
    out = tmp_path / "criteria.jsonl"
    summary = run_batch([dump], out)
    assert (summary.read, summary.written, summary.failed, summary.skipped) == (6, 6, 0, 0)
    records = lines(out)
    assert [r["trial_id"] for r in records] == [f"NCT{10000000 + i:08d}" for i in range(6)]
    first = records[0]
    assert first["registry"]["minimum_age"]["years"] == 18 and first["registry"]["sex"] == "all"
    assert "disagreements" not in first["registry"]
    # registry says 18-65, the text says 18-75: flagged in the record
    second = records[1]
    (d,) = second["registry"]["disagreements"]
    assert (d["field"], d["registry"], d["text"]) == ("maximum_age", 65, 75)
    assert any(w["code"] == "W004" for w in second["warnings"])
    # the registry's Markdown escape "\>=" was undone before extraction
    assert records[2]["criteria"][0]["constraints"][0]["comparator"] == ">="


def test_two_workers_write_the_same_bytes(tmp_path: Path) -> None:
    dump = write_zip(tmp_path / "dump.zip", many(40))
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    run_batch([dump], one, workers=1)
    run_batch([dump], two, workers=2)
    assert one.read_bytes() == two.read_bytes()


def test_broken_records_are_reported_and_counted(tmp_path: Path) -> None:
    good = many(3)
    dump = tmp_path / "mixed.jsonl"
    rows = [
        json.dumps(good[0]),
        "{not json",
        json.dumps(study("NCT20000001", None)),  # no criteria text
        json.dumps(good[1]),
        json.dumps(
            study("NCT20000002", "Yes No Not Sure\nClear my responses\nHow to participate?\nSign up as volunteer")
        ),
        json.dumps(good[2]),
    ]
    dump.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = run_batch([dump], out, format="ctgov-json")
    assert summary.read == 6 and summary.written == 3 and summary.failed == 3 and summary.balanced
    errors = lines(tmp_path / "out.errors.jsonl")
    assert len(errors) == 3
    assert {e["stage"] for e in errors} <= {"read", "extract", "validate"}
    assert {e["trial_id"] for e in errors} >= {"NCT20000001", "NCT20000002"}
    assert all(e["location"] and e["reason"] for e in errors)


def test_a_pathological_record_cannot_hang_the_batch(tmp_path: Path) -> None:
    slow = study("NCT30000001", "Inclusion Criteria:\n" + "no diabetes, creatinine < 2 mg/dL within 3 days; " * 6000)
    dump = write_zip(tmp_path / "dump.zip", [many(1)[0], slow])
    summary = run_batch([dump], tmp_path / "out.jsonl", timeout_s=1, max_bytes=10_000_000)
    assert summary.written == 1 and summary.failed == 1
    (error,) = lines(tmp_path / "out.errors.jsonl")
    assert error["trial_id"] == "NCT30000001" and "timed out" in error["reason"]


def test_killed_batch_resumes_to_the_same_output(tmp_path: Path) -> None:
    dump = write_zip(tmp_path / "dump.zip", many(150))
    reference = tmp_path / "reference.jsonl"
    run_batch([dump], reference)

    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "extractor", "batch", str(dump), "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 20_000):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = out.read_bytes()
    assert 0 < len(partial) < reference.stat().st_size, "the kill must land part-way"

    done = subprocess.run([*cmd, "--resume"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "skipped" in done.stderr
    assert out.read_bytes() == reference.read_bytes()
    ids = [r["trial_id"] for r in lines(out)]
    assert len(ids) == len(set(ids)) == 150


def test_cli_summary_and_exit_codes(tmp_path: Path) -> None:
    dump = write_zip(tmp_path / "dump.zip", many(2))
    out = tmp_path / "o.jsonl"
    ok = subprocess.run(
        [sys.executable, "-m", "extractor", "batch", str(dump), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ok.returncode == 0 and "read 2 = written 2 + failed 0 + skipped 0 in" in ok.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "extractor", "batch", str(tmp_path / "nope.zip"), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode == 1 and "nope.zip" in missing.stderr and "Traceback" not in missing.stderr


@pytest.mark.parametrize("name", ["ctg-studies-dev.json.zip", "AllPublicXML-dev.zip"])
def test_shared_dumps_first_studies(shared_data: Path, tmp_path: Path, name: str) -> None:
    src = shared_data / "ctgov" / name
    small = tmp_path / name
    zip_head(src, small, 40)
    summary = run_batch([small], tmp_path / "out.jsonl", workers=2)
    assert summary.balanced and summary.read == 40
    assert summary.written >= 36
    assert os.path.getsize(tmp_path / "out.jsonl") > 0


@pytest.mark.parametrize(
    ("criterion", "registry", "flagged"),
    [
        ("Age >= 18 years and <= 75 years", {"minimum_age": 18, "maximum_age": 65}, ["maximum_age"]),
        ("Age < 18 years", {"maximum_age": 17}, []),  # strict: "< 18" is a maximum of 17
        ("Age > 18 years", {"minimum_age": 19}, []),
        ("Age > 18 years", {"minimum_age": 21}, ["minimum_age"]),
        # an age that qualifies another threshold is a condition, not the trial's limit
        ("Lansky score >= 50 for patients <= 16 years of age", {"maximum_age": 30}, []),
        # ... also when the condition comes first
        ("For patients >= 70 years, creatinine clearance >= 60 mL/min", {"minimum_age": 18}, []),
        # an age with another threshold after it but no conditional word is still the limit
        ("Aged 12 years or older with creatinine clearance >= 60 mL/min", {"minimum_age": 18}, ["minimum_age"]),
        # an age without its unit after an age word is in years
        ("Age: 18 to 80", {"minimum_age": 18, "maximum_age": 65}, ["maximum_age"]),
        # the age of someone else is no limit on the participant's
        ("Must have an HLA-identical sibling age 4 to 65, in good health", {"minimum_age": 18}, []),
        ("Donor aged 18-60 years", {"maximum_age": 30}, []),
    ],
)
def test_registry_age_disagreements(criterion: str, registry: dict[str, int], flagged: list[str]) -> None:
    from extractor.batch import _age_disagreements

    record = extractor.extract(f"Inclusion Criteria:\n{criterion}\n", link=False)
    stated = {k: {"years": v} for k, v in registry.items()}
    assert [d["field"] for d in _age_disagreements(record, stated)] == flagged


@pytest.mark.parametrize(
    ("criteria", "sex", "flagged"),
    [
        # the sex word as written is what the text says
        (["Male patients, age from 21 years to 60 years"], "all", "Male"),
        (["Healthy postmenopausal women", "BMI 18-30 kg/m2"], "all", "women"),
        (["Female patients with Stage II breast carcinoma in remission"], "male", "Female"),
        # the registry agrees
        (["Male patients, age from 21 years to 60 years"], "male", None),
        # both sexes, or a pair written as one
        (["Male or female, aged 18 or older"], "all", None),
        (["M/F ages 21-50"], "all", None),
        (["Men aged 45 to 64", "postmenopausal women, age 45 to 64"], "all", None),
        # a condition on some participants is no statement of the trial's sex
        (["Women of childbearing potential must use effective contraception"], "all", None),
        (["Women must not be pregnant."], "all", None),
        # a sex named inside a criterion, not at its start
        (["Patients, male or female, with asthma"], "all", None),
    ],
)
def test_registry_sex_disagreements(criteria: list[str], sex: str, flagged: str | None) -> None:
    from extractor.batch import _sex_disagreements

    text = "Inclusion Criteria:\n" + "".join(f"- {c}\n" for c in criteria)
    record = extractor.extract(text, link=False)
    found = list(_sex_disagreements(record, {"sex": sex}))
    assert [d["text"] for d in found] == ([flagged] if flagged else [])
    for d in found:
        assert d["registry"] == sex and text[d["span"][0] : d["span"][1]] == d["text"]


def test_a_sex_disagreement_is_flagged_in_the_record(tmp_path: Path) -> None:
    # the registry says ALL, the text "Male patients ...": flagged, and the record stays valid
    dump = write_zip(
        tmp_path / "sex.json.zip",
        [study("NCT10000001", "Inclusion Criteria:\n\n* Male patients aged 21 to 60 years\n")],
    )
    out = tmp_path / "sex.jsonl"
    summary = run_batch([dump], out)
    assert summary.written == 1
    (record,) = lines(out)
    (d,) = [d for d in record["registry"]["disagreements"] if d["field"] == "sex"]
    assert (d["field"], d["registry"], d["text"]) == ("sex", "all", "Male")
    assert any(w["code"] == "W004" and "registry sex is all" in w["message"] for w in record["warnings"])
