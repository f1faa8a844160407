"""The criteria database: SQLite by default, PostgreSQL for teams, through SQLAlchemy Core.

One place defines the tables, following the record schema; ``FIELD_HOMES`` says where every schema
field lives, and a test fails when a field has none. Each trial loads in one transaction (all its
rows or none), loads are idempotent (a trial's rows are replaced), ``resume`` skips trials already
loaded, and records that fail the schema are refused with their id and reason. The schema version
of the database is kept in ``schema_migrations``; an older database is upgraded, a newer one refused.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Engine

from . import __version__
from .assemble import SCHEMA_VERSION as RECORD_SCHEMA_VERSION
from .errors import ExtractorError
from .validate import iter_errors

DB_SCHEMA_VERSION = 5


class DatabaseError(ExtractorError):
    code = "E600"


metadata = MetaData()


def _span(prefix: str = "span") -> list[Column[Any]]:
    return [Column(f"{prefix}_start", Integer), Column(f"{prefix}_end", Integer)]


def _child(name: str, key: str, *columns: Column[Any]) -> Table:
    """A table of items of a criterion, keyed by (trial_id, key), removed with its trial."""
    return Table(
        name,
        metadata,
        Column("trial_id", String(64), primary_key=True),
        Column(key, String(64), primary_key=True),
        Column("criterion_id", String(64), nullable=False, index=True),
        *columns,
        ForeignKeyConstraint(["trial_id"], ["trials.trial_id"], ondelete="CASCADE"),
    )


schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", String(40), nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("extractor_version", String(32), nullable=False),
    Column("schema_version", String(16), nullable=False),
    Column("input", Text),
    Column("started_at", String(40), nullable=False),
    Column("finished_at", String(40)),
    Column("loaded", Integer, default=0),
    Column("refused", Integer, default=0),
    Column("skipped", Integer, default=0),
)

trials = Table(
    "trials",
    metadata,
    Column("trial_id", String(64), primary_key=True),
    Column("run_id", Integer, index=True),
    Column("schema_version", String(16), nullable=False),
    Column("extractor_version", String(32)),
    Column("source_name", Text),
    Column("source_sha256", String(64), nullable=False),
    Column("source_length", Integer),
    Column("layout", String(32)),
    Column("nct_id", String(16), index=True),
    Column("title", Text),
    Column("sponsor", Text),
    Column("phase", String(32)),
    Column("registry_format", String(16)),
    Column("registry_location", Text),
    Column("min_age_years", Float),
    Column("max_age_years", Float),
    Column("sex", String(8)),
    Column("healthy_volunteers", Boolean),
    Column("std_ages", JSON),
    Column("record", JSON, nullable=False),  # the full validated record, beside the columns
)

trial_fields = Table(
    "trial_fields",
    metadata,
    Column("trial_id", String(64), primary_key=True),
    Column("field", String(32), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("text", Text),
    Column("value", Text),
    *_span(),
    ForeignKeyConstraint(["trial_id"], ["trials.trial_id"], ondelete="CASCADE"),
)

criteria = Table(
    "criteria",
    metadata,
    Column("trial_id", String(64), primary_key=True),
    Column("criterion_id", String(64), primary_key=True),
    Column("side", String(10), nullable=False, index=True),
    Column("parent_id", String(64)),
    Column("heading", Text),
    Column("text", Text, nullable=False),
    *_span(),
    Column("logic", JSON),
    # how the criterion's sub-items combine (all / any / at_least / none) and, for at_least, how many
    Column("sub_items_op", String(16)),
    Column("sub_items_n", Integer),
    ForeignKeyConstraint(["trial_id"], ["trials.trial_id"], ondelete="CASCADE"),
)

entities = _child(
    "entities",
    "entity_id",
    Column("type", String(32), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("normalized", Text, index=True),
    Column("codes", JSON),
    # added in database schema 2 (record schema 1.1.0): linked | no_confident_link | not_linkable
    Column("link_status", String(24)),
    Column("negated", Boolean),
    Column("historical", Boolean),
    Column("hypothetical", Boolean),
    Column("family", Boolean),
    Column("uncertain", Boolean),
    *_span(),
    Column("rule", Text),
)

constraints = _child(
    "constraints",
    "constraint_id",
    Column("subject_id", String(64)),
    Column("measure", Text, index=True),
    Column("comparator", String(8), nullable=False),
    Column("value", Float),
    Column("value_text", Text),
    Column("low", Float),
    Column("low_text", Text),
    Column("high", Float),
    Column("high_text", Text),
    Column("inclusive", Boolean),
    Column("low_inclusive", Boolean),
    Column("high_inclusive", Boolean),
    Column("unit", Text),
    Column("ucum", String(32)),
    Column("canonical_value", Float),
    Column("canonical_low", Float),
    Column("canonical_high", Float),
    Column("canonical_unit", String(32)),
    Column("multiple", Float),
    Column("reference", String(8)),
    Column("count_of", Text),
    Column("change", String(16)),
    Column("equivalent_to", String(64)),
    Column("agreement", String(16)),
    Column("text", Text),
    *_span(),
    Column("rule", Text),
)

windows = _child(
    "windows",
    "window_id",
    Column("comparator", String(8)),
    Column("duration", String(32)),
    Column("days", Float, index=True),
    Column("half_lives", Float),
    Column("whichever", String(8)),
    Column("direction", String(8), nullable=False),
    Column("anchor", Text, index=True),
    Column("anchor_text", Text),
    *_span("anchor"),
    Column("applies_to", JSON),
    Column("text", Text),
    *_span(),
    Column("rule", Text),
)

drugs = _child(
    "drugs",
    "drug_id",
    Column("entity_id", String(64)),
    Column("name", Text, nullable=False, index=True),
    Column("normalized_id", Text),
    Column("is_class", Boolean),
    Column("route", String(32)),
    Column("dose_comparator", String(8)),
    Column("dose_value", Float),
    Column("dose_low", Float),
    Column("dose_high", Float),
    Column("dose_unit", Text),
    Column("dose_ucum", String(32)),
    *_span("dose"),
    Column("frequency", String(16)),
    Column("text", Text),
    *_span(),
    Column("rule", Text),
)

formulas = _child(
    "formulas",
    "formula_id",
    Column("name", Text, nullable=False),
    Column("output", Text),
    Column("unit", Text),
    Column("ucum", String(32)),
    Column("coefficient", Float),
    Column("terms", JSON),
    Column("adjustments", JSON),
    Column("text", Text),
    *_span(),
    Column("rule", Text),
)

logic_links = _child(
    "logic_links",
    "node_id",
    Column("parent_node_id", String(64)),
    Column("op", String(10)),
    Column("n", Integer),
    Column("ref", String(64)),
)

unparsed = _child(
    "unparsed",
    "unparsed_id",
    Column("reason", String(16), nullable=False),
    Column("text", Text),
    *_span(),
)

warnings_table = _child(
    "warnings",
    "warning_id",
    Column("code", String(8), nullable=False),
    Column("message", Text),
    *_span(),
)

registry_disagreements = _child(
    "registry_disagreements",
    "disagreement_id",
    Column("field", String(16), nullable=False),
    Column("registry_value", Text),
    Column("text_value", Text),
    *_span(),
)

CHILD_TABLES = (
    trial_fields,
    criteria,
    entities,
    constraints,
    windows,
    drugs,
    formulas,
    logic_links,
    unparsed,
    warnings_table,
    registry_disagreements,
)

#: where every record field lives: schema path ("criterion.constraints.value") -> "table.column".
#: ``record`` keeps the full document, so nested parts (codes, terms) live in JSON columns.
FIELD_HOMES: dict[str, str] = {
    "record.schema_version": "trials.schema_version",
    "record.extractor": "trials.extractor_version",
    "record.source": "trials.source_sha256",
    "record.trial": "trial_fields.field",
    "record.trial_id": "trials.trial_id",
    "record.registry": "trials.registry_format",
    "record.sections": "trials.record",
    "record.criteria": "criteria.criterion_id",
    "record.unparsed": "unparsed.text",
    "record.warnings": "warnings.message",
    "source.name": "trials.source_name",
    "source.length": "trials.source_length",
    "source.sha256": "trials.source_sha256",
    "source.layout": "trials.layout",
    "registry.format": "trials.registry_format",
    "registry.location": "trials.registry_location",
    "registry.minimum_age": "trials.min_age_years",
    "registry.maximum_age": "trials.max_age_years",
    "registry.sex": "trials.sex",
    "registry.healthy_volunteers": "trials.healthy_volunteers",
    "registry.std_ages": "trials.std_ages",
    "registry.disagreements": "registry_disagreements.field",
    "criterion.id": "criteria.criterion_id",
    "criterion.side": "criteria.side",
    "criterion.text": "criteria.text",
    "criterion.span": "criteria.span_start",
    "criterion.parent": "criteria.parent_id",
    "criterion.heading": "criteria.heading",
    "criterion.entities": "entities.entity_id",
    "criterion.constraints": "constraints.constraint_id",
    "criterion.windows": "windows.window_id",
    "criterion.drugs": "drugs.drug_id",
    "criterion.formulas": "formulas.formula_id",
    "criterion.logic": "logic_links.node_id",
    "criterion.sub_items": "criteria.sub_items_op",
    "criterion.unparsed": "unparsed.text",
    "entity.id": "entities.entity_id",
    "entity.type": "entities.type",
    "entity.text": "entities.text",
    "entity.span": "entities.span_start",
    "entity.normalized": "entities.normalized",
    "entity.codes": "entities.codes",
    "entity.link": "entities.link_status",
    "entity.assertion": "entities.negated",
    "entity.provenance": "entities.rule",
    "constraint.id": "constraints.constraint_id",
    "constraint.subject": "constraints.subject_id",
    "constraint.measure": "constraints.measure",
    "constraint.comparator": "constraints.comparator",
    "constraint.value": "constraints.value",
    "constraint.low": "constraints.low",
    "constraint.high": "constraints.high",
    "constraint.inclusive": "constraints.inclusive",
    "constraint.low_inclusive": "constraints.low_inclusive",
    "constraint.high_inclusive": "constraints.high_inclusive",
    "constraint.change": "constraints.change",
    "constraint.unit": "constraints.unit",
    "constraint.ucum": "constraints.ucum",
    "constraint.canonical": "constraints.canonical_value",
    "constraint.multiple": "constraints.multiple",
    "constraint.reference": "constraints.reference",
    "constraint.count_of": "constraints.count_of",
    "constraint.equivalent_to": "constraints.equivalent_to",
    "constraint.agreement": "constraints.agreement",
    "constraint.text": "constraints.text",
    "constraint.span": "constraints.span_start",
    "constraint.provenance": "constraints.rule",
    "window.id": "windows.window_id",
    "window.applies_to": "windows.applies_to",
    "window.comparator": "windows.comparator",
    "window.duration": "windows.duration",
    "window.days": "windows.days",
    "window.half_lives": "windows.half_lives",
    "window.whichever": "windows.whichever",
    "window.direction": "windows.direction",
    "window.anchor": "windows.anchor",
    "window.text": "windows.text",
    "window.span": "windows.span_start",
    "window.provenance": "windows.rule",
    "drug.id": "drugs.drug_id",
    "drug.entity": "drugs.entity_id",
    "drug.name": "drugs.name",
    "drug.is_class": "drugs.is_class",
    "drug.route": "drugs.route",
    "drug.dose": "drugs.dose_value",
    "drug.frequency": "drugs.frequency",
    "drug.text": "drugs.text",
    "drug.span": "drugs.span_start",
    "drug.provenance": "drugs.rule",
    "formula.name": "formulas.name",
    "formula.output": "formulas.output",
    "formula.unit": "formulas.unit",
    "formula.ucum": "formulas.ucum",
    "formula.coefficient": "formulas.coefficient",
    "formula.terms": "formulas.terms",
    "formula.adjustments": "formulas.adjustments",
    "formula.text": "formulas.text",
    "formula.span": "formulas.span_start",
    "formula.provenance": "formulas.rule",
}


# --- connection and schema versions ---------------------------------------------------------------


def connect(url: str) -> Engine:
    """An engine for a database URL or a plain SQLite file path (``criteria.db``)."""
    if "://" not in url:
        url = f"sqlite:///{url}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    try:
        engine = create_engine(url, future=True)
    except Exception as exc:
        raise DatabaseError(f"cannot open database: {exc}", source=url) from exc
    if engine.dialect.name == "sqlite":
        from sqlalchemy import event

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

    return engine


#: migrations from version N-1 to N, run in order in one transaction each
def _add_link_status(conn: Any) -> None:
    """2: entities.link_status (vocabulary linking, record schema 1.1.0); a version-1 database lacks it."""
    if "link_status" not in {c["name"] for c in inspect(conn).get_columns("entities")}:
        conn.execute(text("ALTER TABLE entities ADD COLUMN link_status VARCHAR(24)"))


def _add_schema_1_4_columns(conn: Any) -> None:
    """3: windows.half_lives, windows.whichever and constraints.change (record schema 1.4.0); earlier
    databases lack them."""
    have = {c["name"] for c in inspect(conn).get_columns("windows")}
    if "half_lives" not in have:
        conn.execute(text("ALTER TABLE windows ADD COLUMN half_lives FLOAT"))
    if "whichever" not in have:
        conn.execute(text("ALTER TABLE windows ADD COLUMN whichever VARCHAR(8)"))
    if "change" not in {c["name"] for c in inspect(conn).get_columns("constraints")}:
        conn.execute(text("ALTER TABLE constraints ADD COLUMN change VARCHAR(16)"))


def _add_sub_items_columns(conn: Any) -> None:
    """4: criteria.sub_items_op and criteria.sub_items_n (record schema 1.5.0); earlier databases lack them."""
    have = {c["name"] for c in inspect(conn).get_columns("criteria")}
    if "sub_items_op" not in have:
        conn.execute(text("ALTER TABLE criteria ADD COLUMN sub_items_op VARCHAR(16)"))
    if "sub_items_n" not in have:
        conn.execute(text("ALTER TABLE criteria ADD COLUMN sub_items_n INTEGER"))


def _add_dose_range_columns(conn: Any) -> None:
    """5: drugs.dose_low and drugs.dose_high (record schema 1.6.0: a dose range); earlier databases lack them."""
    have = {c["name"] for c in inspect(conn).get_columns("drugs")}
    for column in ("dose_low", "dose_high"):
        if column not in have:
            conn.execute(text(f"ALTER TABLE drugs ADD COLUMN {column} FLOAT"))


MIGRATIONS: dict[int, Any] = {
    1: lambda conn: metadata.create_all(conn),
    2: _add_link_status,
    3: _add_schema_1_4_columns,
    4: _add_sub_items_columns,
    5: _add_dose_range_columns,
}


def database_version(engine: Engine) -> int:
    if not inspect(engine).has_table("schema_migrations"):
        return 0
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(schema_migrations.c.version))).scalar() or 0)


def ensure_schema(engine: Engine) -> int:
    """Create or upgrade the tables; refuse a database made by a newer version."""
    current = database_version(engine)
    if current > DB_SCHEMA_VERSION:
        raise DatabaseError(
            f"database schema version {current} is newer than this toolkit's ({DB_SCHEMA_VERSION}); upgrade the toolkit",
            source=str(engine.url),
        )
    for version in range(current + 1, DB_SCHEMA_VERSION + 1):
        with engine.begin() as conn:
            MIGRATIONS[version](conn)
            conn.execute(insert(schema_migrations).values(version=version, applied_at=_now()))
    return DB_SCHEMA_VERSION


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --- records -> rows ------------------------------------------------------------------------------


def trial_id_of(record: dict[str, Any]) -> str:
    """The registry id, else the NCT id found in the text, else the source checksum."""
    tid = record.get("trial_id") or ((record.get("trial") or {}).get("nct_id") or {}).get("value")
    return str(tid) if tid else "sha256:" + record["source"]["sha256"][:16]


def _rule(item: dict[str, Any]) -> str | None:
    prov = item.get("provenance")
    return f"{prov['component']}:{prov['rule']}" if prov else None


def _spans(item: dict[str, Any] | None, prefix: str = "span") -> dict[str, Any]:
    span = (item or {}).get("span") if item else None
    return {f"{prefix}_start": span[0] if span else None, f"{prefix}_end": span[1] if span else None}


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _txt(value: Any) -> str | None:
    return None if value is None else str(value)


def rows_of(record: dict[str, Any], run_id: int | None) -> dict[Table, list[dict[str, Any]]]:
    """Every row one record gives, per table."""
    tid = trial_id_of(record)
    trial = record.get("trial") or {}
    registry = record.get("registry") or {}
    out: dict[Table, list[dict[str, Any]]] = {t: [] for t in (trials, *CHILD_TABLES)}
    out[trials].append(
        {
            "trial_id": tid,
            "run_id": run_id,
            "schema_version": record["schema_version"],
            "extractor_version": (record.get("extractor") or {}).get("version"),
            "source_name": record["source"].get("name"),
            "source_sha256": record["source"]["sha256"],
            "source_length": record["source"]["length"],
            "layout": record["source"].get("layout"),
            "nct_id": (trial.get("nct_id") or {}).get("value"),
            "title": (trial.get("title") or {}).get("text"),
            "sponsor": (trial.get("sponsor") or {}).get("text"),
            "phase": (trial.get("phase") or {}).get("value"),
            "registry_format": registry.get("format"),
            "registry_location": registry.get("location"),
            "min_age_years": (registry.get("minimum_age") or {}).get("years"),
            "max_age_years": (registry.get("maximum_age") or {}).get("years"),
            "sex": registry.get("sex"),
            "healthy_volunteers": registry.get("healthy_volunteers"),
            "std_ages": registry.get("std_ages"),
            "record": record,
        }
    )
    for name, value in trial.items():
        for pos, f in enumerate(value if isinstance(value, list) else [value]):
            out[trial_fields].append(
                {
                    "trial_id": tid,
                    "field": name,
                    "position": pos,
                    "text": f["text"],
                    "value": _txt(f.get("value")),
                    **_spans(f),
                }
            )
    for i, d in enumerate(registry.get("disagreements", []), 1):
        out[registry_disagreements].append(
            {
                "trial_id": tid,
                "disagreement_id": f"d{i}",
                "criterion_id": d.get("criterion", ""),
                "field": d["field"],
                "registry_value": _txt(d["registry"]),
                "text_value": _txt(d["text"]),
                **_spans(d),
            }
        )
    for i, w in enumerate(record.get("warnings", []), 1):
        out[warnings_table].append(
            {
                "trial_id": tid,
                "warning_id": f"w{i}",
                "criterion_id": w.get("criterion", ""),
                "code": w["code"],
                "message": w["message"],
                **_spans(w),
            }
        )
    for i, u in enumerate(record.get("unparsed", []), 1):
        out[unparsed].append(
            {
                "trial_id": tid,
                "unparsed_id": f"top-{i}",
                "criterion_id": "",
                "reason": u["reason"],
                "text": u["text"],
                **_spans(u),
            }
        )
    for c in record["criteria"]:
        cid = c["id"]
        out[criteria].append(
            {
                "trial_id": tid,
                "criterion_id": cid,
                "side": c["side"],
                "parent_id": c.get("parent"),
                "heading": (c.get("heading") or {}).get("text"),
                "text": c["text"],
                **_spans(c),
                "logic": c.get("logic"),
                "sub_items_op": (c.get("sub_items") or {}).get("op"),
                "sub_items_n": (c.get("sub_items") or {}).get("n"),
            }
        )
        for e in c["entities"]:
            a = e.get("assertion") or {}
            out[entities].append(
                {
                    "trial_id": tid,
                    "entity_id": e["id"],
                    "criterion_id": cid,
                    "type": e["type"],
                    "text": e["text"],
                    "normalized": e.get("normalized"),
                    "codes": e.get("codes"),
                    "link_status": (e.get("link") or {}).get("status"),
                    **{k: a.get(k) for k in ("negated", "historical", "hypothetical", "family", "uncertain")},
                    **_spans(e),
                    "rule": _rule(e),
                }
            )
        for k in c["constraints"]:
            canon = k.get("canonical") or {}
            out[constraints].append(
                {
                    "trial_id": tid,
                    "constraint_id": k["id"],
                    "criterion_id": cid,
                    "subject_id": k.get("subject"),
                    "measure": k.get("measure"),
                    "comparator": k["comparator"],
                    "value": _num(k.get("value")),
                    "value_text": _txt(k.get("value")),
                    "low": _num(k.get("low")),
                    "low_text": _txt(k.get("low")),
                    "high": _num(k.get("high")),
                    "high_text": _txt(k.get("high")),
                    "inclusive": k.get("inclusive"),
                    "low_inclusive": k.get("low_inclusive"),
                    "high_inclusive": k.get("high_inclusive"),
                    "unit": k.get("unit"),
                    "ucum": k.get("ucum"),
                    "canonical_value": canon.get("value"),
                    "canonical_low": canon.get("low"),
                    "canonical_high": canon.get("high"),
                    "canonical_unit": canon.get("unit"),
                    "multiple": k.get("multiple"),
                    "reference": k.get("reference"),
                    "count_of": k.get("count_of"),
                    "change": k.get("change"),
                    "equivalent_to": k.get("equivalent_to"),
                    "agreement": k.get("agreement"),
                    "text": k["text"],
                    **_spans(k),
                    "rule": _rule(k),
                }
            )
        for w in c["windows"]:
            anchor = w["anchor"]
            out[windows].append(
                {
                    "trial_id": tid,
                    "window_id": w["id"],
                    "criterion_id": cid,
                    "comparator": w.get("comparator"),
                    "duration": w.get("duration"),
                    "days": w.get("days"),
                    "half_lives": w.get("half_lives"),
                    "whichever": w.get("whichever"),
                    "direction": w["direction"],
                    "anchor": anchor["name"],
                    "anchor_text": anchor.get("text"),
                    **_spans(anchor, "anchor"),
                    "applies_to": w.get("applies_to"),
                    "text": w["text"],
                    **_spans(w),
                    "rule": _rule(w),
                }
            )
        for d in c["drugs"]:
            dose = d.get("dose") or {}
            out[drugs].append(
                {
                    "trial_id": tid,
                    "drug_id": d["id"],
                    "criterion_id": cid,
                    "entity_id": d.get("entity"),
                    "name": d["name"],
                    "normalized_id": None,
                    "is_class": d.get("is_class"),
                    "route": d.get("route"),
                    "dose_comparator": dose.get("comparator"),
                    "dose_value": _num(dose.get("value")),
                    "dose_low": _num(dose.get("low")),
                    "dose_high": _num(dose.get("high")),
                    "dose_unit": dose.get("unit"),
                    "dose_ucum": dose.get("ucum"),
                    **_spans(dose or None, "dose"),
                    "frequency": d.get("frequency"),
                    "text": d["text"],
                    **_spans(d),
                    "rule": _rule(d),
                }
            )
        for i, f in enumerate(c.get("formulas", []), 1):
            out[formulas].append(
                {
                    "trial_id": tid,
                    "formula_id": f"{cid}-f{i}",
                    "criterion_id": cid,
                    "name": f["name"],
                    "output": f.get("output"),
                    "unit": f.get("unit"),
                    "ucum": f.get("ucum"),
                    "coefficient": f.get("coefficient"),
                    "terms": f.get("terms"),
                    "adjustments": f.get("adjustments"),
                    "text": f["text"],
                    **_spans(f),
                    "rule": _rule(f),
                }
            )
        out[logic_links].extend(_logic_rows(tid, cid, c.get("logic")))
        for i, u in enumerate(c["unparsed"], 1):
            out[unparsed].append(
                {
                    "trial_id": tid,
                    "unparsed_id": f"{cid}-u{i}",
                    "criterion_id": cid,
                    "reason": u["reason"],
                    "text": u["text"],
                    **_spans(u),
                }
            )
    return out


def _logic_rows(tid: str, cid: str, tree: Any) -> Iterator[dict[str, Any]]:
    """The tree as rows: one per node, each naming its parent; leaves carry the item id they refer to."""
    if not isinstance(tree, dict):
        return
    stack: list[tuple[dict[str, Any], str | None]] = [(tree, None)]
    n = 0
    while stack:
        node, parent = stack.pop(0)
        n += 1
        node_id = f"{cid}-n{n}"
        yield {
            "trial_id": tid,
            "node_id": node_id,
            "criterion_id": cid,
            "parent_node_id": parent,
            "op": node.get("op"),
            "n": node.get("n"),
            "ref": node.get("ref"),
        }
        stack.extend((child, node_id) for child in node.get("args", []))


# --- loading --------------------------------------------------------------------------------------


@dataclass
class LoadSummary:
    read: int = 0
    loaded: int = 0
    refused: int = 0
    skipped: int = 0
    elapsed: float = 0.0
    refusals: list[dict[str, str]] = field(default_factory=list)

    def line(self) -> str:
        rate = self.loaded / self.elapsed if self.elapsed else 0.0
        return (
            f"read {self.read:,} = loaded {self.loaded:,} + refused {self.refused:,} + skipped {self.skipped:,}"
            f" in {self.elapsed:.1f} s ({rate:.1f} records/s)"
        )


def iter_jsonl(path: str) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, record or None, reason) for every line of a JSON Lines file."""
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line), None
            except json.JSONDecodeError as exc:
                yield lineno, None, f"invalid JSON: {exc.msg}"


def load_records(
    engine: Engine,
    records: Iterable[tuple[str, dict[str, Any] | None, str | None]],
    *,
    input_name: str | None = None,
    resume: bool = False,
) -> LoadSummary:
    """Load (location, record, read-error) items, one transaction per trial."""
    ensure_schema(engine)
    summary = LoadSummary()
    start = time.perf_counter()
    with engine.begin() as conn:
        inserted = conn.execute(
            insert(runs).values(
                extractor_version=__version__,
                schema_version=RECORD_SCHEMA_VERSION,
                input=input_name,
                started_at=_now(),
            )
        ).inserted_primary_key
        run_id = int(inserted[0]) if inserted else None
        done = set(conn.execute(select(trials.c.trial_id)).scalars()) if resume else set()
    for location, record, reason in records:
        summary.read += 1
        if record is None:
            summary.refused += 1
            summary.refusals.append({"trial_id": "", "location": location, "reason": reason or "unreadable"})
            continue
        problems = list(iter_errors(record))
        if problems:
            tid = str(record.get("trial_id") or "") if isinstance(record, dict) else ""
            summary.refused += 1
            summary.refusals.append(
                {"trial_id": tid, "location": location, "reason": "; ".join(map(str, problems[:3]))}
            )
            continue
        tid = trial_id_of(record)
        if tid in done:
            summary.skipped += 1
            continue
        rows = rows_of(record, run_id)
        with engine.begin() as conn:  # all of a trial's rows, or none
            conn.execute(delete(trials).where(trials.c.trial_id == tid))
            for table in CHILD_TABLES:  # also where foreign keys are off (SQLite without the pragma)
                conn.execute(delete(table).where(table.c.trial_id == tid))
            for table, table_rows in rows.items():
                if table_rows:
                    conn.execute(insert(table), table_rows)
        summary.loaded += 1
    summary.elapsed = time.perf_counter() - start
    with engine.begin() as conn:
        conn.execute(
            runs.update()
            .where(runs.c.run_id == run_id)
            .values(finished_at=_now(), loaded=summary.loaded, refused=summary.refused, skipped=summary.skipped)
        )
    return summary


def load_jsonl(engine: Engine, path: str, *, resume: bool = False) -> LoadSummary:
    return load_records(engine, ((f"{path}:{n}", r, e) for n, r, e in iter_jsonl(path)), input_name=path, resume=resume)


def count_rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
            for t in (trials, runs, *CHILD_TABLES)
        }
