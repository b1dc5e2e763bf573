"""An engine layer followed by a ReLU or a linear (quantizing) activation computes it itself.

hls4ml would instantiate the activation as a layer of its own, with one unit per value of a
stream element and a stream between the two.  The engine casts each accumulator once anyway
(``cast_out`` in nnet_fg_engine.h): fused, the ReLU and the cast to the activation's type happen
there, on the ``n_par`` outputs of a block, with no extra layer.  Exact by construction: the value
is first cast to the engine's own output type (``pre_activation_t``), then the activation is
applied as hls4ml's kernel does (``x > 0 ? x : 0``) and cast to the activation's output type.
"""

from __future__ import annotations

from hls4ml.model.layers import Activation
from hls4ml.model.optimizer import OptimizerPass

from fpgagan.hls.engine_layers import ACTIVATIONS, EngineLayer

FUSABLE = {"relu": "relu", "linear": "none"}


def _consumer(model, node):
    consumers = [n for n in model.graph.values() if node.outputs[0] in n.inputs]
    if len(consumers) != 1 or node.outputs[0] in model.outputs:
        return None
    return consumers[0]


class FuseOutputActivation(OptimizerPass):
    def match(self, node):
        if not isinstance(node, EngineLayer) or node.get_attr("fused_activation"):
            return False
        act = _consumer(node.model, node)
        # class_name, not isinstance: hls4ml's Softmax, PReLU, ... derive from Activation
        return (
            isinstance(act, Activation)
            and act.class_name == "Activation"
            and str(act.get_attr("activation", "")).lower() in FUSABLE
        )

    def transform(self, model, node):
        act = _consumer(model, node)
        kind = FUSABLE[str(act.get_attr("activation")).lower()]
        assert kind in ACTIVATIONS
        out_type = act.get_output_variable().type
        was_output = act.outputs[0] in model.outputs
        model.remove_node(act)
        var = node.get_output_variable()
        var.type.precision = out_type.precision
        if was_output:
            var.type.name = out_type.name
        node.set_attr("activation", kind)
        node.set_attr("fused_activation", act.name)
        return True
