"""The latent-to-image task of ``fpgagan train-qat`` (``task: generate``): what differs from an
image-to-image recipe, for :func:`fpgagan.workflows.train_qat.train_qat`.

A DCGAN generator and critic, the non-saturating GAN epoch, models selected by FID-FMNIST
against training images; the reported figures use the test split, with the floor (train vs test
images) beside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from fpgagan.config import Precision, TrainQatConfig
from fpgagan.data import load_images
from fpgagan.models import Discriminator, Generator, build_discriminator, build_generator
from fpgagan.report.classifier import load_classifier
from fpgagan.report.quality import METRIC_NAME, METRIC_NOTE, QualityScorer
from fpgagan.train.device import generate_cpu

N_SAMPLES_SHOWN = 64  # latents of the per-epoch sample grids


def _subsample(x: torch.Tensor, n: int | None, seed: int) -> torch.Tensor:
    if n is None or n >= len(x):
        return x
    return x[torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:n]]


def _latents(n: int, latent: int, seed: int) -> torch.Tensor:
    return torch.randn(n, latent, generator=torch.Generator().manual_seed(seed))


class LatentTask:
    """Data, models and scores of a latent-to-image recipe (``train_qat``'s task interface)."""

    score_name = "val_fid"
    higher_is_better = False
    epoch_fn = None  # run_phase's default: fpgagan.train.gan.train_epoch

    def __init__(self, cfg: TrainQatConfig, root: str | None):
        """Check the model names and load everything scoring needs; nothing is written."""
        self.cfg = cfg
        train_x, _ = load_images(cfg.data.dataset, "train", root)
        test_x, _ = load_images(cfg.data.dataset, "test", root)
        self.train_data = _subsample(train_x, cfg.max_train_images, cfg.seed)
        self.n_eval = n_eval = min(cfg.eval.n_samples, len(test_x))
        classifier = load_classifier()
        latent = self.build_generator().spec.latent_dim  # fails early on a bad name
        self.build_discriminator()
        self._val_scorer = QualityScorer(
            classifier, _subsample(self.train_data, n_eval, cfg.seed + 1)
        )
        self._test_scorer = QualityScorer(classifier, test_x[:n_eval])
        self._floor = self._test_scorer.scores(_subsample(self.train_data, n_eval, cfg.seed + 2))
        self._val_z = _latents(n_eval, latent, cfg.seed + 3)
        self._test_z = _latents(n_eval, latent, cfg.seed + 4)
        self.sample_inputs = _latents(N_SAMPLES_SHOWN, latent, cfg.seed + 5)

    def build_generator(self, precision: Precision | None = None, widths=()) -> Generator:
        return build_generator(self.cfg.model.generator, precision, widths=widths)

    def build_discriminator(self, precision: Precision | None = None) -> Discriminator:
        return build_discriminator(self.cfg.model.discriminator, precision)

    def teacher_setup(self) -> dict[str, Any]:
        """What the teacher phase's fingerprint holds beyond data, size and critic: nothing."""
        return {}

    def val_score(self, gen: Generator) -> float:
        return self._val_scorer.fid(generate_cpu(gen, self._val_z))

    def test_outputs(self, gen: Generator) -> torch.Tensor:
        return generate_cpu(gen, self._test_z)

    def scores(self, outputs: torch.Tensor) -> dict[str, float]:
        return self._test_scorer.scores(outputs)

    def metrics_head(self) -> dict[str, Any]:
        return {
            "metric": METRIC_NAME,
            "metric_note": METRIC_NOTE,
            "n_samples": self.n_eval,
            "floor": self._floor,
        }

    def teacher_extras(self, metrics: dict[str, Any]) -> dict[str, Any]:
        return {}

    def widths(self, gen: Generator) -> list[int]:
        return gen.spec.hidden_channels()

    def qat_extras(self, metrics: dict[str, Any]) -> dict[str, Any]:
        return {
            "fid_ratio_qat_over_teacher": metrics["qat"]["fid"] / metrics["teacher"]["fid"],
        }

    def finish(self, run_dir: Path, test_outputs: list[torch.Tensor]) -> None:
        """Nothing beyond the per-epoch samples."""


def summary(metrics: dict[str, Any]) -> str:
    """The lines ``make train-qat`` prints for a latent-to-image recipe."""
    f, t, q = metrics["floor"], metrics["teacher"], metrics["qat"]
    lines = [
        f"{METRIC_NAME} on {metrics['n_samples']} samples vs the test split (lower is better; floor = train vs test images)",
        f"  floor                 {METRIC_NAME} {f['fid']:8.2f}   IS {f['is']:.2f}",
        f"  float teacher         {METRIC_NAME} {t['fid']:8.2f}   IS {t['is']:.2f}   (epoch {t['epochs']})",
    ]  # fmt: skip
    if q is not None:
        lines += [
            f"  QAT {q['precision']:<17} {METRIC_NAME} {q['fid']:8.2f}   IS {q['is']:.2f}   (epoch {q['epochs']})",
            f"  QAT / teacher         {metrics['fid_ratio_qat_over_teacher']:.3f}x",
        ]  # fmt: skip
    return "\n".join([*lines, f"  note: {metrics['metric_note']}"])
