"""The Chia corpus (Kury et al., Scientific Data 7:281, 2020; CC BY 4.0): files, types and a fixed split.

The split is by trial, so no trial's criteria are on both sides: ``md5(NCT id) mod 10`` gives 0–7
train, 8 dev, 9 test. It depends on nothing but the id, so it is the same on every machine and for
every corpus version that keeps the ids.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .brat import BratEntity, read_ann, read_text
from .errors import InputError

#: the eight main types the literature reports micro-averaged figures over
MAIN_TYPES = ("Condition", "Drug", "Procedure", "Measurement", "Observation", "Person", "Value", "Temporal")
#: annotator flags in Chia's .ann files, not clinical entities (see ../shared/data/README.md)
FLAG_TYPES = frozenset(
    {
        "Parsing_Error",
        "Grammar_Error",
        "Context_Error",
        "Not_a_criteria",
        "Non-query-able",
        "Non-representable",
        "Undefined_semantics",
        "Line",
    }
)
#: every entity type of Chia's annotation.conf that is kept (main types first)
ALL_TYPES = MAIN_TYPES + (
    "Scope",
    "Qualifier",
    "Negation",
    "Multiplier",
    "Reference_point",
    "Mood",
    "Device",
    "Visit",
    "Post-eligibility",
    "Pregnancy_considerations",
    "Informed_consent",
    "Competing_trial",
    "Intoxication_considerations",
    "Subjective_judgement",
)
#: the types an entity model can be trained on: the eight main types; those plus the modifiers and
#: the smaller concept types ("concepts": Scope, whose spans run long and over other spans, and the
#: rare policy types are left out); or every kept type
TYPE_SETS: dict[str, tuple[str, ...]] = {
    "main": MAIN_TYPES,
    "concepts": MAIN_TYPES + ("Qualifier", "Negation", "Multiplier", "Reference_point", "Mood", "Device", "Visit"),
    "all": ALL_TYPES,
}
SPLITS = ("train", "dev", "test")
#: where the corpus is looked for when no directory is given
DEFAULT_DIRS = ("../shared/data/chia/chia_with_scope",)
CORPUS_ENV = "CHIA_DIR"

_NAME = re.compile(r"(?P<trial>NCT\d{8})_(?P<side>inc|exc)\.txt$")


def split_of(trial_id: str) -> str:
    """'train', 'dev' or 'test' for a trial id, from the md5 of the id (stable, documented)."""
    bucket = int(hashlib.md5(trial_id.encode("ascii")).hexdigest(), 16) % 10
    return "train" if bucket < 8 else ("dev" if bucket == 8 else "test")


@dataclass(frozen=True)
class ChiaFile:
    """One ``NCTxxxxxxxx_inc.txt``/``_exc.txt`` with its annotations (flags and unknown types removed)."""

    name: str
    trial_id: str
    side: str
    text: str
    entities: tuple[BratEntity, ...]


def find_corpus(directory: str | Path | None = None) -> Path:
    """The Chia directory: the one given, ``$CHIA_DIR``, or the shared data folder next to the repo."""
    candidates = [Path(directory)] if directory else []
    if not directory and os.environ.get(CORPUS_ENV):
        candidates.append(Path(os.environ[CORPUS_ENV]))
    if not directory:
        repo = Path(__file__).resolve().parent.parent
        candidates += [repo / d for d in DEFAULT_DIRS] + [Path.cwd() / d for d in DEFAULT_DIRS]
    for path in candidates:
        if path.is_dir() and any(path.glob("NCT*_inc.txt")):
            return path
    tried = ", ".join(str(p) for p in candidates)
    raise InputError(f"no Chia corpus found (tried {tried}); pass its directory or set ${CORPUS_ENV}")


def files(directory: str | Path | None = None, split: str | None = None) -> Iterator[ChiaFile]:
    """The corpus files in name order, optionally only those of one split."""
    if split is not None and split not in SPLITS:
        raise InputError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    root = find_corpus(directory)
    for txt in sorted(root.glob("NCT*_*.txt")):
        m = _NAME.search(txt.name)
        if not m or (split is not None and split_of(m["trial"]) != split):
            continue
        ann = txt.with_suffix(".ann")
        entities = read_ann(ann) if ann.exists() else []
        kept = tuple(e for e in entities if e.type in ALL_TYPES)
        yield ChiaFile(txt.stem, m["trial"], m["side"], read_text(txt), kept)


def lines(text: str) -> Iterator[tuple[int, int]]:
    """Offsets of each non-blank line of a file, line end excluded (Chia has one criterion per line)."""
    pos = 0
    for piece in text.splitlines(keepends=True):
        body = piece.rstrip("\r\n")
        if body.strip():
            yield pos, pos + len(body)
        pos += len(piece)
