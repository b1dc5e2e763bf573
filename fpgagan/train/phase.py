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
    history: list[dict[str, float]] = []
    best: dict[str, Any] | None = None
    start = 0
    state = None
    if state_path.exists():
        state = read_checkpoint(state_path)
        if state.get("fingerprint") != spec.fingerprint():
            raise CheckpointError(
                f"{state_path}: saved by a different recipe (or an older fpgagan) for phase "
                f"{spec.name!r}; delete that file to retrain this phase (other phases of the run, "
                "e.g. a reused teacher, are kept) or pick another --out"
            )
        gen.load_state_dict(state["generator"]["state_dict"])
        disc.load_state_dict(state["discriminator"])
        for module, key in ((gen, "gen_stats"), (disc, "disc_stats")):
            load_stats_collection_state(module, state.get(key, {}))
        if distiller is not None:
            distiller.mappings.load_state_dict(state["mappings"])
    if device is not None:  # after loading: a state file is read on the CPU, then moved
        gen.to(device)
        disc.to(device)
        if distiller is not None:
            distiller.to(device)
        images = images.to(device)
    # optimizers only now: Brevitas replaces weight-scale Parameters when a state dict is loaded,
    # and an optimizer made earlier would hold the stale ones (and never train the scales)
    opt_g, opt_d = make_optimizers(gen, disc, spec.optim, distiller)
    if state is not None:
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        history, best, start = state["history"], state["best"], state["epoch"]
        log.info("%s: resuming after epoch %d", spec.name, start)
        if state.get("done"):
            return _result(best, history, f"{state_path}", spec.score_name)

    for epoch in range(start, spec.max_epochs):
        t0 = time.perf_counter()
        after_g_step = None
        if masks_for_epoch is not None:  # masks depend only on the weights: resume-safe
            after_g_step = masks_for_epoch(epoch)  # applies this epoch's masks
            after_g_step()
        losses = (epoch_fn or train_epoch)(
            gen,
            disc,
            opt_g,
            opt_d,
            images,
            spec.batch_size,
            epoch_rng(spec.seed, epoch),
            desc=f"{spec.name} {epoch + 1}/{spec.max_epochs}",
            distiller=distiller,
            after_g_step=after_g_step,
        )
        train_s = time.perf_counter() - t0
        val = float(score(gen))
        row = {
            "epoch": epoch + 1,
            "loss_d": losses.loss_d,
            "loss_g": losses.loss_g,
            spec.score_name: val,
            "train_s": train_s,
            "eval_s": time.perf_counter() - t0 - train_s,
        }
        history.append(row)
        save_grid(
            run_dir / "samples" / f"{spec.name}_epoch{epoch + 1:03d}.png",
            generate_cpu(gen, sample_z),
        )
        if epoch + 1 >= spec.select_from_epoch and (
            best is None or spec.better(val, best["score"])
        ):
            best = {
                "score": val,
                "epoch": epoch + 1,
                "generator": generator_record(gen, spec.generator_name),
                "discriminator": _detached(disc.state_dict()),
            }
        stale = epoch + 1 - (best["epoch"] if best is not None else epoch + 1)
        done = epoch + 1 == spec.max_epochs or (
            epoch + 1 >= spec.min_epochs and stale >= spec.patience
        )
        mappings = distiller.mappings.state_dict() if distiller is not None else {}
        _save_state(
            state_path, spec, gen, disc, mappings, opt_g, opt_d, epoch + 1, history, best, done
        )
        log.info(
            "%s epoch %d: %s %.2f (best %s), %.0f s",
            spec.name,
            epoch + 1,
            _SCORE_LABELS.get(spec.score_name, spec.score_name),
            val,
            "none yet" if best is None else f"{best['score']:.2f} @ {best['epoch']}",
            train_s,
        )
        if done:
            break
    return _result(best, history, str(state_path), spec.score_name)


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
