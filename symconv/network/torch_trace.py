"""Run a PyTorch module once on an example input and record what it does to spatial sizes.

The recorder (:class:`Recorder`) is a ``torch.overrides.TorchFunctionMode`` plus forward hooks on
every submodule: each call is seen as the user wrote it (``F.interpolate(x, size=...)``,
``torch.cat``, ``x[..., 1:-1]``, ``nn.Conv2d``), with the module path it ran under and the file
and line of the user's code.  Layers symconv models as a whole (``nn.Conv2d``,
``nn.ConvTranspose2d`` with ``output_size=``, pools, ``nn.Upsample``, pads, ...) are recorded at
the module and run untouched inside; their own size checks are their rules, not branches of the
user's code.  Sizes read from traced tensors are :class:`~symconv.network.torch_dims.Dim`
values, so sizes computed from other tensors (``size=skip.shape[2:]``) stay exact, and every
branch on a size is a :class:`~symconv.network.torch_dims.Guard`.

Each traced tensor carries one tag per dimension: ``("b",)`` batch, ``("c", n)`` channels,
``("s", node, axis)`` the spatial size ``axis`` of ``node``'s output, ``("x", n)`` a fixed
size, ``("f", tags)`` several dimensions flattened into one.  A tensor is *standard* when it
reads ``(b, c, s0, s1, ...)`` with the spatial tags of one node in order: then it is that
node's output, or becomes a new node (a layout restored after attention over flattened
positions, a Linear over channels between two permutes).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from symconv.network.torch_dims import Dim, Expr, Guard, GuardLog, plain

__all__ = ["Call", "Recorder", "Traced"]

_TORCH_DIR = ""
_SELF_DIR = str(Path(__file__).resolve().parent.parent) + "/"


@dataclass
class Traced:
    """What is known of one traced tensor (see the module doc for ``tags``)."""

    tags: tuple[Any, ...]
    node: str | None = None  # the node whose output this is (standard layout)
    origins: frozenset[str] = frozenset()  # the nodes it is computed from (non-standard)


@dataclass
class Call:
    """One recorded call: ``kind`` is ``"module"`` or ``"function"``; ``name`` the function
    or the module's class; ``path`` the module path it ran under; ``where`` file:line."""

    kind: str
    name: str
    target: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    result: Any
    path: str
    where: str
    extra: dict[str, Any] = field(default_factory=dict)


def _user_frame() -> str:
    """file:line of the innermost frame outside torch and symconv (the user's code)."""
    global _TORCH_DIR
    if not _TORCH_DIR:
        import torch

        _TORCH_DIR = str(Path(torch.__file__).resolve().parent) + "/"
    f = sys._getframe(2)
    while f is not None:
        fn = f.f_code.co_filename
        if not (fn.startswith(_TORCH_DIR) or fn.startswith(_SELF_DIR)
                or fn.startswith("<frozen")):
            return f"{_shown(fn)}:{f.f_lineno}"
        f = f.f_back  # type: ignore[assignment]
    return ""


def _shown(path: str) -> str:
    """``path`` relative to the working directory when it lies inside it."""
    import os

    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path
    return path if rel.startswith("..") else rel


class Recorder:
    """Context manager: install the mode and hooks on ``root``; ``handle`` decides per call.

    ``handle(call)`` is given every function call that touches a traced tensor outside a
    whole-module layer, and every module listed in ``whole`` (by class) when it returns;
    ``sizes(tensor)`` returns the tagged shape of a traced tensor (or ``None``).
    """

    def __init__(self, root: Any, whole: tuple[type, ...],
                 handle: Callable[[Call], None],
                 sizes: Callable[[Any], Any],
                 tracked: Callable[[Any], bool]) -> None:
        self.root = root
        self.whole = whole
        self.handle = handle
        self.sizes = sizes
        self.tracked = tracked
        self.paths: dict[int, str] = {}
        for name, mod in root.named_modules(remove_duplicate=False):
            self.paths.setdefault(id(mod), name)
        self.stack: list[str] = []
        self.opaque = 0
        self.guards: list[Guard] = []
        self._handles: list[Any] = []
        self._mode: Any = None
        self._pending: list[tuple[Any, tuple[Any, ...], dict[str, Any], str, str]] = []

    # ---------------------------------------------------------------- module hooks
    def _is_whole(self, mod: Any) -> bool:
        """A layer mapped from its attributes: one of ``whole`` whose ``forward`` is torch's
        own (a subclass that overrides it, e.g. a conv that pads "same" itself, is traced)."""
        if not isinstance(mod, self.whole):
            return False
        fwd = getattr(type(mod), "forward", None)
        return any(fwd is c.__dict__["forward"] for c in type(mod).__mro__
                   if c.__module__.startswith("torch.nn.") and "forward" in c.__dict__)

    def _pre(self, mod: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        path = self.paths.get(id(mod), type(mod).__name__)
        self.stack.append(path)
        if self._is_whole(mod):
            if self.opaque == 0:
                self._pending.append((mod, args, dict(kwargs), path, _user_frame()))
                GuardLog.active = None  # the layer's own checks are its rules
            self.opaque += 1

    def _post(self, mod: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
              result: Any) -> None:
        if self.stack:
            self.stack.pop()
        if self._is_whole(mod):
            self.opaque -= 1
            if self.opaque == 0:
                GuardLog.active = self.guards
            if self.opaque == 0 and self._pending:
                m, a, k, path, where = self._pending.pop()
                if result is not None:
                    self.handle(Call("module", type(m).__name__, m, a, k, result, path, where))

    # ---------------------------------------------------------------- enter / exit
    def __enter__(self) -> Recorder:
        from torch.overrides import TorchFunctionMode

        rec = self

        class _Mode(TorchFunctionMode):
            def __torch_function__(self, func: Any, types: Any, args: Any = (),
                                   kwargs: Any = None) -> Any:
                kwargs = kwargs or {}
                return rec._call(func, args, kwargs)

        for mod in self.root.modules():
            self._handles.append(mod.register_forward_pre_hook(self._pre, with_kwargs=True))
            self._handles.append(mod.register_forward_hook(self._post, with_kwargs=True,
                                                           always_call=True))
        self._mode = _Mode()
        self._mode.__enter__()
        GuardLog.active = self.guards
        GuardLog.where = _user_frame
        return self

    def __exit__(self, *exc: Any) -> None:
        GuardLog.active = None
        GuardLog.where = None
        self._mode.__exit__(*exc)
        for h in self._handles:
            h.remove()
        self._handles.clear()

    # ---------------------------------------------------------------- calls
    def _call(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        name = getattr(func, "__name__", "") or ""
        if name == "__get__":
            name = getattr(getattr(func, "__self__", None), "__name__", "") or ""
            if name == "shape" and not self.opaque and args and self.tracked(args[0]):
                return self.sizes(args[0])
            return func(*args, **kwargs)
        if name == "size" and not self.opaque and args and self.tracked(args[0]):
            shape = self.sizes(args[0])
            dim = args[1] if len(args) > 1 else kwargs.get("dim")
            return shape if dim is None else shape[int(dim)]
        if self.opaque:
            return func(*args, **kwargs)
        saved = GuardLog.active
        GuardLog.active = None  # torch's own checks inside the call are not the user's
        try:
            result = func(*plain(args), **plain(kwargs))
        finally:
            GuardLog.active = saved
        if _touches(args, kwargs, self.tracked):
            path = self.stack[-1] if self.stack else ""
            self.handle(Call("function", name, func, tuple(args), dict(kwargs), result, path,
                             _user_frame()))
        return result


def _touches(args: Any, kwargs: Any, tracked: Callable[[Any], bool]) -> bool:
    for v in (*args, *kwargs.values()):
        if tracked(v):
            return True
        if isinstance(v, list | tuple) and any(tracked(u) for u in v):
            return True
    return False


def tagged_size(shape: tuple[int, ...], tags: tuple[Any, ...]) -> Any:
    """A ``torch.Size`` of ``shape`` whose spatial entries are :class:`Dim` values."""
    import torch

    out: list[Any] = []
    for n, t in zip(shape, tags, strict=True):
        out.append(Dim(int(n), Expr.dim(t[1], t[2])) if t[0] == "s" else int(n))
    return torch.Size(out)
