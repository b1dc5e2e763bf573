"""The one place where Brevitas quantizer injection happens.

Every quantizer here has a power-of-two scale (fixed point), so that each QONNX ``Quant`` node the
exporter writes maps onto an ``ap_fixed`` type exactly.  Callers ask for bit widths; they never see
Brevitas injectors.

- weights, 2-8 bits: signed integers (narrow range by default: 2 bits = ternary), a learned
  power-of-two scale per tensor or per output channel, initialised from the weights by minimising
  the quantization MSE (a max-based scale wastes most levels of a 4-bit grid on the few largest
  weights);
- weights, 1 bit: binary ``{-s, +s}`` with ``s`` the power of two nearest to mean ``|w|`` (per
  tensor only);
- ReLU activations: unsigned integers, scale learned from runtime statistics, rounded up to 2^k;
- input and output: signed integers over a fixed range ``[-r, r)`` (constant scale ``r / 2^(b-1)``;
  a generator's input and output layers: :func:`input_layer`, :func:`output_layer`);
- biases: 32-bit integers in the accumulator's scale (input scale x weight scale), so a bias add is
  exact in fixed point.
"""

from __future__ import annotations

from typing import Any

import brevitas.nn as qnn
import torch
from brevitas.core.function_wrapper.ops_ste import RoundSte
from brevitas.core.scaling.standalone import ParameterFromRuntimeStatsScaling
from brevitas.inject.enum import RestrictValueType, ScalingImplType, StatsOp
from brevitas.quant import (
    Int8ActPerTensorFixedPoint,
    Int8WeightPerChannelFixedPointMSE,
    Int8WeightPerTensorFixedPointMSE,
    Int32Bias,
    SignedBinaryWeightPerTensorConst,
    Uint8ActPerTensorFixedPoint,
)
from torch import nn

from fpgagan.config import ACT_BITS, WEIGHT_BITS, Precision
from fpgagan.errors import ModelError


def _check(kind: str, bits: int, lo_hi: tuple[int, int]) -> None:
    lo, hi = lo_hi
    if not lo <= bits <= hi:
        raise ModelError(f"{kind} bits must be in [{lo}, {hi}], got {bits}")


def weight_quant(bits: int, narrow: bool = True, per_channel: bool = False) -> Any:
    """Power-of-two weight quantizer with ``bits`` bits (1 = binary; 2 and ``narrow`` = ternary)."""
    _check("weight", bits, WEIGHT_BITS)
    if bits == 1:
        if per_channel:
            # QONNX writes binary weights as BipolarQuant, which has no fixed-point per-channel form
            raise ModelError(
                "per-channel scales need weights of 2 bits or more (binary: per-tensor)"
            )
        return SignedBinaryWeightPerTensorConst.let(
            scaling_impl_type=ScalingImplType.STATS,
            scaling_stats_op=StatsOp.AVE,
            restrict_scaling_type=RestrictValueType.POWER_OF_TWO,
            restrict_value_float_to_int_impl=RoundSte,
            scaling_min_val=2.0**-16,
        )
    base = Int8WeightPerChannelFixedPointMSE if per_channel else Int8WeightPerTensorFixedPointMSE
    return base.let(bit_width=bits, narrow_range=narrow)


def precision_weight_quant(precision: Precision, first_last: tuple[str, ...]) -> Any:
    """``layer name -> weight quantizer`` for a model whose first and last weight layers are named."""

    def for_layer(name: str) -> Any:
        return weight_quant(
            precision.weight_bits_of(name, first_last),
            narrow=precision.weight_range == "narrow",
            per_channel=precision.weight_scaling == "per-channel",
        )

    return for_layer


def relu_quant(bits: int) -> Any:
    """Unsigned power-of-two activation quantizer for ReLU outputs."""
    _check("activation", bits, ACT_BITS)
    return Uint8ActPerTensorFixedPoint.let(bit_width=bits)


def signed_range_quant(bits: int, max_abs: float) -> Any:
    """Signed quantizer over the constant range ``[-max_abs, max_abs)``; ``max_abs`` a power of 2."""
    _check("activation", bits, ACT_BITS)
    return Int8ActPerTensorFixedPoint.let(
        bit_width=bits,
        scaling_impl_type=ScalingImplType.CONST,
        scaling_const=float(max_abs),
        min_val=-float(max_abs),
        max_val=float(max_abs),
    )


def unsigned_range_quant(bits: int, max_val: float) -> Any:
    """Unsigned quantizer over the constant range ``[0, max_val)`` (``max_val`` a power of 2): a
    sigmoid-like image range, scale ``max_val / 2^bits``."""
    _check("activation", bits, ACT_BITS)
    return Uint8ActPerTensorFixedPoint.let(
        bit_width=bits,
        scaling_impl_type=ScalingImplType.CONST,
        scaling_const=float(max_val),
        max_val=float(max_val),
    )


def signed_act_quant(bits: int) -> Any:
    """Signed power-of-two activation quantizer with a scale learned from runtime statistics."""
    _check("activation", bits, ACT_BITS)
    return Int8ActPerTensorFixedPoint.let(bit_width=bits)


def bias_quant() -> Any:
    """Bias in the accumulator's scale, 32 bits: exact when added in fixed point."""
    return Int32Bias


def _runtime_stats_modules(model: nn.Module) -> dict[str, ParameterFromRuntimeStatsScaling]:
    return {
        name: m
        for name, m in model.named_modules()
        if isinstance(m, ParameterFromRuntimeStatsScaling)
    }


def stats_collection_state(model: nn.Module) -> dict[str, Any]:
    """Activation scales still collecting runtime statistics: their step counter and running stats.

    Brevitas keeps these outside ``state_dict`` (loading a state dict ends the collection), so a
    training run resumed mid-collection would otherwise diverge from an unbroken one.
    """
    return {
        name: {
            "counter": int(m.counter),
            "buffer": m.buffer.detach().clone(),
            "value": m.value.detach().clone(),
        }
        for name, m in _runtime_stats_modules(model).items()
        if m.counter <= m.collect_stats_steps
    }


@torch.no_grad()
def load_stats_collection_state(model: nn.Module, state: dict[str, Any]) -> None:
    """Restore what :func:`stats_collection_state` saved (after ``load_state_dict``)."""
    modules = _runtime_stats_modules(model)
    for name, s in state.items():
        m = modules[name]
        m.counter = s["counter"]
        m.buffer.copy_(s["buffer"])
        m.value.copy_(s["value"])


def input_layer(precision: Precision) -> nn.Module:
    """A generator's input quantizer: signed ``input_bits`` over ``[-input_range, input_range)``,
    returning a QuantTensor for the first layer."""
    return qnn.QuantIdentity(
        act_quant=signed_range_quant(precision.input_bits, precision.input_range),
        return_quant_tensor=True,
    )


def output_layer(precision: Precision) -> nn.Module:
    """A generator's output: a hard tanh onto [-1, 1], quantized to signed ``output_bits``."""
    return qnn.QuantHardTanh(
        act_quant=signed_range_quant(precision.output_bits, 1.0), min_val=-1.0, max_val=1.0
    )
