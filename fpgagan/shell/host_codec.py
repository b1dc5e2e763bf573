"""The host's half of fpgagan's AXI4-Stream shell: floats <-> raw ap_fixed integers <-> 64-bit beats.

The shell (:mod:`fpgagan.shell.top`) moves the raw integers of the network's input and output
types, several to a 64-bit beat, so no float ever reaches the hardware.  The host does the
conversions here:

- :func:`to_raw` is the model's input quantizer (qonnx ``Quant``, i.e. ``ap_fixed`` with
  ``RND_CONV`` or ``TRN`` and ``SAT``/``SAT_SYM``): scale by ``2^F``, round half to even (or
  floor), saturate.  Exact: a float32 times a power of two is exact in float64.
- :func:`from_raw` is ``raw * 2^-F``, exact for every width up to 32 bits.
- :func:`pack` / :func:`unpack`: ``per_beat`` values a beat (the shell's: whole stream elements
  where one fits, e.g. two RGB pixels of 8 bits; else ``floor(64 / W)``), value ``j`` of a beat
  in bits ``[j*W, j*W + W)``, no value straddling two beats, unused high bits zero.

numpy only, on purpose: this file is copied verbatim beside the board driver (as
``fpgagan_codec.py``), which runs on the board where fpgagan is not installed.  So its errors are
``ValueError``; fpgagan's callers hand it checked data.
"""

from __future__ import annotations

import dataclasses

import numpy as np

BEAT_BITS = 64  # AXI4-Stream TDATA width of the shell and the DMA
MAX_WIDTH = 32  # widest type fpgagan converts (fpgagan.export.validate.MAX_HARDWARE_BITS)
ROUNDINGS = ("RND_CONV", "TRN")  # ap_fixed modes of qonnx ROUND and FLOOR
SATURATIONS = ("SAT", "SAT_SYM", "WRAP")


@dataclasses.dataclass(frozen=True)
class FixedType:
    """An ``ap_fixed<width, integer, rounding, saturation>`` (``ap_ufixed`` if not signed)."""

    width: int
    integer: int
    signed: bool
    rounding: str = "RND_CONV"
    saturation: str = "SAT"

    def __post_init__(self) -> None:
        if not 1 <= self.width <= MAX_WIDTH:
            raise ValueError(f"width must be in 1..{MAX_WIDTH}, got {self.width}")
        if self.rounding not in ROUNDINGS:
            raise ValueError(f"rounding must be one of {ROUNDINGS}, got {self.rounding!r}")
        if self.saturation not in SATURATIONS:
            raise ValueError(f"saturation must be one of {SATURATIONS}, got {self.saturation!r}")

    @property
    def frac(self) -> int:
        """Fraction bits: one LSB is ``2^-frac``."""
        return self.width - self.integer

    @property
    def raw_min(self) -> int:
        if not self.signed:
            return 0
        low = -(1 << (self.width - 1))
        return low + 1 if self.saturation == "SAT_SYM" else low

    @property
    def raw_max(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1


def beats(n_values: int, width: int, per_beat: int | None = None) -> int:
    """Beats that carry ``n_values`` values of ``width`` bits, ``per_beat`` a beat (default: as
    many as fit; the shell puts whole stream elements in a beat where one fits, see the
    driver's ``IN_PER_BEAT``)."""
    per_beat = per_beat or BEAT_BITS // width
    return -(-n_values // per_beat)


def to_raw(x: np.ndarray, t: FixedType) -> np.ndarray:
    """The raw integers (int64) of ``x`` quantized to ``t``, as the model's input quantizer does."""
    x = np.asarray(x, dtype=np.float64)
    if not np.isfinite(x).all():
        raise ValueError("values must be finite: NaN and infinity have no fixed-point code")
    scaled = np.ldexp(x, t.frac)
    code = np.rint(scaled) if t.rounding == "RND_CONV" else np.floor(scaled)  # rint: half to even
    if t.saturation == "WRAP":
        span = float(1 << t.width)
        code = np.mod(code - t.raw_min, span) + t.raw_min  # exact: integers below 2^53
    else:
        code = np.clip(code, t.raw_min, t.raw_max)
    return code.astype(np.int64)


def from_raw(raw: np.ndarray, t: FixedType) -> np.ndarray:
    """The values (float64, exact) of raw integers of type ``t``."""
    return np.ldexp(np.asarray(raw, dtype=np.int64).astype(np.float64), -t.frac)


def pack(raw: np.ndarray, width: int, per_beat: int | None = None) -> np.ndarray:
    """Raw integers ``(..., n)`` -> 64-bit beats ``(..., beats(n, width, per_beat))`` (uint64),
    ``per_beat`` values from bit 0 up in each (default: as many as fit)."""
    raw = np.asarray(raw, dtype=np.int64)
    per_beat = per_beat or BEAT_BITS // width
    if per_beat * width > BEAT_BITS:
        raise ValueError(f"{per_beat} values of {width} bits do not fit a {BEAT_BITS}-bit beat")
    n = raw.shape[-1]
    padded = np.zeros((*raw.shape[:-1], beats(n, width, per_beat) * per_beat), dtype=np.uint64)
    mask = np.uint64((1 << width) - 1)
    padded[..., :n] = raw.view(np.uint64) & mask  # two's complement bits of each value
    fields = padded.reshape(*raw.shape[:-1], -1, per_beat)
    shifts = (np.arange(per_beat, dtype=np.uint64) * np.uint64(width)).astype(np.uint64)
    return np.bitwise_or.reduce(fields << shifts, axis=-1)


def unpack(
    words: np.ndarray, width: int, n_values: int, signed: bool, per_beat: int | None = None
) -> np.ndarray:
    """64-bit beats ``(..., beats)`` -> the first ``n_values`` raw integers ``(..., n_values)``
    (``per_beat`` values a beat, as :func:`pack` put them)."""
    words = np.asarray(words, dtype=np.uint64)
    per_beat = per_beat or BEAT_BITS // width
    if words.shape[-1] * per_beat < n_values:
        raise ValueError(f"{words.shape[-1]} beats hold fewer than {n_values} values")
    shifts = (np.arange(per_beat, dtype=np.uint64) * np.uint64(width)).astype(np.uint64)
    fields = (words[..., None] >> shifts) & np.uint64((1 << width) - 1)
    fields = fields.reshape(*words.shape[:-1], -1)[..., :n_values].astype(np.int64)
    if signed:
        fields = np.where(fields >= (1 << (width - 1)), fields - (1 << width), fields)
    return fields


def encode(
    x: np.ndarray,
    t: FixedType,
    perm: tuple[int, ...] | None = None,
    per_beat: int | None = None,
) -> np.ndarray:
    """Host inputs ``(N, ...)`` -> beats ``(N, beats)``: put into the device layout (``perm``,
    fpgagan's ``HostLayout.input_perm``), quantized to ``t``, packed ``per_beat`` a beat."""
    x = np.asarray(x)
    device = x if perm is None else np.transpose(x, perm)
    return pack(to_raw(device.reshape(len(x), -1), t), t.width, per_beat)


def decode(
    words: np.ndarray,
    t: FixedType,
    device_shape: tuple[int, ...],
    perm: tuple[int, ...] | None = None,
    per_beat: int | None = None,
) -> np.ndarray:
    """Beats ``(N, beats)`` -> outputs ``(N, ...)`` (float64, exact) in the host layout: unpacked
    (``per_beat`` values a beat), scaled by ``2^-frac``, reshaped to ``device_shape`` per sample,
    permuted by ``perm`` (``HostLayout.output_perm``)."""
    words = np.asarray(words, dtype=np.uint64)
    n_values = int(np.prod(device_shape))
    raw = unpack(words, t.width, n_values, t.signed, per_beat)
    y = from_raw(raw, t).reshape(len(words), *device_shape)
    return y if perm is None else np.ascontiguousarray(np.transpose(y, perm))
