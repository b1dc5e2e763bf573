"""``fpgagan train-qat`` for image-to-image recipes (``task: sr2x`` or ``inpaint``).

A float U-Net teacher is trained pix2pix-style against a conditional PatchGAN until validation
PSNR stops improving; its batch-norm is folded and the low-bit student (optionally narrower, or
pruned) is trained from it by QAT with distillation (an L1 pull towards the teacher's images).
Both are selected by PSNR on training images held out from training, and scored against ground
truth on the test split: PSNR and SSIM (and PSNR inside the patch for ``inpaint``), beside the
task's baseline (bicubic upsampling for ``sr2x``, the masked input itself for ``inpaint``).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import torch

from fpgagan.compress.prune import prune_channels
from fpgagan.config import QatConfig, TrainQatConfig, to_dict
from fpgagan.data import load_images
from fpgagan.data.tasks import PATCH, TaskPairs, bicubic_upsample, make_pairs
from fpgagan.errors import ConfigError
from fpgagan.images import save_grid
from fpgagan.io import provenance, write_json_atomic
from fpgagan.models import (
    PATCHGANS,
    UNETS,
    PatchGAN,
    UNet,
    build_patchgan,
    build_unet,
    fold_batch_norm,
)
from fpgagan.models.unet import INPUT_RANGE
from fpgagan.report.image_metrics import psnr, ssim
from fpgagan.train.device import generate_cpu, resolve_device
from fpgagan.train.phase import PhaseResult, PhaseSpec, export_best, run_phase
from fpgagan.train.pix2pix import Pix2PixEpoch
from fpgagan.workflows.train_qat import (
    QAT,
    TEACHER,
    TrainQatResult,
    _reuse_teacher,
    claim_run_folder,
    student_setup,
)

log = logging.getLogger(__name__)

SCORE = "val_psnr"
N_GRID = 8  # test images in grid.png, one per row
BASELINE = {"sr2x": "bicubic", "inpaint": "masked input"}


def check_recipe(cfg: TrainQatConfig) -> None:
    """Refuse a recipe whose models do not fit its task, naming the key at fault."""
    name, dname = cfg.model.generator, cfg.model.discriminator
    if name not in UNETS:
        raise ConfigError(
            f"model.generator: {name!r} is not an image-to-image generator for task "
            f"{cfg.task} (known: {', '.join(sorted(UNETS))})"
        )
    if UNETS[name].task != cfg.task:
        raise ConfigError(
            f"model.generator: {name!r} is made for {UNETS[name].task}, not {cfg.task}"
        )
    if dname not in PATCHGANS:
        raise ConfigError(
            f"model.discriminator: {dname!r} is not a PatchGAN (known: {', '.join(sorted(PATCHGANS))})"
        )
    if cfg.qat is not None and cfg.qat.precision.input_range != INPUT_RANGE:
        raise ConfigError(
            f"qat.precision.input_range: images live in [-1, 1], so it must be {INPUT_RANGE}, "
            f"got {cfg.qat.precision.input_range}"
        )


def _split(cfg: TrainQatConfig, pairs: TaskPairs) -> tuple[TaskPairs, TaskPairs]:
    """(training pairs, held-out validation pairs) of the training split."""
    n_val = min(cfg.pix2pix.val_images, len(pairs) // 2)
    order = torch.randperm(len(pairs), generator=torch.Generator().manual_seed(cfg.seed + 1))
    train = order[n_val:]
    if cfg.max_train_images is not None:
        train = train[: cfg.max_train_images]
    return pairs.subset(train), pairs.subset(order[:n_val])


def _outputs(gen: UNet, inputs: torch.Tensor) -> torch.Tensor:
    return generate_cpu(gen, inputs)


def scores(out: torch.Tensor, pairs: TaskPairs) -> dict[str, float]:
    """PSNR and SSIM of ``out`` against the targets (and PSNR inside the inpainted patch)."""
    a, b = out.numpy(), pairs.targets.numpy()
    result = {"psnr": psnr(a, b), "ssim": ssim(a, b)}
    if pairs.mask is not None:
        m = pairs.mask.numpy()
        result["patch_psnr"] = psnr(a[m], b[m])
    return result


def baseline(task: str, pairs: TaskPairs) -> torch.Tensor:
    """The classical answer to ``task``: bicubic upsampling, or the masked input unchanged."""
    return bicubic_upsample(pairs.inputs) if task == "sr2x" else pairs.inputs


def _display_inputs(inputs: torch.Tensor, size: int) -> torch.Tensor:
    factor = size // inputs.shape[-1]
    return inputs.repeat_interleave(factor, -1).repeat_interleave(factor, -2)


def save_comparison(path: Path, pairs: TaskPairs, outputs: list[torch.Tensor]) -> None:
    """One row per image: input (nearest-upsampled to the target's size) | outputs | truth."""
    size = pairs.targets.shape[-1]
    columns = [_display_inputs(pairs.inputs, size), *outputs, pairs.targets]
    save_grid(path, torch.stack(columns, dim=1).flatten(0, 1), ncol=len(columns))


def train_image_task(
    cfg: TrainQatConfig, run_dir: Path, data_root: str | None = None, device: str | None = None
) -> TrainQatResult:
    """Run (or resume) an image-to-image recipe in ``run_dir``; returns the metrics written there."""
    t_start = time.perf_counter()
    check_recipe(cfg)
    dev = resolve_device(device or cfg.device)
    root = data_root if data_root is not None else cfg.data.root
    train_pairs, val = _split(
        cfg, make_pairs(cfg.task, load_images(cfg.data.dataset, "train", root)[0], cfg.seed)
    )
    test_x = load_images(cfg.data.dataset, "test", root)[0]
    test = make_pairs(cfg.task, test_x[: min(cfg.eval.n_samples, len(test_x))], cfg.seed)
    # only once every input is known to be good; a folder fpgagan did not make is refused
    claim_run_folder(run_dir, cfg)
    write_json_atomic(run_dir / "config.json", to_dict(cfg))

    def val_psnr(gen: UNet) -> float:
        return psnr(_outputs(gen, val.inputs).numpy(), val.targets.numpy())

    pp = cfg.pix2pix
    epoch_fn = Pix2PixEpoch(pp.l1_weight, pp.adv_weight, pp.gan_loss)
    sample_inputs = val.inputs[:16]

    # ---- float teacher
    torch.manual_seed(cfg.seed)
    teacher = build_unet(cfg.model.generator)
    disc = build_patchgan(cfg.model.discriminator)
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
        setup={
            "data": to_dict(cfg.data),
            "n_train": len(train_pairs),
            "disc": cfg.model.discriminator,
            "task": cfg.task,
            "pix2pix": to_dict(pp),
        },
        score_name=SCORE,
        higher_is_better=True,
    )
    _reuse_teacher(t.reuse_from, run_dir)
    t_res = run_phase(
        teacher_spec, run_dir, teacher, disc, train_pairs, val_psnr, sample_inputs,
        device=dev, epoch_fn=epoch_fn,
    )  # fmt: skip
    export_best(t_res, run_dir / f"{TEACHER}.pt", cfg.model.generator, {"phase": TEACHER})

    teacher_out = _outputs(t_res.generator, test.inputs)
    metrics: dict[str, Any] = {
        "task": cfg.task,
        "dataset": cfg.data.dataset,
        "n_test": len(test),
        "mask_seed": cfg.seed if cfg.task == "inpaint" else None,
        "patch": PATCH if cfg.task == "inpaint" else None,
        "baseline": {"name": BASELINE[cfg.task], **scores(baseline(cfg.task, test), test)},
        "teacher": {
            **scores(teacher_out, test),
            "epochs": t_res.best_epoch,
            "history": t_res.history,
        },
        "qat": None,
        "device": str(dev),
    }
    metrics["float_gain_over_baseline_db"] = (
        metrics["teacher"]["psnr"] - metrics["baseline"]["psnr"]
    )
    history = list(t_res.history)
    grid_outputs = [teacher_out[:N_GRID]]
    if cfg.qat is not None:
        fp = teacher_spec.fingerprint()
        q_res = _train_student(
            cfg, cfg.qat, run_dir, t_res, fp, train_pairs, val_psnr, sample_inputs, epoch_fn, dev
        )
        qat_out = _outputs(q_res.generator, test.inputs)
        metrics["qat"] = {
            **scores(qat_out, test),
            "precision": cfg.qat.precision.tag,
            "widths": list(q_res.generator.spec.widths),
            "epochs": q_res.best_epoch,
            "history": q_res.history,
        }
        metrics["qat_psnr_drop_db"] = metrics["teacher"]["psnr"] - metrics["qat"]["psnr"]
        history += q_res.history
        grid_outputs.append(qat_out[:N_GRID])
    save_comparison(run_dir / "grid.png", test.subset(slice(0, N_GRID)), grid_outputs)
    metrics["training_s"] = sum(r["train_s"] + r["eval_s"] for r in history)
    metrics["wall_s"] = time.perf_counter() - t_start
    metrics["provenance"] = provenance()
    write_json_atomic(run_dir / "metrics.json", metrics)
    return TrainQatResult(run_dir, metrics)


def _student(cfg: TrainQatConfig, q: QatConfig, teacher: UNet) -> tuple[UNet, PatchGAN]:
    """The low-bit student and its discriminator, from the folded teacher or from scratch."""
    start = fold_batch_norm(teacher)
    widths: tuple[int, ...] = ()
    if q.student.width < 1.0:
        start = prune_channels(start, q.student.width)  # the teacher's highest-L1 channels
        widths = start.spec.widths
    student = build_unet(cfg.model.generator, q.precision, widths=widths)
    qdisc = build_patchgan(cfg.model.discriminator, q.discriminator_precision)
    if q.student.init == "teacher":
        student.load_state_dict(start.state_dict(), strict=False)
    return student, qdisc


def _train_student(
    cfg: TrainQatConfig,
    q: QatConfig,
    run_dir: Path,
    t_res: PhaseResult,
    teacher_fingerprint: str,
    train_pairs: TaskPairs,
    val_psnr,
    sample_inputs: torch.Tensor,
    epoch_fn: Pix2PixEpoch,
    device: torch.device,
) -> PhaseResult:
    """QAT of the student from the teacher phase's result (pruning and distillation as configured)."""
    torch.manual_seed(cfg.seed + 1)
    student, qdisc = _student(cfg, q, t_res.generator)
    masks_for_epoch, select_from, distiller = student_setup(q, t_res, student, qdisc)
    spec = PhaseSpec(
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
        score_name=SCORE,
        higher_is_better=True,
    )
    q_res = run_phase(
        spec, run_dir, student, qdisc, train_pairs, val_psnr, sample_inputs,
        distiller=distiller, masks_for_epoch=masks_for_epoch, device=device, epoch_fn=epoch_fn,
    )  # fmt: skip
    export_best(
        q_res,
        run_dir / "generator.pt",
        cfg.model.generator,
        {"phase": QAT, "teacher": str(run_dir / f"{TEACHER}.pt")},
    )
    return q_res


def summary(metrics: dict[str, Any]) -> str:
    """The lines ``make train-qat`` prints for an image-to-image recipe."""
    patch = metrics["task"] == "inpaint"

    def line(label: str, s: dict[str, Any], epoch: bool = True) -> str:
        text = f"  {label:<20}  PSNR {s['psnr']:6.2f} dB   SSIM {s['ssim']:.4f}"
        if patch:
            text += f"   patch PSNR {s['patch_psnr']:6.2f} dB"
        return text + (f"   (epoch {s['epochs']})" if epoch else "")

    lines = [
        f"{metrics['task']} on {metrics['n_test']} test images, against ground truth "
        "(higher is better)",
        line(metrics["baseline"]["name"], metrics["baseline"], epoch=False),
        line("float teacher", metrics["teacher"]),
    ]
    gain = (
        f"  float - {metrics['baseline']['name']}: {metrics['float_gain_over_baseline_db']:+.2f} dB"
    )
    if metrics["qat"] is not None:
        lines.append(line(f"QAT {metrics['qat']['precision']}", metrics["qat"]))
        gain += f";  float - QAT: {metrics['qat_psnr_drop_db']:+.2f} dB"
    return "\n".join([*lines, gain])
