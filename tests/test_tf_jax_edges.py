"""Rules at the edges of the JAX/flax APIs, each judged by the framework on a full grid
(issue 14): ``flax.linen.Conv(padding='CIRCULAR' | 'REFLECT' | 'CAUSAL')`` and
``lax.conv_transpose(use_consistent_padding=True)``, which the random sample of
``tests/test_tf_jax_conventions.py`` draws only now and then, and the TensorFlow defect of its
3-D kernels with a negative SAME total, pinned so that a fix upstream is noticed.

Every case runs with a probe (the framework's matrix on one-hot inputs), one child per
framework for the module (:mod:`tf_jax_oracles`), and is judged like the sample
(:func:`tf_jax_cases.observe_all`): the output size or the refusal, the begin pads where
the padding is zeros, and the values against :func:`symconv.core.linear_map`.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from typing import Any

import numpy as np
import pytest
from tf_jax_cases import Observation, describe, observe_all
from tf_jax_oracles import run_oracles

from symconv import Conv, ConvTranspose, resolve
from symconv.core import linear_map
from symconv.errors import InvalidSpecError, UnsupportedError

from conftest import requires


def _flax_names() -> list[dict[str, Any]]:
    """1-D: sizes 1..9, kernels 1..5, strides 1..3, dilations 1..2 for each name; 2-D: a
    few kernels and strides (``'CAUSAL'`` is refused there by flax and by symconv)."""
    cases = []
    for name, n, k, s, d in itertools.product(("CIRCULAR", "REFLECT", "CAUSAL"), range(1, 10),
                                              range(1, 6), range(1, 4), range(1, 3)):
        if (n + k + s + d) % 3:  # a third of the product keeps the child quick
            continue
        cases.append({"api": "flax.linen.Conv", "n": [n], "k": [k], "s": [s], "d": [d],
                      "padding": name, "probe": True})
    for name, (n, k, s) in itertools.product(("CIRCULAR", "REFLECT", "CAUSAL"),
                                             [((5, 4), (3, 2), (2, 1)), ((3, 6), (4, 3), (1, 2)),
                                              ((2, 2), (3, 1), (1, 1))]):
        cases.append({"api": "flax.linen.Conv", "n": list(n), "k": list(k), "s": list(s),
                      "padding": name, "probe": True})
    return cases


def _flax_circular_transpose() -> list[dict[str, Any]]:
    """``flax.linen.ConvTranspose(padding='CIRCULAR')``: sizes 1..6, kernels 1..6, strides
    1..3, dilations 1..2, both ``transpose_kernel`` (which places the fold); 2-D: a few."""
    cases = []
    for j, (n, k, s, d) in enumerate(itertools.product(range(1, 7), range(1, 7), range(1, 4),
                                                       range(1, 3))):
        if j % 3:
            continue
        cases.append({"api": "flax.linen.ConvTranspose", "n": [n], "k": [k], "s": [s], "d": [d],
                      "padding": "CIRCULAR", "probe": True,
                      "flags": {"transpose_kernel": j % 2 == 0}})
    for n, k, s in [((3, 4), (4, 3), (2, 1)), ((2, 5), (3, 5), (1, 2)), ((4, 3), (2, 6), (3, 2))]:
        for tk in (False, True):
            cases.append({"api": "flax.linen.ConvTranspose", "n": list(n), "k": list(k),
                          "s": list(s), "padding": "CIRCULAR", "probe": True,
                          "flags": {"transpose_kernel": tk}})
    return cases


def _consistent() -> list[dict[str, Any]]:
    """``use_consistent_padding=True``: pairs in -1..3 and every string, kernels 1..4,
    strides 1..3, dilations 1..2, both kernel orientations."""
    cases = []
    pads: list[Any] = [[[b, e]] for b in range(-1, 4) for e in range(-1, 4)]
    pads += ["SAME", "VALID", "SAME_LOWER", "same"]
    for j, (n, k, s, d, pad) in enumerate(itertools.product(
            (1, 3, 6), range(1, 5), range(1, 4), range(1, 3), pads)):
        if j % 4:
            continue
        cases.append({"api": "jax.lax.conv_transpose", "n": [n], "k": [k], "s": [s], "d": [d],
                      "padding": pad, "probe": True,
                      "flags": {"use_consistent_padding": True, "transpose_kernel": j % 8 == 0}})
    return cases


#: TensorFlow 2.21's 3-D kernels with a negative SAME total (stride above the window): the
#: windows start ``trunc(total / 2)`` inside the input where TensorFlow documents
#: ``max(total, 0)`` (its 1-D/2-D kernels, Keras on JAX and symconv clamp).
TF_3D_DEFECT = [(6, 1, 3, -1), (9, 1, 5, -1), (10, 2, 6, -1), (13, 2, 8, -1), (11, 1, 7, -1)]


def _tf_3d() -> list[dict[str, Any]]:
    return [{"api": api, "n": [n, 2, 2], "k": [k, 1, 1], "s": [s, 1, 1], "padding": "SAME",
             "probe": True}
            for api in ("tf.nn.conv3d", "tf.nn.max_pool3d")
            for n, k, s, _ in TF_3D_DEFECT]


@pytest.fixture(scope="module")
def observations() -> dict[str, list[Observation]]:
    for module in ("tensorflow", "jax", "flax"):
        requires(module)
    groups = {"flax": _flax_names(), "circular": _flax_circular_transpose(),
              "consistent": _consistent(), "tf3d": _tf_3d()}
    cases = []
    for group, members in groups.items():
        for i, case in enumerate(members):
            case["id"] = f"{group}-{i}"
            cases.append(case)
    results, _log = run_oracles(cases, frameworks=("tensorflow", "jax", "flax"))
    obs = observe_all(cases, results)
    return {g: [ob for ob in obs if ob.case["id"].startswith(g + "-")] for g in groups}


def _problems(obs: list[Observation]) -> list[str]:
    return [f"{ob.kind} in {ob.observer}: {describe(ob.case)}\n    framework: {ob.fw_text()}"
            f"\n    symconv: {ob.sc_text()} {ob.detail}" for ob in obs if ob.kind is not None]


def test_flax_padding_names_agree_with_flax(observations: dict[str, list[Observation]]) -> None:
    obs = observations["flax"]
    problems = _problems(obs)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:20])
    checked = {name: sum("values" in ob.checked for ob in obs if ob.case["padding"] == name)
               for name in ("CIRCULAR", "REFLECT", "CAUSAL")}
    assert min(checked.values()) >= 40, checked
    refused = [ob for ob in obs if ob.fw_status == "error"]
    assert refused and all("CAUSAL" == ob.case["padding"] for ob in refused)


def test_flax_circular_transpose_agrees_with_flax(
        observations: dict[str, list[Observation]]) -> None:
    """The periodic fold: sizes n s and the summed matrix, both kernel orientations."""
    obs = observations["circular"]
    problems = _problems(obs)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:20])
    folded = [ob for ob in obs if "values" in ob.checked
              and ob.sc["pads"] is None]  # a real fold (k_eff > s somewhere)
    assert len(folded) >= 40 and {(ob.case["flags"]["transpose_kernel"]) for ob in folded} == {
        False, True}


def test_consistent_padding_agrees_with_jax(observations: dict[str, list[Observation]]) -> None:
    obs = observations["consistent"]
    problems = _problems(obs)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:20])
    assert sum("values" in ob.checked for ob in obs) >= 150
    assert sum(ob.fw_status == "error" for ob in obs) >= 20  # 'SAME_LOWER', 'same'


def test_tf_3d_negative_same_total_defect_is_pinned(
        observations: dict[str, list[Observation]]) -> None:
    """The defect holds (a fix upstream fails this test: then model the fixed rule), and
    symconv keeps TensorFlow's documented ``max(total, 0)`` (begin pad 0)."""
    for ob in observations["tf3d"]:
        assert ob.kind == "pads", (describe(ob.case), ob.kind, ob.detail)
        assert ob.detail == "begin pads: framework [-1, 0, 0], symconv [0, 0, 0]", ob.detail


# --------------------------------------------------------------------------- unit


def test_flax_names_as_specs() -> None:
    c = Conv(kernel=4, stride=2, padding="CIRCULAR", convention="flax.linen.Conv")
    assert repr(c) == ("Conv(kernel=4, stride=2, padding=((1, 2),), padding_mode='circular', "
                       "convention='jax', api='flax.linen.Conv')")
    assert resolve(c, 9).output == (5,)
    r = Conv(kernel=3, dilation=2, padding="CAUSAL", convention="flax.linen.Conv")
    assert repr(r) == "Conv(kernel=3, padding='CAUSAL', dilation=2, convention='jax', api='flax.linen.Conv')"
    assert resolve(r, 7).pads == ((4, 0),)
    with pytest.raises(InvalidSpecError, match=r"^padding='CAUSAL' must be used with 1-D "
                       r"convolutions for flax.linen.Conv, got ndim=2 \(flax: Causal"):
        resolve(r, (7, 7))
    with pytest.raises(InvalidSpecError, match=r"write 'CIRCULAR'\)$"):
        Conv(kernel=3, padding="circular", convention="flax.linen.Conv")
    with pytest.raises(InvalidSpecError, match=r"flax.linen.Conv takes 'REFLECT': name that"):
        Conv(kernel=3, padding="REFLECT", convention="jax")
    # flax's transposed 'CIRCULAR': n s outputs, the full output folded onto them
    t = ConvTranspose(kernel=3, stride=2, padding="CIRCULAR", convention="flax.linen.ConvTranspose")
    r = resolve(t, 5)
    assert r.output == (10,) and r.folds == ((0, 10),)
    assert resolve(dataclasses.replace(t, transpose_kernel=True), 5).folds == ((9, 10),)
    with pytest.raises(UnsupportedError, match=r"folds the transposed output periodically .*"
                       r"it has no pads"):
        r.pads  # noqa: B018 - what reasons from crops must refuse the fold
    m = linear_map(t, (1, 5), out_channels=1).numeric(np.array([[[1.0, 2.0, 3.0]]])).toarray()
    assert m[0].tolist() == [1, 0, 0, 0, 3] and m.sum() == 30  # the last tap wraps to 0
    with pytest.raises(InvalidSpecError, match=r"^output_size=10 is not a parameter of "
                       r"flax.linen.ConvTranspose: padding='CIRCULAR' gives n\*s$"):
        resolve(dataclasses.replace(t, output_size=10), 5)
    wide = ConvTranspose(kernel=2, stride=3, padding="CIRCULAR",
                         convention="flax.linen.ConvTranspose")  # k_eff <= s: no fold
    assert resolve(wide, 5).pads == ((0, 0),) and resolve(wide, 5).output_padding == (1,)
    with pytest.raises(InvalidSpecError, match=r"^transpose_kernel=True is a parameter of "
                       r"jax.lax.conv_transpose and flax.linen.ConvTranspose only"):
        ConvTranspose(kernel=3, transpose_kernel=True)
    # a reflection past the input reflects again (NumPy's mode, which jnp.pad follows)
    big = Conv(kernel=9, padding="REFLECT", convention="flax.linen.Conv")
    assert resolve(big, 2).output == (2,)


def test_consistent_padding_as_specs() -> None:
    t = ConvTranspose(kernel=2, stride=3, padding=((0, 3),), convention="jax",
                      use_consistent_padding=True)
    assert resolve(t, 8).output == (20,)  # PyTorch's reading: 7*3 + 2 - 0 - 3
    assert t == ConvTranspose(kernel=2, stride=3, padding=((1, -2),), convention="jax")
    with pytest.raises(InvalidSpecError, match=r"^padding='SAME_LOWER' must be 'SAME', 'VALID' "
                       r"or pairs with use_consistent_padding=True \(JAX raises"):
        ConvTranspose(kernel=3, padding="SAME_LOWER", convention="jax",
                      use_consistent_padding=True)
    with pytest.raises(InvalidSpecError, match=r"parameter of jax.lax.conv_transpose only, "
                       r"not of flax.linen.ConvTranspose$"):
        ConvTranspose(kernel=3, convention="flax.linen.ConvTranspose",
                      use_consistent_padding=True)


def test_cli_takes_the_flax_names_and_consistent_padding() -> None:
    from click.testing import CliRunner

    from symconv.cli import cli

    def run(args: str) -> tuple[int, str]:
        res = CliRunner().invoke(cli, args.split())
        return res.exit_code, res.output

    code, out = run("shape conv --in 9 --kernel 4 --stride 2 --padding CIRCULAR "
                    "--convention flax.linen.Conv")
    assert code == 0 and "padding_mode='circular'" in out and re.search(r"output:\s+5\n", out)
    code, out = run("shape conv-transpose --in 8 --kernel 2 --stride 3 --padding 0:3 "
                    "--convention jax --use-consistent-padding")
    assert code == 0 and re.search(r"output:\s+20\n", out), out
    code, out = run("shape conv-transpose --in 8 --kernel 2 --stride 3 --padding 0:3 "
                    "--convention jax")
    assert code == 0 and re.search(r"output:\s+24\n", out), out  # lax's own: 22 + 3 - 1
    code, out = run("shape conv --in 8 --kernel 2 --use-consistent-padding")
    assert code == 2 and "--use-consistent-padding must only be given for" in out
