"""The main job for now: a walkthrough of the seed tutorial (PyTorch's 60-minute blitz, parts 1-2) on ember.

Each cell runs in one shared namespace with `ember` bound as `torch`, as notebook cells do; a cell that draws
random numbers is preceded by `torch.manual_seed(0)`. Run: `python3 dev.py demo` (or `python -m ember.demo`).
"""
import ast
import contextlib
import io
import sys

# (code, draws random numbers) for each of the seed's 29 snippets, in order.
SEED_CELLS = [
    ("from __future__ import print_function\nimport torch\nimport numpy as np", False),
    ("x = torch.empty(5,3)\nx", False),
    ("x = torch.rand(5,3)\nx", True),
    ("x = torch.zeros(5,3,dtype=torch.long)\nx", False),
    ("data = [\n    [5,3],\n    [2,6]\n]\nx = torch.tensor(data)\nx", False),
    ("data = np.array([\n    [5,3],\n    [2,6]\n])\nx = torch.tensor(data)\nx", False),
    ("x = x.new_ones(5,3,dtype=torch.double) # new_* methods take in sizes\nx", False),
    ("x = torch.randn_like(x,dtype=torch.float)\nx", True),
    ("x.size()", False),
    ("y = torch.rand(5,3)\nx+y", True),
    ("torch.add(x,y)", False),
    ("result = torch.empty(5,3)\ntorch.add(x,y,out=result)\nresult", False),
    ("y.add_(x)\ny", False),
    ("x[:,1]", False),
    ("x = torch.rand(4,4)\ny = x.view(16)\nz = x.view(-1,8)\nx.size(),y.size(),z.size()", True),
    ("x = torch.randn(1)\nx,x.item()", True),
    ("a = torch.ones(5)\na", False),
    ("b = a.numpy()\nb", False),
    ("a.add_(1)\na,b", False),
    ("a = np.ones(5)\nb = torch.from_numpy(a)\nnp.add(a,1,out=a)\na,b", False),
    ("# 当GPU可用时,可以运行以下代码\n# 将使用`torch.device`来将tensor移入和移出GPU\n\n"
     "if torch.cuda.is_available():\n"
     "    device = torch.device(\"cuda\") # CUDA设备对象\n"
     "    y = torch.ones_like(x,device=device) # 直接在GPU上创建tensor\n"
     "    x = x.to(device) # 或者使用'.to(\"cuda\")'方法\n"
     "    z = x+y\n"
     "    print(z)\n"
     "    print(z.to(\"cpu\",torch.double)) # '.to'也能在移动时改变dtype", False),
    ("import torch\nimport numpy as np", False),
    ("x = torch.ones(2,2,requires_grad=True)\nx", False),
    ("y = x + 2\ny", False),
    ("z = y*y*3\nout = z.mean()\nz,out", False),
    ("a = torch.randn(2,2)\na = ((a*3)/(a-1))\nprint(a.requires_grad)\na.requires_grad_(True)\n"
     "print(a.requires_grad)\nb = (a*a).sum()\nprint(b.grad_fn)", True),
    ("out.backward()", False),
    ("x.grad", False),
    ("print((x**2).requires_grad)\nwith torch.no_grad():\n    print((x**2).requires_grad)", False),
]


def run_cell(code, namespace):
    """Run `code` like a notebook cell; return what it displays (prints, then the repr of a final expression)."""
    tree = ast.parse(code)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body = tree.body[:-1]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(tree, "<cell>", "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
            if value is not None:
                print(repr(value))
    return buf.getvalue()


def run_seed(torch_module, cells=SEED_CELLS):
    """Run all cells with `torch_module` importable as `torch`; yields (code, output) pairs."""
    saved = sys.modules.get("torch")
    sys.modules["torch"] = torch_module
    try:
        ns = {"__name__": "__seed__"}
        for code, random in cells:
            if random:
                torch_module.manual_seed(0)
            yield code, run_cell(code, ns)
    finally:
        if saved is None:
            sys.modules.pop("torch", None)
        else:
            sys.modules["torch"] = saved


def main(argv=None):
    """`python3 dev.py demo [options]`: the seed walkthrough, then training a CNN on the 8x8 digits."""
    import argparse
    ap = argparse.ArgumentParser(
        prog="python3 dev.py demo",
        description="ember's main job: a walkthrough of PyTorch's 60-minute blitz (parts 1-2), then a small CNN "
                    "trained on the UCI 8x8 handwritten digits (Dataset/DataLoader, AdamW + OneCycleLR, a checkpoint "
                    "in PyTorch's format, training curves).")
    ap.add_argument("--parts", default="seed,train",
                    help="comma-separated parts to run: seed (the walkthrough), train (the digits CNN); "
                         "default: seed,train")
    ap.add_argument("--epochs", type=int, default=12, help="training epochs (default 12)")
    ap.add_argument("--batch-size", type=int, default=32, help="training batch size (default 32)")
    ap.add_argument("--lr", type=float, default=0.01, help="peak learning rate of the one-cycle schedule (default 0.01)")
    ap.add_argument("--seed", type=int, default=0, help="seed for initialisation and shuffling (default 0); the "
                                                        "held-out test split is fixed")
    ap.add_argument("--workers", type=int, default=0, help="DataLoader worker processes (default 0)")
    ap.add_argument("--out", default="demo_output", help="folder for the checkpoint and the curves (default "
                                                          "./demo_output)")
    args = ap.parse_args([] if argv is None else argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = [p for p in parts if p not in ("seed", "train")]
    if unknown:
        ap.error(f"unknown part(s) {', '.join(unknown)}: choose from seed, train")
    import ember
    if "seed" in parts:
        for i, (code, out) in enumerate(run_seed(ember), 1):
            seeded = "  (after torch.manual_seed(0))" if SEED_CELLS[i - 1][1] else ""
            print(f"--- cell {i}{seeded}")
            print("\n".join(">>> " + line if line else ">>>" for line in code.splitlines()))
            if out:
                print(out, end="")
    if "train" in parts:
        from .demo_digits import train
        print("\n=== training: a small CNN on the UCI 8x8 handwritten digits (CC BY 4.0) ===", flush=True)
        train(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed, out=args.out,
              workers=args.workers)


if __name__ == "__main__":
    main(sys.argv[1:])
