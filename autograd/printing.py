"""``repr`` of tensors in PyTorch's layout: ``tensor([1., 2.], requires_grad=True)``.

Floats print like PyTorch: integral values as ``5.``, others with 4 decimals, and
scientific notation when magnitudes span more than 1000x or leave [1e-4, 1e8].
"""

from __future__ import annotations

from typing import Any

from . import backend

np = backend.numpy


def _float_formatter(arr: Any) -> Any:
    finite = np.abs(arr[np.isfinite(arr)].astype(np.float64))
    nonzero = finite[finite != 0]
    integral = finite.size == 0 or (bool((finite == np.round(finite)).all())
                                    and float(finite.max(initial=0)) < 1e8)
    sci = nonzero.size > 0 and not integral and (
        float(nonzero.max()) > 1e8 or float(nonzero.min()) < 1e-4
        or float(nonzero.max()) / float(nonzero.min()) > 1000
    )

    def fmt(v: Any) -> str:
        v = float(v)
        if np.isnan(v):
            return "nan"
        if np.isinf(v):
            return "inf" if v > 0 else "-inf"
        if integral:
            return f"{v:.0f}."
        return f"{v:.4e}" if sci else f"{v:.4f}"

    width = max((len(fmt(v)) for v in arr.reshape(-1)[:2000]), default=1)
    return lambda v: fmt(v).rjust(width)


def tensor_repr(t: Any) -> str:
    arr = backend.to_device(t._data, backend.CPU)
    prefix = "tensor("
    kind = arr.dtype.kind
    opts: dict[str, Any] = {"separator": ", ", "prefix": prefix, "threshold": 1000,
                            "edgeitems": 3}
    if kind == "f":
        opts["formatter"] = {"float_kind": _float_formatter(arr)}
    body = np.array2string(arr, **opts) if arr.ndim else (
        _float_formatter(arr.reshape(1))(arr.item()).strip() if kind == "f" else str(arr.item())
    )
    extras = []
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    default = {"f": backend.get_default_dtype(), "i": backend.int64, "b": backend.bool_}
    if arr.dtype != default.get(kind):
        extras.append(f"dtype={arr.dtype}")
    if arr.size == 0 and arr.ndim != 1:
        extras.append(f"size={tuple(arr.shape)}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        extras.append("requires_grad=True")
    tail = (", " + ", ".join(extras)) if extras else ""
    return f"{prefix}{body}{tail})"
