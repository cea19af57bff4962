"""The layer options shared by ``symconv shape``, ``symconv matrix`` and ``symconv latex``.

One declaration of the options that describe a single layer (``--in``, ``--kernel``, ...,
``--convention``) and one builder from their values to a spec, so the commands cannot drift
apart:

* :func:`layer_options`: a decorator adding the ``LAYER`` argument and the layer options, in
  one order, with one name, type and default each; a command may only reword an option's help
  (to name its own layers or defaults) or make an option required.
* :func:`given_options`, :func:`check_applicable`: the options actually typed, and the rule that
  an option the layer does not take is rejected (``--name must only be given for ...``), never
  ignored.
* :func:`per_axis_values`, :func:`ndim_of`, :func:`layer_params`: the values parsed, fitted to
  the spatial rank.
* :func:`build_layer`: the spec (:class:`~symconv.spec.Conv`, ...) the values describe.  Every
  rule about the values is checked by the spec, which names the parameter.

Nothing here imports SymPy or NumPy (``symconv shape`` starts fast); a symbolic ``--scale`` is
parsed exactly without them.

>>> given = given_options({"kernel": "3", "stride": "2", "ceil_mode": False, "groups": None})
>>> given
{'kernel': '3', 'stride': '2'}
>>> params = layer_params(per_axis_values(given), given, 2)
>>> build_layer("max-pool", params, "torch")
MaxPool(kernel=3, stride=2)
>>> build_layer("conv", {"kernel": (3, 5)}, "onnx", ndim=2).kernel
(3, 5)
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, TypeVar

import click

from symconv._params import fmt
from symconv.cli._common import INT, broadcast, parse_padding, parse_per_axis, parse_scale
from symconv.errors import InvalidSpecError
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
    PixelShuffle,
    PixelUnshuffle,
    Resize,
)
from symconv.spec.apis import api_named

__all__ = [
    "LAYER_OPTIONS",
    "build_layer",
    "check_applicable",
    "convention_list",
    "convention_name",
    "given_options",
    "layer_options",
    "layer_params",
    "ndim_of",
    "per_axis_values",
]

CONVENTIONS = tuple(c.value for c in Convention)


def convention_name(value: str | None) -> str | None:
    """A ``--convention`` value: a convention (any case) or a framework API, canonically
    spelt (``tensorflow.nn.conv2d`` -> ``tf.nn.conv2d``).

    >>> convention_name("ONNX"), convention_name("lax.conv_transpose")
    ('onnx', 'jax.lax.conv_transpose')
    """
    if value is None:
        return None
    if value.strip().lower() in CONVENTIONS:
        return value.strip().lower()
    api = api_named(value)
    if api is None:
        shown = value if len(value) <= 40 else value[:37] + "..."
        raise InvalidSpecError(
            f"--convention={shown!r} must be one of {', '.join(CONVENTIONS)} or a framework "
            "API such as tf.nn.conv2d, tf.nn.pool, keras.layers.Conv2D, jax.lax.conv_transpose, "
            "flax.linen.Conv (docs/CONVENTIONS.md lists them)"
        )
    return api.name


def convention_list(text: str, option: str = "--compare") -> tuple[str, ...]:
    """A comma-separated list of conventions and APIs (order kept, no repeats).

    >>> convention_list("torch, tf.nn.conv2d,tensorflow")
    ('torch', 'tf.nn.conv2d', 'tensorflow')
    """
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise InvalidSpecError(f"{option}={fmt(text)} must be a comma-separated list of "
                               f"{', '.join(CONVENTIONS)} or framework APIs")
    out = []
    for item in items:
        try:
            out.append(convention_name(item))
        except InvalidSpecError:
            shown, bad = (v if len(v) <= 40 else v[:37] + "..." for v in (text, item))
            raise InvalidSpecError(
                f"{option}={shown!r} must be a comma-separated list of {', '.join(CONVENTIONS)} "
                f"or framework APIs such as tf.nn.conv2d ({bad!r} is neither; "
                "docs/CONVENTIONS.md lists them)"
            ) from None
    return tuple(dict.fromkeys(str(v) for v in out))

# (command-line name, click declaration without the help text, default help text).
_DECLARATIONS: tuple[tuple[str, dict[str, Any], str], ...] = (
    ("in", {"param_decls": ("--in", "in_"), "metavar": "SIZES"},
     "Input spatial size(s): 224 or 224x224."),
    ("kernel", {"metavar": "K"}, "Kernel size: 7 or 3x5."),
    ("stride", {"metavar": "S"}, "Stride (pooling: defaults to the kernel)."),
    ("padding", {"metavar": "P"}, "Padding: 1, 1x2, 1:2, 1:2x0:1 or a name."),
    ("dilation", {"metavar": "D"}, "Dilation."),
    ("output-padding", {"metavar": "OP"}, "Output padding (conv-transpose)."),
    ("use-consistent-padding", {"is_flag": True, "default": False},
     "conv-transpose under jax.lax.conv_transpose: read the pairs as the forward conv's "
     "padding (PyTorch's reading), as lax.conv_transpose(use_consistent_padding=True) does."),
    ("groups", {"type": INT}, "Groups (conv, conv-transpose)."),
    ("channels", {"type": INT}, "Input channels."),
    ("out-channels", {"type": INT}, "Output channels (conv, conv-transpose)."),
    ("ceil-mode", {"is_flag": True, "default": False}, "Ceil mode (pooling)."),
    ("count-include-pad", {"param_decls": ("--count-include-pad/--no-count-include-pad",),
                           "default": None},
     "Average pooling: count padded positions (default: the convention's)."),
    ("scale", {"metavar": "F"}, "Resize scale factor: 2, 1.5, 3/2 or 2x3."),
    ("size", {"metavar": "SIZES"},
     "Requested output size (resize, max-unpool, adaptive pooling: none keeps an axis; "
     "conv-transpose: PyTorch forward's output_size, ONNX and TensorFlow output_shape)."),
    ("mode", {"type": click.Choice(["nearest", "nearest-exact", "linear", "cubic", "area",
                                    "lanczos3", "lanczos5", "gaussian", "mitchellcubic"])},
     "Resize mode (default nearest; area, lanczos3/5: tensorflow, keras, jax; gaussian, "
     "mitchellcubic: tensorflow)."),
    ("align-corners", {"is_flag": True, "default": None}, "Linear or cubic resize: align corners."),
    ("antialias", {"param_decls": ("--antialias/--no-antialias",), "default": None},
     "Resize: widen the kernel when downscaling (default: the convention's, on under jax)."),
    ("factor", {"type": INT}, "Pixel (un)shuffle factor."),
    ("convention", {"callback": lambda _ctx, _param, value: convention_name(value),
                    "metavar": "NAME", "default": "torch", "show_default": True},
     "Framework whose rules apply: torch, onnx, tensorflow, keras, jax, or one of their "
     "APIs (tf.nn.conv2d, tf.nn.pool, keras.layers.Conv2D, jax.lax.conv_transpose, "
     "flax.linen.Conv, ...: docs/CONVENTIONS.md)."),
)

#: The layer options, as typed on the command line (without dashes), in ``--help`` order.
LAYER_OPTIONS: tuple[str, ...] = tuple(name for name, _, _ in _DECLARATIONS)

# Options whose absence is None but whose False is a real choice (--no-count-include-pad).
_TRISTATE = frozenset({"count_include_pad", "antialias"})
_PER_AXIS = ("kernel", "stride", "dilation", "output_padding", "size")
_PLAIN = ("groups", "channels", "out_channels", "factor", "mode", "ceil_mode",
          "count_include_pad", "align_corners", "antialias", "use_consistent_padding")
_WINDOW = ("conv", "conv-transpose", "max-pool", "avg-pool", "max-unpool")
_ADAPTIVE = ("adaptive-avg-pool", "adaptive-max-pool", "global-avg-pool", "global-max-pool")

F = TypeVar("F", bound=Callable[..., Any])


def layer_options(
    layers: Iterable[str],
    *,
    help_texts: Mapping[str, str] | None = None,
    required: Collection[str] = (),
) -> Callable[[F], F]:
    """Add the ``LAYER`` argument (one of ``layers``) and every layer option to a command.

    ``help_texts`` rewords options for this command (keys as typed, without dashes); ``required``
    names options the command cannot do without.  Names, types, defaults and order are the
    same for every command.

    >>> @click.command()
    ... @layer_options(["conv"], help_texts={"in": "Sizes."}, required={"in"})
    ... def cmd(layer: str, **options: Any) -> None: ...
    >>> [p.name for p in cmd.params][:4]
    ['layer', 'in_', 'kernel', 'stride']
    >>> cmd.params[1].required, cmd.params[1].help
    (True, 'Sizes.')
    """
    texts = dict(help_texts or {})
    unknown = (set(texts) | set(required)) - set(LAYER_OPTIONS)
    if unknown:
        raise ValueError(f"unknown layer options {sorted(unknown)}")

    def decorate(command: F) -> F:
        # click applies decorators bottom-up: add the options last-first so --help keeps order
        for name, declaration, text in reversed(_DECLARATIONS):
            kwargs = dict(declaration)
            decls = kwargs.pop("param_decls", (f"--{name}",))
            if name in required:
                kwargs["required"] = True
            command = click.option(*decls, help=texts.get(name, text), **kwargs)(command)
        argument = click.argument("layer", type=click.Choice(tuple(layers), case_sensitive=False),
                                  metavar="LAYER")
        return argument(command)

    return decorate


def given_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options actually given: click's ``None`` (and ``False`` of a plain flag) dropped.

    >>> given_options({"kernel": "3", "ceil_mode": False, "count_include_pad": False})
    {'kernel': '3', 'count_include_pad': False}
    """
    return {k: v for k, v in options.items()
            if v is not None and (v is not False or k in _TRISTATE)}


def check_applicable(
    takes: Mapping[str, Collection[str]],
    command: str,
    typed: str,
    given: Mapping[str, Any],
    control: Collection[str],
) -> None:
    """Reject options the layer does not take (never ignore an option silently).

    ``takes`` maps each layer (in the command's order) to the option names it accepts;
    ``control`` lists the keyword names that are not layer options (``in_``, ``as_json``, ...).

    >>> takes = {"conv": {"kernel"}, "max-pool": {"kernel", "ceil-mode"}}
    >>> check_applicable(takes, "conv", "conv", {"ceil_mode": True}, ())
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: --ceil-mode must only be given for max-pool, not conv
    """
    names = {k.replace("_", "-") for k in given if k not in control}
    for name in sorted(names - set(takes[command])):
        takers = ", ".join(c for c in takes if name in takes[c])
        raise InvalidSpecError(f"--{name} must only be given for {takers}, not {typed}")


def per_axis_values(given: Mapping[str, Any], symbolic: bool = False) -> dict[str, Any]:
    """Parse the per-axis options (``--kernel 3x5``, ``--padding 1:2``, ``--scale 3/2``, ...).

    >>> per_axis_values({"kernel": "3x5", "padding": "1:2", "scale": "1.5"})
    {'kernel': (3, 5), 'padding': ((1, 2),), 'scale': 1.5}
    """
    values: dict[str, Any] = {
        k: parse_per_axis(k.replace("_", "-"), given[k], keep=k == "size")
        for k in _PER_AXIS if k in given
    }
    if "padding" in given:
        values["padding"] = parse_padding(given["padding"])
    if "scale" in given:
        values["scale"] = parse_scale(given["scale"], symbolic)
    return values


def ndim_of(per_axis: Mapping[str, Any]) -> int:
    """Spatial rank implied by per-axis options (1 when every option is a scalar).

    >>> ndim_of({"kernel": (3, 5), "padding": ((1, 2),)}), ndim_of({"kernel": 3})
    (2, 1)
    """
    lengths = [len(v) for v in per_axis.values()
               if isinstance(v, tuple) and not (len(v) == 1 and isinstance(v[0], tuple))]
    return max(lengths or [1])


def layer_params(
    per_axis: Mapping[str, Any], given: Mapping[str, Any], ndim: int
) -> dict[str, Any]:
    """The layer's parameters: per-axis values fitted to ``ndim`` axes, plus the plain ones.

    >>> layer_params({"padding": ((1, 2),)}, {"groups": 2, "kernel": "3"}, 2)
    {'padding': ((1, 2), (1, 2)), 'groups': 2}
    """
    params = {k: broadcast(k.replace("_", "-"), v, ndim) for k, v in per_axis.items()}
    params.update({k: given[k] for k in _PLAIN if k in given})
    return params


def build_layer(
    command: str, params: Mapping[str, Any], convention: str, ndim: int | None = None
) -> Layer:
    """The spec of layer ``command`` with ``params`` under ``convention``.

    ``command`` is one of conv, conv-transpose, max-pool, avg-pool, max-unpool, resize,
    pixel-shuffle, pixel-unshuffle, adaptive-avg-pool, adaptive-max-pool, global-avg-pool,
    global-max-pool; ``params`` as :func:`layer_params` returns them (keys
    without dashes; ``channels``/``out_channels`` become the spec's channel counts); ``ndim``
    pins the spatial rank (``None``: inferred from the parameters, as the spec does).

    >>> build_layer("conv-transpose", {"kernel": 3, "stride": 2, "output_padding": 1}, "torch")
    ConvTranspose(kernel=3, stride=2, output_padding=1)
    >>> build_layer("avg-pool", {}, "torch")
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: --kernel must be given for avg-pool
    """
    p = params
    window: dict[str, Any] = {k: p[k] for k in ("kernel", "stride", "padding", "dilation")
                              if k in p}
    if ndim is not None:
        window["ndim"] = ndim
    if command in _WINDOW and "kernel" not in p:
        raise InvalidSpecError(f"--kernel must be given for {command}")
    size = p.get("size")
    if command in _ADAPTIVE:
        adaptive = AdaptiveAvgPool if "avg" in command else AdaptiveMaxPool
        if command.startswith("global"):  # output 1 on every axis, whatever the rank
            return adaptive(1, convention=convention)
        if size is None:
            raise InvalidSpecError(f"--size must be given for {command}: the output size, such "
                                   "as 7 or 7x7 (none keeps an axis: nonex7)")
        return adaptive(size, convention=convention, ndim=ndim)
    if isinstance(size, tuple) and None in size:
        raise InvalidSpecError(f"--size={'x'.join(str(v).lower() for v in size)} must give a "
                               f"size on every axis for {command} (none keeps an axis only for "
                               "adaptive pooling)")
    if command == "conv":
        return Conv(**window, groups=p.get("groups", 1), in_channels=p.get("channels"),
                    out_channels=p.get("out_channels"), convention=convention)
    if command == "conv-transpose":
        return ConvTranspose(**window, groups=p.get("groups", 1), in_channels=p.get("channels"),
                             out_channels=p.get("out_channels"),
                             output_padding=p.get("output_padding"), output_size=size,
                             convention=convention, use_consistent_padding=bool(p.get("use_consistent_padding")))
    if command == "max-pool":
        return MaxPool(**window, ceil_mode=bool(p.get("ceil_mode")), convention=convention)
    if command == "avg-pool":
        return AvgPool(**window, ceil_mode=bool(p.get("ceil_mode")),
                       count_include_pad=p.get("count_include_pad"), convention=convention)
    if command == "max-unpool":
        return MaxUnpool(**window, output_size=p.get("size"), convention=convention)
    if command == "resize":
        return Resize(scale_factor=p.get("scale"), size=p.get("size"),
                      mode=p.get("mode", "nearest"), align_corners=p.get("align_corners"),
                      antialias=p.get("antialias"), ndim=ndim, convention=convention)
    if "factor" not in p:
        raise InvalidSpecError(f"--factor must be given for {command}")
    cls = PixelShuffle if command == "pixel-shuffle" else PixelUnshuffle
    return cls(factor=p["factor"], ndim=ndim, convention=convention)
