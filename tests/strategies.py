"""The project's Hypothesis strategies: a thin re-export of the conformance kit.

The strategies live in :mod:`symconv.testing` (the public kit: :mod:`symconv.testing.specs`
for layer specs, :mod:`symconv.testing.networks` for network files); the tests import them
from here by their old names, so no test file needs to change and no code is duplicated.
"""

from __future__ import annotations

from symconv.testing import specs as _specs
from symconv.testing.networks import review_layer_dicts, scaled_networks
from symconv.testing.specs import *  # noqa: F403  - every public strategy, by its name

__all__ = [*_specs.__all__, "review_layer_dicts", "scaled_networks"]
