"""``repr`` of tensors in PyTorch's layout: ``tensor([1., 2.], requires_grad=True)``.

One formatter per tensor decides how every element prints, from the nonzero finite
values: integral floats as ``5.``; otherwise ``precision`` decimals; scientific
notation when the magnitudes span more than 1000x or leave [1e-4, 1e8]. Every element
is padded to the widest one; rows wrap at ``linewidth``; tensors with more than
``threshold`` elements print only ``edgeitems`` items at each end of every dim.

Example:
    >>> import autograd
    >>> autograd.tensor([1.0, 2.5e-5])
    tensor([1.0000e+00, 2.5000e-05])
    >>> autograd.tensor([[1, 2], [3, 40]], dtype=autograd.int32)
    tensor([[ 1,  2],
            [ 3, 40]], dtype=autograd.int32)
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from . import backend

__all__ = ["set_printoptions", "get_printoptions", "tensor_repr"]

np = backend.numpy


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTS = _PrintOptions()

_PROFILES = {
    "default": _PrintOptions(),
    "short": _PrintOptions(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": _PrintOptions(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Set how tensors print (``torch.set_printoptions``); ``profile`` is one of
    ``"default"``, ``"short"``, ``"full"`` and is applied before the other arguments.

    Example:
        >>> import autograd
        >>> from autograd.printing import set_printoptions
        >>> set_printoptions(precision=2)
        >>> autograd.tensor([1.2345])
        tensor([1.23])
        >>> set_printoptions(profile="default")
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"unknown print profile {profile!r}; expected one of {sorted(_PROFILES)}")
        for f in dataclasses.fields(_PrintOptions):
            setattr(_OPTS, f.name, getattr(_PROFILES[profile], f.name))
    if precision is not None:
        _OPTS.precision = int(precision)
    if threshold is not None:
        _OPTS.threshold = threshold
    if edgeitems is not None:
        _OPTS.edgeitems = int(edgeitems)
    if linewidth is not None:
        _OPTS.linewidth = int(linewidth)
    _OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options as a dict accepted by ``set_printoptions``.

    Example:
        >>> from autograd.printing import get_printoptions
        >>> get_printoptions()["precision"]
        4
    """
    return dataclasses.asdict(_OPTS)


class _Formatter:
    """Chooses the notation and the common width of a tensor's elements."""

    def __init__(self, arr: Any) -> None:
        self.floating = backend.is_floating(arr.dtype)
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not self.floating:
            for v in arr.reshape(-1).tolist():
                self.width = max(self.width, len(f"{v}"))
            return
        flat = arr.reshape(-1).astype(np.float64)
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return
        mags = np.abs(vals)
        lo, hi = float(mags.min()), float(mags.max())
        self.int_mode = bool((vals == np.ceil(vals)).all())
        if _OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = bool(_OPTS.sci_mode)
        p = _OPTS.precision
        for v in vals.tolist():
            if self.sci_mode:
                n = len(f"{v:.{p}e}")
            elif self.int_mode:
                n = len(f"{v:.0f}") + 1  # the trailing "." that marks a float
            else:
                n = len(f"{v:.{p}f}")
            self.width = max(self.width, n)

    def format(self, v: Any) -> str:
        if self.floating:
            p = _OPTS.precision
            if self.sci_mode:
                s = f"{v:{self.width}.{p}e}"
            elif self.int_mode:
                s = f"{v:.0f}"
                if math.isfinite(v):
                    s += "."
            else:
                s = f"{v:.{p}f}"
        else:
            s = f"{v}"
        return s.rjust(self.width)


def _summarized(arr: Any) -> Any:
    """Only the elements that will be shown (edge items of every dim)."""
    e = _OPTS.edgeitems
    if arr.ndim == 0:
        return arr
    n = arr.shape[0]
    if arr.ndim == 1:
        return np.concatenate((arr[:e], arr[n - e:])) if n > 2 * e else arr
    rows = list(range(e)) + list(range(n - e, n)) if n > 2 * e else range(n)
    return np.stack([_summarized(arr[i]) for i in rows])


class _Printer:
    def __init__(self, arr: Any, summarize: bool) -> None:
        self.summarize = summarize
        self.complex = arr.dtype.kind == "c"
        view = _summarized(arr) if summarize else arr
        if self.complex:
            self.f1, self.f2 = _Formatter(view.real), _Formatter(view.imag)
        else:
            self.f1, self.f2 = _Formatter(view), None

    def value(self, v: Any) -> str:
        if not self.complex:
            return self.f1.format(v)
        real = self.f1.format(v.real)
        imag = (self.f2.format(v.imag) + "j").lstrip()
        return real + imag if imag[0] in "+-" else real + "+" + imag

    def vector(self, arr: Any, indent: int) -> str:
        e = _OPTS.edgeitems
        item_len = self.f1.width + 2 + (self.f2.width + 1 if self.complex else 0)
        per_line = max(1, (_OPTS.linewidth - indent) // item_len)
        n = arr.shape[0]
        if self.summarize and n > 2 * e:
            items = [self.value(v) for v in arr[:e].tolist()] + [" ..."] + \
                [self.value(v) for v in arr[n - e:].tolist()]
        else:
            items = [self.value(v) for v in arr.tolist()]
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"

    def block(self, arr: Any, indent: int) -> str:
        if arr.ndim == 0:
            return self.value(arr.item())
        if arr.ndim == 1:
            return self.vector(arr, indent)
        e = _OPTS.edgeitems
        n = arr.shape[0]
        if self.summarize and n > 2 * e:
            parts = [self.block(arr[i], indent + 1) for i in range(e)] + ["..."] + \
                [self.block(arr[i], indent + 1) for i in range(n - e, n)]
        else:
            parts = [self.block(arr[i], indent + 1) for i in range(n)]
        return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _dtype_name(dt: Any) -> str:
    return f"autograd.{dt.name}"


def _with_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    out = [text]
    last = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > _OPTS.linewidth:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    out.append(")")
    return "".join(out)


def tensor_repr(t: Any) -> str:
    """PyTorch's ``repr`` of a tensor (values, then device/dtype/grad suffixes)."""
    from .function import fw_state

    arr = backend.to_device(t._data, backend.CPU)
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    default = backend.get_default_dtype()
    if arr.size == 0:
        body = "[]"
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if arr.dtype != default:
            suffixes.append(f"dtype={_dtype_name(arr.dtype)}")
    else:
        printer = _Printer(arr, arr.size > _OPTS.threshold)
        body = printer.block(arr, indent)
        default_complex = backend.complex128 if default == backend.float64 else backend.complex64
        if arr.dtype not in (default, default_complex, backend.int64, backend.bool_):
            suffixes.append(f"dtype={_dtype_name(arr.dtype)}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    if t._fw and fw_state.ids:
        tangent = t._fw.get(fw_state.ids[fw_state.level]) if fw_state.level >= 0 else None
        if tangent is not None:
            suffixes.append(f"tangent={tangent!r}")
    return _with_suffixes(prefix + body, suffixes, indent)
