"""Fuzz the ``symconv`` command line (issue 15's bar): N fresh invocations, drawn at random.

    python tests/benchmarks/fuzz_cli.py                     # 1,000 invocations, a new seed
    python tests/benchmarks/fuzz_cli.py --count 200 --seed 7 --subprocess --jobs 2

Each invocation is drawn by ``tests/fuzzing.py`` (the same generator as ``tests/test_fuzz.py``)
and must end with a result or with one line ``symconv: error: ...`` and exit 2, within 20 s
and 4 GiB.  In-process (default) runs go through click's CliRunner under an alarm and an
address-space cap; ``--subprocess`` runs each in a child ``python -m symconv`` (slower, and
what a user sees).  Prints the seed, the counts per outcome, the slowest invocations and every
violation; exits 1 when there is one.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import fuzzing


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=None, help="default: a fresh one")
    parser.add_argument("--subprocess", action="store_true")
    parser.add_argument("--jobs", type=int, default=1, help="children at once (--subprocess)")
    opts = parser.parse_args(argv)
    seed = opts.seed if opts.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"seed {seed}, {opts.count} invocations, "
          f"{'subprocess' if opts.subprocess else 'in-process'}", flush=True)
    d = fuzzing.RandomDraw(seed)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        files = fuzzing.hostile_files(tmp / "files", d)
        work = tmp / "out"
        work.mkdir()
        calls = [fuzzing.invocation(d, work, files) for _ in range(opts.count)]
        t0 = time.perf_counter()
        if opts.subprocess:
            with ThreadPoolExecutor(max(1, opts.jobs)) as pool:
                verdicts = list(pool.map(lambda a: fuzzing.run_subprocess(a, cwd=work), calls))
        else:
            verdicts = [fuzzing.run_inprocess(a) for a in calls]
        total = time.perf_counter() - t0
    outcomes = collections.Counter(
        "violation" if v.problem else f"exit {v.code}" for v in verdicts)
    print(f"{total:.0f} s: " + ", ".join(f"{k} {n}" for k, n in sorted(outcomes.items())))
    for v in sorted(verdicts, key=lambda v: -v.seconds)[:5]:
        print(f"  slowest {v.seconds:5.1f} s  exit {v.code}  "
              + " ".join(a[:40] for a in v.args))
    bad = [v for v in verdicts if v.problem]
    for v in bad:
        print("\nVIOLATION " + v.describe())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
