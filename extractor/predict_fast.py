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

:func:`fast_predict` walks the layer tree (chain, concatenate, with_array, residual, dropout) as
thinc's own forward functions do in prediction, and hands every other layer to ``layer.predict``.
Layers are recognised by their forward function, so a custom layer of the same name is never taken
for one.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import numpy
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
    :func:`_maxout` and :func:`_layernorm`; any other layer by its own ``predict``."""
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
    return model.predict(X)
