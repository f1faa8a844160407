"""thinc prediction with the maxout and layernorm layers computed faster and floret vectors kept
(``extractor.predict_fast``): the very same bits as ``model.predict``, on the shipped model and on
other layer set-ups."""

from __future__ import annotations

from typing import Any

import numpy
import pytest
import spacy
from spacy.ml.staticvectors import StaticVectors
from spacy.tokens import Doc
from spacy.vectors import Vectors
from thinc.api import (
    LayerNorm,
    Linear,
    Maxout,
    Model,
    Ragged,
    chain,
    concatenate,
    expand_window,
    list2ragged,
    ragged2list,
    residual,
    with_array,
)

from extractor import model as entity_model
from extractor import predict_fast, spancat_fast
from extractor.predict_fast import FloretRows, fast_predict

LONG = (
    "Serum creatinine > 1.5 mg/dL or creatinine clearance < 60 mL/min (Cockcroft-Gault) within 4 weeks "
    "before the first dose of study drug, unless due to Gilbert's syndrome"
)
TEXTS = ["", "Creatinine", "   ", "History of myocardial infarction", LONG, "\n", "a", LONG + "\n" + LONG]


def _same(got: Any, want: Any) -> bool:
    """Equal to the bit (shapes, dtypes, values), through lists and Ragged."""
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(map(_same, got, want))
    if isinstance(want, Ragged):
        return _same(got.dataXd, want.dataXd) and _same(got.lengths, want.lengths)
    return bool(
        got.shape == want.shape
        and got.dtype == want.dtype
        and numpy.array_equal(got.view(numpy.uint8), want.view(numpy.uint8))
    )


def _docs(texts: list[str]) -> list[Doc]:
    return [entity_model.shared_model().nlp.make_doc(text) for text in texts]


@pytest.mark.parametrize("texts", [TEXTS, [LONG], ["x", "", "y z"], TEXTS * 9])
def test_the_shipped_tok2vec_gives_the_same_vectors(texts: list[str]) -> None:
    tok2vec = entity_model.shared_model().nlp.get_pipe("tok2vec")
    docs = _docs(texts)
    assert _same(fast_predict(tok2vec.model, docs), tok2vec.model.predict(docs))  # type: ignore[attr-defined]


def test_the_model_runs_its_tok2vec_as_spacy_does() -> None:
    tok2vec = entity_model.shared_model().nlp.get_pipe("tok2vec")
    for texts in (TEXTS, ["", "  "], []):
        want = [doc.tensor for doc in tok2vec.pipe(_docs(texts), batch_size=3)]  # type: ignore[attr-defined]
        got = [doc.tensor for doc in entity_model._tok2vec_pipe(tok2vec, _docs(texts), 3)]  # type: ignore[arg-type]
        assert _same(got, want)


def test_the_spancat_scorer_layers_give_the_same_scores() -> None:
    layout = entity_model.shared_model()._layout
    assert layout is not None
    X = numpy.random.default_rng(0).normal(size=(300, layout.maxout.get_dim("nO"))).astype("float32")
    want = got = X
    for layer in layout.tail:
        want, got = layer.predict(want), fast_predict(layer, got)
    assert _same(got, want)


def _initialized(model: Any, X: Any) -> Any:
    model.initialize(X=X)
    # trained-looking parameters: the initial LayerNorm is the identity
    rng = numpy.random.default_rng(1)
    for node in model.walk():
        for name in node.param_names:
            if node.has_param(name):
                param = node.get_param(name)
                node.set_param(name, (param + rng.normal(scale=0.3, size=param.shape)).astype(param.dtype))
    return model


@pytest.mark.parametrize("pieces", [1, 2, 3, 4])
def test_maxout_and_layernorm_alone_and_chained(pieces: int) -> None:
    rng = numpy.random.default_rng(pieces)
    X = rng.normal(size=(57, 24)).astype("float32")
    X[3] = 0.0  # a row of zeros: every piece of a unit equal to its bias
    for model in (
        Maxout(nO=8, nI=24, nP=pieces, normalize=False),
        Maxout(nO=8, nI=24, nP=pieces, normalize=True, dropout=0.2),
        LayerNorm(nI=24),
        chain(LayerNorm(nI=24), Maxout(nO=5, nP=pieces, dropout=0.0), Linear(nO=3)),
    ):
        _initialized(model, X)
        got = fast_predict(model, X)
        assert _same(got, model.predict(X))
        assert got.flags.c_contiguous
    empty = X[:0]
    model = _initialized(Maxout(nO=8, nI=24, nP=pieces, normalize=True), X)
    assert _same(fast_predict(model, empty), model.predict(empty))


def test_with_array_and_residual_over_lists_ragged_and_arrays() -> None:
    rng = numpy.random.default_rng(7)
    seqs = [rng.normal(size=(n, 16)).astype("float32") for n in (4, 0, 1, 9)]
    encoder = with_array(
        chain(
            residual(chain(expand_window(window_size=1), Maxout(nO=16, nI=48, nP=3, normalize=True))),
            residual(chain(expand_window(window_size=1), Maxout(nO=16, nI=48, nP=2, normalize=True))),
        ),
        pad=2,
    )
    _initialized(encoder, seqs)
    assert _same(fast_predict(encoder, seqs), encoder.predict(seqs))
    ragged = chain(list2ragged(), with_array(Maxout(nO=4, nI=16, nP=3, normalize=True)), ragged2list())
    _initialized(ragged, seqs)
    assert _same(fast_predict(ragged, seqs), ragged.predict(seqs))
    block = residual(with_array(Maxout(nO=16, nI=16, nP=3, normalize=True)))
    _initialized(block, seqs)
    for X in (seqs, seqs[0], Ragged(numpy.concatenate(seqs), numpy.array([4, 0, 1, 9], dtype="int32"))):
        assert _same(fast_predict(block, X), block.predict(X))


def test_other_layers_go_to_their_own_predict(monkeypatch: Any) -> None:
    X = numpy.random.default_rng(3).normal(size=(5, 6)).astype("float32")
    model = _initialized(chain(LayerNorm(nI=6), Linear(nO=2)), X)
    want = model.predict(X)
    calls: list[str] = []
    predict = Model.predict
    monkeypatch.setattr(Model, "predict", lambda self, X: calls.append(self.name) or predict(self, X))
    assert _same(fast_predict(model, X), want)
    assert calls == ["linear"]  # the LayerNorm computed here, the chain walked here


def _per_length_tables(xp: Any, vectors: Any, projected: Any, bias: Any, starts: Any, lengths: Any) -> Any:
    """``spancat_fast._per_length`` as it was written first: whole tables per length, then a gather."""
    n_tokens, width = vectors.shape
    hidden = projected.shape[1] // 3
    last, first, mean = projected[:, :hidden], projected[:, hidden : 2 * hidden], projected[:, 2 * hidden :]
    first = first + bias
    sizes = xp.unique(lengths).tolist()
    slot_of = {n: k for k, n in enumerate(sizes)}
    slot = xp.zeros(sizes[-1] + 1, dtype="int64")
    slot[xp.asarray(sizes)] = xp.arange(len(sizes))
    linear = xp.zeros((len(sizes), n_tokens, hidden), dtype=projected.dtype)
    maxes = xp.zeros((len(sizes), n_tokens, width), dtype=vectors.dtype)
    run_sum, run_max = mean.copy(), vectors.copy()
    for n in range(1, sizes[-1] + 1):
        fits = n_tokens - n + 1
        if n > 1:
            run_sum[:fits] += mean[n - 1 :]
            xp.maximum(run_max[:fits], vectors[n - 1 :], out=run_max[:fits])
        if n not in slot_of:
            continue
        k = slot_of[n]
        row = linear[k, :fits]
        xp.multiply(run_sum[:fits], xp.asarray(1.0 / n, dtype=projected.dtype), out=row)
        row += last[n - 1 :]
        row += first[:fits]
        maxes[k, :fits] = run_max[:fits]
    rows = slot[lengths] * n_tokens + starts
    return linear.reshape(-1, hidden)[rows], maxes.reshape(-1, width)[rows]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_span_rows_are_the_same_as_from_whole_tables(seed: int) -> None:
    rng = numpy.random.default_rng(seed)
    n_tokens, width, hidden = 40, 8, 6
    vectors = rng.normal(size=(n_tokens, width)).astype("float32")
    projected = rng.normal(size=(n_tokens, 3 * hidden)).astype("float32")
    bias = rng.normal(size=hidden).astype("float32")
    # spans in the suggester's order (by length, then start), some lengths missing
    spans = [(s, n) for n in (1, 2, 4, 7, 10) for s in range(n_tokens - n + 1) if rng.random() < 0.6]
    starts = numpy.array([s for s, _ in spans], dtype="int64")
    lengths = numpy.array([n for _, n in spans], dtype="int64")
    got = spancat_fast._per_length(numpy, vectors, projected, bias, starts, lengths)
    want = _per_length_tables(numpy, vectors, projected, bias, starts, lengths)
    assert _same(list(got), list(want))
    shuffled = rng.permutation(len(spans))  # any order of spans
    got = spancat_fast._per_length(numpy, vectors, projected, bias, starts[shuffled], lengths[shuffled])
    assert _same(list(got), [want[0][shuffled], want[1][shuffled]])


# --- floret static vectors -------------------------------------------------------------------------


def _layers_predicted(monkeypatch: Any) -> list[str]:
    """The names of the layers that go to their own ``predict`` from now on."""
    calls: list[str] = []
    predict = Model.predict
    monkeypatch.setattr(Model, "predict", lambda self, X: calls.append(self.name) or predict(self, X))
    return calls


def _static_vectors_of(model: Model[Any, Any]) -> Model[Any, Any]:
    return next(node for node in model.walk() if node.name == "static_vectors")


def test_the_shipped_static_vectors_are_computed_here_to_the_same_bits(monkeypatch: Any) -> None:
    nlp = entity_model.shared_model().nlp
    assert nlp.vocab.vectors.mode == "floret"
    layer = _static_vectors_of(nlp.get_pipe("tok2vec").model)  # type: ignore[attr-defined]
    monkeypatch.setattr(predict_fast, "_floret_cache", None)  # a cold cache, then a warm one
    for texts in (TEXTS, TEXTS, [LONG.upper(), "creatinine CREATININE Creatinine"], ["x", "", "y z"]):
        docs = _docs(texts)
        want = layer.predict(docs)
        calls = _layers_predicted(monkeypatch)
        got = fast_predict(layer, docs)
        monkeypatch.undo()
        assert calls == []  # not spaCy's forward
        assert _same(got, want)
    cached = predict_fast.floret_rows(nlp.vocab.vectors)
    assert 0 < len(cached) <= cached.capacity


def test_the_shipped_embedding_computes_its_concatenation_here(monkeypatch: Any) -> None:
    embed = entity_model.shared_model().nlp.get_pipe("tok2vec").model.get_ref("embed")  # type: ignore[attr-defined]
    docs = _docs(TEXTS)
    want = embed.predict(docs)
    calls = _layers_predicted(monkeypatch)
    got = fast_predict(embed, docs)
    monkeypatch.undo()
    assert _same(got, want)
    assert "static_vectors" not in calls and not any("|" in name for name in calls)  # no concatenate


def test_the_floret_rows_stay_within_their_bound_and_equal_get_batch() -> None:
    nlp = _floret_nlp()  # its own strings: the shared model's are left as they are
    vectors, strings = nlp.vocab.vectors, nlp.vocab.strings
    words = [f"w{i}" for i in range(40)] + ["creatinine", "mg/dl", "<", "ü"]
    keys = numpy.array([strings.add(w) for w in words], dtype="uint64")
    rows = FloretRows(vectors, capacity=8)
    rng = numpy.random.default_rng(5)
    for size in (1, 3, 8, 5, 12, 30, 2, 44, 7):
        batch = rng.choice(keys, size=size)  # repeats within a batch too
        got = rows.rows(vectors, batch)
        assert _same(got, vectors.get_batch(batch))
        assert got.flags.c_contiguous
        assert len(rows) <= 8 and len(rows._table) <= 8
    assert _same(rows.rows(vectors, keys[:3]), vectors.get_batch(keys[:3]))


def test_the_cache_belongs_to_one_vectors_table(monkeypatch: Any) -> None:
    monkeypatch.setattr(predict_fast, "_floret_cache", None)
    shipped = entity_model.shared_model().nlp.vocab.vectors
    tiny = _floret_nlp().vocab.vectors
    first = predict_fast.floret_rows(shipped)
    assert predict_fast.floret_rows(shipped) is first
    assert predict_fast.floret_rows(tiny) is not first  # other vectors: a new cache
    assert predict_fast.floret_rows(shipped) is not first


def _floret_nlp(mode: str = "floret") -> Any:
    nlp = spacy.blank("en")
    data = numpy.random.default_rng(2).normal(size=(64, 8)).astype("float32")
    if mode == "floret":
        vectors = Vectors(
            strings=nlp.vocab.strings, data=data, mode="floret", minn=2, maxn=4, hash_count=2, attr="LOWER"
        )
    else:
        words = ["the", "patient", "had", "a"]
        vectors = Vectors(strings=nlp.vocab.strings, data=data[: len(words)], keys=words, attr="LOWER")
    nlp.vocab.vectors = vectors
    return nlp


def _embedding(nlp: Any, texts: list[str]) -> tuple[Model[Any, Any], list[Doc]]:
    """spaCy's embedding with static vectors (as MultiHashEmbed.v2 builds it), small and initialised."""
    docs = [nlp.make_doc(text) for text in texts]
    model = spacy.registry.get("architectures", "spacy.MultiHashEmbed.v2")(
        width=6, attrs=["NORM", "SHAPE"], rows=[50, 20], include_static_vectors=True
    )
    return _initialized(model, docs), docs


def test_a_small_floret_embedding_gives_the_same_vectors(monkeypatch: Any) -> None:
    monkeypatch.setattr(predict_fast, "_floret_cache", None)
    texts = ["The patient had a stroke.", "", "STROKE stroke Stroke", "a"]
    model, docs = _embedding(_floret_nlp(), texts)
    for _ in range(2):  # cold, then warm
        assert _same(fast_predict(model, docs), model.predict(docs))
    assert len(predict_fast.floret_rows(docs[0].vocab.vectors)) == len({t.lower_ for d in docs for t in d})


@pytest.mark.filterwarnings("ignore:Out of bound index:DeprecationWarning")  # spaCy's, on no vectors
def test_other_vectors_take_spacys_forward(monkeypatch: Any) -> None:
    texts = ["The patient had a stroke.", "a b"]
    model, docs = _embedding(_floret_nlp("default"), texts)
    layer = _static_vectors_of(model)
    assert not predict_fast._uses_floret_rows(layer, docs)
    calls = _layers_predicted(monkeypatch)
    got = fast_predict(model, docs)
    monkeypatch.undo()
    assert "static_vectors" in calls
    assert _same(got, model.predict(docs))
    # no vectors at all: spaCy's own error
    nlp = spacy.blank("en")
    layer = StaticVectors(nO=4, nM=8)
    layer.initialize()
    bare = [nlp.make_doc("no vectors here")]
    assert not predict_fast._uses_floret_rows(layer, bare)
    with pytest.raises(RuntimeError):
        layer.predict(bare)
    with pytest.raises(RuntimeError):
        fast_predict(layer, bare)
    # nothing to embed
    floret = _floret_nlp()
    layer = _initialized(StaticVectors(nO=4), [floret.make_doc("x")])
    empty = [floret.make_doc(""), floret.make_doc("")]
    assert not predict_fast._uses_floret_rows(layer, empty)
    assert _same(fast_predict(layer, empty), layer.predict(empty))


def test_concatenate_over_arrays_lists_and_ragged() -> None:
    rng = numpy.random.default_rng(11)
    seqs = [rng.normal(size=(n, 6)).astype("float32") for n in (3, 0, 5)]
    flat = numpy.concatenate(seqs)
    lengths = numpy.array([3, 0, 5], dtype="int32")
    on_arrays = concatenate(Linear(nO=2), Maxout(nO=3, nP=2, normalize=True), LayerNorm())
    _initialized(on_arrays, flat)
    assert _same(fast_predict(on_arrays, flat), on_arrays.predict(flat))
    on_lists = concatenate(with_array(Linear(nO=2)), with_array(Maxout(nO=3, nP=3)))
    _initialized(on_lists, seqs)
    assert _same(fast_predict(on_lists, seqs), on_lists.predict(seqs))
    on_ragged = concatenate(with_array(Linear(nO=2)), with_array(LayerNorm()))
    ragged = Ragged(flat, lengths)
    _initialized(on_ragged, ragged)
    assert _same(fast_predict(on_ragged, ragged), on_ragged.predict(ragged))
