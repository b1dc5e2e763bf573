"""``fpgagan train-qat``: float teacher (until its validation score stops improving), then low-bit
QAT from it, for latent-to-image and image-to-image recipes alike.

The steps are the same for every task: load the recipe's data, claim the run folder, train the
float teacher phase, build the student from the folded teacher (narrower, pruned, sharing weights
as configured), train it by QAT, export both selected generators and write ``metrics.json``.
What differs per task (data, models, the epoch, the validation score, the test scores and the
summary) comes from the task's row of :data:`TASKS`: :class:`~fpgagan.workflows.latent_task.LatentTask`
(``generate``) or :class:`~fpgagan.workflows.image_tasks.ImageTask` (``sr2x``, ``inpaint``).
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import torch

from fpgagan.compress.codebook import Codebooks, codebook_epochs
from fpgagan.compress.distill import Distiller
from fpgagan.compress.prune import (
    MaskSet,
    magnitude_masks,
    polynomial_sparsity,
    prune_channels,
    weight_layers,
)
from fpgagan.config import Precision, QatConfig, TrainQatConfig, to_dict
from fpgagan.data.tasks import TASKS as IMAGE_TASKS
from fpgagan.errors import CheckpointError
from fpgagan.folders import MARKER, claim_folder, marker_kind, write_marker
from fpgagan.io import provenance, write_json_atomic
from fpgagan.models import fold_batch_norm
from fpgagan.train.device import resolve_device
from fpgagan.train.phase import EpochFn, PhaseResult, PhaseSpec, export_best, run_phase
from fpgagan.workflows import image_tasks, latent_task

log = logging.getLogger(__name__)

TEACHER = "teacher"
QAT = "qat"
RUN_FOLDER = "train-qat run"  # the kind of folder train-qat makes (fpgagan.folders)


class TrainingTask(Protocol):
    """What one kind of recipe brings to the workflow; made from the recipe before any writing."""

    score_name: str  # the validation score's history column
    higher_is_better: bool
    epoch_fn: EpochFn | None  # None: run_phase's GAN epoch
    train_data: Any  # what epoch_fn trains on (has len() and .to(device))
    sample_inputs: torch.Tensor  # generator inputs of the per-epoch sample grids

    def build_generator(self, precision: Precision | None = None, widths=()) -> Any: ...
    def build_discriminator(self, precision: Precision | None = None) -> Any: ...
    def teacher_setup(self) -> dict[str, Any]: ...
    def val_score(self, gen: Any) -> float: ...
    def test_outputs(self, gen: Any) -> torch.Tensor: ...
    def scores(self, outputs: torch.Tensor) -> dict[str, float]: ...
    def metrics_head(self) -> dict[str, Any]: ...
    def teacher_extras(self, metrics: dict[str, Any]) -> dict[str, Any]: ...
    def widths(self, gen: Any) -> list[int]: ...
    def qat_extras(self, metrics: dict[str, Any]) -> dict[str, Any]: ...
    def finish(self, run_dir: Path, test_outputs: list[torch.Tensor]) -> None: ...


@dataclasses.dataclass(frozen=True)
class TaskKind:
    """One row of :data:`TASKS`: how a recipe's task is prepared, and its summary lines."""

    prepare: Callable[[TrainQatConfig, str | None], TrainingTask]
    summary: Callable[[dict[str, Any]], str]


_IMAGE_TO_IMAGE = TaskKind(image_tasks.ImageTask, image_tasks.summary)
TASKS: dict[str, TaskKind] = {
    "generate": TaskKind(latent_task.LatentTask, latent_task.summary),
    **{task: _IMAGE_TO_IMAGE for task in IMAGE_TASKS},
}


def claim_run_folder(run_dir: Path, cfg: TrainQatConfig) -> None:
    """Make ``run_dir`` a marked run folder, or resume in one (:func:`fpgagan.folders.claim_folder`).

    A run folder of an fpgagan from before markers is adopted when its ``config.json`` is this
    very recipe (a rerun to resume it); any other non-empty folder is refused before training.
    """
    config = run_dir / "config.json"
    if (
        run_dir.is_dir()
        and not run_dir.is_symlink()
        and marker_kind(run_dir) is None
        and not (run_dir / MARKER).exists()
        and config.is_file()
        and not config.is_symlink()
        and config.stat().st_size < 1 << 20
    ):
        import json

        try:
            same = json.loads(config.read_text()) == json.loads(json.dumps(to_dict(cfg)))
        except (OSError, ValueError, UnicodeDecodeError):
            same = False
        if same:
            log.info("%s: adopting a run folder of an earlier fpgagan (same recipe)", run_dir)
            write_marker(run_dir, RUN_FOLDER)
    claim_folder(run_dir, RUN_FOLDER)


@dataclasses.dataclass
class TrainQatResult:
    run_dir: Path
    metrics: dict[str, Any]


def _reuse_teacher(reuse_from: str | None, run_dir: Path) -> None:
    """Start from another run's teacher phase (its fingerprint is checked when the phase resumes)."""
    if reuse_from is None or (run_dir / f"{TEACHER}.state.pt").exists():
        return
    src = Path(reuse_from) / f"{TEACHER}.state.pt"
    if not src.is_file():
        raise CheckpointError(f"{src}: no teacher phase to reuse (teacher.reuse_from)")
    shutil.copy2(src, run_dir / f"{TEACHER}.state.pt")


def _pruning(
    q: QatConfig, student: torch.nn.Module, disc: torch.nn.Module
) -> tuple[Callable[[int], Callable[[], None]] | None, int]:
    """Per-epoch mask appliers for the QAT phase and the first epoch eligible for model selection."""
    if q.prune is None:
        return None, 1
    p = q.prune
    ramp = p.ramp_epochs(q.epochs)
    g_layers, d_layers = weight_layers(student), weight_layers(disc)

    def masks_for_epoch(epoch: int) -> Callable[[], None]:
        target = (
            p.sparsity
            if ramp == 0
            else polynomial_sparsity(min(1.0, (epoch + 1) / ramp), p.sparsity)
        )
        g_masks = MaskSet(magnitude_masks(g_layers, target, p.scope))
        # the discriminator is pruned one-shot; its masks are re-applied with the generator's
        d_masks = (
            MaskSet(magnitude_masks(d_layers, p.discriminator_sparsity, p.scope))
            if p.discriminator_sparsity
            else None
        )

        def apply() -> None:
            g_masks.apply(g_layers)
            if d_masks is not None:
                d_masks.apply(d_layers)

        return apply

    return masks_for_epoch, q.first_selectable_epoch()


def train_qat(
    cfg: TrainQatConfig, run_dir: Path, data_root: str | None = None, device: str | None = None
) -> TrainQatResult:
    """Run (or resume) the whole recipe in ``run_dir``; returns the metrics written there.

    ``device`` (``auto``, ``cpu``, ``cuda``) overrides the recipe's ``device``.  The models, the
    losses and the training data live there; scoring and everything written stay on the CPU.
    """
    t_start = time.perf_counter()
    dev = resolve_device(device or cfg.device)
    task = TASKS[cfg.task].prepare(cfg, data_root if data_root is not None else cfg.data.root)
    # only once every input is known to be good; a folder fpgagan did not make is refused
    claim_run_folder(run_dir, cfg)
    write_json_atomic(run_dir / "config.json", to_dict(cfg))

    teacher_spec, t_res = _train_teacher(cfg, task, run_dir, dev)
    teacher_out = task.test_outputs(t_res.generator)
    metrics: dict[str, Any] = {
        **task.metrics_head(),
        "teacher": _phase_metrics(task.scores(teacher_out), t_res),
        "qat": None,
        "device": str(dev),
    }
    metrics |= task.teacher_extras(metrics)
    history, test_outputs = list(t_res.history), [teacher_out]
    if cfg.qat is not None:
        fp = teacher_spec.fingerprint()
        q_res = _train_student(cfg, cfg.qat, task, run_dir, t_res, fp, dev)
        qat_out = task.test_outputs(q_res.generator)
        metrics["qat"] = _phase_metrics(
            task.scores(qat_out),
            q_res,
            precision=cfg.qat.precision.tag,
            widths=task.widths(q_res.generator),
        )
        metrics |= task.qat_extras(metrics)
        history += q_res.history
        test_outputs.append(qat_out)
    task.finish(run_dir, test_outputs)
    # epochs' own time, summed over resumed runs too; wall_s is this invocation only
    metrics["training_s"] = sum(r["train_s"] + r["eval_s"] for r in history)
    metrics["wall_s"] = time.perf_counter() - t_start
    metrics["provenance"] = provenance()
    write_json_atomic(run_dir / "metrics.json", metrics)
    return TrainQatResult(run_dir, metrics)


def _phase_metrics(scores: dict[str, float], res: PhaseResult, **extra: Any) -> dict[str, Any]:
    """A phase's entry of ``metrics.json``: its test scores, then ``extra``, epoch and history."""
    return {**scores, **extra, "epochs": res.best_epoch, "history": res.history}


def _phase_spec(
    cfg: TrainQatConfig, task: TrainingTask, name: str, optim, seed: int, epochs: tuple[int, ...],
    **kwargs: Any,
) -> PhaseSpec:  # fmt: skip
    """A phase of ``cfg``'s generator; ``epochs``: (max, min, patience[, first selectable])."""
    return PhaseSpec(
        name, cfg.model.generator, optim, cfg.batch_size, seed, *epochs,
        score_name=task.score_name, higher_is_better=task.higher_is_better, **kwargs,
    )  # fmt: skip


def _train_teacher(
    cfg: TrainQatConfig, task: TrainingTask, run_dir: Path, device: torch.device
) -> tuple[PhaseSpec, PhaseResult]:
    """The float teacher phase (or another run's, reused), exported as ``teacher.pt``."""
    torch.manual_seed(cfg.seed)
    teacher = task.build_generator()
    disc = task.build_discriminator()
    t = cfg.teacher
    setup = {"data": to_dict(cfg.data), "n_train": len(task.train_data),
             "disc": cfg.model.discriminator, **task.teacher_setup()}  # fmt: skip
    spec = _phase_spec(
        cfg, task, TEACHER, t.optim, cfg.seed, (t.max_epochs, t.min_epochs, t.patience),
        setup=setup,
    )  # fmt: skip
    _reuse_teacher(t.reuse_from, run_dir)
    t_res = run_phase(
        spec, run_dir, teacher, disc, task.train_data, task.val_score, task.sample_inputs,
        device=device, epoch_fn=task.epoch_fn,
    )  # fmt: skip
    export_best(t_res, run_dir / f"{TEACHER}.pt", cfg.model.generator, {"phase": TEACHER})
    return spec, t_res


def _student(task: TrainingTask, q: QatConfig, teacher) -> tuple[Any, Any]:
    """The low-bit student and its discriminator, from the folded teacher or from scratch."""
    start = fold_batch_norm(teacher)
    widths: tuple[int, ...] = ()
    if q.student.width < 1.0:
        start = prune_channels(start, q.student.width)  # the teacher's highest-L1 channels
        widths = start.spec.widths
    student = task.build_generator(q.precision, widths=widths)
    qdisc = task.build_discriminator(q.discriminator_precision)
    if q.student.init == "teacher":
        student.load_state_dict(start.state_dict(), strict=False)
    return student, qdisc


def student_setup(q: QatConfig, t_res: PhaseResult, student, qdisc):
    """What the QAT phase of any student needs from the teacher phase: the discriminator to start
    from, the per-epoch hook (pruning masks, then weight sharing from the first epoch at the final
    sparsity after the codebook's warm-up), the first epoch that may be selected, and the
    distiller (None without its terms)."""
    if q.student.init == "teacher":
        qdisc.load_state_dict(t_res.discriminator_state, strict=False)
    masks_for_epoch, select_from = _pruning(q, student, qdisc)
    if q.codebook is not None:
        # sharing starts after the pruning ramp and the warm-up; only shared epochs are selected
        select_from = q.first_shared_epoch()  # QatConfig checked it is <= q.epochs
        books = Codebooks(q.codebook, weight_layers(student), zero_entry=q.prune is not None)
        masks_for_epoch = codebook_epochs(books, select_from - 1, masks_for_epoch)
    distiller = (
        Distiller(t_res.generator, student, q.pixel_weight, q.feature_weight)
        if q.pixel_weight > 0 or q.feature_weight > 0
        else None
    )
    return masks_for_epoch, select_from, distiller


def _train_student(
    cfg: TrainQatConfig,
    q: QatConfig,
    task: TrainingTask,
    run_dir: Path,
    t_res: PhaseResult,
    teacher_fingerprint: str,
    device: torch.device,
) -> PhaseResult:
    """QAT of the student from the teacher phase's result (pruning and distillation as
    configured), exported as ``generator.pt``."""
    torch.manual_seed(cfg.seed + 1)
    student, qdisc = _student(task, q, t_res.generator)
    masks_for_epoch, select_from, distiller = student_setup(q, t_res, student, qdisc)
    spec = _phase_spec(
        cfg, task, QAT, q.optim, cfg.seed + 1, (q.epochs, q.epochs, q.epochs, select_from),
        setup={"teacher": teacher_fingerprint, "qat": to_dict(q, skip_defaults=True)},
    )  # fmt: skip
    q_res = run_phase(
        spec, run_dir, student, qdisc, task.train_data, task.val_score, task.sample_inputs,
        distiller=distiller, masks_for_epoch=masks_for_epoch, device=device,
        epoch_fn=task.epoch_fn,
    )  # fmt: skip
    export_best(
        q_res,
        run_dir / "generator.pt",
        cfg.model.generator,
        {"phase": QAT, "teacher": str(run_dir / f"{TEACHER}.pt")},
    )
    return q_res


def summary(metrics: dict[str, Any]) -> str:
    """The lines ``make train-qat`` prints (a ``metrics.json`` without ``task`` is ``generate``)."""
    return TASKS[metrics.get("task", "generate")].summary(metrics)
