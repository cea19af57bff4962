"""The PyTorch layers and functions :mod:`symconv.network.torch_import` maps, one by one.

:func:`module` maps a whole module (``nn.Conv2d``, ...), :func:`function` a functional call
(``F.conv2d``, ``F.interpolate``, ``torch.cat``, slicing, reductions), :func:`layout_tags` the
dimension tags of a reshaping op (``permute``, ``flatten``, ``view``, ``matmul``, ...).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from symconv.errors import UnsupportedError
from symconv.network.torch_dims import Dim, Expr
from symconv.network.torch_trace import Call, Traced

__all__ = ["function", "layout_tags", "module", "whole"]


def whole() -> tuple[type, ...]:
    """The module classes mapped as a whole (their insides are not traced)."""
    import torch.nn as nn

    return (nn.modules.conv._ConvNd, nn.modules.pooling._MaxPoolNd,
            nn.modules.pooling._AvgPoolNd, nn.modules.pooling._AdaptiveAvgPoolNd,
            nn.modules.pooling._AdaptiveMaxPoolNd, nn.modules.pooling._MaxUnpoolNd,
            nn.Upsample, nn.PixelShuffle, nn.PixelUnshuffle, nn.modules.padding._ConstantPadNd,
            nn.modules.padding._ReflectionPadNd, nn.modules.padding._ReplicationPadNd,
            nn.modules.padding._CircularPadNd)


def _tuple(v: Any, nd: int) -> list[int]:
    if isinstance(v, int):
        return [int(v)] * nd
    return [int(u) for u in v]


def _frac(v: Any) -> Any:
    if isinstance(v, float):
        f = Fraction(v)
        return str(f) if f.denominator != 1 else int(f)
    return int(v)


def module(b: Any, call: Call) -> None:
    import torch.nn as nn

    m = call.target
    x = call.args[0] if call.args else call.kwargs.get("input")
    if not b.tracked(x):
        return
    t: Traced = b.get(x)
    src = b.standard(t)
    if src is None:
        raise UnsupportedError(f"{type(m).__name__} on a tensor whose layout is not "
                               "(batch, channels, spatial...)")
    nd = b.nd
    res = call.result
    out = res[0] if isinstance(res, tuple) else res
    item: dict[str, Any]
    if isinstance(m, nn.modules.conv._ConvTransposeNd):
        item = {"op": "conv-transpose", "kernel": list(m.kernel_size), "stride": list(m.stride),
                "padding": list(m.padding), "dilation": list(m.dilation), "groups": m.groups,
                "output_padding": list(m.output_padding)}
        osize = call.args[1] if len(call.args) > 1 else call.kwargs.get("output_size")
        if osize is not None:
            osize = list(osize)[-nd:]
            if any(isinstance(v, Dim) for v in osize):
                like = _like(b, osize)
                if like is None:
                    raise UnsupportedError("ConvTranspose forward(x, output_size=...) with "
                                           "sizes that are not one tensor's spatial sizes")
                item["output_padding"] = [0] * nd
                item["like"], item["fit"] = like, "output_size"
            else:
                item.pop("output_padding")
                item["output_size"] = [int(v) for v in osize]
    elif isinstance(m, nn.modules.conv._ConvNd):
        pad: Any = m.padding if isinstance(m.padding, str) else list(m.padding)
        item = {"op": "conv", "kernel": list(m.kernel_size), "stride": list(m.stride),
                "padding": pad, "dilation": list(m.dilation), "groups": m.groups,
                "padding_mode": m.padding_mode}
    elif isinstance(m, nn.modules.pooling._MaxPoolNd):
        item = {"op": "max-pool", "kernel": _tuple(m.kernel_size, nd),
                "stride": _tuple(m.stride if m.stride is not None else m.kernel_size, nd),
                "padding": _tuple(m.padding, nd), "dilation": _tuple(m.dilation, nd),
                "ceil_mode": bool(m.ceil_mode)}
    elif isinstance(m, nn.modules.pooling._AvgPoolNd):
        item = {"op": "avg-pool", "kernel": _tuple(m.kernel_size, nd),
                "stride": _tuple(m.stride if m.stride is not None else m.kernel_size, nd),
                "padding": _tuple(m.padding, nd), "ceil_mode": bool(m.ceil_mode),
                "count_include_pad": bool(m.count_include_pad)}
    elif isinstance(m, nn.modules.pooling._AdaptiveAvgPoolNd | nn.modules.pooling._AdaptiveMaxPoolNd):
        kind = "avg" if isinstance(m, nn.modules.pooling._AdaptiveAvgPoolNd) else "max"
        osz = m.output_size
        item = {"op": f"adaptive-{kind}-pool",
                "output_size": [None if v is None else int(v) for v in
                                (osz if isinstance(osz, tuple | list) else [osz] * nd)]}
    elif isinstance(m, nn.modules.pooling._MaxUnpoolNd):
        item = {"op": "max-unpool", "kernel": _tuple(m.kernel_size, nd),
                "stride": _tuple(m.stride, nd), "padding": _tuple(m.padding, nd)}
        osize = call.args[2] if len(call.args) > 2 else call.kwargs.get("output_size")
        if osize is not None:
            osize = list(osize)[-nd:]
            if any(isinstance(v, Dim) for v in osize):
                raise UnsupportedError("MaxUnpool forward(x, i, output_size=<sizes of another "
                                       "tensor>)")
            item["output_size"] = [int(v) for v in osize]
    elif isinstance(m, nn.Upsample):
        _resize_item(b, call, out, m.size, m.scale_factor, m.mode, m.align_corners, src, t)
        return
    elif isinstance(m, nn.PixelShuffle):
        item = {"op": "pixel-shuffle", "factor": int(m.upscale_factor)}
    elif isinstance(m, nn.PixelUnshuffle):
        item = {"op": "pixel-unshuffle", "factor": int(m.downscale_factor)}
    else:  # padding modules
        pads = list(m.padding)
        item = _pad_item(pads, nd, _pad_mode(type(m).__name__))
    b.emit(b.name(call.path, type(m).__name__, True), item, [src], call.where, out)
    if isinstance(res, tuple) and len(res) > 1:  # return_indices: the indices follow x's sizes
        b.put(res[1], Traced(b.get(out).tags, b.get(out).node))


def _pad_mode(cls: str) -> str:
    return ("reflect" if "Reflection" in cls else "replicate" if "Replication" in cls
            else "circular" if "Circular" in cls else "zeros")


def _pad_to(src: str, pads: list[Any], nd: int, mode: str) -> dict[str, Any]:
    """``F.pad(x, [...])`` by amounts computed from sizes: a pad to the size of one tensor
    ``T`` when on every spatial axis the two amounts add up to ``size(T) - size(x)``, split
    the same way on every axis (:data:`symconv.network.model.FITS`)."""
    from symconv.network.torch_dims import Expr

    own = _own_pads(src, pads, nd)
    if own is not None:
        return {"op": "identity", "own_pads": own, "mode": mode}
    if mode != "zeros":
        raise UnsupportedError(f"a {mode} pad by amounts computed from tensor sizes")
    if len(pads) != 2 * nd:
        raise UnsupportedError("a pad by amounts computed from tensor sizes that does not "
                               "pad every spatial axis")
    targets, kinds = set(), set()
    for k in range(nd):
        axis = nd - 1 - k
        before, after = (_as_expr(p) for p in pads[2 * k:2 * k + 2])
        d = before + after
        leaves = d.leaves() - {(src, axis)}
        if len(leaves) != 1:
            raise UnsupportedError("a pad by amounts computed from tensor sizes that do not "
                                   "add up to another tensor's size minus the input's")
        target, t_axis = next(iter(leaves))
        if t_axis != axis or not d.equals(Expr.dim(target, axis) - Expr.dim(src, axis)):
            raise UnsupportedError("a pad by amounts computed from tensor sizes that do not "
                                   "add up to another tensor's size minus the input's")
        half = d.floordiv(2)
        kind = ("pad:half" if before.equals(half) else
                "pad:half-end" if before.equals(d - half) else
                "pad:end" if before.equals(Expr.of(0)) else
                "pad:start" if after.equals(Expr.of(0)) else None)
        if kind is None:
            raise UnsupportedError("a pad to another tensor's size split other than d // 2, "
                                   "d - d // 2 or all on one side")
        targets.add(target)
        kinds.add(kind)
    if len(targets) != 1 or len(kinds) != 1:
        raise UnsupportedError("a pad to the sizes of several tensors, or split differently "
                               "per axis")
    return {"op": "pad", "like": targets.pop(), "fit": kinds.pop()}


def _own_pads(src: str, pads: list[Any], nd: int) -> list[tuple[Any, Any]] | None:
    """``(before, after)`` per spatial axis when every amount is computed from ``src``'s own
    size on that axis only (a "same" padding computed at run time), else ``None``."""
    if len(pads) % 2 or len(pads) > 2 * nd:
        return None
    pairs = []
    for axis in range(nd):
        k = nd - 1 - axis
        pair = tuple(_as_expr(p) for p in pads[2 * k:2 * k + 2]) if 2 * k < len(pads) else (
            _as_expr(0), _as_expr(0))
        if any(not e.leaves() <= {(src, axis)} for e in pair):
            return None
        pairs.append(pair)
    return pairs


def same_upper_pads(x: Any, kernel: int, stride: int, dilation: int) -> tuple[Any, Any]:
    """ONNX ``SAME_UPPER`` (TensorFlow ``SAME``) padding of a size-``x`` axis as expressions,
    before the clamp at 0: ``total = (ceil(x / s) - 1) * s + d * (k - 1) + 1 - x``, split
    ``total // 2`` before."""
    ceil = x.scale(-1).floordiv(stride).scale(-1)
    total = (ceil - 1).scale(stride) + (dilation * (kernel - 1) + 1) - x
    return total.floordiv(2), total - total.floordiv(2)


def _as_expr(v: Any) -> Any:
    from symconv.network.torch_dims import Expr

    return v.expr if isinstance(v, Dim) else Expr.of(int(v))


def _pad_item(pads: list[Any], nd: int, mode: str, src: str = "") -> dict[str, Any]:
    if any(isinstance(p, Dim) for p in pads):
        return _pad_to(src, pads, nd, mode)
    pads = [int(p) for p in pads]
    if len(pads) % 2 or len(pads) // 2 > nd + 2:
        raise UnsupportedError(f"pad={pads}")
    pairs = [[0, 0] for _ in range(nd)]
    for k in range(len(pads) // 2):  # last axis first
        axis = nd - 1 - k
        if axis < 0:
            if pads[2 * k] or pads[2 * k + 1]:
                raise UnsupportedError("a pad of the channel or batch axis")
            continue
        pairs[axis] = [pads[2 * k], pads[2 * k + 1]]
    if mode == "zeros":
        return {"op": "pad", "padding": pairs}
    return {"op": "conv", "kernel": 1, "padding": pairs, "padding_mode": mode}


_MODES = {"nearest": "nearest", "nearest-exact": "nearest-exact", "linear": "linear",
          "bilinear": "linear", "trilinear": "linear", "bicubic": "cubic"}


def _resize_item(b: Any, call: Call, out: Any, size: Any, scale: Any, mode: str,
                 align: Any, src: str, t: Traced) -> None:
    nd = b.nd
    if mode == "area":
        if size is None:
            raise UnsupportedError("interpolate(mode='area') with a scale factor")
        sizes = size if isinstance(size, list | tuple) else [size] * nd
        if any(isinstance(v, Dim) for v in sizes):
            raise UnsupportedError("interpolate(mode='area') to another tensor's size")
        b.emit(b.name(call.path, "interpolate", call.kind == "module"),
               {"op": "adaptive-avg-pool", "output_size": [int(v) for v in sizes]}, [src],
               call.where, out)
        return
    if mode not in _MODES:
        raise UnsupportedError(f"interpolate(mode={mode!r})")
    item: dict[str, Any] = {"op": "resize", "mode": _MODES[mode]}
    if _MODES[mode] != "nearest" and _MODES[mode] != "nearest-exact":
        item["align_corners"] = bool(align)
    like = None
    if size is not None:
        sizes = list(size) if isinstance(size, list | tuple) else [size] * nd
        if any(isinstance(v, Dim) for v in sizes):
            got = _like_scaled(sizes)
            if got is None:
                raise UnsupportedError("interpolate(size=...) computed from sizes that are not "
                                       "one tensor's spatial sizes (or those times p / q)")
            like, scales = got
            item["like"] = like
            if any(s != (1, 1) for s in scales):
                item["like_scale"] = [list(s) for s in scales]
        else:
            item["size"] = [int(v) for v in sizes]
    elif scale is not None:
        scales = list(scale) if isinstance(scale, list | tuple) else [scale] * nd
        item["scale_factor"] = [_frac(v) for v in scales]
    inputs = [src]  # a like-resize also reads the tensor it takes its size from
    b.emit(b.name(call.path, "interpolate" if call.kind == "function" else "", call.kind ==
                  "module"), item, inputs, call.where, out)


def _like(b: Any, sizes: list[Any]) -> str | None:
    """The node whose spatial sizes ``sizes`` are, exactly (``None``: not one node's)."""
    got = _like_scaled(sizes)
    return got[0] if got is not None and all(s == (1, 1) for s in got[1]) else None


def _like_scaled(sizes: list[Any]) -> tuple[str, list[tuple[int, int]]] | None:
    """``(T, [(p, q), ...])`` when ``sizes[a]`` is exactly ``floor(size(T)[a] * p / q)`` on
    every axis (``h // 4``, ``h * 2``, ``h``), else ``None``."""
    nodes, scales = set(), []
    for a, v in enumerate(sizes):
        if not isinstance(v, Dim) or v.expr.const != 0 or len(v.expr.terms) != 1:
            return None
        atom, coef = v.expr.terms[0]
        if atom[0] == "dim" and coef.denominator == 1 and coef > 0:
            node, axis, p, q = atom[1], atom[2], int(coef), 1
        elif atom[0] == "floor" and coef == 1:
            inner, q = atom[1], int(atom[2])
            if inner.const != 0 or len(inner.terms) != 1 or inner.terms[0][0][0] != "dim":
                return None
            (_, node, axis), c = inner.terms[0]
            if c.denominator != 1 or c <= 0:
                return None
            p = int(c)
        else:
            return None
        if axis != a:
            return None
        f = Fraction(p, q)
        nodes.add(node)
        scales.append((f.numerator, f.denominator) if f.denominator != 1 or q == 1 else (p, q))
    if len(nodes) != 1:
        return None
    return next(iter(nodes)), scales


def _arg(call: Call, i: int, key: str, default: Any = None) -> Any:
    if len(call.args) > i:
        return call.args[i]
    return call.kwargs.get(key, default)


def function(b: Any, call: Call, name: str) -> bool:
    """Map a functional call that is a layer; ``False``: not one of these."""
    nd = b.nd
    x = _arg(call, 0, "input")
    res = call.result
    base = name.rstrip("0123456789d") if name[-2:-1].isdigit() else name
    if name in (f"conv{nd}d",) or name in (f"conv_transpose{nd}d",) or base in (
            "max_pool", "max_pool_with_indices", "avg_pool", "adaptive_avg_pool",
            "adaptive_max_pool", "adaptive_max_pool_with_indices", "max_unpool",
            "pixel_shuffle", "pixel_unshuffle") or name in ("interpolate", "upsample",
                                                             "pad", "max_pool2d_with_indices",
                                                             "max_pool1d_with_indices",
                                                             "max_pool3d_with_indices"):
        if not b.tracked(x):
            return False
        t = b.get(x)
        src = b.standard(t)
        if src is None:
            raise UnsupportedError(f"{name} on a tensor whose layout is not (batch, channels, "
                                   "spatial...)")
        out = res[0] if isinstance(res, tuple) else res
        item = _functional_item(b, call, name, nd, src, t, out)
        if item is None:
            return True
        b.emit(b.name(call.path, name, False), item, [src], call.where, out)
        if isinstance(res, tuple) and len(res) > 1:
            b.put(res[1], Traced(b.get(out).tags, b.get(out).node))
        return True
    if name in ("cat", "concat", "concatenate"):
        _cat(b, call)
        return True
    if name == "stack":
        _stack(b, call)
        return True
    if name == "__getitem__":
        _getitem(b, call)
        return True
    if name in _REDUCTIONS:
        return _reduce(b, call, name)
    if name in ("chunk", "split", "unbind", "tensor_split", "split_with_sizes"):
        _split(b, call, name)
        return True
    return False


_REDUCTIONS = frozenset({"mean", "sum", "amax", "max", "amin", "min", "std", "var", "prod",
                         "logsumexp", "nansum", "nanmean", "norm"})


def _functional_item(b: Any, call: Call, name: str, nd: int, src: str, t: Traced,
                     out: Any) -> dict[str, Any] | None:
    if name.startswith("conv_transpose"):
        w = _arg(call, 1, "weight")
        groups = int(_arg(call, 6, "groups", 1))
        return {"op": "conv-transpose", "kernel": list(w.shape[2:]),
                "stride": _tuple(_arg(call, 3, "stride", 1), nd),
                "padding": _tuple(_arg(call, 4, "padding", 0), nd),
                "output_padding": _tuple(_arg(call, 5, "output_padding", 0), nd),
                "groups": groups, "dilation": _tuple(_arg(call, 7, "dilation", 1), nd)}
    if name.startswith("conv"):
        w = _arg(call, 1, "weight")
        pad = _arg(call, 4, "padding", 0)
        return {"op": "conv", "kernel": list(w.shape[2:]),
                "stride": _tuple(_arg(call, 3, "stride", 1), nd),
                "padding": pad if isinstance(pad, str) else _tuple(pad, nd),
                "dilation": _tuple(_arg(call, 5, "dilation", 1), nd),
                "groups": int(_arg(call, 6, "groups", 1))}
    if name.startswith("max_pool"):
        k = _arg(call, 1, "kernel_size")
        s = _arg(call, 2, "stride") or k
        return {"op": "max-pool", "kernel": _tuple(k, nd), "stride": _tuple(s, nd),
                "padding": _tuple(_arg(call, 3, "padding", 0), nd),
                "dilation": _tuple(_arg(call, 4, "dilation", 1), nd),
                "ceil_mode": bool(_arg(call, 5, "ceil_mode", False))}
    if name.startswith("avg_pool"):
        k = _arg(call, 1, "kernel_size")
        s = _arg(call, 2, "stride") or k
        return {"op": "avg-pool", "kernel": _tuple(k, nd), "stride": _tuple(s, nd),
                "padding": _tuple(_arg(call, 3, "padding", 0), nd),
                "ceil_mode": bool(_arg(call, 4, "ceil_mode", False)),
                "count_include_pad": bool(_arg(call, 5, "count_include_pad", True))}
    if name.startswith("adaptive"):
        osz = _arg(call, 1, "output_size")
        kind = "avg" if "avg" in name else "max"
        vals = osz if isinstance(osz, tuple | list) else [osz] * nd
        if any(isinstance(v, Dim) for v in vals):
            raise UnsupportedError(f"{name}(output_size=<sizes of a tensor>)")
        return {"op": f"adaptive-{kind}-pool",
                "output_size": [None if v is None else int(v) for v in vals]}
    if name.startswith("max_unpool"):
        k = _arg(call, 2, "kernel_size")
        item = {"op": "max-unpool", "kernel": _tuple(k, nd),
                "stride": _tuple(_arg(call, 3, "stride") or k, nd),
                "padding": _tuple(_arg(call, 4, "padding", 0), nd)}
        osize = _arg(call, 5, "output_size")
        if osize is not None:
            osize = list(osize)[-nd:]
            if any(isinstance(v, Dim) for v in osize):
                raise UnsupportedError("max_unpool(output_size=<sizes of another tensor>)")
            item["output_size"] = [int(v) for v in osize]
        return item
    if name in ("pixel_shuffle", "pixel_unshuffle"):
        return {"op": name.replace("_", "-"), "factor": int(_arg(call, 1, "upscale_factor"))}
    if name == "pad":
        mode = _arg(call, 2, "mode", "constant")
        return _pad_item(list(_arg(call, 1, "pad")), nd,
                         "zeros" if mode == "constant" else str(mode), src)
    # interpolate / upsample
    _resize_item(b, call, out, _arg(call, 1, "size"), _arg(call, 2, "scale_factor"),
                 _arg(call, 3, "mode", "nearest"), _arg(call, 4, "align_corners"), src, t)
    return None


def _cat(b: Any, call: Call) -> None:
    tensors = _arg(call, 0, "tensors")
    dim = int(_arg(call, 1, "dim", 0))
    res = call.result
    tracked = [v for v in tensors if b.tracked(v)]
    rank = res.dim()
    dim = dim % rank
    ts = [b.get(v) for v in tracked]
    nodes = [b.standard(t) for t in ts]
    if all(n is not None for n in nodes) and len(tracked) == len(tensors):
        if dim >= 2:
            raise UnsupportedError(f"cat along spatial axis {dim}")
        if len(set(nodes)) == 1 and dim == 0:
            b.put(res, Traced(ts[0].tags, nodes[0]))
            return
        if len(nodes) == 1:
            b.put(res, Traced(b.std_tags(nodes[0], res.shape), nodes[0]))
            return
        op = "concat" if dim == 1 else "add"
        b.emit(b.name(call.path, "cat", False), {"op": op}, list(nodes), call.where, res)
        return
    # non-standard or partly constant: tags of the first traced, the joined axis fixed
    tags = list(ts[0].tags)
    if tags[dim][0] == "s":
        raise UnsupportedError(f"cat along a spatial axis ({dim})")
    had_spatial = any(a[0] == "s" for t in ts for a in b.atoms(t.tags))
    # along flattened positions (a class token in front of a ViT's patches): the joined axis
    # is no longer a spatial one; without another spatial axis this starts a head
    tags[dim] = ("x", int(res.shape[dim]))
    origins = frozenset().union(*(b.origins(t) for t in ts))
    b.settle(call, "cat", res, Traced(tuple(tags), None, origins), had_spatial)


def _stack(b: Any, call: Call) -> None:
    """``torch.stack``: a new axis in front of ``dim``; the other axes must agree (their
    tags are the first traced input's; every input's nodes become origins)."""
    tensors = _arg(call, 0, "tensors")
    res = call.result
    dim = int(_arg(call, 1, "dim", 0)) % res.dim()
    ts = [b.get(v) for v in tensors if b.tracked(v)]
    tags = list(ts[0].tags)
    tags.insert(dim, ("x", int(res.shape[dim])))
    origins = frozenset().union(*(b.origins(t) for t in ts))
    b.settle(call, "stack", res, Traced(tuple(tags), None, origins))


def _split(b: Any, call: Call, name: str) -> None:
    x = _arg(call, 0, "input")
    if not b.tracked(x):
        return
    t: Traced = b.get(x)
    dim = int(_arg(call, 2, "dim", 0)) if name != "unbind" else int(_arg(call, 1, "dim", 0))
    dim %= x.dim()
    if t.tags[dim][0] in ("s", "f"):
        raise UnsupportedError(f"{name} along a spatial axis")
    for piece in call.result:
        tags = list(t.tags)
        if name == "unbind":
            del tags[dim]
        else:
            tags[dim] = ("c" if t.tags[dim][0] == "c" else "x", int(piece.shape[dim]))
        out = Traced(tuple(tags), None, frozenset(b.origins(t)))
        node = b.standard(out)
        b.put(piece, Traced(out.tags, node) if node is not None else out)


def _getitem(b: Any, call: Call) -> None:
    x, index = call.args[0], call.args[1]
    res = call.result
    if not b.tracked(x):
        return
    t: Traced = b.get(x)
    if not isinstance(index, tuple):
        index = (index,)
    if any(not (isinstance(i, slice | int) or i is None or i is Ellipsis) for i in index):
        raise UnsupportedError("indexing with a tensor or a list")
    n_real = sum(1 for i in index if i is not None and i is not Ellipsis)
    if Ellipsis in index:
        k = index.index(Ellipsis)
        index = index[:k] + (slice(None),) * (x.dim() - n_real) + index[k + 1:]
    index = index + (slice(None),) * (x.dim() - sum(1 for i in index if i is not None))
    src = b.standard(t)
    tags: list[Any] = []
    axis = 0
    crop: dict[int, tuple[int, int | None, int]] = {}
    sized: dict[int, slice] = {}
    for i in index:
        if i is None:
            tags.append(("x", 1))
            continue
        g = t.tags[axis]
        n = int(x.shape[axis])
        if isinstance(i, int):
            if g[0] in ("s", "f"):
                raise UnsupportedError("an integer index on a spatial axis")
        elif i == slice(None):
            tags.append(g)
        else:
            parts = (i.start, i.stop, i.step)
            if any(isinstance(p, Dim) for p in parts):
                if g[0] != "s":
                    raise UnsupportedError("a slice whose bounds are computed from tensor "
                                           "sizes on a non-spatial axis")
                sized[axis] = i
                tags.append(g)
            elif g[0] == "s":
                crop[axis] = (int(i.start or 0), None if i.stop is None else int(i.stop),
                              int(i.step or 1))
                tags.append(g)
            elif g[0] == "f":
                raise UnsupportedError("a slice of flattened spatial positions")
            else:
                tags.append((g[0], len(range(*i.indices(n)))))
        axis += 1
    if sized:
        if crop or src is None or len(tags) != len(t.tags):
            raise UnsupportedError("a slice whose bounds are computed from tensor sizes, mixed "
                                   "with other slices or on a tensor whose layout is not "
                                   "(batch, channels, spatial...)")
        _crop_to(b, call, src, sized, res)
        return
    if crop:
        if src is None or len(tags) != len(t.tags):
            raise UnsupportedError("a spatial slice of a tensor whose layout is not (batch, "
                                   "channels, spatial...)")
        start = [crop.get(a + 2, (0, None, 1))[0] for a in range(b.nd)]
        end = [crop.get(a + 2, (0, None, 1))[1] for a in range(b.nd)]
        step = [crop.get(a + 2, (0, None, 1))[2] for a in range(b.nd)]
        b.emit(b.name(call.path, "slice", False),
               {"op": "slice", "start": start, "end": end, "step": step}, [src], call.where,
               res)
        return
    b.settle(call, "getitem", res, Traced(tuple(tags), None, frozenset(b.origins(t))))


def _crop_to(b: Any, call: Call, src: str, sized: dict[int, slice], res: Any) -> None:
    """``x[..., :h, :w]`` or ``x[..., dy:dy + h, dx:dx + w]`` with ``h, w`` the sizes of one
    tensor ``T`` and ``dy = (size(x) - h) // 2``: a crop to ``T``'s size (``Node.fit``
    ``crop:start`` / ``crop:center``) where it lies inside ``x``; that condition (start >= 0,
    end <= size(x)) becomes a guard, checked exactly by the review like a branch."""
    from symconv.network.torch_dims import Guard, GuardLog

    if sorted(sized) != list(range(2, 2 + b.nd)):
        raise UnsupportedError("a slice whose bounds are computed from tensor sizes on some "
                               "spatial axes only")
    targets, kinds, guards = set(), set(), []
    for axis, sl in sized.items():
        a = axis - 2
        if sl.step not in (None, 1):
            raise UnsupportedError("a slice with a step whose bounds are computed from sizes")
        x = Expr.dim(src, a)
        start = _as_expr(sl.start) if sl.start is not None else Expr.of(0)
        stop = _as_expr(sl.stop) if sl.stop is not None else x
        length = stop - start
        leaves = length.leaves()
        if len(leaves) != 1 or not length.equals(Expr.dim(*next(iter(leaves)))) or \
                next(iter(leaves))[1] != a:
            raise UnsupportedError("a slice whose length is not another tensor's size")
        target = next(iter(leaves))[0]
        t_size = Expr.dim(target, a)
        kind = ("crop:start" if start.equals(Expr.of(0)) else
                "crop:center" if start.equals((x - t_size).floordiv(2)) else None)
        if kind is None:
            raise UnsupportedError("a crop to another tensor's size that starts neither at 0 "
                                   "nor at (size - target) // 2")
        targets.add(target)
        kinds.add(kind)
        if kind == "crop:center":
            guards.append(Guard(start, ">=", Expr.of(0), True, call.where))
        guards.append(Guard(stop, "<=", x, True, call.where))
    if len(targets) != 1 or len(kinds) != 1:
        raise UnsupportedError("a crop to the sizes of several tensors")
    if GuardLog.active is not None:
        GuardLog.active.extend(guards)
    target = targets.pop()
    b.emit(b.name(call.path, "slice", False),
           {"op": "slice", "like": target, "fit": kinds.pop()}, [src], call.where, res)


def _reduce(b: Any, call: Call, name: str) -> bool:
    x = _arg(call, 0, "input")
    if not b.tracked(x) or not hasattr(call.result, "dim"):
        if isinstance(call.result, tuple) and b.tracked(x):  # max(dim) -> (values, indices)
            res = call.result
        else:
            return b.tracked(x) is False
    t: Traced = b.get(x)
    dims = _arg(call, 1, "dim")
    keep = bool(_arg(call, 2, "keepdim", False))
    res = call.result
    values = res[0] if isinstance(res, tuple) else res
    if dims is None:
        if name in ("max", "min") and len(call.args) == 2 and b.tracked(call.args[1]):
            b.merge(call, res)  # torch.max(a, b): elementwise
            return True
        b.head(f"{name} over every axis at {call.path or '<root>'} ({call.where})",
               set(), values)
        return True
    if isinstance(dims, Dim | int):
        dims = [int(dims)]
    dims = sorted({int(d) % x.dim() for d in dims})
    spatial = [d for d in dims if t.tags[d][0] in ("s", "f")]
    src = b.standard(t)
    tags = [("x", 1) if d in dims else g for d, g in enumerate(t.tags)] if keep else [
        g for d, g in enumerate(t.tags) if d not in dims]
    if spatial and keep and src is not None and spatial == list(range(2, 2 + b.nd)) and \
            _REDUCE_POOL.get(name):
        kind = _REDUCE_POOL[name]
        b.emit(b.name(call.path, name, False),
               {"op": f"adaptive-{kind}-pool", "output_size": [1] * b.nd}, [src], call.where,
               values)
        return True
    if spatial and not any(g[0] in ("s", "f") for g in tags):
        # every spatial axis reduced away: a shape that does not depend on the input size
        b.head(f"{name} over the spatial axes at {call.path or '<root>'} ({call.where})",
               set(), values)
        return True
    if spatial:
        raise UnsupportedError(f"{name} over some of the spatial axes")
    b.settle(call, name, values, Traced(tuple(tags), None, frozenset(b.origins(t))))
    return True


_REDUCE_POOL = {"mean": "avg", "nanmean": "avg", "amax": "max", "max": "max"}


def layout_tags(b: Any, call: Call, name: str, x: Any, t: Traced, res: Any
                ) -> tuple[Any, ...] | None:
    """The tags of ``res`` for a reshaping op on ``x``; ``None``: not a known op."""
    import torch

    if not isinstance(res, torch.Tensor):
        return None
    tags = list(t.tags)
    rank = x.dim()
    if name in ("permute",):
        dims = call.args[1:] if len(call.args) > 2 or not isinstance(
            call.args[1] if len(call.args) > 1 else None, list | tuple) else call.args[1]
        dims = call.kwargs.get("dims", dims)
        return tuple(tags[int(d) % rank] for d in dims)
    if name in ("transpose", "swapaxes", "swapdims"):
        a, c = int(call.args[1]) % rank, int(call.args[2]) % rank
        tags[a], tags[c] = tags[c], tags[a]
        return tuple(tags)
    if name in ("movedim", "moveaxis"):
        src = [int(call.args[1])] if isinstance(call.args[1], int) else list(call.args[1])
        dst = [int(call.args[2])] if isinstance(call.args[2], int) else list(call.args[2])
        order = [d for d in range(rank) if d not in [s % rank for s in src]]
        for s, d in sorted(zip([s % rank for s in src], [d % rank for d in dst], strict=True),
                           key=lambda p: p[1]):
            order.insert(d, s)
        return tuple(tags[d] for d in order)
    if name in ("t",) and rank == 2:
        return (tags[1], tags[0])
    if name == "flatten":
        start = int(_arg(call, 1, "start_dim", 0)) % max(rank, 1)
        end = int(_arg(call, 2, "end_dim", -1)) % max(rank, 1)
        group = tuple(tags[start:end + 1])
        merged = group if len(group) == 1 else (("f", group),)
        return (*tags[:start], *merged, *tags[end + 1:])
    if name == "layer_norm":
        shape = _arg(call, 1, "normalized_shape")
        k = len(shape) if isinstance(shape, list | tuple) else 1
        if any(g[0] in ("s", "f") for g in tags[rank - k:]):
            raise UnsupportedError("layer_norm over a spatial axis (its normalized_shape fixes "
                                   "the size)")
        return tuple(tags)
    if name in ("view", "reshape", "unflatten", "squeeze", "unsqueeze",
                "view_as", "reshape_as", "expand", "expand_as", "broadcast_to", "repeat",
                "contiguous"):
        return _reshape(b, call, name, t, tuple(x.shape), res)
    if name in ("linear",):
        if tags[-1][0] in ("s", "f"):
            if not any(g[0] in ("s", "f") for g in tags[:-1]):
                return (*tuple(tags[:-1]), ("x", int(res.shape[-1])))
            raise UnsupportedError("F.linear over a spatial axis")
        return (*tuple(tags[:-1]), (tags[-1][0], int(res.shape[-1])))
    if name == "scaled_dot_product_attention":  # (..., L, E) x (..., S, E) x (..., S, Ev)
        value: Any = call.args[2] if len(call.args) > 2 else call.kwargs.get("value")
        if value is None or not b.tracked(value):
            return (*tags[:-1], ("x", int(res.shape[-1])))
        return (*tags[:-1], b.get(value).tags[-1])
    if name in ("matmul", "__matmul__", "bmm", "baddbmm", "__rmatmul__"):
        other: Any = call.args[1] if len(call.args) > 1 else call.kwargs.get("other")
        if other is None or not hasattr(other, "shape"):
            return None
        ot: Any = b.get(other).tags if b.tracked(other) else tuple(
            ("x", int(n)) for n in other.shape)
        if name == "__rmatmul__":
            tags, ot = list(ot), tuple(tags)
        lead = res.dim() - 2
        out: list[Any] = [("x", int(res.shape[i])) for i in range(lead)]
        for i in range(lead):
            for src in (tags, ot):
                j = i - (res.dim() - len(src))
                if 0 <= j < len(src) - 2 and int(res.shape[i]) != 1:
                    out[i] = src[j]
        return (*out, tags[-2], ot[-1])
    return None


def _reshape(b: Any, call: Call, name: str, t: Traced, shape: tuple[int, ...], res: Any
             ) -> tuple[Any, ...] | None:
    target = tuple(int(n) for n in res.shape)
    given: list[Any] = []
    if name in ("view", "reshape", "expand", "broadcast_to", "repeat"):
        rest = call.args[1:]
        given = list(rest[0]) if len(rest) == 1 and isinstance(rest[0], list | tuple) else \
            list(rest)
        if name in ("view", "reshape") and len(given) != len(target):
            given = []
    if name in ("expand_as", "view_as", "reshape_as"):
        other = call.args[1]
        if b.tracked(other):
            return b.get(other).tags
    if name in ("expand", "broadcast_to", "repeat"):
        if len(target) != len(shape):
            return None
        return tuple(g if n == m else ("x", m)
                     for g, n, m in zip(t.tags, shape, target, strict=True))
    got = _grouped(b, t, target, given, call.where)
    return got if got is not None else _regrouped(b, t, target, given)


def _regrouped(b: Any, t: Traced, target: tuple[int, ...], given: list[Any]
               ) -> tuple[Any, ...] | None:
    """A reshape that puts the same spatial sizes back in another order than a plain
    regrouping (``(B, H*W, C) -> (B, C, H, W)`` with ``H, W`` read from the tensor the
    positions came from): its shape is right for every size when the target names every
    spatial size it takes (tagged sizes), these are exactly the spatial sizes of the source,
    and the rest has a fixed size (the values are permuted; sizes are all the review needs)."""
    from collections import Counter

    src_spatial = Counter(a for a in b.atoms(t.tags) if a[0] == "s")
    tags: list[Any] = []
    for j, m in enumerate(target):
        hint = given[j] if j < len(given) else None
        if isinstance(hint, Dim):
            leaves = hint.expr.leaves()
            if len(leaves) != 1:
                return None
            node, axis = next(iter(leaves))
            if not hint.expr.equals(Expr.dim(node, axis)):
                return None
            tags.append(("s", b.canon.get(node, node), axis))
        else:
            tags.append(("b" if j == 0 and t.tags and t.tags[0][0] == "b" else "x", m))
    if Counter(g for g in tags if g[0] == "s") != src_spatial:
        return None
    return tuple(tags)


def _grouped(b: Any, t: Traced, target: tuple[int, ...], given: list[Any], where: str = ""
             ) -> tuple[Any, ...] | None:
    """A reshape that regroups consecutive dimensions (no spatial axis split)."""
    atoms = [a for a in b.atoms(t.tags)]
    sizes = [b.atom_size(a) for a in atoms]
    res_tags: list[Any] = []
    i = 0
    for j, m in enumerate(target):
        hint = given[j] if j < len(given) else None
        if isinstance(hint, Dim):
            leaves = hint.expr.leaves()
            if len(leaves) == 1:
                node, axis = next(iter(leaves))
                node = b.canon.get(node, node)
                while i < len(atoms) and sizes[i] == 1 and atoms[i] != ("s", node, axis):
                    i += 1
                if i < len(atoms) and atoms[i] == ("s", node, axis) and sizes[i] == m:
                    res_tags.append(atoms[i])
                    i += 1
                    continue
        group: list[Any] = []
        prod = 1
        last_free = j == len(target) - 1 and isinstance(hint, int) and not isinstance(
            hint, Dim) and hint == -1
        while i < len(atoms) and (prod < m or (last_free and prod == m)):
            group.append(atoms[i])  # a trailing -1 takes every remaining dimension
            prod *= sizes[i]
            i += 1
        if (prod == m and m != 1) or (m == 1 and not group):
            if not group:
                res_tags.append(("x", 1))
            elif len(group) == 1:
                res_tags.append(group[0])
            elif any(g[0] == "s" for g in group):
                res_tags.append(("f", tuple(group)))
            else:
                res_tags.append(("x", m))
            continue
        if m == 1 and prod == 1:
            res_tags.append(("x", 1) if all(g[0] != "s" for g in group) else group[0])
            continue
        if any(g[0] == "s" for g in group):
            return None  # splits a spatial axis
        res_tags.append(("x", m))
        if prod > m:  # a non-spatial axis split into several
            rem = prod // m
            atoms.insert(i, ("x", rem))
            sizes.insert(i, rem)
    ones: list[Any] = []
    while i < len(atoms):
        if sizes[i] != 1:
            return None
        if atoms[i][0] == "s":
            ones.append(atoms[i])
        i += 1
    if len(res_tags) != len(target):
        return None
    if ones:  # spatial axes of size 1 dropped: right only where they are 1 (a guard)
        from symconv.network.torch_dims import Guard, GuardLog

        if GuardLog.active is None:
            return None
        GuardLog.active.extend(Guard(Expr.dim(g[1], g[2]), "==", Expr.of(1), True, where)
                               for g in ones)
    return tuple(res_tags)

