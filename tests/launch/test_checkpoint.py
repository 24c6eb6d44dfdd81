"""launch.checkpoint in one process and on virtual ranks: what is saved and restored,
atomic commits under write failures, validation before any state changes."""

from __future__ import annotations

import errno
import random
import resource
import signal
from pathlib import Path

import numpy as np
import pytest

import autograd
import launch.checkpoint as ckpt_module
import optim
import parallel
from autograd import nn
from launch._codec import decode
from launch.checkpoint import Checkpointer, CheckpointError


def _setup(width: int = 3) -> tuple[nn.Module, optim.Optimizer, optim.lr_scheduler.LRScheduler]:
    model = nn.Sequential(nn.Linear(2, width, dtype=autograd.float64), nn.Tanh(),
                          nn.Linear(width, 1, dtype=autograd.float64))
    opt = optim.Adam(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
    return model, opt, sched


def _train(model: nn.Module, opt: optim.Optimizer, sched: object, steps: int = 2) -> None:
    x = autograd.tensor(np.linspace(-1, 1, 8).reshape(4, 2))
    for _ in range(steps):
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()
        sched.step()


def _arrays(model: nn.Module, opt: optim.Optimizer) -> list[np.ndarray]:
    out = [p.detach().numpy().copy() for p in model.parameters()]
    for st in opt.state.values():
        out += [v.numpy().copy() for v in st.values() if hasattr(v, "numpy")]
    return out


def test_round_trip_of_training_state(tmp_path: Path) -> None:
    ck = Checkpointer(tmp_path)
    assert ck.load() is None  # nothing saved yet: a fresh start
    model, opt, sched = _setup()
    _train(model, opt, sched)
    sampler = parallel.DistributedSampler(range(10), num_replicas=1, rank=0, seed=3)
    it = iter(sampler)
    [next(it) for _ in range(4)]
    ck.save(7, model=model, optimizer=opt, scheduler=sched, sampler=sampler, epoch=2,
            history=(1.5, float("inf"), {3: "x"}), per_rank={"seen": 4}, metadata={"note": "hi"})
    model2, opt2, sched2 = _setup()
    sampler2 = parallel.DistributedSampler(range(10), num_replicas=1, rank=0, seed=0)
    state = ck.load(model=model2, optimizer=opt2, scheduler=sched2, sampler=sampler2)
    assert (state.step, state.world_size, state.metadata) == (7, 1, {"note": "hi"})
    assert state.values == {"epoch": 2, "history": (1.5, float("inf"), {3: "x"})}
    assert state.per_rank == {"seen": 4}
    for a, b in zip(_arrays(model, opt), _arrays(model2, opt2)):
        np.testing.assert_array_equal(a, b)
    assert sched2.last_epoch == sched.last_epoch and sched2.get_last_lr() == sched.get_last_lr()
    assert sched2.milestones == sched.milestones
    assert sampler2.seed == 3 and sampler2.start == 4  # resumes after the 4 consumed samples
    assert list(sampler2) == list(sampler)[4:]
    # training continues identically
    _train(model, opt, sched)
    _train(model2, opt2, sched2)
    for a, b in zip(_arrays(model, opt), _arrays(model2, opt2)):
        np.testing.assert_array_equal(a, b)


def test_random_streams_are_restored(tmp_path: Path) -> None:
    ck = Checkpointer(tmp_path)
    gen, pyrng, agen = np.random.default_rng(5), random.Random(5), autograd.Generator().manual_seed(5)
    autograd.manual_seed(11)
    np.random.seed(11)
    random.seed(11)

    def draw() -> list:
        return [autograd.rand(3).tolist(), np.random.rand(3).tolist(), random.random(),
                gen.random(2).tolist(), pyrng.random(), autograd.rand(2, generator=agen).tolist(),
                np.random.randn(1).tolist()]

    draw()
    ck.save(1, gen=gen, pyrng=pyrng, agen=agen)
    expected = draw()
    draw()  # move every stream on
    ck.load(gen=gen, pyrng=pyrng, agen=agen)
    assert draw() == expected


def test_keep_last_k_and_resave_of_a_step(tmp_path: Path) -> None:
    ck = Checkpointer(tmp_path, keep=2)
    model, _, _ = _setup()
    for step in (1, 2, 3):
        ck.save(step, model=model)
    assert ck.steps() == [2, 3] and ck.latest_step() == 3
    with autograd.no_grad():
        model[0].weight.fill_(0.25)
    ck.save(3, model=model)  # the same step again replaces it
    assert ck.steps() == [2, 3]
    fresh, _, _ = _setup()
    ck.load(model=fresh)
    assert float(fresh[0].weight[0, 0]) == 0.25
    ck.save(1, model=model)  # an older step number committed last is still kept
    assert ck.latest_step() == 1 and 1 in ck.steps()
    assert len(ck.steps()) == 2


def _failing_write(monkeypatch: pytest.MonkeyPatch, name: str, err: int = errno.ENOSPC) -> None:
    real = ckpt_module.write_file

    def write(path: Path, data: bytes) -> dict:
        if path.name == name:
            raise OSError(err, "No space left on device", str(path))
        return real(path, data)

    monkeypatch.setattr(ckpt_module, "write_file", write)


def test_full_disk_on_one_rank_commits_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model, _, _ = _setup()
    Checkpointer(tmp_path).save(1, model=model)
    _failing_write(monkeypatch, "rank1.safetensors")

    def rank_fn(rank: int) -> str:
        parallel.init_process_group("threads")
        with pytest.raises(CheckpointError) as info:
            Checkpointer(tmp_path).save(2, model=model)
        return str(info.value)

    messages = parallel.spawn(rank_fn, nprocs=2)
    assert messages[0] == messages[1]
    assert "checkpoint step 2 not committed: rank 1: OSError: [Errno 28] No space left" in messages[0]
    ck = Checkpointer(tmp_path)
    assert ck.latest_step() == 1 and ck.steps() == [1]
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []
    ck.validate()


def test_file_size_limit_is_a_clean_error(tmp_path: Path) -> None:
    """A real write failure (EFBIG from RLIMIT_FSIZE, as on a full quota)."""
    big = nn.Linear(64, 64, dtype=autograd.float64)  # 33 KB of weights
    ck = Checkpointer(tmp_path)
    ck.save(1, model=nn.Linear(2, 1))
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (16384, hard))
    try:
        with pytest.raises(CheckpointError, match=r"step 2 not committed: rank 0: OSError: \[Errno 27\]"):
            ck.save(2, model=big)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert ck.latest_step() == 1 and ck.steps() == [1]


def test_commit_failure_keeps_the_previous_latest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model, _, _ = _setup()
    ck = Checkpointer(tmp_path)
    ck.save(1, model=model)
    real = ckpt_module.os.replace

    def replace(src: object, dst: object) -> None:
        if Path(str(dst)).name == "latest":
            raise OSError(errno.EIO, "I/O error")
        real(src, dst)

    monkeypatch.setattr(ckpt_module.os, "replace", replace)
    with pytest.raises(CheckpointError, match="checkpoint step 2 not committed: OSError"):
        ck.save(2, model=model)
    monkeypatch.undo()
    assert ck.latest_step() == 1
    assert ck.load(model=model).step == 1


def test_unsupported_values_are_refused_before_writing(tmp_path: Path) -> None:
    ck = Checkpointer(tmp_path)
    with pytest.raises(CheckpointError, match=r"cannot store a value of type builtin_function_or_method at 'hook'"):
        ck.save(1, hook=print)
    with pytest.raises(CheckpointError, match="cannot store an array of dtype object"):
        ck.save(1, table=np.array([None, 1], dtype=object))
    with pytest.raises(CheckpointError, match="metadata must hold JSON values"):
        ck.save(1, metadata={"loss": autograd.tensor(1.0)})
    assert ck.steps() == [] and ck.latest_step() is None


def test_mismatched_model_is_refused_without_touching_anything(tmp_path: Path) -> None:
    model, opt, sched = _setup(width=3)
    _train(model, opt, sched)
    ck = Checkpointer(tmp_path)
    ck.save(1, model=model, optimizer=opt, scheduler=sched)
    wide, wide_opt, wide_sched = _setup(width=5)
    _train(wide, wide_opt, wide_sched, steps=1)
    before = _arrays(wide, wide_opt)
    with pytest.raises(CheckpointError) as info:
        ck.load(model=wide, optimizer=wide_opt, scheduler=wide_sched)
    msg = str(info.value)
    assert "size mismatch for 0.weight: copying a param with shape (3, 2) from checkpoint, " \
           "the shape in current model is (5, 2)" in msg
    assert "optimizer: state 'exp_avg' of parameter 0 has shape (3, 2), the parameter is (5, 2)" in msg
    for a, b in zip(before, _arrays(wide, wide_opt)):
        np.testing.assert_array_equal(a, b)
    assert wide_sched.last_epoch == 1
    with pytest.raises(CheckpointError, match=r'Unexpected key\(s\) in state_dict: "2.bias"'):
        ck.load(model=nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1, bias=False)))
    with pytest.raises(CheckpointError, match=r'Missing key\(s\) in state_dict: "3.weight"'):
        ck.load(model=nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Linear(1, 1)))


def test_a_failing_load_rolls_back_what_was_loaded(tmp_path: Path) -> None:
    class Fussy:
        def state_dict(self) -> dict:
            return {"x": 1}

        def load_state_dict(self, state: dict) -> None:
            raise ValueError("not today")

    model, _, _ = _setup()
    ck = Checkpointer(tmp_path)
    ck.save(1, model=model, fussy=Fussy())
    other, _, _ = _setup()
    with autograd.no_grad():
        for p in other.parameters():
            p.fill_(3.0)
    with pytest.raises(CheckpointError, match="loading 'fussy' failed: ValueError: not today"):
        ck.load(model=other, fussy=Fussy())
    assert all(bool((p == 3.0).all()) for p in other.parameters())


def test_strict_and_explicit_step(tmp_path: Path) -> None:
    model, _, _ = _setup()
    ck = Checkpointer(tmp_path)
    ck.save(1, model=model, epoch=1)
    ck.save(2, model=model, epoch=2)
    with pytest.raises(CheckpointError, match=r"no state saved for \['ema'\]"):
        ck.load(model=model, ema=autograd.zeros(1))
    assert ck.load(model=model, ema=autograd.zeros(1), strict=False).step == 2
    assert ck.load(step=1).values["epoch"] == 1
    with pytest.raises(CheckpointError, match="step_00000009: directory not found"):
        ck.load(step=9)


def test_tensor_saved_on_a_gpu_loads_on_a_cpu_only_machine() -> None:
    if autograd.backend.cuda_available():
        pytest.skip("this machine has a GPU")
    t = decode({"__tensor__": "w", "device": "cuda:0"}, {"w": np.ones(2)})
    assert str(t.device) == "cpu" and t.tolist() == [1.0, 1.0]


# ----------------------------------------------------------------------------- virtual ranks


def _per_rank_job(directory: Path, save: bool) -> object:
    def rank_fn(rank: int) -> object:
        parallel.init_process_group("threads")
        autograd.manual_seed(100 + rank)
        model, _, _ = _setup()
        ck = Checkpointer(directory)
        if save:
            autograd.rand(3)
            ck.save(5, model=model, per_rank={"rank": rank})
            return autograd.rand(3).tolist()
        state = ck.load(model=model)
        return state.per_rank, autograd.rand(3).tolist(), state.world_size

    return rank_fn


def test_per_rank_state_and_resume_at_other_world_sizes(tmp_path: Path) -> None:
    after_save = parallel.spawn(_per_rank_job(tmp_path, save=True), nprocs=2)
    # same world size: each rank gets its own values and random stream back
    same = parallel.spawn(_per_rank_job(tmp_path, save=False), nprocs=2)
    assert [s[0] for s in same] == [{"rank": 0}, {"rank": 1}]
    assert [s[1] for s in same] == after_save
    # more ranks: the new rank has no per-rank state and keeps its own stream
    more = parallel.spawn(_per_rank_job(tmp_path, save=False), nprocs=3)
    assert [m[0] for m in more] == [{"rank": 0}, {"rank": 1}, {}]
    assert more[2][2] == 2
    # fewer ranks (a plain process is a world of one)
    model, _, _ = _setup()
    assert Checkpointer(tmp_path).load(model=model).per_rank == {"rank": 0}


def test_ranks_must_agree_on_what_they_save(tmp_path: Path) -> None:
    def rank_fn(rank: int) -> str:
        parallel.init_process_group("threads")
        with pytest.raises(CheckpointError) as info:
            Checkpointer(tmp_path / f"run{rank}").save(3 + rank, x=1)
        return str(info.value)

    messages = parallel.spawn(rank_fn, nprocs=2)
    assert "ranks disagree on what to save (rank 0: step 3 in 'run0', rank 1: step 4 in 'run1')" \
        in messages[0]
    assert messages[0] == messages[1]


def test_an_error_on_one_rank_is_raised_on_every_rank(tmp_path: Path) -> None:
    def rank_fn(rank: int) -> str:
        parallel.init_process_group("threads")
        meta = {"loss": autograd.tensor(1.0)} if rank == 1 else {"loss": 1.0}
        with pytest.raises(CheckpointError) as info:
            Checkpointer(tmp_path).save(1, x=1, metadata=meta)
        return str(info.value)

    messages = parallel.spawn(rank_fn, nprocs=2, timeout=30)
    assert messages[0] == messages[1] and messages[0].startswith("rank 1: checkpoint: metadata")
    assert Checkpointer(tmp_path).steps() == []
