"""torch.distributed.algorithms.join: the generic join context manager for uneven inputs
(torch/distributed/algorithms/join.py).

A rank that runs out of inputs leaves the `with Join([...])` block and, until every rank has, runs its joinables'
main hooks once per iteration of the others: they make the collectives the others' iteration makes (with zeros),
so nobody waits forever. The ranks still training say so each iteration (`notify_join_context`: an all-reduce of
1 matched by the joined ranks' all-reduce of 0, which counts them). Once all have joined, the post hooks run.
As torch's, the joinables keep the context's configuration after the block."""
import warnings
from typing import NamedTuple

__all__ = ["Join", "JoinHook", "Joinable"]


class JoinHook:
    """A joinable's two entry points: main_hook() once per iteration of the ranks still training, post_hook(
    is_last_joiner) once every rank has joined."""

    def main_hook(self):
        pass

    def post_hook(self, is_last_joiner):
        pass


class _JoinConfig(NamedTuple):
    enable: bool
    throw_on_early_termination: bool
    is_first_joinable: bool

    @staticmethod
    def construct_disabled_join_config():
        return _JoinConfig(enable=False, throw_on_early_termination=False, is_first_joinable=False)


class Joinable:
    """A class that takes part in Join: join_hook(**kwargs), join_device, join_process_group."""

    def __init__(self):
        super().__init__()
        self._join_config = _JoinConfig.construct_disabled_join_config()

    def join_hook(self, **kwargs):
        raise NotImplementedError

    @property
    def join_device(self):
        raise NotImplementedError

    @property
    def join_process_group(self):
        raise NotImplementedError


class Join:
    """with Join([ddp, ...], enable=True, throw_on_early_termination=False, **hook_kwargs): the block may end on
    different iterations on different ranks; see the module's docstring."""

    def __init__(self, joinables, enable=True, throw_on_early_termination=False, **kwargs):
        if len(joinables) == 0:
            raise ValueError("The join context manager requires at least one joinable")
        self._joinables = joinables
        self._join_hooks = [joinable.join_hook(**kwargs) for joinable in self._joinables]
        self._enable = enable
        self._throw_on_early_termination = throw_on_early_termination
        first = True
        for joinable in self._joinables:
            joinable._join_config = _JoinConfig(enable=enable, throw_on_early_termination=throw_on_early_termination,
                                                is_first_joinable=first)
            first = False
        process_group = None
        for joinable in self._joinables:
            if process_group is None:
                process_group = joinable.join_process_group
            elif process_group != joinable.join_process_group:
                raise ValueError("Using join context manager with multiple process groups")
        self._process_group = process_group
        from ember import distributed as dist
        self._rank = dist.get_rank(process_group)

    def __enter__(self):
        pass

    def __exit__(self, type, value, traceback):
        """Run the main hooks until every rank has joined, then the post hooks."""
        if not self._enable or type:
            return  # an exception propagates as it is
        all_procs_joined = False
        is_last_joiner = True
        i = 0
        WARN_THRESHOLD = 1000
        while not all_procs_joined:
            if i > WARN_THRESHOLD:
                warnings.warn(f"Detected uneven input skew of greater than {WARN_THRESHOLD}. This means that rank "
                              f"{self._rank} has at least {WARN_THRESHOLD} fewer inputs than other currently-active "
                              "ranks. This level of skew could lead to performance degradation during training.",
                              stacklevel=2)
            if self._get_num_nonjoined_procs() == 0:
                all_procs_joined = True
            else:
                if self._throw_on_early_termination:
                    self._notify_procs_to_terminate()
                for join_hook in self._join_hooks:
                    join_hook.main_hook()
                is_last_joiner = False
                i += 1
        for join_hook in self._join_hooks:
            join_hook.post_hook(is_last_joiner)

    def _get_num_nonjoined_procs(self):
        import ember
        from ember import distributed as dist
        n = ember.zeros(1)
        dist.all_reduce(n, group=self._process_group)
        return n.item()

    def _notify_procs_to_terminate(self):
        import ember
        from ember import distributed as dist
        dist.all_reduce(ember.ones(1), group=self._process_group)
        raise RuntimeError(f"Rank {self._rank} exhausted all inputs.")

    @staticmethod
    def notify_join_context(joinable):
        """Called by a joinable before its iteration's collectives: an all-reduce of 1 that the joined ranks count
        (the first joinable only). With throw_on_early_termination, raises once some rank has joined."""
        import ember
        from ember import distributed as dist
        if not hasattr(joinable, "_join_config"):
            raise AssertionError(f"Check that the {type(joinable)} constructor calls the ``Joinable`` constructor")
        join_config = joinable._join_config
        if not join_config.is_first_joinable or not join_config.enable:
            return None
        process_group = joinable.join_process_group
        ones = ember.ones(1)
        # blocking (torch's is async and waited later): MPI needs the call to progress anyway
        dist.all_reduce(ones, group=process_group)
        if join_config.throw_on_early_termination:
            zeros = ember.zeros(1)
            dist.all_reduce(zeros, group=process_group)
            if zeros.item():
                raise RuntimeError("Detected at least one rank that exhausted inputs. Throwing across all ranks.")
        return ones
