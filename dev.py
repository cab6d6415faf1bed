#!/usr/bin/env python3
"""The project's two commands, on a machine with only Python 3.10+:

    python3 dev.py demo    # set up .venv if needed, then walk through the seed tutorial on ember
    python3 dev.py test    # set up .venv with the test and mpi extras (torch 2.13 as the oracle), lint, run the tests

Each creates or reuses ./.venv and installs only when pyproject.toml changed since the last install."""
import hashlib
import os
import subprocess
import sys
import venv

ROOT = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(ROOT, ".venv")
PY = os.path.join(VENV, "bin", "python")


def run(*cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=ROOT, **kw)


def ensure_env(extra):
    if not os.path.exists(PY):
        venv.EnvBuilder(with_pip=True).create(VENV)
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        digest = hashlib.sha256(f.read() + extra.encode()).hexdigest()
    stamp = os.path.join(VENV, ".ember-installed-" + (extra or "base"))
    if not (os.path.exists(stamp) and open(stamp).read() == digest):
        install(extra, stamp, digest)
    # An editable install leaves ember's modules uncompiled (a wheel install byte-compiles them), and where
    # PYTHONDONTWRITEBYTECODE is set Python never writes the cache itself: every `import ember` would then compile
    # ~40 modules (~0.2 s). compileall writes the cache regardless and only recompiles files that changed.
    subprocess.call([PY, "-m", "compileall", "-q", os.path.join(ROOT, "ember")], cwd=ROOT)


def install(extra, stamp, digest):
    target = "." + (f"[{extra}]" if extra else "")
    rc = run(PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", target)
    if rc:
        sys.exit(rc)
    with open(stamp, "w") as f:
        f.write(digest)


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "demo":
        ensure_env("")
        sys.exit(run(PY, "-m", "ember.demo", *sys.argv[2:]))
    if what == "test":
        # the mpi extra too: tests/test_distributed.py starts MPI jobs (and fails, not skips, without it)
        ensure_env("test,mpi")
        rc = run(PY, "-m", "ruff", "check", "ember", "tests", "bench", "dev.py")
        if rc:
            sys.exit(rc)
        sys.exit(run(PY, "-m", "pytest", *sys.argv[2:]))
    print(__doc__)
    sys.exit(2)


if __name__ == "__main__":
    main()
