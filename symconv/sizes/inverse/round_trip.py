"""Conv and pooling, the other way: the input sizes mapped to the same output
(:func:`ambiguity_set`), and whether conv -> transposed conv restores the input size, with
which output padding (:func:`round_trip`, :func:`restoring_output_padding`; theorem T20).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, overload

from symconv._params import Int, is_symbolic, scalar
from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.sizes import formulas as F
from symconv.sizes.inverse._axes import _axis_spec, _int_size, _per_axis
from symconv.sizes.shapes import resolve
from symconv.spec import (
    AvgPool,
    Conv,
    Convention,
    ConvTranspose,
    MaxPool,
    PadMode,
)

__all__ = [
    "RoundTrip",
    "ambiguity_set",
    "ambiguity_set_axis",
    "restoring_output_padding",
    "round_trip",
    "round_trip_axis",
]


# --------------------------------------------------------------------------- ambiguity


def ambiguity_set_axis(
    layer: Conv | MaxPool | AvgPool, input_size: int, axis: int = 0
) -> range:
    """All input sizes that one axis of ``layer`` maps to the same output as ``input_size``.

    Fixed padding ``P`` (numeric, 'valid', 'causal', PyTorch 'same'): with ``o`` the output,
    ``[(o-1)s + k_eff - P, (o-1)s + k_eff - P + s - 1]`` intersected with the sizes the layer
    accepts.  SAME modes of TensorFlow/Keras/JAX/ONNX: ``{m : ceil(m/s) = o}``.  Ceil-mode
    pools: the PyTorch rule is monotone in the size, so the preimage is scanned exactly with
    :func:`symconv.sizes.shapes.resolve` (O(s) sizes).

    >>> ambiguity_set_axis(Conv(kernel=3, stride=2, padding=1), 6)
    range(5, 7)
    >>> ambiguity_set_axis(Conv(kernel=7, stride=2, padding="SAME", convention="tensorflow"), 224)
    range(223, 225)
    >>> ambiguity_set_axis(MaxPool(kernel=2, ceil_mode=True), 5)
    range(5, 7)
    """
    if not isinstance(layer, Conv | MaxPool | AvgPool):
        raise InvalidSpecError(
            f"layer={type(layer).__name__} must be a Conv, MaxPool or AvgPool"
        )
    spec = _axis_spec(layer, axis)
    n = _int_size("input_size", input_size)
    k, s, d = spec.kernel[0], spec.stride[0], spec.dilation[0]
    keff = F.effective_kernel(k, d)
    o = resolve(spec, n).output[0]  # rejects sizes the layer does not accept
    if isinstance(spec, MaxPool | AvgPool) and spec.ceil_mode:
        # Scan the forward map itself (monotone in the size, so the preimage is a range of at
        # most about s sizes); named paddings follow resolve's rule for ceil mode.
        def out(m: int) -> int | None:
            try:
                return int(resolve(spec, m).output[0])
            except InvalidSpecError:
                return None

        lo = n
        while lo > 1 and out(lo - 1) == o:
            lo -= 1
        hi = n
        while out(hi + 1) == o:
            hi += 1
        return range(lo, hi + 1)
    fixed = _fixed_pads(spec)
    if fixed is None:  # SAME of TensorFlow/Keras/JAX/ONNX: output ceil(m / s)
        return range((o - 1) * s + 1, o * s + 1)
    total = fixed[0] + fixed[1]
    lo = (o - 1) * s + keff - total
    return range(max(lo, 1, keff - total), lo + s)


def _fixed_pads(spec: Any) -> tuple[int, int] | None:
    """Padding that does not depend on the input size, ``None`` for size-dependent SAME."""
    p = spec.padding
    if not isinstance(p, PadMode):
        return (int(p[0][0]), int(p[0][1]))
    k, d = spec.kernel[0], spec.dilation[0]
    if p is PadMode.VALID:
        return (0, 0)
    if p is PadMode.CAUSAL:
        return (d * (k - 1), 0)
    if p is PadMode.SAME and spec.convention is Convention.TORCH:
        b, e = F.split_padding(d * (k - 1), extra_at_end=True)
        return (int(b), int(e))
    return None


@overload
def ambiguity_set(layer: Conv | MaxPool | AvgPool, input_size: int) -> range: ...
@overload
def ambiguity_set(
    layer: Conv | MaxPool | AvgPool, input_size: tuple[int, ...]
) -> tuple[range, ...]: ...
def ambiguity_set(layer: Any, input_size: Any) -> Any:
    """Input sizes indistinguishable from ``input_size`` by their output size, per axis.

    This is why a transposed convolution cannot know which size to restore: all these inputs
    give the same output (Dumoulin & Visin 2016, section 4.6: i=6 and i=5 with k=3, s=2, p=1).

    >>> from symconv import Conv
    >>> ambiguity_set(Conv(kernel=3, stride=2, padding=1), 6)
    range(5, 7)
    >>> ambiguity_set(Conv(kernel=3, stride=2), (7, 8))
    (range(7, 9), range(7, 9))
    """
    return _per_axis(ambiguity_set_axis, layer, input_size)


# --------------------------------------------------------------------------- round trip


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """Conv then transposed conv with the same kernel, stride, padding and dilation.

    ``output`` is the conv output, ``restored`` the transposed conv's output with
    ``output_padding`` (``None`` when that would be empty, i.e. the transposed layer is rejected);
    ``restores`` says whether it equals ``input_size``.
    ``needed_output_padding`` is ``a = (n + pb + pe - k_eff) mod s``, which always restores n;
    with these pads ``output_padding=0`` restores exactly the sizes ``n = residue (mod modulus)``.
    A negative pad (convention jax: a crop) is a negative crop of the transposed output, i.e.
    zeros appended: ``lax.conv_transpose`` with pairs ``(k_eff-1-pb, k_eff-1-pe+a)`` restores n.
    """

    input_size: int
    output: int
    pads: tuple[int, int]
    output_padding: int
    restored: int | None
    restores: bool
    needed_output_padding: int
    residue: int
    modulus: int


def round_trip_axis(
    conv: Conv, input_size: int, output_padding: int | None = None, axis: int = 0
) -> RoundTrip:
    """Whether conv -> transposed conv restores ``input_size`` on one axis (theorem T20).

    The transposed convolution uses PyTorch semantics with the pads the conv applied at this
    size (for SAME modes they depend on ``n``; the residue class is for these pads).

    >>> rt = round_trip_axis(Conv(kernel=3, stride=2, padding=1), 6)
    >>> rt.output, rt.restored, rt.restores, rt.needed_output_padding, (rt.residue, rt.modulus)
    (3, 5, False, 1, (1, 2))
    >>> round_trip_axis(Conv(kernel=3, stride=2, padding=1), 6, output_padding=1).restores
    True
    """
    if not isinstance(conv, Conv):
        raise InvalidSpecError(f"conv={type(conv).__name__} must be a Conv")
    spec = _axis_spec(conv, axis)
    n = _int_size("input_size", input_size)
    k, s, d = spec.kernel[0], spec.stride[0], spec.dilation[0]
    keff = F.effective_kernel(k, d)
    r = resolve(spec, n)
    o = int(r.output[0])
    pb, pe = (int(x) for x in r.pads[0])
    op = 0 if output_padding is None else _int_size("output_padding", output_padding, 0)
    # The transposed layer must exist (PyTorch: output_padding < stride or < dilation).  A JAX
    # crop (negative pad) has no PyTorch partner: its transposed conv appends zeros instead,
    # lax.conv_transpose with pairs (k_eff - 1 - pb, k_eff - 1 - pe + op), any op >= 0.
    if pb >= 0 and pe >= 0:
        ConvTranspose(kernel=k, stride=s, padding=((pb, pe),), dilation=d, output_padding=op,
                      ndim=1)
    restored: int | None = int(F.conv_transpose_size(o, k, s, pb, pe, d, op))
    if restored is not None and restored < 1:
        restored = None  # shapes.resolve rejects an empty output
    return RoundTrip(
        input_size=n,
        output=o,
        pads=(pb, pe),
        output_padding=op,
        restored=restored,
        restores=restored == n,
        needed_output_padding=(n + pb + pe - keff) % s,
        residue=(keff - pb - pe) % s,
        modulus=s,
    )


@overload
def round_trip(conv: Conv, input_size: int, output_padding: int | None = None) -> RoundTrip: ...
@overload
def round_trip(
    conv: Conv, input_size: tuple[int, ...], output_padding: int | tuple[int, ...] | None = None
) -> tuple[RoundTrip, ...]: ...
def round_trip(conv: Any, input_size: Any, output_padding: Any = None) -> Any:
    """Conv then transposed conv: is the input size restored?  Per axis.

    >>> from symconv import Conv
    >>> [t.restores for t in round_trip(Conv(kernel=3, stride=2, padding=1), (5, 6))]
    [True, False]
    """
    return _per_axis(round_trip_axis, conv, input_size, ("output_padding", output_padding))


def restoring_output_padding(conv: Conv, input_size: Any) -> Any:
    """The output padding ``a = (n + pb + pe - k_eff) mod s`` that restores ``input_size``.

    Per axis like the other functions; a SymPy size gives a ``Mod`` expression (only for
    padding that does not depend on the size).

    >>> from symconv import Conv
    >>> restoring_output_padding(Conv(kernel=3, stride=2, padding=1), (6, 7))
    (1, 0)
    >>> import sympy
    >>> n = sympy.Symbol("n", integer=True, positive=True)
    >>> restoring_output_padding(Conv(kernel=3, stride=2, padding=1), n)
    Mod(n + 1, 2)
    """
    if not isinstance(conv, Conv):
        raise InvalidSpecError(f"conv={type(conv).__name__} must be a Conv")
    sizes = input_size if isinstance(input_size, tuple | list) else (input_size,)
    spec = conv.at(len(sizes))
    out: list[Int] = []
    for a, n in enumerate(sizes):
        if is_symbolic(n):
            axis_spec = _axis_spec(spec, a)
            pads = _fixed_pads(axis_spec)
            if pads is None:
                raise UnsupportedError(
                    f"padding={axis_spec.padding.value!r} under convention "
                    f"{axis_spec.convention.value} depends on the input size: give an int size"
                )
            n = scalar("input_size", n, minimum=1)
            keff = F.effective_kernel(axis_spec.kernel[0], axis_spec.dilation[0])
            out.append(F.mod(n + pads[0] + pads[1] - keff, axis_spec.stride[0]))
        else:
            out.append(round_trip_axis(spec, n, axis=a).needed_output_padding)
    return tuple(out) if isinstance(input_size, tuple | list) else out[0]
