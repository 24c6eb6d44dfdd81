"""Pickle-free encoding of training state: safetensors for arrays, tagged JSON for the
rest, and the file primitives of the checkpoint protocol.

Tagged JSON keeps Python types that plain JSON loses: tensors and arrays become
references into the safetensors file (``{"__tensor__": key}``), tuples, non-string
dict keys and non-finite floats are tagged. Nothing in a checkpoint can name a Python
callable or class: decoding builds only tensors, arrays, dicts, lists, tuples, numbers,
strings and None, so loading a hostile checkpoint cannot run code.

The safetensors header is checked here before the library sees the bytes: its length,
that it is a JSON object, and that every tensor's dtype, shape and byte range agree with
each other and with the file (a header that lies about sizes is refused, whatever the
hash in the manifest says).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

import autograd
from autograd.tensor import Tensor, _wrap

__all__ = ["CheckpointError", "encode", "decode", "safetensors_bytes", "load_safetensors",
           "write_file", "fsync_dir", "sha256_file", "snapshot", "restore_snapshot"]


class CheckpointError(RuntimeError):
    """A checkpoint could not be written, found, or trusted."""


_TAGS = ("__tensor__", "__array__", "__tuple__", "__items__", "__float__", "__dtype__")

# safetensors dtype names -> bytes per element (the formats numpy can hold)
_ST_ITEMSIZE = {"BOOL": 1, "U8": 1, "I8": 1, "U16": 2, "I16": 2, "F16": 2, "BF16": 2,
                "U32": 4, "I32": 4, "F32": 4, "U64": 8, "I64": 8, "F64": 8}
_MAX_HEADER = 100 * 1024 * 1024


# ----------------------------------------------------------------------------- encoding


def _to_host(arr: Any) -> np.ndarray:
    return np.ascontiguousarray(autograd.backend.to_device(arr, autograd.backend.CPU))


def _free_key(arrays: dict[str, np.ndarray], path: str) -> str:
    """``path``, made unique (dict keys containing dots can spell the same path twice)."""
    key, i = path, 1
    while key in arrays:
        key, i = f"{path}#{i}", i + 1
    return key


def encode(obj: Any, arrays: dict[str, np.ndarray], path: str) -> Any:
    """``obj`` as tagged JSON; its arrays are added to ``arrays`` under keys from ``path``.

    Example:
        >>> arrays = {}
        >>> encode({"w": np.ones(2), "shape": (2, 3)}, arrays, "m")
        {'w': {'__array__': 'm.w'}, 'shape': {'__tuple__': [2, 3]}}
        >>> list(arrays)
        ['m.w']
    """
    if isinstance(obj, Tensor):
        key = _free_key(arrays, path)
        arrays[key] = _to_host(obj.detach()._data)
        return {"__tensor__": key, "device": str(obj.device), "requires_grad": obj.requires_grad}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "OUSVMm" or obj.dtype.names:
            raise CheckpointError(
                f"checkpoint: cannot store an array of dtype {obj.dtype} at {path!r}: only "
                "numeric and bool arrays are stored (no pickled objects)"
            )
        key = _free_key(arrays, path)
        arrays[key] = np.ascontiguousarray(obj)
        return {"__array__": key}
    if isinstance(obj, np.generic):
        return encode(obj.item(), arrays, path)
    if isinstance(obj, dict):
        if all(isinstance(k, str) and k not in _TAGS for k in obj):
            return {k: encode(v, arrays, f"{path}.{k}") for k, v in obj.items()}
        return {"__items__": [[encode(k, arrays, f"{path}.k{i}"), encode(v, arrays, f"{path}.{i}")]
                              for i, (k, v) in enumerate(obj.items())]}
    if isinstance(obj, tuple):
        return {"__tuple__": [encode(v, arrays, f"{path}.{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [encode(v, arrays, f"{path}.{i}") for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}
    if isinstance(obj, np.dtype):
        return {"__dtype__": str(obj)}
    raise CheckpointError(
        f"checkpoint: cannot store a value of type {type(obj).__name__} at {path!r}; state "
        "must be tensors, arrays, numbers, strings, None, and lists/tuples/dicts of those"
    )


def decode(obj: Any, arrays: dict[str, np.ndarray], name: str = "checkpoint") -> Any:
    """Inverse of :func:`encode`; a reference to a missing array or a malformed tag is a
    ``CheckpointError`` naming ``name``."""
    try:
        return _decode(obj, arrays)
    except RecursionError:
        raise CheckpointError(f"checkpoint: {name} is nested too deeply") from None
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"checkpoint: {name} is malformed: {type(e).__name__}: {e}") from None


def _decode(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__tensor__" in obj:
        arr = _array(arrays, obj["__tensor__"])
        device = autograd.backend.device(str(obj.get("device", "cpu")))
        if device.type != "cpu" and not autograd.backend.cuda_available():
            device = autograd.backend.CPU  # saved on a GPU, resumed on a CPU-only machine
        t = _wrap(autograd.backend.to_device(arr.copy(), device))
        if obj.get("requires_grad") is True:
            t.requires_grad_(True)
        return t
    if "__array__" in obj:
        return _array(arrays, obj["__array__"]).copy()
    if "__tuple__" in obj:
        return tuple(_decode(v, arrays) for v in obj["__tuple__"])
    if "__items__" in obj:
        return {_hashable(_decode(k, arrays)): _decode(v, arrays) for k, v in obj["__items__"]}
    if "__float__" in obj:
        text = str(obj["__float__"])
        if text not in ("inf", "-inf", "nan"):
            raise ValueError(f"bad non-finite float {text!r}")
        return float(text)
    if "__dtype__" in obj:
        dt = np.dtype(str(obj["__dtype__"]))
        if dt.kind in "OV":
            raise ValueError(f"refusing dtype {dt}")
        return dt
    return {k: _decode(v, arrays) for k, v in obj.items()}


def _hashable(key: Any) -> Any:
    if isinstance(key, (list, dict)) or hasattr(key, "shape"):
        raise ValueError(f"a dict key decodes to an unhashable {type(key).__name__}")
    return key


def _array(arrays: dict[str, np.ndarray], key: Any) -> np.ndarray:
    if not isinstance(key, str) or key not in arrays:
        raise KeyError(f"reference to a missing array {key!r}")
    return arrays[key]


def snapshot(state: Any) -> tuple[Any, dict[str, np.ndarray]]:
    """A deep copy of ``state`` (for rolling back a failed load)."""
    arrays: dict[str, np.ndarray] = {}
    tree = encode(state, arrays, "s")
    return tree, {k: v.copy() for k, v in arrays.items()}


def restore_snapshot(snap: tuple[Any, dict[str, np.ndarray]]) -> Any:
    return _decode(snap[0], snap[1])


# ----------------------------------------------------------------------------- safetensors


def safetensors_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    from safetensors.numpy import save

    return save(arrays) if arrays else save({"__empty__": np.zeros(0, dtype=np.uint8)})


def _check_header(data: bytes, name: str) -> None:
    if len(data) < 8:
        raise CheckpointError(f"checkpoint: {name} is not a safetensors file (only {len(data)} bytes)")
    (n,) = struct.unpack("<Q", data[:8])
    body = len(data) - 8
    if n > body or n > _MAX_HEADER:
        raise CheckpointError(
            f"checkpoint: {name} is not a valid safetensors file: its header claims {n} bytes "
            f"but the file has {body} after the length field"
        )
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise CheckpointError(f"checkpoint: {name} is not a valid safetensors file: its header is not JSON") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"checkpoint: {name} is not a valid safetensors file: header is not an object")
    data_bytes = body - n
    for key, spec in header.items():
        if key == "__metadata__":
            continue
        ok = (isinstance(spec, dict) and spec.get("dtype") in _ST_ITEMSIZE
              and isinstance(spec.get("shape"), list)
              and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in spec["shape"])
              and isinstance(spec.get("data_offsets"), list) and len(spec["data_offsets"]) == 2
              and all(isinstance(o, int) and not isinstance(o, bool) for o in spec["data_offsets"]))
        if not ok:
            raise CheckpointError(f"checkpoint: {name}: malformed or unsupported entry for tensor {key!r}")
        begin, end = spec["data_offsets"]
        need = math.prod(spec["shape"]) * _ST_ITEMSIZE[spec["dtype"]]
        if not 0 <= begin <= end <= data_bytes or end - begin != need:
            raise CheckpointError(
                f"checkpoint: {name}: tensor {key!r} ({spec['dtype']}, shape {spec['shape']}) needs "
                f"{need} bytes but its header places it at bytes [{begin}, {end}) of a "
                f"{data_bytes}-byte data section: the file is corrupt or forged"
            )


def load_safetensors(data: bytes, name: str) -> dict[str, np.ndarray]:
    """Arrays from safetensors bytes, after checking the header against the file."""
    from safetensors.numpy import load

    _check_header(data, name)
    try:
        arrays = load(data)
    except Exception as e:
        raise CheckpointError(f"checkpoint: {name} is not a valid safetensors file: {e}") from None
    arrays.pop("__empty__", None)
    return arrays


# ----------------------------------------------------------------------------- files


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(path: Path, data: bytes) -> dict[str, Any]:
    """Write, flush and fsync ``data``; return its manifest entry (size, sha256)."""
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def sha256_file(path: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                return size, h.hexdigest()
            size += len(chunk)
            h.update(chunk)
