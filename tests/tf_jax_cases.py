"""Cases for the TensorFlow/Keras/JAX/flax oracles and symconv's answer to each.

* :func:`draw_cases` draws a deterministic sample (seeded) over every API of
  :mod:`tf_jax_oracles`: sizes, kernels, strides, dilations and every padding spelling each API
  accepts (its names in the exact case it uses, other cases of them, explicit pairs, negative
  pairs for JAX, flax's ints, omitted arguments), TensorFlow ``output_shape`` around the
  admissible range, Keras ``output_padding``, resize sizes, methods and ``antialias``.
* :func:`symconv_spec` is the spec a user writes for a case under the matching convention
  (``tensorflow`` for ``tf.*``, ``keras`` for ``keras.*``, ``jax`` for ``jax.*`` and
  ``flax.*``): the same parameters, the padding exactly as the framework was given it, an
  omitted argument omitted.
* :func:`observe` compares one framework answer with symconv's: output size, refusal, the
  applied begin pads derived from the framework's own output (the probes of
  :mod:`tf_jax_oracles`) and the values (the framework's matrix against
  :func:`symconv.core.linear_map` with the same kernel taps), and returns an
  :class:`Observation` with the kind of disagreement, if any.

Nothing here imports a framework.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tf_jax_oracles import framework_of

# --------------------------------------------------------------------------- the sample

#: Largest input size per spatial rank.
NMAX = {1: 16, 2: 10, 3: 6}
#: Largest kernel per spatial rank.
KMAX = {1: 5, 2: 5, 3: 3}
#: Probes (values, pads) only for inputs up to this many positions.
PROBE_MAX_INPUT = 400

#: Cases per API at ``scale=1`` (about 10,000 in all), and the share of them probed.
WEIGHTS: dict[str, int] = {
    "tf.nn.conv1d": 350, "tf.nn.conv2d": 500, "tf.nn.conv3d": 250, "tf.nn.convolution": 500,
    "tf.nn.conv1d_transpose": 200, "tf.nn.conv2d_transpose": 250,
    "tf.nn.conv3d_transpose": 150, "tf.nn.conv_transpose": 200,
    "tf.nn.max_pool1d": 120, "tf.nn.max_pool2d": 200, "tf.nn.max_pool3d": 100,
    "tf.nn.max_pool": 150, "tf.nn.avg_pool1d": 120, "tf.nn.avg_pool2d": 200,
    "tf.nn.avg_pool3d": 100, "tf.nn.avg_pool": 150, "tf.nn.pool": 400,
    "tf.image.resize": 400,
    "keras.Conv1D": 250, "keras.Conv2D": 250, "keras.Conv3D": 120,
    "keras.Conv1DTranspose": 220, "keras.Conv2DTranspose": 250, "keras.Conv3DTranspose": 120,
    "keras.MaxPooling1D": 100, "keras.MaxPooling2D": 120, "keras.MaxPooling3D": 60,
    "keras.AveragePooling1D": 100, "keras.AveragePooling2D": 120,
    "keras.AveragePooling3D": 60,
    "keras.UpSampling1D": 60, "keras.UpSampling2D": 100, "keras.UpSampling3D": 40,
    "keras.Resizing": 200,
    "jax.lax.conv_general_dilated": 700, "jax.lax.conv_transpose": 600,
    "jax.lax.reduce_window": 500, "jax.image.resize": 400,
    "flax.linen.Conv": 500, "flax.linen.ConvTranspose": 400, "flax.linen.max_pool": 200,
    "flax.linen.avg_pool": 200,
}
PROBE_SHARE = {"tensorflow": 1.0, "keras": 0.2, "jax": 0.15, "flax": 0.15}


def _rank(api: str, r: random.Random) -> int:
    m = re.search(r"([123])[dD]", api.rsplit(".", 1)[-1])
    if m:
        return int(m.group(1))
    if api in ("tf.image.resize", "keras.Resizing"):
        return 2
    return r.choice((1, 1, 2, 2, 3))


def _per_axis(r: random.Random, nd: int, lo: int, hi: int) -> list[int]:
    """Per-axis values, equal on every axis more often than not."""
    if r.random() < 0.6:
        return [r.randint(lo, hi)] * nd
    return [r.randint(lo, hi) for _ in range(nd)]


def _small(r: random.Random, nd: int, hi: int) -> list[int]:
    """Strides/dilations in 1..hi, 1 half of the time."""
    return [1] * nd if r.random() < 0.4 else _per_axis(r, nd, 1, hi)


def _pick(r: random.Random, choices: dict[Any, float]) -> Any:
    keys = list(choices)
    return r.choices(keys, weights=[choices[k] for k in keys])[0]


def _pairs(r: random.Random, nd: int, lo: int, hi: int) -> list[list[int]]:
    return [[r.randint(lo, hi), r.randint(lo, hi)] for _ in range(nd)]


def _conv_padding(r: random.Random, api: str, nd: int) -> Any:
    """A padding spelling the API might be given (its own names, other cases, pairs)."""
    if api.startswith("tf."):
        p = _pick(r, {"SAME": 3, "VALID": 3, "same": 1, "valid": 0.5, "pairs": 3})
        return _pairs(r, nd, 0, 3) if p == "pairs" else p
    if api.startswith("keras."):
        p = _pick(r, {None: 1, "valid": 3, "same": 3, "causal": 2 if nd == 1 else 0,
                      "VALID": 0.5, "Same": 0.5, "pairs": 0.5})
        return _pairs(r, nd, 0, 2) if p == "pairs" else p
    if api == "jax.lax.conv_general_dilated":
        p = _pick(r, {"SAME": 3, "VALID": 3, "SAME_LOWER": 2, "same": 0.5, "valid": 0.5,
                      "same_lower": 0.5, "pairs": 4})
        return _pairs(r, nd, -3, 3) if p == "pairs" else p
    # flax.linen.Conv
    p = _pick(r, {None: 1.5, "SAME": 2, "VALID": 2, "CIRCULAR": 0.5, "REFLECT": 0.5,
                  "CAUSAL": 0.5, "same": 0.3, "int": 1, "ints": 0.5, "pairs": 2})
    if p == "int":
        return r.randint(0, 3)
    if p == "ints":
        return [r.randint(0, 3) for _ in range(nd)]
    return _pairs(r, nd, -2, 3) if p == "pairs" else p


def _draw(api: str, r: random.Random) -> dict[str, Any]:
    nd = _rank(api, r)
    n = _per_axis(r, nd, 1, NMAX[nd])
    k = _per_axis(r, nd, 1, KMAX[nd])
    case: dict[str, Any] = {"api": api, "n": n}
    name = api.rsplit(".", 1)[-1]
    flags: dict[str, Any] = {}
    if api in ("tf.nn.conv1d", "tf.nn.conv2d", "tf.nn.conv3d", "tf.nn.convolution",
               "keras.Conv1D", "keras.Conv2D", "keras.Conv3D", "jax.lax.conv_general_dilated",
               "flax.linen.Conv"):
        required = api in ("tf.nn.conv1d", "tf.nn.conv2d", "tf.nn.conv3d",
                           "jax.lax.conv_general_dilated")
        case.update(k=k, s=_small(r, nd, 3) if required or r.random() < 0.8 else None,
                    d=_small(r, nd, 3) if r.random() < 0.7 else None,
                    padding=_conv_padding(r, api, nd))
    elif api.startswith("tf.nn.conv") and "transpose" in api:
        s, d = _small(r, nd, 3), (_small(r, nd, 2) if r.random() < 0.5 else None)
        p = _pick(r, {"SAME": 4, "VALID": 4, "same": 0.5, "pairs": 2})
        pad = _pairs(r, nd, 0, 2) if p == "pairs" else p
        out = []
        for a in range(nd):
            keff = (1 if d is None else d[a]) * (k[a] - 1) + 1
            if pad == "SAME" or pad == "same":
                lo, hi = (n[a] - 1) * s[a] + 1, n[a] * s[a]
            else:
                pb = pad[a][0] + pad[a][1] if isinstance(pad, list) else 0
                lo = (n[a] - 1) * s[a] + keff - pb
                hi = lo + s[a] - 1
            out.append(max(1, r.randint(lo - 2, hi + 2)))
        case.update(k=k, s=s, d=d, padding=pad, out=out)
    elif name.startswith("Conv") and name.endswith("Transpose"):  # Keras, flax
        s = _small(r, nd, 3) if r.random() < 0.85 else None
        d = _small(r, nd, 3) if r.random() < 0.6 else None
        if api.startswith("keras."):
            p = _pick(r, {None: 1, "valid": 4, "same": 4, "SAME": 0.5, "pairs": 0.3})
            pad = _pairs(r, nd, 0, 2) if p == "pairs" else p
            if r.random() < 0.5:
                sv = s or [1] * nd
                case["opad"] = [r.randint(0, sv[a]) for a in range(nd)]
        else:
            p = _pick(r, {None: 1, "SAME": 3, "VALID": 3, "CIRCULAR": 0.5, "pairs": 3})
            pad = _pairs(r, nd, -1, 3) if p == "pairs" else p
            if r.random() < 0.6:
                flags["transpose_kernel"] = r.random() < 0.5
        case.update(k=k, s=s, d=d, padding=pad)
    elif api == "jax.lax.conv_transpose":
        p = _pick(r, {"SAME": 4, "VALID": 4, "SAME_LOWER": 1, "same": 1, "valid": 1,
                      "pairs": 4})
        pad = _pairs(r, nd, -2, 4) if p == "pairs" else p
        flags["transpose_kernel"] = r.random() < 0.5
        if r.random() < 0.15:
            flags["use_consistent_padding"] = True
        case.update(k=k, s=_small(r, nd, 3), d=_small(r, nd, 3) if r.random() < 0.6 else None,
                    padding=pad)
    elif api.startswith("tf.nn.") and ("pool" in name):
        s = _small(r, nd, 3)
        if name == "pool":
            flags["pooling_type"] = r.choice(("MAX", "AVG"))
            p = _pick(r, {None: 1, "SAME": 3, "VALID": 3, "same": 0.3, "pairs": 1})
            case.update(k=k, s=s if r.random() < 0.7 else None,
                        d=_small(r, nd, 3) if r.random() < 0.6 else None)
        else:
            p = _pick(r, {"SAME": 4, "VALID": 4, "same": 0.5, "pairs": 2})
            case.update(k=k, s=s)
        case["padding"] = ([[r.randint(0, k[a]), r.randint(0, k[a])] for a in range(nd)]
                           if p == "pairs" else p)
    elif "Pooling" in name:
        case.update(k=k, s=_small(r, nd, 3) if r.random() < 0.6 else None,
                    padding=_pick(r, {None: 1, "valid": 3, "same": 3, "VALID": 0.5,
                                      "SAME": 0.5}))
    elif api == "jax.lax.reduce_window":
        flags["reducer"] = r.choice(("max", "add"))
        p = _pick(r, {"SAME": 3, "VALID": 3, "SAME_LOWER": 1, "same": 0.5, "pairs": 3})
        case.update(k=k, s=_small(r, nd, 3), d=_small(r, nd, 3) if r.random() < 0.5 else None,
                    padding=_pairs(r, nd, -2, 3) if p == "pairs" else p)
    elif api in ("flax.linen.max_pool", "flax.linen.avg_pool"):
        p = _pick(r, {None: 1, "SAME": 3, "VALID": 3, "pairs": 2})
        case.update(k=k, s=_small(r, nd, 3) if r.random() < 0.7 else None,
                    padding=_pairs(r, nd, 0, 3) if p == "pairs" else p)
        if name == "avg_pool" and r.random() < 0.4:
            flags["count_include_pad"] = r.random() < 0.5
    elif name.startswith("UpSampling"):
        case["scale"] = _per_axis(r, nd, 1, 3)
        if nd == 2:
            case["method"] = _pick(r, {None: 1, "nearest": 2, "bilinear": 2, "bicubic": 0.3})
    elif api in ("tf.image.resize", "keras.Resizing", "jax.image.resize"):
        case["size"] = _per_axis(r, nd, 1, 20 if nd == 1 else 14 if nd == 2 else 8)
        if api == "jax.image.resize":
            linear = {1: "linear", 2: "bilinear", 3: "trilinear"}[nd]
            case["method"] = _pick(r, {"nearest": 4, "linear": 3, linear: 1, "cubic": 0.5,
                                       "lanczos3": 0.3})
            case["antialias"] = _pick(r, {None: 2, True: 1, False: 1})
        else:
            case["method"] = _pick(r, {None: 1, "nearest": 3, "bilinear": 3, "bicubic": 0.5,
                                       "area": 0.3 if api == "tf.image.resize" else 0})
            if api == "tf.image.resize":
                case["antialias"] = _pick(r, {None: 2, True: 1, False: 1})
    else:
        raise AssertionError(api)
    if flags:
        case["flags"] = flags
    return case


def draw_cases(seed: int, scale: float = 1.0, apis: Sequence[str] | None = None,
               ) -> list[dict[str, Any]]:
    """About ``scale * 10,000`` cases over :data:`WEIGHTS`'s APIs, deterministic in ``seed``."""
    r = random.Random(seed)
    out = []
    for api in apis or WEIGHTS:
        family = framework_of(api)[0].split("-")[0]
        for _ in range(max(1, round(WEIGHTS[api] * scale))):
            case = _draw(api, r)
            probe = r.random() < PROBE_SHARE[family] and math.prod(case["n"]) <= PROBE_MAX_INPUT
            case["probe"] = probe
            case["id"] = f"{seed}-{len(out):05d}"
            out.append(case)
    return out


def describe(case: dict[str, Any]) -> str:
    """One line a user can read: the API and its arguments as the case passes them."""
    skip = {"id", "api", "probe", "flags"}
    parts = [f"{key}={value!r}" for key, value in case.items()
             if key not in skip and value is not None]
    parts += [f"{key}={value!r}" for key, value in (case.get("flags") or {}).items()]
    return f"{case['api']}({', '.join(parts)})"


# --------------------------------------------------------------------------- symconv's side

CONVENTION = {"tf": "tensorflow", "keras": "keras", "jax": "jax", "flax": "jax"}
_METHODS = {"nearest": "nearest", "bilinear": "linear", "linear": "linear",
            "trilinear": "linear", "bicubic": "cubic", "cubic": "cubic"}


def convention_of(api: str) -> str:
    return CONVENTION[api.split(".", 1)[0]]


def api_name(api: str) -> str:
    """The symconv API name of a case's API (Keras layers live in ``keras.layers``)."""
    return "keras.layers." + api.split(".", 1)[1] if api.startswith("keras.") else api


def symconv_spec(case: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The symconv layer a user writes for ``case``: ``(class name, keyword arguments)``."""
    api = case["api"]
    name = api.rsplit(".", 1)[-1]
    flags = case.get("flags") or {}
    # the API itself is the convention a user names (symconv.spec.apis); resizing follows the
    # framework's convention (one resize API per framework)
    resize = name in ("resize", "Resizing") or name.startswith("UpSampling")
    kw: dict[str, Any] = {"convention": convention_of(api) if resize else api_name(api)}
    if case.get("k") is not None:
        kw["kernel"] = tuple(case["k"])
    for key, arg in (("s", "stride"), ("d", "dilation"), ("out", "output_size"),
                     ("opad", "output_padding")):
        if case.get(key) is not None:
            kw[arg] = tuple(case[key])
    pad = case.get("padding")
    if isinstance(pad, list):
        kw["padding"] = tuple(tuple(p) if isinstance(p, list) else p for p in pad)
    elif pad is not None:
        kw["padding"] = pad
    if name in ("resize", "Resizing"):
        method = case.get("method") or "bilinear"
        kw.update(size=tuple(case["size"]), mode=_METHODS.get(method, method))
        if case.get("antialias") is not None:
            kw["antialias"] = case["antialias"]
        return "Resize", kw
    if name.startswith("UpSampling"):
        method = case.get("method") or "nearest"
        kw.update(scale_factor=tuple(case["scale"]), mode=_METHODS.get(method, method))
        return "Resize", kw
    if "transpose" in name.lower():
        if flags.get("use_consistent_padding"):
            kw["use_consistent_padding"] = True
        if flags.get("transpose_kernel"):  # only the placement of flax's 'CIRCULAR' fold
            kw["transpose_kernel"] = True
        return "ConvTranspose", kw
    if "conv" in name.lower():
        return "Conv", kw
    if name == "pool":
        return ("MaxPool" if flags["pooling_type"] == "MAX" else "AvgPool"), kw
    if name == "reduce_window":
        if flags["reducer"] == "add":
            kw["count_include_pad"] = True
            return "AvgPool", kw
        return "MaxPool", kw
    if "count_include_pad" in flags:
        kw["count_include_pad"] = flags["count_include_pad"]
    if "max" in name.lower():
        return "MaxPool", kw
    if "avg" in name.lower() or "average" in name.lower():
        return "AvgPool", kw
    raise AssertionError(api)


def symconv_outcome(case: dict[str, Any]) -> dict[str, Any]:
    """``{"shape", "pads", "spec"}`` or ``{"error"}`` (an :class:`InvalidSpecError`)."""
    import symconv
    from symconv.errors import SymconvError

    cls, kw = symconv_spec(case)
    try:
        spec = getattr(symconv, cls)(**kw)
        r = symconv.resolve(spec, tuple(case["n"]))
    except SymconvError as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    pads = None if r.folds is not None else [list(map(int, p)) for p in r.pads]  # flax fold
    return {"shape": [int(v) for v in r.output], "pads": pads, "spec": r.layer}


# --------------------------------------------------------------------------- probes


def _dense(probe: dict[str, Any], n_out: int, n_in: int) -> np.ndarray:
    rows, cols, vals = probe["matrix"]
    a = np.zeros((n_out, n_in))
    a[rows, cols] = vals
    return a


def _effective(case: dict[str, Any]) -> tuple[list[int], list[int]]:
    """The strides and dilations the framework applied (its defaults filled in)."""
    nd, name = len(case["n"]), case["api"].rsplit(".", 1)[-1]
    s = case.get("s")
    if s is None:
        pool_default_kernel = "Pooling" in name  # Keras; tf.nn.pool and flax default to 1
        s = list(case["k"]) if pool_default_kernel else [1] * nd
    d = case.get("d") or [1] * nd
    return list(s), list(d)


def derived_begin_pads(case: dict[str, Any], framework: str, probe: dict[str, Any],
                       out: Sequence[int]) -> list[int | None] | str:
    """The begin pad per axis the framework applied, read from its own output.

    Convolutions: an entry of the matrix links output ``j``, input ``i`` and tap ``t``
    (its value), so ``pb = j s + t d - i`` (transposed: ``pb = i s + t d - j``).  Pooling:
    the first (last) input a window reads is its first (last) tap when it is at least ``d``
    from the input's start (end), so ``pb = j s - first`` (``j s + (k-1) d - last``).
    ``None`` on an axis where no output decides it; ``"inconsistent"`` when outputs disagree
    (the framework's windows are not a padded regular grid).
    """
    n, nd = case["n"], len(case["n"])
    s, d = _effective(case)
    name = case["api"].rsplit(".", 1)[-1].lower()
    found: list[set[int]] = [set() for _ in range(nd)]
    if "conv" in name:
        rows, cols, vals = probe["matrix"]
        k = case["k"]
        for r_, c_, v in zip(rows, cols, vals, strict=True):
            t = np.unravel_index(round(v) - 1, k)
            j = np.unravel_index(r_, out)
            i = np.unravel_index(c_, n)
            for a in range(nd):
                if "transpose" in name:
                    found[a].add(int(i[a] * s[a] + t[a] * d[a] - j[a]))
                else:
                    found[a].add(int(j[a] * s[a] + t[a] * d[a] - i[a]))
    elif "pool" in name or "reduce_window" in name:
        k = case["k"]
        windows: list[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = []
        if "inc" in probe:
            total = math.prod(n)
            for o, (hi, lo) in enumerate(zip(probe["inc"], probe["dec"], strict=True)):
                if hi is None or lo is None:
                    continue
                windows.append((np.unravel_index(o, out),
                                np.unravel_index(total - round(lo), n),
                                np.unravel_index(round(hi) - 1, n)))
        else:
            rows, cols, _ = probe["matrix"]
            members: dict[int, list[int]] = {}
            for r_, c_ in zip(rows, cols, strict=True):
                members.setdefault(r_, []).append(c_)
            for o, cs in members.items():
                coords = np.array(np.unravel_index(cs, n))
                windows.append((np.unravel_index(o, out), tuple(coords.min(axis=1)),
                                tuple(coords.max(axis=1))))
        for j, first, last in windows:
            for a in range(nd):
                if first[a] >= d[a]:
                    found[a].add(int(j[a] * s[a] - first[a]))
                elif last[a] <= n[a] - 1 - d[a]:
                    found[a].add(int(j[a] * s[a] + (k[a] - 1) * d[a] - last[a]))
    else:
        return [None] * nd
    if any(len(f) > 1 for f in found):
        return "inconsistent"
    return [next(iter(f)) if f else None for f in found]


def symconv_values(case: dict[str, Any], spec: Any, probe: dict[str, Any]) -> np.ndarray:
    """symconv's answer to the probe: its matrix, or its max pool on the two ramps."""
    from symconv.core import linear_map, max_pool_selection_map

    n = tuple(case["n"])
    if "inc" in probe:
        total = math.prod(n)
        inc = np.arange(1, total + 1, dtype=float).reshape((1, *n))
        if _padding_only(spec, n):  # -inf there: no selection matrix, the reference op
            y = _reference_pool(spec, n, np.stack([inc[0], total + 1 - inc[0]]))
            return np.where(np.isinf(y), np.nan, y).reshape(2, -1)
        ys = []
        for x in (inc, total + 1 - inc):
            m = max_pool_selection_map(spec, x)
            ys.append(np.asarray(m.numeric() @ x.reshape(-1)))
        return np.stack(ys)
    name = type(spec).__name__
    if name == "AvgPool" and _padding_only(spec, n):  # NaN there: no average map
        onehots = np.eye(math.prod(n)).reshape((-1, *n))
        return _reference_pool(spec, n, onehots).reshape(math.prod(n), -1).T
    if name in ("Conv", "ConvTranspose"):
        w = np.arange(1, math.prod(case["k"]) + 1, dtype=float).reshape((1, 1, *case["k"]))
        a = linear_map(spec, (1, *n), out_channels=1).numeric(w).toarray()
    elif name == "Resize" and spec.mode.value in ("lanczos3", "lanczos5"):
        # irrational weights (sin): no exact map; symconv's float64 reference op
        from symconv import numeric, resolve

        onehots = np.eye(math.prod(n)).reshape((-1, 1, *n))
        out = [int(v) for v in resolve(spec, n).output]
        y = numeric.resample(onehots, out, spec.mode.value, spec.convention.value,
                             antialias=spec.antialiased)
        a = y.reshape(math.prod(n), -1).T
    else:
        a = linear_map(spec, (1, *n)).numeric().toarray()
    if case["api"] == "jax.lax.reduce_window":  # a sum: count_include_pad average times k
        a = a * math.prod(case["k"])
    return a


def _padding_only(spec: Any, n: tuple[int, ...]) -> bool:
    """JAX pooling with a window on padding only (resolve's note): -inf or NaN there."""
    from symconv import resolve

    return any("reads only padding" in note for note in resolve(spec, n).notes)


def _reference_pool(spec: Any, n: tuple[int, ...], xs: np.ndarray) -> np.ndarray:
    """symconv's reference max/average pooling (JAX's any padding) of a batch ``xs``."""
    from symconv import numeric, resolve

    pads = resolve(spec, n).pads
    if type(spec).__name__ == "MaxPool":
        return numeric.max_pool(xs[:, None], spec.kernel, stride=spec.stride, padding=pads,
                                dilation=spec.dilation, any_padding=True)[:, 0]
    assert all(v == 1 for v in spec.dilation), spec  # flax avg_pool has no dilation
    return numeric.avg_pool(xs[:, None], spec.kernel, stride=spec.stride, padding=pads,
                            count_include_pad=spec.count_include_pad, any_padding=True)[:, 0]


def framework_values(case: dict[str, Any], probe: dict[str, Any],
                     out: Sequence[int]) -> np.ndarray:
    if "inc" in probe:
        return np.array([[np.nan if v is None else v for v in probe[key]]
                         for key in ("inc", "dec")], dtype=float)
    return _dense(probe, math.prod(out), math.prod(case["n"]))


# --------------------------------------------------------------------------- comparison

#: Names a refusal under a convention must not cite (another framework's rule).
FOREIGN = {
    "tensorflow": ("PyTorch", "onnxruntime", "ONNX", "JAX"),
    "keras": ("PyTorch", "onnxruntime", "ONNX", "JAX"),
    "jax": ("PyTorch", "onnxruntime", "ONNX", "TensorFlow", "Keras"),
}

#: The kinds of disagreement, in the order they are looked for.
KINDS = ("crash", "refusal", "acceptance", "size", "message", "pads", "values")


@dataclass
class Observation:
    """One framework answer (``observer``: child and method) against symconv's."""

    case: dict[str, Any]
    observer: str  # "tensorflow", "keras-jax:call", "keras-tensorflow:compute_output_shape", ...
    fw: dict[str, Any]
    sc: dict[str, Any]
    kind: str | None = None  # None: agreement
    detail: str = ""
    checked: list[str] = field(default_factory=list)  # "size", "pads", "values"

    @property
    def api(self) -> str:
        return self.case["api"]

    @property
    def framework(self) -> str:
        return self.observer.split(":")[0]

    @property
    def fw_status(self) -> str:
        """``ok``, ``empty``, ``error``, ``crashed``."""
        for key, status in (("shape", "ok"), ("empty", "empty"), ("error", "error"),
                            ("crashed", "crashed"), ("oracle_error", "oracle")):
            if key in self.fw:
                return status
        raise AssertionError(self.fw)

    def fw_text(self) -> str:
        st = self.fw_status
        if st == "ok":
            return f"output {tuple(self.fw['shape'])}"
        if st == "empty":
            return f"empty output {tuple(self.fw['empty'])}"
        if st == "crashed":
            return f"process killed ({self.fw['crashed']})"
        return str(self.fw.get("error") or self.fw.get("oracle_error"))

    def sc_text(self) -> str:
        if "error" in self.sc:
            return "refuses: " + self.sc["error"].split(": ", 1)[-1]
        pads = self.sc["pads"]
        return (f"output {tuple(self.sc['shape'])}, pads "
                f"{'folded' if pads is None else [tuple(p) for p in pads]}")


def observe(case: dict[str, Any], framework: str, result: dict[str, Any],
            sc: dict[str, Any]) -> list[Observation]:
    """The observations of one case in one child: the call, and for Keras also
    ``compute_output_shape``."""
    if "crashed" in result:
        return [_judge(case, framework, dict(result), sc, None)]
    obs = []
    method = ":call" if framework.startswith("keras") else ""
    obs.append(_judge(case, framework + method, result["call"], sc, result.get("probe")))
    if "cos" in result:
        obs.append(_judge(case, framework + ":compute_output_shape", result["cos"], sc, None))
    return obs


def _judge(case: dict[str, Any], observer: str, fw: dict[str, Any], sc: dict[str, Any],
           probe: dict[str, Any] | None) -> Observation:
    ob = Observation(case, observer, fw, sc)
    st, refused = ob.fw_status, "error" in sc
    if st == "oracle":
        raise AssertionError(f"oracle bug on {describe(case)}: {fw['oracle_error']}")
    if st == "crashed":
        ob.kind = "crash"
    elif st == "ok" and refused:
        ob.kind = "refusal"
    elif st != "ok" and not refused:
        ob.kind = "acceptance"
    elif st == "ok" and fw["shape"] != sc["shape"]:
        ob.kind = "size"
    elif st != "ok":
        cites = [w for w in FOREIGN[convention_of(case["api"])]
                 if re.search(rf"\b{w}\b", sc["error"])]
        if cites:
            ob.kind, ob.detail = "message", f"cites {', '.join(cites)}"
    else:
        ob.checked.append("size")
        if probe is not None and "error" not in probe:
            _check_probe(ob, probe)
    return ob


def _check_probe(ob: Observation, probe: dict[str, Any]) -> None:
    case, out = ob.case, ob.fw["shape"]
    windowed = not any(w in case["api"] for w in ("resize", "Resizing", "UpSampling"))
    # flax 'CIRCULAR'/'REFLECT' pad with input values: entries sum taps, no grid to read
    if windowed and case.get("padding") not in ("CIRCULAR", "REFLECT"):
        got = derived_begin_pads(case, ob.framework, probe, out)
        want = [p[0] for p in ob.sc["pads"]]
        if got == "inconsistent":
            ob.kind, ob.detail = "pads", "the framework's windows are not a padded grid"
            return
        assert isinstance(got, list)
        if any(g is not None and g != w for g, w in zip(got, want, strict=True)):
            ob.kind, ob.detail = "pads", f"begin pads: framework {got}, symconv {want}"
            return
        ob.checked.append("pads")
    theirs = framework_values(case, probe, out)
    try:
        ours = symconv_values(case, ob.sc["spec"], probe)
    except Exception as exc:  # symconv cannot build the map it resolved: a finding too
        ob.kind, ob.detail = "values", f"symconv's map: {type(exc).__name__}: {exc}"
        return
    if ours.shape != theirs.shape or not np.allclose(
            np.nan_to_num(ours, nan=-1e9), np.nan_to_num(theirs, nan=-1e9),
            rtol=1e-5, atol=1e-5):
        bad = np.argwhere(~np.isclose(ours, theirs, rtol=1e-5, atol=1e-5)) if (
            ours.shape == theirs.shape) else []
        ob.kind = "values"
        ob.detail = (f"shapes {ours.shape} vs {theirs.shape}" if ours.shape != theirs.shape
                     else f"{len(bad)} entries differ, first at {tuple(int(v) for v in bad[0])}:"
                     f" framework {theirs[tuple(bad[0])]:.6g}, symconv {ours[tuple(bad[0])]:.6g}")
        return
    ob.checked.append("values")


def observe_all(cases: Sequence[dict[str, Any]],
                results: dict[str, dict[str, Any]]) -> list[Observation]:
    """Every observation of every case (symconv resolved once per case)."""
    obs: list[Observation] = []
    for case in cases:
        sc = symconv_outcome(case)
        for f in framework_of(case["api"]):
            if f in results:
                obs.extend(observe(case, f, results[f][case["id"]], sc))
    return obs

