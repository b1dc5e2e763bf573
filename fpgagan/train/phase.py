"""A resumable training phase: epochs of GAN training with validation, checkpoints and samples.

The epoch is :func:`fpgagan.train.gan.train_epoch` (latent -> image) unless the caller passes
another with the same call (e.g. :class:`fpgagan.train.pix2pix.Pix2PixEpoch` for image-to-image
pairs); the validation score is lower-is-better (FID) unless the spec says otherwise (PSNR).

After every epoch the whole state (G, D, optimizers, history, best model) is written atomically to
``<run_dir>/<name>.state.pt``; rerunning the same command after Ctrl-C or a kill resumes from the
last finished epoch and, because each epoch's RNG depends only on (seed, epoch), ends with the
same weights as an unbroken run.  :func:`export_best` writes the selected generator (best
validation score) where the caller says (``train-qat`` names it ``teacher.pt`` / ``generator.pt``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from fpgagan.config import OptimConfig, to_dict
from fpgagan.errors import CheckpointError
from fpgagan.images import save_grid
from fpgagan.io import atomic_path
from fpgagan.models import Discriminator, Generator
from fpgagan.models.checkpoint import (
    generator_from_record,
    generator_record,
    read_checkpoint,
    save_generator,
)
from fpgagan.models.quantizers import load_stats_collection_state, stats_collection_state
from fpgagan.train.device import generate_cpu, to_cpu
from fpgagan.train.gan import (
    EpochLosses,
    GeneratorLossTerm,
    epoch_rng,
    make_optimizers,
    train_epoch,
)

log = logging.getLogger(__name__)

Score = Callable[[Generator], float]  # lower is better (validation FID) unless the spec says
EpochFn = Callable[..., EpochLosses]  # train_epoch's call: (gen, disc, opt_g, opt_d, data, ...)
_SCORE_LABELS = {"val_fid": "val FID-FMNIST", "val_psnr": "val PSNR"}


@dataclasses.dataclass(frozen=True)
class PhaseSpec:
    """What one phase trains and how long; its fingerprint guards resumption."""

    name: str
    generator_name: str
    optim: OptimConfig
    batch_size: int
    seed: int
    max_epochs: int
    min_epochs: int
    patience: int  # epochs without improvement before stopping
    select_from_epoch: int = (
        1  # earlier epochs are never selected (e.g. before pruning reached its target)
    )
    setup: dict[str, Any] = dataclasses.field(default_factory=dict)  # anything else that must match
    score_name: str = "val_fid"  # the history column of the validation score
    higher_is_better: bool = False  # FID: lower; PSNR: higher

    def better(self, score: float, best: float) -> bool:
        return score > best if self.higher_is_better else score < best

    def fingerprint(self) -> str:
        """Hash of the fields that differ from their defaults (adding a defaulted field keeps old runs valid)."""
        data = {
            f.name: to_dict(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.default is dataclasses.MISSING or getattr(self, f.name) != f.default
        }
        blob = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclasses.dataclass
class PhaseResult:
    generator: Generator
    discriminator_state: dict[str, torch.Tensor]
    history: list[dict[str, float]]
    best_epoch: int
    best_score: float
    score_name: str = "val_fid"


def run_phase(
    spec: PhaseSpec,
    run_dir: Path,
    gen: Generator,
    disc: Discriminator,
    images: Any,
    score: Score,
    sample_z: torch.Tensor,
    distiller: GeneratorLossTerm | None = None,
    masks_for_epoch: Callable[[int], Callable[[], None]] | None = None,
    device: torch.device | None = None,
    epoch_fn: EpochFn | None = None,
) -> PhaseResult:
    """Train ``gen``/``disc`` per ``spec``, resuming from ``run_dir`` when a matching state exists.

    ``images`` is the training data ``epoch_fn`` takes (default :func:`train_epoch`: images;
    anything with ``.to(device)``); ``sample_z`` the generator inputs of the per-epoch samples.

    A ``distiller`` adds its teacher terms to the generator loss; its feature mappings are trained
    and checkpointed with the generator.  ``device`` (default: the CPU) is where the models, the
    distiller and ``images`` are moved for training; the state files hold CPU tensors.
    """
    state_path = run_dir / f"{spec.name}.state.pt"
    state = _load_state(state_path, spec, gen, disc, distiller)
    if device is not None:  # after loading: a state file is read on the CPU, then moved
        images = _to_device(device, images, gen, disc, distiller)
    # optimizers only now: Brevitas replaces weight-scale Parameters when a state dict is loaded,
    # and an optimizer made earlier would hold the stale ones (and never train the scales)
    opt_g, opt_d = make_optimizers(gen, disc, spec.optim, distiller)
    progress = _Progress()
    if state is not None:
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        progress = _Progress(
            state["history"], state["best"], state["epoch"], bool(state.get("done"))
        )
        log.info("%s: resuming after epoch %d", spec.name, progress.epochs)
    phase = _Phase(spec, state_path, gen, disc, opt_g, opt_d, images, score, sample_z, distiller,
                   masks_for_epoch, epoch_fn or train_epoch)  # fmt: skip
    while not progress.done and progress.epochs < spec.max_epochs:
        phase.run_epoch(progress)
    return _result(progress.best, progress.history, str(state_path), spec.score_name)


def _load_state(
    path: Path, spec: PhaseSpec, gen, disc, distiller: GeneratorLossTerm | None
) -> dict[str, Any] | None:
    """The phase's saved state with its weights loaded into the models, or None before epoch 1;
    a state of another recipe is refused."""
    if not path.exists():
        return None
    state = read_checkpoint(path)
    if state.get("fingerprint") != spec.fingerprint():
        raise CheckpointError(
            f"{path}: saved by a different recipe (or an older fpgagan) for phase "
            f"{spec.name!r}; delete that file to retrain this phase (other phases of the run, "
            "e.g. a reused teacher, are kept) or pick another --out"
        )
    gen.load_state_dict(state["generator"]["state_dict"])
    disc.load_state_dict(state["discriminator"])
    for module, key in ((gen, "gen_stats"), (disc, "disc_stats")):
        load_stats_collection_state(module, state.get(key, {}))
    if distiller is not None:
        distiller.mappings.load_state_dict(state["mappings"])
    return state


def _to_device(device: torch.device, images: Any, gen, disc, distiller) -> Any:
    """Move the models and the distiller to ``device``; returns ``images`` there."""
    gen.to(device)
    disc.to(device)
    if distiller is not None:
        distiller.to(device)
    return images.to(device)


@dataclasses.dataclass
class _Progress:
    """Where a phase stands: the finished epochs' history rows, the selected epoch, whether the
    phase has stopped (last epoch, or out of patience)."""

    history: list[dict[str, float]] = dataclasses.field(default_factory=list)
    best: dict[str, Any] | None = None
    epochs: int = 0
    done: bool = False


@dataclasses.dataclass
class _Phase:
    """What one phase trains, on what, how it is scored and where its state goes."""

    spec: PhaseSpec
    state_path: Path
    gen: Generator
    disc: Discriminator
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    images: Any
    score: Score
    sample_z: torch.Tensor
    distiller: GeneratorLossTerm | None
    masks_for_epoch: Callable[[int], Callable[[], None]] | None
    epoch_fn: EpochFn

    def run_epoch(self, progress: _Progress) -> None:
        """Train and score one epoch, keep its samples, select, save the whole state, log."""
        row = self.train_epoch(progress.epochs)
        progress.history.append(row)
        epoch = row["epoch"]
        save_grid(
            self.state_path.parent / "samples" / f"{self.spec.name}_epoch{epoch:03d}.png",
            generate_cpu(self.gen, self.sample_z),
        )
        progress.best = self.select(progress.best, epoch, row[self.spec.score_name])
        progress.epochs = epoch
        progress.done = self.stops(epoch, progress.best)
        self.save(progress)
        _log_epoch(self.spec, row, progress.best)

    def train_epoch(self, epoch: int) -> dict[str, float]:
        """Epoch ``epoch`` (from 0) of training and its validation score: its history row."""
        t0 = time.perf_counter()
        after_g_step = None
        if self.masks_for_epoch is not None:  # masks depend only on the weights: resume-safe
            after_g_step = self.masks_for_epoch(epoch)  # applies this epoch's masks
            after_g_step()
        losses = self.epoch_fn(
            self.gen, self.disc, self.opt_g, self.opt_d, self.images, self.spec.batch_size,
            epoch_rng(self.spec.seed, epoch),
            desc=f"{self.spec.name} {epoch + 1}/{self.spec.max_epochs}",
            distiller=self.distiller, after_g_step=after_g_step,
        )  # fmt: skip
        train_s = time.perf_counter() - t0
        val = float(self.score(self.gen))
        return {
            "epoch": epoch + 1,
            "loss_d": losses.loss_d,
            "loss_g": losses.loss_g,
            self.spec.score_name: val,
            "train_s": train_s,
            "eval_s": time.perf_counter() - t0 - train_s,
        }

    def select(self, best: dict[str, Any] | None, epoch: int, val: float) -> dict[str, Any] | None:
        """``epoch`` (from 1) as the new best when it may be selected and scores better."""
        spec = self.spec
        if epoch < spec.select_from_epoch or (
            best is not None and not spec.better(val, best["score"])
        ):
            return best
        return {
            "score": val,
            "epoch": epoch,
            "generator": generator_record(self.gen, spec.generator_name),
            "discriminator": _detached(self.disc.state_dict()),
        }

    def stops(self, epoch: int, best: dict[str, Any] | None) -> bool:
        """After ``epoch``: the last epoch, or ``patience`` epochs without a better one."""
        spec = self.spec
        stale = epoch - (best["epoch"] if best is not None else epoch)
        return epoch == spec.max_epochs or (epoch >= spec.min_epochs and stale >= spec.patience)

    def save(self, progress: _Progress) -> None:
        mappings = self.distiller.mappings.state_dict() if self.distiller is not None else {}
        _save_state(
            self.state_path, self.spec, self.gen, self.disc, mappings, self.opt_g, self.opt_d,
            progress.epochs, progress.history, progress.best, progress.done,
        )  # fmt: skip


def _log_epoch(spec: PhaseSpec, row: dict[str, float], best: dict[str, Any] | None) -> None:
    log.info(
        "%s epoch %d: %s %.2f (best %s), %.0f s",
        spec.name,
        row["epoch"],
        _SCORE_LABELS.get(spec.score_name, spec.score_name),
        row[spec.score_name],
        "none yet" if best is None else f"{best['score']:.2f} @ {best['epoch']}",
        row["train_s"],
    )


def _detached(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in sd.items()}


def _save_state(
    path: Path, spec: PhaseSpec, gen, disc, mappings, opt_g, opt_d, epoch, history, best, done
) -> None:
    state = {
        "fingerprint": spec.fingerprint(),
        "epoch": epoch,
        "done": done,
        "generator": generator_record(gen, spec.generator_name),
        "discriminator": _detached(disc.state_dict()),
        "mappings": _detached(mappings),
        # Brevitas activation scales still collecting statistics (not in their state_dict)
        "gen_stats": to_cpu(stats_collection_state(gen)),
        "disc_stats": to_cpu(stats_collection_state(disc)),
        "opt_g": to_cpu(opt_g.state_dict()),
        "opt_d": to_cpu(opt_d.state_dict()),
        "history": history,
        "best": best,
    }
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def _result(
    best: dict[str, Any] | None, history: list[dict[str, float]], where: str, score_name: str
) -> PhaseResult:
    if best is None:
        raise CheckpointError(f"{where}: phase state has no trained epoch")
    gen, _ = generator_from_record(best["generator"], where)
    return PhaseResult(
        gen, best["discriminator"], history, best["epoch"], best["score"], score_name
    )


def export_best(
    result: PhaseResult, path: Path, generator_name: str, extra: dict[str, Any]
) -> None:
    """Write the phase's selected generator as a standalone checkpoint."""
    save_generator(
        path,
        result.generator,
        generator_name,
        extra={"best_epoch": result.best_epoch, result.score_name: result.best_score, **extra},
    )
