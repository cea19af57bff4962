"""What would make a layer's overlap even: the nearest kernel sizes (and dilations) at the same
stride that keep the output size (T16, T17), and the resize-convolution alternative to a
transposed convolution (Odena et al.; T13).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import gcd
from typing import Any

from symconv.coverage.closed_forms import is_uniform_overlap
from symconv.coverage.structure import _sizes
from symconv.errors import InvalidSpecError
from symconv.sizes.shapes import Resolved, resolve
from symconv.spec import (
    Conv,
    ConvTranspose,
    Resize,
)

__all__ = [
    "KernelSuggestion",
    "ResizeConv",
    "resize_conv_alternative",
    "suggest_kernels",
]

# --------------------------------------------------------------------------- suggestions


@dataclass(frozen=True, slots=True)
class KernelSuggestion:
    """A nearby layer whose overlap is even: the kernel size (and, if needed, the dilation)
    changed per axis, padding / output padding re-chosen to keep the output size if possible."""

    layer: Conv | ConvTranspose
    kernel: tuple[int, ...]
    dilation: tuple[int, ...]
    output_size: tuple[int, ...]
    keeps_output_size: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class ResizeConv:
    """The resize-convolution alternative to a transposed conv (Odena et al.; theorem T13):
    nearest upsampling by ``s``, then a stride-1 conv.  It is a transposed conv with kernel
    ``flip(K) (*) ones(s)`` of size ``k_c + s - 1`` whose polyphase sums are all equal, so its
    coverage is even for every kernel ``K``."""

    upsample: Resize
    conv: Conv
    output_size: tuple[int, ...]
    keeps_output_size: bool
    equivalent_kernel: tuple[int, ...]
    note: str = ""


def _nearest_multiples(k: int, s: int) -> list[int]:
    """Multiples of ``s`` ordered by distance to ``k`` (ties: the larger first)."""
    below = max(s, (k // s) * s)
    above = -(-k // s) * s
    return sorted({below, above, above + s}, key=lambda v: (abs(v - k), -v))


def _coprime_dilations(s: int, d: int, count: int = 3) -> list[int]:
    """The first ``count`` dilations in ``[1, d + 2s]`` coprime with ``s``, nearest to ``d``
    first (ties: the smaller).  Searched outwards from ``d``: coprime values are never far
    apart, so this takes a few steps whatever the size of ``s`` and ``d``.

    >>> _coprime_dilations(6, 4), _coprime_dilations(10**9, 10**9 - 2, 2)
    ([5, 1, 7], [999999997, 999999999])
    """
    found: list[int] = []
    top = d + 2 * s
    t = 0
    while len(found) < count and (d - t >= 1 or d + t <= top):
        for v in ((d - t, d + t) if t else (d,)):
            if 1 <= v <= top and gcd(v, s) == 1:
                found.append(v)
        t += 1
    return found[:count]


def suggest_kernels(layer: Conv | ConvTranspose, input_size: Any,
                    count: int = 2) -> tuple[KernelSuggestion, ...]:
    """The nearest kernel sizes that make the overlap even at this stride and dilation.

    For a transposed conv this removes the forward checkerboard, for a strided conv the
    gradient checkerboard (T16, T17): per axis the kernel becomes a multiple of the stride; if
    ``gcd(s, d) > 1`` no kernel size can, and the dilation changes to the nearest value coprime
    with ``s``.  Padding and output padding are re-chosen so the output size stays the same when
    possible (symmetric padding first).  Returns ``()`` when the overlap is already even.

    >>> [s.layer for s in suggest_kernels(ConvTranspose(kernel=3, stride=2, padding=1,
    ...                                                 output_padding=1), 8)]
    [ConvTranspose(kernel=4, stride=2, padding=1, output_padding=0), ConvTranspose(kernel=2, stride=2, output_padding=0)]
    """
    if not isinstance(layer, Conv | ConvTranspose):
        raise InvalidSpecError(f"layer={layer!r} must be a Conv or ConvTranspose")
    sizes = _sizes(input_size)
    r = resolve(layer, sizes)
    spec = r.layer
    ks, ss, ds = spec.kernel, spec.stride, spec.dilation
    if all(is_uniform_overlap(k, s, d) for k, s, d in zip(ks, ss, ds, strict=True)):
        return ()
    per_axis: list[list[tuple[int, int]]] = []
    for k, s, d in zip(ks, ss, ds, strict=True):
        if is_uniform_overlap(k, s, d):
            per_axis.append([(k, d)])
        elif gcd(s, d) == 1:
            per_axis.append([(v, d) for v in _nearest_multiples(k, s)])
        else:
            # keep about the same dilated extent d(k-1)+1 with the new dilation
            options = []
            for dv in _coprime_dilations(s, d):
                target = -(-(d * (k - 1)) // dv) + 1
                options.append((_nearest_multiples(target, s)[0], dv))
            per_axis.append(options)
    out: list[KernelSuggestion] = []
    for rank in range(max(len(c) for c in per_axis)):
        choice = tuple(c[min(rank, len(c) - 1)] for c in per_axis)
        found = _resized(r, layer.ndim is None, tuple(c[0] for c in choice),
                         tuple(c[1] for c in choice))
        if found is not None and all(found.layer != o.layer for o in out):
            out.append(found)
        if len(out) >= count:
            break
    return tuple(out)


def _collapse(values: Sequence[Any], broadcast: bool) -> Any:
    """An int for a broadcast spec whose axes agree, else the per-axis tuple."""
    items = tuple(values)
    return items[0] if broadcast and len(set(items)) == 1 else items


def _resized(r: Resolved, broadcast: bool, ks: tuple[int, ...],
             ds: tuple[int, ...]) -> KernelSuggestion | None:
    """The layer with kernels ``ks`` and dilations ``ds``, padded to keep its output size."""
    spec = r.layer
    nd = len(r.input)
    pads: list[tuple[int, int]] = []
    ops: list[int] = []
    for a in range(nd):
        s = spec.stride[a]
        grow = ds[a] * (ks[a] - 1) - spec.dilation[a] * (spec.kernel[a] - 1)
        pb, pe = r.pads[a]
        if isinstance(spec, ConvTranspose):
            op = (r.output_padding or (0,) * nd)[a]
            if grow == 0 and ds[a] == spec.dilation[a]:  # axis unchanged: keep it as it was
                pads.append((pb, pe))
                ops.append(op)
                continue
            # o = (n-1)s - (pb+pe) + extent + op: keep (pb'+pe') - op' = pb+pe - op + grow
            need = pb + pe - op + grow
            if need >= 0:
                op_new = need % 2 if need % 2 < s else 0
                total = need + op_new
            else:
                op_new, total = (-need, 0) if -need < s else (0, 0)
            pads.append((total // 2, total - total // 2))
            ops.append(op_new)
        else:
            n, o = int(r.input[a]), int(r.output[a])
            extent = ds[a] * (ks[a] - 1) + 1
            lo = (o - 1) * s - n + extent  # o = floor((n + P - extent)/s) + 1 iff P in [lo, lo+s)
            # the first (even if possible) P >= 0 in [lo, lo + s); 0 when there is none
            first = max(lo, 0)
            if first >= lo + s:
                total = 0
            elif first % 2 and first + 1 < lo + s:
                total = first + 1
            else:
                total = first
            pads.append((total // 2, total - total // 2))
    same_pads = all(b == e for b, e in pads)
    pad_arg: Any = _collapse([b for b, _ in pads], broadcast) if same_pads else tuple(pads)
    if broadcast and not same_pads and len(set(pads)) == 1:
        pad_arg = (pads[0],)
    kw: dict[str, Any] = {"kernel": _collapse(ks, broadcast), "dilation": _collapse(ds, broadcast),
                          "stride": _collapse(spec.stride, broadcast), "padding": pad_arg}
    try:
        new: Conv | ConvTranspose
        if isinstance(spec, ConvTranspose):
            new = ConvTranspose(output_padding=_collapse(ops, broadcast), **kw)
        else:
            new = Conv(padding_mode=spec.padding_mode, **kw)
        out_size = tuple(int(v) for v in resolve(new, r.input).output)
    except InvalidSpecError:
        return None  # e.g. a kernel that no longer fits the input
    keeps = out_size == tuple(int(v) for v in r.output)
    changed = any(ds[a] != spec.dilation[a] for a in range(nd))
    note = ("no kernel size evens the overlap when gcd(stride, dilation) > 1: dilation changed"
            if changed else "")
    return KernelSuggestion(new, tuple(ks), tuple(ds), out_size, keeps, note)


def resize_conv_alternative(layer: ConvTranspose, input_size: Any) -> ResizeConv:
    """Nearest upsampling by the stride, then a stride-1 conv, with the same output size.

    The conv kernel ``k_c`` spans about the transposed conv's extent (``k_c + s - 1`` is the
    equivalent transposed kernel, T13); its padding makes the output size equal (asymmetric
    when the total is odd: PyTorch needs an explicit ``F.pad`` then).

    >>> alt = resize_conv_alternative(ConvTranspose(kernel=4, stride=2, padding=1), 8)
    >>> alt.upsample.scale_factor, alt.conv, alt.keeps_output_size, alt.equivalent_kernel
    ((2,), Conv(kernel=3, padding=1), True, (4,))
    """
    if not isinstance(layer, ConvTranspose):
        raise InvalidSpecError(f"layer={layer!r} must be a ConvTranspose")
    sizes = _sizes(input_size)
    r = resolve(layer, sizes)
    spec = r.layer
    broadcast = layer.ndim is None
    kcs, pads, equiv = [], [], []
    for a in range(len(sizes)):
        k, s, d = spec.kernel[a], spec.stride[a], spec.dilation[a]
        # after upsampling: s n + P - (k_c - 1) = o, so P = o - s n + k_c - 1 (o - s n does
        # not depend on n)
        base = int(r.output[a]) - s * sizes[a]
        kc = max(1, d * (k - 1) + 1 - s + 1, 1 - base)
        total = base + kc - 1
        kcs.append(kc)
        pads.append((total // 2, total - total // 2))
        equiv.append(kc + s - 1)
    up = Resize(scale_factor=_collapse(spec.stride, broadcast))
    same_pads = all(b == e for b, e in pads)
    pad_arg: Any = _collapse([b for b, _ in pads], broadcast) if same_pads else tuple(pads)
    if broadcast and not same_pads and len(set(pads)) == 1:
        pad_arg = (pads[0],)
    conv = Conv(kernel=_collapse(kcs, broadcast), padding=pad_arg)
    out = tuple(int(v) for v in resolve(conv, resolve(up, sizes).output).output)
    keeps = out == tuple(int(v) for v in r.output)
    note = "" if same_pads else "asymmetric padding: PyTorch needs F.pad before the conv"
    return ResizeConv(up, conv, out, keeps, tuple(equiv), note)
