"""The SpanCategorizer's fast scores (``extractor.spancat_fast``): the same as ``spancat.predict`` up to
float32 rounding on the shipped model, and ``spancat.predict`` itself for any other architecture."""

from __future__ import annotations

from typing import Any

import numpy
import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc
from thinc.api import Maxout, chain, concatenate, reduce_first, reduce_last, reduce_max, reduce_mean

from extractor import model as entity_model
from extractor.spancat_fast import fast_spancat_scores, spancat_layout

LONG = (
    "Serum creatinine > 1.5 mg/dL or creatinine clearance < 60 mL/min (Cockcroft-Gault) within 4 weeks "
    "before the first dose of study drug, unless due to Gilbert's syndrome"
)
TEXTS = ["", "Creatinine", "   ", "History of myocardial infarction", LONG]


@spacy.registry.layers("test.first_last_mean_max_reducer.v1")
def _reordered_reducer(hidden_size: int) -> Any:
    """spaCy's mean_max_reducer with its first two blocks swapped: the same layers, another meaning."""
    return chain(
        concatenate(reduce_first(), reduce_last(), reduce_mean(), reduce_max()),
        Maxout(nO=hidden_size, normalize=True, dropout=0.0),
    )


def _docs(nlp: Language, texts: list[str]) -> list[Doc]:
    """Docs as the SpanCategorizer sees them: after every component before it (the tok2vec)."""
    docs = [nlp.make_doc(text) for text in texts]
    for name, proc in nlp.pipeline:
        if name == "spancat":
            break
        docs = list(proc.pipe(docs))  # type: ignore[attr-defined]
    return docs


def _assert_same(spancat: Any, docs: list[Doc], tolerance: float) -> None:
    want_indices, want = spancat.predict(docs)
    got_indices, got = fast_spancat_scores(spancat, docs)
    assert numpy.array_equal(got_indices.dataXd, want_indices.dataXd)
    assert numpy.array_equal(got_indices.lengths, want_indices.lengths)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert numpy.abs(got - want).max(initial=0.0) <= tolerance


def _blank_spancat(reducer: dict[str, Any] | None = None) -> Any:
    nlp = spacy.blank("en")
    config: dict[str, Any] = {"model": {"reducer": reducer}} if reducer else {}
    spancat = nlp.add_pipe("spancat", config=config)
    for label in ("A", "B"):
        spancat.add_label(label)  # type: ignore[attr-defined]
    nlp.initialize()
    return spancat


def test_the_shipped_model_takes_the_fast_path() -> None:
    model = entity_model.shared_model()
    spancat = model.nlp.get_pipe("spancat")
    layout = spancat_layout(spancat.model)  # type: ignore[attr-defined]
    assert layout is not None and model._layout == layout
    assert [layer.name for layer in layout.tail] == ["layernorm", "dropout", "linear", "logistic"]


@pytest.mark.parametrize("batch", [[text] for text in TEXTS] + [TEXTS, ["", "   "]])
def test_fast_scores_equal_spancat_predict(batch: list[str]) -> None:
    model = entity_model.shared_model()
    spancat = model.nlp.get_pipe("spancat")
    docs = _docs(model.nlp, batch)
    if batch == [LONG]:  # longer than the largest n-gram, so every size is suggested
        assert len(docs[0]) > max(spancat.suggester.sizes)  # type: ignore[attr-defined]
    _assert_same(spancat, docs, 1e-5)


def test_an_inline_tok2vec_is_read_too() -> None:
    # spaCy's default spancat: the same reducer, its own tok2vec inside the model (no listener)
    spancat = _blank_spancat()
    assert spancat_layout(spancat.model) is not None
    _assert_same(spancat, [Doc(spancat.vocab, words=text.split()) for text in TEXTS], 1e-5)


@pytest.mark.parametrize(
    "reducer", [{"@layers": "reduce_mean.v1"}, {"@layers": "test.first_last_mean_max_reducer.v1", "hidden_size": 16}]
)
def test_another_architecture_falls_back_to_spancat_predict(reducer: dict[str, Any], monkeypatch: Any) -> None:
    spancat = _blank_spancat(reducer)
    assert spancat_layout(spancat.model) is None
    docs = [Doc(spancat.vocab, words=text.split()) for text in TEXTS]
    want_indices, want = spancat.predict(docs)
    calls: list[int] = []
    predict = spancat.predict
    monkeypatch.setattr(spancat, "predict", lambda d: calls.append(len(d)) or predict(d))
    got_indices, got = fast_spancat_scores(spancat, docs)
    assert calls == [len(docs)]
    assert numpy.array_equal(got_indices.dataXd, want_indices.dataXd)
    assert numpy.array_equal(got, want)
