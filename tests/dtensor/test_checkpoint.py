"""DTensor checkpoints on the threads backend: saved at 4 ranks, loaded at 3, 2 and 1
(model and Adam state resharded; training goes on as in one process); integrity checks,
atomic replacement, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import autograd
from dtensor import Partial, Replicate, Shard, checkpoint, distribute_tensor, init_device_mesh
from dtensor.checkpoint import CheckpointError

from .helpers import on_ranks, raises_on_ranks, script

cc = script("dt_checkpoint")


def test_saved_at_4_loads_at_3_2_and_1(tmp_path: Path) -> None:
    d = str(tmp_path / "ck")
    assert on_ranks(4, lambda rank: cc.save(d)) == [{"saved_world": 4}] * 4
    for n in (3, 2, 1):
        out = on_ranks(n, lambda rank: cc.load(d))
        assert all(o["loaded_world"] == n and o["worst"] < 1e-9 for o in out)
    meta = json.loads((tmp_path / "ck" / "metadata.json").read_text())
    entry = meta["tree"]["model"]["fc1.weight"]
    assert meta["world_size"] == 4
    assert entry["placements"] == ["S(0)"] and entry["mesh_shape"] == [4] and entry["shape"] == [12, 6]
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == ["data.safetensors", "metadata.json"]


def test_2d_mesh_and_partial_values_reshard(tmp_path: Path) -> None:
    d = str(tmp_path / "ck2")
    X = np.arange(30.0).reshape(5, 6)

    def save(rank: int) -> None:
        mesh = init_device_mesh("cpu", (2, 2))
        a = distribute_tensor(autograd.tensor(X), mesh, [Shard(0), Shard(1)])
        p = distribute_tensor(autograd.tensor(X), mesh, [Replicate(), Replicate()]).redistribute(
            mesh, [Partial(), Shard(0)])
        checkpoint.save({"a": a, "p": p, "meta": {"k": (1, 2.5, None), 3: "x"}}, checkpoint_id=d)

    def load(rank: int) -> tuple:
        mesh = init_device_mesh("cpu", (3,))
        state = {"a": distribute_tensor(autograd.zeros(5, 6, dtype=autograd.float64), mesh, [Shard(1)]),
                 "p": autograd.zeros(5, 6, dtype=autograd.float64),
                 "meta": {"k": None, 3: None}}
        checkpoint.load(state, checkpoint_id=d)
        return state["a"].full_tensor().numpy(), state["p"].numpy(), state["meta"]

    on_ranks(4, save)
    a, p, meta = on_ranks(3, load)[2]
    assert np.array_equal(a, X) and np.allclose(p, X)
    assert meta == {"k": (1, 2.5, None), 3: "x"}


def _save_simple(d: str) -> None:
    def save(rank: int) -> None:
        mesh = init_device_mesh("cpu", (2,))
        checkpoint.save({"w": distribute_tensor(autograd.arange(6.0), mesh, [Shard(0)]), "step": 7},
                        checkpoint_id=d)

    on_ranks(2, save)


def _load_simple(d: str, state: dict | None = None) -> BaseException:
    def load(rank: int) -> None:
        mesh = init_device_mesh("cpu", (2,))
        s = state if state is not None else {"w": distribute_tensor(autograd.zeros(6), mesh, [Shard(0)])}
        checkpoint.load(dict(s), checkpoint_id=d)

    return raises_on_ranks(2, load)


def test_corruption_is_detected(tmp_path: Path) -> None:
    d = tmp_path / "ck"
    _save_simple(str(d))
    data = bytearray((d / "data.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (d / "data.safetensors").write_bytes(bytes(data))
    err = _load_simple(str(d))
    assert isinstance(err, CheckpointError) and "sha256 mismatch" in str(err)
    (d / "data.safetensors").write_bytes(bytes(data[:-5]))
    assert "truncated" in str(_load_simple(str(d)))


def test_missing_and_mismatched_keys(tmp_path: Path) -> None:
    d = tmp_path / "ck"
    _save_simple(str(d))
    err = _load_simple(str(d), {"w": autograd.zeros(6), "other": 1})
    assert isinstance(err, CheckpointError) and "no saved value for ['other']" in str(err)
    err = _load_simple(str(d), {"w": autograd.zeros(4)})
    assert "has shape [6] in the checkpoint but [4]" in str(err)
    err = _load_simple(str(tmp_path / "nothing"))
    assert "no metadata.json" in str(err)


def test_failed_save_keeps_the_previous_checkpoint(tmp_path: Path) -> None:
    d = tmp_path / "ck"
    _save_simple(str(d))

    def bad(rank: int) -> None:
        checkpoint.save({"w": autograd.ones(2), "f": object()}, checkpoint_id=str(d))

    err = raises_on_ranks(2, bad)
    assert isinstance(err, CheckpointError) and "cannot store a value of type object" in str(err)

    def load(rank: int) -> tuple:
        mesh = init_device_mesh("cpu", (2,))
        state = {"w": distribute_tensor(autograd.zeros(6), mesh, [Shard(0)]), "step": 0}
        checkpoint.load(state, checkpoint_id=str(d))
        return state["w"].full_tensor().tolist(), state["step"]

    assert on_ranks(2, load)[0] == ([0.0, 1.0, 2.0, 3.0, 4.0, 5.0], 7)
    # overwriting replaces it whole, leaving no temporary directories behind
    _save_simple(str(d))
    assert [p.name for p in tmp_path.iterdir()] == ["ck"]


def test_never_pickles(tmp_path: Path) -> None:
    d = tmp_path / "ck"
    _save_simple(str(d))
    raw = (d / "metadata.json").read_bytes()
    json.loads(raw)
    assert b"pickle" not in raw and not any(p.suffix in (".pt", ".pkl") for p in d.iterdir())


def test_set_model_state_dict_from_full_tensors() -> None:
    def work(rank: int) -> float:
        mesh = init_device_mesh("cpu", (2,))
        autograd.manual_seed(0)
        ref = cc.MLP()
        autograd.manual_seed(5)
        model = cc.MLP()
        cc.parallelize_module(model, mesh, cc.MLP_PLAN)
        checkpoint.set_model_state_dict(model, ref.state_dict())
        got = checkpoint.get_model_state_dict(model)
        return max(float(np.max(np.abs(cc._full(got[k]) - v.numpy())))
                   for k, v in ref.state_dict().items())

    assert max(on_ranks(2, work)) == 0.0
    with pytest.raises(RuntimeError, match="missing keys"):
        on_ranks(1, lambda rank: checkpoint.set_model_state_dict(cc.MLP(), {}))
