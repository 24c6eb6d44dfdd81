"""Corrupt and hostile checkpoints are refused with errors naming the file, before any
state changes, and no code in them ever runs."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

import autograd
import parallel
from autograd import nn
from launch.checkpoint import Checkpointer, CheckpointError


def _model() -> nn.Module:
    return nn.Linear(3, 2, dtype=autograd.float64)


@pytest.fixture()
def saved(tmp_path: Path) -> Path:
    """Checkpoints of steps 1 and 2, saved by 2 virtual ranks."""

    def rank_fn(rank: int) -> None:
        parallel.init_process_group("threads")
        ck = Checkpointer(tmp_path)
        model = _model()
        for step in (1, 2):
            ck.save(step, model=model, per_rank={"rank": rank})

    parallel.spawn(rank_fn, nprocs=2)
    return tmp_path


def _step(root: Path, step: int = 2) -> Path:
    return root / f"step_{step:08d}"


def _forge(path: Path, data: bytes) -> None:
    """Replace a file *and* fix the manifest, as an attacker with write access would."""
    path.write_bytes(data)
    manifest_path = path.parent / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"][path.name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest_path.write_text(json.dumps(manifest))


def _refused(root: Path, match: str) -> None:
    model = _model()
    with autograd.no_grad():
        model.weight.fill_(7.0)
    with pytest.raises(CheckpointError, match=match):
        Checkpointer(root).load(model=model)
    assert bool((model.weight == 7.0).all()), "state changed although the load was refused"


class _Canary:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {self.path}",))


def test_truncated_file(saved: Path) -> None:
    f = _step(saved) / "rank1.safetensors"
    size = f.stat().st_size
    f.write_bytes(f.read_bytes()[: size // 2])
    _refused(saved, rf"checkpoint step_00000002: rank1.safetensors truncated or resized "
                    rf"\({size // 2} of {size} bytes\).*fallback=True")


def test_bit_flip(saved: Path) -> None:
    f = _step(saved) / "replicated.safetensors"
    data = bytearray(f.read_bytes())
    data[-3] ^= 0x10
    f.write_bytes(bytes(data))
    _refused(saved, "sha256 mismatch for replicated.safetensors")


def test_missing_shard(saved: Path) -> None:
    (_step(saved) / "rank1.json").unlink()
    _refused(saved, "checkpoint step_00000002: missing file rank1.json")
    manifest_path = _step(saved) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["files"]["rank1.json"]
    manifest_path.write_text(json.dumps(manifest))
    _refused(saved, r"missing shard for rank 1 of 2 \(rank1.json\)")


def test_fallback_to_the_previous_valid_checkpoint_on_every_rank(saved: Path) -> None:
    (_step(saved) / "rank0.safetensors").write_bytes(b"garbage")

    def rank_fn(rank: int) -> tuple:
        parallel.init_process_group("threads")
        state = Checkpointer(saved).load(model=_model(), fallback=True)
        return state.step, state.per_rank

    assert parallel.spawn(rank_fn, nprocs=2) == [(1, {"rank": 0}), (1, {"rank": 1})]


def test_ranks_reading_different_checkpoints_disagree(tmp_path: Path) -> None:
    for rank in (0, 1):
        model = _model()
        with autograd.no_grad():
            model.weight.fill_(float(rank))
        Checkpointer(tmp_path / f"r{rank}").save(4, model=model)

    def rank_fn(rank: int) -> str:
        parallel.init_process_group("threads")
        with pytest.raises(CheckpointError) as info:
            Checkpointer(tmp_path / f"r{rank}").load(model=_model())
        return str(info.value)

    messages = parallel.spawn(rank_fn, nprocs=2)
    assert messages[0] == messages[1]
    assert "rank 1: ranks disagree on checkpoint step_00000004" in messages[0]


def test_pickle_in_place_of_a_checkpoint_file_never_runs(saved: Path, tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    payload = pickle.dumps(_Canary(canary))
    _forge(_step(saved) / "replicated.safetensors", payload)
    _refused(saved, "replicated.safetensors is not a valid safetensors file")
    _forge(_step(saved, 1) / "replicated.json", payload)
    with pytest.raises(CheckpointError, match="replicated.json is not valid JSON"):
        Checkpointer(saved).load(step=1, model=_model())
    (_step(saved, 1) / "manifest.json").write_bytes(payload)
    with pytest.raises(CheckpointError, match="manifest.json is not valid JSON"):
        Checkpointer(saved).load(step=1, model=_model())
    assert not canary.exists()


def test_pickle_checkpoint_from_another_framework_is_not_loaded(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    step = tmp_path / "ck" / "step_00000003"
    step.mkdir(parents=True)
    (step / "checkpoint.pt").write_bytes(pickle.dumps(_Canary(canary)))
    (tmp_path / "ck" / "latest").write_text("step_00000003")
    _refused(tmp_path / "ck", "missing manifest.json")
    assert not canary.exists()


def test_path_traversal_is_refused(saved: Path, tmp_path: Path) -> None:
    outside = tmp_path.parent / "outside.json"
    outside.write_text("{}")
    manifest_path = _step(saved) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["../../outside.json"] = {"size": 2, "sha256": hashlib.sha256(b"{}").hexdigest()}
    manifest_path.write_text(json.dumps(manifest))
    _refused(saved, r"refusing file name '../../outside.json' in the manifest")
    (saved / "latest").write_text("../../etc")
    _refused(saved, r"names '../../etc', not a checkpoint directory")


def test_symlinked_file_is_refused(saved: Path, tmp_path: Path) -> None:
    target = _step(saved) / "rank1.json"
    real = tmp_path / "elsewhere.json"
    real.write_bytes(target.read_bytes())
    target.unlink()
    target.symlink_to(real)
    _refused(saved, "rank1.json is a symbolic link")


def _safetensors(header: dict, data: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def test_safetensors_header_that_lies_about_sizes(saved: Path) -> None:
    forged = _safetensors({"model.weight": {"dtype": "F64", "shape": [1000, 1000],
                                            "data_offsets": [0, 8_000_000]}}, b"\0" * 48)
    _forge(_step(saved) / "replicated.safetensors", forged)
    _refused(saved, r"tensor 'model.weight' \(F64, shape \[1000, 1000\]\) needs 8000000 bytes but "
                    r"its header places it at bytes \[0, 8000000\) of a 48-byte data section")
    huge = struct.pack("<Q", 2**62) + b"{}"
    _forge(_step(saved) / "replicated.safetensors", huge)
    _refused(saved, "its header claims 4611686018427387904 bytes")
    odd = _safetensors({"x": {"dtype": "O", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8)
    _forge(_step(saved) / "replicated.safetensors", odd)
    _refused(saved, "malformed or unsupported entry for tensor 'x'")


def test_forged_json_cannot_build_objects(saved: Path) -> None:
    tree = json.loads((_step(saved) / "replicated.json").read_text())
    tree["model"]["weight"] = {"__dtype__": "O"}
    _forge(_step(saved) / "replicated.json", json.dumps(tree).encode())
    _refused(saved, "replicated.json is malformed: ValueError: refusing dtype object")
    nested = ("[" * 100_000 + "]" * 100_000).encode()
    _forge(_step(saved) / "replicated.json", nested)
    _refused(saved, "replicated.json is (not valid JSON|nested too deeply)")
    tree["model"]["weight"] = {"__tensor__": "../../etc/passwd"}
    _forge(_step(saved) / "replicated.json", json.dumps(tree).encode())
    _refused(saved, "reference to a missing array '../../etc/passwd'")


def test_manifest_schema_is_checked(saved: Path) -> None:
    manifest_path = _step(saved) / "manifest.json"
    good = json.loads(manifest_path.read_text())
    for change, match in [({"format_version": 99}, "unsupported format version 99"),
                          ({"step": 5}, "its manifest says step 5"),
                          ({"world_size": "2"}, "lacks a valid step, world_size or files"),
                          ({"files": {"rank0.json": "x"}}, "bad manifest entry for rank0.json")]:
        manifest_path.write_text(json.dumps({**good, **change}))
        _refused(saved, match)


def test_stale_temp_directories_are_ignored(saved: Path) -> None:
    stale = saved / "step_00000009.tmp-abc"
    stale.mkdir()
    (stale / "rank0.json").write_text("{")
    assert Checkpointer(saved).load(model=_model()).step == 2
    np.testing.assert_equal(Checkpointer(saved).steps(), [1, 2])
