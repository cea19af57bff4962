"""Speed bar: reviewing a PyTorch module with symconv, tracing included, takes less wall time
than one ``torch.export.export`` call with dynamic ``H``/``W`` on the same module.

For each model of :data:`MODELS` (from ``tests/torch_models.py``: the classic hand-written
U-Net, smp's ``Unet(resnet18)``, torchvision's ``resnet18``), each side runs in its own fresh
child process, the way a user runs it once.  The child imports torch, builds the model (random
weights, eval mode, one thread; not timed), then times one call, wall clock:

* symconv: ``review(from_torch(model), symbolic=True)``, the first of the process: symconv's
  imports (SymPy included), the tracing runs of the module and the review
  (:func:`export_compare.time_symconv`);
* torch.export: ``torch.export.export(model, (x,), dynamic_shapes=...)`` with
  ``H = Dim("H", min=2, max=4096)`` and ``W`` alike, on the model's example input, the first of
  the process: TorchDynamo's and SymPy's imports included (:func:`export_compare.try_export`).
  A refusal (constraints violated, with suggested fixes) still counts as the one call: it is
  how torch.export tells its user the sizes.

Neither child imports what the other side needs, so neither benefits from the other's warm-up
(``import torch`` imports neither SymPy nor TorchDynamo).  Best of ``--runs`` (new children
each round).  Bar: symconv / torch.export < 1 on every model.  ``reports/export-compare.md``
has the same comparison on ten models, with the valid sets.

:func:`main` prints a Markdown table and returns the rows (keys :data:`ROW_KEYS`); no rows when
PyTorch is not installed.

    python tests/benchmarks/bench_torch_review.py [--runs 1] [--only unet_classic ...]

Importable without side effects (pytest's doctest collection imports it).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

#: Keys of every row :func:`main` returns (run_all.py renders them; ``model``, ``symconv``
#: and ``export``, the review's valid sets or refusal and torch.export's outcome, are only
#: printed).
ROW_KEYS = ("benchmark", "measured_s", "floor_s", "ratio", "bar", "passed")
#: The models (names of ``tests/torch_models.py``).
MODELS = ("unet_classic", "smp_unet", "resnet18")
#: symconv's time over torch.export's must stay below this.
BAR = 1.0
#: Seconds one child may take.
TIMEOUT = 300


def _path() -> None:
    for p in (ROOT, ROOT / "tests", HERE):
        if str(p) not in sys.path:
            sys.path.insert(0, str(p))


def one_call(name: str, side: str) -> dict[str, Any]:
    """Build model ``name`` and time one call of ``side`` (``symconv`` or ``export``) in this
    process (meant to be a fresh one)."""
    _path()
    import torch

    torch.set_num_threads(1)
    import torch_models as tm
    from export_compare import DIM_MAX, DIM_MIN, time_symconv, try_export

    model = tm.build(name)
    out: dict[str, Any] = {"sympy_preloaded": "sympy" in sys.modules}
    if side == "symconv":
        seconds, result, refusal = time_symconv(model)
        out.update(seconds=seconds, refused=refusal,
                   outcome=f"refused: {refusal}" if refusal else "; ".join(
                       v.describe() for v in result.validity if v is not None))
        return out
    from torch.export import Dim

    size = tm.MODELS[name].example
    x = torch.randn(1, tm.CHANNELS, size, size, generator=torch.Generator().manual_seed(0))
    shapes = ({2: Dim("H", min=DIM_MIN, max=DIM_MAX), 3: Dim("W", min=DIM_MIN, max=DIM_MAX)},)
    row, _ = try_export(model, x, shapes, 1)
    out.update(seconds=row["seconds"], outcome=row["outcome"])
    return out


def fresh(name: str, side: str) -> dict[str, Any]:
    """:func:`one_call` in a fresh child process."""
    _path()
    from export_compare import _env

    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, side]
    proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", env=_env(),
                          cwd=ROOT, timeout=TIMEOUT, check=False)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()
        raise RuntimeError(f"{name} ({side}): exit {proc.returncode}: "
                           f"{tail[-1] if tail else ''}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def row(name: str, runs: int) -> dict[str, Any]:
    """The best of ``runs`` fresh children per side, as a row."""
    symconv = min((fresh(name, "symconv") for _ in range(runs)), key=lambda r: r["seconds"])
    export = min((fresh(name, "export") for _ in range(runs)), key=lambda r: r["seconds"])
    ratio = symconv["seconds"] / export["seconds"]
    refused = symconv["refused"] is not None
    return {"benchmark": f"{name}: symconv review of the module, tracing included (measured) "
                         f"vs one torch.export call, dynamic H/W (floor); fresh processes",
            "measured_s": round(symconv["seconds"], 3), "floor_s": round(export["seconds"], 3),
            "ratio": ratio, "bar": f"< {BAR:.1f}x", "passed": ratio < BAR and not refused,
            "model": name, "symconv": symconv["outcome"], "export": export["outcome"]}


def markdown(rows: list[dict[str, Any]]) -> str:
    out = ["| model | symconv review, tracing included: s (result) | "
           "one torch.export call: s (outcome) | ratio | bar | passed |",
           "|---|---|---|---:|---|---|"]
    out += [f"| {r['model']} | {r['measured_s']:.2f} ({r['symconv']}) | "
            f"{r['floor_s']:.2f} ({r['export']}) | {r['ratio']:.2f}x | {r['bar']} | "
            f"{r['passed']} |" for r in rows]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run the comparison, print the table, return the rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="fresh children per side (best of)")
    parser.add_argument("--only", nargs="*", help="model names (default: %(default)s)",
                        default=list(MODELS))
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args([] if argv is None else argv)
    if args.child:
        print(json.dumps(one_call(*args.child)))
        return []
    if importlib.util.find_spec("torch") is None:
        print("skipped: PyTorch is not installed")
        return []
    rows = [row(name, args.runs) for name in args.only]
    print(markdown(rows))
    return rows


if __name__ == "__main__":
    rows = main(sys.argv[1:])
    sys.exit(0 if all(r["passed"] for r in rows) else 1)
