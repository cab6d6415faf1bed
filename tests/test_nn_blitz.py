"""Our own re-creation of the blitz "Neural Networks" chapter, run as one script under torch and under ember
(`import ember as torch`) and compared line by line: a LeNet on 1x32x32 images (two 5x5 convolutions with max
pooling, three linear layers), printed, run, backpropagated, its loss graph walked and its weights updated by hand.

Printed lines must be equal after two normalisations: object addresses (`0x...`) are masked, and numbers are
compared within 2e-4 (the script runs in float32: the last printed digit of a matmul result may round either way
on another BLAS kernel, so exact digits would make the test machine-dependent)."""
import contextlib
import io
import re
import sys
import types

import ember

SCRIPT = '''
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        # 1 input image channel, 6 output channels, 5x5 kernels; then 6 -> 16 channels
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        # 16 channels of 5x5 after two rounds of conv + 2x2 max pooling on a 32x32 image
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))   # 1x32x32 -> 6x28x28 -> 6x14x14
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)        # -> 16x10x10 -> 16x5x5
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


net = Net()
print(net)

params = list(net.parameters())
print(len(params))
print(params[0].size())
print([name for name, _ in net.named_parameters()])

input = torch.randn(1, 1, 32, 32)
out = net(input)
print(out)

net.zero_grad()
out.backward(torch.randn(1, 10))
print(net.fc3.bias.grad)
print(net.conv1.weight.grad.shape, net.conv1.weight.grad[0, 0, 0])

output = net(input)
target = torch.randn(10).view(1, -1)
criterion = nn.MSELoss()
loss = criterion(output, target)
print(loss)

print(loss.grad_fn)
print(loss.grad_fn.next_functions[0][0])
print(loss.grad_fn.next_functions[0][0].next_functions[0][0])
print(loss.grad_fn.next_functions[0][0].next_functions)
print(net.conv1(input).grad_fn)
print(F.max_pool2d(net.conv1(input), 2).grad_fn)

net.zero_grad()
print("conv1.bias.grad before backward")
print(net.conv1.bias.grad)
loss.backward()
print("conv1.bias.grad after backward")
print(net.conv1.bias.grad)
print(net.conv2.weight.grad.norm())

learning_rate = 0.01
for f in net.parameters():
    f.data.sub_(f.grad.data * learning_rate)
print(net(input))
print(criterion(net(input), target))
print(net.state_dict()["fc3.bias"])
'''

NUM = re.compile(r"-?\d+\.\d+(?:e[+-]?\d+)?")


def _run(lib):
    buf = io.StringIO()
    saved = {k: sys.modules.get(k) for k in ("torch", "torch.nn", "torch.nn.functional")}
    try:
        if lib is ember:
            sys.modules["torch"] = ember
            sys.modules["torch.nn"] = ember.nn
            sys.modules["torch.nn.functional"] = ember.nn.functional
        with contextlib.redirect_stdout(buf):
            exec(compile(SCRIPT, "<blitz-nn>", "exec"), {"__name__": "blitz", "__builtins__": __builtins__})
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return buf.getvalue().replace("torch.", "ember.").splitlines()


def test_neural_networks_chapter_line_by_line():
    import torch
    assert isinstance(torch, types.ModuleType)
    t_lines = _run(torch)
    e_lines = _run(ember)
    assert len(e_lines) == len(t_lines), "\n".join(e_lines)
    for k, (e, t) in enumerate(zip(e_lines, t_lines)):
        e_, t_ = re.sub(r"0x[0-9a-f]+", "0x?", e), re.sub(r"0x[0-9a-f]+", "0x?", t)
        assert NUM.sub("#", e_) == NUM.sub("#", t_), f"line {k}:\nember: {e}\ntorch: {t}"
        for a, b in zip(NUM.findall(e_), NUM.findall(t_)):
            assert abs(float(a) - float(b)) <= 2e-4, f"line {k}:\nember: {e}\ntorch: {t}"
