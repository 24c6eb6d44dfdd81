"""Parameter initialisation (mirrors ``torch.nn.init``): every function fills its tensor
in place under ``no_grad``, returns it, and accepts ``generator=`` for reproducibility.

Example:
    >>> import autograd
    >>> from autograd.nn import init
    >>> w = autograd.empty(3, 5)
    >>> _ = init.xavier_uniform_(w)
    >>> bool((w.abs() <= (6 / 8) ** 0.5).all())
    True
"""

from __future__ import annotations

import math
import numbers
import warnings

from .. import backend
from ..grad_mode import no_grad
from ..random import Generator
from ..tensor import Tensor, _wrap

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
    "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
    "kaiming_normal_", "orthogonal_", "sparse_",
]


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (scales the std of the init).

    Example:
        >>> from autograd.nn import init
        >>> round(init.calculate_gain("tanh"), 4)
        1.6667
    """
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d")
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.dim() < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(got shape {list(tensor.shape)})"
        )
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: Generator | None = None) -> Tensor:
    """Fill with U(a, b).

    Example:
        >>> import autograd
        >>> from autograd.nn import init
        >>> bool((init.uniform_(autograd.empty(10), -1, 1).abs() <= 1).all())
        True
    """
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: Generator | None = None) -> Tensor:
    """Fill with N(mean, std²).

    Example:
        >>> import autograd
        >>> from autograd.nn import init
        >>> init.normal_(autograd.empty(2, 3), std=0.02).shape
        (2, 3)
    """
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Generator | None = None) -> Tensor:
    """Fill with N(mean, std²) truncated to [a, b] (values outside are redrawn).

    Example:
        >>> import autograd
        >>> from autograd.nn import init
        >>> w = init.trunc_normal_(autograd.empty(1000), a=-1.0, b=1.0)
        >>> bool((w.abs() <= 1).all())
        True
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: expected a < b, got a={a}, b={b}")
    from ..random import randn

    n = tensor.numel()
    with no_grad():
        z = randn(n, generator=generator, dtype=backend.float64)._data * std + mean
        xp = backend.xp_of(z)
        bad = xp.nonzero((z < a) | (z > b))[0]
        while bad.size:
            redraw = randn(int(bad.size), generator=generator, dtype=backend.float64)._data
            z[bad] = redraw * std + mean
            bad = bad[(z[bad] < a) | (z[bad] > b)]
        z = backend.to_device(z, tensor.device).reshape(tensor.shape).astype(tensor.dtype)
        return tensor.copy_(_wrap(z))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``.

    Example:
        >>> import autograd
        >>> from autograd.nn import init
        >>> init.constant_(autograd.empty(2), 0.5)
        tensor([0.5000, 0.5000])
    """
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1.

    Example:
        >>> import autograd
        >>> from autograd.nn import init
        >>> init.ones_(autograd.empty(2))
        tensor([1., 1.])
    """
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0.

    Example:
        >>> import autograd
        >>> from autograd.nn import init
        >>> init.zeros_(autograd.empty(2))
        tensor([0., 0.])
    """
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the main diagonal).

    Example:
        >>> import autograd
        >>> from autograd.nn import init
        >>> init.eye_(autograd.empty(2, 3)).tolist()
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    if tensor.dim() != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported, got {tensor.dim()}")
    xp = backend.xp_of(tensor._data)
    with no_grad():
        return tensor.copy_(_wrap(xp.eye(*tensor.shape, dtype=tensor.dtype)))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D conv weight with the Dirac delta (an identity convolution
    per group), preserving as many input channels as possible.

    Example:
        >>> import autograd
        >>> from autograd.nn import init
        >>> init.dirac_(autograd.empty(2, 2, 3))[:, :, 1].tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    if tensor.dim() not in (3, 4, 5):
        raise ValueError(f"Only tensors with 3, 4, or 5 dimensions are supported, got {tensor.dim()}")
    if tensor.shape[0] % groups != 0:
        raise ValueError(f"dim 0 ({tensor.shape[0]}) must be divisible by groups ({groups})")
    out_per_group = tensor.shape[0] // groups
    n = min(out_per_group, tensor.shape[1])
    xp = backend.xp_of(tensor._data)
    arr = xp.zeros(tensor.shape, dtype=tensor.dtype)
    centre = tuple(s // 2 for s in tensor.shape[2:])
    for g in range(groups):
        for d in range(n):
            arr[(g * out_per_group + d, d) + centre] = 1
    with no_grad():
        return tensor.copy_(_wrap(arr))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain·sqrt(6 / (fan_in + fan_out)).

    Example:
        >>> import autograd
        >>> from autograd.nn import init
        >>> init.xavier_uniform_(autograd.empty(4, 4), gain=init.calculate_gain("relu")).shape
        (4, 4)
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Glorot normal: N(0, std²) with std = gain·sqrt(2 / (fan_in + fan_out)).

    Example:
        >>> import autograd
        >>> from autograd.nn import init
        >>> init.xavier_normal_(autograd.empty(4, 4)).shape
        (4, 4)
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: Generator | None = None) -> Tensor:
    """He uniform: U(-b, b) with b = gain·sqrt(3 / fan); ``a`` is the leaky-ReLU slope.

    Example:
        >>> import autograd
        >>> from autograd.nn import init
        >>> w = init.kaiming_uniform_(autograd.empty(8, 4), mode="fan_in", nonlinearity="relu")
        >>> bool((w.abs() <= (6 / 4) ** 0.5).all())
        True
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: Generator | None = None) -> Tensor:
    """He normal: N(0, std²) with std = gain / sqrt(fan).

    Example:
        >>> import autograd
        >>> from autograd.nn import init
        >>> init.kaiming_normal_(autograd.empty(8, 4), mode="fan_out").shape
        (8, 4)
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Generator | None = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix (dims after the first are flattened),
    from the QR decomposition of a Gaussian matrix, times ``gain``.

    Example:
        >>> import autograd
        >>> from autograd.nn import init
        >>> q = init.orthogonal_(autograd.empty(3, 3, dtype=autograd.float64))
        >>> bool(((q @ q.t()) - autograd.eye(3, dtype=autograd.float64)).abs().max() < 1e-10)
        True
    """
    if tensor.dim() < 2:
        raise ValueError(f"Only tensors with 2 or more dimensions are supported, got {tensor.dim()}")
    if tensor.numel() == 0:
        return tensor
    from ..random import randn

    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = randn(rows, cols, generator=generator, dtype=backend.float64, device=tensor.device)._data
    if rows < cols:
        flat = flat.T
    xp = backend.xp_of(flat)
    q, r = xp.linalg.qr(flat)
    # Make Q unique (and uniformly distributed): fix the signs by R's diagonal.
    q = q * xp.sign(xp.diagonal(r))
    if rows < cols:
        q = q.T
    q = (q * gain).reshape(tensor.shape).astype(tensor.dtype)
    with no_grad():
        return tensor.copy_(_wrap(xp.ascontiguousarray(q)))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01,
            generator: Generator | None = None) -> Tensor:
    """Fill a 2-D tensor with N(0, std²) and zero a ``sparsity`` fraction of each column.

    Example:
        >>> import autograd
        >>> from autograd.nn import init
        >>> w = init.sparse_(autograd.empty(10, 3), sparsity=0.5)
        >>> [int((w[:, j] == 0).sum()) for j in range(3)]
        [5, 5, 5]
    """
    if tensor.dim() != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported, got {tensor.dim()}")
    from ..random import randperm

    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    normal_(tensor, 0.0, std, generator)
    arr = tensor._data.copy()
    for j in range(cols):
        idx = randperm(rows, generator=generator, device=tensor.device)._data[:num_zeros]
        arr[idx, j] = 0
    with no_grad():
        return tensor.copy_(_wrap(arr))

