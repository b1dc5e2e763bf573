"""Super-resolution of photographs (``configs/photo_sr2x.yaml``): train, score, export.

A float ESPCN teacher is trained on random patches of the training photographs, then each low-bit
student (W4A8, W8A8, ...) from the teacher's weights by QAT with distillation
(:mod:`fpgagan.train.sr_phase`).  Every model and bicubic upsampling are scored on the held-out
photographs, whole, as the literature does (:mod:`fpgagan.report.sr_metrics`: Y-PSNR with a
border of ``scale`` pixels cropped, Y-SSIM, RGB-PSNR; per photograph and the mean).  The run
folder holds ``teacher.pt``, ``student_<tag>.pt`` and ``student_<tag>.onnx`` (QONNX at the
``export`` frame, for ``fpgagan hls --model``), ``metrics.json`` and ``crops.png``; it is built
aside and swapped in whole, so a failed run leaves no half-written folder.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fpgagan.config import PhotoSrConfig, to_dict
from fpgagan.data.photos import Photo, crop_to, load_photos, make_lr
from fpgagan.data.tasks import bicubic_upsample
from fpgagan.export.qonnx_export import save_qonnx, to_qonnx
from fpgagan.folders import staged
from fpgagan.images import save_grid
from fpgagan.io import provenance, write_json_atomic
from fpgagan.models.espcn import Espcn, EspcnSpec, save_espcn
from fpgagan.report.sr_metrics import SrScore, mean_score, sr_score
from fpgagan.train.sr_phase import train_phase, upscale

BICUBIC = "bicubic"
TEACHER = "float"
CROP = 96  # side of the high-resolution crops in crops.png
WHAT = "photo super-resolution run"


def spec_of(cfg: PhotoSrConfig, height: int = 32, width: int = 32) -> EspcnSpec:
    """The ESPCN of ``cfg`` exported at an input frame of ``height`` x ``width``."""
    return EspcnSpec(
        widths=tuple(cfg.widths), kernels=tuple(tuple(k) for k in cfg.kernels), scale=cfg.scale,
        in_height=height, in_width=width, residual=cfg.residual,
    )  # fmt: skip


def score_photos(outputs: list[torch.Tensor], photos: list[Photo], scale: int) -> list[SrScore]:
    """The scores of each output (3, H, W) against its photograph."""
    return [
        sr_score(o.numpy(), p.image.numpy(), scale) for o, p in zip(outputs, photos, strict=True)
    ]


def model_outputs(model: torch.nn.Module, photos: list[Photo], scale: int) -> list[torch.Tensor]:
    """``model``'s upscaling of each photograph's low-resolution twin."""
    return [upscale(model, make_lr(p.image[None], scale))[0] for p in photos]


def bicubic_outputs(photos: list[Photo], scale: int) -> list[torch.Tensor]:
    return [bicubic_upsample(make_lr(p.image[None], scale), scale)[0] for p in photos]


def score_table(results: dict[str, list[SrScore]], photos: list[Photo]) -> dict[str, Any]:
    """``{model: {"per_photo": {name: scores}, "mean": scores}}`` for metrics.json."""
    return {
        model: {
            "per_photo": {
                p.name: dataclasses.asdict(s) for p, s in zip(photos, scores, strict=True)
            },
            "mean": dataclasses.asdict(mean_score(scores)),
        }
        for model, scores in results.items()
    }


def save_crops(
    path: Path, photos: list[Photo], columns: list[list[torch.Tensor]], side: int = CROP
) -> None:
    """One row per photograph: the centre ``side`` x ``side`` crop of each column's image."""
    rows = [crop_to(img, side, side) for i in range(len(photos)) for img in [c[i] for c in columns]]
    save_grid(path, torch.stack(rows), ncol=len(columns))


def run_photo_sr(
    cfg: PhotoSrConfig, out_dir: Path, export_frame: tuple[int, int] = (64, 64)
) -> dict:
    """Train the teacher and the students of ``cfg`` into ``out_dir`` on ``cfg.threads`` CPU
    threads (restored afterwards); returns metrics.json."""
    threads = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    try:
        return _run(cfg, out_dir, export_frame)
    finally:
        torch.set_num_threads(threads)


def _run(cfg: PhotoSrConfig, out_dir: Path, export_frame: tuple[int, int]) -> dict:
    train, test = load_photos("train"), load_photos("test")
    with staged(out_dir, WHAT) as work:
        t0 = time.perf_counter()
        torch.manual_seed(cfg.seed)  # the hidden convolutions' random start: a run repeats
        teacher = Espcn(spec_of(cfg)).init_nearest()
        history = {TEACHER: train_phase(
            teacher, train, cfg.teacher, cfg.patch, cfg.batch_size, cfg.scale, cfg.seed,
            desc="float teacher",
        )}  # fmt: skip
        save_espcn(work / "teacher.pt", teacher, {"config": to_dict(cfg)})
        seconds = {TEACHER: time.perf_counter() - t0}
        results = {
            BICUBIC: score_photos(bicubic_outputs(test, cfg.scale), test, cfg.scale),
            TEACHER: score_photos(model_outputs(teacher, test, cfg.scale), test, cfg.scale),
        }
        students = {}
        for i, phase in enumerate(cfg.students):
            t0 = time.perf_counter()
            assert phase.precision is not None
            tag = phase.precision.tag
            student = Espcn(spec_of(cfg), phase.precision)
            student.load_state_dict(teacher.state_dict(), strict=False)
            history[tag] = train_phase(
                student, train, phase, cfg.patch, cfg.batch_size, cfg.scale, cfg.seed + 1 + i,
                teacher=teacher, desc=f"QAT {tag}",
            )  # fmt: skip
            seconds[tag] = time.perf_counter() - t0
            save_espcn(work / f"student_{tag}.pt", student, {"config": to_dict(cfg)})
            exported = Espcn(spec_of(cfg, *export_frame), phase.precision)
            exported.load_state_dict(student.state_dict())
            save_qonnx(to_qonnx(exported), work / f"student_{tag}.onnx")
            results[tag] = score_photos(model_outputs(student, test, cfg.scale), test, cfg.scale)
            students[tag] = student
        columns = [bicubic_outputs(test, cfg.scale), model_outputs(teacher, test, cfg.scale)]
        columns += [model_outputs(s, test, cfg.scale) for s in students.values()]
        save_crops(work / "crops.png", test, [*columns, [p.image for p in test]])
        metrics = {
            "config": to_dict(cfg),
            "test_photos": [p.name for p in test],
            "train_photos": [p.name for p in train],
            "macs_per_pixel": spec_of(cfg).macs_per_pixel,
            "scores": score_table(results, test),
            "train_seconds": seconds,
            "loss_history": history,
            "export_frame": list(export_frame),
            "provenance": provenance(),
        }
        write_json_atomic(work / "metrics.json", metrics)
    return metrics


def summary(metrics: dict[str, Any]) -> str:
    """The table the command prints: mean scores over the held-out photographs."""
    lines = [f"x2 super-resolution, {len(metrics['test_photos'])} held-out photographs "
             "(Y: BT.601 luma, border of the scale cropped)",
             "  model      Y-PSNR dB  Y-SSIM  RGB-PSNR dB"]  # fmt: skip
    for name, s in metrics["scores"].items():
        m = s["mean"]
        lines.append(f"  {name:<9}  {m['y_psnr']:9.2f}  {m['y_ssim']:.4f}  {m['rgb_psnr']:11.2f}")
    return "\n".join(lines)


def per_photo_table(metrics: dict[str, Any]) -> str:
    """Markdown: Y-PSNR of every model on every held-out photograph."""
    models = list(metrics["scores"])
    lines = ["| photo | " + " | ".join(models) + " |", "|---|" + "---|" * len(models)]
    for name in metrics["test_photos"]:
        cells = [f"{metrics['scores'][m]['per_photo'][name]['y_psnr']:.2f}" for m in models]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def as_array(x: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(x.numpy())
