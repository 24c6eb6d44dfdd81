"""The dtensor checks under mpiexec (oversubscribed): 4 ranks (redistributions incl. 2-D
meshes, TP MLP/attention, DP x TP on 2 x 2, ZeRO-1, checkpoint save), then 3 and 2 ranks
(the same checks, loading the 4-rank checkpoint) and 1 rank (loading it unsharded).
One MPI job per world size; each rank reports through a result file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.parallel.mpirun import run

SUITE = str(Path(__file__).parent / "scripts" / "dt_mpi_suite.py")
PARTS = "redistribute,tp,zero"


def _run(n: int, tmp: Path, *args: str) -> dict:
    res = run(SUITE, n, *args, timeout=90, tmp=tmp)
    bad = {r: v for r, v in res.results.items() if v.get("status") != "ok"}
    assert res.returncode == 0 and not bad and len(res.results) == n, (
        f"{n} ranks: rc={res.returncode} errors={bad}\nstdout:\n{res.stdout[-3000:]}\n"
        f"stderr:\n{res.stderr[-3000:]}"
    )
    return res.results


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("dtensor_mpi")
    ck = tmp / "ck"
    return ck, _run(4, tmp, "--parts", PARTS, "--save", str(ck))


def test_mpi_4_ranks(saved: tuple) -> None:
    _, results = saved
    r0 = results[0]
    assert r0["redistribute"] == {"pairs_1d": 36, "ops": 95, "pairs_2d": 256}
    assert all(v < 1e-9 for v in r0["tp"].values()) and set(r0["tp"]) == {
        "mlp", "attention", "dp_tp_mlp", "dp_tp_attention"}
    for name in ("adam", "adamw_view", "sgd"):
        assert [results[r]["zero"][name]["worst"] for r in range(4)] == [0.0] * 4
        assert all(abs(results[r]["zero"][name]["ratio"] - 0.25) < 0.02 for r in range(4))
    assert r0["checkpoint"] == {"saved_world": 4}


@pytest.mark.parametrize("n", [2, 3])
def test_mpi_n_ranks_and_checkpoint_from_4(saved: tuple, n: int, tmp_path: Path) -> None:
    ck, _ = saved
    results = _run(n, tmp_path, "--parts", PARTS, "--load", str(ck))
    for r in range(n):
        assert results[r]["checkpoint"]["loaded_world"] == n
        assert results[r]["checkpoint"]["worst"] < 1e-9
        assert all(v < 1e-9 for v in results[r]["tp"].values())
        assert abs(results[r]["zero"]["adam"]["ratio"] - 1 / n) < 0.02


def test_mpi_checkpoint_from_4_loads_at_1(saved: tuple, tmp_path: Path) -> None:
    ck, _ = saved
    results = _run(1, tmp_path, "--load", str(ck))
    assert results[0]["checkpoint"]["loaded_world"] == 1 and results[0]["checkpoint"]["worst"] < 1e-9
