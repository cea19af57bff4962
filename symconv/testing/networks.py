"""Hypothesis strategies that draw whole networks (as network-file mappings) for the design
review: :func:`scaled_networks` (DAGs that run on every multiple of a known ``D``) and
:func:`review_layer_dicts` (one layer of a random 1-D network file).

Part of the conformance kit (:mod:`symconv.testing`); needs Hypothesis.

>>> from hypothesis import given, settings
>>> @settings(max_examples=5)
... @given(scaled_networks())
... def check(drawn):
...     net, d = drawn
...     assert net["convention"] == "torch" and d >= 1
>>> check()
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd
from typing import Any

from hypothesis import strategies as st

__all__ = ["review_layer_dicts", "scaled_networks"]

@st.composite
def scaled_networks(
    draw: st.DrawFn, ndim: int = 1, max_layers: int = 7, *, two_inputs: bool = False,
    unpool: bool = True,
) -> tuple[dict[str, Any], int]:
    """A random torch-convention network DAG (as a network-file mapping) that runs, by
    construction, on every input size that is a multiple of the returned ``D`` and large
    enough, with every tensor of size ``n * scale`` exactly; and ``D``.

    Layers read a random earlier tensor: stride-1 'same' convolutions (odd or even kernels,
    dilation), exact downsamplers by ``f`` (conv/max-pool/avg-pool with
    ``1 <= k_eff - 2p <= f``, nearest resize by 1/f, pixel unshuffle), exact upsamplers by
    ``f`` (transposed conv with ``k_eff - 2p + op = f``, nearest/linear resize, pixel
    shuffle, max-unpool with ``k = s``), activations, and concat/add of two tensors of the
    same scale (skip connections).  Channels are tracked so that pixel shuffle and add are
    legal.  With ``two_inputs`` a second input ``y`` of the same size joins as a source;
    ``unpool=False`` leaves out max-unpooling (it needs the switches of a paired pool).
    """
    tensors: list[tuple[str, Fraction, int]] = [("x", Fraction(1), 2)]
    inputs = [{"name": "x", "size": ["H", "W", "D"][:ndim], "channels": 2}]
    if two_inputs:
        tensors.append(("y", Fraction(1), 2))
        inputs.append({"name": "y", "size": ["H", "W", "D"][:ndim], "channels": 2})
    layers: list[dict[str, Any]] = []
    den = 1
    count = draw(st.integers(1, max_layers))
    for i in range(count):
        name = f"l{i}"
        src, scale, ch = tensors[draw(st.integers(0, len(tensors) - 1))]
        kind = draw(st.sampled_from(["same", "down", "up", "merge", "relu"]))
        layer: dict[str, Any] = {"name": name, "inputs": [src]}
        if kind == "merge":
            pals = [t for t in tensors if t[1] == scale and t[0] != src]
            if not pals:
                kind = "relu"
            else:
                other = draw(st.sampled_from(pals))
                op = "add" if other[2] == ch and draw(st.booleans()) else "concat"
                layer.update(op=op, inputs=[src, other[0]])
                tensors.append((name, scale, ch if op == "add" else ch + other[2]))
                layers.append(layer)
                continue
        if kind == "relu":
            layer["op"] = "relu"
            out_scale, out_ch = scale, ch
        elif kind == "same":
            k, d = draw(st.integers(1, 5)), draw(st.integers(1, 2))
            out_ch = draw(st.integers(1, 4))
            pad: Any = "same" if draw(st.booleans()) or (d * (k - 1)) % 2 else d * (k - 1) // 2
            layer.update(op="conv", kernel=k, dilation=d, padding=pad, out_channels=out_ch)
            out_scale = scale
        elif kind == "down":
            f = draw(st.integers(2, 3))
            which = draw(st.sampled_from(["conv", "max-pool", "avg-pool", "resize",
                                          "pixel-unshuffle"]))
            out_ch = ch
            if which in ("conv", "max-pool", "avg-pool"):
                k = draw(st.integers(1, 5))
                d = draw(st.integers(1, 2)) if which != "avg-pool" else 1
                keff = d * (k - 1) + 1
                # 1 <= keff - 2p <= f, p >= 0, pools: p <= k // 2
                lo, hi = max(0, -(-(keff - f) // 2)), (keff - 1) // 2
                if which != "conv":
                    hi = min(hi, k // 2)
                if lo > hi:
                    k, d, keff, lo, hi = f, 1, f, 0, 0
                p = draw(st.integers(lo, hi))
                layer.update(op=which, kernel=k, stride=f, padding=p)
                if d > 1:
                    layer["dilation"] = d
                if which == "conv":
                    out_ch = draw(st.integers(1, 4))
                    layer["out_channels"] = out_ch
                elif keff - 2 * p == f and draw(st.booleans()):
                    layer["ceil_mode"] = True  # same windows as floor mode here
            elif which == "resize":
                layer.update(op="resize", scale_factor=f"1/{f}")
            else:
                layer.update(op="pixel-unshuffle", factor=f)
                out_ch = ch * f**ndim
            out_scale = scale / f
        else:  # up
            f = draw(st.integers(2, 3))
            which = draw(st.sampled_from(["conv-transpose", "resize", "pixel-shuffle",
                                          *(["max-unpool"] if unpool else [])]))
            out_ch = ch
            if which == "conv-transpose":
                k, d = draw(st.integers(1, 5)), draw(st.integers(1, 2))
                keff = d * (k - 1) + 1
                # op = f - keff + 2p must lie in [0, max(f, d) - 1]
                ps = [p for p in range(0, 4) if 0 <= f - keff + 2 * p < max(f, d)]
                if not ps:
                    k, d, keff, ps = f, 1, f, [0]
                p = draw(st.sampled_from(ps))
                out_ch = draw(st.integers(1, 4))
                layer.update(op="conv-transpose", kernel=k, stride=f, padding=p,
                             output_padding=f - keff + 2 * p, out_channels=out_ch)
                if d > 1:
                    layer["dilation"] = d
            elif which == "resize":
                mode = draw(st.sampled_from(["nearest", "linear"]))
                layer.update(op="resize", scale_factor=f, mode=mode)
            elif which == "pixel-shuffle":
                if ch % f**ndim:
                    layers.append({"name": f"{name}c", "op": "conv", "kernel": 1,
                                   "out_channels": f**ndim, "inputs": [src]})
                    layer["inputs"] = [f"{name}c"]
                    ch = f**ndim
                layer.update(op="pixel-shuffle", factor=f)
                out_ch = ch // f**ndim
            else:
                layer.update(op="max-unpool", kernel=f, stride=f)
            out_scale = scale * f
        layers.append(layer)
        tensors.append((name, out_scale, out_ch))
        den = den * out_scale.denominator // gcd(den, out_scale.denominator)
    return {"convention": "torch", "inputs": inputs, "layers": layers}, den


def review_layer_dicts(*, tensorflow_same: bool = True,
                       resize_factors: tuple[Any, ...] = (2, "3/2", "1/2")
                       ) -> st.SearchStrategy[dict[str, Any]]:
    """One layer of a random 1-D network file for ``symconv review`` (a dict as in YAML):
    conv, max-pool (ceil mode with padding), conv-transpose (output_padding < stride), optionally
    TensorFlow SAME conv, pixel unshuffle, resizes by ``resize_factors`` and relu."""
    kinds = [
        st.builds(lambda k, s, p: {"op": "conv", "kernel": k, "stride": s, "padding": p},
                  st.integers(1, 5), st.integers(1, 3), st.integers(0, 2)),
        st.builds(lambda k, s, c: {"op": "max-pool", "kernel": k, "stride": s,
                                   "padding": k // 2 if c else 0, "ceil_mode": c},
                  st.integers(1, 3), st.integers(1, 3), st.booleans()),
        st.builds(lambda k, s, p, op: {"op": "conv-transpose", "kernel": k, "stride": s,
                                       "padding": p, "output_padding": op % s},
                  st.integers(1, 4), st.integers(1, 3), st.integers(0, 2), st.integers(0, 2)),
    ]
    if tensorflow_same:
        kinds.append(st.builds(lambda k, s: {"op": "conv", "kernel": k, "stride": s,
                                             "padding": "SAME", "convention": "tensorflow"},
                               st.integers(1, 5), st.integers(1, 3)))
    kinds.append(st.just({"op": "pixel-unshuffle", "factor": 2}))
    kinds.append(st.sampled_from([*({"op": "resize", "scale_factor": f} for f in resize_factors),
                                  {"op": "relu"}]))
    return st.one_of(*kinds)
