"""The image-to-image tasks of ``fpgagan train-qat`` (``task: sr2x`` or ``inpaint``): what differs
from a latent-to-image recipe, for :func:`fpgagan.workflows.train_qat.train_qat`.

A float U-Net teacher is trained pix2pix-style against a conditional PatchGAN until validation
PSNR stops improving; its batch-norm is folded and the low-bit student (optionally narrower, or
pruned) is trained from it by QAT with distillation (an L1 pull towards the teacher's images).
Both are selected by PSNR on training images held out from training, and scored against ground
truth on the test split: PSNR and SSIM (and PSNR inside the patch for ``inpaint``), beside the
task's baseline (bicubic upsampling for ``sr2x``, the masked input itself for ``inpaint``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from fpgagan.config import Precision, TrainQatConfig, to_dict
from fpgagan.data import load_images
from fpgagan.data.tasks import PATCH, TaskPairs, bicubic_upsample, make_pairs
from fpgagan.errors import ConfigError
from fpgagan.images import UNIT_RANGE, save_grid
from fpgagan.models import PATCHGANS, UNETS, PatchGAN, UNet, build_patchgan, build_unet
from fpgagan.models.unet import INPUT_RANGE
from fpgagan.report.image_metrics import DATA_RANGE, psnr, ssim
from fpgagan.train.device import generate_cpu
from fpgagan.train.pix2pix import Pix2PixEpoch

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


def scores(out: torch.Tensor, pairs: TaskPairs, data_range: float = DATA_RANGE) -> dict[str, float]:
    """PSNR and SSIM of ``out`` against the targets (and PSNR inside the inpainted patch), for
    images whose range is ``data_range`` wide ([-1, 1] by default)."""
    a, b = out.numpy(), pairs.targets.numpy()
    result = {"psnr": psnr(a, b, data_range), "ssim": ssim(a, b, data_range)}
    if pairs.mask is not None:
        m = pairs.mask.numpy()
        result["patch_psnr"] = psnr(a[m], b[m], data_range)
    return result


def baseline(
    task: str, pairs: TaskPairs, value_range: tuple[float, float] = UNIT_RANGE
) -> torch.Tensor:
    """The classical answer to ``task``: bicubic upsampling (clamped to ``value_range``), or the
    masked input unchanged."""
    if task == "sr2x":
        return bicubic_upsample(pairs.inputs, value_range=value_range)
    return pairs.inputs


def _display_inputs(inputs: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    fh, fw = size[0] // inputs.shape[-2], size[1] // inputs.shape[-1]
    return inputs.repeat_interleave(fw, -1).repeat_interleave(fh, -2)


def save_comparison(
    path: Path,
    pairs: TaskPairs,
    outputs: list[torch.Tensor],
    value_range: tuple[float, float] = UNIT_RANGE,
) -> None:
    """One row per image: input (nearest-upsampled to the target's size) | outputs | truth,
    grey or colour, drawn in ``value_range``."""
    size = tuple(pairs.targets.shape[-2:])
    columns = [_display_inputs(pairs.inputs, size), *outputs, pairs.targets]
    save_grid(
        path,
        torch.stack(columns, dim=1).flatten(0, 1),
        ncol=len(columns),
        value_range=value_range,
    )


class ImageTask:
    """Data, models and scores of an image-to-image recipe (``train_qat``'s task interface)."""

    score_name = SCORE
    higher_is_better = True

    def __init__(self, cfg: TrainQatConfig, root: str | None):
        """Check that the models fit the task and load the pairs; nothing is written."""
        check_recipe(cfg)
        self.cfg = cfg
        self.train_data, self._val = _split(
            cfg, make_pairs(cfg.task, load_images(cfg.data.dataset, "train", root)[0], cfg.seed)
        )
        test_x = load_images(cfg.data.dataset, "test", root)[0]
        self._test = make_pairs(cfg.task, test_x[: min(cfg.eval.n_samples, len(test_x))], cfg.seed)
        pp = cfg.pix2pix
        self.epoch_fn = Pix2PixEpoch(pp.l1_weight, pp.adv_weight, pp.gan_loss)
        self.sample_inputs = self._val.inputs[:16]

    def build_generator(self, precision: Precision | None = None, widths=()) -> UNet:
        return build_unet(self.cfg.model.generator, precision, widths=widths)

    def build_discriminator(self, precision: Precision | None = None) -> PatchGAN:
        return build_patchgan(self.cfg.model.discriminator, precision)

    def teacher_setup(self) -> dict[str, Any]:
        """What the teacher phase's fingerprint holds beyond data, size and critic."""
        return {"task": self.cfg.task, "pix2pix": to_dict(self.cfg.pix2pix)}

    def val_score(self, gen: UNet) -> float:
        return psnr(_outputs(gen, self._val.inputs).numpy(), self._val.targets.numpy())

    def test_outputs(self, gen: UNet) -> torch.Tensor:
        return _outputs(gen, self._test.inputs)

    def scores(self, outputs: torch.Tensor) -> dict[str, float]:
        return scores(outputs, self._test)

    def metrics_head(self) -> dict[str, Any]:
        task, test = self.cfg.task, self._test
        return {
            "task": task,
            "dataset": self.cfg.data.dataset,
            "n_test": len(test),
            "mask_seed": self.cfg.seed if task == "inpaint" else None,
            "patch": PATCH if task == "inpaint" else None,
            "baseline": {"name": BASELINE[task], **scores(baseline(task, test), test)},
        }

    def teacher_extras(self, metrics: dict[str, Any]) -> dict[str, Any]:
        gain = metrics["teacher"]["psnr"] - metrics["baseline"]["psnr"]
        return {"float_gain_over_baseline_db": gain}

    def widths(self, gen: UNet) -> list[int]:
        return list(gen.spec.widths)

    def qat_extras(self, metrics: dict[str, Any]) -> dict[str, Any]:
        return {"qat_psnr_drop_db": metrics["teacher"]["psnr"] - metrics["qat"]["psnr"]}

    def finish(self, run_dir: Path, test_outputs: list[torch.Tensor]) -> None:
        """``grid.png``: the first test images through the teacher (and the student)."""
        outputs = [out[:N_GRID] for out in test_outputs]
        save_comparison(run_dir / "grid.png", self._test.subset(slice(0, N_GRID)), outputs)


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
