"""The per-API rules of the window specs (:mod:`symconv.spec.apis` lists the APIs).

:func:`api_rules` picks the API a spec follows (the one it names, else its convention's
default for the layer; under Keras the layer of the spec's rank); :func:`check_api` applies the
API's rules once the parameters are normalised, and again when an input's rank decides a rule
that depends on it (``tf.nn.max_pool`` takes explicit pads in 1-D and 2-D only).  Every refusal
names the parameter, its value, the API and what the framework does.
"""

from __future__ import annotations

from typing import Any

from symconv.errors import InvalidSpecError
from symconv.spec._base import _show
from symconv.spec._enums import Convention, PadMode
from symconv.spec.apis import API_NAMES, Api, default_api

__all__ = ["api_rules", "check_api", "effective_api"]

_KERAS_LAYER = {"Conv": "Conv{}D", "ConvTranspose": "Conv{}DTranspose",
                "MaxPool": "MaxPooling{}D", "AvgPool": "AveragePooling{}D"}


def effective_api(spec: Any, ndim: int | None = None) -> Api | None:
    """The API whose rules ``spec`` follows (``None`` under torch and onnx)."""
    return api_rules(spec, spec.convention, API_NAMES.get(spec.api) if spec.api else None,
                     ndim or spec.ndim)


def api_rules(spec: Any, convention: Convention, api: Api | None, ndim: int | None) -> Api | None:
    """``api`` if given, else the convention's default API for the spec's kind and rank."""
    if api is not None:
        return api
    kind = type(spec).__name__
    if convention is Convention.KERAS and kind in _KERAS_LAYER:
        # one layer per rank; the rules of the 1-D layer where the rank is not known yet
        # (only Conv1D takes 'causal', which Conv checks against the rank itself)
        rank = ndim if ndim in (1, 2, 3) else 1
        return API_NAMES["keras.layers." + _KERAS_LAYER[kind].format(rank)]
    return default_api(convention, kind)


def check_api(spec: Any, api: Api, ndim: int | None) -> None:
    """Apply ``api``'s rules to a normalised window spec (``ndim``: its rank, if known)."""
    where = _where(api, ndim)
    s, d, k = spec.stride, spec.dilation, spec.kernel
    strided, dilated = any(v != 1 for v in s), any(v != 1 for v in d)
    kind = type(spec).__name__
    if dilated and not api.dilation:
        others = [a for a in ("tf.nn.pool", "jax.lax.reduce_window")
                  if API_NAMES[a].convention is api.convention]
        alt = f"; {others[0]} has dilations" if others else ""
        raise InvalidSpecError(
            f"dilation={_show(d, spec.ndim)} must be 1 {where} (it has no dilation "
            f"parameter{alt})"
        )
    if strided and dilated and not api.stride_with_dilation:
        runs = {"Conv": " (tf.nn.conv1d/conv2d/conv3d run them together)",
                "ConvTranspose": ""}.get(kind, "") if api.convention is Convention.TENSORFLOW \
            else ""
        raise InvalidSpecError(
            f"stride={_show(s, spec.ndim)} must be 1 when dilation={_show(d, spec.ndim)} is "
            f"not, {where}: `strides > 1` not supported in conjunction with "
            f"`dilation_rate > 1`{runs}"
        )
    if not api.stride_above_window and any(a > b for a, b in zip(s, k, strict=True)):
        raise InvalidSpecError(
            f"stride={_show(s, spec.ndim)} must be at most kernel={_show(k, spec.ndim)} {where} "
            "(`strides` > `window_shape` not supported due to inconsistency between CPU and "
            "GPU implementations; tf.nn.max_pool/avg_pool accept it)"
        )
    pad = spec.padding
    if pad is PadMode.SAME and dilated and not api.same_with_dilation:
        raise InvalidSpecError(
            f"padding='SAME' must not be used with dilation={_show(d, spec.ndim)} {where} "
            "(pooling with 'SAME' padding is not implemented for `dilation_rate` > 1)"
        )
    if isinstance(pad, tuple):
        _check_explicit(spec, api, ndim, dilated)


def _check_explicit(spec: Any, api: Api, ndim: int | None, dilated: bool) -> None:
    pad, where = spec.padding, _where(api, ndim)
    allowed = api.explicit
    shown = _show(pad, spec.ndim)
    names = _either(list(api.names))
    if allowed is not None and (not allowed or (ndim is not None and ndim not in allowed)):
        ranks = "" if not allowed else (
            f" at rank {ndim}; it takes them in {'-D and '.join(map(str, sorted(allowed)))}-D")
        takes = _who_takes(api, type(spec).__name__)
        raise InvalidSpecError(
            f"padding={shown} must be {names} {where} (it takes no explicit padding{ranks}: "
            f"{api.explicit_error}){takes}"
        )
    if api.explicit_needs_dilation and not dilated:
        raise InvalidSpecError(
            f"padding={shown} must be {names} {where} without a dilation (it takes explicit "
            f"pads only with a dilation > 1, in 2-D: {api.explicit_error}){_who_takes(api, 'Conv')}"
        )
    if api.name == "tf.nn.pool" and ndim is not None:
        kind = type(spec).__name__
        if kind == "AvgPool" and not dilated:
            raise InvalidSpecError(
                f"padding={shown} must be {names} for tf.nn.pool(pooling_type='AVG') without a "
                "dilation (it runs tf.nn.avg_pool, which refuses explicit padding: TypeError: "
                "Expected string for argument 'padding')"
            )
        if kind == "MaxPool" and dilated:
            raise InvalidSpecError(
                f"padding={shown} must be {names} for tf.nn.pool(pooling_type='MAX') with "
                f"dilation={_show(spec.dilation, spec.ndim)}: TensorFlow then pads with zeros "
                "(space_to_batch), not -inf, so a window in the padding reads 0 and negative "
                "inputs lose to the padding; symconv models max pooling padded with -inf "
                "(a TensorFlow defect, see docs/CONVENTIONS.md)"
            )
    if api.pad_below_window and not (api.name == "tf.nn.pool" and dilated):
        for (b, e), k in zip(pad, spec.kernel, strict=True):
            if b >= k or e >= k:
                raise InvalidSpecError(
                    f"padding={shown} must be smaller than kernel={_show(spec.kernel, spec.ndim)} "
                    f"on each side {where} (TensorFlow: padding needs to be smaller than the "
                    "window size)"
                )


def _where(api: Api, ndim: int | None) -> str:
    """``for tf.nn.conv2d``; a Keras layer whose rank is not known yet by its family."""
    if api.convention is Convention.KERAS and ndim is None:
        return f"for the Keras {api.name.split('.')[-1].replace('1D', 'ND')} layers"
    return f"for {api.name}"


def _who_takes(api: Api, kind: str) -> str:
    if api.convention is not Convention.TENSORFLOW:
        return ""
    takers = [a.name for a in API_NAMES.values()
              if a.convention is Convention.TENSORFLOW and kind in a.kinds
              and (a.explicit is None or a.explicit) and a is not api]
    verb = "takes" if len(takers) == 1 else "take"
    return f"; {', '.join(takers)} {verb} explicit pads" if takers else ""


def _either(names: list[str]) -> str:
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
