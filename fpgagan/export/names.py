"""Keep the node names a user gave, through qonnx's renaming cleanup, for error messages."""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper

SOURCE_NAME = "fpgagan.source_name"


def remember_source_names(model: ModelWrapper) -> None:
    """Record each named node's current name in its metadata (once; later calls keep the first)."""
    for node in model.graph.node:
        if node.name and not any(p.key == SOURCE_NAME for p in node.metadata_props):
            prop = node.metadata_props.add()
            prop.key, prop.value = SOURCE_NAME, node.name


def node_label(node) -> str:
    """``'ConvTranspose_0'`` or, when cleanup renamed it, ``'ConvTranspose_0' (source node 'deconv')``."""
    source = next((p.value for p in node.metadata_props if p.key == SOURCE_NAME), None)
    if source and source != node.name:
        return f"{node.name!r} (source node {source!r})"
    return repr(node.name)
