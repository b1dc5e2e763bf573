"""How to build a design from a hardware graph (:class:`HlsOptions`: interface, strategy, target
part and clock, and per layer the engine settings a board plan chooses), checked before anything
is converted or written: a part and clock end up in Tcl, every setting in C++.  Plain values,
nothing of hls4ml (:func:`fpgagan.hls.convert.convert` turns them into hls4ml's config).
"""

from __future__ import annotations

import dataclasses
import math
import numbers

from fpgagan.boards import BACKENDS, IO_TYPES, STRATEGIES, IoType, Strategy, check_part
from fpgagan.config import TriState
from fpgagan.errors import UnsupportedModelError
from fpgagan.hw.sparsity import DEFAULT_SPARSITY_THRESHOLD
from fpgagan.hw.spec import Storage


@dataclasses.dataclass(frozen=True)
class HlsOptions:
    """How to build the HLS model (what ``fpgagan csim`` exposes)."""

    io_type: IoType = "io_parallel"
    strategy: Strategy = "latency"
    reuse_factor: int = 1
    backend: str = "Vitis"
    part: str | None = None
    clock_period: float | None = None
    # per layer (hls4ml or ONNX node name): engine settings of a board plan, see LAYER_KEYS
    layer_config: dict[str, dict[str, object]] = dataclasses.field(default_factory=dict)
    sparse: TriState = TriState.AUTO  # sparse schedule for sparse-enough layers
    sparsity_threshold: float = DEFAULT_SPARSITY_THRESHOLD
    # codebook kernel for layers with at most 16 distinct weights (auto: where indices are narrower)
    codebook: TriState = TriState.AUTO

    def __post_init__(self) -> None:
        for name in ("sparse", "codebook"):
            try:
                object.__setattr__(self, name, TriState.parse(getattr(self, name), name))
            except ValueError as exc:
                raise UnsupportedModelError(str(exc)) from None
        if self.io_type not in IO_TYPES:
            raise UnsupportedModelError(
                f"io_type must be io_parallel or io_stream, got {self.io_type!r}"
            )
        if self.strategy not in STRATEGIES:
            raise UnsupportedModelError(
                f"strategy must be latency or resource, got {self.strategy!r}"
            )
        if self.reuse_factor < 1:
            raise UnsupportedModelError(f"reuse_factor must be >= 1, got {self.reuse_factor}")
        if self.backend not in BACKENDS:
            raise UnsupportedModelError(
                f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}"
            )
        self._check_target()

    def _check_target(self) -> None:
        """Part, clock and reuse factors, before hls4ml writes them into Tcl and C++."""
        try:
            if self.part is not None:
                check_part(self.part)
            if self.clock_period is not None and not (
                isinstance(self.clock_period, int | float)
                and math.isfinite(self.clock_period)
                and self.clock_period > 0
            ):
                raise ValueError(
                    f"clock period must be finite and positive, got {self.clock_period}"
                )
        except ValueError as exc:
            raise UnsupportedModelError(str(exc)) from None
        for name, settings in self.layer_config.items():
            for key, value in settings.items():
                _check_layer_setting(name, key, value)


# the per-layer settings fpgagan's engine reads (hls4ml layer config keys): the smallest integer
# allowed, or the allowed strings
LAYER_KEYS: dict[str, int | tuple[str, ...] | type[TriState]] = {
    "ReuseFactor": 1,
    "ParallelOutputs": 1,
    "ParallelInputs": 1,
    "DspColumns": 0,
    "DspPacking": 1,
    "FifoDepth": 1,
    "RomStorage": tuple(Storage),
    "Sparse": TriState,
    "Codebook": TriState,
}


def _check_layer_setting(layer: str, key: str, value: object) -> None:
    rule = LAYER_KEYS.get(key)
    if rule is None:
        raise UnsupportedModelError(
            f"layer {layer!r}: unknown setting {key!r} (known: {', '.join(LAYER_KEYS)})"
        )
    if rule is TriState:
        try:
            TriState.parse(value, key)
        except ValueError as exc:
            raise UnsupportedModelError(f"layer {layer!r}: {exc}") from None
    elif isinstance(rule, tuple):
        if value not in rule:
            raise UnsupportedModelError(
                f"layer {layer!r}: {key} must be one of {rule}, got {value!r}"
            )
    elif key == "FifoDepth" and isinstance(value, list | tuple):
        for v in value:
            _check_layer_setting(layer, key, v)
    elif isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < rule:
        raise UnsupportedModelError(
            f"layer {layer!r}: {key} must be an integer >= {rule}, got {value!r}"
        )
