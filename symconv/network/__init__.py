"""Networks: the graph of layers that ``symconv review`` reads, and the front ends that build it.

* :mod:`symconv.network.model`: :class:`Network`, :class:`Node`, :class:`Input`, the network
  file format (YAML, JSON or TOML; schema in ``symconv/network/schema/``) and its loader.
* :mod:`symconv.network.onnx_import`: an ONNX model to a :class:`Network`, read as data.
* :mod:`symconv.network.onnx_shapes`: the exact interpreter of the shape programs that exporters
  write (``Shape`` → ``Gather`` → ``Concat`` → ``Resize``): folded, never executed.

Example networks ship in ``symconv/network/examples/``.  The names of
:mod:`symconv.network.model` are re-exported here (``from symconv.network import load``).
"""

from __future__ import annotations

from symconv.network.model import (
    FORMATS,
    LAYER_OPS,
    MERGE_OPS,
    OPS,
    Input,
    Network,
    Node,
    Resample,
    build,
    from_dict,
    load,
    loads,
    with_restores,
)

__all__ = [
    "FORMATS",
    "LAYER_OPS",
    "MERGE_OPS",
    "OPS",
    "Input",
    "Network",
    "Node",
    "Resample",
    "build",
    "from_dict",
    "load",
    "loads",
    "with_restores",
]
