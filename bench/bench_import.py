"""`import ember` wall time: best of N fresh interpreters (the suite has no timed assertions; this is where the
figure is measured), next to `import numpy` (which ember cannot be faster than) and the first use of bfloat16
(which loads ml_dtypes).

    .venv/bin/python bench/bench_import.py                        # this interpreter
    .venv/bin/python bench/bench_import.py --ml-dtypes-versions   # clean venvs with ml_dtypes 0.5.4 / 0.6.0 / 0.7.0
    .venv/bin/python bench/bench_import.py --no-bytecode          # ember's modules compiled on every import

--ml-dtypes-versions builds one clean virtual environment per version in a temporary directory (`python -m venv`,
no system site-packages: only numpy, at this interpreter's version, and that ml_dtypes, installed by pip) and runs
the same measurements there, with this checkout's ember on PYTHONPATH.

Bytecode is written on a first, untimed run (PYTHONDONTWRITEBYTECODE is dropped), as after any install.

Figures (ml_dtypes 0.5.4 / 0.6.0 / 0.7.0) are in bench/README.md: `import ember` costs about 0.02 s of CPU on top
of `import numpy` with each, since ml_dtypes is imported only on first use of bfloat16.
"""
import argparse
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSIONS = ("0.5.4", "0.6.0", "0.7.0")
TIMED = ("import time; t, c = time.perf_counter(), time.process_time(); {code}; "
         "print(time.perf_counter() - t, time.process_time() - c)")
CASES = {  # name: (setup, timed code)
    "import numpy": ("", "import numpy"),
    "import ember": ("", "import ember"),
    "import ml_dtypes": ("import numpy", "import ml_dtypes"),
    "first bfloat16 tensor": ("import ember", "ember.tensor([1.5], dtype=ember.bfloat16)"),
}


SOURCE_ONLY = None  # --no-bytecode: a copy of ember's sources without bytecode caches, imported from there


def _env():
    if SOURCE_ONLY is not None:
        return dict(os.environ, PYTHONPATH=SOURCE_ONLY, PYTHONDONTWRITEBYTECODE="1")
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def best_time(python, setup, code, n):
    """Best of n fresh interpreters (each pays the whole import; the OS file cache is warm after the first):
    (wall seconds, CPU seconds of the process). On a loaded machine the CPU time is the steadier figure."""
    script = (setup + "\n" if setup else "") + TIMED.format(code=code)
    env = _env()
    cwd = SOURCE_ONLY or ROOT
    if SOURCE_ONLY is None:
        subprocess.run([python, "-c", script], capture_output=True, env=env, cwd=cwd, check=True)  # writes bytecode
    wall = cpu = float("inf")
    for _ in range(n):
        r = subprocess.run([python, "-c", script], capture_output=True, text=True, env=env, cwd=cwd, check=True)
        w, c = map(float, r.stdout.split())
        wall, cpu = min(wall, w), min(cpu, c)
    return wall, cpu


def measure(python, n):
    ver = subprocess.run([python, "-c", "import numpy, ml_dtypes; print(numpy.__version__, ml_dtypes.__version__)"],
                         capture_output=True, text=True, check=True).stdout.split()
    row = {name: best_time(python, setup, code, n) for name, (setup, code) in CASES.items()}
    return ver, row


def make_venv(where, version):
    """A clean venv with numpy (this interpreter's version) and ml_dtypes==version, from the package registry."""
    import numpy
    path = os.path.join(where, "ml_dtypes-" + version)
    subprocess.run([sys.executable, "-m", "venv", path], check=True)
    py = os.path.join(path, "bin", "python")
    subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", f"numpy=={numpy.__version__}",
                    f"ml_dtypes=={version}"], check=True)
    return py


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=9, help="fresh interpreters per figure (the best is reported)")
    ap.add_argument("--ml-dtypes-versions", nargs="*", metavar="VERSION",
                    help=f"measure in clean venvs with these ml_dtypes versions (default: {' '.join(VERSIONS)})")
    ap.add_argument("--no-bytecode", action="store_true",
                    help="import ember from a copy of its sources without bytecode caches, with "
                         "PYTHONDONTWRITEBYTECODE=1: every module is compiled on import, as in an editable install "
                         "that was never byte-compiled (NumPy keeps its own caches)")
    args = ap.parse_args()
    if args.no_bytecode:
        import shutil
        global SOURCE_ONLY
        tmp_src = tempfile.TemporaryDirectory(prefix="ember-bench-import-src-")
        shutil.copytree(os.path.join(ROOT, "ember"), os.path.join(tmp_src.name, "ember"),
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        SOURCE_ONLY = tmp_src.name
    print(f"best of {args.n}: wall / CPU seconds")
    print(f"{'numpy':<8}{'ml_dtypes':<11}" + "".join(f"{name:>24}" for name in CASES))
    if args.ml_dtypes_versions is None:
        pythons = [(None, sys.executable)]
    else:
        tmp = tempfile.TemporaryDirectory(prefix="ember-bench-import-")
        pythons = [(v, None) for v in (args.ml_dtypes_versions or VERSIONS)]
    for version, py in pythons:
        if py is None:
            py = make_venv(tmp.name, version)
        (np_ver, ml_ver), row = measure(py, args.n)
        print(f"{np_ver:<8}{ml_ver:<11}" + "".join(f"{row[name][0]:>16.3f} / {row[name][1]:.3f}" for name in CASES),
              flush=True)


if __name__ == "__main__":
    main()
