"""Views and in-place writes: how a view follows its base, and how ``x.op_()`` records
itself so that gradients see the values each tensor held when it was used.

A view op's output shares its base's memory and version counter and remembers the
chain of view ops that produced it; when the memory is written through another alias,
the view's grad_fn is regenerated from the base (``refresh_view``), and writing into a
view makes the base's grad_fn a ``CopySlices`` (``rebase_view``).

Example:
    >>> import autograd
    >>> x = autograd.ones(3, requires_grad=True)
    >>> y = x * 1
    >>> _ = y[1:].mul_(2)
    >>> y.sum().backward()
    >>> x.grad
    tensor([1., 2., 2.])
"""

from __future__ import annotations

import weakref
from typing import Any

from . import backend
from . import function as _function
from .function import Node, Op, _check_devices, _Scratch, as_array, fw_state
from .grad_mode import state as _grad_state
from .tensor import Tensor, _wrap

__all__ = ["apply_inplace", "refresh_view", "rebase_view", "replay_view", "replay_view_array"]


def _mark_views(cls: type, args: tuple, res: Any) -> None:
    src = args[0]
    outs = res if type(res) is tuple else (res,)
    base = src._base if src._base is not None else src
    chain = src._view_chain or ()
    params = args[1:]
    for i, o in enumerate(outs):
        if o._data.base is None:  # the backend had to copy (e.g. reshape of a strided view)
            continue
        o._base = base
        o._vc = src._vc
        o._view_chain = chain + ((cls, params, i if type(res) is tuple else None),)
        o._view_version = src._vc[0]


def replay_view_array(chain: tuple, array: Any) -> Any:
    """Apply a view chain to a raw array (same memory as the view it describes)."""
    for cls, params, idx in chain:
        array = cls.forward(_Scratch(), array, *params)
        if idx is not None:
            array = array[idx]
    return array


def replay_view(chain: tuple, t: Tensor) -> Tensor:
    """Apply a view chain to a Tensor with autograd recording."""
    for cls, params, idx in chain:
        t = cls.apply(t, *params)
        if idx is not None:
            t = t[idx]
    return t


def refresh_view(v: Tensor) -> None:
    """A view whose memory changed under it (through its base or a sibling view) gets
    its grad_fn, and under forward AD its tangents, regenerated from the base, so
    derivatives follow the current values."""
    if v._view_version == v._vc[0]:
        return
    v._view_version = v._vc[0]
    base = v._base
    grad = base._rg and _grad_state.enabled
    fw = (base._fw is not None or v._fw is not None) and fw_state.level >= 0
    if not (grad or fw):
        return
    r = replay_view(v._view_chain, base)
    if grad:
        v.grad_fn, v._output_nr, v._rg = r.grad_fn, r._output_nr, r._rg
    if fw:
        v._fw = r._fw


def _layout(a: Any) -> tuple | None:
    """The order of ``a``'s axes in memory, outermost first (None: row-major), so
    ``_filled_like`` can build an array that views the same way (order 'K')."""
    if a.flags.c_contiguous:
        return None
    strides = a.strides
    return tuple(sorted(range(a.ndim), key=lambda i: -abs(strides[i])))


def _filled_like(xp: Any, shape: tuple, dtype: Any, layout: tuple | None, value: float) -> Any:
    """A new array of ``shape`` filled with ``value``, its axes laid out as ``layout``."""
    if layout is None:
        return xp.full(shape, value, dtype=dtype)
    inverse = sorted(range(len(layout)), key=layout.__getitem__)
    return xp.full(tuple(shape[i] for i in layout), value, dtype=dtype).transpose(inverse)


class CopySlices(Op):
    """The base of a view that was written in place: gradient splits between the old
    base (outside the written region) and the written value (inside it)."""

    @staticmethod
    def forward(ctx: Any, base: Any, value: Any, chain: tuple) -> Any:
        ctx.chain = chain
        ctx.layout = _layout(base)
        return base

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        # the mask has the base's memory layout, so replaying the view chain on it
        # views (and zeroes) the same elements as the write did
        g = grad_out._data
        mask = _filled_like(backend.xp_of(g), g.shape, g.dtype, ctx.layout, 1)
        replay_view_array(ctx.chain, mask)[...] = 0
        g_value = None
        if ctx.needs_input_grad[1]:
            g_value = replay_view(ctx.chain, grad_out)
        return grad_out * _wrap(mask), g_value, None

    @staticmethod
    def jvp(ctx: Any, t_base: Tensor | None, t_value: Tensor | None, _: Any) -> Tensor:
        # the base's tangent with the view's region replaced by the value's tangent,
        # written into a new tensor (the base's tangent may be shared)
        out = ctx._fw_out._data
        res = _wrap(_filled_like(backend.xp_of(out), out.shape, out.dtype, ctx.layout, 0))
        if t_base is not None:
            res.copy_(t_base)
        region = replay_view(ctx.chain, res)
        if t_value is None:
            region.zero_()
        else:
            region.copy_(t_value)
        return res


def rebase_view(v: Tensor, value: Tensor) -> None:
    """After ``value`` (a graph node) was written into view ``v``'s memory, make the
    base's grad_fn a CopySlices and regenerate ``v``'s grad_fn from it."""
    base = v._base
    if base.grad_fn is None and base._rg:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place "
            "operation; clone() the leaf first or do the update under autograd.no_grad()"
        )
    old = _wrap(base._data, base._rg, base.grad_fn, base._output_nr)
    if base._rg and base.grad_fn is None:
        old._acc = base._acc
    if base._fw is not None:
        old._fw = base._fw
    new = CopySlices.apply(old, value, v._view_chain)
    _move_retain(base, new.grad_fn)
    base.grad_fn, base._output_nr, base._rg = new.grad_fn, 0, True
    if base._fw is not None or new._fw is not None:
        base._fw = new._fw
    v._view_version = -1
    refresh_view(v)


def _rebase_tangents(v: Tensor, value: Tensor) -> None:
    """Forward AD without a graph: after ``value`` was written into view ``v``, the
    base's tangents take ``value``'s in the view's region (CopySlices' jvp)."""
    base = v._base
    old = _wrap(base._data, False, None, 0, base._vc)
    old._fw = base._fw
    base._fw = CopySlices.apply(old, value, v._view_chain)._fw
    v._view_version = v._vc[0]


def _move_retain(t: Tensor, node: Node) -> None:
    if t._retains_grad and node is not None:
        old = t.grad_fn
        if old is not None and old._retain:
            old._retain.pop(t._output_nr, None)
        if node._retain is None:
            node._retain = {}
        node._retain[0] = weakref.ref(t)


def _fw_involved(x: Tensor, args: tuple) -> bool:
    """Forward AD is on and ``x`` (or its base, or an argument) carries tangents."""
    if not (_function._fw_threads and fw_state.level >= 0):
        return False
    if x._fw is not None or (x._base is not None and x._base._fw is not None):
        return True
    return any(isinstance(a, Tensor) and a._fw is not None for a in args)


def apply_inplace(cls: type, x: Tensor, *args: Any) -> Tensor:
    """``x.op_(*args)``: compute ``cls(x, *args)`` and write it into ``x``'s memory,
    bumping the version counter; with autograd on, ``x`` becomes the op's output (and
    a view's base follows it, in reverse and forward mode)."""
    others_rg = any(isinstance(a, Tensor) and a._rg for a in args)
    if not (_grad_state.enabled and (x._rg or others_rg)) and not _fw_involved(x, args):
        datas = [a._data if isinstance(a, Tensor) else a for a in args]
        if backend.cupy is not None:
            _check_devices(cls, [x] + [a for a in args if isinstance(a, Tensor)])
        direct = getattr(cls, "inplace", None)
        if direct is not None and backend.is_writeable(x._data):
            try:
                direct(x._data, *datas)
            except ValueError as e:
                raise _inplace_shape_error(cls, x, args, e) from None
            x._vc[0] += 1
            return x
        _write(x, as_array(cls.forward(_Scratch(), x._data, *datas)), cls)
        return x
    if x.grad_fn is None and x._base is None and x._rg and _grad_state.enabled:
        raise RuntimeError(
            f"a leaf Variable that requires grad is being used in an in-place operation "
            f"({cls.__name__.lower()}_). Do the update under autograd.no_grad(), or clone() "
            "the tensor first."
        )
    if x._base is not None:
        if x._base.grad_fn is None and x._base._rg and _grad_state.enabled:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                f"operation ({cls.__name__.lower()}_); clone() the leaf first or do the update "
                "under autograd.no_grad()"
            )
        refresh_view(x)
    needs_old = 0 in cls.saved_inputs
    old = _wrap(x._data.copy() if needs_old else x._data, x._rg, x.grad_fn, x._output_nr)
    if x._rg and x.grad_fn is None:
        old._acc = x._acc
    if x._fw is not None:
        old._fw = x._fw
    out = cls.apply(old, *args)
    _write(x, out._data, cls)
    forward_ad = fw_state.level >= 0
    if forward_ad and (x._fw is not None or out._fw is not None):
        x._fw = out._fw  # the tangents of the new values (none: the op dropped them)
    if not out._rg:
        if forward_ad and x._base is not None and (out._fw is not None or x._base._fw is not None):
            _rebase_tangents(x, out)
        return x
    if x._base is None:
        _move_retain(x, out.grad_fn)
        x.grad_fn, x._output_nr, x._rg = out.grad_fn, out._output_nr, True
    else:
        x._view_version = x._vc[0]
        rebase_view(x, out)
    return x


def _inplace_shape_error(cls: type, x: Tensor, args: tuple, e: Exception) -> RuntimeError:
    shapes = [a.shape for a in args if isinstance(a, Tensor)]
    try:
        full = backend.numpy.broadcast_shapes(x.shape, *shapes)
    except ValueError:
        return RuntimeError(
            f"in-place {cls.__name__.lower()}_ on a tensor of shape {list(x.shape)} failed: {e} "
            "(the operands must broadcast to the shape of the tensor written to)"
        )
    return RuntimeError(
        f"output with shape {list(x.shape)} doesn't match the broadcast shape {list(full)} in "
        f"the in-place op {cls.__name__.lower()}_"
    )


def _write(x: Tensor, value: Any, cls: type) -> None:
    data = x._data
    if value is not data:
        if value.shape != data.shape:
            raise RuntimeError(
                f"output with shape {list(data.shape)} doesn't match the broadcast shape "
                f"{list(value.shape)} in the in-place op {cls.__name__.lower()}_"
            )
        if not backend.is_writeable(data):
            raise RuntimeError(
                f"unsupported operation: {cls.__name__.lower()}_ writes into a tensor whose "
                "elements share memory (an expand()ed or broadcast view); clone() it first"
            )
        data[...] = value
    x._vc[0] += 1
