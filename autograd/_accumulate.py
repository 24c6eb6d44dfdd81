"""AccumulateGrad: how a leaf's gradient lands in ``.grad``.

The first gradient of a backward pass becomes ``.grad`` as it is when nobody but the
engine holds its array (stolen, as PyTorch does; no copy of a parameter-sized array),
else a copy; it goes into a preallocated destination when one is set (the
data-parallel layer's bucket views, ``_grad_dest``); later gradients add into
``.grad`` in place. The post-accumulate-grad hooks fire after each accumulation.

Example:
    >>> import autograd
    >>> w = autograd.ones(3, requires_grad=True)
    >>> (w * 2).sum().backward()
    >>> first = w.grad.data_ptr()
    >>> (w * 2).sum().backward()
    >>> w.grad.tolist(), w.grad.data_ptr() == first
    ([4.0, 4.0, 4.0], True)
"""

from __future__ import annotations

import sys
from typing import Any

from . import backend
from .tensor import Tensor, _wrap

__all__: list[str] = []


def _unshared(arr: Any) -> bool:
    """True when gradient array ``arr`` (passed down from ``_execute``'s loop) is held
    by nobody but the engine, so it can become ``.grad`` without a copy (PyTorch
    steals such buffers too)."""
    return (
        _STEAL_REFS is not None
        and sys.getrefcount(arr) <= _STEAL_REFS
        and arr.base is None
        and arr.flags.c_contiguous
        and backend.is_writeable(arr)
    )


def _calibrate() -> int | None:
    """The reference count of a gradient array held only by the engine, measured
    through the call path ``_execute -> _accumulate_array -> _unshared`` uses (one
    local in each frame); None (never steal) when this interpreter's counts do not
    rise with an extra holder."""

    def probe(arr: Any) -> int:
        return sys.getrefcount(arr)

    def accumulate(arr: Any) -> int:
        return probe(arr)

    arr = backend.numpy.zeros(4)
    alone = accumulate(arr)
    extra = arr
    shared = accumulate(arr)
    del extra
    return alone if shared == alone + 1 else None


_STEAL_REFS = _calibrate()


def _fresh(g: Tensor, create_graph: bool) -> Tensor:
    """A copy of gradient ``g`` to store as a ``.grad`` (differentiable under create_graph)."""
    if create_graph and g._rg:
        return g.clone()
    return _wrap(g._data.copy())


def _accumulate_array(t: Tensor, g: Any, steal: bool) -> None:
    """AccumulateGrad on an array: add ``g`` into ``t.grad`` (in place when nothing
    watches the old value), then fire the post-accumulate-grad hooks."""
    data = t._data
    if g.dtype != data.dtype:
        g = _wrap(g).to(data.dtype)._data
    if g.shape != data.shape:
        raise RuntimeError(
            f"the gradient computed for a leaf of shape {list(data.shape)} has shape "
            f"{list(g.shape)}; this is a bug in the op that produced it"
        )
    old = t._grad
    if old is None:
        dest = t.__dict__.get("_grad_dest")
        if dest is not None and dest.shape == data.shape and dest.dtype == data.dtype:
            # a preallocated destination (e.g. a data-parallel bucket): write into it
            if dest is not g:
                dest[...] = g
            t._grad = _wrap(dest)
        elif steal and _unshared(g):
            # nobody else holds this freshly computed array: keep it, no copy
            t._grad = _wrap(g)
        else:
            # g may be the caller's grad_output or another leaf's gradient: copy
            t._grad = _wrap(g.copy())
    elif old._rg or not backend.is_writeable(old._data):
        t._grad = _wrap(old._data + g)
    else:
        old._data += g
        old._vc[0] += 1
    if t._post_acc_hooks:
        for hook in list(t._post_acc_hooks.values()):
            hook(t)


def _accumulate(t: Tensor, g: Tensor, create_graph: bool) -> None:
    """AccumulateGrad on a Tensor gradient (create_graph, or a gradient the caller
    holds): like ``_accumulate_array`` but never steals, and differentiable under
    create_graph."""
    if not create_graph:
        _accumulate_array(t, g._data, False)
        return
    data = t._data
    if g._data.dtype != data.dtype:
        g = g.to(data.dtype)
    if g._data.shape != data.shape:
        raise RuntimeError(
            f"the gradient computed for a leaf of shape {list(data.shape)} has shape "
            f"{list(g.shape)}; this is a bug in the op that produced it"
        )
    old = t._grad
    t._grad = _fresh(g, True) if old is None else old + g
    if t._post_acc_hooks:
        for hook in list(t._post_acc_hooks.values()):
            hook(t)
