"""symconv.theory.fixed: exact substitution of fixed weight values."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy

from symconv import numeric
from symconv.core import avg_pool_map, conv_map, weight_symbols
from symconv.errors import InvalidSpecError
from symconv.spec import AvgPool, Conv
from symconv.theory.fixed import with_fixed_weights


def _obj(values: list[object], shape: tuple[int, ...]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(shape)


def test_fixed_conv_equals_the_reference_conv_with_that_kernel() -> None:
    layer = Conv(kernel=(2, 3), stride=(2, 1), padding=1, groups=2)
    m = conv_map(layer, (4, 5, 4), 2)
    rng = np.random.default_rng(0)
    w = _obj([Fraction(int(v), int(q)) for v, q in zip(rng.integers(-5, 6, 24),
                                                      rng.integers(1, 4, 24), strict=True)],
             (2, 2, 2, 3))
    fixed = with_fixed_weights(m, {"w": w})
    assert fixed.degree == 0 and fixed.weights == ()
    x = rng.integers(-9, 10, (4, 5, 4))
    got = fixed.apply_exact(x)
    want = numeric.conv(x[None].astype(object), w, stride=(2, 1), padding=1, groups=2)[0]
    assert got.shape == want.shape
    assert all(Fraction(a) == Fraction(b) for a, b in zip(got.ravel(), want.ravel(), strict=True))


def test_zero_values_drop_entries_and_coefficients_multiply_exactly() -> None:
    pool = avg_pool_map(AvgPool(kernel=2), (1, 4))  # coefficients 1/2, degree 0
    m = conv_map(Conv(kernel=2), (1, 2), 1) @ pool  # (1, 4): w_0/2, w_0/2, w_1/2, w_1/2
    w = _obj([Fraction(2, 3), 0], (1, 1, 2))
    got = with_fixed_weights(m, {"w": w})
    sw = weight_symbols((1, 1, 2))
    assert got.symbolic() == m.symbolic().subs({sw[0, 0, 0]: Fraction(2, 3), sw[0, 0, 1]: 0})
    assert got.nnz == 2 and set(zip(got.num.tolist(), got.den.tolist(), strict=True)) == {(1, 3)}


def test_partial_substitution_of_a_composition_keeps_the_other_weights() -> None:
    a = conv_map(Conv(kernel=2), (1, 4), 1, weight_name="a")
    b = conv_map(Conv(kernel=2), (1, 3), 1, weight_name="b")
    m = b @ a
    assert m.degree == 2
    values = {"a": np.array([[[3, -1]]])}
    got = with_fixed_weights(m, values)
    assert got.degree == 1 and [w.name for w in got.weights] == ["b"]
    sa = weight_symbols((1, 1, 2), "a")
    want = m.symbolic().subs({sa[0, 0, 0]: 3, sa[0, 0, 1]: -1})
    assert sympy.expand(got.symbolic() - want) == sympy.zeros(2, 4)
    # substituting in the other order gives the same fully fixed map
    both = {"a": values["a"], "b": np.array([[[2, 5]]])}
    assert with_fixed_weights(m, both).equals(
        with_fixed_weights(with_fixed_weights(m, {"b": both["b"]}), {"a": both["a"]}))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: with_fixed_weights(m, {"v": np.ones((1, 1, 2), int)}), "'v'"),
        (lambda m: with_fixed_weights(m, {"w": np.ones((1, 1, 2))}), "exact values only"),
        (lambda m: with_fixed_weights(m, {"w": np.ones((1, 1, 3), int)}), "shape=(1, 1, 3)"),
        (lambda m: with_fixed_weights(m, {"w": np.array([[[True, False]]])}), "exact values"),
    ],
)
def test_bad_arguments_are_rejected(call: object, message: str) -> None:
    m = conv_map(Conv(kernel=2), (1, 3), 1)
    with pytest.raises(InvalidSpecError, match=None) as info:
        call(m)  # type: ignore[operator]
    assert message in str(info.value)


def test_overflow_is_refused() -> None:
    a = conv_map(Conv(kernel=1), (1, 1), 1, weight_name="a")
    m = conv_map(Conv(kernel=1), (1, 1), 1, weight_name="b") @ a
    big = np.array([[[2**40]]], dtype=object)
    with pytest.raises(OverflowError):
        with_fixed_weights(m, {"a": big, "b": big})
