"""Train the FID-FMNIST feature network on Fashion-MNIST and write it atomically.

``fpgagan train-classifier`` (or ``python -m fpgagan.report.train_classifier``) reproduces the
shipped ``fpgagan/assets/fmnist_classifier.pt``.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from fpgagan.data import load_images
from fpgagan.io import atomic_path, provenance
from fpgagan.report.classifier import FmnistClassifier, default_classifier_path

log = logging.getLogger(__name__)


@torch.no_grad()
def accuracy(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch: int = 1000
) -> float:
    model.eval()
    hits = sum(
        (model(images[i : i + batch]).argmax(1) == labels[i : i + batch]).sum().item()
        for i in range(0, len(images), batch)
    )
    return hits / len(images)


def train_classifier(
    out: Path,
    epochs: int = 6,
    seed: int = 0,
    dataset: str = "fashion-mnist",
    root: str | None = None,
    batch_size: int = 128,
) -> dict[str, Any]:
    """Train, evaluate on the test split, save to ``out``; returns the metrics."""
    torch.manual_seed(seed)
    x, y = load_images(dataset, "train", root)
    xt, yt = load_images(dataset, "test", root)
    model = FmnistClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=3e-3, total_steps=epochs * (len(x) // batch_size + 1)
    )
    rng = torch.Generator().manual_seed(seed)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=rng)
        for i in tqdm(
            range(0, len(x), batch_size), desc=f"classifier {epoch + 1}/{epochs}", leave=False
        ):
            idx = order[i : i + batch_size]
            # light augmentation: random horizontal flips (clothes are left-right symmetric)
            xb = x[idx]
            flip = torch.rand(len(idx), generator=rng) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(-1), xb)
            loss = loss_fn(model(xb), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        log.info("classifier epoch %d: test accuracy %.4f", epoch + 1, accuracy(model, xt, yt))
    acc = accuracy(model, xt, yt)
    metrics = {"test_accuracy": acc, "epochs": epochs, "seed": seed, "dataset": dataset}
    with atomic_path(out) as tmp:
        torch.save(
            {"state_dict": model.state_dict(), "metrics": metrics, "provenance": provenance()}, tmp
        )
    return metrics


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=default_classifier_path())
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(train_classifier(args.out, epochs=args.epochs, root=args.data_dir))


if __name__ == "__main__":
    main()
