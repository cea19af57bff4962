"""Assertions: an implementation against the exact expected results.

An *implementation* is a callable ``fn(layer, x, w)`` that runs ``layer`` (a symconv spec:
its parameters, its convention) on ``x`` (shape ``(N, C, *spatial)``: int64 for exact cases,
float64 otherwise) with weights ``w`` (``None`` for a layer without weights; PyTorch
layouts) and returns the output array, or raises when it rejects the input.  Wrapping a
kernel, a framework call or a port in such a function is all the kit needs.

* :func:`assert_layer_matches` -- one layer on one input: the output shape, every value
  (exact for integer inputs, else within ``rtol``/``atol``) and, with ``grad_fn``, the
  gradients; a configuration the convention rejects must be rejected too.
* :func:`check_implementation` -- the same over a strategy of cases
  (:func:`~symconv.testing.edges.layers`, Hypothesis): a failure is shrunk to the smallest
  configuration and reported with the ``symconv shape``/``symconv matrix`` command that
  reproduces it.  Call it inside a test function.

>>> import numpy as np
>>> from symconv import AvgPool
>>> def mean2(layer, x, w):   # a user's kernel: non-overlapping means of 2
...     return (x[..., 0::2] + x[..., 1::2]) / 2
>>> assert_layer_matches(mean2, AvgPool(kernel=2), (6,))
>>> assert_layer_matches(mean2, AvgPool(kernel=2), (5,))
Traceback (most recent call last):
...
symconv.testing.assertions.LayerMismatch: mean2 raised ValueError on AvgPool(kernel=2, stride=2, count_include_pad=True) with x of shape (1, 1, 5), where the expected output has shape (1, 1, 2) (ValueError: operands could not be broadcast together with shapes (1,1,3) (1,1,2))
  reproduce: symconv shape avg-pool --in 5 --kernel 2 --stride 2 --padding 0:0 --count-include-pad
  values:    symconv matrix avg-pool --in 5 --kernel 2 --stride 2 --padding 0:0 --count-include-pad --channels 1
  python:    x, w = symconv.testing.random_inputs(symconv.AvgPool(kernel=2, stride=2, count_include_pad=True), (5,), channels=1, batch=1, seed=0, exact=True); e = symconv.testing.expected(symconv.AvgPool(kernel=2, stride=2, count_include_pad=True), x)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symconv._params import fmt
from symconv.errors import SymconvError, UnsupportedError
from symconv.spec import Layer
from symconv.testing.commands import reproduce_command
from symconv.testing.results import Expected, expected, is_exact, random_inputs

__all__ = ["DEFAULT_MAX_EXAMPLES", "ImplementationCrashed", "LayerMismatch",
           "assert_layer_matches", "check_implementation"]

#: The kit's default example budget for :func:`check_implementation`.
DEFAULT_MAX_EXAMPLES = 200

Fn = Callable[[Layer, NDArray[Any], NDArray[Any] | None], Any]
GradFn = Callable[[Layer, NDArray[Any], NDArray[Any] | None, NDArray[Any]], Any]


class LayerMismatch(AssertionError):
    """An implementation disagrees with the expected result; the message says where and how
    to reproduce it.  ``layer`` and ``input_size`` name the case (the one the strategy drew,
    shrunk); ``one_axis`` a smaller 1-D case that fails too, where there is one."""

    def __init__(self, message: str, layer: Any, input_size: tuple[int, ...]) -> None:
        super().__init__(message)
        self.layer = layer
        self.input_size = input_size
        #: ``(layer, input_size)`` of a 1-D case that fails too, taken from one axis of an
        #: N-D finding by :func:`check_implementation` (``None``: none, or a 1-D finding)
        self.one_axis: tuple[Any, tuple[int, ...]] | None = None


class ImplementationCrashed(RuntimeError):
    """Raised by an implementation wrapper when the implementation neither returned nor
    raised: the process running it died (a signal such as SIGFPE or SIGSEGV, an abort) or
    hung.  Any other exception counts as a rejection of the input; a crash is a finding
    whether the convention accepts the configuration or rejects it (rejecting is raising,
    not dying).  The message says how it died (``"killed by SIGFPE"``)."""


LAYOUTS = ("channels_first", "channels_last")


class _Layout:
    """The arrays as an implementation takes them: ``channels_first`` (the kit's: ``x`` of
    shape ``(N, C, *spatial)``, PyTorch's weights) or ``channels_last`` (``(N, *spatial, C)``
    and channels-last kernels ``(*k, C_in/groups, C_out)``, ``(*k, C_out/groups, C_in)`` for a
    transposed convolution: TensorFlow's, Keras's, JAX's ``HWIO``)."""

    def __init__(self, layout: str) -> None:
        if layout not in LAYOUTS:
            raise SymconvError(f"layout={fmt(layout)} must be one of {', '.join(LAYOUTS)}")
        self.last = layout == "channels_last"

    def x(self, a: Any) -> Any:
        return np.moveaxis(a, 1, -1) if self.last else a

    def w(self, a: Any) -> Any:
        return None if a is None else np.moveaxis(a, (0, 1), (-1, -2)) if self.last else a

    def back(self, a: Any) -> Any:
        arr = np.asarray(a)
        return np.moveaxis(arr, -1, 1) if self.last and arr.ndim >= 2 else arr

    def back_w(self, a: Any) -> Any:
        arr = np.asarray(a)
        return np.moveaxis(arr, (-1, -2), (0, 1)) if self.last and arr.ndim >= 2 else arr

    def call(self, fn: Fn, layer: Any, x: NDArray[Any], w: Any) -> Any:
        """``fn`` on copies of ``x`` and ``w`` in this layout (``fn`` may write into them)."""
        return fn(layer, self.x(x).copy(), self.w(None if w is None else np.asarray(w).copy()))

    def note(self) -> str:
        return " (channels_last: shapes shown channels first)" if self.last else ""


def _name(fn: Any) -> str:
    return str(getattr(fn, "__name__", None) or type(fn).__name__)


def _reproduction(layer: Any, sizes: tuple[int, ...], channels: int, seed: int,
                  exact: bool, out_channels: int | None, batch: int = 1,
                  given: bool = False) -> str:
    lines = []
    shape = reproduce_command(layer, sizes)
    if shape is not None:
        lines.append(f"  reproduce: {shape}")
    values = reproduce_command(layer, sizes, matrix=True, channels=channels,
                               out_channels=out_channels)
    if values is not None:
        lines.append(f"  values:    {values}")
    spec = f"symconv.{layer!r}"
    weighted = getattr(layer, "kernel", None) is not None and hasattr(layer, "groups")
    call = f"symconv.testing.expected({spec}, x{', w' if weighted else ''})"
    if given:  # the caller's own arrays: the kit cannot name them
        lines.append(f"  python:    {call}  (x{', w' if weighted else ''}: the arrays given)")
    else:
        oc = "" if out_channels is None else f", out_channels={out_channels}"
        lines.append(f"  python:    x, w = symconv.testing.random_inputs({spec}, {sizes!r}, "
                     f"channels={channels}{oc}, batch={batch}, seed={seed}, exact={exact}); "
                     f"e = {call}")
    return "\n".join(lines)


def _grad_line(seed: int, shape: tuple[int, ...], exact: bool) -> str:
    draw = "integers(-3, 4, size=" if exact else "standard_normal("
    return (f"\n  gradient:  g = numpy.random.default_rng({seed + 1}).{draw}{shape}); "
            "e.input_grad(g), e.weight_grad(g)")


def _first_difference(got: NDArray[Any], want: NDArray[Any], close: NDArray[Any]) -> str:
    bad = np.argwhere(~close)
    where = tuple(int(i) for i in bad[0])
    return (f"{len(bad)} of {want.size} values differ; first at {where}: expected "
            f"{fmt(want[where])}, got {fmt(got[where])}")


def _compare(got: Any, want: NDArray[Any], exact: bool, rtol: float, atol: float
             ) -> str | None:
    """``None`` when ``got`` matches ``want``, else what differs."""
    arr = np.asarray(got)
    if arr.shape != want.shape:
        return f"output shape {arr.shape}, expected {want.shape}"
    if exact and is_exact(arr):
        close = np.asarray(arr == want, dtype=bool)
    else:
        ref = want.astype(np.float64)
        try:
            val = arr.astype(np.float64)
        except (TypeError, ValueError):
            return f"values of dtype {arr.dtype}, expected numbers"
        close = np.isclose(val, ref, rtol=rtol, atol=atol)
    return None if close.all() else _first_difference(arr, want, close)


def _message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200] if text else ''}"


def _describe(layer: Any, x: NDArray[Any]) -> str:
    return f"{layer!r} with x of shape {tuple(x.shape)}"


def assert_layer_matches(
    fn: Fn,
    layer: Layer,
    input_size: tuple[int, ...] | None = None,
    *,
    x: Any = None,
    w: Any = None,
    channels: int | None = None,
    out_channels: int | None = None,
    batch: int = 1,
    seed: int = 0,
    exact: bool = True,
    rtol: float = 1e-6,
    atol: float = 1e-6,
    grad_fn: GradFn | None = None,
    max_nnz: int | None = None,
    max_memory: int | None = None,
    layout: str = "channels_first",
) -> None:
    """Assert that ``fn(layer, x, w)`` returns the exact expected output (and, with
    ``grad_fn(layer, x, w, g)`` returning ``grad_x`` or ``(grad_x, grad_w)``, the
    expected gradients for a random cotangent ``g``).

    The input is ``x`` (and ``w``) when given, else :func:`random_inputs` of
    ``input_size`` (``exact``: small integers, compared exactly when ``fn`` returns
    integers; float results are compared within ``rtol``/``atol``).  A configuration that
    symconv rejects must make ``fn`` raise (or return an empty array).  ``fn`` gets the layer
    fitted to ``x``'s rank (``layer.at(ndim)``: ``kernel=3`` reaches a 2-D ``fn`` as
    ``(3, 3)``).  A ``fn`` that raises
    :class:`ImplementationCrashed` (its process died) fails in either case.  Raises
    :class:`LayerMismatch`.  Only the convention's own rule counts as a rejection: a case
    the kit cannot judge (weights of the wrong shape, ``x`` of another rank or channel
    count, a map over the budget ``max_nnz``/``max_memory`` of :func:`expected`) raises
    :class:`~symconv.errors.SymconvError` whatever ``fn`` does.  ``layout="channels_last"``
    hands ``fn`` (and ``grad_fn``) ``x`` as ``(N, *spatial, C)`` and channels-last kernels
    (``(*k, C_in/groups, C_out)``; transposed: ``(*k, C_out/groups, C_in)``) and reads its
    results the same way; ``x`` and ``w`` given here stay in the kit's layout.
    """
    from symconv.errors import InvalidSpecError
    from symconv.sizes.shapes import resolve
    from symconv.testing.results import _check_x

    lay = _Layout(layout)
    given = x is not None
    if isinstance(input_size, int):
        input_size = (input_size,)
    if x is None:
        if input_size is None:
            raise SymconvError("input_size or x must be given")
        x, w0 = random_inputs(layer, tuple(input_size), channels=channels,
                              out_channels=out_channels, batch=batch, seed=seed, exact=exact,
                              max_nnz=max_nnz, max_memory=max_memory)
        w = w0 if w is None else w
    arr = _check_x(layer, x)
    layer = layer.at(arr.ndim - 2)  # what fn gets: every per-axis parameter fitted to x's rank
    sizes = tuple(int(v) for v in arr.shape[2:])
    chans = int(arr.shape[1])
    oc = out_channels
    groups = getattr(layer, "groups", None)
    if w is not None and groups is not None:
        oc = int(np.asarray(w).shape[0]) if type(layer).__name__ == "Conv" \
            else int(np.asarray(w).shape[1]) * int(groups)
    repro = _reproduction(layer, sizes, chans, seed, exact, oc, int(arr.shape[0]), given)
    try:
        resolve(layer, sizes)  # the convention's rule: the one rejection fn must share
    except InvalidSpecError as exc:
        try:
            got = lay.call(fn, layer, arr, w)
        except ImplementationCrashed as crash:
            raise LayerMismatch(
                f"{_name(fn)} crashed ({crash}) on {_describe(layer, arr)}, which the "
                f"convention rejects: {exc}\n{repro}", layer, sizes) from None
        except Exception:
            return
        if np.asarray(got).size == 0:
            return
        raise LayerMismatch(
            f"{_name(fn)} returned an output of shape {np.asarray(got).shape} for "
            f"{_describe(layer, arr)}, which the convention rejects: {exc}\n{repro}",
            layer, sizes) from None
    want = expected(layer, arr, w, max_nnz=max_nnz, max_memory=max_memory)
    try:
        got = lay.call(fn, layer, arr, w)
    except ImplementationCrashed as crash:
        raise LayerMismatch(
            f"{_name(fn)} crashed ({crash}) on {_describe(layer, arr)}, where the expected "
            f"output has shape {want.shape}\n{repro}", layer, sizes) from None
    except Exception as exc:
        raise LayerMismatch(
            f"{_name(fn)} raised {type(exc).__name__} on {_describe(layer, arr)}, where the "
            f"expected output has shape {want.shape} ({_message(exc)})\n{repro}", layer,
            sizes) from exc
    problem = _compare(lay.back(got), want.output, want.exact, rtol, atol)
    if problem is not None:
        raise LayerMismatch(f"{_name(fn)} disagrees on {_describe(layer, arr)}: {problem}"
                            f"{lay.note()}\n{repro}", layer, sizes)
    if grad_fn is not None:
        _check_grads(grad_fn, want, layer, seed, rtol, atol, repro, sizes, lay)


def _check_grads(grad_fn: GradFn, want: Expected, layer: Any, seed: int, rtol: float,
                 atol: float, repro: str, sizes: tuple[int, ...], lay: _Layout) -> None:
    rng = np.random.default_rng(seed + 1)
    g = (rng.integers(-3, 4, size=want.shape, dtype=np.int64) if want.exact
         else rng.standard_normal(want.shape))
    x = np.asarray(want.x)
    repro += _grad_line(seed, tuple(want.shape), want.exact)
    try:
        got = grad_fn(layer, lay.x(x).copy(),
                      lay.w(None if want.w is None else np.asarray(want.w).copy()), lay.x(g))
    except Exception as exc:
        raise LayerMismatch(f"{_name(grad_fn)} raised {type(exc).__name__} on "
                            f"{_describe(layer, x)} ({_message(exc)})\n{repro}", layer,
                            sizes) from exc
    gx, gw = (got if isinstance(got, tuple) else (got, None))
    gx, gw = lay.back(gx), None if gw is None else lay.back_w(gw)
    checks = [("input gradient", gx, want.input_grad(g))]
    if gw is not None:
        wg = want.weight_grad(g)
        if wg is not None:
            checks.append(("weight gradient", gw, wg))
    for what, value, ref in checks:
        problem = _compare(value, np.asarray(ref), want.exact, rtol, atol)
        if problem is not None:
            problem = problem.replace("output shape", f"{what} shape")
            raise LayerMismatch(f"{_name(grad_fn)}: the {what} disagrees on "
                                f"{_describe(layer, x)}: {problem}{lay.note()}\n{repro}",
                                layer, sizes)


def check_implementation(
    fn: Fn,
    strategy: Any = None,
    convention: str | None = None,
    *,
    kind: Any = None,
    ndim: Any = None,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    exact: bool = True,
    rtol: float = 1e-6,
    atol: float = 1e-6,
    grad_fn: GradFn | None = None,
    derandomize: bool = False,
    database: Any = None,
    batch: int = 2,
    max_nnz: int | None = None,
    max_memory: int | None = None,
    layout: str = "channels_first",
) -> None:
    """Check ``fn`` on every case ``strategy`` draws (default: ``layers(kind, convention,
    ndim)``), up to ``max_examples`` cases (:data:`DEFAULT_MAX_EXAMPLES`).

    A :class:`~symconv.testing.cases.LayerCase` must match :func:`assert_layer_matches`; an
    :class:`~symconv.testing.cases.InvalidCase` whose layer is valid but its input rejected
    must be rejected by ``fn`` (cases of rejected parameters have no layer to pass and are
    skipped); :class:`ImplementationCrashed` is a finding on either.  On failure Hypothesis
    shrinks to the smallest configuration and the :class:`LayerMismatch` names it with the
    commands that reproduce it.  Needs Hypothesis.
    ``database``: Hypothesis's example database (default none: every run starts afresh);
    ``derandomize=True``: the same examples every run.  A failure that does not repeat when
    Hypothesis runs the case again (a nondeterministic implementation) is still a
    :class:`LayerMismatch`, marked ``flaky``.  ``batch``: samples per case (two, so that an
    implementation that mixes up samples is caught).  ``convention`` and ``kind``/``ndim``
    choose the default strategy; with a ``strategy`` given they must be ``None``.  A
    strategy that draws nothing to run (only rejected parameters, which have no layer) raises
    :class:`~symconv.errors.SymconvError` rather than pass without a check.  ``layout``: as
    for :func:`assert_layer_matches`.
    """
    from hypothesis import HealthCheck, given, reject, seed, settings

    from symconv.testing.cases import InvalidCase
    from symconv.testing.edges import layers

    if strategy is not None and (convention, kind, ndim) != (None, None, None):
        raise SymconvError(f"convention={fmt(convention)}, kind={fmt(kind)}, "
                           f"ndim={fmt(ndim)} must be None when a strategy is given (they "
                           "choose the default strategy: layers(kind, convention, ndim))")
    cases = layers(kind, convention, ndim) if strategy is None else strategy
    _Layout(layout)  # checked before any case runs
    checked = [0]

    @settings(max_examples=max_examples, deadline=None, database=database,
              report_multiple_bugs=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                     HealthCheck.data_too_large])
    @given(case=cases)
    def run(case: Any) -> None:
        if isinstance(case, InvalidCase):
            if case.layer is None:
                return
            checked[0] += 1
            _check_rejected(fn, case, exact, batch, _Layout(layout))
            return
        layer, sizes = case
        try:
            assert_layer_matches(fn, layer, tuple(sizes), exact=exact, rtol=rtol, atol=atol,
                                 grad_fn=grad_fn, batch=batch, max_nnz=max_nnz,
                                 max_memory=max_memory, layout=layout)
        except UnsupportedError:  # a case symconv has no exact map for (a user's strategy
            reject()  # may draw one): not judged, and not counted as checked
        checked[0] += 1

    run.__name__ = f"check_{_name(fn)}"
    if derandomize:  # a fixed seed, not Hypothesis's derandomize: its seed is a digest of
        run = seed(0)(run)  # this function's source, so the examples moved with each edit
    try:
        run()
    except LayerMismatch as err:
        smaller = _one_axis(fn, err, exact=exact, rtol=rtol, atol=atol, grad_fn=grad_fn,
                            batch=batch, max_nnz=max_nnz, max_memory=max_memory,
                            layout=layout)
        if smaller is None:
            raise
        # the drawn case stays the finding (a strategy filtered by it must not loop); the
        # 1-D case that fails too is the one to debug first
        lines = str(smaller).splitlines()
        both = LayerMismatch(f"{err}\n  1-D:       {lines[0]}\n" + "\n".join(
            "  1-D " + t.strip() for t in lines[1:] if t.strip().startswith(
                ("reproduce:", "values:", "python:"))), err.layer, err.input_size)
        both.one_axis = (smaller.layer, smaller.input_size)
        raise both from err
    except BaseExceptionGroup as group:  # Hypothesis's FlakyFailure: failed, then passed
        found = _mismatch_in(group)
        if found is None:
            raise
        raise LayerMismatch(
            f"{found}\n  flaky: the failure did not repeat when Hypothesis ran the case again "
            "(the implementation is nondeterministic: uninitialised memory, a race)",
            found.layer, found.input_size) from group
    if not checked[0]:
        raise SymconvError(f"strategy={fmt(cases)} drew nothing to check: rejected parameters "
                           "have no layer to run (layers(valid=False, rejects='params')); "
                           "draw rejected sizes (rejects='size') or valid layers")


def _one_axis(fn: Fn, err: LayerMismatch, **kwargs: Any) -> LayerMismatch | None:
    """A 1-D case that fails too, from one axis of the shrunk N-D case (Hypothesis does not
    always cross from a 2-D draw to a 1-D one), or ``None``."""
    from symconv.sizes.inverse._axes import _axis_spec

    layer, sizes = err.layer, tuple(err.input_size)
    if len(sizes) < 2 or getattr(layer, "ndim", None) is None:
        return None
    for a, n in enumerate(sizes):
        try:
            one = _axis_spec(layer, a)
        except SymconvError:  # a rule of the rank (a 2-D-only mode, 1-D-only 'causal')
            continue
        try:
            assert_layer_matches(fn, one, (n,), **kwargs)
        except LayerMismatch as smaller:
            # the same failure only: a case outside the user's strategy may fail otherwise
            # (an implementation that cannot express it and says so)
            if _failure_kind(smaller) == _failure_kind(err):
                return smaller
        except SymconvError:
            continue
    return None


def _failure_kind(err: LayerMismatch) -> str:
    """What kind of failure a message reports: a crash, an accepted rejection, an exception
    of a type, a wrong shape, wrong values (of the output or a gradient)."""
    import re

    head = str(err).splitlines()[0]
    for kind, pattern in (("crashed", r" crashed \("), ("accepted", r" returned an output "),
                          ("raised", r" raised (\w+) on "), ("gradient", r" gradient "),
                          ("shape", r": output shape "), ("values", r" values differ")):
        found = re.search(pattern, head)
        if found:
            return f"{kind} {found.group(1)}" if found.groups() else kind
    return head


def _mismatch_in(group: BaseExceptionGroup[Any]) -> LayerMismatch | None:
    """The first :class:`LayerMismatch` in ``group`` (nested groups included)."""
    for exc in group.exceptions:
        if isinstance(exc, LayerMismatch):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            inner = _mismatch_in(exc)
            if inner is not None:
                return inner
    return None


def _check_rejected(fn: Fn, case: Any, exact: bool, batch: int = 1,
                    lay: _Layout | None = None) -> None:
    lay = lay or _Layout("channels_first")
    x, w = random_inputs(case.layer, case.input_size, exact=exact, batch=batch)
    repro = _reproduction(case.layer, case.input_size, int(x.shape[1]), 0, exact, None, batch)
    try:
        got = lay.call(fn, case.layer, x, w)
    except ImplementationCrashed as crash:
        raise LayerMismatch(
            f"{_name(fn)} crashed ({crash}) on {_describe(case.layer, x)}, which "
            f"{case.layer.convention.value} rejects: {case.rule}\n{repro}", case.layer,
            case.input_size) from None
    except Exception:
        return
    if np.asarray(got).size == 0:
        return
    raise LayerMismatch(
        f"{_name(fn)} returned an output of shape {np.asarray(got).shape} for "
        f"{_describe(case.layer, x)}, which {case.layer.convention.value} rejects: "
        f"{case.rule}\n{repro}", case.layer, case.input_size)
