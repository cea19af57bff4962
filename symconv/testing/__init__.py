"""The conformance kit: exact expected results, edge-seeking strategies and assertions for
anyone who implements, ports or deploys convolution-family layers.

* :func:`expected` -- what a correct implementation returns (exact for integer inputs), and
  its gradients (the adjoint map).
* :func:`assert_layer_matches`, :func:`check_implementation` -- compare an implementation
  ``fn(layer, x, w)`` with :func:`expected`; a failure is shrunk by Hypothesis to its smallest
  configuration and printed with the ``symconv shape``/``symconv matrix`` command that
  reproduces it (:func:`reproduce_command`).  An implementation run in a child process
  raises :class:`ImplementationCrashed` when the child dies: a crash is a finding, on a
  configuration the convention accepts or rejects; :func:`isolated` runs one there.
* :func:`layers` -- Hypothesis strategies drawing framework-valid layers with input sizes
  biased toward the edges, or (``valid=False``) configurations the convention rejects, with
  the rule that rejects them.  Needs Hypothesis (``pip install "symconv[testing]"``); the
  rest of the kit does not.
* :func:`assert_valid_sizes`, :func:`assert_restores` -- a model repository's guard: the
  design review's exact valid input sizes must be the ones the repository promises.

``import symconv.testing`` imports neither Hypothesis nor NumPy: the names load on first use.
See docs/testing.md.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "Expected",
    "ImplementationCrashed",
    "InvalidCase",
    "LayerCase",
    "LayerMismatch",
    "assert_layer_matches",
    "assert_restores",
    "assert_valid_sizes",
    "check_implementation",
    "expected",
    "isolated",
    "layers",
    "random_inputs",
    "reproduce_command",
]

_WHERE = {
    "Expected": "results",
    "expected": "results",
    "random_inputs": "results",
    "LayerMismatch": "assertions",
    "ImplementationCrashed": "assertions",
    "assert_layer_matches": "assertions",
    "check_implementation": "assertions",
    "reproduce_command": "commands",
    "isolated": "isolation",
    "LayerCase": "cases",
    "InvalidCase": "cases",
    "layers": "edges",
    "assert_valid_sizes": "guards",
    "assert_restores": "guards",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"symconv.testing.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'symconv.testing' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
