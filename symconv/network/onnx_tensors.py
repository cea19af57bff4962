"""The tensors of an ONNX file, read as far as a review needs and never further.

A review needs the *shapes* of weights (a kernel size, a channel count) and the *values* of
small integer tensors (a Pad's ``pads``, a Reshape's target shape, a Resize's ``scales``).
So, for :mod:`symconv.network.onnx_import` and :mod:`symconv.network.onnx_shapes`:

* every initializer and ``Constant`` value is checked in O(1) before anything else: its dims
  must be non-negative, and the data it holds inline must have the length its dims and type
  declare (a 2 GB tensor declared with no data is refused as corrupt, before numpy is asked
  to reshape anything);
* external data (``data_location: EXTERNAL``) is never read: its location must be a
  relative path inside the model's folder (no absolute path, no ``..``, no symbolic link that
  leaves the folder), and the tensor is known by its declared dims only;
* a tensor is turned into a numpy array only when it is small (at most
  :data:`MAX_READ` elements, as a shape value is) and only when a value is asked for
  (:class:`Consts` converts lazily); a larger one is a :class:`Declared` (shape only).

Every refusal is one :class:`~symconv.errors.InvalidSpecError` line naming the tensor.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

from symconv._params import fmt
from symconv.errors import InvalidSpecError, UnsupportedError

__all__ = ["MAX_READ", "Consts", "Declared", "check_tensor", "int_values"]

#: Largest tensor (elements) whose values are read: shape values are a few entries.
MAX_READ = 4096

# bits per element by TensorProto.DataType, for the length of raw_data
_BITS = {1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 9: 8, 10: 16, 11: 64, 12: 32,
         13: 64, 14: 64, 15: 128, 16: 16, 17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4, 23: 4,
         24: 8, 25: 2, 26: 2, 27: 6, 28: 6}
# the typed field holding the values inline, and how many field entries one element takes
_FIELDS = {1: ("float_data", 1), 7: ("int64_data", 1), 8: ("string_data", 1),
           11: ("double_data", 1), 12: ("uint64_data", 1), 13: ("uint64_data", 1),
           14: ("float_data", 2), 15: ("double_data", 2),
           **{t: ("int32_data", 1) for t in (2, 3, 4, 5, 6, 9, 10, 16, 17, 18, 19, 20, 24)}}


@dataclass(frozen=True, slots=True)
class Declared:
    """A tensor known by its declared dims only (too large to read, or external data):
    ``shape`` and ``ndim`` as numpy's; ``why`` says why its values are not read."""

    name: str
    shape: tuple[int, ...]
    why: str

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)


def check_tensor(t: Any, what: str, base_dir: str | None) -> tuple[tuple[int, ...], bool]:
    """``(dims, external)`` of the TensorProto ``t`` after the O(1) checks (dims, inline
    data length, external location); ``what`` names it in messages."""
    where = f"{what} {fmt(t.name)}"
    dims = tuple(int(d) for d in t.dims)
    if any(d < 0 for d in dims):
        raise InvalidSpecError(f"{where}: dims={fmt(list(dims))} must not be negative")
    count = math.prod(dims)
    if t.HasField("segment"):
        raise UnsupportedError(f"{where}: a segmented tensor is not read by symconv review")
    if t.data_location == 1:  # EXTERNAL
        _check_location(t, where, base_dir)
        return dims, True
    bits = _BITS.get(t.data_type)
    if t.HasField("raw_data") or t.data_type not in _FIELDS:
        if bits is None:
            return dims, False  # a type symconv never reads the values of
        have, want = len(t.raw_data), (count * bits + 7) // 8
        if have != want:
            raise InvalidSpecError(f"{where}: raw_data of {have} bytes must hold the {count} "
                                   f"elements its dims={fmt(list(dims))} declare ({want} "
                                   "bytes): truncated or corrupt")
        return dims, False
    field, per = _FIELDS[t.data_type]
    have = len(getattr(t, field))
    if have != count * per:
        raise InvalidSpecError(f"{where}: {field} of {have} entries must hold the {count} "
                               f"elements its dims={fmt(list(dims))} declare: truncated or "
                               "corrupt")
    return dims, False


def _check_location(t: Any, where: str, base_dir: str | None) -> None:
    """External data must be a relative path inside the model's folder (it is never read)."""
    info = {e.key: e.value for e in t.external_data}
    location = info.get("location", "")
    shown = f"{where}: external data location={fmt(location)}"
    parts = location.replace("\\", "/").split("/")
    if not location or "\x00" in location:
        raise InvalidSpecError(f"{shown} must name a file next to the model")
    if os.path.isabs(location) or location.startswith(("/", "\\")) or (
            len(location) > 1 and location[1] == ":"):
        raise InvalidSpecError(f"{shown} must be a relative path inside the model's folder "
                               "(it is absolute)")
    if ".." in parts:
        raise InvalidSpecError(f"{shown} must stay inside the model's folder (no '..')")
    if base_dir is not None:
        root = os.path.realpath(base_dir)
        target = os.path.realpath(os.path.join(root, location))
        if os.path.commonpath([root, target]) != root:
            raise InvalidSpecError(f"{shown} must stay inside the model's folder (a symbolic "
                                   "link leads out of it)")


def to_value(t: Any, what: str, base_dir: str | None) -> Any:
    """The numpy array of a small inline TensorProto, else a :class:`Declared`."""
    dims, external = check_tensor(t, what, base_dir)
    count = math.prod(dims)
    if external:
        return Declared(t.name, dims, "its data is external (never read by a review)")
    if count > MAX_READ:
        return Declared(t.name, dims, f"it has {count} elements (values of at most "
                                      f"{MAX_READ} are read)")
    from onnx import numpy_helper

    try:
        return numpy_helper.to_array(t)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise InvalidSpecError(f"{what} {fmt(t.name)} must be a readable tensor "
                               f"({fmt(str(exc))[1:-1]})") from None


class Consts(MutableMapping[str, Any]):
    """Tensor name -> numpy array (or :class:`Declared`): the initializers, checked when the
    mapping is built and converted when first read; folded constants are stored as given."""

    def __init__(self, initializers: Any, base_dir: str | None) -> None:
        self._raw: dict[str, Any] = {}
        self._done: dict[str, Any] = {}
        self._base = base_dir
        for t in initializers:
            check_tensor(t, "initializer", base_dir)
            self._raw[t.name] = t

    def __getitem__(self, name: str) -> Any:
        if name in self._done:
            return self._done[name]
        t = self._raw[name]  # KeyError for an unknown name, as a dict
        value = self._done[name] = to_value(t, "initializer", self._base)
        return value

    def __setitem__(self, name: str, value: Any) -> None:
        self._done[name] = value

    def __delitem__(self, name: str) -> None:
        self._done.pop(name, None)
        self._raw.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._done or name in self._raw

    def __iter__(self) -> Iterator[str]:
        yield from self._done
        yield from (k for k in self._raw if k not in self._done)

    def __len__(self) -> int:
        return len(self._done) + sum(1 for k in self._raw if k not in self._done)


def int_values(value: Any, what: str) -> list[int]:
    """The entries of a constant read as integers (a Pad's ``pads``, an ``output_shape``);
    a :class:`Declared` tensor is one line."""
    if isinstance(value, Declared):
        raise UnsupportedError(f"{what}={fmt(value.name)} must be a small constant: "
                               f"{value.why}")
    import numpy as np

    arr = np.asarray(value)
    if arr.ndim > 1 or arr.dtype.kind not in "biu":
        raise InvalidSpecError(f"{what}={fmt(arr.tolist())} must be a 1-D integer tensor")
    return [int(v) for v in arr.ravel().tolist()]
