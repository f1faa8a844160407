"""thinc's prediction (``model.predict(X)``) with two layers computed faster, to the same bits.

The entity model's tok2vec (spaCy's ``Tok2Vec.v2``: MultiHashEmbed + MaxoutWindowEncoder) and the
SpanCategorizer's scorer spend a third of their time outside the matrix products, most of it in two
layers:

* ``maxout``: thinc's ``ops.maxout`` also writes the winning piece of every unit (for the backward
  pass) in a scalar loop; the max over the pieces of the same matrix product is taken here with
  elementwise ``maximum`` over strided views (about 7x faster, the same values);
* ``layernorm``: thinc computes each row's sum twice (``X.mean`` and, inside ``X.var``, the mean
  again) and ``X - mean`` twice; here each once, with the same numpy reductions and elementwise
  operations in the same order, so the same float32 values.

The embedding's static vectors are floret vectors: spaCy's ``StaticVectors`` asks
``Vectors.get_batch`` for every token of every batch, which hashes each word's character n-grams
again and averages the hashed rows (a tenth of the model's time). :class:`FloretRows` keeps the
vector of each word already seen (a bounded table per process) and computes only the new words, with
spaCy's own ``get_batch``; a word's vector does not depend on the other words of its batch (thinc's
``reduce_mean`` sums each word's rows on its own), so the matrix given to the projection is the same,
bit for bit, and so is the product.

:func:`fast_predict` walks the layer tree (chain, concatenate, with_array, residual, dropout) as
thinc's own forward functions do in prediction, and hands every other layer to ``layer.predict``.
Layers are recognised by their forward function, so a custom layer of the same name is never taken
for one.
"""

from __future__ import annotations

import threading
from importlib import import_module
from itertools import compress
from typing import Any

import numpy
from spacy.tokens import Doc
from spacy.vectors import Mode, Vectors
from thinc.model import Model
from thinc.types import Ragged


def _forward(module: str) -> Any:
    """A layer module's forward function (``thinc.layers`` exports a function of the same name as
    most of its modules, so ``from thinc.layers import maxout`` is not the module)."""
    return import_module(module).forward


_CHAIN = _forward("thinc.layers.chain")
_WITH_ARRAY = _forward("thinc.layers.with_array")
_RESIDUAL = _forward("thinc.layers.residual")
_DROPOUT = _forward("thinc.layers.dropout")
_MAXOUT = _forward("thinc.layers.maxout")
_LAYERNORM = _forward("thinc.layers.layernorm")
_CONCATENATE = _forward("thinc.layers.concatenate")
_STATIC_VECTORS = _forward("spacy.ml.staticvectors")
_NUMPY_OPS = import_module("thinc.backends").NumpyOps
#: with_array counts the rows of a list with its own NumpyOps
_LENGTHS_OPS = import_module("thinc.layers.with_array").NUMPY_OPS
#: and concatenate with its own
_CONCAT_OPS = import_module("thinc.layers.concatenate").NUMPY_OPS


def _maxout(model: Model[Any, Any], X: Any) -> Any:
    """thinc's maxout forward in prediction (the same product, bias and max over the pieces)."""
    ops = model.ops
    nO, nP, nI = model.get_dim("nO"), model.get_dim("nP"), model.get_dim("nI")
    W = ops.reshape2f(model.get_param("W"), nO * nP, nI)
    Y = ops.gemm(X, W, trans2=True)
    Y += ops.reshape1f(model.get_param("b"), nO * nP)
    Z = ops.reshape3f(Y, Y.shape[0], nO, nP)
    if nP == 1:
        return ops.xp.ascontiguousarray(Z[:, :, 0])
    # thinc keeps the earlier piece on a tie: the same value
    best = ops.xp.maximum(Z[:, :, 0], Z[:, :, 1])
    for p in range(2, nP):
        ops.xp.maximum(best, Z[:, :, p], out=best)
    return best


def _layernorm(model: Model[Any, Any], X: Any) -> Any:
    """thinc's LayerNorm forward in prediction: ``(X - mean) * (var + 1e-08) ** -0.5 * G + b`` with the
    mean and variance that ``X.mean(axis=1)`` and ``X.var(axis=1)`` give (numpy's own steps, the
    shared ones done once)."""
    xp = model.ops.xp
    count = xp.intp(X.shape[1])
    mean = xp.add.reduce(X, axis=1, keepdims=True)
    xp.true_divide(mean, count, out=mean, casting="unsafe")
    Y = X - mean
    var = xp.add.reduce(xp.multiply(Y, Y), axis=1, keepdims=True)
    xp.true_divide(var, count, out=var, casting="unsafe")
    var = var + 1e-08
    Y *= var ** (-1.0 / 2.0)
    Y *= model.get_param("G")
    Y += model.get_param("b")
    return Y


#: words whose floret vectors a process keeps: 400 bytes each (100 float32) in one table, 6.5 MB in
#: all, plus the index; a table that fills up is emptied and filled again, so a batch of any size stays
#: within it (the words that come back often are back in it soon)
FLORET_CACHE_WORDS = 16_384


class FloretRows:
    """The floret vectors of the words seen so far, for one vectors table.

    ``rows(keys)`` gives what ``vectors.get_batch(keys)`` gives, to the bit: the words not seen go to
    ``get_batch`` (in one call) and their rows are kept for next time.
    """

    def __init__(self, vectors: Vectors, capacity: int = FLORET_CACHE_WORDS) -> None:
        self.capacity = max(1, capacity)
        self.width: int = vectors.data.shape[1]
        self._slot: dict[int, int] = {}  # word key -> row of _table
        self._table = numpy.empty((0, self.width), dtype=numpy.float32)
        # one batch at a time: a batch in another thread must not see the table emptied under it
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._slot)

    def rows(self, vectors: Vectors, keys: Any) -> Any:
        """The vectors of ``keys`` (a 1-d array of word keys), a new C-contiguous float32 array; None
        where ``get_batch`` gives anything else (a batch of empty strings: float64 zeros), for the
        caller to take spaCy's own path."""
        ks: list[int] = keys.tolist()
        with self._lock:
            get = self._slot.get
            at = numpy.array([get(k, -1) for k in ks], dtype=numpy.intp)
            missing = at < 0
            if not missing.any():
                return self._table.take(at, axis=0)
            miss = missing.tolist()
            new_keys = list(dict.fromkeys(compress(ks, miss)))
            new = vectors.get_batch(new_keys)
            if not (
                isinstance(new, numpy.ndarray)
                and new.dtype == numpy.float32
                and new.shape == (len(new_keys), self.width)
            ):
                return None
            V = numpy.empty((len(ks), self.width), dtype=numpy.float32)
            found = ~missing
            V[found] = self._table.take(at[found], axis=0)
            where = {k: i for i, k in enumerate(new_keys)}
            V[missing] = new.take([where[k] for k in compress(ks, miss)], axis=0)
            self._keep(new_keys, new)
            return V

    def _keep(self, keys: list[int], rows: Any) -> None:
        """Add rows to the table (the first ``capacity`` of them), emptying it first if they do not fit.
        The rows are written before the index points to them: an interruption (the batch's SIGALRM
        time-out) between the two leaves no key pointing to a row not yet written."""
        m = min(len(keys), self.capacity)
        n = len(self._slot)
        if n + m > self.capacity:
            self._slot = {}
            n = 0
        if n + m > len(self._table):
            size = min(self.capacity, max(n + m, 2 * len(self._table), 1024))
            table = numpy.empty((size, self.width), dtype=numpy.float32)
            table[:n] = self._table[:n]
            self._table = table
        self._table[n : n + m] = rows[:m]
        self._slot.update(zip(keys[:m], range(n, n + m), strict=True))


def _floret_fingerprint(vectors: Vectors) -> tuple[Any, ...]:
    """What a floret word's vector depends on: the table (by identity: spaCy replaces ``data`` on
    loading) and the n-gram settings."""
    return (
        id(vectors),
        id(vectors.data),
        vectors.data.shape,
        vectors.minn,
        vectors.maxn,
        vectors.hash_count,
        vectors.hash_seed,
        vectors.bow,
        vectors.eow,
    )


#: this process's cache: the fingerprint of the vectors it holds rows of, and the rows; a model with
#: other vectors starts a new one
_floret_cache: tuple[tuple[Any, ...], Any, FloretRows] | None = None
_floret_cache_lock = threading.Lock()


def floret_rows(vectors: Vectors) -> FloretRows:
    """The process's :class:`FloretRows` for ``vectors``."""
    global _floret_cache
    fingerprint = _floret_fingerprint(vectors)
    with _floret_cache_lock:
        cache = _floret_cache
        # the data array is held too, so that its id is not reused by another table while cached
        if cache is None or cache[0] != fingerprint or cache[1] is not vectors.data:
            cache = _floret_cache = (fingerprint, vectors.data, FloretRows(vectors))
        return cache[2]


def _uses_floret_rows(model: Model[Any, Any], docs: Any) -> bool:
    """Whether :func:`_static_vectors` computes this StaticVectors layer: floret vectors on the CPU
    (numpy float32), a batch of Docs with a token; anything else (default-mode vectors, no vectors,
    another backend) takes spaCy's own forward."""
    if not (isinstance(model.ops, _NUMPY_OPS) and isinstance(docs, list) and docs):
        return False
    if not all(isinstance(doc, Doc) for doc in docs) or not any(len(doc) for doc in docs):
        return False
    vectors = docs[0].vocab.vectors
    return bool(
        type(vectors) is Vectors
        and vectors.mode == Mode.floret
        and isinstance(vectors.data, numpy.ndarray)
        and vectors.data.ndim == 2
        and vectors.data.dtype == numpy.float32
        and model.has_param("W")
    )


def _static_vectors(model: Model[Any, Any], docs: list[Doc]) -> Any:
    """spaCy's StaticVectors forward in prediction (floret mode): the same keys, the same matrix of
    vectors (cached rows, see :class:`FloretRows`), the same product. None where the rows cannot be
    had from the cache (the caller falls back to spaCy's forward)."""
    vectors = docs[0].vocab.vectors
    ops: Any = model.ops  # the keys are uint64, not the float arrays ``flatten`` is typed for
    keys = ops.flatten([doc.to_array(vectors.attr) for doc in docs])
    if not keys.any():
        return None  # every word empty: spaCy's get_batch gives float64 zeros
    V = floret_rows(vectors).rows(vectors, keys)
    if V is None:
        return None
    W = ops.as_contig(model.get_param("W"))
    try:
        vectors_data = ops.gemm(V, W, trans2=True)
    except ValueError:
        return None  # spaCy's forward raises its own error
    return Ragged(vectors_data, ops.asarray1i([len(doc) for doc in docs]))


def _concatenate(model: Model[Any, Any], X: Any) -> Any:
    """thinc's concatenate forward in prediction: each layer's output, side by side (walked here, not
    handed to ``predict``, so that the layers under it, the embedding's static vectors among them,
    are computed by :func:`fast_predict` too)."""
    Ys = [fast_predict(layer, X) for layer in model.layers]
    xp = model.ops.xp
    if isinstance(Ys[0], list):
        lengths = _CONCAT_OPS.asarray1i([len(x) for x in X])
        arrays = [xp.concatenate(Y, axis=0) for Y in Ys]
        return model.ops.unflatten(xp.hstack(arrays), lengths)
    if isinstance(Ys[0], Ragged):
        return Ragged(xp.hstack([y.data for y in Ys]), Ys[0].lengths)
    return xp.hstack(Ys)


def _is_float_array(X: Any) -> bool:
    return isinstance(X, numpy.ndarray) and X.ndim == 2 and X.dtype == numpy.float32


def fast_predict(model: Model[Any, Any], X: Any) -> Any:
    """``model.predict(X)``, the maxout and layernorm layers on numpy float32 arrays computed by
    :func:`_maxout` and :func:`_layernorm`, floret static vectors by :func:`_static_vectors`; any
    other layer by its own ``predict``."""
    func = getattr(model, "_func", None)
    if func is _CHAIN:
        for layer in model.layers:
            X = fast_predict(layer, X)
        return X
    if func is _DROPOUT:
        return X  # off in prediction
    numpy_ops = isinstance(model.ops, _NUMPY_OPS)
    if func is _MAXOUT and numpy_ops and _is_float_array(X):
        return _maxout(model, X)
    if func is _LAYERNORM and numpy_ops and _is_float_array(X):
        return _layernorm(model, X)
    if func is _WITH_ARRAY:
        layer = model.layers[0]
        if isinstance(X, Ragged):
            return Ragged(fast_predict(layer, X.dataXd), X.lengths)
        if isinstance(X, list | tuple):
            pad = model.attrs["pad"]
            lengths = _LENGTHS_OPS.asarray1i([len(seq) for seq in X])
            Y = fast_predict(layer, layer.ops.flatten(X, pad=pad))
            return layer.ops.unflatten(Y, lengths, pad=pad)
        if _is_float_array(X):
            return fast_predict(layer, X)
    if func is _RESIDUAL and _is_float_array(X):
        return X + fast_predict(model.layers[0], X)
    if func is _CONCATENATE and model.layers:
        return _concatenate(model, X)
    if func is _STATIC_VECTORS and _uses_floret_rows(model, X):
        Y = _static_vectors(model, X)
        if Y is not None:
            return Y
    return model.predict(X)
