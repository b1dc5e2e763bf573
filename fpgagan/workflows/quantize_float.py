"""``fpgagan quantize``: a user's float generator (ONNX) -> a low-bit student distilled from it on
random inputs -> the QONNX file the board flow takes (``fpgagan hls --model``).

The steps: refuse a pickle before reading it; read and check the ONNX file; make the float graph
(:mod:`fpgagan.compress.float_graph`) and the student (:func:`fpgagan.compress.quantize`); train it
against the float model (:func:`fpgagan.train.data_free.run_data_free`, resumable in the run
folder; with ``images`` the adversarial term too), scored after every epoch by FID-FMNIST when it
makes 1x28x28 images and Fashion-MNIST is there, else by PSNR/SSIM against the float model on
held-out inputs; export the selected epoch to QONNX, refused unless qonnx execution equals the
Brevitas forward bit for bit; write ``student.pt``, ``generator.onnx`` and ``metrics.json``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from google.protobuf.message import DecodeError

from fpgagan.compress.data_free import DataFreeDistiller
from fpgagan.compress.float_graph import FloatGraph, float_graph
from fpgagan.compress.float_quant import (
    QuantizedGenerator,
    QuantizeReport,
    quantize_float_graph,
    teacher_of,
)
from fpgagan.config import Precision, to_dict
from fpgagan.data import load_images
from fpgagan.data.image_files import load_image_set
from fpgagan.errors import DatasetError, InputError, MismatchError, ModelError
from fpgagan.export import save_qonnx, to_qonnx
from fpgagan.export.model_limits import check_external_data, check_structure
from fpgagan.folders import claim_folder
from fpgagan.io import atomic_path, provenance, read_limited, write_json_atomic
from fpgagan.limits import MAX_MODEL_BYTES
from fpgagan.models import Discriminator, DiscriminatorSpec
from fpgagan.models.float_onnx import float_module, input_shape_of
from fpgagan.report.classifier import load_classifier
from fpgagan.report.image_metrics import psnr, ssim
from fpgagan.report.quality import QualityScorer
from fpgagan.train.data_free import DataFreeResult, DataFreeSpec, run_data_free

log = logging.getLogger(__name__)

RUN_FOLDER = "quantize run"  # the kind of folder `fpgagan quantize` makes (fpgagan.folders)
STATE = "distil.state.pt"
CHECKPOINT = "student.pt"
QONNX = "generator.onnx"
METRICS = "metrics.json"
CHECKPOINT_KIND = "fpgagan quantized float generator"
# suffixes of files that hold pickles (code): never opened as a model
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".tar", ".bin", ".joblib", ".zip")
_PICKLE_MAGIC = (b"PK\x03\x04", b"\x80")  # torch.save's zip, a pickle's PROTO opcode
FMNIST_SHAPE = (1, 28, 28)
VERIFY_N = 256  # inputs on which qonnx execution must equal the Brevitas forward


@dataclasses.dataclass(frozen=True)
class DistilConfig:
    """The data-free training of ``fpgagan quantize`` (the CLI's options): 6 x 250 steps of 64
    latents, about 3 minutes for the 28x28 DCGAN on 2 CPU cores."""

    epochs: int = 6
    steps_per_epoch: int = 250
    batch_size: int = 64
    lr: float = 1e-4
    pixel_weight: float = 1.0
    feature_weight: float = 1.0
    adversarial_weight: float = 0.05  # only with images
    n_val: int = 2000  # held-out inputs of the validation figure
    seed: int = 0


# --------------------------------------------------------------------------- the float model


def refuse_pickle(path: Path) -> None:
    """Refuse a pickled model by its name or its first bytes, before anything reads further: a
    pickle is code, and a model file must never run code."""
    why = None
    if path.suffix.lower() in PICKLE_SUFFIXES:
        why = f"a {path.suffix} file is a pickle"
    elif path.is_file():
        with open(path, "rb") as fh:
            head = fh.read(4)
        if any(head.startswith(m) for m in _PICKLE_MAGIC):
            why = "the file is a pickle (or a torch.save archive)"
    if why:
        raise InputError(
            f"{path}: {why}, which is code and is never loaded; export the float generator with "
            "torch.onnx.export and give the .onnx file (in Python, fpgagan.compress.quantize "
            "takes your module)"
        )


def read_float_onnx(path: str | Path) -> tuple[torch.fx.GraphModule, tuple[int, ...], str]:
    """The float ONNX file as a module, its input shape and the file's SHA-256."""
    p = Path(path)
    refuse_pickle(p)
    data = read_limited(p, "float ONNX file", MAX_MODEL_BYTES, InputError)
    try:
        model = onnx.load_from_string(data)
    except (DecodeError, ValueError, RuntimeError):
        raise InputError(f"{p}: not an ONNX file (the protobuf does not parse)") from None
    where = str(p)
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer):
        raise InputError(
            f"{p}: the weights are in a separate file, which fpgagan does not read; export with "
            "torch.onnx.export(..., external_data=False)"
        )
    check_external_data(model, where)
    check_structure(model, where)
    return (
        float_module(model, where),
        input_shape_of(model, where),
        hashlib.sha256(data).hexdigest(),
    )


def default_input_range(input_shape: tuple[int, ...]) -> float:
    """4 for latents (normal: 99.99% inside), 1 for images in [-1, 1]."""
    return 1.0 if len(input_shape) == 3 and input_shape[1] * input_shape[2] > 1 else 4.0


# --------------------------------------------------------------------------- scoring


@dataclasses.dataclass
class _Validation:
    """The per-epoch figure: FID-FMNIST (1x28x28 and Fashion-MNIST found) or PSNR/SSIM against
    the float model, on the same held-out inputs every epoch."""

    teacher_out: torch.Tensor
    z: torch.Tensor
    data_range: float
    scorer: QualityScorer | None
    not_scored: str | None  # why FID-FMNIST does not apply

    @property
    def score_name(self) -> str:
        return "val_fid" if self.scorer is not None else "val_psnr"

    def __call__(self, student) -> dict[str, float]:
        with torch.no_grad():
            out = torch.cat([student(z) for z in self.z.split(500)])
        a, b = out.numpy(), self.teacher_out.numpy()
        figures = {"val_psnr": psnr(a, b, self.data_range), "val_ssim": ssim(a, b, self.data_range)}
        if self.scorer is not None:
            figures["val_fid"] = self.scorer.fid(out)
        return figures


def _validation(teacher, student: QuantizedGenerator, cfg: DistilConfig, data_root) -> _Validation:
    z = student.sample_inputs(cfg.n_val, torch.Generator().manual_seed(cfg.seed + 1_000_003))
    with torch.no_grad():
        t_out = torch.cat([teacher(x) for x in z.split(500)])
    lo, hi = student.report.output_range
    data_range = hi - lo if math.isfinite(hi - lo) else float(t_out.max() - t_out.min()) or 1.0
    scorer, why = None, None
    if tuple(t_out.shape[1:]) != FMNIST_SHAPE:
        why = f"the output is {'x'.join(map(str, t_out.shape[1:]))}, not Fashion-MNIST's 1x28x28"
    else:
        try:
            # training images as the reference: the test split stays for reporting
            train_x, _ = load_images("fashion-mnist", "train", data_root)
            pick = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(cfg.seed))
            scorer = QualityScorer(load_classifier(), train_x[pick[: cfg.n_val]])
        except DatasetError as exc:
            why = f"Fashion-MNIST not found ({exc})"
    if why:
        log.info("validation by PSNR/SSIM against the float model: FID-FMNIST not scored, %s", why)
    return _Validation(t_out, z, data_range, scorer, why)


# --------------------------------------------------------------------------- the run


@dataclasses.dataclass
class QuantizeResult:
    run_dir: Path
    student: QuantizedGenerator
    report: QuantizeReport
    training: DataFreeResult
    metrics: dict[str, Any]


def _critic(images: torch.Tensor | None, shape: tuple[int, ...]) -> Discriminator | None:
    if images is None:
        return None
    c, h, w = shape
    if h != w or h % 4:
        raise ModelError(f"the adversarial term's critic needs square images of a side divisible "
                         f"by 4, the output is {c}x{h}x{w}")  # fmt: skip
    torch.manual_seed(0)
    return Discriminator(DiscriminatorSpec(base_channels=64, in_channels=c, in_size=h))


def _images(images, student: QuantizedGenerator, teacher_out: torch.Tensor) -> torch.Tensor | None:
    """The user's images (a path, or a tensor already in the output's shape and range)."""
    if images is None or isinstance(images, torch.Tensor):
        return images
    shape = tuple(teacher_out.shape[1:])
    lo, hi = student.report.output_range
    if len(shape) != 3 or not (math.isfinite(lo) and math.isfinite(hi)):
        raise ModelError("training images need an image output of a fixed range (a tanh, "
                         "sigmoid or clamp at the end)")  # fmt: skip
    return load_image_set(images, shape[0], shape[1:], (lo, hi))


def quantize_and_distil(
    float_model: torch.nn.Module | str | Path,
    run_dir: Path,
    precision: Precision | None = None,
    cfg: DistilConfig = DistilConfig(),
    input_shape: tuple[int, ...] | None = None,
    images: str | Path | torch.Tensor | None = None,
    data_root: str | None = None,
    device: torch.device | None = None,
) -> QuantizeResult:
    """Quantize ``float_model`` (a module with ``input_shape``, or a float ONNX file), distil it,
    export it: ``run_dir`` holds the state (rerun to resume), ``student.pt``, ``generator.onnx``
    and ``metrics.json``."""
    t0 = time.perf_counter()
    if isinstance(float_model, str | Path):
        module, input_shape, digest = read_float_onnx(float_model)
        source = {"float_onnx": str(float_model), "sha256": digest}
    else:
        if input_shape is None:
            input_shape = getattr(float_model, "input_shape", None)
        if input_shape is None:
            raise ModelError("give input_shape (one input's shape, without the batch axis)")
        module, source = float_model, {"float_module": type(float_model).__name__}
    input_shape = tuple(int(d) for d in input_shape)
    if precision is None:
        precision = Precision(input_range=default_input_range(input_shape))
    fg = float_graph(module)
    student = quantize_float_graph(fg, input_shape, precision, seed=cfg.seed)
    teacher = teacher_of(fg, input_shape, precision.input_range)
    validation = _validation(teacher, student, cfg, data_root)
    train_images = _images(images, student, validation.teacher_out)
    critic = _critic(train_images, tuple(validation.teacher_out.shape[1:]))
    claim_folder(run_dir, RUN_FOLDER)  # only once every input is known to be good
    spec = DataFreeSpec(
        cfg.epochs, cfg.steps_per_epoch, cfg.batch_size, cfg.lr,
        adversarial_weight=cfg.adversarial_weight, seed=cfg.seed,
        score_name=validation.score_name, higher_is_better=validation.scorer is None,
        setup={"source": source, "precision": to_dict(precision), "pixel": cfg.pixel_weight,
               "feature": cfg.feature_weight, "images": None if train_images is None
               else int(len(train_images)), "n_val": cfg.n_val},
    )  # fmt: skip
    distiller = DataFreeDistiller(teacher, cfg.pixel_weight, cfg.feature_weight)
    training = run_data_free(
        spec, run_dir / STATE, student, distiller, validation, critic, train_images, device
    )
    student.eval()
    final = validation(student)
    model = to_qonnx(student)
    _verify(student, model, run_dir)
    save_qonnx(model, run_dir / QONNX)
    save_student(run_dir / CHECKPOINT, student, input_shape, source)
    metrics = _metrics(student.report, training, final, validation, fg, source, spec)
    metrics["wall_s"] = time.perf_counter() - t0
    write_json_atomic(run_dir / METRICS, metrics)
    return QuantizeResult(run_dir, student, student.report, training, metrics)


def _verify(student: QuantizedGenerator, model, run_dir: Path) -> None:
    from fpgagan.export import execute_batch

    z = student.sample_inputs(VERIFY_N, torch.Generator().manual_seed(12345))
    with torch.no_grad():
        ref = student(z).numpy()
    out = execute_batch(model, z.numpy())
    bad = int(np.count_nonzero(out != ref))
    if bad:
        raise MismatchError(
            f"{run_dir}: QONNX execution differs from the Brevitas forward in {bad} output "
            "elements; nothing written"
        )


def save_student(path: Path, student: QuantizedGenerator, input_shape, source) -> None:
    """The student's weights and what rebuilds it (the float model it came from, the precision);
    tensors and plain data only, read back with ``weights_only=True``."""
    from fpgagan.models.quantizers import stats_collection_state

    record = {
        "kind": CHECKPOINT_KIND,
        "source": source,
        "input_shape": list(input_shape),
        "precision": to_dict(student.precision),
        "state_dict": {k: v.detach().cpu().clone() for k, v in student.state_dict().items()},
        "stats": stats_collection_state(student),
        "provenance": provenance(),
    }
    with atomic_path(path) as tmp:
        torch.save(record, tmp)


def _metrics(report: QuantizeReport, training: DataFreeResult, final, validation, fg: FloatGraph,
             source, spec: DataFreeSpec) -> dict[str, Any]:  # fmt: skip
    return {
        "source": source,
        "quantize": to_dict(report) | {"hard_shift_psnr_db": report.shift.psnr_db},
        "distil": to_dict(spec),
        "history": training.history,
        "best_epoch": training.best_epoch,
        "final": final,
        "score_name": validation.score_name,
        "fid_not_scored": validation.not_scored,
        "provenance": provenance(),
    }


def summary(result: QuantizeResult) -> list[str]:
    """The lines ``fpgagan quantize`` prints."""
    r, m = result.report, result.metrics
    s = r.shift
    lines = [
        f"quantized to {r.precision}: {len(r.layers)} weight layers "
        f"({', '.join(f'{x.name} W{x.weight_bits}' for x in r.layers)}); batch-norm folded: "
        f"{', '.join(r.folded_batch_norms) or 'none'}",
    ]
    if r.hard_activations:
        lines.append(
            f"hard activations ({', '.join(r.hard_activations)}) move the float output by at most "
            f"{s.max_abs:.4f} (PSNR {s.psnr_db:.2f} dB on {s.n} inputs)"
        )
    f = m["final"]
    fid = f" FID-FMNIST {f['val_fid']:.2f}," if "val_fid" in f else ""
    lines.append(
        f"after {len(result.training.history)} epochs (selected: {result.training.best_epoch}):"
        f"{fid} PSNR {f['val_psnr']:.2f} dB, SSIM {f['val_ssim']:.4f} against the float model"
    )
    return lines
