"""Parallel styles: how ``parallelize_module`` shards one module (mirrors
``torch.distributed.tensor.parallel.style``).

Parameters become their local shards: plain ``nn.Parameter``s, so optimizers, DDP and
``state_dict`` work on them unchanged. Each carries its layout (``as_dtensor(p)`` gives
the DTensor view; checkpoints use it). The module's forward runs on local tensors; a
forward pre-hook turns the inputs into the layout the module needs and a forward hook
labels and redistributes the output, Megatron-style:

- ``ColwiseParallel``: weight rows (output features) sharded; input Replicate, output
  Shard(-1). The input's gradient is all-reduced in backward.
- ``RowwiseParallel``: weight columns (input features) sharded; input Shard(-1); the
  local products are partial sums, reduced to the output layout (all-reduce to
  Replicate, or reduce-scatter to a Shard), then the Replicate bias is added once.
- ``SequenceParallel``: norm/dropout layers run on sequence shards; their replicated
  parameters' gradients are all-reduced.
- ``PrepareModuleInput`` / ``PrepareModuleOutput``: only convert layouts.
"""

from __future__ import annotations

import types
from typing import Any

import autograd.nn.functional as F
from autograd import nn
from autograd.tensor import Tensor

from ..device_mesh import DeviceMesh
from ..dtensor import DTensor, distribute_tensor
from ..placement import Partial, Placement, Replicate, Shard
from ..redistribute import PartialToReplicate

__all__ = ["ParallelStyle", "ColwiseParallel", "RowwiseParallel", "SequenceParallel",
           "PrepareModuleInput", "PrepareModuleOutput", "as_dtensor"]


def as_dtensor(param: Tensor) -> DTensor:
    """The DTensor view of a parameter sharded by ``parallelize_module`` (it wraps the
    parameter itself: ``.grad``, ``.full_tensor()`` and ``.to_local()`` work).

    Example:
        >>> import parallel
        >>> from autograd import nn
        >>> from dtensor import init_device_mesh
        >>> from dtensor.parallel import parallelize_module, ColwiseParallel, as_dtensor
        >>> mesh = init_device_mesh("cpu", (1,))
        >>> lin = parallelize_module(nn.Linear(3, 4), mesh, ColwiseParallel())
        >>> as_dtensor(lin.weight).placements
        (Shard(dim=0),)
        >>> parallel.destroy_process_group()
    """
    spec = getattr(param, "_dtensor_spec", None)
    if spec is None:
        raise ValueError(
            f"as_dtensor: this tensor (shape {list(param.shape)}) was not sharded by "
            "parallelize_module; build a DTensor with DTensor.from_local(t, mesh, placements)"
        )
    return DTensor(param, spec)


def _distribute_param(module: nn.Module, name: str, mesh: DeviceMesh, placement: Placement,
                      src_data_rank: int | None) -> None:
    p = getattr(module, name)
    if p is None:
        return
    dt = distribute_tensor(p.detach(), mesh, [placement], src_data_rank=src_data_rank)
    new = nn.Parameter(dt.to_local(), requires_grad=p.requires_grad)
    new._dtensor_spec = dt._spec
    setattr(module, name, new)


def _to_dtensor(x: Any, mesh: DeviceMesh, layout: Placement) -> DTensor:
    if isinstance(x, DTensor):
        return x
    if not isinstance(x, Tensor):
        raise TypeError(f"tensor parallel input must be a Tensor or DTensor, got {type(x).__name__}")
    return DTensor.from_local(x, mesh, [layout])


def _one(layout: Any, default: Placement, what: str) -> Placement:
    if layout is None:
        return default
    if isinstance(layout, (tuple, list)):
        if len(layout) != 1:
            raise ValueError(f"{what}: expected one placement for a 1-D mesh, got {layout}")
        layout = layout[0]
    if not isinstance(layout, Placement):
        raise TypeError(f"{what}: expected a Placement, got {layout!r}")
    return layout


class ParallelStyle:
    """Base class: ``_apply(module, device_mesh)`` parallelizes ``module`` in place."""

    src_data_rank: int | None = 0

    def _apply(self, module: nn.Module, device_mesh: DeviceMesh) -> nn.Module:
        raise TypeError(f"{type(self).__name__} must implement _apply(module, device_mesh)")


class ColwiseParallel(ParallelStyle):
    """Shard an ``nn.Linear``'s output features (weight ``Shard(0)``, bias ``Shard(0)``)
    or an ``nn.Embedding``'s embedding dim (weight ``Shard(1)``).

    Args:
        input_layouts: layout of the input when it is a plain Tensor (default Replicate).
        output_layouts: layout of the output (default ``Shard(-1)``).
        use_local_output: return the local Tensor (default) instead of a DTensor.

    Example:
        >>> import autograd, parallel
        >>> from autograd import nn
        >>> from dtensor import init_device_mesh
        >>> from dtensor.parallel import parallelize_module, ColwiseParallel
        >>> def work(rank):
        ...     parallel.init_process_group("threads")
        ...     autograd.manual_seed(0)
        ...     lin = parallelize_module(nn.Linear(3, 4), init_device_mesh("cpu", (2,)), ColwiseParallel())
        ...     return tuple(lin.weight.shape), tuple(lin(autograd.ones(5, 3)).shape)
        >>> parallel.spawn(work, nprocs=2)
        [((2, 3), (5, 2)), ((2, 3), (5, 2))]
    """

    def __init__(self, *, input_layouts: Placement | None = None,
                 output_layouts: Placement | None = None, use_local_output: bool = True) -> None:
        self.input_layouts = (_one(input_layouts, Replicate(), "ColwiseParallel"),)
        self.output_layouts = (_one(output_layouts, Shard(-1), "ColwiseParallel"),)
        self.desired_input_layouts = (Replicate(),)
        self.use_local_output = use_local_output

    def _apply(self, module: nn.Module, device_mesh: DeviceMesh) -> nn.Module:
        if isinstance(module, nn.Linear):
            _distribute_param(module, "weight", device_mesh, Shard(0), self.src_data_rank)
            _distribute_param(module, "bias", device_mesh, Shard(0), self.src_data_rank)
            features = module.out_features
        elif isinstance(module, nn.Embedding):
            _distribute_param(module, "weight", device_mesh, Shard(1), self.src_data_rank)
            features = module.embedding_dim
        else:
            raise NotImplementedError(
                f"ColwiseParallel currently only supports nn.Linear and nn.Embedding, got "
                f"{type(module).__name__}"
            )
        differentiable_input = isinstance(module, nn.Linear)

        def pre(mod: nn.Module, args: tuple) -> tuple:
            dt = _to_dtensor(args[0], device_mesh, self.input_layouts[0])
            dt = dt.redistribute(device_mesh, self.desired_input_layouts)
            # every rank uses the whole input for its columns: the input's local
            # gradients are partial sums, reduced in backward
            grad = [Partial()] if differentiable_input else None
            return (dt.to_local(grad_placements=grad),) + tuple(args[1:])

        def post(mod: nn.Module, args: tuple, out: Tensor) -> Any:
            shape = tuple(out.shape[:-1]) + (features,)
            dt = DTensor.from_local(out, device_mesh, [Shard(out.ndim - 1)], shape=shape)
            dt = dt.redistribute(device_mesh, self.output_layouts)
            return dt.to_local() if self.use_local_output else dt

        module.register_forward_pre_hook(pre)
        module.register_forward_hook(post)
        return module

    def __repr__(self) -> str:
        return (f"ColwiseParallel(input_layouts={self.input_layouts}, "
                f"output_layouts={self.output_layouts}, use_local_output={self.use_local_output})")


def _rowwise_linear_forward(self: nn.Linear, input: Tensor) -> Tensor:
    # the bias is added after the partial sums are reduced (RowwiseParallel's hook)
    return F.linear(input, self.weight)


def _rowwise_embedding_forward(self: nn.Embedding, input: Tensor) -> Tensor:
    lo, size = self._tp_vocab_range
    outside = (input < lo) | (input >= lo + size)
    local_ids = (input - lo).masked_fill(outside, 0)
    pad = self.padding_idx
    pad = pad - lo if pad is not None and lo <= pad < lo + size else None
    out = F.embedding(local_ids, self.weight, pad, self.max_norm, self.norm_type,
                      self.scale_grad_by_freq, self.sparse)
    return out.masked_fill(outside.unsqueeze(-1), 0.0)


class RowwiseParallel(ParallelStyle):
    """Shard an ``nn.Linear``'s input features (weight ``Shard(1)``, bias Replicate) or
    an ``nn.Embedding``'s vocabulary (weight ``Shard(0)``, out-of-range ids give zeros).

    Args:
        input_layouts: layout of a plain Tensor input (default ``Shard(-1)``; Embedding:
            Replicate).
        output_layouts: layout of the output (default Replicate: all-reduce; a
            ``Shard(d)`` reduce-scatters, as sequence parallelism wants).
        use_local_output: return the local Tensor (default) instead of a DTensor.
    """

    def __init__(self, *, input_layouts: Placement | None = None,
                 output_layouts: Placement | None = None, use_local_output: bool = True) -> None:
        self.input_layouts = (_one(input_layouts, Shard(-1), "RowwiseParallel"),)
        self.output_layouts = (_one(output_layouts, Replicate(), "RowwiseParallel"),)
        self.desired_input_layouts = (Shard(-1),)
        self.use_local_output = use_local_output
        self._explicit_input = input_layouts is not None

    def _apply(self, module: nn.Module, device_mesh: DeviceMesh) -> nn.Module:
        if isinstance(module, nn.Linear):
            _distribute_param(module, "weight", device_mesh, Shard(1), self.src_data_rank)
            _distribute_param(module, "bias", device_mesh, Replicate(), self.src_data_rank)
            module.forward = types.MethodType(_rowwise_linear_forward, module)
            features = module.out_features
            desired = self.desired_input_layouts
            layouts = self.input_layouts
        elif isinstance(module, nn.Embedding):
            _distribute_param(module, "weight", device_mesh, Shard(0), self.src_data_rank)
            spec = module.weight._dtensor_spec
            _, offset = spec.local_shape_and_offset()
            module._tp_vocab_range = (offset[0], module.weight.shape[0])
            module.forward = types.MethodType(_rowwise_embedding_forward, module)
            features = module.embedding_dim
            desired = (Replicate(),)
            layouts = self.input_layouts if self._explicit_input else (Replicate(),)
        else:
            raise NotImplementedError(
                f"RowwiseParallel currently only supports nn.Linear and nn.Embedding, got "
                f"{type(module).__name__}"
            )

        def pre(mod: nn.Module, args: tuple) -> tuple:
            dt = _to_dtensor(args[0], device_mesh, layouts[0])
            if isinstance(mod, nn.Linear) and dt.ndim > 0:
                dt = dt.redistribute(device_mesh, [Shard(dt.ndim - 1)])
            else:
                dt = dt.redistribute(device_mesh, desired)
            return (dt.to_local(),) + tuple(args[1:])

        def post(mod: nn.Module, args: tuple, out: Tensor) -> Any:
            shape = tuple(out.shape[:-1]) + (features,)
            dt = DTensor.from_local(out, device_mesh, [Partial()], shape=shape)
            dt = dt.redistribute(device_mesh, self.output_layouts)
            bias = getattr(mod, "bias", None) if isinstance(mod, nn.Linear) else None
            if bias is not None:
                dt = dt + DTensor.from_local(bias, device_mesh, [Replicate()])
            return dt.to_local() if self.use_local_output else dt

        module.register_forward_pre_hook(pre)
        module.register_forward_hook(post)
        return module

    def __repr__(self) -> str:
        return (f"RowwiseParallel(input_layouts={self.input_layouts}, "
                f"output_layouts={self.output_layouts}, use_local_output={self.use_local_output})")


class SequenceParallel(ParallelStyle):
    """Run a module (LayerNorm, RMSNorm, Dropout, …) on sequence shards: the input and
    output are ``Shard(sequence_dim)``; parameters stay replicated and their gradients
    are all-reduced over the mesh.

    Args:
        sequence_dim: the sharded dim (default 1).
        use_local_output: return the local Tensor instead of a DTensor (default False).
    """

    def __init__(self, *, sequence_dim: int = 1, use_local_output: bool = False) -> None:
        self.sequence_sharding = (Shard(sequence_dim),)
        self.use_local_output = use_local_output

    def _apply(self, module: nn.Module, device_mesh: DeviceMesh) -> nn.Module:
        comm = device_mesh._comm(0)
        for name, p in list(module.named_parameters(recurse=False)):
            _distribute_param(module, name, device_mesh, Replicate(), self.src_data_rank)
            p = getattr(module, name)
            if p.requires_grad and comm.size > 1:
                p.register_hook(lambda g: PartialToReplicate.apply(g, comm, "sum"))
        layout = self.sequence_sharding[0]
        shapes: list[tuple] = []

        def pre(mod: nn.Module, args: tuple) -> tuple:
            dt = _to_dtensor(args[0], device_mesh, layout)
            dt = dt.redistribute(device_mesh, self.sequence_sharding)
            shapes.append(dt.shape)
            return (dt.to_local(),) + tuple(args[1:])

        def post(mod: nn.Module, args: tuple, out: Tensor) -> Any:
            shape = shapes.pop()
            dt = DTensor.from_local(out, device_mesh, list(self.sequence_sharding), shape=shape)
            return dt.to_local() if self.use_local_output else dt

        module.register_forward_pre_hook(pre)
        module.register_forward_hook(post)
        return module


def _layouts(layouts: Any) -> tuple:
    if layouts is None:
        return ()
    return tuple(layouts) if isinstance(layouts, (tuple, list)) else (layouts,)


class PrepareModuleInput(ParallelStyle):
    """Convert a module's positional (and keyword) inputs from ``input_layouts`` to
    ``desired_input_layouts`` before its forward (None entries are left alone).
    ``use_local_output`` passes local Tensors instead of DTensors."""

    def __init__(self, *, input_layouts: Any = None, desired_input_layouts: Any = None,
                 input_kwarg_layouts: dict[str, Placement] | None = None,
                 desired_input_kwarg_layouts: dict[str, Placement] | None = None,
                 use_local_output: bool = False) -> None:
        self.input_layouts = _layouts(input_layouts)
        self.desired_input_layouts = _layouts(desired_input_layouts)
        if len(self.input_layouts) != len(self.desired_input_layouts):
            raise ValueError(
                f"PrepareModuleInput: input_layouts {self.input_layouts} and "
                f"desired_input_layouts {self.desired_input_layouts} must have the same length"
            )
        self.input_kwarg_layouts = dict(input_kwarg_layouts or {})
        self.desired_input_kwarg_layouts = dict(desired_input_kwarg_layouts or {})
        self.use_local_output = use_local_output

    def _convert(self, x: Any, layout: Placement | None, desired: Placement | None,
                 mesh: DeviceMesh) -> Any:
        if layout is None or desired is None or not isinstance(x, (Tensor, DTensor)):
            return x
        dt = _to_dtensor(x, mesh, layout).redistribute(mesh, [desired])
        return dt.to_local() if self.use_local_output else dt

    def _apply(self, module: nn.Module, device_mesh: DeviceMesh) -> nn.Module:
        def pre(mod: nn.Module, args: tuple, kwargs: dict) -> tuple:
            new = list(args)
            for i, (lay, want) in enumerate(zip(self.input_layouts, self.desired_input_layouts)):
                if i < len(new):
                    new[i] = self._convert(new[i], lay, want, device_mesh)
            kw = dict(kwargs)
            for k, lay in self.input_kwarg_layouts.items():
                if k in kw:
                    kw[k] = self._convert(kw[k], lay, self.desired_input_kwarg_layouts.get(k), device_mesh)
            return tuple(new), kw

        module.register_forward_pre_hook(pre, with_kwargs=True)
        return module


class PrepareModuleOutput(ParallelStyle):
    """Convert a module's output(s) from ``output_layouts`` to
    ``desired_output_layouts`` after its forward; ``use_local_output`` (default True)
    returns local Tensors."""

    def __init__(self, *, output_layouts: Any, desired_output_layouts: Any,
                 use_local_output: bool = True) -> None:
        self.output_layouts = _layouts(output_layouts)
        self.desired_output_layouts = _layouts(desired_output_layouts)
        if len(self.output_layouts) != len(self.desired_output_layouts):
            raise ValueError(
                "PrepareModuleOutput: output_layouts and desired_output_layouts must have "
                "the same length"
            )
        self.use_local_output = use_local_output

    def _apply(self, module: nn.Module, device_mesh: DeviceMesh) -> nn.Module:
        def post(mod: nn.Module, args: tuple, out: Any) -> Any:
            single = not isinstance(out, tuple)
            outs = [out] if single else list(out)
            for i, (lay, want) in enumerate(zip(self.output_layouts, self.desired_output_layouts)):
                if i < len(outs) and lay is not None and isinstance(outs[i], (Tensor, DTensor)):
                    dt = _to_dtensor(outs[i], device_mesh, lay).redistribute(device_mesh, [want])
                    outs[i] = dt.to_local() if self.use_local_output else dt
            return outs[0] if single else tuple(outs)

        module.register_forward_hook(post)
        return module

