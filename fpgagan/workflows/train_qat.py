"""``fpgagan train-qat``: float teacher (until FID stops improving), then low-bit QAT from it.

Model selection uses FID-FMNIST against training images; the reported figures use the test split,
with the floor (train vs test images) beside them.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
from fpgagan.config import QatConfig, TrainQatConfig, to_dict
from fpgagan.data import load_images
from fpgagan.errors import CheckpointError
from fpgagan.folders import MARKER, claim_folder, marker_kind, write_marker
from fpgagan.io import provenance, write_json_atomic
from fpgagan.models import Generator, build_discriminator, build_generator, fold_batch_norm
from fpgagan.report.classifier import load_classifier
from fpgagan.report.quality import METRIC_NAME, METRIC_NOTE, QualityScorer
from fpgagan.train.device import generate_cpu, resolve_device
from fpgagan.train.phase import PhaseResult, PhaseSpec, export_best, run_phase

log = logging.getLogger(__name__)

TEACHER = "teacher"
QAT = "qat"
RUN_FOLDER = "train-qat run"  # the kind of folder train-qat makes (fpgagan.folders)


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


def _subsample(x: torch.Tensor, n: int | None, seed: int) -> torch.Tensor:
    if n is None or n >= len(x):
        return x
    return x[torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:n]]


def _reuse_teacher(reuse_from: str | None, run_dir: Path) -> None:
    """Start from another run's teacher phase (its fingerprint is checked when the phase resumes)."""
    if reuse_from is None or (run_dir / f"{TEACHER}.state.pt").exists():
        return
    src = Path(reuse_from) / f"{TEACHER}.state.pt"
    if not src.is_file():
        raise CheckpointError(f"{src}: no teacher phase to reuse (teacher.reuse_from)")
    shutil.copy2(src, run_dir / f"{TEACHER}.state.pt")


def _pruning(
    q: QatConfig, student: Generator, disc
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
    losses and the training images live there; scoring and everything written stay on the CPU.
    Image-to-image recipes (``task: sr2x`` or ``inpaint``) run :mod:`fpgagan.workflows.image_tasks`.
    """
    if cfg.task != "generate":
        from fpgagan.workflows.image_tasks import train_image_task

        return train_image_task(cfg, run_dir, data_root, device)
    t_start = time.perf_counter()
    dev = resolve_device(device or cfg.device)
    root = data_root if data_root is not None else cfg.data.root
    train_x, _ = load_images(cfg.data.dataset, "train", root)
    test_x, _ = load_images(cfg.data.dataset, "test", root)
    train_x = _subsample(train_x, cfg.max_train_images, cfg.seed)
    n_eval = min(cfg.eval.n_samples, len(test_x))

    classifier = load_classifier()
    latent = build_generator(cfg.model.generator).spec.latent_dim  # fails early on a bad name
    build_discriminator(cfg.model.discriminator)
    # only once every input is known to be good; a folder fpgagan did not make is refused
    claim_run_folder(run_dir, cfg)
    write_json_atomic(run_dir / "config.json", to_dict(cfg))
    val_scorer = QualityScorer(classifier, _subsample(train_x, n_eval, cfg.seed + 1))
    test_scorer = QualityScorer(classifier, test_x[:n_eval])
    floor = test_scorer.scores(_subsample(train_x, n_eval, cfg.seed + 2))

    val_z = torch.randn(n_eval, latent, generator=torch.Generator().manual_seed(cfg.seed + 3))
    test_z = torch.randn(n_eval, latent, generator=torch.Generator().manual_seed(cfg.seed + 4))
    sample_z = torch.randn(64, latent, generator=torch.Generator().manual_seed(cfg.seed + 5))

    def val_fid(gen: Generator) -> float:
        return val_scorer.fid(generate_cpu(gen, val_z))

    # ---- float teacher
    torch.manual_seed(cfg.seed)
    teacher = build_generator(cfg.model.generator)
    disc = build_discriminator(cfg.model.discriminator)
    t = cfg.teacher
    teacher_spec = PhaseSpec(
        TEACHER,
        cfg.model.generator,
        t.optim,
        cfg.batch_size,
        cfg.seed,
        t.max_epochs,
        t.min_epochs,
        t.patience,
        setup={"data": to_dict(cfg.data), "n_train": len(train_x), "disc": cfg.model.discriminator},
    )
    _reuse_teacher(t.reuse_from, run_dir)
    t_res = run_phase(teacher_spec, run_dir, teacher, disc, train_x, val_fid, sample_z, device=dev)
    export_best(t_res, run_dir / f"{TEACHER}.pt", cfg.model.generator, {"phase": TEACHER})

    teacher_scores = test_scorer.scores(generate_cpu(t_res.generator, test_z))
    metrics: dict[str, Any] = {
        "metric": METRIC_NAME,
        "metric_note": METRIC_NOTE,
        "n_samples": n_eval,
        "floor": floor,
        "teacher": {**teacher_scores, "epochs": t_res.best_epoch, "history": t_res.history},
        "qat": None,
        "device": str(dev),
    }
    history = list(t_res.history)
    if cfg.qat is not None:
        fp = teacher_spec.fingerprint()
        q_res = _train_student(cfg, cfg.qat, run_dir, t_res, fp, train_x, val_fid, sample_z, dev)
        qat_scores = test_scorer.scores(generate_cpu(q_res.generator, test_z))
        metrics["qat"] = {
            **qat_scores,
            "precision": cfg.qat.precision.tag,
            "widths": q_res.generator.spec.hidden_channels(),
            "epochs": q_res.best_epoch,
            "history": q_res.history,
        }
        metrics["fid_ratio_qat_over_teacher"] = qat_scores["fid"] / teacher_scores["fid"]
        history += q_res.history
    # epochs' own time, summed over resumed runs too; wall_s is this invocation only
    metrics["training_s"] = sum(r["train_s"] + r["eval_s"] for r in history)
    metrics["wall_s"] = time.perf_counter() - t_start
    metrics["provenance"] = provenance()
    write_json_atomic(run_dir / "metrics.json", metrics)
    return TrainQatResult(run_dir, metrics)


def _student(cfg: TrainQatConfig, q: QatConfig, teacher: Generator) -> tuple[Generator, Any]:
    """The low-bit student and its discriminator, from the teacher or from scratch."""
    s = q.student
    widths: tuple[int, ...] = ()
    start = fold_batch_norm(teacher)
    if s.width < 1.0:
        start = prune_channels(start, s.width)  # the teacher's highest-L1 channels
        widths = start.spec.widths
    student = build_generator(cfg.model.generator, q.precision, widths=widths)
    qdisc = build_discriminator(cfg.model.discriminator, q.discriminator_precision)
    if s.init == "teacher":
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
    run_dir: Path,
    t_res,
    teacher_fingerprint: str,
    train_x: torch.Tensor,
    val_fid: Callable[[Generator], float],
    sample_z: torch.Tensor,
    device: torch.device,
):
    """QAT of the student from the teacher phase's result (pruning and distillation as configured)."""
    torch.manual_seed(cfg.seed + 1)
    student, qdisc = _student(cfg, q, t_res.generator)
    masks_for_epoch, select_from, distiller = student_setup(q, t_res, student, qdisc)
    qat_spec = PhaseSpec(
        QAT,
        cfg.model.generator,
        q.optim,
        cfg.batch_size,
        cfg.seed + 1,
        q.epochs,
        q.epochs,
        q.epochs,
        select_from,
        setup={"teacher": teacher_fingerprint, "qat": to_dict(q, skip_defaults=True)},
    )
    q_res = run_phase(
        qat_spec,
        run_dir,
        student,
        qdisc,
        train_x,
        val_fid,
        sample_z,
        distiller=distiller,
        masks_for_epoch=masks_for_epoch,
        device=device,
    )
    export_best(
        q_res,
        run_dir / "generator.pt",
        cfg.model.generator,
        {"phase": QAT, "teacher": str(run_dir / f"{TEACHER}.pt")},
    )
    return q_res


def summary(metrics: dict[str, Any]) -> str:
    """The lines ``make train-qat`` prints."""
    if metrics.get("task", "generate") != "generate":
        from fpgagan.workflows.image_tasks import summary as image_summary

        return image_summary(metrics)
    f = metrics["floor"]
    return "\n".join(
        [
            f"{METRIC_NAME} on {metrics['n_samples']} samples vs the test split (lower is better; floor = train vs test images)",
            f"  floor                 {METRIC_NAME} {f['fid']:8.2f}   IS {f['is']:.2f}",
            f"  float teacher         {METRIC_NAME} {metrics['teacher']['fid']:8.2f}   IS {metrics['teacher']['is']:.2f}   (epoch {metrics['teacher']['epochs']})",
        ]
        + (
            [
                f"  QAT {metrics['qat']['precision']:<17} {METRIC_NAME} {metrics['qat']['fid']:8.2f}   IS {metrics['qat']['is']:.2f}   (epoch {metrics['qat']['epochs']})",
                f"  QAT / teacher         {metrics['fid_ratio_qat_over_teacher']:.3f}x",
            ]
            if metrics["qat"] is not None
            else []
        )
        + [f"  note: {metrics['metric_note']}"]
    )
