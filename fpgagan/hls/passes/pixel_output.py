"""A Dense whose output is reshaped into a feature map streams that map pixel by pixel.

``Dense -> [element-wise Activation ...] -> Reshape(H, W, C)`` (a generator head) becomes a Dense
with the attribute ``fpgagan_pixel_output = (H, W, C)`` and no Reshape: the engine then computes
the map pixel by pixel (one weight matrix per pixel) and, in io_stream, writes one stream element
of C values per pixel instead of one element holding the whole vector.  The activations between
keep working element-wise on the new shape.  Runs before the Dense becomes an engine layer.
"""

from __future__ import annotations

from hls4ml.model.layers import Activation, Reshape
from hls4ml.model.optimizer import OptimizerPass

PIXEL_OUTPUT = "fpgagan_pixel_output"


def _only_consumer(model, node):
    consumers = [n for n in model.graph.values() if node.outputs[0] in n.inputs]
    if len(consumers) != 1 or node.outputs[0] in model.outputs:
        return None
    return consumers[0]


def _chain(model, dense):
    """The element-wise activations after ``dense`` and the Reshape they lead to, or None."""
    acts, node = [], dense
    while True:
        nxt = _only_consumer(model, node)
        if isinstance(nxt, Activation):
            acts.append(nxt)
            node = nxt
            continue
        if isinstance(nxt, Reshape):
            return acts, nxt
        return None


class DensePixelOutput(OptimizerPass):
    def match(self, node):
        if node.class_name != "Dense" or node.get_attr(PIXEL_OUTPUT) is not None:
            return False
        found = _chain(node.model, node)
        if found is None:
            return False
        shape = list(found[1].get_attr("target_shape") or [])
        return len(shape) == 3 and shape[0] * shape[1] * shape[2] == node.get_attr("n_out")

    def transform(self, model, node):
        acts, reshape = _chain(model, node)
        h, w, c = (int(v) for v in reshape.get_attr("target_shape"))
        node.set_attr(PIXEL_OUTPUT, (h, w, c))
        for layer in (node, *acts):
            var = layer.get_output_variable()
            var.shape = [h, w, c]
            var.dim_names = [
                f"OUT_HEIGHT_{layer.index}",
                f"OUT_WIDTH_{layer.index}",
                f"N_CHAN_{layer.index}",
            ]
        model.remove_node(reshape)
        return True
