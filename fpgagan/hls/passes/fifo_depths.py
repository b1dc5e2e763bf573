"""io_stream: the depth of every FIFO from the board plan (layer config ``FifoDepth`` on the
producing layer, a list in output order for a layer with several outputs such as hls4ml's Clone;
sized by :func:`fpgagan.hw.fifo.size_fifos`), instead of hls4ml's default of one whole map.
Runs in the write flow, before the project is written."""

from __future__ import annotations

from hls4ml.model.optimizer import ModelOptimizerPass


class SetFifoDepths(ModelOptimizerPass):
    def __init__(self):
        self.name = "fpgagan_fifo_depths"

    def transform(self, model):
        if model.config.get_config_value("IOType") != "io_stream":
            return False
        for node in model.get_layers():
            depth = node.get_attr("fifo_depth")
            if depth is None:
                continue
            depths = list(depth) if isinstance(depth, list | tuple) else [depth]
            if len(depths) != len(node.outputs):
                raise ValueError(
                    f"layer {node.name}: {len(depths)} FIFO depths for {len(node.outputs)} outputs"
                )
            for out, d in zip(node.outputs, depths, strict=True):
                if out in model.outputs:
                    continue
                var = node.get_output_variable(out)
                if isinstance(getattr(var, "pragma", None), tuple) and var.pragma[0] == "stream":
                    var.pragma = ("stream", int(d))
        return False
