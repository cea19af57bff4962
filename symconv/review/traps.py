"""Per-layer traps with stable codes: checkerboards (T16/T17), SAME padding splits, ceil-mode
last windows, count_include_pad defaults, non-adjoint output_padding, resize coordinate modes,
max-unpool index semantics, receptive fields larger than the input."""

from __future__ import annotations

import math
from typing import Any

from symconv.errors import SymconvError
from symconv.network.model import Network, Resample
from symconv.review.model import AxisValidity, Finding, axis_list
from symconv.sizes import jax_pads as J
from symconv.spec import (
    AvgPool,
    Conv,
    Convention,
    ConvTranspose,
    MaxPool,
    MaxUnpool,
    PadMode,
    Resize,
)

__all__ = ["layer_warnings", "path_text", "same_split_count", "same_splits"]


def layer_warnings(net: Network, concrete: tuple[int, ...] | None,
                   validity: list[AxisValidity | None], notes: list[str] | None = None
                   ) -> list[Finding]:
    """The per-layer warnings (SC1xx, SC2xx, SC301); what was not checked, and why, goes to
    ``notes``."""
    out: list[Finding] = []
    notes = [] if notes is None else notes
    nd = net.ndim
    same: set[tuple[str, str]] | None = None
    seen: dict[str, list[set[Any]]] | None = None
    for node in net.nodes:
        layer = node.layer
        if layer is None:
            if node.resample is not None and node.size_of is not None:
                if same is None:
                    same = _same_size_pairs(net)
                if seen is None:
                    seen = _resize_sizes(net, validity)
                if (node.inputs[0], node.size_of) not in same:  # else the identity
                    f = _like_resize_warning(node.name, node.size_of, node.inputs[0],
                                             node.resample, seen.get(node.name), notes)
                    if f is not None:
                        out.append(f)
            continue
        spec = layer.at(nd)
        name = node.name
        if isinstance(spec, ConvTranspose):
            out.extend(_transposed_warnings(name, spec))
        if isinstance(spec, Conv):
            bad = [a for a in range(nd) if spec.stride[a] > 1
                   and not _uniform(spec.kernel[a], spec.stride[a], spec.dilation[a])]
            if bad:
                out.append(Finding("SC102", name, (
                    f"{name}: strided conv kernel={_axes(spec.kernel)} stride="
                    f"{_axes(spec.stride)} has an uneven input gradient on axis "
                    f"{axis_list(bad)} (T17: stride must divide kernel, gcd(stride, dilation) = 1)")))
        if isinstance(spec, Conv | MaxPool | AvgPool):
            f = _same_warning(name, spec, nd)
            if f is not None:
                out.append(f)
        if isinstance(spec, MaxPool | AvgPool) and spec.ceil_mode:
            f = _ceil_warning(name, spec, nd)
            if f is not None:
                out.append(f)
        if isinstance(spec, MaxPool | AvgPool):
            f = _padding_only_warning(name, spec, nd)
            if f is not None:
                out.append(f)
        if isinstance(spec, AvgPool) and "count_include_pad" not in node.given and _padded(spec):
            if spec.convention in (Convention.TENSORFLOW, Convention.KERAS):
                advice = ("TensorFlow/Keras never count padded values: a PyTorch port needs "
                          "count_include_pad=False (PyTorch's default is True)")
            else:
                advice = (f"it relies on the {spec.convention.value} default "
                          f"count_include_pad={spec.count_include_pad} (PyTorch: True, ONNX: "
                          "False, TensorFlow: padding never counted); set it explicitly")
            out.append(Finding("SC203", name, (
                f"{name}: padded average pooling divides border windows differently across "
                f"frameworks: {advice}")))
        if isinstance(spec, Resize):
            if seen is None:
                seen = _resize_sizes(net, validity)
            f = _resize_warning(name, spec, seen.get(name), notes)
            if f is not None:
                out.append(f)
        if isinstance(spec, MaxUnpool):
            overlap = any(k > s for k, s in zip(spec.kernel, spec.stride, strict=True))
            plane = _switch_plane(net, name, spec, concrete, validity)
            if spec.output_size is not None or overlap or plane:
                why = [plane] if plane else []
                if spec.output_size is not None:
                    why.append("with an explicit output size PyTorch reads indices as flat "
                               "positions in the output plane, ONNX in the pre-pool plane "
                               "(onnx#2398)")
                if overlap:
                    why.append("windows overlap (kernel > stride): repeated indices make "
                               "PyTorch's result nondeterministic (T14)")
                out.append(Finding("SC206", name, f"{name}: " + "; ".join(why)))
    out.extend(_receptive_warnings(net, concrete, validity))
    return out


def _switch_plane(net: Network, name: str, spec: MaxUnpool, concrete: tuple[int, ...] | None,
                  validity: list[AxisValidity | None]) -> str:
    """PyTorch's MaxUnpool reads its switches as flat positions in its own output plane; when
    that plane differs from the one the paired max pool indexed (the pool's input), values
    land in the wrong place, or a switch beyond the plane raises (data-dependent)."""
    if spec.output_size is not None or spec.convention is not Convention.TORCH:
        return ""
    from symconv.review.pairing import infer_pairs
    from symconv.review.propagate import evaluate
    from symconv.review.validity import make_plan

    where = target = down = ""
    for a in range(net.ndim):
        try:
            pairs, _ = infer_pairs(net, a)
        except SymconvError:
            continue
        pair = next((p for p in pairs if p.up == name
                     and isinstance(net.node(p.down).layer, MaxPool)), None)
        if pair is None:
            continue
        target, down = pair.target, pair.down
        if concrete is not None:
            values, _ = evaluate(net, concrete)
            if name in values and target in values and values[name] != values[target]:
                where = (f"at this input size ({_sizes(values[name])} vs {target}="
                         f"{_sizes(values[target])})")
                break
            continue
        v = validity[a]
        if v is None:
            continue
        try:
            plan = make_plan(net, a)
        except SymconvError:
            continue
        for n in v.smallest(2 * plan.period + 2):
            vals = plan.run(n)[0]
            if name in vals and target in vals and vals[name] != vals[target]:
                where = (f"for some valid sizes (input {n} on axis {a}: {name}={vals[name]}, "
                         f"{target}={vals[target]})")
                break
        if where:
            break
    if not where:
        return ""
    return (f"its output differs from {target}, the plane whose flat positions "
            f"{down}'s switches hold, {where}: PyTorch reads them in its own output "
            "plane, so values land in the wrong place, or it raises 'Found an invalid max "
            "index' when a maximum lies beyond that plane (depends on the data); pass "
            f"output_size={target}'s size")


def _sizes(v: tuple[int, ...]) -> str:
    return "x".join(map(str, v))


def _uniform(k: int, s: int, d: int) -> bool:
    return math.gcd(s, d) == 1 and k % s == 0


def _axes(v: tuple[Any, ...]) -> str:
    return str(v[0]) if len(set(v)) == 1 else "x".join(map(str, v))



def _transposed_warnings(name: str, spec: ConvTranspose) -> list[Finding]:
    out: list[Finding] = []
    nd = len(spec.kernel)
    bad = [a for a in range(nd) if not _uniform(spec.kernel[a], spec.stride[a], spec.dilation[a])]
    if bad:
        from symconv.coverage import overlap_pattern

        pats = [overlap_pattern(int(spec.kernel[a]), int(spec.stride[a]),
                                d=int(spec.dilation[a])) for a in bad]
        out.append(Finding("SC101", name, (
            f"{name}: transposed conv kernel={_axes(spec.kernel)} stride={_axes(spec.stride)} "
            f"dilation={_axes(spec.dilation)} covers its output unevenly on axis {axis_list(bad)} "
            f"(taps per output phase {pats[0]}; T16): checkerboard artifacts. Use a kernel "
            "divisible by the stride, or resize then conv")))
    if spec.output_padding is not None and any(
            o >= s for o, s in zip(spec.output_padding, spec.stride, strict=True)):
        out.append(Finding("SC204", name, (
            f"{name}: output_padding={_axes(spec.output_padding)} >= stride="
            f"{_axes(spec.stride)}: allowed by PyTorch because it is < dilation, but the layer "
            "is then not the adjoint (gradient) of any conv with these parameters (T02)")))
    return out


def _padded(spec: Any) -> bool:
    """True when the pool pads some input size (VALID never; SAME unless every k_eff is 1)."""
    if spec.padding is PadMode.VALID:
        return False
    if isinstance(spec.padding, PadMode):
        return any(d * (k - 1) > 0 for k, d in zip(spec.kernel, spec.dilation, strict=True))
    return any(p != (0, 0) for p in spec.padding)


def same_splits(k: int, s: int, d: int, lower: bool = False, limit: int | None = None
                ) -> tuple[tuple[int, int], ...]:
    """The (before, after) padding splits of TensorFlow/ONNX SAME on one axis over every input
    size: the total ``max((ceil(n/s) - 1) s + k_eff - n, 0)`` equals
    ``max(k_eff - 1 - (n - 1) mod s, 0)`` for every ``n >= 1``, so the totals are exactly
    ``max(k_eff - s, 0) .. k_eff - 1`` (:func:`same_split_count` of them), in closed form
    whatever the stride.  ``limit``: at most that many, the smallest totals first.

    >>> same_splits(7, 2, 1)  # 224 -> (2, 3), 225 -> (3, 3)
    ((2, 3), (3, 3))
    >>> same_splits(2, 1, 1), same_splits(2, 1, 1, lower=True)
    (((0, 1),), ((1, 0),))
    >>> same_splits(3, 2**40, 1, limit=2), same_split_count(3, 2**40, 1)
    (((0, 0), (0, 1)), 3)
    """
    keff = d * (k - 1) + 1
    lo = max(keff - s, 0)
    hi = keff if limit is None else min(keff, lo + limit)
    out = [(t // 2, t - t // 2) for t in range(lo, hi)]
    return tuple(sorted((b, a) for a, b in out) if lower else out)


def same_split_count(k: int, s: int, d: int) -> int:
    """How many SAME padding totals an axis has over every input size (``min(s, k_eff)``)."""
    return min(s, d * (k - 1) + 1)


#: SAME splits listed in a warning (a huge stride or kernel has as many as its extent).
_SHOWN_SPLITS = 8


def _same_warning(name: str, spec: Any, nd: int) -> Finding | None:
    if spec.padding not in (PadMode.SAME, PadMode.SAME_UPPER, PadMode.SAME_LOWER):
        return None
    if spec.padding is PadMode.SAME and spec.convention is Convention.TORCH:
        asym = [a for a in range(nd) if (spec.dilation[a] * (spec.kernel[a] - 1)) % 2]
        if not asym:
            return None
        return Finding("SC201", name, (
            f"{name}: padding='same' with an even kernel pads one more at the end on axis "
            f"{axis_list(asym)}: TensorFlow/Keras/JAX 'SAME' and ONNX SAME_UPPER split it the "
            "same way, ONNX SAME_LOWER and any symmetric explicit padding do not"))
    lower = spec.padding is PadMode.SAME_LOWER
    details = []
    varies = strided = False
    for a in range(nd):
        k, s, d = int(spec.kernel[a]), int(spec.stride[a]), int(spec.dilation[a])
        splits = same_splits(k, s, d, lower, limit=_SHOWN_SPLITS)
        count = same_split_count(k, s, d)
        if any(b != e for b, e in splits):
            varies |= count > 1
            strided |= s > 1
            dep = f" depending on the input size mod {s}" if count > 1 else ""
            more = f" ... ({count:,} splits in all)" if count > len(splits) else ""
            details.append(f"axis {a}: pads {list(splits)}{more}{dep}")
    if not details:
        return None
    if not isinstance(spec, Conv):
        port = ("PyTorch pools take symmetric padding only: a port needs an explicit F.pad "
                + ("(with -inf)" if isinstance(spec, MaxPool) else
                   "and an average that does not count the padded values"))
    elif lower:
        port = ("PyTorch has no padding mode with the extra pixel at the beginning: a port "
                "needs an explicit F.pad")
    elif not strided:
        port = "PyTorch padding='same' (stride 1) splits it the same way"
    else:
        port = "a PyTorch port needs an explicit F.pad (its padding='same' is stride 1 only)"
    if varies:
        port += ", computed from the input size"
    return Finding("SC201", name, (
        f"{name}: {spec.padding.value.upper()} padding is asymmetric ({'; '.join(details)}); "
        f"{port}"))


def _padding_only_warning(name: str, spec: Any, nd: int) -> Finding | None:
    """SC210: a JAX max pooling (or average without counted padding) where some window reads
    only padding at some input sizes of the layer: JAX gives -inf (NaN) there."""
    if not J.pool_rule_applies(spec) or not isinstance(spec.padding, tuple):
        return None
    found = []
    for a in range(nd):
        k, s, d = spec.kernel[a], spec.stride[a], spec.dilation[a]
        pb, pe = spec.padding[a]
        keff = d * (k - 1) + 1
        # past k_eff + |pb| + |pe| + s + d the sizes repeat with period s (jax_pads)
        valid = [n for n in range(1, keff + abs(pb) + abs(pe) + s + d + 1)
                 if n + pb + pe >= keff]
        hits = [n for n in valid
                if J.padding_only_window(n, k, s, d, pb, (n + pb + pe - keff) // s + 1)
                is not None]
        if hits:
            found.append((a, hits, hits == valid))
    if not found:
        return None
    value = "-inf" if isinstance(spec, MaxPool) else "NaN (0/0)"
    parts = []
    for a, hits, every in found:
        sizes = "every input size" if every else (
            f"input sizes {', '.join(map(str, hits[:6]))}{', ...' if len(hits) > 6 else ''} "
            f"(and so on with period {spec.stride[a]})")
        parts.append(f"{sizes}{'' if nd == 1 else f' on axis {a}'}")
    wide = any(max(spec.padding[a]) >= spec.dilation[a] * (spec.kernel[a] - 1) + 1
               for a, _, _ in found)
    advice = ("pad less than the window's extent k_eff on each side" if wide else
              "the dilation steps over inputs shorter than it: pad less or dilate less")
    return Finding("SC210", name, (
        f"{name}: padding={_axes(spec.padding)} leaves a window that reads only padding at "
        f"{'; '.join(parts)} of this layer: JAX gives {value} there, not a value of the "
        f"input ({advice})"))


def _ceil_warning(name: str, spec: Any, nd: int) -> Finding | None:
    from symconv.sizes import formulas as F

    hits = []
    unpadded = False
    for a in range(nd):
        k, s, d = int(spec.kernel[a]), int(spec.stride[a]), int(spec.dilation[a])
        if not isinstance(spec.padding, tuple):
            continue
        pb, pe = (int(x) for x in spec.padding[a])
        keff = d * (k - 1) + 1
        for n in range(max(keff - pb - pe, 1), max(keff - pb - pe, 1) + 2 * s):
            rule = int(F.pool_size(n, k, s, pb, pe, d, ceil_mode=True))
            plain = -(-(n + pb + pe - keff) // s) + 1
            if rule != plain:
                hits.append(f"axis {a} at n={n}: {rule}, plain ceil {plain}")
                unpadded |= pb + pe == 0
                break
    if not hits:
        return None
    caffe = (", nor does Caffe here (it applies the rule only with padding)" if unpadded
             else "")
    return Finding("SC202", name, (
        f"{name}: ceil_mode pooling drops a last window that would start past the input "
        f"({'; '.join(hits)}); PyTorch and ONNX (since onnx PR #5741) drop it, older ONNX "
        f"shape inference does not{caffe}"))


#: Valid sizes per axis at which the review reads the sizes a resize is fed (SC205).
_SC205_SIZES = 24


def _resize_sizes(net: Network, validity: list[AxisValidity | None]) -> dict[str, list[set[Any]]]:
    """For each resize, per axis, the input sizes (a like-resize: ``(input, output)`` pairs)
    it gets at the smallest valid sizes; an axis without a valid set is left empty (the
    default grid of :mod:`symconv.review.sampling` is used)."""
    from symconv.review.validity import make_plan

    names = [n for n in net.nodes if isinstance(n.layer, Resize) or n.resample is not None]
    out: dict[str, list[set[Any]]] = {n.name: [set() for _ in range(net.ndim)] for n in names}
    if not names:
        return out
    for a, v in enumerate(validity):
        if v is None or v.empty:
            continue
        try:
            plan = make_plan(net, a)
        except SymconvError:
            continue
        for n in v.smallest(_SC205_SIZES):
            vals = plan.run(n)[0]
            for node in names:
                src = node.inputs[0]
                if src not in vals:
                    continue
                if node.size_of is not None:
                    if node.size_of in vals:
                        out[node.name][a].add((vals[src], node.like(vals[node.size_of], a)))
                else:
                    out[node.name][a].add(vals[src])
    return out


def _resize_warning(name: str, spec: Resize, sizes: list[set[Any]] | None,
                    notes: list[str]) -> Finding | None:
    """SC205 when no resize of the other framework (PyTorch for ONNX, ONNX for the others)
    samples exactly like this one at the input sizes the network feeds it
    (:func:`symconv.review.sampling.closest_counterpart`, exact maps, estimated first: too
    large ones are not built and a note says so)."""
    from symconv.review.sampling import TooLarge, closest_counterpart

    use = None if sizes is None or not all(sizes) else sizes
    cut: list[str] = []
    try:
        d = closest_counterpart(spec, use, cut)
    except TooLarge as exc:
        notes.append(f"{name}: SC205 (resize sampling across frameworks) not checked: {exc}")
        return None
    notes.extend(f"{name}: SC205 {c}" for c in cut)
    if d is None:
        return None
    what = (f"mode={spec.mode.value} coordinate_mode={spec.coordinate_mode.value}"
            + ("" if spec.nearest_mode is None else f" nearest_mode={spec.nearest_mode.value}"))
    return Finding("SC205", name, (
        f"{name}: resize ({what}) has no exact counterpart in "
        f"{'PyTorch' if spec.convention is Convention.ONNX else 'ONNX'}: the closest, "
        f"{d.other}, samples other source positions or weights at input size {d.size} "
        "(exact maps compared at the sizes the network feeds it); a port must reproduce this "
        "sampling"))


def _same_size_pairs(net: Network) -> set[tuple[str, str]]:
    """(source, target) of the like-resizes whose two tensors have the same size formula on
    every axis: equal expressions are equal functions, so the resize is the identity at
    every size, in every mode (ratio 1: every coordinate mode maps output ``j`` to input
    ``j`` exactly, and nearest rounding, linear and cubic weights then read ``j`` alone).
    Formulas that differ in form but not in value only keep the (conditional) SC205."""
    from symconv.review.propagate import symbolic_formulas

    pairs = {(n.inputs[0], n.size_of) for n in net.nodes
             if n.resample is not None and n.size_of is not None}
    formulas = symbolic_formulas(net, [])
    return {(a, b) for a, b in pairs
            if a in formulas and b in formulas and formulas[a] == formulas[b]}


def _like_resize_warning(name: str, target: str, source: str, r: Resample,
                         sizes: list[set[Any]] | None, notes: list[str]) -> Finding | None:
    """SC205 for a resize to the size of ``target``: its factor follows the input size, so
    it is compared with the other framework at every ``(input, output)`` pair of sizes the
    network gives it (:func:`symconv.review.sampling.like_counterpart`)."""
    from symconv.review.sampling import TooLarge, like_counterpart

    pairs = None if sizes is None or not any(sizes) else set().union(*sizes)
    try:
        d = like_counterpart(r.resize, pairs)
    except TooLarge as exc:
        notes.append(f"{name}: SC205 (resize sampling across frameworks) not checked: {exc}")
        return None
    if d is None:
        return None
    what = (f"mode={r.mode.value} coordinate_mode={r.coordinate_mode.value}"
            + ("" if r.nearest_mode is None else f" nearest_mode={r.nearest_mode.value}"))
    n_in, n_out = d.size if isinstance(d.size, tuple) else (d.size, d.size)
    return Finding("SC205", name, (
        f"{name}: resize of {source} to the size of {target} ({what}) has no exact "
        f"counterpart in {'PyTorch' if r.convention is Convention.ONNX else 'ONNX'}: the "
        f"closest, {d.other}, samples other source positions or weights when {source} has "
        f"size {n_in} and {target} size {n_out} (exact maps compared at the sizes the network "
        "gives it); a port must reproduce this sampling"))


def _receptive_warnings(net: Network, concrete: tuple[int, ...] | None,
                        validity: list[AxisValidity | None]) -> list[Finding]:
    """SC301: per final output, the worst (input, axis) whose receptive field over every path
    (:func:`symconv.review.receptive.graph_receptive_field`) is wider than that input, with the path
    that reaches the field's ends.  Outputs that up-sample their input overall (stride < 1 on
    some path, e.g. a generator from a 1x1 code) are not judged."""
    out: list[Finding] = []
    used = {s for n in net.nodes for s in n.inputs}
    finals = [o for o in net.outputs if o not in used] or list(net.outputs)
    sizes = net.input_sizes(concrete) if concrete is not None else None
    minima = None if any(v is None or v.minimum is None for v in validity) else tuple(
        v.minimum for v in validity if v is not None and v.minimum is not None)
    for output in finals:
        hits: list[tuple[int, int, str, int, str]] = []  # (-excess, order, input, axis, text)
        for order, inp in enumerate(net.inputs):
            for a in range(net.ndim):
                hit = _receptive_text(net, output, inp.name, a, sizes, minima, validity)
                if hit is not None:
                    hits.append((-hit[0], order * net.ndim + a, inp.name, a, hit[1]))
        if not hits:
            continue
        hits.sort()
        _, _, inp_name, _, text = hits[0]
        also = [a for _, _, i, a, _ in hits[1:] if i == inp_name]
        more = f" (also on axis {axis_list(sorted(also))})" if also else ""
        out.append(Finding("SC301", output, f"{output}: {text}{more}"))
    return out


#: Longest receptive-field period SC301 tabulates (one Python step per position): a larger
#: one comes from up-sampling (a period of p positions for a factor p), and outputs that
#: up-sample their input are not judged by SC301 anyway.
_SC301_PERIOD = 1 << 14


def _receptive_text(net: Network, output: str, inp: str, a: int,
                    sizes: dict[str, tuple[int, ...]] | None,
                    minima: tuple[int, ...] | None,
                    validity: list[AxisValidity | None]) -> tuple[int, str] | None:
    """(excess, message) when ``output``'s field with respect to ``inp`` on axis ``a`` is wider
    than ``inp`` at the given size (or at the smallest valid size)."""
    from symconv.review.receptive import graph_receptive_field

    of = f" of {inp}" if len(net.inputs) > 1 else ""
    declared = next(i for i in net.inputs if i.name == inp).size[a]
    at: tuple[int, ...] | None = None
    try:
        if sizes is not None:
            n = sizes[inp][a]
            rf = graph_receptive_field(net, output, inp, a, tuple(sizes[net.inputs[0].name]),
                                       max_period=_SC301_PERIOD)
        else:
            v = validity[a]
            if isinstance(declared, int):
                n = declared
            elif v is not None and v.symbol == declared and v.minimum is not None:
                n = v.minimum
            else:
                return None
            try:
                rf = graph_receptive_field(net, output, inp, a, max_period=_SC301_PERIOD)
            except SymconvError:  # a padding or scale that depends on the size
                if minima is None:
                    return None
                rf = graph_receptive_field(net, output, inp, a, minima,
                                           max_period=_SC301_PERIOD)
                at = minima
    except SymconvError:
        return None
    if rf.size == 0 or min(rf.strides) < 1:
        return None
    along = _along(net, rf.lo_path, rf.hi_path)
    if sizes is not None:
        widths = _widths(rf)
        if not widths or max(widths) <= n:  # no output reads the input, or none too widely
            return None
        wide = sum(c for w, c in widths.items() if w > n)
        total = sum(widths.values())
        who = "every output sees padding" if wide == total else (
            f"{wide} of its {total} outputs on this axis see padding")
        return max(widths) - n, (f"receptive field {max(widths)} on axis {a} exceeds the input "
                             f"size {n}{of} ({along}): {who}")
    if rf.size <= n:
        return None
    who = ("at that size every output sees padding" if rf.smallest > n else
           f"at that size the outputs whose field is wider than {n} see padding")
    if at is None:
        which = "the file's size" if isinstance(declared, int) else "the smallest valid size"
        return rf.size - n, (f"receptive field {rf.size} on axis {a} exceeds input sizes below "
                             f"{rf.size}{of} ({which} is {n}) ({along}): {who}")
    return rf.size - n, (f"at the smallest valid size {n}{of} the receptive field on axis {a} "
                         f"is {rf.size} ({along}): {who}")


def _widths(rf: Any) -> dict[int, int]:
    """Field width -> number of the existing outputs (``0 .. output_size - 1``) with it."""
    o = int(rf.output_size)
    period = rf.period
    counts: dict[int, int] = {}
    for j in range(o if period is None else min(o, period)):
        span = rf.span(j)
        if span is None:
            continue
        w = span[1] - span[0] + 1
        counts[w] = counts.get(w, 0) + (1 if period is None else (o - 1 - j) // period + 1)
    return counts


def _along(net: Network, lo: tuple[str, ...], hi: tuple[str, ...]) -> str:
    if lo == hi:
        return f"along {path_text(net, lo)}"
    return f"first input position along {path_text(net, lo)}, last along {path_text(net, hi)}"


def path_text(net: Network, path: tuple[str, ...]) -> str:
    """A path, shortened to what identifies it: its ends and, at every concat/add it passes,
    the input it comes from (between those, each tensor has one input, so ``...`` is
    unambiguous).

    >>> from symconv.network.model import loads
    >>> net = loads('''
    ... inputs: [{name: x, size: [H]}]
    ... layers:
    ...   - {name: a, op: conv, kernel: 3}
    ...   - {name: b, op: conv, kernel: 3}
    ...   - {name: c, op: conv, kernel: 3}
    ...   - {name: d, op: conv, kernel: 3}
    ...   - {name: e, op: conv, kernel: 3, input: b}
    ...   - {name: f, op: conv, kernel: 1, input: e}
    ...   - {name: m, op: add, inputs: [d, f]}
    ...   - {name: h, op: conv, kernel: 1}
    ... ''', "yaml")
    >>> path_text(net, ("x", "a", "b", "c", "d", "m", "h"))
    'x -> ... -> d -> m -> h'
    >>> path_text(net, ("x", "a", "b"))
    'x -> a -> b'
    """
    if len(path) <= 5:
        return " -> ".join(path)
    merges = {n.name for n in net.nodes if len(n.inputs) > 1}
    keep = {0, len(path) - 1}
    for i, name in enumerate(path):
        if i and name in merges:
            keep |= {i - 1, i}
    parts: list[str] = []
    for i in sorted(keep):
        if parts and i - 1 not in keep:
            parts.append("...")
        parts.append(path[i])
    return " -> ".join(parts)
