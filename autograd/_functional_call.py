"""``functional_call``: run a module with some parameters and buffers swapped for
given tensors (``torch.func.functional_call``), so transforms can differentiate a model
with respect to its parameters as ordinary function arguments.

Example:
    >>> import autograd
    >>> from autograd.func import functional_call
    >>> lin = autograd.nn.Linear(1, 1, bias=False)
    >>> functional_call(lin, {"weight": autograd.tensor([[2.0]])}, (autograd.tensor([[3.0]]),))
    tensor([[6.]])
"""

from __future__ import annotations

from typing import Any

__all__ = ["functional_call"]


def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = None,
                    kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """Call ``module`` with its parameters and buffers replaced by the given tensors
    (looked up by their dotted names); the module is restored afterwards.

    Example:
        >>> import autograd
        >>> from autograd.func import functional_call, grad
        >>> lin = autograd.nn.Linear(2, 1, bias=False)
        >>> w = autograd.ones(1, 2)
        >>> functional_call(lin, {"weight": w}, (autograd.tensor([[1.0, 2.0]]),))
        tensor([[3.]])
    """
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        new = dict(dicts)
    else:
        new = {}
        for d in dicts:
            dup = set(new) & set(d)
            if dup:
                raise ValueError(f"{sorted(dup)} appeared in multiple dictionaries; behavior of "
                                 "functional call is ambiguous")
            new.update(d)
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    kwargs = kwargs or {}
    slots = _named_slots(module)
    unknown = [n for n in new if n not in slots]
    if unknown:
        raise RuntimeError(
            f"functional_call: Unexpected key(s): {', '.join(repr(u) for u in unknown)}; the "
            "module has no parameter or buffer with that name"
        )
    if strict:
        missing = [n for n in slots if n not in new]
        if missing:
            raise RuntimeError(f"functional_call: Missing key(s): "
                               f"{', '.join(repr(m) for m in missing)}.")
    if tie_weights:
        by_id = {id(slots[n][2]): t for n, t in new.items() if slots[n][2] is not None}
        for n, (_, _, orig) in slots.items():
            if n not in new and orig is not None and id(orig) in by_id:
                new[n] = by_id[id(orig)]
    saved = []
    try:
        for n, t in new.items():
            owner, store, orig = slots[n]
            leaf = n.rsplit(".", 1)[-1]
            saved.append((owner, store, leaf, orig))
            getattr(owner, store)[leaf] = t
        return module(*args, **kwargs)
    finally:
        for owner, store, leaf, orig in reversed(saved):
            getattr(owner, store)[leaf] = orig


def _named_slots(module: Any, prefix: str = "") -> dict:
    """``name -> (owning module, '_parameters' | '_buffers', current tensor)``."""
    out = {}
    for store in ("_parameters", "_buffers"):
        for name, t in getattr(module, store, {}).items():
            out[prefix + name] = (module, store, t)
    for name, child in getattr(module, "_modules", {}).items():
        if child is not None:
            out.update(_named_slots(child, f"{prefix}{name}."))
    return out
