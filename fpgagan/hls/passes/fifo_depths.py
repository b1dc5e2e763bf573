"""io_stream: the depth of the FIFO after each engine layer, from the board plan (layer config
``FifoDepth``, sized by :func:`fpgagan.hls.fifo.size_fifos`), instead of hls4ml's default of one
whole image.  Runs in the write flow, before the project is written."""

from __future__ import annotations

from hls4ml.model.optimizer import ModelOptimizerPass

from fpgagan.hls.engine_layers import EngineLayer


class SetFifoDepths(ModelOptimizerPass):
    def __init__(self):
        self.name = "fpgagan_fifo_depths"

    def transform(self, model):
        if model.config.get_config_value("IOType") != "io_stream":
            return False
        for node in model.get_layers():
            depth = node.get_attr("fifo_depth") if isinstance(node, EngineLayer) else None
            if depth is None or node.outputs[0] in model.outputs:
                continue
            var = node.get_output_variable()
            if isinstance(getattr(var, "pragma", None), tuple) and var.pragma[0] == "stream":
                var.pragma = ("stream", int(depth))
        return False
