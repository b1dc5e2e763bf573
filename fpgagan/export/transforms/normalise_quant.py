"""Spell every quantizer's attributes the one way hls4ml reads them.

Brevitas' floor-rounded quantizers export ``rounding_mode="floor"`` in lower case; qonnx accepts any
case, hls4ml compares with ``"FLOOR"`` and raises NotImplementedError.  ``HALF_EVEN`` is qonnx's
other name for ``ROUND`` (both are numpy's round-half-to-even, ap_fixed's ``AP_RND_CONV``).
Attributes left at qonnx's defaults are written out, so later passes can read them directly.
Brevitas' ``onnx.brevitas`` domain becomes qonnx's, as qonnx's own cleanup does.  Nothing here
changes what the model computes.
"""

from __future__ import annotations

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

QONNX_DOMAIN = "qonnx.custom_op.general"
_SYNONYMS = {"HALF_EVEN": "ROUND"}
# op type -> qonnx's defaults of the attributes it takes
_DEFAULTS = {
    "Quant": {"signed": 1, "narrow": 0, "rounding_mode": "ROUND"},
    "IntQuant": {"signed": 1, "narrow": 0, "rounding_mode": "ROUND"},
    "Trunc": {"signed": 1, "narrow": 0, "rounding_mode": "FLOOR"},
}


class NormaliseQuantAttributes(Transformation):
    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        changed = False
        for node in model.graph.node:
            if node.op_type not in (*_DEFAULTS, "BipolarQuant"):
                continue
            if node.domain == "onnx.brevitas":
                node.domain = QONNX_DOMAIN
                changed = True
            present = {a.name: a for a in node.attribute}
            for name, default in _DEFAULTS.get(node.op_type, {}).items():
                if name not in present:
                    node.attribute.append(helper.make_attribute(name, default))
                    changed = True
            mode = present.get("rounding_mode")
            if mode is not None:
                text = mode.s.decode().upper()
                text = _SYNONYMS.get(text, text)
                if text.encode() != mode.s:
                    mode.s = text.encode()
                    changed = True
        return model, changed
