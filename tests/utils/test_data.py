"""autograd.utils.data: datasets, random_split, samplers, collation and the DataLoader
(in the main thread and in worker threads), checked against PyTorch's documented
behaviour."""

from __future__ import annotations

import collections
import threading
import time
import warnings

import numpy as np
import pytest

import autograd
from autograd.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    StackDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    WorkerInfo,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)

# More worker threads than cores is fine in these tests (tested once below).
pytestmark = pytest.mark.filterwarnings("ignore:This DataLoader will create")


def gen(seed: int) -> autograd.Generator:
    return autograd.Generator().manual_seed(seed)


def batches(loader) -> list:
    """Every batch as nested Python lists (comparable with ==)."""
    out = []
    for b in loader:
        out.append([t.tolist() for t in b] if isinstance(b, list) else b.tolist())
    return out


class Squares(Dataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i


class Stream(IterableDataset):
    """0 .. n-1, split between workers by get_worker_info when ``shard``."""

    def __init__(self, n: int, shard: bool = True) -> None:
        self.n = n
        self.shard = shard

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self) -> int:
        return self.n


# ----------------------------------------------------------------------------- datasets


def test_tensor_dataset_len_and_items():
    x = autograd.arange(12).reshape(6, 2)
    y = autograd.arange(6) * 10
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    a, b = ds[4]
    assert a.tolist() == [8, 9] and b.item() == 40
    xs, ys = ds[[1, 3]]
    assert xs.tolist() == [[2, 3], [6, 7]] and ys.tolist() == [10, 30]


def test_tensor_dataset_size_mismatch_error():
    with pytest.raises(AssertionError, match=r"Size mismatch between tensors.*\[3, 4\]"):
        TensorDataset(autograd.zeros(3, 2), autograd.zeros(4))
    with pytest.raises(TypeError, match="argument 1 must be a Tensor"):
        TensorDataset(autograd.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()


def test_concat_dataset_and_add():
    ds = ConcatDataset([Squares(3), [10, 11]])
    assert len(ds) == 5 and ds.cumulative_sizes == [3, 5]
    assert [ds[i] for i in range(5)] == [0, 1, 4, 10, 11]
    assert ds[-1] == 11 and ds[-5] == 0
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        ds[-6]
    with pytest.raises(IndexError, match="out of range"):
        ds[5]
    with pytest.raises(AssertionError, match="empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ConcatDataset([Stream(3)])
    both = Squares(2) + Squares(3)
    assert isinstance(both, ConcatDataset) and len(both) == 5 and both[4] == 4


def test_chain_and_stack_datasets():
    chained = Stream(2) + Stream(3)
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [0, 1, 0, 1, 2] and len(chained) == 5
    st = StackDataset(Squares(3), ["a", "b", "c"])
    assert st[2] == (4, "c") and len(st) == 3
    assert st.__getitems__([0, 2]) == [(0, "a"), (4, "c")]
    named = StackDataset(x=Squares(2), y=[5, 6])
    assert named[1] == {"x": 1, "y": 6}
    assert named.__getitems__([1, 0]) == [{"x": 1, "y": 6}, {"x": 0, "y": 5}]
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(Squares(2), [1])
    with pytest.raises(ValueError, match="both types are given"):
        StackDataset(Squares(2), y=[1, 2])


def test_subset_and_getitems():
    s = Subset(Squares(10), [9, 2, 5])
    assert len(s) == 3 and s[0] == 81 and list(s) == [81, 4, 25]
    assert s[[2, 0]] == [25, 81] and s.__getitems__([1]) == [4]

    class Negated(Subset):
        def __getitem__(self, idx):
            return -super().__getitem__(idx)

    neg = Negated(Squares(10), [3, 4])
    assert neg.__getitems__([0, 1]) == [-9, -16]
    assert [b.tolist() for b in DataLoader(neg, batch_size=2)] == [[-9, -16]]


# ----------------------------------------------------------------------------- random_split


def test_random_split_int_lengths_disjoint_and_complete():
    parts = random_split(range(30), [5, 10, 15], generator=gen(3))
    assert [len(p) for p in parts] == [5, 10, 15]
    seen = [x for p in parts for x in p]
    assert sorted(seen) == list(range(30))
    again = random_split(range(30), [5, 10, 15], generator=gen(3))
    assert [list(p) for p in parts] == [list(p) for p in again]
    other = random_split(range(30), [5, 10, 15], generator=gen(4))
    assert [list(p) for p in parts] != [list(p) for p in other]


@pytest.mark.parametrize("n, fracs, expected", [
    (10, [0.3, 0.7], [3, 7]),
    (10, [0.33, 0.33, 0.34], [4, 3, 3]),  # floors 3,3,3; the remainder goes to the first
    (11, [0.5, 0.5], [6, 5]),
    (7, [0.25, 0.25, 0.25, 0.25], [2, 2, 2, 1]),
    (30, [0.3, 0.3, 0.4], [9, 9, 12]),
])
def test_random_split_fraction_rounding(n, fracs, expected):
    parts = random_split(range(n), fracs, generator=gen(0))
    assert [len(p) for p in parts] == expected
    assert sorted(x for p in parts for x in p) == list(range(n))


def test_random_split_errors_and_warnings():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        random_split(range(10), [0.5, 1.5, -1.0])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(2), [0.9, 0.1])


def test_random_split_default_generator_follows_manual_seed():
    autograd.manual_seed(11)
    a = [list(p) for p in random_split(range(8), [4, 4])]
    autograd.manual_seed(11)
    b = [list(p) for p in random_split(range(8), [4, 4])]
    assert a == b


# ----------------------------------------------------------------------------- samplers


def test_sequential_and_batch_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    bs = BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]] and len(bs) == 4
    bs = BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=True)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]] and len(bs) == 3
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, 1)


def test_random_sampler_permutation_and_determinism():
    s = RandomSampler(range(50), generator=gen(5))
    first, second = list(s), list(s)
    assert sorted(first) == list(range(50)) and sorted(second) == list(range(50))
    assert first != second  # the generator advances between epochs
    assert list(RandomSampler(range(50), generator=gen(5))) == first
    autograd.manual_seed(2)
    a = list(RandomSampler(range(20)))
    autograd.manual_seed(2)
    assert list(RandomSampler(range(20))) == a


def test_random_sampler_num_samples_without_replacement():
    s = RandomSampler(range(4), num_samples=10, generator=gen(1))
    out = list(s)
    assert len(out) == len(s) == 10
    assert sorted(out[:4]) == sorted(out[4:8]) == [0, 1, 2, 3]
    assert len(set(out[8:])) == 2


def test_random_sampler_replacement_statistics():
    n, draws = 5, 20000
    out = list(RandomSampler(range(n), replacement=True, num_samples=draws, generator=gen(7)))
    assert len(out) == draws and min(out) >= 0 and max(out) < n
    counts = np.bincount(out, minlength=n)
    chi2 = ((counts - draws / n) ** 2 / (draws / n)).sum()
    assert chi2 < 20.0  # df=4: P(chi2 > 20) < 1e-3


def test_random_sampler_errors():
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler([])
    with pytest.raises(ValueError, match="the data source is empty"):
        list(RandomSampler([], num_samples=3))


def test_subset_random_sampler():
    idx = [3, 8, 20, 21]
    s = SubsetRandomSampler(idx, generator=gen(0))
    assert len(s) == 4 and sorted(s) == idx
    orders = {tuple(SubsetRandomSampler(idx, generator=gen(k))) for k in range(10)}
    assert len(orders) > 1


def test_weighted_random_sampler_statistics():
    w = [1.0, 3.0, 0.0, 6.0]
    draws = 20000
    out = list(WeightedRandomSampler(w, draws, generator=gen(9)))
    freq = np.bincount(out, minlength=4) / draws
    np.testing.assert_allclose(freq, np.array(w) / 10.0, atol=0.015)
    assert freq[2] == 0
    no_rep = list(WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 5, replacement=False,
                                        generator=gen(1)))
    assert len(set(no_rep)) == 5


def test_weighted_random_sampler_errors():
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="replacement should be a boolean value"):
        WeightedRandomSampler([1.0], 1, replacement="yes")
    with pytest.raises(ValueError, match=r"weights should be a 1d sequence.*\(2, 2\)"):
        WeightedRandomSampler([[1.0, 2.0], [3.0, 4.0]], 1)


# ----------------------------------------------------------------------------- collation


def test_collate_numbers_tensors_arrays():
    f = default_collate([1.5, 2.5])
    assert f.dtype == autograd.float64 and f.tolist() == [1.5, 2.5]
    i = default_collate([1, 2, 3])
    assert i.dtype == autograd.int64 and i.tolist() == [1, 2, 3]
    b = default_collate([True, False])
    assert b.dtype == autograd.bool_
    t = default_collate([autograd.zeros(2, 3), autograd.ones(2, 3)])
    assert t.shape == (2, 2, 3) and t.dtype == autograd.float32 and t[1].sum().item() == 6
    a = default_collate([np.arange(3, dtype=np.float32), np.ones(3, dtype=np.float32)])
    assert a.shape == (2, 3) and a.dtype == autograd.float32
    s = default_collate([np.float32(1), np.float32(2)])
    assert s.dtype == autograd.float32 and s.tolist() == [1.0, 2.0]
    assert default_collate(["a", "b"]) == ["a", "b"]


Point = collections.namedtuple("Point", ["x", "y"])


def test_collate_nested_structures():
    batch = [
        {"img": autograd.full((2,), float(k)), "meta": (k, f"id{k}"), "p": Point(k, 0.5 * k),
         "seq": [np.array([k, k]), k * 1.0]}
        for k in range(3)
    ]
    out = default_collate(batch)
    assert set(out) == {"img", "meta", "p", "seq"}
    assert out["img"].tolist() == [[0, 0], [1, 1], [2, 2]]
    assert isinstance(out["meta"], list)  # tuples collate into lists, as in PyTorch
    assert out["meta"][0].tolist() == [0, 1, 2] and out["meta"][1] == ["id0", "id1", "id2"]
    assert isinstance(out["p"], Point)
    assert out["p"].x.dtype == autograd.int64 and out["p"].y.dtype == autograd.float64
    assert out["p"].y.tolist() == [0.0, 0.5, 1.0]
    assert isinstance(out["seq"], list) and out["seq"][0].tolist() == [[0, 0], [1, 1], [2, 2]]
    assert out["seq"][1].tolist() == [0.0, 1.0, 2.0]


def test_collate_errors():
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] at entry 0 and \[3\] at entry 1"):
        default_collate([autograd.zeros(2), autograd.zeros(3)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        default_collate([object(), object()])


def test_collate_keeps_gradient_path():
    x = autograd.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    batch = default_collate([x[0] * 2, x[1] * 3])
    batch.sum().backward()
    assert x.grad.tolist() == [[2.0, 2.0], [3.0, 3.0]]


def test_default_convert():
    out = default_convert({"a": np.array([1, 2]), "b": (np.float64(3.0), "s"), "c": 4})
    assert out["a"].tolist() == [1, 2] and isinstance(out["b"], list)
    assert out["b"][0].item() == 3.0 and out["b"][1] == "s" and out["c"] == 4
    p = default_convert(Point(np.array(0), np.array(1)))
    assert isinstance(p, Point) and p.y.item() == 1
    strs = np.array(["a", "b"])
    assert default_convert(strs) is strs


# ----------------------------------------------------------------------------- DataLoader


def make_ds(n: int = 10) -> TensorDataset:
    return TensorDataset(autograd.arange(n * 2).reshape(n, 2).float(), autograd.arange(n))


@pytest.mark.parametrize("n, bs, drop_last, expected", [
    (10, 3, False, 4), (10, 3, True, 3), (9, 3, True, 3), (10, 1, False, 10), (10, 20, True, 0),
])
def test_dataloader_len_matches_batches(n, bs, drop_last, expected):
    loader = DataLoader(make_ds(n), batch_size=bs, drop_last=drop_last)
    got = list(loader)
    assert len(loader) == len(got) == expected
    if got:
        sizes = [len(y) for _, y in got]
        assert all(s == bs for s in sizes[:-1]) and (not drop_last or sizes[-1] == bs)


def test_dataloader_sequential_order_and_types():
    loader = DataLoader(make_ds(5), batch_size=2)
    out = list(loader)
    assert [y.tolist() for _, y in out] == [[0, 1], [2, 3], [4]]
    x0, y0 = out[0]
    assert isinstance(out[0], list) and x0.dtype == autograd.float32 and y0.dtype == autograd.int64
    assert x0.tolist() == [[0.0, 1.0], [2.0, 3.0]]


def test_dataloader_shuffle_seeded_generator_is_deterministic():
    ds = make_ds(20)
    a = DataLoader(ds, batch_size=4, shuffle=True, generator=gen(123))
    b = DataLoader(ds, batch_size=4, shuffle=True, generator=gen(123))
    ea1, ea2 = batches(a), batches(a)
    assert ea1 == batches(b) and ea2 == batches(b)
    assert ea1 != ea2  # a new order each epoch
    labels = [y for _, ys in ea1 for y in ys]
    assert sorted(labels) == list(range(20)) and labels != list(range(20))
    assert batches(DataLoader(ds, batch_size=4, shuffle=True, generator=gen(124))) != ea1


def test_dataloader_shuffle_default_generator_follows_manual_seed():
    ds = make_ds(16)
    autograd.manual_seed(5)
    a = batches(DataLoader(ds, batch_size=4, shuffle=True))
    autograd.manual_seed(5)
    assert batches(DataLoader(ds, batch_size=4, shuffle=True)) == a


def test_dataloader_tensor_dataset_fast_path_matches_generic_path():
    class Plain(TensorDataset):  # a subclass takes the per-sample path
        pass

    x, y = autograd.randn(13, 3), autograd.arange(13)
    fast = DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True, generator=gen(1))
    slow = DataLoader(Plain(x, y), batch_size=5, shuffle=True, generator=gen(1))
    assert batches(fast) == batches(slow)


def test_dataloader_no_batching_and_custom_samplers():
    assert list(DataLoader(Squares(3), batch_size=None)) == [0, 1, 4]  # converted, not batched
    assert [v for v in DataLoader([np.int64(2)], batch_size=None)][0].tolist() == 2
    loader = DataLoader(Squares(6), batch_size=2, sampler=[5, 4, 3, 2, 1, 0])
    assert [b.tolist() for b in loader] == [[25, 16], [9, 4], [1, 0]]
    loader = DataLoader(Squares(6), batch_sampler=[[0, 5], [2], [3, 4, 1]])
    assert [b.tolist() for b in loader] == [[0, 25], [4], [9, 16, 1]] and len(loader) == 3
    loader = DataLoader(Squares(4), batch_size=2, collate_fn=lambda b: sum(b))
    assert list(loader) == [1, 13]


def test_dataloader_argument_errors():
    ds = make_ds(4)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, shuffle=True, sampler=[0, 1])
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=[[0]])
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Stream(3), sampler=[0])
    loader = DataLoader(ds)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3


def test_dataloader_iterable_dataset():
    loader = DataLoader(Stream(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]] and len(loader) == 3
    loader = DataLoader(Stream(7), batch_size=3, drop_last=True)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5]] and len(loader) == 2

    class Liar(Stream):
        def __len__(self):
            return 2

    loader = DataLoader(Liar(3), batch_size=None)
    assert len(loader) == 2
    with pytest.warns(UserWarning, match="was reported to be 2"):
        list(loader)


# ----------------------------------------------------------------------------- workers


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_workers_give_the_same_batches(workers):
    ds = make_ds(23)
    ref = DataLoader(ds, batch_size=4, shuffle=True, generator=gen(8))
    thr = DataLoader(ds, batch_size=4, shuffle=True, generator=gen(8), num_workers=workers)
    for _ in range(2):
        assert batches(thr) == batches(ref)
    ref = DataLoader(Squares(9), batch_size=2)
    thr = DataLoader(Squares(9), batch_size=2, num_workers=workers, prefetch_factor=1)
    assert batches(thr) == batches(ref)


def test_workers_run_in_threads_with_worker_info_and_init_fn():
    seen = []
    lock = threading.Lock()

    class Who(Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            info = get_worker_info()
            with lock:
                seen.append((info.id, info.num_workers, info.seed, info.dataset is ds))
            return i

    inits = []
    ds = Who()
    loader = DataLoader(ds, batch_size=2, num_workers=2, generator=gen(0),
                        worker_init_fn=lambda wid: inits.append(get_worker_info().id))
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert sorted(inits) == [0, 1]
    ids = {s[0] for s in seen}
    assert ids == {0, 1} and all(s[1] == 2 and s[3] for s in seen)
    seeds = {s[0]: s[2] for s in seen}
    assert seeds[1] == seeds[0] + 1
    assert get_worker_info() is None
    info = WorkerInfo(id=0, num_workers=1, seed=0, dataset=None)
    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo objects"):
        info.id = 3


def test_worker_random_streams_are_per_worker_and_reproducible():
    class Noisy(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return autograd.rand(1).item()

    def run():
        return [b.tolist() for b in DataLoader(Noisy(), batch_size=3, num_workers=2,
                                               generator=gen(4))]

    a, b = run(), run()
    assert a == b and a[0] != a[1]


def test_worker_exception_reraised_with_type_and_origin():
    class Broken(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            if i == 3:
                raise KeyError("bad sample 3")
            return i

    loader = DataLoader(Broken(), batch_size=2, num_workers=2)
    it = iter(loader)
    assert next(it).tolist() == [0, 1]
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker thread 1"):
        next(it)

    def bad_init(wid):
        raise ValueError("no init")

    with pytest.raises(ValueError, match="worker_init_fn"):
        list(DataLoader(Squares(4), num_workers=1, worker_init_fn=bad_init))


def test_worker_timeout():
    class Slow(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            time.sleep(0.5)
            return i

    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.2 seconds"):
        list(DataLoader(Slow(), num_workers=1, timeout=0.2))


def test_iterable_dataset_with_workers():
    sharded = DataLoader(Stream(10), batch_size=2, num_workers=2)
    out = [b.tolist() for b in sharded]
    # round robin between workers: worker 0 has evens, worker 1 odds
    assert out == [[0, 2], [1, 3], [4, 6], [5, 7], [8], [9]]
    dup = DataLoader(Stream(3, shard=False), batch_size=None, num_workers=2)
    assert sorted(int(v) for v in dup) == [0, 0, 1, 1, 2, 2]
    uneven = DataLoader(Stream(5), batch_size=2, num_workers=3)
    assert sorted(x for b in uneven for x in b.tolist()) == [0, 1, 2, 3, 4]


def test_persistent_workers_reuse_threads_and_restart_streams():
    before = threading.active_count()
    loader = DataLoader(make_ds(12), batch_size=5, shuffle=True, generator=gen(2),
                        num_workers=2, persistent_workers=True)
    e1 = batches(loader)
    it = iter(loader)
    next(it)  # leave an epoch half done: its prefetched batches must not leak
    e3 = batches(loader)
    for e in (e1, e3):
        assert sorted(y for _, ys in e for y in ys) == list(range(12))
    assert threading.active_count() <= before + 2
    stream = DataLoader(Stream(6), batch_size=2, num_workers=2, persistent_workers=True)
    assert batches(stream) == batches(stream) == [[0, 2], [1, 3], [4], [5]]


def test_worker_threads_stop_after_the_epoch():
    before = threading.active_count()
    list(DataLoader(make_ds(8), batch_size=2, num_workers=3))
    deadline = time.time() + 5
    while threading.active_count() > before and time.time() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


def test_pin_memory_warns_and_returns_the_batches():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = batches(DataLoader(Squares(3), batch_size=3, pin_memory=True))
    assert out == [[0, 1, 4]] and any("pin_memory" in str(x.message) for x in w)


def test_too_many_workers_warns():
    with pytest.warns(UserWarning, match="This DataLoader will create 1000 worker threads"):
        DataLoader(Squares(2), num_workers=1000)


def test_abandoned_iterator_stops_its_workers():
    before = threading.active_count()
    it = iter(DataLoader(make_ds(40), batch_size=2, num_workers=2))
    next(it)
    del it  # breaking out of a loop mid-epoch drops the iterator
    deadline = time.time() + 5
    while threading.active_count() > before and time.time() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before
