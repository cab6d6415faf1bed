"""The main job's training part: a small CNN learns the UCI 8x8 handwritten digits (ember/data/digits.csv.gz,
CC BY 4.0, see ember/data/DIGITS.md) with the pieces a PyTorch user trains with: a Dataset and DataLoader, an
optimizer and a learning-rate schedule, a checkpoint in PyTorch's file format, a progress bar (tqdm, when
installed) and a PNG of the training curves (matplotlib, when installed)."""
import gzip
import os
import time

import numpy as np

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.csv.gz")
N_TEST = 360  # the fixed held-out split: 1,437 training images, 360 test images


def load_digits():
    """(images float32 N x 1 x 8 x 8 scaled to [0, 1], labels int64 N) from the shipped CSV."""
    with gzip.open(DATA, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    images = (table[:, :64] / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    return images, table[:, 64].astype(np.int64)


class Digits:
    """A map-style Dataset of (image, label) pairs."""

    def __init__(self, images, labels):
        import ember
        self.images, self.labels = ember.from_numpy(images), ember.from_numpy(labels)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i], self.labels[i]


def make_model():
    import ember.nn as nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),     # 16 x 4 x 4
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # 32 x 2 x 2
        nn.Flatten(), nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 10))


def _progress(iterable, total, desc):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(iterable, total=total, desc=desc, leave=True, ncols=100)


def evaluate(model, loader):
    import ember
    model.eval()
    correct = total = 0
    loss_sum = 0.0
    with ember.no_grad():
        for x, y in loader:
            out = model(x)
            loss_sum += ember.nn.functional.cross_entropy(out, y, reduction="sum").item()
            correct += (out.argmax(1) == y).sum().item()
            total += len(y)
    return loss_sum / total, correct / total


def plot_curves(history, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    epochs = [h["epoch"] for h in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(epochs, [h["train_loss"] for h in history], label="train")
    ax1.plot(epochs, [h["test_loss"] for h in history], label="test")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("cross-entropy")
    ax1.legend()
    ax2.plot(epochs, [100 * h["train_acc"] for h in history], label="train")
    ax2.plot(epochs, [100 * h["test_acc"] for h in history], label="test")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("accuracy (%)")
    ax2.legend()
    fig.suptitle("ember: small CNN on the UCI 8x8 digits")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def train(epochs=12, batch_size=32, lr=0.01, seed=0, out="demo_output", workers=0, log=print):
    """Train, evaluate on the held-out split after each epoch, save the checkpoint and curves; returns the final
    test accuracy (a fraction)."""
    import ember
    import ember.nn as nn
    from ember.utils.data import DataLoader, random_split
    t0 = time.perf_counter()
    ember.manual_seed(seed)
    images, labels = load_digits()
    full = Digits(images, labels)
    # the held-out split is fixed (its own generator), whatever --seed says
    train_set, test_set = random_split(full, [len(full) - N_TEST, N_TEST], generator=ember.Generator().manual_seed(0))
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, num_workers=workers,
                              persistent_workers=workers > 0)
    test_loader = DataLoader(test_set, batch_size=256)
    model = make_model()
    optimizer = ember.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    scheduler = ember.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, epochs=epochs,
                                                    steps_per_epoch=len(train_loader))
    loss_fn = nn.CrossEntropyLoss()
    log(f"training a CNN ({sum(p.numel() for p in model.parameters()):,} parameters) on {len(train_set)} digits, "
        f"testing on {len(test_set)}; {epochs} epochs, batch {batch_size}, AdamW + OneCycleLR (max lr {lr})")
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        seen = correct = 0
        loss_sum = 0.0
        te = time.perf_counter()
        bar = _progress(train_loader, len(train_loader), f"epoch {epoch:2d}/{epochs}")
        for x, y in (bar if bar is not None else train_loader):
            logits = model(x)
            loss = loss_fn(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            n = len(y)
            seen += n
            loss_sum += loss.item() * n
            correct += (logits.argmax(1) == y).sum().item()
            if bar is not None:
                # refresh=False: the bar redraws at tqdm's own pace, not once per batch
                bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{100 * correct / seen:.1f}%", refresh=False)
        test_loss, test_acc = evaluate(model, test_loader)
        h = {"epoch": epoch, "train_loss": loss_sum / seen, "train_acc": correct / seen, "test_loss": test_loss,
             "test_acc": test_acc}
        history.append(h)
        line = (f"epoch {epoch:2d}/{epochs}  loss {h['train_loss']:.4f}  train acc {100 * h['train_acc']:5.1f}%  "
                f"test loss {test_loss:.4f}  test acc {100 * test_acc:5.1f}%  ({time.perf_counter() - te:.1f} s)")
        if bar is not None:
            bar.set_postfix(loss=f"{h['train_loss']:.4f}", acc=f"{100 * h['train_acc']:.1f}%",
                            test=f"{100 * test_acc:.1f}%")
            bar.close()
        else:
            log(line)
    os.makedirs(out, exist_ok=True)
    ckpt = os.path.join(out, "digits_cnn.pt")
    ember.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "epoch": epochs, "history": history}, ckpt)
    log(f"checkpoint: {ckpt} (PyTorch's format: torch.load('{ckpt}', weights_only=True) reads it)")
    png = os.path.join(out, "training_curves.png")
    if plot_curves(history, png):
        log(f"training curves: {png}")
    else:
        log("training curves: skipped (matplotlib is not installed; pip install -e '.[demo]')")
    log(f"trained in {time.perf_counter() - t0:.1f} s")
    log(f"test accuracy: {100 * history[-1]['test_acc']:.1f}%")
    return history[-1]["test_acc"]
