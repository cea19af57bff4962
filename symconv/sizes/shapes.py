"""Output-size arithmetic for every layer and framework convention.

:func:`resolve` / :func:`output_shape` for a whole :mod:`symconv.spec` layer on an N-D input,
returning the padding each convention actually applies as explicit ``(before, after)`` pairs;
the scalar functions of the public contract, one axis at a time (:func:`conv_output_size`,
:func:`same_padding`, ...), are in :mod:`symconv.sizes.one_axis`, built on it.

Sizes may be ints or SymPy integer expressions: ints give ints (and never import SymPy),
symbols give exact expressions with ``floor``/``ceiling``.  Input-dependent rules (kernel larger
than the padded input, output too small, requested transposed sizes out of range) raise
:class:`~symconv.errors.InvalidSpecError` for ints.

>>> resolve(Conv(kernel=7, stride=2, padding="SAME", convention="tensorflow"), (224, 225)).pads
((2, 3), (3, 3))
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import prod
from typing import Any

from symconv._params import Int, fmt, is_int, is_symbolic, scalar
from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.sizes import formulas as F
from symconv.sizes import jax_pads as J
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
    PaddingFill,
    PadMode,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
    Slice,
)
from symconv.spec._base import _show

__all__ = [
    "Resolved",
    "output_channels",
    "output_shape",
    "resolve",
    "size_period",
    "slice_length",
    "slice_start",
]


@dataclass(frozen=True, slots=True)
class Resolved:
    """A layer applied to a concrete (or symbolic) spatial input size.

    ``pads`` are the ``(before, after)`` paddings actually applied per axis.  For a transposed
    convolution they are PyTorch-style crops of the full output and ``output_padding`` holds the
    extra zeros appended at the end, whatever the convention's own parameterisation was.

    ``folds`` (``flax.linen.ConvTranspose(padding='CIRCULAR')``): per axis ``None`` or
    ``(offset, period)``: full-output position ``j`` lands on output ``(offset + j) mod
    period``.  A fold is no crop, so with a fold ``pads`` and ``output_padding`` raise
    :class:`~symconv.errors.UnsupportedError`: whatever reasons from them (coverage, adjoints,
    inverse problems, LaTeX facts) refuses the layer instead of describing another one.
    """

    layer: Any  # the Layer, broadcast to the input's rank
    input: tuple[Int, ...]
    output: tuple[Int, ...]
    applied_pads: tuple[tuple[Int, Int], ...]
    applied_output_padding: tuple[Int, ...] | None = None
    notes: tuple[str, ...] = ()
    folds: tuple[tuple[Int | None, Int] | None, ...] | None = None

    @property
    def pads(self) -> tuple[tuple[Int, Int], ...]:
        self._no_fold("pads")
        return self.applied_pads

    @property
    def output_padding(self) -> tuple[Int, ...] | None:
        self._no_fold("output_padding")
        return self.applied_output_padding

    def _no_fold(self, what: str) -> None:
        if self.folds is not None:
            raise UnsupportedError(
                f"padding='CIRCULAR' of flax.linen.ConvTranspose folds the transposed output "
                f"periodically (on {self.output}): it has no {what}, so this analysis is not "
                "available for it (its size, matrix and reference values are)"
            )


# --------------------------------------------------------------------------- helpers


def _known(*values: Int) -> bool:
    return not any(is_symbolic(v) for v in values)


def _size(name: str, value: object) -> Int:
    return scalar(name, value, minimum=1)


def _axis_label(axis: int, ndim: int) -> str:
    return "" if ndim == 1 else f" on axis {axis}"


def _mode_pads(
    mode: PadMode, conv: Convention, n: Int, k: Int, s: Int, d: Int
) -> tuple[Int, Int]:
    """Padding a named mode resolves to on one axis (CONVENTIONS.md, Convolution)."""
    if mode is PadMode.VALID:
        return (0, 0)
    if mode is PadMode.CAUSAL:  # Keras Conv1D: everything at the start
        return (d * (k - 1), 0)
    if mode is PadMode.SAME and conv is Convention.TORCH:
        # PyTorch 'same' (stride 1 only): total d(k-1), left total//2, the rest on the right.
        return F.split_padding(d * (k - 1), extra_at_end=True)
    total = F.same_total_padding(n, k, s, d)
    return F.split_padding(total, extra_at_end=mode is not PadMode.SAME_LOWER)


def _window_pads(layer: Any, n: Int, axis: int) -> tuple[Int, Int]:
    if isinstance(layer.padding, tuple):
        return layer.padding[axis]
    return _mode_pads(layer.padding, layer.convention, n, layer.kernel[axis],
                      layer.stride[axis], layer.dilation[axis])


def _check_fits(layer: Any, n: Int, pads: tuple[Int, Int], axis: int, nd: int) -> None:
    k, d = layer.kernel[axis], layer.dilation[axis]
    keff = F.effective_kernel(k, d)
    if not _known(n, keff, *pads):
        return
    if n + pads[0] + pads[1] < keff:
        ext = "" if d == 1 else f" (dilated extent {keff})"
        raise InvalidSpecError(
            f"kernel={k}{ext} must not exceed the padded input size {n + pads[0] + pads[1]} "
            f"(input {n} + padding {pads[0]}+{pads[1]}){_axis_label(axis, nd)} "
            f"({_TOO_SMALL.get(str(getattr(layer, 'convention', 'torch')), _TOO_SMALL['torch'])})"
        )


#: What each framework does when the window is larger than the padded input (checked against
#: the framework: tests/test_tf_jax_conventions.py, tests against PyTorch and onnxruntime);
#: symconv refuses the size under every convention: an empty output is a design-review error.
_TOO_SMALL = {
    "torch": "PyTorch: Kernel size can't be greater than actual input size",
    "onnx": "the output would have no elements",
    "tensorflow": "TensorFlow returns an empty tensor here and raises once the window reaches "
                  "the input plus twice the stride; an empty output is an error here",
    "keras": "Keras' compute_output_shape refuses, and a call raises or returns an empty "
             "tensor depending on the layer and backend; an empty output is an error here",
    "jax": J.JAX_EMPTY,
}


def _check_fill(layer: Conv, n: Int, pads: tuple[Int, Int], axis: int, nd: int) -> None:
    """PyTorch's limits for non-zero padding modes (F.pad): reflect needs pad < n, circular
    pad <= n ("wrapping around more than once").  flax's 'CIRCULAR'/'REFLECT' (``jnp.pad``,
    NumPy's modes) wrap and reflect any number of times."""
    fill = layer.padding_mode
    if fill is PaddingFill.ZEROS or not _known(n, *pads) or layer.convention is not Convention.TORCH:
        return
    worst = max(pads)
    if fill is PaddingFill.REFLECT and worst >= n:
        raise InvalidSpecError(
            f"padding={pads[0]}+{pads[1]} must be smaller than the input size {n}"
            f"{_axis_label(axis, nd)} for padding_mode='reflect' (PyTorch: padding size should "
            "be less than the corresponding input dimension)"
        )
    if fill is PaddingFill.CIRCULAR and worst > n:
        raise InvalidSpecError(
            f"padding={pads[0]}+{pads[1]} must be at most the input size {n}"
            f"{_axis_label(axis, nd)} for padding_mode='circular' (PyTorch: padding value "
            "causes wrapping around more than once)"
        )


def _check_positive(name: str, value: Int, detail: str) -> None:
    if _known(value) and value < 1:
        raise InvalidSpecError(f"{name}={value} must be at least 1: {detail} (output size is too small)")


# --------------------------------------------------------------------------- per layer


def _resolve_conv(layer: Conv, sizes: tuple[Int, ...]) -> Resolved:
    nd = len(sizes)
    out, pads = [], []
    if layer.convention is Convention.JAX:  # lax raises on a crop past the input, any axis
        J.check_crops(sizes, [_window_pads(layer, n, a) for a, n in enumerate(sizes)])
    for a, n in enumerate(sizes):
        pb, pe = _window_pads(layer, n, a)
        _check_fits(layer, n, (pb, pe), a, nd)
        _check_fill(layer, n, (pb, pe), a, nd)
        if layer.padding in (PadMode.SAME, PadMode.SAME_UPPER, PadMode.SAME_LOWER, PadMode.CAUSAL):
            # By definition ceil(n / s) (torch 'same' has s = 1); T21 proves the padded window
            # count agrees, and the closed form stays readable for symbolic n.
            o = F.ceildiv(n, layer.stride[a])
        else:
            o = F.conv_size(n, layer.kernel[a], layer.stride[a], pb, pe, layer.dilation[a])
        out.append(o)
        pads.append((pb, pe))
    return Resolved(layer, sizes, tuple(out), tuple(pads))


def _resolve_pool(layer: MaxPool | AvgPool, sizes: tuple[Int, ...]) -> Resolved:
    nd = len(sizes)
    out, pads = [], []
    for a, n in enumerate(sizes):
        k, s, d = layer.kernel[a], layer.stride[a], layer.dilation[a]
        pb, pe = _window_pads(layer, n, a)
        same = isinstance(layer.padding, PadMode) and layer.padding is not PadMode.VALID
        where = _axis_label(a, nd)
        if (isinstance(layer, AvgPool) and layer.convention is Convention.TORCH and nd == 3
                and _known(n) and n < k):
            raise InvalidSpecError(
                f"input size {n}{where} must be at least kernel={k} for 3-D average pooling "
                f"under convention torch (PyTorch avg_pool3d: input image smaller than kernel "
                "size, whatever the padding)"
            )
        # onnxruntime's MaxPool refuses a negative SAME padding; its AveragePool clamps it at 0.
        if (same and isinstance(layer, MaxPool) and layer.convention is Convention.ONNX
                and _known(n, k, s, d)):
            total = (F.ceildiv(n, s) - 1) * s + F.effective_kernel(k, d) - n
            if total < 0:
                raise InvalidSpecError(
                    f"stride={s} must not exceed the kernel's reach for auto_pad "
                    f"{layer.padding.value.upper()} pooling of input {n}{where}: the SAME "
                    f"padding would be {total} (onnxruntime: padding values must be non-negative)"
                )
        # SAME modes fix the output (ONNX: SAME -> ceil(n/s) whatever ceil_mode says);
        # VALID is zero padding, so ceil_mode applies to it (onnxruntime).
        o = F.pool_size(n, k, s, pb, pe, d, ceil_mode=layer.ceil_mode and not same)
        _check_fits(layer, n, (pb, pe), a, nd) if not layer.ceil_mode else None
        _check_positive(
            "output", o,
            f"pooling input {n} with kernel={k}, stride={s}, padding={pb}+{pe}, dilation={d}"
            f"{_axis_label(a, nd)}",
        )
        out.append(o)
        pads.append((pb, pe))
    notes = [note for a, n in enumerate(sizes)  # JAX: -inf or NaN there, not linear
             if (note := J.padding_only_note(layer, n, pads[a], out[a], a, _axis_label(a, nd)))]
    return Resolved(layer, sizes, tuple(out), tuple(pads), None, tuple(notes))


def _resolve_conv_transpose(layer: ConvTranspose, sizes: tuple[Int, ...]) -> Resolved:
    nd = len(sizes)
    conv = layer.convention
    if layer.padding is PadMode.CIRCULAR:
        return _flax_circular(layer, sizes)
    outs, pads, ops, notes = [], [], [], []
    if conv is Convention.JAX and isinstance(layer.padding, tuple):  # lax raises first
        J.check_crops(sizes, layer.padding, layer.stride)
    for a, n in enumerate(sizes):
        k, s, d = layer.kernel[a], layer.stride[a], layer.dilation[a]
        keff = F.effective_kernel(k, d)
        op = None if layer.output_padding is None else layer.output_padding[a]
        target = None if layer.output_size is None else layer.output_size[a]
        full = (n - 1) * s + keff  # the uncropped scatter extent
        where = _axis_label(a, nd)
        if conv is Convention.TORCH:
            pb, pe = layer.padding[a]
            if target is not None:
                lo = full - pb - pe
                if _known(lo, target) and not lo <= target <= lo + s - 1:
                    raise InvalidSpecError(
                        f"output_size={target} must lie in [{lo}, {lo + s - 1}]{where} for an "
                        f"input of {n} (PyTorch: requested an output size of {target}, but valid "
                        f"sizes range from {lo} to {lo + s - 1})"
                    )
                op = target - lo
                notes.append(f"output_size={target} sets output_padding={op}{where}")
        elif conv is Convention.ONNX:
            pb, pe, op = _onnx_transpose(layer, n, a, op, target)
        elif conv is Convention.TENSORFLOW:
            pb, pe, op = _tf_transpose(layer, n, a, target)
        elif conv is Convention.KERAS:
            pb, pe, op = _keras_transpose(layer, n, a, op)
        else:
            pb, pe, op = _jax_transpose(layer, n, a, target)
        o = F.conv_transpose_size(n, k, s, pb, pe, d, op)
        _check_positive("output", o, f"transposed conv of input {n} with kernel={k}, "
                        f"stride={s}, padding={pb}+{pe}, dilation={d}{where}")
        outs.append(o)
        pads.append((pb, pe))
        ops.append(op)
    return Resolved(layer, sizes, tuple(outs), tuple(pads), tuple(ops), tuple(notes))


def _flax_circular(layer: ConvTranspose, sizes: tuple[Int, ...]) -> Resolved:
    """``flax.linen.ConvTranspose(padding='CIRCULAR')`` (flax 0.12.8): ``lax.conv_transpose``
    with ``'VALID'`` gives the full output, ``(n-1)s + k_eff`` long when ``k_eff > s`` (else
    ``n s``, the full output and ``s - k_eff`` zeros); flax pads it by ``size_diff = (-e) mod
    2ns`` (``e`` the excess over ``n s``) -- ``(size_diff + 1)//2`` first, or ``size_diff//2``
    with ``transpose_kernel=True`` -- and sums its periods of ``n s``.  So the output is
    ``n s`` and full position ``j`` lands on ``(offset + j) mod n s``: with ``k_eff <= s``
    that is the uncropped output plus ``output_padding = s - k_eff`` (no fold)."""
    if layer.output_size is not None:
        raise InvalidSpecError(
            f"output_size={_show(layer.output_size, layer.ndim)} is not a parameter of "
            "flax.linen.ConvTranspose: padding='CIRCULAR' gives n*s"
        )
    outs: list[Int] = []
    pads: list[tuple[Int, Int]] = []
    ops: list[Int] = []
    folds: list[tuple[Int | None, Int] | None] = []
    for a, n in enumerate(sizes):
        k, s, d = layer.kernel[a], layer.stride[a], layer.dilation[a]
        keff = F.effective_kernel(k, d)
        period = n * s
        outs.append(period)
        if _known(keff, s) and keff <= s:
            pads.append((0, 0))
            ops.append(s - keff)
            folds.append(None)
            continue
        pads.append((0, 0))
        ops.append(0)
        if _known(n):
            diff = -(keff - s) % (2 * period)
            folds.append((((diff if layer.transpose_kernel else diff + 1) // 2) % period, period))
        else:  # the offset needs the size
            folds.append((None, period))
    fold = tuple(folds) if any(f is not None for f in folds) else None
    notes = () if fold is None else (
        "padding='CIRCULAR': the full transposed output summed modulo the output size "
        "(flax's periodic fold)",)
    return Resolved(layer, sizes, tuple(outs), tuple(pads), tuple(ops), notes, fold)


def _onnx_transpose(
    layer: ConvTranspose, n: Int, a: int, op: Int, target: Int | None
) -> tuple[Int, Int, Int]:
    """ONNX ConvTranspose: explicit pads, or pads derived from ``output_shape``/``auto_pad``.

    With an output shape, ``total = s(n-1) + op + k_eff - output_shape``; SAME_UPPER puts
    ``total//2`` first, NOTSET/SAME_LOWER put the larger half first (onnx#1609, PR #2095).  As in
    onnxruntime a negative total pads nothing and appends the missing zeros at the end, and the
    size must not exceed ``s(n-1) + k_eff + s - 1`` (onnxruntime's consistency check).
    """
    k, s, d = layer.kernel[a], layer.stride[a], layer.dilation[a]
    mode = layer.padding if isinstance(layer.padding, PadMode) else None
    if target is None and mode in (PadMode.SAME_UPPER, PadMode.SAME_LOWER):
        # auto_pad SAME: output = input * stride, by padding total = s(n-1) + op + k_eff - n*s;
        # onnxruntime and shape inference clamp a negative total at 0 (so when k_eff + op < s
        # the output is the unpadded (n-1)s + k_eff + op, shorter than n*s).
        keff = F.effective_kernel(k, d)
        total = op + keff - s  # s(n-1) + op + k_eff - n s: independent of n, so an int
        if _known(total) and total < 0:
            return 0, 0, op
        pb, pe = F.split_padding(total, extra_at_end=mode is PadMode.SAME_UPPER)
        return pb, pe, op
    if target is None:
        if mode is PadMode.VALID:
            return 0, 0, op
        pb, pe = layer.padding[a]
        return pb, pe, op
    keff = F.effective_kernel(k, d)
    top = (n - 1) * s + keff + s - 1
    if _known(target, top) and target > top:
        raise InvalidSpecError(
            f"output_size={target} must be at most {top} = s(n-1)+k_eff+s-1 for an input of {n} "
            "under convention onnx (onnxruntime: Explicit output_shape is inconsistent with "
            "input spatial dimensions)"
        )
    total = (n - 1) * s + op + keff - target
    if _known(total) and total < 0:
        return 0, 0, op - total
    pb, pe = F.split_padding(total, extra_at_end=mode is PadMode.SAME_UPPER)
    return pb, pe, op


def _tf_transpose(
    layer: ConvTranspose, n: Int, a: int, target: Int | None
) -> tuple[Int, Int, Int]:
    """TensorFlow ``conv2d_transpose``: the gradient of the forward conv on ``output_shape``."""
    k, s, d = layer.kernel[a], layer.stride[a], layer.dilation[a]
    keff = F.effective_kernel(k, d)
    mode = layer.padding
    if isinstance(mode, tuple):  # tf.nn.conv2d_transpose's explicit pads (2-D only)
        pb, pe = mode[a]
        lo = (n - 1) * s + keff - pb - pe
        if target is None or (_known(target, lo) and not lo <= target <= lo + s - 1):
            raise InvalidSpecError(
                f"output_size={target} must lie in [{lo}, {lo + s - 1}] for an input of {n} "
                f"with padding=({pb},{pe}) under convention tensorflow (the forward conv of "
                f"output_shape must give back {n})"
            )
        return pb, pe, target - lo
    if mode is PadMode.SAME:
        lo, hi = (n - 1) * s + 1, n * s
    else:
        lo, hi = (n - 1) * s + keff, (n - 1) * s + keff + s - 1
    if target is None:
        raise InvalidSpecError(
            f"output_size=None must be given under convention tensorflow: conv2d_transpose needs "
            f"output_shape, admissible sizes for an input of {n} with "
            f"padding={mode.value.upper()!r} are "
            f"[{lo}, {hi}]"
        )
    if _known(target, lo, hi) and not lo <= target <= hi:
        raise InvalidSpecError(
            f"output_size={target} must lie in [{lo}, {hi}] for an input of {n} with "
            f"padding={mode.value.upper()!r} under convention tensorflow (the forward conv of "
            "output_shape "
            f"must give back {n})"
        )
    fb, _ = _mode_pads(mode, Convention.TENSORFLOW, target, k, s, d)
    crop_end = (n - 1) * s + keff - fb - target
    if _known(crop_end) and crop_end < 0:
        return fb, 0, -crop_end
    return fb, crop_end, 0


def _keras_transpose(layer: ConvTranspose, n: Int, a: int, op: Int | None) -> tuple[Int, Int, Int]:
    """Keras ``Conv*Transpose``: lengths of ``deconv_output_length``; the padding it applies
    is Keras's conversion to a conv over the zero-stretched input (left/right pads of that conv).
    """
    k, s, d = layer.kernel[a], layer.stride[a], layer.dilation[a]
    keff = F.effective_kernel(k, d)
    if layer.padding is PadMode.VALID:
        extra = max(keff, s) - keff if op is None else op
        left, right = keff - 1, keff - 1 + extra
    else:
        pad_len = s + keff - 2 if op is None else keff + keff % 2 - 2 + op
        left = min(pad_len // 2 + pad_len % 2, keff - 1)
        right = pad_len - left
    return _from_lhs_pads(keff, left, right)


def _from_lhs_pads(keff: Int, left: Int, right: Int) -> tuple[Int, Int, Int]:
    """Padding ``(left, right)`` of the zero-stretched input -> PyTorch crops + output padding."""
    pb, pe = keff - 1 - left, keff - 1 - right
    if _known(pe) and pe < 0:
        return pb, 0, -pe
    return pb, pe, 0


def _jax_transpose(
    layer: ConvTranspose, n: Int, a: int, target: Int | None
) -> tuple[Int, Int, Int]:
    """``jax.lax.conv_transpose``: 'SAME'/'VALID' via ``_conv_transpose_padding``; explicit pairs
    pad the zero-stretched input (lax semantics, not PyTorch's)."""
    k, s, d = layer.kernel[a], layer.stride[a], layer.dilation[a]
    keff = F.effective_kernel(k, d)
    if target is not None:
        raise InvalidSpecError(
            f"output_size={target} is not a parameter of jax conv_transpose (use padding pairs)"
        )
    if layer.padding is PadMode.SAME:
        pad_len = keff + s - 2
        left = keff - 1 if s > keff - 1 else F.ceildiv(pad_len, 2)
    elif layer.padding is PadMode.VALID:
        pad_len = keff + s - 2 + max(keff - s, 0)
        left = keff - 1
    else:
        left, right = layer.padding[a]
        J.check_transpose_pairs(n, k, s, d, left, right, _axis_label(a, layer.ndim or 1))
        return _from_lhs_pads(keff, left, right)
    return _from_lhs_pads(keff, left, pad_len - left)


def _resolve_unpool(layer: MaxUnpool, sizes: tuple[Int, ...]) -> Resolved:
    nd = len(sizes)
    outs, notes, defaults = [], [], []
    for a, n in enumerate(sizes):
        k, s = layer.kernel[a], layer.stride[a]
        pb, pe = layer.padding[a]
        default = F.unpool_size(n, k, s, pb, pe)
        target = None if layer.output_size is None else layer.output_size[a]
        where = _axis_label(a, nd)
        if target is None:
            _check_positive("output", default, f"max-unpooling of input {n}{where}")
            outs.append(default)
            continue
        if layer.convention is Convention.TORCH and _known(default, target):
            if not default - s < target < default + s:
                raise InvalidSpecError(
                    f"output_size={target} must be strictly between {default - s} and "
                    f"{default + s}{where} (PyTorch: invalid output_size)"
                )
        if layer.convention is Convention.ONNX:
            _check_positive("output", default, f"max-unpooling of input {n}{where}")
            defaults.append(default)
        outs.append(target)
        notes.append(
            "indices are flat positions in the output plane (PyTorch) but in the pre-pool plane "
            "(ONNX): with an explicit output size they land in different places"
        )
    if defaults and _known(*defaults, *outs) and prod(outs) < prod(defaults):
        # onnxruntime compares element counts, not axes: (1, 4) is accepted where (2, 2) is due.
        raise InvalidSpecError(
            f"output_size={fmt(tuple(outs))} must have at least as many elements as the default "
            f"size {fmt(tuple(defaults))} under convention onnx (onnxruntime: output_shape is "
            "smaller than minimum required)"
        )
    return Resolved(layer, sizes, tuple(outs), tuple(layer.padding), None,
                    tuple(dict.fromkeys(notes)))


def _resolve_resize(layer: Resize, sizes: tuple[Int, ...]) -> Resolved:
    nd = len(sizes)
    outs = []
    for a, n in enumerate(sizes):
        if layer.size is not None:
            o = layer.size[a]
        else:
            sf = layer.scale_factor[a]
            o = F.resize_size(n, sf, float32=layer.convention is Convention.ONNX)
            _check_positive(
                "output", o, f"floor({n} * scale_factor={fmt(sf)}){_axis_label(a, nd)}"
            )
        outs.append(o)
    zero = tuple((0, 0) for _ in sizes)
    return Resolved(layer, sizes, tuple(outs), zero)


def _resolve_shuffle(layer: PixelShuffle | PixelUnshuffle, sizes: tuple[Int, ...]) -> Resolved:
    r = layer.factor
    zero = tuple((0, 0) for _ in sizes)
    if isinstance(layer, PixelShuffle):
        return Resolved(layer, sizes, tuple(n * r for n in sizes), zero)
    for a, n in enumerate(sizes):
        if _known(n) and n % r:
            raise InvalidSpecError(
                f"input size {n}{_axis_label(a, len(sizes))} must be divisible by factor={r} "
                "(pixel unshuffle)"
            )
    return Resolved(layer, sizes, tuple(F.floordiv(n, r) for n in sizes), zero)


def slice_start(n: int, start: int, end: int | None, step: int, *, onnx: bool = True
                ) -> tuple[int, int]:
    """First index and length of the slice ``start:end:step`` of ``range(n)``.

    Negative bounds count from the end (``n + v``), ``end=None`` runs through the end
    (``step > 0``) or the beginning (``step < 0``); then the ONNX ``Slice`` clamps: start
    into ``[0, n]`` (``step > 0``) or ``[0, n - 1]`` (``step < 0``), end into ``[0, n]`` or
    ``[-1, n - 1]``.  Python/NumPy slicing (``onnx=False``) differs in one place: with a
    negative step, a start before the beginning is clamped to ``-1`` (nothing), not ``0``
    (onnxruntime: ``x[-10::-1]`` of 5 elements is ``[x0]``, Python's is empty).

    >>> slice_start(5, -10, None, -1), slice_start(5, -10, None, -1, onnx=False)
    ((0, 1), (-1, 0))
    """
    if not onnx:
        first, stop, stride = slice(start, end, step).indices(n)
        return first, len(range(first, stop, stride))
    rel_s = start + n if start < 0 else start
    if step > 0:
        first = min(max(rel_s, 0), n)
        last = n if end is None else min(max(end + n if end < 0 else end, 0), n)
        return first, max(0, -((first - last) // step))
    first = min(max(rel_s, 0), n - 1)
    last = -1 if end is None else min(max(end + n if end < 0 else end, -1), n - 1)
    return first, max(0, -((last - first) // -step))


def slice_length(n: Int, start: int, end: int | None, step: int, *, onnx: bool = True) -> Int:
    """Length of the slice ``start:end:step`` of ``range(n)`` (:func:`slice_start`).

    ``n`` may be symbolic: the formula is then the one that holds wherever the slice is
    non-empty (an empty slice is rejected by :func:`resolve`, like a too-small input of any
    layer): there a non-negative ``start`` (``step > 0``) is never clamped, nor is a negative
    ``end`` (``step > 0``) or a non-negative one (``step < 0``); the other clamps stay as
    ``Min``/``Max``.

    >>> slice_length(10, 1, -1, 1), slice_length(10, 0, None, 3), slice_length(10, -1, None, -2)
    (8, 4, 5)
    >>> slice_length(3, 5, None, 1)
    0
    """
    if _known(n):
        return slice_start(int(n), start, end, step, onnx=onnx)[1]
    import sympy

    if step > 0:
        s = sympy.Integer(start) if start >= 0 else sympy.Max(n + start, 0)
        e = n if end is None else (n + end if end < 0 else sympy.Min(end, n))
        return sympy.ceiling((e - s) / step)
    if start >= 0:
        s = sympy.Min(start, n - 1)
    else:  # Python: a start before the beginning leaves nothing; ONNX clamps it to 0
        s = sympy.Max(n + start, 0) if onnx else n + start
    e = sympy.Integer(-1) if end is None else (end if end >= 0 else sympy.Max(n + end, -1))
    return sympy.ceiling((s - e) / -step)


def _resolve_slice(layer: Slice, sizes: tuple[Int, ...]) -> Resolved:
    nd = len(sizes)
    outs = []
    for a, n in enumerate(sizes):
        st, e, sp = layer.start[a], layer.end[a], layer.step[a]
        o = slice_length(n, st, e, sp, onnx=layer.convention is Convention.ONNX)
        _check_positive("output", o, f"slice [{st}:{'' if e is None else e}:{sp}] of size "
                        f"{n}{_axis_label(a, nd)} is empty")
        outs.append(o)
    zero = tuple((0, 0) for _ in sizes)
    return Resolved(layer, sizes, tuple(outs), zero)


def _resolve_adaptive(layer: AdaptiveAvgPool | AdaptiveMaxPool,
                      sizes: tuple[Int, ...]) -> Resolved:
    """Output ``o`` on a fixed axis, ``n`` on a kept one; windows need no padding."""
    nd = len(sizes)
    outs = tuple(F.adaptive_size(n, o) for n, o in zip(sizes, layer.output_size, strict=True))
    notes = []
    for a, (n, o) in enumerate(zip(sizes, layer.output_size, strict=True)):
        if o is None or not _known(n, o) or n % o == 0:
            continue
        why = (f"{o} outputs read {n} inputs, so windows repeat inputs" if n < o else
               f"{o} does not divide {n}, so neighbouring windows share an input")
        notes.append(f"adaptive windows [floor(i*{n}/{o}), ceil((i+1)*{n}/{o})) overlap"
                     f"{_axis_label(a, nd)}: {why}")
    return Resolved(layer, sizes, outs, tuple((0, 0) for _ in sizes), None, tuple(notes))


def _check_adaptive_input(layer: AdaptiveAvgPool | AdaptiveMaxPool, input_size: Any) -> None:
    """An empty axis has empty windows: name the rule (and what the framework says)."""
    values = tuple(input_size) if isinstance(input_size, tuple | list) else (input_size,)
    if not any(is_int(v) and v == 0 for v in values):
        return
    shown = fmt(tuple(values)) if len(values) > 1 else "0"
    conv = layer.convention
    why = ""
    if conv is Convention.TORCH:
        why = " (PyTorch: Expected input to have non-zero size for non-batch dimensions"
        if isinstance(layer, AdaptiveAvgPool) and all(o == 1 for o in layer.output_size):
            why += "; only adaptive_avg_pool to size 1 returns NaN instead, the mean of nothing"
        why += ")"
    elif conv is Convention.ONNX:
        op = "GlobalAveragePool" if isinstance(layer, AdaptiveAvgPool) else "GlobalMaxPool"
        why = f" (onnxruntime {op}: Invalid input shape. Only N can be zero)"
    raise InvalidSpecError(
        f"input size={shown} must be at least 1 on every axis for adaptive pooling: the "
        f"windows of an empty axis are empty{why}"
    )


_RESOLVERS: dict[type, Any] = {
    Conv: _resolve_conv,
    ConvTranspose: _resolve_conv_transpose,
    MaxPool: _resolve_pool,
    AvgPool: _resolve_pool,
    MaxUnpool: _resolve_unpool,
    Resize: _resolve_resize,
    PixelShuffle: _resolve_shuffle,
    PixelUnshuffle: _resolve_shuffle,
    Slice: _resolve_slice,
    AdaptiveAvgPool: _resolve_adaptive,
    AdaptiveMaxPool: _resolve_adaptive,
}


def resolve(layer: Layer, input_size: Any) -> Resolved:
    """Apply ``layer`` to a spatial input size (an int for 1-D, or one entry per axis).

    Returns the output size, the ``(before, after)`` padding actually applied on each axis and,
    for transposed convolutions, the output padding.

    >>> r = resolve(ConvTranspose(kernel=3, stride=2, padding="SAME_UPPER", convention="onnx"), 4)
    >>> r.output, r.pads, r.output_padding
    ((8,), ((0, 1),), (0,))
    """
    if isinstance(layer, AdaptiveAvgPool | AdaptiveMaxPool):
        _check_adaptive_input(layer, input_size)
    sizes = _spatial(input_size)
    layer = layer.at(len(sizes))
    return _RESOLVERS[type(layer)](layer, sizes)



def size_period(layer: Layer, axis: int = 0) -> tuple[int, int]:
    """``(L, g)`` with ``out(n + L) = out(n) + g`` for every accepted ``n`` on ``axis``.

    Every output size in symconv is a non-decreasing quasi-affine function of the input size:
    windowed layers (conv, pooling) ``L = s, g = 1``; transposed conv and unpooling ``L = 1,
    g = s``; pixel shuffle ``L = 1, g = r``; unshuffle ``L = r, g = 1``; resize by ``p/q`` ``L =
    q, g = p``; a fixed output size (``size=``, ``output_size=``, TensorFlow ``output_shape``,
    adaptive pooling) ``L = 1, g = 0``; an axis adaptive pooling keeps ``L = 1, g = 1``.  This
    is the period of T21's proof (:mod:`symconv.sizes.proof`) and of the valid-size sets of
    ``symconv review``.

    >>> from symconv.spec import Conv, Resize
    >>> from fractions import Fraction
    >>> size_period(Conv(kernel=3, stride=2, padding=1))
    (2, 1)
    >>> size_period(Resize(scale_factor=Fraction(3, 2)))
    (2, 3)
    """
    spec = layer.at(max(getattr(layer, "ndim", None) or 1, axis + 1))
    if isinstance(spec, Conv | MaxPool | AvgPool):
        return int(spec.stride[axis]), 1
    if isinstance(spec, ConvTranspose | MaxUnpool):
        if spec.output_size is not None or (
                isinstance(spec, ConvTranspose) and spec.convention is Convention.TENSORFLOW):
            return 1, 0
        return 1, int(spec.stride[axis])
    if isinstance(spec, Resize):
        if spec.size is not None:
            return 1, 0
        f = Fraction(spec.scale_factor[axis])
        return f.denominator, f.numerator
    if isinstance(spec, PixelShuffle):
        return 1, int(spec.factor)
    if isinstance(spec, PixelUnshuffle):
        return int(spec.factor), 1
    if isinstance(spec, AdaptiveAvgPool | AdaptiveMaxPool):
        return (1, 1) if spec.output_size[axis] is None else (1, 0)
    if isinstance(spec, Slice):
        # Past n >= |start| + |end| + 1 every clamp is settled: the length grows by 1 every
        # |step| sizes iff the far end follows n and the near end is a constant; otherwise it
        # is constant (possibly 0, rejected).  Below that point the clamps make it
        # non-periodic; the review's valid-size scan evaluates every size there (the spec's
        # constants bound the settle point).
        st, e, sp = int(spec.start[axis]), spec.end[axis], int(spec.step[axis])
        if sp > 0:
            grows = (e is None or e < 0) and st >= 0
        else:
            grows = st < 0 and (e is None or e >= 0)
        return (abs(sp), 1) if grows else (1, 0)
    raise UnsupportedError(f"layer={spec!r} has no known size period")

def _spatial(input_size: Any) -> tuple[Int, ...]:
    if isinstance(input_size, tuple | list):
        if not input_size:
            raise InvalidSpecError("input size=() must have at least one spatial axis")
        return tuple(_size("input size", n) for n in input_size)
    return (_size("input size", input_size),)


def output_shape(layer: Layer, input_size: Any) -> tuple[Int, ...]:
    """Spatial output size of ``layer`` for a spatial input size.

    >>> output_shape(Conv(kernel=3, stride=2, padding=1), (5, 6))
    (3, 3)
    """
    return resolve(layer, input_size).output


def output_channels(layer: Layer, channels: Int, ndim: int = 2) -> Int | None:
    """Channel count after ``layer`` (``None`` when a conv does not say its ``out_channels``).

    >>> output_channels(PixelShuffle(factor=2), 12, ndim=2)
    3
    """
    c = _size("channels", channels)
    if isinstance(layer, Conv | ConvTranspose):
        if layer.in_channels is not None and _known(c) and layer.in_channels != c:
            raise InvalidSpecError(
                f"in_channels={layer.in_channels} must equal the input's channel count {c}"
            )
        if _known(c) and c % layer.groups:
            raise InvalidSpecError(f"groups={layer.groups} must divide in_channels={c}")
        return layer.out_channels
    if isinstance(layer, PixelShuffle):
        r = layer.factor**ndim
        if _known(c) and c % r:
            raise InvalidSpecError(
                f"channels={c} must be divisible by factor**{ndim}={r} (pixel shuffle)"
            )
        return F.floordiv(c, r)
    if isinstance(layer, PixelUnshuffle):
        return c * layer.factor**ndim
    if isinstance(layer, Slice) and layer.channels is not None:
        if not _known(c):
            raise UnsupportedError("a channel slice needs a known channel count")
        cs, ce, cp = layer.channels
        out = slice_length(c, int(cs), ce, int(cp), onnx=layer.convention is Convention.ONNX)
        if out < 1:
            raise InvalidSpecError(f"channels={layer.channels} must keep at least one of the "
                                   f"{c} channels (the slice is empty)")
        return out
    return c
