"""Real Keras 3 models for ``tests/test_keras_import.py``, built, saved and run in a child
process: ``KERAS_BACKEND=jax python tests/keras_models.py FOLDER`` writes each model of
:data:`MODELS` to ``FOLDER/NAME.keras`` and ``FOLDER/NAME.json`` (``model.to_json()``), runs
it at every size of its sweep and prints one JSON document:
``{name: {"sizes": [...], "runs": [...], "checked": [...]}}``.

A run at one size traces the model with ``jax.eval_shape`` (the real Keras layers on abstract
arrays: every shape rule of Keras and of the JAX primitives applies, no arithmetic is done),
with every layer call's output as an extra output (``probe``): ``{"error": message}`` when
Keras raises, else ``{"shapes": {node: [spatial..., channels]}}``.  A tensor with an empty
axis is reported as it is (the test counts it as a failure: symconv's contract is that every
size is at least 1).  ``checked`` lists, for a few sizes per model, whether running the model
on real zeros gives the same outcome as the trace (it must).

Layer calls are named as symconv's Keras import names them: the layer name for the first
call, ``name_1``, ... for the others.  Importing this module imports nothing from Keras
(pytest's doctest collection imports it).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Sizes tried per axis (1..N, the other axes fixed) by spatial rank; models whose axes differ
#: sweep every axis that far, the others sweep the later axes to :data:`SHORT`.
SWEEP = {1: 40, 2: 32, 3: 12}
SHORT = 12


def _sizes(nd: int, fixed: int, asymmetric: bool) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = []
    for a in range(nd):
        for v in range(1, (SWEEP[nd] if a == 0 or asymmetric else SHORT) + 1):
            s = [fixed] * nd
            s[a] = v
            out.append(tuple(s))
    out += {2: [(7, 12), (12, 7), (33, 18), (18, 33), (25, 3), (3, 25), (31, 31)],
            3: [(7, 12, 5), (12, 7, 9), (13, 13, 13)]}.get(nd, [])
    return list(dict.fromkeys(out))


# --------------------------------------------------------------------------- the models


def unet(keras: Any, L: Any) -> Any:
    """Two levels: same convs, max pooling, k=2 s=2 transposed convs, channel concats."""
    x = keras.Input((None, None, 1), name="image")
    e1 = L.Conv2D(2, 3, padding="same", activation="relu", name="enc1")(x)
    p1 = L.MaxPooling2D(name="pool1")(e1)
    e2 = L.Conv2D(3, 3, padding="same", name="enc2")(p1)
    e2 = L.BatchNormalization(name="bn2")(e2)
    p2 = L.MaxPooling2D(2, name="pool2")(e2)
    mid = L.Conv2D(4, 3, padding="same", name="mid")(p2)
    u2 = L.Conv2DTranspose(3, 2, strides=2, name="up2")(mid)
    c2 = L.Concatenate(name="cat2")([u2, e2])
    d2 = L.Conv2D(3, 3, padding="same", name="dec2")(c2)
    u1 = L.Conv2DTranspose(2, 2, strides=2, name="up1")(d2)
    c1 = L.Concatenate(axis=-1, name="cat1")([u1, e1])
    out = L.Conv2D(1, 1, name="head")(c1)
    return keras.Model(x, out, name="unet")


def autoencoder(keras: Any, L: Any) -> Any:
    """Valid strided convs, UpSampling2D (nearest, bilinear), ZeroPadding2D and Cropping2D."""
    x = keras.Input((None, None, 2), name="x")
    z = L.ZeroPadding2D(((1, 2), (0, 3)), name="zpad")(x)
    a = L.Conv2D(3, 3, strides=2, name="down1")(z)
    b = L.Conv2D(4, (3, 2), strides=(2, 1), padding="valid", name="down2")(a)
    c = L.AveragePooling2D(pool_size=(2, 3), strides=(1, 2), padding="same", name="avg")(b)
    u = L.UpSampling2D((2, 3), name="up_nn")(c)
    v = L.UpSampling2D(2, interpolation="bilinear", name="up_bl")(u)
    y = L.Cropping2D(((1, 2), (3, 0)), name="crop")(v)
    y = L.ZeroPadding2D(1, name="zpad2")(y)
    return keras.Model(x, L.Conv2D(2, 3, padding="same", name="out")(y), name="autoencoder")


def causal1d(keras: Any, L: Any) -> Any:
    """Conv1D causal (dilated, strided), same/valid pooling, up-sampling, transposed convs."""
    x = keras.Input((None, 2), name="seq")
    a = L.Conv1D(3, 3, padding="causal", dilation_rate=2, name="causal_d2")(x)
    b = L.Conv1D(3, 4, strides=2, padding="causal", name="causal_s2")(a)
    c = L.MaxPooling1D(3, strides=2, padding="same", name="pool_same")(b)
    d = L.AveragePooling1D(2, padding="valid", name="pool_valid")(c)
    e = L.UpSampling1D(3, name="up3")(d)
    f = L.Conv1DTranspose(2, 3, strides=2, padding="same", output_padding=1, name="ct_op")(e)
    g = L.Conv1DTranspose(2, 5, strides=2, padding="valid", name="ct_none")(f)
    h = L.Conv1D(2, 5, strides=3, padding="same", name="same_s3")(g)
    i = L.ZeroPadding1D((2, 1), name="zp1")(h)
    j = L.Cropping1D((1, 3), name="crop1")(i)
    return keras.Model(x, j, name="causal1d")


def vol3d(keras: Any, L: Any) -> Any:
    """3-D: conv, pooling, transposed conv, up-sampling, padding, cropping, add."""
    x = keras.Input((None, None, None, 1), name="vol")
    a = L.Conv3D(2, 3, padding="same", name="c3")(x)
    p = L.MaxPooling3D((2, 2, 1), name="p3")(a)
    b = L.Conv3D(2, (3, 1, 2), padding="same", name="v3")(p)
    t = L.Conv3DTranspose(2, (2, 2, 1), strides=(2, 2, 1), name="t3")(b)
    u = L.UpSampling3D((1, 1, 1), name="u3")(t)
    z = L.ZeroPadding3D(((0, 1), (1, 0), (0, 0)), name="z3")(u)
    c = L.Cropping3D(((1, 0), (0, 1), (0, 0)), name="k3")(z)
    v = L.Conv3D(2, (1, 1, 3), name="valid3")(a)
    w = L.ZeroPadding3D(((0, 0), (0, 0), (1, 1)), name="zw")(v)
    s = L.Add(name="sum")([c, a, w])
    d = L.AveragePooling3D((1, 3, 2), strides=(2, 1, 3), padding="same", name="ap3")(s)
    return keras.Model(x, [s, d], name="vol3d")


def two_inputs(keras: Any, L: Any) -> Any:
    """Two inputs of one size, two outputs; a strided branch up-sampled back."""
    a = keras.Input((None, None, 3), name="rgb")
    b = keras.Input((None, None, 1), name="depth")
    fa = L.Conv2D(4, 3, padding="same", name="fa")(a)
    fb = L.Conv2D(4, 3, strides=2, padding="same", name="fb")(b)
    ub = L.UpSampling2D(2, name="ub")(fb)
    s = L.Add(name="fuse")([fa, ub])
    m = L.Maximum(name="mx")([fa, L.Conv2D(4, 1, name="fc")(a)])
    cat = L.Concatenate(name="cat")([s, m, b])
    o2 = L.Conv2D(2, 3, strides=3, padding="valid", name="coarse")(cat)
    return keras.Model([a, b], [L.Conv2D(1, 1, name="fine")(cat), o2], name="two_inputs")


def se_block(keras: Any, L: Any) -> Any:
    """Squeeze-excitation three ways (keepdims gate; GAP -> Reshape -> Dense; GAP -> Dense
    broadcast by Multiply), and a classifier head as a second output."""
    x = keras.Input((None, None, 3), name="x")
    f = L.Conv2D(8, 3, strides=2, padding="same", name="feat")(x)
    g = L.GlobalAveragePooling2D(keepdims=True, name="gap_k")(f)
    g = L.Conv2D(2, 1, activation="relu", name="sq")(g)
    g = L.Conv2D(8, 1, activation="sigmoid", name="ex")(g)
    f1 = L.Multiply(name="scale1")([f, g])
    v = L.GlobalAveragePooling2D(name="gap_r")(f1)
    v = L.Reshape((1, 1, 8), name="rs")(v)
    v = L.Dense(2, activation="relu", name="d_sq")(v)
    v = L.Dense(8, activation="sigmoid", name="d_ex")(v)
    f2 = L.Multiply(name="scale2")([f1, v])
    w = L.GlobalMaxPooling2D(name="gmp")(f2)
    w = L.Dense(8, activation="sigmoid", name="d_gate")(w)
    f3 = L.Multiply(name="scale3")([f2, w])
    out = L.Conv2D(4, 3, strides=2, name="out")(f3)
    logits = L.Dense(5, name="logits")(L.GlobalAveragePooling2D(name="gap_head")(out))
    return keras.Model(x, [out, logits], name="se_block")


def sequential(keras: Any, L: Any) -> Any:
    """A Sequential model: strided same convs on odd sizes, separable and depthwise convs,
    same/valid pooling, a transposed conv."""
    return keras.Sequential([
        keras.Input((None, None, 3), name="inp"),
        L.Conv2D(4, 3, strides=2, padding="same", name="s1"),
        L.ReLU(name="relu"),
        L.SeparableConv2D(6, 3, depth_multiplier=2, padding="valid", name="sep"),
        L.DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="same", name="dw"),
        L.MaxPooling2D(3, strides=2, padding="same", name="mp"),
        L.AveragePooling2D(2, name="ap"),
        L.Dropout(0.1, name="drop"),
        L.Conv2DTranspose(3, 3, strides=2, padding="same", name="ct"),
    ], name="sequential")


def transposes(keras: Any, L: Any) -> Any:
    """Conv2DTranspose with output_padding None and given, same and valid, dilated."""
    x = keras.Input((None, None, 2), name="x")
    outs = [
        L.Conv2DTranspose(2, 3, strides=2, padding="same", name="same_none")(x),
        L.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1, name="same_op1")(x),
        L.Conv2DTranspose(2, 4, strides=3, padding="same", output_padding=(2, 0),
                          name="same_op20")(x),
        L.Conv2DTranspose(2, 4, strides=3, padding="valid", name="valid_none")(x),
        L.Conv2DTranspose(2, (2, 5), strides=(3, 2), padding="valid", output_padding=(2, 1),
                          name="valid_op")(x),
        L.Conv2DTranspose(2, 2, strides=4, padding="valid", name="valid_gap")(x),
        L.Conv2DTranspose(2, 3, padding="same", dilation_rate=2, name="same_dil")(x),
        L.Conv2DTranspose(2, 3, padding="valid", dilation_rate=(2, 3), name="valid_dil")(x),
        L.Conv2DTranspose(2, 4, strides=2, padding="same", output_padding=0, name="same_op0")(x),
    ]
    return keras.Model(x, outs, name="transposes")


def same_odd(keras: Any, L: Any) -> Any:
    """padding='same' with strides 2 and 3 on odd sizes, merged with up-sampled branches."""
    x = keras.Input((None, None, 1), name="x")
    a = L.Conv2D(2, 3, strides=2, padding="same", name="s2")(x)
    b = L.Conv2D(2, 4, strides=3, padding="same", name="s3")(x)
    c = L.MaxPooling2D(3, strides=2, padding="same", name="mp2")(x)
    d = L.AveragePooling2D(2, strides=3, padding="same", name="ap3")(x)
    e = L.Conv2D(2, 5, strides=(2, 3), dilation_rate=1, padding="same", name="s23")(x)
    cat = L.Concatenate(name="cat")([a, c])  # equal for every size
    up = L.UpSampling2D(2, name="up")(cat)
    back = L.Cropping2D(((0, 0), (0, 0)), name="same_size")(up)
    fuse = L.Add(name="fuse")([back, L.Conv2D(3, 1, name="proj")(x)])  # H even only
    return keras.Model(x, [fuse, b, d, e], name="same_odd")


def resizing(keras: Any, L: Any) -> Any:
    """Resizing to fixed sizes (bilinear, nearest), merged with a resized branch."""
    x = keras.Input((None, None, 3), name="img")
    r = L.Resizing(12, 10, name="resize")(x)
    n = L.Resizing(6, 5, interpolation="nearest", name="resize_nn")(x)
    u = L.UpSampling2D(2, name="up")(n)
    cat = L.Concatenate(name="cat")([r, u])
    c = L.Conv2D(2, 3, strides=2, name="conv")(x)
    rb = L.Resizing(9, 9, interpolation="bicubic", name="resize_bc")(c)
    return keras.Model(x, [cat, rb], name="resizing")


def nested(keras: Any, L: Any) -> Any:
    """A nested Functional encoder called on two inputs, a shared conv called twice and a
    nested Sequential."""
    ei = keras.Input((None, None, 2), name="enc_in")
    ex = L.Conv2D(3, 3, strides=2, padding="same", name="e_conv")(ei)
    enc = keras.Model(ei, L.MaxPooling2D(name="e_pool")(ex), name="enc")
    head = keras.Sequential([keras.Input((None, None, 3)), L.Conv2D(3, 3, name="h_conv"),
                             L.UpSampling2D(2, name="h_up")], name="head")
    a = keras.Input((None, None, 2), name="a")
    b = keras.Input((None, None, 2), name="b")
    shared = L.Conv2D(3, 1, name="shared")
    fa, fb = shared(enc(a)), shared(enc(b))
    s = L.Subtract(name="diff")([fa, fb])
    return keras.Model([a, b], [head(s), s], name="nested")


def channels_first(keras: Any, L: Any) -> Any:
    """data_format='channels_first' throughout."""
    cf = "channels_first"
    x = keras.Input((2, None, None), name="x")
    a = L.Conv2D(3, 3, strides=2, padding="same", data_format=cf, name="c1")(x)
    p = L.MaxPooling2D(2, data_format=cf, name="p1")(a)
    u = L.UpSampling2D(2, data_format=cf, name="u1")(p)
    cat = L.Concatenate(axis=1, name="cat")([u, a])
    z = L.ZeroPadding2D(((1, 0), (0, 2)), data_format=cf, name="zp")(cat)
    return keras.Model(x, L.Conv2D(1, 2, data_format=cf, name="out")(z), name="channels_first")


#: name -> (builder, spatial rank, size of the other axes in a sweep, axes differ, real run).
MODELS: dict[str, tuple[Callable[[Any, Any], Any], int, int, bool, bool]] = {
    "unet": (unet, 2, 16, False, False), "autoencoder": (autoencoder, 2, 24, True, False),
    "causal1d": (causal1d, 1, 0, False, True), "vol3d": (vol3d, 3, 8, True, False),
    "two_inputs": (two_inputs, 2, 12, False, False), "se_block": (se_block, 2, 16, False, False),
    "sequential": (sequential, 2, 17, False, True), "transposes": (transposes, 2, 5, True, False),
    "same_odd": (same_odd, 2, 12, True, False), "resizing": (resizing, 2, 9, False, False),
    "nested": (nested, 2, 16, False, False), "channels_first": (channels_first, 2, 12, False,
                                                                False),
}


# --------------------------------------------------------------------------- running


def probe(keras: Any, model: Any) -> tuple[Any, list[str]]:
    """A model with every layer call's output (named as symconv names them) as outputs."""
    outs, names = [], []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer) or isinstance(layer, keras.Model):
            continue
        for i, node in enumerate(layer._inbound_nodes):
            for t in node.output_tensors:
                outs.append(t)
                names.append(layer.name if i == 0 else f"{layer.name}_{i}")
    return keras.Model(model.inputs, [*model.outputs, *outs]), names


def feeds(model: Any, size: tuple[int, ...], abstract: bool) -> list[Any]:
    import jax
    import numpy as np

    out = []
    for t in model.inputs:
        it = iter(size)
        shape = [1] + [d if d is not None else next(it) for d in t.shape[1:]]
        out.append(jax.ShapeDtypeStruct(tuple(shape), "float32") if abstract
                   else np.zeros(shape, "float32"))
    return out


def spatial(shape: Any, first: bool) -> list[int]:
    s = [int(d) for d in shape[1:]]
    return s[1:] + s[:1] if first else s  # (spatial..., channels)


def run(keras: Any, model: Any, names: list[str], outputs: int, size: tuple[int, ...],
        first: bool, real: bool = False) -> dict[str, Any]:
    import jax

    def call(*xs: Any) -> Any:
        return model(list(xs) if len(xs) > 1 else xs[0], training=False)

    try:
        ys = call(*feeds(model, size, False)) if real else jax.eval_shape(
            call, *feeds(model, size, True))
    except Exception as exc:  # Keras and JAX raise many types
        return {"error": f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"}
    ys = ys if isinstance(ys, list | tuple) else [ys]
    shapes = {f"output{i}": spatial(y.shape, first) for i, y in enumerate(ys[:outputs])}
    shapes.update({n: spatial(y.shape, first) for n, y in zip(names, ys[outputs:], strict=True)})
    return {"shapes": shapes}


def main(folder: str) -> None:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    os.environ.setdefault("JAX_TRACEBACK_FILTERING", "off")  # filtering costs ms per failure
    import keras
    from keras import layers

    keras.config.disable_traceback_filtering()

    keras.utils.set_random_seed(0)
    # Random initialisation compiles a JAX program per weight shape (seconds per model); the
    # sizes do not depend on the weights, so every Glorot-initialised weight is ones.
    keras.initializers.GlorotUniform.__call__ = (  # type: ignore[method-assign]
        lambda self, shape, dtype=None: keras.ops.ones(shape, dtype=dtype))
    report: dict[str, Any] = {}
    only = sys.argv[2:]
    for name, (build, nd, fixed, asymmetric, real) in MODELS.items():
        if only and name not in only:
            continue
        model = build(keras, layers)
        model.save(Path(folder) / f"{name}.keras")
        (Path(folder) / f"{name}.json").write_text(model.to_json(), encoding="utf-8")
        first = name == "channels_first"
        full, names = probe(keras, model)
        outputs = len(model.outputs)
        sizes = _sizes(nd, fixed, asymmetric)
        runs = [run(keras, full, names, outputs, s, first) for s in sizes]
        ok = [s for s, r in zip(sizes, runs, strict=True) if "shapes" in r]
        bad = [s for s, r in zip(sizes, runs, strict=True) if "error" in r]
        checked = []
        for s in (ok[-1:] + bad[-1:]) if real else []:  # the same outcome on real data
            r = run(keras, model, [], outputs, s, first, real=True)
            traced = run(keras, model, [], outputs, s, first)
            checked.append({"size": s, "same": ("error" in r) == ("error" in traced) and
                            r.get("shapes") == traced.get("shapes"), "real": r})
        report[name] = {"sizes": sizes, "runs": runs, "checked": checked,
                        "outputs": [t.name for t in model.outputs]}
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
