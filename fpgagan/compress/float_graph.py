"""A float generator as the graph :func:`fpgagan.compress.quantize` quantizes: traced, checked,
batch-norm folded and with the activations the hardware computes.

Each step is a function ``step(graph) -> what it changed`` on a ``torch.fx.GraphModule``:

- :func:`trace`: ``torch.fx`` of the module (a GraphModule, e.g. one read from ONNX, is copied);
- :func:`standardise`: functional calls (``F.relu``, ``torch.tanh``, ``F.interpolate``, ...)
  become modules, every call site of an activation gets its own module (each will get its own
  quantizer), dropout (eval mode) goes;
- :func:`check_supported`: anything fpgagan cannot compute exactly is refused with one line
  naming the node (an LSTM, attention, a pooling layer, a dilated or grouped convolution, ...);
- :func:`fold_batch_norms`: every batch-norm folded into the layer before it (eval-mode
  statistics; the layer's only user); one that cannot be folded is refused, naming it and why;
- :func:`hard_activations`: ``Tanh`` becomes ``Hardtanh(-1, 1)`` and ``Sigmoid`` the hard sigmoid
  ``clamp(x / 4 + 1 / 2, 0, 1)`` (slope 1/4 at 0 like the sigmoid, a power of two), its affine
  part folded into the layer before it, so both are a quantizer's clamp in hardware.

:func:`float_graph` runs them in this order.  None of them changes what the model computes,
except :func:`hard_activations`, whose effect :class:`HardShift` measures.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import operator
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import fx, nn

from fpgagan.errors import UnsupportedModelError, short_repr
from fpgagan.models.folding import fold_into

WEIGHT_LAYERS = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)
BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)
ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.Hardtanh)
# data movement that keeps every value as it is (a quantized tensor stays on its grid)
MOVES = (nn.Upsample, nn.PixelShuffle, nn.Identity, nn.Flatten)
MOVE_FUNCTIONS = (torch.reshape, torch.flatten)
MOVE_METHODS = ("reshape", "view", "flatten")
JOINS = (torch.cat, operator.add, torch.add)

# functional form -> the module it becomes
_FUNCTIONAL: dict[object, Callable[..., nn.Module]] = {
    F.relu: lambda *a, **k: nn.ReLU(),
    torch.relu: lambda *a, **k: nn.ReLU(),
    torch.tanh: lambda *a, **k: nn.Tanh(),
    F.tanh: lambda *a, **k: nn.Tanh(),
    torch.sigmoid: lambda *a, **k: nn.Sigmoid(),
    F.sigmoid: lambda *a, **k: nn.Sigmoid(),
    F.leaky_relu: lambda x, negative_slope=0.01, *a, **k: nn.LeakyReLU(negative_slope),
    F.hardtanh: lambda x, min_val=-1.0, max_val=1.0, *a, **k: nn.Hardtanh(min_val, max_val),
    F.pixel_shuffle: lambda x, upscale_factor, *a, **k: nn.PixelShuffle(upscale_factor),
    F.interpolate: lambda x, size=None, scale_factor=None, mode="nearest", *a, **k: nn.Upsample(
        size=size, scale_factor=scale_factor, mode=mode
    ),
}
_METHODS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def node_label(graph: fx.GraphModule, node: fx.Node) -> str:
    """``node 'deconvs.1' (ConvTranspose2d)``: what an error names."""
    if node.op == "call_module":
        kind = type(graph.get_submodule(node.target)).__name__
        return f"node {short_repr(str(node.target))} ({kind})"
    what = getattr(node.target, "__name__", str(node.target))
    return f"node {short_repr(node.name)} ({short_repr(what)})"


def module_of(graph: fx.GraphModule, node: fx.Node) -> nn.Module | None:
    return graph.get_submodule(node.target) if node.op == "call_module" else None


# --------------------------------------------------------------------------- trace


def trace(module: nn.Module) -> fx.GraphModule:
    """The module as a ``torch.fx`` graph (a copy: the caller's module is never changed)."""
    module = copy.deepcopy(module).eval()
    if isinstance(module, fx.GraphModule):
        return module
    try:
        return fx.symbolic_trace(module)
    except Exception as exc:  # noqa: BLE001 - fx raises many kinds on data-dependent code
        raise UnsupportedModelError(
            f"{type(module).__name__}: torch.fx cannot trace its forward "
            f"({type(exc).__name__}: {short_repr(str(exc), 120)}); give a forward without "
            "data-dependent control flow, or export it to ONNX"
        ) from None


# --------------------------------------------------------------------------- standardise


def _new_module(graph: fx.GraphModule, base: str, module: nn.Module) -> str:
    name, i = base.replace(".", "_"), 1
    while hasattr(graph, name):
        name, i = f"{base.replace('.', '_')}_{i}", i + 1
    graph.add_module(name, module)
    return name


def standardise(graph: fx.GraphModule) -> list[str]:
    """Functional activations and resampling as modules, one module per call site, no dropout;
    returns the nodes it rewrote."""
    changed = []
    seen: set[str] = set()
    for node in list(graph.graph.nodes):
        make = None
        if node.op == "call_function" and node.target in _FUNCTIONAL:
            make = _FUNCTIONAL[node.target]
        elif node.op == "call_method" and node.target in _METHODS:
            make = _METHODS[node.target]
        if make is not None:
            module = make(*node.args, **node.kwargs)
            with graph.graph.inserting_before(node):
                name = _new_module(graph, node.name, module)
                new = graph.graph.call_module(name, (node.args[0],))
            node.replace_all_uses_with(new)
            graph.graph.erase_node(node)
            changed.append(name)
            continue
        if _batch_sized_view(node):  # x.view(x.size(0), ...): the batch axis stays the batch axis
            node.args = (node.args[0], -1, *node.args[2:])
            changed.append(node.name)
            continue
        module = module_of(graph, node)
        if isinstance(module, nn.Dropout | nn.Dropout2d):
            node.replace_all_uses_with(node.args[0])
            graph.graph.erase_node(node)
            changed.append(str(node.target))
        elif isinstance(module, ACTIVATIONS + MOVES) and node.target in seen:
            # a stateless module called at several places: each place gets its own quantizer
            name = _new_module(graph, str(node.target), copy.deepcopy(module))
            node.target = name
            changed.append(name)
        elif module is not None:
            seen.add(node.target)
    graph.graph.eliminate_dead_code()
    graph.graph.lint()
    graph.recompile()
    graph.delete_all_unused_submodules()
    return changed


def _batch_sized_view(node: fx.Node) -> bool:
    """``x.view(x.size(0), ...)`` or ``reshape``: the size of the batch read from the data."""
    if node.op != "call_method" or node.target not in ("view", "reshape") or len(node.args) < 2:
        return False
    size = node.args[1]
    return (
        isinstance(size, fx.Node)
        and size.op == "call_method"
        and size.target == "size"
        and tuple(size.args[1:]) == (0,)
        and size.args[0] is node.args[0]
    )


# --------------------------------------------------------------------------- check


def _refuse(graph: fx.GraphModule, node: fx.Node, why: str) -> UnsupportedModelError:
    return UnsupportedModelError(f"{node_label(graph, node)}: {why}")


def check_supported(graph: fx.GraphModule) -> None:
    """Refuse the first node fpgagan cannot quantize to exact fixed point, naming it."""
    placeholders = [n for n in graph.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        raise UnsupportedModelError(
            f"the generator's forward takes {len(placeholders)} inputs; fpgagan needs one"
        )
    for node in graph.graph.nodes:
        if node.op in ("placeholder", "output"):
            continue
        if node.op == "call_module":
            _check_module(graph, node, graph.get_submodule(node.target))
        elif node.op == "call_function" and node.target in (*MOVE_FUNCTIONS, *JOINS):
            if node.target is torch.cat and _cat_dim(node) != 1:
                raise _refuse(graph, node, "only a concatenation of channels (dim 1) is supported")
        elif node.op == "call_method" and node.target in MOVE_METHODS:
            if any(isinstance(a, fx.Node) for a in node.args[1:]):
                raise _refuse(graph, node, "a shape computed from the data is not supported")
        else:
            what = "attribute read" if node.op == "get_attr" else "call"
            raise _refuse(graph, node, f"this {what} is not supported for quantization")


def _cat_dim(node: fx.Node) -> int:
    dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
    return dim


def _check_module(graph: fx.GraphModule, node: fx.Node, m: nn.Module) -> None:
    if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
        if m.groups != 1 or tuple(m.dilation) != (1, 1):
            raise _refuse(graph, node, "grouped or dilated convolutions are not supported")
        if m.padding_mode != "zeros" or isinstance(m.padding, str):
            raise _refuse(graph, node, f"padding {m.padding!r} ({m.padding_mode}) is not supported")
    elif isinstance(m, nn.Upsample):
        factors = m.scale_factor if isinstance(m.scale_factor, tuple) else (m.scale_factor,) * 2
        if (
            m.mode != "nearest"
            or m.size is not None
            or any(f is None or f != math.floor(f) for f in factors)
        ):
            raise _refuse(graph, node, "only nearest upsampling by integer factors is supported")
    elif isinstance(m, nn.Hardtanh):
        lo, hi = float(m.min_val), float(m.max_val)
        if not (hi > 0 and 2 ** round(math.log2(hi)) == hi and lo in (-hi, 0.0)):
            raise _refuse(
                graph, node,
                f"clamp to [{lo:g}, {hi:g}]: only [-m, m] or [0, m] with m a power of two is a "
                "fixed-point clamp",
            )  # fmt: skip
    elif isinstance(m, nn.LeakyReLU):
        a = float(m.negative_slope)
        if not (0 < a < 1 and 2 ** round(math.log2(a)) == a):
            raise _refuse(
                graph, node,
                f"negative slope {a:g} is not a power of two (0.25, 0.125, ...), so the hardware "
                "cannot compute it exactly; retrain with one",
            )  # fmt: skip
    elif not isinstance(m, WEIGHT_LAYERS + BATCH_NORMS + ACTIVATIONS + MOVES):
        raise _refuse(graph, node, "this layer is not supported for quantization")


# --------------------------------------------------------------------------- batch-norm


def _producer(node: fx.Node) -> fx.Node | None:
    arg = node.args[0] if node.args else None
    return arg if isinstance(arg, fx.Node) else None


def fold_batch_norms(graph: fx.GraphModule) -> list[str]:
    """Fold every batch-norm into the weight layer it follows; returns the folded ones."""
    folded = []
    for node in list(graph.graph.nodes):
        bn = module_of(graph, node)
        if not isinstance(bn, BATCH_NORMS):
            continue
        prev = _producer(node)
        layer = module_of(graph, prev) if prev is not None else None
        if not isinstance(layer, WEIGHT_LAYERS):
            raise _refuse(graph, node, "it does not follow a Linear or convolution, so it cannot "
                          "be folded into weights")  # fmt: skip
        if len(prev.users) != 1:
            raise _refuse(graph, node, f"{node_label(graph, prev)} feeds other layers too, so "
                          "folding would change them")  # fmt: skip
        if not bn.track_running_stats or bn.running_mean is None:
            raise _refuse(graph, node, "it has no running statistics (track_running_stats=False) "
                          "to fold")  # fmt: skip
        if sum(1 for n in graph.graph.nodes if n.target == prev.target) != 1:
            raise _refuse(graph, node, f"{node_label(graph, prev)} is called more than once")
        fold_into(layer, bn)
        node.replace_all_uses_with(prev)
        graph.graph.erase_node(node)
        folded.append(str(node.target))
    graph.graph.lint()
    graph.recompile()
    graph.delete_all_unused_submodules()
    return folded


# --------------------------------------------------------------------------- hard activations

HARD_SIGMOID_SLOPE = 0.25  # the sigmoid's slope at 0, a power of two


def _weight_layer_before(graph: fx.GraphModule, node: fx.Node) -> tuple[fx.Node, nn.Module] | None:
    """The weight layer whose output reaches ``node`` through data movement only, alone."""
    prev = _producer(node)
    while prev is not None and len(prev.users) == 1:
        m = module_of(graph, prev)
        if isinstance(m, WEIGHT_LAYERS):
            return prev, m
        moves = (
            isinstance(m, MOVES)
            or prev.target in MOVE_FUNCTIONS
            or (prev.op == "call_method" and prev.target in MOVE_METHODS)
        )
        if not moves:
            return None
        prev = _producer(prev)
    return None


@torch.no_grad()
def hard_activations(graph: fx.GraphModule) -> list[str]:
    """``Tanh`` -> ``Hardtanh(-1, 1)``; ``Sigmoid`` -> ``clamp(x / 4 + 1 / 2, 0, 1)`` with the
    affine part folded into the weight layer before it.  Returns the nodes it changed."""
    changed = []
    for node in list(graph.graph.nodes):
        m = module_of(graph, node)
        if isinstance(m, nn.Tanh):
            setattr_module(graph, node.target, nn.Hardtanh(-1.0, 1.0))
            changed.append(str(node.target))
        elif isinstance(m, nn.Sigmoid):
            found = _weight_layer_before(graph, node)
            if found is None:
                raise _refuse(graph, node, "a sigmoid becomes the hard sigmoid clamp(x/4 + 1/2, "
                              "0, 1) only right after a Linear or convolution (its affine part "
                              "goes into the weights)")  # fmt: skip
            layer = found[1]
            if layer.bias is None:
                out = layer.weight.shape[1 if isinstance(layer, nn.ConvTranspose2d) else 0]
                layer.bias = nn.Parameter(torch.zeros(out, dtype=layer.weight.dtype))
            layer.weight.mul_(HARD_SIGMOID_SLOPE)
            layer.bias.mul_(HARD_SIGMOID_SLOPE).add_(0.5)
            setattr_module(graph, node.target, nn.Hardtanh(0.0, 1.0))
            changed.append(str(node.target))
    graph.recompile()
    return changed


def setattr_module(graph: fx.GraphModule, target: str, module: nn.Module) -> None:
    """Replace the submodule at dotted path ``target``."""
    parent, _, name = target.rpartition(".")
    setattr(graph.get_submodule(parent) if parent else graph, name, module)


# --------------------------------------------------------------------------- all together


@dataclasses.dataclass(frozen=True)
class FloatGraph:
    """The traced float module (batch-norm folded: the same function) and its hard twin."""

    exact: fx.GraphModule  # computes what the given module computes (eval mode)
    hard: fx.GraphModule  # with the hard activations: what the quantized model approximates
    folded: tuple[str, ...]  # batch-norm layers folded away
    hardened: tuple[str, ...]  # activations made hard


def float_graph(module: nn.Module) -> FloatGraph:
    """:func:`trace`, :func:`standardise`, :func:`check_supported`, :func:`fold_batch_norms`
    and :func:`hard_activations`, in that order."""
    graph = trace(module)
    standardise(graph)
    check_supported(graph)
    folded = fold_batch_norms(graph)
    hard = copy.deepcopy(graph)
    hardened = hard_activations(hard)
    return FloatGraph(graph, hard, tuple(folded), tuple(hardened))
