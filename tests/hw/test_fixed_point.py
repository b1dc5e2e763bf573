"""The type rules, checked on small types: every extreme product and sum is representable."""

from __future__ import annotations

import itertools

import pytest

from fpgagan.hw.fixed_point import Fixed, accumulator_type, product_type


def _range(t: Fixed) -> tuple[float, float]:
    lsb = 2.0**-t.frac
    if t.signed:
        return -(2.0 ** (t.integer - 1)), 2.0 ** (t.integer - 1) - lsb
    return 0.0, 2.0**t.integer - lsb


def _fits(value: float, t: Fixed) -> bool:
    lo, hi = _range(t)
    on_grid = (value * 2.0**t.frac).is_integer()
    return lo <= value <= hi and on_grid


TYPES = [
    Fixed(4, 2, True),
    Fixed(3, 0, True),
    Fixed(5, 1, False),
    Fixed(2, 2, False),
    Fixed(6, -1, True),
    Fixed(8, 3, True),
]


@pytest.mark.parametrize("a, b", list(itertools.product(TYPES, TYPES)))
def test_product_type_holds_every_product(a, b):
    p = product_type(a, b)
    for x in _range(a):
        for y in _range(b):
            assert _fits(x * y, p), (a, b, x, y, p)


@pytest.mark.parametrize("data, weight", list(itertools.product(TYPES[:4], TYPES[1:4])))
@pytest.mark.parametrize("n", [1, 3, 4, 9])
def test_accumulator_holds_the_extreme_sums_with_bias(data, weight, n):
    bias = Fixed(10, 4, True)
    acc = accumulator_type(data, weight, n, bias)
    corners = [x * y for x in _range(data) for y in _range(weight)]
    for extreme in (min(corners), max(corners)):
        for b in _range(bias):
            assert _fits(n * extreme + b, acc), (data, weight, n, acc)
    assert acc.frac >= max(product_type(data, weight).frac, bias.frac)  # nothing rounds


def test_unsigned_times_signed_is_signed_and_tight():
    p = product_type(Fixed(8, 2, False), Fixed(4, 0, True))
    assert p.signed and p.integer == 3 and p.frac == 6 + 4


def test_fan_in_must_be_positive():
    with pytest.raises(ValueError):
        accumulator_type(Fixed(8, 3, True), Fixed(4, 0, True), 0, None)
