"""The op matrix on a GPU: every ``OpSpec`` of the op test tables, run on ``"cuda"`` and
compared with the CPU (outputs and reverse-mode gradients, which must stay on the
device).

On CI the "fake" cases run each spec's first shape on the NumPy-backed fake CuPy: they
catch host-only code (NumPy calls on device arrays, ``.ctypes``, host/device mixing)
and results that fall off the device, not CUDA numerics. On a machine with a GPU the
"cuda" cases run every shape case and, in float64 on the device, gradcheck (reverse
and forward mode) and gradgradcheck, as ``tests/autograd/harness.run_spec`` does on the
CPU.
"""

from __future__ import annotations

import importlib
import types

import numpy as np
import pytest

import autograd
from autograd import backend
from tests.autograd.harness import OpSpec, make_inputs

_MODULES = [
    "tests.autograd.test_ops_pointwise", "tests.autograd.test_ops_reduce",
    "tests.autograd.test_ops_shape", "tests.autograd.test_ops_index",
    "tests.autograd.test_ops_matmul", "tests.autograd.test_ops_sorting",
    "tests.autograd.test_linalg", "tests.autograd.test_forward_mode_ops",
    "tests.nn.test_layers", "tests.nn.test_losses", "tests.nn.test_normalization",
    "tests.nn.test_conv_pool", "tests.nn.test_attention", "tests.nn.test_rnn",
]


def _collect() -> list[tuple[str, OpSpec]]:
    found: dict[int, tuple[str, OpSpec]] = {}
    for name in _MODULES:
        mod = importlib.import_module(name)
        short = name.rsplit(".", 1)[-1].removeprefix("test_")
        for value in vars(mod).values():
            items = value if isinstance(value, list) else [value]
            for spec in items:
                if isinstance(spec, OpSpec) and id(spec) not in found:
                    found[id(spec)] = (f"{short}:{spec.name}", spec)
    return sorted(found.values(), key=lambda p: p[0])


SPECS = _collect()


def _relocated(fn: object, dev: str, depth: int = 2) -> object:
    """``fn`` with the CPU tensors it closes over (closure cells, defaults, module
    globals) moved to ``dev``: spec functions hold constants such as targets, masks
    and weights made on the CPU at import."""
    if not isinstance(fn, types.FunctionType) or depth == 0:
        return fn

    def move(v: object) -> object:
        if isinstance(v, autograd.Tensor):
            return v.detach().to(dev)
        if isinstance(v, np.ndarray):
            return v
        if isinstance(v, types.FunctionType):
            return _relocated(v, dev, depth - 1)
        if isinstance(v, dict):
            return {k: move(e) for k, e in v.items()}
        if isinstance(v, (list, tuple)) and not hasattr(v, "_fields"):
            return type(v)(move(e) for e in v)
        return v

    names = set(fn.__code__.co_names)
    glob = dict(fn.__globals__)
    for k in names & glob.keys():
        if isinstance(glob[k], (autograd.Tensor, types.FunctionType)):
            glob[k] = move(glob[k])
    cells = None
    if fn.__closure__:
        cells = tuple(types.CellType(move(c.cell_contents)) for c in fn.__closure__)
    defaults = tuple(move(d) for d in fn.__defaults__) if fn.__defaults__ else None
    new = types.FunctionType(fn.__code__, glob, fn.__name__, defaults, cells)
    new.__kwdefaults__ = fn.__kwdefaults__
    return new


def _moved(inputs: list, dev: str) -> list:
    out = []
    for t in inputs:
        d = t.detach().to(dev)
        if t.requires_grad:
            d.requires_grad_(True)
        out.append(d)
    return out


def _outputs(res: object) -> list:
    outs = res if isinstance(res, (tuple, list)) else (res,)
    return [o for o in outs if isinstance(o, autograd.Tensor)]


def _run(spec: OpSpec, inputs: list, fn: object = None) -> tuple[list, list]:
    outs = _outputs((fn or spec.fn)(*inputs))
    diff = [o for o in outs if o.requires_grad]
    wrt = [t for t in inputs if t.requires_grad]
    grads: list = []
    if diff and wrt and spec.grad:
        rng = np.random.default_rng(1)
        cots = [autograd.tensor(rng.standard_normal(o.shape), dtype=o.dtype, device=o.device)
                for o in diff]
        grads = list(autograd.grad(diff, wrt, cots, allow_unused=True))
    return outs, grads


# Decompositions whose outputs are defined up to signs/rotations: cuSOLVER and LAPACK
# may pick different ones, so on a real GPU only their placement and (on the device
# itself) their gradchecks are compared.
_AMBIGUOUS = ("eig", "svd", "qr", "pinv")


def _close(got: autograd.Tensor | None, want: autograd.Tensor | None, what: str,
           rtol: float = 1e-7, values: bool = True) -> None:
    if want is None:
        assert got is None, f"{what}: expected no gradient, the device gave one"
        return
    assert got is not None, f"{what}: the device gave no gradient"
    assert got.device.type == "cuda", f"{what}: the result fell off the device ({got.device})"
    assert got.shape == want.shape and got.dtype == want.dtype, (
        f"{what}: {got.shape} {got.dtype} on the device, {want.shape} {want.dtype} on the CPU")
    if not values:
        return
    a = backend.to_host(got.detach()._data)
    b = want.detach()._data
    if b.dtype.kind in "fc":
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-9, err_msg=what)
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)


def _parity(spec: OpSpec, case: tuple, dev: str, real: bool = False) -> None:
    """Outputs and gradients on ``dev`` against the CPU: equal on the fake (NumPy both
    sides), within float64 rounding on a GPU (other kernels, other summation orders)."""
    rtol = 1e-6 if real else 1e-7
    values = not (real and any(k in spec.name for k in _AMBIGUOUS))
    host = make_inputs(spec, case, seed=0)
    outs, grads = _run(spec, host)
    with autograd.device(dev):  # tensors the spec makes while it runs land there too
        douts, dgrads = _run(spec, _moved(host, dev), _relocated(spec.fn, dev))
    assert len(douts) == len(outs), f"{spec.name}: {len(douts)} outputs on the device, {len(outs)}"
    for i, (g, w) in enumerate(zip(douts, outs)):
        _close(g, w, f"{spec.name} output {i}", rtol, values)
    for i, (g, w) in enumerate(zip(dgrads, grads)):
        _close(g, w, f"{spec.name} gradient of input {i}", rtol, values)


@pytest.mark.parametrize("spec", [pytest.param(s, id=i) for i, s in SPECS])
def test_op_on_device(spec: OpSpec, cuda_device: str, request: pytest.FixtureRequest) -> None:
    real = "fake" not in request.node.callspec.id
    cases = spec.shapes if real else spec.shapes[:1]
    for case in cases:
        _parity(spec, case, cuda_device, real)
    if real:  # finite differences on the GPU itself (float64), first shape case
        inputs = _moved(make_inputs(spec, spec.shapes[0], seed=0), cuda_device)
        fn = _relocated(spec.fn, cuda_device)
        with autograd.device(cuda_device):
            _gradchecks(spec, fn, inputs)


def _gradchecks(spec: OpSpec, fn: object, inputs: list) -> None:
    if spec.grad:
        assert autograd.gradcheck(fn, tuple(inputs), eps=spec.eps, atol=spec.atol,
                                  rtol=spec.rtol, check_forward_ad=spec.forward_ad)
    if spec.gradgrad:
        assert autograd.gradgradcheck(fn, tuple(inputs), eps=spec.eps, atol=spec.atol,
                                      rtol=spec.rtol)
