"""Any float generator (an ``nn.Module``) made a Brevitas low-bit generator fpgagan can build:
:func:`quantize`.

The float graph (:mod:`fpgagan.compress.float_graph`: traced, checked, batch-norm folded, hard
activations) is quantized in place, node by node, with the quantizers of
:mod:`fpgagan.models.quantizers` (every scale a power of two, so the QONNX export is exact):

- the input gets a signed quantizer over ``[-input_range, input_range)``;
- ``Linear``, ``Conv2d`` and ``ConvTranspose2d`` become Brevitas layers with the precision's
  weight bits for that layer (named by its module path) and a 32-bit bias in the accumulator's
  scale;
- ``ReLU`` becomes an unsigned quantizer, ``Hardtanh(-m, m)`` (a tanh, made hard) a signed one
  over ``[-m, m)``, ``Hardtanh(0, m)`` (a sigmoid, made hard) an unsigned one over ``[0, m)``, a
  ``LeakyReLU`` (power-of-two slope) keeps its op and gets a signed quantizer; an activation gets
  the bits of the weight layer before it, the one producing the image the output bits;
- the maps a concatenation joins share one quantizer (one scale, as the hardware's concatenation
  needs); an addition adds the exact fixed-point values; a weight layer whose input is not
  quantized (a weight layer right after another) and an output that is not gets a quantizer.

Brevitas's own ``brevitas.graph.quantize`` maps a class to one quantizer for the whole model and
runs on the deprecated ``brevitas.fx`` backport, so the graph work here is ``torch.fx``'s; the
layers and quantizers are Brevitas's.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import operator
from collections.abc import Iterator

import brevitas.nn as qnn
import numpy as np
import torch
from brevitas.quant_tensor import QuantTensor
from torch import fx, nn

from fpgagan.compress.float_graph import (
    MOVE_FUNCTIONS,
    MOVE_METHODS,
    MOVES,
    WEIGHT_LAYERS,
    FloatGraph,
    float_graph,
    module_of,
    setattr_module,
)
from fpgagan.config import Precision
from fpgagan.errors import ModelError, UnsupportedModelError
from fpgagan.models import quantizers as q

CALIBRATION_BATCHES = 16  # forward passes that set the activation scales before any training
CALIBRATION_BATCH = 64
SHIFT_SAMPLES = 256  # inputs on which the hard activations' effect is measured
_QUANT_ACTS = (qnn.QuantReLU, qnn.QuantIdentity)


def _value(x):
    return x.value if isinstance(x, QuantTensor) else x


# --------------------------------------------------------------------------- what was done


@dataclasses.dataclass(frozen=True)
class LayerQuant:
    """One weight layer of the quantized model: its name (module path) and bits."""

    name: str
    kind: str  # Linear, Conv2d, ConvTranspose2d
    weight_bits: int
    act_bits: int | None  # of the quantizer after it; None: no activation of its own


@dataclasses.dataclass(frozen=True)
class HardShift:
    """How far the hard activations move the float model's output, on ``n`` inputs: the float
    model as given against the same model with hard tanh / hard sigmoid."""

    n: int
    max_abs: float
    mse: float
    data_range: float  # the output's range (2 for [-1, 1]), the PSNR's peak

    @property
    def psnr_db(self) -> float:
        """PSNR of the hard-activation float output against the float output (inf: unchanged)."""
        return math.inf if self.mse == 0 else 10.0 * math.log10(self.data_range**2 / self.mse)


@dataclasses.dataclass(frozen=True)
class QuantizeReport:
    precision: str  # the tag, e.g. W4A8
    layers: tuple[LayerQuant, ...]
    folded_batch_norms: tuple[str, ...]
    hard_activations: tuple[str, ...]
    shift: HardShift
    output_range: tuple[float, float]  # of the quantized output


# --------------------------------------------------------------------------- the models


def sample_inputs(shape: tuple[int, ...], n: int, rng: torch.Generator, input_range: float):
    """``n`` inputs of ``shape``: normal latents, or images uniform in ``[-input_range,
    input_range)`` when the input is an image (C, H, W with H, W > 1)."""
    if len(shape) == 3 and shape[1] * shape[2] > 1:
        return (torch.rand(n, *shape, generator=rng) * 2.0 - 1.0) * input_range
    return torch.randn(n, *shape, generator=rng)


class _Twin(nn.Module):
    """A graph returning ``(image, *hidden maps)``; ``forward`` gives the image."""

    def __init__(self, graph: fx.GraphModule, input_shape: tuple[int, ...], input_range: float):
        super().__init__()
        self.net = graph
        self.input_shape = tuple(input_shape)
        self.input_range = float(input_range)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return _value(self.net(z)[0])

    def forward_features(self, z: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The image and every hidden map after its activation, as tensors."""
        out = self.net(z)
        return _value(out[0]), [_value(f) for f in out[1:]]

    def sample_inputs(self, n: int, rng: torch.Generator) -> torch.Tensor:
        return sample_inputs(self.input_shape, n, rng, self.input_range)


class FloatTeacher(_Twin):
    """The float module as given (batch-norm folded, the same function), frozen."""

    quantized = False

    def train(self, mode: bool = True) -> FloatTeacher:
        return super().train(False)  # always the eval-mode function


class QuantizedGenerator(_Twin):
    """The Brevitas student :func:`quantize` makes; ``fpgagan.export.to_qonnx`` exports it."""

    quantized = True

    def __init__(self, graph, input_shape, input_range, precision: Precision, report):
        super().__init__(graph, input_shape, input_range)
        self.precision = precision
        self.report = report


# --------------------------------------------------------------------------- quantize


def quantize(
    module: nn.Module,
    input_shape: tuple[int, ...] | None = None,
    precision: Precision | None = None,
    calibrate: bool = True,
    seed: int = 0,
) -> QuantizedGenerator:
    """``module`` (a float generator, not changed) as a Brevitas low-bit generator.

    ``input_shape`` is one input's shape without the batch axis (``(nz,)``, ``(nz, 1, 1)`` or an
    image's ``(C, H, W)``; default: the module's own ``input_shape`` attribute, as fpgagan's
    generators have); ``precision`` defaults to W4A8 (``Precision()``).  ``calibrate`` runs a few batches of random inputs through it so the
    activation scales start from the float model's ranges.  The result's ``report`` lists every
    layer's bits, the folded batch-norms and how far the hard activations move the float output.
    """
    if input_shape is None:
        input_shape = getattr(module, "input_shape", None)
        if input_shape is None:
            raise ModelError(
                f"{type(module).__name__}: give input_shape (one input's shape without the batch "
                "axis, e.g. (100, 1, 1))"
            )
    fg = float_graph(module)
    return quantize_float_graph(fg, input_shape, precision or Precision(), calibrate, seed)


def quantize_float_graph(
    fg: FloatGraph, input_shape, precision: Precision, calibrate: bool = True, seed: int = 0
) -> QuantizedGenerator:
    """:func:`quantize` of an already prepared :class:`~fpgagan.compress.float_graph.FloatGraph`."""
    input_shape = tuple(int(d) for d in input_shape)
    graph = copy.deepcopy(fg.hard)
    features = _feature_nodes(graph)
    q_pass = _Quantizer(graph, precision)
    layers, out_range = q_pass.run()
    _return_features(graph, features)
    report = QuantizeReport(
        precision.tag, layers, fg.folded, fg.hardened,
        hard_shift(fg, input_shape, precision.input_range, seed), out_range,
    )  # fmt: skip
    student = QuantizedGenerator(graph, input_shape, precision.input_range, precision, report)
    if calibrate:
        calibrate_scales(student, seed)
    return student.eval()


def teacher_of(fg: FloatGraph, input_shape, input_range: float) -> FloatTeacher:
    """The float teacher with the same hidden maps (node names) as the student."""
    graph = copy.deepcopy(fg.exact)
    _return_features(graph, _feature_nodes(graph))
    for p in graph.parameters():
        p.requires_grad_(False)
    return FloatTeacher(graph, input_shape, input_range).eval()


def _feature_nodes(graph: fx.GraphModule) -> list[str]:
    """The activation nodes inside the model (not the one making the image): the hidden maps
    the feature loss compares."""
    out = _output_node(graph)
    acts = (nn.ReLU, nn.LeakyReLU, nn.Hardtanh, nn.Tanh, nn.Sigmoid)
    image = _through_moves(graph, out.args[0])
    return [
        n.name
        for n in graph.graph.nodes
        if isinstance(module_of(graph, n), acts) and n is not image
    ]


def _return_features(graph: fx.GraphModule, names: list[str]) -> None:
    out = _output_node(graph)
    by_name = {n.name: n for n in graph.graph.nodes}
    out.args = ((out.args[0], *(by_name[n] for n in names)),)
    graph.recompile()


def _output_node(graph: fx.GraphModule) -> fx.Node:
    out = next(n for n in graph.graph.nodes if n.op == "output")
    if not isinstance(out.args[0], fx.Node):
        raise UnsupportedModelError("the generator must return one tensor (the image)")
    return out


def _is_move(graph: fx.GraphModule, node: fx.Node) -> bool:
    return (
        isinstance(module_of(graph, node), MOVES)
        or (node.op == "call_function" and node.target in MOVE_FUNCTIONS)
        or (node.op == "call_method" and node.target in MOVE_METHODS)
    )


def _through_moves(graph: fx.GraphModule, node: fx.Node) -> fx.Node:
    """The node whose values ``node`` holds, rearranged (itself when it computes)."""
    while _is_move(graph, node):
        node = node.args[0]
    return node


class _Quantizer:
    """The quantization pass over one graph (see the module's docstring for the rules)."""

    def __init__(self, graph: fx.GraphModule, precision: Precision):
        self.g = graph
        self.p = precision
        self.weights = [
            n for n in graph.graph.nodes if isinstance(module_of(graph, n), WEIGHT_LAYERS)
        ]
        if not self.weights:
            raise UnsupportedModelError("the model has no Linear or convolution to quantize")
        names = [str(n.target) for n in self.weights]
        unknown = sorted(set(precision.layers) - set(names))
        if unknown:
            raise ModelError(
                f"precision.layers names unknown layer(s) {unknown} (layers: {', '.join(names)})"
            )
        self.ends = (names[0], names[-1])
        self.image = _through_moves(graph, _output_node(graph).args[0])
        self.out_range = (-math.inf, math.inf)  # of the image; set where its quantizer is made

    def run(self) -> tuple[tuple[LayerQuant, ...], tuple[float, float]]:
        acts = {}
        kinds = {str(n.target): type(module_of(self.g, n)).__name__ for n in self.weights}
        for node in list(self.g.graph.nodes):
            m = module_of(self.g, node)
            if isinstance(m, WEIGHT_LAYERS):
                setattr_module(self.g, node.target, self._weight_layer(node, m))
            elif isinstance(m, nn.ReLU | nn.Hardtanh | nn.LeakyReLU):
                acts[str(self._layer_before(node))] = self._activation(node, m)
        self._input_quantizer()
        self._joins()
        self._requantize_weight_inputs()
        out_range = self._output_quantizer()
        self.g.graph.lint()
        self.g.recompile()
        self.g.delete_all_unused_submodules()  # the quantizers a shared one replaced
        layers = tuple(
            LayerQuant(
                str(n.target),
                kinds[str(n.target)],
                self.p.weight_bits_of(str(n.target), self.ends),
                acts.get(str(n.target)),
            )  # fmt: skip
            for n in self.weights
        )
        return layers, out_range

    # the pieces, in the order run() calls them

    def _weight_layer(self, node: fx.Node, m: nn.Module) -> nn.Module:
        name = str(node.target)
        wq = q.weight_quant(
            self.p.weight_bits_of(name, self.ends),
            narrow=self.p.weight_range == "narrow",
            per_channel=self.p.weight_scaling == "per-channel",
        )
        common = {"bias": m.bias is not None, "weight_quant": wq, "bias_quant": q.bias_quant()}
        if isinstance(m, nn.Linear):
            new = qnn.QuantLinear(m.in_features, m.out_features, **common)
        elif isinstance(m, nn.ConvTranspose2d):
            new = qnn.QuantConvTranspose2d(
                m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
                output_padding=m.output_padding, **common,
            )  # fmt: skip
        else:
            new = qnn.QuantConv2d(
                m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, **common
            )
        new.load_state_dict(m.state_dict(), strict=False)
        return new

    def _layer_before(self, node: fx.Node) -> str | None:
        """The weight layer nearest upstream of ``node`` (first inputs first)."""
        seen, todo = set(), [node]
        while todo:
            n = todo.pop(0)
            for a in n.all_input_nodes:
                if a in seen:
                    continue
                seen.add(a)
                if a in self.weights:
                    return str(a.target)
                todo.append(a)
        return None

    def _bits(self, node: fx.Node) -> int:
        if node is self.image:
            return self.p.output_bits
        before = self._layer_before(node)
        return self.p.act_bits_of(before, self.ends) if before else self.p.act_bits

    def _activation(self, node: fx.Node, m: nn.Module) -> int:
        bits = self._bits(node)
        if node is self.image:
            lo, hi = (0.0, math.inf) if isinstance(m, nn.ReLU) else (-math.inf, math.inf)
            if isinstance(m, nn.Hardtanh):
                lo, hi = float(m.min_val), float(m.max_val)
            self.out_range = (lo, hi)
        if isinstance(m, nn.ReLU):
            new = qnn.QuantReLU(act_quant=q.relu_quant(bits), return_quant_tensor=True)
        elif isinstance(m, nn.LeakyReLU):
            new = nn.Sequential(
                m, qnn.QuantIdentity(act_quant=q.signed_act_quant(bits), return_quant_tensor=True)
            )
        else:
            hi = float(m.max_val)
            act = (
                q.signed_range_quant(bits, hi)
                if float(m.min_val) < 0
                else q.unsigned_range_quant(bits, hi)
            )
            new = qnn.QuantIdentity(act_quant=act, return_quant_tensor=True)
        setattr_module(self.g, node.target, new)
        return bits

    def _insert_after(self, node: fx.Node, name: str, module: nn.Module, users=None) -> fx.Node:
        base, i = name, 1
        while hasattr(self.g, name):
            name, i = f"{base}_{i}", i + 1
        self.g.add_module(name, module)
        users = list(node.users) if users is None else users
        with self.g.graph.inserting_after(node):
            new = self.g.graph.call_module(name, (node,))
        for u in users:
            u.replace_input_with(node, new)
        return new

    def _input_quantizer(self) -> None:
        ph = next(n for n in self.g.graph.nodes if n.op == "placeholder")
        quant = q.signed_range_quant(self.p.input_bits, self.p.input_range)
        self._insert_after(
            ph, "input_quant", qnn.QuantIdentity(act_quant=quant, return_quant_tensor=True)
        )

    def _is_quantized(self, node: fx.Node) -> bool:
        node = _through_moves(self.g, node)
        m = module_of(self.g, node)
        if isinstance(m, nn.Sequential):  # a LeakyReLU and its quantizer
            m = m[-1]
        if isinstance(m, _QUANT_ACTS):
            return True
        if node.op == "call_function" and node.target is torch.cat:
            return all(self._is_quantized(a) for a in node.args[0])
        return False

    def _joins(self) -> None:
        for node in list(self.g.graph.nodes):
            if node.op != "call_function":
                continue
            if node.target is torch.cat:
                self._share(node)
            elif node.target in (torch.add, operator.add):
                # fixed-point values add exactly; the sum is quantized by what follows
                node.args = tuple(self._plain(a) for a in node.args)

    def _plain(self, arg):
        if not isinstance(arg, fx.Node):
            return arg
        with self.g.graph.inserting_after(arg):
            return self.g.graph.call_function(_value, (arg,))

    def _share(self, cat: fx.Node) -> None:
        """One quantizer for every map ``cat`` joins: theirs, when they are all quantizers of one
        kind and width; else one requantizer shared by every input."""
        sources = [_through_moves(self.g, a) for a in cat.args[0]]
        modules = [module_of(self.g, s) for s in sources]
        same = (
            all(isinstance(m, qnn.QuantReLU) for m in modules)
            and len({m.act_quant.bit_width().item() for m in modules}) == 1
        )
        if same:
            owner = sources[0].target
            for s in sources[1:]:
                old = s.target
                for n in self.g.graph.nodes:
                    if n.target == old:
                        n.target = owner
            return
        bits = self._bits(cat)
        shared = qnn.QuantIdentity(act_quant=q.signed_act_quant(bits), return_quant_tensor=True)
        name = f"{cat.name}_input_quant"
        self.g.add_module(name, shared)
        for a in list(cat.args[0]):
            with self.g.graph.inserting_before(cat):
                new = self.g.graph.call_module(name, (a,))
            cat.replace_input_with(a, new)

    def _requantize_weight_inputs(self) -> None:
        for node in self.weights:
            x = node.args[0]
            if not self._is_quantized(x):
                bits = self._bits(x)
                module = qnn.QuantIdentity(
                    act_quant=q.signed_act_quant(bits), return_quant_tensor=True
                )
                self._insert_after(x, f"{node.name}_input_quant", module, users=[node])

    def _output_quantizer(self) -> tuple[float, float]:
        out = _output_node(self.g)
        m = module_of(self.g, self.image)
        m = m[-1] if isinstance(m, nn.Sequential) else m
        if not isinstance(m, _QUANT_ACTS):
            module = qnn.QuantIdentity(
                act_quant=q.signed_act_quant(self.p.output_bits), return_quant_tensor=True
            )
            self._insert_after(out.args[0], "output_quant", module, users=[out])
            return (-math.inf, math.inf)  # a learned scale: the range follows training
        return self.out_range


# --------------------------------------------------------------------------- calibration, shift


def _batches(model: _Twin, n: int, batch: int, seed: int) -> Iterator[torch.Tensor]:
    rng = torch.Generator().manual_seed(seed)
    for _ in range(n):
        yield model.sample_inputs(batch, rng)


@torch.no_grad()
def calibrate_scales(student: QuantizedGenerator, seed: int = 0) -> None:
    """A few training-mode forward passes on random inputs: the weight scales are initialised and
    the activation scales start collecting statistics from the float model's ranges."""
    student.train()
    for z in _batches(student, CALIBRATION_BATCHES, CALIBRATION_BATCH, seed):
        student(z)
    student.eval()


@torch.no_grad()
def hard_shift(fg: FloatGraph, input_shape, input_range: float, seed: int = 0) -> HardShift:
    """:class:`HardShift` of ``fg`` on :data:`SHIFT_SAMPLES` random inputs."""
    z = sample_inputs(
        tuple(input_shape), SHIFT_SAMPLES, torch.Generator().manual_seed(seed), input_range
    )
    a = fg.exact(z).double().numpy()
    b = fg.hard(z).double().numpy()
    data_range = float(max(a.max(), b.max()) - min(a.min(), b.min())) or 1.0
    out = module_of(fg.hard, _through_moves(fg.hard, _output_node(fg.hard).args[0]))
    if isinstance(out, nn.Hardtanh):
        data_range = float(out.max_val) - float(out.min_val)
    diff = a - b
    return HardShift(len(z), float(np.abs(diff).max()), float(np.mean(diff**2)), data_range)
