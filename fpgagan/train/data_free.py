"""Quantization-aware training of a student against its float teacher on random inputs, resumable.

Each epoch is ``steps_per_epoch`` steps on fresh random inputs (the student's own
``sample_inputs``: latents, or images for an image-to-image model) drawn from an RNG that depends
only on (seed, epoch); the loss is the teacher terms a ``GeneratorLossTerm`` gives (data-free
distillation, :class:`fpgagan.compress.data_free.DataFreeDistiller`), plus, when training images
are given, the non-saturating adversarial term against a critic trained alongside.  After every
epoch the validation figures are computed (the caller's ``score``: FID-FMNIST, or PSNR/SSIM
against the teacher), the epoch is selected if it scores best, and the whole state goes
atomically to ``state_path``: rerunning after Ctrl-C or a kill resumes after the last finished
epoch and ends with the same weights as an unbroken run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from fpgagan.config import to_dict
from fpgagan.errors import CheckpointError
from fpgagan.io import atomic_path
from fpgagan.models.checkpoint import read_checkpoint
from fpgagan.models.quantizers import load_stats_collection_state, stats_collection_state
from fpgagan.train.device import to_cpu
from fpgagan.train.gan import GeneratorLossTerm, epoch_rng

log = logging.getLogger(__name__)

Score = Callable[[nn.Module], dict[str, float]]  # the student -> its validation figures


@dataclasses.dataclass(frozen=True)
class DataFreeSpec:
    """How long and how the student trains; its fingerprint guards resumption."""

    epochs: int = 8
    steps_per_epoch: int = 250
    batch_size: int = 64
    lr: float = 1e-4  # at the start; cosine decay to 0 over all steps
    lr_critic: float = 2e-4
    adversarial_weight: float = 0.05  # with training images only
    seed: int = 0
    score_name: str = "val_psnr"  # the figure epochs are selected by
    higher_is_better: bool = True
    setup: dict[str, Any] = dataclasses.field(default_factory=dict)  # anything else that must match

    def __post_init__(self) -> None:
        for name in ("epochs", "steps_per_epoch", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.lr <= 0 or self.lr_critic <= 0 or self.adversarial_weight < 0:
            raise ValueError("learning rates must be > 0 and the adversarial weight >= 0")

    def fingerprint(self) -> str:
        blob = json.dumps(to_dict(self), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclasses.dataclass
class DataFreeResult:
    history: list[dict[str, float]]
    best_epoch: int
    best_score: float
    score_name: str


@dataclasses.dataclass
class _Run:
    spec: DataFreeSpec
    state_path: Path
    student: nn.Module
    loss_term: GeneratorLossTerm
    score: Score
    critic: nn.Module | None
    images: torch.Tensor | None
    device: torch.device
    history: list[dict[str, float]] = dataclasses.field(default_factory=list)
    best: dict[str, Any] | None = None
    epochs: int = 0

    def __post_init__(self) -> None:
        self.opt = torch.optim.Adam(self.student.parameters(), lr=self.spec.lr, betas=(0.5, 0.999))
        self.opt_d = (
            torch.optim.Adam(self.critic.parameters(), lr=self.spec.lr_critic, betas=(0.5, 0.999))
            if self.critic is not None
            else None
        )

    # ------------------------------------------------------------------ one epoch

    def epoch(self) -> None:
        spec, epoch = self.spec, self.epochs
        rng = epoch_rng(spec.seed, epoch)
        bce = nn.BCEWithLogitsLoss()
        self.student.train()
        t0 = time.perf_counter()
        total = adv = 0.0
        bar = tqdm(range(spec.steps_per_epoch), desc=f"distil {epoch + 1}/{spec.epochs}",
                   leave=False, unit="step", mininterval=1.0)  # fmt: skip
        for step in bar:
            self._set_lr(epoch * spec.steps_per_epoch + step)
            z = self.student.sample_inputs(spec.batch_size, rng).to(self.device)
            fake, features = self.student.forward_features(z)
            loss = self.loss_term.loss(z, fake, features)
            if self.critic is not None:
                real = self.images[
                    torch.randint(len(self.images), (spec.batch_size,), generator=rng)
                ]
                real = real.to(self.device)
                ones = torch.ones(spec.batch_size, device=self.device)
                loss_d = bce(self.critic(real), ones) + bce(self.critic(fake.detach()), 0 * ones)
                self.opt_d.zero_grad(set_to_none=True)
                loss_d.backward()
                self.opt_d.step()
                loss_adv = bce(self.critic(fake), ones)
                adv += loss_adv.item()
                loss = loss + spec.adversarial_weight * loss_adv
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            total += loss.item()
            if step % 20 == 0:
                bar.set_postfix(loss=f"{loss.item():.4f}")
        train_s = time.perf_counter() - t0
        self.student.eval()
        with torch.no_grad():
            figures = {k: float(v) for k, v in self.score(self.student).items()}
        n = spec.steps_per_epoch
        row = {"epoch": epoch + 1, "loss": total / n, **({"loss_adv": adv / n} if self.critic else {}),
               **figures, "train_s": train_s, "eval_s": time.perf_counter() - t0 - train_s}  # fmt: skip
        self.history.append(row)
        self.epochs = epoch + 1
        score = row[spec.score_name]
        if self.best is None or (
            score > self.best["score"] if spec.higher_is_better else score < self.best["score"]
        ):
            self.best = {"score": score, "epoch": self.epochs, **self._student_state()}
        self.save()
        log.info("distil epoch %d: %s %.3f (best %.3f @ %d), %.0f s", self.epochs,
                 spec.score_name, score, self.best["score"], self.best["epoch"], train_s)  # fmt: skip

    def _set_lr(self, step: int) -> None:
        """Cosine decay from ``lr`` to 0 over the run: a function of the step alone, so a
        resumed run follows the same schedule."""
        total = self.spec.epochs * self.spec.steps_per_epoch
        factor = 0.5 * (1.0 + math.cos(math.pi * step / total))
        for group in self.opt.param_groups:
            group["lr"] = self.spec.lr * factor

    # ------------------------------------------------------------------ state

    def _student_state(self) -> dict[str, Any]:
        return {
            "student": {k: v.detach().cpu().clone() for k, v in self.student.state_dict().items()},
            "stats": to_cpu(stats_collection_state(self.student)),
        }

    def save(self) -> None:
        state = {
            "fingerprint": self.spec.fingerprint(),
            "epoch": self.epochs,
            **self._student_state(),
            "opt": to_cpu(self.opt.state_dict()),
            "critic": to_cpu(self.critic.state_dict()) if self.critic is not None else None,
            "critic_stats": to_cpu(stats_collection_state(self.critic)) if self.critic else {},
            "opt_d": to_cpu(self.opt_d.state_dict()) if self.opt_d is not None else None,
            "history": self.history,
            "best": self.best,
        }
        with atomic_path(self.state_path) as tmp:
            torch.save(state, tmp)

    def load(self) -> None:
        """Resume from ``state_path`` when it holds this spec's state."""
        path = self.state_path
        if not path.exists():
            return
        state = read_checkpoint(path)
        if state.get("fingerprint") != self.spec.fingerprint():
            raise CheckpointError(
                f"{path}: saved by another float model, precision or training setting; delete it "
                "to start again, or pick another output folder"
            )
        _load_student(self.student, state)
        if self.critic is not None:
            self.critic.load_state_dict(state["critic"])
            load_stats_collection_state(self.critic, state.get("critic_stats", {}))
        # optimizers only now: Brevitas replaces weight-scale Parameters on loading a state dict
        self.__post_init__()
        self.opt.load_state_dict(state["opt"])
        if self.opt_d is not None:
            self.opt_d.load_state_dict(state["opt_d"])
        self.history, self.best, self.epochs = state["history"], state["best"], state["epoch"]
        log.info("%s: resuming after epoch %d", path, self.epochs)


def _load_student(student: nn.Module, state: dict[str, Any]) -> None:
    student.load_state_dict(state["student"])
    load_stats_collection_state(student, state["stats"])


def run_data_free(
    spec: DataFreeSpec,
    state_path: Path,
    student: nn.Module,
    loss_term: GeneratorLossTerm,
    score: Score,
    critic: nn.Module | None = None,
    images: torch.Tensor | None = None,
    device: torch.device | None = None,
) -> DataFreeResult:
    """Train ``student`` (in place) per ``spec``, resuming from ``state_path``; at the end the
    student holds the selected (best-scoring) epoch's weights.

    ``student`` has ``forward_features(z)`` and ``sample_inputs(n, rng)``; ``critic`` and
    ``images`` (real images in the student's output shape and range) add the adversarial term.
    """
    if (critic is None) != (images is None):
        raise ValueError("the adversarial term needs both a critic and images")
    device = device or torch.device("cpu")
    run = _Run(spec, Path(state_path), student.to(device), loss_term.to(device), score,
               critic.to(device) if critic is not None else None, images, device)  # fmt: skip
    run.load()
    while run.epochs < spec.epochs:
        run.epoch()
    if run.best is None:
        raise CheckpointError(f"{state_path}: no trained epoch")
    student.cpu()
    _load_student(student, run.best)
    return DataFreeResult(run.history, run.best["epoch"], run.best["score"], spec.score_name)
