"""Design review of a whole network: shapes for every size, valid sizes, skips, decoders, traps.

:func:`review` takes a :class:`~symconv.network.Network` (from a YAML/JSON/TOML file or an ONNX
model) and returns a :class:`Review`:

* **symbolic shape propagation**: every tensor's spatial size as an exact formula in the
  input symbols (:func:`symconv.shapes.resolve` on SymPy symbols), and its value at a given
  input size;
* **valid input sizes per axis, exactly** (:class:`AxisValidity`): the sizes for which every
  layer accepts its input and every concat/add gets equal sizes, as a finite list below a
  threshold ``N0`` plus residue classes mod ``P`` from ``N0`` on (e.g. ``H >= 16 and H = 0
  mod 16``), with the first layer that fails, and why, for each excluded class;
* **skip connections** (concat/add) and **decoder restores** (``restores:`` in the file)
  checked for all sizes, with the smallest counterexample and the ``output_padding``/padding
  change that fixes a transposed convolution;
* **findings with stable codes** (below).

The valid-size proof (the argument of T21, :mod:`symconv.sizeproof`, lifted to a graph).  Fix
one spatial axis and let ``n`` be its input size.  Every layer's output size is a
non-decreasing quasi-affine function of its input (sums of ``floor((a m + b)/c)``) with a
period ``L`` and shift ``g``: ``out(m + L) = out(m) + g`` (conv/pool: ``L = s, g = 1``;
transposed conv/unpool/pixel shuffle: ``L = 1, g = s`` or ``r``; pixel unshuffle ``L = r, g =
1``; resize by ``p/q``: ``L = q, g = p``; a fixed output size: ``g = 0``).  Composing along the
graph gives, for every tensor ``t``, ``size_t(n + P) = size_t(n) + D_t`` with one period ``P``
for the axis (computed exactly).  Every rejection is one of: a lower bound on a size (kernel
fits the padded input, output >= 1), an upper bound by a constant (requested output sizes), a
divisibility condition (pixel unshuffle; periodic mod ``P`` by construction), or an equality of
two sizes at a concat/add.  Each layer's bounds involve only its own constants, so once every
growing tensor (``D_t > 0``) is at least the sum ``C`` of its consumers' constants, bounds are
settled for that residue class; equalities with equal shifts are periodic; equalities with
unequal shifts ``h(n + mP) = h(n) + m c`` (``c != 0``) hold at most once per class, at the
solved ``m``.  The scan evaluates every size until each of the ``P`` classes is settled, so
the set it returns is exact for every ``n``.

Findings (stable codes; ``error`` fails ``symconv review``, ``warning`` fails it with
``--fail-on warning``):

======  ===============================  =======  =============================================
code    name                             level    when
======  ===============================  =======  =============================================
SC001   layer-rejects-input              error    at the given input size a layer rejects its
                                                  input (the first such layer, and why)
SC002   skip-mismatch                    error    at the given input size a concat/add gets
                                                  different spatial sizes
SC003   no-valid-size                    error    no input size works on an axis
SC004   channel-mismatch                 error    channel counts disagree (add, in_channels,
                                                  groups, pixel shuffle)
SC005   restore-mismatch                 error    at the given input size a ``restores:``
                                                  target is not restored
SC101   checkerboard-risk                warning  transposed conv with uneven overlap
                                                  (``s`` does not divide ``k``, or
                                                  ``gcd(s, d) > 1``; T16)
SC102   gradient-checkerboard            warning  strided conv whose input gradient is uneven
                                                  (same criterion, T17)
SC201   tf-same-asymmetric-padding       warning  SAME padding whose split is asymmetric or
                                                  depends on the input size
SC202   ceil-mode-last-window            warning  ceil-mode pooling where PyTorch/ONNX's
                                                  last-window rule differs from plain ceil
                                                  (older ONNX, Caffe)
SC203   count-include-pad-default        warning  padded average pooling relying on the
                                                  framework default of ``count_include_pad``
SC204   output-padding-not-adjoint       warning  ``output_padding >= stride``: not the
                                                  adjoint of a conv (T02)
SC205   resize-coordinate-mode           warning  a resize whose result depends on the
                                                  framework's coordinate/nearest mode
SC206   maxunpool-index-semantics        warning  max-unpooling whose indices PyTorch and ONNX
                                                  read differently, or overlapping windows
SC207   decoder-restore                  warning  a ``restores:`` target (or a skip fed by a
                                                  transposed conv) is restored only for some
                                                  sizes; the fix is given
SC208   skip-size-constraint             warning  a concat/add restricts the valid sizes (its
                                                  inputs exist but differ for some sizes)
SC301   receptive-field-exceeds-input    warning  an output's receptive field is larger than
                                                  the input on some axis
======  ===============================  =======  =============================================

>>> from symconv.network import loads
>>> net = loads('''
... inputs: [{name: x, size: [H]}]
... layers:
...   - {name: down, op: conv, kernel: 3, stride: 2, padding: 1}
...   - {name: up, op: conv-transpose, kernel: 3, stride: 2, padding: 1, output_padding: 1}
...   - {name: cat, op: concat, inputs: [up, x]}
... ''', "yaml")
>>> r = review(net)
>>> r.validity[0].describe()
'H = 0 mod 2'
>>> [t.formula[0] for t in r.tensors]
['H', 'floor(H/2 - 1/2) + 1', '2*floor(H/2 - 1/2) + 2', '2*floor(H/2 - 1/2) + 2']
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from symconv.errors import InvalidSpecError, SymconvError, UnsupportedError
from symconv.network import MERGE_OPS, Network, Node
from symconv.shapes import output_channels, resolve
from symconv.spec import (
    AvgPool,
    Conv,
    Convention,
    ConvTranspose,
    MaxPool,
    MaxUnpool,
    PadMode,
    PixelShuffle,
    PixelUnshuffle,
    Resize,
)

__all__ = [
    "CODES",
    "AxisValidity",
    "Finding",
    "Review",
    "SkipCheck",
    "TensorRow",
    "intersect",
    "review",
]

#: code -> (name, severity)
CODES: dict[str, tuple[str, str]] = {
    "SC001": ("layer-rejects-input", "error"),
    "SC002": ("skip-mismatch", "error"),
    "SC003": ("no-valid-size", "error"),
    "SC004": ("channel-mismatch", "error"),
    "SC005": ("restore-mismatch", "error"),
    "SC101": ("checkerboard-risk", "warning"),
    "SC102": ("gradient-checkerboard", "warning"),
    "SC201": ("tf-same-asymmetric-padding", "warning"),
    "SC202": ("ceil-mode-last-window", "warning"),
    "SC203": ("count-include-pad-default", "warning"),
    "SC204": ("output-padding-not-adjoint", "warning"),
    "SC205": ("resize-coordinate-mode", "warning"),
    "SC206": ("maxunpool-index-semantics", "warning"),
    "SC207": ("decoder-restore", "warning"),
    "SC208": ("skip-size-constraint", "warning"),
    "SC301": ("receptive-field-exceeds-input", "warning"),
}

#: Largest period and scan length the exact valid-size computation accepts.
MAX_PERIOD = 1 << 16
MAX_SCAN = 1 << 20


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding: stable ``code``, its ``name`` and ``severity``, the node it concerns."""

    code: str
    node: str | None
    message: str

    @property
    def name(self) -> str:
        return CODES[self.code][0]

    @property
    def severity(self) -> str:
        return CODES[self.code][1]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "severity": self.severity,
                "node": self.node, "message": self.message}


@dataclass(frozen=True, slots=True)
class TensorRow:
    """A tensor (input or node output): exact size formula per axis, value at the input."""

    name: str
    op: str
    inputs: tuple[str, ...]
    formula: tuple[str, ...]
    value: tuple[int, ...] | None
    channels: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "op": self.op, "inputs": list(self.inputs),
                "formula": list(self.formula),
                "value": None if self.value is None else list(self.value),
                "channels": self.channels}


@dataclass(frozen=True, slots=True)
class AxisValidity:
    """The exact set of valid input sizes on one axis.

    ``n`` is valid iff ``n in below`` (for ``n < threshold``), or ``n mod period in classes``
    or ``n in isolated`` (for ``n >= threshold``).  ``reasons`` gives, for each excluded residue
    class past the threshold, the smallest failing size there and the first layer that
    rejects it.
    """

    axis: int
    symbol: str
    period: int
    threshold: int
    below: tuple[int, ...]
    classes: tuple[int, ...]
    isolated: tuple[int, ...] = ()
    reasons: tuple[tuple[int, str], ...] = ()
    argument: str = ""

    def __contains__(self, n: object) -> bool:
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            return False
        if n < self.threshold:
            return n in self.below
        return n % self.period in self.classes or n in self.isolated

    @property
    def empty(self) -> bool:
        return not (self.below or self.classes or self.isolated)

    @property
    def minimum(self) -> int | None:
        """The smallest valid size (``None`` when there is none)."""
        if self.below:
            return self.below[0]
        cands = [self.threshold + (r - self.threshold) % self.period for r in self.classes]
        cands += list(self.isolated)
        return min(cands) if cands else None

    def smallest(self, count: int) -> tuple[int, ...]:
        """The ``count`` smallest valid sizes."""
        out: list[int] = []
        n = 1
        limit = self.threshold + self.period * (count + 1) + max(self.isolated, default=0)
        while len(out) < count and n <= limit:
            if n in self:
                out.append(n)
            n += 1
        return tuple(out)

    def _start(self) -> int:
        """The smallest ``m`` with ``n valid <=> n mod P in classes`` for every ``n >= m``."""
        m = self.threshold
        while m > 1 and ((m - 1) in self) == ((m - 1) % self.period in self.classes):
            m -= 1
        return m

    def describe(self) -> str:
        """The set in words, e.g. ``H >= 16 and H = 0 mod 16`` (plus listed exceptions)."""
        s = self.symbol
        if self.empty:
            return f"no valid {s}"
        if not self.classes:
            pts = [*self.below, *self.isolated]
            return f"{s} in {{{', '.join(map(str, pts))}}}"
        m = self._start()
        q, residues = _reduce(self.period, self.classes)
        extra = [n for n in range(1, m) if n in self] + [
            n for n in self.isolated if n % self.period not in self.classes]
        if q == 1:
            cond = f"{s} >= {m}" if m > 1 else f"every {s} >= 1"
        else:
            first = min(m + (r - m) % q for r in residues)
            res = ", ".join(map(str, residues))
            mod = f"{s} = {res} mod {q}" if len(residues) == 1 else f"{s} mod {q} in {{{res}}}"
            cond = mod if first - q < 1 or (first <= m and _all_from_start(self, m, q, residues)) \
                else f"{s} >= {first} and {mod}"
        if extra:
            cond += f", or {s} in {{{', '.join(map(str, sorted(extra)))}}}"
        return cond

    def to_dict(self) -> dict[str, Any]:
        return {"axis": self.axis, "symbol": self.symbol, "period": self.period,
                "threshold": self.threshold, "below": list(self.below),
                "classes": list(self.classes), "isolated": list(self.isolated),
                "minimum": self.minimum, "description": self.describe(),
                "excluded": [{"example": n, "reason": why} for n, why in self.reasons],
                "argument": self.argument}


def _all_from_start(v: AxisValidity, m: int, q: int, residues: tuple[int, ...]) -> bool:
    """True when every ``n < m`` in the residue classes is valid too (no lower bound needed)."""
    return all(n in v for n in range(1, m) if n % q in residues)


def _reduce(period: int, classes: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """The smallest modulus ``q | period`` describing the same union of residue classes."""
    cs = set(classes)
    for q in range(1, period + 1):
        if period % q:
            continue
        if all((r in cs) == ((r % q) in {c % q for c in cs}) for r in range(period)):
            return q, tuple(sorted({c % q for c in cs}))
    return period, tuple(sorted(cs))


@dataclass(frozen=True, slots=True)
class SkipCheck:
    """A concat/add (or a declared ``restores``) checked for all sizes on one axis."""

    node: str
    kind: str  # "merge" or "restore"
    axis: int
    holds_always: bool
    counterexample: int | None
    sizes: tuple[tuple[str, int], ...]
    fix: str = ""
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "kind": self.kind, "axis": self.axis,
                "holds_always": self.holds_always, "counterexample": self.counterexample,
                "sizes": [[n, v] for n, v in self.sizes], "fix": self.fix,
                "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Review:
    """Everything :func:`review` found."""

    network: Network
    input_size: tuple[int, ...] | None
    tensors: tuple[TensorRow, ...]
    validity: tuple[AxisValidity | None, ...]
    checks: tuple[SkipCheck, ...]
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    def without(self, codes: Sequence[str]) -> Review:
        """This review with the findings of ``codes`` dropped (e.g. accepted warnings).

        >>> r = Review(None, None, (), (), (), (Finding("SC101", "a", "m"),))  # type: ignore[arg-type]
        >>> r.without(["SC101"]).findings
        ()
        """
        unknown = [c for c in codes if c not in CODES]
        if unknown:
            raise InvalidSpecError(
                f"code={unknown[0]!r} must be one of {', '.join(CODES)}"
            )
        keep = tuple(f for f in self.findings if f.code not in set(codes))
        return dataclasses.replace(self, findings=keep)

    def node_findings(self, name: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.node == name)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (schema: ``symconv/schema/review.schema.json``)."""
        return {
            "schema": "symconv-review/1",
            "network": self.network.name,
            "input_size": None if self.input_size is None else list(self.input_size),
            "tensors": [t.to_dict() for t in self.tensors],
            "valid_sizes": [None if v is None else v.to_dict() for v in self.validity],
            "checks": [c.to_dict() for c in self.checks],
            "findings": [f.to_dict() for f in self.findings],
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "notes": list(self.notes),
        }


# =========================================================================== entry point


def review(network: Network, input_size: Sequence[int] | None = None, *,
           symbolic: bool = False) -> Review:
    """Review ``network``: formulas, values at ``input_size`` (default: the file's sizes when
    they are all integers, unless ``symbolic``), valid sizes per axis, skip/restore checks and
    findings."""
    if symbolic and input_size is not None:
        raise InvalidSpecError("symbolic=True must not be combined with an input size")
    nd = network.ndim
    if input_size is not None:
        input_size = tuple(input_size)
        if len(input_size) != nd:
            raise InvalidSpecError(
                f"input size={'x'.join(map(str, input_size))} must have {nd} axes like the "
                f"network's inputs"
            )
        for size in input_size:
            if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                raise InvalidSpecError(f"input size={size!r} must be positive integers")
    findings: list[Finding] = []
    notes: list[str] = [f"not analysed: {what}" for what in network.ignored]
    channels = _channels(network, findings)
    concrete = None if symbolic else _concrete_inputs(network, input_size)
    values, first_failure = _evaluate_nd(network, concrete) if concrete else ({}, None)
    if first_failure is not None:
        findings.append(first_failure)
    formulas = _symbolic(network, notes)
    tensors = _rows(network, formulas, values, channels)
    validity: list[AxisValidity | None] = []
    checks: list[SkipCheck] = []
    cache: dict[Any, tuple[AxisValidity, list[SkipCheck]]] = {}
    for a in range(nd):
        try:
            v, cs = _axis_analysis_cached(network, a, cache)
        except UnsupportedError as exc:
            notes.append(f"axis {a}: valid sizes not computed: {exc}")
            validity.append(None)
            continue
        validity.append(v)
        checks.extend(cs)
        if v.empty:
            findings.append(Finding("SC003", None, f"axis {a}: no input size is accepted: "
                                    f"{v.reasons[0][1] if v.reasons else 'every size fails'}"))
    notes.extend(_shared_symbols(validity))
    findings.extend(_check_findings(network, checks, concrete, values))
    findings.extend(_layer_warnings(network, concrete, validity))
    order = {c: i for i, c in enumerate(CODES)}
    findings.sort(key=lambda f: (CODES[f.code][1] != "error", order[f.code]))
    return Review(network, concrete, tensors, tuple(validity), tuple(checks),
                  tuple(dict.fromkeys(findings)), tuple(notes))


def intersect(sets: Sequence[AxisValidity], symbol: str) -> AxisValidity:
    """The sizes valid on every one of ``sets`` (a symbol used on several axes), exactly.

    >>> a = AxisValidity(0, "N", 2, 3, (2,), (0,))
    >>> b = AxisValidity(1, "N", 3, 1, (), (0,))
    >>> intersect([a, b], "N").describe()
    'N = 0 mod 6'
    """
    period = math.lcm(*(v.period for v in sets))
    threshold = max(v.threshold for v in sets)
    below = tuple(n for n in range(1, threshold) if all(n in v for v in sets))
    classes = tuple(r for r in range(period)
                    if all((threshold + (r - threshold) % period) % v.period in v.classes
                           for v in sets))
    isolated = tuple(sorted({n for v in sets for n in v.isolated
                             if n >= threshold and n % period not in classes
                             and all(n in w for w in sets)}))
    return AxisValidity(sets[0].axis, symbol, period, threshold, below, classes, isolated)


def _shared_symbols(validity: Sequence[AxisValidity | None]) -> list[str]:
    by_symbol: dict[str, list[AxisValidity]] = {}
    for v in validity:
        if v is not None:
            by_symbol.setdefault(v.symbol, []).append(v)
    out = []
    for sym, vs in by_symbol.items():
        if len(vs) > 1:
            axes = ", ".join(str(v.axis) for v in vs)
            out.append(f"{sym} is the size of axes {axes}: valid {sym} (every axis): "
                       f"{intersect(vs, sym).describe()}")
    return out


def _concrete_inputs(net: Network, size: tuple[int, ...] | None) -> tuple[int, ...] | None:
    if size is not None:
        return size
    first = net.inputs[0].size
    if all(isinstance(v, int) for v in first):
        return tuple(int(v) for v in first)
    return None


def _input_values(net: Network, size: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    """Every input's sizes when the first input has ``size``: shared symbols follow it."""
    sym: dict[str, int] = {}
    for v, n in zip(net.inputs[0].size, size, strict=True):
        if isinstance(v, str):
            sym.setdefault(v, n)
    out: dict[str, tuple[int, ...]] = {net.inputs[0].name: size}
    for inp in net.inputs[1:]:
        vals = []
        for a, v in enumerate(inp.size):
            if isinstance(v, int):
                vals.append(v)
            elif v in sym:
                vals.append(sym[v])
            else:
                vals.append(size[a])
        out[inp.name] = tuple(vals)
    return out


# =========================================================================== channels


def _channels(net: Network, findings: list[Finding]) -> dict[str, int | None]:
    ch: dict[str, int | None] = {i.name: i.channels for i in net.inputs}
    nd = net.ndim
    for node in net.nodes:
        srcs = [ch.get(s) for s in node.inputs]
        c: int | None
        if node.op == "concat":
            c = None if any(x is None for x in srcs) else sum(x for x in srcs if x is not None)
        elif node.op == "add":
            known = {x for x in srcs if x is not None}
            if len(known) > 1:
                findings.append(Finding("SC004", node.name, (
                    f"{node.name}: add of channels "
                    f"{', '.join(f'{s}={ch.get(s)}' for s in node.inputs)} must have equal "
                    "channel counts")))
            c = next(iter(known)) if len(known) == 1 and None not in srcs else (
                next(iter(known)) if known else None)
        elif node.layer is None or node.op == "pad":
            c = srcs[0]
        else:
            src = srcs[0]
            try:
                if src is None:
                    c = _declared_out(node)
                else:
                    c = output_channels(node.layer, src, nd)
            except SymconvError as exc:
                findings.append(Finding("SC004", node.name, f"{node.name}: {exc}"))
                c = _declared_out(node)
        ch[node.name] = c
    return ch


def _declared_out(node: Node) -> int | None:
    if isinstance(node.layer, Conv | ConvTranspose):
        return node.layer.out_channels
    return None


# =========================================================================== N-D evaluation


def _evaluate_nd(net: Network, size: tuple[int, ...]
                 ) -> tuple[dict[str, tuple[int, ...]], Finding | None]:
    """Sizes of every tensor at ``size``; the first rejection (topological order) as SC001/2."""
    vals: dict[str, tuple[int, ...]] = dict(_input_values(net, size))
    first: Finding | None = None
    for node in net.nodes:
        srcs = [vals.get(s) for s in node.inputs]
        if any(s is None for s in srcs):
            continue
        ins = [s for s in srcs if s is not None]
        if node.op in MERGE_OPS:
            if len(set(ins)) > 1:
                shown = ", ".join(f"{s}={_x(v)}" for s, v in zip(node.inputs, ins, strict=True))
                if first is None:
                    first = Finding("SC002", node.name, (
                        f"{node.name}: {node.op} inputs have different spatial sizes at input "
                        f"{_x(size)}: {shown}"))
                continue
            vals[node.name] = ins[0]
        elif node.layer is None:
            vals[node.name] = ins[0]
        else:
            try:
                vals[node.name] = tuple(int(o) for o in resolve(node.layer, ins[0]).output)
            except SymconvError as exc:
                if first is None:
                    first = Finding("SC001", node.name, (
                        f"{node.name} ({node.op}) rejects its input {_x(ins[0])} (network input "
                        f"{_x(size)}): {exc}"))
    return vals, first


def _x(v: Sequence[Any]) -> str:
    return "x".join(map(str, v))


# =========================================================================== symbolic


def _symbolic(net: Network, notes: list[str]) -> dict[str, tuple[str, ...]]:
    """Exact size formulas of every tensor in the inputs' symbols (SymPy, no evaluation of
    text: symbols are created from identifier names).  Computed per axis on the 1-D network;
    axes with the same 1-D network share the work (the symbol is substituted)."""
    import sympy

    syms: dict[str, Any] = {}

    def sym(v: int | str) -> Any:
        if isinstance(v, int):
            return sympy.Integer(v)
        if v not in syms:
            syms[v] = sympy.Symbol(v, integer=True, positive=True)
        return syms[v]

    nd = net.ndim
    cache: dict[Any, tuple[tuple[Any, ...], dict[str, Any]]] = {}
    axes: list[dict[str, Any]] = []
    failed: dict[str, str] = {}
    for a in range(nd):
        key = _axis_key(net, a)
        here = tuple(sym(i.size[a]) for i in net.inputs)
        if key in cache:
            base, vals = cache[key]
            mapping = {b: h for b, h in zip(base, here, strict=True) if b != h}
            axes.append({k: v.xreplace(mapping) if mapping else v for k, v in vals.items()})
            continue
        vals = {i.name: x for i, x in zip(net.inputs, here, strict=True)}
        for node in net.nodes:
            first = vals.get(node.inputs[0])
            if first is None or any(src not in vals for src in node.inputs):
                continue
            if node.layer is None:
                vals[node.name] = first
                continue
            try:
                o = resolve(_project(node.layer, a, nd), (first,)).output[0]
                vals[node.name] = sympy.Integer(o) if isinstance(o, int) else o
            except SymconvError as exc:
                failed.setdefault(node.name, f"{node.name}: no closed form ({exc})")
            except Exception as exc:  # SymPy itself can fail on nested Piecewise/floor
                failed.setdefault(node.name, f"{node.name}: no closed form (SymPy "
                                  f"{type(exc).__name__}); sizes and valid sets are unaffected")
        cache[key] = (here, vals)
        axes.append(vals)
    notes.extend(failed.values())
    names = [i.name for i in net.inputs] + [n.name for n in net.nodes]
    return {k: tuple(str(ax[k]) for ax in axes) for k in names if all(k in ax for ax in axes)}


def _rows(net: Network, formulas: dict[str, tuple[str, ...]],
          values: dict[str, tuple[int, ...]], channels: dict[str, int | None]
          ) -> tuple[TensorRow, ...]:
    rows = [TensorRow(i.name, "input", (), formulas.get(i.name, ()), values.get(i.name),
                      channels.get(i.name)) for i in net.inputs]
    for node in net.nodes:
        rows.append(TensorRow(node.name, node.op, node.inputs,
                              formulas.get(node.name, ("?",) * net.ndim),
                              values.get(node.name), channels.get(node.name)))
    return tuple(rows)


# =========================================================================== one axis


def _project(layer: Any, axis: int, ndim: int) -> Any:
    """``layer`` restricted to one spatial axis (every per-axis field sliced, ``ndim=1``)."""
    spec = layer.at(ndim)
    changes: dict[str, Any] = {"ndim": 1}
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if f.metadata.get("per_axis") and isinstance(value, tuple):
            changes[f.name] = (value[axis],)
    return dataclasses.replace(spec, **changes)


def _period_shift(spec: Any) -> tuple[int, int]:
    """``(L, g)`` with ``out(m + L) = out(m) + g`` for the 1-D spec."""
    if isinstance(spec, Conv | MaxPool | AvgPool):
        return int(spec.stride[0]), 1
    if isinstance(spec, ConvTranspose | MaxUnpool):
        if spec.output_size is not None or (
                isinstance(spec, ConvTranspose) and spec.convention is Convention.TENSORFLOW):
            return 1, 0
        return 1, int(spec.stride[0])
    if isinstance(spec, Resize):
        if spec.size is not None:
            return 1, 0
        f = Fraction(spec.scale_factor[0])
        return f.denominator, f.numerator
    if isinstance(spec, PixelShuffle):
        return 1, int(spec.factor)
    if isinstance(spec, PixelUnshuffle):
        return int(spec.factor), 1
    raise UnsupportedError(f"layer={spec!r} has no known period")


def _constant(spec: Any) -> int:
    """An upper bound on every size constant in the 1-D spec's rejection rules."""
    total = 2
    for f in dataclasses.fields(spec):
        v = getattr(spec, f.name)
        if f.name in ("ndim", "groups", "in_channels", "out_channels"):
            continue
        for x in _flatten(v):
            total += abs(int(x.numerator) + int(x.denominator)) if isinstance(x, Fraction) \
                else abs(int(x))
    if isinstance(spec, Conv | MaxPool | AvgPool | ConvTranspose | MaxUnpool):
        total += int(spec.dilation[0]) * int(spec.kernel[0])
    return total


def _flatten(v: Any) -> list[Any]:
    if isinstance(v, tuple | list):
        return [y for x in v for y in _flatten(x)]
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return []
    if isinstance(v, int | Fraction):
        return [v]
    if isinstance(v, float):
        return [Fraction(v)]
    return []


@dataclass
class _Plan:
    """The network on one axis: 1-D specs, periods, shifts and constants."""

    net: Network
    axis: int
    symbol: str
    varying: frozenset[str]  # inputs whose size on this axis is n
    fixed: dict[str, int]  # inputs whose size is a constant
    specs: dict[str, Any]
    period: int
    shift: dict[str, int]  # D_t for a step of P
    need: dict[str, int]  # growing tensor t must reach need[t] for its consumers to settle
    merges: dict[str, bool]  # merge node -> its inputs have equal shifts
    restores: tuple[Node, ...] = ()
    evals: int = 0

    def run(self, n: int) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
        """Sizes at input ``n`` of every tensor that exists, and every failure as
        ``(node, kind, message)`` with kind 'reject' or 'mismatch'."""
        self.evals += 1
        vals: dict[str, int] = {name: n for name in self.varying}
        vals.update(self.fixed)
        fails: list[tuple[str, str, str]] = []
        for node in self.net.nodes:
            ins = [vals.get(s) for s in node.inputs]
            if any(v is None for v in ins):
                continue
            first = ins[0]
            assert first is not None
            if node.op in MERGE_OPS:
                if len(set(ins)) > 1:
                    shown = ", ".join(f"{s}={v}" for s, v in zip(node.inputs, ins, strict=True))
                    fails.append((node.name, "mismatch",
                                  f"{node.op} inputs differ: {shown}"))
                    continue
                vals[node.name] = first
            elif node.layer is None:
                vals[node.name] = first
            else:
                try:
                    vals[node.name] = int(resolve(self.specs[node.name], (first,)).output[0])
                except SymconvError as exc:
                    fails.append((node.name, "reject", f"rejects size {first}: {exc}"))
        return vals, fails


def _make_plan(net: Network, a: int) -> _Plan:
    nd = net.ndim
    syms = {i.size[a] for i in net.inputs if isinstance(i.size[a], str)}
    if len(syms) > 1:
        raise UnsupportedError(
            f"inputs use different symbols ({', '.join(sorted(map(str, syms)))}) on one axis"
        )
    if syms:
        symbol = str(next(iter(syms)))
        varying = frozenset(i.name for i in net.inputs if i.size[a] == symbol)
        fixed = {i.name: int(i.size[a]) for i in net.inputs if i.name not in varying}
    else:
        first = net.inputs[0].size[a]
        symbol = f"n{a}"
        varying = frozenset(i.name for i in net.inputs if i.size[a] == first)
        fixed = {i.name: int(i.size[a]) for i in net.inputs if i.name not in varying}
    specs = {n.name: _project(n.layer, a, nd) for n in net.nodes if n.layer is not None}
    # (P_t, A_t): size_t(n + P_t) = size_t(n) + A_t
    pa: dict[str, tuple[int, int]] = {name: (1, 1) for name in varying}
    pa.update({name: (1, 0) for name in fixed})
    merges: dict[str, bool] = {}
    for node in net.nodes:
        ins = [pa[s] for s in node.inputs]
        if node.op in MERGE_OPS:
            p = math.lcm(*(x[0] for x in ins))
            shifts = [x[1] * (p // x[0]) for x in ins]
            merges[node.name] = len(set(shifts)) == 1
            pa[node.name] = (p, shifts[0])
        elif node.layer is None:
            pa[node.name] = ins[0]
        else:
            big_l, g = _period_shift(specs[node.name])
            p_in, a_in = ins[0]
            m = big_l // math.gcd(a_in, big_l) if a_in else 1
            pa[node.name] = (p_in * m, (a_in * m // big_l) * g)
        if pa[node.name][0] > MAX_PERIOD:
            raise UnsupportedError(f"the size period exceeds {MAX_PERIOD} at {node.name}")
    period = math.lcm(*(p for p, _ in pa.values()))
    if period > MAX_PERIOD:
        raise UnsupportedError(f"the size period {period} exceeds {MAX_PERIOD}")
    shift = {t: A * (period // P) for t, (P, A) in pa.items()}
    need: dict[str, int] = {}
    for node in net.nodes:
        if node.layer is None:
            continue
        c = _constant(specs[node.name])
        src = node.inputs[0]
        need[src] = need.get(src, 0) + c
    restores = tuple(n for n in net.nodes if n.restores is not None)
    return _Plan(net, a, symbol, varying, fixed, specs, period, shift, need, merges, restores)


def _settled(plan: _Plan, vals: dict[str, int], fails: list[tuple[str, str, str]]) -> bool:
    """True when nothing changes along ``n + mP`` (except unequal-shift merges)."""
    for t, v in vals.items():
        if plan.shift.get(t, 0) > 0 and v < plan.need.get(t, 0):
            return False
    for name, kind, _ in fails:
        node = plan.net.node(name)
        if kind == "reject":
            src = node.inputs[0]
            if plan.shift.get(src, 0) > 0 and vals[src] < plan.need.get(src, 0):
                return False
    return True


def _solve_merge(plan: _Plan, node: Node, vals: dict[str, int], n: int) -> int | None:
    """The only ``n' = n + mP`` (m >= 1) where an unequal-shift merge can match, if any."""
    d0 = plan.shift[node.inputs[0]]
    v0 = vals[node.inputs[0]]
    ms: set[int] = set()
    for s in node.inputs[1:]:
        h = vals[s] - v0
        c = plan.shift[s] - d0
        if c == 0:
            if h != 0:
                return None
            continue
        if h % c or -h // c < 1:
            return None
        ms.add(-h // c)
    if len(ms) != 1:
        return None
    return n + ms.pop() * plan.period


def _axis_key(net: Network, a: int) -> Any:
    """What the analysis of axis ``a`` depends on: the 1-D specs and the inputs' sizes."""
    nd = net.ndim
    specs = tuple(repr(_project(n.layer, a, nd)) if n.layer is not None else n.op
                  for n in net.nodes)
    return specs, tuple(i.size[a] if isinstance(i.size[a], int) else "*" for i in net.inputs)


def _axis_analysis_cached(net: Network, a: int, cache: dict[Any, Any]
                          ) -> tuple[AxisValidity, list[SkipCheck]]:
    """Axes with the same 1-D network share one analysis (symbol and axis renamed)."""
    key = _axis_key(net, a)
    if key in cache:
        v, cs = cache[key]
        symbol = _make_plan(net, a).symbol
        v2 = dataclasses.replace(v, axis=a, symbol=symbol,
                                 argument=v.argument.replace(f"axis {v.axis}", f"axis {a}"))
        return v2, [dataclasses.replace(c, axis=a, fix=c.fix.replace(
            f"axis {v.axis}", f"axis {a}"))
            for c in cs]
    cache[key] = _axis_analysis(net, a)
    return cache[key]


def _axis_analysis(net: Network, a: int) -> tuple[AxisValidity, list[SkipCheck]]:
    plan = _make_plan(net, a)
    P = plan.period
    settled: dict[int, int] = {}  # residue -> settle point
    class_valid: dict[int, bool] = {}
    valid: list[int] = []
    isolated: list[int] = []
    reasons: dict[int, tuple[int, str]] = {}
    first_fail: dict[int, dict[str, tuple[int, str]]] = {}  # class -> node -> first failure
    merge_cex: dict[str, tuple[int, tuple[tuple[str, int], ...]]] = {}
    unequal = {name for name, eq in plan.merges.items() if not eq}
    n = 0
    while len(settled) < P:
        n += 1
        if n > MAX_SCAN:
            raise UnsupportedError(f"the sizes did not settle below n={MAX_SCAN}")
        r = n % P
        if r in settled:
            continue
        vals, fails = plan.run(n)
        if fails:
            first_fail.setdefault(r, {}).setdefault(fails[0][0], (n, f"{fails[0][0]}: "
                                                                   f"{fails[0][2]}"))
        for name, kind, _ in fails:
            if kind == "mismatch" and name not in merge_cex:
                node = plan.net.node(name)
                merge_cex[name] = (n, tuple((s, vals[s]) for s in node.inputs))
        if not fails:
            valid.append(n)
        if _settled(plan, vals, fails):
            settled[r] = n
            passed_unequal = any(m in vals for m in unequal)
            if not fails:
                class_valid[r] = not passed_unequal
                if passed_unequal:
                    pass  # n itself is recorded in ``valid``; later members fail the merge
            else:
                class_valid[r] = False
                reasons[r] = first_fail[r][fails[0][0]]
                for fname, kind, _ in fails:
                    if kind == "mismatch" and fname in unequal:
                        cand = _solve_merge(plan, plan.net.node(fname), vals, n)
                        if cand is not None:
                            _, cf = plan.run(cand)
                            if not cf:
                                isolated.append(cand)
                        break
    threshold = max(settled.values()) + 1
    below = tuple(v for v in valid if v < threshold)
    # a class settled earlier than the threshold: its members in [settle, threshold) follow it
    below = tuple(sorted(set(below) | {
        m for r, s in settled.items() if class_valid[r]
        for m in range(s, threshold, P)}))
    classes = tuple(sorted(r for r, ok in class_valid.items() if ok))
    extra_valid = tuple(sorted(set(v for v in valid if v >= threshold) | set(isolated)))
    argument = (
        f"Proof: every tensor size on axis {a} satisfies size(n + {P}) = size(n) + D with the "
        f"exact shifts D of the layers' quasi-affine size formulas (period P={P}). All "
        f"{P} residue classes were evaluated until every growing size exceeded its consumers' "
        f"constants (threshold N0={threshold}, {plan.evals} evaluations); past that point lower "
        "bounds hold, upper bounds by constants fail, divisibility and equal-shift equalities "
        "repeat with period P, and unequal-shift equalities hold at most once per class (solved "
        "exactly), so the set is exact for every size."
    )
    validity = AxisValidity(
        axis=a, symbol=plan.symbol, period=P, threshold=threshold, below=below,
        classes=classes, isolated=extra_valid,
        reasons=tuple(sorted(reasons.values())), argument=argument)
    checks = _skip_checks(plan, validity, merge_cex)
    return validity, checks


# =========================================================================== skips, restores


def _skip_checks(plan: _Plan, validity: AxisValidity,
                 merge_cex: dict[str, tuple[int, tuple[tuple[str, int], ...]]]
                 ) -> list[SkipCheck]:
    out: list[SkipCheck] = []
    window = range(validity.threshold, validity.threshold + plan.period)
    runs = {n: plan.run(n)[0] for n in window}
    for node in plan.net.nodes:
        if node.op in MERGE_OPS:
            cex = merge_cex.get(node.name)
            fix = ""
            if cex is not None:
                fix = _merge_fix(plan, node, runs)
            out.append(SkipCheck(node.name, "merge", plan.axis, cex is None,
                                 None if cex is None else cex[0],
                                 () if cex is None else cex[1], fix))
        if node.restores is not None:
            out.append(_restore_check(plan, node, node.restores, validity, runs))
    return out


def _transposed_source(plan: _Plan, name: str) -> Node | None:
    """The transposed conv that produced tensor ``name`` (through identity ops), if any."""
    names = {n.name: n for n in plan.net.nodes}
    while name in names:
        node = names[name]
        if isinstance(node.layer, ConvTranspose):
            return node
        if node.op != "identity":
            return None
        name = node.inputs[0]
    return None


def _merge_fix(plan: _Plan, node: Node, runs: dict[int, dict[str, int]]) -> str:
    for i, src in enumerate(node.inputs):
        tconv = _transposed_source(plan, src)
        if tconv is None:
            continue
        others = [s for j, s in enumerate(node.inputs) if j != i]
        return _fix_text(plan, tconv, src, others[0], runs)
    return ""


def _restore_check(plan: _Plan, node: Node, target: str, validity: AxisValidity,
                   runs: dict[int, dict[str, int]]) -> SkipCheck:
    cex: int | None = None
    sizes: tuple[tuple[str, int], ...] = ()
    n = 0
    limit = validity.threshold + plan.period
    while n < limit:
        n += 1
        if n not in validity:
            continue
        vals, _ = plan.run(n)
        if vals.get(node.name) != vals.get(target):
            cex = n
            sizes = ((node.name, vals[node.name]), (target, vals[target]))
            break
    fix = ""
    if cex is not None:
        tconv = _transposed_source(plan, node.name)
        if tconv is not None:
            fix = _fix_text(plan, tconv, node.name, target, runs)
    detail = "" if cex is None else (
        f"restored for the valid input sizes with "
        f"{_restored_classes(plan, node.name, target, validity, runs)}")
    return SkipCheck(node.name, "restore", plan.axis, cex is None, cex, sizes, fix, detail)


def _restored_classes(plan: _Plan, name: str, target: str, validity: AxisValidity,
                      runs: dict[int, dict[str, int]]) -> str:
    good = sorted(n % plan.period for n, v in runs.items()
                  if n in validity and v.get(name) == v.get(target))
    if not good:
        return "no residue class (never, past the threshold)"
    return f"size mod {plan.period} in {{{', '.join(map(str, good))}}}"


def _fix_text(plan: _Plan, tconv: Node, produced: str, target: str,
              runs: dict[int, dict[str, int]]) -> str:
    """The output_padding/padding change that makes ``produced`` equal ``target``."""
    deltas = {vals[target] - vals[produced] for vals in runs.values()
              if target in vals and produced in vals}
    spec = plan.specs[tconv.name]
    if not deltas:
        return ""
    if len(deltas) > 1:
        return (f"no single output_padding fixes {tconv.name} on axis {plan.axis}: the missing "
                f"size is {sorted(deltas)} depending on the input size mod {plan.period}; pass "
                f"the target size at run time (PyTorch forward(output_size=...), ONNX "
                f"output_shape) or restrict the input sizes")
    delta = deltas.pop()
    s, d = int(spec.stride[0]), int(spec.dilation[0])
    op = 0 if spec.output_padding is None else int(spec.output_padding[0])
    new = op + delta
    if isinstance(spec.padding, tuple) and spec.output_size is None:
        pb, pe = (int(x) for x in spec.padding[0])
        if 0 <= new < s:
            return (f"set output_padding={new} on axis {plan.axis} of {tconv.name} (now {op}): "
                    f"the missing size is {delta} for every input size")
        if pe - delta >= 0 and delta != 0:
            return (f"change the padding of {tconv.name} on axis {plan.axis} from {pb}+{pe} to "
                    f"{pb}+{pe - delta} (an output_padding of {new} would not be < stride={s}"
                    f"{'' if d == 1 else f' or dilation={d}'})")
    return (f"{tconv.name} on axis {plan.axis} is {delta:+d} pixels off for every input size; "
            "adjust its padding or output size")


# =========================================================================== findings


def _check_findings(net: Network, checks: list[SkipCheck], concrete: tuple[int, ...] | None,
                    values: dict[str, tuple[int, ...]]) -> list[Finding]:
    out: list[Finding] = []
    shown_nodes: dict[tuple[str, str], list[int]] = {}
    for c in checks:
        if not c.holds_always:
            shown_nodes.setdefault((c.kind, c.node), []).append(c.axis)
    for c in checks:
        if c.holds_always:
            continue
        axes = shown_nodes[(c.kind, c.node)]
        if axes[0] != c.axis:
            continue  # one finding per node: the first failing axis, the others named
        also = f" (also on axis {_list(axes[1:])})" if len(axes) > 1 else ""
        shown = ", ".join(f"{n}={v}" for n, v in c.sizes)
        fix = f"; fix: {c.fix}" if c.fix else ""
        if c.kind == "merge":
            out.append(Finding("SC208", c.node, (
                f"{c.node}: inputs differ on axis {c.axis} for some sizes where they exist; "
                f"smallest counterexample input size {c.counterexample} ({shown}){fix}{also}")))
        else:
            out.append(Finding("SC207", c.node, (
                f"{c.node}: restores {net.node(c.node).restores} on axis {c.axis} only for some "
                f"valid sizes ({c.detail}); smallest valid size where it does not: "
                f"{c.counterexample} ({shown}){fix}{also}")))
    if concrete is not None:
        for node in net.nodes:
            t = node.restores
            if t is None or node.name not in values or t not in values:
                continue
            if values[node.name] != values[t]:
                out.append(Finding("SC005", node.name, (
                    f"{node.name}: size {_x(values[node.name])} does not restore {t}="
                    f"{_x(values[t])} at input {_x(concrete)}")))
    return out


def _layer_warnings(net: Network, concrete: tuple[int, ...] | None,
                    validity: list[AxisValidity | None]) -> list[Finding]:
    out: list[Finding] = []
    nd = net.ndim
    for node in net.nodes:
        layer = node.layer
        if layer is None:
            continue
        spec = layer.at(nd)
        name = node.name
        if isinstance(spec, ConvTranspose):
            out.extend(_transposed_warnings(name, spec))
        if isinstance(spec, Conv):
            bad = [a for a in range(nd) if spec.stride[a] > 1
                   and not _uniform(spec.kernel[a], spec.stride[a], spec.dilation[a])]
            if bad:
                out.append(Finding("SC102", name, (
                    f"{name}: strided conv kernel={_axes(spec.kernel)} stride="
                    f"{_axes(spec.stride)} has an uneven input gradient on axis "
                    f"{_list(bad)} (T17: stride must divide kernel, gcd(stride, dilation) = 1)")))
        if isinstance(spec, Conv | MaxPool | AvgPool):
            f = _same_warning(name, spec, nd)
            if f is not None:
                out.append(f)
        if isinstance(spec, MaxPool | AvgPool) and spec.ceil_mode:
            f = _ceil_warning(name, spec, nd)
            if f is not None:
                out.append(f)
        if isinstance(spec, AvgPool) and "count_include_pad" not in node.given and (
                not isinstance(spec.padding, tuple) or any(p != (0, 0) for p in spec.padding)):
            out.append(Finding("SC203", name, (
                f"{name}: padded average pooling uses the {spec.convention.value} default "
                f"count_include_pad={spec.count_include_pad} (PyTorch: True, ONNX: False, "
                "TensorFlow: padding never counted); set it explicitly")))
        if isinstance(spec, Resize):
            f = _resize_warning(name, spec)
            if f is not None:
                out.append(f)
        if isinstance(spec, MaxUnpool):
            overlap = any(k > s for k, s in zip(spec.kernel, spec.stride, strict=True))
            if spec.output_size is not None or overlap:
                why = []
                if spec.output_size is not None:
                    why.append("with an explicit output size PyTorch reads indices as flat "
                               "positions in the output plane, ONNX in the pre-pool plane "
                               "(onnx#2398)")
                if overlap:
                    why.append("windows overlap (kernel > stride): repeated indices make "
                               "PyTorch's result nondeterministic (T14)")
                out.append(Finding("SC206", name, f"{name}: " + "; ".join(why)))
    out.extend(_receptive_warnings(net, concrete, validity))
    return out


def _uniform(k: int, s: int, d: int) -> bool:
    return math.gcd(s, d) == 1 and k % s == 0


def _axes(v: tuple[Any, ...]) -> str:
    return str(v[0]) if len(set(v)) == 1 else "x".join(map(str, v))


def _list(axes: list[int]) -> str:
    return ", ".join(map(str, axes))


def _transposed_warnings(name: str, spec: ConvTranspose) -> list[Finding]:
    out: list[Finding] = []
    nd = len(spec.kernel)
    bad = [a for a in range(nd) if not _uniform(spec.kernel[a], spec.stride[a], spec.dilation[a])]
    if bad:
        from symconv.coverage import overlap_pattern

        pats = [overlap_pattern(int(spec.kernel[a]), int(spec.stride[a]),
                                d=int(spec.dilation[a])) for a in bad]
        out.append(Finding("SC101", name, (
            f"{name}: transposed conv kernel={_axes(spec.kernel)} stride={_axes(spec.stride)} "
            f"dilation={_axes(spec.dilation)} covers its output unevenly on axis {_list(bad)} "
            f"(taps per output phase {pats[0]}; T16): checkerboard artifacts. Use a kernel "
            "divisible by the stride, or resize then conv")))
    if spec.output_padding is not None and any(
            o >= s for o, s in zip(spec.output_padding, spec.stride, strict=True)):
        out.append(Finding("SC204", name, (
            f"{name}: output_padding={_axes(spec.output_padding)} >= stride="
            f"{_axes(spec.stride)}: allowed by PyTorch because it is < dilation, but the layer "
            "is then not the adjoint (gradient) of any conv with these parameters (T02)")))
    return out


def _same_warning(name: str, spec: Any, nd: int) -> Finding | None:
    if spec.padding not in (PadMode.SAME, PadMode.SAME_UPPER, PadMode.SAME_LOWER):
        return None
    if spec.padding is PadMode.SAME and spec.convention is Convention.TORCH:
        asym = [a for a in range(nd) if (spec.dilation[a] * (spec.kernel[a] - 1)) % 2]
        if not asym:
            return None
        return Finding("SC201", name, (
            f"{name}: padding='same' with an even kernel pads one more on the right on axis "
            f"{_list(asym)}; other frameworks need explicit asymmetric padding"))
    details = []
    for a in range(nd):
        k, s, d = int(spec.kernel[a]), int(spec.stride[a]), int(spec.dilation[a])
        keff = d * (k - 1) + 1
        splits = set()
        for n in range(keff + s, keff + 2 * s):
            total = max((-(-n // s) - 1) * s + keff - n, 0)
            splits.add((total // 2, total - total // 2) if spec.padding is not PadMode.SAME_LOWER
                       else (total - total // 2, total // 2))
        if any(b != e for b, e in splits):
            dep = " depending on the input size mod " + str(s) if len(splits) > 1 else ""
            details.append(f"axis {a}: pads {sorted(splits)}{dep}")
    if not details:
        return None
    return Finding("SC201", name, (
        f"{name}: {spec.padding.value.upper()} padding is asymmetric ({'; '.join(details)}); "
        "porting to PyTorch needs an explicit F.pad, and the split follows the input size"))


def _ceil_warning(name: str, spec: Any, nd: int) -> Finding | None:
    from symconv import formulas as F

    hits = []
    for a in range(nd):
        k, s, d = int(spec.kernel[a]), int(spec.stride[a]), int(spec.dilation[a])
        if not isinstance(spec.padding, tuple):
            continue
        pb, pe = (int(x) for x in spec.padding[a])
        keff = d * (k - 1) + 1
        for n in range(max(keff - pb - pe, 1), max(keff - pb - pe, 1) + 2 * s):
            rule = int(F.pool_size(n, k, s, pb, pe, d, ceil_mode=True))
            plain = -(-(n + pb + pe - keff) // s) + 1
            if rule != plain:
                hits.append(f"axis {a} at n={n}: {rule}, plain ceil {plain}")
                break
    if not hits:
        return None
    return Finding("SC202", name, (
        f"{name}: ceil_mode pooling drops a last window that would start in the padding "
        f"({'; '.join(hits)}); PyTorch and ONNX >= PR #5741 do this, older ONNX shape "
        "inference and Caffe do not"))


def _resize_warning(name: str, spec: Resize) -> Finding | None:
    from symconv.spec import ResizeMode

    integer = spec.scale_factor is not None and all(
        Fraction(f).denominator == 1 and f >= 1 for f in spec.scale_factor)
    if spec.mode is ResizeMode.NEAREST and integer:
        return None  # integer nearest upsampling: asymmetric/floor == half_pixel/round
    what = (f"mode={spec.mode.value} coordinate_mode={spec.coordinate_mode.value}"
            + ("" if spec.nearest_mode is None else f" nearest_mode={spec.nearest_mode.value}"))
    return Finding("SC205", name, (
        f"{name}: resize ({what}) samples different source positions in PyTorch "
        "(nearest: asymmetric+floor; linear: half_pixel or align_corners) and ONNX "
        "(default half_pixel+round_prefer_floor); export with explicit modes"))


def _receptive_warnings(net: Network, concrete: tuple[int, ...] | None,
                        validity: list[AxisValidity | None]) -> list[Finding]:
    from symconv.receptive import receptive_field

    out: list[Finding] = []
    names = {n.name: n for n in net.nodes}
    used = {s for n in net.nodes for s in n.inputs}
    finals = [o for o in net.outputs if o not in used] or list(net.outputs)
    for output in finals:
        chain: list[Any] = []
        name = output
        while name in names:
            node = names[name]
            if node.layer is not None:
                chain.append(node.layer)
            name = node.inputs[0]
        chain.reverse()
        if not chain:
            continue
        for a in range(net.ndim):
            try:
                rf = receptive_field(chain, concrete, axis=a)
            except SymconvError:
                continue
            size = None
            if concrete is not None:
                size = concrete[a]
            else:
                v = validity[a]
                size = None if v is None else v.minimum
            if size is not None and rf.size > size and rf.stride >= 1:
                where = (f"the input size {size}" if concrete is not None else
                         f"input sizes below {rf.size} (the smallest valid size is {size})")
                out.append(Finding("SC301", output, (
                    f"{output}: receptive field {rf.size} on axis {a} exceeds {where} (along "
                    f"{' -> '.join(_path(net, output))}): every output sees padding")))
                break
    return out


def _path(net: Network, output: str) -> list[str]:
    names = {n.name: n for n in net.nodes}
    path = [output]
    while path[-1] in names:
        path.append(names[path[-1]].inputs[0])
    return [path[-1], "...", output] if len(path) > 4 else path[::-1]

