"""A checkpoint of a tensor-parallel model and its Adam state, saved at one world size,
loads at another and training goes on exactly as in one process.

``save``: train the TP MLP (mesh over all ranks) for SAVE_STEPS steps, save the model
and optimizer state (DTensors) with ``dtensor.checkpoint.save``. ``load``: build a fresh
model with other initial values (TP over this world, or an unsharded model at one rank),
load, check parameters and optimizer state against a single-process reference trained
SAVE_STEPS steps, then train MORE_STEPS more and compare again (float64, rtol 1e-9).

Run under mpiexec (``python dt_checkpoint.py save|load DIR``) or call ``save``/``load``
from virtual ranks.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from dt_common import assert_close, report
from dt_tp_train import MLP, MLP_PLAN

import autograd
import optim
import parallel
from dtensor import DTensor, init_device_mesh
from dtensor import checkpoint as dcp
from dtensor.parallel import parallelize_module

SAVE_STEPS, MORE_STEPS = 2, 2


def _step(model: MLP, opt: optim.Optimizer, step: int) -> None:
    rng = np.random.default_rng(500 + step)
    x, y = autograd.tensor(rng.standard_normal((4, 6))), autograd.tensor(rng.standard_normal((4, 6)))
    ((model(x) - y) ** 2).mean().backward()
    opt.step()
    opt.zero_grad()


def _build(seed: int, world: int, sharded: bool) -> tuple[MLP, optim.Optimizer]:
    autograd.manual_seed(seed)
    model = MLP()
    if sharded:
        parallelize_module(model, init_device_mesh("cpu", (world,)), MLP_PLAN)
    return model, optim.Adam(model.parameters(), lr=0.01)


def _full(v: object) -> np.ndarray:
    return (v.full_tensor() if isinstance(v, DTensor) else v).detach().numpy()


def save(directory: str) -> dict:
    world = parallel.get_world_size()
    model, opt = _build(0, world, True)
    for step in range(SAVE_STEPS):
        _step(model, opt, step)
    state = {"model": dcp.get_model_state_dict(model),
             "optim": dcp.get_optimizer_state_dict(model, opt), "step": SAVE_STEPS}
    dcp.save(state, checkpoint_id=directory)
    return {"saved_world": world}


def load(directory: str) -> dict:
    world = parallel.get_world_size()
    ref, ref_opt = _build(0, 1, False)
    for step in range(SAVE_STEPS):
        _step(ref, ref_opt, step)
    model, opt = _build(123, world, world > 1)
    state = {"model": dcp.get_model_state_dict(model),
             "optim": dcp.get_optimizer_state_dict(model, opt), "step": 0}
    dcp.load(state, checkpoint_id=directory)
    dcp.set_model_state_dict(model, state["model"])
    dcp.set_optimizer_state_dict(model, opt, state["optim"])
    if state["step"] != SAVE_STEPS:
        raise AssertionError(f"loaded step {state['step']}, expected {SAVE_STEPS}")
    loaded = dcp.get_model_state_dict(model)
    for name, q in ref.state_dict().items():
        assert_close(_full(loaded[name]), q.numpy(), f"loaded {name}")
    ref_state = dcp.get_optimizer_state_dict(ref, ref_opt)["state"]
    got_state = dcp.get_optimizer_state_dict(model, opt)["state"]
    for name, entry in ref_state.items():
        for k, v in entry.items():
            assert_close(_full(got_state[name][k]), v.detach().numpy(), f"loaded optimizer {name}.{k}")
    worst = 0.0
    for step in range(SAVE_STEPS, SAVE_STEPS + MORE_STEPS):
        _step(model, opt, step)
        _step(ref, ref_opt, step)
        now = dcp.get_model_state_dict(model)
        for name, q in ref.state_dict().items():
            worst = max(worst, assert_close(_full(now[name]), q.numpy(), f"step {step} {name}"))
    return {"loaded_world": world, "worst": worst}


def main() -> None:
    mode, directory = sys.argv[1], sys.argv[2]
    parallel.init_process_group(timeout=60)
    report(parallel.get_rank(), lambda: save(directory) if mode == "save" else load(directory))


if __name__ == "__main__":
    main()
