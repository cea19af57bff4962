"""The sampling parameters of a resize whose output size is another tensor's (``like:``),
:class:`Resample` (re-exported by :mod:`symconv.network.model`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from symconv.spec import CUBIC_A, Convention, Resize, ResizeMode

__all__ = ["Resample"]

_RESAMPLE_FIELDS = ("mode", "coordinate_mode", "align_corners", "nearest_mode", "cubic_coeff_a",
                    "exclude_outside", "antialias", "convention")


@dataclass(frozen=True, slots=True)
class Resample:
    """The sampling parameters of a resize whose output size is another tensor's (``like:``):
    a :class:`~symconv.spec.Resize` without its size.  The fields are validated and given
    their defaults exactly as :class:`~symconv.spec.Resize` does (per convention and mode);
    :meth:`resize` is the concrete spec once the output size is known.

    >>> r = Resample(mode="linear", align_corners=True)
    >>> r.coordinate_mode
    <CoordinateMode.ALIGN_CORNERS: 'align_corners'>
    >>> r.resize((7, 5))
    Resize(size=(7, 5), mode='linear', coordinate_mode='align_corners', align_corners=True)
    >>> Resample(convention="onnx").nearest_mode
    <NearestMode.ROUND_PREFER_FLOOR: 'round_prefer_floor'>
    >>> Resample(mode="nearest", align_corners=True)
    Traceback (most recent call last):
    ...
    symconv.errors.InvalidSpecError: align_corners=True must only be set for linear modes, not mode='nearest'
    """

    mode: Any = ResizeMode.NEAREST
    coordinate_mode: Any = None
    align_corners: bool | None = None
    nearest_mode: Any = None
    cubic_coeff_a: Any = CUBIC_A
    exclude_outside: bool = False
    antialias: bool | None = None
    convention: Any = Convention.TORCH

    def __post_init__(self) -> None:
        spec = Resize(size=1, **{f: getattr(self, f) for f in _RESAMPLE_FIELDS})
        for f in _RESAMPLE_FIELDS:
            object.__setattr__(self, f, getattr(spec, f))

    @classmethod
    def of(cls, spec: Resize) -> Resample:
        """The sampling parameters of ``spec`` (its size or scale dropped).

        >>> Resample.of(Resize(scale_factor=2, mode="nearest-exact")).resize(9)
        Resize(size=9, mode='nearest-exact', coordinate_mode='half_pixel', nearest_mode='round_prefer_ceil')
        """
        return cls(**{f: getattr(spec, f) for f in _RESAMPLE_FIELDS})

    def resize(self, size: Any) -> Resize:
        """The resize to ``size`` (an int for every axis, or one per axis) with these modes."""
        nd = len(size) if isinstance(size, tuple | list) else None
        return Resize(size=size, ndim=nd, **{f: getattr(self, f) for f in _RESAMPLE_FIELDS})
