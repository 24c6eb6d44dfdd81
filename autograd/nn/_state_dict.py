"""``state_dict`` / ``load_state_dict`` for ``Module`` (a mixin, kept apart from the
rest of Module by concern): ordered, detached parameters and persistent buffers out;
strict loading that reports every missing, unexpected and mis-shaped key at once.

Example:
    >>> from autograd import nn
    >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    >>> b.load_state_dict(a.state_dict())
    <All keys matched successfully>
"""

from __future__ import annotations

import collections
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from ..grad_mode import no_grad
from ..tensor import Tensor
from .parameter import Parameter

__all__ = ["StateDictMixin"]


class _IncompatibleKeys(collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it did not find and did not expect."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class StateDictMixin:
    """The state-dict half of ``Module``; it relies on Module's ``_parameters``,
    ``_buffers``, ``_non_persistent_buffers_set`` and ``_modules``."""

    _parameters: dict
    _buffers: dict
    _non_persistent_buffers_set: set
    _modules: dict

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()

    def state_dict(self, *, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> dict[str, Tensor]:
        """An ordered mapping from dotted names to (detached) parameters and persistent
        buffers."""
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict: Mapping, prefix: str, strict: bool,
                              missing: list, unexpected: list, errors: list, assign: bool) -> None:
        persistent = {k: v for k, v in self._buffers.items()
                      if k not in self._non_persistent_buffers_set}
        local = {k: v for k, v in {**self._parameters, **persistent}.items() if v is not None}
        for name, param in local.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                errors.append(
                    f'While copying the parameter named "{key}", expected Tensor or Tensor-like '
                    f"object from checkpoint but received {type(value).__name__}"
                )
                continue
            if tuple(value.shape) != tuple(param.shape):
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {list(value.shape)} "
                    f"from checkpoint, the shape in current model is {list(param.shape)}."
                )
                continue
            try:
                with no_grad():
                    if assign:
                        if isinstance(param, Parameter):
                            new = value if isinstance(value, Parameter) else \
                                Parameter(value, requires_grad=param.requires_grad)
                            setattr(self, name, new)
                        else:
                            setattr(self, name, value)
                    else:  # across devices: the state moves to where the module lives
                        param.copy_(value.to(param.device) if isinstance(value, Tensor) else value)
            except Exception as e:  # report every problem at once, as PyTorch does
                errors.append(
                    f'While copying the parameter named "{key}", whose dimensions in the model '
                    f"are {list(param.shape)} and whose dimensions in the checkpoint are "
                    f"{list(value.shape)}, an exception occurred : {e.args}."
                )
        if strict:
            for key in state_dict:
                if not key.startswith(prefix):
                    continue
                parts = key[len(prefix):].split(".", 1)
                if len(parts) > 1:
                    if parts[0] not in self._modules:
                        unexpected.append(key)
                elif parts[0] not in local:
                    unexpected.append(key)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:
        """Copy parameters and persistent buffers from ``state_dict`` into this module.

        With ``strict=True`` every key must match; all problems (missing, unexpected,
        size mismatch) are reported in one RuntimeError. Returns
        ``(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        missing: list[str] = []
        unexpected: list[str] = []
        errors: list[str] = []

        def load(module: Any, local_sd: Mapping, prefix: str) -> None:
            module._load_from_state_dict(local_sd, prefix, True, missing, unexpected, errors, assign)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    child_sd = {k: v for k, v in local_sd.items() if k.startswith(child_prefix)}
                    load(child, child_sd, child_prefix)

        load(self, dict(state_dict), "")
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)
