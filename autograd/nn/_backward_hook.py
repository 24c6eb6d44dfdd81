"""Full module backward hooks (PyTorch's ``BackwardHook``): the module's tensor inputs
and outputs each pass through an identity Function; a pre-hook on the outputs' node
sees (and may replace) ``grad_output``, a post-hook on the inputs' node sees
``grad_input`` (the gradients w.r.t. the module's tensor inputs) and may replace it.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..function import Function
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor


class BackwardHookFunction(Function):
    """Identity on its tensor arguments; its node is where module backward hooks attach."""

    @staticmethod
    def forward(ctx: Any, *args: Tensor) -> tuple:
        ctx.set_materialize_grads(False)
        return args

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> tuple:
        return grads

    @staticmethod
    def jvp(ctx: Any, *tangents: Any) -> tuple:
        return tangents


def _pack_with_none(indices: list, values: tuple, size: int) -> tuple:
    res: list = [None] * size
    for i, v in zip(indices, values):
        res[i] = v
    return tuple(res)


def _unpack_none(indices: list, values: tuple) -> tuple:
    return tuple(values[i] for i in indices)


def _check_count(what: str, got: Any, expected: int) -> tuple:
    got = _as_tuple(got)
    if len(got) != expected:
        kind = "pre hook" if what == "output" else "hook"
        raise RuntimeError(
            f"Backward {kind} returned an invalid number of grad_{what}, got {len(got)}, but "
            f"expected {expected}; return one entry (a Tensor or None) per positional "
            f"{'output' if what == 'output' else 'argument'} of the module"
        )
    return got


class BackwardHook:
    """One forward call's worth of full backward hooks for ``module``."""

    def __init__(self, module: Any, user_hooks: list, user_pre_hooks: list) -> None:
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs: tuple | None = None
        self.n_inputs = 0
        self.n_outputs = 0
        self.input_tensors_index: list | None = None
        self.output_tensors_index: list | None = None

    def _apply_on_tensors(self, fn: Any, args: tuple) -> tuple[tuple, list | None]:
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not idx or not is_grad_enabled():
            return args, None
        new = BackwardHookFunction.apply(*(args[i] for i in idx))
        fn(new[0].grad_fn)
        out = list(args)
        for i, t in zip(idx, new):
            out[i] = t
        return tuple(out), idx

    # -- inputs
    def _input_hook(self, grad_inputs: tuple, _grad_outputs: tuple) -> tuple | None:
        if not self.user_hooks:
            self.grad_outputs = None
            return None
        res = _pack_with_none(self.input_tensors_index, grad_inputs, self.n_inputs)
        for hook in self.user_hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            res = _check_count("input", out, len(res))
        self.grad_outputs = None
        return _unpack_none(self.input_tensors_index, res)

    def setup_input_hook(self, args: tuple) -> tuple:
        self.n_inputs = len(args)
        new_args, idx = self._apply_on_tensors(lambda fn: fn.register_hook(self._input_hook), args)
        self.input_tensors_index = idx
        return new_args

    # -- outputs
    def _output_hook(self, grad_outputs: tuple) -> tuple:
        self.grad_outputs = _pack_with_none(self.output_tensors_index, grad_outputs, self.n_outputs)
        for hook in self.user_pre_hooks:
            out = hook(self.module, self.grad_outputs)
            if out is None:
                continue
            self.grad_outputs = _check_count("output", out, self.n_outputs)
        replaced = _unpack_none(self.output_tensors_index, self.grad_outputs)
        if self.input_tensors_index is None:
            # No input requires grad: the input hook never runs, so the user hooks run
            # here with grad_input all None (as PyTorch does).
            grad_inputs = (None,) * self.n_inputs
            if self.user_hooks:
                warnings.warn(
                    "Full backward hook is firing when gradients are computed with respect to "
                    "module outputs since no inputs require gradients. See "
                    "Module.register_full_backward_hook for more details.", stacklevel=2,
                )
            for hook in self.user_hooks:
                out = hook(self.module, grad_inputs, self.grad_outputs)
                if out is not None and not all(g is None for g in _as_tuple(out)):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should "
                        "always return None or None for all gradients."
                    )
            self.grad_outputs = None
        return replaced

    def setup_output_hook(self, result: Any) -> Any:
        single = isinstance(result, Tensor)
        args = (result,) if single else result
        if not isinstance(args, (tuple, list)):
            return result
        self.n_outputs = len(args)
        new, idx = self._apply_on_tensors(lambda fn: fn.register_prehook(self._output_hook), tuple(args))
        self.output_tensors_index = idx
        if single:
            return new[0]
        if isinstance(result, list):
            return list(new)
        if hasattr(result, "_fields"):
            return type(result)(*new)
        return new


def _as_tuple(v: Any) -> tuple:
    return (v,) if isinstance(v, Tensor) else tuple(v)
