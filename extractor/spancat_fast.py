"""The SpanCategorizer's scores computed per token where spaCy computes them per candidate span.

spaCy's ``mean_max_reducer`` concatenates, for every candidate span, its last, first, mean and max
token vector (4 x 128 values) and multiplies that by the Maxout weights (512 x 384): one 512-wide
row of matrix product per candidate, of which there are several per token (every 1-10-token span
that the suggester keeps). Three of the four blocks are linear in the token vectors, so

    W_last x_last + W_first x_first + W_mean mean(x) = (W_last x)[last] + (W_first x)[first] + mean(W_mean x)

and they are computed once per token (three 128 x 384 products per token, the mean from running
sums of the projected vectors). Only the max block stays per candidate (128 x 384), its max taken
from running maxima (no gathered copy of each span's tokens as extract_spans makes).
Everything after the Maxout's linear part (maxout over the pieces, LayerNorm, the Linear + sigmoid
scorer) runs through the model's own thinc layers on the same batch (the LayerNorm by
:func:`extractor.predict_fast.fast_predict`, to the same bits), so the scores differ from
``spancat.predict`` only by float32 rounding (the order of the sums).

Any other model architecture (another reducer, a Maxout with dropout inside, ...) is read by
``spancat.predict`` as before: :func:`spancat_layout` says whether the fast path applies.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from spacy.tokens import Doc
from thinc.model import Model
from thinc.types import Floats2d, Ragged

from .predict_fast import _forward, fast_predict

_CHAIN = _forward("thinc.layers.chain")
_CONCATENATE = _forward("thinc.layers.concatenate")
_EXTRACT_SPANS = _forward("spacy.ml.extract_spans")
_MAXOUT = _forward("thinc.layers.maxout")
#: the reducers of spaCy's mean_max_reducer, in its concatenation order (the Maxout weights' column
#: blocks follow this order)
_REDUCERS = (
    ("reduce_last", _forward("thinc.layers.reduce_last")),
    ("reduce_first", _forward("thinc.layers.reduce_first")),
    ("reduce_mean", _forward("thinc.layers.reduce_mean")),
    ("reduce_max", _forward("thinc.layers.reduce_max")),
)


@dataclass(frozen=True)
class SpancatLayout:
    """The layers of a ``spacy.SpanCategorizer.v1`` model with a ``spacy.mean_max_reducer.v1`` reducer.

    ``model`` = chain(``vectors``, extract_spans, concatenate(reduce_last, reduce_first, reduce_mean,
    reduce_max), ``maxout``, *``tail``); the weights are read from ``maxout`` at each call (never
    copied here), so a model updated in place is read as it is.
    """

    model: Model[Any, Any]
    #: (docs, candidates) -> (token vectors as a Ragged, one row per token of each doc; candidates)
    vectors: Model[Any, Any]
    maxout: Model[Floats2d, Floats2d]
    #: the layers after the Maxout's own forward (LayerNorm, dropout, Linear, Logistic)
    tail: tuple[Model[Any, Any], ...]


def _is(layer: Model[Any, Any], name: str, forward: Any) -> bool:
    """``layer`` is thinc's/spaCy's layer of that name, with that forward function (a custom layer
    could share the name and compute something else)."""
    return layer.name == name and getattr(layer, "_func", None) is forward


def _leaves(layers: Sequence[Model[Any, Any]]) -> Iterator[Model[Any, Any]]:
    """The layers in the order data goes through them, nested chains flattened (a chain's forward is
    its layers' forwards in turn, so this is the same computation)."""
    for layer in layers:
        if getattr(layer, "_func", None) is _CHAIN:
            yield from _leaves(layer.layers)
        else:
            yield layer


def spancat_layout(model: Model[Any, Any]) -> SpancatLayout | None:
    """The layout of a SpanCategorizer model the fast path can read, or None for any other
    architecture. The layers are found by name and forward function, not by position."""
    if getattr(model, "_func", None) is not _CHAIN or len(model.layers) < 2:
        return None
    # the first layer turns (docs, candidates) into (token vectors, candidates): whatever it is
    # (a tok2vec listener, an inline tok2vec), its output is what extract_spans reads
    vectors = model.layers[0]
    leaves = list(_leaves(model.layers[1:]))
    if len(leaves) < 3 or not _is(leaves[0], "extract_spans", _EXTRACT_SPANS):
        return None
    concat, maxout = leaves[1], leaves[2]
    if not _is(concat, "|".join(name for name, _ in _REDUCERS), _CONCATENATE):
        return None
    if len(concat.layers) != len(_REDUCERS) or not all(
        _is(layer, name, forward) for layer, (name, forward) in zip(concat.layers, _REDUCERS, strict=True)
    ):
        return None
    if not _is(maxout, "maxout", _MAXOUT) or not maxout.has_param("W") or not maxout.has_param("b"):
        return None
    return SpancatLayout(model=model, vectors=vectors, maxout=maxout, tail=tuple(leaves[3:]))


def _per_length(xp: Any, vectors: Any, projected: Any, bias: Any, starts: Any, lengths: Any) -> tuple[Any, Any]:
    """For each span: its pre-activation without the max block (last + first + mean projections +
    bias, spans x hidden) and its max token vector (spans x width).

    Both come from running sums and maxima over the tokens: for each length n, the row of each start
    token holds the sum of the n tokens from there (n - 1 additions per token, in float32 like thinc's
    own reduce_mean) and their max, and the spans of that length read the rows of their start tokens
    (rather than three gathers and a mean per span: the suggester keeps several spans per token, each
    length at most once per start).
    """
    n_tokens, width = vectors.shape
    hidden = projected.shape[1] // 3
    last, first, mean = projected[:, :hidden], projected[:, hidden : 2 * hidden], projected[:, 2 * hidden :]
    first = first + bias  # the Maxout bias once per token, not once per span
    linear = xp.empty((len(starts), hidden), dtype=projected.dtype)
    maxes = xp.empty((len(starts), width), dtype=vectors.dtype)
    # the spans by length, in their order within each length
    order = xp.argsort(lengths, kind="stable")
    bounds = xp.searchsorted(lengths[order], xp.arange(1, int(lengths.max()) + 2)).tolist()
    # the n-token runs from each token on, updated in place: the (n - 1)-token ones plus the next token
    run_sum, run_max = mean.copy(), vectors.copy()
    for n in range(1, len(bounds)):
        fits = n_tokens - n + 1  # tokens an n-token run can start on
        if n > 1:
            run_sum[:fits] += mean[n - 1 :]
            xp.maximum(run_max[:fits], vectors[n - 1 :], out=run_max[:fits])
        if bounds[n - 1] == bounds[n]:
            continue  # no span of this length
        spans = order[bounds[n - 1] : bounds[n]]
        at = starts[spans]
        row = xp.multiply(run_sum[at], xp.asarray(1.0 / n, dtype=projected.dtype))
        row += last[at + (n - 1)]
        row += first[at]
        linear[spans] = row
        maxes[spans] = run_max[at]
    return linear, maxes


def fast_spancat_scores(spancat: Any, docs: list[Doc], layout: SpancatLayout | None = None) -> tuple[Ragged, Floats2d]:
    """``spancat.predict(docs)``: the candidates (a Ragged of token (start, end) per doc) and their
    scores (candidates x labels), the Maxout's linear part computed per token (see the module doc).

    ``layout`` is ``spancat_layout(spancat.model)`` (found here when not given); where the model is
    not of that architecture, ``spancat.predict`` gives the answer."""
    model = spancat.model
    if layout is None or layout.model is not model:
        layout = spancat_layout(model)
    if layout is None:
        return spancat.predict(docs)
    ops = model.ops
    xp = ops.xp
    indices = spancat.suggester(docs, ops=ops)
    if indices.lengths.sum() == 0:
        return indices, ops.alloc2f(0, 0)  # as spancat.predict
    tokens, spans = layout.vectors.predict((docs, indices))
    vectors = ops.as_contig(tokens.dataXd)
    width = vectors.shape[1]
    W: Any = layout.maxout.get_param("W")  # (nO, nP, nI): output unit, piece, input
    b: Any = layout.maxout.get_param("b")  # (nO, nP)
    n_out, n_pieces, n_in = W.shape
    if n_in != 4 * width:
        return spancat.predict(docs)

    # spans as rows of the flat token array (extract_spans offsets each doc's spans the same way)
    doc_starts = xp.concatenate((xp.zeros(1, dtype="int64"), xp.cumsum(tokens.lengths[:-1], dtype="int64")))
    starts = spans.dataXd[:, 0].astype("int64") + xp.repeat(doc_starts, ops.asarray1i(spans.lengths))
    lengths = (spans.dataXd[:, 1] - spans.dataXd[:, 0]).astype("int64")

    # rows piece-major (piece p of unit o at p * nO + o), so that the maxout over the pieces is an
    # elementwise max of nP contiguous column blocks; columns are the last | first | mean | max blocks
    rows = W.transpose(1, 0, 2).reshape(n_pieces * n_out, n_in)
    per_token = ops.as_contig(xp.concatenate([rows[:, k * width : (k + 1) * width] for k in range(3)], axis=0))
    per_span = ops.as_contig(rows[:, 3 * width :])
    projected = ops.gemm(vectors, per_token, trans2=True)  # tokens x (last | first | mean) projections
    Y, maxes = _per_length(xp, vectors, projected, b.T.reshape(-1), starts, lengths)
    Y += ops.gemm(maxes, per_span, trans2=True)
    best = Y[:, :n_out]
    for p in range(1, n_pieces):
        best = xp.maximum(best, Y[:, p * n_out : (p + 1) * n_out])
    out: Any = ops.as_contig(best)
    for layer in layout.tail:  # LayerNorm, dropout (off in prediction), Linear, Logistic
        out = fast_predict(layer, out)
    return indices, out
