"""Run by tests/test_distributed.py on 2 ranks: rank 1 fails in the way argv[1] names while rank 0 waits for it in an
all_reduce; the job must fail (not hang) and the launcher must say which rank failed.
  kill:  rank 1 is killed by SIGKILL (mpirun stops the others)
  raise: rank 1 raises (the launcher's worker aborts the job)
  hang:  rank 1 never calls the all_reduce (rank 0's watchdog aborts after the group's 2 s timeout)
  ddp_hang: the same in a DDP backward (run with the communication thread: the watchdog watches its calls)"""
import datetime
import os
import signal
import sys
import time

import ember
import ember.distributed as dist

mode = sys.argv[1]
# a short timeout where the watchdog is what must act; elsewhere a long one, so that mpirun's own report of the
# dead rank comes first however loaded the machine is
dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=2 if mode.endswith("hang") else 120))
rank = dist.get_rank()
dist.barrier()
if mode == "ddp_hang":
    from ember.nn.parallel import DistributedDataParallel as DDP
    ddp = DDP(ember.nn.Linear(4, 2))
if rank == 1:
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif mode == "raise":
        raise ValueError("rank 1 gives up")
    else:
        time.sleep(120)
if mode == "ddp_hang":
    ddp(ember.ones(3, 4)).sum().backward()
else:
    t = ember.ones(4)
    dist.all_reduce(t)
print("rank 0 finished", flush=True)
