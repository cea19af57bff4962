"""``symconv matrix``: exact text for small cases, elision, LaTeX, JSON, --weights (never a
pickle), --stats, one-line errors with exit status 2, and CLI == library."""

from __future__ import annotations

import json
import shlex
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import symconv
from symconv.cli import cli
from symconv.core import conv_matrix, linear_map
from symconv.report.matrix_text import MatrixView, render_text, shown_indices


def run(args: str | list[str], code: int = 0) -> Any:
    argv = shlex.split(args) if isinstance(args, str) else args
    result = CliRunner().invoke(cli, ["matrix", *argv], prog_name="symconv")
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return result


def as_json(args: str) -> Any:
    return json.loads(run(args + " --json").stdout)


# --------------------------------------------------------------------------- exact text

CONV_4X4 = """\
layer:   conv k=3x3
input:   (1, 4, 4) -> output (1, 2, 2)  (C, *spatial), flattened in C order
matrix:  4 x 16, 36 nonzero (density 56.2%)
weights: w (1, 1, 3, 3)

             0            1            2            3            4            5            6\
            7            8            9           10           11           12           13\
           14           15
0  w_{0,0,0,0}  w_{0,0,0,1}  w_{0,0,0,2}            0  w_{0,0,1,0}  w_{0,0,1,1}  w_{0,0,1,2}\
            0  w_{0,0,2,0}  w_{0,0,2,1}  w_{0,0,2,2}            0            0            0\
            0            0
1            0  w_{0,0,0,0}  w_{0,0,0,1}  w_{0,0,0,2}            0  w_{0,0,1,0}  w_{0,0,1,1}\
  w_{0,0,1,2}            0  w_{0,0,2,0}  w_{0,0,2,1}  w_{0,0,2,2}            0            0\
            0            0
2            0            0            0            0  w_{0,0,0,0}  w_{0,0,0,1}  w_{0,0,0,2}\
            0  w_{0,0,1,0}  w_{0,0,1,1}  w_{0,0,1,2}            0  w_{0,0,2,0}  w_{0,0,2,1}\
  w_{0,0,2,2}            0
3            0            0            0            0            0  w_{0,0,0,0}  w_{0,0,0,1}\
  w_{0,0,0,2}            0  w_{0,0,1,0}  w_{0,0,1,1}  w_{0,0,1,2}            0  w_{0,0,2,0}\
  w_{0,0,2,1}  w_{0,0,2,2}
"""

EXACT_TEXT = {
    "avg-pool --in 4 --kernel 2": """\
layer:   avg-pool k=2
input:   (1, 4) -> output (1, 2)  (C, *spatial), flattened in C order
matrix:  2 x 4, 4 nonzero (density 50%)

     0    1    2    3
0  1/2  1/2    0    0
1    0    0  1/2  1/2
""",
    "conv-transpose --in 3 --kernel 3 --stride 2 --stats": """\
layer:   conv-transpose k=3 s=2
input:   (1, 3) -> output (1, 7)  (C, *spatial), flattened in C order
matrix:  7 x 3, 9 nonzero (density 42.9%)
weights: w (1, 1, 3)
per row:    1 nonzero in 5 rows, 2 in 2 rows  (outputs: forward coverage)
per column: 3 nonzeros in 3 columns  (inputs: gradient coverage)

           0          1          2
0  w_{0,0,0}          0          0
1  w_{0,0,1}          0          0
2  w_{0,0,2}  w_{0,0,0}          0
3          0  w_{0,0,1}          0
4          0  w_{0,0,2}  w_{0,0,0}
5          0          0  w_{0,0,1}
6          0          0  w_{0,0,2}
""",
    "upsample-nearest --in 3 --scale 3/2": """\
layer:   upsample-nearest f=3/2
input:   (1, 3) -> output (1, 4)  (C, *spatial), flattened in C order
matrix:  4 x 3, 4 nonzero (density 33.3%)

   0  1  2
0  1  0  0
1  1  0  0
2  0  1  0
3  0  0  1
""",
    "upsample-linear --in 3 --scale 2 --align-corners": """\
layer:   upsample-linear f=2 align_corners
input:   (1, 3) -> output (1, 6)  (C, *spatial), flattened in C order
matrix:  6 x 3, 10 nonzero (density 55.6%)

     0    1    2
0    1    0    0
1  3/5  2/5    0
2  1/5  4/5    0
3    0  4/5  1/5
4    0  2/5  3/5
5    0    0    1
""",
}


def test_conv_4x4_prints_the_4x16_symbolic_matrix() -> None:
    assert run("conv --in 4x4 --kernel 3").stdout == CONV_4X4


@pytest.mark.parametrize("args", sorted(EXACT_TEXT))
def test_exact_text(args: str) -> None:
    assert run(args).stdout == EXACT_TEXT[args]


def test_stats_expose_uneven_overlap() -> None:
    """k=3, s=2: outputs covered 1 or 2 times (checkerboard); k=4, s=2: evenly 2 inside."""
    uneven = run("conv-transpose --in 6 --kernel 3 --stride 2 --padding 1 --stats").stdout
    assert "per row:    1 nonzero in 6 rows, 2 in 5 rows" in uneven
    even = as_json("conv-transpose --in 6 --kernel 4 --stride 2 --padding 1 --stats")
    assert even["stats"]["row_counts"] == {"1": 2, "2": 10}
    assert even["stats"]["col_counts"] == {"3": 2, "4": 4}  # the padding crops the ends
    # counts add up to nnz both ways
    for data in (even, as_json("conv --in 5x5 --kernel 3 --stride 2 --padding 1 --stats")):
        for key in ("row_counts", "col_counts"):
            assert sum(int(k) * v for k, v in data["stats"][key].items()) == data["nnz"]
    guide = as_json("conv --in 5x5 --kernel 3 --stride 2 --padding 1 --stats")
    assert guide["stats"]["row_counts"] == {"4": 4, "6": 4, "9": 1}
    assert guide["nnz"] == 49 and guide["shape"] == [9, 25]


# --------------------------------------------------------------------------- elision


def test_large_matrix_is_elided_with_indices() -> None:
    out = run("conv --in 8x8 --kernel 3").stdout
    lines = out.splitlines()
    assert "matrix:  36 x 64, 324 nonzero (density 14.1%)" in lines
    table = lines[lines.index("") + 1:]
    header = table[0].split()
    assert header == [*map(str, range(8)), "⋯", *map(str, range(56, 64))]
    labels = [row.split()[0] for row in table[1:]]
    assert labels == [*map(str, range(8)), "⋮", *map(str, range(28, 36))]
    # the last shown row is the last output: its kernel ends at the last input
    assert table[-1].split()[-1] == "w_{0,0,2,2}"


def test_elision_of_a_big_input_stays_fast_and_small() -> None:
    """128x128 with 3x3: a 15876 x 16384 matrix; only the shown block becomes SymPy."""
    out = run("conv --in 128x128 --kernel 3 --stats").stdout
    assert "matrix:  15876 x 16384, 142884 nonzero" in out
    assert "per row:    9 nonzeros in 15876 rows" in out
    assert len(out.splitlines()) == 4 + 2 + 1 + 1 + 16 + 1


def test_ascii_elision() -> None:
    view = MatrixView("x", (1, 40), (1, 40), (40, 40), 40, (), False, shown_indices(40, 4),
                      shown_indices(40, 4), tuple(tuple(sympy.Integer(int(i == j)) for j in
                                                        shown_indices(40, 4))
                                                  for i in shown_indices(40, 4)))
    text = render_text(view, unicode=False)
    assert "⋯" not in text and "⋮" not in text
    assert text.splitlines()[-3].split() == [":", ":", ":", "...", ":", ":"]


# --------------------------------------------------------------------------- LaTeX and JSON


def test_latex_is_a_bmatrix_through_sympy() -> None:
    assert run("conv --in 3 --kernel 2 --latex").stdout == (
        "\\begin{bmatrix}\n"
        "w_{0,0,0} & w_{0,0,1} & 0 \\\\\n"
        "0 & w_{0,0,0} & w_{0,0,1}\n"
        "\\end{bmatrix}\n")
    pool = run("avg-pool --in 5 --kernel 2 --ceil-mode --latex").stdout
    assert pool.splitlines()[-2] == r"0 & 0 & 0 & 0 & 1"  # ceil-mode window of one
    assert r"\frac{1}{2} & \frac{1}{2} & 0 & 0 & 0 \\" in pool
    wide = run("conv --in 4x4 --kernel 3 --latex").stdout
    assert wide.startswith("\\setcounter{MaxMatrixCols}{13}\n\\begin{bmatrix}\n")
    assert r"\cdots" in wide
    tall = run("conv --in 8x8 --kernel 3 --latex").stdout
    assert r"\vdots" in tall and r"\ddots" in tall
    assert tall.rstrip().endswith(r"\end{bmatrix}")


def test_json_lists_every_entry_exactly() -> None:
    data = as_json("conv --in 4x4 --kernel 3")
    assert data["shape"] == [4, 16] and data["nnz"] == 36 and len(data["entries"]) == 36
    assert data["view"] == "symbolic"
    assert data["weights"] == [{"name": "w", "shape": [1, 1, 3, 3]}]
    assert data["entries"][0] == [0, 0, "w_{0,0,0,0}"]
    c = conv_matrix((1, 4, 4), (1, 1, 3, 3))
    assert {(r, col): v for r, col, v in data["entries"]} == {
        k: str(v) for k, v in c.todok().items()}
    pool = as_json("avg-pool --in 4 --kernel 2")
    assert [e[2] for e in pool["entries"]] == ["1/2"] * 4
    # deterministic
    assert run("conv --in 4x4 --kernel 3 --json").stdout == run(
        "conv --in 4x4 --kernel 3 --json").stdout


@given(k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 1), d=st.integers(1, 2),
       n=st.integers(0, 4), nd=st.integers(1, 2), groups=st.integers(1, 2))
def test_cli_json_equals_library(k: int, s: int, p: int, d: int, n: int, nd: int,
                                 groups: int) -> None:
    size = d * (k - 1) + 1 + n
    sizes = "x".join([str(size)] * nd)
    data = as_json(f"conv --in {sizes} --kernel {k} --stride {s} --padding {p} --dilation {d} "
                   f"--groups {groups} --channels {2 * groups} --out-channels {groups}")
    c = conv_matrix((2 * groups, *[size] * nd), (groups, 2, *[k] * nd), stride=s, padding=p,
                    dilation=d, groups=groups)
    assert data["shape"] == list(c.shape)
    assert {(r, col): v for r, col, v in data["entries"]} == {
        key: str(v) for key, v in c.todok().items()}


# --------------------------------------------------------------------------- --weights


def test_weights_give_the_numeric_matrix(tmp_path: Path) -> None:
    path = tmp_path / "k.npy"
    np.save(path, np.arange(9).reshape(1, 1, 3, 3))
    out = run(f"conv --in 4x4 --kernel 3 --weights {path}").stdout
    assert out.splitlines()[2] == "matrix:  4 x 16, 32 nonzero (density 50%)"  # w[0,0,0,0] = 0
    assert out.splitlines()[-4:] == [
        "0  0  1  2  0  3  4  5  0  6  7   8   0   0   0   0   0",
        "1  0  0  1  2  0  3  4  5  0  6   7   8   0   0   0   0",
        "2  0  0  0  0  0  1  2  0  3  4   5   0   6   7   8   0",
        "3  0  0  0  0  0  0  1  2  0  3   4   5   0   6   7   8",
    ]
    floats = tmp_path / "f.npy"
    w = np.array([[[0.25, -1.5]]])
    np.save(floats, w)
    data = as_json(f"conv --in 4 --kernel 2 --weights {floats}")
    assert data["view"] == "numeric"
    dense = np.zeros(data["shape"])
    for r, c, v in data["entries"]:
        dense[r, c] = v
    expected = linear_map(symconv.Conv(kernel=2), (1, 4), out_channels=1).numeric(w)
    assert np.array_equal(dense, expected.toarray())


def test_weights_never_unpickle(tmp_path: Path) -> None:
    path = tmp_path / "evil.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    result = run(f"conv --in 4 --kernel 2 --weights {path}", code=2)
    assert result.stderr.startswith(f"symconv: error: --weights='{path}' must be a readable")
    assert "allow_pickle" in result.stderr
    assert len(result.stderr.splitlines()) == 1


# --------------------------------------------------------------------------- errors

BAD: list[tuple[str, str]] = [
    ("conv --kernel 3", "--in must be given"),
    ("conv --in 4x4", "--kernel must be given for conv"),
    ("conv --in 4x4x --kernel 3", "--in='4x4x' must be sizes"),
    ("conv --in 4x4 --kernel 3x3x3", "--kernel=3x3x3 must have one entry per axis of --in (2)"),
    ("pixel-shuffle --in 2 --factor 2 --kernel 3",
     "--kernel must only be given for conv, conv-transpose, avg-pool, not pixel-shuffle"),
    ("avg-pool --in 4 --kernel 2 --weights w.npy",
     "--weights must only be given for conv, conv-transpose, not avg-pool"),
    ("upsample-linear --in 4", "--scale or --size must be given for upsample-linear"),
    ("upsample-linear --in 4 --scale two", "--scale='two' must be a number"),
    ("conv --in 4 --kernel 2 --latex --json", "--latex must not be combined with --json"),
    ("conv --in 4 --kernel 2 --max-nnz 0", "--max-nnz=0 must be a positive integer"),
    ("conv --in 16x16 --kernel 3 --max-nnz 100",
     "max_nnz=100 must be at least the estimated 1,764 entries"),
    ("pixel-shuffle --in 100000x100000 --factor 1 --max-nnz 10",
     "max_nnz=10 must be at least the estimated 10,000,000,000 entries"),
    ("pixel-unshuffle --in 100000x100000 --factor 2",
     "max_nnz=50000000 must be at least the estimated 10,000,000,000 entries"),
    ("conv --in 4 --kernel 2 --weights /nonexistent/w.npy",
     "--weights='/nonexistent/w.npy' must be a readable .npy file"),
    ("conv-transpose --in 4 --kernel 3 --stride 2 --output-padding 2",
     "output_padding=2 must be smaller than stride=2"),
    ("conv --in 4 --kernel 3 --groups 2 --channels 3", "groups=2 must divide"),
    ("pixel-shuffle --in 2x2 --factor 2 --channels 3", "channels=3 must be divisible"),
    ("pixel-unshuffle --in 3 --factor 2", "divisible by factor=2"),
    ("conv --in 2 --kernel 3", "kernel"),
    ("resize --in 4 --scale 2 --mode cubic", "must be 2 for mode='cubic' under convention torch"),
    ("resize --in 4 --scale 2 --mode lanczos", "Invalid value for '--mode'"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_line_exit_2(args: str, message: str) -> None:
    result = run(args, code=2)
    assert result.stderr.startswith("symconv: error: "), result.stderr
    assert message in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output


def test_pixel_shuffle_budget_refuses_before_allocating() -> None:
    # issue 15: a 10**10-entry permutation used to try to allocate 224 GiB
    for layer in ("pixel-shuffle --factor 1", "pixel-unshuffle --factor 2"):
        start = time.perf_counter()
        result = run(f"{layer} --in 100000x100000 --max-nnz 10", code=2)
        assert time.perf_counter() - start < 5
        assert result.stderr.startswith("symconv: error: max_nnz=10 must be at least the "
                                        "estimated 10,000,000,000 entries"), result.stderr
        assert "--max-nnz" in result.stderr and len(result.stderr.splitlines()) == 1
    # within the budget it builds
    assert "matrix:  16 x 16, 16 nonzero" in run(
        "pixel-shuffle --in 2x2 --factor 2 --max-nnz 16").stdout


def test_weight_shape_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "w.npy"
    np.save(path, np.ones((1, 1, 3)))
    result = run(f"conv --in 4 --kernel 2 --weights {path}", code=2)
    assert "weights['w'] shape=(1, 1, 3) must be (1, 1, 2)" in result.stderr


def test_help_has_examples() -> None:
    out = run("--help").stdout
    assert "Examples:" in out and "symconv matrix conv --in 4x4 --kernel 3" in out
    assert "--weights FILE.npy" in out and "--max-nnz N" in out
    top = CliRunner().invoke(cli, ["--help"], prog_name="symconv").stdout
    assert "matrix" in top


# --------------------------------------------------------------------------- budgets (issue 15)

import subprocess  # noqa: E402
import sys  # noqa: E402

from symconv.cli.matrix import MatrixQuery, analyse, estimate, parse_memory  # noqa: E402
from symconv.core.budget import BASELINE_BYTES, DEFAULT_MAX_MEMORY  # noqa: E402
from symconv.errors import InvalidSpecError  # noqa: E402


def one_line(result: Any, *parts: str) -> str:
    err = result.stderr
    assert err.startswith("symconv: error: ") and len(err.splitlines()) == 1, err
    assert "Traceback" not in result.output
    for part in parts:
        assert part in err, err
    return str(err)


def test_raising_max_nnz_does_not_lift_the_memory_budget() -> None:
    # issue 15: --max-nnz past what fits ended in a traceback; now refused before building,
    # with the estimate in bytes and the option that raises it
    start = time.perf_counter()
    result = run("conv --in 4000x4000 --kernel 3 --max-nnz 1000000000000", code=2)
    assert time.perf_counter() - start < 5
    err = one_line(result, f"max_memory={DEFAULT_MAX_MEMORY:,} bytes must be at least the "
                           "estimated", "143,856,036 entries", "--max-memory")
    # --max-memory raises it, and a smaller one refuses what the default accepts
    assert "GiB" in err
    one_line(run("conv --in 300x300 --kernel 3 --max-memory 270MiB", code=2),
             "max_memory=283,115,520 bytes must be at least")
    assert "nonzero" in run("conv --in 300x300 --kernel 3 --max-memory 1GiB").stdout


def test_memory_estimate_covers_the_whole_command() -> None:
    q = MatrixQuery.from_options("conv", in_="2300x2300", kernel="3")
    nnz, need = estimate(q)
    assert nnz == 2298 * 2298 * 9
    # the map (24 bytes per entry) and the structural pattern fit the default budget, with
    # room under a 4 GiB address-space limit; --stats and --json cost more per entry
    assert BASELINE_BYTES + 24 * nnz < need < DEFAULT_MAX_MEMORY
    stats = estimate(MatrixQuery.from_options("conv", in_="2300x2300", kernel="3", stats=True))
    assert stats[1] > need
    with pytest.raises(InvalidSpecError, match="max_nnz=2000000 must be at least the estimated "
                                               "8,964,036 entries of this json matrix"):
        estimate(MatrixQuery.from_options("conv", in_="1000x1000", kernel="3", as_json=True))


@pytest.mark.parametrize(("text", "value"), [("1000", 1000), ("512MiB", 512 << 20),
                                             ("3.5GiB", 7 << 29), ("2g", 2 << 30),
                                             ("1 TiB", 1 << 40), ("64K", 65536)])
def test_parse_memory(text: str, value: int) -> None:
    assert parse_memory(text) == value


@pytest.mark.parametrize("text", ["0", "lots", "1e9", "-5", "5PB", "9" * 40, "0.1"])
def test_bad_max_memory_is_one_line(text: str) -> None:
    one_line(run(["conv", "--in", "4", "--kernel", "2", "--max-memory", text], code=2),
             "--max-memory=", "must be a positive number of bytes")


def test_a_memory_error_is_one_line_not_a_traceback() -> None:
    # a process limited below what --max-memory claims: the MemoryError is refused in one
    # line, exit status 2, nothing on stdout
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (600 << 20, 600 << 20)); "
            "from symconv.cli import cli; sys.exit(cli.main(['matrix', 'conv', '--in', "
            "'1500x1500', '--kernel', '3', '--max-memory', '64GiB'], prog_name='symconv'))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith("symconv: error: --max-memory=64GiB must be at most") and "MemoryError" in \
        proc.stderr and len(proc.stderr.splitlines()) == 1, proc.stderr


def test_huge_sparse_shapes_cost_their_entries() -> None:
    # 3,000,000,001 rows and 4 entries: no array of the matrix's shape is made
    start = time.perf_counter()
    out = run("conv-transpose --in 4 --kernel 1 --stride 1000000000 --stats").stdout
    assert time.perf_counter() - start < 5
    assert "matrix:  3000000001 x 4, 4 nonzero" in out
    assert "per row:    0 nonzeros in 2999999997 rows, 1 in 4 rows" in out
    data = as_json("conv-transpose --in 4 --kernel 1 --stride 1000000000")
    assert [e[:2] for e in data["entries"]] == [[0, 0], [10**9, 1], [2 * 10**9, 2],
                                                [3 * 10**9, 3]]
    one_line(run("conv --in 100000000000000000x100000000000000000 --kernel 1 --stride "
                 "100000000000000000", code=2), "beyond int64 indices")


def _old_entries(q: MatrixQuery) -> list[list[Any]]:
    """The entries as the command listed them before: SymPy's matrix, sorted, str."""
    m = linear_map(q.layer, q.input_shape, out_channels=q.out_channels)
    dok = m.symbolic().todok()
    return [[i, j, str(dok[i, j])] for i, j in sorted(dok)]


@pytest.mark.parametrize(("layer", "shape", "out"), [
    (symconv.Conv(kernel=3, padding=2, padding_mode="reflect"), (1, 5, 4), 1),
    (symconv.Conv(kernel=3, padding=1, padding_mode="circular", groups=2), (4, 3, 3), 2),
    (symconv.Conv(kernel=2, padding=1, padding_mode="replicate"), (2, 4), 3),
    (symconv.ConvTranspose(kernel=3, stride=2, padding=1), (2, 3, 3), 2),
    (symconv.AvgPool(kernel=3, stride=2, padding=1, count_include_pad=False), (1, 7, 6), None),
    (symconv.Resize(scale_factor=2, mode="cubic", convention="onnx"), (1, 3, 4), None),
    (symconv.PixelShuffle(factor=2), (4, 2, 3), None),
])
def test_json_listing_equals_the_symbolic_matrix(layer: Any, shape: tuple[int, ...],
                                                 out: int | None) -> None:
    """The listing renders each distinct value once (sums of several terms too, as reflect
    and circular padding make them) and equals SymPy's matrix entry by entry; the text is
    what dump_json of the full dict gives."""
    from symconv.cli._common import dump_json
    from symconv.report.matrix_text import render_json, to_dict

    q = MatrixQuery(layer, shape, out, as_json=True, stats=True)
    view = analyse(q)
    data = json.loads(render_json(view, dump_json))
    assert data["entries"] == _old_entries(q)
    assert render_json(view, dump_json) == dump_json(to_dict(view))
    assert data["nnz"] == len(data["entries"])
    if "reflect" in repr(layer):
        assert any(" + " in e[2] for e in data["entries"])  # the sums are there


def test_stats_count_empty_rows_and_columns() -> None:
    for args in ("conv --in 7x6 --kernel 3 --stride 3 --dilation 2",
                 "conv-transpose --in 5 --kernel 2 --stride 4",
                 "resize --in 3 --size 9 --mode nearest"):
        data = as_json(args + " --stats")
        dense = np.zeros(data["shape"], dtype=int)
        for r, c, _ in data["entries"]:
            dense[r, c] = 1
        for key, counts in (("row_counts", dense.sum(axis=1)), ("col_counts", dense.sum(axis=0))):
            values, times = np.unique(counts, return_counts=True)
            assert data["stats"][key] == {str(v): int(t) for v, t in zip(values, times,
                                                                           strict=True)}
        # the text view counts the same way (no --json)
        assert str(data["nnz"]) + " nonzero" in run(args + " --stats").stdout


def test_non_finite_weights_are_refused_for_json(tmp_path: Path) -> None:
    path = tmp_path / "nan.npy"
    np.save(path, np.array([[[np.nan, 1.0]]]))
    one_line(run(f"conv --in 4 --kernel 2 --weights {path} --json", code=2),
             "must hold finite numbers for --json")
    assert "nan" in run(f"conv --in 4 --kernel 2 --weights {path}").stdout


def test_the_issue_reproductions_are_quick_in_process() -> None:
    # scaled-down forms of the issue's cases (the full ones: tests/benchmarks/bench_memory.py
    # and the report): a symbolic --json listing near the default budget is seconds, not
    # minutes
    start = time.perf_counter()
    result = run("conv --in 300x300 --kernel 3 --json")
    assert time.perf_counter() - start < 15
    assert result.stdout.count("\n") > 298 * 298 * 9
