"""What each worker of `python -m ember.distributed.run` runs under mpirun: torchrun's environment variables from
the MPI launcher's own (Open MPI's OMPI_COMM_WORLD_*, MPICH's PMI_* / MPI_LOCAL*), then the user's script.

    python -m ember.distributed._bootstrap [--torch-alias] [-m | --no-python] script [args ...]

A rank whose script raises aborts the whole job (MPI_Abort) once MPI is up, so the other ranks do not wait for it
in a collective."""
import os
import runpy
import sys

# (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE) in the variables of each MPI launcher
_LAUNCHERS = (
    ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE"),
    ("PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"),
    ("PMIX_RANK", None, None, None),
)


def torchrun_env(environ):
    """torchrun's per-worker variables, derived from the MPI launcher's."""
    names = next((names for names in _LAUNCHERS if names[0] in environ), None)
    if names is None:
        raise RuntimeError("ember.distributed._bootstrap: not started by mpirun (no OMPI_COMM_WORLD_RANK / PMI_RANK "
                           "in the environment); use `python -m ember.distributed.run`")
    rank, size, local, local_size = names
    r = int(environ[rank])
    nproc = int(environ.get("EMBER_NPROC_PER_NODE", "1"))
    out = {
        "RANK": str(r),
        "WORLD_SIZE": environ.get(size, environ.get("EMBER_WORLD_SIZE", "1")) if size else
        environ.get("EMBER_WORLD_SIZE", "1"),
        "LOCAL_RANK": environ[local] if local and local in environ else str(r % nproc),
        "LOCAL_WORLD_SIZE": environ[local_size] if local_size and local_size in environ else str(nproc),
    }
    # torchrun's GROUP_RANK is the node's index; the launcher's mpirun places ranks node by node (ppr:N:node, -ppn N),
    # as torchrun numbers them. (Open MPI's OMPI_COMM_WORLD_NODE_RANK is not it: that is the process's rank among
    # those on its node.)
    out.update(GROUP_RANK=str(r // int(out["LOCAL_WORLD_SIZE"])), ROLE_RANK=out["RANK"], ROLE_WORLD_SIZE=out["WORLD_SIZE"],
               ROLE_NAME=environ.get("EMBER_ROLE", "default"),
               GROUP_WORLD_SIZE=environ.get("EMBER_NNODES", "1"),
               TORCHELASTIC_RESTART_COUNT="0", TORCHELASTIC_MAX_RESTARTS="0",
               TORCHELASTIC_RUN_ID=environ.get("EMBER_RUN_ID", "none"),
               MASTER_ADDR=environ.get("MASTER_ADDR", "127.0.0.1"), MASTER_PORT=environ.get("MASTER_PORT", "29500"))
    return out


def _abort_job(code):
    """MPI_Abort when this rank brought MPI up (else there is nobody waiting for it)."""
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is not None and mpi.Is_initialized() and not mpi.Is_finalized() and mpi.COMM_WORLD.Get_size() > 1:
        sys.stdout.flush()
        sys.stderr.flush()
        mpi.COMM_WORLD.Abort(code)


def main(argv):
    alias = False
    mode = "script"
    while argv and argv[0] in ("--torch-alias", "-m", "--no-python"):
        flag = argv.pop(0)
        if flag == "--torch-alias":
            alias = True
        else:
            mode = {"-m": "module", "--no-python": "exec"}[flag]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    os.environ.update(torchrun_env(os.environ))
    if mode == "exec":
        os.execvp(argv[0], argv)
    if alias:
        from .._torch_alias import install_as_torch
        install_as_torch()
    sys.argv = list(argv)
    try:
        if mode == "module":
            sys.path.insert(0, os.getcwd())
            runpy.run_module(argv[0], run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
            runpy.run_path(argv[0], run_name="__main__")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if code:
            if not isinstance(e.code, int):
                print(e.code, file=sys.stderr)
            _abort_job(code)
        return code
    except BaseException:
        import traceback
        traceback.print_exc()
        _abort_job(1)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
