"""hls4ml's precision types <-> :class:`fpgagan.hw.fixed_point.Fixed`, whose rules make fpgagan's
layers exact by construction (:func:`~fpgagan.hw.fixed_point.accumulator_type`)."""

from __future__ import annotations

from hls4ml.model.types import FixedPrecisionType, IntegerPrecisionType, PrecisionType

from fpgagan.hw.fixed_point import Fixed


def fixed_of(precision: PrecisionType, what: str) -> Fixed:
    """An hls4ml fixed-point or integer precision as a :class:`Fixed` (``what`` names it in the
    error for any other type)."""
    if isinstance(precision, FixedPrecisionType):
        return Fixed(precision.width, precision.integer, precision.signed)
    if isinstance(precision, IntegerPrecisionType):
        return Fixed(precision.width, precision.width, precision.signed)
    raise TypeError(f"{what}: expected a fixed-point or integer type, got {precision}")


def to_hls(t: Fixed) -> FixedPrecisionType:
    return FixedPrecisionType(t.width, t.integer, t.signed)
