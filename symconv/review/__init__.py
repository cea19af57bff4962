"""Design review of a whole network: shapes for every size, valid sizes, skips, decoders, traps.

:func:`review` takes a :class:`~symconv.network.model.Network` (from a YAML/JSON/TOML file or an ONNX
model) and returns a :class:`Review`:

* **symbolic shape propagation**: every tensor's spatial size as an exact formula in the
  input symbols (:func:`symconv.sizes.shapes.resolve` on SymPy symbols), and its value at a given
  input size;
* **valid input sizes per axis, exactly** (:class:`AxisValidity`): the sizes for which every
  layer accepts its input and every concat/add gets equal sizes, as a finite list below a
  threshold ``N0`` plus residue classes mod ``P`` from ``N0`` on (e.g. ``H >= 16 and H = 0
  mod 16``), with the first layer that fails, and why, for each excluded class;
* **skip connections** (concat/add) and **decoder restores** (``restores:`` in the file, or
  encoder/decoder pairs inferred from the graph, :mod:`symconv.review.pairing`) checked for all
  sizes, with the smallest counterexample, a per-residue table and the fixes that work, each
  verified (:mod:`symconv.review.skips`);
* **findings with stable codes** (below).

The valid-size proof (the argument of T21, :mod:`symconv.sizes.proof`, lifted to a graph).  Fix
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

How the sizes are evaluated (:mod:`symconv.review.validity`): each layer, restricted to the
axis, is tabulated by :func:`symconv.sizes.shapes.resolve` for inputs ``m < c + L`` (``c`` its
constant bound, ``L`` its period) and extended by ``out(m + L) = out(m) + g`` with acceptance
periodic past ``c`` -- the same per-layer fact the argument above rests on, and each table is
checked on a second period before use (a resize by an exact ratio ``p/q`` uses ``floor(m p /
q)`` directly).  So a batch of sizes costs a few numpy operations per layer, periods up to
``2^20`` and scans up to ``2^22`` sizes are accepted, and the tables equal ``resolve`` (tested
on random specs of every kind and convention).  Rules the 1-D view would lose are kept: PyTorch
``avg_pool3d`` needs ``input >= kernel`` on each axis (a per-axis rule of 3-D networks).

Joint constraints (:class:`JointConstraint`): a rule that compares several symbols is not
folded into a per-axis set; the per-symbol sets hold every rule of one symbol and say they are
*subject to* the joint ones, and an input is valid iff both hold.  onnxruntime's MaxUnpool with
``output_shape`` compares element counts over all axes (``prod default_a <= prod
output_shape_a``); inputs with different symbols on one axis (``x: [H, W]``, ``y: [G, W]``)
give a set per symbol (each tensor belongs to one symbol: a layer to its input's, a concat/add
to its first symbolic input's, so what follows a merge is a function of that symbol given the
merge holds) and one coupling ``size_a(H) = size_b(G)`` per merge of different symbols, with
its smallest valid and failing pairs and the matching sizes (both sides are non-decreasing, so
for each ``H`` the matching ``G`` form an interval; whether any pair exists is decided per pair
of residue classes by solving ``u0 + i Du = v0 + j Dv`` over ``i, j >= 0``).

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
SC006   broadcast-mismatch               error    at the given input size an add/mul gets an
                                                  input of size 1 that is not 1 for every
                                                  size (a shrunk skip): the runtimes
                                                  broadcast it and return a wrong-sized output
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
SC205   resize-coordinate-mode           warning  a resize the other framework cannot
                                                  reproduce at the sizes the network feeds it
                                                  (exact maps compared,
                                                  :mod:`symconv.review.sampling`)
SC206   maxunpool-index-semantics        warning  max-unpooling whose indices PyTorch and ONNX
                                                  read differently, or overlapping windows
SC207   decoder-restore                  warning  a ``restores:`` target (or a skip fed by a
                                                  transposed conv) is restored only for some
                                                  sizes; the fix is given
SC208   skip-size-constraint             warning  a concat/add restricts the valid sizes (its
                                                  inputs exist but differ for some sizes)
SC209   inferred-restore                 warning  an up-sampling layer inferred to mirror a
                                                  down-sampling layer (no ``restores:``) does
                                                  not give back its input size for some valid
                                                  sizes (:mod:`symconv.review.pairing`);
                                                  confirm with ``restores: NAME`` or opt out
                                                  with ``restores: false``
SC210   window-on-padding-only           warning  a JAX max pooling (or average without
                                                  counted padding) leaves a window on padding
                                                  only at some layer input sizes: -inf (NaN)
SC301   receptive-field-exceeds-input    warning  an output's receptive field over every path
                                                  from an input (the union at concat/add) is
                                                  larger than that input on some axis; the
                                                  worst input and axis, and the path, named
SC302   partial-analysis                 warning  part of the model is not analysed (a
                                                  classifier head, a reshape that changes the
                                                  spatial layout): the valid sizes hold for
                                                  the analysed outputs only
======  ===============================  =======  =============================================

>>> from symconv.network.model import loads
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
from collections.abc import Sequence
from typing import Any

from symconv.errors import InvalidSpecError, UnsupportedError
from symconv.network.model import Network
from symconv.review.guards import other_branches, with_guards
from symconv.review.model import (
    CODES,
    AxisValidity,
    Finding,
    JointConstraint,
    JointKind,
    RestoreRow,
    Review,
    SkipCheck,
    TensorRow,
    intersect,
)
from symconv.review.pairing import unpaired_notes
from symconv.review.plan import broadcast_gates, constant_sizes
from symconv.review.propagate import (
    concrete_inputs,
    evaluate,
    propagate_channels,
    symbolic_formulas,
    tensor_rows,
)
from symconv.review.skips import check_findings, skip_checks
from symconv.review.traps import layer_warnings
from symconv.review.validity import (
    analyse_axis,
    axis_key,
    axis_symbols,
    joint_constraints,
    make_plan,
    owners,
)
from symconv.spec import Convention, MaxUnpool

__all__ = [
    "CODES",
    "AxisValidity",
    "Finding",
    "JointConstraint",
    "JointKind",
    "RestoreRow",
    "Review",
    "SkipCheck",
    "TensorRow",
    "intersect",
    "review",
]


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
    notes: list[str] = []
    fixed_heads, left_out = _heads(network)
    notes.extend(fixed_heads)
    if network.guards:
        left_out.extend(other_branches(network))
    channels = propagate_channels(network, findings)
    concrete = None if symbolic else concrete_inputs(network, input_size)
    values, first_failure = evaluate(network, concrete) if concrete else ({}, None)
    if first_failure is not None:
        findings.append(first_failure)
    formulas = symbolic_formulas(network, notes)
    tensors = tensor_rows(network, formulas, values, channels)
    validity: list[AxisValidity | None] = []
    checks: list[SkipCheck] = []
    cache: dict[Any, tuple[AxisValidity, list[SkipCheck]]] = {}
    for a in range(nd):
        try:
            v, cs = _axis_review(network, a, cache)
        except _ChecksSkipped as skipped:
            v, cs = skipped.validity, []
            notes.append(skipped.note)
        except UnsupportedError as exc:
            notes.append(f"axis {a}: valid sizes not computed: {exc}")
            validity.append(None)
            continue
        if network.guards:
            v = with_guards(network, a, v, notes, left_out)
        validity.append(v)
        checks.extend(cs)
        if v.empty:
            findings.append(Finding("SC003", None, f"axis {a}: no input size is accepted: "
                                    f"{v.reasons[0][1] if v.reasons else 'every size fails'}"))
    if left_out:
        findings.append(Finding("SC302", None, (
            "not every output or branch of the model is analysed (not analysed: "
            f"{'; '.join(dict.fromkeys(left_out))}): the valid sizes hold for the analysed "
            "outputs only")))
    joint, extra = _joint_review(network, formulas, validity, notes, findings)
    validity = [None if v is None else _subject_to(v, joint) for v in validity]
    notes.extend(_shared_symbols(validity))
    notes.extend(unpaired_notes(network))
    notes.extend(_gate_notes(network))
    findings.extend(check_findings(network, checks, concrete, values))
    findings.extend(layer_warnings(network, concrete, validity, notes))
    order = {c: i for i, c in enumerate(CODES)}
    findings.sort(key=lambda f: (CODES[f.code][1] != "error", order[f.code]))
    return Review(network, concrete, tensors, tuple(validity), tuple(checks),
                  tuple(dict.fromkeys(findings)), tuple(notes), tuple(joint),
                  tuple(_subject_to(v, joint) for v in extra), tuple(dict.fromkeys(left_out)))


def _joint_review(net: Network, formulas: dict[str, tuple[str, ...]],
                  validity: Sequence[AxisValidity | None], notes: list[str],
                  findings: list[Finding]) -> tuple[list[JointConstraint], list[AxisValidity]]:
    """The valid sets of the other symbols of each axis and the joint constraints
    (:func:`symconv.review.validity.joint_constraints`)."""
    nd = net.ndim
    multi = [a for a in range(nd) if len(axis_symbols(net, a)) > 1]
    unpool = nd >= 2 and any(
        isinstance(n.layer, MaxUnpool) and n.layer.convention is Convention.ONNX
        and n.layer.output_size is not None for n in net.nodes)
    if not multi and not unpool:
        return [], []
    sets: dict[tuple[int, str], tuple[AxisValidity, Any]] = {}
    extra: list[AxisValidity] = []
    for a in multi:
        own = owners(net, a)
        for n in net.nodes:
            if n.restores is not None and own.get(n.restores) not in (own[n.name], None):
                notes.append(f"axis {a}: {n.name} restores {n.restores}, whose size is a "
                             f"function of {own[n.restores]}, not {own[n.name]}: not checked "
                             "(the sizes of different symbols are compared only at concat/add)")
    for a in range(nd):
        if validity[a] is None:
            continue
        for i, sym in enumerate(axis_symbols(net, a) or (f"n{a}",)):
            try:
                v, plan, cex = analyse_axis(net, a, sym if i or axis_symbols(net, a) else None)
            except UnsupportedError as exc:
                notes.append(f"axis {a}: valid {sym} not computed: {exc}")
                continue
            sets[(a, plan.symbol)] = (v, plan)
            if i:
                extra.append(v)
                if v.empty:
                    findings.append(Finding("SC003", None, (
                        f"axis {a}: no {sym} is accepted: "
                        f"{v.reasons[0][1] if v.reasons else 'every size fails'}")))
                    continue
                _symbol_checks(plan, v, cex, notes, findings)
    try:
        joint = joint_constraints(net, sets, formulas)
    except UnsupportedError as exc:
        notes.append(f"joint constraints not computed: {exc}")
        return [], extra
    for j in joint:
        if j.example is None:  # proven: no sizes valid per symbol satisfy it
            findings.append(Finding("SC003", j.node, (
                f"{j.node}: no input size satisfies {j.id}: {j.statement}")))
    return joint, extra


def _symbol_checks(plan: Any, v: AxisValidity, merge_cex: Any, notes: list[str],
                   findings: list[Finding]) -> None:
    """The skip/restore checks of the part of an axis that another symbol sizes, as notes
    and findings that name the symbol (the check table is the first symbol's)."""
    where = f"axis {v.axis} ({v.symbol})"
    if plan.period > MAX_CHECK_PERIOD:
        notes.append(f"{where}: skip/restore checks not computed: the size period "
                     f"{plan.period} exceeds {MAX_CHECK_PERIOD}")
        return
    checks = skip_checks(plan, v, merge_cex)
    for c in checks:
        if c.holds_always:
            what = "inputs agree" if c.kind == "merge" else f"restores {c.target or ''}".strip()
            notes.append(f"{where}: {c.node} {what} for every valid {v.symbol}")
        else:
            shown = ", ".join(f"{n}={x}" for n, x in c.sizes)
            notes.append(f"{where}: {c.node} fails for some {v.symbol}; smallest "
                         f"counterexample {v.symbol}={c.counterexample} ({shown})")
    for f in check_findings(plan.net, checks, None, {}):
        findings.append(dataclasses.replace(f, message=f"({v.symbol}) {f.message}"))


def _subject_to(v: AxisValidity, joint: Sequence[JointConstraint]) -> AxisValidity:
    ids = tuple(j.id for j in joint if v.symbol in j.symbols and v.axis in j.axes)
    return dataclasses.replace(v, subject_to=ids) if ids else v



def _heads(net: Network) -> tuple[list[str], list[str]]:
    """The parts a loader left out (a classifier head, ...), split into those computed only
    from tensors whose size is the same for every input size (notes: their output shape does
    not depend on the input size, so they add no size rule) and the others (not analysed)."""
    if not net.ignored:
        return [], []
    consts = [constant_sizes(net, a) for a in range(net.ndim)]
    fixed, left = [], []
    for i, what in enumerate(net.ignored):
        sources = net.ignored_sources[i] if i < len(net.ignored_sources) else ("",)
        sizes = [tuple(c.get(t) for c in consts) for t in sources]
        if not sources:
            fixed.append(f"{what}: its output shape does not depend on the input size (no "
                         "size rule to check)")
        elif all(t and None not in z for t, z in zip(sources, sizes, strict=True)):
            shown = ", ".join(f"{t} ({'x'.join(map(str, z))})"
                              for t, z in dict(zip(sources, sizes, strict=True)).items())
            fixed.append(f"{what}: computed only from {shown}, of that size for every input "
                         "size, so its output shape does not depend on the input size (no "
                         "size rule to check)")
        else:
            left.append(what)
    return fixed, left


def _gate_notes(net: Network) -> list[str]:
    """One note per add that broadcasts a gate (an input of size 1 for every input size)."""
    out = []
    for name, axes in broadcast_gates(net).items():
        for gate in dict.fromkeys(g for ax in axes for g in sorted(ax)):
            on = [a for a, ax in enumerate(axes) if gate in ax]
            where = f"axis {on[0]}" if len(on) == 1 else f"axes {', '.join(map(str, on))}"
            out.append(f"{name} broadcasts {gate}, whose size on {where} is 1 for every input "
                       "size (a gate, e.g. after a global pooling): it is not compared there")
    return out


def _shared_symbols(validity: Sequence[AxisValidity | None]) -> list[str]:
    by_symbol: dict[str, list[AxisValidity]] = {}
    for v in validity:
        if v is not None:
            by_symbol.setdefault(v.symbol, []).append(v)
    out = []
    for sym, vs in by_symbol.items():
        if len(vs) > 1:
            axes = ", ".join(str(v.axis) for v in vs)
            joint = tuple(dict.fromkeys(j for v in vs for j in v.subject_to))
            also = f" (subject to {', '.join(joint)})" if joint else ""
            out.append(f"{sym} is the size of axes {axes}: valid {sym} (every axis): "
                       f"{intersect(vs, sym).describe()}{also}")
    return out



def _axis_review(net: Network, a: int, cache: dict[Any, Any]
                 ) -> tuple[AxisValidity, list[SkipCheck]]:
    """Axes with the same 1-D network share one analysis (symbol and axis renamed)."""
    key = axis_key(net, a)
    if key in cache:
        v, cs = cache[key]
        symbol = make_plan(net, a).symbol
        v2 = dataclasses.replace(v, axis=a, symbol=symbol,
                                 argument=v.argument.replace(f"axis {v.axis}", f"axis {a}"))
        return v2, [_rename_axis(c, v.axis, a, v.symbol, symbol) for c in cs]
    v, plan, merge_cex = analyse_axis(net, a)
    if plan.period > MAX_CHECK_PERIOD:
        # the skip/restore checks evaluate every size of a period one by one
        raise _ChecksSkipped(v, f"axis {a}: skip/restore checks not computed: the size period "
                             f"{plan.period} exceeds {MAX_CHECK_PERIOD} (the valid sizes are "
                             "exact; check a concrete size with --input)")
    cache[key] = v, skip_checks(plan, v, merge_cex)
    return cache[key]


#: Largest size period for which the skip/restore checks run (they evaluate one size at a time).
MAX_CHECK_PERIOD = 1 << 14


class _ChecksSkipped(Exception):
    def __init__(self, validity: AxisValidity, note: str) -> None:
        super().__init__(note)
        self.validity, self.note = validity, note


def _rename_axis(c: SkipCheck, old: int, new: int, old_sym: str, new_sym: str) -> SkipCheck:
    """A check computed on axis ``old`` (symbol ``old_sym``) restated for axis ``new``."""
    import re

    def sub(text: str) -> str:
        text = text.replace(f"axis {old}", f"axis {new}")
        return re.sub(rf"\b{re.escape(old_sym)}\b", new_sym, text) if old_sym != new_sym \
            else text

    return dataclasses.replace(c, axis=new, fix=sub(c.fix), detail=sub(c.detail),
                               restoring=sub(c.restoring),
                               options=tuple(sub(o) for o in c.options))
