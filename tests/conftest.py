"""Shared test configuration.

* Hypothesis profiles ``dev`` (fast, the default) and ``ci`` (thorough), chosen by the
  environment variable ``HYPOTHESIS_PROFILE`` (``.ci/run`` sets ``ci``).
* :func:`requires`: the one rule for optional tools.  A missing PyTorch, ONNX/onnxruntime or
  ``pdflatex`` skips the test locally but FAILS it when ``CI=true``, so CI can never turn
  green by skipping the conformance tests.  Use the ``requires`` fixture
  (``requires("torch")`` returns the module), or mark a test ``@pytest.mark.torch`` /
  ``@pytest.mark.onnx``: marked tests get the same check before they run.
"""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

#: Python modules each optional marker needs.
MARKER_MODULES = {"torch": ("torch",), "onnx": ("onnx", "onnxruntime")}

#: Tools that are programs on PATH rather than Python modules.
EXECUTABLES = frozenset({"pdflatex", "pdftoppm"})


def in_ci() -> bool:
    """True when running under CI (``CI=true``), where optional tools are mandatory."""
    return os.environ.get("CI", "").strip().lower() == "true"


def requires(name: str) -> Any:
    """Return the module ``name`` (or the path of the program ``pdflatex``).

    Missing: ``pytest.skip`` locally, ``pytest.fail`` when ``CI=true``.
    """
    found: ModuleType | str | None
    if name in EXECUTABLES:
        found = shutil.which(name)
        why = f"{name} is not on PATH"
    else:
        try:
            found = importlib.import_module(name)
        except ImportError as exc:
            found, why = None, f"{name} is not installed ({exc})"
    if found is None:
        if in_ci():
            pytest.fail(f"{why}: it is required when CI=true", pytrace=False)
        pytest.skip(why)
    return found


@pytest.fixture(name="requires")
def requires_fixture() -> Callable[[str], Any]:
    """The :func:`requires` rule as a fixture: ``torch = requires("torch")``."""
    return requires


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked ``torch``/``onnx`` need those modules (skip locally, fail in CI)."""
    for marker, modules in MARKER_MODULES.items():
        if item.get_closest_marker(marker) is not None:
            for module in modules:
                requires(module)
