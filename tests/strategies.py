"""The project's Hypothesis strategies: a thin re-export of the conformance kit.

The strategies live in :mod:`symconv.testing` (the public kit: :mod:`symconv.testing.specs`
for layer specs, :mod:`symconv.testing.networks` for network files); the tests import them
from here by their old names, so no test file needs to change and no code is duplicated.
"""

from __future__ import annotations

from symconv.testing.networks import review_layer_dicts, scaled_networks
from symconv.testing.specs import (
    CONVENTIONS,
    CUBIC_COEFFS,
    adaptive_specs,
    conv_specs,
    conv_transpose_specs,
    cubic_resize_specs,
    layer_and_sizes,
    pool_specs,
    resize_specs,
    shuffle_specs,
    valid_input_sizes,
)

__all__ = [
    "CONVENTIONS",
    "CUBIC_COEFFS",
    "adaptive_specs",
    "conv_specs",
    "conv_transpose_specs",
    "cubic_resize_specs",
    "layer_and_sizes",
    "pool_specs",
    "resize_specs",
    "review_layer_dicts",
    "scaled_networks",
    "shuffle_specs",
    "valid_input_sizes",
]
