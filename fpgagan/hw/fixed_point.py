"""Fixed-point type rules that make fpgagan's layers exact by construction.

``ap_fixed<W, I>`` is signed with range [-2^(I-1), 2^(I-1)); ``ap_ufixed<W, I>`` is [0, 2^I).  A
product of two fixed-point numbers is exact in ``W_a + W_b`` bits with ``I_a + I_b`` integer bits;
a sum of ``n`` such products needs ``ceil(log2 n)`` more integer bits; adding a bias needs the
bias's fractional bits (so it never rounds) and one more integer bit.
"""

from __future__ import annotations

import dataclasses
import math


@dataclasses.dataclass(frozen=True)
class Fixed:
    """A fixed-point type with its signedness explicit (``ap_fixed`` / ``ap_ufixed``; an integer
    type is one with ``integer == width``)."""

    width: int
    integer: int
    signed: bool

    @property
    def frac(self) -> int:
        return self.width - self.integer

    def as_signed(self) -> Fixed:
        """The signed type holding every value of this one (an unsigned type gains a sign bit)."""
        return self if self.signed else Fixed(self.width + 1, self.integer + 1, True)


def product_type(a: Fixed, b: Fixed) -> Fixed:
    """Exact type of ``a * b`` (signed whenever either factor is)."""
    if a.signed or b.signed:
        a, b = a.as_signed(), b.as_signed()
        return Fixed(a.width + b.width, a.integer + b.integer, True)
    return Fixed(a.width + b.width, a.integer + b.integer, False)


def accumulator_type(data: Fixed, weight: Fixed, n_terms: int, bias: Fixed | None) -> Fixed:
    """Smallest type in which ``bias + sum of n_terms products`` is exact.

    ``n_terms`` is the fan-in of one output (for a transposed convolution: input channels times
    the taps of the widest phase).
    """
    if n_terms < 1:
        raise ValueError(f"n_terms must be >= 1, got {n_terms}")
    prod = product_type(data, weight).as_signed()
    integer = prod.integer + math.ceil(math.log2(n_terms))
    frac = prod.frac
    if bias is not None:
        b = bias.as_signed()
        integer = max(integer, b.integer) + 1
        frac = max(frac, b.frac)
    return Fixed(integer + frac, integer, True)
