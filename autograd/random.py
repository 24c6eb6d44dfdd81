"""Random numbers: ``Generator``, ``manual_seed`` and the random creation functions.

Each device has a default generator; ``manual_seed`` seeds them all, so the same seed
gives the same numbers on every rank (add the rank to the seed for different streams).
A thread may install its own default generators (the parallel layer's virtual ranks do,
so each behaves like a separate process).

Example:
    >>> import autograd
    >>> _ = autograd.manual_seed(0)
    >>> a = autograd.randn(3)
    >>> _ = autograd.manual_seed(0)
    >>> a.tolist() == autograd.randn(3).tolist()
    True
"""

from __future__ import annotations

import json
import threading
from typing import Any

from . import backend
from .tensor import Tensor, _wrap

__all__ = [
    "Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
    "default_generator", "rand", "randn", "randint", "rand_like", "randn_like", "randint_like",
    "randperm", "normal", "bernoulli", "multinomial", "fork_rng",
]

_DEFAULT_SEED = 67280421310721  # PyTorch's default seed, so a fresh process is deterministic


_M64 = (1 << 64) - 1


def _mix64(z: int) -> int:
    """SplitMix64's finaliser: a bijection of 64-bit integers that scrambles every bit."""
    z = (z + 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def stream_key(seed: int, draw: int) -> int:
    """The Philox key of a GPU generator's ``draw``-th sampling call (63 bits)."""
    return _mix64(_mix64(seed & _M64) ^ draw) >> 1


class Generator:
    """A random stream for one device: numpy ``PCG64`` on the CPU; on a GPU, CuPy's
    counter-based Philox4x32-10, keyed per sampling call by (seed, number of calls so
    far), so the whole state is two integers that ``get_state`` saves and
    ``set_state`` restores exactly (CuPy's own generators cannot export theirs).

    Example:
        >>> import autograd
        >>> g = autograd.Generator().manual_seed(1)
        >>> autograd.rand(2, generator=g).shape
        (2,)
    """

    def __init__(self, device: Any = "cpu") -> None:
        dev = backend.device(device)
        if dev.type == "cuda":
            backend.xp_for(dev)  # a clear error when CuPy or the GPU is missing
            dev = backend.Device("cuda", backend.cuda_index(dev))
        self.device = dev
        self._seed = _DEFAULT_SEED
        self._make(self._seed)

    def _make(self, seed: int) -> None:
        self._draws = 0
        if self.device.type == "cpu":
            self._impl = backend.numpy.random.Generator(backend.numpy.random.PCG64(seed))
        else:
            cupy = backend.cupy
            with backend.device_guard(self.device):
                self._impl = cupy.random.RandomState(
                    stream_key(seed, 0), method=cupy.cuda.curand.CURAND_RNG_PSEUDO_PHILOX4_32_10)

    def _stream(self) -> Any:
        """The sampler for the next call: the CPU's running stream, or on a GPU the
        Philox stream of the next (seed, call) key."""
        if self.device.type == "cpu":
            return self._impl
        self._impl.seed(stream_key(self._seed, self._draws))
        self._draws += 1
        return self._impl

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        if seed < 0:
            seed = seed % (1 << 64)
        self._seed = seed
        self._make(seed)
        return self

    def seed(self) -> int:
        """Seed from the OS entropy pool and return that seed."""
        s = int(backend.numpy.random.SeedSequence().entropy % (1 << 63))
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        """The full stream state as a uint8 tensor (safe to store; no pickle)."""
        if self.device.type == "cpu":
            state = {"seed": self._seed, "pcg64": self._impl.bit_generator.state}
        else:
            state = {"seed": self._seed, "philox_calls": self._draws}
        raw = json.dumps(state, default=_jsonable).encode()
        return _wrap(backend.numpy.frombuffer(raw, dtype=backend.numpy.uint8).copy())

    def set_state(self, new_state: Tensor) -> Generator:
        raw = bytes(backend.to_host(new_state._data).astype("uint8").tobytes())
        try:
            state = json.loads(raw.decode())
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise RuntimeError(f"set_state: not a generator state produced by get_state(): {e}") from None
        if not isinstance(state, dict):
            raise RuntimeError("set_state: not a generator state produced by get_state()")
        if self.device.type == "cpu":
            if "pcg64" not in state:
                raise RuntimeError(
                    f"set_state: this state belongs to a GPU generator, not the {self.device} one")
            self._seed = int(state.get("seed", self._seed))
            self._impl.bit_generator.state = state["pcg64"]
        else:
            if "philox_calls" not in state:
                raise RuntimeError(
                    f"set_state: this state belongs to the CPU generator, not the {self.device} one")
            self._seed = int(state.get("seed", self._seed))
            self._draws = int(state["philox_calls"])
        return self

    def __repr__(self) -> str:
        return f"<autograd.Generator device={self.device} seed={self._seed}>"


def _jsonable(o: Any) -> Any:
    if isinstance(o, backend.numpy.ndarray):
        return o.tolist()
    if isinstance(o, backend.numpy.integer):
        return int(o)
    raise TypeError(f"cannot serialise {type(o).__name__} in a generator state")


class _Defaults(threading.local):
    override: dict | None = None


_local = _Defaults()
_global: dict[str, Generator] = {}


def _default_generator(device: Any = "cpu") -> Generator:
    dev = backend.device(device)
    key = "cpu" if dev.type == "cpu" else f"cuda:{backend.cuda_index(dev)}"
    table = _local.override if _local.override is not None else _global
    gen = table.get(key)
    if gen is None:
        gen = table[key] = Generator(dev)
    return gen


class _DefaultGenerator:
    """``autograd.default_generator``: behaves as the (calling thread's) default CPU
    Generator, as ``torch.default_generator`` does; calling it,
    ``default_generator(device)``, returns the default generator of any device.

    Example:
        >>> import autograd
        >>> _ = autograd.default_generator.manual_seed(3)
        >>> autograd.default_generator.initial_seed(), autograd.default_generator("cpu").initial_seed()
        (3, 3)
    """

    def __call__(self, device: Any = "cpu") -> Generator:
        return _default_generator(device)

    def __getattr__(self, name: str) -> Any:
        return getattr(_default_generator("cpu"), name)

    def __repr__(self) -> str:
        return repr(_default_generator("cpu"))


default_generator = _DefaultGenerator()


def install_thread_generators(seed: int | None = None) -> None:
    """Give the calling thread its own default generators (used by virtual ranks, each
    seeded with its own ``seed``: every device's stream, the GPUs' included)."""
    _local.override = {}
    if seed is not None:
        manual_seed(seed)


def manual_seed(seed: int) -> Generator:
    """Seed every device's default generator; returns the CPU one."""
    gen = default_generator("cpu").manual_seed(seed)
    table = _local.override if _local.override is not None else _global
    for key, g in table.items():
        if key != "cpu":
            g.manual_seed(seed)
    if backend.cuda_available():
        for i in range(backend.device_count()):
            default_generator(f"cuda:{i}").manual_seed(seed)
    return gen


def seed() -> int:
    return default_generator("cpu").seed()


def initial_seed() -> int:
    return default_generator("cpu").initial_seed()


def get_rng_state() -> Tensor:
    return default_generator("cpu").get_state()


def set_rng_state(new_state: Tensor) -> None:
    default_generator("cpu").set_state(new_state)


class fork_rng:
    """Context manager: random calls inside do not advance the outer streams (the CPU
    generator and those of ``devices``, every visible GPU by default).

    Example:
        >>> import autograd
        >>> _ = autograd.manual_seed(0)
        >>> with autograd.fork_rng():
        ...     inside = autograd.rand(2)
        >>> autograd.rand(2).tolist() == inside.tolist()
        True
    """

    def __init__(self, devices: Any = None, enabled: bool = True) -> None:
        self.enabled = enabled
        if devices is None:
            devices = range(backend.device_count())
        self.devices = ["cpu"] + [str(backend.device(d if not isinstance(d, int) else f"cuda:{d}"))
                                  for d in devices]

    def __enter__(self) -> None:
        if self.enabled:
            self.saved = [(d, default_generator(d).get_state()) for d in self.devices]

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            for d, s in self.saved:
                default_generator(d).set_state(s)


# ----------------------------------------------------------------------------- sampling


def _gen_for(generator: Generator | None, dev: backend.Device) -> Generator:
    if generator is None or generator.__class__ is _DefaultGenerator:
        return _default_generator(dev)
    gen = generator
    if gen.device != dev and not (dev.type == "cuda" == gen.device.type
                                  and gen.device.index == backend.cuda_index(dev)):
        raise RuntimeError(
            f"Expected a '{dev}' generator, got one for '{gen.device}'; create the "
            f"generator with Generator(device='{dev}')"
        )
    return gen


def _float_dtype(dtype: Any) -> Any:
    dt = backend.dtype(dtype) if dtype is not None else backend.get_default_dtype()
    if dt.kind != "f":
        raise TypeError(f"expected a floating dtype, got {dt}")
    return dt


def _sample(kind: str, shape: tuple, dt: Any, dev: backend.Device, gen: Generator,
            **kw: Any) -> Any:
    impl = gen._stream()
    if dev.type == "cpu":
        native = dt if dt in (backend.float32, backend.float64) else backend.float64
        if kind == "uniform":
            arr = impl.random(shape, dtype=native)
        elif kind == "normal":
            arr = impl.standard_normal(shape, dtype=native)
        elif kind == "exponential":
            arr = impl.standard_exponential(shape, dtype=native)
        else:
            raise ValueError(kind)
    else:
        with backend.device_guard(gen.device):
            if kind == "uniform":
                arr = impl.random_sample(shape, dtype=backend.float64)
            elif kind == "normal":
                arr = impl.standard_normal(shape, dtype=backend.float64)
            else:
                arr = impl.standard_exponential(shape, dtype=backend.float64)
    return arr if arr.dtype == dt else arr.astype(dt)


def _finish(arr: Any, requires_grad: bool) -> Tensor:
    t = _wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1).

    Example:
        >>> import autograd
        >>> max(autograd.rand(100).tolist()) < 1
        True
    """
    from .creation import _sizes

    dev = backend.device(device)
    arr = _sample("uniform", _sizes(size), _float_dtype(dtype), dev, _gen_for(generator, dev))
    return _finish(arr, requires_grad)


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples.

    Example:
        >>> import autograd
        >>> autograd.randn(2, 3).shape
        (2, 3)
    """
    from .creation import _sizes

    dev = backend.device(device)
    arr = _sample("normal", _sizes(size), _float_dtype(dtype), dev, _gen_for(generator, dev))
    return _finish(arr, requires_grad)


def randint(low: int, high: int | None = None, size: Any = None, *,
            generator: Generator | None = None, dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    """Integers uniform in [low, high); ``randint(high, size)`` also works.

    Example:
        >>> import autograd
        >>> x = autograd.randint(0, 5, (10,))
        >>> all(0 <= v < 5 for v in x.tolist())
        True
    """
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() needs a size, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if isinstance(size, int):
        size = (size,)
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dev = backend.device(device)
    gen = _gen_for(generator, dev)
    dt = backend.dtype(dtype) if dtype is not None else backend.int64
    if dev.type == "cpu":
        arr = gen._impl.integers(low, high, size=tuple(size), dtype=backend.int64).astype(dt)
    else:
        with backend.device_guard(gen.device):
            arr = gen._stream().randint(low, high, size=tuple(size),
                                        dtype=backend.int64).astype(dt)
    return _finish(arr, requires_grad)


def rand_like(x: Tensor, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    return rand(x.shape, dtype=dtype or x.dtype, device=device or x.device,
                requires_grad=requires_grad)


def randn_like(x: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    return randn(x.shape, dtype=dtype or x.dtype, device=device or x.device,
                 requires_grad=requires_grad)


def randint_like(x: Tensor, low: int, high: int | None = None, *, dtype: Any = None,
                 device: Any = None) -> Tensor:
    return randint(low, high, x.shape, dtype=dtype or x.dtype, device=device or x.device)


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None,
             device: Any = None) -> Tensor:
    """A random permutation of ``0 .. n-1``.

    Example:
        >>> import autograd
        >>> sorted(autograd.randperm(4).tolist())
        [0, 1, 2, 3]
    """
    dev = backend.device(device)
    gen = _gen_for(generator, dev)
    dt = backend.dtype(dtype) if dtype is not None else backend.int64
    if dev.type == "cpu":
        arr = gen._impl.permutation(int(n)).astype(dt)
    else:
        with backend.device_guard(gen.device):
            arr = gen._stream().permutation(int(n)).astype(dt)
    return _wrap(arr)


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Generator | None = None,
           dtype: Any = None, device: Any = None) -> Tensor:
    """Normal samples with the given mean and std (numbers or tensors)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        shape = backend.numpy.broadcast_shapes(
            mean.shape if isinstance(mean, Tensor) else (), std.shape if isinstance(std, Tensor) else ()
        )
        z = randn(shape, generator=generator, dtype=ref.dtype, device=ref.device)
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        return _wrap((z._data * s + m).astype(ref.dtype))
    if size is None:
        raise TypeError("normal(mean, std) with numbers needs size=")
    z = randn(size, generator=generator, dtype=dtype, device=device)
    z._data *= std
    z._data += mean
    return z


def bernoulli(input: Tensor, p: Any = None, *, generator: Generator | None = None) -> Tensor:
    """0/1 samples with probabilities ``input`` (or a fixed ``p``), same dtype."""
    dev = input.device
    u = _sample("uniform", input.shape, input.dtype if input.dtype.kind == "f" else backend.float64,
                dev, _gen_for(generator, dev))
    prob = input._data if p is None else p
    return _wrap((u < prob).astype(input.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:
    """Draw category indices with probabilities proportional to the rows of ``input``
    (1-d or 2-d); without replacement each row's categories are drawn at most once.

    Example:
        >>> import autograd
        >>> autograd.multinomial(autograd.tensor([0.0, 1.0, 0.0]), 3, replacement=True).tolist()
        [1, 1, 1]
    """
    xp = backend.xp_of(input._data)
    probs = input._data
    if probs.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got {probs.ndim}")
    if probs.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got {input.dtype}")
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples (got {num_samples})")
    rows = (probs[None] if probs.ndim == 1 else probs).astype(backend.float64)
    k = rows.shape[1]
    if not replacement and num_samples > k:
        raise RuntimeError(
            f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement "
            f"({num_samples} > {k})"
        )
    if bool((rows < 0).any()) or not bool(xp.isfinite(rows).all()):
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1, keepdims=True)
    if bool((totals <= 0).any()):
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
    dev = input.device
    gen = _gen_for(generator, dev)
    if replacement:  # inverse CDF, one searchsorted per row
        u = _sample("uniform", (rows.shape[0], num_samples), backend.float64, dev, gen)
        cdf = xp.cumsum(rows / totals, axis=1)
        out = xp.stack([xp.searchsorted(cdf[r], u[r], side="right") for r in range(rows.shape[0])])
        out = xp.minimum(out, k - 1)
    else:  # Gumbel top-k: the num_samples largest of log p + Gumbel noise
        u = _sample("uniform", rows.shape, backend.float64, dev, gen)
        gumbel = -xp.log(-xp.log(xp.clip(u, 1e-300, 1.0 - 1e-16)))
        keys = xp.where(rows > 0, xp.log(xp.where(rows > 0, rows, 1.0)) + gumbel, -xp.inf)
        out = xp.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    out = out.astype(backend.int64)
    return _wrap(out[0] if probs.ndim == 1 else out)


# ----------------------------------------------------------------------------- in-place fills


def _fill(x: Tensor, arr: Any) -> Tensor:
    from .function import apply_inplace
    from .ops.binary import Fill

    return apply_inplace(Fill, x, _wrap(arr))


def uniform_(x: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    u = _sample("uniform", x.shape, x.dtype, x.device, _gen_for(generator, x.device))
    return _fill(x, (u * (b - a) + a).astype(x.dtype))


def normal_(x: Tensor, mean: float = 0.0, std: float = 1.0, *,
            generator: Generator | None = None) -> Tensor:
    z = _sample("normal", x.shape, x.dtype, x.device, _gen_for(generator, x.device))
    return _fill(x, (z * std + mean).astype(x.dtype))


def bernoulli_(x: Tensor, p: float = 0.5, *, generator: Generator | None = None) -> Tensor:
    u = _sample("uniform", x.shape, backend.float64, x.device, _gen_for(generator, x.device))
    return _fill(x, (u < p).astype(x.dtype))


def exponential_(x: Tensor, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    e = _sample("exponential", x.shape, x.dtype, x.device, _gen_for(generator, x.device))
    return _fill(x, (e / lambd).astype(x.dtype))


def random_(x: Tensor, low: int = 0, high: int | None = None, *,
            generator: Generator | None = None) -> Tensor:
    if high is None:
        high = 2**24 if x.dtype == backend.float32 else (2**53 if x.dtype.kind == "f" else
                                                         int(backend.numpy.iinfo(x.dtype).max))
    r = randint(low, high, x.shape, generator=generator, dtype=backend.int64, device=x.device)
    return _fill(x, r._data.astype(x.dtype))
