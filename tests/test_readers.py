"""Streaming readers: every container and format, one item per study, bad studies reported not fatal."""

from __future__ import annotations

import itertools
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from extractor import readers
from extractor.errors import EmptyInputError, InputError
from extractor.readers import FORMATS, ReadFailure, SourceRecord, count_records, detect_format, iter_records

CRITERIA = (
    "Inclusion Criteria:\n\n* Age \\>= 18 years\n* Platelets \\> 100 x 10\\^9/L\n\nExclusion Criteria:\n\n* HIV\n"
)
PLAIN = "Inclusion Criteria:\n\n* Age >= 18 years\n* Platelets > 100 x 10^9/L\n\nExclusion Criteria:\n\n* HIV\n"

AACT_COLUMNS = (
    "id|nct_id|sampling_method|gender|minimum_age|maximum_age|healthy_volunteers|population|criteria|"
    "gender_based|gender_description"
)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<clinical_study><id_info><nct_id>NCT00000104</nct_id></id_info>
<eligibility><criteria><textblock>&lol9;</textblock></criteria></eligibility></clinical_study>
"""


# ------------------------------------------------------------------------------------------ builders


def study(nct: str = "NCT00000001", criteria: str | None = CRITERIA, **eligibility: Any) -> dict[str, Any]:
    module: dict[str, Any] = dict(eligibility)
    if criteria is not None:
        module["eligibilityCriteria"] = criteria
    return {"protocolSection": {"identificationModule": {"nctId": nct}, "eligibilityModule": module}}


def xml_study(
    nct: str = "NCT00000102",
    criteria: str | None = "Inclusion Criteria:&#xD;\n&#xD;\n          -  diagnosed with CAH&#xD;\n",
    *,
    minimum: str = "14 Years",
    maximum: str = "N/A",
    gender: str = "All",
    healthy: str = "Accepts Healthy Volunteers",
) -> bytes:
    block = f"<criteria>\n      <textblock>\n        {criteria}      </textblock>\n    </criteria>" if criteria else ""
    return f"""<clinical_study>
  <id_info><nct_id>{nct}</nct_id></id_info>
  <eligibility>
    {block}
    <gender>{gender}</gender>
    <minimum_age>{minimum}</minimum_age>
    <maximum_age>{maximum}</maximum_age>
    <healthy_volunteers>{healthy}</healthy_volunteers>
  </eligibility>
</clinical_study>
""".encode()


def write_zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def dumps(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def read_all(path: Path, fmt: str | None = None, **kw: Any) -> list[SourceRecord | ReadFailure]:
    return list(iter_records(path, fmt, **kw))


def records(items: list[SourceRecord | ReadFailure]) -> list[SourceRecord]:
    return [i for i in items if isinstance(i, SourceRecord)]


def failures(items: list[SourceRecord | ReadFailure]) -> list[ReadFailure]:
    return [i for i in items if isinstance(i, ReadFailure)]


def aact_file(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([AACT_COLUMNS, *rows]) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------- API v2 JSON


def test_single_study_file(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(study(minimumAge="18 Years", sex="FEMALE", healthyVolunteers=True, stdAges=["ADULT"])))
    assert detect_format(path) == "ctgov-json" and count_records(path) == 1
    (item,) = read_all(path)
    assert item == SourceRecord(
        "NCT00000001",
        PLAIN,
        {
            "minimum_age": {"text": "18 Years", "years": 18.0},
            "sex": "female",
            "healthy_volunteers": True,
            "std_ages": ["ADULT"],
        },
        "one.json",
        "ctgov-json",
    )


def test_list_and_page_documents(tmp_path: Path) -> None:
    listing = tmp_path / "list.json"
    listing.write_text(json.dumps([study("NCT00000001"), study("NCT00000002")]))
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"studies": [study("NCT00000003"), study("NCT00000004")], "nextPageToken": "abc"}))
    assert [(i.trial_id, i.location) for i in read_all(listing)] == [
        ("NCT00000001", "list.json[0]"),
        ("NCT00000002", "list.json[1]"),
    ]
    assert [i.trial_id for i in read_all(page)] == ["NCT00000003", "NCT00000004"]
    assert count_records(listing) == 2 and count_records(page) == 2


def test_byte_order_mark_and_empty_array(tmp_path: Path) -> None:
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf [\n" + dumps(study("NCT00000001")) + b"\n]")
    assert [i.location for i in read_all(bom)] == ["bom.json[0]"] and count_records(bom) == 1
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"[ ]")
    assert read_all(empty) == [] and count_records(empty) == 0
    one = tmp_path / "one.jsonl"
    one.write_bytes(dumps(study("NCT00000001")) + b"\n")
    assert [i.location for i in read_all(one)] == ["one.jsonl:1"]


def test_bulk_zip_keeps_stored_order(tmp_path: Path) -> None:
    names = ["NCT00000009", "NCT00000001", "NCT00000005"]
    dump = write_zip(tmp_path / "ctg-studies.json.zip", [(f"{n}.json", dumps(study(n))) for n in names])
    assert detect_format(dump) == "ctgov-json" and count_records(dump) == 3
    items = read_all(dump)
    assert [i.trial_id for i in items] == names
    assert items[0].location == "ctg-studies.json.zip!NCT00000009.json"
    assert all(isinstance(i, SourceRecord) and i.text == PLAIN for i in items)


def test_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "studies.jsonl"
    path.write_text("\n".join([json.dumps(study("NCT00000001")), "", json.dumps(study("NCT00000002"))]) + "\n")
    items = read_all(path)
    assert [(i.trial_id, i.location) for i in items] == [
        ("NCT00000001", "studies.jsonl:1"),
        ("NCT00000002", "studies.jsonl:3"),
    ]
    assert count_records(path) == 2


def test_json_suffix_holding_json_lines_is_detected_by_content(tmp_path: Path) -> None:
    path = tmp_path / "studies.json"
    path.write_text("".join(json.dumps(study(f"NCT0000000{i}")) + "\n" for i in range(3)))
    assert detect_format(path) == "ctgov-json"
    assert [i.trial_id for i in read_all(path)] == ["NCT00000000", "NCT00000001", "NCT00000002"]
    assert count_records(path) == 3


def test_invalid_json_line_among_good_ones(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    rows = [json.dumps(study("NCT00000001")), "{not json", json.dumps(study("NCT00000002", None))]
    rows.append(json.dumps(study("NCT00000003")))
    path.write_text("\n".join(rows) + "\n")
    items = read_all(path, "ctgov-json")
    assert len(items) == count_records(path) == 4
    assert [type(i).__name__ for i in items] == ["SourceRecord", "ReadFailure", "ReadFailure", "SourceRecord"]
    bad, empty = failures(items)
    assert bad.location == "mixed.jsonl:2" and bad.reason.startswith("invalid JSON: Expecting property name")
    assert (empty.trial_id, empty.reason, empty.stage) == ("NCT00000002", "no eligibility criteria", "read")


def test_large_array_is_streamed_element_by_element(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "_CHUNK", 7)  # element, string and escape boundaries fall across chunks
    tricky = study("NCT00000002", 'Inclusion Criteria:\n* quoted \\" ] } , [ { "text" \\\\')
    huge = study("NCT00000003", "x" * 3000)
    body = b"[\n" + b",\n".join([dumps(study("NCT00000001")), dumps(tricky), dumps(huge), b"{oops}"]) + b"\n]\n"
    path = tmp_path / "big.json"
    path.write_bytes(body)
    items = read_all(path, max_bytes=1500)
    assert [type(i).__name__ for i in items] == ["SourceRecord", "SourceRecord", "ReadFailure", "ReadFailure"]
    assert records(items)[1].text == 'Inclusion Criteria:\n* quoted " ] } , [ { "text" \\'
    assert "above the limit of 1,500 bytes" in failures(items)[0].reason
    assert failures(items)[1].location == "big.json[3]" and "invalid JSON" in failures(items)[1].reason
    assert count_records(path) == 4  # under the default limit the document is small enough to count


def test_large_page_is_streamed_and_truncation_reported(tmp_path: Path) -> None:
    page = {"totalCount": 2, "studies": [study("NCT00000001"), study("NCT00000002")], "nextPageToken": "t"}
    path = tmp_path / "page.json"
    path.write_bytes(dumps(page))
    assert [i.trial_id for i in read_all(path, max_bytes=1000)] == ["NCT00000001", "NCT00000002"]
    cut = tmp_path / "cut.json"
    cut.write_bytes(b"[" + dumps(study("NCT00000001")) + b"," + dumps(study("NCT00000002"))[:-40])
    items = read_all(cut, max_bytes=1000)
    assert isinstance(items[0], SourceRecord) and isinstance(items[-1], ReadFailure)
    assert "truncated" in items[-1].reason
    assert count_records(cut, "ctgov-json") == len(items) == 2  # the cut study is the truncation failure


@pytest.mark.parametrize(
    ("escaped", "plain"),
    [
        ("ALT \\< 2.5 x ULN", "ALT < 2.5 x ULN"),
        ("Hb \\>= 9 g/dL", "Hb >= 9 g/dL"),
        ("ANC ≥1.5×10\\^9/L", "ANC ≥1.5×10^9/L"),
        ("aged 20\\~40 years", "aged 20~40 years"),
        ("AST \\& ALT", "AST & ALT"),
        ("\\[Note: see below\\]", "[Note: see below]"),
        ("3\\. Progressed", "3. Progressed"),
        ("creatinine\\>1.3 mg\\\\dl", "creatinine>1.3 mg\\dl"),
        ("C:\\data and \\n stay", "C:\\data and \\n stay"),  # a backslash before a letter is not an escape
    ],
)
def test_markdown_escapes_undone(tmp_path: Path, escaped: str, plain: str) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(study(criteria=f"Inclusion Criteria:\n* {escaped}")))
    (item,) = read_all(path)
    assert isinstance(item, SourceRecord) and item.text == f"Inclusion Criteria:\n* {plain}"


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("18 Years", 18.0),
        ("1 Year", 1.0),
        ("6 Months", 0.5),
        ("1 Month", 1 / 12),
        ("2 Weeks", 2 / 52.1775),
        ("30 Days", 30 / 365.25),
        ("12 Hours", 12 / 8766),
        ("65.5 years", 65.5),
        ("N/A", None),
        ("", None),
        (None, None),
    ],
)
def test_age_normalisation(tmp_path: Path, text: str | None, years: float | None) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(study(minimumAge=text) if text is not None else study()))
    (item,) = read_all(path)
    assert isinstance(item, SourceRecord)
    if years is None:
        assert "minimum_age" not in item.registry
    else:
        assert item.registry["minimum_age"] == {"text": text, "years": pytest.approx(years)}


# ---------------------------------------------------------------------------------------- legacy XML


def test_single_xml_file(tmp_path: Path) -> None:
    path = tmp_path / "NCT00000102.xml"
    path.write_bytes(xml_study())
    assert detect_format(path) == "ctgov-xml" and count_records(path) == 1
    (item,) = read_all(path)
    assert isinstance(item, SourceRecord)
    assert item.text == "Inclusion Criteria:\r\n\r\n  -  diagnosed with CAH"
    assert item.registry == {
        "minimum_age": {"text": "14 Years", "years": 14.0},
        "sex": "all",
        "healthy_volunteers": True,
    }
    assert (item.trial_id, item.location, item.format) == ("NCT00000102", "NCT00000102.xml", "ctgov-xml")


@pytest.mark.parametrize(
    ("gender", "healthy", "expected"),
    [
        ("Female", "No", {"sex": "female", "healthy_volunteers": False}),
        ("Male", "Yes", {"sex": "male", "healthy_volunteers": True}),
        ("All", "", {"sex": "all"}),
    ],
)
def test_xml_registry_fields(tmp_path: Path, gender: str, healthy: str, expected: dict[str, Any]) -> None:
    path = tmp_path / "s.xml"
    path.write_bytes(xml_study(minimum="N/A", gender=gender, healthy=healthy))
    (item,) = read_all(path)
    assert isinstance(item, SourceRecord) and item.registry == expected


def test_zip_of_xml_with_bad_members(tmp_path: Path) -> None:
    members = [
        ("NCT0000xxxx/NCT00000102.xml", xml_study("NCT00000102")),
        ("NCT0000xxxx/NCT00000104.xml", BILLION_LAUGHS),
        ("NCT0000xxxx/NCT00000106.xml", xml_study("NCT00000106").replace(b"diagnosed", b"diagnos\xe9d")),
        ("NCT0000xxxx/NCT00000108.xml", xml_study("NCT00000108", criteria=None)),
        ("NCT0000xxxx/NCT00000110.xml", b"<clinical_study><unclosed></clinical_study>"),
        ("NCT0000xxxx/NCT00000112.xml", xml_study("NCT00000112")),
    ]
    dump = write_zip(tmp_path / "AllPublicXML.zip", members)
    assert detect_format(dump) == "ctgov-xml"
    items = read_all(dump)
    assert len(items) == count_records(dump) == len(members)
    assert [i.trial_id for i in items] == [f"NCT00000{n}" for n in (102, 104, 106, 108, 110, 112)]
    reasons = [i.reason for i in failures(items)]
    assert reasons[0] == "XML entity expansion forbidden"
    assert reasons[1].startswith("not valid UTF-8 (byte 0xe9 at offset ")
    assert reasons[2] == "no eligibility criteria"
    assert reasons[3].startswith("invalid XML: mismatched tag")
    assert items[-1].location == "AllPublicXML.zip!NCT0000xxxx/NCT00000112.xml"


def test_xml_declaring_another_encoding_is_read(tmp_path: Path) -> None:
    path = tmp_path / "latin.xml"
    path.write_bytes(b'<?xml version="1.0" encoding="ISO-8859-1"?>\n' + xml_study().replace(b"CAH", b"\xe9t\xe9"))
    (item,) = read_all(path)
    assert isinstance(item, SourceRecord) and item.text.endswith("diagnosed with été")


# ---------------------------------------------------------------------------------------------- AACT


def test_aact_eligibilities(tmp_path: Path) -> None:
    path = aact_file(
        tmp_path / "eligibilities.txt",
        [
            "1|NCT00000001||All|18 Years|65 Years|No||Inclusion Criteria:~~  - Age 18~65 years~Exclusion Criteria:~~  - HIV|f|",
            "2|NCT00000002|Probability Sample|Female|N/A|N/A|Accepts Healthy Volunteers|women|Inclusion: a | b||",
            "3|NCT00000003||All|||||||",
            "4|NCT00000004|too|few",
        ],
    )
    assert detect_format(path) == "aact" and count_records(path) == 4
    items = read_all(path)
    assert len(items) == 4
    first, second = records(items)
    assert first.text == "Inclusion Criteria:\n\n  - Age 18\n65 years\nExclusion Criteria:\n\n  - HIV"
    assert first.registry == {
        "minimum_age": {"text": "18 Years", "years": 18.0},
        "maximum_age": {"text": "65 Years", "years": 65.0},
        "sex": "all",
        "healthy_volunteers": False,
    }
    assert (first.location, first.format) == ("eligibilities.txt:2", "aact")
    assert second.text == "Inclusion: a | b" and second.registry == {"sex": "female", "healthy_volunteers": True}
    empty, short = failures(items)
    assert (empty.trial_id, empty.reason) == ("NCT00000003", "no eligibility criteria")
    assert short.location == "eligibilities.txt:5" and "expected 11" in short.reason


def test_aact_inside_a_zip_export(tmp_path: Path) -> None:
    table = aact_file(tmp_path / "e.txt", ["1|NCT00000001||All|18 Years||No||crit~line 2|f|"]).read_bytes()
    dump = write_zip(tmp_path / "export.zip", [("studies.txt", b"nct_id|title\n"), ("eligibilities.txt", table)])
    assert detect_format(dump) == "aact" and count_records(dump) == 1
    (item,) = read_all(dump)
    assert isinstance(item, SourceRecord) and item.text == "crit\nline 2"
    assert item.location == "export.zip!eligibilities.txt:2"


def test_aact_without_its_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.txt"
    path.write_text("id|name\n1|x\n")
    with pytest.raises(InputError, match="nct_id and criteria"):
        read_all(path, "aact")


# ---------------------------------------------------------------------------------- text and folders


def test_plain_text_file(tmp_path: Path) -> None:
    path = tmp_path / "NCT05474885-listing.txt"
    path.write_text(PLAIN)
    assert detect_format(path) == "text" and count_records(path) == 1
    assert read_all(path) == [SourceRecord("NCT05474885", PLAIN, {}, "NCT05474885-listing.txt", "text")]


def test_folder_sorted_recursive_each_file_by_its_format(tmp_path: Path) -> None:
    root = tmp_path / "batch"
    (root / "b").mkdir(parents=True)
    (root / "a.json").write_text(json.dumps(study("NCT00000001")))
    (root / "b" / "NCT00000003.xml").write_bytes(xml_study("NCT00000003"))
    (root / "b" / "c.jsonl").write_text(json.dumps(study("NCT00000004")) + "\n" + json.dumps(study("NCT00000005")))
    (root / "NCT00000002.txt").write_text(PLAIN)
    (root / "empty.txt").write_bytes(b"")
    (root / ".hidden.json").write_text("{}")
    (root / "notes.md").write_text("ignored")
    items = read_all(root)
    assert [i.location for i in items] == [
        "NCT00000002.txt",
        "a.json",
        "b/NCT00000003.xml",
        "b/c.jsonl:1",
        "b/c.jsonl:2",
        "empty.txt",
    ]
    assert [getattr(i, "format", None) for i in items[:5]] == ["text", "ctgov-json", "ctgov-xml"] + ["ctgov-json"] * 2
    assert isinstance(items[-1], ReadFailure) and items[-1].reason == "input is empty"
    assert count_records(root) == len(items)
    assert read_all(root) == items  # deterministic


# ------------------------------------------------------------------------------ bad members, bad inputs


def test_bad_members_do_not_stop_the_stream(tmp_path: Path) -> None:
    members = [
        ("NCT00000001.json", dumps(study("NCT00000001"))),
        ("NCT00000002.json", b'{"protocolSection": '),
        ("NCT00000003.json", dumps(study("NCT00000003")).replace(b"HIV", b"VIH \xe9")),
        ("NCT00000004.json", dumps(study("NCT00000004", None))),
        ("NCT00000005.json", dumps(study("NCT00000005", "x" * 5000))),
        ("NCT00000006.json", b'{"hello": "world"}'),
        ("NCT00000007.json", dumps(study("NCT00000007"))),
    ]
    dump = write_zip(tmp_path / "dump.zip", members)
    items = read_all(dump, max_bytes=4000)
    assert len(items) == count_records(dump) == len(members)
    assert [i.trial_id for i in items] == [f"NCT0000000{n}" for n in range(1, 8)]
    assert [isinstance(i, SourceRecord) for i in items] == [True, False, False, False, False, False, True]
    reasons = [i.reason for i in failures(items)]
    assert reasons[0] == "invalid JSON: Expecting value at line 1 column 21"
    assert reasons[1].startswith("not valid UTF-8 (byte 0xe9 at offset ")
    assert reasons[2] == "no eligibility criteria"
    assert "above the limit of 4,000 bytes" in reasons[3]
    assert "no protocolSection" in reasons[4]
    assert all("\n" not in r for r in reasons)


def test_missing_path(tmp_path: Path) -> None:
    for call in (detect_format, iter_records, count_records):
        with pytest.raises(InputError, match="no such file"):
            call(tmp_path / "nope.json")


def test_truncated_zip_raises_at_the_call(tmp_path: Path) -> None:
    whole = write_zip(tmp_path / "whole.zip", [(f"NCT0000000{i}.json", dumps(study())) for i in range(5)])
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(InputError, match="not a readable zip archive") as info:
        iter_records(cut)  # no next(): the whole-input check is eager
    assert str(cut) in str(info.value)
    with pytest.raises(InputError):
        detect_format(cut)


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (b"", EmptyInputError, "empty"),
        (b"  \n\t\n", EmptyInputError, "empty"),
        (b"\x1f\x8b\x08\x00rest", InputError, "gzip"),
        (bytes(range(256)), InputError, "binary"),
    ],
)
def test_unreadable_inputs(tmp_path: Path, content: bytes, error: type[InputError], message: str) -> None:
    path = tmp_path / "input.json"
    path.write_bytes(content)
    with pytest.raises(error, match=message):
        detect_format(path)
    with pytest.raises(error, match=message):
        iter_records(path)


def test_unknown_format_and_folder_detection(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown format"):
        iter_records(tmp_path, "csv")
    with pytest.raises(InputError, match="folder"):
        detect_format(tmp_path)
    assert FORMATS == ("ctgov-json", "ctgov-xml", "aact", "text")


def test_zip_is_read_member_by_member(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dump = write_zip(tmp_path / "dump.zip", [(f"NCT0000000{i}.json", dumps(study(f"NCT0000000{i}"))) for i in range(6)])
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    monkeypatch.setattr(zipfile.ZipFile, "read", lambda *a, **k: pytest.fail("a member was read whole via read()"))
    stream = iter_records(dump)
    first_two = list(itertools.islice(stream, 2))
    assert [i.trial_id for i in first_two] == ["NCT00000000", "NCT00000001"]
    assert opened == ["NCT00000000.json", "NCT00000001.json"]


# ------------------------------------------------------------------------------------- real samples


def test_real_api_v2_sample(shared_data: Path) -> None:
    dump = shared_data / "ctgov" / "ctg-studies-dev.json.zip"
    with zipfile.ZipFile(dump) as zf:
        members = [i.filename for i in zf.infolist() if not i.is_dir()]
    assert detect_format(dump) == "ctgov-json"
    items = read_all(dump)
    assert len(items) == len(members) == count_records(dump)
    assert [i.location.split("!", 1)[1] for i in items] == members
    good = records(items)
    assert len(good) >= 0.9 * len(items)
    assert all(r.trial_id and r.trial_id in r.location for r in good)
    assert not any("\\<" in r.text or "\\>" in r.text for r in good)
    assert sum("minimum_age" in r.registry for r in good) >= 0.5 * len(good)


def test_real_legacy_xml_sample(shared_data: Path) -> None:
    dump = shared_data / "ctgov" / "AllPublicXML-dev.zip"
    assert detect_format(dump) == "ctgov-xml"
    items = list(itertools.islice(iter_records(dump), 300))
    assert len(items) == 300
    assert len({i.location for i in items}) == 300
    good = records(items)
    assert len(good) >= 0.9 * len(items)
    assert all(r.trial_id and r.trial_id in r.location and r.format == "ctgov-xml" for r in good)
    assert all(r.text == r.text.strip() and not r.text.startswith(" ") for r in good)
    assert all(f.reason == "no eligibility criteria" for f in failures(items))
