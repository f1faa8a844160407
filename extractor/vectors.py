"""Static word vectors for the entity model, trained offline on unlabelled text.

The model's tok2vec sees a word through hash embeddings of its norm, prefix, suffix and shape, all
learnt from Chia's 784 training trials. A word Chia never shows ("fluoropyrimidine") is then known
by its spelling only. Static vectors add what other text says about it. They are trained here, with
floret (fastText with subword hashing, the mode spaCy reads natively), on:

* the criteria of the registry dumps given (the shared ClinicalTrials.gov samples by default), less
  the trials of Chia's held-out splits;
* the text of Chia's training files (never dev or test, unless ``--final`` trains on dev);
* the ICD-10-CM descriptions and inclusion terms, and the DrugBank drug names, that the linking
  step already ships.

floret hashes every word's character n-grams into a fixed table, so any word gets a vector, however
rare. Training runs on one thread, so the same text gives the same vectors, bit for bit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import spacy

from . import chia, linking, readers
from .errors import ModelError

#: floret's settings (``floret.train_unsupervised`` names); ``hashCount``/``bucket``/``minn``/``maxn``
#: also go to spaCy, which must hash n-grams exactly as floret did
SETTINGS: dict[str, Any] = {
    "model": "cbow",
    "mode": "floret",
    "dim": 100,
    "bucket": 50000,
    "hashCount": 2,
    "minn": 4,
    "maxn": 5,
    "minCount": 3,
    "epoch": 10,
}

#: the registry samples read by default when they are there (the repository's shared data folder)
DEFAULT_REGISTRY = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "ctgov" / "ctg-studies-dev.json.zip",
    Path(__file__).resolve().parents[2] / "shared" / "data" / "ctgov" / "AllPublicXML-dev.zip",
)


def default_registry() -> list[Path]:
    """The shared registry samples that exist on this machine (none in a user's fresh clone)."""
    return [p for p in DEFAULT_REGISTRY if p.is_file()]


def text_lines(
    corpus: str | Path | None,
    registry: Iterable[str | Path],
    training_splits: Iterable[str] = ("train",),
    limit: int | None = None,
) -> tuple[list[str], dict[str, Any]]:
    """The unlabelled lines vectors are trained on, in a fixed order, and what they came from.

    Registry trials that are in a Chia split not trained on are left out, so no held-out text is read.
    ``limit`` keeps the first N trials of each source and N*100 vocabulary names (smoke tests)."""
    splits = set(training_splits)
    corpus_files = list(chia.files(corpus))  # read once: the held-out trial ids and the training text
    held_out = {f.trial_id for f in corpus_files if chia.split_of(f.trial_id) not in splits}
    lines: list[str] = []
    report: dict[str, Any] = {"registry": [], "chia_splits": sorted(splits)}
    for path in registry:
        read = 0
        for item in readers.iter_records(path):
            if isinstance(item, readers.ReadFailure) or item.trial_id in held_out:
                continue
            if limit is not None and read >= limit:
                break
            read += 1
            lines += _nonblank(item.text)
        report["registry"].append({"file": Path(path).name, "trials": read})
    chia_files = [f for split in sorted(splits) for f in corpus_files if chia.split_of(f.trial_id) == split]
    if limit is not None:
        chia_files = chia_files[:limit]
    for f in chia_files:
        lines += _nonblank(f.text)
    report["chia_files"] = len(chia_files)
    names = _vocabulary_names()
    if limit is not None:
        names = names[: limit * 100]
    lines += names
    report["vocabulary_names"] = len(names)
    return lines, report


def _nonblank(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _vocabulary_names() -> list[str]:
    """ICD-10-CM descriptions and inclusion terms, then the DrugBank canonical names."""
    names: list[str] = []
    for _code, description, includes in linking._icd_codes():
        names.append(description)
        names += includes
    names += list(linking._drug_tables()[1])
    return names


def tokenized(lines: Iterable[str]) -> Iterator[str]:
    """Each line as the model's tokenizer splits it, in lower case (the vectors are keyed by LOWER)."""
    from .train import blank_model_nlp

    nlp = blank_model_nlp()
    for doc in nlp.pipe(lines, batch_size=2000):
        yield " ".join(t.lower_ for t in doc if not t.is_space)


def build(
    out_dir: str | Path,
    corpus: str | Path | None = None,
    registry: Iterable[str | Path] | None = None,
    training_splits: Iterable[str] = ("train",),
    limit: int | None = None,
    settings: dict[str, Any] | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Train floret vectors and write a spaCy vectors directory (``out_dir/vectors``) for the config's
    ``[initialize] vectors``; returns it with a report (sources, words, settings) for the provenance."""
    try:
        import floret
    except ImportError as exc:  # a training-only dependency
        raise ModelError('training vectors needs floret: pip install -e ".[train]"') from exc
    from spacy.training.initialize import convert_vectors

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    chosen = {**SETTINGS, **(settings or {})}
    lines, report = text_lines(corpus, default_registry() if registry is None else registry, training_splits, limit)
    text_file = out / "vectors-text.txt"
    words = 0
    with text_file.open("w", encoding="utf-8") as fh:
        for line in tokenized(lines):
            words += line.count(" ") + 1
            fh.write(line + "\n")
    # one thread: fastText's updates are then in a fixed order, and the vectors reproducible
    trained = floret.train_unsupervised(str(text_file), thread=1, verbose=0, **chosen)
    floret_file = out / "vectors.floret"
    trained.save_floret_vectors(str(floret_file))
    nlp = spacy.blank("en")
    convert_vectors(nlp, floret_file, truncate=0, prune=-1, mode="floret", attr="LOWER", name="criteria_floret")
    vectors_dir = out / "vectors"
    nlp.to_disk(vectors_dir)
    report.update({"lines": len(lines), "words": words, "settings": chosen, "tool": f"floret {_version('floret')}"})
    (out / "vectors-report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return vectors_dir, report


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


__all__ = ["SETTINGS", "build", "default_registry", "text_lines", "tokenized"]
