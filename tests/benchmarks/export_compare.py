"""Benchmark: which input sizes ``torch.export`` accepts with dynamic ``H``/``W``, against the
sizes PyTorch eager runs correctly, on the models of ``tests/torch_models.py``; written to
``reports/export-compare.md`` (tables) and ``reports/export-compare.json`` (the raw per-size data,
to which symconv's column is added).

Each model is measured in a fresh child process (this script with ``--child NAME``), so that a
crash or a memory blow-up costs one model only and the first ``torch.export`` call of the
process is honestly timed (it pays one-off imports and set-up).  In the child:

1. ``torch.export.export(model, (x,), dynamic_shapes=...)`` with ``H = Dim("H", min=2,
   max=4096)`` and ``W = Dim("W", ...)`` (two Dims, square example input).  When it refuses
   (``torch._dynamo.exc.UserError``: constraints violated), its message, violated guards and
   "Suggested fixes" are recorded, the fixes applied with torch's own
   ``refine_dynamic_shapes_from_suggested_fixes`` and the export retried, up to
   :data:`MAX_ATTEMPTS` attempts, every one timed (wall clock).  Then attempt 1 is repeated:
   the same call a second time in a warm process.
2. At every size ``H = W = h`` in ``1..N`` (``N`` = the model's ``max_size``: 300, or 128 for
   the heavy ones): is ``h`` accepted by the exported program (``ep.module()(x)`` does not fail
   its input check, the guard assertions ``torch.export`` puts in front of the graph), does the
   exported graph then run, and does eager run with an output of the right size (the input's
   for segmentation models; any non-empty output for classifiers)?  One thread, no grad,
   batch 1.

symconv is measured in a second fresh child per model (``--child NAME --side symconv``), so
that neither side's first call benefits from the other's imports (``torch.export`` imports
SymPy and TorchDynamo, symconv imports SymPy; ``import torch`` imports neither): after building
the model, ``review(from_torch(model), symbolic=True)`` is timed (wall clock) twice, the first
call of the process (cold: symconv's own imports, SymPy included, the tracing runs of the
module and the review) and the same again (warm).  Recorded: the valid set of each axis in
words, which ``h`` of ``1..N`` are in both (square inputs), the output size there from the
review's formula of the network's first output, and the refusal (``SymconvError``, one line)
when ``from_torch`` does not map the module.  The parent compares these with the eager truth
and with the sizes ``torch.export`` accepts and runs correctly.

The report is deterministic apart from the timings (rounded to 0.1 s; symconv's and the
ratios to 0.01 s) and is written atomically (temporary file, then ``os.replace``).

    python tests/benchmarks/export_compare.py [--output reports/export-compare.md]
                                              [--only NAME ...] [--max-size N]

Not a benchmark module of ``run_all.py`` (which runs ``bench_*.py``; its speed bar
``bench_torch_review.py`` uses :func:`time_symconv` and :func:`try_export` from here) and not a
test.  Importable without side effects (pytest's doctest collection imports it).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULT_OUTPUT = ROOT / "reports" / "export-compare.md"
LIBRARIES = ("torch", "torchvision", "segmentation_models_pytorch", "timm")

#: The dynamic range first given to ``H`` and ``W``.
DIM_MIN, DIM_MAX = 2, 4096
#: Export attempts per model (the first, then retries with the suggested fixes).
MAX_ATTEMPTS = 4
#: Seconds a child process may take for one model.
TIMEOUT = 900
#: The two kinds of refusal of the exported program's input check.
INPUT_CHECK = ("Guard failed", "Expected input")
#: Runs of consecutive sizes shown in a cell of the summary table (all in the details).
SHOWN_SPANS = 6
#: Guards of an exported program listed in the report (all of them are in the JSON).
SHOWN_GUARDS = 12


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), str(ROOT / "tests"), env.get("PYTHONPATH")) if p)
    env.update(PYTHONIOENCODING="utf-8", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONHASHSEED="0")
    return env


def ranges(ns: list[int]) -> str:
    """Consecutive runs joined (``zoo_survey.ranges``), ``none`` for no sizes.

    >>> ranges([1, 2, 3, 7, 9, 10])
    '1..3, 7, 9..10'
    >>> ranges([])
    'none'
    """
    from zoo_survey import ranges as runs

    return runs(ns) or "none"


def ranges_short(ns: list[int], spans: int = SHOWN_SPANS) -> str:
    """:func:`ranges`, cut after ``spans`` runs (for table cells).

    >>> ranges_short([1, 3, 5, 7], spans=2)
    '1, 3, ... (2 more runs)'
    """
    parts = ranges(ns).split(", ")
    if len(parts) <= spans:
        return ", ".join(parts)
    more = len(parts) - spans
    return ", ".join(parts[:spans]) + f", ... ({more} more run{'' if more == 1 else 's'})"


def one_line(exc: BaseException) -> str:
    """``Type: first line`` of an exception.

    >>> one_line(ValueError("bad size\\nmore"))
    'ValueError: bad size'
    """
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}"[:300]


def parse_fixes(message: str) -> list[str]:
    """The lines under "Suggested fixes:" of a ``torch.export`` refusal.

    >>> parse_fixes("Constraints violated (H)!\\n  - guard\\nSuggested fixes:\\n"
    ...             "  _H = Dim('_H', min=1, max=256)\\n  H = 16*_H\\n\\nThe error above ...")
    ["_H = Dim('_H', min=1, max=256)", 'H = 16*_H']
    """
    at = message.find("Suggested fixes:")
    if at < 0:
        return []
    fixes = []
    for line in message[at:].splitlines()[1:]:
        if not line.strip():
            break
        fixes.append(line.strip())
    return fixes


def violations(message: str) -> list[str]:
    """The "  - ..." lines of a ``torch.export`` refusal (one per violated guard).

    >>> violations("Constraints violated (H)!\\n  - Not all values of H ...\\nSuggested fixes:")
    ['Not all values of H ...']
    """
    return [line.strip()[2:] for line in message.splitlines() if line.startswith("  - ")]


def _clean(message: str) -> str:
    """A refusal without torch's trailing advice paragraph."""
    cut = message.find("The error above occurred when calling torch.export.export")
    return (message[:cut] if cut >= 0 else message).strip()


# --------------------------------------------------------------------------- one model (child)


def dim_text(dim: Any) -> str:
    """A ``dynamic_shapes`` entry as text: ``Dim('H', min=2, max=4096)``, ``16*_H`` with its
    root, or a static size."""
    from torch.export.dynamic_shapes import _DerivedDim

    hint = getattr(dim, "type", None)  # Dim.DYNAMIC, Dim.AUTO, Dim.STATIC
    if hint is not None:
        return f"Dim.{hint.name}"
    if isinstance(dim, _DerivedDim):
        root = dim.root  # type: ignore[attr-defined]
        return f"{dim.__name__} with {dim_text(root)}"
    if hasattr(dim, "min") and hasattr(dim, "max"):
        return f"Dim('{dim.__name__}', min={dim.min}, max={dim.max})"
    return repr(dim)  # a static size


def spec_text(shapes: Any) -> str:
    axes = shapes[0]
    return "; ".join(f"{'HW'[axis - 2]} = {dim_text(axes[axis])}" for axis in (2, 3))


def _bound(value: Any) -> str:
    text = str(value)
    return "inf" if text in ("oo", "int_oo") else text


def _axes(ep: Any) -> list[tuple[str, Any]]:
    """``(label, size)`` of the input's ``H`` and ``W`` in the exported program: an int
    (static) or a sympy expression in the range-constrained symbols."""
    name = ep.graph_signature.user_inputs[0]
    node = next(n for n in ep.graph.nodes if n.op == "placeholder" and n.name == name)
    shape = node.meta["val"].shape
    out = []
    for axis, label in ((2, "H"), (3, "W")):
        size = shape[axis]
        out.append((label, size if isinstance(size, int) else size.node.expr))
    return out


def constraint_text(ep: Any) -> str:
    """The input sizes the exported program declares for ``H`` and ``W``, from the input's
    symbolic shape and ``ep.range_constraints``: ``H = 16*_H, 2 <= _H <= 256``."""
    import sympy

    seen: dict[Any, str] = {}
    parts = []
    for label, expr in _axes(ep):
        if isinstance(expr, int):
            parts.append(f"{label} = {expr} (static)")
        elif expr in seen:
            parts.append(f"{label} = {seen[expr]}")
        elif expr.is_Symbol:
            seen[expr] = label
            vr = ep.range_constraints[expr]
            parts.append(f"{_bound(vr.lower)} <= {label} <= {_bound(vr.upper)}")
        else:
            seen[expr] = label
            (root,) = expr.free_symbols
            vr = ep.range_constraints[root]
            new = sympy.Symbol(f"_{label}", integer=True)
            parts.append(f"{label} = {expr.subs(root, new)}, "
                         f"{_bound(vr.lower)} <= _{label} <= {_bound(vr.upper)}")
    return "; ".join(parts)


def declares(ep: Any, h: int) -> bool:
    """Whether ``H = W = h`` satisfies the declared constraint (:func:`constraint_text`): the
    form of a derived dim (``16*_H``) and the range of its root, or the range of a plain dim.
    Only integer-linear forms ``a*s + b`` are understood (the ones ``Dim`` arithmetic makes)."""
    import sympy

    values: dict[Any, int] = {}
    for _, expr in _axes(ep):
        if isinstance(expr, int):
            if h != expr:
                return False
            continue
        (root,) = expr.free_symbols
        a, b = (int(c) for c in sympy.Poly(expr, root).all_coeffs())
        if (h - b) % a:
            return False
        value = (h - b) // a
        if values.setdefault(root, value) != value:
            return False
        vr = ep.range_constraints[root]
        lower, upper = _bound(vr.lower), _bound(vr.upper)
        if (lower not in ("-inf", "inf") and value < int(lower)) or (
                upper != "inf" and value > int(upper)):
            return False
    return True


def try_export(model: Any, x: Any, shapes: Any, label: Any) -> tuple[dict[str, Any], Any]:
    """One timed ``torch.export.export`` call: its record and the exported program (or
    ``None``; the record then has the refusal, its violated guards and suggested fixes)."""
    import warnings

    import torch

    row: dict[str, Any] = {"attempt": label, "dynamic_shapes": spec_text(shapes)}
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ep = torch.export.export(model, (x,), dynamic_shapes=shapes)
    except Exception as exc:  # torch.export raises UserError and many others
        row["seconds"] = time.perf_counter() - start
        message = _clean(str(getattr(exc, "msg", None) or exc))
        row["outcome"] = ("constraint violation" if "Constraints violated" in message
                          else "specialization" if "Specializations unexpectedly" in message
                          else "error")
        row["error"] = one_line(exc)
        row["message"] = message[:6000]
        row["violations"] = violations(message)
        row["fixes"] = parse_fixes(message)
        return row, None
    row["seconds"] = time.perf_counter() - start
    row["outcome"] = "exported"
    return row, ep


def export_attempts(model: Any, x: Any) -> tuple[list[dict[str, Any]], Any, Any]:
    """Export with dynamic ``H``/``W``, retrying with the suggested fixes: the attempts, the
    exported program (or ``None``) and the first ``dynamic_shapes``."""
    from torch.export import Dim
    from torch.export.dynamic_shapes import refine_dynamic_shapes_from_suggested_fixes

    first = ({2: Dim("H", min=DIM_MIN, max=DIM_MAX), 3: Dim("W", min=DIM_MIN, max=DIM_MAX)},)
    shapes: Any = first
    attempts: list[dict[str, Any]] = []
    ep = None
    for number in range(1, MAX_ATTEMPTS + 1):
        row, ep = try_export(model, x, shapes, number)
        attempts.append(row)
        if ep is not None or not row["fixes"]:
            break
        try:
            shapes = refine_dynamic_shapes_from_suggested_fixes(row["message"], shapes)
        except Exception as refine:  # the fixes themselves do not apply
            row["refine_error"] = one_line(refine)
            break
    for row, after in itertools.pairwise(attempts):
        row["fixes_worked"] = after["outcome"] == "exported"
    return attempts, ep, first


def probe(call: Any, x: Any) -> tuple[str, Any]:
    """``("ok", output)`` or ``("error", one line)``."""
    import torch

    try:
        with torch.no_grad():
            return "ok", call(x)
    except Exception as exc:  # eager and the exported graph raise many types
        return "error", one_line(exc)


def measure(name: str, max_size: int | None = None) -> dict[str, Any]:
    """Everything about model ``name``, in this process (meant to be a fresh one)."""
    import torch

    torch.set_num_threads(1)
    import torch_models as tm

    spec = tm.MODELS[name]
    n_max = max_size or spec.max_size
    start = time.perf_counter()
    model = tm.build(name)
    out: dict[str, Any] = {"name": name, "family": spec.family, "source": spec.source,
                           "example": [spec.example, spec.example], "dense": spec.dense,
                           "sizes": [1, n_max], "build_s": time.perf_counter() - start,
                           "runtime_guard_stride": tm.GUARDS.get(name)}
    x = torch.randn(1, tm.CHANNELS, spec.example, spec.example,
                    generator=torch.Generator().manual_seed(0))
    attempts, ep, first = export_attempts(model, x)
    out["attempts"] = attempts
    out["first_call_s"] = attempts[0]["seconds"]
    again, _ = try_export(model, x, first, "again")  # attempt 1 again, in a warm process
    out["second_call_s"] = again["seconds"]
    out["exported"] = ep is not None
    out["program"] = "exported" if ep is not None else None
    if ep is None:  # the suggested fixes gave out: let torch.export choose the ranges
        from torch.export import Dim

        row, ep = try_export(model, x, ({2: Dim.DYNAMIC, 3: Dim.DYNAMIC},), "fallback")
        out["fallback"] = row
        out["program"] = "fallback" if ep is not None else None
    gm = None
    if ep is not None:
        out["constraint"] = constraint_text(ep)
        out["range_constraints"] = {str(k): [_bound(v.lower), _bound(v.upper)]
                                    for k, v in sorted(ep.range_constraints.items(), key=str)}
        out["guards"] = list(getattr(ep, "_guards_code", []))
        gm = ep.module()
    eager_valid, eager_fail = [], {}
    accepted, rejected, declared, correct = [], {}, [], []
    export_fail, mismatch = {}, {}
    gen = torch.Generator().manual_seed(0)
    for h in range(1, n_max + 1):
        xh = torch.randn(1, tm.CHANNELS, h, h, generator=gen)
        status, y = probe(model, xh)
        eager_shape = None
        if status == "ok":
            eager_shape = tuple(tm.main_output(y).shape)
            good = (eager_shape[2:] == (h, h)) if spec.dense else 0 not in eager_shape
            if good:
                eager_valid.append(h)
            else:
                eager_fail[h] = f"output {'x'.join(map(str, eager_shape))}"
        else:
            eager_fail[h] = y
        if gm is None:
            continue
        if declares(ep, h):
            declared.append(h)
        status, y = probe(gm, xh)
        if status == "error" and any(k in y for k in INPUT_CHECK):
            rejected[h] = y
            continue
        accepted.append(h)
        if status == "error":
            export_fail[h] = y
        elif tuple(tm.main_output(y).shape) != eager_shape:
            eager = "fails" if eager_shape is None else "x".join(map(str, eager_shape))
            mismatch[h] = f"{'x'.join(map(str, tm.main_output(y).shape))} (eager: {eager})"
        elif h in eager_valid:
            correct.append(h)
    out.update(eager_valid=eager_valid, eager_failures=_first_of_each(eager_fail))
    if gm is not None:
        out.update(declared=declared, accepted=accepted, correct=correct,
                   rejections=_first_of_each(rejected),
                   accepted_then_fails=dict(sorted(export_fail.items())),
                   output_mismatch=dict(sorted(mismatch.items())))
    return out


def _first_of_each(failures: dict[int, str]) -> dict[str, str]:
    """The distinct failure messages (the first 8, by first size), keyed by the sizes that
    gave each one."""
    by_message: dict[str, list[int]] = {}
    for h, message in sorted(failures.items()):
        by_message.setdefault(message, []).append(h)
    shown = sorted(by_message.items(), key=lambda kv: kv[1][0])[:8]
    return {ranges(hs): message for message, hs in shown}


def time_symconv(model: Any) -> tuple[float, Any, str | None]:
    """One timed symconv review of ``model``, tracing included:
    ``review(from_torch(model), symbolic=True)``, imports included on the first call of a
    process.  Returns ``(seconds, review or None, refusal or None)``; the refusal is the one
    line of :class:`symconv.errors.SymconvError` (a module symconv does not map yet).  Any
    other exception propagates."""
    start = time.perf_counter()
    from symconv.errors import SymconvError
    from symconv.network.torch_import import from_torch
    from symconv.review import review

    try:
        result = review(from_torch(model), symbolic=True)
    except SymconvError as exc:
        return time.perf_counter() - start, None, one_line(exc)
    return time.perf_counter() - start, result, None


def output_sizes(result: Any, sizes: range) -> tuple[list[str], dict[int, list[int]]]:
    """The review's size formulas of the network's first output (one per axis) and their
    values at ``H = W = h`` for every ``h`` of ``sizes`` (``{}`` when a formula cannot be
    evaluated)."""
    import sympy

    net = result.network
    row = next(t for t in result.tensors if t.name == net.outputs[0])
    symbols = {s: sympy.Symbol(s, integer=True, positive=True) for s in net.symbols()}
    try:
        exprs = [sympy.sympify(f, locals=symbols) for f in row.formula]
        funcs = [sympy.lambdify(list(symbols.values()), e, modules="math") for e in exprs]
        values = {h: [int(f(*[h] * len(symbols))) for f in funcs] for h in sizes}
    except Exception:  # a formula sympy cannot evaluate: no output check
        values = {}
    return list(row.formula), values


def measure_symconv(name: str, max_size: int | None = None) -> dict[str, Any]:
    """symconv's review of model ``name``, in this process (meant to be a fresh one that has
    not run ``torch.export``): cold and warm times, the valid sets, membership of ``1..N``."""
    import torch

    torch.set_num_threads(1)
    import torch_models as tm

    spec = tm.MODELS[name]
    n_max = max_size or spec.max_size
    model = tm.build(name)
    out: dict[str, Any] = {"sympy_preloaded": "sympy" in sys.modules}
    try:
        out["cold_s"], result, refusal = time_symconv(model)
        out["warm_s"], _, _ = time_symconv(model)
    except Exception as exc:  # not a refusal: a failure of symconv, recorded as such
        out["error"] = one_line(exc)
        return out
    if refusal is not None:
        out["refused"] = refusal
        return out
    validity = result.validity
    out["sets"] = [None if v is None else v.describe() for v in validity]
    out["members"] = [h for h in range(1, n_max + 1)
                      if all(v is not None and h in v for v in validity)]
    out["output_formula"], values = output_sizes(result, range(1, n_max + 1))
    if values:
        out["output_sizes"] = {str(h): values[h] for h in out["members"]}
    out["joint"] = [j.describe() for j in result.joint]
    out["not_analysed"] = list(result.not_analysed)
    out["errors"] = len(result.errors)
    out["warnings"] = len(result.warnings)
    return out


def child(name: str, result: Path, max_size: int | None, side: str = "export") -> int:
    data = measure_symconv(name, max_size) if side == "symconv" else measure(name, max_size)
    result.write_text(json.dumps(data), encoding="utf-8")
    return 0


# --------------------------------------------------------------------------- the run (parent)


def run_model(name: str, max_size: int | None, timeout: float) -> dict[str, Any]:
    """Measure one model: symconv in one fresh child process, then torch.export and eager in
    another; a crash or timeout is recorded, not raised."""
    symconv = run_child(name, max_size, timeout, "symconv")
    data = run_child(name, max_size, timeout, "export")
    data["symconv"] = symconv
    return data


def run_child(name: str, max_size: int | None, timeout: float,
              side: str) -> dict[str, Any]:
    """One child process (``side``: ``export`` or ``symconv``): its result, or the crash."""
    with tempfile.TemporaryDirectory(prefix="symconv-export-") as tmp:
        result = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name,
               "--result", str(result), "--side", side]
        if max_size:
            cmd += ["--max-size", str(max_size)]
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8",
                                  env=_env(), cwd=ROOT, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return {"name": name, "crash": f"timed out after {timeout:.0f} s"}
        wall = time.perf_counter() - start
        if proc.returncode != 0 or not result.is_file():
            if proc.returncode < 0:
                why = f"killed by {signal.Signals(-proc.returncode).name}"
            else:
                tail = proc.stderr.strip().splitlines()
                why = f"exit status {proc.returncode}: {tail[-1] if tail else ''}"[:300]
            return {"name": name, "crash": why}
        data: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    data["process_s"] = wall
    return data


def _s(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f}"


def _round_times(value: Any) -> Any:
    """Every ``*_s`` / ``seconds`` / ``ratio*`` number rounded to 0.01 (the JSON's only
    varying part)."""
    if isinstance(value, dict):
        return {k: (round(v, 2) if (k == "seconds" or k.startswith("ratio") or k.endswith("_s"))
                    and isinstance(v, float) else _round_times(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_round_times(v) for v in value]
    return value


def _count(count: int, noun: str) -> str:
    """``1 error``, ``3 warnings``.

    >>> _count(1, "warning"), _count(0, "error")
    ('1 warning', '0 errors')
    """
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _n(count: int) -> str:
    """``1 size``, ``3 sizes``."""
    return _count(count, "size")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def compare_symconv(row: dict[str, Any]) -> None:
    """Add to ``row["symconv"]`` (one model's symconv child result) its comparison with the
    eager truth and with ``torch.export`` (keys below), in place.

    ``sizes`` are the sizes symconv says the model runs at and, for segmentation models, gives
    an output of the input's size (from the review's output formula): what "eager-valid"
    means.  ``exact``: ``sizes`` is the eager-valid set; ``contains_correct``: it holds every
    size ``torch.export`` accepts and runs correctly; ``contains_accepted``: the valid set
    holds every size ``ep.module()`` accepts; ``ratio_cold``/``ratio_warm``: symconv's time
    over one ``torch.export`` call's (its first in a fresh process, then the same again)."""
    sc = row.get("symconv") or {}
    if "crash" in row:
        return
    if "cold_s" in sc and row["attempts"]:
        sc["ratio_cold"] = sc["cold_s"] / row["first_call_s"]
        sc["ratio_warm"] = sc["warm_s"] / row["second_call_s"]
    if "members" not in sc:
        return
    members = sc["members"]
    outputs = sc.get("output_sizes")
    if not row["dense"]:
        sizes = members
    elif outputs is not None:
        sizes = [h for h in members if all(v == h for v in outputs[str(h)])]
    else:
        sizes = None
    valid = set(row["eager_valid"])
    sc["sizes"] = sizes
    if sizes is not None:
        sc["exact"] = set(sizes) == valid
        sc["missing"] = sorted(valid - set(sizes))
        sc["extra"] = sorted(set(sizes) - valid)
    sc["valid_set_exact"] = set(members) == valid
    if row["program"]:
        correct, accepted = set(row["correct"]), set(row["accepted"])
        sc["export_exact"] = correct == valid
        if sizes is not None:
            sc["contains_correct"] = correct <= set(sizes)
            sc["correct_missing"] = sorted(correct - set(sizes))
        sc["contains_accepted"] = accepted <= set(members)
        sc["accepted_missing"] = sorted(accepted - set(members))


def _yes(flag: Any) -> str:
    return "-" if flag is None else "yes" if flag else "**no**"


def _s2(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f}"


def symconv_summary(row: dict[str, Any]) -> dict[str, str]:
    """The cells of the symconv table for one model (:func:`compare_symconv` run)."""
    sc = row.get("symconv") or {}
    cells = {"sets": "-", "counts": "-", "exact": "-", "contains": "-", "export_exact": "-",
             "times": f"{_s2(sc.get('cold_s'))} / {_s2(sc.get('warm_s'))}",
             "export_times": "-", "ratio": "-"}
    if "crash" not in row:
        cells["export_times"] = f"{_s(row['first_call_s'])} / {_s(row['second_call_s'])}"
    if "ratio_cold" in sc:
        cells["ratio"] = f"{sc['ratio_cold']:.2f} / {sc['ratio_warm']:.2f}"
    if "crash" in sc or "error" in sc or "refused" in sc:
        what = ("child process failed: " + sc["crash"] if "crash" in sc
                else "symconv failed: " + sc["error"] if "error" in sc
                else "refused: " + sc["refused"])
        cells["sets"] = f"`{_cell(what)}`"
        return cells
    if "members" not in sc:
        return cells
    cells["sets"] = "; ".join(f"`{_cell(str(t))}`" for t in sc["sets"])
    if sc.get("joint"):
        cells["sets"] += " (and " + "; ".join(f"`{_cell(j)}`" for j in sc["joint"]) + ")"
    if "crash" in row:
        return cells
    lo, hi = row["sizes"]
    n_sizes = "-" if sc["sizes"] is None else str(len(sc["sizes"]))
    n_correct = str(len(row["correct"])) if row["program"] else "-"
    cells["counts"] = (f"{n_sizes} / {len(row['eager_valid'])} / {n_correct} "
                       f"(of {hi - lo + 1})")
    cells["exact"] = _yes(sc.get("exact"))
    if sc.get("exact") is False:
        cells["exact"] += f" (missing {ranges_short(sc['missing'], 3)}; extra " \
                          f"{ranges_short(sc['extra'], 3)})"
    cells["contains"] = _yes(sc.get("contains_correct"))
    cells["export_exact"] = _yes(sc.get("export_exact"))
    return cells


def summary(row: dict[str, Any]) -> dict[str, str]:
    """The cells of the summary table for one model."""
    if "crash" in row:
        return {"attempts": f"child process failed: {row['crash']}"}
    times = " / ".join(f"{_s(a['seconds'])} ({'ok' if a['outcome'] == 'exported' else 'no'})"
                       for a in row["attempts"])
    if "fallback" in row:
        fb = row["fallback"]
        times += (f"; fallback `Dim.DYNAMIC`: {_s(fb['seconds'])} "
                  f"({'ok' if fb['outcome'] == 'exported' else 'no'})")
    lo, hi = row["sizes"]
    valid = set(row["eager_valid"])
    cells = {"attempts": times, "second": _s(row["second_call_s"]),
             "counts": f"{len(valid)} / - / - / -", "outside": "-", "rejected": "-",
             "wrong": "-", "constraint": "not exported"}
    if row["program"]:
        declared, accepted, correct = (set(row[k]) for k in ("declared", "accepted", "correct"))
        cells.update(
            constraint=row["constraint"],
            counts=f"{len(valid)} / {len(declared)} / {len(accepted)} / {len(correct)}",
            outside=ranges_short(sorted(valid - declared)),
            rejected=ranges_short(sorted(valid - accepted)),
            wrong=ranges_short(sorted(accepted - correct)))
    cells["counts"] += f" (of {hi - lo + 1})"
    return cells


def versions() -> dict[str, str]:
    """The versions the results depend on."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib.replace("_", "-"))
        except metadata.PackageNotFoundError:
            out[lib] = "not installed"
    return out


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "# torch.export with dynamic H/W against PyTorch eager",
        "",
        "Generated by `python tests/benchmarks/export_compare.py` (models: "
        "`tests/torch_models.py`; raw per-size data: `export-compare.json`). Everything except "
        "the times (wall clock, seconds, rounded to 0.1 s) is deterministic.",
        "",
        f"Each model runs in a fresh child process. `torch.export.export(model, (x,), "
        f"dynamic_shapes=...)` is called with `H = Dim('H', min={DIM_MIN}, max={DIM_MAX})` and "
        f"`W = Dim('W', min={DIM_MIN}, max={DIM_MAX})` on a square example input; when it "
        "refuses, the \"Suggested fixes\" it prints are applied (torch's "
        "`refine_dynamic_shapes_from_suggested_fixes`) and the export is retried, at most "
        f"{MAX_ATTEMPTS} attempts. Attempt 1 is the first `torch.export` call of its process "
        "(it pays one-off imports and set-up); \"attempt 1 again\" repeats that call in the warm "
        "process. When the suggested fixes run out (none suggested, or they do not apply) "
        "without an exported program, one more export with `H = W = Dim.DYNAMIC` (torch.export "
        "infers the ranges and guards itself) gives the program whose sets are measured; it is "
        "marked \"fallback\". Sizes are square, `H = W = h`:",
        "",
        "- **eager-valid**: the model itself runs at `h` with an output of the input's spatial "
        "size (segmentation models) or any non-empty output (classifiers);",
        "- **declared**: `h` satisfies the exported program's constraint (the input's symbolic "
        "shape, e.g. `16*_H`, and `ep.range_constraints`);",
        "- **accepted**: `ep.module()(x)` passes its input check (the guard assertions "
        "`torch.export` puts in front of the graph);",
        "- **correct**: accepted, and the exported graph then runs and gives eager's output "
        "shape at an eager-valid size.",
        "",
        "One thread, batch 1, no grad, random weights, eval mode.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items())
        + f"; {os.cpu_count()} CPU cores.",
        "",
        "| model | export attempts: s (ok?) | attempt 1 again, s | declared constraint | "
        "eager-valid / declared / accepted / correct | eager-valid, not declared | "
        "eager-valid, not accepted | accepted, not correct |",
        "|---|---|---:|---|---|---|---|---|",
    ]
    for row in rows:
        c = summary(row)
        if "crash" in row:
            lines.append(f"| {row['name']} | {_cell(c['attempts'])} | - | - | - | - | - | - |")
            continue
        lines.append(f"| {row['name']} | {c['attempts']} | {c['second']} | "
                     f"`{_cell(c['constraint'])}` | {c['counts']} | {c['outside']} | "
                     f"{c['rejected']} | {c['wrong']} |")
    lines += ["", "## symconv on the same modules", "",
              "`review(from_torch(model), symbolic=True)` in its own fresh child process per "
              "model (after building the model; no `torch.export` in that process): the valid "
              "sizes of each axis as the review states them; **symconv sizes**: square sizes "
              "`h` in both sets where, for segmentation models, the review's formula of the "
              "output gives `h` (an output of the input's size, as eager-valid asks); "
              "**correct**: torch.export's correct sizes (above). Times (s, wall clock): "
              "symconv cold = its first review in the process, imports (SymPy included) and "
              "the tracing runs of the module included; warm = the same again; one "
              "`torch.export` call = attempt 1 (cold) and attempt 1 again (warm), from the "
              "other child; ratio = symconv / torch.export. A refusal (`SymconvError`) is "
              "shown as it is raised: a construct symconv does not map yet.",
              "",
              "| model | symconv valid sizes (review) | symconv sizes / eager-valid / correct | "
              "symconv = eager-valid? | symconv contains torch.export's correct sizes? | "
              "torch.export correct = eager-valid? | symconv s cold / warm | "
              "one torch.export call s cold / warm | ratio cold / warm |",
              "|---|---|---|---|---|---|---:|---:|---:|"]
    for row in rows:
        c = symconv_summary(row)
        lines.append(f"| {row['name']} | {c['sets']} | {c['counts']} | {c['exact']} | "
                     f"{c['contains']} | {c['export_exact']} | {c['times']} | "
                     f"{c['export_times']} | {c['ratio']} |")
    lines += ["", "## Per model", ""]
    for row in rows:
        lines += details(row)
    return "\n".join(lines).rstrip() + "\n"


def symconv_details(row: dict[str, Any]) -> list[str]:
    """The symconv lines of one model's section."""
    sc = row.get("symconv") or {}
    c = symconv_summary(row)
    if "crash" in sc:
        return [f"- symconv: child process failed: `{_cell(sc['crash'])}`"]
    export = ("-" if "crash" in row else
              f"{_s(row['first_call_s'])} s cold, {_s(row['second_call_s'])} s warm")
    out = [f"- **time**: symconv review (tracing included) {_s2(sc.get('cold_s'))} s cold, "
           f"{_s2(sc.get('warm_s'))} s warm; one torch.export call {export}; "
           f"ratio (cold / warm) {c['ratio']}"
           + ("" if sc.get("sympy_preloaded") is not True
              else " (SymPy was already imported by the model's libraries)")]
    if "error" in sc or "refused" in sc:
        return [*out, f"- symconv {'failed' if 'error' in sc else 'refuses the module'}: "
                f"`{_cell(sc.get('error') or sc['refused'])}`"]
    out.append("- symconv valid sizes: " + "; ".join(f"`{t}`" for t in sc["sets"])
               + f" ({_count(sc['errors'], 'error')}, {_count(sc['warnings'], 'warning')})")
    for j in sc.get("joint", []):
        out.append(f"  - joint constraint: `{_cell(j)}`")
    for part in sc.get("not_analysed", []):
        out.append(f"  - not analysed: {_cell(part)}")
    out.append(f"  - square sizes in both ({_n(len(sc['members']))}): {ranges(sc['members'])}")
    if row["dense"]:
        formula = " x ".join(f"`{f}`" for f in sc["output_formula"])
        out.append(f"  - output size {formula}")
    if sc["sizes"] is None:
        out.append("  - the output formula could not be evaluated: no symconv sizes")
        return out
    if sc["sizes"] != sc["members"]:
        out.append(f"  - of which the output has the input's size ({_n(len(sc['sizes']))}): "
                   f"{ranges(sc['sizes'])}")
    if "crash" in row:
        return out
    out.append(f"- symconv = eager-valid: {c['exact']}")
    if row["program"]:
        out.append(f"- symconv contains every size torch.export accepts and runs correctly: "
                   f"{c['contains']}"
                   + (f" (missing {ranges(sc['correct_missing'])})"
                      if sc.get("correct_missing") else ""))
        out.append(f"- symconv's valid set contains every size `ep.module()` accepts: "
                   f"{_yes(sc.get('contains_accepted'))}"
                   + (f" (missing {ranges(sc['accepted_missing'])})"
                      if sc.get("accepted_missing") else ""))
    return out


def _worked(a: dict[str, Any]) -> str:
    if "fixes_worked" in a:
        return "yes (next attempt exported)" if a["fixes_worked"] else "no"
    if a.get("refine_error"):
        return f"could not apply: `{_cell(a['refine_error'])}`"
    return "not tried (attempt limit)" if a.get("fixes") else "-"


def details(row: dict[str, Any]) -> list[str]:
    out = [f"### {row['name']}", ""]
    if "crash" in row:
        return [*out, f"The child process failed: `{row['crash']}`.", "",
                *symconv_details(row), ""]
    lo, hi = row["sizes"]
    h, w = row["example"]
    out += [f"{row['family']} ({row['source']}). Example input 1x3x{h}x{w}; sizes "
            f"H = W in {lo}..{hi}. Child process {_s(row.get('process_s'))} s in all "
            f"(model built in {_s(row['build_s'])} s).", ""]
    if row.get("runtime_guard_stride"):
        out += [f"smp's own run-time check (turned off here, skipped by torch.export) would "
                f"also refuse in eager every H, W not a multiple of "
                f"{row['runtime_guard_stride']}.", ""]
    out += ["| attempt | dynamic_shapes | s | outcome | violated guards | suggested fixes | "
            "fixes complete? |", "|---:|---|---:|---|---:|---|---|"]
    for a in [*row["attempts"], *([row["fallback"]] if "fallback" in row else [])]:
        fixes = "<br>".join(f"`{_cell(f)}`" for f in a.get("fixes", [])) or "-"
        outcome = (a["outcome"] if a["outcome"] == "exported"
                   else f"{a['outcome']}: `{_cell(a['error'])}`")
        out.append(f"| {a['attempt']} | `{_cell(a['dynamic_shapes'])}` | {_s(a['seconds'])} | "
                   f"{outcome} | {len(a.get('violations', []))} | {fixes} | {_worked(a)} |")
    out += ["", f"- first torch.export call in the process: {_s(row['first_call_s'])} s; "
            f"the same call again: {_s(row['second_call_s'])} s"]
    valid = row["eager_valid"]
    out.append(f"- eager-valid ({_n(len(valid))}): {ranges(valid)}")
    for sizes, message in row["eager_failures"].items():
        out.append(f"  - eager fails at {sizes}: `{_cell(message)}`")
    if "fallback" in row:
        out.append(f"- **the suggested fixes did not give an exported program** (after "
                   f"{len(row['attempts'])} attempt(s)); the sets below are those of the "
                   f"fallback export with `H = W = Dim.DYNAMIC` (torch.export chooses the ranges"
                   f"{'' if row['program'] else '; it failed too'})")
    if not row["program"]:
        last = row.get("fallback", row["attempts"][-1])
        return [*out, *symconv_details(row), "- **not exported**; last refusal:", "", "```",
                last.get("message", last.get("error", "")), "```", ""]
    declared, acc, correct = row["declared"], row["accepted"], row["correct"]
    out.append(f"- declared constraint: `{row['constraint']}`, {_n(len(declared))}: "
               f"{ranges(declared)}")
    out.append(f"- accepted by `ep.module()` ({_n(len(acc))}): {ranges(acc)}")
    for sizes, message in row["rejections"].items():
        out.append(f"  - rejected at {sizes}: `{_cell(message)}`")
    out.append(f"- correct ({_n(len(correct))}): {ranges(correct)}")
    for label, left, right in (("eager-valid, not declared", valid, declared),
                               ("declared, not eager-valid", declared, valid),
                               ("eager-valid, not accepted", valid, acc),
                               ("accepted, not correct", acc, correct)):
        diff = sorted(set(left) - set(right))
        out.append(f"- {label} ({len(diff)}): {ranges(diff)}")
    fails, mism = row["accepted_then_fails"], row["output_mismatch"]
    invalid = sorted(set(acc) - set(valid) - set(map(int, fails)) - set(map(int, mism)))
    if invalid:
        out.append(f"  - the exported graph runs like eager, but eager itself is not valid "
                   f"there: {ranges(invalid)}")
    if fails:
        out.append(f"  - the exported graph fails at {ranges(list(map(int, fails)))}, first: "
                   f"`{_cell(next(iter(fails.values())))}`")
    if mism:
        out.append(f"  - the exported graph's output shape differs from eager's at "
                   f"{ranges(list(map(int, mism)))}, first: {next(iter(mism.values()))}")
    guards = row["guards"]
    if guards:
        out.append(f"- guards of the exported program ({len(guards)}): "
                   + "; ".join(f"`{_cell(g)}`" for g in guards[:SHOWN_GUARDS])
                   + (" ..." if len(guards) > SHOWN_GUARDS else ""))
    return [*out, *symconv_details(row), ""]


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder (mode 0644, as a
    plain write would give, not mkstemp's 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="the Markdown report (the JSON goes next to it)")
    parser.add_argument("--only", nargs="*", help="model names (default: all)")
    parser.add_argument("--max-size", type=int, help="check sizes 1..N (default: per model)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per model")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--side", choices=("export", "symconv"), default="export",
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for p in (ROOT, ROOT / "tests"):
        if str(p) not in sys.path:
            sys.path.insert(0, str(p))
    if args.child:
        return child(args.child, args.result, args.max_size, args.side)
    import torch_models

    names = args.only or list(torch_models.MODELS)
    rows = []
    total = time.perf_counter()
    for name in names:
        row = run_model(name, args.max_size, args.timeout)
        compare_symconv(row)
        rows.append(row)
        c, sc = summary(row), symconv_summary(row)
        print(f"{name}: {c['attempts']}; {c.get('constraint', '')}; accepted/eager "
              f"{c.get('counts', '-')} ({_s(row.get('process_s'))} s)\n  symconv: "
              f"{sc['sets']}; symconv/eager/correct {sc['counts']}; exact {sc['exact']}; "
              f"s {sc['times']} vs torch.export {sc['export_times']}", flush=True)
    write_atomic(args.output, markdown(rows))
    data = {"dim": {"min": DIM_MIN, "max": DIM_MAX}, "max_attempts": MAX_ATTEMPTS,
            "versions": versions(), "cpu_count": os.cpu_count(), "models": _round_times(rows)}
    json_path = args.output.with_suffix(".json")
    write_atomic(json_path, json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.output} and {json_path} ({time.perf_counter() - total:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
