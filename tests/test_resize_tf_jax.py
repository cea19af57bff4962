"""Resize under the ``tensorflow``, ``keras`` and ``jax`` conventions against the frameworks.

``tf.image.resize`` (every method, ``antialias`` on and off), Keras ``Resizing`` and
``UpSampling1D/2D/3D`` on both backends, and ``jax.image.resize`` (1-D, 2-D and 3-D, every
method, ``antialias`` default/on/off) run on one-hot inputs in one child process per framework
(:mod:`tf_jax_oracles`, one module-scoped fixture); their matrices are compared with
:func:`symconv.core.resize_map` (the exact map; refused with a reason for the irrational
kernels) and with :func:`symconv.numeric.resample` (float64, every method), to ``1e-5`` (the
frameworks compute in float32).  Nearest maps must agree exactly, including the sizes where
the frameworks' float32 arithmetic departs from ``floor((i + 1/2) n / o)``.

Also: the spec rules of the new modes and of ``antialias`` (one-line messages) and the
exactness of the maps (``Fraction`` entries).
"""

from __future__ import annotations

import importlib.util
import itertools
import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from tf_jax_oracles import run_oracles

from symconv import numeric
from symconv.core import linear_map, resize_map
from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.spec import Resize

from conftest import requires

#: Axis sizes ``(n, o)``: up, down, equal, to and from 1, and the float32 departures
#: (TensorFlow 2 -> 41: output 20 reads 0; JAX 30 -> 29: output 14 reads 14, not 15).
AXES = [(1, 3), (3, 1), (2, 41), (5, 5), (7, 3), (9, 4), (4, 9), (8, 14), (13, 6), (20, 7),
        (6, 17), (30, 29), (11, 20), (17, 11), (14, 23)]
#: 2-D cases: consecutive axis pairs.
PLANES = [tuple(zip(AXES[k], AXES[(k + 1) % len(AXES)], strict=True)) for k in range(len(AXES))]
VOLUMES = [((3, 5), (4, 2), (2, 3)), ((5, 2), (1, 3), (6, 6))]

TF_METHODS = ("nearest", "bilinear", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
              "mitchellcubic")
JAX_METHODS = ("nearest", "linear", "cubic", "area", "lanczos3", "lanczos5")
KERAS_METHODS = ("nearest", "bilinear", "bicubic", "area", "lanczos3", "lanczos5")
MODE = {"bilinear": "linear", "bicubic": "cubic", "linear": "linear", "cubic": "cubic"}
IRRATIONAL = ("lanczos3", "lanczos5", "gaussian")


def _cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []

    def add(**kw: Any) -> None:
        cases.append({"id": f"r{len(cases):04d}", "probe": True, **kw})

    for (n, o), method, aa in itertools.product(
            [(list(p[0]), list(p[1])) for p in PLANES], TF_METHODS, (False, True)):
        add(api="tf.image.resize", n=n, size=o, method=method, antialias=aa)
    # JAX compiles every shape: 1-D with antialias default (on) and off, 2-D/3-D default only
    for (n, o), method, aa in itertools.product(AXES, JAX_METHODS, (None, False)):
        if not (method == "nearest" and aa is not None):
            add(api="jax.image.resize", n=[n], size=[o], method=method, antialias=aa)
    for (n, o), method in itertools.product(
            [(list(p[0]), list(p[1])) for p in PLANES[::4]]
            + [(list(v[0]), list(v[1])) for v in VOLUMES], JAX_METHODS):
        add(api="jax.image.resize", n=n, size=o, method=method)
    for (n, o), method in itertools.product([(list(p[0]), list(p[1])) for p in PLANES[1::4]],
                                            KERAS_METHODS):
        add(api="keras.Resizing", n=n, size=o, method=method)
    for nd, scale in ((1, [3]), (2, [2, 3]), (3, [2, 1, 3])):
        n = [5, 3, 2][:nd]
        methods: tuple[str | None, ...] = (None, "nearest", "bilinear", "bicubic", "lanczos3") \
            if nd == 2 else (None,)
        for method in methods:
            add(api=f"keras.UpSampling{nd}D", n=n, scale=scale[:nd], method=method)
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def answers() -> dict[str, dict[str, Any]]:
    for module in ("tensorflow", "keras", "jax"):
        if importlib.util.find_spec(module) is None:
            requires(module)  # skips locally, fails under CI=true
    results, log = run_oracles(CASES, ("tensorflow", "keras-tensorflow", "keras-jax", "jax"))
    assert not log, log
    return results


def _dense(probe: dict[str, Any], out: list[int], n: list[int]) -> np.ndarray:
    rows, cols, vals = probe["matrix"]
    a = np.zeros((math.prod(out), math.prod(n)))
    a[rows, cols] = vals
    return a


def _spec(case: dict[str, Any], convention: str, antialias: bool | None) -> Resize:
    method = case.get("method") or ("bilinear" if "size" in case else "nearest")
    if "size" in case:
        return Resize(size=tuple(case["size"]), mode=MODE.get(method, method),
                      antialias=antialias, convention=convention)
    return Resize(scale_factor=tuple(case["scale"]), mode=MODE.get(method, method),
                  antialias=antialias, convention=convention)


def _numeric_matrix(spec: Resize, case: dict[str, Any], framework: str) -> np.ndarray:
    n = case["n"]
    eye = np.eye(math.prod(n)).reshape((-1, 1, *n))
    out = [int(v) for v in (spec.size or [a * b for a, b in zip(n, spec.scale_factor,
                                                                strict=True)])]
    y = numeric.resample(eye, out, spec.mode.value, framework, spec.antialiased)
    return y.reshape(len(eye), -1).T


def _judge(case: dict[str, Any], res: dict[str, Any], convention: str, framework: str,
           antialias: bool | None, stats: dict[str, int]) -> None:
    assert "shape" in res["call"], (case, res)
    spec = _spec(case, convention, antialias)
    theirs = _dense(res["probe"], res["call"]["shape"], case["n"])
    mode = spec.mode.value
    if mode in IRRATIONAL:
        with pytest.raises(UnsupportedError, match="irrational weights"):
            resize_map(spec, (1, *case["n"]))
    else:
        ours = resize_map(spec, (1, *case["n"])).numeric().toarray()
        tol = 0 if mode == "nearest" else 1e-5
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=tol, err_msg=str(case))
        stats["core"] += 1
    ref = _numeric_matrix(spec, case, framework)
    np.testing.assert_allclose(ref, theirs, rtol=0, atol=1e-5, err_msg=str(case))
    stats["numeric"] += 1


def test_frameworks_agree(answers: dict[str, dict[str, Any]]) -> None:
    stats = {"core": 0, "numeric": 0}
    for case in CASES:
        api = case["api"]
        if api == "tf.image.resize":
            _judge(case, answers["tensorflow"][case["id"]], "tensorflow", "tensorflow",
                   case["antialias"], stats)
        elif api == "jax.image.resize":
            _judge(case, answers["jax"][case["id"]], "jax", "jax", case.get("antialias"),
                   stats)
        else:  # Keras: convention keras is its TensorFlow backend; on JAX it is jax.image
            _judge(case, answers["keras-tensorflow"][case["id"]], "keras", "keras", None,
                   stats)
            res = answers["keras-jax"][case["id"]]
            if case.get("method") == "area":  # not a Keras interpolation on the JAX backend
                assert "ValueError" in res["call"]["error"], res
                continue
            _judge(case, res, "jax", "jax", False, stats)
    assert stats == {"core": 319, "numeric": 499}, stats  # matrices compared


# --------------------------------------------------------------------------- nearest, offline


def test_nearest_float32_departures() -> None:
    """The exact rule and the frameworks' float32 arithmetic disagree on some sizes; symconv
    follows the framework (of the pairs 1..64 x 1..64: TensorFlow 56, JAX 97; the JAX rule was
    checked against jax.image.resize on all 4096 pairs, the frameworks on the grid above)."""
    def exact(n: int, o: int) -> np.ndarray:
        return np.minimum((2 * np.arange(o) + 1) * n // (2 * o), n - 1)

    def src(convention: str, n: int, o: int) -> np.ndarray:
        m = resize_map(Resize(size=o, convention=convention), (1, n))
        return np.asarray(m.cols)[np.argsort(m.rows)]

    tf = [(n, o) for n in range(1, 65) for o in range(1, 65)
          if not np.array_equal(src("tensorflow", n, o), exact(n, o))]
    assert len(tf) == 56 and (2, 41) in tf
    assert src("tensorflow", 2, 41)[20] == 0 and exact(2, 41)[20] == 1
    jax = [(n, o) for n in range(1, 65) for o in range(1, 65)
           if not np.array_equal(src("jax", n, o), exact(n, o))]
    assert len(jax) == 97 and (2, 41) in jax and (6, 61) not in tf
    assert src("jax", 30, 29)[14] == 14 and exact(30, 29)[14] == 15
    assert all(np.array_equal(src("keras", n, o), src("tensorflow", n, o)) for n, o in tf)


def test_keras_upsampling_nearest_is_a_repeat() -> None:
    for n, s in itertools.product(range(1, 12), range(1, 6)):
        m = resize_map(Resize(scale_factor=s, convention="keras"), (1, n))
        assert np.array_equal(np.asarray(m.cols)[np.argsort(m.rows)], np.repeat(np.arange(n), s))


# --------------------------------------------------------------------------- exactness


def _fractions(m: Any) -> dict[tuple[int, int], Fraction]:
    out: dict[tuple[int, int], Fraction] = {}
    for r, c, a, b in zip(m.rows, m.cols, m.num, m.den, strict=True):
        out[int(r), int(c)] = out.get((int(r), int(c)), Fraction(0)) + Fraction(int(a), int(b))
    return out


def _keys(x: Fraction) -> Fraction:
    x = abs(x)
    if x >= 2:
        return Fraction(0)
    if x >= 1:
        return ((-x / 2 + Fraction(5, 2)) * x - 4) * x + 2
    return ((Fraction(3, 2) * x - Fraction(5, 2)) * x) * x + 1


@pytest.mark.parametrize("n,o", [(9, 4), (7, 3), (5, 2), (6, 6), (3, 8)])
def test_antialiased_weights_are_exact(n: int, o: int) -> None:
    """jax linear (triangle) and cubic (Keys, a = -1/2), widened by n/o when downscaling,
    normalised per output: the Fractions written from the definition."""
    ks = max(Fraction(n, o), 1)
    for mode, kernel in (("linear", lambda x: max(Fraction(0), 1 - abs(x))), ("cubic", _keys)):
        got = _fractions(resize_map(Resize(size=o, mode=mode, convention="jax"), (1, n)))
        for i in range(o):
            centre = (i + Fraction(1, 2)) * Fraction(n, o)
            w = [kernel((j + Fraction(1, 2) - centre) / ks) for j in range(n)] if n != o \
                else [Fraction(int(i == j)) for j in range(n)]
            total = sum(w)
            want = {j: wj / total for j, wj in enumerate(w) if wj}
            assert {j: v for (r, j), v in got.items() if r == i and v} == want, (mode, i)


def test_area_and_mitchell_are_exact() -> None:
    m = _fractions(resize_map(Resize(size=3, mode="area", convention="tensorflow"), (1, 7)))
    assert m[0, 0] == m[0, 1] == Fraction(3, 7) and m[0, 2] == Fraction(1, 7)
    m = _fractions(resize_map(Resize(size=3, mode="mitchellcubic", convention="tensorflow"),
                              (1, 3)))
    assert m[0, 0] == Fraction(8, 9) / (Fraction(8, 9) + Fraction(1, 18))  # no widening 3 -> 3
    m = _fractions(linear_map(Resize(size=(3, 2), mode="cubic", convention="tensorflow"),
                              (1, 7, 5)))
    assert all(isinstance(v, Fraction) for v in m.values())
    assert sum(v for (r, _), v in m.items() if r == 0) == 1


def test_tf_bicubic_reads_a_table() -> None:
    """TensorFlow's bicubic (no antialiasing) quantises the fraction to 1/1024; JAX's does
    not: 3 -> 7 differ by about 1e-4, 4 -> 8 (fractions 1/4, 3/4) agree exactly."""
    a = resize_map(Resize(size=7, mode="cubic", convention="tensorflow"), (1, 3))
    b = resize_map(Resize(size=7, mode="cubic", convention="jax"), (1, 3))
    diff = np.abs(a.numeric().toarray() - b.numeric().toarray()).max()
    assert 1e-6 < diff < 1e-3
    a = resize_map(Resize(size=8, mode="cubic", convention="tensorflow"), (1, 4))
    b = resize_map(Resize(size=8, mode="cubic", convention="jax"), (1, 4))
    assert a.equals(b)


# --------------------------------------------------------------------------- spec rules


@pytest.mark.parametrize("kwargs,message", [
    ({"mode": "lanczos3", "convention": "torch"},
     "mode='lanczos3' must be used under convention tensorflow, keras or jax, not torch "
     "(PyTorch has no lanczos3 resize)"),
    ({"mode": "area", "convention": "onnx"},
     "mode='area' must be used under convention tensorflow, keras or jax, not onnx"),
    ({"mode": "gaussian", "convention": "jax"},
     "mode='gaussian' must be used under convention tensorflow, not jax "
     "(jax.image.resize has no gaussian resize)"),
    ({"mode": "mitchellcubic", "convention": "keras"},
     "mode='mitchellcubic' must be used under convention tensorflow, not keras"),
    ({"mode": "linear", "antialias": True, "convention": "torch"},
     "antialias=True must be False under convention torch (symconv does not model PyTorch's "
     "antialiasing)"),
    ({"mode": "cubic", "antialias": True, "convention": "onnx"},
     "antialias=True must be False under convention onnx"),
    ({"mode": "linear", "antialias": 1, "convention": "jax"}, "antialias=1 must be"),
    ({"mode": "cubic", "cubic_coeff_a": "-0.6", "convention": "jax"},
     "cubic_coeff_a=-3/5 with exclude_outside=False must be -1/2 with exclude_outside=True "
     "under convention jax (jax.image.resize fixes Keys' a = -0.5 and drops outside taps)"),
    ({"mode": "area", "coordinate_mode": "asymmetric", "convention": "tensorflow"},
     "coordinate_mode='asymmetric' must be half_pixel with mode='area'"),
    ({"mode": "linear", "align_corners": True, "convention": "jax"},
     "coordinate_mode='align_corners' must be half_pixel with antialias=True"),
    ({"mode": "lanczos5", "nearest_mode": "floor", "convention": "jax"},
     "nearest_mode='floor' must only be set for nearest modes, not mode='lanczos5'"),
])
def test_spec_rules(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidSpecError) as info:
        Resize(size=4, **kwargs)
    text = str(info.value)
    assert text.startswith(message) and "\n" not in text, text


def test_antialias_defaults() -> None:
    assert Resize(size=3, mode="linear", convention="jax").antialiased
    assert not Resize(size=3, mode="linear", convention="tensorflow").antialiased
    assert not Resize(size=3, mode="linear", convention="keras").antialiased
    assert Resize(size=3, mode="linear", antialias=True, convention="jax").antialias is None
    assert Resize(size=3, mode="linear", antialias=False, convention="jax").antialias is False
    assert Resize(size=3, mode="area", antialias=True, convention="tensorflow").antialias is None
    assert not Resize(size=3, antialias=False, convention="torch").antialiased
    spec = Resize(size=3, mode="cubic", convention="keras")
    assert (spec.cubic_coeff_a, spec.exclude_outside) == (Fraction(-1, 2), True)
    with pytest.raises(UnsupportedError, match=r"^mode='gaussian' has irrational weights"):
        resize_map(Resize(size=3, mode="gaussian", convention="tensorflow"), (1, 5))


def test_numeric_rejects() -> None:
    with pytest.raises(InvalidSpecError, match="method='gaussian' must be one of"):
        numeric.resample(np.ones((1, 1, 4)), 2, "gaussian", "jax")
    with pytest.raises(InvalidSpecError, match="framework='torch' must be one of"):
        numeric.resample(np.ones((1, 1, 4)), 2, "linear", "torch")
