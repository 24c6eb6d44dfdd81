"""Checkpoints of DTensor state that reshard on load (mirrors
``torch.distributed.checkpoint``: ``save``/``load`` and the ``state_dict`` helpers).

A checkpoint is a directory::

    ckpt/
      metadata.json       format version, world size, the state's tree (placements, mesh
                          shape, shape and dtype of every tensor; other values inline),
                          size + sha256 of the data file
      data.safetensors    every tensor as its logical (full) value

DTensors are saved whole (gathered, Partial values reduced) with their placements as
metadata, so a checkpoint written at one world size or mesh loads at any other: each
rank takes the chunk its own DTensors need. Rank 0 writes into a temporary directory,
fsyncs, and renames it into place (an existing checkpoint is replaced only once the new
one is complete); loading checks size and sha256 before touching any state. Only
safetensors and JSON are read: never pickle.

Example:
    >>> import tempfile, autograd, parallel
    >>> from dtensor import checkpoint, distribute_tensor, init_device_mesh, Shard
    >>> mesh = init_device_mesh("cpu", (1,))
    >>> d = tempfile.mkdtemp() + "/ck"
    >>> w = distribute_tensor(autograd.arange(4.0), mesh, [Shard(0)])
    >>> _ = checkpoint.save({"w": w, "step": 3}, checkpoint_id=d)
    >>> state = {"w": distribute_tensor(autograd.zeros(4), mesh, [Shard(0)]), "step": 0}
    >>> checkpoint.load(state, checkpoint_id=d)
    >>> state["w"].full_tensor().tolist(), state["step"]
    ([0.0, 1.0, 2.0, 3.0], 3)
    >>> parallel.destroy_process_group()
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import uuid
from collections import namedtuple
from pathlib import Path
from typing import Any

import autograd
import parallel
from autograd import backend, nn
from autograd.tensor import Tensor, _wrap

from ._spec import DTensorSpec, TensorMeta
from .dtensor import DTensor
from .placement import Replicate
from .redistribute import redistribute_local

__all__ = ["save", "load", "CheckpointError", "get_model_state_dict", "set_model_state_dict",
           "get_optimizer_state_dict", "set_optimizer_state_dict", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_DATA = "data.safetensors"
_META = "metadata.json"
_np = backend.numpy

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class CheckpointError(RuntimeError):
    """A checkpoint could not be written, found, or trusted, or does not fit the state."""


def _group(process_group: Any) -> Any:
    if process_group is not None:
        return process_group
    if not parallel.is_initialized():
        parallel.init_process_group()
    return parallel.default_group()


# ----------------------------------------------------------------------------- encoding


def _host(t: Tensor) -> Any:
    return _np.asarray(backend.to_device(t.detach()._data, backend.CPU), order="C")


def _encode(obj: Any, arrays: dict[str, Any], path: str) -> Any:
    """The JSON tree of ``obj``; tensors go to ``arrays`` (DTensors gathered whole —
    collective, so every rank walks the same state in the same order)."""
    if isinstance(obj, DTensor):
        arrays[path] = _host(obj.full_tensor())
        mesh = obj.device_mesh
        return {"__dtensor__": path, "shape": list(obj.shape), "dtype": str(obj.dtype),
                "placements": [str(p) for p in obj.placements], "mesh_shape": list(mesh.shape),
                "mesh_dim_names": None if mesh.mesh_dim_names is None else list(mesh.mesh_dim_names)}
    if isinstance(obj, Tensor):
        arrays[path] = _host(obj)
        return {"__tensor__": path, "shape": list(obj.shape), "dtype": str(obj.dtype)}
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: _encode(v, arrays, f"{path}.{k}" if path else k) for k, v in obj.items()}
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise CheckpointError(f"checkpoint: dict keys must be str or int, got {k!r} at {path!r}")
            items.append([k, _encode(v, arrays, f"{path}.{k}" if path else str(k))])
        return {"__items__": items}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays, f"{path}.{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_encode(v, arrays, f"{path}.{i}") for i, v in enumerate(obj)]
    if isinstance(obj, float) and not math.isfinite(obj):
        return {"__float__": repr(obj)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise CheckpointError(
        f"checkpoint: cannot store a value of type {type(obj).__name__} at {path!r}; state "
        "must be DTensors, tensors, numbers, strings, None, and lists/tuples/dicts of those"
    )


def _tree(node: Any) -> Any:
    """JSON tree -> Python structure with tensor leaves left as their tagged dicts."""
    if isinstance(node, list):
        return [_tree(v) for v in node]
    if not isinstance(node, dict):
        return node
    if "__dtensor__" in node or "__tensor__" in node:
        return node
    if "__items__" in node:
        return {k: _tree(v) for k, v in node["__items__"]}
    if "__tuple__" in node:
        return tuple(_tree(v) for v in node["__tuple__"])
    if "__float__" in node:
        return float(node["__float__"])
    return {k: _tree(v) for k, v in node.items()}


def _is_leaf(node: Any) -> bool:
    return isinstance(node, dict) and ("__dtensor__" in node or "__tensor__" in node)


def _value(node: Any, arrays: dict[str, Any]) -> Any:
    """A saved node as a plain value (tensors become full Tensors)."""
    if _is_leaf(node):
        return autograd.as_tensor(_array(arrays, node).copy())
    if isinstance(node, dict):
        return {k: _value(v, arrays) for k, v in node.items()}
    if isinstance(node, list):
        return [_value(v, arrays) for v in node]
    if isinstance(node, tuple):
        return tuple(_value(v, arrays) for v in node)
    return node


def _array(arrays: dict[str, Any], node: dict) -> Any:
    key = node.get("__dtensor__", node.get("__tensor__"))
    if key not in arrays:
        raise CheckpointError(f"checkpoint: the metadata refers to a missing tensor {key!r}")
    return arrays[key]


# ----------------------------------------------------------------------------- files


def _write(path: Path, data: bytes) -> dict[str, Any]:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read(path: Path) -> tuple[dict, dict[str, Any]]:
    meta_path = path / _META
    try:
        meta = json.loads(meta_path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {path}: no {_META} (not a dtensor checkpoint, or "
                              "an unfinished one)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"checkpoint {path}: {_META} is not valid JSON: {e}") from None
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {path}: unsupported format version "
            f"{meta.get('format_version') if isinstance(meta, dict) else '?'} (expected {FORMAT_VERSION})"
        )
    expect = meta["files"][_DATA]
    try:
        data = (path / _DATA).read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {path}: missing {_DATA}") from None
    if len(data) != expect["size"]:
        raise CheckpointError(
            f"checkpoint {path}: {_DATA} truncated or resized ({len(data)} of {expect['size']} bytes)"
        )
    if hashlib.sha256(data).hexdigest() != expect["sha256"]:
        raise CheckpointError(
            f"checkpoint {path}: sha256 mismatch for {_DATA} (the file is corrupted or was modified)"
        )
    from safetensors.numpy import load as st_load

    try:
        arrays = st_load(data)
    except Exception as e:  # the bytes passed the hash check: a format error
        raise CheckpointError(f"checkpoint {path}: {_DATA} is not a valid safetensors file: {e}") from None
    arrays.pop("__empty__", None)
    return meta, arrays


# ----------------------------------------------------------------------------- save / load


def save(state_dict: dict[str, Any], *, checkpoint_id: str | os.PathLike,
         process_group: Any = None) -> Path:
    """Write ``state_dict`` (DTensors, tensors, numbers, strings, nested dicts/lists) as a
    checkpoint directory ``checkpoint_id``. Every rank must call it; rank 0 writes."""
    from safetensors.numpy import save as st_save

    pg = _group(process_group)
    comm = pg.comm
    arrays: dict[str, Any] = {}
    error = None
    try:
        tree = _encode(state_dict, arrays, "")
    except CheckpointError as e:
        error = str(e)
    errors = [e for e in comm.allgather_object(error) if e]
    if errors:
        raise CheckpointError(errors[0])
    final = Path(checkpoint_id)
    token = comm.bcast_object(uuid.uuid4().hex[:12] if comm.rank == 0 else None, 0)
    if comm.rank == 0:
        tmp = final.parent / f".{final.name}.tmp-{token}"
        old = final.parent / f".{final.name}.old-{token}"
        try:
            tmp.mkdir(parents=True)
            blob = st_save(arrays) if arrays else st_save({"__empty__": _np.zeros(0, _np.uint8)})
            files = {_DATA: _write(tmp / _DATA, blob)}
            meta = {"format_version": FORMAT_VERSION, "world_size": comm.size, "tree": tree,
                    "files": files}
            _write(tmp / _META, json.dumps(meta, indent=1).encode())
            _fsync_dir(tmp)
            if final.exists():
                os.replace(final, old)
            os.replace(tmp, final)
            _fsync_dir(final.parent)
            shutil.rmtree(old, ignore_errors=True)
        except Exception as e:
            shutil.rmtree(tmp, ignore_errors=True)
            if old.exists() and not final.exists():
                os.replace(old, final)
            error = f"checkpoint {final}: not written: {type(e).__name__}: {e}"
    error = comm.bcast_object(error, 0)
    if error:
        raise CheckpointError(error)
    return final


def _fill_tensor(target: Any, node: Any, arrays: dict[str, Any], path: str) -> None:
    if not _is_leaf(node):
        raise CheckpointError(f"checkpoint: {path!r} is a tensor in the state but not in the checkpoint")
    arr = _array(arrays, node)
    shape = tuple(target.shape)
    if tuple(arr.shape) != shape:
        raise CheckpointError(
            f"checkpoint: {path!r} has shape {list(arr.shape)} in the checkpoint but "
            f"{list(shape)} in the state to load"
        )
    local = target._local_tensor if isinstance(target, DTensor) else target
    full = _wrap(backend.to_device(arr.astype(local._data.dtype, copy=False), backend.device_of(local._data)))
    if isinstance(target, DTensor):
        mesh = target.device_mesh
        with autograd.no_grad():
            full = redistribute_local(full, mesh, (Replicate(),) * mesh.ndim, target.placements, shape)
    if tuple(full.shape) != tuple(local.shape):
        raise CheckpointError(
            f"checkpoint: {path!r}: this rank's part has shape {list(full.shape)}, the local "
            f"tensor {list(local.shape)}"
        )
    local._data[...] = full._data
    local._vc[0] += 1


def _fill(target: Any, node: Any, arrays: dict[str, Any], path: str, missing: list[str]) -> Any:
    """Load ``node`` into ``target`` in place where it holds tensors; return the value
    to store for non-tensor leaves."""
    if isinstance(target, (DTensor, Tensor)):
        _fill_tensor(target, node, arrays, path)
        return target
    if isinstance(target, dict):
        if not isinstance(node, dict) or _is_leaf(node):
            raise CheckpointError(f"checkpoint: {path!r} is a dict in the state but not in the checkpoint")
        for k in list(target):
            sub = f"{path}.{k}" if path else str(k)
            if k not in node:
                missing.append(sub)
                continue
            target[k] = _fill(target[k], node[k], arrays, sub, missing)
        return target
    if isinstance(target, (list, tuple)):
        if not isinstance(node, (list, tuple)) or len(node) != len(target):
            raise CheckpointError(f"checkpoint: {path!r} has a different structure in the checkpoint")
        out = [_fill(t, n, arrays, f"{path}.{i}", missing) for i, (t, n) in enumerate(zip(target, node))]
        return type(target)(out) if isinstance(target, tuple) else out
    return _value(node, arrays)


def load(state_dict: dict[str, Any], *, checkpoint_id: str | os.PathLike,
         process_group: Any = None) -> None:
    """Load a checkpoint into ``state_dict`` in place: DTensors and tensors receive their
    values (each DTensor its own chunk, whatever mesh or world size saved it); other
    values are replaced. Every key of ``state_dict`` must be in the checkpoint. Every
    rank must call it."""
    pg = _group(process_group)
    path = Path(checkpoint_id)
    error = None
    try:
        meta, arrays = _read(path)
        tree = _tree(meta["tree"])
    except CheckpointError as e:
        error = str(e)
    errors = [e for e in pg.comm.allgather_object(error) if e]
    if errors:
        raise CheckpointError(errors[0])
    missing: list[str] = []
    _fill(state_dict, tree, arrays, "", missing)
    if missing:
        raise CheckpointError(
            f"checkpoint {path}: no saved value for {missing} (saved keys: "
            f"{sorted(tree) if isinstance(tree, dict) else '?'})"
        )


# ----------------------------------------------------------------------------- state dict helpers


def _spec_of(p: Tensor) -> DTensorSpec | None:
    return getattr(p, "_dtensor_spec", None)


def get_model_state_dict(model: nn.Module) -> dict[str, Any]:
    """``model.state_dict()`` with the tensor-parallel parameters as DTensors (sharing
    the parameters' memory, so ``load`` fills the model directly)."""
    params = dict(model.named_parameters(remove_duplicate=False))
    out = {}
    for name, value in model.state_dict().items():
        p = params.get(name)
        spec = None if p is None else _spec_of(p)
        out[name] = DTensor(p.detach(), spec) if spec is not None else value
    return out


def _local_value(value: Any, spec: DTensorSpec | None, like: Tensor, what: str) -> Tensor:
    """``value`` (DTensor or full Tensor) as the local tensor of ``spec`` (or whole)."""
    if isinstance(value, DTensor):
        if spec is not None and value.device_mesh == spec.mesh:
            return value.redistribute(spec.mesh, spec.placements).to_local().detach()
        value = value.full_tensor().detach()
    if not isinstance(value, Tensor):
        raise TypeError(f"{what}: expected a Tensor or DTensor, got {type(value).__name__}")
    if spec is None:
        return value.detach()
    mesh = spec.mesh
    if tuple(value.shape) != spec.shape:
        raise ValueError(f"{what}: shape {list(value.shape)} does not match {list(spec.shape)}")
    with autograd.no_grad():
        full = value.detach().to(like.dtype)
        return redistribute_local(full, mesh, (Replicate(),) * mesh.ndim, spec.placements, spec.shape)


def set_model_state_dict(model: nn.Module, model_state_dict: dict[str, Any], *,
                         strict: bool = True) -> IncompatibleKeys:
    """Copy a (DTensor-aware) state dict into ``model``: DTensors are resharded to the
    parameters' layouts, full tensors chunked."""
    targets = dict(model.named_parameters(remove_duplicate=False))
    targets.update(dict(model.named_buffers()))
    missing = [k for k in targets if k not in model_state_dict]
    unexpected = [k for k in model_state_dict if k not in targets]
    if strict and (missing or unexpected):
        raise RuntimeError(
            f"set_model_state_dict: missing keys {missing}, unexpected keys {unexpected}"
        )
    with autograd.no_grad():
        for name, value in model_state_dict.items():
            t = targets.get(name)
            if t is None:
                continue
            local = _local_value(value, _spec_of(t), t, f"set_model_state_dict[{name!r}]")
            if tuple(local.shape) != tuple(t.shape):
                raise ValueError(
                    f"set_model_state_dict[{name!r}]: shape {list(local.shape)} does not match "
                    f"the parameter's {list(t.shape)}"
                )
            if not (isinstance(value, DTensor) and value._local_tensor._data is t._data):
                t._data[...] = local._data.astype(t._data.dtype, copy=False)
                t._vc[0] += 1
    return IncompatibleKeys(missing, unexpected)


def _init_optim_state(optimizer: Any) -> None:
    """Create the optimizer's state (a step with zero gradients and learning rate 0, as
    torch.distributed.checkpoint does) so it can be loaded into."""
    saved_lr = [g.get("lr") for g in optimizer.param_groups]
    saved_grads = {}
    with autograd.no_grad():
        for g in optimizer.param_groups:
            g["lr"] = 0.0
            for p in g["params"]:
                saved_grads[id(p)] = p.grad
                if p.requires_grad and p.grad is None:
                    p.grad = autograd.zeros_like(p)
        optimizer.step()
        for g, lr in zip(optimizer.param_groups, saved_lr):
            g["lr"] = lr
            for p in g["params"]:
                p.grad = saved_grads[id(p)]


def get_optimizer_state_dict(model: nn.Module, optimizers: Any) -> dict[str, Any]:
    """The optimizer state keyed by parameter name; state tensors of tensor-parallel
    parameters are DTensors with the parameter's layout. A fresh optimizer's state is
    created first (zero-gradient, zero-lr step), so the result can be loaded into."""
    opt = optimizers
    names = {id(p): n for n, p in model.named_parameters(remove_duplicate=False)}
    if any(p.requires_grad and p not in opt.state for g in opt.param_groups for p in g["params"]):
        _init_optim_state(opt)
    state: dict[str, Any] = {}
    groups = []
    for g in opt.param_groups:
        groups.append({**{k: v for k, v in g.items() if k != "params"},
                       "params": [names[id(p)] for p in g["params"]]})
        for p in g["params"]:
            spec = _spec_of(p)
            entry = {}
            for k, v in opt.state.get(p, {}).items():
                if spec is not None and isinstance(v, Tensor) and tuple(v.shape) == tuple(p.shape):
                    v = DTensor(v.detach(), DTensorSpec(spec.mesh, spec.placements,
                                                        TensorMeta(spec.shape, spec.stride, v.dtype)))
                entry[k] = v
            state[names[id(p)]] = entry
    return {"state": state, "param_groups": groups}


def set_optimizer_state_dict(model: nn.Module, optimizers: Any,
                             optim_state_dict: dict[str, Any]) -> None:
    """Load a state from :func:`get_optimizer_state_dict` (possibly saved at another
    world size) into ``optimizers``."""
    opt = optimizers
    params = dict(model.named_parameters(remove_duplicate=False))
    index = {}
    for g in opt.param_groups:
        for p in g["params"]:
            index[id(p)] = len(index)
    state = {}
    for name, entry in optim_state_dict["state"].items():
        p = params.get(name)
        if p is None or id(p) not in index:
            raise KeyError(f"set_optimizer_state_dict: no optimized parameter named {name!r}")
        spec = _spec_of(p)
        local = {}
        for k, v in entry.items():
            if isinstance(v, DTensor) or (isinstance(v, Tensor) and spec is not None
                                          and tuple(v.shape) == spec.shape):
                v = _local_value(v, spec, p, f"optimizer state {name}.{k}")
            local[k] = v
        state[index[id(p)]] = local
    groups = []
    for saved in optim_state_dict["param_groups"]:
        groups.append({**{k: v for k, v in saved.items() if k != "params"},
                       "params": [index[id(params[n])] for n in saved["params"]]})
    opt.load_state_dict({"state": state, "param_groups": groups})
