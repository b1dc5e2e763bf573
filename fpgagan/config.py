"""Typed, frozen configuration and the strict YAML loader.

Every config is a frozen dataclass.  ``from_dict`` builds one from plain data and rejects unknown
keys, wrong types and out-of-range values with a :class:`ConfigError` naming the key path, so a
typo in a recipe never silently falls back to a default.

YAML files are read only if they are regular files under :data:`~fpgagan.limits.MAX_YAML_BYTES`,
with a safe loader that also refuses anchors and aliases (a few hundred bytes of nested aliases
expand to gigabytes); error messages show at most a short cut of a value.
"""

from __future__ import annotations

import dataclasses
import enum
import errno
import os
import re
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from fpgagan.errors import ConfigError, short_repr
from fpgagan.io import read_limited
from fpgagan.limits import MAX_YAML_BYTES

T = TypeVar("T")
# a name used as a folder or file name (a recipe's run folder): one path component, never "..",
# nothing a shell or Tcl reads
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")

# --------------------------------------------------------------------------- strict loading


def from_dict(cls: type[T], data: Any, where: str = "config") -> T:
    """Build dataclass ``cls`` from ``data``; unknown keys and wrong types raise ConfigError."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    for key in data:
        if key not in names:
            raise ConfigError(
                f"{where}: unknown key {short_repr(key)} (known keys: {', '.join(names)})"
            )
    kwargs = {k: _coerce(hints[k], v, f"{where}.{k}") for k, v in data.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _coerce(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            return _coerce(inner[0], value, where)
        raise ConfigError(f"{where}: unsupported union type {tp}")  # pragma: no cover
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{where}: must be one of {list(args)}, got {short_repr(value)}")
        return value
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, where)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__}")
        kt, vt = args
        return types.MappingProxyType(
            {_coerce(kt, k, f"{where}"): _coerce(vt, v, f"{where}.{k}") for k, v in value.items()}
        )
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {type(value).__name__}")
        return tuple(_coerce(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            known = ", ".join(str(m.value) for m in tp)
            raise ConfigError(f"{where}: must be one of {known}, got {short_repr(value)}") from None
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true/false, got {short_repr(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {short_repr(value)}")
        return value
    if tp is float:
        if isinstance(value, str):  # YAML reads 2e-4 as a string
            try:
                return float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {short_repr(value)}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {short_repr(value)}")
        return value
    raise ConfigError(f"{where}: unsupported config type {tp}")  # pragma: no cover


def _default_of(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def to_dict(cfg: Any, skip_defaults: bool = False) -> Any:
    """Plain-data view of a config (for JSON artefacts and checkpoints).

    ``skip_defaults`` leaves out fields equal to their default, at every level: a fingerprint made
    from it survives the addition of new defaulted fields.
    """
    if dataclasses.is_dataclass(cfg):
        return {
            f.name: to_dict(getattr(cfg, f.name), skip_defaults)
            for f in dataclasses.fields(cfg)
            if not (skip_defaults and getattr(cfg, f.name) == _default_of(f))
        }
    if isinstance(cfg, typing.Mapping):
        return {k: to_dict(v, skip_defaults) for k, v in cfg.items()}
    if isinstance(cfg, tuple):
        return [to_dict(v, skip_defaults) for v in cfg]
    if isinstance(cfg, enum.Enum):
        return cfg.value
    return cfg


class TriState(str, enum.Enum):
    """A three-way choice: ``auto`` (fpgagan decides), ``true`` or ``false``.  YAML's booleans and
    any spelling of the words map onto it (``sparse: true`` and ``sparse: "True"`` are TRUE); as a
    ``str`` it compares equal to its word."""

    AUTO = "auto"
    TRUE = "true"
    FALSE = "false"

    @classmethod
    def _missing_(cls, value: object) -> TriState | None:
        if isinstance(value, bool):
            return cls.TRUE if value else cls.FALSE
        if isinstance(value, str):
            for member in cls:
                if member.value == value.strip().lower():
                    return member
        return None

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: object, what: str) -> TriState:
        """``value`` as a TriState; a ValueError naming ``what`` and the three words otherwise
        (each caller turns it into its own error type)."""
        try:
            return cls(value)
        except ValueError:
            raise ValueError(
                f"{what} must be one of {', '.join(TRI_STATES)}, got {short_repr(value)}"
            ) from None


TRI_STATES: tuple[str, ...] = tuple(m.value for m in TriState)


class _NoAliasLoader(yaml.SafeLoader):
    """yaml's safe loader, refusing anchors and aliases (``&a`` / ``*a``) where they appear."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            mark = event.start_mark
            raise ConfigError(
                f"line {mark.line + 1}: YAML anchors and aliases (&name, *name) are not "
                "supported; write the value out"
            )
        return super().compose_node(parent, index)


def safe_yaml(text: str) -> Any:
    """Plain data from YAML ``text``: no tags beyond the standard ones, no anchors or aliases."""
    loader = _NoAliasLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_yaml(cls: type[T], path: str | Path) -> T:
    """Load ``path`` into dataclass ``cls`` strictly; errors name the file and the key."""
    p = Path(path)
    if p.is_dir():  # as open() refuses it: callers name the file's role (board, config) for it
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(p))
    raw = read_limited(p, "config file", MAX_YAML_BYTES, ConfigError)
    try:
        data = safe_yaml(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: cannot read the config file (not UTF-8 text)") from None
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise ConfigError(f"{p}: not valid YAML ({exc.__class__.__name__})") from None
    return from_dict(cls, data, where=str(p))


def _check_range(where: str, value: int, lo: int, hi: int) -> None:
    if not lo <= value <= hi:
        raise ValueError(f"{where} must be in [{lo}, {hi}], got {value}")


# --------------------------------------------------------------------------- model precision

WEIGHT_BITS = (1, 8)
ACT_BITS = (2, 8)


@dataclasses.dataclass(frozen=True)
class LayerPrecision:
    """Per-layer override; ``None`` keeps the model-wide value."""

    weight_bits: int | None = None
    act_bits: int | None = None

    def __post_init__(self) -> None:
        if self.weight_bits is not None:
            _check_range("weight_bits", self.weight_bits, *WEIGHT_BITS)
        if self.act_bits is not None:
            _check_range("act_bits", self.act_bits, *ACT_BITS)


@dataclasses.dataclass(frozen=True)
class Precision:
    """Bit widths of a quantized model; all scales are powers of two (fixed point).

    ``input_bits``/``input_range``: the latent is quantized to a signed fixed-point type covering
    [-input_range, input_range).  ``output_bits``: the quantized hard-tanh on the image.
    ``layers`` overrides weight/activation bits per layer name (e.g. ``fc``, ``deconv1``);
    ``first_last`` sets the first and last weight layer (unless ``layers`` names them), the
    layers most sensitive to low precision (the last layer's activation is ``output_bits``).

    ``weight_range``: ``narrow`` integers are symmetric, ``[-(2^(b-1) - 1), 2^(b-1) - 1]``, so
    2-bit weights are *ternary* ``{-s, 0, +s}``; ``full`` uses every code, ``[-2^(b-1), 2^(b-1) - 1]``
    (2 bits: ``{-2s, -s, 0, +s}``).  1-bit weights are always binary ``{-s, +s}``.
    ``weight_scaling``: one power-of-two scale per tensor, or one per output channel.
    """

    weight_bits: int = 4
    act_bits: int = 8
    input_bits: int = 8
    input_range: float = 4.0
    output_bits: int = 8
    weight_range: typing.Literal["narrow", "full"] = "narrow"
    weight_scaling: typing.Literal["per-tensor", "per-channel"] = "per-tensor"
    first_last: LayerPrecision | None = None
    layers: dict[str, LayerPrecision] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_range("weight_bits", self.weight_bits, *WEIGHT_BITS)
        _check_range("act_bits", self.act_bits, *ACT_BITS)
        _check_range("input_bits", self.input_bits, *ACT_BITS)
        _check_range("output_bits", self.output_bits, *ACT_BITS)
        if self.input_range <= 0 or 2 ** round(_log2(self.input_range)) != self.input_range:
            raise ValueError(f"input_range must be a power of two, got {self.input_range}")

    def _override(self, layer: str, field: str, first_last: tuple[str, ...]) -> int:
        for o in (
            self.layers.get(layer),
            self.first_last if layer in first_last else None,
        ):
            if o is not None and getattr(o, field) is not None:
                return getattr(o, field)
        return getattr(self, field)

    def weight_bits_of(self, layer: str, first_last: tuple[str, ...] = ()) -> int:
        """Weight bits of ``layer``; ``first_last`` names the model's first and last weight layer."""
        return self._override(layer, "weight_bits", first_last)

    def act_bits_of(self, layer: str, first_last: tuple[str, ...] = ()) -> int:
        return self._override(layer, "act_bits", first_last)

    @property
    def tag(self) -> str:
        """``W4A8``; ``TA8`` for ternary (2-bit narrow) weights, ``W2A4`` for 4-level 2-bit ones,
        ``W4fA8`` for full-range wider ones; ``+`` marks per-layer overrides, ``pc`` per-channel
        scales."""
        ternary = self.weight_bits == 2 and self.weight_range == "narrow"
        full = self.weight_range == "full" and self.weight_bits > 2  # 2-bit full is plain "W2"
        w = "T" if ternary else f"W{self.weight_bits}{'f' if full else ''}"
        pc = "pc" if self.weight_scaling == "per-channel" else ""
        mixed = "+" if self.layers or self.first_last else ""
        return f"{w}A{self.act_bits}{pc}{mixed}"


def _log2(x: float) -> float:
    import math

    return math.log2(x)


# --------------------------------------------------------------------------- training


@dataclasses.dataclass(frozen=True)
class DataConfig:
    dataset: typing.Literal["fashion-mnist", "digits"] = "fashion-mnist"
    root: str | None = None  # overrides FPGAGAN_FMNIST_DIR and the Debian default


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    generator: str = "dcgan-default"
    discriminator: str = "dcgan-disc"


@dataclasses.dataclass(frozen=True)
class OptimConfig:
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999

    def __post_init__(self) -> None:
        if self.lr_g <= 0 or self.lr_d <= 0:
            raise ValueError("learning rates must be positive")


@dataclasses.dataclass(frozen=True)
class TeacherConfig:
    """Float teacher: trained until validation FID stops improving, within ``max_epochs``."""

    max_epochs: int = 20
    min_epochs: int = 3
    patience: int = 2
    optim: OptimConfig = OptimConfig()
    # reuse the finished teacher phase of another run folder (same teacher recipe) instead of training
    reuse_from: str | None = None

    def __post_init__(self) -> None:
        _check_range("max_epochs", self.max_epochs, 1, 10_000)
        _check_range("min_epochs", self.min_epochs, 1, self.max_epochs)
        _check_range("patience", self.patience, 1, 10_000)


@dataclasses.dataclass(frozen=True)
class PruneConfig:
    """Unstructured magnitude pruning during QAT (masks fixed between updates, exact zeros on export).

    ``gradual`` follows the cubic schedule over the first half of the QAT epochs; model selection
    only considers epochs at the final sparsity.
    """

    sparsity: float = 0.75
    scope: typing.Literal["layer", "global"] = "layer"
    schedule: typing.Literal["one-shot", "gradual"] = "gradual"
    discriminator_sparsity: float = 0.0  # prune the discriminator alongside (0 = keep it dense)

    def __post_init__(self) -> None:
        for name in ("sparsity", "discriminator_sparsity"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")

    def ramp_epochs(self, epochs: int) -> int:
        """Epochs over which the sparsity of a QAT phase of ``epochs`` rises to its final value,
        the last of them at it (0: one-shot, final from the start)."""
        return max(1, epochs // 2) if self.schedule == "gradual" else 0


CODEBOOK_SIZES = (2, 16)  # shared values per layer: an index of 1 to 4 bits


@dataclasses.dataclass(frozen=True)
class CodebookConfig:
    """Trained weight sharing (Deep Compression's trained quantization) during QAT.

    Every weight layer keeps ``k`` shared values (``layers`` overrides ``k`` per layer name),
    initialised by k-means (linear initialisation) on the batch-norm-folded teacher's weights (on
    the warmed-up student's with ``warmup_epochs``) and fine-tuned with each value's gradient
    summed over the weights that share it.  The values are rounded by the layer's weight
    quantizer (``precision.weight_bits``, a power-of-two scale), so the exported weights hold at
    most ``k`` distinct values.  With ``prune``, zero is one of the ``k`` entries (reserved for
    the pruned weights) and clustering starts at the first epoch at the final sparsity.

    ``assignment``: ``fixed`` is Deep Compression's (each weight keeps the entry k-means gave it
    for the epoch, only the values train); ``nearest`` lets weights change entry: every weight
    keeps a float shadow that its own gradient moves (straight-through, as uniform QAT does), and
    after every generator step the values are one Lloyd step on the shadows and each weight takes
    its nearest value.  Shadows restart from the shared values at every epoch, so a resumed run
    is the unbroken one.

    ``warmup_epochs``: QAT epochs at the uniform ``precision`` (with distillation) before the
    weights are clustered (Deep Compression's order: the network is trained at its final shape
    first, then quantized by sharing and fine-tuned).  0 clusters the teacher-initialised weights
    at the first epoch.  Only epochs with shared weights are eligible for model selection.
    """

    k: int = 16
    layers: dict[str, int] = dataclasses.field(default_factory=dict)
    iterations: int = 30  # Lloyd iterations of the k-means
    assignment: typing.Literal["fixed", "nearest"] = "fixed"
    warmup_epochs: int = 0

    def __post_init__(self) -> None:
        _check_range("k", self.k, *CODEBOOK_SIZES)
        _check_range("warmup_epochs", self.warmup_epochs, 0, 10_000)
        for name, k in self.layers.items():
            _check_range(f"layers.{name}", k, *CODEBOOK_SIZES)
        _check_range("iterations", self.iterations, 1, 1000)

    def k_of(self, layer: str) -> int:
        return self.layers.get(layer, self.k)


@dataclasses.dataclass(frozen=True)
class StudentConfig:
    """The generator QAT trains when it is not the teacher's own shape or start.

    ``width``: hidden channels as a fraction of the teacher's (0.5 = half width).  ``init``:
    ``teacher`` keeps the teacher's highest-L1 channels (structured pruning of the batch-norm-folded
    teacher, as in GAN Slimming) and starts from the teacher's discriminator; ``scratch`` starts
    generator and discriminator from random weights (the baseline distillation is measured against).
    """

    width: float = 1.0
    init: typing.Literal["teacher", "scratch"] = "teacher"

    def __post_init__(self) -> None:
        if not 0.0 < self.width <= 1.0:
            raise ValueError(f"width must be in (0, 1], got {self.width}")


@dataclasses.dataclass(frozen=True)
class QatConfig:
    """Low-bit generator training from the teacher.

    The generator loss is GAN Compression's (Li et al. 2020):
    ``L = L_gan + pixel_weight * L_pix + feature_weight * L_feat``, with ``L_pix`` the mean
    ``|G_q(z) - G_teacher(z)|`` and ``L_feat`` the mean squared error between the teacher's hidden
    maps and the student's, mapped to the teacher's channels by learned 1x1 convolutions.
    """

    epochs: int = 4
    optim: OptimConfig = OptimConfig(lr_g=1e-4, lr_d=1e-4)
    precision: Precision = Precision()
    discriminator_precision: Precision | None = None  # None: float discriminator
    pixel_weight: float = 0.0
    feature_weight: float = 0.0
    student: StudentConfig = StudentConfig()
    prune: PruneConfig | None = None
    codebook: CodebookConfig | None = None  # weight sharing (see CodebookConfig)

    def __post_init__(self) -> None:
        _check_range("epochs", self.epochs, 1, 10_000)
        if self.codebook is not None and self.first_shared_epoch() > self.epochs:
            ramp = (
                f" after the pruning ramp ({self.first_selectable_epoch()} epochs)"
                if self.prune is not None
                else ""
            )
            raise ValueError(
                f"codebook.warmup_epochs ({self.codebook.warmup_epochs}){ramp} leaves no epoch of "
                f"{self.epochs} with shared weights to train and export"
            )
        for name in ("pixel_weight", "feature_weight"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")

    def first_selectable_epoch(self) -> int:
        """The first epoch (from 1) at the final sparsity, before any codebook warm-up."""
        return max(1, self.prune.ramp_epochs(self.epochs)) if self.prune is not None else 1

    def first_shared_epoch(self) -> int:
        """The first epoch (from 1) trained with shared weights (needs ``codebook``)."""
        assert self.codebook is not None
        return self.first_selectable_epoch() + self.codebook.warmup_epochs


@dataclasses.dataclass(frozen=True)
class EvalConfig:
    n_samples: int = 10_000  # generated images for FID-FMNIST

    def __post_init__(self) -> None:
        _check_range("n_samples", self.n_samples, 2, 1_000_000)


Task = typing.Literal["generate", "sr2x", "inpaint"]


@dataclasses.dataclass(frozen=True)
class Pix2PixConfig:
    """Image-to-image training (``task`` other than ``generate``), pix2pix's generator loss:
    ``adv_weight * L_adv + l1_weight * mean |G(x) - y|``, the adversary a conditional PatchGAN
    (``bce``: non-saturating, ``lsgan``: least squares).  ``val_images`` training images are held
    out to select the epoch with the best PSNR; ``eval.n_samples`` test images are scored.
    """

    l1_weight: float = 100.0
    adv_weight: float = 1.0
    gan_loss: typing.Literal["bce", "lsgan"] = "bce"
    val_images: int = 1000

    def __post_init__(self) -> None:
        for name in ("l1_weight", "adv_weight"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        _check_range("val_images", self.val_images, 1, 100_000)


# where training runs: auto = a GPU when torch sees one, else the CPU (fpgagan.train.device)
DeviceName = typing.Literal["auto", "cpu", "cuda"]
DEVICES: tuple[str, ...] = typing.get_args(DeviceName)


@dataclasses.dataclass(frozen=True)
class TrainQatConfig:
    """A complete ``fpgagan train-qat`` recipe."""

    name: str = "default"
    seed: int = 0
    batch_size: int = 128
    max_train_images: int | None = None  # subsample the training set (tests, quick looks)
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    teacher: TeacherConfig = TeacherConfig()
    qat: QatConfig | None = QatConfig()  # None: the float teacher is the result
    eval: EvalConfig = EvalConfig()
    task: Task = "generate"  # generate: latent -> image (DCGAN); sr2x, inpaint: image -> image
    pix2pix: Pix2PixConfig = Pix2PixConfig()  # image tasks only
    device: DeviceName = "auto"  # not part of any fingerprint: a run may resume on another device

    def __post_init__(self) -> None:
        _check_range("batch_size", self.batch_size, 1, 65_536)
        if self.task == "generate" and self.pix2pix != Pix2PixConfig():
            raise ValueError("pix2pix applies to image tasks (task: sr2x or inpaint) only")
        if not _NAME.match(self.name) or len(self.name) > 64:
            raise ValueError(
                f"name must be one plain file name (letters, digits, '.', '_', '-', not starting "
                f"with '.' or '-', at most 64), got {short_repr(self.name)}"
            )


@dataclasses.dataclass(frozen=True)
class PhotoPhaseConfig:
    """One training phase of a photo super-resolution recipe: the float teacher
    (``precision: null``) or a low-bit student trained from it (QAT), ``steps`` Adam steps at
    ``lr`` (cosine decay to zero; AdamW where ``weight_decay`` is set).  A student's loss is
    ``mean |G_q(x) - y| + distill_weight * mean |G_q(x) - G_teacher(x)|`` (distillation from the
    float teacher)."""

    steps: int = 2000
    lr: float = 1e-3
    precision: Precision | None = None
    distill_weight: float = 0.0
    # decoupled weight decay (AdamW): keeps a float teacher's weights free of the few large ones
    # that would set a per-tensor low-bit grid's step
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        _check_range("steps", self.steps, 1, 1_000_000)
        if not 0.0 <= self.weight_decay < 1.0:
            raise ValueError(f"weight_decay must be in [0, 1), got {self.weight_decay}")
        if not 0.0 < self.lr < 1.0:
            raise ValueError(f"lr must be in (0, 1), got {self.lr}")
        if self.distill_weight < 0:
            raise ValueError(f"distill_weight must be >= 0, got {self.distill_weight}")
        if self.precision is None and self.distill_weight:
            raise ValueError("distill_weight applies to a low-bit student (precision) only")


@dataclasses.dataclass(frozen=True)
class PhotoSrConfig:
    """A photo super-resolution recipe (``fpgagan.workflows.photo_sr``): an ESPCN-class network
    (hidden ``widths``; ``kernels``: (height, width) of every convolution, the head's last)
    trained on random ``patch`` x ``patch`` crops of the training photographs
    (:mod:`fpgagan.data.photos`), a float ``teacher`` and then each of ``students``."""

    name: str = "photo-sr2x"
    seed: int = 0
    scale: int = 2
    widths: tuple[int, ...] = (16, 16)
    kernels: tuple[tuple[int, ...], ...] = ((3, 3), (3, 3), (3, 3))
    # what is added to the head's output: nothing, or the input upsampled nearest-neighbour (a
    # global residual: the convolutions learn only the detail, on small weights)
    residual: typing.Literal["none", "nearest"] = "none"
    patch: int = 64  # side of a high-resolution training patch
    batch_size: int = 16
    teacher: PhotoPhaseConfig = PhotoPhaseConfig()
    students: tuple[PhotoPhaseConfig, ...] = ()
    # torch's CPU threads while training (0: torch's own choice); not part of what is trained
    threads: int = 0

    def __post_init__(self) -> None:
        _check_range("batch_size", self.batch_size, 1, 4096)
        _check_range("threads", self.threads, 0, 1024)
        _check_range("scale", self.scale, 2, 4)
        _check_range("patch", self.patch, 8, 1024)
        if self.patch % self.scale:
            raise ValueError(f"patch ({self.patch}) must be divisible by scale ({self.scale})")
        if self.teacher.precision is not None:
            raise ValueError("teacher.precision must be null: the teacher is the float model")
        for i, s in enumerate(self.students):
            if s.precision is None:
                raise ValueError(f"students[{i}].precision: a student is a low-bit model")
        if not _NAME.match(self.name) or len(self.name) > 64:
            raise ValueError(f"name must be one plain file name, got {short_repr(self.name)}")
