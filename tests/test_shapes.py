"""The known numbers of CONVENTIONS.md as tables, the int/symbolic contract, and the promise that
integer shape arithmetic never imports SymPy."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from fractions import Fraction
from typing import Any

import pytest

import symconv
from symconv import (
    AvgPool,
    Conv,
    ConvTranspose,
    MaxPool,
    MaxUnpool,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
    conv_output_size,
    conv_transpose_output_size,
    output_shape,
    pool_output_size,
    resize_output_size,
    resolve,
    same_padding,
    unpool_output_size,
)

# --------------------------------------------------------------------------- Dumoulin & Visin

# (i, k, s, p, d) -> o, from "A guide to convolution arithmetic" (2016).
DUMOULIN_VISIN = [
    ((4, 3, 1, 0, 1), 2),
    ((5, 4, 1, 2, 1), 6),
    ((5, 3, 1, 1, 1), 5),  # half ("same") padding
    ((5, 3, 1, 2, 1), 7),  # full padding
    ((5, 3, 2, 0, 1), 2),
    ((5, 3, 2, 1, 1), 3),
    ((6, 3, 2, 1, 1), 3),  # the ambiguous one: 5 and 6 both give 3
    ((7, 3, 1, 0, 2), 3),  # dilated
]


@pytest.mark.parametrize(("args", "out"), DUMOULIN_VISIN, ids=[str(a) for a, _ in DUMOULIN_VISIN])
def test_dumoulin_visin_sizes(args: tuple[int, ...], out: int) -> None:
    i, k, s, p, d = args
    assert conv_output_size(i, k, stride=s, padding=p, dilation=d) == out
    for convention in ("onnx", "jax"):  # explicit padding means the same everywhere
        assert conv_output_size(i, k, s, (p, p), d, convention=convention) == out
    assert output_shape(Conv(kernel=k, stride=s, padding=p, dilation=d), (i, i)) == (out, out)


@pytest.mark.parametrize(("args", "out"), DUMOULIN_VISIN, ids=[str(a) for a, _ in DUMOULIN_VISIN])
def test_transposed_conv_with_the_right_output_padding_gives_the_input_back(
    args: tuple[int, ...], out: int
) -> None:
    i, k, s, p, d = args
    a = (i + 2 * p - d * (k - 1) - 1) % s  # Dumoulin & Visin, Relationship 14
    assert conv_transpose_output_size(out, k, s, p, d, output_padding=a) == i
    if a:  # (6, 3, 2, 1): without output_padding the transpose gives 5, not 6
        assert conv_transpose_output_size(out, k, s, p, d) == i - a


# --------------------------------------------------------------------------- SAME padding


@pytest.mark.parametrize(
    ("i", "k", "s", "d", "upper", "lower"),
    [
        (224, 7, 2, 1, (2, 3), (3, 2)),  # the porting trap: the split depends on i
        (225, 7, 2, 1, (3, 3), (3, 3)),
        (5, 4, 1, 1, (1, 2), (2, 1)),
        (6, 1, 3, 1, (0, 0), (0, 0)),  # k < s: the total is clamped at 0
        (7, 3, 1, 2, (2, 2), (2, 2)),
        (10, 2, 3, 2, (1, 1), (1, 1)),
        (11, 3, 3, 2, (1, 2), (2, 1)),
    ],
)
def test_same_padding_split(
    i: int, k: int, s: int, d: int, upper: tuple[int, int], lower: tuple[int, int]
) -> None:
    assert same_padding(i, k, s, d) == upper
    assert same_padding(i, k, s, d, mode="lower") == lower
    out = -(-i // s)
    for convention, mode, pads in [("tensorflow", "SAME", upper), ("keras", "same", upper),
                                   ("jax", "same", upper), ("jax", "same_lower", lower),
                                   ("onnx", "SAME_UPPER", upper), ("onnx", "SAME_LOWER", lower)]:
        if convention in ("tensorflow", "keras") and s > 1 and d > 1:
            continue  # TF/Keras refuse a stride together with a dilation
        r = resolve(Conv(kernel=k, stride=s, dilation=d, padding=mode, convention=convention), i)
        assert r.pads == (pads,) and r.output == (out,), (convention, mode)


@pytest.mark.parametrize(("i", "k", "s"), [(5, 3, 2), (6, 3, 2), (7, 7, 3), (9, 1, 4), (3, 3, 1)])
def test_tensorflow_valid_is_ceil_of_the_valid_positions(i: int, k: int, s: int) -> None:
    expected = -(-(i - k + 1) // s)  # TF: ceil((i - k_eff + 1) / s)
    assert conv_output_size(i, k, s, "VALID", convention="tensorflow") == expected


def test_torch_same_puts_the_extra_unit_at_the_end() -> None:
    r = resolve(Conv(kernel=4, dilation=3, padding="same"), 10)
    assert r.pads == ((4, 5),) and r.output == (10,)


# --------------------------------------------------------------------------- ceil mode


CEIL_CASES = [  # (i, k, s, p) -> o under PyTorch's rule; plain ceil would give the second value
    ((32, 1, 2, 0), 16, 17),
    ((9, 4, 4, 2), 3, 4),
    ((2, 3, 3, 1), 1, 2),
    ((5, 2, 2, 1), 3, 4),
]


@pytest.mark.parametrize(("args", "out", "plain_ceil"), CEIL_CASES,
                         ids=[str(a) for a, _, _ in CEIL_CASES])
def test_ceil_mode_drops_a_window_that_starts_in_the_end_padding(
    args: tuple[int, ...], out: int, plain_ceil: int
) -> None:
    i, k, s, p = args
    assert -(-(i + 2 * p - k) // s) + 1 == plain_ceil  # the naive formula really differs
    for convention in ("torch", "onnx"):
        assert pool_output_size(i, k, s, p, ceil_mode=True, convention=convention) == out
    assert output_shape(AvgPool(kernel=k, stride=s, padding=p, ceil_mode=True), i) == (out,)


def test_ceil_and_floor_agree_when_the_stride_divides() -> None:
    for i in range(3, 20):
        assert pool_output_size(i, 3, 1, ceil_mode=True) == pool_output_size(i, 3, 1)


def test_pool_stride_defaults_to_the_kernel() -> None:
    assert pool_output_size(9, 3) == 3
    assert output_shape(MaxPool(kernel=(2, 3)), (8, 9)) == (4, 3)


# --------------------------------------------------------------------------- transposed conv


def keras_deconv_output_length(
    i: int, k: int, padding: str, output_padding: int | None, s: int, d: int
) -> int:
    """Transcription of keras ``deconv_output_length`` (the kernel is dilated first)."""
    k = k + (k - 1) * (d - 1)
    if output_padding is None:
        return i * s + max(k - s, 0) if padding == "valid" else i * s
    pad = k // 2 if padding == "same" else 0
    return (i - 1) * s + k - 2 * pad + output_padding


KERAS_GRID = [
    (i, k, s, d, padding, op)
    for i in (1, 2, 5)
    for k in (1, 2, 3, 4)
    for s in (1, 2, 3)
    for d in (1, 2)
    for padding in ("valid", "same")
    for op in (None, *range(s))
    if s == 1 or d == 1  # Keras refuses stride > 1 together with dilation > 1
]


@pytest.mark.parametrize(("i", "k", "s", "d", "padding", "op"), KERAS_GRID)
def test_keras_transposed_length_is_deconv_output_length(
    i: int, k: int, s: int, d: int, padding: str, op: int | None
) -> None:
    expected = keras_deconv_output_length(i, k, padding, op, s, d)
    if expected < 1:  # e.g. i=1, k=2, 'same', op=0: Keras says 0, symconv refuses empty outputs
        with pytest.raises(symconv.InvalidSpecError, match="output="):
            conv_transpose_output_size(i, k, s, padding, d, output_padding=op, convention="keras")
        return
    got = conv_transpose_output_size(i, k, s, padding, d, output_padding=op, convention="keras")
    assert got == expected
    assert resolve(ConvTranspose(kernel=k, stride=s, dilation=d, padding=padding,
                                 output_padding=op, convention="keras"), i).output == (expected,)


@pytest.mark.parametrize("i", [1, 2, 5])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("s", [1, 2, 3])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_jax_conv_transpose_sizes(i: int, k: int, s: int, d: int) -> None:
    keff = d * (k - 1) + 1  # lax.conv_transpose dilates the kernel before padding
    assert conv_transpose_output_size(i, k, s, "SAME", d, convention="jax") == i * s
    valid = conv_transpose_output_size(i, k, s, "VALID", d, convention="jax")
    assert valid == i * s + max(keff - s, 0)


@pytest.mark.parametrize(
    ("target", "mode", "pads", "op"),
    [
        (6, "notset", (1, 0), 0),  # total 1: NOTSET puts the larger half first
        (6, "same_lower", (1, 0), 0),
        (6, "same_upper", (0, 1), 0),  # SAME_UPPER: total//2 first (onnx PR #2095)
        (5, "same_upper", (1, 1), 0),
        (3, "notset", (2, 2), 0),  # smaller than the op=0 size: crop on both sides
        (4, "same_upper", (1, 2), 0),
        (4, "same_lower", (2, 1), 0),
        (8, "notset", (0, 0), 1),  # larger than the full extent: zeros appended at the end
    ],
)
def test_onnx_output_shape_split(target: int, mode: str, pads: tuple[int, int], op: int) -> None:
    # n=3, k=3, s=2: full extent (n-1)s + k = 7, total padding = 7 - output_shape
    r = resolve(ConvTranspose(kernel=3, stride=2, padding=mode, output_size=target,
                              convention="onnx"), 3)
    assert (r.output, r.pads, r.output_padding) == ((target,), (pads,), (op,))


def test_onnx_auto_pad_same_gives_input_times_stride() -> None:
    # n*s, except that onnxruntime and shape inference clamp a negative total padding at 0:
    # when the kernel is shorter than the stride the output is the unpadded (n-1)s + k.
    for n in range(1, 6):
        for k in range(1, 5):
            for s in range(1, 4):
                for mode in ("SAME_UPPER", "SAME_LOWER"):
                    spec = ConvTranspose(kernel=k, stride=s, padding=mode, convention="onnx")
                    assert output_shape(spec, n) == (min(n * s, (n - 1) * s + k),)


@pytest.mark.parametrize(("n", "lo", "hi"), [(4, 7, 8), (1, 1, 2), (3, 5, 6)])
def test_tensorflow_transposed_same_accepts_exactly_its_range(n: int, lo: int, hi: int) -> None:
    def size(target: int) -> int:
        spec = ConvTranspose(kernel=3, stride=2, padding="SAME", output_size=target,
                             convention="tensorflow")
        return output_shape(spec, n)[0]

    assert [size(t) for t in range(lo, hi + 1)] == list(range(lo, hi + 1))
    for bad in (lo - 1, hi + 1):
        if bad >= 1:
            with pytest.raises(symconv.InvalidSpecError):
                size(bad)


# --------------------------------------------------------------------------- other layers


def test_unpool_resize_and_shuffle_sizes() -> None:
    assert unpool_output_size(3, 2) == 6
    assert unpool_output_size(3, 3, 2, 1) == 5
    assert resolve(MaxUnpool(kernel=2, output_size=7), 3).output == (7,)
    assert resize_output_size(5, 1.5) == 7
    assert resize_output_size(7, "2/3") == 4
    assert resize_output_size(30, 0.1) == 3
    assert resize_output_size(100, 0.57) == 56  # double, as PyTorch
    assert resize_output_size(100, 0.57, convention="onnx") == 57  # float32, as onnxruntime
    assert resize_output_size(100, "0.57") == 57  # exact
    assert output_shape(Resize(size=(3, 4)), (9, 9)) == (3, 4)
    assert output_shape(PixelShuffle(factor=3), (2, 5)) == (6, 15)
    assert output_shape(PixelUnshuffle(factor=2), (4, 6)) == (2, 3)
    assert symconv.output_channels(PixelShuffle(factor=2), 12, ndim=2) == 3
    assert symconv.output_channels(PixelUnshuffle(factor=2), 3, ndim=3) == 24


# --------------------------------------------------------------------------- int in, int out

INT_CALLS: list[tuple[str, Any]] = [
    ("conv", lambda: conv_output_size(9, 3, 2, 1)),
    ("conv same tf", lambda: conv_output_size(9, 3, 2, "SAME", convention="tensorflow")),
    ("transpose", lambda: conv_transpose_output_size(4, 3, 2, 1, output_padding=1)),
    ("transpose keras", lambda: conv_transpose_output_size(4, 3, 2, "same", convention="keras")),
    ("pool ceil", lambda: pool_output_size(9, 4, 4, 2, ceil_mode=True)),
    ("unpool", lambda: unpool_output_size(3, 2)),
    ("resize float", lambda: resize_output_size(5, 1.5)),
    ("resize fraction", lambda: resize_output_size(5, Fraction(2, 3))),
    ("same", lambda: same_padding(224, 7, 2)),
    ("resolve", lambda: resolve(Conv(kernel=3, stride=2, padding="same_lower",
                                     convention="onnx"), (7, 8)).pads),
    ("numpy ints", lambda: conv_output_size(__import__("numpy").int64(9), 3)),
]


def _ints(value: Any) -> bool:
    if isinstance(value, tuple):
        return all(_ints(v) for v in value)
    return type(value) is int


@pytest.mark.parametrize("call", [c for _, c in INT_CALLS], ids=[n for n, _ in INT_CALLS])
def test_int_inputs_give_plain_ints(call: Any) -> None:
    assert _ints(call())


# --------------------------------------------------------------------------- symbolic sizes

N_GRID = range(1, 25)


def _agrees_on_grid(expr: Any, n: Any, int_path: Any) -> None:
    """``expr`` (a SymPy expression in n) equals the int path wherever the int path accepts."""
    import sympy

    assert isinstance(expr, sympy.Basic) and expr.free_symbols <= {n}
    checked = 0
    for v in N_GRID:
        try:
            expected = int_path(v)
        except symconv.InvalidSpecError:
            continue
        got = expr.subs(n, v)
        assert got == expected and got.is_Integer, f"n={v}: {expr} -> {got}, ints give {expected}"
        checked += 1
    assert checked >= 5


HYPER = [(k, s, p, d) for k in (1, 2, 3, 5) for s in (1, 2, 3) for p in (0, 1, 2) for d in (1, 2)]


@pytest.fixture(scope="module")
def n() -> Any:
    sympy = pytest.importorskip("sympy")
    return sympy.Symbol("n", integer=True, positive=True)


@pytest.mark.parametrize(("k", "s", "p", "d"), HYPER)
def test_symbolic_conv_and_transpose_agree_with_ints(n: Any, k: int, s: int, p: int, d: int) -> None:
    _agrees_on_grid(conv_output_size(n, k, s, p, d), n, lambda v: conv_output_size(v, k, s, p, d))
    _agrees_on_grid(conv_transpose_output_size(n, k, s, p, d, output_padding=s - 1), n,
                    lambda v: conv_transpose_output_size(v, k, s, p, d, output_padding=s - 1))
    _agrees_on_grid(conv_output_size(n, k, s, (p, p + 1), d), n,
                    lambda v: conv_output_size(v, k, s, (p, p + 1), d))


@pytest.mark.parametrize(("k", "s", "p"), [(k, s, p) for k in (1, 2, 3, 4) for s in (1, 2, 3)
                                           for p in range(k // 2 + 1)])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_symbolic_pool_agrees_with_ints(n: Any, k: int, s: int, p: int, ceil_mode: bool) -> None:
    _agrees_on_grid(pool_output_size(n, k, s, p, ceil_mode=ceil_mode), n,
                    lambda v: pool_output_size(v, k, s, p, ceil_mode=ceil_mode))
    _agrees_on_grid(unpool_output_size(n, k, s, p), n, lambda v: unpool_output_size(v, k, s, p))


@pytest.mark.parametrize(
    "layer",
    [
        Conv(kernel=7, stride=2, padding="SAME", convention="tensorflow"),
        Conv(kernel=4, stride=3, dilation=2, padding="same_lower", convention="onnx"),
        Conv(kernel=1, stride=3, padding="same_upper", convention="onnx"),
        Conv(kernel=3, stride=2, padding="VALID", convention="tensorflow"),
        Conv(kernel=4, dilation=3, padding="same"),
        Conv(kernel=3, padding="causal", convention="keras"),
        MaxPool(kernel=3, stride=2, padding="SAME", convention="tensorflow"),
        ConvTranspose(kernel=3, stride=2, padding="same_upper", convention="onnx"),
        ConvTranspose(kernel=4, stride=2, padding="same", convention="keras"),
        ConvTranspose(kernel=3, stride=2, padding="valid", convention="keras", output_padding=1),
        ConvTranspose(kernel=5, stride=2, padding="VALID", convention="jax"),
        ConvTranspose(kernel=1, stride=3, padding="SAME", convention="jax"),
        Resize(scale_factor="2/3"),
        PixelUnshuffle(factor=1),
    ],
    ids=repr,
)
def test_symbolic_resolve_agrees_with_ints(n: Any, layer: Any) -> None:
    r = resolve(layer, n)
    _agrees_on_grid(r.output[0], n, lambda v: resolve(layer, v).output[0])
    _agrees_on_grid(r.pads[0][0] + n - n, n, lambda v: resolve(layer, v).pads[0][0])
    _agrees_on_grid(r.pads[0][1] + n - n, n, lambda v: resolve(layer, v).pads[0][1])


@pytest.mark.parametrize("mode", ["upper", "lower"])
def test_same_padding_symbolic(n: Any, mode: str) -> None:
    b, e = same_padding(n, 7, 2, mode=mode)
    _agrees_on_grid(b + n - n, n, lambda v: same_padding(v, 7, 2, mode=mode)[0])
    _agrees_on_grid(e + n - n, n, lambda v: same_padding(v, 7, 2, mode=mode)[1])


# --------------------------------------------------------------------------- no SymPy for ints

_NO_SYMPY = textwrap.dedent(
    """
    import sys
    {imports}
    import symconv
    from symconv import (AvgPool, Conv, ConvTranspose, MaxPool, MaxUnpool, PixelShuffle,
                         PixelUnshuffle, Resize, output_channels, output_shape, resolve)
    assert symconv.conv_output_size(224, 7, 2, "SAME", convention="tensorflow") == 112
    symconv.conv_output_size(9, 3, 2, (1, 0), 2, convention="onnx")
    symconv.conv_transpose_output_size(4, 3, 2, "same", convention="keras")
    symconv.conv_transpose_output_size(4, 3, 2, 1, output_padding=1)
    symconv.pool_output_size(9, 4, 4, 2, ceil_mode=True)
    symconv.unpool_output_size(3, 2)
    symconv.resize_output_size(5, "1.5")
    symconv.resize_output_size(100, 0.57, convention="onnx")
    symconv.same_padding(225, 7, 2, mode="lower")
    for layer in [Conv(kernel=3, padding="same_lower", stride=2, convention="jax"),
                  ConvTranspose(kernel=3, stride=2, output_size=8, convention="onnx"),
                  ConvTranspose(kernel=3, stride=2, padding="VALID", output_size=(17, 21),
                                convention="tensorflow"),
                  MaxPool(kernel=2, ceil_mode=True), AvgPool(kernel=3, padding=1),
                  MaxUnpool(kernel=2, output_size=(17, 21)), Resize(scale_factor=(2, "1/3")),
                  PixelShuffle(factor=2), PixelUnshuffle(factor=2)]:
        output_shape(layer, (8, 10))
        output_channels(layer, 8, ndim=2)
    try:
        resolve(Conv(kernel=9), 3)
    except symconv.InvalidSpecError:
        pass
    print(sorted(m for m in ("sympy", "numpy", "scipy") if m in sys.modules))
    """
)


@pytest.mark.parametrize("imports", ["", "import symconv.sizes.shapes", "import symconv.spec",
                                     "import symconv.sizes.shapes, symconv.spec, symconv.sizes.formulas"])
def test_integer_shape_arithmetic_does_not_import_sympy(imports: str) -> None:
    code = _NO_SYMPY.format(imports=imports)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"imported: {done.stdout.strip()}"
