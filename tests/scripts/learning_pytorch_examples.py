"""Our own re-creation of PyTorch's "Learning PyTorch with Examples": fit y = sin(x) on [-pi, pi] with a cubic,
seven ways. Plain PyTorch; tests/test_run.py runs it under torch and under `python -m ember.run` and compares
the printed lines. Arguments: --steps N (default 400), --every K (print every K steps)."""
import argparse
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F  # noqa: F401  (the import path itself is part of what is checked)
import torch.optim as optim
from torch import Tensor
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=400)
parser.add_argument("--every", type=int, default=100)
args = parser.parse_args()

torch.set_default_dtype(torch.float64)
dtype = torch.float64
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)


def report(part, t, loss, digits=6):
    if t % args.every == args.every - 1:
        print(f"{part} {t:5d} {loss:.{digits}e}")


def f5(v, places=5):
    # rounded first so a coefficient within rounding of zero prints as 0.00000, never as -0.00000 on one side
    return f"{round(v, places) + 0.0:.{places}f}"


def show(part, a, b, c, d, places=5):
    print(f"{part} result: y = {f5(a, places)} + {f5(b, places)} x + {f5(c, places)} x^2 + {f5(d, places)} x^3")


# 1. raw tensors, gradients by hand
torch.manual_seed(0)
a, b, c, d = (torch.randn((), dtype=dtype) for _ in range(4))
lr = 1e-6
for t in range(args.steps):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum().item()
    report("tensors", t, loss)
    grad_y_pred = 2.0 * (y_pred - y)
    a -= lr * grad_y_pred.sum()
    b -= lr * (grad_y_pred * x).sum()
    c -= lr * (grad_y_pred * x ** 2).sum()
    d -= lr * (grad_y_pred * x ** 3).sum()
show("tensors", a.item(), b.item(), c.item(), d.item())

# 2. autograd
torch.manual_seed(0)
a, b, c, d = (torch.randn((), dtype=dtype, requires_grad=True) for _ in range(4))
for t in range(args.steps):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    report("autograd", t, loss.item())
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c, d):
            p -= lr * p.grad
            p.grad = None
show("autograd", a.item(), b.item(), c.item(), d.item())


# 3. a custom autograd.Function: the Legendre polynomial P3
class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
lr3 = 5e-6
for t in range(args.steps):
    P3 = LegendrePolynomial3.apply
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    report("function", t, loss.item())
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c, d):
            p -= lr3 * p.grad
            p.grad = None
show("function", a.item(), b.item(), c.item(), d.item())

# 4. nn: Sequential with Flatten, MSELoss(reduction='sum'), manual update
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
loss_fn = nn.MSELoss(reduction="sum")
for t in range(args.steps):
    loss = loss_fn(model(xx), y)
    report("nn", t, loss.item())
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param in model.parameters():
            param -= lr * param.grad
linear = model[0]
show(
    "nn", linear.bias.item(), linear.weight[:, 0].item(), linear.weight[:, 1].item(), linear.weight[:, 2].item())

# 5. optim.RMSprop
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
optimizer = optim.RMSprop(model.parameters(), lr=1e-3)
for t in range(args.steps):
    loss = loss_fn(model(xx), y)
    # RMSprop divides by the root of a running mean square: at this lr the fit oscillates and float64 rounding
    # differences in the 2000-element sums (1e-15 relative; torch itself moves by 2e-5 at step 299 when x is
    # scaled by 1 + 1e-15) grow to ~1e-5 relative, so its lines carry 4 significant digits
    report("rmsprop", t, loss.item(), digits=3)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
linear = model[0]
show("rmsprop", linear.bias.item(), linear.weight[:, 0].item(), linear.weight[:, 1].item(),
     linear.weight[:, 2].item(), places=3)


# 6. a custom Module, optim.SGD, batches from a DataLoader
class Polynomial3(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.randn(()))
        self.b = nn.Parameter(torch.randn(()))
        self.c = nn.Parameter(torch.randn(()))
        self.d = nn.Parameter(torch.randn(()))

    def forward(self, x: Tensor) -> Tensor:
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f"y = {f5(self.a.item())} + {f5(self.b.item())} x + {f5(self.c.item())} x^2 + {f5(self.d.item())} x^3"


torch.manual_seed(0)
model = Polynomial3()
optimizer = optim.SGD(model.parameters(), lr=1e-6)
loader = DataLoader(TensorDataset(x, y), batch_size=500, shuffle=True)
for t in range(args.steps // 4):
    for xb, yb in loader:
        loss = loss_fn(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    report("module", 4 * t + 3, loss.item())
print("module result:", model.string())


# 7. a module with random depth (Python's random picks how often the 4th-order term is reused)
class DynamicNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.randn(()))
        self.b = nn.Parameter(torch.randn(()))
        self.c = nn.Parameter(torch.randn(()))
        self.d = nn.Parameter(torch.randn(()))
        self.e = nn.Parameter(torch.randn(()))

    def forward(self, x):
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for exp in range(4, random.randint(4, 6)):
            y = y + self.e * x ** exp
        return y

    def string(self):
        return (f"y = {f5(self.a.item())} + {f5(self.b.item())} x + {f5(self.c.item())} x^2 + {f5(self.d.item())} x^3 "
                f"+ {f5(self.e.item())} x^4 ? + {f5(self.e.item())} x^5 ?")


random.seed(0)
torch.manual_seed(0)
model = DynamicNet()
optimizer = optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
for t in range(args.steps):
    loss = loss_fn(model(x), y)
    report("dynamic", t, loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("dynamic result:", model.string())
print("isinstance(y, Tensor):", isinstance(y, Tensor), type(torch.zeros(1)).__name__)
