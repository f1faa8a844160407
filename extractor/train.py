"""Train the Chia entity model: DocBins from the fixed split, ``spacy train`` with the repo's config,
a decision threshold chosen on dev, and the result packaged with its provenance.

The test split is never read here.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import spacy
from spacy.tokens import DocBin

from . import chia, components  # noqa: F401  (components registers the model tokenizer)
from .brat import trimmed
from .errors import ModelError
from .model import SPANS_KEY, provenance

CONFIG = Path(__file__).with_name("training") / "chia_spancat.cfg"


def held_out_choice() -> tuple[float, dict[str, Any]]:
    """The threshold and dev scores of the shipped model's provenance: chosen on dev by a run on the
    train split alone. ``train --final`` keeps them, since dev is then part of its training data."""
    shipped = provenance()
    return float(shipped["threshold"]), dict(shipped["dev_scores"])


#: the type set the shipped model is trained on (see chia.TYPE_SETS and the README's measurements)
DEFAULT_TYPES = "concepts"


def blank_model_nlp() -> spacy.language.Language:
    """A blank English pipeline with the entity model's tokenizer."""
    return spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "extractor.ModelTokenizer.v1"}}})


def docbin(
    corpus_files: Iterable[chia.ChiaFile], types: Iterable[str] = chia.ALL_TYPES
) -> tuple[DocBin, dict[str, int]]:
    """One Doc per criterion line with its spans in ``doc.spans['sc']``; counts of what was kept."""
    nlp = blank_model_nlp()
    wanted = set(types)
    out = DocBin(store_user_data=False)
    counts = {"docs": 0, "spans": 0, "dropped_cross_line": 0, "dropped_unaligned": 0}
    for f in corpus_files:
        ents = [e for e in f.entities if e.type in wanted]
        for a, b in chia.lines(f.text):
            doc = nlp(f.text[a:b])
            spans = []
            for e in ents:
                if e.end <= a or e.start >= b:
                    continue
                if e.start < a or e.end > b:
                    counts["dropped_cross_line"] += 1
                    continue
                s, t = trimmed(f.text, e.start, e.end)
                span = doc.char_span(s - a, t - a, label=e.type, alignment_mode="expand") if s < t else None
                if span is None:
                    counts["dropped_unaligned"] += 1
                    continue
                spans.append(span)
            doc.spans[SPANS_KEY] = spans
            counts["docs"] += 1
            counts["spans"] += len(spans)
            out.add(doc)
    return out, counts


def prepare(
    corpus: str | Path | None,
    out_dir: str | Path,
    limit: int | None = None,
    types: str = DEFAULT_TYPES,
    final: bool = False,
) -> dict[str, Any]:
    """Write ``train.spacy`` and ``dev.spacy`` under ``out_dir`` with the spans of one of
    :data:`chia.TYPE_SETS`; ``limit`` keeps the first N files of each split (for smoke tests).
    ``final`` trains on the train and dev splits together (``dev.spacy`` is still written: spaCy
    reports on it, in-sample)."""
    if types not in chia.TYPE_SETS:
        raise ModelError(f"unknown type set {types!r}: use one of {', '.join(chia.TYPE_SETS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {}
    chosen = {split: list(chia.files(corpus, split)) for split in ("train", "dev")}
    if limit is not None:
        chosen = {split: files[:limit] for split, files in chosen.items()}
    training = chosen["train"] + chosen["dev"] if final else chosen["train"]
    for split, selected in (("train", training), ("dev", chosen["dev"])):
        db, counts = docbin(selected, chia.TYPE_SETS[types])
        db.to_disk(out / f"{split}.spacy")
        report[split] = {"files": len(selected), "trials": len({f.trial_id for f in selected}), **counts}
    report["types"] = {"set": types, "labels": list(chia.TYPE_SETS[types])}
    if final:
        report["train"]["splits"] = ["train", "dev"]
    return report


def uses_static_vectors(config: str | Path) -> bool:
    """Whether the config's tok2vec reads static vectors (then ``[initialize] vectors`` must be set)."""
    loaded = spacy.util.load_config(Path(config))
    embed = loaded["components"]["tok2vec"]["model"].get("embed", {})
    return bool(embed.get("include_static_vectors", False))


def final_steps(config: str | Path, report: dict[str, Any]) -> int:
    """The config's step count scaled from the train split to train + dev (same number of epochs),
    rounded to 50."""
    steps = int(spacy.util.load_config(Path(config))["training"]["max_steps"])
    held_out_docs = report["train"]["docs"] - report["dev"]["docs"]
    return int(round(steps * report["train"]["docs"] / max(1, held_out_docs) / 50) * 50)


def train(
    output: str | Path,
    corpus: str | Path | None = None,
    config: str | Path = CONFIG,
    overrides: dict[str, Any] | None = None,
    limit: int | None = None,
    types: str = DEFAULT_TYPES,
    final: bool = False,
    threshold: float | None = None,
    registry: list[str | Path] | None = None,
) -> dict[str, Any]:
    """Train into ``output`` and return the provenance written beside the pipeline
    (``output/model-best``; ``output/model-last`` with ``final``). ``overrides`` are spaCy config
    overrides, e.g. ``{"training.max_steps": 20}``.

    ``final`` trains on train + dev once the settings are fixed on dev: the config's step count is
    scaled to the larger data (the same number of epochs), the last step is kept, and the threshold
    is not chosen (dev is in-sample) but given, by default the held-out choice shipped so far.

    A config with static vectors gets them trained first (:func:`extractor.vectors.build`, on the
    ``registry`` dumps given, by default the shared samples where they exist, plus the training text
    and the vocabularies' names), unless ``overrides`` names ``paths.vectors``."""
    from spacy.cli.train import train as spacy_train

    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    data = output / "corpus"
    report = prepare(corpus, data, limit, types, final=final)
    settings = {"paths.train": str(data / "train.spacy"), "paths.dev": str(data / "dev.spacy"), **(overrides or {})}
    if uses_static_vectors(config) and "paths.vectors" not in settings:
        from . import vectors

        splits = ("train", "dev") if final else ("train",)
        vectors_dir, report["vectors"] = vectors.build(output / "static-vectors", corpus, registry, splits, limit)
        settings["paths.vectors"] = str(vectors_dir)
    if final and "training.max_steps" not in settings:
        settings["training.max_steps"] = final_steps(config, report)
    try:
        spacy_train(Path(config), output, overrides=settings, use_gpu=-1)
    except SystemExit as exc:  # spaCy's CLI helpers exit on bad configs
        raise ModelError(f"spacy train stopped (exit {exc.code}); see the messages above") from exc
    if final:
        return finish(
            output, corpus, report, config, settings, limit, final_threshold=threshold or held_out_choice()[0]
        )
    return finish(output, corpus, report, config, settings, limit)


def finish(
    output: str | Path,
    corpus: str | Path | None,
    report: dict[str, Any],
    config: str | Path = CONFIG,
    settings: dict[str, Any] | None = None,
    limit: int | None = None,
    final_threshold: float | None = None,
) -> dict[str, Any]:
    """Choose the threshold on dev for ``output/model-best`` and write its ``provenance.json``; with
    ``final_threshold`` (a train + dev model), ``output/model-last`` keeps that threshold."""
    best = Path(output) / ("model-last" if final_threshold is not None else "model-best")
    if not best.is_dir():
        raise ModelError(f"training wrote no {best}")
    if final_threshold is None:
        threshold, dev_scores = choose_threshold(best, corpus, limit)
    else:
        threshold, dev_scores = final_threshold, held_out_choice()[1]
    meta = json.loads((best / "meta.json").read_text(encoding="utf-8"))
    provenance = {
        "model": "chia_spancat",
        "training_data": "Chia (Kury et al. 2020, CC BY 4.0), doi:10.6084/m9.figshare.11855817",
        "attribution": (
            "Trained on Chia: Kury F, Butler A, Yuan C, et al. Chia, a large annotated corpus of clinical trial "
            "eligibility criteria. Sci Data 7, 281 (2020). doi:10.1038/s41597-020-00620-0. Licence: CC BY 4.0."
        ),
        "command": "python -m extractor train --out DIR --final --install"
        if final_threshold is not None
        else "python -m extractor train --out DIR",
        "split": "md5(NCT id) mod 10: 0-7 train, 8 dev, 9 test; one doc per criterion line; test never read",
        "trained_on": ["train", "dev"] if final_threshold is not None else ["train"],
        "corpus": {k: v for k, v in report.items() if k != "vectors"},
        "static_vectors": report.get("vectors"),
        "config": Path(config).name,
        "overrides": {k: v for k, v in (settings or {}).items() if not k.startswith("paths.")},
        "threshold": threshold,
        # with train + dev, the threshold and these scores are the held-out run's (train only, same
        # config): dev is in-sample for the final model, and the test split measures it
        "dev_scores": dev_scores,
        "spacy_dev_score": meta.get("performance", {}),
        "spacy_version": spacy.__version__,
    }
    (best / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
    return provenance


def choose_threshold(
    model_dir: Path, corpus: str | Path | None, limit: int | None = None
) -> tuple[float, dict[str, Any]]:
    """The spancat threshold with the best strict micro-F1 over the main types on the dev split."""
    from .chia_eval import score_files
    from .model import EntityModel

    dev = list(chia.files(corpus, "dev"))
    if limit is not None:
        dev = dev[:limit]
    model = EntityModel(model_dir, threshold=0.05)
    predicted = {f.name: model.predict_scored(f.text) for f in dev}
    best: tuple[float, float, dict[str, Any]] = (-1.0, 0.5, {})
    for step in range(10, 80, 5):
        threshold = step / 100
        kept = {name: EntityModel.select(spans, threshold) for name, spans in predicted.items()}
        scores = score_files(dev, kept)
        f1 = scores["main"]["strict"]["f1"]
        if f1 > best[0]:
            best = (f1, threshold, scores)
    return best[1], {"strict_main_f1": round(best[0], 4), "relaxed_main_f1": round(best[2]["main"]["relaxed"]["f1"], 4)}


def package(trained: str | Path, dest: str | Path) -> Path:
    """Copy a trained ``model-best`` (with its provenance) to ``dest``, replacing what was there."""
    src, dst = Path(trained), Path(dest)
    if not (src / "config.cfg").exists() or not (src / "provenance.json").exists():
        raise ModelError(f"{src} is not a trained model directory with provenance.json")
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    return dst


__all__ = [
    "CONFIG",
    "blank_model_nlp",
    "choose_threshold",
    "docbin",
    "final_steps",
    "package",
    "prepare",
    "train",
    "uses_static_vectors",
]
