"""The ``Optimizer`` base class (mirrors ``torch.optim.Optimizer``).

An optimizer holds *parameter groups* (lists of leaf tensors with their own
hyperparameters), a per-parameter ``state`` dict keyed by the tensor, and
``state_dict()`` / ``load_state_dict()`` in PyTorch's format. Subclasses write their
update rule in ``step``; the base class wraps it with step pre/post hooks.

Updates are done in place on the raw parameter arrays (no new large arrays per step:
fresh large allocations cost page faults, see DESIGN.md section 7). Subclasses get
reusable scratch arrays from :meth:`Optimizer._scratch` and bump each written
parameter's version counter with :func:`_bump` so autograd's saved-tensor checks see
the change.

Example:
    >>> import autograd, optim
    >>> w = autograd.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w
    tensor([0.8000, 1.6000], requires_grad=True)
"""

from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from copy import deepcopy
from itertools import chain
from typing import Any

import autograd
from autograd import backend
from autograd.hooks import RemovableHandle
from autograd.tensor import Tensor

__all__ = [
    "Optimizer",
    "required",
    "register_optimizer_step_pre_hook",
    "register_optimizer_step_post_hook",
]

StateDict = dict[str, Any]
ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


class _RequiredParameter:
    """Marks a hyperparameter every parameter group must give (no default)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_step_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_step_post_hooks: OrderedDict[int, Callable] = OrderedDict()


def _add_hook(store: OrderedDict, hook: Callable, prepend: bool = False) -> RemovableHandle:
    """Store ``hook`` under a new handle (first in line with ``prepend``)."""
    handle = RemovableHandle(store)
    store[handle.id] = hook
    if prepend:
        store.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs)`` to run before every optimizer's step.

    Example:
        >>> from optim.optimizer import register_optimizer_step_pre_hook
        >>> handle = register_optimizer_step_pre_hook(lambda opt, args, kwargs: None)
        >>> handle.remove()
    """
    return _add_hook(_global_step_pre_hooks, hook)


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs)`` to run after every optimizer's step.

    Example:
        >>> from optim.optimizer import register_optimizer_step_post_hook
        >>> handle = register_optimizer_step_post_hook(lambda opt, args, kwargs: None)
        >>> handle.remove()
    """
    return _add_hook(_global_step_post_hooks, hook)


def _with_step_hooks(step: Callable) -> Callable:
    """Wrap a subclass's ``step`` so the pre/post hooks run around it (once, even when
    a subclass's step calls ``super().step()``)."""

    @functools.wraps(step)
    def wrapper(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        if self._in_step:
            return step(self, *args, **kwargs)
        self._in_step = True
        try:
            for hook in chain(_global_step_pre_hooks.values(),
                              self._optimizer_step_pre_hooks.values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            f"an optimizer step pre-hook must return None or a tuple of "
                            f"(new_args, new_kwargs), but got {result!r}"
                        )
                    args, kwargs = result
            out = step(self, *args, **kwargs)
            self._opt_called = True  # read by lr schedulers to warn about call order
            for hook in chain(self._optimizer_step_post_hooks.values(),
                              _global_step_post_hooks.values()):
                hook(self, args, kwargs)
            return out
        finally:
            self._in_step = False

    wrapper._hooked = True  # type: ignore[attr-defined]
    return wrapper


def _bump(t: Tensor) -> None:
    """Record an in-place write to ``t``'s memory in its (shared) version counter."""
    t._vc[0] += 1


def _writeable(a: Any) -> bool:
    """Whether an array may be written in place (CuPy arrays have no such flag)."""
    return bool(getattr(a.flags, "writeable", True))


def _real(a: Any) -> Any:
    """A real view of a complex array (a trailing axis of 2 holds re, im); the array
    itself when it is real. The elementwise update rules act on this view, as
    PyTorch's ``view_as_real``."""
    if a.dtype.kind != "c":
        return a
    return a.reshape(a.shape + (1,)).view(a.real.dtype)


def _buffer_like(p: Tensor, fill: Any = 0, src: Any = None) -> Tensor:
    """A new state tensor shaped like ``p`` (same dtype and device), allocated once:
    filled with ``fill``, or a copy of the real-view array ``src``."""
    xp = backend.xp_of(p._data)
    arr = xp.full(p._data.shape, fill, dtype=p._data.dtype)
    if src is not None:
        xp.copyto(_real(arr), src)
    return autograd.as_tensor(arr)


def _new_step() -> Any:
    """The per-parameter step counter: a float32 scalar tensor on the CPU, as PyTorch."""
    return autograd.tensor(0.0, dtype=autograd.float32, device="cpu")


def _advance(step_t: Any) -> float:
    """Increment a step counter in place and return its new value."""
    step_t._data += 1
    step_t._vc[0] += 1
    return float(step_t._data)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _no_differentiable(differentiable: bool) -> None:
    if differentiable:
        raise ValueError(
            "differentiable=True is not supported: optimizer steps update the parameters "
            "in place outside the autograd graph; leave differentiable=False"
        )


class Optimizer:
    """Base class of all optimizers (``torch.optim.Optimizer``).

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter
            groups: ``{"params": [...], "lr": ...}``) with per-group options.
        defaults: the default hyperparameters, used where a group gives none.

    Example:
        >>> import autograd, optim
        >>> a, b = autograd.zeros(2, requires_grad=True), autograd.zeros(3, requires_grad=True)
        >>> opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.5]
    """

    _in_step = False
    _opt_called = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = _with_step_hooks(step)  # type: ignore[method-assign]

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._scratch_bufs: dict[tuple, Any] = {}
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}; wrap a single tensor in a list: [t]"
            )
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group (a dict with ``"params"`` and optional hyperparameters);
        missing hyperparameters take the optimizer's defaults.

        Example:
            >>> import autograd, optim
            >>> opt = optim.SGD([autograd.zeros(2, requires_grad=True)], lr=0.1)
            >>> opt.add_param_group({"params": [autograd.zeros(3, requires_grad=True)], "lr": 1.0})
            >>> len(opt.param_groups)
            2
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        tensors = [p[1] if isinstance(p, tuple) else p for p in params]
        if names and len(names) != len(tensors):
            raise ValueError(
                "all optimizer params should be with/without names. Some param names are missing"
            )
        param_group["params"] = tensors
        if names:
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__module__}.{type(p).__name__}"
                )
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)
        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for "
                "more information",
                stacklevel=3,
            )
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                kind = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {kind} to the optimizer"
                )
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ grads / step
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors: to ``None`` (default) or to zeros
        in place (``set_to_none=False``).

        Example:
            >>> import autograd, optim
            >>> w = autograd.ones(2, requires_grad=True)
            >>> opt = optim.SGD([w], lr=0.1)
            >>> w.sum().backward()
            >>> opt.zero_grad()
            >>> w.grad is None
            True
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad_(False)
                if _writeable(g._data):
                    g._data.fill(0)
                    _bump(g)
                else:  # a read-only (e.g. broadcast) gradient: replace it by zeros
                    p.grad = autograd.zeros_like(p)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step (defined by each optimizer)."""
        raise TypeError(
            f"{type(self).__name__} does not define step(closure=None); a subclass of "
            "Optimizer must implement its own update rule in step()"
        )

    def _closure_loss(self, closure: Callable[[], Any] | None) -> Any:
        """Re-evaluate the model through ``closure`` (with grad enabled) and return its loss."""
        if closure is None:
            return None
        with autograd.enable_grad():
            return closure()

    # ------------------------------------------------------------------ scratch
    def _scratch(self, like: Any, slot: int) -> Any:
        """A reusable work array shaped like ``like`` (same dtype and device). Slot ``k``
        is one flat buffer per (slot, dtype, device), grown to the largest parameter
        once and then reused, so warm steps allocate no large arrays."""
        xp = backend.xp_of(like)
        key = (slot, like.dtype, str(backend.device_of(like)))
        buf = self._scratch_bufs.get(key)
        n = like.size
        if buf is None or buf.size < n:
            buf = xp.empty(n, dtype=like.dtype)
            self._scratch_bufs[key] = buf
        return buf[:n].reshape(like.shape)

    def _effective_grad(self, w: Any, g: Any, weight_decay: float, maximize: bool) -> Any:
        """``(-g if maximize else g) + weight_decay * w`` in scratch slot 0 (``g`` itself
        when neither applies); the parameter's own ``.grad`` is never modified."""
        if not maximize and weight_decay == 0:
            return g
        xp = backend.xp_of(w)
        d = self._scratch(w, 0)
        if weight_decay == 0:
            xp.negative(g, out=d)
            return d
        xp.multiply(w, weight_decay, out=d)
        if maximize:
            xp.subtract(d, g, out=d)
        else:
            xp.add(g, d, out=d)
        return d

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs before each ``step``; it may return
        ``(new_args, new_kwargs)``.

        Example:
            >>> import autograd, optim
            >>> opt = optim.SGD([autograd.zeros(1, requires_grad=True)], lr=0.1)
            >>> calls = []
            >>> h = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(1))
            >>> opt.step(); calls
            [1]
        """
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs after each ``step``.

        Example:
            >>> import autograd, optim
            >>> opt = optim.SGD([autograd.zeros(1, requires_grad=True)], lr=0.1)
            >>> h = opt.register_step_post_hook(lambda o, args, kwargs: None)
            >>> h.remove()
        """
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer)`` runs before ``state_dict()`` builds its result."""
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer, state_dict)`` runs on ``state_dict()``'s result; a returned
        dict replaces it."""
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable,
                                          prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer, state_dict)`` runs before loading; a returned dict is loaded."""
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable,
                                           prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer)`` runs after ``load_state_dict``."""
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------------ state dict
    def state_dict(self) -> StateDict:
        """The optimizer state as ``{"state": {index: {...}}, "param_groups": [...]}``
        (PyTorch's format: parameters are replaced by their index in group order).

        The state tensors are the optimizer's live buffers (as in PyTorch): serialize or
        copy them before stepping again if you need a snapshot.

        Example:
            >>> import autograd, optim
            >>> w = autograd.ones(2, requires_grad=True)
            >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
            >>> w.sum().backward(); opt.step()
            >>> sd = opt.state_dict()
            >>> list(sd["state"]), sd["param_groups"][0]["params"]
            ([0], [0])
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                ids.append(index.setdefault(id(p), len(index)))
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for k, v in self.state.items():
            state[index[id(k)] if isinstance(k, Tensor) else k] = v
        out: StateDict = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, out)
            if result is not None:
                out = result
        return out

    def load_state_dict(self, state_dict: StateDict) -> None:
        """Load a state from :meth:`state_dict`. Tensors are copied (cast to each
        parameter's dtype, except ``step``, and moved to its device), so the loaded
        optimizer never shares buffers with the dict or with another optimizer.

        Example:
            >>> import autograd, optim
            >>> w = autograd.ones(2, requires_grad=True)
            >>> opt = optim.Adam([w], lr=0.1)
            >>> w.sum().backward(); opt.step()
            >>> opt2 = optim.Adam([w], lr=0.5)
            >>> opt2.load_state_dict(opt.state_dict())
            >>> opt2.param_groups[0]["lr"], float(opt2.state[w]["step"])
            (0.1, 1.0)
        """
        state_dict = dict(state_dict)
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(
                "loaded state dict has a different number of parameter groups: "
                f"the optimizer has {len(groups)}, the state dict has {len(saved_groups)}"
            )
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    f"of optimizer's group (group {i}: the optimizer has {len(g['params'])} "
                    f"parameters, the state dict has {len(s['params'])})"
                )
        id_map = {}
        for g, s in zip(groups, saved_groups):
            for saved_id, p in zip(s["params"], g["params"]):
                id_map[saved_id] = p
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if isinstance(k, str) and k.isdigit():
                k = int(k)  # a state dict that went through JSON has string keys
            if k in id_map:
                p = id_map[k]
                state[p] = _cast_state(p, v)
            else:
                state[k] = v
        new_groups = []
        for g, s in zip(groups, saved_groups):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            for name, default in self.defaults.items():
                if default is not required:
                    s.setdefault(name, default)
            new_groups.append(s)
        self.state = state
        self.param_groups = new_groups
        self._restore_defaults()
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)

    def _restore_defaults(self) -> None:
        """Hook for subclasses to normalise loaded groups and state (e.g. AdamW forces
        ``decoupled_weight_decay``)."""

    # ------------------------------------------------------------------ python protocol
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            self.__dict__.setdefault(name, OrderedDict())
        self.__dict__.setdefault("_scratch_bufs", {})

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _cast_state(p: Tensor, value: Any, key: Any = None) -> Any:
    """Deep-copy a loaded state value, moving tensors to ``p``'s device and casting
    them to ``p``'s dtype when it is floating; the step counter (a tensor or a plain
    number in the dict) becomes a float32 CPU tensor, as PyTorch keeps it."""
    if key == "step":  # the counter stays a float32 CPU scalar (read every step)
        return autograd.tensor(float(value), dtype=autograd.float32, device="cpu")
    if isinstance(value, Tensor):
        dtype = p.dtype if p.is_floating_point() else value.dtype
        arr = backend.to_device(value._data, p.device)
        xp = backend.xp_of(arr)
        return autograd.as_tensor(xp.array(arr, dtype=dtype, copy=True))
    if isinstance(value, dict):
        return {k: _cast_state(p, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(p, v) for v in value)
    return deepcopy(value)
