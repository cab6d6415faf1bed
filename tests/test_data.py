"""ember.utils.data against torch.utils.data: orders, batch shapes and collated types for the same seeds;
samplers, random_split, datasets; worker processes (same batches as in-process, seeding, errors, death)."""
import collections
import os
import random
import signal

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import ember
import ember.utils.data as edata

LIBS = ((ember, edata), (torch, tdata))


def describe(obj):
    """A library-neutral picture of a collated batch: values, dtypes, shapes and container types."""
    if isinstance(obj, (torch.Tensor, ember.Tensor)):
        return ("T", str(obj.dtype).split(".")[1], tuple(obj.shape), obj.tolist())
    if isinstance(obj, dict):
        return (type(obj).__name__, {k: describe(v) for k, v in obj.items()})
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return ("namedtuple", type(obj).__name__, [describe(v) for v in obj])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [describe(v) for v in obj])
    if isinstance(obj, np.ndarray):
        return ("nd", obj.dtype.str, obj.tolist())
    return (type(obj).__name__, obj)


def both(fn):
    return [fn(lib, data) for lib, data in LIBS]


def tensor_ds(lib, data, n=23):
    x = lib.arange(n * 6, dtype=lib.float32).reshape(n, 2, 3)
    return data.TensorDataset(x, lib.arange(n) * 10, lib.arange(n, dtype=lib.float64))


LOADER_KWARGS = [dict(), dict(batch_size=4), dict(batch_size=4, shuffle=True), dict(batch_size=5, drop_last=True),
                 dict(batch_size=5, shuffle=True, drop_last=True), dict(batch_size=None), dict(batch_size=None,
                                                                                              shuffle=True)]


@pytest.mark.parametrize("kw", LOADER_KWARGS, ids=str)
@pytest.mark.parametrize("seed", [0, 7])
def test_tensor_dataset_batches_equal_torch(kw, seed):
    def run(lib, data):
        lib.manual_seed(seed)
        loader = data.DataLoader(tensor_ds(lib, data), **kw)
        epochs = [[describe(b) for b in loader] for _ in range(2)]
        return epochs, len(loader)
    e, t = both(run)
    assert e == t


@pytest.mark.parametrize("shuffle", [False, True])
def test_explicit_generator_and_global_state_after(shuffle):
    def run(lib, data):
        lib.manual_seed(3)
        g = lib.Generator().manual_seed(11)
        order = [b[1].tolist() for b in data.DataLoader(tensor_ds(lib, data), batch_size=3, shuffle=shuffle,
                                                        generator=g)]
        return order, lib.rand(3).tolist(), g.initial_seed()
    e, t = both(run)
    assert e == t


Point = collections.namedtuple("Point", "x y")


class Samples:
    """Samples of every kind default_collate handles."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 7

    def __getitem__(self, i):
        lib = self.lib
        return {"t": lib.full((2,), i, dtype=lib.int32), "nd": np.arange(3, dtype=np.float32) * i,
                "nps": np.float64(i) / 2, "npi": np.int16(i), "npb": np.bool_(i % 2), "f": i / 4, "i": i,
                "b": i % 2 == 0, "s": f"s{i}", "by": b"x", "tup": (i, float(i)), "lst": [i, [i, i]],
                "pt": Point(i, lib.tensor([i]))}


@pytest.mark.parametrize("kw", [dict(batch_size=3), dict(batch_size=3, shuffle=True), dict(batch_size=None)],
                         ids=str)
def test_collated_types_equal_torch(kw):
    def run(lib, data):
        lib.manual_seed(1)
        return [describe(b) for b in data.DataLoader(Samples(lib), **kw)]
    e, t = both(run)
    assert e == t


def test_default_convert_and_collate_direct():
    def run(lib, data):
        items = [np.arange(3), (np.int8(1), "a"), Point(np.float32(2), [np.ones(2)]), {"k": np.zeros(2)}, 5]
        return ([describe(data.default_convert(x)) for x in items],
                describe(data.default_collate([(1, 2.5), (3, 4.5)])))
    e, t = both(run)
    assert e == t


@pytest.mark.parametrize("batch", [[np.array(["a"]), np.array(["b"])], [object(), object()], [[1, 2], [3]]],
                         ids=["strarray", "object", "ragged"])
def test_collate_errors_match_torch(batch):
    errs = []
    for _lib, data in LIBS:
        with pytest.raises((TypeError, RuntimeError)) as info:
            data.default_collate(batch)
        errs.append((info.type, str(info.value).split("found")[0]))
    assert errs[0] == errs[1]


def test_samplers_equal_torch():
    def run(lib, data):
        lib.manual_seed(2)
        g = lib.Generator().manual_seed(9)
        w = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6]
        return [list(data.SequentialSampler(range(5))),
                list(data.RandomSampler(range(10))),
                list(data.RandomSampler(range(10), replacement=True, num_samples=70)),
                list(data.RandomSampler(range(10), num_samples=25, generator=g)),
                list(data.SubsetRandomSampler([3, 5, 7, 9, 11])),
                list(data.WeightedRandomSampler(w, 20)),
                list(data.WeightedRandomSampler(w, 5, replacement=False, generator=g)),
                list(data.BatchSampler(range(10), 3, False)), list(data.BatchSampler(range(10), 3, True)),
                len(data.BatchSampler(range(10), 3, False)), len(data.BatchSampler(range(10), 3, True)),
                [list(data.DistributedSampler(range(11), num_replicas=3, rank=r, shuffle=s, drop_last=d))
                 for r in range(3) for s in (False, True) for d in (False, True)]]
    e, t = both(run)
    assert e == t


def test_distributed_sampler_epochs():
    def run(lib, data):
        s = data.DistributedSampler(range(10), num_replicas=2, rank=0, seed=4)
        out = []
        for ep in range(3):
            s.set_epoch(ep)
            out.append(list(s))
        return out, len(s)
    e, t = both(run)
    assert e == t


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.3, 0.4], [0.5, 0.5], [0.33, 0.33, 0.34], [1, 0, 9]])
def test_random_split_equal_torch(lengths):
    def run(lib, data):
        lib.manual_seed(0)
        a = [list(s.indices) for s in data.random_split(range(10), lengths)]
        b = [list(s.indices) for s in data.random_split(range(10), lengths, generator=lib.Generator().manual_seed(42))]
        return a, b
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, t = both(run)
    assert e == t


def test_random_split_errors():
    for _lib, data in LIBS:
        with pytest.raises(ValueError, match="Sum of input lengths"):
            data.random_split(range(10), [3, 3])
        with pytest.raises(ValueError, match="Fraction at index 0"):
            data.random_split(range(10), [1.5, -0.5])


def test_datasets_equal_torch():
    def run(lib, data):
        a, b = tensor_ds(lib, data, 4), tensor_ds(lib, data, 3)
        cat = a + b
        sub = data.Subset(cat, [6, 0, 2])
        st = data.StackDataset(a, range(4))
        sd = data.StackDataset(x=a, y=list("abcd"))

        class It(data.IterableDataset):
            def __init__(self, n):
                self.n = n

            def __iter__(self):
                return iter(range(self.n))

            def __len__(self):
                return self.n
        chain = It(2) + It(3)
        return (len(cat), describe(cat[5]), describe(cat[-1]), cat.cumulative_sizes, len(sub), describe(sub[0]),
                describe(sub.__getitems__([1, 2])), describe(st[1]), describe(st.__getitems__([0, 3])),
                describe(sd[2]), describe(sd.__getitems__([1])), list(chain), len(chain),
                [describe(x) for x in data.DataLoader(sub, batch_size=2)],
                [describe(x) for x in data.DataLoader(sd, batch_size=3)],
                [describe(x) for x in data.DataLoader(chain, batch_size=2)],
                [describe(x) for x in data.DataLoader(chain, batch_size=2, drop_last=True)],
                len(data.DataLoader(chain, batch_size=2)))
    e, t = both(run)
    assert e == t


def test_dataset_errors_match_torch():
    for lib, data in LIBS:
        with pytest.raises(AssertionError, match="Size mismatch"):
            data.TensorDataset(lib.zeros(3), lib.zeros(4))
        with pytest.raises(ValueError, match="Size mismatch"):
            data.StackDataset(range(3), range(4))
        with pytest.raises(ValueError, match="absolute value"):
            data.ConcatDataset([range(3)])[-5]
        with pytest.raises(NotImplementedError):
            data.Dataset()[0]


@pytest.mark.parametrize("kw,match", [
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(shuffle=True, sampler=[0, 1]), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
    (dict(batch_size=0), "batch_size should be a positive integer value"),
    (dict(multiprocessing_context="fork"), "multiprocessing_context can only be used"),
])
def test_loader_argument_errors_match_torch(kw, match):
    for _lib, data in LIBS:
        with pytest.raises(ValueError, match=match):
            data.DataLoader(range(4), **kw)


def test_loader_attribute_freeze_and_samplers():
    for _lib, data in LIBS:
        dl = data.DataLoader(range(10), batch_size=2)
        with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader"):
            dl.batch_size = 3

    def run(lib, data):
        lib.manual_seed(5)
        out = [describe(b) for b in data.DataLoader(range(10), batch_sampler=[[1, 2], [9], [0, 4, 5]])]
        out += [describe(b) for b in data.DataLoader(range(10), sampler=data.SubsetRandomSampler([1, 3, 5]),
                                                       batch_size=2)]
        out += [describe(b) for b in data.DataLoader(range(5), batch_size=2, collate_fn=lambda b: b)]
        return out
    e, t = both(run)
    assert e == t


def test_pin_memory_accepted_with_torch_warning():
    for _lib, data in LIBS:
        with pytest.warns(UserWarning, match="no accelerator is found"):
            batches = [b.tolist() for b in data.DataLoader(range(4), batch_size=2, pin_memory=True)]
        assert batches == [[0, 1], [2, 3]]


# ---- worker processes (few and small: the machine has 2 cores) ------------------------------------------------

class SeedProbe(edata.Dataset):
    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = (edata if self.lib is ember else tdata).get_worker_info()
        return [info.id, info.num_workers, info.seed, random.random(), float(np.random.rand()),
                self.lib.rand(1).item()]


def test_workers_same_batches_and_seeding_as_torch():
    def run(lib, data):
        lib.manual_seed(0)
        ds = tensor_ds(lib, data)
        in_proc = [describe(b) for b in data.DataLoader(ds, batch_size=4, shuffle=True,
                                                         generator=lib.Generator().manual_seed(1))]
        workers = [describe(b) for b in data.DataLoader(ds, batch_size=4, shuffle=True, num_workers=2,
                                                         generator=lib.Generator().manual_seed(1))]
        assert in_proc == workers
        probe = [describe(b) for b in data.DataLoader(SeedProbe(lib), batch_size=None, num_workers=2,
                                                       generator=lib.Generator().manual_seed(3))]
        return workers, probe, data.get_worker_info()
    e, t = both(run)
    assert e == t


def ranges(data):
    class Ranges(data.IterableDataset):
        def __iter__(self):
            info = data.get_worker_info()
            start, step = (0, 1) if info is None else (info.id, info.num_workers)
            return iter(range(start, 9, step))
    return Ranges()


def test_iterable_dataset_workers_and_persistent_workers():
    def run(lib, data):
        it = [b.tolist() for b in data.DataLoader(ranges(data), batch_size=2, num_workers=2)]
        dl = data.DataLoader(tensor_ds(lib, data, 6), batch_size=4, num_workers=2, persistent_workers=True,
                             worker_init_fn=lambda wid: None)
        epochs = [[b[1].tolist() for b in dl] for _ in range(2)]
        return it, epochs
    e, t = both(run)
    assert e == t


class Faulty(edata.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            raise KeyError("sample three is missing")
        return i


def test_worker_exception_shows_traceback():
    with pytest.raises(KeyError) as info:
        list(edata.DataLoader(Faulty(), batch_size=2, num_workers=2))
    msg = str(info.value)
    assert "Caught KeyError in DataLoader worker process 1." in msg
    assert "Original Traceback (most recent call last):" in msg
    assert "sample three is missing" in msg and "__getitem__" in msg


class Killer(edata.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


def test_worker_killed_by_signal_raises_instead_of_hanging():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid \d+\) is killed by signal: Killed"):
        list(edata.DataLoader(Killer(), batch_size=2, num_workers=2))


def test_worker_timeout():
    class Slow(edata.Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            import time
            time.sleep(3)
            return i
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.2 seconds"):
        list(edata.DataLoader(Slow(), batch_size=1, num_workers=1, timeout=0.2))


def test_chain_dataset_and_in_order_false_match_torch():
    """ChainDataset chains iterable datasets (and refuses map-style ones as torch does); in_order=False with workers
    yields the same batches as torch (as a set: completion order may differ)."""
    def make(lib_data):
        class It(lib_data.IterableDataset):
            def __init__(self, lo, hi):
                self.lo, self.hi = lo, hi

            def __iter__(self):
                return iter(range(self.lo, self.hi))
        return It

    outs = []
    for lib_data in (tdata, edata):
        It = make(lib_data)
        ch = lib_data.ChainDataset([It(0, 3), It(10, 12)])
        with pytest.raises(AssertionError) as info:
            list(lib_data.ChainDataset([It(0, 1), [1, 2]]))
        outs.append((list(ch), str(info.value)))
    assert outs[0] == outs[1]
    batches = []
    for lib, lib_data in ((torch, tdata), (ember, edata)):
        ds = lib_data.TensorDataset(lib.arange(12.0))
        dl = lib_data.DataLoader(ds, batch_size=3, num_workers=2, in_order=False)
        batches.append(sorted(tuple(b[0].tolist()) for b in dl))
    assert batches[0] == batches[1]
