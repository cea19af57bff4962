"""Theorem T21: every output-size formula equals the brute-force window count, for all sizes.

Two kinds of proof live here.

**Per layer, all input sizes** (:func:`prove_output_size`).  Fix a layer's hyper-parameters and
one axis.  Let ``f(n)`` be the closed form (:func:`symconv.sizes.shapes.resolve`) and ``g(n)`` the count
from the definitions (:func:`symconv.sizes.bruteforce.brute_output_size`); each is either a size or a
rejection.  Both are *quasi-affine* in ``n``: sums of ``floor((a n + b) / c)`` terms, so that past
a threshold ``n0`` each equals ``alpha n + (a function of n mod L)`` for a common period ``L``
(conv, pooling and every SAME mode: ``L = s``; transposed conv, max-unpooling, pixel shuffle:
``L = 1``; pixel unshuffle: ``L = r``; resize by ``p/q``: ``L = q``; adaptive pooling, whose
output is the constant ``o`` or the identity ``n``: ``L = 1``), and the sizes each side
accepts past ``n0`` form a union of residue classes mod ``L``.  Hence ``h = f - g`` satisfies
``h(n + L) - h(n) = const`` there, and ``h = 0`` on the ``2L`` consecutive sizes
``n0 .. n0 + 2L - 1`` proves ``h = 0`` for every ``n >= n0`` (the constant is ``h(n0+L) - h(n0)
= 0``, and every residue class has a zero).  Below ``n0`` (the first size the definition accepts,
found by a search bounded by a proven bound such as ``k_eff`` or ``k_eff + pb + pe``) every size
is checked: the closed-form path must raise :class:`~symconv.errors.InvalidSpecError` exactly
where the definition gives no output.  For windowed layers the padding the closed form applies
is compared with the definition's too (SAME paddings depend on ``n``, through ``n mod s`` only,
so the same ``2L`` sizes cover them).

The premise on ``f`` is read off :mod:`symconv.sizes.formulas` and :mod:`symconv.sizes.shapes`: outputs are
``floor``/``ceil``/``max`` of affine terms in ``n`` and rejections are the inequalities
``n + pb + pe < k_eff``, ``output < 1`` (both monotone in ``n``) or ``n mod r != 0``.  A
closed form injected through ``closed_form=`` is assumed quasi-affine with the same period.

**Parameter-general identities** (:func:`prove_identities`), proven by SymPy for symbolic
``n, k, s, p, d`` (rewrite ``Mod`` through ``floor``, expand, re-evaluate ``floor``/``ceiling``
under the symbols' assumptions, compare with 0; never ``simplify``) and checked on a grid of
concrete integers.  SymPy is imported only inside those functions.

>>> from symconv import MaxPool
>>> proof = prove_output_size(MaxPool(kernel=1, stride=2, ceil_mode=True))
>>> proof.verdict, proof.threshold, proof.period, proof.checked
(True, 1, 2, (1, 2, 3, 4))
>>> plain_ceil = lambda n: -(-(n - 1) // 2) + 1      # ceil((n - k)/s) + 1, the wrong rule
>>> bad = prove_output_size(MaxPool(kernel=1, stride=2, ceil_mode=True), closed_form=plain_ceil)
>>> bad.verdict, bad.counterexample, bad.expected, bad.got
(False, 2, 1, 2)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

from symconv._params import fmt
from symconv.errors import InvalidSpecError, ProofError, UnsupportedError
from symconv.sizes import bruteforce as B
from symconv.sizes.shapes import resolve, size_period
from symconv.spec import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    Conv,
    Convention,
    ConvTranspose,
    Layer,
    MaxPool,
    MaxUnpool,
    PadMode,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
)

__all__ = [
    "GRID",
    "MAX_PROOF_STEPS",
    "Identity",
    "IdentitySymbols",
    "SizeProof",
    "check_identity",
    "check_proof_cost",
    "identity_symbols",
    "proof_cost",
    "prove_all_axes",
    "prove_identities",
    "prove_output_size",
]


# =========================================================================== per-layer proof


@dataclass(frozen=True, slots=True)
class SizeProof:
    """Result of T21 for one layer and one axis.

    ``threshold`` is ``n0``, the first size the definition accepts; ``period`` is ``L``;
    ``checked`` lists every size compared (``1 .. n0 + 2L - 1``, or up to the first
    counterexample).  When ``verdict`` is False, ``counterexample`` is the first size where the
    closed form and the brute force disagree, ``expected`` the brute-force size and ``got`` the
    closed-form size, ``None`` standing for a rejection.  For windowed layers the padding the
    closed form applies is compared with the definition's too (SAME and causal paddings depend
    on ``n``); a padding mismatch is described in ``detail``.
    """

    layer: Layer
    axis: int
    threshold: int
    period: int
    checked: tuple[int, ...]
    verdict: bool
    counterexample: int | None
    expected: int | None
    got: int | None
    argument: str
    detail: str = ""

    def __post_init__(self) -> None:
        if self.period < 1 or self.threshold < 1:
            raise InvalidSpecError(
                f"period={self.period} and threshold={self.threshold} must be positive"
            )
        if self.verdict != (self.counterexample is None):
            raise InvalidSpecError(
                f"verdict={self.verdict} must be True exactly when counterexample is None"
            )

    def __str__(self) -> str:
        head = f"T21 for {self.layer!r} on axis {self.axis}: "
        span = _span(self.checked)
        if self.verdict:
            return (
                f"{head}proven. The closed-form output size equals the brute-force count for "
                f"every input size n >= 1 (threshold n0={self.threshold}, period "
                f"L={self.period}, checked n in {span}). {self.argument}"
            )
        what = (
            f"the closed form gives {_show(self.got)} but the definition gives "
            f"{_show(self.expected)}" if self.expected != self.got else self.detail
        )
        return (
            f"{head}FALSE. At n={self.counterexample} {what} (checked n in {span}). "
            f"{self.argument}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the layer as its repr)."""
        return {
            "theorem": "T21",
            "layer": repr(self.layer),
            "axis": self.axis,
            "threshold": self.threshold,
            "period": self.period,
            "checked": list(self.checked),
            "verdict": self.verdict,
            "counterexample": self.counterexample,
            "expected": self.expected,
            "got": self.got,
            "argument": self.argument,
            "detail": self.detail,
        }


def _show(size: int | None) -> str:
    return "a rejection" if size is None else str(size)


def _span(sizes: tuple[int, ...]) -> str:
    if not sizes:
        return "{}"
    if sizes == tuple(range(sizes[0], sizes[-1] + 1)):
        return f"[{sizes[0]}, {sizes[-1]}]"
    return "{" + ", ".join(map(str, sizes)) + "}"


def prove_output_size(
    layer: Layer, axis: int = 0, *, closed_form: Callable[[int], int] | None = None
) -> SizeProof:
    """Prove T21 for ``layer`` on ``axis``: closed form == brute force for every ``n >= 1``.

    A spec without an explicit rank (``ndim=None``) is proven as a 1-D layer (it acts on every
    axis alike); for an N-D spec the other axes are held at their smallest accepted size.

    Parameters
    ----------
    layer
        Any :mod:`symconv.spec` layer.
    axis
        The spatial axis to prove.
    closed_form
        Replaces the closed form: a function of the size on ``axis`` returning the output size
        or raising :class:`~symconv.errors.InvalidSpecError` for a rejected size (used to show
        the proof can fail).  Assumed quasi-affine with the layer's period.

    Returns
    -------
    SizeProof
        ``verdict`` True, or the first counterexample.

    Raises
    ------
    UnsupportedError
        When the output size is not a function of ``n`` alone (``output_size`` given,
        TensorFlow transposed convolutions) or not quasi-affine (float resize scales).
    InvalidSpecError
        For an ``axis`` the spec does not have.
    ProofError
        When no accepted size exists below the proven search bound (a bug, never expected).

    Examples
    --------
    >>> from symconv import Conv
    >>> p = prove_output_size(Conv(kernel=7, stride=2, padding="SAME", convention="tensorflow"))
    >>> p.verdict, p.threshold, p.period
    (True, 1, 2)
    >>> prove_output_size(Conv(kernel=5, padding=1)).threshold    # n + 2 >= 5
    3
    """
    if layer.ndim is None:
        if axis != 0:
            raise InvalidSpecError(
                f"axis={axis} must be 0 for a spec without ndim (it acts on every axis alike; "
                "use prove_all_axes(layer, ndim) for an N-D spec)"
            )
        return _prove(layer.at(1), 0, closed_form)
    if not 0 <= axis < layer.ndim:
        raise InvalidSpecError(f"axis={axis} must be in [0, {layer.ndim}) for this layer")
    return _prove(layer, axis, closed_form)


def prove_all_axes(layer: Layer, ndim: int) -> tuple[SizeProof, ...]:
    """T21 on every axis of ``layer`` broadcast to ``ndim`` spatial axes.

    >>> from symconv import MaxPool
    >>> [p.verdict for p in prove_all_axes(MaxPool(kernel=(3, 2), ceil_mode=True), 2)]
    [True, True]
    """
    spec = layer.at(ndim)
    return tuple(_prove(spec, a, None) for a in range(ndim))


#: Most elementary steps (loop iterations of the brute-force counts) one T21 proof may take,
#: estimated by :func:`proof_cost` before it starts (an upper bound; at most about 10 s).
MAX_PROOF_STEPS = 40_000_000


def proof_cost(spec: Any, axis: int = 0) -> tuple[int, int]:
    """``(sizes, steps)``: an upper bound on the input sizes T21 checks on ``axis`` (the
    threshold search up to the proven bound ``B``, then ``n0 + 2L - 1 <= B + 2L - 1`` sizes)
    and on the loop steps of their brute-force counts (each count's loops are bounded by
    their largest size's, :func:`_brute_steps`).  Integers only: computed before any loop.

    >>> from symconv import Conv
    >>> proof_cost(Conv(kernel=3, stride=2).at(1))
    (6, 1020)
    """
    nd = spec.ndim or 1
    bounds = [_search_bound(spec, b) for b in range(nd)]
    period = _period(spec, axis)
    steps = 0
    n0 = bounds[axis]
    for b in range(nd):  # the threshold searches: the other axes are held at theirs
        t = _closed_threshold(spec, b, bounds)
        steps += t * (_brute_steps(spec, b, t) + 20)
        if b == axis:
            n0 = t
    sizes = n0 + 2 * period - 1
    return sizes, steps + sizes * (_brute_steps(spec, axis, sizes) + 20)


def _closed_threshold(spec: Any, a: int, bounds: list[int]) -> int:
    """The smallest size the closed form accepts on axis ``a`` (binary search: acceptance
    grows with the size, except a pixel unshuffle's, whose threshold is its factor), the
    estimate of ``n0`` for :func:`proof_cost`; at most the proven search bound."""
    if isinstance(spec, PixelUnshuffle):
        return int(spec.factor)
    lo, hi = 1, bounds[a]

    def accepts(n: int) -> bool:
        try:
            resolve(spec, tuple(n if b == a else bounds[b] for b in range(len(bounds))))
        except InvalidSpecError:
            return False
        return True

    while lo < hi:
        mid = (lo + hi) // 2
        if accepts(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _brute_steps(spec: Any, a: int, n: int) -> int:
    """Loop steps of one brute-force count (:mod:`symconv.sizes.bruteforce`) at size ``n``."""
    if isinstance(spec, Conv | MaxPool | AvgPool):
        k, s, d = spec.kernel[a], spec.stride[a], spec.dilation[a]
        pads = spec.padding[a] if isinstance(spec.padding, tuple) else (0, 0)
        # windows + 1 iterations of the window loop, each the k taps of one window
        windows = max(n + abs(pads[0]) + abs(pads[1]) - d * (k - 1), 0) // s + 1
        same = d * (k - 1) + 1 if isinstance(spec.padding, PadMode) else 1
        ceil = 2 if getattr(spec, "ceil_mode", False) else 1  # the starts list, one more end
        return (windows + 1) * (k + 25) * same * ceil
    if isinstance(spec, ConvTranspose | MaxUnpool):
        k, s = spec.kernel[a], spec.stride[a]
        d = getattr(spec, "dilation", (1,) * (a + 1))[a]
        keff = d * (k - 1) + 1
        pads = spec.padding[a] if isinstance(spec.padding, tuple) else (0, 0)
        scatter = (n + 1) * (k + s + 1) + abs(pads[0]) + abs(pads[1]) + keff
        if isinstance(spec, ConvTranspose) and spec.padding in (
                PadMode.SAME, PadMode.SAME_UPPER, PadMode.SAME_LOWER):
            # same_transpose_length: about s candidate sizes, a SAME count of n + 3 windows
            # over at most k_eff paddings each
            return scatter + (s + 1) * (n + 3) * (k + 8) * keff
        return scatter
    if isinstance(spec, Resize):
        if spec.size is not None:
            return 1
        f = Fraction(spec.scale_factor[a])
        return n * f.numerator // f.denominator + 2
    if isinstance(spec, PixelShuffle):
        return n * spec.factor + 1
    if isinstance(spec, PixelUnshuffle):
        return 2 * (n // spec.factor + 2)
    if isinstance(spec, AdaptiveAvgPool | AdaptiveMaxPool):
        o = spec.output_size[a]
        o = n if o is None else int(o)
        return o * (n + 2) + n + 2
    return n + 1


def _period_parameters(spec: Any, a: int) -> str:
    """The parameters that make a proof long: those setting its period and its threshold."""
    names = ("stride", "factor", "kernel", "dilation", "scale_factor", "output_size")
    shown = []
    for name in names:
        value = getattr(spec, name, None)
        if isinstance(value, tuple) and len(value) > a and value[a] is not None:
            shown.append(f"{name}={fmt(value[a])}")
        elif isinstance(value, int) and not isinstance(value, bool):
            shown.append(f"{name}={fmt(value)}")
    return ", ".join(shown)


def check_proof_cost(spec: Any, axis: int) -> None:
    """Refuse, before it starts, a T21 proof longer than :data:`MAX_PROOF_STEPS`."""
    sizes, steps = proof_cost(spec, axis)
    if steps > MAX_PROOF_STEPS:
        raise InvalidSpecError(
            f"{_period_parameters(spec, axis)} (axis {axis}) must keep the T21 proof within "
            f"{MAX_PROOF_STEPS:,} brute-force steps: it checks every input size up to n0 + 2L "
            f"- 1 (L={fmt(_period(spec, axis))}, the size period; here up to {fmt(sizes)} "
            f"sizes, about {fmt(steps)} steps)"
        )


def _prove(spec: Any, axis: int, closed_form: Callable[[int], int] | None) -> SizeProof:
    _check_provable(spec)
    check_proof_cost(spec, axis)
    nd = spec.ndim or 1
    period = _period(spec, axis)
    anchors = [_threshold(spec, b) for b in range(nd)]

    windowed = isinstance(spec, Conv | MaxPool | AvgPool)

    def f(n: int) -> tuple[int | None, tuple[int, int] | None]:
        """Closed-form output and (for windowed layers) the padding it applies."""
        try:
            if closed_form is not None:
                return closed_form(n), None
            sizes = tuple(n if b == axis else anchors[b] for b in range(nd))
            r = resolve(spec, sizes)
            pads = (int(r.pads[axis][0]), int(r.pads[axis][1])) if windowed else None
            return int(r.output[axis]), pads
        except InvalidSpecError:
            return None, None

    n0 = anchors[axis]
    argument = _argument(spec, axis, period, n0)
    checked: list[int] = []
    for n in range(1, n0 + 2 * period):
        checked.append(n)
        expected = B.brute_output_size(spec, n, axis)
        got, pads = f(n)
        if expected != got:
            return SizeProof(spec, axis, n0, period, tuple(checked), False, n, expected, got,
                             argument)
        if pads is not None and expected is not None:
            want = B.brute_padding(spec, n, axis)
            if pads != want:
                count = B.conv_windows(n, spec.kernel[axis], spec.stride[axis], *pads,
                                       spec.dilation[axis])
                detail = (f"the closed form pads {pads} where the definition pads {want} "
                          f"(its padding fits {count} windows)")
                return SizeProof(spec, axis, n0, period, tuple(checked), False, n, expected,
                                 got, argument, detail)
    return SizeProof(spec, axis, n0, period, tuple(checked), True, None, None, None, argument)


def _check_provable(spec: Any) -> None:
    """Refuse specs whose output size is not a quasi-affine function of the input size."""
    if isinstance(spec, Resize) and spec.scale_factor is not None:
        floats = [v for v in spec.scale_factor if isinstance(v, float)]
        if floats:
            raise UnsupportedError(
                f"scale_factor={floats[0]!r} is a float: the frameworks compute floor(n * scale) "
                "in floating point, which is not quasi-affine in exact arithmetic, so T21 does "
                "not apply (give an int, a Fraction or a string such as '3/2')"
            )
    if isinstance(spec, ConvTranspose | MaxUnpool) and spec.output_size is not None:
        raise UnsupportedError(
            f"output_size={spec.output_size!r} fixes the output: it is not a function of the input "
            "size, so T21 does not apply (prove dataclasses.replace(layer, output_size=None); "
            "the admissible input sizes for a requested output are an inverse problem)"
        )
    if isinstance(spec, ConvTranspose) and spec.convention is Convention.TENSORFLOW:
        raise UnsupportedError(
            "convention='tensorflow' transposed convolutions require output_shape, so their "
            "size is not a function of the input size and T21 does not apply"
        )


def _keff(spec: Any, a: int) -> int:
    return int(spec.dilation[a] * (spec.kernel[a] - 1) + 1)


def _period(spec: Any, a: int) -> int:
    """The common period ``L`` of closed form and brute force on axis ``a``."""
    return size_period(spec, a)[0]


def _search_bound(spec: Any, a: int) -> int:
    """A size the definition provably accepts, so the threshold search stops by it.

    Windows: ``n = k_eff - min(pb + pe, 0)`` fits a window at 0 whatever the padding (and it
    starts in the input, for ceil mode).
    Transposed conv: ``n = k_eff + |pb + pe|`` leaves ``(n-1)s + k_eff - pb - pe >= 2 k_eff - 1``
    positions (JAX explicit pads: ``>= n + 1 - k_eff + lo + hi >= 1``; Keras crops at most
    ``k_eff//2`` per side; SAME/VALID give ``>= n s``).  Unpooling: ``k + pb + pe``.  Resize by
    ``p/q``: ``n = q`` gives ``p >= 1``.  Unshuffle: ``n = r``.
    """
    if isinstance(spec, Conv | MaxPool | AvgPool):
        pads = spec.padding[a] if isinstance(spec.padding, tuple) else (0, 0)
        return _keff(spec, a) - min(pads[0] + pads[1], 0)
    if isinstance(spec, ConvTranspose | MaxUnpool):
        pads = spec.padding[a] if isinstance(spec.padding, tuple) else (0, 0)
        return _keff(spec, a) + abs(pads[0] + pads[1])
    if isinstance(spec, PixelUnshuffle):
        return int(spec.factor)
    return _period(spec, a)


def _threshold(spec: Any, a: int) -> int:
    """``n0``: the smallest size the definition accepts on axis ``a``."""
    bound = _search_bound(spec, a)
    for n in range(1, bound + 1):
        if B.brute_output_size(spec, n, a) is not None:
            return n
    raise ProofError(
        f"no input size in [1, {bound}] is accepted by the definition of {spec!r} on axis {a}, "
        "contradicting the proven search bound"
    )


def _argument(spec: Any, a: int, period: int, n0: int) -> str:
    """The proof, in words, for this layer kind."""
    g = _definition(spec, a)
    return (
        f"Argument: {g} Both g and the closed form f are quasi-affine in n with period "
        f"L={period} past n0={n0} (sums of floor((a n + b)/c) terms; the accepted sizes form "
        f"residue classes mod L), so h = f - g has h(n+L) - h(n) constant there; h = 0 on the "
        f"2L sizes {n0}..{n0 + 2 * period - 1} makes that constant 0 and h vanish on every "
        f"residue class, hence for all n >= n0. Every size below n0 was checked: both reject."
    )


def _definition(spec: Any, a: int) -> str:
    """How the brute force counts, and why it is quasi-affine."""
    if isinstance(spec, Conv | MaxPool | AvgPool):
        k, s, d = spec.kernel[a], spec.stride[a], spec.dilation[a]
        keff = _keff(spec, a)
        pad = spec.padding
        same = pad in (PadMode.SAME, PadMode.SAME_UPPER, PadMode.SAME_LOWER)
        if pad is PadMode.CAUSAL:
            pads = f"a left padding d(k-1)={keff - 1}"
        elif same:
            pads = (f"the smallest total padding P(n) for which ceil(n/{s}) windows fit, which "
                    f"depends on n mod {s} only")
        elif pad is PadMode.VALID:
            pads = "no padding"
        else:
            pads = f"padding {pad[a][0]}+{pad[a][1]}"
        if getattr(spec, "ceil_mode", False) and not same:
            return (
                f"g(n) counts windows t >= 0 (start t*{s}, extent k_eff={keff}, k={k}, d={d}) "
                f"with {pads} that start before the end padding and overhang the padded input "
                f"by fewer than s={s} positions (ceil mode): #{{t : t*{s} < n + pb, "
                f"t*{s} + {keff} < n + pb + pe + {s}}}, a floor of an affine function of n."
            )
        return (
            f"g(n) counts windows t >= 0 (start t*{s}, extent k_eff={keff}, k={k}, d={d}) that "
            f"fit in the input with {pads}: #{{t : t*{s} + {keff} <= n + P}}, a floor of an "
            f"affine function of n."
        )
    if isinstance(spec, ConvTranspose) and spec.padding is PadMode.CIRCULAR:
        return (f"g(n) = n s with s={spec.stride[a]}: flax's 'CIRCULAR' sums the full "
                "transposed output's periods of n s, an affine function of n.")
    if isinstance(spec, ConvTranspose):
        return (
            f"g(n) is the extent of the scatter of n inputs over k={spec.kernel[a]} taps with "
            f"stride {spec.stride[a]} and dilation {spec.dilation[a]} (1 + (n-1)s + d(k-1)), "
            f"cropped and padded as convention {spec.convention.value} defines (SAME: the "
            f"largest size whose SAME conv gives n), an affine function of n."
        )
    if isinstance(spec, MaxUnpool):
        return (
            f"g(n) is the extent of the scatter of n inputs over a window of "
            f"k={spec.kernel[a]} with stride {spec.stride[a]}, minus the pooling padding, an "
            f"affine function of n."
        )
    if isinstance(spec, Resize):
        if spec.size is not None:
            return f"g(n) is the requested size {spec.size[a]}, a constant."
        sf = Fraction(spec.scale_factor[a])
        return (
            f"g(n) counts output pixels j with (j+1)*{sf.denominator} <= n*{sf.numerator}, "
            f"i.e. floor(n*{sf}), quasi-affine with period {sf.denominator}."
        )
    if isinstance(spec, PixelShuffle):
        return f"g(n) counts the positions i*{spec.factor} + c (c < {spec.factor}): linear in n."
    if isinstance(spec, AdaptiveAvgPool | AdaptiveMaxPool):
        o = spec.output_size[a]
        if o is None:
            return ("g(n) counts the windows [i, i+1), i < n, of the axis the layer keeps: n, "
                    "linear in n.")
        return (
            f"g(n) counts the windows i < {o} of [floor(i n/{o}), ceil((i+1) n/{o})) that are "
            f"non-empty, inside [0, n) and cover it. For every n >= 1 each is: (i+1) n/{o} > "
            f"i n/{o} and ceil(x) > floor(y) when x > y; 0 <= floor(i n/{o}) and "
            f"ceil((i+1) n/{o}) <= n as i+1 <= {o}; consecutive windows meet or overlap since "
            f"ceil(i n/{o}) >= floor(i n/{o}), from 0 to n. So g(n) = {o}, a constant."
        )
    return (
        f"g(n) counts the {spec.factor}-blocks tiling the input, defined only when they tile it "
        f"exactly (n a multiple of {spec.factor}): n/{spec.factor} on one residue class."
    )


# =========================================================================== identities

#: Grid on which every identity is also evaluated: symbol name -> values.
GRID: dict[str, range] = {
    "n": range(1, 21),
    "m": range(1, 21),
    "k": range(1, 6),
    "s": range(1, 5),
    "p": range(0, 4),
    "d": range(1, 4),
    "op": range(0, 4),
}


@dataclass(frozen=True, slots=True)
class IdentitySymbols:
    """The integer symbols of the identities (``n, m, k, s, d`` positive; ``p, op`` >= 0)."""

    n: Any
    m: Any
    k: Any
    s: Any
    p: Any
    d: Any
    op: Any


@cache
def identity_symbols() -> IdentitySymbols:
    """The symbols, built once (imports SymPy on first use).

    >>> identity_symbols().s.is_positive, identity_symbols().p.is_nonnegative
    (True, True)
    """
    import sympy

    n, m, k, s, d = sympy.symbols("n m k s d", integer=True, positive=True)
    p, op = sympy.symbols("p op", integer=True, nonnegative=True)
    return IdentitySymbols(n=n, m=m, k=k, s=s, p=p, d=d, op=op)


@dataclass(frozen=True, slots=True)
class Identity:
    """A parameter-general size identity ``lhs == rhs`` (under ``condition``, if any).

    ``lhs``/``rhs`` are the SymPy expressions the formulas build for symbolic arguments.
    ``proven`` is True when SymPy reduced ``lhs - rhs`` to 0 *and* the integer grid found no
    counterexample; ``grid_points`` counts the grid points evaluated (those satisfying the
    condition), ``counterexample`` is the first failing grid point, if any.
    """

    name: str
    statement_latex: str
    lhs: Any
    rhs: Any
    proven: bool
    method: str
    condition: str = ""
    grid_points: int = 0
    counterexample: dict[str, int] | None = None

    def __str__(self) -> str:
        cond = f" when {self.condition}" if self.condition else ""
        status = "proven" if self.proven else "NOT proven"
        tail = "" if self.counterexample is None else f"; counterexample {self.counterexample}"
        return f"{self.name}: {self.lhs} = {self.rhs}{cond}: {status} ({self.method}{tail})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (expressions as strings)."""
        return {
            "name": self.name,
            "statement_latex": self.statement_latex,
            "lhs": str(self.lhs),
            "rhs": str(self.rhs),
            "condition": self.condition,
            "proven": self.proven,
            "method": self.method,
            "grid_points": self.grid_points,
            "counterexample": self.counterexample,
        }


#: Both sides of an identity: a function of the variables by name, written with
#: :mod:`symconv.sizes.formulas` so that it runs on SymPy symbols and on ints alike.
Side = Callable[..., Any]


def check_identity(
    name: str,
    lhs: Side,
    rhs: Side,
    *,
    variables: tuple[str, ...],
    statement_latex: str = "",
    condition: Callable[..., bool] | None = None,
    condition_text: str = "",
    symbolic_case: Callable[..., tuple[Any, Any]] | None = None,
    case_note: str = "",
) -> Identity:
    """Prove ``lhs == rhs`` with SymPy and check it on the integer grid :data:`GRID`.

    ``lhs`` and ``rhs`` take the ``variables`` as keyword arguments.  The algebra calls them
    with the symbols of :func:`identity_symbols`, rewrites ``Mod`` through ``floor``
    (``x mod s = x - s floor(x/s)``), expands, re-evaluates ``floor``/``ceiling`` under the
    symbols' assumptions (e.g. ``floor(-1/s) = -1`` for a positive integer ``s``) and expands
    again: the identity is algebraically proven when this gives exactly 0 (no ``simplify``).
    The grid calls them with ints, i.e. through the formulas' integer fast paths.

    A conditional identity gives ``condition`` (an int predicate restricting the grid) and,
    for the algebra, ``symbolic_case``: the two sides as they read in the case the condition
    selects (``case_note`` says which case split was made).

    >>> shift = check_identity("shift", lambda n, s: (n + s) // s, lambda n, s: n // s + 1,
    ...                        variables=("n", "s"))
    >>> shift.proven, shift.grid_points
    (True, 80)
    >>> wrong = check_identity("wrong", lambda n, s: (n + 1) // s, lambda n, s: n // s,
    ...                        variables=("n", "s"))
    >>> wrong.proven, wrong.counterexample
    (False, {'n': 1, 's': 1})
    """
    import sympy

    unknown = [v for v in variables if v not in GRID]
    if unknown:
        raise ProofError(f"variables={unknown} have no grid range (known: {sorted(GRID)})")
    S = identity_symbols()
    env = {v: getattr(S, v) for v in variables}
    if symbolic_case is not None:
        sym_lhs, sym_rhs = symbolic_case(**env)
    else:
        sym_lhs, sym_rhs = lhs(**env), rhs(**env)
    difference = sym_lhs - sym_rhs
    if isinstance(difference, int):
        difference = sympy.Integer(difference)
    if difference.has(sympy.Mod):
        difference = difference.rewrite(sympy.floor)
    reduced = sympy.expand(sympy.expand(difference).doit())
    algebraic = reduced == 0
    points, counterexample = _grid_check(lhs, rhs, variables, condition)
    if algebraic and counterexample is not None:
        raise ProofError(
            f"identity {name!r}: SymPy reduced lhs - rhs to 0 but the grid point "
            f"{counterexample} disagrees (the symbolic and integer paths differ)"
        )
    how = "Mod rewritten via floor, expand, floor/ceiling re-evaluated, expand"
    method = f"{how}: lhs - rhs = " + ("0" if algebraic else f"{reduced}, not 0")
    if case_note:
        method += f"; {case_note}"
    method += f"; integer grid: {points} points"
    return Identity(
        name=name,
        statement_latex=statement_latex,
        lhs=sym_lhs,
        rhs=sym_rhs,
        proven=algebraic and counterexample is None,
        method=method,
        condition=condition_text,
        grid_points=points,
        counterexample=counterexample,
    )


def _grid_check(
    lhs: Side, rhs: Side, variables: tuple[str, ...], condition: Callable[..., bool] | None
) -> tuple[int, dict[str, int] | None]:
    """Evaluate both sides at every grid point; return (points checked, first failure)."""
    points = 0
    for values in itertools.product(*(GRID[v] for v in variables)):
        env = dict(zip(variables, values, strict=True))
        if condition is not None and not condition(**env):
            continue
        points += 1
        if lhs(**env) != rhs(**env):
            return points, env
    return points, None


def prove_identities() -> list[Identity]:
    """The parameter-general size identities, each proven by SymPy and checked on :data:`GRID`.

    Conv sizes use symmetric padding ``p``; ``o(n) = floor((n + 2p - d(k-1) - 1)/s) + 1`` and
    ``o^T(m; op) = (m-1)s - 2p + d(k-1) + 1 + op`` are :func:`symconv.sizes.formulas.conv_size` and
    :func:`symconv.sizes.formulas.conv_transpose_size` themselves.

    * ``round_trip``: ``o^T(o(n); a) = n`` with ``a = (n + 2p - d(k-1) - 1) mod s`` (T02/T20).
    * ``same_output``: SAME padding gives ``ceil(n/s)`` outputs, case ``T > 0`` where
      ``T = (ceil(n/s) - 1)s + d(k-1) + 1 - n`` is the total padding before ``max(T, 0)``.
      The case ``T <= 0`` (zero padding, only when ``k_eff <= s``) needs an inequality:
      ``ceil(n/s) - 1 <= floor((n - k_eff)/s) <= floor((n-1)/s) = ceil(n/s) - 1``; it is not
      claimed here (the T21 proofs cover every SAME layer, both cases).
    * ``same_padding_period``: the SAME total padding depends on ``n mod s`` only.
    * ``conv_period`` / ``transpose_period``: the periods T21 relies on.
    * ``ambiguity_first``, ``ambiguity_last``, ``ambiguity_before``: with
      ``n_min(m) = (m-1)s + d(k-1) + 1 - 2p``, ``o(n_min) = m``, ``o(n_min + s - 1) = m`` and
      ``o(n_min - 1) = m - 1``; as ``o`` is non-decreasing, exactly the ``s`` sizes
      ``n_min .. n_min + s - 1`` give output ``m``.

    >>> [(i.name, i.proven) for i in prove_identities()][:2]
    [('round_trip', True), ('same_output', True)]
    """
    from symconv.sizes import formulas as F

    def o(x: Any, k: Any, s: Any, p: Any, d: Any) -> Any:
        return F.conv_size(x, k, s, p, p, d)

    def ot(x: Any, k: Any, s: Any, p: Any, d: Any, op: Any) -> Any:
        return F.conv_transpose_size(x, k, s, p, p, d, op)

    def a(n: Any, k: Any, s: Any, p: Any, d: Any) -> Any:
        return F.mod(n + 2 * p - d * (k - 1) - 1, s)

    def total(n: Any, k: Any, s: Any, d: Any) -> Any:
        """SAME total padding before the max with 0."""
        return (F.ceildiv(n, s) - 1) * s + F.effective_kernel(k, d) - n

    def same_out(n: Any, k: Any, s: Any, d: Any, pad: Any) -> Any:
        pb, pe = F.split_padding(pad, extra_at_end=True)
        return F.conv_size(n, k, s, pb, pe, d)

    def nmin(m: Any, k: Any, s: Any, p: Any, d: Any) -> Any:
        return (m - 1) * s + F.effective_kernel(k, d) - 2 * p

    conv = ("n", "k", "s", "p", "d")
    amb = ("m", "k", "s", "p", "d")
    same = ("n", "k", "s", "d")
    o_latex = r"o(n) = \left\lfloor \frac{n + 2p - d(k-1) - 1}{s} \right\rfloor + 1"
    return [
        check_identity(
            "round_trip",
            lambda n, k, s, p, d: ot(o(n, k, s, p, d), k, s, p, d, a(n, k, s, p, d)),
            lambda n, k, s, p, d: n,
            variables=conv,
            statement_latex=(
                r"o^{T}\!\left(o(n);\, a\right) = n,\quad a = (n + 2p - d(k-1) - 1) "
                r"\bmod s,\quad " + o_latex
            ),
        ),
        check_identity(
            "same_output",
            lambda n, k, s, d: same_out(n, k, s, d, F.same_total_padding(n, k, s, d)),
            lambda n, k, s, d: F.ceildiv(n, s),
            variables=same,
            condition=lambda n, k, s, d: total(n, k, s, d) > 0,
            condition_text="T = (ceil(n/s) - 1) s + d(k-1) + 1 - n > 0",
            symbolic_case=lambda n, k, s, d: (
                same_out(n, k, s, d, total(n, k, s, d)), F.ceildiv(n, s)
            ),
            case_note="case T > 0, where same_total_padding = max(T, 0) = T",
            statement_latex=(
                r"T > 0 \implies \left\lfloor \frac{n + T - d(k-1) - 1}{s} \right\rfloor + 1 "
                r"= \left\lceil \frac{n}{s} \right\rceil,\quad T = \left(\left\lceil "
                r"\frac{n}{s}\right\rceil - 1\right)s + d(k-1) + 1 - n"
            ),
        ),
        check_identity(
            "same_padding_period",
            lambda n, k, s, d: F.same_total_padding(n + s, k, s, d),
            lambda n, k, s, d: F.same_total_padding(n, k, s, d),
            variables=same,
            statement_latex=r"\max(T(n + s), 0) = \max(T(n), 0)",
        ),
        check_identity(
            "conv_period",
            lambda n, k, s, p, d: o(n + s, k, s, p, d),
            lambda n, k, s, p, d: o(n, k, s, p, d) + 1,
            variables=conv,
            statement_latex=r"o(n + s) = o(n) + 1",
        ),
        check_identity(
            "transpose_period",
            lambda n, k, s, p, d, op: ot(n + 1, k, s, p, d, op),
            lambda n, k, s, p, d, op: ot(n, k, s, p, d, op) + s,
            variables=(*conv, "op"),
            statement_latex=r"o^{T}(n + 1; op) = o^{T}(n; op) + s",
        ),
        check_identity(
            "ambiguity_first",
            lambda m, k, s, p, d: o(nmin(m, k, s, p, d), k, s, p, d),
            lambda m, k, s, p, d: m,
            variables=amb,
            statement_latex=r"o(n_{\min}) = m,\quad n_{\min} = (m-1)s + d(k-1) + 1 - 2p",
        ),
        check_identity(
            "ambiguity_last",
            lambda m, k, s, p, d: o(nmin(m, k, s, p, d) + s - 1, k, s, p, d),
            lambda m, k, s, p, d: m,
            variables=amb,
            statement_latex=r"o(n_{\min} + s - 1) = m",
        ),
        check_identity(
            "ambiguity_before",
            lambda m, k, s, p, d: o(nmin(m, k, s, p, d) - 1, k, s, p, d),
            lambda m, k, s, p, d: m - 1,
            variables=amb,
            statement_latex=r"o(n_{\min} - 1) = m - 1",
        ),
    ]
