"""``symconv shape``: output size, padding and inverse problems for one layer.

The command itself is parse -> :func:`analyse` -> render.  :class:`Query` turns the options into
plain values (no rule checking: the library's specs do that and name the parameter);
:func:`analyse` calls the library (:func:`symconv.resolve`, :mod:`symconv.sizes.inverse`,
:mod:`symconv.sizes.proof`) and fills the view records of :mod:`symconv.report.shape_text`.

Integer queries import neither SymPy nor NumPy; ``--symbolic`` and ``--prove`` import what they
need when they run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import click

from symconv._params import is_symbolic
from symconv.cli._common import (
    SymconvCommand,
    broadcast,
    dump_json,
    parse_scale,
    parse_sizes,
    stdout_is_unicode,
)
from symconv.cli._layer_options import (
    build_layer,
    check_applicable,
    convention_list,
    given_options,
    layer_options,
    layer_params,
    ndim_of,
    per_axis_values,
)
from symconv.errors import InvalidSpecError, SymconvError, UnsupportedError
from symconv.report.shape_text import (
    AxisRange,
    AxisTarget,
    CompareRow,
    CompareView,
    Residue,
    RoundTrip,
    Route,
    ShapeView,
    TargetSolution,
    render_text,
    to_dict,
)
from symconv.sizes import formulas as F
from symconv.sizes.shapes import Resolved, output_channels, resolve
from symconv.spec import (
    AvgPool,
    Conv,
    Convention,
    ConvTranspose,
    MaxPool,
    PadMode,
    PixelUnshuffle,
    Resize,
)

__all__ = ["Query", "analyse", "shape"]

CONVENTIONS = tuple(c.value for c in Convention)
LAYERS = ("conv", "conv-transpose", "max-pool", "avg-pool", "max-unpool", "resize", "upsample",
          "pixel-shuffle", "pixel-unshuffle", "adaptive-avg-pool", "adaptive-max-pool",
          "global-avg-pool", "global-max-pool")

# Which options each layer takes (option names as on the command line, without dashes).
_TAKES: dict[str, frozenset[str]] = {
    "conv": frozenset({"kernel", "stride", "padding", "dilation", "groups", "channels",
                       "out-channels", "target"}),
    "conv-transpose": frozenset({"kernel", "stride", "padding", "dilation", "output-padding",
                                 "use-consistent-padding", "groups", "channels",
                                 "out-channels", "target", "size"}),
    "max-pool": frozenset({"kernel", "stride", "padding", "dilation", "ceil-mode", "channels",
                           "target"}),
    "avg-pool": frozenset({"kernel", "stride", "padding", "dilation", "ceil-mode",
                           "count-include-pad", "channels", "target"}),
    "max-unpool": frozenset({"kernel", "stride", "padding", "size", "channels"}),
    "resize": frozenset({"scale", "size", "mode", "align-corners", "antialias", "channels"}),
    "pixel-shuffle": frozenset({"factor", "channels"}),
    "pixel-unshuffle": frozenset({"factor", "channels"}),
    "adaptive-avg-pool": frozenset({"size", "channels"}),
    "adaptive-max-pool": frozenset({"size", "channels"}),
    "global-avg-pool": frozenset({"channels"}),
    "global-max-pool": frozenset({"channels"}),
}

# Padding names that mean the same thing under another convention's spelling (--compare only).
_SAME_SPELLING = {"same": "same_upper", "same_upper": "same"}


def _spellings(padding: object) -> list[str]:
    """Other spellings of a padding name to try under another convention in ``--compare``:
    ONNX's ``same_upper`` for ``same`` (and back), and TensorFlow's upper case."""
    if not isinstance(padding, str):
        return []
    alts = [_SAME_SPELLING.get(padding.lower()), padding.upper()]
    return [a for a in dict.fromkeys(alts) if a is not None and a != padding]


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True, slots=True)
class Query:
    """The parsed command line of ``symconv shape`` (values unchecked: the specs check them)."""

    command: str
    sizes: tuple[Any, ...] | None
    numbers: tuple[int, ...] | None
    ndim: int
    params: dict[str, Any]
    convention: str
    target: tuple[int, ...] | None = None
    symbolic: bool = False
    prove: bool = False
    as_json: bool = False
    compare: tuple[str, ...] | None = None
    raw: dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_options(cls, layer: str, *, exact_decimals: bool = False, **o: Any) -> Query:
        """Build a query from click's option values (``None``/``False`` = not given).

        ``exact_decimals`` takes a decimal ``--scale`` such as 1.5 as the exact fraction 3/2
        (as ``--symbolic`` does) instead of a float multiplied in floating point."""
        command = "resize" if layer.lower() == "upsample" else layer.lower()
        given = given_options(o)
        check_applicable(_TAKES, command, layer.lower(), given, _CONTROL)
        symbolic = bool(given.get("symbolic"))
        per_axis = per_axis_values(given, symbolic or exact_decimals)
        sizes, numbers = _input(given.get("in_"), symbolic, ndim_of(per_axis))
        ndim = len(sizes) if sizes is not None else ndim_of(per_axis)
        params = layer_params(per_axis, given, ndim)
        target = None
        if "target" in given:
            t = parse_sizes(given["target"], option="--target")
            target = broadcast("target", t, ndim) if len(t) > 1 else t * ndim
            if symbolic:
                raise InvalidSpecError("--target must not be combined with --symbolic")
            if "size" in given:
                raise InvalidSpecError(
                    f"--target={given['target']} must not be combined with --size (--target "
                    "finds the parameters giving that output size, --size requests it)")
        compare = None
        if "compare" in given:
            compare = convention_list(given["compare"])
            clash = [f"--{n}" for n in ("symbolic", "prove") if given.get(n)]
            if target is not None and command != "conv-transpose":
                clash.append("--target")
            if clash:
                raise InvalidSpecError(
                    f"--compare must not be combined with {', '.join(clash)} (it compares "
                    "concrete sizes; --target only for conv-transpose)"
                )
        return cls(command, sizes, numbers, ndim, params, given.get("convention", "torch"),
                   target, symbolic, bool(given.get("prove")), bool(given.get("as_json")),
                   compare, {k: v for k, v in given.items() if isinstance(v, str)})


_CONTROL = frozenset({"in_", "convention", "symbolic", "prove", "as_json", "compare"})


def _input(
    text: str | None, symbolic: bool, ndim: int
) -> tuple[tuple[Any, ...] | None, tuple[int, ...] | None]:
    """Sizes as given, and (with ``--symbolic``) numbers replaced by symbols ``i``/``i1, i2..``
    (the numbers are kept to evaluate the formulas at)."""
    if text is None:
        return (_symbols(ndim), None) if symbolic else (None, None)
    sizes = parse_sizes(text, symbolic=symbolic)
    if not symbolic:
        return sizes, None
    numbers = tuple(sizes) if all(isinstance(v, int) for v in sizes) else None
    names = _symbols(len(sizes))
    return tuple(names[a] if isinstance(v, int) else v for a, v in enumerate(sizes)), numbers


def _symbols(nd: int) -> tuple[Any, ...]:
    import sympy

    names = ["i"] if nd == 1 else [f"i{a + 1}" for a in range(nd)]
    return tuple(sympy.Symbol(n, integer=True, positive=True) for n in names)


# --------------------------------------------------------------------------- specs


def make_layer(q: Query, convention: str, padding: Any = None) -> Any:
    """The spec the query describes under ``convention`` (``padding`` overrides ``--padding``)."""
    params = q.params if padding is None else {**q.params, "padding": padding}
    return build_layer(q.command, params, convention)


# --------------------------------------------------------------------------- analysis


def analyse(q: Query) -> ShapeView | CompareView:
    """Everything ``symconv shape`` reports for the query (the one library-facing step)."""
    if q.compare is not None:
        return _compare(q)
    layer = make_layer(q, q.convention)
    target = None
    if q.target is not None and isinstance(layer, ConvTranspose):
        layer, target = _transpose_for_target(layer, q)
    if q.sizes is None:
        if not q.prove:
            raise InvalidSpecError("--in must be given: input sizes such as 224 or 224x224")
        return ShapeView(q.command, layer, None, proofs=_proofs(layer, q.ndim))
    r = resolve(layer, q.sizes)
    channels = None
    if "channels" in q.params:
        channels = (q.params["channels"], output_channels(layer, q.params["channels"], q.ndim))
    proofs = _proofs(layer, q.ndim) if q.prove else ()
    if q.symbolic:
        evaluated, notes = _evaluate(q, layer, r)
        return ShapeView(q.command, layer, r, channels, notes=notes,
                         residues=_residues(layer, r), evaluated=evaluated, proofs=proofs)
    if q.target is not None and target is None:
        target = _padding_target(layer, r, q.target)
    return ShapeView(
        q.command, layer, r, channels,
        notes=(*_ceil_notes(r), *_same_notes(r)),
        same_output=_same_output(layer, r),
        reachable=_reachable(layer, r),
        round_trip=_round_trip(layer, r),
        target=target,
        proofs=proofs,
    )


def _compare(q: Query) -> CompareView:
    if q.compare is None or q.sizes is None:
        raise InvalidSpecError("--in must be given with --compare: input sizes such as 224x224")
    rows = []
    for conv in q.compare:
        notes: list[str] = []
        padding = q.params.get("padding")
        try:
            try:
                layer = make_layer(q, conv)
            except InvalidSpecError as exc:
                layer, why = None, exc
                for alt in _spellings(padding):
                    try:
                        layer = make_layer(q, conv, padding=alt)
                    except InvalidSpecError as other:
                        if not str(other).startswith("padding="):
                            why = other  # the spelling is right, another rule refuses
                        continue
                    notes.append(f"padding '{padding}' read as '{alt}'")
                    break
                if layer is None:
                    raise why from None
            if q.target is not None and isinstance(layer, ConvTranspose):
                layer, _ = _transpose_for_target(layer, q)
            r = resolve(layer, q.sizes)
        except SymconvError as exc:
            rows.append(CompareRow(conv, None, str(exc)))
            continue
        rows.append(CompareRow(conv, r, None, tuple(notes)))
    accepted = [row.convention for row in rows if row.resolved is not None]
    reference = q.convention if q.convention in accepted else (accepted or [q.compare[0]])[0]
    shown = tuple((k.replace("_", "-"), _show_param(v)) for k, v in sorted(q.params.items()))
    if q.target is not None:
        shown += (("target", "x".join(map(str, q.target))),)
    return CompareView(q.command, shown, tuple(q.sizes), reference, tuple(rows))


def _show_param(value: Any) -> str:
    if isinstance(value, tuple):
        return "x".join(":".join(map(str, v)) if isinstance(v, tuple) else str(v) for v in value)
    return str(value)


def _proofs(layer: Any, ndim: int) -> tuple[Any, ...]:
    from symconv.sizes import proof as sizeproof

    return tuple(sizeproof.prove_all_axes(layer, ndim))


# --------------------------------------------------------------------------- notes


def _axis(a: int, nd: int) -> str:
    return "" if nd == 1 else f" on axis {a}"


def _ceil_notes(r: Resolved) -> tuple[str, ...]:
    """Why ceil mode gives fewer windows than plain ceil (the PyTorch last-window rule)."""
    layer = r.layer
    if not isinstance(layer, MaxPool | AvgPool) or not layer.ceil_mode:
        return ()
    if not isinstance(layer.padding, tuple):
        return ()
    notes = []
    for a, n in enumerate(r.input):
        k, s, d = layer.kernel[a], layer.stride[a], layer.dilation[a]
        pb, pe = layer.padding[a]
        keff = F.effective_kernel(k, d)
        plain = F.ceildiv(n + pb + pe - keff, s) + 1
        if plain == r.output[a]:
            continue
        start = (plain - 1) * s - pb
        notes.append(
            f"ceil mode{_axis(a, len(r.input))}: plain ceil((n + pb + pe - k_eff)/s) + 1 = "
            f"ceil(({n} + {pb} + {pe} - {keff})/{s}) + 1 = {plain}, but window {plain} would "
            f"start at input position {start}, past the last input position {n - 1} (inside "
            f"the end padding). PyTorch drops a last window that starts in the end padding "
            f"(ONNX too, since onnx PR #5741), so the output is {r.output[a]}"
        )
    return tuple(notes)


def _same_notes(r: Resolved) -> tuple[str, ...]:
    """SAME-style padding depends on the input size mod the stride: say so when it changes."""
    layer = r.layer
    if not isinstance(layer, Conv | MaxPool | AvgPool):
        return ()
    if layer.padding not in (PadMode.SAME, PadMode.SAME_UPPER, PadMode.SAME_LOWER):
        return ()
    texts = []
    for a, n in enumerate(r.input):
        s = layer.stride[a]
        if s == 1:
            continue
        seen = {}
        for m in range(max(1, n - s + 1), n + s):
            sizes = tuple(m if b == a else x for b, x in enumerate(r.input))
            try:
                seen[m] = resolve(layer, sizes).pads[a]
            except InvalidSpecError:
                continue
        if len(set(seen.values())) > 1:
            others = ", ".join(f"{m} pads {_pair(p)}" for m, p in seen.items()
                               if m != n and p != r.pads[a])
            texts.append((a, f"SAME padding depends on the input size mod {s}: {n} pads "
                             f"{_pair(r.pads[a])}, but {others}"))
    if len({t for _, t in texts}) == 1 and len(texts) == len(r.input) > 1:
        return (texts[0][1] + " (each axis)",)
    return tuple(t + _axis(a, len(r.input)) for a, t in texts)


def _pair(p: tuple[Any, Any]) -> str:
    return f"({p[0]}, {p[1]})"


# --------------------------------------------------------------------------- inverse problems
# Every call into symconv.sizes.inverse is in this section.


def _inverse() -> Any:
    from symconv.sizes import inverse

    return inverse


def _same_output(layer: Any, r: Resolved) -> tuple[AxisRange | None, ...] | None:
    """Strided conv/pool: the input sizes giving the same output, per axis."""
    if not isinstance(r.layer, Conv | MaxPool | AvgPool) or all(s == 1 for s in r.layer.stride):
        return None
    return tuple(_range(x) for x in _inverse().ambiguity_set(layer, tuple(r.input)))


def _reachable(layer: Any, r: Resolved) -> tuple[tuple[Route, ...], ...] | None:
    """Transposed conv: every output size its convention can produce from this input."""
    if not isinstance(layer, ConvTranspose) or r.folds is not None:
        return None  # flax 'CIRCULAR' has one size: n s
    base = dataclasses.replace(layer, output_size=None)
    return tuple(
        tuple(Route(rt.kind.value, _range(rt.sizes), int(rt.base), rt.setting)
              for rt in axis.routes if len(rt.sizes))
        for axis in _inverse().transposed_sizes(base, tuple(r.input))
    )


def _round_trip(layer: Any, r: Resolved) -> RoundTrip | None:
    """Conv: the output padding with which the transposed conv restores the input (T20)."""
    if not isinstance(layer, Conv):
        return None
    axes = _inverse().round_trip(layer, tuple(r.input))
    return RoundTrip(
        input=tuple(r.input),
        pads=tuple(tuple(t.pads) for t in axes),
        output_padding=tuple(t.needed_output_padding for t in axes),
        plain=tuple(t.restored for t in axes),
        residue=tuple(t.residue for t in axes),
        modulus=tuple(t.modulus for t in axes),
    )


def _transpose_for_target(layer: ConvTranspose, q: Query) -> tuple[Any, TargetSolution]:
    """The transposed conv realising ``--target`` (the convention's own parameter, per axis)."""
    assert q.sizes is not None and q.target is not None
    base = dataclasses.replace(layer, output_size=None)
    choices = _inverse().output_padding_for(base, tuple(q.sizes), tuple(q.target))
    axes = tuple(
        AxisTarget(c.parameter, c.value, tuple(c.alternatives),
                   tuple(_range(x) for x in c.admissible), adjoint=c.adjoint)
        for c in choices
    )
    return _combine(base, [c.spec for c in choices]), TargetSolution(q.target, axes)


def _combine(layer: ConvTranspose, specs: list[ConvTranspose]) -> ConvTranspose:
    """One N-D layer from the 1-D layers realising each axis."""
    changes: dict[str, Any] = {}
    for name in ("padding", "output_padding", "output_size"):
        values = [getattr(sp, name) for sp in specs]
        if all(isinstance(v, tuple) for v in values):
            changes[name] = tuple(v[0] for v in values)
        elif all(v == values[0] for v in values):
            changes[name] = values[0]
        else:
            raise UnsupportedError(
                f"--target needs {name} set differently in kind on different axes under "
                f"convention {layer.convention.value}: ask for one axis at a time"
            )
    combined: ConvTranspose = dataclasses.replace(layer.at(len(specs)), **changes)
    return combined


def _padding_target(layer: Any, r: Resolved, target: tuple[int, ...]) -> TargetSolution:
    """Conv/pool: the padding that gives ``target``, per axis."""
    choices = _inverse().padding_for_output(layer, tuple(r.input), tuple(target))
    axes, notes = [], []
    for c in choices:
        options: list[tuple[str, Any]] = []
        if c.symmetric is not None:
            options.append(("padding", (c.symmetric, c.symmetric)))
        for pair in (c.extra_at_end, c.extra_at_start, *c.splits):
            if pair is not None and ("padding", pair) not in options:
                options.append(("padding", pair))
        options += [(f"padding='{name}'", pads) for name, pads in c.modes]
        first, *rest = options
        axes.append(AxisTarget(first[0], first[1], tuple(rest[:2]),
                               totals=AxisRange(c.total_min, c.total_max)))
        notes += [n for n in c.advice if n not in notes]
    return TargetSolution(target, tuple(axes), tuple(notes))


def _range(value: Any) -> AxisRange:
    """``range(lo, hi + 1)`` -> ``AxisRange(lo, hi)``."""
    return AxisRange(value.start, value.stop - 1)


# --------------------------------------------------------------------------- symbolic


def _evaluate(q: Query, layer: Any, r: Resolved) -> tuple[Resolved | None, tuple[str, ...]]:
    """The integer result at the sizes given with ``--symbolic`` (framework arithmetic: a
    decimal scale is multiplied in floating point there), and a note where the exact formula
    differs from it."""
    if q.numbers is None:
        return None, ()
    framework = layer
    if isinstance(layer, Resize) and "scale" in q.raw:
        framework = dataclasses.replace(layer, scale_factor=parse_scale(q.raw["scale"], False))
    value = resolve(framework, q.numbers)
    exact = tuple(e.subs(dict(zip(r.input, q.numbers, strict=True))) if is_symbolic(e) else e
                  for e in r.output)
    if exact == value.output:
        return value, ()
    return value, (
        f"the formula uses the exact scale factor; the framework multiplies "
        f"{q.raw.get('scale')} in floating point and gets {'x'.join(map(str, value.output))} "
        f"at {'x'.join(map(str, q.numbers))}, where the exact value is "
        f"{'x'.join(map(str, exact))}",
    )


def _residues(layer: Any, r: Resolved) -> tuple[Residue, ...]:
    """Exact output and pads for each residue class of the input size mod the stride.

    Substitutes ``i = m q + c`` (``q`` a non-negative integer) so SymPy evaluates every
    ``floor``/``ceiling``, then writes the result back in ``i``.  Only axes whose formulas
    contain floor/ceiling/Piecewise/Max and a period up to 16 are listed.
    """
    import sympy

    q = sympy.Symbol("q", integer=True, nonnegative=True)
    out: list[Residue] = []
    for a, sym in enumerate(r.input):
        if not is_symbolic(sym) or not sym.is_Symbol:
            continue
        expr = (r.output[a], *r.pads[a])
        if not any(is_symbolic(e) and e.has(sympy.floor, sympy.ceiling, sympy.Piecewise,
                                               sympy.Max, sympy.Min, sympy.Mod) for e in expr):
            continue
        m = _period(layer, a)
        if not 1 < m <= 16:
            continue
        for c in range(m):
            forward, back = {sym: m * q + c}, {q: (sym - c) / m}
            # the formulas come from resolve(): SymPy expressions or plain ints, never text
            vals = [(sympy.Integer(e) if isinstance(e, int) else e).subs(forward).subs(back)
                    for e in expr]
            out.append(Residue(a, sym, m, c, vals[0], (vals[1], vals[2])))
    return tuple(out)


def _period(layer: Any, a: int) -> int:
    if isinstance(layer, Conv | MaxPool | AvgPool):
        return int(layer.at(a + 1).stride[a]) if layer.ndim is None else int(layer.stride[a])
    if isinstance(layer, Resize) and layer.scale_factor is not None:
        return Fraction(layer.scale_factor[a if len(layer.scale_factor) > a else 0]).denominator
    if isinstance(layer, PixelUnshuffle):
        return int(layer.factor)
    return 1


# --------------------------------------------------------------------------- the command

EPILOG = """\b
Examples:
  symconv shape conv --in 224x224 --kernel 7 --stride 2 --padding SAME --convention tensorflow
  symconv shape conv-transpose --in 6 --kernel 3 --stride 2 --padding 1 --target 12
  symconv shape conv-transpose --in 6 --kernel 3 --stride 2 --size 12 --convention tensorflow
  symconv shape max-pool --in 9 --kernel 4 --stride 4 --padding 2 --ceil-mode
  symconv shape conv --in 224 --kernel 7 --stride 2 --padding SAME --convention tensorflow \\
      --symbolic
  symconv shape conv --in 224x224 --kernel 7 --stride 2 --padding SAME --convention tensorflow \\
      --compare torch,onnx,tensorflow,keras,jax
  symconv shape conv --in 32x32 --kernel 3 --stride 2 --padding 1 --json
  symconv shape max-pool --kernel 4 --stride 4 --padding 2 --ceil-mode --prove
  symconv shape adaptive-avg-pool --in 10x10 --size 3x3
  symconv shape adaptive-max-pool --in 5x7 --size nonex3
  symconv shape global-avg-pool --in 7x7 --convention onnx
  symconv shape adaptive-avg-pool --size 7 --prove

\b
Value syntax:
  sizes     224, 224x224 (one per axis); with --symbolic also names: H, HxW, h,w
  per axis  7 (every axis) or 3x5 (one per axis): --kernel, --stride, --dilation, ...;
            adaptive pooling --size: none keeps an axis (nonex7)
  padding   1 | 1x2 (per axis) | 1:2 (before:after, every axis) | 1:2x0:1 (pairs per
            axis) | same | valid | same_upper | same_lower | causal, spelled as the API
            takes them (tf.nn: SAME, VALID; flax.linen.Conv also CIRCULAR, REFLECT,
            CAUSAL); --compare tries each convention's spelling (same, SAME, same_upper)
  scale     2 | 1.5 (a float, as the framework multiplies it) | 3/2 (exact) | 2x3

\b
Exit status: 0 success, 1 a --prove check failed, 2 bad input (one line on stderr).
"""


@click.command(cls=SymconvCommand, epilog=EPILOG,
               short_help="Output size, padding and inverse problems for one layer.")
@layer_options(LAYERS)
@click.option("--target", metavar="L",
              help="Requested output size: the output_padding (conv-transpose) or padding "
                   "(conv, pooling) that gives it.")
@click.option("--symbolic", is_flag=True, default=False,
              help="Exact formulas in the input size (symbols i, or the names given).")
@click.option("--compare", metavar="LIST",
              help="One table across conventions, e.g. torch,onnx,tensorflow,keras,jax.")
@click.option("--prove", is_flag=True, default=False,
              help="Prove the output-size formula for every input size (T21), per axis.")
@click.option("--json", "as_json", is_flag=True, default=False, help="JSON output.")
def shape(layer: str, **options: Any) -> None:
    """Output size and padding of one LAYER: conv, conv-transpose, max-pool, avg-pool,
    max-unpool, resize (or upsample), pixel-shuffle, pixel-unshuffle, adaptive-avg-pool,
    adaptive-max-pool, global-avg-pool, global-max-pool."""
    query = Query.from_options(layer, **options)
    view = analyse(query)
    if query.as_json:
        click.echo(dump_json(to_dict(view)), nl=False)
    else:
        click.echo(render_text(view, unicode=stdout_is_unicode()), nl=False)
    if view.failed:
        raise click.exceptions.Exit(1)
