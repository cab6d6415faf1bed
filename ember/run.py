"""Run an unmodified PyTorch script on ember: `python -m ember.run script.py [args...]` (or `-m module [args...]`).

`import torch` and every `torch.*` import in the script resolve to ember (ember.install_as_torch); the script runs
as `__main__` with `sys.argv` set to its own path and arguments, as `python script.py args` would run it."""
import os
import runpy
import sys

USAGE = "usage: python -m ember.run script.py [args ...]\n       python -m ember.run -m module [args ...]"


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip() + "\n\n" + USAGE)
        return 0 if argv else 2
    from ._torch_alias import install_as_torch
    install_as_torch()
    if argv[0] == "-m":
        if len(argv) < 2:
            print(USAGE, file=sys.stderr)
            return 2
        sys.argv = [argv[1], *argv[2:]]
        sys.path.insert(0, os.getcwd())
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    script = argv[0]
    if not os.path.exists(script):
        print(f"{sys.executable}: can't open file {script!r}: [Errno 2] No such file or directory", file=sys.stderr)
        return 2
    sys.argv = [script, *argv[1:]]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
